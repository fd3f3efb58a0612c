// Helpers over the server's detail tree and evidence (field names and values come from the server; nothing is decoded here).
import { api, type TreeNode } from './api';
import { filterLiteral } from './format';

export function findField(tree: TreeNode[], name: string): TreeNode | null {
  for (const n of tree) {
    if (n.field === name) return n;
    if (n.children) { const d = findField(n.children, name); if (d) return d; }
  }
  return null;
}

/** The stream a packet belongs to, from its tree (tcp.stream / udp.stream, as Wireshark's Follow uses them). */
export function streamOf(tree: TreeNode[]): { proto: 'tcp' | 'udp'; stream: number } | null {
  for (const proto of ['tcp', 'udp'] as const) {
    const n = findField(tree, `${proto}.stream`);
    if (n?.value !== undefined && /^\d+$/.test(String(n.value))) return { proto, stream: Number(n.value) };
  }
  return null;
}

/** "field == value" for a tree item (the server's own filter text when it gives one), checked by the server's parser. */
export async function nodeFilter(n: TreeNode & { filter?: string }): Promise<string | null> {
  if (n.filter) return n.filter;
  if (!n.field) return null;
  if (n.value === undefined || n.value === null || n.value === '') return n.field;
  const v = String(n.value);
  for (const cand of [`${n.field} == ${filterLiteral(v)}`, `${n.field} == ${filterLiteral(v, true)}`]) {
    try { const r = await api.checkFilter(cand); if (r.ok) return cand; } catch { /* try the next form */ }
  }
  return n.field;
}

/** A filter for an evidence address "a", "a:port" or "[v6]:port". */
export function addressFilter(a: string): string {
  const v6 = /^\[([^\]]+)\]:(\d+)$/.exec(a);
  const v4 = /^(\d+\.\d+\.\d+\.\d+):(\d+)$/.exec(a);
  const m = v6 ?? v4;
  if (m) return `${v6 ? 'ipv6' : 'ip'}.addr == ${m[1]} && (tcp.port == ${m[2]} || udp.port == ${m[2]})`;
  return `${a.includes(':') ? 'ipv6' : 'ip'}.addr == ${a}`;
}

export function setFilter(nos: number[], field: string): string {
  return nos.length === 1 ? `${field} == ${nos[0]}` : `${field} in {${nos.join(', ')}}`;
}
