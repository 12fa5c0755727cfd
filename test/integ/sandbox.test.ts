/**
 * The sandbox end to end, default scenario, example configuration: the demo service's errors and
 * latency go through the real layer, log aggregator, alarm evaluator, router, synthesized
 * escalation state machine and notifiers to the loopback receivers. Asserts who was notified, in
 * which order, and that the critical alert escalated to its second level while nobody acknowledged.
 */
import { resolve } from 'node:path';
import { type Sandbox, startSandbox } from '../../sandbox/sandbox';
import { summaryLines } from '../../sandbox/summary';
import type { JournalEntry } from '../../sandbox/types';

type Note = Extract<JournalEntry, { kind: 'notification' }>;
type AlarmEntry = Extract<JournalEntry, { kind: 'alarm' }>;

const ROOT = resolve(__dirname, '../..');
/** Tuesday 10:00 in Paris: inside the example configuration's business hours. */
const START = Date.parse('2026-11-24T09:00:00Z');
const MINUTE = 60_000;

let sandbox: Sandbox;
let journal: readonly JournalEntry[];

beforeAll(async () => {
  // the default speed (60x): compressed time also compresses CPU time, so faster runs read
  // scheduling delays as latency
  sandbox = await startSandbox({ cwd: ROOT, start: START, port: 0 });
  await sandbox.finished;
  journal = [...sandbox.journal()];
}, 240_000);

afterAll(async () => {
  await sandbox?.stop();
});

const notes = () => journal.filter((e): e is Note => e.kind === 'notification');
const alarmsTo = (state: string) => journal.filter((e): e is AlarmEntry => e.kind === 'alarm' && e.to === state);
const phaseStart = (name: string) => {
  const p = journal.find((e) => e.kind === 'phase' && e.phase === name);
  if (!p)
    throw new Error(
      `phase '${name}' not in the journal: ${journal.filter((e) => e.kind === 'phase').map((e) => (e as { phase: string }).phase)}`,
    );
  return p.at;
};

