import assert from 'node:assert/strict';
import { test } from 'node:test';
import { allFields } from '../fields/field.js';
import { noTshark } from '../testing/tshark.js';
import {
  compareWithTshark, corpusFrames, cutsOf, decodeFields, decodeOne, describe, endOfHeaders, everyCut, fromDump, layerNames,
  lowerMalformed, mutate, type Frame,
} from './_dissector-tests.js';
import './protocols.js';

/** Every ICMPv6 field with a value, and the ICMP extension fields ICMPv6 messages also carry. */
const ICMPV6_FIELDS = allFields()
  .filter((f) => (f.protocol === 'icmpv6' || f.name.startsWith('icmp.ext') || f.name.startsWith('icmp.int_')) && f.type !== 'none' && f.type !== 'protocol')
  .map((f) => f.name);
const NESTING = ['ipv6.src', 'ipv6.dst', 'ipv6.plen', 'ipv6.nxt', 'tcp.srcport', 'tcp.seq_raw', 'tcp.ack_raw', 'udp.srcport', 'udp.length'];

/* fe80::5054:ff:fe12:3456 > ff02::1:ffab:cdef: neighbor solicitation, who has fe80::5054:ff:feab:cdef; source link-address 52:54:00:12:34:56 */
const solicitation: Frame = {
  linkType: 1,
  data: fromDump(`
	0x0000:  3333 ffab cdef 5254 0012 3456 86dd 6000  33....RT..4V..\`.
	0x0010:  0000 0020 3aff fe80 0000 0000 0000 5054  ....:.........PT
	0x0020:  00ff fe12 3456 ff02 0000 0000 0000 0000  ....4V..........
	0x0030:  0001 ffab cdef 8700 859a 0000 0000 fe80  ................
	0x0040:  0000 0000 0000 5054 00ff feab cdef 0101  ......PT........
	0x0050:  5254 0012 3456                           RT..4V
`),
};

/* fe80::5054:ff:feab:cdef > fe80::5054:ff:fe12:3456: neighbor advertisement, Flags [solicited, override]; target link-address 52:54:00:ab:cd:ef */
const advertisement: Frame = {
  linkType: 1,
  data: fromDump(`
	0x0000:  5254 0012 3456 5254 00ab cdef 86dd 6000  RT..4VRT......\`.
	0x0010:  0000 0020 3aff fe80 0000 0000 0000 5054  ....:.........PT
	0x0020:  00ff feab cdef fe80 0000 0000 0000 5054  ..............PT
	0x0030:  00ff fe12 3456 8800 3997 6000 0000 fe80  ....4V..9.\`.....
	0x0040:  0000 0000 0000 5054 00ff feab cdef 0201  ......PT........
	0x0050:  5254 00ab cdef                           RT....
`),
};

/*
 * fe80::5054:ff:feab:cdef > ff02::1: router advertisement, hop limit 64, Flags [other stateful], router lifetime 1800s,
 * reachable time 30000ms, retrans timer 1000ms; prefix info 2001:db8:a::/64 [onlink, auto]; mtu 1500;
 * rdnss lifetime 600s 2001:db8:a::53; source link-address 52:54:00:ab:cd:ef
 */
const routerAdvertisement: Frame = {
  linkType: 1,
  data: fromDump(`
	0x0000:  3333 0000 0001 5254 00ab cdef 86dd 6000  33....RT......\`.
	0x0010:  0000 0058 3aff fe80 0000 0000 0000 5054  ...X:.........PT
	0x0020:  00ff feab cdef ff02 0000 0000 0000 0000  ................
	0x0030:  0000 0000 0001 8600 ee21 4040 0708 0000  .........!@@....
	0x0040:  7530 0000 03e8 0304 40c0 0027 8d00 0009  u0......@..'....
	0x0050:  3a80 0000 0000 2001 0db8 000a 0000 0000  :...............
	0x0060:  0000 0000 0000 0501 0000 0000 05dc 1903  ................
	0x0070:  0000 0000 0258 2001 0db8 000a 0000 0000  .....X..........
	0x0080:  0000 0000 0053 0101 5254 00ab cdef       .....S..RT....
`),
};

/* 2001:db8:1::10 > 2001:db8:2::20: echo request, id 3342, seq 1, 12 bytes of data */
const echo: Frame = {
  linkType: 1,
  data: fromDump(`
	0x0000:  5254 00ab cdef 5254 0012 3456 86dd 6000  RT....RT..4V..\`.
	0x0010:  0000 0014 3a40 2001 0db8 0001 0000 0000  ....:@..........
	0x0020:  0000 0000 0010 2001 0db8 0002 0000 0000  ................
	0x0030:  0000 0000 0020 8000 db6e 0d0e 0001 7069  .........n....pi
	0x0040:  6e67 2d70 6179 6c6f 6164                 ng-payload
`),
};

