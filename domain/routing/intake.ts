/**
 * Intake: an EventBridge event -> an Alert. Two shapes:
 *   - `aws.cloudwatch` / `CloudWatch Alarm State Change`: the alert's identity is the alarm's ARN
 *     (account, region, name), never its description. The rule, severity, labels and runbook
 *     are decoded from the description only for alarms the router trusts (alarm-trust.ts: this
 *     stack's alarms, or signed metadata); any other alarm is a foreign alert, named after the
 *     alarm, at the configured foreign severity. ALARM -> firing, OK -> resolved,
 *     INSUFFICIENT_DATA -> ignored (missing data is the rule's `missingData` setting's business,
 *     not a page). SLO component alarms (labels.role = 'component') are ignored: their
 *     composite pages.
 *   - `maif.observability` / `MAIF Alert` from the log aggregator, baseline monitor, health
 *     probes and the heartbeat (lambdas/shared/alert-publisher.ts).
 * Every alert carries its state's own time (`stateAt`, and a kit alert's `sequence`), which
 * orders the events of one alert (order.ts). Anything else throws IntakeError: the router
 * dead-letters and counts it.
 */

import { decodeAlarmDescription, METADATA_MARKER } from '../contracts/alarm-spec';
import type { Alert, AlertSource } from '../contracts/alert';
import {
  ALARM_DETAIL_TYPE,
  ALARM_SOURCE,
  alarmArn,
  alarmFingerprint,
  fingerprintOf,
  KIT_DETAIL_TYPE,
  KIT_SOURCE,
  MAX_ALERT_SUMMARY_CHARS,
} from '../contracts/events';
import { SEVERITIES, type Severity } from '../contracts/severity';
import { isRecord } from '../records';
import { type AlarmTrust, NO_TRUST, trustOf } from './alarm-trust';

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

/** The first valid time of `values` as ISO 8601, or undefined. */
function firstTime(...values: unknown[]): string | undefined {
  for (const value of values) {
    if (typeof value === 'string' && Number.isFinite(Date.parse(value))) return new Date(value).toISOString();
  }
  return undefined;
}

/**
 * Parses one event. `trust` says which alarms' description metadata is believed (default: none,
 * every alarm is foreign); the router passes its bundled list of the stack's alarm names.
 */
export function parseEvent(event: unknown, trust: AlarmTrust = NO_TRUST): Intake {
  if (!isRecord(event))
    throw new IntakeError(`event: ${JSON.stringify(event)?.slice(0, 80)} is not an EventBridge event (an object)`);
  const id = text(event, 'id', 'event');
  const source = text(event, 'source', 'event');
  const detailType = text(event, 'detail-type', 'event');
  const time = isoOr(event.time, new Date(0).toISOString());
  const detail = field(event, 'detail', 'event');
  if (source === ALARM_SOURCE && detailType === ALARM_DETAIL_TYPE)
    return fromAlarm(id, time, str(event.time), event, detail, trust);
  if (source === KIT_SOURCE && detailType === KIT_DETAIL_TYPE) return fromKitAlert(id, time, str(event.time), detail);
  throw new IntakeError(
    `event source '${source}' detail-type '${detailType}' is not handled (allowed: aws.cloudwatch '${ALARM_DETAIL_TYPE}', ${KIT_SOURCE} '${KIT_DETAIL_TYPE}')`,
  );
}

/**
 * True when this event is an alarm whose trust hangs on a signature (not one of the stack's
 * alarms, metadata with a `sig`): only then does the router need the signing key.
 */
export function needsSigningKey(event: unknown, trust: AlarmTrust): boolean {
  if (!isRecord(event) || event.source !== ALARM_SOURCE || !isRecord(event.detail)) return false;
  const name = str(event.detail.alarmName);
  if (name === undefined || trust.trustedAlarms.has(name)) return false;
  const configuration = event.detail.configuration;
  const description = isRecord(configuration) ? str(configuration.description) : undefined;
  return decodeAlarmDescription(description ?? '')?.sig !== undefined;
}

