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

/** How often the journal's new entries and the progress line are shown (real ms). */
const PROGRESS_MS = 250;

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

/** What the command writes: lines to the output, and on a TTY a progress line that each line clears first. */
interface Terminal {
  say(line: string): void;
  /** Replaces the progress line with `text()` (a no-op without a TTY). */
  progress(text: () => string): void;
  clearProgress(): void;
}

function terminal(context: CliContext, tty: boolean): Terminal {
  let progressShown = false;
  const clearProgress = () => {
    if (progressShown) process.stderr.write('\r\x1b[2K');
    progressShown = false;
  };
  return {
    say: (line) => {
      clearProgress();
      context.out(line);
    },
    progress: (text) => {
      if (!tty) return;
      process.stderr.write(`\r\x1b[2K${text()}`);
      progressShown = true;
    },
    clearProgress,
  };
}

/** Every PROGRESS_MS: the journal's new entries worth a line, then the progress line. Returns the timer. */
function followSandbox(sandbox: Sandbox, term: Terminal, quiet: boolean): NodeJS.Timeout {
  const { clock } = sandbox;
  let shown = 0;
  return setInterval(() => {
    const journal = sandbox.journal();
    for (; shown < journal.length; shown++) {
      const text = describeEntry(journal[shown]);
      if (text !== undefined && !quiet) term.say(`${elapsed(journal[shown].at, clock.settings.simStartMs)}  ${text}`);
    }
    term.progress(() => {
      const s = sandbox.view.stats();
      const phase = sandbox.view.phase() || (sandbox.view.finished() ? 'finished' : 'starting');
      return `[${elapsed(clock.now(), clock.settings.simStartMs)}] ${phase} · ${s.invocations} invocations (${s.serverErrors} 5xx, ${s.invocationErrors} function errors) · ${s.logEvents} log events · ${s.segments} segments · ${s.alarmsInAlarm} in ALARM · ${s.notifications} notifications`;
    });
  }, PROGRESS_MS);
}

async function startFromArgs(options: SandboxArgs, context: CliContext, term: Terminal): Promise<Sandbox> {
  try {
    return await startSandbox({
      cwd: context.cwd,
      configFile: options.config,
      environment: options.env,
      scenario: options.scenario,
      speed: options.speed,
      start: options.start,
      port: options.port,
      seed: options.seed,
      log: options.quiet ? undefined : (line) => term.say(`  ${line}`),
      onUrl: (url) => {
        term.say(
          `MAIF Observability sandbox: ${url}  (speed ${options.speed}x: one simulated minute every ${(60 / options.speed).toFixed(2)} s; Ctrl-C to stop)`,
        );
        if (options.open) openBrowser(url, context.env);
      },
    });
  } catch (error) {
    throw new Error(oneLine(error));
  }
}

async function run(args: readonly string[], context: CliContext): Promise<number> {
  const options = parseSandboxArgs(args);
  const term = terminal(context, process.stderr.isTTY === true && !options.quiet);
  const sandbox = await startFromArgs(options, context, term);
  const following = followSandbox(sandbox, term, options.quiet);

  let summarized = false;
  const summarize = () => {
    if (summarized) return;
    summarized = true;
    clearInterval(following);
    term.clearProgress();
    for (const line of summaryLines(sandbox)) context.out(line);
  };

  const stopped = new Promise<number>((resolveStop) => {
    let interrupts = 0;
    const onSignal = () => {
      interrupts++;
      if (interrupts > 1) process.exit(130);
      term.say('stopping (Ctrl-C again to force)...');
      resolveStop(0);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    if (options.durationS !== undefined) setTimeout(() => resolveStop(0), options.durationS * 1000).unref();
    void sandbox.finished.then(() => {
      summarize();
      if (options.durationS === undefined) {
        term.say(`scenario finished; the page stays up at ${sandbox.url} until Ctrl-C`);
      }
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
