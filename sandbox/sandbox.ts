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
 *
 * startSandbox runs the stages of stages/ in order: the page (first, so its URL shows at once),
 * the stand-ins, the logs, the service, the pipeline (once the stack is synthesized in a child
 * process), then starts the simulation and the alarms. Stages share only the objects of
 * stages/context.ts; each returns what later stages use.
 */
import { resolve } from 'node:path';
import { loadConfig } from '../domain/config/load';
import { MetricStore } from '../domain/evaluator/store';
import type { AlarmLoop } from './alarms';
import { SimClock } from './clock';
import type { LocalLogs } from './cloudwatch-logs';
import type { XRayReceiver } from './emulators/xray';
import { DEMO_FUNCTIONS } from './runtime/lambda';
import { DEFAULT_SCENARIO, DEFAULT_SEED, scenarioNamed } from './scenarios';
import { createAlarms, runAlarms } from './stages/alarms';
import { Lifecycle, Records, type Setup, type StageContext } from './stages/context';
import { type Logs, startLogs } from './stages/logs';
import { type LateParts, startPage } from './stages/page';
import { type Pipeline, type PipelineDeps, startPipeline } from './stages/pipeline';
import { RouterInbox } from './stages/router';
import { type Service, startService } from './stages/service';
import { type StandIns, startStandIns } from './stages/stand-ins';
import { synthesizeTemplate } from './synth';
import type { Sandbox, SandboxOptions, SandboxStats } from './types';

export type { Sandbox, SandboxOptions } from './types';

export const DEFAULT_SPEED = 60;
export const DEFAULT_PORT = 8088;
const DEFAULT_CONFIG_FILE = 'observability.config.ts';
/** How long the end of a scenario waits for escalations still running (simulated ms). */
const SETTLE_MS = 30 * 60_000;
/** After the workload, one more minute for the alarms to evaluate what the last deliveries added (simulated ms). */
const LAST_EVALUATION_MS = 60_000;

export async function startSandbox(options: SandboxOptions): Promise<Sandbox> {
  const configFile = options.configFile ?? DEFAULT_CONFIG_FILE;
  const setup = prepare(options, configFile);
  // The stack is synthesized in a child process while everything else starts.
  const synthesis = synthesizeTemplate(resolve(options.cwd, configFile), setup.environment);
  synthesis.catch(() => {});
  const records = new Records(options.log ?? (() => {}));
  const ctx: StageContext = { setup, records, lifecycle: new Lifecycle(records) };
  const alarms = createAlarms(setup);
  const inbox = new RouterInbox();
  const late: LateParts = { finished: false };

  const page = await startPage(setup, records, alarms, late, options.port ?? DEFAULT_PORT);
  ctx.lifecycle.own(page.server);
  options.onUrl?.(page.server.url);

  let started: Started;
  try {
    started = await startStages(ctx, { synthesis, inbox, late, pageUrl: page.server.url, seed: options.seed });
  } catch (error) {
    await ctx.lifecycle.stop();
    throw error;
  }
  const { standIns, logs, service, pipeline } = started;

  // The simulation starts now: simulated time zero, warm environments, empty stores.
  standIns.xray.clear();
  service.begin();
  late.stats = () => statsOf({ service, logGroups: logs.logGroups, xray: standIns.xray, alarms, records });
  records.status(`service: ${DEMO_FUNCTIONS.map((f) => f.name).join(', ')} running scenario '${setup.scenario.name}'`);
  logs.deliverContinuously();
  runAlarms(ctx, alarms, inbox);

  const finished = (async () => {
    await service.workload.done();
    await logs.logGroups.flush();
    late.finished = true;
    // one more evaluation round on what the last deliveries added, then let the pipeline settle:
    // routing and deliveries finish; an escalation still waiting on an open alert is not waited
    // for beyond SETTLE_MS of simulated time
    await setup.clock.sleep(LAST_EVALUATION_MS);
    await Promise.race([pipeline.idle(), setup.clock.sleep(SETTLE_MS)]);
  })();

  return {
    url: page.server.url,
    view: page.view,
    clock: setup.clock,
    // startSandbox returns once the pipeline is up
    pipelineReady: Promise.resolve(),
    finished,
    journal: () => records.journal,
    received: () => ({ ...records.received }),
    problems: () => records.problems,
    async stop() {
      await service.workload.stop().catch(() => {});
      await ctx.lifecycle.stop();
    },
  };
}

/** The configuration, the scenario and the clock; throws before anything starts when one is wrong. */
function prepare(options: SandboxOptions, configFile: string): Setup {
  const config = loadConfig(configFile, options.environment, options.cwd);
  const scenario = scenarioNamed(options.scenario ?? DEFAULT_SCENARIO);
  const startReal = Date.now();
  const clock = new SimClock({
    simStartMs: options.start ?? startReal,
    realStartMs: startReal,
    speed: options.speed ?? DEFAULT_SPEED,
  });
  return { config, environment: config.environment, scenario, clock, store: new MetricStore() };
}

interface Started {
  readonly standIns: StandIns;
  readonly logs: Logs;
  readonly service: Service;
  readonly pipeline: Pipeline;
}

/** The stages after the page, in order; the page reads each part as it comes up. */
async function startStages(
  ctx: StageContext,
  deps: {
    synthesis: PipelineDeps['synthesis'];
    inbox: RouterInbox;
    late: LateParts;
    pageUrl: string;
    seed?: number;
  },
): Promise<Started> {
  const { late } = deps;
  const standIns = await startStandIns(ctx, deps.inbox);
  late.xray = standIns.xray;
  const logs = startLogs(ctx, standIns);
  const service = await startService(ctx, {
    xrayDaemonAddress: standIns.xray.address,
    logGroups: logs.logGroups,
    seed: deps.seed ?? DEFAULT_SEED,
  });
  late.workload = service.workload;
  const { synthesis, inbox, pageUrl } = deps;
  const pipeline = await startPipeline(ctx, { synthesis, standIns, logs, inbox, pageUrl }).catch((error: unknown) => {
    throw new Error(`the alert pipeline did not start: ${error instanceof Error ? error.message : String(error)}`);
  });
  late.ackApi = pipeline.ackApi;
  return { standIns, logs, service, pipeline };
}

/** The counters of the page and the summary, from the start of the simulation. */
function statsOf(parts: {
  service: Service;
  logGroups: LocalLogs;
  xray: XRayReceiver;
  alarms: AlarmLoop;
  records: Records;
}): SandboxStats {
  const { service, logGroups, xray, alarms, records } = parts;
  const s = service.stats();
  return {
    invocations: s.invocations,
    invocationErrors: s.errors,
    serverErrors: s.serverErrors,
    coldStarts: s.coldStarts,
    logEvents: logGroups.lines,
    emfDocuments: logGroups.emfDocuments,
    aggregatorBatches: records.counts.aggregatorBatches,
    deadLettered: records.counts.deadLettered,
    segments: xray.segmentCount(),
    alarmsInAlarm: alarms.states().filter((a) => a.state === 'ALARM').length,
    notifications: records.counts.notifications,
  };
}
