/**
 * The contracts between the modules of the instrumentation core. Each module implements its
 * own part; the others depend only on these shapes, so the pieces stay swappable and testable.
 */

/** Label values by label name. Names must have been declared when the instrument was created. */
export type Labels = Readonly<Record<string, string>>;

/** CloudWatch units accepted in EMF and PutMetricData. */
export const METRIC_UNITS = [
  'Seconds',
  'Microseconds',
  'Milliseconds',
  'Bytes',
  'Kilobytes',
  'Megabytes',
  'Gigabytes',
  'Terabytes',
  'Bits',
  'Kilobits',
  'Megabits',
  'Gigabits',
  'Terabits',
  'Percent',
  'Count',
  'Bytes/Second',
  'Kilobytes/Second',
  'Megabytes/Second',
  'Gigabytes/Second',
  'Terabytes/Second',
  'Bits/Second',
  'Kilobits/Second',
  'Megabits/Second',
  'Gigabits/Second',
  'Terabits/Second',
  'Count/Second',
  'None',
] as const;

export type MetricUnit = (typeof METRIC_UNITS)[number];

/** 60 = standard resolution, 1 = high resolution (per-second, enables 10 s alarm periods). */
export type StorageResolution = 1 | 60;

export interface MetricInstrumentOptions {
  readonly description?: string;
  /** Label names, declared up front. A label not declared here is rejected at the call. */
  readonly labels?: readonly string[];
  readonly unit?: MetricUnit;
  /** @default 60 */
  readonly resolution?: StorageResolution;
}

export interface HistogramOptions extends MetricInstrumentOptions {
  /** Bucket upper bounds for the Prometheus exposition. EMF always carries the full distribution. */
  readonly buckets?: readonly number[];
}

export interface SummaryOptions extends MetricInstrumentOptions {
  /** Quantiles reported in the Prometheus exposition, e.g. [0.5, 0.9, 0.99]. */
  readonly quantiles?: readonly number[];
}

export interface Counter {
  readonly name: string;
  /** Adds `by` (default 1, must be finite and >= 0) to the series picked by `labels`. */
  inc(labels?: Labels, by?: number): void;
}

export interface Gauge {
  readonly name: string;
  /** Keeps the last value set between flushes. `set(value)` for a metric without labels. */
  set(labels: Labels | undefined, value: number): void;
  set(value: number): void;
}

export interface Histogram {
  readonly name: string;
  observe(labels: Labels | undefined, value: number): void;
  observe(value: number): void;
}

export type Summary = Histogram;

/** What the other modules need from `Metrics`. */
export interface MetricsApi {
  readonly namespace: string;
  readonly service: string;
  counter(name: string, options?: MetricInstrumentOptions): Counter;
  gauge(name: string, options?: MetricInstrumentOptions): Gauge;
  histogram(name: string, options?: HistogramOptions): Histogram;
  summary(name: string, options?: SummaryOptions): Summary;
  /** Writes everything aggregated since the last flush to the sink; never throws. */
  flush(): void | Promise<void>;
}

export const LOG_LEVELS = ['DEBUG', 'INFO', 'WARN', 'ERROR', 'CRITICAL', 'SILENT'] as const;

export type LogLevel = (typeof LOG_LEVELS)[number];

/** Structured fields of one log line (the MAIF monitoring guide's log schema; anything else lands in `metadata`). */
export type LogFields = Record<string, unknown>;

/** What the other modules need from `Logger`. */
export interface LoggerApi {
  debug(event: string, fields?: LogFields): void;
  info(event: string, fields?: LogFields): void;
  warn(event: string, fields?: LogFields): void;
  error(event: string, fields?: LogFields): void;
  critical(event: string, fields?: LogFields): void;
  child(bound: LogFields): LoggerApi;
}

/** Scalar types X-Ray indexes as annotations. */
export type AnnotationValue = string | number | boolean;

export interface Span {
  readonly name: string;
  readonly traceId: string | undefined;
  readonly spanId: string | undefined;
  /** Indexed, searchable in X-Ray (string, number, boolean). */
  setAnnotation(key: string, value: AnnotationValue): void;
  /** Not indexed; any JSON value. */
  setMetadata(key: string, value: unknown, namespace?: string): void;
  recordError(error: unknown): void;
  end(): void;
}

/** What the other modules need from `Tracer`. */
export interface TracerApi {
  /** The span active in the current async context, if any. */
  activeSpan(): Span | undefined;
  startActiveSpan<T>(name: string, fn: (span: Span) => T): T;
  /** Trace and span ids of the current context, for log correlation. */
  currentIds(): { traceId?: string; spanId?: string };
}
