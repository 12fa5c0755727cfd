/**
 * A bounded, mergeable distribution with a relative-accuracy guarantee.
 *
 * Buckets are log-linear: each octave [2^e, 2^(e+1)) is cut into 50 equal slices of the
 * mantissa, so a bucket is at most 2 % wide (upper / lower bound <= 1.02) and its
 * representative (the geometric mid) is within 1 % of every value in it. The bucket of a
 * value is read from the high word of its IEEE-754 bits: no Math.log on the hot path.
 * Because bucketing is monotonic, the p-quantile read from the buckets (nearest rank) is the
 * representative of the bucket holding the exact p-quantile: within 1 % of it.
 *
 * Positive and negative values use two stores; magnitudes below 2^-360 count as zero (what
 * CloudWatch would store anyway); magnitudes above 2^360, NaN and Infinity are rejected.
 * A store spans at most 2,048 buckets (about 12 decades); a wider spread collapses its
 * lowest buckets into one, which keeps the upper quantiles (p90, p99) exact to 1 %.
 */
import { MAX_MAGNITUDE, MIN_MAGNITUDE } from './limits';

/** Mantissa slices per octave: 1 + 1/50 = 1.02 is the widest bucket ratio. */
export const BUCKETS_PER_OCTAVE = 50 as const;
/** Largest span of bucket keys one store keeps before collapsing its lowest buckets. */
export const MAX_BUCKET_SPAN = 2048 as const;
/** The accuracy guarantee, as a fraction: |representative - value| / |value| <= this. */
export const RELATIVE_ACCURACY = 0.01 as const;

const MANTISSA_SCALE = 2 ** 20;
// Shifting exponents by 400 octaves keeps every key of [2^-360, 2^360] positive, so `| 0` floors.
const OCTAVE_SHIFT = 400;
const KEY_BIAS = (1023 - OCTAVE_SHIFT) * MANTISSA_SCALE;
const KEY_SCALE = BUCKETS_PER_OCTAVE / MANTISSA_SCALE;
const INITIAL_CAPACITY = 128;

// One shared scratch buffer: reading a double's high word costs a store and a load, no allocation.
const scratch = new Float64Array(1);
const scratchWords = new Uint32Array(scratch.buffer);
const HIGH_WORD = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 1 : 0;

/** The bucket key of a magnitude in [2^-360, 2^360]. */
export function bucketKey(magnitude: number): number {
  scratch[0] = magnitude;
  return ((scratchWords[HIGH_WORD] - KEY_BIAS) * KEY_SCALE) | 0;
}

/** Inverse of the key mapping at a (possibly fractional) key. */
function keyToValue(key: number): number {
  const position = key / BUCKETS_PER_OCTAVE;
  const octave = Math.floor(position);
  return 2 ** (octave - OCTAVE_SHIFT) * (1 + position - octave);
}

/** The lower and upper bound of a bucket. */
export function bucketBounds(key: number): [number, number] {
  return [keyToValue(key), keyToValue(key + 1)];
}

/** The representative of a bucket: its geometric mid, rounded to 7 significant digits (keeps lines short). */
export function bucketValue(key: number): number {
  const [lower, upper] = bucketBounds(key);
  return Number(Math.sqrt(lower * upper).toPrecision(7));
}

/** Counts per bucket key over a contiguous, growable range of keys. */
class BucketStore {
  counts = new Float64Array(0);
  offset = 0;

  add(key: number): void {
    const index = key - this.offset;
    if (index >= 0 && index < this.counts.length) {
      this.counts[index]++;
      return;
    }
    this.#grow(key);
    this.counts[Math.max(0, key - this.offset)]++;
  }

  /** Calls `visit` for each non-empty bucket in ascending key order. */
  forEach(visit: (key: number, count: number) => void): void {
    const counts = this.counts;
    for (let index = 0; index < counts.length; index++)
      if (counts[index] > 0) visit(index + this.offset, counts[index]);
  }

  reset(): void {
    this.counts.fill(0);
  }

