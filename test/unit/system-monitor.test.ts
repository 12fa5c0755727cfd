import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { METRIC_CATALOG } from '../../layers/instrumentation/catalog';
import { Metrics } from '../../layers/instrumentation/metrics';
import { SystemMonitor, type SystemMonitorOptions } from '../../layers/instrumentation/system-monitor';
import { emitted } from '../private/emf';
import { warningRecorder } from '../private/warnings';

function setup(options: Omit<SystemMonitorOptions, 'metrics'> = {}) {
  const lines: string[] = [];
  const { logger, warnings } = warningRecorder();
  const metrics = new Metrics({ namespace: 'Test', service: 'svc', sink: (l) => lines.push(l), rollup: false });
  const monitor = new SystemMonitor({ metrics, logger, ...options });
  const flush = () => {
    metrics.flush();
    return emitted(lines.splice(0));
  };
  return { monitor, flush, warnings };
}

/** Busy work between two samples so that CPU ticks elapse (no timing is asserted). */
function burn(): number {
  let x = 0;
  for (let i = 0; i < 5e6; i++) x = (x + i * i) % 9973;
  return x;
}

describe('SystemMonitor on this machine', () => {
  it('records baselines first, then emits every reading in a sane range', async () => {
    const { monitor, flush } = setup({ mounts: ['/'] });

    const first = await monitor.sample();
    burn();
    const second = await monitor.sample();

    expect(first.baseline).toEqual(
      expect.arrayContaining(['cpu.utilization', 'cpu.context_switches', 'memory.page_faults', 'network.bandwidth']),
    );
    expect(second.baseline).toEqual([]);
    expect(second.skipped).toEqual([]);
    const r = second.readings;
    expect(r.cpu_utilization).toBeGreaterThanOrEqual(0);
    expect(r.cpu_utilization).toBeLessThanOrEqual(100);
    expect(r.memory_usage).toBeGreaterThan(0);
    expect(r.memory_usage).toBeLessThan(100);
    expect(r.swap_usage).toBeGreaterThanOrEqual(0);
    expect(r.swap_usage).toBeLessThanOrEqual(100);
    expect(r.memory_available_bytes).toBeGreaterThan(0);
    expect(r.load_average_1m).toBeGreaterThanOrEqual(0);
    expect(r.context_switches_total).toBeGreaterThan(0);
    expect(r['page_faults_total{type=minor}']).toBeGreaterThanOrEqual(0);
    expect(r['disk_usage{mount=/}']).toBeGreaterThan(0);
    expect(r['disk_usage{mount=/}']).toBeLessThanOrEqual(100);
    expect(r['network_connections{state=listen}']).toBeGreaterThanOrEqual(0);

    const names = new Set(flush().map((e) => e.name));
    for (const name of Object.keys(METRIC_CATALOG).filter((n) => METRIC_CATALOG[n as 'up'].group === 'system')) {
      if (name === 'disk_io_time_ms') continue; // set only when an I/O completed between the samples
      expect(names).toContain(name);
    }
  });

  it('emits with the catalog units and labels', async () => {
    const { monitor, flush } = setup();
    monitor.sampleSync();
    burn();
    monitor.sampleSync();

    for (const e of flush()) {
      const entry = METRIC_CATALOG[e.name as keyof typeof METRIC_CATALOG];
      expect(entry.group).toBe('system');
      expect(e.unit).toBe(entry.unit);
      expect(Object.keys(e.labels).sort()).toEqual([...entry.labels].sort());
    }
  });

  it('reads with fs.promises and synchronously to the same series', async () => {
    const { monitor } = setup();
    const viaAsync = await monitor.sample();
    const viaSync = monitor.sampleSync();
    expect(Object.keys(viaSync.readings).sort()).toEqual(expect.arrayContaining(Object.keys(viaAsync.readings).sort()));
  });

  it('samples once on start, then every interval until stopped', async () => {
    jest.useFakeTimers({ doNotFake: ['nextTick', 'queueMicrotask', 'setImmediate'] });
    try {
      const { monitor } = setup({ config: { cpu: { utilization: true } }, intervalMs: 1000 });
      const sample = jest.spyOn(monitor, 'sample');
      const settle = async () => {
        await Promise.all(sample.mock.results.map((r) => r.value));
        await new Promise((resolve) => setImmediate(resolve));
      };

      monitor.start();
      monitor.start();
      expect(sample).toHaveBeenCalledTimes(1);
      await settle();
      jest.advanceTimersByTime(1000);
      expect(sample).toHaveBeenCalledTimes(2);
      await settle();
      monitor.stop();
      jest.advanceTimersByTime(5000);
      expect(sample).toHaveBeenCalledTimes(2);
    } finally {
      jest.useRealTimers();
    }
  });
});

