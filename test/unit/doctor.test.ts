import { join } from 'node:path';
import {
  APPLICATION_METRICS,
  BUSINESS_METRICS,
  type ObservabilityConfig,
  resolveConfig,
  SYSTEM_METRICS,
} from '../../domain/config';
import { loadConfig } from '../../domain/config/load';
import { metricsMonthlyUsd } from '../../domain/doctor/cost';
import { runDoctor } from '../../domain/doctor/doctor';
import { emittedMetrics } from '../../domain/doctor/emitted';
import { FINDING_IDS, type Finding } from '../../domain/doctor/findings';
import { alarmSubjects } from '../../domain/doctor/signals';
import { TCP_STATES } from '../../layers/instrumentation/catalog';
import { cli, runMain } from '../private/cli';

const ROOT = join(__dirname, '..', '..');
const BAD = 'test/fixtures/doctor-bad.config.ts';

async function doctor(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const { code, out, err } = await runMain(['doctor', ...args]);
  return { code, out: out.join('\n'), err: err.join('\n') };
}

const triples = (findings: readonly Finding[]) => findings.map((f) => [f.id, f.severity, f.subject]);

/** Every setting of a metric group table (SYSTEM_METRICS, APPLICATION_METRICS, ...) switched off. */
function allOff(table: Readonly<Record<string, readonly string[]>>): Record<string, Record<string, boolean>> {
  return Object.fromEntries(
    Object.entries(table).map(([g, keys]) => [g, Object.fromEntries(keys.map((k) => [k, false]))]),
  );
}

/** A small configuration whose cost is worked out by hand below. */
function tinyConfig(overrides: Partial<ObservabilityConfig> = {}): ObservabilityConfig {
  const panel = (title: string) => ({
    title,
    panels: [{ title: 'Orders', type: 'graph' as const, targets: [{ expr: 'rate(orders_total[5m])' }] }],
  });
  return {
    service: 'tiny',
    namespace: 'Tiny',
    environments: { prod: {} },
    metrics: {
      application: allOff(APPLICATION_METRICS),
      system: allOff(SYSTEM_METRICS),
      business: allOff(BUSINESS_METRICS),
      custom: [
        { name: 'orders_total', kind: 'counter' },
        { name: 'failed_orders_total', kind: 'counter' },
        { name: 'checkout_seconds', kind: 'histogram', unit: 'Seconds', labels: ['route', 'status_class'] },
      ],
      cardinality: { maxSeriesPerMetric: 100, cardinalityWarningThreshold: 50 },
    },
    tracing: { performance: { detailedTiming: false } },
    dashboards: [panel('One'), panel('Two'), panel('Three'), panel('Four')],
    realtime: { alerts: [{ metric: 'orders_total', threshold: 100, condition: 'greater_than', action: 'page' }] },
    alerting: {
      rules: [
        {
          name: 'many_orders',
          condition: 'orders_total > 10',
          severity: 'warning',
          runbook: 'https://r.example.com/a',
        },
        {
          name: 'slow_checkout',
          condition: 'anomaly(p95(checkout_seconds)) outside 2 bands above',
          duration: '15m',
          severity: 'warning',
          runbook: 'https://r.example.com/b',
        },
        {
          name: 'failing_orders',
          condition: 'failed_orders_total / orders_total > 5%',
          severity: 'warning',
          runbook: 'https://r.example.com/c',
        },
      ],
      slos: [{ name: 'availability', sli: 'availability', objective: '99.9%' }],
    },
    ...overrides,
  };
}

