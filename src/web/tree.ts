/**
 * The detail tree as JSON for the web UI: each node's display line (the registry's
 * `displayText`, as `read -V` prints it), its field name, its value as `-T fields` prints it,
 * and the bytes it covers (buffer index, start, length) so the bytes pane can highlight them.
 * Hidden items are left out, as in the tree text. Expert items carry their severity.
 */
import { displayText, fieldText } from '../fields/format.js';
import type { TreeNode } from '../fields/sink.js';
import { GENERATED, HIDDEN } from '../fields/value.js';
import { expertKinds } from '../flows/expert.js';

export interface TreeJsonNode {
  label: string;
  field?: string;
  value?: string;
  start: number;
  length: number;
  /** Index into the frame's buffers (0: the frame, then reassembled data). */
  buffer: number;
  generated?: true;
  severity?: 'chat' | 'note' | 'warn' | 'error';
  children?: TreeJsonNode[];
}

const expertSeverity = new Map<string, TreeJsonNode['severity']>(expertKinds.map((k) => [k.field, k.severity]));
const severityOf: Record<string, TreeJsonNode['severity']> = { Chat: 'chat', Note: 'note', Warning: 'warn', Error: 'error' };

function severity(n: TreeNode, label: string): TreeJsonNode['severity'] | undefined {
  const name = n.field.name;
  if (name === '_ws.expert') {
    const m = /^\[Expert Info \((\w+)\//.exec(label);
    return m ? severityOf[m[1]] : undefined;
  }
  if (name === '_ws.malformed') return 'error';
  if (name === '_ws.short') return 'warn';
  return expertSeverity.get(name);
}

export function treeJson(nodes: readonly TreeNode[], buffers: readonly Uint8Array[]): TreeJsonNode[] {
  const out: TreeJsonNode[] = [];
  for (const n of nodes) {
    if (n.flags & HIDDEN) continue;
    let label: string;
    try {
      label = displayText(n);
    } catch {
      label = n.field.display;
    }
    const buffer = Math.max(0, buffers.indexOf(n.buf));
    // The frame item covers the whole frame (its own item has no length).
    const length = n.field.name === 'frame' && n.len === 0 && n.off === 0 ? n.buf.length : n.len;
    const node: TreeJsonNode = { label, field: n.field.name, start: n.off, length, buffer };
    if (n.field.type !== 'protocol' && n.field.type !== 'none' && n.value !== null && n.value !== undefined) {
      try {
        node.value = fieldText(n.field, n.value);
      } catch {
        // a value the formatter cannot show stays absent
      }
    }
    if (n.flags & GENERATED) node.generated = true;
    const sev = severity(n, label);
    if (sev) node.severity = sev;
    if (n.children?.length) node.children = treeJson(n.children, buffers);
    out.push(node);
  }
  return out;
}