describe('sandbox, default scenario (incident) on the example configuration', () => {
  it('runs without problems: no failed delivery, no dead letter, every stage saw traffic', () => {
    expect(sandbox.problems()).toEqual([]);
    // no failure is no proof of delivery: every receiver must have got notices
    const received = sandbox.received();
    expect(received.slack).toBeGreaterThan(0);
    expect(received.pagerduty).toBeGreaterThan(0);
    expect(received.email).toBeGreaterThan(0);
    const s = sandbox.view.stats();
    expect(s.deadLettered).toBe(0);
    expect(s.invocations).toBeGreaterThan(1000);
    // every createArtifact of the 19-minute burst answers 500; a success for Lambda (not a function error)
    expect(s.serverErrors).toBeGreaterThan(100);
    expect(s.serverErrors).toBeLessThan(s.invocations / 2);
    // the handlers answer 500 during the burst (not invocation errors); their ERROR lines reach the
    // aggregator, whose detect_errors rule sends kit alerts to the router
    expect(
      journal.some((e) => e.kind === 'routed' && e.alertName === 'detect_errors' && e.source === 'maif.observability'),
    ).toBe(true);
    expect(s.emfDocuments).toBeGreaterThan(s.invocations / 2);
    expect(s.aggregatorBatches).toBeGreaterThan(10);
    expect(s.segments).toBeGreaterThan(s.invocations);
    expect(sandbox.view.traces().length).toBeGreaterThan(0);
  });

  it('fires the error alarms during the error burst and the latency alarms during the regression, then resolves them', () => {
    // alarms evaluate at minute boundaries: a phase's first full period starts at its minute
    const burst = Math.floor(phaseStart('error-burst') / MINUTE) * MINUTE;
    const regression = Math.floor(phaseStart('latency-regression') / MINUTE) * MINUTE;
    const fired = alarmsTo('ALARM');
    expect(fired.map((a) => a.rule)).toEqual(
      expect.arrayContaining([
        'realtime_error_rate',
        'high_error_rate',
        'availability_slo_page',
        'search_latency_p95_regression',
      ]),
    );
    const first = (rule: string) => fired.find((a) => a.rule === rule)?.at ?? Number.NaN;
    // `error_rate > 5% for 5m`: not before five one-minute periods of the burst
    expect(first('high_error_rate')).toBeGreaterThanOrEqual(burst + 5 * MINUTE);
    expect(first('high_error_rate')).toBeLessThan(regression);
    expect(first('availability_slo_page')).toBeGreaterThan(burst);
    expect(first('availability_slo_page')).toBeLessThan(regression);
    // the search p95 over its 100 ms baseline / 0.8, two 15-minute periods in a row: only once the
    // regression is a twentieth of a sliding period, and while it lasts
    expect(first('search_latency_p95_regression')).toBeGreaterThan(regression);
    expect(first('search_latency_p95_regression')).toBeLessThan(phaseStart('latency-recovery'));
    // error-rate alarms return to OK once the errors stop (FILL(errors, 0) in their math)
    expect(alarmsTo('OK').some((a) => a.rule === 'high_error_rate' && a.at > first('high_error_rate'))).toBe(true);
  });

  it('pages the critical SLO alert on PagerDuty and Slack, escalates to on_call_manager after 15 minutes, then resolves', () => {
    const escalated = notes().find((n) => n.notificationKind === 'escalation');
    expect(escalated).toBeDefined();
    const fingerprint = escalated?.fingerprint ?? '';
    const mine = notes().filter((n) => n.fingerprint === fingerprint);
    expect(mine[0].alertName).toMatch(/_slo_page$|^realtime_error_rate$/);
    const kinds = mine.map((n) => `${n.channel}:${n.notificationKind}`);
    // routing: severity == 'critical' -> notify pagerduty + slack, escalate 15m to on_call_manager (pagerduty, email)
    expect(kinds.slice(0, 2).sort()).toEqual(['pagerduty:firing', 'slack:firing']);
    expect(kinds).toEqual(expect.arrayContaining(['pagerduty:escalation', 'email:escalation']));
    const firingAt = mine[0].at;
    const escalation = mine.filter((n) => n.notificationKind === 'escalation');
    expect(escalation.every((n) => n.levelName === 'on_call_manager')).toBe(true);
    expect(escalation[0].at - firingAt).toBeGreaterThanOrEqual(15 * MINUTE);
    // order: every firing notice before every escalation notice, before the resolution
    const order = ['firing', 'escalation', 'repeat', 'resolved'];
    const ranks = mine.filter((n) => order.includes(n.notificationKind)).map((n) => order.indexOf(n.notificationKind));
    expect(ranks).toEqual([...ranks].sort((a, b) => a - b));
    expect(mine.at(-1)?.notificationKind).toBe('resolved');
    // the escalation ran the synthesized state machine: waited, checked, notified level 1
    const states = journal
      .filter((e) => e.kind === 'escalation' && e.fingerprint === fingerprint)
      .map((e) => (e as { state: string }).state);
    expect(states).toEqual(expect.arrayContaining(['Wait for level', 'Check acknowledgement', 'Notify level']));
  });

  it('inhibits the warnings of the service while its critical alert fires', () => {
    const inhibited = journal.filter(
      (e) => e.kind === 'routed' && e.alertName === 'maif-dev-high_error_rate' && e.outcome === 'inhibited',
    );
    expect(inhibited.length).toBeGreaterThan(0);
    expect(notes().some((n) => n.alertName === 'high_error_rate' && n.notificationKind === 'firing')).toBe(false);
  });

  it('delivers every notification to its receiver: Slack webhook, PagerDuty Events API, SMTP', () => {
    const byChannel = { slack: 0, pagerduty: 0, email: 0 };
    for (const n of notes()) byChannel[n.channel]++;
    const received = sandbox.received();
    expect(byChannel.slack).toBeGreaterThan(0);
    expect(byChannel.email).toBeGreaterThan(0);
    expect(received.slack).toBe(byChannel.slack);
    expect(received.email).toBe(byChannel.email);
    // PagerDuty gets trigger / acknowledge / resolve events only (no event for a repeat notice)
    expect(received.pagerduty).toBeGreaterThan(0);
    expect(received.pagerduty).toBeLessThanOrEqual(byChannel.pagerduty);
  });

  it('prints a summary of what fired, who was notified when and what was acknowledged', () => {
    const text = summaryLines(sandbox).join('\n');
    expect(text).toContain('What fired');
    expect(text).toContain('maif-dev-availability_slo_page');
    expect(text).toMatch(/pagerduty\s+firing/);
    expect(text).toContain('What was acknowledged or silenced (0)');
    const { serverErrors, invocationErrors } = sandbox.view.stats();
    expect(text).toContain(`(${serverErrors} answered 5xx, ${invocationErrors} function errors,`);
  });
});
