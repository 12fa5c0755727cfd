/**
 * Dispatch (lambdas/shared/dispatch.ts) against an SNS client that records what it is asked to
 * publish: the per-protocol JSON message (MessageStructure 'json'), the claim in the notification
 * log before each publish, one retry, and the claim given back when the publish still fails.
 * test/integ/dispatch.test.ts sends the same through the sandbox's SNS endpoint.
 */
import type { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import type { Notification, NotificationKind } from '../../domain/contracts/alert';
import { emailSubject, emailText } from '../../domain/routing/messages';
import { dispatch, MAX_PUBLISH_ATTEMPTS, type NotificationLog, snsMessage } from '../../lambdas/shared/dispatch';

const notification: Notification = {
  kind: 'firing',
  alert: {
    fingerprint: 'fp1',
    alertName: 'system_down',
    status: 'firing',
    severity: 'critical',
    labels: { service: 'maif' },
    annotations: { summary: 'the API answers 503', runbook: 'https://runbooks.example.com/down' },
    startsAt: '2026-11-24T10:00:00.000Z',
    source: 'cloudwatch',
    eventId: 'e1',
  },
  episode: 3,
  level: 1,
  levelName: 'on_call_manager',
  sentAt: '2026-11-24T10:00:30.000Z',
};

const topicArns = {
  slack: 'arn:aws:sns:eu-west-1:123456789012:maif-slack',
  pagerduty: 'arn:aws:sns:eu-west-1:123456789012:maif-pagerduty',
};

type Claim = [string, number, number, string, NotificationKind];

/** An SNS client whose `send` records each Publish input and fails the first `failures` calls. */
function fakeSns(failures = 0) {
  const inputs: PublishCommand['input'][] = [];
  let calls = 0;
  const sns = {
    send: async (command: PublishCommand) => {
      calls += 1;
      inputs.push(command.input);
      if (calls <= failures) throw new Error(`throttled #${calls}`);
      return { MessageId: `m${calls}` };
    },
  } as unknown as SNSClient;
  return { sns, inputs };
}

/** A notification log in memory; `claimable` false: every claim is already taken. */
function memoryLog(claimable = true) {
  const claims: Claim[] = [];
  const releases: Claim[] = [];
  const store: Required<NotificationLog> = {
    claimNotification: async (...key: Claim) => {
      claims.push(key);
      return claimable;
    },
    releaseNotification: async (...key: Claim) => {
      releases.push(key);
    },
  };
  return { store, claims, releases };
}

describe('dispatch: what SNS receives', () => {
  it('publishes one per-protocol JSON message with MessageStructure json, a subject and the attributes', async () => {
    const { sns, inputs } = fakeSns();
    const { store } = memoryLog();

    const result = await dispatch(notification, ['slack'], { sns, topicArns, store });

    expect(result).toEqual({ sent: ['slack'], skipped: [] });
    expect(inputs).toEqual([
      {
        TopicArn: topicArns.slack,
        Message: snsMessage(notification),
        MessageStructure: 'json',
        Subject: emailSubject(notification),
        MessageAttributes: {
          severity: { DataType: 'String', StringValue: 'critical' },
          kind: { DataType: 'String', StringValue: 'firing' },
        },
      },
    ]);
  });

  it('gives e-mail readable text and Lambda, SQS and HTTPS the Notification JSON', () => {
    const message = JSON.parse(snsMessage(notification)) as Record<string, string>;
    const json = JSON.stringify(notification);

    expect(message).toEqual({
      default: emailText(notification),
      email: emailText(notification),
      'email-json': json,
      lambda: json,
      sqs: json,
      https: json,
    });
    expect(JSON.parse(message.lambda as string)).toEqual(notification);
    expect(message.email).toContain('the API answers 503');
  });
});

describe('dispatch: once per channel', () => {
  it('claims (fingerprint, episode, level, channel, kind) before each publish, each channel once', async () => {
    const { sns, inputs } = fakeSns();
    const { store, claims } = memoryLog();

    const result = await dispatch(notification, ['slack', 'pagerduty', 'slack'], { sns, topicArns, store });

    expect(claims).toEqual([
      ['fp1', 3, 1, 'slack', 'firing'],
      ['fp1', 3, 1, 'pagerduty', 'firing'],
    ]);
    expect(inputs.map((i) => i.TopicArn)).toEqual([topicArns.slack, topicArns.pagerduty]);
    expect(result).toEqual({ sent: ['slack', 'pagerduty'], skipped: [] });
  });

  it('claims the level the caller names (a repeat pass), else the notification level', async () => {
    const { sns } = fakeSns();
    const { store, claims } = memoryLog();

    await dispatch(notification, ['slack'], { sns, topicArns, store }, { claimLevel: 1004 });

    expect(claims).toEqual([['fp1', 3, 1004, 'slack', 'firing']]);
  });

  it('skips a channel already claimed and a channel without a topic, publishing nothing for them', async () => {
    const taken = memoryLog(false);
    const first = fakeSns();

    expect(await dispatch(notification, ['slack'], { sns: first.sns, topicArns, store: taken.store })).toEqual({
      sent: [],
      skipped: ['slack'],
    });
    expect(first.inputs).toEqual([]);

    const free = memoryLog();
    const second = fakeSns();
    expect(await dispatch(notification, ['email', 'slack'], { sns: second.sns, topicArns, store: free.store })).toEqual(
      { sent: ['slack'], skipped: ['email'] },
    );
    // no topic: not even claimed, so a later configuration can still send it
    expect(free.claims.map((c) => c[3])).toEqual(['slack']);
  });
});

describe('dispatch: failures', () => {
  it(`retries a failed publish, ${MAX_PUBLISH_ATTEMPTS} attempts in all`, async () => {
    expect(MAX_PUBLISH_ATTEMPTS).toBe(2);
    const { sns, inputs } = fakeSns(1);
    const { store, releases } = memoryLog();

    const result = await dispatch(notification, ['slack'], { sns, topicArns, store });

    expect(result).toEqual({ sent: ['slack'], skipped: [] });
    expect(inputs).toHaveLength(2);
    expect(inputs[1]).toEqual(inputs[0]);
    expect(releases).toEqual([]);
  });

  it('gives the claim back and throws, naming the channels that failed and those sent, after the others are tried', async () => {
    // slack fails twice (both attempts); pagerduty then succeeds
    const { sns, inputs } = fakeSns(2);
    const { store, releases } = memoryLog();

    const sent = dispatch(notification, ['slack', 'pagerduty'], { sns, topicArns, store });

    // the error of the last attempt, as the cause
    await expect(sent).rejects.toThrow(
      'dispatch firing of alert fp1 episode 3: publish to channels slack failed (throttled #2); sent: pagerduty',
    );
    await sent.catch((error: Error) => expect((error.cause as Error).message).toBe('throttled #2'));
    expect(inputs.map((i) => i.TopicArn)).toEqual([topicArns.slack, topicArns.slack, topicArns.pagerduty]);
    expect(releases).toEqual([['fp1', 3, 1, 'slack', 'firing']]);
  });

  it('lists every failed and every sent channel', async () => {
    const arns = { ...topicArns, email: 'arn:aws:sns:eu-west-1:123456789012:maif-email', sms: 'arn:sms' };
    const sns = {
      send: async (command: PublishCommand) => {
        if (command.input.TopicArn === arns.slack || command.input.TopicArn === arns.sms) throw new Error('down');
        return {};
      },
    } as unknown as SNSClient;
    const { store } = memoryLog();

    await expect(
      dispatch(notification, ['slack', 'pagerduty', 'sms', 'email'], { sns, topicArns: arns, store }),
    ).rejects.toThrow('publish to channels slack, sms failed (down); sent: pagerduty, email');
  });

  it('says none were sent, and reports a non-Error rejection as text', async () => {
    const sns = {
      send: async () => {
        throw 'socket hang up';
      },
    } as unknown as SNSClient;
    const { claimNotification } = memoryLog().store;

    await expect(dispatch(notification, ['slack'], { sns, topicArns, store: { claimNotification } })).rejects.toThrow(
      'dispatch firing of alert fp1 episode 3: publish to channels slack failed (socket hang up); sent: none',
    );
  });
});
