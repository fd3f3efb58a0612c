/**
 * ICMP (RFC 792, RFC 1191 for the next-hop MTU, RFC 1256 router advertisements, RFC 4884
 * original-datagram length and multi-part extensions, RFC 4950/5837 extension objects).
 *
 * Error messages (destination unreachable, source quench, redirect, time exceeded, parameter
 * problem) quote the offending IP header and the start of its payload: the walk continues
 * into that packet with the ICMP layer as parent, so the quoted IP/TCP/UDP are dissected as
 * children of ICMP — and, as in tshark, `ip.src` then has two values on the frame, outer then
 * inner. Echo data is likewise a child of ICMP, after an optional timestamp that Wireshark
 * recognises in its first 8 bytes.
 *
 * Offsets: 0 type, 1 code, 2 checksum, 4..8 "rest of header" (identifier and sequence,
 * unused + length + MTU, gateway address, pointer…), 8.. data.
 */
import { defineFields } from '../fields/field.js';
import type { Sink } from '../fields/sink.js';
import { GENERATED } from '../fields/value.js';
import { onesComplementSum, u16, u32 } from './bytes.js';
import { ipProtocols, registerDissector, STOP } from './dissector.js';
import { data } from './data.js';
import { checksumStatus } from './ip-common.js';
import { ipv4 } from './ipv4.js';
import type { Packet } from './packet.js';

const HEADER = 8;
/** Wireshark reads byte 5 (RFC 4884 length) before adding any item: shorter messages show no fields. */
const MIN_READ = 6;

const TYPE = {
  echoReply: 0, unreachable: 3, sourceQuench: 4, redirect: 5, alternateHost: 6, echo: 8, routerAdvertisement: 9,
  routerSolicitation: 10, timeExceeded: 11, parameterProblem: 12, timestamp: 13, timestampReply: 14, infoRequest: 15,
  infoReply: 16, maskRequest: 17, maskReply: 18, extendedEcho: 42, extendedEchoReply: 43,
} as const;

/** Names of ICMP types (Wireshark's icmp_type_str). */
export const icmpTypeNames: Record<number, string> = {
  0: 'Echo (ping) reply', 1: 'Reserved', 2: 'Reserved', 3: 'Destination unreachable', 4: 'Source quench (flow control)',
  5: 'Redirect', 6: 'Alternate host address', 8: 'Echo (ping) request', 9: 'Router advertisement', 10: 'Router solicitation',
  11: 'Time-to-live exceeded', 12: 'Parameter problem', 13: 'Timestamp request', 14: 'Timestamp reply',
  15: 'Information request', 16: 'Information reply', 17: 'Address mask request', 18: 'Address mask reply',
  19: 'Reserved (for security)', 30: 'Traceroute', 31: 'Datagram Conversion Error', 32: 'Mobile Host Redirect',
  33: 'IPv6 Where-Are-You', 34: 'IPv6 I-Am-Here', 35: 'Mobile Registration Request', 36: 'Mobile Registration Reply',
  37: 'Domain Name Request', 38: 'Domain Name Reply', 39: 'SKIP', 40: 'Photuris', 41: 'Experimental mobility protocols',
  42: 'Extended Echo request', 43: 'Extended Echo reply',
};

/** Names of codes, per type (Wireshark's unreach_code_str, redir_code_str…). */
export const icmpCodeNames: Record<number, Record<number, string>> = {
  3: {
    0: 'Network unreachable', 1: 'Host unreachable', 2: 'Protocol unreachable', 3: 'Port unreachable', 4: 'Fragmentation needed',
    5: 'Source route failed', 6: 'Destination network unknown', 7: 'Destination host unknown', 8: 'Source host isolated',
    9: 'Network administratively prohibited', 10: 'Host administratively prohibited', 11: 'Network unreachable for TOS',
    12: 'Host unreachable for TOS', 13: 'Communication administratively filtered', 14: 'Host precedence violation',
    15: 'Precedence cutoff in effect',
  },
  5: { 0: 'Redirect for network', 1: 'Redirect for host', 2: 'Redirect for TOS and network', 3: 'Redirect for TOS and host' },
  6: { 0: 'Alternate address for host' },
  9: { 0: 'Normal router advertisement', 16: 'Does not route common traffic' },
  11: { 0: 'Time to live exceeded in transit', 1: 'Fragment reassembly time exceeded' },
  12: { 0: 'Pointer indicates the error', 1: 'Required option missing', 2: 'Bad length' },
  40: { 0: 'Bad SPI', 1: 'Authentication Failed', 2: 'Decompression Failed', 3: 'Decryption Failed', 4: 'Need Authentication', 5: 'Need Authorization' },
  42: { 0: 'No error' },
  43: { 0: 'No error', 1: 'Malformed Query', 2: 'No Such Interface', 3: 'No Such Table Entry', 4: 'Multiple Interfaces Satisfy Query' },
};

