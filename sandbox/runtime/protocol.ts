/**
 * What the local Lambda runtime and its execution environments (worker threads) say to each other.
 *
 * Invocations go in as messages. What comes back travels in the environment's own stdout, after
 * everything the handler wrote: a control line (a NUL-framed marker no log line can contain) for
 * each platform log line (START, END, REPORT, Invoke Error) and one for the invocation's result.
 * One ordered channel means that when the result arrives, every line the handler wrote before
 * returning has arrived too, and the platform lines sit exactly where Lambda puts them.
 */
import type { ClockSettings } from '../clock';
import type { TraceHeader } from './xray';

/** `workerData` of an execution environment. */
export interface BootstrapData {
  readonly servicePath: string;
  readonly handler: string;
  readonly functionName: string;
  readonly memoryMb: number;
  readonly region: string;
  readonly accountId: string;
  readonly logGroup: string;
  readonly logStream: string;
  readonly clock: ClockSettings;
}

/** Environment -> runtime, on the message port, once the bundle is loaded (or failed to load). */
export interface ReadyMessage {
  readonly type: 'ready';
  /** Simulated ms from the environment's first instruction to the handler module loaded. */
  readonly initDurationMs: number;
  readonly error?: { readonly errorType: string; readonly errorMessage: string };
}

/** Runtime -> environment. */
export interface InvokeMessage {
  readonly type: 'invoke';
  readonly requestId: string;
  readonly event: unknown;
  /** This invocation's trace: `header` is its `_X_AMZN_TRACE_ID`, always sampled. */
  readonly trace: TraceHeader;
  /** Simulated epoch ms by which the function times out. */
  readonly deadlineMs: number;
}

/** Runtime -> environment: the sandbox restarted its simulated clock. */
export interface ClockMessage {
  readonly type: 'clock';
  readonly clock: ClockSettings;
}

/** Environment -> runtime, in stdout: one platform log line. */
export interface PlatformLine {
  readonly type: 'log';
  /** Simulated epoch ms. */
  readonly at: number;
  readonly message: string;
}

/** Environment -> runtime, in stdout: the end of an invocation. */
export interface InvocationDone {
  readonly type: 'done';
  readonly requestId: string;
  readonly ok: boolean;
  readonly statusCode?: number;
  readonly response?: unknown;
  readonly error?: { readonly errorType: string; readonly errorMessage: string };
  readonly coldStart: boolean;
  /** Simulated ms the handler ran. */
  readonly durationMs: number;
  /** Simulated epoch ms, fractional. */
  readonly startMs: number;
  readonly endMs: number;
}

export type ControlLine = PlatformLine | InvocationDone;

/** Frames a control line: NUL bytes never appear in JSON text a logger writes (JSON escapes them). */
export const CONTROL_MARKER = '\u0000maif-runtime\u0000';
/**
 * Stamps each write the function makes with its simulated time (`<marker><epoch ms>\u0000`, inline,
 * before the written text): CloudWatch Logs timestamps an event when the function wrote it, not
 * when the host got round to reading the stream.
 */
export const TIME_MARKER = '\u0000maif-time\u0000';

export function encodeControl(line: ControlLine): string {
  return `${CONTROL_MARKER}${JSON.stringify(line)}\n`;
}

export function encodeTime(epochMs: number): string {
  return `${TIME_MARKER}${Math.round(epochMs)}\u0000`;
}

export interface DecodedLine {
  /** What the function wrote (time stamps removed), if anything. */
  readonly text?: string;
  /** The simulated time of the first write that made up `text`. */
  readonly at?: number;
  readonly control?: ControlLine;
}

function stripTimes(line: string): { text: string; at?: number } {
  let at: number | undefined;
  let text = '';
  let from = 0;
  for (let i = line.indexOf(TIME_MARKER); i >= 0; i = line.indexOf(TIME_MARKER, from)) {
    text += line.slice(from, i);
    const end = line.indexOf('\u0000', i + TIME_MARKER.length);
    if (end < 0) {
      from = i;
      break;
    }
    const stamp = Number(line.slice(i + TIME_MARKER.length, end));
    if (at === undefined && Number.isFinite(stamp)) at = stamp;
    from = end + 1;
  }
  text += line.slice(from);
  return at === undefined ? { text } : { text, at };
}

/**
 * Splits one line of the environment's output into what the function wrote (if anything), with
 * its time, and the runtime's control line (if any). A function that wrote a partial line just
 * before a control line leaves its text in `text`.
 */
export function decodeLine(line: string): DecodedLine {
  const at = line.indexOf(CONTROL_MARKER);
  if (at < 0) return stripTimes(line);
  let control: ControlLine | undefined;
  try {
    control = JSON.parse(line.slice(at + CONTROL_MARKER.length)) as ControlLine;
  } catch {
    return stripTimes(line);
  }
  return at > 0 ? { ...stripTimes(line.slice(0, at)), control } : { control };
}
