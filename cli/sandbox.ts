/**
 * `maif-obs sandbox` (and `npm start`): runs the sandbox, shows a progress line and the alert
 * pipeline's events as they happen, prints a summary at the end, and exits cleanly on Ctrl-C.
 */
import { spawn } from 'node:child_process';
import { MAX_SPEED, MIN_SPEED } from '../sandbox/clock';
import { DEFAULT_PORT, DEFAULT_SPEED, type Sandbox, startSandbox } from '../sandbox/sandbox';
import { DEFAULT_SCENARIO, DEFAULT_SEED, SCENARIOS } from '../sandbox/scenarios';
import { describeEntry, elapsed, summaryLines } from '../sandbox/summary';
import type { CliCommand, CliContext } from './command';
import { parseOptions } from './options';

const OPTIONS = {
  config: { type: 'string' },
  env: { type: 'string' },
  scenario: { type: 'string' },
  duration: { type: 'string' },
  port: { type: 'string' },
  speed: { type: 'string' },
  start: { type: 'string' },
  seed: { type: 'string' },
  open: { type: 'boolean', default: true },
  'no-open': { type: 'boolean' },
  quiet: { type: 'boolean' },
} as const;

/** What `maif-obs sandbox --help` prints after the summary (bin/maif-obs.ts answers --help). */
const USAGE = [
  'maif-obs sandbox [--config FILE] [--env NAME] [--scenario NAME] [--duration S] [--port N] [--speed X] [--start ISO] [--seed N] [--no-open] [--quiet]',
  `scenarios: ${Object.entries(SCENARIOS)
    .map(([n, s]) => `${n} (${s.description})`)
    .join('; ')}`,
].join('\n');

export interface SandboxArgs {
  readonly config?: string;
  readonly env?: string;
  readonly scenario: string;
  readonly durationS?: number;
  readonly port: number;
  readonly speed: number;
  readonly start?: number;
  readonly seed: number;
  readonly open: boolean;
  readonly quiet: boolean;
}

function numberOption(
  name: string,
  text: string | undefined,
  min: number,
  max: number,
  integer: boolean,
): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!Number.isFinite(value) || value < min || value > max || (integer && !Number.isInteger(value))) {
    throw new Error(
      `--${name}: '${text}' is not allowed (use ${integer ? 'an integer' : 'a number'} from ${min} to ${max})`,
    );
  }
  return value;
}

/** Parses the command line; throws an Error with a one-line message on bad input. */
export function parseSandboxArgs(args: readonly string[]): SandboxArgs {
  const v = parseOptions(args, OPTIONS);
  const scenario = v.scenario ?? DEFAULT_SCENARIO;
  if (!Object.hasOwn(SCENARIOS, scenario)) {
    throw new Error(`--scenario: '${scenario}' is not a scenario (allowed: ${Object.keys(SCENARIOS).join(', ')})`);
  }
  let start: number | undefined;
  if (v.start !== undefined) {
    start = Date.parse(v.start);
    if (!Number.isFinite(start))
      throw new Error(`--start: '${v.start}' is not an ISO 8601 time (e.g. 2026-11-24T09:00:00Z)`);
  }
  return {
    config: v.config,
    env: v.env,
    scenario,
    durationS: numberOption('duration', v.duration, 1, 86_400, false),
    port: numberOption('port', v.port, 0, 65_535, true) ?? DEFAULT_PORT,
    speed: numberOption('speed', v.speed, MIN_SPEED, MAX_SPEED, false) ?? DEFAULT_SPEED,
    start,
    seed: numberOption('seed', v.seed, 0, 2 ** 31, true) ?? DEFAULT_SEED,
    open: v['no-open'] ? false : v.open,
    quiet: v.quiet ?? false,
  };
}

/** Opens the page in the desktop's browser when there is one; never fails the sandbox. */
function openBrowser(url: string, env: CliContext['env']): void {
  const opener = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : 'xdg-open';
  if (process.platform === 'linux' && !env.DISPLAY && !env.WAYLAND_DISPLAY) return;
  try {
    const child = spawn(opener, [url], { stdio: 'ignore', detached: true });
    child.on('error', () => {});
    child.unref();
  } catch {
    /* no opener: the URL is printed */
  }
}

