/**
 * Redis serialization protocol RESP2/RESP3 (TCP 6379), field names as Wireshark 4.0's
 * `packet-resp.c` (`resp.array`, `resp.bulk_string.value`, `resp.error`…).
 *
 * A PDU is one complete value: commands are arrays of bulk strings (`*2\r\n$4\r\nAUTH\r\n…`),
 * replies are any type (`+OK`, `-WRONGPASS …`, `:1`, `$5…`, RESP3 `%`, `~`, `_`, `#`, `,`,
 * `(`, `!`, `=`, `>`, `|`). Inline commands (`PING\r\n`) are one line. Replies are matched to
 * commands in order (pipelining). AUTH and HELLO … AUTH arguments are masked.
 */
import { registerDissector, STOP, tcpPorts } from '../decode/dissector.js';
import { defineFields } from '../fields/field.js';
import type { Columns } from '../decode/columns.js';
import type { Packet } from '../decode/packet.js';
import { anchorExperts, type Sink } from '../fields/sink.js';
import { addNeedsReassembly, ascii, capturedEnd, definePduFields, endPdu, indexOfCrlf, MASK } from './_pdu.js';
import { resumePdu } from './desegment.js';
import {
  conversationOf, endpoints, type EndpointId, mayUpdate, packetEndpoints, printable, setSummary, SUMMARY_ERROR, SUMMARY_INFO, SUMMARY_OUTCOME,
  type AppConversationState,
} from './conversation-state.js';

export const REDIS_PORT = 6379;
/** Nesting deeper than this is marked, not followed (as Wireshark's recursion limit). */
const MAX_DEPTH = 32;
/** Elements walked per PDU at most, so a hostile length cannot make a loop long. */
const MAX_ELEMENTS = 100_000;

export const respFields = defineFields('resp', {
  string: { display: 'String', type: 'string' },
  error: { display: 'Error', type: 'string' },
  bulk_string: { display: 'Bulk String', type: 'none' },
  'bulk_string.value': { display: 'Value', type: 'bytes' },
  'bulk_string.length': { display: 'Length', type: 'int32', base: 'dec' },
  integer: { display: 'Integer', type: 'int64', base: 'dec' },
  array: { display: 'Array', type: 'none' },
  'array.length': { display: 'Length', type: 'int64', base: 'dec' },
  // RESP3 and wiresage's own items.
  null: { display: 'Null', type: 'none' },
  boolean: { display: 'Boolean', type: 'bool' },
  double: { display: 'Double', type: 'string' },
  big_number: { display: 'Big Number', type: 'string' },
  map: { display: 'Map', type: 'none' },
  'map.length': { display: 'Length', type: 'int64', base: 'dec' },
  command: { display: 'Command', type: 'string', description: 'wiresage: the command name of a request' },
  inline: { display: 'Inline command', type: 'string' },
  secret: { display: 'Secret (masked)', type: 'string', description: 'wiresage: AUTH/HELLO password, never shown' },
  // packet-resp.c's expert items.
  partial: { display: 'Field is only partially decoded', type: 'none' },
  reassembled_in_next_frame: { display: 'Array is partially decoded. Re-assembled array is in the next frame', type: 'none' },
});

export const respPduFields = definePduFields('resp');

/** End of the RESP value at `at` (exclusive), -1 if incomplete, -2 if not RESP. */
export function valueEnd(b: Uint8Array, at: number, end: number, depth = 0, budget = { n: MAX_ELEMENTS }): number {
  if (at >= end) return -1;
  if (depth > MAX_DEPTH || --budget.n < 0) return -2;
  const line = indexOfCrlf(b, at + 1, end);
  const t = b[at];
  switch (t) {
    case 0x2b: case 0x2d: case 0x3a: case 0x5f: case 0x23: case 0x2c: case 0x28: // + - : _ # , (
      return line < 0 ? -1 : line + 2;
    case 0x24: case 0x21: case 0x3d: { // $ ! =  (bulk)
      if (line < 0) return -1;
      const n = lengthOf(b, at + 1, line);
      if (n === undefined) return -2;
      if (n < 0) return line + 2; // $-1: null bulk string
      const stop = line + 2 + n + 2;
      return stop > end ? -1 : stop;
    }
    case 0x2a: case 0x7e: case 0x3e: case 0x25: case 0x7c: { // * ~ > % |
      if (line < 0) return -1;
      const n = lengthOf(b, at + 1, line);
      if (n === undefined) return -2;
      let pos = line + 2;
      const count = t === 0x25 || t === 0x7c ? n * 2 : n;
      for (let i = 0; i < count; i++) {
        pos = valueEnd(b, pos, end, depth + 1, budget);
        if (pos < 0) return pos;
      }
      // An attribute (|) precedes the value it describes.
      return t === 0x7c ? valueEnd(b, pos, end, depth + 1, budget) : pos;
    }
    default:
      return -2;
  }
}

