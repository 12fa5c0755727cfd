/**
 * Spans: a thin wrapper over an X-Ray subsegment, and the no-op span passed when tracing is off
 * or there is no trace. Nothing here throws: bad keys are sanitized, unserializable metadata is
 * replaced, and a failure while sending is reported through the tracer's `warn`.
 */
import type { AnnotationValue, Span } from '../types';
import type { TraceContext } from './formats';
import { xrayToW3CTraceId } from './ids';
import type { SdkEntity } from './sdk';

/** X-Ray indexes at most 50 annotations per trace; more on one span go to metadata. */
export const MAX_ANNOTATIONS_PER_SPAN = 50;
/** Flags X-Ray shows on a (sub)segment: `error` for 4xx, `fault` for 5xx and exceptions, `throttle` for 429. */
export type SpanFlag = 'error' | 'fault' | 'throttle';

/** The kit's span: the `Span` contract plus what the X-Ray model adds. */
export interface TracerSpan extends Span {
  /** The sampling priority of the trace (root spans carry it as the `sampling_priority` annotation). */
  readonly priority: string | undefined;
  /** True when the span is sampled and will be sent. */
  readonly isRecording: boolean;
  /**
   * The MAIF monitoring guide's `span.set_attribute`: string, finite number or boolean as an
   * annotation, anything else as metadata.
   */
  setAttribute(key: string, value: unknown): void;
  /** Sets the error, fault or throttle flag without an exception. */
  addFlag(flag: SpanFlag): void;
  /** The context to propagate downstream (this span as the parent), or undefined for a no-op span. */
  context(): TraceContext | undefined;
}

/** What a span reports to its tracer. */
export interface SpanHooks {
  warnOnce(key: string, message: string): void;
  /** Something was not recorded (annotation over the limit, data after end, a failed send). */
  dropped(): void;
  /** A sampled span was closed (with the segment it closed too, for a root span outside Lambda): for the exporters. */
  ended?(entity: SdkEntity, traceId: string, root: SdkEntity | undefined): void;
}

const ANNOTATION_KEY_INVALID = /[^A-Za-z0-9_]/g;

/** X-Ray annotation keys allow letters, digits and `_` only: anything else becomes `_`. */
export function sanitizeAnnotationKey(key: string): string {
  return String(key).replace(ANNOTATION_KEY_INVALID, '_');
}

/** True for the values X-Ray indexes as annotations. */
export function isAnnotationValue(value: unknown): value is AnnotationValue {
  return (
    typeof value === 'string' || typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value))
  );
}

const bigintSafe = (_key: string, value: unknown) => (typeof value === 'bigint' ? value.toString() : value);

/** The value, or a marker when it cannot be serialized (cycles, throwing getters): the send must not fail. */
function serializable(value: unknown): unknown {
  try {
    JSON.stringify(value, bigintSafe);
    return typeof value === 'bigint' ? value.toString() : value;
  } catch (error) {
    return `[unserializable: ${error instanceof Error ? error.message : String(error)}]`;
  }
}

/** X-Ray accepts errors as objects or strings; anything else becomes an Error naming what was thrown. */
export function toRecordableError(error: unknown): Error | string {
  if (typeof error === 'string') return error;
  if (error instanceof Error) return error;
  if (error !== null && typeof error === 'object') {
    const { name, message, stack } = error as { name?: unknown; message?: unknown; stack?: unknown };
    const made = new Error(typeof message === 'string' ? message : safeString(error));
    if (typeof name === 'string') made.name = name;
    made.stack = typeof stack === 'string' ? stack : undefined;
    return made;
  }
  return new Error(`non-error value thrown: ${safeString(error)}`);
}

