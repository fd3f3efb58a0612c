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
import { openCapture } from '../file/open.js';
import type { ConnectionSummary } from '../flows/conversation.js';
import { FlowEngine } from '../flows/index.js';
import { FlowPacket, fromDecoded, Walk } from '../flows/headers.js';
import { A_FAST_RETRANSMISSION, A_LOST_PACKET, A_RETRANSMISSION, A_ZERO_WINDOW } from '../flows/tcp-analysis.js';
import { appSummary, conversationKey } from '../protocols/index.js';
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
}

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
}

const MAX_SYN_KEYS = 1_000_000;

const MAX_EVENTS = 32;

/** Progress callback: frames read so far. */
export type Progress = (frames: number) => void;

/** Reads `file` once and gathers the facts. */
export async function collectFacts(file: string, options?: Progress | CollectOptions): Promise<CaptureFacts> {
  const opts: CollectOptions = typeof options === 'function' ? { progress: options } : options ?? {};
  const progress = opts.progress;
  const prints = opts.fingerprint ? new Fingerprinter(file) : null;
  const decoder = new Decoder();
  const tcp = new Map<number, ConnFacts>();
  const udp = new Map<number, ConnFacts>();
  const facts: CaptureFacts = { file, frames: 0, firstTime: 0, lastTime: 0, conns: [], ttlByAddr: new Map(), icmp: [], synKeys: new Set(), addresses: new Set() };
  const engine = new FlowEngine({
    onSummary: (s) => {
      const c = (s.proto === 'tcp' ? tcp : udp).get(s.stream);
      if (c) c.summary = c.summary ? merge(c.summary, s) : s;
    },
  });
  const fp = new FlowPacket();
  const lastSummaryByKey = new Map<string, string | undefined>();
  const latestTcpStreamByTuple = new Map<string, number>();
  const reader = await openCapture(file);
  try {
    await reader.forEach((r) => {
      const p = decoder.decode(r);
      engine.packet(p);
      const time = r.tsSec + r.tsNsec / 1e9;
      if (facts.frames === 0) facts.firstTime = time;
      facts.frames++;
      facts.lastTime = time;
      if (progress && (facts.frames & 0xffff) === 0) progress(facts.frames);
      const w = fromDecoded(fp, p);
      if (prints) {
        prints.frameSeen(time);
        if (w === Walk.Found) prints.add(p.number, time, fp);
      }
      if (w !== Walk.Found) return;
      const src = fp.family === 4 ? ipv4ToString(fp.src4) : ipv6ToString(fp.addrBuf, fp.src6);
      const dst = fp.family === 4 ? ipv4ToString(fp.dst4) : ipv6ToString(fp.addrBuf, fp.dst6);
      const b = fp.buf;
      const o = fp.off;
      if (b.length < o + 4) return;
      const sport = (b[o] << 8) | b[o + 1];
      const dport = (b[o + 2] << 8) | b[o + 3];
      if (fp.quoted) {
        if (facts.icmp.length < 10_000) icmpEvent(facts, p, fp.family as 4 | 6, src, sport, dst, fp.proto, dport, time, latestTcpStreamByTuple);
        return;
      }
      const isTcp = fp.proto === 6;
      const note = isTcp ? engine.tcpNote : engine.udpNote;
      if (!note.valid) return;
      const table = isTcp ? tcp : udp;
      let c = table.get(note.stream);
      if (!c) {
        c = { proto: isTcp ? 'tcp' : 'udp', stream: note.stream, summary: null, firstFrame: p.number, firstTime: time, lastFrame: p.number, lastTime: time, syns: [], synAcks: [], rsts: [], app: [], packets: 0, dataSegments: 0, retransmissions: 0, lostSegments: 0, zeroWindows: 0, zeroWindowFrom: null, zeroWindowFirst: null };
        table.set(note.stream, c);
      }
      c.lastFrame = p.number;
      c.lastTime = time;
      c.packets++;
      let isRst = false;
      if (isTcp) {
        latestTcpStreamByTuple.set(`${src} ${sport} ${dst} ${dport}`, note.stream);
        const flags = engine.tcpNote.flags;
        const seq = b.length >= o + 8 ? ((b[o + 4] << 24) | (b[o + 5] << 16) | (b[o + 6] << 8) | b[o + 7]) >>> 0 : 0;
        const ev: SegmentEvent = { frame: p.number, time, src, srcPort: sport, ttl: fp.ttl, seq };
        isRst = (flags & 0x04) !== 0;
        const a = engine.tcpNote.analysis;
        if (engine.tcpNote.len > 0) c.dataSegments++;
        if (a & (A_RETRANSMISSION | A_FAST_RETRANSMISSION)) c.retransmissions++;
        if (a & A_LOST_PACKET) c.lostSegments++;
        if (a & A_ZERO_WINDOW) {
          if (!c.zeroWindows++) {
            c.zeroWindowFrom = `${src}:${sport}`;
            c.zeroWindowFirst = ev;
          }
        }
        if (isRst) push(c.rsts, ev);
        else if ((flags & 0x12) === 0x02) {
          push(c.syns, ev);
          if (facts.synKeys.size < MAX_SYN_KEYS) facts.synKeys.add(synKey(src, sport, dst, dport, seq));
        }
        else if ((flags & 0x12) === 0x12) push(c.synAcks, ev);
      }
      facts.addresses.add(src);
      facts.addresses.add(dst);
      if (!isRst) {
        let m = facts.ttlByAddr.get(src);
        if (!m) facts.ttlByAddr.set(src, (m = new Map()));
        m.set(fp.ttl, (m.get(fp.ttl) ?? 0) + 1);
      }
      // Application summary changes (the dissectors ran in decode()).
      const key = conversationKey(c.proto, src, sport, dst, dport);
      const text = appSummary(key, decoder);
      if (text !== lastSummaryByKey.get(key)) {
        lastSummaryByKey.set(key, text);
        if (text) push(c.app, { frame: p.number, time, text });
      }
    });
  } finally {
    reader.close();
  }
  engine.finish();
  facts.conns = [...tcp.values(), ...udp.values()];
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
  time: number, streams: Map<string, number>): void {
  let icmp = -1;
  for (let i = 1; i < p.layers; i++) {
    const name = dissectorById(p.proto[i])?.protocol.name;
    if (name === 'icmp' || name === 'icmpv6') {
      icmp = i;
      break;
    }
  }
  if (icmp < 1) return;
  let ip = -1;
  for (let i = icmp - 1; i > 0 && ip < 0; i--) {
    const name = dissectorById(p.proto[i])?.protocol.name;
    if (name === 'ip' || name === 'ipv6') ip = i;
  }
  if (ip < 0) return;
  const nb = p.bufferOf(ip);
  const no = p.start[ip];
  const ib = p.bufferOf(icmp);
  const io = p.start[icmp];
  if (ib.length < io + 2) return;
  const v4 = family === 4 && nb.length >= no + 20;
  const from = v4 ? ipv4ToString(((nb[no + 12] << 24) | (nb[no + 13] << 16) | (nb[no + 14] << 8) | nb[no + 15]) >>> 0)
    : nb.length >= no + 40 ? ipv6ToString(nb, no + 8) : '?';
  const qp = proto === 6 ? 'tcp' : proto === 17 ? 'udp' : 'other';
  facts.icmp.push({
    frame: p.number, time, from, ttl: v4 ? nb[no + 8] : nb[no + 7], type: ib[io], code: ib[io + 1], family,
    quotedSrc: qsrc, quotedDst: qdst, quotedProto: qp, quotedDstPort: qdport,
    stream: qp === 'tcp' ? streams.get(`${qsrc} ${qsport} ${qdst} ${qdport}`) ?? null : null,
  });
}
