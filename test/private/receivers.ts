/**
 * Loopback Slack and PagerDuty receivers that validate the real payload shapes (Slack incoming
 * webhook JSON with Block Kit `blocks`; PagerDuty Events API v2) and answer as the services do
 * (they live with the sandbox's emulators and are re-exported here), plus the sandbox's Secrets
 * Manager for the notifiers' secrets.
 */
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { EMULATOR_CREDENTIALS } from '../../sandbox/emulators/loopback';
import { type SecretsManagerEmulator, startSecretsManager } from '../../sandbox/emulators/secrets';

export { validatePagerDutyEvent, validateSlackMessage } from '../../sandbox/emulators/receiver-payloads';
export { type Delivery, Receiver, type Responder } from '../../sandbox/emulators/receivers';

const REGION = 'eu-west-1';

/** Secrets Manager answering GetSecretValue from `secrets` (id -> SecretString, read at each call). */
export async function startSecrets(
  secrets: Readonly<Record<string, string>>,
): Promise<{ client: SecretsManagerClient; emulator: SecretsManagerEmulator; stop: () => Promise<void> }> {
  const emulator = await startSecretsManager(secrets, { region: REGION });
  const client = new SecretsManagerClient({
    region: REGION,
    endpoint: emulator.endpoint,
    credentials: EMULATOR_CREDENTIALS,
  });
  return {
    client,
    emulator,
    stop: async () => {
      client.destroy();
      await emulator.stop();
    },
  };
}
