/**
 * TCP desegmentation for the stream protocols, as Wireshark 4.0's `tcp_dissect_pdus` /
 * `desegment_tcp` with its default preferences (`tcp.desegment_tcp_streams` on,
 * `tcp.reassemble_out_of_order` off): a PDU that needs more bytes than its segment carries is
 * held per connection direction; the segments that only continue it carry no application layer
 * (`frame.protocols` ends at `tcp`, tshark's "[TCP segment of a reassembled PDU]"); the segment
 * that completes it gets the whole PDU as a reassembled buffer (`p.addBuffer`, as IP fragment
 * reassembly), with tshark's `tcp.segments` items, and the bytes after it in that segment are
 * dissected as the next PDUs.
 *
 * How the pieces fit (Wireshark's msp, "multi-segment PDU"):
 * - a dissector's `decode` calls {@link resumePdu} first: a segment continuing a held PDU is
 *   taken in (only its new bytes: retransmitted ones are not added twice) and either stays held
 *   (the layer is removed) or completes the PDU (the layer is moved onto the reassembled buffer);
 * - `endPdu` (src/protocols/_pdu.ts) calls {@link holdPdu} for a PDU cut at the end of its
 *   segment, and {@link restOfSegment} after the last PDU of a reassembled buffer;
 * - a PDU whose length is not known yet (HTTP headers still incomplete, a TLS record header cut)
 *   takes whole segments (Wireshark's DESEGMENT_ONE_MORE_SEGMENT) and the dissector runs again
 *   over what was gathered until it can tell.
 *
 * Desegmentation happens only in a sequential pass with the flow engine attached (`p.flow`
 * set): decoding frames out of order (the web UI's pages) dissects each segment alone, with the
 * `<proto>.needs_reassembly` / `<proto>.continuation` items, as before. Those items also remain
 * where tshark does not reassemble either: a segment cut by the snaplen, a PDU beyond the limit.
 *
 * Passes that show no bytes (`wiresage conv`, `expert` and `conv --zeek` without a display
 * filter: `Decoder` option `elideOpaque`) keep only the bytes a dissector parses: a protocol
 * declares where its PDUs become opaque ({@link registerOpaqueStart}: an HTTP body by
 * Content-Length, a TLS application_data record after its header), those bytes are counted,
 * not copied, and the completed PDU's buffer holds zeros there. Layers, lengths, segment lists,
 * columns, summaries and expert items are those of the full mode (desegment.test.ts compares
 * both modes packet by packet).
 *
 * Memory is bounded: one held PDU per direction, at most {@link DesegmentLimits.maxPduBytes}
 * bytes each (beyond: an expert item and no reassembly), all held PDUs together at most
 * `maxHeldBytes` (oldest dropped first, with an expert item); a direction's PDU is released
 * when it sends FIN or RST (a RST or SYN releases both directions). The range of a direction's
 * last reassembled PDU is remembered (segments of it sent again show no layer; one out of order
 * raises tshark's "New fragment overlaps old data") until both directions sent FIN, or a RST/SYN.
 *
 * @example
 * // in a stream protocol's decode, before reading its buffer:
 * if (resumePdu(p, layer)) return STOP;
 * const b = p.bufferOf(layer); // the reassembled PDU when this segment completed one
 */
import { defineFields } from '../fields/field.js';
import type { Sink } from '../fields/sink.js';
import { GENERATED } from '../fields/value.js';
import { u16, u32 } from '../decode/bytes.js';
import type { DecodeState, Packet } from '../decode/packet.js';
import { tcp, tcpDesegmentHook } from '../decode/tcp.js';

const FIN = 0x01;
const SYN = 0x02;
const RST = 0x04;

export const desegmentFields = defineFields('tcp', {
  segment_data: { display: 'TCP segment data', type: 'bytes' },
  segments: { display: 'Reassembled TCP Segments', type: 'none', description: 'The segments whose bytes form the reassembled PDU' },
  segment: { display: 'TCP Segment', type: 'framenum' },
  'segment.count': { display: 'Segment count', type: 'uint32', base: 'dec' },
  'reassembled.length': { display: 'Reassembled TCP length', type: 'uint32', base: 'dec' },
  'reassembled.data': { display: 'Reassembled TCP Data', type: 'bytes' },
  reassembled_in: { display: 'Reassembled PDU in frame', type: 'framenum' },
  'desegment.limit': {
    display: 'PDU not reassembled: limit reached', type: 'none',
    description: 'wiresage: a PDU larger than the per-direction reassembly limit, or dropped to keep memory bounded; its segments are dissected alone',
  },
});

/** Bounds of the desegmentation state of one decoder. */
export interface DesegmentLimits {
  /** Largest PDU held per direction (bytes). */
  maxPduBytes: number;
  /** All held PDUs of a decoder together (bytes); the oldest are dropped beyond it. */
  maxHeldBytes: number;
}

