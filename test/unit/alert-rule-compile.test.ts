import fc from 'fast-check';
import { resolveConfig } from '../../domain/config';
import { splitBaselines } from '../../domain/config/alerting';
import {
  type AlarmMetadata,
  decodeAlarmDescription,
  encodeAlarmDescription,
  MAX_ALARM_DESCRIPTION_LENGTH,
} from '../../domain/contracts/alarm-spec';
import { replay } from '../../domain/evaluator/evaluator';
import { compileBaselines, performanceAlerts } from '../../domain/rules/baselines';
import {
  type AlertRuleInput,
  type CompileContext,
  compileContext,
  compileRealtimeAlerts,
  compileRule,
  highResolutionMetrics,
  numberText,
} from '../../domain/rules/compile';
import { AlertRuleError, expressionOutsideSubset } from '../../domain/rules/limits';
import exampleConfig from '../../observability.config';
import { errorBurstStore } from '../private/error-burst';

const config = resolveConfig(exampleConfig, 'prod');
const ctx: CompileContext = compileContext(config);
const rule = (condition: string, extra: Partial<AlertRuleInput> = {}): AlertRuleInput => ({
  name: 'r',
  condition,
  duration: '5m',
  severity: 'warning',
  labels: { team: 'platform' },
  ...extra,
});
const dims = { service: 'maif', environment: 'prod' };
const errorOf = (r: AlertRuleInput): string => {
  try {
    compileRule(r, ctx);
  } catch (e) {
    expect(e).toBeInstanceOf(AlertRuleError);
    return (e as Error).message;
  }
  throw new Error(`'${r.condition}' compiled`);
};

