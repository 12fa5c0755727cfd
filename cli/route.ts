/**
 * `maif-obs route ALERT.json --at TIME [--config FILE] [--env NAME] [--json]`: a dry run of the
 * alert router. Reads an alert (an EventBridge event as the router receives it, or a plain
 * `{ alertName, severity, labels }`), runs the router's own decision code (intake, routing,
 * suppression, grouping) against an empty alert state and the configuration's maintenance
 * windows, and prints who would be notified, when, and how it would escalate.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { DEFAULT_CONFIG_FILE, loadConfig } from '../domain/config/load';
import type { Alert } from '../domain/contracts/alert';
import { ALARM_SOURCE, fingerprintOf } from '../domain/contracts/events';
import { SEVERITIES, type Severity } from '../domain/contracts/severity';
import { type AlarmTrust, alarmNamesOf, NO_TRUST } from '../domain/routing/alarm-trust';
import { isBusinessHours } from '../domain/routing/calendar';
import { type Decision, decide } from '../domain/routing/decide';
import { parseEvent } from '../domain/routing/intake';
import { alarmTrustOf, compileRouter, groupKeyOf, routerConfigOf } from '../domain/routing/routing';
import { compileAlerting } from '../domain/rules/alarms';
import type { CliCommand, CliContext } from './command';
import { parseCommandLine } from './options';

const OPTIONS = {
  at: { type: 'string' },
  config: { type: 'string' },
  env: { type: 'string' },
  json: { type: 'boolean' },
} as const;
const USAGE = 'maif-obs route ALERT.json --at TIME [--config FILE] [--env NAME] [--json]';

export interface ScheduledLevel {
  readonly level: number;
  readonly name: string;
  readonly channels: readonly string[];
  /** seconds after the alert arrived */
  readonly afterSeconds: number;
  readonly at: string;
  /** 0: the first pass; n: the n-th repeat pass */
  readonly pass: number;
}

export interface RouteReport {
  readonly alert: Alert;
  readonly at: string;
  readonly businessHours: boolean;
  readonly matchedRules: readonly { readonly index: number; readonly condition: string }[];
  readonly outcome: Decision['outcome'] | 'ignored';
  readonly reason?: string;
  readonly schedule: readonly ScheduledLevel[];
}

/** Account and region of an alarm event that names neither (its identity is its ARN). */
export const DRY_RUN_ACCOUNT = '000000000000';
export const DRY_RUN_REGION = 'us-east-1';

/**
 * The alert from ALERT.json: an EventBridge event or a plain alert object. An alarm event is
 * read as the router reads it: its metadata is believed only when its name is in `trust`.
 */
export function alertFromJson(json: unknown, at: number, trust: AlarmTrust = NO_TRUST): Alert | { ignored: string } {
  const o = (typeof json === 'object' && json !== null ? json : {}) as Record<string, unknown>;
  if ('detail-type' in o) {
    const event = { id: 'dry-run', time: new Date(at).toISOString(), account: DRY_RUN_ACCOUNT, region: DRY_RUN_REGION };
    const intake = parseEvent({ ...event, ...o }, trust);
    return intake.kind === 'ignored' ? { ignored: intake.reason } : intake.alert;
  }
  const alertName = o.alertName ?? o.alertname;
  if (typeof alertName !== 'string' || alertName === '') {
    throw new Error(
      `ALERT.json: alertName ${JSON.stringify(alertName)} is not a non-empty string (give an EventBridge event or { alertName, severity, labels })`,
    );
  }
  if (!SEVERITIES.includes(o.severity as Severity)) {
    throw new Error(`ALERT.json: severity ${JSON.stringify(o.severity)} is not one of ${SEVERITIES.join(', ')}`);
  }
  const labels = (o.labels ?? {}) as Record<string, string>;
  if (typeof labels !== 'object' || Object.values(labels).some((v) => typeof v !== 'string')) {
    throw new Error('ALERT.json: labels is not an object of strings');
  }
  const summary = typeof o.summary === 'string' ? o.summary : alertName;
  return {
    fingerprint: fingerprintOf(alertName, labels),
    alertName,
    status: 'firing',
    severity: o.severity as Severity,
    labels,
    annotations: { summary },
    startsAt: new Date(at).toISOString(),
    source: 'cloudwatch',
    eventId: 'dry-run',
  };
}

/** The escalation's timeline: level 0 after group_wait, each next level after its delay, then the repeat passes. */
export function scheduleOf(
  levels: readonly { name: string; channels: readonly string[]; delaySeconds: number }[],
  repeat: number,
  at: number,
): ScheduledLevel[] {
  const out: ScheduledLevel[] = [];
  let t = 0;
  const visit = (index: number, pass: number) => {
    const level = levels[index];
    if (!level) return;
    t += level.delaySeconds;
    out.push({
      level: index,
      name: level.name,
      channels: level.channels,
      afterSeconds: t,
      at: new Date(at + t * 1000).toISOString(),
      pass,
    });
  };
  for (let i = 0; i < levels.length; i++) visit(i, 0);
  if (levels.length > 1)
    for (let pass = 1; pass <= repeat; pass++) for (let i = 1; i < levels.length; i++) visit(i, pass);
  return out;
}

