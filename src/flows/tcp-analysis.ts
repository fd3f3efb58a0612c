/**
 * Per-connection TCP sequence analysis, rule for rule as Wireshark 4.0's
 * `tcp_analyze_sequence_number()` (epan/dissectors/packet-tcp.c), so that every
 * `tcp.analysis.*` flag agrees with tshark packet by packet:
 *
 * - state per direction (`TcpFlow`: base sequence number, highest `nextseq`, last ACK and
 *   window, duplicate-ACK counter, the list of unacknowledged segments…) and per connection
 *   (`TcpConversation`: stream number, iRTT, timestamps);
 * - the checks in Wireshark's order (zero-window probe, zero window, lost segment, keep-alive,
 *   window update, window full, keep-alive ACK, zero-window-probe ACK, duplicate ACK, ACKed
 *   unseen segment, then spurious / fast / out-of-order / plain retransmission);
 * - the ACKed-segment bookkeeping behind `tcp.analysis.acks_frame`, `ack_rtt` and
 *   `bytes_in_flight`.
 *
 * All arithmetic is on raw 32-bit sequence numbers through the wrap-safe helpers (as
 * Wireshark's `GT_SEQ`…); "0 means unknown" where Wireshark tests a value for zero.
 * Nothing here allocates per packet: the unacknowledged segments live in a shared typed-array
 * pool, and results go into one reused {@link TcpNote}.
 */
import { DOUBLE_ZERO } from './seq.js';

// TCP header flag bits.
export const TH_FIN = 0x01;
export const TH_SYN = 0x02;
export const TH_RST = 0x04;
export const TH_PUSH = 0x08;
export const TH_ACK = 0x10;
export const TH_URG = 0x20;

// Analysis flags, Wireshark's TCP_A_* (kept as a bitmask per packet).
export const A_RETRANSMISSION = 0x0001;
export const A_LOST_PACKET = 0x0002;
export const A_ACK_LOST_PACKET = 0x0004;
export const A_KEEP_ALIVE = 0x0008;
export const A_DUPLICATE_ACK = 0x0010;
export const A_ZERO_WINDOW = 0x0020;
export const A_ZERO_WINDOW_PROBE = 0x0040;
export const A_ZERO_WINDOW_PROBE_ACK = 0x0080;
export const A_KEEP_ALIVE_ACK = 0x0100;
export const A_OUT_OF_ORDER = 0x0200;
export const A_FAST_RETRANSMISSION = 0x0400;
export const A_WINDOW_UPDATE = 0x0800;
export const A_WINDOW_FULL = 0x1000;
export const A_REUSED_PORTS = 0x2000;
export const A_SPURIOUS_RETRANSMISSION = 0x4000;

// Flow static flags (TCP_S_*).
export const S_BASE_SEQ_SET = 0x01;
export const S_SAW_SYN = 0x02;
export const S_SAW_SYNACK = 0x04;

/** Wireshark keeps at most this many unacknowledged segments per direction. */
export const MAX_UNACKED_SEGMENTS = 10000;
/** Wireshark's `MAX_TCP_SACK_RANGES`. */
export const MAX_SACK_RANGES = 4;

/**
 * The current packet's time: capture-relative nanoseconds (for comparisons) and the exact
 * absolute seconds and nanoseconds (for display). One instance, updated per packet and passed
 * by reference: passing the numbers themselves would box them on every call.
 */
export class Instant {
  rel = DOUBLE_ZERO;
  sec = DOUBLE_ZERO;
  nsec = 0;
  /** The capture's first frame (`rel` is measured from it): `(sec - baseSec) * 1e9 + (nsec - baseNsec)`. */
  baseSec = 0;
  baseNsec = 0;
}

/**
 * Unacknowledged segments of all flows, as singly linked lists in typed arrays (Wireshark's
 * `tcp_unacked_t` list, newest first). A freed entry goes back on a free list.
 */
