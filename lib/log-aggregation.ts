import { Annotations, Duration, Token } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { KIT_ENV } from '../domain/contracts/environment';
import { aggregatorSources, type HostLogSource, hostLogGroupName } from '../domain/logs/agent-config';
import { INSTRUMENTATION_ENV } from '../layers/instrumentation/environment';
import { subscribeToAggregator } from './instrument-function';
import { deadLetterQueue } from './private/dead-letter-queue';
import { allowKeyUse } from './private/grants';
import { KitFunction, type KitFunctionSettings, kitFunctionSettings } from './private/kit-function';

export { DLQ_RETENTION } from './private/dead-letter-queue';

/** The log aggregator's bundled configuration (`LogAggregatorConfig` of domain/logs/config.ts). */
export interface LogAggregatorBundle {
  readonly rules: readonly unknown[];
  readonly lookupTables: Readonly<Record<string, unknown>>;
  readonly sources?: readonly unknown[];
}

/** Long enough for a 10,000-event batch with DLQ and EventBridge retries; short enough to fail fast. */
export const AGGREGATOR_TIMEOUT = Duration.seconds(60);

export interface LogAggregationProps extends Omit<KitFunctionSettings, 'logRetention'> {
  readonly service: string;
  readonly namespace: string;
  readonly environment: string;
  /** Encrypts the DLQ and the aggregated log group. */
  readonly encryptionKey: kms.IKey;
  /**
   * Processing rules, lookup tables and log sources, bundled into the function.
   * @default - no rules: events are normalized and forwarded
   */
  readonly config?: LogAggregatorBundle;
  /**
   * Existing log groups to subscribe, by name. A name ending in `*` is a pattern that
   * CloudFormation cannot expand: functions instrumented by `InstrumentFunctions` are subscribed
   * one by one instead, and the pattern is reported as an info annotation.
   * @default - none
   */
  readonly logGroupNames?: readonly string[];
  /**
   * Host and container log sources (`logging.sources`). Each gets a log group
   * `/<service>/<environment>/hosts/<name>` (the retention below, the key) that the CloudWatch
   * agent writes to (`maif-obs agent-config`), subscribed here; the bundled sources map that
   * group back to the source, so its events get the source's parser and tags.
   * @default - none
   */
  readonly hostSources?: readonly HostLogSource[];
  /**
   * Retention of the aggregated log group (the aggregator's own log group).
   * @default RetentionDays.ONE_MONTH
   */
  readonly retention?: logs.RetentionDays;
  /**
   * Where `trigger_alert` rules put their events.
   * @default - a new bus named `<service>-<environment>-observability`
   */
  readonly eventBus?: events.IEventBus;
}

/**
 * The log aggregator (lambdas/log-aggregator): subscribed to log groups, it normalizes their
 * events into its own log group (the aggregated log group), writes extracted metrics as EMF,
 * puts alerts on the kit's EventBridge bus and dead-letters failures to a KMS-encrypted SQS
 * queue, which also receives invocations that still fail after Lambda's async retries.
 */
export class LogAggregation extends Construct {
  readonly function: lambda.Function;
  /** The aggregated log group: one normalized JSON event per line. */
  readonly logGroup: logs.LogGroup;
  readonly deadLetterQueue: sqs.Queue;
  readonly eventBus: events.IEventBus;
  /** Log group name patterns (ending in `*`) that were not subscribed directly. */
  readonly patterns: readonly string[];
  /** The host log groups the CloudWatch agent writes to, by source name. */
  readonly hostLogGroups: Readonly<Record<string, logs.LogGroup>>;
  readonly #subscribed = new Set<string>();

  constructor(scope: Construct, id: string, props: LogAggregationProps) {
    super(scope, id);
    const names = props.logGroupNames ?? [];
    for (const name of names) {
      if (!Token.isUnresolved(name) && (typeof name !== 'string' || name.trim() === '')) {
        throw new Error(`LogAggregation logGroupNames: '${String(name)}' is not a log group name`);
      }
    }

    this.deadLetterQueue = deadLetterQueue(this, 'DeadLetterQueue', {
      encryptionKey: props.encryptionKey,
      owner: 'the log aggregator',
    });

    this.eventBus =
      props.eventBus ??
      new events.EventBus(this, 'EventBus', { eventBusName: `${props.service}-${props.environment}-observability` });

    const hostSources = props.hostSources ?? [];
    const bundledSources =
      hostSources.length > 0
        ? [...aggregatorSources(hostSources, props.service, props.environment), ...(props.config?.sources ?? [])]
        : props.config?.sources;
    const kit = new KitFunction(this, 'Function', {
      ...kitFunctionSettings(props),
      handler: 'log-aggregator',
      description: `MAIF Observability log aggregator (${props.environment})`,
      bundledConfig: {
        rules: props.config?.rules ?? [],
        lookupTables: props.config?.lookupTables ?? {},
        ...(bundledSources !== undefined ? { sources: bundledSources } : {}),
      },
      environment: {
        [INSTRUMENTATION_ENV.namespace]: props.namespace,
        [INSTRUMENTATION_ENV.service]: props.service,
        [INSTRUMENTATION_ENV.environment]: props.environment,
        [KIT_ENV.dlqUrl]: this.deadLetterQueue.queueUrl,
        [KIT_ENV.eventBusName]: this.eventBus.eventBusName,
      },
      timeout: AGGREGATOR_TIMEOUT,
      logRetention: props.retention,
      deadLetterQueue: this.deadLetterQueue,
    });
    this.function = kit.function;
    this.logGroup = kit.logGroup;
    // sqs:SendMessage comes with the function's deadLetterQueue; SendMessage to a KMS queue needs
    // the key too (grantSendMessages would add Encrypt and ReEncrypt*).
    allowKeyUse(kit.role, props.encryptionKey);
    this.eventBus.grantPutEventsTo(kit.role);

    const patterns: string[] = [];
    for (const name of names) {
      if (name.endsWith('*')) patterns.push(name);
      else this.subscribeByName(name);
    }
    this.patterns = patterns;

    const hostLogGroups: Record<string, logs.LogGroup> = {};
    for (const source of hostSources) {
      const group = new logs.LogGroup(this, `HostLogGroup-${source.name}`, {
        logGroupName: hostLogGroupName(props.service, props.environment, source.name),
        retention: props.retention ?? logs.RetentionDays.ONE_MONTH,
        encryptionKey: props.encryptionKey,
        removalPolicy: props.logGroupRemovalPolicy,
      });
      this.subscribe(group);
      hostLogGroups[source.name] = group;
    }
    this.hostLogGroups = hostLogGroups;
    if (patterns.length > 0) {
      Annotations.of(this).addInfo(
        `MAIF Observability: log group patterns ${patterns.map((p) => `'${p}'`).join(', ')} are not subscribed directly (CloudFormation needs exact names); instrumented functions are subscribed one by one`,
      );
    }
  }

  /** Subscribes a log group to the aggregator (all events). */
  subscribe(logGroup: logs.ILogGroup, filterPattern?: logs.IFilterPattern): logs.SubscriptionFilter {
    return subscribeToAggregator(logGroup as unknown as Construct, logGroup, this.function, filterPattern);
  }

  /** Subscribes an existing log group by name; a name already subscribed is not subscribed twice. */
  subscribeByName(name: string): logs.SubscriptionFilter | undefined {
    if (this.#subscribed.has(name)) return undefined;
    this.#subscribed.add(name);
    const logGroup = logs.LogGroup.fromLogGroupName(this, `Subscribed${this.#subscribed.size}`, name);
    return this.subscribe(logGroup);
  }
}
