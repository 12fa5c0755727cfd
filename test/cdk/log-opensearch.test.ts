import { App, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import fc from 'fast-check';
import { deepMerge, type ObservabilityConfig, resolveConfig } from '../../domain/config';
import { defaultDomainName, LogOpenSearch, type LogOpenSearchProps } from '../../lib/log-opensearch';
import { nagFindings } from '../../lib/nag';
import { MaifObservabilityStack } from '../../lib/stack';
import config from '../../observability.config';
import { resourcesOf, testLayerEntry } from './helpers';

const withOpenSearch = (opensearch: Record<string, unknown>): ObservabilityConfig =>
  deepMerge(config, { logging: { opensearch } }) as ObservabilityConfig;

function kitStack(source: ObservabilityConfig) {
  const app = new App({ builtinCloudFormationValidation: false });
  const stack = new MaifObservabilityStack(app, 'Prod', {
    config: resolveConfig(source, 'prod'),
    layerEntry: testLayerEntry(),
  });
  return { stack, template: Template.fromStack(stack) };
}

/** The construct alone, in a stack of its own, with the given props over the defaults. */
function construct(props: Partial<LogOpenSearchProps> = {}) {
  const stack = new Stack(new App({ builtinCloudFormationValidation: false }), 'S');
  const key = new kms.Key(stack, 'Key', { enableKeyRotation: true });
  const logGroup = new logs.LogGroup(stack, 'Aggregated', { encryptionKey: key });
  const search = new LogOpenSearch(stack, 'Search', {
    service: 'maif',
    environment: 'prod',
    encryptionKey: key,
    logGroup,
    ...props,
  });
  return { stack, search, template: Template.fromStack(stack) };
}

describe('the OpenSearch destination, enabled', () => {
  let stack: MaifObservabilityStack;
  let template: Template;

  beforeAll(() => {
    ({ stack, template } = kitStack(withOpenSearch({ enabled: true })));
  });

  it('encrypts the domain with the kit key, between nodes and in transit', () => {
    template.hasResourceProperties('AWS::OpenSearchService::Domain', {
      DomainName: 'maif-prod-logs',
      EngineVersion: 'OpenSearch_2.19',
      ClusterConfig: { InstanceType: 't3.small.search', InstanceCount: 1, ZoneAwarenessEnabled: false },
      EBSOptions: { EBSEnabled: true, VolumeType: 'gp3', VolumeSize: 10 },
      EncryptionAtRestOptions: { Enabled: true, KmsKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Key'), 'Arn'] } },
      NodeToNodeEncryptionOptions: { Enabled: true },
      DomainEndpointOptions: { EnforceHTTPS: true, TLSSecurityPolicy: 'Policy-Min-TLS-1-2-PFS-2023-10' },
    });
  });

  it('admits only the delivery role and IAM principals of this account', () => {
    type Domain = { Properties: { AccessPolicies: { Statement: { Principal: unknown }[] } } };
    const [domain] = Object.values(template.findResources('AWS::OpenSearchService::Domain')) as Domain[];
    const statements = domain.Properties.AccessPolicies.Statement;
    expect(statements.map((s) => s.Principal)).toEqual([
      { AWS: { 'Fn::GetAtt': [expect.stringMatching(/DeliveryRole/), 'Arn'] } },
      { AWS: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::', { Ref: 'AWS::AccountId' }, ':root']] } },
    ]);
  });

  it('publishes the slow and error logs to encrypted log groups the domain alone may write', () => {
    const [domain] = Object.values(resourcesOf(template, 'AWS::OpenSearchService::Domain'));
    expect(Object.keys(domain.Properties?.LogPublishingOptions as object).sort()).toEqual([
      'ES_APPLICATION_LOGS',
      'INDEX_SLOW_LOGS',
      'SEARCH_SLOW_LOGS',
    ]);
    template.resourceCountIs('AWS::Logs::ResourcePolicy', 1);
    const resourcePolicy = stack.logOpenSearch?.node.findChild('DomainLogsPolicy') as logs.ResourcePolicy;
    const policy = stack.resolve(resourcePolicy.document.toJSON());
    expect(policy.Statement).toHaveLength(1);
    expect(policy.Statement[0]).toMatchObject({
      Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      Principal: { Service: 'es.amazonaws.com' },
      Condition: {
        StringEquals: { 'aws:SourceAccount': expect.anything() },
        ArnLike: { 'aws:SourceArn': expect.anything() },
      },
    });
  });

  it('delivers through Firehose into a daily index, backing failed documents up to an encrypted bucket', () => {
    template.hasResourceProperties('AWS::KinesisFirehose::DeliveryStream', {
      DeliveryStreamType: 'DirectPut',
      DeliveryStreamEncryptionConfigurationInput: { KeyType: 'CUSTOMER_MANAGED_CMK' },
      AmazonopensearchserviceDestinationConfiguration: Match.objectLike({
        DomainARN: { 'Fn::GetAtt': [Match.stringLikeRegexp('LogOpenSearch'), 'Arn'] },
        IndexName: 'maif-prod-logs',
        IndexRotationPeriod: 'OneDay',
        S3BackupMode: 'FailedDocumentsOnly',
        S3Configuration: Match.objectLike({
          EncryptionConfiguration: { KMSEncryptionConfig: { AWSKMSKeyARN: Match.anyValue() } },
        }),
      }),
    });
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [
          Match.objectLike({ ServerSideEncryptionByDefault: Match.objectLike({ SSEAlgorithm: 'aws:kms' }) }),
        ],
      },
      PublicAccessBlockConfiguration: Match.objectLike({ BlockPublicPolicy: true, RestrictPublicBuckets: true }),
      LifecycleConfiguration: { Rules: [Match.objectLike({ ExpirationInDays: 30, Status: 'Enabled' })] },
    });
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it("subscribes the forwarder to the aggregated log group's normalized events", () => {
    template.hasResourceProperties('AWS::Logs::SubscriptionFilter', {
      LogGroupName: { Ref: Match.stringLikeRegexp('LogAggregationFunctionLogGroup') },
      FilterPattern: '{ $.source.id = "*" }',
      DestinationArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('LogOpenSearchForwarder'), 'Arn'] },
    });
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          { Effect: 'Allow', Action: 'firehose:PutRecordBatch', Resource: { 'Fn::GetAtt': [Match.anyValue(), 'Arn'] } },
        ]),
      },
    });
    expect(stack.logOpenSearch?.forwarder).toBeDefined();
  });

  it('passes the cdk-nag AwsSolutions checks with no unacknowledged finding', () => {
    expect(nagFindings(stack)).toEqual([]);
  });
});

