/**
 * Compiles a display filter into a function over packets: parse (parser.ts), resolve every name
 * through the field registry, check types as tshark 4.0's `semcheck.c` does (same accepted
 * forms, same rejected ones, messages in its words), convert constants once, and build closures
 * that read only the named fields through a {@link PacketView}.
 *
 * Semantics (Wireshark's): a field may occur several times in a packet. `==` (`any_eq`) is true
 * when some pair of values is equal, `!=` (`all_ne`) when every pair differs, `===` (`all_eq`)
 * when every pair is equal, `!==`/`~=` (`any_ne`) when some pair differs; `>` etc. and
 * `contains`/`matches` are true for some pair; the `any`/`all` prefixes override the quantifier.
 * A test on a field the packet lacks is false (the implicit existence test), so `!=` is not the
 * negation of `==`. Arithmetic and functions apply to every value.
 *
 * @example
 * const f = compileFilter('ip.addr == 10.0.0.0/8 && tcp.port in {80, 443}');
 * f.canonical; // 'ip.addr == 10.0.0.0/8 && tcp.port in {80, 443}'
 * if (f.matches(packet)) print(packet);
 */
import { Buffer } from 'node:buffer';
import { ipv6ToString, macToString } from '../decode/bytes.js';
import { dissectorByName } from '../decode/dissector.js';
import type { Packet } from '../decode/packet.js';
import '../decode/protocols.js';
import { lookupField, suggestFields, type FieldDef, type FieldType } from '../fields/field.js';
import type { Value } from '../fields/value.js';
import { canonicalText, opSymbol, type ArithOp, type CompareOp, type Entity, type Expr, type Span } from './ast.js';
import { decodeNeeds, directProtocol, type DecodeNeeds, type DirectProtocol, type DirectRead } from './direct.js';
import { FilterError } from './error.js';
import { utf8Bytes, type RangeText } from './lexer.js';
import { parseFilter } from './parser.js';
import { compilePattern, RegexError } from './regex.js';
import {
  canAdd, canBitwiseAnd, canContain, canEq, canMatch, canMultiply, canNegate, canOrder, canSlice, canStringify, compatible,
  ftName, is64, isBytesType, isInteger, isSigned, prettyType, wireSize,
} from './types.js';
import { ConversionError, exactNs, fromCharConst, fromLiteral, fromString, Prefixed, ProtocolValue, type FilterValue } from './values.js';
import { PacketView } from './view.js';

/** A compiled filter. Not reentrant: one packet at a time. */
export interface CompiledFilter {
  /** The filter as given. */
  readonly text: string;
  /** The canonical text (see `canonicalText`); empty for the empty filter. */
  readonly canonical: string;
  /** Every field and protocol the filter names, each once, in order of appearance. */
  readonly fields: readonly FieldDef[];
  /**
   * What the packets must have been through for the filter to see what tshark sees: the flow
   * engine (`tcp.analysis.*`, `tcp.stream`), the application dissectors. A reader may skip what
   * neither the filter nor its own output needs (`Decoder({ transportOnly: true })`).
   */
  readonly needs: DecodeNeeds;
  /** True when the packet passes the filter. */
  matches(p: Packet): boolean;
}

type Test = (v: PacketView) => boolean;
type Values = (v: PacketView) => FilterValue[];

/** A checked value expression: its type and how to get its values for a packet. */
interface Operand {
  type: FieldType;
  values: Values;
  /** The field it reads (for value names of constants compared with it). */
  field?: FieldDef;
  /** Known at compile time. */
  constant?: FilterValue[];
  /** Values are signed although the type is unsigned (`-tcp.port`: 4.0 negates into FT_INT32). */
  signed?: boolean;
  /** A field read as stored (no layer restriction, values need no conversion): its view slot. */
  rawSlot?: number;
  /** The field read straight from the bytes of layers of the common shape (direct.ts). */
  direct?: DirectField;
  /** What kind of node it is (tshark's messages depend on it). */
  node: 'field' | 'slice' | 'function' | 'arithmetic' | 'constant' | 'reference';
  span: Span;
}

/** How a filter reads packets (tests compare the ways). */
export interface CompileOptions {
  /** Read header fields straight from the bytes where the layer allows it (direct.ts); default true. */
  direct?: boolean;
}

/** Compiles filter text; throws a {@link FilterError} with position and message. */
export function compileFilter(text: string, options: CompileOptions = {}): CompiledFilter {
  const ast = parseFilter(text);
  if (ast === null) return { text, canonical: '', fields: [], needs: { applications: false, flows: false }, matches: () => true };
  const c = new Compiler(text, options.direct ?? true);
  const test = c.test(ast);
  const view = c.view();
  return {
    text,
    canonical: canonicalText(ast),
    fields: c.named,
    needs: decodeNeeds(c.named),
    matches(p: Packet): boolean {
      view.reset(p);
      return test(view);
    },
  };
}

/** Validates a filter and returns its canonical text (throws a FilterError when it is invalid). */
export function checkFilter(text: string): string {
  return compileFilter(text).canonical;
}

type SearchExpr = Extract<Expr, { k: 'contains' | 'matches' }>;

type Resolved =
  | { k: 'field'; f: FieldDef; layers?: RangeText[]; span: Span }
  | { k: 'ref'; f: FieldDef; span: Span }
  | { k: 'literal'; text: string; span: Span }
  | { k: 'string'; value: string; span: Span }
  | { k: 'charconst'; code: number; source: string; span: Span }
  | { k: 'slice'; of: Entity; ranges: RangeText[]; span: Span }
  | { k: 'call'; e: Extract<Entity, { k: 'call' }>; span: Span }
  | { k: 'arith'; e: Entity; span: Span };

class Compiler {
  /** Non-protocol fields read through the view, by slot. */
  private readonly viewFields: FieldDef[] = [];
  private readonly slotOf = new Map<FieldDef, number>();
  readonly named: FieldDef[] = [];
  private packetView: PacketView | undefined;

  constructor(
    private readonly text: string,
    /** Read header fields from the bytes where the layer allows it (direct.ts). */
    private readonly direct: boolean,
  ) {}

  view(): PacketView {
    this.packetView ??= new PacketView(this.viewFields, this.direct);
    return this.packetView;
  }

  private src(s: Span): string {
    return this.text.slice(s.pos, s.pos + s.len);
  }

  private error(s: Span, message: string, suggestions: string[] = []): FilterError {
    return new FilterError(s.pos, s.len, message, suggestions);
  }

  private name(f: FieldDef): void {
    if (!this.named.includes(f)) this.named.push(f);
  }

  private slot(f: FieldDef): number {
    let s = this.slotOf.get(f);
    if (s === undefined) {
      s = this.viewFields.length;
      this.viewFields.push(f);
      this.slotOf.set(f, s);
    }
    return s;
  }

  // ---------------------------------------------------------------- logical structure

