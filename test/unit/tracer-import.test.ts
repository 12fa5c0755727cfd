import { execFileSync } from 'node:child_process';

describe('importing the tracer', () => {
  it('loads no X-Ray SDK module and opens no timer or socket', () => {
    // Resources open before the import (tsx's own, stdio) are the baseline.
    const script = `
      const before = process.getActiveResourcesInfo().length;
      const tracer = require('./layers/instrumentation/tracer/index.ts');
      new tracer.Tracer({ env: {} });
      const sdk = Object.keys(require.cache).filter((k) => k.includes('aws-xray-sdk-core') || k.includes('cls-hooked'));
      const handles = process.getActiveResourcesInfo().slice(before);
      process.stdout.write(JSON.stringify({ sdk, handles }));
    `;
    const out = execFileSync(process.execPath, ['--require', 'tsx/cjs', '-e', script], {
      cwd: `${__dirname}/../..`,
      encoding: 'utf8',
    });
    expect(JSON.parse(out)).toEqual({ sdk: [], handles: [] });
  });
});
