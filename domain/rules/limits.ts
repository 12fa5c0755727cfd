/**
 * CloudWatch's alarm limits, named, and the checks the compiler runs at synth so a bad rule
 * fails with a clear message instead of a CloudFormation error.
 */
import type { AlarmSpec } from '../contracts/alarm-spec';

export const ALARM_LIMITS = {
  /** Metrics one metric math alarm may query. */
  MAX_METRICS_PER_ALARM: 10,
  /** Periods under a minute need high-resolution metrics. */
  HIGH_RESOLUTION_PERIODS: [10, 20, 30],
  /** Period x EvaluationPeriods when the period is under an hour. */
  MAX_EVALUATION_SECONDS_SHORT: 86_400,
  /** Period x EvaluationPeriods when the period is an hour or more. */
  MAX_EVALUATION_SECONDS_LONG: 7 * 86_400,
  SHORT_PERIOD_BELOW: 3_600,
  MAX_ALARM_NAME_LENGTH: 255,
  /** CloudWatch's metric math expression length. */
  MAX_EXPRESSION_LENGTH: 2_048,
} as const;

/** Metric math ids: a lowercase letter, then letters, digits, underscores. */
export const METRIC_ID_RE = /^[a-z][a-zA-Z0-9_]*$/;

/** The metric math functions the compiler may emit: the subset the local evaluator implements too. */
export const EXPRESSION_FUNCTIONS = ['PERIOD', 'RATE', 'DIFF', 'FILL', 'ABS', 'MAX', 'MIN', 'IF'] as const;

export class AlertRuleError extends Error {
  readonly rule: string;
  constructor(rule: string, message: string) {
    super(`alert rule '${rule}': ${message}`);
    this.name = 'AlertRuleError';
    this.rule = rule;
  }
}

export function isValidPeriod(seconds: number): boolean {
  return (
    (ALARM_LIMITS.HIGH_RESOLUTION_PERIODS as readonly number[]).includes(seconds) ||
    (Number.isInteger(seconds) && seconds >= 60 && seconds % 60 === 0)
  );
}

export function formatSeconds(seconds: number): string {
  if (seconds % 86_400 === 0) return `${seconds / 86_400}d`;
  if (seconds % 3_600 === 0) return `${seconds / 3_600}h`;
  if (seconds % 60 === 0) return `${seconds / 60}m`;
  return `${seconds}s`;
}

/** The evaluation window's limit for a period: 1 day under an hour, else 7 days. */
export function maxEvaluationSeconds(period: number): number {
  return period < ALARM_LIMITS.SHORT_PERIOD_BELOW
    ? ALARM_LIMITS.MAX_EVALUATION_SECONDS_SHORT
    : ALARM_LIMITS.MAX_EVALUATION_SECONDS_LONG;
}

const TOKEN_RE = /\s*(?:(\d+(?:\.\d+)?)|([A-Za-z_][A-Za-z0-9_]*)|(==|!=|>=|<=|[-+*/()<>,[\]]))/y;

/**
 * Checks that `expression` uses only the shared subset: numbers, the given ids, + - * /,
 * parentheses, comparisons, brackets, REPEAT and the EXPRESSION_FUNCTIONS. Returns the first
 * offending token, or undefined.
 */
export function expressionOutsideSubset(expression: string, ids: readonly string[]): string | undefined {
  TOKEN_RE.lastIndex = 0;
  let at = 0;
  while (at < expression.length) {
    if (/^\s*$/.test(expression.slice(at))) return undefined;
    TOKEN_RE.lastIndex = at;
    const m = TOKEN_RE.exec(expression);
    if (!m) return expression.slice(at).trim().slice(0, 20);
    at = TOKEN_RE.lastIndex;
    const word = m[2];
    if (word === undefined) continue;
    const isFunction = (EXPRESSION_FUNCTIONS as readonly string[]).includes(word);
    if (!isFunction && word !== 'REPEAT' && !ids.includes(word)) return word;
  }
  return undefined;
}

/** Every CloudWatch limit an alarm spec must meet; throws AlertRuleError naming the rule. */
export function checkAlarmSpec(spec: AlarmSpec): void {
  const fail = (message: string): never => {
    throw new AlertRuleError(spec.ruleName, message);
  };
  if (spec.metrics.length === 0) fail('the condition queries no metric');
  if (spec.metrics.length > ALARM_LIMITS.MAX_METRICS_PER_ALARM) {
    fail(
      `the condition queries ${spec.metrics.length} metrics (${spec.metrics.map((m) => m.metricName).join(', ')}); CloudWatch allows at most ${ALARM_LIMITS.MAX_METRICS_PER_ALARM} in one alarm`,
    );
  }
  if (!isValidPeriod(spec.period)) {
    fail(`period ${spec.period}s is not a CloudWatch alarm period (use 10s, 20s, 30s or a multiple of 60s)`);
  }
  const window = spec.period * spec.evaluationPeriods;
  const limit = maxEvaluationSeconds(spec.period);
  if (window > limit) {
    fail(
      `${spec.evaluationPeriods} evaluation periods of ${formatSeconds(spec.period)} cover ${formatSeconds(window)}, over CloudWatch's limit of ${formatSeconds(limit)} for periods ${spec.period < ALARM_LIMITS.SHORT_PERIOD_BELOW ? 'under' : 'of'} 1 hour${spec.period < ALARM_LIMITS.SHORT_PERIOD_BELOW ? ' (use a shorter duration or a period of 1h or more)' : ''}`,
    );
  }
  if (spec.datapointsToAlarm < 1 || spec.datapointsToAlarm > spec.evaluationPeriods) {
    fail(`datapoints to alarm ${spec.datapointsToAlarm} is not between 1 and ${spec.evaluationPeriods}`);
  }
  if (spec.alarmName.length > ALARM_LIMITS.MAX_ALARM_NAME_LENGTH) {
    fail(`alarm name '${spec.alarmName}' is over ${ALARM_LIMITS.MAX_ALARM_NAME_LENGTH} characters`);
  }
  const ids = spec.metrics.map((m) => m.id);
  for (const m of spec.metrics) {
    if (!METRIC_ID_RE.test(m.id)) fail(`metric id '${m.id}' is not a metric math id (${METRIC_ID_RE})`);
    if (m.period !== spec.period) fail(`metric ${m.metricName} has period ${m.period}s, the alarm ${spec.period}s`);
  }
  if (new Set(ids).size !== ids.length) fail(`metric ids ${ids.join(', ')} repeat`);
  if (spec.expression) {
    const { expression } = spec.expression;
    if (expression.length > ALARM_LIMITS.MAX_EXPRESSION_LENGTH) {
      fail(
        `the metric math expression is ${expression.length} characters (at most ${ALARM_LIMITS.MAX_EXPRESSION_LENGTH})`,
      );
    }
    const bad = expressionOutsideSubset(expression, ids);
    if (bad !== undefined)
      fail(`the metric math expression '${expression}' uses '${bad}', outside the supported subset`);
  }
  if (spec.kind === 'threshold' && (spec.threshold === undefined || !Number.isFinite(spec.threshold))) {
    fail(`threshold ${spec.threshold} is not a finite number`);
  }
  if (spec.kind === 'anomaly' && !(spec.bands !== undefined && spec.bands > 0)) {
    fail(`anomaly bands ${spec.bands} is not a positive number`);
  }
}
