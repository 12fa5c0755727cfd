/**
 * The layout holds: arrows only point down (bin, cli, sandbox, lib, lambdas, domain, the
 * instrumentation layer), there are no import circles, and the commands that do not synthesize
 * never load aws-cdk-lib.
 */
import { spawnSync } from 'node:child_process';
import {
  CDK_PACKAGES,
  type ImportEdge,
  importCircles,
  importEdges,
  layoutViolations,
  packageOf,
  ROOT,
  reachable,
} from '../private/import-graph';

const edges = importEdges();

/** The `maif-obs` commands that must run without CDK (only synthesis loads it). */
const CDK_FREE_COMMANDS = ['test-rules', 'route', 'doctor', 'grafana-export', 'agent-config', 'sandbox', 'replay'];

describe('layout', () => {
  it('reads the imports of every layered folder', () => {
    const folders = new Set(edges.map((e) => e.from.split('/')[0]));
    expect([...folders].sort()).toEqual(['bin', 'cli', 'domain', 'lambdas', 'layers', 'lib', 'sandbox']);
    expect(edges.length).toBeGreaterThan(500);
  });

  it('has no import pointing up, into another handler, a private folder or outside the layers', () => {
    expect(layoutViolations(edges)).toEqual([]);
  });

  it('has no import circles', () => {
    expect(importCircles(edges)).toEqual([]);
  });

  it('reports each kind of violation when one is planted', () => {
    const planted: ImportEdge[] = [
      { from: 'domain/rules/x.ts', to: 'lib/stack.ts', kind: 'file' },
      { from: 'domain/rules/x.ts', to: 'aws-cdk-lib/aws-sns', kind: 'package' },
      { from: 'domain/rules/x.ts', to: '@aws-sdk/client-sns', kind: 'package' },
      { from: 'layers/instrumentation/a.ts', to: 'domain/records.ts', kind: 'file' },
      { from: 'lib/stack.ts', to: 'lambdas/router/index.ts', kind: 'file' },
      { from: 'lambdas/router/index.ts', to: 'lambdas/escalation/index.ts', kind: 'file' },
      { from: 'domain/doctor/x.ts', to: 'layers/instrumentation/private/proc-parse.ts', kind: 'file' },
      { from: 'cli/x.ts', to: '?../missing', kind: 'file' },
    ];
    const rules = layoutViolations(planted).map((v) => v.rule);
    expect(rules).toEqual([
      'domain does not import lib (an arrow up)',
      'domain loads no CDK',
      'domain calls no AWS SDK',
      'layers/instrumentation does not import domain (an arrow up)',
      'the instrumentation layer imports nothing else in the repository',
      'lib names handler entry files for bundling but imports no handler code',
      "a handler imports no other handler's folder",
      'only layers/instrumentation/ imports its private/ modules',
      'every import resolves to a file',
    ]);
    const allowed: ImportEdge[] = [
      { from: 'lib/stack.ts', to: 'domain/config/index.ts', kind: 'file' },
      { from: 'lambdas/router/index.ts', to: 'lambdas/shared/alert-store.ts', kind: 'file' },
      { from: 'lambdas/router/index.ts', to: '@aws-sdk/client-sfn', kind: 'package' },
      { from: 'layers/instrumentation/a.ts', to: 'layers/instrumentation/private/log-file.ts', kind: 'file' },
    ];
    expect(layoutViolations(allowed)).toEqual([]);
  });

  it('finds a planted circle', () => {
    const circle: ImportEdge[] = [
      { from: 'a.ts', to: 'b.ts', kind: 'file' },
      { from: 'b.ts', to: 'c.ts', kind: 'file' },
      { from: 'c.ts', to: 'a.ts', kind: 'file' },
      { from: 'c.ts', to: 'd.ts', kind: 'file' },
    ];
    expect(importCircles(circle)).toEqual([['a.ts', 'b.ts', 'c.ts']]);
  });
});

describe('commands without CDK', () => {
  it.each(CDK_FREE_COMMANDS)('maif-obs %s reaches no CDK package through its imports', (command) => {
    const files = reachable(edges, ['cli/index.ts', `cli/${command}.ts`]);
    const packages = edges.filter((e) => e.kind === 'package' && files.has(e.from)).map((e) => packageOf(e.to));
    expect(packages.filter((p) => CDK_PACKAGES.includes(p))).toEqual([]);
  });

  it('synthesis is the only part of the sandbox that reaches CDK (in its own process)', () => {
    const sandboxFiles = edges
      .map((e) => e.from)
      .filter((f) => f.startsWith('sandbox/') && f !== 'sandbox/synth-main.ts');
    const files = reachable(edges, [...new Set(sandboxFiles)]);
    const cdk = edges.filter(
      (e) => e.kind === 'package' && files.has(e.from) && CDK_PACKAGES.includes(packageOf(e.to)),
    );
    expect(cdk).toEqual([]);
  });

  it('runs test-rules, route, doctor, grafana-export and agent-config without loading aws-cdk-lib', () => {
    const script = `
      require('tsx/cjs');
      const { mkdtempSync, writeFileSync } = require('node:fs');
      const { join } = require('node:path');
      const dir = mkdtempSync(join(require('node:os').tmpdir(), 'maif-layering-'));
      const alert = join(dir, 'alert.json');
      writeFileSync(alert, JSON.stringify({ alertName: 'system_down', severity: 'critical', labels: { team: 'platform' } }));
      const { main } = require('./cli/index.ts');
      const quiet = { cwd: process.cwd(), env: {}, out: () => {}, err: (l) => process.stderr.write(l + '\\n') };
      (async () => {
        const codes = {
          'test-rules': await main(['test-rules', 'alerting/rules.test.yaml'], quiet),
          route: await main(['route', alert, '--env', 'prod', '--at', '2026-11-24T22:00:00Z'], quiet),
          doctor: await main(['doctor', '--env', 'prod'], quiet),
          'grafana-export': await main(['grafana-export', '--env', 'dev', '--region', 'us-east-1', '--out', dir], quiet),
          'agent-config': await main(['agent-config', '--env', 'prod', '--out', join(dir, 'agent.json')], quiet),
        };
        const loaded = Object.keys(require.cache).filter((k) => /node_modules[\\\\/](aws-cdk-lib|constructs|cdk-nag)[\\\\/]/.test(k));
        process.stdout.write(JSON.stringify({ codes, loaded: loaded.length }));
      })();
    `;
    const run = spawnSync(process.execPath, ['-e', script], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { ...process.env, AWS_REGION: '' },
    });
    expect(run.stderr).not.toMatch(/Error/);
    const result = JSON.parse(run.stdout) as { codes: Record<string, number>; loaded: number };
    expect(result.codes).toEqual({ 'test-rules': 0, route: 0, doctor: 0, 'grafana-export': 0, 'agent-config': 0 });
    expect(result.loaded).toBe(0);
  });
});