export class SegmentPool {
  next = new Int32Array(1024);
  prev = new Int32Array(1024);
  /** Absolute time of the segment, exact (seconds, nanoseconds), for ack_rtt. */
  tsSec = new Float64Array(1024);
  tsNsec = new Int32Array(1024);
  frame = new Uint32Array(1024);
  seq = new Uint32Array(1024);
  nextseq = new Uint32Array(1024);
  ts = new Float64Array(1024);
  private free = -1;
  private used = 0;
  /** Entries in use (for memory reports and tests). */
  live = 0;

  alloc(): number {
    let i = this.free;
    if (i >= 0) {
      this.free = this.next[i];
    } else {
      if (this.used === this.next.length) this.grow();
      i = this.used++;
    }
    this.live++;
    return i;
  }

  release(i: number): void {
    this.next[i] = this.free;
    this.free = i;
    this.live--;
  }

  /** Returns a whole list to the free list. */
  releaseList(head: number): void {
    while (head >= 0) {
      const n = this.next[head];
      this.release(head);
      head = n;
    }
  }

  get bytes(): number {
    return this.next.length * (4 + 4 + 4 + 4 + 4 + 8 + 8 + 4);
  }

  private grow(): void {
    const n = this.next.length * 2;
    const g = <T extends Int32Array | Uint32Array | Float64Array>(a: T): T => {
      const b = new (a.constructor as new (n: number) => T)(n);
      b.set(a);
      return b;
    };
    this.next = g(this.next);
    this.prev = g(this.prev);
    this.tsSec = g(this.tsSec);
    this.tsNsec = g(this.tsNsec);
    this.frame = g(this.frame);
    this.seq = g(this.seq);
    this.nextseq = g(this.nextseq);
    this.ts = g(this.ts);
  }
}

/** One direction of a connection (Wireshark's `tcp_flow_t` with its `tcp_analyze_seq_info`). */
export class TcpFlow {
  staticFlags = 0;
  /**
   * Sequence numbers of the flow (base, last ACK, next, max to be ACKed) are kept as signed
   * 32-bit values (`| 0`): small integers stored in the object, not boxed doubles each a
   * separate heap object (a cache miss per field on every packet). Only differences (`| 0`)
   * and equality with other `| 0` values are taken; `>>> 0` turns them back into unsigned.
   */
  baseSeq = 0;
  /** Last window value seen (unscaled, as in the header). */
  window = 0;
  /** -1 unknown, -2 no scaling, else the shift count. */
  winScale = -1;
  isFirstAck = false;
  validBif = true;
  pushBytesSent = 0;
  pushSetLast = false;
  closingInitiator = false;
  lastSegmentFlags = 0;
  // tcp_analyze_seq_info. Unacked segments: a list from segHead (newest) to segTail (oldest);
  // `segSorted` while their SEQ and next SEQ never decrease from tail to head, which lets the
  // ACK and bytes-in-flight passes stop early with exactly Wireshark's results.
  segHead = -1;
  segTail = -1;
  segCount = 0;
  segSorted = true;
  lastack = 0;
  /**
   * When the last ACK was sent and `nextseq` last moved, as exact (seconds, nanoseconds) small
   * integers (no boxed double to update per packet), valid once their `…Set` flag is.
   */
  lastackSet = false;
  lastackSec = 0;
  lastackNsec = 0;
  lastnondupack = 0;
  dupacknum = 0;
  nextseq = 0;
  maxseqtobeacked = 0;
  nextseqFrame = 0;
  nextseqSet = false;
  nextseqSec = 0;
  nextseqNsec = 0;
  /**
   * SACK blocks of this direction's latest segment: how many Wireshark stored (at most 3) and
   * the bytes they cover (the sum bytes-in-flight subtracts).
   */
  numSackRanges = 0;
  sackBytes = 0;
}

