/**
 * Sinks receive the items dissectors add. One dissector walk serves every output: the
 * detail tree (`TreeSink`), `-T fields` and filters (`FieldSink`, which keeps only the fields
 * asked for and never decodes the others).
 */
import { allFields, lookupField, type FieldDef } from './field.js';
import { valueFromBytes, type Value } from './value.js';

export interface Sink {
  /** True when the sink wants anything of protocol `name` (lets the walk skip whole layers). */
  wantsProtocol(protocolId: number): boolean;
  /**
   * True when the sink keeps field `f`. Dissectors ask before computing a value that costs
   * something (text, objects); plain byte-backed items need no check.
   */
  wants(f: FieldDef): boolean;
  /** True when items' display labels are used (a TreeSink); dissectors skip building text otherwise. */
  readonly wantsLabels: boolean;
  /**
   * Adds an item for field `f` over `buf[off..off+len)`. With `value` undefined the value is read
   * from the bytes by the field's type, only if the sink needs it.
   */
  add(f: FieldDef, buf: Uint8Array, off: number, len: number, value?: Value, flags?: number, label?: string): void;
  /** Following items are children of the last item added, until `pop()`. */
  push(): void;
  pop(): void;
  /**
   * Marks the last item added as where the expert item with this message belongs: Wireshark
   * shows an expert item under the item it was raised on (`[Expert Info …]` under `Syn: Set`).
   * Only a tree keeps it; the expert subtree added later in the same layer moves there, as the
   * item's last child (`first`: its first, for an item raised before its children were added).
   */
  anchor?(message: string, first?: boolean): void;
}

/** What {@link anchorExperts} reads of a packet: its expert items. */
interface ExpertList {
  readonly experts: ReadonlyArray<{ readonly layer: number; readonly field: string; readonly message: string }>;
}

/** Anchors at the last item added every expert item of `layer` raised for expert field `field`. */
export function anchorExperts(s: Sink, p: ExpertList, layer: number, field: string): void {
  if (!s.anchor) return;
  for (const e of p.experts) if (e.layer === layer && e.field === field) s.anchor(e.message);
}

export interface TreeNode {
  field: FieldDef;
  buf: Uint8Array;
  off: number;
  len: number;
  value: Value;
  flags: number;
  /** Text that replaces the default "Display: value" line. */
  label?: string;
  children?: TreeNode[];
}

let expertField: FieldDef | undefined;

/** Builds the full detail tree. */
export class TreeSink implements Sink {
  readonly wantsLabels = true;
  readonly roots: TreeNode[] = [];
  private stack: TreeNode[][] = [this.roots];
  private last: TreeNode | undefined;
  /** Items that expert items (by message) are shown under. */
  private anchors: Map<string, { node: TreeNode; first: boolean }> | undefined;

  wantsProtocol(): boolean {
    return true;
  }

  wants(): boolean {
    return true;
  }

  add(f: FieldDef, buf: Uint8Array, off: number, len: number, value?: Value, flags = 0, label?: string): void {
    const v = value === undefined ? safeValue(f, buf, off, len, flags) : value;
    const node: TreeNode = { field: f, buf, off, len, value: v, flags, label };
    const anchor = this.anchors !== undefined && label !== undefined ? this.anchorOf(f, label) : undefined;
    if (anchor) {
      const children = (anchor.node.children ??= []);
      if (anchor.first) children.unshift(node);
      else children.push(node);
    } else this.stack[this.stack.length - 1].push(node);
    this.last = node;
  }

  anchor(message: string, first = false): void {
    if (!this.last) return;
    this.anchors ??= new Map();
    if (!this.anchors.has(message)) this.anchors.set(message, { node: this.last, first });
  }

  /** The item an expert item (`[Expert Info (Chat/Sequence): message]`) was anchored at, once. */
  private anchorOf(f: FieldDef, label: string): { node: TreeNode; first: boolean } | undefined {
    expertField ??= lookupField('_ws.expert');
    if (f !== expertField) return undefined;
    const at = label.indexOf('): ');
    if (at < 0) return undefined;
    const message = label.slice(at + 3, -1);
    const node = this.anchors!.get(message);
    if (node) this.anchors!.delete(message);
    return node;
  }

  push(): void {
    const parent = this.last;
    if (!parent) {
      this.stack.push(this.stack[this.stack.length - 1]);
      return;
    }
    parent.children ??= [];
    this.stack.push(parent.children);
  }

  pop(): void {
    if (this.stack.length > 1) this.stack.pop();
    const level = this.stack[this.stack.length - 1];
    this.last = level[level.length - 1];
  }
}

function safeValue(f: FieldDef, buf: Uint8Array, off: number, len: number, flags: number): Value {
  if (off < 0 || off + len > buf.length) return null;
  return valueFromBytes(f, buf, off, len, flags);
}

/**
 * Collects the values of a chosen list of fields, in tree order (tshark's `-T fields -e`).
 * Reuse one instance across packets: `reset()` before each.
 */
export class FieldSink implements Sink {
  readonly wantsLabels = false;
  /** values[i] holds the values of fields[i] found in the current packet. */
  readonly values: Value[][];
  private readonly column: Int32Array;
  /** Indexed by dissector id (+2, so the pseudo ids -1/-2 fit): 1 when any wanted field is in it. */
  private readonly protocols = new Uint8Array(1024);

  constructor(readonly fields: readonly FieldDef[], protocolIdOf: (name: string) => number | undefined) {
    this.values = fields.map(() => []);
    this.column = new Int32Array(allFields().length + 1).fill(-1);
    fields.forEach((f, i) => {
      // A field listed twice fills both columns: keep the first, copy at the end.
      if (this.column[f.id] < 0) this.column[f.id] = i;
      const p = protocolIdOf(f.protocol);
      if (p !== undefined) this.protocols[p + 2] = 1;
    });
    // Fields of pseudo-protocols ('_ws', 'frame') always need the frame layer: the caller adds them.
  }

  /** Marks a protocol as needed although none of its fields is listed (e.g. to walk through it). */
  needProtocol(protocolId: number): void {
    this.protocols[protocolId + 2] = 1;
  }

  wantsProtocol(protocolId: number): boolean {
    return this.protocols[protocolId + 2] === 1;
  }

  wants(f: FieldDef): boolean {
    return f.id < this.column.length && this.column[f.id] >= 0;
  }

  reset(): void {
    const values = this.values;
    for (let i = 0; i < values.length; i++) {
      // pop() is inlined by the optimiser; assigning `length` goes through the runtime (slow per packet).
      const v = values[i];
      while (v.length !== 0) v.pop();
    }
  }

  add(f: FieldDef, buf: Uint8Array, off: number, len: number, value?: Value, flags = 0): void {
    if (f.id >= this.column.length) return;
    const col = this.column[f.id];
    if (col < 0) return;
    this.values[col].push(value === undefined ? safeValue(f, buf, off, len, flags) : value);
  }

  /** Copies values into columns that repeat an earlier field. */
  finish(): void {
    for (let i = 0; i < this.fields.length; i++) {
      const first = this.column[this.fields[i].id];
      if (first !== i) {
        this.values[i].length = 0;
        this.values[i].push(...this.values[first]);
      }
    }
  }

  push(): void {}
  pop(): void {}
}