  test(x: Expr): Test {
    switch (x.k) {
      case 'paren':
        return this.test(x.a);
      case 'and': {
        const items = x.items.map((i) => this.test(i));
        if (items.length === 2) {
          const [a, b] = items;
          return (v) => a(v) && b(v);
        }
        return (v) => {
          for (const t of items) if (!t(v)) return false;
          return true;
        };
      }
      case 'or': {
        const items = x.items.map((i) => this.test(i));
        if (items.length === 2) {
          const [a, b] = items;
          return (v) => a(v) || b(v);
        }
        return (v) => {
          for (const t of items) if (t(v)) return true;
          return false;
        };
      }
      case 'not': {
        const a = this.test(x.a);
        return x.count % 2 === 1 ? (v) => !a(v) : a;
      }
      case 'exists':
        return this.exists(x.a);
      case 'compare':
        return this.compare(x.op, x.quant, x.a, x.b, x.opSpan);
      case 'contains':
        return this.contains(x);
      case 'matches':
        return this.matchesTest(x);
      case 'in': {
        const t = this.inSet(x);
        return x.negated ? (v) => !t(v) : t;
      }
    }
  }

  // ---------------------------------------------------------------- names

  private resolve(e: Entity): Resolved {
    switch (e.k) {
      case 'word': {
        const f = lookupField(e.text);
        if (f) {
          this.name(f);
          return { k: 'field', f, layers: e.layers, span: e };
        }
        if (e.dotted || e.layers) throw this.unknownField(e.text, e);
        return { k: 'literal', text: e.text, span: e };
      }
      case 'literal':
        return { k: 'literal', text: e.text, span: e };
      case 'string':
        return { k: 'string', value: e.value, span: e };
      case 'charconst':
        return { k: 'charconst', code: e.code, source: e.source, span: e };
      case 'slice':
        return { k: 'slice', of: e.of, ranges: e.ranges, span: e };
      case 'call':
        return { k: 'call', e, span: e };
      case 'ref': {
        const f = lookupField(e.name);
        if (!f) throw this.unknownField(e.name, e);
        this.name(f);
        return { k: 'ref', f, span: e };
      }
      case 'group':
        return this.resolve(e.a);
      case 'arith':
      case 'neg':
        return { k: 'arith', e, span: e };
    }
  }

  private unknownField(name: string, s: Span): FilterError {
    return this.error(s, `${name} is not a valid field.`, suggestFields(name));
  }

  /** A word that is neither a field nor usable as a value here: unknown field, with suggestions. */
  private notAField(r: Resolved, message: string): FilterError {
    const suggestions = r.k === 'literal' && /^[A-Za-z_][\w-]*(\.[\w-]+)+$/.test(r.text) ? suggestFields(r.text) : [];
    return this.error(r.span, message, suggestions);
  }

  // ---------------------------------------------------------------- operands

  /** Values of a field (or protocol) in the packet, filtered by layer numbers. */
  private fieldOperand(f: FieldDef, span: Span, layers?: RangeText[]): Operand {
    const inLayer = layers ? this.layerTest(layers) : undefined;
    const d = f.type === 'protocol' ? dissectorByName(f.name) : undefined;
    const out: FilterValue[] = [];
    if (d && d.protocol === f) {
      // A dissector's protocol: its layers, no tree needed.
      const id = d.id;
      const values: Values = (v) => {
        out.length = 0;
        const p = v.p;
        let n = 0;
        for (let i = 0; i < p.layers; i++) {
          if (p.proto[i] !== id) continue;
          n++;
          if (inLayer && !inLayer(n)) continue;
          out.push(protocolValue(p, i));
        }
        return out;
      };
      return { type: 'protocol', values, field: f, node: 'field', span };
    }
    const slot = this.slot(f);
    const conv = converter(f);
    const values: Values = (v) => {
      out.length = 0;
      const s = v.get(slot);
      for (let i = 0; i < s.count; i++) {
        if (inLayer && !inLayer(s.layers[i])) continue;
        const x = conv(s.values[i], s.bufs[i], s.offs[i], s.lens[i]);
        if (x !== undefined) out.push(x);
      }
      return out;
    };
    const raw = !inLayer && (isInteger(f.type) || f.type === 'ipv4' || f.type === 'float' || f.type === 'double');
    const direct = !inLayer && this.direct ? directField(f) : undefined;
    return { type: f.type, values, field: f, node: 'field', span, rawSlot: raw ? slot : undefined, direct };
  }

  /** `#2`, `#[1-2]`, `#[2:]`: which layer numbers (1-based) pass. */
  private layerTest(layers: RangeText[]): (n: number) => boolean {
    const ranges = layers.map((r) => {
      const t = r.text.trim();
      let m: RegExpExecArray | null;
      if ((m = /^(\d+)$/.exec(t))) return [Number(m[1]), Number(m[1])];
      if ((m = /^(\d+)-(\d+)$/.exec(t))) return [Number(m[1]), Number(m[2])];
      if ((m = /^(\d+):(\d+)$/.exec(t))) return [Number(m[1]), Number(m[1]) + Number(m[2]) - 1];
      if ((m = /^(\d+):$/.exec(t))) return [Number(m[1]), Infinity];
      if ((m = /^:(\d+)$/.exec(t))) return [1, Number(m[1])];
      throw this.error({ pos: r.pos, len: r.text.length }, `"${t}" is not a valid layer range.`);
    });
    return (n) => ranges.some(([a, b]) => n >= a && n <= b);
  }

  /** An operand that may stand on the left of a relation (field, slice, function, arithmetic). */
  private lhs(a: Entity, opText: string, can: (t: FieldType) => boolean, quoted: boolean): Operand {
    const r = this.resolve(a);
    const opName = quoted ? `"${opText}"` : opText;
    switch (r.k) {
      case 'field':
      case 'ref': {
        const o = r.k === 'ref' ? this.refOperand(r.f, r.span) : this.fieldOperand(r.f, r.span, r.layers);
        if (!can(o.type)) throw this.error(r.span, `${r.f.name} (type=${prettyType(o.type)}) cannot participate in ${opText} comparison.`);
        return o;
      }
      case 'slice':
        return this.slice(r);
      case 'call': {
        const o = this.call(r.e, undefined);
        if (!can(o.type)) throw this.error(r.span, `Function ${r.e.name} (type=${prettyType(o.type)}) cannot participate in ${opText} comparison.`);
        return o;
      }
      case 'arith':
        return this.arith(r.e, undefined);
      default:
        throw this.notAField(r, `Left side of ${opName} expression must be a field or function, not ${this.src(r.span)}.`);
    }
  }

  private refOperand(f: FieldDef, span: Span): Operand {
    // `${field}` reads the field of the frame selected in a GUI: tshark has none, so no value.
    const none: FilterValue[] = [];
    return { type: f.type, values: () => none, field: f, node: 'reference', span };
  }

