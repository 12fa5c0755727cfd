/**
 * CloudWatch Logs subscription payloads: `{ awslogs: { data } }` where `data` is
 * base64(gzip(JSON)) of `{ messageType, owner, logGroup, logStream, subscriptionFilters, logEvents }`.
 */
import { gunzipSync } from 'node:zlib';

export interface CloudWatchLogsEvent {
  readonly awslogs: { readonly data: string };
}

export interface LogEvent {
  readonly id: string;
  readonly timestamp: number;
  readonly message: string;
}

export interface LogsPayload {
  readonly messageType: 'DATA_MESSAGE' | 'CONTROL_MESSAGE';
  readonly owner: string;
  readonly logGroup: string;
  readonly logStream: string;
  readonly subscriptionFilters: readonly string[];
  /** Entries are checked one by one (`isLogEvent`): a malformed one is dead-lettered alone. */
  readonly logEvents: readonly unknown[];
}

/**
 * Largest decompressed payload accepted. CloudWatch Logs sends at most ~1 MB of events (plus the
 * JSON framing); this bounds a gzip bomb well above that.
 */
export const MAX_DECODED_BYTES = 16 * 1024 * 1024;

export class DecodeError extends Error {
  override readonly name = 'DecodeError';
}

/** Strict base64 (standard alphabet, padded): Buffer.from would silently skip bad characters. */
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** The raw `awslogs.data` string when the event has one (for dead-lettering what does not decode). */
export function rawData(event: unknown): string | undefined {
  const data = (event as { awslogs?: { data?: unknown } } | null)?.awslogs?.data;
  return typeof data === 'string' ? data : undefined;
}

export function decodePayload(event: unknown): LogsPayload {
  const data = rawData(event);
  if (data === undefined) throw new DecodeError('event.awslogs.data is missing or not a string');
  if (data.length % 4 !== 0 || !BASE64.test(data)) {
    throw new DecodeError(`event.awslogs.data is not base64 (${data.length} characters)`);
  }
  let json: string;
  try {
    json = gunzipSync(Buffer.from(data, 'base64'), { maxOutputLength: MAX_DECODED_BYTES }).toString('utf8');
  } catch (error) {
    throw new DecodeError(`event.awslogs.data is not gzip: ${(error as Error).message}`);
  }
  let payload: unknown;
  try {
    payload = JSON.parse(json);
  } catch (error) {
    throw new DecodeError(`decoded payload is not JSON: ${(error as Error).message}`);
  }
  const p = payload as Partial<Record<keyof LogsPayload, unknown>> | null;
  if (typeof p !== 'object' || p === null) throw new DecodeError('decoded payload is not an object');
  if (p.messageType !== 'DATA_MESSAGE' && p.messageType !== 'CONTROL_MESSAGE') {
    throw new DecodeError(`messageType ${JSON.stringify(p.messageType)} is not DATA_MESSAGE or CONTROL_MESSAGE`);
  }
  if (typeof p.logGroup !== 'string') throw new DecodeError(`logGroup ${JSON.stringify(p.logGroup)} is not a string`);
  if (typeof p.logStream !== 'string')
    throw new DecodeError(`logStream ${JSON.stringify(p.logStream)} is not a string`);
  if (!Array.isArray(p.logEvents)) throw new DecodeError('logEvents is not an array');
  return {
    messageType: p.messageType,
    owner: typeof p.owner === 'string' ? p.owner : '',
    logGroup: p.logGroup,
    logStream: p.logStream,
    subscriptionFilters: Array.isArray(p.subscriptionFilters)
      ? p.subscriptionFilters.filter((f) => typeof f === 'string')
      : [],
    logEvents: p.logEvents,
  };
}

export function isLogEvent(value: unknown): value is LogEvent {
  const e = value as Partial<LogEvent> | null;
  return (
    typeof e === 'object' &&
    e !== null &&
    typeof e.id === 'string' &&
    typeof e.timestamp === 'number' &&
    Number.isFinite(e.timestamp) &&
    typeof e.message === 'string'
  );
}
