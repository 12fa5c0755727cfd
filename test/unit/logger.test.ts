import { PassThrough, Writable } from 'node:stream';
import { Logger, type LoggerOptions } from '../../layers/instrumentation/logger';

const FIXED_MS = Date.UTC(2025, 0, 2, 3, 4, 5, 678);

function capture(options: LoggerOptions = {}) {
  const lines: string[] = [];
  const logger = new Logger({
    service: 'maif-service',
    env: {},
    clock: () => FIXED_MS,
    destination: (line) => lines.push(line),
    ...options,
  });
  const parsed = () => lines.map((line) => JSON.parse(line) as Record<string, unknown>);
  return { logger, lines, parsed };
}

describe('Logger line schema', () => {
  it("writes the MAIF monitoring guide's log schema in order: head, ids, schema fields, then metadata", () => {
    const { logger, lines } = capture();
    logger.setInvocation({ requestId: 'req-1', traceId: '1-abc-def', coldStart: true, functionName: 'fn' });

    logger.info('artifact_creation_completed', {
      status: 'success',
      artifact_id: 'a-1',
      user_id: 'u-1',
      duration_ms: 12.5,
      operation: 'create_artifact',
    });

    expect(lines).toEqual([
      '{"timestamp":"2025-01-02T03:04:05.678Z","level":"INFO","service":"maif-service","event":"artifact_creation_completed",' +
        '"trace_id":"1-abc-def","request_id":"req-1","function_name":"fn","cold_start":true,' +
        '"user_id":"u-1","operation":"create_artifact","duration_ms":12.5,"status":"success","metadata":{"artifact_id":"a-1"}}\n',
    ]);
  });

  it('writes an ISO 8601 timestamp from the clock and ends every line with one newline', () => {
    const { logger, lines, parsed } = capture({ clock: () => 0 });

    logger.info('a');
    logger.warn('b', {});

    expect(parsed().map((l) => l.timestamp)).toEqual(['1970-01-01T00:00:00.000Z', '1970-01-01T00:00:00.000Z']);
    for (const line of lines) expect(line.indexOf('\n')).toBe(line.length - 1);
  });

  it('omits metadata when every field is a schema field', () => {
    const { logger, parsed } = capture();

    logger.info('done', { user_id: 'u', status: 'ok' });

    expect(parsed()[0]).toEqual({
      timestamp: '2025-01-02T03:04:05.678Z',
      level: 'INFO',
      service: 'maif-service',
      event: 'done',
      user_id: 'u',
      status: 'ok',
    });
  });

  it('merges a metadata object into metadata, and a sibling field wins over it', () => {
    const { logger, parsed } = capture();

    logger.info('x', { metadata: { a: 1, b: 2 }, b: 3, c: 4 });

    expect(parsed()[0].metadata).toEqual({ a: 1, b: 3, c: 4 });
  });

  it('escapes strings that need it and keeps the line valid JSON', () => {
    const { logger, parsed } = capture();

    logger.info('quote " backslash \\ newline \n tab \t', { note: 'lone \ud800 surrogate and pair 😀' });

    const line = parsed()[0];
    expect(line.event).toBe('quote " backslash \\ newline \n tab \t');
    expect((line.metadata as Record<string, string>).note).toBe('lone \ud800 surrogate and pair 😀');
  });

  it('writes non-finite numbers as null, as JSON does', () => {
    const { logger, parsed } = capture();

    logger.info('x', { duration_ms: Number.NaN, ratio: Number.POSITIVE_INFINITY });

    expect(parsed()[0]).toMatchObject({ duration_ms: null, metadata: { ratio: null } });
  });

  it('uses the trace context for trace_id and span_id on every line', () => {
    let span = 'span-1';
    const { logger, parsed } = capture({ traceContext: () => ({ traceId: '1-t-x', spanId: span }) });

    logger.info('first');
    span = 'span-2';
    logger.info('second');

    expect(parsed().map((l) => [l.trace_id, l.span_id])).toEqual([
      ['1-t-x', 'span-1'],
      ['1-t-x', 'span-2'],
    ]);
  });

  it('falls back to the invocation trace id when the trace context has none or throws', () => {
    const { logger, parsed } = capture({
      traceContext: () => {
        throw new Error('no tracer');
      },
    });
    logger.setInvocation({ requestId: 'r', traceId: '1-inv-trace' });

    logger.info('x');

    expect(parsed()[0]).toMatchObject({ trace_id: '1-inv-trace', request_id: 'r' });
    expect(parsed()[0]).not.toHaveProperty('span_id');
  });
});

