import { Metrics } from '../../layers/instrumentation/metrics/metrics';
import type { MetricsSink } from '../../layers/instrumentation/metrics/sinks';

function collect(options: Partial<ConstructorParameters<typeof Metrics>[0]> = {}) {
  const lines: string[] = [];
  const warnings: string[] = [];
  const metrics = new Metrics({
    namespace: 'MAIF',
    service: 'api',
    sink: (line) => lines.push(line),
    warn: (message) => warnings.push(message),
    strict: true,
    ...options,
  });
  const docs = () => lines.map((line) => JSON.parse(line));
  return { metrics, lines, warnings, docs };
}

describe('flush', () => {
  it('writes the sum of a counter per label set and starts a new interval', () => {
    const { metrics, docs, lines } = collect();
    const requests = metrics.counter('http_requests_total', { labels: ['operation'], unit: 'Count' });
    requests.inc({ operation: 'get' });
    requests.inc({ operation: 'get' }, 4);
    requests.inc({ operation: 'put' });
    metrics.flush();
    expect(docs().map((d) => [d.operation, d.http_requests_total])).toEqual([
      ['get', 5],
      ['put', 1],
    ]);
    lines.length = 0;
    metrics.flush();
    expect(lines).toEqual([]);
  });

  it('keeps the last value of a gauge', () => {
    const { metrics, docs } = collect();
    const users = metrics.gauge('active_users', { unit: 'Count' });
    users.set(3);
    users.set(undefined, 7);
    users.set(5);
    metrics.flush();
    expect(docs()).toEqual([expect.objectContaining({ active_users: 5 })]);
  });

  it('writes a counter incremented by zero, so alarms see 0 rather than missing data', () => {
    const { metrics, docs } = collect();
    metrics.counter('errors_total').inc(undefined, 0);
    metrics.flush();
    expect(docs()).toEqual([expect.objectContaining({ errors_total: 0 })]);
  });

  it('sets StorageResolution 1 only on high-resolution metrics', () => {
    const { metrics, docs } = collect();
    metrics.gauge('fast', { resolution: 1 }).set(1);
    metrics.gauge('slow').set(1);
    metrics.flush();
    expect(docs()[0]._aws.CloudWatchMetrics[0].Metrics).toEqual([
      { Name: 'fast', Unit: 'None', StorageResolution: 1 },
      { Name: 'slow', Unit: 'None' },
    ]);
  });

  it('puts the default dimensions on every series and adds the rollup set by them', () => {
    const previous = process.env.MAIF_ENVIRONMENT;
    process.env.MAIF_ENVIRONMENT = 'prod';
    try {
      const { metrics, docs } = collect({ defaultDimensions: { team: 'search' } });
      metrics
        .histogram('search_duration_seconds', { labels: ['index'], unit: 'Seconds' })
        .observe({ index: 'main' }, 0.2);
      metrics.flush();
      const [doc] = docs();
      expect(doc._aws.CloudWatchMetrics[0].Dimensions).toEqual([
        ['service', 'environment', 'team', 'index'],
        ['service', 'environment', 'team'],
      ]);
      expect(doc).toMatchObject({ service: 'api', environment: 'prod', team: 'search', index: 'main' });
      expect(doc.search_duration_seconds).toMatchObject({ Counts: [1], Count: 1, Sum: 0.2 });
    } finally {
      if (previous === undefined) delete process.env.MAIF_ENVIRONMENT;
      else process.env.MAIF_ENVIRONMENT = previous;
    }
  });

  it('leaves the rollup set out when rollup is false', () => {
    const { metrics, docs } = collect({ rollup: false });
    metrics.counter('c', { labels: ['a'] }).inc({ a: 'x' });
    metrics.flush();
    expect(docs()[0]._aws.CloudWatchMetrics[0].Dimensions).toEqual([['service', 'a']]);
  });

  it('reads namespace and service from MAIF_NAMESPACE and MAIF_SERVICE', () => {
    const saved = { ns: process.env.MAIF_NAMESPACE, svc: process.env.MAIF_SERVICE };
    process.env.MAIF_NAMESPACE = 'FromEnv';
    process.env.MAIF_SERVICE = 'svc-env';
    try {
      const metrics = new Metrics({ sink: () => {} });
      expect([metrics.namespace, metrics.service]).toEqual(['FromEnv', 'svc-env']);
    } finally {
      for (const [name, value] of [
        ['MAIF_NAMESPACE', saved.ns],
        ['MAIF_SERVICE', saved.svc],
      ] as const) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
  });

  it('writes all lines of a flush to stdout in one write call', () => {
    const writes: string[] = [];
    const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      writes.push(String(chunk));
      return true;
    });
    try {
      const metrics = new Metrics({ namespace: 'MAIF', service: 'api', strict: true });
      for (let i = 0; i < 150; i++) metrics.counter(`c${i}`).inc();
      metrics.flush();
    } finally {
      spy.mockRestore();
    }
    expect(writes).toHaveLength(1);
    const lines = writes[0].trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines).toHaveEmittedEMF('c149', 'MAIF');
  });

  it('never throws when the sink fails: the loss is counted and warned once', () => {
    let fail = true;
    const written: number[] = [];
    const sink: MetricsSink = {
      write(batch) {
        if (fail) throw new Error('disk full');
        written.push(batch.series.length);
      },
    };
    const { metrics, warnings } = collect({ sink });
    metrics.counter('a').inc();
    metrics.counter('b').inc();
    expect(() => metrics.flush()).not.toThrow();
    metrics.counter('a').inc();
    expect(() => metrics.flush()).not.toThrow();
    fail = false;
    metrics.flush();
    expect(warnings).toEqual(['Metrics: the sink failed, 2 series were dropped: Error: disk full']);
    expect(metrics.toPrometheus()).toContain(
      'maif_obs_dropped_observations_total{service="api",reason="sink_error"} 4',
    );
    expect(written).toEqual([1]);
  });

  it('returns a promise that never rejects when the sink is asynchronous', async () => {
    const { metrics } = collect({
      sink: { write: () => Promise.reject(new Error('network down')) },
    });
    metrics.counter('a').inc();
    await expect(metrics.flush()).resolves.toBeUndefined();
  });

  it('writes nothing when nothing was recorded', () => {
    const { metrics, lines } = collect();
    metrics.counter('idle');
    metrics.flush();
    expect(lines).toEqual([]);
  });
});
