/**
 * `GET /search?q=...&limit=...`: semantic search over the artifacts. Emits the search metrics
 * (query count, search duration, result quality, cache hit or miss), the artifact reads it implies
 * and the business metrics; traces the index query with its cache outcome.
 */

import { SEARCH_INDEX } from './backend';
import { BadRequestError, type HttpEvent, json } from './http';
import { backend, serve, timed } from './shared';
import { serviceHandler } from './telemetry';

export const OPERATION = 'semantic_search';
const MAX_QUERY_LENGTH = 512;
const DEFAULT_LIMIT = 10;
const MAX_LIMIT = 50;
/** Bytes read from the store per result returned (its metadata record). */
const RESULT_RECORD_BYTES = 2048;

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

export const semanticSearch = serviceHandler(OPERATION, ({ logger, tracer, app }) =>
  serve(
    { logger, app },
    {
      operation: OPERATION,
      logEvent: 'search',
      parse: parseQuery,
      startFields: (request) => ({ query_length: request.query.length }),
      startLevel: 'debug',
      failure: 'search is unavailable, try again',
      run: async (request, fault) => {
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
        return {
          result: json(200, { results: outcome.results, cached: outcome.cacheHit }),
          fields: { result_count: outcome.results.length, cache_hit: outcome.cacheHit },
        };
      },
    },
  ),
);
