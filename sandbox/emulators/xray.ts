/**
 * The sandbox's X-Ray daemon: a UDP listener on 127.0.0.1 speaking the daemon protocol (each
 * datagram is the header line `{"format":"json","version":1}`, a newline, then one segment or
 * subsegment document). Documents are grouped by trace id into TraceSummary (sandbox/types.ts):
 * segments, independent subsegments (`type: "subsegment"` with `parent_id`) and subsegments
 * nested in a document's `subsegments` all count. Bounded: at most `maxTraces` traces (the
 * oldest, by first segment received, is dropped) and MAX_SEGMENTS_PER_TRACE listed segments
 * per trace. Malformed datagrams are counted, never thrown.
 */
import { createSocket } from 'node:dgram';
import type { TraceSummary } from '../types';
import { LOOPBACK_HOST, notify } from './loopback';

export const XRAY_PROTOCOL_HEADER = '{"format":"json","version":1}';
export const DEFAULT_MAX_TRACES = 200;
/** Segments listed per trace; later ones still count in the trace's times, error, fault and annotations. */
export const MAX_SEGMENTS_PER_TRACE = 500;
/**
 * Kernel receive buffer asked for: the sandbox's Lambdas send from the same process, so a burst
 * of segments arrives while the event loop is busy; the 208 KB default holds ~250 datagrams.
 */
export const RECV_BUFFER_BYTES = 4 * 1024 * 1024;

type Segment = TraceSummary['segments'][number];

export interface XRayReceiver {
  /** `127.0.0.1:PORT`, the value of AWS_XRAY_DAEMON_ADDRESS. */
  readonly address: string;
  /** Segment documents received (one per valid datagram, nested subsegments not counted apart). */
  segmentCount(): number;
  /** Forgets every trace and resets the count (the sandbox drops its warm-up traffic). */
  clear(): void;
  /** Datagrams that were not header + newline + a segment document. */
  malformed(): number;
  /** The traces kept, newest (by first segment received) first. */
  traces(): TraceSummary[];
  /** Called with each valid document as received (what it throws is ignored). */
  onSegment(listener: (segment: Record<string, unknown>) => void): void;
  stop(): Promise<void>;
}

/** A trace being assembled. */
interface TraceState {
  readonly traceId: string;
  /** segment id -> segment (a re-sent id, e.g. an in-progress segment completed, replaces the first). */
  readonly segments: Map<string, Segment>;
  rootName?: string;
  firstName: string;
  minStart: number;
  maxEnd: number;
  error: boolean;
  fault: boolean;
  annotations: Record<string, unknown>;
  /** Cached summary; dropped when a segment arrives. */
  summary?: TraceSummary;
}

