import assert from 'node:assert/strict';
import { test } from 'node:test';
import { allFields } from '../fields/field.js';
import { noTshark } from '../testing/tshark.js';
import {
  compareWithTshark, corpusFrames, cutsOf, decodeFields, decodeOne, describe, everyCut, fromDump, layerNames, lowerMalformed, mutate,
  type Frame,
} from './_dissector-tests.js';
import './protocols.js';

const ARP_FIELDS = allFields().filter((f) => f.protocol === 'arp' && f.type !== 'none' && f.type !== 'protocol').map((f) => f.name);

const frames: Frame[] = [
  /* ARP, Ethernet (len 6), IPv4 (len 4), Request who-has 192.168.1.1 tell 192.168.1.10, length 46 */
  { linkType: 1, data: fromDump(`
	0x0000:  ffff ffff ffff 5254 0012 3456 0806 0001  ......RT..4V....
	0x0010:  0800 0604 0001 5254 0012 3456 c0a8 010a  ......RT..4V....
	0x0020:  0000 0000 0000 c0a8 0101 0000 0000 0000  ................
	0x0030:  0000 0000 0000 0000 0000 0000            ............
`) },
  /* ARP, Ethernet (len 6), IPv4 (len 4), Reply 192.168.1.1 is-at 52:54:00:ab:cd:ef, length 46 */
  { linkType: 1, data: fromDump(`
	0x0000:  5254 0012 3456 5254 00ab cdef 0806 0001  RT..4VRT........
	0x0010:  0800 0604 0002 5254 00ab cdef c0a8 0101  ......RT........
	0x0020:  5254 0012 3456 c0a8 010a 0000 0000 0000  RT..4V..........
	0x0030:  0000 0000 0000 0000 0000 0000            ............
`) },
  /* Request who-has 192.168.1.10 tell 192.168.1.10: gratuitous, an announcement (RFC 5227) */
  { linkType: 1, data: fromDump(`
	0x0000:  ffff ffff ffff 5254 0012 3456 0806 0001  ......RT..4V....
	0x0010:  0800 0604 0001 5254 0012 3456 c0a8 010a  ......RT..4V....
	0x0020:  0000 0000 0000 c0a8 010a 0000 0000 0000  ................
	0x0030:  0000 0000 0000 0000 0000 0000            ............
`) },
  /* Request who-has 192.168.1.77 tell 0.0.0.0: an address-conflict probe (RFC 5227) */
  { linkType: 1, data: fromDump(`
	0x0000:  ffff ffff ffff 5254 0012 3456 0806 0001  ......RT..4V....
	0x0010:  0800 0604 0001 5254 0012 3456 0000 0000  ......RT..4V....
	0x0020:  0000 0000 0000 c0a8 014d 0000 0000 0000  .........M......
	0x0030:  0000 0000 0000 0000 0000 0000            ............
`) },
  /* RARP (ethertype 0x8035), Reverse Request who-is 52:54:00:12:34:56 tell 52:54:00:12:34:56 */
  { linkType: 1, data: fromDump(`
	0x0000:  ffff ffff ffff 5254 0012 3456 8035 0001  ......RT..4V.5..
	0x0010:  0800 0604 0003 5254 0012 3456 0000 0000  ......RT..4V....
	0x0020:  5254 0012 3456 0000 0000 0000 0000 0000  RT..4V..........
	0x0030:  0000 0000 0000 0000 0000 0000            ............
`) },
];

