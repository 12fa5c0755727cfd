/**
 * The aggregator's metric output: counts and values per (metric, dimensions) aggregated over one
 * invocation, written as EMF lines at the end of it. `MetricRecorder` is what the handler needs;
 * `metricsApiRecorder` adapts the kit's `Metrics` (layers/instrumentation) and `EmfRecorder` is a
 * dependency-free writer with the same output conventions.
 */
import type { MetricsApi, MetricUnit } from '../../layers/instrumentation/types';

export interface MetricRecorder {
  count(metric: string, unit: MetricUnit, dimensions: Readonly<Record<string, string>>, by: number): void;
  observe(metric: string, unit: MetricUnit, dimensions: Readonly<Record<string, string>>, value: number): void;
  flush(): void | Promise<void>;
}

/** EMF limit: values per metric array. */
const MAX_VALUES_PER_METRIC = 100;

interface Series {
  readonly metric: string;
  readonly unit: MetricUnit;
  readonly dimensions: Readonly<Record<string, string>>;
  count: number;
  /** value -> occurrences, for observed metrics */
  values: Map<number, number> | undefined;
}

/** A minimal EMF writer: one document per series and flush, values in the Values/Counts form. */
export class EmfRecorder implements MetricRecorder {
  readonly #namespace: string;
  readonly #service: string;
  readonly #write: (line: string) => void;
  readonly #now: () => number;
  #series = new Map<string, Series>();

  constructor(options: { namespace: string; service: string; write: (line: string) => void; now?: () => number }) {
    this.#namespace = options.namespace;
    this.#service = options.service;
    this.#write = options.write;
    this.#now = options.now ?? Date.now;
  }

  #get(metric: string, unit: MetricUnit, dimensions: Readonly<Record<string, string>>): Series {
    // concatenation, not JSON.stringify: this runs once per extracted observation
    let key = metric;
    for (const name in dimensions) key += `\u0000${name}\u0001${dimensions[name]}`;
    let series = this.#series.get(key);
    if (series === undefined) {
      series = { metric, unit, dimensions, count: 0, values: undefined };
      this.#series.set(key, series);
    }
    return series;
  }

  count(metric: string, unit: MetricUnit, dimensions: Readonly<Record<string, string>>, by: number): void {
    this.#get(metric, unit, dimensions).count += by;
  }

  observe(metric: string, unit: MetricUnit, dimensions: Readonly<Record<string, string>>, value: number): void {
    const series = this.#get(metric, unit, dimensions);
    series.values ??= new Map();
    series.values.set(value, (series.values.get(value) ?? 0) + 1);
  }

  flush(): void {
    const timestamp = this.#now();
    for (const s of this.#series.values()) {
      const dimensionNames = ['service', ...Object.keys(s.dimensions).filter((d) => d !== 'service')];
      const base = {
        _aws: {
          Timestamp: timestamp,
          CloudWatchMetrics: [
            { Namespace: this.#namespace, Dimensions: [dimensionNames], Metrics: [{ Name: s.metric, Unit: s.unit }] },
          ],
        },
        service: this.#service,
        ...s.dimensions,
      };
      if (s.values === undefined) {
        this.#write(JSON.stringify({ ...base, [s.metric]: s.count }));
        continue;
      }
      const entries = [...s.values];
      for (let i = 0; i < entries.length; i += MAX_VALUES_PER_METRIC) {
        const chunk = entries.slice(i, i + MAX_VALUES_PER_METRIC);
        this.#write(
          JSON.stringify({ ...base, [s.metric]: { Values: chunk.map((e) => e[0]), Counts: chunk.map((e) => e[1]) } }),
        );
      }
    }
    this.#series = new Map();
  }
}

/** Records through the kit's `Metrics` (counters and histograms declared on first use). */
export function metricsApiRecorder(metrics: MetricsApi): MetricRecorder {
  const counters = new Map<string, ReturnType<MetricsApi['counter']>>();
  const histograms = new Map<string, ReturnType<MetricsApi['histogram']>>();
  return {
    count(metric, unit, dimensions, by) {
      let counter = counters.get(metric);
      if (counter === undefined) {
        counter = metrics.counter(metric, { unit, labels: Object.keys(dimensions) });
        counters.set(metric, counter);
      }
      counter.inc(dimensions, by);
    },
    observe(metric, unit, dimensions, value) {
      let histogram = histograms.get(metric);
      if (histogram === undefined) {
        histogram = metrics.histogram(metric, { unit, labels: Object.keys(dimensions) });
        histograms.set(metric, histogram);
      }
      histogram.observe(dimensions, value);
    },
    flush: () => metrics.flush(),
  };
}
