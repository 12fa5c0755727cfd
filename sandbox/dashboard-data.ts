/**
 * The sandbox page's dashboard data: every panel of the compiled dashboards (the same
 * `CompiledDashboard`s the stack deploys) evaluated against the local MetricStore, one point per
 * period, with CloudWatch's semantics: a metric query is its statistic over each period bucket
 * (evaluator-store), and metric math runs through the evaluator's own parser and evaluator.
 *
 * The one part of the translator's output the evaluator's math lacks is `SUM|AVG|MIN|MAX(SEARCH(...))`
 * (a label filter that does not pin every label): it is evaluated here, against the dimension sets
 * the store holds, and handed to the math as one more series.
 */

import type { CompiledDashboard, CompiledPanel } from '../domain/dashboards/model';
import type { TranslatedQuery } from '../domain/dashboards/translate';
import { type MetricStore, type PeriodAggregate, seriesKey, statistic } from '../domain/evaluator/store';
import { evaluateMath, type MathValue, type Points, parseMath } from '../domain/languages/metric-math';

export interface SeriesData {
  readonly label: string;
  /** [period start (simulated epoch ms), value or null where CloudWatch has no point]. */
  readonly points: readonly (readonly [number, number | null])[];
}

export interface PanelData {
  readonly title: string;
  readonly type: string;
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
  /** One per visible query of the panel, in order (empty points when the query failed). */
  readonly series: readonly SeriesData[];
  /** Last non-null value per series, for singlestat/gauge. */
  readonly latest: readonly (number | null)[];
  /** Why a query of the panel could not be evaluated. */
  readonly error?: string;
}

export interface DashboardData {
  readonly title: string;
  readonly name: string;
  readonly periodSeconds: number;
  readonly panels: readonly PanelData[];
}

/** Points one series may hold, whatever the range and period (a [1s] query over a day would be 86,400). */
export const MAX_POINTS_PER_SERIES = 1440;

/**
 * Every panel's series over [end - rangeMs, end], one point per period of the query (the
 * dashboard's period: 5 min, real-time 10 s, unless a PromQL range sets another). The newest
 * point is the period holding `end`, partial as on a CloudWatch graph. Never throws: a query
 * that cannot be evaluated leaves `error` on its panel.
 */
export function dashboardData(
  dashboards: readonly CompiledDashboard[],
  store: MetricStore,
  end: number,
  rangeMs?: number,
): DashboardData[] {
  const source = memoized(store);
  return dashboards.map((d) => ({
    title: d.title,
    name: d.name,
    periodSeconds: d.period,
    panels: d.panels.map((panel) => panelData(panel, source, end, rangeMs ?? d.rangeSeconds * 1000)),
  }));
}

/** What the evaluation reads of the store. */
interface Source {
  aggregate(
    namespace: string,
    metricName: string,
    dims: Readonly<Record<string, string>>,
    start: number,
    end: number,
  ): PeriodAggregate | undefined;
  dimensionSets(namespace: string, metricName: string): Record<string, string>[];
}

/**
 * The store, with each period aggregate computed once per call: panels share metrics (p95 and p50
 * of one distribution, a rate and a ratio over one counter), and merging a distribution is the cost.
 */
function memoized(store: MetricStore): Source {
  const cache = new Map<string, PeriodAggregate | undefined>();
  return {
    aggregate(namespace, metricName, dims, start, end) {
      const key = `${seriesKey(namespace, metricName, dims)}@${start}-${end}`;
      if (cache.has(key)) return cache.get(key);
      const agg = store.aggregate(namespace, metricName, dims, start, end);
      cache.set(key, agg);
      return agg;
    },
    dimensionSets: (namespace, metricName) => store.dimensionSets(namespace, metricName),
  };
}

function panelData(panel: CompiledPanel, store: Source, end: number, rangeMs: number): PanelData {
  const errors: string[] = [];
  const series = panel.queries.map((q): SeriesData => {
    try {
      return { label: q.label, points: evaluateQuery(q, store, end, rangeMs) };
    } catch (error) {
      errors.push(`${q.label}: ${error instanceof Error ? error.message : String(error)}`);
      return { label: q.label, points: [] };
    }
  });
  const latest = series.map((s) => {
    for (let i = s.points.length - 1; i >= 0; i--) if (s.points[i][1] !== null) return s.points[i][1];
    return null;
  });
  const { title, type, x, y, width, height } = panel;
  return { title, type, x, y, width, height, series, latest, ...(errors.length ? { error: errors.join('; ') } : {}) };
}