/** The decimal length in `b[from..to)` (may be -1), or undefined if not a number. */
function lengthOf(b: Uint8Array, from: number, to: number): number | undefined {
  if (to <= from || to - from > 12) return undefined;
  let neg = false;
  let i = from;
  if (b[i] === 0x2d) {
    neg = true;
    i++;
  }
  if (i >= to) return undefined;
  let n = 0;
  for (; i < to; i++) {
    const c = b[i];
    if (c < 0x30 || c > 0x39) return undefined;
    n = n * 10 + (c - 0x30);
  }
  return neg ? -n : n;
}

/** Bytes the RESP value at `off` needs, or undefined until it is complete (RESP has no length prefix). */
export function pduLength(buf: Uint8Array, off: number, avail: number): number | undefined {
  const first = buf[off];
  if (avail < 1) return undefined;
  if (!isTypeByte(first)) {
    // Inline command: one line.
    const line = indexOfCrlf(buf, off, off + avail);
    return line < 0 ? undefined : line + 2 - off;
  }
  const e = valueEnd(buf, off, off + avail);
  if (e === -2) return avail;
  if (e >= 0) return e - off;
  // A top-level bulk string tells its length in its first line (tshark then waits for exactly
  // that many bytes); an aggregate's length is known only once every element is there.
  if (first === 0x24 || first === 0x3d || first === 0x21) {
    const line = indexOfCrlf(buf, off + 1, off + avail);
    const n = line < 0 ? undefined : lengthOf(buf, off + 1, line);
    if (n !== undefined && n >= 0) return line + 2 - off + n + 2;
  }
  return undefined;
}

function isTypeByte(c: number): boolean {
  return c === 0x2b || c === 0x2d || c === 0x3a || c === 0x24 || c === 0x2a || c === 0x5f || c === 0x23 || c === 0x2c || c === 0x28 ||
    c === 0x21 || c === 0x3d || c === 0x25 || c === 0x7e || c === 0x3e || c === 0x7c;
}

export class RespState {
  server: EndpointId | undefined;
  /** Commands waiting for their reply, oldest first (pipelining). */
  pending: string[] = [];
  authOk = false;
}

function stateOf(st: AppConversationState): RespState {
  if (!(st.data instanceof RespState)) st.data = new RespState();
  return st.data as RespState;
}

function fromClient(m: RespState | undefined): boolean {
  if (m?.server) return endpoints.srcId !== m.server;
  return endpoints.dstPort === REDIS_PORT || (endpoints.srcPort !== REDIS_PORT && endpoints.dstPort < endpoints.srcPort);
}

