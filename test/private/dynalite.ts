/**
 * dynalite (the DynamoDB protocol, in memory) on 127.0.0.1 with the alert pipeline's table
 * (pk / sk, on demand), reached by the real @aws-sdk/client-dynamodb. Started by the sandbox's
 * DynamoDB emulator; dynalite does not check credentials, so clients may sign with any.
 */

import { TABLE_KEYS } from '../../domain/contracts/alert-state';
import { DEFAULT_DYNAMODB_REGION, type DynaliteTable, startTable } from '../../sandbox/emulators/dynamodb';
import { EMULATOR_CREDENTIALS } from '../../sandbox/emulators/loopback';

export const DYNALITE_REGION = DEFAULT_DYNAMODB_REGION;
export const DYNALITE_CREDENTIALS = EMULATOR_CREDENTIALS;

export type Dynalite = DynaliteTable;

/** Starts dynalite and creates the alert table (pk / sk, on demand), its client in `region`. */
export function startDynalite(tableName = 'maif-alerts', region = DYNALITE_REGION): Promise<Dynalite> {
  return startTable(
    {
      TableName: tableName,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: TABLE_KEYS.partitionKey, AttributeType: 'S' },
        { AttributeName: TABLE_KEYS.sortKey, AttributeType: 'S' },
      ],
      KeySchema: [
        { AttributeName: TABLE_KEYS.partitionKey, KeyType: 'HASH' },
        { AttributeName: TABLE_KEYS.sortKey, KeyType: 'RANGE' },
      ],
    },
    region,
  );
}
