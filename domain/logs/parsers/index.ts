/**
 * Picks the parser of a line: the one configured for the log group, else by sniffing.
 * Lambda's platform lines (START / END / REPORT) and the runtime's text prefix are recognized
 * first in either case.
 */
import { parseAccessLine } from './access';
import { type Level, type ParsedLine, readTimestamp } from './common';
import { parseJsonLine } from './json';
import { parsePlatformLine, splitLambdaPrefix } from './lambda';
import { parseSyslog3164, parseSyslog5424 } from './syslog';
import { parseTextLine } from './text';

export { parseAccessLine } from './access';
export type { Level, ParsedLine, ParserName } from './common';
export { normalizeLevel } from './common';
export { parseJsonLine, parseJsonObject } from './json';
export { parsePlatformLine, splitLambdaPrefix } from './lambda';
export { parseSyslog3164, parseSyslog5424, type StructuredData } from './syslog';
export { parseTextLine } from './text';

/** Parser names accepted in `sources[].parser` (the MAIF monitoring guide's `json`, `syslog`, `nginx`, and more). */
export const CONFIGURED_PARSERS = ['json', 'emf', 'syslog', 'nginx', 'apache', 'access', 'text', 'auto'] as const;
export type ConfiguredParser = (typeof CONFIGURED_PARSERS)[number];

export class ParseError extends Error {
  override readonly name = 'ParseError';
}

function sniff(line: string, receivedAt: number): ParsedLine {
  const c = line.charCodeAt(0);
  if (c === 123) return parseJsonLine(line) ?? parseTextLine(line); // '{'
  if (c === 60) return parseSyslog5424(line) ?? parseSyslog3164(line, receivedAt) ?? parseTextLine(line); // '<'
  if (c >= 65 && c <= 90) {
    // 'A'..'Z': a BSD syslog line without PRI (`Jan  1 00:00:00 host app: msg`)
    const bsd = parseSyslog3164(line, receivedAt);
    if (bsd !== undefined) return bsd;
  }
  if ((c >= 48 && c <= 57) || (c >= 97 && c <= 102) || c === 58) {
    // a digit, a-f or ':' can open an IPv4/IPv6 address: an access line
    const access = parseAccessLine(line);
    if (access !== undefined) return access;
  }
  return parseTextLine(line);
}

function forced(parser: ConfiguredParser, line: string, receivedAt: number): ParsedLine | undefined {
  switch (parser) {
    case 'json':
    case 'emf':
      return parseJsonLine(line);
    case 'syslog':
      return parseSyslog5424(line) ?? parseSyslog3164(line, receivedAt);
    case 'nginx':
    case 'apache':
    case 'access':
      return parseAccessLine(line);
    case 'text':
      return parseTextLine(line);
    case 'auto':
      return sniff(line, receivedAt);
  }
}

/**
 * Parses one log line. With a configured parser, a line it cannot read throws `ParseError`
 * (the caller dead-letters it); when sniffing, anything unrecognized is plain text.
 */
export function parseLine(line: string, receivedAt: number, parser: ConfiguredParser = 'auto'): ParsedLine {
  const platform = parsePlatformLine(line);
  if (platform !== undefined) return platform;
  const prefix = splitLambdaPrefix(line);
  if (prefix === undefined) {
    const parsed = forced(parser, line, receivedAt);
    if (parsed === undefined) throw new ParseError(`line is not ${parser === 'emf' ? 'json' : parser}`);
    return parsed;
  }
  // `<time>\t<requestId>\t<LEVEL>\t<message>`: the rest is parsed, the prefix fills what it lacks
  const inner = prefix.rest.length === 0 ? parseTextLine('') : forced(parser, prefix.rest, receivedAt);
  if (inner === undefined) throw new ParseError(`line is not ${parser === 'emf' ? 'json' : parser}`);
  const fields = prefix.requestId === undefined ? inner.fields : { ...inner.fields, request_id: prefix.requestId };
  // structured lines carry their own level; for plain text the console method (prefix) is the truth
  const level: Level | undefined =
    inner.parser === 'text' ? (prefix.level ?? inner.level) : (inner.level ?? prefix.level);
  return {
    parser: inner.parser,
    timestamp: inner.timestamp ?? readTimestamp(prefix.timestamp),
    level,
    message: inner.message,
    traceId: inner.traceId,
    fields,
  };
}
