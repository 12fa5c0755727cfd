/**
 * Pure parsers for the Linux /proc files SystemMonitor reads (and the statfs arithmetic it shares
 * with the middleware's system sampling). Each takes the file's text and
 * returns what it could read; a field it cannot find or parse is left out, nothing throws.
 * Field layouts: proc(5) and Documentation/admin-guide/iostats.rst of the kernel.
 */
import { TCP_STATES, type TcpState } from '../catalog';

/** Kernel counters are unsigned decimal integers; anything else is not a reading. */
const UNSIGNED = /^\d+$/;
const DECIMAL = /^\d+(?:\.\d+)?$/;
const KIB = 1024;
const SECTOR_BYTES = 512;

function unsigned(token: string | undefined): number | undefined {
  if (token === undefined || !UNSIGNED.test(token)) return undefined;
  const n = Number(token);
  return Number.isFinite(n) ? n : undefined;
}

function lines(text: string): string[] {
  return typeof text === 'string' ? text.split('\n') : [];
}

function tokens(line: string): string[] {
  return line.trim().split(/\s+/);
}

// ------------------------------------------------------------------ /proc/stat

export interface CpuTimes {
  /** Ticks spent neither idle nor waiting for I/O. */
  readonly busy: number;
  readonly total: number;
}

export interface ProcStat {
  readonly cpu?: CpuTimes;
  readonly contextSwitches?: number;
  readonly interrupts?: number;
}

/** Columns of the aggregate `cpu` line that make up the total (guest time is already in user). */
const CPU_COLUMNS = 8;
const CPU_MIN_COLUMNS = 4;
const CPU_IDLE = 3;
const CPU_IOWAIT = 4;

/** `/proc/stat`: the aggregate cpu line, `ctxt` and the total of `intr`. */
export function parseStat(text: string): ProcStat {
  const result: { cpu?: CpuTimes; contextSwitches?: number; interrupts?: number } = {};
  for (const line of lines(text)) {
    const [key, ...rest] = tokens(line);
    if (key === 'cpu' && result.cpu === undefined) {
      const values = rest.slice(0, CPU_COLUMNS).map(unsigned);
      const known = values.indexOf(undefined);
      const columns = (known === -1 ? values : values.slice(0, known)) as number[];
      if (columns.length < CPU_MIN_COLUMNS) continue;
      const total = columns.reduce((a, b) => a + b, 0);
      const idle = columns[CPU_IDLE] + (columns[CPU_IOWAIT] ?? 0);
      result.cpu = { busy: total - idle, total };
    } else if (key === 'ctxt' && result.contextSwitches === undefined) {
      result.contextSwitches = unsigned(rest[0]);
    } else if (key === 'intr' && result.interrupts === undefined) {
      result.interrupts = unsigned(rest[0]);
    }
  }
  return result;
}

// --------------------------------------------------------------- /proc/loadavg

/** `/proc/loadavg`: the one-minute load average (first column). */
export function parseLoadavg(text: string): number | undefined {
  const first = tokens(lines(text)[0] ?? '')[0];
  if (first === undefined || !DECIMAL.test(first)) return undefined;
  const n = Number(first);
  return Number.isFinite(n) ? n : undefined;
}

// --------------------------------------------------------------- /proc/meminfo

/** `/proc/meminfo` as bytes by key (`kB` values times 1024; unit-less counts as they are). */
export function parseMeminfo(text: string): ReadonlyMap<string, number> {
  const info = new Map<string, number>();
  for (const line of lines(text)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const [value, unit] = tokens(line.slice(colon + 1));
    const n = unsigned(value);
    if (n === undefined || (unit !== undefined && unit !== 'kB')) continue;
    info.set(line.slice(0, colon).trim(), unit === 'kB' ? n * KIB : n);
  }
  return info;
}

