/**
 * `maif-obs replay SCENARIO.json`: plays a timed incident through the real router, escalation and
 * ack API on the sandbox's compressed clock and prints every notification the channels received,
 * one JSON line each (sandbox/replay.ts). Status lines and problems go to the error output.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { MAX_SPEED, MIN_SPEED } from '../sandbox/clock';
import { DEFAULT_REPLAY_SPEED, type ReplayNotice, runReplay } from '../sandbox/replay';
import { parseScenario, type ReplayScenario } from '../sandbox/replay-scenario';
import type { CliCommand, CliContext } from './command';
import { parseCommandLine } from './options';

const OPTIONS = {
  config: { type: 'string' },
  env: { type: 'string' },
  speed: { type: 'string' },
} as const;

const USAGE = 'maif-obs replay SCENARIO.json [--config FILE] [--env NAME] [--speed N]';

export interface ReplayArgs {
  readonly file: string;
  readonly config?: string;
  readonly env?: string;
  readonly speed: number;
}

/** Parses the command line; throws an Error with a one-line message on bad input. */
export function parseReplayArgs(args: readonly string[]): ReplayArgs {
  const { values, positionals } = parseCommandLine(args, OPTIONS);
  if (positionals.length !== 1) {
    throw new Error(
      `${positionals.length === 0 ? 'no scenario file given' : `one scenario file expected, got ${positionals.length}`} (usage: ${USAGE})`,
    );
  }
  let speed = DEFAULT_REPLAY_SPEED;
  if (values.speed !== undefined) {
    speed = Number(values.speed);
    if (!Number.isFinite(speed) || speed < MIN_SPEED || speed > MAX_SPEED) {
      throw new Error(`--speed: '${values.speed}' is not allowed (use a number from ${MIN_SPEED} to ${MAX_SPEED})`);
    }
  }
  return { file: positionals[0], config: values.config, env: values.env, speed };
}

/** The scenario file, parsed and checked; every problem is named, one per line. */
export function readScenario(path: string): ReplayScenario {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new Error(`${path}: cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new Error(`${path}: is not JSON (${(error as Error).message})`);
  }
  try {
    return parseScenario(json);
  } catch (error) {
    throw new Error(
      (error as Error).message
        .split('\n')
        .map((line) => `${path}: ${line}`)
        .join('\n'),
    );
  }
}

/** One notice as one JSON line, its fields in a fixed order. */
export function noticeLine(n: ReplayNotice): string {
  return JSON.stringify({
    at: n.at,
    channel: n.channel,
    group: n.group,
    status: n.status,
    firing: n.firing,
    resolved: n.resolved,
    kind: n.kind,
    level: n.level,
    members: n.members,
  });
}

async function run(args: readonly string[], context: CliContext): Promise<number> {
  const parsed = parseReplayArgs(args);
  const scenario = readScenario(resolve(context.cwd, parsed.file));
  const result = await runReplay({
    cwd: context.cwd,
    configFile: parsed.config,
    environment: parsed.env,
    speed: parsed.speed,
    scenario,
    onNotice: (notice) => context.out(noticeLine(notice)),
    log: (line) => context.err(line),
  });
  if (result.problems.length > 0) {
    context.err(`maif-obs replay: ${result.problems.length} problem(s) while replaying: the output may be incomplete`);
    return 1;
  }
  return 0;
}

export const replayCommand: CliCommand = {
  summary: 'plays a timed alert scenario through the real router and escalation; prints each notification as JSON',
  usage: USAGE,
  run,
};
