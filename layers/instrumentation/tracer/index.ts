export { type CaptureHost, captureAWSv3Client, captureFetch, type FetchLike } from './capture';
export {
  type ConsoleExporterOptions,
  consoleExporter,
  type ExporterConfig,
  type ExporterStats,
  type ExportersFromConfigOptions,
  exportersFromConfig,
  type TraceExporter,
  type ZipkinExporterOptions,
  zipkinExporter,
} from './exporters';
export {
  B3_HEADERS,
  type B3MultiHeaders,
  formatB3Multi,
  formatB3Single,
  formatJaeger,
  formatTraceparent,
  formatTraceState,
  formatXRayHeader,
  MAX_TRACESTATE_MEMBERS,
  parseB3Multi,
  parseB3Single,
  parseJaeger,
  parseTraceparent,
  parseTraceState,
  parseXRayHeader,
  type SamplingOnly,
  type TraceContext,
} from './formats';
export {
  isValidSpanId,
  isValidTraceId,
  isValidXRayTraceId,
  newSpanId,
  newTraceId,
  w3cToXRayTraceId,
  xrayToW3CTraceId,
} from './ids';
export {
  checkFormats,
  DEFAULT_PROPAGATION_FORMATS,
  extract,
  type HeaderSource,
  type HeaderTarget,
  headerGetter,
  inject,
  PROPAGATION_FORMATS,
  type PropagationFormat,
  propagationHeaderNames,
  TRACE_HEADERS,
} from './propagation';
export {
  checkSamplingRates,
  DEFAULT_RESERVOIR_PER_SECOND,
  DEFAULT_SAMPLING_RATES,
  LocalSampler,
  localSamplingRules,
  parseSamplingEnv,
  SAMPLING_PRIORITIES,
  SAMPLING_PRIORITY_ANNOTATION,
  SAMPLING_URL_PREFIX,
  type SamplingPriority,
  type SamplingRates,
  samplingUrlPath,
} from './sampling';
export {
  isAnnotationValue,
  MAX_ANNOTATIONS_PER_SPAN,
  NoopSpan,
  type SpanFlag,
  sanitizeAnnotationKey,
  type TracerSpan,
} from './span';
export { type OpenedSpan, type SpanOptions, Tracer, type TracerOptions } from './tracer';
export type { ZipkinKind, ZipkinSpan } from './zipkin-span';
