/**
 * IPv6 (RFC 8200): the fixed 40-byte header, then the extension header chain (hop-by-hop,
 * routing, fragment, destination options; AH is stepped over), fragments reassembled through
 * the shared `Reassembler`.
 *
 * Wireshark 4.0 dissects each extension header as its own protocol (`ipv6.hopopts`,
 * `ipv6.routing`, `ipv6.fraghdr`, `ipv6.dstopts`) but shows it inside the IPv6 tree, and the
 * IPv6 item spans header plus extensions. Here the whole chain is one layer: `decode` walks it
 * to find the upper-layer protocol, `tree` walks it again to name every field.
 *
 * Header offsets (RFC 8200 §3):
 *
 *     0  version (4 bits), traffic class (8), flow label (20)
 *     4  payload length   6  next header   7  hop limit
 *     8  source address (16)   24  destination address (16)
 */
import { bitPattern } from '../fields/format.js';
import { defineFields, defineProtocol } from '../fields/field.js';
import type { Sink } from '../fields/sink.js';
import { GENERATED, HIDDEN } from '../fields/value.js';
import { ipv6ToString, u16, u32 } from './bytes.js';
import { etherTypes, ipProtocols, linkTypes, registerDissector, STOP } from './dissector.js';
import { data } from './data.js';
import { ethernet } from './ethernet.js';
import { dscpNames, dsfieldText, ecnNames, ipProtocolNames } from './ip-common.js';
import { ipFields } from './ipv4.js';
import { MAX_LAYERS, type Packet } from './packet.js';

/** Four bits as `0101`. */
function bits4(v: number): string {
  return v.toString(2).padStart(4, '0');
}

const field = { versionClassFlow: 0, flow: 1, payloadLength: 4, nextHeader: 6, hopLimit: 7, src: 8, dst: 24 } as const;
export const IPV6_HEADER = 40;

/** Next-header values that are extension headers this dissector walks itself. */
const HOP_BY_HOP = 0;
const ROUTING = 43;
const FRAGMENT = 44;
const AUTHENTICATION = 51;
const NO_NEXT_HEADER = 59;
const DESTINATION_OPTIONS = 60;

/** IANA "IPv6 Extension Header Types" plus the protocol numbers, for ipv6.nxt. */
const nextHeaderNames: Record<number, string> = {
  ...ipProtocolNames,
  0: 'IPv6 Hop-by-Hop Option', 43: 'Routing Header for IPv6', 44: 'Fragment Header for IPv6', 58: 'ICMPv6',
  59: 'No Next Header for IPv6', 60: 'Destination Options for IPv6',
};

/** Names of hop-by-hop and destination option types (IANA "Destination Options and Hop-by-Hop Options"). */
const optionNames: Record<number, string> = {
  0x00: 'Pad1', 0x01: 'PadN', 0x04: 'Tunnel Encapsulation Limit', 0x05: 'Router Alert', 0x07: 'CALIPSO', 0x08: 'SMF_DPD',
  0x0f: 'Performance and Diagnostic Metrics', 0x1e: 'Experimental (0x1E)', 0x26: 'Quick-Start', 0x30: 'Path MTU Option',
  0x31: 'IOAM Option', 0x3e: 'Experimental (0x3E)', 0x41: 'Tunnel Payload Forwarding (TPF) Information',
  0x5e: 'Experimental (0x5E)', 0x63: 'RPL Option', 0x6d: 'MPL Option', 0x7e: 'Experimental (0x7E)',
  0x8a: 'Endpoint Identification', 0x8b: 'ILNP Nonce', 0x8c: 'Line-Identification Option', 0x9e: 'Experimental (0x9E)',
  0xbe: 'Experimental (0xBE)', 0xc2: 'Jumbo Payload', 0xc9: 'Home Address', 0xde: 'Experimental (0xDE)', 0xee: 'IP_DFF',
  0xfe: 'Experimental (0xFE)',
};
/** The action bits of an option type (packet-ipv6.c's `ipv6_opt_type_action_vals`). */
const optionActionNames: Record<number, string> = { 0: 'Skip and continue', 1: 'Discard', 2: 'Discard and send ICMP', 3: 'Discard and send ICMP if not multicast' };

