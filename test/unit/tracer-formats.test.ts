import fc from 'fast-check';
import {
  formatB3Multi,
  formatB3Single,
  formatJaeger,
  formatTraceparent,
  formatTraceState,
  formatXRayHeader,
  parseB3Multi,
  parseB3Single,
  parseJaeger,
  parseTraceparent,
  parseTraceState,
  parseXRayHeader,
  type TraceContext,
} from '../../layers/instrumentation/tracer/formats';
import {
  isValidTraceId,
  isValidXRayTraceId,
  newSpanId,
  newTraceId,
  w3cToXRayTraceId,
  xrayToW3CTraceId,
} from '../../layers/instrumentation/tracer/ids';

const hex = (length: number) =>
  fc
    .string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: length, maxLength: length })
    .filter((s) => !/^0+$/.test(s));
const traceId = hex(32);
const spanId = hex(16);
const xrayId = fc.tuple(hex(8), hex(24)).map(([a, b]) => `1-${a}-${b}`);

const context = fc.record(
  {
    traceId,
    spanId,
    sampled: fc.boolean(),
    debug: fc.constant(true),
    parentSpanId: spanId,
  },
  { requiredKeys: ['traceId', 'spanId'] },
) as fc.Arbitrary<TraceContext>;

/** Anything a client may send, including strings from every format's alphabet. */
const anyInput = fc.oneof(
  fc.anything(),
  fc.string(),
  fc.string({ unit: fc.constantFrom(...'0123456789abcdefABCDEF-:;=%3A01dRootParentSampled') }),
);

/** A valid header with one character of its trace id replaced by a non-hex one. */
const corrupted = (format: (ctx: TraceContext) => string) =>
  fc.tuple(context, fc.nat(23), fc.constantFrom('z', 'G', '-', ' ', '_')).map(([ctx, at, bad]) => {
    const header = format(ctx);
    const tail = ctx.traceId.slice(8); // present as is in every format, X-Ray included
    const start = header.indexOf(tail) + at;
    return header.slice(0, start) + bad + header.slice(start + 1);
  });

/** A context as every parser returns it: valid ids, optional fields typed. */
function wellFormed(ctx: TraceContext | undefined): boolean {
  if (ctx === undefined) return true;
  return isValidTraceId(ctx.traceId) && /^[0-9a-f]{16}$/.test(ctx.spanId) && !/^0+$/.test(ctx.spanId);
}

/** What a context looks like after a trip through a format that does not carry every field. */
function carried(ctx: TraceContext, fields: ReadonlyArray<keyof TraceContext>): Partial<TraceContext> {
  const sampled = ctx.debug ? true : ctx.sampled;
  const full: Record<string, unknown> = { ...ctx, sampled };
  return Object.fromEntries(fields.filter((f) => full[f] !== undefined).map((f) => [f, full[f]]));
}

describe('X-Ray and W3C trace ids', () => {
  it('converts the documented example both ways', () => {
    expect(xrayToW3CTraceId('1-5759e988-bd862e3fe1be46a994272793')).toBe('5759e988bd862e3fe1be46a994272793');
    expect(w3cToXRayTraceId('5759e988bd862e3fe1be46a994272793')).toBe('1-5759e988-bd862e3fe1be46a994272793');
  });

  it('is a bijection on valid ids', () => {
    fc.assert(
      fc.property(xrayId, (id) => {
        const w3c = xrayToW3CTraceId(id);
        expect(isValidTraceId(w3c)).toBe(true);
        expect(w3cToXRayTraceId(w3c as string)).toBe(id);
      }),
    );
    fc.assert(fc.property(traceId, (id) => expect(xrayToW3CTraceId(w3cToXRayTraceId(id) as string)).toBe(id)));
  });

  it('rejects all-zero, wrong-version, upper-case and wrong-length ids', () => {
    for (const bad of [
      '1-00000000-000000000000000000000000',
      '2-5759e988-bd862e3fe1be46a994272793',
      '1-5759E988-bd862e3fe1be46a994272793',
      '1-5759e98-bd862e3fe1be46a994272793',
    ]) {
      expect(xrayToW3CTraceId(bad)).toBeUndefined();
    }
    expect(w3cToXRayTraceId('0'.repeat(32))).toBeUndefined();
    expect(w3cToXRayTraceId('abc')).toBeUndefined();
  });

  it('returns undefined for corrupted ids and never throws on any input', () => {
    fc.assert(
      fc.property(
        corrupted((ctx) => w3cToXRayTraceId(ctx.traceId) as string),
        corrupted((ctx) => ctx.traceId),
        (x, w) => {
          expect(xrayToW3CTraceId(x)).toBeUndefined();
          expect(w3cToXRayTraceId(w)).toBeUndefined();
        },
      ),
    );
    fc.assert(
      fc.property(anyInput, (value) => {
        expect(() => xrayToW3CTraceId(value as string)).not.toThrow();
        expect(() => w3cToXRayTraceId(value as string)).not.toThrow();
      }),
    );
  });

  it('generates trace ids that are also valid X-Ray ids stamped with the current epoch', () => {
    const id = newTraceId(Date.UTC(2025, 0, 2));
    expect(id.slice(0, 8)).toBe((Date.UTC(2025, 0, 2) / 1000).toString(16));
    expect(isValidXRayTraceId(w3cToXRayTraceId(id))).toBe(true);
    expect(newSpanId()).toMatch(/^[0-9a-f]{16}$/);
  });
});

