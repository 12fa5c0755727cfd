/**
 * The health probe Lambda: on a schedule, probes every configured target in parallel and emits
 * `up` (1/0) and `probe_duration_seconds` per target as EMF, which the `system_down` rule of the
 * MAIF monitoring guide (`up == 0` for 1m) alerts on. A failing target is a result, never an
 * exception.
 */
import { LambdaClient } from '@aws-sdk/client-lambda';
import { METRIC_CATALOG } from '../../layers/instrumentation/catalog';
import type { LineSink } from '../../layers/instrumentation/metrics';
import type { Gauge, MetricsApi } from '../../layers/instrumentation/types';
import { bundledConfig } from '../shared/bundled-config';
import { handlerMetrics, metricsSettings } from '../shared/metrics';
import { type FetchLike, type ProbeResult, type ProbeTarget, probe } from './probe';

export type { FetchLike, HttpsProbeTarget, LambdaProbeTarget, ProbeResult, ProbeTarget } from './probe';

/** The configuration the CDK bundles: `healthChecks.targets` of the resolved config. */
export interface HealthProbeConfig {
  readonly targets: readonly ProbeTarget[];
}

export interface HealthProbeDeps {
  /** @default - a LambdaClient for the function's own region, created on the first Lambda target */
  readonly lambdaClient?: LambdaClient;
  /** @default - the global fetch */
  readonly fetch?: FetchLike;
  /** Receives each EMF line. @default - stdout, where Lambda hands it to CloudWatch */
  readonly metricsSink?: LineSink;
  /** The kit's Metrics, used instead of one built from the three settings below. */
  readonly metrics?: MetricsApi;
  /** @default - MAIF_NAMESPACE, read once */
  readonly namespace?: string;
  /** @default - MAIF_SERVICE, read once */
  readonly service?: string;
  /** The `environment` dimension. @default - MAIF_ENVIRONMENT, read once */
  readonly environment?: string;
}

export interface ProbeSummary {
  readonly results: readonly ProbeResult[];
}

export type HealthProbeHandler = (event?: unknown) => Promise<ProbeSummary>;

function warn(message: string): void {
  process.stderr.write(`${JSON.stringify({ level: 'WARN', event: 'maif_obs_health_probe_warning', message })}\n`);
}

export function createHandler(config: HealthProbeConfig, deps: HealthProbeDeps = {}): HealthProbeHandler {
  const targets = [...config.targets];
  let metrics: MetricsApi | undefined;
  let up: Gauge | undefined;
  let duration: Gauge | undefined;
  try {
    metrics = deps.metrics ?? handlerMetrics({ ...metricsSettings(deps), sink: deps.metricsSink ?? 'stdout' });
    const { up: upEntry, probe_duration_seconds: durationEntry } = METRIC_CATALOG;
    up = metrics.gauge('up', { labels: upEntry.labels, unit: upEntry.unit, description: upEntry.description });
    duration = metrics.gauge('probe_duration_seconds', {
      labels: durationEntry.labels,
      unit: durationEntry.unit,
      description: durationEntry.description,
    });
  } catch (error) {
    // Telemetry never stops the probe: results are still returned (and logged below).
    warn(`metrics unavailable, probing without them: ${String(error)}`);
  }

  let lambdaClient = deps.lambdaClient;
  const probeDeps = {
    fetch: deps.fetch ?? (globalThis.fetch as unknown as FetchLike),
    lambdaClient: () => {
      lambdaClient ??= new LambdaClient({});
      return lambdaClient;
    },
  };

  return async () => {
    const results = await Promise.all(targets.map((target) => probe(target, probeDeps)));
    try {
      for (const r of results) {
        up?.set({ target: r.target }, r.up ? 1 : 0);
        duration?.set({ target: r.target }, r.durationMs / 1000);
      }
      await metrics?.flush();
    } catch (error) {
      warn(`metrics not written: ${String(error)}`);
    }
    for (const r of results) {
      if (!r.up) warn(`target '${r.target}' is down: ${r.error ?? 'unknown reason'}`);
    }
    return { results };
  };
}

let lazy: HealthProbeHandler | undefined;

/** The Lambda entry point: the configuration bundled by the CDK, environment read on first call. */
export const handler: HealthProbeHandler = async (event) => {
  lazy ??= createHandler(bundledConfig<HealthProbeConfig>('health-probe'));
  return lazy(event);
};
