/**
 * CloudWatch's alarm loop, locally: every alarm the stack deploys (the compiled AlarmSpecs and the
 * SLO composites) is evaluated with the kit's CloudWatch evaluator against the local metric store
 * at each of its period boundaries on the simulated clock, and every state change becomes the
 * `CloudWatch Alarm State Change` EventBridge event CloudWatch would send to the router.
 *
 * Anomaly-detection alarms are not evaluated: their band comes from a model CloudWatch trains on
 * weeks of data, which the sandbox does not have (they are listed as skipped).
 */
import { randomUUID } from 'node:crypto';
import { type AlarmState, evaluateAt } from '../lib/alerting/evaluator';
import type { MetricStore } from '../lib/alerting/evaluator-store';
import type { CompositeAlarmSpec } from '../lib/alerting/slo';
import type { AlarmSpec } from '../lib/alerting/spec';

export interface AlarmChange {
  readonly alarmName: string;
  readonly ruleName: string;
  readonly severity: string;
  readonly from: AlarmState;
  readonly to: AlarmState;
  readonly reason: string;
  /** Simulated epoch ms of the evaluation. */
  readonly at: number;
  /** The EventBridge event CloudWatch sends for this change. */
  readonly event: AlarmStateChangeEvent;
}

export interface AlarmStateChangeEvent {
  readonly version: '0';
  readonly id: string;
  readonly 'detail-type': 'CloudWatch Alarm State Change';
  readonly source: 'aws.cloudwatch';
  readonly account: string;
  readonly time: string;
  readonly region: string;
  readonly resources: readonly string[];
  readonly detail: {
    readonly alarmName: string;
    readonly state: { readonly value: AlarmState; readonly reason: string; readonly timestamp: string };
    readonly previousState: { readonly value: AlarmState; readonly reason: string; readonly timestamp: string };
    readonly configuration: { readonly description: string; readonly alarmRule?: string };
  };
}

export interface AlarmLoopOptions {
  readonly specs: readonly AlarmSpec[];
  readonly composites: readonly CompositeAlarmSpec[];
  readonly store: MetricStore;
  readonly region: string;
  readonly account: string;
}

interface Tracked {
  readonly spec: AlarmSpec;
  state: AlarmState;
  reason: string;
  changedAt: number;
  /** The last period boundary evaluated (simulated ms). */
  lastBoundary: number;
}

interface TrackedComposite {
  readonly spec: CompositeAlarmSpec;
  readonly rule: CompositeRule;
  state: AlarmState;
  reason: string;
  changedAt: number;
}

/** CloudWatch evaluates metric alarms once a minute, high-resolution ones every period. */
function cadenceMs(spec: AlarmSpec): number {
  return Math.min(spec.period, 60) * 1000;
}

export class AlarmLoop {
  readonly #alarms: Tracked[];
  readonly #composites: TrackedComposite[];
  readonly #options: AlarmLoopOptions;
  /** Anomaly alarms, named: not evaluated locally. */
  readonly skipped: readonly string[];

