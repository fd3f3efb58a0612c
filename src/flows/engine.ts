/**
 * The connections engine: one streaming pass that tracks every TCP and UDP conversation,
 * numbers them as tshark does (`tcp.stream`, `udp.stream`), runs Wireshark's TCP sequence
 * analysis on each segment, counts expert items, and emits a summary per connection when it
 * is released — so memory follows the live connections, not the packets.
 *
 * Feed it every packet in capture order, either decoded (`engine.packet(decoder.decode(r))`,
 * which also annotates the Packet for the detail tree and `-T fields`; with
 * `engine.attach(decoder)` first, connections are tracked during the walk, right after each
 * transport layer, so application dissectors see `tcp.stream`) or raw (`engine.record(r)`, the
 * statistics commands' path: the engine's own Decoder walks only up to the transport layers).
 * There is one header walk, the Decoder's. Call `finish()` at the end.
 *
 * Stream numbering follows Wireshark 4.0: a tuple seen for the first time opens a stream; a
 * SYN (without ACK) whose sequence number differs from the one its sender used before on that
 * tuple opens a new one (`tcp.analysis.reused_ports`); anything else continues the stream,
 * however long ago it was seen. A released connection therefore leaves a compact tombstone
 * (key, stream number and the sequence state — 192 bytes) so a late packet on its tuple keeps
 * its stream number and relative sequence numbers; tombstones are bounded too
 * (`maxTombstones`, oldest dropped first).
 *
 * @example
 * const engine = new FlowEngine({ onSummary: (s) => console.log(s.stream, s.connState, s.history) });
 * await reader.forEach((r) => engine.record(r));
 * engine.finish();
 */
import { Decoder } from '../decode/decoder.js';
import { dissectorById } from '../decode/dissector.js';
import type { ExpertSeverity, Packet } from '../decode/packet.js';
import type { CaptureRecord } from '../file/types.js';
import { ConnStats, type ConnectionSummary } from './conversation.js';
import { Expert, ExpertTally, expertKinds, expertMessage } from './expert.js';
import { FlowKey, FlowTable, KEY_WORDS } from './key.js';
import { FlowPacket, fromLayers, fromQuoted, transportIds as ids, Walk } from './headers.js';
import {
  A_ACK_LOST_PACKET, A_DUPLICATE_ACK, A_FAST_RETRANSMISSION, A_KEEP_ALIVE, A_KEEP_ALIVE_ACK, A_LOST_PACKET,
  A_OUT_OF_ORDER, A_RETRANSMISSION, A_REUSED_PORTS, A_SPURIOUS_RETRANSMISSION, A_WINDOW_FULL, A_WINDOW_UPDATE,
  A_ZERO_WINDOW, A_ZERO_WINDOW_PROBE, A_ZERO_WINDOW_PROBE_ACK, analyzeSequence, deltaNsec, deltaSec, C_ACK, C_DATA, C_FIN, C_RST, C_SYNACK,
  C_SYNSENT, Instant, R_ACK_NONZERO, R_DSACK, R_EOL_PADDING, R_MSS_ABSENT, R_MSS_PRESENT, R_NOP_RUN,
  R_URGENT_NONZERO, R_WSCALE_INVALID, S_BASE_SEQ_SET, SegmentPool, TcpConversation, TcpFlow, TcpNote, TH_ACK, TH_FIN, TH_RST, TH_SYN, TH_URG,
} from './tcp-analysis.js';
import { DOUBLE_ZERO, seqGe, seqLe, seqLt } from './seq.js';
import { warmUpRecords } from './synthetic.js';

export interface FlowEngineOptions {
  /** Seconds (capture time) a closed connection is kept before its summary is emitted. Default 60. */
  closedTimeout?: number;
  /** Seconds without packets after which an open TCP connection is summarised and released. Default 600. */
  idleTimeout?: number;
  /** Same for UDP conversations. Default 120. */
  udpIdleTimeout?: number;
  /** Most released connections remembered for stream numbering. Default 1,000,000 (~192 MB at most). */
  maxTombstones?: number;
  /** Called with each connection's summary when it is released, and for every live one at `finish()`. */
  onSummary?: (s: ConnectionSummary) => void;
  /** Counts expert items (the `expert` command). */
  experts?: ExpertTally;
  /** Records expert items on the Packet (`p.experts`) for the detail tree and `_ws.expert.*`. */
  packetExperts?: boolean;
  /**
   * Receives every analysed TCP segment (data or not) with its connection, for reassembly and
   * follow: raw SEQ/ACK, flags, and the payload as `len` reported bytes of which `captured`
   * are in `buf` from `off` (a view valid only during the call).
   */
  onTcpSegment?: (conn: TcpConnection, fromLow: boolean, frame: number, seq: number, ack: number, flags: number,
    buf: Uint8Array, off: number, len: number, captured: number) => void;
  /** Called when a TCP connection is released (reassembly state can be dropped). */
  onTcpRelease?: (conn: TcpConnection) => void;
  /**
   * Run the built-in warm-up traffic once per process before the first engine starts (default
   * true): V8 then optimises the per-packet code having seen every branch, instead of
   * optimising early and deoptimising on the first retransmission or zero window.
   */
  warmUp?: boolean;
}

/** A live TCP connection: Wireshark's analysis state plus the summary counters. */
export class TcpConnection extends TcpConversation {
  readonly stats = new ConnStats();
  handle = 0;
  /** True once both FINs or a RST were seen (it then expires after `closedTimeout`). */
  closed = false;
  /** Free slot for consumers (reassembly state of the follow command, app protocols). */
  user: unknown = null;
}

/** A live UDP conversation. */
export class UdpConnection {
  readonly stats = new ConnStats();
  handle = 0;

  constructor(public stream: number) {}
}

/** What the engine found for the current packet's UDP header (`udp.stream`). */
export class UdpNote {
  valid = false;
  stream = 0;
  /** Streams of every UDP header of the frame (tunnels carry several), in order. */
  count = 0;
  readonly streams = new Int32Array(4);
}

// Handle encoding in the key table: slot << 2 | kind.
const LIVE_TCP = 0;
const LIVE_UDP = 1;
const TOMB_TCP = 2;
const TOMB_UDP = 3;

// Tombstone layout (per slot): 32 u32 words and 8 f64 (192 bytes).
const T_U32 = 32;
const T_F64 = 8;
const TU_STREAM = 10;
const TU_MISC = 11; // completeness | alive << 8
const TU_FLOW = 12; // 10 words per flow
const FLOW_WORDS = 10;
/**
 * Tombstones live in pages of 1024 slots (192 KB), added as released connections need them:
 * the ring never copies itself to grow (no old copy left for the collector, no doubling past
 * what is used).
 */
