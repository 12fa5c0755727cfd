/**
 * The alarm evaluator: runs an AlarmSpec against a MetricStore with CloudWatch's alarm
 * semantics, so rules can be tested (`maif-obs test-rules`), replayed over recorded series
 * ("how often would this rule have fired") and run in a local sandbox.
 *
 * Semantics, from the CloudWatch User Guide ("Using Amazon CloudWatch alarms"):
 * - Datapoints: one per period, the statistic over `[start, start + period)`. The newest period
 *   ends at the evaluation time (a 5-minute alarm evaluated at 10:06 reads 10:01-10:06).
 * - Evaluation range: CloudWatch retrieves more datapoints than Evaluation Periods (N); its
 *   documented examples retrieve N + 2, which is what this evaluator does.
 * - "Configuring how CloudWatch alarms treat missing data": when at least N datapoints of the
 *   range exist, the N most recent existing ones are evaluated and the missing-data setting is
 *   ignored; otherwise every existing datapoint is evaluated and the rest filled per the setting
 *   (implemented in `decide`, which reproduces both tables of that page row by row).
 *   ALARM when at least M (Datapoints to Alarm) are breaching, else OK.
 * - Percentile alarms with EvaluateLowSampleCountPercentile 'ignore': while the newest period
 *   has fewer than 10/(1-p) samples (10/p for p < 0.5), the state does not change.
 * - Anomaly alarms: the ML band cannot be reproduced, so the caller provides it (`band`).
 */

import type { AlarmSpec } from '../contracts/alarm-spec';
import { evaluateMath, type MathValue, type Points, parseMath } from '../languages/metric-math';
import { lowSampleThreshold, type MetricStore, percentileOf, statistic } from './store';

export type AlarmState = 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';

/** Datapoints retrieved beyond Evaluation Periods (the evaluation range is N + this). */
export const EXTRA_RANGE_DATAPOINTS = 2;
/** Periods computed before the evaluation range so DIFF, RATE and FILL(REPEAT) have a previous point. */
export const MATH_LOOKBACK_PERIODS = 3;

/** The expected band of an anomaly alarm at a period start (ms); undefined where there is none. */
export type AnomalyBand = (periodStart: number) => { readonly lower: number; readonly upper: number } | undefined;

export interface Datapoint {
  /** Period start, milliseconds. */
  readonly timestamp: number;
  /** The alarmed value; undefined when missing. */
  readonly value?: number;
  readonly breaching?: boolean;
  /** Samples behind a single-metric datapoint. */
  readonly sampleCount?: number;
  readonly band?: { readonly lower: number; readonly upper: number };
}

export interface Evaluation {
  readonly state: AlarmState;
  readonly reason: string;
  /** The evaluation range, oldest first. */
  readonly datapoints: readonly Datapoint[];
}

export interface EvaluateOptions {
  /** The state before this evaluation (kept by 'ignore' and low-sample percentiles). @default 'INSUFFICIENT_DATA' */
  readonly previousState?: AlarmState;
  /** Required for anomaly alarms. */
  readonly band?: AnomalyBand;
}

export interface Transition {
  readonly time: number;
  readonly from: AlarmState;
  readonly to: AlarmState;
  readonly reason: string;
}

export interface Replay {
  readonly transitions: readonly Transition[];
  /** Transitions into ALARM: how often the rule would have fired. */
  readonly firings: number;
  /** Evaluations spent in each state. */
  readonly evaluations: Readonly<Record<AlarmState, number>>;
  readonly finalState: AlarmState;
}

const THRESHOLD_COMPARISONS: Readonly<Record<string, (v: number, t: number) => boolean>> = {
  GreaterThanThreshold: (v, t) => v > t,
  GreaterThanOrEqualToThreshold: (v, t) => v >= t,
  LessThanThreshold: (v, t) => v < t,
  LessThanOrEqualToThreshold: (v, t) => v <= t,
};

const BAND_COMPARISONS: Readonly<Record<string, (v: number, lower: number, upper: number) => boolean>> = {
  GreaterThanUpperThreshold: (v, _l, u) => v > u,
  LessThanLowerThreshold: (v, l) => v < l,
  LessThanLowerOrGreaterThanUpperThreshold: (v, l, u) => v < l || v > u,
};

function fail(spec: AlarmSpec, message: string): never {
  throw new Error(`alarm '${spec.alarmName}': ${message}`);
}

