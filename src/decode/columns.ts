/**
 * Wireshark's packet-list columns (`_ws.col.Protocol`, `_ws.col.Info`, `_ws.col.Source`…): each
 * dissector writes its part of the text through an optional `info` hook, as Wireshark's
 * dissectors call `col_set_str` / `col_append_fstr` / `col_add_fstr`; a later layer replaces or
 * appends to what the layers below wrote. Columns are computed only when an output asks for one
 * of the fields (a `-T fields -e _ws.col.Info`, a filter on it, the web packet list): a walk
 * that does not want them pays nothing.
 *
 * @example
 * // at the end of a dissector file
 * udp.info = (p, layer, col) => {
 *   col.setProtocol('UDP');
 *   col.set(`${sport} → ${dport} Len=${length - 8}`);
 * };
 */
import { defineFields } from '../fields/field.js';
import type { Sink } from '../fields/sink.js';
import { GENERATED } from '../fields/value.js';
import { dissectorById } from './dissector.js';
import type { Packet } from './packet.js';

/** Called for each layer not quoted inside another, in order, to write the columns. */
export type InfoHook = (p: Packet, layer: number, col: Columns) => void;

/**
 * The column texts of one packet while the layers write them. Mirrors Wireshark's column
 * utilities: `set` is `col_set_str`/`col_add_str` (replaces the text after the fence), `append`
 * is `col_append_str`, `appendSep` is `col_append_sep_str`, `setFence` is `col_set_fence`, and
 * `prependFence` is `col_prepend_fence_fstr` (TCP's analysis tags).
 */
export class Columns {
  protocol = '';
  info = '';
  src = '';
  dst = '';
  /** Text before the fence stays when later layers set or clear the Info column. */
  private fence = 0;
  /** False while a dissector writes nothing (Wireshark's `col_set_writable(FALSE)`). */
  writable = true;
  /**
   * Layer whose malformed mark Wireshark reports as expert info only, without the exception
   * that appends `[Malformed Packet]` (a bogus IP header length, a bad UDP length); -1: none.
   */
  private quietLayer = -1;
  private quietAbove = -1;
  /** Set when tshark's dissection reads past the snaplen where wiresage's decode did not mark it. */
  private short = false;
  /** Work a layer leaves for after the layers above it wrote theirs (TCP's reassembly remark). */
  private readonly deferred: Array<() => void> = [];

  reset(): void {
    this.protocol = this.info = this.src = this.dst = '';
    this.fence = 0;
    this.writable = true;
    this.quietLayer = -1;
    this.quietAbove = -1;
    this.short = false;
    this.deferred.length = 0;
  }

  /** The frame ends with tshark's `[Packet size limited during capture]`. */
  markShort(): void {
    this.short = true;
  }

  get isShort(): boolean {
    return this.short;
  }

  /** Runs `fn` once every layer has written its text (as Wireshark's code after a subdissector call). */
  defer(fn: () => void): void {
    this.deferred.push(fn);
  }

  /** Runs the deferred work, innermost layer first. */
  finish(): void {
    for (let i = this.deferred.length - 1; i >= 0; i--) this.deferred[i]();
    this.deferred.length = 0;
  }

  /**
   * The packet's malformed mark, when found in `layer` (or, with `above`, in a layer after it:
   * an encapsulated packet whose exception the layer catches), is no `[Malformed Packet]` in Info.
   */
  quiet(layer: number, above = false): void {
    if (above) this.quietAbove = layer;
    else this.quietLayer = layer;
  }

  /** Whether the malformed mark found in `layer` shows in the Info column. */
  showsMalformed(layer: number): boolean {
    return layer !== this.quietLayer && !(this.quietAbove >= 0 && layer > this.quietAbove);
  }

  setProtocol(name: string): void {
    if (this.writable) this.protocol = name;
  }

  /** Replaces the Info text after the fence. */
  set(text: string): void {
    if (this.writable) this.info = this.info.slice(0, this.fence) + text;
  }

  /** Clears the Info text after the fence. */
  clear(): void {
    this.set('');
  }

  append(text: string): void {
    if (this.writable) this.info += text;
  }

  /** Appends `text`, preceded by `sep` when the column is not empty (fenced text counts, as in Wireshark). */
  appendSep(sep: string, text: string): void {
    if (this.writable) this.info += this.info.length > 0 ? sep + text : text;
  }

  /** Keeps what is written so far: later `set`/`clear` only replace what follows. */
  setFence(): void {
    this.fence = this.info.length;
  }

  /** Puts `text` in front of the Info column and fences it: later layers keep it and replace what follows. */
  prependFence(text: string): void {
    if (!this.writable) return;
    this.info = text + this.info;
    this.fence += text.length;
  }

  /** Sets Source and Destination (each network layer overrides the link layer's). */
  setAddresses(src: string, dst: string): void {
    if (!this.writable) return;
    this.src = src;
    this.dst = dst;
  }
}

const shared = new Columns();

/**
 * The columns of the decoded packet `p`, written by each unquoted layer's `info` hook. Returns
 * one shared instance, valid until the next call. A hook that throws leaves what it wrote so
 * far, as Wireshark's exceptions leave the columns (and the rest of the walk goes on).
 */
export function packetColumns(p: Packet, col: Columns = shared): Columns {
  col.reset();
  for (let i = 0; i < p.layers; i++) {
    if (p.isQuoted(i)) continue;
    const hook = dissectorById(p.proto[i]).info;
    if (!hook) continue;
    try {
      hook(p, i, col);
    } catch {
      // A bug in one hook must not end the run; the columns keep what was written.
    }
  }
  col.writable = true;
  try {
    col.finish();
  } catch {
    // As a hook's bug above: the columns keep what was written.
  }
  // tshark's exception marks, appended where the dissection stopped.
  if (p.malformed !== null && col.showsMalformed(p.problemLayer)) col.append('[Malformed Packet]');
  if (p.truncated || col.isShort) col.append('[Packet size limited during capture]');
  return col;
}

/** Wireshark 4.0's default columns as `-T fields` names them (every column field is a string). */
export const columnFields = defineFields('_ws', {
  'col.No.': { display: 'No.', type: 'string' },
  'col.Source': { display: 'Source', type: 'string' },
  'col.Destination': { display: 'Destination', type: 'string' },
  'col.Protocol': { display: 'Protocol', type: 'string' },
  'col.Length': { display: 'Length', type: 'string' },
  'col.Info': { display: 'Info', type: 'string' },
});

/**
 * Adds the column fields a field sink or filter asks for. The detail tree (a sink with labels)
 * never gets them, as tshark's `-V` and JSON do not show columns.
 */
export function addColumns(p: Packet, s: Sink): void {
  if (s.wantsLabels) return;
  const f = columnFields;
  const text = s.wants(f['col.Info']) || s.wants(f['col.Protocol']) || s.wants(f['col.Source']) || s.wants(f['col.Destination']);
  if (s.wants(f['col.No.'])) s.add(f['col.No.'], p.data, 0, 0, String(p.number), GENERATED);
  if (text) {
    const col = packetColumns(p);
    s.add(f['col.Source'], p.data, 0, 0, col.src, GENERATED);
    s.add(f['col.Destination'], p.data, 0, 0, col.dst, GENERATED);
    s.add(f['col.Protocol'], p.data, 0, 0, col.protocol, GENERATED);
    s.add(f['col.Info'], p.data, 0, 0, col.info, GENERATED);
  }
  if (s.wants(f['col.Length'])) s.add(f['col.Length'], p.data, 0, 0, String(p.origLen), GENERATED);
}
