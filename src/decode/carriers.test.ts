/**
 * The carriers the Decoder walks through to the packets they carry (mpls.ts, gre.ts, ppp.ts,
 * pppoe.ts, chdlc.ts, pim.ts, pktap.ts, nflog.ts, macsec.ts, nsh.ts, vxlan.ts, geneve.ts): one
 * frame of each, built here, dissected to the inner TCP segment, compared field by field with
 * tshark (carrier fields, every IP/TCP layer, and the inner connection's tcp.stream from the
 * flow engine); then every frame cut at every length and mutated at random, with no exception
 * and no "dissector bug" mark.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { CaptureRecord, InterfaceDescription } from '../file/types.js';
import { tcpFrame, udpFrame } from '../flows/synthetic.js';
import { noTshark, rows, tsharkFields, wiresage } from '../testing/tshark.js';
import { Decoder } from './decoder.js';
import { dissectorById } from './dissector.js';

const inner = (sport: number) => tcpFrame({ src: '192.168.7.1', dst: '192.168.7.2', sport, dport: 80, seq: 1000, ack: 1, flags: 'PA', payload: 'GET / HTTP/1.1\r\n\r\n' });
/** The inner IPv4 packet (the Ethernet header cut off). */
const innerIp = (sport: number) => inner(sport).subarray(14);

const cat = (...parts: Array<Uint8Array | number[]>) => Buffer.concat(parts.map((x) => Buffer.from(x)));
const eth = (type: number, body: Uint8Array) => cat([2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, type >> 8, type & 255], body);

function checksum(b: Uint8Array): number {
  let s = 0;
  for (let i = 0; i < b.length; i += 2) s += (b[i] << 8) | (b[i + 1] ?? 0);
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return ~s & 0xffff;
}

/** An outer IPv4 header (10.9.0.1 → 10.9.0.2) around `body` with protocol `proto`. */
function ip(proto: number, body: Uint8Array): Uint8Array {
  const h = Buffer.from([0x45, 0, 0, 0, 0, 1, 0x40, 0, 64, proto, 0, 0, 10, 9, 0, 1, 10, 9, 0, 2]);
  h.writeUInt16BE(20 + body.length, 2);
  h.writeUInt16BE(checksum(h), 10);
  return cat(h, body);
}

/** The UDP payload of an outer 10.9.0.1 → 10.9.0.2 datagram to `port`, as an Ethernet frame. */
const udpTo = (port: number, payload: Uint8Array) => udpFrame('10.9.0.1', '10.9.0.2', 50000, port, payload);

interface Case {
  name: string;
  linkType: number;
  frame: Uint8Array;
  /** The layer names expected, in order. */
  chain: string;
  fields: string[];
}

const cases: Case[] = [
  { name: 'MPLS, two labels', linkType: 1, frame: eth(0x8847, cat([0x00, 0x01, 0x00, 0x40, 0x00, 0x02, 0x01, 0x3f], innerIp(1001))), chain: 'eth mpls mpls ip tcp', fields: ['mpls.label', 'mpls.exp', 'mpls.bottom', 'mpls.ttl'] },
  { name: 'MPLS in UDP', linkType: 1, frame: udpTo(6635, cat([0x00, 0x03, 0x01, 0x40], innerIp(1002))), chain: 'eth ip udp mpls ip tcp', fields: ['mpls.label'] },
  { name: 'GRE, IPv4', linkType: 1, frame: eth(0x0800, ip(47, cat([0, 0, 0x08, 0x00], innerIp(1003)))), chain: 'eth ip gre ip tcp', fields: ['gre.flags_and_version', 'gre.proto'] },
  { name: 'GRE with key and sequence, Ethernet', linkType: 1, frame: eth(0x0800, ip(47, cat([0x30, 0, 0x65, 0x58, 0, 0, 0, 42, 0, 0, 0, 7], inner(1004)))), chain: 'eth ip gre eth ip tcp', fields: ['gre.proto', 'gre.key', 'gre.sequence_number'] },
  { name: 'GRE, ERSPAN type II', linkType: 1, frame: eth(0x0800, ip(47, cat([0x10, 0, 0x88, 0xbe, 0, 0, 0, 1, 0x10, 0x00, 0x00, 0x05, 0, 0, 0, 0], inner(1005)))), chain: 'eth ip gre eth ip tcp', fields: ['gre.proto'] },
  { name: 'PPPoE session', linkType: 1, frame: eth(0x8864, cat([0x11, 0, 0, 1, 0, innerIp(1006).length + 2], [0, 0x21], innerIp(1006))), chain: 'eth pppoes ppp ip tcp', fields: ['ppp.protocol'] },
  { name: 'VXLAN', linkType: 1, frame: udpTo(4789, cat([0x08, 0, 0, 0, 0, 0x12, 0x34, 0], inner(1007))), chain: 'eth ip udp vxlan eth ip tcp', fields: ['vxlan.vni'] },
  { name: 'Geneve', linkType: 1, frame: udpTo(6081, cat([0, 0, 0x65, 0x58, 0, 0x00, 0x77, 0], inner(1008))), chain: 'eth ip udp geneve eth ip tcp', fields: ['geneve.vni', 'geneve.proto_type'] },
  { name: 'NSH', linkType: 1, frame: eth(0x894f, cat([0x0f, 0xc2, 0x02, 0x01, 0, 0, 1, 255], innerIp(1009))), chain: 'eth nsh ip tcp', fields: [] },
  { name: 'MACsec, integrity only', linkType: 1, frame: eth(0x88e5, cat([0x00, 0, 0, 0, 0, 9], [0x08, 0x00], innerIp(1010), new Uint8Array(16))), chain: 'eth macsec ip tcp', fields: ['macsec.PN'] },
  { name: 'PIM register', linkType: 1, frame: eth(0x0800, ip(103, cat([0x21, 0, 0, 0, 0, 0, 0, 0], innerIp(1011)))), chain: 'eth ip pim ip tcp', fields: ['pim.version', 'pim.type'] },
  { name: 'Cisco HDLC', linkType: 104, frame: cat([0x0f, 0, 0x08, 0x00], innerIp(1012)), chain: 'chdlc ip tcp', fields: ['chdlc.address', 'chdlc.protocol'] },
  { name: 'PPP in HDLC framing', linkType: 50, frame: cat([0xff, 0x03, 0x00, 0x21], innerIp(1013)), chain: 'ppp ip tcp', fields: ['ppp.protocol'] },
  {
    name: 'NFLOG', linkType: 239,
    frame: (() => {
      const ipb = innerIp(1014);
      const tlv = Buffer.alloc(4);
      tlv.writeUInt16LE(4 + ipb.length, 0);
      tlv.writeUInt16LE(9, 2);
      const pad = new Uint8Array((4 - (ipb.length % 4)) % 4);
      return cat([2, 0, 0, 0], [8, 0, 1, 0, 0x08, 0x00, 3, 0], tlv, ipb, pad);
    })(),
    chain: 'nflog ip tcp', fields: ['nflog.family', 'nflog.res_id'],
  },
];

