/**
 * MySQL / MariaDB client-server protocol (TCP 3306), after Wireshark's `packet-mysql.c` field
 * names and the MySQL "Client/Server Protocol" documentation.
 *
 * Packet: payload length u24 LE · sequence id · payload. Which side is the server is learnt
 * from the greeting (protocol 10); then the client's login request (user, database, plugin;
 * the auth response is masked), the server's OK (0x00), ERR (0xff: code, `#` SQLSTATE,
 * message) or auth switch (0xfe), then commands (COM_QUERY text…). A login request of 32 bytes
 * with CLIENT_SSL is the TLS upgrade: the rest of the conversation is handed to TLS.
 */
import { u16le, u32le } from '../decode/bytes.js';
import { dissectorByName, registerDissector, STOP, tcpHeuristics, tcpPorts } from '../decode/dissector.js';
import type { Packet } from '../decode/packet.js';
import { defineField, defineFields, textItem } from '../fields/field.js';
import type { Sink } from '../fields/sink.js';
import { GENERATED, HIDDEN, LITTLE_ENDIAN } from '../fields/value.js';
import { addNeedsReassembly, ascii, capturedEnd, definePduFields, endPdu, indexOfByte, MASK } from './_pdu.js';
import { resumePdu } from './desegment.js';
import {
  conversationOf, endpoints, type EndpointId, mayUpdate, printable, setSummary, SUMMARY_ERROR, SUMMARY_INFO, SUMMARY_OUTCOME,
  type AppConversationState,
} from './conversation-state.js';

export const MYSQL_PORT = 3306;
const HEADER = 4;
const CLIENT_CONNECT_WITH_DB = 0x8;
const CLIENT_SSL = 0x800;
const CLIENT_PROTOCOL_41 = 0x200;
const CLIENT_PLUGIN_AUTH = 0x80000;
const CLIENT_SECURE_CONNECTION = 0x8000;
const CLIENT_PLUGIN_AUTH_LENENC = 0x200000;

const commandNames: Record<number, string> = {
  0: 'Sleep', 1: 'Quit', 2: 'Use Database', 3: 'Query', 4: 'Show Fields', 5: 'Create Database', 6: 'Drop Database',
  7: 'Refresh', 8: 'Shutdown', 9: 'Statistics', 10: 'Process List', 11: 'Connect', 12: 'Kill Server Thread',
  13: 'Dump Debugging Info', 14: 'Ping', 17: 'Change User', 22: 'Prepare Statement', 23: 'Execute Statement',
  25: 'Close Statement', 26: 'Reset Statement', 27: 'Set Option', 28: 'Fetch Data', 31: 'Reset Connection',
};

const capBit = (display: string, mask: number) => ({ display, type: 'bool' as const, mask, bits: 16 });
const fieldFlag = capBit;