/** Defaults: large enough for any certificate chain or result set seen in practice. */
export const desegmentLimits: DesegmentLimits = { maxPduBytes: 16 * 1024 * 1024, maxHeldBytes: 256 * 1024 * 1024 };

/**
 * Where a PDU's opaque part starts (bytes from the PDU start), for a PDU of `length` bytes
 * beginning at `buf[off]` of which `buf[off..end)` is there; -1 when the dissector parses all
 * of it. Opaque bytes are those no dissector reads in `decode` (an HTTP body handed to
 * data/media, a TLS record's encrypted data): with `Packet.elideOpaque` they are counted, not
 * copied, while the PDU is gathered.
 */
export type OpaqueStart = (buf: Uint8Array, off: number, end: number, length: number) => number;

/** The opaque-part rule of each stream dissector, by dissector id. */
const opaqueRules: Array<OpaqueStart | undefined> = [];

/** Declares where the PDUs of dissector `id` become opaque (see {@link OpaqueStart}). */
export function registerOpaqueStart(id: number, rule: OpaqueStart): void {
  opaqueRules[id] = rule;
}

const EMPTY = new Uint8Array(0);

/** No opaque part: every byte is kept. */
const KEEP_ALL = 0x7fffffff;

/** Where the PDU of `length` bytes at `p.start[layer]` stops being kept: KEEP_ALL outside elision. */
function keptBytes(p: Packet, layer: number, length: number | undefined): number {
  if (!p.elideOpaque || length === undefined) return KEEP_ALL;
  const rule = opaqueRules[p.proto[layer]];
  if (rule === undefined) return KEEP_ALL;
  const at = rule(p.bufferOf(layer), p.start[layer], p.limit[layer], length);
  return at >= 0 && at < length ? at : KEEP_ALL;
}

/** A PDU being gathered for one direction of one connection (Wireshark's msp). */
class HeldPdu {
  /** Raw sequence number of the PDU's first byte. */
  seq = 0;
  /** Bytes the PDU needs in all; -1 while unknown (then whole segments are taken). */
  need = -1;
  /** Bytes kept from the PDU start; those beyond are opaque and only counted (`Packet.elideOpaque`). */
  keep = KEEP_ALL;
  /** The bytes, contiguous from the PDU start up to `have` (up to `keep`). */
  data: Uint8Array = EMPTY;
  have = 0;
  /**
   * Segments that contributed (retransmitted ones too, as tshark lists them): frames, byte
   * counts, offsets; the first `count` entries (the arrays are reused with the object).
   */
  readonly frames: number[] = [];
  readonly lengths: number[] = [];
  readonly offsets: number[] = [];
  count = 0;
  /** Pieces beyond a hole (a segment the capture lost or that comes late), by offset: `length` bytes, the kept ones in `bytes`. */
  later: Array<{ offset: number; length: number; bytes: Uint8Array }> = [];
  /** Bytes held in memory: the buffer and the pieces beyond a hole. */
  held = 0;
  /** The direction's key and its addresses and ports (hash collisions are told apart by them). */
  key = 0;
  readonly dir = new Direction();
  /** True while it is its direction's entry in `Desegmenter.held`. */
  registered = false;

  /** Starts a new PDU of the current direction (`directionKey` just computed), as a fresh object would be. */
  reset(key: number): void {
    this.seq = 0;
    this.need = -1;
    this.keep = KEEP_ALL;
    // The buffer is never reused: a completed PDU's buffer stays with the packet that showed it.
    this.data = EMPTY;
    this.have = 0;
    this.count = 0;
    if (this.later.length !== 0) this.later = [];
    this.held = 0;
    this.key = key;
    this.registered = false;
    this.dir.setCurrent();
  }

  /** Records a contributing segment. */
  contributed(frame: number, length: number, offset: number): void {
    const i = this.count++;
    if (i < this.frames.length) {
      this.frames[i] = frame;
      this.lengths[i] = length;
      this.offsets[i] = offset;
    } else {
      this.frames.push(frame);
      this.lengths.push(length);
      this.offsets.push(offset);
    }
  }

  /** Puts the contributing segments in offset order (a retransmission after its original), as tshark's fragment list, into `note`. */
  segmentsInto(note: SegmentNote): void {
    const n = this.count;
    if (this.frames.length !== n) {
      this.frames.length = n;
      this.lengths.length = n;
      this.offsets.length = n;
    }
    let sorted = true;
    for (let i = 1; i < n && sorted; i++) sorted = this.offsets[i - 1] <= this.offsets[i];
    if (sorted) {
      note.frames = this.frames;
      note.lengths = this.lengths;
      return;
    }
    const order = this.frames.map((_, i) => i).sort((a, b) => this.offsets[a] - this.offsets[b] || a - b);
    note.frames = order.map((i) => this.frames[i]);
    note.lengths = order.map((i) => this.lengths[i]);
  }

