/**
 * HTTP/1.x (RFC 9112) on TCP 80 and 8080, field names as Wireshark 4.0's `packet-http.c`:
 * request and status lines, every header line (`http.request.line`/`http.response.line`) and
 * the well-known headers as their own fields, bodies delimited by Content-Length or chunked
 * transfer coding, several messages per segment (pipelining). A segment that does not start
 * with a request or status line is body data of a message begun earlier (continuation).
 * Authorization values are masked.
 */
import { registerDissector, STOP, tcpPorts } from '../decode/dissector.js';
import { defineFields, type FieldDef } from '../fields/field.js';
import type { Sink } from '../fields/sink.js';
import { GENERATED, HIDDEN } from '../fields/value.js';
import { addContinuation, addNeedsReassembly, ascii, capturedEnd, definePduFields, endPdu, indexOfCrlf, MASK } from './_pdu.js';
import { gatheredPdu, holdPdu, registerOpaqueStart, resumePdu } from './desegment.js';
import { bodyLayer, bodyReadsBytes } from './media.js';
import type { Packet } from '../decode/packet.js';
import { conversationOf, mayUpdate, printable, setSummary, SUMMARY_ERROR, SUMMARY_INFO, SUMMARY_OUTCOME, type AppConversationState } from './conversation-state.js';

export const HTTP_PORTS = [80, 8080];
/** Header lines looked at per message at most. */
const MAX_HEADERS = 256;

export const httpFields = defineFields('http', {
  response: { display: 'Response', type: 'bool' },
  request: { display: 'Request', type: 'bool' },
  'request.method': { display: 'Request Method', type: 'string' },
  'request.uri': { display: 'Request URI', type: 'string' },
  'request.version': { display: 'Request Version', type: 'string' },
  'request.line': { display: 'Request line', type: 'string' },
  'response.version': { display: 'Response Version', type: 'string' },
  'response.code': { display: 'Status Code', type: 'uint16', base: 'dec' },
  'response.code.desc': { display: 'Status Code Description', type: 'string' },
  'response.phrase': { display: 'Response Phrase', type: 'string' },
  'response.line': { display: 'Response line', type: 'string' },
  host: { display: 'Host', type: 'string' },
  user_agent: { display: 'User-Agent', type: 'string' },
  accept: { display: 'Accept', type: 'string' },
  content_length_header: { display: 'Content-Length', type: 'string' },
  content_length: { display: 'Content length', type: 'uint64', base: 'dec' },
  content_type: { display: 'Content-Type', type: 'string' },
  transfer_encoding: { display: 'Transfer-Encoding', type: 'string' },
  connection: { display: 'Connection', type: 'string' },
  server: { display: 'Server', type: 'string' },
  location: { display: 'Location', type: 'string' },
  authorization: { display: 'Authorization', type: 'string', description: 'Credentials masked by wiresage' },
  www_authenticate: { display: 'WWW-Authenticate', type: 'string' },
  'request.full_uri': { display: 'Full request URI', type: 'string' },
  chunk_size: { display: 'Chunk size', type: 'uint32', base: 'dec' },
  file_data: { display: 'File Data', type: 'string' },
  chat: { display: 'Request or status line (expert)', type: 'none' },
});

export const httpPduFields = definePduFields('http');

/** Headers with their own field, by lower-case name. */
const headerFields: Record<string, FieldDef> = {
  host: httpFields.host, 'user-agent': httpFields.user_agent, accept: httpFields.accept, 'content-type': httpFields.content_type,
  'transfer-encoding': httpFields.transfer_encoding, connection: httpFields.connection, server: httpFields.server, location: httpFields.location,
  authorization: httpFields.authorization, 'proxy-authorization': httpFields.authorization, 'www-authenticate': httpFields.www_authenticate,
  'content-length': httpFields.content_length_header,
};

const reasonPhrases: Record<number, string> = {
  100: 'Continue', 101: 'Switching Protocols', 200: 'OK', 201: 'Created', 202: 'Accepted', 204: 'No Content', 206: 'Partial Content',
  301: 'Moved Permanently', 302: 'Found', 303: 'See Other', 304: 'Not Modified', 307: 'Temporary Redirect', 308: 'Permanent Redirect',
  400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed', 408: 'Request Timeout',
  409: 'Conflict', 411: 'Length Required', 413: 'Payload Too Large', 429: 'Too Many Requests', 500: 'Internal Server Error',
  501: 'Not Implemented', 502: 'Bad Gateway', 503: 'Service Unavailable', 504: 'Gateway Timeout',
};

