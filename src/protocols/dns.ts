/**
 * DNS (RFC 1035) over UDP and TCP port 53, field names as Wireshark 4.0's `packet-dns.c`:
 * header and flags (`dns.flags.rcode`…), questions, answer/authority/additional records of the
 * common types (A, AAAA, CNAME, NS, PTR, MX, TXT, SOA, SRV), EDNS OPT (RFC 6891).
 *
 * Names follow compression pointers (RFC 1035 §4.1.4) with a bound on jumps: a pointer loop
 * or a pointer outside the message marks the packet malformed and stops there. Over TCP each
 * message has a 2-byte length prefix (RFC 7766), framed like the other stream protocols.
 *
 * The detail tree reads as tshark -n -V (src/protocols/dns-tree.test.ts compares it line by
 * line): flags worded by their true/false strings, `Queries` / `Answers` / `Authoritative
 * nameservers` / `Additional records` subtrees with one summary line per record, EDNS options as
 * subtrees. Labels are built only for a tree (`s.wantsLabels`).
 *
 * Queries and responses are matched by transaction ID within their UDP/TCP conversation as
 * packet-dns.c does in tshark's single pass: `dns.response_to` and `dns.time` on a response,
 * `dns.retransmission` with `dns.retransmit_request_in` / `dns.retransmit_response_in` (and the
 * expert item under the ID), `dns.unsolicited`; `dns.response_in` only when a query is decoded
 * again after its response (tshark shows it with -2 only). At most MAX_TRANSACTIONS are kept per
 * conversation, the oldest forgotten first.
 */
import { ipv4ToString, ipv6ToString, u16, u32 } from '../decode/bytes.js';
import { addExpert } from '../decode/expert.js';
import { timeDifference } from '../decode/frame.js';
import { dissectorByName, registerDissector, STOP, tcpPorts, udpPorts } from '../decode/dissector.js';
import type { Packet } from '../decode/packet.js';
import { defineFields, textItem, type FieldDef } from '../fields/field.js';
import type { Sink } from '../fields/sink.js';
import { GENERATED } from '../fields/value.js';
import { addNeedsReassembly, capturedEnd, definePduFields, endPdu } from './_pdu.js';
import { resumePdu } from './desegment.js';
import { conversationOf, mayUpdate, type AppConversationState, setSummary, SUMMARY_ERROR, SUMMARY_INFO, SUMMARY_OUTCOME } from './conversation-state.js';

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

const flag = (display: string, mask: number, trueFalse: readonly [string, string]) => ({ display, type: 'bool' as const, mask, bits: 16, trueFalse });

/** Opcode names as packet-dns.c's `opcode_vals`. */
export const opcodeNames: Record<number, string> = {
  0: 'Standard query', 1: 'Inverse query', 2: 'Server status request', 4: 'Zone change notification', 5: 'Dynamic update',
  6: 'DNS Stateful operations (DSO)',
};
/** Class names as `dns_classes`. */
const classNames: Record<number, string> = { 1: 'IN', 2: 'CS', 3: 'CH', 4: 'HS', 254: 'NONE', 255: 'ANY' };

