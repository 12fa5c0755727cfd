/**
 * Alert rule -> AlarmSpec: names resolve to catalog metrics (or their aliases, names.ts),
 * statistics to CloudWatch statistics, arithmetic to metric math, thresholds to the metric's unit,
 * `duration` to period x evaluation periods. Every CloudWatch limit is checked here, at synth.
 */
import { METRIC_CATALOG, type MetricKind } from '../../layers/instrumentation/catalog';
import type { MetricUnit } from '../../layers/instrumentation/types';
import { parseDuration } from '../../layers/instrumentation/units';
import type { ResolvedConfig } from '../config';
import {
  type AlarmSpec,
  type Comparison,
  encodeAlarmDescription,
  type MetricRef,
  type Statistic,
  type TreatMissingData,
} from '../contracts/alarm-spec';
import type { Severity } from '../contracts/severity';
import { nearestNames } from '../dashboards/translate';
import {
  type Comparator,
  type Condition,
  type Expr,
  isPercentile,
  parseCondition,
  printCondition,
  type Quantity,
  RuleSyntaxError,
  type SeriesExpr,
  type StatName,
} from '../languages/rule-language';
import { AlertRuleError, checkAlarmSpec, formatSeconds, isValidPeriod } from './limits';
import { METRIC_ALIASES } from './names';

export interface MetricInfo {
  readonly kind: MetricKind;
  readonly unit: MetricUnit;
  readonly labels: readonly string[];
}

export interface CompileContext {
  readonly namespace: string;
  readonly service: string;
  readonly environment: string;
  /** Known metrics: the catalog and the configuration's custom metrics. */
  readonly metrics: Readonly<Record<string, MetricInfo>>;
  /** Metrics emitted at high resolution (StorageResolution 1): only these allow 10-30 s periods. */
  readonly highResolution: ReadonlySet<string>;
}

/** An alert rule as the configuration writes it (the configuration schema's AlertRule, plus `period`). */
export interface AlertRuleInput {
  readonly name: string;
  readonly description?: string;
  readonly condition: string;
  /** How long the condition must hold: '5m'. @default '0s' - one period */
  readonly duration?: string;
  readonly severity: Severity;
  readonly labels?: Readonly<Record<string, string>>;
  readonly runbook?: string;
  /** @default 'missing' */
  readonly missingData?: TreatMissingData;
  /** The alarm period: '10s' (high-resolution metrics only), '1m', '5m'. @default '1m' */
  readonly period?: string;
}

/** A rule without a `period` evaluates one-minute periods. */
export const DEFAULT_ALARM_PERIOD_SECONDS = 60;
export const REALTIME_PERIOD_SECONDS = 10;
export const DEFAULT_ANOMALY_BANDS = 2;

const COMPARISONS: Readonly<Record<'>' | '>=' | '<' | '<=', Comparison>> = {
  '>': 'GreaterThanThreshold',
  '>=': 'GreaterThanOrEqualToThreshold',
  '<': 'LessThanThreshold',
  '<=': 'LessThanOrEqualToThreshold',
};

const STATISTICS: Readonly<Record<string, Statistic>> = {
  avg: 'Average',
  sum: 'Sum',
  min: 'Minimum',
  max: 'Maximum',
  count: 'SampleCount',
};

const TIME_FACTORS: Readonly<Record<string, number>> = { ms: 0.001, s: 1, m: 60, h: 3600 };
const SIZE_FACTORS: Readonly<Record<string, number>> = { B: 1, KB: 1024, MB: 1024 ** 2, GB: 1024 ** 3 };
const WINDOW_SECONDS: Readonly<Record<string, number>> = { s: 1, m: 60, h: 3600, d: 86_400 };
const SUFFIX_RE = /^(.+)_(avg|sum|min|max|count|rate|p\d+(?:[._]\d+)?)$/;

/** Units in which the thresholds of each metric unit may be written, with their factor. */
function thresholdFactors(unit: string): { factors: Readonly<Record<string, number>>; bare: boolean; hint: string } {
  switch (unit) {
    case 'Seconds':
      return { factors: TIME_FACTORS, bare: true, hint: 'ms, s, m, h, or a bare number of seconds' };
    case 'Milliseconds':
      return {
        factors: { ms: 1, s: 1000, m: 60_000, h: 3_600_000 },
        bare: true,
        hint: 'ms, s, m, h, or a bare number of milliseconds',
      };
    case 'Bytes':
      return { factors: SIZE_FACTORS, bare: true, hint: 'B, KB, MB, GB, or a bare number of bytes' };
    case 'Percent':
      return { factors: { '%': 1 }, bare: true, hint: '%, or a bare number of percent' };
    case 'None':
    case 'scalar':
      return { factors: { '%': 0.01 }, bare: true, hint: '% (a ratio: 5% = 0.05), or a bare number' };
    default:
      return { factors: {}, bare: true, hint: 'a bare number' };
  }
}