const METHODS = ['GET', 'POST', 'PUT', 'HEAD', 'DELETE', 'OPTIONS', 'PATCH', 'CONNECT', 'TRACE'];

/** True when `b[o..)` starts a request line (a known method and a space) or a status line (`HTTP/`). */
export function startsMessage(b: Uint8Array, o: number, end: number): boolean {
  if (end - o < 5) return false;
  const c = b[o];
  if (c === 0x48 && b[o + 1] === 0x54 && b[o + 2] === 0x54 && b[o + 3] === 0x50 && b[o + 4] === 0x2f) return true; // HTTP/
  if (c < 0x41 || c > 0x5a) return false;
  for (const m of METHODS) {
    if (end - o <= m.length) continue;
    let ok = true;
    for (let i = 0; i < m.length && ok; i++) ok = b[o + i] === m.charCodeAt(i);
    if (ok && b[o + m.length] === 0x20) return true;
  }
  return false;
}

function isResponse(b: Uint8Array, o: number): boolean {
  return b[o] === 0x48 && b[o + 1] === 0x54 && b[o + 2] === 0x54 && b[o + 3] === 0x50 && b[o + 4] === 0x2f;
}

/** True when `b[o..end)` holds a line end (tvb_find_line_end: LF, or CR not last). */
function hasLineEnd(b: Uint8Array, o: number, end: number): boolean {
  for (let i = o; i < end; i++) if (b[i] === 10 || (b[i] === 13 && i + 1 < end)) return true;
  return false;
}

/** Index just past the blank line ending the headers, or -1. */
function headersEnd(b: Uint8Array, o: number, end: number): number {
  for (let i = o; i + 3 < end; i++) if (b[i] === 13 && b[i + 1] === 10 && b[i + 2] === 13 && b[i + 3] === 10) return i + 4;
  return -1;
}

interface Framing {
  /** Body bytes by Content-Length (-1 when none). */
  contentLength: number;
  chunked: boolean;
  status: number;
  /** The value of the first Content-Type header, `b[typeAt..typeEnd)` (typeAt -1: none). */
  typeAt: number;
  typeEnd: number;
}

/** Reads Content-Length / Transfer-Encoding / Content-Type / status from the header block `b[o..he)`. */
function framing(b: Uint8Array, o: number, he: number, out: Framing): Framing {
  out.contentLength = -1;
  out.chunked = false;
  out.typeAt = -1;
  out.typeEnd = -1;
  out.status = isResponse(b, o) && he - o >= 12 ? statusCode(b, o + 9) : 0;
  let line = indexOfCrlf(b, o, he);
  for (let n = 0; line >= 0 && line + 2 < he - 2 && n < MAX_HEADERS; n++) {
    const at = line + 2;
    const next = indexOfCrlf(b, at, he);
    const stop = next < 0 ? he : next;
    // Compare header names case-insensitively without building strings for other headers.
    if (stop - at > 15 && (b[at] | 0x20) === 0x63 && matchName(b, at, 'content-length:')) {
      const v = decimal(b, at + 15, stop);
      if (v >= 0) out.contentLength = v;
    } else if (stop - at > 18 && (b[at] | 0x20) === 0x74 && matchName(b, at, 'transfer-encoding:')) {
      out.chunked = /chunked/i.test(ascii(b, at + 18, stop));
    } else if (out.typeAt < 0 && next >= 0 && next - at > 13 && (b[at] | 0x20) === 0x63 && matchName(b, at, 'content-type:')) {
      out.typeAt = at + 13;
      out.typeEnd = next;
    }
    line = next;
  }
  return out;
}

/** The three-character status code at `b[at]` as `Number` reads it (0 when not a number). */
function statusCode(b: Uint8Array, at: number): number {
  const d0 = b[at] - 0x30;
  const d1 = b[at + 1] - 0x30;
  const d2 = b[at + 2] - 0x30;
  if (d0 >= 0 && d0 <= 9 && d1 >= 0 && d1 <= 9 && d2 >= 0 && d2 <= 9) return d0 * 100 + d1 * 10 + d2;
  return Number(ascii(b, at, at + 3)) || 0;
}

/**
 * The header value `b[at..stop)` as a decimal of 1 to 15 digits between optional blanks, or
 * -1 (as `/^\d{1,15}$/` on the trimmed text).
 */
