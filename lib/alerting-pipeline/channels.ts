import { ArnFormat, Duration, Stack, Token, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { ChannelName } from '../../domain/contracts/channels';
import { DLQ_RETENTION } from '../log-aggregation';
import { nagArn } from '../nag';
import { type ArchitectureName, KitFunction, type RuntimeName } from '../private/kit-function';

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

export interface NotificationChannelsProps {
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
  /** @default 'nodejs24.x' */
  readonly runtime?: RuntimeName;
  /** @default 'arm64' */
  readonly architecture?: ArchitectureName;
  /** @default RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
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
        endpoint !== undefined ? { MAIF_PAGERDUTY_ENDPOINT: endpoint } : {},
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
      usingMetrics: Object.fromEntries(
        queues.map((q, i) => [
          `q${i}`,
          q.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1), statistic: 'Maximum' }),
        ]),
      ),
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
    const deadLetterQueue = new sqs.Queue(this, `${label}DeadLetterQueue`, {
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: props.encryptionKey,
      enforceSSL: true,
      retentionPeriod: DLQ_RETENTION,
    });
    Validations.of(deadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: `This queue is the dead-letter queue of the ${label} notifier; a DLQ of a DLQ would only move the problem`,
    });
    const kit = new KitFunction(this, `${label}Notifier`, {
      handler,
      description: `MAIF Observability ${label} notifier`,
      bundledConfig,
      environment,
      runtime: props.runtime,
      architecture: props.architecture,
      timeout: NOTIFIER_TIMEOUT,
      logRetention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      encryptionKey: props.encryptionKey,
      deadLetterQueue,
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
        // SendMessage to the KMS-encrypted dead-letter queue needs exactly these key actions.
        new iam.PolicyStatement({
          actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
          resources: [props.encryptionKey.keyArn],
        }),
      ],
      roles: [kit.role],
    });
    Validations.of(secretPolicy).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${nagArn(stack, secretArn)}]`,
      reason: 'A secret ARN ends in 6 random characters Secrets Manager chooses; the wildcard matches only those',
    });
    topic.addSubscription(new subscriptions.LambdaSubscription(kit.function, { deadLetterQueue }));

    const alarm = new cloudwatch.Alarm(this, `${label}DeadLetterAlarm`, {
      alarmDescription: `MAIF Observability: ${label} notifications failed and are in the dead-letter queue`,
      metric: deadLetterQueue.metricApproximateNumberOfMessagesVisible({
        period: Duration.minutes(1),
        statistic: 'Maximum',
      }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    if (props.alarmTopic) alarm.addAlarmAction(new cwActions.SnsAction(props.alarmTopic));
    return { function: kit.function, deadLetterQueue, alarm };
  }
}
