/**
 * The sandbox's web server (node:http, no framework), bound to 127.0.0.1 only: the page and its
 * assets (uPlot from node_modules, nothing from a CDN), `GET /api/snapshot`, and the alert routes
 * forwarded to the real ack API handler as its AWS_IAM Function URL would call it.
 *
 * A page on another site must not act on alerts: POST and DELETE carrying an `Origin` that is not
 * this server's are refused (403), and every request must name this server in `Host`, so a DNS
 * rebinding page cannot read the snapshot either.
 */
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { dirname, join } from 'node:path';
import { MAX_BODY_BYTES } from '../../lambdas/ack-api/http';
import { BodyTooLargeError, closeServer, LOOPBACK_HOST, listenLoopback, readBody } from '../emulators/loopback';
import type { SandboxView } from '../types';
import { ackPath, FORWARDED_ROUTES, functionUrlEvent, isLinkPath } from './ack-forward';
import { snapshot } from './snapshot';

export const WEB_HOST = LOOPBACK_HOST;

export interface WebServerOptions {
  /** 0 picks a free port. */
  readonly port: number;
}

export interface WebServer {
  /** `http://127.0.0.1:<port>/` */
  readonly url: string;
  readonly port: number;
  stop(): Promise<void>;
}

/** The port is taken: the message says what to do. */
export class PortInUseError extends Error {
  readonly port: number;
  constructor(port: number) {
    super(
      `port ${port} is in use on ${WEB_HOST}: pass --port <free port> (or --port 0 for any) or stop what is using it`,
    );
    this.name = 'PortInUseError';
    this.port = port;
  }
}

const PAGE_DIR = join(__dirname, 'page');
const UPLOT_DIR = join(dirname(require.resolve('uplot/package.json')), 'dist');

/** Every file the server serves: a fixed table, so no request path ever reaches the file system. */
const FILES: Readonly<Record<string, { readonly file: string; readonly type: string }>> = {
  '/': { file: join(PAGE_DIR, 'index.html'), type: 'text/html; charset=utf-8' },
  '/assets/app.js': { file: join(PAGE_DIR, 'app.js'), type: 'text/javascript; charset=utf-8' },
  '/assets/style.css': { file: join(PAGE_DIR, 'style.css'), type: 'text/css; charset=utf-8' },
  '/assets/uPlot.iife.min.js': { file: join(UPLOT_DIR, 'uPlot.iife.min.js'), type: 'text/javascript; charset=utf-8' },
  '/assets/uPlot.min.css': { file: join(UPLOT_DIR, 'uPlot.min.css'), type: 'text/css; charset=utf-8' },
};

const COMMON_HEADERS = { 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' } as const;
const PAGE_HEADERS = {
  ...COMMON_HEADERS,
  // Scripts and styles from this server only; the icon is an empty data: URL (no favicon request).
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
} as const;

class HttpError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    ...COMMON_HEADERS,
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

/** The request body as UTF-8; over the ack API's MAX_BODY_BYTES it is refused (413) before it is all read. */
async function readText(req: IncomingMessage): Promise<string> {
  try {
    return (await readBody(req, MAX_BODY_BYTES)).toString('utf8');
  } catch (error) {
    throw error instanceof BodyTooLargeError ? new HttpError(413, error.message) : error;
  }
}

interface Context {
  readonly view: SandboxView;
  readonly origins: ReadonlySet<string>;
  readonly hosts: ReadonlySet<string>;
  readonly origin: string;
}

async function handle(ctx: Context, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const method = req.method ?? 'GET';
  const host = req.headers.host ?? '';
  if (!ctx.hosts.has(host)) {
    throw new HttpError(403, `host '${host}' is not this server (open ${ctx.origin}/)`);
  }
  const origin = req.headers.origin;
  if (method !== 'GET' && method !== 'HEAD' && origin !== undefined && !ctx.origins.has(origin)) {
    throw new HttpError(403, `origin '${origin}' is not allowed to ${method} here (only ${ctx.origin})`);
  }
  const url = new URL(req.url ?? '/', ctx.origin);

  const file = method === 'GET' ? FILES[url.pathname] : undefined;
  if (file) {
    const content = await readFile(file.file);
    res.writeHead(200, {
      ...(url.pathname === '/' ? PAGE_HEADERS : COMMON_HEADERS),
      'content-type': file.type,
      'content-length': content.length,
    });
    res.end(content);
    return;
  }
  if (method === 'GET' && url.pathname === '/api/snapshot') {
    sendJson(res, 200, snapshot(ctx.view));
    return;
  }
  const link = isLinkPath(method, url.pathname);
  const path = link ? url.pathname : ackPath(method, url.pathname);
  if (path !== undefined) {
    const body = method === 'GET' ? '' : await readText(req);
    const event = functionUrlEvent({
      method,
      path,
      query: url.search.slice(1),
      headers: req.headers,
      body,
      sourceIp: req.socket.remoteAddress,
      link,
    });
    const result = await ctx.view.ackApi(event);
    res.writeHead(result.statusCode, result.headers);
    res.end(result.body);
    return;
  }
  throw new HttpError(
    404,
    `${method} ${url.pathname} is not a route (GET /, GET /assets/*, GET /api/snapshot, ${FORWARDED_ROUTES})`,
  );
}

/** Serves the page for `view` on 127.0.0.1; rejects with PortInUseError when the port is taken. */
export async function startWebServer(view: SandboxView, options: WebServerOptions): Promise<WebServer> {
  const { port } = options;
  if (!(Number.isInteger(port) && port >= 0 && port <= 65535)) {
    throw new Error(`port: ${String(port)} is not allowed (use 0 to 65535; 0 picks a free port)`);
  }
  const server = createServer();
  const bound = await listenLoopback(server, port).catch((error: NodeJS.ErrnoException) => {
    throw error.code === 'EADDRINUSE' ? new PortInUseError(port) : error;
  });
  const hosts = [`${WEB_HOST}:${bound}`, `localhost:${bound}`];
  const ctx: Context = {
    view,
    hosts: new Set(hosts),
    origins: new Set(hosts.map((h) => `http://${h}`)),
    origin: `http://${WEB_HOST}:${bound}`,
  };
  // Bound first: the Host and Origin checks need the port, and no request is read before this runs.
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    handle(ctx, req, res).catch((error: unknown) => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      if (error instanceof HttpError) {
        if (error.status === 413) res.setHeader('connection', 'close');
        sendJson(res, error.status, { error: error.message });
        return;
      }
      // A failing view or handler is shown to the page, never fatal to the server.
      sendJson(res, 500, { error: `internal error: ${error instanceof Error ? error.message : String(error)}` });
    });
  });
  return { url: `${ctx.origin}/`, port: bound, stop: () => closeServer(server) };
}
