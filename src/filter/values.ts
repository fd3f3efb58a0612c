/**
 * Values as filters compare them, and the conversion of constants written in a filter into
 * them, per field type (tshark 4.0's `fvalue_from_literal`, `fvalue_from_string` and
 * `fvalue_from_charconst`, with value-string names as fallback):
 *
 * - integers, booleans (0/1), floats: numbers; 64-bit integers: bigints;
 * - IPv4: the address as an unsigned 32-bit number; a constant with a prefix (`10.0.0.0/8`) is
 *   a {@link Prefixed}; comparisons use the shorter prefix of the two sides (as Wireshark);
 * - IPv6: 16 bytes, a {@link Prefixed} when a prefix is given;
 * - MAC addresses and byte strings: Uint8Array;
 * - strings: byte strings (one JS char per byte, UTF-8 for non-ASCII text), so ordering,
 *   `contains` and regular expressions work on bytes as tshark's do;
 * - times: nanoseconds (number when exact, else bigint);
 * - protocols: a {@link ProtocolValue}: the item's bytes and the bytes to the end of its data.
 */
import { Buffer } from 'node:buffer';
import type { FieldDef, FieldType } from '../fields/field.js';
import { intRange, isInteger, prettyType } from './types.js';

/** An address with a prefix length (CIDR constant). */
export class Prefixed {
  constructor(
    readonly addr: number | Uint8Array,
    readonly bits: number,
  ) {}
}

/**
 * A protocol's value: `item` is what Wireshark compares, slices and measures (the protocol
 * item's bytes, e.g. the TCP header); `data` is what `contains` and `matches` search (its
 * tvbuff: the header and everything after it in the layer, e.g. `tcp contains "GET"`).
 */
export class ProtocolValue {
  constructor(
    readonly item: Uint8Array,
    readonly data: Uint8Array,
  ) {}
}

export type FilterValue = number | bigint | string | Uint8Array | Prefixed | ProtocolValue;

/** A conversion that failed: the message tshark gives (or ours where tshark has none). */
export class ConversionError extends Error {}

const fail = (message: string): never => {
  throw new ConversionError(message);
};

/** `strtoul(s, 0)` plus `0b` binary, as 4.0's integer literals: decimal, 0x hex, 0 octal, 0b binary. */
export function parseInteger(s: string): bigint | undefined {
  let m: RegExpExecArray | null;
  if ((m = /^0[xX]([0-9A-Fa-f]+)$/.exec(s))) return BigInt('0x' + m[1]);
  if ((m = /^0[bB]([01]+)$/.exec(s))) return BigInt('0b' + m[1]);
  if ((m = /^0([0-7]*)$/.exec(s))) return m[1] ? BigInt('0o' + m[1]) : 0n;
  if (/^[1-9][0-9]*$/.test(s)) return BigInt(s);
  return undefined;
}

/** A value name of the field (value_string or true/false strings), case-insensitive as Wireshark. */
function byName(f: FieldDef | undefined, s: string, firstError: string): bigint {
  if (!f) return fail(firstError);
  const lower = s.toLowerCase();
  if (f.type === 'bool') {
    const [t, fl] = f.trueFalse ?? ['True', 'False'];
    if (t.toLowerCase() === lower) return 1n;
    if (fl.toLowerCase() === lower) return 0n;
    return fail(`"${s}" cannot be found among the possible values for ${f.name}.`);
  }
  if (!f.valueNames || f.valueNames.size === 0) return fail(firstError);
  for (const [v, name] of f.valueNames) if (name.toLowerCase() === lower) return BigInt(v);
  return fail(`"${s}" cannot be found among the possible values for ${f.name}.`);
}

function integerValue(t: FieldType, v: bigint, text: string): number | bigint {
  const [min, max] = intRange(t);
  if (v > max) fail(`"${text}" too big for this field, maximum ${max}.`);
  if (v < min) fail(`"${text}" too small for this field, minimum ${min}.`);
  return t === 'uint64' || t === 'int64' ? v : Number(v);
}

