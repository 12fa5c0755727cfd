/**
 * The sandbox: the whole MAIF Observability pipeline on this machine, with no AWS account.
 *
 *   demo service (worker-thread Lambdas, the layer)  -> log streams  -> EMF -> metric store
 *                                                      \-> subscription -> log aggregator (real handler)
 *   metric store -> alarm loop (the kit's CloudWatch evaluator, compiled AlarmSpecs) -> router (real handler)
 *   router -> dynalite (table from the synthesized template) + Step Functions (synthesized definition)
 *   escalation (real handler) -> SNS stand-in -> Slack / PagerDuty notifiers (real handlers) -> loopback receivers
 *                                             -> e-mail subscription -> SMTP receiver
 *   web page -> ack API (real handler)
 *
 * Everything runs on one compressed clock (clock.ts): a 15-minute escalation level takes
 * 15 * 60 / speed seconds. Every endpoint listens on 127.0.0.1 only.
 */
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { SNSEvent } from 'aws-lambda';
import type { ResolvedConfig } from '../domain/config';
import { loadConfig } from '../domain/config/load';
import type { Notification, NotificationKind } from '../domain/contracts/alert';
import type { Matcher, Silence } from '../domain/contracts/alert-state';
import type { ChannelName } from '../domain/contracts/channels';
import { ESCALATION_STATES } from '../domain/contracts/escalation';
import { compileDashboards } from '../domain/dashboards/model';
import { MetricStore } from '../domain/evaluator/store';
import type { CloudWatchLogsEvent } from '../domain/logs/decode';
import { title } from '../domain/routing/messages';
import { routerConfigOf } from '../domain/routing/routing';
import { compileAlerting } from '../domain/rules/alarms';
import { createHandler as createAckApi } from '../lambdas/ack-api/index';
import { createHandler as createEscalation, type EscalationTask } from '../lambdas/escalation/index';
import { createHandler as createAggregator } from '../lambdas/log-aggregator/index';
import { createHandler as createPagerDuty } from '../lambdas/notify-pagerduty/index';
import { createHandler as createSlack } from '../lambdas/notify-slack/index';
import { createHandler as createRouter } from '../lambdas/router/index';
import { AlertStore } from '../lambdas/shared/alert-store';
import { SecretCache } from '../lambdas/shared/secrets';
import { INSTRUMENTATION_ENV } from '../layers/instrumentation/environment';
import { Metrics } from '../layers/instrumentation/metrics';
import { parseDuration } from '../layers/instrumentation/units';
import { AlarmLoop } from './alarms';
import { SimClock } from './clock';
import { LocalLogs } from './cloudwatch-logs';
import { startAwsJsonServer } from './emulators/aws-json';
import { startAlertTable } from './emulators/dynamodb';
import { startPagerDutyReceiver, startSlackReceiver } from './emulators/receivers';
import { startSecretsManager } from './emulators/secrets';
import { emailSender, startSmtpReceiver } from './emulators/smtp';
import { type Subscription, startSns } from './emulators/sns';
import { type EventLog, lambdaInvoke, startStepFunctions, stateMachineDefinitions } from './emulators/step-functions';
import { startXRayReceiver } from './emulators/xray';
import { DEFAULT_MAX_INSTANCES, DEMO_FUNCTIONS, LocalLambda } from './runtime/lambda';
import { DEFAULT_SCENARIO, DEFAULT_SEED, scenarioNamed, seededRandom, Workload } from './scenarios';
import { demoRequest } from './service/requests';
import { ESCALATION_ENDINGS } from './summary';
import { synthesizeTemplate } from './synth';
import type { JournalEntry, MatchableAlert, SandboxStats, SandboxView } from './types';
import { startWebServer } from './web/server';

