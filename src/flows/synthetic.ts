/**
 * Synthetic frames for the flow engine's tests and warm-up: Ethernet/IPv4(/IPv6)/TCP/UDP
 * frames built from a few fields (checksums computed), capture records for `engine.record`,
 * and a minimal pcap writer so the same frames can be shown to tshark.
 *
 * @example
 * const f = tcpFrame({ src: '10.0.0.1', dst: '10.0.0.2', sport: 40000, dport: 80, seq: 1, flags: 'S' });
 * writePcap('/tmp/x.pcap', [{ ts: 0, data: f }]);
 */
import { writeFileSync } from 'node:fs';
import type { CaptureRecord, InterfaceDescription } from '../file/types.js';

export interface TcpSpec {
  src: string;
  dst: string;
  sport: number;
  dport: number;
  seq: number;
  ack?: number;
  /** Letters: S A F R P U (SYN ACK FIN RST PSH URG). */
  flags: string;
  win?: number;
  payload?: Uint8Array | string;
  /** Raw option bytes (padded to 4 with NOPs). */
  options?: number[];
  ttl?: number;
  /** Data offset override (bogus header tests). */
  dataOffset?: number;
}

function ip4(a: string): number[] {
  return a.split('.').map(Number);
}

function ip6(a: string): number[] {
  const [head, tail] = a.includes('::') ? a.split('::') : [a, ''];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const words = [...h, ...Array(8 - h.length - t.length).fill('0'), ...t].map((x) => parseInt(x, 16));
  return words.flatMap((w) => [w >> 8, w & 255]);
}

function sum16(bytes: number[] | Uint8Array, acc = 0): number {
  for (let i = 0; i < bytes.length; i += 2) acc += (bytes[i] << 8) | (bytes[i + 1] ?? 0);
  return acc;
}

function fold(x: number): number {
  while (x > 0xffff) x = (x & 0xffff) + Math.floor(x / 65536);
  return ~x & 0xffff;
}

const flagBits: Record<string, number> = { F: 1, S: 2, R: 4, P: 8, A: 16, U: 32 };

function bytesOf(p: Uint8Array | string | undefined): Uint8Array {
  if (p === undefined) return new Uint8Array(0);
  return typeof p === 'string' ? new TextEncoder().encode(p) : p;
}

/** The TCP header and payload. */
export function tcpSegment(s: TcpSpec, pseudo: number[]): Uint8Array {
  const opts = [...(s.options ?? [])];
  while (opts.length % 4) opts.push(1);
  const payload = bytesOf(s.payload);
  const hl = 20 + opts.length;
  const seg = new Uint8Array(hl + payload.length);
  const v = new DataView(seg.buffer);
  v.setUint16(0, s.sport);
  v.setUint16(2, s.dport);
  v.setUint32(4, s.seq >>> 0);
  v.setUint32(8, (s.ack ?? 0) >>> 0);
  let f = 0;
  for (const c of s.flags) f |= flagBits[c] ?? 0;
  seg[12] = ((s.dataOffset ?? hl / 4) << 4) & 0xf0;
  seg[13] = f;
  v.setUint16(14, s.win ?? 64240);
  seg.set(opts, 20);
  seg.set(payload, hl);
  const c = fold(sum16(seg, sum16(pseudo)));
  v.setUint16(16, c);
  return seg;
}

function ether(type: number, body: Uint8Array): Uint8Array {
  const f = new Uint8Array(14 + body.length);
  f.set([0, 1, 2, 3, 4, 5, 0, 1, 2, 3, 4, 6, type >> 8, type & 255]);
  f.set(body, 14);
  return f;
}

