/**
 * The sandbox's workload: scenarios (phases of client traffic to the demo functions, with injected
 * faults) and the `Workload` that plays one against the local Lambda on the simulated clock.
 *
 * Arrivals are spread evenly over each phase with seeded jitter, so a scenario plays the same way
 * for the same seed; requests are sent at their time without waiting for earlier ones to finish.
 */
import type { SimClock } from './clock';
import type { InvokeResult, LocalLambda } from './runtime/lambda';
import { MAX_FAULT_LATENCY_MS } from './service/http';
import { DEMO_FUNCTION_NAMES, demoRequest } from './service/requests';

export interface PhaseFault {
  /** Share of requests (0 to 1) whose backend call fails: the handler answers 500. */
  readonly errorRate?: number;
  /** Simulated ms each backend call takes instead of its normal latency (+-20 % jitter). */
  readonly latencyMs?: number;
}

export interface Phase {
  readonly name: string;
  readonly description: string;
  /** Simulated ms from the scenario's start. */
  readonly startMs: number;
  readonly endMs: number;
  /** requests per simulated minute, per function */
  readonly traffic: Readonly<Record<string, number>>;
  readonly faults?: Readonly<Record<string, PhaseFault>>;
}

export interface Scenario {
  readonly name: string;
  readonly description: string;
  readonly durationMs: number;
  readonly phases: readonly Phase[];
}

const MINUTE = 60_000;
const CREATE = 'maif-create-artifact';
const SEARCH = 'maif-semantic-search';
const EMBED = 'maif-generate-embedding';

/** Requests per simulated minute when nothing special happens. */
export const NORMAL_TRAFFIC: Readonly<Record<string, number>> = { [CREATE]: 20, [SEARCH]: 30, [EMBED]: 20 };

/**
 * The incident's error burst: createArtifact's store fails for every request. A partial failure
 * cannot hold the realtime error alarm (errors / requests of all functions > 10 % in each 10 s
 * period, 1 of 1): at 20 creates a minute a 10 s period holds 3 or 4 of them among ~12 requests, so
 * it needs two failures in every period; at 25 % it gets 0 or 1 most of the time and the alarm
 * flaps, resolving the alert (and stopping its escalation) every few periods.
 */
export const ERROR_BURST_RATE = 1;
/**
 * The incident's search latency regression: over the 100 ms search baseline and the latency SLO's
 * 2 s threshold. (The high_latency rule's p95 over 1-minute periods needs 200 samples per period
 * to be evaluated, CloudWatch's low-sample rule; this traffic gives it ~70, so it keeps its state.)
 */
export const REGRESSED_SEARCH_MS = 3000;

function phase(
  name: string,
  description: string,
  fromMinute: number,
  toMinute: number,
  faults?: Phase['faults'],
): Phase {
  return {
    name,
    description,
    startMs: fromMinute * MINUTE,
    endMs: toMinute * MINUTE,
    traffic: NORMAL_TRAFFIC,
    ...(faults ? { faults } : {}),
  };
}

export const SCENARIOS: Readonly<Record<string, Scenario>> = {
  incident: {
    name: 'incident',
    description:
      'Normal traffic, an artifact store outage long enough to page and escalate, recovery, then a search latency regression',
    durationMs: 80 * MINUTE,
    phases: [
      phase('baseline', 'Normal traffic on all three functions', 0, 3),
      phase('error-burst', 'The artifact store fails: every createArtifact answers 500', 3, 22, {
        [CREATE]: { errorRate: ERROR_BURST_RATE },
      }),
      phase('recovery', 'The artifact store is back: normal traffic', 22, 26),
      phase('latency-regression', `Semantic search slows down to ~${REGRESSED_SEARCH_MS / 1000} s per query`, 26, 70, {
        [SEARCH]: { latencyMs: REGRESSED_SEARCH_MS },
      }),
      phase('latency-recovery', 'Search is fast again: normal traffic', 70, 80),
    ],
  },
  steady: {
    name: 'steady',
    description: 'Thirty minutes of normal traffic, no faults: nothing should page',
    durationMs: 30 * MINUTE,
    phases: [phase('steady', 'Normal traffic on all three functions', 0, 30)],
  },
};

export const DEFAULT_SCENARIO = 'incident';