export const REGION = 'us-east-1';
export const ACCOUNT = '123456789012';
export const DEFAULT_SPEED = 60;
export const DEFAULT_PORT = 8088;
const CREDENTIALS = { accessKeyId: 'AKIDSANDBOX', secretAccessKey: 'sandbox-secret' } as const;
/** How often log streams are delivered to the aggregator and alarms are evaluated (real ms). */
const LOG_DELIVERY_MS = 250;
const ALARM_TICK_MS = 100;
const MAX_RECENT_LOGS = 200;
/** Warm-up requests per execution environment before the simulation starts. */
const WARM_UP_INVOCATIONS = 5;
/** How long the end of a scenario waits for escalations still running (simulated ms). */
const SETTLE_MS = 30 * 60_000;
/** How long stopping waits for the pipeline's in-flight work (real ms). */
const DRAIN_MS = 3000;

export interface SandboxOptions {
  /** Directory relative paths are resolved against. */
  readonly cwd: string;
  /** @default 'observability.config.ts' */
  readonly configFile?: string;
  /** @default - the configuration's first environment */
  readonly environment?: string;
  /** @default 'incident' */
  readonly scenario?: string;
  /** Simulated seconds per real second. @default 60 */
  readonly speed?: number;
  /** Simulated start time (epoch ms). @default now */
  readonly start?: number;
  /** Port of the web page on 127.0.0.1 (0 = any free port). @default 8088 */
  readonly port?: number;
  /** Seed of the workload's jitter. @default 1 */
  readonly seed?: number;
  /** Status lines (startup steps, problems). @default - none */
  readonly log?: (line: string) => void;
  /** Called as soon as the page listens (before the pipeline is up). */
  readonly onUrl?: (url: string) => void;
}

export interface Sandbox {
  readonly url: string;
  readonly view: SandboxView;
  readonly clock: SimClock;
  /** Resolves once the alert pipeline (table, state machine, channels) is up. */
  readonly pipelineReady: Promise<void>;
  /** Resolves when the scenario's workload has ended and the pipeline has settled. */
  readonly finished: Promise<void>;
  journal(): readonly JournalEntry[];
  /** Receipts at the loopback receivers, by channel. */
  received(): Record<ChannelName, number>;
  /** Problems met while running (a failed delivery, a router error): none in a healthy run. */
  problems(): readonly string[];
  stop(): Promise<void>;
}

interface Stoppable {
  stop(): Promise<void> | void;
}

/** Alerting channels declared in the configuration, in a stable order. */
function channelsOf(config: ResolvedConfig): ChannelName[] {
  const declared = config.alerting.channels;
  return (['slack', 'pagerduty', 'email'] as const).filter((c) => declared[c] !== undefined);
}

