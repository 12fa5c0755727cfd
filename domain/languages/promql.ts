/**
 * A PromQL parser: tokenizer + recursive descent (precedence climbing) to an AST, and a printer
 * that writes an AST back as canonical PromQL. The parser covers the whole expression syntax
 * (selectors, ranges, subqueries, offset/@, functions, aggregations with by/without, binary
 * operators with bool/on/ignoring/group_left/group_right); what the dashboards can translate is
 * decided later by domain/dashboards/translate.ts, so an unsupported construct gets a precise
 * message there.
 */

export interface Duration {
  /** As written, e.g. `1h30m`. */
  readonly text: string;
  readonly ms: number;
}

export type MatchOp = '=' | '!=' | '=~' | '!~';

export interface LabelMatcher {
  readonly name: string;
  readonly op: MatchOp;
  readonly value: string;
}

export interface NumberNode {
  readonly type: 'number';
  readonly value: number;
  readonly pos: number;
}

export interface StringNode {
  readonly type: 'string';
  readonly value: string;
  readonly pos: number;
}

export interface Modifiers {
  readonly offset?: Duration;
  /** `@ <unix seconds>`. */
  readonly at?: number;
}

export interface SelectorNode extends Modifiers {
  readonly type: 'selector';
  readonly name?: string;
  readonly matchers: readonly LabelMatcher[];
  readonly pos: number;
}

export interface MatrixNode extends Modifiers {
  readonly type: 'matrix';
  readonly selector: SelectorNode;
  readonly range: Duration;
  readonly pos: number;
}

export interface SubqueryNode extends Modifiers {
  readonly type: 'subquery';
  readonly expr: PromNode;
  readonly range: Duration;
  readonly step?: Duration;
  readonly pos: number;
}

export interface CallNode {
  readonly type: 'call';
  readonly func: string;
  readonly args: readonly PromNode[];
  readonly pos: number;
}

export interface Grouping {
  readonly without: boolean;
  readonly labels: readonly string[];
}

export interface AggregateNode {
  readonly type: 'aggregate';
  readonly op: string;
  readonly param?: PromNode;
  readonly expr: PromNode;
  readonly grouping?: Grouping;
  readonly pos: number;
}

export interface UnaryNode {
  readonly type: 'unary';
  readonly op: '+' | '-';
  readonly expr: PromNode;
  readonly pos: number;
}

export type BinaryOp =
  | '+'
  | '-'
  | '*'
  | '/'
  | '%'
  | '^'
  | '=='
  | '!='
  | '<'
  | '<='
  | '>'
  | '>='
  | 'and'
  | 'or'
  | 'unless';

export interface VectorMatching {
  /** `on (...)` when true, `ignoring (...)` when false. */
  readonly on: boolean;
  readonly labels: readonly string[];
  readonly group?: { readonly side: 'left' | 'right'; readonly labels: readonly string[] };
}

export interface BinaryNode {
  readonly type: 'binary';
  readonly op: BinaryOp;
  readonly lhs: PromNode;
  readonly rhs: PromNode;
  readonly bool: boolean;
  readonly matching?: VectorMatching;
  readonly pos: number;
}

export type PromNode =
  | NumberNode
  | StringNode
  | SelectorNode
  | MatrixNode
  | SubqueryNode
  | CallNode
  | AggregateNode
  | UnaryNode
  | BinaryNode;

/** A syntax error, with the 0-based offset in the source and what the parser expected there. */
export class PromQLError extends Error {
  readonly position: number;
  readonly expected: string;
  readonly source: string;
  constructor(source: string, position: number, expected: string, found: string) {
    super(`PromQL ${JSON.stringify(source)}: at ${position} expected ${expected} but found ${found}`);
    this.name = 'PromQLError';
    this.source = source;
    this.position = position;
    this.expected = expected;
  }
}