/** Hex bytes `aa:bb:cc`, `aa-bb-cc`, `aa.bb.cc` or `aabbcc` (one-digit groups allowed between separators). */
export function parseHexBytes(s: string): Uint8Array | undefined {
  if (!s.length) return undefined;
  if (/^[0-9A-Fa-f]{4}(\.[0-9A-Fa-f]{4})+$/.test(s)) {
    // Cisco-style dotted quads (`001b.21df.12d0`): two bytes per group.
    return parseHexBytes(s.replace(/\./g, ''));
  }
  if (/[:.-]/.test(s)) {
    const sep = /[:.-]/.exec(s)![0];
    const parts = s.split(sep);
    if (!parts.every((p) => /^[0-9A-Fa-f]{1,2}$/.test(p))) return undefined;
    return Uint8Array.from(parts.map((p) => parseInt(p, 16)));
  }
  if (!/^[0-9A-Fa-f]+$/.test(s)) return undefined;
  const out: number[] = [];
  for (let i = 0; i < s.length; i += 2) out.push(parseInt(s.slice(i, i + 2), 16));
  return Uint8Array.from(out);
}

/** A byte string literal: hex bytes, or a hex integer of one byte (`0x16`). */
function bytesLiteral(s: string): Uint8Array {
  const b = parseHexBytes(s);
  if (b) return b;
  const m = /^0[xX]([0-9A-Fa-f]{1,2})$/.exec(s);
  if (m) return Uint8Array.of(parseInt(m[1], 16));
  return fail(`"${s}" is not a valid byte string.`);
}

export function parseIpv4(s: string): Prefixed | number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?:\/(\d+))?$/.exec(s);
  if (!m) return undefined;
  const octets = m.slice(1, 5).map(Number);
  if (octets.some((o) => o > 255)) return undefined;
  const addr = ((octets[0] << 24) | (octets[1] << 16) | (octets[2] << 8) | octets[3]) >>> 0;
  if (m[5] === undefined) return addr;
  const bits = Number(m[5]);
  if (bits > 32) fail(`Netmask bits in a CIDR IPv4 address should be <= 32, not ${bits}`);
  return bits === 32 ? addr : new Prefixed(addr, bits);
}

export function parseIpv6(s: string): Uint8Array | Prefixed | undefined {
  const slash = s.indexOf('/');
  const text = slash >= 0 ? s.slice(0, slash) : s;
  let bits = 128;
  if (slash >= 0) {
    if (!/^\d+$/.test(s.slice(slash + 1))) return undefined;
    bits = Number(s.slice(slash + 1));
    if (bits > 128) fail(`Prefix in a CIDR IPv6 address should be <= 128, not ${bits}`);
  }
  const bytes = ipv6Bytes(text);
  if (!bytes) return undefined;
  return bits === 128 ? bytes : new Prefixed(bytes, bits);
}

function ipv6Bytes(text: string): Uint8Array | undefined {
  let head = text;
  let v4: number | undefined;
  const lastColon = text.lastIndexOf(':');
  if (lastColon >= 0 && text.indexOf('.', lastColon) > 0) {
    const a = parseIpv4(text.slice(lastColon + 1));
    if (typeof a !== 'number') return undefined;
    v4 = a;
    head = text.slice(0, lastColon + 1) + '0:0';
  }
  const halves = head.split('::');
  if (halves.length > 2) return undefined;
  const parse = (part: string) => (part === '' ? [] : part.split(':'));
  const left = parse(halves[0]);
  const right = halves.length === 2 ? parse(halves[1]) : [];
  const groups = left.length + right.length;
  if (halves.length === 1 ? groups !== 8 : groups > 7) return undefined;
  const all = [...left, ...new Array<string>(8 - groups).fill('0'), ...right];
  if (!all.every((g) => /^[0-9A-Fa-f]{1,4}$/.test(g))) return undefined;
  const out = new Uint8Array(16);
  all.forEach((g, i) => {
    const n = parseInt(g, 16);
    out[i * 2] = n >> 8;
    out[i * 2 + 1] = n & 255;
  });
  if (v4 !== undefined) {
    out[12] = v4 >>> 24;
    out[13] = (v4 >>> 16) & 255;
    out[14] = (v4 >>> 8) & 255;
    out[15] = v4 & 255;
  }
  return out;
}

