/**
 * SLOs -> multi-window, multi-burn-rate alarms (the SRE workbook, chapter 5): each pair of a
 * long and a short window alarms when both burn the error budget faster than its factor; the
 * pairs are OR-ed into a paging and a ticket composite alarm.
 */

import { parseDuration, parsePercent } from '../../layers/instrumentation/units';
import type { Slo } from '../config';
import { type AlarmSpec, encodeAlarmDescription, type MetricRef, type Statistic } from '../contracts/alarm-spec';
import type { Severity } from '../contracts/severity';
import { alarmName, type CompileContext, numberText } from './compile';
import { AlertRuleError, checkAlarmSpec, formatSeconds } from './limits';

/** The workbook's burn-rate pairs for a 30-day SLO: factor, long window, short window (seconds). */
export const BURN_RATE_WINDOWS = [
  { alert: 'page', factor: 14.4, long: 3_600, short: 300 },
  { alert: 'page', factor: 6, long: 21_600, short: 1_800 },
  { alert: 'ticket', factor: 3, long: 86_400, short: 7_200 },
  { alert: 'ticket', factor: 1, long: 259_200, short: 21_600 },
] as const;

export const SLO_SEVERITIES: Readonly<Record<'page' | 'ticket', Severity>> = { page: 'critical', ticket: 'warning' };

/** A composite alarm: ALARM when every alarm of at least one `anyOf` group is in ALARM. */
export interface CompositeAlarmSpec {
  readonly alarmName: string;
  readonly ruleName: string;
  readonly description: string;
  /** Groups of component alarm names: the rule is the OR of the groups, each the AND of its alarms. */
  readonly anyOf: readonly (readonly string[])[];
  /** `anyOf` in CloudWatch's rule syntax. */
  readonly alarmRule: string;
  /** Names of the component alarms, every one of `anyOf` (they must exist first). */
  readonly components: readonly string[];
  readonly severity: Severity;
  readonly labels: Readonly<Record<string, string>>;
}

export interface CompiledSlo {
  /** The burn-rate alarms (components; labels.role = 'component', severity info). */
  readonly specs: readonly AlarmSpec[];
  readonly composites: readonly CompositeAlarmSpec[];
}

/** The SLI as metric math: `expression` is the bad fraction (0..1) over `metrics`. */
export interface SliSeries {
  readonly metrics: readonly MetricRef[];
  readonly expression: string;
}

/** CloudWatch's rule for `anyOf`: `(ALARM("a") AND ALARM("b")) OR (ALARM("c") AND ALARM("d"))`. */
function compositeAlarmRule(anyOf: readonly (readonly string[])[]): string {
  return anyOf.map((group) => `(${group.map((name) => `ALARM("${name}")`).join(' AND ')})`).join(' OR ');
}

function fail(slo: Slo, message: string): never {
  throw new AlertRuleError(slo.name, `SLO: ${message}`);
}

/**
 * The bad fraction of requests. Availability: http_request_errors_total / http_requests_total
 * (with `operation`: over the duration distribution's SampleCount, which carries the operation
 * label alone). Latency: 1 - PR(:threshold)/100 of http_request_duration_seconds, CloudWatch's
 * percentile rank (the share of requests at or under the threshold).
 */
export function sliSeries(slo: Slo, ctx: CompileContext, period: number): SliSeries {
  const dims: Record<string, string> = { service: ctx.service, environment: ctx.environment };
  if (slo.operation !== undefined) dims.operation = slo.operation;
  const ref = (id: string, metricName: string, stat: Statistic): MetricRef => ({
    id,
    namespace: ctx.namespace,
    metricName,
    dimensions: dims,
    stat,
    period,
  });
  if (slo.sli === 'availability') {
    const total =
      slo.operation === undefined
        ? ref('m2', 'http_requests_total', 'Sum')
        : ref('m2', 'http_request_duration_seconds', 'SampleCount');
    // A period with requests and no error has no error datapoint: FILL reads it as 0, so the bad
    // fraction is 0 rather than missing, and the alarm does not fall back on an older, bad datapoint.
    return { metrics: [ref('m1', 'http_request_errors_total', 'Sum'), total], expression: 'FILL(m1, 0) / m2' };
  }
  if (slo.latencyThreshold === undefined)
    fail(slo, `'${slo.name}' is a latency SLO and needs latencyThreshold (e.g. '300ms')`);
  const seconds = parseDuration(slo.latencyThreshold) / 1000;
  const stat = `PR(:${numberText(seconds)})` as Statistic;
  return { metrics: [ref('m1', 'http_request_duration_seconds', stat)], expression: '(100 - m1) / 100' };
}