export const icmpFields = defineFields('icmp', {
  type: { display: 'Type', type: 'uint8', base: 'dec', values: icmpTypeNames },
  code: { display: 'Code', type: 'uint8', base: 'dec' },
  checksum: { display: 'Checksum', type: 'uint16', base: 'hex' },
  'checksum.status': { display: 'Checksum Status', type: 'uint8', base: 'none', values: checksumStatus },
  unused: { display: 'Unused', type: 'bytes' },
  reserved: { display: 'Reserved', type: 'bytes' },
  ident: { display: 'Identifier (BE)', type: 'uint16', base: 'dec_hex', description: 'Identifier (big endian representation)' },
  ident_le: { display: 'Identifier (LE)', type: 'uint16', base: 'dec_hex', description: 'Identifier (little endian representation)' },
  seq: { display: 'Sequence Number (BE)', type: 'uint16', base: 'dec_hex', description: 'Sequence Number (big endian representation)' },
  seq_le: { display: 'Sequence Number (LE)', type: 'uint16', base: 'dec_hex', description: 'Sequence Number (little endian representation)' },
  mtu: { display: 'MTU of next hop', type: 'uint16', base: 'dec' },
  length: { display: 'Length', type: 'uint8', base: 'dec', description: 'The length of the original datagram' },
  'length.original_datagram': { display: 'Length of original datagram', type: 'uint8', base: 'dec' },
  pointer: { display: 'Pointer', type: 'uint32', base: 'dec' },
  redir_gw: { display: 'Gateway Address', type: 'ipv4' },
  num_addrs: { display: 'Number of addresses', type: 'uint8', base: 'dec' },
  addr_entry_size: { display: 'Address entry size', type: 'uint8', base: 'dec' },
  lifetime: { display: 'Lifetime', type: 'uint16', base: 'dec' },
  router_address: { display: 'Router address', type: 'ipv4' },
  pref_level: { display: 'Preference level', type: 'int32', base: 'dec' },
  originate_timestamp: { display: 'Originate Timestamp', type: 'uint32', base: 'dec' },
  receive_timestamp: { display: 'Receive Timestamp', type: 'uint32', base: 'dec' },
  transmit_timestamp: { display: 'Transmit Timestamp', type: 'uint32', base: 'dec' },
  address_mask: { display: 'Address Mask', type: 'ipv4' },
  data_time: { display: 'Timestamp from icmp data', type: 'abstime' },
  data_time_relative: { display: 'Timestamp from icmp data (relative)', type: 'reltime', unit: 'seconds' },
  'ext.echo.seq': { display: 'Sequence Number', type: 'uint8', base: 'dec_hex' },
  'ext.echo.req.res': { display: 'Reserved', type: 'uint8', base: 'hex', mask: 0xfe },
  'ext.echo.req.local': { display: 'Local bit', type: 'bool', mask: 0x01, bits: 8, trueFalse: ['Set', 'Not set'] },
  'ext.echo.rsp.state': { display: 'State', type: 'uint8', base: 'dec', mask: 0xe0, values: { 0: 'Reserved', 1: 'Incomplete', 2: 'Reachable', 3: 'Stale', 4: 'Delay', 5: 'Probe', 6: 'Failed' } },
  'ext.echo.rsp.res': { display: 'Reserved', type: 'uint8', base: 'hex', mask: 0x18 },
  'ext.echo.rsp.active': { display: 'Active bit', type: 'bool', mask: 0x04, bits: 8, trueFalse: ['Set', 'Not set'] },
  'ext.echo.rsp.ipv4': { display: 'IPv4 bit', type: 'bool', mask: 0x02, bits: 8, trueFalse: ['Set', 'Not set'] },
  'ext.echo.rsp.ipv6': { display: 'IPv6 bit', type: 'bool', mask: 0x01, bits: 8, trueFalse: ['Set', 'Not set'] },
  ext: { display: 'ICMP Extensions', type: 'none' },
  'ext.version': { display: 'Version', type: 'uint8', base: 'dec' },
  'ext.res': { display: 'Reserved', type: 'uint16', base: 'hex', mask: 0x0fff },
  'ext.checksum': { display: 'Checksum', type: 'uint16', base: 'hex' },
  'ext.checksum.status': { display: 'Checksum Status', type: 'uint8', base: 'none', values: checksumStatus },
  'ext.length': { display: 'Length', type: 'uint16', base: 'dec' },
  'ext.class': { display: 'Class', type: 'uint8', base: 'dec', values: { 1: 'MPLS Label Stack Class', 2: 'Interface Information Object', 3: 'Interface Identification Object' } },
  'ext.ctype': { display: 'C-Type', type: 'uint8', base: 'dec' },
  'ext.data': { display: 'Data', type: 'bytes' },
  'mpls.label': { display: 'Label', type: 'uint24', base: 'dec', mask: 0xfffff0 },
  'mpls.exp': { display: 'Experimental', type: 'uint24', base: 'dec', mask: 0x0e },
  'mpls.s': { display: 'Stack bit', type: 'bool', mask: 0x01, bits: 24, trueFalse: ['Set', 'Not set'] },
  'mpls.ttl': { display: 'Time to live', type: 'uint8', base: 'dec' },
  'mpls.data': { display: 'Data', type: 'bytes' },
  'int_info.role': { display: 'Interface Role', type: 'uint8', base: 'dec', mask: 0xc0 },
  'int_info.reserved': { display: 'Reserved', type: 'uint8', base: 'dec', mask: 0x30 },
  'int_info.ifindex': { display: 'ifIndex', type: 'bool', mask: 0x08, bits: 8 },
  'int_info.ipaddr': { display: 'IP Address', type: 'bool', mask: 0x04, bits: 8 },
  'int_info.name_present': { display: 'Interface Name', type: 'bool', mask: 0x02, bits: 8 },
  'int_info.mtu_present': { display: 'MTU', type: 'bool', mask: 0x01, bits: 8 },
  'int_info.index': { display: 'Interface Index', type: 'uint32', base: 'dec' },
  'int_info.afi': { display: 'Address Family Identifier', type: 'uint16', base: 'dec' },
  'int_info.ipv4': { display: 'Source', type: 'ipv4' },
  'int_info.ipv6': { display: 'Source', type: 'ipv6' },
  'int_info.ipunknown': { display: 'Source', type: 'bytes' },
  'int_info.name_length': { display: 'Name Length', type: 'uint8', base: 'dec' },
  'int_info.name': { display: 'Name', type: 'string' },
  'int_info.mtu': { display: 'Maximum Transmission Unit', type: 'uint32', base: 'dec' },
  'int_ident.name': { display: 'Name', type: 'string' },
  'int_ident.index': { display: 'Interface Index', type: 'uint32', base: 'dec' },
  'int_ident.afi': { display: 'Address Family Identifier', type: 'uint16', base: 'dec' },
  'int_ident.addr_length': { display: 'Address Length', type: 'uint8', base: 'dec' },
  'int_ident.reserved': { display: 'Reserved', type: 'bytes' },
  'int_ident.ipv4': { display: 'Address', type: 'ipv4' },
  'int_ident.ipv6': { display: 'Address', type: 'ipv6' },
  'int_ident.address': { display: 'Address', type: 'bytes' },
});

