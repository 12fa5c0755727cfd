import fc from 'fast-check';
import { resolveConfig } from '../../domain/config';
import type { AlarmSpec, MetricRef, TreatMissingData } from '../../domain/contracts/alarm-spec';
import { decide, evaluateAt, replay } from '../../domain/evaluator/evaluator';
import { ingestEmf, MetricStore, statistic } from '../../domain/evaluator/store';
import { compileBaselines } from '../../domain/rules/baselines';
import { compileContext } from '../../domain/rules/compile';
import { serializeEmf } from '../../layers/instrumentation/metrics/emf';
import exampleConfig from '../../observability.config';

const MIN = 60_000;
const DIMS = { service: 'maif', environment: 'test' } as const;

function metric(metricName: string, stat: MetricRef['stat'], id = 'm1', period = 60): MetricRef {
  return { id, namespace: 'MAIF', metricName, dimensions: DIMS, stat, period };
}

function spec(overrides: Partial<AlarmSpec> = {}): AlarmSpec {
  return {
    alarmName: 'maif-test-rule',
    ruleName: 'rule',
    description: 'a rule',
    kind: 'threshold',
    metrics: [metric('latency', 'Maximum')],
    comparison: 'GreaterThanThreshold',
    threshold: 10,
    period: 60,
    evaluationPeriods: 3,
    datapointsToAlarm: 3,
    treatMissingData: 'missing',
    severity: 'warning',
    labels: {},
    ...overrides,
  };
}

/** One observation per minute from minute 0; undefined leaves the minute empty. */
function storeOf(name: string, perMinute: readonly (number | undefined)[], extra: MetricStore = new MetricStore()) {
  perMinute.forEach((value, i) => {
    if (value !== undefined)
      extra.add({ namespace: 'MAIF', metricName: name, dimensions: DIMS, timestamp: i * MIN + 1, value });
  });
  return extra;
}

describe('statistic', () => {
  const store = new MetricStore().add(
    { namespace: 'N', metricName: 'x', dimensions: {}, timestamp: 1000, values: [1, 2, 3, 4], counts: [1, 1, 1, 1] },
    { namespace: 'N', metricName: 'x', dimensions: {}, timestamp: 2000, value: 10 },
    { namespace: 'N', metricName: 'x', dimensions: {}, timestamp: 60_000, value: 99 },
  );
  const agg = store.aggregate('N', 'x', {}, 0, 60_000)!;

  it.each([
    ['Sum', 20],
    ['Average', 4],
    ['Minimum', 1],
    ['Maximum', 10],
    ['SampleCount', 5],
    ['p50', 3],
    ['p80', 4],
    ['p81', 10],
    ['p100', 10],
    ['p0', 1],
    ['PR(:2)', 40],
    ['PR(2:4)', 40],
    ['PR(4:)', 20],
  ])('computes %s over one period as CloudWatch does (%d)', (stat, expected) => {
    expect(statistic(agg, stat)).toBeCloseTo(expected, 10);
  });

  it('puts an observation at the period end into the next period', () => {
    expect(statistic(store.aggregate('N', 'x', {}, 60_000, 120_000)!, 'Sum')).toBe(99);
  });

  it('takes percentiles by nearest rank over values weighted by their counts', () => {
    const s = new MetricStore().add({
      namespace: 'N',
      metricName: 'h',
      dimensions: {},
      timestamp: 0,
      values: [0.1, 0.2, 5],
      counts: [90, 5, 5],
    });
    const a = s.aggregate('N', 'h', {}, 0, 1)!;
    expect([statistic(a, 'p90'), statistic(a, 'p91'), statistic(a, 'p95'), statistic(a, 'p96')]).toEqual([
      0.1, 0.2, 0.2, 5,
    ]);
  });

  it('uses the statistic set an EMF distribution carries for Sum, Minimum and Maximum', () => {
    const s = new MetricStore().add({
      namespace: 'N',
      metricName: 'h',
      dimensions: {},
      timestamp: 0,
      values: [0.1, 0.5],
      counts: [2, 1],
      stats: { count: 3, sum: 0.68, min: 0.09, max: 0.52 },
    });
    const a = s.aggregate('N', 'h', {}, 0, 1)!;
    expect([statistic(a, 'Sum'), statistic(a, 'Minimum'), statistic(a, 'Maximum'), statistic(a, 'p50')]).toEqual([
      0.68, 0.09, 0.52, 0.1,
    ]);
  });

  it('gives no percentile when a value is negative, like CloudWatch', () => {
    const s = new MetricStore().add({ namespace: 'N', metricName: 'g', dimensions: {}, timestamp: 0, values: [-1, 3] });
    const a = s.aggregate('N', 'g', {}, 0, 1)!;
    expect([statistic(a, 'p50'), statistic(a, 'PR(:0)'), statistic(a, 'Sum')]).toEqual([undefined, undefined, 2]);
  });

  it('rejects a non-finite value naming the field', () => {
    expect(() =>
      new MetricStore().add({ namespace: 'N', metricName: 'g', dimensions: {}, timestamp: 0, value: Number.NaN }),
    ).toThrow(/observation value: null is not allowed \(a finite number\)/);
  });

  it('keeps series with other dimensions apart', () => {
    const s = new MetricStore().add(
      { namespace: 'N', metricName: 'g', dimensions: { a: '1' }, timestamp: 0, value: 1 },
      { namespace: 'N', metricName: 'g', dimensions: { a: '1', b: '2' }, timestamp: 0, value: 5 },
    );
    expect(statistic(s.aggregate('N', 'g', { a: '1' }, 0, 1)!, 'Sum')).toBe(1);
    expect(s.size).toBe(2);
  });
});

