/**
 * PIM (RFC 7761, IP protocol 103): the common header (version, type, checksum). A Register
 * message (type 1) carries the multicast packet it registers after an 8-byte header, which
 * is dissected (its TCP/UDP joins its own conversation, as in Wireshark); other PIM messages
 * are data here.
 */
import { defineFields } from '../fields/field.js';
import { ipProtocols, registerDissector, STOP } from './dissector.js';
import { data } from './data.js';
import { ipv4 } from './ipv4.js';
import { ipv6 } from './ipv6.js';

const HEADER = 4;
const REGISTER = 1;
const REGISTER_HEADER = 8;

const pimTypes: Record<number, string> = {
  0: 'Hello', 1: 'Register', 2: 'Register-stop', 3: 'Join/Prune', 4: 'Bootstrap', 5: 'Assert', 6: 'Graft', 7: 'Graft-Ack', 8: 'Candidate-RP-Advertisement',
};

export const pimFields = defineFields('pim', {
  version: { display: 'Version', type: 'uint8', base: 'dec', mask: 0xf0 },
  type: { display: 'Type', type: 'uint8', base: 'dec', mask: 0x0f, values: pimTypes },
  cksum: { display: 'Checksum', type: 'uint16', base: 'hex' },
});

export const pim = registerDissector({
  name: 'pim',
  display: 'Protocol Independent Multicast',
  carrier: true,
  decode(p, layer) {
    const b = p.bufferOf(layer);
    const o = p.start[layer];
    if (p.limit[layer] - o < HEADER) {
      p.markShort(layer, o + HEADER, 'PIM header shorter than 4 bytes');
      p.end[layer] = p.limit[layer];
      return STOP;
    }
    if ((b[o] & 0x0f) !== REGISTER || p.limit[layer] - o < REGISTER_HEADER + 1 || b.length <= o + REGISTER_HEADER) {
      p.end[layer] = p.limit[layer];
      return STOP;
    }
    p.end[layer] = o + REGISTER_HEADER;
    const version = b[o + REGISTER_HEADER] >> 4;
    return version === 4 ? ipv4.id : version === 6 ? ipv6.id : data.id;
  },
  summary: () => 'Protocol Independent Multicast',
  tree(p, layer, s) {
    const b = p.bufferOf(layer);
    const o = p.start[layer];
    if (b.length < o + HEADER) return;
    s.add(pimFields.version, b, o, 1);
    s.add(pimFields.type, b, o, 1);
    s.add(pimFields.cksum, b, o + 2, 2);
  },
});

ipProtocols.add(103, pim);

// ---- Packet-list columns (Wireshark's Info text) ----
/** Message types beyond the tree's (RFC 5015 DF election, RFC 3973 state refresh…), as packet-pim.c names them. */
const moreTypes: Record<number, string> = { 9: 'State-Refresh', 10: 'DF election', 11: 'ECMP Redirect', 12: 'PFM', 13: 'Packed Null-Register' };

/** `PIMv2` and the message type; a Register's encapsulated packet writes nothing (packet-pim.c). */
pim.info = (p, layer, col) => {
  const b = p.bufferOf(layer);
  const o = p.start[layer];
  col.setProtocol('PIM');
  col.clear();
  if (Math.min(b.length, p.limit[layer]) < o + 1) return;
  const type = b[o] & 0x0f;
  col.setProtocol(`PIMv${b[o] >> 4}`);
  col.set(pimTypes[type] ?? moreTypes[type] ?? `Unknown (${type})`);
  // The encapsulated packet is dissected with the columns read-only, its damage caught by PIM.
  if (type === REGISTER) {
    col.writable = false;
    col.quiet(layer, true);
  }
};
