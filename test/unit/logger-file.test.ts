import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { type FileDestination, fileDestination, Logger } from '#core';
import { bundleForNode, LAYER_DIR } from '../private/node-bundle';

const MIDNIGHT = Date.UTC(2025, 0, 2); // 2025-01-02T00:00:00.000Z
const dirs: string[] = [];
const open: FileDestination[] = [];

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'logger-file-'));
  dirs.push(dir);
  return dir;
}

function track(file: FileDestination): FileDestination {
  open.push(file);
  return file;
}

/** A logger writing to a file destination and to an in-memory list of the exact lines. */
function setup(options: { dir?: string; retain?: number; maxBufferedBytes?: number; start?: number } = {}) {
  const dir = options.dir ?? tempDir();
  let now = options.start ?? MIDNIGHT - 10;
  const file = track(
    fileDestination({
      path: join(dir, 'maif-app.log'),
      retain: options.retain,
      maxBufferedBytes: options.maxBufferedBytes,
    }),
  );
  const lines: string[] = [];
  const logger = new Logger({ service: 'svc', destination: [(l: string) => lines.push(l), file], clock: () => now });
  return {
    dir,
    file,
    logger,
    lines,
    setNow: (ms: number) => {
      now = ms;
    },
    advance: (ms: number) => {
      now += ms;
    },
  };
}

const dayFiles = (dir: string): string[] =>
  readdirSync(dir)
    .filter((n) => /^maif-app-\d{4}-\d{2}-\d{2}\.log$/.test(n))
    .sort();

/** Expected file contents: each line under the UTC day of its timestamp, in order. */
function byDay(lines: readonly string[]): Map<string, string> {
  const days = new Map<string, string>();
  for (const line of lines) {
    const day = (JSON.parse(line) as { timestamp: string }).timestamp.slice(0, 10);
    days.set(day, (days.get(day) ?? '') + line);
  }
  return days;
}

function expectFilesToHold(dir: string, lines: readonly string[]): void {
  const expected = byDay(lines);
  expect(dayFiles(dir)).toEqual([...expected.keys()].map((d) => `maif-app-${d}.log`).sort());
  for (const [day, text] of expected) expect(readFileSync(join(dir, `maif-app-${day}.log`), 'utf8')).toBe(text);
}

const nextTurn = (): Promise<void> => new Promise((r) => setImmediate(r));

