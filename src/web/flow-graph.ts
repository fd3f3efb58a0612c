/**
 * The flow graph (Wireshark's Statistics › Flow Graph): one arrow per frame between
 * `address:port` endpoints, labelled with the TCP flags (or the UDP length) and, where an
 * application protocol was dissected, the message it carries; coloured by Wireshark's colouring
 * rules (src/web/colors.ts), so a reset is the red of a "TCP RST" row and a retransmission the
 * black and red of "Bad TCP".
 *
 * Message names come from the dissected layers, not from a list of protocols: in each
 * application layer's detail tree, the fields whose names say what a message is, by Wireshark's
 * naming habits ({@link layerMessage}): an error code, else the message type / command /
 * method / status and its subject (URI, query name).
 */
import { Decoder, dissectTree } from '../decode/decoder.js';
import type { Packet } from '../decode/packet.js';
import { TreeSink, type TreeNode } from '../fields/sink.js';
import { FlowEngine } from '../flows/index.js';
import { FlowPacket, fromDecoded, Walk } from '../flows/headers.js';
import type { Capture } from './capture.js';
import { rowColor, type RowColor } from './colors.js';
import { addressColumns, protocolColumn } from './columns.js';
import { NO_STREAM } from './frame-index.js';
import { isLowerProtocol } from './scan.js';

export interface FlowEvent {
  frame: number;
  time: string;
  from: number;
  to: number;
  label: string;
  proto: string;
  comment?: string;
  /** The colouring rule the frame matches (as its packet-list row), if any. */
  color?: RowColor;
}

/** Wireshark's flow-graph TCP label: the flags set, then the payload length. */
export function tcpFlagsLabel(flags: number, len: number): string {
  // Wireshark lists FIN/SYN/RST/PSH/ACK/URG/ECE/CWR in that order.
  const names: Array<[number, string]> = [[0x01, 'FIN'], [0x02, 'SYN'], [0x04, 'RST'], [0x08, 'PSH'], [0x10, 'ACK'], [0x20, 'URG'], [0x40, 'ECE'], [0x80, 'CWR']];
  const label = names.filter(([bit]) => flags & bit).map(([, n]) => n).join(', ') || '<None>';
  return len > 0 ? `${label} Len=${len}` : label;
}

/** Field names (matched on their end) of error codes, by Wireshark's naming habits. */
const ERROR_FIELDS = [/(^|\.)(error_code|err_code|errcode|rcode)$/];
/** Codes of an error message whose kind says "error" (PostgreSQL's ErrorResponse carries `pgsql.code`). */
const ERROR_KIND_CODES = [/(^|\.)(code|sqlstate)$/];
/** Field names of message kinds, most specific first. */
const KIND_FIELDS = [
  /(^|\.)handshake\.type$/, /(^|\.)alert_message\.desc$/, /(^|\.)(message_type|msg_type|type|command|cmd|method|inline)$/,
  /(^|\.)response\.code$/, /(^|\.)content_type$/, /(^|\.)opcode$/, /(^|\.)status$/,
];
/** Field names of a message's subject. */
const SUBJECT_FIELDS = [/(^|\.)(request\.uri|qry\.name|response\.phrase|redirect\.address)$/];
/** Codes that mean "no error" are not errors (`dns.flags.rcode` 0, …). */
const NO_ERROR = /^(0|0 no error|no error|ok|success)$/i;

/**
 * A field value as text: its value name when it has one (codes keep their number: `200 OK`);
 * undefined for bytes, booleans and empty values.
 */
function valueText(n: TreeNode): string | undefined {
  const v = n.value;
  if (v === null || v === undefined || typeof v === 'boolean') return undefined;
  if (typeof v === 'number') {
    const name = n.field.valueNames?.get(v);
    if (/code$/.test(n.field.name)) return name ? `${v} ${name}` : String(v);
    return name ?? (n.field.valueNames ? String(v) : undefined);
  }
  if (typeof v === 'string') return v.trim() || undefined;
  if (typeof v === 'bigint') return String(v);
  return undefined;
}

/** The first field (tree order) whose name matches `re` with a value accepted as text. */
function firstMatch(nodes: readonly TreeNode[] | undefined, re: RegExp, accept: (text: string) => boolean): string | undefined {
  if (!nodes) return undefined;
  for (const n of nodes) {
    if (re.test(n.field.name)) {
      const t = valueText(n);
      if (t !== undefined && accept(t)) return t;
    }
    const deeper = firstMatch(n.children, re, accept);
    if (deeper !== undefined) return deeper;
  }
  return undefined;
}

/** The value of the first pattern (in priority order) some field matches. */
function firstOf(nodes: readonly TreeNode[] | undefined, patterns: readonly RegExp[], accept: (text: string) => boolean = () => true): string | undefined {
  for (const re of patterns) {
    const t = firstMatch(nodes, re, accept);
    if (t !== undefined) return t;
  }
  return undefined;
}

/** Short name of a protocol in a label: its filter name in capitals, as most Protocol columns (`pgsql` → `PGSQL`). */
function shortName(protocol: string): string {
  return shortNames[protocol] ?? protocol.toUpperCase();
}
const shortNames: Record<string, string> = { mysql: 'MySQL', resp: 'Redis' };

