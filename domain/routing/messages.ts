/**
 * Rendering of a Notification for each channel: a Slack Block Kit message, a PagerDuty Events
 * API v2 body and readable e-mail text (with its SNS subject). Pure functions: no I/O.
 */
import type { Notification, NotificationKind } from '../contracts/alert';
import type { Severity } from '../contracts/severity';

/** Slack Block Kit limits (api.slack.com/reference/block-kit/blocks). */
export const SLACK_LIMITS = {
  headerText: 150,
  sectionText: 3000,
  fields: 10,
  fieldText: 2000,
  contextElements: 10,
  buttonText: 75,
  url: 3000,
  fallbackText: 4000,
} as const;

/** PagerDuty Events API v2 limits. */
export const PAGERDUTY_LIMITS = { summary: 1024, dedupKey: 255, source: 255 } as const;

/** SNS Publish `Subject` (used by e-mail subscriptions): at most 100 printable ASCII characters. */
export const MAX_EMAIL_SUBJECT = 100;

const SEVERITY_EMOJI = {
  critical: ':red_circle:',
  warning: ':large_orange_circle:',
  info: ':large_blue_circle:',
} as const;

const KIND_TITLE = {
  firing: 'FIRING',
  escalation: 'ESCALATED',
  repeat: 'STILL FIRING',
  resolved: 'RESOLVED',
  acknowledged: 'ACKNOWLEDGED',
  heartbeat: 'HEARTBEAT',
} as const satisfies Record<NotificationKind, string>;

function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  return `${text.slice(0, max - 1)}…`;
}

/** Slack mrkdwn: &, < and > are control characters and must be escaped. */
export function slackEscape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function httpUrl(url: string | undefined): string | undefined {
  if (url === undefined || url.length > SLACK_LIMITS.url) return undefined;
  return /^https?:\/\//i.test(url) ? url : undefined;
}

/** `[CRITICAL] FIRING: high_latency` */
export function title(notification: Notification): string {
  const { alert, kind } = notification;
  return `[${alert.severity.toUpperCase()}] ${KIND_TITLE[kind]}: ${alert.alertName}`;
}

function levelLine(notification: Notification): string | undefined {
  if (notification.kind !== 'escalation' && notification.kind !== 'repeat') return undefined;
  return `Escalation level ${notification.level}${notification.levelName ? ` (${notification.levelName})` : ''}`;
}

export interface SlackText {
  readonly type: 'plain_text' | 'mrkdwn';
  readonly text: string;
  readonly emoji?: boolean;
}
export type SlackBlock =
  | { readonly type: 'header'; readonly text: SlackText }
  | { readonly type: 'section'; readonly text?: SlackText; readonly fields?: readonly SlackText[] }
  | { readonly type: 'context'; readonly elements: readonly SlackText[] }
  | {
      readonly type: 'actions';
      readonly elements: readonly {
        readonly type: 'button';
        readonly text: SlackText;
        readonly url: string;
        readonly action_id: string;
        readonly style?: 'primary' | 'danger';
      }[];
    };
export interface SlackMessage {
  readonly text: string;
  readonly blocks: readonly SlackBlock[];
  readonly channel?: string;
}