function decimal(b: Uint8Array, at: number, stop: number): number {
  let i = at;
  while (i < stop && (b[i] === 0x20 || b[i] === 0x09)) i++;
  const first = i;
  let v = 0;
  while (i < stop && b[i] >= 0x30 && b[i] <= 0x39) v = v * 10 + (b[i++] - 0x30);
  const digits = i - first;
  while (i < stop && (b[i] === 0x20 || b[i] === 0x09)) i++;
  if (i === stop) return digits >= 1 && digits <= 15 ? v : -1;
  // Other blanks (trim() takes more than spaces and tabs): the text as before.
  const t = ascii(b, at, stop).trim();
  return /^\d{1,15}$/.test(t) ? Number(t) : -1;
}

/** The media type of a Content-Type value `b[at..end)`: without its parameters, in lower case (undefined when none). */
function mediaType(b: Uint8Array, at: number, end: number): string | undefined {
  return at < 0 ? undefined : ascii(b, at, end).split(';')[0].trim().toLowerCase();
}

/** Where `pduLength` found the headers' end (-1: not found); its framing is in `scratch`. */
let lastHeadersEnd = -1;

function matchName(b: Uint8Array, at: number, lower: string): boolean {
  for (let i = 0; i < lower.length; i++) if ((b[at + i] | (lower.charCodeAt(i) === 0x3a || lower.charCodeAt(i) === 0x2d ? 0 : 0x20)) !== lower.charCodeAt(i)) return false;
  return true;
}

const scratch: Framing = { contentLength: -1, chunked: false, status: 0, typeAt: -1, typeEnd: -1 };

/** End of a chunked body starting at `at` (after the last CRLF), -1 if incomplete. */
function chunkedEnd(b: Uint8Array, at: number, end: number, sizes?: Array<[number, number]>): number {
  for (let n = 0; n < 100_000; n++) {
    const line = indexOfCrlf(b, at, end);
    if (line < 0) return -1;
    const size = parseInt(ascii(b, at, Math.min(line, at + 16)).split(';')[0].trim(), 16);
    if (!Number.isFinite(size) || size < 0) return end; // not chunked after all: take the rest
    sizes?.push([at, size]);
    if (size === 0) {
      // Trailer section ends with an empty line.
      let t = line + 2;
      for (;;) {
        const l = indexOfCrlf(b, t, end);
        if (l < 0) return -1;
        if (l === t) return l + 2;
        t = l + 2;
      }
    }
    at = line + 2 + size + 2;
    if (at > end) return -1;
  }
  return end;
}

/**
 * Bytes the HTTP message at `off` needs: headers plus a body by Content-Length or chunks;
 * undefined while the headers (or the chunks) are incomplete. A response without either
 * runs to the end of what is there (until the connection closes).
 */
export function pduLength(buf: Uint8Array, off: number, avail: number, noBody = false): number | undefined {
  const end = off + avail;
  const he = headersEnd(buf, off, end);
  lastHeadersEnd = he;
  if (he < 0) return undefined;
  const fr = framing(buf, off, he, scratch);
  const response = isResponse(buf, off);
  if (noBody || (response && ((fr.status >= 100 && fr.status < 200) || fr.status === 204 || fr.status === 304))) return he - off;
  if (fr.chunked) {
    const e = chunkedEnd(buf, he, end);
    return e < 0 ? undefined : e - off;
  }
  if (fr.contentLength >= 0) return he - off + fr.contentLength;
  return response ? avail : he - off;
}

export class HttpState {
  /** Methods and URIs of requests without a response yet (pipelining), oldest first. */
  pending: string[] = [];
}

function stateOf(st: AppConversationState): HttpState {
  if (!(st.data instanceof HttpState)) st.data = new HttpState();
  return st.data as HttpState;
}

