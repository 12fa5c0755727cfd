/**
 * A loopback Secrets Manager (AWS JSON 1.1, `secretsmanager.GetSecretValue`) for the real
 * @aws-sdk/client-secrets-manager, as the notifiers' SecretCache reads it: the Slack webhook URL,
 * the PagerDuty routing key, the link signing key. A secret is found by its name or its ARN, as
 * in the service; the `secrets` object is read at each call, so a value set after the start is
 * served too.
 */
import { createHash } from 'node:crypto';
import { type AwsJsonReply, awsError, startAwsJsonServer } from './aws-json';

export const SECRETS_TARGET = 'secretsmanager.GetSecretValue';

export interface SecretsManagerOptions {
  /** Region in the ARNs of secrets given by name. @default 'us-east-1' */
  readonly region?: string;
  /** Account in the ARNs of secrets given by name. @default '000000000000' */
  readonly accountId?: string;
}

export interface SecretsManagerEmulator {
  /** `http://127.0.0.1:PORT`, the SecretsManagerClient's `endpoint`. */
  readonly endpoint: string;
  /** GetSecretValue calls so far (found or not); with `secretId`, those that asked for it (as given). */
  calls(secretId?: string): number;
  stop(): Promise<void>;
}

/** What the service appends to a secret's name in its ARN: `-` and 6 characters (stable here). */
function arnSuffix(name: string): string {
  return createHash('sha256').update(name).digest('base64url').replace(/[-_]/g, 'x').slice(0, 6);
}

/** The secret's name inside an ARN (`...:secret:NAME-AbCdEf` -> NAME), else the id itself. */
function nameOf(id: string): string {
  const match = /^arn:[^:]+:secretsmanager:[^:]*:[^:]*:secret:(.+?)(-[A-Za-z0-9]{6})?$/.exec(id);
  return match ? match[1] : id;
}

/** Starts the endpoint serving `secrets` (name or ARN -> SecretString). */
export async function startSecretsManager(
  secrets: Readonly<Record<string, string>>,
  options: SecretsManagerOptions = {},
): Promise<SecretsManagerEmulator> {
  const region = options.region ?? 'us-east-1';
  const accountId = options.accountId ?? '000000000000';
  if (!/^\d{12}$/.test(accountId)) {
    throw new Error(`startSecretsManager accountId: '${accountId}' is not an AWS account id (12 digits)`);
  }
  const createdDate = Date.now() / 1000;
  let calls = 0;
  const callsById = new Map<string, number>();

  const arnOf = (key: string) =>
    key.startsWith('arn:') ? key : `arn:aws:secretsmanager:${region}:${accountId}:secret:${key}-${arnSuffix(key)}`;

  /** The key of `secrets` that `secretId` names: the key itself, its ARN, or its name. */
  const find = (secretId: string): string | undefined => {
    if (Object.hasOwn(secrets, secretId)) return secretId;
    return Object.keys(secrets).find((key) => arnOf(key) === secretId || nameOf(arnOf(key)) === secretId);
  };

  const getSecretValue = (body: Record<string, unknown>): AwsJsonReply => {
    calls += 1;
    const secretId = body.SecretId;
    if (typeof secretId === 'string') callsById.set(secretId, (callsById.get(secretId) ?? 0) + 1);
    if (typeof secretId !== 'string' || secretId === '') {
      return awsError(
        400,
        'InvalidParameterException',
        `SecretId: ${JSON.stringify(secretId)} is not a secret name or ARN`,
      );
    }
    const key = find(secretId);
    if (key === undefined) {
      return awsError(400, 'ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
    }
    const arn = arnOf(key);
    return {
      body: {
        ARN: arn,
        Name: nameOf(arn),
        VersionId: createHash('sha256').update(secrets[key]).digest('hex').slice(0, 32),
        SecretString: secrets[key],
        VersionStages: ['AWSCURRENT'],
        CreatedDate: createdDate,
      },
    };
  };

  const server = await startAwsJsonServer('1.1', { [SECRETS_TARGET]: getSecretValue });
  return {
    endpoint: server.endpoint,
    calls: (secretId) => (secretId === undefined ? calls : (callsById.get(secretId) ?? 0)),
    stop: server.stop,
  };
}