/** The Slack incoming-webhook body: fallback `text` plus Block Kit `blocks`. */
export function slackMessage(notification: Notification, options: { readonly channel?: string } = {}): SlackMessage {
  const { alert } = notification;
  const heading = title(notification);
  const blocks: SlackBlock[] = [
    { type: 'header', text: { type: 'plain_text', text: truncate(heading, SLACK_LIMITS.headerText), emoji: true } },
  ];
  const summary = [
    `${SEVERITY_EMOJI[alert.severity]} *${slackEscape(alert.annotations.summary)}*`,
    alert.annotations.description ? slackEscape(alert.annotations.description) : undefined,
    levelLine(notification),
  ]
    .filter((line): line is string => line !== undefined && line !== '')
    .join('\n');
  blocks.push({ type: 'section', text: { type: 'mrkdwn', text: truncate(summary, SLACK_LIMITS.sectionText) } });

  const labels = Object.entries(alert.labels).sort(([a], [b]) => a.localeCompare(b));
  const fields: SlackText[] = [{ type: 'mrkdwn', text: `*severity*\n${alert.severity}` }];
  for (const [name, value] of labels.slice(0, SLACK_LIMITS.fields - 1)) {
    fields.push({
      type: 'mrkdwn',
      text: truncate(`*${slackEscape(name)}*\n${slackEscape(value)}`, SLACK_LIMITS.fieldText),
    });
  }
  blocks.push({ type: 'section', fields });

  const context: SlackText[] = [
    { type: 'mrkdwn', text: `started ${alert.startsAt} · episode ${notification.episode} · ${alert.source}` },
  ];
  const runbook = httpUrl(alert.annotations.runbook);
  if (runbook) context.push({ type: 'mrkdwn', text: `<${runbook}|Runbook>` });
  else if (alert.annotations.runbook) {
    context.push({ type: 'mrkdwn', text: truncate(`Runbook: ${slackEscape(alert.annotations.runbook)}`, 2000) });
  }
  if (notification.groupSize !== undefined && notification.groupSize > 1) {
    context.push({ type: 'mrkdwn', text: `${notification.groupSize} alerts in this group` });
  }
  blocks.push({ type: 'context', elements: context.slice(0, SLACK_LIMITS.contextElements) });

  const open = notification.kind !== 'resolved' && notification.kind !== 'acknowledged';
  const ack = httpUrl(notification.ackUrl);
  const silence = httpUrl(notification.silenceUrl);
  const buttons = [
    ...(open && ack
      ? [
          {
            type: 'button' as const,
            text: plain('Acknowledge'),
            url: ack,
            action_id: 'maif-ack',
            style: 'primary' as const,
          },
        ]
      : []),
    ...(open && silence
      ? [{ type: 'button' as const, text: plain('Silence 1h'), url: silence, action_id: 'maif-silence' }]
      : []),
  ];
  if (buttons.length > 0) blocks.push({ type: 'actions', elements: buttons });

  return {
    // The fallback text is mrkdwn too (notifications, old clients): escape it as well.
    text: truncate(slackEscape(`${heading}: ${alert.annotations.summary}`), SLACK_LIMITS.fallbackText),
    blocks,
    ...(options.channel !== undefined ? { channel: options.channel } : {}),
  };
}

function plain(text: string): SlackText {
  return { type: 'plain_text', text: truncate(text, SLACK_LIMITS.buttonText), emoji: false };
}

export type PagerDutyAction = 'trigger' | 'acknowledge' | 'resolve';
/** PagerDuty's severities; the kit's map onto critical, warning and info (error is unused). */
export type PagerDutySeverity = 'critical' | 'error' | 'warning' | 'info';

const PAGERDUTY_ACTION = {
  firing: 'trigger',
  escalation: 'trigger',
  repeat: 'trigger',
  acknowledged: 'acknowledge',
  resolved: 'resolve',
  heartbeat: undefined,
} as const satisfies Record<NotificationKind, PagerDutyAction | undefined>;

const PAGERDUTY_SEVERITY = {
  critical: 'critical',
  warning: 'warning',
  info: 'info',
} as const satisfies Record<Severity, PagerDutySeverity>;

export interface PagerDutyEvent {
  readonly routing_key: string;
  readonly event_action: PagerDutyAction;
  readonly dedup_key: string;
  readonly payload?: {
    readonly summary: string;
    readonly source: string;
    readonly severity: PagerDutySeverity;
    readonly timestamp?: string;
    readonly component?: string;
    readonly group?: string;
    readonly class?: string;
    readonly custom_details?: Record<string, unknown>;
  };
  readonly links?: readonly { readonly href: string; readonly text: string }[];
}

/** The PagerDuty action for a notification kind; undefined for kinds PagerDuty does not get (heartbeat). */
export function pagerDutyAction(kind: NotificationKind): PagerDutyAction | undefined {
  return PAGERDUTY_ACTION[kind];
}

