/**
 * Trace exporters beside X-Ray: the Zipkin v2 JSON exporter against a loopback receiver that
 * validates the schema, a closed / failing / hanging receiver behind a traced handler, the
 * bounded queue, the console exporter, and the mapping of the configuration's exporters list.
 * Jest 30 fails a test on any unhandled rejection, so every test here also checks there is none.
 */
import fc from 'fast-check';
import { instrument } from '../../layers/instrumentation/middleware';
import {
  consoleExporter,
  type ExporterConfig,
  exportersFromConfig,
  type TraceExporter,
  zipkinExporter,
} from '../../layers/instrumentation/tracer/exporters';
import { Tracer, type TracerOptions } from '../../layers/instrumentation/tracer/tracer';
import { type RecordedEntity, toZipkinSpan, type ZipkinSpan } from '../../layers/instrumentation/tracer/zipkin-span';
import { startXRayDaemon, type XRayDaemon } from '../private/xray-daemon';
import {
  closedEndpoint,
  type ReceivedSpan,
  startZipkinReceiver,
  validateZipkinSpan,
  type ZipkinReceiver,
} from '../private/zipkin-receiver';

const XRAY_TRACE_ID = '1-5759e988-bd862e3fe1be46a994272793';
const LAMBDA_PARENT = '53995c3f42cd8ad8';
const LONG = 60_000; // a deadline nothing here should reach: flushes end when the receiver answers

let daemon: XRayDaemon;
const opened: ZipkinReceiver[] = [];

beforeAll(async () => {
  daemon = await startXRayDaemon();
  process.env.AWS_XRAY_DAEMON_ADDRESS = daemon.address; // before the SDK's emitter loads (first span)
});

afterAll(async () => {
  await Promise.all(opened.map((receiver) => receiver.close()));
  await daemon.close();
});

async function receiver(mode: 'accept' | 'fail' | 'hang' = 'accept'): Promise<ZipkinReceiver> {
  const started = await startZipkinReceiver({ mode });
  opened.push(started);
  return started;
}

/** A tracer outside Lambda that samples everything. */
function tracerWith(exporters: TraceExporter[], extra: Partial<TracerOptions> = {}): Tracer {
  return new Tracer({
    service: 'maif-search',
    sampling: { default: 1 },
    reservoir: 0,
    env: {},
    lambda: false,
    warn: () => {},
    exporters,
    ...extra,
  });
}

function byName(spans: readonly ReceivedSpan[], name: string): ReceivedSpan {
  const found = spans.find((span) => span.name === name);
  if (found === undefined) throw new Error(`no span '${name}' in ${spans.map((s) => s.name).join(', ')}`);
  return found;
}

/** The first segment the daemon received with this name (earlier tests' datagrams may arrive late). */
async function segmentNamed(name: string) {
  for (let count = 1; ; count++) {
    const found = (await daemon.waitFor(count)).find((doc) => doc.name === name);
    if (found !== undefined) return found;
  }
}

function recorder(): { warn: (message: string) => void; warnings: string[] } {
  const warnings: string[] = [];
  return { warn: (message) => warnings.push(message), warnings };
}

