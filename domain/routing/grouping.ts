/**
 * Grouping (Alertmanager's group_by / group_wait / group_interval / repeat_interval) in an
 * event-driven Lambda: no timers run between events, so the alert that opens a batch pages
 * for it with an initial wait (its escalation's level 0 waits `group_wait`, then checks the
 * alert is still firing), and alerts arriving while the batch is pending fold into it.
 *
 *   no group, or idle for repeat_interval -> a new group: this alert leads, waits group_wait
 *   batch pending (now < batchEndsAt)     -> fold into it (the leader's notice stands for it)
 *   batch flushed                         -> a new batch flushed at max(now, last + group_interval)
 *
 * Pure: the decision and the next group state; the router writes it with a conditional put.
 */
import type { GroupRecord } from '../contracts/alert-state';

export interface GroupTimers {
  readonly waitMs: number;
  readonly intervalMs: number;
  readonly repeatMs: number;
}

/** `changed: false`: the group already says so (a retry or re-delivery): nothing to write. */
export type GroupDecision =
  | {
      readonly kind: 'lead';
      readonly waitMs: number;
      readonly next: Omit<GroupRecord, 'version'>;
      readonly changed: boolean;
    }
  | {
      readonly kind: 'fold';
      readonly leader: string;
      readonly next: Omit<GroupRecord, 'version'>;
      readonly changed: boolean;
    };

export function decideGroup(
  groupKey: string,
  current: GroupRecord | undefined,
  fingerprint: string,
  now: number,
  timers: GroupTimers,
): GroupDecision {
  const idleSince = current ? Math.max(current.batchEndsAt, current.lastNotifiedAt ?? 0) : 0;
  if (current === undefined || now - idleSince >= timers.repeatMs) {
    const batchEndsAt = now + timers.waitMs;
    return {
      kind: 'lead',
      waitMs: timers.waitMs,
      changed: true,
      next: {
        groupKey,
        firstSeenAt: now,
        batchEndsAt,
        lastNotifiedAt: batchEndsAt,
        batchLeader: fingerprint,
        members: [fingerprint],
      },
    };
  }
  const known = current.members.includes(fingerprint);
  const members = known ? current.members : [...current.members, fingerprint];
  if (current.batchLeader === fingerprint) {
    // a retry of the leader (or a re-delivery): it still pages for its batch, never earlier
    return {
      kind: 'lead',
      waitMs: Math.max(0, current.batchEndsAt - now),
      next: { ...current, members },
      changed: !known,
    };
  }
  if (now < current.batchEndsAt) {
    return { kind: 'fold', leader: current.batchLeader, next: { ...current, members }, changed: !known };
  }
  const batchEndsAt = Math.max(now, current.batchEndsAt + timers.intervalMs);
  return {
    kind: 'lead',
    waitMs: batchEndsAt - now,
    changed: true,
    next: {
      groupKey,
      firstSeenAt: current.firstSeenAt,
      batchEndsAt,
      lastNotifiedAt: batchEndsAt,
      batchLeader: fingerprint,
      members: [fingerprint],
    },
  };
}
