/**
 * The zod schema of `observability.config.ts`: what the MAIF monitoring guide configures as dicts,
 * typed. Every object is strict (unknown keys are rejected with the list of allowed keys) and every
 * custom type writes its own message, `<value received> is not <what is allowed>`; resolve.ts
 * prefixes the field path. Cross references (tables, channels, names) are checked in checks.ts.
 */
import { z } from 'zod';
import { LOG_LEVELS, METRIC_UNITS } from '../../layers/instrumentation/types';
import {
  DURATION_HINT,
  isDuration,
  isPercent,
  isRetention,
  isSize,
  PERCENT_HINT,
  parseRetention,
  RETENTION_HINT,
  SIZE_HINT,
  show,
} from '../../layers/instrumentation/units';
import { SEVERITIES } from '../contracts/severity';
import { ExpressionError, parseExpression } from '../languages/expression';
import {
  isOpenSearchInstanceCount,
  OPENSEARCH_DEFAULTS,
  OPENSEARCH_ENGINE_VERSION_RE,
  OPENSEARCH_INSTANCE_TYPE_RE,
  OPENSEARCH_LIMITS,
} from './opensearch-limits';

export { LOG_LEVELS, METRIC_UNITS };

/** The MAIF monitoring guide's system metric groups (SystemMonitor.configure_metrics). */
export const SYSTEM_METRICS = {
  cpu: ['utilization', 'load_average', 'context_switches', 'interrupts'],
  memory: ['usage', 'available', 'swap_usage', 'page_faults'],
  disk: ['usage', 'io_operations', 'throughput', 'latency'],
  network: ['bandwidth', 'packets', 'errors', 'connections'],
} as const;

/** The guide's application metric groups (ApplicationMonitor.configure_metrics). */
export const APPLICATION_METRICS = {
  requests: ['rate', 'duration', 'status_codes', 'error_rate'],
  artifacts: ['count', 'size_distribution', 'creation_rate', 'access_patterns'],
  search: ['query_rate', 'response_time', 'result_quality', 'cache_hit_ratio'],
  embeddings: ['generation_rate', 'processing_time', 'similarity_computations', 'index_updates'],
  storage: ['read_operations', 'write_operations', 'data_size', 'compression_ratio'],
} as const;

/** The guide's business metric groups (ApplicationMonitor.configure_business_metrics). */
export const BUSINESS_METRICS = {
  user_activity: ['active_users', 'session_duration', 'feature_usage'],
  data_quality: ['accuracy_scores', 'completeness_metrics', 'consistency_checks'],
} as const;

export const LIMITS = {
  MAX_NAME_LENGTH: 128,
  MIN_LAMBDA_MEMORY_MB: 128,
  MAX_LAMBDA_MEMORY_MB: 10240,
  /** The probe Lambda's own timeout bounds a target's. */
  MAX_PROBE_TIMEOUT_MS: 30_000,
  /** EventBridge `rate()` schedules count whole minutes. */
  MIN_SCHEDULE_MS: 60_000,
  MAX_SERIES_PER_METRIC: 1_000_000,
} as const;

// ---------------------------------------------------------------- leaf types

type WithInput = { readonly input?: unknown };
const isNot = (what: string) => (iss: WithInput) => `${show(iss.input)} is not ${what}`;

/** A string that passes `test`, with one message for both a wrong type and a failed test. */
function textOf(what: string, test: (s: string) => boolean) {
  return z.string({ error: isNot(what) }).refine(test, { error: isNot(what) });
}