afterEach(async () => {
  await Promise.all(open.splice(0).map((f) => f.close()));
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('file destination: daily rotation', () => {
  it('writes the 23:59:59.999 line to day D and the 00:00:00.000 line to day D+1', async () => {
    const { dir, file, logger, setNow } = setup();

    setNow(MIDNIGHT - 1);
    logger.info('last_of_day');
    setNow(MIDNIGHT);
    logger.info('first_of_day');
    await logger.flush();

    expect(readFileSync(join(dir, 'maif-app-2025-01-01.log'), 'utf8')).toContain('"event":"last_of_day"');
    expect(readFileSync(join(dir, 'maif-app-2025-01-01.log'), 'utf8')).not.toContain('first_of_day');
    expect(readFileSync(join(dir, 'maif-app-2025-01-02.log'), 'utf8')).toMatch(
      /^\{"timestamp":"2025-01-02T00:00:00.000Z"[^\n]*"event":"first_of_day"\}\n$/,
    );
    expect({ written: file.written, dropped: file.dropped, errors: file.errors }).toEqual({
      written: 2,
      dropped: 0,
      errors: 0,
    });
  });

  it('loses and duplicates no line when writes are in flight across the day boundary', async () => {
    const { dir, file, logger, lines, advance } = setup({ start: MIDNIGHT - 500 });

    for (let i = 0; i < 1000; i++) {
      logger.info('tick', { i });
      advance(1);
      // Yield now and then: batches are being opened and written while the next day starts.
      if (i % 97 === 0) await nextTurn();
    }
    await logger.flush();

    expect(lines).toHaveLength(1000);
    expectFilesToHold(dir, lines);
    expect(file.written).toBe(1000);
  });

  it('puts every line exactly once in the file of its day, whatever the gaps and flush points (property)', async () => {
    const op = fc.record({
      gapMs: fc.oneof(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 8 * 3600 * 1000 })),
      after: fc.constantFrom('none', 'yield', 'flush'),
    });
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: -3600_000, max: 0 }), fc.array(op, { maxLength: 60 }), async (start, ops) => {
        const { dir, file, logger, lines, advance } = setup({ start: MIDNIGHT + start, retain: 1000 });
        for (const [i, { gapMs, after }] of ops.entries()) {
          advance(gapMs);
          logger.info('step', { i });
          if (after === 'yield') await nextTurn();
          else if (after === 'flush') await logger.flush();
        }
        await logger.flush();
        expectFilesToHold(dir, lines);
        expect(file.written).toBe(ops.length);
      }),
      { numRuns: 40 },
    );
  });

  it('appends after the lines already in the day file (a restarted process)', async () => {
    const dir = tempDir();
    const before = '{"timestamp":"2025-01-02T00:00:00.000Z","event":"earlier_process"}\n';
    writeFileSync(join(dir, 'maif-app-2025-01-02.log'), before);
    const { logger, lines } = setup({ dir, start: MIDNIGHT + 5 });

    logger.info('later_process');
    await logger.flush();

    expect(readFileSync(join(dir, 'maif-app-2025-01-02.log'), 'utf8')).toBe(before + lines[0]);
  });

  it('takes the day from the clock for lines without the Logger timestamp', async () => {
    const dir = tempDir();
    let now = MIDNIGHT - 1;
    const file = track(fileDestination({ directory: dir, prefix: 'raw', clock: () => now }));

    file.write('plain text one\n');
    now = MIDNIGHT;
    file.write('plain text two\n');
    await file.flush();

    expect(readFileSync(join(dir, 'raw-2025-01-01.log'), 'utf8')).toBe('plain text one\n');
    expect(readFileSync(join(dir, 'raw-2025-01-02.log'), 'utf8')).toBe('plain text two\n');
  });
});

describe('file destination: retention', () => {
  it('deletes the oldest day files beyond retain and leaves unrelated files', async () => {
    const dir = tempDir();
    for (let d = 1; d <= 9; d++) writeFileSync(join(dir, `maif-app-2024-12-2${d}.log`), 'old\n');
    const unrelated = [
      'maif-app.log',
      'other-2024-12-21.log',
      'maif-app-2024-12-21.log.gz',
      'maif-app-x-2024-12-21.log',
    ];
    for (const name of unrelated) writeFileSync(join(dir, name), 'keep\n');
    const { logger } = setup({ dir, retain: 3, start: MIDNIGHT + 1000 });

    logger.info('today');
    await logger.flush();

    expect(dayFiles(dir)).toEqual(['maif-app-2024-12-28.log', 'maif-app-2024-12-29.log', 'maif-app-2025-01-02.log']);
    for (const name of unrelated) expect(readFileSync(join(dir, name), 'utf8')).toBe('keep\n');
  });

  it('deletes again at each rotation', async () => {
    const { dir, logger, advance } = setup({ retain: 2, start: MIDNIGHT + 1000 });

    for (let day = 0; day < 4; day++) {
      logger.info('daily', { day });
      advance(24 * 3600 * 1000);
    }
    await logger.flush();

    expect(dayFiles(dir)).toEqual(['maif-app-2025-01-04.log', 'maif-app-2025-01-05.log']);
  });
});

