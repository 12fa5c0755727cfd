/**
 * The baseline monitor Lambda: on a schedule, learns each configured performance baseline from
 * the last 7 days (GetMetricData, hourly values of the baseline's statistic, the median of them),
 * publishes it as `performance_baseline_seconds{metric=<name>}` (EMF) for the regression alarms,
 * and compares the last 15 minutes with it: when current > baseline / factor (the MAIF monitoring
 * guide's `current_performance < baseline * 0.8`, performance = 1 / latency) it puts a
 * `MAIF Alert` on the kit's bus, the same event the log aggregator's trigger_alert raises.
 */

import { CloudWatchClient, GetMetricDataCommand, type MetricDataQuery } from '@aws-sdk/client-cloudwatch';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { BaselineMonitorConfig, BaselineTarget } from '../../domain/contracts/baseline';
import { KIT_ENV } from '../../domain/contracts/environment';
import { fingerprintOf, type KitAlertDetail, MAX_ALERT_SUMMARY_CHARS } from '../../domain/contracts/events';
import { METRIC_CATALOG } from '../../layers/instrumentation/catalog';
import type { LineSink } from '../../layers/instrumentation/metrics';
import type { Gauge, MetricsApi } from '../../layers/instrumentation/types';
import { AlertPublisher } from '../shared/alert-publisher';
import { bundledConfig } from '../shared/bundled-config';
import { handlerMetrics, metricsSettings } from '../shared/metrics';

/** One baseline: the series it measures (a CloudWatch metric and statistic) and its configured value. */
export interface BaselineMonitorDeps {
  /** @default - a CloudWatchClient for the function's region */
  readonly cloudWatch?: CloudWatchClient;
  /** @default - an EventBridgeClient for the function's region, created on the first regression */
  readonly eventBridge?: EventBridgeClient;
  /** @default Date.now */
  readonly now?: () => number;
  /** Receives each EMF line. @default - stdout */
  readonly metricsSink?: LineSink;
  readonly metrics?: MetricsApi;
  /** @default - MAIF_NAMESPACE, read once */
  readonly namespace?: string;
  /** @default - MAIF_SERVICE, read once */
  readonly service?: string;
  /** @default - MAIF_ENVIRONMENT, read once */
  readonly environment?: string;
  /** @default - MAIF_EVENT_BUS_NAME, read once */
  readonly eventBusName?: string;
  readonly sleep?: (ms: number) => Promise<void>;
}

export const HISTORY_SECONDS = 7 * 24 * 3600;
export const HISTORY_PERIOD_SECONDS = 3600;
/** The current window, as the regression alarms read it (REGRESSION_PERIOD_SECONDS). */
export const CURRENT_WINDOW_SECONDS = 900;
/** Fewer hourly values than this (one day) and the configured value stays the baseline. */
export const MIN_BASELINE_HOURS = 24;
/** GetMetricData's limit of queries per request. */
export const MAX_QUERIES_PER_REQUEST = 500;

export interface BaselineResult {
  readonly name: string;
  /** Seconds. */
  readonly baseline: number;
  readonly source: 'learned' | 'static';
  /** Hourly values the baseline was learned from. */
  readonly hours: number;
  /** The last 15 minutes, seconds; undefined without data. */
  readonly current?: number;
  readonly regressed: boolean;
  /** Why the alert could not be put on the bus. */
  readonly alertError?: string;
}

export interface BaselineSummary {
  readonly results: readonly BaselineResult[];
  readonly errors: readonly string[];
}

export type BaselineHandler = (event?: unknown) => Promise<BaselineSummary>;

/** The median of the values (the mean of the middle two for an even count). */
export function median(values: readonly number[]): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function warn(message: string): void {
  process.stderr.write(`${JSON.stringify({ level: 'WARN', event: 'maif_obs_baseline_warning', message })}\n`);
}

function query(id: string, t: BaselineTarget, period: number): MetricDataQuery {
  return {
    Id: id,
    ReturnData: true,
    MetricStat: {
      Metric: {
        Namespace: t.namespace,
        MetricName: t.metricName,
        Dimensions: Object.entries(t.dimensions).map(([Name, Value]) => ({ Name, Value })),
      },
      Period: period,
      Stat: t.stat,
    },
  };
}

/** Every page of GetMetricData, values by query id as [timestamp ms, value] pairs. */
async function getMetricData(
  client: CloudWatchClient,
  queries: readonly MetricDataQuery[],
  start: Date,
  end: Date,
): Promise<Map<string, [number, number][]>> {
  const out = new Map<string, [number, number][]>();
  for (let i = 0; i < queries.length; i += MAX_QUERIES_PER_REQUEST) {
    let token: string | undefined;
    do {
      const page = await client.send(
        new GetMetricDataCommand({
          MetricDataQueries: queries.slice(i, i + MAX_QUERIES_PER_REQUEST),
          StartTime: start,
          EndTime: end,
          ScanBy: 'TimestampDescending',
          NextToken: token,
        }),
      );
      for (const r of page.MetricDataResults ?? []) {
        if (r.Id === undefined) continue;
        const list = out.get(r.Id) ?? [];
        (r.Values ?? []).forEach((v, j) => {
          const t = r.Timestamps?.[j];
          if (t !== undefined && Number.isFinite(v)) list.push([t.getTime(), v]);
        });
        out.set(r.Id, list);
      }
      token = page.NextToken;
    } while (token);
  }
  return out;
}

