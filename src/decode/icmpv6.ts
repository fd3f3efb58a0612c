/**
 * ICMPv6 (RFC 4443) with Neighbor Discovery (RFC 4861: router/neighbor solicitation and
 * advertisement, redirect, and their options) and MLD (RFC 2710, RFC 3810).
 *
 * Error messages (destination unreachable, packet too big, time exceeded, parameter problem)
 * quote the offending IPv6 packet: the walk continues into it with the ICMPv6 layer as parent,
 * so the quoted IPv6 and what follows are children of ICMPv6 (tshark then reports two values
 * for `ipv6.src`, outer then inner). A redirect's "redirected header" option is quoted the
 * same way. Echo data is a child of ICMPv6.
 *
 * Offsets: 0 type, 1 code, 2 checksum (over the RFC 8200 §8.1 pseudo-header), 4.. body.
 */
import { defineFields } from '../fields/field.js';
import { bitmaskLabel } from '../fields/format.js';
import type { Sink } from '../fields/sink.js';
import { GENERATED, HIDDEN } from '../fields/value.js';
import { ipv6ToString, macToString, onesComplementSum, toHex, u16, u32 } from './bytes.js';
import { ipProtocols, registerDissector, STOP } from './dissector.js';
import { data } from './data.js';
import { markMissing, reportedEnd, treeExtensions } from './icmp.js';
import { checksumStatus } from './ip-common.js';
import { ipv4 } from './ipv4.js';
import { ipv6, pseudoHeaderDestination } from './ipv6.js';
import type { Packet } from './packet.js';

const TYPE = {
  unreachable: 1, packetTooBig: 2, timeExceeded: 3, parameterProblem: 4, echoRequest: 128, echoReply: 129,
  mldQuery: 130, mldReport: 131, mldDone: 132, routerSolicitation: 133, routerAdvertisement: 134,
  neighborSolicitation: 135, neighborAdvertisement: 136, redirect: 137, inverseSolicitation: 141, inverseAdvertisement: 142,
  mldv2Report: 143, extendedEcho: 160, extendedEchoReply: 161,
} as const;

/** Names of ICMPv6 types (Wireshark's icmpv6_type_val). */
export const icmpv6TypeNames: Record<number, string> = {
  1: 'Destination Unreachable', 2: 'Packet Too Big', 3: 'Time Exceeded', 4: 'Parameter Problem', 100: 'Private experimentation',
  101: 'Private experimentation', 127: 'Reserved for expansion of ICMPv6 error messages', 128: 'Echo (ping) request',
  129: 'Echo (ping) reply', 130: 'Multicast Listener Query', 131: 'Multicast Listener Report', 132: 'Multicast Listener Done',
  133: 'Router Solicitation', 134: 'Router Advertisement', 135: 'Neighbor Solicitation', 136: 'Neighbor Advertisement',
  137: 'Redirect', 138: 'Router Renumbering', 139: 'ICMP Node Information Query', 140: 'ICMP Node Information Response',
  141: 'Inverse Neighbor Discovery Solicitation Message', 142: 'Inverse Neighbor Discovery Advertisement Message',
  143: 'Multicast Listener Report Message v2', 144: 'Home Agent Address Discovery Request Message',
  145: 'Home Agent Address Discovery Reply Message', 146: 'Mobile Prefix Solicitation', 147: 'Mobile Prefix Advertisement',
  148: 'Certification Path Solicitation Message', 149: 'Certification Path Advertisement Message',
  150: 'Experimental Mobility Protocols', 151: 'Multicast Router Advertisement', 152: 'Multicast Router Solicitation',
  153: 'Multicast Router Termination', 154: 'FMIPv6 Messages', 155: 'RPL Control Message',
  156: 'ILNPv6 Locator Update Message', 157: 'Duplicate Address Request', 158: 'Duplicate Address Confirmation',
  159: 'MPL Control Message', 160: 'Extended Echo request', 161: 'Extended Echo reply', 200: 'Private experimentation',
  201: 'Private experimentation', 255: 'Reserved for expansion of ICMPv6 informational messages',
};

const codeNames: Record<number, Record<number, string>> = {
  1: {
    0: 'no route to destination', 1: 'communication with destination administratively prohibited', 2: 'beyond scope of source address',
    3: 'address unreachable', 4: 'port unreachable', 5: 'source address failed ingress/egress policy', 6: 'reject route to destination',
    7: 'Error in Source Routing Header',
  },
  3: { 0: 'hop limit exceeded in transit', 1: 'fragment reassembly time exceeded' },
  4: {
    0: 'erroneous header field encountered', 1: 'unrecognized Next Header type encountered', 2: 'unrecognized IPv6 option encountered',
    3: 'IPv6 First Fragment has incomplete IPv6 Header Chain',
  },
};

/** Names of Neighbor Discovery option types (Wireshark's option_vals, the common ones). */
const optionNames: Record<number, string> = {
  1: 'Source link-layer address', 2: 'Target link-layer address', 3: 'Prefix information', 4: 'Redirected header', 5: 'MTU',
  6: 'NBMA Shortcut Limit Option', 7: 'Advertisement Interval', 8: 'Home Agent Information', 9: 'Source Address List',
  10: 'Target Address List', 11: 'CGA', 12: 'RSA Signature', 13: 'Timestamp', 14: 'Nonce', 15: 'Trust Anchor', 16: 'Certificate',
  17: 'IP Address/Prefix Option', 18: 'New Router Prefix Information Option', 19: 'Link-layer Address Option',
  20: 'Neighbor Advertisement Acknowledgment Option', 23: 'MAP', 24: 'Route Information', 25: 'Recursive DNS Server',
  26: 'RA Flags Extension Option', 27: 'Handover Key Request', 28: 'Handover Key Reply', 29: 'Handover Assist Information',
  30: 'Mobile Node Identifier', 31: 'DNS Search List Option', 32: 'Proxy Signature (PS)', 33: 'Address Registration Option',
  34: '6LoWPAN Context Option', 35: 'Authoritative Border Router', 36: '6LoWPAN Capability Indication Option (6CIO)',
  37: 'DHCP Captive-Portal', 38: 'PREF64 Option', 138: 'CARD Request option', 139: 'CARD Reply option', 253: 'RFC3692-style Experiment 1',
  254: 'RFC3692-style Experiment 2',
};