const NAME_RE = /^[A-Za-z][A-Za-z0-9_.-]*$/;
const PATH_RE = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z0-9_]+)*$/;
const LABEL_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;
const SECRET_NAME_RE = /^(arn:aws[\w-]*:secretsmanager:[\w-]+:\d{12}:secret:)?[A-Za-z0-9/_+=.@-]{1,512}$/;
const EMAIL_RE = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const LOG_GROUP_RE = /^[.\-_/#A-Za-z0-9]+\*?$/;

const nonEmpty = () => textOf('a non-empty string', (s) => s.trim().length > 0);
const name = () =>
  textOf(
    `a name (letters, digits, _ . -, starting with a letter, at most ${LIMITS.MAX_NAME_LENGTH} characters)`,
    (s) => NAME_RE.test(s) && s.length <= LIMITS.MAX_NAME_LENGTH,
  );
const fieldPath = () => textOf('a field path (e.g. user_id, labels.service)', (s) => PATH_RE.test(s));
const labelName = () => textOf('a label name (letters, digits and _)', (s) => LABEL_RE.test(s));
const duration = () => textOf(`a duration (${DURATION_HINT})`, isDuration);
const size = () => textOf(`a size (${SIZE_HINT})`, isSize);
const percent = () => textOf(`a percentage (${PERCENT_HINT})`, isPercent);
const retention = () => textOf(`a CloudWatch retention (${RETENTION_HINT})`, isRetention);
const bool = () => z.boolean({ error: isNot('a boolean (true or false)') });
const num = () =>
  z.number({ error: isNot('a finite number') }).refine(Number.isFinite, { error: isNot('a finite number') });
const rate = () =>
  z.number({ error: isNot('a sampling rate between 0 and 1') }).refine((n) => n >= 0 && n <= 1, {
    error: isNot('a sampling rate between 0 and 1'),
  });
const intIn = (min: number, max: number) =>
  z
    .number({ error: isNot(`an integer from ${min} to ${max}`) })
    .refine((n) => Number.isInteger(n) && n >= min && n <= max, { error: isNot(`an integer from ${min} to ${max}`) });
const oneOf = <const T extends readonly [string, ...string[]]>(values: T) =>
  z.enum(values, { error: isNot(`one of ${values.map((v) => `'${v}'`).join(', ')}`) });
const url = (schemes: readonly string[]) =>
  textOf(`a URL (${schemes.map((s) => `${s}://...`).join(' or ')})`, (s) => {
    try {
      return schemes.includes(new URL(s).protocol.slice(0, -1));
    } catch {
      return false;
    }
  });
/** A Secrets Manager secret name or ARN; secret values never live in configuration. */
const secretName = () =>
  textOf(
    'a Secrets Manager secret name (e.g. maif/slack-webhook)',
    (s) => SECRET_NAME_RE.test(s) && !s.includes('://'),
  );

const HHMM_RE = /^([01]\d|2[0-3]):[0-5]\d$|^24:00$/;
const DATE_RE = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/;
const isIsoTime = (s: string) => /^\d{4}-\d{2}-\d{2}T/.test(s) && Number.isFinite(Date.parse(s));
const isTimeZone = (zone: string) => {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
};

/** A condition in the safe expression language (domain/languages/expression.ts). */
export const expression = () =>
  z.string({ error: isNot("an expression (e.g. severity == 'critical')") }).superRefine((source, ctx) => {
    try {
      parseExpression(source);
    } catch (error) {
      const detail =
        error instanceof ExpressionError
          ? error.message.slice(`expression ${JSON.stringify(source)}: `.length)
          : String(error);
      ctx.addIssue({ code: 'custom', input: source, message: `${show(source)} is not a valid expression (${detail})` });
    }
  });

/** A strict object whose unknown keys are reported with the list of allowed keys. */
function strict<T extends z.core.$ZodLooseShape>(shape: T, alsoAllowed: readonly string[] = []) {
  const allowed = [...Object.keys(shape), ...alsoAllowed].join(', ');
  return z.strictObject(shape, {
    error: (iss) => {
      if (iss.code === 'unrecognized_keys') {
        const keys = iss.keys.map((k) => `'${k}'`).join(', ');
        return `${keys} is not an allowed key (allowed: ${allowed})`;
      }
      if (iss.code === 'invalid_type') return `${show(iss.input)} is not an object`;
      return undefined;
    },
  });
}

/** A discriminated union whose messages name the discriminator's value and its allowed values. */
function tagged<
  const D extends string,
  const O extends readonly [z.core.$ZodTypeDiscriminable, ...z.core.$ZodTypeDiscriminable[]],
>(discriminator: D, options: O, what: string) {
  return z.discriminatedUnion(discriminator, options, {
    error: (iss) => {
      if (iss.code === 'invalid_union' && 'options' in iss) {
        const allowed = (iss.options as readonly unknown[]).map((o) => `'${String(o)}'`).join(', ');
        const received =
          typeof iss.input === 'object' && iss.input !== null
            ? (iss.input as Record<string, unknown>)[discriminator]
            : iss.input;
        return `${show(received)} is not one of ${allowed}`;
      }
      return `${show(iss.input)} is not ${what}`;
    },
  });
}

