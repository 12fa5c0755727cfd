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
import type { AlarmSpec } from '../domain/contracts/alarm-spec';
import type { AlarmStateChangeEvent } from '../domain/contracts/events';
import { type AlarmState, replay } from '../domain/evaluator/evaluator';
import type { MetricStore } from '../domain/evaluator/store';
import type { CompositeAlarmSpec } from '../domain/rules/slo';

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
      state: 'INSUFFICIENT_DATA',
      reason: 'Unchecked: Initial alarm creation',
      changedAt: 0,
    }));
  }

  /** Every alarm and composite with its state now. */
  states(): { alarm: string; rule: string; severity: string; state: AlarmState }[] {
    return [...this.#alarms, ...this.#composites].map((a) => ({
      alarm: a.spec.alarmName,
      rule: a.spec.ruleName,
      severity: a.spec.severity,
      state: a.state,
    }));
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
      const run = replay(a.spec, this.#options.store, first, boundary, cadence, { initialState: a.state });
      for (const t of run.transitions) changes.push(this.#change(a, t.to, t.reason, t.time));
      a.lastBoundary = boundary;
    }
    if (changes.length > 0 || this.#composites.some((c) => c.state === 'INSUFFICIENT_DATA')) {
      // A component not in ALARM (INSUFFICIENT_DATA, or not evaluated here) fails its group, as in CloudWatch.
      const inAlarm = new Set(this.#alarms.filter((a) => a.state === 'ALARM').map((a) => a.spec.alarmName));
      for (const c of this.#composites) {
        const next: AlarmState = c.spec.anyOf.some((group) => group.every((name) => inAlarm.has(name)))
          ? 'ALARM'
          : 'OK';
        if (next === c.state) continue;
        const reason = `Composite rule ${next === 'ALARM' ? 'is true' : 'is false'}: ${c.spec.alarmRule}`;
        changes.push(this.#change(c, next, reason, now));
      }
    }
    return changes;
  }

  /** Moves `tracked` to `to` at `at`; returns the change, with the event CloudWatch sends for it. */
  #change(tracked: Tracked | TrackedComposite, to: AlarmState, reason: string, at: number): AlarmChange {
    const { spec, state: from } = tracked;
    const { alarmName, ruleName, severity, description } = spec;
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
        previousState: { value: from, reason: tracked.reason, timestamp: new Date(tracked.changedAt).toISOString() },
        configuration: { description, ...('alarmRule' in spec ? { alarmRule: spec.alarmRule } : {}) },
      },
    };
    tracked.state = to;
    tracked.reason = reason;
    tracked.changedAt = at;
    return { alarmName, ruleName, severity, from, to, reason, at, event };
  }
}
