/**
 * PPP (RFC 1661) as a link type (9, and 50 = PPP in HDLC-like framing) and inside PPPoE: an
 * optional FF 03 address/control pair, then the protocol field (2 bytes, or 1 when
 * compressed: an odd first byte). IPv4 (0x0021), IPv6 (0x0057) and MPLS (0x0281/0x0283) are
 * followed; control protocols (LCP, IPCP…) are data.
 */
import { defineFields } from '../fields/field.js';
import { u16 } from './bytes.js';
import { DissectorTable, linkTypes, registerDissector, STOP } from './dissector.js';
import { data } from './data.js';
import { ipv4 } from './ipv4.js';
import { ipv6 } from './ipv6.js';
import { mpls } from './mpls.js';

export const pppFields = defineFields('ppp', {
  address: { display: 'Address', type: 'uint8', base: 'hex' },
  control: { display: 'Control', type: 'uint8', base: 'hex' },
  protocol: { display: 'Protocol', type: 'uint16', base: 'hex' },
});

/** PPP protocol numbers → dissectors (Wireshark's `ppp.protocol` table). */
export const pppProtocols = new DissectorTable('ppp.protocol', 65536);

/** Where the protocol field starts and how long it is: [offset, length], or null when cut. */
function protocolAt(b: Uint8Array, o: number, end: number): [number, number] | null {
  let at = o;
  if (end - at >= 2 && b[at] === 0xff && b[at + 1] === 0x03) at += 2;
  if (end - at < 1) return null;
  if (b[at] & 1) return [at, 1];
  return end - at < 2 ? null : [at, 2];
}

export const ppp = registerDissector({
  name: 'ppp',
  display: 'Point-to-Point Protocol',
  carrier: true,
  decode(p, layer) {
    const b = p.bufferOf(layer);
    const o = p.start[layer];
    const end = Math.min(p.limit[layer], b.length);
    const pf = protocolAt(b, o, end);
    if (!pf) {
      p.markShort(layer, o + 2, 'PPP protocol field missing');
      p.end[layer] = p.limit[layer];
      return STOP;
    }
    const [at, len] = pf;
    p.end[layer] = at + len;
    const proto = len === 1 ? b[at] : u16(b, at);
    const next = pppProtocols.get(proto);
    return next === STOP ? data.id : next;
  },
  summary: () => 'Point-to-Point Protocol',
  tree(p, layer, s) {
    const b = p.bufferOf(layer);
    const o = p.start[layer];
    const pf = protocolAt(b, o, Math.min(p.limit[layer], b.length));
    if (!pf) return;
    const [at, len] = pf;
    if (at > o) {
      s.add(pppFields.address, b, o, 1);
      s.add(pppFields.control, b, o + 1, 1);
    }
    s.add(pppFields.protocol, b, at, len, len === 1 ? b[at] : u16(b, at));
  },
});

pppProtocols.add(0x0021, ipv4);
pppProtocols.add(0x0057, ipv6);
pppProtocols.add(0x0281, mpls);
pppProtocols.add(0x0283, mpls);
linkTypes.add(9, ppp);
linkTypes.add(50, ppp);

// ---- Packet-list columns (Wireshark's Info text) ----
/** Protocol `PPP`; a protocol number no dissector takes names itself as packet-ppp.c does (`PPP Unknown (0x3030)`). */
ppp.info = (p, layer, col) => {
  const b = p.bufferOf(layer);
  const o = p.start[layer];
  col.setProtocol('PPP');
  const pf = protocolAt(b, o, Math.min(p.limit[layer], b.length));
  if (!pf) return;
  const proto = pf[1] === 1 ? b[pf[0]] : u16(b, pf[0]);
  if (pppProtocols.get(proto) !== STOP) return;
  const hex = `0x${proto.toString(16).padStart(4, '0')}`;
  col.setProtocol(hex);
  col.set(`PPP Unknown (${hex})`);
};
