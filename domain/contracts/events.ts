/**
 * The EventBridge events the alert pipeline takes in: CloudWatch's alarm state changes and the
 * kit's own alerts (log aggregator, baseline monitor, health probes, heartbeat), and the alert
 * identity both resolve to.
 */
import { createHash } from 'node:crypto';
import type { Severity } from './severity';

export const ALARM_SOURCE = 'aws.cloudwatch';
export const ALARM_DETAIL_TYPE = 'CloudWatch Alarm State Change';
export const KIT_SOURCE = 'maif.observability';
export const KIT_DETAIL_TYPE = 'MAIF Alert';

/** Hex digits of an alert fingerprint. */
export const FINGERPRINT_LENGTH = 32;
/** An alert's summary is cut to this many characters. */
export const MAX_ALERT_SUMMARY_CHARS = 512;

export type AlarmStateValue = 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';

export interface AlarmStateChangeState {
  readonly value: AlarmStateValue;
  readonly reason: string;
  readonly timestamp: string;
}

/** What CloudWatch sends to EventBridge on every alarm state change (the fields the kit reads). */
export interface AlarmStateChangeEvent {
  readonly version: '0';
  readonly id: string;
  readonly 'detail-type': typeof ALARM_DETAIL_TYPE;
  readonly source: typeof ALARM_SOURCE;
  readonly account: string;
  readonly time: string;
  readonly region: string;
  readonly resources: readonly string[];
  readonly detail: {
    readonly alarmName: string;
    readonly state: AlarmStateChangeState;
    readonly previousState: AlarmStateChangeState;
    readonly configuration: { readonly description: string; readonly alarmRule?: string };
  };
}

/** The detail of a `MAIF Alert` event. */
export interface KitAlertDetail {
  readonly alertName: string;
  readonly severity: Severity;
  readonly labels: Readonly<Record<string, string>>;
  readonly summary: string;
  readonly rule: string;
  readonly event: Record<string, unknown>;
  /** `fingerprintOf(alertName, labels)`: the alert's identity. */
  readonly fingerprint: string;
  /** Events of this invocation that raised this alert (same fingerprint); `event` is the first. */
  readonly occurrences: number;
}

/** Hex sha256 of the alert name and its sorted labels, first FINGERPRINT_LENGTH characters. */
export function fingerprintOf(alertName: string, labels: Readonly<Record<string, string>>): string {
  const hash = createHash('sha256').update(alertName);
  for (const key of Object.keys(labels).sort()) hash.update(`\u0000${key}\u0000${labels[key]}`);
  return hash.digest('hex').slice(0, FINGERPRINT_LENGTH);
}
