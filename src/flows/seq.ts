/**
 * Wrap-safe 32-bit sequence number arithmetic (RFC 9293 §3.4, "serial number" comparison as
 * in RFC 1982): numbers are JS numbers holding unsigned 32-bit values, and comparisons look
 * at the signed 32-bit difference, so 0xfffffff0 < 0x00000010 across the wrap. These are the
 * same tests as Wireshark's `LT_SEQ`/`GT_SEQ`/`LE_SEQ`/`EQ_SEQ` macros.
 *
 * @example
 * seqLt(0xfffffff0, 0x10); // true: 0x10 is 32 bytes after the wrap
 * seqAdd(0xffffffff, 2);   // 1
 */

/** `a + b` modulo 2^32. */
export function seqAdd(a: number, b: number): number {
  return (a + b) >>> 0;
}

/** `a - b` modulo 2^32 (an unsigned distance). */
export function seqSub(a: number, b: number): number {
  return (a - b) >>> 0;
}

/** Signed distance from `b` to `a` (`a - b` as a signed 32-bit number). */
export function seqDiff(a: number, b: number): number {
  return (a - b) | 0;
}

/** a < b in sequence space. */
export function seqLt(a: number, b: number): boolean {
  return ((a - b) | 0) < 0;
}

/** a <= b in sequence space. */
export function seqLe(a: number, b: number): boolean {
  return ((a - b) | 0) <= 0;
}

/** a > b in sequence space. */
export function seqGt(a: number, b: number): boolean {
  return ((a - b) | 0) > 0;
}

/** a >= b in sequence space. */
export function seqGe(a: number, b: number): boolean {
  return ((a - b) | 0) >= 0;
}

/**
 * A double-typed zero for fields that will hold values beyond V8's small-integer range (32-bit
 * sequence numbers, nanosecond times, byte counts, epoch seconds): starting them as a double
 * keeps the objects' layout fixed, where a later Smi→double change would deprecate the map and
 * deoptimise the per-packet code for the first few hundred thousand packets.
 */
export const DOUBLE_ZERO = -0;
