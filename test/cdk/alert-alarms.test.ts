import { App, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as sns from 'aws-cdk-lib/aws-sns';
import { resolveConfig } from '../../domain/config';
import { decodeAlarmDescription } from '../../domain/contracts/alarm-spec';
import { AlertAlarms, type AlertAlarmsProps, unemittedMetricWarningId } from '../../lib/alerting/alarms';
import exampleConfig from '../../observability.config';
import { resourcesOf } from './helpers';

const config = resolveConfig(exampleConfig, 'prod');
const dims = [
  { Name: 'service', Value: 'maif' },
  { Name: 'environment', Value: 'prod' },
];

function synth(props: Partial<AlertAlarmsProps> = {}): { template: Template; alarms: AlertAlarms; stack: Stack } {
  const stack = new Stack(new App(), 'Alerts');
  const alarms = new AlertAlarms(stack, 'AlertAlarms', { config, ...props });
  return { template: Template.fromStack(stack), alarms, stack };
}

describe('AlertAlarms', () => {
  const { template, alarms } = synth();

  it('renders error_rate > 5% as a metric math alarm with hidden metric queries', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'maif-prod-high_error_rate',
      ActionsEnabled: true,
      ComparisonOperator: 'GreaterThanThreshold',
      Threshold: 5,
      EvaluationPeriods: 5,
      DatapointsToAlarm: 5,
      TreatMissingData: 'missing',
      Metrics: [
        {
          Id: 'm1',
          MetricStat: {
            Metric: { Namespace: 'MAIF', MetricName: 'http_request_errors_total', Dimensions: dims },
            Period: 60,
            Stat: 'Sum',
          },
          ReturnData: false,
        },
        {
          Id: 'm2',
          MetricStat: {
            Metric: { Namespace: 'MAIF', MetricName: 'http_requests_total', Dimensions: dims },
            Period: 60,
            Stat: 'Sum',
          },
          ReturnData: false,
        },
        { Id: 'e1', Expression: '100 * FILL(m1, 0) / m2', Label: 'high_error_rate', ReturnData: true },
      ],
    });
  });

  it('renders response_time_p95 > 2s as a single-metric alarm on the p95 extended statistic', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'maif-prod-high_latency',
      Namespace: 'MAIF',
      MetricName: 'http_request_duration_seconds',
      Dimensions: dims,
      ExtendedStatistic: 'p95',
      Statistic: Match.absent(),
      Period: 60,
      EvaluationPeriods: 10,
      DatapointsToAlarm: 10,
      Threshold: 2,
      EvaluateLowSampleCountPercentile: 'ignore',
      ComparisonOperator: 'GreaterThanThreshold',
    });
  });

  it('renders the other rules of the guide with their statistics, thresholds and evaluation windows', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'maif-prod-system_down',
      ComparisonOperator: 'LessThanOrEqualToThreshold',
      Threshold: 0,
      EvaluationPeriods: 1,
      Metrics: [
        Match.objectLike({
          Id: 'm1',
          MetricStat: Match.objectLike({ Stat: 'Minimum', Metric: Match.objectLike({ MetricName: 'up' }) }),
        }),
        { Id: 'e1', Expression: 'ABS(m1)', Label: 'system_down', ReturnData: true },
      ],
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'maif-prod-disk_space_low',
      MetricName: 'disk_usage',
      Statistic: 'Maximum',
      Threshold: 85,
      EvaluationPeriods: 15,
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'maif-prod-memory_leak',
      Threshold: 10,
      EvaluationPeriods: 1,
      Metrics: [
        Match.objectLike({ MetricStat: Match.objectLike({ Period: 3600, Stat: 'Average' }) }),
        Match.objectLike({ Expression: 'DIFF(m1)' }),
      ],
    });
  });

  it('renders the real-time alerts on 10 s periods', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'maif-prod-realtime_response_time',
      MetricName: 'http_request_duration_seconds',
      Statistic: 'Average',
      Period: 10,
      Threshold: 5,
      EvaluationPeriods: 1,
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'maif-prod-realtime_error_rate',
      Threshold: 10,
      Metrics: Match.arrayWith([Match.objectLike({ MetricStat: Match.objectLike({ Period: 10 }) })]),
    });
  });

  it('renders baseline regressions against the learned baseline with a static fallback', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'maif-prod-search_latency_p95_regression',
      Threshold: 1.25,
      EvaluationPeriods: 2,
      Metrics: [
        Match.objectLike({ Id: 'm1', MetricStat: Match.objectLike({ Stat: 'p95', Period: 900 }) }),
        Match.objectLike({
          Id: 'm2',
          MetricStat: Match.objectLike({
            Metric: {
              Namespace: 'MAIF',
              MetricName: 'performance_baseline_seconds',
              Dimensions: [...dims, { Name: 'metric', Value: 'search_latency_p95' }],
            },
          }),
        }),
        Match.objectLike({ Id: 'e1', Expression: 'm1 / FILL(FILL(m2, REPEAT), 0.1)' }),
      ],
    });
  });

  it('renders anomaly alarms with a band and a trained detector', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'maif-prod-search_latency_p95_anomaly',
      ComparisonOperator: 'GreaterThanUpperThreshold',
      ThresholdMetricId: 'ad1',
      Threshold: Match.absent(),
      Metrics: [
        Match.objectLike({ Id: 'm1', ReturnData: true }),
        { Id: 'ad1', Expression: 'ANOMALY_DETECTION_BAND(m1, 2)', Label: 'Expected band', ReturnData: true },
      ],
    });
    template.hasResourceProperties('AWS::CloudWatch::AnomalyDetector', {
      SingleMetricAnomalyDetector: {
        Namespace: 'MAIF',
        MetricName: 'search_duration_seconds',
        Dimensions: dims,
        Stat: 'p95',
      },
    });
    template.resourceCountIs('AWS::CloudWatch::AnomalyDetector', 4);
  });

  it('carries the rule metadata in every alarm description and adds no actions', () => {
    const all = Object.values(resourcesOf(template, 'AWS::CloudWatch::Alarm'));
    expect(all).toHaveLength(alarms.specs.length);
    for (const r of all) {
      const p = r.Properties as Record<string, unknown>;
      expect(p.AlarmActions).toBeUndefined();
      expect(p.ActionsEnabled).toBe(true);
      expect(decodeAlarmDescription(p.AlarmDescription as string)).toMatchObject({
        environment: 'prod',
        service: 'maif',
      });
    }
    const meta = decodeAlarmDescription(
      alarms.specs.find((s) => s.ruleName === 'disk_space_low')?.description as string,
    );
    expect(meta).toEqual({
      rule: 'disk_space_low',
      severity: 'warning',
      labels: { team: 'infrastructure', service: 'maif' },
      environment: 'prod',
      service: 'maif',
      runbook: 'https://runbooks.maif.example.com/disk-space-low',
    });
  });

  it('exposes one IAlarm per alarm and composite alarm', () => {
    expect(alarms.alarms).toHaveLength(alarms.specs.length + alarms.composites.length);
  });

  it('adds the given actions to every alarm', () => {
    const stack = new Stack(new App(), 'WithActions');
    const topic = new sns.Topic(stack, 'Topic');
    new AlertAlarms(stack, 'AlertAlarms', { config, actions: [new actions.SnsAction(topic)] });
    const t = Template.fromStack(stack);
    t.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'maif-prod-high_error_rate',
      AlarmActions: [{ Ref: Match.stringLikeRegexp('^Topic') }],
    });
    t.hasResourceProperties('AWS::CloudWatch::CompositeAlarm', {
      AlarmActions: [{ Ref: Match.stringLikeRegexp('^Topic') }],
    });
  });

  it('fails at synth with the rule named when a rule cannot compile', () => {
    const bad = {
      ...config,
      alerting: { ...config.alerting, rules: [{ ...config.alerting.rules[0], condition: 'eror_rate > 5%' }] },
    };
    expect(() => new AlertAlarms(new Stack(new App(), 'Bad'), 'AlertAlarms', { config: bad })).toThrow(
      /alert rule 'high_error_rate': unknown metric 'eror_rate' \(did you mean 'error_rate'/,
    );
  });

  it('rejects two rules that compile to the same alarm name', () => {
    const twice = {
      ...config,
      alerting: { ...config.alerting, rules: [config.alerting.rules[0], config.alerting.rules[0]] },
    };
    expect(() => new AlertAlarms(new Stack(new App(), 'Twice'), 'AlertAlarms', { config: twice })).toThrow(
      "alert rule 'high_error_rate': alarm name 'maif-prod-high_error_rate' is already used by 'high_error_rate' (rename one)",
    );
  });

  it('keeps a standard-resolution metric off 10 s periods unless declared high resolution', () => {
    const diskRule = config.alerting.rules.find((r) => r.name === 'disk_space_low');
    const rules = [{ ...diskRule, period: '10s' }];
    const withPeriod = { ...config, alerting: { ...config.alerting, rules } } as typeof config;
    expect(() => new AlertAlarms(new Stack(new App(), 'Std'), 'AlertAlarms', { config: withPeriod })).toThrow(
      /a 10s period needs high-resolution metrics; disk_usage is standard resolution/,
    );
    const { template: t } = (() => {
      const stack = new Stack(new App(), 'Hi');
      new AlertAlarms(stack, 'AlertAlarms', { config: withPeriod, highResolutionMetrics: ['disk_usage'] });
      return { template: Template.fromStack(stack) };
    })();
    t.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'maif-prod-disk_space_low',
      Period: 10,
      EvaluationPeriods: 90,
    });
  });

  it('gives error-budget widgets for the dashboards', () => {
    const widgets = alarms.errorBudgetWidgets();
    expect(widgets).toHaveLength(4);
    expect(widgets[0]).toBeInstanceOf(cloudwatch.SingleValueWidget);
    expect(widgets[1]).toBeInstanceOf(cloudwatch.GraphWidget);
  });
});