/** Types whose first 8 bytes Wireshark reads as a fixed header (the switch on the "rest of header"). */
const eightByteHeader = new Set<number>([0, 3, 5, 8, 9, 11, 12, 13, 14, 15, 16, 17, 18, 42, 43]);
/** Error messages that quote the offending datagram. */
const quotingTypes = new Set<number>([TYPE.unreachable, TYPE.sourceQuench, TYPE.redirect, TYPE.timeExceeded, TYPE.parameterProblem]);

/**
 * Bytes up to `end` are missing: damage ("malformed") when the length the packet claims for
 * the layer ends before them, else a snaplen cut ("truncated") — as Wireshark's
 * ReportedBoundsError versus BoundsError. Quoted in an ICMP error a packet is cut on purpose:
 * there only a snaplen cut is flagged (tshark swallows the rest).
 */
export function markMissing(p: Packet, layer: number, end: number, what: string): void {
  const reported = reportedEnd(p, layer);
  if (p.isQuoted(layer)) {
    const captured = p.bufferOf(layer).length;
    if (end > captured && p.limit[layer] >= captured && captured < reported) p.markShort(layer, captured + 1, what);
  } else if (end > reported) {
    p.markMalformed(layer, what);
  } else {
    p.markShort(layer, end, what);
  }
}

/**
 * The end of a layer's data by the lengths the packet claims (Wireshark's reported length):
 * the limit when a length field cut it short of the captured bytes, otherwise the wire length.
 */
export function reportedEnd(p: Packet, layer: number): number {
  const limit = p.limit[layer];
  return limit < p.bufferOf(layer).length ? limit : Math.max(limit, p.reported[layer]);
}

/**
 * The dissector for a datagram quoted in an ICMP error: Wireshark calls its `ip` dissector,
 * which hands a version-6 header on to IPv6 (ipv4.ts does the same); nothing when no byte is quoted.
 */
function quotedIpDissector(at: number, end: number): number {
  return at < end ? ipv4.id : STOP;
}

/**
 * Where the quoted datagram ends (Wireshark's set_actual_length on it): a redirect quotes the
 * IP header and 8 bytes; an RFC 4884 length bounds it when the quoted header claims more.
 * Returns -1 when the bytes needed to decide are missing.
 */
function quotedEnd(b: Uint8Array, o: number, end: number, reported: number, type: number): number {
  const lengthWords = b[o + 5];
  if (type === TYPE.redirect) {
    if (end < o + HEADER + 1) return -1;
    return o + HEADER + (b[o + HEADER] & 0x0f) * 4 + 8;
  }
  if (lengthWords && reported - o > HEADER + lengthWords * 4) {
    if (end < o + 12) return -1;
    if (u16(b, o + 10) > lengthWords * 4) return o + HEADER + ((b[o + HEADER] & 0x0f) + lengthWords) * 4;
  }
  return end;
}

/**
 * Whether the first 8 data bytes of an echo hold a plausible timestamp (within a day of the
 * frame), big-endian first then little-endian, as Wireshark decides it. Returns 0 (no), 1
 * (big-endian) or 2 (little-endian). Arithmetic mirrors the C: a 32-bit signed difference and
 * a signed nanosecond field.
 */
