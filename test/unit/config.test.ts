import fc from 'fast-check';
import { ConfigError, deepMerge, defineConfig, type ObservabilityConfig, resolveConfig } from '../../domain/config';
import type { LogAggregatorConfig } from '../../domain/logs/config';
import type { HealthProbeConfig } from '../../lambdas/health-probe';
import example from '../../observability.config';

/** The smallest valid configuration; each test adds the one fault it is about. */
const minimal = (extra: Record<string, unknown> = {}, env: Record<string, unknown> = {}): ObservabilityConfig =>
  ({ service: 'maif', namespace: 'MAIF', environments: { dev: env }, ...extra }) as ObservabilityConfig;

/** The problems `resolveConfig` reports, one string per line. */
function problemsOf(config: ObservabilityConfig, env = 'dev'): string[] {
  try {
    resolveConfig(config, env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message.split('\n')).toEqual((error as ConfigError).problems);
    return [...(error as ConfigError).problems];
  }
  throw new Error('expected a ConfigError');
}

describe('the example configuration for MAIF', () => {
  it.each(['dev', 'staging', 'prod'])('resolves for %s', (env) => {
    const resolved = resolveConfig(example, env);

    expect(resolved.environment).toBe(env);
    expect(resolved.service).toBe('maif');
    expect(resolved.alerting.rules.map((r) => r.name)).toEqual([
      'high_error_rate',
      'system_down',
      'high_latency',
      'no_traffic',
      'disk_space_low',
      'memory_leak',
    ]);
    expect(resolved.logging.sources.map((s) => s.parser)).toEqual(['json', 'syslog', 'nginx']);
    expect(resolved.logging.processingRules.map((r) => r.action)).toEqual([
      'enrich',
      'trigger_alert',
      'extract_metric',
    ]);
    expect(Object.keys(resolved.alerting.channels)).toEqual(['email', 'slack', 'pagerduty']);
    expect(resolved.alerting.routing).toHaveLength(4);
    expect(resolved.alerting.routing.at(-1)?.condition).toBe("labels.foreign == 'true'");
    expect(resolved.alerting.suppression).toHaveLength(2);
    expect(resolved.dashboards.map((d) => d.title)).toEqual(['MAIF System Overview', 'MAIF Application Performance']);
  });

  it("keeps the example configuration's PromQL targets verbatim", () => {
    const { dashboards } = resolveConfig(example, 'prod');
    const exprs = dashboards.flatMap((d) => d.panels.flatMap((p) => p.targets.map((t) => t.expr)));

    expect(exprs).toContain("rate(http_requests_total{status=~'5..'}[5m]) / rate(http_requests_total[5m])");
    expect(exprs).toContain('cache_hits / (cache_hits + cache_misses)');
    expect(exprs).toHaveLength(10);
  });

  it('yields the bundled configurations of the log aggregator and the health probe as they are', () => {
    const { logging, healthChecks } = resolveConfig(example, 'prod');

    // Typed assignments: tsc checks that the resolved shapes are the handlers' contracts.
    const aggregator: LogAggregatorConfig = {
      rules: logging.processingRules,
      lookupTables: logging.lookupTables,
      sources: logging.sources,
    };
    const probe: HealthProbeConfig = { targets: healthChecks.targets };

    expect(aggregator.rules[0]).toEqual({
      name: 'enrich_user_context',
      condition: 'user_id exists',
      action: 'enrich',
      field: 'user_id',
      table: 'users',
      target: 'user',
    });
    expect(probe.targets.map((t) => t.name)).toEqual(['api', 'search-fn']);
  });

  it('applies the environment overrides over the base', () => {
    const dev = resolveConfig(example, 'dev');
    const prod = resolveConfig(example, 'prod');

    expect(dev.logging.level).toBe('DEBUG');
    expect(dev.logging.retentionDays).toBe(7);
    expect(dev.tracing.sampling).toEqual({ default: 1, high_priority: 1, background_tasks: 0.01 });
    expect(prod.logging.level).toBe('INFO');
    expect(prod.logging.retentionDays).toBe(90);
    expect(prod.lambda.memoryMb).toBe(512);
  });
});