/** An Ethernet + IPv4 (or IPv6 when `src` has a colon) + TCP frame. */
export function tcpFrame(s: TcpSpec): Uint8Array {
  if (s.src.includes(':')) {
    const src = ip6(s.src);
    const dst = ip6(s.dst);
    const len = 20 + (s.options?.length ? Math.ceil(s.options.length / 4) * 4 : 0) + bytesOf(s.payload).length;
    const seg = tcpSegment(s, [...src, ...dst, 0, 0, len >> 8, len & 255, 0, 0, 0, 6]);
    const ip = new Uint8Array(40 + seg.length);
    ip.set([0x60, 0, 0, 0, seg.length >> 8, seg.length & 255, 6, s.ttl ?? 64, ...src, ...dst]);
    ip.set(seg, 40);
    return ether(0x86dd, ip);
  }
  const src = ip4(s.src);
  const dst = ip4(s.dst);
  const payloadLen = bytesOf(s.payload).length;
  const optLen = s.options?.length ? Math.ceil(s.options.length / 4) * 4 : 0;
  const tcpLen = 20 + optLen + payloadLen;
  const seg = tcpSegment(s, [...src, ...dst, 0, 6, tcpLen >> 8, tcpLen & 255]);
  return ether(0x0800, ipv4Packet(src, dst, 6, seg, s.ttl ?? 64));
}

function ipv4Packet(src: number[], dst: number[], proto: number, payload: Uint8Array, ttl: number): Uint8Array {
  const total = 20 + payload.length;
  const ip = new Uint8Array(total);
  ip.set([0x45, 0, total >> 8, total & 255, 0, 1, 0x40, 0, ttl, proto, 0, 0, ...src, ...dst]);
  const c = fold(sum16(ip.subarray(0, 20)));
  ip[10] = c >> 8;
  ip[11] = c & 255;
  ip.set(payload, 20);
  return ip;
}

/** An Ethernet + IPv4 + UDP frame. */
export function udpFrame(src: string, dst: string, sport: number, dport: number, payload: Uint8Array | string = '', ttl = 64): Uint8Array {
  const p = bytesOf(payload);
  const u = new Uint8Array(8 + p.length);
  const v = new DataView(u.buffer);
  v.setUint16(0, sport);
  v.setUint16(2, dport);
  v.setUint16(4, u.length);
  u.set(p, 8);
  return ether(0x0800, ipv4Packet(ip4(src), ip4(dst), 17, u, ttl));
}

/** An ICMP destination-unreachable (type 3, `code`) quoting the start of `quoted` (an Ethernet frame). */
export function icmpUnreachable(src: string, dst: string, quoted: Uint8Array, code = 3, quoteBytes = 28): Uint8Array {
  const q = quoted.subarray(14, 14 + quoteBytes);
  const icmp = new Uint8Array(8 + q.length);
  icmp[0] = 3;
  icmp[1] = code;
  icmp.set(q, 8);
  const c = fold(sum16(icmp));
  icmp[2] = c >> 8;
  icmp[3] = c & 255;
  return ether(0x0800, ipv4Packet(ip4(src), ip4(dst), 1, icmp, 64));
}

export const ethernetInterface: InterfaceDescription = { id: 0, linkType: 1, snapLen: 262144, tsResolution: 1e6, tsOffset: 0, comments: [] };

/** A frame at `ts` seconds (after 2024-03-12 09:00 UTC) as a capture record. */
export function record(data: Uint8Array, ts: number, snap = data.length): CaptureRecord {
  const base = 1710234000;
  const sec = base + Math.floor(ts);
  const nsec = Math.round((ts - Math.floor(ts)) * 1e6) * 1000;
  const cut = data.subarray(0, Math.min(snap, data.length));
  return { iface: ethernetInterface, tsSec: sec, tsNsec: nsec, capLen: cut.length, origLen: data.length, data: cut, comments: [], offset: 0 };
}

/** Writes frames as a classic pcap (Ethernet, microseconds) that tshark can read. */
export function writePcap(path: string, frames: Array<{ ts: number; data: Uint8Array; snap?: number }>): void {
  const parts: Uint8Array[] = [];
  const gh = new Uint8Array(24);
  const g = new DataView(gh.buffer);
  g.setUint32(0, 0xa1b2c3d4, true);
  g.setUint16(4, 2, true);
  g.setUint16(6, 4, true);
  g.setUint32(16, 262144, true);
  g.setUint32(20, 1, true);
  parts.push(gh);
  for (const f of frames) {
    const r = record(f.data, f.ts, f.snap);
    const h = new Uint8Array(16);
    const v = new DataView(h.buffer);
    v.setUint32(0, r.tsSec, true);
    v.setUint32(4, r.tsNsec / 1000, true);
    v.setUint32(8, r.capLen, true);
    v.setUint32(12, r.origLen, true);
    parts.push(h, r.data);
  }
  writeFileSync(path, Buffer.concat(parts));
}

