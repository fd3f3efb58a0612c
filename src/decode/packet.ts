/**
 * A packet being decoded: the captured bytes plus a stack of layers (protocol, where it
 * starts and ends, which buffer it lies in). One instance is reused for every packet of a
 * run; nothing here is allocated per packet except reassembled buffers.
 */
import type { InterfaceDescription } from '../file/types.js';
import type { Reassembler } from './reassembly.js';

/** State shared by the dissectors for one capture (one decoder). */
export interface DecodeState {
  readonly ipv4Fragments: Reassembler;
  readonly ipv6Fragments: Reassembler;
}

/** Deepest layer stack kept; deeper nesting (tunnels in tunnels…) is marked malformed. */
export const MAX_LAYERS = 32;

export class Packet {
  /** Per-capture state shared by dissectors; set by the Decoder. */
  state!: DecodeState;
  /** Frame number, from 1. */
  number = 0;
  tsSec = 0;
  tsNsec = 0;
  capLen = 0;
  origLen = 0;
  linkType = 0;
  iface: InterfaceDescription | undefined;
  comments: readonly string[] = [];
  epbFlags: number | undefined;
  /** The captured bytes (buffer 0). */
  data: Uint8Array = new Uint8Array(0);
  /** Buffers the layers point into: 0 is `data`, later ones are reassembled payloads. */
  readonly buffers: Uint8Array[] = [];

  /** Number of layers decoded. Layer 0 is always the frame. */
  layers = 0;
  readonly proto = new Uint16Array(MAX_LAYERS);
  readonly start = new Int32Array(MAX_LAYERS);
  /** End of the layer's own header (its protocol item in the tree). */
  readonly end = new Int32Array(MAX_LAYERS);
  /** End of the data the layer was given (header + payload), e.g. the IP total length. */
  readonly limit = new Int32Array(MAX_LAYERS);
  /**
   * End of the layer's data by the lengths the packet claims (tshark's "reported length"): the
   * frame's original length, shrunk by length fields (IP total length, UDP length). Unlike
   * `limit` it is not cut by the snaplen, so lengths derived from it (TCP segment length)
   * stay right on truncated captures. Dissectors that bound their payload shrink it.
   */
  readonly reported = new Int32Array(MAX_LAYERS);
  readonly bufIndex = new Uint8Array(MAX_LAYERS);
  /** Index of the enclosing layer in the detail tree (-1: top level), e.g. IP quoted in ICMP. */
  readonly parent = new Int8Array(MAX_LAYERS);

  /** The capture stopped before the packet's end (snaplen): "Packet size limited during capture". */
  truncated = false;
  /** The packet lies about its own length or contents; the reason, for the expert item. */
  malformed: string | null = null;
  /** Layer in which truncation or damage was found. */
  problemLayer = -1;
  /**
   * Layer of an IP header whose payload is the first fragment of a datagram that was not
   * reassembled (-1: none). Layers above it see only part of their data, so lengths derived
   * from the IP length (TCP segment length, UDP length check) are unknown, as with tshark's
   * `pinfo->fragmented`.
   */
  fragmentedBy = -1;

  /** Expert items found while decoding (beyond truncated/malformed). */
  readonly experts: ExpertItem[] = [];

  /**
   * The walk stops at the (outermost non-tunnel) transport layer: no application dissectors,
   * no heuristics. The flow engine's own pass over raw records sets it; it stays for the run.
   */
  transportOnly = false;

  /**
   * Called by the walk right after each transport layer (not quoted) is decoded, before what
   * it carries: the flow engine tracks the connection there (`FlowEngine.attach`), so
   * application dissectors find it in `flow`.
   */
  onTransport: ((p: Packet, layer: number) => void) | null = null;

  /** Fast access for flow tracking: index of the innermost network and transport layers, or -1. */
  netLayer = -1;
  transportLayer = -1;

  /** Time since the first frame and since the previous frame, in nanoseconds. */
  relativeNs = 0;
  deltaNs = 0;
  /**
   * Timestamps of the first and the previous frame, for exact differences: nanosecond counts
   * of differences beyond 2^53 ns (104 days) are not exact as numbers.
   */
  firstTsSec = 0;
  firstTsNsec = 0;
  prevTsSec = 0;
  prevTsNsec = 0;

  /** Where the walk goes after the current layer (set by a dissector's decode; -1 = default: header end / layer limit). */
  nextStart = 0;
  nextEnd = 0;
  nextBuffer = 0;
  nextParent = -1;

  /** Per-packet annotations that later stages attach (TCP analysis, app protocol state). */
  readonly notes = new Notes();

  /**
   * Bytes no output of the run will show may be left out (`Decoder` option `elideOpaque`): a
   * PDU gathered over several segments keeps only the bytes its dissector parses, its opaque
   * part (an HTTP body, a TLS record's encrypted data) is counted, not copied, and reads as
   * zeros in the reassembled buffer. Layers, lengths, frame attribution, summaries and expert
   * items stay those of the full mode; only byte values inside the opaque part differ. For the
   * passes that show no bytes (conv, expert, doctor); it stays for the run.
   */
  elideOpaque = false;

