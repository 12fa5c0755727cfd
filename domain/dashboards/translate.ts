/**
 * PromQL -> CloudWatch. Translates the subset of PromQL that has an exact CloudWatch meaning into
 * metric queries plus one metric math expression, and rejects the rest with a clear message.
 *
 * How the kit's metrics land in CloudWatch (layers/instrumentation/metrics): namespace =
 * config.namespace, metric name = the catalog name, every series under the "rollup" dimension
 * set { service, environment } and under { service, environment, ...catalog labels }.
 */
import { METRIC_CATALOG, type MetricKind } from '../../layers/instrumentation/catalog';
import {
  type BinaryNode,
  type CallNode,
  type LabelMatcher,
  type PromNode,
  parsePromQL,
  printPromQL,
  type SelectorNode,
} from '../languages/promql';

/** The metric math expression length GetMetricData accepts. */
export const MAX_EXPRESSION_LENGTH = 2048;
/** Metrics and expressions one dashboard widget may hold. */
export const MAX_METRICS_PER_WIDGET = 500;
/** Periods a CloudWatch graph accepts: 1, 5, 10, 30 s (high resolution) or a multiple of 60 s. */
export const SUB_MINUTE_PERIODS = [1, 5, 10, 30] as const;
/** Metric math ids: a lowercase letter, then letters, digits, underscores. */
export const METRIC_ID_PATTERN = /^[a-z][a-zA-Z0-9_]*$/;

export const SUPPORTED = 'rate, increase, histogram_quantile, sum, avg, min, max, +, -, *, /' as const;

export interface MetricDefinition {
  readonly kind: MetricKind;
  readonly labels: readonly string[];
}

export type MetricDefinitions = Readonly<Record<string, MetricDefinition>>;

/** One CloudWatch metric query (a `MetricStat`). */
export interface MetricStat {
  readonly id: string;
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions: Readonly<Record<string, string>>;
  /** Sum, Average, SampleCount or a percentile such as p95. */
  readonly stat: string;
  readonly period: number;
}

/** One line of a panel: a metric shown as is, or metric math over hidden metric queries. */
export interface TranslatedQuery {
  /** Id of the visible line: the metric's id, or the expression's. */
  readonly id: string;
  readonly label: string;
  readonly period: number;
  readonly metrics: readonly MetricStat[];
  /** Metric math over `metrics` (by id); absent when `metrics[0]` is shown directly. */
  readonly expression?: string;
  /** The PromQL it came from. */
  readonly source: string;
}

/** Hands out metric math ids, unique within one widget. */
export class IdAllocator {
  #metrics = 0;
  #expressions = 0;
  metric(): string {
    this.#metrics++;
    return `m${this.#metrics}`;
  }
  expression(): string {
    this.#expressions++;
    return `e${this.#expressions}`;
  }
}

export interface TranslateOptions {
  readonly namespace: string;
  /** The rollup dimensions, e.g. { service: 'maif', environment: 'prod' }. */
  readonly dimensions: Readonly<Record<string, string>>;
  /** Period in seconds for a target without a range (`[5m]`) to take it from. */
  readonly period: number;
  /** Known metrics. @default the kit's METRIC_CATALOG */
  readonly metrics?: MetricDefinitions;
  /** Shared by the targets of one widget so their ids do not collide. @default a fresh one */
  readonly ids?: IdAllocator;
  readonly label?: string;
}

/** A PromQL construct with no CloudWatch translation (the message says what and what is allowed). */
export class TranslateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TranslateError';
  }
}

const unsupported = (what: string, why?: string): never => {
  throw new TranslateError(`${what} is not supported${why ? `: ${why}` : ''} (supported: ${SUPPORTED})`);
};

type Aggregator = 'SUM' | 'AVG' | 'MIN' | 'MAX';

interface Condition {
  readonly label: string;
  readonly values: readonly string[];
  readonly negate: boolean;
}

