/**
 * What the demo service's three handlers share: the backend of this execution environment, the
 * fault of a request, the injected runtime faults (`crash`, `exit`) and the 400 answer.
 */
import type { ApplicationMonitor, Logger } from '../../layers/instrumentation/index';
import { MaifBackend } from './backend';
import {
  BadRequestError,
  FAULT_HEADER,
  type Fault,
  type HttpEvent,
  type HttpResult,
  header,
  json,
  parseFault,
  userOf,
} from './http';

/** One backend per execution environment: its cache and artifacts live as long as the environment. */
export const backend = MaifBackend.fromEnv();

/** An injected `crash`: thrown out of the handler, so the runtime reports an invocation error. */
export class InjectedCrashError extends Error {
  override readonly name = 'InjectedCrashError';
}

/** The request's fault; a malformed fault header is a BadRequestError. */
export function faultOf(event: HttpEvent): Fault {
  return parseFault(header(event, FAULT_HEADER));
}

/** Acts on the faults that break the runtime rather than the backend. */
export function injectRuntimeFault(fault: Fault): void {
  if (fault.kind === 'crash') throw new InjectedCrashError(`${FAULT_HEADER}: crash requested (injected fault)`);
  // In a Lambda execution environment (a worker thread here) this ends the environment, not the host.
  if (fault.kind === 'exit') process.exit(1);
}

/** The 400 answer for a request the handler refuses, logged at WARN. */
export function rejected(logger: Logger, operation: string, userId: string | undefined, error: unknown): HttpResult {
  const message = error instanceof Error ? error.message : String(error);
  logger.warn('request_rejected', { operation, user_id: userId, status: 'rejected', reason: message });
  return json(400, { error: message });
}

export function isBadRequest(error: unknown): error is BadRequestError {
  return error instanceof BadRequestError;
}

/**
 * Runs a backend call and reports how long the MAIF store says it took: the duration metrics are
 * the store's work, not the span bookkeeping around it.
 */
export async function timed<T>(call: () => Promise<T>): Promise<{ readonly value: T; readonly ms: number }> {
  const value = await call();
  // The store's own figure, not this thread's clock: compressed time reads every real millisecond
  // of scheduling delay as `speed` ms, which would turn a loaded machine into a latency regression.
  return { value, ms: backend.lastCallMs };
}

/** One operation of the demo service: what `serve` needs besides the common envelope. */
export interface ServedOperation<I> {
  readonly operation: string;
  /** Prefix of the log events: `<name>_started`, `<name>_completed`, `<name>_failed`. */
  readonly logEvent: string;
  /** The request's input; a BadRequestError becomes a 400. */
  readonly parse: (event: HttpEvent) => I;
  /** Fields of the `_started` line. */
  readonly startFields: (input: I) => Record<string, unknown>;
  /** @default 'info' */
  readonly startLevel?: 'info' | 'debug';
  /** The work: the answer, and the fields of the `_completed` line. */
  readonly run: (
    input: I,
    fault: Fault,
  ) => Promise<{ readonly result: HttpResult; readonly fields: Readonly<Record<string, unknown>> }>;
  /** The 500 answer's message when the work fails. */
  readonly failure: string;
}

function elapsedMs(started: number): number {
  return Math.round((performance.now() - started) * 100) / 100;
}

/**
 * The envelope the three handlers share: parse (400 on a bad request), the injected runtime
 * faults, the active user and feature metrics, the started / completed / failed log lines with
 * their duration, and the 500 when the backend fails.
 */
export function serve<I>(
  telemetry: { readonly logger: Logger; readonly app: ApplicationMonitor },
  op: ServedOperation<I>,
): (event: HttpEvent) => Promise<HttpResult> {
  const { logger, app } = telemetry;
  return async (event) => {
    const started = performance.now();
    const userId = userOf(event);
    let input: I;
    let fault: Fault;
    try {
      fault = faultOf(event);
      input = op.parse(event);
    } catch (error) {
      if (isBadRequest(error)) return rejected(logger, op.operation, userId, error);
      throw error;
    }
    injectRuntimeFault(fault);
    app.setActiveUsers(backend.touchUser(userId, Date.now()));
    app.featureUsed(op.operation);
    const base = { operation: op.operation, user_id: userId };
    logger[op.startLevel ?? 'info'](`${op.logEvent}_started`, { ...base, ...op.startFields(input) });
    try {
      const { result, fields } = await op.run(input, fault);
      logger.info(`${op.logEvent}_completed`, {
        ...base,
        duration_ms: elapsedMs(started),
        status: 'success',
        ...fields,
      });
      return result;
    } catch (error) {
      logger.error(`${op.logEvent}_failed`, { ...base, duration_ms: elapsedMs(started), status: 'error', error });
      return json(500, { error: op.failure });
    }
  };
}