describe('the Zipkin exporter against a loopback receiver', () => {
  it('has its batches accepted, with parent and child ids linked in one trace', async () => {
    // Arrange
    const zipkin = await receiver();
    const exporter = zipkinExporter({ endpoint: zipkin.endpoint, flushIntervalMs: 3_600_000 });
    const tracer = tracerWith([exporter]);
    const tracedFetch = tracer.captureFetch();
    let xrayTraceId = '';

    // Act
    await tracer.startActiveSpan('search_artifacts', async (root) => {
      xrayTraceId = root.traceId ?? '';
      root.setAttribute('query', 'maif');
      root.setMetadata('filters', { year: 2024 });
      await tracer.startActiveSpan('semantic_processing', async (child) => {
        child.setAttribute('embedding_dimension', 384);
        await tracedFetch(zipkin.endpoint.replace('/api/v2/spans', '/missing?token=secret'));
      });
    });
    await exporter.flush(LONG);

    // Assert
    expect(zipkin.rejections).toEqual([]);
    expect(zipkin.spans).toHaveLength(4); // segment (SERVER), root, child, captured fetch (CLIENT)
    const traceId = xrayTraceId.slice(2).replace('-', '');
    expect(new Set(zipkin.spans.map((span) => span.traceId))).toEqual(new Set([traceId]));
    const server = zipkin.spans.find((span) => span.kind === 'SERVER');
    const root = byName(zipkin.spans, 'search_artifacts');
    const child = byName(zipkin.spans, 'semantic_processing');
    const call = byName(zipkin.spans, '127.0.0.1');
    expect(server).toMatchObject({ name: 'maif-search', localEndpoint: { serviceName: 'maif-search' } });
    expect(server?.parentId).toBeUndefined();
    expect(root.parentId).toBe(server?.id);
    expect(child.parentId).toBe(root.id);
    expect(call.parentId).toBe(child.id);
    expect(root.tags).toMatchObject({ query: 'maif', sampling_priority: 'default', filters: '{"year":2024}' });
    expect(child.tags).toMatchObject({ embedding_dimension: '384' });
    expect(call).toMatchObject({ kind: 'CLIENT', remoteEndpoint: { serviceName: '127.0.0.1' } });
    expect(call.tags).toMatchObject({ 'http.method': 'GET', 'http.status_code': '404', error: 'true' });
    expect(call.tags['http.url']).not.toContain('secret');
    expect(exporter.stats()).toEqual({ exported: 4, dropped: 0, failed: 0, queued: 0 });
  });

  it('still sends the segment to X-Ray', async () => {
    // Arrange
    const zipkin = await receiver();
    const exporter = zipkinExporter({ endpoint: zipkin.endpoint });
    const tracer = tracerWith([exporter], { service: 'xray-still-there' });

    // Act
    tracer.startActiveSpan('work', () => 1);
    const segment = await segmentNamed('xray-still-there');
    await exporter.flush(LONG);

    // Assert
    expect(segment).toMatchObject({ name: 'xray-still-there', subsegments: [{ name: 'work' }] });
    expect(zipkin.spans.map((span) => span.id).sort()).toEqual(
      [segment?.id, segment?.subsegments?.[0]?.id].sort() as string[],
    );
  });

  it('splits the queue into batches of at most maxBatchSize', async () => {
    // Arrange
    const zipkin = await receiver();
    const exporter = zipkinExporter({ endpoint: zipkin.endpoint, maxBatchSize: 3, flushIntervalMs: 3_600_000 });
    const tracer = tracerWith([exporter]);

    // Act
    tracer.startActiveSpan('batch', () => {
      for (let i = 0; i < 6; i++) tracer.startActiveSpan(`step_${i}`, () => i);
    });
    await exporter.flush(LONG);

    // Assert: 6 steps, the root span and its segment
    expect(zipkin.rejections).toEqual([]);
    expect(zipkin.spans).toHaveLength(8);
    expect(zipkin.batches.every((size) => size <= 3)).toBe(true);
  });

  it('records an error as the error tag and an exception annotation at the end of the span', async () => {
    // Arrange
    const zipkin = await receiver();
    const exporter = zipkinExporter({ endpoint: zipkin.endpoint });
    const tracer = tracerWith([exporter]);

    // Act
    await expect(
      tracer.startActiveSpan('charge', async () => {
        throw new TypeError('card declined');
      }),
    ).rejects.toThrow('card declined');
    await exporter.flush(LONG);

    // Assert
    expect(zipkin.rejections).toEqual([]);
    const span = byName(zipkin.spans, 'charge');
    expect(span.tags).toMatchObject({ error: 'true', 'xray.fault': 'true' });
    expect(span.annotations).toEqual([
      { timestamp: span.timestamp + span.duration, value: 'exception: TypeError: card declined' },
    ]);
  });

  it("in Lambda, parents the root span on the invocation's trace header and exports nothing unsampled", async () => {
    // Arrange
    const zipkin = await receiver();
    const exporter = zipkinExporter({ endpoint: zipkin.endpoint, serviceName: 'maif-ingest' });
    const env = { _X_AMZN_TRACE_ID: `Root=${XRAY_TRACE_ID};Parent=${LAMBDA_PARENT};Sampled=1` };
    const sampled = tracerWith([exporter], { lambda: true, env });
    const unsampled = tracerWith([exporter], {
      lambda: true,
      env: { _X_AMZN_TRACE_ID: `Root=${XRAY_TRACE_ID};Parent=${LAMBDA_PARENT};Sampled=0` },
    });

    // Act
    sampled.startActiveSpan('## ingest', () => sampled.startActiveSpan('parse', () => undefined));
    unsampled.startActiveSpan('not_sampled', () => undefined);
    await exporter.flush(LONG);

    // Assert
    expect(zipkin.rejections).toEqual([]);
    expect(zipkin.spans.map((span) => span.name).sort()).toEqual(['## ingest', 'parse']);
    const root = byName(zipkin.spans, '## ingest');
    expect(root).toMatchObject({
      traceId: '5759e988bd862e3fe1be46a994272793',
      parentId: LAMBDA_PARENT,
      localEndpoint: { serviceName: 'maif-ingest' },
    });
    expect(byName(zipkin.spans, 'parse').parentId).toBe(root.id);
  });

  it('is answered 400 with the reason when a span breaks the schema (the receiver can fail)', async () => {
    // Arrange
    const zipkin = await receiver();
    const bad = [{ traceId: '1-5759e988-bd862e3f', id: 'XYZ', name: 'x', timestamp: 1.5, duration: 0, tags: { n: 1 } }];

    // Act
    const response = await fetch(zipkin.endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(bad),
    });

    // Assert
    expect(response.status).toBe(400);
    expect(await response.text()).toContain('[0].traceId');
    expect(zipkin.rejections[0]).toEqual(
      expect.arrayContaining([
        expect.stringContaining('.id:'),
        expect.stringContaining('.timestamp:'),
        expect.stringContaining('.duration:'),
        expect.stringContaining('.localEndpoint: missing'),
        expect.stringContaining('.tags.n: number'),
      ]),
    );
    expect(zipkin.spans).toEqual([]);
  });
});

