/**
 * `BaselineMonitor`: the baseline Lambda (lambdas/baseline) every 15 minutes. It learns each
 * configured performance baseline from the last 7 days (GetMetricData), publishes it as
 * `performance_baseline_seconds{metric}` for the regression alarms, and puts a `MAIF Alert` on the
 * kit's bus when the last 15 minutes regress.
 */
import { Duration, Validations } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { ResolvedConfig } from '../../domain/config';
import type { BaselineMonitorConfig, BaselineTarget } from '../../domain/contracts/baseline';
import { KIT_ENV } from '../../domain/contracts/environment';
import { compileAlerting } from '../../domain/rules/alarms';
import { performanceAlerts, REGRESSION_PERIOD_SECONDS } from '../../domain/rules/baselines';
import { INSTRUMENTATION_ENV } from '../../layers/instrumentation/environment';
import { parseDuration } from '../../layers/instrumentation/units';
import { KitFunction, type KitFunctionSettings, kitFunctionSettings } from '../private/kit-function';

/** GetMetricData over 7 days of hourly data for a few baselines takes seconds; this leaves room for pagination. */
export const BASELINE_TIMEOUT = Duration.minutes(2);

export interface BaselineMonitorProps extends KitFunctionSettings {
  /** The resolved configuration of one environment (`alerting.baselines`, `alerting.performance`). */
  readonly config: ResolvedConfig;
  /** The kit's bus, where regression alerts go (LogAggregation's `eventBus`). */
  readonly eventBus: events.IEventBus;
  /** Encrypts the function's log group. */
  readonly encryptionKey: kms.IKey;
  /**
   * How often baselines are learned and published, and the current window compared. At most the
   * regression alarms' period (15 minutes), so that every period those alarms read has a learned value.
   * @default Duration.minutes(15)
   */
  readonly schedule?: Duration;
}

/**
 * What the baseline Lambda needs from a configuration: each baseline's measured series (the live
 * metric of its compiled regression alarm) and configured value, and the regression rule.
 */
export function baselineMonitorConfig(config: ResolvedConfig): BaselineMonitorConfig {
  const { specs } = compileAlerting(config);
  const baselines: BaselineTarget[] = Object.entries(config.alerting.baselines).map(([name, value]) => {
    const spec = specs.find((s) => s.labels.baseline === name && s.ruleName === `${name}_regression`);
    const live = spec?.metrics[0] ?? specs.find((s) => s.labels.baseline === name)?.metrics[0];
    if (!live) {
      throw new Error(
        `alerting.baselines.${name}: no alarm measures it (set alerting.performance.regressionDetection or anomalyDetection)`,
      );
    }
    return {
      name,
      namespace: live.namespace,
      metricName: live.metricName,
      dimensions: live.dimensions,
      stat: live.stat,
      staticSeconds: parseDuration(value) / 1000,
    };
  });
  const { regression } = performanceAlerts(config.alerting);
  return { baselines, ...(regression ? { regression } : {}) };
}

export class BaselineMonitor extends Construct {
  readonly function: lambda.Function;
  readonly logGroup: logs.LogGroup;
  readonly rule: events.Rule;
  /** What was bundled into the function. */
  readonly monitorConfig: BaselineMonitorConfig;

  constructor(scope: Construct, id: string, props: BaselineMonitorProps) {
    super(scope, id);
    const schedule = props.schedule ?? Duration.seconds(REGRESSION_PERIOD_SECONDS);
    if (!schedule.isUnresolved() && (schedule.toSeconds() < 60 || schedule.toSeconds() % 60 !== 0)) {
      throw new Error(
        `BaselineMonitor schedule: ${schedule.toHumanString()} is not a whole number of minutes (use Duration.minutes(15))`,
      );
    }
    if (!schedule.isUnresolved() && schedule.toSeconds() > REGRESSION_PERIOD_SECONDS) {
      throw new Error(
        `BaselineMonitor schedule: ${schedule.toHumanString()} is longer than the regression alarms' period of ${REGRESSION_PERIOD_SECONDS / 60} minutes (the learned baseline must reach every period they read; use ${REGRESSION_PERIOD_SECONDS / 60} minutes or less)`,
      );
    }
    this.monitorConfig = baselineMonitorConfig(props.config);
    const { config } = props;

    const kit = new KitFunction(this, 'Function', {
      ...kitFunctionSettings(props),
      handler: 'baseline',
      description: `MAIF Observability baseline monitor (${config.environment})`,
      bundledConfig: this.monitorConfig,
      environment: {
        [INSTRUMENTATION_ENV.namespace]: config.namespace,
        [INSTRUMENTATION_ENV.service]: config.service,
        [INSTRUMENTATION_ENV.environment]: config.environment,
        [KIT_ENV.eventBusName]: props.eventBus.eventBusName,
      },
      timeout: BASELINE_TIMEOUT,
    });
    this.function = kit.function;
    this.logGroup = kit.logGroup;

    const read = new iam.Policy(this, 'MetricsReadPolicy', {
      statements: [new iam.PolicyStatement({ actions: ['cloudwatch:GetMetricData'], resources: ['*'] })],
      roles: [kit.role],
    });
    Validations.of(read).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'cloudwatch:GetMetricData supports no resource-level permissions (AWS service authorization reference)',
    });
    props.eventBus.grantPutEventsTo(kit.role);

    this.rule = new events.Rule(this, 'Schedule', {
      description: `MAIF Observability baselines every ${schedule.toHumanString()}`,
      schedule: events.Schedule.rate(schedule),
      targets: [
        // The next run supersedes a missed one: no retries, no stale comparisons.
        new targets.LambdaFunction(this.function, { retryAttempts: 0, maxEventAge: Duration.minutes(5) }),
      ],
    });
  }
}
