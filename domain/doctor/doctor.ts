/**
 * `runDoctor`: checks one resolved environment against the MAIF monitoring guide's best practices
 * and prices it in CloudWatch. The configuration goes through the project's own compilers (alarms,
 * dashboards, routing) so the doctor sees what the stack would deploy; a part that does not compile
 * is a finding and the checks that need it are skipped.
 */

import type { ResolvedConfig } from '../config';
import type { AlarmSpec } from '../contracts/alarm-spec';
import { type CompiledDashboard, compileDashboards } from '../dashboards/model';
import { compileAlerting } from '../rules/alarms';
import type { CompositeAlarmSpec } from '../rules/slo';
import {
  alarmPaths,
  checkCauses,
  checkLabels,
  checkRunbooks,
  checkSlos,
  checkTimings,
  checkUnemittedMetrics,
} from './checks';
import { type CostEstimate, estimateCost } from './cost';
import { DEFAULT_ASSUMED_LABEL_VALUES, emittedMetrics } from './emitted';
import { checkEscalation } from './escalation';
import { type Finding, type FindingSummary, sortFindings, summarize } from './findings';
import { checkGoldenSignals } from './signals';

export interface DoctorOptions {
  /** Values assumed for a label of unknown range, for the cost estimate. @default 5 */
  readonly assumedLabelValues?: number;
}

export interface DoctorReport {
  readonly environment: string;
  /** Errors first, then warnings, then infos. */
  readonly findings: readonly Finding[];
  readonly cost: CostEstimate;
  readonly summary: FindingSummary;
}

function compiled<T>(what: string, subject: string, findings: Finding[], compile: () => T): T | undefined {
  try {
    return compile();
  } catch (error) {
    findings.push({
      id: 'config-does-not-compile',
      severity: 'error',
      subject,
      message: `the ${what} do not compile: ${(error as Error).message.split('\n')[0]}`,
      fix: `fix the ${what} (synth fails the same way); the checks that need them were skipped`,
    });
    return undefined;
  }
}

export function runDoctor(config: ResolvedConfig, options: DoctorOptions = {}): DoctorReport {
  const assumedLabelValues = options.assumedLabelValues ?? DEFAULT_ASSUMED_LABEL_VALUES;
  const findings: Finding[] = [];
  const alerting = compiled('alert rules', 'alerting', findings, () => compileAlerting(config));
  const dashboards: CompiledDashboard[] | undefined = compiled('dashboards', 'dashboards', findings, () =>
    compileDashboards(config),
  );
  const specs: readonly AlarmSpec[] = alerting?.specs ?? [];
  const composites: readonly CompositeAlarmSpec[] = alerting?.composites ?? [];
  const emitted = emittedMetrics(config, { assumedLabelValues });
  const pathOf = alarmPaths(config, alerting?.sources ?? new Map());

  findings.push(...checkGoldenSignals({ emitted, dashboards, alarms: alerting?.specs }));
  findings.push(...checkLabels(emitted, config.metrics.cardinality.maxSeriesPerMetric));
  findings.push(...checkTimings(emitted));
  findings.push(...checkRunbooks(config));
  findings.push(...checkSlos(config));
  findings.push(...checkCauses(specs, pathOf));
  if (alerting !== undefined) findings.push(...checkUnemittedMetrics(config, alerting));
  const escalation = compiled('routing rules', 'alerting.routing', findings, () =>
    checkEscalation(config, [...specs, ...composites], pathOf),
  );
  findings.push(...(escalation ?? []));

  const cost = estimateCost({
    metrics: emitted,
    alarms: specs,
    compositeAlarms: composites.length,
    dashboards: dashboards?.length ?? config.dashboards.length,
    assumedLabelValues,
    maxSeriesPerMetric: config.metrics.cardinality.maxSeriesPerMetric,
  });
  const sorted = sortFindings(findings);
  return { environment: config.environment, findings: sorted, cost, summary: summarize(sorted) };
}
