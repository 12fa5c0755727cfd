/**
 * Route plans (domain/routing/routing.ts) on small hand-written configurations: the levels, the
 * `suppress` window (the LONGEST of the matched rules wins), suppression rules and their duplicate
 * window, the identifiers the expressions may ask for, durations and group keys.
 */
import type { Alert } from '../../domain/contracts/alert';
import { DEFAULT_BUSINESS_HOURS } from '../../domain/routing/calendar';
import {
  alertResolver,
  compileRouter,
  durationMs,
  groupKeyOf,
  planRoute,
  type RouterConfig,
  type RoutingActionConfig,
  routerConfigOf,
} from '../../domain/routing/routing';

const T0 = Date.parse('2026-11-24T10:00:00Z'); // a Tuesday, 10:00 UTC: business hours
const MINUTE = 60_000;
const facts = (extra: { at?: number; maintenanceMode?: boolean; lastNotifiedAt?: number } = {}) => ({
  at: extra.at ?? T0,
  maintenanceMode: extra.maintenanceMode ?? false,
  lastNotifiedAt: extra.lastNotifiedAt,
});

const base: RouterConfig = {
  routing: [],
  suppression: [],
  grouping: { group_by: ['service'], group_wait: '30s', group_interval: '5m', repeat_interval: '4h' },
  inhibition: [],
  escalationTargets: { managers: { channels: ['pagerduty', 'email'] } },
  channels: ['slack', 'pagerduty', 'email'],
  escalation: true,
  repeat: 3,
  businessHours: DEFAULT_BUSINESS_HOURS,
  maintenance: [],
};

function routerOf(config: Partial<RouterConfig>) {
  return compileRouter({ ...base, ...config });
}

const rule = (condition: string, actions: RoutingActionConfig[], cont = false) => ({
  condition,
  actions,
  continue: cont,
});

const alert: Alert = {
  fingerprint: 'fp',
  alertName: 'disk_full',
  status: 'firing',
  severity: 'warning',
  labels: { service: 'maif', team: 'platform' },
  annotations: { summary: 'disk full' },
  startsAt: new Date(T0).toISOString(),
  source: 'cloudwatch',
  eventId: 'e',
};

describe('route plans: the suppress window', () => {
  const suppress = (duration: string, similarAlerts?: boolean): RoutingActionConfig => ({
    type: 'suppress',
    duration,
    ...(similarAlerts === undefined ? {} : { similarAlerts }),
  });

  it('keeps the longest suppress action of one rule, in either order', () => {
    const shortFirst = routerOf({ routing: [rule('true', [suppress('10m', false), suppress('30m', true)])] });
    const longFirst = routerOf({ routing: [rule('true', [suppress('30m', true), suppress('10m', false)])] });

    expect(planRoute(alert, shortFirst, facts()).suppress).toEqual({ durationMs: 30 * MINUTE, similarAlerts: true });
    expect(planRoute(alert, longFirst, facts()).suppress).toEqual({ durationMs: 30 * MINUTE, similarAlerts: true });
  });

  it('keeps the longest suppress action across the rules matched with continue', () => {
    const router = routerOf({
      routing: [
        rule('true', [suppress('1h', false)], true),
        rule('true', [suppress('5m', true)], true),
        rule('true', [suppress('20m', true)]),
      ],
    });

    expect(planRoute(alert, router, facts()).suppress).toEqual({ durationMs: 3_600_000, similarAlerts: false });
  });

  it('keeps the first of two equally long windows, and defaults to similar alerts', () => {
    const router = routerOf({ routing: [rule('true', [suppress('10m'), suppress('600s', false)])] });

    expect(planRoute(alert, router, facts()).suppress).toEqual({ durationMs: 10 * MINUTE, similarAlerts: true });
  });

  it('has no suppress window when no matched rule suppresses', () => {
    const router = routerOf({ routing: [rule('true', [{ type: 'notify', channels: ['slack'] }])] });

    expect(planRoute(alert, router, facts())).not.toHaveProperty('suppress');
  });
});

