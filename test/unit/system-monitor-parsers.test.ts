import fc from 'fast-check';
import { TCP_STATES } from '../../layers/instrumentation/catalog';
import {
  memoryReadings,
  parseDiskstats,
  parseLoadavg,
  parseMeminfo,
  parseNetDev,
  parseNetTcp,
  parseStat,
  parseVmstat,
} from '../../layers/instrumentation/private/proc-parse';

const PARSERS = { parseStat, parseLoadavg, parseMeminfo, parseVmstat, parseDiskstats, parseNetDev, parseNetTcp };

/** Text that looks like /proc: numbers, names, colons and odd whitespace, plus plain noise. */
const procLike = fc.oneof(
  fc.string({ maxLength: 300 }),
  fc.string({ unit: 'binary', maxLength: 300 }),
  fc
    .array(
      fc.oneof(
        fc.constantFrom(
          'cpu',
          'ctxt',
          'intr',
          'pgfault',
          'pgmajfault',
          'lo:',
          'eth0:',
          'sda',
          'sda1',
          'MemTotal:',
          'kB',
        ),
        fc.constantFrom(' ', '  ', '\t', '\n', ':', '|', '-1', '1e400', '0A', '01', '99999999999999999999999'),
        fc.nat().map(String),
      ),
      { maxLength: 80 },
    )
    .map((parts) => parts.join(' ')),
);

describe('the /proc parsers', () => {
  it.each(Object.entries(PARSERS))('%s never throws on arbitrary text', (_name, parse) => {
    fc.assert(
      fc.property(procLike, (text) => {
        (parse as (t: string) => unknown)(text);
      }),
      { numRuns: 400 },
    );
  });

  it('return only finite, non-negative numbers whatever the text', () => {
    const numbers = (value: unknown): number[] =>
      typeof value === 'number'
        ? [value]
        : value instanceof Map
          ? [...value.values()]
          : typeof value === 'object' && value !== null
            ? Object.values(value).flatMap(numbers)
            : [];
    fc.assert(
      fc.property(procLike, (text) => {
        const all = [
          ...Object.values(PARSERS).flatMap((parse) => numbers((parse as (t: string) => unknown)(text))),
          ...numbers(memoryReadings(parseMeminfo(text))),
        ];
        return all.every((n) => Number.isFinite(n) && n >= 0);
      }),
      { numRuns: 300 },
    );
  });
});

describe('parseStat', () => {
  it('reads busy and total ticks, context switches and the interrupt total', () => {
    const text = 'cpu  100 5 50 800 40 3 2 0 7 0\ncpu0 50 2 25 400 20 1 1 0 0 0\nintr 1234 0 1 2\nctxt 5678\n';
    expect(parseStat(text)).toEqual({
      cpu: { busy: 160, total: 1000 },
      contextSwitches: 5678,
      interrupts: 1234,
    });
  });

  it('accepts the four-column cpu line of old kernels', () => {
    expect(parseStat('cpu 10 0 10 80\n').cpu).toEqual({ busy: 20, total: 100 });
  });

  it('leaves out what a container-trimmed file lacks', () => {
    expect(parseStat('cpu  1 2 3 4 5 6 7 8\n')).toEqual({ cpu: { busy: 27, total: 36 } });
    expect(parseStat('ctxt 12\n')).toEqual({ contextSwitches: 12 });
    expect(parseStat('cpu 1 2 x 4\nctxt many\n')).toEqual({ contextSwitches: undefined });
  });
});

describe('parseLoadavg', () => {
  it('reads the one-minute load', () => {
    expect(parseLoadavg('0.24 0.51 1.30 3/92 27311\n')).toBe(0.24);
  });

  it('gives nothing for an empty or odd file', () => {
    expect(parseLoadavg('')).toBeUndefined();
    expect(parseLoadavg('-1 0 0')).toBeUndefined();
  });
});

describe('parseMeminfo and memoryReadings', () => {
  it('converts kB to bytes and computes usage from MemAvailable', () => {
    const info = parseMeminfo(
      'MemTotal: 1000 kB\nMemFree: 100 kB\nMemAvailable: 250 kB\nSwapTotal: 0 kB\nSwapFree: 0 kB\n',
    );
    expect(info.get('MemTotal')).toBe(1_024_000);
    expect(memoryReadings(info)).toEqual({
      totalBytes: 1_024_000,
      availableBytes: 256_000,
      usagePercent: 75,
      swapUsagePercent: 0,
    });
  });

  it('estimates available memory on kernels before MemAvailable existed', () => {
    const info = parseMeminfo('MemTotal: 1000 kB\nMemFree: 100 kB\nBuffers: 50 kB\nCached: 50 kB\n');
    expect(memoryReadings(info).availableBytes).toBe(200 * 1024);
    expect(memoryReadings(info).usagePercent).toBe(80);
    expect(memoryReadings(info).swapUsagePercent).toBeUndefined();
  });

  it('reports swap in use as a percentage', () => {
    const info = parseMeminfo('SwapTotal: 400 kB\nSwapFree: 100 kB\n');
    expect(memoryReadings(info).swapUsagePercent).toBe(75);
    expect(memoryReadings(info).usagePercent).toBeUndefined();
  });

  it('keeps unit-less counts as they are and skips other units', () => {
    const info = parseMeminfo('HugePages_Total: 4\nOdd: 5 MB\nBroken line\n');
    expect([...info]).toEqual([['HugePages_Total', 4]]);
  });
});

