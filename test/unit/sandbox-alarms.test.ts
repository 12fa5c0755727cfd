/**
 * The sandbox's alarm loop: metric alarms evaluated at their boundaries on the simulated clock
 * (missed ones caught up in order), composites from their `anyOf` groups, the CloudWatch state
 * change events, and the anomaly alarms it leaves out.
 */

import type { AlarmSpec } from '../../domain/contracts/alarm-spec';
import { MetricStore } from '../../domain/evaluator/store';
import type { CompositeAlarmSpec } from '../../domain/rules/slo';
import { type AlarmChange, AlarmLoop } from '../../sandbox/alarms';

const MINUTE = 60_000;
const start = Date.UTC(2026, 0, 1);

/** A 1-minute alarm on the Maximum of metric `name`: ALARM above 1, no data is OK. */
function alarm(name: string, kind: AlarmSpec['kind'] = 'threshold'): AlarmSpec {
  return {
    alarmName: `svc-dev-${name}`,
    ruleName: name,
    description: `${name} is high`,
    kind,
    metrics: [{ id: 'm1', namespace: 'Test', metricName: name, dimensions: {}, stat: 'Maximum', period: 60 }],
    ...(kind === 'anomaly'
      ? { comparison: 'GreaterThanUpperThreshold', bands: 2 }
      : { comparison: 'GreaterThanThreshold', threshold: 1 }),
    period: 60,
    evaluationPeriods: 1,
    datapointsToAlarm: 1,
    treatMissingData: 'notBreaching',
    severity: 'critical',
    labels: {},
  };
}

/** `value` for metric `name` in the simulated minute `minute` (its period starts at `start + minute`). */
function record(store: MetricStore, name: string, minute: number, value: number): void {
  store.add({ namespace: 'Test', metricName: name, dimensions: {}, timestamp: start + minute * MINUTE + 1_000, value });
}

const summary = (changes: readonly AlarmChange[]) => changes.map((c) => [c.ruleName, c.from, c.to, c.at - start]);

function loopOf(store: MetricStore, composites: readonly CompositeAlarmSpec[] = []): AlarmLoop {
  const specs = [alarm('a'), alarm('b'), alarm('c'), alarm('d', 'anomaly')];
  return new AlarmLoop({ specs, composites, store, region: 'eu-west-3', account: '123456789012' });
}

describe('AlarmLoop', () => {
  it('lists the anomaly alarms as skipped and does not evaluate them', () => {
    const loop = loopOf(new MetricStore());

    expect(loop.skipped).toEqual(['svc-dev-d']);
    expect(loop.states().map((s) => s.rule)).toEqual(['a', 'b', 'c']);
  });

  it('evaluates the boundaries a late tick missed, in order, each change with its CloudWatch event', () => {
    // Arrange: a breaches in minute 0 only, b in minutes 0 and 1
    const store = new MetricStore();
    record(store, 'a', 0, 5);
    record(store, 'a', 1, 0);
    record(store, 'b', 0, 5);
    record(store, 'b', 1, 5);
    const loop = loopOf(store);
    loop.tick(start);

    // Act: the next tick comes 3 minutes late
    const changes = loop.tick(start + 3 * MINUTE + 5_000);

    // Assert
    expect(summary(changes)).toEqual([
      ['a', 'OK', 'ALARM', MINUTE],
      ['a', 'ALARM', 'OK', 2 * MINUTE],
      ['b', 'OK', 'ALARM', MINUTE],
    ]);
    const [fired, resolved] = changes;
    expect(resolved.event).toMatchObject({
      'detail-type': 'CloudWatch Alarm State Change',
      source: 'aws.cloudwatch',
      resources: ['arn:aws:cloudwatch:eu-west-3:123456789012:alarm:svc-dev-a'],
      time: new Date(start + 2 * MINUTE).toISOString(),
      detail: {
        alarmName: 'svc-dev-a',
        state: { value: 'OK', reason: resolved.reason },
        previousState: { value: 'ALARM', reason: fired.reason, timestamp: new Date(start + MINUTE).toISOString() },
        configuration: { description: 'a is high' },
      },
    });
    expect(resolved.event.detail.configuration).not.toHaveProperty('alarmRule');
  });

  it('puts a composite in ALARM when every alarm of one of its anyOf groups is', () => {
    // Arrange: (a AND b) OR c; a and b breach in minute 0, b alone in minute 1, b and c in minute 2
    const composite: CompositeAlarmSpec = {
      alarmName: 'svc-dev-x',
      ruleName: 'x',
      description: 'x is burning',
      anyOf: [['svc-dev-a', 'svc-dev-b'], ['svc-dev-c']],
      alarmRule: '(ALARM("svc-dev-a") AND ALARM("svc-dev-b")) OR (ALARM("svc-dev-c"))',
      components: ['svc-dev-a', 'svc-dev-b', 'svc-dev-c'],
      severity: 'critical',
      labels: {},
    };
    const store = new MetricStore();
    for (const [name, minute, value] of [
      ['a', 0, 5],
      ['b', 0, 5],
      ['a', 1, 0],
      ['b', 1, 5],
      ['a', 2, 0],
      ['b', 2, 5],
      ['c', 2, 5],
    ] as const) {
      record(store, name, minute, value);
    }
    const loop = loopOf(store, [composite]);
    const compositeChanges = (now: number) => summary(loop.tick(now).filter((c) => c.ruleName === 'x'));

    // Act and assert, minute by minute
    expect(compositeChanges(start)).toEqual([['x', 'INSUFFICIENT_DATA', 'OK', 0]]);
    const [fired] = loop.tick(start + MINUTE).filter((c) => c.ruleName === 'x');
    expect(fired).toMatchObject({ from: 'OK', to: 'ALARM', reason: `Composite rule is true: ${composite.alarmRule}` });
    expect(fired.event.detail.configuration).toEqual({ description: 'x is burning', alarmRule: composite.alarmRule });
    expect(compositeChanges(start + 2 * MINUTE)).toEqual([['x', 'ALARM', 'OK', 2 * MINUTE]]);
    expect(compositeChanges(start + 3 * MINUTE)).toEqual([['x', 'OK', 'ALARM', 3 * MINUTE]]);
  });
});
