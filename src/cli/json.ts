/**
 * JSON of a packet's tree in tshark's `-T json` layout: `{"_source":{"layers":{"frame":{…},
 * "eth":{"eth.dst":"…","eth.dst_tree":{…}}}}}`; a field seen more than once becomes an array.
 * Values are strings, as tshark prints them.
 */
import { textItem } from '../fields/field.js';
import { fieldText } from '../fields/format.js';
import type { TreeNode } from '../fields/sink.js';

type JsonObject = { [k: string]: JsonValue };
type JsonValue = string | JsonObject | JsonValue[];

function put(obj: JsonObject, key: string, v: JsonValue): void {
  const old = obj[key];
  if (old === undefined) obj[key] = v;
  else if (Array.isArray(old)) old.push(v);
  else obj[key] = [old, v];
}

function children(nodes: TreeNode[]): JsonObject {
  const obj: JsonObject = {};
  for (const n of nodes) {
    const name = n.field.name;
    if (n.field === textItem) {
      // A text-only item (Wireshark's hf_text_only): tshark keys a subtree by its text, without
      // the brackets of a generated item, and writes a leaf as "text".
      const text = (n.label ?? '').replace(/^\[(.*)\]$/, '$1');
      if (n.children?.length) put(obj, text, children(n.children));
      else put(obj, 'text', text);
      continue;
    }
    if (n.field.type === 'protocol' || n.field.type === 'none' || n.field.presence) {
      if (n.children?.length) put(obj, name, children(n.children));
      else put(obj, name, '');
      continue;
    }
    put(obj, name, fieldText(n.field, n.value));
    if (n.children?.length) put(obj, `${name}_tree`, children(n.children));
  }
  return obj;
}

/** The `_source.layers` object of one packet. */
export function packetJson(roots: TreeNode[]): JsonObject {
  return { _source: { layers: children(roots) } };
}
