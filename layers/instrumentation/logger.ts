/**
 * `Logger`: one JSON line per call, in the MAIF monitoring guide's log schema, fast and unable to throw.
 *
 * Line layout: timestamp, level, service, event, then trace_id, span_id, request_id,
 * function_name, cold_start (when known), then the schema fields user_id, operation,
 * duration_ms, status, error, then `metadata` holding every other field.
 *
 * Speed comes from precomputing: the level/service head per level, the invocation ids per
 * invocation, child and persistent fields once per change; a line is string concatenation
 * with JSON.stringify only for strings that need escaping. Disabled levels are a no-op
 * function on a prototype shared by a logger and its children (pino's trick), so a disabled
 * `debug()` is a call to an empty function.
 */

import {
  LEVEL_VALUES,
  LOG_LEVELS,
  MAX_ID_LENGTH,
  type ResolvedLogConfig,
  requireLevel,
  resolveLogConfig,
} from './private/log-config';
import { type RedactOptions, Redactor } from './private/log-redact';
import { capString, isError, type KeyInfo, REDACTED_JSON, SafeSerializer, safeText } from './private/log-serialize';
import type { LogFields, LoggerApi, LogLevel } from './types';

export type { RedactOptions, RedactPattern } from './private/log-redact';

/** `logger.info(event, fields)`; `logger.error(event, err)` is short for `{ error: err }`. */
export type LogMethod = (event: string, fields?: LogFields | Error) => void;

/**
 * Where lines go: a function taking one line, or anything with `write(line)` (a stream, a
 * `fileDestination`). An object's `flush()`, when it has one, is awaited by `logger.flush()`.
 */
export type LogDestination = ((line: string) => unknown) | { write(line: string): unknown; flush?(): unknown };

export interface TraceIds {
  readonly traceId?: string;
  readonly spanId?: string;
}

/** What the middleware knows at the start of an invocation. */
export interface InvocationContext {
  readonly requestId?: string;
  /** X-Ray trace id (the `Root` of `_X_AMZN_TRACE_ID`). @default - read from `_X_AMZN_TRACE_ID` now */
  readonly traceId?: string;
  readonly coldStart?: boolean;
  readonly functionName?: string;
}

