/**
 * The alert pipeline's shared vocabulary: what the router builds from an alarm or a
 * kit alert, what the escalation state machine receives, and what every channel topic carries.
 */
import type { Severity } from './severity';

export type AlertSource = 'cloudwatch' | 'log-aggregator' | 'baseline' | 'health-probe' | 'heartbeat';

export interface Alert {
  /** hex sha256 of alertName + sorted labels, first 32 chars */
  readonly fingerprint: string;
  readonly alertName: string;
  readonly status: 'firing' | 'resolved';
  readonly severity: Severity;
  /** service, environment, team, ... (alert labels) */
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: { readonly summary: string; readonly description?: string; readonly runbook?: string };
  /** ISO 8601 */
  readonly startsAt: string;
  readonly endsAt?: string;
  readonly source: AlertSource;
  /** EventBridge event id: idempotency key */
  readonly eventId: string;
  /**
   * When the source says this state began (ISO 8601): CloudWatch's `detail.state.timestamp`, a
   * kit alert's own time. EventBridge delivers out of order, so this, not the arrival, orders the
   * events of one alert (domain/routing/order.ts). Absent: the event is applied unordered.
   */
  readonly stateAt?: string;
  /** A kit alert's `detail.sequence`: orders events of one alert that share `stateAt`. */
  readonly sequence?: number;
}

export interface EscalationLevel {
  readonly name: string;
  readonly channels: readonly string[];
  readonly delaySeconds: number;
}

/** Step Functions execution input; execution name = `${fingerprint}-${episode}` */
export interface EscalationInput {
  readonly alert: Alert;
  readonly episode: number;
  /** level 0 = the routing rule's notify channels, delay 0 */
  readonly levels: readonly EscalationLevel[];
  /** extra passes over levels 1.. (0..9, PagerDuty-style loop) */
  readonly repeat: number;
}

export type NotificationKind = 'firing' | 'escalation' | 'repeat' | 'resolved' | 'acknowledged' | 'heartbeat';

/** The SNS message body (JSON) on every channel topic */
export interface Notification {
  readonly kind: NotificationKind;
  readonly alert: Alert;
  readonly episode: number;
  readonly level: number;
  readonly levelName?: string;
  readonly ackUrl?: string;
  readonly silenceUrl?: string;
  readonly sentAt: string;
  /** alerts in the group this notice stands for */
  readonly groupSize?: number;
}

/** Step Functions execution name of an alert episode (<= 80 chars: 32 hex + '-' + digits) */
export function executionName(fingerprint: string, episode: number): string {
  return `${fingerprint}-${episode}`;
}