/**
 * 2001:db8::fe > 2001:db8:1::10: packet too big, mtu 1280, quoting the first 1232 bytes of
 * 2001:db8:1::10.50000 > 2001:db8:2::20.443: Flags [P.], seq 7, ack 9, win 4000, length 1400:
 *   0x0030:  0000 0000 0010 0200 9b16 0000 0500 6000  ..............`.
 *   0x0040:  0000 058c 0640 2001 0db8 0001 0000 0000  .....@..........
 *   0x0060:  0000 0000 0020 c350 01bb 0000 0007 0000  .......P........
 *   0x0070:  0009 5018 0fa0 0000 0000 7979 7979 7979  ..P.......yyyyyy  (… 'y' to the end)
 */
function packetTooBig(): Frame {
  const head = fromDump(`
	0x0000:  5254 0012 3456 5254 00ab cdef 86dd 6000  RT..4VRT......\`.
	0x0010:  0000 04d8 3a40 2001 0db8 0000 0000 0000  ....:@..........
	0x0020:  0000 0000 00fe 2001 0db8 0001 0000 0000  ................
	0x0030:  0000 0000 0010 0200 9b16 0000 0500 6000  ..............\`.
	0x0040:  0000 058c 0640 2001 0db8 0001 0000 0000  .....@..........
	0x0050:  0000 0000 0010 2001 0db8 0002 0000 0000  ................
	0x0060:  0000 0000 0020 c350 01bb 0000 0007 0000  .......P........
	0x0070:  0009 5018 0fa0 0000 0000                 ..P.......
`);
  const data = new Uint8Array(14 + 40 + 8 + 1232).fill(0x79);
  data.set(head);
  return { linkType: 1, data };
}

const FIXTURES = [solicitation, advertisement, routerAdvertisement, echo];

test('neighbor solicitation and advertisement: targets, flags, link-layer address options', () => {
  const names = ['icmpv6.type', 'icmpv6.checksum', 'icmpv6.checksum.status', 'icmpv6.reserved', 'icmpv6.nd.ns.target_address', 'icmpv6.nd.na.target_address', 'icmpv6.nd.na.flag', 'icmpv6.nd.na.flag.r', 'icmpv6.nd.na.flag.s', 'icmpv6.nd.na.flag.o', 'icmpv6.opt.type', 'icmpv6.opt.length', 'icmpv6.opt.linkaddr', 'icmpv6.opt.src_linkaddr', 'icmpv6.opt.target_linkaddr'];
  const [ns, na] = decodeFields([solicitation, advertisement], names);
  assert.deepEqual(ns, [['135'], ['0x859a'], ['1'], ['00000000'], ['fe80::5054:ff:feab:cdef'], [], [], [], [], [], ['1'], ['1'], ['52:54:00:12:34:56'], ['52:54:00:12:34:56'], []]);
  assert.deepEqual(na, [['136'], ['0x3997'], ['1'], [], [], ['fe80::5054:ff:feab:cdef'], ['0x60000000'], ['0'], ['1'], ['1'], ['2'], ['1'], ['52:54:00:ab:cd:ef'], [], ['52:54:00:ab:cd:ef']]);
  // A damaged checksum is found (the pseudo-header covers both IPv6 addresses).
  const bad = { ...solicitation, data: solicitation.data.slice() };
  bad.data[0x18] ^= 1;
  assert.deepEqual(decodeFields([bad], ['icmpv6.checksum.status'])[0], [['0']]);
});

test('router advertisement: flags, timers, prefix, MTU and RDNSS options', () => {
  const names = ['icmpv6.nd.ra.cur_hop_limit', 'icmpv6.nd.ra.flag', 'icmpv6.nd.ra.flag.o', 'icmpv6.nd.ra.flag.prf', 'icmpv6.nd.ra.router_lifetime', 'icmpv6.nd.ra.reachable_time', 'icmpv6.nd.ra.retrans_timer', 'icmpv6.opt.type', 'icmpv6.opt.prefix.length', 'icmpv6.opt.prefix.flag.l', 'icmpv6.opt.prefix.flag.a', 'icmpv6.opt.prefix.valid_lifetime', 'icmpv6.opt.prefix', 'icmpv6.opt.mtu', 'icmpv6.opt.rdnss.lifetime', 'icmpv6.opt.rdnss', 'icmpv6.opt.linkaddr'];
  const [v] = decodeFields([routerAdvertisement], names);
  assert.deepEqual(v, [['64'], ['0x40'], ['1'], ['0'], ['1800'], ['30000'], ['1000'], ['3', '5', '25', '1'], ['64'], ['1'], ['1'], ['2592000'], ['2001:db8:a::'], ['1500'], ['600'], ['2001:db8:a::53'], ['52:54:00:ab:cd:ef']]);
});