const routerPreference: Record<number, string> = { 0: 'Medium', 1: 'High', 2: 'Reserved', 3: 'Low' };

export const icmpv6Fields = defineFields('icmpv6', {
  type: { display: 'Type', type: 'uint8', base: 'dec', values: icmpv6TypeNames, description: 'Indicates the type of the message' },
  code: { display: 'Code', type: 'uint8', base: 'dec' },
  checksum: { display: 'Checksum', type: 'uint16', base: 'hex' },
  'checksum.status': { display: 'Checksum Status', type: 'uint8', base: 'none', values: checksumStatus },
  reserved: { display: 'Reserved', type: 'bytes', description: 'Must be Zero' },
  unknown_data: { display: 'Unknown Data', type: 'bytes', description: 'Not interpreted Data' },
  length: { display: 'Length of original datagram', type: 'uint8', base: 'dec' },
  mtu: { display: 'MTU', type: 'uint32', base: 'dec' },
  pointer: { display: 'Pointer', type: 'uint32', base: 'dec' },
  'echo.identifier': { display: 'Identifier', type: 'uint16', base: 'hex' },
  'echo.sequence_number': { display: 'Sequence', type: 'uint16', base: 'dec' },
  'ext.echo.seq': { display: 'Sequence number', type: 'uint8', base: 'dec_hex' },
  'ext.echo.req.res': { display: 'Reserved', type: 'uint8', base: 'hex', mask: 0xfe },
  'ext.echo.req.local': { display: 'Local bit', type: 'bool', mask: 0x01, bits: 8, trueFalse: ['Set', 'Not set'] },
  'ext.echo.rsp.state': { display: 'State', type: 'uint8', base: 'dec', mask: 0xe0, values: { 0: 'Reserved', 1: 'Incomplete', 2: 'Reachable', 3: 'Stale', 4: 'Delay', 5: 'Probe', 6: 'Failed' } },
  'ext.echo.rsp.res': { display: 'Reserved', type: 'uint8', base: 'hex', mask: 0x18 },
  'ext.echo.rsp.active': { display: 'Active bit', type: 'bool', mask: 0x04, bits: 8, trueFalse: ['Set', 'Not set'] },
  'ext.echo.rsp.ipv4': { display: 'IPv4 bit', type: 'bool', mask: 0x02, bits: 8, trueFalse: ['Set', 'Not set'] },
  'ext.echo.rsp.ipv6': { display: 'IPv6 bit', type: 'bool', mask: 0x01, bits: 8, trueFalse: ['Set', 'Not set'] },
  'mld.maximum_response_delay': { display: 'Maximum Response Delay [ms]', type: 'uint16', base: 'dec' },
  'mld.maximum_response_code': { display: 'Maximum Response Code', type: 'uint16', base: 'dec' },
  'mld.multicast_address': { display: 'Multicast Address', type: 'ipv6' },
  'mld.flag': { display: 'Flags', type: 'uint8', base: 'hex' },
  'mld.flag.s': { display: 'Suppress Router-Side Processing', type: 'bool', mask: 0x08, bits: 8 },
  'mld.flag.qrv': { display: "QRV (Querier's Robustness Variable)", type: 'uint8', base: 'dec', mask: 0x07 },
  'mld.flag.reserved': { display: 'Reserved', type: 'uint8', base: 'dec', mask: 0xf0 },
  'mld.qqi': { display: "QQIC (Querier's Query Interval Code)", type: 'uint8', base: 'dec' },
  'mld.nb_sources': { display: 'Number of Sources', type: 'uint16', base: 'dec' },
  'mld.source_address': { display: 'Source Address', type: 'ipv6' },
  'mldr.nb_mcast_records': { display: 'Number of Multicast Address Records', type: 'uint16', base: 'dec' },
  'mldr.mar': { display: 'Multicast Address Record', type: 'none' },
  'mldr.mar.record_type': {
    display: 'Record Type', type: 'uint8', base: 'dec',
    values: { 1: 'Include', 2: 'Exclude', 3: 'Changed to include', 4: 'Changed to exclude', 5: 'Allow new sources', 6: 'Block old sources' },
  },
  'mldr.mar.aux_data_len': { display: 'Aux Data Len', type: 'uint8', base: 'dec' },
  'mldr.mar.nb_sources': { display: 'Number of Sources', type: 'uint16', base: 'dec' },
  'mldr.mar.multicast_address': { display: 'Multicast Address', type: 'ipv6' },
  'mldr.mar.source_address': { display: 'Source Address', type: 'ipv6' },
  'mldr.mar.auxiliary_data': { display: 'Auxiliary Data', type: 'bytes' },
  'nd.ra.cur_hop_limit': { display: 'Cur hop limit', type: 'uint8', base: 'dec' },
  'nd.ra.flag': { display: 'Flags', type: 'uint8', base: 'hex' },
  'nd.ra.flag.m': { display: 'Managed address configuration', type: 'bool', mask: 0x80, bits: 8, trueFalse: ['Set', 'Not set'] },
  'nd.ra.flag.o': { display: 'Other configuration', type: 'bool', mask: 0x40, bits: 8, trueFalse: ['Set', 'Not set'] },
  'nd.ra.flag.h': { display: 'Home Agent', type: 'bool', mask: 0x20, bits: 8, trueFalse: ['Set', 'Not set'] },
  'nd.ra.flag.prf': { display: 'Prf (Default Router Preference)', type: 'uint8', base: 'dec', mask: 0x18, values: routerPreference },
  'nd.ra.flag.p': { display: 'Proxy', type: 'bool', mask: 0x04, bits: 8, trueFalse: ['Set', 'Not set'] },
  'nd.ra.flag.rsv': { display: 'Reserved', type: 'uint8', base: 'dec', mask: 0x03 },
  'nd.ra.router_lifetime': { display: 'Router lifetime (s)', type: 'uint16', base: 'dec' },
  'nd.ra.reachable_time': { display: 'Reachable time (ms)', type: 'uint32', base: 'dec' },
  'nd.ra.retrans_timer': { display: 'Retrans timer (ms)', type: 'uint32', base: 'dec' },
  'nd.ns.target_address': { display: 'Target Address', type: 'ipv6' },
  'nd.na.flag': { display: 'Flags', type: 'uint32', base: 'hex' },
  'nd.na.flag.r': { display: 'Router', type: 'bool', mask: 0x80000000, bits: 32, trueFalse: ['Set', 'Not set'] },
  'nd.na.flag.s': { display: 'Solicited', type: 'bool', mask: 0x40000000, bits: 32, trueFalse: ['Set', 'Not set'] },
  'nd.na.flag.o': { display: 'Override', type: 'bool', mask: 0x20000000, bits: 32, trueFalse: ['Set', 'Not set'] },
  'nd.na.flag.rsv': { display: 'Reserved', type: 'uint32', base: 'dec', mask: 0x1fffffff },
  'nd.na.target_address': { display: 'Target Address', type: 'ipv6' },
  'nd.rd.target_address': { display: 'Target Address', type: 'ipv6' },
  'rd.na.destination_address': { display: 'Destination Address', type: 'ipv6' },
  opt: { display: 'ICMPv6 Option', type: 'none' },
  'opt.type': { display: 'Type', type: 'uint8', base: 'dec', values: optionNames },
  'opt.length': { display: 'Length', type: 'uint8', base: 'dec' },
  'opt.reserved': { display: 'Reserved', type: 'none' },
  'opt.padding': { display: 'Padding', type: 'none' },
  // Wireshark registers this name twice: FT_ETHER for 6-byte addresses, FT_BYTES otherwise.
  // The bytes form is given here as its text (plain hex), which is how tshark prints it.
  'opt.linkaddr': { display: 'Link-layer address', type: 'ether' },
  'opt.src_linkaddr': { display: 'Source Link-layer address', type: 'ether' },
  'opt.target_linkaddr': { display: 'Target Link-layer address', type: 'ether' },
  'opt.linkaddr_eui64': { display: 'Link-layer address', type: 'ether' },
  'opt.src_linkaddr_eui64': { display: 'Source Link-layer address', type: 'ether' },
  'opt.target_linkaddr_eui64': { display: 'Target Link-layer address', type: 'ether' },
  'opt.prefix.length': { display: 'Prefix Length', type: 'uint8', base: 'dec' },
  'opt.prefix.flag': { display: 'Flag', type: 'uint8', base: 'hex' },
  'opt.prefix.flag.l': { display: 'On-link flag(L)', type: 'bool', mask: 0x80, bits: 8, trueFalse: ['Set', 'Not set'] },
  'opt.prefix.flag.a': { display: 'Autonomous address-configuration flag(A)', type: 'bool', mask: 0x40, bits: 8, trueFalse: ['Set', 'Not set'] },
  'opt.prefix.flag.r': { display: 'Router address flag(R)', type: 'bool', mask: 0x20, bits: 8, trueFalse: ['Set', 'Not set'] },
  'opt.prefix.flag.reserved': { display: 'Reserved', type: 'uint8', base: 'dec', mask: 0x1f },
  'opt.prefix.valid_lifetime': { display: 'Valid Lifetime', type: 'uint32', base: 'dec' },
  'opt.prefix.preferred_lifetime': { display: 'Preferred Lifetime', type: 'uint32', base: 'dec' },
  'opt.prefix': { display: 'Prefix', type: 'ipv6' },
  'opt.redirected_packet': { display: 'Redirected Packet', type: 'none' },
  'opt.mtu': { display: 'MTU', type: 'uint32', base: 'dec' },
  'opt.advertisement_interval': { display: 'Advertisement Interval', type: 'uint32', base: 'dec' },
  'opt.nonce': { display: 'Nonce', type: 'bytes' },
  'opt.route_info.flag': { display: 'Flag', type: 'uint8', base: 'hex' },
  'opt.route_info.flag.route_preference': { display: 'Route Preference', type: 'uint8', base: 'dec', mask: 0x18, values: routerPreference },
  'opt.route_info.flag.reserved': { display: 'Reserved', type: 'uint8', base: 'dec', mask: 0xe7 },
  'opt.route_lifetime': { display: 'Route Lifetime', type: 'uint32', base: 'dec' },
  'opt.rdnss.lifetime': { display: 'Lifetime', type: 'uint32', base: 'dec' },
  'opt.rdnss': { display: 'Recursive DNS Servers', type: 'ipv6' },
  'opt.dnssl.lifetime': { display: 'Lifetime', type: 'uint32', base: 'dec' },
  'opt.dnssl': { display: 'Domain Names', type: 'string' },
});

