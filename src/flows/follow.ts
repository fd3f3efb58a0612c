/**
 * Follow TCP Stream: one connection's reassembled bytes, both directions told apart, printed
 * as `tshark -q -z follow,tcp,FORMAT,N` prints them (ascii, hex, raw) or as JSON.
 *
 * The engine hands every segment of the chosen stream to a {@link StreamReassembler}; its
 * events become records printed at once (memory stays bounded by the out-of-order bytes
 * held). A hole the receiver acknowledged becomes tshark's `[N bytes missing in capture
 * file]` record. Node 0 is the sender of the stream's first segment.
 *
 * @example
 * const f = new TcpFollow(3, 'ascii', (text) => process.stdout.write(text));
 * const engine = new FlowEngine({ onTcpSegment: f.segment });
 * await reader.forEach((r) => engine.record(r));
 * f.finish();
 */
import { ipv4ToString, ipv6ToString } from '../decode/bytes.js';
import type { TcpConnection } from './engine.js';
import { StreamReassembler } from './reassembly.js';

export type FollowFormat = 'ascii' | 'hex' | 'raw' | 'json';

const SEPARATOR = '===================================================================';

/** Which connection to follow: a stream index, or the first stream between two endpoints. */
export type FollowTarget = { stream: number } | { a: string; aPort: number; b: string; bPort: number };

/** `addr:port`, IPv6 in brackets, as tshark's follow header shows a node. */
function nodeText(conn: TcpConnection, low: boolean): string {
  const st = conn.stats;
  const port = low ? st.lowPort : st.highPort;
  if (st.family === 4) return `${ipv4ToString(low ? st.lowAddr4 : st.highAddr4)}:${port}`;
  return `[${ipv6ToString(st.addr6!, low ? 0 : 16)}]:${port}`;
}

/** tshark's ASCII rendering: printable ASCII, CR and LF kept, everything else a dot. */
export function followAscii(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i++) {
    const c = b[i];
    s += (c >= 0x20 && c < 0x7f) || c === 0x0a || c === 0x0d ? String.fromCharCode(c) : '.';
  }
  return s;
}

/** Hex dump lines of one record (offsets continue per direction), tshark's follow hex layout. */
export function followHex(b: Uint8Array, start: number, prefix: string): string {
  let out = '';
  for (let i = 0; i < b.length; i += 16) {
    let hex = '';
    let text = '';
    for (let j = 0; j < 16; j++) {
      if (j === 8) {
        hex += ' ';
        text += ' ';
      }
      if (i + j < b.length) {
        const c = b[i + j];
        hex += `${c.toString(16).padStart(2, '0')} `;
        text += c >= 0x20 && c < 0x7f ? String.fromCharCode(c) : '.';
      } else {
        hex += '   ';
      }
    }
    out += `${prefix}${(start + i).toString(16).padStart(8, '0')}  ${hex} ${text.trimEnd()}\n`;
  }
  return out;
}

/** Follows one TCP stream and writes its records as they are reassembled. */
export class TcpFollow {
  private conn: TcpConnection | null = null;
  private clientLow = true;
  private reassembler: StreamReassembler | null = null;
  private pos = [0, 0];
  private headerDone = false;
  private records = 0;
  private readonly json: Array<{ dir: 0 | 1; frame: number; bytes?: string; missing?: number; overflow?: number }> = [];
  /** Stream index once found. */
  stream = -1;

  constructor(readonly target: FollowTarget, readonly format: FollowFormat, private readonly write: (text: string) => void,
    private readonly maxBuffered = 4 * 1024 * 1024) {}

  private matches(conn: TcpConnection): boolean {
    const t = this.target;
    if ('stream' in t) return conn.stream === t.stream;
    const lo = nodeText(conn, true);
    const hi = nodeText(conn, false);
    const a = t.a.includes(':') && !t.a.startsWith('[') ? `[${t.a}]:${t.aPort}` : `${t.a}:${t.aPort}`;
    const b = t.b.includes(':') && !t.b.startsWith('[') ? `[${t.b}]:${t.bPort}` : `${t.b}:${t.bPort}`;
    return (lo === a && hi === b) || (lo === b && hi === a);
  }

