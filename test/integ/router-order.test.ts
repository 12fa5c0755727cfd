/**
 * Event order, end to end: the real router handler on dynalite with the loopback Step Functions
 * stand-in. EventBridge may deliver an alarm's state changes in any order; whatever the order, the
 * alert must end in the state of the newest change, the older ones recorded as stale, and no
 * escalation left running for an alarm whose newest state is OK.
 */
import { SFNClient } from '@aws-sdk/client-sfn';
import { SNSClient } from '@aws-sdk/client-sns';
import fc from 'fast-check';
import { resolveConfig } from '../../domain/config';
import { encodeAlarmDescription } from '../../domain/contracts/alarm-spec';
import { routerConfigOf } from '../../domain/routing/routing';
import { createHandler } from '../../lambdas/router';
import { AlertStore } from '../../lambdas/shared/alert-store';
import { Metrics } from '../../layers/instrumentation/metrics';
import config from '../../observability.config';
import { accountOf, TEST_ALARM_REGION, testAlarmArn, testAlarmFingerprint } from '../private/alarm-events';
import { DYNALITE_CREDENTIALS, DYNALITE_REGION, type Dynalite, startDynalite } from '../private/dynalite';
import { type StepFunctionsStandIn, startStepFunctions } from '../private/router-standins';

const STATE_MACHINE = 'arn:aws:states:us-east-1:123456789012:stateMachine:maif-escalation';
const T0 = Date.parse('2026-11-24T10:00:00Z');
const ALARM = 'maif-prod-order_check';
const routerConfig = routerConfigOf(resolveConfig(config, 'prod').alerting, [ALARM]);

let db: Dynalite;
let sfn: StepFunctionsStandIn;
let sfnClient: SFNClient;
let sns: SNSClient;
let handler: ReturnType<typeof createHandler>;
let store: AlertStore;

beforeAll(async () => {
  [db, sfn] = await Promise.all([startDynalite(), startStepFunctions()]);
  sfnClient = new SFNClient({
    region: DYNALITE_REGION,
    credentials: DYNALITE_CREDENTIALS,
    endpoint: sfn.endpoint,
    maxAttempts: 1,
  });
  // no notice is ever sent here (nothing runs the escalation), so SNS is never reached
  sns = new SNSClient({ region: DYNALITE_REGION, credentials: DYNALITE_CREDENTIALS, endpoint: 'http://127.0.0.1:9' });
  handler = createHandler(routerConfig, {
    dynamodb: db.client,
    sfn: sfnClient,
    sns,
    metrics: new Metrics({ namespace: 'MAIF', service: 'maif', strict: false, sink: () => undefined }),
    now: () => T0,
    log: () => undefined,
    env: { tableName: db.tableName, stateMachineArn: STATE_MACHINE, topicArns: {} },
  });
  store = new AlertStore({ client: db.client, tableName: db.tableName, now: () => T0 });
});

afterAll(async () => {
  sfnClient?.destroy();
  sns?.destroy();
  await Promise.all([db?.stop(), sfn?.loopback.close()]);
});

interface Change {
  readonly id: string;
  readonly state: 'ALARM' | 'OK';
  /** seconds after T0: the state change's own timestamp */
  readonly at: number;
}

/** A case of its own: one `service` label, hence one account, hence one alarm ARN and alert. */
let cases = 0;
function newCase(): { labels: Record<string, string>; fingerprint: string } {
  cases += 1;
  const labels = { team: 'platform', service: `order-${cases}` };
  return { labels, fingerprint: testAlarmFingerprint(ALARM, labels) };
}

function event(change: Change, labels: Record<string, string>) {
  return {
    version: '0',
    id: change.id,
    'detail-type': 'CloudWatch Alarm State Change',
    source: 'aws.cloudwatch',
    account: accountOf(labels),
    // EventBridge's own time says nothing about order: the same for every delivery
    time: new Date(T0 + 3_600_000).toISOString(),
    region: TEST_ALARM_REGION,
    resources: [testAlarmArn(ALARM, labels)],
    detail: {
      alarmName: ALARM,
      // CloudWatch's format: milliseconds and a +0000 offset
      state: {
        value: change.state,
        reason: 'Threshold Crossed',
        timestamp: new Date(T0 + change.at * 1000).toISOString().replace('Z', '+0000'),
      },
      previousState: { value: change.state === 'OK' ? 'ALARM' : 'OK' },
      configuration: {
        description: encodeAlarmDescription('order check', { rule: 'system_down', severity: 'critical', labels }),
      },
    },
  };
}

function permutations<T>(items: readonly T[]): T[][] {
  if (items.length <= 1) return [[...items]];
  return items.flatMap((item, i) =>
    permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [item, ...rest]),
  );
}

/** The newest change; at the same instant an ALARM wins over an OK (the documented tie-break). */
function newestOf(changes: readonly Change[]): Change {
  return changes.reduce((a, b) => (b.at > a.at || (b.at === a.at && b.state === 'ALARM') ? b : a));
}

