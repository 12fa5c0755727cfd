/**
 * The CloudWatch agent configuration for hosts and containers (`logging.sources`): one
 * `logs.logs_collected.files.collect_list` entry per source, shipping the files its path glob
 * matches into the source's host log group `/<service>/<environment>/hosts/<name>`. The stack
 * creates those groups (retention, KMS key) and subscribes them to the log aggregator.
 *
 * The agent cannot add fields to a line, so a source's parser and tags travel by log group: the
 * aggregator's bundled sources map each host log group back to its source
 * (`aggregatorSources`), and the aggregator adds the tags to every event read from it.
 */
import { LOG_SOURCE_PARSERS, type LogSource } from '../config/schema';

export type HostLogParser = LogSource['parser'];

/**
 * One entry of `logging.sources` (the MAIF monitoring guide's `log_sources`): `path` is a file path
 * glob on the host (`/logs/maif-app-*.log`); tags may be left out.
 */
export type HostLogSource = Readonly<Pick<LogSource, 'name' | 'path' | 'parser'>> & {
  readonly tags?: Readonly<LogSource['tags']>;
};

/** The agent's log stream name variables (its documented `log_stream_name` placeholders). */
export const STREAM_NAMES = ['instance_id', 'hostname', 'ip_address', 'local_hostname'] as const;
export type StreamName = (typeof STREAM_NAMES)[number];

/** The agent's `timestamp_format` per parser; JSON lines carry their own time, read by the aggregator. */
export const TIMESTAMP_FORMATS: Readonly<Record<HostLogParser, string | undefined>> = {
  json: undefined,
  // RFC 3164: `Jan  1 00:00:00 host app[1]: message` (no year, no zone)
  syslog: '%b %d %H:%M:%S',
  // nginx `$time_local`: `[01/Jan/2024:00:00:00 +0000]`
  nginx: '%d/%b/%Y:%H:%M:%S %z',
} as const;

/**
 * Where a new event starts, for sources whose events may span lines: a JSON document starts with
 * `{` (a pretty-printed one stays whole), a syslog record with its timestamp. An access log line
 * is always one request, so nginx has none.
 */
export const MULTI_LINE_START: Readonly<Record<HostLogParser, string | undefined>> = {
  json: '^\\{',
  syslog: '{timestamp_format}',
  nginx: undefined,
} as const;

/** The agent's limits (its configuration schema). */
export const AGENT_LIMITS = { MAX_FILE_PATH: 4096, MAX_LOG_GROUP_NAME: 512 } as const;

/** How often the agent sends what it has read, in seconds (the agent's own default). */
export const FORCE_FLUSH_INTERVAL_SECONDS = 5;

export interface CollectEntry {
  readonly file_path: string;
  readonly log_group_name: string;
  readonly log_stream_name: string;
  readonly timezone: 'UTC' | 'Local';
  readonly timestamp_format?: string;
  readonly multi_line_start_pattern?: string;
}

/** The agent configuration file: the `agent` and `logs` sections (no metrics: the kit's come as EMF). */
export interface AgentConfig {
  readonly agent: {
    readonly metrics_collection_interval: number;
    readonly logfile: string;
    readonly region?: string;
  };
  readonly logs: {
    readonly logs_collected: { readonly files: { readonly collect_list: readonly CollectEntry[] } };
    readonly force_flush_interval: number;
  };
}

export interface AgentConfigOptions {
  readonly service: string;
  readonly environment: string;
  readonly sources: readonly HostLogSource[];
  /** @default - none: the agent uses the instance's region */
  readonly region?: string;
  /** @default 'instance_id' */
  readonly streamName?: StreamName;
}

/** The log group the agent writes a source's files to: `/<service>/<environment>/hosts/<name>`. */
export function hostLogGroupName(service: string, environment: string, sourceName: string): string {
  return `/${service}/${environment}/hosts/${sourceName}`;
}

