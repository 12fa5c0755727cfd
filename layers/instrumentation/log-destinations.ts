/**
 * Log destinations beside stdout, for services on hosts and in containers.
 *
 * `fileDestination({ path: '/logs/maif-app.log', retain: 7 })` writes each line to the file of
 * the day it belongs to (`/logs/maif-app-2025-01-02.log`) and keeps the newest `retain` files.
 * `write(line)` only appends to an in-memory batch; batches are written asynchronously, one
 * write per batch, and the memory is bounded (lines beyond it are dropped and counted). On
 * process exit the pending lines are written synchronously, the only synchronous writes there are.
 * Nothing here throws into the caller once constructed: failures are counted and warned once.
 */
import {
  closeDayFile,
  type Day,
  type DayFiles,
  dayFilePath,
  dayFiles,
  dayOf,
  openDayFile,
  pruneDayFiles,
  writeAt,
  writeAtSync,
} from './private/log-file';

export interface FileDestinationOptions {
  /** The log file's name pattern: `/logs/maif-app.log` writes `/logs/maif-app-YYYY-MM-DD.log`. Or give `directory` and `prefix`. */
  readonly path?: string;
  /** With `prefix`, instead of `path`: files `${directory}/${prefix}-YYYY-MM-DD.log`. The directory must exist. */
  readonly directory?: string;
  readonly prefix?: string;
  /** @default 'daily' - the only rotation there is */
  readonly rotate?: 'daily';
  /** Day files kept, today's included; older ones matching the name pattern are deleted on rotation. @default 7 */
  readonly retain?: number;
  /** Days in UTC (like the lines' timestamps), or in the process's local time zone when false. @default true */
  readonly utc?: boolean;
  /** Epoch ms, read only for lines that do not start with the Logger's `timestamp`. @default Date.now */
  readonly clock?: () => number;
  /** Lines waiting to be written, in characters; lines beyond are dropped and counted. @default 8 MiB */
  readonly maxBufferedBytes?: number;
  /** Told about each failed open, write or delete, and the first dropped line. @default - the first of each kind is printed on stderr */
  readonly onError?: (error: unknown) => void;
}

const FILE_DESTINATION_DEFAULTS = { retain: 7, maxBufferedBytes: 8 * 1024 * 1024, utc: true } as const;

/**
 * Lines of one day, in order, not yet handed to the file system, already UTF-8 encoded:
 * a line kept as a string would survive young-generation GCs and be copied by each (measured:
 * +1.5 us per line), while encoding it into a buffer now costs about 0.1 us.
 */
interface Batch {
  readonly day: string;
  /** Filled chunks. */
  readonly parts: Buffer[];
  /** The chunk being filled, up to `used`. */
  chunk: Buffer;
  used: number;
  bytes: number;
  lines: number;
}

/** A batch taken from the queue: one buffer. */
interface Taken {
  readonly data: Buffer;
  readonly lines: number;
}

/**
 * Chunks start small (a quiet service logs a few lines per batch) and double up to 1 MiB. The
 * first is under half of Buffer.poolSize (8 KiB), so it is a slice of the shared pool, not an allocation.
 */
const FIRST_CHUNK = 4000;
const MAX_CHUNK = 1024 * 1024;
/** The most bytes one UTF-16 code unit can take in UTF-8. */
const MAX_UTF8_PER_UNIT = 3;

/** The batch being written: kept until its write completes, so the exit handler can write it again. */
interface InFlight {
  readonly path: string;
  readonly data: Buffer;
  readonly position: number;
  readonly lines: number;
}

interface ExitHooks {
  readonly beforeExit: () => void;
  readonly exit: () => void;
}

// One pair of process listeners for all open destinations (no MaxListeners warning with many).
const OPEN = new Set<ExitHooks>();
const onBeforeExit = (): void => {
  for (const hooks of OPEN) hooks.beforeExit();
};
const onExit = (): void => {
  for (const hooks of OPEN) hooks.exit();
};
function track(hooks: ExitHooks): void {
  if (OPEN.size === 0) {
    process.on('beforeExit', onBeforeExit);
    process.on('exit', onExit);
  }
  OPEN.add(hooks);
}
function untrack(hooks: ExitHooks): void {
  if (OPEN.delete(hooks) && OPEN.size === 0) {
    process.removeListener('beforeExit', onBeforeExit);
    process.removeListener('exit', onExit);
  }
}

