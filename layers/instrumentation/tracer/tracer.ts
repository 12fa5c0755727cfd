/**
 * `Tracer`: spans as X-Ray subsegments, kept in an AsyncLocalStorage, sent by the X-Ray SDK's
 * UDP emitter to the daemon (`AWS_XRAY_DAEMON_ADDRESS`).
 *
 * - In Lambda (`LAMBDA_TASK_ROOT` set) the function's segment is Lambda's: each root span is a
 *   subsegment of a facade built from `_X_AMZN_TRACE_ID`, streamed as its own packet with the
 *   header's parent id; `Sampled=0` sends nothing. Sampling was decided upstream.
 * - Elsewhere a root span opens a segment named after the service (continuing `parent` when
 *   given) and the span is its first subsegment; the segment is sent whole when it closes.
 *   Sampling is decided here, per priority.
 *
 * Construction reads the environment once; nothing is loaded, sent or scheduled until the first
 * span. Telemetry never throws into the handler: a failing tracer passes a no-op span.
 */

import { AsyncLocalStorage } from 'node:async_hooks';
import { INSTRUMENTATION_ENV as ENV } from '../environment';
import type { TracerApi } from '../types';
import { type CaptureHost, captureAWSv3Client, captureFetch, type FetchLike } from './capture';
import {
  bounded,
  DEFAULT_FLUSH_TIMEOUT_MS,
  type ExporterConfig,
  exportersFromConfig,
  type TraceExporter,
} from './exporters';
import { parseXRayHeader, type TraceContext } from './formats';
import { w3cToXRayTraceId } from './ids';
import {
  checkFormats,
  DEFAULT_PROPAGATION_FORMATS,
  extract,
  type HeaderSource,
  type HeaderTarget,
  inject,
  type PropagationFormat,
} from './propagation';
import {
  checkSamplingRates,
  DEFAULT_RESERVOIR_PER_SECOND,
  DEFAULT_SAMPLING_RATES,
  LocalSampler,
  localSamplingRules,
  parseSamplingEnv,
  SAMPLING_PRIORITY_ANNOTATION,
  type SamplingRates,
  samplingUrlPath,
} from './sampling';
import { loadSdk, type SdkEntity, type XRaySdk } from './sdk';
import { NoopSpan, type SpanHooks, type TracerSpan, XRaySpan } from './span';
import { type RecordedEntity, toZipkinSpan } from './zipkin-span';

export interface TracerOptions {
  /** The segment name outside Lambda and the sampling rules' service. @default - MAIF_SERVICE, AWS_LAMBDA_FUNCTION_NAME, then 'service' */
  readonly service?: string;
  /** Part of the sampling URL path (`/maif/sampling/<environment>/<priority>`). @default - MAIF_ENVIRONMENT, then 'default' */
  readonly environment?: string;
  /** Rate by priority, `default` required. @default - MAIF_TRACE_SAMPLING (JSON), then DEFAULT_SAMPLING_RATES */
  readonly sampling?: SamplingRates;
  /** Traces per second per priority taken before the rate applies (outside Lambda). @default 1 */
  readonly reservoir?: number;
  /**
   * Outside Lambda, ask the SDK's centralized sampler (the stack's X-Ray sampling rules, polled
   * through the daemon; our rates as the fallback) instead of deciding locally. Starts the SDK's
   * two unref'd poll timers on the first root span. @default false
   */
  readonly centralizedSampling?: boolean;
  /** Header formats, in the order `extract` tries them; `inject` writes all. @default ['xray', 'w3c'] */
  readonly propagation?: { readonly formats?: readonly PropagationFormat[] };
  /** @default - true unless AWS_XRAY_SDK_ENABLED is 'false' */
  readonly enabled?: boolean;
  /** Lambda mode (facade segment). @default - true when LAMBDA_TASK_ROOT is set */
  readonly lambda?: boolean;
  /** Receives the tracer's warnings (each at most once). @default - one JSON line on stderr */
  readonly warn?: (message: string) => void;
  /** Where environment variables are read (the Lambda trace header on each root span, the rest once). @default process.env */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Uniform in [0, 1), for the local sampling decision. @default Math.random */
  readonly random?: () => number;
  /**
   * Exporters that also receive each finished sampled span, as a Zipkin v2 span (`zipkinExporter`,
   * `consoleExporter`, `exportersFromConfig`). X-Ray gets the spans either way.
   * @default - from MAIF_TRACE_EXPORTERS (JSON, the configuration's `tracing.exporters` as `instrumentFunction` writes it), else none
   */
  readonly exporters?: readonly TraceExporter[];
  /** How long `flush()` (and so `instrument()` at the end of an invocation) waits for the exporters. @default DEFAULT_FLUSH_TIMEOUT_MS (500) */
  readonly flushTimeoutMs?: number;
}