const list = <T extends z.ZodType>(item: T) => z.array(item, { error: isNot('a list') });
const dict = <V extends z.ZodType>(key: z.ZodType<string>, value: V) =>
  z.record(key, value, { error: isNot('an object') });

type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
const json: z.ZodType<JsonValue> = z.lazy(() =>
  z.union([z.string(), num(), z.boolean(), z.null(), z.array(json), z.record(z.string(), json)], {
    error: isNot('a JSON value'),
  }),
);

/** `{ utilization: true, ... }`: every flag defaults to on, as the guide turns them all on. */
function flags<const K extends readonly string[]>(keys: K) {
  const shape: Record<string, z.ZodDefault<z.ZodBoolean>> = {};
  for (const k of keys) shape[k] = bool().default(true);
  // Generic shapes hide from TypeScript that every key has a default, hence the cast.
  return strict(shape as { [P in K[number]]: z.ZodDefault<z.ZodBoolean> }).prefault({} as never);
}

function groups<
  const G extends Record<string, readonly string[]>,
  E extends z.core.$ZodLooseShape = Record<never, never>,
>(table: G, extra?: E) {
  const shape: Record<string, z.ZodType> = {};
  for (const [group, keys] of Object.entries(table)) shape[group] = flags(keys);
  Object.assign(shape, extra);
  return strict(shape as { [P in keyof G]: ReturnType<typeof flags<G[P]>> } & E).prefault({} as never);
}

// ---------------------------------------------------------------- sections

const lambdaSchema = strict({
  runtime: oneOf(['nodejs20.x', 'nodejs22.x', 'nodejs24.x']).default('nodejs24.x'),
  architecture: oneOf(['arm64', 'x86_64']).default('arm64'),
  memoryMb: intIn(LIMITS.MIN_LAMBDA_MEMORY_MB, LIMITS.MAX_LAMBDA_MEMORY_MB).default(256),
}).prefault({});

const customMetricSchema = strict({
  name: labelName(),
  kind: oneOf(['counter', 'gauge', 'histogram', 'summary']),
  description: z.string().default(''),
  labels: list(labelName()).default([]),
  unit: oneOf(METRIC_UNITS).optional(),
  buckets: list(num()).optional(),
  quantiles: list(rate()).optional(),
});

const metricsSchema = strict({
  collectionInterval: duration().default('60s'),
  retentionPeriod: duration().default('30d'),
  exportFormat: oneOf(['emf', 'prometheus']).default('emf'),
  detailedMonitoring: bool().default(false),
  system: groups(SYSTEM_METRICS, {
    /**
     * Instrumented Lambda functions sample memory_usage and disk_usage of /tmp (instrumentFunction
     * sets MAIF_SYSTEM_SAMPLING to collectionInterval, and `instrument()` reads it).
     */
    lambda: bool().default(false),
  }),
  application: groups(APPLICATION_METRICS),
  business: groups(BUSINESS_METRICS),
  custom: list(customMetricSchema).default([]),
  cardinality: strict({
    maxSeriesPerMetric: intIn(1, LIMITS.MAX_SERIES_PER_METRIC).default(10_000),
    cardinalityWarningThreshold: intIn(1, LIMITS.MAX_SERIES_PER_METRIC).default(5_000),
  }).prefault({}),
}).prefault({});

/** The parsers a `logging.sources` entry may name: the log aggregator's own (domain/logs/parsers). */
export const LOG_SOURCE_PARSERS = ['json', 'syslog', 'nginx'] as const;

const logSourceSchema = strict({
  name: name(),
  path: nonEmpty(),
  parser: oneOf(LOG_SOURCE_PARSERS),
  tags: dict(labelName(), z.string({ error: isNot('a string') })).default({}),
});

const processingRuleSchema = tagged(
  'action',
  [
    strict({
      name: name(),
      condition: expression(),
      action: z.literal('enrich'),
      field: fieldPath(),
      table: name(),
      target: fieldPath().optional(),
    }),
    strict({
      name: name(),
      condition: expression(),
      action: z.literal('trigger_alert'),
      severity: oneOf(SEVERITIES),
      alert: name().optional(),
      labels: dict(labelName(), z.string({ error: isNot('a string') })).optional(),
    }),
    strict({
      name: name(),
      condition: expression(),
      action: z.literal('extract_metric'),
      metric: labelName(),
      value: fieldPath().optional(),
      unit: oneOf(METRIC_UNITS).default('Count'),
      dimensions: list(fieldPath()).optional(),
    }),
    strict({ name: name(), condition: expression(), action: z.literal('drop') }),
  ],
  'a processing rule (an object with an action)',
);

