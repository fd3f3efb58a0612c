/**
 * PostgreSQL frontend/backend protocol v3 (TCP 5432), after Wireshark's `packet-pgsql.c`
 * (field names and message type names as tshark 4.0) and the PostgreSQL "Message Formats"
 * chapter.
 *
 * The client's first message has no type byte: SSLRequest / GSSENCRequest (8 bytes, codes
 * 80877103 / 80877104), CancelRequest, or StartupMessage (protocol 3.0, `user`, `database`…
 * pairs). The server answers an SSLRequest with one byte, `S` (TLS follows: handed to TLS) or
 * `N`. Then typed messages: type byte + u32 length. Passwords (`p` messages) are masked.
 */
import { u16, u32 } from '../decode/bytes.js';
import { dissectorByName, registerDissector, STOP, tcpHeuristics, tcpPorts } from '../decode/dissector.js';
import type { Packet } from '../decode/packet.js';
import { tcpHeldPduInfo } from '../decode/tcp.js';
import { defineFields } from '../fields/field.js';
import type { Sink } from '../fields/sink.js';
import { HIDDEN } from '../fields/value.js';
import { addNeedsReassembly, ascii, capturedEnd, definePduFields, endPdu, indexOfByte, MASK } from './_pdu.js';
import { resumePdu } from './desegment.js';
import {
  conversationOf, endpoints, type EndpointId, mayUpdate, packetEndpoints, printable, setSummary, SUMMARY_ERROR, SUMMARY_INFO, SUMMARY_OUTCOME,
  type AppConversationState,
} from './conversation-state.js';

export const PGSQL_PORT = 5432;
const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;
const CANCEL_REQUEST = 80877102;
const PROTOCOL_3 = 196608;

const frontendTypes: Record<string, string> = {
  p: 'Password message', Q: 'Simple query', P: 'Parse', B: 'Bind', E: 'Execute', D: 'Describe', C: 'Close', H: 'Flush',
  S: 'Sync', F: 'Function call', d: 'Copy data', c: 'Copy completion', f: 'Copy failure', X: 'Termination',
};
const backendTypes: Record<string, string> = {
  R: 'Authentication request', K: 'Backend key data', S: 'Parameter status', 1: 'Parse completion', 2: 'Bind completion',
  3: 'Close completion', C: 'Command completion', t: 'Parameter description', T: 'Row description', D: 'Data row',
  I: 'Empty query', n: 'No data', E: 'Error', N: 'Notice', s: 'Portal suspended', Z: 'Ready for query', A: 'Notification',
  V: 'Function call response', G: 'CopyIn response', H: 'CopyOut response', d: 'Copy data', c: 'Copy completion',
  v: 'Negotiate protocol version',
};

const authTypes: Record<number, string> = {
  0: 'Success', 1: 'Kerberos V4', 2: 'Kerberos V5', 3: 'Plaintext password', 4: 'crypt()ed password', 5: 'MD5 password',
  6: 'SCM credentials', 7: 'GSSAPI', 8: 'GSSAPI/SSPI continue', 9: 'SSPI', 10: 'SASL', 11: 'SASL continue', 12: 'SASL complete',
};

