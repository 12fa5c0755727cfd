import {
  IdAllocator,
  MAX_EXPRESSION_LENGTH,
  SUPPORTED,
  TranslateError,
  type TranslateOptions,
  translatePromQL,
} from '../../domain/dashboards/translate';

const options: TranslateOptions = {
  namespace: 'MAIF',
  dimensions: { service: 'maif', environment: 'prod' },
  period: 300,
};
const rollup = { service: 'maif', environment: 'prod' };
const t = (expr: string, extra: Partial<TranslateOptions> = {}) => translatePromQL(expr, { ...options, ...extra });
const errorOf = (expr: string, extra: Partial<TranslateOptions> = {}): string => {
  try {
    t(expr, extra);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error(`'${expr}' translated without an error`);
};

describe('translating PromQL to CloudWatch', () => {
  it('turns rate() into the period sum divided by PERIOD(), at the range as period', () => {
    const q = t('rate(http_requests_total[5m])');
    expect(q.expression).toBe('m1 / PERIOD(m1)');
    expect(q.period).toBe(300);
    expect(q.metrics).toEqual([
      { id: 'm1', namespace: 'MAIF', metricName: 'http_requests_total', dimensions: rollup, stat: 'Sum', period: 300 },
    ]);
    expect(t('rate(http_requests_total[1m])').period).toBe(60);
    expect(t('rate(http_requests_total[10s])').metrics[0].period).toBe(10);
  });

  it('turns increase() into the period sum, shown directly', () => {
    const q = t('increase(artifacts_created_total[1h])');
    expect(q.expression).toBeUndefined();
    expect(q.id).toBe('m1');
    expect(q.metrics[0]).toMatchObject({ metricName: 'artifacts_created_total', stat: 'Sum', period: 3600 });
  });

  it('reads histogram_quantile(q, x_bucket) as the p statistic of the histogram x', () => {
    const q = t('histogram_quantile(0.95, http_request_duration_seconds_bucket)');
    expect(q.expression).toBeUndefined();
    expect(q.metrics[0]).toMatchObject({ metricName: 'http_request_duration_seconds', stat: 'p95', period: 300 });
    expect(t('histogram_quantile(0.50, http_request_duration_seconds_bucket)').metrics[0].stat).toBe('p50');
    expect(t('histogram_quantile(0.999, search_duration_seconds_bucket)').metrics[0].stat).toBe('p99.9');
  });

  it('accepts the usual sum by (le) (rate(x_bucket[5m])) form, taking the range as period', () => {
    const q = t('histogram_quantile(0.9, sum by (le) (rate(search_duration_seconds_bucket{index="main"}[1m])))');
    expect(q.metrics[0]).toMatchObject({
      metricName: 'search_duration_seconds',
      dimensions: { ...rollup, index: 'main' },
      stat: 'p90',
      period: 60,
    });
  });

  it('shows a gauge as its Average and a counter as its Sum', () => {
    expect(t('active_users').metrics[0]).toMatchObject({ stat: 'Average', dimensions: rollup });
    expect(t('cache_hits').metrics[0]).toMatchObject({ stat: 'Sum' });
  });

  it('reads x_sum and x_count of a histogram as its Sum and SampleCount', () => {
    const q = t('http_request_duration_seconds_sum / http_request_duration_seconds_count');
    expect(q.expression).toBe('m1 / m2');
    expect(q.metrics.map((m) => m.stat)).toEqual(['Sum', 'SampleCount']);
  });

  it('writes arithmetic as metric math with the parentheses it needs, reusing a repeated metric', () => {
    const q = t('cache_hits / (cache_hits + cache_misses)');
    expect(q.metrics.map((m) => m.metricName)).toEqual(['cache_hits', 'cache_misses']);
    expect(q.expression).toBe('m1 / (m1 + m2)');
    expect(t('100 * (cache_hits - cache_misses) / 2').expression).toBe('100 * (m1 - m2) / 2');
    expect(t('cache_hits - (cache_misses - cache_hits)').expression).toBe('m1 - (m2 - m1)');
    expect(t('-cache_hits * 2 - 3').expression).toBe('-1 * m1 * 2 - 3');
    expect(t('cache_hits * -2').expression).toBe('m1 * (0 - 2)');
  });

  it("filters on all of a metric's labels with its full dimension set", () => {
    const q = t('rate(http_requests_total{operation="search", status_class="2xx"}[5m])');
    expect(q.metrics[0].dimensions).toEqual({ ...rollup, operation: 'search', status_class: '2xx' });
  });

  it("maps the guide's status=~'5..' to status_class 5xx, through a SEARCH over the other labels", () => {
    const q = t("rate(http_requests_total{status=~'5..'}[5m]) / rate(http_requests_total[5m])");
    expect(q.expression).toBe(
      'SUM(SEARCH(\'{MAIF,service,environment,operation,status_class} MetricName="http_requests_total" service="maif" environment="prod" status_class="5xx"\', \'Sum\', 300)) / 300 / (m1 / PERIOD(m1))',
    );
    expect(t("http_requests_total{status=~'4xx'}").expression).toContain('status_class="4xx"');
    expect(t("http_requests_total{status!~'2..'}").expression).toContain('NOT status_class="2xx"');
  });

  it('maps literal alternatives and negations to SEARCH terms', () => {
    expect(t('http_requests_total{operation=~"read|write"}').expression).toContain(
      '(operation="read" OR operation="write")',
    );
    expect(t('http_requests_total{operation!="health"}').expression).toContain('NOT operation="health"');
  });

  it('aggregates a label-filtered gauge with the matching SEARCH function, and max over all series too', () => {
    expect(t('max(disk_usage)').expression).toBe(
      'MAX(SEARCH(\'{MAIF,service,environment,mount} MetricName="disk_usage" service="maif" environment="prod"\', \'Average\', 300))',
    );
    expect(t('avg(disk_usage{mount!="/tmp"})').expression).toMatch(/^AVG\(SEARCH\(/);
    // The rollup already is the sum of a counter over its labels.
    expect(t('sum(rate(http_requests_total[5m]))').expression).toBe('m1 / PERIOD(m1)');
  });

  it('gives each metric and expression of one widget its own id', () => {
    const ids = new IdAllocator();
    const a = t('rate(search_queries_total[5m])', { ids });
    const b = t('rate(cache_hits[5m])', { ids });
    expect([a.id, ...a.metrics.map((m) => m.id)]).toEqual(['e1', 'm1']);
    expect([b.id, ...b.metrics.map((m) => m.id)]).toEqual(['e2', 'm2']);
  });

  it('accepts a declared custom metric and rejects unknown names with the nearest known ones', () => {
    const metrics = { documents_processed_total: { kind: 'counter' as const, labels: ['document_type'] } };
    expect(t('rate(documents_processed_total[5m])', { metrics }).metrics[0].metricName).toBe(
      'documents_processed_total',
    );
    expect(errorOf('rate(http_requests_totl[5m])')).toBe(
      "unknown metric 'http_requests_totl' (did you mean 'http_requests_total', 'http_request_errors_total', 'interrupts_total'? known metrics are listed in the metric catalog)",
    );
  });

  it('rejects each construct without a CloudWatch meaning, saying what is supported', () => {
    const cases: [string, string][] = [
      ['predict_linear(http_requests_total[1h], 3600)', "'predict_linear' is not supported"],
      ['irate(http_requests_total[5m])', "'irate' is not supported"],
      ['count(http_requests_total)', "'count' is not supported"],
      ['topk(3, http_requests_total)', "'topk' is not supported"],
      ['rate(http_requests_total[5m] offset 1h)', "'offset 1h' is not supported"],
      ['http_requests_total offset 5m', "'offset 5m' is not supported"],
      ['http_requests_total @ 1700000000', "'@ 1700000000' is not supported"],
      [
        'rate(http_requests_total[5m])[30m:1m]',
        "the subquery 'rate(http_requests_total[5m])[30m:1m]' is not supported",
      ],
      ['max_over_time(active_users[5m:1m])', "'max_over_time' is not supported"],
      ['sum without (operation) (http_requests_total)', "'sum without (...)' is not supported"],
      ['sum by (operation) (http_requests_total)', "'sum by (operation)' is not supported"],
      ['http_requests_total > 5', "the operator '>' is not supported"],
      ['cache_hits % 2', "the operator '%' is not supported"],
      ['cache_hits ^ 2', "the operator '^' is not supported"],
      ['cache_hits and cache_misses', "the operator 'and' is not supported"],
      ['cache_hits / on (cache) cache_misses', "vector matching 'on (...)' is not supported"],
      ['label_replace(active_users, "a", "b", "c", "d")', "'label_replace' is not supported"],
    ];
    for (const [expr, start] of cases) {
      const message = errorOf(expr);
      expect(message.startsWith(start)).toBe(true);
      expect(message.endsWith(`(supported: ${SUPPORTED})`)).toBe(true);
    }
  });

  it('explains the other rejections with the field, the value and what is allowed', () => {
    const cases: [string, RegExp][] = [
      ['rate(active_users[5m])', /^rate\(\) needs a counter; 'active_users' is a gauge/],
      [
        'http_request_duration_seconds',
        /is a histogram: use histogram_quantile\(0\.95, http_request_duration_seconds_bucket\)/,
      ],
      ['http_request_duration_seconds_bucket', /only supported inside histogram_quantile\(\)/],
      ['histogram_quantile(1.5, http_request_duration_seconds_bucket)', /quantile between 0 and 1/],
      ['histogram_quantile(0.9, http_request_duration_seconds)', /needs 'http_request_duration_seconds_bucket'/],
      [
        'histogram_quantile(0.9, http_request_duration_seconds_bucket{operation!="x"})',
        /percentiles cannot be combined across series/,
      ],
      ['http_requests_total[5m]', /needs rate\(\) or increase\(\) around it/],
      ['rate(http_requests_total[5m]) / rate(cache_hits[1m])', /ranges 300s, 60s differ/],
      ['rate(http_requests_total[90s])', /\[90s\] is not a CloudWatch period/],
      [
        'http_requests_total{region="eu"}',
        /label 'region' is not a label of http_requests_total \(labels: operation, status_class\)/,
      ],
      ['http_requests_total{status="500"}', /only a status class regex is supported/],
      ['http_requests_total{operation=~"get.*"}', /the regex 'get\.\*' is not supported \(use =, !=, or =~\/!~/],
      ['http_requests_total{operation="it\'s"}', /has a quote or a backslash/],
      ['{operation="x"}', /has no metric name/],
      ['1 + 2', /is a constant/],
      ['cache_hits / (', /^PromQL "cache_hits \/ \(": at 14 expected an expression but found end of input$/],
    ];
    for (const [expr, pattern] of cases) expect(errorOf(expr)).toMatch(pattern);
    expect(() => t('rate(active_users[5m])')).toThrow(TranslateError);
  });

  it('keeps the metric math expression within the CloudWatch length limit', () => {
    const long = Array.from({ length: 500 }, () => 'cache_hits').join(' + ');
    expect(errorOf(long)).toMatch(new RegExp(`characters \\(at most ${MAX_EXPRESSION_LENGTH}\\)`));
  });
});
