/**
 * Syslog lines: RFC 5424 (`<PRI>1 TIMESTAMP HOST APP PROCID MSGID [SD] MSG`) and RFC 3164
 * (`<PRI>Mmm dd hh:mm:ss HOST TAG[PID]: MSG`, PRI optional as in /var/log files). A hand-written
 * scanner: one pass over the header, no backtracking.
 */
import { MONTHS, type ParsedLine, setField, severityLevel } from './common';

/** Structured data: SD-ID to its params (the last value wins for a repeated name). */
export type StructuredData = Record<string, Record<string, string>>;

const MAX_PRI = 191;
const BOM = '\uFEFF';

/** Reads `<PRI>`; returns [pri, index after '>'] or undefined. */
function readPri(line: string): [number, number] | undefined {
  if (line.charCodeAt(0) !== 60) return undefined;
  let pri = 0;
  let i = 1;
  for (; i < line.length && i <= 4; i++) {
    const c = line.charCodeAt(i);
    if (c === 62) break;
    if (c < 48 || c > 57) return undefined;
    pri = pri * 10 + (c - 48);
  }
  if (i === 1 || i > 4 || line.charCodeAt(i) !== 62 || pri > MAX_PRI) return undefined;
  return [pri, i + 1];
}

const RFC3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,6})?(?:Z|[+-]\d\d:\d\d)$/;

/** Printable US-ASCII without space (33..126): the header fields of RFC 5424. */
function isHeaderToken(token: string, max: number): boolean {
  if (token.length === 0 || token.length > max) return false;
  for (let i = 0; i < token.length; i++) {
    const c = token.charCodeAt(i);
    if (c < 33 || c > 126) return false;
  }
  return true;
}

const nil = (token: string): string | null => (token === '-' ? null : token);

/** Parses the structured data at `start`; returns [data, index after it] or undefined. */
function readStructuredData(line: string, start: number): [StructuredData | null, number] | undefined {
  if (line[start] === '-') return [null, start + 1];
  const data: StructuredData = {};
  let i = start;
  if (line[i] !== '[') return undefined;
  while (line[i] === '[') {
    i++;
    const idStart = i;
    while (i < line.length && !' ]="'.includes(line[i])) i++;
    const id = line.slice(idStart, i);
    if (id.length === 0 || id.length > 32) return undefined;
    const params: Record<string, string> = Object.hasOwn(data, id) ? data[id] : {};
    while (line[i] === ' ') {
      i++;
      const nameStart = i;
      while (i < line.length && !' ]="'.includes(line[i])) i++;
      const name = line.slice(nameStart, i);
      if (name.length === 0 || name.length > 32 || line[i] !== '=' || line[i + 1] !== '"') return undefined;
      i += 2;
      let value = '';
      for (;;) {
        if (i >= line.length) return undefined;
        const ch = line[i];
        if (ch === '"') break;
        // only \" \\ \] are escapes; a lone backslash stays (RFC 5424 6.3.3)
        if (ch === '\\' && (line[i + 1] === '"' || line[i + 1] === '\\' || line[i + 1] === ']')) {
          value += line[i + 1];
          i += 2;
        } else {
          value += ch;
          i++;
        }
      }
      i++;
      setField(params, name, value);
    }
    if (line[i] !== ']') return undefined;
    i++;
    setField(data, id, params);
  }
  return [data, i];
}

