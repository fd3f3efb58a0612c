/**
 * Test helper: the application byte streams of real captures, cut into new TCP segments at
 * random places (inside headers, several PDUs per segment, one-byte segments), optionally with
 * retransmitted and swapped segments, written as a capture both wiresage and tshark read. The
 * desegmentation tests compare the two tools on such captures, and the fuzz tests run the
 * reassembly paths over them.
 *
 * @example
 * const convs = await streamsOf('examples/web-and-dns.pcap');
 * writePcap('/tmp/r.pcap', resegment(convs, seeded(1), { retransmit: 0.05 }));
 */
import { Decoder } from '../decode/decoder.js';
import { tcp } from '../decode/tcp.js';
import { openCapture } from '../file/open.js';
import { tcpFrame } from '../flows/synthetic.js';

/** What one side sent before the other answered. */
export interface Turn {
  fromClient: boolean;
  bytes: Uint8Array;
}

/** One TCP connection's application bytes, as turns. */
export interface Conversation {
  client: string;
  server: string;
  clientPort: number;
  serverPort: number;
  turns: Turn[];
}

/** A seeded PRNG (mulberry32) returning [0, 1). */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function ipv4Text(b: Uint8Array, at: number): string {
  return `${b[at]}.${b[at + 1]}.${b[at + 2]}.${b[at + 3]}`;
}

/**
 * The IPv4 TCP connections of a capture with their payload bytes in sequence order
 * (retransmitted bytes once). The client is the side whose packet came first.
 */
export async function streamsOf(file: string): Promise<Conversation[]> {
  const decoder = new Decoder({ transportOnly: true });
  const reader = await openCapture(file);
  const byKey = new Map<string, { conv: Conversation; next: [number, number] }>();
  const order: Conversation[] = [];
  try {
    await reader.forEach((r) => {
      const p = decoder.decode(r);
      const tl = p.transportLayer;
      const net = p.netLayer;
      if (tl < 0 || net < 0 || p.proto[tl] !== tcp.id || p.bufIndex[tl] !== 0) return;
      const b = p.data;
      if (b[p.start[net]] >> 4 !== 4) return;
      const src = ipv4Text(b, p.start[net] + 12);
      const dst = ipv4Text(b, p.start[net] + 16);
      const t = p.start[tl];
      const sport = (b[t] << 8) | b[t + 1];
      const dport = (b[t + 2] << 8) | b[t + 3];
      const a = `${src}:${sport}`;
      const z = `${dst}:${dport}`;
      const key = a < z ? `${a} ${z}` : `${z} ${a}`;
      let e = byKey.get(key);
      if (!e) {
        e = { conv: { client: src, server: dst, clientPort: sport, serverPort: dport, turns: [] }, next: [-1, -1] };
        byKey.set(key, e);
        order.push(e.conv);
      }
      const fromClient = src === e.conv.client && sport === e.conv.clientPort;
      const dir = fromClient ? 0 : 1;
      const seq = ((b[t + 4] << 24) | (b[t + 5] << 16) | (b[t + 6] << 8) | b[t + 7]) >>> 0;
      const flags = b[t + 13];
      const start = p.end[tl];
      const end = Math.min(p.limit[tl], b.length);
      if (flags & 0x02) {
        e.next[dir] = (seq + 1) >>> 0;
        return;
      }
      if (end <= start) return;
      if (e.next[dir] < 0) e.next[dir] = seq;
      const skip = (e.next[dir] - seq) | 0;
      if (skip >= end - start) return;
      const bytes = b.slice(start + Math.max(0, skip), end);
      e.next[dir] = (e.next[dir] + bytes.length) >>> 0;
      const last = e.conv.turns[e.conv.turns.length - 1];
      if (last && last.fromClient === fromClient) {
        const joined = new Uint8Array(last.bytes.length + bytes.length);
        joined.set(last.bytes);
        joined.set(bytes, last.bytes.length);
        last.bytes = joined;
      } else e.conv.turns.push({ fromClient, bytes });
    });
  } finally {
    reader.close();
  }
  return order.filter((c) => c.turns.length > 0);
}

