/**
 * The OpenSearch domain settings' defaults and limits, shared by the configuration schema
 * (schema.ts) and the `LogOpenSearch` construct (lib/log-opensearch.ts); each words its own errors.
 */

export const OPENSEARCH_DEFAULTS = {
  instanceType: 't3.small.search',
  instanceCount: 1,
  volumeGb: 10,
  engineVersion: 'OpenSearch_2.19',
  failedDocumentsDays: 30,
} as const;

export const OPENSEARCH_LIMITS = {
  /** gp3's smallest volume; each instance type has its own largest, which OpenSearch checks. */
  MIN_VOLUME_GB: 10,
  MAX_VOLUME_GB: 24_576,
  MAX_INSTANCES: 80,
} as const;

/** OpenSearch Service instance types: `<family>.<size>.search` (e.g. t3.small.search, r7g.large.search). */
export const OPENSEARCH_INSTANCE_TYPE_RE = /^[a-z][a-z0-9-]*\.[a-z0-9]+\.search$/;
export const OPENSEARCH_ENGINE_VERSION_RE = /^OpenSearch_\d+\.\d+$/;

/** Data nodes: 1, or spread evenly over 2 zones (an even count) or 3 zones (a multiple of 3). */
export function isOpenSearchInstanceCount(n: number): boolean {
  return (
    Number.isInteger(n) && n >= 1 && n <= OPENSEARCH_LIMITS.MAX_INSTANCES && (n === 1 || n % 2 === 0 || n % 3 === 0)
  );
}
