/**
 * TLS (RFC 8446, RFC 5246) record layer and the cleartext handshake, field names as Wireshark
 * 4.0's `packet-tls.c`: records (type, version, length), handshake messages (ClientHello with
 * SNI, ALPN, supported_versions, cipher suites; ServerHello with the chosen version and suite;
 * Certificate lengths), Alerts (level, description), ChangeCipherSpec, encrypted data.
 *
 * On 443 and the usual TLS ports by table, on any other port by heuristic (a ClientHello
 * record), and handed over by MySQL/PostgreSQL after their TLS upgrade. After a TLS 1.2
 * ChangeCipherSpec the sender's handshake and alert records are encrypted; after a TLS 1.3
 * ServerHello records are opaque application data, as tshark shows them without keys.
 */
import { u16 } from '../decode/bytes.js';
import { dissectorById, registerDissector, STOP, tcpHeuristics, tcpPorts } from '../decode/dissector.js';
import type { Packet } from '../decode/packet.js';
import { defineFields, textItem } from '../fields/field.js';
import type { Sink } from '../fields/sink.js';
import { GENERATED } from '../fields/value.js';
import { addContinuation, addNeedsReassembly, ascii, capturedEnd, definePduFields, endPdu } from './_pdu.js';
import { resumePdu } from './desegment.js';
import { conversationOf, endpoints, mayUpdate, printable, setSummary, SUMMARY_ERROR, SUMMARY_INFO, SUMMARY_OUTCOME, type AppConversationState, type EndpointId } from './conversation-state.js';

export const TLS_PORTS = [443, 8443, 465, 636, 853, 993, 995];
const RECORD_HEADER = 5;
const CHANGE_CIPHER_SPEC = 20;
const ALERT = 21;
const HANDSHAKE = 22;
const APPLICATION_DATA = 23;
const HEARTBEAT = 24;

const contentTypes: Record<number, string> = { 20: 'Change Cipher Spec', 21: 'Alert', 22: 'Handshake', 23: 'Application Data', 24: 'Heartbeat' };
const handshakeTypes: Record<number, string> = {
  0: 'Hello Request', 1: 'Client Hello', 2: 'Server Hello', 4: 'New Session Ticket', 5: 'End of Early Data', 8: 'Encrypted Extensions',
  11: 'Certificate', 12: 'Server Key Exchange', 13: 'Certificate Request', 14: 'Server Hello Done', 15: 'Certificate Verify',
  16: 'Client Key Exchange', 20: 'Finished', 24: 'Key Update',
};
export const alertDescriptions: Record<number, string> = {
  0: 'close_notify', 10: 'unexpected_message', 20: 'bad_record_mac', 21: 'decryption_failed', 22: 'record_overflow',
  30: 'decompression_failure', 40: 'handshake_failure', 41: 'no_certificate', 42: 'bad_certificate', 43: 'unsupported_certificate',
  44: 'certificate_revoked', 45: 'certificate_expired', 46: 'certificate_unknown', 47: 'illegal_parameter', 48: 'unknown_ca',
  49: 'access_denied', 50: 'decode_error', 51: 'decrypt_error', 60: 'export_restriction', 70: 'protocol_version',
  71: 'insufficient_security', 80: 'internal_error', 86: 'inappropriate_fallback', 90: 'user_canceled', 100: 'no_renegotiation',
  109: 'missing_extension', 110: 'unsupported_extension', 112: 'unrecognized_name', 113: 'bad_certificate_status_response',
  115: 'unknown_psk_identity', 116: 'certificate_required', 120: 'no_application_protocol',
};
export const versionNames: Record<number, string> = { 0x0300: 'SSLv3', 0x0301: 'TLSv1.0', 0x0302: 'TLSv1.1', 0x0303: 'TLSv1.2', 0x0304: 'TLSv1.3' };
/** Version names of the detail tree (packet-tls-utils.c `ssl_versions`). */
const versionDisplay: Record<number, string> = {
  0x0002: 'SSL 2.0', 0x0300: 'SSL 3.0', 0x0301: 'TLS 1.0', 0x0302: 'TLS 1.1', 0x0303: 'TLS 1.2', 0x0304: 'TLS 1.3',
  0xfeff: 'DTLS 1.0', 0xfefd: 'DTLS 1.2', 0x0100: 'DTLS 1.0 (OpenSSL pre 0.9.8f)',
};
/** Names of the cipher suites seen most, for summaries (RFC 8446 §B.4, RFC 5289). */
export const cipherSuiteNames: Record<number, string> = {
  0x1301: 'TLS_AES_128_GCM_SHA256', 0x1302: 'TLS_AES_256_GCM_SHA384', 0x1303: 'TLS_CHACHA20_POLY1305_SHA256',
  0xc02b: 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256', 0xc02c: 'TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384',
  0xc02f: 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256', 0xc030: 'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384',
  0xcca8: 'TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256', 0xcca9: 'TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256',
  0x009c: 'TLS_RSA_WITH_AES_128_GCM_SHA256', 0x009d: 'TLS_RSA_WITH_AES_256_GCM_SHA384', 0x002f: 'TLS_RSA_WITH_AES_128_CBC_SHA', 0x0035: 'TLS_RSA_WITH_AES_256_CBC_SHA',
};

