/**
 * Performance baselines -> regression and anomaly alarms. The MAIF monitoring guide's
 * regression rule `current_performance < baseline * 0.8` reads, for a latency,
 * performance = 1 / latency: alarm when the current p95 > baseline / 0.8 (25 % slower). The
 * baseline is the one the baseline monitor learned (gauge
 * `performance_baseline_seconds{metric=<name>}`), or the configured static value while none has
 * been learned (metric math FILL).
 */

import { parseDuration } from '../../layers/instrumentation/units';
import type { AlertingConfig } from '../config';
import { type AlarmSpec, encodeAlarmDescription, type MetricRef } from '../contracts/alarm-spec';
import { alarmName, type CompileContext, compileRule, DEFAULT_ANOMALY_BANDS, numberText } from './compile';
import { AlertRuleError, checkAlarmSpec, formatSeconds } from './limits';

/** The guide's baseline names -> the series they measure (rule language). Other names are rule series. */
export const BASELINE_METRICS: Readonly<Record<string, string>> = {
  search_latency_p95: 'p95(search_duration_seconds)',
  artifact_creation_time: 'p95(artifact_creation_duration_seconds)',
  embedding_generation_time: 'p95(embedding_generation_duration_seconds)',
  index_update_time: 'p95(index_update_duration_seconds)',
};

/** The gauge the baseline monitor publishes, dimension `metric` = the baseline's name. */
export const LEARNED_BASELINE_METRIC = 'performance_baseline_seconds';
/** Regression alarms compare 15-minute windows; the learned baseline must be published at least this often. */
export const REGRESSION_PERIOD_SECONDS = 900;
/** Two windows in a row (30 minutes) before alarming. */
export const REGRESSION_EVALUATION_PERIODS = 2;
export const ANOMALY_PERIOD_SECONDS = 300;
export const ANOMALY_EVALUATION_PERIODS = 3;
export const DEFAULT_REGRESSION_FACTOR = 0.8;

const REGRESSION_RE = /^\s*current_performance\s*<\s*baseline\s*\*\s*(\d+(?:\.\d+)?)\s*$/;
const ANOMALY_RE = /^\s*anomaly_score\s*>\s*(\d+(?:\.\d+)?)\s*$/;

/** Per-baseline switches beyond the configuration's `name: '100ms'` (see domain/config/alerting.ts). */
export interface BaselineOptions {
  /** @default performance.anomalyDetection */
  readonly anomalyDetection?: boolean;
  /** @default 2 */
  readonly bands?: number;
  /** The series measured, in the rule language. @default BASELINE_METRICS[name], else the name itself */
  readonly metric?: string;
}

type PerformanceConfig = Pick<AlertingConfig, 'baselines' | 'performance'>;

interface PerformanceAlerts {
  readonly regression?: { readonly name: string; readonly factor: number; readonly action: string };
  readonly anomaly?: { readonly name: string; readonly action: string };
}

/** Reads `alerting.performance.alerts`: the regression factor and which actions to label alarms with. */
export function performanceAlerts(config: PerformanceConfig): PerformanceAlerts {
  let regression: PerformanceAlerts['regression'];
  let anomaly: PerformanceAlerts['anomaly'];
  for (const a of config.performance.alerts) {
    const r = REGRESSION_RE.exec(a.condition);
    if (r) {
      const factor = Number(r[1]);
      if (!(factor > 0 && factor < 1)) {
        throw new AlertRuleError(a.name, `regression factor ${factor} in '${a.condition}' is not between 0 and 1`);
      }
      regression = { name: a.name, factor, action: a.action };
      continue;
    }
    if (ANOMALY_RE.test(a.condition)) {
      anomaly = { name: a.name, action: a.action };
      continue;
    }
    throw new AlertRuleError(
      a.name,
      `performance alert condition '${a.condition}' is not supported (use 'current_performance < baseline * 0.8' or 'anomaly_score > 0.8')`,
    );
  }
  if (!regression && config.performance.regressionDetection) {
    regression = { name: 'performance_regression', factor: DEFAULT_REGRESSION_FACTOR, action: 'notify' };
  }
  if (!anomaly && config.performance.anomalyDetection) anomaly = { name: 'performance_anomaly', action: 'notify' };
  if (!config.performance.regressionDetection) regression = undefined;
  return { regression, anomaly };
}

