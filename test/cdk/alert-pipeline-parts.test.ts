/**
 * AckApi and Watchdog on their own: Template assertions and cdk-nag.
 */
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { AckApi } from '../../lib/alerting-pipeline/ack-api';
import { HEARTBEAT_METRIC, Watchdog } from '../../lib/alerting-pipeline/watchdog';
import { nagFindings } from '../../lib/nag';

function parts() {
  const app = new App();
  const stack = new Stack(app, 'Parts', { env: { account: '123456789012', region: 'eu-west-1' } });
  const key = new kms.Key(stack, 'Key', { enableKeyRotation: true });
  const table = new dynamodb.TableV2(stack, 'Table', {
    partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
    sortKey: { name: 'sk', type: dynamodb.AttributeType.STRING },
    encryption: dynamodb.TableEncryptionV2.customerManagedKey(key),
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
  });
  const topic = new sns.Topic(stack, 'SlackTopic', { masterKey: key, enforceSSL: true });
  const bus = new events.EventBus(stack, 'Bus');
  return { app, stack, key, table, topic, bus };
}

describe('AckApi', () => {
  it('serves the CLI from an AWS_IAM Function URL and links from a NONE one, same handler in two modes', () => {
    const { stack, key, table, topic } = parts();

    new AckApi(stack, 'AckApi', { table, topics: { slack: topic }, encryptionKey: key });

    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::Lambda::Url', { AuthType: 'AWS_IAM' });
    template.hasResourceProperties('AWS::Lambda::Url', { AuthType: 'NONE' });
    template.resourceCountIs('AWS::Lambda::Url', 2);
    for (const mode of ['iam', 'links']) {
      template.hasResourceProperties('AWS::Lambda::Function', {
        Environment: {
          Variables: Match.objectLike({
            MAIF_ACK_MODE: mode,
            MAIF_ALERT_TABLE: Match.anyValue(),
            MAIF_LINK_SECRET_ARN: { Ref: Match.stringLikeRegexp('LinkSecret') },
            MAIF_CHANNEL_TOPICS: Match.anyValue(),
          }),
        },
      });
    }
    template.hasResourceProperties('AWS::SecretsManager::Secret', {
      GenerateSecretString: { PasswordLength: 64, ExcludePunctuation: true },
      KmsKeyId: Match.anyValue(),
    });
    template.hasOutput('*', { Description: Match.stringLikeRegexp('maif-obs --endpoint') });
  });

  it('grants only item-level table actions and publishing to the channel topics', () => {
    const { stack, key, table, topic } = parts();

    new AckApi(stack, 'AckApi', { table, topics: { slack: topic }, encryptionKey: key });

    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: [
              'dynamodb:GetItem',
              'dynamodb:PutItem',
              'dynamodb:UpdateItem',
              'dynamodb:DeleteItem',
              'dynamodb:Query',
            ],
          }),
          Match.objectLike({ Action: 'sns:Publish', Resource: { Ref: Match.stringLikeRegexp('SlackTopic') } }),
        ]),
      },
    });
  });

  it('builds no links URL when links are turned off', () => {
    const { stack, key, table, topic } = parts();

    const api = new AckApi(stack, 'AckApi', { table, topics: { slack: topic }, encryptionKey: key, links: false });

    Template.fromStack(stack).resourceCountIs('AWS::Lambda::Url', 1);
    expect(api.linkBaseUrl).toBeUndefined();
  });
});

