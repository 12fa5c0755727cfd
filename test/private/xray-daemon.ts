/**
 * A UDP listener speaking the X-Ray daemon protocol: each datagram is the header line
 * `{"format":"json","version":1}`, a newline, then one segment or subsegment document.
 * Point `AWS_XRAY_DAEMON_ADDRESS` at `address` before the SDK's emitter is first loaded.
 *
 *   const daemon = await startXRayDaemon();
 *   process.env.AWS_XRAY_DAEMON_ADDRESS = daemon.address;
 *   ... run spans ...
 *   const [segment] = await daemon.waitFor(1);
 *   await daemon.close();
 */
import { createSocket, type Socket } from 'node:dgram';
import { parseDatagram } from '../../sandbox/emulators/xray';

/** One segment or subsegment document as the daemon receives it (fields the tests read). */
export interface XRayDocument {
  readonly trace_id: string;
  readonly id: string;
  readonly name: string;
  readonly parent_id?: string;
  readonly type?: 'subsegment';
  readonly start_time: number;
  readonly end_time?: number;
  readonly in_progress?: boolean;
  readonly namespace?: string;
  readonly annotations?: Record<string, string | number | boolean>;
  readonly metadata?: Record<string, Record<string, unknown>>;
  readonly error?: boolean;
  readonly fault?: boolean;
  readonly throttle?: boolean;
  readonly cause?: { exceptions?: Array<{ message?: string; type?: string }>; id?: string };
  readonly http?: {
    request?: { url?: string; method?: string };
    response?: { status?: number; content_length?: number };
  };
  readonly aws?: Record<string, unknown>;
  readonly subsegments?: XRayDocument[];
  readonly [key: string]: unknown;
}

export interface XRayDaemon {
  /** `127.0.0.1:<port>`, the form `AWS_XRAY_DAEMON_ADDRESS` takes. */
  readonly address: string;
  readonly port: number;
  /** Documents received so far, in arrival order. */
  readonly documents: XRayDocument[];
  /** Datagrams that were not header + newline + a segment document, as text. */
  readonly malformed: string[];
  /** Resolves with the documents once at least `count` have arrived; rejects after `timeoutMs`. */
  waitFor(count: number, timeoutMs?: number): Promise<XRayDocument[]>;
  /** Forgets what was received. */
  clear(): void;
  close(): Promise<void>;
}

/** Every document of a received set, subsegments included, flattened depth-first. */
export function allDocuments(documents: readonly XRayDocument[]): XRayDocument[] {
  const out: XRayDocument[] = [];
  const walk = (doc: XRayDocument) => {
    out.push(doc);
    for (const child of doc.subsegments ?? []) walk(child);
  };
  documents.forEach(walk);
  return out;
}

export async function startXRayDaemon(host = '127.0.0.1'): Promise<XRayDaemon> {
  const socket: Socket = createSocket('udp4');
  const documents: XRayDocument[] = [];
  const malformed: string[] = [];
  const waiters = new Set<() => void>();
  socket.on('message', (message) => {
    const text = message.toString('utf8');
    const doc = parseDatagram(text);
    if (doc === undefined) malformed.push(text);
    else documents.push(doc as XRayDocument);
    for (const wake of waiters) wake();
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, host, () => resolve());
  });
  const { port } = socket.address();
  return {
    address: `${host}:${port}`,
    port,
    documents,
    malformed,
    waitFor(count, timeoutMs = 5000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (documents.length < count) return;
          cleanup();
          resolve([...documents]);
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`X-Ray daemon: ${documents.length} of ${count} documents received in ${timeoutMs} ms`));
        }, timeoutMs);
        const cleanup = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
    clear() {
      documents.length = 0;
      malformed.length = 0;
    },
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}
