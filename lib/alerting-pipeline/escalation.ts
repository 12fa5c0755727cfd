import { Duration, Stack, Validations } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { KIT_ENV } from '../../domain/contracts/environment';
import { ESCALATION_FAILED_ERROR, ESCALATION_STATES } from '../../domain/contracts/escalation';
import { allowKeyUse, allowTableItems } from '../private/grants';
import { KitFunction, type KitFunctionBaseSettings, kitFunctionSettings } from '../private/kit-function';
import { allowPublish, channelTopicsJson } from './channel-topics';

/** Task retries: 2 s, 4 s, 8 s, 16 s (jittered), then the failure state. */
export const TASK_RETRY = { interval: Duration.seconds(2), maxAttempts: 4, backoffRate: 2 } as const;

/** One task (a DynamoDB read or a few SNS publishes) takes well under this. */
export const ESCALATION_FUNCTION_TIMEOUT = Duration.seconds(30);

export interface EscalationProps extends KitFunctionBaseSettings {
  /** The alert state table (AlertStateTable). */
  readonly table: dynamodb.ITable;
  /** Channel topics by channel name (NotificationChannels.topics). */
  readonly topics: Readonly<Partial<Record<string, sns.ITopic>>>;
  /** Encrypts the function's and the state machine's log groups; the topics' key. */
  readonly encryptionKey: kms.IKey;
  /**
   * Base URL of the ack API; with `linkSecret`, messages carry signed ack and silence links.
   * @default - no links in messages
   */
  readonly ackUrl?: string;
  /**
   * The HMAC key of signed links.
   * @default - no links in messages
   */
  readonly linkSecret?: secretsmanager.ISecret;
  /**
   * How long links stay valid, in seconds.
   * @default - 24 hours
   */
  readonly linkTtlSeconds?: number;
}

/**
 * The escalation of one alert episode as a Step Functions state machine (started by the router
 * with execution name `<fingerprint>-<episode>` and an EscalationInput). For each step of the
 * plan (every level, then `repeat` passes over levels 1..): wait the level's delay, `check` that
 * the alert is still firing in this episode (acknowledged, resolved or superseded: stop), then
 * `notify` the level's channels. Task errors are retried with backoff, then the execution fails
 * in `Escalation failed`, which the watchdog alarms on.
 */
