/**
 * DNS (RFC 1035) over UDP and TCP port 53, field names as Wireshark 4.0's `packet-dns.c`:
 * header and flags (`dns.flags.rcode`…), questions, answer/authority/additional records of the
 * common types (A, AAAA, CNAME, NS, PTR, MX, TXT, SOA, SRV), EDNS OPT (RFC 6891).
 *
 * Names follow compression pointers (RFC 1035 §4.1.4) with a bound on jumps: a pointer loop
 * or a pointer outside the message marks the packet malformed and stops there. Over TCP each
 * message has a 2-byte length prefix (RFC 7766), framed like the other stream protocols.
 */
import { ipv4ToString, u16, u32 } from '../decode/bytes.js';
import { dissectorByName, registerDissector, STOP, tcpPorts, udpPorts } from '../decode/dissector.js';
import type { Packet } from '../decode/packet.js';
import { defineFields } from '../fields/field.js';
import type { Sink } from '../fields/sink.js';
import { GENERATED } from '../fields/value.js';
import { addNeedsReassembly, capturedEnd, definePduFields, endPdu } from './_pdu.js';
import { resumePdu } from './desegment.js';
import { conversationOf, mayUpdate, setSummary, SUMMARY_ERROR, SUMMARY_INFO, SUMMARY_OUTCOME } from './conversation-state.js';

export const DNS_PORT = 53;
const HEADER = 12;
/** Compression pointers followed per name at most (a loop hits this). */
const MAX_JUMPS = 64;
/** Records walked per message at most. */
const MAX_RECORDS = 1024;

export const rcodeNames: Record<number, string> = {
  0: 'No error', 1: 'Format error', 2: 'Server failure', 3: 'No such name', 4: 'Not implemented', 5: 'Refused',
  6: 'Name exists', 7: 'RRset exists', 8: 'RRset does not exist', 9: 'Not authoritative', 10: 'Name out of zone',
};
/** Short rcode words for summaries (`NXDOMAIN for db.example`). */
export const rcodeWords: Record<number, string> = {
  0: 'NOERROR', 1: 'FORMERR', 2: 'SERVFAIL', 3: 'NXDOMAIN', 4: 'NOTIMP', 5: 'REFUSED', 6: 'YXDOMAIN', 7: 'YXRRSET', 8: 'NXRRSET', 9: 'NOTAUTH', 10: 'NOTZONE',
};
export const typeNames: Record<number, string> = {
  1: 'A', 2: 'NS', 5: 'CNAME', 6: 'SOA', 12: 'PTR', 15: 'MX', 16: 'TXT', 28: 'AAAA', 33: 'SRV', 41: 'OPT', 43: 'DS', 46: 'RRSIG',
  47: 'NSEC', 48: 'DNSKEY', 64: 'SVCB', 65: 'HTTPS', 255: 'ANY', 257: 'CAA',
};

const flag = (display: string, mask: number) => ({ display, type: 'bool' as const, mask, bits: 16 });

