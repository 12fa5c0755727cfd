/**
 * The Lambda service's part of a trace, locally: the per-invocation trace header the runtime hands
 * the function (`_X_AMZN_TRACE_ID`), and the function segment (`AWS::Lambda::Function`) it sends
 * to the X-Ray daemon when the invocation ends. The tracer's subsegments hang under that segment:
 * their parent id is the header's `Parent`, which is the segment's id.
 */
import { randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';

export const XRAY_PROTOCOL_HEADER = '{"format":"json","version":1}';

export interface TraceHeader {
  /** `1-<8 hex epoch seconds>-<24 hex>` */
  readonly traceId: string;
  /** The function segment's id (16 hex). */
  readonly parentId: string;
  /** `Root=...;Parent=...;Sampled=1` */
  readonly header: string;
}

/** A new trace for an invocation starting at simulated epoch ms `nowMs`. */
export function newTraceHeader(nowMs: number): TraceHeader {
  const epoch = Math.floor(nowMs / 1000)
    .toString(16)
    .padStart(8, '0');
  const traceId = `1-${epoch}-${randomBytes(12).toString('hex')}`;
  const parentId = randomBytes(8).toString('hex');
  return { traceId, parentId, header: `Root=${traceId};Parent=${parentId};Sampled=1` };
}

export interface FunctionSegmentInput {
  readonly trace: TraceHeader;
  readonly functionName: string;
  readonly functionArn: string;
  readonly accountId: string;
  readonly requestId: string;
  /** Simulated epoch ms. */
  readonly startMs: number;
  readonly endMs: number;
  /** Set when the invocation failed (uncaught error, runtime exit). */
  readonly error?: { readonly errorType: string; readonly errorMessage: string };
}

/** The `AWS::Lambda::Function` segment of one invocation, as Lambda sends it. */
export function functionSegment(input: FunctionSegmentInput): Record<string, unknown> {
  const failed = input.error !== undefined;
  return {
    trace_id: input.trace.traceId,
    id: input.trace.parentId,
    name: input.functionName,
    start_time: input.startMs / 1000,
    end_time: Math.max(input.endMs, input.startMs) / 1000,
    origin: 'AWS::Lambda::Function',
    aws: {
      account_id: input.accountId,
      function_arn: input.functionArn,
      resource_names: [input.functionName],
      request_id: input.requestId,
    },
    ...(failed
      ? {
          fault: true,
          error: false,
          cause: {
            working_directory: '/var/task',
            exceptions: [
              { id: randomBytes(8).toString('hex'), type: input.error.errorType, message: input.error.errorMessage },
            ],
          },
        }
      : { fault: false, error: false }),
  };
}

/** `host:port` (the form AWS_XRAY_DAEMON_ADDRESS takes for UDP). */
export function parseDaemonAddress(address: string): { readonly host: string; readonly port: number } {
  const match = /^(?:udp:)?([^\s:]+|\[[^\]]+\]):(\d{1,5})$/.exec(address.trim());
  const port = match ? Number(match[2]) : Number.NaN;
  if (!match || !(port > 0 && port < 65536)) {
    throw new Error(`xrayDaemonAddress: '${address}' is not allowed (use host:port, e.g. 127.0.0.1:2000)`);
  }
  return { host: match[1].replace(/^\[|\]$/g, ''), port };
}

/** Sends documents to the daemon over UDP, one datagram each; sending never throws. */
export class SegmentEmitter {
  readonly #socket: Socket;
  readonly #host: string;
  readonly #port: number;
  #sent = 0;
  #failed = 0;
  #closed = false;

  constructor(address: string) {
    const { host, port } = parseDaemonAddress(address);
    this.#host = host;
    this.#port = port;
    this.#socket = createSocket(host.includes(':') ? 'udp6' : 'udp4');
    this.#socket.on('error', () => {
      this.#failed++;
    });
    // the socket must not keep the host process alive on its own
    this.#socket.unref();
  }

  get sent(): number {
    return this.#sent;
  }

  get failed(): number {
    return this.#failed;
  }

  send(document: Record<string, unknown>): void {
    if (this.#closed) return;
    try {
      const packet = Buffer.from(`${XRAY_PROTOCOL_HEADER}\n${JSON.stringify(document)}`, 'utf8');
      this.#socket.send(packet, this.#port, this.#host, (error) => {
        if (error) this.#failed++;
        else this.#sent++;
      });
    } catch {
      this.#failed++;
    }
  }

  close(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#closed = true;
    return new Promise((resolve) => {
      try {
        this.#socket.close(() => resolve());
      } catch {
        resolve();
      }
    });
  }
}