function checkSpec(spec: AlarmSpec): void {
  if (!(Number.isInteger(spec.evaluationPeriods) && spec.evaluationPeriods >= 1)) {
    fail(spec, `evaluationPeriods ${spec.evaluationPeriods} is not allowed (use an integer of at least 1)`);
  }
  if (!(Number.isInteger(spec.datapointsToAlarm) && spec.datapointsToAlarm >= 1)) {
    fail(spec, `datapointsToAlarm ${spec.datapointsToAlarm} is not allowed (use an integer of at least 1)`);
  }
  if (spec.datapointsToAlarm > spec.evaluationPeriods) {
    fail(spec, `datapointsToAlarm ${spec.datapointsToAlarm} is over evaluationPeriods ${spec.evaluationPeriods}`);
  }
  if (!(spec.period > 0)) fail(spec, `period ${spec.period} is not allowed (use seconds above 0)`);
  if (spec.metrics.length === 0) fail(spec, 'metrics is empty (give 1 to 10 metrics)');
  const isBand = spec.comparison in BAND_COMPARISONS;
  if (spec.kind === 'anomaly' && !isBand) {
    fail(
      spec,
      `comparison '${spec.comparison}' is not an anomaly comparison (use ${Object.keys(BAND_COMPARISONS).join(', ')})`,
    );
  }
  if (spec.kind === 'threshold') {
    if (isBand || !(spec.comparison in THRESHOLD_COMPARISONS)) {
      fail(
        spec,
        `comparison '${spec.comparison}' is not a threshold comparison (use ${Object.keys(THRESHOLD_COMPARISONS).join(', ')})`,
      );
    }
    if (typeof spec.threshold !== 'number' || !Number.isFinite(spec.threshold)) {
      fail(spec, `threshold ${String(spec.threshold)} is not a finite number`);
    }
  }
}

interface Computed {
  readonly timestamps: readonly number[];
  readonly values: Points;
  readonly sampleCounts?: readonly (number | undefined)[];
}

/** The alarmed series over `count` periods ending at `time` (values by period start). */
function computeSeries(spec: AlarmSpec, store: MetricStore, time: number, count: number): Computed {
  const periodMs = spec.period * 1000;
  const timestamps: number[] = [];
  for (let k = count; k >= 1; k--) timestamps.push(time - k * periodMs);
  const series: Record<string, Points> = {};
  const periods: Record<string, number> = {};
  const samples: Record<string, (number | undefined)[]> = {};
  for (const m of spec.metrics) {
    const aggregates = timestamps.map((start) =>
      store.aggregate(m.namespace, m.metricName, m.dimensions, start, start + periodMs),
    );
    series[m.id] = aggregates.map((a) => (a ? statistic(a, m.stat) : undefined));
    samples[m.id] = aggregates.map((a) => a?.sampleCount);
    periods[m.id] = m.period;
  }
  if (!spec.expression) {
    const first = spec.metrics[0];
    return { timestamps, values: series[first.id], sampleCounts: samples[first.id] };
  }
  const result: MathValue = evaluateMath(parseMath(spec.expression.expression), { timestamps, series, periods });
  if (typeof result === 'number') {
    fail(spec, `expression '${spec.expression.expression}' gives a single number, not a time series`);
  }
  return { timestamps, values: result };
}

/**
 * Decides the state from the evaluation range (oldest first; undefined = missing), as in AWS's
 * "How alarm state is evaluated when data is missing" tables.
 */
export function decide(
  range: readonly (boolean | undefined)[],
  evaluationPeriods: number,
  datapointsToAlarm: number,
  treatMissingData: AlarmSpec['treatMissingData'],
  previousState: AlarmState,
): { state: AlarmState; reason: string } {
  const n = evaluationPeriods;
  const m = datapointsToAlarm;
  const existing = range.filter((b): b is boolean => b !== undefined);
  const verdict = (breaching: number, evaluated: number, how: string) => ({
    state: (breaching >= m ? 'ALARM' : 'OK') as AlarmState,
    reason: `${breaching} of ${evaluated} datapoints breaching (${m} needed)${how}`,
  });
  if (existing.length >= n) {
    // Enough real datapoints: the missing-data setting is not needed and is ignored.
    const latest = existing.slice(-n);
    return verdict(latest.filter(Boolean).length, n, '');
  }
  const breaching = existing.filter(Boolean).length;
  const filled = n - existing.length;
  switch (treatMissingData) {
    case 'breaching':
      return verdict(breaching + filled, n, `, ${filled} missing treated as breaching`);
    case 'notBreaching':
      return verdict(breaching, n, `, ${filled} missing treated as not breaching`);
    case 'missing':
    case 'ignore': {
      if (existing.length === 0) {
        return treatMissingData === 'missing'
          ? { state: 'INSUFFICIENT_DATA', reason: `no datapoints in the last ${range.length} periods` }
          : { state: previousState, reason: `no datapoints in the last ${range.length} periods: state kept (ignore)` };
      }
      if (breaching >= m || existing.some((b) => !b))
        return verdict(breaching, existing.length, ', missing not counted');
      if (treatMissingData === 'missing') {
        // Avoiding premature transitions: ALARM when the oldest breaching datapoint is at least M
        // periods old and every more recent datapoint is breaching or missing.
        const oldest = range.indexOf(true);
        const age = range.length - oldest;
        if (age >= m) {
          return { state: 'ALARM', reason: `oldest breaching datapoint is ${age} periods old, none since are OK` };
        }
        return {
          state: 'INSUFFICIENT_DATA',
          reason: `${breaching} breaching datapoint(s), too few and too recent to decide`,
        };
      }
      return {
        state: previousState,
        reason: `${breaching} breaching datapoint(s), too few to decide: state kept (ignore)`,
      };
    }
  }
}