describe('AlertAlarms warns about rules over metrics nothing emits', () => {
  const withRules = (
    rules: Record<string, unknown>[],
    system: Partial<typeof config.metrics.system> = {},
  ): typeof config => ({
    ...config,
    metrics: { ...config.metrics, system: { ...config.metrics.system, lambda: false, ...system } },
    alerting: { ...config.alerting, rules: rules as unknown as typeof config.alerting.rules },
  });
  const diskRule = { name: 'disk_space_low', condition: 'disk_usage > 85%', severity: 'warning', target: 'lambda' };
  const annotationsOf = (c: typeof config) => {
    const stack = new Stack(new App(), 'Warn');
    new AlertAlarms(stack, 'AlertAlarms', { config: c });
    return Annotations.fromStack(stack);
  };

  it('names the rule, the metric and the fix, under an id that acknowledgeWarning takes', () => {
    const annotations = annotationsOf(withRules([diskRule]));
    annotations.hasWarning(
      '/Warn/AlertAlarms',
      "alert rule 'disk_space_low': disk_usage is emitted by nothing in this deployment, so its alarm can never fire " +
        "(turn on metrics.system.lambda so instrumented functions sample disk_usage, or set target: 'hosts' if hosts running the SystemMonitor or the CloudWatch agent emit it) " +
        `[ack: ${unemittedMetricWarningId('disk_space_low')}]`,
    );
    expect(annotations.findWarning('*', Match.anyValue())).toHaveLength(1);
  });

  it('warns about nothing when the functions sample system metrics or the rule targets hosts', () => {
    const sampled = annotationsOf(withRules([diskRule], { lambda: true }));
    expect(sampled.findWarning('*', Match.anyValue())).toEqual([]);
    const hosts = annotationsOf(withRules([{ ...diskRule, target: 'hosts' }]));
    expect(hosts.findWarning('*', Match.anyValue())).toEqual([]);
  });

  it('warns about nothing for rules over metrics the deployment emits', () => {
    const emitted = annotationsOf(
      withRules([
        { name: 'high_error_rate', condition: 'error_rate > 5%', severity: 'warning', target: 'lambda' },
        { name: 'system_down', condition: 'up == 0', severity: 'critical', target: 'lambda' },
      ]),
    );
    expect(emitted.findWarning('*', Match.anyValue())).toEqual([]);
  });
});
