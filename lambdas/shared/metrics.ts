/**
 * The Metrics of a kit handler: CloudWatch namespace, `service` and the `environment` dimension as
 * its CDK construct sets them (the instrumentation variables MAIF_NAMESPACE, MAIF_SERVICE,
 * MAIF_ENVIRONMENT), unless the caller gives them.
 */
import { INSTRUMENTATION_ENV } from '../../layers/instrumentation/environment';
import { type LineSink, Metrics } from '../../layers/instrumentation/metrics';

export interface MetricsSettings {
  readonly namespace?: string;
  readonly service?: string;
  /** The `environment` dimension of every series. */
  readonly environment?: string;
}

/** Each of `given`'s settings, or, where it gives none, the one in `env`. */
export function metricsSettings(given: MetricsSettings = {}, env: NodeJS.ProcessEnv = process.env): MetricsSettings {
  return {
    namespace: given.namespace ?? env[INSTRUMENTATION_ENV.namespace],
    service: given.service ?? env[INSTRUMENTATION_ENV.service],
    environment: given.environment ?? env[INSTRUMENTATION_ENV.environment],
  };
}

export interface HandlerMetricsOptions extends MetricsSettings {
  /** @default 'stdout' */
  readonly sink?: 'stdout' | LineSink;
  /** @default - Metrics' own default (strict under NODE_ENV development or test) */
  readonly strict?: boolean;
}

/** A Metrics with these settings; `environment`, when set, is a default dimension. */
export function handlerMetrics(options: HandlerMetricsOptions): Metrics {
  return new Metrics({
    namespace: options.namespace,
    service: options.service,
    defaultDimensions: options.environment ? { environment: options.environment } : undefined,
    sink: options.sink,
    strict: options.strict,
  });
}