/** Regression alarms (and anomaly alarms where switched on) for every configured baseline. */
export function compileBaselines(
  config: PerformanceConfig,
  ctx: CompileContext,
  options: Readonly<Record<string, BaselineOptions>> = {},
): AlarmSpec[] {
  const { regression, anomaly } = performanceAlerts(config);
  const specs: AlarmSpec[] = [];
  for (const [name, value] of Object.entries(config.baselines)) {
    const opts = options[name] ?? {};
    const series = opts.metric ?? BASELINE_METRICS[name] ?? name;
    const baseline = parseDuration(value) / 1000;
    if (regression) specs.push(regressionSpec(name, series, baseline, regression, ctx));
    const anomalyOn = opts.anomalyDetection ?? config.performance.anomalyDetection;
    if (anomaly && anomalyOn) {
      specs.push(
        compileRule(
          {
            name: `${name}_anomaly`,
            description: `${name} is above its expected band (anomaly detection)`,
            condition: `anomaly(${series}) outside ${opts.bands ?? DEFAULT_ANOMALY_BANDS} bands above`,
            duration: formatSeconds(ANOMALY_PERIOD_SECONDS * ANOMALY_EVALUATION_PERIODS),
            period: formatSeconds(ANOMALY_PERIOD_SECONDS),
            severity: 'warning',
            labels: { baseline: name, alert: anomaly.name, action: anomaly.action },
          },
          ctx,
        ),
      );
    }
  }
  return specs;
}

function regressionSpec(
  name: string,
  series: string,
  baseline: number,
  regression: NonNullable<PerformanceAlerts['regression']>,
  ctx: CompileContext,
): AlarmSpec {
  const ruleName = `${name}_regression`;
  // Compiling `series > baseline` resolves the metric and checks it is a time, in seconds.
  const live = compileRule(
    {
      name: ruleName,
      condition: `${series} > ${numberText(baseline)}s`,
      period: formatSeconds(REGRESSION_PERIOD_SECONDS),
      severity: 'warning',
    },
    ctx,
  );
  if (live.expression || live.metrics.length !== 1) {
    throw new AlertRuleError(ruleName, `baseline series '${series}' must be one metric with a statistic`);
  }
  const learned: MetricRef = {
    id: 'm2',
    namespace: ctx.namespace,
    metricName: LEARNED_BASELINE_METRIC,
    dimensions: { service: ctx.service, environment: ctx.environment, metric: name },
    stat: 'Average',
    period: REGRESSION_PERIOD_SECONDS,
  };
  const labels = { baseline: name, alert: regression.name, action: regression.action };
  const threshold = Number((1 / regression.factor).toPrecision(12));
  const text = `${name} regressed: current ${series} over its baseline / ${regression.factor} (learned, else ${numberText(baseline)}s) for ${formatSeconds(REGRESSION_PERIOD_SECONDS * REGRESSION_EVALUATION_PERIODS)}`;
  const spec: AlarmSpec = {
    alarmName: alarmName(ctx, ruleName),
    ruleName,
    description: encodeAlarmDescription(text, {
      rule: ruleName,
      severity: 'warning',
      labels,
      environment: ctx.environment,
      service: ctx.service,
    }),
    kind: 'threshold',
    metrics: [live.metrics[0], learned],
    // performance = 1 / latency: current < baseline * f  <=>  latency / baseline > 1 / f.
    // The learned value is published once per period; REPEAT carries it over a late or missed run
    // inside the range, and the configured value stands in before anything was learned.
    expression: {
      id: 'e1',
      expression: `m1 / FILL(FILL(m2, REPEAT), ${numberText(baseline)})`,
      label: `${name} / baseline`,
    },
    comparison: 'GreaterThanThreshold',
    threshold,
    period: REGRESSION_PERIOD_SECONDS,
    evaluationPeriods: REGRESSION_EVALUATION_PERIODS,
    datapointsToAlarm: REGRESSION_EVALUATION_PERIODS,
    treatMissingData: 'missing',
    severity: 'warning',
    labels,
  };
  checkAlarmSpec(spec);
  return spec;
}
