/**
 * TCP header (RFC 9293) and options (MSS, window scale, SACK-permitted, SACK, timestamps;
 * unknown options kept as kind/length/bytes). Connection state (relative sequence numbers,
 * streams, analysis flags) is not decoded here: the flow engine fills it in through
 * `tcpAnalysisHook`, so this file stays a pure header dissector.
 */
import { defineField, defineFields, lookupField, type FieldDef } from '../fields/field.js';
import { anchorExperts, type Sink } from '../fields/sink.js';
import { GENERATED, HIDDEN } from '../fields/value.js';
import { u16, u32 } from './bytes.js';
import { dissectorById, ipProtocols, registerDissector, STOP, tcpHeuristics, tcpPorts, tryHeuristics } from './dissector.js';
import { verifyTransportChecksum } from './checksum.js';
import { data } from './data.js';
import { checksumStatus, walkOptions } from './ip-common.js';
import type { Packet } from './packet.js';

const field = { srcPort: 0, dstPort: 2, seq: 4, ack: 8, offsetFlags: 12, window: 14, checksum: 16, urgent: 18 } as const;
const MIN_HEADER = 20;

const flagBit = (display: string, mask: number) => ({ display, type: 'bool' as const, mask, bits: 12, trueFalse: ['Set', 'Not set'] as const });

export const tcpFields = defineFields('tcp', {
  srcport: { display: 'Source Port', type: 'uint16', base: 'dec' },
  dstport: { display: 'Destination Port', type: 'uint16', base: 'dec' },
  port: { display: 'Source or Destination Port', type: 'uint16', base: 'dec' },
  len: { display: 'TCP Segment Len', type: 'uint32', base: 'dec' },
  seq_raw: { display: 'Sequence Number (raw)', type: 'uint32', base: 'dec' },
  ack_raw: { display: 'Acknowledgment number (raw)', type: 'uint32', base: 'dec' },
  hdr_len: { display: 'Header Length', type: 'uint8', base: 'dec', unit: 'bytes' },
  flags: { display: 'Flags', type: 'uint16', base: 'hex', mask: 0x0fff },
  'flags.res': { display: 'Reserved', type: 'bool', mask: 0xe00, bits: 12, trueFalse: ['Set', 'Not set'] },
  'flags.ae': flagBit('Accurate ECN', 0x100),
  'flags.cwr': flagBit('Congestion Window Reduced', 0x80),
  'flags.ece': flagBit('ECN-Echo', 0x40),
  'flags.urg': flagBit('Urgent', 0x20),
  'flags.ack': flagBit('Acknowledgment', 0x10),
  'flags.push': flagBit('Push', 0x08),
  'flags.reset': flagBit('Reset', 0x04),
  'flags.syn': flagBit('Syn', 0x02),
  'flags.fin': flagBit('Fin', 0x01),
  'flags.str': { display: 'TCP Flags', type: 'string' },
  window_size_value: { display: 'Window', type: 'uint16', base: 'dec' },
  checksum: { display: 'Checksum', type: 'uint16', base: 'hex' },
  'checksum.status': { display: 'Checksum Status', type: 'uint8', base: 'none', values: checksumStatus },
  checksum_calculated: { display: 'Calculated Checksum', type: 'uint16', base: 'hex' },
  urgent_pointer: { display: 'Urgent Pointer', type: 'uint16', base: 'dec' },
  options: { display: 'TCP Options', type: 'bytes' },
  option_kind: { display: 'Kind', type: 'uint8', base: 'dec' },
  option_len: { display: 'Length', type: 'uint8', base: 'dec' },
  'options.mss_val': { display: 'MSS Value', type: 'uint16', base: 'dec' },
  'options.wscale.shift': { display: 'Shift count', type: 'uint8', base: 'dec' },
  'options.wscale.multiplier': { display: 'Multiplier', type: 'uint16', base: 'dec' },
  'options.sack_le': { display: 'TCP SACK Left Edge', type: 'uint32', base: 'dec' },
  'options.sack_re': { display: 'TCP SACK Right Edge', type: 'uint32', base: 'dec' },
  'options.sack.count': { display: 'TCP SACK Count', type: 'uint8', base: 'dec' },
  'options.timestamp.tsval': { display: 'Timestamp value', type: 'uint32', base: 'dec' },
  'options.timestamp.tsecr': { display: 'Timestamp echo reply', type: 'uint32', base: 'dec' },
  'options.unknown.payload': { display: 'Payload', type: 'bytes' },
  payload: { display: 'TCP payload', type: 'bytes' },
  reset_cause: { display: 'Reset cause', type: 'string' },
});

