/**
 * Per-connection summary: who opened and who closed, how much went each way, and Zeek's
 * `conn_state` and `history` (scripts/base/protocols/conn/main.zeek), computed from a small
 * per-endpoint state by pure functions.
 *
 * The originator is the sender of the first SYN (or the receiver of a first SYN-ACK, which
 * adds `^` to the history, as Zeek flips the direction); for a connection caught midstream it
 * is the sender of the first packet. Sides are told apart by `fromOrig`.
 *
 * History letters (upper case originator, lower case responder): S SYN, H SYN-ACK, A pure
 * ACK, D data, F FIN, R RST, T retransmission, W zero window, G content gap, I FIN+RST,
 * Q SYN+FIN or SYN+RST, ^ flipped. A, D, I and Q appear at most once per side; F, H, R, S
 * again when the sequence number changes; T, W and G are logarithmic (1st, 10th, 100th… time).
 *
 * @example
 * connState(EndpointState.Closed, EndpointState.Closed, 'ShADadFf', 120, 4096); // 'SF'
 * connState(EndpointState.SynSent, EndpointState.Reset, 'Sr', 0, 0);            // 'REJ'
 */
import { ipv4ToString, ipv6ToString } from '../decode/bytes.js';
import { DOUBLE_ZERO } from './seq.js';
import type { Instant } from './tcp-analysis.js';
import { ZeekEndpoint } from './zeek.js';

/** Zeek's TCP endpoint states (TCP_INACTIVE … TCP_RESET). */
export const enum EndpointState {
  Inactive = 0,
  SynSent = 1,
  SynAckSent = 2,
  Partial = 3,
  Established = 4,
  Closed = 5,
  Reset = 6,
}

/**
 * Zeek's `conn_state` for a TCP connection from the endpoint states, the history string and
 * the payload bytes each side sent.
 */
export function connState(os: EndpointState, rs: EndpointState, history: string, origSize: number, respSize: number): string {
  const oInactive = os === EndpointState.Inactive || os === EndpointState.Partial;
  const rInactive = rs === EndpointState.Inactive || rs === EndpointState.Partial;
  if (rs === EndpointState.Reset) {
    if (os === EndpointState.SynSent || os === EndpointState.SynAckSent
      || (os === EndpointState.Reset && origSize === 0 && respSize === 0)) return 'REJ';
    return oInactive ? 'RSTRH' : 'RSTR';
  }
  if (os === EndpointState.Reset) {
    if (rInactive) return /^\^?S[^HAFGIQ]*R/.test(history) ? 'RSTOS0' : 'OTH';
    return 'RSTO';
  }
  if (rs === EndpointState.Closed && os === EndpointState.Closed) return 'SF';
  if (os === EndpointState.Closed) return rInactive ? 'SH' : 'S2';
  if (rs === EndpointState.Closed) return oInactive ? 'SHR' : 'S3';
  if (os === EndpointState.SynSent && rs === EndpointState.Inactive) return 'S0';
  if (os === EndpointState.Established && rs === EndpointState.Established) return 'S1';
  return 'OTH';
}

/** Zeek's `conn_state` for UDP: whether each side sent anything. */
export function udpConnState(origPackets: number, respPackets: number): string {
  if (origPackets) return respPackets ? 'SF' : 'S0';
  return respPackets ? 'SHR' : 'OTH';
}

/**
 * The next endpoint states after a TCP segment with `flags` from one side (`self`) to the
 * other (`peer`), returned packed as `self | peer << 4` — Zeek's TCP_Analyzer state machine,
 * reduced to what `conn_state` reads.
 */
export function nextStates(self: EndpointState, peer: EndpointState, flags: number, len: number): number {
  const SYN = 0x02, FIN = 0x01, RST = 0x04, ACK = 0x10;
  if (flags & RST) return EndpointState.Reset | (peer << 4);
  if (flags & SYN) {
    if (flags & ACK) {
      if (self === EndpointState.Inactive || self === EndpointState.SynSent || self === EndpointState.Partial) self = EndpointState.SynAckSent;
    } else if (self === EndpointState.Inactive || self === EndpointState.Partial) {
      self = EndpointState.SynSent;
    }
  } else if (flags & ACK || len > 0) {
    if ((self === EndpointState.SynSent || self === EndpointState.SynAckSent)
      && (peer === EndpointState.SynSent || peer === EndpointState.SynAckSent || peer === EndpointState.Established)) {
      self = EndpointState.Established;
      if (peer !== EndpointState.Established) peer = EndpointState.Established;
    } else if (self === EndpointState.Inactive) {
      self = EndpointState.Partial;
    }
  }
  if (flags & FIN && self !== EndpointState.Reset) self = EndpointState.Closed;
  return self | (peer << 4);
}

