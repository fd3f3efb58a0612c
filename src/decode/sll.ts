/**
 * Linux "cooked" captures (`tcpdump -i any`): LINKTYPE_LINUX_SLL (113) and LINKTYPE_LINUX_SLL2
 * (276), the pseudo link-layer header the kernel's packet socket provides.
 *
 * v1, 16 bytes: 0 packet type, 2 ARPHRD type, 4 address length, 6 address (8 bytes, padded),
 * 14 protocol. v2, 20 bytes: 0 protocol, 2 reserved, 4 interface index, 8 ARPHRD type,
 * 10 packet type (1 byte), 11 address length (1 byte), 12 address (8 bytes).
 *
 * A protocol value above 1536 is an ethertype; at most 1536 it is a Linux-internal value
 * (1 = raw 802.3, 3 = Ethernet frame, 4 = 802.2 LLC…), as Wireshark's packet-sll.c. As
 * Wireshark's ethertype dispatcher does, bytes after the payload's own length (an IP datagram
 * shorter than the frame) are shown as `sll.trailer`, zero padding to 60 bytes as `eth.padding`.
 */
import { defineField, defineFields, lookupField, type FieldDef } from '../fields/field.js';
import type { Sink } from '../fields/sink.js';
import { macToString, u16 } from './bytes.js';
import { dissectorByName, etherTypes, linkTypes, registerDissector, STOP } from './dissector.js';
import { data } from './data.js';
import { hardwareTypeNames } from './arp.js';
import { etherTypeNames } from './ethernet.js';
import type { Packet } from './packet.js';

const V1_HEADER = 16;
const V2_HEADER = 20;
const ADDRESS_SPACE = 8;
export const LINKTYPE_LINUX_SLL = 113;
export const LINKTYPE_LINUX_SLL2 = 276;

/** ARPHRD types that change how the header is read (linux/if_arp.h). */
const ARPHRD_IPGRE = 778;
const ARPHRD_NETLINK = 824;

const packetTypeNames: Record<number, string> = {
  0: 'Unicast to us', 1: 'Broadcast', 2: 'Multicast', 3: 'Unicast to another host', 4: 'Sent by us',
};

const linuxProtocolNames: Record<number, string> = {
  0x0001: 'Raw 802.3', 0x0003: 'Ethernet', 0x0004: '802.2 LLC', 0x0007: 'PPP (HDLC)', 0x000c: 'CAN', 0x000d: 'CAN FD',
  0x0017: 'IrDA LAP', 0x00f5: 'ISI', 0x00f6: 'IEEE 802.15.4',
};

export const sllFields = defineFields('sll', {
  pkttype: { display: 'Packet type', type: 'uint16', base: 'dec', values: packetTypeNames },
  hatype: { display: 'Link-layer address type', type: 'uint16', base: 'dec', values: hardwareTypeNames },
  halen: { display: 'Link-layer address length', type: 'uint16', base: 'dec' },
  'src.eth': { display: 'Source', type: 'ether', description: 'Source link-layer address' },
  'src.ipv4': { display: 'Source', type: 'ipv4', description: 'Source link-layer address' },
  'src.other': { display: 'Source', type: 'bytes', description: 'Source link-layer address' },
  unused: { display: 'Unused', type: 'bytes', description: 'Unused bytes' },
  ltype: { display: 'Protocol', type: 'uint16', base: 'hex', values: linuxProtocolNames, description: 'Linux protocol type' },
  gretype: { display: 'Protocol', type: 'uint16', base: 'hex', values: etherTypeNames, description: 'GRE protocol type' },
  etype: { display: 'Protocol', type: 'uint16', base: 'hex', values: etherTypeNames, description: 'Ethernet protocol type' },
  trailer: { display: 'Trailer', type: 'bytes' },
  ifindex: { display: 'Interface index', type: 'uint32', base: 'dec' },
});

/**
 * `eth.padding` belongs to Ethernet; the ethertype dispatcher adds it under SLL too. Ethernet
 * is loaded first (imported above), so an existing definition is reused.
 */
const ethPadding: FieldDef = lookupField('eth.padding') ?? defineField({ name: 'eth.padding', display: 'Padding', type: 'bytes' });

/** Linux-internal protocol values that name a dissector (Wireshark's sll.ltype table). */
function linuxProtocolDissector(protocol: number): number {
  if (protocol === 0x0003) return dissectorByName('eth')?.id ?? data.id;
  return data.id;
}

