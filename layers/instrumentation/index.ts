/**
 * maif-observability: the instrumentation core, the package's main entry point and the body
 * of the Lambda layer. Importing it has no side effects: no timers, no network, no env probes.
 */
export {
  APPLICATION_METRIC_SETTINGS,
  type ApplicationMetricsConfig,
  ApplicationMonitor,
  type ApplicationMonitorOptions,
  BUSINESS_METRIC_SETTINGS,
  type DataQualityCheck,
} from './application-monitor';
export { type CatalogEntry, type CatalogMetricName, METRIC_CATALOG, type MetricKind } from './catalog';
export {
  type InvocationContext,
  type LogDestination,
  Logger,
  type LoggerOptions,
  type LogMethod,
  type RedactOptions,
  type RedactPattern,
  type TraceIds,
} from './logger';
export {
  type CloudWatchSink,
  type CloudWatchSinkOptions,
  cloudWatchSink,
  Distribution,
  type DistributionValue,
  type EmfSeries,
  lineSink,
  MAX_DIMENSIONS,
  MAX_DOCUMENT_BYTES,
  MAX_METRICS_PER_DOCUMENT,
  MAX_VALUES_PER_METRIC,
  Metrics,
  type MetricsOptions,
  type MetricsSink,
  quantile,
  RELATIVE_ACCURACY,
  serializeEmf,
  stdoutSink,
} from './metrics';
export {
  type Handler,
  type Instrumentation,
  type InstrumentOptions,
  instrument,
  type LambdaContextLike,
  type MiddyRequestLike,
} from './middleware';
export {
  type PerformanceMeasurement,
  type PerformanceThresholds,
  PerformanceTracer,
  type PerformanceTracerOptions,
  THRESHOLD_NAMES,
  type ThresholdName,
  tracePerformance,
} from './performance';
export {
  SYSTEM_METRIC_SETTINGS,
  type SystemMetricsConfig,
  SystemMonitor,
  type SystemMonitorOptions,
  type SystemSample,
} from './system-monitor';
export {
  captureAWSv3Client,
  captureFetch,
  DEFAULT_SAMPLING_RATES,
  extract,
  inject,
  type OpenedSpan,
  PROPAGATION_FORMATS,
  type PropagationFormat,
  parseTraceparent,
  parseXRayHeader,
  SAMPLING_PRIORITIES,
  type SamplingPriority,
  type SamplingRates,
  type SpanOptions,
  type TraceContext,
  Tracer,
  type TracerOptions,
  type TracerSpan,
  w3cToXRayTraceId,
  xrayToW3CTraceId,
} from './tracer';
export type {
  AnnotationValue,
  Counter,
  Gauge,
  Histogram,
  HistogramOptions,
  InstrumentOptions as MetricInstrumentOptions,
  Labels,
  LogFields,
  LoggerApi,
  LogLevel,
  MetricsApi,
  MetricUnit,
  Span,
  StorageResolution,
  Summary,
  SummaryOptions,
  TracerApi,
} from './types';
