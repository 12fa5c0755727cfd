/**
 * "Use escalation policies for critical alerts": every critical alert the configuration can
 * raise (alert rules, real-time alerts, SLO pages, log processing rules) is turned into the
 * event the router receives and routed by the router's own code, inside and outside business
 * hours; a route without an `escalate` action is a finding.
 */

import type { ResolvedConfig } from '../config';
import type { AlarmSpec } from '../contracts/alarm-spec';
import type { Alert } from '../contracts/alert';
import { ALARM_DETAIL_TYPE, KIT_DETAIL_TYPE, KIT_SOURCE } from '../contracts/events';
import { parseEvent } from '../routing/intake';
import { compileRouter, planRoute, routerConfigOf } from '../routing/routing';
import type { CompositeAlarmSpec } from '../rules/slo';
import type { Finding } from './findings';

type Config = Pick<ResolvedConfig, 'alerting' | 'logging' | 'service'>;

interface CriticalAlert {
  readonly alert: Alert;
  readonly subject: string;
}

/** The two calendars that make `business_hours` always true, then always false. */
const CALENDARS = [
  {
    when: 'in business hours',
    hours: {
      timeZone: 'UTC',
      days: ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'],
      start: '00:00',
      end: '24:00',
      holidays: [],
    },
  },
  { when: 'outside business hours', hours: { timeZone: 'UTC', days: [], start: '09:00', end: '18:00', holidays: [] } },
] as const;

const EVENT_TIME = '2026-01-01T00:00:00.000Z';
const DOCTOR_ACCOUNT = '123456789012';
const DOCTOR_REGION = 'us-east-1';

/** The alert the router makes of a kit alarm's state change to ALARM. */
function alarmAlert(alarm: Pick<AlarmSpec | CompositeAlarmSpec, 'alarmName' | 'description'>): Alert | undefined {
  const intake = parseEvent(
    {
      id: 'doctor',
      source: 'aws.cloudwatch',
      'detail-type': ALARM_DETAIL_TYPE,
      time: EVENT_TIME,
      // the account and region only make the alert's identity (the ARN); routing never reads them
      account: DOCTOR_ACCOUNT,
      region: DOCTOR_REGION,
      resources: [`arn:aws:cloudwatch:${DOCTOR_REGION}:${DOCTOR_ACCOUNT}:alarm:${alarm.alarmName}`],
      detail: {
        alarmName: alarm.alarmName,
        state: { value: 'ALARM', timestamp: EVENT_TIME },
        configuration: { description: alarm.description },
      },
    },
    // the stack's own alarm: the router trusts its metadata (its name is in the router's list)
    { trustedAlarms: new Set([alarm.alarmName]), foreignSeverity: 'warning' },
  );
  return intake.kind === 'alert' ? intake.alert : undefined;
}

/** Critical alerts: alarms (SLO components excepted: their composite pages) and trigger_alert rules. */
function criticalAlerts(
  config: Config,
  alarms: readonly (AlarmSpec | CompositeAlarmSpec)[],
  pathOf: (ruleName: string) => string,
): CriticalAlert[] {
  const out: CriticalAlert[] = [];
  for (const alarm of alarms) {
    if (alarm.severity !== 'critical') continue;
    const alert = alarmAlert(alarm);
    if (alert) out.push({ alert, subject: pathOf(alarm.ruleName) });
  }
  config.logging.processingRules.forEach((rule, i) => {
    if (rule.action !== 'trigger_alert' || rule.severity !== 'critical') return;
    const intake = parseEvent({
      id: 'doctor',
      source: KIT_SOURCE,
      'detail-type': KIT_DETAIL_TYPE,
      time: EVENT_TIME,
      detail: {
        alertName: rule.alert ?? rule.name,
        severity: rule.severity,
        // The log aggregator adds service and log_group unless the rule sets them.
        labels: { service: config.service, log_group: config.logging.logGroups[0] ?? 'unknown', ...rule.labels },
        source: 'log-aggregator',
      },
    });
    if (intake.kind === 'alert')
      out.push({ alert: intake.alert, subject: `logging.processingRules[${i}] (${rule.name})` });
  });
  return out;
}

/** Critical alerts that would not escalate (an error each), and `alerting.escalation: false`. */
export function checkEscalation(
  config: Config,
  alarms: readonly (AlarmSpec | CompositeAlarmSpec)[],
  pathOf: (ruleName: string) => string,
): Finding[] {
  const critical = criticalAlerts(config, alarms, pathOf);
  if (critical.length === 0) return [];
  const findings: Finding[] = [];
  if (!config.alerting.escalation) {
    findings.push({
      id: 'critical-without-escalation',
      severity: 'error',
      subject: 'alerting.escalation',
      message: `escalation is switched off and ${critical.length} critical alert${critical.length === 1 ? '' : 's'} can fire`,
      fix: 'set alerting.escalation: true and give critical alerts a routing rule with an escalate action',
    });
  }
  const routers = CALENDARS.map(({ when, hours }) => ({
    when,
    router: compileRouter({ ...routerConfigOf(config.alerting), businessHours: hours }),
  }));
  for (const { alert, subject } of critical) {
    const gaps: string[] = [];
    for (const { when, router } of routers) {
      const plan = planRoute(alert, router, { at: Date.parse(EVENT_TIME), maintenanceMode: false });
      if (plan.levels.length === 0) gaps.push(`${when} no routing rule notifies anyone`);
      else if (plan.levels.length < 2) {
        const rules = plan.matched.map((k) => `alerting.routing[${k}]`).join(', ');
        gaps.push(`${when} ${rules} notif${plan.matched.length === 1 ? 'ies' : 'y'} without an escalate action`);
      }
    }
    if (gaps.length === 0) continue;
    findings.push({
      id: 'critical-without-escalation',
      severity: 'error',
      subject,
      message: `critical alert '${alert.alertName}' does not escalate: ${gaps.join('; ')}`,
      fix: "add a routing rule matching it, e.g. { condition: \"severity == 'critical'\", actions: [{ type: 'notify', channels: ['pagerduty'] }, { type: 'escalate', delay: '15m', to: 'on_call_manager' }] } with on_call_manager in alerting.escalationTargets",
    });
  }
  return findings;
}
