import { Metrics } from '../../layers/instrumentation/metrics/metrics';

function metricsFor() {
  return new Metrics({ namespace: 'MAIF', service: 'api', sink: () => {}, strict: true, warn: () => {} });
}

describe('toPrometheus', () => {
  it('writes counters and gauges with HELP and TYPE lines and escaped label values', () => {
    const metrics = metricsFor();
    const requests = metrics.counter('http_requests_total', {
      description: 'Requests handled\nby status',
      labels: ['operation'],
    });
    requests.inc({ operation: 'get' }, 2);
    requests.inc({ operation: 'say "hi" \\ now' });
    metrics.gauge('active_users').set(12.5);
    expect(metrics.toPrometheus()).toBe(
      [
        '# HELP http_requests_total Requests handled\\nby status',
        '# TYPE http_requests_total counter',
        'http_requests_total{service="api",operation="get"} 2',
        'http_requests_total{service="api",operation="say \\"hi\\" \\\\ now"} 1',
        '# TYPE active_users gauge',
        'active_users{service="api"} 12.5',
        '',
      ].join('\n'),
    );
  });

  it('keeps counters cumulative across flushes', () => {
    const metrics = metricsFor();
    const jobs = metrics.counter('jobs_total');
    jobs.inc(undefined, 3);
    metrics.flush();
    jobs.inc();
    expect(metrics.toPrometheus()).toContain('jobs_total{service="api"} 4\n');
  });

  it('writes histograms as cumulative buckets with +Inf, sum and count', () => {
    const metrics = metricsFor();
    const duration = metrics.histogram('duration_seconds', { buckets: [0.1, 0.5, 1] });
    for (const value of [0.0625, 0.25, 0.25, 0.75]) duration.observe(value);
    metrics.flush();
    duration.observe(2);
    expect(metrics.toPrometheus()).toBe(
      [
        '# TYPE duration_seconds histogram',
        'duration_seconds_bucket{service="api",le="0.1"} 1',
        'duration_seconds_bucket{service="api",le="0.5"} 3',
        'duration_seconds_bucket{service="api",le="1"} 4',
        'duration_seconds_bucket{service="api",le="+Inf"} 5',
        'duration_seconds_sum{service="api"} 3.3125',
        'duration_seconds_count{service="api"} 5',
        '',
      ].join('\n'),
    );
  });

  it('writes summaries with their quantiles, sum and count', () => {
    const metrics = metricsFor();
    const scores = metrics.summary('similarity_score', { quantiles: [0.5, 0.99], labels: ['model'] });
    for (let i = 1; i <= 100; i++) scores.observe({ model: 'm1' }, i);
    const text = metrics.toPrometheus();
    const quantile = (q: string) => Number(new RegExp(`quantile="${q}"} (\\S+)`).exec(text)![1]);
    expect(Math.abs(quantile('0.5') - 50) / 50).toBeLessThanOrEqual(0.01);
    expect(Math.abs(quantile('0.99') - 99) / 99).toBeLessThanOrEqual(0.01);
    expect(text).toContain('# TYPE similarity_score summary\n');
    expect(text).toContain('similarity_score_sum{service="api",model="m1"} 5050\n');
    expect(text).toContain('similarity_score_count{service="api",model="m1"} 100\n');
  });

  it('reports NaN quantiles for a summary without observations', () => {
    const metrics = metricsFor();
    metrics.summary('empty', { quantiles: [0.5] }).observe(Number.NaN);
    expect(metrics.toPrometheus()).toContain(
      'empty{service="api",quantile="0.5"} NaN\nempty_sum{service="api"} 0\nempty_count{service="api"} 0\n',
    );
  });
});