describe('decide (AWS missing-data tables, 0 = OK, X = breaching, - = missing)', () => {
  const parse = (row: string) => row.split(' ').map((c) => (c === '-' ? undefined : c === 'X'));
  const treatments: TreatMissingData[] = ['missing', 'ignore', 'breaching', 'notBreaching'];
  const KEEP = 'kept';
  // Evaluation Periods 3, Datapoints to Alarm 3: the first table of the page.
  const threeOfThree: [string, string[]][] = [
    ['0 - X - X', ['OK', 'OK', 'OK', 'OK']],
    ['0 - - - -', ['OK', 'OK', 'OK', 'OK']],
    ['- - - - -', ['INSUFFICIENT_DATA', KEEP, 'ALARM', 'OK']],
    ['0 X X - X', ['ALARM', 'ALARM', 'ALARM', 'ALARM']],
    ['- - - - X', ['INSUFFICIENT_DATA', KEEP, 'ALARM', 'OK']],
    ['X - - - -', ['ALARM', KEEP, 'ALARM', 'OK']],
  ];
  // Evaluation Periods 3, Datapoints to Alarm 2: the second table.
  const twoOfThree: [string, string[]][] = [
    ['0 - X - X', ['ALARM', 'ALARM', 'ALARM', 'ALARM']],
    ['0 0 X 0 X', ['ALARM', 'ALARM', 'ALARM', 'ALARM']],
    ['0 - X - -', ['OK', 'OK', 'ALARM', 'OK']],
    ['- - - - 0', ['OK', 'OK', 'ALARM', 'OK']],
    ['- - - - X', ['INSUFFICIENT_DATA', KEEP, 'ALARM', 'OK']],
  ];

  for (const [m, rows] of [
    [3, threeOfThree],
    [2, twoOfThree],
  ] as const) {
    for (const [row, expected] of rows) {
      treatments.forEach((treat, i) => {
        it(`${m} of 3, '${row}', treat missing as ${treat}: ${expected[i]}`, () => {
          for (const previous of ['OK', 'ALARM'] as const) {
            const { state } = decide(parse(row), 3, m, treat, previous);
            expect(state).toBe(expected[i] === KEEP ? previous : expected[i]);
          }
        });
      });
    }
  }
});

