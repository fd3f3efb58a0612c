/**
 * The lazy view of a packet a compiled filter reads: only the fields the filter names are
 * collected, and only when the evaluation reaches them. Fields are grouped by protocol; the
 * first read of a field of protocol `tcp` runs the TCP dissector's `tree` over the packet's
 * TCP layers with a sink that keeps only the filter's fields (so `ip.src == 1.2.3.4 && tcp.port
 * == 80` never builds TCP items for packets from other hosts). Protocol presence (`tcp`, `ip`)
 * needs no tree at all: a protocol is present when one of the packet's layers is its dissector.
 *
 * Header fields at fixed offsets (`ip.src`, `tcp.port`, `tcp.flags.syn`…) and the flow engine's
 * TCP fields are read without the tree when the layer has its common shape (direct.ts): a
 * protocol whose every named field can be read so collects them straight from the bytes, and
 * falls back to the tree for a layer of another shape.
 *
 * Fields whose protocol has no dissector of that name (unusual) make the view walk the whole
 * tree once per packet, as `-T fields` does.
 */
import { dissectTree } from '../decode/decoder.js';
import { dissectorByName, type Dissector } from '../decode/dissector.js';
import { addExpert, addPacketMarks, raiseTreeExperts } from '../decode/expert.js';
import type { Packet } from '../decode/packet.js';
import { allFields, type FieldDef } from '../fields/field.js';
import type { Sink } from '../fields/sink.js';
import { valueFromBytes, type Value } from '../fields/value.js';
import { directProtocol, hookPoints, type DirectProtocol, type DirectRead, type HookPoint } from './direct.js';

/** The occurrences of one field in the current packet, in tree order. */
export class FieldValues {
  constructor(
    /** Keep each occurrence's bytes (protocol-typed fields, whose value is their bytes). */
    readonly keepBytes: boolean,
  ) {}

  values: Value[] = [];
  bufs: Uint8Array[] = [];
  offs: number[] = [];
  lens: number[] = [];
  /** The field's protocol layer number of each occurrence (1 = first `ip` layer…), for `ip.src#2`. */
  layers: number[] = [];
  count = 0;

  clear(): void {
    this.count = 0;
  }
}

/** How the fields of one protocol are collected. */
interface Group {
  /** Dissector whose layers' trees add the fields; undefined: the `_ws` marks and expert items. */
  dissector: Dissector | undefined;
  slots: FieldValues[];
  /** Serial of the packet the group was last collected for. */
  serial: number;
  /** Set when every field of the group can be read directly from layers of the common shape. */
  direct?: DirectGroup;
}

/** How a group reads its fields without the tree (see direct.ts). */
interface DirectGroup {
  protocol: DirectProtocol;
  /** Slot and reads (one per occurrence) of each field read from the bytes. */
  reads: Array<{ slot: FieldValues; reads: readonly DirectRead[] }>;
  /** Hook points that add the group's engine fields, in tree order. */
  points: HookPoint[];
}

/** The sink the trees write into: keeps the wanted fields, reads values only for them. */
class CollectSink implements Sink {
  readonly wantsLabels = false;
  /** Field id → slot, or undefined. */
  readonly slotOf: Array<FieldValues | undefined>;
  layer = 1;
  /** Full-walk mode: layer numbers come from counting protocol items by name. */
  counting = false;
  private readonly protocolCounts = new Map<string, number>();

  constructor(fields: readonly FieldDef[], slots: readonly FieldValues[]) {
    this.slotOf = new Array(allFields().length);
    fields.forEach((f, i) => (this.slotOf[f.id] = slots[i]));
  }

  resetCounts(): void {
    this.protocolCounts.clear();
  }

  wantsProtocol(): boolean {
    return true;
  }

  wants(f: FieldDef): boolean {
    return this.slotOf[f.id] !== undefined;
  }

  add(f: FieldDef, buf: Uint8Array, off: number, len: number, value?: Value, flags = 0): void {
    if (this.counting && f.type === 'protocol') this.protocolCounts.set(f.name, (this.protocolCounts.get(f.name) ?? 0) + 1);
    const s = this.slotOf[f.id];
    if (s === undefined) return;
    const i = s.count++;
    s.values[i] = value !== undefined ? value : off >= 0 && off + len <= buf.length ? valueFromBytes(f, buf, off, len, flags) : null;
    if (s.keepBytes) {
      // Protocol-typed items are compared by their bytes.
      s.bufs[i] = buf;
      s.offs[i] = off;
      s.lens[i] = len;
    }
    s.layers[i] = this.counting ? (this.protocolCounts.get(f.protocol) ?? 1) : this.layer;
  }

  push(): void {}
  pop(): void {}
}

/**
 * Reads fields of one packet at a time for a compiled filter. `fields` are the non-protocol
 * fields the filter names (protocol presence is read from the layers directly).
 */
