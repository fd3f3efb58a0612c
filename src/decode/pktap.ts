/**
 * Apple PKTAP (link type 258): a little-endian header (its length, then the link type of the
 * frame that follows, interface and process metadata). An Ethernet frame after it is
 * dissected; other inner link types are data.
 */
import { defineFields } from '../fields/field.js';
import { u32le } from './bytes.js';
import { linkTypes, registerDissector, STOP } from './dissector.js';
import { data } from './data.js';
import { ethernet } from './ethernet.js';

const MIN_HEADER = 8;

export const pktapFields = defineFields('pktap', {
  hdrlen: { display: 'Header length', type: 'uint32', base: 'dec' },
  rectype: { display: 'Record type', type: 'uint32', base: 'dec' },
  dlt: { display: 'DLT', type: 'uint32', base: 'dec' },
});

export const pktap = registerDissector({
  name: 'pktap',
  display: 'PKTAP packet header',
  carrier: true,
  decode(p, layer) {
    const b = p.bufferOf(layer);
    const o = p.start[layer];
    if (p.limit[layer] - o < MIN_HEADER) {
      p.markShort(layer, o + MIN_HEADER, 'PKTAP header shorter than 8 bytes');
      p.end[layer] = p.limit[layer];
      return STOP;
    }
    const hl = u32le(b, o);
    if (hl < MIN_HEADER || o + hl > p.limit[layer]) {
      p.markMalformed(layer, `PKTAP header length ${hl} out of range`);
      p.end[layer] = p.limit[layer];
      return STOP;
    }
    p.end[layer] = o + hl;
    // A packet record (type 1) whose link type (DLT) is Ethernet.
    return hl >= 12 && u32le(b, o + 4) === 1 && u32le(b, o + 8) === 1 ? ethernet.id : data.id;
  },
  summary: () => 'PKTAP packet header',
  tree(p, layer, s) {
    const b = p.bufferOf(layer);
    const o = p.start[layer];
    if (b.length < o + 12) return;
    s.add(pktapFields.hdrlen, b, o, 4, u32le(b, o));
    s.add(pktapFields.rectype, b, o + 4, 4, u32le(b, o + 4));
    s.add(pktapFields.dlt, b, o + 8, 4, u32le(b, o + 8));
  },
});

linkTypes.add(258, pktap);