export const resp = registerDissector({
  name: 'resp',
  display: 'REdis Serialization Protocol',
  decode(p, layer) {
    if (resumePdu(p, layer)) return STOP;
    const b = p.bufferOf(layer);
    const o = p.start[layer];
    const end = capturedEnd(p, layer);
    const length = pduLength(b, o, end - o);
    const st = conversationOf(p);
    if (st && length !== undefined && o + length <= end && mayUpdate(st, p, layer)) learn(st, stateOf(st), b, o, o + length);
    const next = endPdu(p, layer, length, resp.id);
    if (p.layers === layer) {
      // Held for reassembly: tshark's RESP dissector adds its item and the elements it could read
      // before asking for more bytes (and runs again over the gathered bytes while their length
      // is unknown), so the layer stays; only the segments that merely continue it have none.
      p.layers = layer + 1;
      p.end[layer] = p.limit[layer];
    }
    return next;
  },
  summary: () => 'REdis Serialization Protocol',
  tree(p, layer, s) {
    const b = p.bufferOf(layer);
    const o = p.start[layer];
    const end = Math.min(p.end[layer], b.length);
    if (end <= o) return;
    const length = pduLength(b, o, end - o);
    // Raised with the tree (src/decode/expert.ts raiseTreeExperts): a pass that builds none
    // does not walk a long gathered value once more.
    if (length === undefined || o + length > end) partialNotes(p, layer, b, o, end);
    const st = conversationOf(p);
    const m = st?.data instanceof RespState ? st.data : undefined;
    const client = fromClient(m);
    if (!isTypeByte(b[o])) {
      const line = indexOfCrlf(b, o, end);
      const text = ascii(b, o, line < 0 ? end : line);
      const masked = /^\s*(AUTH|HELLO)\b/i.test(text) ? text.replace(/^(\s*\S+).*$/, `$1 ${MASK}`) : text;
      s.add(respFields.inline, b, o, (line < 0 ? end : line) - o, masked);
      if (length === undefined) addNeedsReassembly(s, respPduFields, b, o, end - o, undefined);
      return;
    }
    // AUTH/HELLO arguments are masked whichever way the packet goes: a wrong guess of the
    // direction (capture begun mid-stream, odd ports) must not reveal a password.
    const mask: Mask = { from: firstSecret(b, o, end), index: 0, layer };
    if (s.anchor) mask.p = p;
    treeValue(s, b, o, end, 0, mask, client);
    if (length === undefined) addNeedsReassembly(s, respPduFields, b, o, end - o, undefined);
  },
});

/** Index of the first secret element of a command array: AUTH's arguments, HELLO's AUTH username/password. */
function firstSecret(b: Uint8Array, o: number, end: number): number {
  const name = commandOf(b, o, end)?.toUpperCase();
  if (name === 'AUTH') return 1;
  if (name === 'HELLO') return 3;
  return Infinity;
}

/** The first bulk string of an array (the command name), or undefined. */
export function commandOf(b: Uint8Array, o: number, end: number): string | undefined {
  if (b[o] !== 0x2a) return undefined;
  const line = indexOfCrlf(b, o + 1, end);
  if (line < 0) return undefined;
  const at = line + 2;
  if (at >= end || b[at] !== 0x24) return undefined;
  const l2 = indexOfCrlf(b, at + 1, end);
  if (l2 < 0) return undefined;
  const n = lengthOf(b, at + 1, l2);
  if (n === undefined || n < 0 || l2 + 2 + n > end) return undefined;
  return ascii(b, l2 + 2, l2 + 2 + Math.min(n, 64));
}

interface Mask {
  /** Elements of the top-level array from this index on are secrets. */
  from: number;
  /** Index of the next top-level element. */
  index: number;
  layer?: number;
  /** Set when the sink anchors expert items (a tree): the top-level array takes the "partially decoded" note, as tshark. */
  p?: Packet;
}

/** Adds the value at `at` to the tree; returns where it ends (or `end` when cut). */
/**
 * `Bulk String: SET` as packet-resp.c: the text appended when it is ASCII (up to a NUL byte),
 * `[NULL]` for length -1. A masked secret (AUTH password) keeps the mask in the text.
 */
function bulkLabel(b: Uint8Array, from: number, to: number, n: number | undefined, secret: boolean): string | undefined {
  if (n === -1) return 'Bulk String: [NULL]';
  if (n === undefined || n < 0) return undefined;
  if (secret) return `Bulk String: ${MASK}`;
  let e = from;
  while (e < to && b[e] !== 0) {
    if (b[e] > 0x7f) return undefined;
    e++;
  }
  return `Bulk String: ${ascii(b, from, e)}`;
}

