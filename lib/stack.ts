import { Aspects, Duration, RemovalPolicy, Stack, type StackProps, Tags } from 'aws-cdk-lib';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct, IConstruct } from 'constructs';
import type { ResolvedConfig } from '../domain/config';
import { AlertAlarms, BaselineMonitor } from './alerting';
import { AlertPipeline } from './alerting-pipeline';
import { InsightsQueries, ObservabilityDashboards } from './dashboards';
import { ObservabilityKey } from './encryption';
import { HealthProbes } from './health-probes';
import { type InstrumentFunctionOptions, InstrumentFunctions } from './instrument-function';
import { InstrumentationLayer } from './instrumentation-layer';
import { LogAggregation } from './log-aggregation';
import { LogOpenSearch } from './log-opensearch';
import { SamplingRules } from './sampling-rules';

export interface MaifObservabilityStackProps extends StackProps {
  /** One environment of the configuration, from `resolveConfig(config, env)`. */
  readonly config: ResolvedConfig;
  /**
   * What happens to the KMS key, log groups and layer versions when the stack is deleted.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * The module bundled into the instrumentation layer.
   * @default - the kit's instrumentation core
   */
  readonly layerEntry?: string;
}

/** The stack name of an environment: `<service>-observability-<environment>` is too long for humans; this is `maif-observability-<env>`. */
export function stackName(environment: string): string {
  return `maif-observability-${environment}`;
}

/**
 * Everything one environment needs: the KMS key, the instrumentation layer, the log aggregator
 * (DLQ, event bus, aggregated log group) subscribed to the configured log groups, the health
 * probes on their schedule, X-Ray sampling rules, the alarms compiled from the alert rules,
 * baselines and SLOs, the alert pipeline (router, escalation, channels, ack API, watchdog),
 * dashboards and Logs Insights queries.
 * `instrument(scope)` instruments every Lambda function under `scope`.
 */
export class MaifObservabilityStack extends Stack {
  readonly config: ResolvedConfig;
  readonly key: ObservabilityKey;
  readonly layer: InstrumentationLayer;
  readonly logAggregation: LogAggregation;
  /** The OpenSearch destination of the aggregated log group, when `logging.opensearch.enabled`. */
  readonly logOpenSearch?: LogOpenSearch;
  readonly healthProbes?: HealthProbes;
  readonly samplingRules: SamplingRules;
  readonly alerts: AlertAlarms;
  readonly baselineMonitor: BaselineMonitor;
  readonly alertPipeline: AlertPipeline;
  readonly dashboards: ObservabilityDashboards;
  readonly insightsQueries: InsightsQueries;
  /** The options `instrument()` applies: layer, MAIF_* environment, tracing, log group, aggregator. */
  readonly instrumentation: InstrumentFunctionOptions;

