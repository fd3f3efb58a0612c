/**
 * Field-by-field comparison of wiresage with tshark on one capture, for the protocol tests:
 * both print `-T fields` for the same list; every frame and every field must agree, except
 * the cells a test explains (a wiresage-only field, a difference tshark 4.0 has by design).
 */
import { Decoder, dissectTree } from '../decode/decoder.js';
import { dissectorById } from '../decode/dissector.js';
import type { Packet } from '../decode/packet.js';
import { TreeSink, type TreeNode } from '../fields/sink.js';
import { openCapture } from '../file/open.js';
import type { InterfaceDescription } from '../file/types.js';
import { rows, tsharkFields, wiresage } from '../testing/tshark.js';

export interface Mismatch {
  frame: number;
  field: string;
  ours: string;
  tshark: string;
}

export interface Comparison {
  frames: number;
  /** Non-empty cells compared per field. */
  cells: Record<string, number>;
  mismatches: Mismatch[];
  /**
   * Differences in frames where wiresage saw a PDU spanning segments (needs reassembly, or
   * continuation bytes): tshark reassembles and shows the whole PDU in its last segment;
   * wiresage will once the flow engine hands it reassembled PDUs.
   */
  pendingReassembly: Mismatch[];
}

/**
 * Compares `fields` over every frame of `file`. `decodeAs` goes to both tools
 * (`tcp.port==1600,tns`). With `proto`, frames where wiresage marks `proto.needs_reassembly`
 * or `proto.continuation` are set apart in `pendingReassembly`.
 */
export function compareWithTshark(file: string, fields: string[], decodeAs: string[] = [], proto?: string): Comparison {
  const marks = proto ? [`${proto}.needs_reassembly`, `${proto}.continuation`] : [];
  const args = ['read', '-T', 'fields', '-E', 'occurrence=a'];
  for (const d of decodeAs) args.push('--decode-as', d);
  for (const f of [...fields, ...marks]) args.push('-e', f);
  args.push(file);
  const ours = rows(wiresage(args).stdout);
  const theirs = tsharkFields(file, fields, { decodeAs });
  if (ours.length && !theirs.length) throw new Error(`tshark printed nothing for ${file}: is one of the fields unknown to it? ${fields.join(' ')}`);
  const cells: Record<string, number> = {};
  const mismatches: Mismatch[] = [];
  const pendingReassembly: Mismatch[] = [];
  const frames = Math.max(ours.length, theirs.length);
  for (let i = 0; i < frames; i++) {
    const spanning = marks.some((_, k) => (ours[i]?.[fields.length + k] ?? '') !== '');
    for (let j = 0; j < fields.length; j++) {
      const a = ours[i]?.[j] ?? '';
      const b = theirs[i]?.[j] ?? '';
      if (a || b) cells[fields[j]] = (cells[fields[j]] ?? 0) + 1;
      if (a !== b) (spanning ? pendingReassembly : mismatches).push({ frame: i + 1, field: fields[j], ours: a, tshark: b });
    }
  }
  return { frames, cells, mismatches, pendingReassembly };
}

/** Mismatches as readable lines for an assertion message. */
export function mismatchText(m: Mismatch[], max = 20): string {
  return m
    .slice(0, max)
    .map((x) => `frame ${x.frame} ${x.field}: wiresage '${x.ours.slice(0, 120)}' tshark '${x.tshark.slice(0, 120)}'`)
    .join('\n');
}

/** Decodes every frame of a capture in-process (for app summaries); returns the decoder. */
export async function decodeFile(file: string, onPacket?: (p: Packet) => void): Promise<Decoder> {
  const decoder = new Decoder();
  const reader = await openCapture(file);
  try {
    await reader.forEach((r) => {
      const p = decoder.decode(r);
      onPacket?.(p);
    });
  } finally {
    reader.close();
  }
  return decoder;
}

/** Decodes one frame from raw bytes (Ethernet) for byte-fixture tests; returns its tree and packet. */
export function decodeBytes(decoder: Decoder, bytes: Uint8Array, origLen = bytes.length): { p: Packet; tree: TreeSink } {
  const iface: InterfaceDescription = { id: 0, linkType: 1, snapLen: 0, tsResolution: 1e6, tsOffset: 0, comments: [] };
  const p = decoder.decode({ iface, tsSec: 1, tsNsec: 0, capLen: bytes.length, origLen, data: bytes, comments: [], offset: 0 });
  const tree = new TreeSink();
  dissectTree(p, tree);
  return { p, tree };
}

