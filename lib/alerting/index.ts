export {
  type BaselineSetting,
  baselineSettingSchema,
  rulePeriodSchema,
  splitBaselines,
} from '../../domain/config/alerting';
export {
  type AlarmMetadata,
  type AlarmSpec,
  type Comparison,
  decodeAlarmDescription,
  encodeAlarmDescription,
  MAX_ALARM_DESCRIPTION_LENGTH,
  type MetricRef,
  type Statistic,
  type TreatMissingData,
} from '../../domain/contracts/alarm-spec';
export { SEVERITIES, type Severity } from '../../domain/contracts/severity';
export {
  type AlarmState,
  type AnomalyBand,
  type Datapoint,
  type Evaluation,
  evaluateAt,
  type Replay,
  replay,
  type Transition,
} from '../../domain/evaluator/evaluator';
export { ingestEmf, MetricStore, type Observation } from '../../domain/evaluator/store';
export {
  type AnomalyCondition,
  type ChangeCondition,
  type Comparator,
  type Condition,
  type Expr,
  parseCondition,
  printCondition,
  printExpr,
  RuleSyntaxError,
  type StatName,
  type ThresholdCondition,
} from '../../domain/languages/rule-language';
export { type AlarmSource, type AlertingOptions, compileAlerting } from '../../domain/rules/alarms';
export {
  ANOMALY_EVALUATION_PERIODS,
  ANOMALY_PERIOD_SECONDS,
  BASELINE_METRICS,
  type BaselineOptions,
  compileBaselines,
  DEFAULT_REGRESSION_FACTOR,
  LEARNED_BASELINE_METRIC,
  performanceAlerts,
  REGRESSION_EVALUATION_PERIODS,
  REGRESSION_PERIOD_SECONDS,
} from '../../domain/rules/baselines';
export {
  type AlertRuleInput,
  type CompileContext,
  compileContext,
  compileRealtimeAlerts,
  compileRule,
  DEFAULT_ALARM_PERIOD_SECONDS,
  DEFAULT_ANOMALY_BANDS,
  highResolutionMetrics,
  knownMetrics,
  type MetricInfo,
  REALTIME_PERIOD_SECONDS,
  type RealtimeAlertInput,
} from '../../domain/rules/compile';
export {
  ALARM_LIMITS,
  AlertRuleError,
  checkAlarmSpec,
  EXPRESSION_FUNCTIONS,
  isValidPeriod,
} from '../../domain/rules/limits';
export { METRIC_ALIASES, type MetricAlias, promqlToRule } from '../../domain/rules/names';
export { loadRuleTestFile, validateRuleTestFile } from '../../domain/rules/rule-test-file';
export {
  BURN_RATE_WINDOWS,
  type CompiledSlo,
  type CompositeAlarmSpec,
  compileSlo,
  sliSeries,
} from '../../domain/rules/slo';
export { AlertAlarms, type AlertAlarmsProps, alarmProperties } from './alarms';
export { BaselineMonitor, type BaselineMonitorProps, baselineMonitorConfig } from './baseline-monitor';
export { errorBudgetWidgets } from './slo-widgets';
