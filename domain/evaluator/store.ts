/**
 * The evaluator's in-memory metric store: raw observations (what EMF lines and PutMetricData
 * carry) keyed by namespace + metric name + exact dimension set, and CloudWatch's statistics
 * over a period bucket. Also `ingestEmf`, which turns one kit EMF line into observations for
 * every dimension set it declares, so a local sandbox can feed a service's stdout.
 */
import type { Statistic } from '../contracts/alarm-spec';

/** One raw observation: a value, or a distribution as Values/Counts (EMF and PutMetricData). */
export interface Observation {
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions: Readonly<Record<string, string>>;
  /** Milliseconds since the epoch. */
  readonly timestamp: number;
  readonly value?: number;
  readonly values?: readonly number[];
  /** One count per value. @default - 1 each */
  readonly counts?: readonly number[];
  /** EMF's statistic set beside Values/Counts (Count, Sum, Min, Max): used as given for the basic statistics. */
  readonly stats?: { readonly count: number; readonly sum: number; readonly min: number; readonly max: number };
}

/** The aggregate of one period bucket. */
export interface PeriodAggregate {
  readonly sampleCount: number;
  readonly sum: number;
  readonly min: number;
  readonly max: number;
  /** Distinct values with their counts, sorted ascending (for percentiles and percentile ranks). */
  readonly distribution: readonly (readonly [value: number, count: number])[];
}

interface Sample {
  readonly timestamp: number;
  readonly values: readonly number[];
  readonly counts: readonly number[];
  readonly count: number;
  readonly sum: number;
  readonly min: number;
  readonly max: number;
}

/** CloudWatch's documented minimum sample count for a percentile alarm to be significant. */
export const LOW_SAMPLE_FACTOR = 10;

const PERCENTILE_RE = /^p(\d+(?:\.\d+)?)$/;
const RANK_RE = /^PR\((-?\d+(?:\.\d+)?)?:(-?\d+(?:\.\d+)?)?\)$/;

export function seriesKey(namespace: string, metricName: string, dimensions: Readonly<Record<string, string>>): string {
  const dims = Object.keys(dimensions)
    .sort()
    .map((k) => [k, dimensions[k]]);
  return JSON.stringify([namespace, metricName, dims]);
}

function invalid(field: string, value: unknown, allowed: string): Error {
  return new Error(`observation ${field}: ${JSON.stringify(value)} is not allowed (${allowed})`);
}

function toSample(o: Observation): Sample {
  if (!Number.isFinite(o.timestamp)) throw invalid('timestamp', o.timestamp, 'milliseconds since the epoch');
  if (o.value !== undefined) {
    if (!Number.isFinite(o.value)) throw invalid('value', o.value, 'a finite number');
    return {
      timestamp: o.timestamp,
      values: [o.value],
      counts: [1],
      count: 1,
      sum: o.value,
      min: o.value,
      max: o.value,
    };
  }
  const values = o.values ?? [];
  const counts = o.counts ?? values.map(() => 1);
  if (values.length === 0) throw invalid('values', values, 'a value, or at least one of values');
  if (counts.length !== values.length) throw invalid('counts', counts, `one count per value (${values.length})`);
  let count = 0;
  let sum = 0;
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  values.forEach((v, i) => {
    const c = counts[i];
    if (!Number.isFinite(v)) throw invalid(`values[${i}]`, v, 'a finite number');
    if (!(Number.isFinite(c) && c > 0)) throw invalid(`counts[${i}]`, c, 'a count above 0');
    count += c;
    sum += v * c;
    min = Math.min(min, v);
    max = Math.max(max, v);
  });
  const s = o.stats;
  return s
    ? { timestamp: o.timestamp, values, counts, ...s }
    : { timestamp: o.timestamp, values, counts, count, sum, min, max };
}

/** Observations by series, each kept sorted by time. */
export class MetricStore {
  readonly #series = new Map<string, Sample[]>();

  /** Adds observations; throws (naming the field and value) on a non-finite value or a bad count. */
  add(...observations: readonly Observation[]): this {
    for (const o of observations) {
      const sample = toSample(o);
      const key = seriesKey(o.namespace, o.metricName, o.dimensions);
      let list = this.#series.get(key);
      if (!list) {
        list = [];
        this.#series.set(key, list);
      }
      // Observations mostly arrive in order: append, else insert at the sorted position.
      let at = list.length;
      while (at > 0 && list[at - 1].timestamp > sample.timestamp) at--;
      list.splice(at, 0, sample);
    }
    return this;
  }