describe('route plans: levels', () => {
  it('notifies the union of the matched rules, then one level per escalation, in order', () => {
    const router = routerOf({
      routing: [
        rule("team == 'platform'", [{ type: 'notify', channels: ['slack'] }], true),
        rule(
          "severity == 'warning'",
          [
            { type: 'notify', channels: ['slack', 'pagerduty'] },
            { type: 'escalate', delay: '15m', to: 'managers' },
            { type: 'escalate', delay: '90s', to: 'email' },
          ],
          true,
        ),
        rule("severity == 'critical'", [{ type: 'notify', channels: ['email'] }]),
      ],
    });

    const plan = planRoute(alert, router, facts());

    expect(plan).toEqual({
      matched: [0, 1],
      levels: [
        { name: 'notify', channels: ['slack', 'pagerduty'], delaySeconds: 0 },
        { name: 'managers', channels: ['pagerduty', 'email'], delaySeconds: 900 },
        // a target that is not an escalation target is a channel
        { name: 'email', channels: ['email'], delaySeconds: 90 },
      ],
      repeat: 3,
    });
  });

  it('escalates with an empty notify level when the rules only escalate, and has no level when nothing matches', () => {
    const router = routerOf({ routing: [rule("severity == 'warning'", [{ type: 'escalate', delay: '1m', to: 'x' }])] });

    expect(planRoute(alert, router, facts()).levels).toEqual([
      { name: 'notify', channels: [], delaySeconds: 0 },
      { name: 'x', channels: ['x'], delaySeconds: 60 },
    ]);
    expect(planRoute({ ...alert, severity: 'info' }, router, facts())).toEqual({ matched: [], levels: [], repeat: 3 });
  });

  it('drops escalations and repeats when escalation is off', () => {
    const router = routerOf({
      escalation: false,
      routing: [
        rule('true', [
          { type: 'notify', channels: ['slack'] },
          { type: 'escalate', delay: '1m', to: 'managers' },
        ]),
      ],
    });

    expect(planRoute(alert, router, facts())).toEqual({
      matched: [0],
      levels: [{ name: 'notify', channels: ['slack'], delaySeconds: 0 }],
      repeat: 0,
    });
  });

  it('stops at the first match without continue', () => {
    const router = routerOf({
      routing: [
        rule('true', [{ type: 'notify', channels: ['slack'] }]),
        rule('true', [{ type: 'notify', channels: ['email'] }]),
      ],
    });

    expect(planRoute(alert, router, facts()).matched).toEqual([0]);
  });
});

