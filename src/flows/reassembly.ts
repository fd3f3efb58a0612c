/**
 * TCP stream reassembly: an in-order byte stream per direction for protocol dissectors and
 * Follow TCP Stream.
 *
 * - Retransmitted and overlapping bytes are delivered once; a segment that adds bytes beyond
 *   what was delivered gives only those bytes.
 * - Out-of-order segments are held (copied) until the bytes before them arrive.
 * - A hole is reported as a gap, never filled with invented bytes: when the other side
 *   acknowledges past the hole (the receiver got data the capture missed) — the rule of
 *   Wireshark's follow code (`check_follow_fragments`, bug 592) — or when the held bytes pass
 *   the buffer limit, or at the end of the connection.
 * - Buffering is bounded (`maxBuffered` bytes held per direction): beyond it the stream skips
 *   to the held data with an `overflow` event so the consumer knows bytes were dropped.
 *
 * Consumers receive events in stream order through a {@link StreamSink}; `data` bytes are a
 * view valid only during the call (copy what you keep). Sequence numbers are raw 32-bit
 * values compared wrap-safely. Direction 0 is the client (the sender of the connection's first
 * packet seen, tshark's "Node 0"), 1 the server.
 *
 * @example
 * const r = new StreamReassembler({ data: (dir, bytes) => out[dir].push(bytes.slice()), gap: () => {} });
 * r.segment(0, frame, seq, ack, flags, buf, off, len, captured); // for every segment, in capture order
 * r.end(frame);
 */
import { seqGt, seqLt } from './seq.js';

const SYN = 0x02;

/** What a reassembler tells its consumer. */
export interface StreamSink {
  /** New in-order bytes of direction `dir` (0 client, 1 server), from segment `frame`. */
  data(dir: 0 | 1, bytes: Uint8Array, frame: number): void;
  /** `missing` bytes of direction `dir` were not captured; the stream continues after them. */
  gap(dir: 0 | 1, missing: number, frame: number): void;
  /** The buffer limit was hit: `dropped` held bytes (or more) of direction `dir` are lost. */
  overflow?(dir: 0 | 1, dropped: number, frame: number): void;
}

export interface ReassemblyOptions {
  /** Most out-of-order bytes held per direction (default 4 MiB). */
  maxBuffered?: number;
}

interface Held {
  seq: number;
  data: Uint8Array;
  frame: number;
}

class Direction {
  started = false;
  /** Next expected sequence number. */
  seq = 0;
  /** Bytes delivered so far. */
  delivered = 0;
  held: Held[] = [];
  heldBytes = 0;
}

/** Reassembles both directions of one TCP connection. */
export class StreamReassembler {
  private readonly dirs = [new Direction(), new Direction()];
  private readonly maxBuffered: number;
  /** Held bytes of both directions (for memory accounting). */
  get bufferedBytes(): number {
    return this.dirs[0].heldBytes + this.dirs[1].heldBytes;
  }

  constructor(private readonly sink: StreamSink, opts: ReassemblyOptions = {}) {
    this.maxBuffered = opts.maxBuffered ?? 4 * 1024 * 1024;
  }