/** Aggregation operators that take a parameter before the vector (`topk(5, ...)`). */
const PARAMETRIC_AGGREGATIONS = ['topk', 'bottomk', 'quantile', 'count_values', 'limitk', 'limit_ratio'] as const;
/** Aggregation operators. */
export const AGGREGATIONS = [
  'sum',
  'avg',
  'min',
  'max',
  'count',
  'group',
  'stddev',
  'stdvar',
  ...PARAMETRIC_AGGREGATIONS,
] as const;
const PARAM_AGGREGATIONS: ReadonlySet<string> = new Set(PARAMETRIC_AGGREGATIONS);
const AGGREGATION_SET: ReadonlySet<string> = new Set(AGGREGATIONS);

/** Words that cannot be metric names. */
export const KEYWORDS: ReadonlySet<string> = new Set([
  'and',
  'or',
  'unless',
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'bool',
  'offset',
  'atan2',
  ...AGGREGATIONS,
]);

// ---------------------------------------------------------------------------------------------
// Tokenizer

type TokenKind = 'ident' | 'number' | 'duration' | 'string' | 'punct' | 'eof';

interface Token {
  readonly kind: TokenKind;
  readonly text: string;
  readonly pos: number;
  /** Decoded value of a string token. */
  readonly value?: string;
}

const PUNCTUATION = [
  '=~',
  '!~',
  '==',
  '!=',
  '<=',
  '>=',
  '(',
  ')',
  '{',
  '}',
  '[',
  ']',
  ',',
  ':',
  '@',
  '+',
  '-',
  '*',
  '/',
  '%',
  '^',
  '<',
  '>',
  '=',
] as const;
const DURATION_UNITS_MS = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
  y: 31_536_000_000,
} as const;
const DURATION_RE = /^(?:\d+(?:ms|[smhdwy]))+/;
const DURATION_PART_RE = /(\d+)(ms|[smhdwy])/g;
const NUMBER_RE = /^(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?/;
/** A name may hold ':' (recording rules) but not start with one, which is the subquery step's colon. */
const IDENT_START = /[a-zA-Z_]/;
const IDENT_RE = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const LABEL_NAME_RE = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const SIMPLE_ESCAPES: Readonly<Record<string, string>> = {
  n: '\n',
  t: '\t',
  r: '\r',
  b: '\b',
  f: '\f',
  v: '\v',
  '\\': '\\',
  '"': '"',
  "'": "'",
  '`': '`',
};

function describe(token: Token): string {
  if (token.kind === 'eof') return 'end of input';
  return `'${token.text}'`;
}

function parseDuration(text: string): Duration {
  let ms = 0;
  for (const m of text.matchAll(DURATION_PART_RE)) {
    ms += Number(m[1]) * DURATION_UNITS_MS[m[2] as keyof typeof DURATION_UNITS_MS];
  }
  return { text, ms };
}

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const fail = (pos: number, expected: string, found: string): never => {
    throw new PromQLError(source, pos, expected, found);
  };
  while (i < source.length) {
    const ch = source[i];
    if (ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r') {
      i++;
      continue;
    }
    if (ch === '#') {
      while (i < source.length && source[i] !== '\n') i++;
      continue;
    }
    const rest = source.slice(i);
    if (/[0-9.]/.test(ch)) {
      const duration = DURATION_RE.exec(rest);
      const number = NUMBER_RE.exec(rest);
      if (duration && !/^[a-zA-Z0-9_]/.test(rest.slice(duration[0].length))) {
        tokens.push({ kind: 'duration', text: duration[0], pos: i });
        i += duration[0].length;
        continue;
      }
      if (number && !/^[a-zA-Z0-9_:.]/.test(rest.slice(number[0].length))) {
        tokens.push({ kind: 'number', text: number[0], pos: i });
        i += number[0].length;
        continue;
      }
      fail(i, 'a number or a duration (5m, 1h30m)', `'${rest.slice(0, 12)}'`);
    }
    if (IDENT_START.test(ch)) {
      const text = IDENT_RE.exec(rest)![0];
      tokens.push({ kind: 'ident', text, pos: i });
      i += text.length;
      continue;
    }
    if (ch === '"' || ch === "'" || ch === '`') {
      const start = i;
      let value = '';
      i++;
      for (;;) {
        if (i >= source.length) fail(i, `a closing ${ch}`, 'end of input');
        const c = source[i];
        if (c === ch) {
          i++;
          break;
        }
        if (c === '\\' && ch !== '`') {
          const e = source[i + 1];
          if (e === undefined) fail(i + 1, 'an escape character', 'end of input');
          if (e === 'u') {
            const hex = source.slice(i + 2, i + 6);
            if (!/^[0-9a-fA-F]{4}$/.test(hex)) fail(i + 2, 'four hex digits after \\u', `'${hex}'`);
            value += String.fromCharCode(Number.parseInt(hex, 16));
            i += 6;
            continue;
          }
          const simple = SIMPLE_ESCAPES[e];
          if (simple === undefined) fail(i + 1, 'an escape (\\n \\t \\r \\\\ \\" \\\' \\uXXXX)', `'\\${e}'`);
          value += simple;
          i += 2;
          continue;
        }
        if ((c === '\n' || c === '\r') && ch !== '`') fail(i, `a closing ${ch}`, 'a line break');
        value += c;
        i++;
      }
      tokens.push({ kind: 'string', text: source.slice(start, i), pos: start, value });
      continue;
    }
    const punct = PUNCTUATION.find((p) => rest.startsWith(p));
    if (punct === undefined) fail(i, 'a name, a number, a string or an operator', `'${ch}'`);
    tokens.push({ kind: 'punct', text: punct!, pos: i });
    i += punct!.length;
  }
  tokens.push({ kind: 'eof', text: '', pos: source.length });
  return tokens;
}

