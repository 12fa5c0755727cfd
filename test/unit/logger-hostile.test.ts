import fc from 'fast-check';
import { Logger } from '../../layers/instrumentation/logger';

const MAX_LINE_BYTES = 16_384;

function setup(maxStringLength = 1_024) {
  const lines: string[] = [];
  const logger = new Logger({
    env: {},
    level: 'DEBUG',
    maxLineBytes: MAX_LINE_BYTES,
    maxStringLength,
    destination: (line) => lines.push(line),
  });
  return { logger, lines };
}

/** One call must give exactly one line: valid JSON, one trailing newline, under the byte cap. */
function expectOneValidLine(lines: string[]) {
  expect(lines).toHaveLength(1);
  const line = lines[0];
  expect(line.endsWith('\n')).toBe(true);
  expect(line.indexOf('\n')).toBe(line.length - 1);
  expect(Buffer.byteLength(line)).toBeLessThanOrEqual(MAX_LINE_BYTES);
  const parsed = JSON.parse(line);
  expect(typeof parsed.timestamp).toBe('string');
  return parsed as Record<string, unknown>;
}

const circular = fc.anything().map((v) => {
  const o: Record<string, unknown> = { v };
  o.self = o;
  o.list = [o, { back: o }];
  return o;
});

const anyValue = fc.oneof(
  fc.anything({
    withBigInt: true,
    withDate: true,
    withMap: true,
    withSet: true,
    withTypedArray: true,
    withNullPrototype: true,
    withObjectString: true,
    withSparseArray: true,
    withUnicodeString: true,
  }),
  circular,
);