/** The router advertisement flag bits, in the order of the flags item's text. */
const raFlagBits = [
  icmpv6Fields['nd.ra.flag.m'], icmpv6Fields['nd.ra.flag.o'], icmpv6Fields['nd.ra.flag.h'], icmpv6Fields['nd.ra.flag.prf'], icmpv6Fields['nd.ra.flag.p'],
];

/** Error messages that quote the offending packet right after an 8-byte header. */
const quotingTypes = new Set<number>([TYPE.unreachable, TYPE.packetTooBig, TYPE.timeExceeded, TYPE.parameterProblem]);

/** The dissector for a packet quoted in an ICMPv6 error: IPv6 when the version nibble is 6, else data. */
function quotedDissector(b: Uint8Array, at: number, end: number): number {
  if (at >= end) return STOP;
  return b[at] >> 4 === 6 ? ipv6.id : data.id;
}

/** Finds the redirected-header option (type 4) of a redirect message: its packet's [start, end), or -1. */
function redirectedPacket(b: Uint8Array, o: number, end: number, out: Int32Array): boolean {
  let at = o + 40;
  while (at + 2 <= end) {
    const len = b[at + 1] * 8;
    if (len === 0) return false;
    if (b[at] === 4 && len > 8) {
      out[0] = at + 8;
      out[1] = Math.min(end, at + len);
      return true;
    }
    at += len;
  }
  return false;
}
const span = new Int32Array(2);

