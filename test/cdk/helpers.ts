import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

/**
 * The module bundled into the layer in tests: the core's index once it exists, else one real
 * core module (the logger), so the layer is always built from real code.
 */
export function testLayerEntry(): string {
  const index = resolve(__dirname, '../../layers/instrumentation/index.ts');
  return existsSync(index) ? index : resolve(__dirname, '../../layers/instrumentation/logger.ts');
}

type Resources = Record<string, { Type: string; Properties?: Record<string, unknown> }>;

/** Resources of `type` in a synthesized template, by logical id. */
export function resourcesOf(template: { toJSON(): unknown }, type: string): Resources {
  const all = (template.toJSON() as { Resources: Resources }).Resources;
  return Object.fromEntries(Object.entries(all).filter(([, r]) => r.Type === type));
}