  /**
   * Appends the `length` bytes `src[from..)` at `offset` (at most `have`); `src` holds at least
   * those below `keep` (the others are only counted). Grows the buffer by doubling.
   */
  appendFrom(src: Uint8Array, from: number, offset: number, length: number): void {
    const end = offset + length;
    const stored = Math.min(end, this.keep);
    if (stored > offset) {
      if (stored > this.data.length) {
        // A known length is allocated once; an unknown one grows by doubling.
        let size = Math.max(this.data.length * 2, 4096);
        while (size < stored) size *= 2;
        if (this.need >= 0) size = Math.max(stored, Math.min(this.need, this.keep));
        const grown = new Uint8Array(size);
        grown.set(this.data.subarray(0, Math.min(this.have, this.keep)));
        this.held += size - this.data.length;
        this.data = grown;
      }
      const n = stored - offset;
      if (n <= 64) for (let i = 0; i < n; i++) this.data[offset + i] = src[from + i];
      else this.data.set(from === 0 && n === src.length ? src : src.subarray(from, from + n), offset);
    }
    if (end > this.have) this.have = end;
    // Pieces that waited for this one.
    if (this.later.length !== 0) this.takeLater();
  }

  /** Keeps a piece beyond a hole: its bytes below `keep` are copied (the segment's buffer is reused). */
  addLater(bytes: Uint8Array, offset: number, length = bytes.length): void {
    const kept = Math.max(0, Math.min(length, this.keep - offset));
    this.later.push({ offset, length, bytes: kept === 0 ? EMPTY : bytes.slice(0, kept) });
    this.held += kept;
  }

  private takeLater(): void {
    for (let i = 0; i < this.later.length; ) {
      const l = this.later[i];
      if (l.offset <= this.have) {
        this.later.splice(i, 1);
        this.held -= l.bytes.length;
        const skip = this.have - l.offset;
        if (l.length > skip) this.appendFrom(l.bytes, Math.min(skip, l.bytes.length), this.have, l.length - skip);
        i = 0;
      } else i++;
    }
  }
}

/** What desegmentation did in the packet being decoded (kept in `p.notes`). */
interface SegmentNote {
  /** Bytes of the segment that went into a held PDU: offset and length pairs in buffer 0. */
  segmentData: number[];
  /** The note's own array for segment data of one range (most segments), reused. */
  readonly onePiece: number[];
  /** The PDU this segment completed, and where its buffer is. */
  frames?: number[];
  lengths?: number[];
  buffer: number;
  /** Raw sequence number of the reassembled buffer's first byte. */
  baseSeq: number;
  /** The rest of the segment after the completed PDU (buffer 0), or -1. */
  restStart: number;
  restEnd: number;
  /**
   * The buffer of bytes gathered for a PDU of unknown length that is still incomplete after
   * this segment (held again: `buffer` is then -1, as for any segment of a held PDU), or -1.
   */
  gathered: number;
}

const NOTE = 'tcp.desegment';

/**
 * A note's empty segment data, shared: emptying a reused array (`length = 0`) drops its
 * storage, which the next push allocates again, once per segment.
 */
const NO_SEGMENT_DATA: number[] = Object.freeze([]) as unknown as number[];

/** Records that `length` bytes at `start` of the segment went into a held PDU. */
function addSegmentData(n: SegmentNote, start: number, length: number): void {
  const one = n.onePiece;
  if (n.segmentData === NO_SEGMENT_DATA) {
    one[0] = start;
    one[1] = length;
    n.segmentData = one;
  } else if (n.segmentData === one) n.segmentData = [one[0], one[1], start, length];
  else n.segmentData.push(start, length);
}

/** The desegmentation state of one decoder. */
class Desegmenter {
  /** Held PDUs by direction hash, oldest first. */
  readonly held = new Map<number, HeldPdu>();
  heldBytes = 0;
  /** The per-packet note, reused. */
  readonly note: SegmentNote = { segmentData: NO_SEGMENT_DATA, onePiece: [0, 0], buffer: -1, baseSeq: 0, restStart: -1, restEnd: -1, gathered: -1 };
  /** The last PDU each direction completed (its range), for retransmissions of its bytes. */
  readonly done = new Map<number, { readonly dir: Direction; seq: number; length: number; closed: boolean }>();
  /** Frame number of the packet being decoded (set by `stateOf`). */
  now = -1;
  /** Released held PDUs, for reuse (fewer medium-lived objects for the collector). */
  private readonly spare: HeldPdu[] = [];
  /** PDUs released while decoding packet `retiredIn`: its note may show their segment lists, so they are reused from the next packet on. */
  private retired: HeldPdu[] = [];
  private retiredIn = -1;
  /**
   * The reassembled buffer of a PDU with an elided opaque part (`Packet.elideOpaque`): its
   * kept bytes, then zeros; reused by the next such PDU (a packet completes one PDU at most,
   * and its buffers are valid until the next packet is decoded).
   */
  private scratch: Uint8Array = EMPTY;
  /** Bytes of `scratch` that may be non-zero. */
  private dirty = 0;

