/**
 * `trigger_alert`: one `MAIF Alert` event per (event, rule) on the kit's EventBridge bus, for the
 * alert pipeline. PutEvents takes at most 10 entries and 256 KB per call; failed entries are
 * retried, and an entry still failing is reported so its log record is dead-lettered.
 */
import { type EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { KIT_ENV } from '../../domain/contracts/environment';
import {
  fingerprintOf,
  KIT_DETAIL_TYPE,
  KIT_SOURCE,
  type KitAlertDetail,
  MAX_ALERT_SUMMARY_CHARS,
} from '../../domain/contracts/events';
import type { NormalizedEvent } from '../../domain/logs/normalize';
import type { AlertRequest } from '../../domain/logs/rules';

export const MAX_PUT_EVENTS_ENTRIES = 10;
export const MAX_PUT_EVENTS_BYTES = 256 * 1024;
/** The normalized event inside an alert is capped: the alert points at the log, it does not carry it. */
export const MAX_ALERT_EVENT_BYTES = 8 * 1024;
export const ALERT_MAX_ATTEMPTS = 3;

function capEvent(event: NormalizedEvent): Record<string, unknown> {
  const json = JSON.stringify(event);
  if (Buffer.byteLength(json) <= MAX_ALERT_EVENT_BYTES) return event;
  return {
    timestamp: event.timestamp,
    level: event.level,
    service: event.service,
    message: event.message.slice(0, MAX_ALERT_EVENT_BYTES / 4),
    source: event.source,
    ...(event.trace_id === undefined ? {} : { trace_id: event.trace_id }),
    truncated: true,
  };
}

/**
 * The detail of one alert. Labels are the rule's, plus `service` and `log_group` unless the rule
 * sets them, so alerts from different services are different alerts.
 */
export function alertLabels(request: AlertRequest, event: NormalizedEvent): Record<string, string> {
  return { service: event.service, log_group: event.source.logGroup, ...request.labels };
}

export function alertDetail(request: AlertRequest, event: NormalizedEvent, occurrences = 1): KitAlertDetail {
  const labels = alertLabels(request, event);
  return {
    alertName: request.alertName,
    severity: request.severity,
    labels,
    summary: `${request.alertName}: ${event.message}`.slice(0, MAX_ALERT_SUMMARY_CHARS),
    rule: request.rule,
    event: capEvent(event),
    fingerprint: fingerprintOf(request.alertName, labels),
    occurrences,
  };
}

/** EventBridge's entry size: Source, DetailType, Detail, Resources, plus 14 bytes for Time. */
function entrySize(entry: PutEventsRequestEntry): number {
  return (
    14 +
    Buffer.byteLength(entry.Source ?? '') +
    Buffer.byteLength(entry.DetailType ?? '') +
    Buffer.byteLength(entry.Detail ?? '')
  );
}

export interface AlertPublisherOptions {
  readonly eventBridge: EventBridgeClient;
  readonly eventBusName: string | undefined;
  readonly sleep?: (ms: number) => Promise<void>;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class AlertPublisher {
  readonly #client: EventBridgeClient;
  readonly #bus: string | undefined;
  readonly #sleep: (ms: number) => Promise<void>;

  constructor(options: AlertPublisherOptions) {
    this.#client = options.eventBridge;
    this.#bus = options.eventBusName;
    this.#sleep = options.sleep ?? defaultSleep;
  }

  /**
   * Publishes the details; resolves with the failures (index in `details` -> reason). Never throws:
   * a failure is the caller's to dead-letter.
   */
  async publish(details: readonly { detail: KitAlertDetail; time: string }[]): Promise<Map<number, string>> {
    const failures = new Map<number, string>();
    if (details.length === 0) return failures;
    if (this.#bus === undefined || this.#bus === '') {
      for (let i = 0; i < details.length; i++) failures.set(i, `${KIT_ENV.eventBusName} is not set`);
      return failures;
    }
    let pending: { index: number; entry: PutEventsRequestEntry; size: number }[] = [];
    details.forEach(({ detail, time }, index) => {
      const entry: PutEventsRequestEntry = {
        Source: KIT_SOURCE,
        DetailType: KIT_DETAIL_TYPE,
        Detail: JSON.stringify(detail),
        EventBusName: this.#bus,
        Time: new Date(time),
      };
      const size = entrySize(entry);
      if (size > MAX_PUT_EVENTS_BYTES)
        failures.set(index, `alert entry is ${size} bytes, over the ${MAX_PUT_EVENTS_BYTES} limit`);
      else pending.push({ index, entry, size });
    });
    for (let attempt = 0; attempt < ALERT_MAX_ATTEMPTS && pending.length > 0; attempt++) {
      if (attempt > 0) await this.#sleep(50 * 2 ** attempt);
      const retry: typeof pending = [];
      for (const batch of chunk(pending)) {
        try {
          const out = await this.#client.send(new PutEventsCommand({ Entries: batch.map((b) => b.entry) }));
          (out.Entries ?? []).forEach((result, i) => {
            if (result.ErrorCode !== undefined && i < batch.length) {
              failures.set(batch[i].index, `${result.ErrorCode}: ${result.ErrorMessage ?? ''}`);
              retry.push(batch[i]);
            }
          });
        } catch (error) {
          for (const b of batch) failures.set(b.index, (error as Error).message);
          retry.push(...batch);
        }
      }
      const retrying = new Set(retry);
      for (const b of pending) if (!retrying.has(b)) failures.delete(b.index);
      pending = retry;
    }
    return failures;
  }
}

function* chunk<T extends { size: number }>(items: readonly T[]): Generator<T[]> {
  let batch: T[] = [];
  let size = 0;
  for (const item of items) {
    if (batch.length === MAX_PUT_EVENTS_ENTRIES || (batch.length > 0 && size + item.size > MAX_PUT_EVENTS_BYTES)) {
      yield batch;
      batch = [];
      size = 0;
    }
    batch.push(item);
    size += item.size;
  }
  if (batch.length > 0) yield batch;
}
