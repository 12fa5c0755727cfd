/**
 * The four instruments. Each call finds its series through a `SeriesTable` (no allocation for
 * an existing series) and updates numbers in place; everything else happens at flush.
 */
import type { Counter, Gauge, Histogram, Labels, MetricUnit, StorageResolution, Summary } from '../types';
import { Distribution, type DistributionValue, quantile } from './distribution';
import { DROP_REASONS, MAX_MAGNITUDE } from './limits';
import { type InstrumentContext, type SeriesBase, SeriesTable } from './series';

export type InstrumentKind = 'counter' | 'gauge' | 'histogram' | 'summary';

/** What `Metrics`, the serializers and `toPrometheus()` know about an instrument. */
export interface InstrumentDefinition {
  readonly name: string;
  readonly kind: InstrumentKind;
  readonly description: string;
  readonly labels: readonly string[];
  readonly unit: MetricUnit;
  readonly resolution: StorageResolution;
  /** Histograms: upper bounds of the Prometheus buckets, ascending, without +Inf. */
  readonly buckets: readonly number[];
  /** Summaries: the quantiles of the Prometheus exposition. */
  readonly quantiles: readonly number[];
}

/** One series as read by the exposition: cumulative since creation. */
export type ExposedValue =
  | { readonly kind: 'counter' | 'gauge'; readonly value: number }
  | {
      readonly kind: 'histogram';
      readonly bucketCounts: readonly number[];
      readonly sum: number;
      readonly count: number;
    }
  | { readonly kind: 'summary'; readonly quantiles: readonly number[]; readonly sum: number; readonly count: number };

export interface Instrument {
  readonly definition: InstrumentDefinition;
  /** Hands every series changed since the last drain to `visit`, then starts a new interval. */
  drain(visit: (series: SeriesBase, value: number | DistributionValue) => void): void;
  /** Every series' cumulative value, for the Prometheus exposition. */
  expose(visit: (series: SeriesBase, value: ExposedValue) => void): void;
}

class ScalarSeries implements SeriesBase {
  /** The counter's sum or the gauge's last value in the current interval. */
  value = 0;
  /** Counters: the sum up to the last flush (Prometheus counters never go back). */
  total = 0;
  touched = false;
  everSet = false;
  constructor(
    readonly labelValues: readonly string[],
    readonly dimensions: Readonly<Record<string, string>>,
  ) {}
}

class DistributionSeries implements SeriesBase {
  readonly distribution = new Distribution();
  /** Cumulative count per Prometheus bucket (histograms; the last slot is +Inf) up to the last flush. */
  readonly bucketTotals: number[];
  totalCount = 0;
  totalSum = 0;
  /** Summaries: the quantiles of the last non-empty interval. */
  lastQuantiles: number[] | undefined;
  constructor(
    readonly labelValues: readonly string[],
    readonly dimensions: Readonly<Record<string, string>>,
    buckets: number,
  ) {
    this.bucketTotals = new Array<number>(buckets + 1).fill(0);
  }
}

/** Runs a slow path so that only strict-mode label errors escape: telemetry never throws otherwise. */
function guarded(context: InstrumentContext, metric: string, action: () => void): void {
  try {
    action();
  } catch (error) {
    if (context.strict) throw error;
    context.dropObservation(metric, DROP_REASONS.internalError, `metric '${metric}': ${String(error)}`);
  }
}

function rejectValue(context: InstrumentContext, metric: string, value: unknown, allowed: string): void {
  const finite = typeof value === 'number' && Number.isFinite(value);
  const reason = finite ? DROP_REASONS.outOfRange : DROP_REASONS.nonFinite;
  context.dropObservation(metric, reason, `metric '${metric}': value ${String(value)} is dropped (${allowed})`);
}

export class CounterInstrument implements Counter, Instrument {
  readonly name: string;
  readonly definition: InstrumentDefinition;
  readonly #table: SeriesTable<ScalarSeries>;
  readonly #context: InstrumentContext;

  constructor(definition: InstrumentDefinition, context: InstrumentContext) {
    this.name = definition.name;
    this.definition = definition;
    this.#context = context;
    this.#table = new SeriesTable(definition.name, definition.labels, context, (l, d) => new ScalarSeries(l, d));
  }

  inc(labels?: Labels, by = 1): void {
    const series = this.#table.find(labels);
    // NaN fails both comparisons, so one test covers negative, non-finite and huge increments.
    if (series !== undefined && by >= 0 && by <= MAX_MAGNITUDE) {
      series.value += by;
      series.touched = true;
      return;
    }
    this.#slowInc(labels, by);
  }

  #slowInc(labels: unknown, by: unknown): void {
    guarded(this.#context, this.name, () => {
      if (typeof labels === 'number') [labels, by] = [undefined, labels];
      const series = this.#table.resolve(labels);
      if (series === undefined) return;
      if (typeof by === 'number' && by < 0) {
        const message = `metric '${this.name}': increment ${by} is negative (counters only go up; use a gauge)`;
        if (this.#context.strict) throw new Error(message);
        this.#context.dropObservation(this.name, DROP_REASONS.negativeIncrement, message);
        return;
      }
      if (!(typeof by === 'number' && by <= MAX_MAGNITUDE)) {
        rejectValue(this.#context, this.name, by, 'increments are finite numbers from 0 to 2^360');
        return;
      }
      series.value += by;
      series.touched = true;
    });
  }

  drain(visit: (series: SeriesBase, value: number) => void): void {
    for (const series of this.#table.values()) {
      if (!series.touched) continue;
      visit(series, series.value);
      series.total += series.value;
      series.value = 0;
      series.touched = false;
    }
  }

