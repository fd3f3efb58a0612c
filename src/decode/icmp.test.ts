import assert from 'node:assert/strict';
import { test } from 'node:test';
import { allFields } from '../fields/field.js';
import { noTshark } from '../testing/tshark.js';
import {
  compareWithTshark, corpusFrames, cutsOf, decodeFields, decodeOne, describe, endOfHeaders, everyCut, fromDump, layerNames,
  lowerMalformed, mutate, type Frame,
} from './_dissector-tests.js';
import './protocols.js';

/**
 * Every ICMP field with a value, except the echo timestamp: tshark pads its day with a space
 * ("Nov  4"), a text detail of the shared absolute-time format (tested here by value instead).
 */
const ICMP_FIELDS = allFields()
  .filter((f) => f.protocol === 'icmp' && f.type !== 'none' && f.type !== 'protocol' && f.name !== 'icmp.data_time')
  .map((f) => f.name);
/** Outer and quoted layers: tshark lists the outer value first, then the quoted one. */
const NESTING = ['ip.src', 'ip.dst', 'ip.proto', 'ip.len', 'ip.ttl', 'udp.srcport', 'udp.dstport', 'udp.length', 'tcp.srcport', 'tcp.dstport', 'data.len'];

/* 192.168.1.10 > 192.168.1.1: ICMP echo request, id 7982, seq 3, length 56 (Linux ping: little-endian timeval first) */
const echo: Frame = {
  linkType: 1,
  tsSec: 1700000000,
  data: fromDump(`
	0x0000:  5254 00ab cdef 5254 0012 3456 0800 4500  RT....RT..4V..E.
	0x0010:  004c 04d2 4000 4001 b283 c0a8 010a c0a8  .L..@.@.........
	0x0020:  0101 0800 cdd4 1f2e 0003 64f1 5365 90d0  ..........d.Se..
	0x0030:  0300 1011 1213 1415 1617 1819 1a1b 1c1d  ................
	0x0040:  1e1f 2021 2223 2425 2627 2829 2a2b 2c2d  ...!"#$%&'()*+,-
	0x0050:  2e2f 3031 3233 3435 3637                 ./01234567
`),
};

/*
 * 10.9.8.7 > 192.168.1.10: ICMP 10.9.8.7 udp port 53 unreachable, length 65
 *   IP 192.168.1.10.53000 > 10.9.8.7.53: 43981+ A? example.com. (29)
 */
const portUnreachable: Frame = {
  linkType: 1,
  data: fromDump(`
	0x0000:  5254 0012 3456 5254 00ab cdef 0800 4500  RT..4VRT......E.
	0x0010:  0055 2222 0000 3c01 88c4 0a09 0807 c0a8  .U""..<.........
	0x0020:  010a 0303 b25e 0000 0000 4500 0039 1111  .....^....E..9..
	0x0030:  0000 4011 95e1 c0a8 010a 0a09 0807 cf08  ..@.............
	0x0040:  0035 0025 0000 abcd 0100 0001 0000 0000  .5.%............
	0x0050:  0000 0765 7861 6d70 6c65 0363 6f6d 0000  ...example.com..
	0x0060:  0100 01                                  ...
`),
};

/*
 * 198.51.100.1 > 192.168.1.10: ICMP 203.0.113.5 unreachable - need to frag (mtu 1400), length 36
 *   IP 192.168.1.10.41000 > 203.0.113.5.443: [|tcp]  (the 8 bytes RFC 792 asks for)
 */
const fragmentationNeeded: Frame = {
  linkType: 1,
  data: fromDump(`
	0x0000:  5254 0012 3456 5254 00ab cdef 0800 4500  RT..4VRT......E.
	0x0010:  0038 0001 0000 fe01 d0dc c633 6401 c0a8  .8.........3d...
	0x0020:  010a 0304 519a 0000 0578 4500 05a0 3333  ....Q....xE...33
	0x0030:  4000 4006 046d c0a8 010a cb00 7105 a028  @.@..m......q..(
	0x0040:  01bb 0102 0304                           ......
`),
};

/*
 * 198.51.100.2 > 192.168.1.10: ICMP time exceeded in-transit, length 148 (RFC 4884 length 32 words)
 *   IP 192.168.1.10.33434 > 203.0.113.9.33435: UDP, length 32
 *   ICMP Multi-Part extension v2, checksum 0xca0d (correct): MPLS label 16001, tc 0, [S], ttl 1
 */
