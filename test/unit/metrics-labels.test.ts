import { Metrics } from '../../layers/instrumentation/metrics/metrics';

function setup(options: { strict: boolean; maxSeriesPerMetric?: number; cardinalityWarningThreshold?: number }) {
  const lines: string[] = [];
  const warnings: string[] = [];
  const metrics = new Metrics({
    namespace: 'Test',
    service: 'svc',
    sink: (line) => lines.push(line),
    warn: (message) => warnings.push(message),
    ...options,
  });
  const docs = () => lines.map((line) => JSON.parse(line) as Record<string, unknown>);
  return { metrics, lines, warnings, docs };
}

describe('label validation in strict mode', () => {
  it('throws for an undeclared label, naming the metric, the label and the declared labels', () => {
    const { metrics } = setup({ strict: true });
    const requests = metrics.counter('requests_total', { labels: ['operation'] });
    expect(() => requests.inc({ operation: 'get', user: 'u1' } as never)).toThrow(
      "metric 'requests_total': label 'user' is not declared (declared labels: operation)",
    );
  });

  it('throws for an undeclared label even when the declared ones match an existing series', () => {
    const { metrics } = setup({ strict: true });
    const requests = metrics.counter('requests_total', { labels: ['operation'] });
    requests.inc({ operation: 'get' });
    expect(() => requests.inc({ operation: 'get', user: 'u1' } as never)).toThrow(/label 'user' is not declared/);
  });

  it('throws for a missing label', () => {
    const { metrics } = setup({ strict: true });
    const duration = metrics.histogram('duration_seconds', { labels: ['operation', 'region'] });
    expect(() => duration.observe({ operation: 'get' }, 1)).toThrow(
      "metric 'duration_seconds': label 'region' is missing (declared labels: operation, region)",
    );
  });

  it('throws for a negative counter increment', () => {
    const { metrics } = setup({ strict: true });
    expect(() => metrics.counter('c').inc(undefined, -1)).toThrow(/increment -1 is negative/);
  });

  it('drops a non-finite value without throwing and counts it', () => {
    const { metrics, docs } = setup({ strict: true });
    metrics.gauge('g').set(Number.NaN);
    metrics.flush();
    expect(docs()[0].maif_obs_dropped_observations_total).toBe(1);
    expect(docs()[0].reason).toBe('non_finite');
  });
});

describe('label validation in production mode', () => {
  it('counts and drops a wrong label set, warning once per metric and reason', () => {
    const { metrics, docs, warnings } = setup({ strict: false });
    const requests = metrics.counter('requests_total', { labels: ['operation'] });
    expect(() => {
      requests.inc({ operation: 'get', user: 'u1' } as never);
      requests.inc({ operation: 'put', user: 'u2' } as never);
      requests.inc({} as never);
      requests.inc({ operation: 'get' });
    }).not.toThrow();
    metrics.flush();
    const byName = Object.assign({}, ...docs());
    expect(byName.requests_total).toBe(1);
    expect(byName.maif_obs_dropped_observations_total).toBe(3);
    expect(warnings).toEqual(["metric 'requests_total': label 'user' is not declared (declared labels: operation)"]);
  });

  it('accepts numbers and booleans as label values, written as strings', () => {
    const { metrics, docs } = setup({ strict: false });
    const responses = metrics.counter('responses_total', { labels: ['code'] });
    responses.inc({ code: 200 as never });
    responses.inc({ code: '200' });
    metrics.flush();
    expect(docs()).toEqual([expect.objectContaining({ code: '200', responses_total: 2 })]);
  });

  it('drops an object label value', () => {
    const { metrics, docs } = setup({ strict: false });
    metrics.counter('c', { labels: ['a'] }).inc({ a: {} as never });
    metrics.flush();
    expect(docs()).toEqual([
      expect.objectContaining({ reason: 'invalid_label_value', maif_obs_dropped_observations_total: 1 }),
    ]);
  });
});

describe('cardinality limits', () => {
  it('drops series over maxSeriesPerMetric, counts them in a kit metric and warns once', () => {
    const { metrics, docs, warnings } = setup({ strict: false, maxSeriesPerMetric: 3, cardinalityWarningThreshold: 2 });
    const users = metrics.counter('logins_total', { labels: ['user'] });
    for (let i = 0; i < 10; i++) users.inc({ user: `u${i}` });
    users.inc({ user: 'u0' });
    metrics.flush();
    const logins = docs().filter((d) => 'logins_total' in d);
    expect(logins.map((d) => [d.user, d.logins_total])).toEqual([
      ['u0', 2],
      ['u1', 1],
      ['u2', 1],
    ]);
    expect(docs().find((d) => 'maif_obs_dropped_series_total' in d)).toMatchObject({
      metric: 'logins_total',
      maif_obs_dropped_series_total: 7,
    });
    expect(warnings).toEqual([
      "metric 'logins_total': 2 series reached the cardinality warning threshold of 2 (limit 3)",
      "metric 'logins_total': series limit of 3 reached; new label combinations are dropped (maxSeriesPerMetric)",
    ]);
  });

  it("uses the MAIF monitoring guide's defaults of 10000 series and a warning at 5000", () => {
    const { metrics, warnings } = setup({ strict: false });
    const items = metrics.gauge('item_size', { labels: ['item'] });
    for (let i = 0; i < 10_001; i++) items.set({ item: String(i) }, i);
    expect(warnings).toEqual([
      "metric 'item_size': 5000 series reached the cardinality warning threshold of 5000 (limit 10000)",
      "metric 'item_size': series limit of 10000 reached; new label combinations are dropped (maxSeriesPerMetric)",
    ]);
  });
});

describe('instrument definitions', () => {
  it('returns the same instrument for the same name, kind and labels', () => {
    const { metrics } = setup({ strict: true });
    expect(metrics.counter('a', { labels: ['x'] })).toBe(metrics.counter('a', { labels: ['x'] }));
  });

  it('rejects a name registered with another kind', () => {
    const { metrics } = setup({ strict: true });
    metrics.counter('a');
    expect(() => metrics.gauge('a')).toThrow(
      "metric 'a': already registered as a counter with labels [], not a gauge with labels []",
    );
  });

  it('rejects invalid names, labels, buckets and quantiles', () => {
    const { metrics } = setup({ strict: true });
    expect(() => metrics.counter('bad name')).toThrow(/metric name 'bad name' is not allowed/);
    expect(() => metrics.counter('c', { labels: ['service'] })).toThrow(/label 'service' is a default dimension/);
    expect(() => metrics.histogram('h', { buckets: [1, 1] })).toThrow(/buckets \[1, 1\] are not allowed/);
    expect(() => metrics.summary('s', { quantiles: [1.5] })).toThrow(
      "metric 's': quantile 1.5 is not allowed (use 0 to 1)",
    );
    expect(() => metrics.histogram('h2', { labels: ['le'] })).toThrow(/reserved for histograms/);
  });
});
