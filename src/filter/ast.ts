/**
 * The expression tree a filter parses into, before names are resolved (parser.ts) — every
 * node keeps its position for error messages — and the canonical text of a tree.
 */
import type { RangeText } from './lexer.js';

/** Positions in the filter text. */
export interface Span {
  pos: number;
  len: number;
}

export type CompareOp = 'any_eq' | 'all_ne' | 'all_eq' | 'any_ne' | 'gt' | 'ge' | 'lt' | 'le';
export type ArithOp = 'bitwise_and' | 'plus' | 'minus' | 'star' | 'slash' | 'percent';

/** Something that has values: a field, a literal, a slice, a function call, arithmetic. */
export type Entity =
  | ({ k: 'word'; text: string; dotted: boolean; layers?: RangeText[] } & Span) // unresolved name or literal value
  | ({ k: 'literal'; text: string } & Span) // address or byte string
  | ({ k: 'string'; value: string; raw: boolean; source: string } & Span)
  | ({ k: 'charconst'; code: number; source: string } & Span)
  | ({ k: 'slice'; of: Entity; ranges: RangeText[] } & Span)
  | ({ k: 'call'; name: string; args: Entity[] } & Span)
  | ({ k: 'ref'; name: string; dotted: boolean } & Span) // ${field}
  | ({ k: 'arith'; op: ArithOp; a: Entity; b: Entity } & Span)
  | ({ k: 'neg'; a: Entity } & Span)
  | ({ k: 'group'; a: Entity } & Span); // { … } around arithmetic: kept for the canonical text

export interface SetItem {
  lo: Entity;
  hi?: Entity;
}

export type Expr =
  | ({ k: 'and' | 'or'; items: Expr[] } & Span) // n-ary: long chains stay flat (no deep recursion)
  | ({ k: 'not'; a: Expr; count: number } & Span) // `!!!x`: count 3
  | ({ k: 'paren'; a: Expr } & Span)
  | ({ k: 'exists'; a: Entity } & Span)
  | ({ k: 'compare'; op: CompareOp; a: Entity; b: Entity; quant?: 'any' | 'all'; opSpan: Span } & Span)
  | ({ k: 'contains' | 'matches'; a: Entity; b: Entity; quant?: 'any' | 'all'; opSpan: Span } & Span)
  | ({ k: 'in'; a: Entity; items: SetItem[]; negated: boolean; quant?: 'any' | 'all'; opSpan: Span } & Span);

const opText: Record<CompareOp | ArithOp, string> = {
  any_eq: '==', all_ne: '!=', all_eq: '===', any_ne: '!==', gt: '>', ge: '>=', lt: '<', le: '<=',
  bitwise_and: '&', plus: '+', minus: '-', star: '*', slash: '/', percent: '%',
};

/** The operator's symbol (`any_eq` → `==`). */
export function opSymbol(op: CompareOp | ArithOp): string {
  return opText[op];
}

const arithPrecedence: Record<ArithOp, number> = { bitwise_and: 1, plus: 2, minus: 2, star: 3, slash: 3, percent: 3 };

/** A byte string as a quoted filter string with C escapes (canonical form). */
export function quoteBytes(value: string): string {
  let s = '"';
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === 0x22) s += '\\"';
    else if (c === 0x5c) s += '\\\\';
    else if (c === 0x0a) s += '\\n';
    else if (c === 0x0d) s += '\\r';
    else if (c === 0x09) s += '\\t';
    else if (c < 0x20 || c >= 0x7f) s += `\\x${c.toString(16).padStart(2, '0')}`;
    else s += value[i];
  }
  return s + '"';
}

function rangesText(ranges: RangeText[]): string {
  return ranges.map((r) => r.text.trim()).join(',');
}

export function entityText(e: Entity): string {
  switch (e.k) {
    case 'word': return `${e.dotted ? '.' : ''}${e.text}${e.layers ? layerText(e.layers) : ''}`;
    case 'literal': return e.text;
    case 'string': return e.raw ? e.source : quoteBytes(e.value);
    case 'charconst': return e.source;
    case 'slice': return `${entityText(e.of)}[${rangesText(e.ranges)}]`;
    case 'call': return `${e.name}(${e.args.map(entityText).join(', ')})`;
    case 'ref': return `\${${e.dotted ? '.' : ''}${e.name}}`;
    case 'neg': return `-${entityText(e.a)}`;
    case 'group': return `{${entityText(e.a)}}`;
    case 'arith': {
      // Operands of lower precedence (or equal on the right: left-associative) need braces.
      const p = arithPrecedence[e.op];
      const side = (x: Entity, right: boolean) =>
        x.k === 'arith' && (arithPrecedence[x.op] < p || (right && arithPrecedence[x.op] === p)) ? `{${entityText(x)}}` : entityText(x);
      return `${side(e.a, false)} ${opText[e.op]} ${side(e.b, true)}`;
    }
  }
}

function layerText(ranges: RangeText[]): string {
  return ranges.length === 1 && /^\d+$/.test(ranges[0].text.trim()) ? `#${ranges[0].text.trim()}` : `#[${rangesText(ranges)}]`;
}

/** Precedence of logical nodes: or 1, and 2, not 3, tests 4. */
function precedence(x: Expr): number {
  switch (x.k) {
    case 'or': return 1;
    case 'and': return 2;
    case 'not': return 3;
    case 'paren': return precedence(x.a);
    default: return 4;
  }
}

/**
 * The canonical text of a filter: C-like operators (`==`, `&&`, `!`), one space around binary
 * operators, parentheses only where precedence needs them, sets as `{a, b..c}`, strings with
 * canonical escapes. Parsing the canonical text gives the same tree.
 */
export function canonicalText(x: Expr): string {
  const q = (quant?: 'any' | 'all') => (quant ? `${quant} ` : '');
  switch (x.k) {
    case 'paren': return canonicalText(x.a);
    case 'and':
    case 'or': {
      const p = precedence(x);
      // Left-associative: operands after the first keep their parentheses at the same precedence.
      return x.items
        .map((it, i) => (precedence(it) < p || (i > 0 && precedence(it) === p) ? `(${canonicalText(it)})` : canonicalText(it)))
        .join(x.k === 'and' ? ' && ' : ' || ');
    }
    case 'not': {
      const bang = '!'.repeat(x.count);
      return precedence(x.a) < 3 ? `${bang}(${canonicalText(x.a)})` : `${bang}${canonicalText(x.a)}`;
    }
    case 'exists': return entityText(x.a);
    case 'compare': return `${q(x.quant)}${entityText(x.a)} ${opText[x.op]} ${entityText(x.b)}`;
    case 'contains':
    case 'matches': return `${q(x.quant)}${entityText(x.a)} ${x.k} ${entityText(x.b)}`;
    case 'in': {
      const items = x.items.map((it) => (it.hi ? `${entityText(it.lo)}..${entityText(it.hi)}` : entityText(it.lo))).join(', ');
      return `${q(x.quant)}${entityText(x.a)} ${x.negated ? 'not in' : 'in'} {${items}}`;
    }
  }
}
