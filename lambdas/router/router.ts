/**
 * The router: one EventBridge event -> alert state transitions -> at most one escalation start.
 *
 * Idempotency without transactions: the event marker is written LAST (a crash before it means
 * the retry redoes the work), every transition is a conditional write, the escalation start is
 * claimed with a lease (one of N concurrent deliveries calls StartExecution; a crashed owner's
 * claim lapses) and the execution name `${fingerprint}-${episode}` makes Step Functions reject
 * a duplicate (ExecutionAlreadyExists counts as success).
 */
import { randomUUID } from 'node:crypto';
import { type SFNClient, StartExecutionCommand, StopExecutionCommand } from '@aws-sdk/client-sfn';
import type { SNSClient } from '@aws-sdk/client-sns';
import { type Alert, executionName } from '../../domain/contracts/alert';
import { type Decision, decide, escalationInput, type Outcome } from '../../domain/routing/decide';
import { type CompiledRouter, groupKeyOf } from '../../domain/routing/routing';
import type { AlertStore } from '../shared/alert-store';
import { dispatch } from '../shared/dispatch';

/** Longer than one StartExecution call with retries, shorter than the router's timeout. */
export const START_LEASE_MS = 15_000;
export const CLAIM_POLL_MS = 250;
/** Repeat notices claim levels from here on (one claim per repeat slot). */
export const REPEAT_CLAIM_LEVEL_BASE = 1000;

export interface RouterDeps {
  readonly store: AlertStore;
  readonly sfn: SFNClient;
  readonly sns?: SNSClient;
  readonly stateMachineArn: string;
  readonly topicArns: Readonly<Record<string, string>>;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly log?: (event: string, fields: Record<string, unknown>) => void;
}

export interface RouteResult {
  readonly outcome: Outcome;
  readonly fingerprint?: string;
  readonly episode?: number;
  readonly reason?: string;
  readonly decision?: Decision;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function errorName(error: unknown): string {
  return (error as { name?: string } | null)?.name ?? '';
}

/** `arn:aws:states:r:a:stateMachine:name` -> `arn:aws:states:r:a:execution:name:<execution>` */
export function executionArn(stateMachineArn: string, name: string): string {
  return `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
}

export class Router {
  readonly #deps: RouterDeps;
  readonly #router: CompiledRouter;
  readonly #sleep: (ms: number) => Promise<void>;

  constructor(router: CompiledRouter, deps: RouterDeps) {
    this.#router = router;
    this.#deps = deps;
    this.#sleep = deps.sleep ?? defaultSleep;
  }

  async route(alert: Alert): Promise<RouteResult> {
    const { store } = this.#deps;
    if (await store.hasEvent(alert.eventId))
      return { outcome: 'duplicate', fingerprint: alert.fingerprint, reason: 'event already processed' };
    if (alert.source === 'heartbeat') {
      // the heartbeat proves the path up to the table works; it never pages anyone
      await store.recordEvent(alert.eventId);
      return { outcome: 'heartbeat', fingerprint: alert.fingerprint, reason: 'heartbeat received' };
    }
    const result = alert.status === 'firing' ? await this.#firing(alert) : await this.#resolved(alert);
    await store.recordEvent(alert.eventId);
    return result;
  }

  async #firing(alert: Alert): Promise<RouteResult> {
    const { store } = this.#deps;
    const groupKey = groupKeyOf(alert, this.#router.config.grouping.group_by);
    const { episode, stale } = await store.upsertFiring(alert, groupKey);
    const base = { fingerprint: alert.fingerprint, episode };
    if (stale) return { ...base, outcome: 'stale', reason: `older than the alert's state (event of ${alert.stateAt})` };
    const record = await store.getAlert(alert.fingerprint);
    if (record === undefined || record.episode !== episode)
      return { ...base, outcome: 'duplicate', reason: 'superseded by a newer episode' };
    if (record.status === 'resolved')
      return { ...base, outcome: 'duplicate', reason: 'resolved meanwhile by a newer event' };
    if ((record.startedEpisode ?? 0) >= episode)
      return this.#repeat(alert, episode, record.status, record.lastNotifiedAt);
    if (record.status === 'acked') return { ...base, outcome: 'duplicate', reason: 'acknowledged' };

    const now = store.now();
    const [silences, maintenance, alerts] = await Promise.all([
      store.listSilences(now),
      store.listMaintenance(now),
      store.listAlerts(),
    ]);
    for (let attempt = 0; ; attempt++) {
      const group = await store.getGroup(groupKey);
      const decision = decide(alert, this.#router, {
        now,
        lastNotifiedAt: record.lastNotifiedAt,
        silences,
        maintenance: [...this.#router.config.maintenance, ...maintenance],
        active: alerts.filter((a) => a.status !== 'resolved'),
        group,
        groupKey,
      });
      if (decision.outcome !== 'paged' && decision.outcome !== 'grouped') {
        return {
          ...base,
          outcome: decision.outcome,
          reason: 'reason' in decision ? decision.reason : undefined,
          decision,
        };
      }
      const written =
        !decision.group.changed ||
        (await store.updateGroup(decision.group.next, group?.version ?? 0, groupTtlSeconds(this.#router)));
      if (!written) {
        if (attempt < 8) continue;
        throw new Error(`group ${groupKey}: lost 8 concurrent updates in a row`);
      }
      if (decision.outcome === 'grouped')
        return {
          ...base,
          outcome: 'grouped',
          reason: `folded into ${decision.group.kind === 'fold' ? decision.group.leader : ''}'s notice`,
          decision,
        };
      const started = await this.#start(alert, episode, decision);
      if (!started)
        return { ...base, outcome: 'duplicate', reason: 'another delivery started the escalation', decision };
      return { ...base, outcome: 'paged', ...(decision.reason ? { reason: decision.reason } : {}), decision };
    }
  }

  /** Starts the escalation once: claim, StartExecution, mark started. True when this call started it. */
  async #start(alert: Alert, episode: number, decision: Extract<Decision, { outcome: 'paged' }>): Promise<boolean> {
    const { store, sfn, stateMachineArn } = this.#deps;
    const owner = randomUUID();
    const name = executionName(alert.fingerprint, episode);
    for (;;) {
      const claim = await store.claimStart(alert.fingerprint, episode, owner, START_LEASE_MS);
      if (claim === 'started' || claim === 'superseded') return false;
      if (claim === 'held') {
        // another delivery is starting it; wait for it to finish or for its lease to lapse
        await this.#sleep(CLAIM_POLL_MS);
        continue;
      }
      try {
        await sfn.send(
          new StartExecutionCommand({
            stateMachineArn,
            name,
            input: JSON.stringify(escalationInput(alert, episode, decision.levels, decision.plan.repeat)),
          }),
        );
      } catch (error) {
        if (errorName(error) !== 'ExecutionAlreadyExists') {
          await store.releaseStart(alert.fingerprint, owner).catch(() => undefined);
          throw error;
        }
      }
      await store.markStarted(alert.fingerprint, episode);
      this.#deps.log?.('escalation_started', { fingerprint: alert.fingerprint, episode, execution: name });
      // a newer OK may have resolved the episode between the claim and the start, and its stop
      // found nothing to stop yet: stop it here (the OK wrote before it stopped, so one of us sees it)
      const after = await store.getAlert(alert.fingerprint);
      if (after === undefined || after.episode !== episode || after.status === 'resolved') {
        await this.#stop(alert.fingerprint, episode, 'resolved while starting');
      }
      return true;
    }
  }

  /** A still-firing alert seen again: a `repeat` notice once per repeat_interval, else a duplicate. */
  async #repeat(
    alert: Alert,
    episode: number,
    status: string,
    lastNotifiedAt: number | undefined,
  ): Promise<RouteResult> {
    const base = { fingerprint: alert.fingerprint, episode };
    const { store, sns } = this.#deps;
    const repeatMs = this.#router.timers.repeatMs;
    const now = store.now();
    if (status !== 'firing' || lastNotifiedAt === undefined || sns === undefined || now - lastNotifiedAt < repeatMs) {
      return { ...base, outcome: 'duplicate', reason: 'already paged for this episode' };
    }
    const channels = await this.#notifiedChannels(alert.fingerprint, episode);
    if (channels.length === 0) return { ...base, outcome: 'duplicate', reason: 'already paged for this episode' };
    const slot = Math.floor((now - lastNotifiedAt) / repeatMs);
    const notification = { kind: 'repeat' as const, alert, episode, level: 0, sentAt: new Date(now).toISOString() };
    await dispatch(
      notification,
      channels,
      { sns, topicArns: this.#deps.topicArns, store },
      { claimLevel: REPEAT_CLAIM_LEVEL_BASE + slot },
    );
    return { ...base, outcome: 'repeated', reason: `still firing after ${slot} repeat_interval(s)` };
  }

  /** Stops the escalation of an episode; one that does not exist (yet) is not an error. */
  async #stop(fingerprint: string, episode: number, cause: string): Promise<void> {
    const { sfn, stateMachineArn } = this.#deps;
    try {
      await sfn.send(
        new StopExecutionCommand({
          executionArn: executionArn(stateMachineArn, executionName(fingerprint, episode)),
          cause,
        }),
      );
    } catch (error) {
      if (errorName(error) !== 'ExecutionDoesNotExist') throw error;
    }
  }

  async #notifiedChannels(fingerprint: string, episode: number): Promise<string[]> {
    const log = await this.#deps.store.listNotifications(fingerprint, episode);
    return [...new Set(log.filter((n) => n.kind !== 'resolved').map((n) => n.channel))];
  }

