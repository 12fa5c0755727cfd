/**
 * The log aggregator Lambda, subscribed to the configured log groups: decode the CloudWatch Logs
 * payload, parse each line, normalize it, run the processing rules, forward the normalized events
 * (one JSON line each on stdout: this function's log group is the aggregated log group), write
 * extracted metrics as EMF, put alerts on the kit's bus and dead-letter what fails.
 *
 * Every invocation accounts for its events: received = processed + dead_lettered, written as
 * `maif_obs_log_events_total{outcome}` (also `control`, `skipped` and `dropped`, a part of processed).
 */
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SQSClient } from '@aws-sdk/client-sqs';
import { KIT_ENV } from '../../domain/contracts/environment';
import { fingerprintOf } from '../../domain/contracts/events';
import type { LogAggregatorConfig, LogSource } from '../../domain/logs/config';
import { decodePayload, isLogEvent, type LogEvent, rawData } from '../../domain/logs/decode';
import { type MetricRecorder, metricsApiRecorder } from '../../domain/logs/emf';
import { defaultServiceOf, type NormalizedEvent, normalize, type PayloadContext } from '../../domain/logs/normalize';
import { CONFIGURED_PARSERS, type ConfiguredParser, parseLine } from '../../domain/logs/parsers';
import { type AlertRequest, applyRules, compileRules, type RuleEffects } from '../../domain/logs/rules';
import type { MetricsApi } from '../../layers/instrumentation/types';
import { AlertPublisher, alertDetail, alertLabels } from '../shared/alert-publisher';
import { bundledConfig } from '../shared/bundled-config';
import { handlerMetrics, metricsSettings } from '../shared/metrics';
import { type DeadLetter, DeadLetterQueue } from './dead-letter';

export type { LogAggregatorConfig, LogSource, LookupTables, ProcessingRule } from '../../domain/logs/config';
export type { EventSource, NormalizedEvent } from '../../domain/logs/normalize';
export type { DeadLetter } from './dead-letter';

/** Receives the lines to write (forwarded events, then EMF), once per invocation. */
export type LineSink = (lines: readonly string[]) => void;

export interface LogAggregatorEnvironment {
  readonly namespace: string;
  readonly service: string;
  readonly environment?: string;
  readonly dlqUrl?: string;
  readonly eventBusName?: string;
  /** This function's own log group: never processed, or the aggregator would feed on itself. */
  readonly ownLogGroup?: string;
}