describe('route plans: suppression rules', () => {
  const notify = rule('true', [{ type: 'notify', channels: ['slack'] }]);

  it('names the first suppression rule that matches, with its action', () => {
    const router = routerOf({
      routing: [notify],
      suppression: [
        { name: 'never', condition: "team == 'nobody'", action: 'suppress_all' },
        { name: 'quiet', condition: "team == 'platform'", action: 'suppress_all' },
        { name: 'later', condition: 'true', action: 'group_and_suppress' },
      ],
    });

    expect(planRoute(alert, router, facts())).toMatchObject({ suppressedBy: 'quiet', suppressAction: 'suppress_all' });
    expect(planRoute(alert, router, facts())).not.toHaveProperty('deferUntil');
  });

  it('holds a duplicate until the longest same_alert_within window named in the rule ends', () => {
    const router = routerOf({
      routing: [notify],
      suppression: [
        {
          name: 'dupes',
          condition: 'same_alert_within_10m or same_alert_within_1h or same_alert_within_30s',
          action: 'group_and_suppress',
        },
      ],
    });
    const last = T0 - 20 * MINUTE;

    expect(router.suppression[0]?.windowMs).toBe(3_600_000);
    expect(planRoute(alert, router, facts({ lastNotifiedAt: last }))).toMatchObject({
      suppressedBy: 'dupes',
      suppressAction: 'group_and_suppress',
      deferUntil: last + 3_600_000,
    });
  });

  it('holds nothing once the window has ended, at its last millisecond included', () => {
    const router = routerOf({
      routing: [notify],
      suppression: [{ name: 'dupes', condition: 'true or same_alert_within_10m', action: 'group_and_suppress' }],
    });

    expect(planRoute(alert, router, facts({ lastNotifiedAt: T0 - 10 * MINUTE + 1 })).deferUntil).toBe(T0 + 1);
    expect(planRoute(alert, router, facts({ lastNotifiedAt: T0 - 10 * MINUTE }))).not.toHaveProperty('deferUntil');
    // never paged: nothing to hold back from
    expect(planRoute(alert, router, facts())).not.toHaveProperty('deferUntil');
  });

  it('holds nothing for a group_and_suppress rule without a window, or a suppress_all rule with one', () => {
    const windowless = routerOf({
      routing: [notify],
      suppression: [{ name: 'g', condition: 'true', action: 'group_and_suppress' }],
    });
    const dropAll = routerOf({
      routing: [notify],
      suppression: [{ name: 'd', condition: 'same_alert_within_10m', action: 'suppress_all' }],
    });
    const last = { lastNotifiedAt: T0 - MINUTE };

    expect(windowless.suppression[0]?.windowMs).toBe(0);
    expect(planRoute(alert, windowless, facts(last))).not.toHaveProperty('deferUntil');
    // not even when the last page is still to come (a batch flushing later)
    expect(planRoute(alert, windowless, facts({ lastNotifiedAt: T0 + MINUTE }))).not.toHaveProperty('deferUntil');
    expect(planRoute(alert, dropAll, facts(last))).toMatchObject({ suppressedBy: 'd', suppressAction: 'suppress_all' });
    expect(planRoute(alert, dropAll, facts(last))).not.toHaveProperty('deferUntil');
  });

  it('names the suppression and inhibition expressions that do not parse', () => {
    expect(() => routerOf({ suppression: [{ name: 'x', condition: 'a ==', action: 'suppress_all' }] })).toThrow(
      /^alerting\.suppression\[0\]\.condition: /,
    );
    expect(() => routerOf({ inhibition: [{ source: 'true', target: '(', equal: [] }] })).toThrow(
      /^alerting\.inhibition\[0\]\.target: /,
    );
    expect(() => routerOf({ inhibition: [{ source: ')', target: 'true', equal: [] }] })).toThrow(
      /^alerting\.inhibition\[0\]\.source: /,
    );
  });
});

