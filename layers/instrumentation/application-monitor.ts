/**
 * `ApplicationMonitor`: typed helpers with fixed metric names for what a MAIF service does
 * (requests, artifacts, search, embeddings, storage) and the business metrics. Names, kinds,
 * units and labels come from the catalog; the MAIF monitoring guide's nested on/off
 * configuration decides which instruments exist, and a helper whose metrics are all off does
 * nothing. Helpers never throw.
 */
import type { CatalogMetricName } from './catalog';
import { catalogInstrument } from './private/catalog-instruments';
import type { Counter, Gauge, Histogram, Labels, LoggerApi, MetricsApi } from './types';

/** The guide's settings (`configure_metrics` and `configure_business_metrics`) and the metrics each one turns on. */
export const APPLICATION_METRIC_SETTINGS = {
  requests: {
    rate: ['http_requests_total'],
    duration: ['http_request_duration_seconds'],
    // The status class is a label of http_requests_total: on with `rate`.
    status_codes: [],
    error_rate: ['http_request_errors_total'],
  },
  artifacts: {
    count: ['artifacts_count'],
    size_distribution: ['artifact_size_bytes'],
    creation_rate: ['artifacts_created_total', 'artifact_creation_duration_seconds'],
    access_patterns: ['artifacts_accessed_total'],
  },
  search: {
    query_rate: ['search_queries_total'],
    response_time: ['search_duration_seconds'],
    result_quality: ['search_result_quality'],
    cache_hit_ratio: ['cache_hits', 'cache_misses'],
  },
  embeddings: {
    generation_rate: ['embeddings_generated_total'],
    processing_time: ['embedding_generation_duration_seconds'],
    similarity_computations: ['similarity_computations_total'],
    index_updates: ['index_updates_total', 'index_update_duration_seconds'],
  },
  storage: {
    // storage_operations_total and storage_bytes_total carry operation=read|write: on when either is.
    read_operations: ['storage_operations_total', 'storage_bytes_total'],
    write_operations: ['storage_operations_total', 'storage_bytes_total'],
    data_size: ['storage_data_size_bytes'],
    compression_ratio: ['compression_ratio'],
  },
} as const satisfies Record<string, Record<string, readonly CatalogMetricName[]>>;

export const BUSINESS_METRIC_SETTINGS = {
  user_activity: {
    active_users: ['active_users'],
    session_duration: ['session_duration_seconds'],
    feature_usage: ['feature_usage_total'],
  },
  data_quality: {
    accuracy_scores: ['data_quality_score'],
    completeness_metrics: ['data_quality_score'],
    consistency_checks: ['data_quality_score'],
  },
} as const satisfies Record<string, Record<string, readonly CatalogMetricName[]>>;

type Toggles<T> = { readonly [G in keyof T]?: boolean | { readonly [K in keyof T[G]]?: boolean } };

/** The guide's nested booleans; a group set to `false` turns all of its metrics off. @default - everything on */
export type ApplicationMetricsConfig = Toggles<typeof APPLICATION_METRIC_SETTINGS> & {
  readonly business?: boolean | Toggles<typeof BUSINESS_METRIC_SETTINGS>;
};

export interface ApplicationMonitorOptions {
  readonly metrics: MetricsApi;
  readonly config?: ApplicationMetricsConfig;
  /** Receives `application_metric_dropped` warnings (once per helper and reason). @default - a JSON line on stderr */
  readonly logger?: LoggerApi;
}

export type DataQualityCheck = 'accuracy' | 'completeness' | 'consistency';

const QUALITY_SETTING: Readonly<Record<DataQualityCheck, string>> = {
  accuracy: 'data_quality.accuracy_scores',
  completeness: 'data_quality.completeness_metrics',
  consistency: 'data_quality.consistency_checks',
};

/** Prometheus buckets for the distributions that are not in seconds (EMF always carries the full distribution). */
const BUCKETS: Partial<Record<CatalogMetricName, readonly number[]>> = {
  artifact_size_bytes: [1024, 16_384, 262_144, 1_048_576, 16_777_216, 268_435_456, 1_073_741_824],
  search_result_quality: [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1],
  compression_ratio: [1, 1.5, 2, 3, 5, 10, 20],
};

type Instrument = Counter | Gauge | Histogram;

