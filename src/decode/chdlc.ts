/**
 * Cisco HDLC (link type 104): address, control, then an ethertype for the payload (0x8035 is
 * SLARP, Cisco's keepalive/address protocol, shown as data).
 */
import { defineFields } from '../fields/field.js';
import { u16 } from './bytes.js';
import { etherTypes, linkTypes, registerDissector, STOP } from './dissector.js';
import { data } from './data.js';

const HEADER = 4;
const SLARP = 0x8035;

export const chdlcFields = defineFields('chdlc', {
  address: { display: 'Address', type: 'uint8', base: 'hex' },
  protocol: { display: 'Protocol', type: 'uint16', base: 'hex' },
});

export const chdlc = registerDissector({
  name: 'chdlc',
  display: 'Cisco HDLC',
  carrier: true,
  decode(p, layer) {
    const b = p.bufferOf(layer);
    const o = p.start[layer];
    if (p.limit[layer] - o < HEADER) {
      p.markShort(layer, o + HEADER, 'Cisco HDLC header shorter than 4 bytes');
      p.end[layer] = p.limit[layer];
      return STOP;
    }
    p.end[layer] = o + HEADER;
    const type = u16(b, o + 2);
    // 0x8035 is Cisco's SLARP here, not RARP.
    if (type === SLARP) return data.id;
    const next = etherTypes.get(type);
    return next === STOP ? data.id : next;
  },
  summary: () => 'Cisco HDLC',
  tree(p, layer, s) {
    const b = p.bufferOf(layer);
    const o = p.start[layer];
    if (b.length < o + HEADER) return;
    s.add(chdlcFields.address, b, o, 1);
    s.add(chdlcFields.protocol, b, o + 2, 2);
  },
});

linkTypes.add(104, chdlc);

// ---- Packet-list columns (Wireshark's Info text) ----
/** Protocol `CHDLC` until the layer above writes its own. */
chdlc.info = (_p, _layer, col) => {
  col.setProtocol('CHDLC');
  col.clear();
};
