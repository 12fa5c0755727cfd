import { join } from 'node:path';
import { App, Aspects, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { defineConfig, resolveConfig } from '../../domain/config';
import {
  excludeFromInstrumentation,
  type InstrumentFunctionOptions,
  InstrumentFunctions,
  instrumentFunction,
} from '../../lib/instrument-function';
import { InstrumentationLayer } from '../../lib/instrumentation-layer';
import { nagFindings } from '../../lib/nag';
import { MaifObservabilityStack } from '../../lib/stack';
import exampleConfig from '../../observability.config';
import { resourcesOf, testLayerEntry } from './helpers';

const inline = (runtime = lambda.Runtime.NODEJS_24_X) => ({
  runtime,
  handler: 'index.handler',
  code: lambda.Code.fromInline('exports.handler = async () => ({ ok: true });'),
});

interface UserApp {
  readonly stack: Stack;
  readonly template: Template;
  readonly options: InstrumentFunctionOptions;
  readonly node: nodejs.NodejsFunction;
}

/** A user's stack: a NodejsFunction, a plain Function, a Python one, an excluded one, a singleton, an aggregator. */
function userApp(): UserApp {
  const app = new App({ builtinCloudFormationValidation: false });
  const stack = new Stack(app, 'User');
  const layer = new InstrumentationLayer(stack, 'Layer', { entry: testLayerEntry() });
  const aggregator = new lambda.Function(stack, 'Aggregator', inline());
  excludeFromInstrumentation(aggregator);
  const options: InstrumentFunctionOptions = {
    layer: layer.layerVersion,
    service: 'maif',
    namespace: 'MAIF',
    environment: 'dev',
    logLevel: 'DEBUG',
    debugSampleRate: 0.5,
    sampling: { default: 0.2, high_priority: 1, background_tasks: 0.01 },
    logRetention: logs.RetentionDays.TWO_WEEKS,
    encryptionKey: new kms.Key(stack, 'Key', { enableKeyRotation: true }),
    aggregator,
  };
  const node = new nodejs.NodejsFunction(stack, 'Search', {
    entry: join(__dirname, '../../lambdas/health-probe/index.ts'),
    runtime: lambda.Runtime.NODEJS_24_X,
    bundling: { forceDockerBundling: false, minify: true },
  });
  new lambda.Function(stack, 'Plain', inline());
  new lambda.Function(stack, 'Python', {
    ...inline(lambda.Runtime.PYTHON_3_13),
    code: lambda.Code.fromInline('def handler(e, c): return 1'),
  });
  const internal = new Construct(stack, 'Internal');
  new lambda.Function(internal, 'Tool', inline());
  excludeFromInstrumentation(internal);
  new lambda.SingletonFunction(stack, 'Singleton', { ...inline(), uuid: '2c7e5f3a-0000-4000-8000-000000000001' });
  Aspects.of(stack).add(new InstrumentFunctions(options));
  return { stack, template: Template.fromStack(stack), options, node };
}

const ref = (prefix: string) => Match.stringLikeRegexp(`^${prefix}`);

describe('InstrumentFunctions', () => {
  let user: UserApp;
  beforeAll(() => {
    user = userApp();
  });

  it('adds the layer, the MAIF_* environment and active tracing to NodejsFunction and Function alike', () => {
    for (const name of ['Search', 'Plain']) {
      user.template.hasResourceProperties('AWS::Lambda::Function', {
        Layers: [{ Ref: ref('Layer') }],
        TracingConfig: { Mode: 'Active' },
        Environment: {
          Variables: {
            MAIF_SERVICE: 'maif',
            MAIF_NAMESPACE: 'MAIF',
            MAIF_ENVIRONMENT: 'dev',
            MAIF_LOG_LEVEL: 'DEBUG',
            MAIF_DEBUG_SAMPLE_RATE: '0.5',
            MAIF_TRACE_SAMPLING: '{"default":0.2,"high_priority":1,"background_tasks":0.01}',
          },
        },
        LoggingConfig: { LogGroup: { Ref: ref(`${name}MaifLogGroup`) } },
      });
    }
  });

  it('gives each instrumented function its own log group with retention and the KMS key', () => {
    const groups = resourcesOf(user.template, 'AWS::Logs::LogGroup');
    expect(Object.keys(groups).sort()).toEqual([
      expect.stringMatching(/^PlainMaifLogGroup/),
      expect.stringMatching(/^SearchMaifLogGroup/),
    ]);
    for (const group of Object.values(groups)) {
      expect(group.Properties).toMatchObject({
        RetentionInDays: 14,
        KmsKeyId: { 'Fn::GetAtt': [expect.stringMatching(/^Key/), 'Arn'] },
      });
    }
  });

  it('subscribes each instrumented log group to the aggregator with one shared invoke permission', () => {
    user.template.resourceCountIs('AWS::Logs::SubscriptionFilter', 2);
    user.template.hasResourceProperties('AWS::Logs::SubscriptionFilter', {
      LogGroupName: { Ref: ref('SearchMaifLogGroup') },
      DestinationArn: { 'Fn::GetAtt': [ref('Aggregator'), 'Arn'] },
    });
    const permissions = Object.values(resourcesOf(user.template, 'AWS::Lambda::Permission'));
    expect(permissions).toHaveLength(1);
    const filters = resourcesOf(user.template, 'AWS::Logs::SubscriptionFilter');
    const template = user.template.toJSON() as { Resources: Record<string, { DependsOn?: string[] }> };
    for (const id of Object.keys(filters)) {
      expect(template.Resources[id].DependsOn).toEqual(
        expect.arrayContaining([expect.stringMatching(/MaifLogsInvoke/)]),
      );
    }
  });

  it('grants X-Ray in a separate policy whose wildcard is acknowledged, and log writes on the log group only', () => {
    user.template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyName: Match.stringLikeRegexp('SearchMaifTracingPolicy'),
      PolicyDocument: {
        Statement: [Match.objectLike({ Action: Match.arrayWith(['xray:PutTraceSegments']), Resource: '*' })],
      },
    });
    user.template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
            Resource: { 'Fn::GetAtt': [ref('SearchMaifLogGroup'), 'Arn'] },
          }),
        ]),
      },
    });
    const findings = nagFindings(user.stack).filter((f) => f.resource.includes('MaifTracingPolicy'));
    expect(findings).toEqual([]);
  });

  it('leaves the Python function, excluded subtrees, singletons and the aggregator alone', () => {
    const untouched = Object.entries(resourcesOf(user.template, 'AWS::Lambda::Function')).filter(
      ([, fn]) => fn.Properties?.Layers === undefined,
    );
    expect(untouched.map(([id]) => id).sort()).toEqual([
      expect.stringMatching(/^Aggregator/),
      expect.stringMatching(/^InternalTool/),
      expect.stringMatching(/^Python/),
      expect.stringMatching(/^SingletonLambda2c7e5f3a/),
    ]);
  });

  it('returns the first result when a function is instrumented twice', () => {
    const again = instrumentFunction(user.node, user.options);
    expect(again.function).toBe(user.node);
    expect(again.subscription).toBeDefined();
  });
});

