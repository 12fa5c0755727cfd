import fc from 'fast-check';
import { resolveConfig } from '../../domain/config';
import type { Alert } from '../../domain/contracts/alert';
import { DEFAULT_BUSINESS_HOURS, isBusinessHours } from '../../domain/routing/calendar';
import { decide } from '../../domain/routing/decide';
import { decideGroup } from '../../domain/routing/grouping';
import { inhibitedBy } from '../../domain/routing/inhibition';
import { compileRouter, planRoute, type RouterConfig, routerConfigOf } from '../../domain/routing/routing';
import { inMaintenance, matches, parseMatcher, silencedBy } from '../../domain/routing/silences';
import example from '../../observability.config';

const config = routerConfigOf(resolveConfig(example, 'prod').alerting);
const router = compileRouter(config);
/** Tuesday 2026-11-24, 11:00 in Paris (business hours); 23:00 in Paris is not. */
const DAY = Date.parse('2026-11-24T10:00:00Z');
const NIGHT = Date.parse('2026-11-24T22:00:00Z');

function alert(alertName: string, severity: Alert['severity'], labels: Record<string, string>): Alert {
  return {
    fingerprint: `fp-${alertName}-${Object.values(labels).join('-')}`,
    alertName,
    status: 'firing',
    severity,
    labels,
    annotations: { summary: alertName },
    startsAt: new Date(DAY).toISOString(),
    source: 'cloudwatch',
    eventId: 'e',
  };
}

const facts = (at = DAY, extra: { maintenanceMode?: boolean; lastNotifiedAt?: number } = {}) => ({
  at,
  maintenanceMode: extra.maintenanceMode ?? false,
  lastNotifiedAt: extra.lastNotifiedAt,
});

describe('routing rules', () => {
  it('routes a critical alert to PagerDuty and Slack and escalates to the on-call manager after 15 minutes', () => {
    const plan = planRoute(alert('system_down', 'critical', { team: 'platform' }), router, facts());

    expect(plan.matched).toEqual([0]);
    expect(plan.levels).toEqual([
      { name: 'notify', channels: ['pagerduty', 'slack'], delaySeconds: 0 },
      { name: 'on_call_manager', channels: ['pagerduty', 'email'], delaySeconds: 900 },
    ]);
  });

  it("keeps only the notify level when alerting.escalation is false (the guide's escalation_enabled=False)", () => {
    const off = routerConfigOf(
      resolveConfig({ ...example, alerting: { ...example.alerting, escalation: false } }, 'prod').alerting,
    );
    const critical = alert('system_down', 'critical', { team: 'platform' });

    expect(config.escalation).toBe(true);
    expect(config.repeat).toBe(2);
    expect(off.escalation).toBe(false);
    const plan = planRoute(critical, compileRouter(off), facts());
    expect(plan.matched).toEqual([0]);
    expect(plan.levels).toEqual([{ name: 'notify', channels: ['pagerduty', 'slack'], delaySeconds: 0 }]);
    expect(plan.repeat).toBe(0);
    expect(planRoute(critical, router, facts()).repeat).toBe(2);
  });

  it('resolves a bare identifier to a label: team means labels.team', () => {
    const platform = planRoute(alert('high_latency', 'warning', { team: 'platform' }), router, facts());
    const infra = planRoute(alert('disk_space_low', 'warning', { team: 'infrastructure' }), router, facts());

    expect(platform.matched).toEqual([1]);
    expect(infra.matched).toEqual([]);
    expect(infra.levels).toEqual([]);
  });

  it('computes business_hours from the calendar in its time zone', () => {
    const maif = alert('disk_space_low', 'warning', { team: 'infrastructure', service: 'maif' });

    expect(planRoute(maif, router, facts(DAY)).matched).toEqual([]);
    expect(planRoute(maif, router, facts(NIGHT)).matched).toEqual([2]);
    expect(planRoute(maif, router, facts(NIGHT)).suppress).toEqual({ durationMs: 30 * 60_000, similarAlerts: true });
  });

  it('stops at the first matching rule unless the rule says continue', () => {
    const cont: RouterConfig = {
      ...config,
      routing: [
        { ...config.routing[0], continue: true } as RouterConfig['routing'][number],
        ...config.routing.slice(1),
      ],
    };
    const a = alert('system_down', 'critical', { team: 'platform', service: 'maif' });

    expect(planRoute(a, router, facts(NIGHT)).matched).toEqual([0]);
    expect(planRoute(a, compileRouter(cont), facts(NIGHT)).matched).toEqual([0, 2]);
  });

  it('mutes alerts with the maintenance_window suppression rule and duplicates within 10 minutes', () => {
    const a = alert('system_down', 'critical', { team: 'platform' });

    expect(planRoute(a, router, facts(DAY, { maintenanceMode: true })).suppressedBy).toBe('maintenance_window');
    expect(planRoute(a, router, facts(DAY, { lastNotifiedAt: DAY - 9 * 60_000 }))).toMatchObject({
      suppressedBy: 'duplicate_alerts',
      suppressAction: 'group_and_suppress',
      deferUntil: DAY + 60_000,
    });
    expect(planRoute(a, router, facts(DAY, { lastNotifiedAt: DAY - 11 * 60_000 })).suppressedBy).toBeUndefined();
  });

  it('names the rule whose condition does not parse', () => {
    const bad: RouterConfig = { ...config, routing: [{ condition: "severity = 'x'", actions: [] }] };

    expect(() => compileRouter(bad)).toThrow(/^alerting\.routing\[0\]\.condition: expression/);
  });
});