export const http = registerDissector({
  name: 'http',
  display: 'Hypertext Transfer Protocol',
  decode(p, layer) {
    if (resumePdu(p, layer)) return STOP;
    const b = p.bufferOf(layer);
    const o = p.start[layer];
    const end = capturedEnd(p, layer);
    // Without a whole first line packet-http.c asks for more bytes before deciding anything.
    if (!hasLineEnd(b, o, end) && holdPdu(p, layer, undefined)) return STOP;
    if (!startsMessage(b, o, end)) {
      // Body bytes of a message begun in an earlier segment.
      p.end[layer] = p.limit[layer];
      return STOP;
    }
    const response = isResponse(b, o);
    const st = conversationOf(p);
    const h = st ? stateOf(st) : undefined;
    const headOnly = response && h !== undefined && h.pending.length > 0 && h.pending[0].startsWith('HEAD ');
    const length = pduLength(b, o, end - o, headOnly);
    // The headers' end and framing pduLength found, for the body (endPdu may run pduLength again).
    const he = lastHeadersEnd;
    const chunked = scratch.chunked;
    const typeAt = scratch.typeAt;
    const typeEnd = scratch.typeEnd;
    const next = endPdu(p, layer, length, http.id);
    // A message held for reassembly (layer removed) is learnt from once it is whole.
    if (p.layers <= layer) return next;
    // packet-http.c's Chat item on each request and status line (`tshark -z expert` counts them).
    const first = indexOfCrlf(b, o, end);
    if (first > o) p.expert(layer, 'chat', 'sequence', 'http.chat', `${ascii(b, o, first)}\\r\\n`);
    if (st && h && mayUpdate(st, p, layer)) learn(st, h, b, o, end, response);
    return length === undefined ? next : body(p, layer, b, he, chunked, mediaType(b, typeAt, typeEnd), Math.min(p.end[layer], end), next);
  },
  summary(p, layer) {
    const b = p.bufferOf(layer);
    const o = p.start[layer];
    const line = indexOfCrlf(b, o, Math.min(b.length, o + 512));
    return line > o ? `Hypertext Transfer Protocol` : 'Hypertext Transfer Protocol';
  },
  tree(p, layer, s) {
    const b = p.bufferOf(layer);
    const o = p.start[layer];
    const end = Math.min(p.end[layer], b.length);
    if (!startsMessage(b, o, end)) {
      addContinuation(s, httpPduFields, b, o, end);
      return;
    }
    treeMessage(s, b, o, end);
  },
});

/**
 * The layer after a whole message ending at `msgEnd` whose headers end at `he`: its body by
 * media type (de-chunked into a buffer of its own, as Wireshark's "De-chunked entity body"),
 * else `next`.
 */
function body(p: Packet, layer: number, b: Uint8Array, he: number, chunked: boolean, type: string | undefined, msgEnd: number, next: number): number {
  if (he < 0 || he >= msgEnd) return next;
  if (!chunked) return bodyLayer(p, layer, type, p.bufIndex[layer], he, msgEnd, next);
  const sizes: Array<[number, number]> = [];
  chunkedEnd(b, he, msgEnd, sizes);
  let total = 0;
  for (const [, size] of sizes) total += size;
  const dechunked = new Uint8Array(total);
  let at = 0;
  for (const [pos, size] of sizes) {
    const from = indexOfCrlf(b, pos, msgEnd) + 2;
    const piece = b.subarray(from, Math.min(msgEnd, from + size));
    dechunked.set(piece, at);
    at += piece.length;
  }
  if (total === 0) return next;
  return bodyLayer(p, layer, type, p.addBuffer(dechunked), 0, total, next);
}

