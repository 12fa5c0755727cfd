/**
 * The repository's import graph, read from the source with TypeScript's own pre-processor
 * (static imports, re-exports, `require()` and `import()` of string literals), for the tests
 * that hold the layout: which folder may import which, and what a command loads.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';

export const ROOT = resolve(__dirname, '..', '..');

/** Folders from top to bottom: a file may import only from its own folder or one below it. */
export const LAYERS = [
  'bin',
  'cli',
  'sandbox',
  'lib',
  'layers/build',
  'lambdas',
  'domain',
  'layers/instrumentation',
] as const;
export type Layer = (typeof LAYERS)[number];

const SOURCE_FOLDERS = ['bin', 'cli', 'sandbox', 'lib', 'lambdas', 'domain', 'layers'];
const SKIP = new Set(['node_modules', 'dist', 'cdk.out']);

export interface ImportEdge {
  /** Repository-relative path of the importing file. */
  readonly from: string;
  /** Repository-relative path of the imported file, or the package name (`aws-cdk-lib/aws-sns`). */
  readonly to: string;
  readonly kind: 'file' | 'package';
}

function sourceFiles(folder: string, out: string[] = []): string[] {
  for (const entry of readdirSync(folder, { withFileTypes: true })) {
    if (SKIP.has(entry.name)) continue;
    const path = join(folder, entry.name);
    if (entry.isDirectory()) sourceFiles(path, out);
    else if (/\.(ts|js)$/.test(entry.name) && !entry.name.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

const isFile = (path: string) => existsSync(path) && statSync(path).isFile();

function resolveRelative(fromFile: string, specifier: string): string | undefined {
  const base = resolve(dirname(fromFile), specifier);
  const candidates = [base, `${base}.ts`, `${base}.js`, join(base, 'index.ts'), base.replace(/\.js$/, '.ts')];
  return candidates.find(isFile);
}

const CORE_ALIAS = /^#core(?:\/(.*))?$/;

function resolveSpecifier(fromFile: string, specifier: string): ImportEdge['to'] | undefined {
  const alias = CORE_ALIAS.exec(specifier);
  if (alias) {
    const target = alias[1] === undefined ? 'index' : alias[1];
    return resolveRelative(join(ROOT, 'layers/instrumentation', 'x.ts'), `./${target}`);
  }
  if (specifier.startsWith('.')) return resolveRelative(fromFile, specifier);
  return undefined;
}

/** Every import of every source file under the layered folders. */
export function importEdges(): ImportEdge[] {
  const edges: ImportEdge[] = [];
  for (const folder of SOURCE_FOLDERS) {
    for (const file of sourceFiles(join(ROOT, folder))) {
      const info = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
      const from = relative(ROOT, file);
      for (const { fileName } of info.importedFiles) {
        if (fileName.startsWith('node:')) continue;
        const target = resolveSpecifier(file, fileName);
        if (target !== undefined) edges.push({ from, to: relative(ROOT, target), kind: 'file' });
        else if (fileName.startsWith('.') || fileName.startsWith('#'))
          edges.push({ from, to: `?${fileName}`, kind: 'file' });
        else edges.push({ from, to: fileName, kind: 'package' });
      }
    }
  }
  return edges;
}

/** The layer a repository path belongs to, or undefined outside the layered folders. */
export function layerOf(path: string): Layer | undefined {
  if (path.startsWith('layers/instrumentation/')) return 'layers/instrumentation';
  if (path.startsWith('layers/')) return 'layers/build';
  const top = path.split('/')[0];
  return (LAYERS as readonly string[]).includes(top) ? (top as Layer) : undefined;
}

/** The package an import names: `@aws-sdk/client-sns` for `@aws-sdk/client-sns/dist/x`. */
export function packageOf(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

/** Files reachable from `entries` through file imports (the entries included). */
export function reachable(edges: readonly ImportEdge[], entries: readonly string[]): Set<string> {
  const next = new Map<string, string[]>();
  for (const e of edges) if (e.kind === 'file') next.set(e.from, [...(next.get(e.from) ?? []), e.to]);
  const seen = new Set<string>(entries);
  const stack = [...entries];
  while (stack.length > 0) {
    for (const to of next.get(stack.pop() as string) ?? []) {
      if (!seen.has(to)) {
        seen.add(to);
        stack.push(to);
      }
    }
  }
  return seen;
}

/** Strongly connected components of more than one file, or a file importing itself: the import circles. */
export function importCircles(edges: readonly ImportEdge[]): string[][] {
  const next = new Map<string, string[]>();
  for (const e of edges) if (e.kind === 'file') next.set(e.from, [...(next.get(e.from) ?? []), e.to]);
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const circles: string[][] = [];
  let counter = 0;
  const visit = (node: string): void => {
    index.set(node, counter);
    low.set(node, counter);
    counter++;
    stack.push(node);
    onStack.add(node);
    for (const to of next.get(node) ?? []) {
      if (!index.has(to)) {
        visit(to);
        low.set(node, Math.min(low.get(node) as number, low.get(to) as number));
      } else if (onStack.has(to)) {
        low.set(node, Math.min(low.get(node) as number, index.get(to) as number));
      }
    }
    if (low.get(node) === index.get(node)) {
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop() as string;
        onStack.delete(member);
        component.push(member);
      } while (member !== node);
      if (component.length > 1 || (next.get(node) ?? []).includes(node)) circles.push(component.sort());
    }
  };
  for (const node of next.keys()) if (!index.has(node)) visit(node);
  return circles;
}

/** Packages the pure core and the CLI must never load: CDK, and the AWS SDK for the core. */
export const CDK_PACKAGES: readonly string[] = ['aws-cdk-lib', 'constructs', 'cdk-nag'];

/** One broken layout rule: the importing file, what it imports, and the rule. */
export interface Violation {
  readonly from: string;
  readonly to: string;
  readonly rule: string;
}

const rank = (layer: Layer) => LAYERS.indexOf(layer);

function privateOwner(path: string): string | undefined {
  const at = path.lastIndexOf('/private/');
  return at < 0 ? undefined : path.slice(0, at);
}

/** Every edge that breaks the layout's rules (see CONTRIBUTING.md, "Layout"). */
export function layoutViolations(edges: readonly ImportEdge[]): Violation[] {
  const out: Violation[] = [];
  for (const { from, to, kind } of edges) {
    const source = layerOf(from);
    if (source === undefined) continue;
    if (kind === 'package') {
      const pkg = packageOf(to);
      if ((source === 'domain' || source === 'layers/instrumentation') && CDK_PACKAGES.includes(pkg))
        out.push({ from, to, rule: `${source} loads no CDK` });
      if (source === 'domain' && pkg.startsWith('@aws-sdk/')) out.push({ from, to, rule: 'domain calls no AWS SDK' });
      continue;
    }
    if (to.startsWith('?')) {
      out.push({ from, to, rule: 'every import resolves to a file' });
      continue;
    }
    const target = layerOf(to);
    if (target === undefined) {
      out.push({ from, to, rule: 'imports stay inside the layered folders' });
      continue;
    }
    if (rank(target) < rank(source)) out.push({ from, to, rule: `${source} does not import ${target} (an arrow up)` });
    if (source === 'layers/instrumentation' && target !== source)
      out.push({ from, to, rule: 'the instrumentation layer imports nothing else in the repository' });
    if (source === 'lib' && target === 'lambdas')
      out.push({ from, to, rule: 'lib names handler entry files for bundling but imports no handler code' });
    if (source === 'lambdas' && target === 'lambdas') {
      const [, a] = from.split('/');
      const [, b] = to.split('/');
      if (a !== b && b !== 'shared') out.push({ from, to, rule: "a handler imports no other handler's folder" });
    }
    const owner = privateOwner(to);
    if (owner !== undefined && !from.startsWith(`${owner}/`))
      out.push({ from, to, rule: `only ${owner}/ imports its private/ modules` });
  }
  return out;
}