/** The known metrics of a configuration: the catalog and `metrics.custom`. */
export function knownMetrics(config?: Pick<ResolvedConfig, 'metrics'>): Record<string, MetricInfo> {
  const out: Record<string, MetricInfo> = { ...METRIC_CATALOG };
  for (const m of config?.metrics.custom ?? []) {
    out[m.name] = { kind: m.kind, unit: m.unit ?? (m.kind === 'counter' ? 'Count' : 'None'), labels: m.labels };
  }
  return out;
}

/** A compiled piece of metric math: its text, precedence (1 additive, 2 multiplicative, 3 atom) and unit. */
interface Val {
  readonly text: string;
  readonly prec: number;
  /** A MetricUnit, 'scalar' for a plain number. */
  readonly unit: string;
  readonly scalar?: number;
  /** Set when the value is one metric queried as is. */
  readonly metric?: MetricRef;
  /** Underlying catalog metric names. */
  readonly names: readonly string[];
}

interface BuildOptions {
  /** Bare thresholds on time metrics are milliseconds (as the MAIF monitoring guide writes real-time alerts). */
  readonly bareTimeInMs?: boolean;
}

class RuleCompiler {
  readonly #rule: AlertRuleInput;
  readonly #ctx: CompileContext;
  readonly #metrics: MetricRef[] = [];
  #period = DEFAULT_ALARM_PERIOD_SECONDS;

  constructor(rule: AlertRuleInput, ctx: CompileContext) {
    this.#rule = rule;
    this.#ctx = ctx;
  }

