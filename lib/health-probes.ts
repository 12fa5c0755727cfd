import { ArnFormat, Duration, Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { INSTRUMENTATION_ENV } from '../layers/instrumentation/environment';
import { parseDuration } from '../layers/instrumentation/units';
import { KitFunction, type KitFunctionSettings, kitFunctionSettings } from './private/kit-function';

/** A health check target as the configuration writes it (`healthChecks.targets[]`). */
export type HealthProbeTarget =
  | {
      readonly name: string;
      readonly type: 'https';
      readonly url: string;
      readonly timeout?: string | number;
      readonly [key: string]: unknown;
    }
  | {
      readonly name: string;
      readonly type: 'lambda';
      readonly functionName: string;
      readonly qualifier?: string;
      readonly timeout?: string | number;
      readonly [key: string]: unknown;
    };

/** EventBridge `rate()` schedules count whole minutes. */
export const MIN_SCHEDULE = Duration.minutes(1);
/** Probes run in parallel: the function waits for the slowest target, plus this margin. */
export const PROBE_TIMEOUT_MARGIN = Duration.seconds(10);
const DEFAULT_TARGET_TIMEOUT = '5s';

export interface HealthProbesProps extends KitFunctionSettings {
  readonly service: string;
  readonly namespace: string;
  readonly environment: string;
  /** Encrypts the probe's log group. */
  readonly encryptionKey: kms.IKey;
  /** How often every target is probed (`1m`, `5m`): whole minutes. */
  readonly schedule: string;
  readonly targets: readonly HealthProbeTarget[];
}

function durationField(field: string, text: string | number): number {
  if (typeof text === 'number') {
    if (Number.isFinite(text) && text > 0) return text;
    throw new Error(`HealthProbes ${field}: ${text} is not a duration (use 5s, 500ms, or milliseconds above 0)`);
  }
  try {
    return parseDuration(text);
  } catch (error) {
    throw new Error(`HealthProbes ${field}: ${(error as Error).message}`);
  }
}

/**
 * The health probe function (lambdas/health-probe) on an EventBridge schedule: each run probes
 * every target (HTTPS GET or Lambda Invoke) and writes `up` and `probe_duration_seconds` as EMF.
 * Its role may invoke exactly the configured Lambda targets, nothing else.
 */
export class HealthProbes extends Construct {
  readonly function: lambda.Function;
  readonly logGroup: logs.LogGroup;
  readonly rule: events.Rule;

  constructor(scope: Construct, id: string, props: HealthProbesProps) {
    super(scope, id);
    const scheduleMs = durationField('schedule', props.schedule);
    if (scheduleMs < MIN_SCHEDULE.toMilliseconds() || scheduleMs % 60_000 !== 0) {
      throw new Error(`HealthProbes schedule: '${props.schedule}' is not a whole number of minutes (use 1m, 5m, 1h)`);
    }
    const seen = new Set<string>();
    let slowest = 0;
    props.targets.forEach((target, index) => {
      if (seen.has(target.name)) {
        throw new Error(`HealthProbes targets[${index}].name: '${target.name}' is used twice (names must be unique)`);
      }
      seen.add(target.name);
      slowest = Math.max(slowest, durationField(`targets[${index}].timeout`, target.timeout ?? DEFAULT_TARGET_TIMEOUT));
    });

    const kit = new KitFunction(this, 'Function', {
      ...kitFunctionSettings(props),
      handler: 'health-probe',
      description: `MAIF Observability health probe (${props.environment})`,
      bundledConfig: { targets: props.targets },
      environment: {
        [INSTRUMENTATION_ENV.namespace]: props.namespace,
        [INSTRUMENTATION_ENV.service]: props.service,
        [INSTRUMENTATION_ENV.environment]: props.environment,
      },
      timeout: Duration.millis(Math.ceil(slowest / 1000) * 1000 + PROBE_TIMEOUT_MARGIN.toMilliseconds()),
    });
    this.function = kit.function;
    this.logGroup = kit.logGroup;

    const stack = Stack.of(this);
    const invocable = props.targets.flatMap((target) => {
      if (target.type !== 'lambda') return [];
      if (target.functionName.startsWith('arn:')) return [target.functionName];
      const resourceName =
        target.qualifier === undefined ? target.functionName : `${target.functionName}:${target.qualifier}`;
      return [
        stack.formatArn({
          service: 'lambda',
          resource: 'function',
          resourceName,
          arnFormat: ArnFormat.COLON_RESOURCE_NAME,
        }),
      ];
    });
    if (invocable.length > 0) {
      kit.role.addToPrincipalPolicy(
        new iam.PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [...new Set(invocable)] }),
      );
    }

    this.rule = new events.Rule(this, 'Schedule', {
      description: `MAIF Observability health probes every ${props.schedule}`,
      schedule: events.Schedule.rate(Duration.minutes(scheduleMs / 60_000)),
      targets: [
        // A missed run is superseded by the next one: no retries, no stale probes.
        new targets.LambdaFunction(this.function, { retryAttempts: 0, maxEventAge: Duration.minutes(1) }),
      ],
    });
  }
}