describe('Logger invocation context', () => {
  it('reads the X-Ray Root from _X_AMZN_TRACE_ID when the invocation starts', () => {
    const env: Record<string, string> = {};
    const { logger, parsed } = capture({ env });
    env._X_AMZN_TRACE_ID = 'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1';

    logger.setInvocation({ requestId: 'req-2', coldStart: false });
    logger.info('x');

    expect(parsed()[0]).toMatchObject({
      trace_id: '1-5759e988-bd862e3fe1be46a994272793',
      request_id: 'req-2',
      cold_start: false,
    });
  });

  it('drops the invocation ids after clearInvocation but keeps the function name from the environment', () => {
    const { logger, parsed } = capture({ env: { AWS_LAMBDA_FUNCTION_NAME: 'maif-fn' } });
    logger.setInvocation({ requestId: 'req-3', traceId: '1-a-b', coldStart: true });

    logger.clearInvocation();
    logger.info('after');

    expect(parsed()[0]).not.toHaveProperty('request_id');
    expect(parsed()[0]).not.toHaveProperty('trace_id');
    expect(parsed()[0].function_name).toBe('maif-fn');
  });

  it('shares the invocation with child loggers created before it started', () => {
    const { logger, parsed } = capture();
    const child = logger.child({ component: 'db' });

    logger.setInvocation({ requestId: 'req-4' });
    child.info('query');

    expect(parsed()[0]).toMatchObject({ request_id: 'req-4', metadata: { component: 'db' } });
  });
});

