/**
 * Alert rules over metrics nothing in the deployment emits (domain/rules/emitters.ts), the rule
 * `target` and the `metrics.system.lambda` switch of the configuration.
 */
import { ConfigError, type ObservabilityConfig, resolveConfig } from '../../domain/config';
import { emittedMetrics } from '../../domain/doctor/emitted';
import { unemittedRuleMetrics } from '../../domain/rules/emitters';
import { SAMPLED_SYSTEM_METRICS } from '../../layers/instrumentation/catalog';
import exampleConfig from '../../observability.config';

type Rule = NonNullable<NonNullable<ObservabilityConfig['alerting']>['rules']>[number];

function configWith(rules: Rule[], extra: Partial<ObservabilityConfig> = {}) {
  return resolveConfig(
    {
      service: 'shop',
      namespace: 'Shop',
      environments: { prod: {} },
      metrics: { custom: [{ name: 'orders_total', kind: 'counter' }] },
      ...extra,
      alerting: { rules },
    },
    'prod',
  );
}

const disk: Rule = { name: 'disk_space_low', condition: 'disk_usage > 85%', duration: '15m', severity: 'warning' };

describe('unemittedRuleMetrics', () => {
  it('finds a rule over a metric nothing emits, naming the rule, the metric and both fixes', () => {
    const found = unemittedRuleMetrics(configWith([disk]));
    expect(found).toEqual([
      {
        rule: 'disk_space_low',
        subject: 'alerting.rules[0] (disk_space_low)',
        metrics: ['disk_usage'],
        message:
          "alert rule 'disk_space_low': disk_usage is emitted by nothing in this deployment, so its alarm can never fire",
        fix: "turn on metrics.system.lambda so instrumented functions sample disk_usage, or set target: 'hosts' if hosts running the SystemMonitor or the CloudWatch agent emit it",
      },
    ]);
  });

  it('finds nothing for rules over emitted metrics: request metrics, probes, custom metrics', () => {
    const config = configWith(
      [
        { name: 'errors', condition: 'error_rate > 5%', severity: 'warning' },
        { name: 'latency', condition: 'response_time_p95 > 2s', severity: 'warning' },
        { name: 'down', condition: 'up == 0', severity: 'critical' },
        { name: 'orders', condition: 'rate(orders_total) < 0.1', severity: 'warning' },
      ],
      {
        // instrument() records the request metrics whatever metrics.application says
        metrics: {
          custom: [{ name: 'orders_total', kind: 'counter' }],
          application: { requests: { rate: false, duration: false, status_codes: false, error_rate: false } },
        },
        healthChecks: { targets: [{ name: 'api', type: 'https', url: 'https://api.example.com/health' }] },
      },
    );
    expect(unemittedRuleMetrics(config)).toEqual([]);
  });

  it("skips a rule with target: 'hosts'", () => {
    expect(unemittedRuleMetrics(configWith([{ ...disk, target: 'hosts' }]))).toEqual([]);
  });

  it('counts the sampled system metrics as emitted when metrics.system.lambda is on, and no other', () => {
    const cpu: Rule = { name: 'cpu_hot', condition: 'cpu_utilization > 90%', severity: 'warning' };
    const found = unemittedRuleMetrics(configWith([disk, cpu], { metrics: { system: { lambda: true } } }));
    expect(found.map((f) => [f.rule, f.metrics])).toEqual([['cpu_hot', ['cpu_utilization']]]);
    expect(found[0]?.fix).toBe(
      "instrumented functions sample only memory_usage and disk_usage: set target: 'hosts' if hosts running the SystemMonitor emit cpu_utilization",
    );
  });

  it('names only the unemitted metric of a rule that mixes emitted and unemitted ones', () => {
    const mixed: Rule = {
      name: 'disk_per_order',
      condition: 'disk_usage / count(orders_total) > 2',
      severity: 'warning',
    };
    const [found, ...rest] = unemittedRuleMetrics(configWith([mixed]));
    expect(rest).toEqual([]);
    expect(found?.metrics).toEqual(['disk_usage']);
    expect(found?.message).toBe(
      "alert rule 'disk_per_order': disk_usage is emitted by nothing in this deployment, so its alarm can never fire",
    );
  });

  it('names the setting that turns an application metric on', () => {
    const config = configWith(
      [{ name: 'slow_search', condition: 'p95(search_duration_seconds) > 1s', severity: 'warning' }],
      {
        metrics: { application: { search: { response_time: false } } },
      },
    );
    expect(unemittedRuleMetrics(config)[0]?.fix).toMatch(/^turn on metrics\.application\.search\.response_time /);
  });

  it("finds the example's disk_space_low and memory_leak until the example turns sampling on or targets hosts", () => {
    const config = resolveConfig(exampleConfig, 'prod');
    const found = unemittedRuleMetrics(config).map((f) => [f.rule, f.metrics]);
    const lambdaOn = config.metrics.system.lambda;
    const onHosts = config.alerting.rules.filter((r) => r.target === 'hosts').map((r) => r.name);
    const expected = lambdaOn
      ? []
      : [
          ['disk_space_low', ['disk_usage']],
          ['memory_leak', ['memory_usage']],
        ].filter(([rule]) => !onHosts.includes(rule as string));
    expect(found).toEqual(expected);
  });
});

describe('emittedMetrics scope', () => {
  it('keeps every enabled system metric in the settings inventory, and only the sampled ones in the deployment', () => {
    const off = configWith([]);
    const on = configWith([], { metrics: { system: { lambda: true } } });
    const system = (names: string[]) =>
      names.filter((n) => /^(cpu|memory|disk|swap|load|network|page|context|interrupts)/.test(n));
    expect(system(emittedMetrics(off).map((m) => m.name))).toContain('cpu_utilization');
    expect(system(emittedMetrics(off, { scope: 'deployment' }).map((m) => m.name))).toEqual([]);
    expect(system(emittedMetrics(on, { scope: 'deployment' }).map((m) => m.name))).toEqual([...SAMPLED_SYSTEM_METRICS]);
  });
});

describe('configuration', () => {
  it('rejects an unknown rule target, naming the field, the value and what is allowed', () => {
    expect(() => configWith([{ ...disk, target: 'host' as never }])).toThrow(ConfigError);
    expect(() => configWith([{ ...disk, target: 'host' as never }])).toThrow(
      "alerting.rules[0].target: 'host' is not one of 'lambda', 'hosts'",
    );
  });

  it("defaults a rule's target to lambda and metrics.system.lambda to false", () => {
    const config = configWith([disk]);
    expect(config.alerting.rules[0]?.target).toBe('lambda');
    expect(config.metrics.system.lambda).toBe(false);
  });

  it('rejects a metrics.system.lambda that is not a boolean', () => {
    expect(() => configWith([], { metrics: { system: { lambda: 'yes' as never } } })).toThrow(
      "metrics.system.lambda: 'yes' is not a boolean (true or false)",
    );
  });
});