export const mysqlFields = defineFields('mysql', {
  packet_length: { display: 'Packet Length', type: 'uint24', base: 'dec' },
  packet_number: { display: 'Packet Number', type: 'uint8', base: 'dec' },
  request: { display: 'Request Command', type: 'none' },
  command: { display: 'Command', type: 'uint8', base: 'dec', values: commandNames },
  response_code: { display: 'Response Code', type: 'uint8', base: 'hex' },
  error_code: { display: 'Error Code', type: 'uint16', base: 'dec' },
  sqlstate: { display: 'SQL state', type: 'string' },
  'error.message': { display: 'Error message', type: 'string' },
  message: { display: 'Message', type: 'string' },
  server_greeting: { display: 'Server Greeting', type: 'none' },
  protocol: { display: 'Protocol', type: 'uint8', base: 'dec' },
  version: { display: 'Version', type: 'string' },
  thread_id: { display: 'Thread ID', type: 'uint32', base: 'dec' },
  salt: { display: 'Salt', type: 'string' },
  'caps.server': { display: 'Server Capabilities', type: 'uint16', base: 'hex' },
  'caps.client': { display: 'Client Capabilities', type: 'uint16', base: 'hex' },
  'caps.cd': capBit('Connect With Database', 0x8),
  'caps.sl': capBit('Switch to SSL after handshake', 0x800),
  'caps.cu': capBit('Speaks 4.1 protocol (new flag)', 0x200),
  'caps.sc': capBit('Can do 4.1 authentication', 0x8000),
  server_language: { display: 'Server Language', type: 'uint8', base: 'dec' },
  server_status: { display: 'Server Status', type: 'uint16', base: 'hex' },
  'extcaps.server': { display: 'Extended Server Capabilities', type: 'uint16', base: 'hex' },
  'extcaps.client': { display: 'Extended Client Capabilities', type: 'uint16', base: 'hex' },
  'auth_plugin.length': { display: 'Authentication Plugin Length', type: 'uint8', base: 'dec' },
  salt2: { display: 'Salt', type: 'string' },
  auth_plugin: { display: 'Authentication Plugin', type: 'string' },
  login_request: { display: 'Login Request', type: 'none' },
  max_packet: { display: 'MAX Packet', type: 'uint32', base: 'dec' },
  charset: { display: 'Charset', type: 'uint8', base: 'dec' },
  user: { display: 'Username', type: 'string' },
  passwd: { display: 'Password', type: 'bytes', description: 'The auth response: always masked by wiresage' },
  schema: { display: 'Schema', type: 'string' },
  client_auth_plugin: { display: 'Client Auth Plugin', type: 'string' },
  affected_rows: { display: 'Affected Rows', type: 'uint64', base: 'dec' },
  insert_id: { display: 'Last INSERT ID', type: 'uint64', base: 'dec' },
  warnings: { display: 'Warnings', type: 'uint16', base: 'dec' },
  query: { display: 'Statement', type: 'string' },
  'auth_switch_request.status': { display: 'Status', type: 'uint8', base: 'dec' },
  'auth_switch_request.name': { display: 'Auth Method Name', type: 'string' },
  'auth_switch_request.data': { display: 'Auth Method Data', type: 'bytes' },
  'auth_switch_response.data': { display: 'Auth Method Data', type: 'bytes', description: 'Masked by wiresage' },
  payload: { display: 'Payload', type: 'bytes' },
  tls_upgrade: { display: 'Switches to TLS after this packet', type: 'bool', description: 'wiresage: SSL request (CLIENT_SSL)' },
  // A result set: its column count, then one column definition per column (protocol 4.1).
  num_fields: { display: 'Number of fields', type: 'uint64', base: 'dec' },
  eof: { display: 'EOF marker', type: 'uint8', base: 'dec' },
  'field.catalog': { display: 'Catalog', type: 'string' },
  'field.db': { display: 'Database', type: 'string' },
  'field.table': { display: 'Table', type: 'string' },
  'field.org_table': { display: 'Original table', type: 'string' },
  'field.name': { display: 'Name', type: 'string' },
  'field.org_name': { display: 'Original name', type: 'string' },
  'field.charsetnr': { display: 'Charset number', type: 'uint16', base: 'dec' },
  'field.length': { display: 'Length', type: 'uint32', base: 'dec' },
  'field.type': { display: 'Type', type: 'uint8', base: 'dec' },
  'field.flags': { display: 'Flags', type: 'uint16', base: 'hex' },
  'field.flags.not_null': fieldFlag('Not null', 0x0001),
  'field.flags.primary_key': fieldFlag('Primary key', 0x0002),
  'field.flags.unique_key': fieldFlag('Unique key', 0x0004),
  'field.flags.multiple_key': fieldFlag('Multiple key', 0x0008),
  'field.flags.blob': fieldFlag('Blob', 0x0010),
  'field.flags.unsigned': fieldFlag('Unsigned', 0x0020),
  'field.flags.zero_fill': fieldFlag('Zero fill', 0x0040),
  'field.flags.enum': fieldFlag('Enum', 0x0100),
  'field.flags.auto_increment': fieldFlag('Auto increment', 0x0200),
  'field.flags.timestamp': fieldFlag('Timestamp', 0x0400),
  'field.flags.set': fieldFlag('Set', 0x0800),
  'field.decimals': { display: 'Decimals', type: 'uint8', base: 'dec' },
});

export const mysqlPduFields = definePduFields('mysql');
const mariadbServerLanguage = defineField({ name: 'mariadb.server_language', display: 'Server Language', type: 'uint8', base: 'dec' });

const enum Phase { Start, Greeted, LoginSent, Command }

/** Note on an EOF packet that ends part of a result set (`mysql.result_eof.LAYER`). */
const RESULT_EOF_NOTE = 'mysql.result_eof.';
/** Per-layer note: the packet is a row of a result set (text protocol). Keys made once. */
const ROW_NOTES = Array.from({ length: 64 }, (_, i) => `mysql.row.${i}`);

/** `Prefix: 253 Length in following 3 bytes`: the text packet-mysql.c gives the first byte of a length-encoded integer. */
const prefixText: Record<number, string> = { 251: ' NULL', 252: ' Length in following 2 bytes', 253: ' Length in following 3 bytes', 254: ' Length in following 8 bytes' };

