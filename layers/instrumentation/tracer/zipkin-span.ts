/**
 * A finished X-Ray (sub)segment as a Zipkin v2 span: the one shape both trace exporters write.
 *
 * - trace id: `1-5759e988-bd862e3f...` -> `5759e988bd862e3f...` (the `1-` and the dash dropped);
 * - ids as they are (X-Ray ids are already 16 lower-case hex); the parent is the SDK parent
 *   (a segment, a subsegment, or in Lambda the facade carrying the invocation's parent id);
 * - `start_time` / `end_time` (epoch seconds) -> `timestamp` / `duration` (whole microseconds);
 * - annotations, metadata, `http`, `aws`, flags -> string tags (`error: 'true'` on error or fault),
 *   recorded exceptions -> Zipkin annotations at the end of the span.
 *
 * Values are truncated and tags capped so a queued span has a bounded size.
 */
import { isValidSpanId, xrayToW3CTraceId } from './ids';

export type ZipkinKind = 'CLIENT' | 'SERVER' | 'PRODUCER' | 'CONSUMER';

/** One span of the Zipkin v2 JSON API (`POST /api/v2/spans` takes an array of them). */
export interface ZipkinSpan {
  readonly traceId: string;
  readonly id: string;
  readonly parentId?: string;
  readonly name: string;
  readonly kind?: ZipkinKind;
  /** Epoch microseconds. */
  readonly timestamp: number;
  /** Microseconds, at least 1. */
  readonly duration: number;
  readonly localEndpoint: { readonly serviceName: string };
  readonly remoteEndpoint?: { readonly serviceName: string };
  readonly tags: Readonly<Record<string, string>>;
  readonly annotations?: ReadonlyArray<{ readonly timestamp: number; readonly value: string }>;
}

/** Longest tag or annotation value kept; the rest is cut and marked with `…`. */
export const MAX_TAG_VALUE_LENGTH = 1024;
/** Tags kept per span (annotations first, then http/aws, then metadata). */
export const MAX_TAGS_PER_SPAN = 64;
/** Exceptions kept per span as Zipkin annotations. */
export const MAX_EXCEPTION_ANNOTATIONS = 5;

const MICROS_PER_SECOND = 1e6;

/** The fields of a closed SDK segment or subsegment read here (structural: the SDK is not imported). */
export interface RecordedEntity {
  readonly id?: unknown;
  readonly name?: unknown;
  readonly start_time?: unknown;
  readonly end_time?: unknown;
  readonly parent?: { readonly id?: unknown };
  readonly parent_id?: unknown;
  readonly namespace?: unknown;
  readonly annotations?: Record<string, unknown>;
  readonly metadata?: Record<string, Record<string, unknown> | undefined>;
  readonly http?: {
    readonly request?: { readonly url?: unknown; readonly method?: unknown };
    readonly response?: { readonly status?: unknown; readonly content_length?: unknown };
  };
  readonly aws?: Record<string, unknown>;
  readonly error?: unknown;
  readonly fault?: unknown;
  readonly throttle?: unknown;
  readonly cause?: { readonly exceptions?: ReadonlyArray<{ readonly type?: unknown; readonly message?: unknown }> };
}

function clip(value: string): string {
  return value.length <= MAX_TAG_VALUE_LENGTH ? value : `${value.slice(0, MAX_TAG_VALUE_LENGTH - 1)}…`;
}

function text(value: unknown): string {
  if (typeof value === 'string') return clip(value);
  try {
    const json = JSON.stringify(value, (_key, v) => (typeof v === 'bigint' ? v.toString() : v));
    return clip(json ?? String(value));
  } catch {
    return '[unserializable]';
  }
}

const seconds = (value: unknown): number | undefined =>
  typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : undefined;

class Tags {
  readonly record: Record<string, string> = {};
  #count = 0;

