import fc from 'fast-check';
import type { Alert, Notification, NotificationKind } from '../../domain/contracts/alert';
import {
  emailSubject,
  emailText,
  MAX_EMAIL_SUBJECT,
  pagerDutyEvent,
  SLACK_LIMITS,
  slackEscape,
  slackMessage,
} from '../../domain/routing/messages';
import { snsMessage } from '../../lambdas/shared/dispatch';
import { validatePagerDutyEvent, validateSlackMessage } from '../private/receivers';

const ALERT: Alert = {
  fingerprint: '0123456789abcdef0123456789abcdef',
  alertName: 'high_latency',
  status: 'firing',
  severity: 'critical',
  labels: { service: 'maif', team: 'platform', environment: 'prod' },
  annotations: {
    summary: 'p95 latency above 500ms',
    description: 'search p95 is 812ms',
    runbook: 'https://runbooks.example.com/high-latency',
  },
  startsAt: '2026-11-24T10:00:00.000Z',
  source: 'cloudwatch',
  eventId: 'evt-1',
};

function notice(kind: NotificationKind, extra: Partial<Notification> = {}): Notification {
  return {
    kind,
    alert: ALERT,
    episode: 3,
    level: 1,
    levelName: 'on_call_manager',
    ackUrl: 'https://ack.example.com/ack?fp=0123&exp=1&sig=x',
    silenceUrl: 'https://ack.example.com/silence?fp=0123&d=3600&exp=1&sig=x',
    sentAt: '2026-11-24T10:05:00.000Z',
    ...extra,
  };
}

const KINDS: NotificationKind[] = ['firing', 'escalation', 'repeat', 'resolved', 'acknowledged', 'heartbeat'];

const arbAlert: fc.Arbitrary<Alert> = fc.record({
  fingerprint: fc.stringMatching(/^[0-9a-f]{32}$/),
  alertName: fc.string({ minLength: 1, maxLength: 300 }),
  status: fc.constantFrom('firing' as const, 'resolved' as const),
  severity: fc.constantFrom('critical' as const, 'warning' as const, 'info' as const),
  labels: fc.dictionary(fc.string({ minLength: 1, maxLength: 40 }), fc.string({ maxLength: 3000 }), { maxKeys: 15 }),
  annotations: fc.record(
    {
      summary: fc.string({ minLength: 1, maxLength: 5000 }),
      description: fc.string({ maxLength: 5000 }),
      runbook: fc.oneof(fc.webUrl(), fc.string({ maxLength: 4000 })),
    },
    { requiredKeys: ['summary'] },
  ),
  startsAt: fc.date({ noInvalidDate: true, min: new Date(0), max: new Date(4e12) }).map((d) => d.toISOString()),
  source: fc.constantFrom('cloudwatch' as const, 'log-aggregator' as const, 'baseline' as const),
  eventId: fc.uuid(),
});

const arbNotification: fc.Arbitrary<Notification> = fc.record(
  {
    kind: fc.constantFrom(...KINDS),
    alert: arbAlert,
    episode: fc.nat(),
    level: fc.nat({ max: 20 }),
    levelName: fc.string({ maxLength: 100 }),
    ackUrl: fc.oneof(fc.webUrl(), fc.string({ maxLength: 50 })),
    silenceUrl: fc.webUrl(),
    sentAt: fc.constant('2026-11-24T10:05:00.000Z'),
    groupSize: fc.nat({ max: 1000 }),
  },
  { requiredKeys: ['kind', 'alert', 'episode', 'level', 'sentAt'] },
);