  /**
   * One TCP segment (every segment, data or not: ACKs reveal losses). `len` is the payload
   * length the IP header reports, `captured` how much of it the capture kept (from `off`).
   */
  segment(dir: 0 | 1, frame: number, seq: number, ack: number, flags: number, buf: Uint8Array, off: number, len: number, captured: number): void {
    // The other side ACKing past its own hole: the receiver saw bytes the capture did not.
    const other = this.dirs[dir ^ 1];
    if (other.held.length) while (this.drain((dir ^ 1) as 0 | 1, ack, frame, true));

    const d = this.dirs[dir];
    let sequence = flags & SYN ? (seq + 1) >>> 0 : seq;
    if (!d.started) {
      d.started = true;
      d.seq = sequence;
    }
    let length = len;
    let dataOff = off;
    let dataLen = captured;
    if (seqLt(sequence, d.seq)) {
      // Starts before what was delivered: keep only the bytes beyond it (retransmission with more data).
      const next = (sequence + length) >>> 0;
      if (seqGt(next, d.seq)) {
        const skip = (d.seq - sequence) >>> 0;
        dataLen = dataLen <= skip ? 0 : dataLen - skip;
        dataOff += skip;
        sequence = d.seq;
        length = (next - d.seq) >>> 0;
      }
    }
    if (dataLen === 0 || seqLt(sequence, d.seq)) return;
    if (sequence === d.seq) {
      d.seq = (d.seq + length) >>> 0;
      d.delivered += dataLen;
      this.sink.data(dir, buf.subarray(dataOff, dataOff + dataLen), frame);
      while (this.drain(dir, 0, frame, false));
      return;
    }
    // Out of order: hold a copy until the bytes before it arrive (bounded).
    if (d.heldBytes + dataLen > this.maxBuffered) {
      // Give up on the hole: report what is lost, deliver what is held, then this segment.
      this.sink.overflow?.(dir, d.heldBytes + dataLen, frame);
      while (this.drain(dir, 0, frame, false, true));
      if (seqLt(d.seq, sequence)) {
        this.sink.gap(dir, (sequence - d.seq) | 0, frame);
        d.seq = sequence;
      }
      const skip = (d.seq - sequence) >>> 0;
      if (skip < dataLen) {
        d.delivered += dataLen - skip;
        this.sink.data(dir, buf.subarray(dataOff + skip, dataOff + dataLen), frame);
      }
      if (seqGt((sequence + length) >>> 0, d.seq)) d.seq = (sequence + length) >>> 0;
      return;
    }
    d.held.push({ seq: sequence, data: buf.slice(dataOff, dataOff + dataLen), frame });
    d.heldBytes += dataLen;
  }

  /**
   * Delivers held data that now fits; with `useAck`, reports a gap when `acknowledged` is past
   * the lowest held segment; with `force`, skips the hole to the lowest held segment.
   * Returns true when something changed (call again).
   */
  private drain(dir: 0 | 1, acknowledged: number, frame: number, useAck: boolean, force = false): boolean {
    const d = this.dirs[dir];
    const held = d.held;
    if (!held.length) return false;
    let lowest = held[0].seq;
    for (let i = 0; i < held.length; i++) {
      const f = held[i];
      if (seqGt(lowest, f.seq)) lowest = f.seq;
      if (seqLt(f.seq, d.seq)) {
        // Dated: deliver only what it adds beyond the stream.
        const next = (f.seq + f.data.length) >>> 0;
        if (seqGt(next, d.seq)) {
          const pos = (d.seq - f.seq) >>> 0;
          if (f.data.length > pos) {
            d.delivered += f.data.length - pos;
            this.sink.data(dir, f.data.subarray(pos), f.frame);
          }
          d.seq = (d.seq + (f.data.length - pos)) >>> 0;
        }
        this.removeHeld(d, i);
        return true;
      }
      if (f.seq === d.seq) {
        if (f.data.length) this.sink.data(dir, f.data, f.frame);
        d.seq = (d.seq + f.data.length) >>> 0;
        d.delivered += f.data.length;
        this.removeHeld(d, i);
        return true;
      }
    }
    if ((useAck && seqGt(acknowledged, lowest)) || force) {
      this.sink.gap(dir, (lowest - d.seq) | 0, frame);
      d.seq = lowest;
      return true;
    }
    return false;
  }

  private removeHeld(d: Direction, i: number): void {
    d.heldBytes -= d.held[i].data.length;
    d.held.splice(i, 1);
  }

  /** End of the connection: held data is delivered after reporting the holes before it. */
  end(frame: number): void {
    for (const dir of [0, 1] as const) {
      while (this.drain(dir, 0, frame, false, this.dirs[dir].held.length > 0));
    }
  }

  /** Bytes delivered so far in direction `dir`. */
  delivered(dir: 0 | 1): number {
    return this.dirs[dir].delivered;
  }
}