  remember(key: number, dir: Direction, seq: number, length: number, closed = false): void {
    const old = this.done.get(key);
    if (old !== undefined) {
      // The direction's entry, reused: it becomes the newest.
      this.done.delete(key);
      old.dir.copy(dir);
      old.seq = seq;
      old.length = length;
      old.closed = closed;
      this.done.set(key, old);
      return;
    }
    const own = new Direction();
    own.copy(dir);
    this.done.set(key, { dir: own, seq, length, closed });
    remembered += 1;
    if (this.done.size > MAX_DONE) this.forget(this.done.keys().next().value as number);
  }

  /** The reassembled bytes of a complete PDU of `total` bytes: its own buffer, or the zero-filled scratch when its opaque part was elided. */
  reassembled(h: HeldPdu, total: number): Uint8Array {
    if (h.keep >= total) return h.data.subarray(0, total);
    if (this.scratch.length < total) {
      let size = Math.max(this.scratch.length * 2, 65536);
      while (size < total) size *= 2;
      this.scratch = new Uint8Array(size);
      this.dirty = 0;
    }
    const kept = Math.min(h.keep, h.data.length);
    if (kept <= 64) for (let i = 0; i < kept; i++) this.scratch[i] = h.data[i];
    else this.scratch.set(h.data.subarray(0, kept));
    if (this.dirty > kept) this.scratch.fill(0, kept, this.dirty);
    this.dirty = kept;
    return this.scratch.subarray(0, total);
  }

  forget(key: number): void {
    if (this.done.delete(key)) remembered -= 1;
  }

  release(h: HeldPdu): void {
    if (h.registered) {
      h.registered = false;
      this.held.delete(h.key);
      this.heldBytes -= h.held;
      active -= 1;
      this.retire(h);
    }
  }

  /** A held PDU for the current direction with key `key`: a released one when there is one. */
  take(key: number): HeldPdu {
    if (this.retiredIn !== this.now) this.recycle();
    const h = this.spare.pop() ?? new HeldPdu();
    h.reset(key);
    return h;
  }

  /** Keeps a PDU no longer held (nor registered) for reuse. */
  retire(h: HeldPdu): void {
    if (this.retiredIn !== this.now) this.recycle();
    if (this.retired.length < MAX_SPARE) this.retired.push(h);
  }

  /** PDUs retired while decoding an earlier packet become reusable. */
  private recycle(): void {
    for (const h of this.retired) if (this.spare.length < MAX_SPARE) this.spare.push(h);
    if (this.retired.length !== 0) this.retired = [];
    this.retiredIn = this.now;
  }
}

/** Released held PDUs kept for reuse per decoder, at most. */
const MAX_SPARE = 256;

/** Number of PDUs held or remembered over all decoders: 0 keeps every check to one comparison. */
let active = 0;
/** Completed PDUs remembered over all decoders (for retransmissions of their bytes). */
let remembered = 0;

/** Directions whose last reassembled PDU is remembered, at most (oldest forgotten first). */
const MAX_DONE = 65536;

/**
 * TCP analysis flags of old data sent again (src/flows/tcp-analysis.ts: retransmission, fast and
 * spurious retransmission, out-of-order): only such a segment can lie in a reassembled PDU.
 */
const RETRANSMISSION_FLAGS = 0x0001 | 0x0200 | 0x0400 | 0x4000;
/** The out-of-order flag alone (A_OUT_OF_ORDER): tshark hands such a segment to its reassembly. */
const OUT_OF_ORDER = 0x0200;
const RESENT = 0x0001 | 0x0400 | 0x4000;

/** True when the flow engine's analysis calls the segment a retransmission. */
function isRetransmission(p: Packet): boolean {
  const note = p.flow as { analysis?: number } | null;
  return note !== null && typeof note.analysis === 'number' && (note.analysis & RETRANSMISSION_FLAGS) !== 0;
}

const states = new WeakMap<DecodeState, Desegmenter>();
let lastDecodeState: DecodeState | undefined;
let lastDesegmenter: Desegmenter | undefined;

function stateOf(p: Packet): Desegmenter {
  if (p.state === lastDecodeState && lastDesegmenter) {
    lastDesegmenter.now = p.number;
    return lastDesegmenter;
  }
  let d = states.get(p.state);
  if (!d) {
    d = new Desegmenter();
    states.set(p.state, d);
  }
  lastDecodeState = p.state;
  lastDesegmenter = d;
  d.now = p.number;
  return d;
}

/**
 * A direction of a connection: IPv4 addresses and ports as numbers, or (IPv6) the bytes of
 * both addresses and the ports.
 */
