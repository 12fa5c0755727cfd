/**
 * Parsers and formatters of the trace headers the kit propagates: X-Ray `X-Amzn-Trace-Id`,
 * W3C `traceparent` / `tracestate`, B3 (single `b3` header and `X-B3-*` headers) and Jaeger
 * `uber-trace-id`. Pure functions without the X-Ray SDK. Parsers never throw: anything
 * invalid (all-zero ids, wrong lengths, non-hex, bad version) gives `undefined`.
 */
import {
  isValidSpanId,
  isValidTraceId,
  padHexId,
  SPAN_ID_HEX_LENGTH,
  TRACE_ID_HEX_LENGTH,
  w3cToXRayTraceId,
  xrayToW3CTraceId,
} from './ids';

/** The one context shape every format is read into and written from. */
export interface TraceContext {
  /** 32 lower-case hex digits (X-Ray ids are converted: epoch then the 24 unique digits). */
  readonly traceId: string;
  /** 16 lower-case hex digits: the caller's span, the parent of the next span. */
  readonly spanId: string;
  /** The upstream sampling decision; undefined when the caller left it to us. */
  readonly sampled?: boolean;
  /** B3 `d` / `X-B3-Flags: 1`, Jaeger flag 2: sample and mark as debug. */
  readonly debug?: boolean;
  /** B3 and Jaeger carry the caller's parent span. */
  readonly parentSpanId?: string;
  /** W3C `tracestate`, normalized (`k1=v1,k2=v2`). */
  readonly state?: string;
  /** X-Ray `Lineage` (Lambda recursion detection), passed through as received. */
  readonly lineage?: string;
}

/** A B3 header that carries only a sampling decision (`b3: 0`, `b3: 1`, `b3: d`). */
export interface SamplingOnly {
  readonly traceId?: undefined;
  readonly sampled: boolean;
  readonly debug?: boolean;
}

/** W3C: at most 32 list members in `tracestate`. */
export const MAX_TRACESTATE_MEMBERS = 32;
/** W3C: at most 256 characters in a `tracestate` value. */
export const MAX_TRACESTATE_VALUE_LENGTH = 256;
/** Longest `Lineage` value passed through (it is a short `hash:counter` list in practice). */
export const MAX_LINEAGE_LENGTH = 256;
/** Longest header value any parser looks at; longer values are rejected outright. */
export const MAX_HEADER_LENGTH = 8192;

const isString = (value: unknown): value is string => typeof value === 'string' && value.length <= MAX_HEADER_LENGTH;

// ---------------------------------------------------------------------------------------------
// X-Ray: Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1;Lineage=...

const LINEAGE = /^[\x21-\x7e]+$/;

/** Reads `X-Amzn-Trace-Id`. `Root` and `Parent` are required; `Sampled=?` leaves the decision open. */
export function parseXRayHeader(value: unknown): TraceContext | undefined {
  if (!isString(value)) return undefined;
  let traceId: string | undefined;
  let spanId: string | undefined;
  let sampled: boolean | undefined;
  let lineage: string | undefined;
  for (const part of value.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const key = part.slice(0, eq).trim().toLowerCase();
    const field = part.slice(eq + 1).trim();
    if (key === 'root') traceId = xrayToW3CTraceId(field) ?? '';
    else if (key === 'parent') spanId = isValidSpanId(field) ? field : '';
    else if (key === 'sampled') {
      if (field === '1') sampled = true;
      else if (field === '0') sampled = false;
      else if (field !== '?') return undefined;
    } else if (key === 'lineage' && field.length <= MAX_LINEAGE_LENGTH && LINEAGE.test(field)) lineage = field;
  }
  if (!traceId || !spanId) return undefined;
  return withOptional({ traceId, spanId }, { sampled, lineage });
}

/** Writes `X-Amzn-Trace-Id`; a debug context is sampled, an open decision is left out. */
export function formatXRayHeader(context: TraceContext): string {
  const sampled = context.debug ? true : context.sampled;
  const root = w3cToXRayTraceId(context.traceId) ?? '';
  let header = `Root=${root};Parent=${context.spanId}`;
  if (sampled !== undefined) header += `;Sampled=${sampled ? '1' : '0'}`;
  if (context.lineage !== undefined) header += `;Lineage=${context.lineage}`;
  return header;
}

// ---------------------------------------------------------------------------------------------
// W3C Trace Context: traceparent 00-<32 hex>-<16 hex>-<2 hex flags>, tracestate k=v,k=v

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;
const SAMPLED_FLAG = 0x01;

/** Reads `traceparent` (version 00, or a later version read as 00 with its extra fields ignored). */
export function parseTraceparent(value: unknown, tracestate?: unknown): TraceContext | undefined {
  if (!isString(value)) return undefined;
  const match = TRACEPARENT.exec(value.trim());
  if (match === null) return undefined;
  const [, version, traceId, spanId, flags, rest] = match;
  if (version === 'ff' || (version === '00' && rest !== undefined)) return undefined;
  if (!isValidTraceId(traceId) || !isValidSpanId(spanId)) return undefined;
  const state = tracestate === undefined ? undefined : normalizeTraceState(tracestate);
  return withOptional({ traceId, spanId, sampled: (Number.parseInt(flags, 16) & SAMPLED_FLAG) === 1 }, { state });
}

