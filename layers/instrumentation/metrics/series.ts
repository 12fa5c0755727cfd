/**
 * `SeriesTable`: finds the series of one instrument from a call's labels. Label names are
 * fixed at creation, so the lookup reads the declared names in order and never builds a key.
 */
import type { Labels } from '../types';
import { DROP_REASONS, type DropReason, dimensionValue } from './limits';

/** What the instruments need from their `Metrics`: settings read once and the drop accounting. */
export interface InstrumentContext {
  readonly strict: boolean;
  readonly maxSeriesPerMetric: number;
  readonly cardinalityWarningThreshold: number;
  /** The default dimensions every series carries, sanitized. */
  readonly defaultDimensions: Readonly<Record<string, string>>;
  /** Counts one dropped observation; in strict mode label errors throw before this is called. */
  dropObservation(metric: string, reason: DropReason, message: string): void;
  /** Counts one observation dropped because its series is over `maxSeriesPerMetric`. */
  dropSeries(metric: string, message: string): void;
  warnOnce(key: string, message: string): void;
}

/** What every series carries: its label values and CloudWatch dimensions, computed once. */
export interface SeriesBase {
  readonly labelValues: readonly string[];
  readonly dimensions: Readonly<Record<string, string>>;
}

// Past this many raw spellings per series on average, new spellings stop being cached (memory bound).
const MAX_ALIASES_PER_SERIES = 2;
const KEY_SEPARATOR = '\u0000';

export class SeriesTable<S extends SeriesBase> {
  readonly #metric: string;
  readonly #names: readonly string[];
  readonly #declared: ReadonlySet<string>;
  readonly #arity: number;
  readonly #first: string;
  readonly #second: string;
  readonly #context: InstrumentContext;
  readonly #create: (labelValues: readonly string[], dimensions: Readonly<Record<string, string>>) => S;
  // In strict mode every call checks its label set exactly; in production only new series are checked.
  readonly #strict: boolean;
  /** The series of an instrument without labels. */
  #single: S | undefined;
  // One-entry cache for one label: repeated values (interned literals) compare by pointer, skipping the Map hash.
  #lastValue: unknown;
  #lastSeries: S | undefined;
  /** Label value -> series (one label) or a Map of Maps, one level per label: no key string per call. */
  readonly #root = new Map<unknown, unknown>();
  /** Sanitized key -> series: the one series list, and two spellings of one value share a series. */
  readonly #series = new Map<string, S>();
  #aliases = 0;

  constructor(
    metric: string,
    names: readonly string[],
    context: InstrumentContext,
    create: (labelValues: readonly string[], dimensions: Readonly<Record<string, string>>) => S,
  ) {
    this.#metric = metric;
    this.#names = names;
    this.#declared = new Set(names);
    this.#arity = names.length;
    this.#first = names[0] ?? '';
    this.#second = names[1] ?? '';
    this.#context = context;
    this.#create = create;
    this.#strict = context.strict;
  }

  /** Every series, in creation order. */
  values(): IterableIterator<S> {
    return this.#series.values();
  }

