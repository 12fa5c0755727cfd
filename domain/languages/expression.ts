/**
 * The safe expression language of log processing rules and alert routing conditions.
 *
 *   level == 'ERROR' and not (service in ['canary', 'smoke'])
 *   user_id exists
 *   labels.team != 'platform' || message =~ '^timeout'
 *
 * A hand-written tokenizer and recursive-descent parser build an AST; `compileExpression` turns
 * it into a tree of closures once (no eval, no new Function), so each evaluation is a few
 * direct calls. Grammar, lowest precedence first:
 *
 *   expression := and ( ('or' | '||') and )*
 *   and        := unary ( ('and' | '&&') unary )*
 *   unary      := ('not' | '!') unary | test
 *   test       := operand [ compareOp operand | '=~' string | 'in' list | 'contains' operand
 *                          | 'exists' | 'not' 'exists' ]
 *   operand    := path | string | number | true | false | null | '(' expression ')'
 *   list       := '[' [ literal ( ',' literal )* [','] ] ']'
 */

export type CompareOperator = '==' | '!=' | '<' | '<=' | '>' | '>=';
export type Literal = string | number | boolean | null;

export type Expression =
  | { readonly kind: 'literal'; readonly value: Literal }
  | { readonly kind: 'path'; readonly path: readonly string[] }
  | { readonly kind: 'compare'; readonly op: CompareOperator; readonly left: Expression; readonly right: Expression }
  | { readonly kind: 'match'; readonly left: Expression; readonly pattern: string }
  | { readonly kind: 'in'; readonly left: Expression; readonly items: readonly Literal[] }
  | { readonly kind: 'contains'; readonly left: Expression; readonly right: Expression }
  | { readonly kind: 'exists'; readonly path: readonly string[]; readonly negated: boolean }
  | { readonly kind: 'not'; readonly operand: Expression }
  | { readonly kind: 'and' | 'or'; readonly left: Expression; readonly right: Expression };

/** Looks a dotted path up in whatever the expression is evaluated against; `undefined` when absent. */
export type PathResolver = (path: readonly string[]) => unknown;
export type CompiledExpression = (resolve: PathResolver) => boolean;

/** A syntax error: `position` is the 0-based offset in the source, the message shows the 1-based column. */
export class ExpressionError extends Error {
  override readonly name = 'ExpressionError';
  readonly source: string;
  readonly position: number;
  readonly expected: string;

  constructor(source: string, position: number, expected: string, found: string) {
    super(
      `expression ${JSON.stringify(source)}: at ${position + 1} expected ${expected}${found ? ` but found ${found}` : ''}`,
    );
    this.source = source;
    this.position = position;
    this.expected = expected;
  }
}

/** Longest source accepted; conditions are one-liners, this bounds parse time and recursion. */
export const MAX_EXPRESSION_LENGTH = 4096;
/** Nesting depth limit (parentheses and `not`), so a hostile source cannot overflow the stack. */
export const MAX_EXPRESSION_DEPTH = 64;

const KEYWORDS = ['and', 'or', 'not', 'in', 'contains', 'exists', 'true', 'false', 'null'] as const;
type Keyword = (typeof KEYWORDS)[number];

const OPERATOR_HINT = 'an operator (==, !=, <, <=, >, >=, =~, in, contains, exists, not exists, and, or)';

type Token =
  | { readonly type: 'ident'; readonly text: string; readonly pos: number }
  | { readonly type: 'keyword'; readonly text: Keyword; readonly pos: number }
  | { readonly type: 'string'; readonly value: string; readonly pos: number }
  | { readonly type: 'number'; readonly value: number; readonly pos: number }
  | { readonly type: 'punct'; readonly text: string; readonly pos: number }
  | { readonly type: 'end'; readonly pos: number };

const PUNCTUATION = ['==', '!=', '<=', '>=', '=~', '&&', '||', '<', '>', '!', '(', ')', '[', ']', ',', '.'] as const;