  /**
   * The right side of a relation whose left side is `l` (semcheck's check_relation_LHS_*):
   * constants take the left side's type; fields and functions must have a compatible type; a
   * slice on either side makes both sides byte strings. Returns both operands (the left one may
   * have been converted to bytes).
   */
  private rhs(l: Operand, b: Entity, can: (t: FieldType) => boolean, partial: boolean): [Operand, Operand] {
    const r = this.resolve(b);
    const lName = l.field && l.node === 'field' ? l.field.name : this.src(l.span);
    switch (r.k) {
      case 'field':
      case 'ref': {
        let o = r.k === 'ref' ? this.refOperand(r.f, r.span) : this.fieldOperand(r.f, r.span, r.layers);
        if (l.node === 'slice') {
          if (!isBytesType(o.type)) {
            if (!canSlice(o.type)) throw this.error(r.span, `"${r.f.name}" is a ${prettyType(o.type)} and cannot be converted into a sequence of bytes.`);
            o = toBytes(o);
          }
          return [l, o];
        }
        if (!compatible(l.type, o.type)) throw this.error(r.span, `${lName} and ${this.src(r.span)} are not of compatible types.`);
        if (!can(o.type)) throw this.error(r.span, `${this.src(r.span)} (type=${prettyType(o.type)}) cannot participate in specified comparison.`);
        return [l, o];
      }
      case 'string':
        return [l, this.constant(r.span, () => fromString(l.type, r.value, l.field))];
      case 'literal':
        return [l, this.constant(r.span, () => fromLiteral(l.type, r.text, partial, l.field))];
      case 'charconst':
        return [l, this.constant(r.span, () => fromCharConst(l.type, r.code, r.source))];
      case 'slice': {
        const o = this.slice(r);
        if (l.type !== 'bytes' && !isBytesType(l.type)) {
          if (!canSlice(l.type)) throw this.error(l.span, `"${lName}" is a ${prettyType(l.type)} and cannot be converted into a sequence of bytes.`);
          return [toBytes(l), o];
        }
        return [l, o];
      }
      case 'call': {
        const o = this.call(r.e, l.type);
        if (!compatible(l.type, o.type)) {
          throw this.error(r.span, `${lName} (type=${prettyType(l.type)}) and return value of ${r.e.name}() (type=${prettyType(o.type)}) are not of compatible types.`);
        }
        if (!can(o.type)) throw this.error(r.span, `return value of ${r.e.name}() (type=${prettyType(o.type)}) cannot participate in specified comparison.`);
        return [l, o];
      }
      case 'arith': {
        const o = this.arith(r.e, l.type);
        if (!compatible(l.type, o.type)) throw this.error(r.span, `${lName} and ${this.src(r.span)} are not of compatible types.`);
        if (!can(o.type)) throw this.error(r.span, `${this.src(r.span)} (type=${prettyType(o.type)}) cannot participate in specified comparison.`);
        return [l, o];
      }
    }
  }

  private constant(span: Span, make: () => FilterValue): Operand {
    let value: FilterValue;
    try {
      value = make();
    } catch (e) {
      if (e instanceof ConversionError) throw this.error(span, e.message);
      throw e;
    }
    const values = [value];
    return { type: 'none', values: () => values, constant: values, node: 'constant', span };
  }

  // ---------------------------------------------------------------- slices

  private slice(r: Extract<Resolved, { k: 'slice' }>): Operand {
    const of = this.resolve(r.of);
    let src: Operand;
    switch (of.k) {
      case 'field':
      case 'ref':
        src = of.k === 'ref' ? this.refOperand(of.f, of.span) : this.fieldOperand(of.f, of.span, of.layers);
        if (!canSlice(src.type)) throw this.error(of.span, `"${of.f.name}" is a ${prettyType(src.type)} and cannot be sliced into a sequence of bytes.`);
        break;
      case 'call':
        src = this.call(of.e, undefined);
        if (!canSlice(src.type)) {
          throw this.error(of.span, `Return value of function "${of.e.name}" is a ${prettyType(src.type)} and cannot be converted into a sequence of bytes.`);
        }
        break;
      case 'slice':
        src = this.slice(of);
        break;
      default:
        throw this.error(of.span, `Range is not supported for entity ${this.src(of.span)}`);
    }
    const ranges = r.ranges.map((n) => parseRange(n, (s, m) => this.error(s, m)));
    const bytes = bytesOf(src.type);
    const out: FilterValue[] = [];
    const values: Values = (v) => {
      out.length = 0;
      for (const x of src.values(v)) out.push(sliceBytes(bytes(x), ranges));
      return out;
    };
    return { type: 'bytes', values, node: 'slice', span: r.span };
  }

  // ---------------------------------------------------------------- functions

  private call(e: Extract<Entity, { k: 'call' }>, lhsType: FieldType | undefined): Operand {
    const def = functions[e.name];
    if (!def) throw this.error({ pos: e.pos, len: e.name.length }, `Function '${e.name}' does not exist`);
    if (e.args.length < def.min) throw this.error(e, `Function ${e.name} needs at least ${def.min} arguments.`);
    if (def.max > 0 && e.args.length > def.max) throw this.error(e, `Function ${e.name} can only accept ${def.max} arguments.`);
    return def.check(this, e, lhsType);
  }

  /** The argument of len(), count(), lower()…: a field (or a field reference). */
  fieldArg(e: Extract<Entity, { k: 'call' }>, i: number): Operand {
    const r = this.resolve(e.args[i]);
    if (r.k === 'field') return this.fieldOperand(r.f, r.span, r.layers);
    if (r.k === 'ref') return this.refOperand(r.f, r.span);
    throw this.error(r.span, `Only fields can be used as parameter for ${e.name}()`);
  }

  /** An argument of max(), min(), abs(): a field, a function or arithmetic. */
  valueArg(e: Extract<Entity, { k: 'call' }>, i: number, lhsType: FieldType | undefined): Operand {
    const r = this.resolve(e.args[i]);
    switch (r.k) {
      case 'field': return this.fieldOperand(r.f, r.span, r.layers);
      case 'ref': return this.refOperand(r.f, r.span);
      case 'call': return this.call(r.e, lhsType);
      case 'arith': return this.arith(r.e, lhsType);
      case 'slice': return this.slice(r);
      default:
        if (lhsType === undefined) throw this.error(r.span, `Argument '${this.src(r.span)}' is not valid for ${e.name}()`);
        if (r.k === 'literal') return this.typedConstant(lhsType, this.constant(r.span, () => fromLiteral(lhsType, r.text, false)));
        if (r.k === 'string') return this.typedConstant(lhsType, this.constant(r.span, () => fromString(lhsType, r.value)));
        return this.typedConstant(lhsType, this.constant(r.span, () => fromCharConst(lhsType, r.code, r.source)));
    }
  }

  private typedConstant(t: FieldType, o: Operand): Operand {
    return { ...o, type: t };
  }

  // ---------------------------------------------------------------- arithmetic

