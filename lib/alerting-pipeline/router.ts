import { Arn, ArnFormat, Duration, Stack, Token, Validations } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { KIT_ENV } from '../../domain/contracts/environment';
import { ALARM_DETAIL_TYPE, KIT_DETAIL_TYPE, KIT_SOURCE } from '../../domain/contracts/events';
import { compileRouter, type RouterConfig } from '../../domain/routing/routing';
import { INSTRUMENTATION_ENV } from '../../layers/instrumentation/environment';
import { nagArn } from '../nag';
import { deadLetterAlarm, deadLetterQueue } from '../private/dead-letter-queue';
import { allowKeyUse, allowTableItems, TABLE_READ_WRITE } from '../private/grants';
import { KitFunction, type KitFunctionBaseSettings, kitFunctionSettings } from '../private/kit-function';
import { allowPublish, channelTopicsJson } from './channel-topics';

/** Claim lease (15 s) + polling + a few DynamoDB and SNS calls fit well inside. */
export const ROUTER_TIMEOUT = Duration.seconds(60);
/** Lambda's async retries of a failing event before it goes to the DLQ. */
export const ROUTER_RETRY_ATTEMPTS = 2;

export interface AlertRouterProps extends KitFunctionBaseSettings {
  /**
   * The routing configuration bundled into the function (`routerConfigOf(config.alerting, names)`).
   * Its `trustedAlarms`, the names of the alarms this stack creates, are the only alarms whose
   * description metadata (rule, severity, labels, runbook) the router believes.
   */
  readonly config: RouterConfig;
  /**
   * The HMAC key (a secret: the value itself, or JSON `{"key": ...}`) of signed alarm metadata,
   * for alarms created outside this stack that should be trusted (`signAlarmMetadata`).
   * @default - none: only the alarms named in `config.trustedAlarms` are trusted
   */
  readonly alarmSigningSecret?: secretsmanager.ISecret;
  /** The alert state table (AlertStateTable). */
  readonly table: dynamodb.ITable;
  /** The escalation state machine (Escalation). */
  readonly stateMachine: sfn.IStateMachine;
  /** Channel topics by channel name, for repeat and resolved notices (NotificationChannels.topics). */
  readonly topics: Readonly<Record<string, sns.ITopic>>;
  /** Encrypts the DLQ and the log group; the topics' key. */
  readonly encryptionKey: kms.IKey;
  /** The kit's bus, where `MAIF Alert` events arrive. */
  readonly bus: events.IEventBus;
  readonly namespace: string;
  readonly service: string;
  readonly environment: string;
  /**
   * Only alarms whose name starts with this reach the router.
   * @default `${service}-${environment}-` (the names the alert rule compiler gives)
   */
  readonly alarmNamePrefix?: string;
  /**
   * Where the DLQ alarm sends its notice.
   * @default - the alarm has no action (the Watchdog wires it to the fallback topic)
   */
  readonly alarmTopic?: sns.ITopic;
}

/**
 * The alert router (lambdas/router): EventBridge rules for the kit's CloudWatch alarm state
 * changes and for `MAIF Alert` events on the kit's bus invoke it; it keeps alert state in the
 * table and starts the escalation state machine. Malformed events and events still failing after
 * Lambda's retries land in a KMS-encrypted DLQ, which raises an alarm.
 */
export class AlertRouter extends Construct {
  readonly function: lambda.Function;
  readonly logGroup: logs.LogGroup;
  readonly deadLetterQueue: sqs.Queue;
  readonly deadLetterAlarm: cloudwatch.Alarm;
  readonly alarmRule: events.Rule;
  readonly alertRule: events.Rule;

