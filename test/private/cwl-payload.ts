/**
 * Builds CloudWatch Logs subscription events exactly as CloudWatch Logs delivers them to Lambda:
 * `{ awslogs: { data: base64(gzip(JSON)) } }`, with the payload fields in CloudWatch's order,
 * 56-digit event ids and the control message's text, with the sandbox's encoder (the one its
 * local CloudWatch Logs delivers with). Used by the log aggregator's tests and its benchmark.
 */
import { gzipSync } from 'node:zlib';
import type { CloudWatchLogsEvent, LogEvent, LogsPayload } from '../../domain/logs/decode';
import { encodePayload, eventId } from '../../sandbox/cloudwatch-logs';

export { encodePayload };

export const DEFAULT_OWNER = '123456789012';
export const DEFAULT_LOG_GROUP = '/aws/lambda/maif-search';
export const DEFAULT_LOG_STREAM = '2024/01/01/[$LATEST]0123456789abcdef0123456789abcdef';

/** Log events for `messages`, one millisecond apart from `start`. */
export function logEvents(messages: readonly string[], start = Date.UTC(2024, 0, 1)): LogEvent[] {
  return messages.map((message, i) => ({ id: eventId(start + i, i), timestamp: start + i, message }));
}

export interface DataMessageOptions {
  owner?: string;
  logGroup?: string;
  logStream?: string;
  subscriptionFilters?: string[];
  start?: number;
}

/** The payload of a `DATA_MESSAGE` carrying `messages` (or ready-made events). */
export function dataPayload(
  messages: readonly string[] | readonly LogEvent[],
  options: DataMessageOptions = {},
): LogsPayload {
  const events =
    messages.length > 0 && typeof messages[0] !== 'string'
      ? [...(messages as readonly LogEvent[])]
      : logEvents(messages as readonly string[], options.start);
  return {
    messageType: 'DATA_MESSAGE',
    owner: options.owner ?? DEFAULT_OWNER,
    logGroup: options.logGroup ?? DEFAULT_LOG_GROUP,
    logStream: options.logStream ?? DEFAULT_LOG_STREAM,
    subscriptionFilters: options.subscriptionFilters ?? ['maif-observability-aggregator'],
    logEvents: events,
  };
}

/** A subscription event carrying `messages`. */
export function dataMessage(
  messages: readonly string[] | readonly LogEvent[],
  options: DataMessageOptions = {},
): CloudWatchLogsEvent {
  return encodePayload(dataPayload(messages, options));
}

/** The control message CloudWatch Logs sends to check that the destination is reachable. */
export function controlMessage(start = Date.UTC(2024, 0, 1)): CloudWatchLogsEvent {
  return encodePayload({
    messageType: 'CONTROL_MESSAGE',
    owner: 'CloudwatchLogs',
    logGroup: '',
    logStream: '',
    subscriptionFilters: [],
    logEvents: [{ id: '', timestamp: start, message: 'CWL CONTROL MESSAGE: Checking health of destination Firehose.' }],
  });
}

/** Corrupt variants: not base64, base64 of non-gzip bytes, gzip of non-JSON text, truncated gzip. */
export const corruptMessages = {
  notBase64: (): CloudWatchLogsEvent => ({ awslogs: { data: 'this is not base64 !!' } }),
  notGzip: (): CloudWatchLogsEvent => ({
    awslogs: { data: Buffer.from('plain bytes, no gzip header').toString('base64') },
  }),
  notJson: (): CloudWatchLogsEvent => encodePayload('{"messageType":"DATA_MESSAGE","logEvents":['),
  truncated: (messages: readonly string[] = ['{"level":"INFO"}']): CloudWatchLogsEvent => {
    const whole = gzipSync(Buffer.from(JSON.stringify(dataPayload(messages))));
    return { awslogs: { data: whole.subarray(0, Math.floor(whole.length / 2)).toString('base64') } };
  },
};

/** Lambda's text-format prefix: `<ISO time>\t<requestId>\t<LEVEL>\t<message>`. */
export function lambdaTextLine(
  message: string,
  level = 'INFO',
  requestId = '8f5e2a3c-1b7d-4c1e-9a77-3d2b1c0e9f10',
  time = Date.UTC(2024, 0, 1),
): string {
  return `${new Date(time).toISOString()}\t${requestId}\t${level}\t${message}`;
}

/** Lambda's REPORT line, as the platform writes it. */
export function lambdaReportLine(
  requestId: string,
  durationMs: number,
  memoryMb = 256,
  maxUsedMb = 80,
  initMs?: number,
): string {
  const init = initMs === undefined ? '' : `Init Duration: ${initMs.toFixed(2)} ms\t`;
  return `REPORT RequestId: ${requestId}\tDuration: ${durationMs.toFixed(2)} ms\tBilled Duration: ${Math.ceil(durationMs)} ms\tMemory Size: ${memoryMb} MB\tMax Memory Used: ${maxUsedMb} MB\t${init}`;
}