  /**
   * An arithmetic expression whose type is its first operand's (check_arithmetic_expr): on the
   * left side of a relation the first operand must not be a constant; constants take the type
   * of the operand before them.
   */
  arith(e: Entity, lhsType: FieldType | undefined): Operand {
    if (e.k === 'group') return this.arith(e.a, lhsType);
    if (e.k === 'neg') {
      const a = this.arithEntity(e.a, lhsType, true);
      if (!canNegate(a.type)) throw this.error(e, `${ftName(a.type)} cannot negate.`);
      const neg = negator(a.type);
      const signed = isInteger(a.type) && !isSigned(a.type);
      if (a.constant) {
        const folded = a.constant.map(neg).filter((x): x is FilterValue => x !== undefined);
        return { ...a, values: () => folded, constant: folded, span: e, signed };
      }
      const out: FilterValue[] = [];
      return {
        type: a.type,
        signed,
        node: 'arithmetic',
        span: e,
        values: (v) => {
          out.length = 0;
          for (const x of a.values(v)) {
            const y = neg(x);
            if (y !== undefined) out.push(y);
          }
          return out;
        },
      };
    }
    if (e.k !== 'arith') return this.arithEntity(e, lhsType, false);
    const first = e.a.k === 'group' ? e.a.a : e.a;
    if (lhsType === undefined && (first.k === 'literal' || first.k === 'string' || first.k === 'charconst' || (first.k === 'word' && !lookupField(first.text)))) {
      throw this.error(first, 'Constant arithmetic expression on the LHS is invalid.');
    }
    const a = this.arith(e.a, lhsType);
    const b = this.arith(e.b, a.type);
    const can = e.op === 'bitwise_and' ? canBitwiseAnd : e.op === 'plus' || e.op === 'minus' ? canAdd : canMultiply;
    const sym = opSymbol(e.op);
    if (!can(a.type)) throw this.error(e.a, `${ftName(a.type)} cannot ${sym}.`);
    if (!can(b.type)) throw this.error(e.b, `${ftName(b.type)} cannot ${sym}.`);
    if (!compatible(a.type, b.type)) throw this.error(e.b, `${this.src(e.a)} and ${this.src(e.b)} are not type compatible.`);
    const op = arithmetic(e.op, a.type);
    const out: FilterValue[] = [];
    return {
      type: a.type,
      node: 'arithmetic',
      span: e,
      values: (v) => {
        out.length = 0;
        const A = a.values(v);
        if (!A.length) return out;
        const B = b.values(v);
        for (const x of A) {
          for (const y of B) {
            const r = op(x, y);
            if (r !== undefined) out.push(r);
          }
        }
        return out;
      },
    };
  }

  private arithEntity(e: Entity, lhsType: FieldType | undefined, negated: boolean): Operand {
    const r = this.resolve(e);
    switch (r.k) {
      case 'field': return this.fieldOperand(r.f, r.span, r.layers);
      case 'ref': return this.refOperand(r.f, r.span);
      case 'call': return this.call(r.e, lhsType);
      case 'slice': return this.slice(r);
      case 'arith': return this.arith(r.e, lhsType);
      case 'literal':
        if (lhsType === undefined) {
          if (negated) throw this.error(r.span, 'Constant arithmetic expression on the LHS is invalid.');
          throw this.notAField(r, `${r.text} is not a valid arithmetic operand.`);
        }
        return this.typedConstant(lhsType, this.constant(r.span, () => fromLiteral(lhsType, r.text, false)));
      default:
        throw this.error(r.span, `${this.src(r.span)} is not a valid arithmetic operand.`);
    }
  }

  // ---------------------------------------------------------------- tests

  private exists(a: Entity): Test {
    const r = this.resolve(a);
    switch (r.k) {
      case 'field':
        return this.presence(r.f, r.layers);
      case 'slice': {
        const o = this.slice(r);
        return (v) => {
          for (const x of o.values(v)) if ((x as Uint8Array).length > 0) return true;
          return false;
        };
      }
      case 'arith': {
        const o = this.arith(r.e, undefined);
        const zero = isZero(o.type);
        return (v) => {
          for (const x of o.values(v)) if (!zero(x)) return true;
          return false;
        };
      }
      case 'call':
        throw this.error(r.span, 'You cannot test whether a function is present.');
      case 'ref':
        throw this.error(r.span, `${r.f.name} <${ftName(r.f.type)}> is neither a field nor a protocol name.`);
      default:
        throw this.notAField(r, `${this.src(r.span)} is neither a field nor a protocol name.`);
    }
  }

  /** Is the field (or protocol) in the packet (in the given layers)? */
  private presence(f: FieldDef, layers?: RangeText[]): Test {
    const d = f.type === 'protocol' ? dissectorByName(f.name) : undefined;
    const inLayer = layers ? this.layerTest(layers) : undefined;
    if (d && d.protocol === f) {
      const id = d.id;
      if (!inLayer) {
        return (v) => {
          const p = v.p;
          for (let i = 0; i < p.layers; i++) if (p.proto[i] === id) return true;
          return false;
        };
      }
      return (v) => {
        const p = v.p;
        let n = 0;
        for (let i = 0; i < p.layers; i++) if (p.proto[i] === id && inLayer(++n)) return true;
        return false;
      };
    }
    const slot = this.slot(f);
    if (!inLayer) {
      const viaView: Test = (v) => v.get(slot).count > 0;
      const direct = this.direct ? directField(f) : undefined;
      return direct ? directTest(direct, () => true, viaView) : viaView;
    }
    return (v) => {
      const s = v.get(slot);
      for (let i = 0; i < s.count; i++) if (inLayer(s.layers[i])) return true;
      return false;
    };
  }

  private compare(op: CompareOp, quant: 'any' | 'all' | undefined, a: Entity, b: Entity, opSpan: Span): Test {
    const ordering = op === 'gt' || op === 'ge' || op === 'lt' || op === 'le';
    const can = ordering ? canOrder : canEq;
    const l0 = this.lhs(a, this.src(opSpan), can, true);
    const [l, r0] = this.rhs(l0, b, can, false);
    const r = asLeftType(l, r0);
    const all = quant ? quant === 'all' : op === 'all_ne' || op === 'all_eq';
    const rel: Relation = op === 'any_eq' || op === 'all_eq' ? 'eq' : op === 'all_ne' || op === 'any_ne' ? 'ne' : op;
    return relationTest(l, r, comparator(rel, l.type, r), all);
  }

  private contains(x: SearchExpr): Test {
    const l0 = this.lhsSearch(x.a, 'contains', canContain);
    const [l, r] = this.rhs(l0, x.b, canContain, true);
    return relationTest(l, r, container(l.type), x.quant === 'all');
  }

  private matchesTest(x: SearchExpr): Test {
    if (x.b.k !== 'string') throw this.error(x.b, 'Matches requires a double quoted string on the right side.');
    let re: RegExp;
    try {
      re = compilePattern(x.b.value);
    } catch (e) {
      if (e instanceof RegexError) throw this.error(x.b, `Regex compilation error: ${e.message}.`);
      throw e;
    }
    const l = this.lhsSearch(x.a, 'matches', canMatch);
    const text = textOf(l.type);
    const all = x.quant === 'all';
    return (v) => {
      const A = l.values(v);
      if (!A.length) return false;
      for (const a of A) {
        const hit = re.test(text(a));
        if (hit !== all) return hit;
      }
      return all;
    };
  }