export const ipv6Fields = defineFields('ipv6', {
  version: { display: 'Version', type: 'uint8', base: 'dec', mask: 0xf0 },
  tclass: { display: 'Traffic Class', type: 'uint32', base: 'hex', mask: 0x0ff00000 },
  'tclass.dscp': { display: 'Differentiated Services Codepoint', type: 'uint32', base: 'dec', mask: 0x0fc00000, values: dscpNames },
  'tclass.ecn': { display: 'Explicit Congestion Notification', type: 'uint32', base: 'dec', mask: 0x00300000, values: ecnNames },
  flow: { display: 'Flow Label', type: 'uint24', base: 'hex', mask: 0x0fffff },
  plen: { display: 'Payload Length', type: 'uint16', base: 'dec' },
  nxt: { display: 'Next Header', type: 'uint8', base: 'dec', values: nextHeaderNames },
  hlim: { display: 'Hop Limit', type: 'uint8', base: 'dec' },
  src: { display: 'Source Address', type: 'ipv6', description: 'Source IPv6 Address' },
  dst: { display: 'Destination Address', type: 'ipv6', description: 'Destination IPv6 Address' },
  addr: { display: 'Source or Destination Address', type: 'ipv6' },
  src_host: { display: 'Source Host', type: 'string' },
  dst_host: { display: 'Destination Host', type: 'string' },
  host: { display: 'Source or Destination Host', type: 'string' },
  src_6to4_gw_ipv4: { display: 'Source 6to4 Gateway IPv4', type: 'ipv4' },
  src_6to4_sla_id: { display: 'Source 6to4 SLA ID', type: 'uint16', base: 'dec' },
  dst_6to4_gw_ipv4: { display: 'Destination 6to4 Gateway IPv4', type: 'ipv4' },
  dst_6to4_sla_id: { display: 'Destination 6to4 SLA ID', type: 'uint16', base: 'dec' },
  '6to4_gw_ipv4': { display: '6to4 Gateway IPv4', type: 'ipv4' },
  '6to4_sla_id': { display: '6to4 SLA ID', type: 'uint16', base: 'dec' },
  src_ts_ipv4: { display: 'Source Teredo Server IPv4', type: 'ipv4' },
  src_tc_port: { display: 'Source Teredo Port', type: 'uint16', base: 'dec' },
  src_tc_ipv4: { display: 'Source Teredo Client IPv4', type: 'ipv4' },
  dst_ts_ipv4: { display: 'Destination Teredo Server IPv4', type: 'ipv4' },
  dst_tc_port: { display: 'Destination Teredo Port', type: 'uint16', base: 'dec' },
  dst_tc_ipv4: { display: 'Destination Teredo Client IPv4', type: 'ipv4' },
  ts_ipv4: { display: 'Teredo Server IPv4', type: 'ipv4' },
  tc_port: { display: 'Teredo Port', type: 'uint16', base: 'dec' },
  tc_ipv4: { display: 'Teredo Client IPv4', type: 'ipv4' },
  src_slaac_mac: { display: 'Source SLAAC MAC', type: 'ether' },
  dst_slaac_mac: { display: 'Destination SLAAC MAC', type: 'ether' },
  slaac_mac: { display: 'SLAAC MAC', type: 'ether' },
  src_isatap_ipv4: { display: 'Source ISATAP IPv4', type: 'ipv4' },
  dst_isatap_ipv4: { display: 'Destination ISATAP IPv4', type: 'ipv4' },
  isatap_ipv4: { display: 'ISATAP IPv4', type: 'ipv4' },
  embed_ipv4_prefix: { display: 'Embedded IPv4 Prefix', type: 'bytes' },
  src_embed_ipv4: { display: 'Source Embedded IPv4', type: 'ipv4' },
  dst_embed_ipv4: { display: 'Destination Embedded IPv4', type: 'ipv4' },
  embed_ipv4: { display: 'Embedded IPv4', type: 'ipv4' },
  opt: { display: 'IPv6 Option', type: 'none' },
  'opt.type': { display: 'Type', type: 'uint8', base: 'hex', values: optionNames },
  'opt.type.action': { display: 'Action', type: 'uint8', base: 'dec', mask: 0xc0, values: optionActionNames },
  'opt.type.change': { display: 'May Change', type: 'bool', mask: 0x20, bits: 8, trueFalse: ['Yes', 'No'] },
  'opt.type.rest': { display: 'Low-Order Bits', type: 'uint8', base: 'hex', mask: 0x1f },
  'opt.length': { display: 'Length', type: 'uint8', base: 'dec' },
  'opt.pad1': { display: 'Pad1', type: 'none' },
  'opt.padn': { display: 'PadN', type: 'bytes' },
  'opt.router_alert': { display: 'Router Alert', type: 'uint16', base: 'dec', values: { 0: 'MLD', 1: 'RSVP', 2: 'Active Network' } },
  'opt.tel': { display: 'Tunnel Encapsulation Limit', type: 'uint8', base: 'dec' },
  'opt.jumbo': { display: 'Payload Length', type: 'uint32', base: 'dec' },
  'opt.pmtu.min': { display: 'Minimum Reported PMTU', type: 'uint16', base: 'dec' },
  'opt.pmtu.rtn': { display: 'Return Minimum PMTU', type: 'uint16', base: 'dec' },
  'opt.pmtu.r_flag': { display: 'Return Flag', type: 'bool' },
  'opt.mipv6.home_address': { display: 'MIPv6 Home Address', type: 'ipv6' },
  'opt.experimental': { display: 'Experimental Option', type: 'bytes' },
  'opt.unknown': { display: 'Unknown Option Payload', type: 'bytes' },
  opt_unknown_data: { display: 'Unknown Data', type: 'bytes' },
  fragments: { display: 'IPv6 Fragments', type: 'none' },
  fragment: { display: 'IPv6 Fragment', type: 'framenum' },
  'fragment.count': { display: 'Fragment count', type: 'uint32', base: 'dec' },
  'reassembled.length': { display: 'Reassembled IPv6 length', type: 'uint32', base: 'dec' },
});

/** The extension headers, each a protocol of its own in Wireshark's tree. */
export const hopByHopProtocol = defineProtocol('ipv6.hopopts', 'IPv6 Hop-by-Hop Option');
export const routingProtocol = defineProtocol('ipv6.routing', 'Routing Header for IPv6');
export const fragmentProtocol = defineProtocol('ipv6.fraghdr', 'Fragment Header for IPv6');
export const destinationOptionsProtocol = defineProtocol('ipv6.dstopts', 'Destination Options for IPv6');