// History letter bits for "once per side" letters.
const H_ACK = 1, H_DATA = 2, H_INCONSISTENT = 4, H_MULTIFLAG = 8;

// Which repeatable letters have a last sequence number (SideHistory.seen).
const S_SYN = 1, S_SYNACK = 2, S_FIN = 4, S_RST = 8;

/** One side's history bookkeeping. */
class SideHistory {
  once = 0;
  /**
   * Last sequence number of each repeatable letter, as a signed 32-bit value (a small integer
   * in the object, not a boxed double), valid when its `S_*` bit is in `seen`.
   */
  seen = 0;
  lastSyn = 0;
  lastSynAck = 0;
  lastFin = 0;
  lastRst = 0;
  retrans = 0;
  zeroWindow = 0;
  gaps = 0;
}

/** True when `n` is 1, 10, 100, … (Zeek's logarithmic history letters). */
function isPowerOfTen(n: number): boolean {
  while (n >= 10 && n % 10 === 0) n /= 10;
  return n === 1;
}

/** TTL (or hop limit) range seen from one side. */
export interface TtlRange {
  min: number;
  max: number;
}

/** A RST as evidence: which side sent it, in which frame, with which TTL. */
export interface RstSeen {
  frame: number;
  fromOrig: boolean;
  ttl: number;
}

/** The released summary of one connection. */
export interface ConnectionSummary {
  proto: 'tcp' | 'udp';
  /** `tcp.stream` / `udp.stream`. */
  stream: number;
  family: 4 | 6;
  origAddr: string;
  origPort: number;
  respAddr: string;
  respPort: number;
  /** As tshark's conversation table orients it: A is the source of the first packet. */
  aAddr: string;
  aPort: number;
  bAddr: string;
  bPort: number;
  firstFrame: number;
  lastFrame: number;
  /** Absolute start time. */
  startSec: number;
  startNsec: number;
  /** Start and end relative to the capture's first frame, in nanoseconds. */
  startRelNs: number;
  endRelNs: number;
  durationNs: number;
  origPackets: number;
  origBytes: number;
  respPackets: number;
  respBytes: number;
  /** Payload (TCP segment / UDP data) bytes. */
  origPayload: number;
  respPayload: number;
  aToBPackets: number;
  aToBBytes: number;
  bToAPackets: number;
  bToABytes: number;
  /** TCP: SYN, SYN-ACK and the ACK completing them were all seen. */
  handshake: boolean;
  /** TCP initial RTT in ns (SYN to the ACK after the SYN-ACK), as tshark's iRTT. */
  irttNs: number | null;
  /** Who ended the connection and how: 'fin' or 'rst' from 'orig' or 'resp'. */
  closedBy: 'orig' | 'resp' | null;
  closeKind: 'fin' | 'rst' | null;
  /** Both sides sent FIN (or a RST was seen). */
  closed: boolean;
  connState: string;
  history: string;
  /** Pure SYNs from the originator repeating the first SYN's sequence number. */
  synRetransmissions: number;
  ttlOrig: TtlRange | null;
  ttlResp: TtlRange | null;
  rsts: RstSeen[];
  /** Why the summary was emitted: connection closed, idle, a new connection reused the ports, or end of capture. */
  reason: 'closed' | 'idle' | 'reused' | 'end';
  /** True when this summary continues a stream whose earlier part was already summarised (released, then seen again). */
  resumed: boolean;
  /** Zeek conn.log values that need per-packet bookkeeping (see zeek.ts). */
  zeek?: ZeekSummary;
  /** The application protocol recognised on the connection (`http`, `tls`, `mysql`…), set by the caller with `app`. */
  appProtocol?: string;
  /**
   * What the application layer said, in one line, without secrets (`mysql: login 'app'
   * failed 1045 …`), when the application dissectors ran (`wiresage conv`); set by the caller.
   */
  app?: string;
}