function echoTimestampOrder(b: Uint8Array, at: number, frameSec: number): 0 | 1 | 2 {
  const plausible = (sec: number, usec: number) => Math.abs((sec - frameSec) | 0) < 86400 && (usec | 0) < 1000000;
  if (plausible(u32(b, at), u32(b, at + 4))) return 1;
  const sec = (b[at] | (b[at + 1] << 8) | (b[at + 2] << 16) | (b[at + 3] << 24)) >>> 0;
  const usec = (b[at + 4] | (b[at + 5] << 8) | (b[at + 6] << 16) | (b[at + 7] << 24)) >>> 0;
  return plausible(sec, usec) ? 2 : 0;
}

function readTimestamp(b: Uint8Array, at: number, order: 1 | 2): [number, number] {
  if (order === 1) return [u32(b, at), u32(b, at + 4) | 0];
  return [(b[at] | (b[at + 1] << 8) | (b[at + 2] << 16) | (b[at + 3] << 24)) >>> 0, b[at + 4] | (b[at + 5] << 8) | (b[at + 6] << 16) | (b[at + 7] << 24)];
}

/** Start of the RFC 4884 extension structure, or -1 when Wireshark would not look for one. */
function extensionStart(b: Uint8Array, o: number, end: number, reported: number): number {
  // Extensions follow 128 bytes of quoted datagram when RFC 4884 gives no length and the
  // quoted datagram claims at most 128 bytes (Wireshark's favor_icmp_mpls_ext is off).
  if (reported - o <= HEADER + 128 || end < o + 12) return -1;
  if (u16(b, o + 10) > 128) return -1;
  const lengthWords = b[o + 5];
  return o + HEADER + (lengthWords ? lengthWords * 4 : 128);
}

/**
 * After the quoted datagram Wireshark looks for RFC 4884 extensions when the message is long
 * enough: its first reads there (the quoted total length, the extension version) flag a
 * snaplen cut even when the cut lies inside the quoted bytes.
 */
function checkExtensionStart(p: Packet, layer: number, b: Uint8Array, o: number): void {
  const reported = reportedEnd(p, layer);
  if (reported - o <= HEADER + 128) return;
  const captured = Math.min(b.length, p.limit[layer]);
  if (captured < o + 12) return markMissing(p, layer, o + 12, 'ICMP error cut before its quoted header');
  if (u16(b, o + 10) > 128) return;
  const ext = o + HEADER + (b[o + 5] ? b[o + 5] * 4 : 128);
  // The extension checksum covers the whole structure and the objects are read to its end.
  if (reported - ext >= 4 && captured < reported) markMissing(p, layer, Math.max(captured, ext) + 1, 'ICMP extensions cut by the capture length');
}

