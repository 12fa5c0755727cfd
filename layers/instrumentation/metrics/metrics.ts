/**
 * `Metrics`: counters, gauges, histograms and summaries aggregated in memory and flushed as
 * CloudWatch EMF (or PutMetricData, or any sink), with the Prometheus exposition on demand.
 */

import { METRIC_CATALOG } from '../catalog';
import { INSTRUMENTATION_ENV as ENV } from '../environment';
import type {
  Counter,
  Gauge,
  Histogram,
  HistogramOptions,
  MetricInstrumentOptions,
  MetricsApi,
  StorageResolution,
  Summary,
  SummaryOptions,
} from '../types';
import { METRIC_UNITS } from '../types';
import type { EmfDropReason, EmfSeries } from './emf';
import {
  CounterInstrument,
  DistributionInstrument,
  GaugeInstrument,
  type Instrument,
  type InstrumentDefinition,
  type InstrumentKind,
} from './instruments';
import {
  cloudWatchName,
  DEFAULT_CARDINALITY_WARNING_THRESHOLD,
  DEFAULT_MAX_SERIES_PER_METRIC,
  DROP_REASONS,
  type DropReason,
  dimensionValue,
  MAX_DIMENSIONS,
  MAX_NAME_LENGTH,
} from './limits';
import { renderPrometheus } from './prometheus';
import type { InstrumentContext } from './series';
import { type LineSink, lineSink, type MetricsBatch, type MetricsSink, stdoutSink } from './sinks';

/** Prometheus' default histogram buckets (seconds). */
export const DEFAULT_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] as const;
export const DEFAULT_QUANTILES = [0.5, 0.9, 0.99] as const;
export const DEFAULT_NAMESPACE = 'MAIF' as const;

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const UNITS: ReadonlySet<string> = new Set<string>(METRIC_UNITS);

export interface MetricsOptions {
  /** CloudWatch namespace. @default - MAIF_NAMESPACE, then 'MAIF' */
  readonly namespace?: string;
  /** The `service` dimension. @default - MAIF_SERVICE, POWERTOOLS_SERVICE_NAME, AWS_LAMBDA_FUNCTION_NAME, then 'unknown' */
  readonly service?: string;
  /** Dimensions on every series, merged over `{ service, environment }` (environment from MAIF_ENVIRONMENT when set). */
  readonly defaultDimensions?: Readonly<Record<string, string>>;
  /** 'stdout', a function receiving each EMF line, or a sink (e.g. `cloudWatchSink()`). @default 'stdout' */
  readonly sink?: 'stdout' | LineSink | MetricsSink;
  /** Throw on a wrong label set instead of counting and dropping. @default - true when NODE_ENV is development or test */
  readonly strict?: boolean;
  /** Series per metric; calls that would create more are dropped and counted. @default 10000 */
  readonly maxSeriesPerMetric?: number;
  /** Series count that triggers one warning per metric. @default 5000 */
  readonly cardinalityWarningThreshold?: number;
  /** Also write each metric under the default dimensions alone (one extra CloudWatch metric per metric). @default true */
  readonly rollup?: boolean;
  /** Receives the kit's warnings (each at most once). @default - one JSON line on stderr */
  readonly warn?: (message: string) => void;
}

function defaultWarn(message: string): void {
  process.stderr.write(`${JSON.stringify({ level: 'WARN', event: 'maif_obs_metrics_warning', message })}\n`);
}

function toSink(sink: MetricsOptions['sink']): MetricsSink {
  if (sink === undefined || sink === 'stdout') return stdoutSink();
  if (typeof sink === 'function') return lineSink(sink);
  if (typeof sink === 'object' && sink !== null && typeof sink.write === 'function') return sink;
  throw new Error(`Metrics: sink ${String(sink)} is not supported (use 'stdout', a function or an object with write)`);
}

function positiveInteger(field: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new Error(`Metrics: ${field} ${value} is not allowed (use a whole number of 1 or more)`);
  }
  return value;
}

