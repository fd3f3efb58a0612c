/**
 * The field registry: every field wiresage knows is declared once here, with its
 * Wireshark-compatible filter name, type, display base and bitmask (as Wireshark's
 * `hf_register_info`). The detail tree, `-T fields`, JSON, filters and the web UI all
 * read fields through this one table.
 *
 * @example
 * const src = defineField({ name: 'ip.src', display: 'Source Address', type: 'ipv4' });
 * lookupField('ip.src') === src; // true
 */

/** Field types, named after Wireshark's `FT_*` types. */
export type FieldType =
  | 'protocol' | 'none' | 'bool'
  | 'uint8' | 'uint16' | 'uint24' | 'uint32' | 'uint48' | 'uint64'
  | 'int8' | 'int16' | 'int32' | 'int64'
  | 'float' | 'double' | 'char'
  | 'ether' | 'ipv4' | 'ipv6' | 'bytes' | 'string'
  | 'abstime' | 'reltime' | 'framenum';

/** Display base, as Wireshark's `BASE_*`. */
export type FieldBase = 'dec' | 'hex' | 'oct' | 'dec_hex' | 'hex_dec' | 'none';

export interface FieldSpec {
  /** Filter name, e.g. `tcp.flags.syn`. */
  name: string;
  /** Name shown in the detail tree, e.g. `Syn`. */
  display: string;
  type: FieldType;
  base?: FieldBase;
  /** Bitmask within the item's bytes (bool and integer bitfields). */
  mask?: number;
  /** Width in bits of a boolean bitfield's parent (Wireshark's "display" for FT_BOOLEAN). */
  bits?: number;
  /** Names of integer values (value_string). */
  values?: Record<number, string>;
  /** Text for true/false of a boolean (true_false_string). */
  trueFalse?: readonly [string, string];
  /** Units appended in the tree, e.g. `bytes`. */
  unit?: string;
  /**
   * Wireshark declares the field FT_NONE: it says only that something is there. Declared `bool`
   * (value true) so `-T fields` prints `1` as tshark does; `-T json` writes it as tshark writes
   * FT_NONE items (an empty string, or the subtree of its children).
   */
  presence?: boolean;
  description?: string;
}

export interface FieldDef extends Readonly<FieldSpec> {
  /** Dense index, usable as an array key in hot paths. */
  readonly id: number;
  /** The protocol the field belongs to: the part of the name before the first dot. */
  readonly protocol: string;
  /** Right shift derived from `mask`. */
  readonly shift: number;
  readonly valueNames?: ReadonlyMap<number, string>;
}

const byName = new Map<string, FieldDef>();
const all: FieldDef[] = [];

/** Declares a field once; declaring the same name twice is a programming error. */
export function defineField(spec: FieldSpec): FieldDef {
  if (byName.has(spec.name)) throw new Error(`Cannot define field ${spec.name}: already defined`);
  const mask = spec.mask ?? 0;
  let shift = 0;
  if (mask) while (((mask / 2 ** shift) & 1) === 0) shift++;
  const def: FieldDef = Object.freeze({
    ...spec,
    id: all.length,
    protocol: spec.name.split('.')[0],
    shift,
    valueNames: spec.values
      ? new Map(Object.entries(spec.values).map(([k, v]) => [Number(k), v]))
      : undefined,
  });
  all.push(def);
  byName.set(def.name, def);
  return def;
}

/** Declares a protocol: a field of type `protocol` whose name is the filter word (`tcp`). */
export function defineProtocol(name: string, display: string, description?: string): FieldDef {
  return defineField({ name, display, type: 'protocol', description });
}

/** Declares many fields of one protocol at once; keys are the suffix after `prefix.`. */
export function defineFields<K extends string>(
  prefix: string,
  specs: Record<K, Omit<FieldSpec, 'name'> & { name?: string }>,
): Record<K, FieldDef> {
  const out = {} as Record<K, FieldDef>;
  for (const key of Object.keys(specs) as K[]) {
    const s = specs[key];
    out[key] = defineField({ ...s, name: s.name ?? `${prefix}.${key}` });
  }
  return out;
}

/**
 * Wireshark's text-only items (`proto_tree_add_subtree`, no field of their own), such as TCP's
 * `[Timestamps]`: the label carries the text.
 */
export const textItem = defineField({ name: '_ws.text', display: 'Text item', type: 'none' });

export function lookupField(name: string): FieldDef | undefined {
  return byName.get(name);
}

export function fieldById(id: number): FieldDef {
  return all[id];
}

/** Every registered field in declaration order. */
export function allFields(): readonly FieldDef[] {
  return all;
}

/** Fields whose names are closest to `name`, for "did you mean" messages. */
export function suggestFields(name: string, max = 3): string[] {
  const scored: Array<[number, string]> = [];
  for (const f of all) {
    const d = editDistance(name, f.name);
    if (d <= Math.max(2, Math.floor(name.length / 4))) scored.push([d, f.name]);
  }
  scored.sort((a, b) => a[0] - b[0] || a[1].localeCompare(b[1]));
  return scored.slice(0, max).map((s) => s[1]);
}

/** Levenshtein distance (insertions, deletions, substitutions), for "did you mean" messages. */
export function editDistance(a: string, b: string): number {
  const prev = new Array<number>(b.length + 1);
  for (let j = 0; j <= b.length; j++) prev[j] = j;
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0];
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j];
      prev[j] = Math.min(prev[j] + 1, prev[j - 1] + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length];
}