/** The conn.log values kept per connection beside tshark's (zeek.ts explains each rule). */
export interface ZeekSummary {
  /** Payload bytes by sequence numbers (TCP), UDP payload bytes (UDP). */
  origBytes: number;
  respBytes: number;
  missedBytes: number;
  /** IP total lengths. */
  origIpBytes: number;
  respIpBytes: number;
  /** First packet to the last one before both sides had closed, in ns and in seconds as Zeek's double. */
  durationNs: number;
  duration: number;
}

const MAX_RSTS = 8;

/**
 * Running counters and endpoint states of one connection. `update` is called for every
 * packet (no allocation except the first RSTs' evidence); `summary` builds the released form.
 */
export class ConnStats {
  family: 4 | 6 = 4;
  /** IPv4 endpoint addresses as signed 32-bit values (small integers in the object; `lowAddr4`/`highAddr4` read them unsigned). */
  low4 = 0;
  high4 = 0;
  addr6: Uint8Array | null = null;
  lowPort = 0;
  highPort = 0;
  /** Which endpoint is the originator, and which sent the first packet (tshark's "A"). */
  origIsLow = true;
  aIsLow = true;
  flipped = false;
  firstFrame = 0;
  lastFrame = 0;
  // Epoch seconds and byte counts start as small integers (stored in the object, where a double
  // is a separate boxed heap object, one more cache miss per packet); a count past 2^31 turns
  // the field double, still exact.
  startSec = 0;
  startNsec = 0;
  /**
   * The earliest and latest packet times (exact seconds, nanoseconds: small integers in the
   * object, no boxed double to update per packet) and the capture's first frame they are
   * measured from (`startRel`, `endRel`).
   */
  minSec = 0;
  minNsec = 0;
  maxSec = 0;
  maxNsec = 0;
  baseSec = 0;
  baseNsec = 0;
  // Per side, index 0 = low endpoint, 1 = high.
  pkts0 = 0;
  pkts1 = 0;
  bytes0 = 0;
  bytes1 = 0;
  payload0 = 0;
  payload1 = 0;
  ttlMin0 = 256;
  ttlMax0 = -1;
  ttlMin1 = 256;
  ttlMax1 = -1;
  state0: EndpointState = EndpointState.Inactive;
  state1: EndpointState = EndpointState.Inactive;
  history = '';
  private readonly h0 = new SideHistory();
  private readonly h1 = new SideHistory();
  /** The A and D bits of `h0.once` (bits 0-1) and `h1.once` (bits 2-3): the per-packet check reads them here. */
  private onceAD = 0;
  sawSyn = false;
  sawSynAck = false;
  handshake = false;
  /** The originator's first SYN sequence number (signed 32-bit), when `hasFirstSyn`. */
  hasFirstSyn = false;
  firstSynSeq = 0;
  synRetrans = 0;
  firstFinFromLow = -1;
  rstFromLow = -1;
  rsts: RstSeen[] | null = null;
  resumed = false;
  /** Zeek's sequence bookkeeping per endpoint (low, high) and the last time that counts for the duration. */
  readonly z0 = new ZeekEndpoint();
  readonly z1 = new ZeekEndpoint();
  zLastSec = 0;
  zLastNsec = 0;

  /** True once the first counted packet set the originator and start time. */
  started = false;

  /** Capture-relative ns of the earliest packet (exact, as the engine computes `Instant.rel`). */
  get startRel(): number {
    return (this.minSec - this.baseSec) * 1e9 + (this.minNsec - this.baseNsec);
  }

  /** Capture-relative ns of the latest packet. */
  get endRel(): number {
    return (this.maxSec - this.baseSec) * 1e9 + (this.maxNsec - this.baseNsec);
  }

  /** Capture-relative ns of the last packet that counts for Zeek's duration. */
  get zLastRel(): number {
    return (this.zLastSec - this.baseSec) * 1e9 + (this.zLastNsec - this.baseNsec);
  }

  /** Endpoint addresses: IPv4 numbers (unsigned), or 16 bytes each in `addr6` (low endpoint first). */
  get lowAddr4(): number {
    return this.low4 >>> 0;
  }

  set lowAddr4(a: number) {
    this.low4 = a | 0;
  }

  get highAddr4(): number {
    return this.high4 >>> 0;
  }

