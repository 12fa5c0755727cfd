/**
 * `AlertAlarms`: the configuration's alert rules, real-time alerts, performance baselines and
 * SLOs as CloudWatch alarms. Alarms are enabled with no actions by default: the alert pipeline
 * consumes the EventBridge "CloudWatch Alarm State Change" events and reads the rule's
 * severity, labels and runbook back from the alarm description.
 */
import { Annotations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { Construct } from 'constructs';
import type { ResolvedConfig } from '../../domain/config';
import type { AlarmSpec, MetricRef } from '../../domain/contracts/alarm-spec';
import { compileAlerting } from '../../domain/rules/alarms';
import type { BaselineOptions } from '../../domain/rules/baselines';
import type { CompileContext } from '../../domain/rules/compile';
import { unemittedRuleMetrics } from '../../domain/rules/emitters';
import type { CompositeAlarmSpec } from '../../domain/rules/slo';
import { errorBudgetWidgets } from './slo-widgets';

export interface AlertAlarmsProps {
  /** The resolved configuration of one environment. */
  readonly config: ResolvedConfig;
  /**
   * Actions added to every alarm and composite alarm (ALARM state).
   * @default - none: the alert pipeline reads the EventBridge alarm events
   */
  readonly actions?: readonly cloudwatch.IAlarmAction[];
  /**
   * Per-baseline switches (anomaly detection, bands, measured series), until the configuration
   * (domain/config) carries them.
   * @default - every baseline follows `alerting.performance.anomalyDetection`
   */
  readonly baselines?: Readonly<Record<string, BaselineOptions>>;
  /**
   * More metrics emitted at high resolution (allowing 10-30 s periods), beside the metrics behind
   * `realtime.metrics` and `realtime.alerts`, which always are.
   * @default - only the real-time ones
   */
  readonly highResolutionMetrics?: readonly string[];
}

function dimensionsOf(m: MetricRef): cloudwatch.CfnAlarm.DimensionProperty[] {
  return Object.entries(m.dimensions).map(([name, value]) => ({ name, value }));
}

function metricQuery(m: MetricRef, returnData: boolean): cloudwatch.CfnAlarm.MetricDataQueryProperty {
  return {
    id: m.id,
    metricStat: {
      metric: { namespace: m.namespace, metricName: m.metricName, dimensions: dimensionsOf(m) },
      period: m.period,
      stat: m.stat,
    },
    returnData,
  };
}

const BASIC_STATISTICS: readonly string[] = ['Sum', 'Average', 'Minimum', 'Maximum', 'SampleCount'];

/** The CfnAlarm properties of one spec (single-metric form when there is no math or band). */
export function alarmProperties(spec: AlarmSpec): cloudwatch.CfnAlarmProps {
  const common = {
    alarmName: spec.alarmName,
    alarmDescription: spec.description,
    actionsEnabled: true,
    comparisonOperator: spec.comparison,
    evaluationPeriods: spec.evaluationPeriods,
    datapointsToAlarm: spec.datapointsToAlarm,
    treatMissingData: spec.treatMissingData,
  };
  if (spec.kind === 'anomaly') {
    const series = spec.expression?.id ?? spec.metrics[0].id;
    const queries = spec.expression
      ? [
          ...spec.metrics.map((m) => metricQuery(m, false)),
          {
            id: spec.expression.id,
            expression: spec.expression.expression,
            label: spec.expression.label,
            returnData: true,
          },
        ]
      : spec.metrics.map((m) => metricQuery(m, true));
    return {
      ...common,
      thresholdMetricId: 'ad1',
      metrics: [
        ...queries,
        {
          id: 'ad1',
          expression: `ANOMALY_DETECTION_BAND(${series}, ${spec.bands})`,
          label: 'Expected band',
          returnData: true,
        },
      ],
    };
  }
  if (!spec.expression) {
    const m = spec.metrics[0];
    const basic = BASIC_STATISTICS.includes(m.stat);
    return {
      ...common,
      threshold: spec.threshold,
      namespace: m.namespace,
      metricName: m.metricName,
      dimensions: dimensionsOf(m),
      period: m.period,
      ...(basic ? { statistic: m.stat } : { extendedStatistic: m.stat }),
      ...(spec.evaluateLowSampleCountPercentile
        ? { evaluateLowSampleCountPercentile: spec.evaluateLowSampleCountPercentile }
        : {}),
    };
  }
  return {
    ...common,
    threshold: spec.threshold,
    metrics: [
      ...spec.metrics.map((m) => metricQuery(m, false)),
      {
        id: spec.expression.id,
        expression: spec.expression.expression,
        label: spec.expression.label,
        returnData: true,
      },
    ],
  };
}

/** The id of the synth warning for a rule over metrics nothing emits; `acknowledgeWarning` takes it. */
export function unemittedMetricWarningId(ruleName: string): string {
  return `maif-observability:alert-rule-unemitted-metric:${ruleName}`;
}

/** Construct ids are a contract: the rule name, as CloudFormation allows it. */
function constructId(ruleName: string): string {
  return ruleName.replace(/[^A-Za-z0-9]/g, '_');
}

export class AlertAlarms extends Construct {
  /** Every alarm: metric alarms first, then the SLO composite alarms. */
  readonly alarms: cloudwatch.IAlarm[] = [];
  readonly specs: readonly AlarmSpec[];
  readonly composites: readonly CompositeAlarmSpec[];
  readonly #context: CompileContext;
  readonly #config: ResolvedConfig;

  constructor(scope: Construct, id: string, props: AlertAlarmsProps) {
    super(scope, id);
    const { specs, composites, context, sources } = compileAlerting(props.config, props);
    this.specs = specs;
    this.composites = composites;
    this.#context = context;
    this.#config = props.config;
    // A rule over a metric nothing here emits would deploy an alarm that never fires: say so at synth.
    for (const u of unemittedRuleMetrics(props.config, { specs, sources })) {
      Annotations.of(this).addWarningV2(unemittedMetricWarningId(u.rule), `${u.message} (${u.fix})`);
    }

    const byName = new Map<string, cloudwatch.CfnAlarm>();
    const detectors = new Set<string>();
    for (const spec of specs) {
      const cid = constructId(spec.ruleName);
      const cfn = new cloudwatch.CfnAlarm(this, cid, alarmProperties(spec));
      byName.set(spec.alarmName, cfn);
      const ref = cloudwatch.Alarm.fromAlarmArn(this, `${cid}Ref`, cfn.attrArn);
      this.alarms.push(ref);
      if (props.actions?.length) cfn.alarmActions = props.actions.map((a) => a.bind(this, ref).alarmActionArn);
      if (spec.kind === 'anomaly' && !spec.expression) {
        const m = spec.metrics[0];
        const key = JSON.stringify([m.namespace, m.metricName, m.dimensions, m.stat]);
        if (detectors.has(key)) continue;
        detectors.add(key);
        const detector = new cloudwatch.CfnAnomalyDetector(this, `${cid}Detector`, {
          singleMetricAnomalyDetector: {
            namespace: m.namespace,
            metricName: m.metricName,
            dimensions: dimensionsOf(m),
            stat: m.stat,
          },
        });
        // The detector trains before the alarm reads its band.
        cfn.addResourceDependency(detector);
      }
    }
    for (const c of composites) {
      const cid = constructId(c.ruleName);
      const cfn = new cloudwatch.CfnCompositeAlarm(this, cid, {
        alarmName: c.alarmName,
        alarmDescription: c.description,
        alarmRule: c.alarmRule,
        actionsEnabled: true,
      });
      for (const name of c.components) {
        const component = byName.get(name);
        if (component) cfn.addResourceDependency(component);
      }
      const ref = cloudwatch.Alarm.fromAlarmArn(this, `${cid}Ref`, cfn.attrArn);
      this.alarms.push(ref);
      if (props.actions?.length) cfn.alarmActions = props.actions.map((a) => a.bind(this, ref).alarmActionArn);
    }
  }

  /** Error-budget widgets of the configuration's SLOs, for the dashboards. */
  errorBudgetWidgets(): cloudwatch.IWidget[] {
    return errorBudgetWidgets(this.#config.alerting.slos, this.#context);
  }
}
