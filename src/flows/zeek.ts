/**
 * Zeek's conn.log: the per-endpoint sequence bookkeeping behind `orig_bytes`/`resp_bytes`
 * (from sequence numbers, as Zeek's `TCP_Endpoint::Size()`), `missed_bytes` (content gaps),
 * the duration rule (trailing packets after both sides closed do not count), a stable `uid`,
 * and the log itself in Zeek's ASCII (TSV with `#` header lines) and JSON formats.
 *
 * Rules followed (Zeek's `base/protocols/conn/main.zeek` and `src/analyzer/protocol/tcp`):
 * - an endpoint's sequence space starts at its SYN, or one before its first segment when no
 *   SYN was seen (as if there had been one); an ACK from the other side first initialises it
 *   to ack-1 when the endpoint has not sent yet;
 * - `last_seq` moves forward with seq+len (+1 for SYN, +1 for the first FIN; a RST's data does
 *   not count), `ack_seq` with the highest ACK the other side sent (not in RSTs);
 * - size = max(last, ack) - start, less the SYN octet and the FIN octet; 0 for a SYN answered
 *   by nothing but the originator's own RST after data was ACKed (half-open abort);
 * - duration, orig_bytes and resp_bytes are logged only when the duration is above zero;
 *   `local_orig`/`local_resp` stay unset (no `Site::local_nets`), `tunnel_parents` too.
 *
 * @example
 * for (const s of summaries) out += zeekLine(s, names);   // after zeekHeader(new Date())
 */
import type { ConnectionSummary } from './conversation.js';

/** Zeek's TOO_LARGE_SEQ_DELTA: SYN/RST sequence numbers this far off are not trusted. */
const TOO_LARGE_SEQ_DELTA = 1048576;
/** Content gaps remembered per direction (bounded memory; more are counted when seen). */
const MAX_HOLES = 8;

/** Zeek's endpoint states as `EndpointState` numbers them (conversation.ts). */
const INACTIVE = 0, SYN_SENT = 1, SYN_ACK_SENT = 2, PARTIAL = 3, ESTABLISHED = 4, RESET = 6;

/** One endpoint's sequence space as Zeek keeps it (relative numbers exact across wraps). */
export class ZeekEndpoint {
  /** start_seq was set from this endpoint's own first packet (TransitionFromInactive). */
  started = false;
  /** An ACK from the peer set the numbering before this endpoint sent anything. */
  seeded = false;
  /**
   * Sequence numbers are kept as signed 32-bit values (`| 0`: small integers stored in the
   * object, no boxed doubles: this state exists for every live connection); only differences
   * are compared. last_seq and ack_seq also as their distance from start_seq (may pass 2^31).
   */
  startRaw = 0;
  lastRaw = 0;
  lastRel = 0;
  ackRaw = 0;
  ackRel = 0;
  fin = false;
  /** Sent a FIN or a RST (Zeek's did_close). */
  closed = false;
  /** The state before the current one (Zeek's prev_state). */
  prevState = 0;
  /** IP total lengths sent (orig_ip_bytes / resp_ip_bytes). */
  ipBytes = 0;
  /** Unfilled holes in the sequence space, as [from, to) relative pairs, and gaps beyond the limit. */
  holes: number[] | null = null;
  overflowGap = 0;

  /** (Re)starts the numbering at `raw` with last_seq at `lastRaw`. */
  init(raw: number, lastRaw: number): void {
    this.startRaw = raw | 0;
    this.ackRaw = raw | 0;
    this.ackRel = 0;
    this.lastRaw = lastRaw | 0;
    this.lastRel = ((lastRaw - raw) | 0);
    this.holes = null;
    this.overflowGap = 0;
  }

  /** Payload bytes by sequence numbers (Zeek's `TCP_Endpoint::Size()`). */
  size(state: number, peerState: number): number {
    const noDataAcked = this.ackRel === 0 || this.ackRel === 1;
    if (this.prevState === SYN_SENT && state === RESET && peerState === INACTIVE && !noDataAcked) return 0;
    if (!this.started && !this.seeded) return 0;
    let size = Math.max(this.lastRel, this.ackRel);
    if (size < 0) size = 0;
    if (size !== 0) size--;
    if (this.fin && size !== 0) size--;
    return size;
  }

  /** Bytes in content gaps: holes never filled and data the peer ACKed beyond what was seen. */
  missed(): number {
    let n = this.overflowGap;
    const h = this.holes;
    if (h) for (let i = 0; i < h.length; i += 2) n += h[i + 1] - h[i];
    // ACKed data that never passed the capture point.
    if (this.ackRel > this.lastRel) n += this.ackRel - this.lastRel;
    return Math.max(0, n);
  }

