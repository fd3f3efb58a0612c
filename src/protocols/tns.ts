/**
 * Oracle TNS (Transparent Network Substrate), the transport under Oracle Net on TCP port 1521,
 * after Wireshark's `packet-tns.c` (field names as tshark 4.0) and Oracle's python/node-oracledb
 * thin drivers (packet layouts, REDIRECT forms, large-SDU lengths).
 *
 * Header, 8 bytes: length u16 · packet checksum u16 · type · flags · header checksum u16. Once a
 * conversation negotiated version >= 315 (ACCEPT), the length is u32 over bytes 0-3 ("large
 * SDU"); without having seen the ACCEPT, the length width is inferred as Wireshark does (packet
 * checksum neither 0 nor 4 → 4-byte length).
 *
 * Beyond tshark, what the diagnosis needs is parsed out: the REDIRECT address
 * (`tns.redirect.host`/`port`, also when the data comes in the DATA packet after a header-only
 * REDIRECT), the connect data after a NUL, the REFUSE `ERR=` code, connect data sent in the DATA
 * packet after a CONNECT, and `ORA-nnnnn` messages in DATA packets (`tns.ora.code`).
 */
import { u16, u32 } from '../decode/bytes.js';
import { registerDissector, STOP, tcpHeuristics, tcpPorts } from '../decode/dissector.js';
import type { Packet } from '../decode/packet.js';
import { defineFields, textItem, type FieldDef } from '../fields/field.js';
import { bitmaskLabel } from '../fields/format.js';
import type { Sink } from '../fields/sink.js';
import { GENERATED, HIDDEN } from '../fields/value.js';
import {
  addContinuation, addNeedsReassembly, ascii, capturedEnd, definePduFields, endPdu, MASK,
} from './_pdu.js';
import { resumePdu } from './desegment.js';
import {
  conversationOf, endpoints, type EndpointId, mayUpdate, printable, setSummary, SUMMARY_ERROR, SUMMARY_INFO, SUMMARY_OUTCOME,
  type AppConversationState,
} from './conversation-state.js';

const HEADER = 8;
export const TNS_PORT = 1521;
/** First version whose packets after ACCEPT carry 4-byte lengths (12c: 315). */
export const LARGE_SDU_VERSION = 315;

export const TNS_TYPE = {
  CONNECT: 1, ACCEPT: 2, ACK: 3, REFUSE: 4, REDIRECT: 5, DATA: 6, NULL: 7, ABORT: 9, RESEND: 11, MARKER: 12,
  ATTENTION: 13, CONTROL: 14, DD: 15, MAX: 19,
} as const;

const typeNames: Record<number, string> = {
  1: 'Connect', 2: 'Accept', 3: 'Acknowledge', 4: 'Refuse', 5: 'Redirect', 6: 'Data', 7: 'Null', 9: 'Abort',
  11: 'Resend', 12: 'Marker', 13: 'Attention', 14: 'Control', 15: 'Data Descriptor',
};

/** SQL*Net data IDs (packet-tns.c `tns_data_funcs`, 1-19). */
const dataFuncs: Record<number, string> = Object.fromEntries([
  'Set Protocol', 'Set Datatypes', 'User OCI Functions', 'Return Status', 'Access User Address Space', 'Row Transfer Header',
  'Row Transfer Data', 'Return OPI Parameter', 'Function Complete', 'N Error return definitions follow', 'Sending I/O Vec only for fast UPI',
  'Sending long for fast UPI', 'Invoke user callback', 'LOB/FILE data follows', 'Warning messages - may be a set of them',
  'Describe Information', 'Piggy back function follow', 'Signals special action for untrusted callout support',
  'Flush Out Bind data in DML/w RETURN when error',
].map((name, i) => [i + 1, name]));

/** Meanings of the listener's ERR= codes most seen in REFUSE packets. */
export const tnsListenerErrors: Record<number, string> = {
  12505: 'listener does not know the SID',
  12514: 'listener does not know the service',
  12516: 'listener has no handler with a matching protocol stack',
  12518: 'listener could not hand off the connection',
  12519: 'no appropriate service handler found',
  12520: 'listener has no available handler for the server type',
  12526: 'all service instances are in restricted mode',
  12528: 'all service instances are blocking new connections',
};

const bool16 = (display: string, mask: number) => ({ display, type: 'bool' as const, mask, bits: 16 });
const bool8 = (display: string, mask: number) => ({ display, type: 'bool' as const, mask, bits: 8 });

