/**
 * Exact conversion between pcapng 64-bit timestamps (ticks of 1/unitsPerSecond since the
 * epoch, stored as two 32-bit words) and seconds + nanoseconds.
 *
 * A nanosecond timestamp of today is ~1.7e18, past 2**53, so `hi * 2**32 + lo` in floating
 * point would lose the last few nanoseconds. The common resolutions (µs, ns and anything up to
 * 2**36 ticks per second) use long division on 16-bit digits, which stays within 2**53; other
 * resolutions fall back to BigInt. No allocation for the common ones.
 *
 * @example
 * const ns = new TickConverter(1e9);
 * ns.convert(0x17f0a1b2, 0x3c4d5e6f); // ns.sec, ns.nsec now hold the time
 */

const TWO_32 = 4294967296;

/** Units per second for a pcapng if_tsresol byte: MSB clear = 10^-v, set = 2^-(v & 0x7f). */
export function tsresolUnits(tsresol: number): { units: number; exact: bigint } {
  const exponent = tsresol & 0x7f;
  if (tsresol & 0x80) return { units: 2 ** exponent, exact: 1n << BigInt(exponent) };
  return { units: 10 ** exponent, exact: 10n ** BigInt(exponent) };
}

/** if_tsresol byte for a units-per-second value (power of 10 or of 2), or undefined. */
export function tsresolByte(units: number): number | undefined {
  for (let exponent = 0; exponent < 128; exponent++) {
    if (10 ** exponent === units && Number.isSafeInteger(units)) return exponent;
    if (2 ** exponent === units) return 0x80 | exponent;
  }
  return undefined;
}

const KIND_MICRO = 0;
const KIND_NANO = 1;
const KIND_DIVIDE = 2;
const KIND_BIGINT = 3;

/** Turns (hi, lo) tick words into `sec` and `nsec` fields, exactly. One instance per interface. */
export class TickConverter {
  sec = 0;
  nsec = 0;
  private readonly kind: number;
  private readonly exact: bigint;
  /** How to get nanoseconds from the remainder: > 0 multiply, < 0 divide by -factor, 0 general. */
  private readonly nsFactor: number;

  constructor(readonly unitsPerSecond: number, exact?: bigint) {
    this.exact = exact ?? (Number.isSafeInteger(unitsPerSecond) && unitsPerSecond > 0 ? BigInt(unitsPerSecond) : 1000000n);
    const units = Number(this.exact);
    if (units === 1e6) this.kind = KIND_MICRO;
    else if (units === 1e9) this.kind = KIND_NANO;
    else if (units >= 1 && units <= 2 ** 36 && Number.isSafeInteger(units)) this.kind = KIND_DIVIDE;
    else this.kind = KIND_BIGINT;
    if (this.kind === KIND_DIVIDE && 1e9 % units === 0) this.nsFactor = 1e9 / units;
    else if (this.kind === KIND_DIVIDE && units % 1e9 === 0) this.nsFactor = -(units / 1e9);
    else this.nsFactor = 0;
  }

  /** Sets sec/nsec from the two 32-bit words of a tick count. */
  convert(hi: number, lo: number): void {
    if (this.kind === KIND_MICRO && hi < 0x200000) {
      // Below 2**53 ticks (year 2255 in µs) the sum is exact in a double.
      const ticks = hi * TWO_32 + lo;
      let sec = Math.floor(ticks / 1e6);
      let rem = ticks - sec * 1e6;
      if (rem < 0) { sec--; rem += 1e6; } else if (rem >= 1e6) { sec++; rem -= 1e6; }
      this.sec = sec;
      this.nsec = rem * 1000;
      return;
    }
    if (this.kind === KIND_BIGINT || this.kind === KIND_MICRO) {
      this.convertBig(hi, lo);
      return;
    }
    const units = this.kind === KIND_NANO ? 1e9 : Number(this.exact);
    // Long division of hi:lo (as digits hi, lo>>>16, lo&0xffff) by units; every
    // intermediate stays below units * 2**16 <= 2**52.
    const qHi = Math.floor(hi / units);
    const rHi = hi - qHi * units;
    const x = rHi * 65536 + (lo >>> 16);
    let q1 = Math.floor(x / units);
    let r1 = x - q1 * units;
    if (r1 < 0) { q1--; r1 += units; } else if (r1 >= units) { q1++; r1 -= units; }
    const y = r1 * 65536 + (lo & 0xffff);
    let q2 = Math.floor(y / units);
    let r2 = y - q2 * units;
    if (r2 < 0) { q2--; r2 += units; } else if (r2 >= units) { q2++; r2 -= units; }
    this.sec = qHi * TWO_32 + q1 * 65536 + q2;
    if (this.kind === KIND_NANO) this.nsec = r2;
    else this.nsec = this.remainderToNs(r2, units);
  }