function safeString(value: unknown): string {
  try {
    return String(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}

/** A span over an X-Ray subsegment. `root` is the segment it closes too (a root span outside Lambda). */
export class XRaySpan implements TracerSpan {
  readonly name: string;
  readonly priority: string | undefined;
  readonly #entity: SdkEntity;
  readonly #root: SdkEntity | undefined;
  readonly #traceId: string;
  readonly #hooks: SpanHooks;
  readonly #lineage: string | undefined;
  #annotations = 0;
  #ended = false;

  constructor(
    name: string,
    entity: SdkEntity,
    traceId: string,
    hooks: SpanHooks,
    extra: { priority?: string; root?: SdkEntity; lineage?: string } = {},
  ) {
    this.name = name;
    this.#entity = entity;
    this.#traceId = traceId;
    this.#hooks = hooks;
    this.priority = extra.priority;
    this.#root = extra.root;
    this.#lineage = extra.lineage;
  }

  /** X-Ray form: `1-5759e988-bd862e3fe1be46a994272793`. */
  get traceId(): string {
    return this.#traceId;
  }

  get spanId(): string {
    return this.#entity.id;
  }

  get isRecording(): boolean {
    return !this.#ended && this.#entity.notTraced !== true;
  }

  get ended(): boolean {
    return this.#ended;
  }

  /** The SDK subsegment, for children and captured calls. */
  get entity(): SdkEntity {
    return this.#entity;
  }

  setAnnotation(key: string, value: AnnotationValue): void {
    if (!isAnnotationValue(value)) {
      this.setMetadata(String(key), value);
      return;
    }
    if (this.#ended) {
      this.#hooks.dropped();
      return;
    }
    const safeKey = sanitizeAnnotationKey(key);
    if (safeKey === '') {
      this.#hooks.dropped();
      return;
    }
    const annotations = (this.#entity as { annotations?: Record<string, unknown> }).annotations;
    const isNew = annotations === undefined || !Object.hasOwn(annotations, safeKey);
    if (isNew && this.#annotations >= MAX_ANNOTATIONS_PER_SPAN) {
      this.#hooks.warnOnce(
        'annotations',
        `span '${this.name}': more than ${MAX_ANNOTATIONS_PER_SPAN} annotations, the rest go to metadata`,
      );
      this.setMetadata(safeKey, value);
      return;
    }
    if (isNew) this.#annotations++;
    this.#guard(() => this.#entity.addAnnotation(safeKey, value));
  }

  setMetadata(key: string, value: unknown, namespace?: string): void {
    if (this.#ended) {
      this.#hooks.dropped();
      return;
    }
    // X-Ray reserves namespaces starting with `AWS.`.
    const ns =
      typeof namespace === 'string' && namespace !== '' && !namespace.startsWith('AWS.') ? namespace : 'default';
    this.#guard(() => this.#entity.addMetadata(String(key), serializable(value), ns));
  }

  setAttribute(key: string, value: unknown): void {
    if (isAnnotationValue(value)) this.setAnnotation(key, value);
    else this.setMetadata(String(key), value);
  }

  recordError(error: unknown): void {
    if (this.#ended) {
      this.#hooks.dropped();
      return;
    }
    this.#guard(() => this.#entity.addError(toRecordableError(error)));
  }

  addFlag(flag: SpanFlag): void {
    if (this.#ended) {
      this.#hooks.dropped();
      return;
    }
    if (flag === 'error') this.#entity.addErrorFlag();
    else if (flag === 'fault') this.#entity.addFaultFlag();
    else if (flag === 'throttle') this.#entity.addThrottleFlag();
  }

  context(): TraceContext | undefined {
    const traceId = xrayToW3CTraceId(this.#traceId);
    if (traceId === undefined) return undefined;
    const sampled = this.#entity.notTraced !== true;
    return this.#lineage === undefined
      ? { traceId, spanId: this.spanId, sampled }
      : { traceId, spanId: this.spanId, sampled, lineage: this.#lineage };
  }

  /** Closes the subsegment (and the segment of a root span), which sends what is complete. Idempotent. */
  end(): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#guard(() => {
      this.#entity.close();
      this.#root?.close();
    });
    const ended = this.#hooks.ended;
    if (ended !== undefined && this.#entity.notTraced !== true) {
      this.#guard(() => ended(this.#entity, this.#traceId, this.#root));
    }
  }

  #guard(fn: () => void): void {
    try {
      fn();
    } catch (error) {
      this.#hooks.dropped();
      this.#hooks.warnOnce(
        `span:${error instanceof Error ? error.message : ''}`,
        `span '${this.name}': ${safeString(error)}`,
      );
    }
  }
}

/** The span passed when tracing is off or there is no trace: every call is a no-op. */
export class NoopSpan implements TracerSpan {
  readonly name: string;
  readonly traceId: string | undefined;
  readonly spanId = undefined;
  readonly priority: string | undefined;
  readonly isRecording = false;

  constructor(name: string, traceId?: string, priority?: string) {
    this.name = name;
    this.traceId = traceId;
    this.priority = priority;
  }

  setAnnotation(): void {}
  setMetadata(): void {}
  setAttribute(): void {}
  recordError(): void {}
  addFlag(): void {}
  context(): undefined {
    return undefined;
  }
  end(): void {}
}