const ABSOLUTE_PATH = /^(\/|[A-Za-z]:\\)/;

function checkSource(source: HostLogSource, index: number, groupName: string): void {
  const at = `logging.sources[${index}]`;
  if (!ABSOLUTE_PATH.test(source.path)) {
    throw new Error(
      `${at}.path: '${source.path}' is not an absolute path glob (the agent reads files on the host: use /var/log/app-*.log)`,
    );
  }
  if (source.path.length > AGENT_LIMITS.MAX_FILE_PATH) {
    throw new Error(
      `${at}.path: ${source.path.length} characters is over the agent's limit of ${AGENT_LIMITS.MAX_FILE_PATH}`,
    );
  }
  if (groupName.length > AGENT_LIMITS.MAX_LOG_GROUP_NAME) {
    throw new Error(
      `${at}.name: log group '${groupName.slice(0, 40)}...' is ${groupName.length} characters, over CloudWatch's limit of ${AGENT_LIMITS.MAX_LOG_GROUP_NAME} (shorten the source name)`,
    );
  }
  if (!(source.parser in TIMESTAMP_FORMATS)) {
    throw new Error(
      `${at}.parser: '${String(source.parser)}' is not one of ${LOG_SOURCE_PARSERS.map((p) => `'${p}'`).join(', ')}`,
    );
  }
}

/** The `collect_list` entry of one source. */
export function collectEntry(
  source: HostLogSource,
  options: Pick<AgentConfigOptions, 'service' | 'environment' | 'streamName'>,
  index = 0,
): CollectEntry {
  const group = hostLogGroupName(options.service, options.environment, source.name);
  checkSource(source, index, group);
  const timestampFormat = TIMESTAMP_FORMATS[source.parser];
  const multiLine = MULTI_LINE_START[source.parser];
  return {
    file_path: source.path,
    log_group_name: group,
    log_stream_name: `{${options.streamName ?? 'instance_id'}}`,
    // the aggregator reads syslog times as UTC; the agent must read them the same way
    timezone: 'UTC',
    ...(timestampFormat !== undefined ? { timestamp_format: timestampFormat } : {}),
    ...(multiLine !== undefined ? { multi_line_start_pattern: multiLine } : {}),
  };
}

/**
 * The agent configuration for `sources`. Retention is not set here: the stack owns the host log
 * groups (retention, KMS key), so the agent neither creates them unencrypted nor needs
 * `logs:PutRetentionPolicy`.
 */
export function agentConfig(options: AgentConfigOptions): AgentConfig {
  if (options.streamName !== undefined && !(STREAM_NAMES as readonly string[]).includes(options.streamName)) {
    throw new Error(`--stream: '${options.streamName}' is not one of ${STREAM_NAMES.map((s) => `'${s}'`).join(', ')}`);
  }
  if (options.sources.length === 0) {
    throw new Error('logging.sources: the configuration has no log sources (add { name, path, parser, tags })');
  }
  return {
    agent: {
      metrics_collection_interval: 60,
      logfile: '/opt/aws/amazon-cloudwatch-agent/logs/amazon-cloudwatch-agent.log',
      ...(options.region !== undefined ? { region: options.region } : {}),
    },
    logs: {
      logs_collected: {
        files: { collect_list: options.sources.map((source, i) => collectEntry(source, options, i)) },
      },
      force_flush_interval: FORCE_FLUSH_INTERVAL_SECONDS,
    },
  };
}

/**
 * The log aggregator's sources for `sources`: each one matching its host log group first (so
 * events the agent ships get the source's parser and tags), then as configured (its `path` as a
 * log group pattern, the aggregator's reading before host sources existed).
 */
export function aggregatorSources(
  sources: readonly HostLogSource[],
  service: string,
  environment: string,
): HostLogSource[] {
  return [...sources.map((s) => ({ ...s, path: hostLogGroupName(service, environment, s.name) })), ...sources];
}