export const sll = registerDissector({
  name: 'sll',
  display: 'Linux cooked-mode capture',
  decode(p, layer) {
    const b = p.bufferOf(layer);
    const o = p.start[layer];
    const v2 = p.linkType === LINKTYPE_LINUX_SLL2;
    const header = v2 ? V2_HEADER : V1_HEADER;
    if (p.limit[layer] - o < header) {
      p.markShort(layer, o + header, `Linux cooked header shorter than ${header} bytes`);
      p.end[layer] = p.limit[layer];
      return STOP;
    }
    const hatype = u16(b, o + (v2 ? 8 : 2));
    const protocol = u16(b, o + (v2 ? 0 : 14));
    if (hatype === ARPHRD_NETLINK) {
      // Wireshark hands the whole frame, header included, to its netlink dissector (not
      // reproduced here): no SLL fields and no data layer.
      p.end[layer] = o;
      return STOP;
    }
    p.end[layer] = o + header;
    if (protocol <= 1536) return linuxProtocolDissector(protocol);
    const next = etherTypes.get(protocol);
    // A GRE-typed interface dispatches through the GRE table, with no data fallback.
    if (hatype === ARPHRD_IPGRE) return next;
    return next === STOP ? data.id : next;
  },
  summary(p) {
    return `Linux cooked capture v${p.linkType === LINKTYPE_LINUX_SLL2 ? 2 : 1}`;
  },
  tree(p, layer, s) {
    const b = p.bufferOf(layer);
    const o = p.start[layer];
    const f = sllFields;
    const end = Math.min(b.length, p.limit[layer]);
    const v2 = p.linkType === LINKTYPE_LINUX_SLL2;
    // Wireshark reads the packet and ARPHRD types (v2: 16 bits at 10, a quirk) before adding
    // anything: a header shorter than that shows no field at all.
    if (end < o + (v2 ? 12 : 4)) return;
    if (u16(b, o + (v2 ? 8 : 2)) === ARPHRD_NETLINK) return;
    // Items in Wireshark's order, each only when its bytes are there (past them it throws).
    if (!v2) {
      s.add(f.pkttype, b, o, 2);
      s.add(f.hatype, b, o + 2, 2);
      if (!addAddress(s, b, o + 4, 2, end)) return;
      if (end < o + 16) return;
      addProtocol(s, b, o + 14, u16(b, o + 2));
    } else {
      addProtocol(s, b, o, u16(b, o + 8));
      s.add(f.ifindex, b, o + 4, 4);
      s.add(f.hatype, b, o + 8, 2);
      s.add(f.pkttype, b, o + 10, 1);
      if (!addAddress(s, b, o + 11, 1, end)) return;
    }
    addTrailer(p, layer, s, b);
  },
});

/** Address length, the address by its length (4: IPv4, 6: Ethernet, else bytes) and the unused rest of the 8 bytes. */
function addAddress(s: Sink, b: Uint8Array, at: number, lengthSize: number, end: number): boolean {
  const f = sllFields;
  if (end < at + lengthSize) return false;
  s.add(f.halen, b, at, lengthSize);
  const length = lengthSize === 2 ? u16(b, at) : b[at];
  const address = at + lengthSize;
  if (length !== 0) {
    const shown = Math.min(length, ADDRESS_SPACE);
    if (end < address + shown) return false;
    if (length === 4) s.add(f['src.ipv4'], b, address, 4);
    else if (length === 6) s.add(f['src.eth'], b, address, 6, undefined, 0, s.wantsLabels ? `Source: ${macToString(b, address)}` : undefined);
    else s.add(f['src.other'], b, address, shown);
  }
  if (length < ADDRESS_SPACE) {
    if (end < address + ADDRESS_SPACE) return false;
    s.add(f.unused, b, address + length, ADDRESS_SPACE - length);
  }
  return true;
}

function addProtocol(s: Sink, b: Uint8Array, at: number, hatype: number): void {
  const f = sllFields;
  const protocol = u16(b, at);
  if (protocol <= 1536) s.add(f.ltype, b, at, 2);
  else if (hatype === ARPHRD_IPGRE) s.add(f.gretype, b, at, 2);
  else s.add(f.etype, b, at, 2, undefined, 0, s.wantsLabels ? `Protocol: ${etherTypeNames[protocol] ?? 'Unknown'} (0x${protocol.toString(16).padStart(4, '0')})` : undefined);
}

/**
 * Bytes after the payload's own length (the next layer shrank its limit, as IP does by its
 * total length): Wireshark's add_dix_trailer / add_ethernet_trailer. Up to a 60-byte frame the
 * leading part is padding when it is all zeros; the rest is the trailer.
 */
function addTrailer(p: Packet, layer: number, s: Sink, b: Uint8Array): void {
  const next = layer + 1;
  if (next >= p.layers || p.parent[next] !== p.parent[layer] || p.bufIndex[next] !== p.bufIndex[layer]) return;
  if (p.start[next] !== p.end[layer]) return;
  const o = p.start[layer];
  const v2 = p.linkType === LINKTYPE_LINUX_SLL2;
  // Only the ethertype dispatcher looks for a trailer (not the Linux-protocol or GRE tables).
  if (u16(b, o + (v2 ? 0 : 14)) <= 1536 || u16(b, o + (v2 ? 8 : 2)) === ARPHRD_IPGRE) return;
  const payloadEnd = p.limit[next];
  const frameEnd = Math.min(b.length, p.limit[layer]);
  if (payloadEnd >= frameEnd) return;
  const trailerLength = p.reported[layer] - payloadEnd;
  let at = payloadEnd;
  if (p.origLen >= 60 && p.origLen - trailerLength < 60) {
    const padding = Math.min(60 - (p.origLen - trailerLength), frameEnd - at);
    let zero = true;
    for (let i = at; i < at + padding; i++) if (b[i] !== 0) zero = false;
    if (zero && padding > 0) {
      s.add(ethPadding, b, at, padding);
      at += padding;
    }
  }
  if (at < frameEnd) s.add(sllFields.trailer, b, at, frameEnd - at);
}

linkTypes.add(LINKTYPE_LINUX_SLL, sll);
linkTypes.add(LINKTYPE_LINUX_SLL2, sll);
