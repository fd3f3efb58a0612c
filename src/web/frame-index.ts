/**
 * The server-side packet index of the web UI: per frame, where its record is in the file, its
 * times and lengths, its interface, its TCP analysis bits, its stream and the TCP numbers of
 * its Info text — about 52 bytes a frame in growing typed arrays, so a million-packet file
 * costs ~52 MB and the browser only ever asks for pages. Frames are read back by offset (one positioned read per page) and
 * decoded again for the rows, the detail tree and the bytes.
 */
import * as fs from 'node:fs';
import { NO_COMMENTS, type CaptureRecord, type InterfaceDescription } from '../file/types.js';

/** Frames without a TCP or UDP stream. */
export const NO_STREAM = -1;

export class FrameIndex {
  count = 0;
  offset = new Float64Array(1024);
  tsSec = new Float64Array(1024);
  tsNsec = new Uint32Array(1024);
  capLen = new Uint32Array(1024);
  origLen = new Uint32Array(1024);
  iface = new Uint16Array(1024);
  /** TCP analysis bits (Wireshark's TCP_A_*), 0 when the frame has no analysis flags. */
  analysis = new Uint16Array(1024);
  /** tcp.stream (>= 0), udp.stream as -(stream + 2), or NO_STREAM. */
  stream = new Int32Array(1024);
  /**
   * What the flow engine said of a TCP frame for its Info text (Wireshark's relative `Seq=`,
   * `Ack=` and scaled `Win=`), since rows are decoded again out of order, without the engine.
   */
  relSeq = new Uint32Array(1024);
  relAck = new Uint32Array(1024);
  window = new Float64Array(1024);
  /** Duplicate ACKs: frame index → the ACK they repeat and which repeat (`[TCP Dup ACK 5#1]`). */
  readonly dupAcks = new Map<number, readonly [frame: number, num: number]>();

  push(offset: number, tsSec: number, tsNsec: number, capLen: number, origLen: number, iface: number, analysis: number, stream: number): void {
    const i = this.count;
    if (i === this.offset.length) this.grow();
    this.offset[i] = offset;
    this.tsSec[i] = tsSec;
    this.tsNsec[i] = tsNsec;
    this.capLen[i] = capLen;
    this.origLen[i] = origLen;
    this.iface[i] = iface;
    this.analysis[i] = analysis;
    this.stream[i] = stream;
    this.count = i + 1;
  }

  /** Adds the TCP numbers of the frame pushed last. */
  setTcp(seq: number, ack: number, window: number, dupAckFrame: number, dupAckNum: number): void {
    const i = this.count - 1;
    this.relSeq[i] = seq;
    this.relAck[i] = ack;
    this.window[i] = window;
    if (dupAckNum) this.dupAcks.set(i, [dupAckFrame, dupAckNum]);
  }

  private grow(): void {
    const n = this.offset.length * 2;
    const g = <T extends Float64Array | Uint32Array | Uint16Array | Int32Array>(a: T, make: (n: number) => T): T => {
      const b = make(n);
      b.set(a);
      return b;
    };
    this.offset = g(this.offset, (k) => new Float64Array(k));
    this.tsSec = g(this.tsSec, (k) => new Float64Array(k));
    this.tsNsec = g(this.tsNsec, (k) => new Uint32Array(k));
    this.capLen = g(this.capLen, (k) => new Uint32Array(k));
    this.origLen = g(this.origLen, (k) => new Uint32Array(k));
    this.iface = g(this.iface, (k) => new Uint16Array(k));
    this.analysis = g(this.analysis, (k) => new Uint16Array(k));
    this.stream = g(this.stream, (k) => new Int32Array(k));
    this.relSeq = g(this.relSeq, (k) => new Uint32Array(k));
    this.relAck = g(this.relAck, (k) => new Uint32Array(k));
    this.window = g(this.window, (k) => new Float64Array(k));
  }

  /** Bytes held by the arrays. */
  get bytes(): number {
    return this.offset.length * (8 + 8 + 4 + 4 + 4 + 2 + 2 + 4 + 4 + 4 + 8) + this.dupAcks.size * 48;
  }

