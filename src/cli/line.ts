/**
 * The one-line packet summary of `wiresage read`, in tcpdump's style (`-n`: numeric):
 *   IP 10.0.0.1.51234 > 10.0.0.2.443: Flags [S], seq 1234, win 64240, options [mss 1460,nop,wscale 7], length 0
 * The line is built from the decoded layers; each network/transport protocol has a small
 * formatter here, and anything not known falls back to the protocol name and length.
 */
import { ipv4ToString, ipv6ToString, macToString, u16, u32 } from '../decode/bytes.js';
import { dissectorById } from '../decode/dissector.js';
import { options as walkOptions } from '../decode/ip-common.js';
import type { Packet } from '../decode/packet.js';
import { segmentLength } from '../decode/tcp.js';

/** Timestamp styles of tcpdump's -t options (0 = default, 1 = -t, 2 = -tt …). */
export type TimeStyle = 0 | 1 | 2 | 3 | 4 | 5;

const two = (n: number) => String(n).padStart(2, '0');

function fraction(nsec: number, nano: boolean): string {
  return nano ? String(nsec).padStart(9, '0') : String(Math.floor(nsec / 1000)).padStart(6, '0');
}

/** Text of the timestamp column for a style; `relNs`/`deltaNs` serve -ttt and -ttttt. */
export function timeText(p: Packet, style: TimeStyle, nano: boolean): string {
  switch (style) {
    case 1:
      return '';
    case 2:
      return `${p.tsSec}.${fraction(p.tsNsec, nano)}`;
    case 3:
      return durationText(p.deltaNs, nano);
    case 5:
      return durationText(p.relativeNs, nano);
    case 4: {
      const d = new Date(p.tsSec * 1000);
      return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}.${fraction(p.tsNsec, nano)}`;
    }
    default: {
      const d = new Date(p.tsSec * 1000);
      return `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}.${fraction(p.tsNsec, nano)}`;
    }
  }
}

/** tcpdump's -ttt/-ttttt form: a sign column (space or '-') then HH:MM:SS.frac. */
function durationText(ns: number, nano: boolean): string {
  const neg = ns < 0 ? '-' : ' ';
  const a = Math.abs(ns);
  const totalSec = Math.floor(a / 1e9);
  const nsec = a - totalSec * 1e9;
  const h = Math.floor(totalSec / 3600);
  const m = Math.floor((totalSec % 3600) / 60);
  const s = totalSec % 60;
  return `${neg}${two(h)}:${two(m)}:${two(s)}.${fraction(nsec, nano)}`;
}

function name(p: Packet, layer: number): string {
  return dissectorById(p.proto[layer]).protocol.name;
}

/** tcpdump's letters for TCP flags: S F R P U E W and `.` for ACK. */
function tcpFlagLetters(flags: number): string {
  let s = '';
  if (flags & 0x02) s += 'S';
  if (flags & 0x01) s += 'F';
  if (flags & 0x04) s += 'R';
  if (flags & 0x08) s += 'P';
  if (flags & 0x20) s += 'U';
  if (flags & 0x40) s += 'E';
  if (flags & 0x80) s += 'W';
  if (flags & 0x10) s += '.';
  return s || 'none';
}

function tcpOptionsText(b: Uint8Array, start: number, end: number): string {
  const parts: string[] = [];
  walkOptions(b, start, end, (kind, at, len) => {
    switch (kind) {
      case 0: parts.push('eol'); break;
      case 1: parts.push('nop'); break;
      case 2: parts.push(len === 4 ? `mss ${u16(b, at + 2)}` : 'mss'); break;
      case 3: parts.push(len === 3 ? `wscale ${b[at + 2]}` : 'wscale'); break;
      case 4: parts.push('sackOK'); break;
      case 5: {
        const edges: string[] = [];
        for (let i = at + 2; i + 8 <= at + len; i += 8) edges.push(`{${u32(b, i)}:${u32(b, i + 4)}}`);
        parts.push(`sack ${edges.length} ${edges.join('')}`);
        break;
      }
      case 8: parts.push(len === 10 ? `TS val ${u32(b, at + 2)} ecr ${u32(b, at + 6)}` : 'TS'); break;
      default: parts.push(`unknown-${kind}`);
    }
  });
  return parts.join(',');
}

function transportText(p: Packet, t: number, src: string, dst: string): string {
  const b = p.bufferOf(t);
  const o = p.start[t];
  const proto = name(p, t);
  if (proto === 'tcp') {
    if (b.length < o + 4) return `${src} > ${dst}: tcp (truncated)`;
    const head = `${src}.${u16(b, o)} > ${dst}.${u16(b, o + 2)}`;
    if (b.length < o + 20 || p.end[t] - o < 20) return `${head}: tcp ${p.limit[t] - o} [|tcp]`;
    const flags = b[o + 13];
    const seq = u32(b, o + 4);
    const len = segmentLength(p, t);
    let s = `${head}: Flags [${tcpFlagLetters(flags)}]`;
    if (len > 0 || flags & 0x03) s += len > 0 ? `, seq ${seq}:${(seq + len) >>> 0}` : `, seq ${seq}`;
    if (flags & 0x10) s += `, ack ${u32(b, o + 8)}`;
    s += `, win ${u16(b, o + 14)}`;
    if (flags & 0x20) s += `, urg ${u16(b, o + 18)}`;
    const hl = (b[o + 12] >> 4) * 4;
    if (hl > 20) s += `, options [${tcpOptionsText(b, o + 20, Math.min(o + hl, b.length))}]`;
    return `${s}, length ${len}`;
  }
  if (proto === 'udp') {
    if (b.length < o + 4) return `${src} > ${dst}: udp (truncated)`;
    const len = b.length >= o + 6 ? u16(b, o + 4) - 8 : p.limit[t] - o - 8;
    return `${src}.${u16(b, o)} > ${dst}.${u16(b, o + 2)}: UDP, length ${len}`;
  }
  return `${src} > ${dst}: ${proto}`;
}

const icmpTypes: Record<number, string> = { 0: 'echo reply', 3: 'unreachable', 4: 'source quench', 5: 'redirect', 8: 'echo request', 11: 'time exceeded in-transit', 12: 'parameter problem', 13: 'time stamp request', 14: 'time stamp reply' };
const unreachCodes: Record<number, string> = { 0: 'net', 1: 'host', 2: 'protocol', 3: 'port', 4: 'need to frag', 9: 'net prohibited', 10: 'host prohibited', 13: 'admin prohibited' };

function icmpText(p: Packet, i: number, src: string, dst: string): string {
  const b = p.bufferOf(i);
  const o = p.start[i];
  if (b.length < o + 2) return `${src} > ${dst}: ICMP (truncated)`;
  const type = b[o];
  const code = b[o + 1];
  const len = p.limit[i] - o;
  if ((type === 0 || type === 8) && b.length >= o + 8) return `${src} > ${dst}: ICMP ${icmpTypes[type]}, id ${u16(b, o + 4)}, seq ${u16(b, o + 6)}, length ${len}`;
  if (type === 3) {
    let what = unreachCodes[code] ?? `code ${code}`;
    // Quote the offending packet's addresses and port when present.
    const inner = i + 1 < p.layers && p.parent[i + 1] === i ? i + 1 : -1;
    if (inner >= 0 && name(p, inner) === 'ip') {
      const ib = p.bufferOf(inner);
      const io = p.start[inner];
      const dstIp = ib.length >= io + 20 ? ipv4ToString(u32(ib, io + 16)) : '?';
      const t = inner + 1 < p.layers ? inner + 1 : -1;
      if (code === 3 && t >= 0 && (name(p, t) === 'udp' || name(p, t) === 'tcp') && p.bufferOf(t).length >= p.start[t] + 4) {
        const tb = p.bufferOf(t);
        return `${src} > ${dst}: ICMP ${dstIp} ${name(p, t)} port ${u16(tb, p.start[t] + 2)} unreachable, length ${len}`;
      }
      if (code === 4 && b.length >= o + 8) return `${src} > ${dst}: ICMP ${dstIp} unreachable - need to frag (mtu ${u16(b, o + 6)}), length ${len}`;
      what = `${dstIp} ${what}`;
    }
    return `${src} > ${dst}: ICMP ${what} unreachable, length ${len}`;
  }
  return `${src} > ${dst}: ICMP ${icmpTypes[type] ?? `type-#${type}`}, length ${len}`;
}

/** The summary line of a decoded packet (without the timestamp). */
export function packetLine(p: Packet): string {
  let s = '';
  // Find the outermost network layer that is not quoted (tunnels show the inner one after).
  for (let i = 1; i < p.layers; i++) {
    if (p.isQuoted(i)) continue;
    const proto = name(p, i);
    const b = p.bufferOf(i);
    const o = p.start[i];
    if (proto === 'ip' && b.length >= o + 20) {
      const src = ipv4ToString(u32(b, o + 12));
      const dst = ipv4ToString(u32(b, o + 16));
      const next = i + 1 < p.layers ? i + 1 : -1;
      const nextName = next >= 0 ? name(p, next) : '';
      if (nextName === 'ip' || nextName === 'ipv6') continue; // tunnel: describe the inner packet
      const frag = u16(b, o + 6);
      const fragText = frag & 0x3fff ? ` (frag ${u16(b, o + 4)}:${p.limit[i] - p.end[i]}@${(frag & 0x1fff) * 8}${frag & 0x2000 ? '+' : ''})` : '';
      let body: string;
      if (nextName === 'tcp' || nextName === 'udp') body = transportText(p, next, src, dst);
      else if (nextName === 'icmp') body = icmpText(p, next, src, dst);
      else body = `${src} > ${dst}: ${nextName === 'data' || !nextName ? `ip-proto-${b[o + 9]}` : nextName} ${p.limit[i] - p.end[i]}`;
      return `${s}IP ${body}${fragText}`;
    }
    if (proto === 'ipv6' && b.length >= o + 40) {
      const src = ipv6ToString(b, o + 8);
      const dst = ipv6ToString(b, o + 24);
      let next = i + 1;
      while (next < p.layers && name(p, next).startsWith('ipv6.')) next++;
      const nextName = next < p.layers ? name(p, next) : '';
      if (nextName === 'ip' || nextName === 'ipv6') continue;
      if (nextName === 'tcp' || nextName === 'udp') return `${s}IP6 ${transportText(p, next, src, dst)}`;
      if (nextName === 'icmpv6') {
        const ib = p.bufferOf(next);
        return `${s}IP6 ${src} > ${dst}: ICMP6, type ${ib.length > p.start[next] ? ib[p.start[next]] : '?'}, length ${p.limit[next] - p.start[next]}`;
      }
      return `${s}IP6 ${src} > ${dst}: ${nextName || 'ip6'} ${p.limit[i] - p.end[i]}`;
    }
    if (proto === 'arp' && b.length >= o + 28 && u16(b, o + 2) === 0x0800) {
      const op = u16(b, o + 6);
      const spa = ipv4ToString(u32(b, o + 14));
      const tpa = ipv4ToString(u32(b, o + 24));
      if (op === 1) return `${s}ARP, Request who-has ${tpa} tell ${spa}, length ${p.limit[i] - o}`;
      if (op === 2) return `${s}ARP, Reply ${spa} is-at ${macToString(b, o + 8)}, length ${p.limit[i] - o}`;
      return `${s}ARP, op ${op}, length ${p.limit[i] - o}`;
    }
    if (proto === 'vlan' && b.length >= o + 2) {
      s += `vlan ${u16(b, o) & 0xfff}, `;
    }
  }
  const last = p.layers > 1 ? name(p, p.layers - 1) : 'frame';
  const link = p.layers > 1 ? name(p, 1) : 'frame';
  if (link === 'eth' && p.data.length >= 14) {
    const type = u16(p.data, 12);
    return `${s}${type < 0x600 ? `802.3, length ${type}` : `ethertype 0x${type.toString(16).padStart(4, '0')}`}: ${last}, length ${p.origLen}`;
  }
  return `${s}${last}, length ${p.origLen}`;
}

/** The line `read` prints after the timestamp: the summary plus the damage mark (also the web UI's Info). */
export function packetSummary(p: Packet): string {
  const line = packetLine(p);
  if (p.malformed !== null) return `${line} [Malformed Packet: ${p.malformed}]`;
  return p.truncated ? `${line} [|truncated]` : line;
}