const TOMB_PAGE_BITS = 10;
const TOMB_PAGE = 1 << TOMB_PAGE_BITS;
const TOMB_MASK = TOMB_PAGE - 1;

/** Counters the benchmark and tests read. */
export interface FlowEngineStats {
  packets: number;
  tcpPackets: number;
  udpPackets: number;
  /** Frames the fast header walk could not handle and gave to the Decoder. */
  decoded: number;
  tcpStreams: number;
  udpStreams: number;
  liveTcp: number;
  liveUdp: number;
  peakLiveTcp: number;
  peakLiveUdp: number;
  tombstones: number;
  revived: number;
  released: number;
}

export class FlowEngine {
  readonly tcpNote = new TcpNote();
  /** The current packet's time. */
  readonly now = new Instant();
  readonly udpNote = new UdpNote();
  readonly stats: FlowEngineStats = {
    packets: 0, tcpPackets: 0, udpPackets: 0, decoded: 0, tcpStreams: 0, udpStreams: 0, liveTcp: 0, liveUdp: 0,
    peakLiveTcp: 0, peakLiveUdp: 0, tombstones: 0, revived: 0, released: 0,
  };
  private readonly closedTimeoutNs: number;
  private readonly idleTimeoutNs: number;
  private readonly udpIdleTimeoutNs: number;
  private readonly maxTombstones: number;
  private readonly onSummary?: (s: ConnectionSummary) => void;
  private readonly experts?: ExpertTally;
  private readonly packetExperts: boolean;
  private readonly onTcpSegment?: FlowEngineOptions['onTcpSegment'];
  private readonly onTcpRelease?: FlowEngineOptions['onTcpRelease'];

  private readonly key = new FlowKey();
  /** The last TCP/IPv4 tuple looked up and its live connection's handle (-1: none). */
  private readonly cache = { handle: -1, src: DOUBLE_ZERO, dst: DOUBLE_ZERO, sport: 0, dport: 0, fromLow: false };
  private readonly table = new FlowTable(4096);
  readonly segments = new SegmentPool();
  private readonly fp = new FlowPacket();
  private tcpLive: Array<TcpConnection | null> = [];
  /** Key words of each live connection, by slot (10 words each). */
  private tcpKeys: Uint32Array<ArrayBuffer> = new Uint32Array(1024 * KEY_WORDS);
  private udpKeys: Uint32Array<ArrayBuffer> = new Uint32Array(1024 * KEY_WORDS);
  private tcpFree: number[] = [];
  private udpLive: Array<UdpConnection | null> = [];
  private udpFree: number[] = [];
  /**
   * Last activity (capture-relative ns) of each live connection by slot: expiry scans these
   * once per second of capture time, so a packet only writes one number (no list to reorder).
   */
  private tcpLastSeen: Float64Array<ArrayBuffer> = new Float64Array(1024);
  private udpLastSeen: Float64Array<ArrayBuffer> = new Float64Array(1024);
  /**
   * Lower bounds of the live connections' last activity: the per-second expiry scan runs only
   * when one of them may be idle past a timeout (it then computes them again). A bound lowers
   * when a packet's time is earlier (capture times going back) and stays low otherwise.
   */
  private tcpMinSeen = Infinity;
  /** The same bound over the closed TCP connections (their shorter timeout), set when one closes. */
  private tcpMinClosed = Infinity;
  private udpMinSeen = Infinity;
  private tombU32: Uint32Array[] = [];
  private tombF64: Float64Array[] = [];
  private tombCap = 0;
  private tombNext = 0;
  private tcpStreams = 0;
  private udpStreams = 0;
  // Frame numbering and capture-relative time for the raw path.
  private frame = 0;
  private firstSec = DOUBLE_ZERO;
  private firstNsec = 0;
  private started = false;
  private nowNs = DOUBLE_ZERO;
  private nextExpiry = DOUBLE_ZERO;
  private decoder: Decoder | null = null;
  /** The packet being annotated (packet path) and its transport layer. */
  private pkt: Packet | null = null;
  private layer = -1;
  private tallyOn = false;
  /** The packet whose walk the engine is following (`attach`), its number, and whether a connection was found in it. */
  private begun: Packet | null = null;
  private begunNumber = 0;
  private found = false;

  private static warmed = false;

  /** Feeds the synthetic warm-up traffic through two throw-away engines (about 200 frames). */
  static warmUp(): void {
    FlowEngine.warmed = true;
    const records = warmUpRecords();
    for (let i = 0; i < 2; i++) {
      const e = new FlowEngine({ warmUp: false, experts: new ExpertTally(), onSummary: () => {}, onTcpSegment: () => {}, onTcpRelease: () => {} });
      for (const r of records) e.record(r);
      e.finish();
    }
  }

  constructor(opts: FlowEngineOptions = {}) {
    if (opts.warmUp !== false && !FlowEngine.warmed) FlowEngine.warmUp();
    this.closedTimeoutNs = (opts.closedTimeout ?? 60) * 1e9;
    this.idleTimeoutNs = (opts.idleTimeout ?? 600) * 1e9;
    this.udpIdleTimeoutNs = (opts.udpIdleTimeout ?? 120) * 1e9;
    this.maxTombstones = Math.max(16, opts.maxTombstones ?? 1_000_000);
    this.onSummary = opts.onSummary;
    this.experts = opts.experts;
    this.packetExperts = opts.packetExperts ?? false;
    this.onTcpSegment = opts.onTcpSegment;
    this.onTcpRelease = opts.onTcpRelease;
  }

