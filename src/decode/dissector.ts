/**
 * Dissectors register once and attach to the tables of the layer below (link type,
 * ethertype, IP protocol, ports), as Wireshark's dissector tables. Each has a fast `decode`
 * that only finds where its header ends and what comes next, and a `tree` that names every
 * field when an output asks.
 */
import { defineProtocol, type FieldDef } from '../fields/field.js';
import type { Sink } from '../fields/sink.js';
import type { Packet } from './packet.js';

/** Returned by `decode` when nothing follows. */
export const STOP = -1;

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
}

export interface DissectorSpec {
  name: string;
  display: string;
  description?: string;
  decode(p: Packet, layer: number): number;
  tree(p: Packet, layer: number, s: Sink): void;
  summary?(p: Packet, layer: number): string;
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
