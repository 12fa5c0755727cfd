/**
 * The router's decision (domain/routing/decide.ts) on a small configuration: the order of the
 * checks (silence, maintenance, inhibition, suppression rules, no route, the route's suppress
 * window, grouping), the exact edges of each window, and level 0's wait.
 */
import type { Alert } from '../../domain/contracts/alert';
import type { GroupRecord, Silence } from '../../domain/contracts/alert-state';
import { DEFAULT_BUSINESS_HOURS } from '../../domain/routing/calendar';
import { decide, escalationInput, type Snapshot } from '../../domain/routing/decide';
import { compileRouter, type RouterConfig } from '../../domain/routing/routing';

const T0 = Date.parse('2026-11-24T10:00:00Z');
const MINUTE = 60_000;
const WAIT = 30_000;

const config: RouterConfig = {
  routing: [
    {
      condition: "severity == 'critical'",
      actions: [
        { type: 'notify', channels: ['pagerduty'] },
        { type: 'escalate', delay: '15m', to: 'email' },
      ],
    },
    {
      condition: "severity == 'warning'",
      actions: [
        { type: 'notify', channels: ['slack'] },
        { type: 'suppress', duration: '30m', similarAlerts: true },
      ],
    },
    {
      condition: "severity == 'info' and team == 'solo'",
      actions: [
        { type: 'notify', channels: ['slack'] },
        { type: 'suppress', duration: '30m', similarAlerts: false },
      ],
    },
    { condition: "team == 'silent'", actions: [{ type: 'notify', channels: [] }] },
  ],
  suppression: [
    { name: 'drop_noise', condition: "labels.noise == 'yes'", action: 'suppress_all' },
    { name: 'dupes', condition: 'same_alert_within_10m', action: 'group_and_suppress' },
  ],
  grouping: { group_by: ['service'], group_wait: '30s', group_interval: '5m', repeat_interval: '4h' },
  inhibition: [{ source: "severity == 'critical'", target: "severity == 'warning'", equal: ['service'] }],
  escalationTargets: {},
  channels: ['slack', 'pagerduty', 'email'],
  escalation: true,
  repeat: 2,
  businessHours: DEFAULT_BUSINESS_HOURS,
  maintenance: [],
};
const router = compileRouter(config);

function alert(severity: Alert['severity'], labels: Record<string, string> = {}, fingerprint = 'fp'): Alert {
  return {
    fingerprint,
    alertName: `${severity}_alert`,
    status: 'firing',
    severity,
    labels: { service: 'maif', ...labels },
    annotations: { summary: 'x' },
    startsAt: new Date(T0).toISOString(),
    source: 'cloudwatch',
    eventId: 'e',
  };
}

const snap = (extra: Partial<Snapshot> = {}): Snapshot => ({
  now: T0,
  silences: [],
  maintenance: [],
  active: [],
  groupKey: 'service=maif',
  ...extra,
});

const window = (from: number, to: number) => ({
  startsAt: new Date(from).toISOString(),
  endsAt: new Date(to).toISOString(),
});
const silence = (extra: Partial<Silence> = {}): Silence => ({
  id: 'sil-1',
  matchers: [{ name: 'service', value: 'maif' }],
  ...window(T0 - MINUTE, T0 + MINUTE),
  comment: 'deploy',
  createdBy: 'alice',
  ...extra,
});
const group = (lastNotifiedAt: number | undefined): GroupRecord => ({
  groupKey: 'service=maif',
  firstSeenAt: T0 - 60 * MINUTE,
  batchEndsAt: T0 - 60 * MINUTE,
  ...(lastNotifiedAt === undefined ? {} : { lastNotifiedAt }),
  batchLeader: 'other',
  members: ['other'],
  version: 3,
});

