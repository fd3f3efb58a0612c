/**
 * Packet-list columns of the web UI as Wireshark fills them: Protocol and Info written by the
 * dissectors' info hooks (src/decode/columns.ts, the same text as `_ws.col.Protocol` and
 * `_ws.col.Info`), Source/Destination from the outermost network layer that is not quoted
 * (MAC addresses when there is none), and the TCP analysis tags in front of the Info text.
 */
import { ipv4ToString, ipv6ToString, macToString, u32 } from '../decode/bytes.js';
import { packetColumns } from '../decode/columns.js';
import { dissectorById } from '../decode/dissector.js';
import type { Packet } from '../decode/packet.js';
import { tcpAnalysisText } from '../decode/tcp.js';

/** The tags of a frame's TCP analysis bits (`[TCP Retransmission] `…), empty when none: TCP's own Info tags. */
export const analysisText = (a: number): string => tcpAnalysisText(a);

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

/** The highest protocol of the frame by its layers (for frames no info hook named). */
function topProtocol(p: Packet): string {
  let top = p.layers - 1;
  while (top > 1 && (p.isQuoted(top) || protoName(p, top) === 'data' || protoName(p, top).includes('.'))) top--;
  if (top < 0) return '';
  const name = protoName(p, top);
  return display[name] ?? name.toUpperCase();
}

/** The last packet's columns: a row asks for Protocol and Info of the same decoded packet. */
const memo = { packet: null as Packet | null, data: null as Uint8Array | null, number: -1, protocol: '', info: '' };

function columnsOf(p: Packet): typeof memo {
  if (memo.packet !== p || memo.data !== p.data || memo.number !== p.number) {
    const c = packetColumns(p);
    memo.packet = p;
    memo.data = p.data;
    memo.number = p.number;
    memo.protocol = c.protocol || topProtocol(p);
    memo.info = c.info;
  }
  return memo;
}

/** Wireshark's Protocol column (`TCP`, `TLSv1.3`, `HTTP/JSON`…), as `_ws.col.Protocol`. */
export function protocolColumn(p: Packet): string {
  return columnsOf(p).protocol;
}

/**
 * Wireshark's Info column, as `_ws.col.Info`. A frame decoded out of order (a page of the
 * packet list) has no flow-engine note: its analysis bits from the frame index `analysis` are
 * put in front as TCP puts them, and TCP shows raw sequence numbers.
 */
export function infoColumn(p: Packet, analysis = 0): string {
  const info = columnsOf(p).info;
  return p.flow === null && analysis ? tcpAnalysisText(analysis) + info : info;
}