/** One protocol item per option kind, as Wireshark's `tcp.options.mss` etc. */
const optionItems: Record<number, FieldDef> = {};
const optionNames: Record<number, [string, string]> = {
  0: ['eol', 'End of Option List (EOL)'], 1: ['nop', 'No-Operation (NOP)'], 2: ['mss', 'Maximum segment size'],
  3: ['wscale', 'Window scale'], 4: ['sack_perm', 'SACK permitted'], 5: ['sack', 'SACK'], 8: ['timestamp', 'Timestamps'],
  6: ['echo', 'Echo'], 7: ['echoreply', 'Echo reply'], 19: ['md5', 'TCP MD5 signature'], 28: ['user_to', 'User Timeout'],
  29: ['tcpao', 'TCP Authentication Option'], 30: ['mptcp', 'Multipath TCP'], 34: ['tfo', 'TCP Fast Open'],
};
for (const [kind, [name, display]] of Object.entries(optionNames)) {
  optionItems[Number(kind)] = defineField({ name: `tcp.options.${name}`, display: `TCP Option - ${display}`, type: 'protocol' });
}
const unknownOption = defineField({ name: 'tcp.options.unknown', display: 'TCP Option - Unknown', type: 'protocol' });

/** Kind names as Wireshark's `tcp.option_kind` value string. */
export const tcpOptionKindNames: Record<number, string> = {
  0: 'End of Option List', 1: 'No-Operation', 2: 'Maximum Segment Size', 3: 'Window Scale', 4: 'SACK Permitted', 5: 'SACK',
  6: 'Echo', 7: 'Echo Reply', 8: 'Time Stamp Option', 19: 'MD5 signature', 28: 'User Timeout', 29: 'TCP Authentication Option',
  30: 'Multipath TCP', 34: 'TCP Fast Open Cookie',
};

export const tcpPreferences = { verifyChecksum: false };

/**
 * Where connection state plugs into the TCP tree. The flow engine sets `fn`; it is called at
 * each point and returns true when it replaced the default items of that point. `numbers`
 * gives the sequence and acknowledgment numbers the tree shows (relative ones when the engine
 * tracked the segment), for the layer's summary line.
 */
export const tcpAnalysisHook: {
  fn?: (p: Packet, layer: number, s: Sink, at: 'ports' | 'seq' | 'window' | 'end') => boolean;
  numbers?: (p: Packet, layer: number) => { seq: number; ack: number } | undefined;
} = {};

/**
 * Where TCP desegmentation (src/protocols/desegment.ts) plugs in: `close` sees each segment
 * without payload (a FIN, RST or SYN releases what its connection held), `tree` adds the
 * segment-data and reassembled-segments items at the end of the TCP tree.
 */
export const tcpDesegmentHook: { close?: (p: Packet, layer: number) => void; tree?: (p: Packet, layer: number, s: Sink) => void } = {};

/** Flag letters as Wireshark's `tcp.flags.str` (12 positions, `·` when clear). */
export function tcpFlagString(flags: number): string {
  const letters = 'RRRACEUAPRSF';
  let s = '';
  for (let bit = 11; bit >= 0; bit--) s += flags & (1 << bit) ? letters[11 - bit] : '\u00b7';
  return s;
}

