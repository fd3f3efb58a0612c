/**
 * Two-capture comparison beyond TCP/UDP: pings seen at a client and behind a NAT router (source
 * address, echo identifier and checksums rewritten) pair up; the reply that never came back to
 * the client is marked as seen at B only; TCP still pairs through the diagnosis' matcher.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { tcpFrame, writePcap } from '../flows/synthetic.js';
import { Capture } from './capture.js';
import { compareCaptures, matchOtherIp } from './compare.js';

const ip4 = (s: string) => s.split('.').map(Number);

function checksum(b: Uint8Array, from: number, to: number): number {
  let sum = 0;
  for (let i = from; i < to; i += 2) sum += (b[i] << 8) | (b[i + 1] ?? 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/** Ethernet + IPv4 + ICMP echo request (type 8) or reply (0). */
function echo(src: string, dst: string, type: 0 | 8, ident: number, seq: number, ipId: number, data = 'wiresage-ping-data'): Uint8Array {
  const payload = Buffer.from(data);
  const f = new Uint8Array(14 + 20 + 8 + payload.length);
  f.set([0, 1, 2, 3, 4, 5, 0, 1, 2, 3, 4, 6, 0x08, 0x00]);
  const ip = 14;
  const total = 20 + 8 + payload.length;
  f.set([0x45, 0, total >> 8, total & 255, ipId >> 8, ipId & 255, 0x40, 0, 64, 1, 0, 0, ...ip4(src), ...ip4(dst)], ip);
  const c = checksum(f, ip, ip + 20);
  f[ip + 10] = c >> 8;
  f[ip + 11] = c & 255;
  const icmp = ip + 20;
  f.set([type, 0, 0, 0, ident >> 8, ident & 255, seq >> 8, seq & 255], icmp);
  f.set(payload, icmp + 8);
  const ic = checksum(f, icmp, f.length);
  f[icmp + 2] = ic >> 8;
  f[icmp + 3] = ic & 255;
  return f;
}

describe('compare: ICMP and other IP traffic', () => {
  let dir = '';
  before(() => {
    dir = fs.mkdtempSync(join(tmpdir(), 'wiresage-compare-'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('pairs equal keys in order, the rest at one point only', () => {
    const r = matchOtherIp([[1, 'x'], [2, 'y'], [3, 'x']], [[5, 'x'], [6, 'x'], [7, 'z']]);
    assert.deepEqual(r, { matched: [[1, 5], [3, 6]], onlyA: [2], onlyB: [7] });
  });

  it('pings through a NAT pair up; the lost reply is marked; TCP still pairs', async () => {
    // A: the client 10.0.0.1 pings 192.0.2.9 (ident 0x1111); the third reply is lost on the way back.
    // B: behind the NAT the client is 198.51.100.7 and the identifier 0x2222.
    const a: Array<{ ts: number; data: Uint8Array }> = [];
    const b: Array<{ ts: number; data: Uint8Array }> = [];
    for (let seq = 1; seq <= 3; seq++) {
      a.push({ ts: seq, data: echo('10.0.0.1', '192.0.2.9', 8, 0x1111, seq, 100 + seq) });
      b.push({ ts: seq + 0.001, data: echo('198.51.100.7', '192.0.2.9', 8, 0x2222, seq, 100 + seq) });
      b.push({ ts: seq + 0.002, data: echo('192.0.2.9', '198.51.100.7', 0, 0x2222, seq, 900 + seq) });
      if (seq !== 3) a.push({ ts: seq + 0.003, data: echo('192.0.2.9', '10.0.0.1', 0, 0x1111, seq, 900 + seq) });
    }
    a.push({ ts: 5, data: tcpFrame({ src: '10.0.0.1', dst: '192.0.2.9', sport: 40000, dport: 80, seq: 1, flags: 'S' }) });
    b.push({ ts: 5.001, data: tcpFrame({ src: '198.51.100.7', dst: '192.0.2.9', sport: 50000, dport: 80, seq: 1, flags: 'S' }) });
    writePcap(join(dir, 'a.pcap'), a);
    writePcap(join(dir, 'b.pcap'), b);
    const ca = new Capture('a', 'a.pcap', join(dir, 'a.pcap'), dir);
    const cb = new Capture('b', 'b.pcap', join(dir, 'b.pcap'), dir);
    await Promise.all([ca.start(), cb.start()]);
    try {
      const r = (await compareCaptures(ca, cb)) as { matched: Array<[number, number]>; onlyA: number[]; onlyB: number[] };
      // A: 1 req, 2 rep, 3 req, 4 rep, 5 req, 6 SYN. B: 1 req, 2 rep, 3 req, 4 rep, 5 req, 6 rep, 7 SYN.
      assert.deepEqual(r.matched, [[1, 1], [2, 2], [3, 3], [4, 4], [5, 5], [6, 7]]);
      assert.deepEqual(r.onlyA, []);
      assert.deepEqual(r.onlyB, [6]);
    } finally {
      ca.close();
      cb.close();
    }
  });
});
