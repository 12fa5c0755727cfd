/**
 * The real handler driven with payloads built as CloudWatch Logs delivers them, against real local
 * stand-ins: fauxqs (SQS, in its own Node process: it ships as ES modules only) reached by the real
 * @aws-sdk/client-sqs, and a loopback HTTP server speaking EventBridge's awsJson1_1 PutEvents to the
 * real @aws-sdk/client-eventbridge.
 */
import type { ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { DeleteMessageBatchCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { ProcessingRule } from '../../domain/logs/config';
import { type AggregationResult, createHandler } from '../../lambdas/log-aggregator';
import exampleConfig from '../../observability.config';
import { controlMessage, corruptMessages, dataMessage, lambdaReportLine, lambdaTextLine } from '../private/cwl-payload';
import { startFauxqsProcess } from '../private/fauxqs';

const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };
const region = 'us-east-1';

interface PutEventsEntry {
  Source: string;
  DetailType: string;
  Detail: string;
  EventBusName: string;
}

/** Loopback EventBridge: records PutEvents entries; entries whose Detail contains `failWhen` fail. */
class EventBridgeStandIn {
  readonly entries: PutEventsEntry[] = [];
  readonly calls: number[] = [];
  failWhen: string | undefined;
  #server: Server | undefined;

  async start(): Promise<string> {
    this.#server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => {
        body += c;
      });
      req.on('end', () => {
        const target = req.headers['x-amz-target'];
        if (target !== 'AWSEvents.PutEvents') {
          res.writeHead(400, { 'content-type': 'application/x-amz-json-1.1' });
          res.end(JSON.stringify({ __type: 'UnknownOperationException', message: String(target) }));
          return;
        }
        const { Entries } = JSON.parse(body) as { Entries: PutEventsEntry[] };
        this.calls.push(Entries.length);
        const results = Entries.map((entry, i) => {
          if (this.failWhen !== undefined && entry.Detail.includes(this.failWhen)) {
            return { ErrorCode: 'InternalFailure', ErrorMessage: 'stand-in refused the entry' };
          }
          this.entries.push(entry);
          return { EventId: `e-${this.entries.length}-${i}` };
        });
        res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
        res.end(JSON.stringify({ FailedEntryCount: results.filter((r) => 'ErrorCode' in r).length, Entries: results }));
      });
    });
    await new Promise<void>((resolve) => this.#server?.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.#server?.close(() => resolve()));
  }
}

/** Starts fauxqs in a child Node process and creates the DLQ. */
async function startFauxqs(): Promise<{ child: ChildProcess; address: string; queueUrl: string }> {
  const f = await startFauxqsProcess({ queues: ['maif-log-dlq'] });
  return { child: f.child, address: f.address, queueUrl: f.queueUrls['maif-log-dlq'] };
}

let fauxqs: Awaited<ReturnType<typeof startFauxqs>>;
let eventBridge: EventBridgeStandIn;
let sqs: SQSClient;
let eventBridgeClient: EventBridgeClient;

beforeAll(async () => {
  fauxqs = await startFauxqs();
  eventBridge = new EventBridgeStandIn();
  const ebEndpoint = await eventBridge.start();
  sqs = new SQSClient({ region, credentials, endpoint: fauxqs.address });
  eventBridgeClient = new EventBridgeClient({ region, credentials, endpoint: ebEndpoint });
});

afterAll(async () => {
  sqs?.destroy();
  eventBridgeClient?.destroy();
  await eventBridge?.stop();
  if (fauxqs?.child.pid !== undefined) process.kill(fauxqs.child.pid);
});

beforeEach(async () => {
  eventBridge.entries.length = 0;
  eventBridge.calls.length = 0;
  eventBridge.failWhen = undefined;
  await drainDlq();
});

async function drainDlq(): Promise<Record<string, unknown>[]> {
  const bodies: Record<string, unknown>[] = [];
  for (;;) {
    const out = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: fauxqs.queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }),
    );
    const messages = out.Messages ?? [];
    if (messages.length === 0) return bodies;
    bodies.push(...messages.map((m) => JSON.parse(m.Body ?? '{}')));
    await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: fauxqs.queueUrl,
        Entries: messages.map((m, i) => ({ Id: `d${i}`, ReceiptHandle: m.ReceiptHandle })),
      }),
    );
  }
}

const RULES: ProcessingRule[] = [
  { name: 'drop_health_checks', condition: "path == '/health'", action: 'drop' },
  // the MAIF monitoring guide's three rules, as the example configuration carries them
  ...((exampleConfig.logging?.processingRules ?? []) as ProcessingRule[]),
  {
    name: 'latency',
    condition: 'duration_ms exists',
    action: 'extract_metric',
    metric: 'log_duration_ms',
    value: 'duration_ms',
    unit: 'Milliseconds',
  },
];

