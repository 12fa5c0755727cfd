/**
 * The CDK app refuses a log group that two environments subscribe, before building any stack,
 * including when only one environment is synthesized (`-c env=prod`).
 */
import { App } from 'aws-cdk-lib';
import { ConfigError, type ObservabilityConfig } from '../../domain/config';
import { buildApp } from '../../lib/app';
import example from '../../observability.config';
import { testLayerEntry } from './helpers';

/** The example with dev's log groups replaced by `logGroups`. */
const withDevLogGroups = (logGroups: string[]): ObservabilityConfig => ({
  ...example,
  environments: {
    ...example.environments,
    dev: { ...example.environments?.dev, logging: { ...example.environments?.dev?.logging, logGroups } },
  },
});

describe('the CDK app and log groups across environments', () => {
  const shared = withDevLogGroups(['/aws/lambda/maif-dev-*', '/aws/maif/production']);
  const message =
    "environments.dev.logging.logGroups[1]: '/aws/maif/production' is subscribed by both dev and prod (prod: environments.prod.logging.logGroups[1]; each environment needs its own log groups: name them per environment, e.g. with the environment in the name)";

  it.each([
    ['every environment', undefined],
    ['prod alone', 'prod'],
    ['staging alone, which shares nothing', 'staging'],
  ])('fails with a ConfigError naming both environments when synthesizing %s, before any stack exists', (_, env) => {
    const app = new App({ builtinCloudFormationValidation: false });
    let error: unknown;
    try {
      buildApp(app, { config: shared, env, nag: false });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([message]);
    expect(app.node.children).toHaveLength(0);
  });

  it("still reports the environment's own problems first", () => {
    const bad = { ...shared, tracing: { ...shared.tracing, sampling: { default: 3 } } };
    expect(() => buildApp(new App(), { config: bad, env: 'prod', nag: false })).toThrow(
      /tracing\.sampling\.default: 3 is not a sampling rate/,
    );
  });

  it('leaves out another environment that does not resolve: it cannot be deployed, and its own synth checks again', () => {
    const broken = {
      ...shared,
      environments: { ...shared.environments, dev: { ...shared.environments?.dev, lambda: { memoryMb: 1 } } },
    } as ObservabilityConfig;
    expect(() => buildApp(new App(), { config: broken, env: 'dev', nag: false })).toThrow(/lambda\.memoryMb/);
    const app = new App({ builtinCloudFormationValidation: false });
    const stacks = buildApp(app, { config: broken, env: 'prod', nag: false, layerEntry: testLayerEntry() });
    expect(stacks.map((s) => s.stackName)).toEqual(['maif-observability-prod']);
  });
});
