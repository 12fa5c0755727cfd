/**
 * `PerformanceTracer`: wall time, CPU time, memory and I/O wait of traced operations, checked
 * against the MAIF monitoring guide's thresholds (`slow_operation` 1s, `memory_spike` 100MB,
 * `high_cpu` 80%, `io_bottleneck` 100ms). A breach counts a metric, logs a warning and annotates
 * the active span. Errors of the traced function propagate unchanged; measuring never throws.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { type EventLoopUtilization, performance } from 'node:perf_hooks';
import { getHeapStatistics } from 'node:v8';
import { catalogCounter, catalogHistogram } from './private/catalog-instruments';
import type { Counter, Histogram, LoggerApi, MetricsApi, TracerApi } from './types';
import { DURATION_HINT, PERCENT_HINT, parseDuration, parsePercent, parseSize, SIZE_HINT } from './units';

/** The guide's threshold names: also the `threshold` label and the span annotation suffix. */
export const THRESHOLD_NAMES = ['slow_operation', 'memory_spike', 'high_cpu', 'io_bottleneck'] as const;
export type ThresholdName = (typeof THRESHOLD_NAMES)[number];

const THRESHOLDS = {
  slow_operation: { option: 'slowOperation', parse: parseDuration, hint: DURATION_HINT, unit: 'ms', fallback: '1s' },
  memory_spike: { option: 'memorySpike', parse: parseSize, hint: SIZE_HINT, unit: 'bytes', fallback: '100MB' },
  high_cpu: { option: 'highCpu', parse: parsePercent, hint: PERCENT_HINT, unit: 'percent', fallback: '80%' },
  io_bottleneck: { option: 'ioBottleneck', parse: parseDuration, hint: DURATION_HINT, unit: 'ms', fallback: '100ms' },
} as const satisfies Record<ThresholdName, unknown>;

/** Each threshold as the guide writes it ('1s', '100MB', '80%') or as a number (ms, bytes, percent). */
export interface PerformanceThresholds {
  /** Wall time. @default '1s' */
  readonly slowOperation?: string | number;
  /** Memory growth during the operation (see `memorySpikeBytes`). @default '100MB' */
  readonly memorySpike?: string | number;
  /** CPU time / wall time, in percent of one core. @default '80%' */
  readonly highCpu?: string | number;
  /** Time spent waiting (see `ioMs`). @default '100ms' */
  readonly ioBottleneck?: string | number;
}

/** The guide's snake_case spelling (`set_thresholds({ slow_operation: '1s', ... })`) is accepted too. */
export type SnakeCaseThresholds = { readonly [K in ThresholdName]?: string | number };

/** Below this wall time the CPU ratio is not checked: a short synchronous call is ~100% CPU by nature. */
export const DEFAULT_CPU_MIN_DURATION_MS = 100;
/** Period of the RSS sampler that catches peaks inside long async operations. */
export const DEFAULT_PEAK_SAMPLE_INTERVAL_MS = 100;

export interface PerformanceTracerOptions {
  readonly metrics?: MetricsApi;
  readonly logger?: LoggerApi;
  readonly tracer?: TracerApi;
  readonly thresholds?: PerformanceThresholds & SnakeCaseThresholds;
  /** Read memory (the guide's memory_tracking). @default true */
  readonly trackMemory?: boolean;
  /** Read CPU time (the guide's cpu_profiling). @default true */
  readonly trackCpu?: boolean;
  /** `high_cpu` is checked for operations at least this long. @default 100 */
  readonly cpuMinDurationMs?: number;
  /** RSS sampling period while async operations run; 0 turns the sampler off. @default 100 */
  readonly peakSampleIntervalMs?: number;
  /** Receives every measurement (operations and contexts); exceptions are swallowed. */
  readonly onMeasurement?: (measurement: PerformanceMeasurement) => void;
}

export type MeasurementKind = 'operation' | 'memory' | 'cpu' | 'io';

