/**
 * One pass over a capture that gathers the evidence the diagnosis rules read: every TCP/UDP
 * connection's summary from the flow engine (Zeek `conn_state`/history, SYN resends, RSTs),
 * the times of its SYNs and RSTs, the IP TTL of every non-RST packet by sender (the reference a
 * forged RST is compared with), ICMP errors with the connection they quote, and each change of
 * a connection's application summary (`oracle: REDIRECT to …`, `redis: AUTH failed WRONGPASS …`)
 * with the frame and time it happened.
 *
 * Memory follows the live connections, not the packets: per connection a few capped lists while
 * it lives; once the flow engine releases it, a connection no rule can use (`mayMatter` in
 * rules.ts) is folded into per-address TTL counts and per-endpoint handshake counts unless
 * `keepHealthy` (`wiresage doctor` folds; probe and the web UI keep every connection).
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
import { descriptorAddresses, mayMatter, notableApp } from './rules.js';

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
  /**
   * The whole address part of a TNS REDIRECT (`(DESCRIPTION=(ADDRESS_LIST=(ADDRESS=…)(ADDRESS=…)))`),
   * read from the packet whose REDIRECT changed the summary: the summary names only its first address.
   */
  redirect?: string;
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
  /**
   * TCP: handshakes completed (SYN-ACK seen) between the same client and server port before
   * this connection began — the "connections that worked before" of a story.
   */
  handshakesBefore: number;
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
  /** Addresses seen as a source or destination of IP packets (TCP/UDP). */
  addresses: Set<string>;
  /**
   * Released connections nothing was wrong with (`mayMatter` in rules.ts), counted and folded
   * into `ttlByAddr` and the handshake counts instead of kept (only with `keepHealthy: false`).
   */
  healthyFolded: number;
  /** The display filter (`-Y`) the diagnosis was restricted to, as given; undefined without one. */
  filter?: string;
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
  /**
   * Keep every connection in `conns` (default true: probe, the web UI's tables). With false
   * (`wiresage doctor`) a released connection that no rule can use (`mayMatter`) is only
   * counted, so memory follows the live connections plus the suspicious ones.
   */
  keepHealthy?: boolean;
}

/** Most ICMP errors recorded. */
const MAX_ICMP = 10_000;

const MAX_EVENTS = 32;

/** Progress callback: frames read so far. */
export type Progress = (frames: number) => void;

/**
 * A live connection: its facts and the pass's own working state (released with it). Addresses
 * are text once per connection; later packets compare numbers (IPv4) or bytes (IPv6).
 */
class Live {
  /** Further TTL values of each side beyond the first (rare: route changes, load balancers). */
  ttlMoreA: Map<number, number> | null = null;
  ttlMoreB: Map<number, number> | null = null;
  ttlA = -1;
  ttlCountA = 0;
  ttlB = -1;
  ttlCountB = 0;
  lastFwd = true;
  /** The application state's `revision` last looked at, and the summary it gave. */
  revision = -1;
  summary: string | undefined = undefined;
  /** The connection's application state (conversation-state.ts), once a dissector made one. */
  state: AppConversationState | undefined = undefined;
  /** Direction of the full-size segments (`ConnFacts.big`). */
  bigFwd = false;
  /** With a display filter: a packet of this connection matched it. */
  selected = false;
  /** Its flow in the capture's fingerprints (compare.ts), once known; whether that flow runs from the responder. */
  printFlow = -1;
  printReverseA = false;

  constructor(
    readonly c: ConnFacts,
    /** Originator (first sender) and responder. */
    readonly a: string,
    readonly b: string,
    readonly aPort: number,
    readonly bPort: number,
    /** The originator's IPv4 address as a number (-1 for IPv6), or its 16 IPv6 bytes. */
    readonly a4: number,
    readonly a6: Uint8Array | null,
    /** `client|server|port` of a TCP connection (handshake counts), else ''. */
    readonly endpointKey: string,
  ) {}