/** Executions of this alert that were started and never stopped. */
function running(fingerprint: string): string[] {
  return [...sfn.executions.keys()].filter((name) => name.startsWith(`${fingerprint}-`) && !sfn.stopped.includes(name));
}

/** Delivers `order`, one after the other; returns each delivery's outcome. */
async function deliver(order: readonly Change[], labels: Record<string, string>): Promise<string[]> {
  const outcomes: string[] = [];
  for (const change of order) outcomes.push((await handler(event(change, labels))).outcome);
  return outcomes;
}

/** The alert's end state agrees with its newest change, whatever the order of delivery. */
async function expectEndsInNewest(fingerprint: string, changes: readonly Change[]): Promise<void> {
  const newest = newestOf(changes);
  const record = await store.getAlert(fingerprint);
  expect(record?.status === 'resolved' ? 'OK' : 'ALARM').toBe(newest.state);
  expect(record?.stateAt).toBe(T0 + newest.at * 1000);
  const live = running(fingerprint);
  if (newest.state === 'OK') expect(live).toEqual([]);
  else expect(live).toEqual([`${fingerprint}-${record?.episode}`]);
}

describe('router: events in any order', () => {
  const scenarios: Record<string, readonly Change['state'][]> = {
    'ALARM(t1) OK(t2) ALARM(t3)': ['ALARM', 'OK', 'ALARM'],
    'OK(t1) ALARM(t2) OK(t3)': ['OK', 'ALARM', 'OK'],
  };
  for (const [scenario, states] of Object.entries(scenarios)) {
    const changes: Change[] = states.map((state, i) => ({ id: `t${i + 1}`, state, at: (i + 1) * 60 }));
    for (const order of permutations(changes)) {
      const delivered = order.map((c) => `${c.state}(${c.id})`).join(', ');
      it(`${scenario} delivered as ${delivered} ends in the newest state`, async () => {
        const { labels, fingerprint } = newCase();
        const ids = (o: readonly Change[]) => o.map((c) => ({ ...c, id: `${fingerprint}-${c.id}` }));

        const outcomes = await deliver(ids(order), labels);

        await expectEndsInNewest(fingerprint, ids(changes));
        // stale: exactly the changes delivered after a newer one
        const stale = order.map((c, i) => order.slice(0, i).some((earlier) => earlier.at > c.at));
        expect(outcomes.map((o) => o === 'stale')).toEqual(stale);
        const record = await store.getAlert(fingerprint);
        expect(record?.timeline?.map((e) => [e.eventId, e.outcome])).toEqual(
          ids(order).map((c, i) => [c.id, stale[i] ? 'stale' : 'applied']),
        );
      });
    }
  }

  it('ends in the newest state when the three changes arrive at once, round after round', async () => {
    for (const states of Object.values(scenarios)) {
      for (let round = 0; round < 5; round++) {
        const { labels, fingerprint } = newCase();
        const changes: Change[] = states.map((state, i) => ({ id: `${fingerprint}-${i}`, state, at: (i + 1) * 60 }));

        await Promise.all(changes.map((c) => handler(event(c, labels))));

        await expectEndsInNewest(fingerprint, changes);
      }
    }
  });

  it('keeps only the last 20 events in the timeline', async () => {
    const { labels, fingerprint } = newCase();
    const changes: Change[] = Array.from({ length: 25 }, (_, i) => ({
      id: `${fingerprint}-${i}`,
      state: i % 2 === 0 ? 'ALARM' : 'OK',
      at: i,
    }));

    await deliver(changes, labels);

    const timeline = (await store.getAlert(fingerprint))?.timeline ?? [];
    expect(timeline.map((e) => e.eventId)).toEqual(changes.slice(5).map((c) => c.id));
  });

  it('ends in the newest state for any interleaving of timestamped changes (fast-check)', async () => {
    const change = fc.record({
      state: fc.constantFrom<'ALARM' | 'OK'>('ALARM', 'OK'),
      at: fc.integer({ min: 0, max: 4 }),
    });
    await fc.assert(
      fc.asyncProperty(
        fc.array(change, { minLength: 1, maxLength: 6 }),
        fc.array(fc.nat(), { minLength: 6, maxLength: 6 }),
        fc.array(fc.boolean(), { minLength: 6, maxLength: 6 }),
        async (drawn, shuffle, redeliver) => {
          const { labels, fingerprint } = newCase();
          const changes: Change[] = drawn.map((c, i) => ({ ...c, id: `${fingerprint}-${i}` }));
          // a delivery order: a random permutation, some events delivered twice (EventBridge is at least once)
          const order = changes
            .map((c, i) => ({ c, key: shuffle[i] ?? 0 }))
            .sort((a, b) => a.key - b.key)
            .flatMap(({ c }, i) => (redeliver[i] ? [c, c] : [c]));

          await deliver(order, labels);

          await expectEndsInNewest(fingerprint, changes);
        },
      ),
      { numRuns: 100 },
    );
  });
});