export const dnsFields = defineFields('dns', {
  length: { display: 'Length', type: 'uint16', base: 'dec' },
  id: { display: 'Transaction ID', type: 'uint16', base: 'hex' },
  flags: { display: 'Flags', type: 'uint16', base: 'hex' },
  'flags.response': flag('Response', 0x8000),
  'flags.opcode': { display: 'Opcode', type: 'uint16', base: 'dec', mask: 0x7800, bits: 16 },
  'flags.authoritative': flag('Authoritative', 0x400),
  'flags.truncated': flag('Truncated', 0x200),
  'flags.recdesired': flag('Recursion desired', 0x100),
  'flags.recavail': flag('Recursion available', 0x80),
  'flags.z': flag('Z', 0x40),
  'flags.authenticated': flag('Answer authenticated', 0x20),
  'flags.checkdisable': flag('Non-authenticated data', 0x10),
  'flags.rcode': { display: 'Reply code', type: 'uint16', base: 'dec', mask: 0xf, bits: 16, values: rcodeNames },
  'count.queries': { display: 'Questions', type: 'uint16', base: 'dec' },
  'count.answers': { display: 'Answer RRs', type: 'uint16', base: 'dec' },
  'count.auth_rr': { display: 'Authority RRs', type: 'uint16', base: 'dec' },
  'count.add_rr': { display: 'Additional RRs', type: 'uint16', base: 'dec' },
  'qry.name': { display: 'Name', type: 'string' },
  'qry.name.len': { display: 'Name Length', type: 'uint16', base: 'dec' },
  'count.labels': { display: 'Label Count', type: 'uint16', base: 'dec' },
  'qry.type': { display: 'Type', type: 'uint16', base: 'dec', values: typeNames },
  'qry.class': { display: 'Class', type: 'uint16', base: 'hex' },
  'resp.name': { display: 'Name', type: 'string' },
  'resp.type': { display: 'Type', type: 'uint16', base: 'dec', values: typeNames },
  'resp.class': { display: 'Class', type: 'uint16', base: 'hex' },
  'resp.ttl': { display: 'Time to live', type: 'uint32', base: 'dec' },
  'resp.len': { display: 'Data length', type: 'uint16', base: 'dec' },
  a: { display: 'Address', type: 'ipv4' },
  aaaa: { display: 'AAAA Address', type: 'ipv6' },
  cname: { display: 'CNAME', type: 'string' },
  ns: { display: 'Name Server', type: 'string' },
  'ptr.domain_name': { display: 'Domain Name', type: 'string' },
  'mx.preference': { display: 'Preference', type: 'uint16', base: 'dec' },
  'mx.mail_exchange': { display: 'Mail Exchange', type: 'string' },
  txt: { display: 'TXT', type: 'string' },
  'txt.length': { display: 'TXT Length', type: 'uint8', base: 'dec' },
  'soa.mname': { display: 'Primary name server', type: 'string' },
  'soa.rname': { display: "Responsible authority's mailbox", type: 'string' },
  'soa.serial_number': { display: 'Serial Number', type: 'uint32', base: 'dec' },
  'soa.refresh_interval': { display: 'Refresh Interval', type: 'uint32', base: 'dec' },
  'soa.retry_interval': { display: 'Retry Interval', type: 'uint32', base: 'dec' },
  'soa.expire_limit': { display: 'Expire limit', type: 'uint32', base: 'dec' },
  'soa.minimum_ttl': { display: 'Minimum TTL', type: 'uint32', base: 'dec' },
  'srv.service': { display: 'Service', type: 'string' },
  'srv.proto': { display: 'Protocol', type: 'string' },
  'srv.name': { display: 'Name', type: 'string' },
  'srv.priority': { display: 'Priority', type: 'uint16', base: 'dec' },
  'srv.weight': { display: 'Weight', type: 'uint16', base: 'dec' },
  'srv.port': { display: 'Port', type: 'uint16', base: 'dec' },
  'srv.target': { display: 'Target', type: 'string' },
  'rr.udp_payload_size': { display: 'UDP payload size', type: 'uint16', base: 'dec' },
  'resp.ext_rcode': { display: 'Higher bits in extended RCODE', type: 'uint8', base: 'hex' },
  'resp.edns0_version': { display: 'EDNS0 version', type: 'uint8', base: 'dec' },
  'resp.z': { display: 'Z', type: 'uint16', base: 'hex' },
  'resp.z.do': { display: 'DO bit', type: 'bool', mask: 0x8000, bits: 16 },
  'resp.z.reserved': { display: 'Reserved', type: 'uint16', base: 'hex', mask: 0x7fff, bits: 16 },
  opt: { display: 'Option', type: 'none' },
  'opt.code': { display: 'Option Code', type: 'uint16', base: 'dec' },
  'opt.len': { display: 'Option Length', type: 'uint16', base: 'dec' },
  'opt.data': { display: 'Option Data', type: 'bytes' },
  'name.malformed': { display: 'Malformed name', type: 'string', description: 'wiresage: compression loop or pointer out of the message' },
});

export const dnsPduFields = definePduFields('dns');

/** Result of reading a name (reused). */
export interface NameRead {
  name: string;
  /** Offset after the name where it is written (after the first pointer, if any). */
  next: number;
  labels: number;
  /** Why the name could not be read, or ''. */
  error: string;
}

/** A name's text as bytes: at most 1024 characters and one more label (63 bytes, 4 characters each when escaped). */
const nameText = new Uint8Array(2048);
/** Node's native latin1 decoding of a byte range (Buffer's, callable on any Uint8Array). */
const latin1Slice = (Buffer.prototype as unknown as { latin1Slice: (this: Uint8Array, start: number, end: number) => string }).latin1Slice;