describe('the OpenSearch destination, disabled (the default)', () => {
  it('adds no domain, stream, bucket or forwarder to the stack', () => {
    const { stack, template } = kitStack(config);

    expect(stack.logOpenSearch).toBeUndefined();
    template.resourceCountIs('AWS::OpenSearchService::Domain', 0);
    template.resourceCountIs('AWS::KinesisFirehose::DeliveryStream', 0);
    template.resourceCountIs('AWS::S3::Bucket', 0);
    template.resourcePropertiesCountIs(
      'AWS::Lambda::Function',
      { Description: Match.stringLikeRegexp('OpenSearch') },
      0,
    );
  });
});

describe('LogOpenSearch', () => {
  it('spreads data nodes over two zones for an even count and three for a multiple of 3', () => {
    construct({ instanceCount: 2 }).template.hasResourceProperties('AWS::OpenSearchService::Domain', {
      ClusterConfig: Match.objectLike({
        ZoneAwarenessEnabled: true,
        ZoneAwarenessConfig: { AvailabilityZoneCount: 2 },
      }),
    });
    construct({ instanceCount: 3 }).template.hasResourceProperties('AWS::OpenSearchService::Domain', {
      ClusterConfig: Match.objectLike({
        ZoneAwarenessEnabled: true,
        ZoneAwarenessConfig: { AvailabilityZoneCount: 3 },
      }),
    });
  });

  it('adds three dedicated master nodes of the type asked for, and stays nag-clean sized for production', () => {
    const { stack, template } = construct({ instanceCount: 3, dedicatedMasterType: 'm7g.large.search' });
    template.hasResourceProperties('AWS::OpenSearchService::Domain', {
      ClusterConfig: Match.objectLike({
        DedicatedMasterEnabled: true,
        DedicatedMasterType: 'm7g.large.search',
        DedicatedMasterCount: 3,
      }),
    });
    expect(nagFindings(stack)).toEqual([]);
  });

  it('keeps failed documents as long as asked', () => {
    construct({ failedDocumentsRetention: Duration.days(7) }).template.hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: { Rules: [Match.objectLike({ ExpirationInDays: 7 })] },
    });
  });

  it.each([
    [
      'instanceCount 5',
      { instanceCount: 5 },
      'LogOpenSearch instanceCount: 5 is not 1, an even number or a multiple of 3, from 1 to 80',
    ],
    ['volumeGb 4', { volumeGb: 4 }, 'LogOpenSearch volumeGb: 4 is not a whole number of GB from 10 to 24576'],
    [
      'instanceType t3.small',
      { instanceType: 't3.small' },
      "LogOpenSearch instanceType: 't3.small' is not an OpenSearch instance type (e.g. t3.small.search)",
    ],
    [
      'domainName Logs',
      { domainName: 'Logs' },
      "LogOpenSearch domainName: 'Logs' is not a domain name (3 to 28 lowercase letters, digits and -, a letter first)",
    ],
    [
      '36 hours of retention',
      { failedDocumentsRetention: Duration.hours(36) },
      "LogOpenSearch failedDocumentsRetention: '1.5 days' is not a whole number of days, at least 1",
    ],
  ] as const)('rejects %s, naming the prop, the value and what is allowed', (_, props, message) => {
    expect(() => construct(props as Partial<LogOpenSearchProps>)).toThrow(message);
  });

  it('names the domain within OpenSearch limits, whatever the service and environment', () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^[a-z][a-z0-9-]{0,63}$/),
        fc.stringMatching(/^[a-z][a-z0-9-]{0,31}$/),
        (service, environment) => {
          const name = defaultDomainName(service, environment);
          expect(name).toMatch(/^[a-z][a-z0-9-]{2,27}$/);
        },
      ),
    );
    expect(defaultDomainName('maif', 'prod')).toBe('maif-prod-logs');
  });
});

