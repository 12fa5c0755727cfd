import fc from 'fast-check';
import {
  compileExpression,
  type Expression,
  ExpressionError,
  evaluateExpression,
  type Literal,
  parseExpression,
  printExpression,
} from '../../domain/languages/expression';

const KEYWORDS = new Set(['and', 'or', 'not', 'in', 'contains', 'exists', 'true', 'false', 'null']);
const segment = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_-]{0,8}$/);
const firstSegment = segment.filter((s) => !KEYWORDS.has(s.toLowerCase()));
const path = fc.tuple(firstSegment, fc.array(segment, { maxLength: 2 })).map(([h, t]) => [h, ...t]);
const literal: fc.Arbitrary<Literal> = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.double({ noNaN: true, noDefaultInfinity: true }).filter((n) => !Object.is(n, -0)),
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
);

const { expr } = fc.letrec<{ expr: Expression; operand: Expression }>((tie) => ({
  operand: fc.oneof(
    { depthSize: 'small' },
    literal.map((value): Expression => ({ kind: 'literal', value })),
    path.map((p): Expression => ({ kind: 'path', path: p })),
    tie('expr'),
  ),
  expr: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    path.map((p): Expression => ({ kind: 'path', path: p })),
    fc
      .record({
        op: fc.constantFrom('==', '!=', '<', '<=', '>', '>=' as const),
        left: tie('operand'),
        right: tie('operand'),
      })
      .map((r): Expression => ({ kind: 'compare', ...r })),
    fc
      .record({ left: tie('operand'), pattern: fc.constantFrom('^a', 'b+$', '\\d{2}', "it's") })
      .map((r): Expression => ({ kind: 'match', ...r })),
    fc
      .record({ left: tie('operand'), items: fc.array(literal, { maxLength: 3 }) })
      .map((r): Expression => ({ kind: 'in', ...r })),
    fc.record({ left: tie('operand'), right: tie('operand') }).map((r): Expression => ({ kind: 'contains', ...r })),
    fc.record({ path, negated: fc.boolean() }).map((r): Expression => ({ kind: 'exists', ...r })),
    tie('expr').map((operand): Expression => ({ kind: 'not', operand })),
    fc
      .record({ kind: fc.constantFrom('and', 'or' as const), left: tie('expr'), right: tie('expr') })
      .map((r): Expression => r),
  ),
}));

