/**
 * The dead-letter queue (SQS, KMS-encrypted by the stack): one message `{ reason, logGroup,
 * logStream, event }` per failed record, `{ reason, data }` for a payload that did not decode.
 * A body over the SQS limit is split into parts (`part: { key, index, count }`, the big string cut
 * in order) rather than stored elsewhere: nothing else to provision, and a consumer joins the
 * parts by `key`. A message SQS keeps refusing makes `send` throw: the handler fails, and Lambda
 * retries the whole batch (duplicates are possible, loss is not).
 */
import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { KIT_ENV } from '../../domain/contracts/environment';
import type { LogEvent } from '../../domain/logs/decode';

/** SQS message limit, the conservative one (queues created before 2025 keep 256 KiB). */
export const MAX_SQS_MESSAGE_BYTES = 256 * 1024;
/** SendMessageBatch: at most 10 entries and 256 KiB in all. */
export const MAX_SQS_BATCH_ENTRIES = 10;
export const MAX_SQS_BATCH_BYTES = 256 * 1024;
export const DLQ_MAX_ATTEMPTS = 3;

export interface DeadLetter {
  readonly reason: string;
  readonly logGroup?: string;
  readonly logStream?: string;
  /** The record as CloudWatch Logs delivered it, so it can be replayed. */
  readonly event?: LogEvent;
  /** The raw `awslogs.data` of a payload that did not decode. */
  readonly data?: string;
}

export interface DeadLetterPart {
  readonly key: string;
  readonly index: number;
  readonly count: number;
}

export class DeadLetterError extends Error {
  override readonly name = 'DeadLetterError';
}

const bytes = (s: string) => Buffer.byteLength(s, 'utf8');

/** Cuts `text` so that each `build(chunk)` fits in `limit` bytes; never splits a surrogate pair. */
function splitToFit(text: string, limit: number, build: (chunk: string) => string): string[] {
  const chunks: string[] = [];
  let start = 0;
  // characters per part: exact for ASCII without escapes, shrunk while a part serializes too big
  let size = Math.max(1, limit - bytes(build('')));
  while (start < text.length) {
    let end = Math.min(text.length, start + size);
    for (;;) {
      const code = text.charCodeAt(end - 1);
      if (end < text.length && code >= 0xd800 && code <= 0xdbff) end--;
      if (bytes(build(text.slice(start, end))) <= limit) break;
      end = start + Math.max(1, Math.floor((end - start) / 2));
    }
    chunks.push(text.slice(start, end));
    size = end - start;
    start = end;
  }
  return chunks;
}

/** Serializes one dead letter to one or more SQS bodies, each within `MAX_SQS_MESSAGE_BYTES`. */
export function deadLetterBodies(letter: DeadLetter, key: string, limit = MAX_SQS_MESSAGE_BYTES): string[] {
  const whole = JSON.stringify(letter);
  if (bytes(whole) <= limit) return [whole];
  const big = letter.data !== undefined ? 'data' : 'message';
  const text = big === 'data' ? (letter.data as string) : (letter.event?.message ?? '');
  // room for the part marker, whose numbers grow with the count
  const marker: DeadLetterPart = { key, index: 999_999, count: 999_999 };
  const build = (chunk: string) =>
    JSON.stringify(
      big === 'data'
        ? { ...letter, data: chunk, part: marker }
        : { ...letter, event: { ...(letter.event as LogEvent), message: chunk }, part: marker },
    );
  const chunks = splitToFit(text, limit, build);
  return chunks.map((chunk, index) => {
    const part: DeadLetterPart = { key, index, count: chunks.length };
    return JSON.stringify(
      big === 'data'
        ? { ...letter, data: chunk, part }
        : { ...letter, event: { ...(letter.event as LogEvent), message: chunk }, part },
    );
  });
}

export interface DeadLetterQueueOptions {
  readonly sqs: SQSClient;
  readonly queueUrl: string | undefined;
  readonly sleep?: (ms: number) => Promise<void>;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class DeadLetterQueue {
  readonly #sqs: SQSClient;
  readonly #queueUrl: string | undefined;
  readonly #sleep: (ms: number) => Promise<void>;

  constructor(options: DeadLetterQueueOptions) {
    this.#sqs = options.sqs;
    this.#queueUrl = options.queueUrl;
    this.#sleep = options.sleep ?? defaultSleep;
  }

  /** Sends every letter (split when needed); resolves when SQS has accepted all, else throws. */
  async send(letters: readonly DeadLetter[], keyPrefix: string): Promise<number> {
    if (letters.length === 0) return 0;
    if (this.#queueUrl === undefined || this.#queueUrl === '') {
      throw new DeadLetterError(`${KIT_ENV.dlqUrl} is not set: cannot dead-letter ${letters.length} record(s)`);
    }
    const bodies = letters.flatMap((letter, i) => deadLetterBodies(letter, `${keyPrefix}:${letter.event?.id ?? i}`));
    let pending = bodies.map((body, i) => ({ Id: `m${i}`, MessageBody: body }));
    let lastError = '';
    for (let attempt = 0; attempt < DLQ_MAX_ATTEMPTS && pending.length > 0; attempt++) {
      if (attempt > 0) await this.#sleep(50 * 2 ** attempt);
      const failed: typeof pending = [];
      for (const batch of batches(pending)) {
        try {
          const out = await this.#sqs.send(new SendMessageBatchCommand({ QueueUrl: this.#queueUrl, Entries: batch }));
          for (const f of out.Failed ?? []) {
            lastError = `${f.Code ?? 'error'}: ${f.Message ?? ''}`;
            const entry = batch.find((e) => e.Id === f.Id);
            if (entry !== undefined) failed.push(entry);
          }
        } catch (error) {
          lastError = (error as Error).message;
          failed.push(...batch);
        }
      }
      pending = failed;
    }
    if (pending.length > 0) {
      throw new DeadLetterError(
        `dead-letter queue refused ${pending.length} of ${bodies.length} message(s) after ${DLQ_MAX_ATTEMPTS} attempts (${lastError}): failing the batch so Lambda retries it`,
      );
    }
    return bodies.length;
  }
}

function* batches<T extends { MessageBody: string }>(entries: readonly T[]): Generator<T[]> {
  let batch: T[] = [];
  let size = 0;
  for (const entry of entries) {
    const b = bytes(entry.MessageBody);
    if (batch.length === MAX_SQS_BATCH_ENTRIES || (batch.length > 0 && size + b > MAX_SQS_BATCH_BYTES)) {
      yield batch;
      batch = [];
      size = 0;
    }
    batch.push(entry);
    size += b;
  }
  if (batch.length > 0) yield batch;
}
