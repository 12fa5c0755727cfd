/**
 * Builds README.md from the fragments in docs/readme/ (in file-name order) and the metric
 * catalog table generated from layers/instrumentation/catalog.ts, so the table can never drift
 * from what the kit emits. `npm run docs` writes it; a test checks README.md is current.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { METRIC_CATALOG } from '../layers/instrumentation/catalog';

const ROOT = join(__dirname, '..');
const FRAGMENTS = join(ROOT, 'docs', 'readme');
const CATALOG_MARKER = '<!-- metric-catalog -->';

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

export function buildReadme(): string {
  const parts = readdirSync(FRAGMENTS)
    // numbered fragments only: the number is the reading order, an unnumbered file is a draft
    .filter((f) => /^\d\d-.*\.md$/.test(f))
    .sort()
    .map((f) => readFileSync(join(FRAGMENTS, f), 'utf8').trim());
  return `${parts.join('\n\n').replace(CATALOG_MARKER, catalogTable())}\n`;
}

if (require.main === module) {
  writeFileSync(join(ROOT, 'README.md'), buildReadme());
  console.log('README.md written');
}
