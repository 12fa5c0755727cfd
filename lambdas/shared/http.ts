/**
 * POST JSON with retries: exponential backoff with full jitter on 429, 5xx and network errors,
 * honouring Retry-After; any other status fails at once. Errors name the host only, never the
 * URL: a Slack webhook URL is itself the secret.
 */

export const RETRY_DEFAULTS = { attempts: 4, baseDelayMs: 250, maxDelayMs: 4000, timeoutMs: 5000 } as const;

export interface RetryOptions {
  /** @default 4 */
  readonly attempts?: number;
  /** @default 250 */
  readonly baseDelayMs?: number;
  /** @default 4000 */
  readonly maxDelayMs?: number;
  /** Per request. @default 5000 */
  readonly timeoutMs?: number;
}

export interface PostDeps {
  readonly fetch?: typeof fetch;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
}

export class DeliveryError extends Error {
  readonly status: number | undefined;
  readonly attempts: number;
  readonly retryable: boolean;
  constructor(message: string, status: number | undefined, attempts: number, retryable: boolean) {
    super(message);
    this.name = 'DeliveryError';
    this.status = status;
    this.attempts = attempts;
    this.retryable = retryable;
  }
}

export function isRetryableStatus(status: number): boolean {
  return status === 429 || status >= 500;
}

/** The delay before attempt `attempt + 1`: Retry-After when given, else jittered 2^n backoff. */
export function backoffMs(
  attempt: number,
  options: RetryOptions,
  random: () => number,
  retryAfter?: string | null,
): number {
  const max = options.maxDelayMs ?? RETRY_DEFAULTS.maxDelayMs;
  const seconds = retryAfter ? Number(retryAfter) : Number.NaN;
  if (Number.isFinite(seconds) && seconds >= 0) return Math.min(seconds * 1000, max);
  const base = options.baseDelayMs ?? RETRY_DEFAULTS.baseDelayMs;
  const ceiling = Math.min(max, base * 2 ** (attempt - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** POSTs `body` as JSON; resolves with the response text of the first 2xx. */
export async function postJson(
  url: string,
  body: unknown,
  options: RetryOptions = {},
  deps: PostDeps = {},
): Promise<string> {
  const doFetch = deps.fetch ?? fetch;
  const sleep = deps.sleep ?? defaultSleep;
  const random = deps.random ?? Math.random;
  const attempts = options.attempts ?? RETRY_DEFAULTS.attempts;
  const host = new URL(url).host;
  const payload = JSON.stringify(body);
  let last = '';
  let lastStatus: number | undefined;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    let retryAfter: string | null = null;
    try {
      const response = await doFetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: payload,
        signal: AbortSignal.timeout(options.timeoutMs ?? RETRY_DEFAULTS.timeoutMs),
      });
      const text = await response.text();
      if (response.ok) return text;
      lastStatus = response.status;
      last = `HTTP ${response.status} ${text.slice(0, 200)}`.trim();
      if (!isRetryableStatus(response.status)) {
        throw new DeliveryError(
          `POST to ${host}: ${last} (not retried: only 429 and 5xx are)`,
          response.status,
          attempt,
          false,
        );
      }
      retryAfter = response.headers.get('retry-after');
    } catch (error) {
      if (error instanceof DeliveryError) throw error;
      lastStatus = undefined;
      last = error instanceof Error ? error.message : String(error);
    }
    if (attempt < attempts) await sleep(backoffMs(attempt, options, random, retryAfter));
  }
  throw new DeliveryError(
    `POST to ${host}: failed after ${attempts} attempts, last: ${last}`,
    lastStatus,
    attempts,
    true,
  );
}
