/**
 * The alert state store: typed single-item conditional operations on the alert pipeline's
 * DynamoDB table. Every transition is a conditional write, so concurrent and repeated
 * deliveries of one event cannot page twice (no TransactWriteItems: dynalite lacks it).
 */
import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import type { Alert, NotificationKind } from '../../domain/contracts/alert';
import {
  type AlertRecord,
  EVENT_TTL_SECONDS,
  EXPIRED_WINDOW_TTL_SECONDS,
  type GroupRecord,
  HISTORY_TTL_SECONDS,
  ITEM_TYPES,
  type MaintenanceWindow,
  type Silence,
  type StartClaim,
  type TimelineEntry,
} from '../../domain/contracts/alert-state';
import {
  appendTimeline,
  appliedStamp,
  compareStamps,
  isStale,
  newest,
  type StateStamp,
  stampOf,
} from '../../domain/routing/order';

const SECOND_MS = 1000;
/** Optimistic-concurrency retries of one transition before giving up (then Lambda retries). */
const MAX_TRANSITION_ATTEMPTS = 8;

export interface AlertStoreOptions {
  readonly client: DynamoDBClient;
  readonly tableName: string;
  /** Clock in epoch ms (injectable for tests). @default Date.now */
  readonly now?: () => number;
}

type Item = Record<string, unknown>;

/** What a resolved event did to its alert. */
export type ResolveResult =
  | { readonly outcome: 'resolved'; readonly episode: number }
  | { readonly outcome: 'stale' }
  | { readonly outcome: 'not_firing' };

function isConditionFailure(error: unknown): boolean {
  return (
    error instanceof ConditionalCheckFailedException ||
    (error as { name?: string } | null)?.name === 'ConditionalCheckFailedException'
  );
}

function notificationSk(fp: string, episode: number, level: number, channel: string, kind: NotificationKind): string {
  return `${fp}#${episode}#${level}#${channel}#${kind}`;
}

function isActive(window: { startsAt: string; endsAt: string }, at: number): boolean {
  return Date.parse(window.startsAt) <= at && at < Date.parse(window.endsAt);
}

function strip(item: Item): Item {
  const { pk: _pk, sk: _sk, expiresAt: _ttl, ...rest } = item;
  return rest;
}

export class AlertStore {
  readonly #client: DynamoDBClient;
  readonly #table: string;
  readonly #now: () => number;

  constructor(options: AlertStoreOptions) {
    this.#client = options.client;
    this.#table = options.tableName;
    this.#now = options.now ?? Date.now;
  }

  get tableName(): string {
    return this.#table;
  }

  now(): number {
    return this.#now();
  }

  #epoch(plusSeconds: number): number {
    return Math.floor(this.#now() / SECOND_MS) + plusSeconds;
  }

  #iso(): string {
    return new Date(this.#now()).toISOString();
  }

  async #get(pk: string, sk: string): Promise<Item | undefined> {
    const out = await this.#client.send(
      new GetItemCommand({ TableName: this.#table, Key: marshall({ pk, sk }), ConsistentRead: true }),
    );
    return out.Item ? unmarshall(out.Item) : undefined;
  }

