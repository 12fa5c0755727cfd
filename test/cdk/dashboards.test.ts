import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { type ResolvedConfig, resolveConfig } from '../../domain/config';
import { ObservabilityDashboards, type ObservabilityDashboardsProps } from '../../lib/dashboards';
import example from '../../observability.config';

interface Widget {
  type: string;
  width: number;
  height: number;
  x: number;
  y: number;
  properties: { title?: string; view?: string; metrics?: unknown[][]; alarms?: string[]; markdown?: string };
}

/** The dashboard bodies of a template, Fn::Join resolved (Ref -> the region, GetAtt -> 'arn:<id>'). */
function bodies(stack: Stack): Record<string, { start: string; periodOverride: string; widgets: Widget[] }> {
  const out: Record<string, { start: string; periodOverride: string; widgets: Widget[] }> = {};
  const resources = Template.fromStack(stack).findResources('AWS::CloudWatch::Dashboard');
  for (const resource of Object.values(resources)) {
    const body = resource.Properties.DashboardBody;
    const parts: unknown[] = typeof body === 'string' ? [body] : body['Fn::Join'][1];
    const text = parts
      .map((p) => {
        if (typeof p === 'string') return p;
        const o = p as Record<string, unknown>;
        if (o.Ref === 'AWS::Region') return 'eu-west-3';
        if (o['Fn::GetAtt']) return `arn:${(o['Fn::GetAtt'] as string[])[0]}`;
        throw new Error(`unexpected token ${JSON.stringify(p)}`);
      })
      .join('');
    out[resource.Properties.DashboardName] = JSON.parse(text);
  }
  return out;
}

const widget = (ws: Widget[], title: string) => {
  const w = ws.find((x) => x.properties.title === title);
  if (!w) throw new Error(`no widget '${title}' in ${ws.map((x) => x.properties.title).join(', ')}`);
  return w;
};
/** The options object ending a metric row. */
const opts = (row: unknown[]) => row[row.length - 1] as Record<string, unknown>;

function synth(props: Partial<ObservabilityDashboardsProps> & { config: ResolvedConfig }) {
  const stack = new Stack(new App(), 'Test', { env: { account: '123456789012', region: 'eu-west-3' } });
  const construct = new ObservabilityDashboards(stack, 'Dashboards', props);
  return { stack, construct };
}

const prod = resolveConfig(example, 'prod');

function withPanel(expr: string, type = 'singlestat'): ResolvedConfig {
  return {
    ...prod,
    dashboards: [{ title: 'MAIF System Overview', panels: [{ title: 'Error Rate', type, targets: [{ expr }] }] }],
  } as ResolvedConfig;
}

