/**
 * Benchmark cases, one per (measure, library). `node cases.js <case>` runs one case in a fresh
 * process: calibrate, warm up, then time rounds and print `{ "nsPerOp": median }` on stderr
 * (stdout belongs to the libraries: it is /dev/null or patched to a no-op).
 */
import { Writable } from 'node:stream';
import { Logger as PtLogger } from '@aws-lambda-powertools/logger';
import { MetricUnit, Metrics as PtMetrics } from '@aws-lambda-powertools/metrics';
import { createMetricsLogger, Unit } from 'aws-embedded-metrics';
import pino from 'pino';
import { Logger, Metrics } from '../layers/instrumentation/index';

type Op = () => unknown;
interface Case {
  /** Built once per process; returns the operation to time. */
  setup(): Op;
  /** The op returns a promise to await (flushes of async libraries). */
  async?: boolean;
}

const silenceStdout = () => {
  // "CPU only": every library writes through process.stdout (Powertools via a Console on it,
  // ours by default, pino through the stream given), so a no-op write leaves only their CPU.
  process.stdout.write = (() => true) as typeof process.stdout.write;
};
const noopStream = () => new Writable({ write: (_c, _e, cb) => cb() });
const FIELDS = { user_id: 'u-123', artifact_id: 'a-456', operation: 'create_artifact', duration_ms: 12.5 };
let seq = 0;
const nextValue = () => {
  seq = (seq + 7919) % 10007;
  return 1 + seq / 10;
};

process.env.POWERTOOLS_METRICS_NAMESPACE = 'Bench';
process.env.POWERTOOLS_SERVICE_NAME = 'bench';
process.env.AWS_EMF_ENVIRONMENT = 'Local';
process.env.AWS_EMF_NAMESPACE = 'Bench';

