/** Instruments created from their catalog entry: the one place kinds, units and labels are read. */
import { type CatalogMetricName, METRIC_CATALOG, type MetricKind } from '../catalog';
import type { Counter, Gauge, Histogram, HistogramOptions, MetricsApi, Summary } from '../types';

type NamesOfKind<K extends string> = {
  [N in CatalogMetricName]: (typeof METRIC_CATALOG)[N]['kind'] extends K ? N : never;
}[CatalogMetricName];

export type CounterName = NamesOfKind<'counter'>;
export type GaugeName = NamesOfKind<'gauge'>;
export type HistogramName = NamesOfKind<'histogram'>;

function optionsOf(name: CatalogMetricName) {
  const entry = METRIC_CATALOG[name];
  return { description: entry.description, labels: entry.labels, unit: entry.unit };
}

export const catalogCounter = (metrics: MetricsApi, name: CounterName): Counter =>
  metrics.counter(name, optionsOf(name));

export const catalogGauge = (metrics: MetricsApi, name: GaugeName): Gauge => metrics.gauge(name, optionsOf(name));

export const catalogHistogram = (
  metrics: MetricsApi,
  name: HistogramName,
  buckets?: HistogramOptions['buckets'],
): Histogram => metrics.histogram(name, { ...optionsOf(name), buckets });

/** Any catalog metric, by its kind. */
export function catalogInstrument(
  metrics: MetricsApi,
  name: CatalogMetricName,
  buckets?: HistogramOptions['buckets'],
): Counter | Gauge | Histogram | Summary {
  switch (METRIC_CATALOG[name].kind as MetricKind) {
    case 'counter':
      return metrics.counter(name, optionsOf(name));
    case 'gauge':
      return metrics.gauge(name, optionsOf(name));
    case 'histogram':
      return metrics.histogram(name, { ...optionsOf(name), buckets });
    case 'summary':
      return metrics.summary(name, optionsOf(name));
  }
}
