/**
 * The alert state table on dynalite (the DynamoDB protocol, in memory) for the real
 * @aws-sdk/client-dynamodb. The table is created from the synthesized CloudFormation template
 * (its one AWS::DynamoDB::Table or AWS::DynamoDB::GlobalTable: key schema, attribute
 * definitions, secondary indexes, billing), never from a hand-written copy, so the sandbox
 * runs against the table the stack deploys (`startTable` takes a CreateTable input as is, for
 * tests that need a table without a stack). dynalite has no TTL sweeper: items past their TTL
 * attribute stay readable (DynamoDB itself deletes them only eventually), and the attribute is
 * reported as `timeToLiveAttribute`.
 */
import type { Server } from 'node:http';
import {
  type AttributeDefinition,
  CreateTableCommand,
  type CreateTableCommandInput,
  DynamoDBClient,
  type GlobalSecondaryIndex,
  type KeySchemaElement,
  type LocalSecondaryIndex,
  type Projection,
  type ProvisionedThroughput,
} from '@aws-sdk/client-dynamodb';
import { closeServer, EMULATOR_CREDENTIALS, LOOPBACK_HOST, listenLoopback } from './loopback';

/** Table name used when the template's TableName is absent or not a plain string. */
export const DEFAULT_TABLE_NAME = 'maif-alerts';
export const DEFAULT_DYNAMODB_REGION = 'us-east-1';

const TABLE_TYPES = ['AWS::DynamoDB::Table', 'AWS::DynamoDB::GlobalTable'] as const;

// dynalite has no types; its factory returns a node:http server.
const dynaliteFactory = require('dynalite') as (options: Record<string, unknown>) => Server;

/** A dynalite server holding one table. */
export interface DynaliteTable {
  readonly client: DynamoDBClient;
  /** `http://127.0.0.1:PORT`, for other DynamoDB clients (`endpoint` override). */
  readonly endpoint: string;
  readonly tableName: string;
  stop(): Promise<void>;
}

export interface AlertTable extends DynaliteTable {
  /** The template's TTL attribute, when TTL is enabled (not enforced locally). */
  readonly timeToLiveAttribute?: string;
}

interface TemplateResource {
  readonly Type?: string;
  readonly Properties?: Record<string, unknown>;
}

/** The template's resources, from CloudFormation JSON or anything with `toJSON()` (an assertions Template). */
function resourcesOf(template: object): Record<string, TemplateResource> {
  const json = (
    typeof (template as { toJSON?: unknown }).toJSON === 'function'
      ? (template as { toJSON(): unknown }).toJSON()
      : template
  ) as { Resources?: unknown };
  if (typeof json?.Resources !== 'object' || json.Resources === null) {
    throw new Error('startAlertTable template: has no Resources (pass the CloudFormation JSON of the stack)');
  }
  return json.Resources as Record<string, TemplateResource>;
}

/** The one table resource of the template, by logical id. */
export function alertTableResource(template: object): { id: string; properties: Record<string, unknown> } {
  const tables = Object.entries(resourcesOf(template)).filter(([, r]) =>
    (TABLE_TYPES as readonly string[]).includes(String(r?.Type)),
  );
  if (tables.length !== 1) {
    const found = tables.length === 0 ? 'none' : tables.map(([id]) => id).join(', ');
    throw new Error(`startAlertTable template: ${TABLE_TYPES.join(' or ')} resources: ${found} (expected exactly one)`);
  }
  const [id, resource] = tables[0];
  return { id, properties: resource.Properties ?? {} };
}

function keySchema(value: unknown, where: string): KeySchemaElement[] {
  const ok =
    Array.isArray(value) &&
    value.length >= 1 &&
    value.length <= 2 &&
    value.every((k) => typeof k?.AttributeName === 'string' && (k.KeyType === 'HASH' || k.KeyType === 'RANGE'));
  if (!ok) {
    throw new Error(
      `startAlertTable ${where}.KeySchema: ${JSON.stringify(value)} is not 1 or 2 {AttributeName, KeyType: HASH|RANGE}`,
    );
  }
  return (value as KeySchemaElement[]).map(({ AttributeName, KeyType }) => ({ AttributeName, KeyType }));
}

function attributeDefinitions(value: unknown, where: string): AttributeDefinition[] {
  const ok =
    Array.isArray(value) &&
    value.every((a) => typeof a?.AttributeName === 'string' && ['S', 'N', 'B'].includes(a.AttributeType));
  if (!ok) {
    throw new Error(
      `startAlertTable ${where}.AttributeDefinitions: ${JSON.stringify(value)} is not a list of {AttributeName, AttributeType: S|N|B}`,
    );
  }
  return (value as AttributeDefinition[]).map(({ AttributeName, AttributeType }) => ({ AttributeName, AttributeType }));
}

