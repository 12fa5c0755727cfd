import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { handler as unbundled } from '../../lambdas/health-probe';

describe('the health probe entry point', () => {
  let server: Server;
  let dir: string;

  beforeAll(async () => {
    server = createServer((_req, res) => res.writeHead(200).end('ok'));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    dir = mkdtempSync(join(tmpdir(), 'health-probe-'));
  });

  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('says how to bundle it when no configuration was bundled', async () => {
    await expect(unbundled({})).rejects.toThrow(/^health-probe: no configuration bundled/);
  });

  it('runs the configuration esbuild bundled into it, as the CDK stack builds it', async () => {
    const { port } = server.address() as AddressInfo;
    const config = { targets: [{ name: 'api', type: 'https', url: `http://127.0.0.1:${port}/health`, timeout: '5s' }] };
    const outfile = join(dir, 'index.js');
    await build({
      entryPoints: [join(__dirname, '../../lambdas/health-probe/index.ts')],
      outfile,
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'cjs',
      logLevel: 'silent',
      define: { __MAIF_CONFIG__: JSON.stringify(JSON.stringify(config)) },
    });
    const stdout = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);

    const { handler } = require(outfile) as { handler: (event: unknown) => Promise<{ results: unknown[] }> };
    const summary = await handler({ source: 'aws.events' });

    const written = stdout.mock.calls.map((call) => String(call[0])).join('');
    stdout.mockRestore();
    expect(summary.results).toEqual([{ target: 'api', up: true, durationMs: expect.any(Number) }]);
    expect(written.trim().split('\n')).toHaveEmittedEMF('up');
  });
});