/** The Logger's lines start with this, then a 24-character ISO timestamp. */
const TS_PREFIX = '{"timestamp":"';
const TS_START = TS_PREFIX.length;
const TS_END = TS_START + 24;
const ISO_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const newBatch = (day: string): Batch => ({
  day,
  parts: [],
  chunk: Buffer.allocUnsafe(FIRST_CHUNK),
  used: 0,
  bytes: 0,
  lines: 0,
});
const NO_DAY: Day = { name: '', fromMs: Number.NaN, toMs: Number.NaN, fromIso: '~', toIso: '' };

function requireInteger(field: string, value: unknown, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw new Error(`${field}: ${String(value)} is not allowed (use an integer >= ${min})`);
  }
  return value;
}

/** A Logger destination writing daily-rotated files. Create it with `fileDestination(options)`. */
export class FileDestination {
  readonly #files: DayFiles;
  readonly #retain: number;
  readonly #utc: boolean;
  readonly #clock: () => number;
  readonly #maxBuffered: number;
  readonly #onError: ((error: unknown) => void) | undefined;
  readonly #hooks: ExitHooks;
  #day: Day = NO_DAY;
  #queue: Batch[] = [];
  /** The last queued batch while it still takes lines; the drain detaches it before writing it. */
  #tail: Batch | undefined;
  #inFlight: InFlight | undefined;
  #file: { readonly path: string; readonly fd: number; position: number } | undefined;
  #buffered = 0;
  #draining = false;
  #scheduled = false;
  #closed = false;
  #exiting = false;
  #accepted = 0;
  #settled = 0;
  #waiters: { readonly target: number; readonly resolve: () => void }[] = [];
  #written = 0;
  #dropped = 0;
  #errors = 0;
  #warnedOverflow = false;
  #warnedError = false;

  constructor(options: FileDestinationOptions) {
    if (options === null || typeof options !== 'object') {
      throw new Error(
        `fileDestination: ${String(options)} is not an options object (use { path: '/logs/maif-app.log' })`,
      );
    }
    this.#files = dayFiles(options);
    if (options.rotate !== undefined && options.rotate !== 'daily') {
      throw new Error(`rotate: '${String(options.rotate)}' is not a rotation (use 'daily')`);
    }
    this.#retain = requireInteger('retain', options.retain, FILE_DESTINATION_DEFAULTS.retain, 1);
    if (options.utc !== undefined && typeof options.utc !== 'boolean') {
      throw new Error(`utc: ${String(options.utc)} is not a boolean (use true for UTC days, false for local days)`);
    }
    this.#utc = options.utc ?? FILE_DESTINATION_DEFAULTS.utc;
    if (options.clock !== undefined && typeof options.clock !== 'function') {
      throw new Error(`clock: ${typeof options.clock} is not a clock (use a function returning epoch ms)`);
    }
    this.#clock = options.clock ?? Date.now;
    this.#maxBuffered = requireInteger(
      'maxBufferedBytes',
      options.maxBufferedBytes,
      FILE_DESTINATION_DEFAULTS.maxBufferedBytes,
      1,
    );
    this.#onError = options.onError;
    this.#hooks = { beforeExit: () => this.#onBeforeExit(), exit: () => this.#onExit() };
    track(this.#hooks);
  }

  /** Lines written to files. */
  get written(): number {
    return this.#written;
  }

  /** Lines lost: over `maxBufferedBytes`, refused by the file system, or given after `close()`. */
  get dropped(): number {
    return this.#dropped;
  }

  /** Failed opens, writes and deletes. */
  get errors(): number {
    return this.#errors;
  }

  /** Bytes accepted and not yet written. */
  get bufferedBytes(): number {
    return this.#buffered;
  }

