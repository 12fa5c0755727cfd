/**
 * Alert router Lambda: EventBridge (CloudWatch alarm state changes of the kit's alarms, and
 * `MAIF Alert` events on the kit's bus) -> alert state in DynamoDB -> the escalation's
 * StartExecution. Malformed events are sent to the router's DLQ and counted, then acknowledged
 * (a retry cannot fix them); any other failure throws so Lambda retries the event and, after its
 * retries, sends it to the same DLQ through the async on-failure destination.
 *
 * Environment (read once): MAIF_ALERT_TABLE, MAIF_ESCALATION_STATE_MACHINE_ARN,
 * MAIF_CHANNEL_TOPICS (JSON {channel: topicArn}), MAIF_ROUTER_DLQ_URL, MAIF_NAMESPACE,
 * MAIF_SERVICE, MAIF_ENVIRONMENT, and optionally MAIF_ALARM_SIGNING_SECRET_ARN (the key of
 * signed alarm metadata, read from Secrets Manager only for an alarm whose trust needs it).
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SNSClient } from '@aws-sdk/client-sns';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { KIT_ENV } from '../../domain/contracts/environment';
import type { Outcome } from '../../domain/routing/decide';
import { IntakeError, needsSigningKey, parseEvent } from '../../domain/routing/intake';
import { alarmTrustOf, compileRouter, type RouterConfig } from '../../domain/routing/routing';
import type { Counter, MetricsApi } from '../../layers/instrumentation/types';
import { AlertStore } from '../shared/alert-store';
import { bundledConfig } from '../shared/bundled-config';
import { handlerMetrics, metricsSettings } from '../shared/metrics';
import { SecretCache } from '../shared/secrets';
import { type RouteResult, Router } from './router';

/** Counted per event, label `outcome` (paged, grouped, silenced, ..., stale, dead_lettered, failed). */
export const ROUTER_METRIC = 'maif_obs_alert_events_total';
/** Counted once per heartbeat that reached the router (the Watchdog alarms on its absence). */
export const HEARTBEAT_METRIC = 'heartbeat_received';
/** SQS message body limit is 256 KB; keep the dead letter well under it. */
const MAX_DEAD_LETTER_EVENT_CHARS = 200_000;

export interface RouterEnv {
  readonly tableName: string;
  readonly stateMachineArn: string;
  readonly topicArns: Readonly<Record<string, string>>;
  readonly dlqUrl?: string;
  /** The Secrets Manager secret holding the HMAC key of signed alarm metadata. */
  readonly alarmSigningSecretArn?: string;
  readonly namespace?: string;
  readonly service?: string;
  readonly environment?: string;
}

export interface RouterHandlerDeps {
  readonly dynamodb?: DynamoDBClient;
  readonly sfn?: SFNClient;
  readonly sns?: SNSClient;
  readonly sqs?: SQSClient;
  readonly secrets?: SecretCache;
  readonly metrics?: MetricsApi;
  readonly env?: RouterEnv;
  /** epoch ms clock for the state (tests) */
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
  /** one JSON log line per routed event @default console.log */
  readonly log?: (line: string) => void;
}

export function readEnv(env: NodeJS.ProcessEnv = process.env): RouterEnv {
  const topics = env[KIT_ENV.channelTopics];
  let topicArns: Record<string, string> = {};
  try {
    topicArns = JSON.parse(topics || '{}') as Record<string, string>;
  } catch {
    throw new Error(
      `router: ${KIT_ENV.channelTopics} '${String(topics).slice(0, 40)}' is not JSON ({"channel": "topic ARN"})`,
    );
  }
  return {
    tableName: env[KIT_ENV.alertTable] ?? '',
    stateMachineArn: env[KIT_ENV.escalationStateMachineArn] ?? '',
    topicArns,
    dlqUrl: env[KIT_ENV.routerDlqUrl],
    alarmSigningSecretArn: env[KIT_ENV.alarmSigningSecretArn] || undefined,
    ...metricsSettings({}, env),
  };
}

