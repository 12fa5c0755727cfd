/**
 * The README, CONTRIBUTING.md and the user guide in docs/: the generated metric catalog is
 * current, the README keeps its set-up commands and stays short, and every relative link points
 * at a file that exists (and, with a #fragment, at a heading of that page).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, extname, join, relative, resolve } from 'node:path';
import { METRIC_CATALOG } from '../../layers/instrumentation/catalog';
import { catalogTable, REFERENCE_PAGE, withCatalog } from '../../scripts/readme';

const ROOT = resolve(__dirname, '..', '..');
const README = join(ROOT, 'README.md');
const read = (path: string) => readFileSync(path, 'utf8');

/** README.md, CONTRIBUTING.md and every page under docs/. */
function markdownFiles(): string[] {
  const pages: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.md')) pages.push(path);
    }
  };
  walk(join(ROOT, 'docs'));
  return [README, join(ROOT, 'CONTRIBUTING.md'), ...pages.sort()];
}

/** The lines outside fenced code blocks (the lines of a block read as empty). */
function proseLines(markdown: string): string[] {
  let fence: string | undefined;
  return markdown.split('\n').map((line) => {
    const marker = /^\s*(```|~~~)/.exec(line)?.[1];
    if (fence === undefined && marker) {
      fence = marker;
      return '';
    }
    if (fence !== undefined) {
      if (marker === fence) fence = undefined;
      return '';
    }
    return line;
  });
}

const withoutCode = (line: string) => line.replace(/`[^`]*`/g, '');

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens. */
function slug(heading: string): string {
  return heading
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1') // a link in a heading anchors by its text
    .replace(/[`*]/g, '')
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
    .replace(/ /g, '-');
}

/** The anchors of a page: its headings (a repeated one gets -1, -2, ... as on GitHub) and explicit ids. */
function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const line of proseLines(markdown)) {
    const heading = /^#{1,6}\s+(.+?)\s*#*\s*$/.exec(line);
    if (heading) {
      const base = slug(heading[1]);
      const n = seen.get(base) ?? 0;
      seen.set(base, n + 1);
      anchors.add(n === 0 ? base : `${base}-${n}`);
    }
    for (const id of line.matchAll(/<a\s+(?:id|name)="([^"]+)"/g)) anchors.add(id[1]);
  }
  return anchors;
}

/** The link targets of a page, outside code: inline links and images, and reference definitions. */
function linksOf(markdown: string): { readonly line: number; readonly target: string }[] {
  const links: { line: number; target: string }[] = [];
  proseLines(markdown).forEach((text, i) => {
    const line = withoutCode(text);
    for (const m of line.matchAll(/!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
      links.push({ line: i + 1, target: m[1] });
    }
    const definition = /^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+"[^"]*")?\s*$/.exec(line);
    if (definition) links.push({ line: i + 1, target: definition[1] });
  });
  return links;
}

/** What is wrong with each relative link of `file` (an empty list when every one resolves). */
function brokenLinks(file: string): string[] {
  const problems: string[] = [];
  const where = (line: number) => `${relative(ROOT, file)}:${line}`;
  for (const { line, target } of linksOf(read(file))) {
    if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto:: not ours to check
    const hash = target.indexOf('#');
    const path = decodeURIComponent(hash === -1 ? target : target.slice(0, hash));
    const fragment = hash === -1 ? undefined : decodeURIComponent(target.slice(hash + 1));
    const resolved = path === '' ? file : resolve(dirname(file), path);
    if (!existsSync(resolved)) {
      problems.push(`${where(line)}: ${target} -> ${relative(ROOT, resolved)} does not exist`);
      continue;
    }
    if (fragment === undefined) continue;
    if (extname(resolved) !== '.md') {
      problems.push(`${where(line)}: ${target} has a #fragment but is not a Markdown page`);
    } else if (!anchorsOf(read(resolved)).has(fragment)) {
      problems.push(`${where(line)}: ${target} -> no heading '#${fragment}' in ${relative(ROOT, resolved)}`);
    }
  }
  return problems;
}

describe('metric catalog in docs/reference.md', () => {
  it('is current (run `npm run docs` after changing layers/instrumentation/catalog.ts)', () => {
    const page = read(REFERENCE_PAGE);
    expect(page).toBe(withCatalog(page));
  });

  it('lists every catalog metric with its unit and labels', () => {
    const table = catalogTable();
    for (const [name, entry] of Object.entries(METRIC_CATALOG)) {
      const row = table.split('\n').find((line) => line.startsWith(`| \`${name}\` |`));
      expect(row).toBeDefined();
      expect(row).toContain(`| ${entry.unit} |`);
      for (const label of entry.labels) expect(row).toContain(`\`${label}\``);
    }
  });
});

describe('README', () => {
  it('shows the set-up commands', () => {
    const readme = read(README);
    expect(readme).toContain('npm ci');
    expect(readme).toContain('npm test');
    expect(readme).toContain('npm start');
  });

  it('stays one or two screens long: the guide is in docs/', () => {
    expect(read(README).split('\n').length).toBeLessThanOrEqual(120);
  });
});

describe('links in README.md, CONTRIBUTING.md and docs/', () => {
  it('anchors headings as GitHub does', () => {
    expect(slug('Middleware: `instrument()`')).toBe('middleware-instrument');
    expect(slug('Testing alert rules (`maif-obs test-rules`)')).toBe('testing-alert-rules-maif-obs-test-rules');
    expect(slug('On-call: `maif-obs alerts`, `ack`')).toBe('on-call-maif-obs-alerts-ack');
    expect([...anchorsOf('# A\n## Options\n```\n# not a heading\n```\n## Options\n')]).toEqual([
      'a',
      'options',
      'options-1',
    ]);
  });

  it('finds the links of a page, outside code', () => {
    const links = linksOf('[a](a.md) `[b](b.md)` ![c](c.png "title")\n```\n[d](d.md)\n```\n[e]: e.md\n');
    expect(links.map((l) => l.target)).toEqual(['a.md', 'c.png', 'e.md']);
    expect(linksOf(read(README)).length).toBeGreaterThan(5);
  });

  it.each(markdownFiles().map((file) => [relative(ROOT, file), file]))(
    'every relative link of %s points at an existing file and heading',
    (_name, file) => {
      expect(brokenLinks(file)).toEqual([]);
    },
  );
});
