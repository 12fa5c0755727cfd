import { ArnFormat, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';

/**
 * Services that encrypt into or read from the kit's KMS-protected queues and topics on their own
 * behalf: SNS (delivery to encrypted SQS subscriptions), CloudWatch alarms (publishing to
 * encrypted topics) and EventBridge (targets that are encrypted queues or topics). SQS and SNS
 * calls made by the kit's functions use those functions' IAM grants instead.
 */
export const KEY_SERVICE_PRINCIPALS = [
  'sns.amazonaws.com',
  'cloudwatch.amazonaws.com',
  'events.amazonaws.com',
] as const;

/** What a service needs to put messages into, and read them from, an encrypted queue or topic. */
const SERVICE_KEY_ACTIONS = ['kms:Decrypt', 'kms:GenerateDataKey*'] as const;
/** What CloudWatch Logs needs to encrypt a log group (AWS docs: "Encrypt log data in CloudWatch Logs"). */
const LOGS_KEY_ACTIONS = [
  'kms:Encrypt*',
  'kms:Decrypt*',
  'kms:ReEncrypt*',
  'kms:GenerateDataKey*',
  'kms:Describe*',
] as const;

export interface ObservabilityKeyProps {
  /**
   * Alias (without the `alias/` prefix).
   * @default - no alias
   */
  readonly alias?: string;
  /**
   * What happens to the key when the stack is deleted.
   * @default RemovalPolicy.RETAIN - logs encrypted with it stay readable
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * Days KMS waits before deleting the key after a scheduled deletion.
   * @default 30
   */
  readonly pendingWindowDays?: number;
}

/**
 * The stack's customer-managed KMS key, rotated yearly, for log groups, queues and topics.
 * Its policy lets CloudWatch Logs use it only for log groups of this account and region
 * (the `kms:EncryptionContext:aws:logs:arn` condition) and lets SNS, CloudWatch and EventBridge
 * use it only on behalf of this account (`aws:SourceAccount`).
 */
export class ObservabilityKey extends Construct {
  readonly key: kms.Key;

  constructor(scope: Construct, id: string, props: ObservabilityKeyProps = {}) {
    super(scope, id);
    const pendingWindowDays = props.pendingWindowDays ?? 30;
    if (!Number.isInteger(pendingWindowDays) || pendingWindowDays < 7 || pendingWindowDays > 30) {
      throw new Error(
        `ObservabilityKey pendingWindowDays: ${pendingWindowDays} is not allowed (use a whole number of days from 7 to 30)`,
      );
    }
    const stack = Stack.of(this);
    this.key = new kms.Key(this, 'Resource', {
      description: 'MAIF Observability: log groups, queues and topics',
      enableKeyRotation: true,
      alias: props.alias,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
      pendingWindow: Duration.days(pendingWindowDays),
    });
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchLogsLogGroupsOfThisAccount',
        principals: [new iam.ServicePrincipal(`logs.${stack.region}.amazonaws.com`)],
        actions: [...LOGS_KEY_ACTIONS],
        resources: ['*'],
        conditions: {
          ArnLike: {
            'kms:EncryptionContext:aws:logs:arn': stack.formatArn({
              service: 'logs',
              resource: 'log-group',
              resourceName: '*',
              arnFormat: ArnFormat.COLON_RESOURCE_NAME,
            }),
          },
        },
      }),
    );
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AwsServicesOnBehalfOfThisAccount',
        principals: KEY_SERVICE_PRINCIPALS.map((service) => new iam.ServicePrincipal(service)),
        actions: [...SERVICE_KEY_ACTIONS],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
    );
  }
}