function etherLiteral(s: string, partial: boolean): Uint8Array {
  const b = parseHexBytes(s);
  if (!b) return fail(`"${s}" is not a valid Ethernet address.`);
  if (b.length === 6 || (partial && b.length < 6)) return b;
  return fail(b.length < 6 ? `"${s}" contains too few bytes to be a valid Ethernet address.` : `"${s}" contains too many bytes to be a valid Ethernet address.`);
}

/** Seconds with an optional fraction (`-0.5`, `10`) to nanoseconds. */
function relTimeValue(s: string): number | bigint | undefined {
  const m = /^(-)?(\d*)(?:\.(\d*))?$/.exec(s);
  if (!m || (!m[2] && !m[3])) return undefined;
  const ns = BigInt(m[2] || '0') * 1_000_000_000n + BigInt((m[3] ?? '').slice(0, 9).padEnd(9, '0'));
  return exactNs(m[1] ? -ns : ns);
}

/** Nanoseconds as a number when exact, else a bigint (mixed comparisons are exact in JS). */
export function exactNs(ns: bigint): number | bigint {
  return ns >= -9007199254740991n && ns <= 9007199254740991n ? Number(ns) : ns;
}

const monthIndex: Record<string, number> = { jan: 0, feb: 1, mar: 2, apr: 3, may: 4, jun: 5, jul: 6, aug: 7, sep: 8, oct: 9, nov: 10, dec: 11 };

/**
 * An absolute time as 4.0 reads it: ISO 8601 (`2020-07-04T12:34:56.5Z`, the `T` optional, a
 * date alone, `Z` or `±hh:mm`) or `Sep 26, 2004 23:18:04.954975` (optional ` UTC`); local time
 * unless a zone is given. Returns nanoseconds since the epoch.
 */
export function parseAbsTime(s: string): bigint | undefined {
  let m = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?)?\s*(Z|UTC|[+-]\d{2}(?::?\d{2})?)?$/.exec(s.trim());
  let parts: { y: number; mo: number; d: number; h: number; mi: number; sec: number; frac: string; zone?: string } | undefined;
  if (m) parts = { y: +m[1], mo: +m[2] - 1, d: +m[3], h: +(m[4] ?? 0), mi: +(m[5] ?? 0), sec: +(m[6] ?? 0), frac: m[7] ?? '', zone: m[8] };
  else if ((m = /^([A-Za-z]{3})\s+(\d{1,2}),\s*(\d{4})\s+(\d{1,2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:\s+(UTC))?$/.exec(s.trim()))) {
    const mo = monthIndex[m[1].toLowerCase()];
    if (mo === undefined) return undefined;
    parts = { y: +m[3], mo, d: +m[2], h: +m[4], mi: +m[5], sec: +m[6], frac: m[7] ?? '', zone: m[8] };
  }
  if (!parts) return undefined;
  const { y, mo, d, h, mi, sec, frac, zone } = parts;
  if (mo > 11 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60) return undefined;
  let ms: number;
  if (zone === undefined) ms = new Date(y, mo, d, h, mi, sec).getTime();
  else {
    ms = Date.UTC(y, mo, d, h, mi, sec);
    const z = /^([+-])(\d{2}):?(\d{2})?$/.exec(zone);
    if (z) ms -= (z[1] === '-' ? -1 : 1) * (Number(z[2]) * 60 + Number(z[3] ?? 0)) * 60000;
  }
  if (Number.isNaN(ms)) return undefined;
  return BigInt(ms) * 1_000_000n + BigInt(frac.slice(0, 9).padEnd(9, '0'));
}

/**
 * A value written without quotes (`443`, `10.0.0.0/8`, `aa:bb`, `TCP`, `True`) as a value of
 * type `t`. `partial`: `contains`/`matches` accept partial MAC addresses. `f` gives value names.
 */