export const tcp = registerDissector({
  name: 'tcp',
  display: 'Transmission Control Protocol',
  decode(p, layer) {
    const b = p.bufferOf(layer);
    const o = p.start[layer];
    const avail = p.limit[layer] - o;
    if (avail < MIN_HEADER) {
      // Quoted in an ICMP error (often 8 bytes of it) a short header is expected, not damage:
      // tshark flags only a snaplen cut (its first read past the captured bytes lies within the frame).
      if (!p.isQuoted(layer)) p.markShort(layer, o + MIN_HEADER, 'TCP header shorter than 20 bytes');
      else if (p.limit[layer] >= b.length && b.length < p.reported[layer]) p.markShort(layer, b.length + 1, 'TCP header shorter than 20 bytes');
      p.end[layer] = p.limit[layer];
      if (!p.isQuoted(layer) && avail >= 4) p.transportLayer = layer;
      return STOP;
    }
    const hl = (b[o + 12] >> 4) * 4;
    if (hl < MIN_HEADER) {
      p.markMalformed(layer, `Bogus TCP header length (${hl}, must be at least 20)`);
      p.end[layer] = o + MIN_HEADER;
      return STOP;
    }
    if (avail < hl) {
      if (!p.isQuoted(layer)) p.markShort(layer, o + hl, 'TCP options beyond the end of the packet');
      else if (p.limit[layer] >= b.length && b.length < p.reported[layer]) p.markShort(layer, b.length + 1, 'TCP options beyond the end of the packet');
      p.end[layer] = p.limit[layer];
      if (!p.isQuoted(layer)) p.transportLayer = layer;
      return STOP;
    }
    p.end[layer] = o + hl;
    if (!p.isQuoted(layer)) p.transportLayer = layer;
    p.nextStart = o + hl;
    if (o + hl >= p.limit[layer]) {
      tcpDesegmentHook.close?.(p, layer);
      return STOP;
    }
    if (p.transportOnly) return STOP;
    const byPort = tcpPorts.get(Math.min(u16(b, o), u16(b, o + 2)));
    const next = byPort !== STOP ? byPort : tcpPorts.get(Math.max(u16(b, o), u16(b, o + 2)));
    if (next !== STOP) return next;
    // No port claimed it: the conversation's pinned protocol, then the heuristics (TNS, TLS… on any port).
    const guessed = tryHeuristics(tcpHeuristics, p, layer, b, o + hl, Math.min(p.limit[layer], b.length));
    return guessed === STOP ? data.id : guessed;
  },
  summary(p, layer) {
    const b = p.bufferOf(layer);
    const o = p.start[layer];
    if (b.length < o + 4) return 'Transmission Control Protocol';
    let text = `Transmission Control Protocol, Src Port: ${u16(b, o)}, Dst Port: ${u16(b, o + 2)}`;
    // As the tree's items: relative numbers on a segment the flow engine tracked.
    const tracked = b.length >= o + 14 ? tcpAnalysisHook.numbers?.(p, layer) : undefined;
    if (b.length >= o + 14) text += `, Seq: ${tracked ? tracked.seq : u32(b, o + 4)}`;
    if (b.length >= o + 14 && b[o + 13] & 0x10) text += `, Ack: ${tracked ? tracked.ack : u32(b, o + 8)}`;
    if (b.length >= o + 13) text += `, Len: ${segmentLength(p, layer)}`;
    return text;
  },
  /*
   * Items in Wireshark 4.0's order (dissect_tcp), each only when its bytes were captured: tshark
   * reads both ports before adding anything, then bytes 4..16 before the segment length, and
   * stops the whole tree at the first read past the captured data.
   */
  tree(p, layer, s) {
    const b = p.bufferOf(layer);
    const o = p.start[layer];
    const f = tcpFields;
    const hook = tcpAnalysisHook.fn;
    const cap = Math.min(b.length, p.limit[layer]);
    if (cap < o + 4) return;
    s.add(f.srcport, b, o, 2);
    s.add(f.dstport, b, o + 2, 2);
    s.add(f.port, b, o, 2, undefined, HIDDEN);
    s.add(f.port, b, o + 2, 2, undefined, HIDDEN);
    // Quoted right behind IPv4 in an ICMP error (Wireshark's icmp_ip), tshark shows the sequence
    // number at once (the quote is often 8 bytes); IPv6 in ICMPv6 quotes enough for the usual items.
    const quoted = p.isQuoted(layer) && layer >= 2 && dissectorById(p.proto[layer - 1]).protocol.name === 'ip' && dissectorById(p.proto[layer - 2]).protocol.name === 'icmp';
    if (quoted && cap >= o + 8) {
      const seq = lookupField('tcp.seq');
      if (seq) s.add(seq, b, o + 4, 4);
    }
    if (cap < o + 16) return;
    const hl = (b[o + 12] >> 4) * 4;
    if (!hook?.(p, layer, s, 'ports')) {
      const seglen = tsharkSegmentLength(p, layer);
      if (seglen >= 0) s.add(f.len, b, o + 12, 1, seglen, GENERATED);
    }
    const hdrLen = () => s.add(f.hdr_len, b, o + 12, 1, hl, 0, s.wantsLabels ? `${(b[o + 12] >> 4).toString(2).padStart(4, '0')} .... = Header Length: ${hl} bytes (${hl >> 2})` : undefined);
    // A bogus header length ends the tree after the sequence number (before the ack).
    if (hl < MIN_HEADER) {
      if (!quoted) s.add(f.seq_raw, b, o + 4, 4);
      hdrLen();
      return;
    }
    if (!hook?.(p, layer, s, 'seq')) {
      if (!quoted) s.add(f.seq_raw, b, o + 4, 4);
      s.add(f.ack_raw, b, o + 8, 4);
    }
    hdrLen();
    const flags = u16(b, o + 12) & 0x0fff;
    s.add(f.flags, b, o + 12, 2, undefined, 0, s.wantsLabels ? `Flags: 0x${flags.toString(16).padStart(3, '0')} (${infoFlags(flags)})` : undefined);
    s.push();
    s.add(f['flags.res'], b, o + 12, 2);
    s.add(f['flags.ae'], b, o + 12, 2);
    s.add(f['flags.cwr'], b, o + 12, 2);
    s.add(f['flags.ece'], b, o + 12, 2);
    s.add(f['flags.urg'], b, o + 12, 2);
    s.add(f['flags.ack'], b, o + 12, 2);
    s.add(f['flags.push'], b, o + 12, 2);
    // Expert items of the connection (raised by the flow engine) show under the flag they are about.
    s.add(f['flags.reset'], b, o + 12, 2);
    anchorExperts(s, p, layer, 'tcp.connection.rst');
    s.add(f['flags.syn'], b, o + 12, 2);
    anchorExperts(s, p, layer, 'tcp.connection.syn');
    anchorExperts(s, p, layer, 'tcp.connection.synack');
    s.add(f['flags.fin'], b, o + 12, 2);
    anchorExperts(s, p, layer, 'tcp.connection.fin');
    if (s.wants(f['flags.str'])) s.add(f['flags.str'], b, o + 12, 2, tcpFlagString(flags), GENERATED);
    anchorExperts(s, p, layer, 'tcp.connection.fin_active');
    anchorExperts(s, p, layer, 'tcp.connection.fin_passive');
    s.pop();
    s.add(f.window_size_value, b, o + 14, 2);
    hook?.(p, layer, s, 'window');
    if (cap < o + 18) return;
    // tshark verifies only a segment it has whole, outside an un-reassembled fragment.
    const verify = tcpPreferences.verifyChecksum && !(p.fragmentedBy >= 0 && p.fragmentedBy < layer) && cap >= p.reported[layer];
    s.add(f.checksum, b, o + 16, 2, undefined, 0, s.wantsLabels && !verify ? `Checksum: 0x${u16(b, o + 16).toString(16).padStart(4, '0')} [unverified]` : undefined);
    if (verify) {
      const c = verifyTransportChecksum(p, layer, 6, 16);
      // RFC 1624: 0xffff is -0, never a computed checksum; tshark calls it bad (should be 0x0000).
      if (c.status === 1 && u16(b, o + 16) === 0xffff) {
        c.status = 0;
        c.calculated = 0;
      }
      if (c.calculated !== undefined) {
        s.push();
        s.add(f.checksum_calculated, b, o + 16, 2, c.calculated, GENERATED);
        s.pop();
      }
      s.add(f['checksum.status'], b, o + 16, 0, c.status, GENERATED);
      if (c.status === 0) p.expert(layer, 'error', 'checksum', 'tcp.checksum_bad.expert', `Bad checksum [should be 0x${c.calculated!.toString(16).padStart(4, '0')}]`);
    } else s.add(f['checksum.status'], b, o + 16, 0, 2, GENERATED);
    if (cap < o + 20) return;
    s.add(f.urgent_pointer, b, o + 18, 2);
    anchorExperts(s, p, layer, 'tcp.urgent_pointer.non_zero');
    if (hl > MIN_HEADER) {
      const shown = Math.max(0, Math.min(o + hl, cap) - (o + MIN_HEADER));
      s.add(f.options, b, o + MIN_HEADER, shown, undefined, 0, s.wantsLabels ? `Options: (${hl - MIN_HEADER} bytes)${optionsSummary(b, o + MIN_HEADER, hl - MIN_HEADER, cap)}` : undefined);
      s.push();
      // SACK edges relative to the peer's first sequence number when the flow engine tracked the segment.
      const tracked = tcpAnalysisHook.numbers?.(p, layer);
      const sackBase = tracked ? (u32(b, o + 8) - tracked.ack) >>> 0 : undefined;
      treeOptions(b, o + MIN_HEADER, hl - MIN_HEADER, cap, u32(b, o + 8), sackBase, s);
      s.pop();
    }
    hook?.(p, layer, s, 'end');
    // packet-tcp.c's `TCP payload (N bytes)` over what follows the header.
    const seglen = tsharkSegmentLength(p, layer);
    // A reset's payload is its cause in text (RFC 9293 §3.5.3), shown instead.
    if (seglen > 0 && o + hl <= cap && flags & 0x04) {
      s.add(f.reset_cause, b, o + hl, cap - (o + hl), s.wants(f.reset_cause) ? asciiText(b, o + hl, cap) : undefined);
    }
    else if (seglen > 0 && o + hl <= cap) {
      s.add(f.payload, b, o + hl, cap - (o + hl), undefined, 0, s.wantsLabels ? `TCP payload (${seglen} byte${seglen === 1 ? '' : 's'})` : undefined);
    }
    tcpDesegmentHook.tree?.(p, layer, s);
  },
});