/**
 * Reads a (possibly compressed) name at `at` of the message `b[msg..end)`. Pointer loops and
 * pointers out of the message give `error`, never an endless walk.
 */
export function readName(b: Uint8Array, msg: number, at: number, end: number, out: NameRead = { name: '', next: 0, labels: 0, error: '' }): NameRead {
  // The text is written as bytes into `nameText` and made a string once.
  let n = 0;
  let labels = 0;
  let next = -1;
  let jumps = 0;
  let pos = at;
  out.error = '';
  for (;;) {
    if (pos >= end) {
      out.error = 'name runs past the end of the message';
      break;
    }
    const len = b[pos];
    if (len === 0) {
      if (next < 0) next = pos + 1;
      break;
    }
    if ((len & 0xc0) === 0xc0) {
      if (pos + 1 >= end) {
        out.error = 'compression pointer cut short';
        break;
      }
      const target = msg + (((len & 0x3f) << 8) | b[pos + 1]);
      if (next < 0) next = pos + 2;
      if (target >= end) {
        out.error = `compression pointer to ${target - msg} is outside the message`;
        break;
      }
      if (++jumps > MAX_JUMPS || target === pos) {
        out.error = 'compression pointer loop';
        break;
      }
      pos = target;
      continue;
    }
    if ((len & 0xc0) !== 0) {
      out.error = `unknown label type 0x${(len & 0xc0).toString(16)}`;
      break;
    }
    if (pos + 1 + len > end) {
      out.error = 'label runs past the end of the message';
      break;
    }
    if (n !== 0) nameText[n++] = 0x2e;
    for (let i = pos + 1; i <= pos + len; i++) {
      const c = b[i];
      // As Wireshark: dots inside labels and non-printable bytes escaped (`\.`, `\ddd`).
      if (c === 0x2e) {
        nameText[n++] = 0x5c;
        nameText[n++] = 0x2e;
      } else if (c < 0x21 || c > 0x7e) {
        nameText[n++] = 0x5c;
        nameText[n++] = 0x30 + ((c / 100) | 0);
        nameText[n++] = 0x30 + (((c / 10) | 0) % 10);
        nameText[n++] = 0x30 + (c % 10);
      } else nameText[n++] = c;
    }
    labels++;
    if (n > 1024) {
      out.error = 'name longer than 1024 characters';
      break;
    }
    pos += 1 + len;
  }
  out.name = labels === 0 && !out.error ? '<Root>' : n === 0 ? '' : latin1Slice.call(nameText, 0, n);
  out.labels = labels;
  out.next = next < 0 ? end : next;
  return out;
}

/**
 * Where the name at `at` ends in place (after its first pointer), validating it as `readName`
 * does but building no text; -1 when it is malformed.
 */
export function skipName(b: Uint8Array, msg: number, at: number, end: number): number {
  let next = -1;
  let jumps = 0;
  let pos = at;
  let chars = 0;
  for (;;) {
    if (pos >= end) return -1;
    const len = b[pos];
    if (len === 0) return next < 0 ? pos + 1 : next;
    if ((len & 0xc0) === 0xc0) {
      if (pos + 1 >= end) return -1;
      const target = msg + (((len & 0x3f) << 8) | b[pos + 1]);
      if (next < 0) next = pos + 2;
      if (target >= end || ++jumps > MAX_JUMPS || target === pos) return -1;
      pos = target;
      continue;
    }
    if ((len & 0xc0) !== 0 || pos + 1 + len > end) return -1;
    chars += len + 1;
    if (chars > 1024) return -1;
    pos += 1 + len;
  }
}

/** Bytes a DNS-over-TCP message at `off` needs: 2-byte length + message. */
export function pduLength(buf: Uint8Array, off: number, avail: number): number | undefined {
  return avail < 2 ? undefined : 2 + u16(buf, off);
}

const scratch: NameRead = { name: '', next: 0, labels: 0, error: '' };

function isTcp(p: Packet, layer: number): boolean {
  // Over TCP the layer below is TCP (its dissector is named 'tcp').
  if (tcpId === -2) tcpId = dissectorByName('tcp')?.id ?? -1;
  return layer > 0 && p.proto[layer - 1] === tcpId;
}
let tcpId = -2;