  /** Data [from, to) seen: fills holes. */
  private fill(from: number, to: number): void {
    const h = this.holes;
    if (!h) return;
    for (let i = 0; i < h.length; i += 2) {
      const a = h[i], b = h[i + 1];
      if (to <= a || from >= b) continue;
      if (from <= a && to >= b) {
        h.splice(i, 2);
        i -= 2;
      } else if (from <= a) {
        h[i] = to;
      } else if (to >= b) {
        h[i + 1] = from;
      } else {
        h.splice(i + 2, 0, to, b);
        h[i + 1] = from;
      }
    }
    if (h.length === 0) this.holes = null;
  }

  /**
   * One segment from this endpoint (Zeek's ProcessFlags / TransitionFromInactive /
   * UpdateLastSeq, in that order). `state` is this endpoint's state before the segment.
   */
  segment(state: number, seq: number, flags: number, len: number, ipLen: number): void {
    const SYN = 0x02, FIN = 0x01, RST = 0x04;
    this.ipBytes += ipLen;
    let seqLen = len;
    if (flags & SYN) seqLen++;
    if (flags & FIN && !this.fin) {
      seqLen++;
      this.fin = true;
    }
    if (flags & RST && len > 0) seqLen = 0;
    if (flags & (FIN | RST)) this.closed = true;
    const last = (seq + seqLen) | 0;
    if (!this.started && state === INACTIVE) {
      this.started = true;
      this.init(flags & SYN ? seq : seq - 1, last);
      return;
    }
    if (flags & SYN && (state === ESTABLISHED || state === PARTIAL
      || ((state === SYN_SENT || state === SYN_ACK_SENT) && (seq | 0) !== this.startRaw))) {
      // A SYN inside the connection, or with another ISN: Zeek restarts the numbering.
      this.started = true;
      this.init(seq, last);
      return;
    }
    if (!this.started && !this.seeded) {
      this.started = true;
      this.init(flags & SYN ? seq : seq - 1, last);
      return;
    }
    this.started = true;
    const rel = this.lastRel + ((seq - this.lastRaw) | 0);
    const delta = (last - this.lastRaw) | 0;
    if (flags & (SYN | RST) && (delta > TOO_LARGE_SEQ_DELTA || delta < -TOO_LARGE_SEQ_DELTA)) return;
    if (flags & FIN && this.lastRel === 1) {
      this.lastRel += delta;
      this.lastRaw = last;
      return;
    }
    if (state === RESET) return;
    if (len > 0) {
      const from = rel + (flags & SYN ? 1 : 0);
      const to = from + (flags & RST ? 0 : len);
      if (delta > 0 && from > this.lastRel && !(flags & RST)) this.hole(this.lastRel, from);
      else this.fill(from, to);
    }
    if (delta > 0) {
      this.lastRel += delta;
      this.lastRaw = last;
    }
  }

  private hole(from: number, to: number): void {
    this.holes ??= [];
    if (this.holes.length >= MAX_HOLES * 2) this.overflowGap += to - from;
    else this.holes.push(from, to);
  }

  /** An ACK from the peer for this endpoint's data (Zeek's ProcessACK, peer side). */
  acked(state: number, ack: number, flags: number): void {
    const RST = 0x04;
    if (state === INACTIVE && !this.started) {
      // Zeek numbers a silent endpoint from the ACKs it receives, as if it had sent a SYN.
      this.seeded = true;
      this.init(ack - 1, ack - 1);
      return;
    }
    if (flags & RST) return;
    const delta = (ack - this.ackRaw) | 0;
    if (ack === 0 && delta > TOO_LARGE_SEQ_DELTA) return;
    if (delta > 0) {
      this.ackRel += delta;
      this.ackRaw = ack | 0;
      // What the ACK covers is no longer expected: holes below it stay holes (content gaps).
    }
  }
}

/** conn.log columns in Zeek's order, with their Zeek types. */
export const zeekFields = [
  ['ts', 'time'], ['uid', 'string'], ['id.orig_h', 'addr'], ['id.orig_p', 'port'], ['id.resp_h', 'addr'], ['id.resp_p', 'port'],
  ['proto', 'enum'], ['service', 'string'], ['duration', 'interval'], ['orig_bytes', 'count'], ['resp_bytes', 'count'],
  ['conn_state', 'string'], ['local_orig', 'bool'], ['local_resp', 'bool'], ['missed_bytes', 'count'], ['history', 'string'],
  ['orig_pkts', 'count'], ['orig_ip_bytes', 'count'], ['resp_pkts', 'count'], ['resp_ip_bytes', 'count'], ['tunnel_parents', 'set[string]'],
] as const;

