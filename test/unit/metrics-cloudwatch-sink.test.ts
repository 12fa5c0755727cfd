import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { cloudWatchSink, toPutMetricData } from '../../layers/instrumentation/metrics/cloudwatch-sink';
import { Metrics } from '../../layers/instrumentation/metrics/metrics';

interface Datum {
  MetricName: string;
  Dimensions: { Name: string; Value: string }[];
  Timestamp: number;
  Unit: string;
  StorageResolution?: number;
  Value?: number;
  Values?: number[];
  Counts?: number[];
}

interface Received {
  headers: IncomingHttpHeaders;
  body: { Namespace: string; MetricData: Datum[] };
}

/** A loopback CloudWatch: decodes what the SDK sends (AWS JSON 1.0, gzip above 10 KB) and answers. */
function startCloudWatch(reply: { status: number; body: string } = { status: 200, body: '{}' }) {
  const received: Received[] = [];
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      let raw = Buffer.concat(chunks);
      if (request.headers['content-encoding'] === 'gzip') raw = gunzipSync(raw);
      received.push({ headers: request.headers, body: JSON.parse(raw.toString('utf8')) });
      response.writeHead(reply.status, { 'content-type': 'application/x-amz-json-1.0' });
      response.end(reply.body);
    });
  });
  const ready = new Promise<string>((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)),
  );
  return { received, ready, close: () => new Promise((resolve) => server.close(resolve)) };
}

const credentials = { accessKeyId: 'AKIDLOCAL', secretAccessKey: 'local-secret' };

describe('cloudWatchSink', () => {
  it('sends PutMetricData that the loopback server decodes into the recorded datums', async () => {
    const cloudwatch = startCloudWatch();
    try {
      const endpoint = await cloudwatch.ready;
      const sink = cloudWatchSink({ endpoint, region: 'eu-west-1', credentials, intervalMs: 60_000 });
      const metrics = new Metrics({ namespace: 'MAIF', service: 'indexer', sink, strict: true });
      metrics.counter('index_updates_total', { labels: ['index'], unit: 'Count' }).inc({ index: 'main' }, 3);
      metrics.gauge('queue_depth', { resolution: 1 }).set(17);
      const duration = metrics.histogram('index_update_duration_seconds', { labels: ['index'], unit: 'Seconds' });
      for (let i = 0; i < 200; i++) duration.observe({ index: 'main' }, 0.001 * 1.05 ** i);
      await metrics.flush();

      expect(cloudwatch.received).toHaveLength(1);
      const [{ headers, body }] = cloudwatch.received;
      expect(headers['x-amz-target']).toBe('GraniteServiceVersion20100801.PutMetricData');
      expect(headers['content-type']).toBe('application/x-amz-json-1.0');
      expect(headers.authorization).toContain('Credential=AKIDLOCAL/');
      expect(body.Namespace).toBe('MAIF');
      const byName = (name: string) => body.MetricData.filter((d) => d.MetricName === name);
      expect(byName('index_updates_total')).toEqual([
        expect.objectContaining({
          Dimensions: [
            { Name: 'service', Value: 'indexer' },
            { Name: 'index', Value: 'main' },
          ],
          Unit: 'Count',
          Value: 3,
        }),
        expect.objectContaining({ Dimensions: [{ Name: 'service', Value: 'indexer' }], Values: [3], Counts: [1] }),
      ]);
      expect(byName('queue_depth')).toEqual([expect.objectContaining({ StorageResolution: 1, Value: 17 })]);
      const histogram = byName('index_update_duration_seconds').filter((d) => d.Dimensions.length === 2);
      expect(histogram.map((d) => d.Values!.length)).toEqual([150, 50]);
      expect(histogram.flatMap((d) => d.Counts!).reduce((a, b) => a + b, 0)).toBe(200);
      expect(typeof histogram[0].Timestamp).toBe('number');
    } finally {
      await cloudwatch.close();
    }
  });

  it('flushes on stop after start, with nothing sent before', async () => {
    const cloudwatch = startCloudWatch();
    try {
      const endpoint = await cloudwatch.ready;
      const sink = cloudWatchSink({ endpoint, region: 'eu-west-1', credentials, intervalMs: 60_000 });
      const metrics = new Metrics({ namespace: 'MAIF', service: 'worker', sink, strict: true });
      sink.start();
      metrics.counter('jobs_total').inc();
      expect(cloudwatch.received).toHaveLength(0);
      await sink.stop();
      expect(cloudwatch.received.map((r) => r.body.MetricData.map((d) => [d.MetricName, d.Value]))).toEqual([
        [['jobs_total', 1]],
      ]);
    } finally {
      await cloudwatch.close();
    }
  });

  it('counts and warns once when CloudWatch rejects the request, without rejecting flush', async () => {
    const cloudwatch = startCloudWatch({
      status: 400,
      body: JSON.stringify({ __type: 'InvalidParameterValueException', message: 'bad value' }),
    });
    try {
      const endpoint = await cloudwatch.ready;
      const warnings: string[] = [];
      const sink = cloudWatchSink({ endpoint, region: 'eu-west-1', credentials });
      const metrics = new Metrics({
        namespace: 'MAIF',
        service: 'w',
        sink,
        strict: true,
        warn: (m) => warnings.push(m),
      });
      metrics.counter('jobs_total').inc();
      await expect(metrics.flush()).resolves.toBeUndefined();
      expect(warnings).toEqual([
        expect.stringMatching(/^Metrics: the sink failed, 1 series were dropped: .*bad value/),
      ]);
      expect(metrics.toPrometheus()).toContain('reason="sink_error"} 1');
    } finally {
      await cloudwatch.close();
    }
  });

  it('rejects a collection interval under one second', () => {
    expect(() => cloudWatchSink({ intervalMs: 10 })).toThrow(
      'cloudWatchSink: intervalMs 10 is too short (use 1000 or more)',
    );
  });
});

describe('toPutMetricData', () => {
  it('splits requests at 1000 datums and merges the rollup of a metric into one datum', () => {
    const series = Array.from({ length: 1500 }, (_, i) => ({
      name: 'items_total',
      dimensions: { service: 's', item: `i${i}` },
      unit: 'Count' as const,
      value: 1,
    }));
    const inputs = toPutMetricData({ namespace: 'MAIF', timestamp: 0, series, rollup: ['service'] });
    expect(inputs.map((input) => input.MetricData!.length)).toEqual([1000, 501]);
    const rollup = inputs[1].MetricData!.at(-1)!;
    expect(rollup).toMatchObject({ Dimensions: [{ Name: 'service', Value: 's' }], Values: [1], Counts: [1500] });
  });
});
