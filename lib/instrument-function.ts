import { Annotations, ArnFormat, type IAspect, type RemovalPolicy, Stack, Token, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { LambdaDestination } from 'aws-cdk-lib/aws-logs-destinations';
import type { Construct, IConstruct } from 'constructs';
import { INSTRUMENTATION_ENV } from '../layers/instrumentation/environment';
import { EXPORTER_TYPES, type ExporterConfig } from '../layers/instrumentation/tracer/exporters';
import type { LogLevel } from '../layers/instrumentation/types';
import { isDuration, parseDuration } from '../layers/instrumentation/units';

/** Bytes allowed for `MAIF_TRACE_EXPORTERS`: a quarter of Lambda's 4 KB for all of a function's environment. */
export const MAX_TRACE_EXPORTERS_ENV_BYTES = 1024;

/** Lambda's limit on layers per function. */
export const MAX_LAYERS_PER_FUNCTION = 5;

/**
 * X-Ray actions the instrumented function needs. None supports resource-level permissions
 * (X-Ray service authorization reference), hence `*`. `GetSampling*` lets the tracer use the
 * centralized sampling rules of `SamplingRules` when it makes a sampling decision itself.
 */
export const XRAY_ACTIONS = [
  'xray:PutTraceSegments',
  'xray:PutTelemetryRecords',
  'xray:GetSamplingRules',
  'xray:GetSamplingTargets',
] as const;

/** Trace sampling rate (0 to 1) by the priority the tracer marks on a root span. */
export type TraceSampling = { readonly default: number; readonly [priority: string]: number };

export const DEFAULT_TRACE_SAMPLING: TraceSampling = {
  default: 0.1,
  high_priority: 1,
  background_tasks: 0.01,
} as const;

export interface InstrumentFunctionOptions {
  /** The instrumentation layer (`InstrumentationLayer.layerVersion`). */
  readonly layer: lambda.ILayerVersion;
  /** The `service` dimension. */
  readonly service: string;
  /** The CloudWatch namespace. */
  readonly namespace: string;
  /** The environment name (`dev`, `staging`, `prod`). */
  readonly environment: string;
  /**
   * @default 'INFO'
   */
  readonly logLevel?: LogLevel;
  /**
   * Share of invocations logged at DEBUG whatever the level (0 to 1).
   * @default - not set: the core's default applies
   */
  readonly debugSampleRate?: number;
  /**
   * @default DEFAULT_TRACE_SAMPLING
   */
  readonly sampling?: TraceSampling;
  /**
   * The configuration's `tracing.exporters`. The enabled entries other than `xray` reach the
   * function as `MAIF_TRACE_EXPORTERS`, which the core's `Tracer` reads when given no exporters.
   * @default - none: spans go to X-Ray only
   */
  readonly exporters?: readonly ExporterConfig[];
  /**
   * How often `instrument()` samples memory_usage and disk_usage of /tmp in the function
   * (`MAIF_SYSTEM_SAMPLING`, e.g. `'60s'`; at least 1s). The stack sets it to
   * `metrics.collectionInterval` when the configuration's `metrics.system.lambda` is on.
   * @default - not set: no sampling unless the handler passes `instrument({ system })`
   */
  readonly systemSampling?: string;
  /**
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Encrypts the function's log group.
   * @default - no customer-managed key (CloudWatch Logs' own encryption)
   */
  readonly encryptionKey?: kms.IKey;
  /**
   * The log aggregator function; the function's log group gets a subscription filter to it.
   * @default - no subscription
   */
  readonly aggregator?: lambda.IFunction;
  /**
   * @default FilterPattern.allEvents()
   */
  readonly filterPattern?: logs.IFilterPattern;
  /**
   * What happens to the log group when the function's stack is deleted.
   * @default RemovalPolicy.RETAIN
   */
  readonly logGroupRemovalPolicy?: RemovalPolicy;
}

export interface InstrumentedFunction {
  readonly function: lambda.Function;
  /** The log group the function writes to (created here unless it already had one). */
  readonly logGroup: logs.ILogGroup;
  readonly subscription?: logs.SubscriptionFilter;
}

/** Functions already instrumented, so the helper and the aspect never apply twice. */
const instrumented = new WeakMap<lambda.Function, InstrumentedFunction>();
/** Subtrees the aspect leaves alone (the kit's own functions, user opt-outs). */
const excluded = new WeakSet<IConstruct>();
/** One `logs.amazonaws.com` invoke permission per aggregator, whatever the number of log groups. */
const logsPermissions = new WeakMap<lambda.IFunction, IConstruct>();

/** Keeps `InstrumentFunctions` away from `scope` and everything under it. */
export function excludeFromInstrumentation(scope: IConstruct): void {
  excluded.add(scope);
}

export function isExcludedFromInstrumentation(node: IConstruct): boolean {
  return node.node.scopes.some((scope) => excluded.has(scope));
}

function checkRate(field: string, value: number): void {
  if (Token.isUnresolved(value)) return;
  if (!Number.isFinite(value) || value < 0 || value > 1) {
    throw new Error(`instrumentFunction ${field}: ${value} is not a rate (use a number from 0 to 1)`);
  }
}

/**
 * The enabled non-X-Ray exporters as `MAIF_TRACE_EXPORTERS` entries (type and endpoint only).
 * Checks the shape; the endpoint itself is the configuration schema's and the Tracer's to judge.
 */
function traceExporters(list: readonly ExporterConfig[] | undefined): ExporterConfig[] {
  if (list === undefined) return [];
  if (!Array.isArray(list)) {
    throw new Error(
      `instrumentFunction exporters: ${String(list)} is not a list (use e.g. [{ type: 'zipkin', endpoint }])`,
    );
  }
  const kept: ExporterConfig[] = [];
  list.forEach((entry: ExporterConfig, index) => {
    const at = `instrumentFunction exporters[${index}]`;
    const type = (entry as { type?: unknown } | null)?.type;
    if (!(EXPORTER_TYPES as readonly unknown[]).includes(type)) {
      throw new Error(`${at}.type: '${String(type)}' is not an exporter type (use ${EXPORTER_TYPES.join(', ')})`);
    }
    if (type === 'xray' || entry.enabled === false) return;
    if (!('endpoint' in entry)) {
      kept.push({ type: entry.type });
      return;
    }
    if (typeof entry.endpoint !== 'string' || entry.endpoint === '') {
      throw new Error(
        `${at}.endpoint: '${String(entry.endpoint)}' is not a URL (use e.g. http://zipkin:9411/api/v2/spans)`,
      );
    }
    kept.push({ type: entry.type, endpoint: entry.endpoint });
  });
  return kept;
}

/** The JSON of `MAIF_TRACE_EXPORTERS`; throws, naming the field, when it would crowd the function's environment. */
function traceExportersJson(exporters: readonly ExporterConfig[]): string {
  const json = JSON.stringify(exporters);
  const bytes = Buffer.byteLength(json);
  if (bytes > MAX_TRACE_EXPORTERS_ENV_BYTES) {
    throw new Error(
      `instrumentFunction exporters: ${INSTRUMENTATION_ENV.traceExporters} would be ${bytes} bytes ` +
        `(allowed: ${MAX_TRACE_EXPORTERS_ENV_BYTES} of Lambda's 4 KB environment; list fewer exporters or shorter endpoints)`,
    );
  }
  return json;
}

/** The checked options the function's environment is built from. */
interface Validated {
  readonly sampling: TraceSampling;
  /** `MAIF_TRACE_EXPORTERS`; undefined when no exporter beside X-Ray is enabled. */
  readonly exportersJson: string | undefined;
}

function validate(options: InstrumentFunctionOptions): Validated {
  for (const field of ['service', 'namespace', 'environment'] as const) {
    const value = options[field];
    if (!Token.isUnresolved(value) && (typeof value !== 'string' || value.trim() === '')) {
      throw new Error(`instrumentFunction ${field}: '${String(value)}' is empty (use a non-empty name)`);
    }
  }
  const sampling = options.sampling ?? DEFAULT_TRACE_SAMPLING;
  for (const [priority, rate] of Object.entries(sampling)) checkRate(`sampling.${priority}`, rate);
  if (options.debugSampleRate !== undefined) checkRate('debugSampleRate', options.debugSampleRate);
  const every = options.systemSampling;
  if (every !== undefined && !Token.isUnresolved(every) && !(isDuration(every) && parseDuration(every) >= 1000)) {
    throw new Error(
      `instrumentFunction systemSampling: '${String(every)}' is not a sampling interval (use 1s or more: 30s, 1m)`,
    );
  }
  const exporters = traceExporters(options.exporters);
  return { sampling, exportersJson: exporters.length > 0 ? traceExportersJson(exporters) : undefined };
}

function runtimeAllowed(layer: lambda.ILayerVersion, runtime: lambda.Runtime): boolean {
  const allowed = layer.compatibleRuntimes;
  return allowed === undefined || allowed.some((candidate) => candidate.runtimeEquals(runtime));
}

/** The log group the function already sends to through `loggingConfig.logGroup`, if any. */
function existingLogGroupName(cfn: lambda.CfnFunction): string | undefined {
  const config = cfn.loggingConfig;
  if (config === undefined || Token.isUnresolved(config)) return undefined;
  return (config as lambda.CfnFunction.LoggingConfigProperty).logGroup;
}

/** Sends the function's logs to `logGroup` (the L1 `LoggingConfig.LogGroup`; works on any existing Function). */
function routeLogs(cfn: lambda.CfnFunction, logGroup: logs.ILogGroup): void {
  const config = cfn.loggingConfig;
  const current =
    config === undefined || Token.isUnresolved(config) ? {} : (config as lambda.CfnFunction.LoggingConfigProperty);
  cfn.loggingConfig = { ...current, logGroup: logGroup.logGroupName };
}

function logsInvokePermission(aggregator: lambda.IFunction): IConstruct {
  const existing = logsPermissions.get(aggregator);
  if (existing !== undefined) return existing;
  const stack = Stack.of(aggregator);
  aggregator.addPermission('MaifLogsInvoke', {
    principal: new iam.ServicePrincipal(`logs.${stack.region}.amazonaws.com`),
    action: 'lambda:InvokeFunction',
    sourceAccount: stack.account,
    sourceArn: stack.formatArn({
      service: 'logs',
      resource: 'log-group',
      resourceName: '*',
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    }),
  });
  const permission = aggregator.node.tryFindChild('MaifLogsInvoke') ?? aggregator;
  logsPermissions.set(aggregator, permission);
  return permission;
}

/**
 * Subscribes `logGroup` to the aggregator. All subscriptions share one invoke permission (its
 * source is any log group of this account and region), so the aggregator's resource policy does
 * not grow with the number of functions.
 */
export function subscribeToAggregator(
  scope: Construct,
  logGroup: logs.ILogGroup,
  aggregator: lambda.IFunction,
  filterPattern: logs.IFilterPattern = logs.FilterPattern.allEvents(),
): logs.SubscriptionFilter {
  const permission = logsInvokePermission(aggregator);
  const subscription = new logs.SubscriptionFilter(scope, 'MaifAggregatorSubscription', {
    logGroup,
    destination: new LambdaDestination(aggregator, { addPermissions: false }),
    filterPattern,
  });
  subscription.node.addDependency(permission);
  return subscription;
}

/**
 * Instruments one function: adds the layer and the MAIF_* environment, turns on active X-Ray
 * tracing, sends its logs to an explicit log group (retention, KMS) and subscribes that group to
 * the log aggregator. Calling it twice on a function returns the first result.
 *
 * @example
 * instrumentFunction(searchFn, { layer: kit.layer.layerVersion, service: 'maif', namespace: 'MAIF',
 *   environment: 'prod', aggregator: kit.logAggregation.function, encryptionKey: kit.key });
 */
export function instrumentFunction(fn: lambda.Function, options: InstrumentFunctionOptions): InstrumentedFunction {
  const done = instrumented.get(fn);
  if (done !== undefined) return done;
  const { sampling, exportersJson } = validate(options);
  if (!runtimeAllowed(options.layer, fn.runtime)) {
    const allowed = (options.layer.compatibleRuntimes ?? []).map((runtime) => runtime.name).join(', ');
    throw new Error(
      `instrumentFunction ${fn.node.path}: runtime '${fn.runtime.name}' is not one the layer supports (allowed: ${allowed})`,
    );
  }
  const cfn = fn.node.defaultChild as lambda.CfnFunction;
  try {
    fn.addLayers(options.layer);
  } catch (error) {
    // The L2 keeps its layer list private: its own limit check is the reliable count.
    throw new Error(
      `instrumentFunction ${fn.node.path}: cannot add the layer (${(error as Error).message.replace(/\.$/, '')}; Lambda allows ${MAX_LAYERS_PER_FUNCTION})`,
    );
  }

  const env: Record<string, string> = {
    [INSTRUMENTATION_ENV.service]: options.service,
    [INSTRUMENTATION_ENV.namespace]: options.namespace,
    [INSTRUMENTATION_ENV.environment]: options.environment,
    [INSTRUMENTATION_ENV.logLevel]: options.logLevel ?? 'INFO',
    [INSTRUMENTATION_ENV.traceSampling]: JSON.stringify(sampling),
  };
  if (options.debugSampleRate !== undefined) env[INSTRUMENTATION_ENV.debugSampleRate] = String(options.debugSampleRate);
  if (exportersJson !== undefined) env[INSTRUMENTATION_ENV.traceExporters] = exportersJson;
  if (options.systemSampling !== undefined) env[INSTRUMENTATION_ENV.systemSampling] = options.systemSampling;
  for (const [name, value] of Object.entries(env)) fn.addEnvironment(name, value);

  cfn.tracingConfig = { mode: lambda.Tracing.ACTIVE };
  if (fn.role !== undefined) {
    const tracing = new iam.Policy(fn, 'MaifTracingPolicy', {
      statements: [new iam.PolicyStatement({ actions: [...XRAY_ACTIONS], resources: ['*'] })],
      roles: [fn.role as iam.IRole],
    });
    Validations.of(tracing).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'X-Ray PutTraceSegments, PutTelemetryRecords and GetSampling* support no resource-level permissions',
    });
  }

  const existing = existingLogGroupName(cfn);
  let logGroup: logs.ILogGroup;
  if (existing === undefined) {
    logGroup = new logs.LogGroup(fn, 'MaifLogGroup', {
      retention: options.logRetention ?? logs.RetentionDays.ONE_MONTH,
      encryptionKey: options.encryptionKey,
      removalPolicy: options.logGroupRemovalPolicy,
    });
    routeLogs(cfn, logGroup);
    logGroup.grantWrite(fn);
  } else {
    logGroup = logs.LogGroup.fromLogGroupName(fn, 'MaifLogGroup', existing);
  }

  const subscription =
    options.aggregator !== undefined && options.aggregator !== fn
      ? subscribeToAggregator(logGroup, logGroup, options.aggregator, options.filterPattern)
      : undefined;
  const result: InstrumentedFunction = { function: fn, logGroup, subscription };
  instrumented.set(fn, result);
  return result;
}

