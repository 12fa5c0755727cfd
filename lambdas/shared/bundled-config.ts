/**
 * Configuration baked into a Lambda bundle at synth time. The CDK side bundles each handler
 * with esbuild `define: { __MAIF_CONFIG__: JSON.stringify(JSON.stringify(config)) }`, so rules
 * and lookup tables are not limited by the 4 KB environment and nothing is fetched at cold start.
 */
declare const __MAIF_CONFIG__: string | undefined;

export function bundledConfig<T>(handlerName: string): T {
  const raw = typeof __MAIF_CONFIG__ === 'string' ? __MAIF_CONFIG__ : undefined;
  if (raw === undefined) {
    throw new Error(
      `${handlerName}: no configuration bundled (build it with esbuild define __MAIF_CONFIG__, as the CDK stack does, or call createHandler(config) directly)`,
    );
  }
  return JSON.parse(raw) as T;
}
