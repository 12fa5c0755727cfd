/**
 * `npm run bench`: every case side by side with the anchors in one run, each in fresh
 * processes, reported as ratios in bench/RESULTS.md.
 *
 * 1. esbuild bundles the cases runner and the size/cold-require entries into .bench-tmp/.
 * 2. Each case runs in PROCESSES fresh `node` processes (stdout to /dev/null); the median wins.
 * 3. Bundle sizes (minified, gzipped) and cold `require` (median of COLD_RUNS fresh processes).
 * 4. The log aggregator's throughput (bench/log-aggregator.ts), when present.
 * 5. The sandbox's startup to first chart (bench/sandbox-startup.ts).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { buildSync } from 'esbuild';
import { CASES } from './cases';

const ROOT = join(__dirname, '..');
const TMP = join(ROOT, '.bench-tmp');
const PROCESSES = Number(process.env.BENCH_PROCESSES ?? 3);
const COLD_RUNS = Number(process.env.BENCH_COLD_RUNS ?? 21);
const XRAY = ['aws-xray-sdk-core'];

interface Measure {
  readonly title: string;
  readonly goal?: { readonly ns: number; readonly text: string };
}

const MEASURES: Record<string, Measure> = {
  counter: { title: 'counter increment', goal: { ns: 25, text: '<= 25 ns' } },
  histogram: { title: 'histogram observe', goal: { ns: 20, text: '<= 20 ns' } },
  'log-cpu': { title: 'log line, CPU only', goal: { ns: Number.NaN, text: 'no slower than pino' } },
  'log-devnull': { title: 'log line to /dev/null', goal: { ns: Number.NaN, text: 'no slower than pino' } },
  'debug-disabled': { title: 'disabled debug() call', goal: { ns: 10, text: '<= 10 ns' } },
  'flush-100x100': { title: 'record + flush 100 metrics x 100 values' },
};

function bundle(entry: string, out: string, options: { minify: boolean; external?: string[] }): string {
  const outfile = join(TMP, out);
  buildSync({
    entryPoints: [join(ROOT, entry)],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    minify: options.minify,
    external: options.external ?? [],
    logLevel: 'error',
  });
  return outfile;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1];
};

function runCase(runner: string, name: string): number | undefined {
  const results: number[] = [];
  for (let p = 0; p < PROCESSES; p++) {
    const r = spawnSync(process.execPath, [runner, name], { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
    const line = r.stderr
      .split('\n')
      .reverse()
      .find((l) => l.startsWith('{"case"'));
    const parsed = line ? (JSON.parse(line) as { nsPerOp?: number; error?: string }) : undefined;
    if (parsed?.nsPerOp === undefined) {
      console.error(`  ${name}: ${parsed?.error ?? r.stderr.slice(-400)}`);
      return undefined;
    }
    results.push(parsed.nsPerOp);
  }
  return median(results);
}

function coldRequire(file: string): number {
  const code = `const t=process.hrtime.bigint();require(${JSON.stringify(file)});process.stderr.write(String(Number(process.hrtime.bigint()-t)/1e6))`;
  const times: number[] = [];
  for (let i = 0; i < COLD_RUNS; i++) {
    const r = spawnSync(process.execPath, ['-e', code], { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
    times.push(Number(r.stderr.trim()));
  }
  return median(times);
}

/** Runs bench/`file` with tsx: its Markdown section, the tail of its stderr if it failed, '' if absent. */
function runScript(file: string, title: string): string {
  const path = join(ROOT, 'bench', file);
  if (!existsSync(path)) return '';
  console.log(`${title}...`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', path], { cwd: ROOT, encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : `failed: ${r.stderr.slice(-500)}`;
}

const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;
const fmtNs = (ns: number | undefined) =>
  ns === undefined ? 'n/a' : ns >= 1000 ? `${(ns / 1000).toFixed(2)} µs` : `${ns.toFixed(1)} ns`;
const ratio = (ours: number | undefined, other: number | undefined) =>
  ours === undefined || other === undefined ? '' : `${(other / ours).toFixed(1)}x`;

function main(): void {
  mkdirSync(TMP, { recursive: true });
  console.log('bundling...');
  const runner = bundle('bench/cases.ts', 'cases.js', { minify: false });
  const AWS_SDK = ['@aws-sdk/*'];
  const sizes = {
    ours: bundle('bench/entries/ours.ts', 'ours.min.js', { minify: true, external: [...XRAY, ...AWS_SDK] }),
    powertools: bundle('bench/entries/powertools.ts', 'powertools.min.js', {
      minify: true,
      external: [...XRAY, ...AWS_SDK],
    }),
    oursWithXray: bundle('bench/entries/ours.ts', 'ours-xray.min.js', { minify: true, external: AWS_SDK }),
    powertoolsWithXray: bundle('bench/entries/powertools.ts', 'powertools-xray.min.js', {
      minify: true,
      external: AWS_SDK,
    }),
    layer: bundle('layers/instrumentation/index.ts', 'layer.min.js', { minify: true, external: [...XRAY, ...AWS_SDK] }),
    xray: bundle('bench/entries/xray.ts', 'xray.min.js', { minify: true }),
  };

  const rows: string[] = [];
  const measured: Record<string, Record<string, number | undefined>> = {};
  for (const [key, measure] of Object.entries(MEASURES)) {
    measured[key] = {};
    for (const name of Object.keys(CASES).filter((n) => n.startsWith(`${key}/`))) {
      const lib = name.slice(key.length + 1);
      process.stdout.write(`  ${name} ... `);
      measured[key][lib] = runCase(runner, name);
      console.log(fmtNs(measured[key][lib]));
    }
    const m = measured[key];
    const goalMet =
      measure.goal === undefined
        ? ''
        : Number.isNaN(measure.goal.ns)
          ? m.ours !== undefined && m.pino !== undefined
            ? m.ours <= m.pino
              ? 'met'
              : 'not met'
            : ''
          : m.ours !== undefined
            ? m.ours <= measure.goal.ns
              ? 'met'
              : 'not met'
            : '';
    rows.push(
      `| ${measure.title} | ${fmtNs(m.ours)} | ${fmtNs(m.powertools)} (${ratio(m.ours, m.powertools) || '-'}) | ${fmtNs(m['aws-embedded-metrics'])} ${m['aws-embedded-metrics'] !== undefined ? `(${ratio(m.ours, m['aws-embedded-metrics'])})` : ''} | ${fmtNs(m.pino)} ${m.pino !== undefined ? `(${ratio(m.ours, m.pino)})` : ''} | ${measure.goal?.text ?? '-'} ${goalMet} |`,
    );
  }

  console.log('sizes and cold require...');
  const size = (file: string) => {
    const buf = readFileSync(file);
    return { min: buf.length, gzip: gzipSync(buf, { level: 9 }).length };
  };
  const s = Object.fromEntries(Object.entries(sizes).map(([k, f]) => [k, size(f)])) as Record<
    keyof typeof sizes,
    { min: number; gzip: number }
  >;
  const cold = {
    ours: coldRequire(sizes.oursWithXray),
    powertools: coldRequire(sizes.powertoolsWithXray),
    layer: coldRequire(sizes.layer),
  };

  const aggregator = runScript('log-aggregator.ts', 'log aggregator');
  const sandbox = runScript('sandbox-startup.ts', 'sandbox startup');

  const now = new Date().toISOString();
  const report = [
    '# Benchmark results',
    '',
    `Run ${now} on Node ${process.version}, ${process.platform}/${process.arch}, by \`npm run bench\`. Each case ran in ${PROCESSES} fresh processes (calibrated batches, warm-up, median of 9 rounds, then the median process); stdout was /dev/null. Ratios are how many times slower the anchor is than ours (higher is better for us).`,
    '',
    '| measure | ours | Powertools 2.x | aws-embedded-metrics | pino | goal |',
    '|---|---|---|---|---|---|',
    ...rows,
    '',
    '## Bundle size and cold start',
    '',
    `| bundle | minified | gzipped | cold \`require\` (median of ${COLD_RUNS}) |`,
    '|---|---|---|---|',
    `| ours: Logger + Metrics + Tracer + instrument() + middy, X-Ray SDK external | ${kb(s.ours.min)} | ${kb(s.ours.gzip)} | - |`,
    `| Powertools: Logger + Metrics + Tracer + middlewares + middy, X-Ray SDK external | ${kb(s.powertools.min)} | ${kb(s.powertools.gzip)} | - |`,
    `| ours, as shipped: with the X-Ray SDK modules it loads | ${kb(s.oursWithXray.min)} | ${kb(s.oursWithXray.gzip)} | ${cold.ours.toFixed(2)} ms |`,
    `| Powertools, as shipped: with aws-xray-sdk-core | ${kb(s.powertoolsWithXray.min)} | ${kb(s.powertoolsWithXray.gzip)} | ${cold.powertools.toFixed(2)} ms (${(cold.powertools / cold.ours).toFixed(1)}x) |`,
    `| the whole layer (every module of the core, monitors included), X-Ray SDK external | ${kb(s.layer.min)} | ${kb(s.layer.gzip)} | ${cold.layer.toFixed(2)} ms |`,
    `| aws-xray-sdk-core alone | ${kb(s.xray.min)} | ${kb(s.xray.gzip)} | - |`,
    '',
    'Goals: core bundle <= 25 KB minified / 8 KB gzipped (the first row); cold require <= 5 ms (the as-shipped row).',
    '',
    aggregator ? `## Log aggregator\n\n${aggregator}\n` : '',
    sandbox ? `## Sandbox startup (\`npm start\`)\n\n${sandbox}\n` : '',
  ].join('\n');
  writeFileSync(join(ROOT, 'bench', 'RESULTS.md'), report);
  console.log(report);
}

main();
