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
    readonly configuration: {
      readonly description: string;
      readonly alarmRule?: string;
      /** A metric alarm's queries; the router reads `metrics[0].metricStat.metric.namespace` of foreign alarms. */
      readonly metrics?: readonly {
        readonly id?: string;
        readonly metricStat?: { readonly metric?: { readonly namespace?: string; readonly name?: string } };
      }[];
    };
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
  /**
   * When the alert's state began (ISO 8601, milliseconds); the event's `time` (whole seconds)
   * otherwise. With `sequence`, orders the events of one alert (domain/routing/order.ts).
   */
  readonly timestamp?: string;
  /** Orders events of one alert that share a timestamp: the higher is the newer. */
  readonly sequence?: number;
}

/** Hex sha256 of the alert name and its sorted labels, first FINGERPRINT_LENGTH characters. */
export function fingerprintOf(alertName: string, labels: Readonly<Record<string, string>>): string {
  const hash = createHash('sha256').update(alertName);
  for (const key of Object.keys(labels).sort()) hash.update(`\u0000${key}\u0000${labels[key]}`);
  return hash.digest('hex').slice(0, FINGERPRINT_LENGTH);
}

/**
 * The ARN of the alarm an alarm state change is about: `resources[0]` when it is an alarm ARN,
 * else `arn:aws:cloudwatch:<region>:<account>:alarm:<alarmName>` from the event's own fields.
 * Undefined when neither is there.
 */
export function alarmArn(event: {
  readonly resources?: unknown;
  readonly account?: unknown;
  readonly region?: unknown;
  readonly alarmName: string;
}): string | undefined {
  const first = Array.isArray(event.resources) ? event.resources[0] : undefined;
  if (typeof first === 'string' && /^arn:[\w-]+:cloudwatch:[\w-]+:\d{12}:alarm:./.test(first)) return first;
  const { account, region } = event;
  if (typeof account !== 'string' || !/^\d{12}$/.test(account)) return undefined;
  if (typeof region !== 'string' || !/^[a-z]{2}(-[a-z]+)+-\d$/.test(region)) return undefined;
  return `arn:aws:cloudwatch:${region}:${account}:alarm:${event.alarmName}`;
}

/**
 * The identity of a CloudWatch alarm's alert: the hash of its ARN (account, region, name), the
 * same shape as fingerprintOf. Never taken from the alarm's description, which whoever creates
 * the alarm writes: an alarm can only ever touch its own alert.
 */
export function alarmFingerprint(arn: string): string {
  return createHash('sha256').update('alarm\u0000').update(arn).digest('hex').slice(0, FINGERPRINT_LENGTH);
}
