/**
 * Network Service Header (RFC 8300, ethertype 0x894f, and inside VXLAN-GPE): base header
 * (version, O bit, TTL, length in 4-byte words, MD type, next protocol), service path header
 * and metadata; the payload is IPv4 (next protocol 1), IPv6 (2) or Ethernet (3).
 */
import { defineFields } from '../fields/field.js';
import { etherTypes, registerDissector, STOP } from './dissector.js';
import { data } from './data.js';
import { ethernet } from './ethernet.js';
import { ipv4 } from './ipv4.js';
import { ipv6 } from './ipv6.js';

const MIN_HEADER = 8;

export const nshFields = defineFields('nsh', {
  length: { display: 'Length', type: 'uint16', base: 'dec_hex', mask: 0x003f },
  mdtype: { display: 'MD Type', type: 'uint8', base: 'dec_hex', mask: 0x0f },
  next_proto: { display: 'Next Protocol', type: 'uint8', base: 'dec_hex' },
});

export const nsh = registerDissector({
  name: 'nsh',
  display: 'Network Service Header',
  carrier: true,
  decode(p, layer) {
    const b = p.bufferOf(layer);
    const o = p.start[layer];
    if (p.limit[layer] - o < MIN_HEADER) {
      p.markShort(layer, o + MIN_HEADER, 'NSH shorter than 8 bytes');
      p.end[layer] = p.limit[layer];
      return STOP;
    }
    const len = (b[o + 1] & 0x3f) * 4;
    if (len < MIN_HEADER || o + len > p.limit[layer]) {
      p.markMalformed(layer, `NSH length ${len} out of range`);
      p.end[layer] = p.limit[layer];
      return STOP;
    }
    p.end[layer] = o + len;
    const next = b[o + 3];
    return next === 1 ? ipv4.id : next === 2 ? ipv6.id : next === 3 ? ethernet.id : data.id;
  },
  summary: () => 'Network Service Header',
  tree(p, layer, s) {
    const b = p.bufferOf(layer);
    const o = p.start[layer];
    if (b.length < o + 4) return;
    s.add(nshFields.length, b, o, 2);
    s.add(nshFields.mdtype, b, o + 2, 1);
    s.add(nshFields.next_proto, b, o + 3, 1);
  },
});

etherTypes.add(0x894f, nsh);
