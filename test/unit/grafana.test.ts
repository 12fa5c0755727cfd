import fc from 'fast-check';
import { type ResolvedConfig, resolveConfig } from '../../domain/config';
import {
  GRAFANA_SCHEMA_VERSION,
  type GrafanaDashboard,
  grafanaUid,
  MAX_GRAFANA_UID_LENGTH,
  toGrafanaDashboard,
} from '../../domain/dashboards/grafana';
import { compileDashboards } from '../../domain/dashboards/model';
import example from '../../observability.config';

const prod = resolveConfig(example, 'prod');
const [overview, application, realtime] = compileDashboards(prod);
const region = 'eu-west-3';
/** The data source variable a dashboard refers to when no uid is given. */
const DATASOURCE = `\${datasource}`;

/** Every metric math id an expression refers to (m1, e2, ...). */
const idsIn = (expression: string) => [...expression.replace(/'[^']*'/g, '').matchAll(/\b[a-z]\w*/g)].map((m) => m[0]);

function checkReferences(dashboard: GrafanaDashboard): void {
  for (const panel of dashboard.panels) {
    const refIds = panel.targets.map((t) => t.refId);
    expect(new Set(refIds).size).toBe(refIds.length);
    const ids = panel.targets.map((t) => t.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const target of panel.targets) {
      if (target.metricEditorMode !== 1) continue;
      for (const id of idsIn(target.expression)) expect(ids).toContain(id);
    }
  }
}

describe('the Grafana export', () => {
  it('writes a dashboard JSON with the schema version, a uid, the environment in the title and a time range', () => {
    const json = toGrafanaDashboard(overview, { region });
    expect(json).toMatchObject({
      uid: 'MAIF-System-Overview-prod',
      title: 'MAIF System Overview (prod)',
      schemaVersion: GRAFANA_SCHEMA_VERSION,
      tags: ['maif-observability', 'prod'],
      time: { from: 'now-3h', to: 'now' },
      refresh: '',
    });
    expect(json.panels.map((p) => [p.type, p.title, p.gridPos])).toEqual([
      ['timeseries', 'Request Rate', { x: 0, y: 0, w: 12, h: 6 }],
      ['timeseries', 'Response Time', { x: 12, y: 0, w: 12, h: 6 }],
      ['stat', 'Error Rate', { x: 0, y: 6, w: 6, h: 6 }],
      ['stat', 'Active Users', { x: 6, y: 6, w: 6, h: 6 }],
    ]);
  });

  it('asks for the CloudWatch data source through a variable, or uses the uid given', () => {
    const variable = toGrafanaDashboard(overview, { region });
    expect(variable.templating.list).toEqual([
      expect.objectContaining({ name: 'datasource', type: 'datasource', query: 'cloudwatch' }),
    ]);
    expect(variable.panels[0].datasource).toEqual({ type: 'cloudwatch', uid: DATASOURCE });
    const fixed = toGrafanaDashboard(overview, { region, datasourceUid: 'cw-prod' });
    expect(fixed.templating.list).toEqual([]);
    for (const p of fixed.panels) {
      expect(p.datasource).toEqual({ type: 'cloudwatch', uid: 'cw-prod' });
      for (const t of p.targets) expect(t.datasource).toEqual({ type: 'cloudwatch', uid: 'cw-prod' });
    }
  });

  it('writes a metric as a builder query and metric math as a code query over hidden inputs', () => {
    const [rate, latency] = toGrafanaDashboard(overview, { region }).panels;
    expect(rate.targets).toEqual([
      {
        refId: 'A',
        datasource: { type: 'cloudwatch', uid: DATASOURCE },
        queryMode: 'Metrics',
        metricQueryType: 0,
        metricEditorMode: 0,
        region,
        id: 'm1',
        namespace: 'MAIF',
        metricName: 'http_requests_total',
        dimensions: { service: 'maif', environment: 'prod' },
        statistic: 'Sum',
        period: '300',
        expression: '',
        matchExact: true,
        label: '',
        hide: true,
      },
      {
        refId: 'B',
        datasource: { type: 'cloudwatch', uid: DATASOURCE },
        queryMode: 'Metrics',
        metricQueryType: 0,
        metricEditorMode: 1,
        region,
        id: 'e1',
        namespace: '',
        metricName: '',
        dimensions: {},
        statistic: '',
        period: '300',
        expression: 'm1 / PERIOD(m1)',
        matchExact: true,
        label: 'Requests/sec',
        hide: false,
      },
    ]);
    expect(latency.targets.map((t) => [t.statistic, t.label, t.hide])).toEqual([
      ['p95', '95th percentile', false],
      ['p50', '50th percentile', false],
    ]);
  });

  it('keeps every expression reference inside its panel, with unique refIds and ids', () => {
    for (const d of [overview, application, realtime]) checkReferences(toGrafanaDashboard(d, { region }));
  });

  it('refreshes the real-time dashboard at the update interval over the retention window, at 10 s', () => {
    const json = toGrafanaDashboard(realtime, { region });
    expect(json.refresh).toBe('5s');
    expect(json.time).toEqual({ from: 'now-1h', to: 'now' });
    expect(json.tags).toContain('real-time');
    for (const p of json.panels) for (const t of p.targets) expect(t.period).toBe('10');
  });

  it('maps gauge, table and text panels to their Grafana types', () => {
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
    const json = toGrafanaDashboard(compileDashboards(config)[0], { region });
    expect(json.panels.map((p) => p.type)).toEqual(['text', 'gauge', 'table']);
    expect(json.panels[0].options).toEqual({ mode: 'markdown', content: '## About' });
    expect(json.panels[1].fieldConfig.defaults).toEqual({ min: 0, max: 100 });
  });

  it('rejects a region that is not one', () => {
    expect(() => toGrafanaDashboard(overview, { region: 'paris' })).toThrow(
      "region: 'paris' is not an AWS region (e.g. eu-west-1)",
    );
  });

  it('derives uids of at most 40 characters that stay distinct', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[A-Za-z0-9_-]{1,255}$/), fc.stringMatching(/^[A-Za-z0-9_-]{1,255}$/), (a, b) => {
        const ua = grafanaUid(a);
        expect(ua.length).toBeLessThanOrEqual(MAX_GRAFANA_UID_LENGTH);
        expect(ua).toMatch(/^[A-Za-z0-9_-]+$/);
        if (a !== b) expect(ua).not.toBe(grafanaUid(b));
      }),
    );
  });

  it('writes JSON whose expressions only refer to queries of their panel, for any translatable targets', () => {
    const counter = fc.constantFrom(
      'http_requests_total',
      'cache_hits',
      'search_queries_total',
      'artifacts_created_total',
    );
    const leaf = fc.oneof(
      counter.map((m) => `rate(${m}[5m])`),
      counter,
      fc.constantFrom('active_users', 'memory_usage', 'max(disk_usage)', 'sum(network_connections)'),
      fc
        .constantFrom('0.5', '0.95', '0.99')
        .map((q) => `histogram_quantile(${q}, http_request_duration_seconds_bucket)`),
      fc.constantFrom("rate(http_requests_total{status=~'5..'}[5m])", 'http_requests_total{operation=~"a|b"}'),
      fc.integer({ min: 1, max: 1000 }).map(String),
    );
    const { expr } = fc.letrec<{ expr: string }>((tie) => ({
      expr: fc.oneof(
        { depthSize: 'small' },
        leaf,
        fc
          .tuple(tie('expr'), fc.constantFrom('+', '-', '*', '/'), tie('expr'))
          .map(([a, op, b]) => `(${a}) ${op} (${b})`),
      ),
    }));
    const target = expr.filter((e) => /[a-z]/.test(e)).map((e) => ({ expr: e }));
    fc.assert(
      fc.property(fc.array(target, { minLength: 1, maxLength: 4 }), (targets) => {
        const config = {
          ...prod,
          realtime: { ...prod.realtime, metrics: [] },
          dashboards: [{ title: 'Random', panels: [{ title: 'P', type: 'graph', targets }] }],
        } as ResolvedConfig;
        const json = toGrafanaDashboard(compileDashboards(config)[0], { region });
        checkReferences(json);
        expect(JSON.parse(JSON.stringify(json))).toEqual(json);
      }),
      { numRuns: 200 },
    );
  });
});
