import type { SNSEvent } from 'aws-lambda';
import fc from 'fast-check';
import type { Notification, NotificationKind } from '../../domain/contracts/alert';
import { createHandler as createPagerDuty } from '../../lambdas/notify-pagerduty/index';
import { createHandler as createSlack } from '../../lambdas/notify-slack/index';
import { backoffMs, isRetryableStatus } from '../../lambdas/shared/http';
import { SecretCache } from '../../lambdas/shared/secrets';
import { Receiver, startSecrets } from '../private/receivers';

const FAST_RETRY = { attempts: 4, baseDelayMs: 1, maxDelayMs: 2 } as const;

function notice(kind: NotificationKind): Notification {
  return {
    kind,
    alert: {
      fingerprint: 'fedcba9876543210fedcba9876543210',
      alertName: 'error_rate_high',
      status: kind === 'resolved' ? 'resolved' : 'firing',
      severity: 'warning',
      labels: { service: 'maif', team: 'platform' },
      annotations: { summary: 'error rate 7% over 5m', runbook: 'https://runbooks.example.com/errors' },
      startsAt: '2026-11-24T10:00:00.000Z',
      source: 'cloudwatch',
      eventId: 'evt-9',
    },
    episode: 1,
    level: 0,
    ackUrl: 'https://ack.example.com/ack?fp=fedc&exp=2&sig=y',
    sentAt: '2026-11-24T10:00:01.000Z',
  };
}

/** An SNS -> Lambda event as SNS delivers it (the `lambda` protocol's message). */
function snsEvent(...notifications: Notification[]): SNSEvent {
  return {
    Records: notifications.map((n, i) => ({
      EventSource: 'aws:sns',
      EventVersion: '1.0',
      EventSubscriptionArn: 'arn:aws:sns:eu-west-1:000000000000:maif-slack:sub',
      Sns: {
        Type: 'Notification',
        MessageId: `m-${i}`,
        TopicArn: 'arn:aws:sns:eu-west-1:000000000000:maif-slack',
        Subject: null as unknown as string,
        Message: JSON.stringify(n),
        Timestamp: n.sentAt,
        SignatureVersion: '1',
        Signature: '',
        SigningCertUrl: '',
        UnsubscribeUrl: '',
        MessageAttributes: {
          severity: { Type: 'String', Value: n.alert.severity },
          kind: { Type: 'String', Value: n.kind },
        },
      },
    })),
  };
}

