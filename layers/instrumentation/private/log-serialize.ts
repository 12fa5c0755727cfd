/**
 * The Logger's JSON writer: never throws, whatever it is given. Circular references, BigInt,
 * Errors with causes, Maps, Sets, Buffers, Dates, throwing getters, Proxies and throwing
 * `toJSON` all produce valid JSON; strings are capped, depth is capped, and output stops at a
 * character budget so one line cannot grow without bound.
 */
import { types } from 'node:util';
import { REDACTED, type Redactor } from './log-redact';

/** Objects nested deeper than this are written as "[Object]". */
export const MAX_DEPTH = 10;
/** Distinct keys remembered (escaped form, redaction verdict); beyond this keys are computed per use. */
export const MAX_CACHED_KEYS = 2048;

export const REDACTED_JSON = `"${REDACTED}"` as const;
const CIRCULAR_JSON = '"[Circular]"';
const DEPTH_JSON = '"[Object]"';
const UNREADABLE_JSON = '"[Unreadable]"';
const TRUNCATED_ITEM = '"[Truncated]"';
const TRUNCATED_ENTRY = '"_truncated":true';

/** What the serializer knows about a key: its JSON form with the colon, redaction, and a caller-defined slot. */
export interface KeyInfo {
  readonly json: string;
  readonly redacted: boolean;
  readonly slot: number;
}