/** Bytes Wireshark reads of each message type before its options or quoted packet (the rest throws). */
const fixedLengths: Record<number, number> = {
  1: 8, 2: 8, 3: 8, 4: 8, 128: 8, 129: 8, 130: 24, 131: 24, 132: 24, 133: 8, 134: 16, 135: 24, 136: 24, 137: 40,
  141: 8, 142: 8, 143: 8, 160: 8, 161: 8,
};

function fixedLength(type: number, b: Uint8Array, o: number, captured: number): number {
  // An MLDv2 query (28 bytes or more captured) lists its sources after the fixed part.
  if (type === 130 && captured - o >= 28) return 28 + 16 * u16(b, o + 26);
  return fixedLengths[type] ?? 4;
}

/** Flags the packet when an MLDv2 report's records (RFC 3810 §5.2) run past the message, as Wireshark's reads do. */
function checkRecords(p: Packet, layer: number, b: Uint8Array, at: number): void {
  const reported = reportedEnd(p, layer);
  const captured = Math.min(b.length, p.limit[layer]);
  while (at < reported) {
    if (at + 4 > captured) return markMissing(p, layer, at + 4, 'MLDv2 record header cut short');
    const length = 20 + 16 * u16(b, at + 2) + 4 * b[at + 1];
    if (at + length > captured) return markMissing(p, layer, at + length, 'MLDv2 record runs past the end of the message');
    at += length;
  }
}

/** Where Neighbor Discovery options start, by message type (RFC 4861 §4). */
const optionsStart: Record<number, number> = { 133: 8, 134: 16, 135: 24, 136: 24, 137: 40, 141: 8, 142: 8 };

/**
 * Flags the packet for an option with length 0 (Wireshark's "Invalid option length (Zero)",
 * a malformed-group error) or one that runs past the message (its item then throws).
 */
function checkOptions(p: Packet, layer: number, b: Uint8Array, at: number): void {
  const reported = reportedEnd(p, layer);
  const captured = Math.min(b.length, p.limit[layer]);
  while (at < reported) {
    if (at + 2 > captured) return markMissing(p, layer, at + 2, 'ICMPv6 option header cut short');
    const len = b[at + 1] * 8;
    if (len === 0) return p.markMalformed(layer, 'ICMPv6 option with length zero');
    if (at + len > captured) return markMissing(p, layer, at + len, 'ICMPv6 option runs past the end of the message');
    at += len;
  }
}

