/**
 * Slack notifier: subscribed to the `slack` channel topic. Each SNS record carries a
 * Notification; the handler renders Block Kit and posts it to the incoming webhook whose URL is
 * the Secrets Manager secret. Retries with backoff; what still fails throws, so Lambda's async
 * retries run and then the notifier's dead-letter queue receives the event.
 */
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { SNSEvent } from 'aws-lambda';
import { slackMessage } from '../../domain/routing/messages';
import { bundledConfig } from '../shared/bundled-config';
import { type NotifierDeps, notifierHandler } from '../shared/notifier';
import { SecretCache } from '../shared/secrets';

/** The notifier's bundled configuration (from `alerting.channels.slack`). */
export interface SlackNotifierConfig {
  /** Secrets Manager secret (name or ARN) holding the webhook URL, or JSON `{ "url": ... }`. */
  readonly webhookSecret: string;
  /** Shown in the message; an incoming webhook posts to the channel it was created for. */
  readonly channel?: string;
}

export type SlackNotifierDeps = NotifierDeps;

export const WEBHOOK_SECRET_FIELDS = ['url', 'webhookUrl', 'webhook_url'] as const;

export function createHandler(config: SlackNotifierConfig, deps: SlackNotifierDeps = {}) {
  if (typeof config?.webhookSecret !== 'string' || config.webhookSecret === '') {
    throw new Error(`notify-slack webhookSecret: ${JSON.stringify(config?.webhookSecret)} is not a secret name or ARN`);
  }
  const secrets = deps.secrets ?? new SecretCache(new SecretsManagerClient({}));
  return notifierHandler(async (notification) => {
    // Heartbeats test the path up to the topic; nobody needs them in Slack.
    if (notification.kind === 'heartbeat') return undefined;
    const url = await secrets.field(config.webhookSecret, WEBHOOK_SECRET_FIELDS);
    return { url, body: slackMessage(notification, { channel: config.channel }) };
  }, deps);
}

let instance: ReturnType<typeof createHandler> | undefined;

export const handler = (event: SNSEvent) => {
  instance ??= createHandler(bundledConfig<SlackNotifierConfig>('notify-slack'));
  return instance(event);
};