export const icmp = registerDissector({
  name: 'icmp',
  display: 'Internet Control Message Protocol',
  decode(p, layer) {
    const b = p.bufferOf(layer);
    const o = p.start[layer];
    const lim = p.limit[layer];
    const quoted = p.isQuoted(layer);
    // The header ends where a child layer (quoted datagram, echo data) starts; else the message is all header.
    p.end[layer] = lim;
    if (lim - o < MIN_READ) {
      markMissing(p, layer, o + MIN_READ, 'ICMP message shorter than 6 bytes');
      return STOP;
    }
    const type = b[o];
    if ((eightByteHeader.has(type) || quotingTypes.has(type)) && lim - o < HEADER) {
      markMissing(p, layer, o + HEADER, 'ICMP header shorter than 8 bytes');
      return STOP;
    }
    if (quotingTypes.has(type)) {
      const qEnd = quotedEnd(b, o, lim, reportedEnd(p, layer), type);
      if (qEnd < 0) {
        markMissing(p, layer, o + 12, 'ICMP error shorter than its quoted header');
        return STOP;
      }
      checkExtensionStart(p, layer, b, o);
      p.end[layer] = o + HEADER;
      p.nextStart = o + HEADER;
      p.nextEnd = Math.min(lim, qEnd);
      p.nextParent = layer;
      // Nothing quoted but more claimed: Wireshark's IP dissector reads past the capture.
      if (o + HEADER >= p.nextEnd && reportedEnd(p, layer) > o + HEADER) markMissing(p, layer, o + HEADER + 1, 'ICMP error cut before its quoted datagram');
      return quotedIpDissector(o + HEADER, p.nextEnd);
    }
    if (type === TYPE.echo || type === TYPE.echoReply) {
      const captured = Math.min(b.length, lim);
      if (captured - (o + HEADER) <= 0) return STOP;
      const skip = captured - (o + HEADER) >= 8 && echoTimestampOrder(b, o + HEADER, p.tsSec) ? 8 : 0;
      // The timestamp (when Wireshark recognises one) is an ICMP item but optional: the header is 8 bytes.
      p.end[layer] = o + HEADER;
      p.nextStart = o + HEADER + skip;
      p.nextParent = layer;
      return p.nextStart < lim ? data.id : STOP;
    }
    if (type === TYPE.routerAdvertisement && b[o + 5] !== 2 && o + HEADER < lim) {
      p.end[layer] = p.nextStart = o + HEADER;
      p.nextParent = layer;
      return data.id;
    }
    return STOP;
  },
  summary(p, layer) {
    const b = p.bufferOf(layer);
    const o = p.start[layer];
    // packet-icmp.c (Wireshark 4.0) names the type in its Type item, not in the protocol item.
    return 'Internet Control Message Protocol';
  },
  tree(p, layer, s) {
    const b = p.bufferOf(layer);
    const o = p.start[layer];
    const f = icmpFields;
    const end = Math.min(b.length, p.limit[layer]);
    if (end < o + MIN_READ) return;
    const type = b[o];
    const code = b[o + 1];
    const quoted = p.isQuoted(layer);
    s.add(f.type, b, o, 1, undefined, 0, s.wantsLabels ? `Type: ${type} (${icmpTypeNames[type] ?? 'Unknown ICMP (obsolete or malformed?)'})` : undefined);
    const codeName = icmpCodeNames[type]?.[code];
    s.add(f.code, b, o + 1, 1, undefined, 0, s.wantsLabels && codeName ? `Code: ${code} (${codeName})` : undefined);
    addChecksum(p, layer, s, b, o, quoted);
    const lengthWords = type === TYPE.alternateHost ? 0 : b[o + 5];
    const has = (n: number) => end >= o + n;
    switch (type) {
      case TYPE.echoReply: case TYPE.echo: case TYPE.timestamp: case TYPE.timestampReply:
      case TYPE.infoRequest: case TYPE.infoReply: case TYPE.maskRequest: case TYPE.maskReply:
        s.add(f.ident, b, o + 4, 2);
        s.add(f.ident_le, b, o + 4, 2, b[o + 4] | (b[o + 5] << 8));
        if (!has(8)) return;
        s.add(f.seq, b, o + 6, 2);
        s.add(f.seq_le, b, o + 6, 2, b[o + 6] | (b[o + 7] << 8));
        break;
      case TYPE.unreachable:
        if (lengthWords > 0) {
          s.add(f.unused, b, o + 4, 1);
          s.add(f.length, b, o + 5, 1);
          s.add(f['length.original_datagram'], b, o + 5, 1, lengthWords * 4, GENERATED);
          if (!has(8)) return;
          s.add(code === 4 ? f.mtu : f.unused, b, o + 6, 2);
        } else if (code === 4) {
          s.add(f.unused, b, o + 4, 2);
          if (!has(8)) return;
          s.add(f.mtu, b, o + 6, 2);
        } else {
          if (!has(8)) return;
          s.add(f.unused, b, o + 4, 4);
        }
        break;
      case TYPE.routerAdvertisement:
        s.add(f.num_addrs, b, o + 4, 1);
        s.add(f.addr_entry_size, b, o + 5, 1);
        if (!has(8)) return;
        s.add(f.lifetime, b, o + 6, 2);
        break;
      case TYPE.parameterProblem:
        s.add(f.pointer, b, o + 4, 1);
        if (lengthWords > 0) {
          s.add(f.length, b, o + 5, 1);
          s.add(f['length.original_datagram'], b, o + 5, 1, lengthWords * 4, GENERATED);
          if (!has(8)) return;
          s.add(f.unused, b, o + 6, 2);
        } else {
          if (!has(8)) return;
          s.add(f.unused, b, o + 5, 3);
        }
        break;
      case TYPE.redirect:
        if (!has(8)) return;
        s.add(f.redir_gw, b, o + 4, 4);
        break;
      case TYPE.timeExceeded:
        if (lengthWords > 0) {
          s.add(f.unused, b, o + 4, 1);
          s.add(f.length, b, o + 5, 1);
          s.add(f['length.original_datagram'], b, o + 5, 1, lengthWords * 4, GENERATED);
          if (!has(8)) return;
          s.add(f.unused, b, o + 6, 2);
        } else {
          if (!has(8)) return;
          s.add(f.unused, b, o + 4, 4);
        }
        break;
      case TYPE.extendedEcho: case TYPE.extendedEchoReply:
        s.add(f.ident, b, o + 4, 2);
        s.add(f.ident_le, b, o + 4, 2, b[o + 4] | (b[o + 5] << 8));
        if (!has(8)) return;
        s.add(f['ext.echo.seq'], b, o + 6, 1);
        if (type === TYPE.extendedEcho) {
          s.add(f['ext.echo.req.res'], b, o + 7, 1);
          s.add(f['ext.echo.req.local'], b, o + 7, 1);
        } else {
          s.add(f['ext.echo.rsp.state'], b, o + 7, 1);
          s.add(f['ext.echo.rsp.res'], b, o + 7, 1);
          s.add(f['ext.echo.rsp.active'], b, o + 7, 1);
          s.add(f['ext.echo.rsp.ipv4'], b, o + 7, 1);
          s.add(f['ext.echo.rsp.ipv6'], b, o + 7, 1);
        }
        break;
    }
    const reported = reportedEnd(p, layer);
    switch (type) {
      case TYPE.unreachable: case TYPE.timeExceeded: case TYPE.parameterProblem: case TYPE.sourceQuench: case TYPE.redirect: {
        const ext = extensionStart(b, o, end, reported);
        if (ext >= 0) treeExtensions(s, b, ext, end, reported);
        break;
      }
      case TYPE.echoReply: case TYPE.echo: {
        if (end - (o + HEADER) < 8) break;
        const order = echoTimestampOrder(b, o + HEADER, p.tsSec);
        if (!order) break;
        const [sec, usec] = readTimestamp(b, o + HEADER, order);
        s.add(f.data_time, b, o + HEADER, 8, { sec, nsec: usec * 1000 });
        s.add(f.data_time_relative, b, o + HEADER, 8, timeDifference(p.tsSec, p.tsNsec, sec, usec * 1000), GENERATED);
        break;
      }
      case TYPE.routerAdvertisement:
        if (b[o + 5] === 2) {
          for (let i = 0, n = b[o + 4]; i < n; i++) {
            const at = o + HEADER + i * 8;
            if (end < at + 4) return;
            s.add(f.router_address, b, at, 4);
            if (end < at + 8) return;
            s.add(f.pref_level, b, at + 4, 4);
          }
        }
        break;
      case TYPE.timestamp: case TYPE.timestampReply:
        if (end < o + 12) return;
        s.add(f.originate_timestamp, b, o + 8, 4);
        if (end < o + 16) return;
        s.add(f.receive_timestamp, b, o + 12, 4);
        if (end < o + 20) return;
        s.add(f.transmit_timestamp, b, o + 16, 4);
        break;
      case TYPE.maskRequest: case TYPE.maskReply:
        if (end < o + 12) return;
        s.add(f.address_mask, b, o + 8, 4);
        break;
      case TYPE.extendedEcho:
        // RFC 8335: the request names the probed interface in an extension (the reply has none).
        if (reported > o + HEADER) treeExtensions(s, b, o + HEADER, end, reported);
        break;
    }
  },
});