  /** The left side of contains/matches: a field, function or slice (not arithmetic). */
  private lhsSearch(a: Entity, opName: string, can: (t: FieldType) => boolean): Operand {
    const r = this.resolve(a);
    if (r.k !== 'field' && r.k !== 'ref' && r.k !== 'call' && r.k !== 'slice') {
      throw this.notAField(r, `Left side of ${opName} expression must be a field or function, not ${this.src(r.span)}.`);
    }
    return this.lhs(a, opName, can, false);
  }

  private inSet(x: Extract<Expr, { k: 'in' }>): Test {
    const r = this.resolve(x.a);
    if (r.k !== 'field') throw this.error(r.span, 'Only a field may be tested for membership in a set.');
    const all = x.quant === 'all';
    const tests: Test[] = [];
    // Constant members of a set on a directly read field: one read per occurrence for them all.
    const members: Array<(value: FilterValue) => boolean> = [];
    let direct: DirectField | undefined;
    const constant = (o: Operand) => o.constant?.length === 1 ? o.constant[0] : undefined;
    for (const item of x.items) {
      if (item.lo.k === 'slice' || item.hi?.k === 'slice') throw this.error(item.lo.k === 'slice' ? item.lo : item.hi!, 'A slice may not appear inside a set.');
      const l = this.lhs(x.a, 'in', canEq, false);
      direct = l.direct;
      if (!item.hi) {
        const [ll, lo] = this.setRhs(l, item.lo, canEq);
        const eq = comparator('eq', ll.type, lo);
        tests.push(relationTest({ ...ll, direct: undefined }, lo, eq, all));
        const c = constant(lo);
        if (c !== undefined) members.push((value) => eq(value, c));
        continue;
      }
      const [ll, lo] = this.setRhs(l, item.lo, canOrder);
      const [, hi] = this.setRhs(ll, item.hi, canOrder);
      const ge = comparator('ge', ll.type, lo);
      const le = comparator('le', ll.type, hi);
      const [a, b] = [constant(lo), constant(hi)];
      if (a !== undefined && b !== undefined) members.push((value) => ge(value, a) && le(value, b));
      // In a range, each value must lie between the bounds (one value, both tests).
      tests.push((v) => {
        const A = ll.values(v);
        if (!A.length) return false;
        const L = lo.values(v);
        const H = hi.values(v);
        const within = (a: FilterValue) => L.some((b) => ge(a, b)) && H.some((b) => le(a, b));
        return all ? A.every(within) : A.some(within);
      });
    }
    const viaView: Test = (v) => {
      for (const t of tests) if (t(v)) return true;
      return false;
    };
    if (!direct || all || members.length !== x.items.length) return viaView;
    return directTest(direct, (value) => {
      for (let i = 0; i < members.length; i++) if (members[i](value)) return true;
      return false;
    }, viaView);
  }

  private setRhs(l: Operand, e: Entity, can: (t: FieldType) => boolean): [Operand, Operand] {
    if (e.k === 'neg') return [l, asLeftType(l, this.arith(e, l.type))];
    const [ll, r] = this.rhs(l, e, can, false);
    return [ll, asLeftType(ll, r)];
  }
}

// ------------------------------------------------------------------ values of fields

/** Converts a sink value of field `f` to its filter form (undefined: no usable value). */
function converter(f: FieldDef): (v: Value, buf: Uint8Array, off: number, len: number) => FilterValue | undefined {
  switch (f.type) {
    case 'bool':
      return (v) => (v === null ? undefined : v ? 1 : 0);
    case 'string':
      return (v) => (v === null ? undefined : utf8Bytes(String(v)));
    case 'abstime':
      return (v) => (v === null || typeof v !== 'object' || !('sec' in v) ? undefined : BigInt(v.sec) * 1_000_000_000n + BigInt(v.nsec));
    case 'reltime':
      return (v) => {
        if (typeof v === 'number' || typeof v === 'bigint') return v;
        if (v !== null && typeof v === 'object' && 'sec' in v) return exactNs(BigInt(v.sec) * 1_000_000_000n + BigInt(v.nsec));
        return undefined;
      };
    case 'protocol':
      return (_v, buf, off, len) => {
        const b = buf.subarray(Math.max(0, off), Math.max(0, Math.min(off + len, buf.length)));
        return new ProtocolValue(b, b);
      };
    case 'none':
      return () => 0;
    case 'ipv6': case 'ether': case 'bytes':
      return (v) => (v instanceof Uint8Array ? v : undefined);
    default:
      return (v) => (typeof v === 'number' || typeof v === 'bigint' ? v : typeof v === 'boolean' ? (v ? 1 : 0) : undefined);
  }
}

/** A dissector layer as Wireshark's protocol value: the item (header) and its data to the layer's end. */
function protocolValue(p: Packet, i: number): ProtocolValue {
  const b = p.bufferOf(i);
  const start = Math.min(p.start[i], b.length);
  if (i === 0) return new ProtocolValue(b, b); // the frame: all captured bytes
  const end = Math.max(start, Math.min(p.end[i], b.length));
  const limit = Math.max(end, Math.min(p.limit[i], b.length));
  return new ProtocolValue(b.subarray(start, end), b.subarray(start, limit));
}

/** Converts an operand's values to byte strings (a whole field compared with a slice). */
function toBytes(o: Operand): Operand {
  const bytes = bytesOf(o.type);
  const out: FilterValue[] = [];
  return {
    type: 'bytes',
    node: o.node,
    span: o.span,
    field: o.field,
    values: (v) => {
      out.length = 0;
      for (const x of o.values(v)) out.push(bytes(x));
      return out;
    },
  };
}

/** The bytes of a value of type t (slices work on these). */
function bytesOf(t: FieldType): (x: FilterValue) => Uint8Array {
  switch (t) {
    case 'ipv4':
      return (x) => {
        const a = x as number;
        return Uint8Array.of(a >>> 24, (a >>> 16) & 255, (a >>> 8) & 255, a & 255);
      };
    case 'string':
      return (x) => Buffer.from(x as string, 'latin1');
    case 'protocol':
      return (x) => (x as ProtocolValue).item;
    default:
      return (x) => (x instanceof Prefixed ? (x.addr as Uint8Array) : (x as Uint8Array));
  }
}

// ------------------------------------------------------------------ slices

/** A checked range node: how it cuts a value of length L (drange semantics of 4.0). */
interface RangeNode {
  start: number;
  /** 'len': `start:len`; 'end': `start-end` (inclusive); 'rest': `start:`. */
  kind: 'len' | 'end' | 'rest';
  n: number;
}