describe('maif-obs doctor', () => {
  it('finds no error in the example configuration, in any environment', async () => {
    for (const env of ['dev', 'staging', 'prod']) {
      const report = runDoctor(loadConfig('observability.config.ts', env, ROOT));
      expect(report.findings.filter((f) => f.severity === 'error')).toEqual([]);
    }
    const { code, out } = await doctor([]);
    expect(code).toBe(0);
    expect(out).toMatch(/^summary: 0 errors, /m);
  });

  it('finds each planted problem of the bad configuration, and nothing else', () => {
    const report = runDoctor(loadConfig(BAD, undefined, ROOT));
    expect(triples(report.findings)).toEqual([
      ['golden-signal-missing', 'error', 'golden signal errors'],
      ['high-cardinality-label', 'error', 'metrics.custom[0] (checkouts_total) labels'],
      ['high-cardinality-label', 'error', 'logging.processingRules[0] (count_requests) dimensions'],
      ['critical-without-escalation', 'error', 'alerting.escalation'],
      ['critical-without-escalation', 'error', 'alerting.rules[0] (cpu_hot)'],
      ['golden-signal-missing', 'warning', 'golden signal latency'],
      ['golden-signal-missing', 'warning', 'golden signal latency'],
      ['golden-signal-missing', 'warning', 'golden signal traffic'],
      ['high-cardinality-label', 'warning', 'metrics.custom[1] (carts_open) labels'],
      ['timing-not-histogram', 'warning', 'metrics.custom[2] (checkout_duration_seconds)'],
      ['timing-not-histogram', 'warning', 'metrics.custom[3] (payment_latency_ms)'],
      ['alert-without-runbook', 'warning', 'alerting.rules[0] (cpu_hot)'],
      ['no-slo', 'warning', 'alerting.slos'],
      ['alert-on-cause', 'warning', 'alerting.rules[0] (cpu_hot)'],
      ['alert-on-unemitted-metric', 'warning', 'alerting.rules[0] (cpu_hot)'],
    ]);
    const planted = FINDING_IDS.filter((id) => id !== 'config-does-not-compile');
    expect(new Set(report.findings.map((f) => f.id))).toEqual(new Set(planted));
    for (const f of report.findings) expect(f.fix).not.toBe('');
    expect(report.findings.find((f) => f.subject === 'golden signal latency')?.message).toMatch(/no dashboard panel/);
  });

  it('prints the findings grouped by severity with their fix, then the cost, and exits 1 on errors', async () => {
    const { code, out } = await doctor(['--config', BAD]);
    expect(code).toBe(1);
    const errors = out.indexOf('ERRORS (5)');
    const warnings = out.indexOf('WARNINGS (10)');
    const cost = out.indexOf('Estimated CloudWatch cost per month, environment prod');
    expect(errors).toBeGreaterThan(0);
    expect(warnings).toBeGreaterThan(errors);
    expect(cost).toBeGreaterThan(warnings);
    expect(out).toContain("  [high-cardinality-label] metrics.custom[0] (checkouts_total) labels: label 'user_id'");
    expect(out).toMatch(/\n {6}fix: remove 'user_id' from labels/);
    expect(out).toContain('$0.30 up to 10,000, $0.10 up to 250,000');
    expect(out).toContain(
      "  [alert-on-unemitted-metric] alerting.rules[0] (cpu_hot): alert rule 'cpu_hot': cpu_utilization is emitted by nothing in this deployment, so its alarm can never fire",
    );
    expect(out).toMatch(/summary: 5 errors, 10 warnings, 0 infos \(exit code 1\)$/);
  });

  it('reports a rule over a metric nothing emits with the fix synth gives, and not once the functions sample it', () => {
    const disk = { name: 'disk_full', condition: 'disk_usage > 90%', severity: 'warning' as const };
    const rules = (r: typeof disk) => ({ ...tinyConfig().alerting, rules: [r] });
    const unemitted = (config: ObservabilityConfig) =>
      runDoctor(resolveConfig(config, 'prod')).findings.filter((f) => f.id === 'alert-on-unemitted-metric');
    expect(unemitted(tinyConfig({ alerting: rules(disk) }))).toEqual([
      {
        id: 'alert-on-unemitted-metric',
        severity: 'warning',
        subject: 'alerting.rules[0] (disk_full)',
        message:
          "alert rule 'disk_full': disk_usage is emitted by nothing in this deployment, so its alarm can never fire",
        fix: "turn on metrics.system.lambda so instrumented functions sample disk_usage, or set target: 'hosts' if hosts running the SystemMonitor or the CloudWatch agent emit it",
      },
    ]);
    const sampled = tinyConfig({ alerting: rules(disk) });
    sampled.metrics = { ...sampled.metrics, system: { ...sampled.metrics?.system, lambda: true } };
    expect(unemitted(sampled)).toEqual([]);
  });

  it('prints { findings, cost, summary } as JSON with --json, from the real command line', () => {
    const result = cli(['doctor', '--config', BAD, '--json']);
    expect(result.status).toBe(1);
    const json = JSON.parse(result.stdout);
    expect(json.summary).toEqual({ errors: 5, warnings: 10, infos: 0 });
    expect(json.findings).toHaveLength(15);
    expect(json.findings[0]).toEqual({
      id: 'golden-signal-missing',
      severity: 'error',
      subject: 'golden signal errors',
      message: expect.stringContaining('errors'),
      fix: expect.stringContaining('error_rate'),
    });
    // user_id and request_id are priced at the cardinality limit (10,000 series each, plus the rollup).
    expect(json.cost.metrics.largest.slice(0, 2)).toEqual([
      { name: 'checkouts_total', cloudWatchMetrics: 10_001 },
      { name: 'log_lines_total', cloudWatchMetrics: 10_001 },
    ]);
  });

  it('prices a small configuration as worked out by hand', () => {
    const report = runDoctor(resolveConfig(tinyConfig(), 'prod'), { assumedLabelValues: 2 });
    // Metrics (label values: 2 assumed; status_class 3; outcome of maif_obs_log_events_total 3):
    //   kit: cold_starts_total{function_name} 1+2, maif_obs_dropped_series_total{metric} 1+2,
    //        maif_obs_dropped_observations_total{reason} 1+2, maif_obs_log_events_total{outcome} 1+3,
    //        maif_obs_alert_events_total{outcome} 1+2, heartbeat_received 1            = 17
    //   custom: orders_total 1, failed_orders_total 1, checkout_seconds{route,status_class} 1+2*3 = 9
    //   26 metrics x $0.30 = $7.80
    expect(report.cost.metrics.quantity).toBe(26);
    expect(report.cost.metrics.monthlyUsd).toBe(7.8);
    // Worst case at maxSeriesPerMetric 100: 6 labeled x 101 + 3 unlabeled = 609 -> $182.70.
    expect(report.cost.metrics.worstCaseQuantity).toBe(609);
    expect(report.cost.metrics.worstCaseMonthlyUsd).toBe(182.7);
    // Standard alarm metrics: many_orders 1, slow_checkout anomaly 1+2, failing_orders math 2,
    // the availability SLO's 8 burn-rate alarms x 2 metrics = 16: 22 x $0.10 = $2.20.
    expect(report.cost.alarms.standard).toEqual({ quantity: 22, monthlyUsd: 2.2 });
    // The real-time alert on orders_total, 10 s period: 1 x $0.30.
    expect(report.cost.alarms.highResolution).toEqual({ quantity: 1, monthlyUsd: 0.3 });
    // The SLO's page and ticket composites: 2 x $0.50.
    expect(report.cost.alarms.composite).toEqual({ quantity: 2, monthlyUsd: 1 });
    // 4 dashboards, 3 free: $3.00.
    expect(report.cost.dashboards).toEqual({ quantity: 4, free: 3, monthlyUsd: 3 });
    expect(report.cost.totalMonthlyUsd).toBe(14.3);
  });

  it('prices custom metrics by tier', () => {
    expect(metricsMonthlyUsd(0)).toBe(0);
    expect(metricsMonthlyUsd(10_000)).toBe(3000);
    expect(metricsMonthlyUsd(10_001)).toBe(3000.1);
    expect(metricsMonthlyUsd(250_000)).toBe(3000 + 24_000);
    expect(metricsMonthlyUsd(1_000_001)).toBe(3000 + 24_000 + 37_500 + 0.02);
  });

  it('knows the range of the labels the kit fills itself', () => {
    const config = loadConfig('observability.config.ts', 'prod', ROOT);
    const byName = new Map(emittedMetrics(config).map((m) => [m.name, m]));
    expect(byName.get('network_connections')?.labelValues).toEqual([
      { label: 'state', values: TCP_STATES.length, assumed: false, basis: 'network_connections.state' },
    ]);
    expect(byName.get('up')?.labelValues[0]?.values).toBe(config.healthChecks.targets.length);
    expect(byName.get('http_request_duration_seconds')?.labelValues).toEqual([
      { label: 'operation', values: 5, assumed: true },
    ]);
  });

  it('reads a metric used only as a divisor as context, not as what an alarm is about', () => {
    const ref = (id: string, metricName: string) => ({
      id,
      namespace: 'N',
      metricName,
      dimensions: {},
      stat: 'Sum' as const,
      period: 60,
    });
    const subjects = (expression: string) =>
      alarmSubjects({ metrics: [ref('m1', 'a'), ref('m2', 'b')], expression: { id: 'e1', expression } }).map(
        (m) => m.metricName,
      );
    expect(subjects('100 * m1 / m2')).toEqual(['a']);
    expect(subjects('m1 / FILL(m2, 0.1)')).toEqual(['a']);
    expect(subjects('m1 / PERIOD(m1) + m2')).toEqual(['a', 'b']);
    expect(subjects('(100 - m1) / 100 + ABS(m2)')).toEqual(['a', 'b']);
    // The whole divisor is context, a sum too (cache_hits / (cache_hits + cache_misses)).
    expect(subjects('m1 / (m1 + m2)')).toEqual(['a']);
    expect(alarmSubjects({ metrics: [ref('m1', 'a')] }).map((m) => m.metricName)).toEqual(['a']);
  });

  it('routes critical alerts with the router and says when they do not escalate', () => {
    const config = tinyConfig();
    const report = runDoctor(
      resolveConfig(
        {
          ...config,
          alerting: {
            ...config.alerting,
            channels: { slack: { channel: '#a', webhookSecret: 'tiny/slack' } },
            escalationTargets: { lead: { channels: ['slack'] } },
            routing: [
              {
                condition: "severity == 'critical' and business_hours == true",
                actions: [
                  { type: 'notify', channels: ['slack'] },
                  { type: 'escalate', delay: '15m', to: 'lead' },
                ],
              },
              { condition: "severity == 'critical'", actions: [{ type: 'notify', channels: ['slack'] }] },
            ],
          },
        },
        'prod',
      ),
    );
    const escalation = report.findings.filter((f) => f.id === 'critical-without-escalation');
    // The SLO's page composite is the one critical alert.
    expect(escalation.map((f) => f.subject)).toEqual(['alerting.slos[0] (availability)']);
    expect(escalation[0]?.message).toBe(
      "critical alert 'availability_slo_page' does not escalate: outside business hours alerting.routing[1] notifies without an escalate action",
    );
  });

  it('rejects a bad --label-values on one line naming the option', async () => {
    const { code, err, out } = await doctor(['--label-values', '0']);
    expect(code).toBe(1);
    expect(out).toBe('');
    expect(err).toBe("maif-obs doctor: --label-values: '0' is not an integer from 1 to 1000000");
  });
});
