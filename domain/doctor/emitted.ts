/**
 * The metrics a configuration makes the kit emit, each with its kind, unit, labels, the setting
 * that turns it on, and how many CloudWatch metrics it becomes: the inventory behind the golden
 * signal checks, the label checks and the cost estimate.
 *
 * Every metric lands under the rollup dimension set { service, environment } and, when it has
 * labels, once more per combination of label values (layers/instrumentation/metrics/emf.ts):
 * 1 CloudWatch metric without labels, 1 + (values of label 1 x values of label 2 ...) with,
 * the combinations capped at metrics.cardinality.maxSeriesPerMetric.
 */
import {
  APPLICATION_METRIC_SETTINGS,
  BUSINESS_METRIC_SETTINGS,
} from '../../layers/instrumentation/application-monitor';
import {
  type CatalogMetricName,
  METRIC_CATALOG,
  type MetricKind,
  SAMPLED_SYSTEM_METRICS,
  TCP_STATES,
} from '../../layers/instrumentation/catalog';
import { FIELD_METRICS, type SystemMetricField } from '../../layers/instrumentation/system-monitor';
import type { ResolvedConfig } from '../config';

export type MetricSource = 'catalog' | 'custom' | 'log-rule' | 'kit';

export interface EmittedMetric {
  readonly name: string;
  readonly kind: MetricKind;
  /** A CloudWatch unit (Seconds, Count, Percent, None...). */
  readonly unit: string;
  readonly labels: readonly string[];
  readonly source: MetricSource;
  /** The setting that turns it on: `metrics.application.requests.rate`, `metrics.custom[0]`. */
  readonly subject: string;
  /** Values assumed per label, and why: `status_class: 3`, `operation: 5 (assumed)`. */
  readonly labelValues: readonly LabelValues[];
  /** CloudWatch metrics under the assumptions: 1 rollup + the label value combinations (capped). */
  readonly cloudWatchMetrics: number;
  /** At the cardinality limit: 1 + maxSeriesPerMetric when it has labels. */
  readonly worstCaseCloudWatchMetrics: number;
}

export interface LabelValues {
  readonly label: string;
  readonly values: number;
  /** true when the range is not known and `assumedLabelValues` stands in. */
  readonly assumed: boolean;
  /** Where a known range comes from: the label (`status_class`) or the metric's label (`up.target`). */
  readonly basis?: string;
}

export interface EmittedOptions {
  /** Values assumed for a label whose range the kit does not know. @default 5 */
  readonly assumedLabelValues?: number;
  /**
   * Which metrics count:
   * - `settings`: every metric the settings turn on, system metrics included, whoever emits
   *   them (a SystemMonitor on a host, say): the inventory the cost estimate prices;
   * - `deployment`: what the stack's own functions emit: the request metrics instrument() records
   *   whatever the settings say, and of the system metrics only those the functions sample when
   *   `metrics.system.lambda` is on. The alert rule check (domain/rules/emitters.ts) reads this.
   * @default 'settings'
   */
  readonly scope?: 'settings' | 'deployment';
}

export const DEFAULT_ASSUMED_LABEL_VALUES = 5;

/** The CloudWatch units of a timing. */
export const TIME_UNITS: readonly string[] = ['Seconds', 'Milliseconds', 'Microseconds'];

/** Labels with one value per user, request, session...: unbounded, so priced at the cardinality limit. */
export const UNBOUNDED_LABEL_RE =
  /^(user|customer|account|session|request|trace|span|correlation|transaction|order|message|event|device|visitor|invocation|execution|aws_request)_?(id|uuid)s?$|^(id|uuid|guid|email|e_?mail_address|ip|ip_address|client_ip|remote_addr|url|uri|timestamp)$/i;

type Config = Pick<ResolvedConfig, 'metrics' | 'tracing' | 'healthChecks' | 'alerting' | 'logging'>;

