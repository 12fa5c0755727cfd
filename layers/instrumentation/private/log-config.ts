/**
 * The Logger's options and environment, resolved and validated once at construction.
 * Explicit options win over environment variables; a bad option throws (a programming error
 * found at the first run), a bad environment value falls back to the default with a warning
 * line, because an operator's typo must not take the function down.
 */
import { INSTRUMENTATION_ENV as ENV } from '../environment';
import { LOG_LEVELS, type LogLevel } from '../types';

export { LOG_LEVELS };
/** Numeric severity, index-aligned with LOG_LEVELS. */
export const LEVEL_VALUES = { DEBUG: 10, INFO: 20, WARN: 30, ERROR: 40, CRITICAL: 50, SILENT: 100 } as const;
const LEVEL_ALIASES = { WARNING: 'WARN', FATAL: 'CRITICAL' } as const;

/** CloudWatch Logs rejects events over 256 KB (262,144 bytes); keep a margin for the runtime's framing. */
export const DEFAULT_MAX_LINE_BYTES = 256_000;
export const MIN_MAX_LINE_BYTES = 8_192;
export const DEFAULT_MAX_STRING_LENGTH = 8_192;
export const MIN_MAX_STRING_LENGTH = 16;
/** Service names and invocation ids longer than this are cut (they are repeated on every line). */
export const MAX_ID_LENGTH = 256;

export interface ResolvedLogConfig {
  readonly service: string;
  readonly level: LogLevel;
  readonly sampleRate: number;
  readonly functionName: string | undefined;
  readonly maxStringLength: number;
  readonly maxLineBytes: number;
  /** Problems with environment values, reported as one WARN line each after construction. */
  readonly warnings: readonly string[];
}

export interface ConfigInput {
  readonly service?: string;
  readonly level?: string;
  readonly sampleRate?: number;
  readonly maxStringLength?: number;
  readonly maxLineBytes?: number;
}

export function parseLevel(value: string): LogLevel | undefined {
  const upper = value.trim().toUpperCase();
  if ((LOG_LEVELS as readonly string[]).includes(upper)) return upper as LogLevel;
  return LEVEL_ALIASES[upper as keyof typeof LEVEL_ALIASES];
}

const LEVEL_HELP = 'use DEBUG, INFO, WARN, ERROR, CRITICAL or SILENT';

export function requireLevel(field: string, value: unknown): LogLevel {
  const level = typeof value === 'string' ? parseLevel(value) : undefined;
  if (level === undefined) throw new Error(`${field}: '${String(value)}' is not a log level (${LEVEL_HELP})`);
  return level;
}

function requireInteger(field: string, value: number | undefined, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < min) {
    throw new Error(`${field}: ${String(value)} is not allowed (use an integer >= ${min})`);
  }
  return value;
}

const isRate = (n: number): boolean => Number.isFinite(n) && n >= 0 && n <= 1;

export function resolveLogConfig(
  input: ConfigInput,
  env: Readonly<Record<string, string | undefined>>,
): ResolvedLogConfig {
  const warnings: string[] = [];
  const functionName = env.AWS_LAMBDA_FUNCTION_NAME || undefined;

  if (input.service !== undefined && (typeof input.service !== 'string' || input.service === '')) {
    throw new Error(`service: '${String(input.service)}' is not a service name (use a non-empty string)`);
  }
  const service = (
    input.service ??
    (env[ENV.service] || env.POWERTOOLS_SERVICE_NAME || functionName || 'unknown')
  ).slice(0, MAX_ID_LENGTH);

  let level: LogLevel = 'INFO';
  if (input.level !== undefined) level = requireLevel('level', input.level);
  else {
    const [name, raw] = env[ENV.logLevel] ? ['MAIF_LOG_LEVEL', env[ENV.logLevel]] : ['LOG_LEVEL', env.LOG_LEVEL];
    if (raw) {
      const parsed = parseLevel(raw);
      if (parsed) level = parsed;
      else warnings.push(`${name}: '${raw}' is not a log level (${LEVEL_HELP}); using INFO`);
    }
  }

  let sampleRate = 0;
  if (input.sampleRate !== undefined) {
    if (typeof input.sampleRate !== 'number' || !isRate(input.sampleRate)) {
      throw new Error(`sampleRate: ${String(input.sampleRate)} is not a rate (use a number from 0 to 1)`);
    }
    sampleRate = input.sampleRate;
  } else if (env[ENV.debugSampleRate]) {
    const raw = env[ENV.debugSampleRate] ?? '';
    const parsed = Number(raw);
    if (raw.trim() !== '' && isRate(parsed)) sampleRate = parsed;
    else warnings.push(`${ENV.debugSampleRate}: '${raw}' is not a rate (use 0 to 1); using 0`);
  }

  const maxLineBytes = requireInteger('maxLineBytes', input.maxLineBytes, DEFAULT_MAX_LINE_BYTES, MIN_MAX_LINE_BYTES);
  const maxStringLength = requireInteger(
    'maxStringLength',
    input.maxStringLength,
    Math.min(DEFAULT_MAX_STRING_LENGTH, maxLineBytes >> 3),
    MIN_MAX_STRING_LENGTH,
  );
  if (maxStringLength > maxLineBytes >> 3) {
    throw new Error(
      `maxStringLength: ${maxStringLength} is too large for maxLineBytes ${maxLineBytes} (use at most maxLineBytes / 8 = ${maxLineBytes >> 3})`,
    );
  }
  return { service, level, sampleRate, functionName, maxStringLength, maxLineBytes, warnings };
}
