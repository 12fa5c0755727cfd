import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSync } from 'esbuild';

describe('importing the tracer', () => {
  it('loads no X-Ray SDK module and opens no timer or socket', () => {
    // The tracer is bundled as the layer ships it (SDK left external so a require of it shows up
    // in require.cache) and loaded by plain node: no TypeScript loader's own files or workers.
    const dir = mkdtempSync(join(tmpdir(), 'tracer-import-'));
    const bundle = join(dir, 'tracer.js');
    buildSync({
      entryPoints: [join(__dirname, '..', '..', 'layers', 'instrumentation', 'tracer', 'index.ts')],
      outfile: bundle,
      bundle: true,
      platform: 'node',
      format: 'cjs',
      external: ['aws-xray-sdk-core', 'aws-xray-sdk-core/*', 'cls-hooked'],
      logLevel: 'error',
    });
    const script = `
      const before = process.getActiveResourcesInfo().length;
      const tracer = require(${JSON.stringify(bundle)});
      new tracer.Tracer({ env: {} });
      const sdk = Object.keys(require.cache).filter((k) => k.includes('aws-xray-sdk-core') || k.includes('cls-hooked'));
      const handles = process.getActiveResourcesInfo().slice(before);
      process.stdout.write(JSON.stringify({ sdk, handles }));
    `;
    try {
      const out = execFileSync(process.execPath, ['-e', script], {
        cwd: join(__dirname, '..', '..'),
        encoding: 'utf8',
      });
      expect(JSON.parse(out)).toEqual({ sdk: [], handles: [] });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
