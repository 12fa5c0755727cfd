/**
 * The metric math subset shared by the rule compiler and the evaluator: numbers, metric ids,
 * + - * /, parentheses, comparisons (> < >= <= == !=, giving 1 or 0), and PERIOD(m), RATE(m),
 * DIFF(m), FILL(m, value|REPEAT), ABS(x), MAX([a, b]), MIN([a, b]), IF(cond, a[, b]).
 * Parsed by hand to an AST (no eval) and evaluated element-wise on aligned period timestamps
 * with CloudWatch's semantics: a missing point on either side gives no point, division by zero
 * gives no point.
 */

export type MathNode =
  | { readonly type: 'number'; readonly value: number }
  | { readonly type: 'id'; readonly name: string; readonly pos: number }
  | { readonly type: 'repeat'; readonly pos: number }
  | { readonly type: 'binary'; readonly op: BinaryOp; readonly left: MathNode; readonly right: MathNode }
  | { readonly type: 'neg'; readonly operand: MathNode }
  | { readonly type: 'call'; readonly name: MathFunction; readonly args: readonly MathNode[]; readonly pos: number }
  | { readonly type: 'list'; readonly items: readonly MathNode[]; readonly pos: number };

export type BinaryOp = '+' | '-' | '*' | '/' | '>' | '<' | '>=' | '<=' | '==' | '!=';
export const MATH_FUNCTIONS = ['PERIOD', 'RATE', 'DIFF', 'FILL', 'ABS', 'MAX', 'MIN', 'IF'] as const;
export type MathFunction = (typeof MATH_FUNCTIONS)[number];

/** An expression outside the subset: `.position` (0-based) and `.expected` say where and what. */
export class MathSyntaxError extends Error {
  readonly position: number;
  readonly expected: string;
  constructor(source: string, position: number, expected: string, found: string) {
    super(`metric math '${source}': at ${position} expected ${expected}, found ${found}`);
    this.name = 'MathSyntaxError';
    this.position = position;
    this.expected = expected;
  }
}

interface Token {
  readonly kind: 'number' | 'name' | 'op' | 'end';
  readonly text: string;
  readonly pos: number;
}

const TOKEN_RE = /\s*(?:(\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)|([A-Za-z_][A-Za-z0-9_]*)|(>=|<=|==|!=|[-+*/()<>,[\]]))/y;

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let at = 0;
  while (at < source.length) {
    if (/^\s*$/.test(source.slice(at))) break;
    TOKEN_RE.lastIndex = at;
    const m = TOKEN_RE.exec(source);
    if (!m) {
      const pos = at + (source.slice(at).length - source.slice(at).trimStart().length);
      throw new MathSyntaxError(source, pos, 'a number, a metric id, a function or an operator', `'${source[pos]}'`);
    }
    const text = m[1] ?? m[2] ?? m[3];
    const pos = m.index + m[0].length - text.length;
    tokens.push({ kind: m[1] ? 'number' : m[2] ? 'name' : 'op', text, pos });
    at = TOKEN_RE.lastIndex;
  }
  tokens.push({ kind: 'end', text: '', pos: source.length });
  return tokens;
}

const COMPARISON_OPS: readonly string[] = ['>', '<', '>=', '<=', '==', '!='];

class Parser {
  readonly #source: string;
  readonly #tokens: Token[];
  #i = 0;

  constructor(source: string) {
    this.#source = source;
    this.#tokens = tokenize(source);
  }

  parse(): MathNode {
    const node = this.#comparison();
    this.#expectEnd();
    return node;
  }