export const dns = registerDissector({
  name: 'dns',
  display: 'Domain Name System',
  decode(p, layer) {
    if (resumePdu(p, layer)) return STOP;
    const b = p.bufferOf(layer);
    const o = p.start[layer];
    const end = capturedEnd(p, layer);
    if (isTcp(p, layer) || (layer > 0 && p.proto[layer - 1] === dns.id)) {
      const length = pduLength(b, o, end - o);
      if (length !== undefined && o + length <= end) check(p, layer, b, o + 2, o + length);
      return endPdu(p, layer, length, dns.id);
    }
    p.end[layer] = p.limit[layer];
    check(p, layer, b, o, end);
    return STOP;
  },
  summary(p, layer) {
    const b = p.bufferOf(layer);
    const o = p.start[layer] + (isTcp(p, layer) || p.proto[layer - 1] === dns.id ? 2 : 0);
    if (b.length < o + HEADER) return 'Domain Name System';
    const response = (b[o + 2] & 0x80) !== 0;
    return `Domain Name System (${response ? 'response' : 'query'})`;
  },
  tree(p, layer, s) {
    const b = p.bufferOf(layer);
    let o = p.start[layer];
    const end = Math.min(p.end[layer], b.length);
    if (isTcp(p, layer) || p.proto[layer - 1] === dns.id) {
      if (end - o < 2) {
        addNeedsReassembly(s, dnsPduFields, b, o, end - o, undefined);
        return;
      }
      s.add(dnsFields.length, b, o, 2);
      const need = 2 + u16(b, o);
      if (o + need > end) {
        addNeedsReassembly(s, dnsPduFields, b, o, end - o, need);
        return;
      }
      o += 2;
    }
    treeMessage(p, layer, s, b, o, end);
  },
});

/** Decode-time pass: malformed marks (names, counts) and the conversation summary. */
function check(p: Packet, layer: number, b: Uint8Array, o: number, end: number): void {
  if (end - o < HEADER) {
    if (end - o > 0) p.markShort(layer, o + HEADER, 'DNS header shorter than 12 bytes');
    return;
  }
  const flags = u16(b, o + 2);
  const response = (flags & 0x8000) !== 0;
  const rcode = flags & 0xf;
  const questions = u16(b, o + 4);
  let question = '';
  let qtype = 0;
  if (questions > 0) {
    const n = readName(b, o, o + HEADER, end, scratch);
    if (n.error) {
      if (end < p.limit[layer] && /past the end|cut short/.test(n.error)) p.markShort(layer, p.limit[layer], 'DNS name');
      else p.markMalformed(layer, `DNS name: ${n.error}`);
      return;
    }
    question = n.name;
    if (n.next + 4 <= end) qtype = u16(b, n.next);
  }
  const st = conversationOf(p);
  if (!st || !mayUpdate(st, p, layer)) return;
  const what = () => `${question || '?'}${qtype ? ` ${typeNames[qtype] ?? `TYPE${qtype}`}` : ''}`;
  if (!response) {
    setSummary(st, 'dns', SUMMARY_INFO, () => `query ${what()} (no answer seen)`);
    return;
  }
  if (rcode !== 0) {
    setSummary(st, 'dns', SUMMARY_ERROR, `${rcodeWords[rcode] ?? `RCODE ${rcode}`} for ${question || '?'}`);
    return;
  }
  const answer = firstAnswer(b, o, end) ?? 'no answer records';
  setSummary(st, 'dns', SUMMARY_OUTCOME, () => `${what()}: ${answer}`);
}

/** Text of the first A/AAAA/CNAME answer, for the summary (names walked without building text). */
function firstAnswer(b: Uint8Array, o: number, end: number): string | undefined {
  let at = o + HEADER;
  const qd = u16(b, o + 4);
  const an = u16(b, o + 6);
  for (let i = 0; i < qd && i < MAX_RECORDS; i++) {
    const next = skipName(b, o, at, end);
    if (next < 0) return undefined;
    at = next + 4;
  }
  let answers = 0;
  let text = '';
  for (let i = 0; i < an && i < MAX_RECORDS && at < end; i++) {
    const next = skipName(b, o, at, end);
    if (next < 0 || next + 10 > end) break;
    const type = u16(b, next);
    const len = u16(b, next + 8);
    const data = next + 10;
    if (data + len > end) break;
    answers++;
    if (!text) {
      if (type === 1 && len === 4) text = `A ${ipv4ToString(u32(b, data))}`;
      else if (type === 5) text = `CNAME ${readName(b, o, data, end, scratch).name}`;
      else if (type === 28 && len === 16) text = 'AAAA';
    }
    at = data + len;
  }
  if (!answers) return undefined;
  return answers > 1 ? `${text || 'answer'} (+${answers - 1} more)` : text || `${answers} answer`;
}