/** Per-connection state that Wireshark keeps in `struct tcp_analysis`. */
export class TcpConversation {
  readonly fwdLow = new TcpFlow();
  readonly fwdHigh = new TcpFlow();
  /** A pure SYN was seen (its time: `mruSynSec`, `mruSynNsec`). */
  hasMruSyn = false;
  // The first frame, the previous frame and the latest pure SYN as exact absolute times
  // (seconds, nanoseconds): for display, and the first and previous frames' distances to the
  // current one (no capture-relative copies to keep up per packet). Epoch seconds fit a small
  // integer (until 2038: the field then turns double, still exact).
  firstSec = 0;
  firstNsec = 0;
  prevSec = 0;
  prevNsec = 0;
  mruSynSec = 0;
  mruSynNsec = 0;
  firstRttSec = 0;
  firstRttNsec = 0;
  completeness = 0;
  serverPort = 0;

  /** iRTT in ns; 0 = not known (Wireshark's zero nstime). Exact: the pair has one sign. */
  get firstRtt(): number {
    return this.firstRttSec * 1e9 + this.firstRttNsec;
  }

  constructor(public stream: number, sec = 0, nsec = 0) {
    this.firstSec = this.prevSec = sec;
    this.firstNsec = this.prevNsec = nsec;
  }

  /** Frees the unacknowledged segment lists (when the connection is released). */
  releaseSegments(pool: SegmentPool): void {
    pool.releaseList(this.fwdLow.segHead);
    pool.releaseList(this.fwdHigh.segHead);
    this.fwdLow.segHead = this.fwdHigh.segHead = -1;
    this.fwdLow.segTail = this.fwdHigh.segTail = -1;
    this.fwdLow.segCount = this.fwdHigh.segCount = 0;
    this.fwdLow.segSorted = this.fwdHigh.segSorted = true;
  }
}

/** Completeness bits (`tcp.completeness`). */
export const C_SYNSENT = 0x01;
export const C_SYNACK = 0x02;
export const C_ACK = 0x04;
export const C_DATA = 0x08;
export const C_FIN = 0x10;
export const C_RST = 0x20;

// Header remark bits (TcpNote.remarks).
export const R_ACK_NONZERO = 0x01;
export const R_URGENT_NONZERO = 0x02;
export const R_MSS_ABSENT = 0x04;
export const R_MSS_PRESENT = 0x08;
export const R_NOP_RUN = 0x10;
export const R_EOL_PADDING = 0x20;
export const R_WSCALE_INVALID = 0x40;
export const R_DSACK = 0x80;

/**
 * What the analysis found for the current packet: the values behind `tcp.stream`,
 * `tcp.seq`, `tcp.analysis.*`… One instance is reused for every packet.
 */
export class TcpNote {
  /** False when the packet was not analysed (quoted in ICMP, header too short…). */
  valid = false;
  stream = 0;
  completeness = 0;
  haveSeglen = false;
  len = 0;
  flags = 0;
  seqRaw = DOUBLE_ZERO;
  ackRaw = DOUBLE_ZERO;
  seq = DOUBLE_ZERO;
  ack = DOUBLE_ZERO;
  nxtseq = DOUBLE_ZERO;
  /** Window after scaling, and the factor shown: -1 unknown, -2 none, else 1 << shift; NaN for SYNs. */
  window = 0;
  scaleFactor = Number.NaN;
  timeRelNs = DOUBLE_ZERO;
  timeDeltaNs = DOUBLE_ZERO;
  /**
   * The packet's time and the stream's first and previous frames' times (exact seconds and
   * nanoseconds); `relSec`… are derived from them only when asked (tree, fields).
   */
  nowSec = DOUBLE_ZERO;
  nowNsec = 0;
  firstSec = DOUBLE_ZERO;
  firstNsec = 0;
  prevSec = DOUBLE_ZERO;
  prevNsec = 0;
  rttSec = DOUBLE_ZERO;
  rttNsec = 0;
  irttSec = DOUBLE_ZERO;
  irttNsec = 0;
  /** Wireshark creates its `tcp_acked` record ("ta") only for interesting packets; the analysis subtree shows only then. */
  hasTa = false;
  analysis = 0;
  acksFrame = 0;
  ackRttNs = DOUBLE_ZERO;
  bytesInFlight = DOUBLE_ZERO;
  pushBytesSent = DOUBLE_ZERO;
  dupackNum = 0;
  dupackFrame = 0;
  irttNs = DOUBLE_ZERO;
  /** 1: this FIN initiates the close, 2: it answers one. */
  finRole = 0;
  /**
   * Header remarks as `R_*` bits (one number to clear per packet): ACK number set without the
   * ACK flag, urgent pointer without URG, MSS on a non-SYN / none on a SYN, 4 NOPs, non-zero
   * padding after EOL, window scale above 14, D-SACK.
   */
  remarks = 0;
  dsackLeft = DOUBLE_ZERO;
  dsackRight = DOUBLE_ZERO;
  /** The header quoted in an ICMP error: stream only, no analysis. */
  quoted = false;
  /** Quoted in an ICMPv4 error: tshark shows the sequence number early and no `tcp.seq_raw`. */
  quotedV4 = false;
  /**
   * Where a snaplen cut stopped tshark's dissection: 0 not cut, 1 before the urgent pointer
   * (no timestamps, options or analysis shown), 2 inside the options (no analysis shown).
   */
  cut = 0;

