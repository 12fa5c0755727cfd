/**
 * `cloudWatchSink`: PutMetricData through `@aws-sdk/client-cloudwatch`, for long-running
 * processes outside Lambda (where no log group turns EMF into metrics). It converts the same
 * aggregated batches into requests and can flush on its own timer.
 *
 * The SDK is loaded on the first write, not at import: importing the core stays free of it.
 */
import type { CloudWatchClientConfig, MetricDatum, PutMetricDataCommandInput } from '@aws-sdk/client-cloudwatch';
import type { DistributionValue } from './distribution';
import { type EmfSeries, sanitizeDimensions } from './emf';
import {
  cloudWatchName,
  cloudWatchValue,
  MAX_DATUMS_PER_REQUEST,
  MAX_REQUEST_BYTES,
  MAX_VALUES_PER_DATUM,
} from './limits';
import type { MetricsBatch, MetricsSink } from './sinks';

/** The shortest collection interval: CloudWatch stores at most one point per second. */
export const MIN_INTERVAL_MS = 1000 as const;
export const DEFAULT_INTERVAL_MS = 60_000 as const;

/** Anything that sends SDK commands: a `CloudWatchClient`, or a wrapper around one. */
export interface CommandSender {
  send(command: unknown): Promise<unknown>;
}

export interface CloudWatchSinkOptions {
  /** @default - a CloudWatchClient built from `endpoint`, `region` and `credentials` */
  readonly client?: CommandSender;
  /** @default - the SDK's endpoint for the region */
  readonly endpoint?: string;
  /** @default - the SDK's region resolution (AWS_REGION, profile) */
  readonly region?: string;
  /** @default - the SDK's default credential chain */
  readonly credentials?: CloudWatchClientConfig['credentials'];
  /** Collection interval once `start()` is called. @default 60000 */
  readonly intervalMs?: number;
}

export interface CloudWatchSink extends MetricsSink {
  /** Starts flushing every `intervalMs` (the timer is unref'd: it never keeps the process alive). */
  start(): void;
  /** Stops the timer and flushes one last time; resolves when the last requests are answered. */
  stop(): Promise<void>;
}

/** Converts one batch into PutMetricData inputs: at most 1,000 datums and ~900 KB per request. */
export function toPutMetricData(batch: MetricsBatch): PutMetricDataCommandInput[] {
  const timestamp = new Date(batch.timestamp);
  const datums: MetricDatum[] = [];
  const rollups = new Map<string, { datum: MetricDatum; counts: Map<number, number> }>();
  for (const series of batch.series) {
    const dimensions = sanitizeDimensions(series.dimensions);
    const base: MetricDatum = {
      MetricName: cloudWatchName(series.name),
      Dimensions: dimensions.map(([Name, Value]) => ({ Name, Value })),
      Timestamp: timestamp,
      Unit: series.unit ?? 'None',
      ...(series.resolution === 1 ? { StorageResolution: 1 } : {}),
    };
    const pairs = valuePairs(series, batch);
    if (pairs.length === 0) continue;
    if (typeof series.value === 'number') datums.push({ ...base, Value: pairs[0][0] });
    else for (const chunk of chunked(pairs, MAX_VALUES_PER_DATUM)) datums.push(withValues(base, chunk));
    const rollupDimensions = dimensions.filter(([name]) => batch.rollup.includes(name));
    if (rollupDimensions.length === 0 || rollupDimensions.length === dimensions.length) continue;
    // One merged rollup datum per metric, not one per series: the aggregate costs one metric.
    const key = JSON.stringify([base.MetricName, base.Unit, series.resolution ?? 60, rollupDimensions]);
    let rollup = rollups.get(key);
    if (rollup === undefined) {
      const datum = { ...base, Dimensions: rollupDimensions.map(([Name, Value]) => ({ Name, Value })) };
      rollup = { datum, counts: new Map() };
      rollups.set(key, rollup);
    }
    for (const [value, count] of pairs) rollup.counts.set(value, (rollup.counts.get(value) ?? 0) + count);
  }
  for (const { datum, counts } of rollups.values()) {
    const pairs = [...counts].sort((a, b) => a[0] - b[0]);
    for (const chunk of chunked(pairs, MAX_VALUES_PER_DATUM)) datums.push(withValues(datum, chunk));
  }
  return requests(batch.namespace, datums);
}

