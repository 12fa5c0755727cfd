/**
 * AlertStore against dynalite: every transition is a conditional write, so of N concurrent
 * callers exactly one wins.
 */

import type { Alert } from '../../domain/contracts/alert';
import { AlertStore } from '../../lambdas/shared/alert-store';
import { type Dynalite, startDynalite } from '../private/dynalite';

const T0 = Date.parse('2026-11-24T10:00:00Z');
let db: Dynalite;
let store: AlertStore;
const clock = { t: T0 };

beforeAll(async () => {
  db = await startDynalite('maif-alert-state');
  store = new AlertStore({ client: db.client, tableName: db.tableName, now: () => clock.t });
});

afterAll(() => db?.stop());

function alert(fingerprint: string): Alert {
  return {
    fingerprint,
    alertName: 'system_down',
    status: 'firing',
    severity: 'critical',
    labels: { service: 'maif' },
    annotations: { summary: 'down' },
    startsAt: new Date(T0).toISOString(),
    source: 'cloudwatch',
    eventId: `e-${fingerprint}`,
  };
}

const times = <T>(n: number, f: () => Promise<T>) => Promise.all(Array.from({ length: n }, f));

describe('AlertStore', () => {
  it('creates an alert once among 20 concurrent firings and reopens it as the next episode after resolve', async () => {
    const firsts = await times(20, () => store.upsertFiring(alert('fp-a'), 'g'));
    const resolves = await times(5, () => store.resolve('fp-a'));
    const reopened = await times(20, () => store.upsertFiring(alert('fp-a'), 'g'));

    expect(firsts.filter((r) => r.isNew)).toEqual([{ episode: 1, isNew: true }]);
    expect(resolves.filter(Boolean)).toHaveLength(1);
    expect(reopened.filter((r) => r.isNew)).toEqual([{ episode: 2, isNew: true }]);
    expect(await store.getAlert('fp-a')).toMatchObject({ status: 'firing', episode: 2 });
  });

  it('acknowledges a firing alert once and never a resolved one', async () => {
    await store.upsertFiring(alert('fp-b'));

    const acks = await times(10, () => store.acknowledge('fp-b', 'alice'));
    await store.resolve('fp-b');

    expect(acks.filter(Boolean)).toHaveLength(1);
    expect(await store.acknowledge('fp-b', 'bob')).toBe(false);
    expect(await store.getAlert('fp-b')).toMatchObject({ status: 'resolved', ackedBy: 'alice' });
  });

  it('claims a notification once and lets a released claim be claimed again', async () => {
    const claims = await times(10, () => store.claimNotification('fp-c', 1, 0, 'slack', 'firing'));
    await store.releaseNotification('fp-c', 1, 0, 'slack', 'firing');
    const again = await store.claimNotification('fp-c', 1, 0, 'slack', 'firing');

    expect(claims.filter(Boolean)).toHaveLength(1);
    expect(again).toBe(true);
    expect(await store.listNotifications('fp-c', 1)).toEqual([
      expect.objectContaining({ level: 0, channel: 'slack', kind: 'firing' }),
    ]);
  });

  it('records an event once', async () => {
    const marks = await times(10, () => store.recordEvent('evt-1'));

    expect(marks.filter(Boolean)).toHaveLength(1);
    expect(await store.hasEvent('evt-1')).toBe(true);
    expect(await store.hasEvent('evt-2')).toBe(false);
  });

  it('grants the start claim to one caller and to another only after the lease lapses', async () => {
    await store.upsertFiring(alert('fp-d'));

    const claims = await Promise.all(['a', 'b', 'c'].map((o) => store.claimStart('fp-d', 1, o, 15_000)));
    clock.t = T0 + 15_000;
    const takeover = await store.claimStart('fp-d', 1, 'z', 15_000);
    await store.markStarted('fp-d', 1);
    clock.t = T0;

    expect(claims.filter((c) => c === 'claimed')).toHaveLength(1);
    expect(claims.filter((c) => c === 'held')).toHaveLength(2);
    expect(takeover).toBe('claimed');
    expect(await store.claimStart('fp-d', 1, 'y', 15_000)).toBe('started');
    expect(await store.claimStart('fp-d', 7, 'y', 15_000)).toBe('superseded');
  });

  it('lists silences and maintenance windows active at an instant', async () => {
    const window = { startsAt: new Date(T0).toISOString(), endsAt: new Date(T0 + 60_000).toISOString() };
    await store.putSilence({
      id: 's1',
      ...window,
      matchers: [{ name: 'service', value: 'maif' }],
      comment: 'c',
      createdBy: 'me',
    });
    await store.putMaintenance({ id: 'm1', ...window, comment: 'c', createdBy: 'me' });

    expect((await store.listSilences(T0 + 1)).map((s) => s.id)).toEqual(['s1']);
    expect(await store.listSilences(T0 + 60_000)).toEqual([]);
    expect((await store.listMaintenance(T0)).map((m) => m.id)).toEqual(['m1']);
    expect(await store.deleteSilence('s1')).toBe(true);
    expect(await store.deleteSilence('s1')).toBe(false);
    expect(await store.listSilences()).toEqual([]);
  });

  it('updates a group only from the version it read', async () => {
    const next = { groupKey: 'g1', firstSeenAt: T0, batchEndsAt: T0 + 30_000, batchLeader: 'a', members: ['a'] };

    const creates = await Promise.all([store.updateGroup(next, 0, 3600), store.updateGroup(next, 0, 3600)]);
    const stale = await store.updateGroup({ ...next, members: ['a', 'b'] }, 0, 3600);
    const fresh = await store.updateGroup({ ...next, members: ['a', 'b'] }, 1, 3600);

    expect(creates.filter(Boolean)).toHaveLength(1);
    expect(stale).toBe(false);
    expect(fresh).toBe(true);
    expect(await store.getGroup('g1')).toMatchObject({ members: ['a', 'b'], version: 2 });
  });
});