export class PacketView {
  p!: Packet;
  private serial = 0;
  private readonly sink: CollectSink;
  private readonly groupOfSlot: Group[];
  private readonly groups: Group[] = [];
  /** Set when some field's protocol has no dissector: one full tree walk per packet. */
  private readonly full: Group | undefined;
  readonly slots: FieldValues[];

  /** `direct`: read header fields from the bytes where the layer allows it (direct.ts). */
  constructor(readonly fields: readonly FieldDef[], direct = true) {
    this.slots = fields.map((f) => new FieldValues(f.type === 'protocol'));
    this.sink = new CollectSink(fields, this.slots);
    const byProtocol = new Map<string, Group>();
    const needsFull = fields.some((f) => f.protocol !== '_ws' && !dissectorByName(f.protocol));
    if (needsFull) {
      this.full = { dissector: undefined, slots: this.slots, serial: -1 };
      this.groupOfSlot = this.slots.map(() => this.full!);
      return;
    }
    this.groupOfSlot = fields.map((f, i) => {
      let g = byProtocol.get(f.protocol);
      if (!g) {
        g = { dissector: f.protocol === '_ws' ? undefined : dissectorByName(f.protocol), slots: [], serial: -1 };
        byProtocol.set(f.protocol, g);
        this.groups.push(g);
      }
      g.slots.push(this.slots[i]);
      return g;
    });
    if (direct) for (const g of this.groups) if (g.dissector) g.direct = directGroup(g.dissector, fields, g.slots, this.slots);
  }

  /** Starts reading a new packet. */
  reset(p: Packet): void {
    this.p = p;
    this.serial++;
  }

  /** The occurrences of field `slot` (index into `fields`) in the current packet. */
  get(slot: number): FieldValues {
    const g = this.groupOfSlot[slot];
    if (g.serial !== this.serial) this.collect(g);
    return this.slots[slot];
  }

  private collect(g: Group): void {
    g.serial = this.serial;
    for (const s of g.slots) s.clear();
    const p = this.p;
    const sink = this.sink;
    if (g === this.full) {
      sink.counting = true;
      sink.resetCounts();
      dissectTree(p, sink);
      sink.counting = false;
      return;
    }
    const d = g.dissector;
    if (d === undefined) {
      // `_ws.*`: expert items of every layer (those raised while building trees too), then the
      // short/malformed marks (as dissectTree adds them).
      raiseTreeExperts(p);
      sink.layer = 1;
      for (const e of p.experts) addExpert(e, sink, p.bufferOf(e.layer));
      addPacketMarks(p, sink);
      return;
    }
    if (g.direct !== undefined && this.collectDirect(g, g.direct, d.id)) return;
    let n = 0;
    for (let i = 0; i < p.layers; i++) {
      if (p.proto[i] !== d.id) continue;
      sink.layer = ++n;
      try {
        d.tree(p, i, sink);
      } catch {
        // A dissector bug: dissectTree marks the packet when an output walks it; the filter
        // sees whatever items were added before the failure.
      }
    }
  }

  /**
   * Reads the group's fields from every layer of protocol `id` directly; false (slots cleared)
   * as soon as one layer is not of the common shape, for the tree to collect them instead.
   */
  private collectDirect(group: Group, g: DirectGroup, id: number): boolean {
    const p = this.p;
    const sink = this.sink;
    const reads = g.reads;
    let n = 0;
    for (let i = 0; i < p.layers; i++) {
      if (p.proto[i] !== id) continue;
      if (!g.protocol.simple(p, i)) {
        for (const s of group.slots) s.clear();
        return false;
      }
      n++;
      const b = p.buffers[p.bufIndex[i]];
      const o = p.start[i];
      for (let k = 0; k < reads.length; k++) {
        const r = reads[k];
        const s = r.slot;
        for (let j = 0; j < r.reads.length; j++) {
          const v = r.reads[j](p, b, o, i);
          if (v === undefined) break;
          const c = s.count++;
          s.values[c] = v;
          s.layers[c] = n;
        }
      }
      if (g.points.length) {
        sink.layer = n;
        for (const at of g.points) g.protocol.hook!(p, i, sink, at);
      }
    }
    return true;
  }
}

/**
 * The direct reading of a group, when its protocol has one and covers every field of the
 * group; `all` are the view's slots, `slots` the group's.
 */
function directGroup(d: Dissector, fields: readonly FieldDef[], slots: readonly FieldValues[], all: readonly FieldValues[]): DirectGroup | undefined {
  const protocol = directProtocol(d.protocol.name);
  if (!protocol) return undefined;
  const reads: DirectGroup['reads'] = [];
  const points = new Set<HookPoint>();
  for (const slot of slots) {
    const f = fields[all.indexOf(slot)];
    const r = protocol.fields.get(f.name);
    const point = protocol.hooked?.get(f.name);
    if (r) reads.push({ slot, reads: r });
    else if (point) points.add(point);
    else return undefined;
  }
  return { protocol, reads, points: hookPoints.filter((h) => points.has(h)) };
}