  /** Put only if absent; true when this call created it. */
  async #putNew(item: Item): Promise<boolean> {
    try {
      await this.#client.send(
        new PutItemCommand({
          TableName: this.#table,
          Item: marshall(item, { removeUndefinedValues: true }),
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  /** Conditional update; false when the condition failed. */
  async #update(
    pk: string,
    sk: string,
    update: string,
    condition: string | undefined,
    values: Item,
    names?: Record<string, string>,
  ): Promise<boolean> {
    try {
      await this.#client.send(
        new UpdateItemCommand({
          TableName: this.#table,
          Key: marshall({ pk, sk }),
          UpdateExpression: update,
          ConditionExpression: condition,
          ExpressionAttributeValues:
            Object.keys(values).length > 0 ? marshall(values, { removeUndefinedValues: true }) : undefined,
          ExpressionAttributeNames: names,
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  async #query(pk: string, skPrefix?: string): Promise<Item[]> {
    const items: Item[] = [];
    let start: Record<string, import('@aws-sdk/client-dynamodb').AttributeValue> | undefined;
    do {
      const out = await this.#client.send(
        new QueryCommand({
          TableName: this.#table,
          KeyConditionExpression: skPrefix ? 'pk = :pk AND begins_with(sk, :prefix)' : 'pk = :pk',
          ExpressionAttributeValues: marshall(skPrefix ? { ':pk': pk, ':prefix': skPrefix } : { ':pk': pk }),
          ExclusiveStartKey: start,
          ConsistentRead: true,
        }),
      );
      for (const raw of out.Items ?? []) items.push(unmarshall(raw));
      start = out.LastEvaluatedKey;
    } while (start);
    return items;
  }

  // ---- events ----------------------------------------------------------------------------

  /** Marks an event processed; true the first time. */
  recordEvent(eventId: string): Promise<boolean> {
    return this.#putNew({
      pk: ITEM_TYPES.event,
      sk: eventId,
      recordedAt: this.#iso(),
      expiresAt: this.#epoch(EVENT_TTL_SECONDS),
    });
  }

  async hasEvent(eventId: string): Promise<boolean> {
    return (await this.#get(ITEM_TYPES.event, eventId)) !== undefined;
  }

  // ---- alerts ----------------------------------------------------------------------------

  async getAlert(fingerprint: string): Promise<AlertRecord | undefined> {
    const item = await this.#get(ITEM_TYPES.alert, fingerprint);
    return item ? (strip(item) as unknown as AlertRecord) : undefined;
  }

  /** Every alert that fired at least once (episode 0 only records an OK that came before any ALARM). */
  async listAlerts(): Promise<AlertRecord[]> {
    return (await this.#query(ITEM_TYPES.alert))
      .map((item) => strip(item) as unknown as AlertRecord)
      .filter((alert) => alert.episode > 0);
  }

  /**
   * A firing alert: creates it (episode 1), reopens a resolved one (episode + 1) or leaves a
   * firing / acked one as it is. `isNew` is true for exactly one of any number of concurrent calls.
   *
   * With a state time (`alert.stateAt`), the event is ordered against the state already applied
   * (domain/routing/order.ts): a stale one changes nothing but the timeline (`stale: true`); an
   * applied one moves the alert's applied time forward. Every ordered write is conditional on the
   * timeline version it read, so two events of one alert never both apply from the same state.
   */
  async upsertFiring(alert: Alert, groupKey = ''): Promise<{ episode: number; isNew: boolean; stale?: boolean }> {
    const stamp = stampOf(alert);
    for (let attempt = 0; attempt < MAX_TRANSITION_ATTEMPTS; attempt++) {
      const current = await this.getAlert(alert.fingerprint);
      const fields = {
        status: 'firing',
        severity: alert.severity,
        labels: alert.labels,
        alertName: alert.alertName,
        annotations: alert.annotations,
        startsAt: alert.startsAt,
        source: alert.source,
        groupKey,
        updatedAt: this.#iso(),
      };
      if (!current) {
        const created = await this.#putNew({
          pk: ITEM_TYPES.alert,
          sk: alert.fingerprint,
          fingerprint: alert.fingerprint,
          episode: 1,
          ...fields,
          ...(stamp === undefined
            ? {}
            : {
                stateAt: stamp.at,
                stateSeq: stamp.seq,
                timeline: appendTimeline(undefined, alert, 'applied', 1),
                timelineSeq: 1,
              }),
        });
        if (created) return { episode: 1, isNew: true };
        continue;
      }
      // a redelivery (or a retry after a crash) of an event already recorded: as it was then
      const seen = current.timeline?.find((entry) => entry.eventId === alert.eventId);
      if (seen) return { episode: current.episode, isNew: false, ...(seen.outcome === 'stale' ? { stale: true } : {}) };
      if (isStale({ status: 'firing', stamp }, current)) {
        if (await this.#record(current, alert, 'stale')) return { episode: current.episode, isNew: false, stale: true };
        continue;
      }
      if (current.status !== 'resolved') {
        // still firing: nothing changes but the applied time, so an older OK delivered later is
        // stale; an event of the same instant changes nothing at all (no write, no contention)
        if (!this.#isNewer(stamp, current) || (await this.#record(current, alert, 'applied')))
          return { episode: current.episode, isNew: false };
        continue;
      }
      const episode = current.episode + 1;
      const ordered = stamp === undefined ? undefined : this.#ordered(current, alert, 'applied', episode);
      const reopened = await this.#update(
        ITEM_TYPES.alert,
        alert.fingerprint,
        'SET #status = :firing, episode = :next, severity = :severity, labels = :labels, alertName = :name, ' +
          'annotations = :annotations, startsAt = :startsAt, #source = :source, groupKey = :groupKey, ' +
          `updatedAt = :now${ordered ? `, ${ordered.set}` : ''} REMOVE ackedBy, ackedAt, resolvedAt, expiresAt`,
        `#status = :resolved AND episode = :episode${ordered ? ` AND ${ordered.condition}` : ''}`,
        {
          ':firing': 'firing',
          ':resolved': 'resolved',
          ':next': episode,
          ':episode': current.episode,
          ':severity': alert.severity,
          ':labels': alert.labels,
          ':name': alert.alertName,
          ':annotations': alert.annotations,
          ':startsAt': alert.startsAt,
          ':source': alert.source,
          ':groupKey': groupKey,
          ':now': fields.updatedAt,
          ...ordered?.values,
        },
        { '#status': 'status', '#source': 'source' },
      );
      if (reopened) return { episode, isNew: true };
    }
    throw new Error(`alert ${alert.fingerprint}: upsertFiring lost ${MAX_TRANSITION_ATTEMPTS} races in a row`);
  }

  /** firing|acked -> resolved; true for exactly one caller. Unordered: the router uses applyResolved. */
  resolve(fingerprint: string): Promise<boolean> {
    return this.#update(
      ITEM_TYPES.alert,
      fingerprint,
      'SET #status = :resolved, resolvedAt = :now, updatedAt = :now, expiresAt = :ttl',
      '#status IN (:firing, :acked)',
      {
        ':resolved': 'resolved',
        ':firing': 'firing',
        ':acked': 'acked',
        ':now': this.#iso(),
        ':ttl': this.#epoch(HISTORY_TTL_SECONDS),
      },
      { '#status': 'status' },
    );
  }

  /**
   * A resolved event, ordered like upsertFiring: 'resolved' (with the episode it ended) for the
   * caller that moved a firing or acked alert to resolved, and again for a redelivery of that
   * event; 'stale' when the event is older than the applied state; 'not_firing' when there was
   * nothing to resolve. An OK that arrives before any ALARM is kept
   * (episode 0, resolved) so the older ALARM, when it arrives, is known to be stale.
   */
  async applyResolved(alert: Alert): Promise<ResolveResult> {
    const stamp = stampOf(alert);
    if (stamp === undefined) {
      if (!(await this.resolve(alert.fingerprint))) return { outcome: 'not_firing' };
      return { outcome: 'resolved', episode: (await this.getAlert(alert.fingerprint))?.episode ?? 0 };
    }
    for (let attempt = 0; attempt < MAX_TRANSITION_ATTEMPTS; attempt++) {
      const current = await this.getAlert(alert.fingerprint);
      if (!current) {
        const now = this.#iso();
        const created = await this.#putNew({
          pk: ITEM_TYPES.alert,
          sk: alert.fingerprint,
          fingerprint: alert.fingerprint,
          episode: 0,
          status: 'resolved',
          severity: alert.severity,
          labels: alert.labels,
          alertName: alert.alertName,
          annotations: alert.annotations,
          startsAt: alert.startsAt,
          source: alert.source,
          groupKey: '',
          updatedAt: now,
          resolvedAt: now,
          stateAt: stamp.at,
          stateSeq: stamp.seq,
          timeline: appendTimeline(undefined, alert, 'applied', 0),
          timelineSeq: 1,
          expiresAt: this.#epoch(HISTORY_TTL_SECONDS),
        });
        if (created) return { outcome: 'not_firing' };
        continue;
      }
      const seen = current.timeline?.find((entry) => entry.eventId === alert.eventId);
      if (seen) {
        if (seen.outcome === 'stale') return { outcome: 'stale' };
        return seen.episode ? { outcome: 'resolved', episode: seen.episode } : { outcome: 'not_firing' };
      }
      if (isStale({ status: 'resolved', stamp }, current)) {
        if (await this.#record(current, alert, 'stale')) return { outcome: 'stale' };
        continue;
      }
      if (current.status === 'resolved') {
        if (!this.#isNewer(stamp, current) || (await this.#record(current, alert, 'applied')))
          return { outcome: 'not_firing' };
        continue;
      }
      const ordered = this.#ordered(current, alert, 'applied');
      const resolved = await this.#update(
        ITEM_TYPES.alert,
        alert.fingerprint,
        `SET #status = :resolved, resolvedAt = :now, updatedAt = :now, expiresAt = :ttl, ${ordered.set}`,
        `#status IN (:firing, :acked) AND ${ordered.condition}`,
        {
          ':resolved': 'resolved',
          ':firing': 'firing',
          ':acked': 'acked',
          ':now': this.#iso(),
          ':ttl': this.#epoch(HISTORY_TTL_SECONDS),
          ...ordered.values,
        },
        { '#status': 'status' },
      );
      if (resolved) return { outcome: 'resolved', episode: current.episode };
    }
    throw new Error(`alert ${alert.fingerprint}: applyResolved lost ${MAX_TRANSITION_ATTEMPTS} races in a row`);
  }

  /**
   * The SET clause, condition and values that append `alert` to the record's timeline (and, when
   * applied, move its applied state time forward), conditional on the timeline version read.
   */
  #ordered(
    current: AlertRecord,
    alert: Alert,
    outcome: TimelineEntry['outcome'],
    episode = current.episode,
  ): { set: string; condition: string; values: Item } {
    const seen = current.timelineSeq;
    const next = outcome === 'applied' ? newest(appliedStamp(current), stampOf(alert)) : undefined;
    return {
      set: `timeline = :timeline, timelineSeq = :timelineNext${next ? ', stateAt = :stateAt, stateSeq = :stateSeq' : ''}`,
      condition: seen === undefined ? 'attribute_not_exists(timelineSeq)' : 'timelineSeq = :timelineSeen',
      values: {
        ':timeline': appendTimeline(current.timeline, alert, outcome, episode),
        ':timelineNext': (seen ?? 0) + 1,
        ...(seen === undefined ? {} : { ':timelineSeen': seen }),
        ...(next ? { ':stateAt': next.at, ':stateSeq': next.seq } : {}),
      },
    };
  }