describe('resolveConfig', () => {
  it('applies the defaults to a configuration that only names the service', () => {
    const resolved = resolveConfig(minimal(), 'dev');

    expect(resolved.lambda).toEqual({ runtime: 'nodejs24.x', architecture: 'arm64', memoryMb: 256 });
    expect(resolved.logging).toMatchObject({
      level: 'INFO',
      retention: '30d',
      retentionDays: 30,
      debugSampleRate: 0.01,
    });
    expect(resolved.metrics.cardinality).toEqual({ maxSeriesPerMetric: 10_000, cardinalityWarningThreshold: 5_000 });
    expect(resolved.metrics.system.cpu.utilization).toBe(true);
    expect(resolved.tracing.sampling).toEqual({ default: 0.1 });
    expect(resolved.tracing.performance.thresholds).toEqual({
      slow_operation: '1s',
      memory_spike: '100MB',
      high_cpu: '80%',
      io_bottleneck: '100ms',
    });
    expect(resolved.alerting.grouping).toEqual({
      group_by: ['service', 'severity'],
      group_wait: '30s',
      group_interval: '5m',
      repeat_interval: '4h',
    });
    expect(resolved.healthChecks).toEqual({ schedule: '1m', targets: [] });
  });

  it('applies defaults inside list items', () => {
    const resolved = resolveConfig(
      minimal({ healthChecks: { targets: [{ name: 'api', type: 'https', url: 'https://api.example.com/health' }] } }),
      'dev',
    );

    expect(resolved.healthChecks.targets[0]).toEqual({
      name: 'api',
      type: 'https',
      url: 'https://api.example.com/health',
      timeout: '5s',
    });
  });

  it('lets an environment replace a list rather than merge into it', () => {
    const config = minimal({ logging: { redact: ['a', 'b', 'c'] } }, { logging: { redact: ['z'] } });

    expect(resolveConfig(config, 'dev').logging.redact).toEqual(['z']);
  });

  it('carries the account and region of the environment', () => {
    const resolved = resolveConfig(minimal({}, { account: '123456789012', region: 'eu-west-3' }), 'dev');

    expect(resolved).toMatchObject({ environment: 'dev', account: '123456789012', region: 'eu-west-3' });
  });

  it('returns what defineConfig is given', () => {
    const config = minimal();

    expect(defineConfig(config)).toBe(config);
  });
});