function aggregator(
  options: {
    sqsClient?: SQSClient;
    sources?: { name: string; path: string; parser: 'json' | 'syslog' | 'nginx' }[];
  } = {},
) {
  const written: string[] = [];
  const handler = createHandler(
    { rules: RULES, lookupTables: { users: { 'u-1': { plan: 'pro' } } }, sources: options.sources },
    {
      sqs: options.sqsClient ?? sqs,
      eventBridge: eventBridgeClient,
      sink: (lines) => written.push(...lines),
      sleep: async () => {},
      env: {
        namespace: 'MAIF',
        service: 'maif',
        environment: 'test',
        dlqUrl: fauxqs.queueUrl,
        eventBusName: 'maif-observability',
        ownLogGroup: '/aws/lambda/maif-log-aggregator',
      },
    },
  );
  const emf = () => written.filter((l) => l.includes('"_aws"')).map((l) => JSON.parse(l));
  const forwarded = () => written.filter((l) => !l.includes('"_aws"')).map((l) => JSON.parse(l));
  const outcome = (name: string) =>
    emf()
      .filter((d) => d.outcome === name)
      .reduce((sum, d) => sum + d.maif_obs_log_events_total, 0);
  return { handler, written, emf, forwarded, outcome };
}

const expectAccounted = (r: AggregationResult) => expect(r.received).toBe(r.processed + r.deadLettered);