  /** Time since the stream's first frame, as Wireshark's nstime_delta (seconds and nanoseconds of one sign). */
  get relSec(): number {
    return deltaSec(this.nowSec, this.nowNsec, this.firstSec, this.firstNsec);
  }

  get relNsec(): number {
    return deltaNsec(this.nowSec, this.nowNsec, this.firstSec, this.firstNsec);
  }

  /** Time since the stream's previous frame. */
  get deltaSec(): number {
    return deltaSec(this.nowSec, this.nowNsec, this.prevSec, this.prevNsec);
  }

  get deltaNsec(): number {
    return deltaNsec(this.nowSec, this.nowNsec, this.prevSec, this.prevNsec);
  }

  get ackNonzero(): boolean {
    return (this.remarks & R_ACK_NONZERO) !== 0;
  }

  get urgentNonzero(): boolean {
    return (this.remarks & R_URGENT_NONZERO) !== 0;
  }

  get mssAbsent(): boolean {
    return (this.remarks & R_MSS_ABSENT) !== 0;
  }

  get mssPresent(): boolean {
    return (this.remarks & R_MSS_PRESENT) !== 0;
  }

  get nopRun(): boolean {
    return (this.remarks & R_NOP_RUN) !== 0;
  }

  get eolPadding(): boolean {
    return (this.remarks & R_EOL_PADDING) !== 0;
  }

  get wscaleInvalid(): boolean {
    return (this.remarks & R_WSCALE_INVALID) !== 0;
  }

  get dsack(): boolean {
    return (this.remarks & R_DSACK) !== 0;
  }

  reset(): void {
    this.quoted = false;
    this.quotedV4 = false;
    this.cut = 0;
    this.valid = false;
    this.haveSeglen = false;
    this.hasTa = false;
    this.analysis = 0;
    this.acksFrame = 0;
    this.ackRttNs = DOUBLE_ZERO;
    this.bytesInFlight = DOUBLE_ZERO;
    this.pushBytesSent = DOUBLE_ZERO;
    this.dupackNum = 0;
    this.dupackFrame = 0;
    this.irttNs = DOUBLE_ZERO;
    this.finRole = 0;
    this.remarks = 0;
    this.scaleFactor = Number.NaN;
  }
}

/**
 * Wireshark's `tcp_analyze_sequence_number()` for one segment (sequence comparisons written
 * out as `((a - b) | 0) > 0`, the seq.ts helpers inlined by hand: this function is too large
 * for V8 to inline them all, and a call would box its 32-bit arguments) of `conv` sent in the
 * direction of `fwd`, at time `now`; the raw SEQ and ACK are in the note (`seqRaw`, `ackRaw`).
 */