/**
 * Splits a byte stream into messages whose length is announced in a fixed-size header
 * (length-prefixed protocols: TNS, MySQL, PostgreSQL, TLS records, DNS over TCP…), whatever
 * the segment boundaries. `lengthOf(header)` returns the whole message length (header
 * included) or -1 when the header is invalid. Messages larger than `maxMessage` are skipped
 * and reported through `onSkip`; a gap in the stream discards the partial message (the next
 * bytes may start mid-message, so the framer waits for the consumer to `resync`).
 *
 * @example
 * // TLS records: 5-byte header, length in bytes 3-4
 * const framer = new PduFramer(5, (h) => 5 + ((h[3] << 8) | h[4]), (msg) => records.push(msg));
 * framer.push(bytes); // any chunking
 */
export class PduFramer {
  private buf = new Uint8Array(256);
  private len = 0;
  private skip = 0;
  /** False after a gap or an invalid header, until `resync()`. */
  inSync = true;

  constructor(
    readonly headerLength: number,
    readonly lengthOf: (header: Uint8Array) => number,
    readonly onMessage: (message: Uint8Array) => void,
    readonly maxMessage = 16 * 1024 * 1024,
    readonly onSkip?: (length: number, reason: 'too-long' | 'invalid' | 'gap') => void,
  ) {}

  /** Feeds in-order bytes (a view is fine: they are copied only when a message spans chunks). */
  push(bytes: Uint8Array): void {
    let at = 0;
    if (!this.inSync) return;
    if (this.skip > 0) {
      const n = Math.min(this.skip, bytes.length);
      this.skip -= n;
      at = n;
    }
    while (at < bytes.length) {
      if (this.len === 0) {
        // Fast path: whole messages inside this chunk need no copy.
        const rest = bytes.length - at;
        if (rest >= this.headerLength) {
          const total = this.lengthOf(bytes.subarray(at, at + this.headerLength));
          if (total < this.headerLength) {
            this.desync('invalid', total);
            return;
          }
          if (total > this.maxMessage) {
            this.onSkip?.(total, 'too-long');
            const n = Math.min(total, rest);
            this.skip = total - n;
            at += n;
            continue;
          }
          if (rest >= total) {
            this.onMessage(bytes.subarray(at, at + total));
            at += total;
            continue;
          }
        }
      }
      // Accumulate a partial message.
      const need = this.needed();
      const n = Math.min(need - this.len, bytes.length - at);
      this.append(bytes, at, n);
      at += n;
      if (this.len < this.headerLength) continue;
      const total = this.lengthOf(this.buf.subarray(0, this.headerLength));
      if (total < this.headerLength) {
        this.desync('invalid', total);
        return;
      }
      if (total > this.maxMessage) {
        this.onSkip?.(total, 'too-long');
        this.skip = total - this.len;
        this.len = 0;
        continue;
      }
      if (this.len >= total) {
        this.onMessage(this.buf.subarray(0, total));
        this.len = 0;
      }
    }
  }

  /** The stream has a hole: the partial message is dropped and framing stops until `resync()`. */
  gap(missing: number): void {
    if (this.len > 0 || this.skip > 0) this.onSkip?.(this.len + missing, 'gap');
    this.len = 0;
    this.skip = 0;
    this.inSync = false;
  }

  /** Resumes framing at the next byte pushed (the consumer found a message boundary). */
  resync(): void {
    this.len = 0;
    this.skip = 0;
    this.inSync = true;
  }

  private needed(): number {
    if (this.len < this.headerLength) return this.headerLength;
    const total = this.lengthOf(this.buf.subarray(0, this.headerLength));
    return total < this.headerLength ? this.headerLength : total;
  }

  private desync(reason: 'invalid', value: number): void {
    this.onSkip?.(value, reason);
    this.len = 0;
    this.inSync = false;
  }

  private append(bytes: Uint8Array, at: number, n: number): void {
    if (this.len + n > this.buf.length) {
      let cap = this.buf.length;
      while (cap < this.len + n) cap *= 2;
      const b = new Uint8Array(cap);
      b.set(this.buf.subarray(0, this.len));
      this.buf = b;
    }
    this.buf.set(bytes.subarray(at, at + n), this.len);
    this.len += n;
  }
}
