/**
 * A capture made for the filter tests: frames that exercise what the generated and sample
 * captures lack — IP in IP (`ip.src#2`, `count(ip) == 2`), 802.1ad Q-in-Q (`vlan.id#2`), an
 * ICMP error quoting IP/UDP, a frame cut by the snaplen (`_ws.short`), an IPv4 header lying
 * about its length (`_ws.malformed`), ARP, IPv6 with a hop-by-hop header, ICMPv6, non-ASCII
 * payload bytes, a TCP handshake with options and an HTTP request.
 *
 * @example
 * writeCraftedCapture('/tmp/crafted.pcap'); // then compare `tshark -Y` and wiresage on it
 */
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { corpusDir, generateCapture, repoRoot } from '../testing/tshark.js';

const mac = (s: string) => s.split(':').map((h) => parseInt(h, 16));
const ip4 = (s: string) => s.split('.').map(Number);
const u16 = (n: number) => [n >> 8, n & 255];
const u32 = (n: number) => [(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];
const ascii = (s: string) => [...Buffer.from(s, 'utf8')];

function ip6(s: string): number[] {
  const [head, tail = ''] = s.split('::');
  const parts = (x: string) => (x ? x.split(':') : []);
  const h = parts(head);
  const t = parts(tail);
  const groups = [...h, ...new Array<string>(8 - h.length - t.length).fill('0'), ...t];
  return groups.flatMap((g) => u16(parseInt(g, 16)));
}

function checksum(bytes: number[]): number {
  let sum = 0;
  for (let i = 0; i < bytes.length; i += 2) sum += (bytes[i] << 8) | (bytes[i + 1] ?? 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

function ether(dst: string, src: string, type: number, payload: number[]): number[] {
  return [...mac(dst), ...mac(src), ...u16(type), ...payload];
}

function ipv4(src: string, dst: string, proto: number, payload: number[], opts: { ttl?: number; id?: number; totalLength?: number; df?: boolean } = {}): number[] {
  const total = opts.totalLength ?? 20 + payload.length;
  const h = [0x45, 0, ...u16(total), ...u16(opts.id ?? 0x1234), opts.df ? 0x40 : 0, 0, opts.ttl ?? 64, proto, 0, 0, ...ip4(src), ...ip4(dst)];
  const c = checksum(h);
  h[10] = c >> 8;
  h[11] = c & 255;
  return [...h, ...payload];
}

function ipv6(src: string, dst: string, next: number, payload: number[], hlim = 64): number[] {
  return [0x60, 0, 0, 0, ...u16(payload.length), next, hlim, ...ip6(src), ...ip6(dst), ...payload];
}

function tcp(sport: number, dport: number, seq: number, ack: number, flags: number, payload: number[] = [], options: number[] = []): number[] {
  const hl = 20 + options.length;
  return [...u16(sport), ...u16(dport), ...u32(seq), ...u32(ack), (hl / 4) << 4, flags, ...u16(64240), 0, 0, 0, 0, ...options, ...payload];
}

function udp(sport: number, dport: number, payload: number[]): number[] {
  return [...u16(sport), ...u16(dport), ...u16(8 + payload.length), 0, 0, ...payload];
}

const A = '02:00:00:00:00:0a';
const B = '02:00:00:00:00:0b';
const SYN = 0x02;
const ACK = 0x10;
const PSH = 0x08;
const RST = 0x04;
const synOptions = [2, 4, ...u16(1460), 1, 3, 3, 7, 4, 2, 8, 10, ...u32(1000), ...u32(0)];

/** The frames, each with its original length when cut by the snaplen. */
function frames(): Array<{ data: number[]; origLen?: number }> {
  const http = ascii('GET /index.html HTTP/1.1\r\nHost: example.com\r\nUser-Agent: wiresage-test\r\n\r\n');
  const out: Array<{ data: number[]; origLen?: number }> = [];
  out.push({ data: ether(B, A, 0x0800, ipv4('10.0.0.1', '10.0.0.2', 6, tcp(40000, 80, 100, 0, SYN, [], synOptions), { df: true })) });
  out.push({ data: ether(A, B, 0x0800, ipv4('10.0.0.2', '10.0.0.1', 6, tcp(80, 40000, 500, 101, SYN | ACK, [], synOptions), { df: true, ttl: 128 })) });
  out.push({ data: ether(B, A, 0x0800, ipv4('10.0.0.1', '10.0.0.2', 6, tcp(40000, 80, 101, 501, ACK | PSH, http), { df: true })) });
  out.push({ data: ether(A, B, 0x0800, ipv4('10.0.0.2', '10.0.0.1', 6, tcp(80, 40000, 501, 101 + http.length, RST | ACK), { ttl: 128 })) });
  // IP in IP: the inner datagram is DNS-port UDP.
  const inner = ipv4('10.1.1.1', '10.1.1.2', 17, udp(5353, 53, ascii('\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x07example\x03com\x00\x00\x01\x00\x01')), { ttl: 5 });
  out.push({ data: ether(B, A, 0x0800, ipv4('192.168.1.1', '192.168.1.2', 4, inner)) });
  // 802.1ad outer tag 100, 802.1Q inner tag 200, then IPv4/UDP.
  const qinq = [...u16(100), ...u16(0x8100), ...u16((3 << 13) | 200), ...u16(0x0800), ...ipv4('172.16.0.1', '172.16.0.2', 17, udp(1234, 5678, ascii('qinq payload')))];
  out.push({ data: ether('ff:ff:ff:ff:ff:ff', A, 0x88a8, qinq) });
  // ICMP port unreachable quoting the IP/UDP header it answers.
  const quoted = ipv4('10.0.0.1', '8.8.8.8', 17, udp(33434, 33435, []), { ttl: 1 }).slice(0, 28);
  const icmp = [3, 3, 0, 0, 0, 0, 0, 0, ...quoted];
  const ic = checksum(icmp);
  icmp[2] = ic >> 8;
  icmp[3] = ic & 255;
  out.push({ data: ether(B, A, 0x0800, ipv4('10.0.0.254', '10.0.0.1', 1, icmp)) });
  // Cut by the snaplen: 60 of 1514 bytes captured.
  const big = ether(B, A, 0x0800, ipv4('10.0.0.1', '10.0.0.2', 6, tcp(40000, 443, 1000, 2000, ACK, new Array(1460).fill(0x17))));
  out.push({ data: big.slice(0, 60), origLen: big.length });
  // An IPv4 header claiming 400 bytes in a 60-byte frame.
  out.push({ data: ether(B, A, 0x0800, ipv4('10.0.0.9', '10.0.0.2', 17, udp(9, 9, ascii('short')), { totalLength: 400 })) });
  // ARP request.
  out.push({ data: ether('ff:ff:ff:ff:ff:ff', A, 0x0806, [0, 1, 8, 0, 6, 4, 0, 1, ...mac(A), ...ip4('10.0.0.1'), 0, 0, 0, 0, 0, 0, ...ip4('10.0.0.2')]) });
  // IPv6 with a hop-by-hop header (router alert) carrying UDP.
  const hbh = [17, 0, 5, 2, 0, 0, 1, 0];
  out.push({ data: ether('33:33:00:00:00:01', A, 0x86dd, ipv6('fe80::1', 'ff02::1', 0, [...hbh, ...udp(546, 547, ascii('dhcpv6'))], 1)) });
  // ICMPv6 echo request.
  out.push({ data: ether(B, A, 0x86dd, ipv6('2001:db8::1', '2001:db8::2', 58, [128, 0, 0, 0, 0, 1, 0, 1, ...ascii('ping')])) });
  // Non-ASCII payload and a single VLAN tag, to port 443 with TLS-like bytes.
  const tls = [0x16, 0x03, 0x01, 0x00, 0x05, ...ascii('café!')];
  out.push({ data: ether(B, A, 0x8100, [...u16(42), ...u16(0x0800), ...ipv4('10.0.0.1', '10.0.0.3', 6, tcp(40001, 443, 7, 9, ACK | PSH, tls))]) });
  // Unknown ethertype: the payload is data.
  out.push({ data: ether('ff:ff:ff:ff:ff:ff', B, 0x88b5, ascii('local experimental ethertype payload..')) });
  // Cut by the snaplen inside the TCP header: "Packet size limited during capture".
  const cut = ether(B, A, 0x0800, ipv4('10.0.0.1', '10.0.0.2', 6, tcp(40002, 22, 1, 1, ACK, ascii('SSH-2.0-test\r\n'))));
  out.push({ data: cut.slice(0, 44), origLen: cut.length });
  return out;
}

/** Writes the crafted frames as a classic pcap (Ethernet, microsecond timestamps). */
export function writeCraftedCapture(path: string): string {
  const parts: Buffer[] = [];
  const header = Buffer.alloc(24);
  header.writeUInt32LE(0xa1b2c3d4, 0);
  header.writeUInt16LE(2, 4);
  header.writeUInt16LE(4, 6);
  header.writeUInt32LE(65535, 16);
  header.writeUInt32LE(1, 20);
  parts.push(header);
  frames().forEach((f, i) => {
    const data = Buffer.from(f.data.length < 60 && f.origLen === undefined ? [...f.data, ...new Array(60 - f.data.length).fill(0)] : f.data);
    const rec = Buffer.alloc(16);
    rec.writeUInt32LE(1710234000 + i, 0);
    rec.writeUInt32LE(i * 1000, 4);
    rec.writeUInt32LE(data.length, 8);
    rec.writeUInt32LE(f.origLen ?? data.length, 12);
    parts.push(rec, data);
  });
  writeFileSync(path, Buffer.concat(parts));
  return path;
}

/** tcpdump corpus files the filter tests merge into one capture: QinQ, ARP, IPv6, ICMP/ICMPv6, DNS, HTTP, SLL, MPLS, truncations. */
const corpusFiles = [
  '802.1ad_QinQ.pcap', 'LINKTYPE_IPV6.pcap', 'arp-too-long-tha.pcap', 'dns_tcp.pcap', 'dns_udp.pcap', 'icmp-rfc5837.pcap', 'icmpv6.pcap',
  'icmpv6-ns-nonce.pcap', 'ipv4_tcp_http_xml.pcap', 'ipv4_tcp_http_xml_tso.pcap', 'mpls-traceroute.pcap', 'mptcp-v1.pcap', 'ntp.pcap',
  'esp_truncated.pcap', 'heapoverflow-tcp_print.pcap', 'icmp-cksum-oobr-1.pcap', 'ip6_frag_asan.pcap', 'quic_handshake_truncated.pcap',
  'babel.pcap', 'bgp-4byte-asn.pcap', 'afs.pcap', 'mpls-over-udp.pcap',
];

/**
 * The captures the filter tests run over, made in `dir`: the sample capture, the crafted one,
 * generated ones (normal, `generated` packets, and with `--stress`) and a merge of tcpdump
 * corpus files (left out when the corpus or mergecap is missing).
 */
export function filterTestCaptures(dir: string, generated = 6000): Array<{ label: string; file: string }> {
  const captures = [
    { label: 'examples/web-and-dns.pcap', file: join(repoRoot, 'examples/web-and-dns.pcap') },
    { label: 'crafted (_fixtures.ts)', file: writeCraftedCapture(join(dir, 'crafted.pcap')) },
    { label: 'generated seed 7', file: generateCapture(join(dir, 'gen.pcap'), generated, 7) },
    { label: 'generated seed 3 --stress 5', file: generateCapture(join(dir, 'stress.pcap'), 4000, 3, ['--stress', '5']) },
  ];
  const files = corpusFiles.map((f) => join(corpusDir, f)).filter((f) => existsSync(f));
  const merged = join(dir, 'corpus.pcapng');
  if (files.length && spawnSync('mergecap', ['-a', '-F', 'pcapng', '-w', merged, ...files], { stdio: 'ignore' }).status === 0) {
    captures.push({ label: `tcpdump corpus (${files.length} files merged)`, file: merged });
  }
  return captures;
}