describe('evaluateAt', () => {
  it('alarms when the last 3 one-minute maxima are over the threshold and says why', () => {
    const store = storeOf('latency', [1, 1, 20, 30, 40]);
    const e = evaluateAt(spec(), store, 5 * MIN);
    expect(e.state).toBe('ALARM');
    expect(e.reason).toBe('3 of 3 datapoints breaching (3 needed)');
    expect(e.datapoints.map((d) => d.value)).toEqual([undefined, 1, 1, 20, 30, 40].slice(1));
    expect(e.datapoints.at(-1)).toMatchObject({ timestamp: 4 * MIN, breaching: true, sampleCount: 1 });
  });

  it('is OK with 2 of 3 breaching, and alarms once datapointsToAlarm is 2', () => {
    const store = storeOf('latency', [1, 1, 20, 1, 40]);
    expect(evaluateAt(spec(), store, 5 * MIN).state).toBe('OK');
    expect(evaluateAt(spec({ datapointsToAlarm: 2 }), store, 5 * MIN).state).toBe('ALARM');
  });

  it.each([
    ['GreaterThanThreshold', 10, 'OK'],
    ['GreaterThanOrEqualToThreshold', 10, 'ALARM'],
    ['LessThanThreshold', 10, 'OK'],
    ['LessThanOrEqualToThreshold', 10, 'ALARM'],
  ] as const)('compares with %s against %d: %s', (comparison, threshold, expected) => {
    const store = storeOf('latency', [10, 10, 10]);
    expect(evaluateAt(spec({ comparison, threshold }), store, 3 * MIN).state).toBe(expected);
  });

  it('reads 5 datapoints for 3 evaluation periods and applies each missing-data treatment', () => {
    const store = storeOf('latency', [20]);
    const at = 5 * MIN; // range: minutes 0..4, only minute 0 exists ('X - - - -')
    const states = (['missing', 'ignore', 'breaching', 'notBreaching'] as const).map(
      (treatMissingData) => evaluateAt(spec({ treatMissingData }), store, at, { previousState: 'OK' }).state,
    );
    expect(states).toEqual(['ALARM', 'OK', 'ALARM', 'OK']);
  });

  it('keeps the state of a p99 alarm while the newest period has under 1000 samples (ignore)', () => {
    const store = new MetricStore();
    for (let i = 0; i < 3; i++) {
      store.add({
        namespace: 'MAIF',
        metricName: 'latency',
        dimensions: DIMS,
        timestamp: i * MIN,
        values: [50],
        counts: [i < 2 ? 1000 : 999],
      });
    }
    const p99 = spec({ metrics: [metric('latency', 'p99')], evaluateLowSampleCountPercentile: 'ignore' });
    const ignored = evaluateAt(p99, store, 3 * MIN, { previousState: 'OK' });
    expect(ignored.state).toBe('OK');
    expect(ignored.reason).toMatch(/999 samples in the newest period, under the 1000 a p99 needs/);
    expect(evaluateAt({ ...p99, evaluateLowSampleCountPercentile: 'evaluate' }, store, 3 * MIN).state).toBe('ALARM');
    expect(evaluateAt(p99, store, 2 * MIN + 1, { previousState: 'OK' }).state).toBe('OK');
  });

  it('evaluates a ratio with metric math, no point where the divisor is zero or missing', () => {
    const store = storeOf('errors', [1, 10, 10, 0, 9]);
    storeOf('requests', [100, 100, 100, 0, 100], store);
    const ratio = spec({
      metrics: [metric('errors', 'Sum', 'm1'), metric('requests', 'Sum', 'm2')],
      expression: { id: 'e1', expression: '100 * m1 / m2' },
      threshold: 5,
      evaluationPeriods: 3,
      datapointsToAlarm: 3,
    });
    const e = evaluateAt(ratio, store, 5 * MIN);
    expect(e.datapoints.map((d) => d.value)).toEqual([1, 10, 10, undefined, 9]);
    expect(e.state).toBe('ALARM'); // 10, 10, 9: the three most recent existing datapoints
  });

  it('evaluates DIFF over the previous period for a rate of change', () => {
    const store = storeOf('memory', [40, 40, 55]);
    const change = spec({
      metrics: [metric('memory', 'Average')],
      expression: { id: 'e1', expression: 'DIFF(m1)' },
      threshold: 10,
      evaluationPeriods: 1,
      datapointsToAlarm: 1,
    });
    expect(evaluateAt(change, store, 2 * MIN).state).toBe('OK');
    expect(evaluateAt(change, store, 3 * MIN).state).toBe('ALARM');
  });

  it('alarms on an anomaly band the caller provides and requires one', () => {
    const store = storeOf('latency', [1, 1, 9]);
    const anomaly = spec({
      kind: 'anomaly',
      comparison: 'GreaterThanUpperThreshold',
      threshold: undefined,
      bands: 2,
      evaluationPeriods: 1,
      datapointsToAlarm: 1,
    });
    const band = () => ({ lower: 0, upper: 5 });
    expect(evaluateAt(anomaly, store, 2 * MIN, { band }).state).toBe('OK');
    expect(evaluateAt(anomaly, store, 3 * MIN, { band }).datapoints.at(-1)).toMatchObject({
      value: 9,
      breaching: true,
      band: { lower: 0, upper: 5 },
    });
    expect(() => evaluateAt(anomaly, store, 3 * MIN)).toThrow(/anomaly alarms need an expected band/);
  });

  it('rejects datapointsToAlarm over evaluationPeriods naming both', () => {
    expect(() => evaluateAt(spec({ datapointsToAlarm: 4 }), new MetricStore(), 0)).toThrow(
      "alarm 'maif-test-rule': datapointsToAlarm 4 is over evaluationPeriods 3",
    );
  });
});