export interface SpanOptions {
  /** Sampling priority of a root span (ignored on a child: the trace already has one). @default - the `withPriority` around the call, then 'default' */
  readonly priority?: string;
  /** A remote parent (from `extract`) for a root span outside Lambda. In Lambda the parent is Lambda's segment. */
  readonly parent?: TraceContext;
  /** Annotations set when the span starts. */
  readonly annotations?: Readonly<Record<string, string | number | boolean>>;
}

/** `openSpan`'s span: `restore()` puts back the context that was active before it. */
export type OpenedSpan = TracerSpan & { restore(): void };

interface Store {
  readonly span?: XRaySpan;
  readonly priority?: string;
}

const EMPTY_STORE: Store = {};
const DEFAULT_PRIORITY = 'default';

function defaultWarn(message: string): void {
  process.stderr.write(`${JSON.stringify({ level: 'WARN', event: 'maif_obs_tracer_warning', message })}\n`);
}

type Facade = SdkEntity & { facade: true };

export class Tracer implements TracerApi, CaptureHost {
  readonly service: string;
  readonly environment: string;
  readonly enabled: boolean;
  readonly lambda: boolean;
  readonly sampling: SamplingRates;
  readonly formats: readonly PropagationFormat[];
  readonly #als = new AsyncLocalStorage<Store>();
  readonly #env: Readonly<Record<string, string | undefined>>;
  readonly #warn: (message: string) => void;
  readonly #warned = new Set<string>();
  readonly #sampler: LocalSampler;
  readonly #centralized: boolean;
  readonly #reservoir: number;
  readonly #hooks: SpanHooks;
  readonly #exporters: readonly TraceExporter[];
  readonly #flushTimeoutMs: number;
  #sdk: XRaySdk | undefined;
  #facade: { header: string; segment: Facade } | undefined;
  #centralizedReady = false;
  #dropped = 0;

