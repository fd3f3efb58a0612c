/**
 * IPv4 (RFC 791): header, options, fragments reassembled. Offsets as data below; one length
 * check guards the fixed header, options are walked within the header length.
 */
import { defineFields, textItem, type FieldDef } from '../fields/field.js';
import { bitmaskLabel, bitPattern } from '../fields/format.js';
import { anchorExperts, type Sink } from '../fields/sink.js';
import { GENERATED, HIDDEN } from '../fields/value.js';
import { ipv4ToString, onesComplementSum, u16, u32 } from './bytes.js';
import { dissectorByName, etherTypes, ipProtocols, linkTypes, registerDissector, STOP } from './dissector.js';
import { data } from './data.js';
import { checksumStatus, dscpNames, dsfieldText, ecnNames, ipProtocolNames, OptionWalk, walkOptions } from './ip-common.js';
import type { Packet } from './packet.js';

const field = { versionIhl: 0, tos: 1, totalLength: 2, id: 4, flagsFragment: 6, ttl: 8, protocol: 9, checksum: 10, src: 12, dst: 16 } as const;
const MIN_HEADER = 20;

/** Option numbers (the type's low 5 bits), packet-ip.c's `ipopt_type_number_vals`. */
const optionNumberNames: Record<number, string> = {
  0: 'End of Option List', 1: 'No-Operation', 2: 'Security', 3: 'Loose source route', 4: 'Time stamp', 5: 'Extended security',
  6: 'Commercial IP security option', 7: 'Record route', 8: 'Stream identifier', 9: 'Strict source route',
  10: 'Experimental Measurement', 11: 'MTU Probe', 12: 'MTU Reply', 13: 'Experimental Flow Control',
  14: 'Experimental Access Control', 15: 'ENCODE', 16: 'IMI Traffic Descriptor', 17: 'Extended Internet Protocol',
  18: 'Traceroute', 19: 'Address Extension', 20: 'Router Alert', 21: 'Selective Directed Broadcast',
  23: 'Dynamic Packet State', 24: 'Upstream Multicast Pkt.', 25: 'Quick-Start', 30: 'RFC3692-style Experiment',
};

export const ipFields = defineFields('ip', {
  version: { display: 'Version', type: 'uint8', base: 'dec', mask: 0xf0 },
  hdr_len: { display: 'Header Length', type: 'uint8', base: 'dec', unit: 'bytes' },
  dsfield: { display: 'Differentiated Services Field', type: 'uint8', base: 'hex' },
  'dsfield.dscp': { display: 'Differentiated Services Codepoint', type: 'uint8', base: 'dec', mask: 0xfc, values: dscpNames },
  'dsfield.ecn': { display: 'Explicit Congestion Notification', type: 'uint8', base: 'dec', mask: 0x03, values: ecnNames },
  len: { display: 'Total Length', type: 'uint16', base: 'dec' },
  id: { display: 'Identification', type: 'uint16', base: 'hex_dec' },
  flags: { display: 'Flags', type: 'uint8', base: 'hex', mask: 0xe0 },
  'flags.rb': { display: 'Reserved bit', type: 'bool', mask: 0x80, bits: 8, trueFalse: ['Set', 'Not set'] },
  'flags.df': { display: "Don't fragment", type: 'bool', mask: 0x40, bits: 8, trueFalse: ['Set', 'Not set'] },
  'flags.mf': { display: 'More fragments', type: 'bool', mask: 0x20, bits: 8, trueFalse: ['Set', 'Not set'] },
  frag_offset: { display: 'Fragment Offset', type: 'uint16', base: 'dec', mask: 0x1fff },
  ttl: { display: 'Time to Live', type: 'uint8', base: 'dec' },
  proto: { display: 'Protocol', type: 'uint8', base: 'dec', values: ipProtocolNames },
  checksum: { display: 'Header Checksum', type: 'uint16', base: 'hex' },
  checksum_calculated: { display: 'Calculated Checksum', type: 'uint16', base: 'hex' },
  'checksum.status': { display: 'Header checksum status', type: 'uint8', base: 'none', values: checksumStatus },
  src: { display: 'Source Address', type: 'ipv4' },
  dst: { display: 'Destination Address', type: 'ipv4' },
  addr: { display: 'Source or Destination Address', type: 'ipv4' },
  src_host: { display: 'Source Host', type: 'string' },
  dst_host: { display: 'Destination Host', type: 'string' },
  host: { display: 'Source or Destination Host', type: 'string' },
  cur_rt: { display: 'Current Route', type: 'ipv4' },
  'opt.type': { display: 'Type', type: 'uint8', base: 'dec' },
  'opt.type.copy': { display: 'Copy on fragmentation', type: 'bool', mask: 0x80, bits: 8, trueFalse: ['Yes', 'No'] },
  'opt.type.class': { display: 'Class', type: 'uint8', base: 'dec', mask: 0x60, values: { 0: 'Control', 1: 'Reserved for future use', 2: 'Debugging and measurement', 3: 'Reserved for future use' } },
  'opt.type.number': { display: 'Number', type: 'uint8', base: 'dec', mask: 0x1f, values: optionNumberNames },
  'opt.len': { display: 'Length', type: 'uint8', base: 'dec' },
  'opt.ra': { display: 'Router Alert', type: 'uint16', base: 'dec', values: { 0: 'Router shall examine packet' } },
  fragment: { display: 'IPv4 Fragment', type: 'framenum' },
  'fragment.count': { display: 'Fragment count', type: 'uint32', base: 'dec' },
  'reassembled.length': { display: 'Reassembled IPv4 length', type: 'uint32', base: 'dec' },
});