  /**
   * A packet the Decoder dissected (call for every packet, in order). Every TCP and UDP layer
   * of its layer stack is tracked, outer ones first (a VXLAN or GRE tunnel's own UDP/IP as
   * well as the connection inside it, as tshark does); a TCP/UDP header quoted in an ICMP
   * error only gets its stream number. Annotates the packet: `p.flow` is the engine's TcpNote
   * or UdpNote for the innermost transport layer's tree hooks.
   */
  packet(p: Packet): void {
    const fp = this.fp;
    const inWalk = this.begun === p && this.begunNumber === p.number;
    this.begun = null;
    if (!inWalk) {
      this.begin(p);
      if (this.experts && p.experts.length) this.countDecoderExperts(p);
      this.pkt = p;
      try {
        let net = -1;
        for (let i = 1; i < p.layers; i++) {
          if (p.parent[i] >= 0) continue; // quoted in an ICMP error: below
          const id = p.proto[i];
          if (id === ids.ip || id === ids.ipv6) {
            net = i;
          } else if ((id === ids.tcp || id === ids.udp) && net >= 0 && fromLayers(fp, p, net, i) === Walk.Found) {
            this.layer = i;
            this.flow(fp, p.number, p.origLen);
            this.found = true;
          }
        }
      } finally {
        this.pkt = null;
      }
    } else if (this.experts && p.experts.length) {
      this.countDecoderExperts(p);
    }
    if (!this.found && fromQuoted(fp, p) === Walk.Found) {
      this.pkt = p;
      try {
        this.layer = fp.layer;
        this.flow(fp, p.number, p.origLen);
        this.found = true;
      } finally {
        this.pkt = null;
      }
    }
    if (this.found) p.flow = fp.proto === 6 ? this.tcpNote : this.udpNote;
    if (this.udpNote.count) p.udpFlow = this.udpNote;
  }

  /**
   * Tracks connections while `decoder` walks each packet, right after each transport layer
   * and before the application dissectors run: they then see the connection (`p.flow`, its
   * `tcp.stream`) and keep their state per connection, not per address/port pair. Call
   * `packet(p)` after each `decoder.decode(r)` as without it (it finishes the frame).
   */
  attach(decoder: Decoder): void {
    decoder.packet.onTransport = (p, layer) => this.transport(p, layer);
  }

  /** One transport layer of the packet being walked (see `attach`). */
  private transport(p: Packet, layer: number): void {
    if (this.begun !== p || this.begunNumber !== p.number) {
      this.begin(p);
      this.begun = p;
      this.begunNumber = p.number;
    }
    let net = -1;
    for (let i = layer - 1; i > 0 && net < 0; i--) {
      if (p.parent[i] < 0 && (p.proto[i] === ids.ip || p.proto[i] === ids.ipv6)) net = i;
    }
    const fp = this.fp;
    if (fromLayers(fp, p, net, layer) !== Walk.Found) return;
    this.pkt = p;
    try {
      this.layer = layer;
      this.flow(fp, p.number, p.origLen);
    } finally {
      this.pkt = null;
    }
    this.found = true;
    p.flow = fp.proto === 6 ? this.tcpNote : this.udpNote;
  }

  /** Starts a frame: the clock, and no connection found yet. */
  private begin(p: Packet): void {
    this.clock(p.tsSec, p.tsNsec);
    this.frame = p.number;
    this.tcpNote.valid = false;
    this.udpNote.valid = false;
    this.udpNote.count = 0;
    this.found = false;
  }

  /**
   * A raw capture record (the statistics commands' path): the engine's own Decoder walks it
   * up to the transport layers (no application dissectors), tracking connections as it goes.
   */
  record(r: CaptureRecord): void {
    this.stats.decoded++;
    if (!this.decoder) {
      this.decoder = new Decoder({ transportOnly: true });
      this.attach(this.decoder);
    }
    this.packet(this.decoder.decode(r));
  }

  private countDecoderExperts(p: Packet): void {
    for (const e of p.experts) {
      const name = dissectorById(p.proto[e.layer])?.protocol.name ?? '';
      this.experts!.addItem(e, protocolShortName(name), p.number);
    }
  }

  /** Sets `this.now` from a packet's timestamp (relative to the first frame: exact to 104 days). */
  private clock(sec: number, nsec: number): void {
    const now = this.now;
    if (!this.started) {
      this.started = true;
      this.firstSec = now.baseSec = sec;
      this.firstNsec = now.baseNsec = nsec;
    }
    const rel = (sec - this.firstSec) * 1e9 + (nsec - this.firstNsec);
    now.rel = rel;
    now.sec = sec;
    now.nsec = nsec;
    this.stats.packets++;
    if (rel > this.nowNs) this.nowNs = rel;
    if (this.nowNs >= this.nextExpiry) {
      this.expire();
      this.nextExpiry = this.nowNs + 1e9;
    }
  }

  private flow(fp: FlowPacket, frame: number, frameLen: number): void {
    if (fp.proto === 6) this.tcp(fp, frame, frameLen);
    else this.udp(fp, frame, frameLen);
  }

  private setKey(fp: FlowPacket, proto: number, sport: number, dport: number): void {
    if (fp.family === 4) this.key.setV4(proto, fp.src4 | 0, fp.dst4 | 0, sport, dport);
    else this.key.setV6(proto, fp.addrBuf, fp.src6, fp.dst6, sport, dport);
  }

  /** Sets a new connection's endpoints (the originator and start come with its first counted packet). */
  private initStats(st: ConnStats, fp: FlowPacket, fromLow: boolean): void {
    const k = this.key;
    st.family = fp.family === 4 ? 4 : 6;
    st.lowPort = k.lowPort;
    st.highPort = k.highPort;
    if (fp.family === 4) {
      st.lowAddr4 = fromLow ? fp.src4 : fp.dst4;
      st.highAddr4 = fromLow ? fp.dst4 : fp.src4;
    } else {
      const a = new Uint8Array(32);
      const b = fp.addrBuf;
      a.set(b.subarray(fromLow ? fp.src6 : fp.dst6, (fromLow ? fp.src6 : fp.dst6) + 16), 0);
      a.set(b.subarray(fromLow ? fp.dst6 : fp.src6, (fromLow ? fp.dst6 : fp.src6) + 16), 16);
      st.addr6 = a;
    }
  }

  // ---------------------------------------------------------------------------------- TCP

  private newTcp(stream: number): TcpConnection {
    const now = this.now;
    const c = new TcpConnection(stream, now.sec, now.nsec);
    let slot = this.tcpFree.pop();
    if (slot === undefined) {
      slot = this.tcpLive.length;
      this.tcpLive.push(c);
      if ((slot + 1) * KEY_WORDS > this.tcpKeys.length) this.tcpKeys = grow(this.tcpKeys);
    } else {
      this.tcpLive[slot] = c;
    }
    this.tcpKeys.set(this.key.words, slot * KEY_WORDS);
    c.handle = (slot << 2) | LIVE_TCP;
    this.table.set(this.key, c.handle);
    if (slot >= this.tcpLastSeen.length) this.tcpLastSeen = growF64(this.tcpLastSeen);
    this.tcpLastSeen[slot] = this.now.rel;
    if (this.now.rel < this.tcpMinSeen) this.tcpMinSeen = this.now.rel;
    const s = this.stats;
    s.liveTcp++;
    if (s.liveTcp > s.peakLiveTcp) s.peakLiveTcp = s.liveTcp;
    return c;
  }