/** The series' valid (value, count) pairs; what cannot be sent is reported to `onDropped`. */
function valuePairs(series: EmfSeries, batch: MetricsBatch): [number, number][] {
  if (typeof series.value === 'number') {
    const value = cloudWatchValue(series.value);
    if (value !== undefined) return [[value, 1]];
    batch.onDropped?.(series, Number.isFinite(series.value) ? 'out_of_range' : 'non_finite');
    return [];
  }
  const distribution: DistributionValue = series.value;
  const pairs: [number, number][] = [];
  for (let index = 0; index < distribution.values.length; index++) {
    const value = cloudWatchValue(distribution.values[index]);
    const count = distribution.counts[index];
    if (value !== undefined && count > 0) pairs.push([value, count]);
    else batch.onDropped?.(series, Number.isFinite(distribution.values[index]) ? 'out_of_range' : 'non_finite');
  }
  return pairs;
}

function withValues(base: MetricDatum, pairs: readonly [number, number][]): MetricDatum {
  return { ...base, Values: pairs.map(([value]) => value), Counts: pairs.map(([, count]) => count) };
}

function chunked<T>(items: readonly T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let start = 0; start < items.length; start += size) chunks.push(items.slice(start, start + size));
  return chunks;
}

function requests(namespace: string, datums: readonly MetricDatum[]): PutMetricDataCommandInput[] {
  const inputs: PutMetricDataCommandInput[] = [];
  let current: MetricDatum[] = [];
  let bytes = 0;
  for (const datum of datums) {
    const size = JSON.stringify(datum).length * 2; // UTF-16 units x 2 bounds the UTF-8 bytes of the wire form
    if (current.length === MAX_DATUMS_PER_REQUEST || (current.length > 0 && bytes + size > MAX_REQUEST_BYTES)) {
      inputs.push({ Namespace: cloudWatchName(namespace), MetricData: current });
      current = [];
      bytes = 0;
    }
    current.push(datum);
    bytes += size;
  }
  if (current.length > 0) inputs.push({ Namespace: cloudWatchName(namespace), MetricData: current });
  return inputs;
}

/** A sink sending PutMetricData requests; `start()` adds a collection timer, `stop()` a last flush. */
export function cloudWatchSink(options: CloudWatchSinkOptions = {}): CloudWatchSink {
  const intervalMs = options.intervalMs ?? DEFAULT_INTERVAL_MS;
  if (!Number.isFinite(intervalMs) || intervalMs < MIN_INTERVAL_MS) {
    throw new Error(`cloudWatchSink: intervalMs ${intervalMs} is too short (use ${MIN_INTERVAL_MS} or more)`);
  }
  let client: Promise<{ sender: CommandSender; Command: new (input: PutMetricDataCommandInput) => unknown }>;
  let flush: (() => void | Promise<void>) | undefined;
  let timer: NodeJS.Timeout | undefined;

  const connect = async () => {
    const sdk = await import('@aws-sdk/client-cloudwatch');
    const sender =
      options.client ??
      new sdk.CloudWatchClient({
        endpoint: options.endpoint,
        region: options.region,
        credentials: options.credentials,
      });
    return { sender, Command: sdk.PutMetricDataCommand };
  };

  return {
    attach(callback) {
      flush = callback;
    },
    async write(batch) {
      const inputs = toPutMetricData(batch);
      if (inputs.length === 0) return;
      client ??= connect();
      const { sender, Command } = await client;
      const results = await Promise.allSettled(inputs.map((input) => sender.send(new Command(input))));
      const failed = results.find((result) => result.status === 'rejected');
      if (failed !== undefined) throw failed.reason;
    },
    start() {
      if (timer !== undefined) return;
      timer = setInterval(() => void flush?.(), intervalMs);
      timer.unref();
    },
    async stop() {
      if (timer !== undefined) clearInterval(timer);
      timer = undefined;
      await flush?.();
    },
  };
}