function treeValue(s: Sink, b: Uint8Array, at: number, end: number, depth: number, mask: Mask, client: boolean): number {
  const f = respFields;
  if (at >= end) return end;
  const line = indexOfCrlf(b, at + 1, end);
  const lineEnd = line < 0 ? end : line;
  const next = line < 0 ? end : line + 2;
  const t = b[at];
  switch (t) {
    case 0x2b:
      s.add(f.string, b, at, next - at, ascii(b, at + 1, lineEnd));
      return next;
    case 0x2d:
    case 0x21: {
      if (t === 0x21) {
        const n = lengthOf(b, at + 1, lineEnd) ?? 0;
        const stop = Math.min(end, next + Math.max(0, n));
        s.add(f.error, b, at, stop - at, ascii(b, next, stop));
        return Math.min(end, stop + 2);
      }
      s.add(f.error, b, at, next - at, ascii(b, at + 1, lineEnd));
      return next;
    }
    case 0x3a: {
      const n = lengthOfBig(b, at + 1, lineEnd);
      s.add(f.integer, b, at, next - at, n);
      return next;
    }
    case 0x5f:
      s.add(f.null, b, at, next - at);
      return next;
    case 0x23:
      s.add(f.boolean, b, at, next - at, b[at + 1] === 0x74);
      return next;
    case 0x2c:
      s.add(f.double, b, at, next - at, ascii(b, at + 1, lineEnd));
      return next;
    case 0x28:
      s.add(f.big_number, b, at, next - at, ascii(b, at + 1, lineEnd));
      return next;
    case 0x24:
    case 0x3d: {
      const n = lengthOf(b, at + 1, lineEnd);
      // A value cut before its CRLF shows nothing, as tshark (it reads the whole value first).
      if (line < 0 || (n !== undefined && n >= 0 && next + n + 2 > end)) return end;
      const stop = n !== undefined && n >= 0 ? Math.min(end, next + n) : next;
      const secret = depth === 1 && mask.index >= mask.from;
      s.add(f.bulk_string, b, at, Math.min(end, stop + 2) - at, undefined, 0, s.wantsLabels ? bulkLabel(b, next, stop, n, secret) : undefined);
      s.push();
      s.add(f['bulk_string.length'], b, at + 1, lineEnd - at - 1, n ?? 0);
      if (n !== undefined && n >= 0 && next <= end) {
        if (secret) s.add(f['bulk_string.value'], b, next, stop - next, MASK);
        else s.add(f['bulk_string.value'], b, next, stop - next);
      }
      s.pop();
      if (depth === 1) {
        if (mask.index === 0 && client) s.add(f.command, b, next, stop - next, ascii(b, next, stop));
        mask.index++;
      }
      return Math.min(end, stop + 2);
    }
    case 0x2a: case 0x7e: case 0x3e: case 0x25: case 0x7c: {
      const n = lengthOf(b, at + 1, lineEnd) ?? 0;
      const isMap = t === 0x25 || t === 0x7c;
      // packet-resp.c: `Array: Length 3`, `Array: NULL`, `Array: Empty`.
      const label = s.wantsLabels && !isMap ? (n > 0 ? `Array: Length ${n}` : n === -1 ? 'Array: NULL' : n === 0 ? 'Array: Empty' : undefined) : undefined;
      s.add(isMap ? f.map : f.array, b, at, 0, undefined, 0, label);
      if (depth === 0 && mask.p) anchorExperts(s, mask.p, mask.layer ?? 0, 'resp.reassembled_in_next_frame');
      s.push();
      s.add(isMap ? f['map.length'] : f['array.length'], b, at + 1, lineEnd - at - 1, BigInt(n));
      let pos = next;
      const count = Math.min(isMap ? n * 2 : n, MAX_ELEMENTS);
      for (let i = 0; i < count && pos < end && depth < MAX_DEPTH; i++) pos = treeValue(s, b, pos, end, depth + 1, mask, client);
      s.pop();
      return pos;
    }
    default:
      return end;
  }
}

function lengthOfBig(b: Uint8Array, from: number, to: number): bigint {
  const text = ascii(b, from, to);
  return /^-?\d{1,19}$/.test(text) ? BigInt.asIntN(64, BigInt(text)) : 0n;
}