export const tnsFields = defineFields('tns', {
  response: { display: 'Response', type: 'bool' },
  request: { display: 'Request', type: 'bool' },
  length: { display: 'Packet Length', type: 'uint32', base: 'dec' },
  packet_checksum: { display: 'Packet Checksum', type: 'uint16', base: 'hex' },
  type: { display: 'Packet Type', type: 'uint8', base: 'dec', values: typeNames },
  reserved_byte: { display: 'Reserved Byte', type: 'bytes' },
  header_checksum: { display: 'Header Checksum', type: 'uint16', base: 'hex' },
  version: { display: 'Version', type: 'uint16', base: 'dec' },
  compat_version: { display: 'Version (Compatible)', type: 'uint16', base: 'dec' },
  service_options: { display: 'Service Options', type: 'uint16', base: 'hex' },
  'so_flag.bconn': bool16('Broken Connect Notify', 0x2000),
  'so_flag.pc': bool16('Packet Checksum', 0x1000),
  'so_flag.hc': bool16('Header Checksum', 0x0800),
  'so_flag.fd': bool16('Full Duplex', 0x0400),
  'so_flag.hd': bool16('Half Duplex', 0x0200),
  'so_flag.dc1': bool16("Don't Care", 0x0100),
  'so_flag.dc2': bool16("Don't Care", 0x0080),
  'so_flag.dio': bool16('Direct IO to Transport', 0x0010),
  'so_flag.ap': bool16('Attention Processing', 0x0008),
  'so_flag.ra': bool16('Can Receive Attention', 0x0004),
  'so_flag.sa': bool16('Can Send Attention', 0x0002),
  sdu_size: { display: 'Session Data Unit Size', type: 'uint16', base: 'dec' },
  max_tdu_size: { display: 'Maximum Transmission Data Unit Size', type: 'uint16', base: 'dec' },
  nt_proto_characteristics: { display: 'NT Protocol Characteristics', type: 'uint16', base: 'hex' },
  'ntp_flag.hangon': bool16('Hangon to listener connect', 0x8000),
  'ntp_flag.crel': bool16('Confirmed release', 0x4000),
  'ntp_flag.tduio': bool16('TDU based IO', 0x2000),
  'ntp_flag.srun': bool16('Spawner running', 0x1000),
  'ntp_flag.dtest': bool16('Data test', 0x0800),
  'ntp_flag.cbio': bool16('Callback IO supported', 0x0400),
  'ntp_flag.asio': bool16('ASync IO Supported', 0x0200),
  'ntp_flag.pio': bool16('Packet oriented IO', 0x0100),
  'ntp_flag.grant': bool16('Can grant connection to another', 0x0080),
  'ntp_flag.handoff': bool16('Can handoff connection to another', 0x0040),
  'ntp_flag.sigio': bool16('Generate SIGIO signal', 0x0020),
  'ntp_flag.sigpipe': bool16('Generate SIGPIPE signal', 0x0010),
  'ntp_flag.sigurg': bool16('Generate SIGURG signal', 0x0008),
  'ntp_flag.urgentio': bool16('Urgent IO supported', 0x0004),
  'ntp_flag.dfio': bool16('Full duplex IO supported', 0x0002),
  'ntp_flag.testop': bool16('Test operation', 0x0001),
  line_turnaround: { display: 'Line Turnaround Value', type: 'uint16', base: 'dec' },
  value_of_one: { display: 'Value of 1 in Hardware', type: 'bytes' },
  connect_data_length: { display: 'Length of Connect Data', type: 'uint16', base: 'dec' },
  connect_data_offset: { display: 'Offset to Connect Data', type: 'uint16', base: 'dec' },
  connect_data_max: { display: 'Maximum Receivable Connect Data', type: 'uint32', base: 'dec' },
  connect_flags0: { display: 'Connect Flags 0', type: 'uint8', base: 'hex' },
  connect_flags1: { display: 'Connect Flags 1', type: 'uint8', base: 'hex' },
  'connect_flags.nareq': bool8('NA services required', 0x10),
  'connect_flags.nalink': bool8('NA services linked in', 0x08),
  'connect_flags.enablena': bool8('NA services enabled', 0x04),
  'connect_flags.ichg': bool8('Interchange is involved', 0x02),
  'connect_flags.wantna': bool8('NA services wanted', 0x01),
  trace_cf1: { display: 'Trace Cross Facility Item 1', type: 'uint32', base: 'hex' },
  trace_cf2: { display: 'Trace Cross Facility Item 2', type: 'uint32', base: 'hex' },
  trace_cid: { display: 'Trace Unique Connection ID', type: 'uint64', base: 'hex' },
  connect_data: { display: 'Connect Data', type: 'string' },
  accept_data_length: { display: 'Accept Data Length', type: 'uint16', base: 'dec' },
  accept_data_offset: { display: 'Offset to Accept Data', type: 'uint16', base: 'dec' },
  accept_data: { display: 'Accept Data', type: 'string' },
  refuse_reason_user: { display: 'Refuse Reason (User)', type: 'uint8', base: 'hex' },
  refuse_reason_system: { display: 'Refuse Reason (System)', type: 'uint8', base: 'hex' },
  refuse_data_length: { display: 'Refuse Data Length', type: 'uint16', base: 'dec' },
  refuse_data: { display: 'Refuse Data', type: 'string' },
  abort_reason_user: { display: 'Abort Reason (User)', type: 'uint8', base: 'hex' },
  abort_reason_system: { display: 'Abort Reason (System)', type: 'uint8', base: 'hex' },
  abort_data: { display: 'Abort Data', type: 'string' },
  'marker.type': { display: 'Marker Type', type: 'uint8', base: 'hex', values: { 0: 'Data Marker - 0 Data Bytes', 1: 'Data Marker - 1 Data Bytes', 2: 'Attention Marker' } },
  'marker.databyte': { display: 'Marker Data Byte', type: 'uint8', base: 'hex' },
  'control.cmd': { display: 'Control Command', type: 'uint16', base: 'hex' },
  'control.data': { display: 'Control Data', type: 'bytes' },
  redirect_data_length: { display: 'Redirect Data Length', type: 'uint16', base: 'dec' },
  redirect_data: { display: 'Redirect Data', type: 'string' },
  data_flag: { display: 'Data Flag', type: 'uint16', base: 'hex' },
  'data_flag.send': bool16('Send Token', 0x1),
  'data_flag.rc': bool16('Request Confirmation', 0x2),
  'data_flag.c': bool16('Confirmation', 0x4),
  'data_flag.reserved': bool16('Reserved', 0x8),
  'data_flag.more': bool16('More Data to Come', 0x20),
  'data_flag.eof': bool16('End of File', 0x40),
  'data_flag.dic': bool16('Do Immediate Confirmation', 0x80),
  'data_flag.rts': bool16('Request To Send', 0x100),
  'data_flag.sntt': bool16('Send NT Trailer', 0x200),
  data_id: { display: 'Data ID', type: 'uint8', base: 'hex', values: dataFuncs },
  // wiresage's own items: what the diagnosis reads, parsed out of the ASCII data.
  'connect.service_name': { display: 'Service Name', type: 'string', description: 'SERVICE_NAME of the connect descriptor' },
  'connect.sid': { display: 'SID', type: 'string', description: 'SID of the connect descriptor' },
  'connect.host': { display: 'Host', type: 'string', description: 'HOST of the connect descriptor' },
  'connect.redirected': { display: 'Redirected connect', type: 'bool', description: 'CONNECT sent after a REDIRECT (flag 0x04)' },
  'redirect.address': { display: 'Redirect Address', type: 'string', description: 'The address part of the redirect data' },
  'redirect.protocol': { display: 'Protocol', type: 'string' },
  'redirect.host': { display: 'Host', type: 'string', description: 'Where the listener sends the client' },
  'redirect.port': { display: 'Port', type: 'uint16', base: 'dec' },
  'redirect.connect_data': { display: 'Connect Data (after NUL)', type: 'string' },
  'refuse.err': { display: 'Listener Error (ERR=)', type: 'uint32', base: 'dec' },
  'refuse.err_text': { display: 'Meaning', type: 'string' },
  'ora.message': { display: 'Oracle Error', type: 'string', description: 'ORA-nnnnn message found in a DATA packet' },
  'ora.code': { display: 'Oracle Error Code', type: 'uint32', base: 'dec' },
  auth_data: { display: 'Authentication data (masked)', type: 'string', description: 'AUTH_PASSWORD/AUTH_SESSKEY values, never shown' },
});

