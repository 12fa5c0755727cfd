import { SNSClient } from '@aws-sdk/client-sns';
import { ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { Alert, EscalationInput, Notification } from '../../domain/contracts/alert';
import { ESCALATION_STATES as S } from '../../domain/contracts/escalation';
import { createHandler, type EscalationTask } from '../../lambdas/escalation/index';
import { AlertStore } from '../../lambdas/shared/alert-store';
import { dispatch } from '../../lambdas/shared/dispatch';
import { TASK_RETRY } from '../../lib/alerting-pipeline/escalation';
import { CREDENTIALS, type Fauxqs, REGION, startDynalite, startFauxqs } from '../private/ack-api-standins';
import { escalationStack, firingAlert } from '../private/escalation-stack';
import { type EventLog, enteredStates, lambdaInvoke, onlyDefinition, runLocal } from '../private/local-sfn';

const TABLE = 'maif-alerts';
const CHANNELS = ['slack', 'pagerduty', 'email'] as const;

let definition: object;
let dynalite: Awaited<ReturnType<typeof startDynalite>>;
let fauxqs: Fauxqs;
let sns: SNSClient;
let sqs: SQSClient;
let store: AlertStore;
/** Every message taken off the channel queues so far, with its channel. */
const delivered: { channel: string; notification: Notification }[] = [];

beforeAll(async () => {
  // The definition CDK synthesizes, never a copy.
  definition = onlyDefinition(escalationStack().template);
  dynalite = await startDynalite(TABLE);
  fauxqs = await startFauxqs(CHANNELS);
  sns = new SNSClient({ region: REGION, endpoint: fauxqs.address, credentials: CREDENTIALS });
  sqs = new SQSClient({ region: REGION, endpoint: fauxqs.address, credentials: CREDENTIALS });
  store = new AlertStore({ client: dynalite.client, tableName: TABLE });
});

afterAll(async () => {
  sns.destroy();
  sqs.destroy();
  fauxqs.child.kill();
  await dynalite.stop();
});

/**
 * What real SNS delivers to an SQS subscription of a MessageStructure 'json' publish: the `sqs`
 * key (else `default`). fauxqs does not implement MessageStructure and delivers the whole
 * structure, so the test applies SNS's rule here.
 */
function sqsView(body: string): Notification {
  const structure = JSON.parse(body) as Record<string, string>;
  return JSON.parse(structure.sqs ?? structure.default) as Notification;
}

/** Drains the channel queues into `delivered`; returns what this alert received, as `channel:kind`. */
async function receivedBy(fingerprint: string): Promise<string[]> {
  for (const channel of CHANNELS) {
    for (;;) {
      const out = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: fauxqs.queues[channel], MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }),
      );
      if (!out.Messages?.length) break;
      for (const m of out.Messages) delivered.push({ channel, notification: sqsView(m.Body ?? '') });
    }
  }
  return delivered
    .filter((d) => d.notification.alert.fingerprint === fingerprint)
    .map((d) => `${d.channel}:${d.notification.kind}`);
}

let counter = 0;
function nextAlert(): Promise<{ alert: Alert; episode: number }> {
  counter += 1;
  return firingAlert(store, counter);
}

function inputFor(alert: Alert, episode: number, repeat = 0): EscalationInput {
  return {
    alert,
    episode,
    levels: [
      { name: 'notify', channels: ['slack'], delaySeconds: 0 },
      { name: 'on_call', channels: ['pagerduty'], delaySeconds: 300 },
      { name: 'on_call_manager', channels: ['email', 'slack'], delaySeconds: 900 },
    ],
    repeat,
  };
}

type Handler = (task: EscalationTask) => Promise<unknown>;

async function execute(
  input: EscalationInput,
  wrapNotify: (handler: Handler) => Handler = (h) => h,
  topicArns: Record<string, string> = fauxqs.topics,
): Promise<{ output: unknown; error?: Error; states: string[]; events: EventLog[] }> {
  const handler = createHandler({}, { store, sns, topicArns }) as Handler;
  const run = runLocal(definition, input, {
    tasks: { [S.check]: lambdaInvoke(handler), [S.notify]: lambdaInvoke(wrapNotify(handler)) },
    waits: { [S.wait]: 0 },
    retryIntervals: { [S.check]: 0, [S.notify]: 0 },
  });
  let output: unknown;
  let error: Error | undefined;
  try {
    output = await run.result;
  } catch (e) {
    error = e as Error;
  }
  const events = await run.events;
  return { output, error, states: enteredStates(events), events };
}

