/**
 * Field values and how they are read from packet bytes, as Wireshark's
 * `proto_tree_add_item` does: the field's type, offset, length and encoding decide the value,
 * so dissectors name the bytes and only what is asked for gets decoded.
 */
import type { FieldDef } from './field.js';

/** An absolute time: whole seconds since the epoch and nanoseconds. */
export interface AbsTime {
  readonly sec: number;
  readonly nsec: number;
}

/**
 * A decoded value. Integers up to 48 bits are numbers, 64-bit ones bigints; addresses and
 * byte strings are views over the packet bytes; IPv4 addresses are unsigned 32-bit numbers;
 * relative times are integer nanoseconds.
 */
export type Value = number | bigint | boolean | string | Uint8Array | AbsTime | null;

/** Flags on an item. */
export const HIDDEN = 1;
export const GENERATED = 2;
export const LITTLE_ENDIAN = 4;

/** Reads an unsigned integer of `len` bytes (1..6). */
export function readUint(buf: Uint8Array, off: number, len: number, little: boolean): number {
  let v = 0;
  if (little) for (let i = len - 1; i >= 0; i--) v = v * 256 + buf[off + i];
  else for (let i = 0; i < len; i++) v = v * 256 + buf[off + i];
  return v;
}

/** The value of field `f` stored in `buf[off..off+len)`, read by the field's type. */
export function valueFromBytes(f: FieldDef, buf: Uint8Array, off: number, len: number, flags: number): Value {
  const little = (flags & LITTLE_ENDIAN) !== 0;
  switch (f.type) {
    case 'uint8': case 'uint16': case 'uint24': case 'uint32': case 'uint48': case 'framenum': case 'char': {
      const raw = readUint(buf, off, Math.min(len, 6), little);
      // Masks are at most 32 bits wide; `&` keeps the low 32 bits of the raw value.
      return f.mask ? ((raw & f.mask) >>> 0) / 2 ** f.shift : raw;
    }
    case 'int8': case 'int16': case 'int32': {
      const raw = readUint(buf, off, len, little);
      const bits = len * 8;
      return raw >= 2 ** (bits - 1) ? raw - 2 ** bits : raw;
    }
    case 'uint64': case 'int64': {
      let v = 0n;
      if (little) for (let i = len - 1; i >= 0; i--) v = (v << 8n) | BigInt(buf[off + i]);
      else for (let i = 0; i < len; i++) v = (v << 8n) | BigInt(buf[off + i]);
      return f.type === 'int64' ? BigInt.asIntN(64, v) : v;
    }
    case 'bool': {
      const raw = len > 0 ? readUint(buf, off, Math.min(len, 6), little) : 0;
      return f.mask ? (raw & f.mask) !== 0 : raw !== 0;
    }
    case 'ipv4':
      return readUint(buf, off, 4, little);
    case 'string':
      return latin1(buf, off, len);
    case 'float':
      return new DataView(buf.buffer, buf.byteOffset + off, 4).getFloat32(0, little);
    case 'double':
      return new DataView(buf.buffer, buf.byteOffset + off, 8).getFloat64(0, little);
    case 'protocol': case 'none':
      return null;
    default:
      return buf.subarray(off, off + len);
  }
}

/** Bytes as a string, one char per byte, stopping at the first NUL (FT_STRINGZ-like). */
export function latin1(buf: Uint8Array, off: number, len: number): string {
  let s = '';
  const end = Math.min(off + len, buf.length);
  for (let i = off; i < end; i++) {
    const c = buf[i];
    if (c === 0) break;
    s += String.fromCharCode(c);
  }
  return s;
}