  private tcp(fp: FlowPacket, frame: number, frameLen: number): void {
    const now = this.now;
    const rel = now.rel;
    const b = fp.buf;
    const o = fp.off;
    // tshark reads ports, SEQ, ACK, flags and window before it looks the conversation up.
    if (fp.capturedLen < 16) return;
    this.stats.tcpPackets++;
    const sport = (b[o] << 8) | b[o + 1];
    const dport = (b[o + 2] << 8) | b[o + 3];
    const seq = ((b[o + 4] << 24) | (b[o + 5] << 16) | (b[o + 6] << 8) | b[o + 7]) >>> 0;
    const ack = ((b[o + 8] << 24) | (b[o + 9] << 16) | (b[o + 10] << 8) | b[o + 11]) >>> 0;
    const hlen = (b[o + 12] >> 4) * 4;
    const flags = ((b[o + 12] << 8) | b[o + 13]) & 0x0fff;
    const window = (b[o + 14] << 8) | b[o + 15];
    // Nearly half the segments belong to the connection of the segment before (bulk
    // transfers): a one-entry cache of the last IPv4 tuple skips hashing and probing.
    let fromLow: boolean;
    let h: number;
    const lc = this.cache;
    if (lc.handle >= 0 && fp.family === 4 && fp.src4 === lc.src && fp.dst4 === lc.dst && sport === lc.sport && dport === lc.dport) {
      h = lc.handle;
      fromLow = lc.fromLow;
    } else if (lc.handle >= 0 && fp.family === 4 && fp.src4 === lc.dst && fp.dst4 === lc.src && sport === lc.dport && dport === lc.sport) {
      h = lc.handle;
      fromLow = !lc.fromLow;
    } else {
      this.setKey(fp, 6, sport, dport);
      fromLow = this.key.fromLow;
      h = this.table.get(this.key);
      lc.handle = -1;
      if (fp.family === 4) {
        lc.src = fp.src4;
        lc.dst = fp.dst4;
        lc.sport = sport;
        lc.dport = dport;
        lc.fromLow = fromLow;
      }
    }
    const note = this.tcpNote;
    note.reset();
    const pureSyn = (flags & (TH_SYN | TH_ACK)) === TH_SYN;

    let conn: TcpConnection;
    let isNew = false;
    if (h < 0) {
      conn = this.newTcp(this.tcpStreams++);
      isNew = true;
    } else if ((h & 3) === LIVE_TCP) {
      conn = this.tcpLive[h >> 2]!;
    } else {
      // Released earlier: a SYN with another ISN starts a new stream, anything else resumes it.
      const t = h >> 2;
      const u = this.tombU32[t >> TOMB_PAGE_BITS];
      const f = (t & TOMB_MASK) * T_U32 + TU_FLOW + (fromLow ? 0 : FLOW_WORDS);
      if (pureSyn && u[f + 1] & S_BASE_SEQ_SET && seq !== u[f]) {
        this.killTomb(t);
        conn = this.newTcp(this.tcpStreams++);
        conn.completeness = C_SYNSENT;
        note.hasTa = true;
        note.analysis |= A_REUSED_PORTS;
        this.initStats(conn.stats, fp, fromLow);
      } else {
        conn = this.reviveTcp(t);
        this.initStats(conn.stats, fp, fromLow);
        conn.stats.resumed = true;
      }
    }
    if (isNew) this.initStats(conn.stats, fp, fromLow);
    let fwd = fromLow ? conn.fwdLow : conn.fwdHigh;
    let rev = fromLow ? conn.fwdHigh : conn.fwdLow;

    // A SYN with a new ISN on a live tuple: the old connection ends, a new stream begins.
    if (pureSyn && fwd.staticFlags & S_BASE_SEQ_SET && (seq | 0) !== fwd.baseSeq) {
      this.setKey(fp, 6, sport, dport); // the cached path did not fill the key
      this.releaseTcp(conn, 'reused', false);
      conn = this.newTcp(this.tcpStreams++);
      this.initStats(conn.stats, fp, fromLow);
      conn.completeness = C_SYNSENT;
      note.hasTa = true;
      note.analysis |= A_REUSED_PORTS;
      fwd = fromLow ? conn.fwdLow : conn.fwdHigh;
      rev = fromLow ? conn.fwdHigh : conn.fwdLow;
    }
    this.cache.handle = fp.family === 4 ? conn.handle : -1;
    // A SYN-ACK with another ISN than before: Wireshark adopts it and flags reused ports.
    if ((flags & (TH_SYN | TH_ACK)) === (TH_SYN | TH_ACK) && fwd.staticFlags & S_BASE_SEQ_SET && (seq | 0) !== fwd.baseSeq) {
      fwd.baseSeq = seq | 0;
      note.hasTa = true;
      note.analysis |= A_REUSED_PORTS;
    }

    note.valid = true;
    note.stream = conn.stream;
    note.completeness = conn.completeness;
    fwd.numSackRanges = 0;
    // Exact integers (captures shorter than 104 days), equal to the capture-relative differences.
    note.timeRelNs = (now.sec - conn.firstSec) * 1e9 + (now.nsec - conn.firstNsec);
    note.timeDeltaNs = (now.sec - conn.prevSec) * 1e9 + (now.nsec - conn.prevNsec);
    note.nowSec = now.sec;
    note.nowNsec = now.nsec;
    note.firstSec = conn.firstSec;
    note.firstNsec = conn.firstNsec;
    note.prevSec = conn.prevSec;
    note.prevNsec = conn.prevNsec;
    conn.prevSec = now.sec;
    conn.prevNsec = now.nsec;
    note.seqRaw = seq;
    note.ackRaw = ack;
    note.flags = flags;
    note.seq = seq;
    note.ack = ack;
    note.window = window;

    const quoted = fp.quoted;
    const noSeglen = quoted || fp.fragmented;
    const captured = fp.capturedLen;
    note.quoted = quoted;
    note.quotedV4 = quoted && fp.family === 4;
    // tshark computes the segment length (and runs the analysis) only for segments it can
    // measure: not inside an ICMP error, and not shorter than their own header.
    const reported = fp.reportedLen;
    let seglen = 0;
    if (!noSeglen && reported >= hlen) {
      seglen = reported - hlen;
      note.haveSeglen = true;
      note.len = seglen;
      analyzeSequence(conn, fwd, rev, this.segments, note, frame, seglen, flags, window, now);
      note.seq = (seq - fwd.baseSeq) >>> 0;
      if (flags & TH_ACK) note.ack = (ack - rev.baseSeq) >>> 0;
      if (!(flags & TH_SYN) && fwd.winScale >= 0) note.window = window << fwd.winScale;
      note.nxtseq = (note.seq + seglen + (flags & (TH_SYN | TH_FIN) ? 1 : 0)) >>> 0;
    } else {
      note.len = 0;
    }
    if (hlen < 20) {
      // "Bogus TCP header length": tshark stops after the sequence numbers (no flags, no tap).
      note.cut = 1;
      note.window = window;
      this.tcpLastSeen[conn.handle >> 2] = rel;
      if (rel < this.tcpMinSeen) this.tcpMinSeen = rel;
      if (rel < this.tcpMinClosed) this.tcpMinClosed = rel;
      return;
    }
    if (!(flags & TH_SYN)) note.scaleFactor = fwd.winScale >= 0 ? 1 << fwd.winScale : fwd.winScale;

    // Conversation completeness (tcp.completeness): the value shown is the one before this packet.
    let c = isNew ? 0 : conn.completeness;
    if (isNew) {
      if (pureSyn) {
        c |= C_SYNSENT;
        if (seglen > 0) c |= C_DATA;
      }
    } else {
      if ((flags & (TH_SYN | TH_ACK)) === (TH_SYN | TH_ACK)) c |= C_SYNACK;
      if ((flags & (TH_SYN | TH_ACK)) === TH_ACK) c |= seglen > 0 ? C_DATA : C_ACK;
      if ((flags & (TH_FIN | TH_ACK)) === (TH_FIN | TH_ACK)) c |= C_FIN;
      if (flags & TH_RST) c |= C_RST;
    }
    conn.completeness = c;

    if (!(flags & TH_ACK) && ack !== 0) note.remarks |= R_ACK_NONZERO;
    if (flags & TH_SYN) {
      if (flags & TH_ACK) {
        conn.serverPort = sport;
      } else {
        conn.serverPort = dport;
        conn.hasMruSyn = true;
        conn.mruSynSec = now.sec;
        conn.mruSynNsec = now.nsec;
      }
      fwd.isFirstAck = true;
    }
    if (flags & TH_FIN) {
      if (!rev.closingInitiator) {
        fwd.closingInitiator = true;
        note.finRole = 1;
      } else {
        note.finRole = 2;
      }
    }
    if ((flags & (TH_SYN | TH_ACK)) === TH_ACK) {
      if (conn.hasMruSyn && conn.firstRtt === 0) {
        conn.firstRttSec = deltaSec(now.sec, now.nsec, conn.mruSynSec, conn.mruSynNsec);
        conn.firstRttNsec = deltaNsec(now.sec, now.nsec, conn.mruSynSec, conn.mruSynNsec);
      }
      if (fwd.isFirstAck) fwd.isFirstAck = false;
    }
    // A header cut by the snaplen ends tshark's dissection with an exception: before the
    // urgent pointer (no timestamps, options or analysis shown), or inside the options.
    if (captured < 20) {
      note.cut = 1;
    } else {
      if (!(flags & TH_URG) && ((b[o + 18] << 8) | b[o + 19]) !== 0) note.remarks |= R_URGENT_NONZERO;
      if (hlen > 20 && !this.tcpOptions(b, o + 20, o + hlen, o + captured, flags, fwd, rev, note)) note.cut = 2;
    }
    if (flags & TH_SYN && note.cut === 0) {
      // Wireshark's verify_tcp_window_scaling: scaling is used only when both SYNs offered it.
      if (fwd.winScale === -1) {
        fwd.winScale = -2;
        rev.winScale = -2;
      } else if (flags & TH_ACK && rev.winScale === -2) {
        fwd.winScale = -2;
      }
    }
    note.irttNs = conn.firstRtt;
    note.irttSec = conn.firstRttSec;
    note.irttNsec = conn.firstRttNsec;

    if (!quoted) {
      const st = conn.stats;
      if (!st.started) st.begin(fromLow, flags, frame, now);
      st.updateTcp(fromLow, frame, now, frameLen, fp.ttl, fp.ipLen, flags, note, seglen, window, note.analysis);
      if (this.onTcpSegment && note.haveSeglen && note.cut === 0) {
        this.onTcpSegment(conn, fromLow, frame, seq, ack, flags, b, o + hlen, seglen, Math.max(0, Math.min(seglen, captured - hlen)));
      }
    }
    this.tcpExperts(note, dport, sport, frame);

    this.tcpLastSeen[conn.handle >> 2] = rel;
    if (rel < this.tcpMinSeen) this.tcpMinSeen = rel;
    // (A closed connection's time going back lowers its bound too.)
    if (rel < this.tcpMinClosed && (conn.closed || conn.stats.closed)) this.tcpMinClosed = rel;
    if (!conn.closed && conn.stats.closed) conn.closed = true;
  }