describe('X-Amzn-Trace-Id', () => {
  it('reads the documented header', () => {
    expect(
      parseXRayHeader('Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1;Lineage=a87bd80c:1'),
    ).toEqual({
      traceId: '5759e988bd862e3fe1be46a994272793',
      spanId: '53995c3f42cd8ad8',
      sampled: true,
      lineage: 'a87bd80c:1',
    });
  });

  it('reads fields in any order, with spaces, and Sampled=? as an open decision', () => {
    expect(parseXRayHeader('Sampled=?; Parent=53995c3f42cd8ad8; Root=1-5759e988-bd862e3fe1be46a994272793')).toEqual({
      traceId: '5759e988bd862e3fe1be46a994272793',
      spanId: '53995c3f42cd8ad8',
    });
  });

  it.each([
    ['no parent (ALB adds only Root)', 'Root=1-5759e988-bd862e3fe1be46a994272793'],
    ['an all-zero parent', 'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=0000000000000000'],
    ['a short root', 'Root=1-5759e988-bd862e3fe1be46a99427279;Parent=53995c3f42cd8ad8'],
    ['a bad sampled flag', 'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=yes'],
  ])('rejects a header with %s', (_, header) => {
    expect(parseXRayHeader(header)).toBeUndefined();
  });

  it('round-trips every context it can carry', () => {
    fc.assert(
      fc.property(context, (ctx) => {
        expect(parseXRayHeader(formatXRayHeader(ctx))).toEqual(carried(ctx, ['traceId', 'spanId', 'sampled']));
      }),
    );
  });

  it('formats a header that reads back to the same text', () => {
    const header = 'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=0';
    expect(formatXRayHeader(parseXRayHeader(header) as TraceContext)).toBe(header);
  });

  it('returns undefined for a corrupted header and never throws on any input', () => {
    fc.assert(fc.property(corrupted(formatXRayHeader), (value) => expect(parseXRayHeader(value)).toBeUndefined()));
    fc.assert(fc.property(anyInput, (value) => expect(wellFormed(parseXRayHeader(value))).toBe(true)));
  });
});

