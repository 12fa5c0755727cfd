/** What every `maif-obs` command is given and what it must provide. */

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
