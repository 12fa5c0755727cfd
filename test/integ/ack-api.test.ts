/**
 * The ack API handler driven with Lambda Function URL events, against dynalite (alert state)
 * and fauxqs (SNS topics fanned out to SQS queues) through the real AWS SDK clients.
 */
import { SNSClient } from '@aws-sdk/client-sns';
import { ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { Alert, Notification } from '../../domain/contracts/alert';
import { ackUrl, silenceUrl } from '../../domain/routing/links';
import { createHandler } from '../../lambdas/ack-api';
import type { FunctionUrlEvent } from '../../lambdas/ack-api/http';
import { AlertStore } from '../../lambdas/shared/alert-store';
import { CALLER_ARN, CREDENTIALS, type Fauxqs, REGION, startDynalite, startFauxqs } from '../private/ack-api-standins';

const KEY = 'test-link-key-0123456789abcdef';
const BASE = 'https://abc.lambda-url.eu-west-1.on.aws/';
const NOW = Date.parse('2026-03-01T12:00:00Z');
const NOW_S = NOW / 1000;

let stopDynalite: () => Promise<void>;
let store: AlertStore;
let fauxqs: Fauxqs;
let sns: SNSClient;
let sqs: SQSClient;
let tableCount = 0;

function alert(name: string): Alert {
  return {
    fingerprint: `fp-${name}`,
    alertName: name,
    status: 'firing',
    severity: 'critical',
    labels: { service: 'maif', team: 'platform' },
    annotations: { summary: `${name} is high`, runbook: 'https://runbooks.example/x' },
    startsAt: '2026-03-01T11:55:00Z',
    source: 'cloudwatch',
    eventId: `ev-${name}`,
  };
}

function event(
  method: string,
  pathAndQuery: string,
  options: { body?: unknown; form?: Record<string, string>; iam?: boolean } = {},
): FunctionUrlEvent {
  const [rawPath, rawQueryString = ''] = pathAndQuery.split('?');
  const body =
    options.form !== undefined
      ? new URLSearchParams(options.form).toString()
      : options.body === undefined
        ? undefined
        : JSON.stringify(options.body);
  return {
    rawPath,
    rawQueryString,
    body: body === undefined ? undefined : Buffer.from(body).toString('base64'),
    isBase64Encoded: true,
    requestContext: {
      http: { method },
      ...(options.iam === false ? {} : { authorizer: { iam: { userArn: CALLER_ARN } } }),
    },
  };
}

function linkParts(url: string): { path: string; query: string; form: Record<string, string> } {
  const parsed = new URL(url);
  return { path: parsed.pathname, query: parsed.search, form: Object.fromEntries(parsed.searchParams) };
}

/** The notifications queued for a channel (the `sqs` part of the per-protocol SNS message). */
async function drain(channel: string): Promise<Notification[]> {
  const out = await sqs.send(
    new ReceiveMessageCommand({ QueueUrl: fauxqs.queues[channel], MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }),
  );
  return (out.Messages ?? []).map((m) => {
    const body = JSON.parse(m.Body ?? '{}') as { sqs?: string };
    return (body.sqs === undefined ? body : JSON.parse(body.sqs)) as Notification;
  });
}

beforeAll(async () => {
  const dynalite = await startDynalite('alerts-ack');
  stopDynalite = dynalite.stop;
  store = new AlertStore({ client: dynalite.client, tableName: 'alerts-ack', now: () => NOW });
  fauxqs = await startFauxqs(['slack', 'pagerduty', 'email']);
  sns = new SNSClient({ region: REGION, credentials: CREDENTIALS, endpoint: fauxqs.address });
  sqs = new SQSClient({ region: REGION, credentials: CREDENTIALS, endpoint: fauxqs.address });
});

afterAll(async () => {
  sns?.destroy();
  sqs?.destroy();
  if (fauxqs?.child.pid !== undefined) process.kill(fauxqs.child.pid);
  await stopDynalite?.();
});

function handler(mode: 'iam' | 'links' = 'iam') {
  return createHandler(
    {},
    { mode, store, sns, topicArns: fauxqs.topics, linkKey: async () => KEY, now: () => new Date(NOW) },
  );
}

async function firing(name: string, pagedChannels: readonly string[] = []): Promise<Alert> {
  tableCount += 1;
  const a = alert(`${name}_${tableCount}`);
  const { episode } = await store.upsertFiring(a);
  for (const channel of pagedChannels) await store.claimNotification(a.fingerprint, episode, 0, channel, 'firing');
  return a;
}

describe('ack API: signed links', () => {
  it('shows a confirmation page for a valid ack link without acknowledging', async () => {
    const a = await firing('high_latency');
    const { path, query } = linkParts(ackUrl(a.fingerprint, { baseUrl: BASE, key: KEY, expiresAt: NOW_S + 600 }));

    const response = await handler('links')(event('GET', `${path}${query}`, { iam: false }));

    expect(response.statusCode).toBe(200);
    expect(response.body).toContain('<form method="post" action="/ack">');
    expect(response.body).toContain(`${a.alertName} (firing)`);
    expect((await store.getAlert(a.fingerprint))?.status).toBe('firing');
  });

  it('acknowledges once when a valid signed link is posted twice', async () => {
    const a = await firing('high_latency');
    const { path, form } = linkParts(ackUrl(a.fingerprint, { baseUrl: BASE, key: KEY, expiresAt: NOW_S + 600 }));
    const api = handler('links');

    const first = await api(event('POST', path, { form, iam: false }));
    const second = await api(event('POST', path, { form, iam: false }));

    expect(first.statusCode).toBe(200);
    expect(second.statusCode).toBe(409);
    expect(await store.getAlert(a.fingerprint)).toMatchObject({ status: 'acked', ackedBy: 'signed link' });
  });

  it('answers 403 to a link with a forged signature and leaves the alert firing', async () => {
    const a = await firing('high_latency');
    const { path, form } = linkParts(
      ackUrl(a.fingerprint, { baseUrl: BASE, key: 'another-key-0123456789', expiresAt: NOW_S + 600 }),
    );

    const response = await handler('links')(event('POST', path, { form, iam: false }));

    expect(response.statusCode).toBe(403);
    expect(response.body).toContain('not valid');
    expect((await store.getAlert(a.fingerprint))?.status).toBe('firing');
  });

  it('answers 403 to an expired link and leaves the alert firing', async () => {
    const a = await firing('high_latency');
    const { path, form } = linkParts(ackUrl(a.fingerprint, { baseUrl: BASE, key: KEY, expiresAt: NOW_S - 1 }));

    const response = await handler('links')(event('POST', path, { form, iam: false }));

    expect(response.statusCode).toBe(403);
    expect(response.body).toContain('expired');
    expect((await store.getAlert(a.fingerprint))?.status).toBe('firing');
  });

  it('answers 403 to an ack link whose fingerprint was swapped for another alert', async () => {
    const a = await firing('high_latency');
    const b = await firing('error_rate');
    const { path, form } = linkParts(ackUrl(a.fingerprint, { baseUrl: BASE, key: KEY, expiresAt: NOW_S + 600 }));

    const response = await handler('links')(event('POST', path, { form: { ...form, fp: b.fingerprint }, iam: false }));

    expect(response.statusCode).toBe(403);
    expect((await store.getAlert(b.fingerprint))?.status).toBe('firing');
  });

  it('silences the alert by its name and labels from a signed silence link', async () => {
    const a = await firing('disk_full');
    const url = silenceUrl(a.fingerprint, { baseUrl: BASE, key: KEY, expiresAt: NOW_S + 600, durationSeconds: 1800 });
    const { path, form } = linkParts(url);

    const response = await handler('links')(event('POST', path, { form, iam: false }));

    expect(response.statusCode).toBe(201);
    const created = (await store.listSilences(NOW)).find((s) => s.matchers.some((m) => m.value === a.alertName));
    expect(created).toMatchObject({
      matchers: [
        { name: 'alertname', value: a.alertName },
        { name: 'service', value: 'maif' },
        { name: 'team', value: 'platform' },
      ],
      startsAt: new Date(NOW).toISOString(),
      endsAt: new Date(NOW + 1800_000).toISOString(),
      createdBy: 'signed link',
    });
  });
});

describe('ack API: acknowledgement notices', () => {
  it('sends one acknowledged notice to each channel paged in the episode and none to the others', async () => {
    await Promise.all(['slack', 'pagerduty', 'email'].map(drain));
    const a = await firing('high_latency', ['slack', 'pagerduty']);

    const response = await handler()(event('POST', `/alerts/${a.fingerprint}/ack`));
    const again = await handler()(event('POST', `/alerts/${a.fingerprint}/ack`));

    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body)).toMatchObject({ acknowledged: true, by: CALLER_ARN, episode: 1 });
    expect(again.statusCode).toBe(409);
    for (const channel of ['slack', 'pagerduty']) {
      const notices = await drain(channel);
      expect(notices).toHaveLength(1);
      expect(notices[0]).toMatchObject({ kind: 'acknowledged', episode: 1, alert: { fingerprint: a.fingerprint } });
    }
    expect(await drain('email')).toEqual([]);
  });

  it('answers 404 to an acknowledgement of an unknown alert', async () => {
    const response = await handler()(event('POST', '/alerts/nope/ack'));

    expect(response.statusCode).toBe(404);
    expect(JSON.parse(response.body).error).toBe("alert 'nope' does not exist");
  });
});

