export {
  type CloudWatchSink,
  type CloudWatchSinkOptions,
  type CommandSender,
  cloudWatchSink,
  DEFAULT_INTERVAL_MS,
  MIN_INTERVAL_MS,
  toPutMetricData,
} from './cloudwatch-sink';
export {
  BUCKETS_PER_OCTAVE,
  bucketBounds,
  Distribution,
  type DistributionValue,
  quantile,
  RELATIVE_ACCURACY,
} from './distribution';
export { type EmfDropReason, type EmfOptions, type EmfSeries, serializeEmf } from './emf';
export {
  DEFAULT_CARDINALITY_WARNING_THRESHOLD,
  DEFAULT_MAX_SERIES_PER_METRIC,
  DROP_REASONS,
  type DropReason,
  MAX_DIMENSION_VALUE_LENGTH,
  MAX_DIMENSIONS,
  MAX_DOCUMENT_BYTES,
  MAX_METRICS_PER_DOCUMENT,
  MAX_VALUES_PER_DATUM,
  MAX_VALUES_PER_METRIC,
} from './limits';
export { DEFAULT_BUCKETS, DEFAULT_NAMESPACE, DEFAULT_QUANTILES, Metrics, type MetricsOptions } from './metrics';
export { type LineSink, lineSink, type MetricsBatch, type MetricsSink, stdoutSink } from './sinks';
