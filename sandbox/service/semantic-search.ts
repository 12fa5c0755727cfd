/**
 * `GET /search?q=...&limit=...`: semantic search over the artifacts. Emits the search metrics
 * (query count, search duration, result quality, cache hit or miss), the artifact reads it implies
 * and the business metrics; traces the index query with its cache outcome.
 */

import { SEARCH_INDEX } from './backend';
import { BadRequestError, type HttpEvent, type HttpResult, json, userOf } from './http';
import { backend, faultOf, injectRuntimeFault, isBadRequest, rejected, timed } from './shared';
import { serviceTelemetry } from './telemetry';

export const OPERATION = 'semantic_search';
const MAX_QUERY_LENGTH = 512;
const DEFAULT_LIMIT = 10;
const MAX_LIMIT = 50;
/** Bytes read from the store per result returned (its metadata record). */
const RESULT_RECORD_BYTES = 2048;

const { logger, tracer, app, wrap } = serviceTelemetry(OPERATION);

function parseQuery(event: HttpEvent): { readonly query: string; readonly limit: number } {
  const params = event.queryStringParameters ?? {};
  const query = params.q?.trim() ?? '';
  if (query === '' || query.length > MAX_QUERY_LENGTH) {
    throw new BadRequestError(
      `query parameter q: '${query.slice(0, 40)}' is not allowed (use 1 to ${MAX_QUERY_LENGTH} characters)`,
    );
  }
  const rawLimit = params.limit;
  const limit = rawLimit === undefined ? DEFAULT_LIMIT : Number(rawLimit);
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) {
    throw new BadRequestError(
      `query parameter limit: '${rawLimit}' is not allowed (use a whole number from 1 to ${MAX_LIMIT})`,
    );
  }
  return { query, limit };
}

export const semanticSearch = wrap(async (event: HttpEvent): Promise<HttpResult> => {
  const started = performance.now();
  const userId = userOf(event);
  let request: ReturnType<typeof parseQuery>;
  let fault: ReturnType<typeof faultOf>;
  try {
    fault = faultOf(event);
    request = parseQuery(event);
  } catch (error) {
    if (isBadRequest(error)) return rejected(logger, OPERATION, userId, error);
    throw error;
  }
  injectRuntimeFault(fault);
  app.setActiveUsers(backend.touchUser(userId, Date.now()));
  app.featureUsed(OPERATION);
  logger.debug('search_started', { operation: OPERATION, user_id: userId, query_length: request.query.length });
  try {
    const { value: outcome, ms: durationMs } = await tracer.startActiveSpan('vector_search', async (span) => {
      span.setAttribute('index', SEARCH_INDEX);
      const result = await timed(() => backend.search(request.query, request.limit, fault));
      span.setAttribute('cache_hit', result.value.cacheHit);
      span.setAttribute('result_count', result.value.results.length);
      return result;
    });
    app.searchPerformed({
      index: SEARCH_INDEX,
      durationMs,
      resultQuality: outcome.quality,
      cacheHit: outcome.cacheHit,
      cache: 'query_cache',
    });
    if (outcome.results.length > 0) {
      app.artifactAccessed({ type: 'document', accessType: 'search' });
      app.storageOperation({ operation: 'read', bytes: outcome.results.length * RESULT_RECORD_BYTES });
    }
    logger.info('search_completed', {
      operation: OPERATION,
      user_id: userId,
      duration_ms: Math.round((performance.now() - started) * 100) / 100,
      status: 'success',
      result_count: outcome.results.length,
      cache_hit: outcome.cacheHit,
    });
    return json(200, { results: outcome.results, cached: outcome.cacheHit });
  } catch (error) {
    logger.error('search_failed', {
      operation: OPERATION,
      user_id: userId,
      duration_ms: Math.round((performance.now() - started) * 100) / 100,
      status: 'error',
      error,
    });
    return json(500, { error: 'search is unavailable, try again' });
  }
});
