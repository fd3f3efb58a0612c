import assert from 'node:assert/strict';
import { test } from 'node:test';
import { noTshark } from '../testing/tshark.js';
import {
  compareWithTshark, corpusFrames, cutsOf, decodeFields, decodeOne, describe, everyCut, fromDump, layerNames, lowerMalformed, mutate,
  type Frame,
} from './_dissector-tests.js';
import { nullHeaderValue } from './loopback.js';
import './protocols.js';

const NAMES = ['null.family', 'null.type', 'ip.src', 'ipv6.src', 'udp.srcport'];

/* LINKTYPE_NULL from a little-endian host, AF_INET (2): IP 10.1.1.1.4000 > 10.1.1.2.4001: UDP, length 11 */
const nullIpv4: Frame = {
  linkType: 0,
  data: fromDump(`
	0x0000:  0200 0000 4500 0027 0001 0000 4011 64c1  ....E..'....@.d.
	0x0010:  0a01 0101 0a01 0102 0fa0 0fa1 0013 0000  ................
	0x0020:  736c 6c2d 7061 796c 6f61 64              sll-payload
`),
};

/* LINKTYPE_NULL, AF_INET6 of Darwin (30): IP6 2001:db8:1::10.1 > 2001:db8:2::20.2: UDP, length 2 */
const nullIpv6: Frame = {
  linkType: 0,
  data: fromDump(`
	0x0000:  1e00 0000 6000 0000 000a 1140 2001 0db8  ....\`......@....
	0x0010:  0001 0000 0000 0000 0000 0010 2001 0db8  ................
	0x0020:  0002 0000 0000 0000 0000 0020 0001 0002  ................
	0x0030:  000a 0000 6c6f                           ....lo
`),
};

/* LINKTYPE_LOOP (OpenBSD), big-endian AF_INET: the same UDP datagram */
const loopIpv4: Frame = {
  linkType: 108,
  data: fromDump(`
	0x0000:  0000 0002 4500 0027 0001 0000 4011 64c1  ....E..'....@.d.
	0x0010:  0a01 0101 0a01 0102 0fa0 0fa1 0013 0000  ................
	0x0020:  736c 6c2d 7061 796c 6f61 64              sll-payload
`),
};

/* LINKTYPE_LOOP, AF_INET6 of NetBSD/OpenBSD (24) */
const loopIpv6: Frame = {
  linkType: 108,
  data: fromDump(`
	0x0000:  0000 0018 6000 0000 000a 1140 2001 0db8  ....\`......@....
	0x0010:  0001 0000 0000 0000 0000 0010 2001 0db8  ................
	0x0020:  0002 0000 0000 0000 0000 0020 0001 0002  ................
	0x0030:  000a 0000 6c6f                           ....lo
`),
};

function withHeader(f: Frame, header: number[]): Frame {
  const data = f.data.slice();
  data.set(header);
  return { ...f, data };
}

const FIXTURES = [nullIpv4, nullIpv6, loopIpv4, loopIpv6];

test('the address family of DLT_NULL (host order) and DLT_LOOP (network order)', () => {
  const v = decodeFields(FIXTURES, NAMES);
  assert.deepEqual(v[0], [['2'], [], ['10.1.1.1'], [], ['4000']]);
  assert.deepEqual(v[1], [['30'], [], [], ['2001:db8:1::10'], ['1']]);
  assert.deepEqual(v[2], [['2'], [], ['10.1.1.1'], [], ['4000']]);
  assert.deepEqual(v[3], [['24'], [], [], ['2001:db8:1::10'], ['1']]);
  assert.deepEqual(layerNames(decodeOne(nullIpv4)), ['null', 'ip', 'udp', 'data']);
});

test("DLT_NULL byte order is guessed as Wireshark's packet-null.c does", () => {
  const value = (bytes: number[]) => nullHeaderValue(new Uint8Array(bytes), 0);
  assert.equal(value([2, 0, 0, 0]), 2); // little-endian host
  assert.equal(value([0, 0, 0, 2]), 2); // big-endian host
  assert.equal(value([0, 2, 0, 0]), 2); // IRIX snoop: 16-bit AF first
  assert.equal(value([0, 0, 2, 0]), 2); // IRIX snoop read the other way
  assert.equal(value([0, 0, 0x08, 0x00]), 0x0800); // old Linux: an ethertype
  assert.equal(value([0x00, 0x08, 0x00, 0x00]), 0x0800);
  // An ethertype in the header gives null.type instead of null.family.
  const [v] = decodeFields([withHeader(nullIpv4, [0, 0, 0x08, 0x00])], ['null.type', 'null.family', 'ip.src']);
  assert.deepEqual(v, [['0x0800'], [], ['10.1.1.1']]);
  // An unknown family leaves the rest to data; DLT_LOOP has no ethertype form.
  assert.deepEqual(layerNames(decodeOne(withHeader(nullIpv4, [7, 0, 0, 0]))), ['null', 'data']);
  assert.deepEqual(decodeFields([withHeader(loopIpv4, [2, 0, 0, 0])], ['null.family'])[0], [['33554432']]);
  // PPP in HDLC framing on DLT_NULL: no null fields (Wireshark hands the frame to PPP).
  assert.deepEqual(decodeFields([withHeader(nullIpv4, [0xff, 0x03, 0x00, 0x21])], ['null.family', 'null.type'])[0], [[], []]);
});

test('every cut: a header cut by the snaplen is truncated, a short frame malformed', () => {
  for (const f of FIXTURES) {
    everyCut(f, NAMES, (p, n, snaplen) => {
      if (snaplen) {
        assert.equal(lowerMalformed(p), null, `snaplen cut at ${n}: ${p.malformed}`);
        if (n < 4) assert.equal(p.truncated, true, `snaplen cut at ${n}`);
      } else if (n < 4) {
        assert.match(p.malformed ?? '', /Loopback header/, `lying length ${n}`);
      }
    });
  }
});

test('random mutations never throw', () => {
  let seed = 500;
  for (const f of FIXTURES) mutate(f, NAMES, seed++, 400);
});

test('tshark agrees on the fixtures cut at every length and on other header forms', { skip: noTshark }, () => {
  const forms = [[0, 0, 0, 2], [0, 2, 0, 0], [0, 0, 2, 0], [0, 0, 8, 0], [0, 8, 0, 0], [7, 0, 0, 0], [28, 0, 0, 0], [0xff, 0x03, 0, 0x21]].map((h) => withHeader(nullIpv4, h));
  // (Frames of no bytes at all are left out: tshark does not dissect them.)
  const cuts = cutsOf(FIXTURES).filter((f) => f.data.length > 0);
  const { compared, mismatches } = compareWithTshark([...cuts, ...forms, withHeader(loopIpv4, [2, 0, 0, 0])], NAMES);
  assert.ok(compared > 100, `compared ${compared} packets`);
  assert.deepEqual(mismatches, [], describe(mismatches));
});

/** Corpus captures on DLT_NULL (BSD and macOS loopback). */
const CORPUS = ['dns-badcookie.pcap', 'icmpv6-RFC2894-RR.pcap', 'ikev2four.pcap', 'ospf-gmpls.pcap', 'quic_handshake.pcap', 'quic_retry.pcap', 'tcp_rst_diag_payload.pcap'];

test('tshark agrees on the loopback fields of corpus captures', { skip: noTshark }, async () => {
  const frames = await corpusFrames(CORPUS);
  if (!frames.length) return;
  const { compared, mismatches } = compareWithTshark(frames, NAMES);
  assert.ok(compared > 30, `compared ${compared} packets`);
  assert.deepEqual(mismatches, [], describe(mismatches));
});