describe('Watchdog', () => {
  function watchdog(extra: Partial<ConstructorParameters<typeof Watchdog>[2]> = {}) {
    const p = parts();
    const dog = new Watchdog(p.stack, 'Watchdog', {
      encryptionKey: p.key,
      bus: p.bus,
      namespace: 'MAIF',
      service: 'maif',
      environment: 'prod',
      fallbackEmails: ['oncall@example.com'],
      ...extra,
    });
    return { ...p, dog };
  }

  it('sends a heartbeat on a schedule and alarms, breaching on missing data, when it stops arriving', () => {
    const { stack } = watchdog();

    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(5 minutes)' });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: HEARTBEAT_METRIC,
      Namespace: 'MAIF',
      Dimensions: [
        { Name: 'environment', Value: 'prod' },
        { Name: 'service', Value: 'maif' },
      ],
      Statistic: 'Sum',
      Period: 300,
      ComparisonOperator: 'LessThanThreshold',
      Threshold: 1,
      EvaluationPeriods: 3,
      TreatMissingData: 'breaching',
      AlarmActions: [{ Ref: Match.stringLikeRegexp('FallbackTopic') }],
      OKActions: [{ Ref: Match.stringLikeRegexp('FallbackTopic') }],
    });
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'oncall@example.com' });
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: 'events:PutEvents' })]) },
    });
  });

  it('alarms on SNS delivery failures, failed and timed-out escalations and dead-letter depth', () => {
    const { stack, dog, topic } = watchdog();
    const machine = new sfn.StateMachine(stack, 'Machine', {
      definitionBody: sfn.DefinitionBody.fromChainable(new sfn.Pass(stack, 'Pass')),
    });
    const dlq = new sqs.Queue(stack, 'Dlq', { encryptionMasterKey: undefined, enforceSSL: true });

    dog.watch({ topics: { slack: topic }, stateMachines: { Escalation: machine }, deadLetterQueues: { Router: dlq } });

    const template = Template.fromStack(stack);
    const failure = (metricName: string, statistic: string) =>
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        MetricName: metricName,
        Statistic: statistic,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        Threshold: 1,
        TreatMissingData: 'notBreaching',
        AlarmActions: [{ Ref: Match.stringLikeRegexp('FallbackTopic') }],
      });
    failure('NumberOfNotificationsFailed', 'Sum');
    failure('ExecutionsFailed', 'Sum');
    failure('ExecutionsTimedOut', 'Sum');
    failure('ApproximateNumberOfMessagesVisible', 'Maximum');
    expect(dog.alarms).toHaveLength(4);
  });

  it('lets CloudWatch alarms of this account publish to the fallback topic, and nothing else', () => {
    const { stack } = watchdog();

    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Sid: 'AllowCloudWatchAlarms',
            Effect: 'Allow',
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: 'sns:Publish',
            Condition: {
              StringEquals: { 'aws:SourceAccount': stack.account },
              ArnLike: { 'aws:SourceArn': Match.objectLike({ 'Fn::Join': Match.anyValue() }) },
            },
          }),
        ]),
      },
      Topics: [{ Ref: Match.stringLikeRegexp('FallbackTopic') }],
    });
  });

  it('refuses a heartbeat schedule that is not whole minutes', () => {
    expect(() => watchdog({ heartbeatSchedule: '90s' })).toThrow(
      "Watchdog heartbeatSchedule: '90s' is not a whole number of minutes (use 1m, 5m, 1h)",
    );
  });

  it('refuses a fallback without recipients and a recipient that is not an address', () => {
    expect(() => watchdog({ fallbackEmails: [] })).toThrow(/^Watchdog fallbackEmails: \[\] is empty/);
    expect(() => watchdog({ fallbackEmails: ['oncall'] })).toThrow(
      "Watchdog fallbackEmails[0]: 'oncall' is not an e-mail address",
    );
  });

  it('leaves no cdk-nag findings on the ack API and the watchdog', () => {
    const { stack, key, table, topic, dog } = watchdog();
    new AckApi(stack, 'AckApi', { table, topics: { slack: topic }, encryptionKey: key });
    Template.fromStack(stack);

    const ours = nagFindings(stack).filter((f) => /\/(AckApi|Watchdog)\//.test(f.resource));

    expect(dog.fallbackTopic).toBeDefined();
    expect(ours).toEqual([]);
  });
});