export const icmpv6 = registerDissector({
  name: 'icmpv6',
  display: 'Internet Control Message Protocol v6',
  decode(p, layer) {
    const b = p.bufferOf(layer);
    const o = p.start[layer];
    const lim = p.limit[layer];
    const quoted = p.isQuoted(layer);
    p.end[layer] = lim;
    if (lim - o < 4) {
      markMissing(p, layer, o + 4, 'ICMPv6 message shorter than 4 bytes');
      return STOP;
    }
    const type = b[o];
    const fixed = fixedLength(type, b, o, Math.min(lim, b.length));
    if (lim - o < fixed) {
      markMissing(p, layer, o + fixed, `ICMPv6 ${icmpv6TypeNames[type] ?? 'message'} shorter than ${fixed} bytes`);
      return STOP;
    }
    if (quotingTypes.has(type)) {
      // Wireshark reads the header, then the first quoted byte to pick IPv6 or data.
      if (lim - o < 9) {
        markMissing(p, layer, o + 9, 'ICMPv6 error without a quoted packet');
        return STOP;
      }
      p.end[layer] = p.nextStart = o + 8;
      p.nextParent = layer;
      return quotedDissector(b, o + 8, lim);
    }
    if (type === TYPE.echoRequest || type === TYPE.echoReply) {
      if (lim - o < 8) {
        markMissing(p, layer, o + 8, 'ICMPv6 echo shorter than 8 bytes');
        return STOP;
      }
      p.end[layer] = p.nextStart = o + 8;
      p.nextParent = layer;
      return o + 8 < lim ? data.id : STOP;
    }
    const options = optionsStart[type];
    if (options !== undefined) checkOptions(p, layer, b, o + options);
    else if (type === TYPE.mldv2Report) checkRecords(p, layer, b, o + 8);
    if (type === TYPE.redirect && redirectedPacket(b, o, Math.min(lim, b.length), span)) {
      p.nextStart = span[0];
      p.nextEnd = span[1];
      p.nextParent = layer;
      return quotedDissector(b, span[0], span[1]);
    }
    return STOP;
  },
  tree(p, layer, s) {
    const b = p.bufferOf(layer);
    const o = p.start[layer];
    const f = icmpv6Fields;
    const end = Math.min(b.length, p.limit[layer]);
    if (end < o + 1) return;
    const type = b[o];
    s.add(f.type, b, o, 1);
    if (end < o + 2) return;
    const codeName = codeNames[type]?.[b[o + 1]];
    s.add(f.code, b, o + 1, 1, undefined, 0, s.wantsLabels && codeName ? `Code: ${b[o + 1]} (${codeName})` : undefined);
    if (end < o + 4) return;
    addChecksum(p, layer, s, b, o);
    const has = (n: number) => end >= o + n;
    switch (type) {
      case TYPE.echoRequest: case TYPE.echoReply:
        if (!has(6)) return;
        s.add(f['echo.identifier'], b, o + 4, 2);
        if (!has(8)) return;
        s.add(f['echo.sequence_number'], b, o + 6, 2);
        return;
      case TYPE.unreachable: case TYPE.timeExceeded: {
        if (!has(5)) return;
        const lengthWords = b[o + 4];
        if (lengthWords) {
          // RFC 4884: the quoted packet is padded to a multiple of 8 bytes, extensions follow.
          s.add(f.length, b, o + 4, 1);
          if (!has(8)) return;
          s.add(f.reserved, b, o + 5, 3);
          const ext = o + 8 + 8 * lengthWords;
          const reported = reportedEnd(p, layer);
          if (ext <= reported) treeExtensions(s, b, ext, end, reported);
        } else {
          if (!has(8)) return;
          s.add(f.reserved, b, o + 4, 4);
        }
        return;
      }
      case TYPE.packetTooBig:
        if (!has(8)) return;
        s.add(f.mtu, b, o + 4, 4);
        return;
      case TYPE.parameterProblem:
        if (!has(8)) return;
        s.add(f.pointer, b, o + 4, 4);
        return;
      case TYPE.mldQuery: case TYPE.mldReport: case TYPE.mldDone:
        treeMld(s, b, o, end, type);
        return;
      case TYPE.routerSolicitation: case TYPE.inverseSolicitation: case TYPE.inverseAdvertisement:
        if (!has(8)) return;
        s.add(f.reserved, b, o + 4, 4);
        treeOptions(p, layer, s, b, o + 8, end);
        return;
      case TYPE.routerAdvertisement:
        if (!has(5)) return;
        s.add(f['nd.ra.cur_hop_limit'], b, o + 4, 1);
        if (!has(6)) return;
        s.add(f['nd.ra.flag'], b, o + 5, 1, undefined, 0, s.wantsLabels ? bitmaskLabel(f['nd.ra.flag'], b[o + 5], raFlagBits) : undefined);
        s.push();
        s.add(f['nd.ra.flag.m'], b, o + 5, 1);
        s.add(f['nd.ra.flag.o'], b, o + 5, 1);
        s.add(f['nd.ra.flag.h'], b, o + 5, 1);
        s.add(f['nd.ra.flag.prf'], b, o + 5, 1);
        s.add(f['nd.ra.flag.p'], b, o + 5, 1);
        s.add(f['nd.ra.flag.rsv'], b, o + 5, 1);
        s.pop();
        if (!has(8)) return;
        s.add(f['nd.ra.router_lifetime'], b, o + 6, 2);
        if (!has(12)) return;
        s.add(f['nd.ra.reachable_time'], b, o + 8, 4);
        if (!has(16)) return;
        s.add(f['nd.ra.retrans_timer'], b, o + 12, 4);
        treeOptions(p, layer, s, b, o + 16, end);
        return;
      case TYPE.neighborSolicitation:
        if (!has(8)) return;
        s.add(f.reserved, b, o + 4, 4);
        if (!has(24)) return;
        s.add(f['nd.ns.target_address'], b, o + 8, 16);
        treeOptions(p, layer, s, b, o + 24, end);
        return;
      case TYPE.neighborAdvertisement:
        if (!has(8)) return;
        s.add(f['nd.na.flag'], b, o + 4, 4);
        s.push();
        s.add(f['nd.na.flag.r'], b, o + 4, 4);
        s.add(f['nd.na.flag.s'], b, o + 4, 4);
        s.add(f['nd.na.flag.o'], b, o + 4, 4);
        s.add(f['nd.na.flag.rsv'], b, o + 4, 4);
        s.pop();
        if (!has(24)) return;
        s.add(f['nd.na.target_address'], b, o + 8, 16);
        treeOptions(p, layer, s, b, o + 24, end);
        return;
      case TYPE.redirect:
        if (!has(8)) return;
        s.add(f.reserved, b, o + 4, 4);
        if (!has(24)) return;
        s.add(f['nd.rd.target_address'], b, o + 8, 16);
        if (!has(40)) return;
        s.add(f['rd.na.destination_address'], b, o + 24, 16);
        treeOptions(p, layer, s, b, o + 40, end);
        return;
      case TYPE.mldv2Report:
        treeMldv2Report(s, b, o, end, reportedEnd(p, layer));
        return;
      case TYPE.extendedEcho: case TYPE.extendedEchoReply: {
        // RFC 8335 PROBE: identifier, sequence, flags, then the interface identification extension.
        if (!has(6)) return;
        s.add(f['echo.identifier'], b, o + 4, 2);
        if (!has(7)) return;
        s.add(f['ext.echo.seq'], b, o + 6, 1);
        if (!has(8)) return;
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
        const reported = reportedEnd(p, layer);
        if (type === TYPE.extendedEcho && reported > o + 8) treeExtensions(s, b, o + 8, end, reported);
        return;
      }
    }
  },
});

/**
 * The checksum over the pseudo-header of the carrying IP layer (its source, the final
 * destination, the length and next header 58), verified unless quoted in an error or cut
 * by the snaplen — as Wireshark's proto_tree_add_checksum with PROTO_CHECKSUM_VERIFY.
 */
function addChecksum(p: Packet, layer: number, s: Sink, b: Uint8Array, o: number): void {
  const f = icmpv6Fields;
  const limit = p.limit[layer];
  const carrier = carrierLayer(p, layer);
  const verify = !p.isQuoted(layer) && carrier >= 0 && limit <= b.length && reportedEnd(p, layer) <= limit;
  if (!verify) {
    s.add(f.checksum, b, o + 2, 2, undefined, 0, s.wantsLabels ? `Checksum: 0x${u16(b, o + 2).toString(16).padStart(4, '0')} [${p.isQuoted(layer) ? 'in ICMP error packet' : 'unverified'}]` : undefined);
    s.add(f['checksum.status'], b, o + 2, 0, 2, GENERATED);
    return;
  }
  const length = limit - o;
  const nb = p.bufferOf(carrier);
  const no = p.start[carrier];
  let pseudo: number;
  if (p.proto[carrier] === ipv6.id) {
    pseudo = onesComplementSum(nb, no + 8, 16);
    pseudo = onesComplementSum(nb, pseudoHeaderDestination[carrier], 16, pseudo);
  } else {
    pseudo = onesComplementSum(nb, no + 12, 8);
  }
  pseudo += (length >>> 16) + (length & 0xffff) + 58;
  const sum = onesComplementSum(b, o, length, pseudo);
  const stored = u16(b, o + 2);
  const good = sum === 0xffff;
  const shouldBe = good ? stored : ~onesComplementSum(b, o + 4, length - 4, onesComplementSum(b, o, 2, pseudo)) & 0xffff;
  s.add(f.checksum, b, o + 2, 2, undefined, 0, s.wantsLabels
    ? `Checksum: 0x${stored.toString(16).padStart(4, '0')} ${good ? '[correct]' : `incorrect, should be 0x${shouldBe.toString(16).padStart(4, '0')}`}`
    : undefined);
  s.add(f['checksum.status'], b, o + 2, 0, good ? 1 : 0, GENERATED);
  if (!good) p.expert(layer, 'warn', 'checksum', 'icmpv6.checksum_bad.expert', `Bad checksum [should be 0x${shouldBe.toString(16).padStart(4, '0')}]`);
}

