import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { METRIC_CATALOG } from '../../layers/instrumentation/catalog';
import { buildReadme, catalogTable } from '../../scripts/readme';

describe('README', () => {
  it('is the current build of docs/readme (run `npm run docs` after editing a fragment)', () => {
    const readme = readFileSync(join(__dirname, '..', '..', 'README.md'), 'utf8');
    expect(readme).toBe(buildReadme());
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

  it('shows the two set-up commands', () => {
    const readme = buildReadme();
    expect(readme).toContain('npm ci');
    expect(readme).toContain('npm test');
    expect(readme).toContain('npm start');
  });
});
