/**
 * Unit tests for alert rules, like `promtool test rules` (run by `maif-obs test-rules FILE`). A
 * test file (YAML or JSON) gives input series in promtool's expanding notation and the alert states
 * expected at given times; the configuration's rules are compiled to AlarmSpecs and run through the
 * evaluator with CloudWatch's alarm semantics. The file format is in the alerting guide (testing
 * alert rules).
 */
import { parseDuration } from '../../layers/instrumentation/units';
import { type AlarmSpec, METADATA_MARKER } from '../contracts/alarm-spec';
import { nearestNames } from '../dashboards/translate';
import { type AlarmState, type AnomalyBand, evaluateAt } from '../evaluator/evaluator';
import { MetricStore, type Observation } from '../evaluator/store';
import type { MetricInfo } from './compile';

/** One sample of an input series: a number, `_` (missing) or `stale` (missing; a counter restarts after it). */
export type SeriesSample = number | 'missing' | 'stale';

export interface InputSeries {
  /** `name{label="value", ...}`: a metric of the catalog or the configuration's custom metrics. */
  readonly metric: string;
  /** promtool's expanding notation: `0+10x30`, `1x5 0x10`, `_x3`, `stale`. */
  readonly values: string;
  /** Time between samples. @default the test's interval */
  readonly interval?: string;
  /** Observations per sample for histograms and summaries (each sample is one value seen `count` times). @default 1 */
  readonly count?: number;
}

export interface AnomalyBandInput {
  readonly alertname: string;
  readonly lower: string;
  readonly upper: string;
  /** @default the test's interval */
  readonly interval?: string;
}

export interface ExpectedAlert {
  /** Labels the firing alert must carry (alertname, severity and the rule's labels). */
  readonly exp_labels?: Readonly<Record<string, string>>;
  /** `description` (the rule's text) and `runbook`. */
  readonly exp_annotations?: Readonly<Record<string, string>>;
}

export interface AlertRuleTest {
  readonly eval_time: string;
  readonly alertname: string;
  /** The alerts firing at eval_time: one when the alarm is in ALARM, none otherwise. */
  readonly exp_alerts?: readonly ExpectedAlert[];
  /** The exact alarm state, when it matters (OK vs INSUFFICIENT_DATA). */
  readonly exp_state?: AlarmState;
}

export interface RuleTest {
  readonly name: string;
  /** @default '1m' */
  readonly interval?: string;
  readonly input_series: readonly InputSeries[];
  readonly anomaly_bands?: readonly AnomalyBandInput[];
  readonly alert_rule_test: readonly AlertRuleTest[];
}

export interface RuleTestFile {
  /** The configuration module, relative to the test file. @default 'observability.config.ts' in the working directory */
  readonly config?: string;
  /** @default the configuration's first environment */
  readonly environment?: string;
  /** How often alarms are evaluated (state carries between evaluations). @default '1m' */
  readonly evaluation_interval?: string;
  readonly tests: readonly RuleTest[];
}

export interface RuleTestResult {
  readonly name: string;
  readonly passed: boolean;
  readonly failures: readonly string[];
}

export interface RuleTestContext {
  readonly namespace: string;
  readonly service: string;
  readonly environment: string;
  readonly metrics: Readonly<Record<string, MetricInfo>>;
}

