/** The configuration's alert rules, real-time alerts, baselines and SLOs compiled to AlarmSpecs. */
import type { ResolvedConfig } from '../config';
import type { AlarmSpec } from '../contracts/alarm-spec';
import { type BaselineOptions, compileBaselines } from './baselines';
import {
  type CompileContext,
  compileContext,
  compileRealtimeAlerts,
  compileRule,
  highResolutionMetrics,
} from './compile';
import { type CompositeAlarmSpec, compileSlo } from './slo';

export interface AlertingOptions {
  /** Per-baseline switches (anomaly detection, bands, measured series). */
  readonly baselines?: Readonly<Record<string, BaselineOptions>>;
  /** More metrics emitted at high resolution, beside the real-time ones. */
  readonly highResolutionMetrics?: readonly string[];
}

/**
 * Where a compiled alarm comes from: `alerting.rules[index]`, `realtime.alerts[index]`,
 * `alerting.baselines.<baseline>` or `alerting.slos[index]`.
 */
export type AlarmSource =
  | { readonly section: 'rules' | 'realtime' | 'slos'; readonly index: number }
  | { readonly section: 'baselines'; readonly baseline: string };

/** Every AlarmSpec and composite of a configuration, compiled (no constructs): for tests and the evaluator. */
export function compileAlerting(
  config: ResolvedConfig,
  options: AlertingOptions = {},
): {
  specs: AlarmSpec[];
  composites: CompositeAlarmSpec[];
  context: CompileContext;
  /** The source of each spec and composite, by rule name. */
  sources: ReadonlyMap<string, AlarmSource>;
} {
  const highResolution = new Set([...highResolutionMetrics(config), ...(options.highResolutionMetrics ?? [])]);
  const context = compileContext(config, { highResolution });
  const sources = new Map<string, AlarmSource>();
  const from = <T extends AlarmSpec | CompositeAlarmSpec>(source: AlarmSource, alarm: T): T => {
    sources.set(alarm.ruleName, source);
    return alarm;
  };
  const specs: AlarmSpec[] = [
    ...config.alerting.rules.map((rule, index) => from({ section: 'rules', index }, compileRule(rule, context))),
    // One alarm per real-time alert, in order.
    ...compileRealtimeAlerts(config.realtime.alerts, context).map((spec, index) =>
      from({ section: 'realtime', index }, spec),
    ),
    ...compileBaselines(config.alerting, context, options.baselines).map((spec) =>
      from({ section: 'baselines', baseline: spec.labels.baseline }, spec),
    ),
  ];
  const composites: CompositeAlarmSpec[] = [];
  config.alerting.slos.forEach((slo, index) => {
    const compiled = compileSlo(slo, context);
    specs.push(...compiled.specs.map((spec) => from({ section: 'slos', index }, spec)));
    composites.push(...compiled.composites.map((composite) => from({ section: 'slos', index }, composite)));
  });
  const names = new Map<string, string>();
  for (const { alarmName, ruleName } of [...specs, ...composites]) {
    const other = names.get(alarmName);
    if (other !== undefined) {
      throw new Error(`alert rule '${ruleName}': alarm name '${alarmName}' is already used by '${other}' (rename one)`);
    }
    names.set(alarmName, ruleName);
  }
  return { specs, composites, context, sources };
}
