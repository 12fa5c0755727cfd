/**
 * Signed links for acknowledging and silencing an alert from a message (Slack, e-mail).
 *
 * A link carries its parameters, an expiry `exp` (epoch seconds) and `sig`, the HMAC-SHA256
 * (base64url) of the path and every other parameter in sorted order. The ack API serves such a
 * link without IAM only when the signature matches and the link has not expired. The HMAC key
 * lives in Secrets Manager (`MAIF_LINK_SECRET_ARN`); callers load it and pass it in.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** Paths of the link routes served by the ack API. */
export const LINK_PATHS = { ack: '/ack', silence: '/silence' } as const;
export type LinkAction = keyof typeof LINK_PATHS;

/** Query parameter names of a signed link. */
export const LINK_PARAMS = { fingerprint: 'fp', expiresAt: 'exp', signature: 'sig', duration: 'd' } as const;

/** A silence link silences for this long unless it says otherwise. */
export const DEFAULT_LINK_SILENCE_SECONDS = 3600;
/** Links expire after this long unless the caller says otherwise (`alerting.ackLinkExpiry`). */
export const DEFAULT_LINK_TTL_SECONDS = 24 * 3600;
/** Below this a key is too easy to guess to sign anything with. */
export const MIN_LINK_KEY_BYTES = 16;

export type LinkKey = string | Uint8Array;

export type LinkVerification =
  | { readonly ok: true; readonly params: Readonly<Record<string, string>>; readonly expiresAt: number }
  | { readonly ok: false; readonly reason: 'missing-signature' | 'bad-signature' | 'expired' | 'bad-expiry' };

function checkKey(key: LinkKey): void {
  const length = typeof key === 'string' ? Buffer.byteLength(key) : key.byteLength;
  if (length < MIN_LINK_KEY_BYTES) {
    throw new Error(`link key: ${length} bytes is too short (use at least ${MIN_LINK_KEY_BYTES})`);
  }
}

/** The exact bytes signed: the path, then `name=value` pairs sorted by name, URI-encoded. */
export function canonicalLink(path: string, params: Readonly<Record<string, string>>): string {
  const pairs = Object.keys(params)
    .filter((name) => name !== LINK_PARAMS.signature)
    .sort()
    .map((name) => `${encodeURIComponent(name)}=${encodeURIComponent(params[name])}`);
  return `${path}\n${pairs.join('&')}`;
}

function mac(key: LinkKey, path: string, params: Readonly<Record<string, string>>): Buffer {
  return createHmac('sha256', key).update(canonicalLink(path, params)).digest();
}

/**
 * Signs `params` for `path`, valid until `expiresAt` (epoch seconds). Returns the parameters
 * to put in the query string: the given ones plus `exp` and `sig`.
 */
export function signParams(
  path: string,
  params: Readonly<Record<string, string>>,
  key: LinkKey,
  expiresAt: number,
): Record<string, string> {
  checkKey(key);
  if (!Number.isSafeInteger(expiresAt) || expiresAt <= 0) {
    throw new Error(`link expiresAt: ${expiresAt} is not an epoch time in whole seconds`);
  }
  const signed: Record<string, string> = { ...params, [LINK_PARAMS.expiresAt]: String(expiresAt) };
  delete signed[LINK_PARAMS.signature];
  signed[LINK_PARAMS.signature] = mac(key, path, signed).toString('base64url');
  return signed;
}

/**
 * Verifies the parameters of a link request for `path` at `nowSeconds`: the signature must
 * match (compared in constant time) and `exp` must be in the future.
 */
export function verifyParams(
  path: string,
  params: Readonly<Record<string, string>>,
  key: LinkKey,
  nowSeconds: number,
): LinkVerification {
  const signature = params[LINK_PARAMS.signature];
  if (!signature) return { ok: false, reason: 'missing-signature' };
  const expected = mac(key, path, params);
  const given = Buffer.from(signature, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return { ok: false, reason: 'bad-signature' };
  }
  const raw = params[LINK_PARAMS.expiresAt] ?? '';
  const expiresAt = /^\d{1,12}$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(expiresAt)) return { ok: false, reason: 'bad-expiry' };
  if (expiresAt <= nowSeconds) return { ok: false, reason: 'expired' };
  const rest: Record<string, string> = { ...params };
  delete rest[LINK_PARAMS.signature];
  delete rest[LINK_PARAMS.expiresAt];
  return { ok: true, params: rest, expiresAt };
}

/** Builds a signed URL: the origin of `baseUrl` (the ack API's Function URL), path, signed query. */
export function signedUrl(
  baseUrl: string,
  path: string,
  params: Readonly<Record<string, string>>,
  key: LinkKey,
  expiresAt: number,
): string {
  // Function URLs serve at the root, so the signed path is the request's rawPath.
  const url = new URL(path, baseUrl);
  for (const [name, value] of Object.entries(signParams(path, params, key, expiresAt))) {
    url.searchParams.set(name, value);
  }
  return url.toString();
}

export interface AlertLinkOptions {
  /** The ack API's base URL (`MAIF_ACK_URL`). */
  readonly baseUrl: string;
  readonly key: LinkKey;
  /** Epoch seconds. */
  readonly expiresAt: number;
}

/** The signed "acknowledge" link of an alert. */
export function ackUrl(fingerprint: string, options: AlertLinkOptions): string {
  return signedUrl(
    options.baseUrl,
    LINK_PATHS.ack,
    { [LINK_PARAMS.fingerprint]: fingerprint },
    options.key,
    options.expiresAt,
  );
}

/** The signed "silence for `durationSeconds`" link of an alert (matchers: its name and labels). */
export function silenceUrl(
  fingerprint: string,
  options: AlertLinkOptions & { readonly durationSeconds?: number },
): string {
  const duration = options.durationSeconds ?? DEFAULT_LINK_SILENCE_SECONDS;
  return signedUrl(
    options.baseUrl,
    LINK_PATHS.silence,
    { [LINK_PARAMS.fingerprint]: fingerprint, [LINK_PARAMS.duration]: String(duration) },
    options.key,
    options.expiresAt,
  );
}

/**
 * Caches a key loader (e.g. a Secrets Manager GetSecretValue) so the secret is fetched once
 * per container; a failed load is not cached, so the next call tries again.
 */
export function cachedLinkKey(load: () => Promise<LinkKey>): () => Promise<LinkKey> {
  let pending: Promise<LinkKey> | undefined;
  return () => {
    pending ??= load().catch((error: unknown) => {
      pending = undefined;
      throw error;
    });
    return pending;
  };
}
