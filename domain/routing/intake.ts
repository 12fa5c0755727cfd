/**
 * Intake: an EventBridge event -> an Alert. Two shapes:
 *   - `aws.cloudwatch` / `CloudWatch Alarm State Change` of the kit's alarms: the rule, severity,
 *     labels and runbook are decoded from the alarm description (domain/contracts/alarm-spec.ts).
 *     ALARM -> firing, OK -> resolved, INSUFFICIENT_DATA -> ignored (missing data is the
 *     rule's `missingData` setting's business, not a page). SLO component alarms
 *     (labels.role = 'component') are ignored: their composite pages.
 *   - `maif.observability` / `MAIF Alert` from the log aggregator, baseline monitor, health
 *     probes and the heartbeat (lambdas/shared/alert-publisher.ts).
 * Anything else throws IntakeError: the router dead-letters and counts it.
 */

import { decodeAlarmDescription, METADATA_MARKER } from '../contracts/alarm-spec';
import type { Alert, AlertSource } from '../contracts/alert';
import {
  ALARM_DETAIL_TYPE,
  ALARM_SOURCE,
  fingerprintOf,
  KIT_DETAIL_TYPE,
  KIT_SOURCE,
  MAX_ALERT_SUMMARY_CHARS,
} from '../contracts/events';
import { SEVERITIES, type Severity } from '../contracts/severity';
import { isRecord } from '../records';

const KIT_SOURCES = ['log-aggregator', 'baseline', 'health-probe', 'heartbeat'] as const;

export class IntakeError extends Error {
  override readonly name = 'IntakeError';
}

export type Intake =
  | { readonly kind: 'alert'; readonly alert: Alert }
  | { readonly kind: 'ignored'; readonly reason: string };

type Obj = Record<string, unknown>;
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

function field(o: Obj, key: string, where: string): Obj {
  const v = o[key];
  if (!isRecord(v))
    throw new IntakeError(
      `event ${where}.${key}: ${v === undefined ? 'missing' : JSON.stringify(v)?.slice(0, 80)} is not an object`,
    );
  return v;
}

function text(o: Obj, key: string, where: string): string {
  const v = o[key];
  if (typeof v !== 'string' || v === '')
    throw new IntakeError(
      `event ${where}.${key}: ${v === undefined ? 'missing' : JSON.stringify(v)?.slice(0, 80)} is not a non-empty string`,
    );
  return v;
}

function isoOr(value: unknown, fallback: string): string {
  return typeof value === 'string' && Number.isFinite(Date.parse(value)) ? new Date(value).toISOString() : fallback;
}

export function parseEvent(event: unknown): Intake {
  if (!isRecord(event))
    throw new IntakeError(`event: ${JSON.stringify(event)?.slice(0, 80)} is not an EventBridge event (an object)`);
  const id = text(event, 'id', 'event');
  const source = text(event, 'source', 'event');
  const detailType = text(event, 'detail-type', 'event');
  const time = isoOr(event.time, new Date(0).toISOString());
  const detail = field(event, 'detail', 'event');
  if (source === ALARM_SOURCE && detailType === ALARM_DETAIL_TYPE) return fromAlarm(id, time, detail);
  if (source === KIT_SOURCE && detailType === KIT_DETAIL_TYPE) return fromKitAlert(id, time, detail);
  throw new IntakeError(
    `event source '${source}' detail-type '${detailType}' is not handled (allowed: aws.cloudwatch '${ALARM_DETAIL_TYPE}', ${KIT_SOURCE} '${KIT_DETAIL_TYPE}')`,
  );
}

function fromAlarm(eventId: string, time: string, detail: Obj): Intake {
  const alarmName = text(detail, 'alarmName', 'detail');
  const state = field(detail, 'state', 'detail');
  const value = text(state, 'value', 'detail.state');
  const configuration = field(detail, 'configuration', 'detail');
  const description = str(configuration.description) ?? '';
  const meta = decodeAlarmDescription(description);
  if (meta === undefined) {
    throw new IntakeError(
      `alarm '${alarmName}': detail.configuration.description carries no kit metadata (the kit's alarms end with '${METADATA_MARKER.trim()}{...}')`,
    );
  }
  if (value === 'INSUFFICIENT_DATA') return { kind: 'ignored', reason: 'insufficient_data' };
  if (value !== 'ALARM' && value !== 'OK') {
    throw new IntakeError(`alarm '${alarmName}': detail.state.value '${value}' is not ALARM, OK or INSUFFICIENT_DATA`);
  }
  if (meta.labels.role === 'component') return { kind: 'ignored', reason: 'slo_component' };
  const labels: Record<string, string> = {
    ...(meta.service ? { service: meta.service } : {}),
    ...(meta.environment ? { environment: meta.environment } : {}),
    ...meta.labels,
  };
  const text0 = description.slice(0, description.lastIndexOf(METADATA_MARKER)).trim();
  const reason = str(state.reason);
  const at = isoOr(state.timestamp, time);
  const alert: Alert = {
    fingerprint: fingerprintOf(meta.rule, labels),
    alertName: meta.rule,
    status: value === 'ALARM' ? 'firing' : 'resolved',
    severity: meta.severity,
    labels,
    annotations: {
      summary: (text0 || `${meta.rule}: alarm ${alarmName} is ${value}`).slice(0, MAX_ALERT_SUMMARY_CHARS),
      ...(reason ? { description: reason } : {}),
      ...(meta.runbook ? { runbook: meta.runbook } : {}),
    },
    startsAt: at,
    ...(value === 'OK' ? { endsAt: at } : {}),
    source: 'cloudwatch',
    eventId,
  };
  return { kind: 'alert', alert };
}

function fromKitAlert(eventId: string, time: string, detail: Obj): Intake {
  const alertName = text(detail, 'alertName', 'detail');
  const severity = text(detail, 'severity', 'detail');
  if (!SEVERITIES.includes(severity as Severity)) {
    throw new IntakeError(`alert '${alertName}': detail.severity '${severity}' is not one of ${SEVERITIES.join(', ')}`);
  }
  const rawLabels = detail.labels ?? {};
  if (!isRecord(rawLabels) || !Object.values(rawLabels).every((v) => typeof v === 'string')) {
    throw new IntakeError(`alert '${alertName}': detail.labels is not an object of strings`);
  }
  const labels = rawLabels as Record<string, string>;
  if (labels.role === 'component') return { kind: 'ignored', reason: 'slo_component' };
  const status = detail.status ?? 'firing';
  if (status !== 'firing' && status !== 'resolved') {
    throw new IntakeError(`alert '${alertName}': detail.status '${String(status)}' is not firing or resolved`);
  }
  const origin = str(detail.source);
  const source: AlertSource = KIT_SOURCES.includes(origin as (typeof KIT_SOURCES)[number])
    ? (origin as AlertSource)
    : 'log-aggregator';
  const runbook = str(detail.runbook);
  const description = str(detail.description);
  const alert: Alert = {
    fingerprint: fingerprintOf(alertName, labels),
    alertName,
    status,
    severity: severity as Severity,
    labels,
    annotations: {
      summary: (str(detail.summary) ?? alertName).slice(0, MAX_ALERT_SUMMARY_CHARS),
      ...(description ? { description } : {}),
      ...(runbook ? { runbook } : {}),
    },
    startsAt: isoOr(detail.startsAt, time),
    ...(status === 'resolved' ? { endsAt: time } : {}),
    source,
    eventId,
  };
  return { kind: 'alert', alert };
}