  /** Queues one line (ending with `\n`) for the file of its day; never blocks, never throws. */
  write(line: string): void {
    try {
      if (this.#closed) {
        this.#dropped++;
        return;
      }
      // A line takes at least its length in UTF-8 bytes: most overflowing lines are dropped unencoded.
      if (this.#buffered + line.length > this.#maxBuffered) {
        this.#overflow();
        return;
      }
      const day = this.#dayName(line);
      const tail = this.#tail;
      const fresh = tail === undefined || tail.day !== day;
      const batch = fresh ? newBatch(day) : tail;
      const worst = line.length * MAX_UTF8_PER_UNIT;
      if (batch.chunk.length - batch.used < worst) {
        if (batch.used > 0) batch.parts.push(batch.chunk.subarray(0, batch.used));
        batch.chunk = Buffer.allocUnsafe(Math.max(worst, Math.min(MAX_CHUNK, batch.chunk.length * 2)));
        batch.used = 0;
      }
      // Encoded first, kept only if it fits: the bound is exact and costs no byteLength call.
      const size = batch.chunk.write(line, batch.used);
      if (this.#buffered + size > this.#maxBuffered) {
        this.#overflow();
        return;
      }
      if (fresh) {
        this.#queue.push(batch);
        this.#tail = batch;
      }
      batch.used += size;
      batch.bytes += size;
      batch.lines++;
      this.#buffered += size;
      this.#accepted++;
      if (this.#exiting) this.#writeAllSync();
      else if (!this.#scheduled && !this.#draining) {
        // One write per event-loop turn: every line logged in this turn joins the batch.
        this.#scheduled = true;
        setImmediate(() => this.#startDrain());
      }
    } catch (error) {
      this.#dropped++;
      this.#report(error, false);
    }
  }

  #overflow(): void {
    this.#dropped++;
    if (!this.#warnedOverflow) {
      this.#warnedOverflow = true;
      this.#report(
        new Error(`more than maxBufferedBytes ${this.#maxBuffered} waiting to be written: lines are dropped`),
        true,
      );
    }
  }

