/**
 * The replay (`maif-obs replay`): a timed scenario (replay-scenario.ts) played through the
 * sandbox's own alert pipeline on the compressed clock, answering "what would the on-call have
 * received during that incident under this configuration".
 *
 *   scenario alerts -> EventBridge stand-in (`MAIF Alert` events, as the kit's own functions put
 *                      them) -> the real router -> dynalite + the synthesized escalation state machine
 *   scenario silences and acknowledgements -> the real ack API (as `maif-obs silence` / `ack` call it)
 *   channel topics -> every notification, as one ReplayNotice
 *
 * It runs the sandbox's stages (stages/stand-ins.ts, stages/pipeline.ts) without the demo
 * service, its workload, the alarm loop or the page: nothing here loads aws-cdk-lib; the
 * template comes from the synthesis child process (synth.ts), cached as the sandbox caches it.
 *
 * A reconciler (a scheduled pass that re-evaluates firing alerts) does not exist yet. When it
 * does, it belongs in the pipeline stage, on the simulated clock, for the sandbox and the replay
 * alike: the replay then runs it with no change here, and `pipeline.idle()` covers its work.
 *
 * What a notification stands for: today a notice carries one alert, the leader of its group's
 * batch (Notification.alert); alerts folded into the batch are not named in it. A ReplayNotice
 * therefore names the leader in `firing` or `resolved`, and lists in `members` the alerts the
 * state table's group record holds when the notice is sent, so a folded alert shows.
 */
import { resolve } from 'node:path';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { loadConfig } from '../domain/config/load';
import type { Notification, NotificationKind } from '../domain/contracts/alert';
import type { ChannelName } from '../domain/contracts/channels';
import { fingerprintOf, KIT_DETAIL_TYPE, KIT_SOURCE, type KitAlertDetail } from '../domain/contracts/events';
import { MetricStore } from '../domain/evaluator/store';
import type { AlertStore } from '../lambdas/shared/alert-store';
import { Metrics } from '../layers/instrumentation/metrics';
import { SimClock } from './clock';
import type { ReplayAlert, ReplayScenario } from './replay-scenario';
import { Lifecycle, Records, resourceName, type Setup, type StageContext } from './stages/context';
import { type Pipeline, startPipeline } from './stages/pipeline';
import { RouterInbox } from './stages/router';
import { type StandIns, startStandIns } from './stages/stand-ins';
import { synthesizeTemplate } from './synth';
import { functionUrlEvent } from './web/ack-forward';

export const DEFAULT_REPLAY_SPEED = 60;
const DEFAULT_CONFIG_FILE = 'observability.config.ts';
/** The replay serves no page: the signed links in the notices point here and are never followed. */
const NO_PAGE_URL = 'http://127.0.0.1/';

/** One notification as a channel's topic delivered it. */
export interface ReplayNotice {
  /** Simulated seconds from the scenario's start. */
  readonly at: number;
  readonly channel: ChannelName;
  /** The group's labels: the configuration's `grouping.group_by`, read from the alert (alertname, severity, labels). */
  readonly group: Readonly<Record<string, string>>;
  /** `resolved` for a resolved notice; `firing` for firing, escalation, repeat and acknowledged notices. */
  readonly status: 'firing' | 'resolved';
  /** The alerts this notice reports firing (today: its one alert, the group's leader). */
  readonly firing: readonly string[];
  /** The alerts this notice reports resolved (today: its one alert, on a resolved notice). */
  readonly resolved: readonly string[];
  readonly kind: NotificationKind;
  /** The escalation level (0: the routing rule's own channels). */
  readonly level: number;
  /** The alerts the state table's group record holds when the notice is sent, by name. */
  readonly members: readonly string[];
}

export interface ReplayOptions {
  /** Directory relative paths are resolved against. */
  readonly cwd: string;
  /** @default 'observability.config.ts' */
  readonly configFile?: string;
  /** @default - the configuration's first environment */
  readonly environment?: string;
  /** Simulated seconds per real second. @default 60 */
  readonly speed?: number;
  readonly scenario: ReplayScenario;
  /** Each notice, as it is sent (in the order sent). */
  readonly onNotice?: (notice: ReplayNotice) => void;
  /** Status lines (synthesis, problems, refused acknowledgements). @default - none */
  readonly log?: (line: string) => void;
}

export interface ReplayResult {
  /** Every notice sent within the scenario's duration, in the order sent. */
  readonly notices: readonly ReplayNotice[];
  /** Problems met while running (a router failure, a dead letter, a refused call): none in a healthy replay. */
  readonly problems: readonly string[];
}

/** One timed step of the scenario; at one instant silences go first, then resolutions, firings, acks. */
type Step =
  | { readonly at: number; readonly order: 0; readonly kind: 'silence'; readonly index: number }
  | { readonly at: number; readonly order: 1 | 2; readonly kind: 'alert'; readonly alert: ReplayAlert }
  | { readonly at: number; readonly order: 3; readonly kind: 'ack'; readonly name: string };