function addPrefix(s: Sink, b: Uint8Array, at: number): void {
  s.add(fleFields.prefix, b, at, 1, undefined, 0, s.wantsLabels ? `Prefix: ${b[at]}${prefixText[b[at]] ?? ''}` : undefined);
}

/** Length-encoded integers as packet-mysql.c's tvb_get_fle shows them (`Prefix`, `Length`). */
const fleFields = defineFields('mariadb', {
  prefix: { display: 'Prefix', type: 'uint8', base: 'dec' },
  length: { display: 'Length', type: 'uint64', base: 'dec' },
});
const rowText = defineField({ name: 'mysql.row.text', display: 'text', type: 'string' });
/** Note on a column definition packet of a result set (`mysql.field.LAYER`). */
const FIELD_NOTE = 'mysql.field.';

export class MysqlState {
  server: EndpointId | undefined;
  phase = Phase.Start;
  user: string | undefined;
  schema: string | undefined;
  /** Frame after which the conversation is TLS (the SSL request's frame), 0 when none. */
  tlsAfterFrame = 0;
  tlsLayer = -1;
  loggedIn = false;
  /** EOF packets still to come in the result set the server is sending (after the column definitions, after the rows). */
  resultEofs = 0;
  /** Column definitions still to come after a result set's column count. */
  fieldsDue = 0;
  version: string | undefined;
}

function stateOf(st: AppConversationState): MysqlState {
  if (!(st.data instanceof MysqlState)) st.data = new MysqlState();
  return st.data as MysqlState;
}

/**
 * Bytes the MySQL packet at `off` needs (4-byte header + payload length), or undefined while
 * its 3-byte length is not all there (packet-mysql.c's fixed_len is 3: the sequence number is
 * not needed to know the length, so a PDU whose header is cut after 3 bytes is held for exactly
 * its length, as tcp_dissect_pdus does).
 */
export function pduLength(buf: Uint8Array, off: number, avail: number): number | undefined {
  if (avail < 3) return undefined;
  return HEADER + (buf[off] | (buf[off + 1] << 8) | (buf[off + 2] << 16));
}

/** Heuristic: a protocol-10 greeting whose length matches and whose version starts with a digit. */
export function looksLikeMysqlGreeting(buf: Uint8Array, off: number, end: number): boolean {
  if (end - off < 40) return false;
  const len = buf[off] | (buf[off + 1] << 8) | (buf[off + 2] << 16);
  return buf[off + 3] === 0 && buf[off + 4] === 10 && len + HEADER === end - off && buf[off + 5] >= 0x30 && buf[off + 5] <= 0x39;
}

/** Length-encoded integer at `at`: [value, bytes used], or undefined past `end`. */
function lenenc(b: Uint8Array, at: number, end: number): [number, number] | undefined {
  if (at >= end) return undefined;
  const c = b[at];
  if (c < 0xfb) return [c, 1];
  if (c === 0xfc) return at + 3 <= end ? [u16le(b, at + 1), 3] : undefined;
  if (c === 0xfd) return at + 4 <= end ? [b[at + 1] | (b[at + 2] << 8) | (b[at + 3] << 16), 4] : undefined;
  if (c === 0xfe) return at + 9 <= end ? [u32le(b, at + 1) + u32le(b, at + 5) * 2 ** 32, 9] : undefined;
  return undefined;
}

/** What one packet is, from the side that sent it and the conversation's phase. */
type Kind = 'greeting' | 'login' | 'ssl' | 'ok' | 'err' | 'eof' | 'auth_switch' | 'auth_more' | 'auth_response' | 'command' | 'response' | 'unknown';

function classify(b: Uint8Array, o: number, end: number, fromServer: boolean, m: MysqlState | undefined): Kind {
  if (end - o < 5) return 'unknown';
  const first = b[o + 4];
  const seq = b[o + 3];
  const len = end - o - HEADER;
  if (fromServer) {
    if (first === 10 && seq === 0 && (!m || m.phase === Phase.Start)) return 'greeting';
    if (first === 0xff) return 'err';
    if (first === 0x00 && len >= 7) return 'ok';
    if (first === 0xfe && (!m || m.phase === Phase.LoginSent) && len > 1) return 'auth_switch';
    if (first === 0xfe && len < 9) return 'eof';
    if (first === 0x01 && m?.phase === Phase.LoginSent) return 'auth_more';
    if (first === 0x00) return 'ok';
    return 'response';
  }
  if (seq === 1 && (!m || m.phase === Phase.Greeted || m.phase === Phase.Start) && len >= 32) {
    const caps = u32le(b, o + 4);
    if (len === 32 && (caps & CLIENT_SSL) !== 0) return 'ssl';
    return 'login';
  }
  if (m?.phase === Phase.LoginSent && seq > 1) return 'auth_response';
  if (seq === 0) return 'command';
  return 'unknown';
}

