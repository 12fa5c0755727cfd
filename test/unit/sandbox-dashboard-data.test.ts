/**
 * The sandbox's dashboard data: the example configuration's dashboards, compiled as the stack
 * compiles them, evaluated over a MetricStore fed with the kit's own EMF lines.
 */
import fc from 'fast-check';
import { loadConfig } from '../../domain/config/load';
import { type CompiledDashboard, compileDashboards, type DashboardsConfig } from '../../domain/dashboards/model';
import { ingestEmf, MetricStore } from '../../domain/evaluator/store';
import { type EmfSeries, serializeEmf } from '../../layers/instrumentation/metrics/emf';
import { type DashboardData, dashboardData, type PanelData, parseSearch } from '../../sandbox/dashboard-data';

const MIN = 60_000;
/** A 5-minute boundary, so periods start at T0, T0 + 5 min, ... */
const T0 = Date.parse('2026-03-01T12:00:00Z');
const END = T0 + 15 * MIN;
const RANGE = 15 * MIN;
const BASE = { service: 'maif', environment: 'dev' } as const;

function emit(store: MetricStore, at: number, series: readonly EmfSeries[]): void {
  for (const line of serializeEmf('MAIF', series, { timestamp: at, rollup: ['service', 'environment'] })) {
    store.add(...ingestEmf(line));
  }
}

function requests(operation: string, statusClass: string, count: number): EmfSeries {
  return {
    name: 'http_requests_total',
    dimensions: { ...BASE, operation, status_class: statusClass },
    unit: 'Count',
    value: count,
  };
}

function durations(operation: string, values: number[], counts: number[]): EmfSeries {
  const sum = values.reduce((s, v, i) => s + v * counts[i], 0);
  const count = counts.reduce((a, b) => a + b, 0);
  return {
    name: 'http_request_duration_seconds',
    dimensions: { ...BASE, operation },
    unit: 'Seconds',
    value: { values, counts, sum, count, min: values[0], max: values.at(-1)! },
  };
}

/**
 * Period 0 (T0): 600 2xx + 60 4xx + 60 5xx requests, latencies 90 x 0.1 s, 5 x 0.5 s, 5 x 2 s.
 * Period 1 (T0 + 5 min): 300 2xx, no error, 10 x 0.2 s. Period 2: nothing.
 */
function exampleStore(): MetricStore {
  const store = new MetricStore();
  emit(store, T0 + 10_000, [
    requests('get', '2xx', 400),
    requests('get', '5xx', 30),
    requests('put', '4xx', 60),
    durations('get', [0.1], [90]),
    { name: 'active_users', dimensions: BASE, unit: 'Count', value: 10 },
  ]);
  emit(store, T0 + 200_000, [
    requests('get', '2xx', 200),
    requests('put', '5xx', 30),
    durations('put', [0.5, 2], [5, 5]),
    { name: 'active_users', dimensions: BASE, unit: 'Count', value: 20 },
  ]);
  emit(store, T0 + 5 * MIN + 1000, [requests('get', '2xx', 300), durations('get', [0.2], [10])]);
  return store;
}

const config = loadConfig('observability.config.ts', 'dev', process.cwd());
const compiled = compileDashboards(config);

function panel(data: readonly DashboardData[], dashboard: string, title: string): PanelData {
  const found = data.find((d) => d.title === dashboard)?.panels.find((p) => p.title === title);
  if (!found) throw new Error(`no panel '${title}' on '${dashboard}'`);
  return found;
}

const values = (p: PanelData, i = 0) => p.series[i].points.map(([, v]) => v);
const OVERVIEW = 'MAIF System Overview';

