import type { App } from 'aws-cdk-lib';
import { ConfigError, type ObservabilityConfig, resolveConfig } from '../domain/config';
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
 * Adds one `MaifObservabilityStack` per environment to `app` (`maif-observability-<env>`).
 * Every environment is resolved before any stack is built, so a bad configuration throws its
 * `ConfigError` (every problem, one per line) before anything is bundled.
 */
export function buildApp(app: App, options: BuildAppOptions): MaifObservabilityStack[] {
  const names = options.env !== undefined ? [options.env] : Object.keys(options.config.environments ?? {});
  if (names.length === 0) {
    throw new ConfigError(['environments: the configuration declares none (add environments: { dev: {} })']);
  }
  const resolved = names.map((name) => resolveConfig(options.config, name));
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