/** Options by type number, for the tree (RFC 791 and IANA "IP Option Numbers"). */
const optionNames: Record<number, string> = {
  0: 'End of Options List (EOL)', 1: 'No-Operation (NOP)', 7: 'Record Route', 68: 'Time Stamp', 130: 'Security',
  131: 'Loose Source Route', 137: 'Strict Source Route', 136: 'Stream ID', 148: 'Router Alert', 25: 'Quick-Start',
  82: 'Traceroute', 134: 'Commercial IP Security Option', 133: 'Extended Security', 11: 'MTU Probe', 12: 'MTU Reply',
};

const ROUTER_ALERT = 148;

function optionName(type: number): string {
  return optionNames[type] ?? `Unknown (0x${type.toString(16).padStart(2, '0')})`;
}

/** Options for checksum verification (off by default, as in Wireshark). */
export const ipv4Preferences = { verifyChecksum: false };

/** An address item and its hidden companions (ip.addr, ip.*_host, ip.host), as Wireshark adds them. */
function addAddress(s: Sink, b: Uint8Array, at: number, item: FieldDef, hostItem: FieldDef): void {
  const addr = u32(b, at);
  s.add(item, b, at, 4, addr);
  s.add(ipFields.addr, b, at, 4, addr, HIDDEN);
  if (s.wants(hostItem) || s.wants(ipFields.host)) {
    const text = ipv4ToString(addr);
    s.add(hostItem, b, at, 4, text, HIDDEN);
    s.add(ipFields.host, b, at, 4, text, HIDDEN);
  }
}

interface Reassembly {
  frames: Array<{ frame: number; offset: number; length: number }>;
  length: number;
}

/** IPv4 option kinds whose last address is the final destination (RFC 791 §3.1). */
const LOOSE_SOURCE_ROUTE = 131;
const STRICT_SOURCE_ROUTE = 137;

/**
 * Offset from the destination field to the final destination when a loose or strict source
 * route option is still being followed, as Wireshark's `get_dst_offset` (0: none). Wireshark
 * then shows the header's destination as `ip.cur_rt` and the option's last address as `ip.dst`.
 * Returns -1 when a byte it needs was not captured (Wireshark stops the tree there).
 */
