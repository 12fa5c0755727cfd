/**
 * The demo service's HTTP edge: API Gateway HTTP API (payload 2.0) events in, `{ statusCode, body }`
 * out, and the sandbox's fault-injection header. Bad input becomes a 400 whose message names the
 * field, the value received and what is allowed.
 */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';

export type HttpEvent = APIGatewayProxyEventV2;
export type HttpResult = APIGatewayProxyStructuredResultV2 & { readonly statusCode: number; readonly body: string };

/** The request header that injects a fault into one request (see `parseFault`). */
export const FAULT_HEADER = 'x-maif-sandbox-fault';
/** The caller's user id, when the client sends one. */
export const USER_HEADER = 'x-maif-user';

/**
 * What the backend does wrong for one request:
 * - `error`: the backend call fails (the handler answers 500 and logs at ERROR);
 * - `latency`: the backend call takes `ms` simulated milliseconds (+-20 % jitter);
 * - `crash`: the handler throws out of the runtime (a Lambda invocation error);
 * - `exit`: the execution environment dies mid-invocation (Lambda's Runtime.ExitError).
 */
export type Fault =
  | { readonly kind: 'none' }
  | { readonly kind: 'error' }
  | { readonly kind: 'latency'; readonly ms: number }
  | { readonly kind: 'crash' }
  | { readonly kind: 'exit' };

/** A request the handler refuses with a 400. */
export class BadRequestError extends Error {
  override readonly name = 'BadRequestError';
}

/** Injected latencies above this are refused: a simulated hour is already far past any Lambda timeout. */
export const MAX_FAULT_LATENCY_MS = 900_000;

const NO_FAULT: Fault = { kind: 'none' };

/** Parses the fault header's value; absent or empty means no fault. */
export function parseFault(value: string | undefined): Fault {
  const text = value?.trim() ?? '';
  if (text === '') return NO_FAULT;
  if (text === 'error' || text === 'crash' || text === 'exit') return { kind: text };
  const latency = /^latency=(\d+(?:\.\d+)?)$/.exec(text);
  if (latency !== null) {
    const ms = Number(latency[1]);
    if (ms <= MAX_FAULT_LATENCY_MS) return { kind: 'latency', ms };
  }
  throw new BadRequestError(
    `header ${FAULT_HEADER}: '${text}' is not allowed (use error, crash, exit or latency=<ms> with ms up to ${MAX_FAULT_LATENCY_MS})`,
  );
}

/** A header's value, whatever the client's casing (API Gateway v2 lower-cases them, other callers may not). */
export function header(event: HttpEvent, name: string): string | undefined {
  const headers = event.headers ?? {};
  const direct = headers[name];
  if (direct !== undefined) return direct;
  const wanted = name.toLowerCase();
  for (const key in headers) if (key.toLowerCase() === wanted) return headers[key];
  return undefined;
}

/** The JSON body as an object; a missing, non-JSON or non-object body is a 400. */
export function jsonBody(event: HttpEvent): Record<string, unknown> {
  const raw = event.body ?? '';
  const text = event.isBase64Encoded ? Buffer.from(raw, 'base64').toString('utf8') : raw;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new BadRequestError(`body: '${text.slice(0, 40)}' is not JSON (send a JSON object)`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new BadRequestError(`body: ${text.slice(0, 40)} is not allowed (send a JSON object)`);
  }
  return parsed as Record<string, unknown>;
}

/** A JSON response. */
export function json(statusCode: number, body: unknown): HttpResult {
  return { statusCode, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
}

/** The caller's user id from the user header, when it looks like one. */
export function userOf(event: HttpEvent): string | undefined {
  const user = header(event, USER_HEADER);
  return user !== undefined && /^[\w.-]{1,64}$/.test(user) ? user : undefined;
}
