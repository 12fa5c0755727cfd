/**
 * The MAIF monitoring guide's real-time metric names, each as PromQL over the metric catalog.
 * They run at 10 s periods, so the metrics behind them must be emitted at high resolution
 * (resolution: 1).
 */
import { METRIC_CATALOG } from '../../layers/instrumentation/catalog';
import type { MetricDefinitions } from './translate';

export interface DashboardTarget {
  /** A PromQL expression (see the supported subset in the dashboards guide). */
  readonly expr: string;
  /** Legend of the line. @default the expression */
  readonly legend?: string;
}

export interface RealtimeMetric {
  readonly title: string;
  readonly expr: string;
  readonly legend: string;
}

export const REALTIME_METRICS = {
  current_active_users: { title: 'Active users', expr: 'active_users', legend: 'Active users' },
  requests_per_second: {
    title: 'Requests per second',
    expr: 'rate(http_requests_total[10s])',
    legend: 'Requests/sec',
  },
  average_response_time: {
    title: 'Average response time',
    // Sum / SampleCount of the duration distribution: the mean, in seconds.
    expr: 'http_request_duration_seconds_sum / http_request_duration_seconds_count',
    legend: 'Mean (s)',
  },
  error_rate: {
    title: 'Error rate',
    expr: '100 * http_request_errors_total / http_requests_total',
    legend: 'Errors (%)',
  },
  cpu_utilization: { title: 'CPU utilization', expr: 'cpu_utilization', legend: 'CPU (%)' },
  memory_usage: { title: 'Memory usage', expr: 'memory_usage', legend: 'Memory (%)' },
  // All TCP connections, summed over their states.
  active_connections: { title: 'Active connections', expr: 'sum(network_connections)', legend: 'Connections' },
  // The one-minute load average is the CPU run queue's length.
  queue_length: { title: 'Queue length', expr: 'load_average_1m', legend: 'Run queue' },
} as const satisfies Record<string, RealtimeMetric>;

export type RealtimeMetricName = keyof typeof REALTIME_METRICS;

/**
 * The panel of one real-time metric name: a declared custom gauge or counter of that name wins
 * (the guide declares `active_connections` as a custom gauge), then REALTIME_METRICS; undefined
 * for anything else.
 */
export function realtimePanel(
  name: string,
  metrics: MetricDefinitions,
): { title: string; targets: DashboardTarget[] } | undefined {
  const known = Object.hasOwn(REALTIME_METRICS, name) ? REALTIME_METRICS[name as RealtimeMetricName] : undefined;
  const custom = Object.hasOwn(metrics, name) && !Object.hasOwn(METRIC_CATALOG, name) ? metrics[name] : undefined;
  const title = known?.title ?? name;
  if (custom?.kind === 'gauge') return { title, targets: [{ expr: name, legend: name }] };
  if (custom?.kind === 'counter') return { title, targets: [{ expr: `rate(${name}[10s])`, legend: `${name}/sec` }] };
  if (!known) return undefined;
  const m: RealtimeMetric = REALTIME_METRICS[name as RealtimeMetricName];
  return { title: m.title, targets: [{ expr: m.expr, legend: m.legend }] };
}