  /** The hot path: the existing series for `labels`, or undefined (then call `resolve`). */
  find(labels: Labels | undefined): S | undefined {
    if (this.#strict && !this.#exact(labels)) return undefined;
    switch (this.#arity) {
      case 0:
        return labels === undefined ? this.#single : undefined;
      case 1: {
        if (labels === undefined) return undefined;
        const value = labels[this.#first];
        if (value === this.#lastValue && value !== undefined) return this.#lastSeries;
        const series = this.#root.get(value) as S | undefined;
        if (series !== undefined) {
          this.#lastValue = value;
          this.#lastSeries = series;
        }
        return series;
      }
      case 2: {
        if (labels === undefined) return undefined;
        const inner = this.#root.get(labels[this.#first]) as Map<unknown, S> | undefined;
        return inner === undefined ? undefined : inner.get(labels[this.#second]);
      }
      default: {
        if (labels === undefined) return undefined;
        let level: unknown = this.#root;
        for (let index = 0; index < this.#arity && level !== undefined; index++) {
          level = (level as Map<unknown, unknown>).get(labels[this.#names[index]]);
        }
        return level as S | undefined;
      }
    }
  }

  /**
   * The slow path: validates `labels`, then finds or creates the series. Returns undefined when
   * the call is dropped (and counted); throws in strict mode for a wrong label set.
   */
  resolve(labels: unknown): S | undefined {
    const raw = this.#validate(labels);
    if (raw === undefined) return undefined;
    const values = raw.map((value) => dimensionValue(String(value)));
    const key = values.join(KEY_SEPARATOR);
    let series = this.#series.get(key);
    if (series === undefined) {
      series = this.#add(values);
      if (series === undefined) return undefined;
    }
    this.#remember(raw, series);
    return series;
  }

  #add(values: string[]): S | undefined {
    const context = this.#context;
    const count = this.#series.size;
    if (count >= context.maxSeriesPerMetric) {
      context.dropSeries(
        this.#metric,
        `metric '${this.#metric}': series limit of ${context.maxSeriesPerMetric} reached; new label combinations are dropped (maxSeriesPerMetric)`,
      );
      return undefined;
    }
    if (count + 1 >= context.cardinalityWarningThreshold) {
      context.warnOnce(
        `cardinality:${this.#metric}`,
        `metric '${this.#metric}': ${count + 1} series reached the cardinality warning threshold of ${context.cardinalityWarningThreshold} (limit ${context.maxSeriesPerMetric})`,
      );
    }
    const dimensions: Record<string, string> = { ...context.defaultDimensions };
    for (let index = 0; index < this.#arity; index++) dimensions[this.#names[index]] = values[index];
    const series = this.#create(values, dimensions);
    this.#series.set(values.join(KEY_SEPARATOR), series);
    return series;
  }

  /** Caches the raw spelling of the label values so the next call takes the fast path. */
  #remember(raw: unknown[], series: S): void {
    if (this.#arity === 0) {
      this.#single = series;
      return;
    }
    if (this.#aliases >= (this.#series.size + 1) * MAX_ALIASES_PER_SERIES) return;
    let level = this.#root;
    for (let index = 0; index < this.#arity - 1; index++) {
      let next = level.get(raw[index]) as Map<unknown, unknown> | undefined;
      if (next === undefined) {
        next = new Map();
        level.set(raw[index], next);
      }
      level = next;
    }
    if (!level.has(raw[this.#arity - 1])) {
      level.set(raw[this.#arity - 1], series);
      this.#aliases++;
    }
  }

  /** True when `labels` has exactly the declared names (strict mode's per-call check). */
  #exact(labels: Labels | undefined): boolean {
    if (labels === undefined) return this.#arity === 0;
    let count = 0;
    for (const name in labels) {
      if (!this.#declared.has(name)) return false;
      count++;
    }
    return count === this.#arity;
  }

  /** The raw label values in declared order, or undefined after reporting the problem. */
  #validate(labels: unknown): unknown[] | undefined {
    const declared = this.#arity === 0 ? 'none' : this.#names.join(', ');
    if (labels !== undefined && (labels === null || typeof labels !== 'object')) {
      return this.#reject(
        DROP_REASONS.undeclaredLabel,
        `metric '${this.#metric}': labels must be an object, received ${typeof labels} (declared labels: ${declared})`,
      );
    }
    const record = (labels ?? {}) as Record<string, unknown>;
    for (const name in record) {
      if (!this.#declared.has(name)) {
        return this.#reject(
          DROP_REASONS.undeclaredLabel,
          `metric '${this.#metric}': label '${name}' is not declared (declared labels: ${declared})`,
        );
      }
    }
    const raw: unknown[] = [];
    for (const name of this.#names) {
      const value = record[name];
      if (value === undefined) {
        return this.#reject(
          DROP_REASONS.undeclaredLabel,
          `metric '${this.#metric}': label '${name}' is missing (declared labels: ${declared})`,
        );
      }
      const type = typeof value;
      if (type !== 'string' && type !== 'number' && type !== 'boolean' && type !== 'bigint') {
        return this.#reject(
          DROP_REASONS.invalidLabelValue,
          `metric '${this.#metric}': label '${name}' has a value of type ${value === null ? 'null' : type} (use a string)`,
        );
      }
      raw.push(value);
    }
    return raw;
  }

  #reject(reason: DropReason, message: string): undefined {
    if (this.#strict) throw new Error(message);
    this.#context.dropObservation(this.#metric, reason, message);
    return undefined;
  }
}
