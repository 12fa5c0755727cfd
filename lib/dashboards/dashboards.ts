import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { Construct } from 'constructs';
import {
  type CompiledDashboard,
  type CompiledPanel,
  compileDashboards,
  type DashboardsConfig,
} from '../../domain/dashboards/model';
import type { MetricDefinitions, TranslatedQuery } from '../../domain/dashboards/translate';

/** Alarms one alarm status widget shows. */
export const MAX_ALARMS_PER_STATUS_WIDGET = 100;
const ALARM_ROW_HEIGHT = 4;

export interface ObservabilityDashboardsProps {
  /** The resolved configuration of one environment (its `dashboards` and `realtime` sections). */
  readonly config: DashboardsConfig;
  /**
   * Alarms shown in an alarm status widget at the top of every dashboard.
   * @default - no alarm status widget
   */
  readonly alarms?: readonly cloudwatch.IAlarm[];
  /**
   * Custom metrics (your own, not the kit's) the PromQL may name, added to the metric catalog.
   * @default - only the catalog's metrics; any other name fails the synth
   */
  readonly customMetrics?: MetricDefinitions;
}

function toMetric(query: TranslatedQuery): cloudwatch.IMetric {
  const period = Duration.seconds(query.period);
  const metrics = Object.fromEntries(
    query.metrics.map((m) => [
      m.id,
      new cloudwatch.Metric({
        namespace: m.namespace,
        metricName: m.metricName,
        dimensionsMap: { ...m.dimensions },
        statistic: m.stat,
        period,
        ...(query.expression ? {} : { label: query.label }),
      }),
    ]),
  );
  if (query.expression === undefined) return metrics[query.id];
  return new cloudwatch.MathExpression({
    expression: query.expression,
    usingMetrics: metrics,
    label: query.label,
    period,
  });
}

/** A gauge needs a range; percentages are the usual gauge. */
const GAUGE_RANGE = { min: 0, max: 100 } as const;

function toWidget(panel: CompiledPanel, dashboard: CompiledDashboard): cloudwatch.IWidget {
  const metrics = panel.queries.map(toMetric);
  const common = { title: panel.title, width: panel.width, height: panel.height };
  switch (panel.type) {
    case 'singlestat':
      return new cloudwatch.SingleValueWidget({ ...common, metrics, sparkline: true });
    case 'gauge':
      return new cloudwatch.GaugeWidget({ ...common, metrics, leftYAxis: GAUGE_RANGE });
    case 'table':
      return new cloudwatch.TableWidget({ ...common, metrics });
    case 'text':
      return new cloudwatch.TextWidget({ markdown: `## ${panel.title}`, width: panel.width, height: panel.height });
    case 'graph':
      return new cloudwatch.GraphWidget({ ...common, left: metrics, liveData: dashboard.realtime });
  }
}

/** A construct id from a title: `MAIF System Overview` -> `MAIFSystemOverview`. */
function idOf(d: CompiledDashboard): string {
  return d.realtime ? 'Realtime' : d.title.replace(/[^A-Za-z0-9]/g, '') || 'Dashboard';
}

/**
 * One CloudWatch dashboard per configured dashboard (PromQL targets translated to metrics and
 * metric math), a real-time dashboard on 10 s periods from `config.realtime.metrics`, and an
 * alarm status widget on each when `alarms` is given. Bad PromQL fails here, at synth.
 */
export class ObservabilityDashboards extends Construct {
  /** The CloudWatch dashboards, in configuration order (the real-time one last). */
  readonly dashboards: readonly cloudwatch.Dashboard[];
  /** What was rendered: the same model the Grafana export uses. */
  readonly compiled: readonly CompiledDashboard[];

  constructor(scope: Construct, id: string, props: ObservabilityDashboardsProps) {
    super(scope, id);
    this.compiled = compileDashboards(props.config, props.customMetrics ? { customMetrics: props.customMetrics } : {});
    const alarms = props.alarms ?? [];
    this.dashboards = this.compiled.map((d) => {
      const dashboard = new cloudwatch.Dashboard(this, idOf(d), {
        dashboardName: d.name,
        defaultInterval: Duration.seconds(d.rangeSeconds),
        periodOverride: cloudwatch.PeriodOverride.INHERIT,
      });
      for (let i = 0; i < alarms.length; i += MAX_ALARMS_PER_STATUS_WIDGET) {
        dashboard.addWidgets(
          new cloudwatch.AlarmStatusWidget({
            title: 'Alarms',
            alarms: alarms.slice(i, i + MAX_ALARMS_PER_STATUS_WIDGET) as cloudwatch.IAlarm[],
            width: 24,
            height: ALARM_ROW_HEIGHT,
          }),
        );
      }
      const rows = new Map<number, CompiledPanel[]>();
      for (const panel of d.panels) rows.set(panel.y, [...(rows.get(panel.y) ?? []), panel]);
      for (const row of rows.values()) dashboard.addWidgets(...row.map((p) => toWidget(p, d)));
      return dashboard;
    });
  }
}