const optionHeaderFields = (prefix: 'hopopts' | 'dstopts') =>
  defineFields(`ipv6.${prefix}`, {
    nxt: { display: 'Next Header', type: 'uint8', base: 'dec', values: nextHeaderNames },
    len: { display: 'Length', type: 'uint8', base: 'dec' },
    len_oct: { display: 'Length', type: 'uint16', base: 'dec', unit: 'bytes' },
  });
export const hopByHopFields = optionHeaderFields('hopopts');
export const destinationOptionsFields = optionHeaderFields('dstopts');

const routingTypeNames: Record<number, string> = {
  0: 'Source Route', 1: 'Nimrod', 2: 'Type 2 Routing', 3: 'RPL Source Route', 4: 'Segment Routing', 5: 'Compact Routing Header 16',
  6: 'Compact Routing Header 32',
};

export const routingFields = defineFields('ipv6.routing', {
  nxt: { display: 'Next Header', type: 'uint8', base: 'dec', values: nextHeaderNames },
  len: { display: 'Length', type: 'uint8', base: 'dec' },
  len_oct: { display: 'Length', type: 'uint16', base: 'dec', unit: 'bytes' },
  type: { display: 'Type', type: 'uint8', base: 'dec', values: routingTypeNames },
  segleft: { display: 'Segments Left', type: 'uint8', base: 'dec' },
  unknown_data: { display: 'Type-Specific Data', type: 'bytes' },
  'src.reserved': { display: 'Reserved', type: 'bytes' },
  'src.addr': { display: 'Address', type: 'ipv6' },
  'mipv6.reserved': { display: 'Reserved', type: 'bytes' },
  'mipv6.home_address': { display: 'Home Address', type: 'ipv6' },
  'srh.last_entry': { display: 'Last Entry', type: 'uint8', base: 'dec' },
  'srh.flags': { display: 'Flags', type: 'uint8', base: 'hex' },
  'srh.tag': { display: 'Tag', type: 'bytes' },
  'srh.addr': { display: 'Address', type: 'ipv6' },
});

export const fragmentHeaderFields = defineFields('ipv6.fraghdr', {
  nxt: { display: 'Next header', type: 'uint8', base: 'dec', values: nextHeaderNames },
  reserved_octet: { display: 'Reserved octet', type: 'uint8', base: 'hex' },
  offset: { display: 'Offset', type: 'uint16', base: 'dec', mask: 0xfff8 },
  reserved_bits: { display: 'Reserved bits', type: 'uint16', base: 'dec', mask: 0x0006 },
  more: { display: 'More Fragments', type: 'bool', mask: 0x0001, bits: 16, trueFalse: ['Yes', 'No'] },
  ident: { display: 'Identification', type: 'uint32', base: 'hex' },
});

/** Options Wireshark decodes with fields of their own, which are not reproduced here: nothing is added for their data. */
const optionsDecodedElsewhere = new Set([0x07, 0x08, 0x0f, 0x26, 0x31, 0x41, 0x63, 0x6d, 0x8b, 0x8c, 0xee]);
const experimentalOptions = new Set([0x1e, 0x3e, 0x5e, 0x7e, 0x9e, 0xbe, 0xde, 0xfe]);

interface Reassembly {
  frames: Array<{ frame: number; offset: number; length: number }>;
  length: number;
  /** Where the fragment header that completed the datagram lies, in the layer's buffer. */
  at: number;
}

/**
 * Offset, in the layer's buffer, of the address an upper-layer checksum uses as destination:
 * the IPv6 destination, or the final one a routing header with segments left names
 * (RFC 8200 §8.1). Written by `decode` for every IPv6 layer; read by ICMPv6.
 */
export const pseudoHeaderDestination = new Int32Array(MAX_LAYERS);

/**
 * Where the jumbo payload option of a hop-by-hop header at `at` says the payload ends
 * (RFC 2675): its length when above 65535, else 0 — as Wireshark's `ipv6_get_jumbo_plen`.
 */
function jumboLength(b: Uint8Array, at: number, end: number): number {
  if (at + 2 > end) return 0;
  const headerEnd = at + (b[at + 1] + 1) * 8;
  let i = at + 2;
  while (i < headerEnd && i + 6 <= end) {
    const type = b[i++];
    if (type === 0) continue;
    const len = b[i++];
    if (type === 0xc2 && len === 4) {
      const v = u32(b, i);
      return v > 0xffff ? v : 0;
    }
    i += len;
  }
  return 0;
}