  private remainderToNs(rem: number, units: number): number {
    const factor = this.nsFactor;
    if (factor > 0) return rem * factor;
    if (factor < 0) {
      const divisor = -factor;
      let ns = Math.floor(rem / divisor);
      if (ns * divisor > rem) ns--;
      return ns;
    }
    if (rem * 1e9 <= Number.MAX_SAFE_INTEGER) {
      const scaled = rem * 1e9;
      let ns = Math.floor(scaled / units);
      if (ns * units > scaled) ns--;
      else if ((ns + 1) * units <= scaled) ns++;
      return ns;
    }
    return Number((BigInt(rem) * 1000000000n) / BigInt(units));
  }

  private convertBig(hi: number, lo: number): void {
    const ticks = (BigInt(hi) << 32n) | BigInt(lo);
    this.sec = Number(ticks / this.exact);
    this.nsec = Number(((ticks % this.exact) * 1000000000n) / this.exact);
  }
}

/** Result slots of {@link timeToTicks}. */
export const tickWords = { hi: 0, lo: 0 };

/**
 * Writes into {@link tickWords} the two 32-bit words of `sec + nsec/1e9` expressed in ticks
 * of 1/unitsPerSecond (rounded down). Throws RangeError for negative or unrepresentable times.
 */
export function timeToTicks(sec: number, nsec: number, unitsPerSecond: number): void {
  if (!(sec >= 0) || !(nsec >= 0) || nsec >= 1e9 || !Number.isInteger(sec)) {
    throw new RangeError(`timestamp ${sec}.${nsec} cannot be written: seconds must be a non-negative integer and nanoseconds 0..999999999`);
  }
  const units = unitsPerSecond;
  if (units <= 1e9 && 1e9 % units === 0 && sec < 2 ** 39) {
    const fraction = Math.floor(nsec / (1e9 / units));
    // sec * units may pass 2**53: split sec into 16-bit high and low parts.
    const secHigh = Math.floor(sec / 65536);
    const secLow = sec - secHigh * 65536;
    const middle = secHigh * units; // < 2**53 for sec < 2**39
    const middleHigh = Math.floor(middle / 65536);
    const low = (middle - middleHigh * 65536) * 65536 + secLow * units + fraction;
    const lowHigh = Math.floor(low / TWO_32);
    const hi = middleHigh + lowHigh;
    if (hi >= TWO_32) throw new RangeError(`timestamp ${sec}.${nsec} does not fit 64 bits at ${units} units per second`);
    tickWords.hi = hi;
    tickWords.lo = low - lowHigh * TWO_32;
    return;
  }
  const exact = tsresolUnits(tsresolByte(units) ?? 9).exact;
  const ticks = BigInt(sec) * exact + (BigInt(nsec) * exact) / 1000000000n;
  if (ticks >= 1n << 64n) throw new RangeError(`timestamp ${sec}.${nsec} does not fit 64 bits at ${units} units per second`);
  tickWords.hi = Number(ticks >> 32n);
  tickWords.lo = Number(ticks & 0xffffffffn);
}
