import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { resolveConfig } from '../../domain/config';
import { decodeAlarmDescription } from '../../domain/contracts/alarm-spec';
import { replay } from '../../domain/evaluator/evaluator';
import { compileContext } from '../../domain/rules/compile';
import { compileSlo } from '../../domain/rules/slo';
import { AlertAlarms } from '../../lib/alerting/alarms';
import { errorBudgetWidgets } from '../../lib/alerting/slo-widgets';
import exampleConfig from '../../observability.config';
import { errorBurstStore } from '../private/error-burst';
import { resourcesOf } from './helpers';

const base = resolveConfig(exampleConfig, 'prod');
const slos = [
  { name: 'availability', description: '', sli: 'availability' as const, objective: '99.9%', window: '30d' },
  {
    name: 'latency',
    description: 'Requests under 300 ms',
    sli: 'latency' as const,
    objective: '99%',
    window: '30d',
    latencyThreshold: '300ms',
  },
];
const config = { ...base, alerting: { ...base.alerting, slos } };
const ctx = compileContext(config);

function synth(): Template {
  const stack = new Stack(new App(), 'Slo');
  new AlertAlarms(stack, 'AlertAlarms', { config });
  return Template.fromStack(stack);
}

describe('SLO burn-rate alarms', () => {
  const template = synth();

  it('compiles each SLO to 8 burn-rate alarms and a page and a ticket composite', () => {
    const { specs, composites } = compileSlo(slos[0], ctx);
    expect(specs.map((s) => [s.ruleName, s.period, s.threshold])).toEqual([
      ['availability_burn14.4x_1h', 3600, 0.0144],
      ['availability_burn14.4x_5m', 300, 0.0144],
      ['availability_burn6x_6h', 21600, 0.006],
      ['availability_burn6x_30m', 1800, 0.006],
      ['availability_burn3x_1d', 86400, 0.003],
      ['availability_burn3x_2h', 7200, 0.003],
      ['availability_burn1x_3d', 259200, 0.001],
      ['availability_burn1x_6h', 21600, 0.001],
    ]);
    expect(composites.map((c) => [c.ruleName, c.severity])).toEqual([
      ['availability_slo_page', 'critical'],
      ['availability_slo_ticket', 'warning'],
    ]);
  });

  it('alarms on the error ratio of availability SLOs over each window', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'maif-prod-availability_burn14.4x_5m',
      ComparisonOperator: 'GreaterThanThreshold',
      Threshold: 0.0144,
      EvaluationPeriods: 1,
      DatapointsToAlarm: 1,
      TreatMissingData: 'notBreaching',
      Metrics: [
        Match.objectLike({
          Id: 'm1',
          MetricStat: Match.objectLike({
            Period: 300,
            Stat: 'Sum',
            Metric: Match.objectLike({ MetricName: 'http_request_errors_total' }),
          }),
        }),
        Match.objectLike({
          Id: 'm2',
          MetricStat: Match.objectLike({
            Period: 300,
            Stat: 'Sum',
            Metric: Match.objectLike({ MetricName: 'http_requests_total' }),
          }),
        }),
        Match.objectLike({ Id: 'e1', Expression: 'FILL(m1, 0) / m2', ReturnData: true }),
      ],
    });
  });

  it("alarms on latency SLOs with CloudWatch's percentile rank of the duration distribution", () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'maif-prod-latency_burn6x_6h',
      Threshold: 0.06,
      Metrics: [
        Match.objectLike({
          Id: 'm1',
          MetricStat: Match.objectLike({
            Period: 21600,
            Stat: 'PR(:0.3)',
            Metric: Match.objectLike({ MetricName: 'http_request_duration_seconds' }),
          }),
        }),
        Match.objectLike({ Id: 'e1', Expression: '(100 - m1) / 100' }),
      ],
    });
  });

  it('combines the long and short windows of each pair in composite alarms', () => {
    template.hasResourceProperties('AWS::CloudWatch::CompositeAlarm', {
      AlarmName: 'maif-prod-availability_slo_page',
      ActionsEnabled: true,
      AlarmRule:
        '(ALARM("maif-prod-availability_burn14.4x_1h") AND ALARM("maif-prod-availability_burn14.4x_5m")) OR (ALARM("maif-prod-availability_burn6x_6h") AND ALARM("maif-prod-availability_burn6x_30m"))',
    });
    template.hasResourceProperties('AWS::CloudWatch::CompositeAlarm', {
      AlarmName: 'maif-prod-latency_slo_ticket',
      AlarmRule:
        '(ALARM("maif-prod-latency_burn3x_1d") AND ALARM("maif-prod-latency_burn3x_2h")) OR (ALARM("maif-prod-latency_burn1x_3d") AND ALARM("maif-prod-latency_burn1x_6h"))',
    });
    template.resourceCountIs('AWS::CloudWatch::CompositeAlarm', 4);
  });

  it('creates each composite alarm after its component alarms', () => {
    const composites = resourcesOf(template, 'AWS::CloudWatch::CompositeAlarm');
    const all = template.toJSON().Resources as Record<string, { DependsOn?: string[] }>;
    const page = Object.keys(composites).find((k) => k.includes('availabilityslopage')) as string;
    expect(all[page].DependsOn).toHaveLength(4);
  });

  it('marks burn-rate components so the pipeline pages on the composites only', () => {
    const { specs, composites } = compileSlo(slos[1], ctx);
    expect(decodeAlarmDescription(specs[0].description)).toMatchObject({
      severity: 'info',
      labels: { slo: 'latency', role: 'component', burn_rate: '14.4', window: '1h' },
    });
    expect(decodeAlarmDescription(composites[0].description)).toMatchObject({
      rule: 'latency_slo_page',
      severity: 'critical',
      labels: { slo: 'latency', alert: 'page' },
    });
  });

  it('drops burn windows longer than the SLO window', () => {
    const { specs, composites } = compileSlo({ ...slos[0], window: '1d' }, ctx);
    expect(specs.map((s) => s.ruleName)).not.toContain('availability_burn1x_3d');
    expect(composites[1].alarmRule).toBe(
      '(ALARM("maif-prod-availability_burn3x_1d") AND ALARM("maif-prod-availability_burn3x_2h"))',
    );
  });

  it('rejects a latency SLO without a threshold and an objective of 100%', () => {
    expect(() => compileSlo({ ...slos[1], latencyThreshold: undefined }, ctx)).toThrow(
      "alert rule 'latency': SLO: 'latency' is a latency SLO and needs latencyThreshold (e.g. '300ms')",
    );
    expect(() => compileSlo({ ...slos[0], objective: '100%' }, ctx)).toThrow(
      "alert rule 'availability': SLO: objective '100%' is not between 0% and 100% (exclusive)",
    );
  });

  it('renders error-budget widgets that read the budget left and the burn rate', () => {
    const stack = new Stack(new App(), 'Widgets');
    const widgets = errorBudgetWidgets(slos, ctx);
    const body = JSON.stringify(stack.resolve(widgets.map((w) => w.toJson())));
    expect(body).toContain('100 * (1 - (FILL(m1, 0) / m2) / 0.001)');
    expect(body).toContain('((100 - m1) / 100) / 0.01');
    expect(body).toContain('"setPeriodToTimeRange":true');
    expect(body).toContain('"value":14.4');
  });
});