export interface PerformanceMeasurement {
  readonly operation: string;
  readonly kind: MeasurementKind;
  readonly wallMs: number;
  /** User + system CPU time of the whole process during the operation (other concurrent work included). */
  readonly cpuMs: number;
  /** cpuMs / wallMs in percent of one core (can exceed 100 with worker or GC threads). */
  readonly cpuPercent: number;
  /**
   * Time in `ioContext()` blocks when the operation had any (capped at wallMs), else the time
   * the event loop sat idle waiting for I/O or timers while it ran (0 for a synchronous function).
   */
  readonly ioMs: number;
  readonly ioSource: 'explicit' | 'estimate';
  /** Change of V8 used heap + external memory (off-heap buffers); negative when a GC ran. */
  readonly memoryDeltaBytes: number;
  readonly rssStartBytes: number;
  /** Highest RSS seen: at start, at end and by the sampler during async operations. */
  readonly peakRssBytes: number;
  /** What `memory_spike` compares: max(memoryDeltaBytes, peakRssBytes - rssStartBytes). */
  readonly memorySpikeBytes: number;
  readonly breaches: readonly ThresholdName[];
  /** True when the function threw or its promise rejected. */
  readonly failed: boolean;
}

/** The checks each kind of measurement runs. */
const CHECKS: Readonly<Record<MeasurementKind, readonly ThresholdName[]>> = {
  operation: THRESHOLD_NAMES,
  memory: ['memory_spike'],
  cpu: ['high_cpu'],
  io: ['io_bottleneck'],
};

interface Frame {
  readonly operation: string;
  readonly kind: MeasurementKind;
  readonly parent: Frame | undefined;
  readonly wall: number;
  readonly loop: EventLoopUtilization;
  readonly cpu: NodeJS.CpuUsage | undefined;
  readonly memory: number;
  readonly rss: number;
  peakRss: number;
  ioMs: number;
  explicitIo: boolean;
}

export interface ContextResult<T> {
  readonly result: T;
  readonly measurement: PerformanceMeasurement;
}

type Method<This, Args extends unknown[], Return> = (this: This, ...args: Args) => Return;

/** A TC39 (TypeScript 5) method decorator; it also works where legacy decorators are compiled. */
export type PerformanceDecorator = <This, Args extends unknown[], Return>(
  value: Method<This, Args, Return>,
  context: ClassMethodDecoratorContext<This, Method<This, Args, Return>>,
) => Method<This, Args, Return>;

function thresholdsOf(input: PerformanceTracerOptions['thresholds']): Record<ThresholdName, number> {
  const given = (input ?? {}) as Record<string, unknown>;
  const known = new Map<string, ThresholdName>();
  for (const name of THRESHOLD_NAMES) {
    known.set(name, name);
    known.set(THRESHOLDS[name].option, name);
  }
  for (const key of Object.keys(given)) {
    if (!known.has(key)) {
      throw new Error(
        `PerformanceTracer: thresholds.${key} is not a known threshold (use ${THRESHOLD_NAMES.map((n) => THRESHOLDS[n].option).join(', ')} or ${THRESHOLD_NAMES.join(', ')})`,
      );
    }
  }
  const out = {} as Record<ThresholdName, number>;
  for (const name of THRESHOLD_NAMES) {
    const spec = THRESHOLDS[name];
    const field = given[spec.option] !== undefined ? spec.option : name;
    const value = given[field] ?? spec.fallback;
    if (typeof value === 'number') {
      if (!Number.isFinite(value) || value < 0) {
        throw new Error(
          `PerformanceTracer: thresholds.${field} ${value} is not allowed (use a number of ${spec.unit} from 0, or ${spec.hint.replace(/^use /, '')})`,
        );
      }
      out[name] = value;
    } else {
      try {
        out[name] = spec.parse(value as string);
      } catch (error) {
        throw new Error(`PerformanceTracer: thresholds.${field} ${(error as Error).message}`);
      }
    }
  }
  return out;
}

function nonNegative(field: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new Error(`PerformanceTracer: ${field} ${String(value)} is not allowed (use a number from 0)`);
  }
  return value;
}

const ZERO_CPU: NodeJS.CpuUsage = { user: 0, system: 0 };

function heapBytes(): number {
  const heap = getHeapStatistics();
  return heap.used_heap_size + heap.external_memory;
}

export class PerformanceTracer {
  readonly thresholds: Readonly<Record<ThresholdName, number>>;
  readonly #logger: LoggerApi | undefined;
  readonly #tracer: TracerApi | undefined;
  readonly #duration: Histogram | undefined;
  readonly #breaches: Counter | undefined;
  readonly #trackMemory: boolean;
  readonly #trackCpu: boolean;
  readonly #cpuMinDurationMs: number;
  readonly #peakIntervalMs: number;
  readonly #onMeasurement: ((m: PerformanceMeasurement) => void) | undefined;
  readonly #frames = new AsyncLocalStorage<Frame>();
  readonly #sampled = new Set<Frame>();
  #sampler: NodeJS.Timeout | undefined;
  #warned = false;