export const pgsqlFields = defineFields('pgsql', {
  frontend: { display: 'Frontend', type: 'bool' },
  type: { display: 'Type', type: 'string' },
  length: { display: 'Length', type: 'uint32', base: 'dec' },
  version_major: { display: 'Protocol major version', type: 'uint16', base: 'dec' },
  version_minor: { display: 'Protocol minor version', type: 'uint16', base: 'dec' },
  parameter_name: { display: 'Parameter name', type: 'string' },
  parameter_value: { display: 'Parameter value', type: 'string' },
  query: { display: 'Query', type: 'string' },
  password: { display: 'Password', type: 'string', description: 'Always masked by wiresage' },
  authtype: { display: 'Authentication type', type: 'uint32', base: 'dec', values: authTypes },
  salt: { display: 'Salt value', type: 'bytes' },
  'auth.sasl.mech': { display: 'SASL authentication mechanism', type: 'string' },
  'auth.sasl.data.length': { display: 'SASL authentication data length', type: 'int32', base: 'dec' },
  'auth.sasl.data': { display: 'SASL authentication data', type: 'bytes', description: 'Client proofs are masked by wiresage' },
  statement: { display: 'Statement', type: 'string' },
  portal: { display: 'Portal', type: 'string' },
  tag: { display: 'Tag', type: 'string' },
  status: { display: 'Status', type: 'uint8', base: 'dec', values: { 73: 'Idle', 84: 'In a transaction', 69: 'In a failed transaction' } },
  pid: { display: 'PID', type: 'uint32', base: 'dec' },
  key: { display: 'Key', type: 'uint32', base: 'dec' },
  text: { display: 'Text', type: 'string' },
  'field.count': { display: 'Field count', type: 'uint16', base: 'dec' },
  'col.name': { display: 'Column name', type: 'string' },
  // A row description's columns and a data row's values (packet-pgsql.c's names).
  'oid.table': { display: 'Table OID', type: 'uint32', base: 'dec' },
  'col.index': { display: 'Column index', type: 'uint32', base: 'dec' },
  'oid.type': { display: 'Type OID', type: 'uint32', base: 'dec' },
  'val.length': { display: 'Column length', type: 'int32', base: 'dec' },
  'col.typemod': { display: 'Type modifier', type: 'int32', base: 'dec' },
  format: { display: 'Format', type: 'uint16', base: 'dec', values: { 0: 'Text', 1: 'Binary' } },
  'val.data': { display: 'Data', type: 'bytes' },
  severity: { display: 'Severity', type: 'string' },
  code: { display: 'Code', type: 'string' },
  message: { display: 'Message', type: 'string' },
  detail: { display: 'Detail', type: 'string' },
  hint: { display: 'Hint', type: 'string' },
  position: { display: 'Position', type: 'string' },
  where: { display: 'Context', type: 'string' },
  file: { display: 'File', type: 'string' },
  line: { display: 'Line', type: 'string' },
  routine: { display: 'Routine', type: 'string' },
  ssl_response: { display: 'SSL response', type: 'string', description: "wiresage: the server's one-byte answer to SSLRequest (S: TLS follows, N: no)" },
});

export const pgsqlPduFields = definePduFields('pgsql');

const errorFieldItems: Record<string, keyof typeof pgsqlFields> = {
  S: 'severity', V: 'text', C: 'code', M: 'message', D: 'detail', H: 'hint', P: 'position', W: 'where', F: 'file', L: 'line', R: 'routine',
};

export class PgsqlState {
  server: EndpointId | undefined;
  startupSeen = false;
  user: string | undefined;
  database: string | undefined;
  /** An SSLRequest/GSSENCRequest awaits its one-byte answer. */
  sslRequested = false;
  /** Frame (and layer) after which the conversation is TLS; 0 when none. */
  tlsAfterFrame = 0;
  tlsLayer = -1;
  /** The server's SASL mechanisms were announced: the next `p` is SASLInitialResponse. */
  authState: 'none' | 'sasl' | 'sasl-continue' = 'none';
  failed = false;
}

function stateOf(st: AppConversationState): PgsqlState {
  if (!(st.data instanceof PgsqlState)) st.data = new PgsqlState();
  return st.data as PgsqlState;
}

/** Bytes the message at `off` needs: untyped (first byte 0: u32 length) or typed (1 + u32). */
export function pduLength(buf: Uint8Array, off: number, avail: number): number | undefined {
  if (avail < 5) return avail >= 4 && buf[off] === 0 ? u32(buf, off) : undefined;
  return buf[off] === 0 ? u32(buf, off) : 1 + u32(buf, off + 1);
}