export function analyzeSequence(
  conv: TcpConversation, fwd: TcpFlow, rev: TcpFlow, pool: SegmentPool, note: TcpNote,
  frame: number, seglen: number, flags: number, window: number, now: Instant,
): void {
  const seq = note.seqRaw;
  const ack = note.ackRaw;
  // Base sequence numbers: the SYN's, or seq-1 when the SYN was not seen (Wireshark bug 1542).
  if (!(fwd.staticFlags & S_BASE_SEQ_SET)) {
    if (flags & TH_SYN) {
      fwd.baseSeq = seq | 0;
      fwd.staticFlags |= flags & TH_ACK ? S_SAW_SYNACK : S_SAW_SYN;
    } else {
      fwd.baseSeq = (seq - 1) | 0;
    }
    fwd.staticFlags |= S_BASE_SEQ_SET;
  }
  // The reverse ISN comes from the first ACK seen (ack-1), never from a SYN's ACK field.
  if (!(rev.staticFlags & S_BASE_SEQ_SET) && flags & TH_ACK) {
    rev.baseSeq = (ack - 1) | 0;
    rev.staticFlags |= S_BASE_SEQ_SET;
  }
  if (flags & TH_ACK) rev.validBif = true;

  checkFlags(conv, fwd, rev, note, frame, seglen, flags, window, now);
  trackSegments(fwd, rev, pool, note, frame, seglen, flags, window, now);
  bytesInFlight(fwd, rev, pool, note, seglen, flags);
}

/**
 * The flag checks of tcp_analyze_sequence_number, up to the retransmission classification
 * (split from the bookkeeping so each part compiles and re-optimises on its own).
 */
