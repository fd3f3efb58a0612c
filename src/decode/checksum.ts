/**
 * Transport checksums over the IP pseudo-header (RFC 9293 §3.1, RFC 768, RFC 8200 §8.1).
 * Verification is off by default as in Wireshark: captured outgoing packets normally carry
 * offloaded (not yet computed) checksums.
 */
import { onesComplementSum, u16 } from './bytes.js';
import { dissectorByName } from './dissector.js';
import { pseudoHeaderDestination } from './ipv6.js';
import type { Packet } from './packet.js';

export interface ChecksumResult {
  /** Wireshark's status: 0 bad, 1 good, 2 unverified (cannot be computed here). */
  status: 0 | 1 | 2;
  /** The value the field should hold, when computed. */
  calculated?: number;
}

let ipId = -2;
let ipv6Id = -2;

/** Finds the IP layer that carries `layer` (the nearest IPv4/IPv6 layer below it). */
function carrier(p: Packet, layer: number): number {
  if (ipId === -2) {
    ipId = dissectorByName('ip')?.id ?? -1;
    ipv6Id = dissectorByName('ipv6')?.id ?? -1;
  }
  for (let i = layer - 1; i > 0; i--) {
    if (p.proto[i] === ipId || p.proto[i] === ipv6Id) return i;
  }
  return -1;
}

/**
 * Checks the checksum at `checksumOffset` of the transport segment `layer` (protocol number
 * `proto`). Unverified when the segment is not wholly captured or no IP layer carries it.
 */
export function verifyTransportChecksum(p: Packet, layer: number, proto: number, checksumOffset: number): ChecksumResult {
  const b = p.bufferOf(layer);
  const start = p.start[layer];
  const length = p.limit[layer] - start;
  const net = carrier(p, layer);
  if (net < 0 || start + length > b.length || length <= 0) return { status: 2 };
  const nb = p.bufferOf(net);
  const no = p.start[net];
  let sum: number;
  if (p.proto[net] === ipId) {
    if (nb.length < no + 20) return { status: 2 };
    sum = onesComplementSum(nb, no + 12, 8) + proto + length;
  } else {
    if (nb.length < no + 40) return { status: 2 };
    // RFC 8200 §8.1: the destination is the final one when a routing header names it.
    const dst = pseudoHeaderDestination[net] > 0 ? pseudoHeaderDestination[net] : no + 24;
    if (dst + 16 > nb.length) return { status: 2 };
    sum = onesComplementSum(nb, no + 8, 16) + onesComplementSum(nb, dst, 16) + proto + (length >>> 16) + (length & 0xffff);
  }
  const stored = u16(b, start + checksumOffset);
  const total = onesComplementSum(b, start, length, sum);
  if (total === 0xffff) return { status: 1, calculated: stored };
  // The value that would make the sum come out right: the sum without the stored field.
  const without = onesComplementSum(b, start, checksumOffset, sum);
  const rest = onesComplementSum(b, start + checksumOffset + 2, length - checksumOffset - 2, without);
  return { status: 0, calculated: ~rest & 0xffff };
}