export const tnsPduFields = definePduFields('tns');

/** Per-conversation TNS state. */
export class TnsState {
  /** Version the ACCEPT negotiated (0 before). */
  version = 0;
  /** Packets after an ACCEPT of version >= 315 carry 4-byte lengths. */
  largeSdu = false;
  /** Known from CONNECT/ACCEPT (true) or not seen (false: infer per packet). */
  sduKnown = false;
  /** The client (sender of CONNECT). */
  client: EndpointId | undefined;
  /** Connect data announced by a CONNECT without it: comes in the client's next DATA. */
  pendingConnectData = 0;
  /** Redirect data announced by a header-only REDIRECT: comes in the listener's next DATA. */
  pendingRedirect = 0;
  redirectFlags = 0;
  service: string | undefined;
}

function stateOf(st: AppConversationState): TnsState {
  if (!(st.data instanceof TnsState)) st.data = new TnsState();
  return st.data as TnsState;
}

/** Wireshark's inference: a packet checksum other than 0 and 4 means a 4-byte length. */
function inferLarge(buf: Uint8Array, off: number): boolean {
  const c = u16(buf, off + 2);
  return c !== 0 && c !== 4;
}

/**
 * Bytes the TNS packet at `off` needs (its length field; a data descriptor adds its payload),
 * or undefined when fewer than the header's bytes are there. `large`: 4-byte length.
 */
export function pduLength(buf: Uint8Array, off: number, avail: number, large = avail >= 4 && inferLarge(buf, off)): number | undefined {
  if (avail < HEADER) return undefined;
  const length = large ? u32(buf, off) : u16(buf, off);
  if (buf[off + 4] === TNS_TYPE.DD) {
    if (avail < 16) return undefined;
    return length + u32(buf, off + 12);
  }
  return length;
}

/** Heuristic for TNS on any port: a CONNECT whose length, versions and connect-data offset agree. */
export function looksLikeTnsConnect(buf: Uint8Array, off: number, end: number): boolean {
  if (end - off < 34) return false;
  if (buf[off + 4] !== TNS_TYPE.CONNECT || buf[off + 2] !== 0 || (buf[off + 3] !== 0 && buf[off + 3] !== 4)) return false;
  const length = u16(buf, off);
  const version = u16(buf, off + 8);
  const compat = u16(buf, off + 10);
  const cdOffset = u16(buf, off + 26);
  return length >= 34 && version >= 300 && version < 400 && compat >= 200 && compat <= version && cdOffset >= 34 && cdOffset <= length;
}

