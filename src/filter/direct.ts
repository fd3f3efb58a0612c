/**
 * Header fields a filter reads straight from the bytes, and what a filter needs decoded.
 *
 * Most filters name a few header fields at fixed offsets (`ip.src == 10.0.0.1 && tcp.port ==
 * 443`, `tcp.flags.syn == 1`, `frame.len > 1000`). When a layer has its common shape — an IPv4
 * header without options, a TCP header captured whole — every such field is in the tree at its
 * offset, so the view ({@link PacketView}) reads it there instead of running the protocol's
 * tree. A layer of another shape (options, a snaplen cut, checksum verification on, whose tree
 * also records an expert item) goes through the tree as before: the tree stays the reference,
 * and direct.test.ts checks on real captures that both give the same verdicts.
 *
 * The TCP fields the flow engine fills come from its note on the packet (`Packet.flow`): the
 * stream number and the analysis flags directly (as the engine's tree hook in
 * src/flows/tcp-tree.ts adds them), the others through that hook called on its own, without
 * the header items around it.
 *
 * `decodeNeeds` says what a set of fields needs: the flow engine (`tcp.analysis.*`) and the
 * application dissectors (anything above the transport headers), so a reader can decode only
 * up to the transport layer (`Packet.transportOnly`) when neither its filter nor its output
 * looks higher.
 *
 * @example
 * const needs = decodeNeeds(compileFilter('tcp.analysis.retransmission').fields);
 * // { applications: false, flows: true }: transport layers and the flow engine suffice
 */
import { u16, u32 } from '../decode/bytes.js';
import { dissectorByName } from '../decode/dissector.js';
import { ipv4Preferences } from '../decode/ipv4.js';
import type { Packet } from '../decode/packet.js';
import { tcpAnalysisHook, tcpPreferences } from '../decode/tcp.js';
import { udpPreferences } from '../decode/udp.js';
import { lookupField, type FieldDef } from '../fields/field.js';
import type { Sink } from '../fields/sink.js';
import { valueFromBytes } from '../fields/value.js';
import {
  A_ACK_LOST_PACKET, A_DUPLICATE_ACK, A_FAST_RETRANSMISSION, A_KEEP_ALIVE, A_KEEP_ALIVE_ACK, A_LOST_PACKET, A_OUT_OF_ORDER,
  A_RETRANSMISSION, A_REUSED_PORTS, A_SPURIOUS_RETRANSMISSION, A_WINDOW_FULL, A_WINDOW_UPDATE, A_ZERO_WINDOW, A_ZERO_WINDOW_PROBE,
  A_ZERO_WINDOW_PROBE_ACK, TcpNote,
} from '../flows/tcp-analysis.js';
import { expertFields, tcpFlowFields } from '../flows/tcp-tree.js';

/**
 * One occurrence of a field in a layer `layer` of the common shape starting at `o` in `b`: its
 * value, or undefined when the tree does not add this occurrence (then it adds none of the
 * later ones either). Values are numbers, as the filter compares them (booleans 1 and 0).
 */
export type DirectRead = (p: Packet, b: Uint8Array, o: number, layer: number) => number | undefined;

/** Where the engine's tree hook adds a field (`tcpAnalysisHook` points, in tree order). */
export type HookPoint = 'ports' | 'seq' | 'window' | 'end';
export const hookPoints: readonly HookPoint[] = ['ports', 'seq', 'window', 'end'];

/** The direct reading of one protocol's layers. */
export interface DirectProtocol {
  /** True when the layer's tree adds every field of `fields` at its offset, once per read. */
  simple(p: Packet, layer: number): boolean;
  /** Field name → one read per occurrence, in tree order (`ip.addr`: source, destination). */
  fields: ReadonlyMap<string, readonly DirectRead[]>;
  /** Fields an engine hook adds (name → point), and the hook; present for TCP. */
  hooked?: ReadonlyMap<string, HookPoint>;
  hook?: (p: Packet, layer: number, s: Sink, at: HookPoint) => boolean;
  /** Names of `fields` and `hooked` that come from the flow engine. */
  engine?: ReadonlySet<string>;
}