  async #resolved(alert: Alert): Promise<RouteResult> {
    const { store, sns } = this.#deps;
    const applied = await store.applyResolved(alert);
    if (applied.outcome === 'stale') {
      return {
        fingerprint: alert.fingerprint,
        outcome: 'stale',
        reason: `older than the alert's state (event of ${alert.stateAt})`,
      };
    }
    const record = await store.getAlert(alert.fingerprint);
    if (applied.outcome === 'not_firing') {
      // an OK of an episode another event already ended is a duplicate; with no episode, nothing to resolve
      if (record !== undefined && record.episode > 0 && record.status === 'resolved')
        return {
          fingerprint: alert.fingerprint,
          episode: record.episode,
          outcome: 'duplicate',
          reason: 'already resolved',
        };
      return { fingerprint: alert.fingerprint, outcome: 'ignored', reason: 'no firing alert to resolve' };
    }
    // the episode this event ended, even if a newer ALARM has reopened the alert since
    const { episode } = applied;
    // stop first so no level fires after the resolved notice; the check step would stop it too
    await this.#stop(alert.fingerprint, episode, 'resolved');
    const channels = await this.#notifiedChannels(alert.fingerprint, episode);
    if (channels.length > 0 && sns !== undefined) {
      const resolved: Alert = { ...alert, annotations: { ...record?.annotations, ...alert.annotations } };
      await dispatch(
        { kind: 'resolved', alert: resolved, episode, level: 0, sentAt: new Date(store.now()).toISOString() },
        channels,
        { sns, topicArns: this.#deps.topicArns, store },
      );
    }
    return { fingerprint: alert.fingerprint, episode, outcome: 'resolved' };
  }
}

function groupTtlSeconds(router: CompiledRouter): number {
  return Math.ceil((router.timers.repeatMs + router.timers.intervalMs + router.timers.waitMs) / 1000) + 86_400;
}
