import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import { ConfigError } from '../../domain/config';
import { buildApp } from '../../lib/app';
import { HealthProbes } from '../../lib/health-probes';
import { nagFindings } from '../../lib/nag';
import config from '../../observability.config';
import { testLayerEntry } from './helpers';

const ROOT = resolve(__dirname, '../..');

describe('the CDK app', () => {
  it('synthesizes dev, staging and prod of the example configuration, each passing cdk-nag', () => {
    // The built-in CloudFormation validation stays on here: the one test that runs it.
    const app = new App();
    const stacks = buildApp(app, { config, nag: false, layerEntry: testLayerEntry() });
    expect(stacks.map((s) => s.stackName)).toEqual([
      'maif-observability-dev',
      'maif-observability-staging',
      'maif-observability-prod',
    ]);
    const assembly = app.synth();
    expect(assembly.stacks.map((s) => s.stackName).sort()).toEqual([
      'maif-observability-dev',
      'maif-observability-prod',
      'maif-observability-staging',
    ]);
    const retention = (name: string) =>
      Object.values(
        assembly.getStackByName(name).template.Resources as Record<
          string,
          { Type: string; Properties: { RetentionInDays?: number } }
        >,
      )
        .filter((r) => r.Type === 'AWS::Logs::LogGroup')
        .map((r) => r.Properties.RetentionInDays);
    // every kit log group (aggregator, health probe, baseline monitor) follows the environment's retention
    expect(new Set(retention('maif-observability-dev'))).toEqual(new Set([7]));
    expect(new Set(retention('maif-observability-staging'))).toEqual(new Set([14]));
    for (const stack of stacks) expect(nagFindings(stack)).toEqual([]);
  });

  it('synthesizes only the environment asked for', () => {
    const app = new App({ builtinCloudFormationValidation: false });
    const stacks = buildApp(app, { config, env: 'staging', nag: false, layerEntry: testLayerEntry() });
    expect(stacks.map((s) => s.stackName)).toEqual(['maif-observability-staging']);
    Template.fromStack(stacks[0]).hasResourceProperties('AWS::XRay::SamplingRule', {
      SamplingRule: { RuleName: 'maif-staging-default', FixedRate: 0.5 },
    });
  });

  it('fails on a bad configuration with a ConfigError naming the field, before any stack exists', () => {
    const app = new App({ builtinCloudFormationValidation: false });
    const bad = { ...config, tracing: { ...config.tracing, sampling: { default: 3 } } };
    expect(() => buildApp(app, { config: bad, env: 'prod' })).toThrow(ConfigError);
    expect(() => buildApp(app, { config: bad, env: 'prod' })).toThrow(
      /tracing\.sampling\.default: 3 is not a sampling rate/,
    );
    expect(app.node.children).toHaveLength(0);
  });

  it('fails on an unknown environment, listing the allowed ones', () => {
    expect(() => buildApp(new App(), { config, env: 'qa' })).toThrow(
      /env: 'qa' is not an environment of this configuration \(allowed: dev, staging, prod\)/,
    );
  });

  it('prints the configuration problem and exits 1 when bin/app.ts gets a bad configuration file', () => {
    const dir = join(ROOT, 'test-artifacts', 'cdk-app');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, 'bad.config.ts');
    writeFileSync(
      file,
      "import base from '../../observability.config';\nexport default { ...base, healthChecks: { schedule: '90s', targets: [] } };\n",
    );
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'bin/app.ts'], {
      cwd: ROOT,
      env: { ...process.env, CDK_CONTEXT_JSON: JSON.stringify({ env: 'dev', config: file }) },
      encoding: 'utf8',
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/^Invalid observability configuration:\n/);
    expect(run.stderr).toMatch(/healthChecks\.schedule: '90s'/);
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('HealthProbes', () => {
  const stack = () => {
    const s = new Stack(new App(), 'S');
    return { s, key: new kms.Key(s, 'K', { enableKeyRotation: true }) };
  };
  const base = { service: 'maif', namespace: 'MAIF', environment: 'dev', targets: [] };

  it('rejects a schedule that is not whole minutes', () => {
    const { s, key } = stack();
    expect(() => new HealthProbes(s, 'P', { ...base, encryptionKey: key, schedule: '90s' })).toThrow(
      "HealthProbes schedule: '90s' is not a whole number of minutes (use 1m, 5m, 1h)",
    );
  });

  it('rejects two targets with the same name', () => {
    const { s, key } = stack();
    const target = { name: 'api', type: 'https', url: 'https://x.example/health' } as const;
    expect(
      () => new HealthProbes(s, 'P', { ...base, encryptionKey: key, schedule: '5m', targets: [target, target] }),
    ).toThrow("HealthProbes targets[1].name: 'api' is used twice (names must be unique)");
  });
});
