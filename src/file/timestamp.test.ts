import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TickConverter, tickWords, timeToTicks, tsresolByte, tsresolUnits } from './timestamp.js';
import { prng } from './_fixtures.js';

/** Reference conversion with BigInt. */
function reference(ticks: bigint, units: bigint): [number, number] {
  return [Number(ticks / units), Number(((ticks % units) * 1000000000n) / units)];
}

const RESOLUTIONS: number[] = [
  0, 1, 2, 3, 6, 9, 10, 12, 15, 18, // 10^-n
  0x80, 0x81, 0x8a, 0x94, 0x9e, 0xa0, 0xa4, 0xa8, 0xb0, 0xbf, // 2^-n
];

test('tsresol byte: MSB clear is 10^-n, set is 2^-n', () => {
  assert.equal(tsresolUnits(6).units, 1e6);
  assert.equal(tsresolUnits(9).units, 1e9);
  assert.equal(tsresolUnits(0x94).units, 2 ** 20);
  assert.equal(tsresolUnits(12).exact, 10n ** 12n);
  assert.equal(tsresolByte(1e6), 6);
  assert.equal(tsresolByte(1e9), 9);
  assert.equal(tsresolByte(2 ** 20), 0x94);
  assert.equal(tsresolByte(3), undefined);
});

test('TickConverter is exact for every resolution, including ticks beyond 2**53', () => {
  const random = prng(7);
  for (const tsresol of RESOLUTIONS) {
    const { units, exact } = tsresolUnits(tsresol);
    const converter = new TickConverter(units, exact);
    const samples: bigint[] = [0n, 1n, exact - 1n, exact, exact + 1n, (1n << 64n) - 1n, (1n << 53n) + 1n, 1700000000123456789n];
    for (let i = 0; i < 2000; i++) {
      const hi = BigInt(Math.floor(random() * 4294967296));
      const lo = BigInt(Math.floor(random() * 4294967296));
      samples.push((hi << 32n) | lo);
    }
    for (const ticks of samples) {
      // Seconds past 2**53 (year 285 million at 1 s resolution) are not exact as numbers.
      if (ticks >= 1n << 64n || ticks / exact > BigInt(Number.MAX_SAFE_INTEGER)) continue;
      converter.convert(Number(ticks >> 32n), Number(ticks & 0xffffffffn));
      const [sec, nsec] = reference(ticks, exact);
      assert.equal(converter.nsec, nsec, `tsresol 0x${tsresol.toString(16)} ticks ${ticks}: nsec`);
      assert.equal(converter.sec, sec, `tsresol 0x${tsresol.toString(16)} ticks ${ticks}: sec`);
      assert.ok(converter.nsec >= 0 && converter.nsec < 1e9);
    }
  }
});

test('nanosecond timestamps of today keep their last digit', () => {
  // 1700000000.123456789 s in ns is 0x1797_5c5a_0c2f_c915, past 2**53.
  const ticks = 1700000000123456789n;
  const converter = new TickConverter(1e9);
  converter.convert(Number(ticks >> 32n), Number(ticks & 0xffffffffn));
  assert.equal(converter.sec, 1700000000);
  assert.equal(converter.nsec, 123456789);
});

test('timeToTicks inverts TickConverter for powers of ten up to 1e9', () => {
  const random = prng(11);
  for (const units of [1, 10, 1e3, 1e6, 1e9]) {
    const converter = new TickConverter(units);
    for (let i = 0; i < 2000; i++) {
      const sec = Math.floor(random() * 2 ** 34);
      const step = 1e9 / units;
      const nsec = Math.floor(random() * units) * step;
      timeToTicks(sec, nsec, units);
      const expected = BigInt(sec) * BigInt(units) + BigInt(nsec / step);
      assert.equal((BigInt(tickWords.hi) << 32n) | BigInt(tickWords.lo), expected);
      converter.convert(tickWords.hi, tickWords.lo);
      assert.deepEqual([converter.sec, converter.nsec], [sec, nsec]);
    }
  }
  assert.throws(() => timeToTicks(-1, 0, 1e9), RangeError);
  assert.throws(() => timeToTicks(1, 1e9, 1e9), RangeError);
});