function isFromServer(p: Packet, m: MysqlState | undefined): boolean {
  if (m?.server) return endpoints.srcId === m.server;
  return endpoints.srcPort === MYSQL_PORT || (endpoints.dstPort !== MYSQL_PORT && endpoints.srcPort < endpoints.dstPort);
}

let tlsId = -2;
function tlsDissector(): number {
  if (tlsId === -2) tlsId = dissectorByName('tls')?.id ?? STOP;
  return tlsId;
}

export const mysql = registerDissector({
  name: 'mysql',
  display: 'MySQL Protocol',
  decode(p, layer) {
    const st = conversationOf(p);
    const m = st ? stateOf(st) : undefined;
    if (m && m.tlsAfterFrame && (p.number > m.tlsAfterFrame || (p.number === m.tlsAfterFrame && layer > m.tlsLayer))) {
      // After the SSL request the conversation is TLS.
      const tls = tlsDissector();
      if (tls !== STOP) {
        p.end[layer] = p.start[layer];
        p.nextStart = p.start[layer];
        return tls;
      }
    }
    if (resumePdu(p, layer)) return STOP;
    const b = p.bufferOf(layer);
    const o = p.start[layer];
    const end = capturedEnd(p, layer);
    const length = pduLength(b, o, end - o);
    if (st && m && length !== undefined && o + length <= end && mayUpdate(st, p, layer)) learn(st, m, p, layer, b, o, o + length);
    return endPdu(p, layer, length, mysql.id);
  },
  summary(p, layer) {
    const b = p.bufferOf(layer);
    const o = p.start[layer];
    if (p.end[layer] === o) return 'MySQL Protocol (TLS follows)';
    if (b.length < o + 5) return 'MySQL Protocol';
    // packet-mysql.c names the result set's packets on the protocol item.
    if (layer < ROW_NOTES.length && p.notes.get(ROW_NOTES[layer])) return 'MySQL Protocol - row packet';
    if (p.notes.get(`${FIELD_NOTE}${layer}`)) return 'MySQL Protocol - field packet';
    return 'MySQL Protocol';
  },
  tree(p, layer, s) {
    const b = p.bufferOf(layer);
    const o = p.start[layer];
    const end = Math.min(p.end[layer], b.length);
    const f = mysqlFields;
    if (end === o) return;
    if (end - o < HEADER) {
      addNeedsReassembly(s, mysqlPduFields, b, o, end - o, undefined);
      return;
    }
    const length = pduLength(b, o, end - o)!;
    s.add(f.packet_length, b, o, 3, undefined, LITTLE_ENDIAN);
    s.add(f.packet_number, b, o + 3, 1);
    const pduEnd = Math.min(end, o + length);
    const st = conversationOf(p);
    const m = st?.data instanceof MysqlState ? st.data : undefined;
    const fromServer = isFromServer(p, m);
    const kind = (p.notes.get(`mysql.kind.${layer}`) as Kind | undefined) ?? classify(b, o, pduEnd, fromServer, m);
    if (o + length > end) {
      // Only the start of a long packet is here: its first fields, then the reassembly mark.
      treeMessage(s, b, o, pduEnd, kind, fromServer);
      addNeedsReassembly(s, mysqlPduFields, b, o, end - o, length);
      return;
    }
    if (kind === 'response' && isResultHeader(b, o, pduEnd)) treeColumnCount(s, b, o, pduEnd);
    else if (kind === 'response' && p.notes.get(`${FIELD_NOTE}${layer}`)) treeColumn(s, b, o, pduEnd);
    else if (kind === 'response' && layer < ROW_NOTES.length && p.notes.get(ROW_NOTES[layer])) treeRow(s, b, o, pduEnd);
    else treeMessage(s, b, o, pduEnd, kind, fromServer);
  },
});

/**
 * A row of a text result set as packet-mysql.c shows it: per column a `text` subtree with the
 * length's `Prefix` and `Length` and the value (`mysql.row.text`). The payload item stays, hidden,
 * for `mysql.payload`.
 */
