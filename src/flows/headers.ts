/**
 * What the flow engine needs from a packet: addresses, ports and where the TCP/UDP header
 * lies, in one reused struct ({@link FlowPacket}). It is filled either from a packet the
 * Decoder already dissected ({@link fromDecoded}), or straight from a capture record by a
 * small allocation-free header walk ({@link fromFrame}) that statistics commands use to run at
 * well over a million packets per second. The walk knows Ethernet (802.1Q/802.1ad tags), Linux
 * cooked (SLL, SLL2), BSD loopback, raw IP, IPv4 (options, IP-in-IP), IPv6 (extension headers)
 * and answers `fallback` for anything else (IP fragments, unknown link types), so the caller
 * can hand the frame to the full Decoder instead.
 *
 * @example
 * const fp = new FlowPacket();
 * if (fromFrame(fp, record.iface.linkType, record.data, record.origLen) === Walk.Found) engine.flow(fp);
 */
import type { Packet } from '../decode/packet.js';
import { dissectorById } from '../decode/dissector.js';
import { DOUBLE_ZERO } from './seq.js';

/** Outcome of a header walk. */
export const enum Walk {
  /** A TCP or UDP header was found: the struct is filled. */
  Found = 0,
  /** Not TCP/UDP over IP (ARP, ICMP, …): nothing for the flow engine. */
  None = 1,
  /** The fast walk cannot tell (fragment, unknown encapsulation): use the Decoder. */
  Fallback = 2,
}

/** One packet's transport header as the flow engine sees it. */
export class FlowPacket {
  /** 6 (TCP) or 17 (UDP). */
  proto = 0;
  /** 4 or 6. */
  family = 4;
  /** IPv4 addresses as unsigned numbers. */
  src4 = DOUBLE_ZERO;
  dst4 = DOUBLE_ZERO;
  /** IPv6: the buffer holding the addresses and their offsets. */
  addrBuf: Uint8Array = new Uint8Array(0);
  src6 = 0;
  dst6 = 0;
  /** IP TTL or hop limit. */
  ttl = 0;
  /** An IP header was found (set even when the walk answers None or Fallback, for address-pair statistics). */
  ipValid = false;
  /**
   * The transport header is the one an ICMP error quotes: tshark still looks its conversation
   * up (so it gets a stream number) but does not analyse or count it.
   */
  quoted = false;
  /** The buffer holding the transport header, its offset, and the bytes the IP layer says it carries. */
  buf: Uint8Array = new Uint8Array(0);
  off = 0;
  /** Reported length of the transport segment (header + payload), from the IP length. */
  reportedLen = 0;
  /** Bytes of it actually captured. */
  capturedLen = 0;
}

// Ethertypes and IP protocol numbers the walk follows.
const ETH_IPV4 = 0x0800;
const ETH_IPV6 = 0x86dd;
const ETH_VLAN = 0x8100;
const ETH_QINQ = 0x88a8;
const ETH_QINQ_OLD = 0x9100;
const IP_TCP = 6;
const IP_UDP = 17;
const IP_IPIP = 4;
const IP_IPV6 = 41;
const IP_ICMP = 1;
const IP_ICMPV6 = 58;

/**
 * Walks link, IP and transport headers of a raw frame. `origLen` is the length on the wire
 * (for the reported length of truncated frames).
 */