  /** TCP options that feed the analysis: window scale, SACK blocks (bytes in flight, D-SACK), MSS/NOP remarks. */
  private tcpOptions(b: Uint8Array, at: number, end: number, capEnd: number, flags: number, fwd: TcpFlow, rev: TcpFlow, note: TcpNote): boolean {
    let mss = false;
    let nops = 0;
    while (at < end) {
      if (at >= capEnd) return false;
      const kind = b[at];
      if (kind === 0) {
        // tshark checks the padding after EOL for non-zero bytes (reading past the capture throws).
        if (end > capEnd) return false;
        for (let i = at + 1; i < end; i++) {
          if (b[i] !== 0) {
            note.remarks |= R_EOL_PADDING;
            break;
          }
        }
        break;
      }
      if (kind === 1) {
        if (++nops === 4) note.remarks |= R_NOP_RUN;
        at++;
        continue;
      }
      nops = 0;
      if (at + 1 >= end) break;
      if (at + 1 >= capEnd) return false;
      const len = b[at + 1];
      if (len < 2 || at + len > end) break;
      if (at + len > capEnd) return false;
      if (kind === 2 && len === 4) {
        mss = true;
      } else if (kind === 3 && len === 3) {
        let shift = b[at + 2];
        if (shift > 14) {
          note.remarks |= R_WSCALE_INVALID;
          shift = 14;
        }
        fwd.winScale = shift;
      } else if (kind === 5 && len >= 10) {
        this.sack(b, at + 2, at + len, flags, fwd, rev, note);
      }
      at += len;
    }
    if (flags & TH_SYN) {
      if (!mss) note.remarks |= R_MSS_ABSENT;
    } else if (mss) {
      note.remarks |= R_MSS_PRESENT;
    }
    return true;
  }