describe('a receiver that is closed, failing or hanging', () => {
  const cases = [
    ['a closed port', () => closedEndpoint(), /POST .* failed/],
    ['a 500 answer', async () => (await receiver('fail')).endpoint, /answered 500 \(collector down\)/],
  ] as const;

  it.each(cases)('never affects the handler: %s', async (_label, endpointOf, warning) => {
    // Arrange
    const { warn, warnings } = recorder();
    const exporter = zipkinExporter({ endpoint: await endpointOf(), warn });
    const tracer = tracerWith([exporter]);
    const handler = instrument({ tracer })(async (event: { n: number }) =>
      tracer.startActiveSpan('double', () => event.n * 2),
    );

    // Act: the middleware flushes at the end of each invocation
    const first = await handler({ n: 21 }, { functionName: 'fn' });
    const second = await handler({ n: 4 }, { functionName: 'fn' });
    await exporter.flush(LONG);

    // Assert
    expect([first, second]).toEqual([42, 8]);
    expect(exporter.stats()).toMatchObject({ exported: 0, failed: 6, queued: 0 }); // 3 spans per invocation
    expect(warnings).toHaveLength(1); // once, however many batches failed
    expect(warnings[0]).toMatch(warning);
  });

  it('never affects the handler: a receiver that never answers', async () => {
    // Arrange
    const zipkin = await receiver('hang');
    const exporter = zipkinExporter({ endpoint: zipkin.endpoint, requestTimeoutMs: LONG, warn: () => {} });
    const tracer = tracerWith([exporter], { flushTimeoutMs: 1 });
    const handler = instrument({ tracer })(async () => tracer.startActiveSpan('work', () => 'done'));

    // Act: the middleware's flush gives up at its deadline; so does this one
    const result = await handler({}, { functionName: 'fn' });
    tracer.startActiveSpan('after', () => undefined);
    await exporter.flush(1);

    // Assert: the invocation's batch is still in flight (held by the receiver), the later spans wait
    expect(result).toBe('done');
    expect(exporter.stats()).toEqual({ exported: 0, dropped: 0, failed: 0, queued: 2 });
  });

  it('drops and counts spans beyond the queue bound while a request hangs', async () => {
    // Arrange
    const zipkin = await receiver('hang');
    const { warn, warnings } = recorder();
    const exporter = zipkinExporter({
      endpoint: zipkin.endpoint,
      maxQueueSize: 5,
      maxBatchSize: 2,
      requestTimeoutMs: LONG,
      flushIntervalMs: 3_600_000,
      warn,
    });
    const tracer = tracerWith([exporter]);
    tracer.startActiveSpan('first', () => undefined); // 2 spans: one full batch, sent at once
    await exporter.flush(1); // the batch is now in flight, held by the receiver

    // Act
    for (let i = 0; i < 20; i++) tracer.startActiveSpan(`span_${i}`, () => undefined); // 40 spans

    // Assert: 2 in flight, 5 queued, the rest dropped
    const stats = exporter.stats();
    expect(stats.queued).toBe(5);
    expect(stats.dropped).toBe(35);
    expect(warnings).toEqual([expect.stringMatching(/more than 5 spans waiting .* new spans are dropped/)]);
  });
});