function destinationOffset(b: Uint8Array, start: number, length: number, capEnd: number): number {
  let at = start;
  let left = length;
  while (left > 0) {
    if (at >= capEnd) return -1;
    const kind = b[at];
    left--;
    if (kind !== 0 && kind !== 1) {
      if (left === 0) return 0;
      if (at + 1 >= capEnd) return -1;
      const len = b[at + 1];
      left--;
      if (len < 2 || len - 2 > left) return 0;
      if (kind === STRICT_SOURCE_ROUTE || kind === LOOSE_SOURCE_ROUTE) {
        if (at + 2 >= capEnd) return -1;
        const ptr = b[at + 2];
        if (ptr < 4 || ptr & 3 || ptr > len) return 0;
        return at - start + 4 + (len - 4);
      }
      at += len;
      left -= len - 2;
    } else {
      at++;
    }
    if (kind === 0) return 0;
  }
  return 0;
}

/** Whether the header checksum is right (only asked when verification is on). */
function checksumGood(b: Uint8Array, o: number, hl: number): boolean {
  return onesComplementSum(b, o, hl) === 0xffff;
}

export const ipv4 = registerDissector({
  name: 'ip',
  display: 'Internet Protocol Version 4',
  decode(p, layer) {
    const b = p.bufferOf(layer);
    const o = p.start[layer];
    const avail = p.limit[layer] - o;
    if (avail < 1) {
      p.markShort(layer, o + 1, 'IPv4 header missing');
      p.end[layer] = p.limit[layer];
      return STOP;
    }
    const version = b[o] >> 4;
    const hl = (b[o] & 0x0f) * 4;
    if (version !== 4) {
      p.end[layer] = o + 1;
      // Wireshark hands an IPv6 header found behind an IPv4 type to IPv6 (Linux cooked captures do this).
      const v6 = version === 6 ? dissectorByName('ipv6') : undefined;
      if (v6) {
        p.nextStart = o;
        return v6.id;
      }
      p.markMalformed(layer, `Bogus IP version (${version}, must be 4)`);
      return STOP;
    }
    if (hl < MIN_HEADER) {
      p.markMalformed(layer, `Bogus IP header length (${hl}, must be at least 20)`);
      p.end[layer] = o + 1;
      return STOP;
    }
    if (avail < hl) {
      const what = avail < MIN_HEADER ? 'IPv4 header shorter than 20 bytes' : 'IPv4 options beyond the end of the packet';
      // Quoted in an ICMP error a cut header is expected, not damage: tshark flags only a snaplen
      // cut (its first read past the captured bytes still lies within the frame).
      if (!p.isQuoted(layer)) p.markShort(layer, o + hl, what);
      else if (p.limit[layer] >= b.length && b.length < p.reported[layer]) p.markShort(layer, b.length + 1, what);
      p.end[layer] = p.limit[layer];
      return STOP;
    }
    const reportedEnd = p.reported[layer];
    let total = u16(b, o + field.totalLength);
    // Total length 0 is what TSO-offloaded packets captured on the sender show: Wireshark then
    // takes the length the frame reports (not what the snaplen kept).
    if (total === 0) total = Math.max(hl, reportedEnd - o);
    if (total < hl) {
      p.markMalformed(layer, `Bogus IP length (${total}, less than header length ${hl})`);
      p.end[layer] = o + hl;
      return STOP;
    }
    p.end[layer] = o + hl;
    if (o + total > reportedEnd) {
      // Quoted in an ICMP error the datagram is cut on purpose: tshark adds no expert there.
      if (!p.isQuoted(layer)) {
        p.expert(layer, 'error', 'protocol', 'ip.len', `IPv4 total length exceeds packet length (${reportedEnd - o} bytes)`);
        p.markMalformed(layer, `IPv4 total length ${total} exceeds packet length ${reportedEnd - o}`);
      }
    } else {
      // The datagram ends where its total length says: what follows is Ethernet padding or trailer.
      p.reported[layer] = o + total;
      p.limit[layer] = Math.min(p.limit[layer], o + total);
    }
    p.nextStart = o + hl;
    p.nextEnd = p.limit[layer];
    const quoted = p.isQuoted(layer);
    if (!quoted) p.netLayer = layer;
    const proto = b[o + field.protocol];
    const ff = u16(b, o + field.flagsFragment);
    const more = (ff & 0x2000) !== 0;
    const offset = (ff & 0x1fff) * 8;
    if (more || offset) {
      // Wireshark reassembles only fragments it has whole (and, when it checks, with a good
      // header checksum). Others: the first is dissected as far as it goes, the rest are data.
      const whole = total > hl && o + total <= b.length && o + total <= reportedEnd;
      if (!quoted && whole && (!ipv4Preferences.verifyChecksum || checksumGood(b, o, hl))) {
        const key = `${u32(b, o + 12)}>${u32(b, o + 16)}:${u16(b, o + 4)}:${proto}`;
        const done = p.state.ipv4Fragments.add(key, offset, b.subarray(o + hl, o + total), more, p.number);
        if (!done) return data.id;
        p.notes.set(`ip.reassembly.${layer}`, { frames: done.frames, length: done.payload.length } satisfies Reassembly);
        p.nextBuffer = p.addBuffer(done.payload);
        p.nextStart = 0;
        p.nextEnd = done.payload.length;
      } else if (offset) {
        return data.id;
      } else if (p.fragmentedBy < 0) {
        p.fragmentedBy = layer;
      }
    }
    // Nothing follows a header that fills the whole datagram (not even an empty data layer).
    if (p.nextBuffer === p.bufIndex[layer] && p.reported[layer] <= o + hl) return STOP;
    // Quoted in an ICMP error, fewer than 4 bytes of payload (not even the ports) get no layer in
    // tshark; it reads them first, so a snaplen cut there is flagged.
    if (quoted && p.limit[layer] - (o + hl) < 4) {
      if (p.limit[layer] >= b.length && b.length < p.reported[layer]) p.markShort(layer, b.length + 1, 'Quoted transport header cut by the capture length');
      return STOP;
    }
    const next = ipProtocols.get(proto);
    return next === STOP ? data.id : next;
  },
  summary(p, layer) {
    const b = p.bufferOf(layer);
    const o = p.start[layer];
    // packet-ip.c appends each address as it adds its item: none past a bogus header length.
    if (b.length < o + 16 || (b[o] >> 4 === 4 && (b[o] & 15) * 4 < MIN_HEADER)) return 'Internet Protocol Version 4';
    const src = `Internet Protocol Version 4, Src: ${ipv4ToString(u32(b, o + 12))}`;
    return b.length < o + 20 ? src : `${src}, Dst: ${ipv4ToString(u32(b, o + 16))}`;
  },
  /*
   * Items in Wireshark 4.0's order (dissect_ip_v4), each only when its bytes were captured:
   * tshark stops the whole tree at the first read past the captured data.
   */
  tree(p, layer, s) {
    const b = p.bufferOf(layer);
    const o = p.start[layer];
    const f = ipFields;
    const cap = b.length;
    if (cap < o + 1) return;
    const version = b[o] >> 4;
    // Raw IPv4 link type (228): Wireshark's generic "ip" dissector hands IPv6 on without an item.
    if (version === 6 && layer === 1 && p.linkType === 228) return;
    s.add(f.version, b, o, 1);
    if (version !== 4) return;
    const hl = (b[o] & 0x0f) * 4;
    s.add(f.hdr_len, b, o, 1, hl, 0, s.wantsLabels ? `.... ${((b[o] & 15) >>> 0).toString(2).padStart(4, '0')} = Header Length: ${hl} bytes (${hl / 4})` : undefined);
    if (hl < MIN_HEADER) {
      const message = `Bogus IP header length (${hl}, must be at least ${MIN_HEADER})`;
      p.expert(layer, 'error', 'protocol', 'ip.bogus_header_length', message);
      s.anchor?.(message);
      return;
    }
    if (cap < o + 2) return;
    s.add(f.dsfield, b, o + 1, 1, undefined, 0, s.wantsLabels ? `Differentiated Services Field: 0x${b[o + 1].toString(16).padStart(2, '0')} ${dsfieldText(b[o + 1])}` : undefined);
    s.push();
    s.add(f['dsfield.dscp'], b, o + 1, 1);
    s.add(f['dsfield.ecn'], b, o + 1, 1);
    s.pop();
    if (cap < o + 4) return;
    const total = u16(b, o + 2);
    if (total === 0) {
      // TSO: the length the frame reports, as a generated item.
      const reported = p.reported[layer] - o;
      s.add(f.len, b, o + 2, 2, reported, GENERATED, s.wantsLabels ? `[Total Length: ${reported} bytes (reported as 0, presumed to be because of "TCP segmentation offload" (TSO))]` : undefined);
    } else {
      s.add(f.len, b, o + 2, 2);
      // Raised by decode too, unless the header itself was cut short before it got there.
      const reportedLength = p.reported[layer] - o;
      if (total > reportedLength && !p.isQuoted(layer)) p.expert(layer, 'error', 'protocol', 'ip.len', `IPv4 total length exceeds packet length (${reportedLength} bytes)`);
      anchorExperts(s, p, layer, 'ip.len');
      if (total < hl) return;
    }
    if (cap < o + 6) return;
    s.add(f.id, b, o + 4, 2);
    if (cap < o + 8) return;
    s.add(f.flags, b, o + 6, 1, undefined, 0, s.wantsLabels ? bitmaskLabel(f.flags, b[o + 6], [f['flags.rb'], f['flags.df'], f['flags.mf']]) : undefined);
    s.push();
    s.add(f['flags.rb'], b, o + 6, 1);
    s.add(f['flags.df'], b, o + 6, 1);
    s.add(f['flags.mf'], b, o + 6, 1);
    s.pop();
    // The tree shows the offset in bytes (the field keeps the 8-byte units).
    const ff = u16(b, o + 6);
    s.add(f.frag_offset, b, o + 6, 2, undefined, 0, s.wantsLabels ? `${bitPattern(0x1fff, 16, ff)} = Fragment Offset: ${(ff & 0x1fff) * 8}` : undefined);
    if (cap < o + 9) return;
    s.add(f.ttl, b, o + 8, 1);
    ttlExpert(p, layer, b[o + 8], u32(b, o + 16), b[o + 9], s);
    if (cap < o + 10) return;
    s.add(f.proto, b, o + 9, 1);
    if (cap < o + 12) return;
    const verify = ipv4Preferences.verifyChecksum && cap >= o + hl;
    // Unverified, packet-ip.c says why: `0x35b0 [validation disabled]`.
    const why = ipv4Preferences.verifyChecksum ? 'not all data available' : 'validation disabled';
    s.add(f.checksum, b, o + 10, 2, undefined, 0, s.wantsLabels && !verify ? `Header Checksum: 0x${u16(b, o + 10).toString(16).padStart(4, '0')} [${why}]` : undefined);
    if (verify) {
      const sum = onesComplementSum(b, o, hl);
      const stored = u16(b, o + 10);
      const calculated = (~(onesComplementSum(b, o, 10) + onesComplementSum(b, o + 12, hl - 12)) & 0xffff) || 0xffff;
      s.push();
      s.add(f.checksum_calculated, b, o + 10, 2, sum === 0xffff ? stored : calculated, GENERATED);
      s.pop();
      s.add(f['checksum.status'], b, o + 10, 0, sum === 0xffff ? 1 : 0, GENERATED);
      if (sum !== 0xffff) p.expert(layer, 'error', 'checksum', 'ip.checksum_bad.expert', 'Bad checksum');
    } else {
      s.add(f['checksum.status'], b, o + 10, 0, 2, GENERATED);
    }
    if (cap < o + 16) return;
    addAddress(s, b, o + 12, f.src, f.src_host);
    const dstOffset = hl > MIN_HEADER ? destinationOffset(b, o + MIN_HEADER, hl - MIN_HEADER, cap) : 0;
    if (dstOffset < 0 || cap < o + 20 + dstOffset) return;
    if (dstOffset) s.add(f.cur_rt, b, o + 16, 4);
    else addAddress(s, b, o + 16, f.dst, f.dst_host);
    if (hl > MIN_HEADER) {
      // `Options: (N bytes), Router Alert…`: the options' names as far as the walk gets.
      let names = '';
      if (s.wantsLabels) walkOptions(b, o + MIN_HEADER, hl - MIN_HEADER, cap, true, (type) => ((names += `, ${optionName(type)}`), true));
      s.add(textItem, b, o + MIN_HEADER, Math.min(hl, cap - o) - MIN_HEADER, null, 0, s.wantsLabels ? `Options: (${hl - MIN_HEADER} bytes)${names}` : undefined);
      s.push();
      const walk = walkOptions(b, o + MIN_HEADER, hl - MIN_HEADER, cap, true, (type, at, len) => {
        const ra = type === ROUTER_ALERT && len === 4 && at + 4 <= cap ? u16(b, at + 2) : -1;
        const raText = ra >= 0 ? `: ${ra === 0 ? 'Router shall examine packet' : 'Unknown'} (${ra})` : '';
        s.add(textItem, b, at, Math.min(len, cap - at), null, 0, s.wantsLabels ? `IP Option - ${optionName(type)}${len > 1 ? ` (${len} bytes)` : ''}${raText}` : undefined);
        s.push();
        s.add(f['opt.type'], b, at, 1, type);
        s.push();
        s.add(f['opt.type.copy'], b, at, 1);
        s.add(f['opt.type.class'], b, at, 1);
        s.add(f['opt.type.number'], b, at, 1);
        s.pop();
        if (len > 1) s.add(f['opt.len'], b, at + 1, 1);
        if (ra >= 0) s.add(f['opt.ra'], b, at + 2, 2);
        const ok = type === LOOSE_SOURCE_ROUTE || type === STRICT_SOURCE_ROUTE ? routeDestination(b, at, len, cap, s) : true;
        s.pop();
        return ok;
      });
      s.pop();
      if (walk === OptionWalk.Truncated) return;
    }
    const r = p.notes.get(`ip.reassembly.${layer}`) as Reassembly | undefined;
    if (r) {
      for (const fr of r.frames) s.add(f.fragment, b, o, 0, fr.frame, GENERATED);
      s.add(f['fragment.count'], b, o, 0, r.frames.length, GENERATED);
      s.add(f['reassembled.length'], b, o, 0, r.length, GENERATED);
    }
  },
});