function checkFlags(conv: TcpConversation, fwd: TcpFlow, rev: TcpFlow, note: TcpNote, frame: number, seglen: number, flags: number, window: number, now: Instant): void {
  // Signed 32-bit forms, as the flow keeps its sequence numbers.
  const seq = note.seqRaw | 0;
  const ack = note.ackRaw | 0;
  let a = note.analysis;
  let ta = note.hasTa;
  const noSynFinRst = (flags & (TH_SYN | TH_FIN | TH_RST)) === 0;

  checks: {
    // ZERO WINDOW PROBE: 1 byte at the next expected sequence number into a closed window.
    if (seglen === 1 && seq === fwd.nextseq && rev.window === 0) {
      ta = true;
      a |= A_ZERO_WINDOW_PROBE;
      break checks;
    }
    // ZERO WINDOW
    if (window === 0 && noSynFinRst) {
      ta = true;
      a |= A_ZERO_WINDOW;
    }
    // LOST PACKET: beyond the highest nextseq seen, so something before it was not captured.
    if (fwd.nextseq && ((seq - fwd.nextseq) | 0) > 0 && (flags & TH_RST) === 0) {
      ta = true;
      a |= A_LOST_PACKET;
      fwd.validBif = false;
    }
    // KEEP ALIVE: 0 or 1 byte one before the next expected sequence number.
    if ((seglen === 0 || seglen === 1) && seq === ((fwd.nextseq - 1) | 0) && noSynFinRst) {
      ta = true;
      a |= A_KEEP_ALIVE;
    }
    // WINDOW UPDATE: same SEQ/ACK as before, only the window changed.
    if (seglen === 0 && window && window !== fwd.window && seq === fwd.nextseq && ack === fwd.lastack && noSynFinRst) {
      ta = true;
      a |= A_WINDOW_UPDATE;
    }
    // WINDOW FULL: the data reaches the right edge of the receiver's advertised window.
    if (seglen > 0 && rev.winScale !== -1 && noSynFinRst) {
      const shift = rev.isFirstAck ? 0 : rev.winScale === -2 ? 0 : rev.winScale;
      if (((seq + seglen) >>> 0) === ((rev.lastack + (rev.window << shift)) >>> 0)) {
        ta = true;
        a |= A_WINDOW_FULL;
      }
    }
    // KEEP ALIVE ACK: repeats the previous ACK after a keep-alive from the other side.
    if (seglen === 0 && window && window === fwd.window && seq === fwd.nextseq && ack === fwd.lastack
      && rev.lastSegmentFlags & A_KEEP_ALIVE && noSynFinRst) {
      ta = true;
      a |= A_KEEP_ALIVE_ACK;
      break checks;
    }
    // ZERO WINDOW PROBE ACK
    if (seglen === 0 && window === 0 && window === fwd.window && seq === fwd.nextseq && ack === fwd.lastack
      && rev.lastSegmentFlags & A_ZERO_WINDOW_PROBE && noSynFinRst) {
      ta = true;
      a |= A_ZERO_WINDOW_PROBE_ACK;
      break checks;
    }
    // DUPLICATE ACK
    if (seglen === 0 && window && window === fwd.window && seq === fwd.nextseq && ack === fwd.lastack && noSynFinRst) {
      fwd.dupacknum = (fwd.dupacknum + 1) | 0;
      ta = true;
      a |= A_DUPLICATE_ACK;
      note.dupackNum = fwd.dupacknum;
      note.dupackFrame = fwd.lastnondupack;
    }
  }

  // finished_fwd: a new ACK number resets the duplicate-ACK counter.
  if (ack !== fwd.lastack) {
    fwd.lastnondupack = frame;
    fwd.dupacknum = 0;
  }

  // ACKED LOST PACKET: ACKs data beyond what was seen from the other side. Wireshark 4.0 then
  // moves the other side's "max seq to be acked" to its nextseq so one loss is flagged once.
  if (rev.maxseqtobeacked && ((ack - rev.maxseqtobeacked) | 0) > 0 && flags & TH_ACK) {
    ta = true;
    a |= A_ACK_LOST_PACKET;
    rev.maxseqtobeacked = rev.nextseq;
  }

  // RETRANSMISSION / FAST RETRANSMISSION / OUT-OF-ORDER (never for a keep-alive).
  if ((seglen > 0 || flags & (TH_SYN | TH_FIN)) && !(ta && a & A_KEEP_ALIVE)) {
    let seqNotAdvanced = fwd.nextseq !== 0 && ((seq - fwd.nextseq) | 0) < 0;
    // More than one byte starting one before nextseq adds new data (after a zero-window probe).
    if (seglen > 1 && ((fwd.nextseq - 1) | 0) === seq) seqNotAdvanced = false;
    retrans: {
      if (seglen > 0 && rev.lastack && ((((seq + seglen) >>> 0) - rev.lastack) | 0) <= 0) {
        ta = true;
        a |= A_SPURIOUS_RETRANSMISSION;
        break retrans;
      }
      // Fast retransmission first (Wireshark's default "fast retransmission supersedes out-of-order").
      // Time since the other side's last ACK (exact: the capture-relative difference).
      let t = rev.lastackSet ? (now.sec - rev.lastackSec) * 1e9 + (now.nsec - rev.lastackNsec) : Infinity;
      if (seqNotAdvanced && rev.dupacknum >= 2 && rev.lastack === seq && t >= 0 && t < 20e6) {
        ta = true;
        a |= A_FAST_RETRANSMISSION;
        break retrans;
      }
      t = fwd.nextseqSet ? (now.sec - fwd.nextseqSec) * 1e9 + (now.nsec - fwd.nextseqNsec) : Infinity;
      const oooThreshold = conv.firstRtt === 0 ? 3e6 : conv.firstRtt;
      if (seqNotAdvanced && t >= 0 && t < oooThreshold
        && fwd.nextseq !== ((seq + seglen + (flags & (TH_SYN | TH_FIN) ? 1 : 0)) | 0)) {
        ta = true;
        a |= A_OUT_OF_ORDER;
        break retrans;
      }
      if (seqNotAdvanced) {
        ta = true;
        a |= A_RETRANSMISSION;
      }
    }
  }

  note.analysis = a;
  note.hasTa = ta;
}

/**
 * Remembers the segment until it is ACKed, moves nextseq / max-seq-to-be-ACKed, and removes
 * the segments this one ACKs (acks_frame, ack_rtt).
 */
