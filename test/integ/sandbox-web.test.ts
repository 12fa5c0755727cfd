/**
 * The sandbox's web server over real parts: a MetricStore fed with the kit's EMF, the example
 * configuration's dashboards, and the real ack API handler over an AlertStore on dynalite.
 * Requests go over loopback HTTP with fetch (node:http where fetch cannot set the header).
 */
import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { dirname, join } from 'node:path';
import { loadConfig } from '../../domain/config/load';
import type { Alert } from '../../domain/contracts/alert';
import type { Matcher, Silence } from '../../domain/contracts/alert-state';
import { compileDashboards } from '../../domain/dashboards/model';
import { ingestEmf, MetricStore } from '../../domain/evaluator/store';
import { createHandler } from '../../lambdas/ack-api';
import type { FunctionUrlEvent } from '../../lambdas/ack-api/http';
import { AlertStore } from '../../lambdas/shared/alert-store';
import { serializeEmf } from '../../layers/instrumentation/metrics/emf';
import type { JournalEntry, SandboxView, TraceSummary } from '../../sandbox/types';
import { SANDBOX_CALLER_ARN } from '../../sandbox/web/ack-forward';
import { PortInUseError, startWebServer, type WebServer } from '../../sandbox/web/server';
import type { Snapshot } from '../../sandbox/web/snapshot';
import { type Dynalite, startDynalite } from '../private/dynalite';

const NOW = Date.parse('2026-03-01T12:30:00Z');
const START = NOW - 30 * 60_000;
const MIN = 60_000;
const ALERTS = [alert('high_latency', { team: 'platform' }), alert('error_rate', { team: 'search' })];

let dynalite: Dynalite;
let store: AlertStore;
let server: WebServer;
let view: SandboxView;
/** Every event the ack API handler received. */
const forwarded: FunctionUrlEvent[] = [];

function alert(name: string, labels: Record<string, string>): Alert {
  return {
    fingerprint: `fp-${name}`,
    alertName: name,
    status: 'firing',
    severity: 'critical',
    labels: { service: 'maif', ...labels },
    annotations: { summary: `${name} is high` },
    startsAt: new Date(NOW - 5 * MIN).toISOString(),
    source: 'cloudwatch',
    eventId: `ev-${name}`,
  };
}

function metricStore(): MetricStore {
  const metrics = new MetricStore();
  for (let t = START; t < NOW; t += MIN) {
    const dims = { service: 'maif', environment: 'dev', operation: 'get' };
    const lines = serializeEmf(
      'MAIF',
      [
        { name: 'http_requests_total', dimensions: { ...dims, status_class: '2xx' }, unit: 'Count', value: 60 },
        { name: 'http_requests_total', dimensions: { ...dims, status_class: '5xx' }, unit: 'Count', value: 6 },
      ],
      { timestamp: t + 1000, rollup: ['service', 'environment'] },
    );
    for (const line of lines) metrics.add(...ingestEmf(line));
  }
  return metrics;
}

function trace(i: number): TraceSummary {
  return {
    traceId: `1-${i.toString(16).padStart(8, '0')}-000000000000000000000000`,
    name: 'maif-search',
    startTime: NOW / 1000 - 60 + i,
    durationMs: 120,
    error: false,
    fault: i % 7 === 0,
    annotations: {},
    segments: [{ id: `s${i}`, name: 'maif-search', startTime: NOW / 1000 - 60 + i, endTime: NOW / 1000 - 59.88 + i }],
  };
}

function sandboxView(overrides: Partial<SandboxView> = {}): SandboxView {
  const journal: JournalEntry[] = [
    { kind: 'phase', at: START, phase: 'warmup', description: 'steady traffic' },
    {
      kind: 'routed',
      at: NOW - 5 * MIN,
      alertName: 'high_latency',
      fingerprint: 'fp-high_latency',
      outcome: 'escalation started',
      episode: 1,
      source: 'cloudwatch',
    },
  ];
  const handler = createHandler({}, { mode: 'iam', store, now: () => new Date(NOW) });
  return {
    service: 'maif',
    environment: 'dev',
    scenario: { name: 'latency-spike', description: 'a latency spike', durationMs: 60 * MIN },
    clock: { simStartMs: START, realStartMs: Date.now(), speed: 60 },
    now: () => NOW,
    phase: () => 'spike',
    finished: () => false,
    stats: () => ({
      invocations: 1800,
      invocationErrors: 12,
      serverErrors: 40,
      coldStarts: 3,
      logEvents: 4000,
      emfDocuments: 1800,
      aggregatorBatches: 90,
      deadLettered: 0,
      segments: 3600,
      alarmsInAlarm: 1,
      notifications: 2,
    }),
    journal: () => journal,
    traces: () => Array.from({ length: 35 }, (_, i) => trace(i)),
    alarms: () => [{ alarm: 'maif-dev-high_latency', rule: 'high_latency', severity: 'critical', state: 'ALARM' }],
    alerts: () => new Map(ALERTS.map((a) => [a.fingerprint, a])),
    recentLogs: () => Array.from({ length: 60 }, (_, i) => `{"level":"INFO","n":${i}}`),
    dashboards: compileDashboards(loadConfig('observability.config.ts', 'dev', process.cwd())),
    metrics: metricStore(),
    ackApi: (event) => {
      forwarded.push(event);
      return handler(event);
    },
    ...overrides,
  };
}

