/**
 * Grouping (domain/routing/grouping.ts) at its boundaries, and against a model that keeps its own
 * state: which batch is pending, when it flushes, and when the group last notified.
 */
import fc from 'fast-check';
import type { GroupRecord } from '../../domain/contracts/alert-state';
import { decideGroup, type GroupDecision } from '../../domain/routing/grouping';

const T0 = Date.parse('2026-11-24T10:00:00Z');
const WAIT = 30_000;
const INTERVAL = 300_000;
const REPEAT = 4 * 3_600_000;
const timers = { waitMs: WAIT, intervalMs: INTERVAL, repeatMs: REPEAT };

const stored = (d: GroupDecision, version = 1): GroupRecord => ({ ...d.next, version });

/** A group led by `a` at T0: its batch flushes at T0 + group_wait. */
const opened = () => stored(decideGroup('g', undefined, 'a', T0, timers));

describe('grouping: the batch window', () => {
  it('opens a new group with the whole group_wait and records the page time', () => {
    const d = decideGroup('service=x', undefined, 'a', T0, timers);

    expect(d).toEqual({
      kind: 'lead',
      waitMs: WAIT,
      changed: true,
      next: {
        groupKey: 'service=x',
        firstSeenAt: T0,
        batchEndsAt: T0 + WAIT,
        lastNotifiedAt: T0 + WAIT,
        batchLeader: 'a',
        members: ['a'],
      },
    });
  });

  it('opens a new group at any instant, the epoch included', () => {
    expect(decideGroup('g', undefined, 'a', 0, timers)).toMatchObject({
      kind: 'lead',
      waitMs: WAIT,
      next: { batchEndsAt: WAIT },
    });
  });

  it('folds an alert arriving one millisecond before the batch flushes', () => {
    const d = decideGroup('g', opened(), 'b', T0 + WAIT - 1, timers);

    expect(d).toEqual({
      kind: 'fold',
      leader: 'a',
      changed: true,
      next: { ...opened(), members: ['a', 'b'] },
    });
  });

  it('does not fold an alert arriving exactly when the batch flushes: it leads the next batch', () => {
    // the leader's notice goes out at batchEndsAt: an alert arriving then is not in it
    const d = decideGroup('g', opened(), 'b', T0 + WAIT, timers);

    expect(d).toEqual({
      kind: 'lead',
      waitMs: INTERVAL,
      changed: true,
      next: {
        groupKey: 'g',
        firstSeenAt: T0,
        batchEndsAt: T0 + WAIT + INTERVAL,
        lastNotifiedAt: T0 + WAIT + INTERVAL,
        batchLeader: 'b',
        members: ['b'],
      },
    });
  });

  it('folds a member seen again without writing anything', () => {
    const group = stored(decideGroup('g', opened(), 'b', T0 + 1_000, timers), 2);

    expect(decideGroup('g', group, 'b', T0 + 2_000, timers)).toEqual({
      kind: 'fold',
      leader: 'a',
      changed: false,
      next: { ...group },
    });
  });

  it('answers the leader re-delivered with its own page time, never earlier, and never a negative wait', () => {
    const group = stored(decideGroup('g', opened(), 'b', T0 + 1_000, timers), 2);

    expect(decideGroup('g', group, 'a', T0 + 10_000, timers)).toEqual({
      kind: 'lead',
      waitMs: WAIT - 10_000,
      changed: false,
      next: { ...group },
    });
    expect(decideGroup('g', group, 'a', T0 + WAIT + 5_000, timers)).toMatchObject({ kind: 'lead', waitMs: 0 });
  });

  it('adds a leader that the group no longer lists (a store written before members existed)', () => {
    const group: GroupRecord = { ...opened(), members: [] };

    const d = decideGroup('g', group, 'a', T0 + 1_000, timers);

    expect(d).toMatchObject({ kind: 'lead', changed: true, waitMs: WAIT - 1_000 });
    expect(d.next.members).toEqual(['a']);
  });

  it('flushes the next batch group_interval after the last one, or at once when that is past', () => {
    expect(decideGroup('g', opened(), 'c', T0 + WAIT + INTERVAL - 1, timers)).toMatchObject({
      kind: 'lead',
      waitMs: 1,
      next: { batchEndsAt: T0 + WAIT + INTERVAL },
    });
    expect(decideGroup('g', opened(), 'c', T0 + WAIT + INTERVAL + 1, timers)).toMatchObject({
      kind: 'lead',
      waitMs: 0,
      next: { batchEndsAt: T0 + WAIT + INTERVAL + 1, firstSeenAt: T0 },
    });
  });
});