/** `(KEY=value)` from a descriptor, case-insensitively; undefined when absent. */
export function descriptorValue(text: string, key: string): string | undefined {
  const i = text.toUpperCase().indexOf(`(${key.toUpperCase()}=`);
  if (i < 0) return undefined;
  const start = i + key.length + 2;
  const close = text.indexOf(')', start);
  return (close < 0 ? text.slice(start) : text.slice(start, close)).trim();
}

export interface RedirectTarget {
  address: string;
  protocol?: string;
  host?: string;
  port?: number;
  connectData?: string;
}

/** Splits redirect data into the address and the connect data after a NUL, and parses the address. */
export function parseRedirect(data: string): RedirectTarget {
  const nul = data.indexOf('\0');
  const address = nul >= 0 ? data.slice(0, nul) : data;
  const port = descriptorValue(address, 'PORT');
  const portNumber = port !== undefined && /^\d{1,5}$/.test(port) ? Number(port) : undefined;
  return {
    address,
    protocol: descriptorValue(address, 'PROTOCOL'),
    host: descriptorValue(address, 'HOST'),
    port: portNumber !== undefined && portNumber < 65536 ? portNumber : undefined,
    connectData: nul >= 0 ? data.slice(nul + 1).replace(/\0+$/, '') : undefined,
  };
}

export interface OraMessage {
  code: number;
  /** `ORA-01017: invalid username/password; logon denied` */
  text: string;
  off: number;
  len: number;
}

/** `ORA-nnnnn` messages in `buf[off..end)`, each up to the end of its line or a control byte. */
export function findOraMessages(buf: Uint8Array, off: number, end: number, max = 8): OraMessage[] {
  const out: OraMessage[] = [];
  for (let i = off; i + 9 <= end && out.length < max; i++) {
    if (buf[i] !== 0x4f || buf[i + 1] !== 0x52 || buf[i + 2] !== 0x41 || buf[i + 3] !== 0x2d) continue; // 'ORA-'
    let code = 0;
    let j = i + 4;
    for (; j < i + 9; j++) {
      const c = buf[j];
      if (c < 0x30 || c > 0x39) break;
      code = code * 10 + (c - 0x30);
    }
    if (j !== i + 9) continue;
    let k = j;
    while (k < end && buf[k] >= 0x20 && buf[k] < 0x7f && k - i < 512) k++;
    out.push({ code, text: ascii(buf, i, k).trimEnd(), off: i, len: k - i });
    i = k - 1;
  }
  return out;
}

/** Where the ASCII data of a message starts and ends within its packet. */
function dataRange(buf: Uint8Array, o: number, end: number, type: number): [number, number] {
  switch (type) {
    case TNS_TYPE.REFUSE: return [o + 12, end];
    case TNS_TYPE.REDIRECT: return [o + 10, end];
    case TNS_TYPE.DATA: return [o + 10, end];
    default: return [end, end];
  }
}

/** Per-packet note: 1 = 2-byte lengths, 2 = 4-byte lengths (from the conversation's ACCEPT). */
const SDU_NOTE = 'tns.sdu';

function isRequest(p: Packet, state: TnsState | undefined): boolean {
  if (state?.client) return endpoints.srcId === state.client;
  const t = p.transportLayer;
  if (t < 0) return true;
  const b = p.bufferOf(t);
  const o = p.start[t];
  return b.length >= o + 4 && tcpPorts.get(u16(b, o + 2)) === tns.id;
}

export const tns = registerDissector({
  name: 'tns',
  display: 'Transparent Network Substrate Protocol',
  decode(p, layer) {
    if (resumePdu(p, layer)) return STOP;
    const b = p.bufferOf(layer);
    const o = p.start[layer];
    const end = capturedEnd(p, layer);
    const avail = end - o;
    if (avail >= 5 && (b[o + 4] < TNS_TYPE.CONNECT || b[o + 4] > TNS_TYPE.MAX)) {
      // Not a TNS header: bytes of a packet begun in an earlier segment.
      p.end[layer] = p.limit[layer];
      return STOP;
    }
    const st = conversationOf(p);
    const t = st ? stateOf(st) : undefined;
    let large = avail >= 4 && inferLarge(b, o);
    if (t?.sduKnown) {
      large = t.largeSdu;
      p.notes.set(SDU_NOTE, large ? 2 : 1);
    }
    const length = pduLength(b, o, avail, large);
    if (length !== undefined && length < HEADER) {
      p.markMalformed(layer, `TNS packet length ${length} is smaller than its 8-byte header`);
      p.end[layer] = p.limit[layer];
      return STOP;
    }
    if (st && t && length !== undefined && o + length <= end && mayUpdate(st, p, layer)) learn(st, t, b, o, o + length, p);
    return endPdu(p, layer, length, tns.id);
  },
  // tshark's protocol item is the name alone; the packet type is the subtree under the header.
  summary: () => 'Transparent Network Substrate Protocol',
  tree(p, layer, s) {
    const b = p.bufferOf(layer);
    const o = p.start[layer];
    const end = Math.min(p.end[layer], b.length);
    const f = tnsFields;
    if (end - o >= 5 && (b[o + 4] < TNS_TYPE.CONNECT || b[o + 4] > TNS_TYPE.MAX)) {
      addContinuation(s, tnsPduFields, b, o, end);
      return;
    }
    const st = conversationOf(p);
    const t = st?.data instanceof TnsState ? st.data : undefined;
    const request = isRequest(p, t);
    s.add(request ? f.request : f.response, b, o, 0, true, HIDDEN);
    if (end - o < 4) {
      addNeedsReassembly(s, tnsPduFields, b, o, end - o, undefined);
      return;
    }
    const note = p.notes.get(SDU_NOTE);
    const large = note === 2 || (note === undefined && inferLarge(b, o));
    let at = o;
    if (large) {
      s.add(f.length, b, at, 4);
      at += 4;
    } else {
      s.add(f.length, b, at, 2);
      s.add(f.packet_checksum, b, at + 2, 2);
      at += 4;
    }
    if (end - o < HEADER) {
      addNeedsReassembly(s, tnsPduFields, b, o, end - o, large ? u32(b, o) : u16(b, o));
      return;
    }
    const type = b[o + 4];
    s.add(f.type, b, o + 4, 1);
    s.add(f.reserved_byte, b, o + 5, 1);
    s.add(f.header_checksum, b, o + 6, 2);
    const length = pduLength(b, o, end - o, large) ?? 0;
    const pduEnd = Math.min(end, o + Math.max(length, HEADER));
    // `Connect`, `Data`, …: the body's items under a text subtree named after the type (packet-tns.c).
    if (bodySubtree.has(type)) {
      s.add(textItem, b, o + HEADER, pduEnd - o - HEADER, undefined, 0, s.wantsLabels ? typeNames[type] : undefined);
      s.push();
      treeBody(p, s, b, o, pduEnd, type, t);
      s.pop();
    } else treeBody(p, s, b, o, pduEnd, type, t);
    if (o + length > end) addNeedsReassembly(s, tnsPduFields, b, end, end - o, length);
  },
});