  #peek(): Token {
    return this.#tokens[this.#i];
  }

  #fail(expected: string): never {
    const t = this.#peek();
    throw new MathSyntaxError(this.#source, t.pos, expected, t.kind === 'end' ? 'the end' : `'${t.text}'`);
  }

  #expect(text: string): void {
    if (this.#peek().text !== text || this.#peek().kind !== 'op') this.#fail(`'${text}'`);
    this.#i++;
  }

  #expectEnd(): void {
    if (this.#peek().kind !== 'end') this.#fail('an operator or the end');
  }

  #comparison(): MathNode {
    const left = this.#additive();
    const t = this.#peek();
    if (t.kind === 'op' && COMPARISON_OPS.includes(t.text)) {
      this.#i++;
      return { type: 'binary', op: t.text as BinaryOp, left, right: this.#additive() };
    }
    return left;
  }

  #additive(): MathNode {
    let node = this.#multiplicative();
    for (let t = this.#peek(); t.kind === 'op' && (t.text === '+' || t.text === '-'); t = this.#peek()) {
      this.#i++;
      node = { type: 'binary', op: t.text, left: node, right: this.#multiplicative() };
    }
    return node;
  }

  #multiplicative(): MathNode {
    let node = this.#unary();
    for (let t = this.#peek(); t.kind === 'op' && (t.text === '*' || t.text === '/'); t = this.#peek()) {
      this.#i++;
      node = { type: 'binary', op: t.text, left: node, right: this.#unary() };
    }
    return node;
  }

  #unary(): MathNode {
    const t = this.#peek();
    if (t.kind === 'op' && t.text === '-') {
      this.#i++;
      return { type: 'neg', operand: this.#unary() };
    }
    return this.#primary();
  }

  #primary(): MathNode {
    const t = this.#peek();
    if (t.kind === 'number') {
      this.#i++;
      return { type: 'number', value: Number(t.text) };
    }
    if (t.kind === 'op' && t.text === '(') {
      this.#i++;
      const inner = this.#comparison();
      this.#expect(')');
      return inner;
    }
    if (t.kind === 'name') {
      this.#i++;
      const next = this.#peek();
      if (next.kind === 'op' && next.text === '(') {
        if (!(MATH_FUNCTIONS as readonly string[]).includes(t.text)) {
          this.#i--;
          this.#fail(`a function of the subset (${MATH_FUNCTIONS.join(', ')})`);
        }
        this.#i++;
        return this.#call(t.text as MathFunction, t.pos);
      }
      if (t.text === 'REPEAT') return { type: 'repeat', pos: t.pos };
      if (!/^[a-z][a-zA-Z0-9_]*$/.test(t.text)) {
        this.#i--;
        this.#fail('a metric id (^[a-z][a-zA-Z0-9_]*$)');
      }
      return { type: 'id', name: t.text, pos: t.pos };
    }
    this.#fail('a number, a metric id, a function or (');
  }

  #call(name: MathFunction, pos: number): MathNode {
    const args: MathNode[] = [];
    if (name === 'MAX' || name === 'MIN') {
      const open = this.#peek();
      this.#expect('[');
      const items = [this.#comparison()];
      while (this.#peek().text === ',') {
        this.#i++;
        items.push(this.#comparison());
      }
      this.#expect(']');
      args.push({ type: 'list', items, pos: open.pos });
    } else {
      args.push(this.#comparison());
      while (this.#peek().kind === 'op' && this.#peek().text === ',') {
        this.#i++;
        args.push(this.#comparison());
      }
    }
    this.#expect(')');
    const arity: Readonly<Record<MathFunction, readonly [number, number]>> = {
      PERIOD: [1, 1],
      RATE: [1, 1],
      DIFF: [1, 1],
      FILL: [2, 2],
      ABS: [1, 1],
      MAX: [1, 1],
      MIN: [1, 1],
      IF: [2, 3],
    };
    const [lo, hi] = arity[name];
    if (args.length < lo || args.length > hi) {
      throw new MathSyntaxError(
        this.#source,
        pos,
        `${name} with ${lo === hi ? lo : `${lo} or ${hi}`} argument${hi > 1 ? 's' : ''}`,
        `${args.length}`,
      );
    }
    if ((name === 'PERIOD' || name === 'RATE' || name === 'DIFF') && args[0].type !== 'id') {
      throw new MathSyntaxError(this.#source, pos, `${name}(<metric id>)`, 'an expression');
    }
    return { type: 'call', name, args, pos };
  }
}

const cache = new Map<string, MathNode>();

/** Parses an expression of the subset; throws MathSyntaxError with the position and what was expected. */
export function parseMath(source: string): MathNode {
  let node = cache.get(source);
  if (!node) {
    node = new Parser(source).parse();
    cache.set(source, node);
  }
  return node;
}

/** The metric ids an expression reads; with `outsideDivisors`, none read only on the right of a `/`. */
export function mathIds(node: MathNode, options: { readonly outsideDivisors?: boolean } = {}): Set<string> {
  const out = new Set<string>();
  const visit = (n: MathNode): void => {
    switch (n.type) {
      case 'id':
        out.add(n.name);
        break;
      case 'binary':
        visit(n.left);
        if (!(options.outsideDivisors && n.op === '/')) visit(n.right);
        break;
      case 'neg':
        visit(n.operand);
        break;
      case 'call':
        for (const a of n.args) visit(a);
        break;
      case 'list':
        for (const a of n.items) visit(a);
        break;
    }
  };
  visit(node);
  return out;
}

/** A series on the evaluation grid: one slot per period, undefined where CloudWatch has no point. */
export type Points = readonly (number | undefined)[];
export type MathValue = number | Points;

export interface MathInput {
  /** Period start of each slot, milliseconds, ascending and evenly spaced. */
  readonly timestamps: readonly number[];
  /** Series by metric id. */
  readonly series: Readonly<Record<string, Points>>;
  /** Period (seconds) by metric id, for PERIOD(). */
  readonly periods: Readonly<Record<string, number>>;
}

function finite(n: number | undefined): number | undefined {
  return n !== undefined && Number.isFinite(n) ? n : undefined;
}

function lift(a: MathValue, b: MathValue, f: (x: number, y: number) => number | undefined, n: number): MathValue {
  if (typeof a === 'number' && typeof b === 'number') {
    return finite(f(a, b)) ?? Number.NaN;
  }
  const out: (number | undefined)[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const x = typeof a === 'number' ? a : a[i];
    const y = typeof b === 'number' ? b : b[i];
    out[i] = x === undefined || y === undefined ? undefined : finite(f(x, y));
  }
  return out;
}

function map(a: MathValue, f: (x: number) => number | undefined): MathValue {
  if (typeof a === 'number') return finite(f(a)) ?? Number.NaN;
  return a.map((x) => (x === undefined ? undefined : finite(f(x))));
}

const BINARY: Readonly<Record<BinaryOp, (x: number, y: number) => number | undefined>> = {
  '+': (x, y) => x + y,
  '-': (x, y) => x - y,
  '*': (x, y) => x * y,
  '/': (x, y) => (y === 0 ? undefined : x / y),
  '>': (x, y) => (x > y ? 1 : 0),
  '<': (x, y) => (x < y ? 1 : 0),
  '>=': (x, y) => (x >= y ? 1 : 0),
  '<=': (x, y) => (x <= y ? 1 : 0),
  '==': (x, y) => (x === y ? 1 : 0),
  '!=': (x, y) => (x !== y ? 1 : 0),
};

/** Evaluates a parsed expression over the grid; a scalar result stays a number. */
export function evaluateMath(node: MathNode, input: MathInput): MathValue {
  const n = input.timestamps.length;
  const ev = (x: MathNode): MathValue => evaluateMath(x, input);
  switch (node.type) {
    case 'number':
      return node.value;
    case 'id': {
      const s = input.series[node.name];
      if (!s) throw new Error(`metric math: '${node.name}' is not a metric id of the alarm`);
      return s;
    }
    case 'repeat':
    case 'list':
      throw new Error('metric math: REPEAT and [..] lists are only allowed in FILL and MAX/MIN');
    case 'neg':
      return map(ev(node.operand), (x) => -x);
    case 'binary':
      return lift(ev(node.left), ev(node.right), BINARY[node.op], n);
    case 'call':
      return call(node, input, ev);
  }
}

function call(node: Extract<MathNode, { type: 'call' }>, input: MathInput, ev: (x: MathNode) => MathValue): MathValue {
  const n = input.timestamps.length;
  const [first, second, third] = node.args;
  switch (node.name) {
    case 'PERIOD': {
      const id = (first as { name: string }).name;
      const period = input.periods[id];
      if (period === undefined) throw new Error(`metric math: '${id}' is not a metric id of the alarm`);
      return period;
    }
    case 'RATE':
    case 'DIFF': {
      // The latest point against the previous existing point (CloudWatch: "the previous data point").
      const s = asSeries(ev(first), n);
      const out: (number | undefined)[] = new Array(n).fill(undefined);
      let prev = -1;
      for (let i = 0; i < n; i++) {
        const v = s[i];
        if (v === undefined) continue;
        if (prev >= 0) {
          const d = v - (s[prev] as number);
          out[i] = node.name === 'DIFF' ? d : d / ((input.timestamps[i] - input.timestamps[prev]) / 1000);
        }
        prev = i;
      }
      return out;
    }
    case 'FILL': {
      const s = asSeries(ev(first), n);
      if (second.type === 'repeat') {
        let last: number | undefined;
        return s.map((v) => {
          if (v !== undefined) last = v;
          return v ?? last;
        });
      }
      const fill = ev(second);
      if (typeof fill !== 'number')
        throw new Error('metric math: FILL takes a number or REPEAT as its second argument');
      return s.map((v) => v ?? (Number.isFinite(fill) ? fill : undefined));
    }
    case 'ABS':
      return map(ev(first), Math.abs);
    case 'MAX':
    case 'MIN': {
      const items = (first as Extract<MathNode, { type: 'list' }>).items.map(ev);
      const f = node.name === 'MAX' ? Math.max : Math.min;
      return items.slice(1).reduce<MathValue>((acc, v) => lift(acc, v, (x, y) => f(x, y), n), items[0]);
    }
    case 'IF': {
      const cond = ev(first);
      const a = ev(second);
      const b = third ? ev(third) : undefined;
      const pick = (c: number | undefined, i: number): number | undefined => {
        if (c === undefined) return undefined;
        const v = c !== 0 ? a : b;
        if (v === undefined) return undefined;
        return typeof v === 'number' ? finite(v) : v[i];
      };
      if (typeof cond === 'number' && typeof a === 'number' && (b === undefined || typeof b === 'number')) {
        return pick(cond, 0) ?? Number.NaN;
      }
      const c = asSeries(cond, n);
      return c.map((x, i) => pick(x, i));
    }
  }
}

function asSeries(v: MathValue, n: number): Points {
  return typeof v === 'number' ? new Array(n).fill(Number.isFinite(v) ? v : undefined) : v;
}
