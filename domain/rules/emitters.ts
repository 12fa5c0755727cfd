/**
 * Alert rules that can never fire: a rule whose alarm reads a metric nothing in this deployment
 * emits sits in INSUFFICIENT_DATA forever, and the pager stays silent while the disk fills up.
 *
 * "Emitted" is what the stack's own functions make CloudWatch receive (domain/doctor/emitted.ts,
 * scope `deployment`): the request metrics and cold starts of `instrument()`, the
 * ApplicationMonitor and business metrics the settings turn on, the health probes' `up`, log
 * processing rules' `extract_metric`, `metrics.custom`, the kit's own metrics, and system metrics
 * only when `metrics.system.lambda` makes the instrumented functions sample them. A rule with
 * `target: 'hosts'` reads metrics from hosts the kit cannot see (SystemMonitor, CloudWatch agent),
 * so it is not checked. Synth warns with each finding (lib/alerting/alarms.ts) and
 * `maif-obs doctor` reports it.
 */
import {
  APPLICATION_METRIC_SETTINGS,
  BUSINESS_METRIC_SETTINGS,
} from '../../layers/instrumentation/application-monitor';
import { METRIC_CATALOG, SAMPLED_SYSTEM_METRICS } from '../../layers/instrumentation/catalog';
import type { ResolvedConfig } from '../config';
import type { AlarmSpec } from '../contracts/alarm-spec';
import { emittedMetrics } from '../doctor/emitted';
import { type AlarmSource, compileAlerting } from './alarms';

export interface UnemittedRuleMetrics {
  /** The rule's name. */
  readonly rule: string;
  /** Where it is in the configuration: `alerting.rules[4] (disk_space_low)`. */
  readonly subject: string;
  /** The metrics the rule's alarm reads that nothing in this deployment emits, in the order read. */
  readonly metrics: readonly string[];
  /** `alert rule 'disk_space_low': disk_usage is emitted by nothing in this deployment`. */
  readonly message: string;
  /** What to change, one clause per metric. */
  readonly fix: string;
}

/** The `metrics.application` / `metrics.business` setting that turns a catalog metric on, if any. */
function settingOf(metric: string): string | undefined {
  const tables = [
    ['metrics.application', APPLICATION_METRIC_SETTINGS],
    ['metrics.business', BUSINESS_METRIC_SETTINGS],
  ] as const;
  for (const [where, table] of tables) {
    for (const [group, settings] of Object.entries(table)) {
      for (const [setting, names] of Object.entries(settings)) {
        if ((names as readonly string[]).includes(metric)) return `${where}.${group}.${setting}`;
      }
    }
  }
  return undefined;
}

const HOSTS_FIX = "or set target: 'hosts' if hosts running the SystemMonitor or the CloudWatch agent emit it";

/** How to make `metric` emitted: the setting that turns it on, or `target: 'hosts'`. */
function fixFor(metric: string): string {
  const entry = Object.hasOwn(METRIC_CATALOG, metric)
    ? METRIC_CATALOG[metric as keyof typeof METRIC_CATALOG]
    : undefined;
  if (entry?.group === 'system') {
    return (SAMPLED_SYSTEM_METRICS as readonly string[]).includes(metric)
      ? `turn on metrics.system.lambda so instrumented functions sample ${metric}, ${HOSTS_FIX}`
      : `instrumented functions sample only ${SAMPLED_SYSTEM_METRICS.join(' and ')}: set target: 'hosts' if hosts running the SystemMonitor emit ${metric}`;
  }
  if (metric === 'up' || metric === 'probe_duration_seconds') {
    return `add a health probe to healthChecks.targets (it emits ${metric}), ${HOSTS_FIX}`;
  }
  if (metric === 'operation_duration_seconds' || metric === 'performance_threshold_breaches_total') {
    return `turn on tracing.performance.detailedTiming (PerformanceTracer emits ${metric}), ${HOSTS_FIX}`;
  }
  if (metric === 'performance_baseline_seconds') {
    return `add alerting.baselines (the baseline monitor emits ${metric}), ${HOSTS_FIX}`;
  }
  const setting = settingOf(metric);
  if (setting !== undefined) return `turn on ${setting} (it emits ${metric}), ${HOSTS_FIX}`;
  return `declare ${metric} in metrics.custom or extract it with a logging.processingRules extract_metric rule, ${HOSTS_FIX}`;
}

/**
 * For each alert rule (`alerting.rules`) without `target: 'hosts'`, the metrics its compiled
 * alarm reads that nothing in this deployment emits; rules reading only emitted metrics are left
 * out. `alerting` is what `compileAlerting(config)` returned, when the caller has it already.
 */
export function unemittedRuleMetrics(
  config: ResolvedConfig,
  alerting: {
    readonly specs: readonly AlarmSpec[];
    readonly sources: ReadonlyMap<string, AlarmSource>;
  } = compileAlerting(config),
): UnemittedRuleMetrics[] {
  const emitted = new Set(emittedMetrics(config, { scope: 'deployment' }).map((m) => m.name));
  const out: UnemittedRuleMetrics[] = [];
  for (const spec of alerting.specs) {
    const source = alerting.sources.get(spec.ruleName);
    if (source?.section !== 'rules') continue;
    const rule = config.alerting.rules[source.index];
    if (rule === undefined || rule.target === 'hosts') continue;
    const missing = [...new Set(spec.metrics.map((m) => m.metricName))].filter((name) => !emitted.has(name));
    if (missing.length === 0) continue;
    out.push({
      rule: rule.name,
      subject: `alerting.rules[${source.index}] (${rule.name})`,
      metrics: missing,
      message: `alert rule '${rule.name}': ${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} emitted by nothing in this deployment, so its alarm can never fire`,
      fix: missing.map(fixFor).join('; '),
    });
  }
  return out;
}
