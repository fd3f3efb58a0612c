/**
 * One pass over a capture that gathers the evidence the diagnosis rules read: every TCP/UDP
 * connection's summary from the flow engine (Zeek `conn_state`/history, SYN resends, RSTs),
 * the times of its SYNs and RSTs, the IP TTL of every non-RST packet by sender (the reference a
 * forged RST is compared with), ICMP errors with the connection they quote, and each change of
 * a connection's application summary (`oracle: REDIRECT to …`, `redis: AUTH failed WRONGPASS …`)
 * with the frame and time it happened.
 *
 * Memory follows the connections, not the packets: per connection a few capped lists.
 *
 * @example
 * const facts = await collectFacts('case.pcap');
 * for (const c of facts.conns) console.log(c.stream, c.summary?.connState, c.app.at(-1)?.text);
 */
import '../decode/protocols.js';
import { ipv4ToString, ipv6ToString } from '../decode/bytes.js';
import { Decoder } from '../decode/decoder.js';
import { dissectorById } from '../decode/dissector.js';
import type { Packet } from '../decode/packet.js';
import type { CompiledFilter } from '../filter/index.js';
import type { ConnectionSummary } from '../flows/conversation.js';
import { FlowEngine } from '../flows/index.js';
import { FlowPacket, fromDecoded, Walk } from '../flows/headers.js';
import { filteredPass } from '../flows/pass.js';
import { A_FAST_RETRANSMISSION, A_LOST_PACKET, A_RETRANSMISSION, A_ZERO_WINDOW } from '../flows/tcp-analysis.js';
import { streamState, type AppConversationState } from '../protocols/index.js';
import { Fingerprinter, type CaptureIndex } from './compare.js';

/** A TCP segment worth citing: frame, absolute time (seconds), sender, TTL. */
export interface SegmentEvent {
  frame: number;
  time: number;
  src: string;
  srcPort: number;
  ttl: number;
  seq: number;
}

/** An application summary change: what the protocol said, when. */
export interface AppEvent {
  frame: number;
  time: number;
  text: string;
}

/** An ICMP error and the connection it quotes. */
export interface IcmpEvent {
  frame: number;
  time: number;
  /** Sender of the ICMP error (the router or host that gave up). */
  from: string;
  ttl: number;
  type: number;
  code: number;
  family: 4 | 6;
  /** The quoted packet's endpoints. */
  quotedSrc: string;
  quotedDst: string;
  quotedProto: 'tcp' | 'udp' | 'other';
  quotedDstPort: number;
  stream: number | null;
  /** Next-hop MTU of a fragmentation-needed (IPv4 type 3 code 4) or packet-too-big (ICMPv6 type 2), else 0. */
  mtu: number;
}

/** Everything known about one connection (a `tcp.stream` or `udp.stream`). */
export interface ConnFacts {
  proto: 'tcp' | 'udp';
  stream: number;
  /** The engine's summary (the last part if the connection was released and resumed). */
  summary: ConnectionSummary | null;
  firstFrame: number;
  firstTime: number;
  lastFrame: number;
  lastTime: number;
  /** Pure SYNs (first ones and resends), at most MAX_EVENTS. */
  syns: SegmentEvent[];
  synAcks: SegmentEvent[];
  rsts: SegmentEvent[];
  /** Application summary changes in order. */
  app: AppEvent[];
  packets: number;
  /** Data segments (payload > 0) and Wireshark's analysis counts over them. */
  dataSegments: number;
  retransmissions: number;
  lostSegments: number;
  /** Zero-window advertisements, with the sender of the first one. */
  zeroWindows: number;
  zeroWindowFrom: string | null;
  zeroWindowFirst: SegmentEvent | null;
  /** Time of the packet before the latest one and the silence that preceded the latest one. */
  prevTime: number;
  gapBeforeLast: number;
  /** The first RST that followed a silence of the connection (idle timeout evidence). */
  idleReset: IdleReset | null;
  /** Full-size segments (≥ FULL_SIZE bytes): who sends them, how often they are resent, whether one was ever acknowledged. */
  big: { sender: string; firstEnd: number; len: number; retrans: number; acked: boolean; frames: number[]; first: number } | null;
  /** The first ICMP fragmentation-needed quoting this connection. */
  fragNeeded: { frame: number; time: number; from: string; mtu: number } | null;
  /** Retransmissions within 2 s after a fragmentation-needed (re-segmentation, not loss). */
  pmtuRetransmissions: number;
}