export type RouterHandler = (event: unknown) => Promise<RouteResult>;

export function createHandler(config: RouterConfig, deps: RouterHandlerDeps = {}): RouterHandler {
  const env = deps.env ?? readEnv();
  if (!env.tableName) throw new Error(`router: ${KIT_ENV.alertTable} is not set`);
  if (!env.stateMachineArn) throw new Error(`router: ${KIT_ENV.escalationStateMachineArn} is not set`);
  const compiled = compileRouter(config);
  const metrics = deps.metrics ?? handlerMetrics({ ...env, strict: false });
  const counter: Counter = metrics.counter(ROUTER_METRIC, { unit: 'Count', labels: ['outcome'] });
  const heartbeats: Counter = metrics.counter(HEARTBEAT_METRIC, { unit: 'Count' });
  const writeLog = deps.log ?? ((line: string) => console.log(line));
  const store = new AlertStore({
    client: deps.dynamodb ?? new DynamoDBClient({}),
    tableName: env.tableName,
    now: deps.now,
  });
  const router = new Router(compiled, {
    store,
    sfn: deps.sfn ?? new SFNClient({}),
    sns: deps.sns ?? new SNSClient({}),
    stateMachineArn: env.stateMachineArn,
    topicArns: env.topicArns,
    sleep: deps.sleep,
    log: (event, fields) => writeLog(JSON.stringify({ level: 'INFO', event, ...fields })),
  });
  const trust = alarmTrustOf(config);
  let secrets = deps.secrets;
  /** The trust of one event: with the signing key only when a signature decides it (no call otherwise). */
  const trustFor = async (event: unknown) => {
    if (env.alarmSigningSecretArn === undefined || !needsSigningKey(event, trust)) return trust;
    secrets ??= new SecretCache(new SecretsManagerClient({}));
    // a failure to read the key throws: Lambda retries, rather than page a signed alarm as foreign
    return alarmTrustOf(config, await secrets.field(env.alarmSigningSecretArn, ['key']));
  };
  let sqs: SQSClient | undefined;
  const count = async (outcome: Outcome | 'failed') => {
    counter.inc({ outcome });
    if (outcome === 'heartbeat') heartbeats.inc();
    await metrics.flush();
  };

  return async (event) => {
    let parsed: ReturnType<typeof parseEvent>;
    const eventTrust = await trustFor(event);
    try {
      parsed = parseEvent(event, eventTrust);
    } catch (error) {
      if (!(error instanceof IntakeError)) throw error;
      sqs ??= deps.sqs ?? new SQSClient({});
      if (!env.dlqUrl) throw new Error(`router: ${error.message}, and ${KIT_ENV.routerDlqUrl} is not set`);
      await sqs.send(
        new SendMessageCommand({
          QueueUrl: env.dlqUrl,
          MessageBody: JSON.stringify({
            reason: error.message,
            event: JSON.stringify(event)?.slice(0, MAX_DEAD_LETTER_EVENT_CHARS),
          }),
          MessageAttributes: { reason: { DataType: 'String', StringValue: 'malformed_event' } },
        }),
      );
      await count('dead_lettered');
      return { outcome: 'dead_lettered', reason: error.message };
    }
    if (parsed.kind === 'ignored') {
      await count('ignored');
      return { outcome: 'ignored', reason: parsed.reason };
    }
    try {
      const result = await router.route(parsed.alert);
      await count(result.outcome);
      writeLog(
        JSON.stringify({
          level: 'INFO',
          event: 'alert_routed',
          outcome: result.outcome,
          fingerprint: result.fingerprint,
          episode: result.episode,
          reason: result.reason,
        }),
      );
      return result;
    } catch (error) {
      await count('failed');
      throw error;
    }
  };
}

let lazy: RouterHandler | undefined;

export const handler: RouterHandler = (event) => {
  lazy ??= createHandler(bundledConfig<RouterConfig>('router'));
  return lazy(event);
};
