/**
 * The sandbox's compressed clock. Everything in the sandbox (the demo service's workers, the
 * metric store, the alarm evaluator, the router, the escalation, the ack API) reads time from
 * one simulated clock that runs `speed` times faster than the wall clock, so a 5-minute alarm
 * window or a 1-hour escalation level plays out in seconds with CloudWatch's own semantics.
 *
 *   sim(real) = simStartMs + (real - realStartMs) * speed
 */
export interface ClockSettings {
  /** Simulated epoch ms at `realStartMs`. */
  readonly simStartMs: number;
  /** Wall-clock epoch ms the simulation started at. */
  readonly realStartMs: number;
  /** Simulated seconds per real second (>= 1). */
  readonly speed: number;
}

export const MIN_SPEED = 1;
export const MAX_SPEED = 3600;

export class SimClock {
  #settings: ClockSettings;
  readonly #realNow: () => number;

  constructor(settings: ClockSettings, realNow: () => number = Date.now) {
    if (!(settings.speed >= MIN_SPEED && settings.speed <= MAX_SPEED)) {
      throw new Error(
        `speed: ${settings.speed} is not allowed (use ${MIN_SPEED} to ${MAX_SPEED} simulated seconds per second)`,
      );
    }
    this.#settings = settings;
    this.#realNow = realNow;
  }

  get settings(): ClockSettings {
    return this.#settings;
  }

  /**
   * Starts the simulation over from `simStartMs` at the wall-clock instant `realStartMs`: what ran
   * before (start-up, warm-up) is left behind the simulated start.
   */
  restart(realStartMs: number = this.#realNow()): ClockSettings {
    this.#settings = { ...this.#settings, realStartMs };
    return this.#settings;
  }

  /** Simulated epoch ms now. */
  now = (): number => this.toSim(this.#realNow());

  /** Simulated now as a Date. */
  date = (): Date => new Date(this.now());

  /** The simulated time of a wall-clock instant. */
  toSim(realMs: number): number {
    const { simStartMs, realStartMs, speed } = this.#settings;
    return Math.round(simStartMs + (realMs - realStartMs) * speed);
  }

  /** Real ms that `simMs` simulated ms take. */
  realMs(simMs: number): number {
    return Math.max(0, simMs / this.#settings.speed);
  }

  /** Sleeps `simMs` of simulated time (resolves early, without error, when `signal` aborts). */
  sleep(simMs: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (signal?.aborted) return resolve();
      const timer = setTimeout(done, this.realMs(simMs));
      function done() {
        signal?.removeEventListener('abort', done);
        clearTimeout(timer);
        resolve();
      }
      signal?.addEventListener('abort', done, { once: true });
    });
  }
}