/**
 * The final destination inside a source route option (Wireshark's dissect_ipopt_route adds
 * `ip.dst` there when the route is still being followed). False when truncated.
 */
function routeDestination(b: Uint8Array, at: number, len: number, cap: number, s: Sink): boolean {
  if (at + 3 > cap) return false;
  const ptr = b[at + 2];
  if (ptr < 4 || ptr & 3) return true;
  for (let slot = 3; len - slot > 0; slot += 4) {
    if (len - slot < 4) break;
    if (at + slot + 4 > cap) return false;
    if (ptr <= len && slot === len - 4) addAddress(s, b, at + slot, ipFields.dst, ipFields.dst_host);
  }
  return true;
}

etherTypes.add(0x0800, ipv4);
// Raw IP link types carry IPv4 or IPv6 by version nibble; see raw.ts. 228 is IPv4 only.
linkTypes.add(228, ipv4);
ipProtocols.add(4, ipv4);

// ---- Packet-list columns (Wireshark's Info text) ----
/** Names of IP protocol numbers for the Info text beyond the common ones (Wireshark's ipproto table). */
const moreProtocolNames: Record<number, string> = { 40: 'IL', 63: 'any local network', 64: 'SATNET EXPAK', 106: 'QNX', 113: 'PGM', 115: 'L2TP' };