/** A read of `len` bytes at `off`, as the tree's `s.add(f, b, o + off, len)` values it. */
function at(name: string, off: number, len: number): DirectRead {
  const f = lookupField(name);
  if (!f) throw new Error(`direct filter field ${name} is not registered`);
  const plain = !f.mask;
  if (plain && (f.type === 'ipv4' || f.type === 'uint32') && len === 4) return (_p, b, o) => u32(b, o + off);
  if (plain && f.type === 'uint16' && len === 2) return (_p, b, o) => u16(b, o + off);
  if (plain && f.type === 'uint8' && len === 1) return (_p, b, o) => b[o + off];
  if (f.type === 'bool') return (_p, b, o) => (valueFromBytes(f!, b, o + off, len, 0) ? 1 : 0);
  return (_p, b, o) => valueFromBytes(f!, b, o + off, len, 0) as number;
}

function table(entries: Array<[string, DirectRead[]]>): Map<string, DirectRead[]> {
  return new Map(entries);
}

/** IPv4 without options, its bytes captured, a total length covering the header (src/decode/ipv4.ts tree). */
const ipv4: DirectProtocol = {
  simple(p, layer) {
    const b = p.bufferOf(layer);
    const o = p.start[layer];
    return b.length >= o + 20 && b[o] === 0x45 && u16(b, o + 2) >= 20 && !ipv4Preferences.verifyChecksum;
  },
  fields: table([
    ['ip.hdr_len', [() => 20]],
    ['ip.dsfield', [at('ip.dsfield', 1, 1)]],
    ['ip.dsfield.dscp', [at('ip.dsfield.dscp', 1, 1)]],
    ['ip.dsfield.ecn', [at('ip.dsfield.ecn', 1, 1)]],
    ['ip.len', [at('ip.len', 2, 2)]],
    ['ip.id', [at('ip.id', 4, 2)]],
    ['ip.flags', [at('ip.flags', 6, 1)]],
    ['ip.flags.rb', [at('ip.flags.rb', 6, 1)]],
    ['ip.flags.df', [at('ip.flags.df', 6, 1)]],
    ['ip.flags.mf', [at('ip.flags.mf', 6, 1)]],
    ['ip.frag_offset', [at('ip.frag_offset', 6, 2)]],
    ['ip.ttl', [at('ip.ttl', 8, 1)]],
    ['ip.proto', [at('ip.proto', 9, 1)]],
    ['ip.checksum', [at('ip.checksum', 10, 2)]],
    ['ip.src', [at('ip.src', 12, 4)]],
    ['ip.dst', [at('ip.dst', 16, 4)]],
    ['ip.addr', [at('ip.addr', 12, 4), at('ip.addr', 16, 4)]],
  ]),
};

/**
 * The flow engine's note of a TCP layer, when the engine's hook fills that layer's tree (it
 * does for the packet's own transport layer only, src/flows/tcp-tree.ts `tcpTree`).
 */
function noteOf(p: Packet, layer: number): TcpNote | undefined {
  const n = p.flow;
  return n instanceof TcpNote && n.valid && p.transportLayer === layer ? n : undefined;
}

/** The note's analysis bits as the tree shows them: only with the analysis subtree (`treeEnd`). */
function analysisOf(p: Packet, layer: number): number {
  const n = noteOf(p, layer);
  return n !== undefined && n.hasTa && n.cut === 0 ? n.analysis : 0;
}

/**
 * `tcp.stream`, `tcp.analysis`, `tcp.analysis.flags` and the analysis flags, read from the
 * note. The tree adds `tcp.analysis.retransmission` once for each of the retransmission,
 * fast and spurious bits, and `tcp.analysis.duplicate_ack` twice with a duplicate ACK number.
 */