test('echo: identifier and sequence, data as a child of ICMPv6', () => {
  const [v] = decodeFields([echo], ['icmpv6.echo.identifier', 'icmpv6.echo.sequence_number', 'data.len']);
  assert.deepEqual(v, [['0x0d0e'], ['1'], ['12']]);
  const p = decodeOne(echo);
  assert.deepEqual(layerNames(p), ['eth', 'ipv6', 'icmpv6', 'data']);
  assert.equal(p.parent[4], 3);
});

test('packet too big quotes the IPv6 packet: outer then inner values, quoted TCP as a child', () => {
  const [v] = decodeFields([packetTooBig()], ['icmpv6.mtu', 'ipv6.src', 'ipv6.plen', 'tcp.srcport', 'tcp.seq_raw', 'tcp.ack_raw', 'tcp.len']);
  // Quoted behind IPv6 tshark shows the usual TCP items, but no segment length.
  assert.deepEqual(v, [['1280'], ['2001:db8::fe', '2001:db8:1::10'], ['1240', '1420'], ['50000'], ['7'], ['9'], []]);
  const p = decodeOne(packetTooBig());
  assert.deepEqual(layerNames(p).slice(0, 5), ['eth', 'ipv6', 'icmpv6', 'ipv6', 'tcp']);
  assert.equal(p.parent[4], 3);
  assert.equal(p.netLayer, 2);
  assert.equal(p.transportLayer, -1);
  assert.equal(p.malformed, null);
});

test('an option of length zero ends the options and flags the packet malformed, as tshark does', () => {
  const zero = { ...solicitation, data: solicitation.data.slice() };
  zero.data[0x4f] = 0;
  assert.match(decodeOne(zero).malformed ?? '', /length zero/);
  assert.deepEqual(decodeFields([zero], ['icmpv6.opt.type', 'icmpv6.opt.linkaddr'])[0], [['1'], []]);
});

test('every cut: a snaplen cut is truncated, never malformed', () => {
  for (const f of [...FIXTURES, packetTooBig()]) {
    const headersEnd = endOfHeaders(decodeOne(f));
    everyCut(f, ICMPV6_FIELDS, (p, n, snaplen) => {
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
  let seed = 200;
  for (const f of [...FIXTURES, packetTooBig()]) mutate(f, [...ICMPV6_FIELDS, ...NESTING], seed++, 400);
});

test('tshark agrees on every field of the fixtures cut at every length', { skip: noTshark }, () => {
  const big = packetTooBig();
  // The quote cut up to the end of its TCP header (beyond it tshark's heuristics read the payload).
  const frames = [...cutsOf(FIXTURES), ...cutsOf([{ ...big, data: big.data.subarray(0, 14 + 40 + 8 + 40 + 20) }]), big];
  const { compared, mismatches } = compareWithTshark(frames, [...ICMPV6_FIELDS, ...NESTING]);
  assert.ok(compared > 300, `compared ${compared} packets`);
  assert.deepEqual(mismatches, [], describe(mismatches));
});

/**
 * Corpus captures with ICMPv6: ND with many option kinds, MLD, errors quoting IPv6, RFC 8335.
 * Router renumbering (138) and RPL control (155) messages are left out: their fields are not reproduced.
 */
const CORPUS = [
  'icmpv6.pcap', 'icmpv6-ns-nonce.pcap', 'icmpv6-ra-pref64.pcap', 'icmpv6_opt24.pcap', 'icmpv6-rfc7112.pcap', 'icmpv6-length-zero.pcapng',
  'icmp6-rfc8335.pcap', 'ipv6-bad-version.pcap', 'dcb_ets.pcap', 'dcb_qcn.pcap', 'ipv6-routing-header.pcap', 'ipv6-srh-ext-header.pcap',
  'ipv6_jumbogram_1.pcap', 'babel.pcap', 'icmpv6-ni-flags.pcap', 'icmpv6_nodeinfo_queryipv6.pcap',
];

test('tshark agrees on the ICMPv6 fields of corpus captures', { skip: noTshark }, async () => {
  const frames = await corpusFrames(CORPUS);
  if (!frames.length) return;
  const { compared, mismatches } = compareWithTshark(frames, [...ICMPV6_FIELDS, ...NESTING]);
  assert.ok(compared > 30, `compared ${compared} packets`);
  assert.deepEqual(mismatches, [], describe(mismatches));
});