export interface ResegmentOptions {
  /** Probability that a segment is sent again right after the next one (a retransmission). */
  retransmit?: number;
  /** Probability that a segment is swapped with the one after it (out of order). */
  reorder?: number;
  /** Largest segment. */
  maxSegment?: number;
  /**
   * By server port: the protocol's PDU framing and a header length no cut may fall into. tshark
   * 4.0 does not reassemble a TNS packet whose 8-byte header is split across segments (the first
   * part gets a `tns` item, the rest `data`), a quirk the comparison leaves out this way.
   */
  protect?: Record<number, { pduLength: (buf: Uint8Array, off: number, avail: number) => number | undefined; header: number }>;
}

/** Offsets of `bytes` no cut may fall on: inside the first `header` bytes of each PDU. */
function protectedCuts(bytes: Uint8Array, rule: NonNullable<ResegmentOptions['protect']>[number] | undefined): Set<number> {
  const out = new Set<number>();
  if (!rule) return out;
  for (let at = 0; at < bytes.length; ) {
    const n = rule.pduLength(bytes, at, bytes.length - at);
    if (n === undefined || n <= 0) break;
    for (let i = 1; i < rule.header; i++) out.add(at + i);
    at += n;
  }
  return out;
}

/**
 * Frames of the conversations, one after another: handshake, each turn cut at random sizes
 * (a fifth of the cuts tiny, to split headers and length fields), FINs.
 */
export function resegment(convs: Conversation[], rand: () => number, o: ResegmentOptions = {}): Array<{ ts: number; data: Uint8Array }> {
  const frames: Array<{ ts: number; data: Uint8Array }> = [];
  let ts = 0;
  const max = o.maxSegment ?? 1460;
  for (const c of convs) {
    const seq = [1000 + Math.floor(rand() * 1e9), 5000 + Math.floor(rand() * 1e9)];
    const ends = [
      { src: c.client, dst: c.server, sport: c.clientPort, dport: c.serverPort },
      { src: c.server, dst: c.client, sport: c.serverPort, dport: c.clientPort },
    ];
    const emit = (dir: number, s: number, flags: string, payload?: Uint8Array) =>
      frames.push({ ts: (ts += 0.001), data: tcpFrame({ ...ends[dir], seq: s, ack: seq[1 - dir], flags, payload }) });
    emit(0, seq[0] - 1, 'S');
    frames[frames.length - 1].data = tcpFrame({ ...ends[0], seq: seq[0] - 1, flags: 'S' });
    emit(1, seq[1] - 1, 'SA');
    emit(0, seq[0], 'A');
    for (const turn of c.turns) {
      const dir = turn.fromClient ? 0 : 1;
      const pieces: Array<{ s: number; bytes: Uint8Array }> = [];
      const avoid = protectedCuts(turn.bytes, o.protect?.[c.serverPort]);
      for (let at = 0; at < turn.bytes.length; ) {
        const size = rand() < 0.2 ? 1 + Math.floor(rand() * 8) : 1 + Math.floor(rand() * max);
        let cut = Math.min(turn.bytes.length, at + size);
        while (avoid.has(cut)) cut++;
        const bytes = turn.bytes.subarray(at, cut);
        pieces.push({ s: (seq[dir] + at) >>> 0, bytes });
        at += bytes.length;
      }
      for (let i = 0; i + 1 < pieces.length; i++) {
        if (rand() < (o.reorder ?? 0)) {
          [pieces[i], pieces[i + 1]] = [pieces[i + 1], pieces[i]];
          i++;
        }
      }
      let again: (typeof pieces)[number] | undefined;
      for (const [i, piece] of pieces.entries()) {
        emit(dir, piece.s, i === pieces.length - 1 ? 'PA' : 'A', piece.bytes);
        if (again) emit(dir, again.s, 'A', again.bytes);
        again = rand() < (o.retransmit ?? 0) ? piece : undefined;
      }
      if (again) emit(dir, again.s, 'PA', again.bytes);
      seq[dir] = (seq[dir] + turn.bytes.length) >>> 0;
      emit(1 - dir, seq[1 - dir], 'A');
    }
    emit(0, seq[0], 'FA');
    seq[0] = (seq[0] + 1) >>> 0;
    emit(1, seq[1], 'FA');
    seq[1] = (seq[1] + 1) >>> 0;
    emit(0, seq[0], 'A');
  }
  return frames;
}