beforeAll(async () => {
  dynalite = await startDynalite('sandbox-web');
  store = new AlertStore({ client: dynalite.client, tableName: dynalite.tableName, now: () => NOW });
  for (const a of ALERTS) await store.upsertFiring(a);
  view = sandboxView();
  server = await startWebServer(view, { port: 0 });
});

afterAll(async () => {
  await server?.stop();
  await dynalite?.stop();
});

const url = (path: string) => new URL(path, server.url).toString();

async function post(path: string, body: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(url(path), {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** A raw request, for what fetch will not send as given (a Host header, a chunked body). */
function rawRequest(
  path: string,
  headers: Record<string, string>,
  options: { method?: string; chunks?: readonly string[] } = {},
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port: server.port, path, headers, method: options.method }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    for (const chunk of options.chunks ?? []) req.write(chunk);
    req.end();
  });
}

describe('sandbox web server: snapshot', () => {
  let snap: Snapshot;
  beforeAll(async () => {
    const response = await fetch(url('/api/snapshot'));
    expect(response.status).toBe(200);
    snap = (await response.json()) as Snapshot;
  });

  it('serves the sandbox state', () => {
    expect(snap).toMatchObject({
      service: 'maif',
      environment: 'dev',
      scenario: { name: 'latency-spike' },
      now: NOW,
      phase: 'spike',
      finished: false,
      stats: { invocations: 1800 },
      alarms: [{ alarm: 'maif-dev-high_latency', state: 'ALARM' }],
    });
    expect(snap.journal).toHaveLength(2);
  });

  it('gives the dashboards with points from the metric store', () => {
    expect(snap.dashboards.map((d) => d.title)).toEqual([
      'MAIF System Overview',
      'MAIF Application Performance',
      'maif real-time',
    ]);
    const overview = snap.dashboards[0];
    const rate = overview.panels.find((p) => p.title === 'Request Rate')!;
    expect(rate.series[0].points).toHaveLength(12);
    // 66 requests a minute: 330 per complete 5-minute period, over 300 s.
    expect(rate.series[0].points.filter(([, v]) => v !== null).map(([, v]) => v)).toEqual(new Array(6).fill(1.1));
    const errorRate = overview.panels.find((p) => p.title === 'Error Rate')!;
    expect(errorRate.latest[0]).toBeCloseTo(6 / 66, 12);
  });

  it('keeps the last 30 traces and the last 50 log lines', () => {
    expect(snap.traces).toHaveLength(30);
    expect(snap.traces.at(-1)?.traceId).toBe(trace(34).traceId);
    expect(snap.logs).toHaveLength(50);
    expect(snap.logs.at(-1)).toBe('{"level":"INFO","n":59}');
  });

  it('answers 500 with the reason when the sandbox fails, and keeps serving', async () => {
    const failing = await startWebServer(
      sandboxView({
        stats: () => {
          throw new Error('stats are gone');
        },
      }),
      { port: 0 },
    );
    try {
      const response = await fetch(new URL('/api/snapshot', failing.url));
      expect(response.status).toBe(500);
      expect(await response.json()).toEqual({ error: 'internal error: stats are gone' });
      expect((await fetch(failing.url)).status).toBe(200);
    } finally {
      await failing.stop();
    }
  });
});

