/**
 * Bundles the demo service the way the stack bundles Lambda functions (esbuild, platform node,
 * CommonJS, target node20, the instrumentation core and aws-xray-sdk-core bundled in), and the
 * execution environment's bootstrap next to it. Output goes to a fresh temporary directory unless
 * `outDir` is given; `dispose()` removes a temporary one.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type BuildOptions, build } from 'esbuild';

export const LAMBDA_TARGET = 'node20' as const;
export const SERVICE_ENTRY = resolve(__dirname, '../service/index.ts');
export const BOOTSTRAP_ENTRY = resolve(__dirname, 'bootstrap.ts');

export interface LambdaBundle {
  readonly dir: string;
  /** The service bundle: one export per handler. */
  readonly servicePath: string;
  /** The worker entry (bootstrap.ts bundled). */
  readonly bootstrapPath: string;
  /** Removes the directory when it was a temporary one. */
  dispose(): void;
}

export interface BundleOptions {
  /** @default - a new directory under the OS temp dir */
  readonly outDir?: string;
  /** @default SERVICE_ENTRY */
  readonly serviceEntry?: string;
}

function options(entry: string, outfile: string): BuildOptions {
  return {
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: LAMBDA_TARGET,
    mainFields: ['module', 'main'],
    // readable stack traces in the sandbox's logs; the stack minifies its real bundles
    minify: false,
    legalComments: 'none',
    logLevel: 'silent',
  };
}

/** Bundles the service and the bootstrap; fails with the entry and esbuild's first error. */
export async function bundleLambdaRuntime(opts: BundleOptions = {}): Promise<LambdaBundle> {
  const serviceEntry = opts.serviceEntry ?? SERVICE_ENTRY;
  for (const entry of [serviceEntry, BOOTSTRAP_ENTRY]) {
    if (!existsSync(entry)) throw new Error(`lambda bundle entry: '${entry}' does not exist`);
  }
  const temporary = opts.outDir === undefined;
  const dir = opts.outDir ?? mkdtempSync(join(tmpdir(), 'maif-sandbox-lambda-'));
  mkdirSync(dir, { recursive: true });
  const servicePath = join(dir, 'index.js');
  const bootstrapPath = join(dir, 'bootstrap.js');
  const dispose = () => {
    if (temporary) rmSync(dir, { recursive: true, force: true });
  };
  try {
    await Promise.all([build(options(serviceEntry, servicePath)), build(options(BOOTSTRAP_ENTRY, bootstrapPath))]);
  } catch (error) {
    dispose();
    const first = (error as { errors?: { text?: string; location?: { file?: string; line?: number } }[] }).errors?.[0];
    const where = first?.location ? ` (${first.location.file}:${first.location.line})` : '';
    throw new Error(`lambda bundle: esbuild failed: ${first?.text ?? String(error)}${where}`);
  }
  return { dir, servicePath, bootstrapPath, dispose };
}