describe('file destination: failures never reach the caller', () => {
  it('counts lines it cannot write to a missing directory and warns once', async () => {
    const dir = join(tempDir(), 'missing');
    const errors: unknown[] = [];
    const file = track(fileDestination({ path: join(dir, 'maif-app.log'), onError: (e) => errors.push(e) }));
    const logger = new Logger({ service: 'svc', destination: file, clock: () => MIDNIGHT });

    expect(() => {
      for (let i = 0; i < 10; i++) logger.info('lost', { i });
    }).not.toThrow();
    await logger.flush();
    logger.info('lost_again');
    await logger.flush();

    expect({ written: file.written, dropped: file.dropped, errors: file.errors }).toEqual({
      written: 0,
      dropped: 11,
      errors: 2,
    });
    expect(String(errors[0])).toMatch(/ENOENT.*missing/);
    expect(logger.droppedLines).toBe(0); // the destination took every line: it keeps its own counts
  });

  it('prints only the first failure on stderr without onError', async () => {
    const parent = tempDir();
    writeFileSync(join(parent, 'not-a-dir'), '');
    const file = track(fileDestination({ path: join(parent, 'not-a-dir', 'maif-app.log') }));
    const logger = new Logger({ service: 'svc', destination: file, clock: () => MIDNIGHT });
    const printed: string[] = [];
    const spy = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      printed.push(String(chunk));
      return true;
    });
    try {
      logger.info('one');
      await logger.flush();
      logger.info('two');
      await logger.flush();
    } finally {
      spy.mockRestore();
    }

    expect(file.errors).toBe(2);
    expect(printed).toHaveLength(1);
    expect(printed[0]).toMatch(/^maif-observability file log .*not-a-dir: .*ENOTDIR/);
  });

  it('writes again once the directory exists', async () => {
    const dir = join(tempDir(), 'later');
    const file = track(fileDestination({ path: join(dir, 'maif-app.log'), onError: () => {} }));
    const logger = new Logger({ service: 'svc', destination: file, clock: () => MIDNIGHT });

    logger.info('before');
    await logger.flush();
    mkdirSync(dir);
    logger.info('after');
    await logger.flush();

    expect(readFileSync(join(dir, 'maif-app-2025-01-02.log'), 'utf8')).toMatch(/^[^\n]*"event":"after"\}\n$/);
    expect({ written: file.written, dropped: file.dropped }).toEqual({ written: 1, dropped: 1 });
  });

  it('drops and counts lines beyond maxBufferedBytes, keeping the ones before', async () => {
    const errors: unknown[] = [];
    const dir = tempDir();
    const file = track(
      fileDestination({ path: join(dir, 'maif-app.log'), maxBufferedBytes: 1000, onError: (e) => errors.push(e) }),
    );
    const lines: string[] = [];
    const logger = new Logger({
      service: 'svc',
      destination: [(l: string) => lines.push(l), file],
      clock: () => MIDNIGHT,
    });

    for (let i = 0; i < 100; i++) logger.info('burst', { i });
    const buffered = file.bufferedBytes;
    await logger.flush();

    let fit = 0;
    for (let bytes = 0; bytes + Buffer.byteLength(lines[fit]) <= 1000; fit++) bytes += Buffer.byteLength(lines[fit]);
    expect(fit).toBeGreaterThan(1);
    expect(buffered).toBe(Buffer.byteLength(lines.slice(0, fit).join('')));
    expect(readFileSync(join(dir, 'maif-app-2025-01-02.log'), 'utf8')).toBe(lines.slice(0, fit).join(''));
    expect({ written: file.written, dropped: file.dropped, errors: file.errors }).toEqual({
      written: fit,
      dropped: 100 - fit,
      errors: 0,
    });
    expect(errors.map(String)).toEqual([
      'Error: more than maxBufferedBytes 1000 waiting to be written: lines are dropped',
    ]);
  });

  it('drops and counts lines given after close, and stops listening for exit', async () => {
    const before = process.listenerCount('exit');
    const file = fileDestination({ path: join(tempDir(), 'maif-app.log') });
    expect(process.listenerCount('exit')).toBe(before + 1);

    file.write('{"timestamp":"2025-01-02T00:00:00.000Z"}\n');
    await file.close();
    file.write('{"timestamp":"2025-01-02T00:00:00.001Z"}\n');

    expect({ written: file.written, dropped: file.dropped }).toEqual({ written: 1, dropped: 1 });
    expect(process.listenerCount('exit')).toBe(before);
  });
});

