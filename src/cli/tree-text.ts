/** The detail tree as text, indented like `tshark -V`. Hidden items are not shown. */
import { displayText } from '../fields/format.js';
import type { TreeNode } from '../fields/sink.js';
import { HIDDEN } from '../fields/value.js';

export function treeText(nodes: TreeNode[], indent = 0, out: string[] = []): string[] {
  for (const n of nodes) {
    if (n.flags & HIDDEN) continue;
    out.push(' '.repeat(indent * 4) + displayText(n));
    if (n.children) treeText(n.children, indent + 1, out);
  }
  return out;
}
