/**
 * BSD loopback encapsulations: LINKTYPE_NULL (0), a 4-byte address family in the *capturing
 * host's* byte order, and LINKTYPE_LOOP (108, OpenBSD), the same family in network order.
 * Wireshark shows both as the `null` protocol with `null.family` (or `null.type` when the
 * header holds an ethertype, as old Linux DLT_NULL captures do).
 *
 * The byte order of a DLT_NULL header is guessed exactly as Wireshark's packet-null.c does,
 * reading the 4 bytes as a little-endian (x86 host) number h:
 * - upper 16 bits set: an IRIX/UNICOS snoop header (AF in the upper half, `00 AA xx xx` with
 *   AA < 6) is shifted down; anything else is the other byte order, byte-swapped;
 * - upper 16 bits clear: a byte-swapped IRIX header (`xx 00` with a small second byte) is
 *   swapped back.
 * The result above 1500 is an ethertype, else a BSD AF_ value: 2 is IPv4; 24, 28 and 30
 * (NetBSD/OpenBSD, FreeBSD, Darwin) are IPv6.
 */
import { defineFields } from '../fields/field.js';
import { u32, u32le } from './bytes.js';
import { DissectorTable, etherTypes, linkTypes, registerDissector, STOP } from './dissector.js';
import { data } from './data.js';
import { etherTypeNames } from './ethernet.js';
import { ipv4 } from './ipv4.js';
import { ipv6 } from './ipv6.js';
import type { Packet } from './packet.js';
import { ppp } from './ppp.js';

const HEADER = 4;
export const LINKTYPE_NULL = 0;
export const LINKTYPE_LOOP = 108;
/** IEEE 802.3 maximum length: a header value above it is an ethertype. */
const MAX_8023_LENGTH = 1500;

const familyNames: Record<number, string> = { 2: 'IP', 7: 'OSI', 16: 'Appletalk', 23: 'Netware IPX/SPX', 24: 'IPv6', 28: 'IPv6', 30: 'IPv6' };

export const nullFields = defineFields('null', {
  type: { display: 'Type', type: 'uint16', base: 'hex', values: etherTypeNames },
  family: { display: 'Family', type: 'uint32', base: 'dec', values: familyNames },
});

/** BSD address families to dissectors (Wireshark's `null.type` table). */
export const bsdFamilies = new DissectorTable('null.type', MAX_8023_LENGTH + 1);
bsdFamilies.add(2, ipv4);
for (const family of [24, 28, 30]) bsdFamilies.add(family, ipv6);

/**
 * The header value of a LINKTYPE_NULL frame at `o` after Wireshark's byte-order guess:
 * an AF_ value (≤ 1500) or an ethertype.
 */
export function nullHeaderValue(b: Uint8Array, o: number): number {
  let h = u32le(b, o);
  if (h & 0xffff0000) {
    if ((h & 0xff000000) === 0 && (h & 0x00ff0000) < 0x00060000) h >>>= 16;
    else h = u32(b, o);
  } else if ((h & 0xff) === 0 && (h & 0xff00) < 0x0600) {
    h = ((h & 0xff) << 8) | ((h >>> 8) & 0xff);
  }
  return h;
}

/** The header's value on this packet's link type: the DLT_LOOP family is always big-endian. */
function headerValue(p: Packet, b: Uint8Array, o: number): number {
  return p.linkType === LINKTYPE_LOOP ? u32(b, o) : nullHeaderValue(b, o);
}

/** PPP in HDLC-like framing (FF 03) also appears on DLT_NULL: Wireshark hands it to PPP, not `null`. */
function isPppHdlc(p: Packet, b: Uint8Array, o: number): boolean {
  return p.linkType === LINKTYPE_NULL && b[o] === 0xff && b[o + 1] === 0x03;
}

export const loopback = registerDissector({
  name: 'null',
  display: 'Null/Loopback',
  decode(p, layer) {
    const b = p.bufferOf(layer);
    const o = p.start[layer];
    const lim = p.limit[layer];
    if (lim - o >= 2 && isPppHdlc(p, b, o)) {
      p.end[layer] = o;
      p.nextStart = o;
      return ppp.id;
    }
    if (lim - o < HEADER) {
      p.markShort(layer, o + HEADER, 'Loopback header shorter than 4 bytes');
      p.end[layer] = lim;
      return STOP;
    }
    p.end[layer] = o + HEADER;
    const value = headerValue(p, b, o);
    if (value > MAX_8023_LENGTH) {
      // DLT_LOOP has no ethertype form: a family that large has no dissector.
      if (p.linkType === LINKTYPE_LOOP) return data.id;
      const next = etherTypes.get(value & 0xffff);
      return next === STOP ? data.id : next;
    }
    const next = bsdFamilies.get(value);
    return next === STOP ? data.id : next;
  },
  summary: () => 'Null/Loopback',
  tree(p, layer, s) {
    const b = p.bufferOf(layer);
    const o = p.start[layer];
    if (Math.min(b.length, p.limit[layer]) < o + HEADER || isPppHdlc(p, b, o)) return;
    const value = headerValue(p, b, o);
    if (value > MAX_8023_LENGTH && p.linkType !== LINKTYPE_LOOP) s.add(nullFields.type, b, o, HEADER, value & 0xffff);
    else s.add(nullFields.family, b, o, HEADER, value);
  },
});

linkTypes.add(LINKTYPE_NULL, loopback);
linkTypes.add(LINKTYPE_LOOP, loopback);
