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
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { MAX_BODY_BYTES } from '../../lambdas/ack-api/http';
import type { SandboxView } from '../types';
import { ackPath, FORWARDED_ROUTES, functionUrlEvent, isLinkPath } from './ack-forward';
import { snapshot } from './snapshot';

export const WEB_HOST = '127.0.0.1';

export interface WebServerOptions {
  /** 0 picks a free port. */
  readonly port: number;
  readonly host?: typeof WEB_HOST;
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

/** The request body as UTF-8, refused (413) over MAX_BODY_BYTES before it is all read. */
function readBody(req: IncomingMessage): Promise<string> {
  const declared = Number(req.headers['content-length']);
  if (declared > MAX_BODY_BYTES) {
    return Promise.reject(new HttpError(413, `body: ${declared} bytes is over the ${MAX_BODY_BYTES} allowed`));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new HttpError(413, `body: over the ${MAX_BODY_BYTES} bytes allowed`));
        req.removeAllListeners('data');
        req.resume();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
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
    const body = method === 'GET' ? '' : await readBody(req);
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

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      reject(error.code === 'EADDRINUSE' ? new PortInUseError(port) : error);
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

/** Serves the page for `view` on 127.0.0.1; rejects with PortInUseError when the port is taken. */
export async function startWebServer(view: SandboxView, options: WebServerOptions): Promise<WebServer> {
  const { port } = options;
  if (!(Number.isInteger(port) && port >= 0 && port <= 65535)) {
    throw new Error(`port: ${String(port)} is not allowed (use 0 to 65535; 0 picks a free port)`);
  }
  const host = options.host ?? WEB_HOST;
  if (host !== WEB_HOST) {
    throw new Error(`host: '${String(host)}' is not allowed (the sandbox serves on ${WEB_HOST} only)`);
  }
  let ctx: Context | undefined;
  const server = createServer((req, res) => {
    if (!ctx) return void sendJson(res, 503, { error: 'the server is starting' });
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
  await listen(server, port, host);
  const bound = (server.address() as AddressInfo).port;
  const hosts = [`${WEB_HOST}:${bound}`, `localhost:${bound}`];
  ctx = {
    view,
    hosts: new Set(hosts),
    origins: new Set(hosts.map((h) => `http://${h}`)),
    origin: `http://${WEB_HOST}:${bound}`,
  };
  return {
    url: `${ctx.origin}/`,
    port: bound,
    stop: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