const timeExceededMpls: Frame = {
  linkType: 1,
  data: fromDump(`
	0x0000:  5254 0012 3456 5254 00ab cdef 0800 4500  RT..4VRT......E.
	0x0010:  00a8 0001 0000 fd01 d16b c633 6402 c0a8  .........k.3d...
	0x0020:  010a 0b00 ef81 0020 0000 4500 003c 4444  ..........E..<DD
	0x0030:  0000 0111 77b1 c0a8 010a cb00 7109 829a  ....w.......q...
	0x0040:  829b 0028 0000 0000 0000 0000 0000 0000  ...(............
	0x0050:  0000 0000 0000 0000 0000 0000 0000 0000  ................
	0x0060:  0000 0000 0000 0000 0000 0000 0000 0000  ................
	0x0070:  0000 0000 0000 0000 0000 0000 0000 0000  ................
	0x0080:  0000 0000 0000 0000 0000 0000 0000 0000  ................
	0x0090:  0000 0000 0000 0000 0000 0000 0000 0000  ................
	0x00a0:  0000 0000 0000 0000 0000 2000 ca0d 0008  ................
	0x00b0:  0101 03e8 1101                           ......
`),
};

/* 192.168.1.1 > 192.168.1.10: ICMP redirect 203.0.113.5 to host 192.168.1.2, length 36 */
const redirect: Frame = {
  linkType: 1,
  data: fromDump(`
	0x0000:  5254 0012 3456 5254 00ab cdef 0800 4500  RT..4VRT......E.
	0x0010:  0038 0001 0000 4001 f768 c0a8 0101 c0a8  .8....@..h......
	0x0020:  010a 0501 936a c0a8 0102 4500 05a0 3333  .....j....E...33
	0x0030:  4000 4006 046d c0a8 010a cb00 7105 a028  @.@..m......q..(
	0x0040:  01bb 0102 0304                           ......
`),
};

const FIXTURES = [echo, portUnreachable, fragmentationNeeded, timeExceededMpls, redirect];

test('echo request: identifier and sequence both ways, the data timestamp, data after it', () => {
  const names = ['icmp.type', 'icmp.code', 'icmp.checksum', 'icmp.checksum.status', 'icmp.ident', 'icmp.ident_le', 'icmp.seq', 'icmp.seq_le', 'icmp.data_time_relative', 'data.len'];
  const [v] = decodeFields([echo], names);
  assert.deepEqual(v, [['8'], ['0'], ['0xcdd4'], ['1'], ['7982'], ['11807'], ['3'], ['768'], ['-100.250000000'], ['40']]);
  const p = decodeOne(echo);
  assert.deepEqual(layerNames(p), ['eth', 'ip', 'icmp', 'data']);
  // The data is a child of ICMP in the tree, as in Wireshark.
  assert.equal(p.parent[4], 3);
  const bad = { ...echo, data: echo.data.slice() };
  bad.data[0x24] ^= 0xff;
  assert.deepEqual(decodeFields([bad], ['icmp.checksum.status'])[0], [['0']]);
});

test('an error quotes the offending datagram: outer then inner values, children of ICMP', () => {
  const [v] = decodeFields([portUnreachable], [...NESTING, 'icmp.type', 'icmp.code', 'icmp.unused', 'icmp.checksum.status']);
  assert.deepEqual(v.slice(0, 8), [['10.9.8.7', '192.168.1.10'], ['192.168.1.10', '10.9.8.7'], ['1', '17'], ['85', '57'], ['60', '64'], ['53000'], ['53'], ['37']]);
  assert.deepEqual(v.slice(-4), [['3'], ['3'], ['00000000'], ['1']]);
  const p = decodeOne(portUnreachable);
  assert.deepEqual(layerNames(p).slice(0, 5), ['eth', 'ip', 'icmp', 'ip', 'udp']);
  assert.equal(p.parent[4], 3);
  assert.equal(p.parent[5], 3);
  // The quoted headers belong to no flow: the packet's network layer is the outer IP.
  assert.equal(p.netLayer, 2);
  assert.equal(p.transportLayer, -1);
  assert.equal(p.malformed, null);
});

test('fragmentation needed: next-hop MTU; 8 quoted TCP bytes are not damage', () => {
  const [v] = decodeFields([fragmentationNeeded], ['icmp.code', 'icmp.unused', 'icmp.mtu', 'ip.len', 'tcp.srcport', 'tcp.dstport', 'tcp.seq_raw', 'tcp.len']);
  // Quoted in an ICMPv4 error tshark shows the raw sequence number as tcp.seq, no tcp.seq_raw or tcp.len.
  assert.deepEqual(v, [['4'], ['0000'], ['1400'], ['56', '1440'], ['41000'], ['443'], [], []]);
  const p = decodeOne(fragmentationNeeded);
  assert.equal(p.malformed, null);
  assert.equal(p.truncated, false);
});

