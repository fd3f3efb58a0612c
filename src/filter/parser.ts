/**
 * Parses display-filter text into an expression tree (ast.ts), following tshark 4.0's grammar
 * (`epan/dfilter/grammar.lemon`):
 *
 *     expr       := expr (or|"||") expr | expr (and|"&&") expr | (not|"!") expr | "(" expr ")" | relation
 *     relation   := [any|all] test | arith
 *     test       := arith cmp arith [cmp arith …]      chains mean a == b && b == c
 *                 | entity contains entity | entity (matches|"~") entity
 *                 | entity [not] in "{" item ("," item)* "}"      item := value [".." value]
 *     arith      := arith ("&"|"+"|"-"|"*"|"/"|"%") arith | ("+"|"-") entity | "{" arith "}" | entity
 *     entity     := word[#layer] | literal | string | 'c' | entity[range,…] | name(arith,…) | ${field}
 *
 * `not` binds tighter than `and`, which binds tighter than `or`; `&` binds looser than `+ -`,
 * which bind looser than `* / %`. Chains of `and`/`or` are parsed in loops into n-ary nodes and
 * runs of `!` are counted, so neither enormous nor deeply negated filters recurse deeply.
 * Nesting of parentheses and braces stops at tshark's own limit (its parser stack is 100 deep:
 * 97 levels of parentheses pass, 98 do not), so a 10000-level filter is an error, not a crash.
 */
import type { ArithOp, CompareOp, Entity, Expr, SetItem, Span } from './ast.js';
import { FilterError } from './error.js';
import { tokenize, type Token } from './lexer.js';

/** Deepest nesting of parentheses, braces, calls and sets (tshark 4.0 accepts 97 parentheses). */
export const MAX_NESTING = 97;
/** Longest filter text accepted. */
export const MAX_FILTER_LENGTH = 1 << 20;

const compareOps = new Set(['any_eq', 'all_ne', 'all_eq', 'any_ne', 'gt', 'ge', 'lt', 'le']);
const arithLevels: ReadonlyArray<ReadonlySet<string>> = [new Set(['bitwise_and']), new Set(['plus', 'minus']), new Set(['star', 'slash', 'percent'])];

/** Parses a filter; an empty (or blank) filter gives null, which matches every packet. */
export function parseFilter(text: string): Expr | null {
  if (text.length > MAX_FILTER_LENGTH) throw new FilterError(0, 0, `Filter is too long (${text.length} characters, at most ${MAX_FILTER_LENGTH}).`);
  const p = new Parser(tokenize(text), text);
  if (p.peek().kind === 'eof') return null;
  const e = p.expr();
  const t = p.peek();
  if (t.kind !== 'eof') throw p.unexpected(t);
  return e;
}

class Parser {
  private i = 0;
  private depth = 0;
  constructor(
    private readonly tokens: Token[],
    private readonly src: string,
  ) {}

  peek(offset = 0): Token {
    return this.tokens[Math.min(this.i + offset, this.tokens.length - 1)];
  }

  private next(): Token {
    const t = this.tokens[this.i];
    if (t.kind !== 'eof') this.i++;
    return t;
  }

  private isOp(t: Token, ...names: string[]): boolean {
    return t.kind === 'op' && names.includes(t.text);
  }

  unexpected(t: Token): FilterError {
    if (t.kind === 'eof') return new FilterError(t.pos, 0, 'Unexpected end of filter expression.');
    const shown = t.kind === 'op' ? this.source(t) : t.kind === 'string' ? t.text : t.text || this.source(t);
    return new FilterError(t.pos, t.len, `"${shown}" was unexpected in this context.`);
  }

  /** The token's text as written (operators have canonical names in `text`). */
  private source(t: Token): string {
    return this.src.slice(t.pos, t.pos + t.len);
  }

  private enter(t: Token): void {
    if (++this.depth > MAX_NESTING) {
      throw new FilterError(t.pos, t.len, `Filter is nested too deeply (more than ${MAX_NESTING} levels of parentheses, braces or calls, the limit of tshark 4.0's parser).`);
    }
  }

  private leave(): void {
    this.depth--;
  }