  #grow(key: number): void {
    const counts = this.counts;
    let low = key;
    let high = key;
    for (let index = 0; index < counts.length; index++) {
      if (counts[index] === 0) continue;
      low = Math.min(low, index + this.offset);
      high = Math.max(high, index + this.offset);
    }
    if (high - low + 1 > MAX_BUCKET_SPAN) low = high - MAX_BUCKET_SPAN + 1;
    const span = high - low + 1;
    let capacity = INITIAL_CAPACITY;
    while (capacity < span && capacity < MAX_BUCKET_SPAN) capacity *= 2;
    // Room on both sides, so a drifting distribution does not regrow at every new bucket.
    const offset = Math.max(low - Math.floor((capacity - span) / 2), high - capacity + 1);
    // A collapsed store hit below its floor keeps its layout: the caller counts into bucket 0.
    if (capacity === counts.length && offset === this.offset) return;
    const grown = new Float64Array(capacity);
    for (let index = 0; index < counts.length; index++) {
      if (counts[index] === 0) continue;
      grown[Math.max(0, index + this.offset - offset)] += counts[index];
    }
    this.counts = grown;
    this.offset = offset;
  }
}

/** The emitted form of a distribution: Values/Counts plus exact statistics. */
export interface DistributionValue {
  /** Bucket representatives, ascending. */
  readonly values: readonly number[];
  /** Observations per value; every count is a positive integer. */
  readonly counts: readonly number[];
  /** The exact sum of the observations. */
  readonly sum: number;
  readonly count: number;
  readonly min: number;
  readonly max: number;
}

export class Distribution {
  count = 0;
  sum = 0;
  min = Number.POSITIVE_INFINITY;
  max = Number.NEGATIVE_INFINITY;
  zeros = 0;
  readonly #positive = new BucketStore();
  #negative: BucketStore | undefined;

  /** Records `value`; returns false (and records nothing) for NaN, ±Infinity and magnitudes above 2^360. */
  observe(value: number): boolean {
    // One range test sends every ordinary positive value down the short path.
    if (value >= MIN_MAGNITUDE && value <= MAX_MAGNITUDE) {
      // bucketKey and the store's in-range increment, inlined: this is the whole hot path.
      scratch[0] = value;
      const store = this.#positive;
      const index = (((scratchWords[HIGH_WORD] - KEY_BIAS) * KEY_SCALE) | 0) - store.offset;
      if (index >= 0 && index < store.counts.length) store.counts[index]++;
      else store.add(index + store.offset);
    } else if (!(Math.abs(value) <= MAX_MAGNITUDE)) {
      return false;
    } else if (value > -MIN_MAGNITUDE) {
      this.zeros++;
    } else {
      this.#negative ??= new BucketStore();
      this.#negative.add(bucketKey(-value));
    }
    this.count++;
    this.sum += value;
    if (value < this.min) this.min = value;
    if (value > this.max) this.max = value;
    return true;
  }

  /** Values/Counts ascending, with exact sum, count, min and max; undefined when empty. */
  snapshot(): DistributionValue | undefined {
    if (this.count === 0) return undefined;
    const values: number[] = [];
    const counts: number[] = [];
    if (this.#negative !== undefined) {
      const negatives: [number, number][] = [];
      this.#negative.forEach((key, count) => {
        negatives.push([-bucketValue(key), count]);
      });
      for (let index = negatives.length - 1; index >= 0; index--) {
        values.push(negatives[index][0]);
        counts.push(negatives[index][1]);
      }
    }
    if (this.zeros > 0) {
      values.push(0);
      counts.push(this.zeros);
    }
    this.#positive.forEach((key, count) => {
      values.push(bucketValue(key));
      counts.push(count);
    });
    return { values, counts, sum: this.sum, count: this.count, min: this.min, max: this.max };
  }

  reset(): void {
    this.count = 0;
    this.sum = 0;
    this.min = Number.POSITIVE_INFINITY;
    this.max = Number.NEGATIVE_INFINITY;
    this.zeros = 0;
    this.#positive.reset();
    this.#negative?.reset();
  }
}

/**
 * The nearest-rank p-quantile (0 < p <= 1) of a Values/Counts distribution whose values are
 * ascending: the smallest value whose cumulative count reaches ceil(p * total).
 */
export function quantile(values: readonly number[], counts: readonly number[], p: number): number {
  let total = 0;
  for (const count of counts) total += count;
  if (total === 0) return Number.NaN;
  const rank = Math.max(1, Math.ceil(p * total));
  let seen = 0;
  for (let index = 0; index < values.length; index++) {
    seen += counts[index];
    if (seen >= rank) return values[index];
  }
  return values[values.length - 1];
}
