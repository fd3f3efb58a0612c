/**
 * Wireshark's default colouring rules (its `colorfilters` file, 4.0), first match wins. Each rule
 * is compiled with wiresage's display-filter engine; terms naming protocols wiresage does not
 * dissect (HSRP, STP, SCTP, SMB, DCERPC…) can never match, so they are dropped from their rule
 * (and a rule left without terms is dropped) rather than failing the whole list.
 *
 * "Bad TCP" reads TCP analysis flags, which need the state of the whole connection: the web
 * index keeps each frame's analysis bits, and the rule is decided from those bits, exactly as
 * its expression says (`tcp.analysis.flags && !tcp.analysis.window_update &&
 * !tcp.analysis.keep_alive && !tcp.analysis.keep_alive_ack`).
 */
import type { Packet } from '../decode/packet.js';
import { lookupField } from '../fields/field.js';
import { compileFilter, type CompiledFilter } from '../filter/index.js';
import { A_KEEP_ALIVE, A_KEEP_ALIVE_ACK, A_WINDOW_UPDATE } from '../flows/tcp-analysis.js';

export interface RowColor {
  name: string;
  /** CSS colours `#rrggbb`. */
  bg: string;
  fg: string;
}

/** [name, filter, background, foreground] in Wireshark's 16-bit-per-channel values. */
type Rule = [string, string, [number, number, number], [number, number, number]];

const DARK: [number, number, number] = [4718, 10030, 11796];

/** Wireshark 4.0 default `colorfilters`, in order. */
const defaults: Rule[] = [
  ['Bad TCP', 'tcp.analysis.flags && !tcp.analysis.window_update && !tcp.analysis.keep_alive && !tcp.analysis.keep_alive_ack', DARK, [63479, 34695, 34695]],
  ['HSRP State Change', 'hsrp.state != 8 && hsrp.state != 16', DARK, [65535, 64764, 40092]],
  ['Spanning Tree Topology  Change', 'stp.type == 0x80', DARK, [65535, 64764, 40092]],
  ['OSPF State Change', 'ospf.msg != 1', DARK, [65535, 64764, 40092]],
  ['ICMP errors', 'icmp.type in { 3..5, 11 } || icmpv6.type in { 1..4 }', DARK, [47031, 63479, 29812]],
  ['ARP', 'arp', [64250, 61680, 55255], DARK],
  ['ICMP', 'icmp || icmpv6', [64764, 57568, 65535], DARK],
  ['TCP RST', 'tcp.flags.reset eq 1', [42148, 0, 0], [65535, 64764, 40092]],
  ['SCTP ABORT', 'sctp.chunk_type eq ABORT', [42148, 0, 0], [65535, 64764, 40092]],
  ['TTL low or unexpected', '(ip.dst != 224.0.0.0/4 && ip.ttl < 5 && !pim && !ospf) || (ip.dst == 224.0.0.0/24 && ip.dst != 224.0.0.251 && ip.ttl != 1 && !(vrrp || carp))', [42148, 0, 0], [60652, 61680, 60395]],
  ['Checksum Errors', 'eth.fcs.status=="Bad" || ip.checksum.status=="Bad" || tcp.checksum.status=="Bad" || udp.checksum.status=="Bad" || sctp.checksum.status=="Bad" || mstp.checksum.status=="Bad" || cdp.checksum.status=="Bad" || edp.checksum.status=="Bad" || wlan.fcs.status=="Bad" || stt.checksum.status=="Bad"', DARK, [63479, 34695, 34695]],
  ['SMB', 'smb || nbss || nbns || netbios', [65278, 65535, 53456], DARK],
  ['HTTP', 'http || tcp.port == 80 || http2', [58596, 65535, 51143], DARK],
  ['DCERPC', 'dcerpc', [51199, 38706, 65533], DARK],
  ['Routing', 'hsrp || eigrp || ospf || bgp || cdp || vrrp || carp || gvrp || igmp || ismp', [65534, 62325, 54808], DARK],
  ['TCP SYN/FIN', 'tcp.flags & 0x02 || tcp.flags.fin == 1', [41026, 41026, 41026], DARK],
  ['TCP', 'tcp', [59345, 58980, 65535], DARK],
  ['UDP', 'udp', [56026, 61166, 65535], DARK],
  ['Broadcast', 'eth[0] & 1', [65535, 65535, 65535], [47802, 48573, 46774]],
  ['System Event', 'systemd_journal || sysdig', [59110, 59110, 59110], [11565, 28527, 39578]],
];

