/**
 * Geneve (RFC 8926, UDP 6081): version and option length, flags, protocol type, 24-bit VNI,
 * options; the payload goes by the protocol type (0x6558 Ethernet, IPv4, IPv6…).
 */
import { defineFields } from '../fields/field.js';
import { u16, u24 } from './bytes.js';
import { etherTypes, registerDissector, STOP, udpPorts } from './dissector.js';
import { data } from './data.js';

const HEADER = 8;

export const geneveFields = defineFields('geneve', {
  version: { display: 'Version', type: 'uint8', base: 'dec', mask: 0xc0 },
  proto_type: { display: 'Protocol Type', type: 'uint16', base: 'hex' },
  vni: { display: 'Virtual Network Identifier (VNI)', type: 'uint24', base: 'hex_dec' },
});

export const geneve = registerDissector({
  name: 'geneve',
  display: 'Generic Network Virtualization Encapsulation',
  carrier: true,
  decode(p, layer) {
    const b = p.bufferOf(layer);
    const o = p.start[layer];
    if (p.limit[layer] - o < HEADER) {
      p.markShort(layer, o + HEADER, 'Geneve header shorter than 8 bytes');
      p.end[layer] = p.limit[layer];
      return STOP;
    }
    const hl = HEADER + (b[o] & 0x3f) * 4;
    if (o + hl > p.limit[layer]) {
      p.markShort(layer, o + hl, 'Geneve options beyond the end of the packet');
      p.end[layer] = p.limit[layer];
      return STOP;
    }
    p.end[layer] = o + hl;
    const next = etherTypes.get(u16(b, o + 2));
    return next === STOP ? data.id : next;
  },
  summary: () => 'Generic Network Virtualization Encapsulation',
  tree(p, layer, s) {
    const b = p.bufferOf(layer);
    const o = p.start[layer];
    if (b.length < o + HEADER) return;
    s.add(geneveFields.version, b, o, 1);
    s.add(geneveFields.proto_type, b, o + 2, 2);
    s.add(geneveFields.vni, b, o + 4, 3, u24(b, o + 4));
  },
});

udpPorts.add(6081, geneve);
