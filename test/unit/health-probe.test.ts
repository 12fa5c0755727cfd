import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { createHandler } from '../../lambdas/health-probe';
import { type FetchLike, type ProbeDeps, type ProbeTarget, probe } from '../../lambdas/health-probe/probe';

type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void;

async function listen(handler: Handler): Promise<{ server: Server; base: string }> {
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => {
      body += chunk;
    });
    req.on('end', () => handler(req, res, body));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

async function close(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

/** A stand-in for the Lambda Invoke API: records each call, answers by function name. */
const invocations: { name: string; payload: string }[] = [];
const lambdaApi: Handler = (req, res, body) => {
  const m = /^\/2015-03-31\/functions\/([^/]+)\/invocations/.exec(req.url ?? '');
  if (req.method !== 'POST' || !m) {
    res.writeHead(404).end();
    return;
  }
  const name = decodeURIComponent(m[1] ?? '');
  invocations.push({ name, payload: body });
  if (name === 'maif-broken') {
    res.writeHead(200, { 'Content-Type': 'application/json', 'X-Amz-Function-Error': 'Unhandled' });
    res.end(JSON.stringify({ errorType: 'Error', errorMessage: 'index unavailable' }));
    return;
  }
  res.writeHead(200, { 'Content-Type': 'application/json', 'X-Amz-Executed-Version': '$LATEST' });
  res.end(JSON.stringify({ ok: true }));
};

const site: Handler = (req, res) => {
  switch (req.url) {
    case '/health':
      res.writeHead(200, { 'Content-Type': 'text/plain' }).end('status: healthy');
      return;
    case '/error':
      res.writeHead(500).end('down');
      return;
    case '/moved':
      res.writeHead(302, { Location: 'http://127.0.0.1:1/elsewhere' }).end();
      return;
    case '/slow':
      return; // never answers: the probe's timeout ends it
    default:
      res.writeHead(404).end();
  }
};

let web: { server: Server; base: string };
let api: { server: Server; base: string };
let closedPort: number;
let deps: ProbeDeps;
let client: LambdaClient;

beforeAll(async () => {
  web = await listen(site);
  api = await listen(lambdaApi);
  const spare = await listen(site);
  closedPort = (spare.server.address() as AddressInfo).port;
  await close(spare.server);
  client = new LambdaClient({
    endpoint: api.base,
    region: 'eu-west-3',
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'not-a-secret' },
    maxAttempts: 1,
  });
  deps = { fetch: globalThis.fetch, lambdaClient: () => client };
});

afterAll(async () => {
  client.destroy();
  await close(web.server);
  await close(api.server);
});

beforeEach(() => {
  invocations.length = 0;
});

const https = (name: string, path: string, extra: Partial<ProbeTarget> = {}): ProbeTarget =>
  ({ name, type: 'https', url: `${web.base}${path}`, ...extra }) as ProbeTarget;

describe('an https probe', () => {
  it('reports up for a 200 answer with its latency', async () => {
    const result = await probe(https('api', '/health'), deps);

    expect(result).toEqual({ target: 'api', up: true, durationMs: expect.any(Number) });
    expect(result.durationMs).toBeGreaterThan(0);
  });

  it('reports down for a 500 answer and says which statuses were expected', async () => {
    const result = await probe(https('api', '/error'), deps);

    expect(result).toMatchObject({ target: 'api', up: false, error: 'status 500 is not 200-399' });
  });

  it('counts a redirect as up without following it', async () => {
    expect(await probe(https('api', '/moved'), deps)).toMatchObject({ up: true });
  });

  it('checks the status against expectStatus when given', async () => {
    expect(await probe(https('api', '/moved', { expectStatus: 200 }), deps)).toMatchObject({
      up: false,
      error: 'status 302 is not 200',
    });
    expect(await probe(https('api', '/error', { expectStatus: [500, 503] }), deps)).toMatchObject({ up: true });
  });

  it('checks that the body contains expectBody', async () => {
    expect(await probe(https('api', '/health', { expectBody: 'healthy' }), deps)).toMatchObject({ up: true });
    expect(await probe(https('api', '/health', { expectBody: 'degraded' }), deps)).toMatchObject({
      up: false,
      error: 'body does not contain "degraded"',
    });
  });

  it('reports down when the answer does not come within the timeout', async () => {
    const result = await probe(https('api', '/slow', { timeout: '200ms' }), deps);

    expect(result).toMatchObject({ up: false, error: 'timed out after 200 ms' });
  });

  it('reports down when the connection is refused', async () => {
    const target = { name: 'gone', type: 'https', url: `http://127.0.0.1:${closedPort}/health` } as const;

    const result = await probe(target, deps);

    expect(result.up).toBe(false);
    expect(result.error).toMatch(/ECONNREFUSED/);
  });
});

