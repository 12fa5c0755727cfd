/**
 * The alert rule condition language: a hand-written lexer and recursive-descent parser to an
 * AST (no eval), and a printer whose output parses back to the same AST. The grammar is in
 * the alerting guide.
 */

export type Comparator = '>' | '>=' | '<' | '<=' | '==' | '!=';
export type StatName = 'avg' | 'sum' | 'min' | 'max' | 'count' | 'rate' | `p${number}`;
export type ThresholdUnit = '%' | 'ms' | 's' | 'm' | 'h' | 'B' | 'KB' | 'MB' | 'GB';
export type DurationUnit = 's' | 'm' | 'h' | 'd';

export interface LabelFilter {
  readonly label: string;
  readonly value: string;
}

export interface NumberExpr {
  readonly type: 'number';
  readonly value: number;
  readonly pos: number;
}

export interface SeriesExpr {
  readonly type: 'series';
  /** As written, statistic suffix included (`response_time_p95`); the compiler resolves it. */
  readonly name: string;
  /** From the function form `p95(name)`. */
  readonly stat?: StatName;
  readonly filters: readonly LabelFilter[];
  readonly pos: number;
}

export interface BinaryExpr {
  readonly type: 'binary';
  readonly op: '+' | '-' | '*' | '/';
  readonly left: Expr;
  readonly right: Expr;
  readonly pos: number;
}

export type Expr = NumberExpr | SeriesExpr | BinaryExpr;

export interface Quantity {
  readonly value: number;
  readonly unit?: ThresholdUnit;
}

export interface RuleDuration {
  readonly value: number;
  readonly unit: DurationUnit;
}

export interface ThresholdCondition {
  readonly type: 'threshold';
  readonly left: Expr;
  readonly op: Comparator;
  readonly right: Quantity;
}

export interface ChangeCondition {
  readonly type: 'change';
  readonly left: Expr;
  readonly direction: 'increase' | 'decrease';
  readonly op: Comparator;
  readonly right: Quantity;
  readonly window: RuleDuration;
}

export interface AnomalyCondition {
  readonly type: 'anomaly';
  readonly expr: Expr;
  readonly bands: number;
  /** `outside` when absent. */
  readonly side?: 'above' | 'below';
}

export type Condition = ThresholdCondition | ChangeCondition | AnomalyCondition;

export const STAT_FUNCTIONS = ['avg', 'sum', 'min', 'max', 'count', 'rate'] as const;
export const THRESHOLD_UNITS = ['%', 'ms', 's', 'm', 'h', 'B', 'KB', 'MB', 'GB'] as const;
export const DURATION_UNITS = ['s', 'm', 'h', 'd'] as const;
export const COMPARATORS = ['>', '>=', '<', '<=', '==', '!='] as const;
const PERCENTILE_RE = /^p(\d{1,2}(?:\.\d+)?|100)$/;

/** A condition that does not parse: `.position` (0-based) and `.expected` say where and what. */
export class RuleSyntaxError extends Error {
  readonly position: number;
  readonly expected: string;
  constructor(source: string, position: number, expected: string, found: string) {
    super(`condition '${source}': at ${position} expected ${expected}, found ${found}`);
    this.name = 'RuleSyntaxError';
    this.position = position;
    this.expected = expected;
  }
}

type TokenType = 'number' | 'name' | 'string' | 'op' | 'punct' | 'end';
interface Token {
  readonly type: TokenType;
  readonly text: string;
  readonly pos: number;
  /** number: the value; unit suffix attached without a space (`2s`, `85%`). */
  readonly value?: number;
  readonly unit?: string;
  /** string: the unquoted value. */
  readonly str?: string;
}

const NUMBER_RE = /\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const UNIT_RE = /%|[A-Za-z]+/y;
const NAME_RE = /[A-Za-z_][A-Za-z0-9_]*/y;
const PERCENTILE_TAIL_RE = /(?:^|_)p\d+$/;
const DECIMAL_TAIL_RE = /\.\d+/y;