describe('flush() while a send is finishing', () => {
  const zspan = (id: string): ZipkinSpan => ({
    traceId: 'a'.repeat(32),
    id,
    name: 'x',
    timestamp: 1_700_000_000_000_000,
    duration: 1,
    localEndpoint: { serviceName: 'svc' },
    tags: {},
  });

  it('sends a span queued after the running send drained, whichever microtask the flush lands in', async () => {
    // The window between the end of the pump's drain loop and its clean-up is a few microtasks
    // wide: try every position from just after the answer up to well past it.
    for (let depth = 0; depth < 12; depth++) {
      const sent: string[] = [];
      let answer: () => void = () => {};
      const fetch = (_url: string, init: { body: string }) => {
        sent.push(...(JSON.parse(init.body) as ZipkinSpan[]).map((z) => z.id));
        return new Promise<{ ok: boolean; status: number; text(): Promise<string> }>((resolve) => {
          answer = () => resolve({ ok: true, status: 202, text: async () => '' });
        });
      };
      // a long interval: only flush() can send the second span within the test
      const exporter = zipkinExporter({ endpoint: 'http://127.0.0.1:9/api/v2/spans', fetch, flushIntervalMs: 60_000 });
      exporter.export(zspan('1'.repeat(16)));
      const first = exporter.flush(LONG);
      await Promise.resolve();
      answer();
      for (let i = 0; i < depth; i++) await Promise.resolve();
      exporter.export(zspan('2'.repeat(16)));
      const second = exporter.flush(LONG);
      for (let i = 0; i < 20 && sent.length < 2; i++) await Promise.resolve();
      answer();
      await Promise.all([first, second]);

      expect({ depth, sent }).toEqual({ depth, sent: ['1'.repeat(16), '2'.repeat(16)] });
      expect(exporter.stats()).toMatchObject({ exported: 2, queued: 0 });
    }
  });
});

describe('the console exporter', () => {
  it('writes one Zipkin JSON line per finished span', () => {
    // Arrange
    const lines: string[] = [];
    const exporter = consoleExporter({ stream: { write: (chunk: string) => lines.push(chunk) } });
    const tracer = tracerWith([exporter]);

    // Act
    tracer.startActiveSpan('outer', (span) => {
      span.setAttribute('items', 3);
      tracer.startActiveSpan('inner', () => undefined);
    });

    // Assert: inner, outer, then the segment
    expect(lines.every((line) => line.endsWith('\n') && !line.slice(0, -1).includes('\n'))).toBe(true);
    const spans = lines.map((line) => JSON.parse(line) as ZipkinSpan);
    expect(spans.map((span) => span.name)).toEqual(['inner', 'outer', 'maif-search']);
    expect(spans.flatMap((span, i) => validateZipkinSpan(span, `line ${i}`))).toEqual([]);
    expect(spans[0]?.parentId).toBe(spans[1]?.id);
    expect(spans[1]?.tags).toMatchObject({ items: '3' });
    expect(exporter.stats()).toEqual({ exported: 3, dropped: 0, failed: 0, queued: 0 });
  });

  it('counts a failing stream instead of throwing into the traced code', () => {
    // Arrange
    const { warn, warnings } = recorder();
    const exporter = consoleExporter({
      stream: {
        write: () => {
          throw new Error('EPIPE');
        },
      },
      warn,
    });
    const tracer = tracerWith([exporter]);

    // Act
    const result = tracer.startActiveSpan('work', () => 'ok');

    // Assert
    expect(result).toBe('ok');
    expect(exporter.stats().failed).toBe(2);
    expect(warnings).toEqual(['console exporter: a span could not be written: Error: EPIPE']);
  });
});