/** The IP layer carrying `layer` (for the pseudo-header): the nearest IPv6 or IPv4 layer below it. */
function carrierLayer(p: Packet, layer: number): number {
  for (let i = layer - 1; i > 0; i--) {
    if (p.parent[i] !== p.parent[layer]) continue;
    if (p.proto[i] === ipv6.id || p.proto[i] === ipv4.id) return i;
  }
  return -1;
}

/** MLDv1 messages and the MLDv2 query (RFC 3810 §5.1: 28 bytes or more). */
function treeMld(s: Sink, b: Uint8Array, o: number, end: number, type: number): void {
  const f = icmpv6Fields;
  if (type === TYPE.mldQuery && end - o >= 28) {
    let mrc = u16(b, o + 4);
    // RFC 3810 §5.1.3: codes from 32768 are a floating-point exponent and mantissa.
    if (mrc >= 32768) mrc = ((mrc & 0x0fff) | 0x1000) * 2 ** (((mrc & 0x7000) >> 12) + 3);
    s.add(f['mld.maximum_response_code'], b, o + 4, 2, mrc);
    s.add(f.reserved, b, o + 6, 2);
    s.add(f['mld.multicast_address'], b, o + 8, 16);
    s.add(f['mld.flag'], b, o + 24, 1);
    s.push();
    s.add(f['mld.flag.s'], b, o + 24, 1);
    s.add(f['mld.flag.qrv'], b, o + 24, 1);
    s.add(f['mld.flag.reserved'], b, o + 24, 1);
    s.pop();
    let qqi = b[o + 25];
    if (qqi >= 128) qqi = ((qqi & 0x0f) | 0x10) << (((qqi & 0x70) >> 4) + 3);
    s.add(f['mld.qqi'], b, o + 25, 1, qqi);
    s.add(f['mld.nb_sources'], b, o + 26, 2);
    for (let i = 0, n = u16(b, o + 26); i < n; i++) {
      const at = o + 28 + i * 16;
      if (end < at + 16) return;
      s.add(f['mld.source_address'], b, at, 16);
    }
    return;
  }
  if (end < o + 6) return;
  s.add(f['mld.maximum_response_delay'], b, o + 4, 2);
  if (end < o + 8) return;
  s.add(f.reserved, b, o + 6, 2);
  if (end < o + 24) return;
  s.add(f['mld.multicast_address'], b, o + 8, 16);
}

/** MLDv2 report (RFC 3810 §5.2): records of type, aux length, sources and multicast address. */
function treeMldv2Report(s: Sink, b: Uint8Array, o: number, end: number, reported: number): void {
  const f = icmpv6Fields;
  if (end < o + 6) return;
  s.add(f.reserved, b, o + 4, 2);
  if (end < o + 8) return;
  s.add(f['mldr.nb_mcast_records'], b, o + 6, 2);
  let at = o + 8;
  while (at < reported) {
    if (end < at + 1) return;
    const sources = end >= at + 4 ? u16(b, at + 2) : 0;
    const aux = end >= at + 2 ? b[at + 1] : 0;
    const recordLength = 20 + sources * 16 + aux * 4;
    s.add(f['mldr.mar'], b, at, Math.min(recordLength, end - at), null);
    s.push();
    s.add(f['mldr.mar.record_type'], b, at, 1);
    if (end < at + 2) return s.pop();
    s.add(f['mldr.mar.aux_data_len'], b, at + 1, 1);
    if (end < at + 4) return s.pop();
    s.add(f['mldr.mar.nb_sources'], b, at + 2, 2);
    if (end < at + 20) return s.pop();
    s.add(f['mldr.mar.multicast_address'], b, at + 4, 16);
    let a = at + 20;
    for (let i = 0; i < sources; i++, a += 16) {
      if (end < a + 16) return s.pop();
      s.add(f['mldr.mar.source_address'], b, a, 16);
    }
    if (aux) {
      if (end < a + aux * 4) return s.pop();
      s.add(f['mldr.mar.auxiliary_data'], b, a, aux * 4);
    }
    s.pop();
    at += recordLength;
  }
}

/**
 * Neighbor Discovery options (RFC 4861 §4.6 and later): each an `icmpv6.opt` item with its
 * type, length (in units of 8 bytes) and the fields of the common types. A zero length ends
 * the walk, as in Wireshark; bytes past the captured data end it too.
 */
function treeOptions(p: Packet, layer: number, s: Sink, b: Uint8Array, start: number, end: number): void {
  const f = icmpv6Fields;
  const reported = reportedEnd(p, layer);
  let at = start;
  while (reported > at) {
    if (end < at + 2) return;
    const type = b[at];
    const len = b[at + 1] * 8;
    s.add(f.opt, b, at, Math.min(len, end - at), null, 0, s.wantsLabels ? `ICMPv6 Option (${optionNames[type] ?? `Unknown ${type}`}${optionSummary(b, at, type, len, end)})` : undefined);
    s.push();
    s.add(f['opt.type'], b, at, 1);
    s.add(f['opt.length'], b, at + 1, 1, undefined, 0, s.wantsLabels ? `Length: ${b[at + 1]} (${len} bytes)` : undefined);
    if (len === 0) {
      p.expert(layer, 'warn', 'protocol', 'icmpv6.invalid_option_length', 'Invalid option length (Zero)');
      s.pop();
      return;
    }
    const ok = treeOption(s, b, at, type, len, end);
    s.pop();
    if (!ok) return;
    at += len;
  }
}

/**
 * What packet-icmpv6.c appends to an option's item once it has read the value: ` : 00:11:…`
 * for a link-layer address, ` : prefix/len`, ` : MTU`, ` : interval`, the servers of an RDNSS.
 */