function treeMessage(p: Packet, layer: number, s: Sink, b: Uint8Array, o: number, end: number): void {
  const f = dnsFields;
  if (end - o < 2) return;
  s.add(f.id, b, o, 2);
  if (end - o < 4) return;
  s.add(f.flags, b, o + 2, 2);
  s.push();
  const response = (b[o + 2] & 0x80) !== 0;
  s.add(f['flags.response'], b, o + 2, 2);
  s.add(f['flags.opcode'], b, o + 2, 2);
  if (response) s.add(f['flags.authoritative'], b, o + 2, 2);
  s.add(f['flags.truncated'], b, o + 2, 2);
  s.add(f['flags.recdesired'], b, o + 2, 2);
  if (response) s.add(f['flags.recavail'], b, o + 2, 2);
  s.add(f['flags.z'], b, o + 2, 2);
  if (response) s.add(f['flags.authenticated'], b, o + 2, 2);
  s.add(f['flags.checkdisable'], b, o + 2, 2);
  if (response) s.add(f['flags.rcode'], b, o + 2, 2);
  s.pop();
  if (end - o < HEADER) return;
  s.add(f['count.queries'], b, o + 4, 2);
  s.add(f['count.answers'], b, o + 6, 2);
  s.add(f['count.auth_rr'], b, o + 8, 2);
  s.add(f['count.add_rr'], b, o + 10, 2);
  let at = o + HEADER;
  const name: NameRead = { name: '', next: 0, labels: 0, error: '' };
  const qd = u16(b, o + 4);
  for (let i = 0; i < qd && i < MAX_RECORDS && at < end; i++) {
    readName(b, o, at, end, name);
    if (name.error) {
      s.add(f['name.malformed'], b, at, end - at, name.error, GENERATED);
      return;
    }
    s.add(f['qry.name'], b, at, name.next - at, name.name);
    s.add(f['qry.name.len'], b, at, name.next - at, name.name === '<Root>' ? 6 : name.name.length, GENERATED);
    s.add(f['count.labels'], b, at, name.next - at, name.labels, GENERATED);
    if (name.next + 4 > end) return;
    s.add(f['qry.type'], b, name.next, 2);
    s.add(f['qry.class'], b, name.next + 2, 2);
    at = name.next + 4;
  }
  const total = u16(b, o + 6) + u16(b, o + 8) + u16(b, o + 10);
  for (let i = 0; i < total && i < MAX_RECORDS && at < end; i++) {
    at = treeRecord(s, b, o, at, end, name);
    if (at < 0) return;
  }
}