/** Cipher suite names of the detail tree: the summaries' table and the rest of OpenSSL's default list. */
const suiteDisplay: Record<number, string> = {
  ...cipherSuiteNames,
  0x009e: 'TLS_DHE_RSA_WITH_AES_128_GCM_SHA256', 0x009f: 'TLS_DHE_RSA_WITH_AES_256_GCM_SHA384', 0xccaa: 'TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256',
  0xc023: 'TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256', 0xc024: 'TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384', 0xc027: 'TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256',
  0xc028: 'TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384', 0x0067: 'TLS_DHE_RSA_WITH_AES_128_CBC_SHA256', 0x006b: 'TLS_DHE_RSA_WITH_AES_256_CBC_SHA256',
  0xc009: 'TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA', 0xc00a: 'TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA', 0xc013: 'TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA',
  0xc014: 'TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA', 0x0033: 'TLS_DHE_RSA_WITH_AES_128_CBC_SHA', 0x0039: 'TLS_DHE_RSA_WITH_AES_256_CBC_SHA',
  0x003c: 'TLS_RSA_WITH_AES_128_CBC_SHA256', 0x003d: 'TLS_RSA_WITH_AES_256_CBC_SHA256', 0x00ff: 'TLS_EMPTY_RENEGOTIATION_INFO_SCSV',
  0x1304: 'TLS_AES_128_CCM_SHA256', 0x1305: 'TLS_AES_128_CCM_8_SHA256', 0x000a: 'TLS_RSA_WITH_3DES_EDE_CBC_SHA',
};

/** Named groups (IANA TLS Supported Groups registry). */
const groupNames: Record<number, string> = {
  23: 'secp256r1', 24: 'secp384r1', 25: 'secp521r1', 29: 'x25519', 30: 'x448', 256: 'ffdhe2048', 257: 'ffdhe3072', 258: 'ffdhe4096',
  259: 'ffdhe6144', 260: 'ffdhe8192',
};

/** Extension types (IANA TLS ExtensionType registry, names as packet-tls-utils.c). */
const extensionNames: Record<number, string> = {
  0: 'server_name', 1: 'max_fragment_length', 5: 'status_request', 10: 'supported_groups', 11: 'ec_point_formats', 13: 'signature_algorithms',
  14: 'use_srtp', 15: 'heartbeat', 16: 'application_layer_protocol_negotiation', 18: 'signed_certificate_timestamp', 21: 'padding',
  22: 'encrypt_then_mac', 23: 'extended_master_secret', 27: 'compress_certificate', 28: 'record_size_limit', 35: 'session_ticket',
  41: 'pre_shared_key', 42: 'early_data', 43: 'supported_versions', 44: 'cookie', 45: 'psk_key_exchange_modes', 47: 'certificate_authorities',
  49: 'post_handshake_auth', 50: 'signature_algorithms_cert', 51: 'key_share', 17513: 'application_settings', 65037: 'encrypted_client_hello',
  65281: 'renegotiation_info',
};