class Direction {
  a = 0;
  b = 0;
  ports = 0;
  v6: Uint8Array | null = null;

  /** Becomes the direction `directionKey` computed last. */
  setCurrent(): void {
    this.a = cur[A];
    this.b = cur[B];
    this.ports = cur[PORTS];
    if (cur[V6] === 1) {
      this.v6 ??= new Uint8Array(32);
      for (let i = 0; i < 32; i++) this.v6[i] = v6Scratch[i];
    } else this.v6 = null;
  }

  copy(o: Direction): void {
    this.a = o.a;
    this.b = o.b;
    this.ports = o.ports;
    if (o.v6 !== null) {
      this.v6 ??= new Uint8Array(32);
      this.v6.set(o.v6);
    } else this.v6 = null;
  }
}

/**
 * The direction `directionKey` computed last: addresses (IPv4, as signed 32-bit numbers), ports,
 * 1 for IPv6. In a typed array: module variables would box each number beyond 2^30.
 */
const cur = new Int32Array(4);
const A = 0;
const B = 1;
const PORTS = 2;
const V6 = 3;
/** IPv6 addresses and ports of that direction, reused. */
const v6Scratch = new Uint8Array(36);

/** Direction hashes keep 30 bits: small integers as Map keys (no boxed number per lookup). */
const KEY_MASK = 0x3fffffff;

/**
 * Sets the packet's direction (network layer addresses, TCP ports; with `reverse` the other
 * direction) as the current one and returns its hash, or -1 when there is no IP layer.
 */
function directionKey(p: Packet, tl: number, reverse: boolean): number {
  const net = p.netLayer;
  if (net < 0) return -1;
  const b = p.bufferOf(net);
  const o = p.start[net];
  const t = p.bufferOf(tl);
  const to = p.start[tl];
  const sport = u16(t, to);
  const dport = u16(t, to + 2);
  const ports = reverse ? (dport << 16) | sport : (sport << 16) | dport;
  cur[PORTS] = ports;
  if (b[o] >> 4 !== 6) {
    const src = (b[o + 12] << 24) | (b[o + 13] << 16) | (b[o + 14] << 8) | b[o + 15];
    const dst = (b[o + 16] << 24) | (b[o + 17] << 16) | (b[o + 18] << 8) | b[o + 19];
    const a = reverse ? dst : src;
    const bb = reverse ? src : dst;
    cur[A] = a;
    cur[B] = bb;
    cur[V6] = 0;
    return (Math.imul(a ^ Math.imul(bb, 0x9e3779b1), 0x85ebca6b) ^ Math.imul(ports, 0xc2b2ae35)) & KEY_MASK;
  }
  cur[A] = 0;
  cur[B] = 0;
  cur[V6] = 1;
  const first = reverse ? o + 24 : o + 8;
  const second = reverse ? o + 8 : o + 24;
  for (let i = 0; i < 16; i++) {
    v6Scratch[i] = b[first + i];
    v6Scratch[16 + i] = b[second + i];
  }
  // FNV-1a over the addresses, then the ports.
  let h = 0x811c9dc5;
  for (let i = 0; i < 32; i++) h = Math.imul(h ^ v6Scratch[i], 0x01000193);
  return Math.imul(h ^ ports, 0x01000193) & KEY_MASK;
}

/** True when `dir` is the current direction. */
function sameDirection(dir: Direction): boolean {
  if (dir.ports !== cur[PORTS] || dir.a !== cur[A] || dir.b !== cur[B]) return false;
  const v6 = dir.v6;
  if (v6 === null) return cur[V6] === 0;
  if (cur[V6] === 0) return false;
  for (let i = 0; i < 32; i++) if (v6[i] !== v6Scratch[i]) return false;
  return true;
}

/** The held PDU of the packet's direction (directionKey just computed), or undefined. */
function heldFor(d: Desegmenter, key: number): HeldPdu | undefined {
  const h = d.held.get(key);
  return h && sameDirection(h.dir) ? h : undefined;
}

/**
 * True when segment desegmentation applies to `layer`: a sequential pass (the flow engine
 * attached), the layer carried by TCP (not quoted in an ICMP error), its segment captured
 * whole (tshark does not desegment a segment cut by the snaplen or an IP fragment it could not
 * reassemble), in buffer 0 or in a buffer this module made for the packet.
 */
function applies(p: Packet, layer: number): boolean {
  const tl = p.transportLayer;
  if (p.flow === null || tl < 0 || layer <= tl || p.proto[tl] !== tcp.id || p.isQuoted(layer)) return false;
  if (p.fragmentedBy >= 0 && p.fragmentedBy < tl) return false;
  if (p.bufIndex[tl] !== p.bufIndex[layer]) {
    const n = noteOf(p);
    if (n === undefined || n.buffer !== p.bufIndex[layer]) return false;
  }
  return Math.min(p.limit[tl], p.bufferOf(tl).length) >= p.reported[tl];
}