export const ipv6 = registerDissector({
  name: 'ipv6',
  display: 'Internet Protocol Version 6',
  decode(p, layer) {
    const b = p.bufferOf(layer);
    const o = p.start[layer];
    const lim = p.limit[layer];
    const quoted = p.isQuoted(layer);
    pseudoHeaderDestination[layer] = o + field.dst;
    if (lim - o < 1) {
      markCut(p, layer, o + 1, 'IPv6 header missing');
      p.end[layer] = lim;
      return STOP;
    }
    const version = b[o] >> 4;
    if (version !== 6) {
      // Wireshark rejects the packet after the version item: the bytes become data.
      p.expert(layer, 'error', 'malformed', 'ipv6.bogus_ipv6_version', 'Bogus IPv6 version');
      p.markMalformed(layer, `Bogus IPv6 version (${version}, must be 6)`);
      p.end[layer] = o + 1;
      p.nextStart = o;
      return data.id;
    }
    if (lim - o < IPV6_HEADER) {
      if (p.reported[layer] - o < IPV6_HEADER) {
        // Wireshark's "IPv6 header must be exactly 40 bytes" is a malformed-group error, quoted or not.
        p.expert(layer, 'error', 'malformed', 'ipv6.invalid_header', 'IPv6 header must be exactly 40 bytes');
        p.markMalformed(layer, `IPv6 header of ${p.reported[layer] - o} bytes (must be 40)`);
      } else {
        markCut(p, layer, o + IPV6_HEADER, 'IPv6 header shorter than 40 bytes');
      }
      p.end[layer] = lim;
      return STOP;
    }
    if (!quoted) p.netLayer = layer;
    let plen = u16(b, o + field.payloadLength);
    let next = b[o + field.nextHeader];
    if (plen === 0 && next === HOP_BY_HOP) {
      const jumbo = jumboLength(b, o + IPV6_HEADER, lim);
      if (jumbo) plen = jumbo;
      else {
        // An error of Wireshark's malformed group: the packet is flagged.
        p.expert(layer, 'error', 'malformed', 'ipv6.opt.jumbo.missing', 'IPv6 payload length equals 0 and Hop-By-Hop present and Jumbo Payload option missing');
        p.markMalformed(layer, 'IPv6 payload length 0 with a hop-by-hop header but no jumbo payload option');
      }
    }
    const reportedEnd = p.reported[layer];
    if (!quoted && o + IPV6_HEADER + plen > reportedEnd) {
      p.expert(layer, 'warn', 'protocol', 'ipv6.plen_exceeds_framing', `IPv6 payload length exceeds framing length (${reportedEnd - o - IPV6_HEADER} bytes)`);
    }
    // Wireshark's set_actual_length: the datagram may only shrink what the link layer gave.
    const datagramEnd = o + IPV6_HEADER + plen;
    if (datagramEnd < lim) p.limit[layer] = datagramEnd;
    if (datagramEnd < reportedEnd) p.reported[layer] = datagramEnd;
    const end = p.limit[layer];
    let at = o + IPV6_HEADER;
    // Payload bytes after the headers seen so far, for the fragment header (Wireshark's frag_plen).
    let fragmentPayload = plen;
    for (;;) {
      if (next === HOP_BY_HOP || next === DESTINATION_OPTIONS || next === ROUTING || next === AUTHENTICATION) {
        if (end - at < 2) return shortChain(p, layer, at, 2);
        const len = next === AUTHENTICATION ? (b[at + 1] + 2) * 4 : (b[at + 1] + 1) * 8;
        if (end - at < len) return shortChain(p, layer, at, len);
        if (next === ROUTING && b[at + 3] > 0) finalDestination(b, at, len, layer);
        next = b[at];
        at += len;
        fragmentPayload -= len;
        continue;
      }
      if (next === FRAGMENT) {
        if (end - at < 8) return shortChain(p, layer, at, 8);
        const following = b[at];
        const offsetAndFlag = u16(b, at + 2);
        const offset = offsetAndFlag & 0xfff8;
        const more = (offsetAndFlag & 1) !== 0;
        fragmentPayload -= 8;
        at += 8;
        if ((offset !== 0 || more) && fragmentPayload > 0) {
          p.end[layer] = at;
          p.nextStart = at;
          // Quoted in an ICMPv6 error, or cut by the snaplen: nothing to reassemble.
          if (quoted || at + fragmentPayload > b.length) return data.id;
          const key = `${fragmentKey(b, o)}:${u32(b, at - 4)}`;
          const done = p.state.ipv6Fragments.add(key, offset, b.subarray(at, at + fragmentPayload), more, p.number);
          if (!done) return data.id;
          p.notes.set(`ipv6.reassembly.${layer}`, { frames: done.frames, length: done.payload.length, at: at - 8 } satisfies Reassembly);
          p.nextBuffer = p.addBuffer(done.payload);
          p.nextStart = 0;
          p.nextEnd = done.payload.length;
          return dispatch(following);
        }
        next = following;
        continue;
      }
      break;
    }
    p.end[layer] = at;
    p.nextStart = at;
    p.nextEnd = end;
    if (next === NO_NEXT_HEADER) return at < end ? data.id : STOP;
    return dispatch(next);
  },
  summary(p, layer) {
    const b = p.bufferOf(layer);
    const o = p.start[layer];
    if (b.length < o + IPV6_HEADER || b[o] >> 4 !== 6) return 'Internet Protocol Version 6';
    return `Internet Protocol Version 6, Src: ${ipv6ToString(b, o + field.src)}, Dst: ${ipv6ToString(b, o + field.dst)}`;
  },
  tree(p, layer, s) {
    const b = p.bufferOf(layer);
    const o = p.start[layer];
    const f = ipv6Fields;
    // Items stop where the bytes do, as Wireshark's do (each one past the end throws).
    const end = Math.min(b.length, p.limit[layer]);
    if (end < o + 1) return;
    const version = b[o] >> 4;
    s.add(f.version, b, o, 1, version);
    s.add(ipFields.version, b, o, 1, version, HIDDEN);
    if (version !== 6) return;
    if (end < o + 4) return;
    const tclass = ((b[o] & 15) << 4) | (b[o + 1] >> 4);
    s.add(f.tclass, b, o, 4, undefined, 0, s.wantsLabels ? `.... ${bits4(b[o] & 15)} ${bits4(b[o + 1] >> 4)} .... .... .... .... .... = Traffic Class: 0x${tclass.toString(16).padStart(2, '0')} ${dsfieldText(tclass)}` : undefined);
    s.push();
    s.add(f['tclass.dscp'], b, o, 4);
    s.add(f['tclass.ecn'], b, o, 4);
    s.pop();
    s.add(f.flow, b, o + 1, 3);
    // Wireshark reads the next header before adding the payload length.
    if (end < o + 7) return;
    // RFC 2675: a zero payload length with a hop-by-hop header is a jumbogram's.
    s.add(f.plen, b, o + 4, 2, undefined, 0, s.wantsLabels && u16(b, o + 4) === 0 && b[o + 6] === HOP_BY_HOP ? 'Payload Length: 0 (Jumbogram)' : undefined);
    s.add(f.nxt, b, o + 6, 1);
    if (end < o + 8) return;
    s.add(f.hlim, b, o + 7, 1);
    if (end < o + 24) return;
    addAddress(s, b, o + field.src, f.src, f.src_host);
    if (end < o + 40) return;
    addAddress(s, b, o + field.dst, f.dst, f.dst_host);
    addAddressDetails(s, b, o);
    treeExtensions(p, layer, s, b, o + IPV6_HEADER, end, b[o + field.nextHeader]);
  },
});

