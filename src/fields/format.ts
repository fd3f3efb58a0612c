/**
 * Text of field values: as tshark prints them in `-T fields` / JSON (`fieldText`), and as the
 * detail tree shows them (`displayText`, with value names and bit patterns).
 */
import { ipv4ToString, ipv6ToString, macToString, toHex } from '../decode/bytes.js';
import type { FieldDef } from './field.js';
import type { TreeNode } from './sink.js';
import type { AbsTime, Value } from './value.js';

const hexWidth: Partial<Record<FieldDef['type'], number>> = { uint8: 2, uint16: 4, uint24: 6, uint32: 8, uint48: 12, uint64: 16, char: 2 };

/** Nanoseconds as `S.NNNNNNNNN` (tshark's relative-time text). */
export function nsToSeconds(ns: number): string {
  const neg = ns < 0;
  const a = Math.abs(ns);
  const sec = Math.floor(a / 1e9);
  const frac = Math.round(a - sec * 1e9);
  return `${neg ? '-' : ''}${sec}.${String(frac).padStart(9, '0')}`;
}

function isAbsTime(v: Value): v is AbsTime {
  return typeof v === 'object' && v !== null && !(v instanceof Uint8Array) && 'sec' in v;
}

const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** `Mar 12, 2024 09:00:00.000000000 UTC` in the local time zone, as Wireshark's absolute time. */
export function absTimeText(t: AbsTime): string {
  const d = new Date(t.sec * 1000);
  const zone = Intl.DateTimeFormat('en-US', { timeZoneName: 'short' }).formatToParts(d).find((p) => p.type === 'timeZoneName')?.value ?? '';
  const two = (n: number) => String(n).padStart(2, '0');
  // Wireshark pads the day with a space (`Jan  9, 2010`), as strftime's %e.
  return `${months[d.getMonth()]} ${String(d.getDate()).padStart(2, ' ')}, ${d.getFullYear()} ${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}.${String(t.nsec).padStart(9, '0')} ${zone === 'GMT' ? 'UTC' : zone}`;
}

/** Integer text by the field's base, as tshark's `-T fields`. */
function intText(f: FieldDef, v: number | bigint): string {
  switch (f.base) {
    case 'hex':
    case 'hex_dec':
    case 'dec_hex': {
      if (f.base === 'dec_hex') return String(v);
      const w = hexWidth[f.type] ?? 2;
      const n = typeof v === 'bigint' ? BigInt.asUintN(64, v) : v;
      return `0x${n.toString(16).padStart(w, '0')}`;
    }
    case 'oct':
      return `0${v.toString(8)}`;
    default:
      return String(v);
  }
}

/** A value as tshark prints it with `-T fields` (and in `-T json` strings). */
export function fieldText(f: FieldDef, v: Value): string {
  if (v === null) return '';
  switch (f.type) {
    case 'bool':
      return v ? '1' : '0';
    case 'ipv4':
      return typeof v === 'number' ? ipv4ToString(v) : String(v);
    case 'ipv6':
      return v instanceof Uint8Array ? ipv6ToString(v) : String(v);
    case 'ether':
      return v instanceof Uint8Array ? macToString(v, 0, v.length) : String(v);
    case 'bytes':
      return v instanceof Uint8Array ? toHex(v) : String(v);
    case 'reltime':
      // Seconds and nanoseconds of one sign (an epoch time, or an exact difference).
      if (isAbsTime(v)) return `${v.sec < 0 || v.nsec < 0 ? '-' : ''}${Math.abs(v.sec)}.${String(Math.abs(v.nsec)).padStart(9, '0')}`;
      return typeof v === 'number' ? nsToSeconds(v) : String(v);
    case 'abstime':
      return isAbsTime(v) ? absTimeText(v) : String(v);
    case 'string':
      return escapeString(String(v));
    case 'float': case 'double':
      return typeof v === 'number' ? String(v) : String(v);
    case 'protocol': case 'none':
      return '';
    default:
      if (typeof v === 'number' || typeof v === 'bigint') return intText(f, v);
      if (typeof v === 'boolean') return v ? '1' : '0';
      return String(v);
  }
}