export async function startSandbox(options: SandboxOptions): Promise<Sandbox> {
  const log = options.log ?? (() => {});
  const configFile = options.configFile ?? 'observability.config.ts';
  const config = loadConfig(configFile, options.environment, options.cwd);
  const environment = config.environment;
  const scenario = scenarioNamed(options.scenario ?? DEFAULT_SCENARIO);
  // The stack is synthesized in a child process while everything else starts.
  const synthesis = synthesizeTemplate(resolve(options.cwd, configFile), environment);
  synthesis.catch(() => {});
  const startReal = Date.now();
  const clock = new SimClock({
    simStartMs: options.start ?? startReal,
    realStartMs: startReal,
    speed: options.speed ?? DEFAULT_SPEED,
  });
  const { specs, composites } = compileAlerting(config);
  const dashboards = compileDashboards(config);
  const store = new MetricStore();
  const journal: JournalEntry[] = [];
  const knownAlerts = new Map<string, MatchableAlert>();
  const problems: string[] = [];
  const recentLogs: string[] = [];
  const stoppables: Stoppable[] = [];
  const timers: NodeJS.Timeout[] = [];
  const problem = (what: string, error?: unknown) => {
    const line = error === undefined ? what : `${what}: ${error instanceof Error ? error.message : String(error)}`;
    if (problems.length < 1000) problems.push(line);
    log(`problem: ${line}`);
  };
  const record = (entry: JournalEntry) => journal.push(entry);
  let stopping = false;
  let workloadDone = false;
  // created once the service is warm; the page may ask for the phase before that
  let workload: Workload | undefined;

  const alarms = new AlarmLoop({ specs, composites, store, region: REGION, account: ACCOUNT });
  const counters = { deadLettered: 0, aggregatorBatches: 0, notifications: 0 };

  // Main-thread Lambdas (router, aggregator) run on the wall clock: their EMF is re-timed onto
  // the simulated clock before the store sees it, as if their own clock were compressed too.
  const logs = new LocalLogs({
    store,
    owner: ACCOUNT,
    subscriptionFilter: `${config.service}-${environment}-aggregator`,
    deliver: (event) => aggregate(event),
    onError: (error) => problem('log delivery to the aggregator failed', error),
  });
  const retimed = (line: string) => {
    try {
      const doc = JSON.parse(line) as { _aws?: { Timestamp?: number } };
      if (doc._aws && typeof doc._aws.Timestamp === 'number') doc._aws.Timestamp = clock.toSim(doc._aws.Timestamp);
      logs.extractEmf(JSON.stringify(doc));
    } catch {
      /* not JSON: not EMF */
    }
  };
  const kitMetrics = (fn: string) =>
    new Metrics({
      namespace: config.namespace,
      service: fn,
      defaultDimensions: { environment },
      sink: retimed,
      strict: false,
    });

  // ---- the stand-ins that need no template: X-Ray, EventBridge + SQS, receivers, secrets
  const routerQueue: unknown[] = [];
  let routeEvent: ((event: unknown) => Promise<void>) | undefined;
  const toRouter = (event: unknown) => {
    if (routeEvent) void routeEvent(event);
    else routerQueue.push(event);
  };

  const sandboxView: SandboxView = {
    service: config.service,
    environment,
    scenario: { name: scenario.name, description: scenario.description, durationMs: scenario.durationMs },
    get clock() {
      return clock.settings;
    },
    now: clock.now,
    phase: () => workload?.phase()?.name ?? '',
    finished: () => workloadDone,
    stats: () => stats(),
    journal: () => journal,
    traces: () => xray.traces(),
    alarms: () => alarms.states(),
    alerts: () => knownAlerts,
    recentLogs: () => recentLogs,
    dashboards,
    metrics: store,
    ackApi: (event) => ackApi(event),
  };
  const web = await startWebServer(sandboxView, { port: options.port ?? DEFAULT_PORT });
  stoppables.push(web);
  options.onUrl?.(web.url);
  // Until the simulation starts, what the service writes is warm-up: dropped.
  let warming = true;
  const xray = await startXRayReceiver();
  stoppables.push(xray);

  const dlqUrl = `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/${config.service}-${environment}-dlq`;
  const eventsEndpoint = await startAwsJsonServer('1.1', {
    'AWSEvents.PutEvents': (body) => {
      const entries = (body.Entries as Record<string, unknown>[] | undefined) ?? [];
      const results = entries.map((entry) => {
        const id = randomBytes(16).toString('hex');
        toRouter({
          version: '0',
          id,
          'detail-type': entry.DetailType,
          source: entry.Source,
          account: ACCOUNT,
          time: new Date(clock.now()).toISOString(),
          region: REGION,
          resources: entry.Resources ?? [],
          detail: JSON.parse(String(entry.Detail ?? '{}')) as unknown,
        });
        return { EventId: id };
      });
      return { body: { FailedEntryCount: 0, Entries: results } };
    },
  });
  stoppables.push(eventsEndpoint);
  const sqsEndpoint = await startAwsJsonServer('1.0', {
    'AmazonSQS.SendMessage': (body) => {
      counters.deadLettered++;
      problem(`dead letter: ${String(body.MessageBody ?? '').slice(0, 200)}`);
      return { body: { MessageId: randomBytes(16).toString('hex'), MD5OfMessageBody: '' } };
    },
    'AmazonSQS.SendMessageBatch': (body) => {
      const entries = (body.Entries as { Id: string; MessageBody?: string }[] | undefined) ?? [];
      counters.deadLettered += entries.length;
      for (const e of entries) problem(`dead letter: ${String(e.MessageBody ?? '').slice(0, 200)}`);
      return {
        body: {
          Successful: entries.map((e) => ({ Id: e.Id, MessageId: randomBytes(16).toString('hex') })),
          Failed: [],
        },
      };
    },
  });
  stoppables.push(sqsEndpoint);
  const eventBridge = new EventBridgeClient({
    region: REGION,
    credentials: CREDENTIALS,
    endpoint: eventsEndpoint.endpoint,
  });
  const sqs = new SQSClient({ region: REGION, credentials: CREDENTIALS, endpoint: sqsEndpoint.endpoint });

  // ---- the log aggregator (real handler), fed by the service's log streams
  const aggregatorHandler = createAggregator(
    {
      rules: config.logging.processingRules,
      lookupTables: config.logging.lookupTables,
      sources: config.logging.sources,
    },
    {
      eventBridge,
      sqs,
      metrics: kitMetrics(`${config.service}-log-aggregator`),
      sink: (lines) => {
        for (const line of lines) {
          if (line.includes('"_aws"')) retimed(line);
          else {
            recentLogs.push(line);
            if (recentLogs.length > MAX_RECENT_LOGS) recentLogs.splice(0, recentLogs.length - MAX_RECENT_LOGS);
          }
        }
      },
      env: {
        namespace: config.namespace,
        service: config.service,
        environment,
        dlqUrl,
        eventBusName: `${config.service}-${environment}-observability`,
        ownLogGroup: `/aws/lambda/${config.service}-${environment}-log-aggregator`,
      },
    },
  );
  async function aggregate(event: CloudWatchLogsEvent): Promise<void> {
    counters.aggregatorBatches++;
    await aggregatorHandler(event);
  }

  // ---- the demo service and its workload
  const runtime = await LocalLambda.start({
    functions: DEMO_FUNCTIONS,
    clock: clock.settings,
    xrayDaemonAddress: xray.address,
    // what the stack's instrumentFunction sets on an instrumented function
    env: {
      [INSTRUMENTATION_ENV.namespace]: config.namespace,
      [INSTRUMENTATION_ENV.service]: config.service,
      [INSTRUMENTATION_ENV.environment]: environment,
      [INSTRUMENTATION_ENV.logLevel]: config.logging.level,
      [INSTRUMENTATION_ENV.debugSampleRate]: String(config.logging.debugSampleRate),
      [INSTRUMENTATION_ENV.traceSampling]: JSON.stringify(config.tracing.sampling),
    },
    onLogLine: (line) => {
      if (!warming)
        logs.put({ logGroup: line.logGroup, logStream: line.logStream, at: line.at, message: line.message });
    },
  });
  stoppables.push(runtime);
  await warmUp(runtime, clock);
  workload = new Workload({
    runtime,
    clock,
    scenario,
    seed: options.seed ?? DEFAULT_SEED,
    onPhase: (phase) => {
      record({ kind: 'phase', at: clock.now(), phase: phase.name, description: phase.description });
    },
  });

  // ---- the alarm loop
  const alarmTick = () => {
    for (const change of alarms.tick(clock.now())) {
      record({
        kind: 'alarm',
        at: change.at,
        alarm: change.alarmName,
        rule: change.ruleName,
        from: change.from,
        to: change.to,
        reason: change.reason,
      });
      toRouter(change.event);
    }
  };

  // ---- the alert pipeline, once the stack is synthesized
  let ackApi: SandboxView['ackApi'] = async () => ({
    statusCode: 503,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ message: 'the alert pipeline is starting (cdk synth); try again in a few seconds' }),
  });
  const received: Record<ChannelName, number> = { slack: 0, pagerduty: 0, email: 0 };

  let pendingIdle: () => Promise<void> = async () => {};
  let abortWaits: () => void = () => {};
  const pipelineReady = (async () => {
    const { template, cached } = await synthesis;
    log(`stack: synthesized template of ${config.service} ${environment}${cached ? ' (cached)' : ''}`);
    const table = await startAlertTable(template, { region: REGION });
    stoppables.push(table);
    const alertStore = new AlertStore({ client: table.client, tableName: table.tableName, now: clock.now });

    // channels: receivers, secrets, notifiers, SNS topics
    const channels = channelsOf(config);
    const linkKey = randomBytes(32).toString('hex');
    const slackReceiver = await startSlackReceiver();
    const pagerDutyReceiver = await startPagerDutyReceiver();
    const smtp = await startSmtpReceiver();
    stoppables.push(slackReceiver, pagerDutyReceiver, smtp);
    slackReceiver.onMessage(() => received.slack++);
    pagerDutyReceiver.onMessage(() => received.pagerduty++);
    smtp.onMessage(() => received.email++);
    const declared = config.alerting.channels;
    const secretValues: Record<string, string> = {};
    if (declared.slack) secretValues[declared.slack.webhookSecret] = JSON.stringify({ url: slackReceiver.url });
    if (declared.pagerduty) {
      secretValues[declared.pagerduty.routingKeySecret] = JSON.stringify({
        routingKey: randomBytes(16).toString('hex'),
      });
    }
    const secretsManager = await startSecretsManager(secretValues);
    stoppables.push(secretsManager);
    const secrets = new SecretCache(
      new SecretsManagerClient({ region: REGION, credentials: CREDENTIALS, endpoint: secretsManager.endpoint }),
    );

    const audit = (channel: ChannelName): Subscription => ({
      protocol: 'lambda',
      handler: async (event: SNSEvent) => {
        for (const r of event.Records) {
          const n = JSON.parse(r.Sns.Message) as Notification;
          counters.notifications++;
          record({
            kind: 'notification',
            at: clock.now(),
            channel,
            fingerprint: n.alert.fingerprint,
            alertName: n.alert.alertName,
            notificationKind: n.kind as NotificationKind,
            level: n.level,
            levelName: n.levelName,
            summary: title(n),
          });
        }
      },
    });
    const topics: Record<string, Subscription[]> = {};
    for (const channel of channels) {
      const subscriptions: Subscription[] = [audit(channel)];
      if (channel === 'slack' && declared.slack) {
        const slack = createSlack(
          { webhookSecret: declared.slack.webhookSecret, channel: declared.slack.channel },
          { secrets },
        );
        subscriptions.push({ protocol: 'lambda', handler: slack });
      }
      if (channel === 'pagerduty' && declared.pagerduty) {
        const pd = createPagerDuty(
          { routingKeySecret: declared.pagerduty.routingKeySecret, endpoint: pagerDutyReceiver.endpoint },
          { secrets },
        );
        subscriptions.push({ protocol: 'lambda', handler: pd });
      }
      if (channel === 'email' && declared.email) {
        const send = emailSender({
          host: smtp.host,
          port: smtp.port,
          from: `no-reply@sns.${REGION}.amazonaws.com`,
          to: declared.email.recipients,
        });
        subscriptions.push({ protocol: 'email', deliver: (m) => send({ subject: m.subject, body: m.body }) });
      }
      topics[`${config.service}-${environment}-${channel}`] = subscriptions;
    }
    const sns = await startSns({ region: REGION, accountId: ACCOUNT, topics });
    stoppables.push(sns);
    const topicArns: Record<string, string> = {};
    for (const channel of channels) topicArns[channel] = sns.topicArns[`${config.service}-${environment}-${channel}`];
    const snsClient = new SNSClient({ region: REGION, credentials: CREDENTIALS, endpoint: sns.endpoint });

    // the ack API (real handler), behind the web page
    const ack = createAckApi(
      {},
      { mode: 'iam', store: alertStore, sns: snsClient, topicArns, linkKey: async () => linkKey, now: clock.date },
    );
    ackApi = async (event) => {
      const result = await ack(event);
      journalAck(event, result.statusCode, result.body);
      return result;
    };
    function journalAck(event: Parameters<SandboxView['ackApi']>[0], status: number, body: string) {
      if (status >= 300) return;
      const by = event.requestContext.authorizer?.iam?.userArn ?? 'signed link';
      const ackPath = /^\/alerts\/([0-9a-f]+)\/ack$/.exec(event.rawPath);
      if (ackPath) record({ kind: 'ack', at: clock.now(), fingerprint: ackPath[1], by });
      else if (event.rawPath === '/ack') {
        const fp = new URLSearchParams(event.rawQueryString).get('fp');
        if (fp) record({ kind: 'ack', at: clock.now(), fingerprint: fp, by });
      } else if (event.rawPath === '/silences' && event.requestContext.http.method === 'POST') {
        try {
          const s = JSON.parse(body) as Pick<Silence, 'id' | 'matchers' | 'endsAt'>;
          record({
            kind: 'silence',
            at: clock.now(),
            id: s.id,
            matchers: s.matchers.map(matcherText).join(', '),
            labelMatchers: s.matchers,
            by,
            endsAt: s.endsAt,
          });
        } catch {
          /* the API answered something else: nothing to journal */
        }
      }
    }

    // the escalation: the synthesized state machine, its handler, compressed waits
    const definitions = stateMachineDefinitions(template);
    const escalationId = Object.keys(definitions).find((id) =>
      JSON.stringify(definitions[id]).includes(JSON.stringify(ESCALATION_STATES.start)),
    );
    if (!escalationId) throw new Error('the synthesized template has no escalation state machine');
    const stateMachineArn = `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:${escalationId}`;
    const escalation = createEscalation(
      { linkTtlSeconds: Math.round(parseDuration(config.alerting.ackLinkExpiry) / 1000) },
      {
        store: alertStore,
        sns: snsClient,
        topicArns,
        ackBaseUrl: web.url,
        linkKey: async () => linkKey,
        now: clock.date,
      },
    );
    const waits = new AbortController();
    const check = async (task: EscalationTask) => {
      // The Wait state runs here, on the simulated clock: the synthesized Wait reads
      // $.cursor.delaySeconds, which is what this task receives as its cursor.
      await clock.sleep((task.cursor?.delaySeconds ?? 0) * 1000, waits.signal);
      if (waits.signal.aborted) throw new Error('sandbox stopping');
      return escalation(task);
    };
    const sfnEmulator = await startStepFunctions({
      definition: definitions[escalationId],
      stateMachineArn,
      tasks: {
        [ESCALATION_STATES.check]: lambdaInvoke(check),
        [ESCALATION_STATES.notify]: lambdaInvoke(escalation),
      },
      waits: { [ESCALATION_STATES.wait]: 0 },
      retryIntervals: { [ESCALATION_STATES.check]: 50, [ESCALATION_STATES.notify]: 50 },
      onEvent: (execution, event) => journalEscalation(execution, event),
    });
    stoppables.push(sfnEmulator);
    abortWaits = () => waits.abort();

    function journalEscalation(execution: string, event: EventLog): void {
      const step = escalationStep(event);
      if (step === undefined) return;
      const fingerprint = execution.slice(0, execution.lastIndexOf('-'));
      record({ kind: 'escalation', at: clock.now(), execution, fingerprint, ...step });
    }

    // the router (real handler): alarm state changes and the kit's bus events, in order
    const router = createRouter(routerConfigOf(config.alerting), {
      dynamodb: table.client,
      sfn: new SFNClient({ region: REGION, credentials: CREDENTIALS, endpoint: sfnEmulator.endpoint }),
      sns: snsClient,
      sqs,
      metrics: kitMetrics(`${config.service}-alert-router`),
      env: {
        tableName: table.tableName,
        stateMachineArn,
        topicArns,
        dlqUrl,
        namespace: config.namespace,
        service: config.service,
        environment,
      },
      now: clock.now,
      sleep: (ms) => clock.sleep(ms),
      log: () => {},
    });
    // The snapshot matches silences synchronously: it reads this copy of what the router stored
    // (an alert's name, severity and labels never change for its fingerprint).
    const learnAlert = async (fingerprint: string) => {
      try {
        const stored = await alertStore.getAlert(fingerprint);
        if (stored) {
          knownAlerts.set(fingerprint, {
            alertName: stored.alertName,
            severity: stored.severity,
            labels: stored.labels,
          });
        }
      } catch (error) {
        problem(`reading alert ${fingerprint} failed`, error);
      }
    };
    // Lambda runs the router concurrently; the events of one alarm (or one kit alert) stay in order.
    const chains = new Map<string, Promise<void>>();
    routeEvent = (event) => {
      const { alertName, source } = describe(event);
      const chain = (chains.get(alertName) ?? Promise.resolve()).then(async () => {
        // Lambda's asynchronous invocation: two retries, then the on-failure destination.
        for (let attempt = 1; ; attempt++) {
          try {
            const result = await router(event);
            record({
              kind: 'routed',
              at: clock.now(),
              alertName,
              fingerprint: result.fingerprint,
              outcome: result.outcome,
              episode: result.episode,
              reason: result.reason,
              source,
            });
            if (result.fingerprint !== undefined && !knownAlerts.has(result.fingerprint)) {
              await learnAlert(result.fingerprint);
            }
            return;
          } catch (error) {
            if (attempt >= 3 || stopping) {
              record({ kind: 'routed', at: clock.now(), alertName, outcome: 'failed', reason: String(error), source });
              problem(`router failed on ${alertName}`, error);
              return;
            }
          }
        }
      });
      chains.set(alertName, chain);
      void chain.then(() => {
        if (chains.get(alertName) === chain) chains.delete(alertName);
      });
      return chain;
    };
    for (const event of routerQueue.splice(0)) void routeEvent(event);
    pendingIdle = async () => {
      await Promise.all([...chains.values()]);
      await sfnEmulator.idle();
      await sns.idle();
    };
    log(`alert pipeline: dynalite table, escalation state machine, ${channels.join(', ') || 'no'} channel(s)`);
  })();

  async function stopAll(): Promise<void> {
    if (stopping) return;
    stopping = true;
    for (const t of timers) clearInterval(t);
    // Drain before closing: a router event, an escalation step or an SNS delivery still in flight
    // writes to dynalite, which must not close under it. Waits end at once; retries stop.
    abortWaits();
    await Promise.race([pendingIdle().catch(() => {}), new Promise((r) => setTimeout(r, DRAIN_MS).unref())]);
    for (const s of stoppables.reverse()) {
      try {
        await s.stop();
      } catch (error) {
        problem('stopping a stand-in failed', error);
      }
    }
    eventBridge.destroy();
    sqs.destroy();
  }

  try {
    await pipelineReady;
  } catch (error) {
    await stopAll();
    throw new Error(`the alert pipeline did not start: ${error instanceof Error ? error.message : String(error)}`);
  }

  // ---- the simulation starts now: simulated time zero, warm environments, empty stores
  warming = false;
  xray.clear();
  const warmStats = runtime.stats();
  runtime.setClock(clock.restart());
  workload.start();
  log(`service: ${DEMO_FUNCTIONS.map((f) => f.name).join(', ')} running scenario '${scenario.name}'`);
  if (alarms.skipped.length > 0) {
    log(`alarms not evaluated here: ${alarms.skipped.join(', ')} (anomaly detection has no local model)`);
  }
  timers.push(setInterval(() => void logs.flush(), LOG_DELIVERY_MS));
  timers.push(setInterval(alarmTick, ALARM_TICK_MS));

  function stats(): SandboxStats {
    const r = runtime.stats();
    return {
      invocations: r.invocations - warmStats.invocations,
      invocationErrors: r.errors - warmStats.errors,
      serverErrors: r.serverErrors - warmStats.serverErrors,
      coldStarts: r.coldStarts - warmStats.coldStarts,
      logEvents: logs.lines,
      emfDocuments: logs.emfDocuments,
      aggregatorBatches: counters.aggregatorBatches,
      deadLettered: counters.deadLettered,
      segments: xray.segmentCount(),
      alarmsInAlarm: alarms.states().filter((a) => a.state === 'ALARM').length,
      notifications: counters.notifications,
    };
  }

  const finished = (async () => {
    await workload.done();
    await logs.flush();
    workloadDone = true;
    // one more evaluation round on what the last deliveries added, then let the pipeline settle:
    // routing and deliveries finish; an escalation still waiting on an open alert is not waited
    // for beyond SETTLE_MS of simulated time
    await clock.sleep(60_000);
    await Promise.race([pendingIdle(), clock.sleep(SETTLE_MS)]);
  })();

  return {
    url: web.url,
    view: sandboxView,
    clock,
    pipelineReady,
    finished,
    journal: () => journal,
    received: () => ({ ...received }),
    problems: () => problems,
    async stop() {
      await workload.stop().catch(() => {});
      await stopAll();
    },
  };
}

