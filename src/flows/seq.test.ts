/** Wrap-safe sequence arithmetic: comparisons across the 2^32 wrap, as Wireshark's LT_SEQ/GT_SEQ. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { seqAdd, seqDiff, seqGe, seqGt, seqLe, seqLt, seqSub } from './seq.js';

test('comparisons hold across the 32-bit wrap', () => {
  assert.equal(seqLt(0xfffffff0, 0x10), true);
  assert.equal(seqGt(0x10, 0xfffffff0), true);
  assert.equal(seqLe(5, 5), true);
  assert.equal(seqGe(5, 5), true);
  assert.equal(seqLt(5, 5), false);
  assert.equal(seqGt(0x80000000, 0), false, 'exactly half the space apart counts as before (signed difference)');
  assert.equal(seqLt(100, 200), true);
});

test('add, subtract and distance wrap modulo 2^32', () => {
  assert.equal(seqAdd(0xffffffff, 2), 1);
  assert.equal(seqSub(1, 2), 0xffffffff);
  assert.equal(seqDiff(1, 0xffffffff), 2);
  assert.equal(seqDiff(0xffffffff, 1), -2);
});