/** Label ranges the kit knows, by `metric.label` or by label: a count, or one read from the configuration. */
const KNOWN_LABEL_VALUES: Readonly<Record<string, number | ((config: Config) => number)>> = {
  // status_class is 2xx, 4xx or 5xx (the catalog's description).
  status_class: 3,
  // disk reads/writes, network received/sent.
  direction: 2,
  'storage_operations_total.operation': 2,
  'storage_bytes_total.operation': 2,
  // minor, major.
  'page_faults_total.type': 2,
  // accuracy, completeness, consistency.
  'data_quality_score.check': 3,
  // The TCP states SystemMonitor reports.
  'network_connections.state': TCP_STATES.length,
  // SystemMonitor's mounts: '/' and, on Lambda, '/tmp'.
  'disk_usage.mount': 2,
  // received, processed, dead_lettered.
  'maif_obs_log_events_total.outcome': 3,
  'performance_threshold_breaches_total.threshold': (c) => Object.keys(c.tracing.performance.thresholds).length,
  'up.target': (c) => c.healthChecks.targets.length,
  'probe_duration_seconds.target': (c) => c.healthChecks.targets.length,
  'performance_baseline_seconds.metric': (c) => Object.keys(c.alerting.baselines).length,
};

/** What instrument() records on every invocation whatever the metric settings say (requestMetrics is on by default). */
const MIDDLEWARE_METRICS: readonly CatalogMetricName[] = [
  'http_requests_total',
  'http_request_errors_total',
  'http_request_duration_seconds',
];

/** Catalog metrics emitted whatever the metric settings say: by the middleware, the kit's own Lambdas. */
const ALWAYS_EMITTED: readonly { readonly name: CatalogMetricName; readonly subject: string }[] = [
  { name: 'cold_starts_total', subject: 'instrument() middleware' },
  ...(Object.keys(METRIC_CATALOG) as CatalogMetricName[])
    .filter((name) => METRIC_CATALOG[name].group === 'kit')
    .map((name) => ({ name, subject: "the kit's own health" })),
];

/** A metric before its label values and CloudWatch counts are worked out. */
type Draft = Pick<EmittedMetric, 'name' | 'kind' | 'unit' | 'labels' | 'source' | 'subject'>;

/** `{ group: { setting: bool } }` of the resolved configuration -> metrics turned on, with their setting's path. */
function fromSettings(
  where: string,
  table: Readonly<Record<string, Readonly<Record<string, readonly CatalogMetricName[]>>>>,
  flags: Readonly<Record<string, Readonly<Record<string, boolean>>>>,
): Draft[] {
  const out: Draft[] = [];
  for (const [group, settings] of Object.entries(table)) {
    for (const [setting, names] of Object.entries(settings)) {
      if (flags[group]?.[setting] === false) continue;
      for (const name of names) out.push(catalogDraft(name, `${where}.${group}.${setting}`));
    }
  }
  return out;
}

function catalogDraft(name: CatalogMetricName, subject: string, source: MetricSource = 'catalog'): Draft {
  const entry = METRIC_CATALOG[name];
  return { name, kind: entry.kind, unit: entry.unit, labels: entry.labels, source, subject };
}

function systemDrafts(config: Config, scope: 'settings' | 'deployment'): Draft[] {
  if (scope === 'deployment') {
    return config.metrics.system.lambda
      ? SAMPLED_SYSTEM_METRICS.map((name) => catalogDraft(name, 'metrics.system.lambda'))
      : [];
  }
  const flags = config.metrics.system as unknown as Readonly<Record<string, Readonly<Record<string, boolean>>>>;
  const out: Draft[] = [];
  for (const [field, names] of Object.entries(FIELD_METRICS) as [SystemMetricField, readonly CatalogMetricName[]][]) {
    const [group, setting] = field.split('.') as [string, string];
    if (flags[group]?.[setting] === false) continue;
    for (const name of names) out.push(catalogDraft(name, `metrics.system.${field}`));
  }
  return out;
}