/** packet-ip.c's `ipprotostr`: the name of an IP protocol number. */
export function ipProtocolName(proto: number): string {
  return ipProtocolNames[proto] ?? moreProtocolNames[proto] ?? 'Unknown';
}

/**
 * Protocol `IPv4`, the addresses, and the Info text packet-ip.c writes when nothing above it
 * does: a fragment not reassembled, an unknown protocol, a bogus header.
 */
ipv4.info = (p, layer, col) => {
  const b = p.bufferOf(layer);
  const o = p.start[layer];
  col.setProtocol('IPv4');
  col.clear();
  if (b.length < o + 1) return;
  const version = b[o] >> 4;
  if (version !== 4) {
    if (version !== 6) {
      col.set(`Bogus IPv4 version (${version}, must be 4)`);
      col.quiet(layer);
    }
    return;
  }
  const hl = (b[o] & 0x0f) * 4;
  if (hl < MIN_HEADER) {
    col.set(`Bogus IP header length (${hl}, must be at least ${MIN_HEADER})`);
    col.quiet(layer);
    return;
  }
  if (b.length < o + MIN_HEADER) return;
  const total = u16(b, o + field.totalLength);
  if (total !== 0 && total < hl) {
    col.set(`Bogus IP length (${total}, less than header length ${hl})`);
    col.quiet(layer);
    return;
  }
  col.setAddresses(ipv4ToString(u32(b, o + field.src)), ipv4ToString(u32(b, o + field.dst)));
  const proto = b[o + field.protocol];
  const ff = u16(b, o + field.flagsFragment);
  const next = layer + 1 < p.layers && p.parent[layer + 1] === p.parent[layer] ? layer + 1 : -1;
  const reassembled = next >= 0 && p.bufIndex[next] !== p.bufIndex[layer];
  if (ff & 0x3fff && !reassembled && p.fragmentedBy !== layer) {
    col.set(`Fragmented IP protocol (proto=${ipProtocolName(proto)} ${proto}, off=${(ff & 0x1fff) * 8}, ID=${u16(b, o + field.id).toString(16).padStart(4, '0')})`);
  } else if (next >= 0 && p.proto[next] === data.id) {
    col.set(`${ipProtocolName(proto)} (${proto})`);
  }
};