/** A RST after the connection had been silent. */
export interface IdleReset {
  rst: SegmentEvent;
  /** The packet the RST answered (the first after the silence), if the RST came within a second of it. */
  trigger: { frame: number; time: number; from: string } | null;
  /** Seconds without any packet before the trigger (or before the RST). */
  idle: number;
  /** Packets and data segments before the silence. */
  packetsBefore: number;
}

/** Segments at least this long count as full-size for the MTU rule. */
export const FULL_SIZE = 1000;

export interface CaptureFacts {
  file: string;
  frames: number;
  firstTime: number;
  lastTime: number;
  /** TCP then UDP connections, by stream number. */
  conns: ConnFacts[];
  /** TTLs (count per value) of every non-RST TCP packet and every UDP datagram, by source address. */
  ttlByAddr: Map<string, Map<number, number>>;
  icmp: IcmpEvent[];
  /**
   * Every pure SYN as `client:port>server:port#ISN` (raw sequence number), at most MAX_SYN_KEYS:
   * the same SYN seen in two captures taken at different points has the same key, whatever
   * the clocks say.
   */
  synKeys: Set<string>;
  /** Addresses seen as a source or destination of IP packets (TCP/UDP). */
  addresses: Set<string>;
  /** Packet fingerprints for comparing with another capture (only with `fingerprint: true`). */
  index?: CaptureIndex;
}

export interface CollectOptions {
  progress?: Progress;
  /** Also fingerprint every TCP/UDP packet (compare.ts), to compare this capture with another one. */
  fingerprint?: boolean;
  /**
   * A display filter: only connections with at least one matching packet (and ICMP errors that
   * match) are diagnosed. Every packet is still analysed, so the connections' facts are whole.
   */
  filter?: CompiledFilter;
}

const MAX_SYN_KEYS = 1_000_000;

const MAX_EVENTS = 32;

/** Progress callback: frames read so far. */
export type Progress = (frames: number) => void;

/** Per-connection working state of the pass (not part of the facts). */
interface Walked {
  /** Originator (first sender) and responder, as text and (IPv4) number. */
  a: string;
  b: string;
  aPort: number;
  bPort: number;
  a4: number;
  ttlA: Map<number, number>;
  ttlB: Map<number, number>;
  lastFwd: boolean;
  summary?: string;
  /** The connection's application state (conversation-state.ts), once a dissector made one. */
  state?: AppConversationState;
  /** Direction of the full-size segments (`ConnFacts.big`). */
  bigFwd?: boolean;
}

function segmentEvent(frame: number, time: number, src: string, srcPort: number, ttl: number, seq: number): SegmentEvent {
  return { frame, time, src, srcPort, ttl, seq };
}

