import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { unzipSync } from 'fflate';
import { type BuildLayerResult, buildLayer, LAYER_MODULE_DIR } from '../../layers/build';

const WORK = resolve(__dirname, '../../test-artifacts/layer-build');
const ENTRY = join(WORK, 'entry.ts');

describe('buildLayer', () => {
  let result: BuildLayerResult;

  beforeAll(() => {
    mkdirSync(WORK, { recursive: true });
    // A stand-in for the core's index: it uses the X-Ray SDK (bundled) and the AWS SDK (external).
    writeFileSync(
      ENTRY,
      [
        "import * as xray from 'aws-xray-sdk-core';",
        "import type { SQSClient } from '@aws-sdk/client-sqs';",
        "export const loadSqs = (): typeof SQSClient => require('@aws-sdk/client-sqs').SQSClient;",
        "export const describe = (name: string): string => name + ':' + typeof xray.captureAsyncFunc;",
        '',
      ].join('\n'),
    );
    result = buildLayer({ outDir: join(WORK, 'out'), entry: ENTRY });
  });

  it('zips nodejs/node_modules/maif-observability with index.js and package.json', () => {
    const files = unzipSync(readFileSync(result.zipPath));
    expect(Object.keys(files).sort()).toEqual([`${LAYER_MODULE_DIR}/index.js`, `${LAYER_MODULE_DIR}/package.json`]);
    expect(JSON.parse(new TextDecoder().decode(files[`${LAYER_MODULE_DIR}/package.json`]))).toMatchObject({
      name: 'maif-observability',
      main: 'index.js',
    });
  });

  it('writes a module that loads and runs under the name functions import', () => {
    const mod = require(join(result.layerDir, 'nodejs/node_modules/maif-observability'));
    expect(mod.describe('probe')).toBe('probe:function');
  });

  it('bundles the X-Ray SDK and leaves the AWS SDK to the Lambda runtime', () => {
    const code = readFileSync(join(result.layerDir, LAYER_MODULE_DIR, 'index.js'), 'utf8');
    expect(code).toContain('require("@aws-sdk/client-sqs")');
    expect(code).not.toContain('require("aws-xray-sdk-core")');
  });

  it('reports sizes that shrink from raw to minified to gzipped', () => {
    const { raw, minified, gzipped, zip } = result.sizes;
    expect(minified).toBe(readFileSync(join(result.layerDir, LAYER_MODULE_DIR, 'index.js')).byteLength);
    expect(minified).toBeLessThan(raw);
    expect(gzipped).toBeLessThan(minified);
    expect(zip).toBe(readFileSync(result.zipPath).byteLength);
  });

  it('produces the same zip bytes on a second build', () => {
    const again = buildLayer({ outDir: join(WORK, 'again'), entry: ENTRY });
    expect(readFileSync(again.zipPath).equals(readFileSync(result.zipPath))).toBe(true);
  });

  it('names the missing entry when there is nothing to bundle', () => {
    const missing = join(WORK, 'missing.ts');
    expect(() => buildLayer({ outDir: join(WORK, 'none'), entry: missing })).toThrow(
      `layer entry: '${missing}' does not exist (expected the instrumentation core's index.ts or index.js)`,
    );
  });
});
