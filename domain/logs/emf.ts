/**
 * The aggregator's metric output: counts and values per (metric, dimensions) aggregated over one
 * invocation, written as EMF lines at the end of it by the kit's own `Metrics`
 * (layers/instrumentation), so every EMF guarantee (limits, splitting, rollup) holds here too.
 */
import type { MetricsApi, MetricUnit } from '../../layers/instrumentation/types';

export interface MetricRecorder {
  count(metric: string, unit: MetricUnit, dimensions: Readonly<Record<string, string>>, by: number): void;
  observe(metric: string, unit: MetricUnit, dimensions: Readonly<Record<string, string>>, value: number): void;
  flush(): void | Promise<void>;
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