/** Warm-up: every environment the service may use is started and has run a few requests (JIT compiled), so compressed time does not read start-up CPU as latency. */
async function warmUp(runtime: LocalLambda, clock: SimClock): Promise<void> {
  const random = seededRandom(7);
  await Promise.all(
    DEMO_FUNCTIONS.flatMap((fn) =>
      Array.from({ length: DEFAULT_MAX_INSTANCES * WARM_UP_INVOCATIONS }, () =>
        runtime.invoke(fn.name, demoRequest(fn.name, { random, now: clock.now() })),
      ),
    ),
  );
}

/** The journal's view of one escalation event: the waits, checks, notices and endings; undefined for the rest. */
function escalationStep(event: EventLog): { state: string; detail?: string } | undefined {
  const state = event.state?.name;
  if (state === undefined) {
    return event.type === 'ExecutionFailed' || event.type === 'ExecutionAborted' ? { state: event.type } : undefined;
  }
  if (event.type === 'StateEntered' && state === ESCALATION_STATES.wait) {
    const input = event.state?.input as
      | {
          cursor?: { delaySeconds?: number; level?: number };
          input?: { levels?: { name: string; channels: string[] }[] };
        }
      | undefined;
    const level = input?.cursor?.level ?? 0;
    const target = input?.input?.levels?.[level];
    const to = target ? ` (${target.name}: ${target.channels.join(', ')})` : '';
    return { state, detail: `${input?.cursor?.delaySeconds ?? 0}s, then level ${level}${to}` };
  }
  if (event.type === 'StateExited' && state === ESCALATION_STATES.check) {
    return { state, detail: (event.state?.output as { check?: { reason?: string } } | undefined)?.check?.reason };
  }
  if (event.type === 'StateExited' && state === ESCALATION_STATES.notify) {
    const sent = (event.state?.output as { notified?: { sent?: string[] } } | undefined)?.notified?.sent ?? [];
    return { state, detail: `sent: ${sent.join(', ') || 'none'}` };
  }
  return event.type === 'StateEntered' && ESCALATION_ENDINGS.has(state) ? { state } : undefined;
}

/** A silence's matcher as text, for the journal: `name="value"`, `name!="value"`, `name=~"regex"`, `name!~"regex"`. */
function matcherText(m: Matcher): string {
  const op = m.isRegex ? (m.isEqual === false ? '!~' : '=~') : m.isEqual === false ? '!=' : '=';
  return `${m.name}${op}${JSON.stringify(m.value)}`;
}

/** The alert name and source of a router event, for the journal. */
function describe(event: unknown): { alertName: string; source: string } {
  const e = event as { source?: string; detail?: { alarmName?: string; alertName?: string } };
  if (e.source === 'aws.cloudwatch') return { alertName: e.detail?.alarmName ?? '?', source: 'cloudwatch' };
  return { alertName: e.detail?.alertName ?? '?', source: e.source ?? '?' };
}