function engineFlags(): Array<[string, DirectRead[]]> {
  // The k-th occurrence: at least k of the masks' bits are set.
  const bits = (masks: number[]): DirectRead[] => masks.map((_, k) => (p, _b, _o, layer) => {
    const a = analysisOf(p, layer);
    let set = 0;
    for (const m of masks) if (a & m) set++;
    return set > k ? 1 : undefined;
  });
  const bit = (mask: number): DirectRead => (p, _b, _o, layer) => ((analysisOf(p, layer) & mask) !== 0 ? 1 : undefined);
  const flags: Array<[string, number[]]> = [
    ['reused_ports', [A_REUSED_PORTS]], ['retransmission', [A_RETRANSMISSION, A_FAST_RETRANSMISSION, A_SPURIOUS_RETRANSMISSION]],
    ['fast_retransmission', [A_FAST_RETRANSMISSION]], ['spurious_retransmission', [A_SPURIOUS_RETRANSMISSION]], ['out_of_order', [A_OUT_OF_ORDER]],
    ['lost_segment', [A_LOST_PACKET]], ['ack_lost_segment', [A_ACK_LOST_PACKET]], ['window_update', [A_WINDOW_UPDATE]],
    ['window_full', [A_WINDOW_FULL]], ['keep_alive', [A_KEEP_ALIVE]], ['keep_alive_ack', [A_KEEP_ALIVE_ACK]],
    ['zero_window_probe', [A_ZERO_WINDOW_PROBE]], ['zero_window', [A_ZERO_WINDOW]], ['zero_window_probe_ack', [A_ZERO_WINDOW_PROBE_ACK]],
  ];
  return [
    ['tcp.stream', [(p, _b, _o, layer) => noteOf(p, layer)?.stream]],
    ['tcp.analysis', [(p, _b, _o, layer) => { const n = noteOf(p, layer); return n !== undefined && n.hasTa && n.cut === 0 ? 1 : undefined; }]],
    ['tcp.analysis.flags', [(p, _b, _o, layer) => (analysisOf(p, layer) !== 0 ? 1 : undefined)]],
    ...flags.map(([name, masks]): [string, DirectRead[]] => [`tcp.analysis.${name}`, masks.length === 1 ? [bit(masks[0])] : bits(masks)]),
    ['tcp.analysis.duplicate_ack', [bit(A_DUPLICATE_ACK), (p, _b, _o, layer) => ((analysisOf(p, layer) & A_DUPLICATE_ACK) !== 0 && noteOf(p, layer)!.dupackNum ? 1 : undefined)]],
  ];
}

/** The hook point that adds a field of `tcpFlowFields` (src/flows/tcp-tree.ts `tcpTree`). */
function tcpFlowPoint(key: string): HookPoint {
  switch (key) {
    case 'stream': case 'completeness': return 'ports';
    case 'seq': case 'nxtseq': case 'ack': return 'seq';
    case 'window_size': case 'window_size_scalefactor': return 'window';
    default: return 'end';
  }
}

/** Flag bits of the TCP header (two bytes at offset 12), as the tree adds them. */
const tcpFlagNames = ['res', 'ae', 'cwr', 'ece', 'urg', 'ack', 'push', 'reset', 'syn', 'fin'];

const engineReads = engineFlags();
// The engine's other fields: the hook adds them (for the packet's own transport layer with a
// valid note, its business); in a header of the common shape the tree calls every point.
const tcpHooked = new Map<string, HookPoint>([
  ...Object.entries(tcpFlowFields).map(([key, f]): [string, HookPoint] => [f.name, tcpFlowPoint(key)]),
  ...expertFields.map((f): [string, HookPoint] => [f.name, 'end']),
]);

