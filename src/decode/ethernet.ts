/**
 * Ethernet II and IEEE 802.3 frames (link type 1). Offsets: destination 0..6, source 6..12,
 * type/length 12..14. A type below 0x0600 is an 802.3 length (the payload is LLC).
 */
import { defineFields } from '../fields/field.js';
import { GENERATED, HIDDEN } from '../fields/value.js';
import { macToString, toHex, u16 } from './bytes.js';
import { checksumStatus } from './ip-common.js';
import type { Sink } from '../fields/sink.js';
import { dissectorById, etherTypes, linkTypes, registerDissector, STOP } from './dissector.js';
import { data } from './data.js';
import type { Packet } from './packet.js';

const HEADER = 14;

const addressFlags = {
  lg: { display: 'LG bit', type: 'bool', mask: 0x20000, bits: 24, trueFalse: ['Locally administered address (this is NOT the factory default)', 'Globally unique address (factory default)'] },
  ig: { display: 'IG bit', type: 'bool', mask: 0x10000, bits: 24, trueFalse: ['Group address (multicast/broadcast)', 'Individual address (unicast)'] },
} as const;

export const ethFields = defineFields('eth', {
  dst: { display: 'Destination', type: 'ether' },
  'dst.oui': { display: 'Destination OUI', type: 'uint24', base: 'hex' },
  'dst.lg': addressFlags.lg,
  'dst.ig': addressFlags.ig,
  src: { display: 'Source', type: 'ether' },
  'src.oui': { display: 'Source OUI', type: 'uint24', base: 'hex' },
  'src.lg': addressFlags.lg,
  'src.ig': addressFlags.ig,
  addr: { display: 'Address', type: 'ether' },
  'addr.oui': { display: 'Address OUI', type: 'uint24', base: 'hex' },
  lg: addressFlags.lg,
  ig: addressFlags.ig,
  type: { display: 'Type', type: 'uint16', base: 'hex', values: {} },
  len: { display: 'Length', type: 'uint16', base: 'dec' },
  padding: { display: 'Padding', type: 'bytes', description: 'Ethernet Padding' },
  trailer: { display: 'Trailer', type: 'bytes', description: 'Ethernet Trailer or Checksum' },
  fcs: { display: 'Frame check sequence', type: 'uint32', base: 'hex', description: 'Ethernet checksum' },
  'fcs.status': { display: 'FCS Status', type: 'uint8', base: 'none', values: checksumStatus },
});

/** Names of common ethertypes, for the tree and the Protocol column. */
export const etherTypeNames: Record<number, string> = {
  0x0800: 'IPv4', 0x0806: 'ARP', 0x86dd: 'IPv6', 0x8100: '802.1Q Virtual LAN', 0x88a8: '802.1ad Provider Bridge (Q-in-Q)',
  0x9100: 'VLAN tag (Q-in-Q)', 0x8035: 'RARP', 0x8847: 'MPLS label switched packet', 0x8848: 'MPLS multicast label switched packet',
  0x8863: 'PPPoE Discovery', 0x8864: 'PPPoE Session', 0x888e: '802.1X Authentication', 0x88cc: '802.1 Link Layer Discovery Protocol (LLDP)',
  0x8809: 'Slow Protocols', 0x88f7: 'PTPv2 over Ethernet (IEEE1588)', 0x9000: 'Configuration Test Protocol (loopback)',
  0x6001: 'DEC MOP Dump/Load', 0x6002: 'DEC MOP Remote Console', 0x6003: 'DEC DNA Routing', 0x6004: 'DEC LAT',
  0x809b: 'AppleTalk LLAP bridging', 0x80f3: 'AARP', 0x8137: 'Netware IPX/SPX', 0x886f: 'MS NLB heartbeat',
  0x88ca: 'Transparent Inter Process Communication', 0x88e5: '802.1AE (MACsec)', 0x894f: 'Network Service Header',
};

