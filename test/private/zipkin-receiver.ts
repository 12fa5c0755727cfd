/**
 * A loopback Zipkin v2 collector: `POST /api/v2/spans` with a JSON array of spans, checked
 * against the Zipkin v2 span schema (zipkin-api `zipkin2-api.yaml`): 202 when every span is
 * valid, 400 with the reasons otherwise. The schema is checked here, never by the exporter.
 *
 *   const receiver = await startZipkinReceiver();           // or { mode: 'fail' | 'hang' }
 *   zipkinExporter({ endpoint: receiver.endpoint });
 *   ... receiver.spans, receiver.rejections ...
 *   await receiver.close();
 *
 * `fail` answers 500 to everything; `hang` reads the request and never answers.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export const ZIPKIN_SPANS_PATH = '/api/v2/spans';

const TRACE_ID = /^([0-9a-f]{16}|[0-9a-f]{32})$/;
const SPAN_ID = /^[0-9a-f]{16}$/;
const KINDS = new Set(['CLIENT', 'SERVER', 'PRODUCER', 'CONSUMER']);
const FIELDS = new Set([
  'traceId',
  'id',
  'parentId',
  'name',
  'kind',
  'timestamp',
  'duration',
  'debug',
  'shared',
  'localEndpoint',
  'remoteEndpoint',
  'annotations',
  'tags',
]);
const ENDPOINT_FIELDS = new Set(['serviceName', 'ipv4', 'ipv6', 'port']);

/** A span as the receiver stored it (after validation). */
export interface ReceivedSpan {
  readonly traceId: string;
  readonly id: string;
  readonly parentId?: string;
  readonly name: string;
  readonly kind?: string;
  readonly timestamp: number;
  readonly duration: number;
  readonly localEndpoint: { readonly serviceName: string };
  readonly remoteEndpoint?: { readonly serviceName: string };
  readonly tags: Readonly<Record<string, string>>;
  readonly annotations?: ReadonlyArray<{ readonly timestamp: number; readonly value: string }>;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const isMicros = (value: unknown): boolean => Number.isSafeInteger(value) && (value as number) > 0;

function checkEndpoint(value: unknown, at: string, errors: string[], required: boolean): void {
  if (value === undefined) {
    if (required) errors.push(`${at}: missing`);
    return;
  }
  if (!isObject(value)) {
    errors.push(`${at}: not an object`);
    return;
  }
  for (const key of Object.keys(value)) if (!ENDPOINT_FIELDS.has(key)) errors.push(`${at}.${key}: unknown field`);
  if (typeof value.serviceName !== 'string' || value.serviceName === '') errors.push(`${at}.serviceName: missing`);
}

/** Problems with one span (empty when it matches the Zipkin v2 schema). */
export function validateZipkinSpan(span: unknown, at = 'span'): string[] {
  const errors: string[] = [];
  if (!isObject(span)) return [`${at}: not an object`];
  for (const key of Object.keys(span)) if (!FIELDS.has(key)) errors.push(`${at}.${key}: unknown field`);
  if (typeof span.traceId !== 'string' || !TRACE_ID.test(span.traceId)) {
    errors.push(`${at}.traceId: '${String(span.traceId)}' is not 16 or 32 lower-case hex`);
  }
  if (typeof span.id !== 'string' || !SPAN_ID.test(span.id)) {
    errors.push(`${at}.id: '${String(span.id)}' is not 16 lower-case hex`);
  }
  if (span.parentId !== undefined && (typeof span.parentId !== 'string' || !SPAN_ID.test(span.parentId))) {
    errors.push(`${at}.parentId: '${String(span.parentId)}' is not 16 lower-case hex`);
  }
  if (span.parentId !== undefined && span.parentId === span.id) errors.push(`${at}.parentId: equals its own id`);
  if (typeof span.name !== 'string' || span.name === '') errors.push(`${at}.name: missing`);
  if (span.kind !== undefined && !KINDS.has(span.kind as string)) errors.push(`${at}.kind: '${String(span.kind)}'`);
  if (!isMicros(span.timestamp)) errors.push(`${at}.timestamp: ${String(span.timestamp)} is not integer µs`);
  if (!isMicros(span.duration)) errors.push(`${at}.duration: ${String(span.duration)} is not integer µs >= 1`);
  checkEndpoint(span.localEndpoint, `${at}.localEndpoint`, errors, true);
  checkEndpoint(span.remoteEndpoint, `${at}.remoteEndpoint`, errors, false);
  if (span.tags !== undefined) {
    if (!isObject(span.tags)) errors.push(`${at}.tags: not an object`);
    else {
      for (const [key, value] of Object.entries(span.tags)) {
        if (typeof value !== 'string') errors.push(`${at}.tags.${key}: ${typeof value}, not a string`);
      }
    }
  }
  if (span.annotations !== undefined) {
    if (!Array.isArray(span.annotations)) errors.push(`${at}.annotations: not a list`);
    else {
      span.annotations.forEach((annotation: unknown, i: number) => {
        if (!isObject(annotation) || !isMicros(annotation.timestamp) || typeof annotation.value !== 'string') {
          errors.push(`${at}.annotations[${i}]: not { timestamp: integer µs, value: string }`);
        }
      });
    }
  }
  return errors;
}

/** Problems with a request body (empty when it is a JSON array of valid spans). */
export function validateZipkinBody(body: unknown): string[] {
  if (!Array.isArray(body)) return ['body: not a JSON array of spans'];
  return body.flatMap((span, i) => validateZipkinSpan(span, `[${i}]`));
}

export type ReceiverMode = 'accept' | 'fail' | 'hang';

export interface ZipkinReceiver {
  /** `http://127.0.0.1:<port>/api/v2/spans` */
  readonly endpoint: string;
  /** Spans of accepted requests, in arrival order. */
  readonly spans: ReceivedSpan[];
  /** Spans per accepted request. */
  readonly batches: number[];
  /** The reasons of each 400. */
  readonly rejections: string[][];
  /** Requests received, whatever the answer. */
  requests(): number;
  close(): Promise<void>;
}

export async function startZipkinReceiver(options: { mode?: ReceiverMode } = {}): Promise<ZipkinReceiver> {
  const mode = options.mode ?? 'accept';
  const spans: ReceivedSpan[] = [];
  const batches: number[] = [];
  const rejections: string[][] = [];
  let requests = 0;
  const server: Server = createServer((req, res) => {
    requests++;
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      if (mode === 'hang') return;
      const answer = (status: number, body = '') => {
        res.writeHead(status, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(body) });
        res.end(body);
      };
      if (mode === 'fail') return answer(500, 'collector down');
      if (req.method !== 'POST' || req.url !== ZIPKIN_SPANS_PATH)
        return answer(404, `no route ${req.method} ${req.url}`);
      if (!String(req.headers['content-type']).startsWith('application/json')) {
        rejections.push(['content-type: not application/json']);
        return answer(415, 'content-type must be application/json');
      }
      let body: unknown;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch (error) {
        rejections.push([`body: not JSON (${String(error)})`]);
        return answer(400, 'body: not JSON');
      }
      const errors = validateZipkinBody(body);
      if (errors.length > 0) {
        rejections.push(errors);
        return answer(400, errors.join('\n'));
      }
      spans.push(...(body as ReceivedSpan[]));
      batches.push((body as unknown[]).length);
      return answer(202);
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}${ZIPKIN_SPANS_PATH}`,
    spans,
    batches,
    rejections,
    requests: () => requests,
    close: () =>
      new Promise<void>((done) => {
        server.close(() => done());
        server.closeAllConnections(); // a hanging request must not keep the server open
      }),
  };
}

/** A loopback URL on which nothing listens (a port that was bound, then released). */
export async function closedEndpoint(): Promise<string> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((done) => server.close(() => done()));
  return `http://127.0.0.1:${port}${ZIPKIN_SPANS_PATH}`;
}