function trackSegments(fwd: TcpFlow, rev: TcpFlow, pool: SegmentPool, note: TcpNote, frame: number, seglen: number, flags: number, window: number, now: Instant): void {
  const seq = note.seqRaw;
  const ack = note.ackRaw;
  const ts = now.rel;
  const a = note.analysis;
  let ta = note.hasTa;
  // finished_checking_retransmission_type: remember the segment until it is ACKed.
  let nextseq = (seq + seglen) >>> 0;
  if ((seglen || flags & (TH_SYN | TH_FIN)) && fwd.segCount < MAX_UNACKED_SEGMENTS) {
    if (flags & (TH_SYN | TH_FIN)) nextseq = (nextseq + 1) >>> 0;
    const u = pool.alloc();
    const h = fwd.segHead;
    pool.prev[u] = -1;
    pool.next[u] = h;
    if (h >= 0) {
      if (fwd.segSorted && !(((seq - pool.seq[h]) | 0) >= 0 && ((nextseq - pool.nextseq[h]) | 0) >= 0)) fwd.segSorted = false;
      pool.prev[h] = u;
    } else {
      fwd.segTail = u;
      fwd.segSorted = true;
    }
    fwd.segHead = u;
    fwd.segCount++;
    pool.frame[u] = frame;
    pool.seq[u] = seq;
    pool.ts[u] = ts;
    pool.tsSec[u] = now.sec;
    pool.tsNsec[u] = now.nsec;
    pool.nextseq[u] = nextseq;
  }
  const zwp = ta && (a & A_ZERO_WINDOW_PROBE) !== 0;
  if (((nextseq - fwd.nextseq) | 0) > 0 || !fwd.nextseq) {
    if (!zwp) {
      fwd.nextseq = nextseq | 0;
      fwd.nextseqFrame = frame;
      fwd.nextseqSet = true;
      fwd.nextseqSec = now.sec;
      fwd.nextseqNsec = now.nsec;
    }
  }
  if ((seq | 0) === fwd.maxseqtobeacked || !fwd.maxseqtobeacked) {
    if (!zwp) fwd.maxseqtobeacked = fwd.nextseq;
  }
  fwd.window = window;
  fwd.lastack = ack | 0;
  fwd.lastackSet = true;
  fwd.lastackSec = now.sec;
  fwd.lastackNsec = now.nsec;
  fwd.lastSegmentFlags = ta ? a : 0;

  // Remove the segments this ACKs. Wireshark walks newest to oldest and keeps the last exact
  // match for acks_frame/ack_rtt: walking oldest first, the first exact match is that one.
  // Each segment's fate does not depend on the order, so a sorted list stops at the first
  // segment starting at or after the ACK (none after it can be ACKed, even partly).
  const sorted = rev.segSorted;
  let matched = false;
  let monotonic = true;
  let lastSeq = 0;
  let lastNext = 0;
  let kept = false;
  let u = rev.segTail;
  while (u >= 0) {
    const useq = pool.seq[u];
    const unext = pool.nextseq[u];
    const newer = pool.prev[u];
    if (sorted && ((useq - ack) | 0) >= 0) break;
    let remove = false;
    if (ack === unext) {
      if (!matched) {
        matched = true;
        ta = true;
        note.acksFrame = pool.frame[u];
        note.ackRttNs = ts - pool.ts[u];
        let rs = now.sec - pool.tsSec[u];
        let rn = now.nsec - pool.tsNsec[u];
        if (rs > 0 && rn < 0) {
          rn += 1e9;
          rs--;
        } else if (rs < 0 && rn > 0) {
          rn -= 1e9;
          rs++;
        }
        note.rttSec = rs;
        note.rttNsec = rn;
      }
      remove = true;
    } else if (((ack - useq) | 0) > 0 && ((ack - unext) | 0) <= 0) {
      pool.seq[u] = ack; // partly ACKed: keep the unacknowledged part
    } else if (((unext - ack) | 0) <= 0) {
      remove = true;
    }
    if (remove) {
      const older = pool.next[u];
      if (newer >= 0) pool.next[newer] = older;
      else rev.segHead = older;
      if (older >= 0) pool.prev[older] = newer;
      else rev.segTail = newer;
      pool.release(u);
      rev.segCount--;
    } else if (!sorted) {
      // Watch whether what stays is ordered again.
      const s2 = pool.seq[u];
      if (kept && !(((s2 - lastSeq) | 0) >= 0 && ((unext - lastNext) | 0) >= 0)) monotonic = false;
      kept = true;
      lastSeq = s2;
      lastNext = unext;
    }
    u = newer;
  }
  if (rev.segHead < 0 || (!sorted && monotonic)) rev.segSorted = true;

  note.hasTa = ta;
}

