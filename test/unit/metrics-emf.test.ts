import fc from 'fast-check';
import { Distribution, type DistributionValue } from '../../layers/instrumentation/metrics/distribution';
import { type EmfSeries, serializeEmf } from '../../layers/instrumentation/metrics/emf';
import {
  MAX_DIMENSIONS,
  MAX_DOCUMENT_BYTES,
  MAX_METRICS_PER_DOCUMENT,
  MAX_VALUES_PER_METRIC,
} from '../../layers/instrumentation/metrics/limits';

interface Doc {
  _aws: {
    Timestamp: number;
    CloudWatchMetrics: {
      Namespace: string;
      Dimensions: string[][];
      Metrics: { Name: string; Unit: string; StorageResolution?: number }[];
    }[];
  };
  [key: string]: unknown;
}

interface Emitted {
  Values: number[];
  Counts: number[];
  Count: number;
  Sum: number;
  Min: number;
  Max: number;
}

function distributionOf(values: number[]): DistributionValue {
  const distribution = new Distribution();
  for (const value of values) distribution.observe(value);
  return distribution.snapshot()!;
}

/** Walks every number in a parsed JSON value. */
function numbersIn(value: unknown, visit: (n: number) => void): void {
  if (typeof value === 'number') visit(value);
  else if (Array.isArray(value)) for (const item of value) numbersIn(item, visit);
  else if (value !== null && typeof value === 'object') for (const item of Object.values(value)) numbersIn(item, visit);
}

const dimensionName = fc.stringMatching(/^[a-z][a-z0-9_]{0,40}$/);
const dimensionValue = fc.string({ maxLength: 1200, unit: 'grapheme' });
const dimensions = fc.dictionary(dimensionName, dimensionValue, { maxKeys: 35 });
const metricName = fc.stringMatching(/^m_[a-z0-9_]{0,300}$/);
const wideDistribution = fc
  .array(fc.double({ min: 1e-6, max: 1e6, noNaN: true }), { minLength: 1, maxLength: 600 })
  .map(distributionOf);
const value = fc.oneof(
  fc.double({ noNaN: false }),
  fc.integer().map((n) => n),
  wideDistribution,
  // A distribution with one bucket per value, to force many chunks.
  fc.integer({ min: 101, max: 450 }).map((n) => distributionOf(Array.from({ length: n }, (_, i) => 1.05 ** i))),
);
const series = fc.record({
  name: metricName,
  dimensions,
  unit: fc.constantFrom('Seconds', 'Count', 'Bytes', undefined),
  resolution: fc.constantFrom(1, 60, undefined),
  value,
}) as fc.Arbitrary<EmfSeries>;

const key = (name: string, dims: Record<string, unknown>) => `${name}|${JSON.stringify(dims)}`;

