/**
 * The `maif-obs` subcommands' option parsing: node:util's parseArgs, strict, with its error
 * reworded to one line that says which options are allowed.
 */
import { type ParseArgsConfig, parseArgs } from 'node:util';

export type CliOptions = NonNullable<ParseArgsConfig['options']>;

/** The parsed values of `options`, typed as parseArgs types them. */
export type CliValues<T extends CliOptions> = ReturnType<
  typeof parseArgs<{ args: string[]; options: T; strict: true; allowPositionals: false }>
>['values'];

function reworded(error: unknown, options: CliOptions): Error {
  const allowed = Object.keys(options)
    .map((o) => `--${o}`)
    .join(', ');
  // node:util words these as sentences ending with a period; keep the gist and say what is allowed.
  const gist = (error as Error).message.split('. ')[0].replace(/\.$/, '');
  return new Error(`${gist} (options: ${allowed})`);
}

/** Options only: a positional argument is an error. */
export function parseOptions<T extends CliOptions>(args: readonly string[], options: T): CliValues<T> {
  try {
    return parseArgs({ args: [...args], options, strict: true, allowPositionals: false }).values;
  } catch (error) {
    throw reworded(error, options);
  }
}

/** Options and positional arguments (files, fingerprints, ids). */
export function parseCommandLine<T extends CliOptions>(
  args: readonly string[],
  options: T,
): { readonly values: CliValues<T>; readonly positionals: string[] } {
  try {
    const { values, positionals } = parseArgs({ args: [...args], options, strict: true, allowPositionals: true });
    return { values: values as CliValues<T>, positionals };
  } catch (error) {
    throw reworded(error, options);
  }
}
