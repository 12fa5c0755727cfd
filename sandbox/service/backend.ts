/**
 * The demo service's backend: a small simulated MAIF store (artifacts, a vector index with a query
 * cache, an embedding model) whose calls take simulated time. One instance lives in each Lambda
 * execution environment, so its state (the cache, the stored artifacts) is per environment, as it
 * would be in memory of a real function.
 *
 * `simulateWork(simMs)` really waits `simMs / speed` ms, where the speed is the sandbox clock's
 * (`MAIF_SANDBOX_SPEED`): the function's clock runs `speed` times faster, so the wait reads as
 * `simMs` on it. Faults come with the request (see http.ts `parseFault`).
 */
import { MAX_SPEED, MIN_SPEED } from '../clock';
import type { Fault } from './http';

export const SPEED_ENV = 'MAIF_SANDBOX_SPEED';

/** Simulated milliseconds of each backend call when nothing is wrong (+-20 % jitter). */
export const NORMAL_LATENCY_MS = {
  storageWrite: 120,
  search: 60,
  /** A cached query skips the index scan. */
  cachedSearch: 12,
  embedding: 90,
  indexUpdate: 60,
} as const;

export type BackendCall = keyof typeof NORMAL_LATENCY_MS;

/** Jitter of every simulated latency: +-20 %. */
export const JITTER = 0.2;
/** A failing call fails after this share of its normal latency (a reset connection, not a timeout). */
const FAILURE_LATENCY_SHARE = 0.3;
/** Below this many real ms a timer cannot keep time (setTimeout's 1 ms floor): block the thread instead. */
const BLOCKING_WAIT_MAX_REAL_MS = 4;
const CACHE_SIZE = 64;
const EMBEDDING_DIMENSIONS = 384;
export const EMBEDDING_MODEL = 'maif-minilm-l6';
export const SEARCH_INDEX = 'artifacts';
/** Users seen within this simulated window count as active. */
const ACTIVE_USER_WINDOW_MS = 5 * 60_000;

/** The backend's own failure, as a real store client would raise it. */
export class BackendUnavailableError extends Error {
  override readonly name = 'BackendUnavailableError';
  readonly code = 'ECONNRESET';
}

const waitCell = new Int32Array(new SharedArrayBuffer(4));

/** Reads the clock speed once; anything but a number from MIN_SPEED to MAX_SPEED is refused. */
export function speedFromEnv(env: Readonly<Record<string, string | undefined>> = process.env): number {
  const raw = env[SPEED_ENV];
  if (raw === undefined || raw === '') return 1;
  const speed = Number(raw);
  if (!(Number.isFinite(speed) && speed >= MIN_SPEED && speed <= MAX_SPEED)) {
    throw new Error(`${SPEED_ENV}: '${raw}' is not allowed (use a number from ${MIN_SPEED} to ${MAX_SPEED})`);
  }
  return speed;
}

/**
 * Waits `simMs` simulated ms: `simMs / speed` real ms. Short waits block the thread with
 * Atomics.wait (~0.1 ms precision) because setTimeout cannot wait less than 1 ms: at speed 120 a
 * 60 ms call would read 120 ms or more. A Lambda environment runs one invocation at a time, so
 * blocking its thread for a few ms stalls nothing else.
 */
export function simulateWork(simMs: number, speed: number): Promise<void> {
  const realMs = Math.max(0, simMs) / speed;
  if (realMs <= BLOCKING_WAIT_MAX_REAL_MS) {
    if (realMs > 0) Atomics.wait(waitCell, 0, 0, realMs);
    return Promise.resolve();
  }
  return new Promise((resolve) => setTimeout(resolve, realMs));
}

export interface StoredArtifact {
  readonly id: string;
  readonly type: string;
  readonly sizeBytes: number;
  readonly compressedBytes: number;
}

export interface SearchOutcome {
  readonly results: readonly { readonly id: string; readonly score: number }[];
  readonly cacheHit: boolean;
  /** Mean score of the results, 0..1. */
  readonly quality: number;
}

export interface BackendOptions {
  readonly speed: number;
  /** Uniform in [0, 1). @default Math.random */
  readonly random?: () => number;
}

export class MaifBackend {
  #lastCallMs = 0;
  readonly speed: number;
  readonly #random: () => number;
  readonly #artifacts = new Map<string, StoredArtifact>();
  readonly #cache = new Map<string, SearchOutcome>();
  readonly #users = new Map<string, number>();
  #storedBytes = 0;
  #indexed = 0;
  #sequence = 0;

  constructor(options: BackendOptions) {
    if (!(options.speed >= MIN_SPEED && options.speed <= MAX_SPEED)) {
      throw new Error(
        `MaifBackend speed: ${options.speed} is not allowed (use a number from ${MIN_SPEED} to ${MAX_SPEED})`,
      );
    }
    this.speed = options.speed;
    this.#random = options.random ?? Math.random;
  }

