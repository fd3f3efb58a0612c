/** UDP (RFC 768): 8-byte header; the length field bounds the payload. */
import { defineFields } from '../fields/field.js';
import type { Sink } from '../fields/sink.js';
import { GENERATED, HIDDEN } from '../fields/value.js';
import { u16 } from './bytes.js';
import { dissectorById, ipProtocols, registerDissector, STOP, tryHeuristics, udpHeuristics, udpPorts } from './dissector.js';
import { verifyTransportChecksum } from './checksum.js';
import { data } from './data.js';
import { checksumStatus } from './ip-common.js';
import type { Packet } from './packet.js';

const HEADER = 8;

export const udpFields = defineFields('udp', {
  srcport: { display: 'Source Port', type: 'uint16', base: 'dec' },
  dstport: { display: 'Destination Port', type: 'uint16', base: 'dec' },
  port: { display: 'Source or Destination Port', type: 'uint16', base: 'dec' },
  length: { display: 'Length', type: 'uint16', base: 'dec' },
  checksum: { display: 'Checksum', type: 'uint16', base: 'hex' },
  'checksum.status': { display: 'Checksum Status', type: 'uint8', base: 'none', values: checksumStatus },
  checksum_calculated: { display: 'Calculated Checksum', type: 'uint16', base: 'hex' },
  payload: { display: 'Payload', type: 'bytes' },
});

export const udpPreferences = { verifyChecksum: false };

/**
 * Where conversation tracking adds `udp.stream`: the flow engine (src/flows/udp-streams.ts)
 * sets `fn`, which the tree calls after the header fields.
 */
export const udpStreamHook: { fn?: (p: Packet, layer: number, s: Sink) => void } = {};

/**
 * Whether tshark verifies this datagram's checksum: not in an un-reassembled fragment, and the
 * IP payload (as reported and as captured) covers the UDP length.
 */
function udpChecksumVerifiable(p: Packet, layer: number, length: number): boolean {
  if (length < HEADER || (p.fragmentedBy >= 0 && p.fragmentedBy < layer)) return false;
  const b = p.bufferOf(layer);
  const o = p.start[layer];
  // The IP payload as the carrying layer gave it (this layer's own bounds were cut to the UDP length).
  const sameBuffer = layer > 0 && p.bufIndex[layer - 1] === p.bufIndex[layer];
  const reported = (sameBuffer ? p.reported[layer - 1] : b.length) - o;
  const captured = Math.min(b.length, sameBuffer ? p.limit[layer - 1] : b.length) - o;
  return captured >= reported && captured >= length && reported >= length;
}