export interface LoggerOptions {
  /** @default - MAIF_SERVICE, POWERTOOLS_SERVICE_NAME, AWS_LAMBDA_FUNCTION_NAME, then 'unknown' */
  readonly service?: string;
  /** Case-insensitive; WARNING and FATAL are accepted aliases. @default - MAIF_LOG_LEVEL, LOG_LEVEL, then INFO */
  readonly level?: LogLevel | Lowercase<LogLevel>;
  /** Probability that an invocation logs at DEBUG, drawn once per `setInvocation`. @default - MAIF_DEBUG_SAMPLE_RATE, then 0 */
  readonly sampleRate?: number;
  /** Secret keys and value patterns. @default - the default keys and scrubbers */
  readonly redact?: RedactOptions;
  /** One destination, or several that each get every line (`[process.stdout, fileDestination(...)]`). @default - process.stdout */
  readonly destination?: LogDestination | readonly LogDestination[];
  /** Called per line for the active trace and span (the Tracer's `currentIds`). @default - the invocation's X-Ray trace id */
  readonly traceContext?: () => TraceIds | undefined;
  /** Epoch milliseconds. @default Date.now */
  readonly clock?: () => number;
  /** Uniform in [0, 1), for debug sampling. @default Math.random */
  readonly random?: () => number;
  /** Longer strings are cut with a marker. @default 8192 */
  readonly maxStringLength?: number;
  /** Lines are kept under this many UTF-8 bytes, still valid JSON. @default 256000 */
  readonly maxLineBytes?: number;
  /** Told about a failing destination. @default - the first failure is printed on stderr */
  readonly onError?: (error: unknown) => void;
  /** Where environment variables are read, once. @default process.env */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

// Schema fields: their slot is their position on the line.
const SCHEMA_SLOTS: Readonly<Record<string, number>> = {
  user_id: 0,
  operation: 1,
  duration_ms: 2,
  status: 3,
  error: 4,
};
const SCHEMA_FIELDS = 5;
const ERROR_SLOT = 4;
const METADATA_SLOT = 5;
const OTHER_SLOT = -1;
const slotOf = (key: string): number =>
  Object.hasOwn(SCHEMA_SLOTS, key) ? SCHEMA_SLOTS[key] : key === 'metadata' ? METADATA_SLOT : OTHER_SLOT;

/** A getter that logs the object it is in could recurse forever: lines nested deeper are dropped. */
const MAX_NESTED_EMITS = 4;
/** When a line is over the byte cap it is rebuilt with smaller budgets this many times, then cut to its head. */
const REFIT_ATTEMPTS = 3;
const FALLBACK_EVENT_LENGTH = 256;
const METHOD_NAMES = ['debug', 'info', 'warn', 'error', 'critical'] as const;

interface Entry {
  readonly slot: number;
  /** `"key":value`, serialized once. */
  readonly member: string;
}
type Entries = ReadonlyMap<string, Entry>;

const CHILD = Symbol('maif.logger.child');
/** What `child()` passes to the constructor: the parent's core and the child's bound fields. */
interface ChildInit {
  readonly [CHILD]: { readonly core: LoggerCore; readonly bound: Entries };
}

const NOOP: LogMethod = () => {};

const isPlainObject = (v: unknown): v is Record<string, unknown> => {
  if (v === null || typeof v !== 'object') return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
};

const isList = (d: LogDestination | readonly LogDestination[]): d is readonly LogDestination[] => Array.isArray(d);

function toSink(
  destination: LogDestination | readonly LogDestination[] | undefined,
  onStreamError: (e: unknown) => void,
): (line: string) => unknown {
  // Looked up per line, not bound once: tests and benchmarks replace process.stdout.write.
  if (destination === undefined) return (line) => process.stdout.write(line);
  if (isList(destination)) return fanOut(destination, onStreamError);
  if (typeof destination === 'function') return destination;
  if (destination !== null && typeof destination === 'object' && typeof destination.write === 'function') {
    const emitter = destination as { on?: (event: string, fn: (e: unknown) => void) => unknown };
    // A stream reports failures as 'error' events; unheard, one would crash the process.
    if (typeof emitter.on === 'function') emitter.on('error', onStreamError);
    return (line) => destination.write(line);
  }
  throw new Error(
    `destination: ${destination === null ? 'null' : typeof destination} is not a destination (use a function(line) or an object with write(line))`,
  );
}

/** Every line to each destination; one failing destination does not keep the line from the others. */
function fanOut(destinations: readonly LogDestination[], onError: (e: unknown) => void): (line: string) => unknown {
  if (destinations.length === 0) {
    throw new Error('destination: [] is not a destination (give at least one, e.g. [process.stdout])');
  }
  const sinks = destinations.map((d, i) => {
    if (Array.isArray(d)) throw new Error(`destination[${i}]: a list inside the list is not a destination`);
    return toSink(d, onError);
  });
  if (sinks.length === 1) return sinks[0];
  return (line) => {
    for (const sink of sinks) {
      try {
        sink(line);
      } catch (error) {
        onError(error);
      }
    }
  };
}

/** The `flush()` of each destination object that has one. */
function flushersOf(destination: LogDestination | readonly LogDestination[] | undefined): (() => unknown)[] {
  const list: readonly unknown[] = Array.isArray(destination) ? destination : [destination];
  const flushers: (() => unknown)[] = [];
  for (const d of list) {
    const flush = d !== null && typeof d === 'object' ? (d as { flush?: unknown }).flush : undefined;
    if (typeof flush === 'function') flushers.push(() => flush.call(d));
  }
  return flushers;
}

/** State shared by a root logger and all its children. Module-internal. */
class LoggerCore {
  level: LogLevel;
  readonly sampleRate: number;
  sampled = false;
  readonly levels: Record<string, LogMethod>;
  readonly heads: string[];
  readonly ser: SafeSerializer;
  readonly sink: (line: string) => unknown;
  readonly flushers: (() => unknown)[];
  readonly clock: () => number;
  readonly random: () => number;
  readonly traceContext: (() => TraceIds | undefined) | undefined;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly maxLineBytes: number;
  readonly onError: ((error: unknown) => void) | undefined;
  readonly baseLambda: string;
  /** `appendKeys` fields; `version` tells children to rebuild their cached prefix. */
  persistent = new Map<string, Entry>();
  version = 0;
  invTraceId: string | undefined;
  lambdaText: string;
  idsText: string;
  lastMs = Number.NaN;
  lastIso = '';
  nested = 0;
  written = 0;
  dropped = 0;
  warned = false;

