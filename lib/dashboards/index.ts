export { DEFAULT_CONFIG_FILE, loadConfig } from '../../domain/config/load';
export {
  DATASOURCE_VARIABLE,
  GRAFANA_SCHEMA_VERSION,
  type GrafanaCloudWatchTarget,
  type GrafanaDashboard,
  type GrafanaExportOptions,
  type GrafanaPanel,
  grafanaUid,
  toGrafanaDashboard,
} from '../../domain/dashboards/grafana';
export {
  type CompiledDashboard,
  type CompiledPanel,
  type CompileOptions,
  compileDashboards,
  type DashboardDefinition,
  type DashboardPanel,
  type DashboardsConfig,
  DEFAULT_WIDGET_PERIOD_SECONDS,
  dashboardName,
  type PanelType,
  REALTIME_PERIOD_SECONDS,
} from '../../domain/dashboards/model';
export { type DashboardTarget, REALTIME_METRICS, type RealtimeMetricName } from '../../domain/dashboards/realtime';
export {
  IdAllocator,
  MAX_EXPRESSION_LENGTH,
  MAX_METRICS_PER_WIDGET,
  type MetricDefinition,
  type MetricDefinitions,
  type MetricStat,
  SUPPORTED,
  type TranslatedQuery,
  TranslateError,
  type TranslateOptions,
  translatePromQL,
} from '../../domain/dashboards/translate';
export { type PromNode, PromQLError, parsePromQL, printPromQL } from '../../domain/languages/promql';
export {
  MAX_ALARMS_PER_STATUS_WIDGET,
  ObservabilityDashboards,
  type ObservabilityDashboardsProps,
} from './dashboards';
export {
  DEFAULT_SLOW_OPERATION_MS,
  InsightsQueries,
  type InsightsQueriesConfig,
  type InsightsQueriesProps,
  LOG_FIELDS,
  type SavedQuery,
  savedQueries,
  TRACE_ID_PLACEHOLDER,
} from './insights-queries';