/** Heuristic: a StartupMessage (protocol 3.0) or SSLRequest/GSSENCRequest filling the payload. */
export function looksLikePgsqlStartup(buf: Uint8Array, off: number, end: number): boolean {
  if (end - off < 8) return false;
  const len = u32(buf, off);
  if (len !== end - off) return false;
  const code = u32(buf, off + 4);
  return (len === 8 && (code === SSL_REQUEST || code === GSSENC_REQUEST)) || (code === PROTOCOL_3 && len > 8 && buf[end - 1] === 0);
}

function isFrontend(m: PgsqlState | undefined): boolean {
  if (m?.server) return endpoints.srcId !== m.server;
  return endpoints.dstPort === PGSQL_PORT || (endpoints.srcPort !== PGSQL_PORT && endpoints.dstPort < endpoints.srcPort);
}

let tlsId = -2;
function tlsDissector(): number {
  if (tlsId === -2) tlsId = dissectorByName('tls')?.id ?? STOP;
  return tlsId;
}

/**
 * RowDescription columns: name, then table OID, column index (2 bytes), type OID, type size
 * (2 bytes, signed: -1 for varlena), type modifier and format, each under the name.
 */
function rowDescription(s: Sink, b: Uint8Array, at: number, end: number, count: number): void {
  const f = pgsqlFields;
  for (let i = 0; i < count && at < end; i++) {
    const e = zEnd(b, at, end);
    s.add(f['col.name'], b, at, Math.min(end, e + 1) - at, ascii(b, at, e));
    at = e + 1;
    if (at + 18 > end) return;
    s.push();
    s.add(f['oid.table'], b, at, 4);
    s.add(f['col.index'], b, at + 4, 2, u16(b, at + 4));
    s.add(f['oid.type'], b, at + 6, 4);
    s.add(f['val.length'], b, at + 10, 2, (u16(b, at + 10) << 16) >> 16);
    s.add(f['col.typemod'], b, at + 12, 4, u32(b, at + 12) | 0);
    s.add(f.format, b, at + 16, 2);
    s.pop();
    at += 18;
  }
}

/** DataRow values: a signed 4-byte length (-1: NULL), then that many bytes. */
function dataRow(s: Sink, b: Uint8Array, at: number, end: number, count: number): void {
  const f = pgsqlFields;
  for (let i = 0; i < count && at + 4 <= end; i++) {
    const l = u32(b, at) | 0;
    s.add(f['val.length'], b, at, 4, l);
    at += 4;
    if (l <= 0) continue;
    if (at + l > end) return;
    s.add(f['val.data'], b, at, l);
    at += l;
  }
}

