/** A stack with NotificationChannels (all three channels) and the Escalation, for tests. */
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
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