  constructor(options: TracerOptions = {}) {
    const env = options.env ?? process.env;
    this.#env = env;
    this.#warn = options.warn ?? defaultWarn;
    this.service = options.service || env[ENV.service] || env.AWS_LAMBDA_FUNCTION_NAME || 'service';
    this.environment = options.environment || env[ENV.environment] || 'default';
    this.enabled = options.enabled ?? env.AWS_XRAY_SDK_ENABLED?.toLowerCase() !== 'false';
    this.lambda = options.lambda ?? env.LAMBDA_TASK_ROOT !== undefined;
    this.formats = options.propagation?.formats
      ? checkFormats(options.propagation.formats)
      : DEFAULT_PROPAGATION_FORMATS;
    this.sampling = this.#readRates(options.sampling, env[ENV.traceSampling]);
    const reservoir = options.reservoir ?? DEFAULT_RESERVOIR_PER_SECOND;
    if (!Number.isInteger(reservoir) || reservoir < 0) {
      throw new Error(`Tracer reservoir: ${reservoir} is not allowed (use a whole number, 0 or more)`);
    }
    this.#reservoir = reservoir;
    this.#sampler = new LocalSampler(this.sampling, reservoir, options.random);
    this.#centralized = options.centralizedSampling ?? false;
    this.#exporters =
      options.exporters === undefined
        ? this.#readExporters(env[ENV.traceExporters])
        : checkExporters(options.exporters);
    const flushTimeoutMs = options.flushTimeoutMs ?? DEFAULT_FLUSH_TIMEOUT_MS;
    if (!Number.isInteger(flushTimeoutMs) || flushTimeoutMs < 1) {
      throw new Error(`Tracer flushTimeoutMs: ${flushTimeoutMs} is not allowed (use a whole number of ms, 1 or more)`);
    }
    this.#flushTimeoutMs = flushTimeoutMs;
    this.#hooks = {
      warnOnce: (key, message) => this.#warnOnce(key, message),
      dropped: () => {
        this.#dropped++;
      },
      ended: this.#exporters.length > 0 ? (entity, traceId, root) => this.#export(entity, traceId, root) : undefined,
    };
  }

  /** Spans and span data that could not be recorded since construction. */
  get dropped(): number {
    return this.#dropped;
  }

  /** True when spans also go to exporters besides X-Ray (there is something for `flush()` to send). */
  get exporting(): boolean {
    return this.#exporters.length > 0;
  }

  /**
   * Sends what the exporters hold; resolves when they are done or after `timeoutMs`, never rejects.
   * `instrument()` calls it at the end of each invocation.
   */
  flush(timeoutMs: number = this.#flushTimeoutMs): Promise<void> {
    if (this.#exporters.length === 0) return Promise.resolve();
    const pending = this.#exporters.map((exporter) => {
      try {
        return Promise.resolve(exporter.flush(timeoutMs)).catch(() => {});
      } catch {
        return Promise.resolve();
      }
    });
    // Bounded here too: a user's exporter may ignore the deadline, and the invocation waits for this.
    return bounded(Promise.all(pending), timeoutMs);
  }

  /** The span active in the current async context, if any. */
  activeSpan(): TracerSpan | undefined {
    return this.#als.getStore()?.span;
  }

  /**
   * Runs `fn` in a new span, active for everything `fn` starts (sync or async), and ends it when
   * `fn` returns or its promise settles. A thrown or rejected error is recorded (fault) and
   * rethrown; `fn`'s result is returned unchanged. With tracing off or no trace, `fn` gets a no-op span.
   */
  startActiveSpan<T>(name: string, fn: (span: TracerSpan) => T, options?: SpanOptions): T {
    const span = this.#open(name, options);
    if (!(span instanceof XRaySpan)) return fn(span);
    const store: Store = { span, priority: span.priority };
    let result: T;
    try {
      result = this.#als.run(store, fn, span);
    } catch (error) {
      span.recordError(error);
      span.end();
      throw error;
    }
    if (isThenable(result)) {
      try {
        // A side branch: the caller gets fn's own promise back, and sees its rejection as before.
        result.then(
          () => span.end(),
          (error: unknown) => {
            span.recordError(error);
            span.end();
          },
        );
      } catch (error) {
        this.#warnOnce('then', `span '${name}': the returned thenable's then() threw: ${String(error)}`);
        span.end();
      }
    } else {
      span.end();
    }
    return result;
  }

  /**
   * Opens a span and makes it active for the rest of the current async context, for callers that
   * cannot wrap a function (middy's `before` / `after`). End it, then call `restore()`.
   */
  openSpan(name: string, options?: SpanOptions): OpenedSpan {
    const span = this.#open(name, options);
    const previous = this.#als.getStore() ?? EMPTY_STORE;
    const restore = () => {
      if (span instanceof XRaySpan) this.#als.enterWith(previous);
    };
    if (span instanceof XRaySpan) this.#als.enterWith({ span, priority: span.priority });
    return Object.assign(span, { restore });
  }

  /** Runs `fn` with `priority` for the root spans it starts (the middleware's, for instance). */
  withPriority<T>(priority: string, fn: () => T): T {
    const store = this.#als.getStore();
    return this.#als.run({ span: store?.span, priority }, fn);
  }

  /** Trace id (X-Ray form) and span id of the active span; the invocation's trace id in Lambda otherwise. */
  currentIds(): { traceId?: string; spanId?: string } {
    const span = this.#als.getStore()?.span;
    if (span !== undefined) return { traceId: span.traceId, spanId: span.spanId };
    if (this.lambda) {
      const context = parseXRayHeader(this.#lambdaHeader());
      const traceId = context && w3cToXRayTraceId(context.traceId);
      if (traceId !== undefined) return { traceId };
    }
    return {};
  }

  /** The first valid context in `headers`, in the configured format order. */
  extract(headers: HeaderSource | undefined | null): TraceContext | undefined {
    return extract(headers, this.formats);
  }

  /** Writes the active span's context (or `context`) into `headers` in every configured format. */
  inject<T extends HeaderTarget>(headers: T, context?: TraceContext): T {
    const ctx = context ?? this.activeSpan()?.context();
    return ctx === undefined ? headers : inject(ctx, headers, this.formats);
  }

  /** Traces every call of an AWS SDK v3 client as an `aws` subsegment; returns the client. Idempotent. */
  captureAWSv3Client<C extends object>(client: C): C {
    return captureAWSv3Client(this, client);
  }

  /** A `fetch` that traces each request as a `remote` subsegment and sends the trace headers. */
  captureFetch<F extends FetchLike>(fetchImpl?: F): F {
    return captureFetch(this, fetchImpl ?? (globalThis.fetch as unknown as F));
  }

  /** @internal the SDK subsegment of the active span (captured calls hang theirs under it). */
  activeEntitySpan(): XRaySpan | undefined {
    const span = this.#als.getStore()?.span;
    return span !== undefined && !span.ended ? span : undefined;
  }

  /** @internal see CaptureHost */
  warnOnce(key: string, message: string): void {
    this.#warnOnce(key, message);
  }

  #open(name: string, options: SpanOptions | undefined): TracerSpan {
    const store = this.#als.getStore();
    const priority = store?.span?.priority ?? options?.priority ?? store?.priority ?? DEFAULT_PRIORITY;
    if (!this.enabled) return new NoopSpan(name, undefined, priority);
    try {
      const sdk = this.#loadSdk();
      if (sdk === undefined) return new NoopSpan(name, undefined, priority);
      const parent = store?.span;
      if (parent !== undefined) {
        const child = parent.entity.addNewSubsegment(String(name));
        return new XRaySpan(name, child, parent.traceId, this.#hooks, { priority, lineage: parent.context()?.lineage });
      }
      const span = this.lambda
        ? this.#openLambdaRoot(sdk, name, priority)
        : this.#openRoot(sdk, name, priority, options?.parent);
      if (span instanceof XRaySpan) {
        span.setAnnotation(SAMPLING_PRIORITY_ANNOTATION, priority);
        for (const [key, value] of Object.entries(options?.annotations ?? {})) span.setAnnotation(key, value);
      }
      return span;
    } catch (error) {
      this.#dropped++;
      this.#warnOnce('open', `span '${name}' could not be started: ${String(error)}`);
      return new NoopSpan(name, undefined, priority);
    }
  }

  #openLambdaRoot(sdk: XRaySdk, name: string, priority: string): TracerSpan {
    const header = this.#lambdaHeader();
    const context = parseXRayHeader(header);
    const traceId = context && w3cToXRayTraceId(context.traceId);
    if (context === undefined || traceId === undefined || header === undefined) {
      this.#warnOnce(
        'lambda-header',
        `no valid _X_AMZN_TRACE_ID (received '${String(header)}'): spans are not recorded`,
      );
      return new NoopSpan(name, undefined, priority);
    }
    let facade = this.#facade?.header === header ? this.#facade.segment : undefined;
    if (facade === undefined) {
      facade = newFacade(sdk, traceId, context);
      this.#facade = { header, segment: facade };
    }
    const subsegment = facade.addNewSubsegment(String(name));
    return new XRaySpan(name, subsegment, traceId, this.#hooks, { priority, lineage: context.lineage });
  }

  #openRoot(sdk: XRaySdk, name: string, priority: string, parent: TraceContext | undefined): TracerSpan {
    const sampled = parent?.sampled ?? (parent?.debug || this.#decide(sdk, priority));
    const rootId = parent ? w3cToXRayTraceId(parent.traceId) : undefined;
    const segment = new sdk.Segment(this.service, rootId, parent?.spanId);
    if (!sampled) segment.notTraced = true;
    const subsegment = segment.addNewSubsegment(String(name));
    return new XRaySpan(name, subsegment, segment.trace_id as string, this.#hooks, {
      priority,
      root: segment,
      lineage: parent?.lineage,
    });
  }

  #decide(sdk: XRaySdk, priority: string): boolean {
    if (!this.#centralized) return this.#sampler.shouldSample(priority);
    const sampler = sdk.defaultSampler();
    if (!this.#centralizedReady) {
      sampler.setLocalRules(localSamplingRules(this.environment, this.sampling, this.#reservoir));
      this.#centralizedReady = true;
    }
    // host and method given: the SDK's local fallback matches its first rule whenever host is missing.
    const urlPath = samplingUrlPath(this.environment, priority);
    return Boolean(sampler.shouldSample({ serviceName: this.service, host: this.service, httpMethod: '*', urlPath }));
  }

  #loadSdk(): XRaySdk | undefined {
    if (this.#sdk !== undefined) return this.#sdk;
    const sdk = loadSdk();
    if (sdk instanceof Error) {
      this.#warnOnce('sdk', `the X-Ray SDK could not be loaded, spans are not recorded: ${sdk.message}`);
      return undefined;
    }
    if (this.lambda) {
      // As the SDK does in Lambda: every subsegment goes out when it closes, on a short-lived socket.
      sdk.SegmentUtils.setStreamingThreshold(0);
      sdk.SegmentEmitter.disableReusableSocket();
    }
    this.#sdk = sdk;
    return sdk;
  }

  /** The invocation's trace header: the runtime's InvokeStore (concurrent invocations) or the env var. */
  #lambdaHeader(): string | undefined {
    try {
      const store = (globalThis as { awslambda?: { InvokeStore?: { getXRayTraceId?(): string | undefined } } })
        .awslambda?.InvokeStore;
      const fromStore = store?.getXRayTraceId?.();
      if (typeof fromStore === 'string' && fromStore !== '') return fromStore;
    } catch {
      // fall back to the environment variable
    }
    return this.#env._X_AMZN_TRACE_ID;
  }

  #readRates(fromOptions: SamplingRates | undefined, fromEnv: string | undefined): SamplingRates {
    if (fromOptions !== undefined) return checkSamplingRates(fromOptions);
    if (fromEnv === undefined || fromEnv === '') return DEFAULT_SAMPLING_RATES;
    const parsed = parseSamplingEnv(fromEnv);
    if ('rates' in parsed) return parsed.rates;
    this.#warnOnce('sampling-env', `${parsed.problem}; using the default rates`);
    return DEFAULT_SAMPLING_RATES;
  }

  /** The exporters `MAIF_TRACE_EXPORTERS` lists; none, with one warning, when it cannot be used. Never throws. */
  #readExporters(fromEnv: string | undefined): readonly TraceExporter[] {
    if (fromEnv === undefined || fromEnv === '') return [];
    try {
      const list: unknown = JSON.parse(fromEnv);
      if (!Array.isArray(list)) throw new Error(`'${fromEnv.slice(0, 100)}' is not a JSON list of exporters`);
      // the exporters' own warnings (a skipped entry, a failing collector) come out through the tracer's warn
      return exportersFromConfig(list as ExporterConfig[], { warn: (message) => this.#warnOnce(message, message) });
    } catch (error) {
      const reason =
        error instanceof SyntaxError
          ? `'${fromEnv.slice(0, 100)}' is not JSON`
          : error instanceof Error
            ? error.message
            : String(error);
      this.#warnOnce('exporters-env', `MAIF_TRACE_EXPORTERS: ${reason}; spans go to X-Ray only`);
      return [];
    }
  }

  /**
   * Hands a closed span (and the segment it closed) to every exporter; a span that cannot be converted is counted.
   * Converted here, once for all exporters: queuing the SDK entity instead would hold its whole segment tree.
   */
  #export(entity: SdkEntity, traceId: string, root: SdkEntity | undefined): void {
    const spans = [toZipkinSpan(entity as unknown as RecordedEntity, traceId, this.service)];
    if (root !== undefined) spans.push(toZipkinSpan(root as unknown as RecordedEntity, traceId, this.service, true));
    for (const span of spans) {
      if (span === undefined) {
        this.#dropped++;
        continue;
      }
      for (const exporter of this.#exporters) {
        try {
          exporter.export(span);
        } catch (error) {
          this.#dropped++;
          this.#warnOnce(`export:${exporter.name}`, `exporter '${exporter.name}' failed: ${String(error)}`);
        }
      }
    }
  }

  #warnOnce(key: string, message: string): void {
    if (this.#warned.has(key)) return;
    this.#warned.add(key);
    try {
      this.#warn(`Tracer: ${message}`);
    } catch {
      // A failing warn function must not reach the handler.
    }
  }
}