describe('Logger on hostile input', () => {
  it('writes exactly one valid JSON line under the cap for any fields', () => {
    fc.assert(
      fc.property(fc.string(), fc.dictionary(fc.string(), anyValue), (event, fields) => {
        const { logger, lines } = setup();
        logger.info(event, fields);
        expectOneValidLine(lines);
      }),
      { numRuns: 300 },
    );
  });

  it('writes exactly one valid JSON line for any value passed where fields or an error go', () => {
    fc.assert(
      fc.property(anyValue, anyValue, (fields, error) => {
        const { logger, lines } = setup();
        logger.warn('x', fields as never);
        logger.error('y', { error });
        expect(lines).toHaveLength(2);
        expectOneValidLine([lines[0]]);
        expectOneValidLine([lines[1]]);
      }),
      { numRuns: 300 },
    );
  });

  it('keeps bound fields of any shape valid in a child', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), anyValue), fc.dictionary(fc.string(), anyValue), (bound, fields) => {
        const { logger, lines } = setup();
        logger.child(bound).info('x', fields);
        expectOneValidLine(lines);
      }),
      { numRuns: 200 },
    );
  });

  it('caps huge strings with a marker', () => {
    const { logger, lines } = setup(100);

    logger.info('x', { big: 'é'.repeat(5_000) });

    const big = (expectOneValidLine(lines).metadata as Record<string, string>).big;
    expect(big).toBe(`${'é'.repeat(100)}…[truncated 4900 chars]`);
  });

  it('keeps a line with thousands of large fields under the cap, marked truncated', () => {
    const { logger, lines } = setup();
    const fields = Object.fromEntries(Array.from({ length: 2_000 }, (_, i) => [`k${i}`, '漢'.repeat(1_000)]));

    logger.info('x', fields);

    const parsed = expectOneValidLine(lines);
    expect(parsed.truncated).toBe(true);
  });

  it('keeps one huge nested value under the cap', () => {
    const { logger, lines } = setup();
    const rows = Array.from({ length: 10_000 }, (_, i) => ({ id: i, text: '\u0001'.repeat(50) }));

    logger.info('x', { rows, error: new Error('e'.repeat(10_000)) });

    const parsed = expectOneValidLine(lines);
    expect((parsed.metadata as { rows: unknown[] }).rows.at(-1)).toBe('[Truncated]');
  });

  it('writes BigInt as a string, drops functions and symbols, and sizes Buffers', () => {
    const { logger, lines } = setup();

    logger.info('x', {
      n: 2n ** 70n,
      f: () => 1,
      s: Symbol('s'),
      b: Buffer.alloc(2_048),
      u: new Uint16Array(4),
      list: [() => 1],
    });

    expect(expectOneValidLine(lines).metadata).toEqual({
      n: '1180591620717411303424',
      b: '[Buffer: 2048 bytes]',
      u: '[Uint16Array: 8 bytes]',
      list: [null],
    });
  });

  it('writes Dates, Maps, Sets and RegExps in a readable form', () => {
    const { logger, lines } = setup();

    logger.info('x', {
      at: new Date(0),
      bad: new Date(Number.NaN),
      m: new Map<unknown, unknown>([
        ['a', 1],
        [2, new Set(['x'])],
      ]),
      re: /ab+c/gi,
    });

    expect(expectOneValidLine(lines).metadata).toEqual({
      at: '1970-01-01T00:00:00.000Z',
      bad: null,
      m: { a: 1, '2': ['x'] },
      re: '/ab+c/gi',
    });
  });

  it('survives throwing getters, throwing toJSON, hostile Proxies and revoked Proxies', () => {
    const { logger, lines } = setup();
    const { proxy: revoked, revoke } = Proxy.revocable({}, {});
    revoke();
    const trap = new Proxy(
      {},
      {
        ownKeys() {
          throw new Error('ownKeys');
        },
        get() {
          throw new Error('get');
        },
        getPrototypeOf() {
          throw new Error('proto');
        },
      },
    );

    logger.info('x', {
      getter: Object.defineProperty({ ok: 1 }, 'boom', {
        enumerable: true,
        get() {
          throw new Error('getter');
        },
      }),
      json: {
        toJSON() {
          throw new Error('toJSON');
        },
      },
      revoked,
      trap,
    });
    logger.info('y', trap as never);
    logger.error('z', revoked as never);

    expect(lines).toHaveLength(3);
    expect(expectOneValidLine([lines[0]]).metadata).toEqual({
      getter: { ok: 1, boom: '[Unreadable]' },
      json: '[Unreadable]',
      revoked: '[Unreadable]',
      trap: '[Unreadable]',
    });
    expectOneValidLine([lines[1]]);
    expectOneValidLine([lines[2]]);
  });

  it('caps depth and marks only true cycles as circular', () => {
    const { logger, lines } = setup();
    let deep: Record<string, unknown> = { end: true };
    for (let i = 0; i < 50; i++) deep = { d: deep };
    const shared = { s: 1 };

    logger.info('x', { deep, pair: [shared, shared] });

    const metadata = expectOneValidLine(lines).metadata as Record<string, unknown>;
    expect(JSON.stringify(metadata.deep)).toContain('"[Object]"');
    expect(metadata.pair).toEqual([{ s: 1 }, { s: 1 }]);
  });

  it('never throws when a getter logs through the same logger', () => {
    const { logger, lines } = setup();
    const reentrant = {
      get value() {
        logger.info('inner', { reentrant });
        return 1;
      },
    };

    expect(() => logger.info('outer', { reentrant })).not.toThrow();
    for (const line of lines) JSON.parse(line);
    expect(lines.at(-1)).toContain('"event":"outer"');
  });

  it('writes a fallback line naming the problem when the clock throws', () => {
    const lines: string[] = [];
    const logger = new Logger({
      env: {},
      service: 's',
      clock: () => {
        throw new Error('clock broke');
      },
      destination: (line) => lines.push(line),
    });

    logger.info('x', { a: 1 });

    expect(expectOneValidLine(lines)).toMatchObject({
      level: 'INFO',
      event: 'x',
      truncated: true,
      log_error: 'clock broke',
    });
  });

  it('writes a throwing top-level getter as unreadable and keeps the other fields', () => {
    const { logger, lines } = setup();
    const fields = Object.defineProperty({ user_id: 'u' }, 'boom', {
      enumerable: true,
      get() {
        throw new Error('getter');
      },
    });

    logger.info('x', fields);

    expect(expectOneValidLine(lines)).toMatchObject({ user_id: 'u', metadata: { boom: '[Unreadable]' } });
  });

  it('accepts a non-string event', () => {
    const { logger, lines } = setup();

    logger.info({ weird: true } as never);

    expect(expectOneValidLine(lines).event).toBe('[object Object]');
  });
});
