import fc from 'fast-check';
import type { TraceContext } from '../../layers/instrumentation/tracer/formats';
import {
  checkFormats,
  extract,
  inject,
  PROPAGATION_FORMATS,
  type PropagationFormat,
  propagationHeaderNames,
} from '../../layers/instrumentation/tracer/propagation';

const XRAY = 'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1';
const W3C = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
const JAEGER = 'abc:1f:0:1';

const hex = (length: number) =>
  fc
    .string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: length, maxLength: length })
    .filter((s) => !/^0+$/.test(s));
const context: fc.Arbitrary<TraceContext> = fc.record({ traceId: hex(32), spanId: hex(16), sampled: fc.boolean() });

describe('extract', () => {
  it("takes the first valid format in the configured order (the MAIF monitoring guide's order: jaeger, b3, w3c)", () => {
    const headers = { traceparent: W3C, 'uber-trace-id': JAEGER };
    expect(extract(headers, ['jaeger', 'b3', 'w3c'])?.traceId).toBe('00000000000000000000000000000abc');
    expect(extract(headers, ['w3c', 'jaeger'])?.traceId).toBe('0af7651916cd43dd8448eb211c80319c');
  });

  it('skips an invalid header and falls through to the next format', () => {
    const headers = { 'x-amzn-trace-id': 'Root=garbage', traceparent: W3C };
    expect(extract(headers)?.spanId).toBe('b7ad6b7169203331');
  });

  it('finds headers whatever their case (API Gateway keeps the client casing)', () => {
    expect(extract({ 'X-AMZN-TRACE-ID': XRAY })?.spanId).toBe('53995c3f42cd8ad8');
    expect(extract({ TraceParent: W3C, TraceState: 'rojo=1' }, ['w3c'])?.state).toBe('rojo=1');
  });

  it('reads fetch Headers objects', () => {
    expect(extract(new Headers({ 'X-Amzn-Trace-Id': XRAY }))?.sampled).toBe(true);
  });

  it('reads b3 from the single header before the multi headers', () => {
    const headers = {
      b3: '80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-1',
      'x-b3-traceid': '463ac35c9f6413ad',
      'x-b3-spanid': '72485a3953bb6124',
    };
    expect(extract(headers, ['b3'])?.spanId).toBe('e457b5a2e4d86bd1');
    expect(extract({ ...headers, b3: '0' }, ['b3'])?.spanId).toBe('72485a3953bb6124');
  });

  it('returns undefined, never throws, for hostile header objects', () => {
    const hostile = new Proxy(
      {},
      {
        get: () => {
          throw new Error('boom');
        },
        ownKeys: () => {
          throw new Error('boom');
        },
      },
    );
    expect(extract(hostile as never, PROPAGATION_FORMATS)).toBeUndefined();
  });
});

describe('inject', () => {
  it('writes every format and reads back the same context in each', () => {
    fc.assert(
      fc.property(context, fc.constantFrom(...PROPAGATION_FORMATS), (ctx, format: PropagationFormat) => {
        const headers = inject(ctx, {} as Record<string, string>, [format]);
        expect(extract(headers, [format])).toEqual(ctx);
      }),
    );
  });

  it('writes tracestate along with traceparent', () => {
    const headers = inject({ traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), sampled: true, state: 'rojo=1' }, {}, [
      'w3c',
    ]);
    expect(headers).toEqual({ traceparent: `00-${'a'.repeat(32)}-${'b'.repeat(16)}-01`, tracestate: 'rojo=1' });
  });

  it('sets fetch Headers through set()', () => {
    const headers = inject({ traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), sampled: false }, new Headers(), [
      'xray',
    ]);
    expect(headers.get('x-amzn-trace-id')).toBe(`Root=1-aaaaaaaa-${'a'.repeat(24)};Parent=${'b'.repeat(16)};Sampled=0`);
  });

  it('leaves a frozen header object alone instead of throwing', () => {
    const frozen = Object.freeze({}) as Record<string, string>;
    expect(() => inject({ traceId: 'a'.repeat(32), spanId: 'b'.repeat(16) }, frozen)).not.toThrow();
  });

  it('lists the header names it may write', () => {
    expect(propagationHeaderNames(['xray', 'w3c'])).toEqual(['x-amzn-trace-id', 'traceparent', 'tracestate']);
  });
});

describe('checkFormats', () => {
  it('names the option, the value and the formats allowed', () => {
    expect(() => checkFormats(['w3c', 'zipkin'])).toThrow(
      "propagation.formats: 'zipkin' is not a propagation format (use one of xray, w3c, b3, b3multi, jaeger)",
    );
    expect(() => checkFormats([])).toThrow('propagation.formats: [] is not a list of formats');
  });
});