async function run(args: readonly string[], context: CliContext): Promise<number> {
  const options = parseSandboxArgs(args);
  const tty = process.stderr.isTTY === true && !options.quiet;
  let progressShown = false;
  const clearProgress = () => {
    if (progressShown) process.stderr.write('\r\x1b[2K');
    progressShown = false;
  };
  const say = (line: string) => {
    clearProgress();
    context.out(line);
  };

  let sandbox: Sandbox;
  try {
    sandbox = await startSandbox({
      cwd: context.cwd,
      configFile: options.config,
      environment: options.env,
      scenario: options.scenario,
      speed: options.speed,
      start: options.start,
      port: options.port,
      seed: options.seed,
      log: options.quiet ? undefined : (line) => say(`  ${line}`),
      onUrl: (url) => {
        say(
          `MAIF Observability sandbox: ${url}  (speed ${options.speed}x: one simulated minute every ${(60 / options.speed).toFixed(2)} s; Ctrl-C to stop)`,
        );
        if (options.open) openBrowser(url, context.env);
      },
    });
  } catch (error) {
    throw new Error(oneLine(error));
  }
  const { clock } = sandbox;

  let shown = 0;
  const events = setInterval(() => {
    const journal = sandbox.journal();
    for (; shown < journal.length; shown++) {
      const text = describeEntry(journal[shown]);
      if (text !== undefined && !options.quiet)
        say(`${elapsed(journal[shown].at, clock.settings.simStartMs)}  ${text}`);
    }
    if (tty) {
      const s = sandbox.view.stats();
      const phase = sandbox.view.phase() || (sandbox.view.finished() ? 'finished' : 'starting');
      process.stderr.write(
        `\r\x1b[2K[${elapsed(clock.now(), clock.settings.simStartMs)}] ${phase} · ${s.invocations} invocations (${s.serverErrors} 5xx, ${s.invocationErrors} function errors) · ${s.logEvents} log events · ${s.segments} segments · ${s.alarmsInAlarm} in ALARM · ${s.notifications} notifications`,
      );
      progressShown = true;
    }
  }, 250);

  let summarized = false;
  const summarize = () => {
    if (summarized) return;
    summarized = true;
    clearInterval(events);
    clearProgress();
    for (const line of summaryLines(sandbox)) context.out(line);
  };

  const stopped = new Promise<number>((resolveStop) => {
    let interrupts = 0;
    const onSignal = () => {
      interrupts++;
      if (interrupts > 1) process.exit(130);
      say('stopping (Ctrl-C again to force)...');
      resolveStop(0);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    if (options.durationS !== undefined) setTimeout(() => resolveStop(0), options.durationS * 1000).unref();
    void sandbox.finished.then(() => {
      summarize();
      if (options.durationS === undefined) say(`scenario finished; the page stays up at ${sandbox.url} until Ctrl-C`);
    });
  });
  const code = await stopped;
  summarize();
  await sandbox.stop();
  // Everything is closed; should a library keep a handle open, do not hang on it.
  setTimeout(() => process.exit(code), 2000).unref();
  process.removeAllListeners('SIGINT');
  process.removeAllListeners('SIGTERM');
  return code;
}

function oneLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const lines = message.split('\n').filter((l) => l.trim() !== '');
  if (error instanceof Error && error.name === 'ConfigError') {
    const more = lines.length > 1 ? ` (and ${lines.length - 1} more problem(s): 'npx cdk synth' lists them all)` : '';
    return `invalid configuration: ${lines[0]}${more}; fix the configuration and run again`;
  }
  return lines.join('; ');
}

export const sandboxCommand: CliCommand = {
  summary: 'Run the whole pipeline locally (demo service, alarms, router, escalation, channels) with a web dashboard',
  usage: USAGE,
  run,
};