describe('business hours calendar', () => {
  it('honours the time zone, the days and the holidays', () => {
    const paris = {
      timeZone: 'Europe/Paris',
      days: ['mon', 'tue', 'wed', 'thu', 'fri'] as const,
      start: '09:00',
      end: '18:00',
      holidays: ['2026-12-25'],
    };

    expect(isBusinessHours(Date.parse('2026-11-24T07:59:00Z'), paris)).toBe(false);
    expect(isBusinessHours(Date.parse('2026-11-24T08:00:00Z'), paris)).toBe(true);
    expect(isBusinessHours(Date.parse('2026-11-24T16:59:00Z'), paris)).toBe(true);
    expect(isBusinessHours(Date.parse('2026-11-24T17:00:00Z'), paris)).toBe(false);
    expect(isBusinessHours(Date.parse('2026-11-28T10:00:00Z'), paris)).toBe(false);
    expect(isBusinessHours(Date.parse('2026-12-25T10:00:00Z'), paris)).toBe(false);
  });

  it('agrees with the UTC wall clock for the UTC calendar at every instant', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 4_102_444_800_000 }), (at) => {
        const d = new Date(at);
        const minutes = d.getUTCHours() * 60 + d.getUTCMinutes();
        const weekday = d.getUTCDay();
        const expected = weekday >= 1 && weekday <= 5 && minutes >= 9 * 60 && minutes < 18 * 60;
        expect(isBusinessHours(at, DEFAULT_BUSINESS_HOURS)).toBe(expected);
      }),
    );
  });
});

describe('grouping', () => {
  const timers = { waitMs: 30_000, intervalMs: 300_000, repeatMs: 4 * 3_600_000 };

  it('lets the first alert lead a new group after group_wait and folds the next ones into it', () => {
    const first = decideGroup('g', undefined, 'a', DAY, timers);
    const group = { ...first.next, version: 1 };
    const second = decideGroup('g', group, 'b', DAY + 10_000, timers);

    expect(first).toMatchObject({ kind: 'lead', waitMs: 30_000, changed: true });
    expect(second).toMatchObject({ kind: 'fold', leader: 'a', changed: true });
    expect(second.next.members).toEqual(['a', 'b']);
  });

  it('starts the next batch group_interval after the last one, and a fresh group after repeat_interval', () => {
    const group = { ...decideGroup('g', undefined, 'a', DAY, timers).next, version: 1 };

    expect(decideGroup('g', group, 'c', DAY + 60_000, timers)).toMatchObject({ kind: 'lead', waitMs: 270_000 });
    expect(decideGroup('g', group, 'c', DAY + 400_000, timers)).toMatchObject({ kind: 'lead', waitMs: 0 });
    expect(decideGroup('g', group, 'c', DAY + 5 * 3_600_000, timers)).toMatchObject({ kind: 'lead', waitMs: 30_000 });
  });

  it('answers a re-delivery of the leader with the same page time and nothing to write', () => {
    const group = { ...decideGroup('g', undefined, 'a', DAY, timers).next, version: 1 };

    expect(decideGroup('g', group, 'a', DAY + 5_000, timers)).toMatchObject({
      kind: 'lead',
      waitMs: 25_000,
      changed: false,
    });
  });
  // the batch decisions against an independent model: test/unit/routing-grouping.test.ts
});

describe('inhibition', () => {
  const critical = { ...alert('system_down', 'critical', { service: 'maif' }), status: 'firing' as const };

  it('mutes a warning while a critical alert with the same service fires', () => {
    const warning = alert('high_latency', 'warning', { service: 'maif' });

    expect(inhibitedBy(warning, [critical], router, facts(), config.businessHours)).toBe(critical.fingerprint);
  });

  it('leaves warnings of other services, resolved sources and critical targets alone', () => {
    const other = alert('high_latency', 'warning', { service: 'search' });
    const resolved = { ...critical, status: 'resolved' as const };
    const crit2 = alert('db_down', 'critical', { service: 'maif' });

    expect(inhibitedBy(other, [critical], router, facts(), config.businessHours)).toBeUndefined();
    expect(
      inhibitedBy(
        alert('high_latency', 'warning', { service: 'maif' }),
        [resolved],
        router,
        facts(),
        config.businessHours,
      ),
    ).toBeUndefined();
    expect(inhibitedBy(crit2, [critical], router, facts(), config.businessHours)).toBeUndefined();
  });
});

