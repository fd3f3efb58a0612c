/**
 * Framing of PDUs in a TCP payload, shared by the stream protocols (TNS, MySQL, PostgreSQL,
 * Redis, DNS over TCP, HTTP, TLS), as Wireshark's `tcp_dissect_pdus`: each protocol exports a
 * `pduLength(buf, off, avail)` (bytes the PDU starting at `off` needs, undefined when too few
 * bytes are there to tell), and its decode makes one layer per PDU, so several PDUs in one
 * segment show as several protocol items, as in tshark.
 *
 * A PDU cut at the end of the range is not malformed: it continues in later segments. In a
 * sequential pass it is held and reassembled (src/protocols/desegment.ts: the segment that
 * completes it carries it as a new buffer, `p.addBuffer`); where tshark would not reassemble
 * either (out-of-order decoding, a segment cut by the snaplen) the layer shows the cut PDU with
 * `<proto>.needs_reassembly`, and the bytes that continue it `<proto>.continuation`.
 * A cut by the snaplen is "packet size limited during capture".
 */
import { defineField, type FieldDef } from '../fields/field.js';
import type { Sink } from '../fields/sink.js';
import { GENERATED } from '../fields/value.js';
import { MAX_LAYERS, type Packet } from '../decode/packet.js';
import { STOP } from '../decode/dissector.js';
import { holdPdu, restOfSegment } from './desegment.js';

/** Returns the bytes the PDU at `off` needs, or undefined when `avail` bytes cannot tell. */
export type PduLength = (buf: Uint8Array, off: number, avail: number) => number | undefined;

/** Layers kept free for what follows a protocol's PDUs (the walk's stack has MAX_LAYERS). */
const SPARE_LAYERS = 2;

/** Where a layer's PDU stands. */
export const PDU_COMPLETE = 0;
/** The PDU continues past the segment: needs reassembly. */
export const PDU_INCOMPLETE = 1;
/** The bytes do not start a PDU: the middle or end of one begun in an earlier segment. */
export const PDU_CONTINUATION = 2;

/**
 * Ends a layer after its PDU of `length` bytes (undefined: unknown yet) and chains the next PDU
 * of the same range as a new layer of dissector `self`. Returns what `decode` returns.
 * The last layer the stack allows takes the rest of the range.
 */
export function endPdu(p: Packet, layer: number, length: number | undefined, self: number): number {
  const o = p.start[layer];
  const limit = p.limit[layer];
  // A PDU cut at the segment's end is held for the following segments (src/protocols/desegment.ts).
  if ((length === undefined || o + length > limit) && holdPdu(p, layer, length)) return STOP;
  if (length !== undefined && o + length === limit && p.bufIndex[layer] !== 0 && restOfSegment(p, layer)) {
    p.end[layer] = limit;
    return self;
  }
  if (length === undefined || o + length >= limit) {
    p.end[layer] = limit;
    if (length !== undefined && o + length > p.bufferOf(layer).length && o + length <= limit) {
      p.markShort(layer, o + length, 'PDU beyond the captured bytes');
    }
    return STOP;
  }
  p.end[layer] = o + length;
  if (p.layers >= MAX_LAYERS - SPARE_LAYERS) {
    p.end[layer] = limit;
    return STOP;
  }
  p.nextStart = o + length;
  p.nextEnd = limit;
  return self;
}

/** The end of the captured bytes a layer may read (its limit, cut by the snaplen). */
export function capturedEnd(p: Packet, layer: number): number {
  return Math.min(p.limit[layer], p.bufferOf(layer).length);
}

/** The two wiresage-specific items every stream protocol shows for PDUs spanning segments. */
export interface PduFields {
  needsReassembly: FieldDef;
  continuation: FieldDef;
}

/** Declares `<proto>.needs_reassembly` and `<proto>.continuation` (not tshark fields: tshark reassembles). */
export function definePduFields(proto: string): PduFields {
  return {
    needsReassembly: defineField({
      name: `${proto}.needs_reassembly`, display: 'PDU continues in later segments (needs reassembly)', type: 'uint32', base: 'dec',
      description: 'Bytes the PDU needs in all; only part of it is in this segment',
    }),
    continuation: defineField({
      name: `${proto}.continuation`, display: 'Continuation data', type: 'bytes',
      description: 'Bytes of a PDU begun in an earlier segment',
    }),
  };
}

/** Adds the "needs reassembly" item for a PDU of `need` bytes of which `have` are here. */
export function addNeedsReassembly(s: Sink, f: PduFields, buf: Uint8Array, off: number, have: number, need: number | undefined): void {
  const text = need === undefined ? `[PDU continues in later segments: ${have} bytes here, length not yet known]` : `[PDU continues in later segments: ${have} of ${need} bytes here]`;
  s.add(f.needsReassembly, buf, off, 0, need ?? 0, GENERATED, s.wantsLabels ? text : undefined);
}

/** Adds the continuation item over `buf[off..end)`. */
export function addContinuation(s: Sink, f: PduFields, buf: Uint8Array, off: number, end: number): void {
  s.add(f.continuation, buf, off, Math.max(0, end - off), undefined, 0, s.wantsLabels ? `Continuation data (${Math.max(0, end - off)} bytes)` : undefined);
}

/** Index of byte `c` in `buf[from..end)`, or -1. */
export function indexOfByte(buf: Uint8Array, c: number, from: number, end: number): number {
  for (let i = from; i < end; i++) if (buf[i] === c) return i;
  return -1;
}

/** Index of CR LF in `buf[from..end)` (the CR's index), or -1. */
export function indexOfCrlf(buf: Uint8Array, from: number, end: number): number {
  for (let i = from; i + 1 < end; i++) if (buf[i] === 13 && buf[i + 1] === 10) return i;
  return -1;
}

/** Node's native latin1 decoding of a byte range (Buffer's, callable on any Uint8Array). */
const latin1Slice = (Buffer.prototype as unknown as { latin1Slice: (this: Uint8Array, start: number, end: number) => string }).latin1Slice;

/** Text of `buf[off..end)`, one character per byte (latin1): short strings by concatenation, long ones natively. */
export function ascii(buf: Uint8Array, off: number, end: number): string {
  const e = Math.min(end, buf.length);
  if (e - off > 48) return latin1Slice.call(buf, off, e);
  let s = '';
  for (let i = off; i < e; i++) s += String.fromCharCode(buf[i]);
  return s;
}

/** The masked text shown instead of a secret. */
export const MASK = '********';