  /** The engine's `onTcpSegment` callback (bound). */
  readonly segment = (conn: TcpConnection, fromLow: boolean, frame: number, seq: number, ack: number, flags: number,
    buf: Uint8Array, off: number, len: number, captured: number): void => {
    if (this.conn !== conn) {
      if (this.conn !== null || !this.matches(conn)) return;
      this.conn = conn;
      this.stream = conn.stream;
      this.clientLow = fromLow;
      this.reassembler = new StreamReassembler({
        data: (dir, bytes, f) => this.record(dir, bytes, f),
        gap: (dir, missing, f) => this.gap(dir, missing, f),
        overflow: (dir, dropped, f) => {
          if (this.format === 'json') this.json.push({ dir, frame: f, overflow: dropped });
        },
      }, { maxBuffered: this.maxBuffered });
      this.header();
    }
    const dir: 0 | 1 = fromLow === this.clientLow ? 0 : 1;
    this.reassembler!.segment(dir, frame, seq, ack, flags, buf, off, len, captured);
  };

  private header(): void {
    if (this.headerDone || this.format === 'json') return;
    this.headerDone = true;
    const filter = 'stream' in this.target ? `tcp.stream eq ${this.target.stream}` : this.addressFilter();
    let n0 = ':0';
    let n1 = ':0';
    if (this.conn) {
      n0 = nodeText(this.conn, this.clientLow);
      n1 = nodeText(this.conn, !this.clientLow);
    }
    this.write(`\n${SEPARATOR}\nFollow: tcp,${this.format}\nFilter: ${filter}\nNode 0: ${n0}\nNode 1: ${n1}\n`);
  }

  private addressFilter(): string {
    const t = this.target as Exclude<FollowTarget, { stream: number }>;
    const v = t.a.includes(':') ? 'v6' : '';
    return `((ip${v}.src eq ${t.a} and tcp.srcport eq ${t.aPort}) and (ip${v}.dst eq ${t.b} and tcp.dstport eq ${t.bPort})) or ((ip${v}.src eq ${t.b} and tcp.srcport eq ${t.bPort}) and (ip${v}.dst eq ${t.a} and tcp.dstport eq ${t.aPort}))`;
  }

  private gap(dir: 0 | 1, missing: number, frame: number): void {
    if (this.format === 'json') {
      this.json.push({ dir, frame, missing });
      return;
    }
    // tshark's placeholder record, its terminating NUL included.
    const text = `[${missing} bytes missing in capture file]`;
    const bytes = new Uint8Array(text.length + 1);
    for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
    this.record(dir, bytes, frame);
  }

  private record(dir: 0 | 1, bytes: Uint8Array, frame: number): void {
    this.records++;
    const tab = dir === 1 ? '\t' : '';
    switch (this.format) {
      case 'ascii':
        this.write(`${tab}${bytes.length}\n${followAscii(bytes)}\n`);
        break;
      case 'hex':
        this.write(followHex(bytes, this.pos[dir], tab));
        break;
      case 'raw': {
        let hex = '';
        for (let i = 0; i < bytes.length; i++) hex += bytes[i].toString(16).padStart(2, '0');
        this.write(`${tab}${hex}\n`);
        break;
      }
      case 'json':
        this.json.push({ dir, frame, bytes: Buffer.from(bytes).toString('base64') });
        break;
    }
    this.pos[dir] += bytes.length;
  }

  /** Ends the output (held out-of-order bytes that never fitted are not printed, as in tshark). */
  finish(): void {
    if (this.format === 'json') {
      const c = this.conn;
      this.write(JSON.stringify({
        stream: this.stream,
        node0: c ? nodeText(c, this.clientLow) : null,
        node1: c ? nodeText(c, !this.clientLow) : null,
        bytes: [this.pos[0], this.pos[1]],
        records: this.json,
      }) + '\n');
      return;
    }
    this.header();
    this.write(`${SEPARATOR}\n`);
  }
}