function noteOf(p: Packet): SegmentNote | undefined {
  return p.notes.size === 0 ? undefined : (p.notes.get(NOTE) as SegmentNote | undefined);
}

/** The packet's note, made from its decoder's reused one (one packet is decoded at a time per decoder). */
function makeNote(p: Packet, d: Desegmenter): SegmentNote {
  let n = noteOf(p);
  if (!n) {
    n = d.note;
    n.segmentData = NO_SEGMENT_DATA;
    n.frames = undefined;
    n.lengths = undefined;
    n.buffer = -1;
    n.baseSeq = 0;
    n.restStart = -1;
    n.restEnd = -1;
    n.gathered = -1;
    p.notes.set(NOTE, n);
  }
  return n;
}

/**
 * First call of a stream protocol's `decode`: when the layer is the first of its segment's
 * payload and the direction holds a PDU this segment continues, takes the segment's new bytes
 * in. Returns true when the PDU is still incomplete: the layer was removed, `decode` returns
 * STOP. When the segment completes it, the layer now lies over the reassembled buffer (read
 * `p.bufferOf(layer)` after this call) and false is returned, as for any other segment.
 */
export function resumePdu(p: Packet, layer: number): boolean {
  if (active === 0 && (remembered === 0 || !isRetransmission(p))) return false;
  const tl = p.transportLayer;
  if (tl < 0 || p.bufIndex[layer] !== p.bufIndex[tl] || p.start[layer] !== p.end[tl] || !applies(p, layer)) return false;
  const d = stateOf(p);
  if (d.held.size === 0 && (d.done.size === 0 || !isRetransmission(p))) return false;
  const key = directionKey(p, tl, false);
  if (key < 0) return false;
  const t = p.bufferOf(tl);
  const to = p.start[tl];
  const seq = u32(t, to + 4);
  if (d.done.size !== 0 && isRetransmission(p)) {
    // Bytes of a PDU already reassembled: tshark adds them to nothing and shows no layer.
    const r = d.done.get(key);
    if (r && sameDirection(r.dir) && ((seq - r.seq) | 0) >= 0 && ((seq - r.seq) | 0) < r.length) {
      // An out-of-order segment (not a retransmission) is handed to the reassembly, which
      // throws on the completed PDU (reassemble.c's fragment_add_work).
      const a = (p.flow as { analysis: number }).analysis;
      if ((a & OUT_OF_ORDER) !== 0 && (a & RESENT) === 0) {
        p.expert(tl, 'error', 'malformed', '_ws.malformed.reassembly', 'New fragment overlaps old data (retransmission?)');
      }
      p.layers = layer;
      return true;
    }
  }
  const h = heldFor(d, key);
  if (!h) return false;
  const flags = t[to + 13];
  const start = p.start[layer];
  const end = p.limit[layer];
  const rel = (seq - h.seq) | 0;
  const segLen = end - start;
  // Bytes before the PDU, or beyond it (a hole left it incomplete): not part of it, dissected alone.
  if (rel < 0 || (h.need >= 0 && rel >= h.need)) return false;
  // An unknown length takes the next segment only (Wireshark's msp ends one byte after the last).
  if (h.need < 0 && rel > h.have) return false;
  const take = h.need >= 0 ? Math.min(segLen, h.need - rel) : segLen;
  const note = makeNote(p, d);
  addSegmentData(note, start, take);
  h.contributed(p.number, take, rel);
  const added = rel + take > h.have;
  if (added) {
    if (h.need < 0 && h.have + take > desegmentLimits.maxPduBytes) {
      limitReached(p, layer, d, h, `PDU longer than ${desegmentLimits.maxPduBytes} bytes: not reassembled`);
      return false;
    }
    const before = h.held;
    if (rel <= h.have) h.appendFrom(p.bufferOf(layer), start, rel, take);
    // Bytes of an opaque part are counted only (`Packet.elideOpaque`): no view of them is made.
    else h.addLater(rel >= h.keep ? EMPTY : p.bufferOf(layer).subarray(start, start + take), rel, take);
    if (h.held !== before) {
      d.heldBytes += h.held - before;
      bound(p, layer, d);
    }
  }
  const complete = h.need >= 0 ? h.have >= h.need : added;
  if (flags & RST || (flags & FIN && !(complete && h.registered))) d.forget(key);
  if (!complete || !h.registered) {
    if (flags & (FIN | RST)) d.release(h);
    p.layers = layer;
    return true;
  }
  // Complete: the layer moves onto the reassembled PDU.
  d.release(h);
  const total = h.need >= 0 ? h.need : h.have;
  // Kept after a FIN too: segments of the PDU may still come (out of order or resent).
  if (!(flags & RST)) d.remember(key, h.dir, h.seq, total, (flags & FIN) !== 0);
  // Both directions closed: nothing more of either comes.
  if (flags & FIN && closeOne(d, p, tl, true, true)) {
    d.forget(key);
    closeOne(d, p, tl, true, false);
  }
  const buffer = p.addBuffer(d.reassembled(h, total));
  h.segmentsInto(note);
  note.buffer = buffer;
  note.baseSeq = h.seq;
  note.restStart = take < segLen ? start + take : -1;
  note.restEnd = end;
  p.bufIndex[layer] = buffer;
  p.start[layer] = 0;
  p.end[layer] = total;
  p.limit[layer] = total;
  p.reported[layer] = total;
  p.nextBuffer = buffer;
  return false;
}

