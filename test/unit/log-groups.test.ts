import { Lazy } from 'aws-cdk-lib';
import fc from 'fast-check';
import { type ObservabilityConfig, resolveConfig } from '../../domain/config';
import {
  checkLogGroupSubscriptions,
  checkLogGroups,
  type EnvironmentLogGroups,
  environmentLogGroups,
  isLiteralLogGroupName,
} from '../../domain/config/log-groups';
import example from '../../observability.config';

/** Every environment of `config`, resolved, in the configuration's order. */
const resolveAll = (config: ObservabilityConfig) =>
  Object.keys(config.environments ?? {}).map((env) => resolveConfig(config, env));

const config = (base: Record<string, unknown>, environments: Record<string, unknown>): ObservabilityConfig =>
  ({ service: 'maif', namespace: 'MAIF', ...base, environments }) as ObservabilityConfig;

describe('log groups across environments', () => {
  it('reports a base list subscribed by every environment, naming the field, the group, both environments and the fix', () => {
    const shared = config({ logging: { logGroups: ['/aws/lambda/maif-search'] } }, { dev: {}, prod: {} });
    expect(checkLogGroups(shared, resolveAll(shared))).toEqual([
      "logging.logGroups[0]: '/aws/lambda/maif-search' is subscribed by both dev and prod (each environment needs its own log groups: name them per environment, e.g. with the environment in the name)",
    ]);
  });

  it('counts the subscription filters beyond the 2 CloudWatch Logs allows on one log group', () => {
    const shared = config({ logging: { logGroups: ['/aws/maif/production'] } }, { dev: {}, staging: {}, prod: {} });
    expect(checkLogGroups(shared, resolveAll(shared))).toEqual([
      "logging.logGroups[0]: '/aws/maif/production' is subscribed by dev, staging and prod: 3 subscription filters, and CloudWatch Logs allows at most 2 on one log group (each environment needs its own log groups: name them per environment, e.g. with the environment in the name)",
    ]);
  });

  it("blames each environment's own overrides, and names another environment's host log group", () => {
    const sources = [{ name: 'access_logs', path: '/logs/access.log', parser: 'nginx' }];
    const cfg = config(
      { logging: { sources } },
      { dev: { logging: { logGroups: ['/aws/maif/dev', '/maif/prod/hosts/access_logs'] } }, prod: {} },
    );
    expect(checkLogGroups(cfg, resolveAll(cfg))).toEqual([
      "environments.dev.logging.logGroups[1]: '/maif/prod/hosts/access_logs' is subscribed by both dev and prod (prod: logging.sources[0] (the host log group of access_logs); each environment needs its own log groups: name them per environment, e.g. with the environment in the name)",
    ]);
  });

  it('reports a log group listed twice by one environment, and one naming its own host log group', () => {
    const sources = [{ name: 'system_logs', path: '/var/log/system.log', parser: 'syslog' }];
    const cfg = config(
      { logging: { sources } },
      { dev: { logging: { logGroups: ['/aws/maif/dev', '/maif/dev/hosts/system_logs', '/aws/maif/dev'] } } },
    );
    expect(checkLogGroups(cfg, resolveAll(cfg))).toEqual([
      "environments.dev.logging.logGroups[1]: '/maif/dev/hosts/system_logs' is subscribed twice by dev (it is the host log group of logging.sources[0] (system_logs), which the stack creates and subscribes; remove it from logging.logGroups)",
      "environments.dev.logging.logGroups[2]: '/aws/maif/dev' is listed twice for dev (already environments.dev.logging.logGroups[0]; list each log group once)",
    ]);
  });

  it('skips patterns and CDK tokens: they name no log group the stack subscribes by name', () => {
    expect(isLiteralLogGroupName('/aws/lambda/maif-*')).toBe(false);
    // a CDK string token, as aws-cdk-lib encodes it
    const token = Lazy.string({ produce: () => '/aws/maif/late' });
    expect(isLiteralLogGroupName(token)).toBe(false);
    expect(isLiteralLogGroupName('/aws/maif/dev')).toBe(true);
    const env = (environment: string): EnvironmentLogGroups => ({
      environment,
      subscriptions: [
        { logGroup: '/aws/lambda/maif-*', field: 'logging.logGroups[0]' },
        { logGroup: token, field: 'logging.logGroups[1]' },
      ],
    });
    expect(checkLogGroupSubscriptions([env('dev'), env('prod')])).toEqual([]);
  });

  it('compares environments only where they may deploy to the same account and region', () => {
    const group = (environment: string, account?: string, region?: string): EnvironmentLogGroups => ({
      environment,
      ...(account !== undefined ? { account } : {}),
      ...(region !== undefined ? { region } : {}),
      subscriptions: [{ logGroup: '/aws/maif/app', field: 'logging.logGroups[0]' }],
    });
    const a = '111111111111';
    const b = '222222222222';
    expect(checkLogGroupSubscriptions([group('dev', a), group('prod', b)])).toEqual([]);
    expect(checkLogGroupSubscriptions([group('dev', a, 'eu-west-1'), group('prod', a, 'eu-west-3')])).toEqual([]);
    expect(checkLogGroupSubscriptions([group('dev', a, 'eu-west-3'), group('prod', a, 'eu-west-3')])).toHaveLength(1);
    // dev sets no account: it may land in either, so it is compared with both, which are not compared together
    const problems = checkLogGroupSubscriptions([group('dev'), group('staging', a), group('prod', b)]);
    expect(problems.map((p) => p.match(/subscribed by (.*?) \(/)?.[1])).toEqual([
      'both dev and staging',
      'both dev and prod',
    ]);
  });

  it('gives the fields of the resolved environment: the overrides when they set the list, else the base', () => {
    const sources = [{ name: 'app', path: '/logs/app.log', parser: 'json' }];
    const cfg = config(
      { logging: { logGroups: ['/aws/maif/base'], sources } },
      { dev: { logging: { logGroups: ['/aws/maif/dev'] } }, prod: {} },
    );
    const [dev, prod] = resolveAll(cfg).map((r) => environmentLogGroups(cfg, r));
    expect(dev.subscriptions).toEqual([
      { logGroup: '/maif/dev/hosts/app', field: 'logging.sources[0]', hostSource: 'app' },
      { logGroup: '/aws/maif/dev', field: 'environments.dev.logging.logGroups[0]' },
    ]);
    expect(prod.subscriptions.map((s) => [s.logGroup, s.field])).toEqual([
      ['/maif/prod/hosts/app', 'logging.sources[0]'],
      ['/aws/maif/base', 'logging.logGroups[0]'],
    ]);
  });

  it('reports exactly the log groups environments share and those one environment lists twice (property)', () => {
    const ENVS = ['dev', 'staging', 'prod', 'qa'];
    const NAMES = ['/aws/maif/a', '/aws/maif/b', '/aws/maif/c', '/aws/maif/d', '/aws/lambda/maif-*'];
    const ACCOUNTS = [undefined, '111111111111', '222222222222'];
    const environments = fc
      .uniqueArray(fc.constantFrom(...ENVS), { minLength: 1, maxLength: ENVS.length })
      .chain((names) =>
        fc.tuple(
          ...names.map((environment) =>
            fc.record({
              environment: fc.constant(environment),
              account: fc.constantFrom(...ACCOUNTS),
              groups: fc.array(fc.constantFrom(...NAMES), { maxLength: 6 }),
            }),
          ),
        ),
      );
    fc.assert(
      fc.property(environments, (envs) => {
        const input: EnvironmentLogGroups[] = envs.map(({ environment, account, groups }) => ({
          environment,
          ...(account !== undefined ? { account } : {}),
          subscriptions: groups.map((logGroup, i) => ({
            logGroup,
            field: `environments.${environment}.logging.logGroups[${i}]`,
          })),
        }));
        const problems = checkLogGroupSubscriptions(input);

        // expected: pairs of environments that may share an account and both name a literal group
        const expectedPairs = new Set<string>();
        const expectedTwice = new Set<string>();
        const literal = (g: string) => !g.endsWith('*');
        envs.forEach((a, i) => {
          const own = a.groups.filter(literal);
          for (const g of new Set(own))
            if (own.indexOf(g) !== own.lastIndexOf(g)) expectedTwice.add(`${a.environment} ${g}`);
          for (const b of envs.slice(i + 1)) {
            if (a.account !== undefined && b.account !== undefined && a.account !== b.account) continue;
            for (const g of new Set(own))
              if (b.groups.includes(g)) expectedPairs.add(`${g} ${a.environment} ${b.environment}`);
          }
        });

        const reportedPairs = new Set<string>();
        const reportedTwice = new Set<string>();
        for (const problem of problems) {
          const twice = problem.match(/^\S+: '([^']+)' is listed twice for (\S+) /);
          if (twice !== null) {
            reportedTwice.add(`${twice[2]} ${twice[1]}`);
            continue;
          }
          const shared = problem.match(
            /^\S+: '([^']+)' is subscribed by (?:both )?(.+?)(?:: (\d+) subscription filters.*)? \(/,
          );
          if (shared === null) throw new Error(`unexpected problem: ${problem}`);
          const names = shared[2].split(/, | and /);
          names.forEach((a, i) => {
            for (const b of names.slice(i + 1)) reportedPairs.add(`${shared[1]} ${a} ${b}`);
          });
          // more than 2 filters is said exactly when the line names more than 2 environments
          expect(shared[3]).toBe(names.length > 2 ? String(names.length) : undefined);
        }
        expect([...reportedPairs].sort()).toEqual([...expectedPairs].sort());
        expect([...reportedTwice].sort()).toEqual([...expectedTwice].sort());
      }),
      { numRuns: 500 },
    );
  });
});