/** a − b as seconds and nanoseconds of one sign, as format.ts prints relative times. */
function timeDifference(aSec: number, aNsec: number, bSec: number, bNsec: number): { sec: number; nsec: number } {
  let sec = aSec - bSec;
  let nsec = aNsec - bNsec;
  if (sec > 0 && nsec < 0) {
    sec--;
    nsec += 1e9;
  } else if (sec < 0 && nsec > 0) {
    sec++;
    nsec -= 1e9;
  }
  return { sec, nsec };
}

/**
 * The checksum item and its status: verified over the whole message unless it is quoted in an
 * error or cut by the snaplen (Wireshark: "in ICMP error packet" / unverified).
 */
function addChecksum(p: Packet, layer: number, s: Sink, b: Uint8Array, o: number, quoted: boolean): void {
  const f = icmpFields;
  const limit = p.limit[layer];
  const verify = !quoted && limit <= b.length && reportedEnd(p, layer) <= limit;
  if (!verify) {
    s.add(f.checksum, b, o + 2, 2, undefined, 0, s.wantsLabels ? `Checksum: 0x${u16(b, o + 2).toString(16).padStart(4, '0')} [${quoted ? 'in ICMP error packet' : 'unverified'}]` : undefined);
    s.add(f['checksum.status'], b, o + 2, 0, 2, GENERATED);
    return;
  }
  const sum = onesComplementSum(b, o, limit - o);
  const stored = u16(b, o + 2);
  if (sum === 0xffff) {
    s.add(f.checksum, b, o + 2, 2, undefined, 0, s.wantsLabels ? `Checksum: 0x${stored.toString(16).padStart(4, '0')} [correct]` : undefined);
    s.add(f['checksum.status'], b, o + 2, 0, 1, GENERATED);
    return;
  }
  const without = onesComplementSum(b, o + 4, limit - o - 4, onesComplementSum(b, o, 2));
  const shouldBe = ~without & 0xffff;
  s.add(f.checksum, b, o + 2, 2, undefined, 0, s.wantsLabels ? `Checksum: 0x${stored.toString(16).padStart(4, '0')} incorrect, should be 0x${shouldBe.toString(16).padStart(4, '0')}` : undefined);
  s.add(f['checksum.status'], b, o + 2, 0, 0, GENERATED);
  p.expert(layer, 'warn', 'checksum', 'icmp.checksum_bad', `Bad checksum [should be 0x${shouldBe.toString(16).padStart(4, '0')}]`);
}

/**
 * RFC 4884 multi-part extensions from `at` to the reported end: the common header (version,
 * checksum) and each object (length, class, C-type) with the MPLS label stack (RFC 4950),
 * interface information (RFC 5837) and interface identification (RFC 8335) objects decoded.
 */