describe('escalation state machine (synthesized definition, run locally)', () => {
  it('notifies each level after its delay and repeats the levels past the first when nobody acknowledges', async () => {
    const { alert, episode } = await nextAlert();

    const { states, events, error } = await execute(inputFor(alert, episode, 1));

    expect(error).toBeUndefined();
    expect(states.at(-1)).toBe(S.complete);
    const waits = events
      .flatMap((e) => (e.type === 'StateEntered' && e.state?.name === S.wait ? [e.state.input] : []))
      .map((input) => (input as { cursor: { delaySeconds: number } }).cursor.delaySeconds);
    expect(waits).toEqual([0, 300, 900, 300, 900]);
    expect((await receivedBy(alert.fingerprint)).sort()).toEqual(
      [
        'slack:firing',
        'pagerduty:escalation',
        'email:escalation',
        'slack:escalation',
        'pagerduty:repeat',
        'email:repeat',
        'slack:repeat',
      ].sort(),
    );
  });

  it('stops every later level when the alert is acknowledged during escalation', async () => {
    const { alert, episode } = await nextAlert();
    const ackAfterFirstLevel =
      (handler: Handler): Handler =>
      async (task) => {
        const result = await handler(task);
        if (task.cursor.step === 0) expect(await store.acknowledge(alert.fingerprint, 'alice')).toBe(true);
        return result;
      };

    const { output, states } = await execute(inputFor(alert, episode, 2), ackAfterFirstLevel);

    expect(states.at(-1)).toBe(S.stopped);
    expect(states.filter((s) => s === S.notify)).toHaveLength(1);
    expect(output).toMatchObject({ check: { proceed: false, reason: 'acked' } });
    expect(await receivedBy(alert.fingerprint)).toEqual(['slack:firing']);
  });

  it('sends exactly one resolved notice per notified channel and stops escalating on resolve', async () => {
    const { alert, episode } = await nextAlert();
    const resolveAfterSecondLevel =
      (handler: Handler): Handler =>
      async (task) => {
        const result = await handler(task);
        if (task.cursor.step === 1) {
          // What the router does on `resolved`, delivered three times at once.
          const resolved: Notification = {
            kind: 'resolved',
            alert: { ...alert, status: 'resolved' },
            episode,
            level: 0,
            sentAt: new Date().toISOString(),
          };
          const transitions = await Promise.all([1, 2, 3].map(() => store.resolve(alert.fingerprint)));
          expect(transitions.filter(Boolean)).toHaveLength(1);
          await Promise.all(
            [1, 2, 3].map(() => dispatch(resolved, ['slack', 'pagerduty'], { sns, topicArns: fauxqs.topics, store })),
          );
        }
        return result;
      };

    const { output, states } = await execute(inputFor(alert, episode), resolveAfterSecondLevel);

    expect(states.at(-1)).toBe(S.stopped);
    expect(output).toMatchObject({ check: { reason: 'resolved' } });
    expect((await receivedBy(alert.fingerprint)).sort()).toEqual(
      ['pagerduty:escalation', 'pagerduty:resolved', 'slack:firing', 'slack:resolved'].sort(),
    );
  });

  it('does not notify twice when a notify step is retried after it already sent', async () => {
    const { alert, episode } = await nextAlert();
    let crashes = 0;
    const crashAfterSending =
      (handler: Handler): Handler =>
      async (task) => {
        const result = await handler(task);
        if (crashes < 2) {
          crashes += 1;
          throw new Error('Lambda timed out after sending');
        }
        return result;
      };

    const { states, error } = await execute(
      { ...inputFor(alert, episode), levels: inputFor(alert, episode).levels.slice(0, 2) },
      crashAfterSending,
    );

    expect(error).toBeUndefined();
    expect(states.at(-1)).toBe(S.complete);
    expect(crashes).toBe(2);
    expect((await receivedBy(alert.fingerprint)).sort()).toEqual(['pagerduty:escalation', 'slack:firing']);
  });

  it('releases the claim of a publish that keeps failing and ends in the watched failure state', async () => {
    const { alert, episode } = await nextAlert();
    const missing = { slack: `arn:aws:sns:${REGION}:000000000000:maif-does-not-exist` };

    const { error, states, events } = await execute(inputFor(alert, episode), undefined, missing);

    expect(error?.message).toMatch(/An escalation task still failed after its retries/);
    expect(states.at(-1)).toBe(S.failed);
    const retries = events.filter((e) => e.type === 'StateRetried' && e.state?.name === S.notify);
    expect(retries).toHaveLength(TASK_RETRY.maxAttempts);
    expect(await store.listNotifications(alert.fingerprint, episode)).toEqual([]);
  });

  it('rejects an input without levels, naming the field', async () => {
    const { alert, episode } = await nextAlert();
    const handler = createHandler({}, { store, sns, topicArns: fauxqs.topics });
    const input = { ...inputFor(alert, episode), levels: [] };
    const cursor = { step: 0, level: 0, kind: 'firing' as const, delaySeconds: 0, done: false };
    await expect(handler({ action: 'check', input, cursor })).rejects.toThrow(
      'escalation input levels: 0 levels (use 1 to 20)',
    );
  });

  it('stops an execution whose episode was superseded by a newer one', async () => {
    const { alert, episode } = await nextAlert();
    await store.resolve(alert.fingerprint);
    const reopened = await store.upsertFiring(alert);
    expect(reopened.episode).toBe(episode + 1);

    const { output, states } = await execute(inputFor(alert, episode));

    expect(states.at(-1)).toBe(S.stopped);
    expect(output).toMatchObject({ check: { reason: 'newer-episode' } });
    expect(await receivedBy(alert.fingerprint)).toEqual([]);
  });
});
