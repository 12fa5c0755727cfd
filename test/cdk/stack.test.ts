import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { resolveConfig } from '../../domain/config';
import { nagFindings } from '../../lib/nag';
import { MaifObservabilityStack } from '../../lib/stack';
import config from '../../observability.config';
import { resourcesOf, testLayerEntry } from './helpers';

describe('MaifObservabilityStack (prod of the example configuration)', () => {
  let stack: MaifObservabilityStack;
  let template: Template;
  let service: Template;

  beforeAll(() => {
    const app = new App({ builtinCloudFormationValidation: false });
    stack = new MaifObservabilityStack(app, 'Prod', {
      config: resolveConfig(config, 'prod'),
      layerEntry: testLayerEntry(),
    });
    const user = new Stack(app, 'Service');
    new lambda.Function(user, 'Search', {
      runtime: lambda.Runtime.NODEJS_24_X,
      handler: 'index.handler',
      code: lambda.Code.fromInline('exports.handler = async () => 1;'),
    });
    stack.instrument(user);
    template = Template.fromStack(stack);
    service = Template.fromStack(user);
  });

  it('instruments the functions of another stack with the kit layer, key and aggregator', () => {
    service.hasResourceProperties('AWS::Lambda::Function', {
      Layers: [{ 'Fn::ImportValue': Match.stringLikeRegexp('InstrumentationLayer') }],
      Environment: {
        Variables: Match.objectLike({ MAIF_SERVICE: 'maif', MAIF_ENVIRONMENT: 'prod', MAIF_LOG_LEVEL: 'INFO' }),
      },
    });
    service.hasResourceProperties('AWS::Logs::LogGroup', {
      RetentionInDays: 90,
      KmsKeyId: { 'Fn::ImportValue': Match.stringLikeRegexp('Key') },
    });
    service.hasResourceProperties('AWS::Logs::SubscriptionFilter', {
      DestinationArn: { 'Fn::ImportValue': Match.stringLikeRegexp('LogAggregationFunction') },
    });
  });

  it('runs every kit function on nodejs24.x, arm64, with active tracing; the collectors with the configured memory', () => {
    const functions = Object.values(resourcesOf(template, 'AWS::Lambda::Function'));
    // collectors (aggregator, probe, baseline) + pipeline (router, escalation, 2 notifiers, 2 ack API, heartbeat)
    expect(functions).toHaveLength(10);
    for (const fn of functions) {
      expect(fn.Properties).toMatchObject({
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        TracingConfig: { Mode: 'Active' },
      });
    }
    const collectors = functions.filter((fn) =>
      /log aggregator|health probe|baseline monitor/.test(String(fn.Properties?.Description)),
    );
    expect(collectors).toHaveLength(3);
    for (const fn of collectors) expect(fn.Properties?.MemorySize).toBe(512);
  });

  it('gives the log aggregator the environment of the handler contract and its DLQ', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('log aggregator'),
      Environment: {
        Variables: {
          MAIF_NAMESPACE: 'MAIF',
          MAIF_SERVICE: 'maif',
          MAIF_ENVIRONMENT: 'prod',
          MAIF_DLQ_URL: { Ref: Match.stringLikeRegexp('DeadLetterQueue') },
          MAIF_EVENT_BUS_NAME: { Ref: Match.stringLikeRegexp('EventBus') },
        },
      },
      DeadLetterConfig: { TargetArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('DeadLetterQueue'), 'Arn'] } },
      LoggingConfig: { LogGroup: { Ref: Match.stringLikeRegexp('LogAggregationFunctionLogGroup') } },
    });
  });

  it('encrypts the DLQ with the stack key and refuses non-TLS access to it', () => {
    template.hasResourceProperties('AWS::SQS::Queue', {
      KmsMasterKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Key'), 'Arn'] },
      MessageRetentionPeriod: 1_209_600,
    });
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it('keeps every log group for the configured retention and encrypts it with the stack key', () => {
    const groups = Object.values(resourcesOf(template, 'AWS::Logs::LogGroup'));
    // one per kit function, one for the escalation state machine and one per host log source (3)
    expect(groups).toHaveLength(14);
    for (const group of groups) {
      expect(group.Properties).toMatchObject({
        RetentionInDays: 90,
        KmsKeyId: { 'Fn::GetAtt': [expect.stringMatching(/^Key/), 'Arn'] },
      });
    }
  });

  it('rotates the key and lets CloudWatch Logs use it only for this account and region', () => {
    template.hasResourceProperties('AWS::KMS::Key', {
      EnableKeyRotation: true,
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Sid: 'CloudWatchLogsLogGroupsOfThisAccount',
            Principal: { Service: { 'Fn::Join': ['', ['logs.', { Ref: 'AWS::Region' }, '.amazonaws.com']] } },
            Condition: { ArnLike: { 'kms:EncryptionContext:aws:logs:arn': Match.anyValue() } },
          }),
          Match.objectLike({
            Sid: 'AwsServicesOnBehalfOfThisAccount',
            Principal: { Service: ['sns.amazonaws.com', 'cloudwatch.amazonaws.com', 'events.amazonaws.com'] },
            Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
            Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
          }),
        ]),
      },
    });
  });

  it('lets CloudWatch publish to every topic an alarm notifies (an alarm action is a publish by CloudWatch)', () => {
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm'));
    const notified = new Set<string>();
    for (const alarm of alarms) {
      const actions = [...(alarm.Properties.AlarmActions ?? []), ...(alarm.Properties.OKActions ?? [])];
      for (const action of actions) if (action.Ref !== undefined) notified.add(action.Ref);
    }
    expect(notified.size).toBeGreaterThan(0);
    const policies = Object.values(template.findResources('AWS::SNS::TopicPolicy'));
    for (const topic of notified) {
      const allowed = policies.some(
        (p) =>
          p.Properties.Topics.some((t: { Ref?: string }) => t.Ref === topic) &&
          p.Properties.PolicyDocument.Statement.some(
            (st: { Effect: string; Principal?: { Service?: string }; Condition?: Record<string, unknown> }) =>
              st.Effect === 'Allow' &&
              st.Principal?.Service === 'cloudwatch.amazonaws.com' &&
              st.Condition?.StringEquals !== undefined,
          ),
      );
      expect({ topic, allowed }).toEqual({ topic, allowed: true });
    }
  });

  it('creates the kit event bus', () => {
    template.hasResourceProperties('AWS::Events::EventBus', { Name: 'maif-prod-observability' });
  });

  it('subscribes the configured log group names to the aggregator and reports the patterns', () => {
    // the one exact name and the three host log groups of logging.sources
    template.resourceCountIs('AWS::Logs::SubscriptionFilter', 4);
    template.hasResourceProperties('AWS::Logs::SubscriptionFilter', {
      LogGroupName: '/aws/maif/production',
      FilterPattern: '',
      DestinationArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('LogAggregationFunction'), 'Arn'] },
    });
    expect(stack.logAggregation.patterns).toEqual(['/aws/lambda/maif-*']);
  });

  it('lets CloudWatch Logs invoke the aggregator through one permission for the whole account and region', () => {
    const permissions = Object.values(resourcesOf(template, 'AWS::Lambda::Permission')).filter((p) =>
      JSON.stringify(p.Properties?.Principal).includes('logs.'),
    );
    expect(permissions).toHaveLength(1);
    expect(permissions[0].Properties).toMatchObject({
      Action: 'lambda:InvokeFunction',
      SourceAccount: { Ref: 'AWS::AccountId' },
    });
    expect(JSON.stringify(permissions[0].Properties?.SourceArn)).toContain(':log-group:*');
  });

  it('probes the targets every minute, without retries', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 minute)',
      Targets: [Match.objectLike({ RetryPolicy: { MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 60 } })],
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('health probe'),
      Timeout: 15,
      Environment: { Variables: { MAIF_NAMESPACE: 'MAIF', MAIF_SERVICE: 'maif', MAIF_ENVIRONMENT: 'prod' } },
    });
  });

  it('grants each kit function only its own log group, its queue, its bus and its targets', () => {
    type Statement = { id: string; Action: string | string[]; Resource: unknown };
    const statements: Statement[] = Object.entries(resourcesOf(template, 'AWS::IAM::Policy')).flatMap(([id, policy]) =>
      (
        (policy.Properties?.PolicyDocument ?? { Statement: [] }) as { Statement: Omit<Statement, 'id'>[] }
      ).Statement.map((s) => ({ id, ...s })),
    );
    // only actions without resource-level permissions may use '*': X-Ray, GetMetricData for the
    // baseline monitor, and the CloudWatch Logs delivery actions Step Functions logging needs
    const LOG_DELIVERY =
      /^logs:(CreateLogDelivery|GetLogDelivery|UpdateLogDelivery|DeleteLogDelivery|ListLogDeliveries|PutResourcePolicy|DescribeResourcePolicies|DescribeLogGroups)$/;
    const wildcard = statements.filter((s) => s.Resource === '*');
    for (const s of wildcard) {
      const actions = Array.isArray(s.Action) ? s.Action : [s.Action];
      const allowed = actions.every(
        (a) =>
          a.startsWith('xray:') ||
          (a === 'cloudwatch:GetMetricData' && s.id.includes('BaselineMonitor')) ||
          (LOG_DELIVERY.test(a) && s.id.includes('Escalation')),
      );
      expect({ policy: s.id, actions, allowed }).toEqual({ policy: s.id, actions, allowed: true });
    }
    const actions = statements.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]));
    expect(actions.some((a) => String(a).endsWith('*') && !String(a).startsWith('xray:'))).toBe(false);
    expect(statements).toContainEqual(
      expect.objectContaining({
        Action: 'lambda:InvokeFunction',
        Resource: { 'Fn::Join': ['', expect.arrayContaining([':function:maif-search'])] },
      }),
    );
    expect(statements).toContainEqual(expect.objectContaining({ Action: ['kms:GenerateDataKey', 'kms:Decrypt'] }));
    expect(statements).toContainEqual(expect.objectContaining({ Action: 'events:PutEvents' }));
    template.resourcePropertiesCountIs('AWS::IAM::Role', { ManagedPolicyArns: Match.anyValue() }, 0);
  });

  it('declares the layer for nodejs24.x on arm64 and x86_64', () => {
    template.hasResourceProperties('AWS::Lambda::LayerVersion', {
      CompatibleRuntimes: ['nodejs24.x'],
      CompatibleArchitectures: ['arm64', 'x86_64'],
    });
  });

  it('has one X-Ray sampling rule per configured priority', () => {
    expect(Object.keys(stack.samplingRules.rules).sort()).toEqual(['background_tasks', 'default', 'high_priority']);
    template.hasResourceProperties('AWS::XRay::SamplingRule', {
      SamplingRule: Match.objectLike({ RuleName: 'maif-prod-high_priority', FixedRate: 1, ServiceName: 'maif' }),
    });
  });

  it('adds the dashboards and the Logs Insights queries over the aggregated log group', () => {
    expect(Object.keys(resourcesOf(template, 'AWS::CloudWatch::Dashboard')).length).toBeGreaterThan(0);
    template.hasResourceProperties('AWS::Logs::QueryDefinition', {
      LogGroupNames: [{ Ref: Match.stringLikeRegexp('LogAggregationFunctionLogGroup') }],
    });
  });

  it('passes the cdk-nag AwsSolutions checks with no unacknowledged finding', () => {
    expect(nagFindings(stack)).toEqual([]);
  });
});