describe('parseVmstat', () => {
  it('splits faults into minor and major', () => {
    expect(parseVmstat('pgpgin 1\npgfault 1000\npgmajfault 10\n')).toEqual({ minor: 990, major: 10 });
  });

  it('gives nothing when a counter is missing or inconsistent', () => {
    expect(parseVmstat('pgfault 1000\n')).toBeUndefined();
    expect(parseVmstat('pgfault 1\npgmajfault 2\n')).toBeUndefined();
  });
});

describe('parseDiskstats', () => {
  const row = (name: string, v: number[]) => `   8       0 ${name} ${v.join(' ')} 0 0 0 0 0 0 0 0 0`;

  it('sums whole disks and leaves out partitions and virtual devices', () => {
    const text = [
      row('sda', [10, 0, 100, 5, 20, 0, 200, 15]),
      row('sda1', [9, 0, 90, 4, 19, 0, 190, 14]),
      row('nvme0n1', [1, 0, 8, 1, 2, 0, 16, 1]),
      row('nvme0n1p1', [1, 0, 8, 1, 2, 0, 16, 1]),
      row('mmcblk0', [1, 0, 2, 1, 1, 0, 2, 1]),
      row('mmcblk0p2', [1, 0, 2, 1, 1, 0, 2, 1]),
      row('loop0', [50, 0, 50, 50, 0, 0, 0, 0]),
      row('dm-0', [50, 0, 50, 50, 0, 0, 0, 0]),
      row('zram0', [50, 0, 50, 50, 0, 0, 0, 0]),
    ].join('\n');
    expect(parseDiskstats(text)).toEqual({
      reads: 12,
      writes: 23,
      readBytes: 110 * 512,
      writeBytes: 218 * 512,
      ioMs: 24,
      devices: ['sda', 'nvme0n1', 'mmcblk0'],
    });
  });

  it('counts a partition whose disk is not listed (as some containers show)', () => {
    expect(parseDiskstats(row('xvda1', [1, 0, 2, 3, 4, 0, 5, 6]))?.devices).toEqual(['xvda1']);
  });

  it('skips the short partition lines of 2.4 kernels', () => {
    expect(parseDiskstats('   3    1 hda1 35486 38030 38030 38030\n')).toBeUndefined();
  });
});

describe('parseNetDev', () => {
  const header =
    'Inter-|   Receive                                                |  Transmit\n face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n';

  it('sums every interface but loopback, errors with drops', () => {
    const text = `${header}    lo: 500 5 0 0 0 0 0 0 500 5 0 0 0 0 0 0\n  eth0: 1000 10 1 2 0 0 0 0 2000 20 3 4 0 0 0 0\n  eth1:3000 30 0 0 0 0 0 0 4000 40 0 0 0 0 0 0\n`;
    expect(parseNetDev(text)).toEqual({
      receivedBytes: 4000,
      receivedPackets: 40,
      receiveErrors: 3,
      sentBytes: 6000,
      sentPackets: 60,
      sendErrors: 7,
      interfaces: ['eth0', 'eth1'],
    });
  });

  it('reports zeros with only loopback and nothing without interface lines', () => {
    expect(parseNetDev(`${header}    lo: 5 5 0 0 0 0 0 0 5 5 0 0 0 0 0 0\n`)?.receivedBytes).toBe(0);
    expect(parseNetDev(header)).toBeUndefined();
  });
});

describe('parseNetTcp', () => {
  const header = '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n';
  const line = (i: number, st: string) =>
    `   ${i}: 0100007F:1F90 00000000:0000 ${st} 00000000:00000000 00:00000000 00000000  1000        0 1 1 0 100 0 0 10 0\n`;

  it('counts connections by state, rare states merged', () => {
    const text = header + line(0, '0A') + line(1, '01') + line(2, '01') + line(3, '06') + line(4, '0B') + line(5, '05');
    const counts = parseNetTcp(text);
    expect(counts).toMatchObject({ listen: 1, established: 2, time_wait: 1, other: 1, fin_wait: 1, close_wait: 0 });
    expect(Object.keys(counts ?? {})).toEqual([...TCP_STATES]);
  });

  it('needs the header line', () => {
    expect(parseNetTcp(line(0, '01'))).toBeUndefined();
    expect(parseNetTcp(header)?.established).toBe(0);
  });
});