/** A selector not yet turned into queries: aggregation and rate decide how (metric or SEARCH). */
interface VectorVal {
  readonly t: 'vector';
  readonly metricName: string;
  readonly def: MetricDefinition;
  readonly conditions: readonly Condition[];
  readonly stat: string;
  /** Set by rate(): divide by the period. */
  readonly perSecond?: boolean;
  readonly agg?: Aggregator;
  /** Percentiles cannot be combined across series. */
  readonly percentile?: boolean;
}

interface SeriesVal {
  readonly t: 'series';
  readonly text: string;
  /** 1 additive, 2 multiplicative, 3 atom. */
  readonly prec: number;
}

interface ScalarVal {
  readonly t: 'scalar';
  readonly value: number;
}

type Val = VectorVal | SeriesVal | ScalarVal;

const AGGREGATORS: Readonly<Record<string, Aggregator>> = { sum: 'SUM', avg: 'AVG', min: 'MIN', max: 'MAX' };
const ARITHMETIC: Readonly<Record<string, number>> = { '+': 1, '-': 1, '*': 2, '/': 2 };
const HISTOGRAM_PARTS = ['_bucket', '_sum', '_count'] as const;
/**
 * The MAIF monitoring guide's dashboards filter on an HTTP status regex; the catalog records the
 * class: status=~'5..' -> status_class='5xx'.
 */
const STATUS_CLASS_REGEX = /^([1-5])(?:\.\.|xx|\[0-9\]\[0-9\]|\\d\\d|\\d\{2\})$/;
const LITERAL_ALTERNATION = /^[A-Za-z0-9_\-. ]+(?:\|[A-Za-z0-9_\-. ]+)*$/;
const REGEX_META = /[\\^$.|?*+()[\]{}]/;
/** Characters that would break out of a SEARCH term. */
const SEARCH_UNSAFE = /["'\\]/;

function levenshtein(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length];
}

/** The known names closest to `name`, nearest first. */
export function nearestNames(name: string, known: readonly string[], count = 3): string[] {
  return [...known]
    .map((k) => ({ k, d: levenshtein(name, k) - (k.includes(name) || name.includes(k) ? 3 : 0) }))
    .sort((x, y) => x.d - y.d || x.k.localeCompare(y.k))
    .slice(0, count)
    .map((x) => x.k);
}

function isValidPeriod(seconds: number): boolean {
  return (SUB_MINUTE_PERIODS as readonly number[]).includes(seconds) || (seconds >= 60 && seconds % 60 === 0);
}

/** Collects the ranges (`[5m]`) of an expression: one target runs at one period. */
function rangesOf(node: PromNode, out: Set<number>): Set<number> {
  switch (node.type) {
    case 'matrix':
      out.add(node.range.ms);
      break;
    case 'subquery':
      rangesOf(node.expr, out);
      break;
    case 'call':
      for (const a of node.args) rangesOf(a, out);
      break;
    case 'aggregate':
      rangesOf(node.expr, out);
      break;
    case 'unary':
      rangesOf(node.expr, out);
      break;
    case 'binary':
      rangesOf(node.lhs, out);
      rangesOf(node.rhs, out);
      break;
    default:
      break;
  }
  return out;
}

function formatPercentile(q: number): string {
  return `p${Number((q * 100).toPrecision(10))}`;
}

function scalarText(value: number): string {
  return value < 0 ? `(0 - ${-value})` : String(value);
}

class Translator {
  readonly #options: TranslateOptions;
  readonly #metrics: MetricDefinitions;
  readonly #ids: IdAllocator;
  readonly #queries: MetricStat[] = [];
  #period = 0;

  constructor(options: TranslateOptions) {
    this.#options = options;
    this.#metrics = options.metrics ?? METRIC_CATALOG;
    this.#ids = options.ids ?? new IdAllocator();
  }

