/**
 * What `maif-obs doctor` reports: findings (a best practice the configuration misses, with its
 * fix) and their severities. Errors fail the command (exit code 1); warnings and infos do not.
 */

export const FINDING_SEVERITIES = ['error', 'warning', 'info'] as const;
export type FindingSeverity = (typeof FINDING_SEVERITIES)[number];

export const FINDING_IDS = [
  /** A golden signal (latency, traffic, errors, saturation) lacks a metric, a dashboard panel or an alert. */
  'golden-signal-missing',
  /** A metric label takes one value per user, request, session...: one CloudWatch metric per value. */
  'high-cardinality-label',
  /** A timing kept as a gauge or a summary: no percentile across instances. */
  'timing-not-histogram',
  /** An alert rule without a runbook. */
  'alert-without-runbook',
  /** No service level objective. */
  'no-slo',
  /** A critical (paging) alert on a cause (cpu, memory, disk) rather than a symptom. */
  'alert-on-cause',
  /** An alert rule reads a metric nothing in the deployment emits: its alarm can never fire. */
  'alert-on-unemitted-metric',
  /** A critical alert that no routing rule escalates. */
  'critical-without-escalation',
  /** Part of the configuration does not compile (synth would fail); the checks that need it are skipped. */
  'config-does-not-compile',
] as const;
export type FindingId = (typeof FINDING_IDS)[number];

export interface Finding {
  readonly id: FindingId;
  readonly severity: FindingSeverity;
  /** The rule, metric or field path concerned: `alerting.rules[1] (system_down)`, `golden signal traffic`. */
  readonly subject: string;
  readonly message: string;
  /** What to change, concretely. */
  readonly fix: string;
}

export interface FindingSummary {
  readonly errors: number;
  readonly warnings: number;
  readonly infos: number;
}

export function summarize(findings: readonly Finding[]): FindingSummary {
  const count = (severity: FindingSeverity) => findings.filter((f) => f.severity === severity).length;
  return { errors: count('error'), warnings: count('warning'), infos: count('info') };
}

/** Errors first, then warnings, then infos; the checks' order within a severity. */
export function sortFindings(findings: readonly Finding[]): Finding[] {
  const rank = (f: Finding) => FINDING_SEVERITIES.indexOf(f.severity);
  return findings
    .map((f, i) => ({ f, i }))
    .sort((a, b) => rank(a.f) - rank(b.f) || a.i - b.i)
    .map(({ f }) => f);
}
