/**
 * `instrument(...)`: per-invocation context, cold start, request metrics, error capture and a
 * flush that happens even when the handler throws or another middleware returns early.
 *
 * One object serves both ways:
 * - middy middleware: `middy(handler).use(instrument({ metrics, logger, tracer }))`;
 * - plain wrapper, no middy needed: `export const handler = instrument({ ... })(myHandler)`.
 *
 * `@middy/core` stays optional: the structural types below are all this module needs.
 */
import { INSTRUMENTATION_ENV } from './environment';
import { catalogCounter, catalogHistogram } from './private/catalog-instruments';
import { type SystemSamplingOption, systemSamplerFor } from './private/system-sampler';
import type { Counter, Histogram, LoggerApi, MetricsApi, Span, TracerApi } from './types';

/** The part of a Lambda context the middleware reads. */
export interface LambdaContextLike {
  readonly awsRequestId?: string;
  readonly functionName?: string;
  readonly functionVersion?: string;
  readonly invokedFunctionArn?: string;
}

/** The structural shape of a middy request (see @middy/core `Request`). */
export interface MiddyRequestLike<TEvent = unknown, TResult = unknown> {
  event: TEvent;
  context: LambdaContextLike;
  response: TResult | undefined;
  error: unknown;
  internal: Record<string, unknown>;
}

/** Logger extras used when the logger offers them (the kit's Logger does). */
interface InvocationAwareLogger extends LoggerApi {
  setInvocation?(invocation: { requestId?: string; traceId?: string; coldStart: boolean; functionName?: string }): void;
  clearInvocation?(): void;
}

/** Tracer extras used when the tracer offers them (the kit's Tracer does). */
interface SpanOpeningTracer extends TracerApi {
  openSpan?(name: string): (Span & { restore?(): void }) | undefined;
  /** True when the tracer has exporters to flush (no work, and no promise, at the end of an invocation otherwise). */
  readonly exporting?: boolean;
  /** Sends what trace exporters hold; bounded by the tracer's own short timeout, never rejects. */
  flush?(): Promise<void>;
}

export interface InstrumentOptions {
  readonly metrics?: MetricsApi;
  readonly logger?: LoggerApi;
  readonly tracer?: TracerApi;
  /**
   * The `operation` label of the request metrics.
   * @default - the Lambda function name
   */
  readonly operation?: string | ((event: unknown, context: LambdaContextLike) => string);
  /**
   * Record `http_requests_total`, `http_request_errors_total`, `http_request_duration_seconds`
   * and `cold_starts_total`.
   * @default true
   */
  readonly requestMetrics?: boolean;
  /**
   * Log `invocation_failed` at ERROR with the error when the handler throws.
   * @default true
   */
  readonly logErrors?: boolean;
  /**
   * Sample `memory_usage` (resident memory over the function's memory) and `disk_usage` of /tmp
   * at the end of an invocation, at most once per interval per execution environment: `true`
   * (every 60 s) or `{ interval: '30s' }`. Needs `metrics`. A malformed interval fails here.
   * @default - on when MAIF_SYSTEM_SAMPLING is set (instrumentFunction sets it when the
   * configuration's `metrics.system.lambda` is on), off otherwise
   */
  readonly system?: SystemSamplingOption;
  /** Called when telemetry itself fails; it never reaches the handler. @default - ignored */
  readonly onTelemetryError?: (error: unknown) => void;
}

export type Handler<TEvent, TResult> = (
  event: TEvent,
  context: LambdaContextLike,
  ...rest: unknown[]
) => Promise<TResult> | TResult;

export interface Instrumentation {
  /** Wraps a handler (a middy handler too): the flush runs in a `finally`. */
  <TEvent, TResult>(handler: Handler<TEvent, TResult>): (event: TEvent, context: LambdaContextLike) => Promise<TResult>;
  before(request: MiddyRequestLike): void;
  after(request: MiddyRequestLike): Promise<void> | void;
  onError(request: MiddyRequestLike): Promise<void> | void;
}