function parseRange(r: RangeText, error: (s: Span, m: string) => FilterError): RangeNode {
  const t = r.text.trim();
  const span = { pos: r.pos, len: r.text.length };
  let m: RegExpExecArray | null;
  const num = (s: string) => Number(s);
  if ((m = /^(-?\d+):(-?\d+)$/.exec(t))) {
    if (num(m[2]) <= 0) throw error(span, `Range ${t} isn't valid because length ${m[2]} isn't positive`);
    return { start: num(m[1]), kind: 'len', n: num(m[2]) };
  }
  if ((m = /^:(-?\d+)$/.exec(t))) {
    if (num(m[1]) <= 0) throw error(span, `Range ${t} isn't valid because length ${m[1]} isn't positive`);
    return { start: 0, kind: 'len', n: num(m[1]) };
  }
  if ((m = /^(-?\d+):$/.exec(t))) return { start: num(m[1]), kind: 'rest', n: 0 };
  if ((m = /^(-?\d+)-(-?\d+)$/.exec(t))) {
    const a = num(m[1]);
    const b = num(m[2]);
    if ((a < 0) !== (b < 0)) throw error(span, `Range ${t} isn't valid because ${a} and ${b} have different signs`);
    if (a >= b) throw error(span, `Range ${t} isn't valid because ${a} is greater or equal than ${b}`);
    return { start: a, kind: 'end', n: b };
  }
  if ((m = /^(-?\d+)$/.exec(t))) return { start: num(m[1]), kind: 'len', n: 1 };
  throw error(span, `"${t}" is not a valid range.`);
}

/**
 * Cuts and concatenates byte ranges as 4.0's fvalue_slice: a range outside the value stops the
 * slice (what was cut before stays), so `frame[66]` of a 66-byte frame is empty.
 */
function sliceBytes(b: Uint8Array, ranges: RangeNode[]): Uint8Array {
  const L = b.length;
  if (ranges.length === 1) {
    const c = cut(ranges[0], L);
    return c ? b.subarray(c[0], c[0] + c[1]) : b.subarray(0, 0);
  }
  const parts: Uint8Array[] = [];
  for (const r of ranges) {
    const c = cut(r, L);
    if (!c) break;
    parts.push(b.subarray(c[0], c[0] + c[1]));
  }
  return parts.length === 1 ? parts[0] : Buffer.concat(parts);
}

function cut(r: RangeNode, L: number): [number, number] | undefined {
  let start = r.start;
  if (start >= 0) {
    if (start > L) return undefined;
  } else {
    start += L;
    if (start < 0) return undefined;
  }
  switch (r.kind) {
    case 'rest': {
      const len = L - start;
      return len > 0 ? [start, len] : undefined;
    }
    case 'len':
      return start + r.n > L ? undefined : [start, r.n];
    case 'end': {
      let end = r.n;
      if (end < 0) {
        end += L;
        if (end < start) return undefined;
      } else if (end >= L) return undefined;
      return [start, end - start + 1];
    }
  }
}

// ------------------------------------------------------------------ comparisons

type Relation = 'eq' | 'ne' | 'gt' | 'ge' | 'lt' | 'le';
type Pair = (a: FilterValue, b: FilterValue) => boolean;

/** Some pair (or with `all`, every pair) of values of l and r satisfies `pair`; false when either side has none. */
function relationTest(l: Operand, r: Operand, pair: Pair, all: boolean): Test {
  if (r.constant && r.constant.length === 1 && l.direct && !all) {
    // `header field op constant`: read at its offset where the layer allows, else as below.
    const c = r.constant[0];
    return directTest(l.direct, (x) => pair(x, c), relationTest({ ...l, direct: undefined }, r, pair, all));
  }
  if (r.constant && r.constant.length === 1 && l.rawSlot !== undefined && !all) {
    // The common `field op constant`: straight over the collected values, nothing copied.
    const c = r.constant[0];
    const slot = l.rawSlot;
    return (v) => {
      const s = v.get(slot);
      const values = s.values as FilterValue[];
      for (let i = 0; i < s.count; i++) {
        const x = values[i];
        if (x !== null && pair(x, c)) return true;
      }
      return false;
    };
  }
  if (r.constant && r.constant.length === 1) {
    const c = r.constant[0];
    if (!all) {
      return (v) => {
        const A = l.values(v);
        for (let i = 0; i < A.length; i++) if (pair(A[i], c)) return true;
        return false;
      };
    }
    return (v) => {
      const A = l.values(v);
      if (!A.length) return false;
      for (let i = 0; i < A.length; i++) if (!pair(A[i], c)) return false;
      return true;
    };
  }
  return (v) => {
    const A = l.values(v);
    if (!A.length) return false;
    const B = r.values(v);
    if (!B.length) return false;
    for (const a of A) {
      for (const b of B) {
        const hit = pair(a, b);
        if (hit !== all) return hit;
      }
    }
    return all;
  };
}

/** A field of a protocol with a direct reading (direct.ts): the layers to read and how. */
interface DirectField {
  /** Dissector id of the layers that carry the field. */
  id: number;
  protocol: DirectProtocol;
  /** One read per occurrence in a layer; values in filter form. */
  reads: readonly DirectRead[];
}

function directField(f: FieldDef): DirectField | undefined {
  const protocol = directProtocol(f.protocol);
  const reads = protocol?.fields.get(f.name);
  const d = dissectorByName(f.protocol);
  return protocol && reads && d ? { id: d.id, protocol, reads } : undefined;
}

/**
 * "Some occurrence of the field satisfies `hit`", read from the bytes of each layer carrying
 * it; a layer not of the common shape hands the whole packet to `viaView` (the tree). A hit in
 * an earlier layer is final either way: the tree would add that same occurrence.
 */
function directTest(d: DirectField, hit: (x: FilterValue) => boolean, viaView: Test): Test {
  const { id, protocol, reads } = d;
  return (v) => {
    const p = v.p;
    for (let i = 0; i < p.layers; i++) {
      if (p.proto[i] !== id) continue;
      if (!protocol.simple(p, i)) return viaView(v);
      const b = p.buffers[p.bufIndex[i]];
      const o = p.start[i];
      for (let k = 0; k < reads.length; k++) {
        const x = reads[k](p, b, o, i);
        if (x === undefined) break;
        if (hit(x)) return true;
      }
    }
    return false;
  };
}

function domain(t: FieldType): 'number' | 'ipv4' | 'ipv6' | 'bytes' | 'string' | 'protocol' {
  switch (t) {
    case 'ipv4': return 'ipv4';
    case 'ipv6': return 'ipv6';
    case 'ether': case 'bytes': return 'bytes';
    case 'string': return 'string';
    case 'protocol': return 'protocol';
    default: return 'number';
  }
}

