/** Runs `maif-obs` in process (the commands themselves) or as a child process (the real command line). */
import { type SpawnSyncReturns, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import type * as Cli from '../../cli/index';

// jest would resolve '../../bin/maif-obs' to the .js launcher: name the TypeScript module.
const maifObs: typeof Cli = require('../../cli/index.ts');

/** The command table, for tests of what is registered. */
export const COMMANDS = maifObs.COMMANDS;

const ROOT = join(__dirname, '..', '..');
const LAUNCHER = join(ROOT, 'bin', 'maif-obs.js');

/** What an in-process run printed, one entry per line written, and its exit code. */
export interface CliRun {
  readonly code: number;
  readonly out: string[];
  readonly err: string[];
}

/** Runs `maif-obs <args>` in process from `cwd` (the repository by default), with an empty environment. */
export async function runMain(args: readonly string[], cwd = ROOT): Promise<CliRun> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await maifObs.main(args, { cwd, env: {}, out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out, err };
}

/** Runs `node bin/maif-obs.js <args>` from `cwd` (the repository by default), with no AWS region set. */
export function cli(args: readonly string[], cwd = ROOT): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [LAUNCHER, ...args], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, AWS_REGION: '' },
  });
}