export class Escalation extends Construct {
  readonly stateMachine: sfn.StateMachine;
  readonly function: lambda.IFunction;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: EscalationProps) {
    super(scope, id);
    const ttl = props.linkTtlSeconds;
    if (ttl !== undefined && (!Number.isInteger(ttl) || ttl < 60 || ttl > 30 * 86_400)) {
      throw new Error(`Escalation linkTtlSeconds: ${ttl} is not allowed (use whole seconds from 60 to 2592000)`);
    }
    if ((props.ackUrl === undefined) !== (props.linkSecret === undefined)) {
      throw new Error('Escalation ackUrl and linkSecret: give both (signed links) or neither (no links)');
    }
    const stack = Stack.of(this);
    const logRetention = props.logRetention ?? logs.RetentionDays.ONE_MONTH;

    const environment: Record<string, string> = {
      [KIT_ENV.alertTable]: props.table.tableName,
      [KIT_ENV.channelTopics]: channelTopicsJson(this, props.topics),
    };
    if (props.ackUrl !== undefined && props.linkSecret !== undefined) {
      environment[KIT_ENV.ackUrl] = props.ackUrl;
      environment[KIT_ENV.linkSecretArn] = props.linkSecret.secretArn;
    }
    const kit = new KitFunction(this, 'Function', {
      ...kitFunctionSettings(props),
      handler: 'escalation',
      description: 'MAIF Observability escalation: check acknowledgement, notify a level',
      bundledConfig: ttl !== undefined ? { linkTtlSeconds: ttl } : {},
      environment,
      timeout: ESCALATION_FUNCTION_TIMEOUT,
    });
    this.function = kit.function;
    // Read the alert, claim / release notification log entries: no scans, no table admin.
    allowTableItems(kit.role, props.table, [
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:DeleteItem',
      'dynamodb:Query',
    ]);
    allowPublish(kit.role, props.topics);
    allowKeyUse(kit.role, props.encryptionKey, props.table);
    if (props.linkSecret) {
      kit.role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          actions: ['secretsmanager:GetSecretValue'],
          resources: [props.linkSecret.secretArn],
        }),
      );
      props.linkSecret.encryptionKey?.grant(kit.role, 'kms:Decrypt');
    }

    this.logGroup = new logs.LogGroup(this, 'StateMachineLogs', {
      retention: logRetention,
      encryptionKey: props.encryptionKey,
    });
    this.stateMachine = new sfn.StateMachine(this, 'Resource', {
      definitionBody: sfn.DefinitionBody.fromChainable(this.#definition(kit.function)),
      stateMachineType: sfn.StateMachineType.STANDARD,
      tracingEnabled: true,
      logs: { destination: this.logGroup, level: sfn.LogLevel.ALL, includeExecutionData: true },
      comment: 'MAIF Observability: escalation of one alert episode (input: EscalationInput)',
    });
    const role = this.stateMachine.role;
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Step Functions log delivery (logs:CreateLogDelivery and friends) and X-Ray tracing support no resource-level permissions',
    });
    Validations.of(role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${stack.getLogicalId(kit.function.node.defaultChild as never)}.Arn>:*]`,
      reason: 'lambda:InvokeFunction on the escalation function and its versions (LambdaInvoke grants the :* form)',
    });
  }

  /** Executions that ended in `Escalation failed` (or timed out / were aborted by AWS). */
  metricFailed(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.stateMachine.metricFailed(props);
  }

  #definition(fn: lambda.IFunction): sfn.IChainable {
    const S = ESCALATION_STATES;
    const failed = new sfn.Fail(this, 'Failed', {
      stateName: S.failed,
      error: ESCALATION_FAILED_ERROR,
      cause: 'An escalation task still failed after its retries',
    });
    const task = (
      name: string,
      action: 'check' | 'notify',
      resultSelector: Record<string, string>,
      resultPath: string,
    ) => {
      const invoke = new tasks.LambdaInvoke(this, action === 'check' ? 'Check' : 'Notify', {
        stateName: name,
        lambdaFunction: fn,
        payload: sfn.TaskInput.fromObject({
          action,
          input: sfn.JsonPath.objectAt('$.input'),
          cursor: sfn.JsonPath.objectAt('$.cursor'),
        }),
        resultSelector,
        resultPath,
        retryOnServiceExceptions: false,
      });
      invoke.addRetry({
        errors: [sfn.Errors.ALL],
        interval: TASK_RETRY.interval,
        maxAttempts: TASK_RETRY.maxAttempts,
        backoffRate: TASK_RETRY.backoffRate,
        jitterStrategy: sfn.JitterType.FULL,
      });
      invoke.addCatch(failed, { errors: [sfn.Errors.ALL], resultPath: '$.error' });
      return invoke;
    };

    const start = new sfn.Pass(this, 'Start', {
      stateName: S.start,
      parameters: {
        input: sfn.JsonPath.objectAt('$'),
        cursor: {
          step: 0,
          level: 0,
          kind: 'firing',
          delaySeconds: sfn.JsonPath.numberAt('$.levels[0].delaySeconds'),
          done: false,
        },
      },
    });
    const wait = new sfn.Wait(this, 'Wait', {
      stateName: S.wait,
      time: sfn.WaitTime.secondsPath('$.cursor.delaySeconds'),
    });
    const check = task(
      S.check,
      'check',
      { 'proceed.$': '$.Payload.proceed', 'reason.$': '$.Payload.reason' },
      '$.check',
    );
    const notify = task(
      S.notify,
      'notify',
      { 'sent.$': '$.Payload.sent', 'skipped.$': '$.Payload.skipped', 'next.$': '$.Payload.next' },
      '$.notified',
    );
    const next = new sfn.Pass(this, 'Next', {
      stateName: S.next,
      parameters: { input: sfn.JsonPath.objectAt('$.input'), cursor: sfn.JsonPath.objectAt('$.notified.next') },
    });
    const stopped = new sfn.Succeed(this, 'Stopped', { stateName: S.stopped });
    const complete = new sfn.Succeed(this, 'Complete', { stateName: S.complete });

    return start
      .next(wait)
      .next(check)
      .next(
        new sfn.Choice(this, 'StillOpen', { stateName: S.stillOpen })
          .when(sfn.Condition.booleanEquals('$.check.proceed', false), stopped)
          .otherwise(
            notify.next(
              new sfn.Choice(this, 'More', { stateName: S.more })
                .when(sfn.Condition.booleanEquals('$.notified.next.done', true), complete)
                .otherwise(next.next(wait)),
            ),
          ),
      );
  }
}