describe('ObservabilityDashboards', () => {
  it('creates one dashboard per configured dashboard plus the real-time one, named from title and environment', () => {
    const { stack, construct } = synth({ config: prod });
    Template.fromStack(stack).resourceCountIs('AWS::CloudWatch::Dashboard', 3);
    expect(Object.keys(bodies(stack)).sort()).toEqual([
      'MAIF-Application-Performance-prod',
      'MAIF-System-Overview-prod',
      'maif-real-time-prod',
    ]);
    expect(construct.dashboards).toHaveLength(3);
  });

  it('renders the System Overview: request rate as metric math, p95 and p50, the error ratio and active users', () => {
    const { stack } = synth({ config: prod });
    const body = bodies(stack)['MAIF-System-Overview-prod'];
    expect(body.start).toBe('-PT3H');
    expect(body.periodOverride).toBe('inherit');

    const rate = widget(body.widgets, 'Request Rate');
    expect(rate.properties.view).toBe('timeSeries');
    expect(rate.properties.metrics).toEqual([
      [{ label: 'Requests/sec', expression: 'm1 / PERIOD(m1)' }],
      [
        'MAIF',
        'http_requests_total',
        'environment',
        'prod',
        'service',
        'maif',
        { id: 'm1', visible: false, stat: 'Sum' },
      ],
    ]);

    const latency = widget(body.widgets, 'Response Time').properties.metrics!;
    expect(latency.map((row) => [row[1], opts(row).stat, opts(row).label])).toEqual([
      ['http_request_duration_seconds', 'p95', '95th percentile'],
      ['http_request_duration_seconds', 'p50', '50th percentile'],
    ]);

    const errors = widget(body.widgets, 'Error Rate');
    expect(errors.properties.view).toBe('singleValue');
    expect(opts(errors.properties.metrics![0]).expression).toBe(
      'SUM(SEARCH(\'{MAIF,service,environment,operation,status_class} MetricName="http_requests_total" service="maif" environment="prod" status_class="5xx"\', \'Sum\', 300)) / 300 / (m1 / PERIOD(m1))',
    );

    // Average is the widget's default statistic, so CDK leaves it out.
    const users = widget(body.widgets, 'Active Users');
    expect(users.properties.metrics).toEqual([
      ['MAIF', 'active_users', 'environment', 'prod', 'service', 'maif', { label: 'Active Users' }],
    ]);
  });

  it('renders Application Performance: artifact and search rates, search p95 and the cache hit ratio', () => {
    const { stack } = synth({ config: prod });
    const body = bodies(stack)['MAIF-Application-Performance-prod'];
    const artifacts = widget(body.widgets, 'Artifact Operations').properties.metrics!;
    expect(artifacts.filter((r) => typeof r[0] === 'string').map((r) => r[1])).toEqual([
      'artifacts_created_total',
      'artifacts_accessed_total',
    ]);
    const search = widget(body.widgets, 'Search Performance').properties.metrics!;
    expect(search.map((r) => opts(r).expression ?? opts(r).stat)).toEqual(['m1 / PERIOD(m1)', 'Sum', 'p95']);
    const cache = widget(body.widgets, 'Cache Hit Ratio').properties.metrics!;
    expect(opts(cache[0])).toEqual({ label: 'Hit Ratio', expression: 'm1 / (m1 + m2)' });
    expect(cache.slice(1).map((r) => r[1])).toEqual(['cache_hits', 'cache_misses']);
  });

  it('lays panels out on the 24-column grid, a new row when one is full', () => {
    const { stack } = synth({ config: prod });
    const ws = bodies(stack)['MAIF-System-Overview-prod'].widgets;
    expect(ws.map((w) => [w.properties.title, w.x, w.y, w.width])).toEqual([
      ['Request Rate', 0, 0, 12],
      ['Response Time', 12, 0, 12],
      ['Error Rate', 0, 6, 6],
      ['Active Users', 6, 6, 6],
    ]);
  });

  it('renders the real-time dashboard on 10 s periods over the last hour, with live data', () => {
    const { stack } = synth({ config: prod });
    const body = bodies(stack)['maif-real-time-prod'];
    expect(body.start).toBe('-PT1H');
    expect(body.widgets.map((w) => w.properties.title)).toEqual([
      'Active users',
      'Requests per second',
      'Average response time',
      'Error rate',
      'CPU utilization',
      'Memory usage',
      'Active connections',
      'Queue length',
    ]);
    for (const w of body.widgets) {
      expect((w.properties as { liveData?: boolean }).liveData).toBe(true);
      for (const row of w.properties.metrics!) expect(opts(row).period).toBe(10);
    }
    const errors = widget(body.widgets, 'Error rate').properties.metrics!;
    expect(opts(errors[0]).expression).toBe('100 * m1 / m2');
    expect(errors.slice(1).map((r) => r[1])).toEqual(['http_request_errors_total', 'http_requests_total']);
    // The example configuration declares active_connections as a custom gauge: it is shown as is.
    expect(widget(body.widgets, 'Active connections').properties.metrics![0][1]).toBe('active_connections');
    expect(widget(body.widgets, 'Queue length').properties.metrics![0][1]).toBe('load_average_1m');
  });

  it('puts an alarm status widget on top of every dashboard when alarms are given', () => {
    const stack = new Stack(new App(), 'Test', { env: { account: '123456789012', region: 'eu-west-3' } });
    const metric = new cloudwatch.Metric({ namespace: 'MAIF', metricName: 'up' });
    const alarm = new cloudwatch.Alarm(stack, 'Down', { metric, threshold: 1, evaluationPeriods: 1 });
    new ObservabilityDashboards(stack, 'Dashboards', { config: prod, alarms: [alarm] });
    for (const body of Object.values(bodies(stack))) {
      expect(body.widgets[0]).toMatchObject({ type: 'alarm', x: 0, y: 0, width: 24 });
      expect(body.widgets[0].properties.alarms).toEqual([expect.stringMatching(/^arn:Down/)]);
      expect(body.widgets[1].y).toBeGreaterThan(0);
    }
  });

  it('leaves the alarm widget out without alarms', () => {
    const { stack } = synth({ config: prod });
    for (const body of Object.values(bodies(stack))) expect(body.widgets.some((w) => w.type === 'alarm')).toBe(false);
  });

  it('renders gauge, table and text panels', () => {
    const config = {
      ...prod,
      realtime: { ...prod.realtime, metrics: [] },
      dashboards: [
        {
          title: 'Capacity',
          panels: [
            { title: 'About', type: 'text', targets: [] },
            { title: 'Disk', type: 'gauge', targets: [{ expr: 'max(disk_usage)' }] },
            { title: 'Memory', type: 'table', targets: [{ expr: 'memory_usage' }] },
          ],
        },
      ],
    } as ResolvedConfig;
    const { stack } = synth({ config });
    const ws = bodies(stack)['Capacity-prod'].widgets;
    expect(ws.map((w) => w.type)).toEqual(['text', 'metric', 'metric']);
    expect(ws[0].properties.markdown).toBe('## About');
    expect(ws[1].properties.view).toBe('gauge');
    expect(ws[2].properties.view).toBe('table');
  });

  it('fails the synth on a PromQL construct CloudWatch cannot show, naming dashboard, panel and target', () => {
    expect(() => synth({ config: withPanel('predict_linear(http_requests_total[1h], 3600)') })).toThrow(
      "dashboard 'MAIF System Overview' panel 'Error Rate' target 1: 'predict_linear' is not supported (supported: rate, increase, histogram_quantile, sum, avg, min, max, +, -, *, /)",
    );
    const cases: [string, RegExp][] = [
      ['rate(http_requests_total[5m] offset 1h)', /target 1: 'offset 1h' is not supported/],
      ['rate(http_requests_total[5m])[30m:1m]', /target 1: the subquery .* is not supported/],
      ['sum without (operation) (http_requests_total)', /target 1: 'sum without \(\.\.\.\)' is not supported/],
      ['http_requests_total > 5', /target 1: the operator '>' is not supported/],
      ['rate(unknown_metric[5m])', /target 1: unknown metric 'unknown_metric' \(did you mean/],
      ['rate(http_requests_total[5m]', /target 1: PromQL "rate\(http_requests_total\[5m\]": at 28 expected '\)'/],
    ];
    for (const [expr, message] of cases) expect(() => synth({ config: withPanel(expr) })).toThrow(message);
  });

  it('fails the synth on an unknown real-time metric, listing the known ones', () => {
    const config = { ...prod, realtime: { ...prod.realtime, metrics: ['requests_per_secnd'] } } as ResolvedConfig;
    expect(() => synth({ config })).toThrow(
      /^realtime\.metrics: 'requests_per_secnd' is not a real-time metric \(did you mean 'requests_per_second'.*known: current_active_users, requests_per_second/,
    );
  });

  it('fails the synth when two titles give the same dashboard name, or a widget holds too many metrics', () => {
    const twice = {
      ...prod,
      dashboards: [prod.dashboards[0], { ...prod.dashboards[0], title: 'MAIF System/Overview' }],
    } as ResolvedConfig;
    expect(() => synth({ config: twice })).toThrow(
      "dashboard 'MAIF System/Overview': name 'MAIF-System-Overview-prod' is already used by dashboard 'MAIF System Overview' (titles must differ)",
    );
    const many = Array.from({ length: 260 }, (_, i) => ({
      expr: `rate(http_requests_total{operation="op${i}", status_class="2xx"}[5m])`,
    }));
    const crowded = {
      ...prod,
      dashboards: [{ title: 'Crowded', panels: [{ title: 'All', type: 'graph', targets: many }] }],
    } as ResolvedConfig;
    expect(() => synth({ config: crowded })).toThrow(
      "dashboard 'Crowded' panel 'All': 520 metrics and expressions (at most 500 per widget)",
    );
  });

  it('rejects a panel type it cannot render and a text panel with targets', () => {
    const config = withPanel('active_users', 'heatmap');
    expect(() => synth({ config })).toThrow(
      "dashboard 'MAIF System Overview' panel 'Error Rate': type 'heatmap' is not supported (use graph, timeseries, singlestat, stat, gauge, table, text)",
    );
    expect(() => synth({ config: withPanel('active_users', 'text') })).toThrow(/a text panel has no targets \(got 1\)/);
  });
});
