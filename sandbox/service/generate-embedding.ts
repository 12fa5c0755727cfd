/**
 * `POST /embeddings` with `{ "texts": [...] }`: embeds a batch and adds it to the vector index.
 * Emits the embedding metrics (count, generation time), the index update (count, duration) and
 * the similarity computations of the deduplication check; traces both steps.
 */
import { EMBEDDING_MODEL, SEARCH_INDEX } from './backend';
import { BadRequestError, type HttpEvent, json, jsonBody } from './http';
import { backend, serve, timed } from './shared';
import { serviceHandler } from './telemetry';

export const OPERATION = 'generate_embedding';
const MAX_BATCH = 64;
const MAX_TEXT_LENGTH = 8192;
/** Each new vector is compared with this many neighbours to skip near-duplicates. */
const DEDUP_NEIGHBOURS = 20;

function parseTexts(event: HttpEvent): readonly string[] {
  const texts = jsonBody(event).texts;
  if (
    !Array.isArray(texts) ||
    texts.length === 0 ||
    texts.length > MAX_BATCH ||
    texts.some((t) => typeof t !== 'string' || t.length > MAX_TEXT_LENGTH)
  ) {
    throw new BadRequestError(
      `body.texts: ${JSON.stringify(texts)?.slice(0, 40)} is not allowed (use 1 to ${MAX_BATCH} strings of at most ${MAX_TEXT_LENGTH} characters)`,
    );
  }
  return texts as string[];
}

export const generateEmbedding = serviceHandler(OPERATION, ({ logger, tracer, app }) =>
  serve(
    { logger, app },
    {
      operation: OPERATION,
      logEvent: 'embedding_generation',
      parse: parseTexts,
      startFields: (texts) => ({ batch_size: texts.length }),
      failure: 'embeddings could not be generated, try again',
      run: async (texts, fault) => {
        const { value: embedded, ms: generationMs } = await tracer.startActiveSpan('embedding_generation', (span) => {
          span.setAttribute('model', EMBEDDING_MODEL);
          span.setAttribute('batch_size', texts.length);
          return timed(() => backend.embed(texts, fault));
        });
        app.embeddingsGenerated({ model: embedded.model, count: embedded.count, durationMs: generationMs });
        app.similarityComputed({
          model: embedded.model,
          count: backend.similarityComputations(embedded.count * DEDUP_NEIGHBOURS),
        });
        const { ms: indexMs } = await tracer.startActiveSpan('index_update', (span) => {
          span.setAttribute('index', SEARCH_INDEX);
          return timed(() => backend.updateIndex(embedded.count));
        });
        app.indexUpdated({ index: SEARCH_INDEX, durationMs: indexMs });
        return {
          result: json(200, { model: embedded.model, count: embedded.count, dimensions: embedded.dimensions }),
          fields: { embeddings: embedded.count, dimensions: embedded.dimensions },
        };
      },
    },
  ),
);