describe('a lambda probe', () => {
  it('reports up when the function answers without a function error, and sends the payload', async () => {
    const target = { name: 'search-fn', type: 'lambda', functionName: 'maif-search', payload: { ping: true } } as const;

    const result = await probe(target, deps);

    expect(result).toEqual({ target: 'search-fn', up: true, durationMs: expect.any(Number) });
    expect(invocations).toEqual([{ name: 'maif-search', payload: '{"ping":true}' }]);
  });

  it('reports down with the error message when the function fails', async () => {
    const target = { name: 'broken-fn', type: 'lambda', functionName: 'maif-broken' } as const;

    const result = await probe(target, deps);

    expect(result).toMatchObject({ up: false, error: 'function error Unhandled: index unavailable' });
    expect(invocations).toEqual([{ name: 'maif-broken', payload: '{}' }]);
  });
});

describe('the health probe handler', () => {
  interface EmfLine {
    _aws: { CloudWatchMetrics: { Namespace: string; Dimensions: string[][] }[] };
    [key: string]: unknown;
  }

  let stderr: jest.SpiedFunction<typeof process.stderr.write>;
  const warnings = () => stderr.mock.calls.map((call) => String(call[0]));

  beforeEach(() => {
    stderr = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
  });

  afterEach(() => {
    stderr.mockRestore();
  });

  function run(targets: readonly ProbeTarget[]) {
    const lines: string[] = [];
    const handler = createHandler(
      { targets },
      {
        fetch: globalThis.fetch as unknown as FetchLike,
        lambdaClient: client,
        metricsSink: (line) => lines.push(line),
        namespace: 'MAIF',
        service: 'maif',
        environment: 'test',
      },
    );
    return { handler, lines };
  }

  /** The value of `metric` for `target` in the EMF lines (the per-target series, not the rollup). */
  function emittedValue(lines: string[], metric: string, target: string): unknown {
    const docs = lines.map((l) => JSON.parse(l) as EmfLine);
    return docs.find((d) => d.target === target && metric in d)?.[metric];
  }

  it('probes every target and reports each, healthy or not, without throwing', async () => {
    const { handler } = run([
      https('api', '/health'),
      https('broken-api', '/error'),
      { name: 'gone', type: 'https', url: `http://127.0.0.1:${closedPort}/` },
      { name: 'search-fn', type: 'lambda', functionName: 'maif-search' },
      { name: 'broken-fn', type: 'lambda', functionName: 'maif-broken' },
    ]);

    const summary = await handler({});

    expect(summary.results.map((r) => [r.target, r.up])).toEqual([
      ['api', true],
      ['broken-api', false],
      ['gone', false],
      ['search-fn', true],
      ['broken-fn', false],
    ]);
    for (const r of summary.results) expect(r.up || typeof r.error === 'string').toBe(true);
    expect(warnings().join('')).toContain("target 'broken-fn' is down: function error Unhandled: index unavailable");
  });

  it('emits up and probe_duration_seconds per target as EMF in the namespace', async () => {
    const { handler, lines } = run([https('api', '/health'), https('broken-api', '/error')]);

    const summary = await handler();

    expect(lines).toHaveEmittedEMF('up', 'MAIF');
    expect(lines).toHaveEmittedEMF('probe_duration_seconds', 'MAIF');
    expect(emittedValue(lines, 'up', 'api')).toBe(1);
    expect(emittedValue(lines, 'up', 'broken-api')).toBe(0);
    expect(emittedValue(lines, 'probe_duration_seconds', 'api')).toBeCloseTo(summary.results[0]!.durationMs / 1000, 6);
    const dims = lines.flatMap((l) => (JSON.parse(l) as EmfLine)._aws.CloudWatchMetrics.flatMap((m) => m.Dimensions));
    expect(dims).toContainEqual(expect.arrayContaining(['service', 'environment', 'target']));
  });

  it('emits up 0 for a target that timed out', async () => {
    const { handler, lines } = run([https('slow-api', '/slow', { timeout: '100ms' })]);

    const { results } = await handler();

    expect(results[0]).toMatchObject({ up: false, error: 'timed out after 100 ms' });
    expect(emittedValue(lines, 'up', 'slow-api')).toBe(0);
  });

  it('still returns the results when the metrics sink fails', async () => {
    const handler = createHandler(
      { targets: [https('api', '/health')] },
      {
        metricsSink: () => {
          throw new Error('disk full');
        },
        namespace: 'MAIF',
        service: 'maif',
      },
    );

    const { results } = await handler();

    expect(results).toEqual([{ target: 'api', up: true, durationMs: expect.any(Number) }]);
    expect(warnings().join('')).toContain('disk full');
  });
});
