import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { BaselineMonitorConfig } from '../../domain/contracts/baseline';
import { ingestEmf } from '../../domain/evaluator/store';
import { createHandler, median } from '../../lambdas/baseline';
import { AwsJsonLoopback, LOOPBACK_CREDENTIALS, type LoopbackHandler } from '../private/aws-json-loopback';

const GET = 'GraniteServiceVersion20100801.GetMetricData';
const PUT_EVENTS = 'AWSEvents.PutEvents';
const NOW = Date.parse('2026-03-10T12:07:30Z');
const HOUR_END = Date.parse('2026-03-10T12:00:00Z') / 1000;
const DIMS = { service: 'maif', environment: 'prod' };

const CONFIG: BaselineMonitorConfig = {
  baselines: [
    {
      name: 'search_latency_p95',
      namespace: 'MAIF',
      metricName: 'search_duration_seconds',
      dimensions: DIMS,
      stat: 'p95',
      staticSeconds: 0.1,
    },
    {
      name: 'artifact_creation_time',
      namespace: 'MAIF',
      metricName: 'artifact_creation_duration_seconds',
      dimensions: DIMS,
      stat: 'p95',
      staticSeconds: 0.5,
    },
  ],
  regression: { name: 'performance_regression', factor: 0.8, action: 'alert_performance_team' },
};

const hours = (from: number, n: number) => Array.from({ length: n }, (_, i) => HOUR_END - 3600 * (from + i + 1));

// Recorded GetMetricData responses (AWS JSON 1.0, timestamps in epoch seconds, newest first):
// 7 days of hourly p95 in two pages, 25 hours at 0.09 s then 24 at 0.11 s for search, 5 hours of
// artifact creation (too few to learn from).
const HISTORY_PAGE_1 = JSON.stringify({
  MetricDataResults: [
    {
      Id: 'h0',
      Label: 'search_duration_seconds',
      StatusCode: 'PartialData',
      Timestamps: hours(0, 25),
      Values: new Array(25).fill(0.09),
    },
    {
      Id: 'h1',
      Label: 'artifact_creation_duration_seconds',
      StatusCode: 'Complete',
      Timestamps: hours(0, 5),
      Values: [0.4, 0.45, 0.5, 0.41, 0.42],
    },
  ],
  NextToken: 'page-2',
  Messages: [],
});
const HISTORY_PAGE_2 = JSON.stringify({
  MetricDataResults: [
    {
      Id: 'h0',
      Label: 'search_duration_seconds',
      StatusCode: 'Complete',
      Timestamps: hours(25, 24),
      Values: new Array(24).fill(0.11),
    },
    { Id: 'h1', Label: 'artifact_creation_duration_seconds', StatusCode: 'Complete', Timestamps: [], Values: [] },
  ],
  Messages: [],
});
const currentWindow = (search: number, artifact: number) =>
  JSON.stringify({
    MetricDataResults: [
      { Id: 'c0', StatusCode: 'Complete', Timestamps: [Date.parse('2026-03-10T11:52:00Z') / 1000], Values: [search] },
      { Id: 'c1', StatusCode: 'Complete', Timestamps: [Date.parse('2026-03-10T11:52:00Z') / 1000], Values: [artifact] },
    ],
    Messages: [],
  });

/** Serves the recorded history (two pages) and the given current window. */
function cloudWatchReplay(current: string): LoopbackHandler {
  return (body) => {
    const queries = body.MetricDataQueries as { MetricStat: { Period: number } }[];
    if (queries[0].MetricStat.Period === 900) return { body: current };
    return { body: body.NextToken === 'page-2' ? HISTORY_PAGE_2 : HISTORY_PAGE_1 };
  };
}

async function run(handlers: Record<string, LoopbackHandler>, config = CONFIG) {
  const { loopback, endpoint } = await AwsJsonLoopback.start(handlers);
  const lines: string[] = [];
  const warnings: string[] = [];
  const stderr = jest.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    warnings.push(String(chunk));
    return true;
  });
  try {
    const client = { endpoint, region: 'eu-west-1', credentials: LOOPBACK_CREDENTIALS, maxAttempts: 1 };
    const handler = createHandler(config, {
      cloudWatch: new CloudWatchClient(client),
      eventBridge: new EventBridgeClient(client),
      now: () => NOW,
      metricsSink: (line) => lines.push(line),
      namespace: 'MAIF',
      service: 'maif',
      environment: 'prod',
      eventBusName: 'maif-prod-observability',
      sleep: async () => {},
    });
    const summary = await handler();
    return { summary, loopback, lines, warnings };
  } finally {
    stderr.mockRestore();
    await loopback.close();
  }
}