describe('sandbox web server: silences matched to alerts', () => {
  const silence = (id: string, labelMatchers: Matcher[]): JournalEntry => ({
    kind: 'silence',
    at: NOW,
    id,
    matchers: labelMatchers.map((m) => `${m.name}=${JSON.stringify(m.value)}`).join(', '),
    labelMatchers,
    by: SANDBOX_CALLER_ARN,
    endsAt: new Date(NOW + 60 * MIN).toISOString(),
  });
  let silenced: Snapshot['silences'];
  beforeAll(async () => {
    const journal = [
      // what the page's Silence 1h button sends: the alert's name and every label
      silence('from-page', [
        { name: 'alertname', value: 'error_rate' },
        { name: 'service', value: 'maif' },
        { name: 'team', value: 'search' },
      ]),
      silence('regex', [{ name: 'alertname', value: 'error_.*', isRegex: true }]),
      silence('literal', [{ name: 'alertname', value: 'error_.*' }]),
      silence('not-regex', [{ name: 'team', value: 'plat.*', isRegex: true, isEqual: false }]),
      silence('severity', [{ name: 'severity', value: 'critical' }]),
    ];
    const web = await startWebServer(sandboxView({ journal: () => journal }), { port: 0 });
    try {
      silenced = ((await (await fetch(new URL('/api/snapshot', web.url))).json()) as Snapshot).silences;
    } finally {
      await web.stop();
    }
  });

  it('marks an alert with a silence made from the page, and no other alert', () => {
    expect(silenced['fp-error_rate']).toContain('from-page');
    expect(silenced['fp-high_latency']).not.toContain('from-page');
  });

  it('matches a regex matcher against the whole value, and a value without isRegex literally', () => {
    expect(silenced['fp-error_rate']).toEqual(expect.arrayContaining(['regex', 'not-regex']));
    expect(silenced['fp-error_rate']).not.toContain('literal');
    expect(silenced['fp-high_latency']).not.toContain('regex');
    expect(silenced['fp-high_latency']).not.toContain('not-regex');
  });

  it('matches on the severity as the router does', () => {
    expect(silenced).toEqual({
      'fp-error_rate': ['from-page', 'regex', 'not-regex', 'severity'],
      'fp-high_latency': ['severity'],
    });
  });

  it('marks nothing while no silence was made', async () => {
    const response = await fetch(url('/api/snapshot'));
    expect(((await response.json()) as Snapshot).silences).toEqual({});
  });
});

describe('sandbox web server: alerts through the ack API', () => {
  it('lists the firing alerts', async () => {
    const response = await fetch(url('/api/alerts'));
    const body = (await response.json()) as { alerts: { fingerprint: string; status: string }[] };

    expect(response.status).toBe(200);
    expect(body.alerts.map((a) => [a.fingerprint, a.status]).sort()).toEqual([
      ['fp-error_rate', 'firing'],
      ['fp-high_latency', 'firing'],
    ]);
  });

  it('forwards the request as an IAM-signed Function URL event', async () => {
    await fetch(url('/api/alerts?status=firing'), { headers: { 'x-test': 'yes' } });
    const event = forwarded.at(-1)!;
    expect(event).toMatchObject({
      rawPath: '/alerts',
      rawQueryString: 'status=firing',
      headers: { 'x-test': 'yes' },
      requestContext: { http: { method: 'GET' }, authorizer: { iam: { userArn: SANDBOX_CALLER_ARN } } },
    });
  });

  it('refuses a POST from another origin and leaves the alert firing', async () => {
    const response = await post('/api/alerts/fp-high_latency/ack', {}, { origin: 'http://evil.example' });

    expect(response.status).toBe(403);
    expect(response.body.error).toBe(
      `origin 'http://evil.example' is not allowed to POST here (only http://127.0.0.1:${server.port})`,
    );
    expect((await store.getAlert('fp-high_latency'))?.status).toBe('firing');
  });

  it('acknowledges an alert from the page’s own origin', async () => {
    const response = await post(
      '/api/alerts/fp-high_latency/ack',
      { comment: 'on it' },
      { origin: `http://127.0.0.1:${server.port}` },
    );

    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ acknowledged: true, fingerprint: 'fp-high_latency', by: SANDBOX_CALLER_ARN });
    expect(await store.getAlert('fp-high_latency')).toMatchObject({ status: 'acked', ackedBy: SANDBOX_CALLER_ARN });
  });

  it('passes the ack API’s answer on as is', async () => {
    const response = await post('/api/alerts/fp-high_latency/ack', {});
    expect(response).toEqual({
      status: 409,
      body: { acknowledged: false, fingerprint: 'fp-high_latency', status: 'acked' },
    });

    const missing = await post('/api/alerts/fp-nope/ack', {});
    expect(missing).toEqual({ status: 404, body: { error: "alert 'fp-nope' does not exist" } });
  });

  it('creates, lists and deletes a silence', async () => {
    const created = await post('/api/silences', {
      matchers: [
        { name: 'alertname', value: 'error_rate' },
        { name: 'team', value: 'search' },
      ],
      endsAt: new Date(NOW + 60 * MIN).toISOString(),
      comment: 'Silenced for 1h from the sandbox page',
    });
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    expect(created.body).toMatchObject({ createdBy: SANDBOX_CALLER_ARN, startsAt: new Date(NOW).toISOString() });

    const listed = (await (await fetch(url('/api/silences'))).json()) as { silences: Silence[] };
    expect(listed.silences.map((s) => s.id)).toContain(id);

    const deleted = await fetch(url(`/api/silences/${id}`), { method: 'DELETE' });
    expect(deleted.status).toBe(200);
    expect(await deleted.json()).toEqual({ deleted: id });
    const after = (await (await fetch(url('/api/silences'))).json()) as { silences: Silence[] };
    expect(after.silences.map((s) => s.id)).not.toContain(id);
  });

  it('refuses a DELETE from another origin', async () => {
    const response = await fetch(url('/api/silences/some-id'), {
      method: 'DELETE',
      headers: { origin: 'https://evil.example' },
    });
    expect(response.status).toBe(403);
  });

  it('gives the ack API’s validation message for a bad silence', async () => {
    const response = await post('/api/silences', {
      matchers: [],
      endsAt: new Date(NOW + MIN).toISOString(),
      comment: 'x',
    });
    expect(response).toEqual({ status: 400, body: { error: 'matchers: [] is not a list of 1 to 20 matchers' } });
  });

  it('refuses a streamed body once it passes 16 KB', async () => {
    const response = await rawRequest(
      '/api/silences',
      { 'content-type': 'application/json' },
      { method: 'POST', chunks: Array.from({ length: 20 }, () => 'x'.repeat(1024)) },
    );
    expect(response.status).toBe(413);
    expect(JSON.parse(response.body)).toEqual({ error: 'body: over the 16384 bytes allowed' });
  });

  it('refuses a body over 16 KB with 413', async () => {
    const response = await post('/api/silences', { comment: 'x'.repeat(17 * 1024) });
    expect(response.status).toBe(413);
    expect(response.body.error).toMatch(/^body: \d+ bytes is over the 16384 allowed$/);
  });
});