export const tlsFields = defineFields('tls', {
  record: { display: 'Record Layer', type: 'none' },
  'record.content_type': { display: 'Content Type', type: 'uint8', base: 'dec', values: contentTypes },
  'record.opaque_type': { display: 'Opaque Type', type: 'uint8', base: 'dec', values: contentTypes },
  'record.version': { display: 'Version', type: 'uint16', base: 'hex', values: versionDisplay },
  'record.length': { display: 'Length', type: 'uint16', base: 'dec' },
  handshake: { display: 'Handshake Protocol', type: 'none' },
  'handshake.type': { display: 'Handshake Type', type: 'uint8', base: 'dec', values: handshakeTypes },
  'handshake.length': { display: 'Length', type: 'uint24', base: 'dec' },
  'handshake.version': { display: 'Version', type: 'uint16', base: 'hex', values: versionDisplay },
  'handshake.random': { display: 'Random', type: 'bytes' },
  'handshake.random_time': { display: 'GMT Unix Time', type: 'abstime' },
  'handshake.random_bytes': { display: 'Random Bytes', type: 'bytes' },
  'handshake.session_id_length': { display: 'Session ID Length', type: 'uint16', base: 'dec' },
  'handshake.session_id': { display: 'Session ID', type: 'bytes' },
  'handshake.cipher_suites_length': { display: 'Cipher Suites Length', type: 'uint16', base: 'dec' },
  'handshake.ciphersuites': { display: 'Cipher Suites', type: 'none' },
  'handshake.ciphersuite': { display: 'Cipher Suite', type: 'uint16', base: 'hex', values: suiteDisplay },
  'handshake.comp_methods_length': { display: 'Compression Methods Length', type: 'uint8', base: 'dec' },
  'handshake.comp_methods': { display: 'Compression Methods', type: 'none' },
  'handshake.comp_method': { display: 'Compression Method', type: 'uint8', base: 'dec', values: { 0: 'null', 1: 'DEFLATE', 64: 'LZS' } },
  'handshake.extensions_length': { display: 'Extensions Length', type: 'uint16', base: 'dec' },
  'handshake.extension.type': { display: 'Type', type: 'uint16', base: 'dec', values: extensionNames },
  'handshake.extension.len': { display: 'Length', type: 'uint16', base: 'dec' },
  'handshake.extensions_server_name_list_len': { display: 'Server Name list length', type: 'uint16', base: 'dec' },
  'handshake.extensions_server_name_type': { display: 'Server Name Type', type: 'uint8', base: 'dec', values: { 0: 'host_name' } },
  'handshake.extensions_server_name_len': { display: 'Server Name length', type: 'uint16', base: 'dec' },
  'handshake.extensions_server_name': { display: 'Server Name', type: 'string' },
  'handshake.extensions_alpn_len': { display: 'ALPN Extension Length', type: 'uint16', base: 'dec' },
  'handshake.extensions_alpn_str_len': { display: 'ALPN string length', type: 'uint8', base: 'dec' },
  'handshake.extensions_alpn_str': { display: 'ALPN Next Protocol', type: 'string' },
  'handshake.extensions.supported_versions_len': { display: 'Supported Versions length', type: 'uint8', base: 'dec' },
  'handshake.extensions.supported_version': { display: 'Supported Version', type: 'uint16', base: 'hex', values: versionDisplay },
  'handshake.extensions_ec_point_formats_length': { display: 'EC point formats Length', type: 'uint8', base: 'dec' },
  'handshake.extensions_ec_point_formats': { display: 'Elliptic curves point formats', type: 'none' },
  'handshake.extensions_ec_point_format': { display: 'EC point format', type: 'uint8', base: 'dec', values: { 0: 'uncompressed', 1: 'ansiX962_compressed_prime', 2: 'ansiX962_compressed_char2' } },
  'handshake.extensions_supported_groups_length': { display: 'Supported Groups List Length', type: 'uint16', base: 'dec' },
  'handshake.extensions_supported_groups': { display: 'Supported Groups List', type: 'none' },
  'handshake.extensions_supported_group': { display: 'Supported Group', type: 'uint16', base: 'hex', values: groupNames },
  'handshake.extensions_key_share_client_length': { display: 'Client Key Share Length', type: 'uint16', base: 'dec' },
  'handshake.extensions_key_share_group': { display: 'Group', type: 'uint16', base: 'dec', values: groupNames },
  'handshake.extensions_key_share_key_exchange_length': { display: 'Key Exchange Length', type: 'uint16', base: 'dec' },
  'handshake.extensions_key_share_key_exchange': { display: 'Key Exchange', type: 'bytes' },
  'handshake.certificates_length': { display: 'Certificates Length', type: 'uint24', base: 'dec' },
  'handshake.certificate_length': { display: 'Certificate Length', type: 'uint24', base: 'dec' },
  alert_message: { display: 'Alert Message', type: 'none' },
  'alert_message.level': { display: 'Level', type: 'uint8', base: 'dec', values: { 1: 'Warning', 2: 'Fatal' } },
  'alert_message.desc': { display: 'Description', type: 'uint8', base: 'dec', values: Object.fromEntries(Object.entries(alertDescriptions).map(([k, v]) => [k, v.replace(/_(\w)/g, (_m, c: string) => ` ${c.toUpperCase()}`).replace(/^\w/, (c) => c.toUpperCase())])) },
  change_cipher_spec: { display: 'Change Cipher Spec Message', type: 'none' },
  app_data: { display: 'Encrypted Application Data', type: 'bytes' },
  app_data_proto: { display: 'Application Data Protocol', type: 'string' },
  encrypted_handshake: { display: 'Encrypted Handshake Message', type: 'bytes', description: 'wiresage: handshake record after ChangeCipherSpec' },
  encrypted_alert: { display: 'Encrypted Alert', type: 'bytes', description: 'wiresage: alert record after ChangeCipherSpec' },
});

export const tlsPduFields = definePduFields('tls');

/** True when `b[o..o+5)` is a plausible record header (type 20-24, version 3.x). */
export function isRecordHeader(b: Uint8Array, o: number, end: number): boolean {
  if (end - o < 3) return false;
  const t = b[o];
  return t >= CHANGE_CIPHER_SPEC && t <= HEARTBEAT && b[o + 1] === 3 && b[o + 2] <= 4;
}

/** Bytes the record at `off` needs (5 + length), or undefined under 5 bytes. */
export function pduLength(buf: Uint8Array, off: number, avail: number): number | undefined {
  return avail < RECORD_HEADER ? undefined : RECORD_HEADER + u16(buf, off + 3);
}

/** Heuristic for TLS on any port: a handshake record starting with a ClientHello. */
export function looksLikeClientHello(b: Uint8Array, off: number, end: number): boolean {
  if (end - off < 11) return false;
  if (b[off] !== HANDSHAKE || b[off + 1] !== 3 || b[off + 2] > 4 || b[off + 5] !== 1) return false;
  const len = u16(b, off + 3);
  const hsLen = (b[off + 6] << 16) | (b[off + 7] << 8) | b[off + 8];
  // The ClientHello may continue in a second record, so its length may exceed this one's.
  return len >= 38 && len <= 16640 && hsLen >= 34 && b[off + 9] === 3;
}

