/**
 * The alarm spec: the compiler's output (rule -> AlarmSpec[]) and the contract shared with the
 * alert evaluator (domain/evaluator), which runs the same specs against recorded series.
 */
import { isSeverity, type Severity } from './severity';

/**
 * `PR(:x)` is CloudWatch's percentile rank: the percentage of values <= x in the period (lower
 * bound excluded, upper included). Latency SLOs use it on distributions: PR(:0.3) = % under 300 ms.
 */
export type Statistic = 'Sum' | 'Average' | 'Minimum' | 'Maximum' | 'SampleCount' | `p${number}` | `PR(:${number})`;

export interface MetricRef {
  /** Metric math id: `^[a-z][a-zA-Z0-9_]*$` (m1, m2 ...). */
  readonly id: string;
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions: Readonly<Record<string, string>>;
  readonly stat: Statistic;
  /** Seconds. */
  readonly period: number;
}

export type Comparison =
  | 'GreaterThanThreshold'
  | 'GreaterThanOrEqualToThreshold'
  | 'LessThanThreshold'
  | 'LessThanOrEqualToThreshold'
  | 'LessThanLowerOrGreaterThanUpperThreshold'
  | 'GreaterThanUpperThreshold'
  | 'LessThanLowerThreshold';

export type TreatMissingData = 'missing' | 'notBreaching' | 'breaching' | 'ignore';

export interface AlarmSpec {
  /** Unique per stack: `${service}-${env}-${rule}`. */
  readonly alarmName: string;
  readonly ruleName: string;
  /** Human text + encoded metadata (see encodeAlarmDescription), <= 1024 chars. */
  readonly description: string;
  readonly kind: 'threshold' | 'anomaly';
  /** 1..10 metrics. */
  readonly metrics: readonly MetricRef[];
  /** Metric math over the metrics' ids; absent => metrics[0] is the alarmed series. */
  readonly expression?: { readonly id: string; readonly expression: string; readonly label?: string };
  readonly comparison: Comparison;
  /** Threshold kind. */
  readonly threshold?: number;
  /** Anomaly kind: ANOMALY_DETECTION_BAND(<id>, bands). */
  readonly bands?: number;
  /** 10, 20, 30 or a multiple of 60. */
  readonly period: number;
  readonly evaluationPeriods: number;
  readonly datapointsToAlarm: number;
  readonly treatMissingData: TreatMissingData;
  readonly evaluateLowSampleCountPercentile?: 'evaluate' | 'ignore';
  readonly severity: Severity;
  readonly labels: Readonly<Record<string, string>>;
  readonly runbook?: string;
}

/** Metadata the alert pipeline reads back from `detail.configuration.description` of the alarm event. */
export interface AlarmMetadata {
  rule: string;
  severity: AlarmSpec['severity'];
  labels: Record<string, string>;
  runbook?: string;
  environment?: string;
  service?: string;
  /**
   * HMAC-SHA256 (base64url) over the alarm name and the rest of this metadata
   * (domain/routing/alarm-trust.ts): lets an alarm the stack did not create be trusted.
   */
  sig?: string;
}

/** CloudWatch's AlarmDescription limit. */
export const MAX_ALARM_DESCRIPTION_LENGTH = 1024;
/** Separates the human text from the metadata; JSON never contains a raw newline, so the last one wins. */
export const METADATA_MARKER = '\n\nmaif:';
const ELLIPSIS = '…';

/**
 * `text + '\n\nmaif:' + compact JSON`, at most 1024 characters: the text is truncated (with an
 * ellipsis), never the metadata. Throws when the metadata alone does not fit.
 */
export function encodeAlarmDescription(text: string, meta: AlarmMetadata): string {
  const compact: AlarmMetadata = { rule: meta.rule, severity: meta.severity, labels: { ...meta.labels } };
  if (meta.runbook !== undefined) compact.runbook = meta.runbook;
  if (meta.environment !== undefined) compact.environment = meta.environment;
  if (meta.service !== undefined) compact.service = meta.service;
  if (meta.sig !== undefined) compact.sig = meta.sig;
  const suffix = METADATA_MARKER + JSON.stringify(compact);
  if (suffix.length > MAX_ALARM_DESCRIPTION_LENGTH) {
    throw new Error(
      `alert rule '${meta.rule}': alarm metadata (labels, runbook) is ${suffix.length} characters once encoded (allowed: at most ${MAX_ALARM_DESCRIPTION_LENGTH})`,
    );
  }
  const room = MAX_ALARM_DESCRIPTION_LENGTH - suffix.length;
  return truncate(text, room) + suffix;
}

/** Reads the metadata back; undefined when the description carries none or it is malformed. Never throws. */
export function decodeAlarmDescription(description: string): AlarmMetadata | undefined {
  if (typeof description !== 'string') return undefined;
  const at = description.lastIndexOf(METADATA_MARKER);
  if (at < 0) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(description.slice(at + METADATA_MARKER.length));
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
  const o = parsed as Record<string, unknown>;
  if (typeof o.rule !== 'string' || typeof o.severity !== 'string' || !isSeverity(o.severity)) return undefined;
  if (typeof o.labels !== 'object' || o.labels === null || Array.isArray(o.labels)) return undefined;
  const labels: Record<string, string> = {};
  for (const [k, v] of Object.entries(o.labels)) {
    if (typeof v !== 'string') return undefined;
    // defineProperty, not assignment: a label named __proto__ stays a label instead of a prototype
    Object.defineProperty(labels, k, { value: v, enumerable: true, writable: true, configurable: true });
  }
  const meta: AlarmMetadata = { rule: o.rule, severity: o.severity as AlarmSpec['severity'], labels };
  for (const key of ['runbook', 'environment', 'service', 'sig'] as const) {
    const v = o[key];
    if (v === undefined) continue;
    if (typeof v !== 'string') return undefined;
    meta[key] = v;
  }
  return meta;
}

function truncate(text: string, room: number): string {
  if (text.length <= room) return text;
  if (room <= ELLIPSIS.length) return '';
  let cut = room - ELLIPSIS.length;
  // Never split a surrogate pair.
  const code = text.charCodeAt(cut - 1);
  if (code >= 0xd800 && code <= 0xdbff) cut -= 1;
  return text.slice(0, cut) + ELLIPSIS;
}