describe('file destination: options', () => {
  it.each([
    [{ path: '/logs/a.log', directory: '/logs' }, /^path: give either path or directory \+ prefix, not both/],
    [{ path: '' }, /^path: '' is not a log file path \(use e\.g\. '\/logs\/maif-app\.log'\)$/],
    [{ path: '/logs/' }, /^path: '\/logs\/' is not a log file path/],
    [{ directory: '/logs', prefix: 'a/b' }, /^prefix: 'a\/b' does not give a usable file prefix/],
    [{ directory: '/logs' }, /^prefix: 'undefined' is not a file prefix/],
    [{ prefix: 'app' }, /^directory: 'undefined' is not a directory/],
    [{ path: '/logs/a.log', rotate: 'hourly' }, /^rotate: 'hourly' is not a rotation \(use 'daily'\)$/],
    [{ path: '/logs/a.log', retain: 0 }, /^retain: 0 is not allowed \(use an integer >= 1\)$/],
    [{ path: '/logs/a.log', retain: 1.5 }, /^retain: 1.5 is not allowed/],
    [{ path: '/logs/a.log', maxBufferedBytes: -1 }, /^maxBufferedBytes: -1 is not allowed/],
    [{ path: '/logs/a.log', utc: 'yes' }, /^utc: yes is not a boolean/],
  ])('rejects %j', (options, message) => {
    expect(() => fileDestination(options as never)).toThrow(message);
  });

  it('names day files after the path, keeping its extension', async () => {
    const dir = tempDir();
    const file = track(fileDestination({ path: join(dir, 'app.jsonl'), clock: () => MIDNIGHT }));
    file.write('x\n');
    await file.flush();
    expect(readdirSync(dir)).toEqual(['app-2025-01-02.jsonl']);
  });
});

describe('Logger with several destinations', () => {
  it('gives every line to each destination, even when another one throws', async () => {
    const dir = tempDir();
    const file = track(fileDestination({ path: join(dir, 'maif-app.log') }));
    const seen: string[] = [];
    const failures: unknown[] = [];
    const logger = new Logger({
      service: 'svc',
      destination: [
        () => {
          throw new Error('broken destination');
        },
        (l: string) => seen.push(l),
        file,
      ],
      clock: () => MIDNIGHT,
      onError: (e) => failures.push(e),
    });

    logger.info('fan_out');
    await logger.flush();

    expect(seen).toHaveLength(1);
    expect(readFileSync(join(dir, 'maif-app-2025-01-02.log'), 'utf8')).toBe(seen[0]);
    expect(failures.map(String)).toEqual(['Error: broken destination']);
  });

  it('resolves flush() even when a destination flush fails, telling onError', async () => {
    const failures: unknown[] = [];
    const logger = new Logger({
      destination: {
        write: () => {},
        flush: () => Promise.reject(new Error('flush failed')),
      },
      onError: (e) => failures.push(e),
    });

    await expect(logger.flush()).resolves.toBeUndefined();
    expect(failures.map(String)).toEqual(['Error: flush failed']);
  });

  it('rejects an empty destination list', () => {
    expect(() => new Logger({ destination: [] })).toThrow(
      'destination: [] is not a destination (give at least one, e.g. [process.stdout])',
    );
  });
});

