/**
 * nginx / Apache access lines, combined and common formats:
 * `127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /a.gif HTTP/1.0" 200 2326 "http://ref/" "Mozilla/4.08"`
 * Fields take nginx's variable names. Anything after the user agent (custom formats append
 * `rt=0.012 ...`) is kept in `extra`.
 */
import type { Level, ParsedLine } from './common';
import { MONTHS } from './common';

/**
 * Anchored; every quoted part is `(?:[^"\\]|\\.)*`, whose two branches start with different
 * characters, so matching is linear in the line length (no catastrophic backtracking).
 */
const ACCESS =
  /^(\S+) (\S+) (\S+) \[(\d\d)\/([A-Z][a-z]{2})\/(\d{4}):(\d\d):(\d\d):(\d\d) ([+-]\d{4})\] "((?:[^"\\]|\\.)*)" (\d{3}) (\d+|-)(?: "((?:[^"\\]|\\.)*)" "((?:[^"\\]|\\.)*)")?(?: (.*))?$/;

/** Undoes Apache's `\"`, `\\` and nginx's `\xHH` escaping. */
export function unescapeAccess(value: string): string {
  if (!value.includes('\\')) return value;
  return value.replace(/\\(x[0-9A-Fa-f]{2}|.)/g, (_, e: string) =>
    e.length === 3 ? String.fromCharCode(Number.parseInt(e.slice(1), 16)) : e === 'n' ? '\n' : e === 't' ? '\t' : e,
  );
}

const dash = (value: string): string | null => (value === '-' ? null : value);

function statusLevel(status: number): Level {
  if (status >= 500) return 'ERROR';
  if (status >= 400) return 'WARN';
  return 'INFO';
}

/** Parses an access line; undefined when it is not one. */
export function parseAccessLine(line: string): ParsedLine | undefined {
  const m = ACCESS.exec(line);
  if (m === null) return undefined;
  const month = MONTHS[m[5]];
  if (month === undefined) return undefined;
  const offset = m[10];
  const offsetMinutes = (offset[0] === '-' ? -1 : 1) * (Number(offset.slice(1, 3)) * 60 + Number(offset.slice(3, 5)));
  const timestamp =
    Date.UTC(Number(m[6]), month, Number(m[4]), Number(m[7]), Number(m[8]), Number(m[9])) - offsetMinutes * 60_000;
  if (Number.isNaN(timestamp)) return undefined;

  const request = unescapeAccess(m[11]);
  const status = Number(m[12]);
  const fields: Record<string, unknown> = {
    remote_addr: m[1],
    remote_user: dash(m[3]),
    time_local: `${m[4]}/${m[5]}/${m[6]}:${m[7]}:${m[8]}:${m[9]} ${offset}`,
    request,
    status,
    body_bytes_sent: m[13] === '-' ? 0 : Number(m[13]),
  };
  // `METHOD TARGET PROTOCOL`; a malformed request line (scanners send garbage) stays in `request`
  const parts = request.split(' ');
  if (parts.length === 3) {
    fields.method = parts[0];
    fields.path = parts[1];
    fields.protocol = parts[2];
  }
  if (m[14] !== undefined) {
    fields.http_referer = dash(unescapeAccess(m[14]));
    fields.http_user_agent = dash(unescapeAccess(m[15]));
  }
  if (m[16] !== undefined && m[16] !== '') fields.extra = m[16];
  return { parser: 'access', timestamp, level: statusLevel(status), message: `${request} ${status}`, fields };
}
