import assert from 'node:assert/strict';
import { test } from 'node:test';
import { allFields } from '../fields/field.js';
import { noTshark } from '../testing/tshark.js';
import {
  compareWithTshark, corpusFrames, cutsOf, decodeFields, decodeOne, describe, everyCut, fromDump, layerNames, lowerMalformed, mutate,
  type Frame,
} from './_dissector-tests.js';
import './protocols.js';

const SLL_FIELDS = [...allFields().filter((f) => f.protocol === 'sll' && f.type !== 'none' && f.type !== 'protocol').map((f) => f.name), 'eth.padding'];
const PAYLOAD = ['ip.src', 'ipv6.src', 'arp.opcode', 'udp.srcport', 'icmpv6.type'];

/* LINUX_SLL, sent by us from 52:54:00:12:34:56: IP 10.1.1.1.4000 > 10.1.1.2.4001: UDP, length 11, then 4 bytes of trailer */
const v1Udp: Frame = {
  linkType: 113,
  data: fromDump(`
	0x0000:  0004 0001 0006 5254 0012 3456 0000 0800  ......RT..4V....
	0x0010:  4500 0027 0001 0000 4011 64c1 0a01 0101  E..'....@.d.....
	0x0020:  0a01 0102 0fa0 0fa1 0013 0000 736c 6c2d  ............sll-
	0x0030:  7061 796c 6f61 64ee eeee ee              payload....
`),
};

/* LINUX_SLL on loopback (ARPHRD 772, no address): IP6 ::1 > ::1: ICMP6, echo request, id 1, seq 1 */
const v1Loopback: Frame = {
  linkType: 113,
  data: fromDump(`
	0x0000:  0000 0304 0000 0000 0000 0000 0000 86dd  ................
	0x0010:  6000 0000 0008 3a40 0000 0000 0000 0000  \`.....:@........
	0x0020:  0000 0000 0000 0001 0000 0000 0000 0000  ................
	0x0030:  0000 0000 0000 0001 8000 7fb9 0001 0001  ................
`),
};

/* LINUX_SLL2, ifindex 2, broadcast: ARP, Request who-has 10.1.1.1 tell 10.1.1.2, length 28 */
const v2Arp: Frame = {
  linkType: 276,
  data: fromDump(`
	0x0000:  0806 0000 0000 0002 0001 0106 5254 00ab  ............RT..
	0x0010:  cdef 0000 0001 0800 0604 0001 5254 00ab  ............RT..
	0x0020:  cdef 0a01 0102 0000 0000 0000 0a01 0101  ................
`),
};

/* LINUX_SLL2, ifindex 7, to us: IP 10.1.1.1.4000 > 10.1.1.2.4001: UDP, length 11 */
const v2Udp: Frame = {
  linkType: 276,
  data: fromDump(`
	0x0000:  0800 0000 0000 0007 0001 0006 5254 0012  ............RT..
	0x0010:  3456 0000 4500 0027 0001 0000 4011 64c1  4V..E..'....@.d.
	0x0020:  0a01 0101 0a01 0102 0fa0 0fa1 0013 0000  ................
	0x0030:  736c 6c2d 7061 796c 6f61 64              sll-payload
`),
};

/** v1 UDP frame padded to 60 bytes with `tail` after the datagram. */
function padded(tail: number[]): Frame {
  const data = new Uint8Array(16 + 39 + tail.length);
  data.set(v1Udp.data.subarray(0, 16 + 39));
  data.set(tail, 16 + 39);
  return { linkType: 113, data };
}

/** Linux-internal protocol values: 802.2 LLC (4), a GRE device (ARPHRD 778), netlink (ARPHRD 824). */
function variant(pkttype: number, hatype: number, halen: number, protocol: number, payload: Uint8Array): Frame {
  const data = new Uint8Array(16 + payload.length);
  data.set([pkttype >> 8, pkttype & 255, hatype >> 8, hatype & 255, halen >> 8, halen & 255, 1, 2, 3, 4, 5, 6, 7, 8, protocol >> 8, protocol & 255]);
  data.set(payload, 16);
  return { linkType: 113, data };
}
const ipDatagram = v1Udp.data.slice(16, 16 + 39);

const FIXTURES = [v1Udp, v1Loopback, v2Arp, v2Udp];

test('v1: packet type, address, protocol, and the bytes after the datagram as trailer', () => {
  const [v] = decodeFields([v1Udp], ['sll.pkttype', 'sll.hatype', 'sll.halen', 'sll.src.eth', 'sll.unused', 'sll.etype', 'sll.trailer', 'ip.src']);
  assert.deepEqual(v, [['4'], ['1'], ['6'], ['52:54:00:12:34:56'], ['0000'], ['0x0800'], ['eeeeeeee'], ['10.1.1.1']]);
  const [lo] = decodeFields([v1Loopback], ['sll.hatype', 'sll.halen', 'sll.src.eth', 'sll.unused', 'sll.etype', 'ipv6.src', 'icmpv6.type']);
  assert.deepEqual(lo, [['772'], ['0'], [], ['0000000000000000'], ['0x86dd'], ['::1'], ['128']]);
  assert.deepEqual(layerNames(decodeOne(v1Udp)), ['sll', 'ip', 'udp', 'data']);
});

