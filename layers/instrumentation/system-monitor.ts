/**
 * `SystemMonitor`: CPU, memory, disk and network readings from /proc and statfs, emitted as the
 * catalog's gauges and counters. Which readings are taken follows the MAIF monitoring guide's
 * nested on/off configuration. A file that is missing, unreadable or odd skips only the readings
 * that need it (counted, warned once); nothing here throws after construction.
 */
import { readFileSync, statfsSync } from 'node:fs';
import { readFile, statfs } from 'node:fs/promises';
import { join } from 'node:path';
import type { CatalogMetricName } from './catalog';
import { TCP_STATES } from './catalog';
import { catalogInstrument } from './private/catalog-instruments';
import {
  type CpuTimes,
  type DiskTotals,
  diskUsagePercent,
  memoryReadings,
  type NetTotals,
  type PageFaults,
  parseDiskstats,
  parseLoadavg,
  parseMeminfo,
  parseNetDev,
  parseNetTcp,
  parseStat,
  parseVmstat,
  type TcpCounts,
} from './private/proc-parse';
import type { Counter, Gauge, Labels, LoggerApi, MetricsApi } from './types';

/** Where readings come from: a file under procRoot, or statfs on the mounts. */
type Source = 'stat' | 'loadavg' | 'meminfo' | 'vmstat' | 'diskstats' | 'net/dev' | 'net/tcp' | 'statfs';

/** The guide's settings (`SystemMonitor.configure_metrics`) and the /proc files each one reads. */
export const SYSTEM_METRIC_SETTINGS = {
  cpu: { utilization: 'stat', load_average: 'loadavg', context_switches: 'stat', interrupts: 'stat' },
  memory: { usage: 'meminfo', available: 'meminfo', swap_usage: 'meminfo', page_faults: 'vmstat' },
  disk: { usage: 'statfs', io_operations: 'diskstats', throughput: 'diskstats', latency: 'diskstats' },
  network: { bandwidth: 'net/dev', packets: 'net/dev', errors: 'net/dev', connections: 'net/tcp' },
} as const satisfies Record<string, Record<string, Source>>;

type Settings = typeof SYSTEM_METRIC_SETTINGS;
type Group = keyof Settings;
/** `cpu.utilization`, `network.connections`, ... */
export type SystemMetricField = { [G in Group]: `${G}.${keyof Settings[G] & string}` }[Group];

/**
 * The guide's nested booleans; a group set to `false` turns all of its readings off. `lambda` is
 * the configuration's switch for the middleware's sampling in Lambda functions (`metrics.system`
 * can be passed as it is); the monitor ignores it.
 */
export type SystemMetricsConfig = {
  readonly [G in Group]?: boolean | { readonly [K in keyof Settings[G]]?: boolean };
} & { readonly lambda?: boolean };

export const DEFAULT_SYSTEM_INTERVAL_MS = 30_000;
export const MIN_SYSTEM_INTERVAL_MS = 1_000;

export interface SystemMonitorOptions {
  readonly metrics: MetricsApi;
  /** Which readings to take. @default - all of them */
  readonly config?: SystemMetricsConfig;
  /** Receives `system_metric_unavailable` warnings (once per field and reason). @default - a JSON line on stderr */
  readonly logger?: LoggerApi;
  /** @default '/proc' */
  readonly procRoot?: string;
  /** Mount points whose space `disk_usage` reports. @default ['/'] (on Lambda, add '/tmp') */
  readonly mounts?: readonly string[];
  /** Period of `start()`. @default 30000 (the guide's collection_interval "30s") */
  readonly intervalMs?: number;
}

/** What one `sample()` read: each emitted value by series (`name` or `name{label=value}`). */
export interface SystemSample {
  readonly readings: Readonly<Record<string, number>>;
  /** Fields that had no previous sample to compute a rate or delta from (the first sample). */
  readonly baseline: readonly SystemMetricField[];
  /** Fields skipped in this sample, with why. */
  readonly skipped: readonly { readonly field: SystemMetricField; readonly reason: string }[];
}