export const dnsFields = defineFields('dns', {
  length: { display: 'Length', type: 'uint16', base: 'dec' },
  id: { display: 'Transaction ID', type: 'uint16', base: 'hex' },
  flags: { display: 'Flags', type: 'uint16', base: 'hex' },
  'flags.response': flag('Response', 0x8000, ['Message is a response', 'Message is a query']),
  'flags.opcode': { display: 'Opcode', type: 'uint16', base: 'dec', mask: 0x7800, bits: 16, values: opcodeNames },
  'flags.authoritative': flag('Authoritative', 0x400, ['Server is an authority for domain', 'Server is not an authority for domain']),
  'flags.truncated': flag('Truncated', 0x200, ['Message is truncated', 'Message is not truncated']),
  'flags.recdesired': flag('Recursion desired', 0x100, ['Do query recursively', "Don't do query recursively"]),
  'flags.recavail': flag('Recursion available', 0x80, ['Server can do recursive queries', "Server can't do recursive queries"]),
  'flags.z': flag('Z', 0x40, ['reserved - incorrect!', 'reserved (0)']),
  'flags.authenticated': flag('Answer authenticated', 0x20, ['Answer/authority portion was authenticated by the server', 'Answer/authority portion was not authenticated by the server']),
  'flags.checkdisable': flag('Non-authenticated data', 0x10, ['Acceptable', 'Unacceptable']),
  'flags.rcode': { display: 'Reply code', type: 'uint16', base: 'dec', mask: 0xf, bits: 16, values: rcodeNames },
  'count.queries': { display: 'Questions', type: 'uint16', base: 'dec' },
  'count.answers': { display: 'Answer RRs', type: 'uint16', base: 'dec' },
  'count.auth_rr': { display: 'Authority RRs', type: 'uint16', base: 'dec' },
  'count.add_rr': { display: 'Additional RRs', type: 'uint16', base: 'dec' },
  'qry.name': { display: 'Name', type: 'string' },
  'qry.name.len': { display: 'Name Length', type: 'uint16', base: 'dec' },
  'count.labels': { display: 'Label Count', type: 'uint16', base: 'dec' },
  'qry.type': { display: 'Type', type: 'uint16', base: 'dec', values: typeNames },
  'qry.class': { display: 'Class', type: 'uint16', base: 'hex', values: classNames },
  'resp.name': { display: 'Name', type: 'string' },
  'resp.type': { display: 'Type', type: 'uint16', base: 'dec', values: typeNames },
  'resp.class': { display: 'Class', type: 'uint16', base: 'hex', values: classNames },
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
  'resp.z.do': { display: 'DO bit', type: 'bool', mask: 0x8000, bits: 16, trueFalse: ['Accepts DNSSEC security RRs', 'Cannot handle DNSSEC security RRs'] },
  'resp.z.reserved': { display: 'Reserved', type: 'uint16', base: 'hex', mask: 0x7fff, bits: 16 },
  opt: { display: 'Option', type: 'bool', presence: true },
  'opt.code': { display: 'Option Code', type: 'uint16', base: 'dec' },
  'opt.len': { display: 'Option Length', type: 'uint16', base: 'dec' },
  'opt.data': { display: 'Option Data', type: 'bytes' },
  'opt.dau': { display: 'DAU', type: 'uint8', base: 'dec' },
  'opt.dhu': { display: 'DHU', type: 'uint8', base: 'dec' },
  'opt.n3u': { display: 'N3U', type: 'uint8', base: 'dec' },
  'opt.client.family': { display: 'Family', type: 'uint16', base: 'dec' },
  'opt.client.netmask': { display: 'Source Netmask', type: 'uint8', base: 'dec' },
  'opt.client.scope': { display: 'Scope Netmask', type: 'uint8', base: 'dec' },
  'opt.client.addr4': { display: 'Client Subnet', type: 'ipv4' },
  'opt.client.addr6': { display: 'Client Subnet', type: 'ipv6' },
  'opt.cookie.client': { display: 'Client Cookie', type: 'bytes' },
  'opt.cookie.server': { display: 'Server Cookie', type: 'bytes' },
  'opt.edns_tcp_keepalive.timeout': { display: 'Timeout', type: 'uint16', base: 'dec' },
  'opt.padding': { display: 'Padding', type: 'bytes' },
  'opt.chain.fqdn': { display: 'Closest Trust Point', type: 'string' },
  'rrsig.type_covered': { display: 'Type Covered', type: 'uint16', base: 'dec', values: typeNames },
  'rrsig.algorithm': { display: 'Algorithm', type: 'uint8', base: 'dec' },
  'rrsig.labels': { display: 'Labels', type: 'uint8', base: 'dec' },
  'rrsig.original_ttl': { display: 'Original TTL', type: 'uint32', base: 'dec' },
  'rrsig.signature_expiration': { display: 'Signature Expiration', type: 'abstime' },
  'rrsig.signature_inception': { display: 'Signature Inception', type: 'abstime' },
  'rrsig.key_tag': { display: 'Key Tag', type: 'uint16', base: 'dec' },
  'rrsig.signers_name': { display: "Signer's name", type: 'string' },
  'rrsig.signature': { display: 'Signature', type: 'bytes' },
  'sshfp.algorithm': { display: 'Algorithm', type: 'uint8', base: 'dec' },
  'sshfp.fingerprint.type': { display: 'Fingerprint type', type: 'uint8', base: 'dec' },
  'sshfp.fingerprint': { display: 'Fingerprint', type: 'bytes' },
  'ds.key_id': { display: 'Key id', type: 'uint16', base: 'hex' },
  'ds.algorithm': { display: 'Algorithm', type: 'uint8', base: 'dec' },
  'ds.digest_type': { display: 'Digest Type', type: 'uint8', base: 'dec' },
  'ds.digest': { display: 'Digest', type: 'bytes' },
  'dnskey.flags': { display: 'Flags', type: 'uint16', base: 'hex' },
  'dnskey.flags.zone_key': { display: 'Zone Key', type: 'bool', mask: 0x100, bits: 16, trueFalse: ['This is the zone key for specified zone', 'This it not a zone key'] },
  'dnskey.flags.key_revoked': { display: 'Key Revoked', type: 'bool', mask: 0x80, bits: 16, trueFalse: ['Yes', 'No'] },
  'dnskey.flags.secure_entry_point': { display: 'Key Signing Key', type: 'bool', mask: 0x1, bits: 16, trueFalse: ['Yes', 'No'] },
  'dnskey.flags.reserved': { display: 'Key Signing Key', type: 'uint16', base: 'hex', mask: 0xfe7e, bits: 16 },
  'dnskey.protocol': { display: 'Protocol', type: 'uint8', base: 'dec' },
  'dnskey.algorithm': { display: 'Algorithm', type: 'uint8', base: 'dec' },
  'dnskey.key_id': { display: 'Key id', type: 'uint16', base: 'dec' },
  'dnskey.public_key': { display: 'Public Key', type: 'bytes' },
  'nsec.next_domain_name': { display: 'Next Domain Name', type: 'string' },
  'hinfo.cpu_length': { display: 'CPU Length', type: 'uint8', base: 'dec' },
  'hinfo.cpu': { display: 'CPU', type: 'string' },
  'hinfo.os_length': { display: 'OS Length', type: 'uint8', base: 'dec' },
  'hinfo.os': { display: 'OS', type: 'string' },
  'svcb.svcpriority': { display: 'SvcPriority', type: 'uint16', base: 'dec' },
  'svcb.targetname': { display: 'TargetName', type: 'string' },
  'svcb.svcparam': { display: 'SvcParam', type: 'bool', presence: true },
  'svcb.svcparam.key': { display: 'SvcParamKey', type: 'uint16', base: 'dec' },
  'svcb.svcparam.value.length': { display: 'SvcParamValue length', type: 'uint16', base: 'dec' },
  'svcb.svcparam.value': { display: 'SvcParamValue', type: 'bytes' },
  'svcb.svcparam.alpn.length': { display: 'ALPN length', type: 'uint8', base: 'dec' },
  'svcb.svcparam.alpn': { display: 'ALPN', type: 'string' },
  'caa.flags': { display: 'CAA Flags', type: 'uint8', base: 'hex' },
  'caa.flags.issuer_critical': { display: 'Issuer Critical', type: 'bool', mask: 0x80, bits: 8, trueFalse: ['Critical for this entry', 'Not critical'] },
  'caa.issue': { display: 'Issue', type: 'string' },
  'caa.issuewild': { display: 'Issue Wildcard', type: 'string' },
  'caa.iodef': { display: 'Report URL', type: 'string' },
  'caa.unknown': { display: 'Unknown tag', type: 'string' },
  'caa.tag_length': { display: 'Tag length', type: 'uint8', base: 'dec' },
  'caa.tag': { display: 'Tag', type: 'string' },
  'caa.value': { display: 'Value', type: 'string' },
  data: { display: 'Data', type: 'bytes' },
  response_in: { display: 'Response In', type: 'framenum', description: 'The response to this DNS query is in this frame' },
  response_to: { display: 'Request In', type: 'framenum', description: 'This is a response to the DNS query in this frame' },
  retransmission: { display: 'Retransmission', type: 'bool', description: 'This is a retransmission' },
  unsolicited: { display: 'Unsolicited', type: 'bool', description: 'This is an unsolicited response' },
  retransmit_request_in: { display: 'Retransmitted request. Original request in', type: 'framenum' },
  retransmit_response_in: { display: 'Retransmitted response. Original response in', type: 'framenum' },
  time: { display: 'Time', type: 'reltime', unit: 'seconds', description: 'The time between the query and the response' },
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

/**
 * One query and its response in a conversation, as packet-dns.c's `dns_transaction_t`: matched
 * by transaction ID within the UDP/TCP conversation.
 */
interface Transaction {
  reqFrame: number;
  repFrame: number;
  reqSec: number;
  reqNsec: number;
}

/** A conversation's transactions by ID (the latest per ID), oldest first. */
class DnsConversation {
  readonly byId = new Map<number, Transaction>();
}

/** Transactions remembered per conversation; past that the oldest are forgotten. */
export const MAX_TRANSACTIONS = 64;
/** Seconds after which an unanswered query with the same ID is a new one (tshark's dns.retransmission_timer). */
const RETRANSMISSION_TIMER = 5;

/** What matching found for one DNS message of the packet being decoded, read by its tree. */
interface Match {
  response: boolean;
  reqFrame: number;
  repFrame: number;
  reqSec: number;
  reqNsec: number;
  retransmission: boolean;
}
/** Matches of the current packet by layer (a TCP segment may carry several messages), reused. */
const matches: (Match | undefined)[] = [];
const matchSlots: Match[] = [];
/** The match of a response no query was seen for. */
const unsolicited: Match = { response: true, reqFrame: 0, repFrame: 0, reqSec: 0, reqNsec: 0, retransmission: false };
let matchFrame = -1;
let matchState: unknown;

/**
 * Matches a query or response with its conversation's transactions (packet-dns.c's one-pass
 * logic): a query opens a transaction unless an unanswered one with its ID began less than 5 s
 * before (a retransmission); a response closes the transaction of its ID, or is a
 * retransmission when it was already answered. `first` is false when the packet is decoded
 * again: then the state is only read.
 */
function track(p: Packet, layer: number, st: AppConversationState, first: boolean, id: number, response: boolean): void {
  let conv = st.data as DnsConversation | undefined;
  if (!(conv instanceof DnsConversation)) {
    if (!first || st.data !== undefined) return;
    conv = new DnsConversation();
    st.data = conv;
  }
  let t = conv.byId.get(id);
  let retransmission = false;
  if (first) {
    if (!response) {
      let fresh = t === undefined || t.repFrame > 0;
      if (!fresh) {
        const d = timeDifference(p.tsSec, p.tsNsec, t!.reqSec, t!.reqNsec);
        if (d.sec + d.nsec / 1e9 > RETRANSMISSION_TIMER) fresh = true;
        else retransmission = true;
      }
      if (retransmission) p.expert(layer, 'warn', 'protocol', 'dns.retransmit_request', retransmitText(false, t!.reqFrame));
      if (fresh) {
        t = { reqFrame: p.number, repFrame: 0, reqSec: p.tsSec, reqNsec: p.tsNsec };
        conv.byId.delete(id);
        conv.byId.set(id, t);
        if (conv.byId.size > MAX_TRANSACTIONS) conv.byId.delete(conv.byId.keys().next().value!);
      }
    } else if (t) {
      if (t.repFrame === 0) t.repFrame = p.number;
      else {
        retransmission = true;
        p.expert(layer, 'warn', 'protocol', 'dns.retransmit_response', retransmitText(true, t.repFrame));
      }
    }
  } else if (t && (response ? t.repFrame !== p.number : t.reqFrame !== p.number)) t = undefined;
  if (matchFrame !== p.number || matchState !== p.state) {
    for (let i = 0; i < matches.length; i++) matches[i] = undefined;
    matchFrame = p.number;
    matchState = p.state;
  }
  // A response matching no query is unsolicited (on the first pass only, as tshark's one pass).
  if (!t) {
    matches[layer] = first && response ? unsolicited : undefined;
    return;
  }
  const m = (matchSlots[layer] ??= { response: false, reqFrame: 0, repFrame: 0, reqSec: 0, reqNsec: 0, retransmission: false });
  m.response = response;
  m.reqFrame = t.reqFrame;
  m.repFrame = t.repFrame;
  m.reqSec = t.reqSec;
  m.reqNsec = t.reqNsec;
  m.retransmission = retransmission;
  matches[layer] = m;
}

/** The expert message on a retransmission (raised under the transaction ID, as tshark). */
const retransmitText = (response: boolean, frame: number): string =>
  response ? `DNS response retransmission. Original response in frame ${frame}` : `DNS query retransmission. Original request in frame ${frame}`;

/**
 * `[Request In: 2]` and `[Time: …]` on a response, `[Retransmitted request. Original request in:
 * 1]` and `[Retransmission: True]` on a repeated query or response, `[Unsolicited: True]` on a
 * response no query was seen for: at the end of the message, as tshark 4.0 writes them (no
 * expert items). A query shows `[Response In: N]` only when decoded again after its response.
 */
function treeTracking(p: Packet, layer: number, s: Sink, b: Uint8Array, o: number): void {
  if (matchFrame !== p.number || matchState !== p.state) return;
  const m = matches[layer];
  if (!m) return;
  const f = dnsFields;
  if (m === unsolicited) {
    s.add(f.unsolicited, b, o, 0, true, GENERATED);
    return;
  }
  if (!m.response) {
    if (m.repFrame) s.add(f.response_in, b, o, 0, m.repFrame, GENERATED);
    if (m.retransmission) {
      s.add(f.retransmit_request_in, b, o, 0, m.reqFrame, GENERATED);
      s.add(f.retransmission, b, o, 0, true, GENERATED);
    }
    return;
  }
  if (m.retransmission) {
    s.add(f.retransmit_response_in, b, o, 0, m.repFrame, GENERATED);
    s.add(f.retransmission, b, o, 0, true, GENERATED);
    return;
  }
  s.add(f.response_to, b, o, 0, m.reqFrame, GENERATED);
  if (s.wants(f.time)) s.add(f.time, b, o, 0, timeDifference(p.tsSec, p.tsNsec, m.reqSec, m.reqNsec), GENERATED);
}

/** Decode-time pass: malformed marks (names, counts), request/response matching and the conversation summary. */
function check(p: Packet, layer: number, b: Uint8Array, o: number, end: number): void {
  if (end - o < HEADER) {
    if (end - o > 0) p.markShort(layer, o + HEADER, 'DNS header shorter than 12 bytes');
    return;
  }
  const flags = u16(b, o + 2);
  const response = (flags & 0x8000) !== 0;
  const rcode = flags & 0xf;
  const questions = u16(b, o + 4);
  const st = conversationOf(p);
  const first = st !== undefined && mayUpdate(st, p, layer);
  if (st) track(p, layer, st, first, u16(b, o), response);
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
  if (!st || !first) return;
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

/** `type` descriptions as packet-dns.c's `dns_types_description_vals` (Wireshark 4.0). */
const typeDescriptions: Record<number, string> = {
  1: 'Host Address', 2: 'authoritative Name Server', 3: 'Mail Destination', 4: 'Mail Forwarder', 5: 'Canonical NAME for an alias',
  6: 'Start Of a zone of Authority', 7: 'MailBox domain name', 8: 'Mail Group member', 9: 'Mail Rename domain name', 10: 'NULL resourcerecord',
  11: 'Well Known Service', 12: 'domain name PoinTeR', 13: 'host information', 14: 'Mailbox Information', 15: 'Mail eXchange',
  16: 'Text strings', 17: 'Responsible Person', 18: 'AFS Data Base location', 28: 'IPv6 Address', 29: 'Location Information',
  33: 'Server Selection', 35: 'Naming Authority Pointer', 39: 'Delegation Name', 43: 'Delegation Signer', 44: 'SSH Key Fingerprint',
  46: 'Resource Record Signature', 47: 'Next Secure', 48: 'DNS Public Key', 50: 'Next Secure v. 3', 51: 'NSEC3 Parameters',
  64: 'General Purpose Service Endpoints', 65: 'HTTPS Specific Service Endpoints', 257: 'Certification Authority Restriction',
};
/** `Type: A (Host Address) (1)`, `OPT (41)`, `Unknown (507)` as the tree writes a type value. */
function typeText(type: number): string {
  // The value names of the tree's table differ from the summary's for ANY.
  if (type === 255) return '* (A request for all records the server/cache has available) (255)';
  const name = type === 0 ? 'Unused' : infoTypeNames[type];
  if (name === undefined) return `Unknown (${type})`;
  const d = typeDescriptions[type];
  return d ? `${name} (${d}) (${type})` : `${name} (${type})`;
}
/** The type's name in a record's summary line (`type HTTPS`, `type Unknown (507)`). */
const typeWord = (type: number): string => (type === 0 ? 'Unused' : infoTypeNames[type] ?? `Unknown (${type})`);
const classWord = (c: number): string => classNames[c] ?? 'Unknown';

/** `10 minutes, 14 seconds` as Wireshark's unsigned_time_secs_to_str. */
export function durationText(secs: number): string {
  if (secs === 0) return '0 seconds';
  const parts: string[] = [];
  const unit = (n: number, w: string) => {
    if (n) parts.push(`${n} ${w}${n === 1 ? '' : 's'}`);
  };
  unit(Math.floor(secs / 86400), 'day');
  unit(Math.floor(secs / 3600) % 24, 'hour');
  unit(Math.floor(secs / 60) % 60, 'minute');
  unit(secs % 60, 'second');
  return parts.join(', ');
}

/** SVCB parameter keys (RFC 9460). */
const svcParamKeys: Record<number, string> = { 0: 'mandatory', 1: 'alpn', 2: 'no-default-alpn', 3: 'port', 4: 'ipv4hint', 5: 'ech', 6: 'ipv6hint' };

/** `alpn=h2,h3`: a SvcParam's summary; other keys by name alone (not compared with tshark yet). */
function svcParamText(b: Uint8Array, key: number, v: number, vEnd: number): string {
  if (key !== 1) return svcParamKeys[key] ?? `key${key}`;
  const ids: string[] = [];
  for (let y = v; y < vEnd; y += 1 + b[y]) ids.push(latin1Slice.call(b, y + 1, Math.min(vEnd, y + 1 + b[y])));
  return `alpn=${ids.join(',')}`;
}

/** A DNSKEY's key tag (RFC 4034 Appendix B), as tshark's `[Key id: N]`. */
function keyTag(b: Uint8Array, data: number, len: number): number {
  let ac = 0;
  for (let i = 0; i < len; i++) ac += i & 1 ? b[data + i] : b[data + i] << 8;
  ac += (ac >> 16) & 0xffff;
  return ac & 0xffff;
}

/** EDNS option names as `edns0_opt_code_vals`. */
const optionNames: Record<number, string> = {
  1: 'LLQ - Long-lived query', 2: 'UL - Update lease', 3: 'NSID - Name Server Identifier', 4: 'Owner (reserved)',
  5: 'DAU - DNSSEC Algorithm Understood (RFC6975)', 6: 'DHU - DS Hash Understood (RFC6975)', 7: 'N3U - NSEC3 Hash Understood (RFC6975)',
  8: 'CSUBNET - Client subnet', 9: 'EDNS EXPIRE (RFC7314)', 10: 'COOKIE', 11: 'EDNS TCP Keepalive', 12: 'PADDING', 13: 'CHAIN',
};
/** DNSSEC algorithm names as `dnssec_algo_vals`. */
const algorithmNames: Record<number, string> = {
  1: 'RSA/MD5', 2: 'Diffie-Hellman', 3: 'DSA', 4: 'Reserved for ECC', 5: 'RSA/SHA1', 6: 'DSA + NSEC3/SHA1', 7: 'RSA/SHA1 + NSEC3/SHA1',
  8: 'RSA/SHA-256', 10: 'RSA/SHA-512', 12: 'GOST R 34.10-2001', 13: 'ECDSA Curve P-256 with SHA-256', 14: 'ECDSA Curve P-384 with SHA-384',
  15: 'Ed25519', 16: 'Ed448', 252: 'Indirect', 253: 'Private, domain name', 254: 'Private, OID',
};
const dsDigestNames: Record<number, string> = { 1: 'SHA-1', 2: 'SHA-256', 3: 'GOST R 34.11-94', 4: 'SHA-384' };
const sshfpAlgorithms: Record<number, string> = { 0: 'Reserved', 1: 'RSA', 2: 'DSA', 3: 'ECDSA', 4: 'Ed25519', 6: 'Ed448' };
const sshfpTypes: Record<number, string> = { 0: 'Reserved', 1: 'SHA1', 2: 'SHA256' };
const named = (names: Record<number, string>, v: number) => `${names[v] ?? 'Unknown'} (${v})`;

const cEscapes: Record<number, string> = { 7: '\\a', 8: '\\b', 9: '\\t', 10: '\\n', 11: '\\v', 12: '\\f', 13: '\\r', 92: '\\\\' };
/** Text with non-printable bytes escaped as Wireshark's format_text (`\a`, `\003`). */
function formatText(t: string): string {
  let out = '';
  for (let i = 0; i < t.length; i++) {
    const c = t.charCodeAt(i);
    out += c >= 0x20 && c < 0x7f && c !== 92 ? t[i] : cEscapes[c] ?? `\\${c.toString(8).padStart(3, '0')}`;
  }
  return out;
}

/** The value of an empty byte item, as tshark writes it. */
const MISSING = '<MISSING>';

/** Labels only when a tree is built. */
function lbl(s: Sink, text: () => string): string | undefined {
  return s.wantsLabels ? text() : undefined;
}

const countFields = [dnsFields['count.queries'], dnsFields['count.answers'], dnsFields['count.auth_rr'], dnsFields['count.add_rr']];
const sectionTitles = ['Answers', 'Authoritative nameservers', 'Additional records'];

function treeMessage(p: Packet, layer: number, s: Sink, b: Uint8Array, o: number, end: number): void {
  const f = dnsFields;
  if (end - o < 2) return;
  s.add(f.id, b, o, 2);
  const m = matchFrame === p.number && matchState === p.state ? matches[layer] : undefined;
  if (m?.retransmission && s.anchor) s.anchor(retransmitText(m.response, m.response ? m.repFrame : m.reqFrame), true);
  if (end - o < 4) return;
  const flags = u16(b, o + 2);
  const response = (flags & 0x8000) !== 0;
  s.add(f.flags, b, o + 2, 2, undefined, 0, lbl(s, () => {
    const opcode = (flags >> 11) & 0xf;
    let text = `Flags: 0x${flags.toString(16).padStart(4, '0')} ${opcodeNames[opcode] ?? 'Unknown operation'}`;
    if (response) text += ` response, ${rcodeNames[flags & 0xf] ?? 'Unknown error'}`;
    return text;
  }));
  s.push();
  s.add(f['flags.response'], b, o + 2, 2);
  s.add(f['flags.opcode'], b, o + 2, 2);
  if (response) s.add(f['flags.authoritative'], b, o + 2, 2);
  s.add(f['flags.truncated'], b, o + 2, 2);
  s.add(f['flags.recdesired'], b, o + 2, 2);
  if (response) s.add(f['flags.recavail'], b, o + 2, 2);
  s.add(f['flags.z'], b, o + 2, 2);
  if (response) s.add(f['flags.authenticated'], b, o + 2, 2);
  // A query shows the AD bit only when set (packet-dns.c's hf_dns_flags_ad).
  else if (flags & 0x20) s.add(f['flags.authenticated'], b, o + 2, 2, undefined, 0, (s.wantsLabels ? '.... .... ..1. .... = AD bit: Set' : undefined));
  s.add(f['flags.checkdisable'], b, o + 2, 2);
  if (response) s.add(f['flags.rcode'], b, o + 2, 2);
  s.pop();
  // A message cut inside its counts shows those it has, as tshark up to its exception.
  for (let i = 0; i < 4; i++) {
    if (o + 6 + 2 * i > end) return;
    s.add(countFields[i], b, o + 4 + 2 * i, 2);
  }
  let at = o + HEADER;
  const name: NameRead = { name: '', next: 0, labels: 0, error: '' };
  const qd = u16(b, o + 4);
  let complete = true;
  if (qd > 0 && at < end) {
    s.add(textItem, b, at, 0, null, 0, (s.wantsLabels ? 'Queries' : undefined));
    s.push();
    for (let i = 0; i < qd && i < MAX_RECORDS; i++) {
      if (at >= end) {
        complete = false;
        break;
      }
      readName(b, o, at, end, name);
      if (name.error) {
        s.add(f['name.malformed'], b, at, end - at, name.error, GENERATED);
        complete = false;
        break;
      }
      const type = name.next + 2 <= end ? u16(b, name.next) : -1;
      const cls = name.next + 4 <= end ? u16(b, name.next + 2) : -1;
      s.add(textItem, b, at, Math.min(end, name.next + 4) - at, null, 0,
        (s.wantsLabels ? `${name.name}: type ${typeWord(type)}, class ${classWord(cls)}` : undefined));
      s.push();
      s.add(f['qry.name'], b, at, name.next - at, name.name);
      s.add(f['qry.name.len'], b, at, name.next - at, name.name === '<Root>' ? 6 : name.name.length, GENERATED);
      // The root name counts as one label, as tshark.
      s.add(f['count.labels'], b, at, name.next - at, name.labels === 0 ? 1 : name.labels, GENERATED);
      if (name.next + 4 > end) {
        s.pop();
        complete = false;
        break;
      }
      s.add(f['qry.type'], b, name.next, 2, undefined, 0, (s.wantsLabels ? `Type: ${typeText(type)}` : undefined));
      s.add(f['qry.class'], b, name.next + 2, 2);
      s.pop();
      at = name.next + 4;
    }
    s.pop();
  }
  let walked = 0;
  for (let k = 0; k < 3; k++) {
    const count = u16(b, o + 6 + 2 * k);
    const title = sectionTitles[k];
    if (!complete || count === 0) continue;
    if (at >= end) {
      complete = false;
      break;
    }
    s.add(textItem, b, at, 0, null, 0, (s.wantsLabels ? title : undefined));
    s.push();
    for (let i = 0; i < count && walked < MAX_RECORDS; i++, walked++) {
      if (at >= end) {
        complete = false;
        break;
      }
      at = treeRecord(s, b, o, at, end, name);
      if (at < 0) {
        complete = false;
        break;
      }
    }
    s.pop();
  }
  if (complete) treeTracking(p, layer, s, b, o);
}

/** Adds one resource record as its own subtree; returns the offset after it, or -1 when it cannot go on. */
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
  const cls = u16(b, at + 2);
  const len = u16(b, at + 8);
  const data = at + 10;
  const rdEnd = data + len;
  s.add(textItem, b, start, Math.min(end, rdEnd) - start, null, 0, (s.wantsLabels ? recordSummary(b, o, owner, type, cls, data, len, end) : undefined));
  s.push();
  const srv = type === 33 ? /^(_[^.]+)\.(_[^.]+)\.(.+)$/.exec(owner) : null;
  if (srv) {
    // As tshark: an SRV owner name shows as service, protocol and name.
    s.add(f['srv.service'], b, start, name.next - start, srv[1]);
    s.add(f['srv.proto'], b, start, name.next - start, srv[2]);
    s.add(f['srv.name'], b, start, name.next - start, srv[3]);
  } else s.add(f['resp.name'], b, start, name.next - start, owner);
  s.add(f['resp.type'], b, at, 2, undefined, 0, (s.wantsLabels ? `Type: ${typeText(type)}` : undefined));
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
    if (rdEnd > end) {
      s.pop();
      return -1;
    }
    treeOptions(s, b, data, rdEnd);
    s.pop();
    return rdEnd;
  }
  s.add(f['resp.class'], b, at + 2, 2);
  s.add(f['resp.ttl'], b, at + 4, 4, undefined, 0, (s.wantsLabels ? `Time to live: ${u32(b, at + 4)} (${durationText(u32(b, at + 4))})` : undefined));
  s.add(f['resp.len'], b, at + 8, 2);
  if (rdEnd > end) {
    s.pop();
    return -1;
  }
  treeRdata(s, b, o, type, data, len, end, name);
  s.pop();
  return rdEnd;
}

/** `latency-sit.net: type SOA, class IN, mname ns1.latency-sit.net`: a record's summary line. */
function recordSummary(b: Uint8Array, o: number, owner: string, type: number, cls: number, data: number, len: number, end: number): string {
  if (type === 41) return `${owner}: type OPT`;
  let text = `${owner}: type ${typeWord(type)}, class ${classWord(cls)}`;
  if (data + len > end) return text;
  const nameAt = (x: number) => {
    const n = readName(b, o, x, end, scratch);
    return n.error ? undefined : n.name;
  };
  switch (type) {
    case 1: if (len === 4) text += `, addr ${ipv4ToString(u32(b, data))}`; break;
    case 28: if (len === 16) text += `, addr ${ipv6ToString(b, data)}`; break;
    case 2: { const n = nameAt(data); if (n !== undefined) text += `, ns ${n}`; break; }
    case 5: { const n = nameAt(data); if (n !== undefined) text += `, cname ${n}`; break; }
    case 12: { const n = nameAt(data); if (n !== undefined) text += `, ${n}`; break; }
    case 6: { const n = nameAt(data); if (n !== undefined) text += `, mname ${n}`; break; }
    case 47: { const n = nameAt(data); if (n !== undefined) text += `, next domain name ${n}`; break; }
    case 13: {
      const cl = b[data];
      const ol = data + 1 + cl < data + len ? b[data + 1 + cl] : 0;
      if (len >= 2) text += `, CPU ${latin1Slice.call(b, data + 1, Math.min(data + len, data + 1 + cl))}, OS ${latin1Slice.call(b, data + 2 + cl, Math.min(data + len, data + 2 + cl + ol))}`;
      break;
    }
    case 15: { const n = len >= 3 ? nameAt(data + 2) : undefined; if (n !== undefined) text += `, preference ${u16(b, data)}, mx ${n}`; break; }
    case 33: { const n = len >= 7 ? nameAt(data + 6) : undefined; if (n !== undefined) text += `, priority ${u16(b, data)}, weight ${u16(b, data + 2)}, port ${u16(b, data + 4)}, target ${n}`; break; }
  }
  return text;
}

/** Record types packet-dns.c (Wireshark 4.0) has a dissector for. */
const dissectedTypes = new Set([
  1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 33, 35, 36, 37, 38,
  39, 41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, 52, 53, 55, 59, 60, 61, 62, 63, 64, 65, 99, 108, 109, 249, 250, 251, 252, 255, 257,
  32769, 65281, 65282,
]);

/** The RDATA of a record other than OPT. */
function treeRdata(s: Sink, b: Uint8Array, o: number, type: number, data: number, len: number, end: number, name: NameRead): void {
  const f = dnsFields;
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
      const interval = (field: FieldDef, at: number) =>
        s.add(field, b, at, 4, undefined, 0, (s.wantsLabels ? `${field.display}: ${u32(b, at)} (${durationText(u32(b, at))})` : undefined));
      interval(f['soa.refresh_interval'], x + 4);
      interval(f['soa.retry_interval'], x + 8);
      interval(f['soa.expire_limit'], x + 12);
      interval(f['soa.minimum_ttl'], x + 16);
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
    case 43: {
      if (len < 4) break;
      s.add(f['ds.key_id'], b, data, 2);
      s.add(f['ds.algorithm'], b, data + 2, 1, undefined, 0, (s.wantsLabels ? `Algorithm: ${named(algorithmNames, b[data + 2])}` : undefined));
      s.add(f['ds.digest_type'], b, data + 3, 1, undefined, 0, (s.wantsLabels ? `Digest Type: ${named(dsDigestNames, b[data + 3])}` : undefined));
      if (len > 4) s.add(f['ds.digest'], b, data + 4, len - 4);
      break;
    }
    case 48: {
      if (len < 4) break;
      s.add(f['dnskey.flags'], b, data, 2);
      s.push();
      s.add(f['dnskey.flags.zone_key'], b, data, 2);
      s.add(f['dnskey.flags.key_revoked'], b, data, 2);
      s.add(f['dnskey.flags.secure_entry_point'], b, data, 2);
      s.add(f['dnskey.flags.reserved'], b, data, 2);
      s.pop();
      s.add(f['dnskey.protocol'], b, data + 2, 1);
      s.add(f['dnskey.algorithm'], b, data + 3, 1, undefined, 0, (s.wantsLabels ? `Algorithm: ${named(algorithmNames, b[data + 3])}` : undefined));
      s.add(f['dnskey.key_id'], b, data, len, keyTag(b, data, len), GENERATED);
      if (len > 4) s.add(f['dnskey.public_key'], b, data + 4, len - 4);
      break;
    }
    case 47: {
      readName(b, o, data, end, name);
      if (name.error || name.next > rdEnd) break;
      s.add(f['nsec.next_domain_name'], b, data, name.next - data, name.name);
      // The type bit maps (RFC 4034 §4.1.2): one dns.resp.type item per type present, as tshark.
      for (let x = name.next; x + 2 <= rdEnd;) {
        const win = b[x];
        const blen = b[x + 1];
        for (let i = 0; i < blen && x + 2 + i < rdEnd; i++) {
          for (let bit = 0; bit < 8; bit++) {
            if (b[x + 2 + i] & (0x80 >> bit)) {
              const t = win * 256 + i * 8 + bit;
              s.add(f['resp.type'], b, x + 2 + i, 1, t, 0, s.wantsLabels ? `RR type in bit map: ${typeText(t).replace(/ \(\d+\)$/, '')}` : undefined);
            }
          }
        }
        x += 2 + blen;
      }
      break;
    }
    case 13: {
      let x = data;
      for (const [lf, tf] of [[f['hinfo.cpu_length'], f['hinfo.cpu']], [f['hinfo.os_length'], f['hinfo.os']]] as const) {
        if (x >= rdEnd) break;
        const l = b[x];
        s.add(lf, b, x, 1);
        const stop = Math.min(rdEnd, x + 1 + l);
        s.add(tf, b, x + 1, stop - x - 1, latin1Slice.call(b, x + 1, stop));
        x = stop;
      }
      break;
    }
    case 64: case 65: {
      if (len < 3) break;
      s.add(f['svcb.svcpriority'], b, data, 2);
      readName(b, o, data + 2, end, name);
      if (name.error || name.next > rdEnd) break;
      s.add(f['svcb.targetname'], b, data + 2, name.next - data - 2, name.name);
      for (let x = name.next; x + 4 <= rdEnd;) {
        const key = u16(b, x);
        const vlen = u16(b, x + 2);
        const v = x + 4;
        const vEnd = Math.min(rdEnd, v + vlen);
        s.add(f['svcb.svcparam'], b, x, vEnd - x, true, 0, (s.wantsLabels ? `SvcParam: ${svcParamText(b, key, v, vEnd)}` : undefined));
        s.push();
        s.add(f['svcb.svcparam.key'], b, x, 2, undefined, 0, (s.wantsLabels ? `SvcParamKey: ${named(svcParamKeys, key)}` : undefined));
        s.add(f['svcb.svcparam.value.length'], b, x + 2, 2);
        if (key === 1) {
          for (let y = v; y < vEnd;) {
            const l = b[y];
            s.add(f['svcb.svcparam.alpn.length'], b, y, 1);
            const stop = Math.min(vEnd, y + 1 + l);
            s.add(f['svcb.svcparam.alpn'], b, y + 1, stop - y - 1, latin1Slice.call(b, y + 1, stop));
            y = stop;
          }
        } else if (vlen > 0) s.add(f['svcb.svcparam.value'], b, v, vEnd - v);
        s.pop();
        x = v + vlen;
      }
      break;
    }
    case 257: {
      if (len < 2) break;
      s.add(f['caa.flags'], b, data, 1);
      s.push();
      s.add(f['caa.flags.issuer_critical'], b, data, 1);
      s.pop();
      const tl = b[data + 1];
      if (data + 2 + tl > rdEnd) break;
      const tag = latin1Slice.call(b, data + 2, data + 2 + tl);
      const value = latin1Slice.call(b, data + 2 + tl, rdEnd);
      const field = tag === 'issue' ? f['caa.issue'] : tag === 'issuewild' ? f['caa.issuewild'] : tag === 'iodef' ? f['caa.iodef'] : f['caa.unknown'];
      s.add(field, b, data + 1, len - 1, value);
      s.push();
      s.add(f['caa.tag_length'], b, data + 1, 1);
      s.add(f['caa.tag'], b, data + 2, tl, tag);
      s.add(f['caa.value'], b, data + 2 + tl, rdEnd - data - 2 - tl, value);
      s.pop();
      break;
    }
    case 44: {
      if (len < 2) break;
      s.add(f['sshfp.algorithm'], b, data, 1, undefined, 0, (s.wantsLabels ? `Algorithm: ${named(sshfpAlgorithms, b[data])}` : undefined));
      s.add(f['sshfp.fingerprint.type'], b, data + 1, 1, undefined, 0, (s.wantsLabels ? `Fingerprint type: ${named(sshfpTypes, b[data + 1])}` : undefined));
      if (len > 2) s.add(f['sshfp.fingerprint'], b, data + 2, len - 2);
      break;
    }
    case 46: {
      if (len < 18) break;
      s.add(f['rrsig.type_covered'], b, data, 2, undefined, 0, (s.wantsLabels ? `Type Covered: ${typeText(u16(b, data))}` : undefined));
      s.add(f['rrsig.algorithm'], b, data + 2, 1, undefined, 0, (s.wantsLabels ? `Algorithm: ${named(algorithmNames, b[data + 2])}` : undefined));
      s.add(f['rrsig.labels'], b, data + 3, 1);
      s.add(f['rrsig.original_ttl'], b, data + 4, 4, undefined, 0, (s.wantsLabels ? `Original TTL: ${u32(b, data + 4)} (${durationText(u32(b, data + 4))})` : undefined));
      s.add(f['rrsig.signature_expiration'], b, data + 8, 4, { sec: u32(b, data + 8), nsec: 0 });
      s.add(f['rrsig.signature_inception'], b, data + 12, 4, { sec: u32(b, data + 12), nsec: 0 });
      s.add(f['rrsig.key_tag'], b, data + 16, 2);
      readName(b, o, data + 18, end, name);
      if (name.error || name.next > rdEnd) break;
      s.add(f['rrsig.signers_name'], b, data + 18, name.next - data - 18, name.name);
      if (rdEnd > name.next) s.add(f['rrsig.signature'], b, name.next, rdEnd - name.next);
      break;
    }
    default:
      // As tshark 4.0 for a type it has no dissector for (URI, unknown types): an undecoded note
      // in place, then the RDATA as bytes. Types it dissects and wiresage does not show nothing more.
      if (!dissectedTypes.has(type)) {
        addExpert({ layer: 0, severity: 'note', group: 'undecoded', field: 'dns.undecoded.type', message: `Dissector for DNS Type (${type}) code not implemented, Contact Wireshark developers if you want this supported` }, s, b);
        if (len > 0) s.add(f.data, b, data, len);
      }
      break;
  }
}