  expr(): Expr {
    return this.binary('or');
  }

  /** `or` over `and` over `not`: n-ary nodes built in loops. */
  private binary(kind: 'or' | 'and'): Expr {
    const first = kind === 'or' ? this.binary('and') : this.unary();
    if (!this.isOp(this.peek(), kind)) return first;
    const items: Expr[] = [first];
    while (this.isOp(this.peek(), kind)) {
      this.next();
      items.push(kind === 'or' ? this.binary('and') : this.unary());
    }
    const last = items[items.length - 1];
    return { k: kind, items, pos: first.pos, len: last.pos + last.len - first.pos };
  }

  private unary(): Expr {
    const t = this.peek();
    if (this.isOp(t, 'not')) {
      let count = 0;
      while (this.isOp(this.peek(), 'not')) {
        this.next();
        count++;
      }
      const a = this.primary();
      return { k: 'not', a, count, pos: t.pos, len: a.pos + a.len - t.pos };
    }
    return this.primary();
  }

  private primary(): Expr {
    const t = this.peek();
    if (t.kind === 'lparen') {
      this.next();
      this.enter(t);
      const a = this.expr();
      const close = this.next();
      if (close.kind !== 'rparen') throw this.unexpected(close);
      this.leave();
      return { k: 'paren', a, pos: t.pos, len: close.pos + 1 - t.pos };
    }
    return this.relation();
  }

  private relation(): Expr {
    const t = this.peek();
    let quant: 'any' | 'all' | undefined;
    if (this.isOp(t, 'any', 'all')) {
      quant = t.text as 'any' | 'all';
      this.next();
    }
    const a = this.arith();
    const op = this.peek();
    if (op.kind === 'op' && compareOps.has(op.text)) return this.comparison(a, quant, t.pos);
    if (this.isOp(op, 'contains', 'matches')) {
      this.next();
      if (!isEntity(a)) throw new FilterError(op.pos, op.len, `"${this.source(op)}" was unexpected in this context.`);
      const b = this.entity();
      return { k: op.text as 'contains' | 'matches', a, b, quant, opSpan: span(op), pos: t.pos, len: b.pos + b.len - t.pos };
    }
    if (this.isOp(op, 'in') || (this.isOp(op, 'not') && this.isOp(this.peek(1), 'in'))) {
      const negated = op.text === 'not';
      this.next();
      if (negated) this.next();
      if (!isEntity(a)) throw new FilterError(op.pos, op.len, `"${this.source(op)}" was unexpected in this context.`);
      return this.set(a, negated, quant, op, t.pos);
    }
    if (quant) throw this.unexpected(op);
    return { k: 'exists', a, pos: a.pos, len: a.len };
  }

  /** `a op b [op c …]`: a chain becomes `a op b && b op c` (as tshark's grammar builds it). */
  private comparison(a: Entity, quant: 'any' | 'all' | undefined, start: number): Expr {
    const tests: Expr[] = [];
    let left = a;
    while (this.peek().kind === 'op' && compareOps.has(this.peek().text)) {
      const op = this.next();
      const b = this.arith();
      tests.push({ k: 'compare', op: op.text as CompareOp, a: left, b, quant, opSpan: span(op), pos: tests.length ? left.pos : start, len: b.pos + b.len - (tests.length ? left.pos : start) });
      left = b;
    }
    if (tests.length === 1) return tests[0];
    const last = tests[tests.length - 1];
    return { k: 'and', items: tests, pos: start, len: last.pos + last.len - start };
  }

  private set(a: Entity, negated: boolean, quant: 'any' | 'all' | undefined, op: Token, start: number): Expr {
    const open = this.next();
    if (open.kind !== 'lbrace') throw this.unexpected(open);
    this.enter(open);
    const items: SetItem[] = [];
    for (;;) {
      const lo = this.setValue();
      let hi: Entity | undefined;
      if (this.peek().kind === 'dotdot') {
        this.next();
        hi = this.setValue();
      }
      items.push({ lo, hi });
      const t = this.next();
      if (t.kind === 'rbrace') {
        this.leave();
        return { k: 'in', a, items, negated, quant, opSpan: span(op), pos: start, len: t.pos + 1 - start };
      }
      if (t.kind !== 'comma') throw this.unexpected(t);
    }
  }