describe('sandbox web server: page, assets and errors', () => {
  it('serves the page with a strict content security policy', async () => {
    const response = await fetch(server.url);
    const html = await response.text();
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(response.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(html).toContain('<script src="/assets/uPlot.iife.min.js"></script>');
    expect(html).toContain('<script src="/assets/app.js"></script>');
  });

  it.each([
    ['/assets/uPlot.iife.min.js', 'uPlot.iife.min.js', 'text/javascript; charset=utf-8'],
    ['/assets/uPlot.min.css', 'uPlot.min.css', 'text/css; charset=utf-8'],
  ])('serves uPlot from node_modules: %s', async (path, file, type) => {
    const response = await fetch(url(path));
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe(type);
    const expected = readFileSync(join(dirname(require.resolve('uplot/package.json')), 'dist', file), 'utf8');
    expect(await response.text()).toBe(expected);
  });

  it.each(['/assets/app.js', '/assets/style.css'])('serves the page asset %s', async (path) => {
    expect((await fetch(url(path))).status).toBe(200);
  });

  it.each(['/assets/../package.json', '/assets/%2e%2e/package.json', '/api/maintenance', '/nope'])(
    'answers 404 JSON for %s',
    async (path) => {
      const response = await rawRequest(path, {});
      expect(response.status).toBe(404);
      expect(JSON.parse(response.body).error).toMatch(
        /is not a route \(GET \/, GET \/assets\/\*, GET \/api\/snapshot, /,
      );
    },
  );

  it('refuses a request naming another host (DNS rebinding)', async () => {
    const response = await rawRequest('/api/snapshot', { host: `evil.example:${server.port}` });
    expect(response.status).toBe(403);
    expect(JSON.parse(response.body).error).toBe(
      `host 'evil.example:${server.port}' is not this server (open http://127.0.0.1:${server.port}/)`,
    );
  });

  it('accepts localhost as this server', async () => {
    expect((await rawRequest('/api/snapshot', { host: `localhost:${server.port}` })).status).toBe(200);
  });

  it('throws PortInUseError when the port is taken', async () => {
    const second = startWebServer(view, { port: server.port });
    await expect(second).rejects.toBeInstanceOf(PortInUseError);
    await expect(second).rejects.toThrow(
      `port ${server.port} is in use on 127.0.0.1: pass --port <free port> (or --port 0 for any) or stop what is using it`,
    );
  });

  it.each([
    [-1, 'port: -1 is not allowed (use 0 to 65535; 0 picks a free port)'],
    [1.5, 'port: 1.5 is not allowed (use 0 to 65535; 0 picks a free port)'],
  ])('rejects port %s', async (port, message) => {
    await expect(startWebServer(view, { port })).rejects.toThrow(message);
  });
});