function add16(s: Sink, f: typeof tnsFields[keyof typeof tnsFields], b: Uint8Array, at: number, end: number): boolean {
  if (at + 2 > end) return false;
  s.add(f, b, at, 2);
  return true;
}

function treeBody(p: Packet, s: Sink, b: Uint8Array, o: number, end: number, type: number, t: TnsState | undefined): void {
  const f = tnsFields;
  let at = o + HEADER;
  switch (type) {
    case TNS_TYPE.CONNECT: {
      if (!add16(s, f.version, b, at, end) || !add16(s, f.compat_version, b, at + 2, end)) return;
      if (at + 4 + 2 > end) return;
      flagsItem(s, f.service_options, serviceBits, b, at + 4, 2);
      s.push();
      for (const k of ['bconn', 'pc', 'hc', 'fd', 'hd', 'dc1', 'dc2', 'dio', 'ap', 'ra', 'sa'] as const) s.add(f[`so_flag.${k}`], b, at + 4, 2);
      s.pop();
      if (!add16(s, f.sdu_size, b, at + 6, end) || !add16(s, f.max_tdu_size, b, at + 8, end)) return;
      if (at + 12 > end) return;
      flagsItem(s, f.nt_proto_characteristics, ntpBits, b, at + 10, 2);
      s.push();
      for (const k of ['hangon', 'crel', 'tduio', 'srun', 'dtest', 'cbio', 'asio', 'pio', 'grant', 'handoff', 'sigio', 'sigpipe', 'sigurg', 'urgentio', 'dfio', 'testop'] as const) s.add(f[`ntp_flag.${k}`], b, at + 10, 2);
      s.pop();
      if (!add16(s, f.line_turnaround, b, at + 12, end)) return;
      if (at + 16 > end) return;
      s.add(f.value_of_one, b, at + 14, 2);
      if (!add16(s, f.connect_data_length, b, at + 16, end) || !add16(s, f.connect_data_offset, b, at + 18, end)) return;
      const cdLen = u16(b, at + 16);
      const cdOff = u16(b, at + 18);
      if (at + 24 > end) return;
      s.add(f.connect_data_max, b, at + 20, 4);
      connectFlags(s, f.connect_flags0, b, at + 24, end);
      connectFlags(s, f.connect_flags1, b, at + 25, end);
      at += 26;
      if (at + 16 <= o + cdOff && at + 16 <= end) {
        s.add(f.trace_cf1, b, at, 4);
        s.add(f.trace_cf2, b, at + 4, 4);
        s.add(f.trace_cid, b, at + 8, 8);
      }
      if ((b[o + 5] & 0x04) !== 0) s.add(f['connect.redirected'], b, o + 5, 1, true, GENERATED);
      if (cdLen > 0 && o + cdOff < end) {
        const text = ascii(b, o + cdOff, end);
        s.add(f.connect_data, b, o + cdOff, end - (o + cdOff));
        connectDataItems(s, b, o + cdOff, end - (o + cdOff), text);
      }
      return;
    }
    case TNS_TYPE.ACCEPT: {
      if (!add16(s, f.version, b, at, end)) return;
      if (at + 4 > end) return;
      flagsItem(s, f.service_options, serviceBits, b, at + 2, 2);
      s.push();
      for (const k of ['bconn', 'pc', 'hc', 'fd', 'hd', 'dc1', 'dc2', 'dio', 'ap', 'ra', 'sa'] as const) s.add(f[`so_flag.${k}`], b, at + 2, 2);
      s.pop();
      if (!add16(s, f.sdu_size, b, at + 4, end) || !add16(s, f.max_tdu_size, b, at + 6, end)) return;
      if (at + 10 > end) return;
      s.add(f.value_of_one, b, at + 8, 2);
      if (!add16(s, f.accept_data_length, b, at + 10, end) || !add16(s, f.accept_data_offset, b, at + 12, end)) return;
      const len = u16(b, at + 10);
      const off = u16(b, at + 12);
      connectFlags(s, f.connect_flags0, b, at + 14, end);
      connectFlags(s, f.connect_flags1, b, at + 15, end);
      if (len > 0 && o + off < end) s.add(f.accept_data, b, o + off, end - (o + off));
      return;
    }
    case TNS_TYPE.REFUSE: {
      if (at + 1 > end) return;
      s.add(f.refuse_reason_user, b, at, 1);
      if (at + 2 > end) return;
      s.add(f.refuse_reason_system, b, at + 1, 1);
      if (!add16(s, f.refuse_data_length, b, at + 2, end)) return;
      if (at + 4 < end) {
        s.add(f.refuse_data, b, at + 4, end - (at + 4));
        refuseItems(s, b, at + 4, end);
      }
      return;
    }
    case TNS_TYPE.REDIRECT: {
      if (!add16(s, f.redirect_data_length, b, at, end)) return;
      if (at + 2 < end) {
        s.add(f.redirect_data, b, at + 2, end - (at + 2));
        redirectItems(s, b, at + 2, end);
      }
      return;
    }
    case TNS_TYPE.ABORT: {
      if (at + 1 > end) return;
      s.add(f.abort_reason_user, b, at, 1);
      if (at + 2 > end) return;
      s.add(f.abort_reason_system, b, at + 1, 1);
      if (at + 2 < end) s.add(f.abort_data, b, at + 2, end - (at + 2));
      return;
    }
    case TNS_TYPE.MARKER:
    case TNS_TYPE.ATTENTION: {
      if (at + 1 > end) return;
      s.add(f['marker.type'], b, at, 1);
      if (at + 2 <= end) s.add(f['marker.databyte'], b, at + 1, 1);
      if (at + 3 <= end) s.add(f['marker.databyte'], b, at + 2, 1);
      return;
    }
    case TNS_TYPE.CONTROL: {
      if (!add16(s, f['control.cmd'], b, at, end)) return;
      if (at + 2 < end) s.add(f['control.data'], b, at + 2, end - (at + 2));
      return;
    }
    case TNS_TYPE.DATA: {
      if (at + 2 > end) return;
      flagsItem(s, f.data_flag, dataFlagBits, b, at, 2);
      s.push();
      for (const k of ['send', 'rc', 'c', 'reserved', 'more', 'eof', 'dic', 'rts', 'sntt'] as const) s.add(f[`data_flag.${k}`], b, at, 2);
      s.pop();
      at += 2;
      if (at >= end) return;
      // Connect or redirect data that did not fit in the CONNECT/REDIRECT travels here (flag 0).
      const kind = dataKind(p, b, at, end, t);
      if (kind === 'connect') {
        s.add(f.connect_data, b, at, end - at);
        connectDataItems(s, b, at, end - at, ascii(b, at, end));
        return;
      }
      if (kind === 'redirect') {
        s.add(f.redirect_data, b, at, end - at);
        redirectItems(s, b, at, end);
        return;
      }
      s.add(f.data_id, b, at, 1);
      maskAuthData(s, b, at, end);
      for (const m of findOraMessages(b, at, end)) {
        s.add(f['ora.message'], b, m.off, m.len, m.text);
        s.push();
        s.add(f['ora.code'], b, m.off + 4, 5, m.code);
        s.pop();
      }
      return;
    }
    default:
      return;
  }
}

