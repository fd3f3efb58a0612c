/**
 * The frame pseudo-protocol: what the capture file says about a packet (number, times,
 * lengths, interface, comments), as Wireshark's `frame` tree.
 */
import { defineFields } from '../fields/field.js';
import { GENERATED, type AbsTime } from '../fields/value.js';
import { dissectorById, registerDissector, STOP } from './dissector.js';
import type { Packet } from './packet.js';

/**
 * Wiretap encapsulation types by pcap link type: Wireshark's `frame.encap_type` holds the
 * wiretap number (WTAP_ENCAP_*), not the link type, and names it (`Ethernet (1)`).
 */
const wtapByLinkType: Record<number, number> = {
  0: 15, 1: 1, 8: 3, 9: 4, 12: 7, 14: 7, 50: 4, 100: 10, 101: 7, 104: 28, 105: 20, 106: 11, 107: 26, 108: 15,
  113: 25, 123: 13, 127: 23, 129: 9, 137: 67, 149: 47, 160: 58, 178: 83, 195: 104, 226: 124, 228: 129, 229: 130,
  231: 146, 239: 141, 242: 180, 258: 171, 276: 210,
};

/** Names of the wiretap encapsulations (wtap.c's encap_table_base descriptions). */
const encapNames: Record<number, string> = {
  1: 'Ethernet', 3: 'SLIP', 4: 'PPP', 7: 'Raw IP', 9: 'Linux ARCNET', 10: 'RFC 1483 ATM', 11: 'Linux ATM CLIP',
  13: 'ATM PDUs', 15: 'NULL/Loopback', 20: 'IEEE 802.11 Wireless LAN', 23: 'IEEE 802.11 plus radiotap radio header',
  25: 'Linux cooked-mode capture v1', 26: 'Frame Relay', 28: 'Cisco HDLC', 47: 'USER 2', 58: 'USER 13',
  67: 'Juniper ATM1', 83: 'Juniper Ethernet', 104: 'IEEE 802.15.4 Wireless PAN', 124: 'Solaris IPNET',
  129: 'Raw IPv4', 130: 'Raw IPv6', 141: 'NFLOG', 146: 'D-Bus', 171: 'Apple PKTAP', 180: 'IP over IB',
  210: 'Linux cooked-mode capture v2',
};

export const frameFields = defineFields('frame', {
  section_number: { display: 'Section number', type: 'uint32', base: 'dec' },
  interface_id: { display: 'Interface id', type: 'uint32', base: 'dec' },
  interface_name: { display: 'Interface name', type: 'string' },
  interface_description: { display: 'Interface description', type: 'string' },
  comment: { display: 'Comment', type: 'string' },
  encap_type: { display: 'Encapsulation type', type: 'int16', base: 'dec', values: encapNames },
  time: { display: 'Arrival Time', type: 'abstime' },
  offset_shift: { display: 'Time shift for this packet', type: 'reltime', unit: 'seconds' },
  time_epoch: { display: 'Epoch Time', type: 'reltime', unit: 'seconds' },
  time_delta: { display: 'Time delta from previous captured frame', type: 'reltime', unit: 'seconds' },
  time_delta_displayed: { display: 'Time delta from previous displayed frame', type: 'reltime', unit: 'seconds' },
  time_relative: { display: 'Time since reference or first frame', type: 'reltime', unit: 'seconds' },
  number: { display: 'Frame Number', type: 'uint32', base: 'dec' },
  len: { display: 'Frame Length', type: 'uint32', base: 'dec', unit: 'bytes' },
  cap_len: { display: 'Capture Length', type: 'uint32', base: 'dec', unit: 'bytes' },
  marked: { display: 'Frame is marked', type: 'bool' },
  ignored: { display: 'Frame is ignored', type: 'bool' },
  protocols: { display: 'Protocols in frame', type: 'string' },
});

/**
 * a − b as whole seconds and nanoseconds of the same sign (exact, unlike a nanosecond count
 * beyond 2^53), the form `fieldText` prints for relative times: `-135656535.423512000`.
 */