function optionSummary(b: Uint8Array, at: number, type: number, len: number, end: number): string {
  if (at + len > end) return '';
  const d = at + 2;
  switch (type) {
    case 1: case 2: return len === 8 ? ` : ${macToString(b, d)}` : '';
    case 3: return len === 32 ? ` : ${ipv6ToString(b, d + 14)}/${b[d]}` : '';
    case 5: return len === 8 ? ` : ${u32(b, d + 2)}` : '';
    case 7: return len === 8 ? ` : ${u32(b, d + 2)}` : '';
    case 24: {
      // Route Information (RFC 4191): preference, then the prefix (8, 16 or 24 bytes of option).
      const prefix = new Uint8Array(16);
      prefix.set(b.subarray(d + 6, Math.min(at + len, d + 22)));
      return ` : ${routerPreference[(b[d + 1] >> 3) & 3] ?? 'Unknown'} ${ipv6ToString(prefix)}/${b[d]}`;
    }
    case 25: {
      let text = '';
      for (let a = d + 6; a + 16 <= at + len; a += 16) text += ` ${ipv6ToString(b, a)}`;
      return text;
    }
    default: return '';
  }
}

/** One option's body. Returns false when its bytes ran out (Wireshark stops at the exception). */
function treeOption(s: Sink, b: Uint8Array, at: number, type: number, len: number, end: number): boolean {
  const f = icmpv6Fields;
  const d = at + 2;
  const fits = (n: number) => end >= d + n;
  switch (type) {
    case 1: case 2: {
      const specific = type === 1 ? f['opt.src_linkaddr'] : f['opt.target_linkaddr'];
      if (len === 8) {
        if (!fits(6)) return false;
        s.add(f['opt.linkaddr'], b, d, 6);
        s.add(specific, b, d, 6, undefined, HIDDEN);
      } else if (len === 16 && fits(14) && u32(b, d + 8) === 0 && u16(b, d + 12) === 0) {
        // An EUI-64 (RFC 4944 §8) then 6 bytes of padding; the byte forms are hidden.
        const eui = type === 1 ? f['opt.src_linkaddr_eui64'] : f['opt.target_linkaddr_eui64'];
        const text = toHex(b.subarray(d, d + 8));
        s.add(f['opt.linkaddr_eui64'], b, d, 8);
        s.add(eui, b, d, 8, undefined, HIDDEN);
        if (type === 1) {
          s.add(f['opt.linkaddr'], b, d, 8, text, HIDDEN);
          s.add(specific, b, d, 8, text, HIDDEN);
        }
        s.add(f['opt.padding'], b, d + 8, 6, null);
      } else {
        // Not an Ethernet address: Wireshark's FT_BYTES form, printed as plain hex.
        if (!fits(len - 2)) return false;
        const text = toHex(b.subarray(d, d + len - 2));
        s.add(f['opt.linkaddr'], b, d, len - 2, text);
        s.add(specific, b, d, len - 2, text, HIDDEN);
      }
      return true;
    }
    case 3:
      if (!fits(1)) return false;
      s.add(f['opt.prefix.length'], b, d, 1);
      if (!fits(2)) return false;
      s.add(f['opt.prefix.flag'], b, d + 1, 1, undefined, 0, s.wantsLabels ? bitmaskLabel(f['opt.prefix.flag'], b[d + 1], [f['opt.prefix.flag.l'], f['opt.prefix.flag.a'], f['opt.prefix.flag.r']]) : undefined);
      s.push();
      s.add(f['opt.prefix.flag.l'], b, d + 1, 1);
      s.add(f['opt.prefix.flag.a'], b, d + 1, 1);
      s.add(f['opt.prefix.flag.r'], b, d + 1, 1);
      s.add(f['opt.prefix.flag.reserved'], b, d + 1, 1);
      s.pop();
      if (!fits(6)) return false;
      s.add(f['opt.prefix.valid_lifetime'], b, d + 2, 4);
      if (!fits(10)) return false;
      s.add(f['opt.prefix.preferred_lifetime'], b, d + 6, 4);
      if (!fits(14)) return false;
      s.add(f['opt.reserved'], b, d + 10, 4, null);
      if (!fits(30)) return false;
      s.add(f['opt.prefix'], b, d + 14, 16);
      return true;
    case 4:
      if (!fits(6)) return false;
      s.add(f['opt.reserved'], b, d, 6, null);
      // The redirected packet itself is dissected as a quoted layer (see decode).
      if (len > 8) s.add(f['opt.redirected_packet'], b, d + 6, Math.min(len - 8, end - (d + 6)), null);
      return true;
    case 5:
      if (!fits(2)) return false;
      s.add(f['opt.reserved'], b, d, 2, null);
      if (!fits(6)) return false;
      s.add(f['opt.mtu'], b, d + 2, 4);
      return true;
    case 7:
      if (!fits(2)) return false;
      s.add(f['opt.reserved'], b, d, 2, null);
      if (!fits(6)) return false;
      s.add(f['opt.advertisement_interval'], b, d + 2, 4);
      return true;
    case 14:
      if (!fits(len - 2)) return false;
      s.add(f['opt.nonce'], b, d, len - 2);
      return true;
    case 24: {
      if (!fits(1)) return false;
      s.add(f['opt.prefix.length'], b, d, 1);
      if (!fits(2)) return false;
      s.add(f['opt.route_info.flag'], b, d + 1, 1, undefined, 0, s.wantsLabels ? bitmaskLabel(f['opt.route_info.flag'], b[d + 1], [f['opt.route_info.flag.route_preference']]) : undefined);
      s.push();
      s.add(f['opt.route_info.flag.route_preference'], b, d + 1, 1);
      s.add(f['opt.route_info.flag.reserved'], b, d + 1, 1);
      s.pop();
      if (!fits(6)) return false;
      s.add(f['opt.route_lifetime'], b, d + 2, 4);
      if (len === 16) {
        if (!fits(14)) return false;
        const prefix = new Uint8Array(16);
        prefix.set(b.subarray(d + 6, d + 14));
        s.add(f['opt.prefix'], b, d + 6, 8, prefix);
      } else if (len === 24) {
        if (!fits(22)) return false;
        s.add(f['opt.prefix'], b, d + 6, 16);
      }
      return true;
    }
    case 25: {
      if (!fits(2)) return false;
      s.add(f['opt.reserved'], b, d, 2, null);
      if (!fits(6)) return false;
      s.add(f['opt.rdnss.lifetime'], b, d + 2, 4);
      for (let a = d + 6; a < at + len; a += 16) {
        if (end < a + 16) return false;
        s.add(f['opt.rdnss'], b, a, 16);
      }
      return true;
    }
    case 31: {
      if (!fits(2)) return false;
      s.add(f['opt.reserved'], b, d, 2, null);
      if (!fits(6)) return false;
      s.add(f['opt.dnssl.lifetime'], b, d + 2, 4);
      let a = d + 6;
      while (a < at + len) {
        if (end < a + 1) return false;
        if (b[a] === 0) {
          if (end < at + len) return false;
          s.add(f['opt.padding'], b, a, at + len - a, null);
          break;
        }
        const [name, used] = dnsName(b, a, end);
        if (used < 0) return false;
        s.add(f['opt.dnssl'], b, a, used, name);
        a += used;
      }
      return true;
    }
    default:
      // Types Wireshark decodes elsewhere, and unknown ones (an "undecoded" expert only): no field.
      return true;
  }
}

