/**
 * Two captures of the same traffic taken at two points (client side and server side, both
 * sides of a NAT router): which packets are the same packet, which were seen at one point only,
 * how addresses/ports were rewritten between the points, and how far apart the two clocks are.
 *
 * Packets are matched by what survives the path, never by timestamps: the IPv4 identification,
 * the TCP flags, raw sequence and acknowledgement numbers, the payload length and a hash of the
 * first payload bytes (UDP: IP ID, length, payload hash). Addresses and ports are left out of
 * the key, so packets still match across SNAT/DNAT. A second key uses sequence numbers relative
 * to each direction's first one, for devices that rewrite initial sequence numbers (firewalls
 * that "randomise ISNs"). When several packets share a key (a stack sending IP ID 0 with
 * identical retransmissions) they pair in capture order.
 *
 * From the pairs: the NAT mapping (an endpoint as seen at A ↔ as seen at B), the direction each
 * pair travelled (its TTL is lower at the later point), and the clock offset
 * B − A = (m→ + m←) / 2 with the one-way delay (m→ − m←) / 2, where m→ / m← are the median
 * time differences of packets travelling A→B / B→A (one direction only: the offset includes the
 * delay, `exact: false`).
 *
 * Only IPv4/IPv6 TCP and UDP packets (not the headers ICMP errors quote) take part; frames of
 * other kinds are in neither `onlyA` nor `onlyB`. Memory: 40 bytes per indexed packet plus one
 * entry per connection (a million-packet capture: about 40 MB).
 *
 * @example
 * const r = await matchCaptures('client.pcap', 'server.pcap');
 * for (const [fa, fb] of r.matched) console.log(`frame ${fa} at A is frame ${fb} at B`);
 * console.log(r.onlyA.length, 'packets never reached B;', r.nat, r.clockOffset);
 */
import { ipv4ToString, ipv6ToString } from '../decode/bytes.js';
import { openCapture } from '../file/open.js';
import { Decoder } from '../decode/decoder.js';
import { FlowPacket, fromDecoded, Walk } from '../flows/headers.js';

/** One connection (5-tuple as first seen) in a capture index. */
export interface IndexedFlow {
  proto: 'tcp' | 'udp';
  src: string;
  srcPort: number;
  dst: string;
  dstPort: number;
}

/** The packets of one capture, fingerprinted (columns, one row per TCP/UDP packet). */
export interface CaptureIndex {
  file: string;
  /** All frames read (indexed or not). */
  frames: number;
  firstTime: number;
  lastTime: number;
  /** Indexed packets. */
  count: number;
  frame: Int32Array;
  time: Float64Array;
  ttl: Uint8Array;
  /** TCP flags (0 for UDP). */
  flags: Uint8Array;
  /** Index into `flows`; bit 31 set when the packet goes from the flow's dst to its src. */
  flow: Int32Array;
  /** Raw key: two 32-bit hashes per packet. */
  raw: Uint32Array;
  /** Relative-sequence key (TCP); equal to the raw key for UDP. */
  rel: Uint32Array;
  flows: IndexedFlow[];
}

/** An endpoint as seen at A and at B, when they differ. */
export interface NatMapping {
  a: string;
  b: string;
  /** Role in the connection: the originator (client) or the responder (server) side. */
  role: 'client' | 'server';
  packets: number;
  /** The first matched pair showing it, and its time at A. */
  frameA: number;
  frameB: number;
  time: number;
}

export interface ClockOffset {
  /** Add to an A timestamp to get B's clock (seconds). */
  seconds: number;
  /** One-way delay A→B (seconds), when both directions were matched. */
  oneWayDelay: number | null;
  /** True when pairs in both directions were available (otherwise seconds includes the delay). */
  exact: boolean;
  samples: number;
}

export interface Comparison {
  a: CaptureIndex;
  b: CaptureIndex;
  /** [frame at A, frame at B] in A's order (empty when `keepPairs` is false; see `matchedCount`). */
  matched: Array<[number, number]>;
  matchedCount: number;
  /** Pairs matched only by the relative-sequence key (ISNs rewritten). */
  matchedRelative: number;
  /** Frames (indexed packets) seen at one point only. */
  onlyA: number[];
  onlyB: number[];
  nat: NatMapping[];
  clockOffset: ClockOffset | null;
  /**
   * Addresses (as seen at A) on A's side of the path and on B's side, learnt from the pairs'
   * TTLs: a packet travelling A→B leaves TTL−hops at B.
   */
  sideA: string[];
  sideB: string[];
  /** The same two sides with addresses as seen at B (they differ behind NAT). */
  sideAatB: string[];
  sideBatB: string[];
}

