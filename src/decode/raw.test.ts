import assert from 'node:assert/strict';
import { test } from 'node:test';
import { noTshark } from '../testing/tshark.js';
import {
  compareWithTshark, corpusFrames, cutsOf, decodeFields, decodeOne, describe, everyCut, fromDump, layerNames, mutate, type Frame,
} from './_dissector-tests.js';
import './protocols.js';

const NAMES = ['ip.src', 'ip.proto', 'ipv6.src', 'ipv6.nxt', 'udp.srcport', 'udp.length'];

/* LINKTYPE_RAW: IP 10.1.1.1.4000 > 10.1.1.2.4001: UDP, length 11 */
const ipv4: Frame = {
  linkType: 101,
  data: fromDump(`
	0x0000:  4500 0027 0001 0000 4011 64c1 0a01 0101  E..'....@.d.....
	0x0010:  0a01 0102 0fa0 0fa1 0013 0000 736c 6c2d  ............sll-
	0x0020:  7061 796c 6f61 64                        payload
`),
};

/* LINKTYPE_RAW: IP6 2001:db8:1::10.1 > 2001:db8:2::20.2: UDP, length 4 */
const ipv6: Frame = {
  linkType: 101,
  data: fromDump(`
	0x0000:  6000 0000 000c 1140 2001 0db8 0001 0000  \`......@........
	0x0010:  0000 0000 0000 0010 2001 0db8 0002 0000  ................
	0x0020:  0000 0000 0000 0020 0001 0002 000c 0000  ................
	0x0030:  7261 7736                                raw6
`),
};

/* LINKTYPE_RAW from a Linux ISDN link that was down: 10 zero bytes, then the IPv4 datagram */
const isdnZeros: Frame = {
  linkType: 101,
  data: fromDump(`
	0x0000:  0000 0000 0000 0000 0000 4500 0027 0001  ..........E..'..
	0x0010:  0000 4011 64c1 0a01 0101 0a01 0102 0fa0  ..@.d...........
	0x0020:  0fa1 0013 0000 736c 6c2d 7061 796c 6f61  ......sll-payloa
	0x0030:  64                                       d
`),
};

test('the version nibble picks IPv4 or IPv6 under a raw protocol item', () => {
  const [a, b, c] = decodeFields([ipv4, ipv6, isdnZeros], NAMES);
  assert.deepEqual(a, [['10.1.1.1'], ['17'], [], [], ['4000'], ['19']]);
  assert.deepEqual(b, [[], [], ['2001:db8:1::10'], ['17'], ['1'], ['12']]);
  assert.deepEqual(c, [['10.1.1.1'], ['17'], [], [], ['4000'], ['19']]);
  assert.deepEqual(layerNames(decodeOne(ipv4)), ['raw', 'ip', 'udp', 'data']);
  const p = decodeOne(isdnZeros);
  assert.equal(p.start[2], 10);
});

test('DLT_RAW of OpenBSD (14) and BSD/OS (12) are raw IP too; other first bytes are data', () => {
  for (const linkType of [12, 14]) assert.deepEqual(layerNames(decodeOne({ ...ipv4, linkType })), ['raw', 'ip', 'udp', 'data']);
  const other = { ...ipv4, data: ipv4.data.slice() };
  other.data[0] = 0x50;
  assert.deepEqual(layerNames(decodeOne(other)), ['raw', 'data']);
  const ppp = { ...ipv4, data: ipv4.data.slice() };
  ppp.data.set([0xff, 0x03]);
  assert.deepEqual(layerNames(decodeOne(ppp)), ['raw', 'data']);
});

test('a frame shorter than the 8 bytes Wireshark probes is truncated or malformed', () => {
  for (let n = 0; n < 8; n++) {
    const cut = decodeOne({ ...ipv4, data: ipv4.data.subarray(0, n), origLen: ipv4.data.length });
    assert.equal(cut.truncated, true, `snaplen cut at ${n}`);
    const short = decodeOne({ ...ipv4, data: ipv4.data.subarray(0, n) });
    assert.notEqual(short.malformed, null, `lying length ${n}`);
  }
  for (const f of [ipv4, ipv6, isdnZeros]) everyCut(f, NAMES);
});

test('random mutations never throw', () => {
  let seed = 600;
  for (const f of [ipv4, ipv6, isdnZeros]) mutate(f, NAMES, seed++, 400);
});

test('tshark agrees on the fixtures cut at every length, on link types 101, 12 and 14', { skip: noTshark }, () => {
  const frames = cutsOf([ipv4, ipv6, isdnZeros]).filter((f) => f.data.length > 0);
  const { compared, mismatches } = compareWithTshark([...frames, { ...ipv4, linkType: 12 }, { ...ipv6, linkType: 14 }], NAMES);
  assert.ok(compared > 100, `compared ${compared} packets`);
  assert.deepEqual(mismatches, [], describe(mismatches));
});

/** Corpus captures on LINKTYPE_RAW, LINKTYPE_IPV4 and LINKTYPE_IPV6. */
const CORPUS = ['LINKTYPE_RAW_ipv4.pcap', 'LINKTYPE_RAW_ipv6.pcap', 'babel_rtt.pcap', 'bgp-addpath.pcap', 'gquic.pcap', 'mptcp-tcprst.pcap', 'LINKTYPE_IPV4.pcap', 'LINKTYPE_IPV6.pcap', 'heap-overflow-1.pcap'];

test('tshark agrees on raw IP corpus captures', { skip: noTshark }, async () => {
  const frames = await corpusFrames(CORPUS);
  if (!frames.length) return;
  const { compared, mismatches } = compareWithTshark(frames, NAMES);
  assert.ok(compared > 10, `compared ${compared} packets`);
  assert.deepEqual(mismatches, [], describe(mismatches));
});