/** An uncompressed DNS name at `at` as dotted text, and the bytes it used (-1 when cut short). */
function dnsName(b: Uint8Array, at: number, end: number): [string, number] {
  const labels: string[] = [];
  let i = at;
  while (i < end) {
    const n = b[i];
    if (n === 0) return [labels.join('.') || '<Root>', i + 1 - at];
    if (n >= 0xc0 || i + 1 + n > end) return ['', -1];
    let label = '';
    for (let j = i + 1; j <= i + n; j++) label += String.fromCharCode(b[j]);
    labels.push(label);
    i += 1 + n;
  }
  return ['', -1];
}

ipProtocols.add(58, icmpv6);

// ---- Packet-list columns (Wireshark's Info text) ----
import { echoKey, echoTransaction } from './icmp.js';

/** Type names as packet-icmpv6.c's Info column has them where they differ from the tree's. */
const infoTypeNames: Record<number, string> = { 139: 'Node Information Query', 140: 'Node Information Reply', 155: 'RPL Control' };

/** Code names of the informational types whose code the Info column names. */
const infoCodeNames: Record<number, Record<number, string>> = {
  138: { 0: 'Command', 1: 'Result', 255: 'Sequence number reset' },
  139: { 0: 'Query subject = IPv6 addresses', 1: 'Query subject = Name or nonce', 2: 'Query subject = IPv4 addresses' },
  140: { 0: 'Successful', 1: 'Refused', 2: 'Unknown query type' },
  155: {
    0: 'DODAG Information Solicitation', 1: 'DODAG Information Object', 2: 'Destination Advertisement Object',
    3: 'Destination Advertisement Object Acknowledgment', 0x8a: 'Consistency Check',
  },
  160: { 0: 'No error' },
  161: { 0: 'No error', 1: 'Malformed Query', 2: 'No Such Interface', 3: 'No Such Table Entry', 4: 'Multiple Interfaces Satisfy Query' },
};

/** The link-layer address option (type 1 source, 2 target) among the ND options at `at`, or ''. */
function linkLayerOption(b: Uint8Array, at: number, end: number, want: number): string {
  while (at + 2 <= end) {
    const len = b[at + 1] * 8;
    if (len === 0 || at + len > end) return '';
    if (b[at] === want && len >= 8) return Array.from(b.subarray(at + 2, at + 8), (x) => x.toString(16).padStart(2, '0')).join(':');
    at += len;
  }
  return '';
}

/**
 * `Echo (ping) request id=0x1234, seq=1, hop limit=64`, `Neighbor Solicitation for fe80::1 from
 * 52:54:00:…`, `Router Advertisement from …` and the type (code) of the others, as packet-icmpv6.c.
 */
icmpv6.info = (p, layer, col) => {
  const b = p.bufferOf(layer);
  const o = p.start[layer];
  const end = Math.min(b.length, p.limit[layer]);
  col.setProtocol('ICMPv6');
  col.clear();
  if (end < o + 2) return;
  const type = b[o];
  const code = b[o + 1];
  let text = infoTypeNames[type] ?? icmpv6TypeNames[type] ?? `Unknown (${type})`;
  const codeName = codeNames[type]?.[code] ?? infoCodeNames[type]?.[code];
  if (codeName) text += ` (${codeName})`;
  col.set(text);
  if ((type === 128 || type === 129) && end >= o + 8) {
    const id = u16(b, o + 4);
    const seq = u16(b, o + 6);
    let echo = ` id=0x${id.toString(16).padStart(4, '0')}, seq=${seq}`;
    if (layer > 0 && p.proto[layer - 1] === ipv6.id) echo += `, hop limit=${p.bufferOf(layer - 1)[p.start[layer - 1] + 7]}`;
    col.append(echo + echoTransaction(p, echoKey(p, layer, id, seq), type === 128));
  } else if (type === 135 && end >= o + 24) {
    const from = linkLayerOption(b, o + 24, end, 1);
    col.append(` for ${ipv6ToString(b, o + 8)}${from ? ` from ${from}` : ''}`);
  } else if (type === 136 && end >= o + 24) {
    const flags = b[o + 4];
    const names = [flags & 0x80 ? 'rtr' : '', flags & 0x40 ? 'sol' : '', flags & 0x20 ? 'ovr' : ''].filter(Boolean).join(', ');
    const is = linkLayerOption(b, o + 24, end, 2);
    col.append(` ${ipv6ToString(b, o + 8)}${names ? ` (${names})` : ''}${is ? ` is at ${is}` : ''}`);
  } else if ((type === 133 && end >= o + 8) || (type === 134 && end >= o + 16)) {
    const from = linkLayerOption(b, o + (type === 133 ? 8 : 16), end, 1);
    if (from) col.append(` from ${from}`);
  }
};
