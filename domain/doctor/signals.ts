/**
 * The four golden signals (latency, traffic, errors, saturation): which metrics measure each,
 * and whether each is covered end to end: a metric the kit emits, a dashboard panel whose
 * PromQL reads it and an alarm (alert rule, real-time alert, baseline or SLO) on it.
 */
import type { CatalogMetricName } from '../../layers/instrumentation/catalog';
import type { AlarmSpec, MetricRef } from '../contracts/alarm-spec';
import type { CompiledDashboard } from '../dashboards/model';
import { mathIds, parseMath } from '../languages/metric-math';
import { type EmittedMetric, TIME_UNITS } from './emitted';
import type { Finding } from './findings';

export const GOLDEN_SIGNALS = ['latency', 'traffic', 'errors', 'saturation'] as const;
export type GoldenSignal = (typeof GOLDEN_SIGNALS)[number];

/** The catalog's metrics of each signal. */
const CATALOG_SIGNALS: Readonly<Record<GoldenSignal, readonly CatalogMetricName[]>> = {
  latency: [
    'http_request_duration_seconds',
    'search_duration_seconds',
    'artifact_creation_duration_seconds',
    'embedding_generation_duration_seconds',
    'index_update_duration_seconds',
    'operation_duration_seconds',
    'probe_duration_seconds',
  ],
  traffic: [
    'http_requests_total',
    'search_queries_total',
    'artifacts_created_total',
    'artifacts_accessed_total',
    'embeddings_generated_total',
    'storage_operations_total',
  ],
  errors: ['http_request_errors_total'],
  saturation: [
    'cpu_utilization',
    'load_average_1m',
    'memory_usage',
    'memory_available_bytes',
    'swap_usage',
    'disk_usage',
    'network_connections',
  ],
};

/** Custom and log-rule metrics, by name, kind and unit (errors win over traffic: failed_requests_total). */
const NAME_RULES: readonly { signal: GoldenSignal; test: (m: SignalMetric) => boolean }[] = [
  { signal: 'errors', test: (m) => /error|fail|fault|exception|5xx/.test(m.name) },
  {
    signal: 'latency',
    test: (m) =>
      m.kind !== 'counter' && (TIME_UNITS.includes(m.unit) || /duration|latency|response_time|elapsed/.test(m.name)),
  },
  {
    signal: 'traffic',
    test: (m) =>
      m.kind === 'counter' && /request|quer(y|ies)|call|message|event|transaction|processed|invocation/.test(m.name),
  },
  {
    signal: 'saturation',
    test: (m) =>
      m.kind === 'gauge' &&
      /utiliz|usage|saturation|queue|connections|pool|capacity|in_?flight|concurren|backlog|pending/.test(m.name),
  },
];

export type SignalMetric = Pick<EmittedMetric, 'name' | 'kind' | 'unit' | 'source'>;

/** The signal a metric measures, if any. */
export function signalOf(metric: SignalMetric): GoldenSignal | undefined {
  if (metric.source === 'catalog' || metric.source === 'kit') {
    return GOLDEN_SIGNALS.find((s) => (CATALOG_SIGNALS[s] as readonly string[]).includes(metric.name));
  }
  return NAME_RULES.find((r) => r.test(metric))?.signal;
}

const SEARCH_METRIC_RE = /MetricName="([^"]+)"/g;
const SERVER_ERROR_FILTER_RE = /status_class="5xx"/;

/** Metric names a panel reads, and whether it reads server errors through a `status_class="5xx"` SEARCH. */
function panelReads(panel: CompiledDashboard['panels'][number]): { names: Set<string>; serverErrors: boolean } {
  const names = new Set<string>();
  let serverErrors = false;
  for (const q of panel.queries) {
    for (const m of q.metrics) names.add(m.metricName);
    for (const match of (q.expression ?? '').matchAll(SEARCH_METRIC_RE)) names.add(match[1] as string);
    if (SERVER_ERROR_FILTER_RE.test(q.expression ?? '')) serverErrors = true;
  }
  return { names, serverErrors };
}

/**
 * The metrics an alarm is about. A metric read only as a divisor (the requests under an error
 * ratio, the baseline under a regression) is context, not the subject: `100 * m1 / m2` alarms
 * on errors, not on traffic.
 */
export function alarmSubjects(spec: Pick<AlarmSpec, 'metrics' | 'expression'>): MetricRef[] {
  const text = spec.expression?.expression;
  if (text === undefined) return [...spec.metrics];
  const read = mathIds(parseMath(text), { outsideDivisors: true });
  return spec.metrics.filter((m) => read.has(m.id));
}

interface FixText {
  readonly metric: string;
  readonly panel: (m: EmittedMetric) => string;
  readonly alert: (m: EmittedMetric) => string;
}