  private sack(b: Uint8Array, at: number, end: number, flags: number, fwd: TcpFlow, rev: TcpFlow, note: TcpNote): void {
    const ack = note.ackRaw;
    // Edges are made relative to the receiver's base (as Wireshark shows them), the ACK only when ACK is set.
    const base = rev.baseSeq;
    const ackCmp = flags & TH_ACK ? (ack - base) >>> 0 : ack;
    let n = 0;
    let l0 = 0, r0 = 0, l1 = 0, r1 = 0;
    const first = at;
    for (; at + 8 <= end; at += 8) {
      const le = ((((b[at] << 24) | (b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3]) >>> 0) - base) >>> 0;
      const re = ((((b[at + 4] << 24) | (b[at + 5] << 16) | (b[at + 6] << 8) | b[at + 7]) >>> 0) - base) >>> 0;
      n++;
      if (n < 4) {
        // Wireshark keeps the first three blocks for bytes in flight.
        fwd.numSackRanges = n;
        fwd.sackBytes = n === 1 ? (re - le) >>> 0 : (fwd.sackBytes + re - le) >>> 0;
      }
      if (n === 1) { l0 = le; r0 = re; }
      else if (n === 2) { l1 = le; r1 = re; }
    }
    // RFC 2883 D-SACK: the first block is below the ACK, or inside the second block.
    if (seqLe(r0, ackCmp) || (n > 1 && seqLt(l1, r0) && seqGe(r1, r0))) {
      note.remarks |= R_DSACK;
      note.dsackLeft = l0;
      note.dsackRight = r0;
    }
    void first;
  }

  /** Expert items of a TCP packet, in the order tshark's tree shows them. */
  private tcpExperts(note: TcpNote, dport: number, sport: number, frame: number): void {
    const f = note.flags;
    // Most segments raise nothing: no SYN/FIN/RST, no remark, no analysis flag.
    if (!(f & (TH_SYN | TH_FIN | TH_RST)) && note.remarks === 0 && (!note.hasTa || note.analysis === 0)) return;
    this.tallyOn = this.experts !== undefined && !note.quoted;
    if (!this.tallyOn && !(this.packetExperts && this.pkt !== null)) return;
    if (note.ackNonzero) this.emit(Expert.AckNonzero, 0, frame);
    if (f & TH_RST) this.emit(Expert.Rst, 0, frame);
    if (f & TH_SYN) this.emit(f & TH_ACK ? Expert.SynAck : Expert.Syn, f & TH_ACK ? sport : dport, frame);
    if (f & TH_FIN) {
      this.emit(Expert.Fin, 0, frame);
      this.emit(note.finRole === 1 ? Expert.FinActive : Expert.FinPassive, 0, frame);
    }
    if (note.urgentNonzero) this.emit(Expert.UrgentNonzero, 0, frame);
    if (note.nopRun) this.emit(Expert.Nop, 0, frame);
    if (note.eolPadding) this.emit(Expert.NonZeroPadding, 0, frame);
    if (note.wscaleInvalid) this.emit(Expert.WscaleInvalid, 0, frame);
    if (note.dsack) this.emit(Expert.Dsack, 0, frame);
    if (note.mssAbsent) this.emit(Expert.MssAbsent, 0, frame);
    if (note.mssPresent) this.emit(Expert.MssPresent, 0, frame);
    const a = note.analysis;
    if (!note.hasTa || !a) return;
    if (a & A_REUSED_PORTS) this.emit(Expert.ReusedPorts, 0, frame);
    if (a & A_RETRANSMISSION) this.emit(Expert.Retransmission, 0, frame);
    if (a & A_FAST_RETRANSMISSION) {
      this.emit(Expert.FastRetransmission, 0, frame);
      this.emit(Expert.Retransmission, 0, frame);
    }
    if (a & A_SPURIOUS_RETRANSMISSION) {
      this.emit(Expert.SpuriousRetransmission, 0, frame);
      this.emit(Expert.Retransmission, 0, frame);
    }
    if (a & A_OUT_OF_ORDER) this.emit(Expert.OutOfOrder, 0, frame);
    if (a & A_LOST_PACKET) this.emit(Expert.LostSegment, 0, frame);
    if (a & A_ACK_LOST_PACKET) this.emit(Expert.AckLostSegment, 0, frame);
    if (a & A_WINDOW_UPDATE) this.emit(Expert.WindowUpdate, 0, frame);
    if (a & A_WINDOW_FULL) this.emit(Expert.WindowFull, 0, frame);
    if (a & A_KEEP_ALIVE) this.emit(Expert.KeepAlive, 0, frame);
    if (a & A_KEEP_ALIVE_ACK) this.emit(Expert.KeepAliveAck, 0, frame);
    if (a & A_ZERO_WINDOW_PROBE) this.emit(Expert.ZeroWindowProbe, 0, frame);
    if (a & A_ZERO_WINDOW) this.emit(Expert.ZeroWindow, 0, frame);
    if (a & A_ZERO_WINDOW_PROBE_ACK) this.emit(Expert.ZeroWindowProbeAck, 0, frame);
    if (a & A_DUPLICATE_ACK && note.dupackNum) this.emit(Expert.DuplicateAck, note.dupackNum, frame);
  }

  private emit(code: Expert, arg: number, frame: number): void {
    if (this.tallyOn) this.experts!.add(code, arg, frame);
    if (this.packetExperts && this.pkt !== null) {
      const k = expertKinds[code];
      this.pkt.expert(this.layer, k.severity as ExpertSeverity, k.group, k.field, expertMessage(code, arg));
    }
  }

  /** Summarises a TCP connection and replaces it by a tombstone (or forgets it on reuse). */
  private releaseTcp(conn: TcpConnection, reason: ConnectionSummary['reason'], keepTomb = true): void {
    if (this.cache.handle === conn.handle) this.cache.handle = -1;
    if (this.onSummary) this.onSummary(conn.stats.summary('tcp', conn.stream, conn.firstRtt, reason));
    this.onTcpRelease?.(conn);
    conn.releaseSegments(this.segments);
    const slot = conn.handle >> 2;
    this.tcpLive[slot] = null;
    this.tcpFree.push(slot);
    this.stats.liveTcp--;
    this.stats.released++;
    if (keepTomb) {
      const t = this.tombSlot();
      this.writeTcpTomb(t, conn, slot);
      this.table.setWords(this.tcpKeys, slot * KEY_WORDS, (t << 2) | TOMB_TCP);
    }
  }

