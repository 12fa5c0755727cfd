/**
 * The kit functions' grants on the alert state table and the KMS keys, with explicit actions:
 * aws-cdk-lib's grant helpers (grantReadWriteData, grantSendMessages, grantPublish) add
 * kms:ReEncrypt* and kms:GenerateDataKey* wildcards for KMS-encrypted resources.
 */
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';

/** Single-item reads and writes and Query (no Scan): the alert state table as the ack API and the router use it. */
export const TABLE_READ_WRITE = [
  'dynamodb:GetItem',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:Query',
] as const;

/** Exactly `actions` on the table's items: no scans and no table administration unless named. */
export function allowTableItems(role: iam.IRole, table: dynamodb.ITable, actions: readonly string[]): void {
  role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: [...actions], resources: [table.tableArn] }));
}

/** kms:GenerateDataKey and kms:Decrypt on `key`: for publishing to its topics and sending to its queues. */
export function keyUseStatement(key: kms.IKey): iam.PolicyStatement {
  return new iam.PolicyStatement({ actions: ['kms:GenerateDataKey', 'kms:Decrypt'], resources: [key.keyArn] });
}

/**
 * `keyUseStatement(key)` for the role and, with `table`, kms:Decrypt, kms:Encrypt and
 * kms:GenerateDataKey on the table's own key (when it has one) for its reads and writes.
 */
export function allowKeyUse(role: iam.IRole, key: kms.IKey, table?: dynamodb.ITable): void {
  role.addToPrincipalPolicy(keyUseStatement(key));
  table?.encryptionKey?.grant(role, 'kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey');
}