describe('instrumentFunction', () => {
  const setup = () => {
    const stack = new Stack(new App({ builtinCloudFormationValidation: false }), 'S');
    const layer = new InstrumentationLayer(stack, 'Layer', { entry: testLayerEntry() });
    return { stack, layer: layer.layerVersion };
  };

  it('routes logs to the group named in an existing loggingConfig instead of creating one', () => {
    const { stack, layer } = setup();
    const group = new logs.LogGroup(stack, 'Existing', { retention: logs.RetentionDays.ONE_DAY });
    const fn = new lambda.Function(stack, 'Fn', { ...inline(), logGroup: group });
    const result = instrumentFunction(fn, { layer, service: 'maif', namespace: 'MAIF', environment: 'dev' });
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::Logs::LogGroup', 1);
    expect(stack.resolve(result.logGroup.logGroupName)).toEqual({ Ref: expect.stringMatching(/^Existing/) });
  });

  it('rejects a runtime the layer does not declare, naming the function and the allowed runtimes', () => {
    const { stack, layer } = setup();
    const fn = new lambda.Function(stack, 'Old', inline(lambda.Runtime.NODEJS_20_X));
    expect(() => instrumentFunction(fn, { layer, service: 'maif', namespace: 'MAIF', environment: 'dev' })).toThrow(
      "instrumentFunction S/Old: runtime 'nodejs20.x' is not one the layer supports (allowed: nodejs24.x)",
    );
  });

  it('rejects a sampling rate outside 0 to 1, naming the priority', () => {
    const { stack, layer } = setup();
    const fn = new lambda.Function(stack, 'Fn', inline());
    expect(() =>
      instrumentFunction(fn, {
        layer,
        service: 'maif',
        namespace: 'MAIF',
        environment: 'dev',
        sampling: { default: 1.5 },
      }),
    ).toThrow('instrumentFunction sampling.default: 1.5 is not a rate (use a number from 0 to 1)');
  });

  it('rejects an empty service name', () => {
    const { stack, layer } = setup();
    const fn = new lambda.Function(stack, 'Fn', inline());
    expect(() => instrumentFunction(fn, { layer, service: ' ', namespace: 'MAIF', environment: 'dev' })).toThrow(
      /instrumentFunction service: ' ' is empty/,
    );
  });

  it('refuses a sixth layer', () => {
    const { stack, layer } = setup();
    const others = Array.from({ length: 5 }, (_, i) =>
      lambda.LayerVersion.fromLayerVersionArn(stack, `L${i}`, `arn:aws:lambda:eu-west-3:123456789012:layer:l${i}:1`),
    );
    const fn = new lambda.Function(stack, 'Fn', { ...inline(), layers: others });
    expect(() => instrumentFunction(fn, { layer, service: 'maif', namespace: 'MAIF', environment: 'dev' })).toThrow(
      'instrumentFunction S/Fn: cannot add the layer (Unable to add layer: this lambda function already uses 5 layers; Lambda allows 5)',
    );
  });
});

