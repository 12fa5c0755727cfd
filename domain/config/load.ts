/**
 * Loading `observability.config.ts`, for the CDK app and the `maif-obs` commands. No CDK here:
 * the commands load a configuration without loading the constructs.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { ConfigError } from './errors';
import { resolveConfig } from './resolve';
import type { ObservabilityConfig, ResolvedConfig } from './schema';

export const DEFAULT_CONFIG_FILE = 'observability.config.ts' as const;

/** Requires a configuration module (TypeScript needs tsx or ts-node): its default export, or the module itself. */
function requireConfig(file: string, cwd: string, missing: (message: string) => Error): ObservabilityConfig {
  const path = resolve(cwd, file);
  if (!existsSync(path)) throw missing(`'${file}' does not exist (looked for ${path})`);
  const loaded = require(path) as { default?: ObservabilityConfig } & ObservabilityConfig;
  return loaded.default ?? loaded;
}

/** Loads a configuration module (`export default defineConfig({...})`) for the CDK app (`-c config=FILE`). */
export function loadConfigFile(file: string, cwd: string = process.cwd()): ObservabilityConfig {
  return requireConfig(file, cwd, (message) => new ConfigError([`config: ${message}`]));
}

/** Loads a configuration module and resolves one environment (`env`, else its first), for the commands' `--config`. */
export function loadConfig(file: string, env: string | undefined, cwd: string): ResolvedConfig {
  const config = requireConfig(file, cwd, (message) => new Error(`--config: ${message}`));
  const name = env ?? Object.keys(config.environments ?? {})[0];
  if (name === undefined) throw new Error(`--env: none given and '${file}' declares no environments`);
  return resolveConfig(config, name);
}
