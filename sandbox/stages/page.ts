/**
 * The web page: served first, so its URL can be shown while the rest starts. It reads the records
 * and the alarms from the start; what starts after it (the traces, the workload's phase, the
 * counters, the ack API) it reads from `LateParts`, which the later stages fill in.
 */
import { compileDashboards } from '../../domain/dashboards/model';
import type { AlarmLoop } from '../alarms';
import type { XRayReceiver } from '../emulators/xray';
import type { Workload } from '../scenarios';
import type { SandboxStats, SandboxView } from '../types';
import { startWebServer, type WebServer } from '../web/server';
import type { AckApi } from './ack-api';
import type { Records, Setup } from './context';

/** What the page shows that starts after it: undefined until its stage is up. */
export interface LateParts {
  xray?: Pick<XRayReceiver, 'traces'>;
  workload?: Pick<Workload, 'phase'>;
  /** Set when the simulation starts: the counters count from there. */
  stats?: () => SandboxStats;
  ackApi?: AckApi;
  /** True once the scenario's workload has finished. */
  finished: boolean;
}

/** The ack API's answer until the alert pipeline is up. */
const pipelineStarting: AckApi = async () => ({
  statusCode: 503,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ message: 'the alert pipeline is starting (cdk synth); try again in a few seconds' }),
});

export interface Page {
  readonly view: SandboxView;
  readonly server: WebServer;
}

export async function startPage(
  setup: Setup,
  records: Records,
  alarms: AlarmLoop,
  late: LateParts,
  port: number,
): Promise<Page> {
  const { config, environment, scenario, clock } = setup;
  const view: SandboxView = {
    service: config.service,
    environment,
    scenario: { name: scenario.name, description: scenario.description, durationMs: scenario.durationMs },
    get clock() {
      return clock.settings;
    },
    now: clock.now,
    phase: () => late.workload?.phase()?.name ?? '',
    finished: () => late.finished,
    stats: () => {
      // the snapshot fails (the page says so and retries) until the simulation starts
      if (!late.stats) throw new Error('the sandbox is starting: no counters before the simulation starts');
      return late.stats();
    },
    journal: () => records.journal,
    traces: () => late.xray?.traces() ?? [],
    alarms: () => alarms.states(),
    alerts: () => records.knownAlerts,
    recentLogs: () => records.recentLogs,
    dashboards: compileDashboards(config),
    metrics: setup.store,
    ackApi: (event) => (late.ackApi ?? pipelineStarting)(event),
  };
  return { view, server: await startWebServer(view, { port }) };
}
