/** What IPv4 and IPv6 share: protocol numbers, checksum status names, option walking. */

/** IANA protocol numbers (the ones a troubleshooter meets). */
export const ipProtocolNames: Record<number, string> = {
  0: 'IPv6 Hop-by-Hop Option', 1: 'ICMP', 2: 'IGMP', 4: 'IPIP', 6: 'TCP', 8: 'EGP', 12: 'PUP', 17: 'UDP', 41: 'IPv6',
  43: 'Routing Header for IPv6', 44: 'Fragment Header for IPv6', 46: 'RSVP', 47: 'GRE', 48: 'Dynamic source routing',
  50: 'Encap Security Payload', 51: 'Authentication Header', 58: 'ICMPv6', 59: 'No Next Header for IPv6',
  60: 'Destination Options for IPv6', 88: 'EIGRP', 89: 'OSPF IGP', 103: 'PIM', 108: 'IPComp', 112: 'VRRP', 132: 'SCTP',
  135: 'Mobile IPv6', 136: 'UDPLite', 137: 'MPLS in IP', 139: 'HIP', 140: 'Shim6', 143: 'Ethernet',
};

/** Wireshark's checksum status values (`proto_checksum_enum_e`). */
export const checksumStatus: Record<number, string> = { 0: 'Bad', 1: 'Good', 2: 'Unverified', 3: 'Not present', 4: 'Illegal' };

/**
 * Walks type-length options (IPv4 options and TCP options share the layout: kinds 0 = end,
 * 1 = one-byte no-op, others kind+length). Stops at the end of the area or at a length that
 * is less than 2 or runs past it. Calls `each(kind, offset, length)`; returns where it stopped.
 */
export function options(b: Uint8Array, start: number, end: number, each: (kind: number, at: number, len: number) => void): number {
  let at = start;
  while (at < end) {
    const kind = b[at];
    if (kind === 0) {
      each(0, at, 1);
      return at + 1;
    }
    if (kind === 1) {
      each(1, at, 1);
      at++;
      continue;
    }
    if (at + 1 >= end) return at;
    const len = b[at + 1];
    if (len < 2 || at + len > end) return at;
    each(kind, at, len);
    at += len;
  }
  return at;
}

/** How a {@link walkOptions} walk ended. */
export const enum OptionWalk {
  /** The option area was walked to its end (or to an EOL that ends the walk). */
  Done,
  /** An option's length was bogus (below 2, or past the area): Wireshark stops without an item. */
  Bogus,
  /** A byte needed lay beyond the captured data: Wireshark stops there ("packet size limited"). */
  Truncated,
}

/**
 * Walks IPv4 or TCP options exactly as Wireshark's `dissect_ip_options` / `tcp_dissect_options`
 * do: `length` is the option area by the header length (it may run past the captured bytes,
 * which end at `capEnd`); EOL and NOP are one byte; any other kind needs a length byte of at
 * least 2 that stays within the area, else the walk stops (Bogus) before adding an item.
 * `stopAtEol`: IPv4 stops at EOL; TCP (Wireshark 4.0) shows the zero bytes that follow an
 * EOL as more EOLs and stops at the first non-zero one.
 * `each(kind, offset, length)` adds the option's items and returns false when one of them
 * needed bytes beyond `capEnd` (the walk then ends Truncated).
 */
export function walkOptions(
  b: Uint8Array, start: number, length: number, capEnd: number, stopAtEol: boolean,
  each: (kind: number, at: number, len: number) => boolean,
): OptionWalk {
  let at = start;
  let left = length;
  let afterEol = false;
  while (left > 0) {
    if (at >= capEnd) return OptionWalk.Truncated;
    const kind = b[at];
    if (afterEol && kind !== 0) break;
    left--;
    if (kind === 0 || kind === 1) {
      if (!each(kind, at, 1)) return OptionWalk.Truncated;
      at++;
    } else {
      if (left === 0) return OptionWalk.Bogus;
      if (at + 1 >= capEnd) return OptionWalk.Truncated;
      const len = b[at + 1];
      left--;
      if (len < 2 || len - 2 > left) return OptionWalk.Bogus;
      if (!each(kind, at, len)) return OptionWalk.Truncated;
      at += len;
      left -= len - 2;
    }
    if (kind === 0) {
      if (stopAtEol) break;
      afterEol = true;
    }
  }
  return OptionWalk.Done;
}

/** DSCP names (packet-ip.c's `dscp_vals`), for the codepoint item. */
export const dscpNames: Record<number, string> = {
  0: 'Default', 1: 'Lower Effort', 8: 'Class Selector 1', 10: 'Assured Forwarding 11', 12: 'Assured Forwarding 12',
  14: 'Assured Forwarding 13', 16: 'Class Selector 2', 18: 'Assured Forwarding 21', 20: 'Assured Forwarding 22',
  22: 'Assured Forwarding 23', 24: 'Class Selector 3', 26: 'Assured Forwarding 31', 28: 'Assured Forwarding 32',
  30: 'Assured Forwarding 33', 32: 'Class Selector 4', 34: 'Assured Forwarding 41', 36: 'Assured Forwarding 42',
  38: 'Assured Forwarding 43', 40: 'Class Selector 5', 46: 'Expedited Forwarding', 48: 'Class Selector 6', 56: 'Class Selector 7',
};

/** Short DSCP names (`dscp_short_vals`), for the DS field's summary. */
const dscpShortNames: Record<number, string> = {
  0: 'CS0', 1: 'LE', 8: 'CS1', 10: 'AF11', 12: 'AF12', 14: 'AF13', 16: 'CS2', 18: 'AF21', 20: 'AF22', 22: 'AF23', 24: 'CS3',
  26: 'AF31', 28: 'AF32', 30: 'AF33', 32: 'CS4', 34: 'AF41', 36: 'AF42', 38: 'AF43', 40: 'CS5', 46: 'EF PHB', 48: 'CS6', 56: 'CS7',
};

/** ECN codepoints (`ecn_vals`). */
export const ecnNames: Record<number, string> = {
  0: 'Not ECN-Capable Transport', 1: "ECN-Capable Transport codepoint '01'", 2: "ECN-Capable Transport codepoint '10'", 3: 'Congestion Experienced',
};

const ecnShortNames = ['Not-ECT', 'ECT(1)', 'ECT(0)', 'CE'];

/** `(DSCP: CS0, ECN: Not-ECT)`: what packet-ip.c / packet-ipv6.c append to the DS field / traffic class. */
export function dsfieldText(tos: number): string {
  return `(DSCP: ${dscpShortNames[tos >> 2] ?? 'Unknown'}, ECN: ${ecnShortNames[tos & 3]})`;
}