describe('logging.opensearch in the configuration', () => {
  it.each([
    [
      { enabled: true, instanceCount: 5 },
      'logging.opensearch.instanceCount: 5 is not 1, an even number or a multiple of 3, from 1 to 80 (data nodes are spread evenly over 2 or 3 zones)',
    ],
    [
      { instanceType: 'large' },
      "logging.opensearch.instanceType: 'large' is not an OpenSearch instance type (e.g. t3.small.search)",
    ],
    [{ volumeGb: 2 }, 'logging.opensearch.volumeGb: 2 is not an integer from 10 to 24576'],
    [{ enabled: 'yes' }, "logging.opensearch.enabled: 'yes' is not a boolean (true or false)"],
    [
      { failedDocumentsRetention: '2w' },
      "logging.opensearch.failedDocumentsRetention: '2w' is not a number of days (e.g. 30d)",
    ],
    [{ shards: 3 }, expect.stringMatching(/^logging\.opensearch: 'shards' is not an allowed key \(allowed: enabled, /)],
  ] as const)('rejects %j, naming the field, the value and what is allowed', (opensearch, message) => {
    expect(() => resolveConfig(withOpenSearch(opensearch), 'prod')).toThrow(
      expect.objectContaining({ problems: [message] }),
    );
  });

  it('is off by default, sized for one small node', () => {
    expect(resolveConfig(config, 'prod').logging.opensearch).toEqual({
      enabled: false,
      instanceType: 't3.small.search',
      instanceCount: 1,
      volumeGb: 10,
      engineVersion: 'OpenSearch_2.19',
      failedDocumentsRetention: '30d',
    });
  });
});