  countTtl(fwd: boolean, ttl: number): void {
    if (fwd) {
      if (ttl === this.ttlA) this.ttlCountA++;
      else if (this.ttlA < 0) (this.ttlA = ttl), (this.ttlCountA = 1);
      else addCount((this.ttlMoreA ??= new Map()), ttl, 1);
    } else if (ttl === this.ttlB) this.ttlCountB++;
    else if (this.ttlB < 0) (this.ttlB = ttl), (this.ttlCountB = 1);
    else addCount((this.ttlMoreB ??= new Map()), ttl, 1);
  }

  /** Adds this connection's TTL counts to the capture's per-address ones. */
  foldTtls(into: Map<string, Map<number, number>>): void {
    for (const [addr, ttl, n, more] of [[this.a, this.ttlA, this.ttlCountA, this.ttlMoreA], [this.b, this.ttlB, this.ttlCountB, this.ttlMoreB]] as const) {
      if (!n) continue;
      let m = into.get(addr);
      if (!m) into.set(addr, (m = new Map()));
      addCount(m, ttl, n);
      if (more) for (const [t, k] of more) addCount(m, t, k);
    }
  }

  /** True when the packet's source is the originator. */
  isForward(fp: FlowPacket, sport: number): boolean {
    if (sport !== this.aPort) return false;
    if (this.a6 === null) return fp.family === 4 && fp.src4 === this.a4;
    if (fp.family !== 6) return false;
    const buf = fp.addrBuf;
    const at = fp.src6;
    for (let i = 0; i < 16; i++) if (buf[at + i] !== this.a6[i]) return false;
    return true;
  }
}

function addCount(m: Map<number, number>, key: number, n: number): void {
  m.set(key, (m.get(key) ?? 0) + n);
}

function segmentEvent(frame: number, time: number, src: string, srcPort: number, ttl: number, seq: number): SegmentEvent {
  return { frame, time, src, srcPort, ttl, seq };
}

/** Most `client|server|port` keys whose completed handshakes are counted. */
const MAX_ENDPOINT_KEYS = 200_000;

