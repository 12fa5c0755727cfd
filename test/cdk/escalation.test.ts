import { App, Stack } from 'aws-cdk-lib';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as kms from 'aws-cdk-lib/aws-kms';
import { ESCALATION_STATES } from '../../domain/contracts/escalation';
import { NotificationChannels } from '../../lib/alerting-pipeline/channels';
import { Escalation } from '../../lib/alerting-pipeline/escalation';
import { nagFindings } from '../../lib/nag';
import { escalationStack } from '../private/escalation-stack';
import { onlyDefinition } from '../private/local-sfn';

describe('Escalation and NotificationChannels', () => {
  let stack: Stack;
  let template: Template;

  beforeAll(() => {
    ({ stack, template } = escalationStack());
  });

  it('creates one KMS-encrypted topic per configured channel', () => {
    template.resourceCountIs('AWS::SNS::Topic', 3);
    template.allResourcesProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
  });

  it('subscribes every e-mail recipient and both notifiers with a dead-letter queue', () => {
    template.resourcePropertiesCountIs(
      'AWS::SNS::Subscription',
      { Protocol: 'email', FilterPolicy: { kind: [{ 'anything-but': ['heartbeat'] }] } },
      2,
    );
    template.resourcePropertiesCountIs(
      'AWS::SNS::Subscription',
      { Protocol: 'lambda', RedrivePolicy: { deadLetterTargetArn: Match.anyValue() } },
      2,
    );
  });

  it('raises an alarm when a notifier dead-letter queue holds a message', () => {
    template.resourcePropertiesCountIs(
      'AWS::CloudWatch::Alarm',
      { MetricName: 'ApproximateNumberOfMessagesVisible', Threshold: 1 },
      2,
    );
  });

  it('keeps the webhook URL and routing key out of environment variables', () => {
    const json = JSON.stringify(template.toJSON().Resources);
    expect(json).not.toMatch(/hooks\.slack\.com/);
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Action: 'secretsmanager:GetSecretValue', Resource: Match.anyValue() }),
        ]),
      },
    });
  });

  it('logs and traces the state machine', () => {
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      TracingConfiguration: { Enabled: true },
      LoggingConfiguration: { Level: 'ALL', IncludeExecutionData: true },
    });
  });

  it('waits from the input, loops back to the wait and fails into the watched failure state', () => {
    const definition = onlyDefinition(template) as {
      StartAt: string;
      States: Record<string, Record<string, unknown>>;
    };
    const S = ESCALATION_STATES;
    expect(definition.StartAt).toBe(S.start);
    expect(definition.States[S.wait]).toMatchObject({ Type: 'Wait', SecondsPath: '$.cursor.delaySeconds' });
    expect(definition.States[S.next]).toMatchObject({ Type: 'Pass', Next: S.wait });
    for (const task of [S.check, S.notify]) {
      expect(definition.States[task]).toMatchObject({
        Type: 'Task',
        Retry: [expect.objectContaining({ ErrorEquals: ['States.ALL'], BackoffRate: 2 })],
        Catch: [expect.objectContaining({ ErrorEquals: ['States.ALL'], Next: S.failed })],
      });
    }
    expect(definition.States[S.failed]).toMatchObject({ Type: 'Fail', Error: 'MAIF.EscalationFailed' });
    expect(JSON.stringify(definition)).not.toMatch(/JSONata/);
  });

  it('passes the channel topics, table and link settings to the escalation function', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          MAIF_ALERT_TABLE: Match.anyValue(),
          MAIF_CHANNEL_TOPICS: Match.anyValue(),
          MAIF_ACK_URL: 'https://ack.example.com/',
          MAIF_LINK_SECRET_ARN: Match.anyValue(),
        }),
      },
    });
  });

  it('has no unacknowledged cdk-nag findings in its constructs', () => {
    const ours = nagFindings(stack).filter((f) => /^S\/(Channels|Escalation)\//.test(f.resource));
    expect(ours).toEqual([]);
  });

  it('rejects a malformed e-mail recipient', () => {
    const s = new Stack(new App(), 'S2');
    expect(
      () =>
        new NotificationChannels(s, 'C', {
          encryptionKey: new kms.Key(s, 'K'),
          channels: { email: { recipients: ['not-an-address'] } },
        }),
    ).toThrow("NotificationChannels channels.email.recipients: 'not-an-address' is not an e-mail address");
  });

  it('rejects an ack URL without a link secret', () => {
    const s = new Stack(new App(), 'S3');
    const key = new kms.Key(s, 'K');
    const table = new dynamodb.TableV2(s, 'T', { partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING } });
    expect(() => new Escalation(s, 'E', { table, topics: {}, encryptionKey: key, ackUrl: 'https://x/' })).toThrow(
      'Escalation ackUrl and linkSecret: give both (signed links) or neither (no links)',
    );
  });
});