// ---------------------------------------------------------------------------------------------
// Parser

/** Binding power of binary operators (higher binds tighter); unary +/- sits between 5 and 6. */
const PRECEDENCE: Readonly<Record<BinaryOp, number>> = {
  or: 1,
  and: 2,
  unless: 2,
  '==': 3,
  '!=': 3,
  '<': 3,
  '<=': 3,
  '>': 3,
  '>=': 3,
  '+': 4,
  '-': 4,
  '*': 5,
  '/': 5,
  '%': 5,
  '^': 6,
};
const UNARY_PRECEDENCE = 5.5;
const COMPARISONS: ReadonlySet<string> = new Set(['==', '!=', '<', '<=', '>', '>=']);
const SET_OPERATORS: ReadonlySet<string> = new Set(['and', 'or', 'unless']);

/** Nesting deeper than this is refused rather than risking the stack. */
export const MAX_NESTING_DEPTH = 256;

class Parser {
  readonly #source: string;
  readonly #tokens: Token[];
  #index = 0;
  #depth = 0;

  constructor(source: string) {
    this.#source = source;
    this.#tokens = tokenize(source);
  }

  parse(): PromNode {
    const node = this.#expr(0);
    const next = this.#peek();
    if (next.kind !== 'eof') this.#fail(next, 'an operator or end of input');
    return node;
  }