const isIdentStart = (c: number) => (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || c === 36 || c === 64; // a-z A-Z _ $ @
const isDigit = (c: number) => c >= 48 && c <= 57;
const isIdentPart = (c: number) => isIdentStart(c) || isDigit(c) || c === 45; // and '-': `x-request-id`
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

const ESCAPES: Record<string, string> = { n: '\n', r: '\r', t: '\t', '\\': '\\', "'": "'", '"': '"' };

function describe(token: Token): string {
  switch (token.type) {
    case 'end':
      return 'the end';
    case 'string':
      return JSON.stringify(token.value);
    case 'number':
      return String(token.value);
    default:
      return `'${token.text}'`;
  }
}

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const n = source.length;
  while (i < n) {
    const c = source.charCodeAt(i);
    if (c === 32 || c === 9 || c === 10 || c === 13) {
      i++;
      continue;
    }
    if (c === 39 || c === 34) {
      // a quoted string; an unknown escape keeps its backslash so regex patterns read naturally ('\d+')
      const start = i;
      let value = '';
      i++;
      for (;;) {
        if (i >= n) throw new ExpressionError(source, start, 'a closing quote for the string', 'the end');
        const ch = source[i];
        if (ch.charCodeAt(0) === c) break;
        if (ch === '\\' && i + 1 < n) {
          const next = source[i + 1];
          value += ESCAPES[next] ?? `\\${next}`;
          i += 2;
        } else {
          value += ch;
          i++;
        }
      }
      i++;
      tokens.push({ type: 'string', value, pos: start });
      continue;
    }
    if (isDigit(c) || (c === 45 && i + 1 < n && isDigit(source.charCodeAt(i + 1)))) {
      NUMBER.lastIndex = i;
      const m = NUMBER.exec(source);
      const text = m ? m[0] : source[i];
      const value = Number(text);
      if (!m || !Number.isFinite(value) || (i + text.length < n && isIdentPart(source.charCodeAt(i + text.length)))) {
        let end = i + 1;
        while (end < n && (isIdentPart(source.charCodeAt(end)) || source[end] === '.')) end++;
        throw new ExpressionError(source, i, 'a number', `'${source.slice(i, end)}'`);
      }
      tokens.push({ type: 'number', value, pos: i });
      i += text.length;
      continue;
    }
    if (isIdentStart(c)) {
      const start = i;
      while (i < n && isIdentPart(source.charCodeAt(i))) i++;
      const text = source.slice(start, i);
      const lower = text.toLowerCase();
      // a keyword right after '.' is a path segment (`metadata.in`)
      const previous = tokens[tokens.length - 1];
      const afterDot = previous?.type === 'punct' && previous.text === '.';
      if (!afterDot && (KEYWORDS as readonly string[]).includes(lower)) {
        tokens.push({ type: 'keyword', text: lower as Keyword, pos: start });
      } else {
        tokens.push({ type: 'ident', text, pos: start });
      }
      continue;
    }
    const two = source.slice(i, i + 2);
    const punct = PUNCTUATION.find((p) => (p.length === 2 ? p === two : p === source[i]));
    if (punct === undefined) {
      const expected = '=&|'.includes(source[i])
        ? OPERATOR_HINT
        : `a path, a literal, a parenthesis or ${OPERATOR_HINT}`;
      throw new ExpressionError(source, i, expected, `'${source[i]}'`);
    }
    tokens.push({ type: 'punct', text: punct, pos: i });
    i += punct.length;
  }
  tokens.push({ type: 'end', pos: n });
  return tokens;
}

class Parser {
  readonly #source: string;
  readonly #tokens: Token[];
  #at = 0;
  #depth = 0;

  constructor(source: string) {
    this.#source = source;
    this.#tokens = tokenize(source);
  }

  parse(): Expression {
    const expr = this.#or();
    const token = this.#peek();
    if (token.type !== 'end') this.#fail(token, this.#afterOperandHint());
    return expr;
  }