describe('Logger levels', () => {
  it('writes only the levels at or above the configured one', () => {
    const { logger, parsed } = capture({ level: 'WARN' });

    logger.debug('d');
    logger.info('i');
    logger.warn('w');
    logger.error('e');
    logger.critical('c');

    expect(parsed().map((l) => l.level)).toEqual(['WARN', 'ERROR', 'CRITICAL']);
  });

  it('swaps a disabled level for one shared no-op function', () => {
    const { logger } = capture({ level: 'ERROR' });

    expect(logger.debug).toBe(logger.info);
    expect(logger.debug).toBe(logger.warn);
    expect(logger.error).not.toBe(logger.debug);
  });

  it('writes nothing at SILENT', () => {
    const { logger, lines } = capture({ level: 'SILENT' });

    logger.critical('c');

    expect(lines).toEqual([]);
  });

  it('changes the level of the parent and its children together', () => {
    const { logger, parsed } = capture({ level: 'info' });
    const child = logger.child({ component: 'db' });

    child.setLevel('DEBUG');
    logger.debug('parent');
    child.debug('child');
    logger.setLevel('ERROR');
    child.warn('hidden');

    expect(parsed().map((l) => l.event)).toEqual(['parent', 'child']);
    expect(child.level).toBe('ERROR');
  });

  it('takes the level from MAIF_LOG_LEVEL, then LOG_LEVEL, and an explicit option over both', () => {
    expect(new Logger({ env: { MAIF_LOG_LEVEL: 'debug', LOG_LEVEL: 'ERROR' } }).level).toBe('DEBUG');
    expect(new Logger({ env: { LOG_LEVEL: 'warning' } }).level).toBe('WARN');
    expect(new Logger({ level: 'CRITICAL', env: { MAIF_LOG_LEVEL: 'DEBUG' } }).level).toBe('CRITICAL');
    expect(new Logger({ env: {} }).level).toBe('INFO');
  });

  it('warns once and falls back to INFO on a bad level in the environment', () => {
    const { logger, parsed } = capture({ env: { MAIF_LOG_LEVEL: 'loud' } });

    expect(logger.level).toBe('INFO');
    expect(parsed()).toEqual([
      expect.objectContaining({
        level: 'WARN',
        event: 'logger_config_invalid',
        metadata: {
          problem:
            "MAIF_LOG_LEVEL: 'loud' is not a log level (use DEBUG, INFO, WARN, ERROR, CRITICAL or SILENT); using INFO",
        },
      }),
    ]);
  });

  it('rejects a bad level option with the field, the value and what is allowed', () => {
    expect(() => new Logger({ level: 'LOUD' as 'INFO' })).toThrow(
      "level: 'LOUD' is not a log level (use DEBUG, INFO, WARN, ERROR, CRITICAL or SILENT)",
    );
    expect(() => new Logger({ sampleRate: 1.5 })).toThrow('sampleRate: 1.5 is not a rate (use a number from 0 to 1)');
    expect(() => new Logger({ maxLineBytes: 100 })).toThrow(
      'maxLineBytes: 100 is not allowed (use an integer >= 8192)',
    );
    expect(() => new Logger({ destination: 42 as never })).toThrow(
      'destination: number is not a destination (use a function(line) or an object with write(line))',
    );
  });

  it('names the service from the option, then MAIF_SERVICE, POWERTOOLS_SERVICE_NAME and the function name', () => {
    const service = (options: LoggerOptions) => {
      const { logger, parsed } = capture({ service: undefined, ...options });
      logger.info('x');
      return parsed()[0].service;
    };

    expect(service({ service: 'explicit', env: { MAIF_SERVICE: 'env' } })).toBe('explicit');
    expect(service({ env: { MAIF_SERVICE: 'maif', POWERTOOLS_SERVICE_NAME: 'pt' } })).toBe('maif');
    expect(service({ env: { POWERTOOLS_SERVICE_NAME: 'pt', AWS_LAMBDA_FUNCTION_NAME: 'fn' } })).toBe('pt');
    expect(service({ env: { AWS_LAMBDA_FUNCTION_NAME: 'fn' } })).toBe('fn');
    expect(service({ env: {} })).toBe('unknown');
  });
});

describe('Logger child loggers and persistent keys', () => {
  it('puts bound schema fields at the top level and the rest in metadata', () => {
    const { logger, parsed } = capture();
    const child = logger.child({ operation: 'search', component: 'index' });

    child.info('hit', { result_count: 3 });

    expect(parsed()[0]).toMatchObject({ operation: 'search', metadata: { component: 'index', result_count: 3 } });
  });

  it('serializes bound fields once, when the child is created', () => {
    const { logger, parsed } = capture();
    const state = { phase: 'before' };
    const child = logger.child({ state });

    state.phase = 'after';
    child.info('x');

    expect(parsed()[0].metadata).toEqual({ state: { phase: 'before' } });
  });

  it('lets a call field override a bound one without writing the key twice', () => {
    const { logger, lines, parsed } = capture();
    const child = logger.child({ operation: 'bound', component: 'bound' }).child({ depth: 2 });

    child.info('x', { operation: 'call', component: 'call' });

    expect(parsed()[0]).toMatchObject({ operation: 'call', metadata: { component: 'call', depth: 2 } });
    expect(lines[0].match(/"component"/g)).toHaveLength(1);
    expect(lines[0].match(/"operation"/g)).toHaveLength(1);
  });

  it('adds persistent keys to the whole family until they are removed', () => {
    const { logger, parsed } = capture();
    const child = logger.child({ component: 'db' });

    logger.appendKeys({ tenant: 't-1', user_id: 'u-9' });
    child.info('with');
    logger.removeKeys(['tenant', 'user_id']);
    child.info('without');

    expect(parsed()[0]).toMatchObject({ user_id: 'u-9', metadata: { component: 'db', tenant: 't-1' } });
    expect(parsed()[1]).not.toHaveProperty('user_id');
    expect(parsed()[1].metadata).toEqual({ component: 'db' });
  });

  it('is an instance of Logger at every depth', () => {
    const { logger } = capture();

    expect(logger.child({ a: 1 }).child({ b: 2 })).toBeInstanceOf(Logger);
  });
});

