/**
 * The doctor's checks beyond the golden signals, each a pure function of the resolved
 * configuration and what the compilers made of it: metric labels, timing kinds, runbooks, SLOs
 * and alerts on causes. Escalation has its own module (escalation.ts).
 */
import { METRIC_CATALOG } from '../../layers/instrumentation/catalog';
import type { ResolvedConfig } from '../config';
import type { AlarmSpec } from '../contracts/alarm-spec';
import type { AlarmSource } from '../rules/alarms';
import { unemittedRuleMetrics } from '../rules/emitters';
import { type EmittedMetric, TIME_UNITS, UNBOUNDED_LABEL_RE } from './emitted';
import type { Finding } from './findings';
import { alarmSubjects } from './signals';

/** Other identifiers: bounded only if the set of things identified is small. */
const IDENTIFIER_LABEL_RE = /(^|_)(id|uuid|guid)$/i;

const usd = (n: number) => `$${n.toLocaleString('en-US', { maximumFractionDigits: 0 })}`;

/** Labels that make a metric one CloudWatch metric per user or request (error), or may (warning). */
export function checkLabels(emitted: readonly EmittedMetric[], maxSeriesPerMetric: number): Finding[] {
  const findings: Finding[] = [];
  for (const m of emitted) {
    for (const label of m.labels) {
      const unbounded = UNBOUNDED_LABEL_RE.test(label);
      if (!unbounded && !IDENTIFIER_LABEL_RE.test(label)) continue;
      const where = m.source === 'log-rule' ? 'dimensions' : 'labels';
      findings.push({
        id: 'high-cardinality-label',
        severity: unbounded ? 'error' : 'warning',
        subject: `${m.subject} ${where}`,
        message: unbounded
          ? `label '${label}' of metric '${m.name}' takes one value per ${label.replace(/_?(id|uuid|address)s?$/i, '') || 'item'}: each value is a CloudWatch metric at $0.30 a month, ${usd(maxSeriesPerMetric * 0.3)} a month at the cardinality limit (${maxSeriesPerMetric} series), and the series beyond it are dropped`
          : `label '${label}' of metric '${m.name}' is an identifier: each value is a CloudWatch metric at $0.30 a month (fine for a few dozen values, costly for thousands)`,
        fix: `remove '${label}' from ${where} and log it instead (log fields and trace annotations carry ids at no metric cost); group by a bounded label if needed (user_type, not user_id)`,
      });
    }
  }
  return findings;
}

const TIMING_NAME_RE = /duration|latency|response_time|elapsed|(_seconds|_ms|_milliseconds)$/;

/** Timings declared as gauges, counters of single values or summaries: they should be histograms. */
export function checkTimings(emitted: readonly EmittedMetric[]): Finding[] {
  const findings: Finding[] = [];
  for (const m of emitted) {
    if (m.source !== 'custom' || m.kind === 'histogram') continue;
    if (!TIME_UNITS.includes(m.unit) && !TIMING_NAME_RE.test(m.name)) continue;
    // A `_total` counter of seconds is accumulated time (cpu_seconds_total), not a timing.
    if (m.kind === 'counter' && m.name.endsWith('_total')) continue;
    const why =
      m.kind === 'summary'
        ? 'a summary computes its quantiles in each process: they cannot be combined across Lambdas or periods'
        : m.kind === 'gauge'
          ? 'a gauge keeps one value per period: the tail (p95, p99) is lost'
          : 'a counter adds timings up: the distribution is lost';
    findings.push({
      id: 'timing-not-histogram',
      severity: 'warning',
      subject: m.subject,
      message: `'${m.name}' is a timing kept as a ${m.kind}: ${why}`,
      fix: "declare it with kind: 'histogram' (the kit sends the whole distribution as EMF values and counts; CloudWatch computes any percentile from it)",
    });
  }
  return findings;
}

