import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import { LogAggregation } from '../../lib/log-aggregation';
import { resourcesOf } from './helpers';

const RULES = [
  { name: 'money', condition: "message =~ '^cost: \\$[0-9]+ `now`$'", action: 'drop' },
  { name: 'quotes', condition: `message contains "it's"`, action: 'drop' },
];

describe('LogAggregation', () => {
  let app: App;
  let aggregation: LogAggregation;
  let template: Template;

  beforeAll(() => {
    app = new App({ builtinCloudFormationValidation: false });
    const stack = new Stack(app, 'S');
    aggregation = new LogAggregation(stack, 'Agg', {
      service: 'maif',
      namespace: 'MAIF',
      environment: 'dev',
      encryptionKey: new kms.Key(stack, 'Key', { enableKeyRotation: true }),
      config: { rules: RULES, lookupTables: { users: { 'u-1': { plan: 'pro' } } } },
      logGroupNames: ['/aws/maif/a', '/aws/maif/a', '/aws/maif/b', '/aws/lambda/maif-*'],
      retention: logs.RetentionDays.ONE_WEEK,
    });
    template = Template.fromStack(stack);
  });

  it('bakes the rules and lookup tables into the bundle exactly, shell characters included', () => {
    const code = (resourcesOf(template, 'AWS::Lambda::Function')[
      Object.keys(resourcesOf(template, 'AWS::Lambda::Function'))[0]
    ].Properties?.Code ?? {}) as { S3Key: string };
    const asset = join(app.outdir, `asset.${code.S3Key.replace(/\.zip$/, '')}`, 'index.js');
    const bundle = readFileSync(asset, 'utf8');
    // esbuild prints the defined string as a template literal: undo its escapes (\\, \`, \$).
    const found = [...bundle.matchAll(/`(\{"rules":(?:[^`\\]|\\.)*)`/g)].map((m) =>
      JSON.parse(m[1].replace(/\\(.)/g, '$1')),
    );
    expect(found).toEqual([{ rules: RULES, lookupTables: { users: { 'u-1': { plan: 'pro' } } } }]);
  });

  it('subscribes each exact name once and keeps the patterns aside', () => {
    const filters = Object.values(resourcesOf(template, 'AWS::Logs::SubscriptionFilter'));
    expect(filters.map((f) => f.Properties?.LogGroupName).sort()).toEqual(['/aws/maif/a', '/aws/maif/b']);
    expect(aggregation.patterns).toEqual(['/aws/lambda/maif-*']);
  });

  it('keeps its failed records 14 days in the DLQ', () => {
    template.hasResourceProperties('AWS::SQS::Queue', { MessageRetentionPeriod: 1_209_600 });
  });

  it('rejects an empty log group name', () => {
    const stack = new Stack(new App(), 'S2');
    expect(
      () =>
        new LogAggregation(stack, 'Agg', {
          service: 'maif',
          namespace: 'MAIF',
          environment: 'dev',
          encryptionKey: new kms.Key(stack, 'Key'),
          logGroupNames: [''],
        }),
    ).toThrow("LogAggregation logGroupNames: '' is not a log group name");
  });
});