const STATE_KEY = 'maifObservability';

interface InvocationState {
  readonly started: number;
  readonly operation: string;
  readonly coldStart: boolean;
  span: (Span & { restore?(): void }) | undefined;
  done: boolean;
}

interface RequestInstruments {
  readonly requests: Counter;
  readonly errors: Counter;
  readonly duration: Histogram;
  readonly coldStarts: Counter;
}

function catalogInstruments(metrics: MetricsApi): RequestInstruments {
  return {
    requests: catalogCounter(metrics, 'http_requests_total'),
    errors: catalogCounter(metrics, 'http_request_errors_total'),
    coldStarts: catalogCounter(metrics, 'cold_starts_total'),
    duration: catalogHistogram(metrics, 'http_request_duration_seconds'),
  };
}

/**
 * `2xx`, `4xx`, `5xx` from an API Gateway / Function URL style `statusCode` (an error handler
 * may have turned a thrown error into a 404); without one, 5xx when the handler failed.
 */
function statusClassOf(response: unknown, failed: boolean): string {
  const code = (response as { statusCode?: unknown } | null | undefined)?.statusCode;
  if (typeof code === 'number' && code >= 100 && code < 600) return `${Math.floor(code / 100)}xx`;
  return failed ? '5xx' : '2xx';
}

/** X-Ray trace id of the current invocation: the runtime sets `_X_AMZN_TRACE_ID` per invocation. */
function currentTraceId(): string | undefined {
  const header = process.env._X_AMZN_TRACE_ID;
  if (!header) return undefined;
  const root = /(?:^|;)Root=([^;]+)/.exec(header);
  return root?.[1];
}

// Module scope on purpose: a Lambda execution environment is cold exactly once.
let coldStartPending = true;

/** Test seam for the one piece of process-wide state: marks the next invocation as cold. */
export function resetColdStart(): void {
  coldStartPending = true;
}