  /**
   * What the flow engine (src/flows) found for this packet's transport layer — its reused
   * TcpNote or UdpNote, read by the TCP/UDP tree hooks; null when the engine did not see it.
   */
  flow: unknown = null;
  /**
   * The engine's UdpNote when the packet has UDP headers (`udp.stream` of each, in order),
   * also when `flow` is the TcpNote of a connection inside a UDP tunnel.
   */
  udpFlow: unknown = null;

  /** Sets up for a new packet. */
  reset(data: Uint8Array): void {
    this.data = data;
    // Emptied by pop: setting an array's length is a runtime call (and a zero length drops its
    // storage, allocated again by the next push).
    const buffers = this.buffers;
    while (buffers.length > 1) buffers.pop();
    if (buffers.length === 0) buffers.push(data);
    else buffers[0] = data;
    this.layers = 0;
    this.truncated = false;
    this.malformed = null;
    this.problemLayer = -1;
    this.fragmentedBy = -1;
    const experts = this.experts;
    while (experts.length !== 0) experts.pop();
    this.netLayer = -1;
    this.transportLayer = -1;
    this.flow = null;
    this.udpFlow = null;
    if (this.notes.size !== 0) this.notes.clear();
  }

  /** Appends a layer; returns its index, or -1 when the stack is full (marked malformed). */
  pushLayer(protocol: number, start: number, end: number, buffer: number, parent: number): number {
    const i = this.layers;
    if (i >= MAX_LAYERS) {
      this.markMalformed(i - 1, `more than ${MAX_LAYERS} nested layers`);
      return -1;
    }
    this.proto[i] = protocol;
    this.start[i] = start;
    this.end[i] = end;
    this.limit[i] = end;
    this.reported[i] = end;
    this.bufIndex[i] = buffer;
    this.parent[i] = parent;
    this.layers = i + 1;
    return i;
  }

  /** True for layers quoted inside another (IP inside an ICMP error): not part of any flow. */
  isQuoted(layer: number): boolean {
    return this.parent[layer] >= 0;
  }

  /** Registers a reassembled buffer; returns its index for `pushLayer`. */
  addBuffer(b: Uint8Array): number {
    this.buffers.push(b);
    return this.buffers.length - 1;
  }

  bufferOf(layer: number): Uint8Array {
    return this.buffers[this.bufIndex[layer]];
  }

  /**
   * A layer needed `need` bytes up to absolute offset `end` but the buffer stops earlier:
   * truncated by snaplen when the wire length covered it, malformed otherwise.
   */
  markShort(layer: number, end: number, what: string): void {
    const buf = this.bufferOf(layer);
    const reported = this.bufIndex[layer] === 0 ? this.origLen : buf.length;
    if (end <= reported && buf.length < reported) {
      if (!this.truncated) {
        this.truncated = true;
        if (this.problemLayer < 0) this.problemLayer = layer;
      }
    } else {
      this.markMalformed(layer, what);
    }
  }

  markMalformed(layer: number, reason: string): void {
    if (this.malformed === null) {
      this.malformed = reason;
      this.problemLayer = layer;
    }
  }

  /**
   * Raises an expert item on a layer. Raising the same item again (a layer's tree built twice:
   * by a filter, then by the output) keeps one.
   */
  expert(layer: number, severity: ExpertSeverity, group: ExpertGroup, field: string, message: string): void {
    for (const e of this.experts) if (e.layer === layer && e.field === field && e.message === message) return;
    this.experts.push({ layer, severity, group, field, message });
  }
}

export type ExpertSeverity = 'chat' | 'note' | 'warn' | 'error';
export type ExpertGroup = 'checksum' | 'sequence' | 'response' | 'request' | 'undecoded' | 'reassemble' | 'protocol' | 'malformed' | 'comment' | 'security';

export interface ExpertItem {
  layer: number;
  severity: ExpertSeverity;
  group: ExpertGroup;
  /** Filter name of the expert field, e.g. `tcp.analysis.retransmission`. */
  field: string;
  message: string;
}

/**
 * The per-packet notes: a few string-keyed values, as a Map's `get`/`set`/`size`/`clear`
 * but cleared without allocating (a Map's `clear` allocates a new table, once per packet
 * that had a note: most TCP segments of a desegmenting pass).
 */
export class Notes {
  private readonly keys: string[] = [];
  private readonly values: unknown[] = [];
  private count = 0;

  get size(): number {
    return this.count;
  }

  get(key: string): unknown {
    for (let i = 0; i < this.count; i++) if (this.keys[i] === key) return this.values[i];
    return undefined;
  }

  has(key: string): boolean {
    for (let i = 0; i < this.count; i++) if (this.keys[i] === key) return true;
    return false;
  }

  set(key: string, value: unknown): this {
    for (let i = 0; i < this.count; i++) {
      if (this.keys[i] === key) {
        this.values[i] = value;
        return this;
      }
    }
    this.keys[this.count] = key;
    this.values[this.count] = value;
    this.count++;
    return this;
  }

  delete(key: string): boolean {
    for (let i = 0; i < this.count; i++) {
      if (this.keys[i] !== key) continue;
      this.count--;
      this.keys[i] = this.keys[this.count];
      this.values[i] = this.values[this.count];
      this.values[this.count] = undefined;
      return true;
    }
    return false;
  }

  /** Forgets every note (the values are dropped, the slots kept). */
  clear(): void {
    for (let i = 0; i < this.count; i++) this.values[i] = undefined;
    this.count = 0;
  }
}