/** Decimal text of 0..255, for dotted quads without a number-to-string conversion per byte. */
const decimalByte: string[] = Array.from({ length: 256 }, (_, i) => String(i));

/**
 * How `fieldText` prints the numbers of field `f`: 'decimal' (`String(v)`), 'ipv4' (a dotted
 * quad of the unsigned 32-bit value), or 'text' (anything else: read `fieldText`). Values that
 * are not numbers always take `fieldText`.
 */
export function numberTextKind(f: FieldDef): 'decimal' | 'ipv4' | 'text' {
  switch (f.type) {
    case 'ipv4':
      return 'ipv4';
    case 'uint8': case 'uint16': case 'uint24': case 'uint32': case 'uint48': case 'framenum':
    case 'int8': case 'int16': case 'int32':
      return f.base === undefined || f.base === 'dec' || f.base === 'none' || f.base === 'dec_hex' ? 'decimal' : 'text';
    default:
      return 'text';
  }
}

/**
 * The `fieldText` of field `f` as a function of the value alone, with the common cases (decimal
 * integers, IPv4 addresses) decided once instead of per value. Gives exactly what
 * `fieldText(f, v)` gives.
 *
 * @example
 * const text = fieldFormatter(lookupField('ip.src')!);
 * text(0x0a000001); // '10.0.0.1'
 */
export function fieldFormatter(f: FieldDef): (v: Value) => string {
  switch (numberTextKind(f)) {
    case 'ipv4':
      return (v) => (typeof v === 'number' ? `${decimalByte[v >>> 24]}.${decimalByte[(v >>> 16) & 255]}.${decimalByte[(v >>> 8) & 255]}.${decimalByte[v & 255]}` : fieldText(f, v));
    case 'decimal':
      return (v) => (typeof v === 'number' ? String(v) : fieldText(f, v));
    default:
      return (v) => fieldText(f, v);
  }
}

/** Escapes control bytes as Wireshark does in field text (`\x01`, `\n`…). */
function escapeString(s: string): string {
  // eslint-disable-next-line no-control-regex
  if (!/[\x00-\x1f\x7f]/.test(s)) return s;
  return s.replace(/[\x00-\x1f\x7f]/g, (c) => {
    switch (c) {
      case '\n': return '\\n';
      case '\r': return '\\r';
      case '\t': return '\\t';
      default: return `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`;
    }
  });
}

/** Bit pattern prefix for a bitfield item, e.g. `.1.. ....` for mask 0x40 in 8 bits. */
export function bitPattern(mask: number, bits: number, value: number): string {
  let s = '';
  for (let i = bits - 1; i >= 0; i--) {
    const bit = 2 ** i;
    const inMask = Math.floor(mask / bit) % 2 === 1;
    s += inMask ? (Math.floor(value / bit) % 2 === 1 ? '1' : '0') : '.';
    if (i % 4 === 0 && i) s += ' ';
  }
  return s;
}

function itemBits(n: TreeNode): number {
  if (n.field.bits) return n.field.bits;
  return Math.max(8, n.len * 8);
}

/**
 * Hex digits the tree shows for an integer of field `f`: the type's width, or for a bitfield
 * the width of its mask (Wireshark's hfinfo_hex_digits: the 20-bit flow label shows `0x00000`).
 */
function displayHexWidth(f: FieldDef): number {
  if (!f.mask) return hexWidth[f.type] ?? 2;
  let bits = 0;
  for (let m = Math.floor(f.mask / 2 ** f.shift); m >= 1; m = Math.floor(m / 2)) bits++;
  return Math.ceil(bits / 4);
}