/** Reads `file` once and gathers the facts. */
export async function collectFacts(file: string, options?: Progress | CollectOptions): Promise<CaptureFacts> {
  const opts: CollectOptions = typeof options === 'function' ? { progress: options } : options ?? {};
  const progress = opts.progress;
  const prints = opts.fingerprint ? new Fingerprinter(file) : null;
  const decoder = new Decoder();
  const tcp = new Map<number, ConnFacts>();
  const udp = new Map<number, ConnFacts>();
  // The pass's own state per connection, by stream (TCP, UDP).
  const walkedTcp = new Map<number, Walked>();
  const walkedUdp = new Map<number, Walked>();
  const facts: CaptureFacts = { file, frames: 0, firstTime: 0, lastTime: 0, conns: [], ttlByAddr: new Map(), icmp: [], synKeys: new Set(), addresses: new Set() };
  const engine = new FlowEngine({
    onSummary: (s) => {
      const c = (s.proto === 'tcp' ? tcp : udp).get(s.stream);
      if (c) c.summary = c.summary ? merge(c.summary, s) : s;
      // The connection is released: its application state goes too (memory follows live connections).
      const w = (s.proto === 'tcp' ? walkedTcp : walkedUdp).get(s.stream);
      const st = streamState(s.proto, s.stream, decoder, true);
      if (c && w && st && st.summary !== w.summary) {
        w.summary = st.summary;
        if (st.summary) push(c.app, { frame: c.lastFrame, time: c.lastTime, text: st.summary });
      }
      if (w) w.state = undefined;
    },
  });
  const fp = new FlowPacket();
  const latestTcpStreamByTuple = new Map<string, number>();
  // With a filter: the connections (TCP, UDP streams) with at least one matching packet.
  const selected = opts.filter ? [new Set<number>(), new Set<number>()] : null;
  // Application dissectors keep their state per connection (stream), looked up by number.
  await filteredPass(file, decoder, engine, opts.filter, (p, matched, r) => {
    const time = r.tsSec + r.tsNsec / 1e9;
    if (facts.frames === 0) facts.firstTime = time;
    facts.frames++;
    facts.lastTime = time;
    if (progress && (facts.frames & 0xffff) === 0) progress(facts.frames);
    const walk = fromDecoded(fp, p);
    if (prints) {
      prints.frameSeen(time);
      if (walk === Walk.Found) prints.add(p.number, time, fp);
    }
    if (walk !== Walk.Found) return;
    const b = fp.buf;
    const o = fp.off;
    if (b.length < o + 4) return;
    const sport = (b[o] << 8) | b[o + 1];
    const dport = (b[o + 2] << 8) | b[o + 3];
    if (fp.quoted) {
      if (!matched) return;
      const src = fp.family === 4 ? ipv4ToString(fp.src4) : ipv6ToString(fp.addrBuf, fp.src6);
      const dst = fp.family === 4 ? ipv4ToString(fp.dst4) : ipv6ToString(fp.addrBuf, fp.dst6);
      const ev = facts.icmp.length < 10_000 ? icmpEvent(facts, p, fp.family as 4 | 6, src, sport, dst, fp.proto, dport, time, latestTcpStreamByTuple) : null;
      if (ev?.mtu && ev.stream !== null) {
        const c = tcp.get(ev.stream);
        if (c && !c.fragNeeded) c.fragNeeded = { frame: ev.frame, time, from: ev.from, mtu: ev.mtu };
      }
      return;
    }
    const isTcp = fp.proto === 6;
    const note = isTcp ? engine.tcpNote : engine.udpNote;
    if (!note.valid) return;
    if (selected && matched) selected[isTcp ? 0 : 1].add(note.stream);
    const table = isTcp ? tcp : udp;
    let c = table.get(note.stream);
    let w = (isTcp ? walkedTcp : walkedUdp).get(note.stream);
    let fwd: boolean;
    if (!c || !w) {
      // Addresses as text once per connection; later packets compare numbers.
      const src = fp.family === 4 ? ipv4ToString(fp.src4) : ipv6ToString(fp.addrBuf, fp.src6);
      const dst = fp.family === 4 ? ipv4ToString(fp.dst4) : ipv6ToString(fp.addrBuf, fp.dst6);
      c = { proto: isTcp ? 'tcp' : 'udp', stream: note.stream, summary: null, firstFrame: p.number, firstTime: time, lastFrame: p.number, lastTime: time, syns: [], synAcks: [], rsts: [], app: [], packets: 0, dataSegments: 0, retransmissions: 0, lostSegments: 0, zeroWindows: 0, zeroWindowFrom: null, zeroWindowFirst: null,
        prevTime: time, gapBeforeLast: 0, idleReset: null, big: null, fragNeeded: null, pmtuRetransmissions: 0 };
      w = { a: src, b: dst, aPort: sport, bPort: dport, a4: fp.family === 4 ? fp.src4 : -1, ttlA: new Map(), ttlB: new Map(), lastFwd: true };
      (isTcp ? walkedTcp : walkedUdp).set(note.stream, w);
      table.set(note.stream, c);
      facts.addresses.add(src);
      facts.addresses.add(dst);
      if (isTcp) {
        latestTcpStreamByTuple.set(`${src} ${sport} ${dst} ${dport}`, note.stream);
        latestTcpStreamByTuple.set(`${dst} ${dport} ${src} ${sport}`, note.stream);
      }
      fwd = true;
    } else {
      fwd = sport === w.aPort && (w.a4 >= 0 && fp.family === 4 ? fp.src4 === w.a4 : ipv6ToString(fp.addrBuf, fp.src6) === w.a);
    }
    const src = fwd ? w.a : w.b;
    const srcPort = fwd ? w.aPort : w.bPort;
    const previousFrame = c.lastFrame;
    const previousTime = c.lastTime;
    const previousFwd = w.lastFwd;
    const previousGap = c.gapBeforeLast;
    c.gapBeforeLast = time - c.lastTime;
    c.prevTime = c.lastTime;
    c.lastFrame = p.number;
    c.lastTime = time;
    w.lastFwd = fwd;
    c.packets++;
    let isRst = false;
    let payload = !isTcp;
    if (isTcp) {
      const flags = engine.tcpNote.flags;
      const seq = b.length >= o + 8 ? ((b[o + 4] << 24) | (b[o + 5] << 16) | (b[o + 6] << 8) | b[o + 7]) >>> 0 : 0;
      let ev: SegmentEvent | undefined;
      isRst = (flags & 0x04) !== 0;
      const a = engine.tcpNote.analysis;
      const len = engine.tcpNote.len;
      if (len > 0) {
        c.dataSegments++;
        payload = true;
      }
      if (a & (A_RETRANSMISSION | A_FAST_RETRANSMISSION)) {
        c.retransmissions++;
        if (c.fragNeeded && time - c.fragNeeded.time < 2) c.pmtuRetransmissions++;
      }
      if (len >= FULL_SIZE && b.length >= o + 8) {
        if (!c.big) {
          c.big = { sender: `${src}:${srcPort}`, firstEnd: (seq + len) >>> 0, len, retrans: 0, acked: false, frames: [], first: p.number };
          w.bigFwd = fwd;
        } else if (w.bigFwd === fwd && a & (A_RETRANSMISSION | A_FAST_RETRANSMISSION)) {
          c.big.retrans++;
          c.big.len = Math.max(c.big.len, len);
          if (c.big.frames.length < 8) c.big.frames.push(p.number);
        }
      } else if (c.big && !c.big.acked && b.length >= o + 14 && flags & 0x10 && w.bigFwd !== fwd) {
        const ack = ((b[o + 8] << 24) | (b[o + 9] << 16) | (b[o + 10] << 8) | b[o + 11]) >>> 0;
        if (((ack - c.big.firstEnd) | 0) >= 0) c.big.acked = true;
      }
      if (a & A_LOST_PACKET) c.lostSegments++;
      if (a & A_ZERO_WINDOW) {
        if (!c.zeroWindows++) {
          c.zeroWindowFrom = `${src}:${srcPort}`;
          c.zeroWindowFirst = (ev ??= segmentEvent(p.number, time, src, srcPort, fp.ttl, seq));
        }
      }
      if (isRst) {
        push(c.rsts, (ev ??= segmentEvent(p.number, time, src, srcPort, fp.ttl, seq)));
        if (!c.idleReset && c.packets > 1) {
          // The RST answers the first packet after a silence, or ends the silence itself.
          const sinceLast = time - previousTime;
          const answered = sinceLast < 1 && previousFwd !== fwd;
          const from = previousFwd ? `${w.a}:${w.aPort}` : `${w.b}:${w.bPort}`;
          c.idleReset = answered
            ? { rst: (ev ??= segmentEvent(p.number, time, src, srcPort, fp.ttl, seq)), trigger: { frame: previousFrame, time: previousTime, from }, idle: previousGap, packetsBefore: c.packets - 2 }
            : { rst: (ev ??= segmentEvent(p.number, time, src, srcPort, fp.ttl, seq)), trigger: null, idle: sinceLast, packetsBefore: c.packets - 1 };
        }
      } else if ((flags & 0x12) === 0x02) {
        push(c.syns, (ev ??= segmentEvent(p.number, time, src, srcPort, fp.ttl, seq)));
        if (facts.synKeys.size < MAX_SYN_KEYS) facts.synKeys.add(synKey(src, srcPort, fwd ? w.b : w.a, fwd ? w.bPort : w.aPort, seq));
      } else if ((flags & 0x12) === 0x12) push(c.synAcks, (ev ??= segmentEvent(p.number, time, src, srcPort, fp.ttl, seq)));
    }
    if (!isRst) {
      const m = fwd ? w.ttlA : w.ttlB;
      m.set(fp.ttl, (m.get(fp.ttl) ?? 0) + 1);
    }
    // Application summary changes (the dissectors ran in decode()); only payload changes them.
    if (!payload) return;
    w.state ??= streamState(c.proto, note.stream, decoder);
    const text = w.state?.summary;
    if (text !== w.summary) {
      w.summary = text;
      if (text) push(c.app, { frame: p.number, time, text });
    }
  });
  facts.conns = [...tcp.values(), ...udp.values()];
  // TTLs by sender address, from the per-connection counts.
  for (const c of facts.conns) {
    const w = (c.proto === 'tcp' ? walkedTcp : walkedUdp).get(c.stream)!;
    for (const [addr, counts] of [[w.a, w.ttlA], [w.b, w.ttlB]] as const) {
      if (!counts.size) continue;
      let m = facts.ttlByAddr.get(addr);
      if (!m) facts.ttlByAddr.set(addr, (m = new Map()));
      for (const [ttl, n] of counts) m.set(ttl, (m.get(ttl) ?? 0) + n);
    }
  }
  // The TTL references stay those of every connection: a forged packet is told by its sender's usual TTL.
  if (selected) facts.conns = facts.conns.filter((c) => selected[c.proto === 'tcp' ? 0 : 1].has(c.stream));
  if (prints) facts.index = prints.finish();
  return facts;
}