test('request, reply, announcement, probe and RARP request, as tshark shows them', () => {
  const names = ['arp.hw.type', 'arp.proto.type', 'arp.hw.size', 'arp.proto.size', 'arp.opcode', 'arp.isgratuitous', 'arp.isprobe', 'arp.isannouncement', 'arp.src.hw_mac', 'arp.src.proto_ipv4', 'arp.dst.hw_mac', 'arp.dst.proto_ipv4'];
  const v = decodeFields(frames, names);
  const common = [['1'], ['0x0800'], ['6'], ['4']];
  assert.deepEqual(v[0], [...common, ['1'], [], [], [], ['52:54:00:12:34:56'], ['192.168.1.10'], ['00:00:00:00:00:00'], ['192.168.1.1']]);
  assert.deepEqual(v[1], [...common, ['2'], [], [], [], ['52:54:00:ab:cd:ef'], ['192.168.1.1'], ['52:54:00:12:34:56'], ['192.168.1.10']]);
  assert.deepEqual(v[2], [...common, ['1'], ['1'], [], ['1'], ['52:54:00:12:34:56'], ['192.168.1.10'], ['00:00:00:00:00:00'], ['192.168.1.10']]);
  assert.deepEqual(v[3], [...common, ['1'], [], ['1'], [], ['52:54:00:12:34:56'], ['0.0.0.0'], ['00:00:00:00:00:00'], ['192.168.1.77']]);
  assert.deepEqual(v[4], [...common, ['3'], [], [], [], ['52:54:00:12:34:56'], ['0.0.0.0'], ['52:54:00:12:34:56'], ['0.0.0.0']]);
  const p = decodeOne(frames[0]);
  assert.deepEqual(layerNames(p), ['eth', 'arp']);
  // The message ends after its addresses: the 18 bytes after it are Ethernet padding, not ARP.
  assert.equal(p.end[2], 14 + 28);
  assert.equal(p.limit[2], 14 + 28);
});

test('addresses that are not Ethernet/IPv4 are bytes; their sizes come from the header', () => {
  const f = { linkType: 1, data: frames[0].data.slice(0, 14 + 8 + 2 * 3 + 2 * 2) };
  f.data.set([0x00, 0x07, 0x12, 0x34, 0x03, 0x02, 0x00, 0x01], 14); // ARCNET hardware, protocol 0x1234, 3- and 2-byte addresses
  f.data.set([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 22);
  const [v] = decodeFields([f], ['arp.hw.type', 'arp.src.hw', 'arp.src.proto', 'arp.dst.hw', 'arp.dst.proto', 'arp.src.hw_mac']);
  assert.deepEqual(v, [['7'], ['010203'], ['0405'], ['060708'], ['090a'], []]);
});

test('a message longer than its frame is malformed; cut by the snaplen it is truncated', () => {
  const short = { linkType: 1, data: frames[0].data.subarray(0, 14 + 20) };
  assert.match(decodeOne(short).malformed ?? '', /ARP message/);
  const cut = decodeOne({ ...short, origLen: 60 });
  assert.equal(cut.truncated, true);
  assert.equal(cut.malformed, null);
  for (const f of frames) {
    everyCut(f, ARP_FIELDS, (p, n, snaplen) => {
      if (snaplen) {
        assert.equal(lowerMalformed(p), null, `snaplen cut at ${n}: ${p.malformed}`);
        assert.equal(p.truncated, n < 14 + 28, `snaplen cut at ${n}`);
      } else {
        assert.equal(p.truncated, false, `lying length ${n}`);
        if (n >= 14 && n < 14 + 28) assert.match(p.malformed ?? '', /ARP/, `lying length ${n}`);
      }
    });
  }
});

test('random mutations never throw', () => {
  let seed = 300;
  for (const f of frames) mutate(f, ARP_FIELDS, seed++, 400);
});

test('tshark agrees on every field of the fixtures cut at every length', { skip: noTshark }, () => {
  const { compared, mismatches } = compareWithTshark(cutsOf(frames), ARP_FIELDS);
  assert.ok(compared > 300, `compared ${compared} packets`);
  assert.deepEqual(mismatches, [], describe(mismatches));
});

/** Corpus captures with ARP, including fuzzed lengths (arp-oobr, arp-too-long-tha) and ARP in VLANs and tunnels. */
const CORPUS = ['arp-oobr.pcap', 'arp-too-long-tha.pcap', '802.1ad_QinQ.pcap', 'bgp-4byte-asn.pcap', 'dhcp-rfc4388.pcap', 'eapon1.pcap', 'isakmp4500.pcap', 'mptcp-fclose.pcap', 'vxlan.pcap', 'getname_2_read4_asan.pcap'];

test('tshark agrees on the ARP fields of corpus captures', { skip: noTshark }, async () => {
  const all = await corpusFrames(CORPUS);
  if (!all.length) return;
  const { compared, mismatches } = compareWithTshark(all, ARP_FIELDS);
  assert.ok(compared > 1000, `compared ${compared} packets`);
  assert.deepEqual(mismatches, [], describe(mismatches));
});