  /** A backend at the speed `MAIF_SANDBOX_SPEED` gives (1 when unset). */
  static fromEnv(env?: Readonly<Record<string, string | undefined>>): MaifBackend {
    return new MaifBackend({ speed: speedFromEnv(env) });
  }

  get artifactCount(): number {
    return this.#artifacts.size;
  }

  get storedBytes(): number {
    return this.#storedBytes;
  }

  get indexedDocuments(): number {
    return this.#indexed;
  }

  /** Records a request by `userId` at simulated time `now`; returns the users active in the last 5 minutes. */
  touchUser(userId: string | undefined, now: number): number {
    if (userId !== undefined) this.#users.set(userId, now);
    for (const [user, seen] of this.#users) if (now - seen > ACTIVE_USER_WINDOW_MS) this.#users.delete(user);
    return this.#users.size;
  }

  /** Writes an artifact (compressed) to the store. */
  async putArtifact(
    artifact: { readonly type: string; readonly content: string },
    fault: Fault,
  ): Promise<StoredArtifact> {
    await this.#call('storageWrite', fault);
    const sizeBytes = Buffer.byteLength(artifact.content, 'utf8');
    // text-like artifacts compress about 2-4x
    const compressedBytes = Math.max(1, Math.round(sizeBytes / (2 + 2 * this.#random())));
    const stored: StoredArtifact = { id: this.#newId('a'), type: artifact.type, sizeBytes, compressedBytes };
    this.#artifacts.set(stored.id, stored);
    this.#storedBytes += compressedBytes;
    return stored;
  }

  /** Searches the vector index; repeated queries come from the cache. */
  async search(query: string, limit: number, fault: Fault): Promise<SearchOutcome> {
    const key = query.trim().toLowerCase();
    const cached = this.#cache.get(key);
    await this.#call(cached !== undefined ? 'cachedSearch' : 'search', fault);
    if (cached !== undefined) {
      // refresh its place in the LRU order
      this.#cache.delete(key);
      this.#cache.set(key, cached);
      return { ...cached, cacheHit: true };
    }
    const count = Math.min(limit, 1 + Math.floor(this.#random() * 8));
    const results = Array.from({ length: count }, (_, i) => ({
      id: `a-${(hash(key) + i * 7919) % 100_000}`,
      score: Math.round((0.95 - i * 0.06 - this.#random() * 0.05) * 1000) / 1000,
    }));
    const quality = results.length === 0 ? 0 : results.reduce((sum, r) => sum + r.score, 0) / results.length;
    const outcome: SearchOutcome = { results, cacheHit: false, quality: Math.max(0, Math.min(1, quality)) };
    this.#cache.set(key, outcome);
    if (this.#cache.size > CACHE_SIZE) this.#cache.delete(this.#cache.keys().next().value as string);
    return outcome;
  }

  /** Embeds `texts` with the model; returns how many vectors of which size. */
  async embed(
    texts: readonly string[],
    fault: Fault,
  ): Promise<{ readonly model: string; readonly count: number; readonly dimensions: number }> {
    await this.#call('embedding', fault);
    return { model: EMBEDDING_MODEL, count: texts.length, dimensions: EMBEDDING_DIMENSIONS };
  }

  /** Adds `count` vectors to the index. */
  async updateIndex(count: number): Promise<void> {
    await this.#call('indexUpdate', { kind: 'none' });
    this.#indexed += count;
  }

  /** Compares a query vector with `count` stored ones (pure CPU in a real store: no simulated wait). */
  similarityComputations(count: number): number {
    return Math.min(count, this.#indexed);
  }

  async #call(call: BackendCall, fault: Fault): Promise<void> {
    const normal = NORMAL_LATENCY_MS[call];
    if (fault.kind === 'error') {
      this.#lastCallMs = this.#jitter(normal * FAILURE_LATENCY_SHARE);
      await simulateWork(this.#lastCallMs, this.speed);
      throw new BackendUnavailableError(`${call}: connection reset by the MAIF store (injected fault)`);
    }
    this.#lastCallMs = this.#jitter(fault.kind === 'latency' ? fault.ms : normal);
    await simulateWork(this.#lastCallMs, this.speed);
  }

  /**
   * Simulated ms the last call took, as the store reports it (a search engine's `took`). An
   * environment runs one invocation at a time, so this is the caller's own call.
   */
  get lastCallMs(): number {
    return this.#lastCallMs;
  }

  #jitter(ms: number): number {
    return ms * (1 - JITTER + 2 * JITTER * this.#random());
  }

  #newId(prefix: string): string {
    this.#sequence++;
    return `${prefix}-${this.#sequence.toString(36)}${Math.floor(this.#random() * 36 ** 4)
      .toString(36)
      .padStart(4, '0')}`;
  }
}

/** A small stable string hash (FNV-1a), for deterministic result ids. */
function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}
