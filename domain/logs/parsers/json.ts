/**
 * JSON lines: ours (Logger: `timestamp`, `level`, `service`, `event`, ...), Powertools (`message`,
 * `xray_trace_id`), pino/bunyan (`time`, numeric `level`, `msg`), Lambda's JSON log format
 * (`message` may be an object; `type: "platform.*"` records) and EMF documents (`_aws`).
 */
import { isRecord } from '../../records';
import { normalizeLevel, type ParsedLine, readTimestamp, setField, str } from './common';
import { parsePlatformRecord } from './lambda';

/** Keys read into the normalized header; everything else is copied as is. */
const CONSUMED: Record<string, true> = {
  timestamp: true,
  time: true,
  '@timestamp': true,
  level: true,
  severity: true,
  message: true,
  msg: true,
  trace_id: true,
  xray_trace_id: true,
  traceId: true,
  source: true,
  _aws: true,
};

const hasOwn = Object.prototype.hasOwnProperty;

/** Parses a line that starts with '{'; undefined when it is not a JSON object. */
export function parseJsonLine(line: string): ParsedLine | undefined {
  // JSON.parse only when it can be an object: a failed parse costs an exception
  if (line.charCodeAt(0) !== 123) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  return isRecord(value) ? parseJsonObject(value) : undefined;
}

/** Normalizes a parsed JSON object (EMF and Lambda platform records included). */
export function parseJsonObject(obj: Record<string, unknown>): ParsedLine {
  const aws = obj._aws;
  if (isRecord(aws) && Array.isArray(aws.CloudWatchMetrics)) return parseEmf(obj, aws);
  if (typeof obj.type === 'string' && obj.type.startsWith('platform.') && isRecord(obj.record)) {
    return parsePlatformRecord(obj.type, obj.time, obj.record);
  }

  const fields: Record<string, unknown> = {};
  for (const key in obj) {
    if (hasOwn.call(obj, key) && CONSUMED[key] !== true) setField(fields, key, obj[key]);
  }
  // a foreign `source` would collide with ours: kept as `log_source`
  if (obj.source !== undefined) fields.log_source = obj.source;

  let message: unknown = obj.message ?? obj.msg;
  if (isRecord(message)) {
    // Lambda's JSON log format with a structured message: lift its fields
    const inner = parseJsonObject(message);
    for (const key in inner.fields) setField(fields, key, inner.fields[key]);
    message = inner.message;
  }
  const text =
    typeof message === 'string' ? message : message === undefined ? (str(obj.event) ?? '') : JSON.stringify(message);

  return {
    parser: 'json',
    timestamp: readTimestamp(obj.timestamp ?? obj.time ?? obj['@timestamp']),
    level: normalizeLevel(obj.level ?? obj.severity),
    message: text,
    traceId: str(obj.trace_id ?? obj.xray_trace_id ?? obj.traceId),
    fields,
  };
}

/** Upper bound of metric names listed in the `emf` summary of one event. */
const MAX_EMF_NAMES = 100;

/**
 * An EMF document. `_aws` is never forwarded: the aggregated log group would extract the metrics a
 * second time. The event keeps the values and dimensions, and `emf: { namespaces, metrics }`.
 */
function parseEmf(obj: Record<string, unknown>, aws: Record<string, unknown>): ParsedLine {
  const namespaces: string[] = [];
  const metrics: string[] = [];
  for (const directive of aws.CloudWatchMetrics as unknown[]) {
    if (!isRecord(directive)) continue;
    if (typeof directive.Namespace === 'string' && !namespaces.includes(directive.Namespace)) {
      namespaces.push(directive.Namespace);
    }
    if (!Array.isArray(directive.Metrics)) continue;
    for (const m of directive.Metrics) {
      if (isRecord(m) && typeof m.Name === 'string' && metrics.length < MAX_EMF_NAMES) metrics.push(m.Name);
    }
  }
  const fields: Record<string, unknown> = {};
  for (const key in obj) {
    if (hasOwn.call(obj, key) && CONSUMED[key] !== true) setField(fields, key, obj[key]);
  }
  if (obj.source !== undefined) fields.log_source = obj.source;
  fields.emf = { namespaces, metrics };
  return {
    parser: 'emf',
    timestamp: readTimestamp(aws.Timestamp ?? obj.timestamp),
    level: normalizeLevel(obj.level) ?? 'INFO',
    message: str(obj.message) ?? `metrics: ${metrics.join(', ')}`,
    traceId: str(obj.trace_id ?? obj.xray_trace_id ?? obj.traceId),
    fields,
  };
}
