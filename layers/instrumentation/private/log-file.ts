/**
 * The file side of the file log destination: where a day's lines go (`maif-app-YYYY-MM-DD.log`),
 * the day a timestamp falls in (UTC or local), retention of old day files, and writing a whole
 * buffer at a given position, asynchronously or (at process exit only) synchronously.
 *
 * Writes are positional (pwrite), never O_APPEND: re-writing the same bytes at the same
 * position is harmless, which is what lets the exit handler repeat a write that may or may
 * not have landed without losing or duplicating a line.
 */
import {
  close,
  closeSync,
  constants,
  fstat,
  fstatSync,
  open,
  openSync,
  readdir,
  unlink,
  write,
  writeSync,
} from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';

/** Not O_APPEND: Linux ignores pwrite's position on an O_APPEND descriptor. */
const OPEN_FLAGS = constants.O_WRONLY | constants.O_CREAT;
const FILE_MODE = 0o644;

/** Where day files live and how they are named: `${directory}/${prefix}-YYYY-MM-DD${extension}`. */
export interface DayFiles {
  readonly directory: string;
  readonly prefix: string;
  readonly extension: string;
  /** Matches the day files of this destination and nothing else in the directory. */
  readonly pattern: RegExp;
}

const PREFIX_RE = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const escapeRe = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function requirePrefix(field: string, value: string, given: string): string {
  if (!PREFIX_RE.test(value)) {
    throw new Error(
      `${field}: '${given}' does not give a usable file prefix (use letters, digits, '.', '_' or '-', e.g. 'maif-app')`,
    );
  }
  return value;
}

/** From `{ path: '/logs/maif-app.log' }` or `{ directory: '/logs', prefix: 'maif-app' }`. */
export function dayFiles(input: {
  readonly path?: unknown;
  readonly directory?: unknown;
  readonly prefix?: unknown;
}): DayFiles {
  let directory: string;
  let prefix: string;
  let extension = '.log';
  if (input.path !== undefined) {
    if (input.directory !== undefined || input.prefix !== undefined) {
      throw new Error(`path: give either path or directory + prefix, not both (got path '${String(input.path)}')`);
    }
    if (typeof input.path !== 'string' || input.path === '' || input.path.endsWith('/')) {
      throw new Error(`path: '${String(input.path)}' is not a log file path (use e.g. '/logs/maif-app.log')`);
    }
    const base = basename(input.path);
    const ext = extname(base);
    if (ext !== '') extension = ext;
    directory = dirname(input.path);
    prefix = requirePrefix('path', ext === '' ? base : base.slice(0, -ext.length), input.path);
  } else {
    if (typeof input.directory !== 'string' || input.directory === '') {
      throw new Error(
        `directory: '${String(input.directory)}' is not a directory (give path: '/logs/maif-app.log' or directory + prefix)`,
      );
    }
    if (typeof input.prefix !== 'string') {
      throw new Error(`prefix: '${String(input.prefix)}' is not a file prefix (use a string such as 'maif-app')`);
    }
    directory = input.directory;
    prefix = requirePrefix('prefix', input.prefix, input.prefix);
  }
  const pattern = new RegExp(`^${escapeRe(prefix)}-\\d{4}-\\d{2}-\\d{2}${escapeRe(extension)}$`);
  return { directory, prefix, extension, pattern };
}

export const dayFilePath = (files: DayFiles, day: string): string =>
  join(files.directory, `${files.prefix}-${day}${files.extension}`);

/** A calendar day: its name and its bounds, as epoch ms and as ISO strings (which compare like the ms). */
export interface Day {
  readonly name: string;
  readonly fromMs: number;
  readonly toMs: number;
  readonly fromIso: string;
  readonly toIso: string;
}

const pad = (n: number, width: number): string => String(n).padStart(width, '0');

/** The day `ms` falls in: UTC days, or the local time zone's (23 or 25 hours long across DST changes). */
export function dayOf(ms: number, utc: boolean): Day {
  const d = new Date(ms);
  const y = utc ? d.getUTCFullYear() : d.getFullYear();
  const m = utc ? d.getUTCMonth() : d.getMonth();
  const dd = utc ? d.getUTCDate() : d.getDate();
  const fromMs = utc ? Date.UTC(y, m, dd) : new Date(y, m, dd).getTime();
  const toMs = utc ? Date.UTC(y, m, dd + 1) : new Date(y, m, dd + 1).getTime();
  return {
    name: `${pad(y, 4)}-${pad(m + 1, 2)}-${pad(dd, 2)}`,
    fromMs,
    toMs,
    fromIso: new Date(fromMs).toISOString(),
    toIso: new Date(toMs).toISOString(),
  };
}

/** Deletes the oldest day files beyond `retain` (never `keep`, the file being written); returns the errors. */
export async function pruneDayFiles(files: DayFiles, retain: number, keep: string): Promise<unknown[]> {
  const errors: unknown[] = [];
  let names: string[];
  try {
    names = await new Promise<string[]>((resolve, reject) =>
      readdir(files.directory, (e, list) => (e ? reject(e) : resolve(list))),
    );
  } catch (error) {
    return [error];
  }
  // YYYY-MM-DD sorts by date, so the name order is the age order.
  const days = names.filter((n) => files.pattern.test(n)).sort();
  for (const name of days.slice(0, Math.max(0, days.length - retain))) {
    const path = join(files.directory, name);
    if (path === keep) continue;
    await new Promise<void>((resolve) =>
      unlink(path, (e) => {
        if (e && e.code !== 'ENOENT') errors.push(e);
        resolve();
      }),
    );
  }
  return errors;
}

/** Opens (creating) a day file and reads its size: where the next write goes. */
export function openDayFile(path: string): Promise<{ fd: number; size: number }> {
  return new Promise((resolve, reject) =>
    open(path, OPEN_FLAGS, FILE_MODE, (e, fd) => {
      if (e) return reject(e);
      fstat(fd, (statError, stats) => {
        if (!statError) return resolve({ fd, size: stats.size });
        close(fd, () => reject(statError));
      });
    }),
  );
}

export const closeDayFile = (fd: number): Promise<void> =>
  new Promise((resolve, reject) => close(fd, (e) => (e ? reject(e) : resolve())));

/** Writes all of `data` at `position`, looping over short writes. */
export async function writeAt(fd: number, data: Buffer, position: number): Promise<void> {
  let done = 0;
  while (done < data.length) {
    done += await new Promise<number>((resolve, reject) =>
      write(fd, data, done, data.length - done, position + done, (e, n) => (e ? reject(e) : resolve(n))),
    );
  }
}

/** The exit path only: opens, writes `data` at `position` (the file's size when undefined), closes; returns the next position. */
export function writeAtSync(path: string, data: Buffer, position: number | undefined): number {
  const fd = openSync(path, OPEN_FLAGS, FILE_MODE);
  try {
    const start = position ?? fstatSync(fd).size;
    let done = 0;
    while (done < data.length) done += writeSync(fd, data, done, data.length - done, start + done);
    return start + done;
  } finally {
    closeSync(fd);
  }
}
