/**
 * `maif-observability/cdk`: the constructs and the stack, for use in your own CDK apps.
 */

export {
  ConfigError,
  defineConfig,
  type ObservabilityConfig,
  type ResolvedConfig,
  resolveConfig,
} from '../domain/config';
export { KIT_ENV } from '../domain/contracts/environment';
export { type DoctorOptions, type DoctorReport, runDoctor } from '../domain/doctor/doctor';
export { type AgentConfig, type AgentConfigOptions, agentConfig, hostLogGroupName } from '../domain/logs/agent-config';
export { INSTRUMENTATION_ENV } from '../layers/instrumentation/environment';
export {
  type AlarmMetadata,
  type AlarmSpec,
  AlertAlarms,
  type AlertAlarmsProps,
  BaselineMonitor,
  type BaselineMonitorProps,
  compileAlerting,
  decodeAlarmDescription,
  encodeAlarmDescription,
  evaluateAt,
  ingestEmf,
  MetricStore,
  parseCondition,
  RuleSyntaxError,
  replay,
} from './alerting';
export {
  AckApi,
  type AckApiProps,
  AlertPipeline,
  type AlertPipelineProps,
  AlertRouter,
  type AlertRouterProps,
  AlertStateTable,
  type AlertStateTableProps,
  Escalation,
  type EscalationProps,
  NotificationChannels,
  type NotificationChannelsProps,
  Watchdog,
  type WatchdogProps,
} from './alerting-pipeline';
export {
  InsightsQueries,
  type InsightsQueriesProps,
  ObservabilityDashboards,
  type ObservabilityDashboardsProps,
} from './dashboards';
export {
  KEY_SERVICE_PRINCIPALS,
  ObservabilityKey,
  type ObservabilityKeyProps,
} from './encryption';
export {
  HealthProbes,
  type HealthProbesProps,
  type HealthProbeTarget,
  MIN_SCHEDULE,
  PROBE_TIMEOUT_MARGIN,
} from './health-probes';
export {
  DEFAULT_TRACE_SAMPLING,
  excludeFromInstrumentation,
  type InstrumentedFunction,
  type InstrumentFunctionOptions,
  InstrumentFunctions,
  type InstrumentFunctionsProps,
  instrumentFunction,
  isExcludedFromInstrumentation,
  MAX_LAYERS_PER_FUNCTION,
  subscribeToAggregator,
  type TraceSampling,
  XRAY_ACTIONS,
} from './instrument-function';
export { InstrumentationLayer, type InstrumentationLayerProps } from './instrumentation-layer';
export {
  AGGREGATOR_TIMEOUT,
  DLQ_RETENTION,
  LogAggregation,
  type LogAggregationProps,
  type LogAggregatorBundle,
} from './log-aggregation';
export { LogOpenSearch, type LogOpenSearchProps } from './log-opensearch';
export { addNagChecks, type NagFinding, nagFindings } from './nag';
export {
  DEFAULT_PRIORITY,
  MAX_RULE_NAME_LENGTH,
  MAX_RULE_PRIORITY,
  SAMPLING_URL_PREFIX,
  type SamplingRates,
  SamplingRules,
  type SamplingRulesProps,
  samplingRuleName,
  samplingUrlPath,
} from './sampling-rules';
export { MaifObservabilityStack, type MaifObservabilityStackProps, stackName } from './stack';
