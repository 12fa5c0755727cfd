/**
 * Dispatch: send one Notification to a list of channels through their SNS topics, exactly once
 * per (fingerprint, episode, level, channel, kind).
 *
 * Contract:
 * `dispatch(notification, channels, deps) -> Promise<{ sent, skipped }>`; for each channel:
 * `store.claimNotification(...)` (a conditional put in the notification log) then SNS Publish
 * (MessageStructure 'json': `default`/`email` = readable text, `lambda`/`sqs`/`https` = the
 * Notification JSON; MessageAttributes `severity`, `kind`). A claimed but failed publish is
 * retried; if it still fails the claim is released (when the store can) and the error is thrown
 * so the caller (Step Functions task retry, router retry) tries again: nothing lost, nothing twice.
 */
import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import type { Notification, NotificationKind } from '../../domain/contracts/alert';
import { emailSubject, emailText } from '../../domain/routing/messages';

/** Publish attempts per channel (each with the SDK's own retries) before the claim is released. */
export const MAX_PUBLISH_ATTEMPTS = 2;

/** The part of AlertStore that dispatch needs (structural, so tests can pass the real store). */
export interface NotificationLog {
  claimNotification(
    fingerprint: string,
    episode: number,
    level: number,
    channel: string,
    kind: NotificationKind,
  ): Promise<boolean>;
  /** Optional: delete a claim whose send failed, so a retry can claim it again. */
  releaseNotification?(
    fingerprint: string,
    episode: number,
    level: number,
    channel: string,
    kind: NotificationKind,
  ): Promise<unknown>;
}

export interface DispatchDeps {
  readonly sns: SNSClient;
  /** channel name -> SNS topic ARN (MAIF_CHANNEL_TOPICS). */
  readonly topicArns: Readonly<Record<string, string>>;
  readonly store: NotificationLog;
}

export interface DispatchOptions {
  /**
   * The level number used in the notification log key. Repeat passes visit a level again, so the
   * escalation passes its step number here to keep one claim per visit.
   * @default notification.level
   */
  readonly claimLevel?: number;
}

export interface DispatchResult {
  /** Channels published to by this call. */
  readonly sent: string[];
  /** Channels already notified (claim lost) or with no topic configured. */
  readonly skipped: string[];
}

/** The SNS message: readable text for e-mail, the Notification JSON for Lambda and SQS. */
export function snsMessage(notification: Notification): string {
  const json = JSON.stringify(notification);
  const text = emailText(notification);
  return JSON.stringify({ default: text, email: text, 'email-json': json, lambda: json, sqs: json, https: json });
}

export async function dispatch(
  notification: Notification,
  channels: readonly string[],
  deps: DispatchDeps,
  options: DispatchOptions = {},
): Promise<DispatchResult> {
  const { alert, episode, kind } = notification;
  const level = options.claimLevel ?? notification.level;
  const message = snsMessage(notification);
  const subject = emailSubject(notification);
  const sent: string[] = [];
  const skipped: string[] = [];
  const failures: string[] = [];
  let firstError: unknown;

  for (const channel of new Set(channels)) {
    const topicArn = deps.topicArns[channel];
    if (topicArn === undefined) {
      skipped.push(channel);
      continue;
    }
    if (!(await deps.store.claimNotification(alert.fingerprint, episode, level, channel, kind))) {
      skipped.push(channel);
      continue;
    }
    try {
      await publishWithRetry(deps.sns, topicArn, message, subject, notification);
      sent.push(channel);
    } catch (error) {
      failures.push(channel);
      firstError ??= error;
      // Give the claim back so the retry of this step can send it; a store without release
      // leaves it claimed, and the channel is then reported as failed rather than sent.
      await deps.store.releaseNotification?.(alert.fingerprint, episode, level, channel, kind);
    }
  }
  if (failures.length > 0) {
    const reason = firstError instanceof Error ? firstError.message : String(firstError);
    throw new Error(
      `dispatch ${kind} of alert ${alert.fingerprint} episode ${episode}: publish to channels ${failures.join(', ')} failed (${reason}); sent: ${sent.join(', ') || 'none'}`,
      { cause: firstError },
    );
  }
  return { sent, skipped };
}

async function publishWithRetry(
  sns: SNSClient,
  topicArn: string,
  message: string,
  subject: string,
  notification: Notification,
): Promise<void> {
  let lastError: unknown;
  for (let attempt = 1; attempt <= MAX_PUBLISH_ATTEMPTS; attempt++) {
    try {
      await sns.send(
        new PublishCommand({
          TopicArn: topicArn,
          Message: message,
          MessageStructure: 'json',
          Subject: subject,
          MessageAttributes: {
            severity: { DataType: 'String', StringValue: notification.alert.severity },
            kind: { DataType: 'String', StringValue: notification.kind },
          },
        }),
      );
      return;
    } catch (error) {
      lastError = error;
    }
  }
  throw lastError;
}
