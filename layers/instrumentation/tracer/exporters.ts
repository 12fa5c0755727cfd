/**
 * Trace exporters beside X-Ray: finished spans in the Zipkin v2 JSON shape (`zipkin-span.ts`),
 * written as one JSON line each (`consoleExporter`) or POSTed in batches to a Zipkin v2 endpoint
 * (`zipkinExporter`; Jaeger's collector takes the same JSON on its Zipkin port, :9411/api/v2/spans).
 *
 * `export(span)` only queues: the queue is bounded (beyond it spans are dropped and counted), a
 * batch goes out when it is full or on an unref'd timer, one request at a time with a timeout,
 * and nothing here awaits on the handler's path, throws or rejects. `flush(timeoutMs)` sends
 * what is queued and resolves by the deadline whatever the receiver does.
 * `exportersFromConfig` maps the configuration's `tracing.exporters` list to exporters.
 */
import type { ZipkinSpan } from './zipkin-span';

export interface ExporterStats {
  /** Spans written (console) or accepted by the receiver (a 2xx answer). */
  readonly exported: number;
  /** Spans dropped before sending: the queue was full. */
  readonly dropped: number;
  /** Spans in batches that failed: network error, timeout, non-2xx answer, failing write. */
  readonly failed: number;
  /** Spans waiting in the queue now. */
  readonly queued: number;
}

/** What the Tracer hands finished spans to. Neither method throws; `flush` never rejects. */
export interface TraceExporter {
  readonly name: string;
  /** Takes one finished span; returns at once (no I/O awaited). */
  export(span: ZipkinSpan): void;
  /** Sends what is queued; resolves when done or after `timeoutMs`, whichever comes first. */
  flush(timeoutMs?: number): Promise<void>;
  stats(): ExporterStats;
}

/** Spans held in memory per exporter; beyond, new spans are dropped and counted. */
export const DEFAULT_MAX_QUEUE_SIZE = 1000;
/** Spans per request. */
export const DEFAULT_MAX_BATCH_SIZE = 100;
/** A partial batch waits at most this long before it is sent. */
export const DEFAULT_FLUSH_INTERVAL_MS = 1000;
/** One request's deadline (`AbortSignal.timeout`). */
export const DEFAULT_REQUEST_TIMEOUT_MS = 2000;
/** `flush()`'s deadline when none is given: short, as `instrument()` waits for it before the invocation returns. */
export const DEFAULT_FLUSH_TIMEOUT_MS = 500;

// biome-ignore lint/suspicious/noExplicitAny: matches any fetch signature (undici's, the DOM's, node-fetch's)
type FetchFn = (input: string, init: any) => Promise<{ ok: boolean; status: number; text(): Promise<string> }>;

/** Where the console exporter writes. */
export interface LineStream {
  write(chunk: string): unknown;
}

export interface ZipkinExporterOptions {
  /** The Zipkin v2 JSON endpoint: `http://zipkin:9411/api/v2/spans` (Jaeger: `http://jaeger-collector:9411/api/v2/spans`). */
  readonly endpoint: string;
  /** `localEndpoint.serviceName` of every span. @default - the tracer's service */
  readonly serviceName?: string;
  /** @default DEFAULT_MAX_QUEUE_SIZE */
  readonly maxQueueSize?: number;
  /** @default DEFAULT_MAX_BATCH_SIZE */
  readonly maxBatchSize?: number;
  /** @default DEFAULT_FLUSH_INTERVAL_MS */
  readonly flushIntervalMs?: number;
  /** @default DEFAULT_REQUEST_TIMEOUT_MS */
  readonly requestTimeoutMs?: number;
  /** Extra request headers (an auth token for a hosted collector). */
  readonly headers?: Readonly<Record<string, string>>;
  /** @default globalThis.fetch */
  readonly fetch?: FetchFn;
  /** Receives the exporter's warnings, each kind at most once. @default - one JSON line on stderr */
  readonly warn?: (message: string) => void;
}

export interface ConsoleExporterOptions {
  /** @default process.stdout */
  readonly stream?: LineStream;
  /** `localEndpoint.serviceName` of every span. @default - the tracer's service */
  readonly serviceName?: string;
  /** @default - one JSON line on stderr */
  readonly warn?: (message: string) => void;
}

function defaultWarn(message: string): void {
  process.stderr.write(`${JSON.stringify({ level: 'WARN', event: 'maif_obs_trace_exporter_warning', message })}\n`);
}

/** Calls `warn`; a failing warn function must not reach the handler. */
function sayTo(warn: (message: string) => void, message: string): void {
  try {
    warn(message);
  } catch {
    // ignored: telemetry never throws into the handler
  }
}

