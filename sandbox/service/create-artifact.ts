/**
 * `POST /artifacts`: stores an artifact. Emits the artifact metrics (count by type, size, creation
 * time), a storage write (bytes, compression ratio), the stored count and size, and the business
 * metrics; traces the storage write as its own subsegment.
 */
import { BadRequestError, type HttpEvent, json, jsonBody } from './http';
import { backend, serve, timed } from './shared';
import { serviceHandler } from './telemetry';

export const OPERATION = 'create_artifact';
export const ARTIFACT_TYPES = ['document', 'image', 'dataset', 'model'] as const;
/** API Gateway's payload limit is 10 MB; artifacts here are metadata-sized. */
const MAX_CONTENT_BYTES = 1_048_576;

interface ArtifactInput {
  readonly type: string;
  readonly name: string;
  readonly content: string;
}

function parseArtifact(event: HttpEvent): ArtifactInput {
  const body = jsonBody(event);
  const type = body.type;
  if (typeof type !== 'string' || !(ARTIFACT_TYPES as readonly string[]).includes(type)) {
    throw new BadRequestError(`body.type: ${JSON.stringify(type)} is not allowed (use ${ARTIFACT_TYPES.join(', ')})`);
  }
  const content = body.content;
  if (typeof content !== 'string' || Buffer.byteLength(content, 'utf8') > MAX_CONTENT_BYTES) {
    throw new BadRequestError(
      `body.content: ${typeof content === 'string' ? `${Buffer.byteLength(content)} bytes` : JSON.stringify(content)} is not allowed (use a string of at most ${MAX_CONTENT_BYTES} bytes)`,
    );
  }
  const name = typeof body.name === 'string' && body.name !== '' ? body.name : 'untitled';
  return { type, name, content };
}

export const createArtifact = serviceHandler(OPERATION, ({ logger, tracer, app }) =>
  serve(
    { logger, app },
    {
      operation: OPERATION,
      logEvent: 'artifact_creation',
      parse: parseArtifact,
      startFields: (input) => ({ artifact_type: input.type }),
      failure: 'the artifact could not be stored, try again',
      run: async (input, fault) => {
        const { value: stored, ms: durationMs } = await tracer.startActiveSpan('storage_write', async (span) => {
          span.setAttribute('artifact_type', input.type);
          const result = await timed(() => backend.putArtifact(input, fault));
          span.setAttribute('size_bytes', result.value.sizeBytes);
          return result;
        });
        app.artifactCreated({ type: stored.type, sizeBytes: stored.sizeBytes, durationMs });
        app.storageOperation({
          operation: 'write',
          bytes: stored.compressedBytes,
          compressionRatio: stored.sizeBytes / stored.compressedBytes,
        });
        app.setArtifactCount(backend.artifactCount);
        app.setStorageSize(backend.storedBytes);
        app.dataQuality({ check: 'completeness', score: input.name === 'untitled' ? 0.8 : 1 });
        return {
          result: json(201, { id: stored.id, type: stored.type, sizeBytes: stored.sizeBytes }),
          fields: { artifact_id: stored.id, size_bytes: stored.sizeBytes },
        };
      },
    },
  ),
);