  #peek(offset = 0): Token {
    return this.#tokens[Math.min(this.#index + offset, this.#tokens.length - 1)];
  }

  #next(): Token {
    const t = this.#peek();
    if (t.kind !== 'eof') this.#index++;
    return t;
  }

  #fail(token: Token, expected: string): never {
    throw new PromQLError(this.#source, token.pos, expected, describe(token));
  }

  #isPunct(text: string, offset = 0): boolean {
    const t = this.#peek(offset);
    return t.kind === 'punct' && t.text === text;
  }

  #isWord(text: string, offset = 0): boolean {
    const t = this.#peek(offset);
    return t.kind === 'ident' && t.text === text;
  }

  #expect(text: string): Token {
    const t = this.#peek();
    if (t.kind !== 'punct' || t.text !== text) this.#fail(t, `'${text}'`);
    return this.#next();
  }

  #binaryOp(): BinaryOp | undefined {
    const t = this.#peek();
    if (t.kind === 'punct' && t.text in PRECEDENCE) return t.text as BinaryOp;
    if (t.kind === 'ident' && SET_OPERATORS.has(t.text)) return t.text as BinaryOp;
    return undefined;
  }

  /** Precedence climbing over binary operators of precedence >= min. */
  #expr(min: number): PromNode {
    let lhs = this.#unary();
    for (;;) {
      const op = this.#binaryOp();
      if (op === undefined || PRECEDENCE[op] < min) return lhs;
      const opToken = this.#next();
      const prec = PRECEDENCE[op];
      let bool = false;
      if (this.#isWord('bool')) {
        if (!COMPARISONS.has(op)) this.#fail(this.#peek(), 'an expression (bool only follows a comparison)');
        this.#next();
        bool = true;
      }
      const matching = this.#vectorMatching();
      // Left-associative: the right operand only takes operators that bind tighter (^ is in #unary).
      const rhs = this.#expr(prec + 1);
      lhs = { type: 'binary', op, lhs, rhs, bool, ...(matching ? { matching } : {}), pos: opToken.pos };
    }
  }

  #vectorMatching(): VectorMatching | undefined {
    if (!this.#isWord('on') && !this.#isWord('ignoring')) return undefined;
    const on = this.#next().text === 'on';
    const labels = this.#labelList();
    if (this.#isWord('group_left') || this.#isWord('group_right')) {
      const side = this.#next().text === 'group_left' ? 'left' : 'right';
      const groupLabels = this.#isPunct('(') ? this.#labelList() : [];
      return { on, labels, group: { side, labels: groupLabels } };
    }
    return { on, labels };
  }

  #labelList(): string[] {
    this.#expect('(');
    const labels: string[] = [];
    while (!this.#isPunct(')')) {
      labels.push(this.#labelName());
      if (!this.#isPunct(',')) break;
      this.#next();
    }
    this.#expect(')');
    return labels;
  }

  #labelName(): string {
    const t = this.#peek();
    if (t.kind !== 'ident' || !LABEL_NAME_RE.test(t.text)) this.#fail(t, 'a label name');
    return this.#next().text;
  }

  #unary(): PromNode {
    this.#depth++;
    try {
      return this.#unaryInner();
    } finally {
      this.#depth--;
    }
  }

  #unaryInner(): PromNode {
    if (this.#depth > MAX_NESTING_DEPTH) this.#fail(this.#peek(), `at most ${MAX_NESTING_DEPTH} levels of nesting`);
    if (this.#isPunct('+') || this.#isPunct('-')) {
      const t = this.#next();
      const expr = this.#unary();
      return { type: 'unary', op: t.text as '+' | '-', expr, pos: t.pos };
    }
    const base = this.#postfix();
    if (!this.#isPunct('^')) return base;
    // ^ binds tighter than unary minus and is right-associative: -a ^ b ^ c is -(a ^ (b ^ c)).
    const t = this.#next();
    const matching = this.#vectorMatching();
    const rhs = this.#unary();
    return { type: 'binary', op: '^', lhs: base, rhs, bool: false, ...(matching ? { matching } : {}), pos: t.pos };
  }

  #postfix(): PromNode {
    let node = this.#primary();
    if (this.#isPunct('[')) {
      const open = this.#next();
      const range = this.#duration();
      if (this.#isPunct(':')) {
        this.#next();
        const step = this.#peek().kind === 'duration' ? this.#duration() : undefined;
        this.#expect(']');
        node = { type: 'subquery', expr: node, range, ...(step ? { step } : {}), pos: open.pos };
      } else {
        const close = this.#peek();
        if (node.type !== 'selector' || node.offset || node.at !== undefined) {
          this.#fail(close, "':' (a range [5m] needs a metric selector; [5m:1m] is a subquery)");
        }
        this.#expect(']');
        node = { type: 'matrix', selector: node, range, pos: open.pos };
      }
    }
    return this.#modifiers(node);
  }

  #modifiers(node: PromNode): PromNode {
    for (;;) {
      if (this.#isWord('offset')) {
        const t = this.#next();
        if (!hasModifiers(node) || node.offset) this.#fail(t, 'an operator (offset follows a selector or subquery)');
        node = { ...node, offset: this.#duration() } as PromNode;
        continue;
      }
      if (this.#isPunct('@')) {
        const t = this.#next();
        if (!hasModifiers(node) || node.at !== undefined)
          this.#fail(t, 'an operator (@ follows a selector or subquery)');
        const n = this.#peek();
        if (n.kind !== 'number') this.#fail(n, 'a unix timestamp after @');
        this.#next();
        node = { ...node, at: Number(n.text) } as PromNode;
        continue;
      }
      return node;
    }
  }

  #duration(): Duration {
    const t = this.#peek();
    if (t.kind !== 'duration') this.#fail(t, 'a duration (5m, 1h30m)');
    this.#next();
    return parseDuration(t.text);
  }

  #primary(): PromNode {
    const t = this.#peek();
    if (t.kind === 'number') {
      this.#next();
      return { type: 'number', value: Number(t.text), pos: t.pos };
    }
    if (t.kind === 'string') {
      this.#next();
      return { type: 'string', value: t.value!, pos: t.pos };
    }
    if (t.kind === 'punct' && t.text === '(') {
      this.#next();
      const inner = this.#expr(0);
      this.#expect(')');
      return inner;
    }
    if (t.kind === 'punct' && t.text === '{') return this.#selector(undefined, t.pos);
    if (t.kind === 'ident') {
      if (AGGREGATION_SET.has(t.text)) return this.#aggregate();
      if (KEYWORDS.has(t.text)) this.#fail(t, 'an expression');
      this.#next();
      if (this.#isPunct('(')) return this.#call(t);
      return this.#selector(t.text, t.pos);
    }
    return this.#fail(t, 'an expression');
  }

  #selector(name: string | undefined, pos: number): SelectorNode {
    const matchers: LabelMatcher[] = [];
    if (this.#isPunct('{')) {
      this.#next();
      while (!this.#isPunct('}')) {
        const label = this.#labelName();
        const opToken = this.#peek();
        if (opToken.kind !== 'punct' || !['=', '!=', '=~', '!~'].includes(opToken.text)) {
          this.#fail(opToken, 'a label matcher operator (=, !=, =~, !~)');
        }
        this.#next();
        const value = this.#peek();
        if (value.kind !== 'string') this.#fail(value, 'a quoted label value');
        this.#next();
        matchers.push({ name: label, op: opToken.text as MatchOp, value: value.value! });
        if (!this.#isPunct(',')) break;
        this.#next();
      }
      const close = this.#peek();
      if (name === undefined && matchers.length === 0)
        this.#fail(close, 'a label matcher (a selector needs a name or a matcher)');
      this.#expect('}');
    }
    return { type: 'selector', ...(name !== undefined ? { name } : {}), matchers, pos };
  }

  #call(nameToken: Token): CallNode {
    this.#expect('(');
    const args: PromNode[] = [];
    while (!this.#isPunct(')')) {
      args.push(this.#expr(0));
      if (!this.#isPunct(',')) break;
      this.#next();
    }
    this.#expect(')');
    return { type: 'call', func: nameToken.text, args, pos: nameToken.pos };
  }

  #grouping(): Grouping | undefined {
    if (!this.#isWord('by') && !this.#isWord('without')) return undefined;
    const without = this.#next().text === 'without';
    return { without, labels: this.#labelList() };
  }

  #aggregate(): AggregateNode {
    const opToken = this.#next();
    let grouping = this.#grouping();
    this.#expect('(');
    const args: PromNode[] = [this.#expr(0)];
    while (this.#isPunct(',')) {
      this.#next();
      args.push(this.#expr(0));
    }
    const close = this.#peek();
    this.#expect(')');
    const wanted = PARAM_AGGREGATIONS.has(opToken.text) ? 2 : 1;
    if (args.length !== wanted) {
      throw new PromQLError(
        this.#source,
        close.pos,
        `${wanted} argument${wanted === 1 ? '' : 's'} to ${opToken.text}`,
        `${args.length}`,
      );
    }
    if (grouping === undefined) grouping = this.#grouping();
    const node: AggregateNode = {
      type: 'aggregate',
      op: opToken.text,
      ...(wanted === 2 ? { param: args[0] } : {}),
      expr: args[wanted - 1],
      ...(grouping ? { grouping } : {}),
      pos: opToken.pos,
    };
    return node;
  }
}

function hasModifiers(node: PromNode): node is SelectorNode | MatrixNode | SubqueryNode {
  return node.type === 'selector' || node.type === 'matrix' || node.type === 'subquery';
}

/** Parses one PromQL expression. Throws PromQLError with the position and what was expected. */
export function parsePromQL(source: string): PromNode {
  return new Parser(source).parse();
}

// ---------------------------------------------------------------------------------------------
// Printer

function printString(value: string): string {
  // JSON escapes are a subset of what the tokenizer decodes, so this round-trips.
  return JSON.stringify(value);
}

function printNumber(value: number): string {
  return String(value);
}

function printLabels(labels: readonly string[]): string {
  return `(${labels.join(', ')})`;
}

function printModifiers(node: Modifiers): string {
  let out = '';
  if (node.offset) out += ` offset ${node.offset.text}`;
  if (node.at !== undefined) out += ` @ ${printNumber(node.at)}`;
  return out;
}

function printSelector(node: SelectorNode): string {
  const matchers = node.matchers.map((m) => `${m.name}${m.op}${printString(m.value)}`).join(', ');
  if (node.name === undefined) return `{${matchers}}`;
  return node.matchers.length === 0 ? node.name : `${node.name}{${matchers}}`;
}

function precedenceOf(node: PromNode): number {
  if (node.type === 'binary') return PRECEDENCE[node.op];
  if (node.type === 'unary') return UNARY_PRECEDENCE;
  return Number.POSITIVE_INFINITY;
}

/** Operand of a postfix `[...]`, `offset`, `@`: anything but an atom needs parentheses. */
function printPostfixOperand(node: PromNode): string {
  const text = printPromQL(node);
  const atom =
    node.type === 'call' ||
    node.type === 'aggregate' ||
    node.type === 'number' ||
    node.type === 'string' ||
    (node.type === 'selector' && !node.offset && node.at === undefined);
  return atom ? text : `(${text})`;
}

/** Writes an AST as canonical PromQL; `parsePromQL(printPromQL(ast))` gives back the same tree. */
export function printPromQL(node: PromNode): string {
  switch (node.type) {
    case 'number':
      return printNumber(node.value);
    case 'string':
      return printString(node.value);
    case 'selector':
      return printSelector(node) + printModifiers(node);
    case 'matrix':
      return `${printSelector(node.selector)}[${node.range.text}]${printModifiers(node)}`;
    case 'subquery':
      return `${printPostfixOperand(node.expr)}[${node.range.text}:${node.step?.text ?? ''}]${printModifiers(node)}`;
    case 'call':
      return `${node.func}(${node.args.map(printPromQL).join(', ')})`;
    case 'aggregate': {
      const grouping = node.grouping
        ? ` ${node.grouping.without ? 'without' : 'by'} ${printLabels(node.grouping.labels)} `
        : '';
      const args = node.param ? `${printPromQL(node.param)}, ${printPromQL(node.expr)}` : printPromQL(node.expr);
      return `${node.op}${grouping}(${args})`;
    }
    case 'unary': {
      const inner = printPromQL(node.expr);
      return precedenceOf(node.expr) < UNARY_PRECEDENCE ? `${node.op}(${inner})` : `${node.op}${inner}`;
    }
    case 'binary': {
      const prec = PRECEDENCE[node.op];
      const rightAssoc = node.op === '^';
      const lp = precedenceOf(node.lhs);
      const rp = precedenceOf(node.rhs);
      // The left operand of ^ binds tighter than a unary minus: (-a) ^ b needs its parentheses.
      const lhsParens = lp < prec || (lp === prec && rightAssoc) || (rightAssoc && node.lhs.type === 'unary');
      const rhsParens = rp < prec || (rp === prec && !rightAssoc);
      const lhs = lhsParens ? `(${printPromQL(node.lhs)})` : printPromQL(node.lhs);
      const rhs = rhsParens ? `(${printPromQL(node.rhs)})` : printPromQL(node.rhs);
      let op: string = node.op;
      if (node.bool) op += ' bool';
      if (node.matching) {
        op += ` ${node.matching.on ? 'on' : 'ignoring'} ${printLabels(node.matching.labels)}`;
        if (node.matching.group) {
          op += ` group_${node.matching.group.side} ${printLabels(node.matching.group.labels)}`;
        }
      }
      return `${lhs} ${op} ${rhs}`;
    }
  }
}
