/**
 * AlertPipeline composed from the example configuration: what is wired to what, and cdk-nag.
 */
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as events from 'aws-cdk-lib/aws-events';
import * as kms from 'aws-cdk-lib/aws-kms';
import { resolveConfig } from '../../domain/config';
import { AlertPipeline, type AlertPipelineProps } from '../../lib/alerting-pipeline';
import { nagFindings } from '../../lib/nag';
import example from '../../observability.config';

const config = resolveConfig(example, 'prod');

function synth(extra: Partial<AlertPipelineProps> = {}) {
  const app = new App();
  const stack = new Stack(app, 'Pipeline', { env: { account: '123456789012', region: 'eu-west-1' } });
  const key = new kms.Key(stack, 'Key', { enableKeyRotation: true });
  const bus = new events.EventBus(stack, 'Bus');
  const pipeline = new AlertPipeline(stack, 'AlertPipeline', { config, key, bus, ...extra });
  return { stack, pipeline, template: Template.fromStack(stack) };
}

// One synth (bundling eight functions) shared by the assertions that only read it.
let built: ReturnType<typeof synth>;
beforeAll(() => {
  built = synth();
});

describe('AlertPipeline', () => {
  it('builds one state table, the router, the escalation state machine and the ack API', () => {
    const { template } = built;

    template.resourceCountIs('AWS::DynamoDB::Table', 1);
    template.resourceCountIs('AWS::StepFunctions::StateMachine', 1);
    template.resourceCountIs('AWS::Lambda::Url', 2);
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { source: ['maif.observability'], 'detail-type': ['MAIF Alert'] },
    });
  });

  it('hands the escalation the links URL and the link secret so messages carry signed links', () => {
    const { template, pipeline, stack } = built;

    const linksUrl = stack.resolve(pipeline.ackApi.linkBaseUrl);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: 'MAIF Observability escalation: check acknowledgement, notify a level',
      Environment: {
        Variables: Match.objectLike({
          MAIF_ACK_URL: linksUrl,
          MAIF_LINK_SECRET_ARN: stack.resolve(pipeline.ackApi.linkSecret.secretArn),
        }),
      },
    });
  });

  it('sends every watchdog alarm and every dead-letter alarm to the fallback topic with the configured e-mail', () => {
    const { template, stack, pipeline } = built;
    const fallback = stack.resolve(pipeline.watchdog.fallbackTopic.topicArn);

    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: config.alerting.channels.email?.recipients[0],
      TopicArn: fallback,
    });
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm')) as {
      Properties: { MetricName?: string; AlarmActions?: unknown[] };
    }[];
    const byMetric = (name: string) => alarms.filter((a) => a.Properties.MetricName === name);
    expect(byMetric('heartbeat_received')).toHaveLength(1);
    expect(byMetric('ExecutionsFailed')).toHaveLength(1);
    expect(byMetric('ExecutionsTimedOut')).toHaveLength(1);
    expect(byMetric('NumberOfNotificationsFailed').length).toBe(Object.keys(pipeline.channels.topics).length);
    expect(byMetric('ApproximateNumberOfMessagesVisible').length).toBeGreaterThanOrEqual(1);
    for (const alarm of alarms) expect(alarm.Properties.AlarmActions).toEqual([fallback]);
  });

  it('puts heartbeats on the kit bus on a schedule', () => {
    const { template, stack } = built;

    template.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(5 minutes)' });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: 'MAIF Observability heartbeat (prod)',
      Environment: { Variables: Match.objectLike({ MAIF_EVENT_BUS_NAME: { Ref: Match.stringLikeRegexp('^Bus') } }) },
    });
    expect(stack).toBeDefined();
  });

  it('leaves no cdk-nag findings', () => {
    expect(nagFindings(built.stack)).toEqual([]);
  });

  it('refuses a configuration without any address for the fallback topic', () => {
    const noEmail = {
      ...config,
      alerting: { ...config.alerting, channels: { ...config.alerting.channels, email: undefined } },
    };

    expect(() => synth({ config: noEmail, fallbackEmails: undefined })).toThrow(
      /^AlertPipeline fallbackEmails: none given and alerting.channels.email has no recipients/,
    );
  });
});