type Texts = Partial<Record<Exclude<Source, 'statfs'> | 'net/tcp6', string | Error>>;
type Statfs = ReadonlyMap<string, { blocks: number; bfree: number; bavail: number } | Error>;

interface Previous {
  cpu?: CpuTimes;
  contextSwitches?: number;
  interrupts?: number;
  faults?: PageFaults;
  disk?: DiskTotals;
  net?: NetTotals;
}

/** Why a field was skipped, or 'baseline' / 'ok'. */
type Outcome = 'ok' | 'baseline' | { reason: string };

type Emitter = (name: CatalogMetricName, value: number, labels?: Labels) => void;

function fieldsOf(config: SystemMetricsConfig | undefined): SystemMetricField[] {
  if (config !== undefined && (typeof config !== 'object' || config === null)) {
    throw new Error(`SystemMonitor: config ${String(config)} is not allowed (use an object of groups)`);
  }
  const enabled: SystemMetricField[] = [];
  const groups = Object.keys(SYSTEM_METRIC_SETTINGS) as Group[];
  for (const key of Object.keys(config ?? {})) {
    if (key === 'lambda' && typeof config?.lambda === 'boolean') continue;
    if (!(groups as string[]).includes(key)) {
      throw new Error(`SystemMonitor: config.${key} is not a known group (use ${groups.join(', ')})`);
    }
  }
  for (const group of groups) {
    const names = Object.keys(SYSTEM_METRIC_SETTINGS[group]);
    const value: unknown = config?.[group];
    if (value === false) continue;
    if (value !== undefined && value !== true && (typeof value !== 'object' || value === null)) {
      throw new Error(
        `SystemMonitor: config.${group} ${JSON.stringify(value)} is not allowed (use true, false or an object)`,
      );
    }
    const settings = (typeof value === 'object' ? value : {}) as Record<string, unknown>;
    for (const key of Object.keys(settings)) {
      if (!names.includes(key)) {
        throw new Error(`SystemMonitor: config.${group}.${key} is not a known setting (use ${names.join(', ')})`);
      }
      if (typeof settings[key] !== 'boolean') {
        throw new Error(
          `SystemMonitor: config.${group}.${key} ${JSON.stringify(settings[key])} is not allowed (use true or false)`,
        );
      }
    }
    for (const name of names) if (settings[name] !== false) enabled.push(`${group}.${name}` as SystemMetricField);
  }
  return enabled;
}

function sourceOf(field: SystemMetricField): Source {
  const [group, name] = field.split('.') as [Group, string];
  return (SYSTEM_METRIC_SETTINGS[group] as Record<string, Source>)[name];
}

/** The catalog metrics each field emits (instruments are created for enabled fields only). */
export const FIELD_METRICS: Readonly<Record<SystemMetricField, readonly CatalogMetricName[]>> = {
  'cpu.utilization': ['cpu_utilization'],
  'cpu.load_average': ['load_average_1m'],
  'cpu.context_switches': ['context_switches_total'],
  'cpu.interrupts': ['interrupts_total'],
  'memory.usage': ['memory_usage'],
  'memory.available': ['memory_available_bytes'],
  'memory.swap_usage': ['swap_usage'],
  'memory.page_faults': ['page_faults_total'],
  'disk.usage': ['disk_usage'],
  'disk.io_operations': ['disk_io_operations_total'],
  'disk.throughput': ['disk_io_bytes_total'],
  'disk.latency': ['disk_io_time_ms'],
  'network.bandwidth': ['network_bytes_total'],
  'network.packets': ['network_packets_total'],
  'network.errors': ['network_errors_total'],
  'network.connections': ['network_connections'],
};

/** `now - before`, or undefined without a baseline or after a counter reset. */
function delta(now: number, before: number | undefined): number | undefined {
  return before === undefined || now < before ? undefined : now - before;
}

function errorText(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : String(error);
}