function addAddress(buf: Uint8Array, off: number, which: 'dst' | 'src', s: Sink): void {
  const f = ethFields;
  if (which === 'dst') s.add(f.dst, buf, off, 6, undefined, 0, s.wantsLabels ? `Destination: ${macToString(buf, off)}` : undefined);
  else s.add(f.src, buf, off, 6, undefined, 0, s.wantsLabels ? `Source: ${macToString(buf, off)}` : undefined);
  s.push();
  s.add(f.addr, buf, off, 6);
  s.add(which === 'dst' ? f['dst.oui'] : f['src.oui'], buf, off, 3, undefined, HIDDEN);
  s.add(f['addr.oui'], buf, off, 3, undefined, HIDDEN);
  s.add(which === 'dst' ? f['dst.lg'] : f['src.lg'], buf, off, 3);
  s.add(f.lg, buf, off, 3, undefined, HIDDEN);
  s.add(which === 'dst' ? f['dst.ig'] : f['src.ig'], buf, off, 3);
  s.add(f.ig, buf, off, 3, undefined, HIDDEN);
  s.pop();
}

const ISL_HEADER = 26;

/**
 * Cisco ISL, recognised as Wireshark does: an 802.3 length (not a type) and a destination
 * starting 01-00-0C-00-00 or 0C-00-0C-00-00 (packet-eth.c).
 */
function isIsl(b: Uint8Array, o: number, type: number): boolean {
  return type <= 1500 && (b[o] === 0x01 || b[o] === 0x0c) && b[o + 1] === 0x00 && b[o + 2] === 0x0c && b[o + 3] === 0x00 && b[o + 4] === 0x00;
}

export const ethernet = registerDissector({
  name: 'eth',
  display: 'Ethernet II',
  decode(p, layer) {
    const b = p.bufferOf(layer);
    const o = p.start[layer];
    if (p.limit[layer] - o < HEADER) {
      p.markShort(layer, o + HEADER, 'Ethernet header shorter than 14 bytes');
      p.end[layer] = p.limit[layer];
      return STOP;
    }
    p.end[layer] = o + HEADER;
    const type = u16(b, o + 12);
    if (isIsl(b, o, type)) {
      // Cisco ISL: a 26-byte header, then the tagged frame (Ethernet when the type nibble is 0).
      if (p.limit[layer] - o < ISL_HEADER) {
        p.markShort(layer, o + ISL_HEADER, 'ISL header shorter than 26 bytes');
        p.end[layer] = p.limit[layer];
        return STOP;
      }
      p.end[layer] = o + ISL_HEADER;
      return (b[o + 5] >> 4) === 0 ? ethernet.id : data.id;
    }
    if (type < 0x0600) {
      // IEEE 802.3: a length; payload (LLC) bounded by it, the rest is padding/trailer.
      p.nextEnd = Math.min(p.limit[layer], o + HEADER + type);
      return data.id;
    }
    const next = etherTypes.get(type);
    return next === STOP ? data.id : next;
  },
  summary(p, layer) {
    const b = p.bufferOf(layer);
    const o = p.start[layer];
    if (b.length < o + 12) return 'Ethernet II';
    const type = u16(b, o + 12);
    // packet-eth.c gives an 802.3 frame no addresses in its summary (the text keeps its space).
    if (type < 0x0600) return 'IEEE 802.3 Ethernet ';
    return `Ethernet II, Src: ${macToString(b, o + 6)}, Dst: ${macToString(b, o)}`;
  },
  tree(p, layer, s) {
    const b = p.bufferOf(layer);
    const o = p.start[layer];
    if (b.length < o + 14) return;
    // Wireshark shows an ISL header as its own tree (isl.*), without Ethernet fields.
    if (isIsl(b, o, u16(b, o + 12))) return;
    addAddress(b, o, 'dst', s);
    addAddress(b, o + 6, 'src', s);
    if (b[o + 6] & 1) {
      const message = 'Source MAC must not be a group address: IEEE 802.3-2002, Section 3.2.3(b)';
      p.expert(layer, 'warn', 'protocol', 'eth.src_not_group', message);
      // packet-eth.c raises it on the Source item before adding the address items under it.
      s.anchor?.(message, true);
    }
    const type = u16(b, o + 12);
    if (type < 0x0600) {
      s.add(ethFields.len, b, o + 12, 2);
      addTrailer(p, layer, s, Math.min(p.reported[layer], o + HEADER + type));
    } else {
      s.add(ethFields.type, b, o + 12, 2, undefined, 0, s.wantsLabels ? `Type: ${etherTypeNames[type] ?? 'Unknown'} (0x${type.toString(16).padStart(4, '0')})` : undefined);
      addPayloadTrailer(p, layer, s);
    }
  },
});