  translate(source: string): TranslatedQuery {
    const ast = parsePromQL(source);
    const ranges = [...rangesOf(ast, new Set())];
    if (ranges.length > 1) {
      const shown = ranges.map((ms) => `${ms / 1000}s`).join(', ');
      throw new TranslateError(`ranges ${shown} differ: one target runs at one CloudWatch period (use one range)`);
    }
    this.#period = ranges.length === 1 ? ranges[0] / 1000 : this.#options.period;
    if (!isValidPeriod(this.#period)) {
      throw new TranslateError(
        `range [${this.#period}s] is not a CloudWatch period (use 1s, 5s, 10s, 30s or a multiple of 60s)`,
      );
    }
    const val = this.#node(ast);
    if (val.t === 'scalar') throw new TranslateError('the expression is a constant; a panel line needs a metric');
    const series = this.#materialize(val);
    const label = this.#options.label ?? source;
    if (this.#queries.length === 1 && series.text === this.#queries[0].id) {
      return { id: series.text, label, period: this.#period, metrics: this.#queries, source };
    }
    if (series.text.length > MAX_EXPRESSION_LENGTH) {
      throw new TranslateError(
        `the metric math expression is ${series.text.length} characters (at most ${MAX_EXPRESSION_LENGTH})`,
      );
    }
    return {
      id: this.#ids.expression(),
      label,
      period: this.#period,
      metrics: this.#queries,
      expression: series.text,
      source,
    };
  }

  #node(node: PromNode): Val {
    switch (node.type) {
      case 'number':
        return { t: 'scalar', value: node.value };
      case 'string':
        return unsupported(`the string ${JSON.stringify(node.value)}`);
      case 'selector':
        return this.#selector(node);
      case 'matrix':
        throw new TranslateError(
          `the range vector '${printPromQL(node)}' needs rate() or increase() around it (supported: ${SUPPORTED})`,
        );
      case 'subquery':
        return unsupported(`the subquery '${printPromQL(node)}'`);
      case 'call':
        return this.#call(node);
      case 'aggregate':
        return this.#aggregate(node.op, node.grouping, node.param, node.expr);
      case 'unary': {
        const inner = this.#node(node.expr);
        if (node.op === '+') return inner;
        if (inner.t === 'scalar') return { t: 'scalar', value: -inner.value };
        const s = this.#materialize(inner);
        return { t: 'series', text: `-1 * ${s.prec >= 2 ? s.text : `(${s.text})`}`, prec: 2 };
      }
      case 'binary':
        return this.#binary(node);
    }
  }

  #binary(node: BinaryNode): Val {
    const prec = ARITHMETIC[node.op];
    if (prec === undefined) return unsupported(`the operator '${node.op}'`);
    if (node.matching) return unsupported(`vector matching '${node.matching.on ? 'on' : 'ignoring'} (...)'`);
    // Left operand first, so ids number the metrics in reading order.
    const left = this.#node(node.lhs);
    const lhs = left.t === 'vector' ? this.#materialize(left) : left;
    const rhs = this.#node(node.rhs);
    if (lhs.t === 'scalar' && rhs.t === 'scalar') {
      const a = lhs.value;
      const b = rhs.value;
      const value = node.op === '+' ? a + b : node.op === '-' ? a - b : node.op === '*' ? a * b : a / b;
      if (!Number.isFinite(value)) throw new TranslateError(`'${printPromQL(node)}' is not a finite number`);
      return { t: 'scalar', value };
    }
    const l = this.#operand(lhs);
    const r = this.#operand(rhs);
    const lt = l.prec < prec ? `(${l.text})` : l.text;
    // Left-associative: a right operand of the same precedence keeps its parentheses.
    const rt = r.prec <= prec ? `(${r.text})` : r.text;
    return { t: 'series', text: `${lt} ${node.op} ${rt}`, prec };
  }

