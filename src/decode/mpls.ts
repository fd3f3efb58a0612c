/**
 * MPLS label stack entries (RFC 3032), ethertypes 0x8847/0x8848, PPP 0x0281/0x0283 and UDP
 * port 6635 (RFC 7510): one
 * `mpls` layer per 4-byte entry (label 20 bits, traffic class 3, bottom of stack 1, TTL 8),
 * as Wireshark shows them. After the bottom entry the payload is guessed as Wireshark does by
 * default: IPv4 or IPv6 by the first nibble, anything else is data.
 */
import { defineFields } from '../fields/field.js';
import { u32 } from './bytes.js';
import { etherTypes, registerDissector, STOP, udpPorts } from './dissector.js';
import { data } from './data.js';
import { ipv4 } from './ipv4.js';
import { ipv6 } from './ipv6.js';

const ENTRY = 4;

export const mplsFields = defineFields('mpls', {
  label: { display: 'MPLS Label', type: 'uint32', base: 'dec_hex', mask: 0xfffff000 },
  exp: { display: 'MPLS Experimental Bits', type: 'uint32', base: 'dec', mask: 0x00000e00 },
  bottom: { display: 'MPLS Bottom Of Label Stack', type: 'uint32', base: 'dec', mask: 0x00000100 },
  ttl: { display: 'MPLS TTL', type: 'uint32', base: 'dec', mask: 0x000000ff },
});

export const mpls = registerDissector({
  name: 'mpls',
  display: 'MultiProtocol Label Switching Header',
  carrier: true,
  decode(p, layer) {
    const b = p.bufferOf(layer);
    const o = p.start[layer];
    if (p.limit[layer] - o < ENTRY) {
      p.markShort(layer, o + ENTRY, 'MPLS label stack entry shorter than 4 bytes');
      p.end[layer] = p.limit[layer];
      return STOP;
    }
    p.end[layer] = o + ENTRY;
    if (!(b[o + 2] & 1)) return mpls.id;
    if (p.limit[layer] <= o + ENTRY || b.length <= o + ENTRY) return STOP;
    const version = b[o + ENTRY] >> 4;
    return version === 4 ? ipv4.id : version === 6 ? ipv6.id : data.id;
  },
  summary(p, layer) {
    const b = p.bufferOf(layer);
    const o = p.start[layer];
    if (b.length < o + ENTRY) return 'MultiProtocol Label Switching Header';
    const w = u32(b, o);
    return `MultiProtocol Label Switching Header, Label: ${w >>> 12}, Exp: ${(w >> 9) & 7}, S: ${(w >> 8) & 1}, TTL: ${w & 0xff}`;
  },
  tree(p, layer, s) {
    const b = p.bufferOf(layer);
    const o = p.start[layer];
    if (b.length < o + ENTRY) return;
    s.add(mplsFields.label, b, o, 4);
    s.add(mplsFields.exp, b, o, 4);
    s.add(mplsFields.bottom, b, o, 4);
    s.add(mplsFields.ttl, b, o, 4);
  },
});

etherTypes.add(0x8847, mpls);
etherTypes.add(0x8848, mpls);
// MPLS in UDP (RFC 7510).
udpPorts.add(6635, mpls);

// ---- Packet-list columns (Wireshark's Info text) ----
/** `MPLS Label Switched Packet` until the carried packet writes its own text. */
mpls.info = (_p, _layer, col) => {
  col.setProtocol('MPLS');
  col.set('MPLS Label Switched Packet');
};