function describe(t: Token): string {
  if (t.type === 'end') return 'the end';
  if (t.type === 'string') return `the string ${t.text}`;
  return `'${t.text}'`;
}

function lex(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const sticky = (re: RegExp): string | undefined => {
    re.lastIndex = i;
    const m = re.exec(source);
    return m ? m[0] : undefined;
  };
  while (i < source.length) {
    const ch = source[i];
    if (ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r') {
      i++;
      continue;
    }
    const pos = i;
    if (ch >= '0' && ch <= '9') {
      const text = sticky(NUMBER_RE) as string;
      i += text.length;
      const unit = sticky(UNIT_RE);
      if (unit !== undefined) i += unit.length;
      tokens.push({ type: 'number', text: source.slice(pos, i), pos, value: Number(text), unit });
      continue;
    }
    if (/[A-Za-z_]/.test(ch)) {
      let text = sticky(NAME_RE) as string;
      i += text.length;
      // p99.9 and response_time_p99.9: a percentile keeps its decimals.
      if (PERCENTILE_TAIL_RE.test(text)) {
        const tail = sticky(DECIMAL_TAIL_RE);
        if (tail !== undefined) {
          text += tail;
          i += tail.length;
        }
      }
      tokens.push({ type: 'name', text, pos });
      continue;
    }
    if (ch === '"' || ch === "'") {
      let j = i + 1;
      let value = '';
      while (j < source.length && source[j] !== ch) {
        if (source[j] === '\\' && j + 1 < source.length) j++;
        value += source[j];
        j++;
      }
      if (j >= source.length) throw new RuleSyntaxError(source, pos, `a closing ${ch}`, 'the end');
      i = j + 1;
      tokens.push({ type: 'string', text: source.slice(pos, i), pos, str: value });
      continue;
    }
    const two = source.slice(i, i + 2);
    if (two === '>=' || two === '<=' || two === '==' || two === '!=' || two === '=~' || two === '!~') {
      tokens.push({ type: 'op', text: two, pos });
      i += 2;
      continue;
    }
    if ('><+-*/'.includes(ch)) {
      tokens.push({ type: 'op', text: ch, pos });
      i++;
      continue;
    }
    if ('(){},='.includes(ch)) {
      tokens.push({ type: 'punct', text: ch, pos });
      i++;
      continue;
    }
    throw new RuleSyntaxError(
      source,
      pos,
      'a metric name, a number, an operator (+ - * / > >= < <= == !=) or a parenthesis',
      `'${ch}'`,
    );
  }
  tokens.push({ type: 'end', text: '', pos: source.length });
  return tokens;
}

function isStatName(text: string): text is StatName {
  return (STAT_FUNCTIONS as readonly string[]).includes(text) || isPercentile(text);
}

export function isPercentile(text: string): text is `p${number}` {
  const m = PERCENTILE_RE.exec(text);
  if (!m) return false;
  const q = Number(m[1]);
  return q > 0 && q < 100;
}

class Parser {
  readonly #source: string;
  readonly #tokens: Token[];
  #at = 0;

  constructor(source: string) {
    this.#source = source;
    this.#tokens = lex(source);
  }

