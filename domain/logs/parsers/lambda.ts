/**
 * Lambda's own lines. Text format: `START RequestId: <id> Version: $LATEST`, `END RequestId: <id>`,
 * `REPORT RequestId: <id>\tDuration: 1.23 ms\tBilled Duration: 2 ms\tMemory Size: 128 MB\t...`,
 * `INIT_START Runtime Version: ...`, and the prefix of runtime lines
 * `2024-01-01T00:00:00.000Z\t<requestId>\tINFO\t<message>`. JSON format: `{ time, type:
 * "platform.report", record: { requestId, metrics: { durationMs, ... } } }`.
 */
import { isRecord } from '../../records';
import { type Level, type ParsedLine, readTimestamp, str } from './common';

const PLATFORM_PREFIXES = [
  'START RequestId: ',
  'END RequestId: ',
  'REPORT RequestId: ',
  'INIT_START ',
  'INIT_REPORT ',
] as const;
const PLATFORM_EVENTS = [
  'platform.start',
  'platform.end',
  'platform.report',
  'platform.initStart',
  'platform.initReport',
] as const;

/** `Key: value unit` pairs of REPORT lines, to snake_case field names. */
const REPORT_KEYS: Record<string, string> = {
  RequestId: 'request_id',
  Duration: 'duration_ms',
  'Billed Duration': 'billed_duration_ms',
  'Memory Size': 'memory_size_mb',
  'Max Memory Used': 'max_memory_used_mb',
  'Init Duration': 'init_duration_ms',
  'Restore Duration': 'restore_duration_ms',
  'Billed Restore Duration': 'billed_restore_duration_ms',
  Status: 'status',
  'Error Type': 'error_type',
  Version: 'version',
  'Runtime Version': 'runtime_version',
  'Runtime Version ARN': 'runtime_version_arn',
  Phase: 'phase',
  'XRAY TraceId': 'trace_id',
  SegmentId: 'segment_id',
  Sampled: 'sampled',
};

/** Parses START / END / REPORT / INIT_START lines; undefined for anything else. */
export function parsePlatformLine(line: string): ParsedLine | undefined {
  const c = line.charCodeAt(0);
  // cheap first-letter gate: E, I, R, S
  if (c !== 69 && c !== 73 && c !== 82 && c !== 83) return undefined;
  const kind = PLATFORM_PREFIXES.findIndex((p) => line.startsWith(p));
  if (kind < 0) return undefined;
  const fields: Record<string, unknown> = { event: PLATFORM_EVENTS[kind] };
  const body = line.slice(line.indexOf(' ') + 1);
  // pairs are separated by tabs (REPORT, INIT_START), START has `RequestId: <id> Version: <v>`
  for (const part of (kind === 0 ? body.replace(' Version: ', '\tVersion: ') : body).split(/[\t\n]/)) {
    const colon = part.indexOf(': ');
    if (colon <= 0) continue;
    const key = REPORT_KEYS[part.slice(0, colon).trim()];
    if (key === undefined) continue;
    const raw = part.slice(colon + 2).trim();
    fields[key] =
      key.endsWith('_ms') || key.endsWith('_mb') ? Number.parseFloat(raw) : key === 'sampled' ? raw === 'true' : raw;
  }
  const status = str(fields.status);
  const traceId = str(fields.trace_id);
  delete fields.trace_id;
  return {
    parser: 'lambda',
    level: status !== undefined && status !== 'success' ? 'ERROR' : 'INFO',
    message: line,
    traceId,
    fields,
  };
}

/** JSON-format metric names to the text-format field names. */
const RECORD_METRICS: Record<string, string> = {
  durationMs: 'duration_ms',
  billedDurationMs: 'billed_duration_ms',
  memorySizeMB: 'memory_size_mb',
  maxMemoryUsedMB: 'max_memory_used_mb',
  initDurationMs: 'init_duration_ms',
  restoreDurationMs: 'restore_duration_ms',
};

/** A `platform.*` record of Lambda's JSON log format. */
export function parsePlatformRecord(type: string, time: unknown, record: Record<string, unknown>): ParsedLine {
  const fields: Record<string, unknown> = { event: type };
  if (typeof record.requestId === 'string') fields.request_id = record.requestId;
  if (typeof record.version === 'string') fields.version = record.version;
  if (typeof record.status === 'string') fields.status = record.status;
  if (typeof record.errorType === 'string') fields.error_type = record.errorType;
  if (isRecord(record.metrics)) {
    for (const [k, v] of Object.entries(record.metrics)) {
      const key = RECORD_METRICS[k];
      if (key !== undefined && typeof v === 'number') fields[key] = v;
    }
  }
  const tracing = isRecord(record.tracing) ? str(record.tracing.value) : undefined;
  const traceId = tracing?.match(/Root=([^;]+)/)?.[1];
  const status = str(record.status);
  return {
    parser: 'lambda',
    timestamp: readTimestamp(time),
    level: status !== undefined && status !== 'success' ? 'ERROR' : 'INFO',
    message: `${type}${fields.request_id ? ` ${fields.request_id}` : ''}${status ? ` ${status}` : ''}`,
    traceId,
    fields,
  };
}

/** The runtime's text-format prefix; anchored, each part a simple class: linear time. */
const TEXT_PREFIX =
  /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,9})?Z)[\t ]([0-9a-fA-F-]{36}|undefined)[\t ](?:(TRACE|DEBUG|INFO|WARN|ERROR|FATAL)\t)?/;

const PREFIX_LEVELS: Record<string, Level> = {
  TRACE: 'DEBUG',
  DEBUG: 'DEBUG',
  INFO: 'INFO',
  WARN: 'WARN',
  ERROR: 'ERROR',
  FATAL: 'CRITICAL',
};

export interface LambdaPrefix {
  readonly timestamp: string;
  readonly requestId: string | undefined;
  readonly level: Level | undefined;
  /** The rest of the line, after the prefix. */
  readonly rest: string;
}

/** Splits `2024-01-01T00:00:00.000Z\t<requestId>\tINFO\t<message>`; undefined when there is no prefix. */
export function splitLambdaPrefix(line: string): LambdaPrefix | undefined {
  // gate: a digit, then '-' at 4 and 'T' at 10
  if (line.charCodeAt(10) !== 84 || line.charCodeAt(4) !== 45) return undefined;
  const m = TEXT_PREFIX.exec(line);
  if (m === null) return undefined;
  const rest = line.slice(m[0].length);
  let level = m[3] === undefined ? undefined : PREFIX_LEVELS[m[3]];
  if (level === undefined && rest.startsWith('Task timed out')) level = 'ERROR';
  return { timestamp: m[1], requestId: m[2] === 'undefined' ? undefined : m[2], level, rest };
}