const INSTANCE_COUNT_HINT = `1, an even number or a multiple of 3, from 1 to ${OPENSEARCH_LIMITS.MAX_INSTANCES} (data nodes are spread evenly over 2 or 3 zones)`;

/**
 * The optional OpenSearch destination of the aggregated log group (the MAIF monitoring guide's
 * Elasticsearch/Kibana): off by default; see lib/log-opensearch.ts and the logs guide for its
 * cost.
 */
const opensearchSchema = strict({
  enabled: bool().default(false),
  instanceType: textOf('an OpenSearch instance type (e.g. t3.small.search)', (s) =>
    OPENSEARCH_INSTANCE_TYPE_RE.test(s),
  ).default(OPENSEARCH_DEFAULTS.instanceType),
  /** Zone awareness spreads data nodes evenly over 2 (an even count) or 3 (a multiple of 3) zones. */
  instanceCount: z
    .number({ error: isNot(INSTANCE_COUNT_HINT) })
    .refine(isOpenSearchInstanceCount, { error: isNot(INSTANCE_COUNT_HINT) })
    .default(OPENSEARCH_DEFAULTS.instanceCount),
  /** gp3 EBS per data node; gp3's minimum is 10 GB, and each instance type has its own maximum. */
  volumeGb: intIn(OPENSEARCH_LIMITS.MIN_VOLUME_GB, OPENSEARCH_LIMITS.MAX_VOLUME_GB).default(
    OPENSEARCH_DEFAULTS.volumeGb,
  ),
  engineVersion: textOf("an OpenSearch engine version (e.g. 'OpenSearch_2.19')", (s) =>
    OPENSEARCH_ENGINE_VERSION_RE.test(s),
  ).default(OPENSEARCH_DEFAULTS.engineVersion),
  /** Three dedicated master nodes of this type; none by default. */
  dedicatedMasterType: textOf('an OpenSearch instance type (e.g. m7g.large.search)', (s) =>
    OPENSEARCH_INSTANCE_TYPE_RE.test(s),
  ).optional(),
  /** How long documents OpenSearch rejected stay in the backup bucket. */
  failedDocumentsRetention: textOf('a number of days (e.g. 30d)', (s) => /^[1-9]\d{0,4}d$/.test(s)).default(
    `${OPENSEARCH_DEFAULTS.failedDocumentsDays}d`,
  ),
}).prefault({});

const loggingSchema = strict({
  level: oneOf(LOG_LEVELS).default('INFO'),
  retention: retention().default('30d'),
  debugSampleRate: rate().default(0.01),
  includeTraceId: bool().default(true),
  redact: list(nonEmpty()).default(['authorization', 'cookie', 'password', 'secret', 'token']),
  logGroups: list(
    textOf('a log group name (letters, digits, . - _ / #, optionally ending in *)', (s) => LOG_GROUP_RE.test(s)),
  ).default([]),
  sources: list(logSourceSchema).default([]),
  aggregation: strict({
    bufferSize: size().default('10MB'),
    flushInterval: duration().default('30s'),
    compression: bool().default(true),
  }).prefault({}),
  processingRules: list(processingRuleSchema).default([]),
  lookupTables: dict(name(), dict(z.string(), dict(z.string(), json))).default({}),
  opensearch: opensearchSchema,
})
  .prefault({})
  .transform((logging) => ({ ...logging, retentionDays: parseRetention(logging.retention) }));

const exporterSchema = tagged(
  'type',
  [
    strict({ type: z.literal('xray'), enabled: bool().default(true) }),
    strict({ type: z.literal('console'), enabled: bool().default(true) }),
    strict({
      type: oneOf(['jaeger', 'zipkin', 'otlp']),
      endpoint: url(['http', 'https']),
      enabled: bool().default(true),
    }),
  ],
  'an exporter (an object with a type)',
);