describe('grouping: repeat_interval counts from the last notice, not from the first alert', () => {
  /** A group first seen at T0 that kept notifying: its last batch flushed at `last`. */
  const busy = (last: number): GroupRecord => ({
    groupKey: 'g',
    firstSeenAt: T0,
    batchEndsAt: last,
    lastNotifiedAt: last,
    batchLeader: 'z',
    members: ['z'],
    version: 9,
  });

  it('keeps a group that notified recently even when it was first seen more than repeat_interval ago', () => {
    const last = T0 + REPEAT - 60_000;
    const now = T0 + REPEAT + 1_000;

    const d = decideGroup('g', busy(last), 'b', now, timers);

    // a new batch of the same group: group_interval after its last notice, firstSeenAt kept
    expect(d).toMatchObject({
      kind: 'lead',
      waitMs: last + INTERVAL - now,
      next: { firstSeenAt: T0, batchEndsAt: last + INTERVAL },
    });
  });

  it('starts a fresh group exactly repeat_interval after the last notice, not a millisecond before', () => {
    const last = T0 + 10 * 3_600_000;

    expect(decideGroup('g', busy(last), 'b', last + REPEAT - 1, timers)).toMatchObject({
      kind: 'lead',
      waitMs: 0,
      next: { firstSeenAt: T0, batchEndsAt: last + REPEAT - 1 },
    });
    expect(decideGroup('g', busy(last), 'b', last + REPEAT, timers)).toMatchObject({
      kind: 'lead',
      waitMs: WAIT,
      next: { firstSeenAt: last + REPEAT, batchEndsAt: last + REPEAT + WAIT, members: ['b'] },
    });
  });

  it('measures idleness from the later of the batch end and the last notice', () => {
    // a notice sent after the batch ended (a repeat, an escalation level) keeps the group awake
    const group: GroupRecord = { ...busy(T0 + 1_000), lastNotifiedAt: T0 + 2 * 3_600_000 };
    const noticeOnly: GroupRecord = { ...busy(T0 + 2 * 3_600_000), lastNotifiedAt: T0 + 1_000 };
    const noNotice: GroupRecord = { ...busy(T0 + 2 * 3_600_000), lastNotifiedAt: undefined };
    const now = T0 + REPEAT + 1_000;

    expect(decideGroup('g', group, 'b', now, timers).next.firstSeenAt).toBe(T0);
    expect(decideGroup('g', noticeOnly, 'b', now, timers).next.firstSeenAt).toBe(T0);
    expect(decideGroup('g', noNotice, 'b', now, timers).next.firstSeenAt).toBe(T0);
  });

  it('counts from the batch end when the group has no notice time', () => {
    const group: GroupRecord = { ...busy(T0), lastNotifiedAt: undefined };

    expect(decideGroup('g', group, 'b', T0 + REPEAT - 1, timers)).toMatchObject({ kind: 'lead', waitMs: 0 });
    expect(decideGroup('g', group, 'b', T0 + REPEAT, timers)).toMatchObject({ kind: 'lead', waitMs: WAIT });
  });
});