/** What a DATA packet carries: connect/redirect data announced earlier, or SQL*Net data. */
function dataKind(p: Packet, b: Uint8Array, at: number, end: number, t: TnsState | undefined): 'connect' | 'redirect' | 'sqlnet' {
  const kind = p.notes.get('tns.data.kind');
  if (kind === 'connect' || kind === 'redirect') return kind;
  if (kind === undefined && end - at >= 3 && b[at] === 0x28) {
    // Without state (capture began mid-way), an ASCII descriptor starting with '(' tells.
    const text = ascii(b, at, Math.min(end, at + 16)).toUpperCase();
    if (text.startsWith('(DESCRIPTION') || text.startsWith('(ADDRESS')) return t?.pendingRedirect ? 'redirect' : text.startsWith('(ADDRESS') ? 'redirect' : 'connect';
  }
  return 'sqlnet';
}

/** Packet types whose body packet-tns.c puts under a subtree. */
const bodySubtree = new Set([1, 2, 4, 5, 6, 9, 12, 13, 14]);

const serviceBits = (['bconn', 'pc', 'hc', 'fd', 'hd', 'dc1', 'dc2', 'dio', 'ap', 'ra', 'sa'] as const).map((k) => tnsFields[`so_flag.${k}`]);
const ntpBits = (['hangon', 'crel', 'tduio', 'srun', 'dtest', 'cbio', 'asio', 'pio', 'grant', 'handoff', 'sigio', 'sigpipe', 'sigurg', 'urgentio', 'dfio', 'testop'] as const).map((k) => tnsFields[`ntp_flag.${k}`]);
const dataFlagBits = (['send', 'rc', 'c', 'reserved', 'more', 'eof', 'dic', 'rts', 'sntt'] as const).map((k) => tnsFields[`data_flag.${k}`]);
const connectFlagBits = (['nareq', 'nalink', 'enablena', 'ichg', 'wantna'] as const).map((k) => tnsFields[`connect_flags.${k}`]);