function treeRow(s: Sink, b: Uint8Array, o: number, end: number): void {
  let at = o + HEADER;
  s.add(mysqlFields.payload, b, at, end - at, undefined, HIDDEN);
  for (let n = 0; at < end && n < 4096; n++) {
    const c = b[at];
    if (c === 0xfb) {
      s.add(textItem, b, at, 1, undefined, 0, s.wantsLabels ? 'text' : undefined);
      s.push();
      addPrefix(s, b, at);
      s.pop();
      at++;
      continue;
    }
    const l = lenenc(b, at, end);
    if (!l) return;
    const stop = Math.min(end, at + l[1] + l[0]);
    s.add(textItem, b, at, stop - at, undefined, 0, s.wantsLabels ? 'text' : undefined);
    s.push();
    addPrefix(s, b, at);
    s.add(fleFields.length, b, at, l[1], BigInt(l[0]));
    s.add(rowText, b, at + l[1], stop - at - l[1], ascii(b, at + l[1], stop));
    s.pop();
    at = stop;
  }
}

/** A result set's column count (packet-mysql.c `mysql.num_fields`). */
function treeColumnCount(s: Sink, b: Uint8Array, o: number, end: number): void {
  const n = lenenc(b, o + HEADER, end);
  if (n) s.add(mysqlFields.num_fields, b, o + HEADER, n[1], BigInt(n[0]));
}

const columnNames = ['field.catalog', 'field.db', 'field.table', 'field.org_table', 'field.name', 'field.org_name'] as const;
const flagNames = ['not_null', 'primary_key', 'unique_key', 'multiple_key', 'blob', 'unsigned', 'zero_fill', 'enum', 'auto_increment', 'timestamp', 'set'] as const;

/**
 * A column definition (Protocol::ColumnDefinition41): six length-encoded strings, then the 12
 * fixed bytes — charset, length, type, flags, decimals, filler — which end the packet (MariaDB
 * may put its extended metadata between them, so they are read from the end).
 */
function treeColumn(s: Sink, b: Uint8Array, o: number, end: number): void {
  const f = mysqlFields;
  let at = o + HEADER;
  for (const name of columnNames) {
    const l = lenenc(b, at, end);
    if (!l || at + l[1] + l[0] > end) return;
    s.add(f[name], b, at + l[1], l[0], ascii(b, at + l[1], at + l[1] + l[0]));
    at += l[1] + l[0];
  }
  const fixed = end - 12;
  if (fixed < at + 1) return;
  s.add(f['field.charsetnr'], b, fixed, 2, undefined, LITTLE_ENDIAN);
  s.add(f['field.length'], b, fixed + 2, 4, undefined, LITTLE_ENDIAN);
  s.add(f['field.type'], b, fixed + 6, 1);
  s.add(f['field.flags'], b, fixed + 7, 2, undefined, LITTLE_ENDIAN);
  s.push();
  for (const k of flagNames) s.add(f[`field.flags.${k}`], b, fixed + 7, 2, undefined, LITTLE_ENDIAN);
  s.pop();
  s.add(f['field.decimals'], b, fixed + 9, 1);
}

function cstring(b: Uint8Array, at: number, end: number): number {
  const nul = indexOfByte(b, 0, at, end);
  return nul < 0 ? end : nul;
}