describe('baseline monitor Lambda', () => {
  it('learns the median of 7 days of hourly p95 across pages and publishes it as EMF', async () => {
    const { summary, loopback, lines } = await run({ [GET]: cloudWatchReplay(currentWindow(0.1, 0.55)) });

    expect(summary.errors).toEqual([]);
    expect(summary.results).toEqual([
      { name: 'search_latency_p95', baseline: 0.09, source: 'learned', hours: 49, current: 0.1, regressed: false },
      { name: 'artifact_creation_time', baseline: 0.5, source: 'static', hours: 5, current: 0.55, regressed: false },
    ]);
    const history = loopback.of(GET).filter((r) => (r.body.MetricDataQueries as { Id: string }[])[0].Id === 'h0');
    expect(history.map((r) => r.body.NextToken)).toEqual([undefined, 'page-2']);
    expect(history[0].body).toMatchObject({
      StartTime: HOUR_END - 7 * 24 * 3600,
      EndTime: HOUR_END,
      MetricDataQueries: [
        {
          Id: 'h0',
          MetricStat: {
            Metric: {
              Namespace: 'MAIF',
              MetricName: 'search_duration_seconds',
              Dimensions: [
                { Name: 'service', Value: 'maif' },
                { Name: 'environment', Value: 'prod' },
              ],
            },
            Period: 3600,
            Stat: 'p95',
          },
        },
        { Id: 'h1' },
      ],
    });
    expect(loopback.of(PUT_EVENTS)).toHaveLength(0);

    const published = lines.flatMap(ingestEmf).filter((o) => o.metricName === 'performance_baseline_seconds');
    expect(published).toContainEqual(
      expect.objectContaining({
        namespace: 'MAIF',
        dimensions: { service: 'maif', environment: 'prod', metric: 'search_latency_p95' },
        value: 0.09,
      }),
    );
    // Only learned baselines are published: the alarm falls back to the configured value itself.
    expect(published.some((o) => o.dimensions.metric === 'artifact_creation_time')).toBe(false);
  });

  it('puts a MAIF Alert on the kit bus when the last 15 minutes are slower than baseline / 0.8', async () => {
    const { summary, loopback } = await run({
      [GET]: cloudWatchReplay(currentWindow(0.2, 0.7)),
      [PUT_EVENTS]: () => ({ body: { FailedEntryCount: 0, Entries: [{ EventId: 'e1' }, { EventId: 'e2' }] } }),
    });

    expect(summary.results.map((r) => [r.name, r.regressed])).toEqual([
      ['search_latency_p95', true], // 0.2 > 0.09 / 0.8 = 0.1125
      ['artifact_creation_time', true], // 0.7 > 0.5 / 0.8 = 0.625
    ]);
    const [put] = loopback.of(PUT_EVENTS);
    const entries = put.body.Entries as { Source: string; DetailType: string; EventBusName: string; Detail: string }[];
    expect(entries).toHaveLength(2);
    expect(entries[0]).toMatchObject({
      Source: 'maif.observability',
      DetailType: 'MAIF Alert',
      EventBusName: 'maif-prod-observability',
    });
    const detail = JSON.parse(entries[0].Detail);
    expect(detail).toMatchObject({
      alertName: 'performance_regression',
      severity: 'warning',
      rule: 'search_latency_p95_regression',
      labels: {
        service: 'maif',
        environment: 'prod',
        baseline: 'search_latency_p95',
        alert: 'performance_regression',
        action: 'alert_performance_team',
      },
      summary:
        'performance_regression: search_latency_p95 is 0.2s over the last 15 minutes, baseline 0.09s (learned); alert above 0.1125s',
      event: { current: 0.2, baseline: 0.09, factor: 0.8, hours: 49 },
      occurrences: 1,
    });
    expect(detail.fingerprint).toMatch(/^[0-9a-f]{32}$/);
    expect(JSON.parse(entries[1].Detail).fingerprint).not.toBe(detail.fingerprint);
  });

  it('reports an alert EventBridge rejects without throwing', async () => {
    const { summary } = await run({
      [GET]: cloudWatchReplay(currentWindow(0.2, 0.1)),
      [PUT_EVENTS]: () => ({
        body: { FailedEntryCount: 1, Entries: [{ ErrorCode: 'InternalFailure', ErrorMessage: 'try later' }] },
      }),
    });
    expect(summary.results[0]).toMatchObject({ regressed: true, alertError: 'InternalFailure: try later' });
    expect(summary.errors).toEqual(['regression alert for search_latency_p95 not sent: InternalFailure: try later']);
  });

  it('falls back to the configured baselines and raises nothing when GetMetricData fails', async () => {
    const { summary, lines, warnings } = await run({
      [GET]: () => ({ status: 400, body: { __type: 'InvalidParameterValueException', message: 'bad query' } }),
    });
    expect(summary.results.map((r) => [r.baseline, r.source, r.regressed, r.current])).toEqual([
      [0.1, 'static', false, undefined],
      [0.5, 'static', false, undefined],
    ]);
    expect(summary.errors).toEqual([
      expect.stringMatching(/^GetMetricData \(7 days\): .*bad query/),
      expect.stringMatching(/^GetMetricData \(current window\): .*bad query/),
    ]);
    expect(lines.flatMap(ingestEmf).filter((o) => o.metricName === 'performance_baseline_seconds')).toEqual([]);
    expect(warnings.join('')).toContain('maif_obs_baseline_warning');
  });

  it('learns and publishes without alerting when no regression rule is configured', async () => {
    const { summary, loopback } = await run(
      { [GET]: cloudWatchReplay(currentWindow(5, 5)) },
      { baselines: CONFIG.baselines },
    );
    expect(summary.results.every((r) => !r.regressed)).toBe(true);
    expect(loopback.of(PUT_EVENTS)).toHaveLength(0);
  });
});

describe('median', () => {
  it.each([
    [[], undefined],
    [[3], 3],
    [[5, 1, 3], 3],
    [[4, 1, 3, 2], 2.5],
  ])('of %j is %s', (values, expected) => {
    expect(median(values)).toBe(expected);
  });
});