  /** The number of distinct series (namespace, name, dimension set). */
  get size(): number {
    return this.#series.size;
  }

  /** The dimension sets recorded for one metric: what a metric math SEARCH matches against. */
  dimensionSets(namespace: string, metricName: string): Record<string, string>[] {
    // seriesKey's JSON up to the dimensions: only the metric's own keys are parsed.
    const prefix = `${JSON.stringify([namespace, metricName]).slice(0, -1)},`;
    const out: Record<string, string>[] = [];
    for (const key of this.#series.keys()) {
      if (!key.startsWith(prefix)) continue;
      const [, , dims] = JSON.parse(key) as [string, string, [string, string][]];
      out.push(Object.fromEntries(dims));
    }
    return out;
  }

  /** The aggregate of `[start, end)` for one series; undefined when it has no observation there. */
  aggregate(
    namespace: string,
    metricName: string,
    dimensions: Readonly<Record<string, string>>,
    start: number,
    end: number,
  ): PeriodAggregate | undefined {
    const list = this.#series.get(seriesKey(namespace, metricName, dimensions));
    if (!list) return undefined;
    let i = lowerBound(list, start);
    if (i >= list.length || list[i].timestamp >= end) return undefined;
    let sampleCount = 0;
    let sum = 0;
    let min = Number.POSITIVE_INFINITY;
    let max = Number.NEGATIVE_INFINITY;
    const merged = new Map<number, number>();
    for (; i < list.length && list[i].timestamp < end; i++) {
      const s = list[i];
      sampleCount += s.count;
      sum += s.sum;
      min = Math.min(min, s.min);
      max = Math.max(max, s.max);
      for (let j = 0; j < s.values.length; j++) merged.set(s.values[j], (merged.get(s.values[j]) ?? 0) + s.counts[j]);
    }
    const distribution = [...merged.entries()].sort((a, b) => a[0] - b[0]);
    return { sampleCount, sum, min, max, distribution };
  }
}

