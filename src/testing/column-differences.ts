/**
 * Where wiresage's packet-list columns (`_ws.col.Protocol`, `_ws.col.Info`) are known to differ
 * from tshark 4.0's, and why. Each entry names the protocol (tshark's Protocol column) and a test
 * on the frame; the column tests count such frames as explained, report them apart, and fail on
 * any other difference. Keep the tests narrow: a difference they do not describe is a bug.
 */
import { MASK } from '../protocols/_pdu.js';
import type { ColumnRow } from './column-compare.js';

export interface ColumnDifference {
  /** tshark's Protocol column of the frames concerned. */
  protocol: string;
  /** True for a frame this entry explains. */
  test: (r: ColumnRow) => boolean;
  reason: string;
}

const info = (r: ColumnRow) => r.tshark[1];
const ours = (r: ColumnRow) => r.ours[1];
/** Both texts equal once the exception marks tshark appends are taken off. */
const sameButMarks = (r: ColumnRow) => r.tshark[0] === r.ours[0] && strip(info(r)) === strip(ours(r));
function strip(s: string): string {
  return s.replace(/\[(Malformed Packet|Packet size limited during capture)\]/g, '');
}

/**
 * True when wiresage's Info differs from tshark's only by passwords it masks: its text, each
 * `********` standing for any text, is tshark's.
 */
export function secretMasked(r: ColumnRow): boolean {
  if (r.tshark[0] !== r.ours[0] || !ours(r).includes(MASK)) return false;
  const pattern = ours(r).split(MASK).map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*');
  return new RegExp(`^${pattern}$`, 's').test(info(r));
}