function learn(st: AppConversationState, m: RespState, b: Uint8Array, o: number, end: number): void {
  const client = fromClient(m);
  if (client) {
    m.server ??= endpoints.dstId;
    st.server ??= endpoints.dst;
    const cmd = (commandOf(b, o, end) ?? (isTypeByte(b[o]) ? '?' : ascii(b, o, Math.min(end, o + 32)).trim().split(/\s+/)[0] ?? '?')).toUpperCase();
    if (m.pending.length < 1024) m.pending.push(cmd);
    if (!st.summary) setSummary(st, 'redis', SUMMARY_INFO, cmd === 'AUTH' ? 'AUTH' : `${printable(cmd, 20)}`);
    return;
  }
  m.server ??= endpoints.srcId;
  const cmd = m.pending.shift();
  const t = b[o];
  if (t === 0x2d || t === 0x21) {
    const line = indexOfCrlf(b, o + 1, end);
    const text = printable(ascii(b, o + 1, line < 0 ? end : line), 100);
    const code = text.split(' ')[0];
    if (cmd === 'AUTH' || (cmd === 'HELLO' && (code === 'WRONGPASS' || code === 'NOAUTH'))) setSummary(st, 'redis', SUMMARY_ERROR, `AUTH failed ${text}`);
    // NOAUTH after a failed AUTH is its consequence: the AUTH failure stays the summary.
    else if (code === 'NOAUTH') {
      if (st.summaryLevel < SUMMARY_ERROR) setSummary(st, 'redis', SUMMARY_ERROR, `${cmd ?? 'command'} refused: ${text}`);
    }
    else setSummary(st, 'redis', SUMMARY_OUTCOME, `${cmd ?? 'command'} error ${text}`);
    return;
  }
  if (cmd === 'AUTH') {
    m.authOk = true;
    setSummary(st, 'redis', SUMMARY_OUTCOME, 'AUTH ok');
  }
}

tcpPorts.add(REDIS_PORT, resp);

// ---- Packet-list columns (Wireshark's Info text) ----
/**
 * `Request: SET k v`, `Response: OK`, `Response: Error: NOAUTH …`, `Response: Array(3)`: tshark
 * 4.0's packet-resp.c text. Its dissector reads a whole segment (or reassembled buffer) line by
 * line, so the text starts at the first RESP layer of a buffer and the following layers (the
 * next pipelined values) append to it. AUTH and HELLO … AUTH arguments are masked as in the
 * tree (tshark prints them).
 */
resp.info = (p, layer, col) => {
  col.setProtocol('RESP');
  const prev = layer - 1;
  const first = p.proto[prev] !== resp.id || p.bufIndex[prev] !== p.bufIndex[layer];
  packetEndpoints(p);
  const b = p.bufferOf(layer);
  // TCP lets the dissector ask for more bytes unless the capture cut the segment.
  const cx: InfoContext = { request: endpoints.dstPort === REDIS_PORT, response: endpoints.srcPort === REDIS_PORT, desegment: p.reported[layer] <= b.length };
  if (first) col.set(cx.response ? 'Response:' : 'Request:');
  const o = p.start[layer];
  const end = Math.min(p.end[layer], b.length);
  const mask: Mask = { from: cx.request ? firstSecret(b, o, end) : Infinity, index: 0 };
  if (infoLoop(b, o, end, 0, -1, cx, mask, col) < 0) col.append(' [continuation]');
};

/**
 * Which of packet-resp.c's `RESP_REQUEST` / `RESP_RESPONSE` hold (both when both ports are 6379),
 * `DESEGMENT_ENABLED`, and the expert items the walk met: arrays whose elements are not all
 * there (`ei_resp_reassembled_in_next_frame`, raised when tshark asks for more bytes), values
 * cut where it cannot (`ei_resp_partial`).
 */
interface InfoContext {
  request: boolean;
  response: boolean;
  desegment: boolean;
  arraysInNextFrame?: number;
  partial?: number;
}

/**
 * packet-resp.c's notes on a value its bytes do not complete (`start..end`, the layer's value):
 * the walk of the Info column counts them, as `dissect_resp_loop` raises them. Raised on every
 * frame the dissector runs over the value: the segment that starts it and, while its length is
 * unknown, each segment that adds to the gathered bytes.
 */
function partialNotes(p: Packet, layer: number, b: Uint8Array, start: number, end: number): void {
  const cx: InfoContext = { request: false, response: false, desegment: p.reported[layer] <= b.length, arraysInNextFrame: 0, partial: 0 };
  infoLoop(b, start, end, 0, 1, cx, { from: Infinity, index: 0 }, undefined);
  // A layer keeps one item per kind (Packet.expert): nested arrays cut together count once here,
  // once per level in tshark.
  if (cx.arraysInNextFrame) p.expert(layer, 'note', 'undecoded', 'resp.reassembled_in_next_frame', respFields.reassembled_in_next_frame.display);
  if (cx.partial) p.expert(layer, 'note', 'undecoded', 'resp.partial', respFields.partial.display);
}