describe('replay', () => {
  it('counts how often a rule would have fired over a recorded series', () => {
    const values = [1, 20, 20, 20, 1, 1, 20, 20, 20, 20, 1];
    const r = replay(spec(), storeOf('latency', values), 0, values.length * MIN, MIN);
    expect(r.firings).toBe(2);
    expect(r.transitions.map((t) => [t.time / MIN, t.to])).toEqual([
      [1, 'OK'], // '- - - - 0': one OK datapoint is enough for OK
      [4, 'ALARM'],
      [5, 'OK'],
      [9, 'ALARM'],
      [11, 'OK'],
    ]);
    expect(r.finalState).toBe('OK');
  });
});

describe('ingestEmf', () => {
  it('gives observations for every dimension set of a kit EMF line', () => {
    const [line] = serializeEmf(
      'MAIF',
      [
        {
          name: 'http_requests_total',
          dimensions: { service: 'maif', environment: 'prod', operation: 'search' },
          value: 3,
        },
        {
          name: 'http_request_duration_seconds',
          dimensions: { service: 'maif', environment: 'prod', operation: 'search' },
          unit: 'Seconds',
          value: { values: [0.1, 0.2], counts: [3, 1], sum: 0.5, count: 4, min: 0.1, max: 0.2 },
        },
      ],
      { timestamp: 120_000, rollup: ['service', 'environment'] },
    );
    const obs = ingestEmf(line);
    expect(obs).toHaveLength(4);
    expect(obs).toContainEqual({
      namespace: 'MAIF',
      metricName: 'http_requests_total',
      dimensions: { service: 'maif', environment: 'prod' },
      timestamp: 120_000,
      value: 3,
    });
    expect(obs).toContainEqual(
      expect.objectContaining({
        metricName: 'http_request_duration_seconds',
        dimensions: { service: 'maif', environment: 'prod', operation: 'search' },
        values: [0.1, 0.2],
        counts: [3, 1],
        stats: { count: 4, sum: 0.5, min: 0.1, max: 0.2 },
      }),
    );
  });

  it('gives nothing for a plain log line, other JSON or a broken document', () => {
    expect(ingestEmf('hello')).toEqual([]);
    expect(ingestEmf('{"level":"INFO"}')).toEqual([]);
    expect(ingestEmf('{"_aws":{"Timestamp":"x","CloudWatchMetrics":[]}}')).toEqual([]);
    expect(ingestEmf('[1,2]')).toEqual([]);
  });

  it('round-trips every value the kit serializer writes (property)', () => {
    const finite = fc.double({ min: -1e6, max: 1e6, noNaN: true, noDefaultInfinity: true });
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.stringMatching(/^[a-z]{1,8}$/), { minLength: 1, maxLength: 20 }),
        fc.array(finite, { minLength: 20, maxLength: 20 }),
        (names, values) => {
          const series = names.map((name, i) => ({ name, dimensions: { service: 's' }, value: values[i] }));
          const store = new MetricStore();
          for (const line of serializeEmf('NS', series, { timestamp: 0 })) store.add(...ingestEmf(line));
          for (const [i, name] of names.entries()) {
            expect(statistic(store.aggregate('NS', name, { service: 's' }, 0, 1)!, 'Sum')).toBeCloseTo(values[i], 6);
          }
        },
      ),
    );
  });
});

