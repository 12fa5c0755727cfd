import { ArnFormat, Duration, Stack, Token, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { ChannelName } from '../../domain/contracts/channels';
import { KIT_ENV } from '../../domain/contracts/environment';
import { nagArn } from '../nag';
import { deadLetterAlarm, deadLetterDepth, deadLetterQueue } from '../private/dead-letter-queue';
import { keyUseStatement } from '../private/grants';
import { KitFunction, type KitFunctionBaseSettings, kitFunctionSettings } from '../private/kit-function';

/** Four attempts with 250 ms..4 s backoff and 5 s per request stay well under this. */
export const NOTIFIER_TIMEOUT = Duration.seconds(30);
/** Lambda's asynchronous retries after the first failed invocation (SNS invokes asynchronously). */
export const NOTIFIER_ASYNC_RETRIES = 2;

/** `alerting.channels` of the resolved configuration (the parts the channels need). */
export interface ChannelsConfig {
  readonly email?: { readonly recipients: readonly string[] };
  readonly slack?: { readonly channel: string; readonly webhookSecret: string };
  readonly pagerduty?: { readonly routingKeySecret: string };
}

export interface NotificationChannelsProps extends KitFunctionBaseSettings {
  readonly channels: ChannelsConfig;
  /** Encrypts the topics, the dead-letter queues and the notifiers' log groups. */
  readonly encryptionKey: kms.IKey;
  /**
   * Where the dead-letter alarms go (the watchdog's fallback topic).
   * @default - alarms without actions
   */
  readonly alarmTopic?: sns.ITopic;
  /**
   * Base URL of the PagerDuty Events API (`MAIF_PAGERDUTY_ENDPOINT`).
   * @default - https://events.pagerduty.com
   */
  readonly pagerDutyEndpoint?: string;
}

/** One notifier: its function, its dead-letter queue and the alarm on that queue. */
export interface Notifier {
  readonly function: lambda.IFunction;
  readonly deadLetterQueue: sqs.Queue;
  readonly alarm: cloudwatch.Alarm;
}

const EMAIL_RE = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/**
 * One KMS-encrypted SNS topic per configured channel. E-mail: one SNS e-mail subscription per
 * recipient (readable text: dispatch publishes a per-protocol message). Slack and PagerDuty: a
 * notifier Lambda subscribed to its topic; the webhook URL and routing key stay in Secrets
 * Manager. A notification that still fails after the notifier's retries and Lambda's async
 * retries lands in the notifier's KMS-encrypted dead-letter queue, whose depth raises an alarm.
 */
export class NotificationChannels extends Construct {
  /** Topic per configured channel, by channel name. */
  readonly topics: Readonly<Partial<Record<ChannelName, sns.Topic>>>;
  readonly notifiers: Readonly<Partial<Record<'slack' | 'pagerduty', Notifier>>>;

  constructor(scope: Construct, id: string, props: NotificationChannelsProps) {
    super(scope, id);
    const { channels } = props;
    for (const recipient of channels.email?.recipients ?? []) {
      if (!Token.isUnresolved(recipient) && !EMAIL_RE.test(recipient)) {
        throw new Error(`NotificationChannels channels.email.recipients: '${recipient}' is not an e-mail address`);
      }
    }
    if (channels.email && channels.email.recipients.length === 0) {
      throw new Error('NotificationChannels channels.email.recipients: [] is empty (list at least one address)');
    }
    const endpoint = props.pagerDutyEndpoint;
    if (endpoint !== undefined && !Token.isUnresolved(endpoint) && !/^https?:\/\/[^/\s]+/i.test(endpoint)) {
      throw new Error(`NotificationChannels pagerDutyEndpoint: '${endpoint}' is not an http(s) URL`);
    }

    const topics: Partial<Record<ChannelName, sns.Topic>> = {};
    const topic = (name: ChannelName) =>
      new sns.Topic(this, `${name[0].toUpperCase()}${name.slice(1)}Topic`, {
        displayName: `MAIF alerts (${name})`,
        masterKey: props.encryptionKey,
        enforceSSL: true,
      });

    if (channels.email) {
      const emailTopic = topic('email');
      topics.email = emailTopic;
      for (const recipient of channels.email.recipients) {
        // Heartbeats test the path every few minutes: people must not get them by e-mail.
        emailTopic.addSubscription(
          new subscriptions.EmailSubscription(recipient, {
            filterPolicy: { kind: sns.SubscriptionFilter.stringFilter({ denylist: ['heartbeat'] }) },
          }),
        );
      }
    }
    const notifiers: Partial<Record<'slack' | 'pagerduty', Notifier>> = {};
    if (channels.slack) {
      topics.slack = topic('slack');
      notifiers.slack = this.#notifier('Slack', 'notify-slack', topics.slack, props, channels.slack.webhookSecret, {
        webhookSecret: channels.slack.webhookSecret,
        channel: channels.slack.channel,
      });
    }
    if (channels.pagerduty) {
      topics.pagerduty = topic('pagerduty');
      notifiers.pagerduty = this.#notifier(
        'PagerDuty',
        'notify-pagerduty',
        topics.pagerduty,
        props,
        channels.pagerduty.routingKeySecret,
        { routingKeySecret: channels.pagerduty.routingKeySecret },
        endpoint !== undefined ? { [KIT_ENV.pagerdutyEndpoint]: endpoint } : {},
      );
    }
    this.topics = topics;
    this.notifiers = notifiers;
  }

  /** channel name -> topic ARN, for `MAIF_CHANNEL_TOPICS`. */
  topicArns(): Record<string, string> {
    return Object.fromEntries(Object.entries(this.topics).map(([name, t]) => [name, t.topicArn]));
  }

  /** Messages waiting in the notifiers' dead-letter queues (sum, 1 minute). */
  metricDeadLetters(): cloudwatch.IMetric {
    const queues = Object.values(this.notifiers).map((n) => n.deadLetterQueue);
    if (queues.length === 0) return new cloudwatch.MathExpression({ expression: '0', usingMetrics: {} });
    return new cloudwatch.MathExpression({
      expression: queues.map((_, i) => `q${i}`).join(' + '),
      usingMetrics: Object.fromEntries(queues.map((q, i) => [`q${i}`, deadLetterDepth(q)])),
      period: Duration.minutes(1),
    });
  }

  #notifier(
    label: string,
    handler: 'notify-slack' | 'notify-pagerduty',
    topic: sns.Topic,
    props: NotificationChannelsProps,
    secretName: string,
    bundledConfig: Record<string, string>,
    environment: Record<string, string> = {},
  ): Notifier {
    const queue = deadLetterQueue(this, `${label}DeadLetterQueue`, {
      encryptionKey: props.encryptionKey,
      owner: `the ${label} notifier`,
    });
    const kit = new KitFunction(this, `${label}Notifier`, {
      ...kitFunctionSettings(props),
      handler,
      description: `MAIF Observability ${label} notifier`,
      bundledConfig,
      environment,
      timeout: NOTIFIER_TIMEOUT,
      deadLetterQueue: queue,
    });
    kit.function.configureAsyncInvoke({ retryAttempts: NOTIFIER_ASYNC_RETRIES });
    const stack = Stack.of(this);
    // Secrets Manager appends 6 random characters to a secret's name in its ARN.
    const secretArn = secretName.startsWith('arn:')
      ? secretName
      : stack.formatArn({
          service: 'secretsmanager',
          resource: 'secret',
          resourceName: `${secretName}-??????`,
          arnFormat: ArnFormat.COLON_RESOURCE_NAME,
        });
    const secretPolicy = new iam.Policy(this, `${label}SecretPolicy`, {
      statements: [
        new iam.PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: [secretArn] }),
        // for SendMessage to the KMS-encrypted dead-letter queue
        keyUseStatement(props.encryptionKey),
      ],
      roles: [kit.role],
    });
    Validations.of(secretPolicy).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${nagArn(stack, secretArn)}]`,
      reason: 'A secret ARN ends in 6 random characters Secrets Manager chooses; the wildcard matches only those',
    });
    topic.addSubscription(new subscriptions.LambdaSubscription(kit.function, { deadLetterQueue: queue }));

    const alarm = deadLetterAlarm(this, `${label}DeadLetterAlarm`, {
      queue,
      description: `MAIF Observability: ${label} notifications failed and are in the dead-letter queue`,
      alarmTopic: props.alarmTopic,
    });
    return { function: kit.function, deadLetterQueue: queue, alarm };
  }
}
