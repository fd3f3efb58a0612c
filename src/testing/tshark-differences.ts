/**
 * Where the differential suite does not demand byte-for-byte agreement with tshark 4.0, and
 * why. Two kinds, both narrow and both counted in the suite's report (never skipped silently):
 *
 * 1. **Restriction** (`comparable`): fields of a protocol that tshark found *inside* an
 *    encapsulation wiresage does not dissect (MPLS, GRE, PPP, 802.11, VXLAN…). Such values
 *    cannot exist in wiresage's output; the outer copies of a repeated layer still are compared.
 * 2. **Accepted differences** (`acceptedDifferences`): a field and a condition under which
 *    tshark's text is a tshark quirk that wiresage deliberately does not copy.
 */
import { readFileSync } from 'node:fs';


/**
 * tshark preferences the comparison runs with, each with its reason. Nothing else differs
 * from tshark 4.0's defaults.
 */
export const tsharkPreferences: ReadonlyArray<{ pref: string; reason: string }> = [
  {
    pref: 'tcp.relative_sequence_numbers:FALSE',
    reason:
      'tshark shows SACK edges (tcp.options.sack_le/sack_re) relative to the peer\'s initial sequence number, ' +
      'which needs per-connection state; wiresage\'s TCP header dissector shows the raw edges. With relative ' +
      'numbers off tshark prints the raw edges too, so they are still compared exactly (tcp.seq/tcp.ack, the ' +
      'flow engine\'s relative numbers, are not compared by this suite).',
  },
];

/**
 * Protocols in tshark's `frame.protocols` that are dispatch steps, not layers: they have no
 * header bytes of their own and wiresage does the same dispatch inside the layer below.
 * `ethertype` is the table Ethernet/VLAN/SLL hand their type field to.
 */
export const transparentProtocols: ReadonlySet<string> = new Set(['ethertype']);

/**
 * tshark layers that wiresage decodes inside another layer: IPv6 extension headers are steps
 * of wiresage's `ipv6` layer (hop-by-hop, routing, fragment and destination options), ERSPAN
 * and WCCP headers steps of its `gre` layer.
 */
export const decodedWithin: Readonly<Record<string, string>> = {
  'ipv6.hopopts': 'ipv6', 'ipv6.routing': 'ipv6', 'ipv6.fraghdr': 'ipv6', 'ipv6.dstopts': 'ipv6',
  // GRE steps over the ERSPAN type II and WCCP redirect headers to the frame/packet they carry.
  erspan: 'gre', wccp: 'gre',
};

/** How a field is compared on one packet. */
export type Verdict =
  | { kind: 'all' }
  /** Only the first `values` of tshark's values: those of the layers before `by`. */
  | { kind: 'outer'; values: number; by: string }
  /** Not compared: the field's layer lies beyond `by`, which wiresage does not dissect. */
  | { kind: 'restricted'; by: string };

const ALL: Verdict = { kind: 'all' };

/**
 * How `field` is compared on a packet whose tshark protocol chain is `protocols`.
 *
 * The chain is cut at the first protocol that is neither dissected by wiresage (a protocol in
 * its registry, or decoded within one: `decodedWithin`) nor transparent. Then:
 * - a field whose protocol (or a layer that also adds it: `addedBy`) occurs only before the
 *   cut is compared in full; `frame.*` always is;
 * - a field whose protocol occurs only at or after the cut is left out ("restricted", counted
 *   by the protocol at the cut, the encapsulation that hides it);
 * - a protocol both before and after the cut (IP in GRE in IP): tshark's `-T fields` list holds
 *   the outer values first. For fields with a fixed number of values per layer
 *   (`valuesPerLayer`) wiresage's values must equal tshark's first (count × outer layers)
 *   values; other fields (option lists, eth.type vs eth.len…) are left out.
 *
 * @example
 * comparable('ip.src', ['eth', 'ethertype', 'mpls', 'ip', 'tcp'], new Set(['eth', 'ip', 'tcp'])); // restricted by mpls
 * comparable('eth.src', ['eth', 'ethertype', 'mpls', 'ip', 'tcp'], new Set(['eth', 'ip', 'tcp'])); // all
 * comparable('ip.src', ['eth', 'ethertype', 'ip', 'gre', 'ip', 'tcp'], new Set(['eth', 'ip', 'tcp'])); // outer, 1 value
 */