describe('evaluator properties', () => {
  const arbValues = fc.array(fc.option(fc.double({ min: 0, max: 100, noNaN: true }), { nil: undefined }), {
    minLength: 1,
    maxLength: 20,
  });
  const arbSpec = fc.record({
    evaluationPeriods: fc.integer({ min: 1, max: 5 }),
    treatMissingData: fc.constantFrom<TreatMissingData>('missing', 'notBreaching', 'ignore'),
    stat: fc.constantFrom<MetricRef['stat']>('Sum', 'Average', 'Minimum', 'Maximum', 'p50', 'p99'),
    m: fc.integer({ min: 1, max: 5 }),
  });

  it('never alarms on a series always under the threshold (unless missing data is breaching)', () => {
    fc.assert(
      fc.property(arbValues, arbSpec, (values, s) => {
        const alarm = spec({
          metrics: [metric('x', s.stat)],
          threshold: 100,
          evaluationPeriods: s.evaluationPeriods,
          datapointsToAlarm: Math.min(s.m, s.evaluationPeriods),
          treatMissingData: s.treatMissingData,
        });
        const r = replay(
          alarm,
          storeOf(
            'x',
            values.map((v) => (v === undefined ? v : Math.min(v, 99))),
          ),
          0,
          (values.length + 6) * MIN,
          MIN,
        );
        expect(r.evaluations.ALARM).toBe(0);
      }),
    );
  });

  it('always alarms once N periods in a row breach, whatever the missing-data treatment', () => {
    fc.assert(
      fc.property(
        arbValues,
        arbSpec,
        fc.constantFrom<TreatMissingData>('missing', 'notBreaching', 'ignore', 'breaching'),
        (values, s, treat) => {
          const n = s.evaluationPeriods;
          const alarm = spec({
            metrics: [metric('x', s.stat)],
            threshold: 100,
            evaluationPeriods: n,
            datapointsToAlarm: Math.min(s.m, n),
            treatMissingData: treat,
          });
          const series = [...values, ...new Array(n).fill(150)];
          expect(evaluateAt(alarm, storeOf('x', series), series.length * MIN).state).toBe('ALARM');
        },
      ),
    );
  });

  it('decides OK or ALARM, never INSUFFICIENT_DATA, once N datapoints exist in the range', () => {
    fc.assert(
      fc.property(
        fc.array(fc.option(fc.boolean(), { nil: undefined }), { minLength: 3, maxLength: 12 }),
        fc.integer({ min: 1, max: 3 }),
        (range, m) => {
          const n = 3;
          const existing = range.filter((b) => b !== undefined).length;
          const { state } = decide(range, n, Math.min(m, n), 'missing', 'INSUFFICIENT_DATA');
          if (existing >= n) expect(state === 'OK' || state === 'ALARM').toBe(true);
        },
      ),
    );
  });
});

describe('regression alarms over the learned baseline', () => {
  const PERIOD = 900_000;
  const dims = { service: 'maif', environment: 'prod' };
  const spec = compileBaselines(
    resolveConfig(exampleConfig, 'prod').alerting,
    compileContext(resolveConfig(exampleConfig, 'prod')),
  ).find((s) => s.ruleName === 'search_latency_p95_regression') as AlarmSpec;

  it('reads the learned baseline in every period, not only in the one it was published in', () => {
    // Arrange: a learned baseline of 0.3 s, published once at the start of the range; the p95 is
    // 0.32 s (under 0.3 / 0.8 = 0.375 s) in both periods, but over the configured 0.1 s / 0.8.
    const store = new MetricStore();
    store.add({
      namespace: 'MAIF',
      metricName: 'performance_baseline_seconds',
      dimensions: { ...dims, metric: 'search_latency_p95' },
      timestamp: 1,
      value: 0.3,
    });
    for (let t = 0; t < 2 * PERIOD; t += MIN) {
      store.add({
        namespace: 'MAIF',
        metricName: 'search_duration_seconds',
        dimensions: dims,
        timestamp: t + 1,
        value: 0.32,
      });
    }

    // Act
    const result = evaluateAt(spec, store, 2 * PERIOD);

    // Assert: both periods compare with the learned 0.3 s
    const values = result.datapoints.filter((d) => d.value !== undefined).map((d) => d.value?.toFixed(3));
    expect(values).toEqual(['1.067', '1.067']);
    expect(result.state).toBe('OK');
  });
});
