/** Shapes and helpers shared by the line parsers. */
import type { LogLevel } from '../../../layers/instrumentation/types';

export type Level = Exclude<LogLevel, 'SILENT'>;

/** Which parser produced an event (`source.parser` of a normalized event). */
export type ParserName = 'json' | 'emf' | 'syslog5424' | 'syslog3164' | 'access' | 'lambda' | 'text';

/** One parsed line, before normalization adds `source` and defaults. */
export interface ParsedLine {
  readonly parser: ParserName;
  /**
   * Epoch milliseconds, or an ISO 8601 UTC string already in canonical form (passed through);
   * the CloudWatch Logs event timestamp is used when absent.
   */
  readonly timestamp?: number | string;
  readonly level?: Level;
  readonly message: string;
  readonly traceId?: string;
  /** Every other field, copied onto the normalized event. */
  readonly fields: Record<string, unknown>;
}

const LEVEL_NAMES: Record<string, Level> = {
  trace: 'DEBUG',
  debug: 'DEBUG',
  verbose: 'DEBUG',
  info: 'INFO',
  information: 'INFO',
  notice: 'INFO',
  warn: 'WARN',
  warning: 'WARN',
  error: 'ERROR',
  err: 'ERROR',
  fatal: 'CRITICAL',
  critical: 'CRITICAL',
  crit: 'CRITICAL',
  alert: 'CRITICAL',
  emerg: 'CRITICAL',
  emergency: 'CRITICAL',
};

/** Maps level names of common loggers (and pino/bunyan numbers: 10 trace ... 60 fatal) to ours. */
export function normalizeLevel(value: unknown): Level | undefined {
  if (typeof value === 'string') {
    // the common case first: already one of ours
    if (value === 'INFO' || value === 'ERROR' || value === 'WARN' || value === 'DEBUG' || value === 'CRITICAL')
      return value;
    return LEVEL_NAMES[value.toLowerCase()];
  }
  if (typeof value === 'number') {
    if (value >= 60) return 'CRITICAL';
    if (value >= 50) return 'ERROR';
    if (value >= 40) return 'WARN';
    if (value >= 30) return 'INFO';
    if (value >= 0) return 'DEBUG';
  }
  return undefined;
}

/** Syslog severity (0 emerg ... 7 debug) to a level. */
export function severityLevel(severity: number): Level {
  if (severity <= 2) return 'CRITICAL';
  if (severity === 3) return 'ERROR';
  if (severity === 4) return 'WARN';
  if (severity <= 6) return 'INFO';
  return 'DEBUG';
}

/** Epoch seconds below this are read as seconds, above as milliseconds (1e11 s is the year 5138). */
const SECONDS_LIMIT = 1e11;

/** Reads a timestamp field: epoch seconds or milliseconds, or a date string; undefined when unusable. */
export function toEpochMs(value: unknown): number | undefined {
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0) return undefined;
    return value < SECONDS_LIMIT ? Math.round(value * 1000) : Math.round(value);
  }
  if (typeof value === 'string' && value.length > 0) {
    const ms = Date.parse(value);
    return Number.isNaN(ms) ? undefined : ms;
  }
  return undefined;
}

const CANONICAL_ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

/** Like `toEpochMs`, but a canonical ISO string (what our Logger writes) is kept as is: no Date round trip. */
export function readTimestamp(value: unknown): number | string | undefined {
  if (typeof value === 'string' && value.length === 24 && CANONICAL_ISO.test(value)) return value;
  return toEpochMs(value);
}

/** Reads a string field, `undefined` for anything else. */
export const str = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

/**
 * `target[key] = value`, except that a `__proto__` key (JSON.parse makes it an own property) stays
 * an own property instead of replacing the prototype.
 */
export function setField(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__')
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else target[key] = value;
}

/** Month abbreviations of syslog (RFC 3164) and access-log timestamps, to month indexes. */
export const MONTHS: Record<string, number> = {
  Jan: 0,
  Feb: 1,
  Mar: 2,
  Apr: 3,
  May: 4,
  Jun: 5,
  Jul: 6,
  Aug: 7,
  Sep: 8,
  Oct: 9,
  Nov: 10,
  Dec: 11,
};
