/**
 * A loopback AWS endpoint for JSON-protocol services (CloudWatch's AWS JSON 1.0, EventBridge's
 * 1.1): records each request's target and decoded body, and answers from per-target handlers,
 * so tests run the real SDK clients with an `endpoint` override.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';

export interface LoopbackRequest {
  /** `x-amz-target`, e.g. `GraniteServiceVersion20100801.GetMetricData`, `AWSEvents.PutEvents`. */
  readonly target: string;
  readonly body: Record<string, unknown>;
}

export interface LoopbackReply {
  readonly status?: number;
  /** Sent verbatim (a recorded response) when a string, else JSON-encoded. */
  readonly body: string | Record<string, unknown>;
}

export type LoopbackHandler = (body: Record<string, unknown>, index: number) => LoopbackReply;

export const LOOPBACK_CREDENTIALS = { accessKeyId: 'AKIDLOCAL', secretAccessKey: 'local-secret' } as const;

export class AwsJsonLoopback {
  readonly requests: LoopbackRequest[] = [];
  readonly #server: Server;
  readonly #handlers: Record<string, LoopbackHandler>;

  private constructor(handlers: Record<string, LoopbackHandler>) {
    this.#handlers = handlers;
    this.#server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        let raw = Buffer.concat(chunks);
        if (req.headers['content-encoding'] === 'gzip') raw = gunzipSync(raw);
        const target = String(req.headers['x-amz-target'] ?? '');
        const body = raw.length > 0 ? (JSON.parse(raw.toString('utf8')) as Record<string, unknown>) : {};
        const index = this.requests.filter((r) => r.target === target).length;
        this.requests.push({ target, body });
        const handler = this.#handlers[target];
        const reply: LoopbackReply = handler
          ? handler(body, index)
          : { status: 400, body: { __type: 'UnknownOperationException', message: `no handler for ${target}` } };
        res.writeHead(reply.status ?? 200, { 'content-type': 'application/x-amz-json-1.0' });
        res.end(typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body));
      });
    });
  }

  static async start(
    handlers: Record<string, LoopbackHandler>,
  ): Promise<{ loopback: AwsJsonLoopback; endpoint: string }> {
    const loopback = new AwsJsonLoopback(handlers);
    await new Promise<void>((resolve) => loopback.#server.listen(0, '127.0.0.1', resolve));
    const { port } = loopback.#server.address() as AddressInfo;
    return { loopback, endpoint: `http://127.0.0.1:${port}` };
  }

  of(target: string): LoopbackRequest[] {
    return this.requests.filter((r) => r.target === target);
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }
}