export class SystemMonitor {
  readonly fields: readonly SystemMetricField[];
  readonly intervalMs: number;
  readonly #metrics: MetricsApi;
  readonly #logger: LoggerApi | undefined;
  readonly #procRoot: string;
  readonly #mounts: readonly string[];
  readonly #sources: ReadonlySet<Source>;
  readonly #instruments = new Map<string, Counter | Gauge>();
  readonly #skips = new Map<SystemMetricField, number>();
  readonly #warned = new Set<string>();
  #previous: Previous = {};
  #timer: NodeJS.Timeout | undefined;
  #inFlight = false;

  constructor(options: SystemMonitorOptions) {
    if (options?.metrics === undefined) throw new Error('SystemMonitor: metrics is required (pass a Metrics instance)');
    this.fields = fieldsOf(options.config);
    const interval = options.intervalMs ?? DEFAULT_SYSTEM_INTERVAL_MS;
    if (!Number.isFinite(interval) || interval < MIN_SYSTEM_INTERVAL_MS) {
      throw new Error(`SystemMonitor: intervalMs ${interval} is not allowed (use ${MIN_SYSTEM_INTERVAL_MS} or more)`);
    }
    this.intervalMs = interval;
    const mounts = options.mounts ?? ['/'];
    if (!Array.isArray(mounts) || mounts.some((m) => typeof m !== 'string' || m === '')) {
      throw new Error(
        `SystemMonitor: mounts ${JSON.stringify(mounts)} is not allowed (use paths such as ['/', '/tmp'])`,
      );
    }
    this.#mounts = mounts;
    this.#procRoot = options.procRoot ?? '/proc';
    this.#metrics = options.metrics;
    this.#logger = options.logger;
    this.#sources = new Set(this.fields.map(sourceOf));
    for (const field of this.fields) {
      for (const name of FIELD_METRICS[field]) {
        this.#instruments.set(name, catalogInstrument(this.#metrics, name) as Counter | Gauge);
      }
    }
  }