export function fromFrame(fp: FlowPacket, linkType: number, b: Uint8Array, origLen: number): Walk {
  fp.ipValid = false;
  fp.quoted = false;
  let off: number;
  let type: number;
  switch (linkType) {
    case 1: { // Ethernet
      if (b.length < 14) return Walk.None;
      off = 12;
      type = (b[12] << 8) | b[13];
      off = 14;
      while (type === ETH_VLAN || type === ETH_QINQ || type === ETH_QINQ_OLD) {
        if (b.length < off + 4) return Walk.None;
        type = (b[off + 2] << 8) | b[off + 3];
        off += 4;
      }
      if (type < 0x600) return Walk.Fallback; // 802.3 length field: LLC/SNAP
      break;
    }
    case 113: // Linux cooked capture v1
      if (b.length < 16) return Walk.None;
      type = (b[14] << 8) | b[15];
      off = 16;
      break;
    case 276: // Linux cooked capture v2
      if (b.length < 20) return Walk.None;
      type = (b[0] << 8) | b[1];
      off = 20;
      break;
    case 0: case 108: { // BSD loopback: 4-byte address family, host or network order
      if (b.length < 4) return Walk.None;
      const af = b[0] | (b[1] << 8) | (b[2] << 16) | (b[3] << 24);
      const afBe = (b[0] << 24) | (b[1] << 16) | (b[2] << 8) | b[3];
      const fam = af > 0 && af < 256 ? af : afBe;
      if (fam === 2) type = ETH_IPV4;
      else if (fam === 10 || fam === 24 || fam === 28 || fam === 30) type = ETH_IPV6;
      else return Walk.Fallback;
      off = 4;
      break;
    }
    case 101: case 12: case 14: // raw IP, version from the first nibble
      if (b.length < 1) return Walk.None;
      type = b[0] >> 4 === 6 ? ETH_IPV6 : ETH_IPV4;
      off = 0;
      break;
    case 228:
      type = ETH_IPV4;
      off = 0;
      break;
    case 229:
      type = ETH_IPV6;
      off = 0;
      break;
    default:
      return Walk.Fallback;
  }
  // Bytes the wire carried after `off` (frames cut by the snaplen still report their size).
  let reportedEnd = origLen;
  for (let depth = 0; depth < 4; depth++) {
    if (type === ETH_IPV4) {
      if (b.length < off + 20) return b.length >= origLen ? Walk.None : Walk.Fallback;
      if (b[off] >> 4 !== 4) return Walk.Fallback;
      const hl = (b[off] & 15) * 4;
      if (hl < 20 || b.length < off + hl) return Walk.Fallback;
      let total = (b[off + 2] << 8) | b[off + 3];
      if (total === 0) total = reportedEnd - off; // TSO: length left to the NIC
      fp.family = 4;
      fp.src4 = ((b[off + 12] << 24) | (b[off + 13] << 16) | (b[off + 14] << 8) | b[off + 15]) >>> 0;
      fp.dst4 = ((b[off + 16] << 24) | (b[off + 17] << 16) | (b[off + 18] << 8) | b[off + 19]) >>> 0;
      fp.ttl = b[off + 8];
      fp.ipValid = true;
      if (total < hl) return Walk.Fallback;
      // A total length beyond the frame is damage the Decoder reports (and tshark flags).
      if (off + total > reportedEnd) return Walk.Fallback;
      if (b[off + 6] & 0x3f || b[off + 7]) return Walk.Fallback; // MF or fragment offset: reassembly needed
      const proto = b[off + 9];
      const end = off + total;
      off += hl;
      reportedEnd = end;
      if (proto === IP_TCP || proto === IP_UDP) return transport(fp, proto, b, off, reportedEnd);
      if (proto === IP_IPIP) { type = ETH_IPV4; continue; }
      if (proto === IP_IPV6) { type = ETH_IPV6; continue; }
      if (proto === IP_ICMP) return quotedV4(fp, b, off, reportedEnd);
      return Walk.None;
    }
    if (type === ETH_IPV6) {
      if (b.length < off + 40) return b.length >= origLen ? Walk.None : Walk.Fallback;
      if (b[off] >> 4 !== 6) return Walk.Fallback;
      const plen = (b[off + 4] << 8) | b[off + 5];
      let next = b[off + 6];
      fp.family = 6;
      fp.addrBuf = b;
      fp.src6 = off + 8;
      fp.dst6 = off + 24;
      fp.ttl = b[off + 7];
      fp.ipValid = true;
      if (plen !== 0 && off + 40 + plen > reportedEnd) return Walk.Fallback;
      // Payload length 0 (TSO, jumbograms, BIG TCP): tshark 4.0 gives the payload no length and
      // fails on the transport header, so it gets no stream.
      if (plen === 0) return Walk.None;
      const end = plen === 0 ? reportedEnd : off + 40 + plen;
      off += 40;
      reportedEnd = end;
      // Extension headers: hop-by-hop, routing, destination options, AH; a fragment needs reassembly.
      for (let ext = 0; ext < 8; ext++) {
        if (next === 0 || next === 43 || next === 60) {
          if (b.length < off + 2) return Walk.Fallback;
          const len = (b[off + 1] + 1) * 8;
          next = b[off];
          off += len;
        } else if (next === 51) {
          if (b.length < off + 2) return Walk.Fallback;
          const len = (b[off + 1] + 2) * 4;
          next = b[off];
          off += len;
        } else {
          break;
        }
      }
      if (next === 44) return Walk.Fallback;
      if (next === IP_TCP || next === IP_UDP) return transport(fp, next, b, off, reportedEnd);
      if (next === IP_IPIP) { type = ETH_IPV4; continue; }
      if (next === IP_IPV6) { type = ETH_IPV6; continue; }
      if (next === IP_ICMPV6) return quotedV6(fp, b, off, reportedEnd);
      return Walk.None;
    }
    return type === 0x0806 || type === 0x88cc || type === 0x8035 ? Walk.None : Walk.Fallback;
  }
  return Walk.Fallback;
}