/**
 * The text of a bitmask item whose bits are items of their own, as Wireshark's
 * proto_tree_add_bitmask_with_flags(…, BMT_NO_FALSE | BMT_NO_TFS | BMT_NO_INT) writes it: the
 * value, then the names of the set boolean bits and `Name: value name` of the bitfields that
 * have value names (`Flags: 0x20, Home Agent, Prf (Default Router Preference): Medium`).
 * `raw` is the item's value before its mask; `bits` are the sub-items in order.
 */
export function bitmaskLabel(f: FieldDef, raw: number, bits: readonly FieldDef[]): string {
  const v = f.mask ? ((raw & f.mask) >>> 0) / 2 ** f.shift : raw;
  let text = `${f.display}: 0x${v.toString(16).padStart(displayHexWidth(f), '0')}`;
  for (const bit of bits) {
    const x = bit.mask ? ((raw & bit.mask) >>> 0) / 2 ** bit.shift : raw;
    if (bit.type === 'bool') {
      if (x) text += `, ${bit.display}`;
    } else if (bit.valueNames) {
      text += `, ${bit.display}: ${bit.valueNames.get(x) ?? 'Unknown'}`;
    }
  }
  if (!f.mask) return text;
  const width = f.bits ?? 8;
  return `${bitPattern(f.mask % 2 ** width, width, raw % 2 ** width)} = ${text}`;
}

/** Bytes of a byte string the tree shows before cutting it short. */
const MAX_BYTES_SHOWN = 36;

/** The line a node shows in the detail tree (`-V`, the web UI). */
export function displayText(n: TreeNode): string {
  if (n.label !== undefined) return n.label;
  const f = n.field;
  if (f.type === 'protocol' || f.type === 'none') return f.display;
  const v = n.value;
  let text: string;
  if (f.type === 'bool') {
    text = v ? (f.trueFalse?.[0] ?? 'True') : (f.trueFalse?.[1] ?? 'False');
  } else if (typeof v === 'number' && f.valueNames) {
    const name = f.valueNames.get(v) ?? 'Unknown';
    // BASE_NONE with a value string shows the name alone (checksum status: `Unverified`).
    text = f.base === 'none' ? name : `${name} (${fieldText(f, v)})`;
  } else if (typeof v === 'number' && (f.base === 'hex_dec' || f.base === 'dec_hex')) {
    // BASE_HEX_DEC / BASE_DEC_HEX show both forms: `0x1234 (4660)`, `4660 (0x1234)`.
    const hex = `0x${v.toString(16).padStart(displayHexWidth(f), '0')}`;
    text = f.base === 'hex_dec' ? `${hex} (${v})` : `${v} (${hex})`;
    if (f.unit) text += ` ${f.unit}`;
  } else if (typeof v === 'number' && f.base === 'hex' && f.mask) {
    text = `0x${v.toString(16).padStart(displayHexWidth(f), '0')}`;
    if (f.unit) text += ` ${f.unit}`;
  } else if (f.type === 'string') {
    text = escapeString(String(v ?? ''));
  } else if (f.type === 'bytes' && v instanceof Uint8Array && v.length > MAX_BYTES_SHOWN) {
    // Wireshark shows the first 36 bytes of a long byte string, then an ellipsis.
    text = `${toHex(v.subarray(0, MAX_BYTES_SHOWN))}\u2026`;
  } else {
    text = fieldText(f, v);
    if (f.unit && text) text += ` ${f.unit}`;
  }
  let line = `${f.display}: ${text}`;
  if (f.mask && n.len > 0 && n.len <= 4 && n.off + n.len <= n.buf.length) {
    let raw = 0;
    for (let i = 0; i < n.len; i++) raw = raw * 256 + n.buf[n.off + i];
    const bits = itemBits(n);
    // The pattern covers the low `bits` bits of the item (12 for TCP flags in 2 bytes).
    line = `${bitPattern(f.mask % 2 ** bits, bits, raw % 2 ** bits)} = ${line}`;
  }
  if (n.flags & 2) line = `[${line}]`;
  return line;
}