export interface MatchOptions {
  /** Keep the list of matched frame pairs (default true). */
  keepPairs?: boolean;
}

/** Payload bytes hashed into the key (captures cut at different snaplens still agree up to here). */
const HASHED_PAYLOAD = 48;

function mix(h: number, x: number): number {
  h = Math.imul(h ^ x, 0x5bd1e995);
  return (h ^ (h >>> 15)) >>> 0;
}

/** Fingerprints packets as they are read; used by {@link indexCapture} and by the doctor's own pass. */
export class Fingerprinter {
  private cap = 1024;
  private n = 0;
  private frame = new Int32Array(this.cap);
  private time = new Float64Array(this.cap);
  private ttl = new Uint8Array(this.cap);
  private flags = new Uint8Array(this.cap);
  private flow = new Int32Array(this.cap);
  private raw = new Uint32Array(this.cap * 2);
  private rel = new Uint32Array(this.cap * 2);
  private readonly flows: IndexedFlow[] = [];
  /** tuple → flow index; per flow the first sequence number of each direction. */
  private readonly flowIds = new Map<string, number>();
  /** Caller's connection key → flow index (see `add`). */
  private readonly connIds = new Map<number, number>();
  private readonly base: Array<[number | null, number | null]> = [];
  frames = 0;
  firstTime = 0;
  lastTime = 0;

  constructor(readonly file: string) {}

  /** Counts a frame (call for every frame, indexed or not). */
  frameSeen(time: number): void {
    if (this.frames++ === 0) this.firstTime = time;
    this.lastTime = time;
  }

  /**
   * Adds a packet whose transport header `fromDecoded` found (not quoted ones). A caller that
   * already knows the packet's connection (the doctor's pass: the flow engine's stream) passes
   * a number unique to it and the sender as text: the flow is then found without building the
   * 5-tuple text of every packet.
   */
  add(frameNo: number, time: number, fp: FlowPacket, connKey = -1, knownSrc = ''): void {
    if (fp.quoted || (fp.proto !== 6 && fp.proto !== 17)) return;
    const b = fp.buf;
    const o = fp.off;
    const tcp = fp.proto === 6;
    if (b.length < o + (tcp ? 20 : 8)) return;
    const ipId = fp.family === 4 ? ipv4Id(fp) : 0;
    const sport = (b[o] << 8) | b[o + 1];
    const dport = (b[o + 2] << 8) | b[o + 3];
    let id = connKey >= 0 ? this.connIds.get(connKey) : undefined;
    let reverse = false;
    if (id !== undefined) {
      const fl = this.flows[id];
      reverse = fl.srcPort !== sport || fl.src !== knownSrc;
    } else {
      const src = fp.family === 4 ? ipv4ToString(fp.src4) : ipv6ToString(fp.addrBuf, fp.src6);
      const dst = fp.family === 4 ? ipv4ToString(fp.dst4) : ipv6ToString(fp.addrBuf, fp.dst6);
      [id, reverse] = this.flowOf(tcp, src, sport, dst, dport);
      if (connKey >= 0) this.connIds.set(connKey, id);
    }
    this.addRow(frameNo, time, fp, id, reverse, ipId, tcp);
  }

  /**
   * The flow of a connection the caller tracks (`connKey` unique to it, as in `add`), found from
   * one of its packets (`src`:`sport` its sender), and whether that packet goes dst → src. The
   * caller keeps both and passes them to `addToFlow` for the connection's later packets.
   */
  flowOfConnection(fp: FlowPacket, connKey: number, src: string, sport: number): [number, boolean] {
    const id = this.connIds.get(connKey);
    if (id !== undefined) {
      const fl = this.flows[id];
      return [id, fl.srcPort !== sport || fl.src !== src];
    }
    const b = fp.buf;
    const dport = (b[fp.off + 2] << 8) | b[fp.off + 3];
    const dst = fp.family === 4 ? ipv4ToString(fp.dst4) : ipv6ToString(fp.addrBuf, fp.dst6);
    const found = this.flowOf(fp.proto === 6, src, sport, dst, dport);
    this.connIds.set(connKey, found[0]);
    return found;
  }

