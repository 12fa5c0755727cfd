/** Error-budget widgets for the dashboards: the budget left and the burn rate of each SLO. */
import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type { Slo } from '../../domain/config';
import { type CompileContext, numberText } from '../../domain/rules/compile';
import { BURN_RATE_WINDOWS, budgetOf, type SliSeries, sliSeries } from '../../domain/rules/slo';
import { parseDuration } from '../../layers/instrumentation/units';

function mathOf(sli: SliSeries, label: string, period: number, expression: string): cloudwatch.MathExpression {
  const usingMetrics: Record<string, cloudwatch.IMetric> = {};
  for (const m of sli.metrics) {
    usingMetrics[m.id] = new cloudwatch.Metric({
      namespace: m.namespace,
      metricName: m.metricName,
      dimensionsMap: { ...m.dimensions },
      statistic: m.stat,
      period: Duration.seconds(period),
    });
  }
  return new cloudwatch.MathExpression({ expression, usingMetrics, label, period: Duration.seconds(period) });
}

/**
 * Error-budget widgets for the dashboards, two per SLO: the budget left over the SLO window
 * (a single value over the dashboard's time range) and the 1-hour burn rate with the
 * workbook's thresholds.
 */
export function errorBudgetWidgets(slos: readonly Slo[], ctx: CompileContext): cloudwatch.IWidget[] {
  const widgets: cloudwatch.IWidget[] = [];
  for (const slo of slos) {
    const budget = budgetOf(slo);
    const windowSeconds = parseDuration(slo.window) / 1000;
    const whole = sliSeries(slo, ctx, windowSeconds);
    const hourly = sliSeries(slo, ctx, 3_600);
    widgets.push(
      new cloudwatch.SingleValueWidget({
        title: `${slo.name}: error budget left (${slo.objective} over ${slo.window})`,
        metrics: [
          mathOf(whole, 'Budget left (%)', windowSeconds, `100 * (1 - (${whole.expression}) / ${numberText(budget)})`),
        ],
        setPeriodToTimeRange: true,
        width: 8,
        height: 6,
      }),
      new cloudwatch.GraphWidget({
        title: `${slo.name}: burn rate (1h)`,
        left: [mathOf(hourly, 'Burn rate', 3_600, `(${hourly.expression}) / ${numberText(budget)}`)],
        leftAnnotations: BURN_RATE_WINDOWS.map((w) => ({
          value: w.factor,
          label: `${w.factor}x (${w.alert})`,
          color: w.alert === 'page' ? cloudwatch.Color.RED : cloudwatch.Color.ORANGE,
        })),
        width: 16,
        height: 6,
      }),
    );
  }
  return widgets;
}
