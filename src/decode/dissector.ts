/**
 * Dissectors register once and attach to the tables of the layer below (link type,
 * ethertype, IP protocol, ports), as Wireshark's dissector tables. Each has a fast `decode`
 * that only finds where its header ends and what comes next, and a `tree` that names every
 * field when an output asks.
 */
import { defineProtocol, type FieldDef } from '../fields/field.js';
import type { Sink } from '../fields/sink.js';
import type { InfoHook } from './columns.js';
import type { Packet } from './packet.js';

/** Returned by `decode` when nothing follows. */
export const STOP = -1;

/** Pseudo protocol id under which sinks ask for `_ws.*` fields. */
export const wsProtocolId = -2;

export interface Dissector {
  /** Dense id assigned at registration. */
  readonly id: number;
  /** The protocol's field (`tcp`), whose name is the filter word. */
  readonly protocol: FieldDef;
  /**
   * Checks the header at `p.start[layer]` (bounded by `p.limit[layer]`), sets `p.end[layer]`
   * to the end of the header and `p.nextStart/nextEnd` to the payload, and returns the id of
   * the dissector for the payload, or STOP. Never throws: short input is marked on the packet.
   */
  decode(p: Packet, layer: number): number;
  /** Adds the layer's fields to a sink (its protocol item is added by the caller). */
  tree(p: Packet, layer: number, s: Sink): void;
  /** Text of the protocol's line in the detail tree, e.g. `Internet Protocol Version 4, Src: …`. */
  summary?(p: Packet, layer: number): string;
  /**
   * Carries whole frames or IP packets (VXLAN, Geneve…): a walk that stops at the transport
   * layer (`Packet.transportOnly`) still follows it to the inner transport layers.
   */
  readonly carrier: boolean;
  /**
   * Writes the layer's part of the packet-list columns (Protocol, Info, addresses), as
   * Wireshark's `col_set_str`/`col_append_fstr` calls; set at the end of the dissector's file.
   * Called only when an output asks for the columns (src/decode/columns.ts).
   */
  info?: InfoHook;
}

export interface DissectorSpec {
  name: string;
  display: string;
  description?: string;
  decode(p: Packet, layer: number): number;
  tree(p: Packet, layer: number, s: Sink): void;
  summary?(p: Packet, layer: number): string;
  carrier?: boolean;
}

const dissectors: Dissector[] = [];
const byName = new Map<string, Dissector>();

export function registerDissector(spec: DissectorSpec): Dissector {
  const d: Dissector = {
    id: dissectors.length,
    protocol: defineProtocol(spec.name, spec.display, spec.description),
    decode: spec.decode,
    tree: spec.tree,
    summary: spec.summary,
    carrier: spec.carrier ?? false,
  };
  dissectors.push(d);
  byName.set(spec.name, d);
  return d;
}

export function dissectorById(id: number): Dissector {
  return dissectors[id];
}

export function dissectorByName(name: string): Dissector | undefined {
  return byName.get(name);
}

export function allDissectors(): readonly Dissector[] {
  return dissectors;
}

/** A table from a number (ethertype, IP protocol, port, link type) to a dissector id. */
export class DissectorTable {
  private readonly map: Int16Array;
  constructor(readonly name: string, size: number) {
    this.map = new Int16Array(size).fill(STOP);
  }
  add(key: number, d: Dissector): void {
    this.map[key] = d.id;
  }
  /** The dissector id for `key`, or STOP. */
  get(key: number): number {
    return key >= 0 && key < this.map.length ? this.map[key] : STOP;
  }
}

export const linkTypes = new DissectorTable('wtap_encap', 65536);
export const etherTypes = new DissectorTable('ethertype', 65536);
export const ipProtocols = new DissectorTable('ip.proto', 256);
export const udpPorts = new DissectorTable('udp.port', 65536);
export const tcpPorts = new DissectorTable('tcp.port', 65536);

/**
 * A heuristic check for a payload no port claimed (Wireshark's heuristic dissector lists):
 * `test(buf, off, end)` looks at `buf[off..end)`, checks the length first, returns false fast
 * and never throws. The first dissector whose test passes gets the payload.
 */
export interface Heuristic {
  readonly dissector: Dissector;
  readonly test: (buf: Uint8Array, off: number, end: number) => boolean;
}

export const tcpHeuristics: Heuristic[] = [];
export const udpHeuristics: Heuristic[] = [];

/**
 * Conversation pinning, plugged in by the application protocols (src/protocols): `pinned`
 * returns the dissector a conversation was recognised as (or STOP), `pin` remembers a match so
 * later packets of the conversation go to the same dissector even when they do not look like
 * its first message. `active` stays false until something was pinned, so unrecognised traffic
 * costs one boolean test.
 */
export const conversationPins: {
  active: boolean;
  pinned?: (p: Packet, layer: number) => number;
  pin?: (p: Packet, layer: number, dissector: number) => void;
} = { active: false };

/**
 * The dissector for a transport payload `buf[off..end)` that no port claimed: the pinned one of
 * its conversation, else the first heuristic that matches (then pinned), else STOP.
 */
export function tryHeuristics(list: readonly Heuristic[], p: Packet, layer: number, buf: Uint8Array, off: number, end: number): number {
  if (conversationPins.active && conversationPins.pinned) {
    const id = conversationPins.pinned(p, layer);
    if (id !== STOP) return id;
  }
  for (let i = 0; i < list.length; i++) {
    const h = list[i];
    if (h.test(buf, off, end)) {
      conversationPins.pin?.(p, layer, h.dissector.id);
      return h.dissector.id;
    }
  }
  return STOP;
}

/**
 * tshark's `-d tcp.port==1600,tns` ("decode as"): adds ports to a port table. Accepts
 * `tcp.port` / `udp.port`, `==N` or `==N-M` (a range), and a dissector name. Throws an Error
 * naming what is wrong.
 */
export function decodeAs(spec: string): void {
  const m = /^(tcp|udp)\.port\s*==\s*(\d+)(?:-(\d+))?\s*,\s*([\w.-]+)$/.exec(spec.trim());
  if (!m) throw new Error(`Cannot apply decode-as '${spec}': expected tcp.port==N,PROTOCOL or udp.port==N,PROTOCOL`);
  const d = byName.get(m[4]);
  if (!d) throw new Error(`Cannot apply decode-as '${spec}': no dissector named '${m[4]}'`);
  const from = Number(m[2]);
  const to = m[3] === undefined ? from : Number(m[3]);
  if (from > 65535 || to > 65535 || to < from) throw new Error(`Cannot apply decode-as '${spec}': bad port range`);
  const table = m[1] === 'tcp' ? tcpPorts : udpPorts;
  for (let port = from; port <= to; port++) table.add(port, d);
}
