/**
 * What the flow engine needs from a packet: addresses, ports and where the TCP/UDP header
 * lies, in one reused struct ({@link FlowPacket}), read from the layer stack the Decoder built
 * (there is one header walk: the Decoder's; the engine's statistics pass runs it without the
 * application dissectors, `new Decoder({ transportOnly: true })`).
 *
 * @example
 * const p = decoder.decode(record);
 * if (fromLayers(fp, p, p.netLayer, p.transportLayer) === Walk.Found) use(fp.buf, fp.off);
 */
import type { Packet } from '../decode/packet.js';
import { dissectorByName } from '../decode/dissector.js';
import '../decode/protocols.js';
import { DOUBLE_ZERO } from './seq.js';

/** Outcome of a header walk. */
export const enum Walk {
  /** A TCP or UDP header was found: the struct is filled. */
  Found = 0,
  /** Not TCP/UDP over IP (ARP, ICMP, …): nothing for the flow engine. */
  None = 1,
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
  /** IP total length (IPv4 header field; IPv6 payload length + 40), Zeek's ip_bytes. */
  ipLen = 0;
  /** An IP header was found (set even when the walk answers None or Fallback, for address-pair statistics). */
  ipValid = false;
  /**
   * The transport header is the one an ICMP error quotes: tshark still looks its conversation
   * up (so it gets a stream number) but does not analyse or count it.
   */
  quoted = false;
  /** A first IP fragment tshark dissects without reassembly: stream, but no segment length. */
  fragmented = false;
  /** Index of the transport layer in the packet's layer stack. */
  layer = -1;
  /** The buffer holding the transport header, its offset, and the bytes the IP layer says it carries. */
  buf: Uint8Array = new Uint8Array(0);
  off = 0;
  /** Reported length of the transport segment (header + payload), from the IP length. */
  reportedLen = 0;
  /** Bytes of it actually captured. */
  capturedLen = 0;
}

/** Dissector ids of the layers the engine looks for (the Decoder registers them). */
export const transportIds = {
  ip: dissectorByName('ip')!.id,
  ipv6: dissectorByName('ipv6')!.id,
  tcp: dissectorByName('tcp')!.id,
  udp: dissectorByName('udp')!.id,
};

/**
 * Fills the struct from the network layer `n` (IPv4 or IPv6) and the TCP/UDP layer `t` of a
 * decoded packet.
 */
export function fromLayers(fp: FlowPacket, p: Packet, n: number, t: number): Walk {
  fp.ipValid = false;
  fp.quoted = p.parent[t] >= 0;
  if (n < 0 || t < 0) return Walk.None;
  const tid = p.proto[t];
  const proto = tid === transportIds.tcp ? 6 : tid === transportIds.udp ? 17 : 0;
  if (!proto) return Walk.None;
  const nb = p.bufferOf(n);
  const no = p.start[n];
  const nid = p.proto[n];
  if (nid === transportIds.ip) {
    if (nb.length < no + 20) return Walk.None;
    fp.family = 4;
    fp.src4 = ((nb[no + 12] << 24) | (nb[no + 13] << 16) | (nb[no + 14] << 8) | nb[no + 15]) >>> 0;
    fp.dst4 = ((nb[no + 16] << 24) | (nb[no + 17] << 16) | (nb[no + 18] << 8) | nb[no + 19]) >>> 0;
    fp.ttl = nb[no + 8];
    fp.ipLen = (nb[no + 2] << 8) | nb[no + 3];
  } else if (nid === transportIds.ipv6) {
    if (nb.length < no + 40) return Walk.None;
    fp.family = 6;
    fp.addrBuf = nb;
    fp.src6 = no + 8;
    fp.dst6 = no + 24;
    fp.ttl = nb[no + 7];
    fp.ipLen = ((nb[no + 4] << 8) | nb[no + 5]) + 40;
  } else {
    return Walk.None;
  }
  fp.ipValid = true;
  // A first IP fragment dissected without reassembly: tshark gives it a stream but no segment length.
  fp.fragmented = p.fragmentedBy >= 0 && p.fragmentedBy < t;
  const b = p.bufferOf(t);
  const o = p.start[t];
  // The end the IP layer reported for the segment (its total length, not cut by the snaplen,
  // as Wireshark's tvb_reported_length); the captured part may be shorter.
  const end = Math.max(p.reported[t], o);
  fp.layer = t;
  fp.proto = proto;
  fp.buf = b;
  fp.off = o;
  fp.reportedLen = end - o;
  fp.capturedLen = Math.max(0, Math.min(b.length, end) - o);
  return Walk.Found;
}

/**
 * A TCP/UDP header quoted in an ICMP error (the innermost one): tshark still looks its
 * conversation up, so it gets a stream number, but it is not analysed or counted.
 */
export function fromQuoted(fp: FlowPacket, p: Packet): Walk {
  for (let t = p.layers - 1; t > 0; t--) {
    const id = p.proto[t];
    if ((id !== transportIds.tcp && id !== transportIds.udp) || p.parent[t] < 0) continue;
    for (let n = t - 1; n > 0; n--) {
      if (p.proto[n] === transportIds.ip || p.proto[n] === transportIds.ipv6) return fromLayers(fp, p, n, t);
    }
    return Walk.None;
  }
  return Walk.None;
}

/**
 * The innermost TCP/UDP layer of a decoded packet (IP fragments reassembled), or the one an
 * ICMP error quotes when there is none.
 */
export function fromDecoded(fp: FlowPacket, p: Packet): Walk {
  if (p.transportLayer >= 0 && p.netLayer >= 0) return fromLayers(fp, p, p.netLayer, p.transportLayer);
  fp.ipValid = false;
  return fromQuoted(fp, p);
}