describe('MAIF_TRACE_EXPORTERS from the configuration', () => {
  /** One instrumented function with `exporters` from the options; its Environment.Variables. */
  const variablesOf = (exporters: InstrumentFunctionOptions['exporters']) => {
    const stack = new Stack(new App({ builtinCloudFormationValidation: false }), 'S');
    const layer = new InstrumentationLayer(stack, 'Layer', { entry: testLayerEntry() });
    const fn = new lambda.Function(stack, 'Fn', inline());
    instrumentFunction(fn, {
      layer: layer.layerVersion,
      service: 'maif',
      namespace: 'MAIF',
      environment: 'dev',
      exporters,
    });
    const [resource] = Object.values(resourcesOf(Template.fromStack(stack), 'AWS::Lambda::Function'));
    const environment = resource?.Properties?.Environment as { Variables: Record<string, string> } | undefined;
    if (environment === undefined) throw new Error('the instrumented function has no Environment');
    return environment.Variables;
  };

  it("carries the example configuration's enabled exporters other than xray, type and endpoint only", () => {
    // Arrange: xray, jaeger, zipkin and a disabled console, as in the example configuration
    const { exporters } = resolveConfig(exampleConfig, 'prod').tracing;

    // Act
    const variables = variablesOf(exporters);

    // Assert
    expect(JSON.parse(variables.MAIF_TRACE_EXPORTERS)).toEqual([
      { type: 'jaeger', endpoint: 'http://jaeger:9411/api/v2/spans' },
      { type: 'zipkin', endpoint: 'http://zipkin:9411/api/v2/spans' },
    ]);
  });

  it("reaches a service's functions through the stack's instrument()", () => {
    // Arrange
    const app = new App({ builtinCloudFormationValidation: false });
    const kit = new MaifObservabilityStack(app, 'Kit', {
      config: resolveConfig(exampleConfig, 'prod'),
      layerEntry: testLayerEntry(),
    });
    const service = new Stack(app, 'Service');
    new lambda.Function(service, 'Orders', inline());

    // Act
    kit.instrument(service);

    // Assert
    Template.fromStack(service).hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          MAIF_SERVICE: 'maif',
          MAIF_TRACE_EXPORTERS:
            '[{"type":"jaeger","endpoint":"http://jaeger:9411/api/v2/spans"},' +
            '{"type":"zipkin","endpoint":"http://zipkin:9411/api/v2/spans"}]',
        }),
      },
    });
  });

  it('is set by the aspect as by instrumentFunction', () => {
    // Arrange
    const stack = new Stack(new App({ builtinCloudFormationValidation: false }), 'S');
    const layer = new InstrumentationLayer(stack, 'Layer', { entry: testLayerEntry() });
    new lambda.Function(stack, 'Fn', inline());
    const exporters = [{ type: 'zipkin', endpoint: 'http://zipkin:9411/api/v2/spans' }] as const;

    // Act
    const options = { layer: layer.layerVersion, service: 'maif', namespace: 'MAIF', environment: 'dev', exporters };
    Aspects.of(stack).add(new InstrumentFunctions(options));

    // Assert
    Template.fromStack(stack).hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          MAIF_TRACE_EXPORTERS: '[{"type":"zipkin","endpoint":"http://zipkin:9411/api/v2/spans"}]',
        }),
      },
    });
  });

  it('is not set when the configuration lists only xray (the default), or no exporter is enabled', () => {
    const onlyXray = resolveConfig(
      defineConfig({ service: 'maif', namespace: 'MAIF', environments: { dev: {} } }),
      'dev',
    );
    expect(onlyXray.tracing.exporters).toEqual([{ type: 'xray', enabled: true }]);
    expect(variablesOf(onlyXray.tracing.exporters)).not.toHaveProperty('MAIF_TRACE_EXPORTERS');
    expect(variablesOf([{ type: 'console', enabled: false }])).not.toHaveProperty('MAIF_TRACE_EXPORTERS');
    expect(variablesOf(undefined)).not.toHaveProperty('MAIF_TRACE_EXPORTERS');
  });

  it('fails at synth, naming the field and the limit, when the list would crowd the environment', () => {
    const endpoint = `http://collector.example/${'x'.repeat(1000)}`;
    expect(() => variablesOf([{ type: 'zipkin', endpoint }])).toThrow(
      "instrumentFunction exporters: MAIF_TRACE_EXPORTERS would be 1058 bytes (allowed: 1024 of Lambda's 4 KB environment; list fewer exporters or shorter endpoints)",
    );
  });

  it('rejects an entry that is not an exporter, naming it', () => {
    expect(() => variablesOf([{ type: 'newrelic' } as unknown as { type: 'console' }])).toThrow(
      "instrumentFunction exporters[0].type: 'newrelic' is not an exporter type (use xray, console, jaeger, zipkin, otlp)",
    );
  });
});