describe('SLO burn-rate alarms once the errors stop', () => {
  it('the short window returns to OK within its window: a period with requests and no error is a 0 bad fraction', () => {
    const { specs } = compileSlo(slos[0], ctx);
    const short = specs.find((s) => s.ruleName === 'availability_burn6x_30m');
    if (!short) throw new Error('no availability_burn6x_30m alarm');
    const t0 = Date.UTC(2026, 0, 1);
    const MIN = 60_000;
    const store = errorBurstStore({
      namespace: ctx.namespace,
      dimensions: short.metrics[0].dimensions,
      start: t0,
      minutes: 150,
      requestsPerMinute: 100,
      errorsPerMinute: 10,
      errorMinutes: [10, 30],
    });

    const { transitions } = replay(short, store, t0 + MIN, t0 + 150 * MIN, MIN);

    expect(transitions.map((t) => t.to)).toEqual(['OK', 'ALARM', 'OK']);
    // without FILL, the newest period would be missing and the alarm would read the burst's period
    // (the N most recent existing datapoints of its 3-period range) for up to 90 minutes
    const [, fired, cleared] = transitions;
    expect((fired.time - t0) / MIN).toBeGreaterThan(10);
    expect((fired.time - t0) / MIN).toBeLessThanOrEqual(12);
    expect((cleared.time - t0) / MIN).toBeGreaterThan(30);
    expect((cleared.time - t0) / MIN).toBeLessThanOrEqual(61);
  });
});