  fail(message: string): never {
    throw new AlertRuleError(this.#rule.name, message);
  }

  compile(condition: Condition, options: BuildOptions = {}): AlarmSpec {
    const rule = this.#rule;
    const durationSeconds = this.#seconds('duration', rule.duration ?? '0s');
    this.#period = rule.period !== undefined ? this.#seconds('period', rule.period) : DEFAULT_ALARM_PERIOD_SECONDS;
    if (condition.type === 'change') {
      const window = condition.window.value * WINDOW_SECONDS[condition.window.unit];
      if (rule.period !== undefined && this.#period !== window) {
        this.fail(`period '${rule.period}' differs from the window 'in ${formatSeconds(window)}' (drop the period)`);
      }
      // A rate of change compares consecutive windows: the period is the window.
      this.#period = window;
    }
    if (!isValidPeriod(this.#period)) {
      this.fail(
        `period ${formatSeconds(this.#period)} is not a CloudWatch alarm period (use 10s, 20s, 30s or a multiple of 60s)`,
      );
    }

    let val: Val;
    let comparison: Comparison;
    let threshold: number | undefined;
    let bands: number | undefined;
    let lowSide = false;
    if (condition.type === 'anomaly') {
      val = this.#expr(condition.expr);
      if (val.unit === 'scalar') this.fail('anomaly() needs a metric, got a constant');
      comparison =
        condition.side === 'above'
          ? 'GreaterThanUpperThreshold'
          : condition.side === 'below'
            ? 'LessThanLowerThreshold'
            : 'LessThanLowerOrGreaterThanUpperThreshold';
      bands = condition.bands;
    } else {
      // `requests < x` must fire when nothing is counted at all: such a period has no datapoint.
      lowSide = condition.type === 'threshold' && (condition.op === '<' || condition.op === '<=');
      let left = this.#expr(condition.left, undefined, lowSide);
      if (left.unit === 'scalar') this.fail('the condition compares two constants; it needs a metric');
      let target: number;
      if (condition.type === 'change') {
        const diff = `DIFF(${left.text})`;
        const change = condition.direction === 'increase' ? diff : `(0 - ${diff})`;
        const relative = condition.right.unit === '%' && left.unit !== 'Percent';
        if (relative) {
          // Relative change in percent of the previous window's value.
          const previous = `(${left.text} - ${diff})`;
          left = { ...left, text: `100 * ${change} / ${previous}`, prec: 2, unit: 'Percent', metric: undefined };
        } else {
          left = { ...left, text: change, prec: 3, metric: undefined };
        }
        target = this.#threshold(condition.right, left.unit, condition.left, options);
      } else {
        target = this.#threshold(condition.right, left.unit, condition.left, options);
      }
      ({ val, comparison, threshold } = this.#compare(left, condition.op, target));
    }

    const evaluationPeriods = Math.max(1, Math.ceil(durationSeconds / this.#period));
    this.#checkResolution(val);
    const meta = {
      rule: rule.name,
      severity: rule.severity,
      labels: { ...(rule.labels ?? {}) },
      runbook: rule.runbook,
      environment: this.#ctx.environment,
      service: this.#ctx.service,
    };
    const text = `${rule.description ? `${rule.description}: ` : ''}${printCondition(condition)}${durationSeconds > 0 ? ` for ${formatSeconds(durationSeconds)}` : ''}`;
    const isPercentileAlarm = val.metric !== undefined && isPercentile(val.metric.stat);
    const spec: AlarmSpec = {
      alarmName: alarmName(this.#ctx, rule.name),
      ruleName: rule.name,
      description: encodeAlarmDescription(text, meta),
      kind: condition.type === 'anomaly' ? 'anomaly' : 'threshold',
      metrics: this.#metrics,
      ...(val.metric ? {} : { expression: { id: 'e1', expression: val.text, label: rule.name } }),
      comparison,
      ...(threshold !== undefined ? { threshold } : {}),
      ...(bands !== undefined ? { bands } : {}),
      period: this.#period,
      evaluationPeriods,
      datapointsToAlarm: evaluationPeriods,
      treatMissingData: rule.missingData ?? (lowSide && this.#countsOnly() ? 'breaching' : 'missing'),
      // Low-sample periods keep the alarm's state instead of alarming on a p95 of three requests.
      ...(isPercentileAlarm ? { evaluateLowSampleCountPercentile: 'ignore' as const } : {}),
      severity: rule.severity,
      labels: { ...(rule.labels ?? {}) },
      ...(rule.runbook !== undefined ? { runbook: rule.runbook } : {}),
    };
    checkAlarmSpec(spec);
    return spec;
  }

  /**
   * True when the alarm reads one counter's Sum: then no datapoint means nothing was counted, and
   * a low-side rule (`rate(requests) < 0.01`) treats it as breaching, since a metric with no
   * datapoint in the whole range gives metric math nothing to FILL. A ratio of counters is
   * undefined without traffic and keeps `missing`.
   */
  #countsOnly(): boolean {
    const [only, ...more] = this.#metrics;
    return (
      only !== undefined &&
      more.length === 0 &&
      only.stat === 'Sum' &&
      Object.hasOwn(this.#ctx.metrics, only.metricName) &&
      this.#ctx.metrics[only.metricName].kind === 'counter'
    );
  }

  /** Resolves the left side's metric names only (for the high-resolution set). */
  names(expr: Expr): readonly string[] {
    return this.#expr(expr).names;
  }

  #compare(left: Val, op: Comparator, target: number): { val: Val; comparison: Comparison; threshold: number } {
    if (op === '==' || op === '!=') {
      // CloudWatch has no equality: |x - v| <= 0 (==) or > 0 (!=).
      const inner = target === 0 ? left.text : `${left.text} - ${numberText(target)}`;
      const val: Val = { ...left, text: `ABS(${inner})`, prec: 3, metric: undefined };
      return { val, comparison: op === '==' ? 'LessThanOrEqualToThreshold' : 'GreaterThanThreshold', threshold: 0 };
    }
    return { val: left, comparison: COMPARISONS[op], threshold: target };
  }

  #threshold(q: Quantity, unit: string, left: Expr, options: BuildOptions): number {
    const { factors, hint } = thresholdFactors(unit);
    const shown = `${q.value}${q.unit ?? ''}`;
    if (q.unit === undefined) {
      if (options.bareTimeInMs && (unit === 'Seconds' || unit === 'Milliseconds')) {
        return q.value * (unit === 'Seconds' ? 0.001 : 1);
      }
      return q.value;
    }
    const factor = factors[q.unit];
    if (factor === undefined) {
      const what = left.type === 'series' ? left.name : 'the expression';
      this.fail(
        `threshold '${shown}' does not fit ${what}, measured in ${unit === 'scalar' ? 'None' : unit} (use ${hint})`,
      );
    }
    return roundThreshold(q.value * factor);
  }

  #seconds(field: string, text: string): number {
    let ms: number;
    try {
      ms = parseDuration(text);
    } catch {
      this.fail(`${field} '${text}' is not a duration (use 30s, 5m, 1h)`);
    }
    return Math.ceil(ms / 1000);
  }

  #checkResolution(val: Val): void {
    if (this.#period >= 60) return;
    const standard = [...new Set(val.names)].filter((n) => !this.#ctx.highResolution.has(n));
    if (standard.length > 0) {
      this.fail(
        `a ${this.#period}s period needs high-resolution metrics; ${standard.join(', ')} ${standard.length === 1 ? 'is' : 'are'} standard resolution (add ${standard.length === 1 ? 'it' : 'them'} to realtime.metrics, or use a period of 60s or a multiple)`,
      );
    }
  }

  /**
   * `fillZero`: inside the numerator of a division, a counter's Sum is FILL(m, 0): a period in
   * which nothing was counted has no datapoint, and `errors / requests` must read 0 % there, not
   * missing (else an error-rate alarm never returns to OK once the errors stop).
   */
  #expr(e: Expr, alias?: AliasScope, fillZero = false): Val {
    switch (e.type) {
      case 'number':
        return { text: numberText(e.value), prec: 3, unit: 'scalar', scalar: e.value, names: [] };
      case 'series': {
        const val = alias ? this.#aliasSeries(e, alias) : this.#series(e, fillZero);
        const counterSum =
          val.metric?.stat === 'Sum' && Object.hasOwn(this.#ctx.metrics, val.metric.metricName)
            ? this.#ctx.metrics[val.metric.metricName].kind === 'counter'
            : false;
        return fillZero && counterSum ? { ...val, text: `FILL(${val.text}, 0)`, metric: undefined } : val;
      }
      case 'binary': {
        const l = this.#expr(e.left, alias, fillZero || e.op === '/');
        const r = this.#expr(e.right, alias, fillZero && e.op !== '/');
        const prec = e.op === '+' || e.op === '-' ? 1 : 2;
        const lt = l.prec < prec ? `(${l.text})` : l.text;
        const rt = r.prec <= prec ? `(${r.text})` : r.text;
        return { text: `${lt} ${e.op} ${rt}`, prec, unit: this.#unit(e.op, l, r), names: [...l.names, ...r.names] };
      }
    }
  }

  #unit(op: string, l: Val, r: Val): string {
    if (l.unit === 'scalar') return op === '/' && r.unit !== 'scalar' ? 'None' : r.unit;
    if (r.unit === 'scalar') return l.unit;
    if (op === '+' || op === '-') {
      if (l.unit !== r.unit) this.fail(`'${op}' mixes units ${l.unit} and ${r.unit} (add or subtract like units)`);
      return l.unit;
    }
    // A sum over a count is a mean in the sum's unit (seconds per request).
    if (op === '/' && r.unit === 'Count' && l.unit !== 'Count') return l.unit;
    return 'None';
  }

  #series(s: SeriesExpr, fillZero = false): Val {
    let stat = s.stat;
    let name = s.name;
    let resolved = this.#lookup(name);
    if (!resolved) {
      const m = SUFFIX_RE.exec(name);
      if (m && !stat) {
        const suffix = m[2].replace('_', '.');
        if (isPercentile(suffix) || !suffix.startsWith('p')) {
          resolved = this.#lookup(m[1]);
          if (resolved) {
            name = m[1];
            stat = suffix as StatName;
          }
        }
      }
    }
    if (!resolved) {
      const known = [...Object.keys(METRIC_ALIASES), ...Object.keys(this.#ctx.metrics)];
      this.fail(
        `unknown metric '${s.name}' (did you mean ${nearestNames(s.name, known)
          .map((k) => `'${k}'`)
          .join(', ')}? rules use the metric catalog's names and aliases such as error_rate and response_time)`,
      );
    }
    if (resolved.alias) {
      const alias = resolved.alias;
      const left = (parseCondition(`${alias.expr} > 0`) as { left: Expr }).left;
      if (stat && left.type !== 'series') {
        this.fail(`'${name}' is ${alias.expr}; a statistic (${stat}) applies to a single metric only`);
      }
      const val = this.#expr(left, { filters: s.filters, stat }, fillZero);
      return alias.unit ? { ...val, unit: alias.unit } : val;
    }
    return this.#metric(name, resolved.info, stat, s.filters, fillZero);
  }

  /** A series inside an alias's definition: a metric, with the user's filters and statistic. */
  #aliasSeries(s: SeriesExpr, alias: AliasScope): Val {
    const info = Object.hasOwn(this.#ctx.metrics, s.name) ? this.#ctx.metrics[s.name] : undefined;
    if (!info) this.fail(`the metric alias table refers to '${s.name}', which is not a known metric`);
    return this.#metric(s.name, info, alias.stat ?? s.stat, [...s.filters, ...alias.filters]);
  }

  #lookup(name: string): { alias?: { expr: string; unit?: MetricUnit }; info: MetricInfo } | undefined {
    // A custom metric of the same name wins over an alias (the MAIF monitoring guide declares active_connections).
    const info = Object.hasOwn(this.#ctx.metrics, name) ? this.#ctx.metrics[name] : undefined;
    if (Object.hasOwn(METRIC_ALIASES, name) && !(info && !Object.hasOwn(METRIC_CATALOG, name))) {
      return { alias: METRIC_ALIASES[name], info: info ?? { kind: 'gauge', unit: 'None', labels: [] } };
    }
    return info ? { info } : undefined;
  }

  #metric(
    name: string,
    info: MetricInfo,
    stat: StatName | undefined,
    filters: readonly LabelFilterLike[],
    fillZero = false,
  ): Val {
    const dims: Record<string, string> = {};
    for (const f of filters) {
      if (!info.labels.includes(f.label)) {
        this.fail(
          `label '${f.label}' is not a label of ${name} (labels: ${info.labels.length > 0 ? info.labels.join(', ') : 'none'})`,
        );
      }
      dims[f.label] = f.value;
    }
    const missing = info.labels.filter((l) => !(l in dims));
    if (filters.length > 0 && missing.length > 0) {
      this.fail(
        `the filter on ${name} must name every label (${info.labels.join(', ')}) or none: ${missing.join(', ')} missing (metrics land under all their labels or under service and environment alone)`,
      );
    }
    let statistic: Statistic;
    let perSecond = false;
    if (stat === undefined) statistic = info.kind === 'counter' ? 'Sum' : 'Average';
    else if (stat === 'rate') {
      if (info.kind !== 'counter') this.fail(`rate() needs a counter; ${name} is a ${info.kind}`);
      statistic = 'Sum';
      perSecond = true;
    } else if (isPercentile(stat)) {
      if (info.kind === 'counter') this.fail(`${stat} needs a histogram, a summary or a gauge; ${name} is a counter`);
      statistic = stat;
    } else statistic = STATISTICS[stat];
    const ref = this.#ref(name, dims, statistic);
    let unit: string = info.unit;
    if (statistic === 'SampleCount') unit = 'Count';
    if (perSecond) unit = `${info.unit}/Second`;
    const base: Val = { text: ref.id, prec: 3, unit, metric: ref, names: [name] };
    // PERIOD() of a metric: per-second rates hold whatever the period. A period that counted
    // nothing has no datapoint; where that must read as a rate of 0, FILL it.
    const counted = fillZero ? `FILL(${ref.id}, 0)` : ref.id;
    return perSecond ? { ...base, text: `${counted} / PERIOD(${ref.id})`, prec: 2, metric: undefined } : base;
  }

  #ref(metricName: string, dims: Record<string, string>, stat: Statistic): MetricRef {
    const dimensions = { service: this.#ctx.service, environment: this.#ctx.environment, ...dims };
    const key = JSON.stringify([metricName, dimensions, stat]);
    const same = this.#metrics.find((m) => JSON.stringify([m.metricName, m.dimensions, m.stat]) === key);
    if (same) return same;
    const ref: MetricRef = {
      id: `m${this.#metrics.length + 1}`,
      namespace: this.#ctx.namespace,
      metricName,
      dimensions,
      stat,
      period: this.#period,
    };
    this.#metrics.push(ref);
    return ref;
  }
}

interface AliasScope {
  readonly filters: readonly LabelFilterLike[];
  readonly stat?: StatName;
}

interface LabelFilterLike {
  readonly label: string;
  readonly value: string;
}

/** Metric math numbers: no exponent notation, negatives in parentheses. */
export function numberText(n: number): string {
  const abs = Math.abs(n);
  let text = String(abs);
  if (text.includes('e')) {
    text = abs < 1 ? abs.toFixed(20).replace(/\.?0+$/, '') : BigInt(Math.round(abs)).toString();
  }
  return n < 0 ? `(0 - ${text})` : text;
}

/** 0.1 * 3 -> 0.3: thresholds converted from units lose float noise. */
function roundThreshold(n: number): number {
  return Number(n.toPrecision(12));
}

export function alarmName(ctx: Pick<CompileContext, 'service' | 'environment'>, rule: string): string {
  return `${ctx.service}-${ctx.environment}-${rule}`;
}

/** Compiles one alert rule to its alarm; throws AlertRuleError (or RuleSyntaxError) with a clear message. */
export function compileRule(rule: AlertRuleInput, ctx: CompileContext): AlarmSpec {
  let condition: Condition;
  try {
    condition = parseCondition(rule.condition);
  } catch (e) {
    if (e instanceof RuleSyntaxError) throw new AlertRuleError(rule.name, e.message);
    throw e;
  }
  return new RuleCompiler(rule, ctx).compile(condition);
}

export interface RealtimeAlertInput {
  readonly metric: string;
  readonly threshold: number;
  readonly condition: 'greater_than' | 'greater_or_equal' | 'less_than' | 'less_or_equal' | 'equal' | 'not_equal';
  readonly action: string;
}

const REALTIME_COMPARATORS: Readonly<Record<RealtimeAlertInput['condition'], Comparator>> = {
  greater_than: '>',
  greater_or_equal: '>=',
  less_than: '<',
  less_or_equal: '<=',
  equal: '==',
  not_equal: '!=',
};

/**
 * The MAIF monitoring guide's real-time alerts: 10 s periods, one period to alarm. A bare threshold
 * on a time metric is in milliseconds (`response_time` 5000 = 5 s, as the guide writes it); the
 * action `immediate_notification` is critical, any other warning.
 */
export function compileRealtimeAlerts(alerts: readonly RealtimeAlertInput[], ctx: CompileContext): AlarmSpec[] {
  const seen = new Map<string, number>();
  return alerts.map((alert) => {
    const n = (seen.get(alert.metric) ?? 0) + 1;
    seen.set(alert.metric, n);
    const name = `realtime_${alert.metric}${n > 1 ? `_${n}` : ''}`;
    const op = REALTIME_COMPARATORS[alert.condition];
    const text = `${alert.metric} ${op} ${alert.threshold}`;
    const rule: AlertRuleInput = {
      name,
      description: `Real-time alert (${alert.action})`,
      condition: text,
      duration: `${REALTIME_PERIOD_SECONDS}s`,
      period: `${REALTIME_PERIOD_SECONDS}s`,
      severity: alert.action === 'immediate_notification' ? 'critical' : 'warning',
      labels: { action: alert.action, realtime: 'true' },
    };
    let condition: Condition;
    try {
      condition = parseCondition(text);
    } catch (e) {
      throw new AlertRuleError(name, (e as Error).message);
    }
    return new RuleCompiler(rule, ctx).compile(condition, { bareTimeInMs: true });
  });
}

/**
 * The catalog metrics the real-time views and alerts read: they must be emitted at high
 * resolution (resolution: 1), which is what allows their 10 s periods.
 */
export function highResolutionMetrics(
  config: Pick<ResolvedConfig, 'realtime' | 'metrics'>,
  metrics: Readonly<Record<string, MetricInfo>> = knownMetrics(config),
): string[] {
  const ctx: CompileContext = { namespace: 'x', service: 'x', environment: 'x', metrics, highResolution: new Set() };
  const out = new Set<string>();
  const names = [...config.realtime.metrics, ...config.realtime.alerts.map((a) => a.metric)];
  for (const name of names) {
    try {
      const condition = parseCondition(`${name} > 0`) as { left: Expr };
      for (const n of new RuleCompiler({ name, condition: '', severity: 'info' }, ctx).names(condition.left))
        out.add(n);
    } catch {
      // A real-time name with no alarm form (e.g. a SEARCH over labels) adds nothing.
    }
  }
  return [...out].sort();
}

/** The compile context of one resolved environment. */
export function compileContext(
  config: Pick<ResolvedConfig, 'namespace' | 'service' | 'environment' | 'realtime' | 'metrics'>,
  overrides: Partial<CompileContext> = {},
): CompileContext {
  const metrics = overrides.metrics ?? knownMetrics(config);
  return {
    namespace: config.namespace,
    service: config.service,
    environment: config.environment,
    metrics,
    highResolution: overrides.highResolution ?? new Set(highResolutionMetrics(config, metrics)),
    ...overrides,
  };
}