  /** Resolves once every line given before the call is written (or dropped); never rejects. */
  flush(): Promise<void> {
    if (this.#settled >= this.#accepted) return Promise.resolve();
    return new Promise((resolve) => {
      this.#waiters.push({ target: this.#accepted, resolve });
      this.#startDrain();
    });
  }

  /** Writes what is pending, closes the file and stops listening for process exit; later lines are dropped. */
  async close(): Promise<void> {
    while (this.#settled < this.#accepted) await this.flush();
    if (this.#closed) return;
    this.#closed = true;
    untrack(this.#hooks);
    const file = this.#file;
    this.#file = undefined;
    if (file !== undefined) await closeDayFile(file.fd).catch((error: unknown) => this.#report(error, false));
  }

  /** The day a line belongs to: its own timestamp when it has the Logger's, else the clock's. */
  #dayName(line: string): string {
    let day = this.#day;
    if (line.startsWith(TS_PREFIX)) {
      const ts = line.slice(TS_START, TS_END);
      // ISO strings of the same format compare like the instants they name: no parsing per line.
      if (ts >= day.fromIso && ts < day.toIso) return day.name;
      if (ISO_RE.test(ts)) {
        day = dayOf(Date.parse(ts), this.#utc);
        this.#day = day;
        return day.name;
      }
    }
    let ms = this.#clock();
    if (ms >= day.fromMs && ms < day.toMs) return day.name;
    if (!Number.isFinite(ms)) ms = Date.now();
    day = dayOf(ms, this.#utc);
    this.#day = day;
    return day.name;
  }

  #startDrain(): void {
    this.#scheduled = false;
    if (!this.#draining && !this.#exiting) void this.#drain();
  }

  async #drain(): Promise<void> {
    this.#draining = true;
    try {
      while (this.#queue.length > 0 && !this.#exiting) {
        const path = dayFilePath(this.#files, this.#queue[0].day);
        let file = this.#file;
        try {
          if (file?.path !== path) file = await this.#switchTo(path);
        } catch (error) {
          this.#settle(this.#take(), false);
          this.#report(error, false);
          continue;
        }
        if (this.#exiting) break;
        // Taken and marked in flight in one step: the exit handler sees the batch in one place or the other.
        const batch = this.#take();
        const data = batch.data;
        this.#inFlight = { path, data, position: file.position, lines: batch.lines };
        try {
          await writeAt(file.fd, data, file.position);
          file.position += data.length;
          if (this.#inFlight !== undefined) this.#settle(batch, true);
        } catch (error) {
          if (this.#inFlight !== undefined) this.#settle(batch, false);
          this.#report(error, false);
          await this.#dropFile();
        } finally {
          this.#inFlight = undefined;
        }
      }
    } catch (error) {
      this.#report(error, false);
    } finally {
      this.#draining = false;
      this.#wake();
    }
  }

  #take(): Taken {
    const batch = this.#queue.shift()!;
    if (batch === this.#tail) this.#tail = undefined;
    this.#buffered -= batch.bytes;
    if (batch.used > 0) batch.parts.push(batch.chunk.subarray(0, batch.used));
    const data = batch.parts.length === 1 ? batch.parts[0] : Buffer.concat(batch.parts, batch.bytes);
    return { data, lines: batch.lines };
  }

  #settle(batch: Taken, written: boolean): void {
    if (written) this.#written += batch.lines;
    else this.#dropped += batch.lines;
    this.#settled += batch.lines;
    this.#wake();
  }

  #wake(): void {
    if (this.#waiters.length === 0) return;
    const settled = this.#settled;
    const done = this.#waiters.filter((w) => w.target <= settled);
    if (done.length === 0) return;
    this.#waiters = this.#waiters.filter((w) => w.target > settled);
    for (const w of done) w.resolve();
  }

  /** Closes the current day file, opens `path` and deletes the day files beyond `retain`. */
  async #switchTo(path: string): Promise<{ readonly path: string; readonly fd: number; position: number }> {
    await this.#dropFile();
    const { fd, size } = await openDayFile(path);
    const file = { path, fd, position: size };
    this.#file = file;
    for (const error of await pruneDayFiles(this.#files, this.#retain, path)) this.#report(error, false);
    return file;
  }

  async #dropFile(): Promise<void> {
    const file = this.#file;
    this.#file = undefined;
    if (file !== undefined) await closeDayFile(file.fd).catch((error: unknown) => this.#report(error, false));
  }

  #onBeforeExit(): void {
    if (this.#settled < this.#accepted) this.#startDrain();
  }

  #onExit(): void {
    this.#exiting = true;
    this.#writeAllSync();
  }

  /**
   * The exit path: the batch in flight is written again at its position (the same bytes at the
   * same place, whether or not the async write landed), then every queued batch after it.
   * Fresh descriptors: the async ones may be mid-close in the thread pool.
   */
  #writeAllSync(): void {
    const next = new Map<string, number>();
    const inFlight = this.#inFlight;
    this.#inFlight = undefined;
    if (inFlight !== undefined) {
      try {
        next.set(inFlight.path, writeAtSync(inFlight.path, inFlight.data, inFlight.position));
        this.#settle(inFlight, true);
      } catch (error) {
        this.#settle(inFlight, false);
        this.#report(error, false);
      }
    }
    while (this.#queue.length > 0) {
      const path = dayFilePath(this.#files, this.#queue[0].day);
      const batch = this.#take();
      try {
        next.set(path, writeAtSync(path, batch.data, next.get(path)));
        this.#settle(batch, true);
      } catch (error) {
        this.#settle(batch, false);
        this.#report(error, false);
      }
    }
  }

  #report(error: unknown, overflow: boolean): void {
    if (!overflow) this.#errors++;
    try {
      if (this.#onError !== undefined) this.#onError(error);
      else if (overflow || !this.#warnedError) {
        if (!overflow) this.#warnedError = true;
        const message = error instanceof Error ? error.message : String(error);
        process.stderr.write(`maif-observability file log ${this.#files.directory}: ${message}\n`);
      }
    } catch {
      // The error callback failed too: the counters are all that is left.
    }
  }
}

/** A Logger destination writing `${prefix}-YYYY-MM-DD.log` day files; throws only on bad options. */
export function fileDestination(options: FileDestinationOptions): FileDestination {
  return new FileDestination(options);
}