/** Three-way comparison of two values of the left side's domain. */
function order(t: FieldType): (a: FilterValue, b: FilterValue) => number {
  switch (domain(t)) {
    case 'ipv4':
      return (a, b) => {
        const x = a instanceof Prefixed ? (a.addr as number) : (a as number);
        const y = b instanceof Prefixed ? (b.addr as number) : (b as number);
        const bits = Math.min(a instanceof Prefixed ? a.bits : 32, b instanceof Prefixed ? b.bits : 32);
        const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
        const p = (x & mask) >>> 0;
        const q = (y & mask) >>> 0;
        return p === q ? 0 : p < q ? -1 : 1;
      };
    case 'ipv6':
      return (a, b) => {
        const [x, bx] = a instanceof Prefixed ? [a.addr as Uint8Array, a.bits] : [a as Uint8Array, 128];
        const [y, by] = b instanceof Prefixed ? [b.addr as Uint8Array, b.bits] : [b as Uint8Array, 128];
        let bits = Math.min(bx, by);
        for (let i = 0; i < 16; i++, bits -= 8) {
          const mask = bits >= 8 ? 255 : bits <= 0 ? 0 : (0xff << (8 - bits)) & 255;
          const p = x[i] & mask;
          const q = y[i] & mask;
          if (p !== q) return p < q ? -1 : 1;
        }
        return 0;
      };
    case 'bytes':
      return (a, b) => compareBytes(a as Uint8Array, b as Uint8Array);
    case 'protocol':
      return (a, b) => compareBytes(protocolItem(a), protocolItem(b));
    case 'string':
      return (a, b) => (a === b ? 0 : (a as string) < (b as string) ? -1 : 1);
    default:
      return (a, b) => (a < b ? -1 : a > b ? 1 : a == b ? 0 : NaN); // eslint-disable-line eqeqeq
  }
}

function protocolItem(x: FilterValue): Uint8Array {
  return x instanceof ProtocolValue ? x.item : (x as Uint8Array);
}

/** Byte strings order by length first, then by content (Wireshark's bytes cmp_order). */
function compareBytes(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) return a.length < b.length ? -1 : 1;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i] < b[i] ? -1 : 1;
  return 0;
}

function comparator(rel: Relation, t: FieldType, r: Operand): Pair {
  // Integers and plain IPv4 constants: the plain operators (mixed number/bigint compare exactly).
  const plainIpv4 = t === 'ipv4' && r.constant !== undefined && !(r.constant[0] instanceof Prefixed);
  if (domain(t) === 'number' || plainIpv4) {
    switch (rel) {
      case 'eq': return (a, b) => a == b; // eslint-disable-line eqeqeq
      case 'ne': return (a, b) => a != b; // eslint-disable-line eqeqeq
      case 'gt': return (a, b) => a > b;
      case 'ge': return (a, b) => a >= b;
      case 'lt': return (a, b) => a < b;
      case 'le': return (a, b) => a <= b;
    }
  }
  const cmp = order(t);
  switch (rel) {
    case 'eq': return (a, b) => cmp(a, b) === 0;
    case 'ne': return (a, b) => cmp(a, b) !== 0;
    case 'gt': return (a, b) => cmp(a, b) > 0;
    case 'ge': return (a, b) => cmp(a, b) >= 0;
    case 'lt': return (a, b) => cmp(a, b) < 0;
    case 'le': return (a, b) => cmp(a, b) <= 0;
  }
}

function container(t: FieldType): Pair {
  switch (t) {
    case 'string':
      return (a, b) => (a as string).includes(b as string);
    case 'protocol':
      return (a, b) => indexOfBytes((a as ProtocolValue).data, protocolItem(b)) >= 0;
    default:
      return (a, b) => indexOfBytes(a as Uint8Array, b instanceof ProtocolValue ? b.item : (b as Uint8Array)) >= 0;
  }
}

function indexOfBytes(hay: Uint8Array, needle: Uint8Array): number {
  if (needle.length === 0) return 0;
  return Buffer.from(hay.buffer, hay.byteOffset, hay.length).indexOf(Buffer.from(needle.buffer, needle.byteOffset, needle.length));
}

/** The text a regular expression runs over: bytes as one char each. */
function textOf(t: FieldType): (x: FilterValue) => string {
  switch (t) {
    case 'string':
      return (x) => x as string;
    case 'protocol':
      return (x) => latin1((x as ProtocolValue).data);
    default:
      return (x) => latin1(x as Uint8Array);
  }
}

function latin1(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.length).toString('latin1');
}

// ------------------------------------------------------------------ arithmetic

function isZero(t: FieldType): (x: FilterValue) => boolean {
  if (t === 'bytes' || t === 'ether' || t === 'ipv6') return (x) => (x as Uint8Array).every((b) => b === 0);
  if (t === 'protocol') return (x) => (x as ProtocolValue).item.every((b) => b === 0);
  if (t === 'string') return (x) => (x as string).length === 0;
  return (x) => x == 0; // eslint-disable-line eqeqeq
}

type Op = (a: FilterValue, b: FilterValue) => FilterValue | undefined;

/** Integer arithmetic wraps as C's on the value's width (32 bits, or 64 for 64-bit types). */
function arithmetic(op: ArithOp, t: FieldType): Op {
  if (t === 'bytes' || t === 'ether') {
    return (a, b) => {
      const x = a as Uint8Array;
      const y = b as Uint8Array;
      const out = new Uint8Array(Math.min(x.length, y.length));
      for (let i = 0; i < out.length; i++) out[i] = x[i] & y[i];
      return out;
    };
  }
  if (t === 'float' || t === 'double') {
    switch (op) {
      case 'plus': return (a, b) => (a as number) + (b as number);
      case 'minus': return (a, b) => (a as number) - (b as number);
      case 'star': return (a, b) => (a as number) * (b as number);
      case 'slash': return (a, b) => (a as number) / (b as number);
      default: return (a, b) => (b === 0 ? undefined : (a as number) % (b as number));
    }
  }
  if (t === 'reltime') {
    return (a, b) => exactNs(op === 'minus' ? BigInt(a as number | bigint) - BigInt(b as number | bigint) : BigInt(a as number | bigint) + BigInt(b as number | bigint));
  }
  if (is64(t) || t === 'uint48') {
    const wrap = isSigned(t) ? (x: bigint) => BigInt.asIntN(64, x) : (x: bigint) => BigInt.asUintN(64, x);
    const big = (x: FilterValue) => BigInt(x as number | bigint);
    switch (op) {
      case 'plus': return (a, b) => wrap(big(a) + big(b));
      case 'minus': return (a, b) => wrap(big(a) - big(b));
      case 'star': return (a, b) => wrap(big(a) * big(b));
      case 'slash': return (a, b) => (big(b) === 0n ? undefined : wrap(big(a) / big(b)));
      case 'percent': return (a, b) => (big(b) === 0n ? undefined : wrap(big(a) % big(b)));
      default: return (a, b) => wrap(big(a) & big(b));
    }
  }
  const signed = isSigned(t);
  const wrap = signed ? (x: number) => x | 0 : (x: number) => x >>> 0;
  const num = (x: FilterValue) => Number(x);
  switch (op) {
    case 'plus': return (a, b) => wrap(num(a) + num(b));
    case 'minus': return (a, b) => wrap(num(a) - num(b));
    case 'star': return (a, b) => wrap(Math.imul(num(a), num(b)));
    case 'slash': return (a, b) => (num(b) === 0 ? undefined : wrap(Math.trunc(num(a) / num(b))));
    case 'percent': return (a, b) => (num(b) === 0 ? undefined : wrap(num(a) % num(b)));
    default: return (a, b) => wrap(num(a) & num(b));
  }
}