export async function runReplay(options: ReplayOptions): Promise<ReplayResult> {
  const { scenario } = options;
  const configFile = options.configFile ?? DEFAULT_CONFIG_FILE;
  const config = loadConfig(configFile, options.environment, options.cwd);
  const startReal = Date.now();
  const clock = new SimClock({
    simStartMs: scenario.startMs ?? startReal,
    realStartMs: startReal,
    speed: options.speed ?? DEFAULT_REPLAY_SPEED,
  });
  const setup: Setup = {
    config,
    environment: config.environment,
    // the stages read a sandbox scenario only for the demo service and the page, which do not run here
    scenario: {
      name: 'replay',
      description: 'a replayed alert scenario',
      durationMs: scenario.duration * 1000,
      phases: [],
    },
    clock,
    store: new MetricStore(),
  };
  const synthesis = synthesizeTemplate(resolve(options.cwd, configFile), setup.environment);
  synthesis.catch(() => {});
  const records = new Records(options.log ?? (() => {}));
  const ctx: StageContext = { setup, records, lifecycle: new Lifecycle(records) };
  const notices: ReplayNotice[] = [];
  const printer = new NoticePrinter(setup, scenario, (notice) => {
    if (notice.at > scenario.duration) return;
    notices.push(notice);
    options.onNotice?.(notice);
  });
  try {
    const inbox = new RouterInbox();
    const standIns = await startStandIns(ctx, inbox);
    const noMetrics = (functionName: string) =>
      new Metrics({ namespace: config.namespace, service: functionName, sink: () => {}, strict: false });
    const pipeline = await startPipeline(ctx, {
      synthesis,
      standIns,
      logs: { kitMetrics: noMetrics },
      inbox,
      pageUrl: NO_PAGE_URL,
      onNotification: (channel, notification) => printer.add(channel, notification),
    }).catch((error: unknown) => {
      throw new Error(`the alert pipeline did not start: ${error instanceof Error ? error.message : String(error)}`);
    });
    printer.connect(pipeline.alertStore);
    // simulated time zero: everything is up
    clock.restart();
    await play(ctx, { scenario, standIns, pipeline });
    await clock.sleep(setup.clock.settings.simStartMs + scenario.duration * 1000 - clock.now());
    // the end: what was sent is passed on; what stopping the escalations does afterwards is not
    await printer.close();
    return { notices, problems: [...records.problems] };
  } finally {
    await ctx.lifecycle.stop();
  }
}

/** Plays the scenario's steps at their simulated times, one after the other. */
async function play(
  ctx: StageContext,
  parts: { scenario: ReplayScenario; standIns: StandIns; pipeline: Pipeline },
): Promise<void> {
  const { clock } = ctx.setup;
  const { scenario } = parts;
  const steps: Step[] = [
    ...scenario.silences.map((s, index) => ({ at: s.start, order: 0 as const, kind: 'silence' as const, index })),
    ...scenario.alerts.flatMap((alert) => [
      { at: alert.fire, order: 2 as const, kind: 'alert' as const, alert },
      ...(alert.resolve === undefined ? [] : [{ at: alert.resolve, order: 1 as const, kind: 'alert' as const, alert }]),
    ]),
    ...scenario.acks.map((a) => ({ at: a.at, order: 3 as const, kind: 'ack' as const, name: a.name })),
  ];
  steps.sort((a, b) => a.at - b.at || a.order - b.order);
  const t0 = clock.settings.simStartMs;
  let sequence = 0;
  for (const step of steps) {
    await clock.sleep(t0 + step.at * 1000 - clock.now());
    if (ctx.lifecycle.stopping) return;
    if (step.kind === 'silence') await silence(ctx, parts.pipeline, scenario, step.index);
    else if (step.kind === 'ack') await acknowledge(ctx, parts.pipeline, scenario, step);
    else await putAlert(ctx, parts.standIns, step.alert, step.order === 2 ? 'firing' : 'resolved', ++sequence);
  }
}

/** The alert's `MAIF Alert` event on the kit's bus, as the kit's own functions put it. */
async function putAlert(
  ctx: StageContext,
  standIns: StandIns,
  alert: ReplayAlert,
  status: 'firing' | 'resolved',
  sequence: number,
): Promise<void> {
  const detail: KitAlertDetail & { readonly status: 'firing' | 'resolved' } = {
    alertName: alert.name,
    severity: alert.severity,
    labels: alert.labels,
    summary: alert.name,
    rule: alert.name,
    event: {},
    fingerprint: fingerprintOf(alert.name, alert.labels),
    occurrences: 1,
    timestamp: ctx.setup.clock.date().toISOString(),
    sequence,
    status,
  };
  const out = await standIns.eventBridge.send(
    new PutEventsCommand({
      Entries: [
        {
          Source: KIT_SOURCE,
          DetailType: KIT_DETAIL_TYPE,
          Detail: JSON.stringify(detail),
          EventBusName: resourceName(ctx.setup, 'observability'),
        },
      ],
    }),
  );
  if ((out.FailedEntryCount ?? 0) > 0) ctx.records.problem(`putting ${status} ${alert.name} on the bus failed`);
}