  set highAddr4(a: number) {
    this.high4 = a | 0;
  }

  /** Sets the originator and start from the first counted packet of the connection. */
  begin(fromLow: boolean, flags: number, frame: number, now: Instant): void {
    this.started = true;
    this.aIsLow = fromLow;
    // SYN-ACK first: the receiver opened the connection (Zeek flips and marks '^').
    if ((flags & 0x12) === 0x12) {
      this.origIsLow = !fromLow;
      this.flipped = true;
      this.history = '^';
    } else {
      this.origIsLow = fromLow;
    }
    this.firstFrame = frame;
    this.startSec = this.minSec = this.maxSec = this.zLastSec = now.sec;
    this.startNsec = this.minNsec = this.maxNsec = this.zLastNsec = now.nsec;
    this.baseSec = now.baseSec;
    this.baseNsec = now.baseNsec;
  }

  private letter(fromOrig: boolean, c: string): void {
    this.history += fromOrig ? c : c.toLowerCase();
  }

  /**
   * Counts a TCP segment. `analysis` is the packet's `tcp.analysis` bitmask (for T, W, G).
   */
  updateTcp(fromLow: boolean, frame: number, now: Instant, frameLen: number, ttl: number, ipLen: number,
    flags: number, packet: { readonly seqRaw: number; readonly ackRaw: number }, seglen: number, window: number, analysis: number): void {
    const seq = packet.seqRaw | 0;
    this.count(fromLow, frame, now, frameLen, ttl, seglen);
    // Zeek: the duration stops at the last packet seen before both sides had closed.
    const z = fromLow ? this.z0 : this.z1;
    const zp = fromLow ? this.z1 : this.z0;
    if (!(z.closed && zp.closed)) this.zeekLast(now);
    if (flags & 0x10) zp.acked(fromLow ? this.state1 : this.state0, packet.ackRaw | 0, flags);
    z.segment(fromLow ? this.state0 : this.state1, seq, flags, seglen, ipLen);
    const h = fromLow ? this.h0 : this.h1;
    const SYN = 0x02, FIN = 0x01, RST = 0x04, ACK = 0x10;
    // Most segments are ACKs or data of an established connection whose A/D letters are
    // written: nothing below would change (no letter, no state, no handshake).
    if (!(flags & (SYN | FIN | RST)) && window !== 0 && !(analysis & 0x4403)
      && this.state0 === EndpointState.Established && this.state1 === EndpointState.Established
      && (this.handshake || !(this.sawSyn && this.sawSynAck))
      && (seglen > 0 ? this.onceAD & (fromLow ? H_DATA : H_DATA << 2) : !(flags & ACK) || this.onceAD & (fromLow ? H_ACK : H_ACK << 2))) return;
    const fromOrig = fromLow === this.origIsLow;
    if (flags & SYN) {
      if (flags & ACK) {
        this.sawSynAck = true;
        if (!(h.seen & S_SYNACK) || h.lastSynAck !== seq) this.letter(fromOrig, 'H');
        h.lastSynAck = seq;
        h.seen |= S_SYNACK;
      } else {
        if (fromOrig) {
          if (!this.hasFirstSyn) {
            this.hasFirstSyn = true;
            this.firstSynSeq = seq;
          } else if (seq === this.firstSynSeq) {
            this.synRetrans++;
          }
          this.sawSyn = true;
        }
        if (!(h.seen & S_SYN) || h.lastSyn !== seq) this.letter(fromOrig, 'S');
        h.lastSyn = seq;
        h.seen |= S_SYN;
      }
      if (flags & (FIN | RST) && !(h.once & H_MULTIFLAG)) {
        h.once |= H_MULTIFLAG;
        this.letter(fromOrig, 'Q');
      }
    } else if (flags & ACK && seglen === 0 && !(flags & (FIN | RST))) {
      if (this.sawSyn && this.sawSynAck && fromOrig) this.handshake = true;
      if (!(h.once & H_ACK)) {
        h.once |= H_ACK;
        this.onceAD |= fromLow ? H_ACK : H_ACK << 2;
        this.letter(fromOrig, 'A');
      }
    }
    if (seglen > 0) {
      if (this.sawSyn && this.sawSynAck && fromOrig && !(flags & SYN)) this.handshake = true;
      if (!(h.once & H_DATA)) {
        h.once |= H_DATA;
        this.onceAD |= fromLow ? H_DATA : H_DATA << 2;
        this.letter(fromOrig, 'D');
      }
    }
    if (flags & FIN && flags & RST && !(h.once & H_INCONSISTENT)) {
      h.once |= H_INCONSISTENT;
      this.letter(fromOrig, 'I');
    }
    if (flags & FIN) {
      if (!(h.seen & S_FIN) || h.lastFin !== seq) this.letter(fromOrig, 'F');
      h.lastFin = seq;
      h.seen |= S_FIN;
      if (this.firstFinFromLow < 0) this.firstFinFromLow = fromLow ? 1 : 0;
    }
    if (flags & RST) {
      if (!(h.seen & S_RST) || h.lastRst !== seq) this.letter(fromOrig, 'R');
      h.lastRst = seq;
      h.seen |= S_RST;
      if (this.rstFromLow < 0) this.rstFromLow = fromLow ? 1 : 0;
      this.rsts ??= [];
      if (this.rsts.length < MAX_RSTS) this.rsts.push({ frame, fromOrig, ttl });
    }
    // Retransmitted data (spurious and fast count too; a repeated SYN is not a 'T' in Zeek),
    // zero window, gaps: logarithmic letters.
    if (analysis & (0x0001 | 0x0400 | 0x4000) && seglen > 0) {
      if (isPowerOfTen(++h.retrans)) this.letter(fromOrig, 'T');
    }
    if (window === 0 && !(flags & (SYN | FIN | RST))) {
      if (isPowerOfTen(++h.zeroWindow)) this.letter(fromOrig, 'W');
    }
    if (analysis & 0x0002) {
      if (isPowerOfTen(++h.gaps)) this.letter(fromOrig, 'G');
    }
    const packed = fromLow
      ? nextStates(this.state0, this.state1, flags, seglen)
      : nextStates(this.state1, this.state0, flags, seglen);
    const s0 = this.state0, s1 = this.state1;
    if (fromLow) {
      this.state0 = packed & 15;
      this.state1 = packed >> 4;
    } else {
      this.state1 = packed & 15;
      this.state0 = packed >> 4;
    }
    if (this.state0 !== s0) this.z0.prevState = s0;
    if (this.state1 !== s1) this.z1.prevState = s1;
  }