describe('file destination: process exit', () => {
  let work: string;
  let bundle: string;

  beforeAll(() => {
    // Bundled and run by plain node, as a service on a host would run it.
    work = mkdtempSync(join(tmpdir(), 'logger-file-child-'));
    bundle = bundleForNode(
      `
      import { Logger } from '${LAYER_DIR}/logger';
      import { fileDestination } from '${LAYER_DIR}/log-destinations';
      const [mode, dir, startIso, perStep, steps] = process.argv.slice(2);
      let now = Date.parse(startIso);
      const file = fileDestination({ path: dir + '/maif-app.log', utc: process.env.MAIF_TEST_UTC !== 'false' });
      const logger = new Logger({ service: 'child', destination: file, clock: () => now });
      let seq = 0;
      const burst = () => {
        for (let i = 0; i < Number(perStep); i++) {
          logger.info('line', { seq: seq++ });
          now += 1;
        }
      };
      let left = Number(steps);
      const step = () => {
        burst();
        if (--left > 0) setImmediate(step);
        else if (mode === 'exit') process.exit(0);
        else if (mode === 'throw') throw new Error('handler crashed');
      };
      if (mode === 'stuck') {
        // The day file is open; then the only thread-pool thread blocks opening a FIFO nobody
        // writes to, so the next batch's write is issued and does not run: it is in flight at exit.
        // Node joins the thread pool after the exit listeners, so this last listener (after the
        // file destination's) either frees the thread (the stuck write then runs, late) or kills
        // the process (it never runs).
        process.on('exit', () => {
          const fs = require('node:fs');
          const fifo = process.env.MAIF_TEST_FIFO;
          if (process.env.MAIF_TEST_RELEASE === 'open') fs.closeSync(fs.openSync(fifo, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK));
          else process.kill(process.pid, 'SIGKILL');
        });
        burst();
        file.flush().then(() => {
          require('node:fs').open(process.env.MAIF_TEST_FIFO, 'r', () => {});
          burst();
          setImmediate(() => {
            burst();
            process.exit(0);
          });
        });
      } else step();
      `,
      work,
    );
  });

  afterAll(() => rmSync(work, { recursive: true, force: true }));

  function runChild(mode: string, start: string, perStep: number, steps: number, env: Record<string, string> = {}) {
    const dir = tempDir();
    const run = spawnSync(process.execPath, [bundle, mode, dir, start, String(perStep), String(steps)], {
      encoding: 'utf8',
      env: { ...process.env, ...env },
    });
    const files = dayFiles(dir);
    const records = files.flatMap((name) =>
      readFileSync(join(dir, name), 'utf8')
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => {
          const { timestamp, metadata } = JSON.parse(l) as { timestamp: string; metadata: { seq: number } };
          return { name, timestamp, seq: metadata.seq };
        }),
    );
    return { run, files, records };
  }

  const seqs = (records: { seq: number }[]): number[] => records.map((r) => r.seq);
  const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

  it.each([
    ['ends on its own right after logging', 'end', 1],
    ['calls process.exit() right after logging', 'exit', 1],
    ['calls process.exit() with batches in flight across midnight', 'exit', 8],
    ['crashes with an uncaught exception', 'throw', 4],
  ])('keeps every line of a process that %s', (_, mode, steps) => {
    const perStep = 2000 / steps;

    const { run, files, records } = runChild(mode, '2025-01-01T23:59:59.000Z', perStep, steps);

    expect(run.status).toBe(mode === 'throw' ? 1 : 0);
    if (mode !== 'throw') expect(run.stderr).toBe('');
    expect(files).toEqual(['maif-app-2025-01-01.log', 'maif-app-2025-01-02.log']);
    expect(seqs(records)).toEqual(range(2000)); // every line once, in order, day files in day order
    for (const r of records) expect(r.name).toBe(`maif-app-${r.timestamp.slice(0, 10)}.log`);
  });

  it.each([
    ['never runs', 'kill'],
    ['runs after the exit handler', 'open'],
  ])('writes a batch stuck in the thread pool at exit exactly once when its write %s', (_, release) => {
    const fifo = join(tempDir(), 'fifo');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);

    const { run, files, records } = runChild('stuck', '2025-01-01T23:59:59.000Z', 500, 3, {
      UV_THREADPOOL_SIZE: '1',
      MAIF_TEST_FIFO: fifo,
      MAIF_TEST_RELEASE: release,
    });

    expect(run.signal).toBe(release === 'kill' ? 'SIGKILL' : null);
    expect(run.stderr).toBe('');
    expect(files).toEqual(['maif-app-2025-01-01.log', 'maif-app-2025-01-02.log']);
    expect(seqs(records)).toEqual(range(1500));
  });

  it('rotates at local midnight with utc: false', () => {
    // 04:59:59Z is 23:59:59 on the 1st in New York (UTC-5 in January).
    const { run, records } = runChild('exit', '2025-01-02T04:59:59.500Z', 1000, 1, {
      TZ: 'America/New_York',
      MAIF_TEST_UTC: 'false',
    });

    expect(run.stderr).toBe('');
    expect(seqs(records)).toEqual(range(1000));
    const firstOfDay = records.findIndex((r) => r.name === 'maif-app-2025-01-02.log');
    expect(records[firstOfDay].timestamp).toBe('2025-01-02T05:00:00.000Z');
    expect(records[firstOfDay - 1]).toMatchObject({
      name: 'maif-app-2025-01-01.log',
      timestamp: '2025-01-02T04:59:59.999Z',
    });
  });
});