export interface MemoryReadings {
  readonly totalBytes?: number;
  /** MemAvailable, or MemFree + Buffers + Cached on kernels before 3.14 (an estimate). */
  readonly availableBytes?: number;
  readonly usagePercent?: number;
  /** 0 when the system has no swap (Lambda has none). */
  readonly swapUsagePercent?: number;
}

export function memoryReadings(info: ReadonlyMap<string, number>): MemoryReadings {
  const total = info.get('MemTotal');
  let available = info.get('MemAvailable');
  if (available === undefined) {
    const free = info.get('MemFree');
    const buffers = info.get('Buffers');
    const cached = info.get('Cached');
    if (free !== undefined && buffers !== undefined && cached !== undefined) available = free + buffers + cached;
  }
  if (total !== undefined && available !== undefined && available > total) available = total;
  const swapTotal = info.get('SwapTotal');
  const swapFree = info.get('SwapFree');
  return {
    totalBytes: total,
    availableBytes: available,
    usagePercent:
      total !== undefined && total > 0 && available !== undefined ? ((total - available) / total) * 100 : undefined,
    swapUsagePercent:
      swapTotal === undefined || swapFree === undefined
        ? undefined
        : swapTotal === 0
          ? 0
          : (Math.max(0, swapTotal - swapFree) / swapTotal) * 100,
  };
}

// ---------------------------------------------------------------- /proc/vmstat

export interface PageFaults {
  readonly minor: number;
  readonly major: number;
}

/** `/proc/vmstat`: `pgfault` counts all faults, `pgmajfault` the major ones. */
export function parseVmstat(text: string): PageFaults | undefined {
  let all: number | undefined;
  let major: number | undefined;
  for (const line of lines(text)) {
    const [key, value] = tokens(line);
    if (key === 'pgfault') all ??= unsigned(value);
    else if (key === 'pgmajfault') major ??= unsigned(value);
  }
  if (all === undefined || major === undefined || major > all) return undefined;
  return { minor: all - major, major };
}

// ------------------------------------------------------------- statfs

/** The fields of a statfs result that disk usage reads, in blocks. */
export interface DiskSpace {
  readonly blocks: number;
  readonly bfree: number;
  readonly bavail: number;
}

/**
 * Percent of a file system in use, like df: used / (used + available), so the blocks reserved
 * for root count neither as used nor as available. Undefined when statfs reports no blocks.
 */
export function diskUsagePercent(space: DiskSpace): number | undefined {
  if (!(space.blocks > 0) || space.bfree > space.blocks) return undefined;
  const used = space.blocks - space.bfree;
  const usable = used + space.bavail;
  return usable > 0 ? (used / usable) * 100 : 0;
}

// ------------------------------------------------------------- /proc/diskstats

export interface DiskTotals {
  readonly reads: number;
  readonly writes: number;
  readonly readBytes: number;
  readonly writeBytes: number;
  /** Milliseconds spent reading plus writing (summed over requests). */
  readonly ioMs: number;
  /** The devices counted (whole disks only). */
  readonly devices: readonly string[];
}

/** Virtual devices whose I/O is already counted on the disks underneath them. */
const VIRTUAL_DEVICE = /^(loop|ram|zram|dm-|md)/;
/** name, then reads, merges, sectors, ms, writes, merges, sectors, ms (kernel 2.6+). */
const DISK_MIN_TOKENS = 11;
/** A partition's name is its disk's name, an optional `p`, then digits. */
const PARTITION = /^(.+?)p?\d+$/;

/**
 * `/proc/diskstats` summed over whole disks: partitions (`sda1`, `nvme0n1p2`, `mmcblk0p1`
 * next to their disk) and virtual devices (loop, ram, zram, dm-*, md*) are left out so that
 * no I/O is counted twice.
 */