  constructor(scope: Construct, id: string, props: AlertRouterProps) {
    super(scope, id);
    // bad expressions or durations fail at synth time, not on the first alert
    compileRouter(props.config);
    const prefix = props.alarmNamePrefix ?? `${props.service}-${props.environment}-`;
    if (!Token.isUnresolved(prefix) && prefix.trim() === '') {
      throw new Error(
        `AlertRouter alarmNamePrefix: '${prefix}' is not allowed (an empty prefix would route every alarm of the account)`,
      );
    }
    for (const channel of Object.keys(props.topics)) {
      if (!props.config.channels.includes(channel)) {
        throw new Error(
          `AlertRouter topics: '${channel}' is not a channel of alerting.channels (allowed: ${props.config.channels.join(', ') || 'none is defined'})`,
        );
      }
    }

    this.deadLetterQueue = deadLetterQueue(this, 'DeadLetterQueue', {
      encryptionKey: props.encryptionKey,
      owner: 'the alert router',
    });

    const kit = new KitFunction(this, 'Function', {
      ...kitFunctionSettings(props),
      handler: 'router',
      description: `MAIF Observability alert router (${props.environment})`,
      bundledConfig: props.config,
      environment: {
        [KIT_ENV.alertTable]: props.table.tableName,
        [KIT_ENV.escalationStateMachineArn]: props.stateMachine.stateMachineArn,
        [KIT_ENV.channelTopics]: channelTopicsJson(this, props.topics),
        [KIT_ENV.routerDlqUrl]: this.deadLetterQueue.queueUrl,
        ...(props.alarmSigningSecret ? { [KIT_ENV.alarmSigningSecretArn]: props.alarmSigningSecret.secretArn } : {}),
        [INSTRUMENTATION_ENV.namespace]: props.namespace,
        [INSTRUMENTATION_ENV.service]: props.service,
        [INSTRUMENTATION_ENV.environment]: props.environment,
      },
      timeout: ROUTER_TIMEOUT,
      deadLetterQueue: this.deadLetterQueue,
    });
    this.function = kit.function;
    this.logGroup = kit.logGroup;
    this.function.configureAsyncInvoke({ retryAttempts: ROUTER_RETRY_ATTEMPTS });

    allowTableItems(kit.role, props.table, [...TABLE_READ_WRITE, 'dynamodb:ConditionCheckItem']);
    // explicit actions: the grant helpers add kms:ReEncrypt* and kms:GenerateDataKey* wildcards for KMS resources
    kit.role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['sqs:SendMessage'], resources: [this.deadLetterQueue.queueArn] }),
    );
    allowPublish(kit.role, props.topics);
    kit.role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['states:StartExecution'], resources: [props.stateMachine.stateMachineArn] }),
    );
    const stopPolicy = new iam.Policy(this, 'StopExecutionPolicy', {
      statements: [
        new iam.PolicyStatement({
          actions: ['states:StopExecution'],
          resources: [executionArnPattern(this, props.stateMachine)],
        }),
      ],
      roles: [kit.role],
    });
    Validations.of(stopPolicy).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${nagArn(Stack.of(this), executionArnPattern(this, props.stateMachine))}]`,
      reason:
        "StopExecution of the escalation state machine's executions: their names (fingerprint-episode) are not known at deploy time",
    });
    allowKeyUse(kit.role, props.encryptionKey);
    props.alarmSigningSecret?.grantRead(kit.role);

    // EventBridge writes undeliverable events to the KMS-encrypted DLQ: it needs the key
    props.encryptionKey.grant(new iam.ServicePrincipal('events.amazonaws.com'), 'kms:Decrypt', 'kms:GenerateDataKey');
    const target = new targets.LambdaFunction(this.function, {
      deadLetterQueue: this.deadLetterQueue,
      retryAttempts: 8,
      maxEventAge: Duration.hours(2),
    });
    this.alarmRule = new events.Rule(this, 'AlarmStateChange', {
      description: `MAIF Observability: state changes of alarms named ${prefix}* to the alert router`,
      eventPattern: {
        source: ['aws.cloudwatch'],
        detailType: [ALARM_DETAIL_TYPE],
        detail: { alarmName: events.Match.prefix(prefix) },
      },
      targets: [target],
    });
    this.alertRule = new events.Rule(this, 'KitAlert', {
      description:
        'MAIF Observability: kit alerts (log aggregator, baselines, health probes, heartbeat) to the alert router',
      eventBus: props.bus,
      eventPattern: { source: [KIT_SOURCE], detailType: [KIT_DETAIL_TYPE] },
      targets: [target],
    });

    this.deadLetterAlarm = deadLetterAlarm(this, 'DeadLetterAlarm', {
      queue: this.deadLetterQueue,
      description: 'MAIF Observability: alert router events failed or were malformed and are in its dead-letter queue',
      alarmTopic: props.alarmTopic,
    });
  }
}

/** `arn:...:stateMachine:name` -> `arn:...:execution:name:*`, for a concrete ARN or a state machine of this app. */
function executionArnPattern(scope: Construct, stateMachine: sfn.IStateMachine): string {
  const arn = stateMachine.stateMachineArn;
  if (!Token.isUnresolved(arn)) return `${arn.replace(':stateMachine:', ':execution:')}:*`;
  // formatArn keeps the pattern a plain Fn::Join of pseudo parameters and the name, which cdk-nag can read
  const name =
    (stateMachine as Partial<sfn.StateMachine>).stateMachineName ??
    Arn.split(arn, ArnFormat.COLON_RESOURCE_NAME).resourceName;
  return Stack.of(scope).formatArn({
    service: 'states',
    resource: 'execution',
    resourceName: `${name}:*`,
    arnFormat: ArnFormat.COLON_RESOURCE_NAME,
  });
}