/** `trustedAlarms`: the names of the alarms the stack creates (the router trusts only their metadata). */
export function routeDryRun(
  alertJson: unknown,
  at: number,
  alerting: Parameters<typeof routerConfigOf>[0],
  trustedAlarms: readonly string[] = [],
): RouteReport {
  const config = routerConfigOf(alerting, trustedAlarms);
  const router = compileRouter(config);
  const parsed = alertFromJson(alertJson, at, alarmTrustOf(config));
  const businessHours = isBusinessHours(at, config.businessHours);
  if ('ignored' in parsed) {
    throw new Error(`ALERT.json: the router ignores this event (${parsed.ignored}): nobody would be notified`);
  }
  const alert = parsed;
  if (alert.status === 'resolved') {
    return {
      alert,
      at: new Date(at).toISOString(),
      businessHours,
      matchedRules: [],
      outcome: 'resolved',
      reason: 'a resolved alert sends one resolved notice to the channels notified in its episode',
      schedule: [],
    };
  }
  const groupKey = groupKeyOf(alert, config.grouping.group_by);
  const decision = decide(alert, router, {
    now: at,
    silences: [],
    maintenance: config.maintenance,
    active: [],
    groupKey,
  });
  const matchedRules = (decision.plan?.matched ?? []).map((index) => ({
    index,
    condition: config.routing[index]?.condition ?? '',
  }));
  return {
    alert,
    at: new Date(at).toISOString(),
    businessHours,
    matchedRules,
    outcome: decision.outcome,
    ...('reason' in decision ? { reason: decision.reason } : {}),
    schedule: decision.outcome === 'paged' ? scheduleOf(decision.levels, decision.plan.repeat, at) : [],
  };
}

function span(seconds: number): string {
  if (seconds === 0) return '+0s';
  const parts: string[] = [];
  let rest = seconds;
  for (const [unit, size] of [
    ['d', 86_400],
    ['h', 3_600],
    ['m', 60],
    ['s', 1],
  ] as const) {
    if (rest >= size) {
      parts.push(`${Math.floor(rest / size)}${unit}`);
      rest %= size;
    }
  }
  return `+${parts.join('')}`;
}

export function formatReport(report: RouteReport): string[] {
  const { alert } = report;
  const labels =
    Object.entries(alert.labels)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ') || '(none)';
  const lines = [
    `alert ${alert.alertName} (${alert.severity}, ${alert.status}) fingerprint ${alert.fingerprint}`,
    `labels: ${labels}`,
    `at ${report.at} (business hours: ${report.businessHours ? 'yes' : 'no'})`,
    report.matchedRules.length > 0
      ? `matched: ${report.matchedRules.map((r) => `rule ${r.index + 1} (${r.condition})`).join(', ')}`
      : 'matched: no routing rule',
    `outcome: ${report.outcome}${report.reason ? ` (${report.reason})` : ''}`,
  ];
  if (report.schedule.length > 0) {
    lines.push('notifications, each level only while nobody has acknowledged and the alert still fires:');
    for (const s of report.schedule) {
      const what = s.level === 0 ? 'notify' : s.pass === 0 ? `escalate to ${s.name}` : `repeat ${s.pass}: ${s.name}`;
      lines.push(`  ${span(s.afterSeconds).padEnd(10)} ${s.at}  ${what} -> ${s.channels.join(', ') || '(no channel)'}`);
    }
  } else if (report.outcome !== 'resolved') {
    lines.push('nobody would be notified');
  }
  return lines;
}

async function run(args: readonly string[], context: CliContext): Promise<number> {
  const { values, positionals } = parseCommandLine(args, OPTIONS);
  if (positionals.length !== 1) throw new Error(`expected one ALERT.json, got ${positionals.length} (usage: ${USAGE})`);
  const at = values.at === undefined ? Date.now() : Date.parse(values.at);
  if (!Number.isFinite(at))
    throw new Error(`--at: '${values.at}' is not a time (use ISO 8601, e.g. 2026-11-24T22:00:00Z)`);
  const file = positionals[0] as string;
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(resolve(context.cwd, file), 'utf8'));
  } catch (error) {
    throw new Error(`'${file}': ${(error as Error).message.split('\n')[0]}`);
  }
  const config = loadConfig(values.config ?? DEFAULT_CONFIG_FILE, values.env, context.cwd);
  // an alarm event is trusted as the deployed router would trust it: by the names the stack gives its alarms
  const isAlarm = typeof json === 'object' && json !== null && (json as { source?: unknown }).source === ALARM_SOURCE;
  const report = routeDryRun(json, at, config.alerting, isAlarm ? alarmNamesOf(compileAlerting(config)) : []);
  if (values.json) context.out(JSON.stringify(report, null, 2));
  else for (const line of formatReport(report)) context.out(line);
  return 0;
}

export const routeCommand: CliCommand = {
  summary: 'Dry run of the alert router: who would be notified, when, and how it would escalate',
  usage: USAGE,
  run,
};