/**
 * The model: Alertmanager's aggregation group, seen one arrival at a time. It knows only the
 * timers and what it decided before: the pending batch (its leader and flush time), the members
 * of that batch, and the last flush. The expected decision is computed from those, and the
 * decision's page time (`now + waitMs`) must equal the model's, to the millisecond.
 */
interface Model {
  leader: string;
  flushAt: number;
  members: Set<string>;
  firstSeenAt: number;
}

type Expected =
  | { kind: 'lead'; pageAt: number; changed: boolean; fresh: boolean }
  | { kind: 'fold'; leader: string; changed: boolean };

function expectedOf(model: Model | undefined, fp: string, now: number, t: typeof timers): Expected {
  // idle: nothing flushed for repeat_interval (or no group at all) -> a new group, a full group_wait
  if (model === undefined || now >= model.flushAt + t.repeatMs)
    return { kind: 'lead', pageAt: now + t.waitMs, changed: true, fresh: true };
  // the batch's own leader again: its page time does not move
  if (fp === model.leader)
    return { kind: 'lead', pageAt: Math.max(now, model.flushAt), changed: !model.members.has(fp), fresh: false };
  // the batch has not flushed yet: it carries this alert
  if (now < model.flushAt) return { kind: 'fold', leader: model.leader, changed: !model.members.has(fp) };
  // flushed: the next batch, no sooner than group_interval after the last flush
  return { kind: 'lead', pageAt: Math.max(now, model.flushAt + t.intervalMs), changed: true, fresh: false };
}

/** Gaps between arrivals: around every timer, to the millisecond, and anything in between. */
function gapArb(t: typeof timers) {
  const edges = [0, 1, t.waitMs, t.intervalMs, t.repeatMs].flatMap((v) => [v - 1, v, v + 1]).filter((v) => v >= 0);
  return fc.oneof(fc.constantFrom(...edges), fc.integer({ min: 0, max: t.repeatMs + t.intervalMs }));
}

describe('grouping: against an independent model', () => {
  const shortTimers = { waitMs: 10_000, intervalMs: 60_000, repeatMs: 300_000 };

  it.each([
    ['the example timers', timers],
    ['short timers (many repeat_intervals per history)', shortTimers],
  ])('decides every arrival as the model does, with %s', (_name, t) => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.constantFrom('a', 'b', 'c', 'd'), gapArb(t)), { minLength: 1, maxLength: 40 }),
        (arrivals) => {
          let group: GroupRecord | undefined;
          let model: Model | undefined;
          let now = T0;
          for (const [fp, gap] of arrivals) {
            now += gap;
            const want = expectedOf(model, fp, now, t);
            const got = decideGroup('g', group, fp, now, t);

            expect(got.kind).toBe(want.kind);
            expect(got.changed).toBe(want.changed);
            if (want.kind === 'fold') {
              expect(got).toMatchObject({ kind: 'fold', leader: want.leader });
              (model as Model).members.add(fp);
            } else {
              expect(got.kind === 'lead' && now + got.waitMs).toBe(want.pageAt);
              if (want.fresh) model = { leader: fp, flushAt: want.pageAt, members: new Set([fp]), firstSeenAt: now };
              else if (fp === model?.leader) model.members.add(fp);
              else model = { ...(model as Model), leader: fp, flushAt: want.pageAt, members: new Set([fp]) };
            }
            const m = model as Model;
            // `next` of a fold or a leader retry is the stored record (with its version): the store
            // replaces the version when it writes
            const { version: _version, ...next } = got.next as GroupRecord;
            expect(next).toEqual({
              groupKey: 'g',
              firstSeenAt: m.firstSeenAt,
              batchEndsAt: m.flushAt,
              lastNotifiedAt: m.flushAt,
              batchLeader: m.leader,
              members: expect.arrayContaining([...m.members]),
            });
            expect(got.next.members).toHaveLength(m.members.size);
            group = got.changed ? { ...got.next, version: (group?.version ?? 0) + 1 } : group;
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