/** The key of a SYN in `synKeys`. */
export function synKey(src: string, sport: number, dst: string, dport: number, seq: number): string {
  return `${src}:${sport}>${dst}:${dport}#${seq}`;
}

function push<T>(list: T[], x: T): void {
  if (list.length < MAX_EVENTS) list.push(x);
}

/** Merges two parts of one stream: counts add up, the later part's state wins. */
function merge(a: ConnectionSummary, b: ConnectionSummary): ConnectionSummary {
  return {
    ...b,
    firstFrame: a.firstFrame,
    startSec: a.startSec,
    startNsec: a.startNsec,
    startRelNs: a.startRelNs,
    origPackets: a.origPackets + b.origPackets,
    respPackets: a.respPackets + b.respPackets,
    origPayload: a.origPayload + b.origPayload,
    respPayload: a.respPayload + b.respPayload,
    handshake: a.handshake || b.handshake,
    synRetransmissions: a.synRetransmissions + b.synRetransmissions,
    rsts: [...a.rsts, ...b.rsts],
    history: a.history + b.history,
    irttNs: a.irttNs ?? b.irttNs,
  };
}

/** Records an ICMP/ICMPv6 error quoting a TCP/UDP header. */
function icmpEvent(facts: CaptureFacts, p: Packet, family: 4 | 6, qsrc: string, qsport: number, qdst: string, proto: number, qdport: number,
  time: number, streams: Map<string, number>): IcmpEvent | null {
  let icmp = -1;
  for (let i = 1; i < p.layers; i++) {
    const name = dissectorById(p.proto[i])?.protocol.name;
    if (name === 'icmp' || name === 'icmpv6') {
      icmp = i;
      break;
    }
  }
  if (icmp < 1) return null;
  let ip = -1;
  for (let i = icmp - 1; i > 0 && ip < 0; i--) {
    const name = dissectorById(p.proto[i])?.protocol.name;
    if (name === 'ip' || name === 'ipv6') ip = i;
  }
  if (ip < 0) return null;
  const nb = p.bufferOf(ip);
  const no = p.start[ip];
  const ib = p.bufferOf(icmp);
  const io = p.start[icmp];
  if (ib.length < io + 2) return null;
  const v4 = family === 4 && nb.length >= no + 20;
  const from = v4 ? ipv4ToString(((nb[no + 12] << 24) | (nb[no + 13] << 16) | (nb[no + 14] << 8) | nb[no + 15]) >>> 0)
    : nb.length >= no + 40 ? ipv6ToString(nb, no + 8) : '?';
  const qp = proto === 6 ? 'tcp' : proto === 17 ? 'udp' : 'other';
  const ev: IcmpEvent = {
    frame: p.number, time, from, ttl: v4 ? nb[no + 8] : nb[no + 7], type: ib[io], code: ib[io + 1], family,
    quotedSrc: qsrc, quotedDst: qdst, quotedProto: qp, quotedDstPort: qdport,
    stream: qp === 'tcp' ? streams.get(`${qsrc} ${qsport} ${qdst} ${qdport}`) ?? null : null,
    mtu: ib.length >= io + 8 && ((family === 4 && ib[io] === 3 && ib[io + 1] === 4) || (family === 6 && ib[io] === 2))
      ? (family === 4 ? (ib[io + 6] << 8) | ib[io + 7] : ((ib[io + 4] << 24) | (ib[io + 5] << 16) | (ib[io + 6] << 8) | ib[io + 7]) >>> 0) : 0,
  };
  facts.icmp.push(ev);
  return ev;
}