function fromAlarm(
  eventId: string,
  time: string,
  eventTime: string | undefined,
  event: Obj,
  detail: Obj,
  trust: AlarmTrust,
): Intake {
  const alarmName = text(detail, 'alarmName', 'detail');
  const state = field(detail, 'state', 'detail');
  const value = text(state, 'value', 'detail.state');
  const configuration = field(detail, 'configuration', 'detail');
  const arn = alarmArn({ resources: event.resources, account: event.account, region: event.region, alarmName });
  if (arn === undefined) {
    throw new IntakeError(
      `alarm '${alarmName}': no alarm ARN (event.resources[0] is not one, and event.account ${JSON.stringify(event.account)} / event.region ${JSON.stringify(event.region)} cannot build it)`,
    );
  }
  if (value === 'INSUFFICIENT_DATA') return { kind: 'ignored', reason: 'insufficient_data' };
  if (value !== 'ALARM' && value !== 'OK') {
    throw new IntakeError(`alarm '${alarmName}': detail.state.value '${value}' is not ALARM, OK or INSUFFICIENT_DATA`);
  }
  const description = str(configuration.description) ?? '';
  const meta = decodeAlarmDescription(description);
  const marker = description.lastIndexOf(METADATA_MARKER);
  const text0 = (marker < 0 ? description : description.slice(0, marker)).trim();
  const reason = str(state.reason);
  const stateAt = firstTime(state.timestamp, eventTime);
  const at = stateAt ?? time;
  const common = {
    fingerprint: alarmFingerprint(arn),
    status: value === 'ALARM' ? ('firing' as const) : ('resolved' as const),
    startsAt: at,
    ...(value === 'OK' ? { endsAt: at } : {}),
    source: 'cloudwatch' as const,
    eventId,
    ...(stateAt === undefined ? {} : { stateAt }),
  };
  if (meta === undefined || trustOf(alarmName, meta, trust) === undefined) {
    // a foreign alarm: only what CloudWatch says about it, never the description's metadata
    const [, , , region = '', account = ''] = arn.split(':');
    const namespace = foreignNamespace(configuration);
    const alert: Alert = {
      ...common,
      alertName: alarmName,
      severity: trust.foreignSeverity,
      labels: {
        alarm_name: alarmName,
        ...(namespace === undefined ? {} : { namespace }),
        account,
        region,
        foreign: 'true',
      },
      annotations: {
        summary: (text0 || `alarm ${alarmName} is ${value}`).slice(0, MAX_ALERT_SUMMARY_CHARS),
        ...(reason ? { description: reason } : {}),
      },
    };
    return { kind: 'alert', alert };
  }
  if (meta.labels.role === 'component') return { kind: 'ignored', reason: 'slo_component' };
  const labels: Record<string, string> = {
    ...(meta.service ? { service: meta.service } : {}),
    ...(meta.environment ? { environment: meta.environment } : {}),
    ...meta.labels,
  };
  const alert: Alert = {
    ...common,
    alertName: meta.rule,
    severity: meta.severity,
    labels,
    annotations: {
      summary: (text0 || `${meta.rule}: alarm ${alarmName} is ${value}`).slice(0, MAX_ALERT_SUMMARY_CHARS),
      ...(reason ? { description: reason } : {}),
      ...(meta.runbook ? { runbook: meta.runbook } : {}),
    },
  };
  return { kind: 'alert', alert };
}

/** `detail.configuration.metrics[0].metricStat.metric.namespace` of a metric alarm, when present. */
function foreignNamespace(configuration: Obj): string | undefined {
  const metrics = configuration.metrics;
  const first = Array.isArray(metrics) ? metrics[0] : undefined;
  const metricStat = isRecord(first) ? first.metricStat : undefined;
  const metric = isRecord(metricStat) ? metricStat.metric : undefined;
  const namespace = isRecord(metric) ? str(metric.namespace) : undefined;
  return namespace === '' ? undefined : namespace;
}

function fromKitAlert(eventId: string, time: string, eventTime: string | undefined, detail: Obj): Intake {
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
  // the alert's own time (milliseconds) when the publisher gives it, else the event's (seconds)
  const stateAt = firstTime(detail.timestamp, eventTime);
  const sequence = detail.sequence;
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
    ...(stateAt === undefined ? {} : { stateAt }),
    ...(typeof sequence === 'number' && Number.isSafeInteger(sequence) ? { sequence } : {}),
  };
  return { kind: 'alert', alert };
}
