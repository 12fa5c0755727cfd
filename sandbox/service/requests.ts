/**
 * The demo service's routes and the client side of it: API Gateway HTTP API (payload 2.0) events
 * as a client's requests would arrive at each function, with an optional fault header. Used by
 * the workload; deterministic for a given `random`.
 */
import { randomUUID } from 'node:crypto';
import { FAULT_HEADER, type HttpEvent, USER_HEADER } from './http';

/** Each demo function: its handler export in the bundle and its route. */
export const DEMO_ROUTES = {
  'maif-create-artifact': { handler: 'createArtifact', method: 'POST', path: '/artifacts' },
  'maif-semantic-search': { handler: 'semanticSearch', method: 'GET', path: '/search' },
  'maif-generate-embedding': { handler: 'generateEmbedding', method: 'POST', path: '/embeddings' },
} as const;

export type DemoFunctionName = keyof typeof DEMO_ROUTES;
export const DEMO_FUNCTION_NAMES = Object.keys(DEMO_ROUTES) as DemoFunctionName[];

/**
 * Queries: a few popular ones (asked again and again: cache hits) and a long tail of topic +
 * qualifier pairs (mostly misses), so the search cache's hit ratio sits around one half.
 */
const POPULAR_QUERIES = ['insurance claim photos', 'policy renewal letter', 'vehicle damage report'] as const;
const TOPICS = [
  'home inventory list',
  'customer complaint email',
  'contract amendment',
  'storm damage assessment',
  'medical expense receipts',
  'fraud investigation notes',
  'broker commission table',
  'roof inspection images',
  'liability coverage terms',
] as const;
const QUALIFIERS = ['2024', '2025', 'paris', 'lyon', 'draft', 'signed', 'urgent', 'archived', 'scanned', 'q3'] as const;
const POPULAR_SHARE = 0.45;

function searchQuery(random: () => number): string {
  if (random() < POPULAR_SHARE) return pick(POPULAR_QUERIES, random);
  return `${pick(TOPICS, random)} ${pick(QUALIFIERS, random)}`;
}
const ARTIFACT_TYPES = ['document', 'document', 'document', 'image', 'dataset', 'model'] as const;
const USERS = ['u-1', 'u-2', 'u-3', 'u-4', 'u-5', 'u-6', 'u-7', 'u-8'] as const;
/** Share of requests that carry a user id (the rest are anonymous or service calls). */
const USER_SHARE = 0.7;

export interface DemoRequestOptions {
  /** The fault header's value (`error`, `latency=3000`, ...). @default - no fault */
  readonly fault?: string;
  /** Uniform in [0, 1). */
  readonly random: () => number;
  /** Epoch ms the request is sent at (the event's `timeEpoch`). */
  readonly now: number;
}

function pick<T>(items: readonly T[], random: () => number): T {
  return items[Math.floor(random() * items.length) % items.length];
}

/** The API Gateway event of one client request to `functionName`. */
export function demoRequest(functionName: string, options: DemoRequestOptions): HttpEvent {
  const route = (DEMO_ROUTES as Record<string, (typeof DEMO_ROUTES)[DemoFunctionName]>)[functionName];
  if (route === undefined) {
    throw new Error(`demo function: '${functionName}' is not allowed (use ${DEMO_FUNCTION_NAMES.join(', ')})`);
  }
  const { random, now } = options;
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'user-agent': 'maif-sandbox-workload/1.0',
    'x-forwarded-proto': 'https',
  };
  if (random() < USER_SHARE) headers[USER_HEADER] = pick(USERS, random);
  if (options.fault) headers[FAULT_HEADER] = options.fault;
  let body: string | undefined;
  let rawQueryString = '';
  let query: Record<string, string> | undefined;
  if (route.handler === 'createArtifact') {
    const type = pick(ARTIFACT_TYPES, random);
    const words = 20 + Math.floor(random() * 400);
    body = JSON.stringify({
      type,
      name: `${type}-${Math.floor(random() * 1e6)}`,
      content: 'lorem ipsum '.repeat(words),
    });
  } else if (route.handler === 'semanticSearch') {
    query = { q: searchQuery(random), limit: '10' };
    rawQueryString = `q=${encodeURIComponent(query.q)}&limit=10`;
  } else {
    const count = 1 + Math.floor(random() * 8);
    body = JSON.stringify({ texts: Array.from({ length: count }, () => searchQuery(random)) });
  }
  const requestId = randomUUID();
  return {
    version: '2.0',
    routeKey: `${route.method} ${route.path}`,
    rawPath: route.path,
    rawQueryString,
    headers,
    ...(query ? { queryStringParameters: query } : {}),
    requestContext: {
      accountId: '000000000000',
      apiId: 'maifsandbox',
      domainName: 'maifsandbox.execute-api.localhost',
      domainPrefix: 'maifsandbox',
      http: {
        method: route.method,
        path: route.path,
        protocol: 'HTTP/1.1',
        sourceIp: '127.0.0.1',
        userAgent: headers['user-agent'],
      },
      requestId,
      routeKey: `${route.method} ${route.path}`,
      stage: '$default',
      time: new Date(now).toISOString(),
      timeEpoch: now,
    },
    ...(body !== undefined ? { body } : {}),
    isBase64Encoded: false,
  };
}
