/**
 * The heartbeat Lambda puts its `MAIF Alert` through the real EventBridge client (to a loopback
 * endpoint), and the router's intake reads what was put as a heartbeat alert.
 */
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { parseEvent } from '../../domain/routing/intake';
import { createHandler } from '../../lambdas/heartbeat';
import { AwsJsonLoopback, LOOPBACK_CREDENTIALS } from '../private/aws-json-loopback';

const AT = new Date('2026-03-01T12:00:00Z');

let loopback: AwsJsonLoopback;
let eventBridge: EventBridgeClient;

beforeAll(async () => {
  let n = 0;
  const started = await AwsJsonLoopback.start({
    'AWSEvents.PutEvents': (body) => {
      n += 1;
      const entries = body.Entries as unknown[];
      return { body: { FailedEntryCount: 0, Entries: entries.map(() => ({ EventId: `event-${n}` })) } };
    },
  });
  loopback = started.loopback;
  eventBridge = new EventBridgeClient({
    region: 'eu-west-1',
    credentials: LOOPBACK_CREDENTIALS,
    endpoint: started.endpoint,
  });
});

afterAll(async () => {
  eventBridge?.destroy();
  await loopback?.close();
});

/** The EventBridge event the router would receive for one PutEvents entry. */
function asDelivered(entry: Record<string, unknown>, id: string): unknown {
  return {
    id,
    source: entry.Source,
    'detail-type': entry.DetailType,
    time: AT.toISOString(),
    detail: JSON.parse(String(entry.Detail)),
  };
}

describe('heartbeat', () => {
  it('puts one MAIF Alert on the kit bus that the router reads as an info heartbeat alert', async () => {
    const beat = createHandler(
      { service: 'maif' },
      { eventBridge, eventBusName: 'maif-kit-bus', environment: 'prod', now: () => AT },
    );

    const result = await beat();

    const calls = loopback.of('AWSEvents.PutEvents');
    expect(calls).toHaveLength(1);
    const [entry] = calls[0].body.Entries as Record<string, unknown>[];
    expect(entry).toMatchObject({
      Source: 'maif.observability',
      DetailType: 'MAIF Alert',
      EventBusName: 'maif-kit-bus',
    });
    expect(result.eventId).toBe('event-1');
    const intake = parseEvent(asDelivered(entry, result.eventId));
    expect(intake).toMatchObject({
      kind: 'alert',
      alert: {
        alertName: 'heartbeat',
        severity: 'info',
        status: 'firing',
        source: 'heartbeat',
        labels: { service: 'maif', environment: 'prod' },
        startsAt: AT.toISOString(),
        eventId: 'event-1',
      },
    });
  });

  it('sends the same alert identity every time so heartbeats are one alert', async () => {
    const beat = createHandler({ service: 'maif' }, { eventBridge, eventBusName: 'maif-kit-bus', environment: 'prod' });

    const first = await beat();
    const second = await beat();

    const fingerprints = [first, second].map((r, i) => {
      const delivered = asDelivered(
        { Source: 'maif.observability', DetailType: 'MAIF Alert', Detail: JSON.stringify(r.detail) },
        `e${i}`,
      );
      return (parseEvent(delivered) as { alert: { fingerprint: string } }).alert.fingerprint;
    });
    expect(fingerprints[0]).toBe(fingerprints[1]);
  });

  it('fails the scheduled invocation when no bus is configured, naming the variable', async () => {
    const beat = createHandler({ service: 'maif' }, { eventBridge, eventBusName: '' });

    await expect(beat()).rejects.toThrow('heartbeat: MAIF_EVENT_BUS_NAME is not set (the kit bus name or ARN)');
  });

  it('fails the scheduled invocation when PutEvents rejects the entry', async () => {
    const rejecting = await AwsJsonLoopback.start({
      'AWSEvents.PutEvents': () => ({
        body: { FailedEntryCount: 1, Entries: [{ ErrorCode: 'InternalFailure', ErrorMessage: 'try again' }] },
      }),
    });
    const client = new EventBridgeClient({
      region: 'eu-west-1',
      credentials: LOOPBACK_CREDENTIALS,
      endpoint: rejecting.endpoint,
    });
    try {
      const beat = createHandler({ service: 'maif' }, { eventBridge: client, eventBusName: 'maif-kit-bus' });

      await expect(beat()).rejects.toThrow('heartbeat: PutEvents rejected the heartbeat (InternalFailure: try again)');
    } finally {
      client.destroy();
      await rejecting.loopback.close();
    }
  });
});
