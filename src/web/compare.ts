/**
 * Two captures side by side: which packets are the same packet seen at two points, which were
 * seen at one point only, the NAT rewriting and the clock offset between them — all from the
 * diagnosis' cross-capture matcher (src/diagnosis/compare.ts: IP ID, TCP flags, raw SEQ/ACK,
 * length and payload hash, never timestamps) — and the doctor's cross-capture findings. One
 * pass per capture: the doctor's facts are collected with the packet fingerprints.
 *
 * That matcher takes TCP and UDP only; ICMP and other IP traffic are matched here the same way
 * ({@link otherIpKey}: protocol, IPv4 identification, length and a hash of the payload, leaving
 * out what NAT rewrites — the ICMP echo identifier and checksums), pairing equal keys in capture
 * order, so a ping that never reached the other point is marked too.
 */
import * as fs from 'node:fs';
import { Decoder } from '../decode/decoder.js';
import { dissectorById } from '../decode/dissector.js';
import type { Packet } from '../decode/packet.js';
import { compareIndexes } from '../diagnosis/compare.js';
import { FlowPacket, fromDecoded, Walk } from '../flows/headers.js';
import { collectFacts, diagnoseAll, toJson } from '../diagnosis/index.js';
import type { Capture } from './capture.js';

export async function compareCaptures(a: Capture, b: Capture): Promise<object> {
  const pa = a.snapshot();
  const pb = b.snapshot();
  try {
    const [fa, fb] = await Promise.all([collectFacts(pa, { fingerprint: true }), collectFacts(pb, { fingerprint: true })]);
    const r = compareIndexes(fa.index!, fb.index!);
    const other = matchOtherIp(otherIpKeys(a), otherIpKeys(b));
    // As `wiresage doctor A B`: each capture's findings, the cross-capture ones, their stories.
    const { findings: list, stories } = diagnoseAll([fa, fb]);
    let text = JSON.stringify(toJson(list, [fa, fb], 'en', stories));
    for (const [f, c] of [[fa, a], [fb, b]] as const) text = text.split(JSON.stringify(f.file).slice(1, -1)).join(JSON.stringify(c.name).slice(1, -1));
    const findings = JSON.parse(text) as object;
    return {
      pointA: { id: a.id, name: a.name },
      pointB: { id: b.id, name: b.name },
      matched: [...r.matched, ...other.matched].sort((x, y) => x[0] - y[0]),
      matchedRelative: r.matchedRelative,
      onlyA: [...r.onlyA, ...other.onlyA].sort((x, y) => x - y),
      onlyB: [...r.onlyB, ...other.onlyB].sort((x, y) => x - y),
      nat: r.nat,
      clockOffset: r.clockOffset,
      sideA: r.sideA,
      sideB: r.sideB,
      findings,
    };
  } finally {
    if (pa !== a.path) fs.rmSync(pa, { force: true });
    if (pb !== b.path) fs.rmSync(pb, { force: true });
  }
}

/** Payload bytes hashed into a key (as the TCP/UDP matcher: captures cut at different snaplens agree). */
const HASHED = 48;
const ICMP = 1;
const ICMPV6 = 58;

function hashBytes(h: number, b: Uint8Array, from: number, to: number): number {
  for (let i = from; i < to; i++) h = Math.imul(h ^ b[i], 0x01000193) >>> 0;
  return h;
}

/**
 * The key of an IP packet that carries neither TCP nor UDP (undefined for those, and for
 * frames without IP): what survives the path between two capture points. ICMP/ICMPv6: type,
 * code and the bytes after the identifier (echo sequence and data; NAT rewrites the identifier
 * and the checksum); anything else: the payload. With the IP protocol, the IPv4 identification
 * and the payload length.
 */
export function otherIpKey(p: Packet, fp: FlowPacket): string | undefined {
  if (fromDecoded(fp, p) === Walk.Found && !fp.quoted) return undefined;
  for (let i = 1; i < p.layers; i++) {
    if (p.isQuoted(i)) continue;
    const name = dissectorById(p.proto[i]).protocol.name;
    if (name !== 'ip' && name !== 'ipv6') continue;
    const b = p.bufferOf(i);
    const o = p.start[i];
    const v4 = name === 'ip';
    if (b.length < o + (v4 ? 20 : 40)) return undefined;
    const proto = v4 ? b[o + 9] : b[o + 6];
    const ipId = v4 ? (b[o + 4] << 8) | b[o + 5] : 0;
    const start = i + 1 < p.layers ? p.start[i + 1] : o + (v4 ? (b[o] & 15) * 4 : 40);
    const end = v4 ? o + ((b[o + 2] << 8) | b[o + 3]) : o + 40 + ((b[o + 4] << 8) | b[o + 5]);
    const length = Math.max(0, end - start);
    const cut = Math.min(b.length, end, start + HASHED);
    let h = 0x811c9dc5;
    if ((proto === ICMP || proto === ICMPV6) && cut >= start + 8) {
      h = hashBytes(h, b, start, start + 2); // type, code
      h = hashBytes(h, b, start + 6, cut); // sequence and data (not checksum, identifier)
    } else {
      h = hashBytes(h, b, start, cut);
    }
    return `${proto} ${ipId} ${length} ${h}`;
  }
  return undefined;
}

/** Frame numbers and keys of a capture's IP packets that carry neither TCP nor UDP, in order. */
function otherIpKeys(c: Capture): Array<[number, string]> {
  const out: Array<[number, string]> = [];
  const fp = new FlowPacket();
  const numbers = new Uint32Array(c.index.count);
  for (let i = 0; i < numbers.length; i++) numbers[i] = i + 1;
  c.decodeFrames(numbers, (p) => {
    const k = otherIpKey(p, fp);
    if (k !== undefined) out.push([p.number, k]);
  }, new Decoder({ transportOnly: true }));
  return out;
}

/** Pairs equal keys in capture order; the rest were seen at one point only. */
export function matchOtherIp(a: Array<[number, string]>, b: Array<[number, string]>): { matched: Array<[number, number]>; onlyA: number[]; onlyB: number[] } {
  const waiting = new Map<string, number[]>();
  for (const [frame, key] of b) {
    const q = waiting.get(key);
    if (q) q.push(frame);
    else waiting.set(key, [frame]);
  }
  const matched: Array<[number, number]> = [];
  const onlyA: number[] = [];
  const used = new Set<number>();
  for (const [frame, key] of a) {
    const fb = waiting.get(key)?.shift();
    if (fb === undefined) onlyA.push(frame);
    else {
      matched.push([frame, fb]);
      used.add(fb);
    }
  }
  return { matched, onlyA, onlyB: b.map(([f]) => f).filter((f) => !used.has(f)) };
}