/** Reads `file` once and gathers the facts. */
export async function collectFacts(file: string, options?: Progress | CollectOptions): Promise<CaptureFacts> {
  const opts: CollectOptions = typeof options === 'function' ? { progress: options } : options ?? {};
  const progress = opts.progress;
  const keepHealthy = opts.keepHealthy ?? true;
  const prints = opts.fingerprint ? new Fingerprinter(file) : null;
  // No rule reads the opaque part of a reassembled PDU (HTTP bodies, TLS encrypted data): it is
  // counted, not copied (Packet.elideOpaque), unless a display filter may look into it.
  const decoder = new Decoder({ elideOpaque: opts.filter === undefined });
  // Live connections by stream (TCP, UDP), and the released ones kept for the rules.
  const liveTcp = new Map<number, Live>();
  const liveUdp = new Map<number, Live>();
  const keptTcp = new Map<number, ConnFacts>();
  const keptUdp = new Map<number, ConnFacts>();
  /** Completed handshakes so far by `client|server|port` (ConnFacts.handshakesBefore). */
  const handshakes = new Map<string, number>();
  /** `host|port` of every address a TNS REDIRECT named so far. */
  const redirectTargets = new Set<string>();
  const facts: CaptureFacts = { file, frames: 0, firstTime: 0, lastTime: 0, conns: [], ttlByAddr: new Map(), icmp: [], addresses: new Set(), healthyFolded: 0 };
  const filtered = opts.filter !== undefined;
  if (opts.filter) facts.filter = opts.filter.text;
  const engine = new FlowEngine({
    onSummary: (s) => {
      const isTcp = s.proto === 'tcp';
      // The connection is released: its application state goes too (memory follows live connections).
      const st = streamState(s.proto, s.stream, decoder, true);
      const live = (isTcp ? liveTcp : liveUdp).get(s.stream);
      if (!live) return; // only ever quoted in ICMP errors
      (isTcp ? liveTcp : liveUdp).delete(s.stream);
      const c = live.c;
      c.summary = c.summary ? merge(c.summary, s) : s;
      if (st && st.revision !== live.revision) noteSummary(live, st.summary, c.lastFrame, c.lastTime, keepHealthy);
      live.foldTtls(facts.ttlByAddr);
      const kept = isTcp ? keptTcp : keptUdp;
      if (kept.has(c.stream)) return; // an earlier part was kept: this record continued it
      // Without a display filter's match the connection is not diagnosed (its TTLs still count).
      if (filtered && !live.selected) return;
      // Connections to an address a TNS REDIRECT named tell which of its addresses worked.
      if (keepHealthy || mayMatter(c) || (isTcp && redirectTargets.size && redirectTargets.has(`${live.b}|${live.bPort}`))) kept.set(c.stream, c);
      else facts.healthyFolded++;
    },
  });
  const fp = new FlowPacket();
  // Application dissectors keep their state per connection (stream), looked up by number.
  await filteredPass(file, decoder, engine, opts.filter, (p, matched, r) => {
    const time = r.tsSec + r.tsNsec / 1e9;
    if (facts.frames === 0) facts.firstTime = time;
    facts.frames++;
    facts.lastTime = time;
    if (progress && (facts.frames & 0xffff) === 0) progress(facts.frames);
    const walk = fromDecoded(fp, p);
    prints?.frameSeen(time);
    if (walk !== Walk.Found) return;
    const b = fp.buf;
    const o = fp.off;
    if (b.length < o + 4) return;
    const sport = (b[o] << 8) | b[o + 1];
    const dport = (b[o + 2] << 8) | b[o + 3];
    const isTcp = fp.proto === 6;
    const note = isTcp ? engine.tcpNote : engine.udpNote;
    if (fp.quoted) {
      if (!matched || facts.icmp.length >= MAX_ICMP) return;
      // The engine looked the quoted connection up: its stream is the one the error is about.
      const stream = isTcp && note.valid ? note.stream : null;
      const ev = icmpEvent(facts, p, fp, dport, time, stream);
      if (ev?.mtu && stream !== null) {
        const c = liveTcp.get(stream)?.c ?? keptTcp.get(stream);
        if (c && !c.fragNeeded) c.fragNeeded = { frame: ev.frame, time, from: ev.from, mtu: ev.mtu };
      }
      return;
    }
    if (!note.valid) {
      prints?.add(p.number, time, fp);
      return;
    }
    const lives = isTcp ? liveTcp : liveUdp;
    let w = lives.get(note.stream);
    let fwd = true;
    if (w === undefined) {
      const src = fp.family === 4 ? ipv4ToString(fp.src4) : ipv6ToString(fp.addrBuf, fp.src6);
      const dst = fp.family === 4 ? ipv4ToString(fp.dst4) : ipv6ToString(fp.addrBuf, fp.dst6);
      // A resumed stream whose earlier part was kept goes on in the same record.
      let c = (isTcp ? keptTcp : keptUdp).get(note.stream);
      const endpointKey = isTcp ? `${src}|${dst}|${dport}` : '';
      if (!c) {
        c = { proto: isTcp ? 'tcp' : 'udp', stream: note.stream, summary: null, firstFrame: p.number, firstTime: time, lastFrame: p.number, lastTime: time, syns: [], synAcks: [], rsts: [], app: [], packets: 0, dataSegments: 0, retransmissions: 0, lostSegments: 0, zeroWindows: 0, zeroWindowFrom: null, zeroWindowFirst: null,
          prevTime: time, gapBeforeLast: 0, idleReset: null, big: null, fragNeeded: null, pmtuRetransmissions: 0, handshakesBefore: isTcp ? handshakes.get(endpointKey) ?? 0 : 0 };
      }
      w = new Live(c, src, dst, sport, dport, fp.family === 4 ? fp.src4 : -1, fp.family === 4 ? null : fp.addrBuf.slice(fp.src6, fp.src6 + 16), endpointKey);
      lives.set(note.stream, w);
      facts.addresses.add(src);
      facts.addresses.add(dst);
    } else {
      fwd = w.isForward(fp, sport);
    }
    if (matched) w.selected = true;
    const c = w.c;
    const src = fwd ? w.a : w.b;
    // The packet's connection is known: its fingerprint flow is looked up once per connection.
    if (prints && b.length >= o + (isTcp ? 20 : 8)) {
      if (w.printFlow < 0) {
        const [id, reverse] = prints.flowOfConnection(fp, isTcp ? note.stream * 2 : note.stream * 2 + 1, src, sport);
        w.printFlow = id;
        w.printReverseA = fwd ? reverse : !reverse;
      }
      prints.addToFlow(p.number, time, fp, w.printFlow, fwd ? w.printReverseA : !w.printReverseA);
    }
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
      const tn = engine.tcpNote;
      const flags = tn.flags;
      const seq = b.length >= o + 8 ? ((b[o + 4] << 24) | (b[o + 5] << 16) | (b[o + 6] << 8) | b[o + 7]) >>> 0 : 0;
      isRst = (flags & 0x04) !== 0;
      const a = tn.analysis;
      const len = tn.len;
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
      if (a & A_ZERO_WINDOW && !c.zeroWindows++) {
        c.zeroWindowFrom = `${src}:${srcPort}`;
        c.zeroWindowFirst = segmentEvent(p.number, time, src, srcPort, fp.ttl, seq);
      }
      if (isRst) {
        const ev = segmentEvent(p.number, time, src, srcPort, fp.ttl, seq);
        push(c.rsts, ev);
        if (!c.idleReset && c.packets > 1) {
          // The RST answers the first packet after a silence, or ends the silence itself.
          const sinceLast = time - previousTime;
          const answered = sinceLast < 1 && previousFwd !== fwd;
          const from = previousFwd ? `${w.a}:${w.aPort}` : `${w.b}:${w.bPort}`;
          c.idleReset = answered
            ? { rst: ev, trigger: { frame: previousFrame, time: previousTime, from }, idle: previousGap, packetsBefore: c.packets - 2 }
            : { rst: ev, trigger: null, idle: sinceLast, packetsBefore: c.packets - 1 };
        }
      } else if ((flags & 0x12) === 0x02) {
        push(c.syns, segmentEvent(p.number, time, src, srcPort, fp.ttl, seq));
      } else if ((flags & 0x12) === 0x12) {
        // The first SYN-ACK from the responder: one more handshake between these endpoints.
        if (!fwd && !c.synAcks.length && w.endpointKey && (handshakes.size < MAX_ENDPOINT_KEYS || handshakes.has(w.endpointKey))) {
          handshakes.set(w.endpointKey, (handshakes.get(w.endpointKey) ?? 0) + 1);
        }
        push(c.synAcks, segmentEvent(p.number, time, src, srcPort, fp.ttl, seq));
      }
    }
    if (!isRst) w.countTtl(fwd, fp.ttl);
    // Application summary changes (the dissectors ran in decode()); only payload changes them.
    if (!payload) return;
    const st = (w.state ??= streamState(c.proto, note.stream, decoder));
    if (st !== undefined && st.revision !== w.revision) {
      w.revision = st.revision;
      noteSummary(w, st.summary, p.number, time, keepHealthy, p);
      const last = c.app[c.app.length - 1];
      if (last?.redirect !== undefined && last.frame === p.number) for (const x of descriptorAddresses(last.redirect)) redirectTargets.add(`${x.host}|${x.port}`);
    }
  });
  const byStream = (x: ConnFacts, y: ConnFacts) => x.stream - y.stream;
  facts.conns = [...[...keptTcp.values()].sort(byStream), ...[...keptUdp.values()].sort(byStream)];
  if (prints) facts.index = prints.finish();
  return facts;
}

