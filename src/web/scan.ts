/**
 * How a display-filter view scans a capture: with as little work as the filter allows.
 *
 * tshark decodes every packet to its last layer and runs TCP analysis over all of them for any
 * `-Y`; the UI's server has already done part of that once, in its frame index (offsets, TCP
 * stream, TCP analysis bits). A filter is classified by the fields it names ({@link scanPlan}):
 *
 * - `index`: only link/network/transport fields, plus `tcp.stream` and the analysis flags
 *   (`tcp.analysis.retransmission`, `tcp.analysis.flags`…). Frames are read back by offset and
 *   decoded to the transport layer only, with no flow engine: the stream and flags come from
 *   the index. When the filter requires some analysis flag (`tcp.analysis.retransmission &&
 *   ip.src == …`), only frames whose index bits can satisfy it are read at all
 *   ({@link requiredAnalysis}). This scan follows the index while it grows.
 * - `transport`: other flow-engine fields (relative `tcp.seq`, `tcp.time_delta`, `udp.stream`…):
 *   one ordered pass, decoded to the transport layer, through a flow engine.
 * - `full`: application fields (`tns`, `mysql.error_code`, `_ws.col.Info`…): every layer, as
 *   `wiresage read -Y` does.
 *
 * The three give the same frames (src/web/scan.test.ts checks them against each other and
 * tshark); only the cost differs.
 */
import { dissectorByName } from '../decode/dissector.js';
import type { FieldDef } from '../fields/field.js';
import type { Entity, Expr } from '../filter/ast.js';
import { parseFilter } from '../filter/parser.js';
import { noteFieldNames } from '../flows/note-fields.js';
import { tcpFlowFields } from '../flows/tcp-tree.js';
import { udpFlowFields } from '../flows/udp-streams.js';
import {
  A_ACK_LOST_PACKET, A_DUPLICATE_ACK, A_FAST_RETRANSMISSION, A_KEEP_ALIVE, A_KEEP_ALIVE_ACK, A_LOST_PACKET,
  A_OUT_OF_ORDER, A_RETRANSMISSION, A_REUSED_PORTS, A_SPURIOUS_RETRANSMISSION, A_WINDOW_FULL, A_WINDOW_UPDATE,
  A_ZERO_WINDOW, A_ZERO_WINDOW_PROBE, A_ZERO_WINDOW_PROBE_ACK, TcpNote,
} from '../flows/tcp-analysis.js';

/**
 * Protocols whose dissectors a walk that stops at the transport layer still runs (the ones in
 * src/decode): their fields are the same whether or not the application layers are decoded.
 * `data` is not one (it follows the transport layer), nor `_ws` (expert items and columns come
 * from every layer).
 */
const LOWER_PROTOCOLS = new Set([
  'frame', 'eth', 'sll', 'null', 'raw', 'vlan', 'ieee8021ad', 'mpls', 'ppp', 'pppoes', 'chdlc', 'pktap', 'nflog', 'macsec',
  'nsh', 'arp', 'ip', 'ipv6', 'icmp', 'icmpv6', 'gre', 'pim', 'vxlan', 'geneve', 'tcp', 'udp',
]);

/** True for a protocol below the application layer (see LOWER_PROTOCOLS). */
export function isLowerProtocol(name: string): boolean {
  return LOWER_PROTOCOLS.has(name);
}

/** `frame.protocols` lists every layer, application ones included. */
const FULL_ONLY_FIELDS = new Set(['frame.protocols']);

/** Index analysis bits that put each analysis flag field into a packet's tree (src/flows/tcp-tree.ts). */
const ALL_BITS = A_RETRANSMISSION | A_LOST_PACKET | A_ACK_LOST_PACKET | A_KEEP_ALIVE | A_DUPLICATE_ACK | A_ZERO_WINDOW |
  A_ZERO_WINDOW_PROBE | A_ZERO_WINDOW_PROBE_ACK | A_KEEP_ALIVE_ACK | A_OUT_OF_ORDER | A_FAST_RETRANSMISSION | A_WINDOW_UPDATE |
  A_WINDOW_FULL | A_REUSED_PORTS | A_SPURIOUS_RETRANSMISSION;
