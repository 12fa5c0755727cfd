/**
 * CloudWatch Logs, locally: the demo service's log streams. Every line a function writes is
 * stored in its log group; EMF documents are extracted into the metric store (CloudWatch does
 * that on ingestion, whatever subscribes); and the subscription filter delivers the lines to the
 * log aggregator in batches, encoded exactly as CloudWatch Logs delivers them to Lambda
 * (`{ awslogs: { data: base64(gzip(JSON)) } }`).
 */
import { gzipSync } from 'node:zlib';
import { ingestEmf, type MetricStore } from '../domain/evaluator/store';
import type { CloudWatchLogsEvent, LogEvent, LogsPayload } from '../domain/logs/decode';

/**
 * A CloudWatch-style event id: 56 decimal digits, rising with the timestamp (CloudWatch's ids
 * embed the ingestion time; the exact layout is opaque, only uniqueness and order matter).
 */
export function eventId(timestamp: number, sequence: number): string {
  return `${String(timestamp).padStart(20, '0')}${String(sequence).padStart(36, '0')}`;
}

/** Encodes any payload object (or raw JSON text) the way CloudWatch Logs does. */
export function encodePayload(payload: LogsPayload | string): CloudWatchLogsEvent {
  const json = typeof payload === 'string' ? payload : JSON.stringify(payload);
  return { awslogs: { data: gzipSync(Buffer.from(json, 'utf8')).toString('base64') } };
}

/** CloudWatch Logs caps one subscription delivery; the sandbox batches well under it. */
export const MAX_EVENTS_PER_DELIVERY = 500;

export interface LogLine {
  readonly logGroup: string;
  readonly logStream: string;
  /** Simulated epoch ms. */
  readonly at: number;
  readonly message: string;
}

export interface LocalLogsOptions {
  readonly store: MetricStore;
  readonly owner: string;
  readonly subscriptionFilter: string;
  /** The subscribed destination (the log aggregator's handler). */
  readonly deliver: (event: CloudWatchLogsEvent) => Promise<void>;
  /** Called when a delivery fails (CloudWatch would retry; the sandbox reports it). */
  readonly onError?: (error: unknown) => void;
}

/** Log groups that store lines, extract EMF and deliver batches to one subscription. */
export class LocalLogs {
  readonly #options: LocalLogsOptions;
  readonly #pending = new Map<string, { logGroup: string; logStream: string; events: LogEvent[] }>();
  #sequence = 0;
  #lines = 0;
  #emfDocuments = 0;
  #inFlight: Promise<void> = Promise.resolve();

  constructor(options: LocalLogsOptions) {
    this.#options = options;
  }

  get lines(): number {
    return this.#lines;
  }
  get emfDocuments(): number {
    return this.#emfDocuments;
  }

  /** Stores one line (and extracts its EMF); it is delivered with the next flush. */
  put(line: LogLine): void {
    this.#lines++;
    this.extractEmf(line.message);
    const key = `${line.logGroup}\u0000${line.logStream}`;
    let batch = this.#pending.get(key);
    if (!batch) {
      batch = { logGroup: line.logGroup, logStream: line.logStream, events: [] };
      this.#pending.set(key, batch);
    }
    batch.events.push({ id: eventId(line.at, this.#sequence++), timestamp: line.at, message: line.message });
  }

  /** EMF extraction alone (for log groups nobody subscribes to, like the aggregator's own). */
  extractEmf(message: string): void {
    if (!message.includes('"_aws"')) return;
    const observations = ingestEmf(message);
    if (observations.length === 0) return;
    this.#emfDocuments++;
    this.#options.store.add(...observations);
  }

  /** Delivers every pending batch, one subscription event per stream and at most MAX_EVENTS_PER_DELIVERY events. */
  flush(): Promise<void> {
    const batches = [...this.#pending.values()];
    this.#pending.clear();
    const run = async () => {
      for (const batch of batches) {
        for (let i = 0; i < batch.events.length; i += MAX_EVENTS_PER_DELIVERY) {
          const events = batch.events.slice(i, i + MAX_EVENTS_PER_DELIVERY);
          const payload: LogsPayload = {
            messageType: 'DATA_MESSAGE',
            owner: this.#options.owner,
            logGroup: batch.logGroup,
            logStream: batch.logStream,
            subscriptionFilters: [this.#options.subscriptionFilter],
            logEvents: events,
          };
          try {
            await this.#options.deliver(encodePayload(payload));
          } catch (error) {
            this.#options.onError?.(error);
          }
        }
      }
    };
    // Deliveries stay in order: each flush waits for the previous one.
    this.#inFlight = this.#inFlight.then(run);
    return this.#inFlight;
  }
}