  #afterOperandHint(): string {
    return `${OPERATOR_HINT} or the end`;
  }

  #peek(): Token {
    return this.#tokens[this.#at];
  }

  #next(): Token {
    return this.#tokens[this.#at++];
  }

  #fail(token: Token, expected: string): never {
    throw new ExpressionError(this.#source, token.pos, expected, describe(token));
  }

  #isPunct(text: string): boolean {
    const t = this.#peek();
    return t.type === 'punct' && t.text === text;
  }

  #isKeyword(text: Keyword, offset = 0): boolean {
    const t = this.#tokens[this.#at + offset];
    return t !== undefined && t.type === 'keyword' && t.text === text;
  }

  #enter(token: Token): void {
    if (++this.#depth > MAX_EXPRESSION_DEPTH) {
      this.#fail(token, `at most ${MAX_EXPRESSION_DEPTH} levels of nesting`);
    }
  }

  #or(): Expression {
    let left = this.#and();
    while (this.#isKeyword('or') || this.#isPunct('||')) {
      this.#next();
      left = { kind: 'or', left, right: this.#and() };
    }
    return left;
  }

  #and(): Expression {
    let left = this.#unary();
    while (this.#isKeyword('and') || this.#isPunct('&&')) {
      this.#next();
      left = { kind: 'and', left, right: this.#unary() };
    }
    return left;
  }

  #unary(): Expression {
    if (this.#isKeyword('not') || this.#isPunct('!')) {
      const token = this.#next();
      this.#enter(token);
      const operand = this.#unary();
      this.#depth--;
      return { kind: 'not', operand };
    }
    return this.#test();
  }

  #test(): Expression {
    const left = this.#operand();
    const token = this.#peek();
    if (token.type === 'punct') {
      switch (token.text) {
        case '==':
        case '!=':
        case '<':
        case '<=':
        case '>':
        case '>=':
          this.#next();
          return { kind: 'compare', op: token.text, left, right: this.#operand() };
        case '=~':
          return this.#match(left);
      }
      return left;
    }
    if (token.type !== 'keyword') return left;
    switch (token.text) {
      case 'in':
        this.#next();
        return { kind: 'in', left, items: this.#list() };
      case 'contains':
        this.#next();
        return { kind: 'contains', left, right: this.#operand() };
      case 'exists':
        this.#next();
        return { kind: 'exists', path: this.#pathOf(left, token), negated: false };
      case 'not':
        if (this.#isKeyword('exists', 1)) {
          this.#next();
          this.#next();
          return { kind: 'exists', path: this.#pathOf(left, token), negated: true };
        }
        this.#next();
        this.#fail(this.#peek(), "'exists' after 'not' (write `not (a == b)` to negate a test)");
    }
    return left;
  }

  #match(left: Expression): Expression {
    this.#next();
    const token = this.#next();
    if (token.type !== 'string') this.#fail(token, 'a regular expression as a quoted string');
    try {
      new RegExp(token.value);
    } catch (error) {
      this.#fail(token, `a valid regular expression (${(error as Error).message})`);
    }
    return { kind: 'match', left, pattern: token.value };
  }

  #pathOf(left: Expression, token: Token): readonly string[] {
    if (left.kind !== 'path')
      this.#fail(
        token,
        `a path (such as user_id or labels.team) before '${token.type === 'keyword' ? token.text : 'exists'}'`,
      );
    return left.path;
  }

  #list(): Literal[] {
    const open = this.#next();
    if (open.type !== 'punct' || open.text !== '[')
      this.#fail(open, "a list in brackets after 'in', such as ['a', 'b']");
    const items: Literal[] = [];
    while (!this.#isPunct(']')) {
      const token = this.#next();
      const literal = this.#literalOf(token);
      if (literal === undefined) this.#fail(token, "a literal (string, number, true, false, null) or ']'");
      items.push(literal.value);
      if (this.#isPunct(',')) this.#next();
      else if (!this.#isPunct(']')) this.#fail(this.#peek(), "',' or ']'");
    }
    this.#next();
    return items;
  }

  #literalOf(token: Token): { value: Literal } | undefined {
    if (token.type === 'string' || token.type === 'number') return { value: token.value };
    if (token.type === 'keyword') {
      if (token.text === 'true') return { value: true };
      if (token.text === 'false') return { value: false };
      if (token.text === 'null') return { value: null };
    }
    return undefined;
  }

  #operand(): Expression {
    const token = this.#next();
    const literal = this.#literalOf(token);
    if (literal !== undefined) return { kind: 'literal', value: literal.value };
    if (token.type === 'ident') {
      const path = [token.text];
      while (this.#isPunct('.')) {
        this.#next();
        const segment = this.#next();
        if (segment.type !== 'ident') this.#fail(segment, "a field name after '.'");
        path.push(segment.text);
      }
      return { kind: 'path', path };
    }
    if (token.type === 'punct' && token.text === '(') {
      this.#enter(token);
      const inner = this.#or();
      this.#depth--;
      const close = this.#next();
      if (close.type !== 'punct' || close.text !== ')') this.#fail(close, `${OPERATOR_HINT} or ')'`);
      return inner;
    }
    this.#fail(token, "a path, a literal or '('");
  }
}

