/**
 * The page's alert routes, forwarded to the real ack API handler as the `FunctionUrlEvent` an
 * AWS_IAM Function URL hands the Lambda once it has verified SigV4: the caller is the sandbox
 * user, everything else is the browser's request as received.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { FunctionUrlEvent } from '../../lambdas/ack-api/http';

/** Who acts on alerts from the page (as the Function URL's IAM authorizer would report it). */
export const SANDBOX_CALLER_ARN = 'arn:aws:iam::000000000000:user/sandbox';

/** Page route -> ack API path; only these are forwarded. */
const ROUTES: readonly { readonly method: string; readonly path: RegExp }[] = [
  { method: 'GET', path: /^\/alerts$/ },
  { method: 'POST', path: /^\/alerts\/[^/]+\/ack$/ },
  { method: 'GET', path: /^\/silences$/ },
  { method: 'POST', path: /^\/silences$/ },
  { method: 'DELETE', path: /^\/silences\/[^/]+$/ },
];

export const FORWARDED_ROUTES =
  'GET /api/alerts, POST /api/alerts/{fingerprint}/ack, GET|POST /api/silences, DELETE /api/silences/{id}, GET|POST /ack, GET|POST /silence (signed links)';

/**
 * The signed ack and silence links the notifications carry (domain/routing/links.ts):
 * served like the ack API's links-mode Function URL (auth NONE), so no IAM caller is set and the
 * handler checks the link's signature itself.
 */
export function isLinkPath(method: string, pathname: string): boolean {
  return (method === 'GET' || method === 'POST') && (pathname === '/ack' || pathname === '/silence');
}

/** The ack API path of a page route (`/api/alerts` -> `/alerts`), or undefined when it is not forwarded. */
export function ackPath(method: string, pathname: string): string | undefined {
  if (!pathname.startsWith('/api/')) return undefined;
  const path = pathname.slice('/api'.length);
  return ROUTES.some((r) => r.method === method && r.path.test(path)) ? path : undefined;
}

export interface ForwardRequest {
  readonly method: string;
  /** The ack API path (see ackPath). */
  readonly path: string;
  /** Without the leading '?'. */
  readonly query: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  readonly sourceIp?: string;
  /** A signed link (auth NONE): no IAM caller. */
  readonly link?: boolean;
}

/** The Function URL event (payload format 2.0) for one forwarded request. */
export function functionUrlEvent(request: ForwardRequest): FunctionUrlEvent {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    // Function URLs join repeated headers with commas, as HTTP allows.
    if (value !== undefined) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(',') : value;
  }
  return {
    rawPath: request.path,
    rawQueryString: request.query,
    headers,
    ...(request.body === '' ? {} : { body: request.body }),
    isBase64Encoded: false,
    requestContext: {
      http: { method: request.method, ...(request.sourceIp ? { sourceIp: request.sourceIp } : {}) },
      ...(request.link ? {} : { authorizer: { iam: { userArn: SANDBOX_CALLER_ARN, accountId: '000000000000' } } }),
    },
  };
}