const tracingSchema = strict({
  sampling: z
    .object({ default: rate().default(0.1) }, { error: isNot('an object') })
    .catchall(rate())
    .prefault({}),
  propagation: list(oneOf(['xray', 'w3c', 'b3', 'jaeger'])).default(['xray', 'w3c']),
  autoInstrumentation: bool().default(true),
  exporters: list(exporterSchema).default([{ type: 'xray', enabled: true }]),
  performance: strict({
    detailedTiming: bool().default(true),
    memoryTracking: bool().default(true),
    cpuProfiling: bool().default(false),
    track: flags(['memory_allocations', 'cpu_usage', 'io_operations', 'network_calls']),
    thresholds: strict({
      slow_operation: duration().default('1s'),
      memory_spike: size().default('100MB'),
      high_cpu: percent().default('80%'),
      io_bottleneck: duration().default('100ms'),
    }).prefault({}),
  }).prefault({}),
}).prefault({});

const statusCode = intIn(100, 599);

const healthTargetSchema = tagged(
  'type',
  [
    strict({
      name: name(),
      type: z.literal('https'),
      url: url(['https']),
      /** Healthy statuses; when absent, 200-399. */
      expectStatus: z
        .union([statusCode, list(statusCode)], { error: isNot('a status code or a list of them') })
        .optional(),
      /** A substring the body must contain. */
      expectBody: z.string({ error: isNot('a string') }).optional(),
      headers: dict(z.string(), z.string({ error: isNot('a string') })).optional(),
      timeout: duration().default('5s'),
    }),
    strict({
      name: name(),
      type: z.literal('lambda'),
      functionName: nonEmpty(),
      qualifier: nonEmpty().optional(),
      payload: json.optional(),
      timeout: duration().default('5s'),
    }),
  ],
  'a health check target (an object with a type)',
);

const healthChecksSchema = strict({
  schedule: duration().default('1m'),
  targets: list(healthTargetSchema).default([]),
}).prefault({});

const dashboardSchema = strict({
  title: nonEmpty(),
  panels: list(
    strict({
      title: nonEmpty(),
      type: oneOf(['graph', 'timeseries', 'singlestat', 'stat', 'gauge', 'table', 'text']),
      targets: list(strict({ expr: nonEmpty(), legend: z.string({ error: isNot('a string') }).optional() })).default(
        [],
      ),
    }),
  ).default([]),
});

const realtimeSchema = strict({
  updateInterval: duration().default('5s'),
  retentionWindow: duration().default('1h'),
  metrics: list(labelName()).default([]),
  alerts: list(
    strict({
      metric: labelName(),
      threshold: num(),
      condition: oneOf(['greater_than', 'greater_or_equal', 'less_than', 'less_or_equal', 'equal', 'not_equal']),
      action: name(),
    }),
  ).default([]),
}).prefault({});

const severity = () => oneOf(SEVERITIES);

/** Where an alert rule's metrics come from (`alerting.rules[].target`). */
export const ALERT_RULE_TARGETS = ['lambda', 'hosts'] as const;

const alertRuleSchema = strict({
  name: name(),
  description: z.string({ error: isNot('a string') }).default(''),
  /** Parsed by the alert rule compiler (domain/rules/compile.ts); only required to be non-empty here. */
  condition: nonEmpty(),
  duration: duration().default('0s'),
  severity: severity(),
  labels: dict(labelName(), z.string({ error: isNot('a string') })).default({}),
  runbook: url(['https', 'http']).optional(),
  missingData: oneOf(['missing', 'notBreaching', 'breaching', 'ignore']).optional(),
  /**
   * Where the rule's metrics come from: the stack's instrumented Lambda functions, or hosts the
   * kit cannot see (running the SystemMonitor or the CloudWatch agent), which synth does not check.
   */
  target: oneOf(ALERT_RULE_TARGETS).default('lambda'),
});

const routingActionSchema = tagged(
  'type',
  [
    strict({ type: z.literal('notify'), channels: list(name()).min(1, { error: isNot('a non-empty list') }) }),
    strict({ type: z.literal('escalate'), delay: duration(), to: nonEmpty() }),
    strict({ type: z.literal('suppress'), duration: duration(), similarAlerts: bool().default(true) }),
  ],
  'a routing action (an object with a type)',
);