  parse(): Condition {
    const first = this.#peek();
    if (first.type === 'name' && first.text === 'anomaly' && this.#peek(1).text === '(') return this.#anomaly();
    const left = this.#expr();
    const next = this.#peek();
    if (next.type === 'name' && (next.text === 'increase' || next.text === 'decrease')) {
      this.#at++;
      const op = this.#comparator();
      const right = this.#quantity();
      this.#keyword('in');
      const window = this.#duration();
      this.#end();
      return { type: 'change', left, direction: next.text, op, right, window };
    }
    const op = this.#comparator("a comparison (> >= < <= == !=), 'increase' or 'decrease', or an operator (+ - * /)");
    const right = this.#quantity();
    this.#end();
    return { type: 'threshold', left, op, right };
  }

  #anomaly(): AnomalyCondition {
    this.#at++;
    this.#punct('(');
    const expr = this.#expr();
    this.#punct(')');
    this.#keyword('outside');
    const t = this.#peek();
    if (t.type !== 'number' || t.unit !== undefined || !Number.isFinite(t.value) || (t.value as number) <= 0) {
      this.#fail('a positive number of bands (e.g. 2)');
    }
    this.#at++;
    const word = this.#peek();
    if (word.type !== 'name' || (word.text !== 'bands' && word.text !== 'band')) this.#fail("'bands'");
    this.#at++;
    let side: 'above' | 'below' | undefined;
    const s = this.#peek();
    if (s.type === 'name' && (s.text === 'above' || s.text === 'below')) {
      side = s.text;
      this.#at++;
    }
    this.#end("'above', 'below' or the end");
    return side
      ? { type: 'anomaly', expr, bands: t.value as number, side }
      : { type: 'anomaly', expr, bands: t.value as number };
  }

  #expr(): Expr {
    let left = this.#term();
    for (;;) {
      const t = this.#peek();
      if (t.type !== 'op' || (t.text !== '+' && t.text !== '-')) return left;
      this.#at++;
      left = { type: 'binary', op: t.text, left, right: this.#term(), pos: t.pos };
    }
  }

  #term(): Expr {
    let left = this.#factor();
    for (;;) {
      const t = this.#peek();
      if (t.type !== 'op' || (t.text !== '*' && t.text !== '/')) return left;
      this.#at++;
      left = { type: 'binary', op: t.text, left, right: this.#factor(), pos: t.pos };
    }
  }

  #factor(): Expr {
    const t = this.#peek();
    if (t.type === 'number') {
      if (t.unit !== undefined) this.#fail('a number without a unit inside an expression (units go on the threshold)');
      this.#at++;
      return { type: 'number', value: t.value as number, pos: t.pos };
    }
    if (t.type === 'punct' && t.text === '(') {
      this.#at++;
      const e = this.#expr();
      this.#punct(')');
      return e;
    }
    if (t.type === 'name') {
      if (this.#peek(1).text === '(' && this.#peek(1).type === 'punct') {
        if (!isStatName(t.text)) {
          this.#fail(`a statistic (${STAT_FUNCTIONS.join(', ')}, p50..p99.9) before '('`);
        }
        this.#at += 2;
        const inner = this.#peek();
        if (inner.type !== 'name') this.#fail('a metric name');
        const series = this.#series();
        this.#punct(')');
        return { ...series, stat: t.text, pos: t.pos };
      }
      return this.#series();
    }
    return this.#fail('a metric name, a number or (');
  }

  #series(): SeriesExpr {
    const t = this.#peek();
    this.#at++;
    const filters: LabelFilter[] = [];
    if (this.#peek().text === '{' && this.#peek().type === 'punct') {
      this.#at++;
      for (;;) {
        const label = this.#peek();
        if (label.type !== 'name') this.#fail('a label name');
        this.#at++;
        this.#punct('=', "'=' (label filters match one exact value)");
        const value = this.#peek();
        if (value.type !== 'string') this.#fail('a quoted label value (\'...\' or "...")');
        this.#at++;
        filters.push({ label: label.text, value: value.str as string });
        const sep = this.#peek();
        if (sep.text === ',' && sep.type === 'punct') {
          this.#at++;
          continue;
        }
        this.#punct('}', "',' or '}'");
        break;
      }
    }
    return { type: 'series', name: t.text, filters, pos: t.pos };
  }

  #comparator(expected = 'a comparison (> >= < <= == !=)'): Comparator {
    const t = this.#peek();
    if (t.type !== 'op' || !(COMPARATORS as readonly string[]).includes(t.text)) this.#fail(expected);
    this.#at++;
    return t.text as Comparator;
  }

  #quantity(): Quantity {
    let sign = 1;
    const minus = this.#peek();
    if (minus.type === 'op' && minus.text === '-') {
      sign = -1;
      this.#at++;
    }
    const t = this.#peek();
    if (t.type !== 'number') this.#fail(`a threshold: a number, optionally with a unit (${THRESHOLD_UNITS.join(' ')})`);
    if (t.unit !== undefined && !(THRESHOLD_UNITS as readonly string[]).includes(t.unit)) {
      this.#fail(
        `a threshold unit (${THRESHOLD_UNITS.join(' ')})`,
        `'${t.unit}'`,
        t.pos + t.text.length - t.unit.length,
      );
    }
    this.#at++;
    const value = sign * (t.value as number);
    return t.unit === undefined ? { value } : { value, unit: t.unit as ThresholdUnit };
  }

  #duration(): RuleDuration {
    const t = this.#peek();
    if (
      t.type !== 'number' ||
      t.unit === undefined ||
      !(DURATION_UNITS as readonly string[]).includes(t.unit) ||
      !((t.value as number) > 0)
    ) {
      this.#fail(`a window (a number with ${DURATION_UNITS.join(', ')}, e.g. 1h)`);
    }
    this.#at++;
    return { value: t.value as number, unit: t.unit as DurationUnit };
  }

  #keyword(word: string): void {
    const t = this.#peek();
    if (t.type !== 'name' || t.text !== word) this.#fail(`'${word}'`);
    this.#at++;
  }

  #punct(text: string, expected = `'${text}'`): void {
    const t = this.#peek();
    if (t.type !== 'punct' || t.text !== text) this.#fail(expected);
    this.#at++;
  }

  #end(expected = 'the end of the condition'): void {
    if (this.#peek().type !== 'end') this.#fail(expected);
  }

  #peek(ahead = 0): Token {
    return this.#tokens[Math.min(this.#at + ahead, this.#tokens.length - 1)];
  }

  #fail(expected: string, found?: string, pos?: number): never {
    const t = this.#peek();
    throw new RuleSyntaxError(this.#source, pos ?? t.pos, expected, found ?? describe(t));
  }
}