export const udp = registerDissector({
  name: 'udp',
  display: 'User Datagram Protocol',
  decode(p, layer) {
    const b = p.bufferOf(layer);
    const o = p.start[layer];
    const avail = p.limit[layer] - o;
    if (avail < HEADER) {
      // Quoted in an ICMP error a cut header is expected, not damage: tshark flags only a snaplen
      // cut (its first read past the captured bytes lies within the frame).
      if (!p.isQuoted(layer)) p.markShort(layer, o + HEADER, 'UDP header shorter than 8 bytes');
      else if (p.limit[layer] >= b.length && b.length < p.reported[layer]) p.markShort(layer, b.length + 1, 'UDP header shorter than 8 bytes');
      p.end[layer] = p.limit[layer];
      if (!p.isQuoted(layer) && avail >= 4) p.transportLayer = layer;
      return STOP;
    }
    p.end[layer] = o + HEADER;
    if (!p.isQuoted(layer)) p.transportLayer = layer;
    const length = u16(b, o + 4);
    if (length < HEADER) {
      if (!p.isQuoted(layer)) p.markMalformed(layer, `Bad UDP length ${length} (less than 8)`);
      return STOP;
    }
    // Quoted in ICMP the datagram is cut on purpose, and a fragment holds only part of it:
    // then the length may exceed what is there (Wireshark checks against the reported length).
    const fragment = p.fragmentedBy >= 0 && p.fragmentedBy < layer;
    if (o + length > p.reported[layer]) {
      if (!p.isQuoted(layer) && !fragment) {
        p.expert(layer, 'error', 'malformed', 'udp.length.bad', `Bad length value ${length} > IP payload length`);
        p.markMalformed(layer, `UDP length ${length} exceeds the IP payload`);
      }
    } else {
      p.reported[layer] = o + length;
    }
    p.limit[layer] = Math.min(p.limit[layer], o + length);
    p.nextStart = o + HEADER;
    p.nextEnd = p.limit[layer];
    if (p.nextStart >= p.nextEnd) return STOP;
    const lo = Math.min(u16(b, o), u16(b, o + 2));
    const byPort = udpPorts.get(lo);
    const next = byPort !== STOP ? byPort : udpPorts.get(Math.max(u16(b, o), u16(b, o + 2)));
    if (next !== STOP) return next;
    if (p.transportOnly) return STOP;
    const guessed = tryHeuristics(udpHeuristics, p, layer, b, p.nextStart, Math.min(p.nextEnd, b.length));
    return guessed === STOP ? data.id : guessed;
  },
  summary(p, layer) {
    const b = p.bufferOf(layer);
    const o = p.start[layer];
    if (b.length < o + 4) return 'User Datagram Protocol';
    return `User Datagram Protocol, Src Port: ${u16(b, o)}, Dst Port: ${u16(b, o + 2)}`;
  },
  /*
   * Items in Wireshark 4.0's order (packet-udp.c), each only when its bytes were captured: both
   * ports are read before any item; a length below 8 ends the tree before the checksum.
   */
  tree(p, layer, s) {
    const b = p.bufferOf(layer);
    const o = p.start[layer];
    const f = udpFields;
    const cap = Math.min(b.length, p.limit[layer]);
    if (cap < o + 4) return;
    s.add(f.srcport, b, o, 2);
    tracerouteExpert(p, layer, u16(b, o), s);
    s.add(f.dstport, b, o + 2, 2);
    tracerouteExpert(p, layer, u16(b, o + 2), s);
    s.add(f.port, b, o, 2, undefined, HIDDEN);
    s.add(f.port, b, o + 2, 2, undefined, HIDDEN);
    if (cap < o + 6) return;
    s.add(f.length, b, o + 4, 2);
    const overIpv6 = layer > 0 && dissectorById(p.proto[layer - 1]).protocol.name === 'ipv6';
    // RFC 2675 jumbogram: length 0 over IPv6 means "the IPv6 payload length".
    const length = u16(b, o + 4) === 0 && overIpv6 ? p.reported[layer] - o : u16(b, o + 4);
    if (length < HEADER || cap < o + 8) return;
    const zero = u16(b, o + 6) === 0;
    const verify = !zero && udpPreferences.verifyChecksum && udpChecksumVerifiable(p, layer, length);
    // Unverified, packet-udp.c says why: `[zero-value ignored]` or `[unverified]`.
    const why = zero ? 'zero-value ignored' : 'unverified';
    s.add(f.checksum, b, o + 6, 2, undefined, 0, s.wantsLabels && !verify ? `Checksum: 0x${u16(b, o + 6).toString(16).padStart(4, '0')} [${why}]` : undefined);
    // A zero checksum is "not present" over IPv4 (and in ICMP quotes), "illegal" over IPv6 (RFC 8200 §8.1).
    if (u16(b, o + 6) === 0) {
      const illegal = overIpv6 && !p.isQuoted(layer);
      if (illegal) p.expert(layer, 'error', 'checksum', 'udp.checksum.zero', 'Illegal checksum value (0)');
      // proto_tree_add_checksum puts the status of a zero checksum under the checksum item.
      s.push();
      s.add(f['checksum.status'], b, o + 6, 0, illegal ? 4 : 3, GENERATED);
      s.pop();
    }
    else if (verify) {
      const c = verifyTransportChecksum(p, layer, 17, 6);
      if (c.calculated !== undefined) {
        s.push();
        s.add(f.checksum_calculated, b, o + 6, 2, c.calculated, GENERATED);
        s.pop();
      }
      s.add(f['checksum.status'], b, o + 6, 0, c.status, GENERATED);
      if (c.status === 0) p.expert(layer, 'error', 'checksum', 'udp.checksum.bad', `Bad checksum [should be 0x${c.calculated!.toString(16).padStart(4, '0')}]`);
    } else s.add(f['checksum.status'], b, o + 6, 0, 2, GENERATED);
    udpStreamHook.fn?.(p, layer, s);
    // "UDP payload (N bytes)": what is captured of the datagram's payload.
    const payloadEnd = Math.min(cap, o + length);
    if (payloadEnd > o + HEADER) {
      const n = payloadEnd - o - HEADER;
      s.add(f.payload, b, o + HEADER, n, undefined, 0, s.wantsLabels ? `UDP payload (${n} byte${n === 1 ? '' : 's'})` : undefined);
    }
  },
});

ipProtocols.add(17, udp);

// ---- Packet-list columns (Wireshark's Info text) ----
/** `sport → dport Len=N` as packet-udp.c writes it, with its bad-length remarks. */
udp.info = (p, layer, col) => {
  const b = p.bufferOf(layer);
  const o = p.start[layer];
  const cap = Math.min(b.length, p.limit[layer]);
  col.setProtocol('UDP');
  col.clear();
  if (cap < o + 4) return;
  col.append(`${u16(b, o)} \u2192 ${u16(b, o + 2)}`);
  if (cap < o + 6) return;
  const length = u16(b, o + 4);
  const overIpv6 = layer > 0 && dissectorById(p.proto[layer - 1]).protocol.name === 'ipv6';
  if (length === 0 && overIpv6) {
    // RFC 2675 jumbogram: the IPv6 payload length is the datagram's.
    col.append(` Len=${p.reported[layer] - o - HEADER}`);
    return;
  }
  if (length < HEADER) {
    col.append(` [BAD UDP LENGTH ${length} < ${HEADER}]`);
    col.quiet(layer);
    return;
  }
  const fragment = p.fragmentedBy >= 0 && p.fragmentedBy < layer;
  const ipPayload = layer > 0 && p.bufIndex[layer - 1] === p.bufIndex[layer] ? p.reported[layer - 1] - o : p.bufferOf(layer).length - o;
  if (length > ipPayload && !fragment) {
    col.append(` [BAD UDP LENGTH ${length} > IP PAYLOAD LENGTH]`);
    col.quiet(layer);
  }
  col.append(` Len=${length - HEADER}`);
};

/**
 * packet-udp.c's remark on ports 33435–33464, LBL traceroute's probes (base 32768 + 666, three
 * attempts a hop).
 */
function tracerouteExpert(p: Packet, layer: number, port: number, s: Sink): void {
  const n = port - 32768 - 666 - 1;
  if (n < 0 || n >= 30) return;
  const message = `Possible traceroute: hop #${Math.floor(n / 3) + 1}, attempt #${(n % 3) + 1}`;
  p.expert(layer, 'chat', 'sequence', 'udp.possible_traceroute', message);
  s.anchor?.(message);
}