/** A flags item whose text names its set bits (`Connect Flags 0: 0x08, NA services linked in`), as tshark's bitmask items. */
function flagsItem(s: Sink, f: FieldDef, bits: readonly FieldDef[], b: Uint8Array, at: number, len: number): void {
  s.add(f, b, at, len, undefined, 0, s.wantsLabels ? bitmaskLabel(f, len === 2 ? u16(b, at) : b[at], bits) : undefined);
}

function connectFlags(s: Sink, f: typeof tnsFields.connect_flags0, b: Uint8Array, at: number, end: number): void {
  if (at + 1 > end) return;
  flagsItem(s, f, connectFlagBits, b, at, 1);
  s.push();
  for (const k of ['nareq', 'nalink', 'enablena', 'ichg', 'wantna'] as const) s.add(tnsFields[`connect_flags.${k}`], b, at, 1);
  s.pop();
}

function connectDataItems(s: Sink, b: Uint8Array, at: number, len: number, text: string): void {
  const f = tnsFields;
  const service = descriptorValue(text, 'SERVICE_NAME');
  const sid = descriptorValue(text, 'SID');
  const host = descriptorValue(text, 'HOST');
  if (service !== undefined) s.add(f['connect.service_name'], b, at, len, service, GENERATED);
  if (sid !== undefined) s.add(f['connect.sid'], b, at, len, sid, GENERATED);
  if (host !== undefined) s.add(f['connect.host'], b, at, len, host, GENERATED);
}

function redirectItems(s: Sink, b: Uint8Array, at: number, end: number): void {
  const f = tnsFields;
  const r = parseRedirect(ascii(b, at, end));
  s.add(f['redirect.address'], b, at, r.address.length, r.address, GENERATED);
  s.push();
  if (r.protocol !== undefined) s.add(f['redirect.protocol'], b, at, r.address.length, r.protocol, GENERATED);
  if (r.host !== undefined) s.add(f['redirect.host'], b, at, r.address.length, r.host, GENERATED);
  if (r.port !== undefined) s.add(f['redirect.port'], b, at, r.address.length, r.port, GENERATED);
  s.pop();
  if (r.connectData !== undefined) {
    const from = at + r.address.length + 1;
    s.add(f['redirect.connect_data'], b, from, end - from, r.connectData, GENERATED);
    connectDataItems(s, b, from, end - from, r.connectData);
  }
}

function refuseItems(s: Sink, b: Uint8Array, at: number, end: number): void {
  const text = ascii(b, at, end);
  const err = descriptorValue(text, 'ERR');
  if (err === undefined || !/^\d{1,9}$/.test(err)) return;
  const code = Number(err);
  s.add(tnsFields['refuse.err'], b, at, end - at, code, GENERATED);
  const meaning = tnsListenerErrors[code];
  if (meaning) s.add(tnsFields['refuse.err_text'], b, at, end - at, meaning, GENERATED);
}

/** AUTH_PASSWORD / AUTH_SESSKEY values travel in DATA packets: shown only as masked items. */
function maskAuthData(s: Sink, b: Uint8Array, at: number, end: number): void {
  const text = ascii(b, at, Math.min(end, at + 4096));
  for (const key of ['AUTH_PASSWORD', 'AUTH_SESSKEY', 'AUTH_NEWPASSWORD', 'AUTH_PBKDF2_SPEEDY_KEY']) {
    const i = text.indexOf(key);
    if (i >= 0) s.add(tnsFields.auth_data, b, at + i, key.length, `${key}=${MASK}`, GENERATED);
  }
}

