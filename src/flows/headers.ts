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
  /** A first IP fragment tshark dissects without reassembly: stream, but no segment length. */
  fragmented = false;
  /** An IP length beyond the frame: tshark raises expert items the Decoder also knows. */
  damaged = false;
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
const IP_GRE = 47;
const IP_PIM = 103;
const ETH_MPLS = 0x8847;
const ETH_MPLS_MC = 0x8848;
const ETH_PPPOE = 0x8864;
const ETH_TEB = 0x6558;
const ETH_MACSEC = 0x88e5;
const ETH_NSH = 0x894f;
/** Pseudo ethertype: a PPP protocol field follows. */
const PPP = 0x10000;

/**
 * Walks link, IP and transport headers of a raw frame. `origLen` is the length on the wire
 * (for the reported length of truncated frames). `start`/`end` walk a frame carried inside
 * another (VXLAN, Geneve) from Ethernet at `start`, reported up to `end`.
 */
export function fromFrame(fp: FlowPacket, linkType: number, b: Uint8Array, origLen: number, start = 0, end = origLen): Walk {
  fp.ipValid = false;
  fp.quoted = false;
  fp.fragmented = false;
  fp.damaged = false;
  let off = start;
  let type: number;
  switch (linkType) {
    case 1: // Ethernet
      if (b.length < off + 14) return Walk.None;
      type = (b[off + 12] << 8) | b[off + 13];
      off += 14;
      break;
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
    case 9: case 50: // PPP, PPP in HDLC framing
      off = b.length >= 2 && b[0] === 0xff && b[1] === 0x03 ? 2 : 0;
      type = PPP;
      break;
    case 104: // Cisco HDLC: address, control, ethertype
      if (b.length < 4) return Walk.None;
      type = (b[2] << 8) | b[3];
      off = 4;
      break;
    case 258: { // Apple PKTAP: little-endian header length and the link type of what follows
      if (b.length < 8) return Walk.None;
      const hl = b[0] | (b[1] << 8) | (b[2] << 16) | (b[3] << 24);
      const dlt = b[4] | (b[5] << 8);
      if (dlt !== 1 || hl < 8 || b.length < hl + 14) return dlt === 1 ? Walk.None : Walk.Fallback;
      type = (b[hl + 12] << 8) | b[hl + 13];
      off = hl + 14;
      break;
    }
    case 239: { // Linux NFLOG: TLVs (host byte order), the payload TLV holds the IP packet
      if (b.length < 4) return Walk.None;
      type = b[0] === 10 ? ETH_IPV6 : ETH_IPV4;
      off = 4;
      for (;;) {
        if (b.length < off + 4) return Walk.None;
        const len = b[off] | (b[off + 1] << 8);
        const t = b[off + 2] | (b[off + 3] << 8);
        if (len < 4) return Walk.None;
        if (t === 9) {
          end = Math.min(end, off + len);
          off += 4;
          break;
        }
        off += (len + 3) & ~3;
      }
      break;
    }
    default:
      return Walk.Fallback;
  }
  // Bytes the wire carried after `off` (frames cut by the snaplen still report their size).
  let reportedEnd = end;
  for (let depth = 0; depth < 8; depth++) {
    switch (type) {
      case ETH_VLAN: case ETH_QINQ: case ETH_QINQ_OLD:
        if (b.length < off + 4) return Walk.None;
        type = (b[off + 2] << 8) | b[off + 3];
        off += 4;
        continue;
      case ETH_PPPOE:
        if (b.length < off + 8) return Walk.None;
        off += 6;
        type = PPP;
        continue;
      case PPP: {
        // Protocol field: 2 bytes, or 1 when compressed (odd first byte).
        if (b.length < off + 1) return Walk.None;
        let proto: number;
        if (b[off] & 1) {
          proto = b[off];
          off += 1;
        } else {
          if (b.length < off + 2) return Walk.None;
          proto = (b[off] << 8) | b[off + 1];
          off += 2;
        }
        if (proto === 0x21) type = ETH_IPV4;
        else if (proto === 0x57) type = ETH_IPV6;
        else if (proto === 0x281 || proto === 0x283) type = ETH_MPLS;
        else return Walk.None;
        continue;
      }
      case ETH_MPLS: case ETH_MPLS_MC: {
        // Labels until the bottom of stack; then IPv4 or IPv6 by the first nibble, as tshark guesses.
        for (;;) {
          if (b.length < off + 4) return Walk.None;
          const bottom = b[off + 2] & 1;
          off += 4;
          if (bottom) break;
        }
        if (b.length < off + 1) return Walk.None;
        const v = b[off] >> 4;
        if (v === 4) type = ETH_IPV4;
        else if (v === 6) type = ETH_IPV6;
        else return Walk.None;
        continue;
      }
      case ETH_IPV4: {
        if (b.length < off + 20) return Walk.None;
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
        const frag = ((b[off + 6] & 0x1f) << 8) | b[off + 7];
        const more = (b[off + 6] & 0x20) !== 0;
        const proto = b[off + 9];
        if (frag || more) {
          // tshark reassembles a fragment it has whole; a first fragment cut by the snaplen (or
          // shorter than its length) is dissected as is, flagged fragmented: stream, no analysis.
          if (!frag && b.length < off + total && (proto === IP_TCP || proto === IP_UDP)) {
            fp.fragmented = true;
            return transport(fp, proto, b, off + hl, Math.min(off + total, reportedEnd));
          }
          return Walk.Fallback;
        }
        // A total length beyond the frame is damage tshark flags and then works around (the
        // payload is what the frame holds); the Decoder is asked for its expert items.
        if (off + total > reportedEnd) fp.damaged = true;
        else reportedEnd = off + total;
        off += hl;
        if (proto === IP_TCP || proto === IP_UDP) return transport(fp, proto, b, off, reportedEnd);
        if (proto === IP_IPIP) { type = ETH_IPV4; continue; }
        if (proto === IP_IPV6) { type = ETH_IPV6; continue; }
        if (proto === IP_GRE) { type = gre(b, off); off = greEnd; continue; }
        if (proto === IP_ICMP) return quotedV4(fp, b, off, reportedEnd);
        if (proto === IP_PIM && b.length >= off + 9 && (b[off] & 0x0f) === 1) {
          // PIM Register: the multicast packet it carries follows an 8-byte header.
          off += 8;
          type = b[off] >> 4 === 6 ? ETH_IPV6 : ETH_IPV4;
          continue;
        }
        return Walk.None;
      }
      case ETH_IPV6: {
        if (b.length < off + 40) return Walk.None;
        if (b[off] >> 4 !== 6) return Walk.Fallback;
        const plen = (b[off + 4] << 8) | b[off + 5];
        let next = b[off + 6];
        fp.family = 6;
        fp.addrBuf = b;
        fp.src6 = off + 8;
        fp.dst6 = off + 24;
        fp.ttl = b[off + 7];
        fp.ipValid = true;
        if (plen !== 0 && off + 40 + plen > reportedEnd) fp.damaged = true;
        // Payload length 0: a jumbogram when a hop-by-hop header follows (tshark takes the
        // frame's length); otherwise (TSO) tshark 4.0 gives the payload no length and fails
        // on the transport header, so it gets no stream.
        if (plen === 0 && next !== 0) return Walk.None;
        const endIp = plen === 0 ? reportedEnd : Math.min(off + 40 + plen, reportedEnd);
        off += 40;
        reportedEnd = endIp;
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
        if (next === IP_GRE) { type = gre(b, off); off = greEnd; continue; }
        if (next === IP_ICMPV6) return quotedV6(fp, b, off, reportedEnd);
        if (next === IP_PIM && b.length >= off + 9 && (b[off] & 0x0f) === 1) {
          off += 8;
          type = b[off] >> 4 === 6 ? ETH_IPV6 : ETH_IPV4;
          continue;
        }
        return Walk.None;
      }
      case ETH_MACSEC: {
        // 802.1AE without encryption (E and C clear): SecTAG (+ SCI), then the inner ethertype.
        if (b.length < off + 8) return Walk.None;
        const tci = b[off];
        if (tci & 0x0c) return Walk.None;
        off += tci & 0x20 ? 14 : 6;
        if (b.length < off + 2) return Walk.None;
        type = (b[off] << 8) | b[off + 1];
        off += 2;
        continue;
      }
      case ETH_NSH: {
        // Network Service Header: length in 4-byte words, next protocol 1 IPv4, 2 IPv6, 3 Ethernet.
        if (b.length < off + 8) return Walk.None;
        const len = (b[off + 1] & 0x3f) * 4;
        const next = b[off + 3];
        off += len;
        if (next === 1) type = ETH_IPV4;
        else if (next === 2) type = ETH_IPV6;
        else if (next === 3) type = ETH_TEB;
        else return Walk.None;
        continue;
      }
      case ETH_TEB: // Ethernet inside GRE
        if (b.length < off + 14) return Walk.None;
        type = (b[off + 12] << 8) | b[off + 13];
        off += 14;
        continue;
      case 0x0806: case 0x88cc: case 0x8035: case 0x8809: case 0x888e:
        return Walk.None; // ARP, LLDP, RARP, slow protocols, EAPOL: no IP to follow
      default:
        return type < 0x600 ? Walk.Fallback : Walk.None;
    }
  }
  return Walk.None;
}