export function parseDiskstats(text: string): DiskTotals | undefined {
  const rows = new Map<string, number[]>();
  for (const line of lines(text)) {
    const t = tokens(line);
    if (t.length < DISK_MIN_TOKENS) continue;
    const name = t[2];
    const values = t.slice(3, DISK_MIN_TOKENS).map(unsigned);
    if (values.some((v) => v === undefined) || unsigned(t[0]) === undefined || unsigned(t[1]) === undefined) continue;
    if (!rows.has(name)) rows.set(name, values as number[]);
  }
  if (rows.size === 0) return undefined;
  const isPartition = (name: string) => {
    const m = PARTITION.exec(name);
    return m !== null && rows.has(m[1]);
  };
  const devices: string[] = [];
  let reads = 0;
  let writes = 0;
  let readSectors = 0;
  let writeSectors = 0;
  let ioMs = 0;
  for (const [name, v] of rows) {
    if (VIRTUAL_DEVICE.test(name) || isPartition(name)) continue;
    devices.push(name);
    reads += v[0];
    readSectors += v[2];
    ioMs += v[3] + v[7];
    writes += v[4];
    writeSectors += v[6];
  }
  return {
    reads,
    writes,
    readBytes: readSectors * SECTOR_BYTES,
    writeBytes: writeSectors * SECTOR_BYTES,
    ioMs,
    devices,
  };
}

// --------------------------------------------------------------- /proc/net/dev

export interface NetTotals {
  readonly receivedBytes: number;
  readonly sentBytes: number;
  readonly receivedPackets: number;
  readonly sentPackets: number;
  /** errs + drop. */
  readonly receiveErrors: number;
  readonly sendErrors: number;
  readonly interfaces: readonly string[];
}

const NET_DEV_COLUMNS = 16;

/** `/proc/net/dev` summed over every interface but loopback (`lo`). */
export function parseNetDev(text: string): NetTotals | undefined {
  let seen = false;
  const interfaces: string[] = [];
  const sum = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
  for (const line of lines(text)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim();
    if (name === '' || /\s|\|/.test(name)) continue;
    const values = tokens(line.slice(colon + 1))
      .slice(0, NET_DEV_COLUMNS)
      .map(unsigned);
    if (values.length < NET_DEV_COLUMNS || values.some((v) => v === undefined)) continue;
    seen = true;
    if (name === 'lo') continue;
    interfaces.push(name);
    for (let i = 0; i < 12; i++) sum[i] += values[i] as number;
  }
  if (!seen) return undefined;
  return {
    receivedBytes: sum[0],
    receivedPackets: sum[1],
    receiveErrors: sum[2] + sum[3],
    sentBytes: sum[8],
    sentPackets: sum[9],
    sendErrors: sum[10] + sum[11],
    interfaces,
  };
}

// ------------------------------------------------------- /proc/net/tcp and tcp6

/** Kernel state codes (include/net/tcp_states.h) to label values. */
const TCP_STATE_CODES: Readonly<Record<string, TcpState>> = {
  '01': 'established',
  '02': 'syn_sent',
  '03': 'syn_recv',
  '04': 'fin_wait',
  '05': 'fin_wait',
  '06': 'time_wait',
  '07': 'other',
  '08': 'close_wait',
  '09': 'other',
  '0A': 'listen',
  '0B': 'other',
  '0C': 'other',
};

export type TcpCounts = Readonly<Record<TcpState, number>>;

/** `/proc/net/tcp` (or tcp6): connections by state; undefined without the header line. */
export function parseNetTcp(text: string): TcpCounts | undefined {
  const all = lines(text);
  if (!/\blocal_address\b/.test(all[0] ?? '')) return undefined;
  const counts = Object.fromEntries(TCP_STATES.map((s) => [s, 0])) as Record<TcpState, number>;
  for (let i = 1; i < all.length; i++) {
    const t = tokens(all[i]);
    if (t.length < 4 || !/^\d+:$/.test(t[0])) continue;
    const state = TCP_STATE_CODES[t[3].toUpperCase()];
    if (state !== undefined) counts[state] += 1;
  }
  return counts;
}