/** Layers that hand their payload on through the ethertype table and show its trailer. */
const trailerCarriers = new Set(['eth', 'vlan', 'ieee8021ad']);

/**
 * The padding and trailer behind the payload of ethertype carrier `layer` (Ethernet II or an
 * 802.1Q tag): the bytes after the end its payload layer claims (IP total length, ARP message).
 * A carrier whose payload is another tag leaves them to that tag.
 */
export function addPayloadTrailer(p: Packet, layer: number, s: Sink): void {
  const next = layer + 1;
  if (next >= p.layers || p.parent[next] !== p.parent[layer] || p.bufIndex[next] !== p.bufIndex[layer]) return;
  if (p.reported[next] >= p.reported[layer] || trailerCarriers.has(dissectorById(p.proto[next]).protocol.name)) return;
  addTrailer(p, layer, s, p.reported[next]);
}

/**
 * packet-eth.c's `add_ethernet_trailer` as Wireshark 4.0 shows it by default (padding of
 * zeros, no FCS assumed): bytes up to the 60-byte minimum frame are `Padding` when all zero,
 * the rest `Trailer`; a trailer where padding was possible but not all zeros gets a note.
 */
function addTrailer(p: Packet, layer: number, s: Sink, payloadEnd: number): void {
  const b = p.bufferOf(layer);
  const trailerReported = p.reported[layer] - payloadEnd;
  if (trailerReported <= 0 || payloadEnd < p.start[layer]) return;
  let captured = Math.max(0, Math.min(b.length, p.limit[layer]) - payloadEnd);
  const frameLen = p.origLen;
  const maybePadded = frameLen >= 60 && frameLen - trailerReported < 60;
  let padding = 0;
  if (maybePadded) {
    padding = 60 - (frameLen - trailerReported);
    // Reading a padding byte that was not captured stops Wireshark's tree here.
    if (padding > captured) return;
    for (let i = 0; i < padding; i++) {
      if (b[payloadEnd + i] !== 0) {
        padding = 0;
        break;
      }
    }
    if (padding > 0) {
      s.add(ethFields.padding, b, payloadEnd, padding);
      captured -= padding;
    }
  }
  // A carrier of 64 bytes or more with 4 bytes left is taken to end with its FCS (the capture
  // does not say whether it kept it).
  const rest = trailerReported - padding;
  const fcs = p.reported[layer] - p.start[layer] >= 64 && rest >= 4;
  const trailer = fcs ? Math.min(captured, rest - 4) : captured;
  if (trailer > 0) {
    s.add(ethFields.trailer, b, payloadEnd + padding, trailer);
    if (maybePadded && padding === 0) {
      const message = "Didn't find padding of zeros, and an undecoded trailer exists. There may be padding of non-zeros.";
      p.expert(layer, 'note', 'protocol', 'eth.padding_bad', message);
      s.anchor?.(message);
    }
  }
  const fcsAt = payloadEnd + padding + trailer;
  if (fcs && fcsAt + 4 <= Math.min(b.length, p.limit[layer])) {
    s.add(ethFields.fcs, b, fcsAt, 4, undefined, 0, s.wantsLabels ? `Frame check sequence: 0x${toHex(b.subarray(fcsAt, fcsAt + 4))} [unverified]` : undefined);
    s.add(ethFields['fcs.status'], b, fcsAt, 0, 2, GENERATED);
  }
}

linkTypes.add(1, ethernet);

// ---- Packet-list columns (Wireshark's Info text) ----
/** Protocol `Ethernet`, Info `Ethernet II` (replaced by what the payload writes), MAC addresses. */
ethernet.info = (p, layer, col) => {
  const b = p.bufferOf(layer);
  const o = p.start[layer];
  col.setProtocol('Ethernet');
  if (Math.min(b.length, p.limit[layer]) < o + HEADER) return;
  col.setAddresses(macToString(b, o + 6), macToString(b, o));
  const type = u16(b, o + 12);
  if (isIsl(b, o, type)) return;
  col.set(type < 0x0600 ? 'IEEE 802.3 Ethernet' : 'Ethernet II');
  // An ethertype no dissector takes: tshark's ethertype table names the protocol by its number.
  if (type >= 0x0600 && etherTypes.get(type) === STOP) col.setProtocol(`0x${type.toString(16).padStart(4, '0')}`);
};