/** RFC 5424; undefined when the line is not one. */
export function parseSyslog5424(line: string): ParsedLine | undefined {
  const pri = readPri(line);
  if (pri === undefined) return undefined;
  const [value, after] = pri;
  // VERSION: 1-2 digits, not starting with 0, then a space
  let i = after;
  const versionStart = i;
  while (i < line.length && i - versionStart < 3 && line.charCodeAt(i) >= 48 && line.charCodeAt(i) <= 57) i++;
  if (i === versionStart || i - versionStart > 2 || line[versionStart] === '0' || line[i] !== ' ') return undefined;
  const header: string[] = [];
  i++;
  for (let f = 0; f < 5; f++) {
    const end = line.indexOf(' ', i);
    if (end < 0) return undefined;
    header.push(line.slice(i, end));
    i = end + 1;
  }
  const [time, hostname, appName, procId, msgId] = header;
  if (
    !isHeaderToken(hostname, 255) ||
    !isHeaderToken(appName, 48) ||
    !isHeaderToken(procId, 128) ||
    !isHeaderToken(msgId, 32)
  ) {
    return undefined;
  }
  let timestamp: number | undefined;
  if (time !== '-') {
    if (!RFC3339.test(time)) return undefined;
    timestamp = Date.parse(time);
    if (Number.isNaN(timestamp)) return undefined;
  }
  const sd = readStructuredData(line, i);
  if (sd === undefined) return undefined;
  const [structuredData, end] = sd;
  let message = '';
  if (end < line.length) {
    if (line[end] !== ' ') return undefined;
    message = line.slice(end + 1);
    if (message.startsWith(BOM)) message = message.slice(1);
  }
  const facility = value >> 3;
  const severity = value & 7;
  const fields: Record<string, unknown> = {
    facility,
    severity,
    hostname: nil(hostname),
    app_name: nil(appName),
    procid: nil(procId),
    msgid: nil(msgId),
    structured_data: structuredData,
  };
  if (appName !== '-') fields.service = appName;
  return { parser: 'syslog5424', timestamp, level: severityLevel(severity), message, fields };
}

/** `Mmm dd hh:mm:ss ` (day space-padded), anchored. */
const BSD_TIME = /^([A-Z][a-z]{2}) ([ \d]\d) (\d\d):(\d\d):(\d\d) /;
/** TAG[PID]: at most 48 tag characters, no spaces; linear. */
const TAG = /^([^\s:[\]]{1,48})(?:\[([^\]\s]{0,32})\])?:(?: |$)/;
const ONE_DAY_MS = 86_400_000;

/**
 * RFC 3164 (BSD). The year is missing from the line: it is taken from `receivedAt` (the
 * CloudWatch Logs timestamp), one year back when that puts the line more than a day in the future.
 * Times are read as UTC.
 */
export function parseSyslog3164(line: string, receivedAt: number): ParsedLine | undefined {
  const pri = readPri(line);
  const start = pri === undefined ? 0 : pri[1];
  const m = BSD_TIME.exec(start === 0 ? line : line.slice(start));
  if (m === null) return undefined;
  const month = MONTHS[m[1]];
  const day = Number(m[2].trim());
  const [hh, mm, ss] = [Number(m[3]), Number(m[4]), Number(m[5])];
  if (month === undefined || day < 1 || day > 31 || hh > 23 || mm > 59 || ss > 60) return undefined;
  const year = new Date(receivedAt).getUTCFullYear();
  let timestamp = Date.UTC(year, month, day, hh, mm, ss);
  if (timestamp > receivedAt + ONE_DAY_MS) timestamp = Date.UTC(year - 1, month, day, hh, mm, ss);

  let rest = line.slice(start + m[0].length);
  let hostname: string | null = null;
  // a hostname is present unless the next token is already the tag (`su: ...`, `sshd[1]: ...`)
  if (TAG.exec(rest) === null) {
    const space = rest.indexOf(' ');
    if (space > 0) {
      hostname = rest.slice(0, space);
      rest = rest.slice(space + 1);
    }
  }
  let appName: string | null = null;
  let procId: string | null = null;
  const tag = TAG.exec(rest);
  if (tag !== null) {
    appName = tag[1];
    procId = tag[2] ?? null;
    rest = rest.slice(tag[0].length);
  }
  const fields: Record<string, unknown> = { hostname, app_name: appName, procid: procId };
  let level: ParsedLine['level'];
  if (pri !== undefined) {
    fields.facility = pri[0] >> 3;
    fields.severity = pri[0] & 7;
    level = severityLevel(pri[0] & 7);
  }
  if (appName !== null) fields.service = appName;
  return { parser: 'syslog3164', timestamp, level, message: rest, fields };
}