export function budgetOf(slo: Slo): number {
  const objective = parsePercent(slo.objective);
  if (!(objective > 0 && objective < 100))
    fail(slo, `objective '${slo.objective}' is not between 0% and 100% (exclusive)`);
  return Number(((100 - objective) / 100).toPrecision(12));
}

/** Compiles one SLO to its 8 burn-rate alarms and 2 composite alarms (page, ticket). */
export function compileSlo(slo: Slo, ctx: CompileContext): CompiledSlo {
  const budget = budgetOf(slo);
  const windowSeconds = parseDuration(slo.window) / 1000;
  const specs: AlarmSpec[] = [];
  const pairs: Record<'page' | 'ticket', string[][]> = { page: [], ticket: [] };
  for (const w of BURN_RATE_WINDOWS) {
    if (w.long > windowSeconds) continue; // a 1-day SLO has no 3-day burn window
    const names: string[] = [];
    for (const seconds of [w.long, w.short]) {
      const ruleName = `${slo.name}_burn${w.factor}x_${formatSeconds(seconds)}`;
      const sli = sliSeries(slo, ctx, seconds);
      const threshold = Number((w.factor * budget).toPrecision(12));
      const labels = { slo: slo.name, role: 'component', burn_rate: String(w.factor), window: formatSeconds(seconds) };
      const text = `SLO ${slo.name} (${slo.objective} over ${slo.window}): error budget burning over ${w.factor}x in ${formatSeconds(seconds)}`;
      const spec: AlarmSpec = {
        alarmName: alarmName(ctx, ruleName),
        ruleName,
        description: encodeAlarmDescription(text, {
          rule: ruleName,
          severity: 'info',
          labels,
          environment: ctx.environment,
          service: ctx.service,
        }),
        kind: 'threshold',
        metrics: sli.metrics,
        expression: { id: 'e1', expression: sli.expression, label: `${slo.name} bad fraction` },
        comparison: 'GreaterThanThreshold',
        threshold,
        period: seconds,
        evaluationPeriods: 1,
        datapointsToAlarm: 1,
        // No traffic burns no budget.
        treatMissingData: 'notBreaching',
        severity: 'info',
        labels,
      };
      checkAlarmSpec(spec);
      specs.push(spec);
      names.push(spec.alarmName);
    }
    pairs[w.alert].push(names);
  }
  const composites: CompositeAlarmSpec[] = [];
  for (const alert of ['page', 'ticket'] as const) {
    if (pairs[alert].length === 0) continue;
    const ruleName = `${slo.name}_slo_${alert}`;
    const severity = SLO_SEVERITIES[alert];
    const labels = { slo: slo.name, alert };
    const text = `${slo.description || `SLO ${slo.name}`}: ${slo.objective} over ${slo.window}, error budget burning fast enough to ${alert === 'page' ? 'page' : 'open a ticket'}`;
    composites.push({
      alarmName: alarmName(ctx, ruleName),
      ruleName,
      description: encodeAlarmDescription(text, {
        rule: ruleName,
        severity,
        labels,
        environment: ctx.environment,
        service: ctx.service,
      }),
      anyOf: pairs[alert],
      alarmRule: compositeAlarmRule(pairs[alert]),
      components: pairs[alert].flat(),
      severity,
      labels,
    });
  }
  return { specs, composites };
}