/** ASCII text of `b[start..end)` as ENC_ASCII reads it: up to a NUL, other bytes above 0x7f as U+FFFD. */
function asciiText(b: Uint8Array, start: number, end: number): string {
  let text = '';
  for (let i = start; i < end && b[i] !== 0; i++) text += b[i] < 0x80 ? String.fromCharCode(b[i]) : '\ufffd';
  return text;
}

/** Bytes of payload the segment carries (from the IP length, not the captured bytes); 0 when unknown. */
export function segmentLength(p: Packet, layer: number): number {
  return Math.max(0, tsharkSegmentLength(p, layer));
}

/**
 * Bytes of payload the segment carries, from the lengths the packet reports (IP total length,
 * not the captured bytes), as tshark's `tcp.len`; -1 when tshark has no segment length: the
 * header is quoted in an ICMP error, lies in an IP fragment that was not reassembled, or is
 * longer than the segment itself.
 */
export function tsharkSegmentLength(p: Packet, layer: number): number {
  const b = p.bufferOf(layer);
  const o = p.start[layer];
  if (b.length < o + 13) return -1;
  if (p.isQuoted(layer) || (p.fragmentedBy >= 0 && p.fragmentedBy < layer)) return -1;
  const hl = (b[o + 12] >> 4) * 4;
  const reported = p.reported[layer] - o;
  return reported < hl ? -1 : reported - hl;
}

