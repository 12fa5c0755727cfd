/**
 * Regenerates the one generated part of the docs: the metric catalog table of docs/reference.md,
 * between its two markers, from layers/instrumentation/catalog.ts, so the table can never drift
 * from what the kit emits. Every other page is written by hand. `npm run docs` writes it; a test
 * (test/unit/readme.test.ts) checks it is current.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { METRIC_CATALOG } from '../layers/instrumentation/catalog';

const ROOT = join(__dirname, '..');
export const REFERENCE_PAGE = join(ROOT, 'docs', 'reference.md');
const START = /<!-- metric-catalog:start[^>]*-->/;
const END = '<!-- metric-catalog:end -->';

export function catalogTable(): string {
  const rows = Object.entries(METRIC_CATALOG).map(
    ([name, e]) =>
      `| \`${name}\` | ${e.kind} | ${e.unit} | ${e.labels.length ? e.labels.map((l) => `\`${l}\``).join(', ') : '-'} | ${e.group} | ${e.description} |`,
  );
  return [
    'Every series carries the default dimensions `service` and `environment` (the rollup set) and, in a second dimension set, its labels.',
    '',
    '| metric | kind | unit | labels | group | meaning |',
    '|---|---|---|---|---|---|',
    ...rows,
  ].join('\n');
}

/** `page` with the text between the catalog markers replaced by the current table. */
export function withCatalog(page: string): string {
  const start = START.exec(page);
  const end = page.indexOf(END);
  if (!start || end < start.index)
    throw new Error(`docs/reference.md: the markers <!-- metric-catalog:start --> and ${END} are missing`);
  const head = page.slice(0, start.index + start[0].length);
  return `${head}\n\n${catalogTable()}\n\n${page.slice(end)}`;
}

if (require.main === module) {
  const page = readFileSync(REFERENCE_PAGE, 'utf8');
  const current = withCatalog(page);
  if (current === page) {
    console.log('docs/reference.md is up to date');
  } else {
    writeFileSync(REFERENCE_PAGE, current);
    console.log('docs/reference.md: metric catalog written');
  }
}
