/** A stack with NotificationChannels (all three channels) and the Escalation, and alerts to escalate, for tests. */
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Alert } from '../../domain/contracts/alert';
import type { AlertStore } from '../../lambdas/shared/alert-store';
import { NotificationChannels } from '../../lib/alerting-pipeline/channels';
import { Escalation } from '../../lib/alerting-pipeline/escalation';

export function escalationStack(): { app: App; stack: Stack; template: Template } {
  const app = new App({ builtinCloudFormationValidation: false });
  const stack = new Stack(app, 'S', { env: { account: '123456789012', region: 'eu-west-1' } });
  const key = new kms.Key(stack, 'Key', { enableKeyRotation: true });
  const table = new dynamodb.TableV2(stack, 'Table', {
    partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
    sortKey: { name: 'sk', type: dynamodb.AttributeType.STRING },
    encryption: dynamodb.TableEncryptionV2.customerManagedKey(key),
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
  });
  const channels = new NotificationChannels(stack, 'Channels', {
    encryptionKey: key,
    channels: {
      email: { recipients: ['oncall@example.com', 'manager@example.com'] },
      slack: { channel: '#alerts', webhookSecret: 'maif/slack-webhook' },
      pagerduty: { routingKeySecret: 'maif/pagerduty' },
    },
  });
  new Escalation(stack, 'Escalation', {
    table,
    topics: channels.topics,
    encryptionKey: key,
    ackUrl: 'https://ack.example.com/',
    linkSecret: new secretsmanager.Secret(stack, 'LinkKey', { encryptionKey: key }),
  });
  return { app, stack, template: Template.fromStack(stack) };
}

/** The `n`-th firing alert of a test (its own fingerprint and event id), upserted into `store`. */
export async function firingAlert(store: AlertStore, n: number): Promise<{ alert: Alert; episode: number }> {
  const alert: Alert = {
    fingerprint: `${String(n).padStart(4, '0')}${'ab'.repeat(14)}`,
    alertName: 'search_latency_high',
    status: 'firing',
    severity: 'critical',
    labels: { service: 'maif', team: 'search' },
    annotations: { summary: 'p95 above 100ms', runbook: 'https://runbooks.example.com/search' },
    startsAt: '2026-11-24T10:00:00.000Z',
    source: 'cloudwatch',
    eventId: `evt-${n}`,
  };
  const { episode } = await store.upsertFiring(alert);
  return { alert, episode };
}
