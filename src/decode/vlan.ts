/**
 * IEEE 802.1Q VLAN tags, and 802.1ad / old Q-in-Q outer tags which carry the same 4 bytes:
 * TCI (priority 3 bits, DEI 1 bit, VLAN id 12 bits) then the inner ethertype.
 * Wireshark 4.0 shows 0x8100 and the old Q-in-Q 0x9100 as `vlan` layers, and the 802.1ad
 * service tag 0x88a8 as an `ieee8021ad` layer with its own fields.
 */
import { defineFields } from '../fields/field.js';
import { u16 } from './bytes.js';
import { etherTypes, registerDissector, STOP } from './dissector.js';
import { data } from './data.js';
import { addPayloadTrailer, etherTypeNames } from './ethernet.js';

const HEADER = 4;

/** IEEE 802.1Q priority code points (packet-vlan.c's `pri_vals`). */
export const priorityNames: Record<number, string> = {
  0: 'Best Effort (default)', 1: 'Background', 2: 'Excellent Effort', 3: 'Critical Applications',
  4: 'Video, < 100ms latency and jitter', 5: 'Voice, < 10ms latency and jitter', 6: 'Internetwork Control', 7: 'Network Control',
};

export const vlanFields = defineFields('vlan', {
  priority: { display: 'Priority', type: 'uint16', base: 'dec', mask: 0xe000, values: priorityNames },
  dei: { display: 'DEI', type: 'bool', mask: 0x1000, bits: 16, trueFalse: ['Eligible', 'Ineligible'] },
  id: { display: 'ID', type: 'uint16', base: 'dec', mask: 0x0fff },
  etype: { display: 'Type', type: 'uint16', base: 'hex' },
  len: { display: 'Length', type: 'uint16', base: 'dec' },
});

export const vlan = registerDissector({
  name: 'vlan',
  display: '802.1Q Virtual LAN',
  decode(p, layer) {
    const b = p.bufferOf(layer);
    const o = p.start[layer];
    if (p.limit[layer] - o < HEADER) {
      p.markShort(layer, o + HEADER, '802.1Q tag shorter than 4 bytes');
      p.end[layer] = p.limit[layer];
      return STOP;
    }
    p.end[layer] = o + HEADER;
    const type = u16(b, o + 2);
    if (type < 0x0600) {
      p.nextEnd = Math.min(p.limit[layer], o + HEADER + type);
      return data.id;
    }
    const next = etherTypes.get(type);
    return next === STOP ? data.id : next;
  },
  summary(p, layer) {
    const b = p.bufferOf(layer);
    const o = p.start[layer];
    if (b.length < o + 2) return '802.1Q Virtual LAN';
    const tci = u16(b, o);
    return `802.1Q Virtual LAN, PRI: ${tci >> 13}, DEI: ${(tci >> 12) & 1}, ID: ${tci & 0xfff}`;
  },
  tree(p, layer, s) {
    const b = p.bufferOf(layer);
    const o = p.start[layer];
    // Wireshark adds the TCI items before it reads the type: 2 captured bytes show them.
    if (b.length < o + 2) return;
    s.add(vlanFields.priority, b, o, 2);
    s.add(vlanFields.dei, b, o, 2);
    s.add(vlanFields.id, b, o, 2);
    if (b.length < o + 4) return;
    const type = u16(b, o + 2);
    if (type < 0x0600) s.add(vlanFields.len, b, o + 2, 2);
    else {
      s.add(vlanFields.etype, b, o + 2, 2, undefined, 0, s.wantsLabels ? `Type: ${etherTypeNames[type] ?? 'Unknown'} (0x${type.toString(16).padStart(4, '0')})` : undefined);
      addPayloadTrailer(p, layer, s);
    }
  },
});

for (const t of [0x8100, 0x9100]) etherTypes.add(t, vlan);

/**
 * The 802.1ad service tag (S-tag), as Wireshark's packet-ieee8021ah.c: priority, DEI, id, then
 * the type, which Wireshark names `ieee8021ah.etype` (a field of the 802.1ah dissector it shares).
 * Note: `-e ieee8021ah.etype` alone selects no layer here (its prefix is not a dissector); ask
 * for an `ieee8021ad.*` field with it.
 */
export const ieee8021adFields = {
  ...defineFields('ieee8021ad', {
    priority: { display: 'Priority', type: 'uint16', base: 'dec', mask: 0xe000 },
    dei: { display: 'DEI', type: 'uint16', base: 'dec', mask: 0x1000 },
    id: { display: 'ID', type: 'uint16', base: 'dec', mask: 0x0fff },
  }),
  etype: defineFields('ieee8021ah', { etype: { display: 'Type', type: 'uint16', base: 'hex' } }).etype,
};

export const ieee8021ad = registerDissector({
  name: 'ieee8021ad',
  display: 'IEEE 802.1ad',
  decode: vlan.decode,
  summary(p, layer) {
    const b = p.bufferOf(layer);
    const o = p.start[layer];
    return b.length < o + 2 ? 'IEEE 802.1ad' : `IEEE 802.1ad, ID: ${u16(b, o) & 0xfff}`;
  },
  tree(p, layer, s) {
    const b = p.bufferOf(layer);
    const o = p.start[layer];
    const f = ieee8021adFields;
    // Unlike 802.1Q, Wireshark reads the whole tag (TCI and type) before adding any item.
    if (b.length < o + 4) return;
    s.add(f.priority, b, o, 2);
    s.add(f.dei, b, o, 2);
    s.add(f.id, b, o, 2);
    const type = u16(b, o + 2);
    s.add(f.etype, b, o + 2, 2, undefined, 0, s.wantsLabels ? `Type: ${etherTypeNames[type] ?? 'Unknown'} (0x${type.toString(16).padStart(4, '0')})` : undefined);
    addPayloadTrailer(p, layer, s);
  },
});

etherTypes.add(0x88a8, ieee8021ad);

// ---- Packet-list columns (Wireshark's Info text) ----
/** `PRI: 0  DEI: 0  ID: 100` as packet-vlan.c writes it, replaced by what the tag carries. */
vlan.info = (p, layer, col) => {
  const b = p.bufferOf(layer);
  const o = p.start[layer];
  col.setProtocol('VLAN');
  col.clear();
  if (Math.min(b.length, p.limit[layer]) < o + 2) return;
  const tci = u16(b, o);
  col.set(`PRI: ${tci >> 13}  DEI: ${(tci >> 12) & 1}  ID: ${tci & 0xfff}`);
};
