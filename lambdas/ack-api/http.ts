/**
 * The Lambda Function URL request and response shapes (payload format 2.0) the ack API reads
 * and writes, and small helpers to build responses.
 */

/** The parts of a Function URL event the ack API reads. */
export interface FunctionUrlEvent {
  readonly rawPath: string;
  readonly rawQueryString?: string;
  readonly headers?: Readonly<Record<string, string | undefined>>;
  readonly body?: string;
  readonly isBase64Encoded?: boolean;
  readonly requestContext: {
    readonly http: { readonly method: string; readonly sourceIp?: string };
    /** Present only behind an AWS_IAM Function URL, filled in by Lambda after SigV4 checks. */
    readonly authorizer?: { readonly iam?: { readonly userArn?: string; readonly accountId?: string } };
  };
}

export interface FunctionUrlResult {
  readonly statusCode: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

/** Request bodies above this are refused before parsing. */
export const MAX_BODY_BYTES = 16 * 1024;

const SECURITY_HEADERS = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
} as const;

export function json(statusCode: number, body: unknown): FunctionUrlResult {
  return {
    statusCode,
    headers: { 'content-type': 'application/json', ...SECURITY_HEADERS },
    body: JSON.stringify(body),
  };
}

export function problem(statusCode: number, message: string): FunctionUrlResult {
  return json(statusCode, { error: message });
}

const HTML_ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]);
}

/** A small page; `content` must already be escaped. Inline styles only, no scripts. */
export function html(statusCode: number, title: string, content: string): FunctionUrlResult {
  return {
    statusCode,
    headers: {
      'content-type': 'text/html; charset=utf-8',
      'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'",
      'referrer-policy': 'no-referrer',
      'x-frame-options': 'DENY',
      ...SECURITY_HEADERS,
    },
    body: `<!doctype html><html><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head><body style="font-family:sans-serif;max-width:40em;margin:2em auto">${content}</body></html>`,
  };
}

export function bodyText(event: FunctionUrlEvent): string {
  if (event.body === undefined || event.body === null) return '';
  return event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
}

export function queryParams(event: FunctionUrlEvent): Record<string, string> {
  return Object.fromEntries(new URLSearchParams(event.rawQueryString ?? ''));
}

export function formParams(event: FunctionUrlEvent): Record<string, string> {
  return Object.fromEntries(new URLSearchParams(bodyText(event)));
}

/** The IAM caller of an AWS_IAM Function URL, or undefined when the request was not signed. */
export function iamCaller(event: FunctionUrlEvent): string | undefined {
  return event.requestContext.authorizer?.iam?.userArn;
}