export function comparable(field: string, protocols: readonly string[], dissected: ReadonlySet<string>): Verdict {
  const dot = field.indexOf('.');
  const proto = dot < 0 ? field : field.slice(0, dot);
  if (proto === 'frame') return ALL;
  const layers = addedBy[field];
  let cut = -1;
  for (let i = 0; i < protocols.length; i++) {
    const p = protocols[i];
    if (!dissected.has(p) && !transparentProtocols.has(p) && !dissected.has(decodedWithin[p] ?? '')) {
      cut = i;
      break;
    }
  }
  if (cut < 0) return ALL;
  const isLayer = (p: string) => p === proto || (layers?.includes(p) ?? false);
  let inner = false;
  for (let i = cut; i < protocols.length; i++) if (isLayer(protocols[i])) inner = true;
  if (!inner) return ALL;
  const by = protocols[cut];
  let outer = 0;
  for (let i = 0; i < cut; i++) if (isLayer(protocols[i])) outer++;
  const perLayer = layers ? undefined : valuesPerLayer(field);
  if (!outer || perLayer === undefined) return { kind: 'restricted', by };
  return { kind: 'outer', values: outer * perLayer, by };
}

/** Fields whose number of values per layer varies (present or not by the header's contents). */
const variableFields = new Set(['eth.type', 'eth.len', 'vlan.etype', 'vlan.len', 'tcp.len', 'udp.checksum', 'udp.checksum.status']);

/**
 * How many values one complete layer adds for `field` (`*.addr` and `*.port` two, most one);
 * undefined when it varies (options, type-or-length fields, fields added on conditions).
 */
export function valuesPerLayer(field: string): number | undefined {
  if (variableFields.has(field) || field.startsWith('tcp.option')) return undefined;
  return /\.(addr|port)$/.test(field) ? 2 : 1;
}

/** Fields that tshark also adds in another protocol's layer (IPv6 adds a hidden `ip.version`). */
const addedBy: Readonly<Record<string, readonly string[]>> = { 'ip.version': ['ipv6'] };

/** What an accepted difference may look at. */
export interface DifferenceContext {
  field: string;
  ours: string;
  tshark: string;
  /** tshark's `frame.protocols`, split. */
  protocols: readonly string[];
  /** tshark marked the packet "Packet size limited during capture". */
  short: boolean;
  file: string;
  /** The capture both tools read, and the packet's frame number in it. */
  path: string;
  frame: number;
  /** tshark's value of another compared field on the same packet. */
  row(name: string): string | undefined;
}

export interface AcceptedDifference {
  id: string;
  fields: readonly string[];
  /** True when this packet's difference is the documented one (keep it narrow). */
  applies(c: DifferenceContext): boolean;
  reason: string;
}

const invalidTimes = new Map<string, ReadonlySet<number>>();

/**
 * Frame numbers of the classic pcap records of `path` whose sub-second field is out of range
 * (microseconds >= 1e6, or nanoseconds >= 1e9 in a nanosecond file). Empty for other files.
 */
