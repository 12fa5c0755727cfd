import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as events from 'aws-cdk-lib/aws-events';
import * as kms from 'aws-cdk-lib/aws-kms';
import { resolveConfig } from '../../domain/config';
import { BaselineMonitor, baselineMonitorConfig } from '../../lib/alerting/baseline-monitor';
import { nagFindings } from '../../lib/nag';
import config from '../../observability.config';
import { resourcesOf } from './helpers';

const PROD = resolveConfig(config, 'prod');

describe('BaselineMonitor', () => {
  let app: App;
  let stack: Stack;
  let template: Template;

  beforeAll(() => {
    app = new App({ builtinCloudFormationValidation: false });
    stack = new Stack(app, 'S');
    new BaselineMonitor(stack, 'Baselines', {
      config: PROD,
      eventBus: new events.EventBus(stack, 'Bus', { eventBusName: 'maif-prod-observability' }),
      encryptionKey: new kms.Key(stack, 'Key', { enableKeyRotation: true }),
    });
    template = Template.fromStack(stack);
  });

  it('runs the baseline handler on nodejs24.x arm64 with the kit environment', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Timeout: 120,
      Environment: {
        Variables: {
          MAIF_NAMESPACE: 'MAIF',
          MAIF_SERVICE: 'maif',
          MAIF_ENVIRONMENT: 'prod',
          MAIF_EVENT_BUS_NAME: { Ref: Match.stringLikeRegexp('^Bus') },
        },
      },
    });
  });

  it("is scheduled every 15 minutes, the regression alarms' period, without retries", () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(15 minutes)',
      Targets: [Match.objectLike({ RetryPolicy: { MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 300 } })],
    });
  });

  it('may read metrics and put events on the kit bus only', () => {
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: { Statement: [{ Action: 'cloudwatch:GetMetricData', Effect: 'Allow', Resource: '*' }] },
    });
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: 'events:PutEvents',
            Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Bus'), 'Arn'] },
          }),
        ]),
      },
    });
  });

  it('bundles each baseline with the series its regression alarm measures', () => {
    const fn = Object.values(resourcesOf(template, 'AWS::Lambda::Function'))[0];
    const asset = join(
      app.outdir,
      `asset.${(fn.Properties as { Code: { S3Key: string } }).Code.S3Key.replace(/\.zip$/, '')}`,
      'index.js',
    );
    const bundle = readFileSync(asset, 'utf8');
    const [found] = [...bundle.matchAll(/'(\{"baselines":(?:[^'\\]|\\.)*)'/g)].map((m) =>
      JSON.parse(m[1].replace(/\\(.)/g, '$1')),
    );
    expect(found).toEqual(baselineMonitorConfig(PROD));
    expect(found.baselines[0]).toEqual({
      name: 'search_latency_p95',
      namespace: 'MAIF',
      metricName: 'search_duration_seconds',
      dimensions: { service: 'maif', environment: 'prod' },
      stat: 'p95',
      staticSeconds: 0.1,
    });
    expect(found.baselines.map((b: { name: string }) => b.name)).toEqual([
      'search_latency_p95',
      'artifact_creation_time',
      'embedding_generation_time',
      'index_update_time',
    ]);
    expect(found.regression).toEqual({ name: 'performance_regression', factor: 0.8, action: 'alert_performance_team' });
  });

  it('passes the cdk-nag AwsSolutions checks, GetMetricData on * acknowledged', () => {
    expect(nagFindings(stack)).toEqual([]);
  });

  it('rejects a schedule that is not whole minutes', () => {
    const s = new Stack(new App(), 'S2');
    expect(
      () =>
        new BaselineMonitor(s, 'B', {
          config: PROD,
          eventBus: new events.EventBus(s, 'Bus'),
          encryptionKey: new kms.Key(s, 'Key'),
          schedule: Duration.seconds(90),
        }),
    ).toThrow(
      'BaselineMonitor schedule: 1 minute 30 seconds is not a whole number of minutes (use Duration.minutes(15))',
    );
  });

  it("refuses a schedule longer than the regression alarms' period", () => {
    const s = new Stack(new App());
    expect(
      () =>
        new BaselineMonitor(s, 'B', {
          config: PROD,
          eventBus: new events.EventBus(s, 'Bus'),
          encryptionKey: new kms.Key(s, 'Key'),
          schedule: Duration.hours(1),
        }),
    ).toThrow(
      "BaselineMonitor schedule: 1 hour is longer than the regression alarms' period of 15 minutes (the learned baseline must reach every period they read; use 15 minutes or less)",
    );
  });
});