export interface LogAggregatorDeps {
  readonly sqs?: SQSClient;
  readonly eventBridge?: EventBridgeClient;
  /** @default - one `process.stdout.write` per invocation */
  readonly sink?: LineSink;
  /** The kit's Metrics; @default - a built-in EMF writer to the sink */
  readonly metrics?: MetricsApi;
  /** @default - read once from MAIF_NAMESPACE, MAIF_SERVICE, MAIF_ENVIRONMENT, MAIF_DLQ_URL, MAIF_EVENT_BUS_NAME, AWS_LAMBDA_LOG_GROUP_NAME */
  readonly env?: LogAggregatorEnvironment;
  /** Back-off between retries; @default - setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
}

/** What one invocation did (also returned to the caller, for tests and logs). */
export interface AggregationResult {
  readonly received: number;
  readonly processed: number;
  readonly deadLettered: number;
  readonly dropped: number;
  readonly control: number;
  readonly skipped: number;
  readonly alerts: number;
}

/** Lambda's log event limit; a forwarded line above it would be cut by the runtime. */
export const MAX_FORWARDED_BYTES = 256 * 1024 - 1024;
/** How much of `message` is kept when a forwarded event is too big. */
export const TRUNCATED_MESSAGE_CHARS = 16 * 1024;
const EVENTS_METRIC = 'maif_obs_log_events_total';
const DROPPED_METRIC = 'maif_obs_dropped_observations_total';

export function readEnvironment(env: NodeJS.ProcessEnv = process.env): LogAggregatorEnvironment {
  const { namespace, service, environment } = metricsSettings({}, env);
  return {
    namespace: namespace || 'MAIF',
    service: service || 'maif',
    environment,
    dlqUrl: env[KIT_ENV.dlqUrl],
    eventBusName: env[KIT_ENV.eventBusName],
    ownLogGroup: env.AWS_LAMBDA_LOG_GROUP_NAME,
  };
}

const stdoutSink: LineSink = (lines) => {
  // one write per invocation: each line becomes one log event of the aggregated log group
  if (lines.length > 0) process.stdout.write(`${lines.join('\n')}\n`);
};

interface CompiledSource {
  readonly name: string;
  readonly pattern: RegExp;
  readonly parser: ConfiguredParser;
  readonly tags: Readonly<Record<string, string>> | undefined;
}

function compileSources(sources: readonly LogSource[]): CompiledSource[] {
  return sources.map((s) => {
    if (!(CONFIGURED_PARSERS as readonly string[]).includes(s.parser)) {
      throw new Error(
        `log aggregator: source '${s.name}': parser '${s.parser}' is not one of ${CONFIGURED_PARSERS.join(', ')}`,
      );
    }
    const glob = s.path.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*');
    return { name: s.name, pattern: new RegExp(`^${glob}$`), parser: s.parser, tags: s.tags };
  });
}

/** One log event on its way through the invocation. */
interface Entry {
  readonly raw: LogEvent;
  event: NormalizedEvent | undefined;
  effects: RuleEffects | undefined;
  line: string | undefined;
  failure: string | undefined;
}

function forwardLine(event: NormalizedEvent): string | undefined {
  let line = JSON.stringify(event);
  // chars * 3 bounds UTF-8 bytes: the exact count only for long lines
  if (line.length * 3 <= MAX_FORWARDED_BYTES || Buffer.byteLength(line) <= MAX_FORWARDED_BYTES) return line;
  line = JSON.stringify({ ...event, message: event.message.slice(0, TRUNCATED_MESSAGE_CHARS), truncated: true });
  return Buffer.byteLength(line) <= MAX_FORWARDED_BYTES ? line : undefined;
}

export function createHandler(
  config: LogAggregatorConfig,
  deps: LogAggregatorDeps = {},
): (event: unknown) => Promise<AggregationResult> {
  const env = deps.env ?? readEnvironment();
  const rules = compileRules(config.rules ?? [], config.lookupTables ?? {});
  const sources = compileSources(config.sources ?? []);
  const alerting = rules.find((r) => r.action === 'trigger_alert');
  if (alerting !== undefined && !env.eventBusName) {
    throw new Error(
      `log aggregator: processing rule '${alerting.name}' triggers alerts but ${KIT_ENV.eventBusName} is not set`,
    );
  }
  const sink = deps.sink ?? stdoutSink;
  const pendingLines: string[] = [];
  const recorder: MetricRecorder = metricsApiRecorder(
    deps.metrics ??
      handlerMetrics({
        ...env,
        // production semantics always: a bad event's metric is counted and dropped, never thrown
        strict: false,
        sink: (line) => pendingLines.push(line),
      }),
  );
  // clients are created on first need: no SDK set-up for invocations that never fail or alert
  let dlq: DeadLetterQueue | undefined;
  let publisher: AlertPublisher | undefined;
  const deadLetterQueue = () =>
    (dlq ??= new DeadLetterQueue({ sqs: deps.sqs ?? new SQSClient({}), queueUrl: env.dlqUrl, sleep: deps.sleep }));
  const alertPublisher = () =>
    (publisher ??= new AlertPublisher({
      eventBridge: deps.eventBridge ?? new EventBridgeClient({}),
      eventBusName: env.eventBusName,
      sleep: deps.sleep,
    }));
  const sourceCache = new Map<string, CompiledSource | undefined>();
  const sourceOf = (logGroup: string) => {
    if (!sourceCache.has(logGroup))
      sourceCache.set(
        logGroup,
        sources.find((s) => s.pattern.test(logGroup)),
      );
    return sourceCache.get(logGroup);
  };

  const account = async (result: AggregationResult, lines: string[]): Promise<AggregationResult> => {
    const outcomes: [string, number][] = [
      ['received', result.received],
      ['processed', result.processed],
      ['dead_lettered', result.deadLettered],
      ['dropped', result.dropped],
      ['control', result.control],
      ['skipped', result.skipped],
    ];
    for (const [outcome, n] of outcomes)
      if (n > 0 || outcome === 'received') recorder.count(EVENTS_METRIC, 'Count', { outcome }, n);
    if (result.received !== result.processed + result.deadLettered) {
      // cannot happen by construction; if it does, it must be visible
      recorder.count(
        EVENTS_METRIC,
        'Count',
        { outcome: 'unaccounted' },
        result.received - result.processed - result.deadLettered,
      );
    }
    await recorder.flush();
    lines.push(...pendingLines.splice(0));
    sink(lines);
    return result;
  };

  const empty = { received: 0, processed: 0, deadLettered: 0, dropped: 0, control: 0, skipped: 0, alerts: 0 };

  return async function logAggregator(input: unknown): Promise<AggregationResult> {
    let payload: ReturnType<typeof decodePayload>;
    try {
      payload = decodePayload(input);
    } catch (error) {
      // the whole payload is unreadable: dead-letter it raw, counted as one record
      const data = rawData(input) ?? JSON.stringify(input) ?? String(input);
      await deadLetterQueue().send([{ reason: `decode_failed: ${(error as Error).message}`, data }], 'payload');
      return account({ ...empty, received: 1, deadLettered: 1 }, []);
    }
    if (payload.messageType === 'CONTROL_MESSAGE') return account({ ...empty, control: 1 }, []);
    if (env.ownLogGroup !== undefined && payload.logGroup === env.ownLogGroup) {
      return account({ ...empty, skipped: payload.logEvents.length }, []);
    }

    const source = sourceOf(payload.logGroup);
    const ctx: PayloadContext = {
      logGroup: payload.logGroup,
      logStream: payload.logStream,
      sourceName: source?.name,
      tags: source?.tags,
      defaultService: defaultServiceOf(payload.logGroup),
    };
    const parser = source?.parser ?? 'auto';
    const entries: Entry[] = [];
    const letters: DeadLetter[] = [];

    for (const raw of payload.logEvents) {
      if (!isLogEvent(raw)) {
        letters.push({
          reason: 'malformed_event: not { id: string, timestamp: number, message: string }',
          logGroup: payload.logGroup,
          logStream: payload.logStream,
          event: { id: String((raw as { id?: unknown })?.id ?? ''), timestamp: 0, message: JSON.stringify(raw) ?? '' },
        });
        continue;
      }
      const entry: Entry = { raw, event: undefined, effects: undefined, line: undefined, failure: undefined };
      entries.push(entry);
      try {
        const event = normalize(parseLine(raw.message, raw.timestamp, parser), raw.id, raw.timestamp, ctx);
        entry.event = event;
        entry.effects = applyRules(rules, event);
      } catch (error) {
        entry.failure = `${error instanceof Error && error.name === 'ParseError' ? 'parse_failed' : 'processing_failed'}: ${(error as Error).message}`;
      }
    }

    // alerts: one per fingerprint and invocation; if it cannot be delivered, its events are dead-lettered
    const groups = new Map<string, { request: AlertRequest; first: NormalizedEvent; entries: Entry[] }>();
    for (const entry of entries) {
      if (entry.failure !== undefined || entry.effects?.alerts === undefined) continue;
      const event = entry.event as NormalizedEvent;
      for (const request of entry.effects.alerts) {
        const fingerprint = fingerprintOf(request.alertName, alertLabels(request, event));
        const group = groups.get(fingerprint);
        if (group === undefined) groups.set(fingerprint, { request, first: event, entries: [entry] });
        else group.entries.push(entry);
      }
    }
    const grouped = [...groups.values()];
    const failures =
      grouped.length === 0
        ? new Map<number, string>()
        : await alertPublisher().publish(
            grouped.map((g) => ({
              detail: alertDetail(g.request, g.first, g.entries.length),
              time: g.first.timestamp,
            })),
          );
    for (const [index, reason] of failures) {
      for (const entry of grouped[index].entries)
        entry.failure ??= `alert_failed: ${grouped[index].request.rule}: ${reason}`;
    }

    for (const entry of entries) {
      if (entry.failure !== undefined || entry.effects?.dropped) continue;
      entry.line = forwardLine(entry.event as NormalizedEvent);
      if (entry.line === undefined)
        entry.failure = `event_too_large: over ${MAX_FORWARDED_BYTES} bytes with message truncated`;
    }
    for (const entry of entries) {
      if (entry.failure !== undefined) {
        letters.push({
          reason: entry.failure,
          logGroup: payload.logGroup,
          logStream: payload.logStream,
          event: entry.raw,
        });
      }
    }
    // throws when SQS keeps refusing: nothing has been written yet, and Lambda retries the batch
    if (letters.length > 0) await deadLetterQueue().send(letters, `${payload.logGroup}:${payload.logStream}`);

    const lines: string[] = [];
    let processed = 0;
    let dropped = 0;
    let skippedValues = 0;
    for (const entry of entries) {
      if (entry.failure !== undefined) continue;
      processed++;
      const effects = entry.effects as RuleEffects;
      if (effects.dropped) dropped++;
      else lines.push(entry.line as string);
      skippedValues += effects.skippedValues;
      for (const m of effects.metrics ?? []) {
        if (m.value === undefined) recorder.count(m.metric, m.unit, m.dimensions, 1);
        else recorder.observe(m.metric, m.unit, m.dimensions, m.value);
      }
    }
    if (skippedValues > 0) recorder.count(DROPPED_METRIC, 'Count', { reason: 'non_finite' }, skippedValues);
    return account(
      {
        received: payload.logEvents.length,
        processed,
        deadLettered: letters.length,
        dropped,
        control: 0,
        skipped: 0,
        alerts: grouped.length - failures.size,
      },
      lines,
    );
  };
}

let lazy: ((event: unknown) => Promise<AggregationResult>) | undefined;

/** The Lambda entry point: configuration from the bundle, environment read once, on first call. */
export const handler = (event: unknown): Promise<AggregationResult> => {
  lazy ??= createHandler(bundledConfig<LogAggregatorConfig>('log-aggregator'));
  return lazy(event);
};