describe('SystemMonitor configuration', () => {
  it('reads only what the nested on/off config turns on', async () => {
    const { monitor, flush } = setup({
      config: {
        cpu: { utilization: false, load_average: true, context_switches: false, interrupts: false },
        memory: false,
        disk: { usage: true, io_operations: false, throughput: false, latency: false },
        network: false,
      },
    });
    expect(monitor.fields).toEqual(['cpu.load_average', 'disk.usage']);
    await monitor.sample();
    expect(new Set(flush().map((e) => e.name))).toEqual(new Set(['load_average_1m', 'disk_usage']));
  });

  it.each([
    [{ gpu: true }, /config\.gpu is not a known group \(use cpu, memory, disk, network\)/],
    [{ cpu: { utilisation: true } }, /config\.cpu\.utilisation is not a known setting \(use utilization,/],
    [{ memory: { usage: 'yes' } }, /config\.memory\.usage "yes" is not allowed \(use true or false\)/],
    [{ disk: 1 }, /config\.disk 1 is not allowed \(use true, false or an object\)/],
  ])('rejects %j naming the field', (config, message) => {
    expect(() => setup({ config: config as never })).toThrow(message);
  });

  it('rejects a too short interval and odd mounts', () => {
    expect(() => setup({ intervalMs: 10 })).toThrow('SystemMonitor: intervalMs 10 is not allowed (use 1000 or more)');
    expect(() => setup({ mounts: [''] })).toThrow(/mounts \[""\] is not allowed/);
  });
});

describe('SystemMonitor on other kernels and containers', () => {
  let root: string;
  const write = (files: Record<string, string>) => {
    for (const [file, text] of Object.entries(files)) {
      mkdirSync(join(root, file, '..'), { recursive: true });
      writeFileSync(join(root, file), text);
    }
  };

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'maif-proc-'));
  });
  afterEach(() => {
    if (existsSync(root)) rmSync(root, { recursive: true });
  });

  it('degrades field by field when files are missing or odd, and warns once per field', async () => {
    write({
      stat: 'cpu  100 0 100 800\nintr 50\n', // no ctxt line
      meminfo: 'MemTotal: 1000 kB\nMemAvailable: 500 kB\n', // no swap lines
      loadavg: 'garbage\n',
      'net/dev': 'Inter-| Receive | Transmit\n face |bytes|bytes\n  eth0: 1 2 0 0 0 0 0 0 3 4 0 0 0 0 0 0\n',
      // vmstat, diskstats, net/tcp and net/tcp6 are missing
    });
    const { monitor, flush, warnings } = setup({ procRoot: root, mounts: [join(root, 'no-such-mount')] });

    await monitor.sample();
    write({ stat: 'cpu  150 0 150 900\nintr 80\n', 'net/dev': '  eth0: 11 3 0 0 0 0 0 0 13 5 1 0 0 0 0 0\n' });
    const second = await monitor.sample();

    expect(second.readings).toEqual({
      cpu_utilization: 50,
      interrupts_total: 30,
      memory_usage: 50,
      memory_available_bytes: 512_000,
      'network_bytes_total{direction=received}': 10,
      'network_bytes_total{direction=sent}': 10,
      'network_packets_total{direction=received}': 1,
      'network_packets_total{direction=sent}': 1,
      'network_errors_total{direction=received}': 0,
      'network_errors_total{direction=sent}': 1,
    });
    expect(second.skipped.map((s) => s.field).sort()).toEqual(
      [
        'cpu.context_switches',
        'cpu.load_average',
        'disk.io_operations',
        'disk.latency',
        'disk.throughput',
        'disk.usage',
        'memory.page_faults',
        'memory.swap_usage',
        'network.connections',
      ].sort(),
    );
    expect(second.skipped.find((s) => s.field === 'memory.page_faults')?.reason).toMatch(
      /vmstat is unreadable \(ENOENT\)/,
    );
    expect(second.skipped.find((s) => s.field === 'cpu.context_switches')?.reason).toMatch(/stat has no ctxt line/);
    expect(monitor.skippedCounts()['cpu.load_average']).toBe(2);
    expect(warnings.filter((w) => w.event === 'system_metric_unavailable')).toHaveLength(9);
    expect(warnings[0].fields).toEqual({ field: expect.any(String), reason: expect.any(String) });
    expect(new Set(flush().map((e) => e.name))).toEqual(
      new Set([
        'cpu_utilization',
        'interrupts_total',
        'memory_usage',
        'memory_available_bytes',
        'network_bytes_total',
        'network_packets_total',
        'network_errors_total',
      ]),
    );
  });

  it('re-baselines after a counter reset instead of emitting a negative delta', async () => {
    write({ stat: 'cpu 10 0 10 80\nctxt 1000\nintr 10\n' });
    const { monitor } = setup({
      procRoot: root,
      config: { cpu: { utilization: false, load_average: false }, memory: false, disk: false, network: false },
    });
    await monitor.sample();
    write({ stat: 'cpu 10 0 10 80\nctxt 5\nintr 10\n' });
    const reset = await monitor.sample();
    write({ stat: 'cpu 10 0 10 80\nctxt 15\nintr 12\n' });
    const after = await monitor.sample();

    expect(reset.readings).toEqual({ interrupts_total: 0 });
    expect(reset.baseline).toEqual(['cpu.context_switches']);
    expect(after.readings).toEqual({ context_switches_total: 10, interrupts_total: 2 });
  });

  it('reads disk I/O and latency from diskstats and connections from tcp without tcp6', async () => {
    const disk = (reads: number, ms: number) =>
      `   8 0 sda ${reads} 0 ${reads * 8} ${ms} ${reads} 0 ${reads * 8} ${ms} 0 0 0 0 0 0 0 0 0\n   8 1 sda1 ${reads} 0 ${reads * 8} ${ms} ${reads} 0 ${reads * 8} ${ms} 0 0 0\n`;
    write({
      diskstats: disk(10, 100),
      'net/tcp': '  sl  local_address rem_address   st\n   0: 0:0 0:0 01 x\n   1: 0:0 0:0 0A x\n',
    });
    const { monitor } = setup({
      procRoot: root,
      config: { cpu: false, memory: false, network: { bandwidth: false, packets: false, errors: false } },
    });
    await monitor.sample();
    write({ diskstats: disk(20, 150) });
    const second = await monitor.sample();

    expect(second.readings).toMatchObject({
      'disk_io_operations_total{direction=read}': 10,
      'disk_io_operations_total{direction=write}': 10,
      'disk_io_bytes_total{direction=read}': 80 * 512,
      disk_io_time_ms: 5,
      'network_connections{state=established}': 1,
      'network_connections{state=listen}': 1,
    });
    expect(second.skipped).toEqual([]);
  });
});
