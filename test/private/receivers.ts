/**
 * Loopback Slack and PagerDuty receivers that validate the real payload shapes (Slack incoming
 * webhook JSON with Block Kit `blocks`; PagerDuty Events API v2) and answer as the services do
 * (they live with the sandbox's emulators and are re-exported here), plus a loopback Secrets
 * Manager for the notifiers' secrets.
 */
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { AwsJsonLoopback, LOOPBACK_CREDENTIALS } from './aws-json-loopback';

export { validatePagerDutyEvent, validateSlackMessage } from '../../sandbox/emulators/receiver-payloads';
export { type Delivery, Receiver, type Responder } from '../../sandbox/emulators/receivers';

/** A loopback Secrets Manager answering GetSecretValue from `secrets` (id -> SecretString). */
export async function startSecrets(
  secrets: Record<string, string>,
): Promise<{ client: SecretsManagerClient; loopback: AwsJsonLoopback; stop: () => Promise<void> }> {
  const { loopback, endpoint } = await AwsJsonLoopback.start({
    'secretsmanager.GetSecretValue': (body) => {
      const id = String(body.SecretId);
      return id in secrets
        ? {
            body: {
              ARN: `arn:aws:secretsmanager:eu-west-1:000000000000:secret:${id}-AbCdEf`,
              Name: id,
              SecretString: secrets[id],
            },
          }
        : {
            status: 400,
            body: { __type: 'ResourceNotFoundException', message: "Secrets Manager can't find the specified secret." },
          };
    },
  });
  const client = new SecretsManagerClient({ region: 'eu-west-1', endpoint, credentials: LOOPBACK_CREDENTIALS });
  return {
    client,
    loopback,
    stop: async () => {
      client.destroy();
      await loopback.close();
    },
  };
}