function treeMessage(s: Sink, b: Uint8Array, o: number, end: number, kind: Kind, fromServer: boolean): void {
  const f = mysqlFields;
  let at = o + HEADER;
  switch (kind) {
    case 'greeting': {
      s.add(f.server_greeting, b, at, end - at);
      s.push();
      s.add(f.protocol, b, at, 1);
      at++;
      const v = cstring(b, at, end);
      s.add(f.version, b, at, v - at);
      at = v + 1;
      if (at + 4 > end) break;
      s.add(f.thread_id, b, at, 4, undefined, LITTLE_ENDIAN);
      at += 4;
      const salt = cstring(b, at, end);
      s.add(f.salt, b, at, salt - at);
      at = salt + 1;
      if (at + 2 > end) break;
      s.add(f['caps.server'], b, at, 2, undefined, LITTLE_ENDIAN);
      const caps = u16le(b, at);
      at += 2;
      if (at + 1 > end) break;
      // tshark names the collation byte after the server kind.
      s.add(ascii(b, o + 5, v).includes('MariaDB') ? mariadbServerLanguage : f.server_language, b, at, 1);
      if (at + 3 > end) break;
      s.add(f.server_status, b, at + 1, 2, undefined, LITTLE_ENDIAN);
      if (at + 5 > end) break;
      s.add(f['extcaps.server'], b, at + 3, 2, undefined, LITTLE_ENDIAN);
      const ext = u16le(b, at + 3);
      if (at + 6 > end) break;
      s.add(f['auth_plugin.length'], b, at + 5, 1);
      at += 16;
      if (caps & CLIENT_SECURE_CONNECTION && at < end) {
        const salt2 = cstring(b, at, end);
        s.add(f.salt2, b, at, salt2 - at);
        at = salt2 + 1;
      }
      if (ext & (CLIENT_PLUGIN_AUTH >>> 16) && at < end) {
        const plugin = cstring(b, at, end);
        s.add(f.auth_plugin, b, at, plugin - at);
      }
      break;
    }
    case 'ssl':
    case 'login': {
      s.add(f.login_request, b, at, end - at);
      s.push();
      const caps = u32le(b, at);
      s.add(f['caps.client'], b, at, 2, undefined, LITTLE_ENDIAN);
      s.push();
      s.add(f['caps.cd'], b, at, 2, undefined, LITTLE_ENDIAN);
      s.add(f['caps.sl'], b, at, 2, undefined, LITTLE_ENDIAN);
      s.pop();
      s.add(f['extcaps.client'], b, at + 2, 2, undefined, LITTLE_ENDIAN);
      s.add(f.max_packet, b, at + 4, 4, undefined, LITTLE_ENDIAN);
      s.add(f.charset, b, at + 8, 1);
      at += 32;
      if (kind === 'ssl') {
        s.add(f.tls_upgrade, b, o, 0, true, GENERATED);
        break;
      }
      const user = cstring(b, at, end);
      s.add(f.user, b, at, user - at);
      at = user + 1;
      if (at >= end) break;
      // The auth response: its length, never its bytes.
      let authLen: number;
      let lenBytes: number;
      if (caps & CLIENT_PLUGIN_AUTH_LENENC) {
        const l = lenenc(b, at, end);
        if (!l) break;
        [authLen, lenBytes] = l;
      } else if (caps & CLIENT_SECURE_CONNECTION) {
        authLen = b[at];
        lenBytes = 1;
      } else {
        authLen = cstring(b, at, end) - at;
        lenBytes = 0;
      }
      const authEnd = Math.min(end, at + lenBytes + authLen);
      if (authLen > 0) s.add(f.passwd, b, at + lenBytes, authEnd - (at + lenBytes), MASK);
      at = authEnd + (lenBytes === 0 ? 1 : 0);
      if (caps & CLIENT_CONNECT_WITH_DB && at < end) {
        const db = cstring(b, at, end);
        s.add(f.schema, b, at, db - at);
        at = db + 1;
      }
      if (caps & CLIENT_PLUGIN_AUTH && at < end) {
        const plugin = cstring(b, at, end);
        s.add(f.client_auth_plugin, b, at, plugin - at);
      }
      break;
    }
    case 'ok': {
      s.add(f.response_code, b, at, 1);
      const rows = lenenc(b, at + 1, end);
      if (!rows) return;
      s.add(f.affected_rows, b, at + 1, rows[1], BigInt(rows[0]));
      const id = lenenc(b, at + 1 + rows[1], end);
      if (!id) return;
      s.add(f.insert_id, b, at + 1 + rows[1], id[1], BigInt(id[0]));
      at += 1 + rows[1] + id[1];
      if (at + 2 <= end) s.add(f.server_status, b, at, 2, undefined, LITTLE_ENDIAN);
      if (at + 4 <= end) s.add(f.warnings, b, at + 2, 2, undefined, LITTLE_ENDIAN);
      return;
    }
    case 'eof':
      s.add(f.response_code, b, at, 1);
      s.add(f.eof, b, at, 1);
      if (at + 3 <= end) s.add(f.warnings, b, at + 1, 2, undefined, LITTLE_ENDIAN);
      if (at + 5 <= end) s.add(f.server_status, b, at + 3, 2, undefined, LITTLE_ENDIAN);
      return;
    case 'err': {
      s.add(f.response_code, b, at, 1);
      if (at + 3 > end) return;
      s.add(f.error_code, b, at + 1, 2, undefined, LITTLE_ENDIAN);
      at += 3;
      if (at < end && b[at] === 0x23 && at + 6 <= end) {
        s.add(f.sqlstate, b, at + 1, 5);
        at += 6;
      }
      if (at < end) s.add(f['error.message'], b, at, end - at, ascii(b, at, end));
      return;
    }
    case 'auth_switch': {
      s.add(f['auth_switch_request.status'], b, at, 1);
      const name = cstring(b, at + 1, end);
      s.add(f['auth_switch_request.name'], b, at + 1, name - (at + 1));
      if (name + 1 < end) s.add(f['auth_switch_request.data'], b, name + 1, end - (name + 1));
      return;
    }
    case 'auth_response':
      if (end > at) s.add(f['auth_switch_response.data'], b, at, end - at, MASK);
      return;
    case 'command': {
      const cmd = b[at];
      s.add(f.request, b, at, end - at);
      s.push();
      s.add(f.command, b, at, 1);
      if ((cmd === 3 || cmd === 2 || cmd === 22) && at + 1 < end) s.add(cmd === 2 ? f.schema : f.query, b, at + 1, end - at - 1, ascii(b, at + 1, end));
      s.pop();
      return;
    }
    default:
      // A client packet that fits no known step may be an auth response (capture begun
      // mid-handshake): its bytes are not shown.
      if (end > at) s.add(f.payload, b, at, end - at, fromServer ? undefined : MASK);
  }
}