describe('validation messages', () => {
  it('rejects an unknown environment and lists the known ones', () => {
    expect(problemsOf(example, 'qa')).toEqual([
      "env: 'qa' is not an environment of this configuration (allowed: dev, staging, prod)",
    ]);
  });

  it('rejects a value of the wrong type', () => {
    expect(problemsOf(minimal({ lambda: { memoryMb: '256' } }))).toEqual([
      "lambda.memoryMb: '256' is not an integer from 128 to 10240",
    ]);
  });

  it('rejects an unknown key and lists the allowed keys', () => {
    expect(problemsOf(minimal({ lambda: { memory: 256 } }))).toEqual([
      "lambda: 'memory' is not an allowed key (allowed: runtime, architecture, memoryMb)",
    ]);
  });

  it('rejects a value outside an enumeration', () => {
    expect(problemsOf(minimal({ logging: { level: 'VERBOSE' } }))).toEqual([
      "logging.level: 'VERBOSE' is not one of 'DEBUG', 'INFO', 'WARN', 'ERROR', 'CRITICAL', 'SILENT'",
    ]);
  });

  it('rejects a malformed duration', () => {
    const rules = [0, 1, 2].map((i) => ({
      name: `r${i}`,
      condition: 'up == 0',
      severity: 'info',
      duration: i === 2 ? '10x' : '5m',
    }));

    expect(problemsOf(minimal({ alerting: { rules } }))).toEqual([
      "alerting.rules[2].duration: '10x' is not a duration (use 30s, 5m, 1h)",
    ]);
  });

  it('rejects a retention CloudWatch does not offer', () => {
    expect(problemsOf(minimal({ logging: { retention: '45d' } }))[0]).toMatch(
      /^logging\.retention: '45d' is not a CloudWatch retention \(allowed: 1d, 3d, 5d, 1w, 2w, 1mo, /,
    );
  });

  it('rejects a malformed size and a malformed percentage', () => {
    const thresholds = { memory_spike: '100 megs', high_cpu: '0.8' };

    expect(problemsOf(minimal({ tracing: { performance: { thresholds } } }))).toEqual([
      "tracing.performance.thresholds.memory_spike: '100 megs' is not a size (use 512KB, 100MB, 1GB)",
      "tracing.performance.thresholds.high_cpu: '0.8' is not a percentage (use 80%, 99.9%)",
    ]);
  });

  it('rejects a sampling rate outside 0..1', () => {
    expect(problemsOf(minimal({ tracing: { sampling: { default: 0.1, high_priority: 10 } } }))).toEqual([
      'tracing.sampling.high_priority: 10 is not a sampling rate between 0 and 1',
    ]);
  });

  it('rejects a condition that is not a valid expression and says where it fails', () => {
    const rule = { name: 'detect_errors', condition: "level = 'ERROR'", action: 'drop' };

    expect(problemsOf(minimal({ logging: { processingRules: [rule] } }))).toEqual([
      `logging.processingRules[0].condition: "level = 'ERROR'" is not a valid expression (at 7 expected an operator (==, !=, <, <=, >, >=, =~, in, contains, exists, not exists, and, or) but found '=')`,
    ]);
  });

  it('rejects an empty alert rule condition', () => {
    const rule = { name: 'r', condition: '  ', severity: 'warning' };

    expect(problemsOf(minimal({ alerting: { rules: [rule] } }))).toEqual([
      "alerting.rules[0].condition: '  ' is not a non-empty string",
    ]);
  });

  it('rejects a processing rule with an unknown action and lists the actions', () => {
    const rule = { name: 'enrich_user_context', condition: 'user_id exists', action: 'lookup_user_metadata' };

    expect(problemsOf(minimal({ logging: { processingRules: [rule] } }))).toEqual([
      "logging.processingRules[0].action: 'lookup_user_metadata' is not one of 'enrich', 'trigger_alert', 'extract_metric', 'drop'",
    ]);
  });

  it('rejects an enrich rule whose table is not a lookup table', () => {
    const rule = { name: 'e', condition: 'user_id exists', action: 'enrich', field: 'user_id', table: 'accounts' };
    const logging = { processingRules: [rule], lookupTables: { users: {} } };

    expect(problemsOf(minimal({ logging }))).toEqual([
      "logging.processingRules[0].table: 'accounts' is not a table of logging.lookupTables (allowed: users)",
    ]);
  });

  it('rejects a routing rule that notifies a channel not configured', () => {
    const alerting = {
      channels: { email: { recipients: ['ops@example.com'] } },
      routing: [{ condition: "severity == 'critical'", actions: [{ type: 'notify', channels: ['email', 'sms'] }] }],
    };

    expect(problemsOf(minimal({ alerting }))).toEqual([
      "alerting.routing[0].actions[0].channels[1]: 'sms' is not a channel of alerting.channels (allowed: email)",
    ]);
  });

  it('rejects a Slack webhook URL and asks for a Secrets Manager secret without repeating it', () => {
    const hook = 'https://hooks.slack.com/services/T0000/B0000/abcdefghijklmnop';
    const problems = problemsOf(
      minimal({ alerting: { channels: { slack: { channel: '#alerts', webhookSecret: hook } } } }),
    );

    expect(problems).toEqual([
      "alerting.channels.slack.webhookSecret: 'https://hooks.slack.com/...' is not allowed here: it is a secret value (store the webhook URL in Secrets Manager and name the secret, e.g. alerting.channels.slack.webhookSecret: 'maif/slack-webhook')",
    ]);
    expect(problems.join('\n')).not.toContain('abcdefghijklmnop');
  });

  it('rejects a PagerDuty key and asks for a Secrets Manager secret without repeating it', () => {
    const key = 'e93facc04764012d7bfb002500d5d1a6';
    const problems = problemsOf(minimal({ alerting: { channels: { pagerduty: { routingKeySecret: key } } } }));

    expect(problems).toEqual([
      "alerting.channels.pagerduty.routingKeySecret: 'e93f...' (32 characters) is not allowed here: it looks like a PagerDuty key, a secret value (store it in Secrets Manager and name the secret, e.g. alerting.channels.pagerduty.routingKeySecret: 'maif/pagerduty')",
    ]);
    expect(problems.join('\n')).not.toContain(key);
  });

  it("rejects channel settings that carry secrets under the MAIF monitoring guide's names", () => {
    const slack = { webhook_url: 'https://hooks.slack.com/services/x', channel: '#alerts' };

    expect(problemsOf(minimal({ alerting: { channels: { slack } } }))).toEqual([
      'alerting.channels.slack.webhookSecret: undefined is not a Secrets Manager secret name (e.g. maif/slack-webhook)',
      "alerting.channels.slack: 'webhook_url' is not an allowed key (allowed: channel, webhookSecret, template)",
      "alerting.channels.slack.webhook_url: 'https://hooks.slack.com/...' is not allowed here: it is a secret value (store the webhook URL in Secrets Manager and name the secret, e.g. alerting.channels.slack.webhookSecret: 'maif/slack-webhook')",
    ]);
  });

  it('rejects two alert rules with the same name', () => {
    const rules = [
      { name: 'system_down', condition: 'up == 0', severity: 'critical' },
      { name: 'system_down', condition: 'up == 0', severity: 'warning' },
    ];

    expect(problemsOf(minimal({ alerting: { rules } }))).toEqual([
      "alerting.rules[1].name: 'system_down' is not unique (already used by alerting.rules[0].name)",
    ]);
  });

  it('rejects a health check over plain http', () => {
    const targets = [{ name: 'api', type: 'https', url: 'http://api.example.com/health' }];

    expect(problemsOf(minimal({ healthChecks: { targets } }))).toEqual([
      "healthChecks.targets[0].url: 'http://api.example.com/health' is not a URL (https://...)",
    ]);
  });

  it('rejects a probe timeout longer than the probe can wait', () => {
    const targets = [{ name: 'fn', type: 'lambda', functionName: 'maif-search', timeout: '2m' }];

    expect(problemsOf(minimal({ healthChecks: { schedule: '5m', targets } }))).toEqual([
      "healthChecks.targets[0].timeout: '2m' is not a probe timeout (more than 0 and at most 30s: the probe's own limit and the schedule)",
    ]);
  });

  it('rejects a schedule EventBridge cannot run', () => {
    expect(problemsOf(minimal({ healthChecks: { schedule: '30s' } }))).toEqual([
      "healthChecks.schedule: '30s' is not a schedule EventBridge accepts (whole minutes, at least 1m)",
    ]);
  });

  it('rejects a cardinality warning above the limit', () => {
    const cardinality = { maxSeriesPerMetric: 1000, cardinalityWarningThreshold: 5000 };

    expect(problemsOf(minimal({ metrics: { cardinality } }))).toEqual([
      'metrics.cardinality.cardinalityWarningThreshold: 5000 is not at most metrics.cardinality.maxSeriesPerMetric (1000)',
    ]);
  });

  it('rejects a latency SLO without its threshold', () => {
    const slos = [{ name: 'latency', sli: 'latency', objective: '99%' }];

    expect(problemsOf(minimal({ alerting: { slos } }))).toEqual([
      'alerting.slos[0].latencyThreshold: undefined is not a duration (a latency SLO needs latencyThreshold, e.g. 2s)',
    ]);
  });

  it('rejects a malformed account id of the environment', () => {
    expect(problemsOf(minimal({}, { account: '1234' }))).toEqual([
      "environments.dev.account: '1234' is not an AWS account id (12 digits)",
    ]);
  });

  it('names the environment when the faulty value comes from its overrides', () => {
    const config = minimal({ logging: { retention: '30d' } }, { logging: { retention: '45d', levle: 'DEBUG' } });
    const problems = problemsOf(config);

    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(/^environments\.dev\.logging\.retention: '45d' is not a CloudWatch retention/);
    expect(problems[1]).toMatch(/^environments\.dev\.logging: 'levle' is not an allowed key \(allowed: level, /);
  });

  it('reports each unknown key on its own line, under the environment that added it', () => {
    const config = minimal({ lambda: { memory: 256 } }, { lambda: { arch: 'arm64' }, environments: {} });

    expect(problemsOf(config)).toEqual([
      "environments.dev: 'environments' is not an allowed key in an environment's overrides",
      "lambda: 'memory' is not an allowed key (allowed: runtime, architecture, memoryMb)",
      "environments.dev.lambda: 'arch' is not an allowed key (allowed: runtime, architecture, memoryMb)",
    ]);
  });

  it('lists every problem, one per line, none ending with a period', () => {
    const config = minimal({
      service: 'MAIF Service',
      logging: { level: 'LOUD', retention: '45d' },
      alerting: { rules: [{ name: 'r', condition: '', duration: '10x', severity: 'high' }] },
    });
    const problems = problemsOf(config);

    expect(problems.map((p) => p.split(':')[0])).toEqual([
      'service',
      'logging.level',
      'logging.retention',
      'alerting.rules[0].condition',
      'alerting.rules[0].duration',
      'alerting.rules[0].severity',
    ]);
    for (const p of problems) expect(p).not.toMatch(/\.$/);
  });

  it('reports a missing required field as undefined', () => {
    expect(problemsOf({ namespace: 'MAIF', environments: { dev: {} } } as unknown as ObservabilityConfig)).toEqual([
      'service: undefined is not a service name (lowercase letters, digits and -)',
    ]);
  });
});

describe('deepMerge', () => {
  const json = fc.jsonValue();

  it('returns the base when the override is undefined, and the override when either is not an object', () => {
    fc.assert(
      fc.property(json, fc.oneof(fc.string(), fc.integer(), fc.array(fc.integer()), fc.boolean()), (base, scalar) => {
        expect(deepMerge(base, undefined)).toEqual(base);
        expect(deepMerge(base, scalar)).toEqual(scalar);
      }),
    );
  });

  it('keeps every key of both objects, the override winning on leaves', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.integer()), fc.dictionary(fc.string(), fc.integer()), (a, b) => {
        expect(deepMerge(a, b)).toEqual({ ...a, ...b });
      }),
    );
  });
});
