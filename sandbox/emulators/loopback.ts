/**
 * Shared plumbing of the sandbox's emulators: listen on 127.0.0.1 (port 0 = ephemeral), read a
 * request body, close a server with every socket it holds (keep-alive connections of the AWS
 * SDK included, so jest exits cleanly), and the credentials the SDK clients sign with.
 */
import type { IncomingMessage, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';

export const LOOPBACK_HOST = '127.0.0.1';

/** The emulators never check signatures; the SDK still needs credentials to sign with. */
export const EMULATOR_CREDENTIALS = { accessKeyId: 'AKIDSANDBOX', secretAccessKey: 'sandbox-secret' } as const;

/** Largest request body an emulator reads (the largest AWS request the sandbox makes is far below). */
export const MAX_BODY_BYTES = 8 * 1024 * 1024;

/** Listens on 127.0.0.1:`port` and resolves with the port actually bound. */
export async function listenLoopback(server: Server, port = 0): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, LOOPBACK_HOST, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return (server.address() as AddressInfo).port;
}

/** Stops accepting, drops every open connection (idle or not) and resolves once closed. */
export function closeServer(server: Server): Promise<void> {
  if (!server.listening) return Promise.resolve();
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

/**
 * A request body over the limit. The request is drained, not destroyed, so the server can still
 * answer it (a 413 the client reads instead of a connection reset).
 */
export class BodyTooLargeError extends Error {
  readonly limit: number;
  constructor(limit: number, declared?: number) {
    super(
      declared === undefined
        ? `body: over the ${limit} bytes allowed`
        : `body: ${declared} bytes is over the ${limit} allowed`,
    );
    this.name = 'BodyTooLargeError';
    this.limit = limit;
  }
}

/**
 * The request body as a Buffer (gunzipped when `content-encoding: gzip`); rejects with
 * BodyTooLargeError past `limit` bytes, before reading any when `content-length` says so.
 */
export function readBody(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (declared > limit) {
    req.resume();
    return Promise.reject(new BodyTooLargeError(limit, declared));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        // Stop buffering but keep reading: the rest is discarded and the answer still goes out.
        req.off('data', onData);
        chunks.length = 0;
        req.resume();
        reject(new BodyTooLargeError(limit));
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.on('error', reject);
    req.on('end', () => {
      if (size > limit) return;
      const raw = Buffer.concat(chunks);
      try {
        resolve(req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw);
      } catch (error) {
        reject(error);
      }
    });
  });
}

/** Calls each listener with `args` and swallows what it throws: a listener's bug must not break an emulator. */
export function notify<A extends unknown[]>(listeners: Iterable<(...args: A) => void>, ...args: A): void {
  for (const listener of listeners) {
    try {
      listener(...args);
    } catch {
      // A listener is the caller's code; the emulator keeps serving.
    }
  }
}
