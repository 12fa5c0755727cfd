/**
 * `LogOpenSearch`: the optional OpenSearch destination of the aggregated log group (the MAIF
 * monitoring guide's Elasticsearch/Kibana), off unless `logging.opensearch.enabled`.
 *
 * aggregated log group -> subscription (normalized events only) -> forwarder Lambda (one record
 * per event: Firehose indexes one document per record) -> Firehose (daily index, documents
 * OpenSearch rejects backed up to an encrypted S3 bucket) -> OpenSearch domain (KMS at rest,
 * node-to-node encryption, HTTPS only, TLS 1.2+, slow and error logs to CloudWatch Logs, access
 * policy limited to the delivery role and this account's IAM principals).
 */
import { ArnFormat, CfnOutput, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as firehose from 'aws-cdk-lib/aws-kinesisfirehose';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { LambdaDestination } from 'aws-cdk-lib/aws-logs-destinations';
import * as opensearch from 'aws-cdk-lib/aws-opensearchservice';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import {
  isOpenSearchInstanceCount,
  OPENSEARCH_DEFAULTS,
  OPENSEARCH_ENGINE_VERSION_RE,
  OPENSEARCH_INSTANCE_TYPE_RE,
  OPENSEARCH_LIMITS,
} from '../domain/config/opensearch-limits';
import { KIT_ENV } from '../domain/contracts/environment';
import { shortenWithHash } from '../domain/shorten';
import { type ArchitectureName, KitFunction, kitFunctionSettings, type RuntimeName } from './private/kit-function';

/** OpenSearch domain names: 3 to 28 characters, lowercase letters, digits and hyphens, a letter first. */
const DOMAIN_NAME_RE = /^[a-z][a-z0-9-]{2,27}$/;
const MAX_DOMAIN_NAME = 28;

/** Firehose buffers up to 60 s or 5 MB before a bulk request: near real time, few requests. */
const DELIVERY_BUFFER = { intervalInSeconds: 60, sizeInMBs: 5 } as const;
/** How long Firehose retries a refused bulk request before backing the documents up to S3. */
const DELIVERY_RETRY_SECONDS = 300;

export interface LogOpenSearchProps {
  readonly service: string;
  readonly environment: string;
  /** Encrypts the domain, the delivery stream, the backup bucket and the log groups. */
  readonly encryptionKey: kms.IKey;
  /** The aggregated log group (`LogAggregation.logGroup`): its normalized events are indexed. */
  readonly logGroup: logs.ILogGroup;
  /** @default 't3.small.search' */
  readonly instanceType?: string;
  /**
   * Data nodes: 1, or spread over 2 zones (an even count) or 3 zones (a multiple of 3).
   * @default 1
   */
  readonly instanceCount?: number;
  /** gp3 EBS per data node, in GB. @default 10 */
  readonly volumeGb?: number;
  /** @default 'OpenSearch_2.19' */
  readonly engineVersion?: string;
  /** @default - no dedicated master nodes; with a type, three of them */
  readonly dedicatedMasterType?: string;
  /** How long rejected documents stay in the backup bucket (whole days). @default Duration.days(30) */
  readonly failedDocumentsRetention?: Duration;
  /** Retention of the domain's, the stream's and the forwarder's log groups. @default RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
  /** What happens to the domain, the bucket and the log groups when the stack is deleted. @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
  /** @default - `<service>-<environment>-logs`, shortened with a hash to OpenSearch's 28 characters */
  readonly domainName?: string;
  /** Forwarder runtime. @default 'nodejs24.x' */
  readonly runtime?: RuntimeName;
  /** @default 'arm64' */
  readonly architecture?: ArchitectureName;
  /** @default 256 */
  readonly memoryMb?: number;
  /** @default - lambdas/opensearch-forwarder/index.ts */
  readonly forwarderEntry?: string;
}

/** `<service>-<environment>-logs`, or, when longer than 28 characters, a prefix of it and a hash of it. */
export function defaultDomainName(service: string, environment: string): string {
  return shortenWithHash(`${service}-${environment}-logs`, MAX_DOMAIN_NAME, { hashLength: 8, trimHyphens: true });
}

function validate(props: LogOpenSearchProps, domainName: string): void {
  const fail = (field: string, value: unknown, allowed: string) => {
    const shown = typeof value === 'string' ? `'${value}'` : String(value);
    throw new Error(`LogOpenSearch ${field}: ${shown} is not ${allowed}`);
  };
  const count = props.instanceCount ?? OPENSEARCH_DEFAULTS.instanceCount;
  if (!isOpenSearchInstanceCount(count)) {
    fail('instanceCount', count, `1, an even number or a multiple of 3, from 1 to ${OPENSEARCH_LIMITS.MAX_INSTANCES}`);
  }
  const { MIN_VOLUME_GB, MAX_VOLUME_GB } = OPENSEARCH_LIMITS;
  const volume = props.volumeGb ?? OPENSEARCH_DEFAULTS.volumeGb;
  if (!Number.isInteger(volume) || volume < MIN_VOLUME_GB || volume > MAX_VOLUME_GB) {
    fail('volumeGb', volume, `a whole number of GB from ${MIN_VOLUME_GB} to ${MAX_VOLUME_GB}`);
  }
  for (const [field, value] of [
    ['instanceType', props.instanceType],
    ['dedicatedMasterType', props.dedicatedMasterType],
  ] as const) {
    if (value !== undefined && !OPENSEARCH_INSTANCE_TYPE_RE.test(value)) {
      fail(field, value, 'an OpenSearch instance type (e.g. t3.small.search)');
    }
  }
  if (props.engineVersion !== undefined && !OPENSEARCH_ENGINE_VERSION_RE.test(props.engineVersion)) {
    fail('engineVersion', props.engineVersion, "an OpenSearch engine version (e.g. 'OpenSearch_2.19')");
  }
  if (!DOMAIN_NAME_RE.test(domainName)) {
    fail('domainName', domainName, 'a domain name (3 to 28 lowercase letters, digits and -, a letter first)');
  }
  const days = props.failedDocumentsRetention?.toDays({ integral: false });
  if (days !== undefined && (!Number.isInteger(days) || days < 1)) {
    fail('failedDocumentsRetention', `${days} days`, 'a whole number of days, at least 1');
  }
}

/**
 * An OpenSearch domain fed with the aggregated log group's normalized events, one document per
 * event, in a daily index `<service>-<environment>-logs-YYYY-MM-DD`.
 */
export class LogOpenSearch extends Construct {
  readonly domain: opensearch.CfnDomain;
  readonly deliveryStream: firehose.CfnDeliveryStream;
  readonly failedDocumentsBucket: s3.Bucket;
  readonly forwarder: lambda.Function;
  /** The index prefix; Firehose appends `-YYYY-MM-DD`. */
  readonly indexName: string;

  constructor(scope: Construct, id: string, props: LogOpenSearchProps) {
    super(scope, id);
    const domainName = props.domainName ?? defaultDomainName(props.service, props.environment);
    validate(props, domainName);
    const stack = Stack.of(this);
    const key = props.encryptionKey;
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const retention = props.logRetention ?? logs.RetentionDays.ONE_MONTH;
    const count = props.instanceCount ?? OPENSEARCH_DEFAULTS.instanceCount;
    this.indexName = `${props.service}-${props.environment}-logs`;
    // A name, not the domain's GetAtt: the log policy and the delivery role must not wait for the domain.
    const domainArn = stack.formatArn({
      service: 'es',
      resource: 'domain',
      resourceName: domainName,
      arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
    });
    const logGroup = (name: string) => new logs.LogGroup(this, name, { retention, encryptionKey: key, removalPolicy });

    // --- the domain's own logs: slow searches, slow indexing, errors
    const domainLogs = {
      SEARCH_SLOW_LOGS: logGroup('SearchSlowLogs'),
      INDEX_SLOW_LOGS: logGroup('IndexSlowLogs'),
      ES_APPLICATION_LOGS: logGroup('ApplicationLogs'),
    };
    const logsPolicy = new logs.ResourcePolicy(this, 'DomainLogsPolicy', {
      policyStatements: [
        new iam.PolicyStatement({
          principals: [new iam.ServicePrincipal('es.amazonaws.com')],
          actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          resources: Object.values(domainLogs).map((g) => g.logGroupArn),
          conditions: {
            StringEquals: { 'aws:SourceAccount': stack.account },
            ArnLike: { 'aws:SourceArn': domainArn },
          },
        }),
      ],
    });

    // --- where documents OpenSearch rejects go
    this.failedDocumentsBucket = new s3.Bucket(this, 'FailedDocuments', {
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: key,
      bucketKeyEnabled: true,
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      lifecycleRules: [
        {
          expiration: props.failedDocumentsRetention ?? Duration.days(OPENSEARCH_DEFAULTS.failedDocumentsDays),
          abortIncompleteMultipartUploadAfter: Duration.days(1),
        },
      ],
      removalPolicy,
    });
    Validations.of(this.failedDocumentsBucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'Only the delivery stream writes here (documents OpenSearch rejected); a bucket for its access logs would need the same exemption',
    });

    // --- the delivery stream's role, its errors log group
    const deliveryLogs = logGroup('DeliveryLogs');
    const destinationStream = new logs.LogStream(this, 'DestinationDeliveryLogStream', {
      logGroup: deliveryLogs,
      logStreamName: 'DestinationDelivery',
      removalPolicy,
    });
    const backupStream = new logs.LogStream(this, 'BackupDeliveryLogStream', {
      logGroup: deliveryLogs,
      logStreamName: 'BackupDelivery',
      removalPolicy,
    });
    const role = new iam.Role(this, 'DeliveryRole', {
      description: `MAIF Observability: Firehose delivery to OpenSearch (${props.environment})`,
      assumedBy: new iam.ServicePrincipal('firehose.amazonaws.com', {
        conditions: { StringEquals: { 'sts:ExternalId': stack.account } },
      }),
    });

    // --- the domain
    this.domain = new opensearch.CfnDomain(this, 'Resource', {
      domainName,
      engineVersion: props.engineVersion ?? OPENSEARCH_DEFAULTS.engineVersion,
      clusterConfig: {
        instanceType: props.instanceType ?? OPENSEARCH_DEFAULTS.instanceType,
        instanceCount: count,
        zoneAwarenessEnabled: count > 1,
        ...(count > 1 ? { zoneAwarenessConfig: { availabilityZoneCount: count % 2 === 0 ? 2 : 3 } } : {}),
        ...(props.dedicatedMasterType !== undefined
          ? { dedicatedMasterEnabled: true, dedicatedMasterType: props.dedicatedMasterType, dedicatedMasterCount: 3 }
          : { dedicatedMasterEnabled: false }),
      },
      ebsOptions: { ebsEnabled: true, volumeType: 'gp3', volumeSize: props.volumeGb ?? OPENSEARCH_DEFAULTS.volumeGb },
      encryptionAtRestOptions: { enabled: true, kmsKeyId: key.keyArn },
      nodeToNodeEncryptionOptions: { enabled: true },
      domainEndpointOptions: { enforceHttps: true, tlsSecurityPolicy: 'Policy-Min-TLS-1-2-PFS-2023-10' },
      logPublishingOptions: Object.fromEntries(
        Object.entries(domainLogs).map(([kind, group]) => [
          kind,
          { enabled: true, cloudWatchLogsLogGroupArn: group.logGroupArn },
        ]),
      ),
      accessPolicies: new iam.PolicyDocument({
        statements: [
          new iam.PolicyStatement({
            sid: 'DeliveryRoleWrites',
            principals: [new iam.ArnPrincipal(role.roleArn)],
            actions: ['es:ESHttpGet', 'es:ESHttpHead', 'es:ESHttpPost', 'es:ESHttpPut'],
            resources: [`${domainArn}/*`],
          }),
          new iam.PolicyStatement({
            sid: 'ThisAccountReadsThroughIam',
            principals: [new iam.AccountRootPrincipal()],
            actions: ['es:ESHttpGet', 'es:ESHttpHead', 'es:ESHttpPost'],
            resources: [`${domainArn}/*`],
          }),
        ],
      }),
    });
    this.domain.applyRemovalPolicy(removalPolicy);
    this.domain.node.addDependency(logsPolicy);
    const acknowledge = (rule: string, reason: string) =>
      Validations.of(this.domain).acknowledge({ id: `AwsSolutions-${rule}`, reason });
    acknowledge(
      'OS1',
      'A public endpoint behind SigV4: the access policy admits only the delivery role and IAM principals of this account, over HTTPS (TLS 1.2+); put the domain in a VPC by hand where a network boundary is required',
    );
    acknowledge(
      'OS3',
      'Access is by IAM identity (SigV4), not by IP: Firehose has no fixed source addresses to allowlist',
    );
    if (props.dedicatedMasterType === undefined) {
      acknowledge(
        'OS4',
        'Default sizing is a small log search side copy (CloudWatch Logs stays the system of record); set logging.opensearch.dedicatedMasterType for production clusters',
      );
    }
    if (count === 1) {
      acknowledge(
        'OS7',
        'One data node by default (cost); set logging.opensearch.instanceCount to 2 or more for zone awareness',
      );
    }

    // --- the delivery stream
    const deliveryPolicy = new iam.Policy(this, 'DeliveryPolicy', {
      roles: [role],
      statements: [
        new iam.PolicyStatement({
          actions: [
            'es:DescribeDomain',
            'es:DescribeDomains',
            'es:DescribeDomainConfig',
            'es:ESHttpGet',
            'es:ESHttpPost',
            'es:ESHttpPut',
          ],
          resources: [this.domain.attrArn, `${this.domain.attrArn}/*`],
        }),
        new iam.PolicyStatement({
          actions: [
            's3:AbortMultipartUpload',
            's3:GetBucketLocation',
            's3:GetObject',
            's3:ListBucket',
            's3:ListBucketMultipartUploads',
            's3:PutObject',
          ],
          resources: [this.failedDocumentsBucket.bucketArn, this.failedDocumentsBucket.arnForObjects('*')],
        }),
        new iam.PolicyStatement({
          actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
          resources: [key.keyArn],
          conditions: {
            StringEquals: { 'kms:ViaService': `s3.${stack.region}.amazonaws.com` },
            StringLike: { 'kms:EncryptionContext:aws:s3:arn': `${this.failedDocumentsBucket.bucketArn}/*` },
          },
        }),
        new iam.PolicyStatement({ actions: ['logs:PutLogEvents'], resources: [deliveryLogs.logGroupArn] }),
      ],
    });
    const bucketCfn = this.failedDocumentsBucket.node.defaultChild as s3.CfnBucket;
    Validations.of(deliveryPolicy).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${stack.getLogicalId(this.domain)}.Arn>/*]`,
      reason:
        "Firehose's bulk requests and index checks address paths under this one domain (AWS docs: Firehose access to OpenSearch)",
    });
    Validations.of(deliveryPolicy).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${stack.getLogicalId(bucketCfn)}.Arn>/*]`,
      reason: 'Firehose names the backup objects itself, under this one bucket',
    });

    this.deliveryStream = new firehose.CfnDeliveryStream(this, 'DeliveryStream', {
      deliveryStreamType: 'DirectPut',
      deliveryStreamEncryptionConfigurationInput: { keyType: 'CUSTOMER_MANAGED_CMK', keyArn: key.keyArn },
      amazonopensearchserviceDestinationConfiguration: {
        domainArn: this.domain.attrArn,
        indexName: this.indexName,
        indexRotationPeriod: 'OneDay',
        roleArn: role.roleArn,
        bufferingHints: DELIVERY_BUFFER,
        retryOptions: { durationInSeconds: DELIVERY_RETRY_SECONDS },
        s3BackupMode: 'FailedDocumentsOnly',
        s3Configuration: {
          bucketArn: this.failedDocumentsBucket.bucketArn,
          roleArn: role.roleArn,
          prefix: 'failed-documents/',
          compressionFormat: 'GZIP',
          bufferingHints: { intervalInSeconds: 300, sizeInMBs: 5 },
          encryptionConfiguration: { kmsEncryptionConfig: { awskmsKeyArn: key.keyArn } },
          cloudWatchLoggingOptions: {
            enabled: true,
            logGroupName: deliveryLogs.logGroupName,
            logStreamName: backupStream.logStreamName,
          },
        },
        cloudWatchLoggingOptions: {
          enabled: true,
          logGroupName: deliveryLogs.logGroupName,
          logStreamName: destinationStream.logStreamName,
        },
      },
    });
    // Firehose checks its role's permissions when the stream is created.
    this.deliveryStream.node.addDependency(deliveryPolicy);

    // --- the forwarder, subscribed to the aggregated log group's normalized events only
    const forwarder = new KitFunction(this, 'Forwarder', {
      ...kitFunctionSettings(props),
      handler: 'opensearch-forwarder',
      description: `MAIF Observability OpenSearch forwarder (${props.environment})`,
      entry: props.forwarderEntry,
      bundledConfig: {},
      environment: { [KIT_ENV.deliveryStreamName]: this.deliveryStream.ref },
      timeout: Duration.seconds(60),
      logGroupRemovalPolicy: removalPolicy,
    });
    forwarder.role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['firehose:PutRecordBatch'], resources: [this.deliveryStream.attrArn] }),
    );
    this.forwarder = forwarder.function;
    new logs.SubscriptionFilter(this, 'Subscription', {
      logGroup: props.logGroup,
      destination: new LambdaDestination(forwarder.function),
      // the aggregator's normalized events; its EMF documents and Lambda's own lines are not indexed
      filterPattern: logs.FilterPattern.exists('$.source.id'),
    });

    new CfnOutput(this, 'DashboardsUrl', {
      description: `OpenSearch Dashboards of the aggregated logs (${props.environment})`,
      value: `https://${this.domain.attrDomainEndpoint}/_dashboards`,
    });
  }
}