export function fromLiteral(t: FieldType, s: string, partial: boolean, f?: FieldDef): FilterValue {
  switch (t) {
    case 'bool': {
      if (s === 'True' || s === 'TRUE') return 1;
      if (s === 'False' || s === 'FALSE') return 0;
      const v = parseInteger(s);
      if (v !== undefined) return v !== 0n ? 1 : 0;
      return Number(byName(f, s, `"${s}" is not a valid boolean.`));
    }
    case 'float': case 'double': {
      if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s) || /^0[xX][0-9A-Fa-f]+$/.test(s)) return Number(s);
      if (/^(inf|infinity)$/i.test(s)) return Infinity;
      if (/^nan$/i.test(s)) return NaN;
      return fail(`"${s}" is not a valid floating point number.`);
    }
    case 'ipv4': {
      const v = parseIpv4(s);
      return v ?? fail(`"${s}" is not a valid hostname or IPv4 address.`);
    }
    case 'ipv6': {
      const v = parseIpv6(s);
      return v ?? fail(`"${s}" is not a valid hostname or IPv6 address.`);
    }
    case 'ether':
      return etherLiteral(s, partial);
    case 'bytes':
      return bytesLiteral(s);
    case 'string':
      return s;
    case 'protocol': {
      // A byte string if it reads as one, else the text's bytes.
      const b = parseHexBytes(s) ?? (/^0[xX][0-9A-Fa-f]{1,2}$/.test(s) ? bytesLiteral(s) : Buffer.from(s, 'latin1'));
      return new ProtocolValue(b, b);
    }
    case 'abstime': {
      const v = parseAbsTime(s);
      return v ?? fail(`"${s}" is not a valid absolute time. Example: "Nov 12, 1999 08:55:44.123" or "2011-07-04 12:34:56"`);
    }
    case 'reltime': {
      const v = relTimeValue(s);
      return v ?? fail(`"${s}" is not a valid time.`);
    }
    case 'none':
      return fail(`${f?.name ?? 'This field'} cannot be compared with a value.`);
    default: {
      if (!isInteger(t)) return fail(`"${s}" is not a valid value.`);
      const v = parseInteger(s);
      if (v === undefined) return integerValue(t, byName(f, s, `"${s}" is not a valid number.`), s);
      return integerValue(t, v, s);
    }
  }
}

/** A quoted string as a value of type `t` (bytes: the string's bytes; integers: a value name). */
export function fromString(t: FieldType, bytes: string, f?: FieldDef): FilterValue {
  switch (t) {
    case 'string':
      return bytes;
    case 'bytes': case 'ether':
      return Buffer.from(bytes, 'latin1');
    case 'protocol': {
      const b = Buffer.from(bytes, 'latin1');
      return new ProtocolValue(b, b);
    }
    case 'abstime': {
      const v = parseAbsTime(Buffer.from(bytes, 'latin1').toString('utf8'));
      return v ?? fail(`"${bytes}" is not a valid absolute time. Example: "Nov 12, 1999 08:55:44.123" or "2011-07-04 12:34:56"`);
    }
    case 'bool':
      return Number(byName(f, bytes, `${prettyType(t)} cannot be converted from a string ("${bytes}").`));
    default:
      if (isInteger(t)) {
        const v = byName(f, bytes, `${prettyType(t)} cannot be converted from a string ("${bytes}").`);
        return integerValue(t, v, bytes);
      }
      return fail(`${prettyType(t)} cannot be converted from a string ("${bytes}").`);
  }
}

/** A character constant (`'a'`, `'\x0a'`) as a value of type `t`. */
export function fromCharConst(t: FieldType, code: number, source: string): FilterValue {
  if (isInteger(t)) return integerValue(t, BigInt(code), source);
  switch (t) {
    case 'bytes': case 'ether':
      return Uint8Array.of(code);
    case 'protocol':
      return new ProtocolValue(Uint8Array.of(code), Uint8Array.of(code));
    case 'string':
      return String.fromCharCode(code);
    default:
      return fail(`${prettyType(t)} cannot be converted from a character constant (${source}).`);
  }
}