/** Checks a scenario: contiguous phases from 0 to durationMs, known functions, sane rates and faults. */
export function checkScenario(scenario: Scenario): Scenario {
  const where = `scenario '${scenario.name}'`;
  if (!(Number.isFinite(scenario.durationMs) && scenario.durationMs > 0)) {
    throw new Error(`${where} durationMs: ${scenario.durationMs} is not allowed (use simulated ms above 0)`);
  }
  if (scenario.phases.length === 0) throw new Error(`${where} phases: [] is not allowed (give at least one phase)`);
  let expectedStart = 0;
  for (const p of scenario.phases) {
    const at = `${where} phase '${p.name}'`;
    if (p.startMs !== expectedStart) {
      throw new Error(
        `${at} startMs: ${p.startMs} is not allowed (use ${expectedStart}: phases are contiguous from 0)`,
      );
    }
    if (!(p.endMs > p.startMs && p.endMs <= scenario.durationMs)) {
      throw new Error(
        `${at} endMs: ${p.endMs} is not allowed (use more than ${p.startMs}, at most ${scenario.durationMs})`,
      );
    }
    for (const [fn, rate] of [...Object.entries(p.traffic), ...Object.entries(p.faults ?? {})]) {
      if (!(DEMO_FUNCTION_NAMES as readonly string[]).includes(fn)) {
        throw new Error(`${at}: function '${fn}' is not allowed (use ${DEMO_FUNCTION_NAMES.join(', ')})`);
      }
      if (typeof rate === 'number' && !(Number.isFinite(rate) && rate >= 0)) {
        throw new Error(`${at} traffic.${fn}: ${rate} is not allowed (use requests per minute, 0 or more)`);
      }
    }
    for (const [fn, fault] of Object.entries(p.faults ?? {})) {
      if (fault.errorRate !== undefined && !(fault.errorRate >= 0 && fault.errorRate <= 1)) {
        throw new Error(`${at} faults.${fn}.errorRate: ${fault.errorRate} is not allowed (use 0 to 1)`);
      }
      if (fault.latencyMs !== undefined && !(fault.latencyMs > 0 && fault.latencyMs <= MAX_FAULT_LATENCY_MS)) {
        throw new Error(
          `${at} faults.${fn}.latencyMs: ${fault.latencyMs} is not allowed (use simulated ms above 0, at most ${MAX_FAULT_LATENCY_MS})`,
        );
      }
    }
    expectedStart = p.endMs;
  }
  if (expectedStart !== scenario.durationMs) {
    throw new Error(
      `${where}: the phases end at ${expectedStart}, not at durationMs ${scenario.durationMs} (cover the whole scenario)`,
    );
  }
  return scenario;
}

/** The scenario called `name`; an unknown name is an error listing the known ones. */
export function scenarioNamed(name: string): Scenario {
  const scenario = Object.hasOwn(SCENARIOS, name) ? SCENARIOS[name] : undefined;
  if (scenario === undefined) {
    throw new Error(`scenario: '${name}' is not allowed (use ${Object.keys(SCENARIOS).join(', ')})`);
  }
  return scenario;
}

/** A small seeded PRNG (mulberry32): uniform in [0, 1). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** One request of a scenario. */
export interface Arrival {
  /** Simulated ms from the scenario's start. */
  readonly atMs: number;
  readonly functionName: string;
  /** Index of its phase in `scenario.phases`. */
  readonly phase: number;
  /** The fault header's value, if the request carries one. */
  readonly fault?: string;
}

/** Arrival jitter: each request moves up to +-40 % of the interval between requests. */
const JITTER_SHARE = 0.8;
/** The seed when none is given: the CLI's `--seed` default too, so a bare run plays the tested schedule. */
export const DEFAULT_SEED = 1;

/** Every request of `scenario`, in time order: `rate * minutes` per function and phase, evenly spread with jitter. */
export function scheduleOf(scenario: Scenario, seed = DEFAULT_SEED): Arrival[] {
  checkScenario(scenario);
  const random = seededRandom(seed);
  const arrivals: Arrival[] = [];
  scenario.phases.forEach((p, index) => {
    const length = p.endMs - p.startMs;
    for (const [functionName, rate] of Object.entries(p.traffic)) {
      const count = Math.round((rate * length) / MINUTE);
      if (count === 0) continue;
      const interval = length / count;
      const fault = p.faults?.[functionName];
      for (let i = 0; i < count; i++) {
        const atMs = p.startMs + (i + 0.5 + (random() - 0.5) * JITTER_SHARE) * interval;
        let header: string | undefined;
        if (fault?.errorRate !== undefined && random() < fault.errorRate) header = 'error';
        else if (fault?.latencyMs !== undefined) header = `latency=${fault.latencyMs}`;
        arrivals.push({ atMs, functionName, phase: index, ...(header ? { fault: header } : {}) });
      }
    }
  });
  return arrivals.sort((a, b) => a.atMs - b.atMs);
}