  private setValue(): Entity {
    const t = this.peek();
    if (this.isOp(t, 'minus')) {
      this.next();
      const a = this.entity();
      return { k: 'neg', a, pos: t.pos, len: a.pos + a.len - t.pos };
    }
    if (this.isOp(t, 'plus')) {
      this.next();
      return this.entity();
    }
    return this.entity();
  }

  /** Arithmetic by precedence climbing over the three binary levels. */
  arith(level = 0): Entity {
    if (level === arithLevels.length) return this.arithUnary();
    let a = this.arith(level + 1);
    while (this.peek().kind === 'op' && arithLevels[level].has(this.peek().text)) {
      const op = this.next();
      const b = this.arith(level + 1);
      a = { k: 'arith', op: op.text as ArithOp, a, b, pos: a.pos, len: b.pos + b.len - a.pos };
    }
    return a;
  }

  private arithUnary(): Entity {
    const t = this.peek();
    if (this.isOp(t, 'minus')) {
      this.next();
      const a = this.entity();
      return { k: 'neg', a, pos: t.pos, len: a.pos + a.len - t.pos };
    }
    if (this.isOp(t, 'plus')) {
      this.next();
      return this.entity();
    }
    if (t.kind === 'lbrace') {
      this.next();
      this.enter(t);
      const a = this.arith();
      const close = this.next();
      if (close.kind !== 'rbrace') throw this.unexpected(close);
      this.leave();
      return { k: 'group', a, pos: t.pos, len: close.pos + 1 - t.pos };
    }
    return this.entity();
  }

  entity(): Entity {
    let e = this.atom();
    while (this.peek().kind === 'slice') {
      const s = this.next();
      e = { k: 'slice', of: e, ranges: s.ranges!, pos: e.pos, len: s.pos + s.len - e.pos };
    }
    return e;
  }

  private atom(): Entity {
    const t = this.next();
    switch (t.kind) {
      case 'string':
        return { k: 'string', value: t.value!, raw: !!t.raw, source: t.text, pos: t.pos, len: t.len };
      case 'charconst':
        return { k: 'charconst', code: t.code!, source: t.text, pos: t.pos, len: t.len };
      case 'literal':
        return { k: 'literal', text: t.text, pos: t.pos, len: t.len };
      case 'dollar': {
        const open = this.next();
        if (open.kind !== 'lbrace') throw this.unexpected(open);
        const name = this.next();
        if (name.kind !== 'word') throw this.unexpected(name);
        const close = this.next();
        if (close.kind !== 'rbrace') throw this.unexpected(close);
        return { k: 'ref', name: name.text, dotted: !!name.dotted, pos: name.pos, len: name.len };
      }
      case 'word': {
        const next = this.peek();
        if (next.kind === 'lparen' && !t.dotted) return this.call(t);
        if (next.kind === 'layer') {
          this.next();
          return { k: 'word', text: t.text, dotted: !!t.dotted, layers: next.ranges, pos: t.pos, len: next.pos + next.len - t.pos };
        }
        return { k: 'word', text: t.text, dotted: !!t.dotted, pos: t.pos, len: t.len };
      }
      default:
        throw this.unexpected(t);
    }
  }

  private call(name: Token): Entity {
    const open = this.next();
    this.enter(open);
    const args: Entity[] = [];
    if (this.peek().kind === 'rparen') {
      const close = this.next();
      this.leave();
      return { k: 'call', name: name.text, args, pos: name.pos, len: close.pos + 1 - name.pos };
    }
    for (;;) {
      args.push(this.arith());
      const t = this.next();
      if (t.kind === 'rparen') {
        this.leave();
        return { k: 'call', name: name.text, args, pos: name.pos, len: t.pos + 1 - name.pos };
      }
      if (t.kind !== 'comma') throw this.unexpected(t);
    }
  }
}

function span(t: Token): Span {
  return { pos: t.pos, len: t.len };
}

function isEntity(e: Entity): boolean {
  return e.k !== 'arith' && e.k !== 'neg' && e.k !== 'group';
}