export class TlsState {
  client: EndpointId | undefined;
  /** Version the ServerHello chose (supported_versions or legacy version). */
  version = 0;
  /** The sender switched to encrypted records (TLS 1.2 ChangeCipherSpec): client, server. */
  clientEncrypted = false;
  serverEncrypted = false;
  sni: string | undefined;
  alpn: string | undefined;
}

function stateOf(st: AppConversationState): TlsState {
  if (!(st.data instanceof TlsState)) st.data = new TlsState();
  return st.data as TlsState;
}

function fromClient(t: TlsState | undefined): boolean {
  if (t?.client) return endpoints.srcId === t.client;
  return endpoints.srcPort > endpoints.dstPort;
}

/** Per-record note: 1 = the record is encrypted (after CCS / TLS 1.3 ServerHello). */
const ENCRYPTED_NOTE = 'tls.enc.';

export const tls = registerDissector({
  name: 'tls',
  display: 'Transport Layer Security',
  decode(p, layer) {
    if (resumePdu(p, layer)) return STOP;
    const b = p.bufferOf(layer);
    const o = p.start[layer];
    const end = capturedEnd(p, layer);
    if (end - o >= 3 && !isRecordHeader(b, o, end)) {
      // The middle of a record begun in an earlier segment.
      p.end[layer] = p.limit[layer];
      return STOP;
    }
    const length = pduLength(b, o, end - o);
    const type = b[o];
    // Application data needs no state: the common case costs two checks.
    const next = endPdu(p, layer, length, tls.id);
    if (p.layers === layer && (p.proto[layer - 1] !== tls.id || p.bufIndex[layer - 1] !== p.bufIndex[layer])) {
      // Held for reassembly as the first record of a range (the segment, or the rest of it after
      // a reassembled record): tshark has already added its (empty) TLS item then.
      p.layers = layer + 1;
      p.end[layer] = p.start[layer];
      return STOP;
    }
    // A record held for reassembly (layer removed) is learnt from once it is whole.
    if (type !== APPLICATION_DATA && length !== undefined && end - o >= RECORD_HEADER && p.layers > layer) {
      const st = conversationOf(p);
      if (st && mayUpdate(st, p, layer)) learn(st, stateOf(st), p, layer, b, o, Math.min(end, o + length));
    }
    return next;
  },
  // tshark's protocol item names no record: each record is a subtree of it.
  summary: () => 'Transport Layer Security',
  tree(p, layer, s) {
    const b = p.bufferOf(layer);
    const o = p.start[layer];
    const end = Math.min(p.end[layer], b.length);
    const f = tlsFields;
    if (end === o) return; // the first record of the segment is held for reassembly
    if (end - o >= 3 && !isRecordHeader(b, o, end)) {
      addContinuation(s, tlsPduFields, b, o, end);
      return;
    }
    if (end - o < RECORD_HEADER) {
      addNeedsReassembly(s, tlsPduFields, b, o, end - o, undefined);
      return;
    }
    const type = b[o];
    const length = u16(b, o + 3);
    const recEnd = Math.min(end, o + RECORD_HEADER + length);
    const encrypted = p.notes.get(`${ENCRYPTED_NOTE}${layer}`) === 1;
    let tls13 = false;
    if (type === APPLICATION_DATA) {
      const st = conversationOf(p);
      tls13 = st?.data instanceof TlsState && st.data.version === 0x0304;
    }
    const labels = s.wantsLabels;
    const app = type === APPLICATION_DATA && labels ? appProtocol(p) : undefined;
    s.add(f.record, b, o, recEnd - o, undefined, 0, labels ? recordLabel(p, b, o, recEnd, encrypted, app) : undefined);
    s.push();
    s.add(tls13 ? f['record.opaque_type'] : f['record.content_type'], b, o, 1);
    s.add(f['record.version'], b, o + 1, 2);
    s.add(f['record.length'], b, o + 3, 2);
    const at = o + RECORD_HEADER;
    switch (type) {
      case HANDSHAKE:
        if (encrypted) s.add(f.encrypted_handshake, b, at, recEnd - at, undefined, 0, labels ? 'Handshake Protocol: Encrypted Handshake Message' : undefined);
        else treeHandshakes(s, b, at, recEnd);
        break;
      case ALERT:
        if (encrypted || length !== 2) s.add(f.encrypted_alert, b, at, recEnd - at, undefined, 0, labels ? 'Alert Message: Encrypted Alert' : undefined);
        else if (recEnd - at >= 2) {
          s.add(f.alert_message, b, at, 2);
          s.push();
          s.add(f['alert_message.level'], b, at, 1);
          s.add(f['alert_message.desc'], b, at + 1, 1);
          s.pop();
        }
        break;
      case CHANGE_CIPHER_SPEC:
        s.add(f.change_cipher_spec, b, at, recEnd - at);
        break;
      case APPLICATION_DATA:
        s.add(f.app_data, b, at, recEnd - at);
        if (app) s.add(f.app_data_proto, b, o, 0, app, GENERATED);
        break;
      default:
        break;
    }
    s.pop();
    if (o + RECORD_HEADER + length > end) addNeedsReassembly(s, tlsPduFields, b, o, end - o, RECORD_HEADER + length);
  },
});