/** Period starts, aligned to the period, ending with the period that holds `end - 1`. */
function grid(periodSeconds: number, end: number, rangeMs: number): number[] {
  const periodMs = periodSeconds * 1000;
  if (!(periodMs > 0)) throw new Error(`period: ${periodSeconds} is not allowed (use seconds above 0)`);
  const count = Math.min(MAX_POINTS_PER_SERIES, Math.max(1, Math.floor(rangeMs / periodMs)));
  const last = Math.floor((end - 1) / periodMs) * periodMs;
  return Array.from({ length: count }, (_, i) => last - (count - 1 - i) * periodMs);
}

function evaluateQuery(q: TranslatedQuery, store: Source, end: number, rangeMs: number): [number, number | null][] {
  const timestamps = grid(q.period, end, rangeMs);
  const periodMs = q.period * 1000;
  const series: Record<string, Points> = {};
  const periods: Record<string, number> = {};
  for (const m of q.metrics) {
    series[m.id] = timestamps.map((start) => {
      const agg = store.aggregate(m.namespace, m.metricName, m.dimensions, start, start + periodMs);
      return agg ? statistic(agg, m.stat) : undefined;
    });
    periods[m.id] = m.period;
  }
  let values: MathValue;
  if (q.expression === undefined) {
    values = series[q.id];
    if (!values) throw new Error(`query '${q.id}' has no metric of that id`);
  } else {
    let searches = 0;
    const rewritten = q.expression.replace(SEARCH_CALL, (_all, agg: string, query: string, stat: string, p: string) => {
      if (Number(p) !== q.period) {
        throw new Error(`SEARCH period ${p} differs from the query's ${q.period} (one query runs at one period)`);
      }
      const id = `search_${++searches}`;
      series[id] = searchSeries(store, query, stat, agg as Aggregation, timestamps, periodMs);
      return id;
    });
    if (rewritten.includes('SEARCH(')) {
      throw new Error(`a SEARCH outside SUM/AVG/MIN/MAX(...) is not supported locally: '${q.expression}'`);
    }
    values = evaluateMath(parseMath(rewritten), { timestamps, series, periods });
  }
  const at = (i: number): number | null => {
    const v = typeof values === 'number' ? values : values[i];
    return v === undefined || !Number.isFinite(v) ? null : v;
  };
  return timestamps.map((t, i) => [t, at(i)]);
}

// ---- SEARCH ------------------------------------------------------------------------------------

type Aggregation = 'SUM' | 'AVG' | 'MIN' | 'MAX';

/** `AGG(SEARCH('<query>', '<stat>', <period>))` as the translator writes it (the query holds no quote). */
const SEARCH_CALL = /\b(SUM|AVG|MIN|MAX)\(SEARCH\('([^'\\]*)', '([^'\\]+)', (\d+)\)\)/g;

const AGGREGATE: Readonly<Record<Aggregation, (values: number[]) => number>> = {
  SUM: (v) => v.reduce((a, b) => a + b, 0),
  AVG: (v) => v.reduce((a, b) => a + b, 0) / v.length,
  MIN: (v) => Math.min(...v),
  MAX: (v) => Math.max(...v),
};

/** Each matching series' statistic per period, combined across series where they have a point. */
function searchSeries(
  store: Source,
  query: string,
  stat: string,
  agg: Aggregation,
  timestamps: readonly number[],
  periodMs: number,
): Points {
  const search = parseSearch(query);
  const schema = [...search.dimensions].sort().join('\u0000');
  const matches = store
    .dimensionSets(search.namespace, search.metricName)
    .filter((dims) => Object.keys(dims).sort().join('\u0000') === schema && search.matches(dims));
  return timestamps.map((start) => {
    const values: number[] = [];
    for (const dims of matches) {
      const a = store.aggregate(search.namespace, search.metricName, dims, start, start + periodMs);
      const v = a ? statistic(a, stat) : undefined;
      if (v !== undefined) values.push(v);
    }
    return values.length > 0 ? AGGREGATE[agg](values) : undefined;
  });
}