/** Evaluates one alarm at `time` (ms): the state CloudWatch would set, why, and the datapoints read. */
export function evaluateAt(
  spec: AlarmSpec,
  store: MetricStore,
  time: number,
  options: EvaluateOptions = {},
): Evaluation {
  checkSpec(spec);
  const previousState = options.previousState ?? 'INSUFFICIENT_DATA';
  if (spec.kind === 'anomaly' && !options.band) {
    fail(spec, 'anomaly alarms need an expected band (the CloudWatch model cannot be reproduced locally: give one)');
  }
  const rangeLength = spec.evaluationPeriods + EXTRA_RANGE_DATAPOINTS;
  const computed = computeSeries(spec, store, time, rangeLength + MATH_LOOKBACK_PERIODS);
  const offset = MATH_LOOKBACK_PERIODS;
  const datapoints: Datapoint[] = [];
  for (let i = offset; i < computed.timestamps.length; i++) {
    const timestamp = computed.timestamps[i];
    const value = computed.values[i];
    const sampleCount = computed.sampleCounts?.[i];
    const base = { timestamp, ...(sampleCount !== undefined ? { sampleCount } : {}) };
    if (value === undefined) {
      datapoints.push(base);
      continue;
    }
    if (spec.kind === 'anomaly') {
      const band = options.band?.(timestamp);
      // No band at this period: CloudWatch has no point to compare.
      if (!band) datapoints.push(base);
      else
        datapoints.push({
          ...base,
          value,
          band,
          breaching: BAND_COMPARISONS[spec.comparison](value, band.lower, band.upper),
        });
      continue;
    }
    datapoints.push({
      ...base,
      value,
      breaching: THRESHOLD_COMPARISONS[spec.comparison](value, spec.threshold as number),
    });
  }

  const fraction = !spec.expression ? percentileOf(spec.metrics[0].stat) : undefined;
  const newest = datapoints.at(-1);
  if (
    spec.evaluateLowSampleCountPercentile === 'ignore' &&
    fraction !== undefined &&
    newest?.sampleCount !== undefined
  ) {
    const needed = lowSampleThreshold(fraction);
    if (newest.sampleCount < needed) {
      return {
        state: previousState,
        reason: `${newest.sampleCount} samples in the newest period, under the ${Math.ceil(needed)} a ${spec.metrics[0].stat} needs: state kept (EvaluateLowSampleCountPercentile ignore)`,
        datapoints,
      };
    }
  }
  const { state, reason } = decide(
    datapoints.map((d) => d.breaching),
    spec.evaluationPeriods,
    spec.datapointsToAlarm,
    spec.treatMissingData,
    previousState,
  );
  return { state, reason, datapoints };
}

/**
 * Evaluates every `step` ms from `from` to `to` (inclusive), carrying the state: the transitions,
 * and how often the alarm would have fired. An alarm starts in INSUFFICIENT_DATA, like a new one.
 */
export function replay(
  spec: AlarmSpec,
  store: MetricStore,
  from: number,
  to: number,
  step: number,
  options: Omit<EvaluateOptions, 'previousState'> & { readonly initialState?: AlarmState } = {},
): Replay {
  if (!(step > 0)) throw new Error(`replay step: ${step} is not allowed (use milliseconds above 0)`);
  if (!(to >= from)) throw new Error(`replay to: ${to} is before from ${from}`);
  let state: AlarmState = options.initialState ?? 'INSUFFICIENT_DATA';
  const transitions: Transition[] = [];
  const evaluations: Record<AlarmState, number> = { OK: 0, ALARM: 0, INSUFFICIENT_DATA: 0 };
  for (let time = from; time <= to; time += step) {
    const e = evaluateAt(spec, store, time, { band: options.band, previousState: state });
    if (e.state !== state) transitions.push({ time, from: state, to: e.state, reason: e.reason });
    state = e.state;
    evaluations[state]++;
  }
  return {
    transitions,
    firings: transitions.filter((t) => t.to === 'ALARM').length,
    evaluations,
    finalState: state,
  };
}
