import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

/**
 * Fields of one line of the kit's Logger (the log schema of the MAIF monitoring guide). The saved
 * queries use only these, plus the `@timestamp` every CloudWatch Logs event has.
 */
export const LOG_FIELDS = [
  'timestamp',
  'level',
  'service',
  'event',
  'trace_id',
  'span_id',
  'request_id',
  'user_id',
  'operation',
  'duration_ms',
  'status',
  'error.type',
  'error.message',
  'error.stack_trace',
  'metadata.*',
] as const;

/** What the one-trace query searches for until you paste a trace id over it. */
export const TRACE_ID_PLACEHOLDER = 'PASTE-TRACE-ID-HERE';
/**
 * Operations slower than this are "slow" unless `slowOperationMs` says otherwise (the MAIF
 * monitoring guide's slow_operation: 1s).
 */
export const DEFAULT_SLOW_OPERATION_MS = 1000;

export interface InsightsQueriesConfig {
  readonly service: string;
  readonly environment: string;
}

export interface InsightsQueriesProps {
  readonly config: InsightsQueriesConfig;
  /** Log groups the queries run against (the service's and the aggregated log group). */
  readonly logGroups: readonly logs.ILogGroup[];
  /**
   * The duration_ms above which an operation is slow.
   * @default 1000
   */
  readonly slowOperationMs?: number;
}

export interface SavedQuery {
  /** Construct id and the last part of the query name. */
  readonly id: string;
  readonly title: string;
  readonly query: logs.QueryString;
}

const quote = (s: string) => JSON.stringify(s);

/** The saved investigations: errors by operation, slow operations, one trace's logs. */
export function savedQueries(config: InsightsQueriesConfig, slowOperationMs: number): SavedQuery[] {
  const service = `service = ${quote(config.service)}`;
  return [
    {
      id: 'ErrorsByOperation',
      title: 'Errors by operation',
      query: new logs.QueryString({
        fields: ['@timestamp', 'operation', 'error.type', 'error.message'],
        filterStatements: [service, 'level in ["ERROR", "CRITICAL"]'],
        statsStatements: ['count(*) as errors, latest(error.message) as last_message by operation, error.type'],
        sort: 'errors desc',
      }),
    },
    {
      id: 'SlowOperations',
      title: 'Slow operations',
      query: new logs.QueryString({
        fields: ['@timestamp', 'operation', 'duration_ms', 'trace_id'],
        filterStatements: [service, `ispresent(duration_ms) and duration_ms > ${slowOperationMs}`],
        statsStatements: [
          'count(*) as slow, avg(duration_ms) as avg_ms, pct(duration_ms, 95) as p95_ms, max(duration_ms) as max_ms by operation',
        ],
        sort: 'p95_ms desc',
      }),
    },
    {
      id: 'TraceLogs',
      title: 'Logs of one trace',
      query: new logs.QueryString({
        fields: [
          '@timestamp',
          'service',
          'level',
          'event',
          'operation',
          'span_id',
          'request_id',
          'duration_ms',
          'status',
          'error.type',
          'error.message',
        ],
        // Every service of the trace: no service filter here.
        filterStatements: [`trace_id = ${quote(TRACE_ID_PLACEHOLDER)}`],
        sort: '@timestamp asc',
        limit: 1000,
      }),
    },
  ];
}

/**
 * Logs Insights saved queries for the common investigations, in a folder named after the
 * service and environment (`maif/prod/Errors by operation`).
 */
export class InsightsQueries extends Construct {
  readonly queries: readonly logs.QueryDefinition[];

  constructor(scope: Construct, id: string, props: InsightsQueriesProps) {
    super(scope, id);
    const slow = props.slowOperationMs ?? DEFAULT_SLOW_OPERATION_MS;
    if (!Number.isFinite(slow) || slow <= 0) {
      throw new Error(`slowOperationMs: ${slow} is not a positive number of milliseconds`);
    }
    if (props.logGroups.length === 0) throw new Error('logGroups: [] is empty (give at least one log group)');
    this.queries = savedQueries(props.config, slow).map(
      (q) =>
        new logs.QueryDefinition(this, q.id, {
          queryDefinitionName: `${props.config.service}/${props.config.environment}/${q.title}`,
          queryString: q.query,
          logGroups: [...props.logGroups],
        }),
    );
  }
}
