/**
 * Trace and span ids: validation, generation and the conversion between X-Ray trace ids
 * (`1-{8 hex epoch seconds}-{24 hex}`) and 128-bit W3C ids (32 hex: the epoch then the 24).
 * Pure functions, no X-Ray SDK: the propagation code uses them alone.
 */
import { randomBytes } from 'node:crypto';

/** Hex length of a 128-bit trace id. */
export const TRACE_ID_HEX_LENGTH = 32;
/** Hex length of a 64-bit span (segment) id. */
export const SPAN_ID_HEX_LENGTH = 16;
/** The X-Ray trace id version this code reads and writes. */
export const XRAY_TRACE_ID_VERSION = '1';
/** Hex length of the epoch part of an X-Ray trace id. */
export const XRAY_EPOCH_HEX_LENGTH = 8;

const TRACE_ID = /^[0-9a-f]{32}$/;
const SPAN_ID = /^[0-9a-f]{16}$/;
const XRAY_TRACE_ID = /^1-([0-9a-f]{8})-([0-9a-f]{24})$/;
const ALL_ZERO = /^0+$/;

/** 32 lower-case hex digits, not all zero (W3C `trace-id`). */
export function isValidTraceId(id: unknown): id is string {
  return typeof id === 'string' && TRACE_ID.test(id) && !ALL_ZERO.test(id);
}

/** 16 lower-case hex digits, not all zero (W3C `parent-id`, X-Ray segment id). */
export function isValidSpanId(id: unknown): id is string {
  return typeof id === 'string' && SPAN_ID.test(id) && !ALL_ZERO.test(id);
}

/** `1-{8 hex}-{24 hex}`, lower case, not all zero. */
export function isValidXRayTraceId(id: unknown): id is string {
  if (typeof id !== 'string') return false;
  const match = XRAY_TRACE_ID.exec(id);
  return match !== null && !ALL_ZERO.test(match[1] + match[2]);
}

/** `1-5759e988-bd862e3fe1be46a994272793` -> `5759e988bd862e3fe1be46a994272793`; undefined if invalid. */
export function xrayToW3CTraceId(xrayId: string): string | undefined {
  return isValidXRayTraceId(xrayId) ? xrayId.slice(2, 10) + xrayId.slice(11) : undefined;
}

/** `5759e988bd862e3fe1be46a994272793` -> `1-5759e988-bd862e3fe1be46a994272793`; undefined if invalid. */
export function w3cToXRayTraceId(traceId: string): string | undefined {
  if (!isValidTraceId(traceId)) return undefined;
  return `${XRAY_TRACE_ID_VERSION}-${traceId.slice(0, XRAY_EPOCH_HEX_LENGTH)}-${traceId.slice(XRAY_EPOCH_HEX_LENGTH)}`;
}

/**
 * A new 128-bit trace id whose first 32 bits are the current epoch seconds, so that it is also a
 * valid X-Ray trace id (X-Ray rejects ids older than 30 days or in the future).
 */
export function newTraceId(nowMs: number = Date.now()): string {
  const epoch = Math.floor(nowMs / 1000)
    .toString(16)
    .padStart(XRAY_EPOCH_HEX_LENGTH, '0')
    .slice(-XRAY_EPOCH_HEX_LENGTH);
  return epoch + randomBytes(12).toString('hex');
}

/** A new random, non-zero 64-bit span id. */
export function newSpanId(): string {
  let id = randomBytes(8).toString('hex');
  while (ALL_ZERO.test(id)) id = randomBytes(8).toString('hex');
  return id;
}

/**
 * Left-pads a variable-length hex id (B3 64-bit or Jaeger ids) to `length` digits; undefined when
 * it is not 1..length hex digits or is all zero. `lowerCaseOnly` follows B3/W3C (lower-hex only).
 */
export function padHexId(id: string, length: number, lowerCaseOnly: boolean): string | undefined {
  if (id.length === 0 || id.length > length) return undefined;
  const pattern = lowerCaseOnly ? /^[0-9a-f]+$/ : /^[0-9a-fA-F]+$/;
  if (!pattern.test(id) || ALL_ZERO.test(id)) return undefined;
  return id.toLowerCase().padStart(length, '0');
}