export function treeExtensions(s: Sink, b: Uint8Array, at: number, end: number, reported: number): void {
  const f = icmpFields;
  const total = reported - at;
  s.add(f.ext, b, at, Math.max(0, Math.min(total, end - at)), null, 0, s.wantsLabels ? 'ICMP Multi-Part Extensions' : undefined);
  if (total < 4 || end < at + 1) return;
  s.push();
  const version = b[at] >> 4;
  s.add(f['ext.version'], b, at, 1, version);
  if (end < at + 2) return s.pop();
  s.add(f['ext.res'], b, at, 2);
  if (end < at + 4) return s.pop();
  const checksum = u16(b, at + 2);
  if (checksum === 0) {
    s.add(f['ext.checksum'], b, at + 2, 2);
    s.add(f['ext.checksum.status'], b, at + 2, 0, 3, GENERATED);
  } else if (end >= reported) {
    // Wireshark always verifies it: `[correct]`, or `incorrect, should be 0x…` (its warning item is not raised here).
    const good = onesComplementSum(b, at, total) === 0xffff;
    const should = ~onesComplementSum(b, at + 4, total - 4, onesComplementSum(b, at, 2)) & 0xffff;
    const hex = (v: number) => `0x${v.toString(16).padStart(4, '0')}`;
    s.add(f['ext.checksum'], b, at + 2, 2, undefined, 0, s.wantsLabels ? `Checksum: ${hex(checksum)} ${good ? '[correct]' : `incorrect, should be ${hex(should)}`}` : undefined);
    s.add(f['ext.checksum.status'], b, at + 2, 0, good ? 1 : 0, GENERATED);
  } else {
    // Wireshark computes the checksum over bytes the capture lacks before adding the item: it throws.
    return s.pop();
  }
  if (version !== 1 && version !== 2) {
    s.pop();
    return;
  }
  let off = at + 4;
  while (reported - off >= 4) {
    if (end < off + 2) break;
    const objLength = u16(b, off);
    const objEnd = off + Math.min(objLength, reported - off);
    s.add(f['ext.length'], b, off, 2);
    if (end < off + 3) break;
    const klass = b[off + 2];
    s.add(f['ext.class'], b, off + 2, 1);
    if (end < off + 4) break;
    const cType = b[off + 3];
    if (objLength < 4) break;
    let known = true;
    if (klass === 1 && cType === 1) {
      s.add(f['ext.ctype'], b, off + 3, 1);
      let e = off + 4;
      while (e + 4 <= objEnd && reported - e >= 4) {
        if (end < e + 4) break;
        s.add(f['mpls.label'], b, e, 3, (u16(b, e) << 4) | (b[e + 2] >> 4));
        s.add(f['mpls.exp'], b, e + 2, 1, (b[e + 2] >> 1) & 7);
        s.add(f['mpls.s'], b, e + 2, 1, (b[e + 2] & 1) !== 0);
        s.add(f['mpls.ttl'], b, e + 3, 1);
        e += 4;
      }
      if (e < objEnd && end >= objEnd) s.add(f['mpls.data'], b, e, objEnd - e);
    } else if (klass === 0 && cType === 1) {
      s.add(f['ext.ctype'], b, off + 3, 1);
      if (objEnd - off > 4 && end >= objEnd) s.add(f['ext.data'], b, off + 4, objEnd - off - 4);
    } else if (klass === 2) {
      treeInterfaceInformation(s, b, off, objEnd, end);
    } else if (klass === 3 && reported - off >= 5) {
      treeInterfaceIdentification(s, b, off, objLength, end, reported);
    } else {
      known = false;
    }
    if (!known) {
      s.add(f['ext.ctype'], b, off + 3, 1);
      if (objEnd - off > 4 && end >= objEnd) s.add(f['ext.data'], b, off + 4, objEnd - off - 4);
    }
    off = objEnd;
  }
  s.pop();
}

/** RFC 5837 interface information object: role and flags in the C-type, then the sub-objects they announce. */
function treeInterfaceInformation(s: Sink, b: Uint8Array, off: number, objEnd: number, end: number): void {
  const f = icmpFields;
  const cType = b[off + 3];
  s.add(f['ext.ctype'], b, off + 3, 1);
  s.push();
  s.add(f['int_info.role'], b, off + 3, 1);
  s.add(f['int_info.reserved'], b, off + 3, 1);
  s.add(f['int_info.ifindex'], b, off + 3, 1);
  s.add(f['int_info.ipaddr'], b, off + 3, 1);
  s.add(f['int_info.name_present'], b, off + 3, 1);
  s.add(f['int_info.mtu_present'], b, off + 3, 1);
  s.pop();
  let at = off + 4;
  if (cType & 0x08) {
    if (end < at + 4) return;
    s.add(f['int_info.index'], b, at, 4);
    at += 4;
  }
  if (cType & 0x04 && objEnd >= at + 2) {
    if (end < at + 2) return;
    const afi = u16(b, at);
    s.add(f['int_info.afi'], b, at, 2);
    if (end < at + 4) return;
    s.add(f.reserved, b, at + 2, 2);
    at += 4;
    if (afi === 1) {
      if (end < at + 4) return;
      s.add(f['int_info.ipv4'], b, at, 4);
      at += 4;
    } else if (afi === 2) {
      if (end < at + 16) return;
      s.add(f['int_info.ipv6'], b, at, 16);
      at += 16;
    } else {
      return;
    }
  }
  if (cType & 0x02) {
    let nameLength = 0;
    if (objEnd >= at + 1) {
      if (end < at + 1) return;
      nameLength = b[at];
      s.add(f['int_info.name_length'], b, at, 1);
      at += 1;
    }
    if (objEnd >= at + nameLength && nameLength > 0) {
      if (end < at + nameLength - 1) return;
      s.add(f['int_info.name'], b, at, nameLength - 1);
      at += nameLength - 1;
    }
  }
  if (cType & 0x01) {
    if (end < at + 4) return;
    s.add(f['int_info.mtu'], b, at, 4);
  }
}

