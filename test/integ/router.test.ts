/**
 * The real router handler against real local stand-ins: dynalite (the DynamoDB protocol) for the
 * alert state, a loopback Step Functions endpoint that keeps executions by name, and fauxqs (SNS
 * topics fanned out to SQS queues, and the router DLQ), all reached by the real AWS SDK clients.
 * The clock is injected; nothing asserts on time.
 */
import { SFNClient } from '@aws-sdk/client-sfn';
import { SNSClient } from '@aws-sdk/client-sns';
import { DeleteMessageBatchCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { resolveConfig } from '../../domain/config';
import { encodeAlarmDescription } from '../../domain/contracts/alarm-spec';
import type { EscalationInput, Notification } from '../../domain/contracts/alert';
import { fingerprintOf } from '../../domain/contracts/events';
import { routerConfigOf } from '../../domain/routing/routing';
import { createHandler, ROUTER_METRIC } from '../../lambdas/router';
import { AlertStore } from '../../lambdas/shared/alert-store';
import { dispatch } from '../../lambdas/shared/dispatch';
import { Metrics } from '../../layers/instrumentation/metrics';
import config from '../../observability.config';
import { accountOf, testAlarmArn, testAlarmFingerprint } from '../private/alarm-events';
import { DYNALITE_CREDENTIALS, DYNALITE_REGION, type Dynalite, startDynalite } from '../private/dynalite';
import {
  type RouterFauxqs,
  type StepFunctionsStandIn,
  startRouterFauxqs,
  startStepFunctions,
} from '../private/router-standins';

const region = DYNALITE_REGION;
const credentials = DYNALITE_CREDENTIALS;
const STATE_MACHINE = 'arn:aws:states:us-east-1:123456789012:stateMachine:maif-escalation';
/** A Tuesday, 11:00 in Paris: business hours. */
const T0 = Date.parse('2026-11-24T10:00:00Z');
const MINUTE = 60_000;

/** The alarms of this file are the stack's own: the router trusts their metadata. */
const TRUSTED_ALARMS = ['maif-prod-system_down', 'maif-prod-high_latency', 'maif-prod-slo_fast_burn'];
const routerConfig = routerConfigOf(resolveConfig(config, 'prod').alerting, TRUSTED_ALARMS);

let db: Dynalite;
let sfn: StepFunctionsStandIn;
let fauxqs: RouterFauxqs;
let sqs: SQSClient;
let sns: SNSClient;
let sfnClient: SFNClient;

beforeAll(async () => {
  [db, sfn, fauxqs] = await Promise.all([
    startDynalite(),
    startStepFunctions(),
    startRouterFauxqs(region, ['pagerduty', 'slack', 'email']),
  ]);
  sqs = new SQSClient({ region, credentials, endpoint: fauxqs.address });
  sns = new SNSClient({ region, credentials, endpoint: fauxqs.address });
  sfnClient = new SFNClient({ region, credentials, endpoint: sfn.endpoint, maxAttempts: 1 });
});

afterAll(async () => {
  sqs?.destroy();
  sns?.destroy();
  sfnClient?.destroy();
  await Promise.all([db?.stop(), sfn?.loopback.close()]);
  if (fauxqs?.child.pid !== undefined) process.kill(fauxqs.child.pid);
});

let eventSeq = 0;

/** The alert fingerprint of the kit alarm of `rule` raised with these labels (by its ARN). */
const alarmFp = (rule: string, labels: Record<string, string>) => testAlarmFingerprint(`maif-prod-${rule}`, labels);

function alarmEvent(
  state: 'ALARM' | 'OK' | 'INSUFFICIENT_DATA',
  rule: string,
  severity: 'critical' | 'warning' | 'info',
  labels: Record<string, string>,
) {
  eventSeq += 1;
  return {
    version: '0',
    id: `evt-${eventSeq}-${rule}`,
    'detail-type': 'CloudWatch Alarm State Change',
    source: 'aws.cloudwatch',
    account: accountOf(labels),
    time: '2026-11-24T10:00:00Z',
    region,
    resources: [testAlarmArn(`maif-prod-${rule}`, labels)],
    detail: {
      alarmName: `maif-prod-${rule}`,
      // each state change one second after the one made before it: the router orders by this time
      state: {
        value: state,
        reason: `Threshold Crossed: ${rule}`,
        timestamp: new Date(T0 + eventSeq * 1000).toISOString(),
      },
      previousState: { value: state === 'OK' ? 'ALARM' : 'OK' },
      configuration: {
        description: encodeAlarmDescription(`${rule} fired`, {
          rule,
          severity,
          labels,
          runbook: 'https://runbooks.example.com/x',
        }),
        metrics: [],
      },
    },
  };
}

function kitAlert(alertName: string, severity: 'critical' | 'warning' | 'info', labels: Record<string, string>) {
  eventSeq += 1;
  return {
    id: `kit-${eventSeq}`,
    'detail-type': 'MAIF Alert',
    source: 'maif.observability',
    time: '2026-11-24T10:00:00Z',
    detail: { alertName, severity, labels, summary: `${alertName}: boom`, rule: alertName, event: {}, occurrences: 1 },
  };
}

function harness(
  options: {
    now?: () => number;
    sleep?: (ms: number) => Promise<void>;
    lines?: string[];
    config?: typeof routerConfig;
  } = {},
) {
  const lines = options.lines ?? [];
  const metrics = new Metrics({ namespace: 'MAIF', service: 'maif', strict: false, sink: (line) => lines.push(line) });
  const handler = createHandler(options.config ?? routerConfig, {
    dynamodb: db.client,
    sfn: sfnClient,
    sns,
    sqs,
    metrics,
    now: options.now,
    sleep: options.sleep,
    log: () => undefined,
    env: {
      tableName: db.tableName,
      stateMachineArn: STATE_MACHINE,
      topicArns: fauxqs.topics,
      dlqUrl: fauxqs.dlqUrl,
    },
  });
  const store = new AlertStore({ client: db.client, tableName: db.tableName, now: options.now });
  return { handler, store, lines };
}

/** A clock the test moves; `sleep` advances it instead of waiting. */
function fakeClock(start: number) {
  const clock = { t: start };
  return {
    clock,
    now: () => clock.t,
    sleep: async (ms: number) => {
      clock.t += ms;
      await new Promise((resolve) => setImmediate(resolve));
    },
  };
}

async function drain(queueUrl: string): Promise<string[]> {
  const bodies: string[] = [];
  for (;;) {
    const out = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }),
    );
    const messages = out.Messages ?? [];
    if (messages.length === 0) return bodies;
    bodies.push(...messages.map((m) => m.Body ?? ''));
    await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: messages.map((m, i) => ({ Id: `d${i}`, ReceiptHandle: m.ReceiptHandle })),
      }),
    );
  }
}