const flagBits = new Map<string, number>([
  ['tcp.analysis.flags', ALL_BITS],
  // Fast and spurious retransmissions carry the retransmission item too.
  ['tcp.analysis.retransmission', A_RETRANSMISSION | A_FAST_RETRANSMISSION | A_SPURIOUS_RETRANSMISSION],
  ['tcp.analysis.fast_retransmission', A_FAST_RETRANSMISSION],
  ['tcp.analysis.spurious_retransmission', A_SPURIOUS_RETRANSMISSION],
  ['tcp.analysis.out_of_order', A_OUT_OF_ORDER],
  ['tcp.analysis.lost_segment', A_LOST_PACKET],
  ['tcp.analysis.ack_lost_segment', A_ACK_LOST_PACKET],
  ['tcp.analysis.duplicate_ack', A_DUPLICATE_ACK],
  ['tcp.analysis.zero_window', A_ZERO_WINDOW],
  ['tcp.analysis.zero_window_probe', A_ZERO_WINDOW_PROBE],
  ['tcp.analysis.zero_window_probe_ack', A_ZERO_WINDOW_PROBE_ACK],
  ['tcp.analysis.window_full', A_WINDOW_FULL],
  ['tcp.analysis.window_update', A_WINDOW_UPDATE],
  ['tcp.analysis.keep_alive', A_KEEP_ALIVE],
  ['tcp.analysis.keep_alive_ack', A_KEEP_ALIVE_ACK],
  ['tcp.analysis.reused_ports', A_REUSED_PORTS],
]);

/** Fields the flow engine fills (from its notes), each by name. */
const engineFields = new Set<string>([
  ...noteFieldNames, ...Object.values(tcpFlowFields).map((f) => f.name), ...Object.values(udpFlowFields).map((f) => f.name), ...flagBits.keys(),
]);

/** Engine fields the frame index answers. */
const indexFields = new Set<string>(['tcp.stream', ...flagBits.keys()]);

export type ScanKind = 'index' | 'transport' | 'full';

export interface ScanPlan {
  kind: ScanKind;
  /**
   * Index pruning (kind `index` only): a frame can match only when, for every mask, its
   * analysis bits share a bit with it. Empty: every frame is read.
   */
  masks: number[];
  /** Index pruning (kind `index` only): when set, only frames of these TCP streams can match. */
  streams?: Set<number>;
}

/** Chooses how to scan for a compiled filter's `fields` and its text. */
export function scanPlan(fields: readonly FieldDef[], text: string): ScanPlan {
  let kind: ScanKind = 'index';
  for (const f of fields) {
    const protocol = f.type === 'protocol' ? f.name : f.protocol;
    if (!LOWER_PROTOCOLS.has(protocol) || FULL_ONLY_FIELDS.has(f.name) || !dissectorByName(protocol)) return { kind: 'full', masks: [] };
    if (engineFields.has(f.name) && !indexFields.has(f.name)) kind = 'transport';
  }
  if (kind !== 'index') return { kind, masks: [] };
  const ast = parseFilter(text);
  if (!ast) return { kind, masks: [] };
  const streams = requiredStreams(ast);
  return { kind, masks: requiredAnalysis(ast) ?? [], ...(streams ? { streams } : {}) };
}

/** Most streams a `tcp.stream in {a..b}` range prunes to (beyond: no pruning). */
const MAX_STREAMS = 100_000;

/** The number an entity is when it is a plain decimal constant. */
function constantOf(e: Entity | undefined): number | undefined {
  return e?.k === 'word' && /^\d+$/.test(e.text) ? Number(e.text) : undefined;
}

function isStreamField(e: Entity): boolean {
  return e.k === 'word' && !e.dotted && !e.layers && e.text === 'tcp.stream';
}