  constructor(config: ResolvedLogConfig, options: LoggerOptions, proto: object) {
    this.level = config.level;
    this.sampleRate = config.sampleRate;
    this.levels = Object.create(proto);
    this.ser = new SafeSerializer({
      maxStringLength: config.maxStringLength,
      redactor: new Redactor(options.redact),
      slotOf,
    });
    const service = this.ser.string(config.service);
    this.heads = LOG_LEVELS.slice(0, SCHEMA_FIELDS).map((l) => `","level":"${l}","service":${service},"event":`);
    this.sink = toSink(options.destination, (e) => this.fail(e));
    this.flushers = flushersOf(options.destination);
    this.clock = options.clock ?? Date.now;
    this.random = options.random ?? Math.random;
    this.traceContext = options.traceContext;
    this.env = options.env ?? process.env;
    this.maxLineBytes = config.maxLineBytes;
    this.onError = options.onError;
    this.baseLambda = config.functionName ? `,"function_name":${this.ser.string(config.functionName)}` : '';
    this.lambdaText = this.baseLambda;
    this.idsText = this.baseLambda;
  }

  now(): string {
    let ms = this.clock();
    if (ms !== this.lastMs) {
      if (!Number.isFinite(ms)) ms = Date.now();
      // Many lines share a millisecond: format the date once per millisecond.
      this.lastMs = ms;
      this.lastIso = new Date(ms).toISOString();
    }
    return this.lastIso;
  }

  id(value: unknown): string {
    return this.ser.string(capString(typeof value === 'string' ? value : safeText(value), MAX_ID_LENGTH));
  }

  ids(): string {
    const tc = this.traceContext;
    if (tc === undefined) return this.idsText;
    let ids: TraceIds | undefined;
    try {
      ids = tc();
    } catch {
      ids = undefined;
    }
    const traceId = typeof ids?.traceId === 'string' && ids.traceId !== '' ? ids.traceId : this.invTraceId;
    const spanId = ids?.spanId;
    let s = traceId ? `,"trace_id":${this.id(traceId)}` : '';
    if (typeof spanId === 'string' && spanId !== '') s += `,"span_id":${this.id(spanId)}`;
    return s + this.lambdaText;
  }

  /** `"key":value` for one field, or undefined when the value is omitted (undefined, function, symbol). */
  member(info: KeyInfo, value: unknown, budget: number): string | undefined {
    if (info.redacted) return info.json + REDACTED_JSON;
    const json = info.slot === ERROR_SLOT ? this.ser.errorField(value, budget) : this.ser.value(value, budget);
    return json === undefined ? undefined : info.json + json;
  }

  /** Serializes fields once into entries (child bindings, persistent keys); `metadata` objects are flattened. */
  addEntries(into: Map<string, Entry>, fields: unknown): void {
    if (fields === null || typeof fields !== 'object') return;
    const budget = this.maxLineBytes >> 2;
    for (const key of Object.keys(fields)) {
      const value = readField(fields, key);
      const info = this.ser.keyInfo(key);
      if (info.slot === METADATA_SLOT && !info.redacted && isPlainObject(value)) {
        for (const inner of Object.keys(value)) {
          const m = this.member(this.ser.keyInfo(inner), readField(value, inner), budget);
          if (m !== undefined) into.set(inner, { slot: OTHER_SLOT, member: m });
        }
        continue;
      }
      const member = this.member(info, value, budget);
      if (member === undefined) into.delete(key);
      else into.set(key, { slot: info.slot === METADATA_SLOT ? OTHER_SLOT : info.slot, member });
    }
  }

  write(line: string): void {
    try {
      this.sink(line);
      this.written++;
    } catch (error) {
      this.fail(error);
    }
  }

