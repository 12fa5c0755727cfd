/**
 * The demo service's telemetry, set up once per execution environment the way a MAIF team sets up
 * the kit: one Metrics, Logger, Tracer and ApplicationMonitor, and the `instrument()` wrapper.
 * Namespace, service, environment, log level and trace sampling come from the MAIF_* environment
 * that `instrumentFunction` sets on the function.
 *
 * Built on the handler's first invocation, not at import: every environment loads the one service
 * bundle with all three handlers and runs one of them, so import-time telemetry would build two
 * unused sets and count them in each cold start's Init Duration.
 *
 * The metrics behind the configuration's real-time views and alerts (10 s alarm periods) are
 * registered first at high resolution, so the middleware and the monitor get those instruments.
 */
import {
  ApplicationMonitor,
  type Handler,
  type HistogramOptions,
  instrument,
  type LambdaContextLike,
  Logger,
  METRIC_CATALOG,
  Metrics,
  Tracer,
} from '../../layers/instrumentation/index';

/**
 * The catalog metrics this service emits that `highResolutionMetrics(config)` lists for the
 * example configuration (its `realtime.metrics` and `realtime.alerts`).
 */
export const HIGH_RESOLUTION_METRICS = [
  'http_requests_total',
  'http_request_errors_total',
  'http_request_duration_seconds',
  'active_users',
] as const satisfies readonly (keyof typeof METRIC_CATALOG)[];

export interface ServiceTelemetry {
  readonly logger: Logger;
  readonly tracer: Tracer;
  readonly app: ApplicationMonitor;
}

function registerHighResolution(metrics: Metrics): void {
  for (const name of HIGH_RESOLUTION_METRICS) {
    const entry = METRIC_CATALOG[name];
    const options: HistogramOptions = {
      description: entry.description,
      labels: entry.labels,
      unit: entry.unit,
      resolution: 1,
    };
    if (entry.kind === 'counter') metrics.counter(name, options);
    else if (entry.kind === 'gauge') metrics.gauge(name, options);
    else metrics.histogram(name, options);
  }
}

/**
 * A handler whose request metrics carry `operation`, wrapped by `instrument()` (request metrics,
 * `## <operation>` span, cold start, error capture, flush). `build` makes the handler from its
 * telemetry; both are built on the first invocation, the environment's cold start.
 */
export function serviceHandler<TEvent, TResult>(
  operation: string,
  build: (telemetry: ServiceTelemetry) => Handler<TEvent, TResult>,
): (event: TEvent, context: LambdaContextLike) => Promise<TResult> {
  let handler: ((event: TEvent, context: LambdaContextLike) => Promise<TResult>) | undefined;
  return (event, context) => {
    if (handler === undefined) {
      const metrics = new Metrics();
      registerHighResolution(metrics);
      const tracer = new Tracer();
      const logger = new Logger({ traceContext: () => tracer.currentIds() });
      const app = new ApplicationMonitor({ metrics, logger });
      handler = instrument({ metrics, logger, tracer, operation })(build({ logger, tracer, app }));
    }
    return handler(event, context);
  };
}