/**
 * The TCP streams a packet matching `e` must belong to (null: any). `tcp.stream == N` and
 * `tcp.stream in {…}` (the UI's "filter on these streams") name them; `&&` keeps the streams
 * of one side that names them, `||` the union when both sides do. The index holds the stream
 * of each frame's TCP layer (the one whose `tcp.stream` the tree shows), so this is sound.
 */
export function requiredStreams(e: Expr): Set<number> | null {
  switch (e.k) {
    case 'paren':
      return requiredStreams(e.a);
    case 'compare': {
      if (e.quant || e.op !== 'any_eq') return null;
      const n = isStreamField(e.a) ? constantOf(e.b) : isStreamField(e.b) ? constantOf(e.a) : undefined;
      return n === undefined ? null : new Set([n]);
    }
    case 'in': {
      if (e.quant || e.negated || !isStreamField(e.a)) return null;
      const out = new Set<number>();
      for (const item of e.items) {
        const lo = constantOf(item.lo);
        const hi = item.hi === undefined ? lo : constantOf(item.hi);
        if (lo === undefined || hi === undefined || hi - lo + out.size > MAX_STREAMS) return null;
        for (let n = lo; n <= hi; n++) out.add(n);
      }
      return out;
    }
    case 'and': {
      for (const item of e.items) {
        const r = requiredStreams(item);
        if (r) return r;
      }
      return null;
    }
    case 'or': {
      const out = new Set<number>();
      for (const item of e.items) {
        const r = requiredStreams(item);
        if (!r) return null;
        for (const n of r) out.add(n);
      }
      return out;
    }
    default:
      return null;
  }
}

/** The analysis flag field an entity names directly (no layer index), if any. */
function flagOf(e: Entity): number | undefined {
  return e.k === 'word' && !e.dotted && !e.layers ? flagBits.get(e.text) : undefined;
}

/**
 * What a packet matching `e` must have in its analysis bits: a list of masks, each of which
 * must meet the bits (null: nothing known). Sound, not complete: a test on a field the packet
 * lacks is false (Wireshark's implicit existence test), so `flag`, `flag == 1`, `flag != 0`
 * all need the flag; `!`, `all`/`any` quantifiers and `not in` are not looked into.
 */
export function requiredAnalysis(e: Expr): number[] | null {
  switch (e.k) {
    case 'paren':
      return requiredAnalysis(e.a);
    case 'exists': {
      const m = flagOf(e.a);
      return m === undefined ? null : [m];
    }
    case 'compare':
    case 'contains':
    case 'matches': {
      if (e.quant) return null;
      const m = flagOf(e.a) ?? flagOf(e.b);
      return m === undefined ? null : [m];
    }
    case 'in': {
      if (e.quant || e.negated) return null;
      const m = flagOf(e.a);
      return m === undefined ? null : [m];
    }
    case 'and': {
      const out: number[] = [];
      for (const item of e.items) out.push(...(requiredAnalysis(item) ?? []));
      return out.length ? out : null;
    }
    case 'or': {
      // Each alternative must need some flag; the packet needs one of them.
      let any = 0;
      for (const item of e.items) {
        const r = requiredAnalysis(item);
        if (!r) return null;
        any |= r[0];
      }
      return [any];
    }
    case 'not':
      return null;
  }
}

/** True when analysis bits `a` can satisfy every mask. */
export function mayMatch(masks: readonly number[], a: number): boolean {
  for (const m of masks) if ((a & m) === 0) return false;
  return true;
}

/**
 * A TcpNote made from the index for the `index` scan: stream and analysis flags only (the
 * plan guarantees the filter reads nothing else of it).
 */
export class IndexNote extends TcpNote {
  set(stream: number, analysis: number): this {
    this.reset();
    this.valid = true;
    this.stream = stream;
    this.analysis = analysis;
    this.hasTa = analysis !== 0;
    return this;
  }
}