function negator(t: FieldType): (x: FilterValue) => FilterValue | undefined {
  if (t === 'float' || t === 'double') return (x) => -(x as number);
  if (t === 'reltime') return (x) => (typeof x === 'bigint' ? -x : -(x as number));
  if (is64(t) || t === 'uint48') return (x) => (isSigned(t) ? BigInt.asIntN(64, -BigInt(x as number)) : BigInt.asUintN(64, -BigInt(x as number)));
  // 4.0 negates unsigned integers into signed 32-bit ones (and refuses values above 2^31-1).
  return isSigned(t) ? (x) => -(x as number) | 0 : (x) => ((x as number) > 0x7fffffff ? undefined : -(x as number));
}

/**
 * Constants compared with an unsigned field are read as that field's type reads them: a
 * negative constant (`tcp.port in {-1..500}`) becomes a large unsigned number, as in tshark.
 */
function asLeftType(l: Operand, r: Operand): Operand {
  if (!r.constant || !isInteger(l.type) || isSigned(l.type) || l.signed) return r;
  if (!r.constant.some((x) => (typeof x === 'number' || typeof x === 'bigint') && x < 0)) return r;
  const wrapped = r.constant.map((x) => (typeof x === 'number' && x < 0 ? x >>> 0 : typeof x === 'bigint' && x < 0n ? BigInt.asUintN(64, x) : x));
  return { ...r, constant: wrapped, values: () => wrapped };
}

// ------------------------------------------------------------------ functions

interface FunctionDef {
  min: number;
  max: number;
  check(c: Compiler, e: Extract<Entity, { k: 'call' }>, lhsType: FieldType | undefined): Operand;
}

/** Per-value mapping of an operand into a new one. */
function mapValues(type: FieldType, span: Span, src: Operand, f: (x: FilterValue) => FilterValue | undefined): Operand {
  const out: FilterValue[] = [];
  return {
    type,
    node: 'function',
    span,
    values: (v) => {
      out.length = 0;
      for (const x of src.values(v)) {
        const y = f(x);
        if (y !== undefined) out.push(y);
      }
      return out;
    },
  };
}

function lengthOf(t: FieldType): (x: FilterValue) => number {
  const fixed = wireSize[t];
  if (fixed !== undefined) return () => fixed;
  switch (t) {
    case 'string': return (x) => (x as string).length;
    case 'bytes': return (x) => (x as Uint8Array).length;
    case 'protocol': return (x) => (x as ProtocolValue).item.length;
    default: return () => 0;
  }
}

function caseMap(upper: boolean): (x: FilterValue) => FilterValue {
  // g_ascii_strup/strdown: ASCII letters only.
  return upper ? (x) => (x as string).replace(/[a-z]+/g, (s) => s.toUpperCase()) : (x) => (x as string).replace(/[A-Z]+/g, (s) => s.toLowerCase());
}

function stringOf(t: FieldType): (x: FilterValue) => string {
  switch (t) {
    case 'ipv4': return (x) => { const a = x as number; return `${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}`; };
    case 'ipv6': return (x) => ipv6ToString(x as Uint8Array);
    case 'ether': return (x) => macToString(x as Uint8Array, 0, (x as Uint8Array).length);
    default: return (x) => String(x);
  }
}

const functions: Record<string, FunctionDef> = {
  len: {
    min: 1, max: 1,
    check(c, e) {
      const a = c.fieldArg(e, 0);
      return mapValues('uint32', e, a, lengthOf(a.type));
    },
  },
  count: {
    min: 1, max: 1,
    check(c, e) {
      const a = c.fieldArg(e, 0);
      const out: FilterValue[] = [];
      return {
        type: 'uint32', node: 'function', span: e,
        values: (v) => {
          out.length = 0;
          const n = a.values(v).length;
          if (n) out.push(n);
          return out;
        },
      };
    },
  },
  lower: { min: 1, max: 1, check: (c, e) => caseFunction(c, e, false) },
  upper: { min: 1, max: 1, check: (c, e) => caseFunction(c, e, true) },
  string: {
    min: 1, max: 1,
    check(c, e) {
      const a = c.fieldArg(e, 0);
      if (!canStringify(a.type)) throw new FilterError(e.args[0].pos, e.args[0].len, `String conversion for field "${a.field?.name}" is not supported`);
      const text = stringOf(a.type);
      return mapValues('string', e, a, (x) => utf8Bytes(text(x)));
    },
  },
  max: { min: 1, max: 0, check: (c, e, t) => extremum(c, e, t, 1) },
  min: { min: 1, max: 0, check: (c, e, t) => extremum(c, e, t, -1) },
  abs: {
    min: 1, max: 1,
    check(c, e, t) {
      const a = c.valueArg(e, 0, t);
      if (!isInteger(a.type) && a.type !== 'float' && a.type !== 'double' && a.type !== 'reltime') {
        throw new FilterError(e.args[0].pos, e.args[0].len, `'${a.field?.name ?? ''}' is not a valid argument to 'abs'()`);
      }
      const abs = (x: FilterValue) => (typeof x === 'bigint' ? (x < 0n ? -x : x) : Math.abs(x as number));
      return mapValues(a.type, e, a, abs);
    },
  },
};

function caseFunction(c: Compiler, e: Extract<Entity, { k: 'call' }>, upper: boolean): Operand {
  const a = c.fieldArg(e, 0);
  if (a.type !== 'string') throw new FilterError(e.args[0].pos, e.args[0].len, `Only string type fields can be used as parameter for ${e.name}()`);
  return mapValues('string', e, a, caseMap(upper));
}

function extremum(c: Compiler, e: Extract<Entity, { k: 'call' }>, lhsType: FieldType | undefined, sign: 1 | -1): Operand {
  const args = e.args.map((_, i) => c.valueArg(e, i, lhsType));
  const t = args[0].type;
  args.forEach((a, i) => {
    if (a.type !== t) throw new FilterError(e.args[i].pos, e.args[i].len, `Arguments to '${e.name}' must have the same type (expected ${ftName(t)}, got ${ftName(a.type)})`);
  });
  const cmp = order(t);
  const out: FilterValue[] = [];
  return {
    type: t, node: 'function', span: e,
    values: (v) => {
      out.length = 0;
      let best: FilterValue | undefined;
      for (const a of args) for (const x of a.values(v)) if (best === undefined || cmp(x, best) * sign > 0) best = x;
      if (best !== undefined) out.push(best);
      return out;
    },
  };
}