describe('the decision: what mutes an alert, in order', () => {
  it('pages a routed alert with level 0 waiting group_wait and the later levels as configured', () => {
    const d = decide(alert('critical'), router, snap());

    expect(d).toMatchObject({
      outcome: 'paged',
      levels: [
        { name: 'notify', channels: ['pagerduty'], delaySeconds: 30 },
        { name: 'email', channels: ['email'], delaySeconds: 900 },
      ],
      group: { kind: 'lead', waitMs: WAIT },
    });
    expect(d).not.toHaveProperty('reason');
    expect(d.plan?.matched).toEqual([0]);
  });

  it('silences first, naming the silence and its comment', () => {
    const d = decide(alert('critical'), router, snap({ silences: [silence()], maintenance: [window(T0 - 1, T0 + 1)] }));

    expect(d).toMatchObject({ outcome: 'silenced', reason: 'silence sil-1 (deploy)' });
    expect(d.plan?.matched).toEqual([0]);
  });

  it('then a maintenance window, which the suppression rules see as maintenance_mode', () => {
    const inWindow = snap({ maintenance: [window(T0, T0 + MINUTE)] });
    const d = decide(alert('critical'), router, inWindow);

    expect(d).toEqual({
      outcome: 'maintenance',
      plan: expect.objectContaining({ matched: [0] }),
      reason: 'a maintenance window covers this alert',
    });
    const mode = compileRouter({
      ...config,
      suppression: [{ name: 'mm', condition: 'maintenance_mode', action: 'suppress_all' }],
    });
    expect(decide(alert('critical'), mode, inWindow).plan?.suppressedBy).toBe('mm');
    expect(decide(alert('critical'), mode, snap()).plan).not.toHaveProperty('suppressedBy');
  });

  it('uses the windows and silences of the instant: ended ones mute nothing', () => {
    const d = decide(
      alert('critical'),
      router,
      snap({ silences: [silence(window(T0 - MINUTE, T0))], maintenance: [window(T0 - MINUTE, T0)] }),
    );

    expect(d.outcome).toBe('paged');
  });

  it('then inhibition by a firing source', () => {
    const source = { ...alert('critical', {}, 'src'), status: 'firing' as const };

    expect(decide(alert('warning'), router, snap({ active: [source] }))).toMatchObject({
      outcome: 'inhibited',
      reason: 'inhibited by firing alert src',
    });
  });

  it('then a suppress_all rule, before looking for a route', () => {
    expect(decide(alert('info', { noise: 'yes' }), router, snap())).toMatchObject({
      outcome: 'suppressed',
      reason: "suppression rule 'drop_noise'",
    });
  });

  it('reports no route, and a route that notifies nobody, as unrouted', () => {
    const unrouted = { outcome: 'unrouted', reason: 'no routing rule notifies anyone for this alert' };

    expect(decide(alert('info'), router, snap())).toMatchObject(unrouted);
    expect(decide(alert('info', { team: 'silent' }), router, snap())).toMatchObject(unrouted);
  });

  it('reports a route whose every level has no channel as unrouted', () => {
    const nobody = compileRouter({
      ...config,
      escalationTargets: { nobody: { channels: [] } },
      routing: [{ condition: 'true', actions: [{ type: 'escalate', delay: '5m', to: 'nobody' }] }],
    });

    expect(decide(alert('info'), nobody, snap())).toMatchObject({ outcome: 'unrouted' });
  });

  it('pages a route whose notify level is empty when a later level has channels', () => {
    const escalateOnly = compileRouter({
      ...config,
      routing: [{ condition: 'true', actions: [{ type: 'escalate', delay: '5m', to: 'email' }] }],
    });

    expect(decide(alert('info'), escalateOnly, snap())).toMatchObject({
      outcome: 'paged',
      levels: [
        { name: 'notify', channels: [], delaySeconds: 30 },
        { name: 'email', channels: ['email'], delaySeconds: 300 },
      ],
    });
  });
});

describe("the decision: the route's suppress window", () => {
  const similar = 'the route suppresses similar alerts for 1800s after a page';

  it('suppresses similar alerts while the group paged less than the window ago, to the millisecond', () => {
    expect(decide(alert('warning'), router, snap({ group: group(T0 - 30 * MINUTE + 1) }))).toMatchObject({
      outcome: 'suppressed',
      reason: similar,
    });
    expect(decide(alert('warning'), router, snap({ group: group(T0) }))).toMatchObject({ outcome: 'suppressed' });
    expect(decide(alert('warning'), router, snap({ group: group(T0 - 30 * MINUTE) })).outcome).toBe('paged');
  });

  it('does not suppress on a page still to come (a batch flushing later) or when the group never paged', () => {
    expect(decide(alert('warning'), router, snap({ group: group(T0 + 1) })).outcome).not.toBe('suppressed');
    expect(decide(alert('warning'), router, snap({ group: group(undefined) })).outcome).toBe('paged');
    expect(decide(alert('warning'), router, snap()).outcome).toBe('paged');
  });

  it('for a route that suppresses only this alert, reads the alert own last page, not the group', () => {
    const solo = alert('info', { team: 'solo' });

    expect(decide(solo, router, snap({ group: group(T0 - MINUTE) })).outcome).toBe('paged');
    // 20 minutes ago: past the 10-minute duplicate window, inside the route's 30 minutes
    expect(decide(solo, router, snap({ lastNotifiedAt: T0 - 20 * MINUTE }))).toMatchObject({
      outcome: 'suppressed',
      reason: 'the route suppresses this alert for 1800s after a page',
    });
  });
});

describe('the decision: grouping and holding', () => {
  it('folds into a pending batch of the group', () => {
    const pending: GroupRecord = { ...group(T0 + 10_000), batchEndsAt: T0 + 10_000 };

    expect(decide(alert('critical'), router, snap({ group: pending }))).toMatchObject({
      outcome: 'grouped',
      group: { kind: 'fold', leader: 'other' },
    });
  });

  it('holds a duplicate until its window ends when that is later than the batch, rounding up to a second', () => {
    const d = decide(alert('critical'), router, snap({ lastNotifiedAt: T0 - 9 * MINUTE - 500 }));

    expect(d).toMatchObject({ outcome: 'paged', levels: [{ delaySeconds: 60 }, { delaySeconds: 900 }] });
    expect(d.outcome === 'paged' && d.reason).toBe(
      `held by suppression rule 'dupes' until ${new Date(T0 + MINUTE - 500).toISOString()}`,
    );
  });

  it('waits for the batch when it flushes after the duplicate window', () => {
    const d = decide(alert('critical'), router, snap({ lastNotifiedAt: T0 - 10 * MINUTE + 10_000 }));

    expect(d).toMatchObject({ outcome: 'paged', levels: [{ delaySeconds: 30 }, { delaySeconds: 900 }] });
  });

  it('builds the escalation input from the alert, episode, levels and repeat count', () => {
    const a = alert('critical');
    const levels = [{ name: 'notify', channels: ['slack'], delaySeconds: 3 }];

    expect(escalationInput(a, 4, levels, 2)).toEqual({ alert: a, episode: 4, levels, repeat: 2 });
  });
});