function treeMessage(s: Sink, b: Uint8Array, o: number, end: number): void {
  const f = httpFields;
  const response = isResponse(b, o);
  const first = indexOfCrlf(b, o, end);
  const firstEnd = first < 0 ? end : first;
  const startLine = ascii(b, o, firstEnd);
  let host = '';
  let uri = '';
  if (response) {
    const m = /^(\S+) (\d{3})(?: (.*))?$/.exec(startLine);
    if (m) {
      s.add(f['response.version'], b, o, m[1].length, m[1]);
      s.add(f['response.code'], b, o + m[1].length + 1, 3, Number(m[2]));
      s.add(f['response.code.desc'], b, o + m[1].length + 1, 3, reasonPhrases[Number(m[2])] ?? 'Unknown', GENERATED);
      if (m[3] !== undefined) s.add(f['response.phrase'], b, o + m[1].length + 5, m[3].length, m[3]);
    }
    s.add(f.response, b, o, 0, true, HIDDEN);
  } else {
    const m = /^(\S+) (\S*) (\S+)$/.exec(startLine);
    if (m) {
      uri = m[2];
      s.add(f['request.method'], b, o, m[1].length, m[1]);
      s.add(f['request.uri'], b, o + m[1].length + 1, m[2].length, m[2]);
      s.add(f['request.version'], b, o + m[1].length + m[2].length + 2, m[3].length, m[3]);
    }
    s.add(f.request, b, o, 0, true, HIDDEN);
  }
  if (first < 0) {
    addNeedsReassembly(s, httpPduFields, b, o, end - o, undefined);
    return;
  }
  const he = headersEnd(b, o, end);
  const lineField = response ? f['response.line'] : f['request.line'];
  let at = first + 2;
  let contentLength = -1;
  let chunked = false;
  for (let n = 0; at < end && n < MAX_HEADERS; n++) {
    const next = indexOfCrlf(b, at, end);
    if (next === at) break; // blank line
    const stop = next < 0 ? end : next;
    const text = ascii(b, at, stop);
    const colon = text.indexOf(':');
    const name = colon > 0 ? text.slice(0, colon).toLowerCase() : '';
    const value = colon > 0 ? text.slice(colon + 1).trim() : '';
    const secret = name === 'authorization' || name === 'proxy-authorization';
    const shown = secret ? `${text.slice(0, colon + 1)} ${value.split(' ')[0]} ${MASK}` : text;
    s.add(lineField, b, at, Math.min(end, stop + 2) - at, next < 0 ? shown : `${shown}\r\n`);
    const item = headerFields[name];
    if (item) {
      s.add(item, b, at + colon + 1, stop - at - colon - 1, secret ? `${value.split(' ')[0]} ${MASK}` : value);
      if (name === 'content-length' && /^\d{1,15}$/.test(value)) {
        contentLength = Number(value);
        s.push();
        s.add(f.content_length, b, at + colon + 1, stop - at - colon - 1, BigInt(contentLength), GENERATED);
        s.pop();
      }
      if (name === 'transfer-encoding' && /chunked/i.test(value)) chunked = true;
      if (name === 'host') host = value;
    }
    if (next < 0) break;
    at = next + 2;
  }
  if (!response && host) s.add(f['request.full_uri'], b, o, 0, uri.startsWith('http') ? uri : `http://${host}${uri}`, GENERATED);
  if (he < 0) {
    addNeedsReassembly(s, httpPduFields, b, o, end - o, undefined);
    return;
  }
  if (he >= end) return;
  if (chunked) {
    const sizes: Array<[number, number]> = [];
    const e = chunkedEnd(b, he, end, sizes);
    let body = '';
    for (const [pos, size] of sizes) {
      const line = indexOfCrlf(b, pos, end);
      s.add(f.chunk_size, b, pos, line - pos, size);
      body += ascii(b, line + 2, Math.min(end, line + 2 + size));
    }
    if (body) s.add(f.file_data, b, he, (e < 0 ? end : e) - he, asciiString(body));
    if (e < 0) addNeedsReassembly(s, httpPduFields, b, o, end - o, undefined);
    return;
  }
  const bodyEnd = contentLength >= 0 ? Math.min(end, he + contentLength) : end;
  if (bodyEnd > he) s.add(f.file_data, b, he, bodyEnd - he, asciiString(ascii(b, he, bodyEnd)));
  if (contentLength >= 0 && he + contentLength > end) addNeedsReassembly(s, httpPduFields, b, o, end - o, he - o + contentLength);
}

/**
 * A body as Wireshark shows an ASCII string field: up to the first NUL, each byte above 0x7f
 * as U+FFFD.
 */
function asciiString(text: string): string {
  const nul = text.indexOf('\0');
  const cut = nul < 0 ? text : text.slice(0, nul);
  return cut.replace(/[\x80-\xff]/g, '\ufffd');
}

function learn(st: AppConversationState, h: HttpState, b: Uint8Array, o: number, end: number, response: boolean): void {
  if (!response) {
    // Method and URI (up to 80 bytes of it) by byte scan; the text is kept for the summary.
    const stop = Math.min(end, o + 120);
    let sp1 = o;
    while (sp1 < stop && b[sp1] !== 0x20) sp1++;
    let sp2 = sp1 + 1;
    while (sp2 < stop && b[sp2] !== 0x20 && b[sp2] !== 0x0d) sp2++;
    const request = ascii(b, o, Math.min(sp2, sp1 + 81));
    if (h.pending.length < 256) h.pending.push(request);
    if (st.summaryLevel < SUMMARY_INFO) setSummary(st, 'http', SUMMARY_INFO, `${printable(request, 90)} (no response seen)`);
    return;
  }
  const request = h.pending.shift();
  if (end - o < 12) return;
  const code = (b[o + 9] - 0x30) * 100 + (b[o + 10] - 0x30) * 10 + (b[o + 11] - 0x30);
  if (!(code >= 100 && code <= 999)) return;
  // Only the first success and every error make a summary: no text built for the others.
  if (code < 400 && st.summaryLevel >= SUMMARY_OUTCOME) return;
  const line = indexOfCrlf(b, o, Math.min(end, o + 200));
  const phrase = line > o + 13 ? ascii(b, o + 13, line) : '';
  const what = `${printable(request ?? 'request', 90)} → ${code}${phrase ? ` ${printable(phrase, 40)}` : ''}`;
  setSummary(st, 'http', code >= 400 ? SUMMARY_ERROR : SUMMARY_OUTCOME, what);
}