export interface WorkloadOptions {
  readonly runtime: Pick<LocalLambda, 'invoke'>;
  readonly clock: SimClock;
  readonly scenario: Scenario;
  /** @default DEFAULT_SEED */
  readonly seed?: number;
  /** Called as each phase begins (before its first request). */
  readonly onPhase?: (phase: Phase) => void;
  /** Called as each invocation finishes. */
  readonly onResult?: (fn: string, result: InvokeResult) => void;
}

/** Plays a scenario against a runtime on the simulated clock. */
export class Workload {
  readonly #options: WorkloadOptions;
  readonly #arrivals: readonly Arrival[];
  readonly #abort = new AbortController();
  readonly #inFlight = new Set<Promise<void>>();
  readonly #done: Promise<void>;
  #resolveDone!: () => void;
  #phase: Phase | undefined;
  #running: Promise<void> | undefined;
  #sent = 0;

  constructor(options: WorkloadOptions) {
    // Scheduling checks the scenario: a bad one fails here, not at start().
    this.#arrivals = scheduleOf(options.scenario, options.seed ?? DEFAULT_SEED);
    this.#options = options;
    this.#done = new Promise((resolve) => {
      this.#resolveDone = resolve;
    });
  }

  /** Starts the scenario now (simulated time 0 of the scenario = `clock.now()`). Starting twice is an error. */
  start(): void {
    if (this.#running !== undefined) throw new Error(`workload '${this.#options.scenario.name}': already started`);
    this.#running = this.#run().finally(() => this.#resolveDone());
  }

  /** Stops sending; resolves once the invocations already sent have finished. */
  async stop(): Promise<void> {
    this.#abort.abort();
    if (this.#running === undefined) {
      this.#resolveDone();
      return;
    }
    await this.#running;
  }

  /** Resolves at the scenario's end (or at stop), once every invocation it sent has finished. */
  done(): Promise<void> {
    return this.#done;
  }

  /** The phase running now; undefined before the start and after the end. */
  phase(): Phase | undefined {
    return this.#phase;
  }

  /** Requests sent so far. */
  get sent(): number {
    return this.#sent;
  }

  async #run(): Promise<void> {
    const { clock, scenario } = this.#options;
    const signal = this.#abort.signal;
    const start = clock.now();
    const arrivals = this.#arrivals;
    const requestRandom = seededRandom((this.#options.seed ?? DEFAULT_SEED) ^ 0x9e3779b9);
    const until = async (offsetMs: number) => {
      const wait = start + offsetMs - clock.now();
      if (wait > 0) await clock.sleep(wait, signal);
    };
    let next = 0;
    for (let index = 0; index < scenario.phases.length && !signal.aborted; index++) {
      const current = scenario.phases[index];
      await until(current.startMs);
      if (signal.aborted) break;
      this.#phase = current;
      this.#notify(() => this.#options.onPhase?.(current));
      for (; next < arrivals.length && arrivals[next].phase === index; next++) {
        await until(arrivals[next].atMs);
        if (signal.aborted) break;
        this.#send(arrivals[next], requestRandom);
      }
    }
    if (!signal.aborted) await until(scenario.durationMs);
    this.#phase = undefined;
    while (this.#inFlight.size > 0) await Promise.allSettled([...this.#inFlight]);
  }

  #send(arrival: Arrival, random: () => number): void {
    const { runtime, clock } = this.#options;
    const fn = arrival.functionName;
    this.#sent++;
    let invocation: Promise<InvokeResult>;
    try {
      invocation = runtime.invoke(fn, demoRequest(fn, { random, now: clock.now(), fault: arrival.fault }));
    } catch (error) {
      invocation = Promise.reject(error);
    }
    const tracked: Promise<void> = invocation
      .catch(
        (error: unknown): InvokeResult => ({
          requestId: '',
          ok: false,
          error: `Workload.InvokeFailed: ${error instanceof Error ? error.message : String(error)}`,
          coldStart: false,
          durationMs: 0,
        }),
      )
      .then((result) => this.#notify(() => this.#options.onResult?.(fn, result)))
      .finally(() => this.#inFlight.delete(tracked));
    this.#inFlight.add(tracked);
  }

  /** A callback that throws must not stop the scenario. */
  #notify(callback: () => void): void {
    try {
      callback();
    } catch {
      // the caller's problem: the workload keeps its schedule
    }
  }
}
