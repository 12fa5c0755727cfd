/**
 * CloudWatch alarm state change events for router tests. An alarm's alert is identified by its
 * ARN (account, region, name), so tests that raise "the same rule with other labels" to keep
 * their alerts apart give each service label its own account: the same alarm name in another
 * account is another alarm, exactly as on AWS.
 */
import { createHash } from 'node:crypto';
import { alarmFingerprint } from '../../domain/contracts/events';

export const TEST_ALARM_REGION = 'us-east-1';

/** A 12-digit account id of its own for each `service` label value. */
export function accountOf(labels: Readonly<Record<string, string>>): string {
  const digits = BigInt(
    `0x${createHash('sha256')
      .update(labels.service ?? '')
      .digest('hex')
      .slice(0, 15)}`,
  );
  return (digits % 10n ** 12n).toString().padStart(12, '0');
}

export function testAlarmArn(alarmName: string, labels: Readonly<Record<string, string>>): string {
  return `arn:aws:cloudwatch:${TEST_ALARM_REGION}:${accountOf(labels)}:alarm:${alarmName}`;
}

/** The fingerprint the router gives the alarm `alarmName` raised for these labels' account. */
export function testAlarmFingerprint(alarmName: string, labels: Readonly<Record<string, string>>): string {
  return alarmFingerprint(testAlarmArn(alarmName, labels));
}