function dispatch(next: number): number {
  const d = ipProtocols.get(next);
  return d === STOP ? data.id : d;
}

/**
 * Bytes up to `end` are missing: malformed when the packet's claimed length ends before them,
 * else truncated by the snaplen. Quoted in an ICMP error only a snaplen cut is flagged (the
 * quote is cut on purpose; tshark swallows the rest).
 */
function markCut(p: Packet, layer: number, end: number, what: string): void {
  if (p.isQuoted(layer)) {
    const captured = p.bufferOf(layer).length;
    if (end > captured && p.limit[layer] >= captured && captured < p.reported[layer]) p.markShort(layer, captured + 1, what);
  } else if (end > p.reported[layer]) {
    p.markMalformed(layer, what);
  } else {
    p.markShort(layer, end, what);
  }
}

/** An extension header runs past the data: truncated or malformed. */
function shortChain(p: Packet, layer: number, at: number, need: number): number {
  markCut(p, layer, at + need, 'IPv6 extension header runs past the end of the packet');
  p.end[layer] = p.limit[layer];
  return STOP;
}

/** Source and destination as the reassembly key (fragments of one datagram share them and the ident). */
function fragmentKey(b: Uint8Array, o: number): string {
  let k = '';
  for (let i = o + field.src; i < o + IPV6_HEADER; i += 4) k += u32(b, i).toString(36) + '.';
  return k;
}

/** Records the destination a routing header with segments left names, for the checksum pseudo-header. */
function finalDestination(b: Uint8Array, at: number, len: number, layer: number): void {
  const type = b[at + 2];
  if (type === 0 && len >= 24) pseudoHeaderDestination[layer] = at + 8 + Math.floor((len - 8) / 16 - 1) * 16;
  else if (type === 2 && len >= 24) pseudoHeaderDestination[layer] = at + 8;
  else if (type === 4 && len >= 24) pseudoHeaderDestination[layer] = at + 8;
}

function addAddress(s: Sink, b: Uint8Array, at: number, item: typeof ipv6Fields.src, hostItem: typeof ipv6Fields.src_host): void {
  const f = ipv6Fields;
  s.add(item, b, at, 16);
  s.add(f.addr, b, at, 16, undefined, HIDDEN);
  if (s.wants(hostItem) || s.wants(f.host)) {
    const text = ipv6ToString(b, at);
    s.add(hostItem, b, at, 16, text, HIDDEN | GENERATED);
    s.add(f.host, b, at, 16, text, HIDDEN | GENERATED);
  }
}

/**
 * Addresses that embed something else (6to4, Teredo, SLAAC MAC, ISATAP, NAT64 well-known
 * prefix), source then destination for each kind, as Wireshark's add_ipv6_address_* do: the
 * specific item generated, the src-or-dst one generated and hidden.
 */