test('v2: protocol first, interface index, 1-byte packet type and address length', () => {
  const [arp, udp] = decodeFields([v2Arp, v2Udp], ['sll.etype', 'sll.ifindex', 'sll.hatype', 'sll.pkttype', 'sll.halen', 'sll.src.eth', 'sll.unused', 'arp.opcode', 'udp.srcport']);
  assert.deepEqual(arp, [['0x0806'], ['2'], ['1'], ['1'], ['6'], ['52:54:00:ab:cd:ef'], ['0000'], ['1'], []]);
  assert.deepEqual(udp, [['0x0800'], ['7'], ['1'], ['0'], ['6'], ['52:54:00:12:34:56'], ['0000'], [], ['4000']]);
});

test('up to 60 bytes, zero bytes after the datagram are Ethernet padding; anything else is trailer', () => {
  const names = ['eth.padding', 'sll.trailer'];
  const [zeros, mixed, longer] = decodeFields([padded(Array(5).fill(0)), padded([0, 0, 0, 0, 9]), padded([...Array(5).fill(0), 0xaa, 0xbb])], names);
  assert.deepEqual(zeros, [['0000000000'], []]);
  assert.deepEqual(mixed, [[], ['0000000009']]);
  assert.deepEqual(longer, [['0000000000'], ['aabb']]);
});

test('Linux protocol types, GRE and netlink devices dispatch as Wireshark does', () => {
  const llc = variant(0, 1, 6, 0x0004, new Uint8Array([0xaa, 0xaa, 0x03, 0, 0, 0, 0x08, 0x00]));
  const [v] = decodeFields([llc], ['sll.ltype', 'sll.etype', 'sll.src.eth']);
  assert.deepEqual(v, [['0x0004'], [], ['01:02:03:04:05:06']]);
  assert.deepEqual(layerNames(decodeOne(llc)), ['sll', 'data']);
  const gre = variant(0, 778, 4, 0x0800, ipDatagram);
  assert.deepEqual(decodeFields([gre], ['sll.gretype', 'sll.src.ipv4', 'ip.src'])[0], [['0x0800'], ['1.2.3.4'], ['10.1.1.1']]);
  const netlink = variant(0, 824, 0, 0x0000, new Uint8Array(16));
  assert.deepEqual(decodeFields([netlink], ['sll.hatype', 'sll.pkttype'])[0], [[], []]);
  const long = variant(0, 1, 10, 0x0800, ipDatagram);
  assert.deepEqual(decodeFields([long], ['sll.src.other', 'sll.unused'])[0], [['0102030405060708'], []]);
});

test('every cut: the header cut by the snaplen is truncated, a short frame malformed', () => {
  for (const f of FIXTURES) {
    const header = f.linkType === 276 ? 20 : 16;
    everyCut(f, [...SLL_FIELDS, ...PAYLOAD], (p, n, snaplen) => {
      if (snaplen) {
        assert.equal(lowerMalformed(p), null, `snaplen cut at ${n}: ${p.malformed}`);
        if (n < header) assert.equal(p.truncated, true, `snaplen cut at ${n}`);
      } else {
        assert.equal(p.truncated, false, `lying length ${n}`);
        if (n < header) assert.match(p.malformed ?? '', /Linux cooked header/, `lying length ${n}`);
      }
    });
  }
});

test('random mutations never throw', () => {
  let seed = 400;
  for (const f of FIXTURES) mutate(f, [...SLL_FIELDS, ...PAYLOAD], seed++, 400);
});

test('tshark agrees on every field of the fixtures cut at every length', { skip: noTshark }, () => {
  const extra = [padded(Array(5).fill(0)), padded([0, 0, 0, 0, 9]), padded([...Array(5).fill(0), 0xaa, 0xbb]), variant(0, 778, 4, 0x0800, ipDatagram), variant(3, 1, 10, 0x0800, ipDatagram)];
  const { compared, mismatches } = compareWithTshark([...cutsOf(FIXTURES), ...extra], [...SLL_FIELDS, ...PAYLOAD]);
  assert.ok(compared > 200, `compared ${compared} packets`);
  assert.deepEqual(mismatches, [], describe(mismatches));
});

/** Corpus captures on Linux cooked v1 (the corpus holds no v2 file: the fixtures above cover it). */
const CORPUS = [
  'RADIUS-RFC4675.pcap', 'babel.pcap', 'forces1.pcap', 'forces2.pcap', 'icmp-cksum-oobr-1.pcap', 'mptcp-v1.pcap', 'tcp-handshake-nano.pcap',
  'timestamp_invalid_micro.pcap', 'bgp-infinite-loop.pcap', 'resp_2_inline.pcap', 'bgp-role.pcapng', 'lsp-ping-timestamp.pcap',
];

test('tshark agrees on the SLL fields of corpus captures', { skip: noTshark }, async () => {
  const frames = await corpusFrames(CORPUS);
  if (!frames.length) return;
  const { compared, mismatches } = compareWithTshark(frames, [...SLL_FIELDS, ...PAYLOAD]);
  assert.ok(compared > 50, `compared ${compared} packets`);
  assert.deepEqual(mismatches, [], describe(mismatches));
});