/** `{ group: { key: bool } }` -> the enabled `group.key` settings; unknown keys throw. */
function enabledSettings(
  where: string,
  table: Record<string, Record<string, readonly string[]>>,
  config: unknown,
  skip: readonly string[] = [],
): string[] {
  if (config === false) return [];
  if (config !== undefined && config !== true && (typeof config !== 'object' || config === null)) {
    throw new Error(
      `ApplicationMonitor: ${where} ${JSON.stringify(config)} is not allowed (use true, false or an object)`,
    );
  }
  const given = (typeof config === 'object' ? config : {}) as Record<string, unknown>;
  const groups = Object.keys(table);
  for (const key of Object.keys(given)) {
    if (!groups.includes(key) && !skip.includes(key)) {
      throw new Error(
        `ApplicationMonitor: ${where}.${key} is not a known group (use ${[...groups, ...skip].join(', ')})`,
      );
    }
  }
  const enabled: string[] = [];
  for (const group of groups) {
    const value = given[group];
    if (value === false) continue;
    if (value !== undefined && value !== true && (typeof value !== 'object' || value === null)) {
      throw new Error(
        `ApplicationMonitor: ${where}.${group} ${JSON.stringify(value)} is not allowed (use true, false or an object)`,
      );
    }
    const settings = (typeof value === 'object' ? value : {}) as Record<string, unknown>;
    const names = Object.keys(table[group]);
    for (const key of Object.keys(settings)) {
      if (!names.includes(key)) {
        throw new Error(
          `ApplicationMonitor: ${where}.${group}.${key} is not a known setting (use ${names.join(', ')})`,
        );
      }
      if (typeof settings[key] !== 'boolean') {
        throw new Error(
          `ApplicationMonitor: ${where}.${group}.${key} ${JSON.stringify(settings[key])} is not allowed (use true or false)`,
        );
      }
    }
    for (const name of names) if (settings[name] !== false) enabled.push(`${group}.${name}`);
  }
  return enabled;
}

function statusClass(statusCode: number | undefined, error: boolean): string {
  if (typeof statusCode === 'number' && Number.isInteger(statusCode) && statusCode >= 100 && statusCode < 600) {
    return `${Math.floor(statusCode / 100)}xx`;
  }
  return error ? '5xx' : '2xx';
}

export class ApplicationMonitor {
  /** The enabled settings, e.g. `requests.rate`, `business.data_quality.accuracy_scores`. */
  readonly settings: ReadonlySet<string>;
  readonly #instruments = new Map<CatalogMetricName, Instrument>();
  readonly #logger: LoggerApi | undefined;
  readonly #warned = new Set<string>();

  constructor(options: ApplicationMonitorOptions) {
    if (options?.metrics === undefined) {
      throw new Error('ApplicationMonitor: metrics is required (pass a Metrics instance)');
    }
    const config = options.config;
    if (config !== undefined && (typeof config !== 'object' || config === null)) {
      throw new Error(`ApplicationMonitor: config ${JSON.stringify(config)} is not allowed (use an object of groups)`);
    }
    this.#logger = options.logger;
    const app = enabledSettings('config', APPLICATION_METRIC_SETTINGS, config, ['business']);
    const business = enabledSettings('config.business', BUSINESS_METRIC_SETTINGS, config?.business).map(
      (s) => `business.${s}`,
    );
    this.settings = new Set([...app, ...business]);
    const names = new Set<CatalogMetricName>();
    for (const setting of app) {
      const [group, key] = setting.split('.');
      for (const n of (APPLICATION_METRIC_SETTINGS as Record<string, Record<string, readonly CatalogMetricName[]>>)[
        group
      ][key]) {
        names.add(n);
      }
    }
    for (const setting of business) {
      const [, group, key] = setting.split('.');
      for (const n of (BUSINESS_METRIC_SETTINGS as Record<string, Record<string, readonly CatalogMetricName[]>>)[group][
        key
      ]) {
        names.add(n);
      }
    }
    for (const name of names) this.#instruments.set(name, instrumentFor(options.metrics, name));
  }