export function createHandler(config: BaselineMonitorConfig, deps: BaselineMonitorDeps = {}): BaselineHandler {
  const settings = metricsSettings(deps);
  const service = settings.service ?? 'unknown';
  const environment = settings.environment;
  const eventBusName = deps.eventBusName ?? process.env[KIT_ENV.eventBusName];
  const now = deps.now ?? Date.now;
  const cloudWatch = deps.cloudWatch ?? new CloudWatchClient({});
  let publisher: AlertPublisher | undefined;
  let metrics: MetricsApi | undefined;
  let gauge: Gauge | undefined;
  try {
    metrics = deps.metrics ?? handlerMetrics({ ...settings, service, sink: deps.metricsSink ?? 'stdout' });
    const entry = METRIC_CATALOG.performance_baseline_seconds;
    gauge = metrics.gauge('performance_baseline_seconds', {
      labels: entry.labels,
      unit: entry.unit,
      description: entry.description,
    });
  } catch (error) {
    warn(`metrics unavailable, baselines are not published: ${String(error)}`);
  }

  return async () => {
    const errors: string[] = [];
    const end = Math.floor(now() / 60_000) * 60_000;
    const historyEnd = Math.floor(end / 3_600_000) * 3_600_000;
    const targets = config.baselines;
    let history = new Map<string, [number, number][]>();
    let current = new Map<string, [number, number][]>();
    try {
      history = await getMetricData(
        cloudWatch,
        targets.map((t, i) => query(`h${i}`, t, HISTORY_PERIOD_SECONDS)),
        new Date(historyEnd - HISTORY_SECONDS * 1000),
        new Date(historyEnd),
      );
    } catch (error) {
      errors.push(`GetMetricData (7 days): ${String(error)}`);
    }
    try {
      current = await getMetricData(
        cloudWatch,
        targets.map((t, i) => query(`c${i}`, t, CURRENT_WINDOW_SECONDS)),
        new Date(end - CURRENT_WINDOW_SECONDS * 1000),
        new Date(end),
      );
    } catch (error) {
      errors.push(`GetMetricData (current window): ${String(error)}`);
    }

    const alerts: { index: number; detail: KitAlertDetail }[] = [];
    const results: BaselineResult[] = targets.map((t, i) => {
      const hourly = (history.get(`h${i}`) ?? []).map(([, v]) => v);
      const learned = hourly.length >= MIN_BASELINE_HOURS ? median(hourly) : undefined;
      const baseline = learned ?? t.staticSeconds;
      const latest = (current.get(`c${i}`) ?? []).sort((a, b) => b[0] - a[0])[0]?.[1];
      const factor = config.regression?.factor;
      const regressed = factor !== undefined && latest !== undefined && baseline > 0 && latest > baseline / factor;
      if (learned !== undefined) gauge?.set({ metric: t.name }, learned);
      if (regressed && config.regression) {
        const labels = {
          service,
          ...(environment ? { environment } : {}),
          baseline: t.name,
          alert: config.regression.name,
          action: config.regression.action,
        };
        alerts.push({
          index: i,
          detail: {
            alertName: config.regression.name,
            severity: 'warning',
            labels,
            summary:
              `${config.regression.name}: ${t.name} is ${round(latest)}s over the last 15 minutes, baseline ${round(baseline)}s (${learned !== undefined ? 'learned' : 'configured'}); alert above ${round(baseline / factor)}s`.slice(
                0,
                MAX_ALERT_SUMMARY_CHARS,
              ),
            rule: `${t.name}_regression`,
            event: {
              metric: t.metricName,
              stat: t.stat,
              current: latest,
              baseline,
              factor,
              hours: hourly.length,
              window: end,
            },
            fingerprint: fingerprintOf(config.regression.name, labels),
            occurrences: 1,
          },
        });
      }
      return {
        name: t.name,
        baseline,
        source: learned !== undefined ? 'learned' : 'static',
        hours: hourly.length,
        ...(latest !== undefined ? { current: latest } : {}),
        regressed,
      };
    });

    try {
      await metrics?.flush();
    } catch (error) {
      warn(`baselines not published: ${String(error)}`);
    }
    if (alerts.length > 0) {
      publisher ??= new AlertPublisher({
        eventBridge: deps.eventBridge ?? new EventBridgeClient({}),
        eventBusName,
        ...(deps.sleep ? { sleep: deps.sleep } : {}),
      });
      const time = new Date(end).toISOString();
      const failures = await publisher.publish(alerts.map((a) => ({ detail: a.detail, time })));
      for (const [k, reason] of failures) {
        const r = results[alerts[k].index];
        results[alerts[k].index] = { ...r, alertError: reason };
        errors.push(`regression alert for ${r.name} not sent: ${reason}`);
      }
    }
    for (const e of errors) warn(e);
    return { results, errors };
  };
}

function round(n: number): number {
  return Number(n.toPrecision(4));
}

let lazy: BaselineHandler | undefined;

/** The Lambda entry point: the configuration bundled by the CDK, environment read on first call. */
export const handler: BaselineHandler = async (event) => {
  lazy ??= createHandler(bundledConfig<BaselineMonitorConfig>('baseline'));
  return lazy(event);
};
