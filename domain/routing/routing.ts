/**
 * Routing: the MAIF monitoring guide's routing rules (condition -> notify / escalate /
 * suppress), evaluated with the safe expression language. Pure: the router Lambda and
 * `maif-obs route` share it.
 *
 * Identifiers resolve to alert fields first (`severity`, `alertName`, `labels.service`, ...),
 * then to labels (`team` -> labels.team). Computed identifiers: `business_hours` (the calendar),
 * `maintenance_mode` (a maintenance window covers the alert) and `same_alert_within_<duration>`
 * (this alert paged less than that long ago). First matching rule wins unless it says
 * `continue: true` (Alertmanager semantics).
 */

import type { Alert, EscalationLevel } from '../contracts/alert';
import type { Matcher } from '../contracts/alert-state';
import type { Severity } from '../contracts/severity';
import { type CompiledExpression, compileExpression } from '../languages/expression';
import type { AlarmTrust } from './alarm-trust';
import { type BusinessHours, isBusinessHours } from './calendar';

export type RoutingActionConfig =
  | { readonly type: 'notify'; readonly channels: readonly string[] }
  | { readonly type: 'escalate'; readonly delay: string; readonly to: string }
  | { readonly type: 'suppress'; readonly duration: string; readonly similarAlerts?: boolean };

/** The router's bundled configuration (`bundledConfig('router')`), built by `routerConfigOf`. */
export interface RouterConfig {
  readonly routing: readonly {
    readonly condition: string;
    readonly actions: readonly RoutingActionConfig[];
    readonly continue?: boolean;
  }[];
  readonly suppression: readonly {
    readonly name: string;
    readonly condition: string;
    readonly action: 'suppress_all' | 'group_and_suppress';
  }[];
  readonly grouping: {
    readonly group_by: readonly string[];
    readonly group_wait: string;
    readonly group_interval: string;
    readonly repeat_interval: string;
  };
  readonly inhibition: readonly {
    readonly source: string;
    readonly target: string;
    readonly equal: readonly string[];
  }[];
  readonly escalationTargets: Readonly<Record<string, { readonly channels: readonly string[] }>>;
  readonly channels: readonly string[];
  /** The guide's `escalation_enabled`: false keeps only the notify level (no escalate action, no repeat). */
  readonly escalation?: boolean;
  readonly repeat: number;
  readonly businessHours: BusinessHours;
  readonly maintenance: readonly {
    readonly name: string;
    readonly startsAt: string;
    readonly endsAt: string;
    readonly matchers?: readonly Matcher[];
    readonly comment?: string;
  }[];
  /**
   * Names of the alarms this stack created: only their descriptions' metadata is believed
   * (domain/routing/alarm-trust.ts). Absent or empty: every alarm is foreign (unless signed).
   */
  readonly trustedAlarms?: readonly string[];
  /** How an alarm the router does not trust is routed (`alerting.foreignAlarms`). */
  readonly foreignAlarms?: { readonly severity: Severity };
}

/**
 * The parts of a resolved `alerting` configuration the router needs, with the names of the
 * alarms the stack creates (`alarmNamesOf(compileAlerting(config))`): only those are trusted.
 */
export function routerConfigOf(
  alerting: {
    routing: RouterConfig['routing'];
    suppression: RouterConfig['suppression'];
    grouping: RouterConfig['grouping'];
    inhibition: RouterConfig['inhibition'];
    escalationTargets: RouterConfig['escalationTargets'];
    channels: Readonly<Record<string, unknown>>;
    escalation: boolean;
    repeat: number;
    businessHours: BusinessHours;
    maintenance: RouterConfig['maintenance'];
    foreignAlarms?: { readonly severity: Severity };
  },
  trustedAlarms: readonly string[] = [],
): RouterConfig {
  return {
    routing: alerting.routing,
    suppression: alerting.suppression,
    grouping: alerting.grouping,
    inhibition: alerting.inhibition,
    escalationTargets: alerting.escalationTargets,
    channels: Object.entries(alerting.channels)
      .filter(([, v]) => v !== undefined)
      .map(([k]) => k),
    escalation: alerting.escalation,
    repeat: alerting.repeat,
    businessHours: alerting.businessHours,
    maintenance: alerting.maintenance,
    trustedAlarms: [...trustedAlarms],
    foreignAlarms: { severity: alerting.foreignAlarms?.severity ?? 'warning' },
  };
}

