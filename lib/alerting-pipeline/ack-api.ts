import { CfnOutput, Duration, Validations } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { KIT_ENV } from '../../domain/contracts/environment';
import { allowKeyUse, allowTableItems, TABLE_READ_WRITE } from '../private/grants';
import { KitFunction, type KitFunctionBaseSettings, kitFunctionSettings } from '../private/kit-function';
import { allowPublish, channelTopicsJson } from './channel-topics';

/** One request reads or writes a few items and may publish a notice per channel. */
export const ACK_API_TIMEOUT = Duration.seconds(15);
/** Length of the generated HMAC key of signed links (letters and digits). */
export const LINK_KEY_LENGTH = 64;

export interface AckApiProps extends KitFunctionBaseSettings {
  /** The alert state table (AlertStateTable). */
  readonly table: dynamodb.ITable;
  /** Channel topics by channel name: acknowledgement notices go to the channels paged. */
  readonly topics: Readonly<Record<string, sns.ITopic>>;
  /** Encrypts the log groups and the generated link secret; the key of the topics. */
  readonly encryptionKey: kms.IKey;
  /**
   * The HMAC key of signed links (a SecretString of at least 16 characters).
   * @default - a generated 64-character secret, encrypted with `encryptionKey`
   */
  readonly linkSecret?: secretsmanager.ISecret;
  /**
   * Principals allowed to call the IAM API (lambda:InvokeFunctionUrl), e.g. an on-call role.
   * @default - none: grant `api` to principals yourself (`grantInvoke(role)`)
   */
  readonly operators?: readonly iam.IGrantable[];
  /**
   * Serve signed links from a second, AuthType NONE Function URL. Without it, links in messages
   * cannot be clicked (a browser cannot sign with SigV4): messages carry no links.
   * @default true
   */
  readonly links?: boolean;
}

/**
 * The acknowledge and silence API (lambdas/ack-api) behind two Lambda Function URLs:
 * - `api`: AuthType AWS_IAM, for the `maif-obs` CLI (SigV4-signed); all routes.
 * - `links`: AuthType NONE, for clicks on links in Slack and e-mail; the function serves only
 *   GET/POST /ack and /silence there, and only with a valid, unexpired HMAC signature.
 * Both are the same code with their own role: table read/write, publish to the channel topics,
 * read the link secret.
 */
export class AckApi extends Construct {
  readonly apiFunction: lambda.IFunction;
  readonly apiUrl: lambda.FunctionUrl;
  readonly linkFunction?: lambda.IFunction;
  readonly linkUrl?: lambda.FunctionUrl;
  readonly linkSecret: secretsmanager.ISecret;

  constructor(scope: Construct, id: string, props: AckApiProps) {
    super(scope, id);
    if (props.linkSecret === undefined) {
      const secret = new secretsmanager.Secret(this, 'LinkSecret', {
        description: 'MAIF Observability: HMAC key of signed ack and silence links',
        encryptionKey: props.encryptionKey,
        generateSecretString: { passwordLength: LINK_KEY_LENGTH, excludePunctuation: true, includeSpace: false },
      });
      Validations.of(secret).acknowledge({
        id: 'AwsSolutions-SMG4',
        reason:
          'the link HMAC key is not a credential to any system; rotating it only invalidates links already sent (rotate by hand when needed)',
      });
      this.linkSecret = secret;
    } else {
      this.linkSecret = props.linkSecret;
    }

    const deploy = (fnId: string, mode: 'iam' | 'links') => {
      const kit = new KitFunction(this, fnId, {
        ...kitFunctionSettings(props),
        handler: 'ack-api',
        description: `MAIF Observability ack API (${mode === 'iam' ? 'IAM' : 'signed links'})`,
        bundledConfig: {},
        environment: {
          [KIT_ENV.ackMode]: mode,
          [KIT_ENV.alertTable]: props.table.tableName,
          [KIT_ENV.channelTopics]: channelTopicsJson(this, props.topics),
          [KIT_ENV.linkSecretArn]: this.linkSecret.secretArn,
        },
        timeout: ACK_API_TIMEOUT,
      });
      // Exactly what the handler does: single-item reads and conditional writes, one Query per
      // list, publishing acknowledgement notices, reading the link key. No scans, no admin.
      allowTableItems(kit.role, props.table, TABLE_READ_WRITE);
      allowPublish(kit.role, props.topics);
      allowKeyUse(kit.role, props.encryptionKey, props.table);
      kit.role.addToPrincipalPolicy(
        new iam.PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: [this.linkSecret.secretArn] }),
      );
      return kit.function;
    };

    this.apiFunction = deploy('Api', 'iam');
    this.apiUrl = (this.apiFunction as lambda.Function).addFunctionUrl({
      authType: lambda.FunctionUrlAuthType.AWS_IAM,
    });
    for (const operator of props.operators ?? []) this.apiUrl.grantInvokeUrl(operator);
    new CfnOutput(this, 'AckApiUrl', {
      description: `maif-obs --endpoint (or ${KIT_ENV.ackApiUrl}): the IAM-authorized ack API`,
      value: this.apiUrl.url,
    });

    if (props.links ?? true) {
      this.linkFunction = deploy('Links', 'links');
      // NONE: a browser click cannot carry SigV4. The function itself refuses every request
      // that is not a signed, unexpired /ack or /silence link (see lambdas/ack-api).
      this.linkUrl = (this.linkFunction as lambda.Function).addFunctionUrl({
        authType: lambda.FunctionUrlAuthType.NONE,
      });
    }
  }

  /** The base URL signed links point at (`MAIF_ACK_URL`), if links are served. */
  get linkBaseUrl(): string | undefined {
    return this.linkUrl?.url;
  }

  /** Lets `grantee` call the IAM API. */
  grantInvoke(grantee: iam.IGrantable): iam.Grant {
    return this.apiUrl.grantInvokeUrl(grantee);
  }
}