for (const port of HTTP_PORTS) tcpPorts.add(port, http);

/**
 * A message held for its body is opaque from the end of its headers when the body goes whole
 * to a layer that reads none of its bytes (data, media, line-based text): a body by
 * Content-Length (a chunked one is held only until its chunks are all there, and its chunk
 * lines are parsed).
 */
registerOpaqueStart(http.id, (b, o, end) => {
  const he = headersEnd(b, o, end);
  if (he < 0) return -1;
  const fr = framing(b, o, he, scratch);
  if (fr.chunked || fr.contentLength < 0) return -1;
  return bodyReadsBytes(mediaType(b, fr.typeAt, fr.typeEnd)) ? -1 : he - o;
});

// ---- Packet-list columns (Wireshark's Info text) ----
import { u16 } from '../decode/bytes.js';
import { tcpHeldPduInfo } from '../decode/tcp.js';
import type { Columns } from '../decode/columns.js';

/**
 * What the body's media-type dissector adds (Wireshark 4.0's `media_type` table): line-based
 * text appends ` (type)`, XML and JSON rename the protocol, images name themselves; a type with
 * no dissector (application/octet-stream…) adds nothing.
 */
function mediaInfo(type: string, col: Columns): void {
  if (type === 'text/xml' || type === 'application/xml' || type.endsWith('+xml')) col.setProtocol('HTTP/XML');
  else if (type === 'application/json' || type.endsWith('+json')) {
    col.setProtocol('HTTP/JSON');
    col.append(` , JavaScript Object Notation (${type})`);
  } else if (type === 'image/png') col.append(' (PNG)');
  else if (type === 'image/jpeg') col.append(' (JPEG JFIF image)');
  else if (type.startsWith('text/') || type === 'application/x-www-form-urlencoded' || type === 'application/javascript') col.append(` (${type})`);
}

/**
 * `GET / HTTP/1.1 ` and `HTTP/1.1 200 OK  (text/html)` as packet-http.c writes them: the start
 * line and a space, then the media type of a body when the message has one; `Continuation` for
 * bytes that do not start a message.
 */
http.info = (p, layer, col) => {
  const b = p.bufferOf(layer);
  const o = p.start[layer];
  const end = Math.min(p.end[layer], b.length);
  col.setProtocol('HTTP');
  if (!startsMessage(b, o, end)) {
    col.set('Continuation');
    return;
  }
  const first = indexOfCrlf(b, o, end);
  col.set(`${ascii(b, o, first < 0 ? end : first)} `);
  const he = headersEnd(b, o, end);
  // Without body bytes no media dissector runs.
  if (he < 0 || he >= end) return;
  // The body's media type: Content-Type without its parameters, in lower case.
  for (let line = first; line >= 0 && line + 2 < he - 2;) {
    const at = line + 2;
    const next = indexOfCrlf(b, at, he);
    const stop = next < 0 ? he : next;
    if (stop - at > 13 && matchName(b, at, 'content-type:')) {
      const type = ascii(b, at + 13, stop).split(';')[0].trim().toLowerCase();
      if (type) mediaInfo(type, col);
      return;
    }
    line = next;
  }
};

// A message whose headers continue in later segments: packet-http.c has written its start line.
// A segment that only continues a message of unknown length (a chunked body) shows the start
// line again: packet-http.c runs over the bytes gathered so far before it asks for more.
tcpHeldPduInfo.push((p, layer, start, end, col) => {
  const t = p.bufferOf(layer);
  const o = p.start[layer];
  if (tcpPorts.get(u16(t, o)) !== http.id && tcpPorts.get(u16(t, o + 2)) !== http.id) return false;
  const gathered = gatheredPdu(p);
  const b = gathered ?? t;
  const from = gathered ? 0 : start;
  const to = gathered ? gathered.length : end;
  if (!startsMessage(b, from, to)) return false;
  const first = indexOfCrlf(b, from, to);
  col.set(`${ascii(b, from, first < 0 ? to : first)} `);
  return true;
});
