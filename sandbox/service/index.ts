/**
 * The demo MAIF service: three instrumented Lambda handlers behind an API Gateway HTTP API. The
 * sandbox's runtime bundles this file and calls one export per function (see runtime/lambda.ts).
 */
export { createArtifact } from './create-artifact';
export { generateEmbedding } from './generate-embedding';
export { semanticSearch } from './semantic-search';