/** Bytes in flight (Wireshark's default payload-based method) and bytes since the last PSH. */
function bytesInFlight(fwd: TcpFlow, rev: TcpFlow, pool: SegmentPool, note: TcpNote, seglen: number, flags: number): void {
  let u = fwd.segHead;
  if (seglen !== 0 && u >= 0 && fwd.validBif) {
    const base = fwd.baseSeq;
    let first = (pool.seq[fwd.segTail] - base) >>> 0;
    let last = (pool.nextseq[u] - base) >>> 0;
    if (!fwd.segSorted || first > last) {
      first = (pool.seq[u] - base) >>> 0;
      for (; u >= 0; u = pool.next[u]) {
        const l = (pool.nextseq[u] - base) >>> 0;
        if (l > last) last = l;
        const f = (pool.seq[u] - base) >>> 0;
        if (f < first) first = f;
      }
    }
    let inFlight = (last - first) >>> 0;
    if (rev.numSackRanges > 0) inFlight = (inFlight - rev.sackBytes) >>> 0;
    if (inFlight > 0 && inFlight < 2000000000) {
      note.hasTa = true;
      note.bytesInFlight = flags & (TH_SYN | TH_FIN) ? inFlight - 1 : inFlight;
    }
    if (flags & TH_PUSH && !fwd.pushSetLast) {
      fwd.pushBytesSent = (fwd.pushBytesSent + seglen) >>> 0;
      fwd.pushSetLast = true;
    } else if (flags & TH_PUSH && fwd.pushSetLast) {
      fwd.pushBytesSent = seglen;
      fwd.pushSetLast = true;
    } else if (fwd.pushSetLast) {
      fwd.pushBytesSent = seglen;
      fwd.pushSetLast = false;
    } else {
      fwd.pushBytesSent = (fwd.pushBytesSent + seglen) >>> 0;
    }
    note.hasTa = true;
    note.pushBytesSent = fwd.pushBytesSent;
  }

}

/**
 * Seconds of Wireshark's `nstime_delta(now - then)` on exact (seconds, nanoseconds) times: the
 * result has seconds and nanoseconds of one sign, as tshark prints relative times.
 */
export function deltaSec(nowSec: number, nowNsec: number, thenSec: number, thenNsec: number): number {
  const sec = nowSec - thenSec;
  const nsec = nowNsec - thenNsec;
  if (sec > 0 && nsec < 0) return sec - 1;
  if (sec < 0 && nsec > 0) return sec + 1;
  return sec;
}

/** Nanoseconds of the same difference. */
export function deltaNsec(nowSec: number, nowNsec: number, thenSec: number, thenNsec: number): number {
  const sec = nowSec - thenSec;
  const nsec = nowNsec - thenNsec;
  if (sec > 0 && nsec < 0) return nsec + 1e9;
  if (sec < 0 && nsec > 0) return nsec - 1e9;
  return nsec;
}

/** Text of an exact relative time as tshark prints it (`-1.000000500`, `0.000874000`). */
export function pairText(sec: number, nsec: number): string {
  const neg = sec < 0 || nsec < 0;
  return `${neg ? '-' : ''}${Math.abs(sec)}.${String(Math.abs(nsec)).padStart(9, '0')}`;
}
