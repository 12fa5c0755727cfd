/**
 * Slack notifier: subscribed to the `slack` channel topic. Each SNS record carries a
 * Notification; the handler renders Block Kit and posts it to the incoming webhook whose URL is
 * the Secrets Manager secret. Retries with backoff; what still fails throws, so Lambda's async
 * retries run and then the notifier's dead-letter queue receives the event.
 */
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { SNSEvent } from 'aws-lambda';
import type { Notification } from '../../domain/contracts/alert';
import { slackMessage } from '../../domain/routing/messages';
import { bundledConfig } from '../shared/bundled-config';
import { type PostDeps, postJson, type RetryOptions } from '../shared/http';
import { SecretCache } from '../shared/secrets';

/** The notifier's bundled configuration (from `alerting.channels.slack`). */
export interface SlackNotifierConfig {
  /** Secrets Manager secret (name or ARN) holding the webhook URL, or JSON `{ "url": ... }`. */
  readonly webhookSecret: string;
  /** Shown in the message; an incoming webhook posts to the channel it was created for. */
  readonly channel?: string;
}

export interface SlackNotifierDeps extends PostDeps {
  readonly secrets?: SecretCache;
  readonly retry?: RetryOptions;
}

export const WEBHOOK_SECRET_FIELDS = ['url', 'webhookUrl', 'webhook_url'] as const;

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

export function createHandler(config: SlackNotifierConfig, deps: SlackNotifierDeps = {}) {
  if (typeof config?.webhookSecret !== 'string' || config.webhookSecret === '') {
    throw new Error(`notify-slack webhookSecret: ${JSON.stringify(config?.webhookSecret)} is not a secret name or ARN`);
  }
  const secrets = deps.secrets ?? new SecretCache(new SecretsManagerClient({}));
  return async (event: SNSEvent): Promise<{ delivered: number; skipped: number }> => {
    let delivered = 0;
    let skipped = 0;
    for (const record of event.Records ?? []) {
      const notification = notificationOf(record.Sns.Message);
      if (notification.kind === 'heartbeat') {
        skipped++;
        continue;
      }
      const url = await secrets.field(config.webhookSecret, WEBHOOK_SECRET_FIELDS);
      await postJson(url, slackMessage(notification, { channel: config.channel }), deps.retry, deps);
      delivered++;
    }
    return { delivered, skipped };
  };
}

let instance: ReturnType<typeof createHandler> | undefined;

export const handler = (event: SNSEvent) => {
  instance ??= createHandler(bundledConfig<SlackNotifierConfig>('notify-slack'));
  return instance(event);
};