/** A TCP header captured whole with a valid header length (src/decode/tcp.ts tree). */
const tcp: DirectProtocol = {
  simple(p, layer) {
    const b = p.bufferOf(layer);
    const o = p.start[layer];
    const cap = Math.min(b.length, p.limit[layer]);
    return cap >= o + 20 && b[o + 12] >= 0x50 && !tcpPreferences.verifyChecksum;
  },
  fields: table([
    ['tcp.srcport', [at('tcp.srcport', 0, 2)]],
    ['tcp.dstport', [at('tcp.dstport', 2, 2)]],
    ['tcp.port', [at('tcp.port', 0, 2), at('tcp.port', 2, 2)]],
    ['tcp.hdr_len', [(_p, b, o) => (b[o + 12] >> 4) * 4]],
    ['tcp.flags', [at('tcp.flags', 12, 2)]],
    ...tcpFlagNames.map((n): [string, DirectRead[]] => [`tcp.flags.${n}`, [at(`tcp.flags.${n}`, 12, 2)]]),
    ['tcp.window_size_value', [at('tcp.window_size_value', 14, 2)]],
    ['tcp.checksum', [at('tcp.checksum', 16, 2)]],
    ['tcp.urgent_pointer', [at('tcp.urgent_pointer', 18, 2)]],
    ...engineReads,
  ]),
  hooked: tcpHooked,
  hook: (p, layer, s, point) => tcpAnalysisHook.fn?.(p, layer, s, point) ?? false,
  engine: new Set([...engineReads.map(([name]) => name), ...tcpHooked.keys()]),
};

/** A UDP header whose ports and length were captured (src/decode/udp.ts tree). */
const udp: DirectProtocol = {
  simple(p, layer) {
    const b = p.bufferOf(layer);
    return Math.min(b.length, p.limit[layer]) >= p.start[layer] + 6 && !udpPreferences.verifyChecksum;
  },
  fields: table([
    ['udp.srcport', [at('udp.srcport', 0, 2)]],
    ['udp.dstport', [at('udp.dstport', 2, 2)]],
    ['udp.port', [at('udp.port', 0, 2), at('udp.port', 2, 2)]],
    ['udp.length', [at('udp.length', 4, 2)]],
  ]),
};

/** The frame's numbers, always in its tree (src/decode/frame.ts). */
const frame: DirectProtocol = {
  simple: () => true,
  fields: table([
    ['frame.number', [(p) => p.number]],
    ['frame.len', [(p) => p.origLen]],
    ['frame.cap_len', [(p) => p.capLen]],
  ]),
};

const byProtocol = new Map<string, DirectProtocol>([['ip', ipv4], ['tcp', tcp], ['udp', udp], ['frame', frame]]);

/** The direct reading of a protocol's layers (by the dissector's name), if it has one. */
export function directProtocol(name: string): DirectProtocol | undefined {
  return byProtocol.get(name);
}

/** What a filter (or an output) needs beyond the link, network and transport headers. */
export interface DecodeNeeds {
  /** Some field comes from above the transport headers: decode whole packets. */
  applications: boolean;
  /** Some field comes from the flow engine (or from application dissectors, which keep their state per connection). */
  flows: boolean;
}

/**
 * Protocols whose presence (and item bytes) a decode that stops at the transport layer
 * (`Packet.transportOnly`) shows as a whole decode does: the walk is the same up to there.
 */
const headerProtocols = new Set(['frame', 'eth', 'ip', 'ipv6', 'tcp', 'udp']);

/**
 * Frame fields that do not depend on the layers (`frame.protocols` does): the frame tree
 * adds them from the record.
 */
const recordFields = new Set(['frame.number', 'frame.len', 'frame.cap_len', 'frame.time', 'frame.time_epoch', 'frame.time_delta', 'frame.time_delta_displayed', 'frame.time_relative', 'frame.marked', 'frame.ignored']);

/** What reading `fields` needs decoded: see {@link DecodeNeeds}. */
export function decodeNeeds(fields: readonly FieldDef[]): DecodeNeeds {
  const needs: DecodeNeeds = { applications: false, flows: false };
  for (const f of fields) {
    const d = f.type === 'protocol' ? dissectorByName(f.name) : undefined;
    if (d && d.protocol === f && headerProtocols.has(f.name)) continue;
    if (recordFields.has(f.name)) continue;
    const direct = byProtocol.get(f.protocol);
    if (direct?.engine?.has(f.name)) {
      needs.flows = true;
      continue;
    }
    if (direct?.fields.has(f.name)) continue;
    needs.applications = needs.flows = true;
  }
  return needs;
}