function notificationOf(body: string): Notification {
  const parsed = JSON.parse(body) as Record<string, unknown>;
  // MessageStructure 'json' delivers the protocol's entry (sqs) to the queue
  return (typeof parsed.sqs === 'string' ? JSON.parse(parsed.sqs) : parsed) as Notification;
}

function executionsOf(fingerprint: string): [string, EscalationInput][] {
  return [...sfn.executions.entries()].filter(([name]) => name.startsWith(fingerprint)) as [string, EscalationInput][];
}

describe('router', () => {
  it('starts exactly one escalation for 100 concurrent deliveries of one alarm event', async () => {
    const { handler } = harness({ sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)) });
    const labels = { team: 'platform', service: 'concurrency' };
    const event = alarmEvent('ALARM', 'system_down', 'critical', labels);
    const startsBefore = sfn.startCalls();

    const results = await Promise.all(Array.from({ length: 100 }, () => handler(event)));

    expect(sfn.startCalls() - startsBefore).toBe(1);
    const fp = alarmFp('system_down', labels);
    const started = executionsOf(fp);
    expect(started.map(([name]) => name)).toEqual([`${fp}-1`]);
    expect(results.filter((r) => r.outcome === 'paged')).toHaveLength(1);
    const input = started[0]?.[1] as EscalationInput;
    expect(input.levels.map((l) => l.name)).toEqual(['notify', 'on_call_manager']);
    expect(input.levels[0]?.channels).toEqual(['pagerduty', 'slack']);
    expect(input.levels[1]).toEqual({ name: 'on_call_manager', channels: ['pagerduty', 'email'], delaySeconds: 900 });
    expect(input.repeat).toBe(2);
  });

  it('pages once when the StartExecution reply is lost and Lambda retries the event', async () => {
    const { handler } = harness();
    const labels = { team: 'platform', service: 'lost-reply' };
    const event = alarmEvent('ALARM', 'system_down', 'critical', labels);
    sfn.loseNextReply = true;

    await expect(handler(event)).rejects.toThrow();
    const retry = await handler(event);

    const fp = alarmFp('system_down', labels);
    expect(executionsOf(fp)).toHaveLength(1);
    expect(retry.outcome).toBe('paged');
    expect(await handler(event)).toMatchObject({ outcome: 'duplicate' });
  });

  it('takes over the start claim of a router that crashed after its write once the lease lapses', async () => {
    const { now, sleep } = fakeClock(T0);
    const { handler, store } = harness({ now, sleep });
    const labels = { team: 'platform', service: 'crashed' };
    const event = alarmEvent('ALARM', 'system_down', 'critical', labels);
    const fp = alarmFp('system_down', labels);
    // the crashed router's writes: the alert, and a claim that nobody will release
    await store.upsertFiring({
      fingerprint: fp,
      alertName: 'system_down',
      status: 'firing',
      severity: 'critical',
      labels,
      annotations: { summary: 'x' },
      startsAt: new Date(T0).toISOString(),
      source: 'cloudwatch',
      eventId: event.id,
    });
    expect(await store.claimStart(fp, 1, 'crashed-router', 15_000)).toBe('claimed');

    const retry = await handler(event);

    expect(retry.outcome).toBe('paged');
    expect(executionsOf(fp).map(([name]) => name)).toEqual([`${fp}-1`]);
  });

  it('suppresses an alert during a silence and pages again once the silence ends', async () => {
    const { clock, now } = fakeClock(T0);
    const { handler, store } = harness({ now });
    const labels = { team: 'platform', service: 'silenced' };
    await store.putSilence({
      id: 'sil-1',
      matchers: [{ name: 'service', value: 'silenced' }],
      startsAt: new Date(T0).toISOString(),
      endsAt: new Date(T0 + 60 * MINUTE).toISOString(),
      comment: 'deploy',
      createdBy: 'alice',
    });
    const fp = alarmFp('system_down', labels);

    const during = await handler(alarmEvent('ALARM', 'system_down', 'critical', labels));
    clock.t = T0 + 90 * MINUTE;
    await handler(alarmEvent('OK', 'system_down', 'critical', labels));
    clock.t = T0 + 120 * MINUTE;
    const after = await handler(alarmEvent('ALARM', 'system_down', 'critical', labels));

    expect(during).toMatchObject({ outcome: 'silenced', episode: 1 });
    expect(after).toMatchObject({ outcome: 'paged', episode: 2 });
    expect(executionsOf(fp).map(([name]) => name)).toEqual([`${fp}-2`]);
  });

  it('suppresses an alert during a maintenance window and pages again after it', async () => {
    const { clock, now } = fakeClock(T0);
    const { handler, store } = harness({ now });
    const labels = { team: 'platform', service: 'maintained' };
    await store.putMaintenance({
      id: 'mw-1',
      startsAt: new Date(T0 - MINUTE).toISOString(),
      endsAt: new Date(T0 + 30 * MINUTE).toISOString(),
      matchers: [{ name: 'service', value: 'maintained' }],
      comment: 'database upgrade',
      createdBy: 'bob',
    });

    const during = await handler(alarmEvent('ALARM', 'system_down', 'critical', labels));
    clock.t = T0 + 40 * MINUTE;
    await handler(alarmEvent('OK', 'system_down', 'critical', labels));
    clock.t = T0 + 60 * MINUTE;
    const after = await handler(alarmEvent('ALARM', 'system_down', 'critical', labels));

    expect(during.outcome).toBe('maintenance');
    expect(after.outcome).toBe('paged');
  });

  it('folds alerts of one group into the first one during group_wait, then batches by group_interval', async () => {
    const { clock, now } = fakeClock(T0);
    const { handler } = harness({ now });
    // group_by service, severity; group_wait 30s, group_interval 5m
    const first = await handler(kitAlert('high_latency', 'warning', { team: 'platform', service: 'grouped' }));
    clock.t = T0 + 10_000;
    const second = await handler(kitAlert('high_error_rate', 'warning', { team: 'platform', service: 'grouped' }));
    clock.t = T0 + 60_000;
    const third = await handler(kitAlert('memory_leak', 'warning', { team: 'platform', service: 'grouped' }));

    expect(first.outcome).toBe('paged');
    expect(second).toMatchObject({ outcome: 'grouped' });
    expect(third.outcome).toBe('paged');
    const wait = (name: string, labels: Record<string, string>) =>
      executionsOf(fingerprintOf(name, labels))[0]?.[1].levels[0]?.delaySeconds;
    expect(wait('high_latency', { team: 'platform', service: 'grouped' })).toBe(30);
    // the batch flushed at T0+30s; the next one waits for T0+30s+5m
    expect(wait('memory_leak', { team: 'platform', service: 'grouped' })).toBe(270);
    expect(executionsOf(fingerprintOf('high_error_rate', { team: 'platform', service: 'grouped' }))).toHaveLength(0);
  });

  it('repeats a still-firing alert once per repeat_interval to the channels it was sent to', async () => {
    const { clock, now } = fakeClock(T0);
    const { handler, store } = harness({ now });
    const labels = { team: 'platform', service: 'repeating' };
    const fp = fingerprintOf('high_latency', labels);
    await handler(kitAlert('high_latency', 'warning', labels));
    // the escalation's level 0 (its dispatch) sends the first notice
    const [, input] = executionsOf(fp)[0] as [string, EscalationInput];
    await dispatch(
      { kind: 'firing', alert: input.alert, episode: 1, level: 0, sentAt: new Date(T0).toISOString() },
      input.levels[0]?.channels ?? [],
      { sns, topicArns: fauxqs.topics, store },
    );
    await drain(fauxqs.queues.slack as string);

    clock.t = T0 + 60 * MINUTE;
    const early = await handler(kitAlert('high_latency', 'warning', labels));
    clock.t = T0 + 13 * 60 * MINUTE;
    const late = await Promise.all([
      handler(kitAlert('high_latency', 'warning', labels)),
      handler(kitAlert('high_latency', 'warning', labels)),
    ]);

    expect(early.outcome).toBe('duplicate');
    expect(late.map((r) => r.outcome)).toEqual(['repeated', 'repeated']);
    const notices = (await drain(fauxqs.queues.slack as string)).map(notificationOf);
    expect(notices.map((n) => n.kind)).toEqual(['repeat']);
  });

  it('mutes a warning while a critical alert of the same service fires', async () => {
    const { handler } = harness({ now: () => T0 });
    await handler(alarmEvent('ALARM', 'system_down', 'critical', { team: 'platform', service: 'inhibit' }));

    const muted = await handler(
      alarmEvent('ALARM', 'high_latency', 'warning', { team: 'platform', service: 'inhibit' }),
    );
    const other = await handler(
      alarmEvent('ALARM', 'high_latency', 'warning', { team: 'platform', service: 'other-svc' }),
    );

    expect(muted.outcome).toBe('inhibited');
    expect(other.outcome).toBe('paged');
  });

  it('sends exactly one resolved notice per notified channel and stops the escalation', async () => {
    const { handler, store } = harness({ now: () => T0 });
    const labels = { team: 'platform', service: 'resolving' };
    const fp = alarmFp('system_down', labels);
    await handler(alarmEvent('ALARM', 'system_down', 'critical', labels));
    const [, input] = executionsOf(fp)[0] as [string, EscalationInput];
    await dispatch(
      { kind: 'firing', alert: input.alert, episode: 1, level: 0, sentAt: new Date(T0).toISOString() },
      ['slack'],
      { sns, topicArns: fauxqs.topics, store },
    );
    await drain(fauxqs.queues.slack as string);
    await drain(fauxqs.queues.pagerduty as string);

    const ok = alarmEvent('OK', 'system_down', 'critical', labels);
    const results = await Promise.all([handler(ok), handler(ok), handler({ ...ok, id: `${ok.id}-again` })]);

    expect(results.every((r) => r.outcome === 'resolved' || r.outcome === 'duplicate')).toBe(true);
    const slack = (await drain(fauxqs.queues.slack as string)).map(notificationOf);
    expect(slack.map((n) => [n.kind, n.alert.status])).toEqual([['resolved', 'resolved']]);
    expect(await drain(fauxqs.queues.pagerduty as string)).toEqual([]);
    expect(sfn.stopped).toContain(`${fp}-1`);
    expect((await store.getAlert(fp))?.status).toBe('resolved');
  });

  it('holds a flapping alarm that fires again within 10 minutes of its page until the window ends', async () => {
    const { clock, now } = fakeClock(T0);
    const { handler } = harness({ now });
    const labels = { team: 'platform', service: 'flapping' };
    const fp = alarmFp('system_down', labels);

    await handler(alarmEvent('ALARM', 'system_down', 'critical', labels));
    clock.t = T0 + 2 * MINUTE;
    await handler(alarmEvent('OK', 'system_down', 'critical', labels));
    clock.t = T0 + 5 * MINUTE;
    const again = await handler(alarmEvent('ALARM', 'system_down', 'critical', labels));
    clock.t = T0 + 6 * MINUTE;
    await handler(alarmEvent('OK', 'system_down', 'critical', labels));

    expect(again).toMatchObject({ outcome: 'paged', episode: 2 });
    const second = executionsOf(fp).find(([name]) => name === `${fp}-2`)?.[1];
    // paged at T0: held until T0 + 10 min, i.e. 5 minutes from the re-fire
    expect(second?.levels[0]?.delaySeconds).toBe(300);
    expect(sfn.stopped).toEqual(expect.arrayContaining([`${fp}-1`, `${fp}-2`]));
  });

  it('counts a heartbeat without paging anyone', async () => {
    const lines: string[] = [];
    const { handler } = harness({ lines });
    const before = sfn.executions.size;
    const heartbeat = kitAlert('heartbeat', 'info', { service: 'maif', environment: 'prod' });

    const result = await handler({ ...heartbeat, detail: { ...heartbeat.detail, source: 'heartbeat' } });

    expect(result.outcome).toBe('heartbeat');
    expect(sfn.executions.size).toBe(before);
    expect(lines.map((l) => JSON.parse(l) as Record<string, unknown>).some((l) => l.heartbeat_received === 1)).toBe(
      true,
    );
  });

  it('ignores INSUFFICIENT_DATA and SLO component alarms', async () => {
    const { handler } = harness();

    const missing = await handler(alarmEvent('INSUFFICIENT_DATA', 'system_down', 'critical', { service: 'x' }));
    const component = await handler(
      alarmEvent('ALARM', 'slo_fast_burn', 'critical', { service: 'x', role: 'component' }),
    );

    expect(missing).toMatchObject({ outcome: 'ignored', reason: 'insufficient_data' });
    expect(component).toMatchObject({ outcome: 'ignored', reason: 'slo_component' });
  });

  it('dead-letters a malformed event and counts it', async () => {
    const lines: string[] = [];
    const { handler } = harness({ lines });
    await drain(fauxqs.dlqUrl);

    const result = await handler({
      id: 'bad-1',
      source: 'aws.cloudwatch',
      'detail-type': 'CloudWatch Alarm State Change',
      detail: { alarmName: 'x' },
    });

    expect(result.outcome).toBe('dead_lettered');
    const letters = (await drain(fauxqs.dlqUrl)).map((b) => JSON.parse(b) as { reason: string; event: string });
    expect(letters).toHaveLength(1);
    expect(letters[0]?.reason).toMatch(/detail\.state: missing is not an object/);
    expect(JSON.parse(letters[0]?.event ?? '{}')).toMatchObject({ id: 'bad-1' });
    const emf = lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.outcome === 'dead_lettered');
    expect(emf?.[ROUTER_METRIC]).toBe(1);
  });
});