describe('Slack notifier', () => {
  let secrets: Awaited<ReturnType<typeof startSecrets>>;
  const receivers: Receiver[] = [];
  const values: Record<string, string> = {};

  beforeAll(async () => {
    secrets = await startSecrets(values);
  });
  afterAll(async () => {
    await Promise.all(receivers.map((r) => r.close()));
    await secrets.stop();
  });

  async function setup(respond?: (i: number) => number | undefined) {
    const receiver = await Receiver.start('slack', respond);
    receivers.push(receiver);
    const id = `maif/slack-${receivers.length}`;
    values[id] = receiver.url;
    const handler = createSlack(
      { webhookSecret: id, channel: '#alerts' },
      { secrets: new SecretCache(secrets.client), retry: FAST_RETRY },
    );
    return { receiver, handler, id };
  }

  it('posts a valid Block Kit message to the webhook URL held in Secrets Manager', async () => {
    const { receiver, handler } = await setup();
    await expect(handler(snsEvent(notice('firing')))).resolves.toEqual({ delivered: 1, skipped: 0 });
    expect(receiver.requests.map((r) => r.errors)).toEqual([[]]);
    expect(receiver.requests[0].path).toBe('/services/T000/B000/local-webhook-secret');
    expect(JSON.stringify(receiver.accepted[0])).toContain('Acknowledge');
  });

  it('reads the secret once for many notifications', async () => {
    const { handler, id } = await setup();
    const before = secrets.emulator.calls(id);
    await handler(snsEvent(notice('firing'), notice('escalation')));
    await handler(snsEvent(notice('resolved')));
    const after = secrets.emulator.calls(id);
    expect(after - before).toBe(1);
  });

  it('retries after a 429 and delivers once', async () => {
    const { receiver, handler } = await setup((i) => (i === 0 ? 429 : undefined));
    await handler(snsEvent(notice('firing')));
    expect(receiver.requests).toHaveLength(2);
    expect(receiver.accepted).toHaveLength(1);
  });

  it('retries a receiver that returns 500, then throws so SNS delivery dead-letters', async () => {
    const { receiver, handler } = await setup(() => 500);
    const result = handler(snsEvent(notice('firing')));
    await expect(result).rejects.toThrow(/failed after 4 attempts, last: HTTP 500/);
    expect(receiver.requests).toHaveLength(FAST_RETRY.attempts);
    expect(receiver.accepted).toHaveLength(0);
  });

  it('never puts the webhook URL in its error', async () => {
    const { receiver, handler } = await setup(() => 503);
    const error = await handler(snsEvent(notice('firing'))).catch((e: Error) => e);
    expect(String((error as Error).message)).not.toContain('local-webhook-secret');
    expect(receiver.requests.length).toBeGreaterThan(1);
  });

  it('does not retry a payload the receiver rejects as invalid', async () => {
    const { receiver, handler } = await setup(() => 400);
    await expect(handler(snsEvent(notice('firing')))).rejects.toThrow(/HTTP 400.*not retried/);
    expect(receiver.requests).toHaveLength(1);
  });

  it('fails on a message that is not a Notification', async () => {
    const { handler } = await setup();
    const event = snsEvent(notice('firing'));
    (event.Records[0].Sns as { Message: string }).Message = 'hello';
    await expect(handler(event)).rejects.toThrow(
      "SNS message: not JSON (expected a Notification), starts with 'hello'",
    );
  });
});