/** Adds one resource record; returns the offset after it, or -1 when it cannot go on. */
function treeRecord(s: Sink, b: Uint8Array, o: number, at: number, end: number, name: NameRead): number {
  const f = dnsFields;
  readName(b, o, at, end, name);
  if (name.error) {
    s.add(f['name.malformed'], b, at, end - at, name.error, GENERATED);
    return -1;
  }
  const owner = name.name;
  const start = at;
  at = name.next;
  if (at + 10 > end) return -1;
  const type = u16(b, at);
  const len = u16(b, at + 8);
  const data = at + 10;
  const srv = type === 33 ? /^(_[^.]+)\.(_[^.]+)\.(.+)$/.exec(owner) : null;
  if (srv) {
    // As tshark: an SRV owner name shows as service, protocol and name.
    s.add(f['srv.service'], b, start, name.next - start, srv[1]);
    s.add(f['srv.proto'], b, start, name.next - start, srv[2]);
    s.add(f['srv.name'], b, start, name.next - start, srv[3]);
  } else s.add(f['resp.name'], b, start, name.next - start, owner);
  s.add(f['resp.type'], b, at, 2);
  if (type === 41) {
    s.add(f['rr.udp_payload_size'], b, at + 2, 2);
    s.add(f['resp.ext_rcode'], b, at + 4, 1);
    s.add(f['resp.edns0_version'], b, at + 5, 1);
    s.add(f['resp.z'], b, at + 6, 2);
    s.push();
    s.add(f['resp.z.do'], b, at + 6, 2);
    s.add(f['resp.z.reserved'], b, at + 6, 2);
    s.pop();
    s.add(f['resp.len'], b, at + 8, 2);
    let x = data;
    const stop = Math.min(end, data + len);
    while (x + 4 <= stop) {
      const olen = u16(b, x + 2);
      s.add(f.opt, b, x, Math.min(4 + olen, stop - x));
      s.push();
      s.add(f['opt.code'], b, x, 2);
      s.add(f['opt.len'], b, x + 2, 2);
      if (olen > 0 && x + 4 + olen <= stop) s.add(f['opt.data'], b, x + 4, olen);
      s.pop();
      x += 4 + olen;
    }
    return data + len;
  }
  s.add(f['resp.class'], b, at + 2, 2);
  s.add(f['resp.ttl'], b, at + 4, 4);
  s.add(f['resp.len'], b, at + 8, 2);
  if (data + len > end) return -1;
  const rdEnd = data + len;
  switch (type) {
    case 1:
      if (len === 4) s.add(f.a, b, data, 4);
      break;
    case 28:
      if (len === 16) s.add(f.aaaa, b, data, 16);
      break;
    case 2: case 5: case 12: {
      readName(b, o, data, end, name);
      if (!name.error) s.add(type === 2 ? f.ns : type === 5 ? f.cname : f['ptr.domain_name'], b, data, len, name.name);
      break;
    }
    case 15: {
      if (len < 3) break;
      s.add(f['mx.preference'], b, data, 2);
      readName(b, o, data + 2, end, name);
      if (!name.error) s.add(f['mx.mail_exchange'], b, data + 2, len - 2, name.name);
      break;
    }
    case 16: {
      let x = data;
      while (x < rdEnd) {
        const l = b[x];
        s.add(f['txt.length'], b, x, 1);
        const stop = Math.min(rdEnd, x + 1 + l);
        let text = '';
        for (let i = x + 1; i < stop; i++) text += String.fromCharCode(b[i]);
        s.add(f.txt, b, x + 1, stop - x - 1, text);
        x = stop;
      }
      break;
    }
    case 6: {
      readName(b, o, data, end, name);
      if (name.error) break;
      s.add(f['soa.mname'], b, data, name.next - data, name.name);
      const r = name.next;
      readName(b, o, r, end, name);
      if (name.error) break;
      s.add(f['soa.rname'], b, r, name.next - r, name.name);
      const x = name.next;
      if (x + 20 > rdEnd) break;
      s.add(f['soa.serial_number'], b, x, 4);
      s.add(f['soa.refresh_interval'], b, x + 4, 4);
      s.add(f['soa.retry_interval'], b, x + 8, 4);
      s.add(f['soa.expire_limit'], b, x + 12, 4);
      s.add(f['soa.minimum_ttl'], b, x + 16, 4);
      break;
    }
    case 33: {
      if (len < 7) break;
      s.add(f['srv.priority'], b, data, 2);
      s.add(f['srv.weight'], b, data + 2, 2);
      s.add(f['srv.port'], b, data + 4, 2);
      readName(b, o, data + 6, end, name);
      if (!name.error) s.add(f['srv.target'], b, data + 6, len - 6, name.name);
      break;
    }
    default:
      break;
  }
  return rdEnd;
}

udpPorts.add(DNS_PORT, dns);
tcpPorts.add(DNS_PORT, dns);

// ---- Packet-list columns (Wireshark's Info text) ----
import { ipv6ToString } from '../decode/bytes.js';