/**
 * Called by `endPdu` for a PDU at `p.start[layer]` that needs `length` bytes (undefined: not
 * known yet) beyond its layer's end. Holds it for the following segments and removes the layer
 * (tshark shows no layer for a PDU it is still gathering); false when desegmentation does not
 * apply here (then the PDU is shown cut, with `needs_reassembly`).
 */
export function holdPdu(p: Packet, layer: number, length: number | undefined): boolean {
  if (!applies(p, layer)) return false;
  const tl = p.transportLayer;
  const t = p.bufferOf(tl);
  const to = p.start[tl];
  const flags = t[to + 13];
  const o = p.start[layer];
  const end = p.limit[layer];
  const d = stateOf(p);
  const key = directionKey(p, tl, false);
  if (key < 0) return false;
  if (length !== undefined && length > desegmentLimits.maxPduBytes) {
    p.expert(layer, 'warn', 'reassemble', 'tcp.desegment.limit', `PDU of ${length} bytes is longer than the reassembly limit (${desegmentLimits.maxPduBytes} bytes): not reassembled`);
    return false;
  }
  const old = heldFor(d, key) ?? d.held.get(key);
  if (old) d.release(old);
  const note = makeNote(p, d);
  const h = d.take(key);
  const inSegment = p.bufIndex[layer] === p.bufIndex[tl];
  if (inSegment) {
    h.seq = (u32(t, to + 4) + (o - p.end[tl])) >>> 0;
    h.contributed(p.number, end - o, 0);
    addSegmentData(note, o, end - o);
  } else {
    // The rest of a reassembled buffer: its segments stay with it when it is the whole buffer.
    h.seq = (note.baseSeq + o) >>> 0;
    if (o === 0 && note.frames && note.lengths) {
      // The whole reassembled PDU is still too short: no reassembly shown in this frame.
      let at = 0;
      for (let i = 0; i < note.frames.length; i++) {
        h.contributed(note.frames[i], note.lengths[i], at);
        at += note.lengths[i];
      }
      note.frames = undefined;
      note.lengths = undefined;
      // The segment only continues the held PDU (TCP's "[TCP segment of a reassembled PDU]"):
      // the gathered buffer is no reassembled PDU of this frame.
      note.gathered = note.buffer;
      note.buffer = -1;
    } else h.contributed(p.number, end - o, 0);
  }
  h.need = length ?? -1;
  h.keep = keptBytes(p, layer, length);
  h.appendFrom(p.bufferOf(layer), o, 0, end - o);
  if (!inSegment && note.restStart >= 0) {
    // Bytes after the reassembled PDU in this segment continue the held one.
    h.appendFrom(p.bufferOf(tl), note.restStart, h.have, note.restEnd - note.restStart);
    h.contributed(p.number, note.restEnd - note.restStart, h.have);
    addSegmentData(note, note.restStart, note.restEnd - note.restStart);
    note.restStart = -1;
  }
  p.layers = layer;
  // A direction that ends here sends nothing more: nothing to keep.
  if (flags & (FIN | RST)) {
    d.retire(h);
    return true;
  }
  d.held.set(key, h);
  h.registered = true;
  d.heldBytes += h.held;
  active += 1;
  bound(p, layer, d);
  return true;
}

/**
 * The bytes gathered so far for a PDU of unknown length that this segment continued without
 * completing it (the start of the held PDU, as packet-http.c sees it before it asks TCP for one
 * more segment), or undefined.
 */
export function gatheredPdu(p: Packet): Uint8Array | undefined {
  const n = noteOf(p);
  return n === undefined || n.gathered < 0 ? undefined : p.buffers[n.gathered];
}

/**
 * Called by `endPdu` when the PDU of `layer` ends at its layer's end: after the last PDU of a
 * reassembled buffer, the walk goes on with the rest of the segment that completed it (the next
 * PDU's start). Returns true when it set the walk's next range.
 */
export function restOfSegment(p: Packet, layer: number): boolean {
  const n = noteOf(p);
  if (n === undefined || n.restStart < 0 || n.buffer !== p.bufIndex[layer]) return false;
  p.nextBuffer = p.bufIndex[p.transportLayer];
  p.nextStart = n.restStart;
  p.nextEnd = n.restEnd;
  n.restStart = -1;
  return true;
}