export function instrument(options: InstrumentOptions = {}): Instrumentation {
  const { metrics, tracer } = options;
  const logger = options.logger as InvocationAwareLogger | undefined;
  const logErrors = options.logErrors ?? true;
  const onTelemetryError = options.onTelemetryError ?? (() => {});
  const instruments = metrics && (options.requestMetrics ?? true) ? catalogInstruments(metrics) : undefined;
  // Nothing of the sampler runs (no environment read beyond this one, no instrument, no system
  // call) unless sampling is asked for.
  const sampleSystem =
    metrics && (options.system ?? process.env[INSTRUMENTATION_ENV.systemSampling])
      ? systemSamplerFor(options.system, onTelemetryError)
      : undefined;

  const guard = (fn: () => void): void => {
    try {
      fn();
    } catch (error) {
      onTelemetryError(error);
    }
  };

  const operationOf = (event: unknown, context: LambdaContextLike): string => {
    const op = options.operation;
    if (typeof op === 'function') {
      try {
        return op(event, context) || 'handler';
      } catch (error) {
        onTelemetryError(error);
      }
    } else if (op) {
      return op;
    }
    return context.functionName || 'handler';
  };

  const begin = (event: unknown, context: LambdaContextLike): InvocationState => {
    const coldStart = coldStartPending;
    coldStartPending = false;
    const state: InvocationState = {
      started: performance.now(),
      operation: 'handler',
      coldStart,
      span: undefined,
      done: false,
    };
    guard(() => {
      (state as { operation: string }).operation = operationOf(event, context);
      logger?.setInvocation?.({
        requestId: context.awsRequestId,
        traceId: currentTraceId(),
        coldStart,
        functionName: context.functionName,
      });
      if (coldStart) instruments?.coldStarts.inc({ function_name: context.functionName || 'unknown' });
    });
    return state;
  };

  /** Records the request, ends the span and flushes. Idempotent: the first caller wins. */
  const complete = (state: InvocationState, response: unknown, error: unknown): Promise<void> | undefined => {
    if (state.done) return undefined;
    state.done = true;
    const failed = error !== undefined;
    guard(() => {
      const seconds = (performance.now() - state.started) / 1000;
      if (instruments) {
        const statusClass = statusClassOf(response, failed);
        instruments.requests.inc({ operation: state.operation, status_class: statusClass });
        if (statusClass === '5xx') instruments.errors.inc({ operation: state.operation });
        instruments.duration.observe({ operation: state.operation }, seconds);
      }
      if (failed) {
        if (logErrors) logger?.error('invocation_failed', { operation: state.operation, status: 'error', error });
        state.span?.recordError(error);
      }
      if (state.span) {
        state.span.end();
        state.span.restore?.();
      }
    });
    // After the handler, before the flush: the readings leave with this invocation's metrics.
    if (sampleSystem && metrics) guard(() => sampleSystem(metrics, onTelemetryError));
    let flushed: Promise<void> | undefined;
    guard(() => {
      const result = metrics?.flush();
      if (result && typeof (result as Promise<void>).then === 'function') {
        flushed = (result as Promise<void>).catch(onTelemetryError);
      }
    });
    guard(() => {
      const exporting = tracer as SpanOpeningTracer | undefined;
      if (!exporting?.exporting) return;
      const traces = exporting.flush?.();
      if (traces && typeof traces.then === 'function') {
        const sent = Promise.resolve(traces).catch(onTelemetryError);
        flushed = flushed ? Promise.all([flushed, sent]).then(() => {}) : sent;
      }
    });
    guard(() => logger?.clearInvocation?.());
    return flushed;
  };

  const wrap = <TEvent, TResult>(handler: Handler<TEvent, TResult>) =>
    async function instrumented(event: TEvent, context: LambdaContextLike, ...rest: unknown[]): Promise<TResult> {
      const state = begin(event, context);
      let response: TResult | undefined;
      let error: unknown;
      try {
        const run = () => handler(event, context, ...rest);
        response = await (tracer ? tracer.startActiveSpan(`## ${state.operation}`, run) : run());
        return response;
      } catch (thrown) {
        error = thrown ?? new Error('handler threw a nullish value');
        throw thrown;
      } finally {
        await complete(state, response, error);
      }
    };

  const before = (request: MiddyRequestLike): void => {
    const state = begin(request.event, request.context ?? {});
    request.internal[STATE_KEY] = state;
    guard(() => {
      state.span = (tracer as SpanOpeningTracer | undefined)?.openSpan?.(`## ${state.operation}`);
    });
    // Middy skips every `after` when a middleware returns early, but it always assigns
    // `request.response` first, after setting `request.earlyResponse`: watching that assignment
    // is the one hook that sees an early return from any other middleware.
    let response = request.response;
    guard(() =>
      Object.defineProperty(request, 'response', {
        configurable: true,
        enumerable: true,
        get: () => response,
        set: (value) => {
          response = value;
          if (Object.hasOwn(request, 'earlyResponse')) void complete(state, value, request.error ?? undefined);
        },
      }),
    );
  };

  const stateOf = (request: MiddyRequestLike): InvocationState | undefined =>
    request.internal?.[STATE_KEY] as InvocationState | undefined;

  const after = (request: MiddyRequestLike): Promise<void> | undefined => {
    const state = stateOf(request);
    return state ? complete(state, request.response, undefined) : undefined;
  };

  const onError = (request: MiddyRequestLike): Promise<void> | undefined => {
    const state = stateOf(request);
    // an error-handling middleware that ran before this one may already have set a response
    return state ? complete(state, request.response, request.error ?? new Error('unknown error')) : undefined;
  };

  return Object.assign(wrap, { before, after, onError }) as Instrumentation;
}