function addAddressDetails(s: Sink, b: Uint8Array, o: number): void {
  const f = ipv6Fields;
  const src = o + field.src;
  const dst = o + field.dst;
  for (const [at, gw, sla] of [[src, f.src_6to4_gw_ipv4, f.src_6to4_sla_id], [dst, f.dst_6to4_gw_ipv4, f.dst_6to4_sla_id]] as const) {
    if (u16(b, at) !== 0x2002) continue; // RFC 3056 §2
    s.add(gw, b, at + 2, 4, undefined, GENERATED);
    s.add(sla, b, at + 6, 2, undefined, GENERATED);
    s.add(f['6to4_gw_ipv4'], b, at + 2, 4, undefined, GENERATED | HIDDEN);
    s.add(f['6to4_sla_id'], b, at + 6, 2, undefined, GENERATED | HIDDEN);
  }
  for (const [at, server, port, client] of [[src, f.src_ts_ipv4, f.src_tc_port, f.src_tc_ipv4], [dst, f.dst_ts_ipv4, f.dst_tc_port, f.dst_tc_ipv4]] as const) {
    if (u32(b, at) !== 0x20010000) continue; // RFC 4380 §4: port and client address are stored inverted
    const mappedPort = u16(b, at + 10) ^ 0xffff;
    const mappedClient = (u32(b, at + 12) ^ 0xffffffff) >>> 0;
    s.add(server, b, at + 4, 4, undefined, GENERATED);
    s.add(port, b, at + 10, 2, mappedPort, GENERATED);
    s.add(client, b, at + 12, 4, mappedClient, GENERATED);
    s.add(f.ts_ipv4, b, at + 4, 4, undefined, GENERATED | HIDDEN);
    s.add(f.tc_port, b, at + 10, 2, mappedPort, GENERATED | HIDDEN);
    s.add(f.tc_ipv4, b, at + 12, 4, mappedClient, GENERATED | HIDDEN);
  }
  for (const [at, item] of [[src, f.src_slaac_mac], [dst, f.dst_slaac_mac]] as const) {
    // RFC 4291 appendix A: universal bit set and ff:fe in the middle of the interface identifier.
    if (!(b[at + 8] & 0x02) || u16(b, at + 11) !== 0xfffe) continue;
    const mac = new Uint8Array([b[at + 8] & ~0x02, b[at + 9], b[at + 10], b[at + 13], b[at + 14], b[at + 15]]);
    s.add(item, b, at + 8, 8, mac, GENERATED);
    s.add(f.slaac_mac, b, at + 8, 8, mac, GENERATED | HIDDEN);
  }
  for (const [at, item] of [[src, f.src_isatap_ipv4], [dst, f.dst_isatap_ipv4]] as const) {
    if ((u32(b, at + 8) & 0xfcffffff) !== 0x00005efe) continue; // RFC 5214 §6.1
    s.add(item, b, at + 12, 4, undefined, GENERATED);
    s.add(f.isatap_ipv4, b, at + 12, 4, undefined, GENERATED | HIDDEN);
  }
  for (const [at, item] of [[src, f.src_embed_ipv4], [dst, f.dst_embed_ipv4]] as const) {
    // RFC 6052 §2.1 well-known prefix 64:ff9b::/96 (Wireshark's NAT64 prefix table is empty by default).
    if (u32(b, at) !== 0x0064ff9b || u32(b, at + 4) !== 0 || u32(b, at + 8) !== 0) continue;
    s.add(f.embed_ipv4_prefix, b, at, 12, undefined, GENERATED);
    s.add(item, b, at + 12, 4, undefined, GENERATED);
    s.add(f.embed_ipv4, b, at + 12, 4, undefined, GENERATED);
  }
}

/** The extension header chain, each header a protocol item inside the IPv6 tree. */
function treeExtensions(p: Packet, layer: number, s: Sink, b: Uint8Array, start: number, end: number, first: number): void {
  const reassembly = p.notes.get(`ipv6.reassembly.${layer}`) as Reassembly | undefined;
  let at = start;
  let next = first;
  for (let guard = 0; guard < 64 && at < p.end[layer]; guard++) {
    if (next === HOP_BY_HOP || next === DESTINATION_OPTIONS) {
      if (end < at + 2) return;
      const len = (b[at + 1] + 1) * 8;
      const fields = next === HOP_BY_HOP ? hopByHopFields : destinationOptionsFields;
      s.add(next === HOP_BY_HOP ? hopByHopProtocol : destinationOptionsProtocol, b, at, Math.min(len, end - at), null);
      s.push();
      s.add(fields.nxt, b, at, 1);
      s.add(fields.len, b, at + 1, 1);
      s.add(fields.len_oct, b, at + 1, 1, len, GENERATED);
      const ok = treeOptions(s, b, at + 2, at + len, end);
      s.pop();
      if (!ok) return;
      next = b[at];
      at += len;
    } else if (next === ROUTING) {
      // Wireshark adds the item before reading anything: one byte shows the next header alone.
      if (end < at + 1) return;
      const len = end >= at + 2 ? (b[at + 1] + 1) * 8 : end - at;
      const type = end >= at + 3 ? b[at + 2] : -1;
      s.add(routingProtocol, b, at, Math.min(len, end - at), null, 0,
        s.wantsLabels ? `Routing Header for IPv6 (${routingTypeNames[type] ?? `Unknown type ${type}`})` : undefined);
      s.push();
      const ok = treeRouting(s, b, at, len, end);
      s.pop();
      if (!ok) return;
      next = b[at];
      at += len;
    } else if (next === FRAGMENT) {
      // Wireshark reads the whole 8-byte header before adding its item.
      if (end < at + 8) return;
      const g = fragmentHeaderFields;
      s.add(fragmentProtocol, b, at, 8, null);
      s.push();
      s.add(g.nxt, b, at, 1);
      s.add(g.reserved_octet, b, at + 1, 1);
      const fo = u16(b, at + 2);
      s.add(g.offset, b, at + 2, 2, undefined, 0, s.wantsLabels ? `${bitPattern(0xfff8, 16, fo)} = Offset: ${fo >> 3} (${fo & 0xfff8} bytes)` : undefined);
      s.add(g.reserved_bits, b, at + 2, 2);
      s.add(g.more, b, at + 2, 2);
      s.add(g.ident, b, at + 4, 4);
      s.pop();
      if (reassembly && reassembly.at === at) {
        const f = ipv6Fields;
        s.add(f.fragments, b, at, 0, null, 0, s.wantsLabels ? `[${reassembly.frames.length} IPv6 Fragments (${reassembly.length} bytes)]` : undefined);
        s.push();
        for (const fr of reassembly.frames) s.add(f.fragment, b, at, 0, fr.frame, 0, s.wantsLabels ? `Frame: ${fr.frame}, payload: ${fr.offset}-${fr.offset + fr.length - 1} (${fr.length} bytes)` : undefined);
        s.add(f['fragment.count'], b, at, 0, reassembly.frames.length);
        s.add(f['reassembled.length'], b, at, 0, reassembly.length, GENERATED);
        s.pop();
        return;
      }
      next = b[at];
      at += 8;
    } else if (next === AUTHENTICATION) {
      // AH is its own protocol (`ah`) in Wireshark; it is only stepped over here.
      if (end < at + 2) return;
      next = b[at];
      at += (b[at + 1] + 2) * 4;
    } else {
      return;
    }
  }
}