/** The streams of `files` plus DNS over TCP and Redis streams with PDUs larger than a segment. */
export async function conversations(files: string[]): Promise<Conversation[]> {
  const convs: Conversation[] = [];
  for (const f of files) convs.push(...(await streamsOf(f)));
  const enc = (s: string) => new TextEncoder().encode(s);
  const dnsName = (labels: string[]) => labels.flatMap((l) => [l.length, ...enc(l)]).concat(0);
  const dnsMessage = (id: number, answers: number) => {
    const q = [...dnsName(['big', 'lab']), 0, 1, 0, 1];
    const body = [id >> 8, id & 255, answers ? 0x81 : 1, 0x80, 0, 1, 0, answers, 0, 0, 0, 0, ...q];
    for (let i = 0; i < answers; i++) body.push(0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 10, 0, i >> 8, i & 255);
    return [body.length >> 8, body.length & 255, ...body];
  };
  convs.push({
    client: '10.9.0.1', server: '10.9.0.2', clientPort: 41000, serverPort: 53,
    turns: [
      { fromClient: true, bytes: Uint8Array.from([...dnsMessage(7, 0), ...dnsMessage(8, 0)]) },
      { fromClient: false, bytes: Uint8Array.from([...dnsMessage(7, 200), ...dnsMessage(8, 3)]) },
    ],
  });
  const value = 'v'.repeat(5000);
  convs.push({
    client: '10.9.0.1', server: '10.9.0.3', clientPort: 41001, serverPort: 6379,
    turns: [
      { fromClient: true, bytes: enc(`*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$${value.length}\r\n${value}\r\n`) },
      { fromClient: false, bytes: enc('+OK\r\n') },
      { fromClient: true, bytes: enc('*2\r\n$3\r\nGET\r\n$1\r\nk\r\n*2\r\n$3\r\nGET\r\n$1\r\nk\r\n') },
      { fromClient: false, bytes: enc(`$${value.length}\r\n${value}\r\n$${value.length}\r\n${value}\r\n`) },
    ],
  });
  const text = 'line of text\n'.repeat(300);
  const chunks = text.match(/[\s\S]{1,700}/g)!.map((c) => `${c.length.toString(16)}\r\n${c}\r\n`).join('');
  // Pipelined GETs (tshark 4.0 pairs every response of pipelined requests sent in one segment
  // with the last of them, so a HEAD among them would make it read a body there is not).
  convs.push({
    client: '10.9.0.1', server: '10.9.0.4', clientPort: 41002, serverPort: 80,
    turns: [
      { fromClient: true, bytes: enc('GET /a HTTP/1.1\r\nHost: lab\r\n\r\nGET /b HTTP/1.1\r\nHost: lab\r\n\r\nGET /c HTTP/1.1\r\nHost: lab\r\n\r\n') },
      {
        fromClient: false,
        bytes: enc(
          `HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n${chunks}0\r\n\r\n` +
            `HTTP/1.1 200 OK\r\nContent-Type: image/png\r\nContent-Length: ${text.length}\r\n\r\n${text}` +
            `HTTP/1.1 304 Not Modified\r\nContent-Length: 99999\r\n\r\n`,
        ),
      },
    ],
  });
  return convs;
}
