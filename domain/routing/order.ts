/**
 * Event order, per alert. EventBridge does not deliver in order: an OK can arrive after the
 * ALARM that followed it, or before the ALARM that preceded it. So the router orders the events
 * of one alert by the state's own time (CloudWatch's `detail.state.timestamp`, a kit alert's
 * time), then by the kit alert's `sequence`, never by arrival. An event older than the state
 * already applied is stale: it changes nothing and is only written to the alert's timeline.
 *
 * Ties (same time and sequence, different status): the firing event wins, whatever the order of
 * delivery. Of the two ways to be wrong, a page that was not needed is the cheaper one, and an
 * alarm that really recovered sends a later OK, which resolves it. Same status: not stale (a
 * redelivery or a kit alert raised again), the router handles it as before (duplicate, repeat).
 *
 * Pure: the alert store turns these comparisons into DynamoDB condition expressions.
 */
import type { Alert } from '../contracts/alert';
import { type AlertRecord, TIMELINE_LENGTH, type TimelineEntry } from '../contracts/alert-state';

/** The position of a state in its alert's history. */
export interface StateStamp {
  /** epoch ms */
  readonly at: number;
  readonly seq: number;
}

/** The event's stamp; undefined when it carries no usable state time (then it is applied unordered). */
export function stampOf(alert: Pick<Alert, 'stateAt' | 'sequence'>): StateStamp | undefined {
  if (alert.stateAt === undefined) return undefined;
  const at = Date.parse(alert.stateAt);
  if (!Number.isFinite(at)) return undefined;
  const seq = alert.sequence;
  return { at, seq: typeof seq === 'number' && Number.isSafeInteger(seq) ? seq : 0 };
}

/** The stamp of the state applied to a record; undefined for a record written without one. */
export function appliedStamp(record: Pick<AlertRecord, 'stateAt' | 'stateSeq'>): StateStamp | undefined {
  return record.stateAt === undefined ? undefined : { at: record.stateAt, seq: record.stateSeq ?? 0 };
}

/** < 0 when a is older than b, 0 when equal, > 0 when newer. */
export function compareStamps(a: StateStamp, b: StateStamp): number {
  return a.at !== b.at ? a.at - b.at : a.seq - b.seq;
}

/**
 * True when an event (its status and stamp) is older than the record's applied state and so must
 * change nothing. A record without a stamp, or an event without one, never makes an event stale.
 */
export function isStale(
  event: { readonly status: 'firing' | 'resolved'; readonly stamp: StateStamp | undefined },
  record: Pick<AlertRecord, 'status' | 'stateAt' | 'stateSeq'> | undefined,
): boolean {
  if (event.stamp === undefined || record === undefined) return false;
  const applied = appliedStamp(record);
  if (applied === undefined) return false;
  const order = compareStamps(event.stamp, applied);
  if (order !== 0) return order < 0;
  // the tie-break: at the same instant a firing state beats a resolved one
  return event.status === 'resolved' && record.status !== 'resolved';
}

/** The newer of two stamps (what a record holds after an event that is not stale). */
export function newest(a: StateStamp | undefined, b: StateStamp | undefined): StateStamp | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return compareStamps(a, b) >= 0 ? a : b;
}

/** The timeline after one more event: the last TIMELINE_LENGTH entries, oldest first. */
export function appendTimeline(
  timeline: readonly TimelineEntry[] | undefined,
  alert: Pick<Alert, 'status' | 'eventId' | 'stateAt' | 'startsAt' | 'sequence'>,
  outcome: TimelineEntry['outcome'],
  episode?: number,
): TimelineEntry[] {
  const entry: TimelineEntry = {
    at: alert.stateAt ?? alert.startsAt,
    ...(alert.sequence === undefined ? {} : { sequence: alert.sequence }),
    status: alert.status,
    eventId: alert.eventId,
    outcome,
    ...(episode === undefined ? {} : { episode }),
  };
  return [...(timeline ?? []), entry].slice(-TIMELINE_LENGTH);
}
