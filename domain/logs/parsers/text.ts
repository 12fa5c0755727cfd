/** Plain text, the fallback: a leading level word (`ERROR ...`, `[WARN] ...`, `INFO: ...`) sets the level. */
import { type Level, normalizeLevel, type ParsedLine } from './common';

/** Anchored, bounded: at most one bracket and a short word. */
const LEADING_LEVEL =
  /^\[?(TRACE|DEBUG|INFO|NOTICE|WARN|WARNING|ERROR|FATAL|CRITICAL|trace|debug|info|notice|warn|warning|error|fatal|critical)\]?(?=[\s:]|$)/;

export function parseTextLine(line: string): ParsedLine {
  const m = LEADING_LEVEL.exec(line);
  const level: Level | undefined = m === null ? undefined : normalizeLevel(m[1]);
  return { parser: 'text', level, message: line, fields: {} };
}
