/**
 * The `maif-obs` command line: a dispatcher of subcommands. Each command is a module of this
 * folder, loaded only when run; adding one is one line in COMMANDS.
 */

import type { CliCommand, CliContext } from './command';

export type { CliCommand, CliContext } from './command';

/** Loads a command's module on demand (require: tsx compiles it in CommonJS mode). */
type CommandLoader = () => CliCommand;

/** Subcommands by name. */
export const COMMANDS: Readonly<Record<string, CommandLoader>> = {
  'grafana-export': () => require('./grafana-export').grafanaExportCommand,
  'test-rules': () => require('./test-rules').testRulesCommand,
  route: () => require('./route').routeCommand,
  alerts: () => require('./alerts').alertsCommand,
  ack: () => require('./alerts').ackCommand,
  silence: () => require('./alerts').silenceCommand,
  unsilence: () => require('./alerts').unsilenceCommand,
  maintenance: () => require('./alerts').maintenanceCommand,
  doctor: () => require('./doctor').doctorCommand,
  'agent-config': () => require('./agent-config').agentConfigCommand,
  sandbox: () => require('./sandbox').sandboxCommand,
  replay: () => require('./replay').replayCommand,
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