function lowerBound(list: readonly Sample[], t: number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (list[mid].timestamp < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The fraction (0..1) of a `pNN` statistic; undefined for any other statistic. */
export function percentileOf(stat: string): number | undefined {
  const m = PERCENTILE_RE.exec(stat);
  if (!m) return undefined;
  const p = Number(m[1]);
  return p >= 0 && p <= 100 ? p / 100 : undefined;
}

/**
 * The sample count under which a percentile is not statistically significant (AWS, "Percentile-based
 * CloudWatch alarms and low data samples"): 10 / (1 - p) for p in [0.5, 1), 10 / p below 0.5.
 */
export function lowSampleThreshold(fraction: number): number {
  return fraction >= 0.5 ? LOW_SAMPLE_FACTOR / (1 - fraction) : LOW_SAMPLE_FACTOR / fraction;
}

/**
 * One CloudWatch statistic of a bucket; undefined when CloudWatch gives no value.
 * - Sum, Minimum, Maximum, SampleCount as recorded; Average = Sum / SampleCount.
 * - `pNN`: nearest rank on the distribution: sort the values (each repeated by its count), take
 *   the value of rank ceil(p/100 x SampleCount), at least rank 1 (AWS: p99 is "the maximum value
 *   of the remaining 99 %"). Like CloudWatch, no percentile when any value is negative.
 * - `PR(a:b)`: percentage of samples with a < value <= b (either bound optional); also none with
 *   negative values.
 */
export function statistic(agg: PeriodAggregate, stat: Statistic | string): number | undefined {
  switch (stat) {
    case 'Sum':
      return agg.sum;
    case 'Average':
      return agg.sampleCount > 0 ? agg.sum / agg.sampleCount : undefined;
    case 'Minimum':
      return agg.min;
    case 'Maximum':
      return agg.max;
    case 'SampleCount':
      return agg.sampleCount;
  }
  const hasNegative = agg.distribution.length > 0 && agg.distribution[0][0] < 0;
  const fraction = percentileOf(stat);
  if (fraction !== undefined) {
    if (hasNegative) return undefined;
    const total = agg.distribution.reduce((n, [, c]) => n + c, 0);
    const rank = Math.max(1, Math.ceil(fraction * total - 1e-9));
    let seen = 0;
    for (const [value, count] of agg.distribution) {
      seen += count;
      if (seen >= rank) return value;
    }
    return agg.distribution.at(-1)?.[0];
  }
  const r = RANK_RE.exec(stat);
  if (r) {
    if (hasNegative) return undefined;
    const low = r[1] === undefined ? Number.NEGATIVE_INFINITY : Number(r[1]);
    const high = r[2] === undefined ? Number.POSITIVE_INFINITY : Number(r[2]);
    let total = 0;
    let inside = 0;
    for (const [value, count] of agg.distribution) {
      total += count;
      if (value > low && value <= high) inside += count;
    }
    return total > 0 ? (100 * inside) / total : undefined;
  }
  throw new Error(
    `statistic '${stat}' is not supported by the evaluator (use Sum, Average, Minimum, Maximum, SampleCount, pNN or PR(a:b))`,
  );
}

interface EmfDirective {
  readonly Namespace?: unknown;
  readonly Dimensions?: unknown;
  readonly Metrics?: unknown;
}

/**
 * The observations of one EMF line, for every dimension set of every directive. A line that is
 * not an EMF document (a plain log line, other JSON) gives none; never throws.
 */
export function ingestEmf(line: string): Observation[] {
  let doc: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(line);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return [];
    doc = parsed as Record<string, unknown>;
  } catch {
    return [];
  }
  const aws = doc._aws as { Timestamp?: unknown; CloudWatchMetrics?: unknown } | undefined;
  if (typeof aws !== 'object' || aws === null || !Array.isArray(aws.CloudWatchMetrics)) return [];
  const timestamp = aws.Timestamp;
  if (typeof timestamp !== 'number' || !Number.isFinite(timestamp)) return [];
  const out: Observation[] = [];
  for (const directive of aws.CloudWatchMetrics as EmfDirective[]) {
    if (typeof directive?.Namespace !== 'string' || !Array.isArray(directive.Metrics)) continue;
    const sets = Array.isArray(directive.Dimensions) ? (directive.Dimensions as unknown[]) : [[]];
    for (const metric of directive.Metrics as { Name?: unknown }[]) {
      if (typeof metric?.Name !== 'string') continue;
      const value = emfValue(doc[metric.Name]);
      if (!value) continue;
      for (const set of sets) {
        const dimensions = dimensionsOf(set, doc);
        if (!dimensions) continue;
        out.push({ namespace: directive.Namespace, metricName: metric.Name, dimensions, timestamp, ...value });
      }
    }
  }
  return out;
}

function dimensionsOf(set: unknown, doc: Record<string, unknown>): Record<string, string> | undefined {
  if (!Array.isArray(set)) return undefined;
  const dims: Record<string, string> = {};
  for (const name of set) {
    const v = typeof name === 'string' ? doc[name] : undefined;
    // CloudWatch drops a metric whose dimension is missing from the document.
    if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') return undefined;
    dims[name as string] = String(v);
  }
  return dims;
}

type EmfValue = Pick<Observation, 'value' | 'values' | 'counts' | 'stats'>;

function emfValue(raw: unknown): EmfValue | undefined {
  const finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
  if (finite(raw)) return { value: raw };
  if (Array.isArray(raw)) {
    const values = raw.filter(finite);
    return values.length > 0 ? { values } : undefined;
  }
  if (typeof raw !== 'object' || raw === null) return undefined;
  const d = raw as Record<string, unknown>;
  if (!Array.isArray(d.Values) || !Array.isArray(d.Counts) || d.Values.length !== d.Counts.length) return undefined;
  const values: number[] = [];
  const counts: number[] = [];
  d.Values.forEach((v, i) => {
    const c = (d.Counts as unknown[])[i];
    if (finite(v) && finite(c) && c > 0) {
      values.push(v);
      counts.push(c);
    }
  });
  if (values.length === 0) return undefined;
  const stats =
    finite(d.Count) && finite(d.Sum) && finite(d.Min) && finite(d.Max)
      ? { count: d.Count, sum: d.Sum, min: d.Min, max: d.Max }
      : undefined;
  return stats ? { values, counts, stats } : { values, counts };
}