  /** True when the event's stamp is strictly newer than the record's applied one (or it has none). */
  #isNewer(stamp: StateStamp | undefined, current: AlertRecord): boolean {
    if (stamp === undefined) return false;
    const applied = appliedStamp(current);
    return applied === undefined || compareStamps(stamp, applied) > 0;
  }

  /** Writes only the timeline entry (and the applied time) of an event; false when another writer won. */
  #record(current: AlertRecord, alert: Alert, outcome: TimelineEntry['outcome'], episode?: number): Promise<boolean> {
    const ordered = this.#ordered(current, alert, outcome, episode);
    return this.#update(
      ITEM_TYPES.alert,
      alert.fingerprint,
      `SET ${ordered.set}`,
      `attribute_exists(pk) AND ${ordered.condition}`,
      ordered.values,
    );
  }

  /** firing -> acked; true for exactly one caller. */
  acknowledge(fingerprint: string, by: string): Promise<boolean> {
    return this.#update(
      ITEM_TYPES.alert,
      fingerprint,
      'SET #status = :acked, ackedBy = :by, ackedAt = :now, updatedAt = :now',
      '#status = :firing',
      { ':acked': 'acked', ':firing': 'firing', ':by': by, ':now': this.#iso() },
      { '#status': 'status' },
    );
  }

  /** Records the time of a page of this alert (a started escalation). */
  markNotified(fingerprint: string, at = this.#now()): Promise<boolean> {
    return this.#update(ITEM_TYPES.alert, fingerprint, 'SET lastNotifiedAt = :at', 'attribute_exists(pk)', {
      ':at': at,
    });
  }

  /**
   * Claims the right to start the escalation of an episode, for `leaseMs`. Concurrent deliveries
   * of one event get one 'claimed'; the rest see 'held' (or 'started' once it is done). A
   * claim whose owner crashed lapses after the lease, so a retry can take it over.
   */
  async claimStart(fingerprint: string, episode: number, owner: string, leaseMs: number): Promise<StartClaim> {
    const now = this.#now();
    const claimed = await this.#update(
      ITEM_TYPES.alert,
      fingerprint,
      'SET startClaimEpisode = :episode, startOwner = :owner, startLeaseUntil = :until',
      // a newer OK may have resolved the episode meanwhile: then nothing is started
      'episode = :episode AND #status <> :resolved AND ' +
        '(attribute_not_exists(startedEpisode) OR startedEpisode < :episode) AND ' +
        '(attribute_not_exists(startClaimEpisode) OR startClaimEpisode < :episode OR startLeaseUntil <= :now)',
      { ':episode': episode, ':owner': owner, ':until': now + leaseMs, ':now': now, ':resolved': 'resolved' },
      { '#status': 'status' },
    );
    if (claimed) return 'claimed';
    const current = await this.getAlert(fingerprint);
    if (!current || current.episode !== episode || current.status === 'resolved') return 'superseded';
    if ((current.startedEpisode ?? 0) >= episode) return 'started';
    return 'held';
  }

  /** The escalation of the episode is started (or known to exist). */
  markStarted(fingerprint: string, episode: number): Promise<boolean> {
    return this.#update(
      ITEM_TYPES.alert,
      fingerprint,
      'SET startedEpisode = :episode, lastNotifiedAt = :now REMOVE startOwner, startLeaseUntil',
      'attribute_not_exists(startedEpisode) OR startedEpisode < :episode',
      { ':episode': episode, ':now': this.#now() },
    );
  }

  /** Gives a claim back after a failed start so a retry need not wait for the lease. */
  releaseStart(fingerprint: string, owner: string): Promise<boolean> {
    return this.#update(
      ITEM_TYPES.alert,
      fingerprint,
      'REMOVE startClaimEpisode, startOwner, startLeaseUntil',
      'startOwner = :owner',
      { ':owner': owner },
    );
  }

  // ---- notification log ------------------------------------------------------------------

  /** Conditional put before a send: true for exactly one caller per key (send once). */
  claimNotification(
    fingerprint: string,
    episode: number,
    level: number,
    channel: string,
    kind: NotificationKind,
  ): Promise<boolean> {
    return this.#putNew({
      pk: ITEM_TYPES.notification,
      sk: notificationSk(fingerprint, episode, level, channel, kind),
      fingerprint,
      episode,
      level,
      channel,
      kind,
      claimedAt: this.#iso(),
      expiresAt: this.#epoch(HISTORY_TTL_SECONDS),
    });
  }

  /** Deletes a claim whose send failed, so a retry can claim it again. */
  async releaseNotification(
    fingerprint: string,
    episode: number,
    level: number,
    channel: string,
    kind: NotificationKind,
  ): Promise<void> {
    await this.#client.send(
      new DeleteItemCommand({
        TableName: this.#table,
        Key: marshall({ pk: ITEM_TYPES.notification, sk: notificationSk(fingerprint, episode, level, channel, kind) }),
      }),
    );
  }

  /** The notification log of one episode. */
  async listNotifications(
    fingerprint: string,
    episode: number,
  ): Promise<{ level: number; channel: string; kind: NotificationKind; claimedAt: string }[]> {
    const items = await this.#query(ITEM_TYPES.notification, `${fingerprint}#${episode}#`);
    return items.map((item) => ({
      level: item.level as number,
      channel: item.channel as string,
      kind: item.kind as NotificationKind,
      claimedAt: item.claimedAt as string,
    }));
  }

  // ---- groups ----------------------------------------------------------------------------

  async getGroup(groupKey: string): Promise<GroupRecord | undefined> {
    const item = await this.#get(ITEM_TYPES.group, groupKey);
    return item ? (strip(item) as unknown as GroupRecord) : undefined;
  }

  /**
   * Writes the next state of a group if nobody changed it since `expectedVersion` was read
   * (0: the group must not exist). False when another writer won: re-read and decide again.
   */
  async updateGroup(next: Omit<GroupRecord, 'version'>, expectedVersion: number, ttlSeconds: number): Promise<boolean> {
    const item = {
      pk: ITEM_TYPES.group,
      sk: next.groupKey,
      ...next,
      version: expectedVersion + 1,
      expiresAt: this.#epoch(ttlSeconds),
    };
    try {
      await this.#client.send(
        new PutItemCommand({
          TableName: this.#table,
          Item: marshall(item, { removeUndefinedValues: true }),
          ConditionExpression: expectedVersion === 0 ? 'attribute_not_exists(pk)' : 'version = :version',
          ExpressionAttributeValues: expectedVersion === 0 ? undefined : marshall({ ':version': expectedVersion }),
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  // ---- silences and maintenance windows --------------------------------------------------

  async putSilence(silence: Silence): Promise<void> {
    await this.#putWindow(ITEM_TYPES.silence, silence);
  }

  async deleteSilence(id: string): Promise<boolean> {
    return this.#delete(ITEM_TYPES.silence, id);
  }

  /** Silences, all or only those active at `at` (epoch ms). */
  async listSilences(at?: number): Promise<Silence[]> {
    const all = (await this.#query(ITEM_TYPES.silence)).map((item) => strip(item) as unknown as Silence);
    return at === undefined ? all : all.filter((s) => isActive(s, at));
  }

  async putMaintenance(window: MaintenanceWindow): Promise<void> {
    await this.#putWindow(ITEM_TYPES.maintenance, window);
  }

  async deleteMaintenance(id: string): Promise<boolean> {
    return this.#delete(ITEM_TYPES.maintenance, id);
  }

  async listMaintenance(at?: number): Promise<MaintenanceWindow[]> {
    const all = (await this.#query(ITEM_TYPES.maintenance)).map((item) => strip(item) as unknown as MaintenanceWindow);
    return at === undefined ? all : all.filter((m) => isActive(m, at));
  }

  async #putWindow(type: string, window: Silence | MaintenanceWindow): Promise<void> {
    const ends = Date.parse(window.endsAt);
    await this.#client.send(
      new PutItemCommand({
        TableName: this.#table,
        Item: marshall(
          {
            pk: type,
            sk: window.id,
            ...window,
            expiresAt: Math.floor(ends / SECOND_MS) + EXPIRED_WINDOW_TTL_SECONDS,
          },
          { removeUndefinedValues: true },
        ),
      }),
    );
  }

  async #delete(type: string, id: string): Promise<boolean> {
    const out = await this.#client.send(
      new DeleteItemCommand({ TableName: this.#table, Key: marshall({ pk: type, sk: id }), ReturnValues: 'ALL_OLD' }),
    );
    return out.Attributes !== undefined;
  }
}