  /** Reads with fs.promises (the interval's path); never rejects. */
  async sample(): Promise<SystemSample> {
    const texts: Texts = {};
    const space = new Map<string, { blocks: number; bfree: number; bavail: number } | Error>();
    try {
      await Promise.all([
        ...this.#files().map(async (file) => {
          texts[file] = await readFile(join(this.#procRoot, file), 'utf8').catch(
            (e: unknown) => new Error(errorText(e)),
          );
        }),
        ...(this.#sources.has('statfs') ? this.#mounts : []).map(async (mount) => {
          space.set(mount, await statfs(mount).catch((e: unknown) => new Error(errorText(e))));
        }),
      ]);
    } catch (error) {
      this.#warnOnce('read', 'system_monitor_error', { reason: String(error) });
    }
    return this.#apply(texts, space);
  }

  /** The same with synchronous reads, for code that cannot await; never throws. */
  sampleSync(): SystemSample {
    const texts: Texts = {};
    const space = new Map<string, { blocks: number; bfree: number; bavail: number } | Error>();
    for (const file of this.#files()) {
      try {
        texts[file] = readFileSync(join(this.#procRoot, file), 'utf8');
      } catch (error) {
        texts[file] = new Error(errorText(error));
      }
    }
    if (this.#sources.has('statfs')) {
      for (const mount of this.#mounts) {
        try {
          space.set(mount, statfsSync(mount));
        } catch (error) {
          space.set(mount, new Error(errorText(error)));
        }
      }
    }
    return this.#apply(texts, space);
  }

  /** Samples now (the baseline) and then every `intervalMs` on an unref'd timer. */
  start(): void {
    if (this.#timer !== undefined) return;
    // unref: a monitor must never keep the process (or a Lambda's event loop) alive.
    this.#timer = setInterval(() => this.#tick(), this.intervalMs);
    this.#timer.unref();
    this.#tick();
  }

  stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** How many times each field was skipped since construction. */
  skippedCounts(): Readonly<Partial<Record<SystemMetricField, number>>> {
    return Object.fromEntries(this.#skips);
  }

  #tick(): void {
    if (this.#inFlight) return;
    this.#inFlight = true;
    this.sample().finally(() => {
      this.#inFlight = false;
    });
  }

  #files(): (keyof Texts)[] {
    const files: (keyof Texts)[] = [];
    for (const source of this.#sources) if (source !== 'statfs') files.push(source);
    if (this.#sources.has('net/tcp')) files.push('net/tcp6');
    return files;
  }

  #apply(texts: Texts, space: Statfs): SystemSample {
    const readings: Record<string, number> = {};
    const baseline: SystemMetricField[] = [];
    const skipped: { field: SystemMetricField; reason: string }[] = [];
    const emit: Emitter = (name, value, labels) => {
      const key = labels ? `${name}{${Object.entries(labels).map(([k, v]) => `${k}=${v}`)}}` : name;
      readings[key] = value;
      const instrument = this.#instruments.get(name);
      if (instrument === undefined) return;
      if ('inc' in instrument) instrument.inc(labels, value);
      else instrument.set(labels, value);
    };
    const parsed = new ParsedTexts(texts, this.#procRoot);
    const next: Previous = { ...this.#previous };
    for (const field of this.fields) {
      let outcome: Outcome;
      try {
        outcome = RECORDERS[field]({ parsed, space, previous: this.#previous, next, emit });
      } catch (error) {
        outcome = { reason: `internal error: ${String(error)}` };
      }
      if (outcome === 'baseline') baseline.push(field);
      else if (outcome !== 'ok') {
        skipped.push({ field, reason: outcome.reason });
        this.#skips.set(field, (this.#skips.get(field) ?? 0) + 1);
        this.#warnOnce(`${field}:${outcome.reason}`, 'system_metric_unavailable', { field, reason: outcome.reason });
      }
    }
    this.#previous = next;
    return { readings, baseline, skipped };
  }

  #warnOnce(key: string, event: string, fields: Record<string, unknown>): void {
    if (this.#warned.has(key)) return;
    this.#warned.add(key);
    try {
      if (this.#logger) this.#logger.warn(event, fields);
      else process.stderr.write(`${JSON.stringify({ level: 'WARN', event, ...fields })}\n`);
    } catch {
      // A failing logger must not turn a skipped reading into an exception.
    }
  }
}

/** Parses each file at most once per sample, on first use. */
class ParsedTexts {
  readonly #texts: Texts;
  readonly #root: string;
  readonly #cache = new Map<string, unknown>();

  constructor(texts: Texts, root: string) {
    this.#texts = texts;
    this.#root = root;
  }

  /** The parsed value, or the reason it is not there. */
  get<T>(file: keyof Texts, parse: (text: string) => T): T | { reason: string } {
    const key = file;
    if (!this.#cache.has(key)) {
      const text = this.#texts[file];
      this.#cache.set(
        key,
        text === undefined || text instanceof Error
          ? { reason: `${join(this.#root, file)} is unreadable (${text?.message ?? 'not read'})` }
          : parse(text),
      );
    }
    return this.#cache.get(key) as T | { reason: string };
  }

  missing(file: keyof Texts, what: string): { reason: string } {
    return { reason: `${join(this.#root, file)} has no ${what}` };
  }
}

function isReason(value: unknown): value is { reason: string } {
  return typeof value === 'object' && value !== null && typeof (value as { reason?: unknown }).reason === 'string';
}

interface RecordContext {
  readonly parsed: ParsedTexts;
  readonly space: Statfs;
  readonly previous: Readonly<Previous>;
  readonly next: Previous;
  readonly emit: Emitter;
}

/** Counter fields: emit `now - previous` per label, or record the baseline. */
function counterField<T>(
  ctx: RecordContext,
  key: keyof Previous,
  current: T,
  series: readonly [CatalogMetricName, Labels | undefined, (t: T) => number][],
): Outcome {
  (ctx.next as Record<string, unknown>)[key] = current;
  const before = ctx.previous[key] as T | undefined;
  if (before === undefined) return 'baseline';
  const deltas = series.map(([, , pick]) => delta(pick(current), pick(before)));
  if (deltas.some((d) => d === undefined)) return 'baseline';
  series.forEach(([name, labels], i) => {
    ctx.emit(name, deltas[i] as number, labels);
  });
  return 'ok';
}

const stat = (ctx: RecordContext) => ctx.parsed.get('stat', parseStat);
const disk = (ctx: RecordContext) => ctx.parsed.get('diskstats', parseDiskstats);
const net = (ctx: RecordContext) => ctx.parsed.get('net/dev', parseNetDev);
const memory = (ctx: RecordContext) => {
  const info = ctx.parsed.get('meminfo', parseMeminfo);
  return isReason(info) ? info : memoryReadings(info);
};

/** One recorder per field: read what it needs, emit, say what happened. */
const RECORDERS: Readonly<Record<SystemMetricField, (ctx: RecordContext) => Outcome>> = {
  'cpu.utilization': (ctx) => {
    const s = stat(ctx);
    if (isReason(s)) return s;
    if (s.cpu === undefined) return ctx.parsed.missing('stat', 'cpu line');
    ctx.next.cpu = s.cpu;
    const before = ctx.previous.cpu;
    if (before === undefined) return 'baseline';
    const total = delta(s.cpu.total, before.total);
    const busy = delta(s.cpu.busy, before.busy);
    if (total === undefined || busy === undefined) return 'baseline';
    // No tick elapsed (samples closer than 1/USER_HZ): nothing to report rather than 0/0.
    if (total === 0) return 'baseline';
    ctx.emit('cpu_utilization', Math.min(100, (busy / total) * 100));
    return 'ok';
  },
  'cpu.load_average': (ctx) => {
    const load = ctx.parsed.get('loadavg', parseLoadavg);
    if (isReason(load)) return load;
    if (load === undefined) return ctx.parsed.missing('loadavg', 'load average');
    ctx.emit('load_average_1m', load);
    return 'ok';
  },
  'cpu.context_switches': (ctx) => {
    const s = stat(ctx);
    if (isReason(s)) return s;
    if (s.contextSwitches === undefined) return ctx.parsed.missing('stat', 'ctxt line');
    return counterField(ctx, 'contextSwitches', s.contextSwitches, [['context_switches_total', undefined, (v) => v]]);
  },
  'cpu.interrupts': (ctx) => {
    const s = stat(ctx);
    if (isReason(s)) return s;
    if (s.interrupts === undefined) return ctx.parsed.missing('stat', 'intr line');
    return counterField(ctx, 'interrupts', s.interrupts, [['interrupts_total', undefined, (v) => v]]);
  },
  'memory.usage': (ctx) => {
    const m = memory(ctx);
    if (isReason(m)) return m;
    if (m.usagePercent === undefined) return ctx.parsed.missing('meminfo', 'MemTotal and MemAvailable');
    ctx.emit('memory_usage', m.usagePercent);
    return 'ok';
  },
  'memory.available': (ctx) => {
    const m = memory(ctx);
    if (isReason(m)) return m;
    if (m.availableBytes === undefined) return ctx.parsed.missing('meminfo', 'MemAvailable');
    ctx.emit('memory_available_bytes', m.availableBytes);
    return 'ok';
  },
  'memory.swap_usage': (ctx) => {
    const m = memory(ctx);
    if (isReason(m)) return m;
    if (m.swapUsagePercent === undefined) return ctx.parsed.missing('meminfo', 'SwapTotal and SwapFree');
    ctx.emit('swap_usage', m.swapUsagePercent);
    return 'ok';
  },
  'memory.page_faults': (ctx) => {
    const faults = ctx.parsed.get('vmstat', parseVmstat);
    if (isReason(faults)) return faults;
    if (faults === undefined) return ctx.parsed.missing('vmstat', 'pgfault and pgmajfault');
    return counterField(ctx, 'faults', faults, [
      ['page_faults_total', { type: 'minor' }, (f) => f.minor],
      ['page_faults_total', { type: 'major' }, (f) => f.major],
    ]);
  },
  'disk.usage': (ctx) => {
    const reasons: string[] = [];
    for (const [mount, fs] of ctx.space) {
      if (fs instanceof Error) {
        reasons.push(`statfs ${mount} failed (${fs.message})`);
        continue;
      }
      const percent = diskUsagePercent(fs);
      if (percent === undefined) reasons.push(`statfs ${mount} reports no blocks`);
      else ctx.emit('disk_usage', percent, { mount });
    }
    return reasons.length > 0 ? { reason: reasons.join('; ') } : 'ok';
  },
  'disk.io_operations': (ctx) => {
    const d = disk(ctx);
    if (isReason(d)) return d;
    if (d === undefined) return ctx.parsed.missing('diskstats', 'device lines');
    return counterField(ctx, 'disk', d, [
      ['disk_io_operations_total', { direction: 'read' }, (t) => t.reads],
      ['disk_io_operations_total', { direction: 'write' }, (t) => t.writes],
    ]);
  },
  'disk.throughput': (ctx) => {
    const d = disk(ctx);
    if (isReason(d)) return d;
    if (d === undefined) return ctx.parsed.missing('diskstats', 'device lines');
    return counterField(ctx, 'disk', d, [
      ['disk_io_bytes_total', { direction: 'read' }, (t) => t.readBytes],
      ['disk_io_bytes_total', { direction: 'write' }, (t) => t.writeBytes],
    ]);
  },
  'disk.latency': (ctx) => {
    const d = disk(ctx);
    if (isReason(d)) return d;
    if (d === undefined) return ctx.parsed.missing('diskstats', 'device lines');
    ctx.next.disk = d;
    const before = ctx.previous.disk;
    if (before === undefined) return 'baseline';
    const ops = delta(d.reads + d.writes, before.reads + before.writes);
    const ms = delta(d.ioMs, before.ioMs);
    if (ops === undefined || ms === undefined) return 'baseline';
    // No I/O completed: the average time per I/O is undefined, so nothing is set.
    if (ops > 0) ctx.emit('disk_io_time_ms', ms / ops);
    return 'ok';
  },
  'network.bandwidth': (ctx) => {
    const n = net(ctx);
    if (isReason(n)) return n;
    if (n === undefined) return ctx.parsed.missing('net/dev', 'interface lines');
    return counterField(ctx, 'net', n, [
      ['network_bytes_total', { direction: 'received' }, (t) => t.receivedBytes],
      ['network_bytes_total', { direction: 'sent' }, (t) => t.sentBytes],
    ]);
  },
  'network.packets': (ctx) => {
    const n = net(ctx);
    if (isReason(n)) return n;
    if (n === undefined) return ctx.parsed.missing('net/dev', 'interface lines');
    return counterField(ctx, 'net', n, [
      ['network_packets_total', { direction: 'received' }, (t) => t.receivedPackets],
      ['network_packets_total', { direction: 'sent' }, (t) => t.sentPackets],
    ]);
  },
  'network.errors': (ctx) => {
    const n = net(ctx);
    if (isReason(n)) return n;
    if (n === undefined) return ctx.parsed.missing('net/dev', 'interface lines');
    return counterField(ctx, 'net', n, [
      ['network_errors_total', { direction: 'received' }, (t) => t.receiveErrors],
      ['network_errors_total', { direction: 'sent' }, (t) => t.sendErrors],
    ]);
  },
  'network.connections': (ctx) => {
    const v4 = ctx.parsed.get('net/tcp', parseNetTcp);
    const v6 = ctx.parsed.get('net/tcp6', parseNetTcp);
    const counts = [v4, v6].filter((c): c is TcpCounts => c !== undefined && !isReason(c));
    // tcp6 is absent where IPv6 is off: one readable table is enough.
    if (counts.length === 0) return isReason(v4) ? v4 : ctx.parsed.missing('net/tcp', 'header line');
    for (const state of TCP_STATES) {
      ctx.emit(
        'network_connections',
        counts.reduce((sum, c) => sum + c[state], 0),
        { state },
      );
    }
    return 'ok';
  },
};