export function recordsWithInvalidSubsecond(path: string): ReadonlySet<number> {
  let found = invalidTimes.get(path);
  if (found) return found;
  const set = new Set<number>();
  invalidTimes.set(path, set);
  let b: Buffer;
  try {
    b = readFileSync(path);
  } catch {
    return set;
  }
  if (b.length < 24) return set;
  const magics: Record<number, number> = { 0xa1b2c3d4: 1e6, 0xa1b23c4d: 1e9 };
  let little = true;
  let limit = magics[b.readUInt32LE(0)];
  if (limit === undefined) {
    little = false;
    limit = magics[b.readUInt32BE(0)];
  }
  if (limit === undefined) return set;
  const u32 = (at: number) => (little ? b.readUInt32LE(at) : b.readUInt32BE(at));
  for (let at = 24, frame = 1; at + 16 <= b.length; frame++) {
    if (u32(at + 4) >= limit) set.add(frame);
    at += 16 + u32(at + 8);
  }
  return set;
}

/** `···-5-·A····` → `5`: the ACE counter tshark shows in place of the AE/CWR/ECE letters. */
function aceOf(flagsStr: string | undefined): number | undefined {
  const m = flagsStr !== undefined ? /^...-([0-7])-/u.exec(flagsStr) : null;
  return m ? Number(m[1]) : undefined;
}

export const acceptedDifferences: readonly AcceptedDifference[] = [
  {
    id: 'tcp-accecn-ace-counter',
    fields: ['tcp.flags.str', 'tcp.flags.ae', 'tcp.flags.cwr', 'tcp.flags.ece'],
    reason:
      'After a SYN/SYN-ACK pair that negotiated Accurate ECN (draft-ietf-tcpm-accurate-ecn), tshark 4.0 shows the ' +
      'AE/CWR/ECE bits of the rest of the connection as one 3-bit ACE counter (tcp.flags.ace, "···-5-·A····") and ' +
      'drops tcp.flags.ae/cwr/ece. That needs per-connection handshake state, which the TCP header dissector does ' +
      'not keep; wiresage shows the three bits. Accepted only when tshark printed the ACE form and its counter equals ' +
      'wiresage\'s AE/CWR/ECE bits, and every other letter of tcp.flags.str is the same.',
    applies(c) {
      const ace = aceOf(c.row('tcp.flags.str'));
      if (ace === undefined) return false;
      if (c.field !== 'tcp.flags.str') return c.tshark === '' && (c.ours === '0' || c.ours === '1');
      const ours = c.ours;
      if (ours.length !== 12) return false;
      const bits = (ours[3] === 'A' ? 4 : 0) | (ours[4] === 'C' ? 2 : 0) | (ours[5] === 'E' ? 1 : 0);
      return bits === ace && ours.slice(0, 3) + ours.slice(6) === c.tshark.slice(0, 3) + c.tshark.slice(6);
    },
  },
  {
    id: 'invalid-subsecond-timestamp',
    fields: ['frame.time_epoch', 'frame.time_relative', 'frame.time_delta'],
    reason:
      'A classic pcap record whose microsecond (or nanosecond) field is out of range (>= 1 s) is not a valid time. ' +
      'tshark, like tcpdump, keeps the field as it is (it prints "1418145370.1000000000", ten fraction digits, and ' +
      'differences that wrap through 32 bits); wiresage\'s reader carries the excess into the seconds. Accepted ' +
      'only for such records, found by reading the record headers of the file: the record itself (time_epoch), ' +
      'it or the one before (time_delta), it or the first record (time_relative).',
    applies(c) {
      const bad = recordsWithInvalidSubsecond(c.path);
      if (!bad.size) return false;
      if (bad.has(c.frame)) return true;
      if (c.field === 'frame.time_delta') return bad.has(c.frame - 1);
      return c.field === 'frame.time_relative' && bad.has(1);
    },
  },
  {
    id: 'sunatm-pseudo-header-length',
    fields: ['frame.len', 'frame.cap_len'],
    reason:
      'LINKTYPE_SUNATM records start with a 4-byte pseudo-header (flags, VPI, VCI). Wireshark\'s file layer moves it ' +
      'out of the packet data, so tshark\'s frame.len and frame.cap_len are 4 less than the lengths in the record; ' +
      'wiresage (which does not dissect ATM) reports the record\'s own lengths, the bytes it decodes. Accepted only on ATM frames ' +
      '(frame.protocols starts with atm) when ours is exactly tshark\'s + 4.',
    applies: (c) => c.protocols[0] === 'atm' && /^\d+$/.test(c.tshark) && Number(c.ours) === Number(c.tshark) + 4,
  },
];