/**
 * An ICMP error (destination unreachable, source quench, redirect, time exceeded, parameter
 * problem) quotes the offending IPv4 header and the start of its transport header; tshark
 * dissects that TCP/UDP header too, conversation lookup included.
 */
function quotedV4(fp: FlowPacket, b: Uint8Array, off: number, end: number): Walk {
  if (b.length < off + 8) return Walk.None;
  const t = b[off];
  if (t !== 3 && t !== 4 && t !== 5 && t !== 11 && t !== 12) return Walk.None;
  const q = off + 8;
  if (b.length < q + 20 || b[q] >> 4 !== 4) return Walk.None;
  const hl = (b[q] & 15) * 4;
  if (hl < 20 || (b[q + 6] & 0x1f) || b[q + 7]) return Walk.None; // a later fragment has no transport header
  const proto = b[q + 9];
  if (proto !== IP_TCP && proto !== IP_UDP) return Walk.None;
  fp.family = 4;
  fp.src4 = ((b[q + 12] << 24) | (b[q + 13] << 16) | (b[q + 14] << 8) | b[q + 15]) >>> 0;
  fp.dst4 = ((b[q + 16] << 24) | (b[q + 17] << 16) | (b[q + 18] << 8) | b[q + 19]) >>> 0;
  fp.ttl = b[q + 8];
  return quotedTransport(fp, proto, b, q + hl, end);
}

/** The same for ICMPv6 errors (types 1 to 4) quoting an IPv6 header. */
function quotedV6(fp: FlowPacket, b: Uint8Array, off: number, end: number): Walk {
  if (b.length < off + 8) return Walk.None;
  const t = b[off];
  if (t < 1 || t > 4) return Walk.None;
  const q = off + 8;
  if (b.length < q + 40 || b[q] >> 4 !== 6) return Walk.None;
  const next = b[q + 6];
  if (next !== IP_TCP && next !== IP_UDP) return Walk.None;
  fp.family = 6;
  fp.addrBuf = b;
  fp.src6 = q + 8;
  fp.dst6 = q + 24;
  fp.ttl = b[q + 7];
  return quotedTransport(fp, next, b, q + 40, end);
}

function quotedTransport(fp: FlowPacket, proto: number, b: Uint8Array, off: number, end: number): Walk {
  if (off >= end) return Walk.None;
  fp.proto = proto;
  fp.buf = b;
  fp.off = off;
  fp.reportedLen = end - off;
  fp.capturedLen = Math.max(0, Math.min(b.length, end) - off);
  fp.quoted = true;
  return Walk.Found;
}

