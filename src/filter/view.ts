/**
 * The lazy view of a packet a compiled filter reads: only the fields the filter names are
 * collected, and only when the evaluation reaches them. Fields are grouped by protocol; the
 * first read of a field of protocol `tcp` runs the TCP dissector's `tree` over the packet's
 * TCP layers with a sink that keeps only the filter's fields (so `ip.src == 1.2.3.4 && tcp.port
 * == 80` never builds TCP items for packets from other hosts). Protocol presence (`tcp`, `ip`)
 * needs no tree at all: a protocol is present when one of the packet's layers is its dissector.
 *
 * Fields whose protocol has no dissector of that name (unusual) make the view walk the whole
 * tree once per packet, as `-T fields` does.
 */
import { dissectTree } from '../decode/decoder.js';
import { dissectorByName, type Dissector } from '../decode/dissector.js';
import { addExpert, addPacketMarks } from '../decode/expert.js';
import type { Packet } from '../decode/packet.js';
import { allFields, type FieldDef } from '../fields/field.js';
import type { Sink } from '../fields/sink.js';
import { valueFromBytes, type Value } from '../fields/value.js';

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

  constructor(readonly fields: readonly FieldDef[]) {
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
      // `_ws.*`: expert items of every layer, then the short/malformed marks (as dissectTree adds them).
      sink.layer = 1;
      for (const e of p.experts) addExpert(e, sink, p.bufferOf(e.layer));
      addPacketMarks(p, sink);
      return;
    }
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
}