/** Where the payload of the last GRE header read starts (set by `gre`). */
let greEnd = 0;

/**
 * A GRE header at `off`: returns the ethertype it carries (ERSPAN type II and WCCP made to
 * look like what they carry) and leaves the payload offset in `greEnd`.
 */
function gre(b: Uint8Array, off: number): number {
  if (b.length < off + 4) return 0;
  const flags = b[off];
  let type = (b[off + 2] << 8) | b[off + 3];
  let o = off + 4;
  if (flags & 0x80) o += 4; // checksum + reserved
  if (flags & 0x20) o += 4; // key
  if (flags & 0x10) o += 4; // sequence number
  if (type === 0x88be) {
    // ERSPAN type II: 8-byte header, then the mirrored Ethernet frame (type I has none).
    if (flags & 0x10) o += 8;
    type = ETH_TEB;
  } else if (type === 0x883e) {
    o += 4; // WCCP redirect header
    type = ETH_IPV4;
  }
  greEnd = o;
  return type;
}

/**
 * Where a VXLAN, VXLAN-GPE or Geneve header at `off` (the UDP payload) says its inner frame
 * starts, and whether it is Ethernet (1) or IP (4/6); -1 when the port is no such tunnel.
 */
export function tunnelPayload(port: number, b: Uint8Array, off: number): { at: number; kind: number } | null {
  if (port === 4789) return b.length >= off + 8 ? { at: off + 8, kind: 1 } : null;
  if (port === 4790) {
    if (b.length < off + 8) return null;
    const next = b[off + 3];
    if (next === 4 && b.length >= off + 16) {
      // NSH inside VXLAN-GPE
      const nshNext = b[off + 8 + 3];
      const at = off + 8 + (b[off + 9] & 0x3f) * 4;
      return nshNext === 3 ? { at, kind: 1 } : nshNext === 1 ? { at, kind: 4 } : nshNext === 2 ? { at, kind: 6 } : null;
    }
    return next === 3 ? { at: off + 8, kind: 1 } : next === 1 ? { at: off + 8, kind: 4 } : next === 2 ? { at: off + 8, kind: 6 } : null;
  }
  if (port === 6081) {
    if (b.length < off + 8) return null;
    const optLen = (b[off] & 0x3f) * 4;
    const proto = (b[off + 2] << 8) | b[off + 3];
    const at = off + 8 + optLen;
    return proto === ETH_TEB ? { at, kind: 1 } : proto === ETH_IPV4 ? { at, kind: 4 } : proto === ETH_IPV6 ? { at, kind: 6 } : null;
  }
  return null;
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
  // Headers that lie about lengths are still tracked as tshark tracks them; the Decoder is
  // asked for the expert items it raises about them.
  if (b.length >= off + 13 && proto === IP_TCP) {
    const hl = (b[off + 12] >> 4) * 4;
    if (hl >= 20 && off + hl > reportedEnd) fp.damaged = true;
  } else if (b.length >= off + 6 && proto === IP_UDP && !fp.fragmented) {
    const ulen = (b[off + 4] << 8) | b[off + 5];
    if (!(ulen === 0 && fp.family === 6) && (ulen < 8 || off + ulen > reportedEnd)) fp.damaged = true;
  }
  return transport2(fp, proto, b, off, reportedEnd);
}

function transport2(fp: FlowPacket, proto: number, b: Uint8Array, off: number, reportedEnd: number): Walk {
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
  fp.fragmented = false;
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
  // A first IP fragment dissected without reassembly: tshark gives it a stream but no segment length.
  fp.fragmented = p.fragmentedBy >= 0 && p.fragmentedBy < t;
  const b = p.bufferOf(t);
  const o = p.start[t];
  // `limit` is the end the IP layer gave the transport layer (its total length), as Wireshark's
  // tvb_reported_length; it is also cut by the snaplen, which only shortens `capturedLen`.
  const end = Math.max(p.reported[t], o);
  fp.proto = proto;
  fp.buf = b;
  fp.off = o;
  fp.reportedLen = end - o;
  fp.capturedLen = Math.max(0, Math.min(b.length, end) - o);
  return Walk.Found;
}