/** The application protocol tshark hands TLS data to (ALPN, else the HTTPS port), for the record's text. */
function appProtocol(p: Packet): string | undefined {
  const st = conversationOf(p, false);
  const alpn = st?.data instanceof TlsState ? st.data.alpn : undefined;
  if (alpn !== undefined) {
    const first = alpn.split(',')[0];
    if (first === 'h2') return 'HyperText Transfer Protocol 2';
    if (first.startsWith('http/')) return 'Hypertext Transfer Protocol';
  }
  for (let k = 0; k < p.layers; k++) {
    if (dissectorById(p.proto[k]).protocol.name !== 'tcp') continue;
    const tb = p.bufferOf(k);
    const t = p.start[k];
    if (t + 4 <= tb.length && (u16(tb, t) === 443 || u16(tb, t + 2) === 443)) return 'Hypertext Transfer Protocol';
  }
  return undefined;
}

/** `TLSv1.2 Record Layer: Handshake Protocol: Client Hello`: a record's text as packet-tls.c sets it. */
function recordLabel(p: Packet, b: Uint8Array, o: number, end: number, encrypted: boolean, app: string | undefined): string {
  const type = b[o];
  const at = o + RECORD_HEADER;
  // The session's version once a ServerHello chose it; the record's own before (and on the hellos).
  const st = conversationOf(p, false);
  const session = st?.data instanceof TlsState ? st.data.version : 0;
  const hello = type === HANDSHAKE && !encrypted && at < end && (b[at] === 1 || b[at] === 2);
  const v = shortVersionNames[hello || !session ? u16(b, o + 1) : session] ?? 'SSL';
  let text: string;
  switch (type) {
    case HANDSHAKE: {
      if (encrypted) {
        text = 'Handshake Protocol: Encrypted Handshake Message';
        break;
      }
      let n = 0;
      for (let x = at; x + 4 <= end; n++) x += 4 + ((b[x + 1] << 16) | (b[x + 2] << 8) | b[x + 3]);
      text = n > 1 ? 'Handshake Protocol: Multiple Handshake Messages' : `Handshake Protocol: ${handshakeTypes[b[at]] ?? 'Encrypted Handshake Message'}`;
      break;
    }
    case CHANGE_CIPHER_SPEC:
      text = 'Change Cipher Spec Protocol: Change Cipher Spec';
      break;
    case ALERT:
      text = encrypted || u16(b, o + 3) !== 2 || end - at < 2
        ? 'Encrypted Alert'
        : `Alert (Level: ${b[at] === 1 ? 'Warning' : b[at] === 2 ? 'Fatal' : `Unknown (${b[at]})`}, Description: ${alertText(b[at + 1])})`;
      break;
    case APPLICATION_DATA:
      text = `Application Data Protocol: ${app ?? 'Application Data'}`;
      break;
    case HEARTBEAT:
      text = encrypted ? 'Encrypted Heartbeat' : 'Heartbeat';
      break;
    default:
      text = 'unknown';
  }
  return `${v} Record Layer: ${text}`;
}

/** Handshake messages in `b[at..end)` (several may share a record). */
function treeHandshakes(s: Sink, b: Uint8Array, at: number, end: number): void {
  const f = tlsFields;
  for (let n = 0; at + 4 <= end && n < 64; n++) {
    const type = b[at];
    const len = (b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3];
    const stop = Math.min(end, at + 4 + len);
    s.add(f.handshake, b, at, stop - at, undefined, 0, s.wantsLabels ? `Handshake Protocol: ${handshakeTypes[type] ?? 'Encrypted Handshake Message'}` : undefined);
    s.push();
    s.add(f['handshake.type'], b, at, 1);
    s.add(f['handshake.length'], b, at + 1, 3);
    if (type === 1 || type === 2) treeHello(s, b, at + 4, stop, type === 1);
    else if (type === 11 && at + 7 <= stop) {
      // TLS 1.2 Certificate (TLS 1.3's is encrypted): list length, then each certificate's length.
      s.add(f['handshake.certificates_length'], b, at + 4, 3);
      let x = at + 7;
      while (x + 3 <= stop) {
        const cl = (b[x] << 16) | (b[x + 1] << 8) | b[x + 2];
        s.add(f['handshake.certificate_length'], b, x, 3);
        x += 3 + cl;
      }
    }
    s.pop();
    at += 4 + len;
  }
}