  /** Adds a packet of a flow `flowOfConnection` gave (the same checks as `add`). */
  addToFlow(frameNo: number, time: number, fp: FlowPacket, id: number, reverse: boolean): void {
    if (fp.quoted || (fp.proto !== 6 && fp.proto !== 17)) return;
    const tcp = fp.proto === 6;
    if (fp.buf.length < fp.off + (tcp ? 20 : 8)) return;
    this.addRow(frameNo, time, fp, id, reverse, fp.family === 4 ? ipv4Id(fp) : 0, tcp);
  }

  /** The flow of a 5-tuple (either direction), made on first sight; and whether the packet goes dst → src. */
  private flowOf(tcp: boolean, src: string, sport: number, dst: string, dport: number): [number, boolean] {
    const proto = tcp ? 6 : 17;
    const fwd = `${proto} ${src} ${sport} ${dst} ${dport}`;
    let id = this.flowIds.get(fwd);
    let reverse = false;
    if (id === undefined) {
      id = this.flowIds.get(`${proto} ${dst} ${dport} ${src} ${sport}`);
      if (id === undefined) {
        id = this.flows.length;
        this.flows.push({ proto: tcp ? 'tcp' : 'udp', src, srcPort: sport, dst, dstPort: dport });
        this.base.push([null, null]);
        this.flowIds.set(fwd, id);
      } else reverse = true;
    }
    return [id, reverse];
  }

  private addRow(frameNo: number, time: number, fp: FlowPacket, id: number, reverse: boolean, ipId: number, tcp: boolean): void {
    const b = fp.buf;
    const o = fp.off;
    let hl = 8;
    let flags = 0;
    let seq = 0;
    let ack = 0;
    if (tcp) {
      hl = (b[o + 12] >> 4) * 4;
      flags = b[o + 13];
      seq = ((b[o + 4] << 24) | (b[o + 5] << 16) | (b[o + 6] << 8) | b[o + 7]) >>> 0;
      ack = ((b[o + 8] << 24) | (b[o + 9] << 16) | (b[o + 10] << 8) | b[o + 11]) >>> 0;
    }
    const payloadLen = Math.max(0, fp.reportedLen - hl);
    let h = mix(0x9747b28c, fp.proto | (flags << 8) | (ipId << 16));
    let p = mix(0x2545f491, payloadLen);
    const end = Math.min(b.length, o + hl + Math.min(payloadLen, HASHED_PAYLOAD));
    for (let i = o + hl; i < end; i++) p = mix(p, b[i]);
    h = mix(h, p);
    if (this.n === this.cap) this.grow();
    const n = this.n++;
    this.frame[n] = frameNo;
    this.time[n] = time;
    this.ttl[n] = fp.ttl;
    this.flags[n] = flags;
    this.flow[n] = reverse ? (id | 0x80000000) : id;
    this.raw[2 * n] = mix(mix(h, seq), ack);
    this.raw[2 * n + 1] = mix(mix(p ^ 0x68e31da4, ack), seq);
    if (tcp) {
      const bases = this.base[id];
      const me = reverse ? 1 : 0;
      if (bases[me] === null) bases[me] = seq;
      const other = bases[1 - me];
      const rseq = (seq - bases[me]!) >>> 0;
      const rack = flags & 0x10 && other !== null ? (ack - other) >>> 0 : 0;
      this.rel[2 * n] = mix(mix(h, rseq), rack);
      this.rel[2 * n + 1] = mix(mix(p ^ 0x1b873593, rack), rseq);
    } else {
      this.rel[2 * n] = this.raw[2 * n];
      this.rel[2 * n + 1] = this.raw[2 * n + 1];
    }
  }

  private grow(): void {
    this.cap *= 2;
    const g = <T extends Int32Array | Float64Array | Uint8Array | Uint32Array>(a: T, k = 1): T => {
      const c = new (a.constructor as new (n: number) => T)(this.cap * k);
      c.set(a);
      return c;
    };
    this.frame = g(this.frame);
    this.time = g(this.time);
    this.ttl = g(this.ttl);
    this.flags = g(this.flags);
    this.flow = g(this.flow);
    this.raw = g(this.raw, 2);
    this.rel = g(this.rel, 2);
  }