export class Metrics implements MetricsApi {
  readonly namespace: string;
  readonly service: string;
  /** The sanitized dimensions every series carries; their names form the rollup set. */
  readonly defaultDimensions: Readonly<Record<string, string>>;
  readonly #sink: MetricsSink;
  readonly #rollup: readonly string[];
  readonly #warn: (message: string) => void;
  readonly #warned = new Set<string>();
  readonly #instruments = new Map<string, Instrument>();
  readonly #context: InstrumentContext;
  #droppedSeries: CounterInstrument | undefined;
  #droppedObservations: CounterInstrument | undefined;

  constructor(options: MetricsOptions = {}) {
    const env = process.env;
    this.namespace = options.namespace ?? env[ENV.namespace] ?? DEFAULT_NAMESPACE;
    if (this.namespace.trim() === '' || this.namespace.length > MAX_NAME_LENGTH) {
      throw new Error(`Metrics: namespace '${this.namespace}' is not allowed (use 1 to 255 characters)`);
    }
    this.service =
      options.service ?? env[ENV.service] ?? env.POWERTOOLS_SERVICE_NAME ?? env.AWS_LAMBDA_FUNCTION_NAME ?? 'unknown';
    const dimensions: Record<string, string> = { service: this.service };
    const environment = env[ENV.environment];
    if (environment) dimensions.environment = environment;
    for (const [name, value] of Object.entries(options.defaultDimensions ?? {})) {
      if (!LABEL_NAME.test(name) || name.length > MAX_NAME_LENGTH) {
        throw new Error(`Metrics: default dimension name '${name}' is not allowed (use [a-zA-Z_][a-zA-Z0-9_]*)`);
      }
      if (typeof value !== 'string') {
        throw new Error(`Metrics: default dimension '${name}' has a value of type ${typeof value} (use a string)`);
      }
      dimensions[name] = value;
    }
    for (const name in dimensions) dimensions[name] = dimensionValue(dimensions[name]);
    if (Object.keys(dimensions).length > MAX_DIMENSIONS) {
      throw new Error(
        `Metrics: ${Object.keys(dimensions).length} default dimensions are too many (at most ${MAX_DIMENSIONS})`,
      );
    }
    this.defaultDimensions = Object.freeze(dimensions);
    this.#rollup = options.rollup === false ? [] : Object.keys(dimensions);
    this.#sink = toSink(options.sink);
    this.#warn = options.warn ?? defaultWarn;
    const maxSeriesPerMetric = positiveInteger(
      'maxSeriesPerMetric',
      options.maxSeriesPerMetric ?? DEFAULT_MAX_SERIES_PER_METRIC,
    );
    const cardinalityWarningThreshold = positiveInteger(
      'cardinalityWarningThreshold',
      options.cardinalityWarningThreshold ?? Math.min(DEFAULT_CARDINALITY_WARNING_THRESHOLD, maxSeriesPerMetric),
    );
    this.#context = {
      strict: options.strict ?? (env.NODE_ENV === 'development' || env.NODE_ENV === 'test'),
      maxSeriesPerMetric,
      cardinalityWarningThreshold,
      defaultDimensions: this.defaultDimensions,
      dropObservation: (metric, reason, message) => this.#dropObservation(metric, reason, message),
      dropSeries: (metric, message) => {
        this.#kitCounter('maif_obs_dropped_series_total').inc({ metric });
        this.warnOnce(`limit:${metric}`, message);
      },
      warnOnce: (key, message) => this.warnOnce(key, message),
    };
    this.#sink.attach?.(() => this.flush());
  }

  counter(name: string, options: MetricInstrumentOptions = {}): Counter {
    return this.#register('counter', name, options, (d) => new CounterInstrument(d, this.#context));
  }

  gauge(name: string, options: MetricInstrumentOptions = {}): Gauge {
    return this.#register('gauge', name, options, (d) => new GaugeInstrument(d, this.#context));
  }

  histogram(name: string, options: HistogramOptions = {}): Histogram {
    return this.#register('histogram', name, options, (d) => new DistributionInstrument(d, this.#context));
  }

  summary(name: string, options: SummaryOptions = {}): Summary {
    return this.#register('summary', name, options, (d) => new DistributionInstrument(d, this.#context));
  }

  /**
   * Writes everything aggregated since the last flush to the sink and starts a new interval.
   * Never throws; returns a promise only when the sink is asynchronous (it never rejects).
   */
  flush(): void | Promise<void> {
    let batch: MetricsBatch;
    try {
      batch = this.#collect();
    } catch (error) {
      this.#dropObservation('flush', DROP_REASONS.internalError, `Metrics: flush failed: ${String(error)}`);
      return;
    }
    if (batch.series.length === 0) return;
    const failed = (error: unknown) => {
      this.#kitCounter('maif_obs_dropped_observations_total').inc(
        { reason: DROP_REASONS.sinkError },
        batch.series.length,
      );
      this.warnOnce('sink', `Metrics: the sink failed, ${batch.series.length} series were dropped: ${String(error)}`);
    };
    try {
      const written = this.#sink.write(batch);
      if (written !== undefined && typeof written.then === 'function') return written.then(undefined, failed);
    } catch (error) {
      failed(error);
    }
  }

  /** The Prometheus text exposition of every series: counters and histograms cumulative since start. */
  toPrometheus(): string {
    const kit = [this.#droppedSeries, this.#droppedObservations].filter((i) => i !== undefined);
    return renderPrometheus([...this.#instruments.values(), ...kit]);
  }

  /** Emits `message` through the `warn` option the first time `key` is seen. */
  warnOnce(key: string, message: string): void {
    if (this.#warned.has(key)) return;
    this.#warned.add(key);
    try {
      this.#warn(message);
    } catch {
      // A failing warn function must not turn a dropped data point into an exception.
    }
  }

  #collect(): MetricsBatch {
    const series: EmfSeries[] = [];
    const instruments = [...this.#instruments.values()];
    for (const instrument of instruments) drainInto(series, instrument);
    // Kit counters last: they include what the instruments above dropped in this flush.
    for (const kit of [this.#droppedSeries, this.#droppedObservations]) if (kit) drainInto(series, kit);
    return {
      namespace: this.namespace,
      timestamp: Date.now(),
      series,
      rollup: this.#rollup,
      onDropped: (item: EmfSeries, reason: EmfDropReason) =>
        this.#dropObservation(item.name, reason, `metric '${item.name}': a value could not be written (${reason})`),
    };
  }

  #dropObservation(metric: string, reason: DropReason | EmfDropReason, message: string): void {
    this.#kitCounter('maif_obs_dropped_observations_total').inc({ reason });
    this.warnOnce(`drop:${reason}:${metric}`, message);
  }

  #kitCounter(name: 'maif_obs_dropped_series_total' | 'maif_obs_dropped_observations_total'): CounterInstrument {
    const existing = name === 'maif_obs_dropped_series_total' ? this.#droppedSeries : this.#droppedObservations;
    if (existing !== undefined) return existing;
    const entry = METRIC_CATALOG[name];
    const counter = new CounterInstrument(
      definition('counter', name, { description: entry.description, labels: entry.labels, unit: entry.unit }),
      this.#context,
    );
    if (name === 'maif_obs_dropped_series_total') this.#droppedSeries = counter;
    else this.#droppedObservations = counter;
    return counter;
  }

  #register<T extends Instrument>(
    kind: InstrumentKind,
    name: string,
    options: HistogramOptions & SummaryOptions,
    create: (definition: InstrumentDefinition) => T,
  ): T {
    const wanted = definition(kind, name, options);
    const existing = this.#instruments.get(name);
    if (existing !== undefined) {
      const have = existing.definition;
      if (have.kind !== kind || have.labels.join(',') !== wanted.labels.join(',')) {
        throw new Error(
          `metric '${name}': already registered as a ${have.kind} with labels [${have.labels.join(', ')}], not a ${kind} with labels [${wanted.labels.join(', ')}]`,
        );
      }
      return existing as T;
    }
    for (const label of wanted.labels) {
      if (label in this.defaultDimensions) {
        throw new Error(
          `metric '${name}': label '${label}' is a default dimension (default dimensions: ${Object.keys(this.defaultDimensions).join(', ')})`,
        );
      }
    }
    if (name in this.defaultDimensions) {
      throw new Error(`metric '${name}': the name is also a default dimension (EMF keeps both at the top level)`);
    }
    const dimensions = Object.keys(this.defaultDimensions).length + wanted.labels.length;
    if (dimensions > MAX_DIMENSIONS) {
      throw new Error(`metric '${name}': ${dimensions} dimensions with the default ones (at most ${MAX_DIMENSIONS})`);
    }
    const instrument = create(wanted);
    this.#instruments.set(name, instrument);
    return instrument;
  }
}

function drainInto(series: EmfSeries[], instrument: Instrument): void {
  const { name, unit, resolution } = instrument.definition;
  instrument.drain((item, value) => series.push({ name, dimensions: item.dimensions, unit, resolution, value }));
}

/** Validates an instrument's options; configuration errors throw, whatever the mode. */
function definition(
  kind: InstrumentKind,
  name: string,
  options: HistogramOptions & SummaryOptions,
): InstrumentDefinition {
  if (typeof name !== 'string' || !METRIC_NAME.test(name) || name.length > MAX_NAME_LENGTH || name === '_aws') {
    throw new Error(
      `metric name '${String(name)}' is not allowed (use [a-zA-Z_:][a-zA-Z0-9_:]*, at most 255 characters)`,
    );
  }
  const labels = options.labels ?? [];
  const seen = new Set<string>();
  for (const label of labels) {
    if (
      typeof label !== 'string' ||
      !LABEL_NAME.test(label) ||
      label.startsWith('__') ||
      label.length > MAX_NAME_LENGTH
    ) {
      throw new Error(
        `metric '${name}': label name '${String(label)}' is not allowed (use [a-zA-Z_][a-zA-Z0-9_]*, not starting with __)`,
      );
    }
    if (seen.has(label)) throw new Error(`metric '${name}': label '${label}' is declared twice`);
    if (label === name)
      throw new Error(`metric '${name}': label '${label}' has the metric's name (EMF keeps both at the top level)`);
    const reserved = kind === 'histogram' ? 'le' : kind === 'summary' ? 'quantile' : undefined;
    if (label === reserved) throw new Error(`metric '${name}': label '${label}' is reserved for ${kind}s`);
    seen.add(label);
  }
  const unit = options.unit ?? 'None';
  if (!UNITS.has(unit))
    throw new Error(`metric '${name}': unit '${unit}' is not a CloudWatch unit (e.g. Seconds, Bytes, Count, None)`);
  const resolution: StorageResolution = options.resolution ?? 60;
  if (resolution !== 1 && resolution !== 60) {
    throw new Error(`metric '${name}': resolution ${resolution} is not allowed (use 1 or 60)`);
  }
  const buckets = kind === 'histogram' ? (options.buckets ?? DEFAULT_BUCKETS) : [];
  for (let index = 0; index < buckets.length; index++) {
    if (!Number.isFinite(buckets[index]) || (index > 0 && buckets[index] <= buckets[index - 1])) {
      throw new Error(
        `metric '${name}': buckets [${buckets.join(', ')}] are not allowed (use finite, strictly increasing bounds)`,
      );
    }
  }
  const quantiles = kind === 'summary' ? (options.quantiles ?? DEFAULT_QUANTILES) : [];
  for (const q of quantiles) {
    if (!(q >= 0 && q <= 1)) throw new Error(`metric '${name}': quantile ${q} is not allowed (use 0 to 1)`);
  }
  return {
    name: cloudWatchName(name),
    kind,
    description: options.description ?? '',
    labels: [...labels],
    unit,
    resolution,
    buckets: [...buckets],
    quantiles: [...quantiles],
  };
}