export function timeDifference(aSec: number, aNsec: number, bSec: number, bNsec: number): AbsTime {
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

export const frame = registerDissector({
  name: 'frame',
  display: 'Frame',
  decode: () => STOP,
  summary(p) {
    const name = p.iface?.name ? ` on interface ${p.iface.name}, id ${p.iface.id}` : '';
    return `Frame ${p.number}: ${p.origLen} bytes on wire (${p.origLen * 8} bits), ${p.capLen} bytes captured (${p.capLen * 8} bits)${name}`;
  },
  tree(p, _layer, s) {
    const b = p.data;
    const f = frameFields;
    // tshark 4.0 shows an interface only for pcapng records (a pcap file has none), and numbers
    // it within its section (multi-section files restart at 0).
    if (p.iface && p.iface.section !== undefined) {
      // Sections are numbered from 1 in the tree.
      s.add(f.section_number, b, 0, 0, p.iface.section + 1);
      const id = p.iface.sectionInterfaceId ?? p.iface.id;
      s.add(f.interface_id, b, 0, 0, id, 0, s.wantsLabels && p.iface.name ? `Interface id: ${id} (${p.iface.name})` : undefined);
      s.push();
      if (p.iface.name) s.add(f.interface_name, b, 0, 0, p.iface.name);
      if (p.iface.description) s.add(f.interface_description, b, 0, 0, p.iface.description);
      s.pop();
    }
    for (const c of p.comments) s.add(f.comment, b, 0, 0, c);
    const wtap = wtapByLinkType[p.linkType];
    if (wtap !== undefined) s.add(f.encap_type, b, 0, 0, wtap);
    if (s.wants(f.time) || s.wants(f.time_epoch)) {
      const abs = { sec: p.tsSec, nsec: p.tsNsec };
      s.add(f.time, b, 0, 0, abs);
      // No time shift is ever applied here (editcap/Wireshark's Time Shift): always 0.
      s.add(f.offset_shift, b, 0, 0, 0, GENERATED);
      s.add(f.time_epoch, b, 0, 0, abs);
    }
    if (s.wants(f.time_delta) || s.wants(f.time_delta_displayed)) {
      const delta = timeDifference(p.tsSec, p.tsNsec, p.prevTsSec, p.prevTsNsec);
      s.add(f.time_delta, b, 0, 0, delta, GENERATED);
      s.add(f.time_delta_displayed, b, 0, 0, delta, GENERATED);
    }
    if (s.wants(f.time_relative)) s.add(f.time_relative, b, 0, 0, timeDifference(p.tsSec, p.tsNsec, p.firstTsSec, p.firstTsNsec), GENERATED);
    s.add(f.number, b, 0, 0, p.number);
    const L = s.wantsLabels;
    s.add(f.len, b, 0, 0, p.origLen, 0, L ? `Frame Length: ${p.origLen} bytes (${p.origLen * 8} bits)` : undefined);
    s.add(f.cap_len, b, 0, 0, p.capLen, 0, L ? `Capture Length: ${p.capLen} bytes (${p.capLen * 8} bits)` : undefined);
    s.add(f.marked, b, 0, 0, false, GENERATED);
    s.add(f.ignored, b, 0, 0, false, GENERATED);
    if (s.wants(f.protocols)) s.add(f.protocols, b, 0, 0, protocolsInFrame(p), GENERATED);
  },
});

/** Layers that hand their payload on through Wireshark's `ethertype` dissector. */
const ethertypeCarriers = new Set(['eth', 'vlan', 'ieee8021ad', 'sll']);

/**
 * `frame.protocols`: the layers' protocol names in order, as Wireshark strings them together —
 * `eth:ethertype:ip:tcp`, quoted packets of ICMP errors included (`ip:icmp:ip:udp`), one `tls`
 * however many records a segment carries, IPv6 extension headers by their own names, and
 * `_ws.malformed` at the end.
 */
export function protocolsInFrame(p: Packet): string {
  let text = '';
  for (let i = 1; i < p.layers; i++) {
    const name = dissectorById(p.proto[i]).protocol.name;
    // Wireshark's stream dissectors walk every PDU of a segment (or of a reassembled PDU) in
    // one call: one `tls`, `http`… per buffer, however many PDUs (and HTTP bodies) it holds.
    if (pduWalkers.has(name) && seenInBuffer(p, i)) continue;
    text += text ? `:${name}` : name;
    if (name === 'ipv6') text += ipv6ExtensionNames(p, i);
    if (ethertypeCarriers.has(name) && (i + 1 < p.layers ? dissectorById(p.proto[i + 1]).protocol.name !== 'llc' : carriesEthertype(p, i))) text += ':ethertype';
  }
  if (p.malformed !== null && !caughtByEthertype(p)) text += ':_ws.malformed';
  return text;
}

/**
 * Wireshark's ethertype dissector catches an exception of the payload it hands on (to show the
 * trailer after it): the malformed mark then does not reach the frame's protocol list.
 */
function caughtByEthertype(p: Packet): boolean {
  for (let i = 1; i < p.layers && i < p.problemLayer; i++) {
    if (ethertypeCarriers.has(dissectorById(p.proto[i]).protocol.name)) return true;
  }
  return false;
}

/**
 * A last layer that is an ethertype carrier still called the ethertype dissector when its
 * header was whole and holds a type (not an 802.3 length): an empty or unclaimed payload.
 */
function carriesEthertype(p: Packet, i: number): boolean {
  const b = p.bufferOf(i);
  const typeAt = p.end[i] - 2;
  return typeAt >= p.start[i] && p.end[i] <= b.length && ((b[typeAt] << 8) | b[typeAt + 1]) >= 0x0600;
}

/** Stream protocols whose PDUs of one buffer Wireshark dissects in one call (tcp_dissect_pdus, TLS, HTTP). */
const pduWalkers = new Set(['tls', 'http', 'dns', 'tns', 'mysql', 'pgsql', 'resp']);

/** True when layer `i`'s protocol already has a layer in the same buffer since the last change of buffer. */
function seenInBuffer(p: Packet, i: number): boolean {
  for (let j = i - 1; j > 0 && p.bufIndex[j] === p.bufIndex[i]; j--) if (p.proto[j] === p.proto[i]) return true;
  return false;
}

/** Wireshark dissects each IPv6 extension header as a protocol of its own. */
const ipv6ExtensionProtocols: Record<number, string> = { 0: 'ipv6.hopopts', 43: 'ipv6.routing', 44: 'ipv6.fraghdr', 60: 'ipv6.dstopts' };

function ipv6ExtensionNames(p: Packet, layer: number): string {
  const b = p.bufferOf(layer);
  const end = Math.min(b.length, p.limit[layer]);
  let at = p.start[layer] + 40;
  let next = b[p.start[layer] + 6];
  let text = '';
  for (let n = 0; n < 16 && ipv6ExtensionProtocols[next] !== undefined; n++) {
    text += `:${ipv6ExtensionProtocols[next]}`;
    if (at + 2 > end) break;
    const length = next === 44 ? 8 : (b[at + 1] + 1) * 8;
    next = b[at];
    at += length;
  }
  return text;
}