/** Local Network Control Block groups (224.0.0.0/24) whose senders use another TTL than 1 (packet-ip.c). */
const controlBlockTtl = new Map<number, number>([
  [0xe0000012, 255], // VRRP (RFC 3768)
  [0xe0000066, 255], // Cisco GLBP
  [0xe00000fb, 255], // mDNS
  [0xe00000fc, -1], // LLMNR (RFC 4795): any TTL
]);

/**
 * packet-ip.c's TTL remarks: a datagram to the Local Network Control Block must have the
 * group's TTL (1 unless listed), a unicast one with a TTL under 5 (not PIM or OSPF) is noted.
 */
function ttlExpert(p: Packet, layer: number, ttl: number, dst: number, protocol: number, s: Sink): void {
  if (dst >>> 8 === 0xe00000) {
    const valid = controlBlockTtl.get(dst) ?? 1;
    if (valid !== -1 && ttl !== valid) {
      const message = `"Time To Live" != ${valid} for a packet sent to the Local Network Control Block (see RFC 3171)`;
      p.expert(layer, 'warn', 'sequence', 'ip.ttl.lncb', message);
      s.anchor?.(message);
    }
  } else if (ttl < 5 && dst >>> 28 !== 0xe && protocol !== 103 && protocol !== 89) {
    const message = `"Time To Live" only ${ttl}`;
    p.expert(layer, 'note', 'sequence', 'ip.ttl.too_small', message);
    s.anchor?.(message);
  }
}
