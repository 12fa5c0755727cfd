/**
 * Puts an execution environment (a worker thread) on the sandbox's simulated clock, before any
 * function code loads: `Date.now()`, `new Date()` without arguments, `Date()` and
 * `performance.now()` / `performance.timeOrigin` all read the compressed clock of clock.ts,
 *
 *   sim(real) = simStartMs + (real - realStartMs) * speed
 *
 * That is every clock the instrumentation core and the X-Ray SDK read (Logger timestamps and EMF
 * `Timestamp` use Date.now / new Date(), the middleware's and the tracers' durations
 * performance.now, X-Ray segment times Date.now), so log times, metric times, durations and trace
 * times are all simulated time. Timers (setTimeout) stay real: a simulated wait of `ms` is a real
 * wait of `ms / speed`.
 */
import { type ClockSettings, MAX_SPEED, MIN_SPEED } from '../clock';

export interface SimulatedTime {
  /** Simulated epoch ms, fractional. */
  epochMs(): number;
  /** Moves the clock to new settings (the sandbox restarts its simulation after warming up). */
  reset(settings: ClockSettings): void;
}

function checked(settings: ClockSettings): ClockSettings {
  const { simStartMs, realStartMs, speed } = settings;
  if (!(Number.isFinite(simStartMs) && Number.isFinite(realStartMs) && speed >= MIN_SPEED && speed <= MAX_SPEED)) {
    throw new Error(
      `simulated clock: ${JSON.stringify(settings)} is not allowed (use finite simStartMs and realStartMs, speed ${MIN_SPEED} to ${MAX_SPEED})`,
    );
  }
  return settings;
}

export function installSimulatedClock(initial: ClockSettings): SimulatedTime {
  let { simStartMs, realStartMs, speed } = checked(initial);
  const perf = globalThis.performance;
  const realPerformanceNow = perf.now.bind(perf);
  const realOrigin = perf.timeOrigin;
  // timeOrigin + now() is the wall clock with sub-millisecond resolution (Date.now() has 1 ms,
  // which at speed 120 would be 120 simulated ms).
  const epochMs = (): number => simStartMs + (realOrigin + realPerformanceNow() - realStartMs) * speed;
  const simOrigin = () => simStartMs + (realOrigin - realStartMs) * speed;

  const RealDate = Date;
  const now = (): number => Math.floor(epochMs());
  const SimDate: DateConstructor = new Proxy(RealDate, {
    construct(target, args, newTarget): object {
      return Reflect.construct(target, args.length === 0 ? [now()] : args, newTarget === SimDate ? target : newTarget);
    },
    apply() {
      return new RealDate(now()).toString();
    },
    get(target, property, receiver) {
      if (property === 'now') return now;
      return Reflect.get(target, property, receiver);
    },
  });
  globalThis.Date = SimDate;

  // sim(timeOrigin + p) - sim(timeOrigin) = p * speed: durations scale, differences stay consistent with Date.
  Object.defineProperty(perf, 'now', { value: () => realPerformanceNow() * speed, configurable: true, writable: true });
  const setOrigin = () => Object.defineProperty(perf, 'timeOrigin', { value: simOrigin(), configurable: true });
  setOrigin();
  const reset = (settings: ClockSettings) => {
    ({ simStartMs, realStartMs, speed } = checked(settings));
    setOrigin();
  };
  return { epochMs, reset };
}
