// Time-order merging of capture points: order across sources, runs, holding, copies.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TimeOrderMerger } from './merge.js';

/** Host-order pcap records with the given [sec, fraction] stamps; payload byte = tag. */
function batch(stamps: [number, number][], tag: number): Uint8Array {
  const out = new Uint8Array(stamps.length * 17);
  const v = new DataView(out.buffer);
  const le = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
  stamps.forEach(([sec, frac], i) => {
    v.setUint32(i * 17, sec, le);
    v.setUint32(i * 17 + 4, frac, le);
    v.setUint32(i * 17 + 8, 1, le);
    v.setUint32(i * 17 + 12, 1, le);
    out[i * 17 + 16] = tag + i;
  });
  return out;
}

function collector() {
  const got: string[] = [];
  const runs: number[] = [];
  const emit = (index: number, run: Uint8Array) => {
    runs.push(index);
    for (let p = 0; p < run.length; p += 17) got.push(`${index}:${run[p + 16]}`);
  };
  return { got, runs, emit };
}

test('records of several sources come out in timestamp order, consecutive ones of a source as one run', () => {
  let now = 0;
  const c = collector();
  const m = new TimeOrderMerger(2, 100, c.emit, [true, true], () => now);
  m.push(0, batch([[10, 100], [10, 200], [10, 300], [10, 700]], 0));
  m.push(1, batch([[10, 250], [10, 260], [10, 800]], 50));
  m.release(false);
  assert.deepEqual(c.got, [], 'held until the hold time has passed');
  now = 150;
  m.release(false);
  assert.deepEqual(c.got, ['0:0', '0:1', '1:50', '1:51', '0:2', '0:3', '1:52']);
  assert.deepEqual(c.runs, [0, 1, 0, 1]);
  assert.equal(m.held, 0);
});

test('a late batch with older packets still goes first while the newer ones are held', () => {
  let now = 0;
  const c = collector();
  const m = new TimeOrderMerger(2, 100, c.emit, [true, true], () => now);
  m.push(0, batch([[20, 500]], 0));
  now = 60;
  m.push(1, batch([[20, 100]], 10)); // arrived later, happened earlier
  now = 120;
  m.release(false);
  assert.deepEqual(c.got, [], 'the oldest record has not been held long enough: nothing goes out');
  now = 160;
  m.release(false);
  assert.deepEqual(c.got, ['1:10', '0:0']);
});

test('microsecond and nanosecond sources compare in the same unit; equal stamps keep source order', () => {
  const c = collector();
  const m = new TimeOrderMerger(2, 0, c.emit, [false, true], () => 0);
  m.push(0, batch([[5, 2], [5, 3]], 0)); // 2 µs, 3 µs
  m.push(1, batch([[5, 2500], [5, 3000]], 20)); // 2.5 µs, 3 µs
  m.release(true);
  assert.deepEqual(c.got, ['0:0', '1:20', '0:1', '1:21']);
});

test('pushed batches are copied: a source may reuse its buffer at once', () => {
  const c = collector();
  const m = new TimeOrderMerger(2, 1000, c.emit, [true, true], () => 0);
  const shared = Buffer.from(batch([[1, 1]], 7));
  m.push(0, shared);
  shared.fill(0);
  m.push(1, batch([[1, 2]], 9));
  m.release(true);
  assert.deepEqual(c.got, ['0:7', '1:9']);
});
