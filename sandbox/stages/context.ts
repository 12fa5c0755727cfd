/**
 * What every stage of the sandbox is handed: the configuration and the simulated clock (Setup),
 * what the run records as it goes (Records), and what has started and must be stopped (Lifecycle).
 * These are the only state the stages share; each stage returns what later stages use.
 */
import type { ResolvedConfig } from '../../domain/config';
import type { ChannelName } from '../../domain/contracts/channels';
import type { MetricStore } from '../../domain/evaluator/store';
import type { SimClock } from '../clock';
import { EMULATOR_CREDENTIALS } from '../emulators/loopback';
import type { Scenario } from '../scenarios';
import type { JournalEntry, MatchableAlert } from '../types';

export const REGION = 'us-east-1';
export const ACCOUNT = '123456789012';
/** How many problems are kept (a run that keeps failing must not grow without bound). */
const MAX_PROBLEMS = 1000;
/** How many lines of the aggregated log group the page can show. */
const MAX_RECENT_LOGS = 200;
/** How long stopping waits for the pipeline's in-flight work (real ms). */
const DRAIN_MS = 3000;

/** Options of an AWS SDK client talking to a stand-in at `endpoint`. */
export function clientOptions(endpoint: string) {
  return { region: REGION, credentials: EMULATOR_CREDENTIALS, endpoint };
}

/** The configuration, the scenario and the clock: fixed once the sandbox starts. */
export interface Setup {
  readonly config: ResolvedConfig;
  readonly environment: string;
  readonly scenario: Scenario;
  readonly clock: SimClock;
  /** EMF from the service and the kit's own functions, as CloudWatch would have extracted it. */
  readonly store: MetricStore;
}

/** The name the stack gives one of its resources: `<service>-<environment>-<suffix>`. */
export function resourceName(setup: Pick<Setup, 'config' | 'environment'>, suffix: string): string {
  return `${setup.config.service}-${setup.environment}-${suffix}`;
}

/** What the sandbox records as it runs: the stages write here; the page, the CLI and the summary read it. */
export class Records {
  readonly journal: JournalEntry[] = [];
  /** Problems met while running (a failed delivery, a router error): none in a healthy run. */
  readonly problems: string[] = [];
  /** The last forwarded lines of the aggregated log group (newest last). */
  readonly recentLogs: string[] = [];
  /** The alerts the router has stored, by fingerprint (what silences are matched against). */
  readonly knownAlerts = new Map<string, MatchableAlert>();
  readonly counts = { deadLettered: 0, aggregatorBatches: 0, notifications: 0 };
  /** Receipts at the loopback receivers, by channel. */
  readonly received: Record<ChannelName, number> = { slack: 0, pagerduty: 0, email: 0 };
  /** Status lines (startup steps, problems). */
  readonly status: (line: string) => void;

  constructor(status: (line: string) => void) {
    this.status = status;
  }

  record(entry: JournalEntry): void {
    this.journal.push(entry);
  }

  problem(what: string, error?: unknown): void {
    const line = error === undefined ? what : `${what}: ${error instanceof Error ? error.message : String(error)}`;
    if (this.problems.length < MAX_PROBLEMS) this.problems.push(line);
    this.status(`problem: ${line}`);
  }

  addRecentLog(line: string): void {
    this.recentLogs.push(line);
    if (this.recentLogs.length > MAX_RECENT_LOGS) this.recentLogs.splice(0, this.recentLogs.length - MAX_RECENT_LOGS);
  }
}

export interface Stoppable {
  stop(): Promise<void> | void;
}

/** Everything the stages started (stopped in reverse order), the timers they run, and the work to drain first. */
export class Lifecycle {
  readonly #stoppables: Stoppable[] = [];
  readonly #timers: NodeJS.Timeout[] = [];
  readonly #records: Records;
  #drain: () => Promise<void> = async () => {};
  #stopping = false;

  constructor(records: Records) {
    this.#records = records;
  }

  /** True once stopping has begun: retries give up. */
  get stopping(): boolean {
    return this.#stopping;
  }

  /** Registers a started stand-in (or anything else to stop) and returns it. */
  own<T extends Stoppable>(started: T): T {
    this.#stoppables.push(started);
    return started;
  }

  /** Runs `tick` every `ms` real milliseconds until stopping. */
  every(ms: number, tick: () => void): void {
    this.#timers.push(setInterval(tick, ms));
  }

  /** What stopping runs before anything is stopped: it ends waits and resolves once in-flight work is done. */
  drainWith(drain: () => Promise<void>): void {
    this.#drain = drain;
  }

  /**
   * Stops the timers, drains for at most DRAIN_MS (a router event, an escalation step or an SNS
   * delivery still running writes to dynalite, which must not close under it), then stops
   * everything started, newest first. Stopping twice does nothing.
   */
  async stop(): Promise<void> {
    if (this.#stopping) return;
    this.#stopping = true;
    for (const timer of this.#timers) clearInterval(timer);
    await Promise.race([this.#drain().catch(() => {}), new Promise((done) => setTimeout(done, DRAIN_MS).unref())]);
    for (const started of this.#stoppables.reverse()) {
      try {
        await started.stop();
      } catch (error) {
        this.#records.problem('stopping a stand-in failed', error);
      }
    }
  }
}

/** What most stages are handed. */
export interface StageContext {
  readonly setup: Setup;
  readonly records: Records;
  readonly lifecycle: Lifecycle;
}
