/**
 * dynalite (the DynamoDB protocol, in memory) on 127.0.0.1 with the alert pipeline's table,
 * reached by the real @aws-sdk/client-dynamodb.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { TABLE_KEYS } from '../../lambdas/alerting/shared/state';

export const DYNALITE_REGION = 'us-east-1';
export const DYNALITE_CREDENTIALS = { accessKeyId: 'AKIDDYNALITE', secretAccessKey: 'dynalite-secret' } as const;

// dynalite has no types; its factory returns a node:http server.
const dynaliteFactory = require('dynalite') as (options: Record<string, unknown>) => Server;

export interface Dynalite {
  readonly client: DynamoDBClient;
  readonly endpoint: string;
  readonly tableName: string;
  stop(): Promise<void>;
}

/** Starts dynalite and creates the alert table (pk / sk, on demand). */
export async function startDynalite(tableName = 'maif-alerts'): Promise<Dynalite> {
  const server = dynaliteFactory({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new DynamoDBClient({ region: DYNALITE_REGION, credentials: DYNALITE_CREDENTIALS, endpoint });
  await client.send(
    new CreateTableCommand({
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
    }),
  );
  return {
    client,
    endpoint,
    tableName,
    stop: async () => {
      client.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
