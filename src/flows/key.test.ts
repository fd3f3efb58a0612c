/** Direction-independent keys and the open-addressing table (growth, deletion, IPv6). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FlowKey, FlowTable } from './key.js';

test('A→B and B→A give the same key; fromLow tells the sender', () => {
  const k = new FlowKey();
  const t = new FlowTable(16);
  k.setV4(6, 0x0a000001, 0x0a000002, 40000, 443);
  assert.equal(k.fromLow, true);
  t.set(k, 42);
  k.setV4(6, 0x0a000002, 0x0a000001, 443, 40000);
  assert.equal(k.fromLow, false);
  assert.equal(t.get(k), 42);
  k.setV4(17, 0x0a000002, 0x0a000001, 443, 40000);
  assert.equal(t.get(k), -1, 'UDP and TCP keys differ');
});

test('same address on both ends: ports decide the order', () => {
  const k = new FlowKey();
  k.setV4(6, 0x7f000001, 0x7f000001, 5000, 80);
  const a = [...k.words];
  assert.equal(k.fromLow, false);
  k.setV4(6, 0x7f000001, 0x7f000001, 80, 5000);
  assert.deepEqual([...k.words], a);
  assert.equal(k.fromLow, true);
});

test('IPv6 keys', () => {
  const b = new Uint8Array(32);
  b[15] = 1;
  b[31] = 2;
  const k = new FlowKey();
  const t = new FlowTable();
  k.setV6(6, b, 0, 16, 1234, 80);
  t.set(k, 7);
  k.setV6(6, b, 16, 0, 80, 1234);
  assert.equal(t.get(k), 7);
  assert.equal(k.fromLow, false);
});

test('grows and deletes without losing keys (backward-shift deletion)', () => {
  const t = new FlowTable(16);
  const k = new FlowKey();
  const n = 50_000;
  for (let i = 0; i < n; i++) {
    k.setV4(6, 0x0a000000 + (i >> 8), 0x0b000000, 1024 + (i & 255), 80);
    t.set(k, i);
  }
  assert.equal(t.size, n);
  for (let i = 0; i < n; i += 2) {
    k.setV4(6, 0x0a000000 + (i >> 8), 0x0b000000, 1024 + (i & 255), 80);
    assert.equal(t.deleteIf(k, i), true);
  }
  assert.equal(t.size, n / 2);
  for (let i = 0; i < n; i++) {
    k.setV4(6, 0x0a000000 + (i >> 8), 0x0b000000, 1024 + (i & 255), 80);
    assert.equal(t.get(k), i % 2 ? i : -1);
  }
  k.setV4(6, 0x0a000000, 0x0b000000, 1025, 80);
  assert.equal(t.deleteIf(k, 999), false, 'deleteIf only removes the given value');
});