function transport(fp: FlowPacket, proto: number, b: Uint8Array, off: number, reportedEnd: number): Walk {
  if (off > reportedEnd) return Walk.None;
  // Damaged headers go to the Decoder, which marks them (and raises tshark's expert items).
  if (b.length >= off + 13 && proto === IP_TCP) {
    const hl = (b[off + 12] >> 4) * 4;
    if (hl >= 20 && off + hl > reportedEnd) return Walk.Fallback;
  } else if (b.length >= off + 6 && proto === IP_UDP) {
    const ulen = (b[off + 4] << 8) | b[off + 5];
    if (ulen < 8 || off + ulen > reportedEnd) return Walk.Fallback;
  }
  fp.proto = proto;
  fp.buf = b;
  fp.off = off;
  fp.reportedLen = reportedEnd - off;
  fp.capturedLen = Math.max(0, Math.min(b.length, reportedEnd) - off);
  return Walk.Found;
}

/** Cached dissector ids by name ('ip', 'ipv6', 'tcp', 'udp'). */
const protoIds = new Map<number, string>();
function protoName(id: number): string {
  let n = protoIds.get(id);
  if (n === undefined) {
    n = dissectorById(id)?.protocol.name ?? '';
    protoIds.set(id, n);
  }
  return n;
}

/**
 * Fills the struct from a packet the Decoder dissected: the innermost network and transport
 * layers it found (IP fragments reassembled, ICMP-quoted headers ignored).
 */
export function fromDecoded(fp: FlowPacket, p: Packet): Walk {
  fp.ipValid = false;
  fp.quoted = false;
  let t = p.transportLayer;
  let n = p.netLayer;
  if (t < 0) {
    // A TCP/UDP header quoted in an ICMP error still gets its stream number in tshark.
    for (let i = p.layers - 1; i > 0 && t < 0; i--) {
      const name = protoName(p.proto[i]);
      if ((name === 'tcp' || name === 'udp') && p.isQuoted(i)) t = i;
    }
    if (t < 0) return Walk.None;
    n = -1;
    for (let i = t - 1; i > 0 && n < 0; i--) {
      const name = protoName(p.proto[i]);
      if (name === 'ip' || name === 'ipv6') n = i;
    }
    fp.quoted = true;
  }
  if (n < 0) return Walk.None;
  const tname = protoName(p.proto[t]);
  const proto = tname === 'tcp' ? IP_TCP : tname === 'udp' ? IP_UDP : 0;
  if (!proto) return Walk.None;
  const nb = p.bufferOf(n);
  const no = p.start[n];
  const nname = protoName(p.proto[n]);
  if (nname === 'ip') {
    if (nb.length < no + 20) return Walk.None;
    fp.family = 4;
    fp.src4 = ((nb[no + 12] << 24) | (nb[no + 13] << 16) | (nb[no + 14] << 8) | nb[no + 15]) >>> 0;
    fp.dst4 = ((nb[no + 16] << 24) | (nb[no + 17] << 16) | (nb[no + 18] << 8) | nb[no + 19]) >>> 0;
    fp.ttl = nb[no + 8];
  } else if (nname === 'ipv6') {
    if (nb.length < no + 40) return Walk.None;
    fp.family = 6;
    fp.addrBuf = nb;
    fp.src6 = no + 8;
    fp.dst6 = no + 24;
    fp.ttl = nb[no + 7];
  } else {
    return Walk.None;
  }
  fp.ipValid = true;
  const b = p.bufferOf(t);
  const o = p.start[t];
  // `limit` is the end the IP layer gave the transport layer (its total length), as Wireshark's
  // tvb_reported_length; it is also cut by the snaplen, which only shortens `capturedLen`.
  const end = Math.max(p.limit[t], o);
  fp.proto = proto;
  fp.buf = b;
  fp.off = o;
  fp.reportedLen = end - o;
  fp.capturedLen = Math.max(0, Math.min(b.length, end) - o);
  return Walk.Found;
}