describe('ack API: IAM routes', () => {
  it('lists alerts, filtered by status', async () => {
    const a = await firing('queue_depth');
    await store.acknowledge(a.fingerprint, 'someone');

    const response = await handler()(event('GET', '/alerts?status=acked'));

    const { alerts } = JSON.parse(response.body) as { alerts: { fingerprint: string; status: string }[] };
    expect(alerts.map((x) => x.fingerprint)).toContain(a.fingerprint);
    expect(alerts.every((x) => x.status === 'acked')).toBe(true);
  });

  it('creates, lists and deletes a silence', async () => {
    const api = handler();
    const body = {
      matchers: [
        { name: 'alertname', value: 'high_latency' },
        { name: 'service', value: 'maif' },
      ],
      endsAt: '2026-03-01T14:00:00Z',
      comment: 'deploying the fix',
    };

    const created = await api(event('POST', '/silences', { body }));
    const { id } = JSON.parse(created.body) as { id: string };
    const listed = JSON.parse((await api(event('GET', '/silences'))).body) as { silences: { id: string }[] };
    const deleted = await api(event('DELETE', `/silences/${id}`));
    const deletedAgain = await api(event('DELETE', `/silences/${id}`));

    expect(created.statusCode).toBe(201);
    expect(JSON.parse(created.body)).toMatchObject({
      ...body,
      startsAt: new Date(NOW).toISOString(),
      endsAt: '2026-03-01T14:00:00.000Z',
      createdBy: CALLER_ARN,
    });
    expect(listed.silences.map((s) => s.id)).toContain(id);
    expect(deleted.statusCode).toBe(200);
    expect(deletedAgain.statusCode).toBe(404);
    expect((await store.listSilences()).map((s) => s.id)).not.toContain(id);
  });

  it('refuses a silence whose end is before its start, naming the field and the value', async () => {
    const response = await handler()(
      event('POST', '/silences', {
        body: {
          matchers: [{ name: 'alertname', value: 'x' }],
          startsAt: '2026-03-01T13:00:00Z',
          endsAt: '2026-03-01T12:30:00Z',
          comment: 'c',
        },
      }),
    );

    expect(response.statusCode).toBe(400);
    expect(JSON.parse(response.body).error).toBe(
      "endsAt: '2026-03-01T12:30:00Z' is not after startsAt (2026-03-01T13:00:00.000Z)",
    );
  });

  it('refuses a regex matcher that does not compile', async () => {
    const response = await handler()(
      event('POST', '/silences', {
        body: {
          matchers: [{ name: 'service', value: '(maif', isRegex: true }],
          endsAt: '2026-03-01T13:00:00Z',
          comment: 'c',
        },
      }),
    );

    expect(response.statusCode).toBe(400);
    expect(JSON.parse(response.body).error).toMatch(/^matchers\[0\]\.value: '\(maif' is not a regular expression/);
  });

  it('creates a maintenance window, lists it while active and ends it early', async () => {
    const api = handler();

    const created = await api(
      event('POST', '/maintenance', { body: { endsAt: '2026-03-01T16:00:00Z', comment: 'db upgrade' } }),
    );
    const { id } = JSON.parse(created.body) as { id: string };
    const active = JSON.parse((await api(event('GET', '/maintenance'))).body) as { maintenance: { id: string }[] };
    const ended = await api(event('POST', `/maintenance/${id}/end`));

    expect(created.statusCode).toBe(201);
    expect(active.maintenance.map((m) => m.id)).toContain(id);
    expect(ended.statusCode).toBe(200);
    expect(JSON.parse(ended.body).endsAt).toBe(new Date(NOW).toISOString());
    expect((await store.listMaintenance(NOW)).map((m) => m.id)).not.toContain(id);
  });

  it('answers 403 to an API request that reached the IAM URL without an IAM caller', async () => {
    const response = await handler()(event('GET', '/alerts', { iam: false }));

    expect(response.statusCode).toBe(403);
  });

  it('serves only signed-link routes on the links URL, even with an IAM caller', async () => {
    const response = await handler('links')(event('GET', '/silences'));

    expect(response.statusCode).toBe(403);
    expect(JSON.parse(response.body).error).toMatch(/signed links only/);
  });
});