/** Updates the conversation state and summary from one complete TNS packet `b[o..end)`. */
function learn(st: AppConversationState, t: TnsState, b: Uint8Array, o: number, end: number, p: Packet): void {
  const type = b[o + 4];
  switch (type) {
    case TNS_TYPE.CONNECT: {
      // A (re)connect on this tuple starts afresh; small lengths until the ACCEPT.
      t.client = endpoints.srcId;
      st.server = endpoints.dst;
      t.sduKnown = true;
      t.largeSdu = false;
      t.version = 0;
      t.pendingRedirect = 0;
      p.notes.set(SDU_NOTE, 1);
      if (end - o < 34) return;
      const cdLen = u16(b, o + 24);
      const cdOff = u16(b, o + 26);
      if (cdLen > 0 && o + cdOff >= end) t.pendingConnectData = cdLen;
      else if (cdLen > 0) noteConnectData(st, t, ascii(b, o + cdOff, end), (b[o + 5] & 0x04) !== 0);
      else setSummary(st, 'oracle', SUMMARY_INFO, 'CONNECT');
      return;
    }
    case TNS_TYPE.ACCEPT: {
      if (end - o < 10) return;
      t.version = u16(b, o + 8);
      t.sduKnown = true;
      t.largeSdu = t.version >= LARGE_SDU_VERSION;
      st.server ??= endpoints.src;
      setSummary(st, 'oracle', SUMMARY_OUTCOME, `ACCEPT version ${t.version}${t.service ? ` for service '${t.service}'` : ''}`);
      return;
    }
    case TNS_TYPE.REFUSE: {
      const [from, to] = dataRange(b, o, end, type);
      const text = ascii(b, from, to);
      const err = descriptorValue(text, 'ERR');
      if (err !== undefined && /^\d{1,9}$/.test(err)) {
        const meaning = tnsListenerErrors[Number(err)];
        setSummary(st, 'oracle', SUMMARY_ERROR, `REFUSE ERR=${err}${meaning ? ` (${meaning})` : ''}${t.service ? ` for service '${t.service}'` : ''}`);
      } else {
        setSummary(st, 'oracle', SUMMARY_ERROR, `REFUSE${text ? ` ${printable(text, 60)}` : ''}`);
      }
      return;
    }
    case TNS_TYPE.REDIRECT: {
      if (end - o < 10) return;
      t.redirectFlags = b[o + 5];
      if (end - o === 10) {
        t.pendingRedirect = u16(b, o + 8);
        setSummary(st, 'oracle', SUMMARY_OUTCOME, 'REDIRECT (address in the next DATA packet)');
        return;
      }
      noteRedirect(st, ascii(b, o + 10, end));
      return;
    }
    case TNS_TYPE.DATA: {
      if (end - o <= 10) return;
      if (t.pendingConnectData && endpoints.srcId === t.client) {
        t.pendingConnectData = 0;
        p.notes.set('tns.data.kind', 'connect');
        noteConnectData(st, t, ascii(b, o + 10, end), false);
        return;
      }
      if (t.pendingRedirect && endpoints.srcId !== t.client) {
        t.pendingRedirect = 0;
        p.notes.set('tns.data.kind', 'redirect');
        noteRedirect(st, ascii(b, o + 10, end));
        return;
      }
      const ora = findOraMessages(b, o + 10, end, 1);
      if (ora.length) setSummary(st, 'oracle', SUMMARY_ERROR, printable(ora[0].text, 100));
      return;
    }
    default:
      return;
  }
}

function noteConnectData(st: AppConversationState, t: TnsState, text: string, redirected: boolean): void {
  t.service = descriptorValue(text, 'SERVICE_NAME') ?? descriptorValue(text, 'SID');
  setSummary(st, 'oracle', SUMMARY_INFO, `CONNECT${redirected ? ' (redirected)' : ''}${t.service ? ` to service '${t.service}'` : ''}`);
}

function noteRedirect(st: AppConversationState, text: string): void {
  const r = parseRedirect(text);
  const where = r.host !== undefined ? `${r.host}${r.port !== undefined ? `:${r.port}` : ''}` : printable(r.address, 60);
  setSummary(st, 'oracle', SUMMARY_OUTCOME, `REDIRECT to ${where}`);
}

tcpPorts.add(TNS_PORT, tns);
tcpHeuristics.push({ dissector: tns, test: looksLikeTnsConnect });

// ---- Packet-list columns (Wireshark's Info text) ----
/** SQL*Net function names of a DATA packet's first byte (packet-tns.c's `tns_data_funcs`). */
const dataFunctionNames: Record<number, string> = {
  0x01: 'Set Protocol', 0x02: 'Set Datatypes', 0x03: 'User OCI Functions', 0x04: 'Return Status', 0x05: 'Access User Address Space',
  0x06: 'Row Transfer Header', 0x07: 'Row Transfer Data', 0x08: 'Return OPI Parameter', 0x09: 'Function Complete',
  0x0a: 'N Error return definitions follow', 0x0b: 'Sending I/O Vec only for fast UPI', 0x0c: 'Sending long for fast UPI',
  0x0d: 'Invoke user callback', 0x0e: 'LOB/FILE data follows', 0x0f: 'Warning messages - may be a set of them',
  0x10: 'Describe Information', 0x11: 'Piggy back function follow', 0x12: 'Signals special action for UCS',
  0x13: 'Flush Out Bind data in DML/w RETURN when error',
};

/** `Request, Connect (1)`, `Response, Data (6), Return Status`: direction, packet type, SQL*Net function (`unknown` when not in tshark's table). */
tns.info = (p, layer, col) => {
  const b = p.bufferOf(layer);
  const o = p.start[layer];
  const end = Math.min(p.end[layer], b.length);
  col.setProtocol('TNS');
  const st = conversationOf(p, false);
  const t = st?.data instanceof TnsState ? st.data : undefined;
  col.set(isRequest(p, t) ? 'Request' : 'Response');
  if (end - o < 5) return;
  const type = b[o + 4];
  col.append(`, ${typeNames[type] ?? 'Unknown'} (${type})`);
  if (type !== TNS_TYPE.DATA || end - o < 11) return;
  if (end - o >= 14 && u32(b, o + 10) === 0xdeadbeef) col.append(', Secure Network Services');
  // packet-tns.c names the data function of any DATA body, `unknown` when not in its table
  // (the descriptor a client sends after a CONNECT too long for it starts with `(`).
  else col.append(`, ${dataFunctionNames[b[o + 10]] ?? 'unknown'}`);
};