describe('alert rule compiler', () => {
  const example = Object.fromEntries(config.alerting.rules.map((r) => [r.name, compileRule(r, ctx)]));

  it('compiles error_rate > 5% to errors over requests in metric math, 5 of 5 minutes', () => {
    expect(example.high_error_rate).toMatchObject({
      alarmName: 'maif-prod-high_error_rate',
      kind: 'threshold',
      metrics: [
        {
          id: 'm1',
          namespace: 'MAIF',
          metricName: 'http_request_errors_total',
          dimensions: dims,
          stat: 'Sum',
          period: 60,
        },
        { id: 'm2', namespace: 'MAIF', metricName: 'http_requests_total', dimensions: dims, stat: 'Sum', period: 60 },
      ],
      expression: { id: 'e1', expression: '100 * FILL(m1, 0) / m2' },
      comparison: 'GreaterThanThreshold',
      threshold: 5,
      period: 60,
      evaluationPeriods: 5,
      datapointsToAlarm: 5,
      treatMissingData: 'missing',
      severity: 'warning',
    });
  });

  it('compiles up == 0 to the Minimum of up over the rollup set, equal to zero', () => {
    expect(example.system_down).toMatchObject({
      metrics: [{ metricName: 'up', dimensions: dims, stat: 'Minimum' }],
      expression: { expression: 'ABS(m1)' },
      comparison: 'LessThanOrEqualToThreshold',
      threshold: 0,
      evaluationPeriods: 1,
      severity: 'critical',
    });
  });

  it('compiles response_time_p95 > 2s to an extended statistic that ignores low sample counts', () => {
    expect(example.high_latency).toMatchObject({
      metrics: [{ metricName: 'http_request_duration_seconds', stat: 'p95' }],
      comparison: 'GreaterThanThreshold',
      threshold: 2,
      evaluationPeriods: 10,
      evaluateLowSampleCountPercentile: 'ignore',
    });
    expect(example.high_latency.expression).toBeUndefined();
  });

  it('compiles disk_usage > 85% to the fullest mount, in percent', () => {
    expect(example.disk_space_low).toMatchObject({
      metrics: [{ metricName: 'disk_usage', stat: 'Maximum' }],
      threshold: 85,
      evaluationPeriods: 15,
      labels: { team: 'infrastructure', service: 'maif' },
    });
  });

  it('compiles memory_usage increase > 10% in 1h to DIFF over hourly periods', () => {
    expect(example.memory_leak).toMatchObject({
      metrics: [{ metricName: 'memory_usage', stat: 'Average', period: 3600 }],
      expression: { expression: 'DIFF(m1)' },
      threshold: 10,
      period: 3600,
      evaluationPeriods: 1,
    });
  });

  it('writes the severity, labels and runbook into the description for the alert pipeline', () => {
    const spec = compileRule(rule('error_rate > 5%', { runbook: 'https://runbooks.example.com/errors' }), ctx);
    expect(decodeAlarmDescription(spec.description)).toEqual({
      rule: 'r',
      severity: 'warning',
      labels: { team: 'platform' },
      runbook: 'https://runbooks.example.com/errors',
      environment: 'prod',
      service: 'maif',
    });
  });

  it('turns ratios, rates, label filters and relative changes into metric math', () => {
    expect(compileRule(rule('cache_hits / (cache_hits + cache_misses) < 80%'), ctx)).toMatchObject({
      expression: { expression: 'FILL(m1, 0) / (m1 + m2)' },
      comparison: 'LessThanThreshold',
      threshold: 0.8,
    });
    expect(
      compileRule(rule("rate(http_requests_total{operation='search', status_class='5xx'}) > 2"), ctx),
    ).toMatchObject({
      metrics: [{ dimensions: { ...dims, operation: 'search', status_class: '5xx' }, stat: 'Sum' }],
      expression: { expression: 'm1 / PERIOD(m1)' },
      threshold: 2,
    });
    expect(compileRule(rule('p99(search_duration_seconds) increase > 50% in 1h'), ctx)).toMatchObject({
      metrics: [{ stat: 'p99', period: 3600 }],
      expression: { expression: '100 * DIFF(m1) / (m1 - DIFF(m1))' },
      threshold: 50,
    });
    expect(compileRule(rule('memory_available_bytes decrease > 512MB in 30m'), ctx)).toMatchObject({
      expression: { expression: '(0 - DIFF(m1))' },
      threshold: 512 * 1024 ** 2,
      period: 1800,
    });
  });

  it('converts threshold units to the unit of the metric', () => {
    expect(compileRule(rule('http_request_duration_seconds_p99.9 > 300ms'), ctx).threshold).toBe(0.3);
    expect(compileRule(rule('disk_io_time_ms > 1s'), ctx).threshold).toBe(1000);
    expect(compileRule(rule('storage_data_size_bytes > 2GB'), ctx).threshold).toBe(2 * 1024 ** 3);
    expect(compileRule(rule('average_response_time > 500ms'), ctx)).toMatchObject({
      metrics: [{ stat: 'Sum' }, { stat: 'SampleCount' }],
      expression: { expression: 'm1 / m2' },
      threshold: 0.5,
    });
  });

  it('compiles anomaly(metric) outside 2 bands to an anomaly detection alarm', () => {
    expect(compileRule(rule('anomaly(search_duration_seconds_p95) outside 2 bands'), ctx)).toMatchObject({
      kind: 'anomaly',
      metrics: [{ metricName: 'search_duration_seconds', stat: 'p95' }],
      bands: 2,
      comparison: 'LessThanLowerOrGreaterThanUpperThreshold',
    });
  });

  it("compiles the example configuration's real-time alerts to 10 s alarms, response time in milliseconds", () => {
    const [errors, latency] = compileRealtimeAlerts(config.realtime.alerts, ctx);
    expect(errors).toMatchObject({
      ruleName: 'realtime_error_rate',
      period: 10,
      evaluationPeriods: 1,
      expression: { expression: '100 * FILL(m1, 0) / m2' },
      metrics: [{ period: 10 }, { period: 10 }],
      threshold: 10,
      severity: 'critical',
    });
    expect(latency).toMatchObject({
      ruleName: 'realtime_response_time',
      period: 10,
      metrics: [{ metricName: 'http_request_duration_seconds', stat: 'Average', period: 10 }],
      threshold: 5,
      severity: 'warning',
    });
  });

  it('counts the metrics behind real-time names as high resolution', () => {
    expect(highResolutionMetrics(config)).toEqual(
      expect.arrayContaining([
        'http_request_errors_total',
        'http_requests_total',
        'http_request_duration_seconds',
        'cpu_utilization',
      ]),
    );
    expect(highResolutionMetrics(config)).not.toContain('disk_usage');
  });

  // ---------------------------------------------------------------- one clear error each

  it('rejects bad syntax with the position and what was expected', () => {
    expect(errorOf(rule('error_rate >> 5%'))).toBe(
      "alert rule 'r': condition 'error_rate >> 5%': at 12 expected a threshold: a number, optionally with a unit (% ms s m h B KB MB GB), found '>'",
    );
  });

  it('rejects an unknown metric and suggests the nearest names', () => {
    expect(errorOf(rule('eror_rate > 5%'))).toMatch(/unknown metric 'eror_rate' \(did you mean 'error_rate'/);
  });

  it('rejects a threshold unit that does not fit the metric', () => {
    expect(errorOf(rule('disk_usage > 85MB'))).toBe(
      "alert rule 'r': threshold '85MB' does not fit disk_usage, measured in Percent (use %, or a bare number of percent)",
    );
    expect(errorOf(rule('response_time_p95 > 2%'))).toMatch(/measured in Seconds \(use ms, s, m, h/);
  });

  it('rejects a duration whose periods cover more than a day', () => {
    expect(errorOf(rule('error_rate > 5%', { duration: '2d' }))).toBe(
      "alert rule 'r': 2880 evaluation periods of 1m cover 2d, over CloudWatch's limit of 1d for periods under 1 hour (use a shorter duration or a period of 1h or more)",
    );
    expect(compileRule(rule('error_rate > 5%', { duration: '2d', period: '1h' }), ctx).evaluationPeriods).toBe(48);
  });

  it('rejects more than 10 metrics in one alarm', () => {
    const names = [
      'cache_hits',
      'cache_misses',
      'search_queries_total',
      'artifacts_created_total',
      'embeddings_generated_total',
      'index_updates_total',
      'cold_starts_total',
      'feature_usage_total',
      'storage_operations_total',
      'http_requests_total',
      'http_request_errors_total',
    ];
    expect(errorOf(rule(`${names.join(' + ')} > 100`))).toMatch(
      /the condition queries 11 metrics \(cache_hits, .*\); CloudWatch allows at most 10 in one alarm/,
    );
  });

  it('rejects a 10 s period on a standard-resolution metric', () => {
    expect(errorOf(rule('disk_usage > 85%', { period: '10s' }))).toBe(
      "alert rule 'r': a 10s period needs high-resolution metrics; disk_usage is standard resolution (add it to realtime.metrics, or use a period of 60s or a multiple)",
    );
    expect(compileRule(rule('cpu_utilization > 90%', { period: '10s', duration: '1m' }), ctx).evaluationPeriods).toBe(
      6,
    );
  });

  it('rejects a period CloudWatch does not offer', () => {
    expect(errorOf(rule('error_rate > 5%', { period: '45s' }))).toMatch(/period 45s is not a CloudWatch alarm period/);
    expect(errorOf(rule('error_rate > 5%', { duration: 'soon' }))).toBe(
      "alert rule 'r': duration 'soon' is not a duration (use 30s, 5m, 1h)",
    );
  });

  it('rejects label filters that name a missing label or only some labels', () => {
    expect(errorOf(rule("disk_usage{device='sda'} > 85%"))).toMatch(
      /label 'device' is not a label of disk_usage \(labels: mount\)/,
    );
    expect(errorOf(rule("http_requests_total{operation='search'} > 1"))).toMatch(
      /the filter on http_requests_total must name every label \(operation, status_class\) or none: status_class missing/,
    );
  });

  it('rejects statistics that do not fit the metric kind and mixed units', () => {
    expect(errorOf(rule('rate(cpu_utilization) > 1'))).toMatch(/rate\(\) needs a counter; cpu_utilization is a gauge/);
    expect(errorOf(rule('p95(http_requests_total) > 1'))).toMatch(/p95 needs a histogram, a summary or a gauge/);
    expect(errorOf(rule('cpu_utilization + storage_data_size_bytes > 1'))).toMatch(
      /'\+' mixes units Percent and Bytes/,
    );
    expect(errorOf(rule('error_rate_p95 > 1'))).toMatch(/a statistic \(p95\) applies to a single metric only/);
  });

  // ---------------------------------------------------------------- baselines

  it('compiles each baseline to a regression alarm over the learned baseline, falling back to the static one', () => {
    const specs = compileBaselines(config.alerting, ctx);
    const search = specs.find((s) => s.ruleName === 'search_latency_p95_regression');
    expect(search).toMatchObject({
      metrics: [
        { id: 'm1', metricName: 'search_duration_seconds', stat: 'p95', period: 900 },
        {
          id: 'm2',
          metricName: 'performance_baseline_seconds',
          dimensions: { ...dims, metric: 'search_latency_p95' },
          period: 900,
        },
      ],
      expression: { expression: 'm1 / FILL(FILL(m2, REPEAT), 0.1)' },
      comparison: 'GreaterThanThreshold',
      threshold: 1.25,
      evaluationPeriods: 2,
      labels: { baseline: 'search_latency_p95', alert: 'performance_regression', action: 'alert_performance_team' },
    });
    expect(specs.find((s) => s.ruleName === 'index_update_time_regression')?.expression?.expression).toBe(
      'm1 / FILL(FILL(m2, REPEAT), 1)',
    );
    expect(specs.filter((s) => s.kind === 'anomaly').map((s) => s.ruleName)).toEqual([
      'search_latency_p95_anomaly',
      'artifact_creation_time_anomaly',
      'embedding_generation_time_anomaly',
      'index_update_time_anomaly',
    ]);
  });

  it('switches anomaly detection per baseline metric', () => {
    const { baselines, options } = splitBaselines({
      search_latency_p95: { value: '100ms', anomalyDetection: false },
      index_update_time: { value: '1s', bands: 3 },
    });
    const specs = compileBaselines({ ...config.alerting, baselines }, ctx, options);
    expect(specs.filter((s) => s.kind === 'anomaly').map((s) => [s.ruleName, s.bands, s.comparison])).toEqual([
      ['index_update_time_anomaly', 3, 'GreaterThanUpperThreshold'],
    ]);
  });

  it('rejects a performance alert condition it cannot compile', () => {
    const performance = {
      ...config.alerting.performance,
      alerts: [{ name: 'p', condition: 'score > 1', action: 'x' }],
    };
    expect(() => performanceAlerts({ ...config.alerting, performance })).toThrow(
      "alert rule 'p': performance alert condition 'score > 1' is not supported (use 'current_performance < baseline * 0.8' or 'anomaly_score > 0.8')",
    );
  });

  // ---------------------------------------------------------------- helpers

  it('writes metric math numbers without exponents and negatives in parentheses', () => {
    expect(numberText(1e-7)).toBe('0.0000001');
    expect(numberText(1e21)).toBe('1000000000000000000000');
    expect(numberText(-2.5)).toBe('(0 - 2.5)');
    expect(expressionOutsideSubset('100 * m1 / FILL(m2, REPEAT)', ['m1', 'm2'])).toBeUndefined();
    expect(expressionOutsideSubset('SEARCH(m1)', ['m1'])).toBe('SEARCH');
  });
});

describe('alarm description metadata', () => {
  const meta = fc.record(
    {
      rule: fc.string({ maxLength: 40 }),
      severity: fc.constantFrom('critical' as const, 'warning' as const, 'info' as const),
      labels: fc.dictionary(fc.string({ maxLength: 10 }), fc.string({ maxLength: 20 }), { maxKeys: 5 }),
      runbook: fc.webUrl(),
      environment: fc.string({ maxLength: 10 }),
      service: fc.string({ maxLength: 10 }),
    },
    { requiredKeys: ['rule', 'severity', 'labels'] },
  );

  it('reads back what it wrote, whatever the text, within 1024 characters', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 2000 }), meta, (text, m) => {
        const description = encodeAlarmDescription(text, m as AlarmMetadata);
        expect(description.length).toBeLessThanOrEqual(MAX_ALARM_DESCRIPTION_LENGTH);
        expect(decodeAlarmDescription(description)).toEqual(JSON.parse(JSON.stringify(m)));
      }),
      { numRuns: 300 },
    );
  });

  it('truncates the text, never the metadata, and keeps short text whole', () => {
    const m: AlarmMetadata = { rule: 'r', severity: 'info', labels: {} };
    expect(encodeAlarmDescription('short', m)).toBe('short\n\nmaif:{"rule":"r","severity":"info","labels":{}}');
    const long = encodeAlarmDescription('x'.repeat(5000), m);
    expect(long).toHaveLength(MAX_ALARM_DESCRIPTION_LENGTH);
    expect(long).toContain('x…\n\nmaif:');
  });

  it('refuses metadata that alone exceeds the limit', () => {
    expect(() =>
      encodeAlarmDescription('', { rule: 'big', severity: 'info', labels: { a: 'x'.repeat(1100) } }),
    ).toThrow(
      /alert rule 'big': alarm metadata \(labels, runbook\) is \d+ characters once encoded \(allowed: at most 1024\)/,
    );
  });

  it('returns undefined for descriptions without valid metadata', () => {
    expect(decodeAlarmDescription('made by hand')).toBeUndefined();
    expect(decodeAlarmDescription('x\n\nmaif:{not json')).toBeUndefined();
    expect(decodeAlarmDescription('x\n\nmaif:{"rule":"r","severity":"loud","labels":{}}')).toBeUndefined();
  });
});

describe('error-rate alarms once the errors stop', () => {
  it('return to OK: a minute with requests and no error reads 0 %, not missing', () => {
    const spec = compileRule(rule('error_rate > 5%'), ctx);
    const t0 = Date.UTC(2026, 0, 1);
    const store = errorBurstStore({
      namespace: 'MAIF',
      dimensions: dims,
      start: t0,
      minutes: 30,
      requestsPerMinute: 100,
      errorsPerMinute: 20,
      errorMinutes: [5, 15],
    });
    const states = replay(spec, store, t0 + 60_000, t0 + 30 * 60_000, 60_000).transitions.map((t) => t.to);
    expect(states).toEqual(['OK', 'ALARM', 'OK']);
  });
});
