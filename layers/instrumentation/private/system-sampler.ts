/**
 * The system readings `instrument({ system })` takes at the end of an invocation, at most once
 * per interval per execution environment:
 * - `memory_usage`: the process's resident memory as a percentage of the Lambda function's
 *   memory (AWS_LAMBDA_FUNCTION_MEMORY_SIZE), or of the machine's memory outside Lambda;
 * - `disk_usage{mount="/tmp"}`: /tmp is the only writable disk of a Lambda function.
 * Each is one system call (no /proc file to parse), a few microseconds. The middleware loads this
 * module only when sampling is asked for, so a handler without it never evaluates it.
 */
import { statfsSync } from 'node:fs';
import { totalmem } from 'node:os';
import { INSTRUMENTATION_ENV } from '../environment';
import type { MetricsApi } from '../types';
import { isDuration, parseDuration } from '../units';
import { catalogGauge } from './catalog-instruments';
import { diskUsagePercent } from './proc-parse';

export const DEFAULT_SYSTEM_SAMPLING_MS = 60_000;
export const MIN_SYSTEM_SAMPLING_MS = 1_000;
/** The mount whose usage is sampled: the only writable one in Lambda. */
export const SAMPLED_MOUNT = '/tmp';

/** `instrument()`'s `system` option: on (every 60 s), off, or on with an interval ('30s', or milliseconds). */
export type SystemSamplingOption = boolean | { readonly interval?: string | number };

/** Takes the readings into `metrics` when the interval has passed; reports each failed reading to `onError`. */
export type SystemSampler = (metrics: MetricsApi, onError: (error: unknown) => void) => void;

// Module scope on purpose: an execution environment samples once per interval, however many
// instrumented handlers (and Metrics instances) it holds.
let lastSampledAt: number | undefined;

/** Test seam for the one piece of process-wide state: the next invocation samples. */
export function resetSystemSampling(): void {
  lastSampledAt = undefined;
}

/**
 * The interval in milliseconds a setting asks for, or undefined for off: the `system` option
 * (true, false, { interval }) or the MAIF_SYSTEM_SAMPLING value ('60s', 'true', 'false', '').
 * Throws, naming `what`, the value and what is allowed, on anything else.
 */
export function samplingInterval(setting: unknown, what: string): number | undefined {
  if (setting === false || setting === '' || setting === 'false' || setting === '0') return undefined;
  if (setting === true || setting === 'true' || setting === '1') return DEFAULT_SYSTEM_SAMPLING_MS;
  const object = typeof setting === 'object' && setting !== null;
  const interval = object ? (setting as { interval?: unknown }).interval : setting;
  if (object && interval === undefined) return DEFAULT_SYSTEM_SAMPLING_MS;
  const ms = typeof interval === 'number' ? interval : isDuration(interval) ? parseDuration(interval) : Number.NaN;
  if (ms >= MIN_SYSTEM_SAMPLING_MS) return ms;
  throw new Error(
    `${what}${object ? '.interval' : ''} '${String(interval)}' is not allowed (use true, false or an interval of 1s or more: 30s, 5m)`,
  );
}

function sampler(intervalMs: number): SystemSampler {
  const lambdaMb = Number(process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE);
  const memoryBytes = lambdaMb > 0 ? lambdaMb * 1024 * 1024 : totalmem();
  return (metrics, onError) => {
    const now = Date.now();
    if (lastSampledAt !== undefined && now - lastSampledAt < intervalMs) return;
    lastSampledAt = now;
    try {
      catalogGauge(metrics, 'memory_usage').set((process.memoryUsage.rss() / memoryBytes) * 100);
    } catch (error) {
      onError(error);
    }
    try {
      const percent = diskUsagePercent(statfsSync(SAMPLED_MOUNT));
      if (percent === undefined) throw new Error(`statfs ${SAMPLED_MOUNT} reports no blocks`);
      catalogGauge(metrics, 'disk_usage').set({ mount: SAMPLED_MOUNT }, percent);
    } catch (error) {
      onError(error);
    }
  };
}

/**
 * The sampler `instrument()` runs, or undefined when sampling is off: the `system` option decides,
 * else MAIF_SYSTEM_SAMPLING. A malformed option throws (at `instrument()`); a malformed variable
 * goes to `onError` and leaves sampling off.
 */
export function systemSamplerFor(
  option: SystemSamplingOption | undefined,
  onError: (error: unknown) => void,
): SystemSampler | undefined {
  if (option !== undefined) {
    const interval = samplingInterval(option, 'instrument: system');
    return interval === undefined ? undefined : sampler(interval);
  }
  try {
    const interval = samplingInterval(
      process.env[INSTRUMENTATION_ENV.systemSampling] ?? '',
      INSTRUMENTATION_ENV.systemSampling,
    );
    return interval === undefined ? undefined : sampler(interval);
  } catch (error) {
    onError(error);
    return undefined;
  }
}