export interface SerializerOptions {
  readonly maxStringLength: number;
  readonly redactor: Redactor;
  /** The logger's classification of a top-level key (schema field, metadata, ...). */
  readonly slotOf: (key: string) => number;
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what JSON must escape
const ESCAPE_RE = /[\u0000-\u001f"\\\ud800-\udfff]/;
// Short strings: a char loop beats the regex (pino's measurement); surrogates go to JSON.stringify,
// which keeps valid pairs and escapes lone halves.
function needsEscape(s: string): boolean {
  const len = s.length;
  if (len > 40) return ESCAPE_RE.test(s);
  for (let i = 0; i < len; i++) {
    const c = s.charCodeAt(i);
    if (c < 32 || c === 34 || c === 92 || (c >= 0xd800 && c <= 0xdfff)) return true;
  }
  return false;
}

/** Cuts `s` to `max` code units without splitting a surrogate pair, and says how much was cut. */
export function capString(s: string, max: number): string {
  if (s.length <= max) return s;
  let end = max;
  const c = s.charCodeAt(end - 1);
  if (c >= 0xd800 && c <= 0xdbff) end--;
  return `${s.slice(0, end)}…[truncated ${s.length - end} chars]`;
}

export const isError = (v: unknown): v is Error => v instanceof Error || types.isNativeError(v);

const UNREADABLE: unique symbol = Symbol('unreadable');

function read(o: object, key: PropertyKey): unknown {
  try {
    return (o as Record<PropertyKey, unknown>)[key];
  } catch {
    return UNREADABLE;
  }
}

/** `String(v)` that cannot throw (objects with a throwing toString, Symbols). */
export function safeText(v: unknown): string {
  try {
    return String(v);
  } catch {
    return '[Unreadable]';
  }
}

const ERROR_OWN_KEYS = new Set(['name', 'message', 'stack', 'cause', 'errors']);

function errorType(e: Error): string {
  const name = read(e, 'name');
  if (typeof name === 'string' && name !== '' && name !== 'Error') return name;
  const ctor = read(e, 'constructor') as { name?: unknown } | undefined;
  const ctorName = typeof ctor === 'function' ? read(ctor, 'name') : undefined;
  return typeof ctorName === 'string' && ctorName !== '' ? ctorName : 'Error';
}

export class SafeSerializer {
  readonly #options: SerializerOptions;
  readonly #keys: Map<string, KeyInfo>;
  readonly #scrubs: boolean;
  #stringCap: number;
  #out = '';
  #limit = 0;
  readonly #stack: object[] = [];
  #busy = false;

  constructor(options: SerializerOptions, keys?: Map<string, KeyInfo>) {
    this.#options = options;
    this.#keys = keys ?? new Map();
    this.#scrubs = options.redactor.scrubsValues;
    this.#stringCap = options.maxStringLength;
  }

  /** Lowers the string cap for one pass (a line being refitted under the byte limit); `undefined` restores it. */
  setStringCap(cap: number | undefined): void {
    this.#stringCap = cap === undefined ? this.#options.maxStringLength : Math.min(cap, this.#options.maxStringLength);
  }

  keyInfo(key: string): KeyInfo {
    const cached = this.#keys.get(key);
    if (cached !== undefined) return cached;
    const info: KeyInfo = {
      json: `${this.string(key)}:`,
      redacted: this.#options.redactor.isSecretKey(key),
      slot: this.#options.slotOf(key),
    };
    if (this.#keys.size < MAX_CACHED_KEYS && key.length <= 256) this.#keys.set(key, info);
    return info;
  }

  /** A JSON string literal: capped, scrubbed of secret-looking values, escaped only when needed. */
  string(s: string): string {
    if (s.length > this.#stringCap) s = capString(s, this.#stringCap);
    if (this.#scrubs) s = this.#options.redactor.scrub(s);
    return needsEscape(s) ? JSON.stringify(s) : `"${s}"`;
  }

  /**
   * JSON text of any value, or `undefined` for what JSON omits (undefined, functions, symbols).
   * Output stops near `budget` characters with truncation markers, still valid JSON.
   */
  value(v: unknown, budget: number): string | undefined {
    return this.#run(v, budget, false);
  }

  /** The `error` field: Errors become `{ type, message, stack_trace, cause }`, other primitives `{ message }`. */
  errorField(v: unknown, budget: number): string | undefined {
    if (v === undefined) return undefined;
    if (v === null || typeof v !== 'object') return `{"message":${this.string(safeText(v))}}`;
    return this.#run(v, budget, false);
  }

  /** The entries of a plain object as `"k":v` JSON members (no braces), for merging into `metadata`. */
  members(o: object, budget: number): string {
    return this.#run(o, budget, true) ?? '';
  }

  #run(v: unknown, budget: number, membersOnly: boolean): string | undefined {
    // A getter or toJSON may log while we serialize: give the nested call its own state.
    if (this.#busy) return new SafeSerializer(this.#options, this.#keys).#run(v, budget, membersOnly);
    this.#busy = true;
    this.#out = '';
    this.#limit = budget;
    try {
      if (membersOnly) {
        this.#stack.push(v as object);
        this.#members(v as object, 1);
        return this.#out;
      }
      return this.#write(v, 0) ? this.#out : undefined;
    } catch {
      return membersOnly ? '' : UNREADABLE_JSON;
    } finally {
      this.#busy = false;
      this.#out = '';
      this.#stack.length = 0;
    }
  }

  #write(v: unknown, depth: number): boolean {
    switch (typeof v) {
      case 'string':
        this.#out += this.string(v);
        return true;
      case 'number':
        this.#out += Number.isFinite(v) ? `${v}` : 'null';
        return true;
      case 'boolean':
        this.#out += v ? 'true' : 'false';
        return true;
      case 'bigint':
        this.#out += this.string(v.toString());
        return true;
      case 'object':
        if (v === null) this.#out += 'null';
        else return this.#object(v, depth);
        return true;
      case 'symbol':
        if (v !== UNREADABLE) return false;
        this.#out += UNREADABLE_JSON;
        return true;
      default:
        return false;
    }
  }

  #object(o: object, depth: number): boolean {
    if (this.#stack.includes(o)) {
      this.#out += CIRCULAR_JSON;
      return true;
    }
    if (depth >= MAX_DEPTH) {
      this.#out += DEPTH_JSON;
      return true;
    }
    const mark = this.#out.length;
    this.#stack.push(o);
    try {
      return this.#objectBody(o, depth + 1);
    } catch {
      // A Proxy trap, a throwing toJSON or iterator: drop what this object wrote, keep the JSON valid.
      this.#out = this.#out.slice(0, mark) + UNREADABLE_JSON;
      return true;
    } finally {
      this.#stack.pop();
    }
  }

  #objectBody(o: object, depth: number): boolean {
    if (Array.isArray(o)) {
      this.#items(o, o.length, depth);
      return true;
    }
    if (isError(o)) {
      this.#error(o, depth);
      return true;
    }
    if (o instanceof Date) {
      const t = o.getTime();
      this.#out += Number.isNaN(t) ? 'null' : `"${o.toISOString()}"`;
      return true;
    }
    if (ArrayBuffer.isView(o) || o instanceof ArrayBuffer || o instanceof SharedArrayBuffer) {
      // Binary payloads: their size tells the story, their bytes only bloat the line.
      const kind = Buffer.isBuffer(o) ? 'Buffer' : (o.constructor?.name ?? 'Binary');
      this.#out += `"[${safeText(kind)}: ${(o as ArrayBuffer).byteLength} bytes]"`;
      return true;
    }
    if (o instanceof Map) {
      this.#map(o, depth);
      return true;
    }
    if (o instanceof Set) {
      this.#items([...o], o.size, depth);
      return true;
    }
    if (o instanceof RegExp) {
      this.#out += this.string(safeText(o));
      return true;
    }
    const toJSON = read(o, 'toJSON');
    if (typeof toJSON === 'function') {
      const replaced: unknown = toJSON.call(o, '');
      if (replaced !== o) return this.#write(replaced, depth);
    }
    this.#out += '{';
    this.#members(o, depth);
    this.#out += '}';
    return true;
  }

  #members(o: object, depth: number): void {
    const keys = Object.keys(o);
    let first = true;
    for (let i = 0; i < keys.length; i++) {
      if (this.#out.length > this.#limit) {
        this.#out += first ? TRUNCATED_ENTRY : `,${TRUNCATED_ENTRY}`;
        return;
      }
      first = this.#member(keys[i], read(o, keys[i]), depth, first);
    }
  }

  /** Writes `"key":value` (or nothing for omitted values); returns the new `first` flag. */
  #member(key: string, value: unknown, depth: number, first: boolean): boolean {
    const info = this.keyInfo(key);
    const before = this.#out.length;
    this.#out += first ? info.json : `,${info.json}`;
    if (info.redacted) {
      this.#out += REDACTED_JSON;
      return false;
    }
    if (this.#write(value, depth)) return false;
    this.#out = this.#out.slice(0, before);
    return first;
  }

  #items(items: readonly unknown[], length: number, depth: number): void {
    this.#out += '[';
    for (let i = 0; i < length; i++) {
      if (i > 0) this.#out += ',';
      if (this.#out.length > this.#limit) {
        this.#out += TRUNCATED_ITEM;
        break;
      }
      if (!this.#write(read(items, i), depth)) this.#out += 'null';
    }
    this.#out += ']';
  }

  #map(m: Map<unknown, unknown>, depth: number): void {
    this.#out += '{';
    let first = true;
    for (const [k, v] of m) {
      if (this.#out.length > this.#limit) {
        this.#out += first ? TRUNCATED_ENTRY : `,${TRUNCATED_ENTRY}`;
        break;
      }
      first = this.#member(typeof k === 'string' ? k : safeText(k), v, depth, first);
    }
    this.#out += '}';
  }

  #error(e: Error, depth: number): void {
    const message = read(e, 'message');
    const stack = read(e, 'stack');
    this.#out += `{"type":${this.string(errorType(e))},"message":${this.string(typeof message === 'string' ? message : safeText(message))}`;
    if (typeof stack === 'string') this.#out += `,"stack_trace":${this.string(stack)}`;
    const cause = read(e, 'cause');
    if (cause !== undefined) this.#member('cause', cause, depth, false);
    const errors = read(e, 'errors');
    if (Array.isArray(errors)) this.#member('errors', errors, depth, false);
    // Extra own fields carry the useful detail of SDK errors (code, $metadata, statusCode).
    const keys = Object.keys(e);
    for (let i = 0; i < keys.length; i++) {
      if (this.#out.length > this.#limit) {
        this.#out += `,${TRUNCATED_ENTRY}`;
        break;
      }
      if (!ERROR_OWN_KEYS.has(keys[i])) this.#member(keys[i], read(e, keys[i]), depth, false);
    }
    this.#out += '}';
  }
}
