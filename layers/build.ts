/**
 * Builds the instrumentation Lambda layer: bundles `layers/instrumentation/index.ts` with the
 * locally installed esbuild (never Docker) into `nodejs/node_modules/maif-observability/`, so a
 * function resolves `require('maif-observability')` from `/opt/nodejs/node_modules`, and zips it.
 *
 * Externals: the Lambda Node.js 24 runtime ships the AWS SDK v3 (`@aws-sdk/*`), so it stays out
 * of the layer; it does NOT ship `aws-xray-sdk-core`, which is bundled in.
 * Target node20: the same bundle then also loads on the package's oldest supported Node.
 *
 * Run as a script (`npm run build:layer`) it writes `build/layer/` and `build/layer.zip` and prints
 * the sizes (raw, minified, gzipped).
 */
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { type BuildOptions, buildSync } from 'esbuild';
import { zipSync } from 'fflate';

export const LAYER_PACKAGE_NAME = 'maif-observability' as const;
/**
 * Modules the Lambda Node.js runtime documents as provided (the AWS SDK v3); bundling them would
 * only grow the layer. `@smithy/*` is bundled: the runtime ships it, but only as the SDK's own
 * dependency, with no promise about its version or path.
 */
export const LAYER_EXTERNALS = ['@aws-sdk/*'] as const;
export const LAYER_TARGET = 'node20' as const;
/** Where the layer's files sit inside the zip (Lambda mounts it at /opt). */
export const LAYER_MODULE_DIR = `nodejs/node_modules/${LAYER_PACKAGE_NAME}` as const;
/** Lambda's limit for a function plus all its layers, unzipped. */
export const MAX_UNZIPPED_LAYER_BYTES = 262_144_000;
/** A fixed timestamp in the zip keeps its bytes (and the asset hash) stable across builds. */
const ZIP_MTIME = new Date('2020-01-01T00:00:00Z');

export interface BundleLayerOptions {
  /** Directory that receives `nodejs/node_modules/maif-observability/`; emptied first. */
  readonly outDir: string;
  /** @default true */
  readonly minify?: boolean;
  /** @default - layers/instrumentation/index.ts (or .js next to a compiled copy) */
  readonly entry?: string;
}

export interface BuildLayerOptions {
  /** Receives `layer/` (the tree) and `layer.zip`. */
  readonly outDir: string;
  /** @default true */
  readonly minify?: boolean;
  /** @default - layers/instrumentation/index.ts (or .js next to a compiled copy) */
  readonly entry?: string;
}

export interface LayerSizes {
  /** Bundle bytes without minification. */
  readonly raw: number;
  /** Bundle bytes as shipped (minified unless `minify: false`). */
  readonly minified: number;
  /** gzip of the shipped bundle: roughly what a cold start reads. */
  readonly gzipped: number;
  /** The zip file. */
  readonly zip: number;
}

export interface BuildLayerResult {
  /** The directory holding `nodejs/`, ready for `lambda.Code.fromAsset`. */
  readonly layerDir: string;
  readonly zipPath: string;
  readonly sizes: LayerSizes;
}

/** The default entry: the TypeScript source in the repository, or its compiled copy in dist/. */
export function defaultLayerEntry(): string {
  const ts = resolve(__dirname, 'instrumentation/index.ts');
  return existsSync(ts) ? ts : resolve(__dirname, 'instrumentation/index.js');
}

function esbuildOptions(entry: string, minify: boolean): BuildOptions {
  return {
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: LAYER_TARGET,
    minify,
    external: [...LAYER_EXTERNALS],
    mainFields: ['module', 'main'],
    legalComments: 'eof',
    logLevel: 'silent',
    write: false,
  };
}

function bundle(entry: string, minify: boolean): Uint8Array {
  if (!existsSync(entry)) {
    throw new Error(
      `layer entry: '${entry}' does not exist (expected the instrumentation core's index.ts or index.js)`,
    );
  }
  const result = buildSync(esbuildOptions(entry, minify));
  const file = result.outputFiles?.[0];
  if (file === undefined) throw new Error(`layer entry: esbuild produced no output for '${entry}'`);
  return file.contents;
}

function packageJson(): string {
  return `${JSON.stringify({ name: LAYER_PACKAGE_NAME, main: 'index.js', license: 'Apache-2.0' }, null, 2)}\n`;
}

/** Writes the layer tree (`nodejs/node_modules/maif-observability/{index.js,package.json}`). */
export function bundleLayerTree(options: BundleLayerOptions): { readonly layerDir: string; readonly code: Uint8Array } {
  const code = bundle(options.entry ?? defaultLayerEntry(), options.minify ?? true);
  rmSync(options.outDir, { recursive: true, force: true });
  const moduleDir = join(options.outDir, LAYER_MODULE_DIR);
  mkdirSync(moduleDir, { recursive: true });
  writeFileSync(join(moduleDir, 'index.js'), code);
  writeFileSync(join(moduleDir, 'package.json'), packageJson());
  return { layerDir: options.outDir, code };
}

/** Bundles the core, writes the layer tree and its zip, and measures the sizes. */
export function buildLayer(options: BuildLayerOptions): BuildLayerResult {
  const minify = options.minify ?? true;
  const entry = options.entry ?? defaultLayerEntry();
  const layerDir = join(options.outDir, 'layer');
  const { code } = bundleLayerTree({ outDir: layerDir, minify, entry });
  const raw = minify ? bundle(entry, false).byteLength : code.byteLength;
  const zip = zipSync(
    {
      [`${LAYER_MODULE_DIR}/index.js`]: [code, { mtime: ZIP_MTIME }],
      [`${LAYER_MODULE_DIR}/package.json`]: [new TextEncoder().encode(packageJson()), { mtime: ZIP_MTIME }],
    },
    { level: 9 },
  );
  const zipPath = join(options.outDir, 'layer.zip');
  mkdirSync(dirname(zipPath), { recursive: true });
  writeFileSync(zipPath, zip);
  if (code.byteLength > MAX_UNZIPPED_LAYER_BYTES) {
    throw new Error(
      `layer bundle: ${code.byteLength} bytes exceeds Lambda's ${MAX_UNZIPPED_LAYER_BYTES}-byte unzipped limit`,
    );
  }
  return {
    layerDir,
    zipPath,
    sizes: { raw, minified: code.byteLength, gzipped: gzipSync(code, { level: 9 }).byteLength, zip: zip.byteLength },
  };
}

function kb(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} KB`;
}

if (require.main === module) {
  const outDir = resolve(__dirname, '../build');
  const { zipPath, sizes } = buildLayer({ outDir, minify: !process.argv.includes('--no-minify') });
  process.stdout.write(
    `${zipPath}\n  raw ${kb(sizes.raw)}  minified ${kb(sizes.minified)}  gzipped ${kb(sizes.gzipped)}  zip ${kb(sizes.zip)}\n`,
  );
}