describe('instrument() and the tracer flush', () => {
  it('sends the invocation spans at the end of the invocation', async () => {
    // Arrange: no timer would send them (1 h interval, batch of 100)
    const zipkin = await receiver();
    const exporter = zipkinExporter({ endpoint: zipkin.endpoint, flushIntervalMs: 3_600_000 });
    const tracer = tracerWith([exporter]);
    const handler = instrument({ tracer })(async () => tracer.startActiveSpan('work', () => 7));

    // Act
    const result = await handler({}, { functionName: 'orders' });

    // Assert: the middleware's flush emptied the queue
    expect(result).toBe(7);
    expect(exporter.stats().queued).toBe(0);
    await exporter.flush(LONG);
    expect(zipkin.spans.map((span) => span.name).sort()).toEqual(['## orders', 'maif-search', 'work']);
  });

  it("is not held by an exporter whose flush ignores the deadline: the invocation's end is bounded", async () => {
    // Arrange: a user's exporter (any object with export and flush) that never finishes flushing
    const flushedWith: Array<number | undefined> = [];
    const stuck: TraceExporter = {
      name: 'stuck',
      export: () => {},
      flush: (timeoutMs) => {
        flushedWith.push(timeoutMs);
        return new Promise<void>(() => {});
      },
      stats: () => ({ exported: 0, dropped: 0, failed: 0, queued: 0 }),
    };
    const tracer = tracerWith([stuck], { flushTimeoutMs: 1 });
    const handler = instrument({ tracer })(async () => tracer.startActiveSpan('work', () => 'done'));

    // Act: the middleware's flush (the tracer's own deadline), then an explicit one
    const result = await handler({}, { functionName: 'fn' });
    await expect(tracer.flush(1)).resolves.toBeUndefined();

    // Assert
    expect(result).toBe('done');
    expect(flushedWith).toEqual([1, 1]); // each exporter still gets the deadline
  });

  it('resolves at once with no exporters', async () => {
    await expect(tracerWith([]).flush()).resolves.toBeUndefined();
  });

  it('rejects something that is not an exporter, naming it', () => {
    expect(() => tracerWith([{} as TraceExporter])).toThrow(
      'Tracer exporters[0]: [object Object] is not a trace exporter (use zipkinExporter() or consoleExporter())',
    );
  });
});