  /** Time of frame i (0-based) minus time of frame j, in seconds, as text with 9 decimals. */
  diffText(i: number, j: number): string {
    let sec = this.tsSec[i] - this.tsSec[j];
    let nsec = this.tsNsec[i] - this.tsNsec[j];
    if (nsec < 0 && sec > 0) {
      sec--;
      nsec += 1e9;
    } else if (nsec > 0 && sec < 0) {
      sec++;
      nsec -= 1e9;
    }
    const neg = sec < 0 || nsec < 0;
    return `${neg ? '-' : ''}${Math.abs(sec)}.${String(Math.abs(nsec)).padStart(9, '0')}`;
  }

  timeText(i: number): string {
    return `${this.tsSec[i]}.${String(this.tsNsec[i]).padStart(9, '0')}`;
  }
}

/** How to find a record's packet bytes from the offset of its record. */
export interface RecordLayout {
  format: 'pcap' | 'pcapng';
  /** pcap record header length: 16, or 24 for the "modified" (Kuznetzov) format. */
  pcapHeader: number;
}

/** Reads the first bytes of a file: its layout for random access. */
export function recordLayout(path: string, format: 'pcap' | 'pcapng'): RecordLayout {
  let pcapHeader = 16;
  if (format === 'pcap') {
    const fd = fs.openSync(path, 'r');
    try {
      const b = Buffer.alloc(4);
      fs.readSync(fd, b, 0, 4, 0);
      const m = b.readUInt32BE(0);
      if (m === 0xa1b2cd34 || m === 0x34cdb2a1) pcapHeader = 24;
    } finally {
      fs.closeSync(fd);
    }
  }
  return { format, pcapHeader };
}

/** Offset of the packet data inside a record that starts at b[at]. */
function dataStart(layout: RecordLayout, b: Uint8Array, at: number): number {
  if (layout.format === 'pcap') return at + layout.pcapHeader;
  // pcapng: the block type is in the section's byte order; EPB (6) and PB (2) have 28 bytes of
  // header, SPB (3) 12.
  const t = b[at] | b[at + 3];
  return at + (t === 3 ? 12 : 28);
}

/**
 * Reads frames [from, to) (0-based) with one positioned read and hands each as a CaptureRecord
 * (valid during the call) to `each`.
 */
export function readFrames(fd: number, idx: FrameIndex, layout: RecordLayout, interfaces: readonly InterfaceDescription[],
  from: number, to: number, each: (r: CaptureRecord, i: number) => void): void {
  if (to <= from) return;
  // Consecutive frames are consecutive records; read in spans of at most 8 MiB.
  let i = from;
  while (i < to) {
    const start = idx.offset[i];
    let j = i;
    let end = start;
    while (j < to) {
      const e = idx.offset[j] + 28 + idx.capLen[j] + 8;
      if (j > i && e - start > 8 * 1024 * 1024) break;
      end = Math.max(end, e);
      j++;
    }
    const buf = Buffer.allocUnsafe(end - start);
    const got = readFully(fd, buf, start);
    for (let k = i; k < j; k++) {
      const at = idx.offset[k] - start;
      const ds = dataStart(layout, buf, at);
      const cap = idx.capLen[k];
      if (ds + cap > got) throw new Error(`frame ${k + 1}: the file is shorter than its index (was it changed?)`);
      const r: CaptureRecord = {
        iface: interfaces[idx.iface[k]] ?? interfaces[0],
        tsSec: idx.tsSec[k],
        tsNsec: idx.tsNsec[k],
        capLen: cap,
        origLen: idx.origLen[k],
        data: buf.subarray(ds, ds + cap),
        comments: NO_COMMENTS,
        offset: idx.offset[k],
      };
      each(r, k);
    }
    i = j;
  }
}

function readFully(fd: number, buf: Buffer, position: number): number {
  let done = 0;
  while (done < buf.length) {
    const n = fs.readSync(fd, buf, done, buf.length - done, position + done);
    if (n === 0) break;
    done += n;
  }
  return done;
}