/**
 * Hop-by-hop / destination options of [start, headerEnd), as Wireshark's dissect_opts: the
 * option loop is bounded by the header, not the option lengths. Returns false when the bytes
 * ran out (Wireshark stops at the exception).
 */
function treeOptions(s: Sink, b: Uint8Array, start: number, headerEnd: number, end: number): boolean {
  const f = ipv6Fields;
  let at = start;
  while (at < headerEnd) {
    if (end < at + 2) return false;
    const type = b[at];
    const len = b[at + 1];
    s.add(f.opt, b, at, Math.min(2 + len, end - at), null, 0, s.wantsLabels ? optionNames[type] ?? `Unknown IPv6 Option (${type})` : undefined);
    s.push();
    s.add(f['opt.type'], b, at, 1);
    if (type === 0) {
      s.add(f['opt.pad1'], b, at, 1, null);
      s.pop();
      at += 1;
      continue;
    }
    s.push();
    s.add(f['opt.type.action'], b, at, 1);
    s.add(f['opt.type.change'], b, at, 1);
    s.add(f['opt.type.rest'], b, at, 1);
    s.pop();
    s.add(f['opt.length'], b, at + 1, 1);
    const data = at + 2;
    let used = 0;
    const fits = (n: number) => end >= data + n;
    let ok = true;
    switch (type) {
      case 0x01:
        // tshark prints an empty PadN as "<none>" (and an empty unknown payload as "<MISSING>").
        if ((ok = fits(len))) s.add(f['opt.padn'], b, data, len, len ? undefined : '<none>');
        used = len;
        break;
      case 0x04:
        if ((ok = fits(1))) s.add(f['opt.tel'], b, data, 1);
        used = 1;
        break;
      case 0x05:
        if ((ok = fits(2))) s.add(f['opt.router_alert'], b, data, 2);
        used = 2;
        break;
      case 0xc2:
        if ((ok = fits(4))) s.add(f['opt.jumbo'], b, data, 4);
        used = 4;
        break;
      case 0x30:
        if ((ok = fits(4))) {
          s.add(f['opt.pmtu.min'], b, data, 2);
          s.add(f['opt.pmtu.rtn'], b, data + 2, 2, u16(b, data + 2) & 0xfffe);
          s.add(f['opt.pmtu.r_flag'], b, data + 3, 1, (b[data + 3] & 1) !== 0);
        }
        used = 4;
        break;
      case 0xc9:
        if ((ok = fits(16))) s.add(f['opt.mipv6.home_address'], b, data, 16);
        used = 16;
        break;
      default:
        if (optionsDecodedElsewhere.has(type)) {
          used = len;
        } else {
          if ((ok = fits(len))) s.add(experimentalOptions.has(type) ? f['opt.experimental'] : f['opt.unknown'], b, data, len, len ? undefined : '<MISSING>');
          used = len;
        }
    }
    if (ok && used < len) {
      if ((ok = fits(len))) s.add(f.opt_unknown_data, b, data + used, len - used);
    }
    s.pop();
    if (!ok) return false;
    at = data + Math.max(used, len);
  }
  return true;
}