/**
 * The options as Wireshark 4.0's `tcp_dissect_options` and per-option dissectors add them: the
 * walk covers the header's option area (`length`), does not stop at EOL, stops without an item
 * at a bogus length, and each option checks its own length before its values. Values whose
 * bytes were not captured (before `cap`) end the walk, as tshark's exception does.
 */
function treeOptions(b: Uint8Array, start: number, length: number, cap: number, ack: number, sackBase: number | undefined, s: Sink): void {
  const f = tcpFields;
  walkOptions(b, start, length, cap, false, (kind, at, len) => {
    const item = optionItems[kind] ?? unknownOption;
    const labelled = s.wantsLabels && at + len <= cap;
    s.add(item, b, at, Math.min(len, cap - at), null, 0, labelled ? optionLabel(b, kind, at, len, sackBase) : undefined);
    s.push();
    s.add(f.option_kind, b, at, 1, undefined, 0, s.wantsLabels ? `Kind: ${tcpOptionKindNames[kind] ?? 'Unknown'} (${kind})` : undefined);
    if (len >= 2) s.add(f.option_len, b, at + 1, 1);
    const ok = optionValues(b, kind, at, len, cap, ack, sackBase, s);
    s.pop();
    return ok;
  });
}

/** The values of one option (after kind and length); false when their bytes were not captured. */
function optionValues(b: Uint8Array, kind: number, at: number, len: number, cap: number, ack: number, sackBase: number | undefined, s: Sink): boolean {
  const f = tcpFields;
  switch (kind) {
    case 0: case 1: case 4:
      return true;
    case 2:
      if (len !== 4) return true;
      if (at + 4 > cap) return false;
      s.add(f['options.mss_val'], b, at + 2, 2);
      return true;
    case 3:
      if (len !== 3) return true;
      if (at + 3 > cap) return false;
      s.add(f['options.wscale.shift'], b, at + 2, 1);
      s.add(f['options.wscale.multiplier'], b, at + 2, 1, 2 ** Math.min(b[at + 2], 14), GENERATED);
      return true;
    case 5: {
      // Edges in pairs. A left edge without room for its right edge is shown, then reading the
      // right edge fails (tshark: malformed) and nothing more of the header is shown.
      let count = 0;
      let pos = at + 2;
      for (let left = len - 2; left >= 4; left -= 8, pos += 8) {
        if (pos + 4 > cap) return false;
        const le = sackBase === undefined ? u32(b, pos) : (u32(b, pos) - sackBase) >>> 0;
        s.add(f['options.sack_le'], b, pos, 4, le, 0, s.wantsLabels ? `left edge = ${le}${sackBase === undefined ? '' : ' (relative)'}` : undefined);
        if (left - 4 < 4) return false;
        if (pos + 8 > cap) return false;
        const re = sackBase === undefined ? u32(b, pos + 4) : (u32(b, pos + 4) - sackBase) >>> 0;
        s.add(f['options.sack_re'], b, pos + 4, 4, re, 0, s.wantsLabels ? `right edge = ${re}${sackBase === undefined ? '' : ' (relative)'}` : undefined);
        count++;
      }
      s.add(f['options.sack.count'], b, at, 0, count, GENERATED);
      // tshark 4.0's D-SACK test compares the first right edge (0 when there is no block) with
      // the ack number and then reads the first block: without one, that read fails.
      return count > 0 || ((0 - ack) | 0) > 0;
    }
    case 8:
      if (len !== 10) return true;
      if (at + 6 > cap) return false;
      s.add(f['options.timestamp.tsval'], b, at + 2, 4);
      if (at + 10 > cap) return false;
      s.add(f['options.timestamp.tsecr'], b, at + 6, 4);
      return true;
    default:
      if (at + len > cap) return false;
      if (!(kind in optionItems) && len > 2) s.add(f['options.unknown.payload'], b, at + 2, len - 2);
      return true;
  }
}