/**
 * Lambda's segment as seen from inside the function: never sent, never closed, with the header's
 * trace id and parent id; its subsegments are streamed one by one (threshold 0, counter kept >= 1).
 */
function newFacade(sdk: XRaySdk, traceId: string, context: TraceContext): Facade {
  const segment = new sdk.Segment('facade', traceId) as Facade;
  segment.id = context.spanId;
  delete segment.parent_id;
  segment.notTraced = context.sampled === false;
  segment.facade = true;
  segment.counter = 1;
  segment.close = () => {};
  segment.flush = () => {};
  segment.isClosed = () => true;
  return segment;
}

function checkExporters(exporters: readonly TraceExporter[]): readonly TraceExporter[] {
  if (!Array.isArray(exporters)) {
    throw new Error(
      `Tracer exporters: ${String(exporters)} is not a list (use [zipkinExporter(...), consoleExporter()])`,
    );
  }
  exporters.forEach((exporter, index) => {
    const shaped = exporter as Partial<TraceExporter> | null;
    if (typeof shaped?.export !== 'function' || typeof shaped.flush !== 'function') {
      throw new Error(
        `Tracer exporters[${index}]: ${String(exporter)} is not a trace exporter (use zipkinExporter() or consoleExporter())`,
      );
    }
  });
  return [...exporters];
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    (typeof value === 'object' || typeof value === 'function') &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}
