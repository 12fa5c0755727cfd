/**
 * Sandbox startup: wall time from `node bin/maif-obs.js sandbox` (what `npm start` runs) to the
 * first chart with a data point on the page's snapshot API, and to the alert pipeline being up
 * (the ack API answering). Goal: first chart under 10 s. Runs the first start without the synth
 * cache (a fresh clone), then RUNS warm starts; prints a Markdown section for bench/RESULTS.md.
 *   node --import tsx bench/sandbox-startup.ts
 */
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { SANDBOX_CACHE_DIR } from '../sandbox/synth';

const ROOT = join(__dirname, '..');
const RUNS = 3;
const GOAL_MS = 10_000;
/** Readiness polls, 50 ms apart: a minute and more, with the requests' own time. */
const POLLS = 1200;

interface Startup {
  readonly url: number;
  readonly firstChart: number;
  readonly pipeline: number;
}

async function json(url: string): Promise<unknown> {
  const res = await fetch(url);
  return res.json();
}

function hasPoint(snapshot: unknown): boolean {
  const dashboards =
    (snapshot as { dashboards?: { panels: { series: { points: [number, number | null][] }[] }[] }[] }).dashboards ?? [];
  return dashboards.some((d) => d.panels.some((p) => p.series.some((s) => s.points.some(([, v]) => v !== null))));
}

async function once(): Promise<Startup> {
  const t0 = performance.now();
  const child = spawn(
    process.execPath,
    [join(ROOT, 'bin', 'maif-obs.js'), 'sandbox', '--port', '0', '--no-open', '--quiet'],
    {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  let err = '';
  child.stdout.on('data', (c: Buffer) => {
    out += c.toString('utf8');
  });
  // read, so a chatty child never blocks on a full pipe, and kept for the failure message
  child.stderr.on('data', (c: Buffer) => {
    err += c.toString('utf8');
  });
  const output = () => `stdout:\n${out}\nstderr:\n${err}`;
  const exited = new Promise<void>((done) => child.on('exit', () => done()));
  try {
    let base = '';
    let urlAt = 0;
    let chartAt = 0;
    let pipelineAt = 0;
    for (let i = 0; i < POLLS && (chartAt === 0 || pipelineAt === 0); i++) {
      if (child.exitCode !== null) throw new Error(`sandbox exited (code ${child.exitCode}); ${output()}`);
      if (!base) {
        const m = /(http:\/\/127\.0\.0\.1:\d+)/.exec(out);
        if (m) {
          base = m[1];
          urlAt = performance.now() - t0;
        }
      } else {
        if (chartAt === 0 && hasPoint(await json(`${base}/api/snapshot`))) chartAt = performance.now() - t0;
        if (pipelineAt === 0) {
          const res = await fetch(`${base}/api/alerts`);
          await res.arrayBuffer();
          if (res.status === 200) pipelineAt = performance.now() - t0;
        }
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    // a 0 would print as '0.00 s' and meet the goal: a sandbox that never got ready is a failure
    if (chartAt === 0 || pipelineAt === 0) {
      const chart = chartAt ? 'seen' : 'not seen';
      const pipeline = pipelineAt ? 'up' : 'not up';
      throw new Error(
        `sandbox not ready after ${POLLS} polls (page URL ${base || 'not printed'}, chart with data ${chart}, alert pipeline ${pipeline}); ${output()}`,
      );
    }
    return { url: urlAt, firstChart: chartAt, pipeline: pipelineAt };
  } finally {
    child.kill('SIGINT');
    await exited;
  }
}

async function main(): Promise<void> {
  rmSync(SANDBOX_CACHE_DIR, { recursive: true, force: true });
  const cold = await once();
  const warm: Startup[] = [];
  for (let i = 0; i < RUNS; i++) warm.push(await once());
  const median = (key: keyof Startup) =>
    [...warm].map((w) => w[key]).sort((a, b) => a - b)[Math.floor(warm.length / 2)];
  const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
  const firstChart = median('firstChart');
  console.log(
    [
      '| start | page URL printed | first chart with data | alert pipeline up (ack API answers) |',
      '|---|---|---|---|',
      `| first start (no synth cache, as on a fresh clone) | ${s(cold.url)} | ${s(cold.firstChart)} | ${s(cold.pipeline)} |`,
      `| later starts (median of ${RUNS}, synthesized template cached) | ${s(median('url'))} | ${s(firstChart)} | ${s(median('pipeline'))} |`,
      '',
      `Goal: first chart under ${GOAL_MS / 1000} s, judged on the first start (no synth cache, the slowest case): ${cold.firstChart < GOAL_MS ? 'met' : 'not met'} (${s(cold.firstChart)}).`,
    ].join('\n'),
  );
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
