/**
 * Outside Lambda against a real UDP listener: a root span opens a segment sent whole with its
 * nested subsegments; captured fetch and AWS SDK v3 calls against loopback HTTP servers.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ListQueuesCommand, SQSClient } from '@aws-sdk/client-sqs';
import middy from '@middy/core';
import { instrument } from '../../layers/instrumentation/middleware';
import { parseXRayHeader } from '../../layers/instrumentation/tracer/formats';
import { Tracer } from '../../layers/instrumentation/tracer/tracer';
import { allDocuments, startXRayDaemon, type XRayDaemon } from '../private/xray-daemon';

interface Loopback {
  url: string;
  requests: Array<{ method?: string; url?: string; headers: IncomingHttpHeaders }>;
  close(): Promise<void>;
}

/** An HTTP server that records each request and answers with `reply(path)`. */
async function loopback(reply: (path: string) => { status: number; body: string; headers?: Record<string, string> }) {
  const requests: Loopback['requests'] = [];
  const server: Server = createServer((req, res) => {
    requests.push({ method: req.method, url: req.url, headers: req.headers });
    req.resume();
    req.on('end', () => {
      const { status, body, headers } = reply(req.url ?? '/');
      res.writeHead(status, { 'content-length': Buffer.byteLength(body), ...headers });
      res.end(body);
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise<void>((done) => server.close(() => done())),
  } satisfies Loopback;
}

describe('Tracer outside Lambda', () => {
  let daemon: XRayDaemon;
  let http: Loopback;
  const tracer = new Tracer({
    service: 'maif-search',
    environment: 'test',
    sampling: { default: 1, background_tasks: 0 },
    reservoir: 0,
    propagation: { formats: ['xray', 'w3c'] },
    env: {},
  });

  beforeAll(async () => {
    daemon = await startXRayDaemon();
    process.env.AWS_XRAY_DAEMON_ADDRESS = daemon.address;
    http = await loopback((path) =>
      path.startsWith('/fail')
        ? { status: 503, body: 'down' }
        : path.startsWith('/slow-down')
          ? { status: 429, body: '' }
          : { status: 200, body: '{"ok":true}', headers: { 'x-amzn-requestid': 'req-1' } },
    );
  });

  afterAll(async () => {
    delete process.env.AWS_XRAY_DAEMON_ADDRESS;
    await Promise.all([daemon.close(), http.close()]);
  });

  beforeEach(() => daemon.clear());

  it('sends one segment named after the service with nested subsegments, annotations, metadata and flags', async () => {
    const returned = await tracer.startActiveSpan('search_artifacts', async (span) => {
      span.setAttribute('query', 'cats');
      span.setAttribute('filters', { type: 'image' });
      span.setAnnotation('result-count', 3);
      await tracer.startActiveSpan('semantic_processing', async (child) => {
        child.setAttribute('embedding_dimension', 768);
        child.addFlag('error');
      });
      expect(() =>
        tracer.startActiveSpan('search_execution', () => {
          throw new RangeError('index shard missing');
        }),
      ).toThrow('index shard missing');
      return { hits: 3 };
    });

    const [segment] = await daemon.waitFor(1);
    const [root] = segment.subsegments ?? [];
    const [semantic, execution] = root.subsegments ?? [];
    expect(returned).toEqual({ hits: 3 });
    expect(segment).toMatchObject({
      name: 'maif-search',
      trace_id: expect.stringMatching(/^1-[0-9a-f]{8}-[0-9a-f]{24}$/),
    });
    expect(segment.type).toBeUndefined();
    expect(root).toMatchObject({
      name: 'search_artifacts',
      annotations: { sampling_priority: 'default', query: 'cats', result_count: 3 },
      metadata: { default: { filters: { type: 'image' } } },
    });
    expect(semantic).toMatchObject({
      name: 'semantic_processing',
      error: true,
      annotations: { embedding_dimension: 768 },
    });
    expect(execution).toMatchObject({ name: 'search_execution', fault: true });
    expect(execution.cause?.exceptions?.[0]).toMatchObject({ type: 'RangeError', message: 'index shard missing' });
    expect(allDocuments([segment]).every((d) => d.end_time !== undefined && d.in_progress === undefined)).toBe(true);
  });

  it('continues a trace extracted from incoming W3C headers', async () => {
    const parent = tracer.extract({ traceparent: '00-5759e988bd862e3fe1be46a994272793-b7ad6b7169203331-01' });
    tracer.startActiveSpan('handle', () => undefined, { parent });
    const [segment] = await daemon.waitFor(1);
    expect(segment).toMatchObject({ trace_id: '1-5759e988-bd862e3fe1be46a994272793', parent_id: 'b7ad6b7169203331' });
  });

  it('samples per priority and sends nothing for an unsampled one', async () => {
    tracer.startActiveSpan('nightly_reindex', () => undefined, { priority: 'background_tasks' });
    tracer.startActiveSpan('sentinel', () => undefined);
    const docs = await daemon.waitFor(1);
    expect(docs.map((d) => d.subsegments?.[0].name)).toEqual(['sentinel']);
  });

  it('traces fetch as a remote subsegment and sends the trace header with its id as parent', async () => {
    const fetchTraced = tracer.captureFetch();
    const statuses = await tracer.startActiveSpan('call', async () => {
      const ok = await fetchTraced(`${http.url}/artifacts?token=secret`);
      const down = await fetchTraced(new Request(`${http.url}/fail`, { method: 'POST', body: 'x' }));
      return [ok.status, down.status];
    });

    const [segment] = await daemon.waitFor(1);
    const [ok, down] = segment.subsegments?.[0].subsegments ?? [];
    const sent = http.requests.slice(-2).map((r) => parseXRayHeader(r.headers['x-amzn-trace-id']));
    expect(statuses).toEqual([200, 503]);
    expect(ok).toMatchObject({
      name: '127.0.0.1',
      namespace: 'remote',
      http: { request: { url: `${http.url}/artifacts`, method: 'GET' }, response: { status: 200, content_length: 11 } },
    });
    expect(down).toMatchObject({
      namespace: 'remote',
      fault: true,
      http: { request: { method: 'POST' }, response: { status: 503 } },
    });
    expect(sent.map((c) => c?.spanId)).toEqual([ok.id, down.id]);
    expect(sent[0]?.traceId).toBe(segment.trace_id.replace(/^1-|-/g, ''));
    expect(http.requests.at(-1)?.headers.traceparent).toMatch(new RegExp(`^00-[0-9a-f]{32}-${down.id}-01$`));
  });

  it('passes fetch through untouched outside any span', async () => {
    const response = await tracer.captureFetch()(`${http.url}/plain`);
    expect(response.status).toBe(200);
    expect(http.requests.at(-1)?.headers['x-amzn-trace-id']).toBeUndefined();
  });

  it('traces AWS SDK v3 calls as aws subsegments with the trace header sent', async () => {
    const sqs = tracer.captureAWSv3Client(
      new SQSClient({
        endpoint: http.url,
        region: 'eu-west-3',
        credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
        maxAttempts: 1,
      }),
    );
    await tracer.startActiveSpan('list', () => sqs.send(new ListQueuesCommand({})));

    const [segment] = await daemon.waitFor(1);
    const call = segment.subsegments?.[0].subsegments?.[0];
    expect(call).toMatchObject({
      name: 'SQS',
      namespace: 'aws',
      aws: { operation: 'listQueues', region: 'eu-west-3', request_id: 'req-1', retries: 0 },
      http: { response: { status: 200 } },
    });
    expect(parseXRayHeader(http.requests.at(-1)?.headers['x-amzn-trace-id'])?.spanId).toBe(call?.id);
  });

  it('gives the instrument() middleware its handler span, in plain and middy form', async () => {
    const handler = async () => tracer.startActiveSpan('inner', () => 'ok');
    await instrument({ tracer })(handler)({}, { functionName: 'search' });
    await middy(handler).use(instrument({ tracer }))({}, { functionName: 'search-middy' } as never);

    const docs = await daemon.waitFor(2);
    const names = docs.map((d) => [d.subsegments?.[0].name, d.subsegments?.[0].subsegments?.[0]?.name]);
    expect(names).toEqual([
      ['## search', 'inner'],
      ['## search-middy', 'inner'],
    ]);
  });

  it('runs the function with a no-op span when tracing is off', () => {
    const off = new Tracer({ enabled: false, env: {} });
    expect(off.startActiveSpan('x', (span) => [span.isRecording, span.traceId, 7])).toEqual([false, undefined, 7]);
    expect(off.currentIds()).toEqual({});
  });

  it('never throws into the caller on unserializable metadata or odd thrown values', async () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    const thrown = tracer.startActiveSpan('odd', (span) => {
      span.setMetadata('cyclic', cyclic);
      span.setMetadata('big', 10n);
      span.setAnnotation('nan', Number.NaN);
      try {
        tracer.startActiveSpan('throws-null', () => {
          throw null;
        });
      } catch (error) {
        return error;
      }
      return 'not thrown';
    });
    const [segment] = await daemon.waitFor(1);
    const odd = segment.subsegments?.[0];
    expect(thrown).toBeNull();
    expect(odd?.metadata?.default).toMatchObject({
      cyclic: expect.stringMatching(/^\[unserializable: /),
      big: '10',
      nan: null,
    });
    expect(odd?.subsegments?.[0]).toMatchObject({ fault: true });
  });
});
