/**
 * The `maif-obs` command line: a dispatcher of subcommands. Each command lives next to the
 * feature it serves and is loaded only when run; adding one is one line in COMMANDS.
 */

import { resolve } from 'node:path';

export interface CliContext {
  /** Directory relative paths are resolved against. */
  readonly cwd: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
}

export interface CliCommand {
  /** One line for `maif-obs --help`. */
  readonly summary: string;
  readonly usage: string;
  /** Returns the exit code; throws an Error whose message is shown on one line for bad input. */
  run(args: readonly string[], context: CliContext): Promise<number> | number;
}

/** Loads a command's module on demand (require: tsx compiles it in CommonJS mode). */
type CommandLoader = () => CliCommand;

/** Subcommands by name. */
export const COMMANDS: Readonly<Record<string, CommandLoader>> = {
  'grafana-export': () => require('../lib/dashboards/export-command').grafanaExportCommand,
  'test-rules': () => require('../lib/alerting/rule-tests').testRulesCommand,
  route: () => require('../lib/alerting-pipeline/route-command').routeCommand,
  alerts: () => require('../lib/alerting-pipeline/alerts-command').alertsCommand,
  ack: () => require('../lib/alerting-pipeline/alerts-command').ackCommand,
  silence: () => require('../lib/alerting-pipeline/alerts-command').silenceCommand,
  unsilence: () => require('../lib/alerting-pipeline/alerts-command').unsilenceCommand,
  maintenance: () => require('../lib/alerting-pipeline/alerts-command').maintenanceCommand,
  doctor: () => require('../lib/doctor/command').doctorCommand,
  'agent-config': () => require('../lib/host-logs/command').agentConfigCommand,
  sandbox: () => require('../sandbox/command').sandboxCommand,
};

function usage(): string {
  return [
    'usage: maif-obs <command> [options]',
    '',
    `commands: ${Object.keys(COMMANDS).join(', ')}`,
    "run 'maif-obs <command> --help' for a command's options",
  ].join('\n');
}

/** Runs one command line; returns the exit code and never throws. */
export async function main(argv: readonly string[], context: CliContext = processContext()): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    (name === undefined ? context.err : context.out)(usage());
    return name === undefined ? 1 : 0;
  }
  const load = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!load) {
    context.err(`maif-obs: unknown command '${name}' (commands: ${Object.keys(COMMANDS).join(', ')})`);
    return 1;
  }
  try {
    const command = load();
    if (rest.includes('--help') || rest.includes('-h')) {
      context.out(`${command.summary}\nusage: ${command.usage}`);
      return 0;
    }
    return await command.run(rest, context);
  } catch (error) {
    // Bad input is reported on one line, without a stack trace.
    const lines = (error instanceof Error ? error.message : String(error)).split('\n');
    const more = lines.length > 1 ? ` (and ${lines.length - 1} more problem${lines.length > 2 ? 's' : ''})` : '';
    context.err(`maif-obs ${name}: ${lines[0]}${more}`);
    return 1;
  }
}

function processContext(): CliContext {
  return {
    cwd: process.cwd(),
    env: process.env,
    out: (line) => process.stdout.write(`${line}\n`),
    err: (line) => process.stderr.write(`${line}\n`),
  };
}

// Run when started as `tsx bin/maif-obs.ts`; bin/maif-obs.js (the npm bin) calls main() itself.
if (process.argv[1] !== undefined && resolve(process.argv[1]) === __filename) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
