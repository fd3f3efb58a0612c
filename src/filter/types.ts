/**
 * What each field type may do in a filter, as tshark 4.0's ftypes say (`epan/ftypes/ftype-*.c`
 * and `compatible_ftypes()` in `epan/dfilter/semcheck.c`): which types compare with which,
 * which can be ordered, searched, matched, sliced, masked or added.
 */
import type { FieldType } from '../fields/field.js';

const unsigned32 = new Set<FieldType>(['uint8', 'uint16', 'uint24', 'uint32', 'char', 'framenum']);
const integers = new Set<FieldType>(['uint8', 'uint16', 'uint24', 'uint32', 'uint48', 'uint64', 'char', 'framenum', 'int8', 'int16', 'int32', 'int64']);

export function isInteger(t: FieldType): boolean {
  return integers.has(t);
}

export function is64(t: FieldType): boolean {
  return t === 'uint64' || t === 'int64';
}

export function isSigned(t: FieldType): boolean {
  return t === 'int8' || t === 'int16' || t === 'int32' || t === 'int64';
}

export function isUnsigned32(t: FieldType): boolean {
  return unsigned32.has(t);
}

/** Types whose values are byte sequences (`is_bytes_type()`): slices compare with them as they are. */
export function isBytesType(t: FieldType): boolean {
  return t === 'ether' || t === 'bytes' || t === 'ipv6';
}

/** `compatible_ftypes()`: may values of types a and b be compared? */
export function compatible(a: FieldType, b: FieldType): boolean {
  switch (a) {
    case 'none': case 'bool': case 'protocol': case 'abstime': case 'reltime': case 'ipv4': case 'ipv6':
      // Booleans are stored as integers: integer fields compare with them (and they with integers? no: 4.0 is one-way).
      return a === b;
    case 'float': case 'double':
      return b === 'float' || b === 'double';
    case 'ether': case 'bytes':
      return b === 'ether' || b === 'bytes';
    case 'string':
      return b === 'string';
    default:
      // Integers convert to each other (and booleans convert to integers).
      return integers.has(b) || b === 'bool';
  }
}

/** Equality (`==`, `!=`, `in`): every type but FT_NONE. */
export function canEq(t: FieldType): boolean {
  return t !== 'none';
}

/** Ordering (`<` …). */
export function canOrder(t: FieldType): boolean {
  return t !== 'none';
}

export function canContain(t: FieldType): boolean {
  return t === 'bytes' || t === 'ether' || t === 'string' || t === 'protocol';
}

export function canMatch(t: FieldType): boolean {
  return t === 'bytes' || t === 'string' || t === 'protocol';
}

export function canSlice(t: FieldType): boolean {
  return t === 'bytes' || t === 'ether' || t === 'ipv6' || t === 'ipv4' || t === 'string' || t === 'protocol';
}

export function canBitwiseAnd(t: FieldType): boolean {
  return integers.has(t) || t === 'bytes' || t === 'ether';
}

export function canAdd(t: FieldType): boolean {
  return integers.has(t) || t === 'float' || t === 'double' || t === 'reltime';
}

export function canMultiply(t: FieldType): boolean {
  return integers.has(t) || t === 'float' || t === 'double';
}

export function canNegate(t: FieldType): boolean {
  return integers.has(t) || t === 'float' || t === 'double' || t === 'reltime';
}

/** `string()` converts these (tshark 4.0 refuses booleans, times, byte strings and strings). */
export function canStringify(t: FieldType): boolean {
  return integers.has(t) || t === 'ipv4' || t === 'ipv6' || t === 'ether' || t === 'float' || t === 'double';
}

/** Bytes of a value of a fixed-size type (`ftype->wire_size`), for `len()`. */
export const wireSize: Partial<Record<FieldType, number>> = {
  uint8: 1, uint16: 2, uint24: 3, uint32: 4, uint48: 6, uint64: 8, int8: 1, int16: 2, int32: 4, int64: 8,
  char: 1, framenum: 4, ipv4: 4, ipv6: 16, ether: 6, float: 4, double: 8,
};

/** Wireshark's `ftype_pretty_name()`, for messages. */
export function prettyType(t: FieldType): string {
  switch (t) {
    case 'protocol': return 'Protocol';
    case 'none': return 'Label';
    case 'bool': return 'Boolean';
    case 'uint8': return 'Unsigned integer (1 byte)';
    case 'uint16': return 'Unsigned integer (2 bytes)';
    case 'uint24': return 'Unsigned integer (3 bytes)';
    case 'uint32': return 'Unsigned integer (4 bytes)';
    case 'uint48': return 'Unsigned integer (6 bytes)';
    case 'uint64': return 'Unsigned integer (8 bytes)';
    case 'int8': return 'Signed integer (1 byte)';
    case 'int16': return 'Signed integer (2 bytes)';
    case 'int32': return 'Signed integer (4 bytes)';
    case 'int64': return 'Signed integer (8 bytes)';
    case 'float': return 'Floating point (single-precision)';
    case 'double': return 'Floating point (double-precision)';
    case 'char': return 'Character (1 byte)';
    case 'ether': return 'Ethernet or other MAC address';
    case 'ipv4': return 'IPv4 address';
    case 'ipv6': return 'IPv6 address';
    case 'bytes': return 'Byte sequence';
    case 'string': return 'Character string';
    case 'abstime': return 'Date and time';
    case 'reltime': return 'Time offset';
    case 'framenum': return 'Frame number';
  }
}

/** Wireshark's `FT_*` name, for messages that use it ("FT_BOOLEAN cannot &."). */
export function ftName(t: FieldType): string {
  const names: Record<FieldType, string> = {
    protocol: 'FT_PROTOCOL', none: 'FT_NONE', bool: 'FT_BOOLEAN', uint8: 'FT_UINT8', uint16: 'FT_UINT16', uint24: 'FT_UINT24',
    uint32: 'FT_UINT32', uint48: 'FT_UINT48', uint64: 'FT_UINT64', int8: 'FT_INT8', int16: 'FT_INT16', int32: 'FT_INT32',
    int64: 'FT_INT64', float: 'FT_FLOAT', double: 'FT_DOUBLE', char: 'FT_CHAR', ether: 'FT_ETHER', ipv4: 'FT_IPv4', ipv6: 'FT_IPv6',
    bytes: 'FT_BYTES', string: 'FT_STRING', abstime: 'FT_ABSOLUTE_TIME', reltime: 'FT_RELATIVE_TIME', framenum: 'FT_FRAMENUM',
  };
  return names[t];
}

/** Largest value of an unsigned type / range of a signed one. */
export function intRange(t: FieldType): [bigint, bigint] {
  switch (t) {
    case 'uint8': case 'char': return [0n, 0xffn];
    case 'uint16': return [0n, 0xffffn];
    case 'uint24': return [0n, 0xffffffn];
    case 'uint32': case 'framenum': return [0n, 0xffffffffn];
    case 'uint48': return [0n, 0xffffffffffffn];
    case 'uint64': return [0n, 0xffffffffffffffffn];
    case 'int8': return [-0x80n, 0x7fn];
    case 'int16': return [-0x8000n, 0x7fffn];
    case 'int32': return [-0x80000000n, 0x7fffffffn];
    default: return [-0x8000000000000000n, 0x7fffffffffffffffn];
  }
}
