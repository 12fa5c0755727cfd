import type { SpawnSyncReturns } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { COMMANDS, cli, runMain } from '../private/cli';

/** One line on stderr, no stack trace. */
function expectOneLineError(result: SpawnSyncReturns<string>, pattern: RegExp): void {
  expect(result.status).toBe(1);
  expect(result.stdout).toBe('');
  const lines = result.stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(pattern);
  expect(result.stderr).not.toMatch(/\n\s+at /);
}

describe('maif-obs', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'maif-obs-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('writes one Grafana JSON per dashboard of the example configuration and prints their paths', () => {
    const result = cli(['grafana-export', '--env', 'prod', '--region', 'eu-west-3', '--out', dir]);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const paths = result.stdout.trim().split('\n');
    expect(paths).toEqual([
      join(dir, 'MAIF-System-Overview-prod.json'),
      join(dir, 'MAIF-Application-Performance-prod.json'),
      join(dir, 'maif-real-time-prod.json'),
    ]);
    const overview = JSON.parse(readFileSync(paths[0], 'utf8'));
    expect(overview.title).toBe('MAIF System Overview (prod)');
    expect(overview.panels[0].targets[0]).toMatchObject({ region: 'eu-west-3', metricName: 'http_requests_total' });
  });

  it('reads the configuration file, environment and data source uid it is given', () => {
    const config = join(dir, 'small.config.ts');
    writeFileSync(
      config,
      `export default {
        service: 'shop', namespace: 'Shop',
        environments: { staging: { region: 'eu-central-1' } },
        dashboards: [{ title: 'Orders', panels: [{ title: 'Rate', type: 'graph', targets: [{ expr: 'rate(http_requests_total[1m])' }] }] }],
      };\n`,
    );
    const result = cli(['grafana-export', '--config', config, '--out', 'out', '--datasource-uid', 'cw1'], dir);
    expect(result.stderr).toBe('');
    expect(result.stdout.trim()).toBe(join(dir, 'out', 'Orders-staging.json'));
    const json = JSON.parse(readFileSync(join(dir, 'out', 'Orders-staging.json'), 'utf8'));
    expect(json.panels[0].datasource).toEqual({ type: 'cloudwatch', uid: 'cw1' });
    expect(json.panels[0].targets[0]).toMatchObject({ region: 'eu-central-1', period: '60', statistic: 'Sum' });
  });

  it('reports bad input on one line with exit code 1', () => {
    const bad = join(dir, 'bad.config.ts');
    writeFileSync(
      bad,
      `export default {
        service: 'shop', namespace: 'Shop', environments: { prod: {} },
        dashboards: [{ title: 'Orders', panels: [{ title: 'Trend', type: 'graph', targets: [{ expr: 'predict_linear(http_requests_total[1h], 60)' }] }] }],
      };\n`,
    );
    expectOneLineError(cli(['nope']), /^maif-obs: unknown command 'nope' \(commands: grafana-export(, [a-z-]+)*\)$/);
    expectOneLineError(
      cli(['grafana-export', '--colour']),
      /^maif-obs grafana-export: Unknown option '--colour' \(options: --config/,
    );
    expectOneLineError(cli(['grafana-export', '--config', 'missing.ts']), /--config: 'missing.ts' does not exist/);
    expectOneLineError(
      cli(['grafana-export', '--env', 'qa']),
      /env: "qa" is not an environment|env: 'qa' is not an environment/,
    );
    expectOneLineError(cli(['grafana-export', '--env', 'prod']), /--region: none given/);
    expectOneLineError(
      cli(['grafana-export', '--config', bad, '--region', 'eu-west-1', '--out', dir]),
      /dashboard 'Orders' panel 'Trend' target 1: 'predict_linear' is not supported/,
    );
  });

  it('prints its usage with --help and fails without a command', () => {
    const help = cli(['--help']);
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('commands: grafana-export');
    expect(cli([]).status).toBe(1);
    const commandHelp = cli(['grafana-export', '--help']);
    expect(commandHelp.stdout).toContain('usage: maif-obs grafana-export [--config FILE]');
  });

  it('dispatches in process too, so commands are testable without spawning', async () => {
    expect(Object.keys(COMMANDS)).toContain('grafana-export');
    const { code, out, err } = await runMain(['grafana-export', '--env', 'dev', '--region', 'us-east-1', '--out', dir]);
    expect(code).toBe(0);
    expect(out.map((p) => p.slice(dir.length + 1))).toEqual([
      'MAIF-System-Overview-dev.json',
      'MAIF-Application-Performance-dev.json',
      'maif-real-time-dev.json',
    ]);
    expect(err).toEqual([]);
  });
});