/** Releases the PDU of a direction that hit the limit and marks the packet. */
function limitReached(p: Packet, layer: number, d: Desegmenter, h: HeldPdu, message: string): void {
  d.release(h);
  p.expert(layer, 'warn', 'reassemble', 'tcp.desegment.limit', message);
}

/** Drops the oldest held PDUs while all together exceed the memory limit. */
function bound(p: Packet, layer: number, d: Desegmenter): void {
  while (d.heldBytes > desegmentLimits.maxHeldBytes && d.held.size > 0) {
    const oldest = d.held.values().next().value as HeldPdu;
    limitReached(p, layer, d, oldest, `reassembly memory limit (${desegmentLimits.maxHeldBytes} bytes) reached: a held PDU of ${oldest.held} bytes was dropped`);
  }
}

/** Held PDUs of a decoder (for tests: memory bounded by live connections). */
export function heldPdus(state: DecodeState): { count: number; bytes: number; remembered: number } {
  const d = states.get(state);
  return { count: d?.held.size ?? 0, bytes: d?.heldBytes ?? 0, remembered: d?.done.size ?? 0 };
}

/**
 * A segment without payload that ends a direction (FIN), the connection (RST) or starts a new
 * one on the same ports (SYN): what it held can never complete.
 */
function closeDirection(p: Packet, layer: number): void {
  if ((active === 0 && remembered === 0) || p.isQuoted(layer)) return;
  const b = p.bufferOf(layer);
  const flags = b[p.start[layer] + 13];
  if (!(flags & (FIN | RST | SYN))) return;
  const d = stateOf(p);
  if (flags & (RST | SYN)) {
    closeOne(d, p, layer, false, false);
    closeOne(d, p, layer, true, false);
    return;
  }
  // A FIN: the direction's last PDU is kept (its segments may still come out of order) until
  // the other direction has sent its FIN too.
  const peerClosed = closeOne(d, p, layer, true, true);
  closeOne(d, p, layer, false, !peerClosed);
  if (peerClosed) closeOne(d, p, layer, true, false);
}

/**
 * Releases what one direction of the packet's connection held (`reverse`: the other one) and
 * forgets its last PDU, or only marks it closed with `keep`. Returns true when the direction's
 * last PDU is remembered as closed.
 */
function closeOne(d: Desegmenter, p: Packet, layer: number, reverse: boolean, keep: boolean): boolean {
  const key = directionKey(p, layer, reverse);
  if (key < 0) return false;
  const h = reverse ? undefined : heldFor(d, key);
  if (h) d.release(h);
  const r = d.done.get(key);
  if (!r || !sameDirection(r.dir)) {
    // A direction closed without a PDU remembered: a mark (no range) for its peer's FIN.
    if (keep && !reverse) d.remember(key, currentDirection(), 0, 0, true);
    return false;
  }
  if (!keep) d.forget(key);
  else if (!reverse) r.closed = true;
  return r.closed;
}

/** The direction `directionKey` computed last, as a (reused) Direction. */
function currentDirection(): Direction {
  scratchDirection.setCurrent();
  return scratchDirection;
}
const scratchDirection = new Direction();

/** The TCP tree's desegmentation items: segment data, and the reassembled PDU's segments. */
function tree(p: Packet, layer: number, s: Sink): void {
  const n = noteOf(p);
  if (n === undefined || p.isQuoted(layer)) return;
  const f = desegmentFields;
  const b = p.bufferOf(layer);
  for (let i = 0; i < n.segmentData.length; i += 2) {
    const len = n.segmentData[i + 1];
    s.add(f.segment_data, b, n.segmentData[i], len, undefined, 0, s.wantsLabels ? `TCP segment data (${len} byte${len === 1 ? '' : 's'})` : undefined);
  }
  if (!n.frames || !n.lengths || n.buffer < 0) return;
  const r = p.buffers[n.buffer];
  const label = s.wantsLabels
    ? `[${n.frames.length} Reassembled TCP Segments (${r.length} bytes): ${n.frames.map((fr, i) => `#${fr}(${n.lengths![i]})`).join(', ')}]`
    : undefined;
  s.add(f.segments, r, 0, r.length, null, 0, label);
  s.push();
  for (let i = 0; i < n.frames.length; i++) {
    s.add(f.segment, r, 0, 0, n.frames[i], GENERATED, s.wantsLabels ? `[Frame: ${n.frames[i]}, payload: ${n.lengths[i]} bytes]` : undefined);
  }
  s.add(f['segment.count'], r, 0, 0, n.frames.length, GENERATED);
  s.add(f['reassembled.length'], r, 0, 0, r.length, GENERATED);
  s.add(f['reassembled.data'], r, 0, r.length, undefined, GENERATED);
  s.pop();
}

tcpDesegmentHook.tree = tree;
tcpDesegmentHook.close = closeDirection;