describe('the example configuration', () => {
  it('gives each environment its own log groups', () => {
    const resolved = resolveAll(example);
    expect(resolved.map((r) => r.environment)).toEqual(['dev', 'staging', 'prod']);
    const literal = resolved.map((r) =>
      environmentLogGroups(example, r)
        .subscriptions.map((s) => s.logGroup)
        .filter(isLiteralLogGroupName),
    );
    // prod keeps the monitoring guide's group; dev and staging have their own
    expect(literal[2]).toContain('/aws/maif/production');
    const all = literal.flat();
    expect(new Set(all).size).toBe(all.length);
    expect(checkLogGroups(example, resolved)).toEqual([]);
  });

  it("would fail with the monitoring guide's log groups in the base, shared by every environment", () => {
    const environments = Object.fromEntries(
      Object.entries(example.environments ?? {}).map(([name, env]) => [
        name,
        { ...env, logging: { ...env?.logging, logGroups: undefined } },
      ]),
    );
    const shared = {
      ...example,
      environments,
      logging: { ...example.logging, logGroups: ['/aws/lambda/maif-*', '/aws/maif/production'] },
    } as ObservabilityConfig;
    expect(checkLogGroups(shared, resolveAll(shared))).toEqual([
      expect.stringMatching(
        /^logging\.logGroups\[1\]: '\/aws\/maif\/production' is subscribed by dev, staging and prod: 3/,
      ),
    ]);
  });
});
