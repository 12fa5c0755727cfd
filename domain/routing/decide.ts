/**
 * The router's decision for a firing alert, from a snapshot of the state: pure, so the router
 * Lambda and the dry run (`maif-obs route`) run the same code.
 *
 * Order: silence -> maintenance window -> inhibition -> suppression rules -> no matching route
 * -> the route's own `suppress` window -> grouping. Only `page` starts an escalation.
 */

import type { Alert, EscalationInput, EscalationLevel } from '../contracts/alert';
import type { AlertRecord, GroupRecord, MaintenanceWindow, Silence } from '../contracts/alert-state';
import { decideGroup, type GroupDecision } from './grouping';
import { inhibitedBy } from './inhibition';
import { type CompiledRouter, planRoute, type RoutePlan } from './routing';
import { inMaintenance, silencedBy } from './silences';

export interface Snapshot {
  /** epoch ms */
  readonly now: number;
  /** this alert's record before this event (for its last page time) */
  readonly lastNotifiedAt?: number;
  readonly silences: readonly Silence[];
  readonly maintenance: readonly Pick<MaintenanceWindow, 'startsAt' | 'endsAt' | 'matchers'>[];
  /** alerts not resolved, for inhibition */
  readonly active: readonly Pick<AlertRecord, 'fingerprint' | 'status' | 'alertName' | 'severity' | 'labels'>[];
  readonly group?: GroupRecord;
  readonly groupKey: string;
}

export type Outcome =
  | 'paged'
  | 'grouped'
  | 'silenced'
  | 'maintenance'
  | 'inhibited'
  | 'suppressed'
  | 'unrouted'
  | 'duplicate'
  | 'repeated'
  | 'resolved'
  /** older than the state already applied to its alert (domain/routing/order.ts): changed nothing */
  | 'stale'
  | 'ignored'
  | 'heartbeat'
  | 'dead_lettered';

export type Decision =
  | {
      readonly outcome: 'paged';
      readonly plan: RoutePlan;
      readonly group: GroupDecision;
      readonly levels: readonly EscalationLevel[];
      readonly reason?: string;
    }
  | { readonly outcome: 'grouped'; readonly plan: RoutePlan; readonly group: GroupDecision }
  | { readonly outcome: Exclude<Outcome, 'paged' | 'grouped'>; readonly plan?: RoutePlan; readonly reason: string };

export function decide(alert: Alert, router: CompiledRouter, snap: Snapshot): Decision {
  const maintenanceMode = inMaintenance(alert, snap.maintenance, snap.now);
  const facts = { at: snap.now, maintenanceMode, lastNotifiedAt: snap.lastNotifiedAt };
  const plan = planRoute(alert, router, facts);
  const silence = silencedBy(alert, snap.silences, snap.now);
  if (silence) return { outcome: 'silenced', plan, reason: `silence ${silence.id} (${silence.comment})` };
  if (maintenanceMode) return { outcome: 'maintenance', plan, reason: 'a maintenance window covers this alert' };
  const inhibitor = inhibitedBy(alert, snap.active, router, facts, router.config.businessHours);
  if (inhibitor) return { outcome: 'inhibited', plan, reason: `inhibited by firing alert ${inhibitor}` };
  // a duplicate within its window is held, not dropped: if the problem is still there when the
  // window ends, it pages (the escalation checks the alert still fires); if it resolves, nothing
  if (plan.suppressedBy && plan.deferUntil === undefined)
    return { outcome: 'suppressed', plan, reason: `suppression rule '${plan.suppressedBy}'` };
  if (plan.levels.length === 0 || plan.levels.every((l) => l.channels.length === 0))
    return { outcome: 'unrouted', plan, reason: 'no routing rule notifies anyone for this alert' };
  if (plan.suppress) {
    const last = plan.suppress.similarAlerts ? snap.group?.lastNotifiedAt : snap.lastNotifiedAt;
    if (last !== undefined && last <= snap.now && snap.now - last < plan.suppress.durationMs) {
      return {
        outcome: 'suppressed',
        plan,
        reason: `the route suppresses ${plan.suppress.similarAlerts ? 'similar alerts' : 'this alert'} for ${plan.suppress.durationMs / 1000}s after a page`,
      };
    }
  }
  const group = decideGroup(snap.groupKey, snap.group, alert.fingerprint, snap.now, router.timers);
  if (group.kind === 'fold') return { outcome: 'grouped', plan, group };
  const [first, ...rest] = plan.levels as [EscalationLevel, ...EscalationLevel[]];
  // group_wait: level 0 waits for the batch to fill, then the escalation checks the alert still fires
  const waitMs = Math.max(group.waitMs, (plan.deferUntil ?? 0) - snap.now);
  const levels = [{ ...first, delaySeconds: Math.ceil(waitMs / 1000) }, ...rest];
  return {
    outcome: 'paged',
    plan,
    group,
    levels,
    ...(plan.deferUntil !== undefined
      ? { reason: `held by suppression rule '${plan.suppressedBy}' until ${new Date(plan.deferUntil).toISOString()}` }
      : {}),
  };
}

export function escalationInput(
  alert: Alert,
  episode: number,
  levels: readonly EscalationLevel[],
  repeat: number,
): EscalationInput {
  return { alert, episode, levels, repeat };
}
