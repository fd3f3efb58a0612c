/**
 * GRE (RFC 2784/2890, IP protocol 47): flags and version, protocol type, then the optional
 * checksum, key and sequence number words; the payload goes by the protocol type through the
 * ethertype table (IPv4, IPv6, MPLS, Ethernet as 0x6558 transparent bridging). Two carriers
 * are stepped over here, as the flow engine needs their inner packet: ERSPAN type II (0x88be,
 * an 8-byte header before the mirrored Ethernet frame when the sequence bit is set), ERSPAN
 * type III (0x22eb, 12 bytes + an 8-byte platform subheader when its O bit is set; frame
 * type 0, Ethernet, is followed) and WCCP
 * (0x883e, a 4-byte redirect header before IPv4).
 */
import { defineFields } from '../fields/field.js';
import { u16, u32 } from './bytes.js';
import { etherTypes, ipProtocols, registerDissector, STOP } from './dissector.js';
import { data } from './data.js';
import { ethernet } from './ethernet.js';
import { ipv4 } from './ipv4.js';

const BASE = 4;
const F_CHECKSUM = 0x8000;
const F_KEY = 0x2000;
const F_SEQUENCE = 0x1000;
const ERSPAN = 0x88be;
const ERSPAN_III = 0x22eb;
const WCCP = 0x883e;

export const greFields = defineFields('gre', {
  flags_and_version: { display: 'Flags and Version', type: 'uint16', base: 'hex' },
  proto: { display: 'Protocol Type', type: 'uint16', base: 'hex' },
  checksum: { display: 'Checksum', type: 'uint16', base: 'hex' },
  key: { display: 'Key', type: 'uint32', base: 'hex' },
  sequence_number: { display: 'Sequence Number', type: 'uint32', base: 'dec' },
});

/** Length of the GRE header at `o` with flags `flags` (optional words included). */
function headerLength(flags: number): number {
  let n = BASE;
  if (flags & (F_CHECKSUM | 0x4000)) n += 4; // checksum (+ offset when routing is present)
  if (flags & F_KEY) n += 4;
  if (flags & F_SEQUENCE) n += 4;
  return n;
}

export const gre = registerDissector({
  name: 'gre',
  display: 'Generic Routing Encapsulation',
  carrier: true,
  decode(p, layer) {
    const b = p.bufferOf(layer);
    const o = p.start[layer];
    if (p.limit[layer] - o < BASE) {
      p.markShort(layer, o + BASE, 'GRE header shorter than 4 bytes');
      p.end[layer] = p.limit[layer];
      return STOP;
    }
    const flags = u16(b, o);
    const type = u16(b, o + 2);
    const hl = headerLength(flags);
    if (p.limit[layer] - o < hl) {
      p.markShort(layer, o + hl, 'GRE optional fields beyond the end of the packet');
      p.end[layer] = p.limit[layer];
      return STOP;
    }
    p.end[layer] = o + hl;
    if (type === ERSPAN) {
      // ERSPAN type II carries an 8-byte header (type I, without the sequence bit, none).
      p.nextStart = o + hl + (flags & F_SEQUENCE ? 8 : 0);
      return ethernet.id;
    }
    if (type === ERSPAN_III) {
      // ERSPAN type III: a 12-byte header, plus an 8-byte platform subheader when its O bit is set.
      const e = o + hl;
      if (p.limit[layer] - e < 12 || b.length < e + 12) return data.id;
      p.nextStart = e + 12 + (b[e + 11] & 0x01 ? 8 : 0);
      // Frame type 0 is an Ethernet frame; others (IP, reserved) are left as data, as tshark does.
      return (b[e + 10] >> 2) & 0x1f ? data.id : ethernet.id;
    }
    if (type === WCCP) {
      p.nextStart = o + hl + 4;
      return ipv4.id;
    }
    const next = etherTypes.get(type);
    return next === STOP ? data.id : next;
  },
  summary(p, layer) {
    const b = p.bufferOf(layer);
    const o = p.start[layer];
    if (b.length < o + BASE) return 'Generic Routing Encapsulation';
    return `Generic Routing Encapsulation (0x${u16(b, o + 2).toString(16).padStart(4, '0')})`;
  },
  tree(p, layer, s) {
    const b = p.bufferOf(layer);
    const o = p.start[layer];
    if (b.length < o + BASE) return;
    const flags = u16(b, o);
    s.add(greFields.flags_and_version, b, o, 2);
    s.add(greFields.proto, b, o + 2, 2);
    let at = o + BASE;
    if (flags & (F_CHECKSUM | 0x4000)) {
      if (b.length < at + 2) return;
      if (flags & F_CHECKSUM) s.add(greFields.checksum, b, at, 2);
      at += 4;
    }
    if (flags & F_KEY) {
      if (b.length < at + 4) return;
      s.add(greFields.key, b, at, 4, u32(b, at));
      at += 4;
    }
    if (flags & F_SEQUENCE && b.length >= at + 4) s.add(greFields.sequence_number, b, at, 4, u32(b, at));
  },
});

ipProtocols.add(47, gre);
etherTypes.add(0x6558, ethernet);

// ---- Packet-list columns (Wireshark's Info text) ----
import { etherTypeNames } from './ethernet.js';

/**
 * `GRE`, `Encapsulated …`: what packet-gre.c writes before handing the payload on; ERSPAN's
 * header writes `ERSPAN:`, which the mirrored frame replaces when it is dissected.
 */
gre.info = (p, layer, col) => {
  const b = p.bufferOf(layer);
  const o = p.start[layer];
  col.setProtocol('GRE');
  col.clear();
  if (Math.min(b.length, p.limit[layer]) < o + BASE) return;
  const type = u16(b, o + 2);
  if (type === ERSPAN || type === ERSPAN_III) {
    col.setProtocol('ERSPAN');
    col.set('ERSPAN:');
    return;
  }
  // Protocol type 0 with no payload is how Cisco's GRE keepalives look (packet-gre.c).
  const name = type === 0 ? 'Possible GRE keepalive packet' : etherTypeNames[type] ?? `0x${type.toString(16).padStart(4, '0')} (unknown)`;
  col.set(`Encapsulated ${name}`);
};
