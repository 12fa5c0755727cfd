/**
 * Sampling priorities (the MAIF monitoring guide's
 * `configure_sampling({ default, high_priority, background_tasks })`) and the local per-priority
 * decision made outside Lambda.
 *
 * Contract with the stack (`lib/sampling-rules.ts`, `SamplingRules`): one X-Ray sampling rule per
 * priority on the service name and the URL path `/maif/sampling/<environment>/<priority>`
 * (`samplingUrlPath`), the `default` rule on `/maif/sampling/<environment>/*`. The Node SDK
 * ignores rules with attributes, hence the path. Every root span carries the annotation
 * `sampling_priority = <priority>`, so traces can be filtered by priority in X-Ray.
 */

/** The guide's priority names. */
export const SAMPLING_PRIORITIES = ['default', 'high_priority', 'background_tasks'] as const;
export type SamplingPriority = (typeof SAMPLING_PRIORITIES)[number];

/** Rate (0 to 1) by priority; `default` is required, other priority names are allowed. */
export type SamplingRates = { readonly default: number; readonly [priority: string]: number };

/** The guide's rates. */
export const DEFAULT_SAMPLING_RATES = { default: 0.1, high_priority: 1, background_tasks: 0.01 } as const;

/** The annotation marking each root span with its priority. */
export const SAMPLING_PRIORITY_ANNOTATION = 'sampling_priority';
/** Prefix of the URL path the sampling rules of the stack match on. */
export const SAMPLING_URL_PREFIX = '/maif/sampling/';
/** Traces per second per priority taken before the rate applies (X-Ray's reservoir default). */
export const DEFAULT_RESERVOIR_PER_SECOND = 1;

const PRIORITY_NAME = /^[A-Za-z0-9_-]+$/;

/** The URL path a sampling request for `priority` carries (the stack's rules match it). */
export function samplingUrlPath(environment: string, priority: string): string {
  return `${SAMPLING_URL_PREFIX}${environment}/${priority}`;
}

/** Checks rates given in code; errors name the field, the value and what is allowed. */
export function checkSamplingRates(rates: unknown, field = 'sampling'): SamplingRates {
  if (rates === null || typeof rates !== 'object' || Array.isArray(rates)) {
    throw new Error(
      `${field}: ${JSON.stringify(rates)} is not an object of rates (use { default: 0.1, high_priority: 1 })`,
    );
  }
  const entries = Object.entries(rates);
  if (!Object.hasOwn(rates, 'default')) {
    const names = entries.map(([name]) => `'${name}'`).join(', ') || 'none';
    throw new Error(`${field}: no 'default' rate (received ${names})`);
  }
  for (const [priority, rate] of entries) {
    if (!PRIORITY_NAME.test(priority)) {
      throw new Error(`${field}: '${priority}' is not a priority name (letters, digits, _ and -)`);
    }
    if (typeof rate !== 'number' || !Number.isFinite(rate) || rate < 0 || rate > 1) {
      throw new Error(`${field}.${priority}: ${JSON.stringify(rate)} is not a rate (use a number from 0 to 1)`);
    }
  }
  return rates as SamplingRates;
}

/**
 * Reads `MAIF_TRACE_SAMPLING` (JSON, as `instrumentFunction` writes it). Returns the rates, or
 * the problem when the text is not valid rates (the caller warns and keeps the defaults).
 */
export function parseSamplingEnv(text: string): { rates: SamplingRates } | { problem: string } {
  try {
    return { rates: checkSamplingRates(JSON.parse(text), 'MAIF_TRACE_SAMPLING') };
  } catch (error) {
    const message = error instanceof SyntaxError ? `'${text.slice(0, 80)}' is not JSON` : (error as Error).message;
    return { problem: message.startsWith('MAIF_TRACE_SAMPLING') ? message : `MAIF_TRACE_SAMPLING: ${message}` };
  }
}

/**
 * The X-Ray SDK's local sampling rules document (version 2) for `rates`: one rule per priority on
 * its URL path, the `default` rate as the document's default. Used as the fallback of the SDK's
 * centralized sampler.
 */
export function localSamplingRules(
  environment: string,
  rates: SamplingRates,
  reservoir = DEFAULT_RESERVOIR_PER_SECOND,
) {
  return {
    version: 2,
    rules: Object.entries(rates)
      .filter(([priority]) => priority !== 'default')
      .map(([priority, rate]) => ({
        description: `maif ${priority}`,
        host: '*',
        http_method: '*',
        url_path: samplingUrlPath(environment, priority),
        fixed_target: reservoir,
        rate,
      })),
    default: { fixed_target: reservoir, rate: rates.default },
  };
}

/**
 * The local decision per priority, as X-Ray's: up to `reservoir` traces per second are taken,
 * then each further one with probability `rate`.
 */
export class LocalSampler {
  readonly #rates: SamplingRates;
  readonly #reservoir: number;
  readonly #random: () => number;
  readonly #taken = new Map<string, { second: number; count: number }>();

  constructor(rates: SamplingRates, reservoir = DEFAULT_RESERVOIR_PER_SECOND, random: () => number = Math.random) {
    this.#rates = rates;
    this.#reservoir = reservoir;
    this.#random = random;
  }

  /** The rate applied to `priority` (the `default` rate for a priority without one). */
  rateOf(priority: string): number {
    return Object.hasOwn(this.#rates, priority) ? this.#rates[priority] : this.#rates.default;
  }

  shouldSample(priority: string, nowMs: number = Date.now()): boolean {
    const rate = this.rateOf(priority);
    if (rate <= 0) return false;
    if (this.#reservoir > 0) {
      const second = Math.floor(nowMs / 1000);
      const key = Object.hasOwn(this.#rates, priority) ? priority : 'default';
      let slot = this.#taken.get(key);
      if (slot === undefined || slot.second !== second) {
        slot = { second, count: 0 };
        this.#taken.set(key, slot);
      }
      if (slot.count < this.#reservoir) {
        slot.count++;
        return true;
      }
    }
    return rate >= 1 || this.#random() < rate;
  }
}