/** Parses `source` to an AST; throws `ExpressionError` with the position of the first problem. */
export function parseExpression(source: string): Expression {
  if (typeof source !== 'string') {
    throw new ExpressionError(String(source), 0, 'an expression as a string', typeof source);
  }
  if (source.length > MAX_EXPRESSION_LENGTH) {
    throw new ExpressionError(
      source.slice(0, 40),
      0,
      `at most ${MAX_EXPRESSION_LENGTH} characters`,
      `${source.length}`,
    );
  }
  return new Parser(source).parse();
}

// --- printing -------------------------------------------------------------------------------

const PRECEDENCE: Record<Expression['kind'], number> = {
  or: 1,
  and: 2,
  not: 3,
  compare: 4,
  match: 4,
  in: 4,
  contains: 4,
  exists: 4,
  literal: 5,
  path: 5,
};

function printLiteral(value: Literal): string {
  if (typeof value === 'string') {
    return `'${value.replace(/[\\'\n\r\t]/g, (c) => (c === '\n' ? '\\n' : c === '\r' ? '\\r' : c === '\t' ? '\\t' : `\\${c}`))}'`;
  }
  return String(value);
}

function printPath(path: readonly string[]): string {
  return path.join('.');
}

/** Prints an AST back to source that parses to the same AST (parentheses only where needed). */
export function printExpression(expr: Expression): string {
  const wrap = (child: Expression, min: number) => {
    const text = printExpression(child);
    return PRECEDENCE[child.kind] < min ? `(${text})` : text;
  };
  switch (expr.kind) {
    case 'literal':
      return printLiteral(expr.value);
    case 'path':
      return printPath(expr.path);
    case 'compare':
      return `${wrap(expr.left, 5)} ${expr.op} ${wrap(expr.right, 5)}`;
    case 'match':
      return `${wrap(expr.left, 5)} =~ ${printLiteral(expr.pattern)}`;
    case 'in':
      return `${wrap(expr.left, 5)} in [${expr.items.map(printLiteral).join(', ')}]`;
    case 'contains':
      return `${wrap(expr.left, 5)} contains ${wrap(expr.right, 5)}`;
    case 'exists':
      return `${printPath(expr.path)} ${expr.negated ? 'not exists' : 'exists'}`;
    case 'not':
      return `not ${wrap(expr.operand, 3)}`;
    case 'and':
      return `${wrap(expr.left, 2)} and ${wrap(expr.right, 3)}`;
    case 'or':
      return `${wrap(expr.left, 1)} or ${wrap(expr.right, 2)}`;
  }
}

// --- evaluation -----------------------------------------------------------------------------

type Evaluator = (resolve: PathResolver) => unknown;

/** Numbers compare with numbers and numeric strings ('500' == 500); other types compare strictly. */
function asNumber(value: string): number {
  // '' and '  ' are not numbers, though Number() says 0
  return value.trim() === '' ? Number.NaN : Number(value);
}

function equals(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  // a missing field equals null
  if (a == null && b == null) return true;
  if (typeof a === 'number' && typeof b === 'string') return a === asNumber(b);
  if (typeof a === 'string' && typeof b === 'number') return asNumber(a) === b;
  return false;
}

function ordered(op: CompareOperator, a: unknown, b: unknown): boolean {
  let x: number | string;
  let y: number | string;
  if (typeof a === 'number') {
    if (typeof b === 'number') y = b;
    else if (typeof b === 'string') y = asNumber(b);
    else return false;
    x = a;
  } else if (typeof a === 'string') {
    if (typeof b === 'string') y = b;
    else if (typeof b === 'number') {
      x = asNumber(a);
      y = b;
      return compareValues(op, x, y);
    } else return false;
    x = a;
  } else {
    return false;
  }
  return compareValues(op, x, y);
}

