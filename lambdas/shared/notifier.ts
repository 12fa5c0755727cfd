/**
 * What the channel notifiers (notify-slack, notify-pagerduty) share: each SNS record of their
 * topic carries one Notification, which the notifier renders into one HTTP POST. Records are
 * handled in order; a record that cannot be read, or whose POST still fails after its retries,
 * throws, so Lambda's async retries run and then the notifier's dead-letter queue receives the
 * event.
 */
import type { SNSEvent } from 'aws-lambda';
import type { Notification } from '../../domain/contracts/alert';
import { type PostDeps, postJson, type RetryOptions } from './http';
import type { SecretCache } from './secrets';

export interface NotifierDeps extends PostDeps {
  readonly secrets?: SecretCache;
  readonly retry?: RetryOptions;
}

/** What one invocation did. */
export interface NotifierResult {
  readonly delivered: number;
  readonly skipped: number;
}

/** The POST a Notification becomes. */
export interface Delivery {
  readonly url: string;
  readonly body: unknown;
}

/** The Notification carried by one SNS record; an unreadable record throws (it would fail forever). */
export function notificationOf(message: string): Notification {
  let parsed: unknown;
  try {
    parsed = JSON.parse(message);
  } catch {
    throw new Error(`SNS message: not JSON (expected a Notification), starts with '${message.slice(0, 40)}'`);
  }
  const n = parsed as Partial<Notification>;
  if (typeof n !== 'object' || n === null || typeof n.kind !== 'string' || typeof n.alert?.fingerprint !== 'string') {
    throw new Error('SNS message: not a Notification (needs kind and alert.fingerprint)');
  }
  return n as Notification;
}

/** A notifier's handler: each record's Notification through `render`, then POSTed; `undefined` skips the record. */
export function notifierHandler(
  render: (notification: Notification) => Promise<Delivery | undefined>,
  deps: NotifierDeps,
): (event: SNSEvent) => Promise<NotifierResult> {
  return async (event) => {
    let delivered = 0;
    let skipped = 0;
    for (const record of event.Records ?? []) {
      const delivery = await render(notificationOf(record.Sns.Message));
      if (delivery === undefined) {
        skipped++;
        continue;
      }
      await postJson(delivery.url, delivery.body, deps.retry, deps);
      delivered++;
    }
    return { delivered, skipped };
  };
}