function treeHello(s: Sink, b: Uint8Array, at: number, end: number, client: boolean): void {
  const tls13Server = !client && helloFacts(b, at, end, false).version === 0x0304;
  const f = tlsFields;
  if (at + 34 > end) return;
  s.add(f['handshake.version'], b, at, 2);
  s.add(f['handshake.random'], b, at + 2, 32);
  // The first four bytes as a time, except in a TLS 1.3 ServerHello (packet-tls-utils.c).
  if (!tls13Server) {
    s.push();
    s.add(f['handshake.random_time'], b, at + 2, 4, { sec: ((b[at + 2] << 24) >>> 0) + (b[at + 3] << 16) + (b[at + 4] << 8) + b[at + 5], nsec: 0 });
    s.add(f['handshake.random_bytes'], b, at + 6, 28);
    s.pop();
  }
  let x = at + 34;
  if (x + 1 > end) return;
  const sidLen = b[x];
  s.add(f['handshake.session_id_length'], b, x, 1, sidLen);
  if (sidLen > 0 && x + 1 + sidLen <= end) s.add(f['handshake.session_id'], b, x + 1, sidLen);
  x += 1 + sidLen;
  if (client) {
    if (x + 2 > end) return;
    const csLen = u16(b, x);
    s.add(f['handshake.cipher_suites_length'], b, x, 2);
    const csEnd = Math.min(end, x + 2 + csLen);
    const suites = (csEnd - x - 2) >> 1;
    s.add(f['handshake.ciphersuites'], b, x + 2, csEnd - x - 2, undefined, 0, s.wantsLabels ? `Cipher Suites (${suites} suite${suites === 1 ? '' : 's'})` : undefined);
    s.push();
    for (let i = x + 2; i + 2 <= csEnd; i += 2) s.add(f['handshake.ciphersuite'], b, i, 2);
    s.pop();
    x += 2 + csLen;
    if (x + 1 > end) return;
    const cmLen = b[x];
    s.add(f['handshake.comp_methods_length'], b, x, 1);
    const cmEnd = Math.min(end, x + 1 + cmLen);
    s.add(f['handshake.comp_methods'], b, x + 1, cmEnd - x - 1, undefined, 0, s.wantsLabels ? `Compression Methods (${cmEnd - x - 1} method${cmEnd - x - 1 === 1 ? '' : 's'})` : undefined);
    s.push();
    for (let i = x + 1; i < cmEnd; i++) s.add(f['handshake.comp_method'], b, i, 1);
    s.pop();
    x += 1 + cmLen;
  } else {
    if (x + 3 > end) return;
    s.add(f['handshake.ciphersuite'], b, x, 2);
    s.add(f['handshake.comp_method'], b, x + 2, 1);
    x += 3;
  }
  if (x + 2 > end) return;
  const extLen = u16(b, x);
  s.add(f['handshake.extensions_length'], b, x, 2);
  x += 2;
  const extEnd = Math.min(end, x + extLen);
  for (let n = 0; x + 4 <= extEnd && n < 128; n++) {
    const type = u16(b, x);
    const len = u16(b, x + 2);
    const data = x + 4;
    const stop = Math.min(extEnd, data + len);
    // `Extension: server_name (len=11)`: a text subtree in tshark, its items under it.
    s.add(textItem, b, x, stop - x, undefined, 0, s.wantsLabels ? `Extension: ${extensionNames[type] ?? 'Unknown type'} (len=${len})` : undefined);
    s.push();
    s.add(f['handshake.extension.type'], b, x, 2);
    s.add(f['handshake.extension.len'], b, x + 2, 2);
    if (type === 0 && stop - data >= 2) {
      s.add(textItem, b, data, stop - data, undefined, 0, s.wantsLabels ? 'Server Name Indication extension' : undefined);
      s.push();
      s.add(f['handshake.extensions_server_name_list_len'], b, data, 2);
      let y = data + 2;
      while (y + 3 <= stop) {
        const nl = u16(b, y + 1);
        s.add(f['handshake.extensions_server_name_type'], b, y, 1);
        s.add(f['handshake.extensions_server_name_len'], b, y + 1, 2);
        if (y + 3 + nl <= stop) s.add(f['handshake.extensions_server_name'], b, y + 3, nl, ascii(b, y + 3, y + 3 + nl));
        y += 3 + nl;
      }
      s.pop();
    } else if (type === 11 && stop - data >= 1) {
      const n = Math.min(b[data], stop - data - 1);
      s.add(f['handshake.extensions_ec_point_formats_length'], b, data, 1);
      s.add(f['handshake.extensions_ec_point_formats'], b, data + 1, n, undefined, 0, s.wantsLabels ? `Elliptic curves point formats (${n})` : undefined);
      s.push();
      for (let y = data + 1; y < data + 1 + n; y++) s.add(f['handshake.extensions_ec_point_format'], b, y, 1);
      s.pop();
    } else if (type === 10 && stop - data >= 2) {
      const n = Math.min(u16(b, data), stop - data - 2) >> 1;
      s.add(f['handshake.extensions_supported_groups_length'], b, data, 2);
      s.add(f['handshake.extensions_supported_groups'], b, data + 2, n * 2, undefined, 0, s.wantsLabels ? `Supported Groups (${n} group${n === 1 ? '' : 's'})` : undefined);
      s.push();
      for (let y = data + 2; y < data + 2 + n * 2; y += 2) s.add(f['handshake.extensions_supported_group'], b, y, 2);
      s.pop();
    } else if (type === 51 && stop - data >= 2) {
      s.add(textItem, b, data, stop - data, undefined, 0, s.wantsLabels ? 'Key Share extension' : undefined);
      s.push();
      let y = data;
      if (client) {
        s.add(f['handshake.extensions_key_share_client_length'], b, data, 2);
        y += 2;
      }
      while (y + 4 <= stop) {
        const group = u16(b, y);
        const kl = u16(b, y + 2);
        const kEnd = Math.min(stop, y + 4 + kl);
        s.add(textItem, b, y, kEnd - y, undefined, 0, s.wantsLabels ? `Key Share Entry: Group: ${groupNames[group] ?? 'Unknown'}, Key Exchange length: ${kl}` : undefined);
        s.push();
        s.add(f['handshake.extensions_key_share_group'], b, y, 2);
        s.add(f['handshake.extensions_key_share_key_exchange_length'], b, y + 2, 2);
        if (kEnd > y + 4) s.add(f['handshake.extensions_key_share_key_exchange'], b, y + 4, kEnd - y - 4);
        s.pop();
        y = kEnd;
        if (!client) break;
      }
      s.pop();
    } else if (type === 16 && stop - data >= 2) {
      s.add(f['handshake.extensions_alpn_len'], b, data, 2);
      let y = data + 2;
      while (y + 1 <= stop) {
        const l = b[y];
        s.add(f['handshake.extensions_alpn_str_len'], b, y, 1);
        if (y + 1 + l <= stop) s.add(f['handshake.extensions_alpn_str'], b, y + 1, l, ascii(b, y + 1, y + 1 + l));
        y += 1 + l;
      }
    } else if (type === 43) {
      if (client && stop - data >= 1) {
        s.add(f['handshake.extensions.supported_versions_len'], b, data, 1);
        for (let y = data + 1; y + 2 <= Math.min(stop, data + 1 + b[data]); y += 2) s.add(f['handshake.extensions.supported_version'], b, y, 2);
      } else if (!client && stop - data >= 2) s.add(f['handshake.extensions.supported_version'], b, data, 2);
    }
    s.pop();
    x = data + len;
  }
}