describe('parseExpression', () => {
  it('parses the rule strings of the configuration', () => {
    expect(parseExpression("level == 'ERROR'")).toEqual({
      kind: 'compare',
      op: '==',
      left: { kind: 'path', path: ['level'] },
      right: { kind: 'literal', value: 'ERROR' },
    });
    expect(parseExpression('user_id exists')).toEqual({ kind: 'exists', path: ['user_id'], negated: false });
    expect(parseExpression('labels.service not exists')).toEqual({
      kind: 'exists',
      path: ['labels', 'service'],
      negated: true,
    });
  });

  it('gives and a higher precedence than or, and not a lower one than comparisons', () => {
    const ast = parseExpression('a == 1 or not b == 2 and c exists');
    expect(printExpression(ast)).toBe('a == 1 or not b == 2 and c exists');
    expect(ast.kind).toBe('or');
    expect(ast.kind === 'or' && ast.right.kind).toBe('and');
  });

  it('accepts the symbol forms &&, || and !', () => {
    expect(parseExpression('a && !b || c')).toEqual(parseExpression('a and not b or c'));
  });

  it('reads keywords after a dot as field names', () => {
    expect(parseExpression('metadata.in == 1')).toMatchObject({ left: { kind: 'path', path: ['metadata', 'in'] } });
  });

  it('reports the position and what was expected', () => {
    let error: unknown;
    try {
      parseExpression("level = 'x'");
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ExpressionError);
    expect((error as ExpressionError).position).toBe(6);
    expect((error as ExpressionError).message).toMatch(/^expression "level = 'x'": at 7 expected an operator \(==, !=/);
  });

  it.each([
    ['level ==', 8, /a path, a literal/],
    ['(a == 1', 7, /'\)'/],
    ["x =~ '('", 5, /valid regular expression/],
    ['x in 3', 5, /a list in brackets/],
    ["'open", 0, /closing quote/],
    ['5m > 1', 0, /a number/],
    ['1 exists', 2, /a path/],
    ['a not b', 6, /'exists' after 'not'/],
  ])('rejects %j at %i', (source, position, expected) => {
    expect(() => parseExpression(source)).toThrow(expected);
    try {
      parseExpression(source);
    } catch (e) {
      expect((e as ExpressionError).position).toBe(position);
    }
  });

  it('bounds nesting so a hostile source cannot overflow the stack', () => {
    expect(() => parseExpression(`${'('.repeat(500)}a${')'.repeat(500)}`)).toThrow(/levels of nesting/);
    expect(() => parseExpression(`${'not '.repeat(500)}a`)).toThrow(/levels of nesting/);
  });

  it('prints then parses any AST back to the same AST', () => {
    fc.assert(
      fc.property(expr, (ast) => {
        expect(parseExpression(printExpression(ast))).toEqual(ast);
      }),
      { numRuns: 500 },
    );
  });

  it('never crashes on garbage: it parses or throws an ExpressionError with a position inside the source', () => {
    const alphabet = fc.constantFrom(
      ...'ab._ =!<>~&|()[],\'"\\0123456789-'.split(''),
      ' and ',
      ' or ',
      ' not ',
      ' in ',
      ' exists ',
      ' contains ',
    );
    const garbage = fc.oneof(
      fc.string({ maxLength: 40 }),
      fc.array(alphabet, { maxLength: 30 }).map((a) => a.join('')),
    );
    fc.assert(
      fc.property(garbage, (source) => {
        try {
          parseExpression(source);
        } catch (e) {
          expect(e).toBeInstanceOf(ExpressionError);
          expect((e as ExpressionError).position).toBeGreaterThanOrEqual(0);
          expect((e as ExpressionError).position).toBeLessThanOrEqual(source.length);
          expect((e as ExpressionError).expected.length).toBeGreaterThan(0);
        }
      }),
      { numRuns: 2000 },
    );
  });
});

describe('evaluating expressions', () => {
  const record = {
    level: 'ERROR',
    status: 503,
    code: '404',
    user_id: 'u-1',
    empty: null,
    message: 'timeout after 30s',
    tags: ['beta', 'eu'],
    labels: { team: 'platform' },
  };

  it.each([
    ["level == 'ERROR'", true],
    ["level != 'ERROR'", false],
    ['user_id exists', true],
    ['missing exists', false],
    ['empty exists', false],
    ['empty not exists', true],
    ['missing == null', true],
    ['status >= 500 and status < 600', true],
    ['code == 404', true],
    ["code > '400'", true],
    ['level > 3', false],
    ["message =~ '^timeout after \\d+s$'", true],
    ["level in ['WARN', 'ERROR']", true],
    ['status in [500, 502]', false],
    ["message contains 'after'", true],
    ["tags contains 'eu'", true],
    ["labels.team == 'platform'", true],
    ['labels.team.x exists', false],
    ["not (level == 'ERROR' or status == 1)", false],
    ['true', true],
    ['labels', true],
    ['missing', false],
  ])('%s is %s', (source, expected) => {
    expect(evaluateExpression(source, record)).toBe(expected);
  });

  it('does not see through to the prototype', () => {
    expect(evaluateExpression('constructor exists', {})).toBe(false);
    expect(evaluateExpression('toString exists', { a: 1 })).toBe(false);
  });

  it('compiles once and evaluates against any resolver', () => {
    const test = compileExpression("service == 'search' and latency_ms > 100");
    const seen: string[] = [];
    const resolve = (p: readonly string[]) => {
      seen.push(p.join('.'));
      return p[0] === 'service' ? 'search' : 150;
    };
    expect(test(resolve)).toBe(true);
    expect(seen).toEqual(['service', 'latency_ms']);
    expect(test(() => undefined)).toBe(false);
  });

  it('evaluates ASTs and their printed source alike', () => {
    fc.assert(
      fc.property(
        expr,
        fc.dictionary(firstSegment, fc.oneof(literal, fc.array(literal, { maxLength: 2 }))),
        (ast, rec) => {
          expect(evaluateExpression(printExpression(ast), rec)).toBe(evaluateExpression(ast, rec));
        },
      ),
      { numRuns: 300 },
    );
  });
});