/** A warn function that says each kind of problem once and never throws. */
function onceWarner(warn: (message: string) => void): (key: string, message: string) => void {
  const seen = new Set<string>();
  return (key, message) => {
    if (seen.has(key)) return;
    seen.add(key);
    sayTo(warn, message);
  };
}

function positiveInt(owner: string, field: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1) {
    throw new Error(`${owner} ${field}: ${String(value)} is not allowed (use a whole number, 1 or more)`);
  }
  return value;
}

/** Why an endpoint cannot take Zipkin JSON; `jaegerThrift` when it is Jaeger's Thrift endpoint (a `jaeger` entry there is skipped, not an error). */
interface EndpointProblem {
  readonly message: string;
  readonly jaegerThrift: boolean;
}

/** The problem with a Zipkin v2 endpoint, or undefined when it is an http(s) URL that can take Zipkin JSON. */
export function zipkinEndpointProblem(endpoint: unknown): EndpointProblem | undefined {
  let url: URL;
  try {
    url = new URL(String(endpoint));
  } catch {
    return {
      message: `'${String(endpoint)}' is not a URL (use e.g. http://zipkin:9411/api/v2/spans)`,
      jaegerThrift: false,
    };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return {
      message: `'${String(endpoint)}' is not an http(s) URL (use e.g. http://zipkin:9411/api/v2/spans)`,
      jaegerThrift: false,
    };
  }
  if (/\/api\/traces\/?$/.test(url.pathname)) {
    return {
      message:
        `'${String(endpoint)}' is Jaeger's Thrift endpoint, which takes no Zipkin JSON ` +
        `(use the collector's Zipkin-compatible endpoint, e.g. http://${url.hostname}:9411/api/v2/spans)`,
      jaegerThrift: true,
    };
  }
  return undefined;
}

const withService = (span: ZipkinSpan, serviceName: string | undefined): ZipkinSpan =>
  serviceName === undefined ? span : { ...span, localEndpoint: { serviceName } };

/** Resolves when `promise` settles or after `ms`, whichever comes first; never rejects. NaN or a negative `ms` means "do not wait". */
export function bounded(promise: Promise<unknown>, ms: number): Promise<void> {
  return new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, Number.isFinite(ms) && ms > 0 ? ms : 0);
    timer.unref();
    promise.then(
      () => {
        clearTimeout(timer);
        resolve();
      },
      () => {
        clearTimeout(timer);
        resolve();
      },
    );
  });
}

/** Zipkin v2 JSON over HTTP, batched and bounded in memory. */
class ZipkinHttpExporter implements TraceExporter {
  readonly name = 'zipkin';
  readonly #endpoint: string;
  readonly #serviceName: string | undefined;
  readonly #maxQueue: number;
  readonly #maxBatch: number;
  readonly #intervalMs: number;
  readonly #requestTimeoutMs: number;
  readonly #headers: Record<string, string>;
  readonly #fetch: FetchFn | undefined;
  readonly #warnOnce: (key: string, message: string) => void;
  #queue: ZipkinSpan[] = [];
  #timer: NodeJS.Timeout | undefined;
  #timerDue = 0;
  #pumping: Promise<void> | undefined;
  #exported = 0;
  #dropped = 0;
  #failed = 0;

