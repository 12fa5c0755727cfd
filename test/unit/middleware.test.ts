import middy from '@middy/core';
import { Logger } from '../../layers/instrumentation/logger';
import { Metrics } from '../../layers/instrumentation/metrics';
import { instrument, resetColdStart } from '../../layers/instrumentation/middleware';

interface Emf {
  [key: string]: unknown;
}

function setup(options: { operation?: string } = {}) {
  const emf: string[] = [];
  const logs: string[] = [];
  const metrics = new Metrics({ namespace: 'MAIF', service: 'maif', sink: (line) => emf.push(line) });
  const logger = new Logger({ service: 'maif', level: 'INFO', destination: (line) => logs.push(line) });
  const instrumented = instrument({ metrics, logger, operation: options.operation ?? 'search' });
  const docs = () => emf.map((l) => JSON.parse(l) as Emf);
  /** The value of `metric` in the document that carries `labels` (not the rollup). */
  const seriesValue = (metric: string, labels: Record<string, string>) =>
    docs().find((d) => metric in d && Object.entries(labels).every(([k, v]) => d[k] === v))?.[metric];
  return { emf, logs, metrics, logger, instrumented, docs, seriesValue };
}

const context = { awsRequestId: 'req-1', functionName: 'maif-search' };

beforeEach(() => resetColdStart());

describe('instrument() as a plain wrapper', () => {
  it('records the request, its duration and the cold start, then flushes once', async () => {
    const { instrumented, seriesValue, emf } = setup();
    const handler = instrumented(async () => ({ statusCode: 200, body: 'ok' }));

    const response = await handler({}, context);

    expect(response).toEqual({ statusCode: 200, body: 'ok' });
    expect(emf).toHaveEmittedEMF('http_requests_total', 'MAIF');
    expect(seriesValue('http_requests_total', { operation: 'search', status_class: '2xx' })).toBe(1);
    expect(seriesValue('cold_starts_total', { function_name: 'maif-search' })).toBe(1);
    const duration = seriesValue('http_request_duration_seconds', { operation: 'search' }) as { Counts: number[] };
    expect(duration.Counts.reduce((a, b) => a + b, 0)).toBe(1);
  });

  it('counts a cold start only on the first invocation', async () => {
    const { instrumented, emf } = setup();
    const handler = instrumented(async () => 'ok');
    await handler({}, context);
    emf.length = 0;
    await handler({}, context);
    expect(emf.some((l) => l.includes('cold_starts_total'))).toBe(false);
  });

  it('flushes, counts a 5xx and logs the error when the handler throws, and rethrows it unchanged', async () => {
    const { instrumented, seriesValue, logs } = setup();
    const boom = new Error('index unavailable');
    const handler = instrumented(async () => {
      throw boom;
    });

    await expect(handler({}, context)).rejects.toBe(boom);

    expect(seriesValue('http_requests_total', { operation: 'search', status_class: '5xx' })).toBe(1);
    expect(seriesValue('http_request_errors_total', { operation: 'search' })).toBe(1);
    const line = JSON.parse(logs.find((l) => l.includes('invocation_failed')) ?? '{}');
    expect(line.level).toBe('ERROR');
    expect(line.request_id).toBe('req-1');
    expect(line.error).toMatchObject({ type: 'Error', message: 'index unavailable' });
  });

  it('takes the status class from a statusCode in the response', async () => {
    const { instrumented, seriesValue } = setup();
    await instrumented(async () => ({ statusCode: 404 }))({}, context);
    expect(seriesValue('http_requests_total', { operation: 'search', status_class: '4xx' })).toBe(1);
    expect(seriesValue('http_request_errors_total', { operation: 'search' })).toBeUndefined();
  });

  it('injects the request id into log lines during the invocation only', async () => {
    const { instrumented, logger, logs } = setup();
    await instrumented(async () => logger.info('inside'))({}, context);
    logger.info('outside');
    const [inside, outside] = logs.map((l) => JSON.parse(l));
    expect(inside.request_id).toBe('req-1');
    expect(outside.request_id).toBeUndefined();
  });

  it('never lets a failing metrics sink reach the handler', async () => {
    const warnings: string[] = [];
    const metrics = new Metrics({
      namespace: 'MAIF',
      service: 'maif',
      warn: (message) => warnings.push(message),
      sink: () => {
        throw new Error('stdout closed');
      },
    });
    const handler = instrument({ metrics })(async () => 'fine');
    await expect(handler({}, context)).resolves.toBe('fine');
    expect(warnings.join('\n')).toContain('stdout closed');
  });

  it('never lets a throwing operation resolver reach the handler', async () => {
    const failures: unknown[] = [];
    const handler = instrument({
      operation: () => {
        throw new Error('no route');
      },
      onTelemetryError: (e) => failures.push(e),
    })(async () => 'fine');
    await expect(handler({}, context)).resolves.toBe('fine');
    expect(failures).toHaveLength(1);
  });
});