/** Values of field `name` in a tree, in order. */
export function values(tree: TreeSink, name: string): unknown[] {
  const out: unknown[] = [];
  const walk = (nodes: TreeNode[]) => {
    for (const n of nodes) {
      if (n.field.name === name) out.push(n.value);
      if (n.children) walk(n.children);
    }
  };
  walk(tree.roots);
  return out;
}

/**
 * An Ethernet/IPv4/TCP frame carrying `payload` from src to dst (ports given), checksums zero.
 * `flags` default PSH|ACK.
 */
export function tcpFrame(payload: Uint8Array, src = '10.0.0.1', sport = 40000, dst = '10.0.0.2', dport = 1521, seq = 1): Uint8Array {
  const ip = (a: string) => a.split('.').map(Number);
  const total = 20 + 20 + payload.length;
  const f = new Uint8Array(14 + total);
  f.set([2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 8, 0], 0);
  f.set([0x45, 0, total >> 8, total & 255, 0, 1, 0x40, 0, 64, 6, 0, 0, ...ip(src), ...ip(dst)], 14);
  f.set([sport >> 8, sport & 255, dport >> 8, dport & 255, seq >>> 24, (seq >> 16) & 255, (seq >> 8) & 255, seq & 255, 0, 0, 0, 1, 0x50, 0x18, 0xff, 0xff, 0, 0, 0, 0], 34);
  f.set(payload, 54);
  return f;
}

/** The same for UDP. */
export function udpFrame(payload: Uint8Array, src = '10.0.0.1', sport = 40000, dst = '10.0.0.2', dport = 53): Uint8Array {
  const ip = (a: string) => a.split('.').map(Number);
  const total = 20 + 8 + payload.length;
  const f = new Uint8Array(14 + total);
  f.set([2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 8, 0], 0);
  f.set([0x45, 0, total >> 8, total & 255, 0, 1, 0x40, 0, 64, 17, 0, 0, ...ip(src), ...ip(dst)], 14);
  const ul = 8 + payload.length;
  f.set([sport >> 8, sport & 255, dport >> 8, dport & 255, ul >> 8, ul & 255, 0, 0], 34);
  f.set(payload, 42);
  return f;
}

/**
 * Robustness of one dissector over its fixtures: every cut (as a snaplen would and as a lying
 * length would) and seeded random mutations must decode, dissect and summarise without
 * exception, hang or "dissector bug" mark.
 */
export function fuzzFrames(frames: Uint8Array[], mutations = 300, seed = 0x5eed): number {
  const decoder = new Decoder();
  let runs = 0;
  const check = (bytes: Uint8Array, origLen: number, what: string) => {
    const { p, tree } = decodeBytes(decoder, bytes, origLen);
    for (let i = 0; i < p.layers; i++) dissectorById(p.proto[i]).summary?.(p, i);
    JSON.stringify(tree.roots, (_k, v) => (typeof v === 'bigint' ? String(v) : v instanceof Uint8Array ? v.length : v === undefined ? null : v), 0);
    if (p.malformed?.startsWith('dissector bug')) throw new Error(`${what}: ${p.malformed}`);
    runs++;
  };
  let a = seed >>> 0;
  const rand = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  for (const [i, f] of frames.entries()) {
    for (let cut = 0; cut <= f.length; cut++) {
      check(f.subarray(0, cut), f.length, `fixture ${i} cut ${cut} (snaplen)`);
      check(f.subarray(0, cut), cut, `fixture ${i} cut ${cut} (short)`);
    }
    for (let m = 0; m < mutations; m++) {
      const d = f.slice();
      const flips = 1 + Math.floor(rand() * 6);
      // Mutate the application bytes (after Ethernet/IP/TCP) mostly.
      for (let k = 0; k < flips; k++) {
        const at = d.length > 60 && rand() < 0.9 ? 54 + Math.floor(rand() * (d.length - 54)) : Math.floor(rand() * d.length);
        d[at] = rand() < 0.3 ? [0, 0xff, 0x7f, 0x80, 0xc0][Math.floor(rand() * 5)] : Math.floor(rand() * 256);
      }
      check(d, d.length, `fixture ${i} mutation ${m}`);
    }
  }
  return runs;
}