/** The alarm trust of a router configuration; `signingKey` is the HMAC key, when the router has one. */
export function alarmTrustOf(config: RouterConfig, signingKey?: string): AlarmTrust {
  return {
    trustedAlarms: new Set(config.trustedAlarms ?? []),
    foreignSeverity: config.foreignAlarms?.severity ?? 'warning',
    ...(signingKey === undefined ? {} : { signingKey }),
  };
}

const DURATION_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;
const DURATION_RE = /^(\d+(?:\.\d+)?)(ms|s|m|h|d|w)$/;

/** `'30s'` -> 30000 (the config's duration syntax). */
export function durationMs(text: string): number {
  const m = DURATION_RE.exec(text);
  if (!m) throw new RangeError(`'${text}' is not a duration (use 500ms, 30s, 5m, 1h, 1d, 1w)`);
  return Number(m[1]) * DURATION_MS[m[2] as keyof typeof DURATION_MS];
}

const SAME_ALERT_RE = /^same_alert_within_(\d+(?:ms|s|m|h|d|w))$/;
const SAME_ALERT_ANY_RE = /\bsame_alert_within_(\d+(?:ms|s|m|h|d|w))\b/g;

/** What the expressions may ask that is not in the alert. */
export interface RouteFacts {
  /** epoch ms */
  readonly at: number;
  readonly maintenanceMode: boolean;
  /** epoch ms of this alert's last page, if any */
  readonly lastNotifiedAt?: number;
}

const ALERT_FIELDS = new Set([
  'fingerprint',
  'alertName',
  'status',
  'severity',
  'labels',
  'annotations',
  'startsAt',
  'endsAt',
  'source',
  'eventId',
]);

/** The identifier resolver of routing, suppression and inhibition expressions. */
export function alertResolver(
  alert: Pick<Alert, 'alertName' | 'severity' | 'labels'> & object,
  facts: RouteFacts,
  businessHours: BusinessHours,
): (path: readonly string[]) => unknown {
  return (path) => {
    const [head, ...rest] = path;
    if (head === undefined) return undefined;
    if (ALERT_FIELDS.has(head)) {
      let value: unknown = (alert as Record<string, unknown>)[head];
      for (const key of rest)
        value = typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined;
      return value;
    }
    if (rest.length > 0) return undefined;
    if (head === 'alertname') return alert.alertName;
    if (head === 'business_hours') return isBusinessHours(facts.at, businessHours);
    if (head === 'maintenance_mode') return facts.maintenanceMode;
    const same = SAME_ALERT_RE.exec(head);
    if (same)
      return facts.lastNotifiedAt !== undefined && facts.at - facts.lastNotifiedAt < durationMs(same[1] as string);
    return alert.labels[head];
  };
}

export interface CompiledRouter {
  readonly config: RouterConfig;
  readonly routes: readonly { readonly test: CompiledExpression; readonly index: number }[];
  readonly suppression: readonly {
    readonly name: string;
    readonly test: CompiledExpression;
    readonly action: 'suppress_all' | 'group_and_suppress';
    /** the longest `same_alert_within_<duration>` the condition asks about (0: none) */
    readonly windowMs: number;
  }[];
  readonly inhibition: readonly {
    readonly source: CompiledExpression;
    readonly target: CompiledExpression;
    readonly equal: readonly string[];
  }[];
  readonly timers: { readonly waitMs: number; readonly intervalMs: number; readonly repeatMs: number };
}