  constructor(options: ZipkinExporterOptions) {
    const owner = 'zipkinExporter';
    if (options === null || typeof options !== 'object') {
      throw new Error(`${owner} options: ${String(options)} is not an object (pass { endpoint })`);
    }
    const problem = zipkinEndpointProblem(options.endpoint);
    if (problem !== undefined) throw new Error(`${owner} endpoint: ${problem.message}`);
    this.#endpoint = String(options.endpoint);
    this.#serviceName = options.serviceName || undefined;
    this.#maxQueue = positiveInt(owner, 'maxQueueSize', options.maxQueueSize, DEFAULT_MAX_QUEUE_SIZE);
    this.#maxBatch = positiveInt(owner, 'maxBatchSize', options.maxBatchSize, DEFAULT_MAX_BATCH_SIZE);
    this.#intervalMs = positiveInt(owner, 'flushIntervalMs', options.flushIntervalMs, DEFAULT_FLUSH_INTERVAL_MS);
    this.#requestTimeoutMs = positiveInt(
      owner,
      'requestTimeoutMs',
      options.requestTimeoutMs,
      DEFAULT_REQUEST_TIMEOUT_MS,
    );
    this.#headers = { ...options.headers, 'content-type': 'application/json' };
    // Read once; a missing fetch (Node < 18) is reported on the first send, not here.
    this.#fetch = options.fetch ?? (globalThis.fetch as unknown as FetchFn | undefined);
    this.#warnOnce = onceWarner(options.warn ?? defaultWarn);
  }

  export(span: ZipkinSpan): void {
    try {
      if (this.#queue.length >= this.#maxQueue) {
        this.#dropped++;
        this.#warnOnce(
          'full',
          `zipkin exporter: more than ${this.#maxQueue} spans waiting for ${this.#endpoint}, new spans are dropped`,
        );
        return;
      }
      this.#queue.push(withService(span, this.#serviceName));
      this.#schedule(this.#queue.length >= this.#maxBatch ? 0 : this.#intervalMs);
    } catch (error) {
      this.#dropped++;
      this.#warnOnce('export', `zipkin exporter: a span could not be queued: ${String(error)}`);
    }
  }

  flush(timeoutMs: number = DEFAULT_FLUSH_TIMEOUT_MS): Promise<void> {
    if (this.#queue.length === 0 && this.#pumping === undefined) return Promise.resolve();
    this.#clearTimer();
    return bounded(this.#sendAll(), timeoutMs);
  }

  /**
   * Pumps until nothing is queued. A flush() can join a run whose #drain already ended while its
   * span was queued after that end: joining alone would leave the span for the next timer.
   */
  async #sendAll(): Promise<void> {
    while (this.#pumping !== undefined || this.#queue.length > 0) await this.#pump();
  }

  stats(): ExporterStats {
    return { exported: this.#exported, dropped: this.#dropped, failed: this.#failed, queued: this.#queue.length };
  }

  /** Arms the send timer (unref'd: it never keeps a process alive), sooner if `delayMs` asks for it. */
  #schedule(delayMs: number): void {
    // Timers are armed for 0 or the interval, so an armed one fires no later than this would:
    // most export() calls return here without reading the clock.
    if (this.#timer !== undefined && delayMs >= this.#intervalMs) return;
    const due = Date.now() + delayMs;
    if (this.#timer !== undefined && this.#timerDue <= due) return;
    this.#clearTimer();
    this.#timerDue = due;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.#pump();
    }, delayMs);
    this.#timer.unref();
  }

  #clearTimer(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** Sends batches until the queue is empty, one request at a time; the running pump when there is one. */
  #pump(): Promise<void> {
    if (this.#pumping !== undefined) return this.#pumping;
    const run = this.#drain();
    this.#pumping = run;
    // Cleared after the assignment above, even when #drain had nothing to do. Re-armed: a timer that
    // fired between #drain's end and here joined this finished run and left its spans queued.
    void run.then(() => {
      if (this.#pumping === run) this.#pumping = undefined;
      if (this.#queue.length > 0) this.#schedule(this.#intervalMs);
    });
    return run;
  }

  async #drain(): Promise<void> {
    while (this.#queue.length > 0) {
      const batch = this.#queue.splice(0, this.#maxBatch);
      await this.#post(batch);
    }
  }

  /** One request; never rejects: failures are counted and warned about once per kind. */
  async #post(batch: ZipkinSpan[]): Promise<void> {
    const fetchFn = this.#fetch;
    if (typeof fetchFn !== 'function') {
      this.#failed += batch.length;
      this.#warnOnce('no-fetch', 'zipkin exporter: no global fetch (Node 18 or later needed), spans are not sent');
      return;
    }
    try {
      const response = await fetchFn(this.#endpoint, {
        method: 'POST',
        headers: this.#headers,
        body: JSON.stringify(batch),
        signal: AbortSignal.timeout(this.#requestTimeoutMs),
      });
      const body = await response.text().catch(() => '');
      if (response.ok) {
        this.#exported += batch.length;
        return;
      }
      this.#failed += batch.length;
      this.#warnOnce(
        `status:${response.status}`,
        `zipkin exporter: ${this.#endpoint} answered ${response.status} (${body.slice(0, 200).replace(/\s+/g, ' ')}), ${batch.length} spans lost`,
      );
    } catch (error) {
      this.#failed += batch.length;
      const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      this.#warnOnce(`error:${reason}`, `zipkin exporter: POST ${this.#endpoint} failed (${reason}), spans lost`);
    }
  }
}

/** One JSON line per span (the Zipkin shape), written as the span ends: for local debugging. */
class ConsoleExporter implements TraceExporter {
  readonly name = 'console';
  readonly #stream: LineStream;
  readonly #serviceName: string | undefined;
  readonly #warnOnce: (key: string, message: string) => void;
  #exported = 0;
  #failed = 0;

  constructor(options: ConsoleExporterOptions) {
    this.#stream = options.stream ?? process.stdout;
    if (typeof this.#stream?.write !== 'function') {
      throw new Error(`consoleExporter stream: ${String(options.stream)} has no write() (pass a writable stream)`);
    }
    this.#serviceName = options.serviceName || undefined;
    this.#warnOnce = onceWarner(options.warn ?? defaultWarn);
  }