interface Search {
  readonly namespace: string;
  /** The schema's dimension names: a metric matches only with exactly these dimensions. */
  readonly dimensions: readonly string[];
  readonly metricName: string;
  matches(dims: Readonly<Record<string, string>>): boolean;
}

type Predicate = (name: string, dims: Readonly<Record<string, string>>) => boolean;

const SEARCH_TOKEN = /\s*(?:"([^"]*)"|([{}(),=])|([A-Za-z0-9_.:/-]+))/y;

interface SearchToken {
  readonly text: string;
  /** A "quoted" value (never a keyword or punctuation). */
  readonly quoted: boolean;
}

/** The tokens of a search expression: quoted values, punctuation `{}(),=` and bare words. */
function searchTokens(query: string): SearchToken[] {
  const tokens: SearchToken[] = [];
  SEARCH_TOKEN.lastIndex = 0;
  for (let at = 0; at < query.length && query.slice(at).trim() !== ''; at = SEARCH_TOKEN.lastIndex) {
    SEARCH_TOKEN.lastIndex = at;
    const m = SEARCH_TOKEN.exec(query);
    if (!m) throw new Error(`SEARCH '${query}': unexpected '${query.slice(at).trim()[0]}' at ${at}`);
    tokens.push({ text: m[1] ?? m[2] ?? m[3], quoted: m[1] !== undefined });
  }
  return tokens;
}

/**
 * The subset of CloudWatch's search expression syntax the translator writes:
 * `{Namespace,dim1,dim2} MetricName="x" dim1="v" (dim2="a" OR dim2="b") NOT dim1="w"`.
 */
export function parseSearch(query: string): Search {
  const tokens = searchTokens(query);
  let i = 0;
  const fail = (expected: string): never => {
    const t = tokens[i];
    throw new Error(`SEARCH '${query}': expected ${expected}, found ${t ? `'${t.text}'` : 'the end'}`);
  };
  const take = (text?: string): SearchToken => {
    const t = tokens[i];
    if (!t || (text !== undefined && (t.text !== text || t.quoted))) return fail(text ? `'${text}'` : 'a name');
    i++;
    return t;
  };
  const isWord = (text: string) => tokens[i]?.text === text && !tokens[i].quoted;

  take('{');
  const schema = [take().text];
  while (isWord(',')) {
    i++;
    schema.push(take().text);
  }
  take('}');

  const metricNames: string[] = [];
  const term = (depth: number): Predicate => {
    if (isWord('NOT')) {
      i++;
      const inner = term(depth + 1);
      return (name, dims) => !inner(name, dims);
    }
    if (isWord('(')) {
      i++;
      const inner = disjunction(depth + 1);
      take(')');
      return inner;
    }
    const key = take();
    if (key.quoted || /^[{}(),=]$/.test(key.text)) fail('a property name');
    take('=');
    const value = tokens[i];
    if (!value?.quoted) fail('a quoted value');
    i++;
    if (key.text === 'MetricName') {
      if (depth === 0) metricNames.push(value.text);
      return (name) => name === value.text;
    }
    return (_name, dims) => dims[key.text] === value.text;
  };
  const conjunction = (depth: number): Predicate => {
    const parts = [term(depth)];
    while (i < tokens.length && !isWord(')') && !isWord('OR')) {
      if (isWord('AND')) i++;
      parts.push(term(depth));
    }
    return (name, dims) => parts.every((p) => p(name, dims));
  };
  const disjunction = (depth: number): Predicate => {
    const parts = [conjunction(depth)];
    while (isWord('OR')) {
      if (depth === 0) fail('no OR outside parentheses (the sandbox needs the metric name pinned)');
      i++;
      parts.push(conjunction(depth + 1));
    }
    return (name, dims) => parts.some((p) => p(name, dims));
  };
  const predicate = disjunction(0);
  if (i < tokens.length) fail('the end');
  if (metricNames.length !== 1) {
    throw new Error(`SEARCH '${query}': needs exactly one MetricName="..." term (found ${metricNames.length})`);
  }
  const metricName = metricNames[0];
  return {
    namespace: schema[0],
    dimensions: schema.slice(1),
    metricName,
    matches: (dims) => predicate(metricName, dims),
  };
}