  /**
   * One handled request: `http_requests_total{operation,status_class}`,
   * `http_request_duration_seconds{operation}` and, for a 5xx or `error: true`,
   * `http_request_errors_total{operation}`. Error rate = errors / requests (metric math).
   */
  recordRequest(request: {
    readonly operation: string;
    readonly statusCode?: number;
    readonly durationMs?: number;
    readonly error?: boolean;
  }): void {
    this.#guard('recordRequest', () => {
      const operation = request.operation;
      const cls = statusClass(request.statusCode, request.error === true);
      this.#count('http_requests_total', { operation, status_class: cls });
      if (request.durationMs !== undefined)
        this.#seconds('http_request_duration_seconds', { operation }, request.durationMs);
      if (request.error === true || cls === '5xx') this.#count('http_request_errors_total', { operation });
    });
  }

  /** One created artifact: count by type, size distribution and creation time. */
  artifactCreated(artifact: {
    readonly type: string;
    readonly sizeBytes?: number;
    readonly durationMs?: number;
  }): void {
    this.#guard('artifactCreated', () => {
      const labels = { artifact_type: artifact.type };
      this.#count('artifacts_created_total', labels);
      if (artifact.sizeBytes !== undefined) this.#observe('artifact_size_bytes', labels, artifact.sizeBytes);
      if (artifact.durationMs !== undefined)
        this.#seconds('artifact_creation_duration_seconds', labels, artifact.durationMs);
    });
  }

  /** One access to an artifact; `accessType` is the access pattern (read, write, list, ...). */
  artifactAccessed(access: { readonly type: string; readonly accessType: string }): void {
    this.#guard('artifactAccessed', () => {
      this.#count('artifacts_accessed_total', { artifact_type: access.type, access_type: access.accessType });
    });
  }

  /** The number of artifacts stored (a gauge: set it when you know it). */
  setArtifactCount(count: number): void {
    this.#guard('setArtifactCount', () => this.#set('artifacts_count', undefined, count));
  }

  /**
   * One semantic search: query count and response time by index, result quality (0..1) and,
   * when `cacheHit` is given, a cache hit or miss on cache `cache` (default: the index).
   */
  searchPerformed(search: {
    readonly index: string;
    readonly durationMs?: number;
    readonly resultQuality?: number;
    readonly cacheHit?: boolean;
    readonly cache?: string;
  }): void {
    this.#guard('searchPerformed', () => {
      const labels = { index: search.index };
      this.#count('search_queries_total', labels);
      if (search.durationMs !== undefined) this.#seconds('search_duration_seconds', labels, search.durationMs);
      if (search.resultQuality !== undefined) {
        this.#fraction('searchPerformed', 'resultQuality', search.resultQuality, (q) =>
          this.#observe('search_result_quality', labels, q),
        );
      }
      if (search.cacheHit !== undefined) {
        this.#count(search.cacheHit ? 'cache_hits' : 'cache_misses', { cache: search.cache ?? search.index });
      }
    });
  }

  /** One batch of `count` embeddings generated by `model` in `durationMs`. */
  embeddingsGenerated(batch: { readonly model: string; readonly count?: number; readonly durationMs?: number }): void {
    this.#guard('embeddingsGenerated', () => {
      const labels = { model: batch.model };
      this.#count('embeddings_generated_total', labels, batch.count ?? 1);
      if (batch.durationMs !== undefined)
        this.#seconds('embedding_generation_duration_seconds', labels, batch.durationMs);
    });
  }

  /** `count` similarity computations (default 1) with `model`'s embeddings. */
  similarityComputed(computation: { readonly model: string; readonly count?: number }): void {
    this.#guard('similarityComputed', () => {
      this.#count('similarity_computations_total', { model: computation.model }, computation.count ?? 1);
    });
  }

  /** One update of a vector index. */
  indexUpdated(update: { readonly index: string; readonly durationMs?: number }): void {
    this.#guard('indexUpdated', () => {
      this.#count('index_updates_total', { index: update.index });
      if (update.durationMs !== undefined)
        this.#seconds('index_update_duration_seconds', { index: update.index }, update.durationMs);
    });
  }

  /** One storage read or write of `bytes`; a write may give its compression ratio (uncompressed / compressed). */
  storageOperation(op: {
    readonly operation: 'read' | 'write';
    readonly bytes?: number;
    readonly compressionRatio?: number;
  }): void {
    this.#guard('storageOperation', () => {
      if (op.operation !== 'read' && op.operation !== 'write') {
        this.#drop('storageOperation', `operation ${JSON.stringify(op.operation)} is not read or write`);
        return;
      }
      if (!this.settings.has(op.operation === 'read' ? 'storage.read_operations' : 'storage.write_operations')) return;
      const labels = { operation: op.operation };
      this.#count('storage_operations_total', labels);
      if (op.bytes !== undefined) this.#count('storage_bytes_total', labels, op.bytes);
      if (op.compressionRatio !== undefined) this.#observe('compression_ratio', undefined, op.compressionRatio);
    });
  }

  /** The data stored, in bytes (a gauge). */
  setStorageSize(bytes: number): void {
    this.#guard('setStorageSize', () => this.#set('storage_data_size_bytes', undefined, bytes));
  }

  /** Users active in the last interval (a gauge). */
  setActiveUsers(count: number): void {
    this.#guard('setActiveUsers', () => this.#set('active_users', undefined, count));
  }

  /** One user session ended after `durationMs`. */
  sessionEnded(durationMs: number): void {
    this.#guard('sessionEnded', () => this.#seconds('session_duration_seconds', undefined, durationMs));
  }

  /** One use of `feature` (keep feature names a small, fixed set: each is a CloudWatch metric). */
  featureUsed(feature: string): void {
    this.#guard('featureUsed', () => this.#count('feature_usage_total', { feature }));
  }

  /** A data quality score between 0 and 1, reported as a percentage on `data_quality_score{check}`. */
  dataQuality(result: { readonly check: DataQualityCheck; readonly score: number }): void {
    this.#guard('dataQuality', () => {
      const setting = QUALITY_SETTING[result.check];
      if (setting === undefined) {
        this.#drop('dataQuality', `check ${JSON.stringify(result.check)} is not accuracy, completeness or consistency`);
        return;
      }
      if (!this.settings.has(`business.${setting}`)) return;
      this.#fraction('dataQuality', 'score', result.score, (s) =>
        this.#set('data_quality_score', { check: result.check }, s * 100),
      );
    });
  }

  #count(name: CatalogMetricName, labels: Labels | undefined, by = 1): void {
    const counter = this.#instruments.get(name) as Counter | undefined;
    if (counter !== undefined && this.#valid(name, by)) counter.inc(labels, by);
  }

  #observe(name: CatalogMetricName, labels: Labels | undefined, value: number): void {
    const histogram = this.#instruments.get(name) as Histogram | undefined;
    if (histogram !== undefined && this.#valid(name, value)) histogram.observe(labels, value);
  }

  /** Durations arrive in milliseconds; the catalog's `_seconds` metrics take seconds. */
  #seconds(name: CatalogMetricName, labels: Labels | undefined, durationMs: number): void {
    this.#observe(name, labels, durationMs / 1000);
  }

  #set(name: CatalogMetricName, labels: Labels | undefined, value: number): void {
    const gauge = this.#instruments.get(name) as Gauge | undefined;
    if (gauge !== undefined && this.#valid(name, value)) gauge.set(labels, value);
  }

  /** Counts, sizes, durations and gauges here are all finite and non-negative. */
  #valid(name: CatalogMetricName, value: number): boolean {
    if (typeof value === 'number' && Number.isFinite(value) && value >= 0) return true;
    this.#drop(name, `${value} is not allowed (use a finite number from 0)`);
    return false;
  }

  #fraction(helper: string, field: string, value: number, use: (v: number) => void): void {
    if (typeof value !== 'number' || !(value >= 0 && value <= 1)) {
      this.#drop(helper, `${field} ${value} is not allowed (use a number from 0 to 1)`);
      return;
    }
    use(value);
  }

  #guard(helper: string, body: () => void): void {
    try {
      body();
    } catch (error) {
      this.#drop(helper, `failed: ${String(error)}`);
    }
  }

  #drop(where: string, reason: string): void {
    const key = `${where}:${reason}`;
    if (this.#warned.has(key)) return;
    this.#warned.add(key);
    try {
      if (this.#logger) this.#logger.warn('application_metric_dropped', { metric: where, reason });
      else
        process.stderr.write(
          `${JSON.stringify({ level: 'WARN', event: 'application_metric_dropped', metric: where, reason })}\n`,
        );
    } catch {
      // A failing logger must not turn a dropped data point into an exception.
    }
  }
}

/** Creates `name`'s instrument from its catalog entry. */
function instrumentFor(metrics: MetricsApi, name: CatalogMetricName): Instrument {
  return catalogInstrument(metrics, name, BUCKETS[name]) as Instrument;
}
