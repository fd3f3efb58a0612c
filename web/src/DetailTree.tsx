// Packet details: the server's registry-driven tree, expandable, with field names on hover and filter actions.
import { useEffect, useRef } from 'react';
import type { TreeNode } from './api';

/** Expansion is remembered by the path of field names (as Wireshark keeps TCP open from packet to packet). */
export function nodeKey(path: TreeNode[]): string {
  return path.map((n) => n.field ?? n.label.replace(/[:,(].*$/, '')).join('/');
}

export interface TreeSelection { path: TreeNode[] }

export function DetailTree(props: {
  tree: TreeNode[]; expanded: Set<string>; onToggle: (key: string, open: boolean, node: TreeNode, path: TreeNode[]) => void;
  selected: TreeNode | null; onSelect: (node: TreeNode, path: TreeNode[]) => void;
  onContextMenu: (node: TreeNode, e: React.MouseEvent) => void; onHover: (node: TreeNode | null) => void;
}) {
  const ref = useRef<HTMLDivElement>(null);
  // Flatten the visible rows so arrow keys can walk them.
  const visible: { node: TreeNode; path: TreeNode[]; depth: number; key: string }[] = [];
  const walk = (nodes: TreeNode[], parents: TreeNode[]) => {
    for (const n of nodes) {
      const path = [...parents, n];
      const key = nodeKey(path);
      visible.push({ node: n, path, depth: parents.length, key });
      if (n.children?.length && props.expanded.has(key)) walk(n.children, path);
    }
  };
  walk(props.tree, []);
  const selIdx = visible.findIndex((v) => v.node === props.selected);

  useEffect(() => {
    ref.current?.querySelector('.tree-row.selected')?.scrollIntoView({ block: 'nearest' });
  }, [props.selected]);

  const onKeyDown = (e: React.KeyboardEvent) => {
    const cur = visible[selIdx];
    let handled = true;
    switch (e.key) {
      case 'ArrowDown': { const n = visible[Math.min(visible.length - 1, selIdx + 1)]; if (n) props.onSelect(n.node, n.path); break; }
      case 'ArrowUp': { const n = visible[Math.max(0, selIdx - 1)]; if (n) props.onSelect(n.node, n.path); break; }
      case 'ArrowRight': if (cur?.node.children?.length) props.onToggle(cur.key, true, cur.node, cur.path); break;
      case 'ArrowLeft':
        if (cur?.node.children?.length && props.expanded.has(cur.key)) props.onToggle(cur.key, false, cur.node, cur.path);
        else if (cur && cur.path.length > 1) props.onSelect(cur.path[cur.path.length - 2], cur.path.slice(0, -1));
        break;
      default: handled = false;
    }
    if (handled) e.preventDefault();
  };

  return (
    <div className="tree" ref={ref} tabIndex={0} role="tree" aria-label="Packet details" onKeyDown={onKeyDown} data-testid="detail-tree">
      {visible.map(({ node, path, depth, key }, i) => {
        const hasKids = !!node.children?.length;
        const open = hasKids && props.expanded.has(key);
        return (
          <div key={key + '#' + i} role="treeitem" aria-expanded={hasKids ? open : undefined}
            aria-selected={node === props.selected}
            className={'tree-row' + (node === props.selected ? ' selected' : '') + (node.severity ? ' sev-' + node.severity : '')}
            style={{ paddingLeft: 4 + depth * 14 }}
            title={node.field ? `${node.field}${node.length ? ` · ${node.length} byte${node.length === 1 ? '' : 's'}` : ''}` : undefined}
            data-field={node.field}
            onMouseEnter={() => props.onHover(node)} onMouseLeave={() => props.onHover(null)}
            onMouseDown={() => props.onSelect(node, path)}
            onDoubleClick={() => hasKids && props.onToggle(key, !open, node, path)}
            onContextMenu={(e) => { e.preventDefault(); props.onSelect(node, path); props.onContextMenu(node, e); }}>
            <span className="twisty" onMouseDown={(e) => { e.stopPropagation(); if (hasKids) props.onToggle(key, !open, node, path); }}>
              {hasKids ? (open ? '▾' : '▸') : ''}
            </span>
            <span className="tree-label">{node.label}</span>
          </div>
        );
      })}
    </div>
  );
}

/** The deepest node whose byte range covers offset in buffer b. */
export function nodeAt(tree: TreeNode[], b: number, offset: number, parents: TreeNode[] = []): TreeNode[] | null {
  for (const n of tree) {
    if (n.buffer === b && n.length > 0 && offset >= n.start && offset < n.start + n.length) {
      const deeper = n.children ? nodeAt(n.children, b, offset, [...parents, n]) : null;
      return deeper ?? [...parents, n];
    }
  }
  for (const n of tree) {
    // Children may cover bytes outside their parent (reassembled data): look there too.
    if (n.children) { const d = nodeAt(n.children, b, offset, [...parents, n]); if (d) return d; }
  }
  return null;
}