  private writeTcpTomb(t: number, c: TcpConnection, slot: number): void {
    const u = this.tombU32[t >> TOMB_PAGE_BITS];
    const o = (t & TOMB_MASK) * T_U32;
    u.set(this.tcpKeys.subarray(slot * KEY_WORDS, slot * KEY_WORDS + KEY_WORDS), o);
    u[o + TU_STREAM] = c.stream;
    u[o + TU_MISC] = c.completeness | (1 << 8) | (0 << 9);
    writeFlow(u, o + TU_FLOW, c.fwdLow);
    writeFlow(u, o + TU_FLOW + FLOW_WORDS, c.fwdHigh);
    // Times as exact (seconds, nanoseconds); the capture-relative forms are derived on revival.
    const f = this.tombF64[t >> TOMB_PAGE_BITS];
    const b = (t & TOMB_MASK) * T_F64;
    f[b] = c.firstSec;
    f[b + 1] = c.firstNsec;
    f[b + 2] = c.prevSec;
    f[b + 3] = c.prevNsec;
    f[b + 4] = c.hasMruSyn ? c.mruSynSec : Number.NaN;
    f[b + 5] = c.mruSynNsec;
    f[b + 6] = c.firstRttSec;
    f[b + 7] = c.firstRttNsec;
  }

  private reviveTcp(t: number): TcpConnection {
    const u = this.tombU32[t >> TOMB_PAGE_BITS];
    const o = (t & TOMB_MASK) * T_U32;
    const c = this.newTcp(u[o + TU_STREAM]);
    c.completeness = u[o + TU_MISC] & 0xff;
    readFlow(u, o + TU_FLOW, c.fwdLow);
    readFlow(u, o + TU_FLOW + FLOW_WORDS, c.fwdHigh);
    const f = this.tombF64[t >> TOMB_PAGE_BITS];
    const b = (t & TOMB_MASK) * T_F64;
    c.firstSec = f[b];
    c.firstNsec = f[b + 1];
    c.prevSec = f[b + 2];
    c.prevNsec = f[b + 3];
    if (!Number.isNaN(f[b + 4])) {
      c.hasMruSyn = true;
      c.mruSynSec = f[b + 4];
      c.mruSynNsec = f[b + 5];
    }
    c.firstRttSec = f[b + 6];
    c.firstRttNsec = f[b + 7];
    this.killTomb(t);
    this.stats.revived++;
    return c;
  }

  /** Marks a tombstone slot dead (revived or superseded); the key table entry is overwritten by the caller. */
  private killTomb(t: number): void {
    this.tombU32[t >> TOMB_PAGE_BITS][(t & TOMB_MASK) * T_U32 + TU_MISC] &= ~(1 << 8);
    this.stats.tombstones--;
  }

  /** A tombstone slot: grows the ring (a page at a time) up to `maxTombstones`, then reuses the oldest slot. */
  private tombSlot(): number {
    if (this.tombNext === this.tombCap) {
      if (this.tombCap < this.maxTombstones) {
        this.tombU32.push(new Uint32Array(TOMB_PAGE * T_U32));
        this.tombF64.push(new Float64Array(TOMB_PAGE * T_F64));
        this.tombCap = Math.min(this.maxTombstones, this.tombCap + TOMB_PAGE);
      } else {
        this.tombNext = 0;
      }
    }
    const t = this.tombNext++;
    const u = this.tombU32[t >> TOMB_PAGE_BITS];
    const o = (t & TOMB_MASK) * T_U32;
    if (u[o + TU_MISC] & (1 << 8)) {
      // Evict the oldest: its tuple is forgotten (a later packet on it opens a new stream).
      const kind = u[o + TU_MISC] & (1 << 9) ? TOMB_UDP : TOMB_TCP;
      this.table.deleteWords(u, o, (t << 2) | kind);
      this.stats.tombstones--;
    }
    this.stats.tombstones++;
    return t;
  }

  // ---------------------------------------------------------------------------------- UDP

  private udp(fp: FlowPacket, frame: number, frameLen: number): void {
    const now = this.now;
    if (fp.capturedLen < 8) return;
    const b = fp.buf;
    const o = fp.off;
    // tshark gives up on a UDP length below 8 before it looks the conversation up (0 is an
    // IPv6 jumbogram's).
    const ulen = (b[o + 4] << 8) | b[o + 5];
    if (ulen < 8 && !(ulen === 0 && fp.family === 6)) return;
    this.stats.udpPackets++;
    const sport = (b[o] << 8) | b[o + 1];
    const dport = (b[o + 2] << 8) | b[o + 3];
    this.setKey(fp, 17, sport, dport);
    const fromLow = this.key.fromLow;
    const h = this.table.get(this.key);
    let conn: UdpConnection;
    if (h >= 0 && (h & 3) === LIVE_UDP) {
      conn = this.udpLive[h >> 2]!;
    } else {
      let stream: number;
      let resumed = false;
      if (h >= 0) {
        const t = h >> 2;
        stream = this.tombU32[t >> TOMB_PAGE_BITS][(t & TOMB_MASK) * T_U32 + TU_STREAM];
        this.killTomb(t);
        this.stats.revived++;
        resumed = true;
      } else {
        stream = this.udpStreams++;
      }
      conn = this.newUdp(stream);
      this.initStats(conn.stats, fp, fromLow);
      conn.stats.resumed = resumed;
    }
    if (!fp.quoted) {
      const st = conn.stats;
      if (!st.started) st.begin(fromLow, 0, frame, now);
      st.updateUdp(fromLow, frame, now, frameLen, fp.ttl, fp.ipLen, fp.reportedLen >= 8 ? fp.reportedLen - 8 : 0);
    }
    const un = this.udpNote;
    un.valid = true;
    un.stream = conn.stream;
    if (un.count < 4) un.streams[un.count++] = conn.stream;
    this.udpLastSeen[conn.handle >> 2] = now.rel;
    if (now.rel < this.udpMinSeen) this.udpMinSeen = now.rel;
  }

  private newUdp(stream: number): UdpConnection {
    const c = new UdpConnection(stream);
    let slot = this.udpFree.pop();
    if (slot === undefined) {
      slot = this.udpLive.length;
      this.udpLive.push(c);
      if ((slot + 1) * KEY_WORDS > this.udpKeys.length) this.udpKeys = grow(this.udpKeys);
    } else {
      this.udpLive[slot] = c;
    }
    this.udpKeys.set(this.key.words, slot * KEY_WORDS);
    c.handle = (slot << 2) | LIVE_UDP;
    this.table.set(this.key, c.handle);
    if (slot >= this.udpLastSeen.length) this.udpLastSeen = growF64(this.udpLastSeen);
    this.udpLastSeen[slot] = this.now.rel;
    if (this.now.rel < this.udpMinSeen) this.udpMinSeen = this.now.rel;
    const s = this.stats;
    s.liveUdp++;
    if (s.liveUdp > s.peakLiveUdp) s.peakLiveUdp = s.liveUdp;
    return c;
  }