describe('the log aggregator', () => {
  it('forwards normalized events, enriches, alerts and extracts metrics from a mixed batch', async () => {
    const { handler, forwarded, written, outcome } = aggregator();
    const requestId = '8f5e2a3c-1b7d-4c1e-9a77-3d2b1c0e9f10';
    const result = await handler(
      dataMessage([
        `START RequestId: ${requestId} Version: $LATEST`,
        lambdaTextLine(
          JSON.stringify({ level: 'INFO', event: 'search_done', operation: 'search', user_id: 'u-1', duration_ms: 12 }),
        ),
        lambdaTextLine(
          JSON.stringify({ level: 'ERROR', event: 'search_failed', operation: 'search', error: { type: 'Timeout' } }),
          'ERROR',
        ),
        lambdaTextLine(JSON.stringify({ level: 'ERROR', event: 'search_failed', operation: 'search' }), 'ERROR'),
        '{"level":"INFO","path":"/health"}',
        lambdaReportLine(requestId, 20.5),
      ]),
    );

    expect(result).toEqual({
      received: 6,
      processed: 6,
      deadLettered: 0,
      dropped: 1,
      control: 0,
      skipped: 0,
      alerts: 1,
    });
    const events = forwarded();
    expect(events.map((e) => e.source.parser)).toEqual(['lambda', 'json', 'json', 'json', 'lambda']);
    expect(events[1]).toMatchObject({
      timestamp: '2024-01-01T00:00:00.000Z',
      level: 'INFO',
      service: 'maif-search',
      message: 'search_done',
      user: { plan: 'pro' },
      request_id: requestId,
      source: { logGroup: '/aws/lambda/maif-search', parser: 'json' },
    });
    expect(events[4]).toMatchObject({ event: 'platform.report', duration_ms: 20.5 });
    expect(written).toHaveEmittedEMF('log_operations_total', 'MAIF');
    expect(written).toHaveEmittedEMF('log_duration_ms', 'MAIF');
    expect(outcome('received')).toBe(6);
    expect(outcome('processed')).toBe(6);

    // two errors with the same labels: one alert on the bus, counting both
    expect(eventBridge.entries).toHaveLength(1);
    const entry = eventBridge.entries[0];
    expect(entry).toMatchObject({
      Source: 'maif.observability',
      DetailType: 'MAIF Alert',
      EventBusName: 'maif-observability',
    });
    expect(JSON.parse(entry.Detail)).toMatchObject({
      alertName: 'detect_errors',
      severity: 'warning',
      labels: { team: 'platform', service: 'maif-search', log_group: '/aws/lambda/maif-search' },
      rule: 'detect_errors',
      occurrences: 2,
      event: { message: 'search_failed', level: 'ERROR' },
    });
    expect(await drainDlq()).toEqual([]);
  });

  it('dead-letters a corrupt payload whole, with the reason and the raw data', async () => {
    const { handler, forwarded, outcome } = aggregator();
    const corrupt = corruptMessages.truncated(['{"level":"INFO","msg":"lost?"}']);
    const result = await handler(corrupt);
    expect(result).toMatchObject({ received: 1, processed: 0, deadLettered: 1 });
    expect(forwarded()).toEqual([]);
    expect(outcome('dead_lettered')).toBe(1);
    const letters = await drainDlq();
    expect(letters).toHaveLength(1);
    expect(letters[0]).toEqual({
      reason: expect.stringMatching(/^decode_failed: event.awslogs.data is not gzip/),
      data: corrupt.awslogs.data,
    });
  });

  it('acknowledges a control message and counts it', async () => {
    const { handler, forwarded, outcome } = aggregator();
    const result = await handler(controlMessage());
    expect(result).toMatchObject({ received: 0, control: 1 });
    expect(forwarded()).toEqual([]);
    expect(outcome('control')).toBe(1);
    expect(await drainDlq()).toEqual([]);
  });

  it('processes a batch of over 1 MB of raw events, every one accounted for', async () => {
    const { handler, forwarded, outcome } = aggregator();
    const lines = Array.from({ length: 6000 }, (_, i) =>
      i % 3 === 0
        ? JSON.stringify({
            level: 'INFO',
            event: 'artifact_created',
            operation: 'create',
            artifact_id: `a-${i}`,
            padding: 'x'.repeat(120),
          })
        : i % 3 === 1
          ? `10.0.${i % 250}.1 - - [01/Jan/2024:00:00:00 +0000] "GET /artifacts/${i} HTTP/1.1" 200 ${i} "-" "maif-client/1.0 ${'z'.repeat(60)}"`
          : `<14>1 2024-01-01T00:00:00.000Z host-${i % 7} maif-worker 42 job [meta run="${i}"] processed item ${i} ${'y'.repeat(60)}`,
    );
    expect(lines.reduce((n, l) => n + Buffer.byteLength(l), 0)).toBeGreaterThan(1024 * 1024);
    const result = await handler(dataMessage(lines));
    expect(result).toMatchObject({ received: 6000, processed: 6000, deadLettered: 0 });
    expectAccounted(result);
    const events = forwarded();
    expect(events).toHaveLength(6000);
    expect(new Set(events.map((e) => e.source.parser))).toEqual(new Set(['json', 'access', 'syslog5424']));
    expect(outcome('received')).toBe(6000);
  });

  it('retries alerts the bus refuses, then dead-letters their events', async () => {
    const { handler, forwarded } = aggregator();
    eventBridge.failWhen = 'payment';
    const result = await handler(
      dataMessage([
        JSON.stringify({ level: 'ERROR', service: 'payment', msg: 'card declined' }),
        JSON.stringify({ level: 'ERROR', service: 'search', msg: 'index missing' }),
        JSON.stringify({ level: 'INFO', msg: 'fine' }),
      ]),
    );
    expect(result).toMatchObject({ received: 3, processed: 2, deadLettered: 1, alerts: 1 });
    expect(eventBridge.calls).toEqual([2, 1, 1]);
    expect(forwarded().map((e) => e.message)).toEqual(['index missing', 'fine']);
    const letters = await drainDlq();
    expect(letters).toEqual([
      {
        reason: 'alert_failed: detect_errors: InternalFailure: stand-in refused the entry',
        logGroup: '/aws/lambda/maif-search',
        logStream: expect.any(String),
        event: {
          id: expect.any(String),
          timestamp: expect.any(Number),
          message: expect.stringContaining('card declined'),
        },
      },
    ]);
  });

  it('batches alerts by ten per PutEvents call', async () => {
    const { handler } = aggregator();
    const lines = Array.from({ length: 23 }, (_, i) =>
      JSON.stringify({ level: 'ERROR', service: `svc-${i}`, msg: 'x' }),
    );
    const result = await handler(dataMessage(lines));
    expect(result.alerts).toBe(23);
    expect(eventBridge.calls).toEqual([10, 10, 3]);
  });

  it('dead-letters lines the configured parser cannot read, splitting one over the SQS limit', async () => {
    const { handler, forwarded } = aggregator({
      sources: [{ name: 'access_logs', path: '/ecs/nginx-*', parser: 'nginx' }],
    });
    const huge = `garbage ${'g'.repeat(300 * 1024)}`;
    const result = await handler(
      dataMessage(['1.2.3.4 - - [01/Jan/2024:00:00:00 +0000] "GET / HTTP/1.1" 200 5', 'not an access line', huge], {
        logGroup: '/ecs/nginx-edge',
      }),
    );
    expect(result).toMatchObject({ received: 3, processed: 1, deadLettered: 2 });
    expect(forwarded()[0]).toMatchObject({ source: { parser: 'access', name: 'access_logs' }, status: 200 });
    const letters = await drainDlq();
    const small = letters.filter((l) => l.part === undefined);
    const parts = letters.filter((l) => l.part !== undefined) as {
      part: { index: number; count: number };
      event: { message: string };
    }[];
    expect(small).toEqual([expect.objectContaining({ reason: 'parse_failed: line is not nginx' })]);
    expect(parts.length).toBe(2);
    parts.sort((a, b) => a.part.index - b.part.index);
    expect(parts.map((p) => p.event.message).join('')).toBe(huge);
  });

  it('skips its own log group, so it never feeds on its output', async () => {
    const { handler, forwarded } = aggregator();
    const result = await handler(dataMessage(['{"level":"ERROR"}'], { logGroup: '/aws/lambda/maif-log-aggregator' }));
    expect(result).toMatchObject({ received: 0, skipped: 1 });
    expect(forwarded()).toEqual([]);
    expect(eventBridge.entries).toEqual([]);
  });

  it('fails the invocation, writing nothing, when the dead-letter queue is unreachable', async () => {
    const unreachable = new SQSClient({ region, credentials, endpoint: 'http://127.0.0.1:9', maxAttempts: 1 });
    const { handler, written } = aggregator({ sqsClient: unreachable });
    await expect(handler(corruptMessages.notGzip())).rejects.toThrow(
      /dead-letter queue refused 1 of 1 message\(s\) after 3 attempts/,
    );
    expect(written).toEqual([]);
    unreachable.destroy();
  });
});
