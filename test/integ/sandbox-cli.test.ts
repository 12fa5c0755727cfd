/**
 * `maif-obs sandbox` as a user runs it (`node bin/maif-obs.js sandbox`, what `npm start` calls):
 * a one-line error for a port in use and for a broken configuration; once the scenario is over the
 * page reports no phase; Ctrl-C stops it cleanly with a summary, exit code 0, and nothing left
 * listening on its port.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseSandboxArgs } from '../../cli/sandbox';

const ROOT = resolve(__dirname, '../..');
const CLI = join(ROOT, 'bin', 'maif-obs.js');

interface Run {
  readonly child: ChildProcess;
  readonly out: () => string;
  readonly err: () => string;
  readonly exit: Promise<number | null>;
}

function sandbox(args: readonly string[]): Run {
  const child = spawn(process.execPath, [CLI, 'sandbox', '--no-open', ...args], {
    cwd: ROOT,
    env: { ...process.env, CI: 'true' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout?.on('data', (c: Buffer) => {
    out += c.toString('utf8');
  });
  child.stderr?.on('data', (c: Buffer) => {
    err += c.toString('utf8');
  });
  const exit = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
  return { child, out: () => out, err: () => err, exit };
}

async function until(predicate: () => boolean, what: string, run: Run): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (predicate()) return;
    if (run.child.exitCode !== null) throw new Error(`exited before ${what}: ${run.out()} ${run.err()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`never saw ${what}: ${run.out()} ${run.err()}`);
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((done) => {
    const socket = connect({ host: '127.0.0.1', port }, () => {
      socket.destroy();
      done(true);
    });
    socket.on('error', () => done(false));
  });
}

describe('maif-obs sandbox command line', () => {
  it('parses its options and rejects bad ones naming the value and what is allowed', () => {
    const a = parseSandboxArgs([
      '--port',
      '0',
      '--speed',
      '300',
      '--scenario',
      'steady',
      '--duration',
      '5',
      '--no-open',
    ]);
    expect(a).toMatchObject({ port: 0, speed: 300, scenario: 'steady', durationS: 5, open: false });
    expect(() => parseSandboxArgs(['--port', '70000'])).toThrow(
      "--port: '70000' is not allowed (use an integer from 0 to 65535)",
    );
    expect(() => parseSandboxArgs(['--scenario', 'nope'])).toThrow(
      /--scenario: 'nope' is not a scenario \(allowed: .*incident/,
    );
    expect(() => parseSandboxArgs(['--speed', '0'])).toThrow(/--speed: '0' is not allowed/);
    expect(() => parseSandboxArgs(['--start', 'yesterday'])).toThrow(/--start: 'yesterday' is not an ISO 8601 time/);
    expect(() => parseSandboxArgs(['--bogus'])).toThrow(/bogus/);
  });

  it('a port in use: one line saying what to do, exit code 1', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as { port: number }).port;
    try {
      const run = sandbox(['--port', String(port), '--quiet']);
      expect(await run.exit).toBe(1);
      const lines = run.err().trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain(`port ${port} is in use`);
      expect(lines[0]).toContain('--port');
    } finally {
      blocker.close();
    }
  }, 60_000);

  it('a broken configuration: one line naming the field, exit code 1', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'maif-sandbox-'));
    const file = join(dir, 'broken.config.ts');
    writeFileSync(
      file,
      `export default { service: 'maif', namespace: 'MAIF', environments: { dev: {} }, alerting: { rules: [{ name: 'x', condition: 'error_rate >>> 5', severity: 'loud' }] } };\n`,
    );
    const run = sandbox(['--config', file, '--port', '0', '--quiet']);
    expect(await run.exit).toBe(1);
    const lines = run.err().trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/alerting\.rules/);
    expect(lines[0]).toMatch(/fix the configuration/);
  }, 60_000);

  it('after the scenario: the page shows no phase and finished', async () => {
    const run = sandbox(['--port', '0', '--scenario', 'steady', '--speed', '600', '--quiet']);
    try {
      await until(() => /scenario finished/.test(run.out()), 'the end of the scenario', run);
      const base = /http:\/\/127\.0\.0\.1:\d+/.exec(run.out())?.[0];
      const snapshot = (await (await fetch(`${base}/api/snapshot`)).json()) as { phase: string; finished: boolean };
      expect(snapshot).toMatchObject({ phase: '', finished: true });
    } finally {
      run.child.kill('SIGINT');
      await run.exit;
    }
  }, 90_000);

  it('Ctrl-C: prints the summary, exits 0 and leaves its port closed', async () => {
    const run = sandbox(['--port', '0', '--speed', '120']);
    await until(() => /sandbox: http:\/\/127\.0\.0\.1:\d+/.test(run.out()), 'the URL', run);
    const port = Number(/127\.0\.0\.1:(\d+)/.exec(run.out())?.[1]);
    expect(await portOpen(port)).toBe(true);
    await until(() => /phase: /.test(run.out()), 'the first phase', run);
    run.child.kill('SIGINT');
    const code = await run.exit;
    // on failure, say why: the last lines of stderr
    expect({ code, stderr: code === 0 ? '' : run.err().slice(-2000) }).toEqual({ code: 0, stderr: '' });
    expect(run.out()).toContain('=== sandbox summary ===');
    expect(run.out()).toContain('Who was notified when');
    expect(await portOpen(port)).toBe(false);
  }, 90_000);
});
