/**
 * The monthly CloudWatch cost of a configuration, at us-east-1 list prices: custom metrics
 * (tiered), alarm metrics (standard and high resolution priced apart; an anomaly detection alarm
 * counts its metric and its two band metrics, a metric math alarm each metric it reads),
 * composite alarms and dashboards (the first 3 of an account free).
 */

import type { AlarmSpec } from '../contracts/alarm-spec';
import { ALARM_LIMITS } from '../rules/limits';
import type { EmittedMetric } from './emitted';

/** us-east-1 list prices, USD per month. */
export const CLOUDWATCH_PRICES = {
  region: 'us-east-1',
  /** Custom metrics, tiered: the first 10,000 at $0.30, the next 240,000 at $0.10 ... */
  metricTiers: [
    { metrics: 10_000, usd: 0.3 },
    { metrics: 240_000, usd: 0.1 },
    { metrics: 750_000, usd: 0.05 },
    { metrics: null, usd: 0.02 },
  ],
  /** Per alarm metric (period of 60 s or more). */
  standardAlarmMetric: 0.1,
  /** Per alarm metric with a 10 or 30 s period. */
  highResolutionAlarmMetric: 0.3,
  /** An anomaly detection alarm's band adds two metrics to the one it watches. */
  anomalyBandMetrics: 2,
  compositeAlarm: 0.5,
  dashboard: 3,
  /** Per account, shared with every other dashboard of the account. */
  freeDashboards: 3,
} as const;

/** The alarm periods under a minute, billed at the high-resolution price. */
const HIGH_RESOLUTION_PERIODS: readonly number[] = ALARM_LIMITS.HIGH_RESOLUTION_PERIODS;

export interface CostLine {
  readonly quantity: number;
  readonly monthlyUsd: number;
}

export interface CostEstimate {
  readonly prices: typeof CLOUDWATCH_PRICES;
  readonly assumptions: readonly string[];
  readonly metrics: CostLine & {
    /** At every labeled metric's cardinality limit. */
    readonly worstCaseQuantity: number;
    readonly worstCaseMonthlyUsd: number;
    /** The metrics that weigh most, largest first (at most 5). */
    readonly largest: readonly { readonly name: string; readonly cloudWatchMetrics: number }[];
  };
  readonly alarms: {
    readonly count: number;
    readonly standard: CostLine;
    readonly highResolution: CostLine;
    readonly composite: CostLine;
  };
  readonly dashboards: CostLine & { readonly free: number };
  readonly totalMonthlyUsd: number;
  readonly worstCaseTotalMonthlyUsd: number;
}

export interface CostInput {
  readonly metrics: readonly EmittedMetric[];
  readonly alarms: readonly AlarmSpec[];
  readonly compositeAlarms: number;
  readonly dashboards: number;
  /** The label range assumed when unknown (stated in the assumptions). */
  readonly assumedLabelValues: number;
  readonly maxSeriesPerMetric: number;
}

/** Cents are exact; sums of float prices are not. */
const usd = (n: number) => Math.round(n * 100) / 100;

/** The tiered monthly price of `count` custom metrics. */
export function metricsMonthlyUsd(count: number): number {
  let left = count;
  let total = 0;
  for (const tier of CLOUDWATCH_PRICES.metricTiers) {
    const here = tier.metrics === null ? left : Math.min(left, tier.metrics);
    total += here * tier.usd;
    left -= here;
    if (left <= 0) break;
  }
  return usd(total);
}

/** Metrics an alarm is billed for: each metric it reads, plus the band's two for anomaly detection. */
export function alarmMetricCount(spec: Pick<AlarmSpec, 'kind' | 'metrics'>): number {
  return spec.metrics.length + (spec.kind === 'anomaly' ? CLOUDWATCH_PRICES.anomalyBandMetrics : 0);
}

export function estimateCost(input: CostInput): CostEstimate {
  const P = CLOUDWATCH_PRICES;
  const quantity = input.metrics.reduce((n, m) => n + m.cloudWatchMetrics, 0);
  const worstCaseQuantity = input.metrics.reduce((n, m) => n + m.worstCaseCloudWatchMetrics, 0);
  let standard = 0;
  let highResolution = 0;
  for (const spec of input.alarms) {
    if (HIGH_RESOLUTION_PERIODS.includes(spec.period)) highResolution += alarmMetricCount(spec);
    else standard += alarmMetricCount(spec);
  }
  const free = Math.min(input.dashboards, P.freeDashboards);
  const metrics = metricsMonthlyUsd(quantity);
  const worstMetrics = metricsMonthlyUsd(worstCaseQuantity);
  const alarms = {
    count: input.alarms.length + input.compositeAlarms,
    standard: { quantity: standard, monthlyUsd: usd(standard * P.standardAlarmMetric) },
    highResolution: { quantity: highResolution, monthlyUsd: usd(highResolution * P.highResolutionAlarmMetric) },
    composite: { quantity: input.compositeAlarms, monthlyUsd: usd(input.compositeAlarms * P.compositeAlarm) },
  };
  const dashboards = { quantity: input.dashboards, free, monthlyUsd: usd((input.dashboards - free) * P.dashboard) };
  const fixed = alarms.standard.monthlyUsd + alarms.highResolution.monthlyUsd + alarms.composite.monthlyUsd;
  const largest = [...input.metrics]
    .sort((a, b) => b.cloudWatchMetrics - a.cloudWatchMetrics || a.name.localeCompare(b.name))
    .slice(0, 5)
    .map((m) => ({ name: m.name, cloudWatchMetrics: m.cloudWatchMetrics }));
  return {
    prices: P,
    assumptions: assumptions(input),
    metrics: {
      quantity,
      monthlyUsd: metrics,
      worstCaseQuantity,
      worstCaseMonthlyUsd: worstMetrics,
      largest,
    },
    alarms,
    dashboards,
    totalMonthlyUsd: usd(metrics + fixed + dashboards.monthlyUsd),
    worstCaseTotalMonthlyUsd: usd(worstMetrics + fixed + dashboards.monthlyUsd),
  };
}

function assumptions(input: CostInput): string[] {
  const known = new Map<string, number>();
  for (const m of input.metrics) for (const l of m.labelValues) if (l.basis) known.set(l.basis, l.values);
  const knownText = [...known].map(([label, n]) => `${label} ${n}`).join(', ');
  return [
    'one environment (the one checked); each environment is its own stack and costs as much again',
    'one CloudWatch metric per metric without labels; per labeled metric one rollup ({service, environment}) plus one per combination of label values, capped at metrics.cardinality.maxSeriesPerMetric',
    `labels of unknown range assume ${input.assumedLabelValues} values each (--label-values); unbounded ones (user_id, request_id...) are priced at the cardinality limit${knownText ? `; known ranges: ${knownText}` : ''}`,
    `worst case: every labeled metric at its cardinality limit (${input.maxSeriesPerMetric} series)`,
    "includes the metrics the kit's own Lambdas emit (health probes, log aggregator, router, heartbeat)",
    'not subtracted: the account-wide free tier of 10 metrics and 10 alarm metrics; dashboards: the first 3 of the account free',
    'not estimated: EMF log ingestion and storage ($0.50/GB ingested), GetMetricData and API calls, Logs Insights queries, X-Ray traces',
  ];
}