  #operand(val: Val): SeriesVal {
    if (val.t === 'scalar') return { t: 'series', text: scalarText(val.value), prec: 3 };
    return this.#materialize(val);
  }

  #call(node: CallNode): Val {
    switch (node.func) {
      case 'rate':
      case 'increase': {
        const arg = node.args[0];
        if (arg?.type === 'subquery') return unsupported(`the subquery '${printPromQL(arg)}'`);
        if (node.args.length !== 1 || arg.type !== 'matrix') {
          throw new TranslateError(`${node.func}() takes one range vector, e.g. ${node.func}(http_requests_total[5m])`);
        }
        if (arg.offset) return unsupported(`'offset ${arg.offset.text}'`);
        if (arg.at !== undefined) return unsupported(`'@ ${arg.at}'`);
        const v = this.#selector(arg.selector, node.func);
        return { ...v, perSecond: node.func === 'rate' };
      }
      case 'histogram_quantile':
        return this.#histogramQuantile(node);
      default:
        return unsupported(`'${node.func}'`);
    }
  }

  #histogramQuantile(node: CallNode): Val {
    const [q, arg] = node.args;
    const qv = node.args.length === 2 ? this.#node(q) : undefined;
    if (qv?.t !== 'scalar' || !(qv.value > 0 && qv.value < 1)) {
      throw new TranslateError(
        'histogram_quantile() takes a quantile between 0 and 1 and a _bucket series, e.g. histogram_quantile(0.95, http_request_duration_seconds_bucket)',
      );
    }
    let inner = arg;
    // sum by (le) (rate(x_bucket[5m])) is the usual Prometheus form: the le grouping is implicit here.
    if (inner.type === 'aggregate' && AGGREGATORS[inner.op] === 'SUM') {
      const g = inner.grouping;
      if (g && (g.without || g.labels.some((l) => l !== 'le'))) {
        throw new TranslateError(
          `'${printPromQL(inner)}' groups by more than le: a percentile line is one series (filter on every label or none)`,
        );
      }
      inner = inner.expr;
    }
    let selector: SelectorNode | undefined;
    if (inner.type === 'selector') selector = inner;
    else if (inner.type === 'call' && (inner.func === 'rate' || inner.func === 'increase')) {
      const m = inner.args[0];
      if (inner.args.length === 1 && m.type === 'matrix' && !m.offset && m.at === undefined) selector = m.selector;
    }
    if (!selector || selector.offset || selector.at !== undefined) {
      throw new TranslateError(
        `histogram_quantile() needs a _bucket series, optionally in rate() or sum by (le) (...); got '${printPromQL(arg)}'`,
      );
    }
    const v = this.#selector(selector, 'histogram_quantile', formatPercentile(qv.value));
    return { ...v, percentile: true };
  }

  #aggregate(
    op: string,
    grouping: { without: boolean; labels: readonly string[] } | undefined,
    param: PromNode | undefined,
    expr: PromNode,
  ): Val {
    const agg = AGGREGATORS[op];
    if (agg === undefined || param) return unsupported(`'${op}'`);
    if (grouping?.without)
      return unsupported(`'${op} without (...)'`, 'a dashboard line is one series, use label filters');
    if (grouping && grouping.labels.length > 0) {
      return unsupported(
        `'${op} by (${grouping.labels.join(', ')})'`,
        'a dashboard line is one series, use one target per label value',
      );
    }
    const inner = this.#node(expr);
    if (inner.t !== 'vector') return inner; // aggregating one series is the series itself
    // A percentile is one series (every label pinned, or the rollup); sum(sum(x)) is sum(x).
    if (inner.percentile) return inner;
    if (inner.agg !== undefined) return this.#materialize(inner);
    return { ...inner, agg };
  }

  #selector(node: SelectorNode, context?: string, percentile?: string): VectorVal {
    if (node.offset) return unsupported(`'offset ${node.offset.text}'`);
    if (node.at !== undefined) return unsupported(`'@ ${node.at}'`);
    if (node.name === undefined) {
      throw new TranslateError(`'${printPromQL(node)}' has no metric name (write the name before the braces)`);
    }
    const { metricName, part, def } = this.#resolve(node.name);
    const conditions = node.matchers.map((m) => this.#condition(metricName, def, m));
    let stat: string;
    if (part === '_bucket') {
      if (percentile === undefined) {
        throw new TranslateError(`'${node.name}' is only supported inside histogram_quantile()`);
      }
      stat = percentile;
    } else if (percentile !== undefined) {
      throw new TranslateError(`histogram_quantile() needs '${metricName}_bucket', got '${node.name}'`);
    } else if (part === '_sum') {
      stat = 'Sum';
    } else if (part === '_count') {
      stat = 'SampleCount';
    } else if (def.kind === 'histogram' || def.kind === 'summary') {
      throw new TranslateError(
        `'${metricName}' is a ${def.kind}: use histogram_quantile(0.95, ${metricName}_bucket), ${metricName}_sum or ${metricName}_count`,
      );
    } else if (def.kind === 'counter') {
      stat = 'Sum';
    } else {
      if (context === 'rate' || context === 'increase') {
        throw new TranslateError(
          `${context}() needs a counter; '${metricName}' is a gauge (use it without ${context}())`,
        );
      }
      stat = 'Average';
    }
    if (percentile !== undefined && !this.#exactDimensions(def, conditions) && conditions.length > 0) {
      throw new TranslateError(
        `'${printPromQL(node)}': percentiles cannot be combined across series; filter with = on every label of ${metricName} (${def.labels.join(', ')}) or on none`,
      );
    }
    return { t: 'vector', metricName, def, conditions, stat };
  }

  #resolve(name: string): { metricName: string; part: string; def: MetricDefinition } {
    const direct = this.#metrics[name];
    if (direct) return { metricName: name, part: '', def: direct };
    for (const part of HISTOGRAM_PARTS) {
      if (!name.endsWith(part)) continue;
      const base = name.slice(0, -part.length);
      const def = this.#metrics[base];
      if (def && (def.kind === 'histogram' || def.kind === 'summary')) return { metricName: base, part, def };
      if (def) throw new TranslateError(`'${name}': '${base}' is a ${def.kind}, not a histogram`);
    }
    const known = Object.keys(this.#metrics);
    throw new TranslateError(
      `unknown metric '${name}' (did you mean ${nearestNames(name, known)
        .map((k) => `'${k}'`)
        .join(', ')}? known metrics are listed in the metric catalog)`,
    );
  }

  #condition(metricName: string, def: MetricDefinition, m: LabelMatcher): Condition {
    const labels = def.labels.length > 0 ? def.labels.join(', ') : 'none';
    if (m.value === '') {
      throw new TranslateError(
        `label '${m.name}' on ${metricName}: an empty value is not supported (labels: ${labels})`,
      );
    }
    // status=~'5..' -> status_class='5xx' (the catalog records the status class, not the code).
    if (m.name === 'status' && !def.labels.includes('status') && def.labels.includes('status_class')) {
      const match = STATUS_CLASS_REGEX.exec(m.value);
      if ((m.op === '=~' || m.op === '!~') && match) {
        return { label: 'status_class', values: [`${match[1]}xx`], negate: m.op === '!~' };
      }
      throw new TranslateError(
        `label 'status' on ${metricName}: only a status class regex is supported, e.g. status=~'5..' (-> status_class='5xx'), got ${m.name}${m.op}'${m.value}'`,
      );
    }
    if (!def.labels.includes(m.name)) {
      throw new TranslateError(`label '${m.name}' is not a label of ${metricName} (labels: ${labels})`);
    }
    if (m.op === '=' || m.op === '!=') return { label: m.name, values: [m.value], negate: m.op === '!=' };
    if (!REGEX_META.test(m.value)) return { label: m.name, values: [m.value], negate: m.op === '!~' };
    if (LITERAL_ALTERNATION.test(m.value)) {
      return { label: m.name, values: m.value.split('|'), negate: m.op === '!~' };
    }
    throw new TranslateError(
      `label '${m.name}' on ${metricName}: the regex '${m.value}' is not supported (use =, !=, or =~/!~ with literal alternatives like 'a|b')`,
    );
  }

  /** Dimensions when the conditions pin every label with one = value (or the metric has no labels). */
  #exactDimensions(def: MetricDefinition, conditions: readonly Condition[]): Record<string, string> | undefined {
    const pinned: Record<string, string> = {};
    for (const c of conditions) {
      if (c.negate || c.values.length !== 1 || c.label in pinned) return undefined;
      pinned[c.label] = c.values[0];
    }
    if (def.labels.every((l) => l in pinned)) return pinned;
    return undefined;
  }

  #metric(metricName: string, dimensions: Record<string, string>, stat: string): SeriesVal {
    const all = { ...this.#options.dimensions, ...dimensions };
    const key = JSON.stringify([metricName, Object.entries(all).sort(), stat]);
    const same = this.#queries.find(
      (q) => JSON.stringify([q.metricName, Object.entries(q.dimensions).sort(), q.stat]) === key,
    );
    if (same) return { t: 'series', text: same.id, prec: 3 };
    const id = this.#ids.metric();
    this.#queries.push({
      id,
      namespace: this.#options.namespace,
      metricName,
      dimensions: all,
      stat,
      period: this.#period,
    });
    return { t: 'series', text: id, prec: 3 };
  }

  #materialize(val: VectorVal | SeriesVal): SeriesVal {
    if (val.t === 'series') return val;
    const implicit: Aggregator = val.stat === 'Average' ? 'AVG' : 'SUM';
    const exact = this.#exactDimensions(val.def, val.conditions);
    let series: SeriesVal;
    let viaSearch = false;
    if (exact) series = this.#metric(val.metricName, exact, val.stat);
    else if (val.conditions.length === 0 && (val.agg === undefined || val.agg === implicit || val.percentile)) {
      // The rollup series already is the sum (counters) or the average (gauges) over all label values.
      series = this.#metric(val.metricName, {}, val.stat);
    } else {
      series = { t: 'series', text: `${val.agg ?? implicit}(${this.#search(val)})`, prec: 3 };
      viaSearch = true;
    }
    if (!val.perSecond) return series;
    // PERIOD() takes a metric, not an expression result: a SEARCH divides by the period itself.
    return { t: 'series', text: `${series.text} / ${viaSearch ? this.#period : `PERIOD(${series.text})`}`, prec: 2 };
  }

  #search(val: VectorVal): string {
    const dims = this.#options.dimensions;
    const schema = [this.#options.namespace, ...Object.keys(dims), ...val.def.labels].map(quoteSchemaName).join(',');
    const terms = [`MetricName="${val.metricName}"`];
    for (const [k, v] of Object.entries(dims)) terms.push(`${k}="${checkSearchValue(k, v)}"`);
    for (const c of val.conditions) {
      const alternatives = c.values.map((v) => `${c.label}="${checkSearchValue(c.label, v)}"`);
      const term = alternatives.length === 1 ? alternatives[0] : `(${alternatives.join(' OR ')})`;
      terms.push(c.negate ? `NOT ${term}` : term);
    }
    return `SEARCH('{${schema}} ${terms.join(' ')}', '${val.stat}', ${this.#period})`;
  }
}

function quoteSchemaName(name: string): string {
  if (SEARCH_UNSAFE.test(name)) throw new TranslateError(`the name '${name}' cannot appear in a SEARCH expression`);
  return /^[A-Za-z0-9_]+$/.test(name) ? name : `"${name}"`;
}

function checkSearchValue(label: string, value: string): string {
  if (SEARCH_UNSAFE.test(value)) {
    throw new TranslateError(
      `label '${label}' value '${value}' has a quote or a backslash, which a SEARCH cannot hold`,
    );
  }
  return value;
}

/** Translates one PromQL expression to CloudWatch metric queries and metric math. */
export function translatePromQL(source: string, options: TranslateOptions): TranslatedQuery {
  return new Translator(options).translate(source);
}