/**
 * A few hundred frames that take every path of the flow engine at least once: handshakes with
 * options, data, loss and its aftermath (duplicate ACKs with SACK and D-SACK, fast, spurious
 * and timed-out retransmissions, out-of-order, lost and ACKed-unseen segments), zero windows
 * and probes, keep-alives, window updates and full windows, FIN and RST closes, port reuse,
 * sequence numbers across 2^32, IPv6, VLAN, UDP, ICMP errors quoting TCP and UDP, a VXLAN
 * tunnel, a cut and a bogus header, then a long pause (connections expire) and a late packet
 * (a released connection resumes). The engine runs them once before real traffic so V8
 * optimises its hot functions with every branch already seen (no later deoptimisation).
 */
export function warmUpRecords(): CaptureRecord[] {
  const out: CaptureRecord[] = [];
  let t = 0;
  // As Buffers, like the capture readers' records: the engine's byte reads then see one kind of array.
  const at = (data: Uint8Array, snap?: number) => out.push(record(Buffer.from(data.buffer, data.byteOffset, data.length), (t += 0.0004), snap));
  const WS = [2, 4, 5, 180, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 7];
  const sackOf = (l: number, r: number) => [1, 1, 5, 10, (l >>> 24) & 255, (l >>> 16) & 255, (l >>> 8) & 255, l & 255, (r >>> 24) & 255, (r >>> 16) & 255, (r >>> 8) & 255, r & 255];
  const conv = (src: string, dst: string, sport: number, isn: number, sisn: number) => {
    const c = (p: Omit<TcpSpec, 'src' | 'dst' | 'sport' | 'dport'>) => tcpFrame({ src, dst, sport, dport: 443, ...p });
    const s = (p: Omit<TcpSpec, 'src' | 'dst' | 'sport' | 'dport'>) => tcpFrame({ src: dst, dst: src, sport: 443, dport: sport, ttl: 57, ...p });
    const seq = (n: number) => (isn + n) >>> 0;
    const sq = (n: number) => (sisn + n) >>> 0;
    const data = 'x'.repeat(1000);
    at(c({ seq: seq(0), flags: 'S', options: WS }));
    at(c({ seq: seq(0), flags: 'S', options: WS })); // SYN retransmission
    at(s({ seq: sq(0), ack: seq(1), flags: 'SA', options: WS }));
    at(c({ seq: seq(1), ack: sq(1), flags: 'A' }));
    for (let i = 0; i < 6; i++) at(c({ seq: seq(1 + i * 1000), ack: sq(1), flags: i === 5 ? 'PA' : 'A', payload: data }));
    at(s({ seq: sq(1), ack: seq(1001), flags: 'A' }));
    for (let i = 0; i < 4; i++) at(s({ seq: sq(1), ack: seq(1001), flags: 'A', options: sackOf(seq(2001), seq(6001)) })); // dup ACKs
    at(c({ seq: seq(1001), ack: sq(1), flags: 'A', payload: data })); // fast retransmission
    at(s({ seq: sq(1), ack: seq(6001), flags: 'A', options: sackOf(seq(1001), seq(2001)) })); // D-SACK
    at(c({ seq: seq(1001), ack: sq(1), flags: 'A', payload: data })); // spurious
    at(c({ seq: seq(8001), ack: sq(1), flags: 'A', payload: data })); // previous segment lost
    at(c({ seq: seq(7001), ack: sq(1), flags: 'A', payload: data })); // out of order
    at(c({ seq: seq(6001), ack: sq(1), flags: 'A', payload: data }));
    at(s({ seq: sq(1), ack: seq(12001), flags: 'A' })); // ACKs unseen data
    at(s({ seq: sq(1), ack: seq(9001), flags: 'A', win: 0 })); // zero window
    at(c({ seq: seq(9001), ack: sq(1), flags: 'A', payload: 'z' })); // zero-window probe
    at(s({ seq: sq(1), ack: seq(9001), flags: 'A', win: 0 })); // probe ACK
    at(s({ seq: sq(1), ack: seq(9001), flags: 'A', win: 4 })); // window update
    at(c({ seq: seq(9001), ack: sq(1), flags: 'A', payload: 'w'.repeat(1024) })); // window full
    at(c({ seq: seq(10024), ack: sq(1), flags: 'A' })); // keep-alive
    at(s({ seq: sq(1), ack: seq(10025), flags: 'A', win: 4 })); // keep-alive ACK
    at(s({ seq: sq(1), ack: seq(10025), flags: 'PA', payload: 'reply'.repeat(100), options: [1, 1, 1, 1, 2, 4, 5, 180] }));
    at(c({ seq: seq(10025), ack: sq(501), flags: 'FA', options: [1, 1, 1, 1] }));
    at(s({ seq: sq(501), ack: seq(10026), flags: 'FA' }));
    at(c({ seq: seq(10026), ack: sq(502), flags: 'A' }));
    at(c({ seq: seq(10026), ack: sq(502), flags: 'RA' }));
    at(c({ seq: seq(5_000_000), flags: 'S', options: WS })); // port reuse
    at(s({ seq: sq(7_000_000), ack: seq(5_000_001), flags: 'SA' }));
    at(s({ seq: sq(7_000_001), ack: 0, flags: 'R', win: 0 }));
  };
  conv('10.0.0.1', '192.0.2.1', 40001, 0x00001000, 0x00002000);
  conv('10.0.0.2', '198.51.100.7', 40002, 0xffffee00, 0x7ffff000); // across 2^32 and 2^31
  conv('2001:db8::1', '2001:db8::2', 40003, 0x80000000, 0xfffffff0);
  const q = udpFrame('10.0.0.3', '192.0.2.53', 5353, 53, 'query');
  at(q);
  at(udpFrame('192.0.2.53', '10.0.0.3', 53, 5353, 'answer'));
  at(icmpUnreachable('192.0.2.53', '10.0.0.3', q));
  at(icmpUnreachable('192.0.2.1', '10.0.0.1', tcpFrame({ src: '10.0.0.1', dst: '192.0.2.1', sport: 40001, dport: 443, seq: 5, flags: 'A' }), 13, 40));
  const cut = tcpFrame({ src: '10.0.0.4', dst: '192.0.2.9', sport: 1, dport: 2, seq: 1, ack: 1, flags: 'PA', payload: 'abc', options: [8, 10, 0, 0, 0, 1, 0, 0, 0, 2] });
  for (const snap of [14 + 20 + 16, 14 + 20 + 18, 14 + 20 + 24]) at(cut, snap);
  at(tcpFrame({ src: '10.0.0.4', dst: '192.0.2.9', sport: 3, dport: 4, seq: 1, flags: 'A', dataOffset: 3 }));
  // A VLAN tag and a VXLAN tunnel.
  const inner = tcpFrame({ src: '10.0.0.5', dst: '192.0.2.10', sport: 5, dport: 6, seq: 9, flags: 'S' });
  const tagged = new Uint8Array(inner.length + 4);
  tagged.set(inner.subarray(0, 12));
  tagged.set([0x81, 0, 0, 100], 12);
  tagged.set(inner.subarray(12), 16);
  at(tagged);
  const vx = new Uint8Array(8 + inner.length);
  vx.set([8, 0, 0, 0, 0, 0, 1, 0]);
  vx.set(inner, 8);
  at(udpFrame('10.0.0.6', '192.0.2.11', 51000, 4789, vx));
  // A long pause: connections expire; then a late packet resumes one.
  t += 4000;
  at(tcpFrame({ src: '10.0.0.1', dst: '192.0.2.1', sport: 40001, dport: 443, seq: 5, ack: 9, flags: 'A' }));
  at(udpFrame('10.0.0.3', '192.0.2.53', 5353, 53, 'late'));
  return out;
}