describe('instrument() as middy middleware', () => {
  it('records and flushes after a successful handler', async () => {
    const { instrumented, seriesValue } = setup();
    const handler = middy(async () => ({ statusCode: 201 })).use(instrumented);
    await handler({}, context as never);
    expect(seriesValue('http_requests_total', { operation: 'search', status_class: '2xx' })).toBe(1);
  });

  it('flushes when the handler throws', async () => {
    const { instrumented, seriesValue } = setup();
    const handler = middy(async () => {
      throw new Error('boom');
    }).use(instrumented);
    await expect(handler({}, context as never)).rejects.toThrow('boom');
    expect(seriesValue('http_request_errors_total', { operation: 'search' })).toBe(1);
  });

  it('flushes when a later middleware returns early from before (middy skips every after)', async () => {
    const { instrumented, seriesValue } = setup();
    let handlerRan = false;
    const cache = { before: async () => ({ statusCode: 200, body: 'cached' }) };
    const handler = middy(async () => {
      handlerRan = true;
      return { statusCode: 200 };
    })
      .use(instrumented)
      .use(cache);

    const response = await handler({}, context as never);

    expect(response).toEqual({ statusCode: 200, body: 'cached' });
    expect(handlerRan).toBe(false);
    expect(seriesValue('http_requests_total', { operation: 'search', status_class: '2xx' })).toBe(1);
  });

  it('flushes when a later middleware returns early from after', async () => {
    const { instrumented, seriesValue } = setup();
    const rewrite = { after: async () => ({ statusCode: 503 }) };
    const handler = middy(async () => ({ statusCode: 200 }))
      .use(instrumented)
      .use(rewrite);
    await handler({}, context as never);
    expect(seriesValue('http_requests_total', { operation: 'search', status_class: '5xx' })).toBe(1);
  });

  it('counts an error turned into a response by an error-handling middleware by its status', async () => {
    const { instrumented, seriesValue } = setup();
    const errorHandler = {
      onError: async (request: { response?: unknown }) => {
        request.response = { statusCode: 404 };
      },
    };
    const handler = middy(async () => {
      throw new Error('artifact not found');
    })
      .use(instrumented)
      .use(errorHandler);
    await expect(handler({}, context as never)).resolves.toEqual({ statusCode: 404 });
    expect(seriesValue('http_requests_total', { operation: 'search', status_class: '4xx' })).toBe(1);
  });

  it('records each invocation exactly once', async () => {
    const { instrumented, seriesValue } = setup();
    const rewrite = { after: async () => ({ statusCode: 200 }) };
    const handler = middy(async () => ({ statusCode: 200 }))
      .use(instrumented)
      .use(rewrite);
    await handler({}, context as never);
    expect(seriesValue('http_requests_total', { operation: 'search', status_class: '2xx' })).toBe(1);
  });
});
