import type { App } from 'aws-cdk-lib';
import { ConfigError, type ObservabilityConfig, type ResolvedConfig, resolveConfig } from '../domain/config';
import { checkLogGroups } from '../domain/config/log-groups';
import { addNagChecks } from './nag';
import { MaifObservabilityStack, stackName } from './stack';

// The loaders live in a CDK-free module so the commands can load a configuration without the constructs.
export { DEFAULT_CONFIG_FILE, loadConfig, loadConfigFile } from '../domain/config/load';

export interface BuildAppOptions {
  readonly config: ObservabilityConfig;
  /**
   * The environment to synthesize.
   * @default - every environment of the configuration
   */
  readonly env?: string;
  /**
   * Run the cdk-nag AwsSolutions checks on synth.
   * @default true
   */
  readonly nag?: boolean;
  /**
   * The module bundled into the instrumentation layer.
   * @default - the kit's instrumentation core
   */
  readonly layerEntry?: string;
}

/**
 * The environments of `config` other than those synthesized, resolved only to compare their log
 * groups with the synthesized ones. One that does not resolve is left out: it cannot be
 * synthesized (nor deployed) until fixed, and its own synth runs the comparison again.
 */
function otherEnvironments(config: ObservabilityConfig, synthesized: readonly string[]): ResolvedConfig[] {
  return Object.keys(config.environments ?? {})
    .filter((name) => !synthesized.includes(name))
    .flatMap((name) => {
      try {
        return [resolveConfig(config, name)];
      } catch (error) {
        if (error instanceof ConfigError) return [];
        throw error;
      }
    });
}

/**
 * Adds one `MaifObservabilityStack` per environment to `app` (`maif-observability-<env>`).
 * Every environment is resolved before any stack is built, so a bad configuration throws its
 * `ConfigError` (every problem, one per line) before anything is bundled. So does a log group
 * subscribed by two environments, or listed twice by one (`domain/config/log-groups.ts`),
 * compared across every environment of the configuration even when only one is synthesized.
 */
export function buildApp(app: App, options: BuildAppOptions): MaifObservabilityStack[] {
  const all = Object.keys(options.config.environments ?? {});
  const names = options.env !== undefined ? [options.env] : all;
  if (names.length === 0) {
    throw new ConfigError(['environments: the configuration declares none (add environments: { dev: {} })']);
  }
  const resolved = names.map((name) => resolveConfig(options.config, name));
  const everyEnvironment = [...resolved, ...otherEnvironments(options.config, names)].sort(
    (a, b) => all.indexOf(a.environment) - all.indexOf(b.environment),
  );
  const logGroupProblems = checkLogGroups(options.config, everyEnvironment);
  if (logGroupProblems.length > 0) throw new ConfigError(logGroupProblems);
  const stacks = resolved.map(
    (config) =>
      new MaifObservabilityStack(app, stackName(config.environment), {
        config,
        stackName: stackName(config.environment),
        layerEntry: options.layerEntry,
      }),
  );
  if (options.nag ?? true) addNagChecks(app);
  return stacks;
}