  set(key: string, value: unknown): void {
    if (value === undefined || value === null || key === '') return;
    if (Object.hasOwn(this.record, key)) return; // the first writer wins: annotations over metadata
    if (this.#count >= MAX_TAGS_PER_SPAN) return;
    this.#count++;
    // a key named `__proto__` must become a tag, not the record's prototype (defineProperty is slower: only then)
    if (key !== '__proto__') this.record[key] = text(value);
    else Object.defineProperty(this.record, key, { value: text(value), enumerable: true, writable: true });
  }
}

function kindOf(entity: RecordedEntity, isSegment: boolean): ZipkinKind | undefined {
  if (isSegment) return 'SERVER';
  return entity.namespace === 'remote' || entity.namespace === 'aws' ? 'CLIENT' : undefined;
}

function collectTags(entity: RecordedEntity): Tags {
  const tags = new Tags();
  for (const [key, value] of Object.entries(entity.annotations ?? {})) tags.set(key, value);
  if (entity.error === true || entity.fault === true) tags.set('error', 'true');
  if (entity.fault === true) tags.set('xray.fault', 'true');
  if (entity.throttle === true) tags.set('xray.throttle', 'true');
  const http = entity.http;
  if (http !== undefined && http !== null && typeof http === 'object') {
    tags.set('http.method', http.request?.method);
    tags.set('http.url', http.request?.url);
    tags.set('http.status_code', http.response?.status);
    tags.set('http.response.size', http.response?.content_length);
  }
  for (const [key, value] of Object.entries(entity.aws ?? {})) tags.set(`aws.${key}`, value);
  for (const [namespace, values] of Object.entries(entity.metadata ?? {})) {
    const prefix = namespace === 'default' ? '' : `${namespace}.`;
    for (const [key, value] of Object.entries(values ?? {})) tags.set(`${prefix}${key}`, value);
  }
  return tags;
}

function exceptionAnnotations(entity: RecordedEntity, at: number): Array<{ timestamp: number; value: string }> {
  const exceptions = entity.cause?.exceptions;
  if (!Array.isArray(exceptions) || exceptions.length === 0) return [];
  return exceptions.slice(0, MAX_EXCEPTION_ANNOTATIONS).map((exception) => {
    const type = typeof exception?.type === 'string' && exception.type !== '' ? `${exception.type}: ` : '';
    return { timestamp: at, value: clip(`exception: ${type}${String(exception?.message ?? '')}`) };
  });
}

/**
 * The Zipkin span of one closed entity; undefined when it lacks what Zipkin requires (a valid
 * trace id, a valid span id, a start and an end). `isSegment` marks a segment (the service's SERVER span).
 */
export function toZipkinSpan(
  entity: RecordedEntity,
  xrayTraceId: string,
  serviceName: string,
  isSegment = false,
): ZipkinSpan | undefined {
  const traceId = xrayToW3CTraceId(xrayTraceId);
  const start = seconds(entity.start_time);
  const end = seconds(entity.end_time);
  if (traceId === undefined || !isValidSpanId(entity.id) || start === undefined || end === undefined) return undefined;
  const timestamp = Math.round(start * MICROS_PER_SECOND);
  // Zipkin reads a duration under 1 µs as unknown: a span that took no measurable time is 1 µs.
  const duration = Math.max(1, Math.round(end * MICROS_PER_SECOND) - timestamp);
  const parentId = isSegment ? entity.parent_id : entity.parent?.id;
  const kind = kindOf(entity, isSegment);
  const name = typeof entity.name === 'string' && entity.name !== '' ? clip(entity.name) : 'span';
  const annotations = exceptionAnnotations(entity, timestamp + duration);
  return {
    traceId,
    id: entity.id,
    ...(isValidSpanId(parentId) ? { parentId } : {}),
    name,
    ...(kind === undefined ? {} : { kind }),
    timestamp,
    duration,
    localEndpoint: { serviceName },
    ...(kind === 'CLIENT' ? { remoteEndpoint: { serviceName: name.toLowerCase() } } : {}),
    tags: collectTags(entity).record,
    ...(annotations.length > 0 ? { annotations } : {}),
  };
}