/** Record type names as packet-dns.c's `dns_types_vals` (beyond the tree's common ones). */
const infoTypeNames: Record<number, string> = {
  ...typeNames, 3: 'MD', 4: 'MF', 7: 'MB', 8: 'MG', 9: 'MR', 10: 'NULL', 11: 'WKS', 13: 'HINFO', 14: 'MINFO', 17: 'RP', 18: 'AFSDB',
  19: 'X25', 20: 'ISDN', 21: 'RT', 22: 'NSAP', 23: 'NSAP-PTR', 24: 'SIG', 25: 'KEY', 26: 'PX', 27: 'GPOS', 29: 'LOC', 30: 'NXT',
  31: 'EID', 32: 'NIMLOC', 34: 'ATMA', 35: 'NAPTR', 36: 'KX', 37: 'CERT', 38: 'A6', 39: 'DNAME', 40: 'SINK', 42: 'APL',
  44: 'SSHFP', 45: 'IPSECKEY', 49: 'DHCID', 50: 'NSEC3', 51: 'NSEC3PARAM', 52: 'TLSA', 53: 'SMIMEA', 55: 'HIP', 56: 'NINFO',
  57: 'RKEY', 58: 'TALINK', 59: 'CDS', 60: 'CDNSKEY', 61: 'OPENPGPKEY', 62: 'CSYNC', 63: 'ZONEMD', 99: 'SPF', 100: 'UINFO',
  101: 'UID', 102: 'GID', 103: 'UNSPEC', 104: 'NID', 105: 'L32', 106: 'L64', 107: 'LP', 108: 'EUI48', 109: 'EUI64',
  249: 'TKEY', 250: 'TSIG', 251: 'IXFR', 252: 'AXFR', 253: 'MAILB', 254: 'MAILA', 256: 'URI', 258: 'AVC', 259: 'DOA',
  260: 'AMTRELAY', 32768: 'TA', 32769: 'DLV',
};
const opcodeNames: Record<number, string> = {
  0: 'Standard query', 1: 'Inverse query', 2: 'Server status request', 4: 'Zone change notification', 5: 'Dynamic update',
  6: 'DNS Stateful operations (DSO)',
};

/** ` A 192.0.2.1`, ` CNAME www.example.com`… for one record; -1 when the walk cannot go on. */
function recordInfo(b: Uint8Array, o: number, at: number, end: number, out: { text: string }): number {
  const n = readName(b, o, at, end, scratch);
  if (n.error || n.next + 10 > end) return -1;
  const type = u16(b, n.next);
  const len = u16(b, n.next + 8);
  const data = n.next + 10;
  out.text += ` ${infoTypeNames[type] ?? `Unknown (${type})`}`;
  if (data + len > end) return -1;
  const name = (x: number) => readName(b, o, x, end, scratch).name;
  switch (type) {
    case 1: if (len === 4) out.text += ` ${ipv4ToString(u32(b, data))}`; break;
    case 28: if (len === 16) out.text += ` ${ipv6ToString(b, data)}`; break;
    case 2: case 5: case 12: case 39: out.text += ` ${name(data)}`; break;
    case 6: out.text += ` ${name(data)}`; break;
    case 15: if (len >= 3) out.text += ` ${u16(b, data)} ${name(data + 2)}`; break;
    case 33: if (len >= 7) out.text += ` ${u16(b, data)} ${u16(b, data + 2)} ${u16(b, data + 4)} ${name(data + 6)}`; break;
  }
  return data + len;
}

/**
 * `Standard query 0x1234 A example.com`, `Standard query response 0x1234 A example.com A
 * 192.0.2.1` as packet-dns.c writes it: opcode, ID, the reply code when not 0, then each
 * question's type and name and each record's type and data.
 */
dns.info = (p, layer, col) => {
  const b = p.bufferOf(layer);
  let o = p.start[layer];
  const end = Math.min(b.length, p.end[layer]);
  col.setProtocol('DNS');
  col.clear();
  if (isTcp(p, layer) || p.proto[layer - 1] === dns.id) o += 2;
  if (end < o + 4) return;
  const flags = u16(b, o + 2);
  const opcode = (flags >> 11) & 0xf;
  const response = (flags & 0x8000) !== 0;
  const out = { text: `${opcodeNames[opcode] ?? `Unknown operation (${opcode})`}${response ? ' response' : ''} 0x${u16(b, o).toString(16).padStart(4, '0')}` };
  const rcode = flags & 0xf;
  if (response && rcode) out.text += ` ${rcodeNames[rcode] ?? `Unknown error (${rcode})`}`;
  if (end < o + HEADER) {
    col.set(out.text);
    return;
  }
  let at = o + HEADER;
  const qd = u16(b, o + 4);
  for (let i = 0; i < qd && i < MAX_RECORDS; i++) {
    const n = readName(b, o, at, end, scratch);
    if (n.error || n.next + 4 > end) break;
    const type = u16(b, n.next);
    out.text += ` ${infoTypeNames[type] ?? `Unknown (${type})`} ${n.name}`;
    at = n.next + 4;
  }
  const records = u16(b, o + 6) + u16(b, o + 8) + u16(b, o + 10);
  for (let i = 0; i < records && i < MAX_RECORDS && at >= 0 && at < end; i++) at = recordInfo(b, o, at, end, out);
  col.set(out.text);
};