  export(span: ZipkinSpan): void {
    try {
      this.#stream.write(`${JSON.stringify(withService(span, this.#serviceName))}\n`);
      this.#exported++;
    } catch (error) {
      this.#failed++;
      this.#warnOnce('write', `console exporter: a span could not be written: ${String(error)}`);
    }
  }

  flush(): Promise<void> {
    return Promise.resolve();
  }

  stats(): ExporterStats {
    return { exported: this.#exported, dropped: 0, failed: this.#failed, queued: 0 };
  }
}

/** Zipkin v2 JSON POSTed in batches to `endpoint` (Zipkin, or Jaeger's collector on :9411/api/v2/spans). */
export function zipkinExporter(options: ZipkinExporterOptions): TraceExporter {
  return new ZipkinHttpExporter(options);
}

/** One JSON line per span on stdout (or `stream`). */
export function consoleExporter(options: ConsoleExporterOptions = {}): TraceExporter {
  return new ConsoleExporter(options);
}

/** An entry of the configuration's `tracing.exporters` (domain/config/schema.ts). */
export type ExporterConfig =
  | { readonly type: 'xray' | 'console'; readonly enabled?: boolean }
  | { readonly type: 'jaeger' | 'zipkin' | 'otlp'; readonly endpoint: string; readonly enabled?: boolean };

export const EXPORTER_TYPES = ['xray', 'console', 'jaeger', 'zipkin', 'otlp'] as const;

export interface ExportersFromConfigOptions {
  /** `localEndpoint.serviceName`. @default - the tracer's service */
  readonly serviceName?: string;
  /** Receives why an entry was skipped. @default - one JSON line on stderr */
  readonly warn?: (message: string) => void;
  /** For the HTTP exporters. @default globalThis.fetch */
  readonly fetch?: FetchFn;
  /** For the console exporter. @default process.stdout */
  readonly stream?: LineStream;
}

/**
 * The exporters for the configuration's `tracing.exporters`, beside X-Ray (which the Tracer
 * always feeds): `console` -> consoleExporter; `zipkin` and `jaeger` -> zipkinExporter to the
 * endpoint. Skipped with a warning: disabled entries (silently), `xray` with `enabled: false`
 * (X-Ray cannot be turned off here: use AWS_XRAY_SDK_ENABLED), `jaeger` at the Thrift endpoint
 * `/api/traces`, and `otlp` (not supported yet). A malformed entry throws, naming it.
 */
export function exportersFromConfig(
  list: readonly ExporterConfig[] | undefined,
  options: ExportersFromConfigOptions = {},
): TraceExporter[] {
  if (list === undefined) return [];
  if (!Array.isArray(list)) {
    throw new Error(`tracing.exporters: ${String(list)} is not a list (use e.g. [{ type: 'xray' }])`);
  }
  const warn = options.warn ?? defaultWarn;
  const say = (message: string) => sayTo(warn, message);
  const exporters: TraceExporter[] = [];
  list.forEach((entry, index) => {
    const at = `tracing.exporters[${index}]`;
    if (entry === null || typeof entry !== 'object') {
      throw new Error(`${at}: ${String(entry)} is not an exporter (use an object with a type)`);
    }
    const type = (entry as { type?: unknown }).type;
    if (!(EXPORTER_TYPES as readonly unknown[]).includes(type)) {
      throw new Error(`${at}.type: '${String(type)}' is not an exporter type (use ${EXPORTER_TYPES.join(', ')})`);
    }
    const enabled = entry.enabled ?? true;
    if (type === 'xray') {
      if (!enabled)
        say(`${at}: xray cannot be disabled here, spans still go to X-Ray (set AWS_XRAY_SDK_ENABLED=false)`);
      return;
    }
    if (!enabled) return;
    if (type === 'console') {
      exporters.push(consoleExporter({ stream: options.stream, serviceName: options.serviceName, warn }));
      return;
    }
    if (type === 'otlp') {
      say(`${at}: otlp is not supported yet, skipped (use zipkin, or an OpenTelemetry collector's zipkin receiver)`);
      return;
    }
    const endpoint = (entry as { endpoint?: unknown }).endpoint;
    const problem = zipkinEndpointProblem(endpoint);
    if (problem?.jaegerThrift && type === 'jaeger') {
      say(`${at}.endpoint: ${problem.message}; skipped`);
      return;
    }
    if (problem !== undefined) throw new Error(`${at}.endpoint: ${problem.message}`);
    exporters.push(
      zipkinExporter({ endpoint: String(endpoint), serviceName: options.serviceName, fetch: options.fetch, warn }),
    );
  });
  return exporters;
}
