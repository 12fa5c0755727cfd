import fc from 'fast-check';
import {
  BUCKETS_PER_OCTAVE,
  bucketBounds,
  bucketKey,
  Distribution,
  quantile,
  RELATIVE_ACCURACY,
} from '../../layers/instrumentation/metrics/distribution';

/** The exact nearest-rank quantile of raw observations (the same rank rule as `quantile`). */
function exactQuantile(observations: number[], p: number): number {
  const sorted = [...observations].sort((a, b) => a - b);
  return sorted[Math.max(1, Math.ceil(p * sorted.length)) - 1];
}

// Twelve decades: the span one store keeps at full accuracy (2048 buckets of 2 %).
const magnitude = fc.double({ min: 1e-6, max: 1e6, noNaN: true });
const observation = fc.oneof(
  { weight: 8, arbitrary: magnitude },
  { weight: 1, arbitrary: magnitude.map((v) => -v) },
  { weight: 1, arbitrary: fc.constant(0) },
);

describe('Distribution', () => {
  it('keeps every value within 1 % of its bucket representative', () => {
    fc.assert(
      fc.property(magnitude, (value) => {
        const distribution = new Distribution();
        distribution.observe(value);
        const [represented] = distribution.snapshot()!.values;
        expect(Math.abs(represented - value) / value).toBeLessThanOrEqual(RELATIVE_ACCURACY);
      }),
      { numRuns: 2000 },
    );
  });

  it('makes buckets at most 2 % wide', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2000, max: 38000 }), (key) => {
        const [lower, upper] = bucketBounds(key);
        expect(upper / lower).toBeLessThanOrEqual(1 + 1 / BUCKETS_PER_OCTAVE + 1e-12);
        expect(upper).toBeGreaterThan(lower);
      }),
    );
  });

  it('maps larger values to the same or a later bucket', () => {
    fc.assert(
      fc.property(magnitude, magnitude, (a, b) => {
        const [low, high] = a <= b ? [a, b] : [b, a];
        expect(bucketKey(low)).toBeLessThanOrEqual(bucketKey(high));
      }),
    );
  });

  it('reads p50, p90 and p99 within 2 % of the exact quantiles of the observations', () => {
    fc.assert(
      fc.property(fc.array(observation, { minLength: 1, maxLength: 400 }), (observations) => {
        const distribution = new Distribution();
        for (const value of observations) distribution.observe(value);
        const { values, counts } = distribution.snapshot()!;
        for (const p of [0.5, 0.9, 0.99]) {
          const exact = exactQuantile(observations, p);
          const estimate = quantile(values, counts, p);
          if (exact === 0) expect(estimate).toBe(0);
          else expect(Math.abs(estimate - exact) / Math.abs(exact)).toBeLessThanOrEqual(0.02);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('loses no observation: counts add up exactly and sum, min and max are exact', () => {
    fc.assert(
      fc.property(fc.array(observation, { minLength: 1, maxLength: 300 }), (observations) => {
        const distribution = new Distribution();
        for (const value of observations) distribution.observe(value);
        const snapshot = distribution.snapshot()!;
        expect(snapshot.counts.reduce((a, b) => a + b, 0)).toBe(observations.length);
        expect(snapshot.count).toBe(observations.length);
        expect(snapshot.sum).toBe(observations.reduce((a, b) => a + b, 0));
        expect(snapshot.min).toBe(Math.min(...observations));
        expect(snapshot.max).toBe(Math.max(...observations));
        expect([...snapshot.values].sort((a, b) => a - b)).toEqual(snapshot.values);
      }),
    );
  });

  it('rejects NaN, infinities and magnitudes above 2^360 without recording them', () => {
    const distribution = new Distribution();
    for (const value of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 2 ** 361, -(2 ** 361)]) {
      expect(distribution.observe(value)).toBe(false);
    }
    expect(distribution.snapshot()).toBeUndefined();
  });

  it('records magnitudes below 2^-360 as zero', () => {
    const distribution = new Distribution();
    distribution.observe(1e-200);
    distribution.observe(-1e-200);
    expect(distribution.snapshot()!.values).toEqual([0]);
    expect(distribution.snapshot()!.counts).toEqual([2]);
  });

  it('collapses the lowest buckets past 2048 buckets and keeps the upper quantiles accurate', () => {
    const distribution = new Distribution();
    const observations: number[] = [1e-40, 1e-35, 1e-30];
    for (let exponent = -3; exponent <= 3; exponent += 0.001) observations.push(10 ** exponent);
    for (const value of observations) distribution.observe(value);
    const { values, counts } = distribution.snapshot()!;
    expect(values.length).toBeLessThanOrEqual(2048);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(observations.length);
    for (const p of [0.9, 0.99]) {
      const exact = exactQuantile(observations, p);
      expect(Math.abs(quantile(values, counts, p) - exact) / exact).toBeLessThanOrEqual(0.02);
    }
  });

  it('starts a new interval after reset', () => {
    const distribution = new Distribution();
    distribution.observe(3);
    distribution.reset();
    expect(distribution.snapshot()).toBeUndefined();
    distribution.observe(5);
    expect(distribution.snapshot()).toMatchObject({ count: 1, sum: 5, min: 5, max: 5 });
  });
});
