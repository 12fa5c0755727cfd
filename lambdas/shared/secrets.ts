/**
 * Secrets (Slack webhook URL, PagerDuty routing key, link HMAC key) fetched from Secrets Manager
 * at first use and cached per container. Values never go to environment variables or logs:
 * errors name the secret id, never its value.
 */
import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

/** Re-read a secret after this long, so a rotated webhook or routing key is picked up. */
export const DEFAULT_SECRET_TTL_MS = 5 * 60 * 1000;

export interface SecretCacheOptions {
  /** @default DEFAULT_SECRET_TTL_MS */
  readonly ttlMs?: number;
  /** @default Date.now */
  readonly now?: () => number;
}

/** Fetch-and-cache over GetSecretValue; concurrent first calls share one request; failures are not cached. */
export class SecretCache {
  readonly #client: SecretsManagerClient;
  readonly #ttlMs: number;
  readonly #now: () => number;
  readonly #entries = new Map<string, { readonly value: Promise<string>; readonly fetchedAt: number }>();

  constructor(client: SecretsManagerClient, options: SecretCacheOptions = {}) {
    this.#client = client;
    this.#ttlMs = options.ttlMs ?? DEFAULT_SECRET_TTL_MS;
    this.#now = options.now ?? Date.now;
  }

  /** The SecretString of `secretId` (name or ARN). */
  get(secretId: string): Promise<string> {
    const now = this.#now();
    const cached = this.#entries.get(secretId);
    if (cached && now - cached.fetchedAt < this.#ttlMs) return cached.value;
    const value = this.#fetch(secretId);
    this.#entries.set(secretId, { value, fetchedAt: now });
    value.catch(() => {
      if (this.#entries.get(secretId)?.value === value) this.#entries.delete(secretId);
    });
    return value;
  }

  /**
   * A field of a secret: a JSON object secret gives `obj[field]` (first of `fields` present);
   * a plain string secret is the value itself.
   */
  async field(secretId: string, fields: readonly string[]): Promise<string> {
    const raw = await this.get(secretId);
    const text = raw.trim();
    if (!text.startsWith('{')) return text;
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new Error(
        `secret '${secretId}': starts with '{' but is not JSON (store the value itself or a JSON object)`,
      );
    }
    for (const name of fields) {
      const value = (parsed as Record<string, unknown>)[name];
      if (typeof value === 'string' && value !== '') return value;
    }
    throw new Error(
      `secret '${secretId}': JSON secret has none of the fields ${fields.join(', ')} (a non-empty string)`,
    );
  }

  async #fetch(secretId: string): Promise<string> {
    const out = await this.#client.send(new GetSecretValueCommand({ SecretId: secretId }));
    if (typeof out.SecretString !== 'string' || out.SecretString === '') {
      throw new Error(`secret '${secretId}': has no SecretString (binary secrets are not supported)`);
    }
    return out.SecretString;
  }
}