export const columnDifferences: readonly ColumnDifference[] = [
  {
    protocol: '*',
    test: sameButMarks,
    reason:
      "Where tshark's dissection stops with an exception (`[Malformed Packet]`, `[Packet size limited during capture]`) " +
      'depends on how far each of its dissectors reads; wiresage marks damage where its own decode finds it (a length ' +
      'field that lies, a header cut short), which for fuzzed corpus files is sometimes a layer earlier or later. The ' +
      'text before the mark is the same.',
  },
  {
    protocol: 'TCP',
    test: (r) => /\[ACK, ACE=\d\]| EE0B=/.test(info(r)),
    reason: 'Accurate ECN (draft-ietf-tcpm-accurate-ecn): tshark 4.0 shows the ACE counter and the AccECN option; wiresage shows the AE/CWR/ECE flags and no AccECN option text.',
  },
  {
    protocol: 'TCP',
    test: (r) => /TCP AO|\[Illegal Segments\]/.test(info(r)),
    reason: 'tshark 4.0 quirks on fuzzed segments (a TCP-AO option named in the middle of Info, an illegal-segment reassembly error); wiresage writes the plain TCP text.',
  },
  {
    protocol: 'TCP',
    test: (r) => info(r).endsWith('[TCP segment of a reassembled PDU]') && !r.protocols.some((p) => ['http', 'tls', 'dns', 'tns', 'mysql', 'pgsql'].includes(p)) && !/ (HTTP|TLS)/.test(info(r)),
    reason:
      'Segments of a PDU of a protocol wiresage does not dissect (OpenFlow, NFS/RPC, WHOIS, RESP held by its own rules): ' +
      'tshark reassembles them and remarks the segment; wiresage has no dissector to ask for more bytes.',
  },
  {
    protocol: 'ICMP',
    test: (r) => info(r).startsWith('[Malformed Packet]') && strip(ours(r)) === 'Unknown ICMP (obsolete or malformed?)',
    reason: 'A fuzzed ICMP header of an unknown type: tshark fails before writing the type, wiresage names it unknown.',
  },
  {
    protocol: '*',
    test: (r) => /^PPP Unknown \(0x7e/.test(info(r)) || (info(r) === 'PPP Unknown (0x3030)' && r.protocols[0] === 'ppp'),
    reason:
      "PPP in HDLC-like framing (link type 50) whose frames keep the 0x7E flag byte: tshark reads the flag as part of the " +
      'protocol number, wiresage skips to the address/control bytes, so the two name different protocol numbers.',
  },
  {
    protocol: 'RESP',
    test: (r) => secretMasked(r),
    reason: "AUTH and HELLO … AUTH arguments: tshark prints the password in Info (`Request: AUTH secret`); wiresage masks it (`AUTH ********`), as in its tree.",
  },
  {
    protocol: 'UDP',
    test: (r) => /^OLSR Packet|\[Jumbogram\]/.test(info(r)),
    reason: 'A dissector wiresage does not have writes here (OLSR on port 698 despite a bad UDP length; a UDP jumbogram over IPv4 that tshark 4.0 accepts).',
  },
  {
    protocol: 'ARP',
    test: (r) => info(r).includes('(duplicate use of') !== ours(r).includes('(duplicate use of'),
    reason:
      "tshark's duplicate-address detection also expires entries by time and checks other address pairs; wiresage " +
      'remembers the first MAC seen per IPv4 sender (and a reply\'s target), which differs on the fuzzed arp-oobr capture.',
  },
  {
    protocol: 'DNS',
    test: (r) => /<Name too long>| Unused/.test(info(r)) || !r.protocols.includes('dns') || r.ours[0] === 'UDP',
    reason:
      'DNS on ports wiresage does not assign to DNS (8053, SOME/IP test data tshark reads as DNS by heuristics), and names ' +
      'tshark shows as `<Name too long>` where wiresage stops at the first bad name.',
  },
  {
    protocol: 'IPv6',
    test: (r) => /^(TCP|UDP)$/.test(r.ours[0]) || /^Invalid IPv6|hop-by-hop|routing|^\[Malformed/.test(info(r)) || /fragment|Unknown IP Protocol/.test(ours(r)),
    reason:
      "IPv6 headers damaged on purpose (BIG TCP jumbograms without the option, cut extension headers): tshark's IPv6 " +
      'dissector rejects them at another point than wiresage, which goes on to the transport layer or names another header.',
  },
  {
    protocol: 'IPv4',
    test: (r) => info(r) === '[Packet size limited during capture]',
    reason: 'A fuzzed header tshark stops reading before its fragment fields; wiresage reads the whole fixed header and names the fragment.',
  },
  {
    protocol: 'PIMv2',
    test: sameButMarks,
    reason: 'Fuzzed PIM Hello options that tshark reads past the packet; wiresage dissects only the PIM header.',
  },
  {
    protocol: 'UNKNOWN',
    test: () => true,
    reason: 'SLIP captures (link type 8): wiresage has no SLIP dissector; tshark names the encapsulation `WTAP_ENCAP = 3`.',
  },
  {
    protocol: 'N/A',
    test: () => true,
    reason: "A link type neither tool dissects: tshark's Protocol column says `N/A` and Info `Raw packet data`; wiresage leaves both empty.",
  },
  {
    protocol: 'SSLv2',
    test: () => true,
    reason: 'SSLv2 records (NFS on port 993 read as TLS by port): wiresage dissects TLS records only.',
  },
  {
    protocol: 'PGM',
    test: () => true,
    reason: 'tshark dissects PGM (IP protocol 113) headers that wiresage leaves as data (its Info then names the protocol number).',
  },
  {
    protocol: 'ISAKMP',
    test: () => true,
    reason: 'ISAKMP on UDP 500 (not dissected by wiresage).',
  },
  {
    protocol: 'CHDLC',
    test: (r) => info(r) === '[Packet size limited during capture]',
    reason: "Cisco HDLC frames shorter than tshark's SLARP/CDP reads: wiresage decodes their header only and finds nothing cut.",
  },
  {
    protocol: '0x86dd',
    test: () => true,
    reason: 'An IPv6 header with version 0: tshark leaves it to the ethertype table (Protocol `0x86dd`, Info `IPv6`); wiresage names the bogus version.',
  },
  {
    protocol: '0x88e5',
    test: () => true,
    reason: 'MACsec behind a SNAP header: tshark 4.0 names it by ethertype; wiresage dissects the SecTAG.',
  },
  {
    protocol: '0xfafe',
    test: () => true,
    reason: 'A Cisco HDLC frame with an unknown protocol: tshark names the number, wiresage keeps `CHDLC`.',
  },
];

/** The entry explaining a differing frame, if any. */
export function columnDifference(r: ColumnRow): ColumnDifference | undefined {
  return columnDifferences.find((d) => (d.protocol === '*' || d.protocol === r.tshark[0]) && d.test(r));
}