function learn(st: AppConversationState, m: MysqlState, p: Packet, layer: number, b: Uint8Array, o: number, end: number): void {
  const fromServer = isFromServer(p, m);
  const kind = classify(b, o, end, fromServer, m);
  p.notes.set(`mysql.kind.${layer}`, kind);
  // An EOF that ends a result set begun in an earlier frame writes no ` EOF ` (packet-mysql.c
  // is in its row state), as one in the header's own frame.
  if (!fromServer) m.resultEofs = m.fieldsDue = 0;
  else if (kind === 'response' && isResultHeader(b, o, end)) {
    m.resultEofs = 2;
    m.fieldsDue = Math.min(lenenc(b, o + HEADER, end)?.[0] ?? 0, 4096);
  } else if (kind === 'response' && m.fieldsDue > 0) {
    m.fieldsDue--;
    p.notes.set(`${FIELD_NOTE}${layer}`, true);
  } else if (kind === 'eof' && m.resultEofs > 0) {
    m.fieldsDue = 0;
    m.resultEofs--;
    p.notes.set(`${RESULT_EOF_NOTE}${layer}`, true);
  } else if (kind === 'ok' || kind === 'err') m.resultEofs = 0;
  else if (kind === 'response' && m.resultEofs === 1 && layer < ROW_NOTES.length) p.notes.set(ROW_NOTES[layer], true);
  const at = o + HEADER;
  switch (kind) {
    case 'greeting': {
      m.server = endpoints.srcId;
      st.server = endpoints.src;
      m.phase = Phase.Greeted;
      m.tlsAfterFrame = 0;
      m.loggedIn = false;
      const v = cstring(b, at + 1, end);
      m.version = ascii(b, at + 1, v);
      setSummary(st, 'mysql', SUMMARY_INFO, `server ${printable(m.version, 40)}`);
      return;
    }
    case 'ssl':
      m.tlsAfterFrame = p.number;
      m.tlsLayer = layer;
      setSummary(st, 'mysql', SUMMARY_OUTCOME, 'TLS requested: login and queries encrypted (see the TLS handshake)');
      return;
    case 'login': {
      m.server ??= endpoints.dstId;
      m.phase = Phase.LoginSent;
      const caps = u32le(b, at);
      const u = cstring(b, at + 32, end);
      m.user = ascii(b, at + 32, u);
      let x = u + 1;
      const l = caps & CLIENT_PLUGIN_AUTH_LENENC ? lenenc(b, x, end) : caps & CLIENT_SECURE_CONNECTION && x < end ? ([b[x], 1] as [number, number]) : undefined;
      if (l) x += l[0] + l[1];
      else x = cstring(b, x, end) + 1;
      m.schema = caps & CLIENT_CONNECT_WITH_DB && x < end ? ascii(b, x, cstring(b, x, end)) : undefined;
      setSummary(st, 'mysql', SUMMARY_INFO, loginText(m));
      return;
    }
    case 'ok':
      if (m.phase === Phase.LoginSent) {
        m.phase = Phase.Command;
        m.loggedIn = true;
        setSummary(st, 'mysql', SUMMARY_OUTCOME, `${loginText(m)} ok`);
      }
      return;
    case 'err': {
      const code = end - at >= 3 ? u16le(b, at + 1) : 0;
      let x = at + 3;
      if (x < end && b[x] === 0x23) x += 6;
      const message = printable(ascii(b, Math.min(x, end), end), 100);
      if (!m.loggedIn) {
        m.phase = Phase.Command;
        setSummary(st, 'mysql', SUMMARY_ERROR, `${loginText(m)} failed ${code} ${message}`);
      } else {
        setSummary(st, 'mysql', SUMMARY_OUTCOME, `${loginText(m)} ok, then error ${code} ${message}`);
      }
      return;
    }
    default:
      return;
  }
}

function loginText(m: MysqlState): string {
  return `login '${printable(m.user ?? '?', 40)}'${m.schema ? ` to '${printable(m.schema, 40)}'` : ''}`;
}

tcpPorts.add(MYSQL_PORT, mysql);
tcpHeuristics.push({ dissector: mysql, test: looksLikeMysqlGreeting });