  fail(error: unknown): void {
    this.dropped++;
    try {
      if (this.onError) this.onError(error);
      else if (!this.warned) {
        this.warned = true;
        process.stderr.write(`maif-observability logger: destination failed, lines are dropped: ${safeText(error)}\n`);
      }
    } catch {
      // The error callback failed too: the count above is all that is left.
    }
  }
}

function readField(o: object, key: string): unknown {
  try {
    return (o as Record<string, unknown>)[key];
  } catch {
    return '[Unreadable]';
  }
}

export class Logger implements LoggerApi {
  // Level methods live on the shared prototype `core.levels`, swapped for NOOP when disabled.
  declare readonly debug: LogMethod;
  declare readonly info: LogMethod;
  declare readonly warn: LogMethod;
  declare readonly error: LogMethod;
  declare readonly critical: LogMethod;

  static readonly #EMITTERS: readonly LogMethod[] = METHOD_NAMES.map(
    (_, level) =>
      function emit(this: Logger, event: string, fields?: LogFields | Error): void {
        try {
          this.#emit(level, event, fields);
        } catch {
          // Only reachable with a detached method (`const { info } = logger`): nothing to log with.
        }
      },
  );

  readonly #core: LoggerCore;
  readonly #bound: Entries;
  #ctxVersion = -1;
  #ctxEntries: Entries = new Map();
  #ctxTop: (string | undefined)[] = [];
  #ctxMeta = '';
  #ctxKeys: Set<string> | undefined;

  constructor(options: LoggerOptions = {}) {
    const child = (options as Partial<ChildInit>)[CHILD];
    let warnings: readonly string[] = [];
    if (child !== undefined) {
      this.#core = child.core;
      this.#bound = child.bound;
    } else {
      const config = resolveLogConfig(options, options.env ?? process.env);
      warnings = config.warnings;
      this.#core = new LoggerCore(config, options, new.target.prototype);
      this.#bound = new Map();
      Logger.#applyLevels(this.#core);
    }
    Object.setPrototypeOf(this, this.#core.levels);
    for (const problem of warnings) this.warn('logger_config_invalid', { problem });
  }

  static #applyLevels(core: LoggerCore): void {
    const min = core.sampled && core.level !== 'SILENT' ? LEVEL_VALUES.DEBUG : LEVEL_VALUES[core.level];
    METHOD_NAMES.forEach((name, i) => {
      core.levels[name] = LEVEL_VALUES[LOG_LEVELS[i]] >= min ? Logger.#EMITTERS[i] : NOOP;
    });
  }

  get level(): LogLevel {
    return this.#core.level;
  }

  /** Changes the level of this logger, its parent and all its children (they share it). */
  setLevel(level: LogLevel | Lowercase<LogLevel>): void {
    this.#core.level = requireLevel('level', level);
    Logger.#applyLevels(this.#core);
  }

  /** True while the current invocation was drawn for debug sampling. */
  get debugSampled(): boolean {
    return this.#core.sampled;
  }

  /** Lines the destination refused (it threw or emitted 'error'). */
  get droppedLines(): number {
    return this.#core.dropped;
  }

