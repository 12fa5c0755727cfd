/** The doctor's human output: findings grouped by severity, each with its fix, then the cost table. */
import { CLOUDWATCH_PRICES, type CostEstimate } from './cost';
import type { DoctorReport } from './doctor';
import { FINDING_SEVERITIES, type FindingSeverity } from './findings';

const HEADINGS: Readonly<Record<FindingSeverity, string>> = { error: 'ERRORS', warning: 'WARNINGS', info: 'INFO' };

const money = (n: number) => `$${n.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
const count = (n: number) => n.toLocaleString('en-US');
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** The price table, one line per item (shown in the output and in the CLI guide). */
export function priceLines(): string[] {
  const P = CLOUDWATCH_PRICES;
  let from = 0;
  const tiers = P.metricTiers.map((t) => {
    const text =
      t.metrics === null ? `${money(t.usd)} over ${count(from)}` : `${money(t.usd)} up to ${count(from + t.metrics)}`;
    from += t.metrics ?? 0;
    return text;
  });
  return [
    `custom metrics: per metric-month, ${tiers.join(', ')}`,
    `alarms: ${money(P.standardAlarmMetric)} per standard-resolution alarm metric, ${money(P.highResolutionAlarmMetric)} per high-resolution one (period under 60 s); anomaly detection counts ${1 + P.anomalyBandMetrics} metrics, metric math each metric it reads; composite alarms ${money(P.compositeAlarm)}`,
    `dashboards: ${money(P.dashboard)} per dashboard-month beyond the first ${P.freeDashboards} of the account`,
  ];
}

function costLines(cost: CostEstimate, environment: string): string[] {
  const rows: [string, string, string][] = [
    ['custom metrics', `${count(cost.metrics.quantity)} metrics`, money(cost.metrics.monthlyUsd)],
    [
      'alarms, standard resolution',
      `${count(cost.alarms.standard.quantity)} alarm metrics x ${money(CLOUDWATCH_PRICES.standardAlarmMetric)}`,
      money(cost.alarms.standard.monthlyUsd),
    ],
    [
      'alarms, high resolution',
      `${count(cost.alarms.highResolution.quantity)} alarm metrics x ${money(CLOUDWATCH_PRICES.highResolutionAlarmMetric)}`,
      money(cost.alarms.highResolution.monthlyUsd),
    ],
    [
      'composite alarms',
      `${count(cost.alarms.composite.quantity)} x ${money(CLOUDWATCH_PRICES.compositeAlarm)}`,
      money(cost.alarms.composite.monthlyUsd),
    ],
    [
      'dashboards',
      `${count(cost.dashboards.quantity)} (${cost.dashboards.free} free) x ${money(CLOUDWATCH_PRICES.dashboard)}`,
      money(cost.dashboards.monthlyUsd),
    ],
    ['total', '', money(cost.totalMonthlyUsd)],
  ];
  const w0 = Math.max(...rows.map((r) => r[0].length));
  const w1 = Math.max(...rows.map((r) => r[1].length));
  const w2 = Math.max(...rows.map((r) => r[2].length));
  const largest = cost.metrics.largest.map((m) => `${m.name} ${count(m.cloudWatchMetrics)}`).join(', ');
  return [
    `Estimated CloudWatch cost per month, environment ${environment} (${CLOUDWATCH_PRICES.region} list prices)`,
    ...rows.map(([a, b, c]) => `  ${a.padEnd(w0)}  ${b.padEnd(w1)}  ${c.padStart(w2)}`),
    `  worst case, every labeled metric at its cardinality limit: ${count(cost.metrics.worstCaseQuantity)} metrics, ${money(cost.worstCaseTotalMonthlyUsd)} in all`,
    ...(largest ? [`  largest metrics (CloudWatch metrics each): ${largest}`] : []),
    'prices:',
    ...priceLines().map((l) => `  ${l}`),
    'assumptions:',
    ...cost.assumptions.map((a) => `  - ${a}`),
  ];
}

export function formatReport(report: DoctorReport, file: string): string[] {
  const lines = [`maif-obs doctor: ${file}, environment ${report.environment}`];
  for (const severity of FINDING_SEVERITIES) {
    const group = report.findings.filter((f) => f.severity === severity);
    if (group.length === 0) continue;
    lines.push('', `${HEADINGS[severity]} (${group.length})`);
    for (const f of group) {
      lines.push(`  [${f.id}] ${f.subject}: ${f.message}`);
      lines.push(`      fix: ${f.fix}`);
    }
  }
  if (report.findings.length === 0) lines.push('', 'no findings');
  lines.push('', ...costLines(report.cost, report.environment));
  const { errors, warnings, infos } = report.summary;
  lines.push(
    '',
    `summary: ${plural(errors, 'error')}, ${plural(warnings, 'warning')}, ${plural(infos, 'info')}${errors > 0 ? ' (exit code 1)' : ''}`,
  );
  return lines;
}