  private releaseUdp(conn: UdpConnection, reason: ConnectionSummary['reason'], keepTomb = true): void {
    if (this.onSummary) this.onSummary(conn.stats.summary('udp', conn.stream, 0, reason));
    const slot = conn.handle >> 2;
    this.udpLive[slot] = null;
    this.udpFree.push(slot);
    this.stats.liveUdp--;
    this.stats.released++;
    if (keepTomb) {
      const t = this.tombSlot();
      const u = this.tombU32[t >> TOMB_PAGE_BITS];
      const o = (t & TOMB_MASK) * T_U32;
      u.set(this.udpKeys.subarray(slot * KEY_WORDS, slot * KEY_WORDS + KEY_WORDS), o);
      u[o + TU_STREAM] = conn.stream;
      u[o + TU_MISC] = (1 << 8) | (1 << 9);
      this.table.setWords(this.udpKeys, slot * KEY_WORDS, (t << 2) | TOMB_UDP);
    }
  }

  // ---------------------------------------------------------------------------------- lifetime

  /** Releases connections idle past their timeout (closed ones sooner): a scan of the live slots. */
  private expire(): void {
    const now = this.nowNs;
    const live = this.tcpLive;
    const seen = this.tcpLastSeen;
    // An open connection can expire only if now - tcpMinSeen passes the idle timeout, a closed
    // one only if now - tcpMinClosed passes the closed timeout.
    if (now - this.tcpMinSeen > this.idleTimeoutNs || now - this.tcpMinClosed > this.closedTimeoutNs) {
      let min = Infinity;
      let minClosed = Infinity;
      for (let i = 0; i < live.length; i++) {
        const s = seen[i];
        const idle = now - s;
        const c = live[i];
        if (c === null) continue;
        if (c.closed ? idle > this.closedTimeoutNs : idle > this.idleTimeoutNs) {
          this.releaseTcp(c, c.closed ? 'closed' : 'idle');
        } else {
          if (s < min) min = s;
          if (c.closed && s < minClosed) minClosed = s;
        }
      }
      this.tcpMinSeen = min;
      this.tcpMinClosed = minClosed;
    }
    const udp = this.udpLive;
    const useen = this.udpLastSeen;
    if (now - this.udpMinSeen > this.udpIdleTimeoutNs) {
      let min = Infinity;
      for (let i = 0; i < udp.length; i++) {
        const s = useen[i];
        const c = udp[i];
        if (c === null) continue;
        if (now - s > this.udpIdleTimeoutNs) this.releaseUdp(c, 'idle');
        else if (s < min) min = s;
      }
      this.udpMinSeen = min;
    }
  }

  /** Emits the summary of every live connection (end of capture), in stream order. */
  finish(): void {
    const tcp = this.tcpLive.filter((c): c is TcpConnection => c !== null).sort((a, b) => a.stream - b.stream);
    for (const c of tcp) this.releaseTcp(c, c.stats.closed ? 'closed' : 'end');
    const udp = this.udpLive.filter((c): c is UdpConnection => c !== null).sort((a, b) => a.stream - b.stream);
    for (const c of udp) this.releaseUdp(c, 'end');
    this.stats.tcpStreams = this.tcpStreams;
    this.stats.udpStreams = this.udpStreams;
  }

  /** Numbers of streams seen so far. */
  get tcpStreamCount(): number {
    return this.tcpStreams;
  }

  get udpStreamCount(): number {
    return this.udpStreams;
  }

  /** Bytes held in the engine's typed arrays (key table, segment pool, tombstones). */
  get arrayBytes(): number {
    return this.table.bytes + this.segments.bytes + this.tombU32.length * TOMB_PAGE * (T_U32 * 4 + T_F64 * 8);
  }
}

function growF64(a: Float64Array<ArrayBuffer>): Float64Array<ArrayBuffer> {
  const b = new Float64Array(a.length * 2);
  b.set(a);
  return b;
}

function grow(a: Uint32Array<ArrayBuffer>): Uint32Array<ArrayBuffer> {
  const b = new Uint32Array(a.length * 2);
  b.set(a);
  return b;
}

function writeFlow(u: Uint32Array, o: number, f: TcpFlow): void {
  u[o] = f.baseSeq;
  u[o + 1] = f.staticFlags | (f.isFirstAck ? 0x100 : 0) | (f.validBif ? 0x200 : 0) | (f.closingInitiator ? 0x400 : 0)
    | ((f.winScale + 2) << 16);
  u[o + 2] = f.nextseq;
  u[o + 3] = f.lastack;
  u[o + 4] = f.maxseqtobeacked;
  u[o + 5] = f.window;
  u[o + 6] = f.dupacknum;
  u[o + 7] = f.lastnondupack;
  u[o + 8] = f.lastSegmentFlags;
  u[o + 9] = f.nextseqFrame;
}

function readFlow(u: Uint32Array, o: number, f: TcpFlow): void {
  f.baseSeq = u[o] | 0;
  const m = u[o + 1];
  f.staticFlags = m & 0xff;
  f.isFirstAck = (m & 0x100) !== 0;
  f.validBif = (m & 0x200) !== 0;
  f.closingInitiator = (m & 0x400) !== 0;
  f.winScale = ((m >>> 16) & 0xff) - 2;
  f.nextseq = u[o + 2] | 0;
  f.lastack = u[o + 3] | 0;
  f.maxseqtobeacked = u[o + 4] | 0;
  f.window = u[o + 5];
  f.dupacknum = u[o + 6] | 0;
  f.lastnondupack = u[o + 7];
  f.lastSegmentFlags = u[o + 8];
  f.nextseqFrame = u[o + 9];
}

const shortNames: Record<string, string> = { ip: 'IPv4', ipv6: 'IPv6', icmpv6: 'ICMPv6', udp: 'UDP', tcp: 'TCP', eth: 'ETH', vlan: 'VLAN', frame: 'Frame', mysql: 'MySQL' };

/** Wireshark's short protocol name for an expert row (`IPv4`, `UDP`…). */
export function protocolShortName(name: string): string {
  return shortNames[name] ?? name.toUpperCase();
}