export const CASES: Record<string, Case> = {
  'counter/ours': {
    setup() {
      const c = new Metrics({ namespace: 'Bench', service: 'bench', sink: () => {} }).counter('requests', {
        labels: ['operation'],
      });
      return () => c.inc({ operation: 'search' });
    },
  },
  'counter/powertools': {
    setup() {
      silenceStdout();
      const m = new PtMetrics();
      return () => m.addMetric('requests', MetricUnit.Count, 1);
    },
  },
  'counter/aws-embedded-metrics': {
    setup() {
      let m = createMetricsLogger();
      let n = 0;
      // putMetric keeps every value in an unbounded array: start a new logger every 100 calls,
      // as a flush would, so the case measures the call and not a growing array.
      return () => {
        if (++n === 100) {
          n = 0;
          m = createMetricsLogger();
        }
        m.putMetric('requests', 1, Unit.Count);
      };
    },
  },
  'histogram/ours': {
    setup() {
      const h = new Metrics({ namespace: 'Bench', service: 'bench', sink: () => {} }).histogram('latency', {
        labels: ['operation'],
        unit: 'Milliseconds',
      });
      return () => h.observe({ operation: 'search' }, nextValue());
    },
  },
  'histogram/powertools': {
    setup() {
      silenceStdout();
      const m = new PtMetrics();
      return () => m.addMetric('latency', MetricUnit.Milliseconds, nextValue());
    },
  },
  'histogram/aws-embedded-metrics': {
    setup() {
      let m = createMetricsLogger();
      let n = 0;
      return () => {
        if (++n === 100) {
          n = 0;
          m = createMetricsLogger();
        }
        m.putMetric('latency', nextValue(), Unit.Milliseconds);
      };
    },
  },
  'log-cpu/ours': {
    setup() {
      silenceStdout();
      const l = new Logger({ service: 'bench', level: 'INFO' });
      return () => l.info('artifact_created', FIELDS);
    },
  },
  'log-cpu/pino': {
    setup() {
      const l = pino({ base: { service: 'bench' }, timestamp: pino.stdTimeFunctions.isoTime }, noopStream());
      return () => l.info(FIELDS, 'artifact_created');
    },
  },
  'log-cpu/powertools': {
    setup() {
      silenceStdout();
      const l = new PtLogger({ serviceName: 'bench', logLevel: 'INFO' });
      return () => l.info('artifact_created', FIELDS);
    },
  },
  'log-devnull/ours': {
    setup() {
      const l = new Logger({ service: 'bench', level: 'INFO' });
      return () => l.info('artifact_created', FIELDS);
    },
  },
  'log-devnull/pino': {
    setup() {
      const l = pino(
        { base: { service: 'bench' }, timestamp: pino.stdTimeFunctions.isoTime },
        pino.destination({ dest: 1, sync: true }),
      );
      return () => l.info(FIELDS, 'artifact_created');
    },
  },
  'log-devnull/powertools': {
    setup() {
      const l = new PtLogger({ serviceName: 'bench', logLevel: 'INFO' });
      return () => l.info('artifact_created', FIELDS);
    },
  },
  'debug-disabled/ours': {
    setup() {
      const l = new Logger({ service: 'bench', level: 'INFO' });
      return () => l.debug('cache_lookup', FIELDS);
    },
  },
  'debug-disabled/pino': {
    setup() {
      const l = pino({ level: 'info' }, noopStream());
      return () => l.debug(FIELDS, 'cache_lookup');
    },
  },
  'debug-disabled/powertools': {
    setup() {
      const l = new PtLogger({ serviceName: 'bench', logLevel: 'INFO' });
      return () => l.debug('cache_lookup', FIELDS);
    },
  },
  'flush-100x100/ours': {
    setup() {
      silenceStdout();
      const m = new Metrics({ namespace: 'Bench', service: 'bench' });
      const hs = Array.from({ length: 100 }, (_, i) => m.histogram(`metric_${i}`, { unit: 'Milliseconds' }));
      return () => {
        for (const h of hs) for (let v = 1; v <= 100; v++) h.observe(v * 1.7);
        return m.flush();
      };
    },
  },
  'flush-100x100/powertools': {
    setup() {
      silenceStdout();
      const m = new PtMetrics();
      return () => {
        for (let i = 0; i < 100; i++)
          for (let v = 1; v <= 100; v++) m.addMetric(`metric_${i}`, MetricUnit.Milliseconds, v * 1.7);
        m.publishStoredMetrics();
      };
    },
  },
  'flush-100x100/aws-embedded-metrics': {
    async: true,
    setup() {
      silenceStdout();
      return () => {
        const m = createMetricsLogger();
        for (let i = 0; i < 100; i++)
          for (let v = 1; v <= 100; v++) m.putMetric(`metric_${i}`, v * 1.7, Unit.Milliseconds);
        return m.flush();
      };
    },
  },
};

const ROUNDS = 9;
const ROUND_MS = 150;

async function time(op: Op, isAsync: boolean, n: number): Promise<number> {
  const start = process.hrtime.bigint();
  if (isAsync) for (let i = 0; i < n; i++) await op();
  else for (let i = 0; i < n; i++) op();
  return Number(process.hrtime.bigint() - start);
}

async function runCase(name: string): Promise<void> {
  const c = CASES[name];
  if (!c) throw new Error(`unknown case '${name}' (known: ${Object.keys(CASES).join(', ')})`);
  const op = c.setup();
  const isAsync = c.async === true;
  // Calibrate: grow the batch until one batch takes a round's time; that also warms the JIT.
  let n = 1;
  while ((await time(op, isAsync, n)) < ROUND_MS * 1e6 && n < 1e9) n *= 2;
  await time(op, isAsync, n);
  const perOp: number[] = [];
  for (let r = 0; r < ROUNDS; r++) perOp.push((await time(op, isAsync, n)) / n);
  perOp.sort((a, b) => a - b);
  process.stderr.write(`${JSON.stringify({ case: name, nsPerOp: perOp[ROUNDS >> 1], iterations: n })}\n`);
}

if (require.main === module) {
  runCase(process.argv[2] ?? '').catch((error) => {
    process.stderr.write(`${JSON.stringify({ case: process.argv[2], error: String(error) })}\n`);
    process.exit(1);
  });
}
