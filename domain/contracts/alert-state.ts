/**
 * Alert state: the records of the alert pipeline's one DynamoDB table, shared by the router,
 * escalation, ack API, CLI and sandbox. The store (lambdas/shared/alert-store.ts) writes them
 * with single-item conditional operations.
 *
 * Items (pk / sk):
 *   ALERT / <fingerprint>          the alert and its episode, status, escalation start claim, the
 *                                  applied state's time and the timeline of its last events
 *                                  (episode 0: an OK that arrived before any ALARM, kept so an
 *                                  older ALARM delivered later is known to be stale)
 *   EVENT / <eventId>              dedupe marker of a processed event (TTL 1 day)
 *   GROUP / <groupKey>             the group's batch window and members
 *   NOTIFICATION / <fp>#<episode>#<level>#<channel>#<kind>   the notification log (send once)
 *   SILENCE / <id>                 matchers and a time range
 *   MAINTENANCE / <id>             a maintenance window, optionally scoped by matchers
 */
import type { Alert } from './alert';
import type { Severity } from './severity';

export const TABLE_KEYS = { partitionKey: 'pk', sortKey: 'sk', timeToLive: 'expiresAt' } as const;

export const ITEM_TYPES = {
  alert: 'ALERT',
  event: 'EVENT',
  group: 'GROUP',
  notification: 'NOTIFICATION',
  silence: 'SILENCE',
  maintenance: 'MAINTENANCE',
} as const;

const DAY_S = 86_400;
/** An EVENT marker outlives every EventBridge / Lambda async retry (at most 6 hours). */
export const EVENT_TTL_SECONDS = DAY_S;
/** The notification log and resolved alerts are kept for a month for `maif-obs alerts`. */
export const HISTORY_TTL_SECONDS = 30 * DAY_S;
/** Silences and maintenance windows stay listable for a week after they end. */
export const EXPIRED_WINDOW_TTL_SECONDS = 7 * DAY_S;

export type AlertStatus = 'firing' | 'acked' | 'resolved';

/** How many events an alert's timeline keeps (the newest; older ones fall off). */
export const TIMELINE_LENGTH = 20;

/** One event of an alert as the router saw it: applied, or stale (older than the state already applied). */
export interface TimelineEntry {
  /** The event's own state time (ISO 8601), not its arrival. */
  readonly at: string;
  readonly sequence?: number;
  readonly status: 'firing' | 'resolved';
  readonly eventId: string;
  readonly outcome: 'applied' | 'stale';
  /** The alert's episode once the event was handled (0: an OK before any ALARM). */
  readonly episode?: number;
}

export interface AlertRecord {
  readonly fingerprint: string;
  readonly status: AlertStatus;
  readonly episode: number;
  readonly severity: Severity;
  readonly labels: Readonly<Record<string, string>>;
  readonly alertName: string;
  readonly annotations: Alert['annotations'];
  readonly startsAt: string;
  readonly source?: Alert['source'];
  readonly ackedBy?: string;
  readonly ackedAt?: string;
  readonly resolvedAt?: string;
  readonly groupKey: string;
  readonly updatedAt: string;
  /** Epoch ms of the last page of this alert (a started escalation). */
  readonly lastNotifiedAt?: number;
  /** Episode whose escalation execution is known to be started. */
  readonly startedEpisode?: number;
  /** Episode whose escalation start is claimed, by whom and until when (epoch ms). */
  readonly startClaimEpisode?: number;
  readonly startOwner?: string;
  readonly startLeaseUntil?: number;
  /**
   * The applied state's own time (epoch ms) and sequence: an event older than this is stale
   * (domain/routing/order.ts). Absent on alerts only ever written without a state time.
   */
  readonly stateAt?: number;
  readonly stateSeq?: number;
  /** The last TIMELINE_LENGTH events of this alert, oldest first. */
  readonly timeline?: readonly TimelineEntry[];
  /** Entries ever appended to the timeline: the version every ordered transition is conditional on. */
  readonly timelineSeq?: number;
}

export interface Matcher {
  readonly name: string;
  readonly value: string;
  /** `value` is a regular expression matched against the whole label value */
  readonly isRegex?: boolean;
  /** false negates the match (`!=`, `!~`); default true */
  readonly isEqual?: boolean;
}

export interface Silence {
  readonly id: string;
  readonly matchers: readonly Matcher[];
  readonly startsAt: string;
  readonly endsAt: string;
  readonly comment: string;
  readonly createdBy: string;
}

export interface MaintenanceWindow {
  readonly id: string;
  readonly startsAt: string;
  readonly endsAt: string;
  /** absent or empty: the window covers every alert */
  readonly matchers?: readonly Matcher[];
  readonly comment: string;
  readonly createdBy: string;
}

export interface GroupRecord {
  readonly groupKey: string;
  /** Epoch ms the group's current life started (first alert). */
  readonly firstSeenAt: number;
  /** Epoch ms the last batch was (or will be) flushed: its leader's page time. */
  readonly lastNotifiedAt?: number;
  /** Epoch ms until which newly arriving alerts fold into the pending batch. */
  readonly batchEndsAt: number;
  /** Fingerprint that pages for the pending batch. */
  readonly batchLeader: string;
  /** Fingerprints seen in the group (all batches of its life). */
  readonly members: readonly string[];
  /** Optimistic-concurrency version. */
  readonly version: number;
}

export type StartClaim = 'claimed' | 'started' | 'held' | 'superseded';
