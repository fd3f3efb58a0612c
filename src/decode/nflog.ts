/**
 * Linux NFLOG (link type 239): a 4-byte header (address family, version, resource id) and
 * TLVs in host byte order (length includes the 4-byte TLV header, padded to 4). The payload
 * TLV (type 9) holds the logged IP packet: IPv4 or IPv6 by the header's family.
 */
import { defineFields } from '../fields/field.js';
import { u16, u16le } from './bytes.js';
import { linkTypes, registerDissector, STOP } from './dissector.js';
import { data } from './data.js';
import { ipv4 } from './ipv4.js';
import { ipv6 } from './ipv6.js';

const HEADER = 4;
const TLV_PAYLOAD = 9;
const AF_INET6 = 10;

export const nflogFields = defineFields('nflog', {
  family: { display: 'Family', type: 'uint8', base: 'dec' },
  version: { display: 'Version', type: 'uint8', base: 'dec' },
  res_id: { display: 'Resource id', type: 'uint16', base: 'dec' },
});

export const nflog = registerDissector({
  name: 'nflog',
  display: 'Linux Netfilter NFLOG',
  carrier: true,
  decode(p, layer) {
    const b = p.bufferOf(layer);
    const o = p.start[layer];
    const end = Math.min(p.limit[layer], b.length);
    if (end - o < HEADER) {
      p.markShort(layer, o + HEADER, 'NFLOG header shorter than 4 bytes');
      p.end[layer] = p.limit[layer];
      return STOP;
    }
    let at = o + HEADER;
    while (end - at >= 4) {
      const len = u16le(b, at);
      const type = u16le(b, at + 2) & 0x7fff;
      if (len < 4) break;
      if (type === TLV_PAYLOAD) {
        p.end[layer] = at + 4;
        p.nextStart = at + 4;
        p.nextEnd = Math.min(p.limit[layer], at + len);
        return b[o] === AF_INET6 ? ipv6.id : ipv4.id;
      }
      at += (len + 3) & ~3;
    }
    p.end[layer] = p.limit[layer];
    return STOP;
  },
  summary: () => 'Linux Netfilter NFLOG',
  tree(p, layer, s) {
    const b = p.bufferOf(layer);
    const o = p.start[layer];
    if (b.length < o + HEADER) return;
    s.add(nflogFields.family, b, o, 1);
    s.add(nflogFields.version, b, o + 1, 1);
    s.add(nflogFields.res_id, b, o + 2, 2, u16(b, o + 2));
  },
});

linkTypes.add(239, nflog);
void data;