const iface = (linkType: number): InterfaceDescription => ({ id: 0, linkType, snapLen: 262144, tsResolution: 1e6, tsOffset: 0, comments: [] });
const rec = (linkType: number, data: Uint8Array, origLen = data.length): CaptureRecord =>
  ({ iface: iface(linkType), tsSec: 1710234000, tsNsec: 0, capLen: data.length, origLen, data, comments: [], offset: 0 });

function layerNames(d: Decoder, linkType: number, frame: Uint8Array): string {
  const p = d.decode(rec(linkType, frame));
  const names: string[] = [];
  for (let i = 1; i < p.layers; i++) names.push(dissectorById(p.proto[i]).protocol.name);
  return names.filter((n) => n !== 'http' && n !== 'data').join(' ');
}

test('carriers: each is walked through to the TCP segment it carries', () => {
  const d = new Decoder();
  for (const c of cases) assert.equal(layerNames(d, c.linkType, c.frame), c.chain, c.name);
  // Stopping at the transport layer still follows carriers above a UDP header.
  const t = new Decoder({ transportOnly: true });
  assert.equal(layerNames(t, 1, cases[6].frame), 'eth ip udp vxlan eth ip tcp');
});

function pcap(linkType: number, frames: Uint8Array[]): Buffer {
  const parts: Buffer[] = [];
  const gh = Buffer.alloc(24);
  gh.writeUInt32LE(0xa1b2c3d4, 0);
  gh.writeUInt16LE(2, 4);
  gh.writeUInt16LE(4, 6);
  gh.writeUInt32LE(262144, 16);
  gh.writeUInt32LE(linkType, 20);
  parts.push(gh);
  frames.forEach((f, i) => {
    const h = Buffer.alloc(16);
    h.writeUInt32LE(1710234000 + i, 0);
    h.writeUInt32LE(f.length, 8);
    h.writeUInt32LE(f.length, 12);
    parts.push(h, Buffer.from(f));
  });
  return Buffer.concat(parts);
}

test('carriers: fields, IP/TCP layers and tcp.stream equal tshark', { skip: noTshark }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'wiresage-carriers-'));
  try {
    const byLink = new Map<number, Case[]>();
    for (const c of cases) byLink.set(c.linkType, [...(byLink.get(c.linkType) ?? []), c]);
    let compared = 0;
    for (const [linkType, list] of byLink) {
      const file = join(dir, `link-${linkType}.pcap`);
      writeFileSync(file, pcap(linkType, list.map((c) => c.frame)));
      const fields = [...new Set(['ip.src', 'ip.dst', 'ip.proto', 'tcp.srcport', 'tcp.stream', 'tcp.len', 'udp.stream', ...list.flatMap((c) => c.fields)])];
      const theirs = tsharkFields(file, fields);
      const ours = rows(wiresage(['read', '-T', 'fields', ...fields.flatMap((f) => ['-e', f]), file]).stdout);
      assert.equal(ours.length, theirs.length, `link type ${linkType}: frame count`);
      for (let i = 0; i < list.length; i++) {
        const t = theirs[i];
        const o = ours[i];
        fields.forEach((f, j) => {
          assert.equal(o[j] ?? '', t[j] ?? '', `${list[i].name}: ${f}`);
          compared++;
        });
      }
    }
    assert.ok(compared > 100);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('carriers: every cut and random mutations decode without exceptions', () => {
  const d = new Decoder();
  let seed = 0xc0ffee;
  const rand = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
  for (const c of cases) {
    for (let len = 0; len <= c.frame.length; len++) {
      for (const origLen of [c.frame.length, len]) {
        const p = d.decode(rec(c.linkType, c.frame.subarray(0, len), origLen));
        assert.ok(!p.malformed?.startsWith('dissector bug'), `${c.name} cut at ${len}: ${p.malformed}`);
      }
    }
    for (let k = 0; k < 300; k++) {
      const m = Uint8Array.from(c.frame);
      for (let j = 0; j < 1 + Math.floor(rand() * 4); j++) m[Math.floor(rand() * m.length)] = Math.floor(rand() * 256);
      const p = d.decode(rec(c.linkType, m));
      assert.ok(!p.malformed?.startsWith('dissector bug'), `${c.name} mutation ${k}: ${p.malformed}`);
    }
  }
});