/** Zeek's service names for the application protocols wiresage recognises. */
const serviceNames: Record<string, string> = { tls: 'ssl', postgres: 'postgresql', oracle: 'oracle-tns' };

/** The `service` value for an application protocol name (lower case, Zeek's analyzer names). */
export function zeekService(protocol: string | undefined): string | undefined {
  if (!protocol) return undefined;
  return serviceNames[protocol] ?? protocol.toLowerCase();
}

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/**
 * A stable pseudo-random connection uid in Zeek's form: `C` and base62 digits (Zeek draws
 * 96 random bits; here they are a hash of the connection's tuple, start and stream, so the
 * same capture always gives the same uids).
 */
export function zeekUid(s: ConnectionSummary): string {
  const text = `${s.proto}|${s.origAddr}|${s.origPort}|${s.respAddr}|${s.respPort}|${s.startSec}|${s.startNsec}|${s.stream}|${s.firstFrame}`;
  let h1 = 0x811c9dc5, h2 = 0x9747b28c, h3 = 0x2545f491;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x01000193);
    h2 = Math.imul(h2 ^ c, 0x5bd1e995);
    h3 = Math.imul(h3 + c, 0x27d4eb2f) ^ (h3 >>> 15);
  }
  let out = 'C';
  for (const h of [h1 >>> 0, h2 >>> 0, h3 >>> 0]) {
    // Six base62 digits per 32-bit word (62^6 > 2^32): 18 digits, then Zeek's typical length.
    let v = h;
    for (let i = 0; i < 6; i++) {
      out += BASE62[v % 62];
      v = Math.floor(v / 62);
    }
  }
  return out.slice(0, 18);
}

/** The values of one conn.log record (undefined = unset), in `zeekFields` order; times and intervals as Zeek's doubles. */
export function zeekRecord(s: ConnectionSummary): Array<string | number | undefined> {
  const z = s.zeek;
  const durationNs = z ? z.durationNs : s.durationNs;
  const timed = durationNs > 0;
  return [
    s.startSec + s.startNsec / 1e9,
    zeekUid(s),
    s.origAddr, s.origPort, s.respAddr, s.respPort,
    s.proto,
    zeekService(s.appProtocol),
    timed ? (z ? z.duration : durationNs / 1e9) : undefined,
    timed ? (z ? z.origBytes : s.origPayload) : undefined,
    timed ? (z ? z.respBytes : s.respPayload) : undefined,
    s.connState,
    undefined, undefined,
    z ? z.missedBytes : 0,
    s.history || undefined,
    s.origPackets, z ? z.origIpBytes : s.origBytes, s.respPackets, z ? z.respIpBytes : s.respBytes,
    undefined,
  ];
}

/** Zeek's ASCII log header (`#separator` … `#types`); `open` is when the log was opened. */
export function zeekHeader(open: Date): string {
  return [
    '#separator \\x09',
    '#set_separator\t,',
    '#empty_field\t(empty)',
    '#unset_field\t-',
    '#path\tconn',
    `#open\t${zeekDate(open)}`,
    `#fields\t${zeekFields.map((f) => f[0]).join('\t')}`,
    `#types\t${zeekFields.map((f) => f[1]).join('\t')}`,
  ].join('\n') + '\n';
}

/** The closing line. */
export function zeekFooter(close: Date): string {
  return `#close\t${zeekDate(close)}\n`;
}

/** Zeek's `%Y-%m-%d-%H-%M-%S` (local time, as Zeek writes it). */
function zeekDate(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}-${p(d.getHours())}-${p(d.getMinutes())}-${p(d.getSeconds())}`;
}

/** One TSV line (unset fields as `-`, times and intervals as `%.6f`; no value here can hold a tab). */
export function zeekLine(s: ConnectionSummary): string {
  return zeekRecord(s).map((v, i) => {
    if (v === undefined) return '-';
    const type = zeekFields[i][1];
    return type === 'time' || type === 'interval' ? (v as number).toFixed(6) : String(v);
  }).join('\t') + '\n';
}

/** One JSON line as Zeek's JSON writer prints it: unset fields left out, times and intervals as numbers. */
export function zeekJson(s: ConnectionSummary): string {
  const rec = zeekRecord(s);
  const parts: string[] = [];
  zeekFields.forEach(([name, type], i) => {
    const v = rec[i];
    if (v === undefined) return;
    // Doubles in their shortest exact form (Zeek prints e.g. 0.06685185432434082), whole ones with ".0".
    const text = typeof v === 'number' ? (type === 'time' || type === 'interval') && Number.isInteger(v) ? `${v}.0` : String(v) : JSON.stringify(v);
    parts.push(`${JSON.stringify(name)}:${text}`);
  });
  return `{${parts.join(',')}}\n`;
}