describe('MAIF_TRACE_EXPORTERS (the configuration as instrumentFunction passes it)', () => {
  it("gives a Lambda's default Tracer its exporters: the invocation's spans reach the Zipkin receiver", async () => {
    // Arrange: the environment of an instrumented function, and no exporters option
    const zipkin = await receiver();
    const { warn, warnings } = recorder();
    const tracer = new Tracer({
      warn,
      env: {
        LAMBDA_TASK_ROOT: '/var/task',
        _X_AMZN_TRACE_ID: `Root=${XRAY_TRACE_ID};Parent=${LAMBDA_PARENT};Sampled=1`,
        MAIF_SERVICE: 'maif-orders',
        MAIF_TRACE_EXPORTERS: JSON.stringify([{ type: 'zipkin', endpoint: zipkin.endpoint }]),
      },
    });
    const handler = instrument({ tracer })(async () => tracer.startActiveSpan('work', () => 7));

    // Act
    const result = await handler({}, { functionName: 'orders' });
    await tracer.flush(LONG);

    // Assert
    expect(result).toBe(7);
    expect(warnings).toEqual([]);
    expect(zipkin.rejections).toEqual([]);
    expect(zipkin.spans.map((span) => span.name).sort()).toEqual(['## orders', 'work']);
    expect(byName(zipkin.spans, '## orders')).toMatchObject({
      traceId: '5759e988bd862e3fe1be46a994272793',
      parentId: LAMBDA_PARENT,
      localEndpoint: { serviceName: 'maif-orders' },
    });
  });

  it('is ignored when exporters are given', async () => {
    // Arrange
    const zipkin = await receiver();
    const lines: string[] = [];
    const exporter = consoleExporter({ stream: { write: (chunk: string) => lines.push(chunk) } });
    const env = { MAIF_TRACE_EXPORTERS: JSON.stringify([{ type: 'zipkin', endpoint: zipkin.endpoint }]) };
    const tracer = tracerWith([exporter], { env });

    // Act
    tracer.startActiveSpan('explicit', () => undefined);
    await tracer.flush(LONG);

    // Assert
    expect(lines).toHaveLength(2); // the span and its segment
    expect(zipkin.requests()).toBe(0);
  });

  it.each([
    ['not JSON', '[{"type":"zipkin"', `MAIF_TRACE_EXPORTERS: '[{"type":"zipkin"' is not JSON`],
    ['not a list', '{"type":"console"}', `MAIF_TRACE_EXPORTERS: '{"type":"console"}' is not a JSON list of exporters`],
    [
      'an unknown type',
      '[{"type":"newrelic"}]',
      "MAIF_TRACE_EXPORTERS: tracing.exporters[0].type: 'newrelic' is not an exporter type (use xray, console, jaeger, zipkin, otlp)",
    ],
    [
      'a bad endpoint',
      '[{"type":"zipkin","endpoint":"zipkin:9411"}]',
      "MAIF_TRACE_EXPORTERS: tracing.exporters[0].endpoint: 'zipkin:9411' is not an http(s) URL (use e.g. http://zipkin:9411/api/v2/spans)",
    ],
  ])('when %s, warns once and traces to X-Ray only, without throwing', async (_label, value, problem) => {
    // Arrange
    const { warn, warnings } = recorder();
    const env = { MAIF_TRACE_EXPORTERS: value };

    // Act
    const tracer = new Tracer({ service: 'maif-bad-env', sampling: { default: 1 }, lambda: false, env, warn });
    const result = tracer.startActiveSpan('still_traced', () => 'ok');

    // Assert
    expect(result).toBe('ok');
    await expect(tracer.flush()).resolves.toBeUndefined();
    expect(warnings).toEqual([`Tracer: ${problem}; spans go to X-Ray only`]);
  });

  it('writes that warning to stderr when no warn function is given', () => {
    // Arrange
    const written: string[] = [];
    const stderr = jest.spyOn(process.stderr, 'write').mockImplementation((chunk) => written.push(String(chunk)) > 0);

    // Act
    try {
      new Tracer({ env: { MAIF_TRACE_EXPORTERS: 'nope' } });
    } finally {
      stderr.mockRestore();
    }

    // Assert
    expect(written).toHaveLength(1);
    expect(written[0]).toContain("MAIF_TRACE_EXPORTERS: 'nope' is not JSON; spans go to X-Ray only");
  });
});

describe('exportersFromConfig', () => {
  const guideExporters: ExporterConfig[] = [
    { type: 'xray' },
    { type: 'jaeger', endpoint: 'http://jaeger:14268/api/traces' },
    { type: 'zipkin', endpoint: 'http://zipkin:9411/api/v2/spans' },
    { type: 'console', enabled: false },
  ];

  it("maps the guide's list: zipkin kept, jaeger's Thrift endpoint skipped with the fix, console off", () => {
    // Arrange
    const { warn, warnings } = recorder();

    // Act
    const exporters = exportersFromConfig(guideExporters, { warn });

    // Assert
    expect(exporters.map((exporter) => exporter.name)).toEqual(['zipkin']);
    expect(warnings).toEqual([
      "tracing.exporters[1].endpoint: 'http://jaeger:14268/api/traces' is Jaeger's Thrift endpoint, which takes " +
        "no Zipkin JSON (use the collector's Zipkin-compatible endpoint, e.g. http://jaeger:9411/api/v2/spans); skipped",
    ]);
  });

  it("sends jaeger at the collector's Zipkin endpoint, and skips otlp with a warning", async () => {
    // Arrange
    const zipkin = await receiver();
    const lines: string[] = [];
    const { warn, warnings } = recorder();
    const exporters = exportersFromConfig(
      [
        { type: 'jaeger', endpoint: zipkin.endpoint },
        { type: 'otlp', endpoint: 'http://collector:4318/v1/traces' },
        { type: 'console' },
        { type: 'xray', enabled: false },
      ],
      { warn, serviceName: 'maif-config', stream: { write: (chunk: string) => lines.push(chunk) } },
    );
    const tracer = tracerWith(exporters);

    // Act
    tracer.startActiveSpan('configured', () => undefined);
    await tracer.flush(LONG);

    // Assert
    expect(exporters.map((exporter) => exporter.name)).toEqual(['zipkin', 'console']);
    expect(zipkin.spans.map((span) => span.localEndpoint.serviceName)).toEqual(['maif-config', 'maif-config']);
    expect(lines).toHaveLength(2);
    expect(warnings).toEqual([
      "tracing.exporters[1]: otlp is not supported yet, skipped (use zipkin, or an OpenTelemetry collector's zipkin receiver)",
      'tracing.exporters[3]: xray cannot be disabled here, spans still go to X-Ray (set AWS_XRAY_SDK_ENABLED=false)',
    ]);
  });

  it.each([
    [
      [{ type: 'newrelic' }],
      "tracing.exporters[0].type: 'newrelic' is not an exporter type (use xray, console, jaeger, zipkin, otlp)",
    ],
    [
      [{ type: 'zipkin', endpoint: 'ftp://zipkin/api/v2/spans' }],
      "tracing.exporters[0].endpoint: 'ftp://zipkin/api/v2/spans' is not an http(s) URL (use e.g. http://zipkin:9411/api/v2/spans)",
    ],
    [
      [{ type: 'zipkin', endpoint: 'zipkin:9411' }],
      "tracing.exporters[0].endpoint: 'zipkin:9411' is not an http(s) URL (use e.g. http://zipkin:9411/api/v2/spans)",
    ],
    [[null], 'tracing.exporters[0]: null is not an exporter (use an object with a type)'],
  ])('rejects %j with a message naming the entry', (list, message) => {
    expect(() => exportersFromConfig(list as unknown as ExporterConfig[], { warn: () => {} })).toThrow(message);
  });

  it('rejects bad exporter options with the field, the value and what is allowed', () => {
    expect(() => zipkinExporter({ endpoint: 'http://zipkin:9411/api/v2/spans', maxQueueSize: 0 })).toThrow(
      'zipkinExporter maxQueueSize: 0 is not allowed (use a whole number, 1 or more)',
    );
    expect(() => zipkinExporter({ endpoint: 'http://jaeger:14268/api/traces' })).toThrow(/Thrift endpoint/);
  });
});