describe('the identifiers of routing expressions', () => {
  const resolve = (extra: Parameters<typeof facts>[0] = {}, a: Alert = alert) =>
    alertResolver(a, facts(extra), DEFAULT_BUSINESS_HOURS);

  it('reads alert fields, nested fields and labels, and nothing past a label', () => {
    const r = resolve();

    expect(r(['severity'])).toBe('warning');
    expect(r(['labels', 'service'])).toBe('maif');
    expect(r(['annotations', 'summary'])).toBe('disk full');
    expect(r(['labels', 'service', 'deeper'])).toBeUndefined();
    expect(r(['alertName', 'length'])).toBeUndefined();
    expect(r(['team'])).toBe('platform');
    expect(r(['alertname'])).toBe('disk_full');
    expect(r(['team', 'x'])).toBeUndefined();
    expect(r(['nothing'])).toBeUndefined();
    expect(r([])).toBeUndefined();
    // an empty path is no label, even one named 'undefined'
    expect(
      alertResolver({ ...alert, labels: { undefined: 'x' } }, facts(), DEFAULT_BUSINESS_HOURS)([]),
    ).toBeUndefined();
  });

  it('reads every field of the alert by its name, before a label of that name', () => {
    const a: Alert = {
      ...alert,
      endsAt: '2026-11-24T11:00:00.000Z',
      labels: { fingerprint: 'label', source: 'label' },
    };
    const r = resolve({}, a);

    expect(
      ['fingerprint', 'alertName', 'status', 'startsAt', 'endsAt', 'source', 'eventId'].map((f) => r([f])),
    ).toEqual(['fp', 'disk_full', 'firing', new Date(T0).toISOString(), '2026-11-24T11:00:00.000Z', 'cloudwatch', 'e']);
    // a field that is null has nothing inside
    expect(resolve({}, { ...alert, endsAt: null as unknown as string })(['endsAt', 'x'])).toBeUndefined();
  });

  it('computes business_hours and maintenance_mode from the facts', () => {
    expect(resolve()(['business_hours'])).toBe(true);
    expect(resolve({ at: T0 + 9 * 3_600_000 })(['business_hours'])).toBe(false);
    expect(resolve({ maintenanceMode: true })(['maintenance_mode'])).toBe(true);
    expect(resolve()(['maintenance_mode'])).toBe(false);
  });

  it('answers same_alert_within_<d> strictly within d of the last page, false when never paged', () => {
    expect(resolve({ lastNotifiedAt: T0 - 10 * MINUTE + 1 })(['same_alert_within_10m'])).toBe(true);
    expect(resolve({ lastNotifiedAt: T0 - 10 * MINUTE })(['same_alert_within_10m'])).toBe(false);
    expect(resolve()(['same_alert_within_10m'])).toBe(false);
    // a label of that name is not asked: the identifier is computed
    expect(resolve({}, { ...alert, labels: { same_alert_within_10m: 'yes' } })(['same_alert_within_10m'])).toBe(false);
    // a name that only looks like it is a label
    expect(resolve({ lastNotifiedAt: T0 })(['same_alert_within_10'])).toBeUndefined();
    expect(resolve({ lastNotifiedAt: T0 })(['xsame_alert_within_10m'])).toBeUndefined();
    expect(resolve({ lastNotifiedAt: T0 })(['same_alert_within_10mx'])).toBeUndefined();
  });
});

describe('durations and group keys', () => {
  it('reads every unit and decimals, and names what is allowed otherwise', () => {
    expect(['500ms', '30s', '5m', '1h', '1d', '1w', '1.5m', '1.25s'].map(durationMs)).toEqual([
      500, 30_000, 300_000, 3_600_000, 86_400_000, 604_800_000, 90_000, 1_250,
    ]);
    for (const bad of ['5', 'm', '5 m', ' 5m', '5m ', '-5m', '5y', '1.m', 'x5m'])
      expect(() => durationMs(bad)).toThrow(`'${bad}' is not a duration (use 500ms, 30s, 5m, 1h, 1d, 1w)`);
  });

  it('keys a group by its group_by values, alertname and severity included, missing labels empty', () => {
    expect(groupKeyOf(alert, ['service', 'alertname', 'severity', 'zone'])).toBe(
      'service=maif,alertname=disk_full,severity=warning,zone=',
    );
    // a label named like a field does not replace the alert's own name
    expect(groupKeyOf({ ...alert, labels: { alertname: 'x' } }, ['alertname'])).toBe('alertname=x');
    expect(groupKeyOf(alert, [])).toBe('');
  });

  it('compiles the timers of the grouping configuration', () => {
    expect(routerOf({}).timers).toEqual({ waitMs: 30_000, intervalMs: 300_000, repeatMs: 4 * 3_600_000 });
  });

  it('takes only the configured channels into the router configuration', () => {
    const config = routerConfigOf({
      ...base,
      channels: { slack: { webhook: 'x' }, email: undefined, pagerduty: {} },
      escalation: false,
    });

    expect(config.channels).toEqual(['slack', 'pagerduty']);
    expect(config.escalation).toBe(false);
    expect(config.maintenance).toBe(base.maintenance);
  });
});
