import { ArnFormat, Duration, Stack, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { KIT_ENV } from '../../domain/contracts/environment';
import { INSTRUMENTATION_ENV } from '../../layers/instrumentation/environment';
import { parseDuration } from '../../layers/instrumentation/units';
import { KitFunction, type KitFunctionBaseSettings, kitFunctionSettings } from '../private/kit-function';

/** The metric the router emits once per heartbeat it receives (labels: service, environment). */
export const HEARTBEAT_METRIC = 'heartbeat_received';
/** Heartbeats missed in a row before the alarm fires: one late delivery is not an outage. */
export const HEARTBEAT_MISSED_PERIODS = 3;
export const DEFAULT_HEARTBEAT_SCHEDULE = '5m';
/** EventBridge rate() schedules count whole minutes; CloudWatch periods above 1 minute too. */
const MINUTE_MS = 60_000;
const EMAIL_RE = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
/** Period of the failure alarms: one failure in 5 minutes is one too many. */
export const FAILURE_ALARM_PERIOD = Duration.minutes(5);

export interface WatchdogProps extends KitFunctionBaseSettings {
  /** Encrypts the fallback topic and the heartbeat function's log group. */
  readonly encryptionKey: kms.IKey;
  /** The kit bus the heartbeat is put on (the router's intake). */
  readonly bus: events.IEventBus;
  /** CloudWatch namespace of the router's `heartbeat_received`. */
  readonly namespace: string;
  readonly service: string;
  readonly environment: string;
  /** Recipients of the fallback topic; validated, at least one. */
  readonly fallbackEmails: readonly string[];
  /**
   * How often a heartbeat is sent (whole minutes).
   * @default '5m'
   */
  readonly heartbeatSchedule?: string;
}

/** What the watchdog alarms on, each to the fallback topic. */
export interface WatchTargets {
  /** Channel topics: NumberOfNotificationsFailed > 0. */
  readonly topics?: Readonly<Record<string, sns.ITopic>>;
  /** Escalation state machines: ExecutionsFailed > 0 and ExecutionsTimedOut > 0. */
  readonly stateMachines?: Readonly<Record<string, sfn.IStateMachine>>;
  /** Dead-letter queues without an alarm of their own: ApproximateNumberOfMessagesVisible > 0. */
  readonly deadLetterQueues?: Readonly<Record<string, sqs.IQueue>>;
  /** Alarms made elsewhere (the router's and notifiers' DLQ alarms): their actions go to the fallback topic. */
  readonly alarms?: readonly cloudwatch.IAlarm[];
}

interface WatchRow {
  readonly id: string;
  readonly description: string;
  readonly metric: cloudwatch.IMetric;
  readonly statistic?: string;
}

/**
 * Watching the watcher: a heartbeat `MAIF Alert` put on the kit bus on a schedule travels the
 * whole alert path, and an alarm fires when the router stops counting it (missing data is
 * breaching). Alarms on SNS delivery failures, failed or timed-out escalations and dead-letter
 * depth. Every alarm notifies the fallback topic (KMS, e-mail), which is outside the pipeline
 * it watches.
 */
export class Watchdog extends Construct {
  readonly fallbackTopic: sns.Topic;
  readonly heartbeatFunction: lambda.IFunction;
  readonly heartbeatRule: events.Rule;
  readonly heartbeatAlarm: cloudwatch.Alarm;
  readonly alarms: cloudwatch.Alarm[] = [];
  readonly #action: cwActions.SnsAction;

  constructor(scope: Construct, id: string, props: WatchdogProps) {
    super(scope, id);
    const schedule = props.heartbeatSchedule ?? DEFAULT_HEARTBEAT_SCHEDULE;
    let scheduleMs: number;
    try {
      scheduleMs = parseDuration(schedule);
    } catch (error) {
      throw new Error(`Watchdog heartbeatSchedule: ${(error as Error).message}`);
    }
    if (scheduleMs < MINUTE_MS || scheduleMs % MINUTE_MS !== 0) {
      throw new Error(`Watchdog heartbeatSchedule: '${schedule}' is not a whole number of minutes (use 1m, 5m, 1h)`);
    }
    if (props.fallbackEmails.length === 0) {
      throw new Error(
        'Watchdog fallbackEmails: [] is empty (give at least one address: alerting.channels.email.recipients)',
      );
    }
    props.fallbackEmails.forEach((email, i) => {
      if (!Token.isUnresolved(email) && !EMAIL_RE.test(email)) {
        throw new Error(`Watchdog fallbackEmails[${i}]: '${email}' is not an e-mail address`);
      }
    });

    this.fallbackTopic = new sns.Topic(this, 'FallbackTopic', {
      displayName: `MAIF ${props.service} alert pipeline (${props.environment}) fallback`,
      masterKey: props.encryptionKey,
      enforceSSL: true,
    });
    for (const email of new Set(props.fallbackEmails)) {
      this.fallbackTopic.addSubscription(new subscriptions.EmailSubscription(email));
    }
    allowAlarmsToPublish(this.fallbackTopic);
    this.#action = new cwActions.SnsAction(this.fallbackTopic);

    const kit = new KitFunction(this, 'Heartbeat', {
      ...kitFunctionSettings(props),
      handler: 'heartbeat',
      description: `MAIF Observability heartbeat (${props.environment})`,
      bundledConfig: { service: props.service },
      environment: {
        [KIT_ENV.eventBusName]: props.bus.eventBusName,
        [INSTRUMENTATION_ENV.environment]: props.environment,
      },
      timeout: Duration.seconds(10),
    });
    props.bus.grantPutEventsTo(kit.function);
    this.heartbeatFunction = kit.function;
    this.heartbeatRule = new events.Rule(this, 'HeartbeatSchedule', {
      description: `MAIF Observability heartbeat every ${schedule}`,
      schedule: events.Schedule.rate(Duration.minutes(scheduleMs / MINUTE_MS)),
      targets: [new targets.LambdaFunction(kit.function, { retryAttempts: 2, maxEventAge: Duration.minutes(2) })],
    });

    const period = Duration.minutes(scheduleMs / MINUTE_MS);
    this.heartbeatAlarm = new cloudwatch.Alarm(this, 'HeartbeatMissing', {
      alarmDescription: `No heartbeat reached the alert router for ${HEARTBEAT_MISSED_PERIODS} x ${schedule}: the alert pipeline may be broken`,
      metric: new cloudwatch.Metric({
        namespace: props.namespace,
        metricName: HEARTBEAT_METRIC,
        dimensionsMap: { service: props.service, environment: props.environment },
        statistic: 'Sum',
        period,
      }),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      evaluationPeriods: HEARTBEAT_MISSED_PERIODS,
      datapointsToAlarm: HEARTBEAT_MISSED_PERIODS,
      treatMissingData: cloudwatch.TreatMissingData.BREACHING,
    });
    this.heartbeatAlarm.addAlarmAction(this.#action);
    this.heartbeatAlarm.addOkAction(this.#action);
  }

  /** Adds the failure alarms of `watch`, each notifying the fallback topic. */
  watch(watch: WatchTargets): void {
    const rows: WatchRow[] = [
      ...Object.entries(watch.topics ?? {}).map(([name, topic]) => ({
        id: `${name}DeliveryFailed`,
        description: `SNS could not deliver notifications of the ${name} channel`,
        metric: topic.metricNumberOfNotificationsFailed({ period: FAILURE_ALARM_PERIOD, statistic: 'Sum' }),
      })),
      ...Object.entries(watch.stateMachines ?? {}).flatMap(([name, machine]) => [
        {
          id: `${name}ExecutionsFailed`,
          description: `Escalations of ${name} failed: an alert may not have escalated`,
          metric: machine.metricFailed({ period: FAILURE_ALARM_PERIOD, statistic: 'Sum' }),
        },
        {
          id: `${name}ExecutionsTimedOut`,
          description: `Escalations of ${name} timed out`,
          metric: machine.metricTimedOut({ period: FAILURE_ALARM_PERIOD, statistic: 'Sum' }),
        },
      ]),
      ...Object.entries(watch.deadLetterQueues ?? {}).map(([name, queue]) => ({
        id: `${name}DeadLetters`,
        description: `Messages are waiting in the ${name} dead-letter queue`,
        metric: queue.metricApproximateNumberOfMessagesVisible({ period: FAILURE_ALARM_PERIOD, statistic: 'Maximum' }),
      })),
    ];
    for (const row of rows) {
      const alarm = new cloudwatch.Alarm(this, row.id, {
        alarmDescription: row.description,
        metric: row.metric,
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      alarm.addAlarmAction(this.#action);
      this.alarms.push(alarm);
    }
    for (const alarm of watch.alarms ?? []) {
      if (alarm instanceof cloudwatch.Alarm) alarm.addAlarmAction(this.#action);
    }
  }
}

/**
 * An alarm action is a publish by CloudWatch to the topic: without this statement in the topic's
 * resource policy CloudWatch may not publish, and every watchdog alarm would fire silently.
 * Scoped to this account's alarms in this region (the confused-deputy conditions).
 */
export function allowAlarmsToPublish(topic: sns.ITopic): void {
  const stack = Stack.of(topic);
  topic.addToResourcePolicy(
    new iam.PolicyStatement({
      sid: 'AllowCloudWatchAlarms',
      principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
      actions: ['sns:Publish'],
      resources: [topic.topicArn],
      conditions: {
        StringEquals: { 'aws:SourceAccount': stack.account },
        ArnLike: {
          'aws:SourceArn': stack.formatArn({
            service: 'cloudwatch',
            resource: 'alarm',
            resourceName: '*',
            arnFormat: ArnFormat.COLON_RESOURCE_NAME,
          }),
        },
      },
    }),
  );
}