describe('toZipkinSpan', () => {
  const hex = (length: number) =>
    fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: length, maxLength: length });
  const scalar = fc.oneof(fc.string(), fc.double({ noNaN: true }), fc.boolean(), fc.integer());
  const entity = fc.record({
    id: hex(16),
    name: fc.string(),
    start_time: fc.double({ min: 1e9, max: 2e9, noNaN: true }),
    elapsed: fc.double({ min: 0, max: 1e4, noNaN: true }),
    parent: fc.option(fc.record({ id: hex(16) }), { nil: undefined }),
    namespace: fc.constantFrom(undefined, 'remote', 'aws', 'other'),
    annotations: fc.dictionary(fc.string(), scalar),
    metadata: fc.dictionary(fc.string(), fc.dictionary(fc.string(), fc.jsonValue())),
    fault: fc.boolean(),
    cause: fc.option(fc.record({ exceptions: fc.array(fc.record({ type: fc.string(), message: fc.string() })) }), {
      nil: undefined,
    }),
  });

  it('always produces a span the receiver accepts, with bounded tags', () => {
    fc.assert(
      fc.property(entity, fc.boolean(), (generated, isSegment) => {
        const recorded: RecordedEntity = { ...generated, end_time: generated.start_time + generated.elapsed };
        const span = toZipkinSpan(recorded, XRAY_TRACE_ID, 'svc', isSegment);
        expect(span).toBeDefined();
        expect(validateZipkinSpan(JSON.parse(JSON.stringify(span)))).toEqual([]);
        expect(Object.keys(span?.tags ?? {}).length).toBeLessThanOrEqual(64);
        expect(Object.values(span?.tags ?? {}).every((value) => value.length <= 1024)).toBe(true);
      }),
    );
  });

  it('gives up on what Zipkin cannot take: an invalid trace id, or a span that never ended', () => {
    const ok = { id: 'a'.repeat(16), name: 'x', start_time: 1_700_000_000, end_time: 1_700_000_001 };
    expect(toZipkinSpan(ok, 'not-a-trace', 'svc')).toBeUndefined();
    expect(toZipkinSpan({ ...ok, end_time: undefined }, XRAY_TRACE_ID, 'svc')).toBeUndefined();
    expect(toZipkinSpan(ok, XRAY_TRACE_ID, 'svc')).toMatchObject({
      timestamp: 1_700_000_000_000_000,
      duration: 1_000_000,
    });
  });
});
