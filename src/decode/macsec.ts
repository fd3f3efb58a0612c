/**
 * IEEE 802.1AE MACsec (ethertype 0x88e5): the SecTAG (TCI/AN, short length, packet number,
 * and the 8-byte SCI when the SC bit is set). A frame that is neither encrypted nor changed
 * (E and C clear) carries its ethertype and payload in clear, which are followed: as long as
 * the short length says when it is set, else up to the 16-byte ICV. Encrypted frames are data.
 */
import { defineFields } from '../fields/field.js';
import { u16, u32 } from './bytes.js';
import { etherTypes, registerDissector, STOP } from './dissector.js';
import { data } from './data.js';

const SECTAG = 6;
const SCI = 8;
const ICV = 16;

export const macsecFields = defineFields('macsec', {
  TCI: { display: 'TCI', type: 'uint8', base: 'hex' },
  SL: { display: 'Short length', type: 'uint8', base: 'dec', mask: 0x3f },
  PN: { display: 'Packet number', type: 'uint32', base: 'dec' },
  etype: { display: 'Ethertype', type: 'uint16', base: 'hex' },
});

export const macsec = registerDissector({
  name: 'macsec',
  display: '802.1AE Security tag',
  carrier: true,
  decode(p, layer) {
    const b = p.bufferOf(layer);
    const o = p.start[layer];
    if (p.limit[layer] - o < SECTAG) {
      p.markShort(layer, o + SECTAG, 'MACsec SecTAG shorter than 6 bytes');
      p.end[layer] = p.limit[layer];
      return STOP;
    }
    const tci = b[o];
    const hl = SECTAG + (tci & 0x20 ? SCI : 0);
    if (tci & 0x0c || p.limit[layer] - o < hl + 2) {
      p.end[layer] = Math.min(p.limit[layer], o + hl);
      return p.end[layer] < p.limit[layer] ? data.id : STOP;
    }
    p.end[layer] = o + hl + 2;
    // The secure data (ethertype + payload) is the short length when set, else all but the ICV.
    const sl = b[o + 1] & 0x3f;
    const dataEnd = sl ? o + hl + sl : p.limit[layer] - ICV;
    if (dataEnd > p.end[layer]) p.nextEnd = Math.min(p.limit[layer], dataEnd);
    const next = etherTypes.get(u16(b, o + hl));
    return next === STOP ? data.id : next;
  },
  summary: () => '802.1AE Security tag',
  tree(p, layer, s) {
    const b = p.bufferOf(layer);
    const o = p.start[layer];
    if (b.length < o + SECTAG) return;
    s.add(macsecFields.TCI, b, o, 1);
    s.add(macsecFields.SL, b, o + 1, 1);
    s.add(macsecFields.PN, b, o + 2, 4, u32(b, o + 2));
    const hl = SECTAG + (b[o] & 0x20 ? SCI : 0);
    if (!(b[o] & 0x0c) && b.length >= o + hl + 2) s.add(macsecFields.etype, b, o + hl, 2);
  },
});

etherTypes.add(0x88e5, macsec);

// ---- Packet-list columns (Wireshark's Info text) ----
/** `MACsec frame` (an encrypted payload stays so; a clear one is replaced by what it carries). */
macsec.info = (_p, _layer, col) => {
  col.setProtocol('MACSEC');
  col.set('MACsec frame');
};
