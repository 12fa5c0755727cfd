/**
 * `instrument({ system })`: memory_usage and disk_usage of /tmp sampled at the end of an
 * invocation, at most once per interval per execution environment, never throwing into the handler.
 */
import fs from 'node:fs';
import { INSTRUMENTATION_ENV } from '../../layers/instrumentation/environment';
import { Metrics } from '../../layers/instrumentation/metrics';
import { type InstrumentOptions, instrument, resetColdStart } from '../../layers/instrumentation/middleware';
import { resetSystemSampling, samplingInterval } from '../../layers/instrumentation/private/system-sampler';

const context = { awsRequestId: 'req-1', functionName: 'maif-search' };
const ENV = INSTRUMENTATION_ENV.systemSampling;

function setup(options: Partial<InstrumentOptions> = {}) {
  const emf: string[] = [];
  const errors: unknown[] = [];
  const metrics = new Metrics({ namespace: 'MAIF', service: 'maif', sink: (line) => emf.push(line) });
  const handler = instrument({ metrics, onTelemetryError: (e) => errors.push(e), ...options })(async () => 'ok');
  const docs = () => emf.map((l) => JSON.parse(l) as Record<string, unknown>);
  /** Values of `metric` across the flushed documents (rollup and labelled series alike). */
  const values = (metric: string) => docs().flatMap((d) => (metric in d ? [d[metric]] : []));
  const run = async () => {
    emf.length = 0;
    return handler({}, context);
  };
  return { run, values, docs, errors, emf };
}

beforeEach(() => {
  resetColdStart();
  resetSystemSampling();
  delete process.env[ENV];
  jest.useFakeTimers({ now: new Date('2026-03-02T10:00:00Z') });
});

afterEach(() => {
  jest.useRealTimers();
  jest.restoreAllMocks();
  delete process.env[ENV];
  delete process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE;
});

describe('instrument({ system })', () => {
  it('emits memory_usage and disk_usage of /tmp with the invocation, at most once per interval', async () => {
    const { run, values, docs } = setup({ system: true });

    expect(await run()).toBe('ok');
    expect(values('memory_usage')).toHaveLength(1);
    const memory = values('memory_usage')[0] as number;
    expect(memory).toBeGreaterThan(0);
    expect(memory).toBeLessThan(100);
    const disk = docs().find((d) => 'disk_usage' in d && d.mount === '/tmp');
    expect(disk?.disk_usage).toEqual(expect.any(Number));
    // the request metrics leave in the same flush
    expect(values('http_requests_total').length).toBeGreaterThan(0);

    jest.advanceTimersByTime(30_000);
    await run();
    expect(values('memory_usage')).toEqual([]);
    expect(values('disk_usage')).toEqual([]);

    jest.advanceTimersByTime(30_000);
    await run();
    expect(values('memory_usage')).toHaveLength(1);
    expect(values('disk_usage').length).toBeGreaterThan(0);
  });

  it('takes the interval from { interval } and shares it across handlers of one execution environment', async () => {
    const first = setup({ system: { interval: '5m' } });
    const second = setup({ system: { interval: '5m' } });
    await first.run();
    expect(first.values('memory_usage')).toHaveLength(1);
    jest.advanceTimersByTime(60_000);
    await second.run();
    expect(second.values('memory_usage')).toEqual([]);
    jest.advanceTimersByTime(240_000);
    await second.run();
    expect(second.values('memory_usage')).toHaveLength(1);
  });

  it('reads resident memory as a share of the Lambda function memory', async () => {
    process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE = '512';
    jest.spyOn(process.memoryUsage, 'rss').mockReturnValue(128 * 1024 * 1024);
    const { run, values } = setup({ system: true });
    await run();
    expect(values('memory_usage')).toEqual([25]);
  });

  it('emits neither metric without the option or the variable', async () => {
    const { run, values } = setup();
    await run();
    expect(values('memory_usage')).toEqual([]);
    expect(values('disk_usage')).toEqual([]);
    expect(values('http_requests_total').length).toBeGreaterThan(0);
  });

  it('turns on from MAIF_SYSTEM_SAMPLING (set by instrumentFunction), and system: false wins over it', async () => {
    process.env[ENV] = '60s';
    const on = setup();
    await on.run();
    expect(on.values('memory_usage')).toHaveLength(1);

    resetSystemSampling();
    const off = setup({ system: false });
    await off.run();
    expect(off.values('memory_usage')).toEqual([]);
  });

  it('reports a malformed MAIF_SYSTEM_SAMPLING to onTelemetryError and leaves sampling off', async () => {
    process.env[ENV] = 'often';
    const { run, values, errors } = setup();
    expect(await run()).toBe('ok');
    expect(values('memory_usage')).toEqual([]);
    expect(String(errors[0])).toContain(`${ENV} 'often' is not allowed`);
  });

  it('fails at instrument() on a malformed interval, naming it', () => {
    expect(() => instrument({ metrics: new Metrics(), system: { interval: '100ms' } })).toThrow(
      "instrument: system.interval '100ms' is not allowed (use true, false or an interval of 1s or more: 30s, 5m)",
    );
    expect(samplingInterval({ interval: 2000 }, 'x')).toBe(2000);
    expect(samplingInterval('true', 'x')).toBe(60_000);
    expect(samplingInterval('', 'x')).toBeUndefined();
  });

  it('never throws into the handler when a reading fails: the other reading still goes out', async () => {
    jest.spyOn(fs, 'statfsSync').mockImplementation(() => {
      throw Object.assign(new Error('ENOENT: no such file or directory, statfs /tmp'), { code: 'ENOENT' });
    });
    const { run, values, errors } = setup({ system: true });
    expect(await run()).toBe('ok');
    expect(values('memory_usage')).toHaveLength(1);
    expect(values('disk_usage')).toEqual([]);
    expect(String(errors[0])).toContain('statfs /tmp');
  });

  it('never throws into the handler when the metrics refuse the readings', async () => {
    const emf: string[] = [];
    const metrics = new Metrics({ namespace: 'MAIF', service: 'maif', sink: (line) => emf.push(line) });
    const gauge = jest.spyOn(metrics, 'gauge').mockImplementation(() => {
      throw new Error('registry full');
    });
    const errors: unknown[] = [];
    const handler = instrument({ metrics, system: true, onTelemetryError: (e) => errors.push(e) })(async () => 'ok');
    await expect(handler({}, context)).resolves.toBe('ok');
    expect(gauge).toHaveBeenCalled();
    expect(errors.map(String)).toEqual(['Error: registry full', 'Error: registry full']);
    expect(emf.some((l) => l.includes('http_requests_total'))).toBe(true);
  });
});