/** Routing header fields (RFC 8200 §4.4) and the type-specific data of types 0, 2 and 4. Returns false when the bytes ran out. */
function treeRouting(s: Sink, b: Uint8Array, at: number, len: number, end: number): boolean {
  const f = routingFields;
  s.add(f.nxt, b, at, 1);
  if (end < at + 2) return false;
  s.add(f.len, b, at + 1, 1);
  s.add(f.len_oct, b, at + 1, 1, len, GENERATED);
  if (end < at + 3) return false;
  s.add(f.type, b, at + 2, 1);
  if (end < at + 4) return false;
  s.add(f.segleft, b, at + 3, 1);
  const type = b[at + 2];
  const data = at + 4;
  const dataLen = len - 4;
  switch (type) {
    case 0: {
      if (end < data + 4) return false;
      s.add(f['src.reserved'], b, data, 4);
      const count = b[at + 1] >> 1;
      for (let i = 0; i < count; i++) {
        const a = data + 4 + i * 16;
        if (end < a + 16) return false;
        s.add(f['src.addr'], b, a, 16, undefined, 0, s.wantsLabels ? `Address[${i + 1}]: ${ipv6ToString(b, a)}` : undefined);
      }
      return true;
    }
    case 2:
      if (end < data + 4) return false;
      s.add(f['mipv6.reserved'], b, data, 4);
      if (end < data + 20) return false;
      s.add(f['mipv6.home_address'], b, data + 4, 16, undefined, 0, s.wantsLabels ? `Home Address[1]: ${ipv6ToString(b, data + 4)}` : undefined);
      return true;
    case 4: {
      if (end < data + 1) return false;
      s.add(f['srh.last_entry'], b, data, 1);
      if (end < data + 2) return false;
      s.add(f['srh.flags'], b, data + 1, 1);
      if (end < data + 4) return false;
      s.add(f['srh.tag'], b, data + 2, 2);
      const count = b[data] + 1;
      for (let i = 0; i < count; i++) {
        const a = data + 4 + i * 16;
        if (end < a + 16) return false;
        s.add(f['srh.addr'], b, a, 16, undefined, 0, s.wantsLabels ? `Address[${i}]: ${ipv6ToString(b, a)}` : undefined);
      }
      return true;
    }
    case 3: case 5: case 6:
      // RPL and compact routing headers: decoded by Wireshark into fields not reproduced here.
      return end >= at + len;
    default:
      if (end < at + len) return false;
      s.add(f.unknown_data, b, data, dataLen);
      return true;
  }
}

etherTypes.add(0x86dd, ipv6);
ipProtocols.add(41, ipv6);
// SRv6 L2 services (RFC 8986 End.DX2): an Ethernet frame as the next header, as Wireshark's ip.proto 143.
ipProtocols.add(143, ethernet);
// LINKTYPE_IPV6: raw IPv6 with no link-layer header (raw.ts handles 101/12/14 by version nibble).
linkTypes.add(229, ipv6);

// ---- Packet-list columns (Wireshark's Info text) ----
import { ipProtocolName } from './ipv4.js';

/** Extension headers as their dissectors name themselves in the Info column. */
const extensionNames: Record<number, string> = {
  [HOP_BY_HOP]: 'IPv6 hop-by-hop options', [ROUTING]: 'IPv6 routing', [DESTINATION_OPTIONS]: 'IPv6 destination options', [AUTHENTICATION]: 'Authentication Header',
};

/**
 * Protocol `IPv6`, the addresses, and packet-ipv6.c's Info text when nothing above writes one:
 * a fragment not reassembled, no next header, an unknown protocol.
 */
ipv6.info = (p, layer, col) => {
  const b = p.bufferOf(layer);
  const o = p.start[layer];
  col.setProtocol('IPv6');
  col.clear();
  const end = Math.min(b.length, p.limit[layer]);
  if (end >= o + 1 && b[o] >> 4 !== 6) {
    col.set(`Bogus IPv6 version (${b[o] >> 4}, must be 6)`);
    col.quiet(layer);
    return;
  }
  if (end < o + IPV6_HEADER) return;
  col.setAddresses(ipv6ToString(b, o + field.src), ipv6ToString(b, o + field.dst));
  const following = layer + 1 < p.layers && p.parent[layer + 1] === p.parent[layer] ? layer + 1 : -1;
  if (following >= 0 && p.proto[following] !== data.id) return;
  // The header chain up to the first header that is not an extension this layer walks.
  let next = b[o + field.nextHeader];
  let at = o + IPV6_HEADER;
  for (;;) {
    if (next === HOP_BY_HOP || next === DESTINATION_OPTIONS || next === ROUTING || next === AUTHENTICATION) {
      // The first extension header's dissector names it (tshark stops there when it is cut); the transport replaces the name.
      if (at === o + IPV6_HEADER) col.set(extensionNames[next]);
      if (end - at < 2) return;
      const len = next === AUTHENTICATION ? (b[at + 1] + 2) * 4 : (b[at + 1] + 1) * 8;
      next = b[at];
      at += len;
      continue;
    }
    if (next === FRAGMENT) {
      if (end - at < 8) return;
      const offsetAndFlag = u16(b, at + 2);
      if ((offsetAndFlag & 0xfff9) !== 0 && (following < 0 || p.bufIndex[following] === p.bufIndex[layer])) {
        col.set(`IPv6 fragment (off=${offsetAndFlag & 0xfff8} more=${offsetAndFlag & 1 ? 'y' : 'n'} ident=0x${u32(b, at + 4).toString(16).padStart(8, '0')} nxt=${b[at]})`);
        return;
      }
      next = b[at];
      at += 8;
      continue;
    }
    break;
  }
  if (next === NO_NEXT_HEADER) col.set('IPv6 no next header');
  else if (following >= 0) col.set(`Unknown IP Protocol: ${nextHeaderNames[next] ?? ipProtocolName(next)} (${next})`);
};
