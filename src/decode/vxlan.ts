/**
 * VXLAN (RFC 7348, UDP 4789): flags, 24-bit VNI, then an Ethernet frame; and VXLAN-GPE
 * (UDP 4790), whose next-protocol byte says what follows (1 IPv4, 2 IPv6, 3 Ethernet, 4 NSH).
 * Wireshark shows both as `vxlan` and follows the inner frame, whose TCP/UDP joins its own
 * conversation.
 */
import { defineFields } from '../fields/field.js';
import { u24 } from './bytes.js';
import { registerDissector, STOP, udpPorts } from './dissector.js';
import { data } from './data.js';
import { ethernet } from './ethernet.js';
import { ipv4 } from './ipv4.js';
import { ipv6 } from './ipv6.js';
import { nsh } from './nsh.js';

const HEADER = 8;
const GPE_PORT = 4790;

export const vxlanFields = defineFields('vxlan', {
  flags: { display: 'Flags', type: 'uint16', base: 'hex' },
  next_proto: { display: 'Next Protocol', type: 'uint8', base: 'dec' },
  vni: { display: 'VXLAN Network Identifier (VNI)', type: 'uint24', base: 'dec' },
});

/** True when the layer below is UDP on the VXLAN-GPE port. */
function isGpe(p: import('./packet.js').Packet, layer: number): boolean {
  if (layer < 1) return false;
  const b = p.bufferOf(layer - 1);
  const o = p.start[layer - 1];
  return b.length >= o + 4 && (((b[o] << 8) | b[o + 1]) === GPE_PORT || ((b[o + 2] << 8) | b[o + 3]) === GPE_PORT);
}

export const vxlan = registerDissector({
  name: 'vxlan',
  display: 'Virtual eXtensible Local Area Network',
  carrier: true,
  decode(p, layer) {
    const b = p.bufferOf(layer);
    const o = p.start[layer];
    if (p.limit[layer] - o < HEADER) {
      p.markShort(layer, o + HEADER, 'VXLAN header shorter than 8 bytes');
      p.end[layer] = p.limit[layer];
      return STOP;
    }
    p.end[layer] = o + HEADER;
    if (!isGpe(p, layer)) return ethernet.id;
    const next = b[o + 3];
    return next === 1 ? ipv4.id : next === 2 ? ipv6.id : next === 3 ? ethernet.id : next === 4 ? nsh.id : data.id;
  },
  summary: () => 'Virtual eXtensible Local Area Network',
  tree(p, layer, s) {
    const b = p.bufferOf(layer);
    const o = p.start[layer];
    if (b.length < o + HEADER) return;
    s.add(vxlanFields.flags, b, o, 2);
    if (isGpe(p, layer)) s.add(vxlanFields.next_proto, b, o + 3, 1);
    s.add(vxlanFields.vni, b, o + 4, 3, u24(b, o + 4));
  },
});

udpPorts.add(4789, vxlan);
udpPorts.add(GPE_PORT, vxlan);
void STOP;