describe('Logger errors', () => {
  it('turns logger.error(event, err) and { error: err } into the same error object', () => {
    const { logger, parsed } = capture();
    const err = new TypeError('bad input');

    logger.error('failed', err);
    logger.error('failed', { error: err });

    const [a, b] = parsed();
    expect(a.error).toEqual(b.error);
    expect(a.error).toEqual({ type: 'TypeError', message: 'bad input', stack_trace: err.stack });
  });

  it('follows cause chains and the errors of an AggregateError', () => {
    const { logger, parsed } = capture();
    const root = new RangeError('root');
    const err = new AggregateError([new Error('one'), 'two'], 'many', { cause: new Error('mid', { cause: root }) });

    logger.error('failed', err);

    interface ErrorJson {
      type: string;
      message: string;
      cause: ErrorJson;
      errors: unknown[];
    }
    const error = parsed()[0].error as ErrorJson;
    expect(error.type).toBe('AggregateError');
    expect(error.cause.message).toBe('mid');
    expect(error.cause.cause).toMatchObject({ type: 'RangeError', message: 'root' });
    expect(error.errors).toEqual([expect.objectContaining({ message: 'one' }), 'two']);
  });

  it('names a subclass by its class and keeps extra fields such as code', () => {
    class ArtifactNotFound extends Error {}
    const err = Object.assign(new ArtifactNotFound('missing'), { code: 'E404' });
    const { logger, parsed } = capture();

    logger.error('failed', { error: err });

    expect(parsed()[0].error).toMatchObject({ type: 'ArtifactNotFound', message: 'missing', code: 'E404' });
  });

  it('wraps a string error in an error object and keeps a { type, message, stack_trace } object as given', () => {
    const { logger, parsed } = capture();

    logger.error('a', { error: 'plain text' });
    logger.error('b', { error: { type: 'ValueError', message: 'm', stack_trace: 'tb' } });

    expect(parsed().map((l) => l.error)).toEqual([
      { message: 'plain text' },
      { type: 'ValueError', message: 'm', stack_trace: 'tb' },
    ]);
  });

  it('marks an error that causes itself as circular', () => {
    const err = new Error('loop') as Error & { cause?: unknown };
    err.cause = err;
    const { logger, parsed } = capture();

    logger.error('failed', err);

    expect((parsed()[0].error as Record<string, unknown>).cause).toBe('[Circular]');
  });
});

describe('Logger destinations', () => {
  it('writes one string per line to a stream', () => {
    const chunks: string[] = [];
    const stream = new Writable({
      decodeStrings: false,
      write(chunk, _encoding, done) {
        chunks.push(chunk as string);
        done();
      },
    });
    const logger = new Logger({ service: 's', env: {}, destination: stream });

    logger.info('a');
    logger.info('b');

    expect(chunks).toHaveLength(2);
    expect(chunks.map((c) => JSON.parse(c).event)).toEqual(['a', 'b']);
  });

  it('swallows and counts a destination that throws, and tells onError', () => {
    const seen: unknown[] = [];
    const logger = new Logger({
      env: {},
      destination: () => {
        throw new Error('disk full');
      },
      onError: (e) => seen.push(e),
    });

    expect(() => logger.info('a')).not.toThrow();
    expect(() => logger.error('b', new Error('x'))).not.toThrow();
    expect(logger.droppedLines).toBe(2);
    expect(seen.map((e) => (e as Error).message)).toEqual(['disk full', 'disk full']);
  });

  it('counts a stream error event instead of crashing the process', async () => {
    const stream = new PassThrough();
    const logger = new Logger({ env: {}, destination: stream, onError: () => {} });

    stream.destroy(new Error('closed'));
    await new Promise((resolve) => setImmediate(resolve));

    expect(logger.droppedLines).toBe(1);
  });

  it('does not throw when a level method is called detached from its logger', () => {
    const { logger, lines } = capture();
    const { info } = logger;

    expect(() => info('x')).not.toThrow();
    expect(lines).toEqual([]);
  });
});
