/**
 * Trace context propagation: `extract` reads the first valid context from incoming headers in a
 * configured order of formats, `inject` writes a context into outgoing headers. Header lookup
 * ignores case (Node lower-cases names; API Gateway events keep the client's case).
 * No X-Ray SDK here: this module can be used on its own.
 */
import {
  B3_HEADERS,
  formatB3Multi,
  formatB3Single,
  formatJaeger,
  formatTraceparent,
  formatXRayHeader,
  parseB3Multi,
  parseB3Single,
  parseJaeger,
  parseTraceparent,
  parseXRayHeader,
  type TraceContext,
} from './formats';

/** `b3` reads the single header then the `X-B3-*` headers, and writes the single header. */
export const PROPAGATION_FORMATS = ['xray', 'w3c', 'b3', 'b3multi', 'jaeger'] as const;
export type PropagationFormat = (typeof PROPAGATION_FORMATS)[number];

/** X-Ray first (what AWS services send and read), then W3C. */
export const DEFAULT_PROPAGATION_FORMATS: readonly PropagationFormat[] = ['xray', 'w3c'] as const;

/** Header names, as written; lookups ignore case. */
export const TRACE_HEADERS = {
  xray: 'X-Amzn-Trace-Id',
  traceparent: 'traceparent',
  tracestate: 'tracestate',
  b3: 'b3',
  jaeger: 'uber-trace-id',
} as const;

/** Plain header objects (Node `IncomingHttpHeaders`, API Gateway `headers`) or fetch `Headers`. */
export type HeaderSource =
  | Readonly<Record<string, string | readonly string[] | number | undefined | null>>
  | { get(name: string): string | null | undefined };

/** Plain header objects, or anything with `set` (fetch `Headers`). */
export type HeaderTarget = Record<string, string> | { set(name: string, value: string): void };

/** Checks a `formats` list and returns it; errors name the option, the value and what is allowed. */
export function checkFormats(formats: unknown, field = 'propagation.formats'): readonly PropagationFormat[] {
  if (!Array.isArray(formats) || formats.length === 0) {
    throw new Error(
      `${field}: ${JSON.stringify(formats)} is not a list of formats (use one or more of ${PROPAGATION_FORMATS.join(', ')})`,
    );
  }
  for (const format of formats) {
    if (!(PROPAGATION_FORMATS as readonly unknown[]).includes(format)) {
      throw new Error(
        `${field}: '${String(format)}' is not a propagation format (use one of ${PROPAGATION_FORMATS.join(', ')})`,
      );
    }
  }
  return formats as PropagationFormat[];
}

/** A case-insensitive lookup over `headers`; multiple values are joined with `,`. Never throws. */
export function headerGetter(headers: HeaderSource | undefined | null): (name: string) => string | undefined {
  if (headers === undefined || headers === null || typeof headers !== 'object') return () => undefined;
  if (typeof (headers as { get?: unknown }).get === 'function') {
    const source = headers as { get(name: string): string | null | undefined };
    return (name) => {
      try {
        const value = source.get(name);
        return typeof value === 'string' ? value : undefined;
      } catch {
        return undefined;
      }
    };
  }
  const record = headers as Readonly<Record<string, unknown>>;
  let lowered: Map<string, unknown> | undefined;
  return (name) => {
    const lower = name.toLowerCase();
    let value = Object.hasOwn(record, lower) ? record[lower] : undefined;
    if (value === undefined) {
      // Built once per getter, only when the fast lower-case lookup misses.
      if (lowered === undefined) {
        lowered = new Map();
        for (const key of Object.keys(record)) {
          const k = key.toLowerCase();
          if (!lowered.has(k)) lowered.set(k, record[key]);
        }
      }
      value = lowered.get(lower);
    }
    if (typeof value === 'string') return value;
    if (Array.isArray(value)) return value.filter((v) => typeof v === 'string').join(',');
    return undefined;
  };
}

/**
 * The first valid trace context found in `headers`, trying `formats` in order; undefined when
 * there is none. Invalid headers are skipped, never thrown on.
 */
export function extract(
  headers: HeaderSource | undefined | null,
  formats: readonly PropagationFormat[] = DEFAULT_PROPAGATION_FORMATS,
): TraceContext | undefined {
  try {
    const get = headerGetter(headers);
    for (const format of formats) {
      const context = extractOne(get, format);
      if (context !== undefined) return context;
    }
  } catch {
    // A hostile header object (throwing getters or proxy traps): no context.
  }
  return undefined;
}

function extractOne(get: (name: string) => string | undefined, format: PropagationFormat): TraceContext | undefined {
  switch (format) {
    case 'xray':
      return parseXRayHeader(get(TRACE_HEADERS.xray));
    case 'w3c': {
      const traceparent = get(TRACE_HEADERS.traceparent);
      return traceparent === undefined ? undefined : parseTraceparent(traceparent, get(TRACE_HEADERS.tracestate));
    }
    case 'b3': {
      const single = parseB3Single(get(TRACE_HEADERS.b3));
      if (single?.traceId !== undefined) return single;
      return parseB3Multi(get);
    }
    case 'b3multi':
      return parseB3Multi(get);
    case 'jaeger':
      return parseJaeger(get(TRACE_HEADERS.jaeger));
    default:
      return undefined;
  }
}

/** Writes `context` into `headers` in each of `formats`; returns `headers`. Never throws. */
export function inject<T extends HeaderTarget>(
  context: TraceContext,
  headers: T,
  formats: readonly PropagationFormat[] = DEFAULT_PROPAGATION_FORMATS,
): T {
  const set =
    typeof (headers as { set?: unknown }).set === 'function'
      ? (name: string, value: string) => (headers as { set(name: string, value: string): void }).set(name, value)
      : (name: string, value: string) => {
          (headers as Record<string, string>)[name] = value;
        };
  try {
    for (const format of formats) {
      switch (format) {
        case 'xray':
          set(TRACE_HEADERS.xray, formatXRayHeader(context));
          break;
        case 'w3c':
          set(TRACE_HEADERS.traceparent, formatTraceparent(context));
          if (context.state !== undefined) set(TRACE_HEADERS.tracestate, context.state);
          break;
        case 'b3':
          set(TRACE_HEADERS.b3, formatB3Single(context));
          break;
        case 'b3multi':
          for (const [name, value] of Object.entries(formatB3Multi(context))) if (value !== undefined) set(name, value);
          break;
        case 'jaeger':
          set(TRACE_HEADERS.jaeger, formatJaeger(context));
          break;
      }
    }
  } catch {
    // A frozen or hostile header object: the request goes out without trace headers.
  }
  return headers;
}

/** Names of every header `inject` may write, lower case (e.g. for CORS `Access-Control-Allow-Headers`). */
export function propagationHeaderNames(formats: readonly PropagationFormat[] = PROPAGATION_FORMATS): string[] {
  const names: Record<PropagationFormat, string[]> = {
    xray: [TRACE_HEADERS.xray],
    w3c: [TRACE_HEADERS.traceparent, TRACE_HEADERS.tracestate],
    b3: [TRACE_HEADERS.b3],
    b3multi: Object.values(B3_HEADERS),
    jaeger: [TRACE_HEADERS.jaeger],
  };
  return [...new Set(formats.flatMap((format) => names[format].map((name) => name.toLowerCase())))];
}