/**
 * Records the application summary when its text changed. Folding (`keepHealthy: false`), the
 * list keeps only what the rules read (`notableApp`) plus the latest summary: an unremarkable
 * one is dropped when the next arrives.
 */
function noteSummary(w: Live, text: string | undefined, frame: number, time: number, all: boolean, p?: Packet): void {
  if (text === w.summary) return;
  w.summary = text;
  if (!text) return;
  const app = w.c.app;
  if (!all && app.length && !notableApp(app[app.length - 1].text)) app.pop();
  const redirect = p && text.startsWith(TNS_REDIRECT_SUMMARY) ? tnsRedirectAddress(p) : undefined;
  push(app, redirect !== undefined ? { frame, time, text, redirect } : { frame, time, text });
}

/** How src/protocols/tns.ts summarises a REDIRECT. */
const TNS_REDIRECT_SUMMARY = 'oracle: REDIRECT to ';
const TNS_REDIRECT = 5;
const TNS_DATA = 6;
/** Longest redirect address kept (a DESCRIPTION_LIST of a few RAC nodes is well under it). */
const MAX_REDIRECT_TEXT = 4096;

/**
 * The address part of the redirect data in a packet's TNS layers: a REDIRECT's data (after its
 * 2-byte length) or the DATA packet that follows a header-only REDIRECT (after its 2-byte flags),
 * up to the NUL before connect data. The last such PDU of the packet counts.
 */
