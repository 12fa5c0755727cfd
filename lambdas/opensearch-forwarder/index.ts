/**
 * The OpenSearch forwarder: subscribed to the aggregated log group, it puts each normalized event
 * into the Firehose stream as a record of its own. Firehose indexes one document per record, and
 * a CloudWatch Logs subscription record carries a whole batch of events, which is why AWS does
 * not support a subscription straight from CloudWatch Logs to a Firehose stream with an
 * OpenSearch destination. Records Firehose refuses are sent again; what still fails throws, so
 * Lambda retries the delivery (at least once: a retried delivery may index an event twice).
 */
import { type _Record, FirehoseClient, PutRecordBatchCommand } from '@aws-sdk/client-firehose';
import { KIT_ENV } from '../../domain/contracts/environment';
import { decodePayload, isLogEvent } from '../../domain/logs/decode';

/** PutRecordBatch takes at most 500 records and 4 MiB per call. */
export const MAX_RECORDS_PER_BATCH = 500;
export const MAX_BATCH_BYTES = 4 * 1024 * 1024;
/** Firehose's largest record (1,000 KiB); the aggregator caps its lines well below this. */
export const MAX_RECORD_BYTES = 1000 * 1024;
/** Calls per batch for the records Firehose refuses (throttling, internal errors). */
export const MAX_ATTEMPTS = 4;

export interface ForwarderDeps {
  /** @default - a FirehoseClient for the function's own region, created on first use */
  readonly firehose?: FirehoseClient;
  /** @default - MAIF_DELIVERY_STREAM_NAME, read once */
  readonly streamName?: string;
  readonly sleep?: (ms: number) => Promise<void>;
}

export interface ForwardResult {
  /** Log events in the delivery. */
  readonly received: number;
  /** Records Firehose accepted. */
  readonly forwarded: number;
  /** Events that are not normalized events (not a JSON object) or are over Firehose's record size. */
  readonly skipped: number;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function warn(message: string): void {
  process.stderr.write(`${JSON.stringify({ level: 'WARN', event: 'maif_obs_opensearch_forwarder', message })}\n`);
}

/** The event's message as a record, when it is a JSON object small enough for Firehose. */
function recordOf(message: string): _Record | undefined {
  const text = message.trim();
  if (!text.startsWith('{')) return undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
  } catch {
    return undefined;
  }
  const data = Buffer.from(text, 'utf8');
  return data.length <= MAX_RECORD_BYTES ? { Data: data } : undefined;
}

/** Splits records into PutRecordBatch calls: at most 500 records and 4 MiB each. */
export function batches(records: readonly _Record[]): _Record[][] {
  const out: _Record[][] = [];
  let current: _Record[] = [];
  let bytes = 0;
  for (const record of records) {
    const size = record.Data?.length ?? 0;
    if (current.length === MAX_RECORDS_PER_BATCH || (current.length > 0 && bytes + size > MAX_BATCH_BYTES)) {
      out.push(current);
      current = [];
      bytes = 0;
    }
    current.push(record);
    bytes += size;
  }
  if (current.length > 0) out.push(current);
  return out;
}

export function createHandler(deps: ForwarderDeps = {}): (event: unknown) => Promise<ForwardResult> {
  const streamName = deps.streamName ?? process.env[KIT_ENV.deliveryStreamName];
  if (!streamName) throw new Error(`opensearch forwarder: ${KIT_ENV.deliveryStreamName} is not set`);
  const sleep = deps.sleep ?? defaultSleep;
  let client = deps.firehose;
  const firehose = () => (client ??= new FirehoseClient({}));

  /** Sends one batch; returns the records still refused after MAX_ATTEMPTS calls, with the last error. */
  async function send(batch: _Record[]): Promise<{ failed: number; error: string }> {
    let pending = batch;
    let error = '';
    for (let attempt = 0; attempt < MAX_ATTEMPTS && pending.length > 0; attempt++) {
      if (attempt > 0) await sleep(100 * 2 ** attempt);
      const reply = await firehose().send(
        new PutRecordBatchCommand({ DeliveryStreamName: streamName, Records: pending }),
      );
      if (!reply.FailedPutCount) return { failed: 0, error };
      const responses = reply.RequestResponses ?? [];
      const refused = pending.filter((_, i) => responses[i]?.ErrorCode !== undefined || responses[i] === undefined);
      const first = responses.find((r) => r.ErrorCode !== undefined);
      error = first ? `${first.ErrorCode}: ${first.ErrorMessage ?? ''}` : 'no per-record response';
      pending = refused;
    }
    return { failed: pending.length, error };
  }

  return async function forward(event: unknown): Promise<ForwardResult> {
    let payload: ReturnType<typeof decodePayload>;
    try {
      payload = decodePayload(event);
    } catch (error) {
      // nothing to retry: the events stay in the aggregated log group
      warn(`delivery not decoded, nothing forwarded: ${(error as Error).message}`);
      return { received: 0, forwarded: 0, skipped: 0 };
    }
    if (payload.messageType === 'CONTROL_MESSAGE') return { received: 0, forwarded: 0, skipped: 0 };

    const records: _Record[] = [];
    for (const raw of payload.logEvents) {
      const record = isLogEvent(raw) ? recordOf(raw.message) : undefined;
      if (record !== undefined) records.push(record);
    }
    const skipped = payload.logEvents.length - records.length;
    let failed = 0;
    let lastError = '';
    for (const batch of batches(records)) {
      const result = await send(batch);
      failed += result.failed;
      if (result.failed > 0) lastError = result.error;
    }
    if (failed > 0) {
      throw new Error(
        `opensearch forwarder: ${failed} of ${records.length} records refused by Firehose after ${MAX_ATTEMPTS} attempts (${lastError})`,
      );
    }
    return { received: payload.logEvents.length, forwarded: records.length, skipped };
  };
}

let lazy: ((event: unknown) => Promise<ForwardResult>) | undefined;

/** The Lambda entry point: the stream name read on the first call. */
export const handler = async (event: unknown): Promise<ForwardResult> => {
  lazy ??= createHandler();
  return lazy(event);
};