describe('dashboardData over the example configuration', () => {
  const data = dashboardData(compiled, exampleStore(), END, RANGE);

  it('gives every dashboard of the configuration, with its period', () => {
    expect(data.map((d) => [d.name, d.periodSeconds])).toEqual(compiled.map((d) => [d.name, d.period]));
    expect(data.find((d) => d.title === 'maif real-time')?.periodSeconds).toBe(10);
  });

  it('puts one point per 5-minute period, at the period start', () => {
    const p = panel(data, OVERVIEW, 'Request Rate');
    expect(p.series[0].points.map(([t]) => t)).toEqual([T0, T0 + 5 * MIN, T0 + 10 * MIN]);
  });

  it('computes rate() as the period sum over the period length', () => {
    const p = panel(data, OVERVIEW, 'Request Rate');
    expect(p.series[0].label).toBe('Requests/sec');
    expect(values(p)).toEqual([720 / 300, 300 / 300, null]);
    expect(p.latest).toEqual([1]);
    expect(p.error).toBeUndefined();
  });

  it('computes histogram_quantile() as the percentile of the merged distributions', () => {
    const p = panel(data, OVERVIEW, 'Response Time');
    expect(p.series.map((s) => s.label)).toEqual(['95th percentile', '50th percentile']);
    expect(values(p, 0)).toEqual([0.5, 0.2, null]);
    expect(values(p, 1)).toEqual([0.1, 0.2, null]);
  });

  it('computes the error-rate ratio from the 5xx series only, with no point where there were no 5xx', () => {
    const p = panel(data, OVERVIEW, 'Error Rate');
    expect(p.type).toBe('singlestat');
    expect(values(p)[0]).toBeCloseTo(60 / 720, 12);
    expect(values(p).slice(1)).toEqual([null, null]);
    expect(p.latest[0]).toBeCloseTo(60 / 720, 12);
  });

  it('averages a gauge over the period', () => {
    expect(panel(data, OVERVIEW, 'Active Users').latest).toEqual([15]);
  });

  it('keeps the layout of the compiled panels', () => {
    const p = panel(data, OVERVIEW, 'Error Rate');
    const c = compiled[0].panels.find((x) => x.title === 'Error Rate')!;
    expect([p.x, p.y, p.width, p.height]).toEqual([c.x, c.y, c.width, c.height]);
  });

  it('runs the real-time dashboard on 10-second periods', () => {
    const p = panel(data, 'maif real-time', 'Requests per second');
    const points = p.series[0].points;
    expect(points).toHaveLength(RANGE / 10_000);
    expect(points.find(([t]) => t === T0 + 10_000)?.[1]).toBe((400 + 30 + 60) / 10);
    expect(points.filter(([, v]) => v !== null)).toHaveLength(3);
  });

  it('defaults the range to the dashboard’s own', () => {
    const all = dashboardData(compiled, exampleStore(), END);
    expect(panel(all, OVERVIEW, 'Request Rate').series[0].points).toHaveLength(compiled[0].rangeSeconds / 300);
  });
});

describe('dashboardData with label filters (SEARCH)', () => {
  function dashboardOf(exprs: string[]): CompiledDashboard[] {
    const cfg: DashboardsConfig = {
      service: 'maif',
      namespace: 'MAIF',
      environment: 'dev',
      dashboards: [
        { title: 'Filters', panels: [{ title: 'p', type: 'graph', targets: exprs.map((expr) => ({ expr })) }] },
      ],
    };
    return compileDashboards(cfg);
  }

  it('sums the alternatives of a regex and leaves out a negated value', () => {
    const d = dashboardOf([
      "sum(rate(http_requests_total{status_class=~'4xx|5xx'}[5m]))",
      "increase(http_requests_total{status_class!='2xx'}[5m])",
      "increase(http_requests_total{status_class='5xx', operation='put'}[5m])",
    ]);
    const p = dashboardData(d, exampleStore(), END, RANGE)[0].panels[0];
    expect(p.error).toBeUndefined();
    expect(values(p, 0)).toEqual([120 / 300, null, null]);
    expect(values(p, 1)).toEqual([120, null, null]);
    expect(values(p, 2)).toEqual([30, null, null]);
  });

  it('sums any set of label values to the total written for them', () => {
    const classes = ['1xx', '2xx', '3xx', '4xx', '5xx'];
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(fc.constantFrom(...classes), fc.constantFrom('get', 'put'), fc.integer({ min: 1, max: 99 })),
          {
            maxLength: 12,
          },
        ),
        fc.subarray(classes, { minLength: 1 }),
        (writes, picked) => {
          const store = new MetricStore();
          writes.forEach(([cls, op, n], i) => {
            emit(store, T0 + i * 1000, [requests(op, cls, n)]);
          });
          const d = dashboardOf([`increase(http_requests_total{status_class=~'${picked.join('|')}'}[5m])`]);
          const got = dashboardData(d, store, T0 + 5 * MIN, 5 * MIN)[0].panels[0].series[0].points[0][1];
          const expected = writes.filter(([cls]) => picked.includes(cls)).reduce((s, [, , n]) => s + n, 0);
          expect(got).toBe(expected > 0 ? expected : null);
        },
      ),
    );
  });
});

