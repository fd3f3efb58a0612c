/** Stream reassembly and PDU framing on hand-made segment sequences. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PduFramer, StreamReassembler } from './reassembly.js';

type Ev = string;

function setup(maxBuffered?: number) {
  const events: Ev[] = [];
  const r = new StreamReassembler({
    data: (dir, b) => events.push(`${dir}:${new TextDecoder().decode(b)}`),
    gap: (dir, n) => events.push(`${dir}:gap${n}`),
    overflow: (dir, n) => events.push(`${dir}:overflow${n}`),
  }, { maxBuffered });
  const seg = (dir: 0 | 1, seq: number, text: string, flags = 0x10, ack = 0) => {
    const b = new TextEncoder().encode(text);
    r.segment(dir, 0, seq >>> 0, ack >>> 0, flags, b, 0, b.length, b.length);
  };
  return { r, events, seg };
}

test('in-order data is delivered once; retransmissions and overlaps add only new bytes', () => {
  const { events, seg } = setup();
  seg(0, 100, '', 0x02); // SYN: stream starts at 101
  seg(0, 101, 'hello ');
  seg(0, 101, 'hello '); // retransmission
  seg(0, 104, 'lo world'); // overlap with 3 new... 'lo ' old, 'world' new
  assert.deepEqual(events, ['0:hello ', '0:world']);
});

test('out-of-order data is held until the gap fills', () => {
  const { events, seg } = setup();
  seg(1, 1000, 'ab');
  seg(1, 1004, 'ef');
  seg(1, 1002, 'cd');
  assert.deepEqual(events, ['1:ab', '1:cd', '1:ef']);
});

test('a hole the receiver ACKs is reported as a gap, not filled', () => {
  const { events, seg } = setup();
  seg(0, 1, 'aa');
  seg(0, 5, 'cc'); // bytes 3-4 never captured
  seg(1, 900, '', 0x10, 7); // the other side ACKs up to 7: it got them
  assert.deepEqual(events, ['0:aa', '0:gap2', '0:cc']);
});

test('sequence numbers wrap around 2^32', () => {
  const { events, seg } = setup();
  seg(0, 0xfffffffe, 'ab');
  seg(0, 0x00000002, 'ef');
  seg(0, 0x00000000, 'cd');
  assert.deepEqual(events, ['0:ab', '0:cd', '0:ef']);
});

test('buffering is bounded: past the limit the hole is given up with an overflow marker', () => {
  const { r, events, seg } = setup(8);
  seg(0, 1, 'a');
  seg(0, 10, 'xxxx');
  seg(0, 20, 'yyyyyy'); // 4 + 6 > 8: give up the holes
  assert.deepEqual(events, ['0:a', '0:overflow10', '0:gap8', '0:xxxx', '0:gap6', '0:yyyyyy']);
  assert.equal(r.bufferedBytes, 0);
});

test('end() delivers held data after reporting the holes', () => {
  const { r, events, seg } = setup();
  seg(0, 1, 'a');
  seg(0, 5, 'e');
  r.end(0);
  assert.deepEqual(events, ['0:a', '0:gap3', '0:e']);
});

test('PduFramer splits length-prefixed messages across any chunking', () => {
  const msgs: string[] = [];
  const f = new PduFramer(2, (h) => 2 + h[1], (m) => msgs.push(Array.from(m.subarray(2)).join(',')));
  const stream = new Uint8Array([0, 3, 1, 2, 3, 0, 0, 0, 1, 9, 0, 2, 7, 8]);
  for (const cut of [1, 2, 3, 5, 14]) {
    msgs.length = 0;
    for (let i = 0; i < stream.length; i += cut) f.push(stream.subarray(i, i + cut));
    assert.deepEqual(msgs, ['1,2,3', '', '9', '7,8'], `chunks of ${cut}`);
  }
});

test('PduFramer: a gap drops the partial message and waits for resync; invalid headers desync', () => {
  const msgs: number[] = [];
  const skips: string[] = [];
  const f = new PduFramer(2, (h) => (h[0] === 0xff ? -1 : 2 + h[1]), (m) => msgs.push(m.length), 100, (n, why) => skips.push(`${why}:${n}`));
  f.push(new Uint8Array([0, 4, 1]));
  f.gap(10);
  f.push(new Uint8Array([0, 1, 5]));
  assert.deepEqual(msgs, []);
  f.resync();
  f.push(new Uint8Array([0, 1, 5, 0xff, 0]));
  assert.deepEqual(msgs, [3]);
  assert.deepEqual(skips, ['gap:13', 'invalid:-1']);
  assert.equal(f.inSync, false);
});

test('PduFramer skips messages longer than the limit', () => {
  const msgs: number[] = [];
  const f = new PduFramer(2, (h) => 2 + h[1], (m) => msgs.push(m.length), 10);
  f.push(new Uint8Array([0, 20, ...new Array(20).fill(1), 0, 1, 7]));
  assert.deepEqual(msgs, [3]);
});