test('RFC 4884 length and MPLS label stack extension of a time exceeded', () => {
  const names = ['icmp.unused', 'icmp.length', 'icmp.length.original_datagram', 'udp.length', 'icmp.ext.version', 'icmp.ext.checksum.status', 'icmp.ext.length', 'icmp.ext.class', 'icmp.ext.ctype', 'icmp.mpls.label', 'icmp.mpls.exp', 'icmp.mpls.s', 'icmp.mpls.ttl'];
  const [v] = decodeFields([timeExceededMpls], names);
  assert.deepEqual(v, [['00', '0000'], ['32'], ['128'], ['40'], ['2'], ['1'], ['8'], ['1'], ['1'], ['16001'], ['0'], ['1'], ['1']]);
});

test('redirect: gateway; the quote is limited to the IP header and 8 bytes', () => {
  const [v] = decodeFields([redirect], ['icmp.redir_gw', 'ip.src', 'tcp.srcport']);
  assert.deepEqual(v, [['192.168.1.2'], ['192.168.1.1', '192.168.1.10'], ['41000']]);
});

test('messages shorter than 6 bytes show no field; a cut header is truncated, a short one malformed', () => {
  const short = { linkType: 1, data: echo.data.subarray(0, 34 + 5) };
  const [v] = decodeFields([{ ...short, origLen: echo.data.length }], ['icmp.type']);
  assert.deepEqual(v, [[]]);
  for (const f of FIXTURES) {
    const headersEnd = endOfHeaders(decodeOne(f));
    everyCut(f, ICMP_FIELDS, (p, n, snaplen) => {
      if (snaplen) {
        assert.equal(lowerMalformed(p), null, `snaplen cut at ${n}: ${p.malformed}`);
        if (n < headersEnd) assert.equal(p.truncated, true, `snaplen cut at ${n}`);
      } else {
        assert.equal(p.truncated, false, `lying length ${n}`);
      }
    });
  }
});

test('random mutations never throw', () => {
  let seed = 100;
  for (const f of FIXTURES) mutate(f, [...ICMP_FIELDS, ...NESTING], seed++, 400);
});

test('tshark agrees on every field of the fixtures cut at every length', { skip: noTshark }, () => {
  const { compared, mismatches } = compareWithTshark(cutsOf(FIXTURES), [...ICMP_FIELDS, ...NESTING.filter((n) => n !== 'data.len')]);
  assert.ok(compared > 400, `compared ${compared} packets`);
  assert.deepEqual(mismatches, [], describe(mismatches));
});

/** Corpus captures with ICMP: echo, errors quoting UDP, ICMP quoting ICMP, RFC 4884/5837/8335 extensions. */
const CORPUS = [
  'dhcp-rfc4388.pcap', 'afs.pcap', 'icmp-cksum-oobr-1.pcap', 'icmp-cksum-oobr-3.pcapng', 'icmp-icmp_print-oobr-1.pcap',
  'icmp-length-zero.pcapng', 'icmp-rfc8335.pcap', 'icmp-rfc8335-missing-bytes.pcap', 'icmp_ext_oob_poc.pcap', 'e1000g.pcap',
  'extract_read2_asan.pcap', 'ip_ts_opts_asan.pcap', 'nhrp-trace.pcap', 'macsec-integonly.pcap', 'geneve.pcap', 'vxlan.pcap',
];

test('tshark agrees on the ICMP fields of corpus captures', { skip: noTshark }, async () => {
  const frames = await corpusFrames(CORPUS);
  if (!frames.length) return;
  // macsec-integonly.pcap: tshark 4.0 leaves the 16-byte MACsec ICV inside the IP layer it hands
  // on, so its ICMP reads the ICV as RFC 4884 extension objects past the IP total length;
  // wiresage ends the secure data before the ICV (IEEE 802.1AE §8.1). Those frames are left out.
  const { compared, mismatches } = compareWithTshark(frames, [...ICMP_FIELDS, ...NESTING.filter((n) => n !== 'data.len')],
    (values) => (values['frame.protocols'] ?? '').includes('macsec'));
  assert.ok(compared > 50, `compared ${compared} packets`);
  assert.deepEqual(mismatches, [], describe(mismatches));
});