describe('Slack message', () => {
  it('shows severity, labels, runbook and an acknowledge button', () => {
    const message = slackMessage(notice('escalation'), { channel: '#alerts' });
    expect(validateSlackMessage(message)).toEqual([]);
    const json = JSON.stringify(message);
    expect(message.blocks[0]).toEqual({
      type: 'header',
      text: { type: 'plain_text', text: '[CRITICAL] ESCALATED: high_latency', emoji: true },
    });
    expect(json).toContain('*team*\\nplatform');
    expect(json).toContain('<https://runbooks.example.com/high-latency|Runbook>');
    expect(json).toContain('Escalation level 1 (on_call_manager)');
    expect(message.blocks.at(-1)).toMatchObject({
      type: 'actions',
      elements: [
        { url: 'https://ack.example.com/ack?fp=0123&exp=1&sig=x', action_id: 'maif-ack' },
        { action_id: 'maif-silence' },
      ],
    });
    expect(message.channel).toBe('#alerts');
  });

  it('offers no acknowledge button once resolved', () => {
    expect(slackMessage(notice('resolved')).blocks.some((b) => b.type === 'actions')).toBe(false);
  });

  it('escapes Slack control characters in alert text', () => {
    expect(slackEscape('a <b> & c')).toBe('a &lt;b&gt; &amp; c');
    const json = JSON.stringify(
      slackMessage(notice('firing', { alert: { ...ALERT, annotations: { summary: '<!channel>' } } })),
    );
    expect(json).not.toContain('<!channel>');
  });

  it('stays within Block Kit limits for any alert', () => {
    fc.assert(
      fc.property(arbNotification, (n) => {
        const message = slackMessage(n);
        expect(validateSlackMessage(message)).toEqual([]);
        expect(message.text.length).toBeLessThanOrEqual(SLACK_LIMITS.fallbackText);
      }),
    );
  });
});

describe('PagerDuty event', () => {
  it.each([
    ['firing', 'trigger'],
    ['escalation', 'trigger'],
    ['repeat', 'trigger'],
    ['acknowledged', 'acknowledge'],
    ['resolved', 'resolve'],
  ] as const)('sends %s as %s with the fingerprint as dedup_key', (kind, action) => {
    const event = pagerDutyEvent(notice(kind), 'R0UT1NGKEY');
    expect(event).toMatchObject({ routing_key: 'R0UT1NGKEY', event_action: action, dedup_key: ALERT.fingerprint });
    expect(validatePagerDutyEvent(event)).toEqual([]);
  });

  it('triggers with summary, source, severity, labels and links', () => {
    expect(pagerDutyEvent(notice('firing'), 'k')).toEqual({
      routing_key: 'k',
      event_action: 'trigger',
      dedup_key: ALERT.fingerprint,
      payload: {
        summary: 'high_latency: p95 latency above 500ms',
        source: 'maif',
        severity: 'critical',
        timestamp: ALERT.startsAt,
        group: 'platform',
        class: 'high_latency',
        custom_details: {
          labels: ALERT.labels,
          description: 'search p95 is 812ms',
          episode: 3,
          level: 1,
          levelName: 'on_call_manager',
        },
      },
      links: [
        { href: 'https://runbooks.example.com/high-latency', text: 'Runbook' },
        { href: 'https://ack.example.com/ack?fp=0123&exp=1&sig=x', text: 'Acknowledge' },
      ],
    });
  });

  it('sends nothing for a heartbeat', () => {
    expect(pagerDutyEvent(notice('heartbeat'), 'k')).toBeUndefined();
  });

  it('is a valid Events API v2 body for any alert', () => {
    fc.assert(
      fc.property(arbNotification, (n) => {
        const event = pagerDutyEvent(n, 'k');
        if (event !== undefined) expect(validatePagerDutyEvent(event)).toEqual([]);
        else expect(n.kind).toBe('heartbeat');
      }),
    );
  });
});

describe('e-mail', () => {
  it('reads as plain text with labels, runbook and links', () => {
    const text = emailText(notice('firing'));
    expect(text.split('\n').slice(0, 3)).toEqual(['[CRITICAL] FIRING: high_latency', '', 'p95 latency above 500ms']);
    expect(text).toContain('  team: platform');
    expect(text).toContain('Runbook: https://runbooks.example.com/high-latency');
    expect(text).toContain('Acknowledge: https://ack.example.com/ack?fp=0123&exp=1&sig=x');
    expect(text).not.toContain('{');
  });

  it('has a one-line printable ASCII subject of at most 100 characters for any alert', () => {
    fc.assert(
      fc.property(arbNotification, (n) => {
        const subject = emailSubject(n);
        expect(subject.length).toBeLessThanOrEqual(MAX_EMAIL_SUBJECT);
        expect(subject).toMatch(/^[\x20-\x7e]*$/);
      }),
    );
  });

  it('goes to e-mail as text and to Lambda and SQS as the Notification JSON', () => {
    fc.assert(
      fc.property(arbNotification, (n) => {
        const message = JSON.parse(snsMessage(n)) as Record<string, string>;
        expect(message.default).toBe(emailText(n));
        expect(message.email).toBe(emailText(n));
        expect(JSON.parse(message.lambda)).toEqual(n);
        expect(JSON.parse(message.sqs)).toEqual(n);
      }),
    );
  });
});
