/** Turns a parsed line into the normalized event forwarded to the aggregated log group. */
import type { Level, ParsedLine, ParserName } from './parsers';
import { setField } from './parsers/common';

export interface EventSource {
  readonly logGroup: string;
  readonly logStream: string;
  readonly parser: ParserName;
  /** The CloudWatch Logs event id. */
  readonly id: string;
  /** The `sources[].name` that matched the log group, if any. */
  readonly name?: string;
}

export interface NormalizedEvent {
  /** ISO 8601, UTC, milliseconds. */
  timestamp: string;
  level: Level;
  service: string;
  message: string;
  source: EventSource;
  trace_id?: string;
  [field: string]: unknown;
}

/** What every event of one payload shares. */
export interface PayloadContext {
  readonly logGroup: string;
  readonly logStream: string;
  readonly sourceName: string | undefined;
  readonly tags: Readonly<Record<string, string>> | undefined;
  /** The function name for `/aws/lambda/<name>` groups, else the log group name. */
  readonly defaultService: string;
}

const RESERVED: Record<string, true> = {
  timestamp: true,
  level: true,
  service: true,
  message: true,
  source: true,
  trace_id: true,
};
const LAMBDA_GROUP = '/aws/lambda/';

export function defaultServiceOf(logGroup: string): string {
  return logGroup.startsWith(LAMBDA_GROUP) ? logGroup.slice(LAMBDA_GROUP.length) : logGroup;
}

function isoOf(timestamp: number | string | undefined, fallback: number): string {
  if (typeof timestamp === 'string') return timestamp;
  const ms = timestamp ?? fallback;
  // Date's range is +-8.64e15 ms; anything outside falls back to the CloudWatch Logs time
  return new Date(Math.abs(ms) <= 8.64e15 ? ms : fallback).toISOString();
}

export function normalize(parsed: ParsedLine, id: string, receivedAt: number, ctx: PayloadContext): NormalizedEvent {
  const fields = parsed.fields;
  const service = fields.service;
  const event: NormalizedEvent = {
    timestamp: isoOf(parsed.timestamp, receivedAt),
    level: parsed.level ?? 'INFO',
    service: typeof service === 'string' && service !== '' ? service : ctx.defaultService,
    message: parsed.message,
    source: { logGroup: ctx.logGroup, logStream: ctx.logStream, parser: parsed.parser, id },
  };
  if (ctx.sourceName !== undefined) (event.source as { name?: string }).name = ctx.sourceName;
  if (parsed.traceId !== undefined) event.trace_id = parsed.traceId;
  for (const key in fields) {
    if (RESERVED[key] !== true) setField(event, key, fields[key]);
  }
  if (ctx.tags !== undefined) {
    const own = event.tags;
    event.tags =
      typeof own === 'object' && own !== null && !Array.isArray(own) ? { ...own, ...ctx.tags } : { ...ctx.tags };
  }
  return event;
}