/** Parses a rule condition; throws RuleSyntaxError with the position and what was expected. */
export function parseCondition(source: string): Condition {
  return new Parser(source).parse();
}

// ---------------------------------------------------------------- printer

const PRECEDENCE = { '+': 1, '-': 1, '*': 2, '/': 2 } as const;

function formatNumber(n: number): string {
  return String(n);
}

function quote(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

function printSeries(s: SeriesExpr): string {
  const filters = s.filters.length > 0 ? `{${s.filters.map((f) => `${f.label}=${quote(f.value)}`).join(', ')}}` : '';
  const body = `${s.name}${filters}`;
  return s.stat ? `${s.stat}(${body})` : body;
}

export function printExpr(e: Expr): string {
  switch (e.type) {
    case 'number':
      return formatNumber(e.value);
    case 'series':
      return printSeries(e);
    case 'binary': {
      const p = PRECEDENCE[e.op];
      const l = printExpr(e.left);
      const r = printExpr(e.right);
      const lp = e.left.type === 'binary' && PRECEDENCE[e.left.op] < p ? `(${l})` : l;
      // Left-associative: a right operand of the same precedence keeps its parentheses.
      const rp = e.right.type === 'binary' && PRECEDENCE[e.right.op] <= p ? `(${r})` : r;
      return `${lp} ${e.op} ${rp}`;
    }
  }
}

function printQuantity(q: Quantity): string {
  return `${formatNumber(q.value)}${q.unit ?? ''}`;
}

/** The canonical text of a condition; parseCondition(printCondition(c)) equals c (positions aside). */
export function printCondition(c: Condition): string {
  switch (c.type) {
    case 'threshold':
      return `${printExpr(c.left)} ${c.op} ${printQuantity(c.right)}`;
    case 'change':
      return `${printExpr(c.left)} ${c.direction} ${c.op} ${printQuantity(c.right)} in ${c.window.value}${c.window.unit}`;
    case 'anomaly':
      return `anomaly(${printExpr(c.expr)}) outside ${formatNumber(c.bands)} bands${c.side ? ` ${c.side}` : ''}`;
  }
}