const percentileOf = (m: EmittedMetric) =>
  m.kind === 'histogram' ? `histogram_quantile(0.95, ${m.name}_bucket)` : m.name;

const FIXES: Readonly<Record<GoldenSignal, FixText>> = {
  latency: {
    metric:
      'turn on metrics.application.requests.duration (http_request_duration_seconds), or declare a histogram in metrics.custom',
    panel: (m) => `add a panel { title: 'Latency p95', type: 'graph', targets: [{ expr: '${percentileOf(m)}' }] }`,
    alert: (m) =>
      `add a latency SLO (alerting.slos: { name: 'latency', sli: 'latency', objective: '99%', latencyThreshold: '1s' }) or a rule { name: 'high_latency', condition: 'p95(${m.name}) > 2s', duration: '10m', severity: 'warning' }`,
  },
  traffic: {
    metric: 'turn on metrics.application.requests.rate (http_requests_total), or declare a counter in metrics.custom',
    panel: (m) => `add a panel { title: 'Traffic', type: 'graph', targets: [{ expr: 'rate(${m.name}[5m])' }] }`,
    alert: (m) =>
      `add a rule that fires when traffic stops, e.g. { name: 'no_traffic', condition: 'rate(${m.name}) < 0.01', duration: '15m', severity: 'warning' }`,
  },
  errors: {
    metric: 'turn on metrics.application.requests.error_rate (http_request_errors_total)',
    panel: (m) => `add a panel { title: 'Errors', type: 'graph', targets: [{ expr: 'rate(${m.name}[5m])' }] }`,
    alert: () =>
      "add an availability SLO (alerting.slos: { name: 'availability', sli: 'availability', objective: '99.9%' }) or a rule { name: 'high_error_rate', condition: 'error_rate > 5%', duration: '5m', severity: 'warning' }",
  },
  saturation: {
    metric:
      'turn on metrics.system.cpu.utilization or metrics.system.memory.usage, or declare a gauge in metrics.custom',
    panel: (m) => `add a panel { title: 'Saturation', type: 'graph', targets: [{ expr: '${m.name}' }] }`,
    alert: (m) =>
      `add a rule { name: '${m.name}_high', condition: '${m.name} > 90${m.unit === 'Percent' ? '%' : ''}', duration: '15m', severity: 'warning' } (a ticket, not a page: saturation is a cause)`,
  },
};

export interface SignalInputs {
  readonly emitted: readonly EmittedMetric[];
  /** undefined when the dashboards do not compile (reported apart). */
  readonly dashboards: readonly CompiledDashboard[] | undefined;
  /** undefined when the alerting does not compile (reported apart). */
  readonly alarms: readonly AlarmSpec[] | undefined;
}

/** One finding per signal and missing piece: no metric (error), no panel or no alert (warnings). */
export function checkGoldenSignals(input: SignalInputs): Finding[] {
  const findings: Finding[] = [];
  for (const signal of GOLDEN_SIGNALS) {
    const subject = `golden signal ${signal}`;
    const metrics = input.emitted.filter((m) => signalOf(m) === signal);
    const first = metrics[0];
    if (first === undefined) {
      findings.push({
        id: 'golden-signal-missing',
        severity: 'error',
        subject,
        message: `no metric the kit emits measures ${signal} (the ${signal} signal cannot be seen or alerted on)`,
        fix: FIXES[signal].metric,
      });
      continue;
    }
    const names = new Set(metrics.map((m) => m.name));
    const listed = [...names].join(', ');
    if (input.dashboards !== undefined) {
      const shown = input.dashboards.some((d) =>
        d.panels.some((p) => {
          const reads = panelReads(p);
          return [...reads.names].some((n) => names.has(n)) || (signal === 'errors' && reads.serverErrors);
        }),
      );
      if (!shown) {
        findings.push({
          id: 'golden-signal-missing',
          severity: 'warning',
          subject,
          message: `no dashboard panel reads a ${signal} metric (${listed})`,
          fix: FIXES[signal].panel(first),
        });
      }
    }
    if (input.alarms !== undefined) {
      const alerted = input.alarms.some((a) =>
        alarmSubjects(a).some(
          (m) => names.has(m.metricName) || (signal === 'errors' && m.dimensions.status_class === '5xx'),
        ),
      );
      if (!alerted) {
        findings.push({
          id: 'golden-signal-missing',
          severity: 'warning',
          subject,
          message: `no alert rule, real-time alert, baseline or SLO alarms on a ${signal} metric (${listed})${signal === 'traffic' ? '; a metric read only as the divisor of a ratio does not count' : ''}`,
          fix: FIXES[signal].alert(first),
        });
      }
    }
  }
  return findings;
}