/** Alert rules with no runbook (the schema's `runbook` field of alerting.rules). */
export function checkRunbooks(config: Pick<ResolvedConfig, 'alerting'>): Finding[] {
  return config.alerting.rules
    .map((rule, i) => ({ rule, i }))
    .filter(({ rule }) => rule.runbook === undefined)
    .map(({ rule, i }) => ({
      id: 'alert-without-runbook' as const,
      severity: 'warning' as const,
      subject: `alerting.rules[${i}] (${rule.name})`,
      message: `alert rule '${rule.name}' (${rule.severity}) has no runbook: whoever it reaches gets no first step`,
      fix: `add runbook: 'https://…/runbooks/${rule.name}' (what to check first, how to mitigate, who owns it); notifications link it`,
    }));
}

export function checkSlos(config: Pick<ResolvedConfig, 'alerting'>): Finding[] {
  if (config.alerting.slos.length > 0) return [];
  return [
    {
      id: 'no-slo',
      severity: 'warning',
      subject: 'alerting.slos',
      message: 'no service level objective: alerts have no error budget to page on',
      fix: "add { name: 'availability', sli: 'availability', objective: '99.9%' } to alerting.slos (burn-rate alarms page at 14.4x and 6x, open tickets at 3x and 1x)",
    },
  ];
}

/** Causes: resource metrics (the catalog's system group) and custom metrics named after a resource. */
const CAUSE_NAME_RE = /^(cpu|mem|memory|disk|swap|heap|gc|load|inode|fd|file_descriptors)(_|$)/;

function isCause(name: string): boolean {
  const entry = Object.hasOwn(METRIC_CATALOG, name) ? METRIC_CATALOG[name as keyof typeof METRIC_CATALOG] : undefined;
  return entry ? entry.group === 'system' : CAUSE_NAME_RE.test(name);
}

/** Critical alarms whose every subject metric is a cause. */
export function checkCauses(specs: readonly AlarmSpec[], pathOf: (ruleName: string) => string): Finding[] {
  const findings: Finding[] = [];
  for (const spec of specs) {
    if (spec.severity !== 'critical') continue;
    const subjects = alarmSubjects(spec).map((m) => m.metricName);
    if (subjects.length === 0 || !subjects.every(isCause)) continue;
    findings.push({
      id: 'alert-on-cause',
      severity: 'warning',
      subject: pathOf(spec.ruleName),
      message: `'${spec.ruleName}' pages (critical) on ${[...new Set(subjects)].join(', ')}, a cause: high ${subjects[0]} may hurt no user, and users may hurt while it is low`,
      fix: "page on symptoms, ticket on causes: make it severity: 'warning' and page on what users see (error rate, latency, an SLO burn rate)",
    });
  }
  return findings;
}

/** Alert rules over metrics nothing in this deployment emits (the same check synth warns with). */
export function checkUnemittedMetrics(
  config: ResolvedConfig,
  alerting: { readonly specs: readonly AlarmSpec[]; readonly sources: ReadonlyMap<string, AlarmSource> },
): Finding[] {
  return unemittedRuleMetrics(config, alerting).map((u) => ({
    id: 'alert-on-unemitted-metric',
    severity: 'warning',
    subject: u.subject,
    message: u.message,
    fix: u.fix,
  }));
}

/** Where each compiled alarm comes from in the configuration, as a finding's subject. */
export function alarmPaths(
  config: Pick<ResolvedConfig, 'alerting' | 'realtime'>,
  sources: ReadonlyMap<string, AlarmSource>,
): (ruleName: string) => string {
  return (ruleName) => {
    const source = sources.get(ruleName);
    switch (source?.section) {
      case 'rules':
        return `alerting.rules[${source.index}] (${ruleName})`;
      case 'realtime':
        return `realtime.alerts[${source.index}] (${config.realtime.alerts[source.index]?.metric})`;
      case 'baselines':
        return `alerting.baselines.${source.baseline}`;
      case 'slos':
        return `alerting.slos[${source.index}] (${config.alerting.slos[source.index]?.name})`;
      default:
        return ruleName;
    }
  };
}
