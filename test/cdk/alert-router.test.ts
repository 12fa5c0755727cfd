import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as events from 'aws-cdk-lib/aws-events';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { resolveConfig } from '../../domain/config';
import { routerConfigOf } from '../../domain/routing/routing';
import { AlertRouter } from '../../lib/alerting-pipeline/router';
import { AlertStateTable } from '../../lib/alerting-pipeline/state-table';
import { nagFindings } from '../../lib/nag';
import config from '../../observability.config';

const routerConfig = routerConfigOf(resolveConfig(config, 'prod').alerting);

function routerStack(overrides: { channels?: string[]; prefix?: string; signingSecret?: boolean } = {}) {
  const app = new App({ builtinCloudFormationValidation: false });
  const stack = new Stack(app, 'S', { env: { account: '123456789012', region: 'eu-west-1' } });
  const key = new kms.Key(stack, 'Key', { enableKeyRotation: true });
  const state = new AlertStateTable(stack, 'AlertState', { encryptionKey: key });
  const topics = Object.fromEntries(
    (overrides.channels ?? ['pagerduty', 'slack', 'email']).map((c) => [
      c,
      new sns.Topic(stack, `Topic-${c}`, { masterKey: key, enforceSSL: true }),
    ]),
  );
  const stateMachine = sfn.StateMachine.fromStateMachineArn(
    stack,
    'Escalation',
    'arn:aws:states:eu-west-1:123456789012:stateMachine:maif-escalation',
  );
  const router = new AlertRouter(stack, 'Router', {
    config: routerConfig,
    table: state.table,
    stateMachine,
    topics,
    encryptionKey: key,
    bus: new events.EventBus(stack, 'Bus'),
    namespace: 'MAIF',
    service: 'maif',
    environment: 'prod',
    alarmNamePrefix: overrides.prefix,
    ...(overrides.signingSecret
      ? { alarmSigningSecret: new secretsmanager.Secret(stack, 'AlarmSigning', { encryptionKey: key }) }
      : {}),
  });
  return { stack, router, template: Template.fromStack(stack) };
}

describe('AlertStateTable and AlertRouter', () => {
  let built: ReturnType<typeof routerStack>;

  beforeAll(() => {
    built = routerStack();
  });

  it('creates one on-demand table with pk, sk, TTL, KMS and point-in-time recovery', () => {
    built.template.resourceCountIs('AWS::DynamoDB::Table', 1);
    built.template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      BillingMode: 'PAY_PER_REQUEST',
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      SSESpecification: { SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: Match.anyValue() },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
    });
  });

  it('routes state changes of the kit alarms only, by name prefix', () => {
    built.template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.cloudwatch'],
        'detail-type': ['CloudWatch Alarm State Change'],
        detail: { alarmName: [{ prefix: 'maif-prod-' }] },
      },
    });
  });

  it('routes MAIF Alert events of the kit bus', () => {
    built.template.hasResourceProperties('AWS::Events::Rule', {
      EventBusName: Match.anyValue(),
      EventPattern: { source: ['maif.observability'], 'detail-type': ['MAIF Alert'] },
    });
  });

  it('dead-letters to a KMS-encrypted queue and alarms on its depth', () => {
    built.template.hasResourceProperties('AWS::SQS::Queue', { KmsMasterKeyId: Match.anyValue() });
    built.template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', { MaximumRetryAttempts: 2 });
    built.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Threshold: 1,
    });
  });

  it('lets the router start and stop escalations of its state machine only', () => {
    const policies = JSON.stringify(built.template.findResources('AWS::IAM::Policy'));
    expect(policies).toContain('states:StartExecution');
    expect(policies).toContain('arn:aws:states:eu-west-1:123456789012:execution:maif-escalation:*');
  });

  it('passes the table, state machine, topics and DLQ to the function', () => {
    built.template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          MAIF_ALERT_TABLE: Match.anyValue(),
          MAIF_ESCALATION_STATE_MACHINE_ARN: 'arn:aws:states:eu-west-1:123456789012:stateMachine:maif-escalation',
          MAIF_CHANNEL_TOPICS: Match.anyValue(),
          MAIF_ROUTER_DLQ_URL: Match.anyValue(),
        }),
      },
    });
  });

  it('reads the alarm signing key from its secret when one is given, and has no access otherwise', () => {
    const signed = routerStack({ signingSecret: true });

    signed.template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          MAIF_ALARM_SIGNING_SECRET_ARN: { Ref: Match.stringLikeRegexp('^AlarmSigning') },
        }),
      },
    });
    signed.template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: Match.arrayWith(['secretsmanager:GetSecretValue']),
            Resource: { Ref: Match.stringLikeRegexp('^AlarmSigning') },
          }),
        ]),
      },
    });
    expect(JSON.stringify(built.template.toJSON())).not.toContain('MAIF_ALARM_SIGNING_SECRET_ARN');
    // the secret itself is the test's (its rotation is its owner's business): the router adds no finding
    expect(nagFindings(signed.stack).filter((f) => !f.resource.startsWith('S/AlarmSigning/'))).toEqual([]);
  });

  it('stays clean under cdk-nag', () => {
    expect(nagFindings(built.stack)).toEqual([]);
  });

  it('rejects a topic for a channel the configuration does not define', () => {
    expect(() => routerStack({ channels: ['slack', 'teams'] })).toThrow(
      /AlertRouter topics: 'teams' is not a channel of alerting.channels \(allowed: email, slack, pagerduty\)/,
    );
  });

  it('rejects an empty alarm name prefix', () => {
    expect(() => routerStack({ prefix: ' ' })).toThrow(/alarmNamePrefix: ' ' is not allowed/);
  });
});
