/**
 * Packet-list columns of the web UI as Wireshark fills them: Source/Destination from the
 * outermost network layer that is not quoted (MAC addresses when there is none), Protocol
 * from the highest layer, and the TCP analysis tags Wireshark puts in front of the Info text.
 */
import { ipv4ToString, ipv6ToString, macToString, u32 } from '../decode/bytes.js';
import { dissectorById } from '../decode/dissector.js';
import type { Packet } from '../decode/packet.js';
import {
  A_ACK_LOST_PACKET, A_DUPLICATE_ACK, A_FAST_RETRANSMISSION, A_KEEP_ALIVE, A_KEEP_ALIVE_ACK, A_LOST_PACKET, A_OUT_OF_ORDER,
  A_RETRANSMISSION, A_REUSED_PORTS, A_SPURIOUS_RETRANSMISSION, A_WINDOW_FULL, A_WINDOW_UPDATE, A_ZERO_WINDOW, A_ZERO_WINDOW_PROBE,
  A_ZERO_WINDOW_PROBE_ACK,
} from '../flows/tcp-analysis.js';

/** Wireshark's Info prefixes, in the order packet-tcp.c adds them. */
const tags: Array<[number, string]> = [
  [A_REUSED_PORTS, 'TCP Port numbers reused'],
  [A_LOST_PACKET, 'TCP Previous segment not captured'],
  [A_ACK_LOST_PACKET, 'TCP ACKed unseen segment'],
  [A_KEEP_ALIVE, 'TCP Keep-Alive'],
  [A_DUPLICATE_ACK, 'TCP Dup ACK'],
  [A_ZERO_WINDOW, 'TCP ZeroWindow'],
  [A_ZERO_WINDOW_PROBE, 'TCP ZeroWindowProbe'],
  [A_ZERO_WINDOW_PROBE_ACK, 'TCP ZeroWindowProbeAck'],
  [A_KEEP_ALIVE_ACK, 'TCP Keep-Alive ACK'],
  [A_SPURIOUS_RETRANSMISSION, 'TCP Spurious Retransmission'],
  [A_FAST_RETRANSMISSION, 'TCP Fast Retransmission'],
  [A_OUT_OF_ORDER, 'TCP Out-Of-Order'],
  [A_WINDOW_UPDATE, 'TCP Window Update'],
  [A_WINDOW_FULL, 'TCP Window Full'],
];

/** The tags of a frame's TCP analysis bits (`[TCP Retransmission] `…), empty when none. */
export function analysisText(a: number): string {
  if (!a) return '';
  let s = '';
  for (const [bit, text] of tags) if (a & bit) s += `[${text}] `;
  // A plain retransmission is tagged only when no more specific kind is.
  if (a & A_RETRANSMISSION && !(a & (A_FAST_RETRANSMISSION | A_SPURIOUS_RETRANSMISSION))) s = `[TCP Retransmission] ${s}`;
  return s;
}

/** The names of a frame's TCP analysis bits (for JSON consumers). */
export function analysisNames(a: number): string[] {
  return analysisText(a).split('] ').filter(Boolean).map((t) => t.replace(/^\[/, ''));
}

function protoName(p: Packet, layer: number): string {
  return dissectorById(p.proto[layer]).protocol.name;
}

/** Source and destination addresses of the outermost unquoted network layer (IP, IPv6, ARP, else MAC). */
export function addressColumns(p: Packet): { src: string; dst: string } {
  let mac: { src: string; dst: string } | null = null;
  for (let i = 1; i < p.layers; i++) {
    if (p.isQuoted(i)) continue;
    const name = protoName(p, i);
    const b = p.bufferOf(i);
    const o = p.start[i];
    if (name === 'ip' && b.length >= o + 20) return { src: ipv4ToString(u32(b, o + 12)), dst: ipv4ToString(u32(b, o + 16)) };
    if (name === 'ipv6' && b.length >= o + 40) return { src: ipv6ToString(b, o + 8), dst: ipv6ToString(b, o + 24) };
    if (name === 'eth' && b.length >= o + 14 && !mac) {
      const dst = macToString(b, o);
      mac = { src: macToString(b, o + 6), dst: dst === 'ff:ff:ff:ff:ff:ff' ? 'Broadcast' : dst };
    }
  }
  return mac ?? { src: '', dst: '' };
}

const display: Record<string, string> = {
  eth: 'Ethernet', ip: 'IPv4', ipv6: 'IPv6', tcp: 'TCP', udp: 'UDP', arp: 'ARP', icmp: 'ICMP', icmpv6: 'ICMPv6', dns: 'DNS',
  http: 'HTTP', tls: 'TLS', tns: 'TNS', mysql: 'MySQL', pgsql: 'PGSQL', resp: 'RESP', vlan: 'VLAN', sll: 'SLL', data: 'Data',
};

/** Wireshark's Protocol column: the highest protocol of the frame (not the payload `data`). */
export function protocolColumn(p: Packet): string {
  let top = p.layers - 1;
  while (top > 1 && (p.isQuoted(top) || protoName(p, top) === 'data' || protoName(p, top).includes('.'))) top--;
  const name = protoName(p, top);
  return display[name] ?? name.toUpperCase();
}
