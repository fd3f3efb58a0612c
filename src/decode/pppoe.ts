/**
 * PPPoE session stage (RFC 2516, ethertype 0x8864): version/type, code, session id, payload
 * length (which bounds the payload), then a PPP protocol field and the PPP payload. The discovery stage (0x8863) is not
 * followed (it carries no IP).
 */
import { u16 } from './bytes.js';
import { etherTypes, registerDissector, STOP } from './dissector.js';
import { ppp } from './ppp.js';

const HEADER = 6;

export const pppoes = registerDissector({
  name: 'pppoes',
  display: 'PPP-over-Ethernet Session',
  carrier: true,
  decode(p, layer) {
    const o = p.start[layer];
    if (p.limit[layer] - o < HEADER + 2) {
      p.markShort(layer, o + HEADER + 2, 'PPPoE session header shorter than 8 bytes');
      p.end[layer] = p.limit[layer];
      return STOP;
    }
    p.end[layer] = o + HEADER;
    // The payload is as long as the header says (the rest is Ethernet padding).
    const length = u16(p.bufferOf(layer), o + 4);
    p.nextEnd = Math.min(p.limit[layer], o + HEADER + length);
    return length >= 2 ? ppp.id : STOP;
  },
  summary: () => 'PPP-over-Ethernet Session',
  tree() {
    // The protocol item over the 6-byte header; the PPP layer shows the protocol field.
  },
});

etherTypes.add(0x8864, pppoes);
