/** Bundles a TypeScript entry with esbuild for a plain `node` process, outside Jest's module system. */
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type BuildOptions, buildSync } from 'esbuild';

/** The instrumentation layer as an import path an entry written anywhere can use (esbuild wants `/`). */
export const LAYER_DIR = resolve(__dirname, '../../layers/instrumentation').replaceAll('\\', '/');

/**
 * Writes `source` to `dir`/entry.ts, bundles it to `dir`/entry.js and returns that path. `options`
 * override the defaults (e.g. `tsconfigRaw` to choose the decorator flavour).
 */
export function bundleForNode(source: string, dir: string, options: BuildOptions = {}): string {
  const entry = join(dir, 'entry.ts');
  const outfile = join(dir, 'entry.js');
  writeFileSync(entry, source);
  const build = buildSync({
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'es2022',
    outfile,
    logLevel: 'silent',
    ...options,
  });
  expect(build.errors).toEqual([]);
  return outfile;
}