describe('W3C traceparent and tracestate', () => {
  it('reads the specification example', () => {
    expect(
      parseTraceparent(
        '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
        'congo=t61rcWkgMzE,rojo=00f067aa0ba902b7',
      ),
    ).toEqual({
      traceId: '0af7651916cd43dd8448eb211c80319c',
      spanId: 'b7ad6b7169203331',
      sampled: true,
      state: 'congo=t61rcWkgMzE,rojo=00f067aa0ba902b7',
    });
  });

  it('reads a future version by its first four fields', () => {
    expect(parseTraceparent('cc-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-03-what-the-future-holds')).toEqual({
      traceId: '0af7651916cd43dd8448eb211c80319c',
      spanId: 'b7ad6b7169203331',
      sampled: true,
    });
  });

  it.each([
    ['version ff', 'ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01'],
    ['version 00 with extra fields', '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-00'],
    ['an all-zero trace id', '00-00000000000000000000000000000000-b7ad6b7169203331-01'],
    ['an all-zero parent id', '00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01'],
    ['upper-case hex', '00-0AF7651916CD43DD8448EB211C80319C-b7ad6b7169203331-01'],
    ['a short parent id', '00-0af7651916cd43dd8448eb211c80319c-b7ad6b716920333-01'],
  ])('rejects %s', (_, header) => {
    expect(parseTraceparent(header)).toBeUndefined();
  });

  it('round-trips contexts, sampled or not', () => {
    fc.assert(
      fc.property(context, (ctx) => {
        const back = parseTraceparent(formatTraceparent(ctx));
        expect(back).toEqual({
          traceId: ctx.traceId,
          spanId: ctx.spanId,
          sampled: ctx.debug === true || ctx.sampled === true,
        });
      }),
    );
  });

  const stateKey = fc.stringMatching(/^[a-z][a-z0-9_\-*/]{0,20}(@[a-z][a-z0-9_\-*/]{0,13})?$/);
  const stateValue = fc.stringMatching(/^[\x20-\x2b\x2d-\x3c\x3e-\x7e]{0,30}[\x21-\x2b\x2d-\x3c\x3e-\x7e]$/);
  const members = fc.uniqueArray(fc.tuple(stateKey, stateValue), { minLength: 1, maxLength: 32, selector: ([k]) => k });

  it('round-trips tracestate members in order', () => {
    fc.assert(fc.property(members, (list) => expect(parseTraceState(formatTraceState(list))).toEqual(list)));
  });

  it('joins tracestate headers received more than once', () => {
    expect(parseTraceState(['rojo=00f067aa0ba902b7', 'congo=t61rcWkgMzE'])).toEqual([
      ['rojo', '00f067aa0ba902b7'],
      ['congo', 't61rcWkgMzE'],
    ]);
  });

  it.each([
    ['a repeated key', 'a=1,a=2'],
    ['an upper-case key', 'Rojo=1'],
    ['a value with =', 'a=b=c'],
    ['33 members', Array.from({ length: 33 }, (_, i) => `k${i}=v`).join(',')],
  ])('drops a tracestate with %s', (_, header) => {
    expect(parseTraceState(header)).toBeUndefined();
    expect(parseTraceparent('00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01', header)?.state).toBeUndefined();
  });

  it('returns undefined for a corrupted header and never throws on any input', () => {
    fc.assert(
      fc.property(corrupted(formatTraceparent), anyInput, (tp, ts) => expect(parseTraceparent(tp, ts)).toBeUndefined()),
    );
    fc.assert(fc.property(anyInput, anyInput, (tp, ts) => expect(wellFormed(parseTraceparent(tp, ts))).toBe(true)));
    fc.assert(fc.property(anyInput, (value) => expect(() => parseTraceState(value)).not.toThrow()));
  });
});