function throughput(value: unknown): ProvisionedThroughput | undefined {
  const t = value as { ReadCapacityUnits?: unknown; WriteCapacityUnits?: unknown } | undefined;
  const read = Number(t?.ReadCapacityUnits);
  const write = Number(t?.WriteCapacityUnits);
  return read > 0 && write > 0 ? { ReadCapacityUnits: read, WriteCapacityUnits: write } : undefined;
}

interface IndexProps {
  readonly IndexName?: unknown;
  readonly KeySchema?: unknown;
  readonly Projection?: Projection;
  readonly ProvisionedThroughput?: unknown;
}

/** The CreateTable input the template's table stands for (dynalite serves what CreateTable accepts). */
export function createTableInput(template: object): CreateTableCommandInput & { TableName: string } {
  const { id, properties: p } = alertTableResource(template);
  const where = `table ${id}`;
  const provisioned = p.BillingMode !== 'PAY_PER_REQUEST' ? throughput(p.ProvisionedThroughput) : undefined;
  const index = (i: IndexProps, n: number, kind: string) => {
    if (typeof i?.IndexName !== 'string') {
      throw new Error(
        `startAlertTable ${where}.${kind}[${n}].IndexName: ${JSON.stringify(i?.IndexName)} is not a string`,
      );
    }
    return {
      IndexName: i.IndexName,
      KeySchema: keySchema(i.KeySchema, `${where}.${kind}[${n}]`),
      Projection: i.Projection ?? { ProjectionType: 'ALL' },
    };
  };
  const gsis = (p.GlobalSecondaryIndexes as IndexProps[] | undefined)?.map(
    (i, n): GlobalSecondaryIndex => ({
      ...index(i, n, 'GlobalSecondaryIndexes'),
      ...(provisioned
        ? {
            ProvisionedThroughput: throughput(i.ProvisionedThroughput) ?? {
              ReadCapacityUnits: 1,
              WriteCapacityUnits: 1,
            },
          }
        : {}),
    }),
  );
  const lsis = (p.LocalSecondaryIndexes as IndexProps[] | undefined)?.map(
    (i, n): LocalSecondaryIndex => index(i, n, 'LocalSecondaryIndexes'),
  );
  return {
    TableName: typeof p.TableName === 'string' && p.TableName !== '' ? p.TableName : DEFAULT_TABLE_NAME,
    KeySchema: keySchema(p.KeySchema, where),
    AttributeDefinitions: attributeDefinitions(p.AttributeDefinitions, where),
    ...(provisioned
      ? { BillingMode: 'PROVISIONED', ProvisionedThroughput: provisioned }
      : { BillingMode: 'PAY_PER_REQUEST' }),
    ...(gsis?.length ? { GlobalSecondaryIndexes: gsis } : {}),
    ...(lsis?.length ? { LocalSecondaryIndexes: lsis } : {}),
  };
}

/** The TTL attribute of the template's table, when enabled. */
function timeToLive(template: object): string | undefined {
  const spec = alertTableResource(template).properties.TimeToLiveSpecification as
    | { AttributeName?: unknown; Enabled?: unknown }
    | undefined;
  return spec?.Enabled === true && typeof spec.AttributeName === 'string' ? spec.AttributeName : undefined;
}

/** Starts dynalite on 127.0.0.1 and creates the table `input` describes, with a client in `region`. */
export async function startTable(
  input: CreateTableCommandInput & { TableName: string },
  region = DEFAULT_DYNAMODB_REGION,
): Promise<DynaliteTable> {
  const server = dynaliteFactory({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  const port = await listenLoopback(server);
  const endpoint = `http://${LOOPBACK_HOST}:${port}`;
  const client = new DynamoDBClient({ region, credentials: EMULATOR_CREDENTIALS, endpoint });
  const stop = async () => {
    client.destroy();
    await closeServer(server);
  };
  try {
    await client.send(new CreateTableCommand(input));
  } catch (error) {
    await stop();
    throw new Error(`startTable: dynalite refused table '${input.TableName}': ${(error as Error).message}`, {
      cause: error,
    });
  }
  return { client, endpoint, tableName: input.TableName, stop };
}

/** Starts dynalite on 127.0.0.1 and creates the template's table in it. */
export async function startAlertTable(template: object, options: { region?: string } = {}): Promise<AlertTable> {
  const input = createTableInput(template);
  const timeToLiveAttribute = timeToLive(template);
  const table = await startTable(input, options.region);
  return timeToLiveAttribute ? { ...table, timeToLiveAttribute } : table;
}