const css = (c: [number, number, number]) => '#' + c.map((v) => (v >> 8).toString(16).padStart(2, '0')).join('');

/** Splits `a || b || c` at top-level `||` (outside parentheses and braces). */
function orTerms(text: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '(' || c === '{') depth++;
    else if (c === ')' || c === '}') depth--;
    else if (depth === 0 && c === '|' && text[i + 1] === '|') {
      out.push(text.slice(start, i).trim());
      start = i + 2;
      i++;
    }
  }
  out.push(text.slice(start).trim());
  return out;
}

const keywords = new Set(['eq', 'ne', 'gt', 'lt', 'ge', 'le', 'in', 'and', 'or', 'not', 'xor', 'contains', 'matches', 'Bad', 'ABORT']);

/** True when every field-like word of a term (outside strings) is in the registry. */
function namesKnownFields(term: string): boolean {
  const words = term.replace(/"[^"]*"/g, '').match(/\b[A-Za-z_][\w-]*(\.[\w-]+)*/g) ?? [];
  return words.every((w) => keywords.has(w) || lookupField(w) !== undefined);
}

/**
 * `&& !pim`, `&& !(vrrp || carp)`: a protocol wiresage does not dissect is never present, so
 * its negation is always true and the conjunct can go.
 */
function withoutUnknownNegations(text: string): string {
  return text.replace(/\s*&&\s*!\s*(\(\s*[\w.]+(?:\s*\|\|\s*[\w.]+)*\s*\)|[\w.]+)/g, (m, what: string) => {
    const names = what.replace(/[()]/g, '').split('||').map((w) => w.trim());
    return names.every((n) => lookupField(n) === undefined) ? '' : m;
  });
}

function compileOrNull(text: string): CompiledFilter | null {
  try {
    return compileFilter(text);
  } catch {
    return null;
  }
}

/** A rule as the UI uses it: its colours and, except for Bad TCP, its compiled filter. */
export interface ColorRule extends RowColor {
  /** The filter wiresage evaluates (the original minus terms for protocols it does not dissect). */
  filter: string;
  compiled: CompiledFilter | null;
}

let rules: ColorRule[] | undefined;

/** The rules wiresage can evaluate, in Wireshark's order. */
export function colorRules(): ColorRule[] {
  if (rules) return rules;
  rules = [];
  for (const [name, text, bg, fg] of defaults) {
    const color = { name, bg: css(bg), fg: css(fg) };
    if (name === 'Bad TCP') {
      rules.push({ ...color, filter: text, compiled: null });
      continue;
    }
    // Terms naming unknown fields are dropped before compiling (a failed compile looks for
    // "did you mean" suggestions across the whole registry: slow at start-up).
    const kept = orTerms(withoutUnknownNegations(text)).filter(namesKnownFields);
    if (!kept.length) continue;
    const filter = kept.join(' || ');
    const compiled = compileOrNull(filter);
    if (!compiled) continue;
    rules.push({ ...color, filter, compiled });
  }
  return rules;
}

const NOT_BAD = A_WINDOW_UPDATE | A_KEEP_ALIVE | A_KEEP_ALIVE_ACK;

/** True when "Bad TCP" matches a frame with these TCP analysis bits (0: no analysis flags). */
export function isBadTcp(analysis: number): boolean {
  return analysis !== 0 && (analysis & NOT_BAD) === 0;
}

/** The colour of a decoded packet whose TCP analysis bits are `analysis`; null when no rule matches. */
export function rowColor(p: Packet, analysis: number): RowColor | null {
  for (const r of colorRules()) {
    const hit = r.compiled ? safeMatch(r.compiled, p) : isBadTcp(analysis);
    if (hit) return { name: r.name, bg: r.bg, fg: r.fg };
  }
  return null;
}

function safeMatch(f: CompiledFilter, p: Packet): boolean {
  try {
    return f.matches(p);
  } catch {
    return false;
  }
}