/**
 * The Events API v2 body: dedup_key = fingerprint, so trigger, acknowledge and resolve all
 * address one PagerDuty incident. Returns undefined for kinds PagerDuty does not get.
 */
export function pagerDutyEvent(notification: Notification, routingKey: string): PagerDutyEvent | undefined {
  const action = pagerDutyAction(notification.kind);
  if (action === undefined) return undefined;
  const { alert } = notification;
  const dedupKey = alert.fingerprint.slice(0, PAGERDUTY_LIMITS.dedupKey);
  if (action !== 'trigger') return { routing_key: routingKey, event_action: action, dedup_key: dedupKey };
  const links: { href: string; text: string }[] = [];
  const runbook = httpUrl(alert.annotations.runbook);
  if (runbook) links.push({ href: runbook, text: 'Runbook' });
  const ack = httpUrl(notification.ackUrl);
  if (ack) links.push({ href: ack, text: 'Acknowledge' });
  const source = alert.labels.service ?? alert.source;
  return {
    routing_key: routingKey,
    event_action: action,
    dedup_key: dedupKey,
    payload: {
      summary: truncate(`${alert.alertName}: ${alert.annotations.summary}`, PAGERDUTY_LIMITS.summary),
      source: truncate(source === '' ? alert.source : source, PAGERDUTY_LIMITS.source),
      severity: PAGERDUTY_SEVERITY[alert.severity],
      timestamp: alert.startsAt,
      ...(alert.labels.component ? { component: alert.labels.component } : {}),
      ...(alert.labels.team ? { group: alert.labels.team } : {}),
      class: alert.alertName,
      custom_details: {
        labels: alert.labels,
        ...(alert.annotations.description ? { description: alert.annotations.description } : {}),
        episode: notification.episode,
        level: notification.level,
        ...(notification.levelName ? { levelName: notification.levelName } : {}),
      },
    },
    ...(links.length > 0 ? { links } : {}),
  };
}

/** The e-mail subject: printable ASCII, one line, at most 100 characters (SNS `Subject`). */
export function emailSubject(notification: Notification): string {
  const ascii = title(notification)
    .replace(/[\r\n\t]+/g, ' ')
    .replace(/[^\x20-\x7e]/g, '?')
    .trim();
  return truncate(ascii, MAX_EMAIL_SUBJECT).replace(/…$/, '.');
}

/** Readable plain text for e-mail: what, how bad, labels, when, runbook and links. */
export function emailText(notification: Notification): string {
  const { alert } = notification;
  const lines = [title(notification), '', alert.annotations.summary];
  if (alert.annotations.description) lines.push('', alert.annotations.description);
  lines.push('', `Severity: ${alert.severity}`, `Status: ${KIND_TITLE[notification.kind].toLowerCase()}`);
  const level = levelLine(notification);
  if (level) lines.push(level);
  lines.push(`Started: ${alert.startsAt}`);
  if (alert.endsAt) lines.push(`Ended: ${alert.endsAt}`);
  lines.push(`Source: ${alert.source}`, `Episode: ${notification.episode}`);
  if (notification.groupSize !== undefined && notification.groupSize > 1) {
    lines.push(`Alerts in this group: ${notification.groupSize}`);
  }
  const labels = Object.entries(alert.labels).sort(([a], [b]) => a.localeCompare(b));
  if (labels.length > 0) {
    lines.push('', 'Labels:');
    for (const [name, value] of labels) lines.push(`  ${name}: ${value}`);
  }
  if (alert.annotations.runbook) lines.push('', `Runbook: ${alert.annotations.runbook}`);
  const open = notification.kind !== 'resolved' && notification.kind !== 'acknowledged';
  if (open && notification.ackUrl) lines.push(`Acknowledge: ${notification.ackUrl}`);
  if (open && notification.silenceUrl) lines.push(`Silence for 1 hour: ${notification.silenceUrl}`);
  lines.push('', `Fingerprint: ${alert.fingerprint}`, `Sent: ${notification.sentAt}`);
  return lines.join('\n');
}