// ---- Packet-list columns (Wireshark's Info text) ----
/**
 * packet-mysql.c's Info text: `Server Greeting  proto=10 version=… `, `Login Request user=… db=… `,
 * `Auth Switch Request `, `Request Query`, `Response  OK `, `Response  Error 1045 `, `Response TABULAR Response ` (a
 * result set: its header fences the text, each following packet of the segment writes
 * `Response ` after it). Several packets in one segment: the last one's text stays, as
 * tcp_dissect_pdus calls the dissector for each.
 */
mysql.info = (p, layer, col) => {
  col.setProtocol('MySQL');
  // desegment_tcp fences the Info column after a reassembled PDU when more of its last segment
  // follows: the packets after it write their text behind it (`Response Response `).
  if (layer > 0 && p.proto[layer - 1] === mysql.id && p.bufIndex[layer - 1] !== p.bufIndex[layer]) col.setFence();
  const b = p.bufferOf(layer);
  const o = p.start[layer];
  const end = Math.min(p.end[layer], b.length);
  if (end - o < 5) return;
  const st = conversationOf(p, false);
  const m = st?.data instanceof MysqlState ? st.data : undefined;
  const kind = (p.notes.get(`mysql.kind.${layer}`) as Kind | undefined) ?? classify(b, o, end, isFromServer(p, m), m);
  const at = o + HEADER;
  switch (kind) {
    case 'greeting':
      // MariaDB's version behind the `5.5.5-` it sends for old clients, as tshark shows it.
      col.set(`Server Greeting  proto=${b[at]} version=${ascii(b, at + 1, cstring(b, at + 1, end)).replace(/^5\.5\.5-(?=.*MariaDB)/, '')} `);
      return;
    case 'login':
    case 'ssl': {
      col.set('Login Request ');
      if (kind === 'ssl') return;
      const { user, schema } = loginNames(b, at, end);
      col.append(`user=${user} `);
      if (schema !== undefined) col.append(`db=${schema} `);
      return;
    }
    case 'command':
      col.set(`Request ${commandNames[b[at]] ?? `Unknown (${b[at]})`}`);
      return;
    case 'auth_switch':
      col.set('Auth Switch Request ');
      return;
    case 'auth_response':
      col.set('Auth Switch Response ');
      return;
    case 'ok':
    case 'err':
    case 'eof':
    case 'response':
    case 'auth_more':
      col.set('Response ');
      if (inResultSet(p, layer) || (kind === 'eof' && p.notes.get(`${RESULT_EOF_NOTE}${layer}`))) return;
      if (kind === 'ok') col.append(' OK ');
      else if (kind === 'err') col.append(` Error ${end - at >= 3 ? u16le(b, at + 1) : 0} `);
      else if (kind === 'eof') col.append(' EOF ');
      else if (isResultHeader(b, o, end)) {
        col.append('TABULAR ');
        col.setFence();
      }
      return;
    default:
      col.set('Request ');
  }
};

/**
 * A result set's first packet: sequence 1, its payload a length-encoded column count (MariaDB
 * adds one metadata-follows byte).
 */
function isResultHeader(b: Uint8Array, o: number, end: number): boolean {
  if (b[o + 3] !== 1) return false;
  const n = lenenc(b, o + HEADER, end);
  return n !== undefined && n[0] > 0 && end - (o + HEADER + n[1]) <= 1;
}

/** True when an earlier MySQL packet of this frame started a result set (this one is a field, row or EOF of it). */
function inResultSet(p: Packet, layer: number): boolean {
  for (let i = layer - 1; i >= 0 && p.proto[i] === mysql.id; i--) {
    const b = p.bufferOf(i);
    if (isResultHeader(b, p.start[i], Math.min(p.end[i], b.length))) return true;
  }
  return false;
}

/** The user and (with CLIENT_CONNECT_WITH_DB) database of a login request whose payload starts at `at`. */
function loginNames(b: Uint8Array, at: number, end: number): { user: string; schema: string | undefined } {
  const caps = u32le(b, at);
  const u = cstring(b, at + 32, end);
  let x = u + 1;
  const l = caps & CLIENT_PLUGIN_AUTH_LENENC ? lenenc(b, x, end) : caps & CLIENT_SECURE_CONNECTION && x < end ? ([b[x], 1] as [number, number]) : undefined;
  x = l ? x + l[0] + l[1] : cstring(b, x, end) + 1;
  const schema = caps & CLIENT_CONNECT_WITH_DB && x < end ? ascii(b, x, cstring(b, x, end)) : undefined;
  return { user: ascii(b, at + 32, u), schema };
}
