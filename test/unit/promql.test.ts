import fc from 'fast-check';
import {
  AGGREGATIONS,
  type BinaryOp,
  KEYWORDS,
  MAX_NESTING_DEPTH,
  type PromNode,
  PromQLError,
  parsePromQL,
  printPromQL,
  type SelectorNode,
} from '../../domain/languages/promql';

/** The tree without source positions, for comparing a parse with a generated tree. */
function strip(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(strip);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([k, v]) => k !== 'pos' && v !== undefined)
        .map(([k, v]) => [k, strip(v)]),
    );
  }
  return value;
}

const notKeyword = (s: string) => !KEYWORDS.has(s);
const metricName = fc.stringMatching(/^[a-zA-Z_][a-zA-Z0-9_:]{0,8}$/).filter(notKeyword);
const funcName = fc.stringMatching(/^[a-z_][a-z0-9_]{0,8}$/).filter(notKeyword);
const labelName = fc.stringMatching(/^[a-zA-Z_][a-zA-Z0-9_]{0,6}$/);
const labelValue = fc.string({ unit: 'binary', maxLength: 8 });
const number = fc.double({ min: 0, max: 1e300, noNaN: true }).map(Math.abs);
const duration = fc
  .array(fc.tuple(fc.nat(99), fc.constantFrom('ms', 's', 'm', 'h', 'd', 'w', 'y')), { minLength: 1, maxLength: 2 })
  .map((parts) => {
    const units = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000, y: 31_536_000_000 };
    return {
      text: parts.map(([n, u]) => `${n}${u}`).join(''),
      ms: parts.reduce((sum, [n, u]) => sum + n * units[u as keyof typeof units], 0),
    };
  });
const matcher = fc.record({ name: labelName, op: fc.constantFrom('=', '!=', '=~', '!~'), value: labelValue });
const labels = fc.array(labelName, { maxLength: 3 });

const plainSelector: fc.Arbitrary<SelectorNode> = fc
  .record({ name: fc.option(metricName, { nil: undefined }), matchers: fc.array(matcher, { maxLength: 3 }) })
  .filter((s) => s.name !== undefined || s.matchers.length > 0)
  .map((s) => ({ type: 'selector', ...s }) as unknown as SelectorNode);
const modifiers = fc.record({ offset: duration, at: number }, { requiredKeys: [] });
const BINARY_OPS: BinaryOp[] = ['+', '-', '*', '/', '%', '^', '==', '!=', '<', '<=', '>', '>=', 'and', 'or', 'unless'];
const COMPARISONS = new Set(['==', '!=', '<', '<=', '>', '>=']);
const PARAM_OPS = new Set(['topk', 'bottomk', 'quantile', 'count_values', 'limitk', 'limit_ratio']);

const { node } = fc.letrec<{ node: PromNode }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    number.map((value) => ({ type: 'number', value }) as unknown as PromNode),
    labelValue.map((value) => ({ type: 'string', value }) as unknown as PromNode),
    fc.tuple(plainSelector, modifiers).map(([s, m]) => ({ ...s, ...m }) as unknown as PromNode),
    fc
      .tuple(plainSelector, duration, modifiers)
      .map(([selector, range, m]) => ({ type: 'matrix', selector, range, ...m }) as unknown as PromNode),
    fc
      .tuple(tie('node'), duration, fc.option(duration, { nil: undefined }), modifiers)
      .map(([expr, range, step, m]) => ({ type: 'subquery', expr, range, step, ...m }) as unknown as PromNode),
    fc
      .tuple(funcName, fc.array(tie('node'), { maxLength: 3 }))
      .map(([func, args]) => ({ type: 'call', func, args }) as unknown as PromNode),
    fc
      .tuple(
        fc.constantFrom(...AGGREGATIONS),
        tie('node'),
        tie('node'),
        fc.option(fc.record({ without: fc.boolean(), labels }), { nil: undefined }),
      )
      .map(
        ([op, param, expr, grouping]) =>
          ({ type: 'aggregate', op, param: PARAM_OPS.has(op) ? param : undefined, expr, grouping }) as PromNode,
      ),
    fc
      .tuple(fc.constantFrom('+', '-'), tie('node'))
      .map(([op, expr]) => ({ type: 'unary', op, expr }) as unknown as PromNode),
    fc
      .tuple(
        fc.constantFrom(...BINARY_OPS),
        tie('node'),
        tie('node'),
        fc.boolean(),
        fc.option(
          fc.record(
            {
              on: fc.boolean(),
              labels,
              group: fc.record({ side: fc.constantFrom('left', 'right'), labels }),
            },
            { requiredKeys: ['on', 'labels'] },
          ),
          { nil: undefined },
        ),
      )
      .map(
        ([op, lhs, rhs, bool, matching]) =>
          ({ type: 'binary', op, lhs, rhs, bool: bool && COMPARISONS.has(op), matching }) as PromNode,
      ),
  ),
}));

