/**
 * Where the differential suite does not demand byte-for-byte agreement with tshark 4.0, and
 * why. Two kinds, both narrow and both counted in the suite's report (never skipped silently):
 *
 * 1. **Restriction** (`comparable`): fields of a protocol that tshark found *inside* an
 *    encapsulation wiresage does not dissect (MPLS, GRE, PPP, 802.11, VXLAN, ICMP-quoted
 *    headers while ICMP is missing…). Such values cannot exist in wiresage's output.
 * 2. **Accepted differences** (`acceptedDifferences`): a field and a condition under which
 *    tshark's text is a tshark quirk that wiresage deliberately does not copy.
 */

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
 * of wiresage's `ipv6` layer (hop-by-hop, routing, fragment and destination options).
 */
export const decodedWithin: Readonly<Record<string, string>> = {
  'ipv6.hopopts': 'ipv6', 'ipv6.routing': 'ipv6', 'ipv6.fraghdr': 'ipv6', 'ipv6.dstopts': 'ipv6',
};

/**
 * Whether `field` can be compared on a packet whose tshark protocol chain is `protocols`.
 *
 * The chain is cut at the first protocol that is neither dissected by wiresage (a protocol in
 * its registry, or decoded within one: `decodedWithin`) nor transparent. A field is compared unless its protocol occurs at or after
 * the cut — then the answer is the name of the protocol at the cut (the encapsulation that
 * hides it), which the report counts. `frame.*` is always compared. A protocol occurring both
 * before and after the cut (IP in GRE in IP) is left out entirely for that packet: tshark's
 * `-T fields` list mixes the outer and inner values and cannot be split per layer.
 *
 * @example
 * comparable('ip.src', ['eth', 'ethertype', 'mpls', 'ip', 'tcp'], new Set(['eth', 'ip', 'tcp'])); // 'mpls'
 * comparable('eth.src', ['eth', 'ethertype', 'mpls', 'ip', 'tcp'], new Set(['eth', 'ip', 'tcp'])); // true
 */
export function comparable(field: string, protocols: readonly string[], dissected: ReadonlySet<string>): true | string {
  const dot = field.indexOf('.');
  const proto = dot < 0 ? field : field.slice(0, dot);
  if (proto === 'frame') return true;
  const layers = addedBy[field];
  let cut = -1;
  for (let i = 0; i < protocols.length; i++) {
    const p = protocols[i];
    if (!dissected.has(p) && !transparentProtocols.has(p) && !dissected.has(decodedWithin[p] ?? '')) {
      cut = i;
      break;
    }
  }
  if (cut < 0) return true;
  for (let i = cut; i < protocols.length; i++) {
    if (protocols[i] === proto || layers?.includes(protocols[i])) return protocols[cut];
  }
  return true;
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