describe('PagerDuty notifier', () => {
  let secrets: Awaited<ReturnType<typeof startSecrets>>;
  let receiver: Receiver;
  let failing: Receiver;

  beforeAll(async () => {
    secrets = await startSecrets({
      'maif/pagerduty': JSON.stringify({ routingKey: 'R0UT1NGKEY0123456789abcdef012345' }),
    });
    receiver = await Receiver.start('pagerduty');
    failing = await Receiver.start('pagerduty', () => 502);
  });
  afterAll(async () => {
    await Promise.all([receiver.close(), failing.close(), secrets.stop()]);
  });

  const handlerFor = (r: Receiver) =>
    createPagerDuty(
      { routingKeySecret: 'maif/pagerduty', endpoint: r.url },
      { secrets: new SecretCache(secrets.client), retry: FAST_RETRY },
    );

  it('triggers, acknowledges and resolves one incident keyed by the fingerprint', async () => {
    const handler = handlerFor(receiver);
    await handler(snsEvent(notice('firing')));
    await handler(snsEvent(notice('acknowledged')));
    await handler(snsEvent(notice('resolved')));
    expect(receiver.requests.map((r) => r.errors)).toEqual([[], [], []]);
    expect(receiver.accepted).toEqual([
      expect.objectContaining({
        routing_key: 'R0UT1NGKEY0123456789abcdef012345',
        event_action: 'trigger',
        dedup_key: 'fedcba9876543210fedcba9876543210',
        payload: expect.objectContaining({
          severity: 'warning',
          source: 'maif',
          summary: 'error_rate_high: error rate 7% over 5m',
        }),
      }),
      {
        routing_key: 'R0UT1NGKEY0123456789abcdef012345',
        event_action: 'acknowledge',
        dedup_key: 'fedcba9876543210fedcba9876543210',
      },
      {
        routing_key: 'R0UT1NGKEY0123456789abcdef012345',
        event_action: 'resolve',
        dedup_key: 'fedcba9876543210fedcba9876543210',
      },
    ]);
  });

  it('skips heartbeats', async () => {
    const before = receiver.requests.length;
    await expect(handlerFor(receiver)(snsEvent(notice('heartbeat')))).resolves.toEqual({ delivered: 0, skipped: 1 });
    expect(receiver.requests.length).toBe(before);
  });

  it('retries a receiver that returns 5xx, then throws', async () => {
    await expect(handlerFor(failing)(snsEvent(notice('escalation')))).rejects.toThrow(
      /failed after 4 attempts, last: HTTP 502/,
    );
    expect(failing.requests).toHaveLength(4);
    expect(failing.requests.every((r) => r.errors.length === 0)).toBe(true);
  });

  it('throws when the routing key secret is missing', async () => {
    const handler = createPagerDuty(
      { routingKeySecret: 'maif/absent', endpoint: receiver.url },
      { secrets: new SecretCache(secrets.client), retry: FAST_RETRY },
    );
    await expect(handler(snsEvent(notice('firing')))).rejects.toThrow(/can't find the specified secret/);
  });

  it('rejects an endpoint that is not a URL', () => {
    expect(() => createPagerDuty({ routingKeySecret: 'x', endpoint: 'events.pagerduty.com' })).toThrow(
      "notify-pagerduty endpoint: 'events.pagerduty.com' is not an http(s) URL",
    );
  });
});

describe('secret cache', () => {
  let secrets: Awaited<ReturnType<typeof startSecrets>>;
  const values: Record<string, string> = { 'maif/rotating': 'https://hooks.example.com/one' };

  beforeAll(async () => {
    secrets = await startSecrets(values);
  });
  afterAll(() => secrets.stop());

  it('reads a rotated secret again once the cache lifetime has passed', async () => {
    let now = 0;
    const cache = new SecretCache(secrets.client, { ttlMs: 1000, now: () => now });
    expect(await cache.get('maif/rotating')).toBe('https://hooks.example.com/one');
    values['maif/rotating'] = 'https://hooks.example.com/two';
    now = 999;
    expect(await cache.get('maif/rotating')).toBe('https://hooks.example.com/one');
    now = 1000;
    expect(await cache.get('maif/rotating')).toBe('https://hooks.example.com/two');
  });

  it('does not cache a failed read', async () => {
    const cache = new SecretCache(secrets.client);
    await expect(cache.get('maif/later')).rejects.toThrow(/can't find the specified secret/);
    values['maif/later'] = '{"routingKey":"k-123"}';
    await expect(cache.field('maif/later', ['routingKey'])).resolves.toBe('k-123');
  });

  it('names the secret and the fields it looked for, never the value', async () => {
    values['maif/wrong'] = '{"token":"s3cr3t"}';
    const cache = new SecretCache(secrets.client);
    const error = await cache.field('maif/wrong', ['url', 'webhookUrl']).catch((e: Error) => e);
    expect((error as Error).message).toBe(
      "secret 'maif/wrong': JSON secret has none of the fields url, webhookUrl (a non-empty string)",
    );
    expect((error as Error).message).not.toContain('s3cr3t');
  });
});

describe('retry backoff', () => {
  it('doubles up to the cap, jittered within the upper half, for any attempt', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 40 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (attempt, r) => {
          const ceiling = Math.min(4000, 250 * 2 ** (attempt - 1));
          const delay = backoffMs(attempt, {}, () => r);
          expect(delay).toBeGreaterThanOrEqual(Math.floor(ceiling / 2));
          expect(delay).toBeLessThanOrEqual(ceiling);
        },
      ),
    );
  });

  it('honours Retry-After in seconds, capped', () => {
    expect(backoffMs(1, {}, () => 0.5, '2')).toBe(2000);
    expect(backoffMs(1, {}, () => 0.5, '3600')).toBe(4000);
    expect(backoffMs(1, {}, () => 0, 'soon')).toBe(125);
  });

  it('retries only 429 and 5xx', () => {
    expect([400, 403, 404, 410, 429, 500, 502, 503].filter(isRetryableStatus)).toEqual([429, 500, 502, 503]);
  });
});
