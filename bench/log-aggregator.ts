/**
 * Log aggregator throughput: events per second on one core for decode (base64 + gunzip + JSON) +
 * parse + normalize + 5 processing rules + serialization of the forwarded line, per line kind.
 * Run: `node --import tsx bench/log-aggregator.ts` (`npm run bench` runs it too); prints a
 * Markdown table. Output lines go to a no-op sink: this measures CPU, not stdout.
 *
 * The handler is measured as Lambda runs it: bundled by esbuild (as the CDK's NodejsFunction
 * does), not through tsx, whose keepNames wrappers cost on every closure created.
 * The "floor" row is JSON.parse of each line plus JSON.stringify of the event alone: the part
 * no implementation avoids, to read the other rows against on a given machine.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { buildSync } from 'esbuild';
import type { ProcessingRule } from '../domain/logs/config';
import type { createHandler as CreateHandler } from '../lambdas/log-aggregator';
import { dataMessage } from '../test/private/cwl-payload';

const ROOT = join(__dirname, '..');
const OUT = join(ROOT, '.bench-tmp', 'log-aggregator.js');
mkdirSync(join(ROOT, '.bench-tmp'), { recursive: true });
buildSync({
  entryPoints: [join(ROOT, 'lambdas', 'log-aggregator', 'index.ts')],
  outfile: OUT,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  external: ['@aws-sdk/*'],
  logLevel: 'error',
});
const { createHandler } = require(OUT) as { createHandler: typeof CreateHandler };

const EVENTS_PER_PAYLOAD = 5000;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 9);
const GOAL_JSON_EVENTS_PER_SECOND = 200_000;

const RULES: ProcessingRule[] = [
  { name: 'drop_health_checks', condition: "path == '/health'", action: 'drop' },
  {
    name: 'enrich_user_context',
    condition: 'user_id exists',
    action: 'enrich',
    field: 'user_id',
    table: 'users',
    target: 'user',
  },
  {
    name: 'detect_critical',
    condition: "level == 'CRITICAL' and service != 'canary'",
    action: 'trigger_alert',
    severity: 'critical',
  },
  {
    name: 'extract_metrics',
    condition: 'operation exists',
    action: 'extract_metric',
    metric: 'log_operations_total',
    dimensions: ['operation'],
  },
  {
    name: 'slow_requests',
    condition: 'status >= 500 or duration_ms > 1000',
    action: 'extract_metric',
    metric: 'log_slow_total',
  },
];

const users = Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`u-${i}`, { plan: i % 2 ? 'pro' : 'free' }]));

const KINDS: Record<string, (i: number) => string> = {
  'JSON (our Logger)': (i) =>
    JSON.stringify({
      timestamp: new Date(Date.UTC(2024, 0, 1) + i).toISOString(),
      level: i % 20 === 0 ? 'ERROR' : 'INFO',
      service: 'maif-search',
      event: 'search_completed',
      trace_id: '1-65a1b2c3-0123456789abcdef01234567',
      user_id: `u-${i % 100}`,
      operation: 'semantic_search',
      duration_ms: 12.5 + (i % 40),
      status: 'success',
    }),
  'syslog RFC 5424': (i) =>
    `<14>1 2024-01-01T00:00:${String(i % 60).padStart(2, '0')}.000Z host-${i % 7} maif-worker 42 job [meta run="${i}" user="u-${i % 100}"] processed item ${i}`,
  'nginx combined': (i) =>
    `10.0.${i % 250}.1 - - [01/Jan/2024:00:00:${String(i % 60).padStart(2, '0')} +0000] "GET /artifacts/${i}?q=embedding HTTP/1.1" ${i % 50 === 0 ? 503 : 200} ${1000 + i} "https://maif.example.com/search" "Mozilla/5.0 (X11; Linux x86_64) maif-client/1.0"`,
};

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

async function measure(kind: (i: number) => string): Promise<number> {
  const handler = createHandler(
    { rules: RULES, lookupTables: { users } },
    {
      sink: () => {},
      env: { namespace: 'MAIF', service: 'maif', dlqUrl: 'http://127.0.0.1:9/unused', eventBusName: 'unused' },
    },
  );
  const payload = dataMessage(Array.from({ length: EVENTS_PER_PAYLOAD }, (_, i) => kind(i)));
  for (let i = 0; i < 3; i++) await handler(payload); // warm-up: JIT and caches
  const rates: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const start = process.hrtime.bigint();
    const result = await handler(payload);
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    if (result.processed !== EVENTS_PER_PAYLOAD)
      throw new Error(`processed ${result.processed} of ${EVENTS_PER_PAYLOAD}`);
    rates.push(EVENTS_PER_PAYLOAD / seconds);
  }
  return median(rates);
}

function floor(kind: (i: number) => string): number {
  const lines = Array.from({ length: EVENTS_PER_PAYLOAD }, (_, i) => kind(i));
  const rates: number[] = [];
  for (let r = 0; r < ROUNDS + 3; r++) {
    const start = process.hrtime.bigint();
    for (const line of lines) JSON.stringify({ message: line, ...JSON.parse(line) });
    rates.push(EVENTS_PER_PAYLOAD / (Number(process.hrtime.bigint() - start) / 1e9));
  }
  return median(rates.slice(3));
}

async function main(): Promise<void> {
  const rows: string[] = [];
  const f = floor(KINDS['JSON (our Logger)']);
  rows.push(
    `| floor: JSON.parse + JSON.stringify of the JSON line only | ${Math.round(f).toLocaleString('en-US')} | ${(1e6 / f).toFixed(2)} µs | - |`,
  );
  for (const [name, kind] of Object.entries(KINDS)) {
    const rate = await measure(kind);
    const goal = name.startsWith('JSON') ? `>= ${GOAL_JSON_EVENTS_PER_SECOND.toLocaleString('en-US')}/s` : '-';
    rows.push(`| ${name} | ${Math.round(rate).toLocaleString('en-US')} | ${(1e6 / rate).toFixed(2)} µs | ${goal} |`);
  }
  console.log(
    [
      `Decode + parse + normalize + 5 rules + serialize, ${EVENTS_PER_PAYLOAD} events per payload, median of ${ROUNDS} rounds, one core (Node ${process.version}).`,
      '',
      '| lines | events/s per core | per event | goal |',
      '|---|---|---|---|',
      ...rows,
    ].join('\n'),
  );
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