describe('MAIF_SYSTEM_SAMPLING', () => {
  it('is set to metrics.collectionInterval on the functions the stack instruments when metrics.system.lambda is on', () => {
    const app = new App({ builtinCloudFormationValidation: false });
    const base = resolveConfig(exampleConfig, 'prod');
    const config = { ...base, metrics: { ...base.metrics, system: { ...base.metrics.system, lambda: true } } };
    const kit = new MaifObservabilityStack(app, 'Kit', { config, layerEntry: testLayerEntry() });
    const service = new Stack(app, 'Service');
    new lambda.Function(service, 'Orders', inline());

    kit.instrument(service);

    Template.fromStack(service).hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ MAIF_SYSTEM_SAMPLING: config.metrics.collectionInterval }) },
    });
  });

  it('is not set when metrics.system.lambda is off, and a malformed interval fails naming it', () => {
    const stack = new Stack(new App({ builtinCloudFormationValidation: false }), 'S');
    const layer = new InstrumentationLayer(stack, 'Layer', { entry: testLayerEntry() });
    const options = { layer: layer.layerVersion, service: 'maif', namespace: 'MAIF', environment: 'dev' };
    instrumentFunction(new lambda.Function(stack, 'Fn', inline()), options);
    const [resource] = Object.values(resourcesOf(Template.fromStack(stack), 'AWS::Lambda::Function'));
    const environment = resource?.Properties?.Environment as { Variables: Record<string, string> } | undefined;
    expect(environment?.Variables).toHaveProperty('MAIF_SERVICE');
    expect(environment?.Variables).not.toHaveProperty('MAIF_SYSTEM_SAMPLING');
    expect(() =>
      instrumentFunction(new lambda.Function(stack, 'Fn2', inline()), { ...options, systemSampling: '500ms' }),
    ).toThrow("instrumentFunction systemSampling: '500ms' is not a sampling interval (use 1s or more: 30s, 1m)");
  });
});