describe('serializeEmf', () => {
  it('keeps every line within the EMF limits and loses no observation', () => {
    fc.assert(
      fc.property(fc.array(series, { maxLength: 60 }), fc.array(dimensionName, { maxLength: 3 }), (input, rollup) => {
        const dropped: EmfSeries[] = [];
        const lines = serializeEmf('MAIF', input, {
          timestamp: 1_700_000_000_000,
          rollup,
          onDropped: (s) => dropped.push(s),
        });
        const totals = new Map<string, { count: number; sum: number; scalar?: number }>();
        for (const line of lines) {
          expect(Buffer.byteLength(line)).toBeLessThan(MAX_DOCUMENT_BYTES);
          const doc = JSON.parse(line) as Doc;
          numbersIn(doc, (n) => expect(Number.isFinite(n) && Math.abs(n) <= 2 ** 360).toBe(true));
          const [directive] = doc._aws.CloudWatchMetrics;
          expect(directive.Metrics.length).toBeLessThanOrEqual(MAX_METRICS_PER_DOCUMENT);
          for (const set of directive.Dimensions) {
            expect(set.length).toBeLessThanOrEqual(MAX_DIMENSIONS);
            for (const name of set) expect(typeof doc[name]).toBe('string');
          }
          const dims = Object.fromEntries(directive.Dimensions[0].map((name) => [name, doc[name]]));
          for (const { Name } of directive.Metrics) {
            const emitted = doc[Name] as number | Emitted;
            const total = totals.get(key(Name, dims)) ?? { count: 0, sum: 0 };
            if (typeof emitted === 'number') total.scalar = emitted;
            else {
              expect(emitted.Values.length).toBeLessThanOrEqual(MAX_VALUES_PER_METRIC);
              expect(emitted.Counts.length).toBe(emitted.Values.length);
              expect(emitted.Counts.reduce((a, b) => a + b, 0)).toBe(emitted.Count);
              total.count += emitted.Count;
              total.sum += emitted.Sum;
            }
            totals.set(key(Name, dims), total);
          }
        }
        // Every written series is found with its full count and sum (dimensions sanitized the same way).
        for (const item of input) {
          if (dropped.includes(item)) continue;
          const matching = [...totals.entries()].filter(([k]) => k.startsWith(`${item.name}|`));
          expect(matching.length).toBeGreaterThan(0);
          if (typeof item.value !== 'number') {
            const all = matching.map(([, t]) => t);
            const count = all.reduce((a, t) => a + t.count, 0);
            const sum = all.reduce((a, t) => a + t.sum, 0);
            const expected = input
              .filter((s) => s.name === item.name && typeof s.value !== 'number' && !dropped.includes(s))
              .map((s) => s.value as DistributionValue);
            expect(count).toBe(expected.reduce((a, d) => a + d.count, 0));
            const expectedSum = expected.reduce((a, d) => a + d.sum, 0);
            expect(Math.abs(sum - expectedSum)).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(expectedSum)));
          }
        }
      }),
      { numRuns: 60 },
    );
  });

  it('writes one document per dimension values with the rollup set beside the full set', () => {
    const lines = serializeEmf(
      'MAIF',
      [
        { name: 'http_requests_total', dimensions: { service: 'api', operation: 'get' }, unit: 'Count', value: 3 },
        {
          name: 'http_request_errors_total',
          dimensions: { service: 'api', operation: 'get' },
          unit: 'Count',
          value: 1,
        },
        { name: 'cpu_utilization', dimensions: { service: 'api' }, unit: 'Percent', resolution: 1, value: 42.5 },
      ],
      { timestamp: 1_700_000_000_000, rollup: ['service'] },
    );
    expect(lines).toEqual([
      '{"_aws":{"Timestamp":1700000000000,"CloudWatchMetrics":[{"Namespace":"MAIF","Dimensions":[["service","operation"],["service"]],"Metrics":[{"Name":"http_requests_total","Unit":"Count"},{"Name":"http_request_errors_total","Unit":"Count"}]}]},"service":"api","operation":"get","http_requests_total":3,"http_request_errors_total":1}',
      '{"_aws":{"Timestamp":1700000000000,"CloudWatchMetrics":[{"Namespace":"MAIF","Dimensions":[["service"]],"Metrics":[{"Name":"cpu_utilization","Unit":"Percent","StorageResolution":1}]}]},"service":"api","cpu_utilization":42.5}',
    ]);
  });

  it('writes a distribution in the Values/Counts form with exact statistics', () => {
    const [line] = serializeEmf(
      'MAIF',
      [{ name: 'latency', dimensions: { service: 'api' }, unit: 'Seconds', value: distributionOf([0.1, 0.1, 0.2]) }],
      { timestamp: 0 },
    );
    expect(JSON.parse(line).latency).toEqual({
      Values: [0.09937303, 0.1987461],
      Counts: [2, 1],
      Count: 3,
      Sum: 0.4,
      Min: 0.1,
      Max: 0.2,
    });
  });

  it('splits documents at 100 metrics', () => {
    const many = Array.from({ length: 250 }, (_, i) => ({ name: `m${i}`, dimensions: { service: 'api' }, value: i }));
    const lines = serializeEmf('MAIF', many, { timestamp: 0 });
    expect(lines.map((l) => (JSON.parse(l) as Doc)._aws.CloudWatchMetrics[0].Metrics.length)).toEqual([100, 100, 50]);
  });

  it('drops and reports non-finite values and names that collide with a dimension', () => {
    const dropped: string[] = [];
    const lines = serializeEmf(
      'MAIF',
      [
        { name: 'nan', dimensions: { service: 'api' }, value: Number.NaN },
        { name: 'service', dimensions: { service: 'api' }, value: 1 },
        { name: 'ok', dimensions: { service: 'api' }, value: 1 },
      ],
      { timestamp: 0, onDropped: (s, reason) => dropped.push(`${s.name}:${reason}`) },
    );
    expect(dropped).toEqual(['nan:non_finite', 'service:name_conflict']);
    expect(lines).toHaveEmittedEMF('ok', 'MAIF');
    expect(lines).not.toHaveEmittedEMF('nan');
  });

  it('sanitizes dimension values: control characters, 1024 characters at most, never empty', () => {
    const [line] = serializeEmf(
      'MAIF',
      [{ name: 'm', dimensions: { a: 'x\ny', b: 'z'.repeat(2000), c: '  ' }, value: 1 }],
      { timestamp: 0 },
    );
    const doc = JSON.parse(line);
    expect([doc.a, doc.b.length, doc.c]).toEqual(['x_y', 1024, '(empty)']);
  });
});