/**
 * Where wiresage's TCP desegmentation and the stream dissectors it feeds (src/protocols/desegment.ts)
 * differ from tshark 4.0, each with its reason; src/protocols/desegment.test.ts compares everything
 * else field by field and counts these.
 */
export const desegmentationDifferences: ReadonlyArray<{ id: string; reason: string }> = [
  {
    id: 'tns-data-payload',
    reason:
      'tshark hands the TTC payload of TNS DATA packets it does not parse (Return Status…) to the `data` dissector ' +
      '(frame.protocols `…:tns:data`, data.len); wiresage keeps it inside the TNS layer.',
  },
  {
    id: 'tns-split-header',
    reason:
      'tshark 4.0 does not reassemble a TNS packet whose 8-byte header is split across segments: the first part gets ' +
      'an empty `tns` item and the rest is `data`. wiresage reassembles it; the resegmentation tests do not cut TNS headers.',
  },
  {
    id: 'retransmission-fragment-list',
    reason:
      'With retransmitted segments inside or after a PDU, tshark\'s fragment table decides case by case whether the ' +
      'retransmission joins tcp.segment and whether it shows tcp.segment_data (a retransmitted middle segment shows none, ' +
      'a retransmitted last one does). wiresage lists a retransmission inside a PDU after its original and shows no layer ' +
      'for bytes of an already reassembled PDU; the reassembled PDUs (tcp.reassembled.length) are the same.',
  },
  {
    id: 'pipelined-head',
    reason:
      'tshark 4.0 pairs every response to requests pipelined in one segment with the last of them; when that one is a ' +
      'HEAD it reads no body and shows the next response as malformed. wiresage pairs them in order (RFC 9112 §9.3.2).',
  },
  {
    id: 'text-control-characters',
    reason:
      '`-T fields` escapes control characters in text fields (`\\x1c`) where tshark writes the raw byte (http.file_data of a binary body).',
  },
  {
    id: 'out-of-order-on-the-wire',
    reason:
      'Segments out of order inside a long PDU (tcp.analysis.out_of_order): one that falls in a PDU already reassembled ' +
      'shows no application layer and raises tshark\'s `New fragment overlaps old data (retransmission?)` (Malformed, TCP), ' +
      'also after a FIN, with tshark\'s `[Reassembly error, protocol TCP: …]` Info suffix. Out-of-order segments inside a PDU still being gathered follow ' +
      'tshark\'s fragment rules only in part: the lab counts such streams apart.',
  },
  {
    id: 'plain-retransmission-layer',
    reason:
      'A plain retransmission keeps its application layer in frame.protocols (`tcp:resp`) while its Info is TCP\'s, as ' +
      'tshark\'s; tshark shows no application layer (`tcp`), so an item that layer raises (a RESP note on a cut value) is ' +
      'counted by wiresage only.',
  },
  {
    id: 'tns-connect-data-after-connect',
    reason:
      'A CONNECT whose connect data follows in a DATA packet (offset = packet length, as the oracledb thin client sends a ' +
      'descriptor over 230 bytes): tshark 4.0 reads the connect data at the packet end, throws and shows `[Malformed Packet]` ' +
      'with a TNS Malformed error; wiresage does not call it malformed and shows the DATA packet\'s text as connect data.',
  },
  {
    id: 'tcp-reassembled-in',
    reason:
      'tcp.reassembled_in is declared (filters accept it) but never shown: in one pass tshark 4.0 showed it in none of the ' +
      'compared captures (retransmissions of reassembled bytes included).',
  },
];
