/**
 * Every dissector loaded (L2–L4 and the application protocols), the layer walk (walker.ts) and
 * the detail tree: what a command that shows packets imports.
 */
import type { Sink } from '../fields/sink.js';
import { dissectorById, wsProtocolId } from './dissector.js';
import './frame.js';
import './data.js';
import { addExpert, addPacketMarks } from './expert.js';
import { addColumns } from './columns.js';
import type { Packet } from './packet.js';
import './protocols.js';

export { Decoder, walk } from './walker.js';
export { wsProtocolId } from './dissector.js';

/**
 * Feeds the decoded packet's layers to a sink, each protocol as a node with its fields as
 * children (as Wireshark's detail tree). Dissector bugs become a malformed mark, never a throw.
 */
const levels: number[] = [];

export function dissectTree(p: Packet, s: Sink): void {
  levels.length = 0;
  for (let i = 0; i < p.layers; i++) {
    const d = dissectorById(p.proto[i]);
    // Close subtrees of layers we are no longer inside.
    while (levels.length && levels[levels.length - 1] !== p.parent[i]) {
      levels.pop();
      s.pop();
    }
    if (!s.wantsProtocol(d.id)) continue;
    const buf = p.bufferOf(i);
    const start = p.start[i];
    const len = Math.max(0, Math.min(p.end[i], buf.length) - start);
    s.add(d.protocol, buf, start, len, null, 0, s.wantsLabels && d.summary ? safeSummary(p, i, d.summary) : undefined);
    s.push();
    try {
      d.tree(p, i, s);
    } catch (e) {
      p.markMalformed(i, `dissector bug in ${d.protocol.name}: ${(e as Error).message}`);
    }
    for (const e of p.experts) if (e.layer === i) addExpert(e, s, buf);
    s.pop();
    // Layers quoted inside this one are nested under its node.
    if (i + 1 < p.layers && p.parent[i + 1] === i) {
      levels.push(i);
      s.push();
    }
  }
  while (levels.length) {
    levels.pop();
    s.pop();
  }
  if (s.wantsProtocol(wsProtocolId)) {
    addPacketMarks(p, s);
    addColumns(p, s);
  }
}


function safeSummary(p: Packet, i: number, f: (p: Packet, layer: number) => string): string | undefined {
  try {
    return f(p, i);
  } catch {
    return undefined;
  }
}