describe('the PromQL parser', () => {
  it("parses the MAIF monitoring guide's dashboard expressions", () => {
    const ast = parsePromQL("rate(http_requests_total{status=~'5..'}[5m]) / rate(http_requests_total[5m])");
    expect(strip(ast)).toEqual({
      type: 'binary',
      op: '/',
      bool: false,
      lhs: {
        type: 'call',
        func: 'rate',
        args: [
          {
            type: 'matrix',
            range: { text: '5m', ms: 300_000 },
            selector: {
              type: 'selector',
              name: 'http_requests_total',
              matchers: [{ name: 'status', op: '=~', value: '5..' }],
            },
          },
        ],
      },
      rhs: {
        type: 'call',
        func: 'rate',
        args: [
          {
            type: 'matrix',
            range: { text: '5m', ms: 300_000 },
            selector: { type: 'selector', name: 'http_requests_total', matchers: [] },
          },
        ],
      },
    });
    expect(printPromQL(parsePromQL('histogram_quantile(0.95, http_request_duration_seconds_bucket)'))).toBe(
      'histogram_quantile(0.95, http_request_duration_seconds_bucket)',
    );
  });

  it('binds * tighter than +, ^ tighter than unary minus, and ^ to the right', () => {
    expect(printPromQL(parsePromQL('a + b * c'))).toBe('a + b * c');
    expect(printPromQL(parsePromQL('(a + b) * c'))).toBe('(a + b) * c');
    expect(strip(parsePromQL('-a ^ b'))).toMatchObject({ type: 'unary', expr: { type: 'binary', op: '^' } });
    expect(strip(parsePromQL('a ^ b ^ c'))).toMatchObject({ op: '^', rhs: { op: '^' } });
    expect(strip(parsePromQL('a - b - c'))).toMatchObject({ op: '-', lhs: { op: '-' } });
  });

  it('reads grouping before or after the aggregated expression', () => {
    const before = strip(parsePromQL('sum by (le) (rate(x_bucket[5m]))'));
    const after = strip(parsePromQL('sum(rate(x_bucket[5m])) by (le)'));
    expect(before).toEqual(after);
    expect(before).toMatchObject({ type: 'aggregate', op: 'sum', grouping: { without: false, labels: ['le'] } });
  });

  it('tells a range from a subquery and keeps offset and @', () => {
    expect(strip(parsePromQL('x[5m] offset 1h @ 100'))).toMatchObject({
      type: 'matrix',
      offset: { text: '1h', ms: 3_600_000 },
      at: 100,
    });
    expect(strip(parsePromQL('rate(x[5m])[30m:1m]'))).toMatchObject({
      type: 'subquery',
      range: { text: '30m' },
      step: { text: '1m' },
    });
  });

  it('reports the position and what it expected', () => {
    const cases: [string, number, RegExp][] = [
      ['rate(http_requests_total[5m]', 28, /expected '\)' but found end of input/],
      ['x{status=5}', 9, /expected a quoted label value/],
      ['x{status~"5"}', 8, /expected a name, a number, a string or an operator but found '~'/],
      ['x{status "5"}', 9, /expected a label matcher operator/],
      ['rate(x[5])', 7, /expected a duration/],
      ['sum(x) by', 9, /expected '\('/],
      ['a +', 3, /expected an expression/],
      ['(a + b)[5m]', 10, /a range \[5m\] needs a metric selector/],
      ['topk(x)', 6, /expected 2 arguments to topk but found 1/],
      ['x{a="b\\q"}', 7, /expected an escape/],
      ['a b', 2, /expected an operator or end of input/],
    ];
    for (const [source, position, message] of cases) {
      let error: unknown;
      try {
        parsePromQL(source);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(PromQLError);
      expect((error as PromQLError).position).toBe(position);
      expect((error as PromQLError).message).toMatch(message);
      expect((error as PromQLError).message).toContain(JSON.stringify(source));
    }
  });

  it('refuses nesting deeper than its limit instead of overflowing the stack', () => {
    const deep = `${'('.repeat(MAX_NESTING_DEPTH + 10)}x${')'.repeat(MAX_NESTING_DEPTH + 10)}`;
    expect(() => parsePromQL(deep)).toThrow(PromQLError);
    expect(() => parsePromQL(`${'-'.repeat(100_000)}x`)).toThrow(/levels of nesting/);
  });

  it('gives back the same tree when parsing a printed tree', () => {
    fc.assert(
      fc.property(node, (ast) => {
        const printed = printPromQL(ast);
        expect(strip(parsePromQL(printed))).toEqual(strip(ast));
        expect(printPromQL(parsePromQL(printed))).toBe(printed);
      }),
      { numRuns: 500 },
    );
  });

  it('either parses or throws a PromQLError with a position inside the input, for any text', () => {
    const alphabet = fc.constantFrom(...'abxy_:09.5m[]{}()=~!"\'`,+-*/^%<>@ \\#\n'.split(''));
    const garbage = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 40 }),
      fc.string({ unit: alphabet, maxLength: 40 }),
      fc.tuple(node, fc.nat(), fc.string({ unit: alphabet, minLength: 1, maxLength: 3 })).map(([ast, at, junk]) => {
        const text = printPromQL(ast);
        const i = at % (text.length + 1);
        return text.slice(0, i) + junk + text.slice(i);
      }),
    );
    fc.assert(
      fc.property(garbage, (source) => {
        try {
          parsePromQL(source);
        } catch (error) {
          expect(error).toBeInstanceOf(PromQLError);
          const { position, expected } = error as PromQLError;
          expect(position).toBeGreaterThanOrEqual(0);
          expect(position).toBeLessThanOrEqual(source.length);
          expect(expected.length).toBeGreaterThan(0);
        }
      }),
      { numRuns: 2000 },
    );
  });
});