/** RFC 8335 interface identification object (extended echo requests). */
function treeInterfaceIdentification(s: Sink, b: Uint8Array, off: number, objLength: number, end: number, reported: number): void {
  const f = icmpFields;
  const cType = b[off + 3];
  s.add(f['ext.ctype'], b, off + 3, 1);
  let at = off + 4;
  if (cType === 1) {
    if (end >= at + objLength - 4 && objLength >= 4) s.add(f['int_ident.name'], b, at, objLength - 4);
  } else if (cType === 2) {
    if (end >= at + 4) s.add(f['int_ident.index'], b, at, 4);
  } else if (cType === 3) {
    if (end < at + 2) return;
    const afi = u16(b, at);
    s.add(f['int_ident.afi'], b, at, 2);
    if (end < at + 3) return;
    let addrLength = b[at + 2];
    s.add(f['int_ident.addr_length'], b, at + 2, 1);
    if (end < at + 4) return;
    s.add(f['int_ident.reserved'], b, at + 3, 1);
    at += 4;
    const step = afi === 1 ? 4 : afi === 2 ? 16 : 0;
    if (!step) {
      if (end >= reported && reported > at) s.add(f['int_ident.address'], b, at, reported - at);
      return;
    }
    while (addrLength >= step && reported - at >= step) {
      if (end < at + step) return;
      s.add(afi === 1 ? f['int_ident.ipv4'] : f['int_ident.ipv6'], b, at, step);
      at += step;
      addrLength -= step;
    }
  }
}

/** `type (code)` text of an ICMP message, for summaries and findings. */
export function icmpDescription(type: number, code: number): string {
  const t = icmpTypeNames[type] ?? `Unknown ICMP (obsolete or malformed?)`;
  const c = icmpCodeNames[type]?.[code];
  return c ? `${t} (${c})` : t;
}

ipProtocols.add(1, icmp);

// ---- Packet-list columns (Wireshark's Info text) ----
/** Types whose code packet-icmp.c names in the Info column, `(Port unreachable)`. */
const infoCodeTypes = new Set([3, 5, 11, 12, 40, 42, 43]);

/**
 * Echo requests seen, per decoder (a capture): `addresses|id|seq` → frame, so a reply names its
 * request as tshark's one pass does (`(request in 5)`); a request cannot name its later reply.
 */
const echoRequests = new WeakMap<object, Map<string, number>>();

/** The echo transaction key of an ICMP or ICMPv6 echo: both directions give the same key. */
export function echoKey(p: Packet, layer: number, id: number, seq: number): string | undefined {
  const net = layer > 0 ? p.proto[layer - 1] : -1;
  const b = p.bufferOf(layer - 1);
  const o = p.start[layer - 1];
  let a: string;
  let z: string;
  if (net === ipv4.id && b.length >= o + 20) {
    a = String(u32(b, o + 12));
    z = String(u32(b, o + 16));
  } else if (layer > 0 && b.length >= o + 40 && b[o] >> 4 === 6) {
    a = Buffer.from(b.subarray(o + 8, o + 24)).toString('hex');
    z = Buffer.from(b.subarray(o + 24, o + 40)).toString('hex');
  } else return undefined;
  return `${a < z ? a + z : z + a}|${id}|${seq}`;
}

/**
 * Remembers an echo request (`request` true) or finds the request of a reply; returns the
 * ` (request in N)` text for a reply whose request was seen, else ''.
 */
export function echoTransaction(p: Packet, key: string | undefined, request: boolean): string {
  if (key === undefined) return '';
  let seen = echoRequests.get(p.state);
  if (!seen) echoRequests.set(p.state, (seen = new Map()));
  if (request) {
    seen.set(key, p.number);
    return '';
  }
  const frame = seen.get(key);
  return frame !== undefined && frame < p.number ? ` (request in ${frame})` : '';
}

/**
 * `Echo (ping) request  id=0x0001, seq=1/256, ttl=64` and `Destination unreachable (Port
 * unreachable)`: the type padded to 20 characters (packet-icmp.c's `%-20s`), the code, and for
 * echoes the identifier, the sequence number in both byte orders and the carrying IP's TTL.
 */
icmp.info = (p, layer, col) => {
  const b = p.bufferOf(layer);
  const o = p.start[layer];
  const end = Math.min(b.length, p.limit[layer]);
  col.setProtocol('ICMP');
  col.clear();
  if (end < o + 2) return;
  const type = b[o];
  const code = b[o + 1];
  let text = (icmpTypeNames[type] ?? 'Unknown ICMP (obsolete or malformed?)').padEnd(20);
  if (infoCodeTypes.has(type) || (type === 9 && code === 16)) text += ` (${icmpCodeNames[type]?.[code] ?? `Unknown code: ${code}`})`;
  col.set(text);
  if ((type === TYPE.echo || type === TYPE.echoReply) && end >= o + HEADER) {
    const id = u16(b, o + 4);
    const seq = u16(b, o + 6);
    let echo = ` id=0x${id.toString(16).padStart(4, '0')}, seq=${seq}/${((seq & 0xff) << 8) | (seq >> 8)}`;
    if (layer > 0 && p.proto[layer - 1] === ipv4.id) echo += `, ttl=${p.bufferOf(layer - 1)[p.start[layer - 1] + 8]}`;
    col.append(echo + echoTransaction(p, echoKey(p, layer, id, seq), type === TYPE.echo));
  }
};