/** `, Maximum segment size, No-Operation (NOP)…`: the option names the Options item lists (as far as they were captured). */
function optionsSummary(b: Uint8Array, start: number, length: number, cap: number): string {
  let text = '';
  walkOptions(b, start, length, cap, false, (kind) => {
    // Options dissected by a protocol of their own are listed by its short name.
    text += `, ${kind === 30 ? 'MPTCP' : optionNames[kind]?.[1] ?? 'Unknown'}`;
    return true;
  });
  return text;
}

function optionLabel(b: Uint8Array, kind: number, at: number, len: number, sackBase: number | undefined): string {
  const base = `TCP Option - ${optionNames[kind]?.[1] ?? `Unknown (${kind})`}`;
  switch (kind) {
    case 5: {
      // ` left-right` per block, as packet-tcp.c appends them.
      let text = base;
      for (let e = at + 2; e + 8 <= at + len; e += 8) {
        const rel = (v: number) => (sackBase === undefined ? v : (v - sackBase) >>> 0);
        text += ` ${rel(u32(b, e))}-${rel(u32(b, e + 4))}`;
      }
      return text;
    }
    case 2: return len === 4 ? `${base}: ${u16(b, at + 2)} bytes` : base;
    case 3: return len === 3 ? `${base}: ${b[at + 2]} (multiply by ${2 ** Math.min(b[at + 2], 14)})` : base;
    case 8: return len === 10 ? `${base}: TSval ${u32(b, at + 2)}, TSecr ${u32(b, at + 6)}` : base;
    default: return base;
  }
}

ipProtocols.add(6, tcp);

// ---- Packet-list columns (Wireshark's Info text) ----
// The flow engine's note (relative numbers, scaled window, analysis bits) is read when present.
import {
  A_ACK_LOST_PACKET, A_DUPLICATE_ACK, A_FAST_RETRANSMISSION, A_KEEP_ALIVE, A_KEEP_ALIVE_ACK, A_LOST_PACKET, A_OUT_OF_ORDER,
  A_RETRANSMISSION, A_REUSED_PORTS, A_SPURIOUS_RETRANSMISSION, A_WINDOW_FULL, A_WINDOW_UPDATE, A_ZERO_WINDOW, A_ZERO_WINDOW_PROBE,
  A_ZERO_WINDOW_PROBE_ACK, TcpNote,
} from '../flows/tcp-analysis.js';
import type { Columns } from './columns.js';

/**
 * The tags packet-tcp.c's `tcp_print_sequence_number_analysis` puts in front of the Info text,
 * in the order it prepends them (each one lands in front of the ones before it).
 */