function tnsRedirectAddress(p: Packet): string | undefined {
  let found: string | undefined;
  for (let i = 1; i < p.layers; i++) {
    if (dissectorById(p.proto[i])?.protocol.name !== 'tns') continue;
    const b = p.bufferOf(i);
    const o = p.start[i];
    const end = Math.min(p.end[i], b.length, o + 10 + MAX_REDIRECT_TEXT);
    if (end - o <= 10) continue;
    const type = b[o + 4];
    if (type !== TNS_REDIRECT && !(type === TNS_DATA && b[o + 10] === 0x28)) continue;
    let text = '';
    for (let k = o + 10; k < end && b[k] !== 0; k++) text += String.fromCharCode(b[k]);
    if (text.includes('(')) found = text;
  }
  return found;
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
function icmpEvent(facts: CaptureFacts, p: Packet, fp: FlowPacket, qdport: number, time: number, stream: number | null): IcmpEvent | null {
  const family = fp.family as 4 | 6;
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
  const qp = fp.proto === 6 ? 'tcp' : fp.proto === 17 ? 'udp' : 'other';
  const qsrc = family === 4 ? ipv4ToString(fp.src4) : ipv6ToString(fp.addrBuf, fp.src6);
  const qdst = family === 4 ? ipv4ToString(fp.dst4) : ipv6ToString(fp.addrBuf, fp.dst6);
  const ev: IcmpEvent = {
    frame: p.number, time, from, ttl: v4 ? nb[no + 8] : nb[no + 7], type: ib[io], code: ib[io + 1], family,
    quotedSrc: qsrc, quotedDst: qdst, quotedProto: qp, quotedDstPort: qdport,
    stream: qp === 'tcp' ? stream : null,
    mtu: ib.length >= io + 8 && ((family === 4 && ib[io] === 3 && ib[io + 1] === 4) || (family === 6 && ib[io] === 2))
      ? (family === 4 ? (ib[io + 6] << 8) | ib[io + 7] : ((ib[io + 4] << 24) | (ib[io + 5] << 16) | (ib[io + 6] << 8) | ib[io + 7]) >>> 0) : 0,
  };
  facts.icmp.push(ev);
  return ev;
}