  constructor(scope: Construct, id: string, props: MaifObservabilityStackProps) {
    super(scope, id, {
      description: `MAIF Observability (${props.config.service}, ${props.config.environment})`,
      ...props,
      env:
        props.env ??
        (props.config.account || props.config.region
          ? { account: props.config.account, region: props.config.region }
          : undefined),
    });
    const { config } = props;
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    this.config = config;
    Tags.of(this).add('maif:service', config.service);
    Tags.of(this).add('maif:environment', config.environment);

    const retention = config.logging.retentionDays as logs.RetentionDays;
    const lambdaSettings = {
      runtime: config.lambda.runtime,
      architecture: config.lambda.architecture,
      memoryMb: config.lambda.memoryMb,
      logGroupRemovalPolicy: removalPolicy,
    };
    this.key = new ObservabilityKey(this, 'Key', {
      alias: `${config.service}-observability-${config.environment}`,
      removalPolicy,
    });
    this.layer = new InstrumentationLayer(this, 'InstrumentationLayer', { entry: props.layerEntry, removalPolicy });

    this.logAggregation = new LogAggregation(this, 'LogAggregation', {
      service: config.service,
      namespace: config.namespace,
      environment: config.environment,
      encryptionKey: this.key.key,
      config: {
        rules: config.logging.processingRules,
        lookupTables: config.logging.lookupTables,
      },
      // host log groups for the CloudWatch agent; the bundle maps them (and the paths) to sources
      hostSources: config.logging.sources,
      logGroupNames: config.logging.logGroups,
      retention,
      ...lambdaSettings,
    });

    const opensearch = config.logging.opensearch;
    if (opensearch.enabled) {
      this.logOpenSearch = new LogOpenSearch(this, 'LogOpenSearch', {
        service: config.service,
        environment: config.environment,
        encryptionKey: this.key.key,
        logGroup: this.logAggregation.logGroup,
        instanceType: opensearch.instanceType,
        instanceCount: opensearch.instanceCount,
        volumeGb: opensearch.volumeGb,
        engineVersion: opensearch.engineVersion,
        dedicatedMasterType: opensearch.dedicatedMasterType,
        failedDocumentsRetention: Duration.days(Number.parseInt(opensearch.failedDocumentsRetention, 10)),
        logRetention: retention,
        removalPolicy,
        runtime: config.lambda.runtime,
        architecture: config.lambda.architecture,
        memoryMb: config.lambda.memoryMb,
      });
    }

    if (config.healthChecks.targets.length > 0) {
      this.healthProbes = new HealthProbes(this, 'HealthProbes', {
        service: config.service,
        namespace: config.namespace,
        environment: config.environment,
        encryptionKey: this.key.key,
        schedule: config.healthChecks.schedule,
        targets: config.healthChecks.targets,
        logRetention: retention,
        ...lambdaSettings,
      });
    }

    const { default: defaultRate, ...otherRates } = config.tracing.sampling;
    this.samplingRules = new SamplingRules(this, 'SamplingRules', {
      service: config.service,
      environment: config.environment,
      sampling: { ...otherRates, default: defaultRate },
    });

    this.alerts = new AlertAlarms(this, 'Alerts', { config });
    this.baselineMonitor = new BaselineMonitor(this, 'BaselineMonitor', {
      config,
      eventBus: this.logAggregation.eventBus,
      encryptionKey: this.key.key,
      logRetention: retention,
      ...lambdaSettings,
    });
    this.alertPipeline = new AlertPipeline(this, 'AlertPipeline', {
      config,
      key: this.key.key,
      bus: this.logAggregation.eventBus,
      // the router believes the description metadata of these alarms only
      trustedAlarmNames: [...this.alerts.specs, ...this.alerts.composites].map((a) => a.alarmName),
    });
    this.dashboards = new ObservabilityDashboards(this, 'Dashboards', { config, alarms: this.alerts.alarms });
    const budgets = this.alerts.errorBudgetWidgets();
    // error budgets sit with the golden signals on the first (overview) dashboard
    if (budgets.length > 0) this.dashboards.dashboards[0]?.addWidgets(...budgets);
    this.insightsQueries = new InsightsQueries(this, 'InsightsQueries', {
      config,
      logGroups: [this.logAggregation.logGroup],
    });

    this.instrumentation = {
      layer: this.layer.layerVersion,
      service: config.service,
      namespace: config.namespace,
      environment: config.environment,
      logLevel: config.logging.level,
      debugSampleRate: config.logging.debugSampleRate,
      sampling: { ...otherRates, default: defaultRate },
      exporters: config.tracing.exporters,
      // memory_usage and disk_usage of /tmp, once per collection interval per execution environment
      systemSampling: config.metrics.system.lambda ? config.metrics.collectionInterval : undefined,
      logRetention: retention,
      encryptionKey: this.key.key,
      aggregator: this.logAggregation.function,
      logGroupRemovalPolicy: removalPolicy,
    };
  }

  /** Instruments every Lambda function under `scope` (this stack by default) when the app synthesizes. */
  instrument(scope: IConstruct = this): InstrumentFunctions {
    const aspect = new InstrumentFunctions(this.instrumentation);
    Aspects.of(scope).add(aspect);
    return aspect;
  }
}