const analysisTags: Array<[number, string]> = [
  [A_REUSED_PORTS, 'TCP Port numbers reused'],
  [A_LOST_PACKET, 'TCP Previous segment not captured'],
  [A_ACK_LOST_PACKET, 'TCP ACKed unseen segment'],
  [A_KEEP_ALIVE, 'TCP Keep-Alive'],
  [A_DUPLICATE_ACK, 'TCP Dup ACK'],
  [A_ZERO_WINDOW, 'TCP ZeroWindow'],
  [A_ZERO_WINDOW_PROBE, 'TCP ZeroWindowProbe'],
  [A_ZERO_WINDOW_PROBE_ACK, 'TCP ZeroWindowProbeAck'],
  [A_KEEP_ALIVE_ACK, 'TCP Keep-Alive ACK'],
  [A_RETRANSMISSION, 'TCP Retransmission'],
  [A_SPURIOUS_RETRANSMISSION, 'TCP Spurious Retransmission'],
  [A_FAST_RETRANSMISSION, 'TCP Fast Retransmission'],
  [A_OUT_OF_ORDER, 'TCP Out-Of-Order'],
  [A_WINDOW_UPDATE, 'TCP Window Update'],
  [A_WINDOW_FULL, 'TCP Window Full'],
];

/**
 * The Info tags of a segment's analysis bits (`[TCP Retransmission] `…), empty when none. A fast
 * or spurious retransmission is tagged as that only, as Wireshark does.
 */
export function tcpAnalysisText(a: number, dupAckFrame = 0, dupAckNum = 0): string {
  if (!a) return '';
  let s = '';
  for (const [bit, text] of analysisTags) {
    if (!(a & bit)) continue;
    if (bit === A_RETRANSMISSION && a & (A_FAST_RETRANSMISSION | A_SPURIOUS_RETRANSMISSION)) continue;
    // packet-tcp.c numbers a duplicate ACK: `[TCP Dup ACK 5#1] ` (the ACK it repeats, then which repeat).
    s = `[${bit === A_DUPLICATE_ACK && dupAckNum ? `${text} ${dupAckFrame}#${dupAckNum}` : text}] ${s}`;
  }
  return s;
}

/** Flag names as packet-tcp.c's `tcp_flags_to_str`: lowest bit first, then the reserved bits. */
const infoFlagNames = ['FIN', 'SYN', 'RST', 'PSH', 'ACK', 'URG', 'ECE', 'CWR', 'AE'];

function infoFlags(flags: number): string {
  let s = '';
  for (let i = 0; i < infoFlagNames.length; i++) if (flags & (1 << i)) s += s ? `, ${infoFlagNames[i]}` : infoFlagNames[i];
  if (flags & 0xe00) s += s ? ', Reserved' : 'Reserved';
  return s || '<None>';
}

/**
 * The option texts packet-tcp.c appends (` MSS=1460`, ` SACK_PERM`, ` TSval=… TSecr=…`, ` WS=128`,
 * ` SLE=… SRE=…` relative to the peer's first sequence number when `sackBase` is known).
 */
function optionsInfo(b: Uint8Array, start: number, length: number, cap: number, sackBase: number | undefined): string {
  let s = '';
  walkOptions(b, start, length, cap, false, (kind, at, len) => {
    if (at + len > cap) return false;
    switch (kind) {
      case 2: if (len === 4) s += ` MSS=${u16(b, at + 2)}`; break;
      case 3: if (len === 3) s += ` WS=${2 ** Math.min(b[at + 2], 14)}`; break;
      case 4: if (len === 2) s += ' SACK_PERM'; break;
      case 8: if (len === 10) s += ` TSval=${u32(b, at + 2)} TSecr=${u32(b, at + 6)}`; break;
      case 5:
        for (let e = at + 2; e + 8 <= at + len; e += 8) {
          const left = sackBase === undefined ? u32(b, e) : (u32(b, e) - sackBase) >>> 0;
          const right = sackBase === undefined ? u32(b, e + 4) : (u32(b, e + 4) - sackBase) >>> 0;
          s += ` SLE=${left} SRE=${right}`;
        }
        break;
      case 34: s += len === 2 ? ' TFO=R' : ' TFO=C'; break;
      // The experimental TFO option (RFC 7413 §4.1.1: kind 254, magic 0xF989).
      case 254: if (len >= 4 && u16(b, at + 2) === 0xf989) s += len === 4 ? ' TFO=R' : ' TFO=C'; break;
    }
    return true;
  });
  return s;
}

/**
 * `43210 → 80 [SYN] Seq=0 Win=64240 Len=0 MSS=1460 …` as dissect_tcp writes it: relative
 * numbers and the scaled window from the flow engine's note (raw ones without it), the analysis
 * tags in front (fenced, so the application layer's text replaces only what follows them).
 */