  /** Waits for destinations that buffer (a `fileDestination`) to write every line logged so far; never rejects. */
  async flush(): Promise<void> {
    await Promise.all(
      this.#core.flushers.map(async (flush) => {
        try {
          await flush();
        } catch (error) {
          this.#core.fail(error);
        }
      }),
    );
  }

  /** A logger whose lines all carry `bound`, serialized once now. It shares level, invocation and destination. */
  child(bound: LogFields): Logger {
    const entries = new Map(this.#bound);
    try {
      this.#core.addEntries(entries, bound);
    } catch {
      // Unreadable bindings (a hostile Proxy): the child logs without them.
    }
    const init: ChildInit = { [CHILD]: { core: this.#core, bound: entries } };
    return new Logger(init as LoggerOptions);
  }

  /** Adds fields to every line of this logger family until `removeKeys`. */
  appendKeys(fields: LogFields): void {
    try {
      this.#core.addEntries(this.#core.persistent, fields);
    } finally {
      this.#core.version++;
    }
  }

  removeKeys(keys: readonly string[]): void {
    for (const key of keys) this.#core.persistent.delete(key);
    this.#core.version++;
  }

  /** Called by the middleware when an invocation starts: ids for every line, and the debug sampling draw. */
  setInvocation(invocation: InvocationContext): void {
    const core = this.#core;
    try {
      const header = invocation.traceId === undefined ? core.env._X_AMZN_TRACE_ID : undefined;
      const root = header ? /(?:^|;)Root=([^;]+)/.exec(header)?.[1] : invocation.traceId;
      core.invTraceId = root ? capString(root, MAX_ID_LENGTH) : undefined;
      let lambda = invocation.requestId ? `,"request_id":${core.id(invocation.requestId)}` : '';
      lambda += invocation.functionName ? `,"function_name":${core.id(invocation.functionName)}` : core.baseLambda;
      if (typeof invocation.coldStart === 'boolean') lambda += `,"cold_start":${invocation.coldStart}`;
      core.lambdaText = lambda;
      core.idsText = (core.invTraceId ? `,"trace_id":${core.id(core.invTraceId)}` : '') + lambda;
    } catch {
      core.lambdaText = core.baseLambda;
      core.idsText = core.baseLambda;
    }
    // Unbiased: P(random() < rate) = rate for a uniform draw in [0, 1); 0 never, 1 always.
    const sampled = core.sampleRate > 0 && core.random() < core.sampleRate;
    if (sampled !== core.sampled) {
      core.sampled = sampled;
      Logger.#applyLevels(core);
    }
  }

  /** Called by the middleware when an invocation ends. */
  clearInvocation(): void {
    const core = this.#core;
    core.invTraceId = undefined;
    core.lambdaText = core.baseLambda;
    core.idsText = core.baseLambda;
    if (core.sampled) {
      core.sampled = false;
      Logger.#applyLevels(core);
    }
  }

  #emit(level: number, event: unknown, fields: unknown): void {
    const core = this.#core;
    if (core.nested >= MAX_NESTED_EMITS) {
      core.dropped++;
      return;
    }
    core.nested++;
    try {
      let line: string;
      try {
        line = this.#format(level, event, fields, core.maxLineBytes, false);
        // Only a line longer than a third of the cap can be over it in UTF-8 bytes.
        if (line.length * 3 > core.maxLineBytes) line = this.#fit(line, level, event, fields);
      } catch (error) {
        line = this.#fallback(level, event, error);
      }
      core.write(line);
    } finally {
      core.nested--;
    }
  }

  #fit(line: string, level: number, event: unknown, fields: unknown): string {
    const core = this.#core;
    let bytes = Buffer.byteLength(line);
    let budget = core.maxLineBytes;
    for (let attempt = 0; attempt < REFIT_ATTEMPTS && bytes > core.maxLineBytes; attempt++) {
      budget = Math.floor(((budget * core.maxLineBytes) / bytes) * 0.5);
      core.ser.setStringCap(Math.max(16, budget >> 3));
      try {
        line = this.#format(level, event, fields, budget, true);
      } finally {
        core.ser.setStringCap(undefined);
      }
      bytes = Buffer.byteLength(line);
    }
    return bytes > core.maxLineBytes ? this.#fallback(level, event, 'line over maxLineBytes') : line;
  }

  #fallback(level: number, event: unknown, error: unknown): string {
    const core = this.#core;
    try {
      const name = capString(typeof event === 'string' ? event : safeText(event), FALLBACK_EVENT_LENGTH);
      const problem = capString(error instanceof Error ? error.message : safeText(error), FALLBACK_EVENT_LENGTH);
      return `{"timestamp":"${new Date().toISOString()}${core.heads[level]}${JSON.stringify(name)}${core.idsText},"truncated":true,"log_error":${JSON.stringify(problem)}}\n`;
    } catch {
      return `{"timestamp":"${new Date().toISOString()}","level":"${LOG_LEVELS[level]}","event":"log_failed"}\n`;
    }
  }

  #rebuildContext(): void {
    const core = this.#core;
    const merged = new Map(core.persistent);
    for (const [key, entry] of this.#bound) merged.set(key, entry);
    const top: (string | undefined)[] = [undefined, undefined, undefined, undefined, undefined];
    let meta = '';
    const keys = new Set<string>();
    for (const [key, entry] of merged) {
      if (entry.slot >= 0) top[entry.slot] = entry.member;
      else {
        meta += meta === '' ? entry.member : `,${entry.member}`;
        keys.add(key);
      }
    }
    this.#ctxEntries = merged;
    this.#ctxTop = top;
    this.#ctxMeta = meta;
    this.#ctxKeys = keys.size > 0 ? keys : undefined;
    this.#ctxVersion = core.version;
  }

  #format(level: number, event: unknown, fields: unknown, budget: number, truncated: boolean): string {
    const core = this.#core;
    const ser = core.ser;
    if (this.#ctxVersion !== core.version) this.#rebuildContext();
    const line = `{"timestamp":"${core.now()}${core.heads[level]}${ser.string(typeof event === 'string' ? event : safeText(event))}${core.ids()}`;
    const top = this.#ctxTop;
    let userId = top[0];
    let operation = top[1];
    let duration = top[2];
    let status = top[3];
    let error = top[4];
    let meta = '';
    let size = line.length + this.#ctxMeta.length;
    let slow = false;
    if (fields !== null && fields !== undefined) {
      if (typeof fields !== 'object') {
        const json = ser.value(fields, budget - size);
        if (json !== undefined) meta = `"value":${json}`;
      } else if (isError(fields)) {
        error = `"error":${ser.errorField(fields, budget - size)}`;
      } else {
        const ctxKeys = this.#ctxKeys;
        const keys = Object.keys(fields);
        for (let i = 0; i < keys.length; i++) {
          if (size > budget) {
            meta += meta === '' ? '"_truncated":true' : ',"_truncated":true';
            truncated = true;
            break;
          }
          const key = keys[i];
          const info = ser.keyInfo(key);
          const value = readField(fields, key);
          let member: string | undefined;
          // Inline the common primitives; everything else goes through the safe walker.
          if (info.redacted) member = info.json + REDACTED_JSON;
          else if (info.slot === ERROR_SLOT) member = core.member(info, value, budget - size);
          else if (typeof value === 'string') member = info.json + ser.string(value);
          else if (typeof value === 'number') member = info.json + (Number.isFinite(value) ? `${value}` : 'null');
          else if (info.slot === METADATA_SLOT && isPlainObject(value)) {
            slow = true;
            continue;
          } else member = core.member(info, value, budget - size);
          if (member === undefined) continue;
          size += member.length + 1;
          switch (info.slot) {
            case 0:
              userId = member;
              break;
            case 1:
              operation = member;
              break;
            case 2:
              duration = member;
              break;
            case 3:
              status = member;
              break;
            case 4:
              error = member;
              break;
            default:
              if (ctxKeys?.has(key)) slow = true;
              meta += meta === '' ? member : `,${member}`;
          }
        }
      }
    }
    let out = line;
    if (userId !== undefined) out += `,${userId}`;
    if (operation !== undefined) out += `,${operation}`;
    if (duration !== undefined) out += `,${duration}`;
    if (status !== undefined) out += `,${status}`;
    if (error !== undefined) out += `,${error}`;
    if (truncated) out += ',"truncated":true';
    if (slow) meta = this.#mergeMetadata(fields as Record<string, unknown>, budget - size);
    else if (this.#ctxMeta !== '') meta = meta === '' ? this.#ctxMeta : `${this.#ctxMeta},${meta}`;
    return meta === '' ? `${out}}\n` : `${out},"metadata":{${meta}}}\n`;
  }

  /**
   * The rare path: a `metadata` object to flatten or a field overriding a bound one. Built
   * through a Map so no key appears twice; precedence: bound < `metadata` object < field.
   */
  #mergeMetadata(fields: Record<string, unknown>, budget: number): string {
    const core = this.#core;
    const members = new Map<string, string>();
    for (const [key, entry] of this.#ctxEntries) if (entry.slot < 0) members.set(key, entry.member);
    const own = new Map<string, Entry>();
    const metadata = readField(fields, 'metadata');
    if (isPlainObject(metadata)) core.addEntries(own, { metadata });
    const rest: Record<string, unknown> = {};
    for (const key of Object.keys(fields)) if (slotOf(key) === OTHER_SLOT) rest[key] = readField(fields, key);
    if (!isPlainObject(metadata) && metadata !== undefined) rest.metadata = metadata;
    core.addEntries(own, rest);
    for (const [key, entry] of own) members.set(key, entry.member);
    let meta = '';
    for (const member of members.values()) {
      if (meta.length > budget) return `${meta},"_truncated":true`;
      meta += meta === '' ? member : `,${member}`;
    }
    return meta;
  }
}