function logRuleDrafts(config: Config): Draft[] {
  const out: Draft[] = [];
  config.logging.processingRules.forEach((rule, i) => {
    if (rule.action !== 'extract_metric') return;
    out.push({
      name: rule.metric,
      // A rule with a value observes a distribution; without, it counts events.
      kind: rule.value === undefined ? 'counter' : 'histogram',
      unit: rule.unit,
      labels: (rule.dimensions ?? []).map((d) => d.split('.').pop() as string),
      source: 'log-rule',
      subject: `logging.processingRules[${i}] (${rule.name})`,
    });
  });
  return out;
}

function labelValuesOf(draft: Draft, config: Config, assumed: number): LabelValues[] {
  const cap = config.metrics.cardinality.maxSeriesPerMetric;
  return draft.labels.map((label) => {
    if (UNBOUNDED_LABEL_RE.test(label)) return { label, values: cap, assumed: false, basis: `${label} (unbounded)` };
    const specific = `${draft.name}.${label}`;
    const basis = Object.hasOwn(KNOWN_LABEL_VALUES, specific)
      ? specific
      : Object.hasOwn(KNOWN_LABEL_VALUES, label)
        ? label
        : undefined;
    if (basis === undefined) return { label, values: assumed, assumed: true };
    const known = KNOWN_LABEL_VALUES[basis] as number | ((config: Config) => number);
    return { label, values: typeof known === 'number' ? known : known(config), assumed: false, basis };
  });
}

/** Every metric the configuration makes the kit emit, once each (the first setting that turns it on names it). */
export function emittedMetrics(config: Config, options: EmittedOptions = {}): EmittedMetric[] {
  const assumed = options.assumedLabelValues ?? DEFAULT_ASSUMED_LABEL_VALUES;
  const scope = options.scope ?? 'settings';
  const cap = config.metrics.cardinality.maxSeriesPerMetric;
  const drafts: Draft[] = [
    ...fromSettings(
      'metrics.application',
      APPLICATION_METRIC_SETTINGS,
      config.metrics.application as Readonly<Record<string, Readonly<Record<string, boolean>>>>,
    ),
    ...(scope === 'deployment' ? MIDDLEWARE_METRICS.map((name) => catalogDraft(name, 'instrument() middleware')) : []),
    ...systemDrafts(config, scope),
    ...fromSettings(
      'metrics.business',
      BUSINESS_METRIC_SETTINGS,
      config.metrics.business as Readonly<Record<string, Readonly<Record<string, boolean>>>>,
    ),
    ...(config.tracing.performance.detailedTiming
      ? [
          catalogDraft('operation_duration_seconds', 'tracing.performance.detailedTiming'),
          catalogDraft('performance_threshold_breaches_total', 'tracing.performance.detailedTiming'),
        ]
      : []),
    ...(config.healthChecks.targets.length > 0
      ? [catalogDraft('up', 'healthChecks.targets'), catalogDraft('probe_duration_seconds', 'healthChecks.targets')]
      : []),
    ...(Object.keys(config.alerting.baselines).length > 0
      ? [catalogDraft('performance_baseline_seconds', 'alerting.baselines')]
      : []),
    ...ALWAYS_EMITTED.map(({ name, subject }) => catalogDraft(name, subject, 'kit')),
    ...config.metrics.custom.map(
      (m, i): Draft => ({
        name: m.name,
        kind: m.kind,
        unit: m.unit ?? (m.kind === 'counter' ? 'Count' : 'None'),
        labels: m.labels,
        source: 'custom',
        subject: `metrics.custom[${i}] (${m.name})`,
      }),
    ),
    ...logRuleDrafts(config),
  ];
  const seen = new Set<string>();
  const out: EmittedMetric[] = [];
  for (const draft of drafts) {
    if (seen.has(draft.name)) continue;
    seen.add(draft.name);
    const labelValues = labelValuesOf(draft, config, assumed);
    const combinations = labelValues.reduce((n, l) => n * l.values, 1);
    const labeled = draft.labels.length > 0;
    out.push({
      ...draft,
      labelValues,
      cloudWatchMetrics: labeled ? 1 + Math.min(combinations, cap) : 1,
      worstCaseCloudWatchMetrics: labeled ? 1 + cap : 1,
    });
  }
  return out;
}
