/**
 * Inhibition (domain/routing/inhibition.ts): a firing source mutes a target only when they carry
 * the same value of EVERY `equal` label (a label missing on both sides counts as equal, as in
 * Alertmanager).
 */
import fc from 'fast-check';
import type { Alert } from '../../domain/contracts/alert';
import { DEFAULT_BUSINESS_HOURS } from '../../domain/routing/calendar';
import { inhibitedBy } from '../../domain/routing/inhibition';
import { compileRouter, type RouterConfig } from '../../domain/routing/routing';

const T0 = Date.parse('2026-11-24T10:00:00Z');
const facts = { at: T0, maintenanceMode: false };

function routerWith(inhibition: RouterConfig['inhibition']) {
  return compileRouter({
    routing: [],
    suppression: [],
    grouping: { group_by: [], group_wait: '30s', group_interval: '5m', repeat_interval: '4h' },
    inhibition,
    escalationTargets: {},
    channels: [],
    repeat: 0,
    businessHours: DEFAULT_BUSINESS_HOURS,
    maintenance: [],
  });
}

function alert(fingerprint: string, severity: Alert['severity'], labels: Record<string, string>): Alert {
  return {
    fingerprint,
    alertName: fingerprint,
    status: 'firing',
    severity,
    labels,
    annotations: { summary: fingerprint },
    startsAt: new Date(T0).toISOString(),
    source: 'cloudwatch',
    eventId: `e-${fingerprint}`,
  };
}

const criticalMutesWarning = (equal: string[]) =>
  routerWith([{ source: "severity == 'critical'", target: "severity == 'warning'", equal }]);

describe('inhibition: equal labels', () => {
  const router = criticalMutesWarning(['service', 'environment']);
  const source = alert('down', 'critical', { service: 'maif', environment: 'prod' });

  it('mutes the target when every equal label has the same value', () => {
    const target = alert('slow', 'warning', { service: 'maif', environment: 'prod', team: 'x' });

    expect(inhibitedBy(target, [source], router, facts, DEFAULT_BUSINESS_HOURS)).toBe('down');
  });

  it('does not mute when one equal label differs, even if the others match', () => {
    const otherEnv = alert('slow', 'warning', { service: 'maif', environment: 'dev' });
    const otherService = alert('slow', 'warning', { service: 'search', environment: 'prod' });

    expect(inhibitedBy(otherEnv, [source], router, facts, DEFAULT_BUSINESS_HOURS)).toBeUndefined();
    expect(inhibitedBy(otherService, [source], router, facts, DEFAULT_BUSINESS_HOURS)).toBeUndefined();
  });

  it('treats a label missing on one side as different, and missing on both sides as equal', () => {
    const noEnv = alert('slow', 'warning', { service: 'maif' });
    const sourceNoEnv = alert('down', 'critical', { service: 'maif' });

    expect(inhibitedBy(noEnv, [source], router, facts, DEFAULT_BUSINESS_HOURS)).toBeUndefined();
    expect(inhibitedBy(noEnv, [sourceNoEnv], router, facts, DEFAULT_BUSINESS_HOURS)).toBe('down');
  });

  it('with no equal labels, mutes every target while any source fires', () => {
    const everywhere = criticalMutesWarning([]);
    const target = alert('slow', 'warning', { service: 'search' });

    expect(inhibitedBy(target, [source], everywhere, facts, DEFAULT_BUSINESS_HOURS)).toBe('down');
  });

  it('mutes exactly when all equal labels agree (property)', () => {
    const value = fc.option(fc.constantFrom('a', 'b'), { nil: undefined });
    const labelsArb = fc.record({ l1: value, l2: value, l3: value });
    const clean = (l: Record<string, string | undefined>) =>
      Object.fromEntries(Object.entries(l).filter(([, v]) => v !== undefined)) as Record<string, string>;
    fc.assert(
      fc.property(fc.subarray(['l1', 'l2', 'l3']), labelsArb, labelsArb, (equal, sourceLabels, targetLabels) => {
        const src = alert('src', 'critical', clean(sourceLabels));
        const tgt = alert('tgt', 'warning', clean(targetLabels));
        const agree = equal.every((name) => (sourceLabels[name as 'l1'] ?? '') === (targetLabels[name as 'l1'] ?? ''));

        const got = inhibitedBy(tgt, [src], criticalMutesWarning(equal), facts, DEFAULT_BUSINESS_HOURS);

        expect(got).toBe(agree ? 'src' : undefined);
      }),
    );
  });
});

describe('inhibition: sources and targets', () => {
  const router = criticalMutesWarning(['service']);
  const target = alert('slow', 'warning', { service: 'maif' });

  it('needs no rules to answer, and answers nothing without a firing source', () => {
    expect(
      inhibitedBy(
        target,
        [alert('down', 'critical', { service: 'maif' })],
        routerWith([]),
        facts,
        DEFAULT_BUSINESS_HOURS,
      ),
    ).toBeUndefined();
    expect(inhibitedBy(target, [], router, facts, DEFAULT_BUSINESS_HOURS)).toBeUndefined();
  });

  it('ignores resolved sources and the alert itself, and answers the first firing source', () => {
    const resolved = { ...alert('old', 'critical', { service: 'maif' }), status: 'resolved' as const };
    const acked = { ...alert('acked', 'critical', { service: 'maif' }), status: 'acked' as const };
    const self = { ...alert('slow', 'critical', { service: 'maif' }) };
    const firing = alert('down', 'critical', { service: 'maif' });

    expect(inhibitedBy(target, [resolved, self], router, facts, DEFAULT_BUSINESS_HOURS)).toBeUndefined();
    // an acknowledged source still fires
    expect(inhibitedBy(target, [resolved, self, acked, firing], router, facts, DEFAULT_BUSINESS_HOURS)).toBe('acked');
  });

  it('applies a rule only to alerts matching its target, and only to sources matching its source', () => {
    const warningSource = alert('warn', 'warning', { service: 'maif' });
    const critical = alert('crit', 'critical', { service: 'maif' });
    const down = alert('down', 'critical', { service: 'maif' });

    expect(inhibitedBy(target, [warningSource], router, facts, DEFAULT_BUSINESS_HOURS)).toBeUndefined();
    expect(inhibitedBy(critical, [down], router, facts, DEFAULT_BUSINESS_HOURS)).toBeUndefined();
  });

  it('tries every rule in order until one inhibits', () => {
    const rules = routerWith([
      { source: "severity == 'critical'", target: "alertName == 'nothing'", equal: [] },
      { source: "alertName == 'nope'", target: "severity == 'warning'", equal: [] },
      { source: "severity == 'critical'", target: "severity == 'warning'", equal: ['service'] },
    ]);
    const other = alert('other', 'critical', { service: 'search' });
    const down = alert('down', 'critical', { service: 'maif' });

    expect(inhibitedBy(target, [other, down], rules, facts, DEFAULT_BUSINESS_HOURS)).toBe('down');
  });

  it('evaluates the source condition on the source alert, with the facts of the instant', () => {
    // business_hours of the instant, labels of the source
    const rules = routerWith([
      { source: "labels.role == 'edge' and business_hours", target: "severity == 'warning'", equal: [] },
    ]);
    const edge = alert('edge', 'critical', { role: 'edge' });
    const night = { ...facts, at: Date.parse('2026-11-24T22:00:00Z') };

    expect(inhibitedBy(target, [edge], rules, facts, DEFAULT_BUSINESS_HOURS)).toBe('edge');
    expect(inhibitedBy(target, [edge], rules, night, DEFAULT_BUSINESS_HOURS)).toBeUndefined();
  });
});