/**
 * packet-resp.c's `dissect_resp_loop` for the column: `expected` values (all, when negative) from
 * `at`; returns where it stopped, or -1 where tshark asks for more bytes (a bulk string or an
 * array whose elements are not all there). Tshark 4.0 knows the
 * RESP2 types only: a RESP3 line is a ` [fragment]` and its elements are read as top-level values.
 */
function infoLoop(b: Uint8Array, at: number, end: number, depth: number, expected: number, cx: InfoContext, mask: Mask, col: Columns | undefined): number {
  for (let done = 0; at < end; done++) {
    if (expected >= 0 && done === expected) return at;
    let eol = at;
    while (eol < end && b[eol] !== 0x0d && b[eol] !== 0x0a) eol++;
    // Without desegmenting, a line without its end runs to the end of the bytes.
    if (eol === end && cx.desegment) return -1;
    const used = infoValue(b, at, eol - at, end, depth, cx, mask, col);
    if (used < 0) return -1;
    if (depth === 1) mask.index++;
    at += used;
  }
  return at;
}

/** One value of `infoLoop` (`dissect_resp_message`), its first line `len` bytes long; returns its bytes or -1. */
function infoValue(b: Uint8Array, at: number, len: number, end: number, depth: number, cx: InfoContext, mask: Mask, col: Columns | undefined): number {
  const line = () => ascii(b, at + 1, at + len);
  const top = depth === 0;
  switch (b[at]) {
    case 0x2b: // + simple string
      if (cx.response && top) col?.append(` ${line()}`);
      return len + 2;
    case 0x2d: // - error
      col?.append(` Error: ${line()}`);
      return len + 2;
    case 0x3a: // : integer
      if (cx.response && top) col?.append(` ${strtoll(line())}`);
      return len + 2;
    case 0x24: { // $ bulk string
      const n = Number(BigInt.asIntN(32, strtoll(line())));
      if (n < 0) return len + 2;
      const data = at + len + 2;
      let taken = n + 2;
      if (end - data < n + 2) {
        if (cx.desegment) return -1;
        taken = Math.max(0, end - data);
        col?.append(' [partial]');
        if (cx.partial !== undefined) cx.partial++;
      }
      // tshark reads the value as a C string: up to a NUL, ASCII or not shown.
      let stop = data;
      let isAscii = true;
      for (; stop < data + Math.min(n, taken) && b[stop] !== 0; stop++) if (b[stop] >= 0x80) isAscii = false;
      if (isAscii && cx.request && depth === 1) {
        const secret = mask.index >= mask.from;
        col?.append(n < 100 ? ` ${secret ? MASK : ascii(b, data, stop)}` : ` BulkString(${n})`);
      } else if (isAscii && cx.response && top && n < 100) col?.append(` ${ascii(b, data, stop)}`);
      else if (top) col?.append(` BulkString(${n})`);
      return len + 2 + taken;
    }
    case 0x2a: { // * array
      const n = strtoll(line());
      if (n <= 0n) return len + 2;
      if (depth > 30) return len + 2;
      if (at + len + 2 >= end) {
        if (cx.desegment) return -1;
        if (cx.partial !== undefined) cx.partial++;
      }
      if (cx.response && top) col?.append(` Array(${n})`);
      const stop = infoLoop(b, at + len + 2, end, depth + 1, Number(n), cx, mask, col);
      if (stop < 0 && cx.arraysInNextFrame !== undefined) cx.arraysInNextFrame++;
      return stop < 0 ? -1 : stop - at;
    }
    default:
      if (len === 0) return 2;
      col?.append(' [fragment]');
      return len + 2;
  }
}

/** `g_ascii_strtoll(text, NULL, 10)`: leading blanks, a sign and the digits that follow; 0 for none. */
function strtoll(text: string): bigint {
  const m = /^\s*([+-]?\d+)/.exec(text);
  if (!m) return 0n;
  const v = BigInt(m[1]);
  const max = 2n ** 63n - 1n;
  return v > max ? max : v < -max - 1n ? -max - 1n : v;
}
