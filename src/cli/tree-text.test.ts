/**
 * `wiresage read -V` against `tshark -n -V` on the lower layers: the frame, Ethernet, VLAN, ARP,
 * IPv4, IPv6, ICMP, ICMPv6, TCP (analysis items included) and UDP trees of every frame of the
 * examples and of a sample of the tcpdump corpus must be equal line by line. Application-layer
 * trees are left out (their top-level sections are dropped on both sides). A difference is
 * accepted only when a rule below names it, with the reason; any other fails the test.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { corpusDir, generateCapture, noTshark, repoRoot, tsharkText, wiresage } from '../testing/tshark.js';
import { difference, frames, sectionLines, type Rule } from '../testing/tree-text-diff.js';

const dir = mkdtempSync(join(tmpdir(), 'wiresage-tree-text-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Top-level sections compared: the layers the header dissectors own. */
const lowerSections = [
  /^Frame \d+:/, /^Ethernet II/, /^IEEE 802\.3 Ethernet/, /^802\.1Q Virtual LAN/, /^IEEE 802\.1ad/, /^Address Resolution Protocol/,
  /^Internet Protocol Version [46]/, /^Internet Control Message Protocol/, /^Transmission Control Protocol/, /^User Datagram Protocol/,
  /^\[\d+ Reassembled TCP Segments/,
];

/** Protocol names of the lower layers in `frame.protocols`: the rest is application layers. */
const lowerProtocols = /^(eth|ethertype|vlan|ieee8021ad|arp|ip|ipv6(\..*)?|icmp|icmpv6|tcp|udp|sll|null|raw|_ws\.malformed)$/;

const rules: Rule[] = [
  {
    side: 'either', line: /^ *\[(Frame: \d+, payload: .*|Segment count: \d+|Reassembled TCP length: \d+|Reassembled TCP Data: .*|\d+ Reassembled TCP Segments .*)\]$/,
    reason: 'the reassembled-segments list is built by src/protocols/desegment.ts (not a header dissector; tshark writes payload ranges)',
  },
  {
    side: 'either', line: /^ {4}(Retransmitted )?TCP segment data \(\d+ bytes?\)$/,
    reason: 'segment-data items come from src/protocols/desegment.ts, which keeps a RST\'s payload as segment data and holds fewer PDUs than tshark on lossy traffic',
  },
  {
    side: 'ours', line: /^ {8}(Data: [0-9a-f]+\u2026?|\[Length: \d+\])$/,
    reason: 'tshark -V prints no items under a Data layer nested in an ICMP/ICMPv6 tree (its -T json has data.data and data.len); wiresage prints them (data.ts)',
  },
  { side: 'tshark', line: /^ {4}\[PDU Size: \d+\]$/, reason: 'tcp.pdu.size comes from the application dissectors\' PDU walk (src/protocols)' },
  {
    side: 'tshark', line: /^ {4}\[Timestamps\]$|^ {8}\[Time since (first|previous) frame: [\d.]+ seconds\]$/,
    reason: 'UDP conversation times (udp.time_relative/time_delta) need per-stream state that src/flows/udp-streams.ts does not keep yet',
  },
  {
    side: 'tshark', line: /^ +\[(The RTO for this segment was: [\d.]+ seconds|RTO based on delta from frame: \d+)\]$/,
    reason: 'tcp.analysis.rto is not computed by the flow engine (src/flows/tcp-analysis.ts)',
  },
];

/** The compared part of one frame: its lower-layer sections, in order. */
function lowerLines(frame: string[]): string[] {
  return sectionLines(frame, (line) => lowerSections.some((h) => h.test(line)));
}

/** `[Protocols in frame: eth:ethertype:ip:tcp:tls]` cut to its lower layers. */
function lowerProtocolList(line: string): string | undefined {
  const m = /^ {4}\[Protocols in frame: (.*)\]$/.exec(line);
  if (!m) return undefined;
  const names = m[1].split(':');
  const cut = names.findIndex((n) => !lowerProtocols.test(n));
  return (cut < 0 ? names : names.slice(0, cut)).join(':');
}

interface Tally {
  lines: number;
  differing: number;
  explained: Map<string, number>;
  unexplained: string[];
}

function compare(file: string, tally: Tally): void {
  const run = wiresage(['read', '-V', file], { allowFail: true });
  const ours = frames(run.stdout);
  if (!ours.length) throw new Error(`${file}: wiresage printed no frame (exit ${run.status}): ${run.stderr}`);
  const theirs = frames(tsharkText(['-n', '-V', '-r', file]));
  assert.equal(ours.length, theirs.length, `${file}: frame count`);
  for (let k = 0; k < theirs.length; k++) {
    const a = lowerLines(ours[k]);
    const b = lowerLines(theirs[k]);
    tally.lines += b.length;
    const d = difference(a, b);
    // A protocols line that differs only in application-layer names is not a lower-layer difference.
    const pa = d.ours.map(lowerProtocolList).find((x) => x !== undefined);
    const pb = d.tshark.map(lowerProtocolList).find((x) => x !== undefined);
    const sameLower = pa !== undefined && pa === pb;
    for (const [side, lines] of [['ours', d.ours], ['tshark', d.tshark]] as const) {
      for (const line of lines) {
        tally.differing++;
        if (sameLower && lowerProtocolList(line) !== undefined) {
          tally.explained.set('application-layer names in frame.protocols', (tally.explained.get('application-layer names in frame.protocols') ?? 0) + 1);
          continue;
        }
        const rule = rules.find((r) => (r.side === 'either' || r.side === side) && r.line.test(line));
        if (rule) tally.explained.set(rule.reason, (tally.explained.get(rule.reason) ?? 0) + 1);
        else tally.unexplained.push(`${file.split('/').pop()} frame ${k + 1} (${side === 'ours' ? 'only wiresage' : 'only tshark'}): ${line}`);
      }
    }
  }
}

/**
 * Corpus captures over Ethernet, Linux cooked and raw IP links (link layers whose trees are
 * compared here), chosen for what they exercise: VLAN/Q-in-Q, ARP, padding and trailers, IPv4
 * options and bad lengths, IPv6 extension headers and jumbograms, ICMP/ICMPv6, TCP options,
 * flags and analysis, UDP.
 */
const corpusSample = [
  '802.1ad_QinQ.pcap', 'arp-too-long-tha.pcap', 'bigtcp-ipv4.pcap', 'dns_tcp.pcap', 'dns_udp.pcap', 'dns_udp_2.pcap',
  'gso-ipv4.pcap', 'gso-ipv6.pcap', 'icmpv6-ns-nonce.pcap', 'ip6_frag_asan.pcap', 'ipv6-srh-tlv-hmac.pcap',
  'ipv6_no_next_header.pcap', 'tcp_eight_lowest_weight_flags_set.pcap', 'tcp_header_heapoverflow.pcap',
  'udp-length-heapoverflow.pcap', 'tcp-handshake-nano.pcap', 'ipv4_tcp_http_xml.pcap', 'ipv4_tcp_http_xml_tso.pcap',
  'tcp_rst_data.pcap', 'tcp_rst_data-trunc.pcap', 'LINKTYPE_RAW_ipv4.pcap', 'LINKTYPE_RAW_ipv6.pcap', 'LINKTYPE_IPV4.pcap',
  'LINKTYPE_IPV6.pcap', 'icmpv6-rfc7112.pcap', 'aarp-heapoverflow-1.pcap', 'ipv6_jumbogram_1.pcap',
  'ipv4_invalid_hdr_length.pcap', 'ipv4_invalid_length.pcap', 'ipv4_invalid_total_length.pcap', 'IGMP_V2.pcap',
  'syslog_udp.pcap', 'gso-ipv4-vxlan-ipv4.pcap', 'dns_udp_8053.pcap', 'ipv6-srh-ext-header.pcap',
];

test('read -V equals tshark -n -V on the frame, eth, vlan, arp, ip, ipv6, icmp, icmpv6, tcp and udp trees', { skip: noTshark, timeout: 600_000 }, () => {
  const files = [
    ...['seed-case-a-forged-rst-after-failed-logins.pcap', 'seed-case-b-tns-redirect-blocked.pcap', 'web-and-dns.pcap'].map((f) => join(repoRoot, 'examples', f)),
    // Generated TCP/UDP traffic with loss, reordering, retransmissions, duplicate ACKs and SACK.
    generateCapture(join(dir, 'stress.pcap'), 4000, 4, ['--stress', '4']),
    ...corpusSample.map((f) => join(corpusDir, f)).filter((f) => existsSync(f)),
  ];
  assert.ok(files.length > 30, 'corpus sample missing');
  const tally: Tally = { lines: 0, differing: 0, explained: new Map(), unexplained: [] };
  for (const f of files) compare(f, tally);
  const explained = [...tally.explained].map(([reason, n]) => `  ${n} lines: ${reason}`).join('\n');
  console.log(`${files.length} captures, ${tally.lines} tshark lines in the lower layers, ${tally.differing} differing lines, all but ${tally.unexplained.length} explained:\n${explained}`);
  assert.ok(tally.lines > 400_000, 'too little compared');
  // Unexplained lines by shape (numbers masked), most frequent first, then the first ones as they are.
  const shapes = new Map<string, number>();
  for (const u of tally.unexplained) {
    const shape = u.replace(/^\S+ frame \d+ /, '').replace(/0x[0-9a-f]+|[0-9a-f]{2}(:[0-9a-f]{2}){5}|\d+/g, 'N').slice(0, 160);
    shapes.set(shape, (shapes.get(shape) ?? 0) + 1);
  }
  const byShape = [...shapes].sort((a, b) => b[1] - a[1]).slice(0, 60).map(([s, n]) => `${n} ${s}`);
  assert.deepEqual(tally.unexplained.map((u) => u.slice(0, 200)).slice(0, 30), [], `${tally.unexplained.length} unexplained differences:\n${byShape.join('\n')}`);
});