/** Writes `traceparent` version 00; an open decision is written as not sampled (W3C has no "unset"). */
export function formatTraceparent(context: TraceContext): string {
  const sampled = context.debug || context.sampled === true;
  return `00-${context.traceId}-${context.spanId}-${sampled ? '01' : '00'}`;
}

const TRACESTATE_KEY = /^(?:[a-z][a-z0-9_\-*/]{0,255}|[a-z0-9][a-z0-9_\-*/]{0,240}@[a-z][a-z0-9_\-*/]{0,13})$/;
const TRACESTATE_VALUE = /^[\x20-\x2b\x2d-\x3c\x3e-\x7e]{0,255}[\x21-\x2b\x2d-\x3c\x3e-\x7e]$/;

/**
 * Reads `tracestate` into `[key, value]` members, in order. The whole header is rejected when a
 * member is invalid, a key repeats or there are more than 32 members. Empty members are skipped.
 */
export function parseTraceState(value: unknown): Array<[string, string]> | undefined {
  const text = Array.isArray(value) ? value.join(',') : value;
  if (!isString(text)) return undefined;
  const members: Array<[string, string]> = [];
  const seen = new Set<string>();
  for (const raw of text.split(',')) {
    const member = raw.trim();
    if (member === '') continue;
    const eq = member.indexOf('=');
    if (eq <= 0) return undefined;
    const key = member.slice(0, eq);
    const val = member.slice(eq + 1);
    if (!TRACESTATE_KEY.test(key) || !TRACESTATE_VALUE.test(val) || seen.has(key)) return undefined;
    seen.add(key);
    members.push([key, val]);
  }
  return members.length > 0 && members.length <= MAX_TRACESTATE_MEMBERS ? members : undefined;
}

/** Writes `tracestate` members (the first 32). */
export function formatTraceState(members: ReadonlyArray<readonly [string, string]>): string {
  return members
    .slice(0, MAX_TRACESTATE_MEMBERS)
    .map(([key, val]) => `${key}=${val}`)
    .join(',');
}

function normalizeTraceState(value: unknown): string | undefined {
  const members = parseTraceState(value);
  return members === undefined ? undefined : formatTraceState(members);
}

// ---------------------------------------------------------------------------------------------
// B3: b3: {TraceId}-{SpanId}-{SamplingState}-{ParentSpanId}, or X-B3-* headers

function b3TraceId(id: string): string | undefined {
  if (id.length !== 16 && id.length !== TRACE_ID_HEX_LENGTH) return undefined;
  return padHexId(id, TRACE_ID_HEX_LENGTH, true);
}

function b3SpanId(id: string): string | undefined {
  return id.length === SPAN_ID_HEX_LENGTH && isValidSpanId(id) ? id : undefined;
}

/** B3 sampling state: `1` accept, `0` deny, `d` debug (which implies accept). */
function b3Sampling(state: string): { sampled: boolean; debug?: boolean } | undefined {
  if (state === '1') return { sampled: true };
  if (state === '0') return { sampled: false };
  if (state === 'd') return { sampled: true, debug: true };
  return undefined;
}

/** Reads the single `b3` header. A lone sampling state (`0`, `1`, `d`) gives a decision without ids. */
export function parseB3Single(value: unknown): TraceContext | SamplingOnly | undefined {
  if (!isString(value)) return undefined;
  const parts = value.trim().split('-');
  if (parts.length === 1) return b3Sampling(parts[0]);
  if (parts.length > 4) return undefined;
  const traceId = b3TraceId(parts[0]);
  const spanId = b3SpanId(parts[1]);
  if (traceId === undefined || spanId === undefined) return undefined;
  let decision: { sampled: boolean; debug?: boolean } | undefined;
  if (parts.length >= 3) {
    decision = b3Sampling(parts[2]);
    if (decision === undefined) return undefined;
  }
  let parentSpanId: string | undefined;
  if (parts.length === 4) {
    parentSpanId = b3SpanId(parts[3]);
    if (parentSpanId === undefined) return undefined;
  }
  return withOptional({ traceId, spanId }, { sampled: decision?.sampled, debug: decision?.debug, parentSpanId });
}

/** Writes the single `b3` header, trace id in 128 bits; the parent needs a sampling state. */
export function formatB3Single(context: TraceContext): string {
  let header = `${context.traceId}-${context.spanId}`;
  const state = context.debug ? 'd' : context.sampled === undefined ? undefined : context.sampled ? '1' : '0';
  if (state !== undefined) {
    header += `-${state}`;
    if (context.parentSpanId !== undefined) header += `-${context.parentSpanId}`;
  }
  return header;
}