describe('router: what mutes a page', () => {
  it('honours a maintenance window of the configuration, not only those in the table', async () => {
    const { clock, now } = fakeClock(T0);
    const labels = { team: 'platform', service: 'config-maintenance' };
    const config = {
      ...routerConfig,
      maintenance: [
        {
          name: 'db-upgrade',
          startsAt: new Date(T0 - MINUTE).toISOString(),
          endsAt: new Date(T0 + 30 * MINUTE).toISOString(),
          matchers: [{ name: 'service', value: 'config-maintenance' }],
        },
      ],
    };
    const { handler } = harness({ now, config });
    const fp = alarmFp('system_down', labels);

    const during = await handler(alarmEvent('ALARM', 'system_down', 'critical', labels));
    clock.t = T0 + 40 * MINUTE;
    await handler(alarmEvent('OK', 'system_down', 'critical', labels));
    clock.t = T0 + 60 * MINUTE;
    const after = await handler(alarmEvent('ALARM', 'system_down', 'critical', labels));

    expect(during).toMatchObject({ outcome: 'maintenance', reason: 'a maintenance window covers this alert' });
    expect(after).toMatchObject({ outcome: 'paged', episode: 2 });
    expect(executionsOf(fp).map(([name]) => name)).toEqual([`${fp}-2`]);
  });

  it('never repeats an acknowledged alert', async () => {
    const { clock, now } = fakeClock(T0);
    const { handler, store } = harness({ now });
    const labels = { team: 'platform', service: 'acked-repeat' };
    const fp = fingerprintOf('high_latency', labels);
    await handler(kitAlert('high_latency', 'warning', labels));
    const [, input] = executionsOf(fp)[0] as [string, EscalationInput];
    await dispatch(
      { kind: 'firing', alert: input.alert, episode: 1, level: 0, sentAt: new Date(T0).toISOString() },
      input.levels[0]?.channels ?? [],
      { sns, topicArns: fauxqs.topics, store },
    );
    await drain(fauxqs.queues.slack as string);
    expect(await store.acknowledge(fp, 'alice')).toBe(true);

    // past repeat_interval (12 h): still firing, but somebody owns it
    clock.t = T0 + 13 * 60 * MINUTE;
    const again = await handler(kitAlert('high_latency', 'warning', labels));

    expect(again).toMatchObject({ outcome: 'duplicate', episode: 1 });
    expect(await drain(fauxqs.queues.slack as string)).toEqual([]);
    expect((await store.getAlert(fp))?.status).toBe('acked');
  });
});