describe('B3', () => {
  it('reads the single-header examples of the specification', () => {
    expect(parseB3Single('80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-1-05e3ac9a4f6e3b90')).toEqual({
      traceId: '80f198ee56343ba864fe8b2a57d3eff7',
      spanId: 'e457b5a2e4d86bd1',
      sampled: true,
      parentSpanId: '05e3ac9a4f6e3b90',
    });
    expect(parseB3Single('a3ce929d0e0e4736-00f067aa0ba902b7-d')).toEqual({
      traceId: '0000000000000000a3ce929d0e0e4736',
      spanId: '00f067aa0ba902b7',
      sampled: true,
      debug: true,
    });
    expect(parseB3Single('0')).toEqual({ sampled: false });
    expect(parseB3Single('d')).toEqual({ sampled: true, debug: true });
  });

  it.each([
    ['a 20-digit trace id', 'a3ce929d0e0e4736aaaa-00f067aa0ba902b7-1'],
    ['an all-zero span id', 'a3ce929d0e0e4736-0000000000000000-1'],
    ['an unknown sampling state', 'a3ce929d0e0e4736-00f067aa0ba902b7-2'],
    ['a short parent span id', 'a3ce929d0e0e4736-00f067aa0ba902b7-1-00f067aa0ba902b'],
  ])('rejects a single header with %s', (_, header) => {
    expect(parseB3Single(header)).toBeUndefined();
  });

  it('round-trips the single header', () => {
    fc.assert(
      fc.property(context, (ctx) => {
        const expected = carried(ctx, ['traceId', 'spanId', 'sampled', 'debug']);
        if (expected.sampled !== undefined && ctx.parentSpanId)
          Object.assign(expected, { parentSpanId: ctx.parentSpanId });
        expect(parseB3Single(formatB3Single(ctx))).toEqual(expected);
      }),
    );
  });

  it('round-trips the multi headers, read with any case', () => {
    fc.assert(
      fc.property(context, (ctx) => {
        const headers = formatB3Multi(ctx) as Record<string, string>;
        const upper = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toUpperCase(), v]));
        const get = (name: string) => upper[name.toUpperCase()];
        expect(parseB3Multi(get)).toEqual(carried(ctx, ['traceId', 'spanId', 'sampled', 'debug', 'parentSpanId']));
      }),
    );
  });

  it('reads legacy true/false in X-B3-Sampled and 64-bit trace ids', () => {
    const headers: Record<string, string> = {
      'X-B3-TraceId': 'a3ce929d0e0e4736',
      'X-B3-SpanId': '00f067aa0ba902b7',
      'X-B3-Sampled': 'true',
    };
    expect(parseB3Multi((n) => headers[n])).toEqual({
      traceId: '0000000000000000a3ce929d0e0e4736',
      spanId: '00f067aa0ba902b7',
      sampled: true,
    });
  });

  it('returns undefined for a corrupted header and never throws on any input', () => {
    fc.assert(fc.property(corrupted(formatB3Single), (value) => expect(parseB3Single(value)).toBeUndefined()));
    fc.assert(
      fc.property(
        corrupted((ctx) => ctx.traceId),
        spanId,
        (trace, span) => {
          const headers: Record<string, string> = { 'X-B3-TraceId': trace, 'X-B3-SpanId': span };
          expect(parseB3Multi((name) => headers[name])).toBeUndefined();
        },
      ),
    );
    fc.assert(
      fc.property(anyInput, anyInput, anyInput, (a, b, c) => {
        const single = parseB3Single(a);
        expect(single?.traceId === undefined || wellFormed(single as TraceContext)).toBe(true);
        const headers: Record<string, unknown> = { 'X-B3-TraceId': a, 'X-B3-SpanId': b, 'X-B3-Sampled': c };
        expect(wellFormed(parseB3Multi((name) => headers[name]))).toBe(true);
      }),
    );
  });
});

describe('Jaeger uber-trace-id', () => {
  it('reads variable-length ids, URL-encoded colons and the debug flag', () => {
    expect(parseJaeger('abc%3A1f%3A0%3A3')).toEqual({
      traceId: '00000000000000000000000000000abc',
      spanId: '000000000000001f',
      sampled: true,
      debug: true,
    });
    expect(parseJaeger('5759e988bd862e3fe1be46a994272793:53995c3f42cd8ad8:a1b2c3d4e5f60718:0')).toEqual({
      traceId: '5759e988bd862e3fe1be46a994272793',
      spanId: '53995c3f42cd8ad8',
      sampled: false,
      parentSpanId: 'a1b2c3d4e5f60718',
    });
  });

  it.each([
    ['three fields', 'abc:1f:1'],
    ['a zero trace id', '0:1f:0:1'],
    ['a 33-digit trace id', `${'a'.repeat(33)}:1f:0:1`],
    ['non-hex flags', 'abc:1f:0:x'],
  ])('rejects a header with %s', (_, header) => {
    expect(parseJaeger(header)).toBeUndefined();
  });

  it('round-trips', () => {
    fc.assert(
      fc.property(context, (ctx) => {
        const expected = {
          ...carried(ctx, ['traceId', 'spanId', 'debug', 'parentSpanId']),
          sampled: ctx.debug === true || ctx.sampled === true,
        };
        expect(parseJaeger(formatJaeger(ctx))).toEqual(expected);
      }),
    );
  });

  it('returns undefined for a corrupted header and never throws on any input', () => {
    fc.assert(fc.property(corrupted(formatJaeger), (value) => expect(parseJaeger(value)).toBeUndefined()));
    fc.assert(fc.property(anyInput, (value) => expect(wellFormed(parseJaeger(value))).toBe(true)));
  });
});
