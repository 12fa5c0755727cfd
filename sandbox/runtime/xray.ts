/**
 * The Lambda service's part of a trace, locally: the per-invocation trace header the runtime hands
 * the function (`_X_AMZN_TRACE_ID`), and the function segment (`AWS::Lambda::Function`) it sends
 * to the X-Ray daemon when the invocation ends. The tracer's subsegments hang under that segment:
 * their parent id is the header's `Parent`, which is the segment's id.
 */
import { createSocket, type Socket } from 'node:dgram';
import { formatXRayHeader } from '../../layers/instrumentation/tracer/formats';
import { newSpanId, newTraceId, w3cToXRayTraceId } from '../../layers/instrumentation/tracer/ids';
import { XRAY_PROTOCOL_HEADER } from '../emulators/xray';

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
  const context = { traceId: newTraceId(nowMs), spanId: newSpanId(), sampled: true };
  return {
    // a new trace id is a valid X-Ray one: its first 32 bits are the epoch seconds
    traceId: w3cToXRayTraceId(context.traceId) as string,
    parentId: context.spanId,
    header: formatXRayHeader(context),
  };
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
            exceptions: [{ id: newSpanId(), type: input.error.errorType, message: input.error.errorMessage }],
          },
        }
      : { fault: false, error: false }),
  };
}

export interface DaemonAddress {
  readonly host: string;
  readonly port: number;
}

/** `host:port` (the form AWS_XRAY_DAEMON_ADDRESS takes for UDP). */
export function parseDaemonAddress(address: string): DaemonAddress {
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
  #closed = false;

  constructor({ host, port }: DaemonAddress) {
    this.#host = host;
    this.#port = port;
    this.#socket = createSocket(host.includes(':') ? 'udp6' : 'udp4');
    // a failed send loses its segment, as a datagram the daemon never got would be
    this.#socket.on('error', () => undefined);
    // the socket must not keep the host process alive on its own
    this.#socket.unref();
  }

  send(document: Record<string, unknown>): void {
    if (this.#closed) return;
    try {
      const packet = Buffer.from(`${XRAY_PROTOCOL_HEADER}\n${JSON.stringify(document)}`, 'utf8');
      this.#socket.send(packet, this.#port, this.#host);
    } catch {
      // a document that cannot be serialized or sent is dropped: the invocation is not failed for it
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