export interface InstrumentFunctionsProps extends InstrumentFunctionOptions {}

/**
 * An Aspect applying `instrumentFunction` to every `lambda.Function` (so every `NodejsFunction`)
 * in a scope. It skips the kit's own functions, singleton custom-resource functions, anything
 * under `excludeFromInstrumentation(...)`, and functions whose runtime the layer does not support
 * (with an info annotation).
 *
 * @example
 * Aspects.of(app).add(new InstrumentFunctions({ layer, service: 'maif', namespace: 'MAIF', environment: 'prod' }));
 */
export class InstrumentFunctions implements IAspect {
  readonly #options: InstrumentFunctionOptions;

  constructor(props: InstrumentFunctionsProps) {
    validate(props);
    this.#options = props;
  }

  visit(node: IConstruct): void {
    if (!(node instanceof lambda.Function) || instrumented.has(node)) return;
    if (isExcludedFromInstrumentation(node) || node.node.id.startsWith('SingletonLambda')) return;
    if (!runtimeAllowed(this.#options.layer, node.runtime)) {
      Annotations.of(node).addInfo(
        `MAIF Observability: not instrumented, runtime '${node.runtime.name}' is not one the instrumentation layer supports`,
      );
      return;
    }
    instrumentFunction(node, this.#options);
  }
}