export const pgsql = registerDissector({
  name: 'pgsql',
  display: 'PostgreSQL',
  decode(p, layer) {
    const st = conversationOf(p);
    const m = st ? stateOf(st) : undefined;
    if (m && m.tlsAfterFrame && (p.number > m.tlsAfterFrame || (p.number === m.tlsAfterFrame && layer > m.tlsLayer))) {
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
    const frontend = isFrontend(m);
    if (m?.sslRequested && !frontend && end - o >= 1 && (b[o] === 0x53 || b[o] === 0x4e)) {
      // The one-byte answer to SSLRequest: 'S' means TLS from the next byte on.
      p.notes.set(`pgsql.ssl.${layer}`, true);
      if (st && mayUpdate(st, p, layer)) {
        m.sslRequested = false;
        if (b[o] === 0x53) {
          m.tlsAfterFrame = p.number;
          m.tlsLayer = layer;
          setSummary(st, 'postgres', SUMMARY_OUTCOME, 'TLS accepted: login encrypted (see the TLS handshake)');
        }
      }
      return endPdu(p, layer, 1, pgsql.id);
    }
    const length = pduLength(b, o, end - o);
    if (length !== undefined && length < 4) {
      p.markMalformed(layer, `PostgreSQL message length ${length} is smaller than 4`);
      p.end[layer] = p.limit[layer];
      return STOP;
    }
    if (st && m && length !== undefined && o + length <= end && mayUpdate(st, p, layer)) learn(st, m, p, layer, b, o, o + length, frontend);
    const next = endPdu(p, layer, length, pgsql.id);
    // The first message of a dissector call is held for reassembly: packet-pgsql.c wrote `>`/`<`
    // before asking for more bytes — at the segment's start, or after a reassembled message
    // when the rest of its last segment begins the next one.
    const tl = p.transportLayer;
    if (p.layers === layer && tl >= 0 && p.bufIndex[layer] === p.bufIndex[tl]) {
      if (o === p.end[tl]) p.notes.set(HELD_NOTE, frontend ? '>' : '<');
      else if (p.proto[layer - 1] === pgsql.id && p.bufIndex[layer - 1] !== p.bufIndex[layer]) p.notes.set(HELD_REST_NOTE, frontend ? '>' : '<');
    }
    return next;
  },
  summary: () => 'PostgreSQL',
  tree(p, layer, s) {
    const b = p.bufferOf(layer);
    const o = p.start[layer];
    const end = Math.min(p.end[layer], b.length);
    const f = pgsqlFields;
    if (end <= o) return;
    const st = conversationOf(p);
    const m = st?.data instanceof PgsqlState ? st.data : undefined;
    if (p.notes.get(`pgsql.ssl.${layer}`)) {
      s.add(f.ssl_response, b, o, 1, String.fromCharCode(b[o]), 0, s.wantsLabels ? `SSL response: ${b[o] === 0x53 ? 'S (TLS follows)' : 'N (no TLS)'}` : undefined);
      return;
    }
    const length = pduLength(b, o, end - o);
    if (length === undefined) {
      addNeedsReassembly(s, pgsqlPduFields, b, o, end - o, undefined);
      return;
    }
    const frontend = isFrontend(m);
    const typed = b[o] !== 0;
    const n = typed ? 1 : 0;
    const t = String.fromCharCode(b[o]);
    s.add(f.type, b, o, n, typeName(b, o, end, frontend, typed, t, m));
    s.add(f.length, b, o + n, 4);
    s.add(f.frontend, b, o, 0, frontend, HIDDEN);
    const msgEnd = Math.min(end, o + length);
    if (frontend) treeFrontend(s, b, o, o + n + 4, msgEnd, typed ? t : '\0', m, p, layer);
    else treeBackend(s, b, o + n + 4, msgEnd, t);
    if (o + length > end) addNeedsReassembly(s, pgsqlPduFields, b, end, end - o, length);
  },
});

function typeName(b: Uint8Array, o: number, end: number, frontend: boolean, typed: boolean, t: string, m: PgsqlState | undefined): string {
  if (!frontend) return backendTypes[t] ?? 'Unknown';
  if (!typed) {
    if (end - o < 8) return 'Unknown';
    const len = u32(b, o);
    const tag = u32(b, o + 4);
    if (len === 16 && tag === CANCEL_REQUEST) return 'Cancel request';
    if (len === 8 && tag === SSL_REQUEST) return 'SSL request';
    if (len === 8 && tag === GSSENC_REQUEST) return 'GSS encrypt request';
    if (tag === PROTOCOL_3) return 'Startup message';
    return 'Unknown';
  }
  if (t === 'p') {
    const state = m?.authState ?? 'none';
    return state === 'sasl' ? 'SASLInitialResponse message' : state === 'sasl-continue' ? 'SASLResponse message' : 'Password message';
  }
  return frontendTypes[t] ?? 'Unknown';
}

/** End of the NUL-terminated string at `at` (index of the NUL, or `end`). */
function zEnd(b: Uint8Array, at: number, end: number): number {
  const i = indexOfByte(b, 0, at, end);
  return i < 0 ? end : i;
}

function treeFrontend(s: Sink, b: Uint8Array, o: number, n: number, end: number, t: string, m: PgsqlState | undefined, p: Packet, layer: number): void {
  const f = pgsqlFields;
  switch (t) {
    case '\0': {
      if (end - o < 8) return;
      const code = u32(b, o + 4);
      if (code === PROTOCOL_3) {
        s.add(f.version_major, b, o + 4, 2);
        s.add(f.version_minor, b, o + 6, 2);
        let at = o + 8;
        while (at < end && b[at] !== 0) {
          const nameEnd = zEnd(b, at, end);
          if (nameEnd >= end) break;
          const valueEnd = zEnd(b, nameEnd + 1, end);
          s.add(f.parameter_name, b, at, nameEnd + 1 - at, ascii(b, at, nameEnd));
          s.add(f.parameter_value, b, nameEnd + 1, Math.min(end, valueEnd + 1) - (nameEnd + 1), ascii(b, nameEnd + 1, valueEnd));
          at = valueEnd + 1;
        }
      } else if (code === CANCEL_REQUEST && end - o >= 16) {
        s.add(f.pid, b, o + 8, 4);
        s.add(f.key, b, o + 12, 4);
      }
      return;
    }
    case 'p': {
      // Secrets: SASL proofs and passwords are shown masked; the mechanism name is kept.
      const state = (p.notes.get(`pgsql.auth.${layer}`) as PgsqlState['authState'] | undefined) ?? m?.authState ?? 'none';
      if (state === 'sasl') {
        const mechEnd = zEnd(b, n, end);
        s.add(f['auth.sasl.mech'], b, n, mechEnd + 1 - n, ascii(b, n, mechEnd));
        if (mechEnd + 5 <= end) {
          s.add(f['auth.sasl.data.length'], b, mechEnd + 1, 4);
          if (u32(b, mechEnd + 1) > 0 && mechEnd + 5 < end) s.add(f['auth.sasl.data'], b, mechEnd + 5, end - (mechEnd + 5), MASK);
        }
      } else if (state === 'sasl-continue') {
        if (n < end) s.add(f['auth.sasl.data'], b, n, end - n, MASK);
      } else {
        s.add(f.password, b, n, end - n, MASK);
      }
      return;
    }
    case 'Q': {
      const qEnd = zEnd(b, n, end);
      s.add(f.query, b, n, Math.min(end, qEnd + 1) - n, ascii(b, n, qEnd));
      return;
    }
    default:
      return;
  }
}

function treeBackend(s: Sink, b: Uint8Array, n: number, end: number, t: string): void {
  const f = pgsqlFields;
  switch (t) {
    case 'R': {
      if (n + 4 > end) return;
      s.add(f.authtype, b, n, 4);
      const type = u32(b, n);
      if (type === 5 && n + 8 <= end) s.add(f.salt, b, n + 4, 4);
      else if (type === 4 && n + 6 <= end) s.add(f.salt, b, n + 4, 2);
      else if (type === 10) {
        let at = n + 4;
        while (at < end && b[at] !== 0) {
          const e = zEnd(b, at, end);
          s.add(f['auth.sasl.mech'], b, at, Math.min(end, e + 1) - at, ascii(b, at, e));
          at = e + 1;
        }
      } else if ((type === 11 || type === 12) && n + 4 < end) s.add(f['auth.sasl.data'], b, n + 4, end - (n + 4));
      return;
    }
    case 'K':
      if (n + 8 <= end) {
        s.add(f.pid, b, n, 4);
        s.add(f.key, b, n + 4, 4);
      }
      return;
    case 'S': {
      const nameEnd = zEnd(b, n, end);
      s.add(f.parameter_name, b, n, Math.min(end, nameEnd + 1) - n, ascii(b, n, nameEnd));
      if (nameEnd + 1 <= end) {
        const valueEnd = zEnd(b, nameEnd + 1, end);
        s.add(f.parameter_value, b, nameEnd + 1, Math.min(end, valueEnd + 1) - (nameEnd + 1), ascii(b, nameEnd + 1, valueEnd));
      }
      return;
    }
    case 'C': {
      const e = zEnd(b, n, end);
      s.add(f.tag, b, n, Math.min(end, e + 1) - n, ascii(b, n, e));
      return;
    }
    case 'Z':
      if (n < end) s.add(f.status, b, n, 1);
      return;
    case 'T':
    case 'D':
      if (n + 2 <= end) s.add(f['field.count'], b, n, 2);
      if (n + 2 > end) return;
      s.push();
      if (t === 'T') rowDescription(s, b, n + 2, end, u16(b, n));
      else dataRow(s, b, n + 2, end, u16(b, n));
      s.pop();
      return;
    case 'E':
    case 'N': {
      let at = n;
      while (at < end && b[at] !== 0) {
        const code = String.fromCharCode(b[at]);
        const e = zEnd(b, at + 1, end);
        const item = f[errorFieldItems[code] ?? 'text'];
        s.add(item, b, at, Math.min(end, e + 1) - at, ascii(b, at + 1, e));
        at = e + 1;
      }
      return;
    }
    default:
      return;
  }
}

/** Error/notice fields of a message body as a map from field code to text. */
function errorFields(b: Uint8Array, at: number, end: number): Map<string, string> {
  const out = new Map<string, string>();
  while (at < end && b[at] !== 0) {
    const e = zEnd(b, at + 1, end);
    out.set(String.fromCharCode(b[at]), ascii(b, at + 1, e));
    at = e + 1;
  }
  return out;
}

function learn(st: AppConversationState, m: PgsqlState, p: Packet, layer: number, b: Uint8Array, o: number, end: number, frontend: boolean): void {
  if (frontend) {
    m.server ??= endpoints.dstId;
    st.server ??= endpoints.dst;
    if (b[o] === 0) {
      if (end - o < 8) return;
      const code = u32(b, o + 4);
      if (code === SSL_REQUEST || code === GSSENC_REQUEST) {
        m.sslRequested = true;
        setSummary(st, 'postgres', SUMMARY_INFO, code === SSL_REQUEST ? 'SSLRequest' : 'GSSENCRequest');
        return;
      }
      if (code !== PROTOCOL_3) return;
      m.startupSeen = true;
      m.failed = false;
      m.authState = 'none';
      let at = o + 8;
      while (at < end && b[at] !== 0) {
        const nameEnd = zEnd(b, at, end);
        const valueEnd = zEnd(b, nameEnd + 1, end);
        const name = ascii(b, at, nameEnd);
        const value = ascii(b, nameEnd + 1, valueEnd);
        if (name === 'user') m.user = value;
        else if (name === 'database') m.database = value;
        at = valueEnd + 1;
      }
      setSummary(st, 'postgres', SUMMARY_INFO, loginText(m));
      return;
    }
    if (b[o] === 0x70) p.notes.set(`pgsql.auth.${layer}`, m.authState);
    return;
  }
  if (m.server === undefined) {
    m.server = endpoints.srcId;
    st.server ??= endpoints.src;
  }
  const t = b[o];
  if (t === 0x52 && end - o >= 9) {
    const type = u32(b, o + 5);
    if (type === 10) m.authState = 'sasl';
    else if (type === 11 || type === 12) m.authState = 'sasl-continue';
    else if (type === 0) {
      m.authState = 'none';
      setSummary(st, 'postgres', SUMMARY_OUTCOME, `${loginText(m)} ok`);
    }
    return;
  }
  if (t === 0x45) {
    const fields = errorFields(b, o + 5, end);
    const code = fields.get('C') ?? '?';
    const message = printable(fields.get('M') ?? '', 100);
    if (!m.failed && (code.startsWith('28') || code === '3D000' || code.startsWith('08') || code === '53300' || code === '57P03')) {
      m.failed = true;
      setSummary(st, 'postgres', SUMMARY_ERROR, `${loginText(m)} failed ${code} ${message}`);
    } else {
      setSummary(st, 'postgres', SUMMARY_OUTCOME, `${loginText(m)} ok, then error ${code} ${message}`);
    }
  }
}

function loginText(m: PgsqlState): string {
  return `login '${printable(m.user ?? '?', 40)}'${m.database ? ` to '${printable(m.database, 40)}'` : ''}`;
}

tcpPorts.add(PGSQL_PORT, pgsql);
tcpHeuristics.push({ dissector: pgsql, test: looksLikePgsqlStartup });

// ---- Packet-list columns (Wireshark's Info text) ----
/**
 * packet-pgsql.c's Info text: `>` for the frontend's segments, `<` for the backend's, then the
 * type byte of each complete message of the segment, `/`-separated (`<R/S/S/K/Z`, `>Q`). Messages
 * without a type byte (StartupMessage, SSLRequest) and the one-byte SSL answer add nothing.
 */
/** Note on a segment whose first message pgsql held for reassembly: the direction mark packet-pgsql.c writes. */
const HELD_NOTE = 'pgsql.held';
/** The same for the rest of a segment after a reassembled message, when its first message is held. */
const HELD_REST_NOTE = 'pgsql.held_rest';

// dissect_pgsql writes `>` or `<` before tcp_dissect_pdus asks for more bytes: TCP's remark follows it.
tcpHeldPduInfo.push((p, _layer, _start, _end, col) => {
  const mark = p.notes.size ? (p.notes.get(HELD_NOTE) as string | undefined) : undefined;
  if (mark === undefined) return false;
  col.set(mark);
  return true;
});

pgsql.info = (p, layer, col) => {
  col.setProtocol('PGSQL');
  const prev = layer - 1;
  const first = p.proto[prev] !== pgsql.id || p.bufIndex[prev] !== p.bufIndex[layer];
  if (first) {
    // desegment_tcp fences the Info column after a reassembled PDU when more of its last
    // segment follows: the messages after it start again behind it (`<D<D/D/D`).
    if (p.proto[prev] === pgsql.id) col.setFence();
    packetEndpoints(p);
    const st = conversationOf(p, false);
    const frontend = endpoints.dstPort === PGSQL_PORT || (endpoints.srcPort !== PGSQL_PORT && isFrontend(st?.data instanceof PgsqlState ? st.data : undefined));
    col.set(frontend ? '>' : '<');
  }
  const b = p.bufferOf(layer);
  const o = p.start[layer];
  const end = Math.min(p.end[layer], b.length);
  if (end - o < 5 || b[o] === 0 || p.notes.get(`pgsql.ssl.${layer}`)) return;
  const length = pduLength(b, o, end - o);
  if (length === undefined || o + length > end) return;
  const typed = (i: number) => p.bufferOf(i)[p.start[i]] !== 0 && !p.notes.get(`pgsql.ssl.${i}`);
  // The separator follows the first typed message of the buffer.
  let earlier = false;
  for (let i = prev; i >= 0 && p.proto[i] === pgsql.id && p.bufIndex[i] === p.bufIndex[layer] && !earlier; i--) earlier = typed(i);
  const c = b[o];
  col.append(`${earlier ? '/' : ''}${c >= 0x20 && c < 0x7f ? String.fromCharCode(c) : '?'}`);
  // The held rest of the segment has no layer: its mark follows the fence after the last one.
  const rest = layer === p.layers - 1 && p.notes.size ? (p.notes.get(HELD_REST_NOTE) as string | undefined) : undefined;
  if (rest !== undefined) {
    col.setFence();
    col.set(rest);
  }
};
