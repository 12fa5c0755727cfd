/**
 * The alerting channels: one SNS topic per channel the configuration declares, subscribed by the
 * real notifier (Slack, PagerDuty) or by e-mail, each delivering to its loopback receiver; and by
 * an audit subscription that journals every notification as published.
 */
import { SNSClient } from '@aws-sdk/client-sns';
import type { SNSEvent } from 'aws-lambda';
import type { ResolvedConfig } from '../../domain/config';
import type { Notification, NotificationKind } from '../../domain/contracts/alert';
import type { ChannelName } from '../../domain/contracts/channels';
import { title } from '../../domain/routing/messages';
import { createHandler as createPagerDuty } from '../../lambdas/notify-pagerduty/index';
import { createHandler as createSlack } from '../../lambdas/notify-slack/index';
import type { SecretCache } from '../../lambdas/shared/secrets';
import { emailSender } from '../emulators/smtp';
import { type SnsEmulator, type Subscription, startSns } from '../emulators/sns';
import { ACCOUNT, clientOptions, REGION, resourceName, type StageContext } from './context';
import { type Receivers, startReceivers, startSecrets } from './stand-ins';

export interface Channels {
  /** The channels the configuration declares, in a stable order. */
  readonly names: readonly ChannelName[];
  readonly sns: SnsEmulator;
  readonly client: SNSClient;
  /** Channel name -> its topic's ARN. */
  readonly topicArns: Record<string, string>;
}

/** Alerting channels declared in the configuration, in a stable order. */
function channelsOf(config: ResolvedConfig): ChannelName[] {
  const declared = config.alerting.channels;
  return (['slack', 'pagerduty', 'email'] as const).filter((c) => declared[c] !== undefined);
}

/** Told of every notification as its topic delivers it (after the journal has it): the replay's view. */
export type NotificationObserver = (channel: ChannelName, notification: Notification) => void;

export async function startChannels(ctx: StageContext, observe?: NotificationObserver): Promise<Channels> {
  const names = channelsOf(ctx.setup.config);
  const receivers = await startReceivers(ctx);
  const secrets = await startSecrets(ctx, receivers);
  const topic = (channel: ChannelName) => resourceName(ctx.setup, channel);
  const topics: Record<string, Subscription[]> = {};
  for (const channel of names) {
    const deliver = delivery(ctx.setup.config, channel, receivers, secrets);
    topics[topic(channel)] = [audit(ctx, channel, observe), ...(deliver ? [deliver] : [])];
  }
  const sns = ctx.lifecycle.own(await startSns({ region: REGION, accountId: ACCOUNT, topics }));
  const topicArns: Record<string, string> = {};
  for (const channel of names) topicArns[channel] = sns.topicArns[topic(channel)];
  return { names, sns, client: new SNSClient(clientOptions(sns.endpoint)), topicArns };
}

/** Journals (and counts) every notification published to the channel's topic. */
function audit(ctx: StageContext, channel: ChannelName, observe?: NotificationObserver): Subscription {
  return {
    protocol: 'lambda',
    handler: async (event: SNSEvent) => {
      for (const r of event.Records) {
        const n = JSON.parse(r.Sns.Message) as Notification;
        ctx.records.counts.notifications++;
        ctx.records.record({
          kind: 'notification',
          at: ctx.setup.clock.now(),
          channel,
          fingerprint: n.alert.fingerprint,
          alertName: n.alert.alertName,
          notificationKind: n.kind as NotificationKind,
          level: n.level,
          levelName: n.levelName,
          summary: title(n),
        });
        observe?.(channel, n);
      }
    },
  };
}

/** The subscription that delivers the channel's notifications to its receiver: the real notifier, or e-mail. */
function delivery(
  config: ResolvedConfig,
  channel: ChannelName,
  receivers: Receivers,
  secrets: SecretCache,
): Subscription | undefined {
  const declared = config.alerting.channels;
  if (channel === 'slack' && declared.slack) {
    const { webhookSecret, channel: slackChannel } = declared.slack;
    return { protocol: 'lambda', handler: createSlack({ webhookSecret, channel: slackChannel }, { secrets }) };
  }
  if (channel === 'pagerduty' && declared.pagerduty) {
    const { routingKeySecret } = declared.pagerduty;
    const endpoint = receivers.pagerDuty.endpoint;
    return { protocol: 'lambda', handler: createPagerDuty({ routingKeySecret, endpoint }, { secrets }) };
  }
  if (channel === 'email' && declared.email) {
    const send = emailSender({
      host: receivers.smtp.host,
      port: receivers.smtp.port,
      from: `no-reply@sns.${REGION}.amazonaws.com`,
      to: declared.email.recipients,
    });
    return { protocol: 'email', deliver: (m) => send({ subject: m.subject, body: m.body }) };
  }
  return undefined;
}
