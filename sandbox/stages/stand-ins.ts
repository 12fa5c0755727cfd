/**
 * The stand-ins for AWS services and for the channels' endpoints, on 127.0.0.1:
 *   - before the service starts: X-Ray's daemon, EventBridge (its events go to the router's inbox)
 *     and SQS (the dead-letter queue: every message is a problem);
 *   - with the alert pipeline: the Slack, PagerDuty and SMTP receivers and the Secrets Manager
 *     holding their webhook URL and routing key.
 * The alert table (dynalite), SNS and Step Functions are started by the pipeline stage, which
 * hands them the real handlers and the synthesized template.
 */
import { randomBytes } from 'node:crypto';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';
import { SecretCache } from '../../lambdas/shared/secrets';
import type { SimClock } from '../clock';
import { type AwsJsonHandler, startAwsJsonServer } from '../emulators/aws-json';
import {
  type PagerDutyReceiver,
  type SlackReceiver,
  startPagerDutyReceiver,
  startSlackReceiver,
} from '../emulators/receivers';
import { startSecretsManager } from '../emulators/secrets';
import { type SmtpReceiver, startSmtpReceiver } from '../emulators/smtp';
import { startXRayReceiver, type XRayReceiver } from '../emulators/xray';
import { ACCOUNT, clientOptions, REGION, type Records, resourceName, type StageContext } from './context';
import type { RouterInbox } from './router';

/** How much of a dead letter a problem line shows. */
const DEAD_LETTER_PREVIEW_CHARS = 200;

export interface StandIns {
  readonly xray: XRayReceiver;
  readonly eventBridge: EventBridgeClient;
  readonly sqs: SQSClient;
  /** The dead-letter queue's URL, as the stack names it. */
  readonly dlqUrl: string;
}

/** X-Ray's daemon, EventBridge and the dead-letter queue, with the SDK clients the kit's functions use. */
export async function startStandIns(ctx: StageContext, inbox: RouterInbox): Promise<StandIns> {
  const { lifecycle } = ctx;
  const xray = lifecycle.own(await startXRayReceiver());
  const events = lifecycle.own(await startAwsJsonServer('1.1', eventBridgeApi(ctx.setup.clock, inbox)));
  const deadLetters = lifecycle.own(await startAwsJsonServer('1.0', deadLetterQueueApi(ctx.records)));
  const eventBridge = new EventBridgeClient(clientOptions(events.endpoint));
  const sqs = new SQSClient(clientOptions(deadLetters.endpoint));
  lifecycle.own({
    stop: () => {
      eventBridge.destroy();
      sqs.destroy();
    },
  });
  const dlqUrl = `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/${resourceName(ctx.setup, 'dlq')}`;
  return { xray, eventBridge, sqs, dlqUrl };
}

/** EventBridge's PutEvents: each entry becomes the event the bus would deliver to the router. */
function eventBridgeApi(clock: SimClock, inbox: RouterInbox): Record<string, AwsJsonHandler> {
  return {
    'AWSEvents.PutEvents': (body) => {
      const entries = (body.Entries as Record<string, unknown>[] | undefined) ?? [];
      const results = entries.map((entry) => {
        const id = randomBytes(16).toString('hex');
        inbox.send({
          version: '0',
          id,
          'detail-type': entry.DetailType,
          source: entry.Source,
          account: ACCOUNT,
          time: new Date(clock.now()).toISOString(),
          region: REGION,
          resources: entry.Resources ?? [],
          detail: JSON.parse(String(entry.Detail ?? '{}')) as unknown,
        });
        return { EventId: id };
      });
      return { body: { FailedEntryCount: 0, Entries: results } };
    },
  };
}

/** SQS, as the dead-letter queue: every message sent is counted and reported as a problem. */
function deadLetterQueueApi(records: Records): Record<string, AwsJsonHandler> {
  const deadLetter = (body: unknown) => {
    records.counts.deadLettered++;
    records.problem(`dead letter: ${String(body ?? '').slice(0, DEAD_LETTER_PREVIEW_CHARS)}`);
  };
  return {
    'AmazonSQS.SendMessage': (body) => {
      deadLetter(body.MessageBody);
      return { body: { MessageId: randomBytes(16).toString('hex'), MD5OfMessageBody: '' } };
    },
    'AmazonSQS.SendMessageBatch': (body) => {
      const entries = (body.Entries as { Id: string; MessageBody?: string }[] | undefined) ?? [];
      for (const e of entries) deadLetter(e.MessageBody);
      return {
        body: {
          Successful: entries.map((e) => ({ Id: e.Id, MessageId: randomBytes(16).toString('hex') })),
          Failed: [],
        },
      };
    },
  };
}

export interface Receivers {
  readonly slack: SlackReceiver;
  readonly pagerDuty: PagerDutyReceiver;
  readonly smtp: SmtpReceiver;
}

/** The loopback receivers of the three channels; what they accept is counted in `records.received`. */
export async function startReceivers(ctx: StageContext): Promise<Receivers> {
  const { lifecycle, records } = ctx;
  const slack = await startSlackReceiver();
  const pagerDuty = await startPagerDutyReceiver();
  const smtp = await startSmtpReceiver();
  lifecycle.own(slack);
  lifecycle.own(pagerDuty);
  lifecycle.own(smtp);
  slack.onMessage(() => records.received.slack++);
  pagerDuty.onMessage(() => records.received.pagerduty++);
  smtp.onMessage(() => records.received.email++);
  return { slack, pagerDuty, smtp };
}

/** Secrets Manager holding the secrets the configuration names: the Slack webhook URL and a PagerDuty routing key. */
export async function startSecrets(ctx: StageContext, receivers: Receivers): Promise<SecretCache> {
  const declared = ctx.setup.config.alerting.channels;
  const values: Record<string, string> = {};
  if (declared.slack) values[declared.slack.webhookSecret] = JSON.stringify({ url: receivers.slack.url });
  if (declared.pagerduty) {
    values[declared.pagerduty.routingKeySecret] = JSON.stringify({ routingKey: randomBytes(16).toString('hex') });
  }
  const secretsManager = ctx.lifecycle.own(await startSecretsManager(values));
  return new SecretCache(new SecretsManagerClient(clientOptions(secretsManager.endpoint)));
}