  private zeekLast(now: Instant): void {
    this.zLastSec = now.sec;
    this.zLastNsec = now.nsec;
  }

  /** Counts a UDP datagram. */
  updateUdp(fromLow: boolean, frame: number, now: Instant, frameLen: number, ttl: number, ipLen: number, payload: number): void {
    this.count(fromLow, frame, now, frameLen, ttl, payload);
    (fromLow ? this.z0 : this.z1).ipBytes += ipLen;
    this.zeekLast(now);
    const fromOrig = fromLow === this.origIsLow;
    const h = fromLow ? this.h0 : this.h1;
    if (!(h.once & H_DATA)) {
      h.once |= H_DATA;
      this.onceAD |= fromLow ? H_DATA : H_DATA << 2;
      this.letter(fromOrig, 'D');
    }
  }

  private count(fromLow: boolean, frame: number, now: Instant, frameLen: number, ttl: number, payload: number): void {
    const rel = now.rel;
    this.lastFrame = frame;
    if (rel > this.endRel) {
      this.maxSec = now.sec;
      this.maxNsec = now.nsec;
    }
    if (rel < this.startRel) {
      this.minSec = now.sec;
      this.minNsec = now.nsec;
    }
    if (fromLow) {
      this.pkts0++;
      this.bytes0 += frameLen;
      this.payload0 += payload;
      if (ttl < this.ttlMin0) this.ttlMin0 = ttl;
      if (ttl > this.ttlMax0) this.ttlMax0 = ttl;
    } else {
      this.pkts1++;
      this.bytes1 += frameLen;
      this.payload1 += payload;
      if (ttl < this.ttlMin1) this.ttlMin1 = ttl;
      if (ttl > this.ttlMax1) this.ttlMax1 = ttl;
    }
  }

  /** True once both sides sent FIN, or a RST was seen. */
  get closed(): boolean {
    return this.rstFromLow >= 0 || (this.state0 === EndpointState.Closed && this.state1 === EndpointState.Closed);
  }