/** Parses every expression once (a bad one throws naming the rule). */
export function compileRouter(config: RouterConfig): CompiledRouter {
  const compile = (source: string, where: string) => {
    try {
      return compileExpression(source);
    } catch (error) {
      throw new Error(`${where}: ${(error as Error).message}`);
    }
  };
  return {
    config,
    routes: config.routing.map((r, index) => ({
      test: compile(r.condition, `alerting.routing[${index}].condition`),
      index,
    })),
    suppression: config.suppression.map((s, i) => ({
      name: s.name,
      action: s.action,
      test: compile(s.condition, `alerting.suppression[${i}].condition`),
      windowMs: Math.max(0, ...[...s.condition.matchAll(SAME_ALERT_ANY_RE)].map((m) => durationMs(m[1] as string))),
    })),
    inhibition: config.inhibition.map((r, i) => ({
      source: compile(r.source, `alerting.inhibition[${i}].source`),
      target: compile(r.target, `alerting.inhibition[${i}].target`),
      equal: r.equal,
    })),
    timers: {
      waitMs: durationMs(config.grouping.group_wait),
      intervalMs: durationMs(config.grouping.group_interval),
      repeatMs: durationMs(config.grouping.repeat_interval),
    },
  };
}

export interface RoutePlan {
  /** indexes of the routing rules that matched, in order */
  readonly matched: readonly number[];
  /** level 0 = the notify channels (delay 0 before grouping); then one level per escalate */
  readonly levels: readonly EscalationLevel[];
  readonly repeat: number;
  /** the longest `suppress` action of the matched rules: no re-page within it */
  readonly suppress?: { readonly durationMs: number; readonly similarAlerts: boolean };
  /** the suppression rule that mutes this alert, if any */
  readonly suppressedBy?: string;
  /** its action: suppress_all drops the page; group_and_suppress holds it until `deferUntil` */
  readonly suppressAction?: 'suppress_all' | 'group_and_suppress';
  /** epoch ms: a group_and_suppress rule with a duplicate window holds the page until then */
  readonly deferUntil?: number;
}

/** Routes one alert: which rules match, who is notified, how it escalates, what suppresses it. */
export function planRoute(alert: Alert, router: CompiledRouter, facts: RouteFacts): RoutePlan {
  const resolve = alertResolver(alert, facts, router.config.businessHours);
  const matched: number[] = [];
  for (const route of router.routes) {
    if (!route.test(resolve)) continue;
    matched.push(route.index);
    if (router.config.routing[route.index]?.continue !== true) break;
  }
  const escalates = router.config.escalation !== false;
  const first = new Set<string>();
  const levels: EscalationLevel[] = [];
  let suppress: RoutePlan['suppress'];
  for (const index of matched) {
    for (const action of router.config.routing[index]?.actions ?? []) {
      if (action.type === 'notify') for (const c of action.channels) first.add(c);
      else if (action.type === 'escalate') {
        if (!escalates) continue;
        const channels = router.config.escalationTargets[action.to]?.channels ?? [action.to];
        levels.push({ name: action.to, channels: [...channels], delaySeconds: durationMs(action.delay) / 1000 });
      } else {
        const durationMsValue = durationMs(action.duration);
        if (suppress === undefined || durationMsValue > suppress.durationMs)
          suppress = { durationMs: durationMsValue, similarAlerts: action.similarAlerts ?? true };
      }
    }
  }
  const rule = router.suppression.find((s) => s.test(resolve));
  const deferUntil =
    rule?.action === 'group_and_suppress' && rule.windowMs > 0 && facts.lastNotifiedAt !== undefined
      ? facts.lastNotifiedAt + rule.windowMs
      : undefined;
  return {
    matched,
    levels:
      first.size > 0 || levels.length > 0 ? [{ name: 'notify', channels: [...first], delaySeconds: 0 }, ...levels] : [],
    repeat: escalates ? router.config.repeat : 0,
    ...(suppress ? { suppress } : {}),
    ...(rule ? { suppressedBy: rule.name, suppressAction: rule.action } : {}),
    ...(deferUntil !== undefined && deferUntil > facts.at ? { deferUntil } : {}),
  };
}

/** The group an alert belongs to: its group_by label values (missing labels are empty). */
export function groupKeyOf(
  alert: Pick<Alert, 'alertName' | 'severity' | 'labels'>,
  groupBy: readonly string[],
): string {
  const labels: Record<string, string> = { alertname: alert.alertName, severity: alert.severity, ...alert.labels };
  return groupBy.map((name) => `${name}=${labels[name] ?? ''}`).join(',');
}
