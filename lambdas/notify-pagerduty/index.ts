/**
 * PagerDuty notifier: subscribed to the `pagerduty` channel topic. Sends Events API v2 events
 * with dedup_key = the alert fingerprint: trigger on firing / escalation / repeat, acknowledge
 * on acknowledged, resolve on resolved. The routing key is a Secrets Manager secret; the API base
 * URL can be overridden with `MAIF_PAGERDUTY_ENDPOINT` (tests point it at loopback). Retries with
 * backoff; what still fails throws, so Lambda retries and then dead-letters the event.
 */
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { SNSEvent } from 'aws-lambda';
import { KIT_ENV } from '../../domain/contracts/environment';
import { pagerDutyEvent } from '../../domain/routing/messages';
import { bundledConfig } from '../shared/bundled-config';
import { type NotifierDeps, notifierHandler } from '../shared/notifier';
import { SecretCache } from '../shared/secrets';

export const PAGERDUTY_DEFAULT_ENDPOINT = 'https://events.pagerduty.com';
export const PAGERDUTY_ENQUEUE_PATH = '/v2/enqueue';
export const ROUTING_KEY_FIELDS = ['routingKey', 'routing_key', 'integrationKey'] as const;

/** The notifier's bundled configuration (from `alerting.channels.pagerduty`). */
export interface PagerDutyNotifierConfig {
  /** Secrets Manager secret (name or ARN) holding the routing key, or JSON `{ "routingKey": ... }`. */
  readonly routingKeySecret: string;
  /** @default PAGERDUTY_DEFAULT_ENDPOINT, or MAIF_PAGERDUTY_ENDPOINT when set */
  readonly endpoint?: string;
}

export type PagerDutyNotifierDeps = NotifierDeps;

export function createHandler(config: PagerDutyNotifierConfig, deps: PagerDutyNotifierDeps = {}) {
  if (typeof config?.routingKeySecret !== 'string' || config.routingKeySecret === '') {
    throw new Error(
      `notify-pagerduty routingKeySecret: ${JSON.stringify(config?.routingKeySecret)} is not a secret name or ARN`,
    );
  }
  const base = config.endpoint ?? PAGERDUTY_DEFAULT_ENDPOINT;
  if (!/^https?:\/\/[^/]/i.test(base)) {
    throw new Error(`notify-pagerduty endpoint: '${base}' is not an http(s) URL`);
  }
  const url = new URL(PAGERDUTY_ENQUEUE_PATH, base).toString();
  const secrets = deps.secrets ?? new SecretCache(new SecretsManagerClient({}));
  return notifierHandler(async (notification) => {
    const routingKey = await secrets.field(config.routingKeySecret, ROUTING_KEY_FIELDS);
    const body = pagerDutyEvent(notification, routingKey);
    return body === undefined ? undefined : { url, body };
  }, deps);
}

let instance: ReturnType<typeof createHandler> | undefined;

/** The bundled configuration; MAIF_PAGERDUTY_ENDPOINT, when set, overrides its endpoint. */
function deployedConfig(): PagerDutyNotifierConfig {
  const endpoint = process.env[KIT_ENV.pagerdutyEndpoint];
  return { ...bundledConfig<PagerDutyNotifierConfig>('notify-pagerduty'), ...(endpoint ? { endpoint } : {}) };
}

export const handler = (event: SNSEvent) => {
  instance ??= createHandler(deployedConfig());
  return instance(event);
};