/**
 * The message one application layer carries, from its detail-tree node: `TNS Connect`,
 * `MySQL Error 1045`, `PGSQL Error 28P01`, `HTTP GET /login`, `TLS Client Hello`,
 * `DNS A example.com`, `Redis set k 1`; undefined when the layer names nothing.
 */
export function layerMessage(node: TreeNode): string | undefined {
  const kids = node.children;
  const name = shortName(node.field.name);
  const error = firstOf(kids, ERROR_FIELDS, (t) => !NO_ERROR.test(t));
  if (error !== undefined) return `${name} Error ${error}`;
  const kind = firstOf(kids, KIND_FIELDS);
  if (kind !== undefined && /error/i.test(kind)) {
    const code = firstOf(kids, ERROR_KIND_CODES);
    if (code !== undefined) return `${name} Error ${code}`;
  }
  const subject = firstOf(kids, SUBJECT_FIELDS);
  if (kind === undefined && subject === undefined) return undefined;
  return [name, kind, subject !== kind ? subject : undefined].filter((x) => x !== undefined).join(' ').slice(0, 120);
}

/** Messages shown on one arrow at most; more are counted. */
const MAX_MESSAGES = 3;

/**
 * The application messages of a decoded packet, in layer order, each once; when no layer names
 * a message, the application protocols themselves.
 */
export function packetMessages(p: Packet): string[] {
  const t = new TreeSink();
  dissectTree(p, t);
  const named: string[] = [];
  const bare: string[] = [];
  const walk = (nodes: readonly TreeNode[]) => {
    for (const n of nodes) {
      if (n.field.type !== 'protocol') continue;
      if (!isLowerProtocol(n.field.name) && n.field.name !== 'data') {
        const m = layerMessage(n);
        const list = m === undefined ? bare : named;
        const text = m ?? shortName(n.field.name);
        if (!list.includes(text)) list.push(text);
      } else if (n.children) {
        walk(n.children);
      }
    }
  };
  walk(t.roots);
  const out = named.length ? named : bare;
  return out.length > MAX_MESSAGES ? [...out.slice(0, MAX_MESSAGES), `+${out.length - MAX_MESSAGES} more`] : out;
}

/** Ladder diagram data: nodes are `addr:port` endpoints, one event per frame (`numbers`, ascending). */
export function flowGraph(c: Capture, numbers: number[]): { nodes: string[]; events: FlowEvent[] } {
  const nodes: string[] = [];
  const nodeIndex = new Map<string, number>();
  const node = (s: string) => {
    let i = nodeIndex.get(s);
    if (i === undefined) {
      i = nodes.length;
      nodes.push(s);
      nodeIndex.set(s, i);
    }
    return i;
  };
  const events: FlowEvent[] = [];
  const decoder = new Decoder();
  const engine = new FlowEngine();
  engine.attach(decoder);
  const fp = new FlowPacket();
  const wanted = new Set(numbers);
  // Earlier segments of the streams involved are decoded too (reassembly and app state).
  const idx = c.index;
  const streams = new Set<number>();
  for (const n of numbers) if (n >= 1 && n <= idx.count && idx.stream[n - 1] !== NO_STREAM) streams.add(idx.stream[n - 1]);
  const last = numbers.length ? Math.max(...numbers) : 0;
  const all: number[] = [];
  for (let i = 0; i < Math.min(last, idx.count); i++) if (wanted.has(i + 1) || streams.has(idx.stream[i])) all.push(i + 1);
  c.decodeFrames(all, (p: Packet, i: number) => {
    engine.packet(p);
    if (!wanted.has(p.number)) return;
    const { src, dst } = addressColumns(p);
    let from = src;
    let to = dst;
    let label: string;
    let proto: string;
    let comment: string | undefined;
    if (fromDecoded(fp, p) === Walk.Found && !fp.quoted) {
      const b = fp.buf;
      const o = fp.off;
      const sport = (b[o] << 8) | b[o + 1];
      const dport = (b[o + 2] << 8) | b[o + 3];
      const v6 = fp.family === 6;
      from = v6 ? `[${src}]:${sport}` : `${src}:${sport}`;
      to = v6 ? `[${dst}]:${dport}` : `${dst}:${dport}`;
      if (fp.proto === 6 && engine.tcpNote.valid) {
        const n = engine.tcpNote;
        label = tcpFlagsLabel(n.flags, n.len);
        proto = 'TCP';
        comment = `Seq = ${n.seq}${n.flags & 0x10 ? ` Ack = ${n.ack}` : ''}`;
      } else {
        proto = 'UDP';
        label = `UDP Len=${Math.max(0, ((b[o + 4] << 8) | b[o + 5]) - 8)}`;
      }
    } else {
      proto = protocolColumn(p);
      label = proto;
    }
    // Application messages name the arrow; the TCP flags move to the comment.
    const msgs = packetMessages(p);
    if (msgs.length) {
      comment = label + (comment ? ` ${comment}` : '');
      label = msgs.join(', ');
      proto = protocolColumn(p);
    }
    const color = rowColor(p, idx.analysis[i]);
    events.push({ frame: p.number, time: idx.timeText(i), from: node(from), to: node(to), label, proto, ...(comment ? { comment } : {}), ...(color ? { color } : {}) });
  }, decoder);
  return { nodes, events };
}