/** The multi-header B3 names, as written (lookups ignore case). */
export const B3_HEADERS = {
  traceId: 'X-B3-TraceId',
  spanId: 'X-B3-SpanId',
  parentSpanId: 'X-B3-ParentSpanId',
  sampled: 'X-B3-Sampled',
  flags: 'X-B3-Flags',
} as const;

export type B3MultiHeaders = Partial<Record<(typeof B3_HEADERS)[keyof typeof B3_HEADERS], string>>;

/** Reads the `X-B3-*` headers, given by a lookup that ignores case. */
export function parseB3Multi(get: (name: string) => unknown): TraceContext | undefined {
  const rawTrace = get(B3_HEADERS.traceId);
  const rawSpan = get(B3_HEADERS.spanId);
  if (!isString(rawTrace) || !isString(rawSpan)) return undefined;
  const traceId = b3TraceId(rawTrace.trim());
  const spanId = b3SpanId(rawSpan.trim());
  if (traceId === undefined || spanId === undefined) return undefined;
  const rawParent = get(B3_HEADERS.parentSpanId);
  let parentSpanId: string | undefined;
  if (rawParent !== undefined) {
    parentSpanId = isString(rawParent) ? b3SpanId(rawParent.trim()) : undefined;
    if (parentSpanId === undefined) return undefined;
  }
  const rawFlags = get(B3_HEADERS.flags);
  const debug = isString(rawFlags) && rawFlags.trim() === '1' ? true : undefined;
  const rawSampled = get(B3_HEADERS.sampled);
  let sampled: boolean | undefined;
  if (rawSampled !== undefined) {
    // '1'/'0' per the spec; 'true'/'false' from older tracers.
    const text = isString(rawSampled) ? rawSampled.trim().toLowerCase() : '';
    if (text === '1' || text === 'true') sampled = true;
    else if (text === '0' || text === 'false') sampled = false;
    else return undefined;
  }
  if (debug) sampled = true;
  return withOptional({ traceId, spanId }, { sampled, debug, parentSpanId });
}

/** Writes the `X-B3-*` headers (debug as `X-B3-Flags: 1`, which implies sampled). */
export function formatB3Multi(context: TraceContext): B3MultiHeaders {
  const headers: B3MultiHeaders = {
    [B3_HEADERS.traceId]: context.traceId,
    [B3_HEADERS.spanId]: context.spanId,
  };
  if (context.parentSpanId !== undefined) headers[B3_HEADERS.parentSpanId] = context.parentSpanId;
  if (context.debug) headers[B3_HEADERS.flags] = '1';
  else if (context.sampled !== undefined) headers[B3_HEADERS.sampled] = context.sampled ? '1' : '0';
  return headers;
}

// ---------------------------------------------------------------------------------------------
// Jaeger: uber-trace-id: {trace-id}:{span-id}:{parent-span-id}:{flags}

const JAEGER_SAMPLED = 0x01;
const JAEGER_DEBUG = 0x02;

/** Reads `uber-trace-id`: variable-length hex ids (left-padded), `%3A` for `:` accepted. */
export function parseJaeger(value: unknown): TraceContext | undefined {
  if (!isString(value)) return undefined;
  const text = value.trim().replace(/%3a/gi, ':');
  const parts = text.split(':');
  if (parts.length !== 4) return undefined;
  const traceId = padHexId(parts[0], TRACE_ID_HEX_LENGTH, false);
  const spanId = padHexId(parts[1], SPAN_ID_HEX_LENGTH, false);
  if (traceId === undefined || spanId === undefined) return undefined;
  let parentSpanId: string | undefined;
  if (!/^0+$/.test(parts[2])) {
    parentSpanId = padHexId(parts[2], SPAN_ID_HEX_LENGTH, false);
    if (parentSpanId === undefined) return undefined;
  }
  if (!/^[0-9a-fA-F]{1,2}$/.test(parts[3])) return undefined;
  const flags = Number.parseInt(parts[3], 16);
  const debug = (flags & JAEGER_DEBUG) !== 0 ? true : undefined;
  return withOptional(
    { traceId, spanId },
    { sampled: (flags & JAEGER_SAMPLED) !== 0 || debug === true, debug, parentSpanId },
  );
}

/** Writes `uber-trace-id` with full-length ids; parent `0` when there is none. */
export function formatJaeger(context: TraceContext): string {
  const flags = context.debug ? JAEGER_SAMPLED | JAEGER_DEBUG : context.sampled ? JAEGER_SAMPLED : 0;
  return `${context.traceId}:${context.spanId}:${context.parentSpanId ?? '0'}:${flags.toString(16)}`;
}

// ---------------------------------------------------------------------------------------------

/** Adds the optional fields that are defined, so contexts compare equal whatever their origin. */
function withOptional(
  base: { traceId: string; spanId: string; sampled?: boolean },
  extra: Omit<Partial<TraceContext>, 'traceId' | 'spanId'>,
): TraceContext {
  const context: { -readonly [K in keyof TraceContext]: TraceContext[K] } = { ...base };
  for (const [key, val] of Object.entries(extra) as Array<[keyof TraceContext, never]>) {
    if (val !== undefined) context[key] = val;
  }
  return context;
}