  addrText(low: boolean): string {
    if (this.family === 4) return ipv4ToString(low ? this.lowAddr4 : this.highAddr4);
    return ipv6ToString(this.addr6!, low ? 0 : 16);
  }

  /** The released form. `irttNs` 0 means unknown. */
  summary(proto: 'tcp' | 'udp', stream: number, irttNs: number, reason: ConnectionSummary['reason']): ConnectionSummary {
    const lowAddr = this.addrText(true);
    const highAddr = this.addrText(false);
    const o = this.origIsLow;
    const oPk = o ? this.pkts0 : this.pkts1, rPk = o ? this.pkts1 : this.pkts0;
    const oB = o ? this.bytes0 : this.bytes1, rB = o ? this.bytes1 : this.bytes0;
    const oP = o ? this.payload0 : this.payload1, rP = o ? this.payload1 : this.payload0;
    const oS = o ? this.state0 : this.state1, rS = o ? this.state1 : this.state0;
    const a = this.aIsLow;
    const range = (min: number, max: number): TtlRange | null => (max < 0 ? null : { min, max });
    let closedBy: ConnectionSummary['closedBy'] = null;
    let closeKind: ConnectionSummary['closeKind'] = null;
    if (this.rstFromLow >= 0) {
      closeKind = 'rst';
      closedBy = (this.rstFromLow === 1) === o ? 'orig' : 'resp';
    } else if (this.firstFinFromLow >= 0) {
      closeKind = 'fin';
      closedBy = (this.firstFinFromLow === 1) === o ? 'orig' : 'resp';
    }
    return {
      proto,
      stream,
      family: this.family,
      origAddr: o ? lowAddr : highAddr,
      origPort: o ? this.lowPort : this.highPort,
      respAddr: o ? highAddr : lowAddr,
      respPort: o ? this.highPort : this.lowPort,
      aAddr: a ? lowAddr : highAddr,
      aPort: a ? this.lowPort : this.highPort,
      bAddr: a ? highAddr : lowAddr,
      bPort: a ? this.highPort : this.lowPort,
      firstFrame: this.firstFrame,
      lastFrame: this.lastFrame,
      startSec: this.startSec,
      startNsec: this.startNsec,
      startRelNs: this.startRel,
      endRelNs: this.endRel,
      durationNs: this.endRel - this.startRel,
      origPackets: oPk,
      origBytes: oB,
      respPackets: rPk,
      respBytes: rB,
      origPayload: oP,
      respPayload: rP,
      aToBPackets: a ? this.pkts0 : this.pkts1,
      aToBBytes: a ? this.bytes0 : this.bytes1,
      bToAPackets: a ? this.pkts1 : this.pkts0,
      bToABytes: a ? this.bytes1 : this.bytes0,
      handshake: proto === 'tcp' && this.handshake,
      irttNs: irttNs > 0 ? irttNs : null,
      closedBy,
      closeKind,
      closed: proto === 'tcp' && this.closed,
      connState: proto === 'tcp' ? connState(oS, rS, this.history, oP, rP) : udpConnState(oPk, rPk),
      history: this.history,
      synRetransmissions: this.synRetrans,
      ttlOrig: o ? range(this.ttlMin0, this.ttlMax0) : range(this.ttlMin1, this.ttlMax1),
      ttlResp: o ? range(this.ttlMin1, this.ttlMax1) : range(this.ttlMin0, this.ttlMax0),
      rsts: this.rsts ?? [],
      reason,
      resumed: this.resumed,
      zeek: {
        origBytes: proto === 'tcp' ? (o ? this.z0 : this.z1).size(oS, rS) : oP,
        respBytes: proto === 'tcp' ? (o ? this.z1 : this.z0).size(rS, oS) : rP,
        missedBytes: proto === 'tcp' ? this.z0.missed() + this.z1.missed() : 0,
        origIpBytes: (o ? this.z0 : this.z1).ipBytes,
        respIpBytes: (o ? this.z1 : this.z0).ipBytes,
        durationNs: this.zLastRel - this.startRel,
        // As Zeek computes it: the difference of two timestamps as doubles.
        duration: (this.zLastSec + this.zLastNsec / 1e9) - (this.startSec + this.startNsec / 1e9),
      },
    };
  }
}
