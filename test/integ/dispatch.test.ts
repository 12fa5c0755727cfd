/**
 * Dispatch through a real SNS wire protocol: the real @aws-sdk/client-sns against the sandbox's
 * SNS endpoint (sandbox/emulators/sns.ts), which, like SNS, gives each protocol its own entry of a
 * MessageStructure 'json' message and the whole message otherwise. The Lambda subscription reads
 * its record as the Slack and PagerDuty notifiers do (lambdas/shared/notifier.ts), the e-mail
 * subscription gets the text. Every delivery must succeed, and there must be deliveries.
 */
import { SNSClient } from '@aws-sdk/client-sns';
import type { Notification, NotificationKind } from '../../domain/contracts/alert';
import { emailSubject, emailText } from '../../domain/routing/messages';
import { dispatch, type NotificationLog } from '../../lambdas/shared/dispatch';
import { notificationOf } from '../../lambdas/shared/notifier';
import { EMULATOR_CREDENTIALS } from '../../sandbox/emulators/loopback';
import { type SnsEmulator, startSns } from '../../sandbox/emulators/sns';

const REGION = 'eu-west-1';

const notification: Notification = {
  kind: 'firing',
  alert: {
    fingerprint: 'fp-wire',
    alertName: 'system_down',
    status: 'firing',
    severity: 'critical',
    labels: { service: 'maif', team: 'platform' },
    annotations: { summary: 'the API answers 503', runbook: 'https://runbooks.example.com/down' },
    startsAt: '2026-11-24T10:00:00.000Z',
    source: 'cloudwatch',
    eventId: 'e-wire',
  },
  episode: 1,
  level: 0,
  levelName: 'notify',
  sentAt: '2026-11-24T10:00:30.000Z',
};

let sns: SnsEmulator;
let client: SNSClient;
const read: { channel: string; notification: Notification }[] = [];
const mails: { subject: string; body: string }[] = [];

/** What a notifier does with its record: a Notification, or the record fails (and is counted). */
const notifier = (channel: string) => ({
  protocol: 'lambda' as const,
  handler: async (event: import('aws-lambda').SNSEvent) => {
    for (const record of event.Records) read.push({ channel, notification: notificationOf(record.Sns.Message) });
  },
});

beforeAll(async () => {
  sns = await startSns({
    region: REGION,
    retryDelaysMs: [0],
    topics: {
      'maif-slack': [notifier('slack')],
      'maif-pagerduty': [notifier('pagerduty')],
      'maif-email': [{ protocol: 'email', deliver: async ({ subject, body }) => void mails.push({ subject, body }) }],
    },
  });
  client = new SNSClient({ region: REGION, endpoint: sns.endpoint, credentials: EMULATOR_CREDENTIALS, maxAttempts: 1 });
});

afterAll(async () => {
  client?.destroy();
  await sns?.stop();
});

function memoryLog(): NotificationLog {
  const claimed = new Set<string>();
  return {
    claimNotification: async (fp: string, episode: number, level: number, channel: string, kind: NotificationKind) => {
      const key = `${fp}#${episode}#${level}#${channel}#${kind}`;
      if (claimed.has(key)) return false;
      claimed.add(key);
      return true;
    },
  };
}

describe('dispatch through SNS', () => {
  it('gives the Slack and PagerDuty notifiers the Notification and e-mail the text, once each', async () => {
    const topicArns = {
      slack: sns.topicArns['maif-slack'] as string,
      pagerduty: sns.topicArns['maif-pagerduty'] as string,
      email: sns.topicArns['maif-email'] as string,
    };
    const store = memoryLog();

    const first = await dispatch(notification, ['pagerduty', 'slack', 'email'], { sns: client, topicArns, store });
    const again = await dispatch(notification, ['pagerduty', 'slack', 'email'], { sns: client, topicArns, store });
    await sns.idle();

    expect(first).toEqual({ sent: ['pagerduty', 'slack', 'email'], skipped: [] });
    expect(again).toEqual({ sent: [], skipped: ['pagerduty', 'slack', 'email'] });
    expect(sns.failures()).toEqual([]);
    // no failure is no proof: each subscription must have received its message
    expect(sns.published()).toBe(3);
    expect(read.map((r) => r.channel).sort()).toEqual(['pagerduty', 'slack']);
    expect(read.every((r) => JSON.stringify(r.notification) === JSON.stringify(notification))).toBe(true);
    expect(mails).toEqual([{ subject: emailSubject(notification), body: emailText(notification) }]);
  });
});