tcp.info = (p, layer, col) => {
  const b = p.bufferOf(layer);
  const o = p.start[layer];
  const cap = Math.min(b.length, p.limit[layer]);
  col.setProtocol('TCP');
  col.clear();
  if (cap < o + 4) return;
  col.append(`${u16(b, o)} \u2192 ${u16(b, o + 2)}`);
  if (cap < o + 13) return;
  const hl = (b[o + 12] >> 4) * 4;
  if (hl < MIN_HEADER) {
    col.append(`, bogus TCP header length (${hl}, must be at least ${MIN_HEADER})`);
    return;
  }
  if (cap < o + MIN_HEADER) return;
  const n = p.transportLayer === layer && p.flow instanceof TcpNote && p.flow.valid ? p.flow : null;
  const flags = u16(b, o + 12) & 0x0fff;
  let text = ` [${infoFlags(flags)}] Seq=${n ? n.seq : u32(b, o + 4)}`;
  if (flags & 0x10) text += ` Ack=${n ? n.ack : u32(b, o + 8)}`;
  text += ` Win=${n ? n.window : u16(b, o + 14)}`;
  if (flags & 0x20) text += ` Urg=${u16(b, o + 18)}`;
  const seglen = tsharkSegmentLength(p, layer);
  if (seglen >= 0) text += ` Len=${seglen}`;
  if (hl > MIN_HEADER) text += optionsInfo(b, o + MIN_HEADER, hl - MIN_HEADER, cap, n ? (n.ackRaw - n.ack) >>> 0 : undefined);
  col.append(text);
  if (n && n.analysis) col.prependFence(tcpAnalysisText(n.analysis, n.dupackFrame, n.dupackNum));
  if (seglen <= 0) return;
  // packet-tcp.c shows the payload of a RST as its reset cause, and does not hand retransmitted
  // bytes to the application dissector again (a fast retransmission it does): no application
  // dissector writes, nothing is held.
  const resent = n !== null && (n.analysis & (A_RETRANSMISSION | A_SPURIOUS_RETRANSMISSION)) !== 0;
  if (flags & 0x04 || resent) col.writable = false;
  else col.defer(() => heldSegmentInfo(p, layer, col));
};

/**
 * Info texts of stream protocols that write their start line before they ask TCP for more
 * bytes (packet-http.c): called for a segment whose payload starts a PDU held for reassembly
 * (`start..end`: the payload); returns true when it wrote. The protocols register here.
 */
export const tcpHeldPduInfo: Array<(p: Packet, layer: number, start: number, end: number, col: Columns) => boolean> = [];

/** What src/protocols/desegment.ts notes on a segment (`tcp.desegment`): bytes it held, the buffer of a PDU it completed. */
interface SegmentNote {
  segmentData: number[];
  buffer: number;
}

/** True when the segment's first payload byte went into a PDU that is still held after this frame. */
function payloadHeld(p: Packet, layer: number): boolean {
  const n = p.notes.size ? (p.notes.get('tcp.desegment') as SegmentNote | undefined) : undefined;
  if (!n || n.buffer >= 0) return false;
  for (let i = 0; i < n.segmentData.length; i += 2) if (n.segmentData[i] === p.end[layer]) return true;
  return false;
}

/**
 * packet-tcp.c's remark on a segment whose PDU is not complete yet: the Protocol column goes
 * back to `TCP` and ` [TCP segment of a reassembled PDU]` follows what the layers wrote (TCP's
 * own text when the segment only continues a PDU, the application's when it starts one).
 */
function heldSegmentInfo(p: Packet, layer: number, col: Columns): void {
  // A segment the reassembly refused (packet-tcp.c's "[Reassembly error, protocol TCP: …]").
  for (const e of p.experts) if (e.layer === layer && e.field === '_ws.malformed.reassembly') col.append(`[Reassembly error, protocol TCP: ${e.message}]`);
  if (!payloadHeld(p, layer)) return;
  const start = p.end[layer];
  const appLayer = layer + 1 < p.layers && p.bufIndex[layer + 1] === p.bufIndex[layer] && p.start[layer + 1] === start;
  if (!appLayer) {
    const end = Math.min(p.bufferOf(layer).length, p.limit[layer]);
    for (const f of tcpHeldPduInfo) if (f(p, layer, start, end, col)) break;
  }
  col.setProtocol('TCP');
  col.appendSep(' ', '[TCP segment of a reassembled PDU]');
}