/** EDNS options of an OPT record (RFC 6891 §6.1.2), each a subtree named by its code. */
function treeOptions(s: Sink, b: Uint8Array, x: number, stop: number): void {
  const f = dnsFields;
  while (x + 4 <= stop) {
    const code = u16(b, x);
    const olen = u16(b, x + 2);
    const d = x + 4;
    const dEnd = Math.min(stop, d + olen);
    const oname = optionNames[code] ?? 'Unknown';
    s.add(f.opt, b, x, dEnd - x, true, 0, (s.wantsLabels ? `Option: ${optionNames[code] ?? `Unknown (${code})`}` : undefined));
    s.push();
    s.add(f['opt.code'], b, x, 2, undefined, 0, (s.wantsLabels ? `Option Code: ${oname} (${code})` : undefined));
    s.add(f['opt.len'], b, x + 2, 2);
    if (olen > 0 && d + olen <= stop) s.add(f['opt.data'], b, d, olen);
    // An empty item: tshark writes `<MISSING>`, in the tree and in -T fields alike.
    else if (olen === 0) s.add(f['opt.data'], b, d, 0, MISSING, 0, (s.wantsLabels ? 'Option Data: <MISSING>' : undefined));
    if (d + olen > stop) {
      s.pop();
      return;
    }
    switch (code) {
      case 5: case 6: case 7: {
        const field = code === 5 ? f['opt.dau'] : code === 6 ? f['opt.dhu'] : f['opt.n3u'];
        const names = code === 5 ? algorithmNames : code === 6 ? dsDigestNames : { 1: 'SHA-1' } as Record<number, string>;
        for (let i = d; i < dEnd; i++) s.add(field, b, i, 1, undefined, 0, (s.wantsLabels ? `${field.display}: ${named(names, b[i])}` : undefined));
        break;
      }
      case 8: {
        if (olen < 4) break;
        const family = u16(b, d);
        s.add(f['opt.client.family'], b, d, 2, undefined, 0, (s.wantsLabels ? `Family: ${named({ 1: 'IPv4', 2: 'IPv6' }, family)}` : undefined));
        s.add(f['opt.client.netmask'], b, d + 2, 1);
        s.add(f['opt.client.scope'], b, d + 3, 1);
        const alen = olen - 4;
        if (family === 1 && alen <= 4) {
          let v = 0;
          for (let i = 0; i < 4; i++) v = v * 256 + (i < alen ? b[d + 4 + i] : 0);
          s.add(f['opt.client.addr4'], b, d + 4, alen, v);
        } else if (family === 2 && alen <= 16) {
          const a = new Uint8Array(16);
          a.set(b.subarray(d + 4, d + 4 + alen));
          s.add(f['opt.client.addr6'], b, d + 4, alen, a);
        }
        break;
      }
      case 10: {
        s.add(f['opt.cookie.client'], b, d, Math.min(8, olen));
        if (olen > 8) s.add(f['opt.cookie.server'], b, d + 8, olen - 8);
        else s.add(f['opt.cookie.server'], b, d + 8, 0, MISSING, 0, (s.wantsLabels ? 'Server Cookie: <MISSING>' : undefined));
        break;
      }
      case 11:
        if (olen === 2) s.add(f['opt.edns_tcp_keepalive.timeout'], b, d, 2);
        break;
      case 12:
        if (olen > 0) s.add(f['opt.padding'], b, d, olen);
        break;
      case 13: {
        // The closest trust point's wire-format name as a string (up to a NUL), escaped as Wireshark's format_text.
        let text = '';
        for (let i = d; i < dEnd && b[i] !== 0; i++) text += String.fromCharCode(b[i]);
        s.add(f['opt.chain.fqdn'], b, d, olen, text, 0, (s.wantsLabels ? `Closest Trust Point: ${formatText(text)}` : undefined));
        break;
      }
    }
    s.pop();
    x = d + olen;
  }
}

udpPorts.add(DNS_PORT, dns);
tcpPorts.add(DNS_PORT, dns);

// ---- Packet-list columns (Wireshark's Info text) ----

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
