/**
 * The escalation Lambda, invoked by the escalation state machine with `{ action, input, cursor }`:
 * - `check`: reads ALERT/<fingerprint> and says whether to go on. Acknowledgement ends the
 *   escalation by this state check (no task token to store): acked, resolved, a newer episode
 *   or a missing alert stop it.
 * - `notify`: dispatches the step's Notification (firing / escalation / repeat) to the level's
 *   channels, once per channel (notification log), and returns the next cursor.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SNSClient } from '@aws-sdk/client-sns';
import type { EscalationInput, Notification } from '../../domain/contracts/alert';
import { KIT_ENV } from '../../domain/contracts/environment';
import { type Cursor, cursorAt, validateInput } from '../../domain/routing/escalation-plan';
import { ackUrl, cachedLinkKey, DEFAULT_LINK_TTL_SECONDS, silenceUrl } from '../../domain/routing/links';
import { AlertStore } from '../shared/alert-store';
import { bundledConfig } from '../shared/bundled-config';
import { type DispatchResult, dispatch, type NotificationLog } from '../shared/dispatch';
import { SecretCache } from '../shared/secrets';

export interface EscalationConfig {
  /** How long the ack and silence links in messages stay valid. @default DEFAULT_LINK_TTL_SECONDS */
  readonly linkTtlSeconds?: number;
}

/** What `check` needs of the alert state (AlertStore fits). */
export interface AlertReader {
  getAlert(fingerprint: string): Promise<{ readonly status: string; readonly episode: number } | undefined | null>;
}

export interface EscalationDeps {
  readonly store: AlertReader & NotificationLog;
  readonly sns: SNSClient;
  readonly topicArns: Readonly<Record<string, string>>;
  /** Base URL of the ack API (MAIF_ACK_URL); with `linkKey`, messages carry signed ack and silence links. */
  readonly ackBaseUrl?: string;
  /** Loads the HMAC key of signed links (the MAIF_LINK_SECRET_ARN secret); called once, then cached. */
  readonly linkKey?: () => Promise<string>;
  readonly now?: () => Date;
}

export type EscalationTask =
  | { readonly action: 'check'; readonly input: EscalationInput; readonly cursor: Cursor }
  | { readonly action: 'notify'; readonly input: EscalationInput; readonly cursor: Cursor };

export type CheckReason = 'open' | 'acked' | 'resolved' | 'newer-episode' | 'missing';
export interface CheckResult {
  readonly proceed: boolean;
  readonly reason: CheckReason;
}
export interface NotifyResult extends DispatchResult {
  readonly next: Cursor;
}

export async function check(input: EscalationInput, store: AlertReader): Promise<CheckResult> {
  const state = await store.getAlert(input.alert.fingerprint);
  if (!state) return { proceed: false, reason: 'missing' };
  if (state.episode > input.episode) return { proceed: false, reason: 'newer-episode' };
  if (state.status === 'acked') return { proceed: false, reason: 'acked' };
  if (state.status === 'resolved') return { proceed: false, reason: 'resolved' };
  return { proceed: true, reason: 'open' };
}

export function createHandler(config: EscalationConfig, deps: EscalationDeps) {
  const now = deps.now ?? (() => new Date());
  const links =
    deps.ackBaseUrl && deps.linkKey
      ? linkSigner(deps.ackBaseUrl, deps.linkKey, config.linkTtlSeconds ?? DEFAULT_LINK_TTL_SECONDS, now)
      : undefined;
  return async (task: EscalationTask): Promise<CheckResult | NotifyResult> => {
    validateInput(task?.input);
    const { input } = task;
    if (task.action === 'check') return check(input, deps.store);
    if (task.action !== 'notify') {
      throw new Error(
        `escalation action: ${JSON.stringify((task as { action?: unknown }).action)} is not check or notify`,
      );
    }
    const cursor = cursorAt(input, task.cursor?.step ?? 0);
    if (cursor.done) return { sent: [], skipped: [], next: cursor };
    const level = input.levels[cursor.level];
    const signed = (await links?.(input.alert.fingerprint)) ?? {};
    const notification: Notification = {
      kind: cursor.kind,
      alert: input.alert,
      episode: input.episode,
      level: cursor.level,
      levelName: level.name,
      ...signed,
      sentAt: now().toISOString(),
    };
    const result = await dispatch(notification, level.channels, deps, { claimLevel: cursor.step });
    return { ...result, next: cursorAt(input, cursor.step + 1) };
  };
}

function requiredEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`escalation: environment variable ${name} is not set (the CDK construct sets it)`);
  return value;
}

function topicsFromEnv(): Record<string, string> {
  const raw = requiredEnv(KIT_ENV.channelTopics);
  const parsed: unknown = JSON.parse(raw);
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new Error(`escalation ${KIT_ENV.channelTopics}: not a JSON object {channel: topicArn}`);
  }
  return parsed as Record<string, string>;
}

/** Links signed with the key in MAIF_LINK_SECRET_ARN, for the ack API at MAIF_ACK_URL. */
export function linkSigner(
  baseUrl: string,
  loadKey: () => Promise<string>,
  ttlSeconds: number,
  now: () => Date,
): (fingerprint: string) => Promise<{ ackUrl: string; silenceUrl: string }> {
  const key = cachedLinkKey(loadKey);
  return async (fingerprint) => {
    const options = { baseUrl, key: await key(), expiresAt: Math.floor(now().getTime() / 1000) + ttlSeconds };
    return { ackUrl: ackUrl(fingerprint, options), silenceUrl: silenceUrl(fingerprint, options) };
  };
}

let instance: ReturnType<typeof createHandler> | undefined;

export const handler = (task: EscalationTask) => {
  if (!instance) {
    const config = bundledConfig<EscalationConfig>('escalation');
    const ackBase = process.env[KIT_ENV.ackUrl];
    const linkSecret = process.env[KIT_ENV.linkSecretArn];
    const secrets = new SecretCache(new SecretsManagerClient({}));
    instance = createHandler(config, {
      store: new AlertStore({ client: new DynamoDBClient({}), tableName: requiredEnv(KIT_ENV.alertTable) }),
      sns: new SNSClient({}),
      topicArns: topicsFromEnv(),
      ...(ackBase && linkSecret ? { ackBaseUrl: ackBase, linkKey: () => secrets.get(linkSecret) } : {}),
    });
  }
  return instance(task);
};