const channelsSchema = strict({
  email: strict({
    recipients: list(textOf('an e-mail address', (s) => EMAIL_RE.test(s))).min(1, { error: isNot('a non-empty list') }),
    smtpServer: nonEmpty().optional(),
    sender: textOf('an e-mail address', (s) => EMAIL_RE.test(s)).optional(),
    template: name().optional(),
  }).optional(),
  slack: strict({
    channel: textOf("a Slack channel ('#alerts')", (s) => /^#[\w-]+$/.test(s)),
    webhookSecret: secretName(),
    template: name().optional(),
  }).optional(),
  pagerduty: strict({
    routingKeySecret: secretName(),
    serviceId: nonEmpty().optional(),
  }).optional(),
}).prefault({});

const sloSchema = strict({
  name: name(),
  description: z.string({ error: isNot('a string') }).default(''),
  sli: oneOf(['availability', 'latency']),
  objective: percent(),
  window: duration().default('30d'),
  /** Latency SLIs: a request is good when faster than this. */
  latencyThreshold: duration().optional(),
  /** Restricts the SLI to one `operation` label value. */
  operation: nonEmpty().optional(),
});

const alertingSchema = strict({
  rules: list(alertRuleSchema).default([]),
  channels: channelsSchema,
  escalation: bool().default(true),
  routing: list(
    strict({
      condition: expression(),
      actions: list(routingActionSchema).min(1, { error: isNot('a non-empty list') }),
      continue: bool().default(false),
    }),
  ).default([]),
  suppression: list(
    strict({ name: name(), condition: expression(), action: oneOf(['suppress_all', 'group_and_suppress']) }),
  ).default([]),
  grouping: strict({
    group_by: list(labelName()).default(['service', 'severity']),
    group_wait: duration().default('30s'),
    group_interval: duration().default('5m'),
    repeat_interval: duration().default('4h'),
  }).prefault({}),
  /** Escalation targets named by `escalate` actions (`to`), each a list of channels. */
  escalationTargets: dict(
    name(),
    strict({ channels: list(name()).min(1, { error: isNot('a non-empty list') }) }),
  ).default({}),
  /** Extra passes over the escalation levels after the last one while nobody acknowledges. */
  repeat: intIn(0, 9).default(0),
  /** The calendar of the routing identifier `business_hours`. */
  businessHours: strict({
    timeZone: textOf("an IANA time zone (e.g. 'Europe/Paris', 'UTC')", isTimeZone).default('UTC'),
    days: list(oneOf(['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'])).default(['mon', 'tue', 'wed', 'thu', 'fri']),
    start: textOf("a time of day ('09:00')", (s) => HHMM_RE.test(s)).default('09:00'),
    end: textOf("a time of day ('18:00', '24:00')", (s) => HHMM_RE.test(s)).default('18:00'),
    holidays: list(textOf("a date ('2026-12-25')", (s) => DATE_RE.test(s))).default([]),
  }).prefault({}),
  /** Inhibition: a firing `source` alert mutes `target` alerts with the same `equal` labels. */
  inhibition: list(
    strict({
      source: expression(),
      target: expression(),
      equal: list(labelName()).default([]),
    }),
  ).default([{ source: "severity == 'critical'", target: "severity == 'warning'", equal: ['service'] }]),
  /** Planned maintenance windows (`maintenance_mode` is true inside them); the CLI adds more. */
  maintenance: list(
    strict({
      name: name(),
      startsAt: textOf("an ISO 8601 time ('2026-12-01T22:00:00Z')", isIsoTime),
      endsAt: textOf("an ISO 8601 time ('2026-12-02T02:00:00Z')", isIsoTime),
      matchers: list(
        strict({
          name: labelName(),
          value: z.string({ error: isNot('a string') }),
          isRegex: bool().optional(),
          isEqual: bool().optional(),
        }),
      ).default([]),
      comment: z.string({ error: isNot('a string') }).default(''),
    }),
  ).default([]),
  /** How long signed acknowledge / silence links in messages stay valid. */
  ackLinkExpiry: duration().default('24h'),
  /**
   * Alarms reaching the router that this stack did not create (and whose metadata is not
   * signed): paged as foreign alerts named after the alarm, at this severity.
   */
  foreignAlarms: strict({ severity: severity().default('warning') }).prefault({}),
  baselines: dict(labelName(), duration()).default({}),
  performance: strict({
    baselineCollectionPeriod: duration().default('7d'),
    anomalyDetection: bool().default(true),
    regressionDetection: bool().default(true),
    alerts: list(strict({ name: name(), condition: nonEmpty(), action: name() })).default([]),
  }).prefault({}),
  slos: list(sloSchema).default([]),
}).prefault({});

/** Everything but `environments`: the shape an environment's overrides are merged into. */
export const baseConfigSchema = strict(
  {
    service: textOf('a service name (lowercase letters, digits and -)', (s) => /^[a-z][a-z0-9-]{0,63}$/.test(s)),
    namespace: textOf(
      'a CloudWatch namespace (not starting with AWS/, at most 255 characters)',
      (s) => /^[A-Za-z0-9 ._\-/#:]{1,255}$/.test(s) && !s.startsWith('AWS/') && !s.startsWith(':'),
    ),
    lambda: lambdaSchema,
    metrics: metricsSchema,
    logging: loggingSchema,
    tracing: tracingSchema,
    healthChecks: healthChecksSchema,
    dashboards: list(dashboardSchema).default([]),
    realtime: realtimeSchema,
    alerting: alertingSchema,
  },
  ['environments'],
);

/** Where an environment is deployed; the rest of an environment entry is overrides. */
export const environmentTargetSchema = strict({
  account: textOf('an AWS account id (12 digits)', (s) => /^\d{12}$/.test(s)).optional(),
  region: textOf('an AWS region (e.g. eu-west-3)', (s) => /^[a-z]{2}(-[a-z]+)+-\d$/.test(s)).optional(),
});

export const ENVIRONMENT_NAME_RE = /^[a-z][a-z0-9-]{0,31}$/;

// ---------------------------------------------------------------- types

type BaseInput = z.input<typeof baseConfigSchema>;
type BaseOutput = z.output<typeof baseConfigSchema>;

/** Objects merge key by key; arrays and scalars replace. */
export type DeepPartial<T> = T extends readonly unknown[]
  ? T
  : T extends object
    ? { [K in keyof T]?: DeepPartial<T[K]> }
    : T;

export type EnvironmentOverride = DeepPartial<BaseInput> & {
  readonly account?: string;
  readonly region?: string;
};

/** What `observability.config.ts` exports: the base configuration and the environments' overrides. */
export type ObservabilityConfig = BaseInput & { readonly environments?: Record<string, EnvironmentOverride> };

/** One environment's configuration: overrides merged, defaults applied, validated. */
export type ResolvedConfig = BaseOutput & {
  readonly environment: string;
  readonly account?: string;
  readonly region?: string;
};

export type ResolvedLambda = BaseOutput['lambda'];
export type ResolvedMetrics = BaseOutput['metrics'];
export type ResolvedLogging = BaseOutput['logging'];
export type LogSource = ResolvedLogging['sources'][number];
export type ProcessingRule = ResolvedLogging['processingRules'][number];
export type LookupTables = ResolvedLogging['lookupTables'];
export type OpenSearchConfig = ResolvedLogging['opensearch'];
export type ResolvedTracing = BaseOutput['tracing'];
export type HealthChecks = BaseOutput['healthChecks'];
export type HealthCheckTarget = HealthChecks['targets'][number];
export type HttpsTarget = Extract<HealthCheckTarget, { type: 'https' }>;
export type LambdaTarget = Extract<HealthCheckTarget, { type: 'lambda' }>;
export type Dashboard = BaseOutput['dashboards'][number];
export type DashboardPanel = Dashboard['panels'][number];
export type RealtimeConfig = BaseOutput['realtime'];
export type AlertingConfig = BaseOutput['alerting'];
export type AlertRule = AlertingConfig['rules'][number];
export type Channels = AlertingConfig['channels'];
export type RoutingRule = AlertingConfig['routing'][number];
export type RoutingAction = RoutingRule['actions'][number];
export type SuppressionRule = AlertingConfig['suppression'][number];
export type Grouping = AlertingConfig['grouping'];
export type BusinessHoursConfig = AlertingConfig['businessHours'];
export type InhibitionRule = AlertingConfig['inhibition'][number];
export type MaintenanceConfig = AlertingConfig['maintenance'][number];
export type Slo = AlertingConfig['slos'][number];
