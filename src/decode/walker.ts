/**
 * The layer walk over each record of a capture: frame numbering and times, the dissectors from
 * the link type up, and the per-capture state (IP reassembly) that dissectors share.
 *
 * This module loads the L2–L4 dissectors only; `decoder.ts` re-exports it with the
 * application protocols loaded too (and the detail tree). A walk that stops at the transport
 * layer (`transportOnly`, e.g. `wiresage read --count`) needs nothing more, and skips their
 * start-up.
 */
import type { CaptureRecord } from '../file/types.js';
import { dissectorById, linkTypes, STOP } from './dissector.js';
import { frame } from './frame.js';
import { data } from './data.js';
import { Packet, type DecodeState } from './packet.js';
import { Reassembler } from './reassembly.js';
import './header-dissectors.js';

export class Decoder implements DecodeState {
  readonly packet = new Packet();
  readonly ipv4Fragments = new Reassembler();
  readonly ipv6Fragments = new Reassembler();
  private count = 0;
  private started = false;
  private firstSec = 0;
  private firstNsec = 0;
  private prevSec = 0;
  private prevNsec = 0;

  private readonly frameOnly: boolean;

  /**
   * `transportOnly`: stop each walk at the transport layer (see `Packet.transportOnly`).
   * `frameOnly`: no walk at all, the packet has only its frame layer (for outputs that need
   * nothing but what the capture record says: numbers, times, lengths, interface).
   * `elideOpaque`: PDUs reassembled over segments keep only the bytes dissectors parse (see
   * `Packet.elideOpaque`), for passes that show no bytes.
   */
  constructor(opts: { transportOnly?: boolean; frameOnly?: boolean; elideOpaque?: boolean } = {}) {
    this.packet.state = this;
    this.packet.transportOnly = opts.transportOnly ?? false;
    this.packet.elideOpaque = opts.elideOpaque ?? false;
    this.frameOnly = opts.frameOnly ?? false;
  }

  /** Decodes one record into the shared Packet (valid until the next call). */
  decode(r: CaptureRecord): Packet {
    return this.decodeAs(r, ++this.count);
  }

  /** Sets the first and previous frames' times (for `decodeAs` out of order). */
  setTimes(firstSec: number, firstNsec: number, prevSec: number, prevNsec: number): void {
    this.started = true;
    this.firstSec = firstSec;
    this.firstNsec = firstNsec;
    this.prevSec = prevSec;
    this.prevNsec = prevNsec;
  }

  /**
   * Decodes a record as frame `number` (the web UI decodes pages of frames out of order): times
   * relative to the first and previous frames use the ones this decoder saw first and last.
   */
  decodeAs(r: CaptureRecord, number: number): Packet {
    const p = this.packet;
    p.reset(r.data);
    p.number = number;
    p.tsSec = r.tsSec;
    p.tsNsec = r.tsNsec;
    p.capLen = r.capLen;
    p.origLen = r.origLen;
    p.iface = r.iface;
    p.linkType = r.iface.linkType;
    p.comments = r.comments;
    p.epbFlags = r.epbFlags;
    if (!this.started) {
      this.started = true;
      this.firstSec = this.prevSec = r.tsSec;
      this.firstNsec = this.prevNsec = r.tsNsec;
    }
    p.relativeNs = (r.tsSec - this.firstSec) * 1e9 + (r.tsNsec - this.firstNsec);
    p.deltaNs = (r.tsSec - this.prevSec) * 1e9 + (r.tsNsec - this.prevNsec);
    p.firstTsSec = this.firstSec;
    p.firstTsNsec = this.firstNsec;
    p.prevTsSec = this.prevSec;
    p.prevTsNsec = this.prevNsec;
    this.prevSec = r.tsSec;
    this.prevNsec = r.tsNsec;
    if (this.frameOnly) pushFrame(p);
    else walk(p, linkTypes.get(p.linkType));
    return p;
  }
}

/** Decodes the layers of `p` starting with dissector `first` over the whole frame. */
export function walk(p: Packet, first: number): void {
  let reported = pushFrame(p);
  let next = first === STOP ? data.id : first;
  let start = 0;
  let end = p.data.length;
  let buffer = 0;
  let parent = -1;
  while (next !== STOP) {
    if (start > end) break;
    const layer = p.pushLayer(next, start, end, buffer, parent);
    if (layer < 0) break;
    p.reported[layer] = reported;
    // Defaults: the payload starts where the header ends and runs to the layer's limit.
    p.nextStart = -1;
    p.nextEnd = -1;
    p.nextBuffer = buffer;
    p.nextParent = parent;
    let following: number;
    try {
      following = dissectorById(next).decode(p, layer);
    } catch (e) {
      // A dissector bug must not end the run: it becomes a mark on this packet.
      p.markMalformed(layer, `dissector bug in ${dissectorById(next).protocol.name}: ${(e as Error).message}`);
      break;
    }
    if (layer === p.transportLayer && p.onTransport !== null) p.onTransport(p, layer);
    if (following === STOP) break;
    if (p.transportOnly && layer === p.transportLayer && !dissectorById(following).carrier) break;
    start = p.nextStart >= 0 ? p.nextStart : p.end[layer];
    end = p.nextEnd >= 0 ? p.nextEnd : p.limit[layer];
    // A reassembled buffer is whole: its reported end is its end.
    reported = p.nextBuffer !== buffer ? end : Math.max(end, p.reported[layer]);
    buffer = p.nextBuffer;
    parent = p.nextParent;
    next = following;
    if (start >= end && next === data.id) break;
  }
}

/** Pushes layer 0, the frame; returns its reported length. */
function pushFrame(p: Packet): number {
  p.pushLayer(frame.id, 0, p.data.length, 0, -1);
  p.end[0] = 0;
  // The wire length bounds what the layers may claim; it exceeds the captured length on snaplen-cut frames.
  const reported = Math.max(p.origLen, p.data.length);
  p.reported[0] = reported;
  return reported;
}