/** Reads SNI and ALPN of a ClientHello body, or the chosen version/suite of a ServerHello. */
function helloFacts(b: Uint8Array, at: number, end: number, client: boolean): { version: number; suite: number; sni?: string; alpn?: string } {
  const out: { version: number; suite: number; sni?: string; alpn?: string } = { version: at + 2 <= end ? u16(b, at) : 0, suite: 0 };
  let x = at + 34;
  if (x >= end) return out;
  x += 1 + b[x];
  if (client) {
    if (x + 2 > end) return out;
    x += 2 + u16(b, x);
    if (x >= end) return out;
    x += 1 + b[x];
  } else {
    if (x + 3 > end) return out;
    out.suite = u16(b, x);
    x += 3;
  }
  if (x + 2 > end) return out;
  const extEnd = Math.min(end, x + 2 + u16(b, x));
  x += 2;
  for (let n = 0; x + 4 <= extEnd && n < 128; n++) {
    const type = u16(b, x);
    const len = u16(b, x + 2);
    const data = x + 4;
    if (data + len > extEnd) break;
    if (type === 0 && len >= 5) out.sni = ascii(b, data + 5, Math.min(data + len, data + 5 + u16(b, data + 3)));
    else if (type === 16 && len >= 3) {
      const names: string[] = [];
      for (let y = data + 2; y < data + len; y += 1 + b[y]) names.push(ascii(b, y + 1, Math.min(data + len, y + 1 + b[y])));
      out.alpn = names.join(',');
    } else if (type === 43 && !client && len === 2) out.version = u16(b, data);
    x = data + len;
  }
  return out;
}