describe('silences and maintenance windows', () => {
  const window = { startsAt: new Date(DAY).toISOString(), endsAt: new Date(DAY + 3_600_000).toISOString() };
  const a = alert('high_latency', 'warning', { service: 'maif', team: 'platform' });

  it('matches equality, negation and anchored regular expressions, including alertname', () => {
    expect(matches(parseMatcher('service=maif'), { service: 'maif' })).toBe(true);
    expect(matches(parseMatcher('service!=maif'), { service: 'maif' })).toBe(false);
    expect(matches(parseMatcher('service=~ma.*'), { service: 'maif' })).toBe(true);
    expect(matches(parseMatcher('service=~ai'), { service: 'maif' })).toBe(false);
    expect(
      silencedBy(
        a,
        [{ ...window, id: 's', matchers: [parseMatcher('alertname=high_latency')], comment: '', createdBy: 'x' }],
        DAY,
      )?.id,
    ).toBe('s');
  });

  it('silences only inside the window', () => {
    const s = [{ ...window, id: 's', matchers: [parseMatcher('team=platform')], comment: '', createdBy: 'x' }];

    expect(silencedBy(a, s, DAY - 1)).toBeUndefined();
    expect(silencedBy(a, s, DAY)?.id).toBe('s');
    expect(silencedBy(a, s, DAY + 3_600_000)).toBeUndefined();
  });

  it('covers every alert with a maintenance window without matchers', () => {
    expect(inMaintenance(a, [window], DAY + 1)).toBe(true);
    expect(inMaintenance(a, [{ ...window, matchers: [parseMatcher('service=other')] }], DAY + 1)).toBe(false);
  });

  it('rejects a matcher that is not name=value, naming what is allowed', () => {
    expect(() => parseMatcher('service')).toThrow(
      "matcher 'service' is not name=value, name!=value, name=~regex or name!~regex",
    );
    expect(() => parseMatcher('service=~(')).toThrow("matcher 'service': '(' is not a regular expression");
  });

  it('parses back every matcher it prints', () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,10}$/),
        fc.constantFrom('=', '!=', '=~', '!~'),
        fc.stringMatching(/^([a-z0-9._-]([a-z0-9 ._-]{0,10}[a-z0-9._-])?)?$/),
        (name, op, value) => {
          const m = parseMatcher(`${name}${op}${value}`);
          expect(m).toEqual({ name, value, isRegex: op.endsWith('~'), isEqual: !op.startsWith('!') });
        },
      ),
    );
  });
});

describe('the router decision', () => {
  const base = { now: DAY, silences: [], maintenance: [], active: [], groupKey: 'g' };

  it('pages with level 0 waiting group_wait', () => {
    const d = decide(alert('system_down', 'critical', { team: 'platform' }), router, base);

    expect(d.outcome).toBe('paged');
    expect(d.outcome === 'paged' && d.levels[0]?.delaySeconds).toBe(30);
  });

  it('reports an alert no rule routes as unrouted', () => {
    expect(decide(alert('disk_space_low', 'info', {}), router, base)).toMatchObject({ outcome: 'unrouted' });
  });

  it('suppresses similar alerts for the route suppress duration after the group paged', () => {
    const group = {
      groupKey: 'g',
      firstSeenAt: NIGHT - 600_000,
      batchEndsAt: NIGHT - 570_000,
      lastNotifiedAt: NIGHT - 570_000,
      batchLeader: 'x',
      members: ['x'],
      version: 1,
    };
    const a = alert('disk_space_low', 'warning', { team: 'infrastructure', service: 'maif' });

    expect(decide(a, router, { ...base, now: NIGHT, group })).toMatchObject({ outcome: 'suppressed' });
    expect(decide(a, router, { ...base, now: NIGHT + 30 * 60_000, group }).outcome).toBe('paged');
  });

  it('holds a duplicate within 10 minutes of the last page until the window ends instead of dropping it', () => {
    const a = alert('system_down', 'critical', { team: 'platform' });

    const d = decide(a, router, { ...base, lastNotifiedAt: DAY - 4 * 60_000 });

    expect(d.outcome).toBe('paged');
    expect(d.outcome === 'paged' && d.levels[0]?.delaySeconds).toBe(6 * 60);
    expect(d.outcome === 'paged' && d.reason).toMatch(/held by suppression rule 'duplicate_alerts' until/);
  });

  it('drops an alert muted by a suppress_all rule', () => {
    const rules: RouterConfig = {
      ...config,
      suppression: [{ name: 'quiet', condition: "team == 'platform'", action: 'suppress_all' }],
    };

    expect(decide(alert('system_down', 'critical', { team: 'platform' }), compileRouter(rules), base)).toMatchObject({
      outcome: 'suppressed',
      reason: "suppression rule 'quiet'",
    });
  });

  it('applies a maintenance window from the configuration', () => {
    const maintenance = [
      { startsAt: new Date(DAY - 1).toISOString(), endsAt: new Date(DAY + 1).toISOString(), matchers: [] },
    ];

    expect(decide(alert('system_down', 'critical', {}), router, { ...base, maintenance }).outcome).toBe('maintenance');
  });
});
