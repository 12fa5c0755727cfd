export { AlertAlarms, type AlertAlarmsProps, alarmProperties, compileAlerting } from './alarms';
export { BaselineMonitor, type BaselineMonitorProps, baselineMonitorConfig } from './baseline-monitor';
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
} from './baselines';
export {
  type AlertRuleInput,
  type CompileContext,
  compileContext,
  compileRealtimeAlerts,
  compileRule,
  DEFAULT_ANOMALY_BANDS,
  DEFAULT_PERIOD_SECONDS,
  highResolutionMetrics,
  knownMetrics,
  type MetricInfo,
  REALTIME_PERIOD_SECONDS,
  type RealtimeAlertInput,
} from './compile';
export { type BaselineSetting, baselineSettingSchema, rulePeriodSchema, splitBaselines } from './config';
export {
  type AlarmState,
  type AnomalyBand,
  type Datapoint,
  type Evaluation,
  evaluateAt,
  type Replay,
  replay,
  type Transition,
} from './evaluator';
export { ingestEmf, MetricStore, type Observation } from './evaluator-store';
export { ALARM_LIMITS, AlertRuleError, checkAlarmSpec, EXPRESSION_FUNCTIONS, isValidPeriod } from './limits';
export { promqlToRule, SEED_NAMES, type SeedName } from './names';
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
} from './rule-language';
export { testRulesCommand, testRulesFile } from './rule-tests';
export {
  BURN_RATE_WINDOWS,
  type CompiledSlo,
  type CompositeAlarmSpec,
  compileSlo,
  errorBudgetWidgets,
  sliSeries,
} from './slo';
export {
  type AlarmMetadata,
  type AlarmSpec,
  type Comparison,
  decodeAlarmDescription,
  encodeAlarmDescription,
  MAX_ALARM_DESCRIPTION_LENGTH,
  type MetricRef,
  type Severity,
  type Statistic,
  type TreatMissingData,
} from './spec';