  expose(visit: (series: SeriesBase, value: ExposedValue) => void): void {
    for (const series of this.#table.values()) visit(series, { kind: 'counter', value: series.total + series.value });
  }
}

export class GaugeInstrument implements Gauge, Instrument {
  readonly name: string;
  readonly definition: InstrumentDefinition;
  readonly #table: SeriesTable<ScalarSeries>;
  readonly #context: InstrumentContext;

  constructor(definition: InstrumentDefinition, context: InstrumentContext) {
    this.name = definition.name;
    this.definition = definition;
    this.#context = context;
    this.#table = new SeriesTable(definition.name, definition.labels, context, (l, d) => new ScalarSeries(l, d));
  }

  set(labels: Labels | undefined, value: number): void;
  set(value: number): void;
  set(labels: Labels | number | undefined, value?: number): void {
    if (typeof labels === 'number') {
      value = labels;
      labels = undefined;
    }
    const series = this.#table.find(labels);
    // Math.abs(NaN) <= x is false: one test rejects NaN, ±Infinity and out-of-range values.
    if (series !== undefined && Math.abs(value as number) <= MAX_MAGNITUDE) {
      series.value = value as number;
      series.touched = true;
      series.everSet = true;
      return;
    }
    this.#slowSet(labels, value);
  }

  #slowSet(labels: unknown, value: unknown): void {
    guarded(this.#context, this.name, () => {
      const series = this.#table.resolve(labels);
      if (series === undefined) return;
      if (!(typeof value === 'number' && Math.abs(value) <= MAX_MAGNITUDE)) {
        rejectValue(this.#context, this.name, value, 'gauge values are finite numbers within ±2^360');
        return;
      }
      series.value = value;
      series.touched = true;
      series.everSet = true;
    });
  }

  drain(visit: (series: SeriesBase, value: number) => void): void {
    for (const series of this.#table.values()) {
      if (!series.touched) continue;
      visit(series, series.value);
      series.touched = false;
    }
  }

  expose(visit: (series: SeriesBase, value: ExposedValue) => void): void {
    for (const series of this.#table.values())
      if (series.everSet) visit(series, { kind: 'gauge', value: series.value });
  }
}

/** Histograms and summaries: the same distribution, exposed differently to Prometheus. */
export class DistributionInstrument implements Histogram, Summary, Instrument {
  readonly name: string;
  readonly definition: InstrumentDefinition;
  readonly #table: SeriesTable<DistributionSeries>;
  readonly #context: InstrumentContext;

  constructor(definition: InstrumentDefinition, context: InstrumentContext) {
    this.name = definition.name;
    this.definition = definition;
    this.#context = context;
    const buckets = definition.buckets.length;
    this.#table = new SeriesTable(
      definition.name,
      definition.labels,
      context,
      (l, d) => new DistributionSeries(l, d, buckets),
    );
  }

  observe(labels: Labels | undefined, value: number): void;
  observe(value: number): void;
  observe(labels: Labels | number | undefined, value?: number): void {
    if (typeof labels === 'number') {
      value = labels;
      labels = undefined;
    }
    const series = this.#table.find(labels);
    if (series?.distribution.observe(value as number)) return;
    this.#slowObserve(labels, value, series !== undefined);
  }

  #slowObserve(labels: unknown, value: unknown, rejected: boolean): void {
    guarded(this.#context, this.name, () => {
      const series = rejected ? undefined : this.#table.resolve(labels);
      if (!rejected && series === undefined) return;
      if (typeof value === 'number' && series?.distribution.observe(value)) return;
      rejectValue(this.#context, this.name, value, 'observations are finite numbers within ±2^360');
    });
  }

  drain(visit: (series: SeriesBase, value: DistributionValue) => void): void {
    const { buckets, quantiles } = this.definition;
    for (const series of this.#table.values()) {
      const snapshot = series.distribution.snapshot();
      if (snapshot === undefined) continue;
      visit(series, snapshot);
      fold(series, snapshot, buckets, quantiles);
      series.distribution.reset();
    }
  }

  expose(visit: (series: SeriesBase, value: ExposedValue) => void): void {
    const { buckets, quantiles, kind } = this.definition;
    for (const series of this.#table.values()) {
      const current = series.distribution.snapshot();
      const count = series.totalCount + (current?.count ?? 0);
      const sum = series.totalSum + (current?.sum ?? 0);
      if (kind === 'summary') {
        const values = current
          ? quantiles.map((p) => quantile(current.values, current.counts, p))
          : (series.lastQuantiles ?? quantiles.map(() => Number.NaN));
        visit(series, { kind: 'summary', quantiles: values, sum, count });
      } else {
        const bucketCounts = series.bucketTotals.slice();
        if (current) addToBuckets(bucketCounts, current, buckets);
        visit(series, { kind: 'histogram', bucketCounts, sum, count });
      }
    }
  }
}

/** Adds a drained interval to the cumulative Prometheus state of its series. */
function fold(
  series: DistributionSeries,
  snapshot: DistributionValue,
  buckets: readonly number[],
  quantiles: readonly number[],
): void {
  series.totalCount += snapshot.count;
  series.totalSum += snapshot.sum;
  addToBuckets(series.bucketTotals, snapshot, buckets);
  if (quantiles.length > 0) series.lastQuantiles = quantiles.map((p) => quantile(snapshot.values, snapshot.counts, p));
}

/** Counts each bucket representative into the first Prometheus bucket whose bound is >= it (not cumulative). */
function addToBuckets(target: number[], snapshot: DistributionValue, buckets: readonly number[]): void {
  let bucket = 0;
  for (let index = 0; index < snapshot.values.length; index++) {
    const value = snapshot.values[index];
    while (bucket < buckets.length && value > buckets[bucket]) bucket++;
    target[bucket] += snapshot.counts[index];
  }
}