  finish(): CaptureIndex {
    const n = this.n;
    return {
      file: this.file, frames: this.frames, firstTime: this.firstTime, lastTime: this.lastTime, count: n,
      frame: this.frame.subarray(0, n), time: this.time.subarray(0, n), ttl: this.ttl.subarray(0, n), flags: this.flags.subarray(0, n),
      flow: this.flow.subarray(0, n), raw: this.raw.subarray(0, 2 * n), rel: this.rel.subarray(0, 2 * n), flows: this.flows,
    };
  }
}

/** The IPv4 identification of the packet whose transport header `fp` points at. */
function ipv4Id(fp: FlowPacket): number {
  const b = fp.buf;
  // The IPv4 header ends where the transport header starts; options make it 20..60 bytes.
  for (let hl = 20; hl <= 60; hl += 4) {
    const s = fp.off - hl;
    if (s < 0) break;
    if (b[s] === (0x40 | (hl >> 2)) && b[s + 9] === fp.proto && (((b[s + 12] << 24) | (b[s + 13] << 16) | (b[s + 14] << 8) | b[s + 15]) >>> 0) === fp.src4) {
      return (b[s + 4] << 8) | b[s + 5];
    }
  }
  return 0;
}

/** Reads a capture once (header walk up to the transport layer, no application dissection) and fingerprints its packets. */
export async function indexCapture(file: string): Promise<CaptureIndex> {
  const f = new Fingerprinter(file);
  const fp = new FlowPacket();
  const decoder = new Decoder({ transportOnly: true });
  const reader = await openCapture(file);
  let frame = 0;
  try {
    await reader.forEach((r) => {
      frame++;
      const time = r.tsSec + r.tsNsec / 1e9;
      f.frameSeen(time);
      if (fromDecoded(fp, decoder.decode(r)) === Walk.Found) f.add(frame, time, fp);
    });
  } finally {
    reader.close();
  }
  return f.finish();
}

/**
 * Open-addressing table of an index's keys: per slot the row + 1 and the key's first word side
 * by side, so a probe reads one cache line (the keys themselves are read only on a tag match).
 */
function buildTable(keys: Uint32Array, count: number): Int32Array {
  let size = 16;
  while (size < count * 2) size *= 2;
  const t = new Int32Array(2 * size);
  const mask = size - 1;
  for (let i = 0; i < count; i++) {
    const k0 = keys[2 * i];
    let s = k0 & mask;
    while (t[2 * s] !== 0) s = (s + 1) & mask;
    t[2 * s] = i + 1;
    t[2 * s + 1] = k0 | 0;
  }
  return t;
}

/** Lookup tables of indexes prepared ahead of a comparison (see {@link prepareMatching}). */
const prepared = new WeakMap<CaptureIndex, { raw: Int32Array; rel: Int32Array }>();

/**
 * Builds the lookup tables of an index that will be the B side of comparisons, ahead of time:
 * `wiresage doctor A B` does it while A's capture is still being read. They live as long as the
 * index (about 32 bytes per packet).
 */
export function prepareMatching(ib: CaptureIndex): void {
  if (!prepared.has(ib)) prepared.set(ib, { raw: buildTable(ib.raw, ib.count), rel: buildTable(ib.rel, ib.count) });
}

/** The first unused row of `b` with the key `k0,k1`, or -1. */
function lookup(t: Int32Array, keys: Uint32Array, used: Uint8Array, k0: number, k1: number): number {
  const mask = (t.length >> 1) - 1;
  const tag = k0 | 0;
  for (let s = k0 & mask; ; s = (s + 1) & mask) {
    const r = t[2 * s];
    if (r === 0) return -1;
    if (t[2 * s + 1] === tag && !used[r - 1] && keys[2 * r - 1] === k1) return r - 1;
  }
}

function endpoint(ip: string, port: number): string {
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
}

