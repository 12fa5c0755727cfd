/**
 * What the demo service's three handlers share: the backend of this execution environment, the
 * fault of a request, the injected runtime faults (`crash`, `exit`) and the 400 answer.
 */
import type { Logger } from '../../layers/instrumentation/index';
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