/** One scenario silence, created through the ack API at its start. */
async function silence(ctx: StageContext, pipeline: Pipeline, scenario: ReplayScenario, index: number): Promise<void> {
  const s = scenario.silences[index];
  const t0 = ctx.setup.clock.settings.simStartMs;
  const body = {
    matchers: Object.entries(s.matchers).map(([name, value]) => ({ name, value })),
    startsAt: new Date(t0 + s.start * 1000).toISOString(),
    endsAt: new Date(t0 + s.end * 1000).toISOString(),
    comment: `replay: silences[${index}]`,
  };
  const result = await pipeline.ackApi(
    functionUrlEvent({
      method: 'POST',
      path: '/silences',
      query: '',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    }),
  );
  if (result.statusCode >= 300) {
    ctx.records.problem(`silences[${index}]: the ack API answered ${result.statusCode}: ${result.body}`);
  }
}

/**
 * Acknowledges every alert of the scenario with this name that fires at this time, as
 * `maif-obs ack FINGERPRINT` does (POST /alerts/{fingerprint}/ack). An acknowledgement the API
 * refuses (409: the alert is not firing, e.g. it was silenced and never stored as firing) is
 * reported, not a problem: the on-call could have tried it too.
 */
async function acknowledge(
  ctx: StageContext,
  pipeline: Pipeline,
  scenario: ReplayScenario,
  step: { at: number; name: string },
): Promise<void> {
  const firing = scenario.alerts.filter(
    (a) => a.name === step.name && a.fire <= step.at && (a.resolve === undefined || step.at < a.resolve),
  );
  if (firing.length === 0) {
    ctx.records.status(`ack of ${step.name} at ${step.at}s: no alert of that name fires then`);
    return;
  }
  for (const alert of firing) {
    const fingerprint = fingerprintOf(alert.name, alert.labels);
    const result = await pipeline.ackApi(
      functionUrlEvent({ method: 'POST', path: `/alerts/${fingerprint}/ack`, query: '', headers: {}, body: '' }),
    );
    if (result.statusCode >= 300) {
      ctx.records.status(
        `ack of ${step.name} at ${step.at}s: the ack API answered ${result.statusCode}: ${result.body}`,
      );
    }
  }
}

/**
 * Turns each notification into a ReplayNotice: the time is taken when the topic delivers it, the
 * group's members are read from the state table just after, and notices are passed on in the
 * order they were delivered.
 */
class NoticePrinter {
  readonly #setup: Setup;
  readonly #names = new Map<string, string>();
  readonly #emit: (notice: ReplayNotice) => void;
  #store: AlertStore | undefined;
  #chain: Promise<void> = Promise.resolve();
  #closed = false;

  constructor(setup: Setup, scenario: ReplayScenario, emit: (notice: ReplayNotice) => void) {
    this.#setup = setup;
    this.#emit = emit;
    for (const a of scenario.alerts) this.#names.set(fingerprintOf(a.name, a.labels), a.name);
  }

  connect(store: AlertStore): void {
    this.#store = store;
  }

  /** Called by the channel's topic as it delivers: must not throw (a throw would be a failed delivery). */
  add(channel: ChannelName, n: Notification): void {
    if (this.#closed) return;
    const { clock, config } = this.#setup;
    const at = Math.round((clock.now() - clock.settings.simStartMs) / 1000);
    const all: Record<string, string> = { alertname: n.alert.alertName, severity: n.alert.severity, ...n.alert.labels };
    const group = Object.fromEntries(config.alerting.grouping.group_by.map((name) => [name, all[name] ?? '']));
    const status = n.kind === 'resolved' ? 'resolved' : 'firing';
    const names = [n.alert.alertName];
    this.#chain = this.#chain.then(async () => {
      const members = await this.#members(n.alert.fingerprint).catch(() => names);
      if (this.#closed) return;
      this.#emit({
        at,
        channel,
        group,
        status,
        firing: status === 'firing' ? names : [],
        resolved: status === 'resolved' ? names : [],
        kind: n.kind,
        level: n.level,
        members,
      });
    });
  }

  /** Passes on every notice added so far, then ignores those that come later. */
  async close(): Promise<void> {
    await this.#chain;
    this.#closed = true;
  }

  /** The names of the alerts in this alert's group record (its own name when there is none). */
  async #members(fingerprint: string): Promise<string[]> {
    const store = this.#store;
    const own = this.#names.get(fingerprint) ?? fingerprint;
    if (store === undefined) return [own];
    const record = await store.getAlert(fingerprint);
    const group = record === undefined ? undefined : await store.getGroup(record.groupKey);
    if (group === undefined) return [own];
    const names: string[] = [];
    for (const member of group.members) {
      const name = this.#names.get(member) ?? (await store.getAlert(member))?.alertName ?? member;
      if (!names.includes(name)) names.push(name);
    }
    return names;
  }
}