function learn(st: AppConversationState, t: TlsState, p: Packet, layer: number, b: Uint8Array, o: number, end: number): void {
  const type = b[o];
  const client = fromClient(t);
  const encrypted = client ? t.clientEncrypted : t.serverEncrypted;
  if (encrypted && (type === HANDSHAKE || type === ALERT)) p.notes.set(`${ENCRYPTED_NOTE}${layer}`, 1);
  const at = o + RECORD_HEADER;
  if (type === CHANGE_CIPHER_SPEC) {
    // TLS 1.3 sends CCS only for middlebox compatibility; its records are opaque anyway.
    if (t.version !== 0x0304) {
      if (client) t.clientEncrypted = true;
      else t.serverEncrypted = true;
    }
    return;
  }
  if (type === ALERT) {
    const who = client ? 'client' : 'server';
    if (!encrypted && end - at >= 2 && u16(b, o + 3) === 2) {
      const level = b[at];
      const desc = alertDescriptions[b[at + 1]] ?? `alert ${b[at + 1]}`;
      if (level === 2 || b[at + 1] !== 0) setSummary(st, 'tls', SUMMARY_ERROR, `alert ${desc} from ${who}${t.sni ? ` (SNI ${printable(t.sni, 60)})` : ''}`);
    } else if (st.summaryLevel < SUMMARY_ERROR && t.version === 0) {
      setSummary(st, 'tls', SUMMARY_OUTCOME, `encrypted alert from ${who} during the handshake`);
    }
    return;
  }
  if (type !== HANDSHAKE || encrypted || end - at < 4) return;
  const hs = b[at];
  const body = at + 4;
  const bodyEnd = Math.min(end, body + ((b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3]));
  if (hs === 1) {
    t.client = endpoints.srcId;
    st.server ??= endpoints.dst;
    t.version = 0;
    t.clientEncrypted = t.serverEncrypted = false;
    const h = helloFacts(b, body, bodyEnd, true);
    t.sni = h.sni;
    t.alpn = h.alpn;
    const { sni, alpn } = h;
    setSummary(st, 'tls', SUMMARY_INFO, () => `ClientHello${sni ? ` SNI ${printable(sni, 60)}` : ''}${alpn ? ` ALPN ${printable(alpn, 40)}` : ''} (no ServerHello seen)`);
  } else if (hs === 2) {
    const h = helloFacts(b, body, bodyEnd, false);
    t.version = h.version;
    t.client ??= endpoints.dstId;
    const { version, suite } = h;
    const sni = t.sni;
    setSummary(st, 'tls', SUMMARY_OUTCOME, () => {
      const name = cipherSuiteNames[suite] ?? `0x${suite.toString(16).padStart(4, '0')}`;
      return `${versionNames[version] ?? `version 0x${version.toString(16)}`} ${name}${sni ? ` SNI ${printable(sni, 60)}` : ''}`;
    });
  }
}

for (const port of TLS_PORTS) tcpPorts.add(port, tls);
tcpHeuristics.push({ dissector: tls, test: looksLikeClientHello });

// ---- Packet-list columns (Wireshark's Info text) ----
/** packet-tls.c's short version names, the Protocol column of a TLS frame. */
const shortVersionNames: Record<number, string> = { 0x0300: 'SSLv3', 0x0301: 'TLSv1', 0x0302: 'TLSv1.1', 0x0303: 'TLSv1.2', 0x0304: 'TLSv1.3' };

/** Alert descriptions as the Info column shows them (`Handshake Failure`). */
function alertText(desc: number): string {
  const name = alertDescriptions[desc];
  if (!name) return `Unknown (${desc})`;
  return name.replace(/_(\w)/g, (_m, c: string) => ` ${c.toUpperCase()}`).replace(/^\w/, (c) => c.toUpperCase());
}

/**
 * `Client Hello`, `Server Hello, Change Cipher Spec`, `Application Data`: each record's
 * description, comma-separated over the records of the frame, as packet-tls.c; the Protocol
 * column is the session's version (the ServerHello's choice; before it, the record's).
 */
tls.info = (p, layer, col) => {
  const b = p.bufferOf(layer);
  const o = p.start[layer];
  const end = Math.min(p.end[layer], b.length);
  const first = layer === 0 || p.proto[layer - 1] !== tls.id;
  if (first) col.clear();
  if (end === o) return;
  const st = conversationOf(p, false);
  const session = st?.data instanceof TlsState ? st.data.version : 0;
  if (end - o < 3 || !isRecordHeader(b, o, end)) {
    col.setProtocol(shortVersionNames[session] ?? 'TLS');
    col.appendSep(', ', 'Continuation Data');
    return;
  }
  const version = session || u16(b, o + 1);
  col.setProtocol(shortVersionNames[version] ?? 'TLS');
  if (end - o < RECORD_HEADER) return;
  const type = b[o];
  const length = u16(b, o + 3);
  const at = o + RECORD_HEADER;
  const recEnd = Math.min(end, at + length);
  const encrypted = p.notes.get(`${ENCRYPTED_NOTE}${layer}`) === 1;
  switch (type) {
    case CHANGE_CIPHER_SPEC:
      col.appendSep(', ', 'Change Cipher Spec');
      break;
    case APPLICATION_DATA:
      col.appendSep(', ', 'Application Data');
      break;
    case ALERT:
      if (encrypted || length !== 2 || recEnd - at < 2) col.appendSep(', ', 'Encrypted Alert');
      else col.appendSep(', ', `Alert (Level: ${b[at] === 1 ? 'Warning' : b[at] === 2 ? 'Fatal' : `Unknown (${b[at]})`}, Description: ${alertText(b[at + 1])})`);
      break;
    case HEARTBEAT:
      col.appendSep(', ', encrypted ? 'Encrypted Heartbeat' : b[at] === 1 ? 'Heartbeat Request' : 'Heartbeat Response');
      break;
    case HANDSHAKE:
      if (encrypted) {
        col.appendSep(', ', 'Encrypted Handshake Message');
        break;
      }
      for (let x = at, n = 0; x + 4 <= recEnd && n < 64; n++) {
        col.appendSep(', ', handshakeTypes[b[x]] ?? 'Encrypted Handshake Message');
        x += 4 + ((b[x + 1] << 16) | (b[x + 2] << 8) | b[x + 3]);
      }
      break;
  }
};
