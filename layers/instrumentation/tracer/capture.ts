/**
 * Captured calls: `fetch` and AWS SDK v3 clients, each call a subsegment under the active span
 * (`remote` / `aws` namespace, http fields, error / fault / throttle flags) with the trace header
 * sent downstream. Written here rather than taken from the SDK: the SDK's patchers resolve the
 * parent through its cls-hooked context, which the tracer does not load.
 */

import { formatXRayHeader } from './formats';
import { inject, type PropagationFormat, TRACE_HEADERS } from './propagation';
import type { TracerSpan, XRaySpan } from './span';

/** What captured calls need from the tracer. */
export interface CaptureHost {
  readonly formats: readonly PropagationFormat[];
  activeEntitySpan(): XRaySpan | undefined;
  startActiveSpan<T>(name: string, fn: (span: TracerSpan) => T): T;
  warnOnce(key: string, message: string): void;
}

// biome-ignore lint/suspicious/noExplicitAny: matches any fetch signature (undici's, the DOM's, node-fetch's)
export type FetchLike = (input: any, init?: any) => Promise<any>;

const HTTP_TOO_MANY_REQUESTS = 429;

/** Flags by status, as X-Ray reads them: 4xx error (429 also throttle), 5xx fault. */
function flagStatus(span: XRaySpan, status: number | undefined): void {
  if (status === undefined) return;
  if (status === HTTP_TOO_MANY_REQUESTS) {
    span.addFlag('throttle');
    span.addFlag('error');
  } else if (status >= 400 && status < 500) span.addFlag('error');
  else if (status >= 500) span.addFlag('fault');
}

/** The URL without query string and fragment (they may carry secrets). */
function stripQuery(url: string): string {
  const cut = url.search(/[?#]/);
  return cut < 0 ? url : url.slice(0, cut);
}

export function captureFetch<F extends FetchLike>(host: CaptureHost, fetchImpl: F): F {
  if (typeof fetchImpl !== 'function') {
    throw new Error(
      `captureFetch fetchImpl: ${typeof fetchImpl} is not a function (pass fetch or leave it out on Node 18+)`,
    );
  }
  const traced = function fetchTraced(input: unknown, init?: Record<string, unknown>): Promise<unknown> {
    if (host.activeEntitySpan() === undefined) return fetchImpl(input, init);
    let url: URL;
    let method: string;
    let baseHeaders: unknown;
    try {
      const isRequest = typeof Request !== 'undefined' && input instanceof Request;
      url = new URL(isRequest ? (input as Request).url : String(input instanceof URL ? input.href : input));
      method = String(init?.method ?? (isRequest ? (input as Request).method : 'GET')).toUpperCase();
      baseHeaders = init?.headers ?? (isRequest ? (input as Request).headers : undefined);
    } catch {
      return fetchImpl(input, init); // let fetch report the bad input itself
    }
    return host.startActiveSpan(url.hostname, async (span) => {
      const xraySpan = host.activeEntitySpan();
      let headers: Headers | undefined;
      if (xraySpan !== undefined) {
        xraySpan.entity.namespace = 'remote';
        try {
          headers = new Headers(baseHeaders as ConstructorParameters<typeof Headers>[0]);
          const context = span.context();
          if (context !== undefined && !headers.has(TRACE_HEADERS.xray)) inject(context, headers, host.formats);
        } catch (error) {
          host.warnOnce('fetch-headers', `captured fetch: the trace headers could not be set: ${String(error)}`);
          headers = undefined;
        }
      }
      const request = { url: stripQuery(url.href), method };
      const response = await fetchImpl(input, headers === undefined ? init : { ...init, headers });
      if (xraySpan !== undefined) {
        const status = typeof response?.status === 'number' ? response.status : undefined;
        const length = Number.parseInt(response?.headers?.get?.('content-length') ?? '', 10);
        xraySpan.entity.http = {
          request,
          response: Number.isFinite(length) ? { status, content_length: length } : { status },
        };
        flagStatus(xraySpan, status);
      }
      return response;
    });
  };
  return traced as unknown as F;
}

/** The parts of an AWS SDK v3 client this module touches (structural: no SDK import). */
interface V3ClientLike {
  middlewareStack: {
    add(middleware: unknown, options: { step: string; name: string; priority?: string }): void;
    remove(name: string): boolean;
  };
  config?: { region?: string | (() => Promise<string>) };
}

interface V3Args {
  input?: unknown;
  request?: { headers?: Record<string, string> };
}

interface V3Metadata {
  httpStatusCode?: number;
  requestId?: string;
  extendedRequestId?: string;
  attempts?: number;
}

const MIDDLEWARE_NAME = 'MaifXRayInstrumentation';

export function captureAWSv3Client<C extends object>(host: CaptureHost, client: C): C {
  const stack = (client as unknown as V3ClientLike).middlewareStack;
  if (stack === undefined || typeof stack.add !== 'function') {
    throw new Error('captureAWSv3Client client: no middlewareStack (pass an AWS SDK v3 client)');
  }
  const config = (client as unknown as V3ClientLike).config;
  const middleware =
    (next: (args: V3Args) => Promise<{ output?: { $metadata?: V3Metadata } }>, context: Record<string, unknown>) =>
    (args: V3Args) => {
      if (host.activeEntitySpan() === undefined) return next(args);
      const service = String(context.clientName ?? 'AWS').replace(/Client$/, '');
      const command = String(context.commandName ?? 'Unknown').replace(/Command$/, '');
      const operation = command.charAt(0).toLowerCase() + command.slice(1);
      return host.startActiveSpan(service, async () => {
        const span = host.activeEntitySpan() as XRaySpan;
        span.entity.namespace = 'aws';
        const ctx = span.context();
        if (ctx !== undefined && args.request?.headers !== undefined) {
          args.request.headers[TRACE_HEADERS.xray] = formatXRayHeader(ctx);
        }
        let metadata: V3Metadata | undefined;
        try {
          const result = await next(args);
          metadata = result?.output?.$metadata;
          return result;
        } catch (error) {
          metadata = (error as { $metadata?: V3Metadata } | null)?.$metadata;
          if (/throttl/i.test(String((error as { name?: unknown } | null)?.name))) span.addFlag('throttle');
          throw error;
        } finally {
          await describe(span, operation, config, metadata);
        }
      });
    };
  stack.remove(MIDDLEWARE_NAME);
  stack.add(middleware, { step: 'build', name: MIDDLEWARE_NAME });
  return client;
}

async function describe(
  span: XRaySpan,
  operation: string,
  config: V3ClientLike['config'],
  metadata: V3Metadata | undefined,
) {
  let region: string | undefined;
  try {
    const value = typeof config?.region === 'function' ? await config.region() : config?.region;
    region = typeof value === 'string' ? value : undefined;
  } catch {
    // an unresolvable region is left out
  }
  const aws: Record<string, unknown> = { operation };
  if (region !== undefined) aws.region = region;
  if (metadata?.requestId !== undefined) aws.request_id = metadata.requestId;
  if (metadata?.extendedRequestId !== undefined) aws.id_2 = metadata.extendedRequestId;
  if (typeof metadata?.attempts === 'number') aws.retries = Math.max(0, metadata.attempts - 1);
  span.entity.addAttribute('aws', aws);
  const status = metadata?.httpStatusCode;
  if (status !== undefined) span.entity.http = { response: { status } };
  flagStatus(span, status);
}