const DEFAULT_INTERVAL = '1m';
export const STATES: readonly string[] = ['OK', 'ALARM', 'INSUFFICIENT_DATA'];
const NUMBER = String.raw`[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?`;
const EXPAND_RE = new RegExp(`^(${NUMBER})(?:([-+])(${NUMBER}))?x(\\d+)$`);
const NUMBER_RE = new RegExp(`^${NUMBER}$`);
const MISSING_RE = /^_(?:x(\d+))?$/;
const SELECTOR_RE = /^\s*([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(?:\{(.*)\})?\s*$/;
const MATCHER_RE = /\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)')\s*(?:,|$)/y;

/**
 * promtool's expanding notation: `a+bxn` is a, a+b, ..., a+n*b (n+1 samples); `a-bxn` decreases;
 * `axn` is a repeated n+1 times; `_` is one missing sample, `_xn` n of them; `stale` marks the
 * series stale (missing here).
 */
export function parseSeriesValues(text: string): SeriesSample[] {
  const out: SeriesSample[] = [];
  for (const token of text.trim().split(/\s+/).filter(Boolean)) {
    const missing = MISSING_RE.exec(token);
    if (missing) {
      const n = missing[1] === undefined ? 1 : Number(missing[1]);
      for (let i = 0; i < n; i++) out.push('missing');
      continue;
    }
    if (token === 'stale') {
      out.push('stale');
      continue;
    }
    if (NUMBER_RE.test(token)) {
      out.push(Number(token));
      continue;
    }
    const m = EXPAND_RE.exec(token);
    if (!m) {
      throw new Error(
        `values '${text}': '${token}' is not a sample (use a number, a+bxn, a-bxn, axn, _, _xn or stale)`,
      );
    }
    const start = Number(m[1]);
    const step = m[2] === undefined ? 0 : Number(m[3]) * (m[2] === '-' ? -1 : 1);
    const n = Number(m[4]);
    for (let i = 0; i <= n; i++) out.push(start + i * step);
  }
  return out;
}

/** `name{a="x", b='y'}` -> name and labels. */
export function parseSeriesSelector(text: string): { name: string; labels: Record<string, string> } {
  const m = SELECTOR_RE.exec(text);
  if (!m) throw new Error(`metric '${text}' is not a series (use name or name{label="value", ...})`);
  const labels: Record<string, string> = {};
  const body = m[2]?.trim() ?? '';
  MATCHER_RE.lastIndex = 0;
  while (MATCHER_RE.lastIndex < body.length) {
    const at = MATCHER_RE.lastIndex;
    const mm = MATCHER_RE.exec(body);
    if (!mm || mm.index !== at) {
      throw new Error(
        `metric '${text}': the labels at '${body.slice(at)}' are not label="value" pairs separated by commas`,
      );
    }
    labels[mm[1]] = (mm[2] ?? mm[3]).replace(/\\(.)/g, '$1');
  }
  return { name: m[1], labels };
}

function ms(field: string, text: string): number {
  try {
    return parseDuration(text);
  } catch {
    throw new Error(`${field}: '${text}' is not a duration (use 30s, 5m, 1h)`);
  }
}

/** The observations the kit would emit for one input series: its full dimension set and the rollup. */
export function seriesObservations(
  input: InputSeries,
  interval: number,
  ctx: RuleTestContext,
  where = 'input_series',
): Observation[] {
  const { name, labels } = parseSeriesSelector(input.metric);
  const info = Object.hasOwn(ctx.metrics, name) ? ctx.metrics[name] : undefined;
  if (!info) {
    const near = nearestNames(name, Object.keys(ctx.metrics)).map((k) => `'${k}'`);
    throw new Error(`${where}.metric: unknown metric '${name}' (did you mean ${near.join(', ')}?)`);
  }
  for (const label of Object.keys(labels)) {
    if (!info.labels.includes(label)) {
      throw new Error(
        `${where}.metric: '${label}' is not a label of ${name} (labels: ${info.labels.join(', ') || 'none'})`,
      );
    }
  }
  const count = input.count ?? 1;
  if (!(Number.isInteger(count) && count >= 1))
    throw new Error(`${where}.count: ${count} is not allowed (use an integer of at least 1)`);
  const base = { service: ctx.service, environment: ctx.environment };
  const sets = Object.keys(labels).length > 0 ? [{ ...base, ...labels }, base] : [base];
  const samples = parseSeriesValues(input.values);
  const out: Observation[] = [];
  let previous: number | undefined;
  samples.forEach((sample, i) => {
    const timestamp = i * interval;
    if (typeof sample !== 'number') {
      if (sample === 'stale') previous = undefined;
      return;
    }
    let value = sample;
    if (info.kind === 'counter') {
      // Counters are cumulative, as in promtool; the kit emits the increase of each interval.
      const last = previous;
      previous = sample;
      if (last === undefined) return;
      value = sample >= last ? sample - last : sample; // a reset starts from 0
    }
    for (const dimensions of sets) {
      const common = { namespace: ctx.namespace, metricName: name, dimensions, timestamp };
      out.push(
        info.kind === 'histogram' || info.kind === 'summary'
          ? { ...common, values: [value], counts: [count] }
          : { ...common, value },
      );
    }
  });
  return out;
}

function bandOf(input: AnomalyBandInput, defaultInterval: number, where: string): AnomalyBand {
  const interval = input.interval ? ms(`${where}.interval`, input.interval) : defaultInterval;
  const lower = parseSeriesValues(input.lower);
  const upper = parseSeriesValues(input.upper);
  return (periodStart) => {
    const i = Math.floor(periodStart / interval);
    const l = lower[i];
    const u = upper[i];
    return typeof l === 'number' && typeof u === 'number' ? { lower: l, upper: u } : undefined;
  };
}

/** The human text of an alarm description (before the encoded metadata). */
function descriptionText(spec: AlarmSpec): string {
  const at = spec.description.lastIndexOf(METADATA_MARKER);
  return at < 0 ? spec.description : spec.description.slice(0, at);
}

function stateAt(spec: AlarmSpec, store: MetricStore, evalTime: number, step: number, band?: AnomalyBand) {
  let state: AlarmState = 'INSUFFICIENT_DATA';
  let reason = '';
  const times: number[] = [];
  for (let t = 0; t < evalTime; t += step) times.push(t);
  times.push(evalTime);
  for (const time of times) {
    const e = evaluateAt(spec, store, time, { previousState: state, band });
    state = e.state;
    reason = e.reason;
  }
  return { state, reason };
}

/** Runs every test of a file against compiled specs; never throws for a failing expectation. */
export function runRuleTests(file: RuleTestFile, specs: readonly AlarmSpec[], ctx: RuleTestContext): RuleTestResult[] {
  const step = ms('evaluation_interval', file.evaluation_interval ?? DEFAULT_INTERVAL);
  return file.tests.map((test, ti) => {
    const where = `tests[${ti}]`;
    const failures: string[] = [];
    try {
      const interval = ms(`${where}.interval`, test.interval ?? DEFAULT_INTERVAL);
      const store = new MetricStore();
      test.input_series.forEach((input, i) => {
        const every = input.interval ? ms(`${where}.input_series[${i}].interval`, input.interval) : interval;
        store.add(...seriesObservations(input, every, ctx, `${where}.input_series[${i}]`));
      });
      const bands = new Map<string, AnomalyBand>();
      for (const [i, b] of (test.anomaly_bands ?? []).entries()) {
        bands.set(b.alertname, bandOf(b, interval, `${where}.anomaly_bands[${i}]`));
      }
      for (const [ai, check] of test.alert_rule_test.entries()) {
        const spec = specs.find((s) => s.ruleName === check.alertname);
        if (!spec) {
          const near = nearestNames(
            check.alertname,
            specs.map((s) => s.ruleName),
          ).map((k) => `'${k}'`);
          throw new Error(
            `${where}.alert_rule_test[${ai}].alertname: no rule '${check.alertname}' (did you mean ${near.join(', ')}?)`,
          );
        }
        const evalTime = ms(`${where}.alert_rule_test[${ai}].eval_time`, check.eval_time);
        const { state, reason } = stateAt(spec, store, evalTime, step, bands.get(spec.ruleName));
        const at = `${check.alertname} at ${check.eval_time}`;
        if (check.exp_state !== undefined && check.exp_state !== state) {
          failures.push(`${at}: expected state ${check.exp_state}, got ${state} (${reason})`);
        }
        const expected = check.exp_alerts ?? [];
        const firing = state === 'ALARM';
        if (expected.length !== (firing ? 1 : 0)) {
          failures.push(
            `${at}: expected ${expected.length} firing alert(s), got ${firing ? 1 : 0}: ${state} (${reason})`,
          );
          continue;
        }
        if (!firing) continue;
        const labels: Record<string, string> = { alertname: spec.ruleName, severity: spec.severity, ...spec.labels };
        const annotations: Record<string, string> = {
          description: descriptionText(spec),
          ...(spec.runbook ? { runbook: spec.runbook } : {}),
        };
        for (const [key, value] of Object.entries(expected[0].exp_labels ?? {})) {
          if (labels[key] !== value)
            failures.push(`${at}: label ${key} expected '${value}', got '${labels[key] ?? '(none)'}'`);
        }
        for (const [key, value] of Object.entries(expected[0].exp_annotations ?? {})) {
          if (annotations[key] !== value)
            failures.push(`${at}: annotation ${key} expected '${value}', got '${annotations[key] ?? '(none)'}'`);
        }
      }
    } catch (error) {
      failures.push((error as Error).message);
    }
    return { name: test.name, passed: failures.length === 0, failures };
  });
}
