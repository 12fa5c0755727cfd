/**
 * The metric catalog: every metric the kit emits, with its kind, unit, labels and meaning.
 * One source of truth for ApplicationMonitor, SystemMonitor, the middleware, the dashboards,
 * the alert rule compiler and the catalog table of the reference page (`npm run docs`).
 */
import type { MetricUnit } from './types';

/** The `state` label values of network_connections; rarer states are merged. */
export const TCP_STATES = [
  'established',
  'syn_sent',
  'syn_recv',
  'fin_wait',
  'time_wait',
  'close_wait',
  'listen',
  'other',
] as const;
export type TcpState = (typeof TCP_STATES)[number];

export type MetricKind = 'counter' | 'gauge' | 'histogram' | 'summary';

export interface CatalogEntry {
  readonly kind: MetricKind;
  readonly unit: MetricUnit;
  readonly labels: readonly string[];
  readonly group: string;
  readonly description: string;
}

// generic in the kind so the catalog's type knows each metric's kind (typed helpers pick by it)
const c = <K extends MetricKind>(
  kind: K,
  unit: MetricUnit,
  labels: readonly string[],
  group: string,
  description: string,
): CatalogEntry & { readonly kind: K } => ({ kind, unit, labels, group, description });

export const METRIC_CATALOG = {
  // requests (ApplicationMonitor.request / the instrument() middleware)
  http_requests_total: c(
    'counter',
    'Count',
    ['operation', 'status_class'],
    'requests',
    'Requests handled; status_class is 2xx, 4xx or 5xx',
  ),
  http_request_errors_total: c(
    'counter',
    'Count',
    ['operation'],
    'requests',
    'Requests that failed (5xx or a thrown error)',
  ),
  http_request_duration_seconds: c('histogram', 'Seconds', ['operation'], 'requests', 'Request duration'),
  cold_starts_total: c('counter', 'Count', ['function_name'], 'requests', 'Lambda cold starts'),
  // artifacts
  artifacts_created_total: c('counter', 'Count', ['artifact_type'], 'artifacts', 'Artifacts created'),
  artifacts_accessed_total: c(
    'counter',
    'Count',
    ['artifact_type', 'access_type'],
    'artifacts',
    'Artifact reads and writes by access pattern',
  ),
  artifacts_count: c('gauge', 'Count', [], 'artifacts', 'Artifacts stored'),
  artifact_size_bytes: c(
    'histogram',
    'Bytes',
    ['artifact_type'],
    'artifacts',
    'Size distribution of created artifacts',
  ),
  artifact_creation_duration_seconds: c(
    'histogram',
    'Seconds',
    ['artifact_type'],
    'artifacts',
    'Time to create an artifact',
  ),
  // search
  search_queries_total: c('counter', 'Count', ['index'], 'search', 'Semantic search queries'),
  search_duration_seconds: c('histogram', 'Seconds', ['index'], 'search', 'Semantic search response time'),
  search_result_quality: c('histogram', 'None', ['index'], 'search', 'Result quality score (0..1) of each query'),
  cache_hits: c('counter', 'Count', ['cache'], 'search', 'Search cache hits'),
  cache_misses: c('counter', 'Count', ['cache'], 'search', 'Search cache misses'),
  // embeddings
  embeddings_generated_total: c('counter', 'Count', ['model'], 'embeddings', 'Embeddings generated'),
  embedding_generation_duration_seconds: c(
    'histogram',
    'Seconds',
    ['model'],
    'embeddings',
    'Time to generate one batch of embeddings',
  ),
  similarity_computations_total: c('counter', 'Count', ['model'], 'embeddings', 'Similarity computations'),
  index_updates_total: c('counter', 'Count', ['index'], 'embeddings', 'Vector index updates'),
  index_update_duration_seconds: c('histogram', 'Seconds', ['index'], 'embeddings', 'Time to update the vector index'),
  // storage
  storage_operations_total: c(
    'counter',
    'Count',
    ['operation'],
    'storage',
    'Storage reads and writes (operation is read or write)',
  ),
  storage_bytes_total: c('counter', 'Bytes', ['operation'], 'storage', 'Bytes read and written'),
  storage_data_size_bytes: c('gauge', 'Bytes', [], 'storage', 'Data stored'),
  compression_ratio: c('histogram', 'None', [], 'storage', 'Uncompressed / compressed size of each write'),
  // business
  active_users: c('gauge', 'Count', [], 'business', 'Users active in the last interval'),
  session_duration_seconds: c('histogram', 'Seconds', [], 'business', 'User session duration'),
  feature_usage_total: c('counter', 'Count', ['feature'], 'business', 'Uses of each feature'),
  data_quality_score: c(
    'gauge',
    'Percent',
    ['check'],
    'business',
    'Data quality: accuracy, completeness and consistency scores',
  ),
  // system (SystemMonitor)
  cpu_utilization: c('gauge', 'Percent', [], 'system', 'CPU busy time since the previous sample'),
  load_average_1m: c('gauge', 'None', [], 'system', 'One-minute load average'),
  context_switches_total: c('counter', 'Count', [], 'system', 'Context switches since the previous sample'),
  interrupts_total: c('counter', 'Count', [], 'system', 'Interrupts since the previous sample'),
  memory_usage: c('gauge', 'Percent', [], 'system', 'Memory in use (total - available) / total'),
  memory_available_bytes: c('gauge', 'Bytes', [], 'system', 'Memory available'),
  swap_usage: c('gauge', 'Percent', [], 'system', 'Swap in use'),
  page_faults_total: c('counter', 'Count', ['type'], 'system', 'Page faults since the previous sample (minor, major)'),
  disk_usage: c('gauge', 'Percent', ['mount'], 'system', 'Disk space in use'),
  disk_io_operations_total: c('counter', 'Count', ['direction'], 'system', 'Disk reads and writes completed'),
  disk_io_bytes_total: c('counter', 'Bytes', ['direction'], 'system', 'Disk bytes read and written'),
  disk_io_time_ms: c('gauge', 'Milliseconds', [], 'system', 'Average time per disk I/O since the previous sample'),
  network_bytes_total: c('counter', 'Bytes', ['direction'], 'system', 'Network bytes received and sent'),
  network_packets_total: c('counter', 'Count', ['direction'], 'system', 'Network packets received and sent'),
  network_errors_total: c('counter', 'Count', ['direction'], 'system', 'Network errors and drops'),
  network_connections: c('gauge', 'Count', ['state'], 'system', 'TCP connections by state'),
  // performance (PerformanceTracer)
  operation_duration_seconds: c('histogram', 'Seconds', ['operation'], 'performance', 'Wall time of traced operations'),
  performance_threshold_breaches_total: c(
    'counter',
    'Count',
    ['operation', 'threshold'],
    'performance',
    'Threshold breaches: slow_operation, memory_spike, high_cpu, io_bottleneck',
  ),
  performance_baseline_seconds: c(
    'gauge',
    'Seconds',
    ['metric'],
    'performance',
    'Baseline learned by the baseline monitor from the last 7 days',
  ),
  // health probes (lambdas/health-probe)
  up: c('gauge', 'None', ['target'], 'health', '1 when the probed target answered healthy, else 0'),
  probe_duration_seconds: c('gauge', 'Seconds', ['target'], 'health', 'Probe latency'),
  // the kit's own health
  maif_obs_dropped_series_total: c('counter', 'Count', ['metric'], 'kit', 'Series dropped by the cardinality limit'),
  maif_obs_dropped_observations_total: c(
    'counter',
    'Count',
    ['reason'],
    'kit',
    'Observations dropped (undeclared label, non-finite value, internal error)',
  ),
  maif_obs_log_events_total: c(
    'counter',
    'Count',
    ['outcome'],
    'kit',
    'Log aggregator events: received, processed, dead_lettered',
  ),
  maif_obs_alert_events_total: c(
    'counter',
    'Count',
    ['outcome'],
    'kit',
    'Router intake: alert events by outcome (routed, duplicate, silenced, inhibited, malformed, ...)',
  ),
  heartbeat_received: c(
    'counter',
    'Count',
    [],
    'kit',
    'Heartbeat alerts that crossed the whole alert path; its absence raises the watchdog alarm',
  ),
} as const satisfies Record<string, CatalogEntry>;

export type CatalogMetricName = keyof typeof METRIC_CATALOG;

/**
 * The system metrics `instrument({ system: true })` samples in a Lambda function: memory_usage
 * (the process's share of the function's memory) and disk_usage of /tmp. The alert rule check
 * (domain/rules/emitters.ts) counts them as emitted when `metrics.system.lambda` is on.
 */
export const SAMPLED_SYSTEM_METRICS = ['memory_usage', 'disk_usage'] as const satisfies readonly CatalogMetricName[];