  constructor(options: AlarmLoopOptions) {
    this.#options = options;
    this.#alarms = options.specs
      .filter((s) => s.kind !== 'anomaly')
      .map((spec) => ({
        spec,
        state: 'INSUFFICIENT_DATA',
        reason: 'Unchecked: Initial alarm creation',
        changedAt: 0,
        lastBoundary: 0,
      }));
    this.skipped = options.specs.filter((s) => s.kind === 'anomaly').map((s) => s.alarmName);
    this.#composites = options.composites.map((spec) => ({
      spec,
      rule: parseCompositeRule(spec.alarmRule),
      state: 'INSUFFICIENT_DATA',
      reason: 'Unchecked: Initial alarm creation',
      changedAt: 0,
    }));
  }

  /** Every alarm and composite with its state now. */
  states(): { alarm: string; rule: string; severity: string; state: AlarmState }[] {
    return [
      ...this.#alarms.map((a) => ({
        alarm: a.spec.alarmName,
        rule: a.spec.ruleName,
        severity: a.spec.severity,
        state: a.state,
      })),
      ...this.#composites.map((c) => ({
        alarm: c.spec.alarmName,
        rule: c.spec.ruleName,
        severity: c.spec.severity,
        state: c.state,
      })),
    ];
  }

  /** Evaluates every alarm whose next boundary is at or before `now`; returns the state changes in order. */
  tick(now: number): AlarmChange[] {
    const changes: AlarmChange[] = [];
    for (const a of this.#alarms) {
      const cadence = cadenceMs(a.spec);
      const boundary = Math.floor(now / cadence) * cadence;
      if (boundary <= a.lastBoundary) continue;
      // A late tick evaluates the boundaries it missed, in order (at most a few: the loop runs often).
      const first = a.lastBoundary === 0 ? boundary : Math.max(a.lastBoundary + cadence, boundary - 5 * cadence);
      for (let t = first; t <= boundary; t += cadence) {
        const evaluation = evaluateAt(a.spec, this.#options.store, t, { previousState: a.state });
        if (evaluation.state !== a.state) {
          changes.push(
            this.#change(
              a.spec.alarmName,
              a.spec.ruleName,
              a.spec.severity,
              a.spec.description,
              a.state,
              evaluation.state,
              evaluation.reason,
              t,
              a,
            ),
          );
          a.state = evaluation.state;
          a.reason = evaluation.reason;
          a.changedAt = t;
        }
      }
      a.lastBoundary = boundary;
    }
    if (changes.length > 0 || this.#composites.some((c) => c.state === 'INSUFFICIENT_DATA')) {
      const byName = new Map(this.#alarms.map((a) => [a.spec.alarmName, a.state]));
      for (const c of this.#composites) {
        const value = c.rule((name) => byName.get(name));
        const next: AlarmState = value === undefined ? 'INSUFFICIENT_DATA' : value ? 'ALARM' : 'OK';
        if (next === c.state) continue;
        const reason = `Composite rule ${next === 'ALARM' ? 'is true' : 'is false'}: ${c.spec.alarmRule}`;
        changes.push(
          this.#change(
            c.spec.alarmName,
            c.spec.ruleName,
            c.spec.severity,
            c.spec.description,
            c.state,
            next,
            reason,
            now,
            c,
            c.spec.alarmRule,
          ),
        );
        c.state = next;
        c.reason = reason;
        c.changedAt = now;
      }
    }
    return changes;
  }

  #change(
    alarmName: string,
    ruleName: string,
    severity: string,
    description: string,
    from: AlarmState,
    to: AlarmState,
    reason: string,
    at: number,
    previous: { reason: string; changedAt: number },
    alarmRule?: string,
  ): AlarmChange {
    const { region, account } = this.#options;
    const time = new Date(at).toISOString();
    const event: AlarmStateChangeEvent = {
      version: '0',
      id: randomUUID(),
      'detail-type': 'CloudWatch Alarm State Change',
      source: 'aws.cloudwatch',
      account,
      time,
      region,
      resources: [`arn:aws:cloudwatch:${region}:${account}:alarm:${alarmName}`],
      detail: {
        alarmName,
        state: { value: to, reason, timestamp: time },
        previousState: { value: from, reason: previous.reason, timestamp: new Date(previous.changedAt).toISOString() },
        configuration: { description, ...(alarmRule !== undefined ? { alarmRule } : {}) },
      },
    };
    return { alarmName, ruleName, severity, from, to, reason, at, event };
  }
}

/** A composite alarm rule: true / false, or undefined when a component it needs has no state yet. */
export type CompositeRule = (stateOf: (alarmName: string) => AlarmState | undefined) => boolean | undefined;

/**
 * Parses the composite alarm rule language the kit emits and CloudWatch documents:
 * `ALARM("name")`, `OK("name")`, `INSUFFICIENT_DATA("name")`, `TRUE`, `FALSE`, `AND`, `OR`, `NOT`,
 * parentheses. A component still INSUFFICIENT_DATA makes ALARM(..) false, as in CloudWatch.
 */
export function parseCompositeRule(source: string): CompositeRule {
  const tokens = source.match(/\(|\)|"(?:[^"\\]|\\.)*"|[A-Z_]+|\S/g) ?? [];
  let i = 0;
  const fail = (what: string): never => {
    throw new Error(`composite alarm rule '${source}': ${what} at token ${i + 1} ('${tokens[i] ?? 'end'}')`);
  };
  const expect = (t: string) => (tokens[i] === t ? i++ : fail(`expected '${t}'`));
  const primary = (): CompositeRule => {
    const t = tokens[i];
    if (t === '(') {
      i++;
      const inner = or();
      expect(')');
      return inner;
    }
    if (t === 'NOT') {
      i++;
      const inner = primary();
      return (s) => {
        const v = inner(s);
        return v === undefined ? undefined : !v;
      };
    }
    if (t === 'TRUE' || t === 'FALSE') {
      i++;
      return () => t === 'TRUE';
    }
    if (t === 'ALARM' || t === 'OK' || t === 'INSUFFICIENT_DATA') {
      i++;
      expect('(');
      const quoted = tokens[i] ?? '';
      if (!quoted.startsWith('"')) fail('expected a quoted alarm name');
      i++;
      expect(')');
      const name = JSON.parse(quoted) as string;
      return (s) => s(name) === t;
    }
    return fail('expected ALARM(..), OK(..), INSUFFICIENT_DATA(..), NOT, TRUE, FALSE or (');
  };
  const and = (): CompositeRule => {
    let left = primary();
    while (tokens[i] === 'AND') {
      i++;
      const l = left;
      const r = primary();
      left = (s) => Boolean(l(s)) && Boolean(r(s));
    }
    return left;
  };
  const or = (): CompositeRule => {
    let left = and();
    while (tokens[i] === 'OR') {
      i++;
      const l = left;
      const r = and();
      left = (s) => Boolean(l(s)) || Boolean(r(s));
    }
    return left;
  };
  const rule = or();
  if (i !== tokens.length) fail('unexpected token');
  return rule;
}