  constructor(options: PerformanceTracerOptions = {}) {
    this.thresholds = Object.freeze(thresholdsOf(options.thresholds));
    this.#cpuMinDurationMs = nonNegative('cpuMinDurationMs', options.cpuMinDurationMs, DEFAULT_CPU_MIN_DURATION_MS);
    this.#peakIntervalMs = nonNegative(
      'peakSampleIntervalMs',
      options.peakSampleIntervalMs,
      DEFAULT_PEAK_SAMPLE_INTERVAL_MS,
    );
    this.#trackMemory = options.trackMemory !== false;
    this.#trackCpu = options.trackCpu !== false;
    this.#logger = options.logger;
    this.#tracer = options.tracer;
    this.#onMeasurement = options.onMeasurement;
    const metrics = options.metrics;
    if (metrics !== undefined) {
      this.#duration = catalogHistogram(metrics, 'operation_duration_seconds');
      this.#breaches = catalogCounter(metrics, 'performance_threshold_breaches_total');
    }
  }

  /** Returns `fn` wrapped: every call is measured as `name` (sync or async, `this` kept). */
  trace<Args extends unknown[], Return>(name: string, fn: (...args: Args) => Return): (...args: Args) => Return {
    if (typeof fn !== 'function') {
      throw new TypeError(`PerformanceTracer.trace: fn for '${name}' is a ${typeof fn}, not a function`);
    }
    const self = this;
    return function traced(this: unknown, ...args: Args): Return {
      return self.#run('operation', name, () => fn.apply(this, args), false) as Return;
    };
  }

  /** Runs `fn` now, measured as `name`; returns what it returns (a promise for an async fn). */
  measure<Return>(name: string, fn: () => Return): Return {
    return this.#run('operation', name, fn, false) as Return;
  }

  /** `@perf.tracePerformance()` on a class method; the name defaults to the method's name. */
  tracePerformance(name?: string): PerformanceDecorator {
    return tracePerformance(this, name);
  }

  /** Runs `fn` and returns its result with a measurement; checks `memory_spike` only. */
  memoryContext<T>(fn: () => Promise<T>): Promise<ContextResult<T>>;
  memoryContext<T>(fn: () => T): ContextResult<T>;
  memoryContext<T>(name: string, fn: () => Promise<T>): Promise<ContextResult<T>>;
  memoryContext<T>(name: string, fn: () => T): ContextResult<T>;
  memoryContext(a: string | (() => unknown), b?: () => unknown): unknown {
    return this.#context('memory', a, b);
  }

  /** Runs `fn` and returns its result with a measurement; checks `high_cpu` only. */
  cpuContext<T>(fn: () => Promise<T>): Promise<ContextResult<T>>;
  cpuContext<T>(fn: () => T): ContextResult<T>;
  cpuContext<T>(name: string, fn: () => Promise<T>): Promise<ContextResult<T>>;
  cpuContext<T>(name: string, fn: () => T): ContextResult<T>;
  cpuContext(a: string | (() => unknown), b?: () => unknown): unknown {
    return this.#context('cpu', a, b);
  }

  /**
   * Marks `fn` as I/O: its wall time becomes the `ioMs` of every enclosing operation (instead
   * of the wall - CPU estimate) and is checked against `io_bottleneck`. Returns fn's result.
   */
  ioContext<T>(fn: () => T): T;
  ioContext<T>(name: string, fn: () => T): T;
  ioContext(a: string | (() => unknown), b?: () => unknown): unknown {
    const [name, fn] = typeof a === 'function' ? [undefined, a] : [a, b];
    return this.#run('io', this.#contextName(name), fn as () => unknown, false);
  }

  #context(kind: 'memory' | 'cpu', a: string | (() => unknown), b?: () => unknown): unknown {
    const [name, fn] = typeof a === 'function' ? [undefined, a] : [a, b];
    return this.#run(kind, this.#contextName(name), fn as () => unknown, true);
  }

  /** A context's operation label: its own name, else the enclosing operation's. */
  #contextName(name: string | undefined): string {
    return name ?? this.#frames.getStore()?.operation ?? 'anonymous';
  }

  #run(kind: MeasurementKind, operation: string, fn: () => unknown, withMeasurement: boolean): unknown {
    const frame = this.#start(kind, String(operation), this.#frames.getStore());
    if (frame === undefined) {
      // Measuring failed to start: run fn untouched (contexts still owe a measurement).
      const plain = fn();
      if (!withMeasurement) return plain;
      const empty = this.#empty(kind, operation);
      return plain instanceof Promise
        ? plain.then((result) => ({ result, measurement: empty }))
        : { result: plain, measurement: empty };
    }
    let result: unknown;
    try {
      result = this.#frames.run(frame, fn);
    } catch (error) {
      this.#finish(frame, true);
      throw error;
    }
    // Only native promises are awaited: another thenable (a lazy query builder) is returned
    // as it is, measured up to its creation, so the caller gets the very object fn returned.
    if (result instanceof Promise) {
      this.#watchPeak(frame);
      return result.then(
        (value) => {
          const measurement = this.#finish(frame, false);
          return withMeasurement ? { result: value, measurement } : value;
        },
        (error: unknown) => {
          this.#finish(frame, true);
          throw error;
        },
      );
    }
    const measurement = this.#finish(frame, false);
    return withMeasurement ? { result, measurement } : result;
  }

  #start(kind: MeasurementKind, operation: string, parent: Frame | undefined): Frame | undefined {
    try {
      // v8.getHeapStatistics() costs ~1 µs where process.memoryUsage() costs ~10 µs.
      const memory = this.#trackMemory ? heapBytes() : 0;
      const rss = this.#trackMemory ? process.memoryUsage.rss() : 0;
      return {
        operation,
        kind,
        parent,
        memory,
        rss,
        peakRss: rss,
        ioMs: 0,
        explicitIo: false,
        cpu: this.#trackCpu ? process.cpuUsage() : undefined,
        // Event-loop idle time is the main thread's waiting, unlike process-wide CPU time.
        loop: performance.eventLoopUtilization(),
        // Read last so the readings above are not part of the measured time.
        wall: performance.now(),
      };
    } catch (error) {
      this.#warnOnce(error);
      return undefined;
    }
  }

  #finish(frame: Frame, failed: boolean): PerformanceMeasurement {
    const wallMs = Math.max(0, performance.now() - frame.wall);
    let measurement: PerformanceMeasurement;
    try {
      this.#unwatchPeak(frame);
      const cpu = frame.cpu === undefined ? ZERO_CPU : process.cpuUsage(frame.cpu);
      const cpuMs = (cpu.user + cpu.system) / 1000;
      let memoryDeltaBytes = 0;
      let peakRssBytes = frame.peakRss;
      if (this.#trackMemory) {
        memoryDeltaBytes = heapBytes() - frame.memory;
        peakRssBytes = Math.max(peakRssBytes, process.memoryUsage.rss());
      }
      if (frame.kind === 'io') this.#creditIo(frame, wallMs);
      const explicit = frame.kind === 'io' || frame.explicitIo;
      const idleMs = performance.eventLoopUtilization(frame.loop).idle;
      const ioMs = frame.kind === 'io' ? wallMs : Math.min(explicit ? frame.ioMs : idleMs, wallMs);
      const base = {
        operation: frame.operation,
        kind: frame.kind,
        wallMs,
        cpuMs,
        cpuPercent: wallMs > 0 ? (cpuMs / wallMs) * 100 : 0,
        ioMs,
        ioSource: explicit ? ('explicit' as const) : ('estimate' as const),
        memoryDeltaBytes,
        rssStartBytes: frame.rss,
        peakRssBytes,
        memorySpikeBytes: Math.max(memoryDeltaBytes, peakRssBytes - frame.rss),
        failed,
      };
      measurement = { ...base, breaches: this.#breachesOf(base) };
    } catch (error) {
      this.#warnOnce(error);
      return this.#empty(frame.kind, frame.operation, wallMs, failed);
    }
    this.#report(measurement);
    return measurement;
  }

  #breachesOf(m: Omit<PerformanceMeasurement, 'breaches'>): ThresholdName[] {
    const breaches: ThresholdName[] = [];
    for (const name of CHECKS[m.kind]) {
      const value = this.#valueOf(name, m);
      if (value !== undefined && value > this.thresholds[name]) breaches.push(name);
    }
    return breaches;
  }

  /** The measured value a threshold compares, or undefined when it is not measured. */
  #valueOf(name: ThresholdName, m: Omit<PerformanceMeasurement, 'breaches'>): number | undefined {
    switch (name) {
      case 'slow_operation':
        return m.wallMs;
      case 'memory_spike':
        return this.#trackMemory ? m.memorySpikeBytes : undefined;
      case 'high_cpu':
        return this.#trackCpu && m.wallMs >= this.#cpuMinDurationMs ? m.cpuPercent : undefined;
      case 'io_bottleneck':
        return m.ioMs;
    }
  }

  /** Adds an io block's time to the enclosing operations, once (an io block inside another is not added again). */
  #creditIo(frame: Frame, wallMs: number): void {
    for (let p = frame.parent; p !== undefined; p = p.parent) if (p.kind === 'io') return;
    for (let p = frame.parent; p !== undefined; p = p.parent) {
      p.ioMs += wallMs;
      p.explicitIo = true;
    }
  }

  #report(m: PerformanceMeasurement): void {
    try {
      if (m.kind === 'operation') this.#duration?.observe({ operation: m.operation }, m.wallMs / 1000);
      if (m.breaches.length > 0) {
        const span = this.#tracer?.activeSpan();
        for (const threshold of m.breaches) {
          const value = this.#valueOf(threshold, m) as number;
          this.#breaches?.inc({ operation: m.operation, threshold });
          this.#logger?.warn('performance_threshold_exceeded', {
            operation: m.operation,
            threshold,
            value,
            limit: this.thresholds[threshold],
            unit: THRESHOLDS[threshold].unit,
            duration_ms: m.wallMs,
          });
          span?.setAnnotation(`perf_${threshold}`, m.operation);
        }
        span?.setMetadata(m.operation, m, 'performance');
      }
      this.#onMeasurement?.(m);
    } catch (error) {
      this.#warnOnce(error);
    }
  }

  #watchPeak(frame: Frame): void {
    if (this.#peakIntervalMs === 0 || !this.#trackMemory) return;
    this.#sampled.add(frame);
    if (this.#sampler !== undefined) return;
    // One timer for all running operations; unref'd so it never keeps the process alive.
    this.#sampler = setInterval(() => {
      try {
        const rss = process.memoryUsage.rss();
        for (const f of this.#sampled) if (rss > f.peakRss) f.peakRss = rss;
      } catch {
        // A failed sample only loses a peak reading.
      }
    }, this.#peakIntervalMs);
    this.#sampler.unref();
  }

  #unwatchPeak(frame: Frame): void {
    if (!this.#sampled.delete(frame) || this.#sampled.size > 0 || this.#sampler === undefined) return;
    clearInterval(this.#sampler);
    this.#sampler = undefined;
  }

  #empty(kind: MeasurementKind, operation: string, wallMs = 0, failed = false): PerformanceMeasurement {
    return {
      operation,
      kind,
      wallMs,
      cpuMs: 0,
      cpuPercent: 0,
      ioMs: 0,
      ioSource: 'estimate',
      memoryDeltaBytes: 0,
      rssStartBytes: 0,
      peakRssBytes: 0,
      memorySpikeBytes: 0,
      breaches: [],
      failed,
    };
  }

  #warnOnce(error: unknown): void {
    if (this.#warned) return;
    this.#warned = true;
    try {
      this.#logger?.warn('performance_tracer_error', { error: String(error) });
    } catch {
      // Nothing left to tell.
    }
  }
}

/**
 * A method decorator measuring every call as `name` (default: the method's name). Standard
 * (TC39) decorators call it with `(method, context)`; compilers still emitting legacy
 * decorators call it with `(prototype, key, descriptor)`: both work.
 */
export function tracePerformance(perf: PerformanceTracer, name?: string): PerformanceDecorator {
  function decorate(value: unknown, context: unknown, descriptor?: PropertyDescriptor): unknown {
    if (typeof context === 'object' && context !== null && 'kind' in context) {
      const ctx = context as ClassMethodDecoratorContext;
      if (ctx.kind !== 'method' || typeof value !== 'function') {
        throw new TypeError(`tracePerformance: decorates methods only, not a ${String(ctx.kind)}`);
      }
      return perf.trace(name ?? String(ctx.name), value as (...args: unknown[]) => unknown);
    }
    if (descriptor !== undefined && typeof descriptor.value === 'function') {
      return { ...descriptor, value: perf.trace(name ?? String(context), descriptor.value) };
    }
    throw new TypeError(`tracePerformance: decorates methods only, not ${String(context)}`);
  }
  return decorate as unknown as PerformanceDecorator;
}