/** The document of one datagram; undefined when it is not a protocol message. */
export function parseDatagram(text: string): Record<string, unknown> | undefined {
  const newline = text.indexOf('\n');
  if (newline < 0 || text.slice(0, newline).trim() !== XRAY_PROTOCOL_HEADER) return undefined;
  let doc: unknown;
  try {
    doc = JSON.parse(text.slice(newline + 1));
  } catch {
    return undefined;
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return undefined;
  const d = doc as Record<string, unknown>;
  const valid =
    typeof d.trace_id === 'string' &&
    d.trace_id !== '' &&
    typeof d.id === 'string' &&
    typeof d.name === 'string' &&
    typeof d.start_time === 'number';
  return valid ? d : undefined;
}

/** Seconds (X-Ray) to ms, kept to the microsecond. */
const toMs = (seconds: number) => Math.round(seconds * 1e6) / 1e3;

/** The document and its nested subsegments, depth-first, each with the parent it hangs from. */
function flatten(
  doc: Record<string, unknown>,
  parentId?: string,
): { doc: Record<string, unknown>; parentId?: string }[] {
  const out: { doc: Record<string, unknown>; parentId?: string }[] = [
    { doc, parentId: typeof doc.parent_id === 'string' ? doc.parent_id : parentId },
  ];
  const children = Array.isArray(doc.subsegments) ? doc.subsegments : [];
  for (const child of children) {
    if (typeof child === 'object' && child !== null && typeof (child as { id?: unknown }).id === 'string') {
      out.push(...flatten(child as Record<string, unknown>, doc.id as string));
    }
  }
  return out;
}

function addDocument(trace: TraceState, doc: Record<string, unknown>): void {
  for (const { doc: d, parentId } of flatten(doc)) {
    const start = typeof d.start_time === 'number' ? toMs(d.start_time) : undefined;
    const end = typeof d.end_time === 'number' ? toMs(d.end_time) : undefined;
    const name = typeof d.name === 'string' ? d.name : '';
    if (start !== undefined) {
      trace.minStart = Math.min(trace.minStart, start);
      trace.maxEnd = Math.max(trace.maxEnd, end ?? start);
    }
    if (parentId === undefined) trace.rootName ??= name;
    if (d.error === true) trace.error = true;
    if (d.fault === true) trace.fault = true;
    if (typeof d.annotations === 'object' && d.annotations !== null) Object.assign(trace.annotations, d.annotations);
    const id = String(d.id);
    if (trace.segments.has(id) || trace.segments.size < MAX_SEGMENTS_PER_TRACE) {
      trace.segments.set(id, {
        id,
        ...(parentId !== undefined ? { parentId } : {}),
        name,
        startTime: start ?? trace.minStart,
        ...(end !== undefined ? { endTime: end } : {}),
        ...(d.error === true ? { error: true } : {}),
        ...(d.fault === true ? { fault: true } : {}),
      });
    }
  }
  trace.summary = undefined;
}

function summarize(trace: TraceState): TraceSummary {
  trace.summary ??= {
    traceId: trace.traceId,
    name: trace.rootName ?? trace.firstName,
    startTime: trace.minStart,
    durationMs: Math.round((trace.maxEnd - trace.minStart) * 1e3) / 1e3,
    error: trace.error,
    fault: trace.fault,
    annotations: { ...trace.annotations },
    segments: [...trace.segments.values()],
  };
  return trace.summary;
}

export async function startXRayReceiver(options: { maxTraces?: number } = {}): Promise<XRayReceiver> {
  const maxTraces = options.maxTraces ?? DEFAULT_MAX_TRACES;
  if (!Number.isInteger(maxTraces) || maxTraces < 1) {
    throw new Error(`startXRayReceiver maxTraces: ${maxTraces} is not allowed (use a whole number >= 1)`);
  }
  const traces = new Map<string, TraceState>();
  const listeners: ((segment: Record<string, unknown>) => void)[] = [];
  let received = 0;
  let malformed = 0;

  const socket = createSocket('udp4');
  socket.on('message', (message) => {
    const doc = parseDatagram(message.toString('utf8'));
    if (doc === undefined) {
      malformed += 1;
      return;
    }
    received += 1;
    const traceId = doc.trace_id as string;
    let trace = traces.get(traceId);
    if (trace === undefined) {
      trace = {
        traceId,
        segments: new Map(),
        firstName: doc.name as string,
        minStart: Number.POSITIVE_INFINITY,
        maxEnd: Number.NEGATIVE_INFINITY,
        error: false,
        fault: false,
        annotations: {},
      };
      traces.set(traceId, trace);
      // Map iteration order is insertion order: the first key is the oldest trace.
      if (traces.size > maxTraces) traces.delete(traces.keys().next().value as string);
    }
    addDocument(trace, doc);
    notify(listeners, doc);
  });
  // A UDP socket reports send errors of its peers here; the receiver keeps listening.
  socket.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, LOOPBACK_HOST, () => {
      socket.off('error', reject);
      resolve();
    });
  });
  try {
    socket.setRecvBufferSize(RECV_BUFFER_BYTES);
  } catch {
    // Capped by net.core.rmem_max or refused: the default buffer still works, with less burst room.
  }
  const { port } = socket.address();
  let stopped = false;

  return {
    address: `${LOOPBACK_HOST}:${port}`,
    segmentCount: () => received,
    clear: () => {
      traces.clear();
      received = 0;
    },
    malformed: () => malformed,
    traces: () => [...traces.values()].reverse().map(summarize),
    onSegment: (listener) => {
      listeners.push(listener);
    },
    stop: () => {
      if (stopped) return Promise.resolve();
      stopped = true;
      return new Promise<void>((resolve) => socket.close(() => resolve()));
    },
  };
}
