/**
 * The values of `-T fields` columns for one packet, in tree order, as a FieldSink gathers them
 * from `dissectTree` — but without building the trees of layers that need not be built:
 *
 * - a layer whose protocol owns no requested field is skipped (as `dissectTree` does);
 * - a layer of the common shape whose requested fields all have a direct reading (the display
 *   filter's readers, src/filter/direct.ts: `ip.src`, `tcp.srcport`, `frame.number`…) is read
 *   at its offsets;
 * - any other layer runs its tree into the FieldSink, as before.
 *
 * The tree stays the reference: a direct read gives the value and the occurrences the tree
 * gives on that shape (the filter's direct tests and the `-T fields` differential tests check it).
 *
 * @example
 * const values = new FieldValues(resolveFields(['frame.number', 'ip.src']), protocolIdOf);
 * const cols = values.of(decoder.decode(record)); // cols[1]: the ip.src values of the packet
 */
import { dissectorById } from '../decode/dissector.js';
import { dissectTree, wsProtocolId } from '../decode/decoder.js';
import type { Packet } from '../decode/packet.js';
import type { FieldDef } from '../fields/field.js';
import { FieldSink } from '../fields/sink.js';
import type { Value } from '../fields/value.js';
import { directProtocol, type DirectProtocol, type DirectRead } from '../filter/direct.js';

/** How the layers of one protocol are read. */
interface ProtocolReading {
  /** The protocol's direct reading, when every requested field of it has one. */
  direct: DirectProtocol | undefined;
  /** Column of the protocol item itself (`-e tcp`), or -1. */
  itemColumn: number;
  /** Per requested field with a direct reading: its column and its reads, in tree order. */
  columns: number[];
  reads: Array<readonly DirectRead[]>;
}

export class FieldValues {
  private readonly sink: FieldSink;
  /** By dissector id: how its layers are read; undefined when no requested field is in them. */
  private readonly byDissector: Array<ProtocolReading | undefined> = [];
  /** A `_ws.*` field (expert items, packet marks) was requested: only the whole tree has them. */
  private readonly wholeTree: boolean;

  constructor(readonly fields: readonly FieldDef[], protocolIdOf: (name: string) => number | undefined) {
    this.sink = new FieldSink(fields, protocolIdOf);
    this.wholeTree = fields.some((f) => protocolIdOf(f.protocol) === wsProtocolId);
    const byProtocol = new Map<number, FieldDef[]>();
    for (const f of fields) {
      const id = protocolIdOf(f.protocol);
      if (id === undefined || id < 0) continue;
      if (!byProtocol.has(id)) byProtocol.set(id, []);
      const list = byProtocol.get(id)!;
      if (!list.includes(f)) list.push(f);
    }
    for (const [id, wanted] of byProtocol) {
      const d = dissectorById(id);
      const direct = directProtocol(d.protocol.name);
      const reading: ProtocolReading = { direct, itemColumn: -1, columns: [], reads: [] };
      for (const f of wanted) {
        const column = fields.indexOf(f);
        if (f === d.protocol) {
          reading.itemColumn = column;
          continue;
        }
        const reads = direct?.fields.get(f.name);
        if (reads === undefined) reading.direct = undefined;
        else {
          reading.columns.push(column);
          reading.reads.push(reads);
        }
      }
      this.byDissector[id] = reading;
    }
  }

  /** The values of each column for packet `p` (arrays reused by the next call). */
  of(p: Packet): Value[][] {
    const s = this.sink;
    s.reset();
    if (this.wholeTree) dissectTree(p, s);
    else {
      for (let i = 0; i < p.layers; i++) {
        const reading = this.byDissector[p.proto[i]];
        if (reading !== undefined) this.layer(p, i, reading);
      }
    }
    s.finish();
    return s.values;
  }

  private layer(p: Packet, i: number, reading: ProtocolReading): void {
    const s = this.sink;
    const d = dissectorById(p.proto[i]);
    const buf = p.bufferOf(i);
    const start = p.start[i];
    if (reading.direct !== undefined && reading.direct.simple(p, i)) {
      const values = s.values;
      if (reading.itemColumn >= 0) values[reading.itemColumn].push(null);
      for (let c = 0; c < reading.columns.length; c++) {
        const reads = reading.reads[c];
        const column = values[reading.columns[c]];
        for (let r = 0; r < reads.length; r++) {
          const v = reads[r](p, buf, start, i);
          if (v !== undefined) column.push(v);
        }
      }
      return;
    }
    // As dissectTree does for one layer (the protocol item, then the layer's own tree).
    s.add(d.protocol, buf, start, Math.max(0, Math.min(p.end[i], buf.length) - start));
    try {
      d.tree(p, i, s);
    } catch (e) {
      p.markMalformed(i, `dissector bug in ${d.protocol.name}: ${(e as Error).message}`);
    }
  }
}