function compareValues(op: CompareOperator, x: number | string, y: number | string): boolean {
  switch (op) {
    case '<':
      return x < y;
    case '<=':
      return x <= y;
    case '>':
      return x > y;
    default:
      return x >= y;
  }
}

function contains(haystack: unknown, needle: unknown): boolean {
  if (typeof haystack === 'string')
    return typeof needle === 'string' || typeof needle === 'number' ? haystack.includes(String(needle)) : false;
  if (Array.isArray(haystack)) return haystack.some((item) => equals(item, needle));
  return false;
}

function compile(expr: Expression): Evaluator {
  switch (expr.kind) {
    case 'literal': {
      const value = expr.value;
      return () => value;
    }
    case 'path': {
      const path = expr.path;
      return (resolve) => resolve(path);
    }
    case 'compare': {
      const left = compile(expr.left);
      const right = compile(expr.right);
      const op = expr.op;
      if (op === '==') return (r) => equals(left(r), right(r));
      if (op === '!=') return (r) => !equals(left(r), right(r));
      return (r) => ordered(op, left(r), right(r));
    }
    case 'match': {
      const left = compile(expr.left);
      const regex = new RegExp(expr.pattern);
      return (r) => {
        const value = left(r);
        return (typeof value === 'string' || typeof value === 'number') && regex.test(String(value));
      };
    }
    case 'in': {
      const left = compile(expr.left);
      const items = expr.items;
      return (r) => {
        const value = left(r);
        return items.some((item) => equals(value, item));
      };
    }
    case 'contains': {
      const left = compile(expr.left);
      const right = compile(expr.right);
      return (r) => contains(left(r), right(r));
    }
    case 'exists': {
      const path = expr.path;
      // `exists` means present and not null, as a JSON log reader expects
      return expr.negated ? (r) => r(path) == null : (r) => r(path) != null;
    }
    case 'not': {
      const operand = compile(expr.operand);
      return (r) => !truthy(operand(r));
    }
    case 'and': {
      const left = compile(expr.left);
      const right = compile(expr.right);
      return (r) => truthy(left(r)) && truthy(right(r));
    }
    case 'or': {
      const left = compile(expr.left);
      const right = compile(expr.right);
      return (r) => truthy(left(r)) || truthy(right(r));
    }
  }
}

/** A bare path or literal used as a condition: true, a non-zero number, a non-empty string or any object. */
function truthy(value: unknown): boolean {
  return Boolean(value);
}

/** Compiles an AST (or source) once to a predicate over a path resolver. */
export function compileAst(expr: Expression): CompiledExpression {
  const evaluate = compile(expr);
  return (resolve) => truthy(evaluate(resolve));
}

/** Parses and compiles `source`; throws `ExpressionError` on a syntax error. */
export function compileExpression(source: string): CompiledExpression {
  return compileAst(parseExpression(source));
}

const hasOwn = Object.prototype.hasOwnProperty;

/** Resolves a dotted path in a plain object through own properties only (no prototype lookups). */
export function resolvePath(record: unknown, path: readonly string[]): unknown {
  let value = record;
  for (let i = 0; i < path.length; i++) {
    if (value === null || typeof value !== 'object' || !hasOwn.call(value, path[i])) return undefined;
    value = (value as Record<string, unknown>)[path[i]];
  }
  return value;
}

const compiledCache = new WeakMap<Expression, CompiledExpression>();

/** Evaluates an expression (AST or source) against a plain object. */
export function evaluateExpression(expr: Expression | string, record: unknown): boolean {
  let compiled: CompiledExpression | undefined;
  if (typeof expr === 'string') {
    compiled = compileExpression(expr);
  } else {
    compiled = compiledCache.get(expr);
    if (compiled === undefined) {
      compiled = compileAst(expr);
      compiledCache.set(expr, compiled);
    }
  }
  return compiled((path) => resolvePath(record, path));
}