describe('dashboardData on queries it cannot evaluate', () => {
  const broken: CompiledDashboard = {
    ...compiled[0],
    panels: [
      {
        title: 'Mixed',
        type: 'graph',
        x: 0,
        y: 0,
        width: 12,
        height: 6,
        queries: [
          { ...compiled[0].panels[0].queries[0], label: 'ok' },
          { ...compiled[0].panels[0].queries[0], label: 'bad', expression: 'm1 / LOG(m1)' },
          {
            ...compiled[0].panels[0].queries[0],
            label: 'stat',
            expression: undefined,
            id: 'm1',
            metrics: [{ ...compiled[0].panels[0].queries[0].metrics[0], stat: 'tm90' }],
          },
        ],
      },
    ],
  };

  it('gives the panel an error naming the query and keeps the other series', () => {
    const p = dashboardData([broken], exampleStore(), END, RANGE)[0].panels[0];
    expect(values(p, 0)).toEqual([720 / 300, 1, null]);
    expect(p.series[1]).toEqual({ label: 'bad', points: [] });
    expect(p.latest).toEqual([1, null, null]);
    expect(p.error).toMatch(/^bad: metric math 'm1 \/ LOG\(m1\)': at 5 expected a function of the subset/);
    expect(p.error).toMatch(/stat: statistic 'tm90' is not supported by the evaluator/);
  });
});

describe('parseSearch', () => {
  it('reads the schema, the metric name and the terms', () => {
    const s = parseSearch('{"My NS",service,op} MetricName="x" service="maif" (op="a" OR op="b") NOT service="other"');
    expect([s.namespace, s.dimensions, s.metricName]).toEqual(['My NS', ['service', 'op'], 'x']);
    const dims = [
      { service: 'maif', op: 'a' },
      { service: 'maif', op: 'b' },
      { service: 'maif', op: 'c' },
      { service: 'other', op: 'a' },
    ];
    expect(dims.map((d) => s.matches(d))).toEqual([true, true, false, false]);
  });

  it.each([
    ['{MAIF,service} service="maif"', /needs exactly one MetricName="..." term \(found 0\)/],
    ['{MAIF,service} MetricName="x" service=maif', /expected a quoted value, found 'maif'/],
    ['MAIF MetricName="x"', /expected '\{', found 'MAIF'/],
    ['{MAIF} MetricName="x" OR MetricName="y"', /expected no OR outside parentheses/],
    ["{MAIF} MetricName='x'", /unexpected '''/],
  ])('rejects %s', (query, message) => {
    expect(() => parseSearch(query)).toThrow(message);
  });

  it('matches exactly the values named', () => {
    const s = parseSearch('{MAIF,a,b} MetricName="x" (a="1" OR a="2") NOT b="z"');
    expect(s.matches({ a: '1', b: 'y' })).toBe(true);
    expect(s.matches({ a: '2', b: 'y' })).toBe(true);
    expect(s.matches({ a: '3', b: 'y' })).toBe(false);
    expect(s.matches({ a: '1', b: 'z' })).toBe(false);
  });
});
