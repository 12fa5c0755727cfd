import fc from 'fast-check';
import {
  type Condition,
  type Expr,
  parseCondition,
  printCondition,
  RuleSyntaxError,
  type SeriesExpr,
  type StatName,
  type ThresholdUnit,
} from '../../domain/languages/rule-language';

/** The AST without source positions, to compare a parse with its generator. */
function strip(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(strip);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([k]) => k !== 'pos')
        .map(([k, v]) => [k, strip(v)]),
    );
  }
  return value;
}

function syntaxError(source: string): RuleSyntaxError {
  try {
    parseCondition(source);
  } catch (e) {
    if (e instanceof RuleSyntaxError) return e;
    throw e;
  }
  throw new Error(`'${source}' parsed`);
}

describe('alert rule language', () => {
  it("parses the MAIF monitoring guide's five conditions", () => {
    expect(strip(parseCondition('error_rate > 5%'))).toEqual({
      type: 'threshold',
      left: { type: 'series', name: 'error_rate', filters: [] },
      op: '>',
      right: { value: 5, unit: '%' },
    });
    expect(strip(parseCondition('up == 0'))).toMatchObject({ op: '==', right: { value: 0 } });
    expect(strip(parseCondition('response_time_p95 > 2s'))).toMatchObject({
      left: { name: 'response_time_p95' },
      right: { value: 2, unit: 's' },
    });
    expect(strip(parseCondition('disk_usage > 85%'))).toMatchObject({ right: { value: 85, unit: '%' } });
    expect(strip(parseCondition('memory_usage increase > 10% in 1h'))).toEqual({
      type: 'change',
      left: { type: 'series', name: 'memory_usage', filters: [] },
      direction: 'increase',
      op: '>',
      right: { value: 10, unit: '%' },
      window: { value: 1, unit: 'h' },
    });
  });

  it('parses statistics, label filters, ratios and anomaly bands', () => {
    const ratio = parseCondition(
      "sum(http_request_errors_total{operation='search'}) / rate(http_requests_total) >= 0.5%",
    ) as Extract<Condition, { type: 'threshold' }>;
    expect(strip(ratio.left)).toEqual({
      type: 'binary',
      op: '/',
      left: {
        type: 'series',
        name: 'http_request_errors_total',
        stat: 'sum',
        filters: [{ label: 'operation', value: 'search' }],
      },
      right: { type: 'series', name: 'http_requests_total', stat: 'rate', filters: [] },
    });
    expect(strip(parseCondition('p99.9(search_duration_seconds) < 300ms'))).toMatchObject({
      left: { stat: 'p99.9', name: 'search_duration_seconds' },
    });
    expect(strip(parseCondition('anomaly(cpu_utilization) outside 2 bands'))).toEqual({
      type: 'anomaly',
      expr: { type: 'series', name: 'cpu_utilization', filters: [] },
      bands: 2,
    });
    expect(strip(parseCondition('anomaly(search_duration_seconds_p95) outside 3 bands above'))).toMatchObject({
      side: 'above',
    });
  });

  it('gives * and / precedence over + and -, left to right', () => {
    const c = parseCondition('a + b * c - d / e > 1') as Extract<Condition, { type: 'threshold' }>;
    expect(printCondition(c)).toBe('a + b * c - d / e > 1');
    const grouped = parseCondition('a / (b + c) > 1') as Extract<Condition, { type: 'threshold' }>;
    expect(strip(grouped.left)).toMatchObject({ op: '/', right: { op: '+' } });
  });

  it('reports a missing threshold with its position and what was expected', () => {
    const e = syntaxError('error_rate >');
    expect(e.position).toBe(12);
    expect(e.expected).toMatch(/a threshold/);
    expect(e.message).toBe(
      "condition 'error_rate >': at 12 expected a threshold: a number, optionally with a unit (% ms s m h B KB MB GB), found the end",
    );
  });

  it('reports a single = where a comparison was expected', () => {
    const e = syntaxError('up = 0');
    expect(e.position).toBe(3);
    expect(e.message).toMatch(/expected a comparison \(> >= < <= == !=\), 'increase' or 'decrease'/);
  });

  it('reports an unknown threshold unit at the unit', () => {
    const e = syntaxError('response_time > 2sec');
    expect(e.position).toBe(17);
    expect(e.message).toMatch(/expected a threshold unit .* found 'sec'/);
  });

  it('reports a rate of change without its window', () => {
    expect(syntaxError('memory_usage increase > 10%').message).toMatch(/at 27 expected 'in', found the end/);
    expect(syntaxError('memory_usage increase > 10% in soon').message).toMatch(/expected a window/);
  });

  it('reports an unknown function and a stray character', () => {
    expect(syntaxError('median(x) > 1').message).toMatch(/at 0 expected a statistic \(avg, sum, min, max, count, rate/);
    expect(syntaxError('x > 1 ; drop').position).toBe(6);
    expect(syntaxError("x{a='1' > 1").message).toMatch(/expected ',' or '}'/);
    expect(syntaxError('x{a=~"1"} > 1').message).toMatch(/expected '=' \(label filters match one exact value\)/);
  });

  it('rejects units inside expressions and anomaly without bands', () => {
    expect(syntaxError('x * 2s > 1').message).toMatch(/a number without a unit inside an expression/);
    expect(syntaxError('anomaly(x) outside bands').message).toMatch(/a positive number of bands/);
  });

  // ---------------------------------------------------------------- property tests

  const name = fc.stringMatching(/^[a-z][a-z0-9_]{0,12}$/).filter((n) => !/(^|_)p\d+$/.test(n));
  const stat: fc.Arbitrary<StatName> = fc.oneof(
    fc.constantFrom<StatName>('avg', 'sum', 'min', 'max', 'count', 'rate'),
    fc.constantFrom<StatName>('p50', 'p90', 'p95', 'p99', 'p99.9', 'p0.5'),
  );
  const labelValue = fc.string({ maxLength: 8 });
  const series: fc.Arbitrary<SeriesExpr> = fc.record(
    {
      type: fc.constant('series' as const),
      name,
      stat,
      filters: fc.array(fc.record({ label: name, value: labelValue }), { maxLength: 2 }),
      pos: fc.constant(0),
    },
    { requiredKeys: ['type', 'name', 'filters', 'pos'] },
  );
  const number = fc.oneof(fc.integer({ min: 0, max: 10_000 }), fc.double({ min: 0, max: 1e6, noNaN: true }));
  const expr: fc.Arbitrary<Expr> = fc.letrec<{ e: Expr }>((tie) => ({
    e: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      series,
      fc.record({ type: fc.constant('number' as const), value: number, pos: fc.constant(0) }),
      fc.record({
        type: fc.constant('binary' as const),
        op: fc.constantFrom('+' as const, '-' as const, '*' as const, '/' as const),
        left: tie('e'),
        right: tie('e'),
        pos: fc.constant(0),
      }),
    ),
  })).e;
  const unit = fc.option(fc.constantFrom<ThresholdUnit>('%', 'ms', 's', 'm', 'h', 'B', 'KB', 'MB', 'GB'), {
    nil: undefined,
  });
  const quantity = fc
    .record({ value: fc.oneof(number, fc.integer({ min: -100, max: 0 })), unit })
    .map((q) => (q.unit === undefined ? { value: q.value } : q));
  const comparator = fc.constantFrom(
    '>' as const,
    '>=' as const,
    '<' as const,
    '<=' as const,
    '==' as const,
    '!=' as const,
  );
  const condition: fc.Arbitrary<Condition> = fc.oneof(
    fc.record({ type: fc.constant('threshold' as const), left: expr, op: comparator, right: quantity }),
    fc.record({
      type: fc.constant('change' as const),
      left: expr,
      direction: fc.constantFrom('increase' as const, 'decrease' as const),
      op: comparator,
      right: quantity,
      window: fc.record({
        value: fc.integer({ min: 1, max: 48 }),
        unit: fc.constantFrom('s' as const, 'm' as const, 'h' as const, 'd' as const),
      }),
    }),
    fc
      .record({
        type: fc.constant('anomaly' as const),
        expr,
        bands: fc.integer({ min: 1, max: 10 }),
        side: fc.option(fc.constantFrom('above' as const, 'below' as const), { nil: undefined }),
      })
      .map((c) => (c.side === undefined ? { type: c.type, expr: c.expr, bands: c.bands } : c)),
  );

  it('parses every printed condition back to the same tree', () => {
    fc.assert(
      fc.property(condition, (c) => {
        const text = printCondition(c);
        expect(strip(parseCondition(text))).toEqual(strip(c));
      }),
      { numRuns: 500 },
    );
  });

  it('prints the canonical text of every parsed condition unchanged', () => {
    fc.assert(
      fc.property(condition, (c) => {
        const text = printCondition(c);
        expect(printCondition(parseCondition(text))).toBe(text);
      }),
      { numRuns: 300 },
    );
  });

  it('never throws anything but a RuleSyntaxError on arbitrary input', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (source) => {
        try {
          parseCondition(source);
        } catch (e) {
          expect(e).toBeInstanceOf(RuleSyntaxError);
          const err = e as RuleSyntaxError;
          expect(err.position).toBeGreaterThanOrEqual(0);
          expect(err.position).toBeLessThanOrEqual(source.length);
        }
      }),
      { numRuns: 1000 },
    );
  });
});