function median(xs: number[]): number {
  const s = [...xs].sort((x, y) => x - y);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Most time differences kept per direction for the medians. */
const SAMPLES = 20_000;

/** Reservoir sampling with a fixed pseudo-random sequence (same input, same answer). */
function sample(xs: number[], seen: number, x: number): void {
  if (xs.length < SAMPLES) xs.push(x);
  else {
    const r = Math.imul(seen + 1, 2654435761) >>> 0;
    const k = r % (seen + 1);
    if (k < SAMPLES) xs[k] = x;
  }
}

/**
 * Matches the packets of two captures (paths or indexes). A is usually the client side.
 */
export async function matchCaptures(a: string | CaptureIndex, b: string | CaptureIndex, opts: MatchOptions = {}): Promise<Comparison> {
  const ia = typeof a === 'string' ? await indexCapture(a) : a;
  const ib = typeof b === 'string' ? await indexCapture(b) : b;
  return compareIndexes(ia, ib, opts);
}

/** {@link matchCaptures} on indexes already built (synchronous). */
export function compareIndexes(ia: CaptureIndex, ib: CaptureIndex, opts: MatchOptions = {}): Comparison {
  const keep = opts.keepPairs !== false;
  const ready = prepared.get(ib);
  const rawT = ready?.raw ?? buildTable(ib.raw, ib.count);
  const relT = ready?.rel ?? buildTable(ib.rel, ib.count);
  const usedB = new Uint8Array(ib.count);
  const pairOf = new Int32Array(ia.count).fill(-1);
  const matched: Array<[number, number]> = [];
  let matchedCount = 0;
  let matchedRelative = 0;
  const forward: number[] = [];
  const backward: number[] = [];
  let seenF = 0;
  let seenB = 0;
  const natCount = new Map<string, NatMapping>();
  const sideA = new Set<string>();
  const sideB = new Set<string>();
  const sideAatB = new Set<string>();
  const sideBatB = new Set<string>();
  // Flow pairs already looked at for NAT (one check per flow pair and direction).
  const flowPairs = new Map<string, number>();
  const relative = new Uint8Array(ia.count);
  for (let i = 0; i < ia.count; i++) {
    let j = lookup(rawT, ib.raw, usedB, ia.raw[2 * i], ia.raw[2 * i + 1]);
    if (j < 0) {
      j = lookup(relT, ib.rel, usedB, ia.rel[2 * i], ia.rel[2 * i + 1]);
      if (j < 0) continue;
      relative[i] = 1;
    }
    usedB[j] = 1;
    pairOf[i] = j;
  }
  // Relative sequence numbers repeat across unrelated connections (0/1 at the start, the same
  // request bytes): a connection pair matched only that way needs three packets with data.
  const relCount = new Map<string, number>();
  for (let i = 0; i < ia.count; i++) {
    if (!relative[i]) continue;
    const k = `${ia.flow[i] & 0x7fffffff} ${ib.flow[pairOf[i]] & 0x7fffffff}`;
    relCount.set(k, (relCount.get(k) ?? 0) + ((ia.flags[i] & 0x07) === 0 ? 1 : 0));
  }
  for (let i = 0; i < ia.count; i++) {
    if (!relative[i]) continue;
    const j = pairOf[i];
    if ((relCount.get(`${ia.flow[i] & 0x7fffffff} ${ib.flow[j] & 0x7fffffff}`) ?? 0) >= 3) continue;
    relative[i] = 0;
    pairOf[i] = -1;
    usedB[j] = 0;
  }
  for (let i = 0; i < ia.count; i++) {
    const j = pairOf[i];
    if (j < 0) continue;
    if (relative[i]) matchedRelative++;
    matchedCount++;
    if (keep) matched.push([ia.frame[i], ib.frame[j]]);
    const dt = ib.time[j] - ia.time[i];
    const fa = ia.flow[i];
    const fb = ib.flow[j];
    const ta = ia.ttl[i];
    const tb = ib.ttl[j];
    const dir = ta > tb ? 1 : ta < tb ? -1 : 0;
    if (dir > 0) {
      sample(forward, seenF++, dt);
    } else if (dir < 0) {
      sample(backward, seenB++, dt);
    }
    const key = `${fa} ${fb} ${dir}`;
    const seen = flowPairs.get(key);
    if (seen !== undefined) {
      flowPairs.set(key, seen + 1);
      continue;
    }
    flowPairs.set(key, 1);
    const A = ia.flows[fa & 0x7fffffff];
    const B = ib.flows[fb & 0x7fffffff];
    // Endpoints in the packet's own direction at each point.
    const [aSrc, aSport, aDst, aDport] = fa < 0 ? [A.dst, A.dstPort, A.src, A.srcPort] : [A.src, A.srcPort, A.dst, A.dstPort];
    const [bSrc, bSport, bDst, bDport] = fb < 0 ? [B.dst, B.dstPort, B.src, B.srcPort] : [B.src, B.srcPort, B.dst, B.dstPort];
    if (dir > 0) {
      sideA.add(aSrc);
      sideB.add(aDst);
      sideAatB.add(bSrc);
      sideBatB.add(bDst);
    } else if (dir < 0) {
      sideA.add(aDst);
      sideB.add(aSrc);
      sideAatB.add(bDst);
      sideBatB.add(bSrc);
    }
    const clientIsSrc = fa >= 0;
    const note = (x: string, y: string, role: 'client' | 'server') => {
      if (x === y) return;
      const k = `${x}>${y}`;
      if (!natCount.has(k)) natCount.set(k, { a: x, b: y, role, packets: 0, frameA: ia.frame[i], frameB: ib.frame[j], time: ia.time[i] });
    };
    note(endpoint(aSrc, aSport), endpoint(bSrc, bSport), clientIsSrc ? 'client' : 'server');
    note(endpoint(aDst, aDport), endpoint(bDst, bDport), clientIsSrc ? 'server' : 'client');
  }
  // Packet counts per mapping from the flow pairs.
  for (const [key, packets] of flowPairs) {
    const [fa, fb] = key.split(' ').map(Number);
    const A = ia.flows[fa & 0x7fffffff];
    const B = ib.flows[fb & 0x7fffffff];
    const ends = fa < 0 === fb < 0
      ? [[endpoint(A.src, A.srcPort), endpoint(B.src, B.srcPort)], [endpoint(A.dst, A.dstPort), endpoint(B.dst, B.dstPort)]]
      : [[endpoint(A.src, A.srcPort), endpoint(B.dst, B.dstPort)], [endpoint(A.dst, A.dstPort), endpoint(B.src, B.srcPort)]];
    for (const [x, y] of ends) {
      const m = natCount.get(`${x}>${y}`);
      if (m) m.packets += packets;
    }
  }
  // Sized once: unrelated captures leave millions of frames unmatched.
  const onlyA: number[] = new Array(ia.count - matchedCount);
  for (let i = 0, k = 0; i < ia.count; i++) if (pairOf[i] < 0) onlyA[k++] = ia.frame[i];
  const onlyB: number[] = new Array(ib.count - matchedCount);
  for (let j = 0, k = 0; j < ib.count; j++) if (!usedB[j]) onlyB[k++] = ib.frame[j];
  let clockOffset: ClockOffset | null = null;
  if (forward.length && backward.length) {
    const m1 = median(forward);
    const m2 = median(backward);
    clockOffset = { seconds: (m1 + m2) / 2, oneWayDelay: (m1 - m2) / 2, exact: true, samples: seenF + seenB };
  } else if (forward.length || backward.length) {
    clockOffset = { seconds: median(forward.length ? forward : backward), oneWayDelay: null, exact: false, samples: seenF + seenB };
  }
  return {
    a: ia, b: ib, matched, matchedCount, matchedRelative, onlyA, onlyB,
    nat: [...natCount.values()].sort((x, y) => y.packets - x.packets),
    clockOffset, sideA: [...sideA], sideB: [...sideB], sideAatB: [...sideAatB], sideBatB: [...sideBatB],
  };
}

/** Row of `frame` in an index (binary search), or -1 when the frame was not indexed. */
export function rowOf(index: CaptureIndex, frame: number): number {
  let lo = 0;
  let hi = index.count - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const f = index.frame[mid];
    if (f === frame) return mid;
    if (f < frame) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

/** The packet at `row` of an index: its endpoints in its own direction. */
export function packetAt(index: CaptureIndex, row: number): { frame: number; time: number; proto: 'tcp' | 'udp'; src: string; srcPort: number; dst: string; dstPort: number; flags: number; flow: number } {
  const f = index.flow[row];
  const fl = index.flows[f & 0x7fffffff];
  const rev = f < 0;
  return {
    frame: index.frame[row], time: index.time[row], proto: fl.proto, flags: index.flags[row], flow: f & 0x7fffffff,
    src: rev ? fl.dst : fl.src, srcPort: rev ? fl.dstPort : fl.srcPort, dst: rev ? fl.src : fl.dst, dstPort: rev ? fl.srcPort : fl.dstPort,
  };
}
