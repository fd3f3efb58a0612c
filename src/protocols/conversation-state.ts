/**
 * What the application layer of each connection said, kept per conversation while packets are
 * decoded: the protocol it was recognised as (heuristics pin it), the state a dissector needs
 * across packets (TNS large-SDU lengths, MySQL's server side, PostgreSQL's startup seen) and a
 * one-line summary for `wiresage conv` and the diagnosis:
 * `oracle: REDIRECT to 172.31.2.11:1521`, `mysql: login 'app' failed 1045 Access denied…`.
 *
 * A conversation is the connection the flow engine found for the packet (`tcp.stream` /
 * `udp.stream`, when the engine follows the decoder's walk: `FlowEngine.attach`), so a port
 * reused by a later connection starts fresh state. Without the engine it falls back to a
 * direction-independent 5-tuple in a bounded table per decoder (IPv4: a numeric hash, so a
 * lookup builds no string; the text key `tcp 10.0.0.1:40000 10.0.0.2:1521` is made only when
 * read). `appSummary(key)` answers for the latest connection between two endpoints,
 * `streamState(…)` for one connection.
 *
 * Secrets (passwords, auth responses) never enter a summary.
 *
 * @example
 * const st = conversationOf(p);           // in a dissector's decode
 * if (st && mayUpdate(st, p, layer)) setSummary(st, 'mysql', SUMMARY_ERROR, "login 'app' failed 1045");
 * appSummary('tcp 10.251.1.2:40000 10.251.1.3:3306'); // "mysql: login 'app' failed 1045"
 */
import { ipv4ToString, ipv6ToString, u16, u32 } from '../decode/bytes.js';
import { conversationPins, STOP } from '../decode/dissector.js';
import type { DecodeState, Packet } from '../decode/packet.js';

/** Summary levels: a later summary replaces an earlier one of the same or a lower level. */
export const SUMMARY_INFO = 0;
export const SUMMARY_OUTCOME = 1;
export const SUMMARY_ERROR = 2;

export interface AppConversationState {
  /** `tcp 10.0.0.1:40000 10.0.0.2:1521` (endpoints sorted, so both directions give the same key). */
  readonly key: string;
  /** Dissector id the conversation was recognised as by a heuristic (STOP until then). */
  pinned: number;
  /** Short application protocol name used in the summary (`oracle`, `mysql`, `postgres`…). */
  protocol: string | undefined;
  /** What the application layer said, in one line, without secrets (`oracle: REDIRECT to …`). */
  readonly summary: string | undefined;
  summaryLevel: number;
  /** Counts `setSummary` calls that changed the summary: a reader compares it instead of building the text. */
  readonly revision: number;
  /** `addr:port` of the side acting as server, when the protocol tells (greeting, listener). */
  server: string | undefined;
  /** Protocol-specific state, owned by the protocol's module (which checks its class). */
  data: unknown;
  /** Last frame/layer that updated the state, so decoding a packet twice changes nothing. */
  lastFrame: number;
  lastLayer: number;
  /** The connection's `tcp.stream` / `udp.stream` (-1: keyed by addresses and ports only). */
  readonly stream: number;
}

/** Most conversations remembered per decoder; the oldest are dropped first. */
export const MAX_CONVERSATIONS = 100_000;

/** One conversation's state; the text key of an IPv4 one is built when first read. */
class ConversationState implements AppConversationState {
  pinned = STOP;
  protocol: string | undefined = undefined;
  text: string | (() => string) | undefined = undefined;
  summaryLevel = -1;
  revision = 0;
  server: string | undefined = undefined;
  data: unknown = undefined;
  lastFrame = 0;
  lastLayer = -1;
  stream = -1;
  /** A connection's state also kept in the text-keyed endpoint index (IPv6, or an IPv4 hash collision). */
  textIndexed = false;
  constructor(
    private textKey: string | undefined,
    /** IPv4: low address, high address, their ports, IP protocol; undefined otherwise. */
    readonly tuple: readonly [number, number, number, number, number] | undefined,
  ) {}

  get key(): string {
    if (this.textKey === undefined) {
      const [a, b, pa, pb, proto] = this.tuple!;
      this.textKey = conversationKey(proto === 17 ? 'udp' : 'tcp', ipv4ToString(a), pa, ipv4ToString(b), pb);
    }
    return this.textKey;
  }

  get summary(): string | undefined {
    if (this.text === undefined) return undefined;
    return `${this.protocol}: ${typeof this.text === 'function' ? this.text() : this.text}`;
  }
}

class StateTable {
  /** IPv4 conversations by a direction-independent hash of the 5-tuple, oldest first. */
  readonly fast = new Map<number, ConversationState>();
  /** IPv6 conversations and IPv4 hash collisions, by text key, oldest first. */
  readonly map = new Map<string, ConversationState>();
  /** Connections the flow engine numbered, by `tcp.stream` and `udp.stream`. */
  readonly tcpStreams = new Map<number, ConversationState>();
  readonly udpStreams = new Map<number, ConversationState>();
  /**
   * The latest IPv4 connection between two endpoints, by the hash of its tuple (`appSummary`
   * by key finds it): its text key is built only when read.
   */
  readonly latestV4 = new Map<number, ConversationState>();
}

/**
 * The stream number the flow engine gave the packet's transport layer during this walk (its
 * TcpNote / UdpNote in `p.flow`), or -1. UDP notes carry a `streams` list, TCP notes do not.
 */
function streamOf(p: Packet, transport: 'tcp' | 'udp'): number {
  const f = p.flow as { valid?: boolean; stream?: number; streams?: unknown } | null;
  if (f === null || !f.valid || typeof f.stream !== 'number') return -1;
  return (f.streams !== undefined) === (transport === 'udp') ? f.stream : -1;
}

const tables = new WeakMap<DecodeState, StateTable>();
let lastTable: StateTable | undefined;
let lastState: DecodeState | undefined;

function tableOf(state: DecodeState): StateTable {
  if (state === lastState && lastTable) return lastTable;
  let t = tables.get(state);
  if (!t) {
    t = new StateTable();
    tables.set(state, t);
  }
  lastState = state;
  lastTable = t;
  return t;
}

/** `addr:port` text of an endpoint (`[v6]:port` for IPv6). */
export function endpointText(addr: string, port: number): string {
  return addr.includes(':') ? `[${addr}]:${port}` : `${addr}:${port}`;
}

/** The direction-independent key of a conversation, from its two endpoints. */
export function conversationKey(transport: 'tcp' | 'udp', addrA: string, portA: number, addrB: string, portB: number): string {
  const a = endpointText(addrA, portA);
  const b = endpointText(addrB, portB);
  return a < b ? `${transport} ${a} ${b}` : `${transport} ${b} ${a}`;
}

/**
 * Endpoints of the packet being decoded, set by `packetEndpoints`: numbers always, the
 * `addr:port` texts (`src`, `dst`) built only when a dissector reads them.
 */
class Endpoints {
  transport: 'tcp' | 'udp' = 'tcp';
  srcPort = 0;
  dstPort = 0;
  /** 4 or 6. */
  family = 4;
  src4 = 0;
  dst4 = 0;
  private nb: Uint8Array = new Uint8Array(0);
  private no = 0;
  private texts: [string, string] | undefined;

  set(nb: Uint8Array, no: number, family: number): void {
    this.nb = nb;
    this.no = no;
    this.family = family;
    this.texts = undefined;
  }

  get srcAddr(): string {
    return this.family === 4 ? ipv4ToString(this.src4) : ipv6ToString(this.nb, this.no + 8);
  }
  get dstAddr(): string {
    return this.family === 4 ? ipv4ToString(this.dst4) : ipv6ToString(this.nb, this.no + 24);
  }
  /** A cheap identity of the source endpoint for equality tests (a number for IPv4). */
  get srcId(): EndpointId {
    return this.family === 4 ? this.src4 * 65536 + this.srcPort : v6Id(this.nb, this.no + 8, this.srcPort);
  }
  get dstId(): EndpointId {
    return this.family === 4 ? this.dst4 * 65536 + this.dstPort : v6Id(this.nb, this.no + 24, this.dstPort);
  }
  get src(): string {
    this.texts ??= [endpointText(this.srcAddr, this.srcPort), endpointText(this.dstAddr, this.dstPort)];
    return this.texts[0];
  }
  get dst(): string {
    this.texts ??= [endpointText(this.srcAddr, this.srcPort), endpointText(this.dstAddr, this.dstPort)];
    return this.texts[1];
  }
}

export const endpoints = new Endpoints();

/**
 * An endpoint's identity as `endpoints.srcId` gives it, for equality tests only: a number for
 * IPv4, for IPv6 a 9-character string (the address's eight 16-bit groups and the port as
 * character codes: no text formatting per packet).
 */
export type EndpointId = number | string;

/** The IPv6 endpoint identity of the address at `b[at..at+16)` and `port`. */
function v6Id(b: Uint8Array, at: number, port: number): string {
  return String.fromCharCode(u16(b, at), u16(b, at + 2), u16(b, at + 4), u16(b, at + 6), u16(b, at + 8), u16(b, at + 10), u16(b, at + 12), u16(b, at + 14), port);
}

/**
 * Fills `endpoints` from the packet's network and transport layers; false when the packet has
 * none (e.g. a reassembled buffer handed over without them) or they are cut short.
 */
export function packetEndpoints(p: Packet): boolean {
  const n = p.netLayer;
  const t = p.transportLayer;
  if (n < 0 || t < 0) return false;
  const nb = p.bufferOf(n);
  const no = p.start[n];
  const tb = p.bufferOf(t);
  const to = p.start[t];
  if (tb.length < to + 4 || nb.length <= no) return false;
  const version = nb[no] >> 4;
  if (version === 4 && nb.length >= no + 20) {
    endpoints.set(nb, no, 4);
    endpoints.src4 = u32(nb, no + 12);
    endpoints.dst4 = u32(nb, no + 16);
  } else if (version === 6 && nb.length >= no + 40) {
    endpoints.set(nb, no, 6);
  } else return false;
  endpoints.transport = transportOf(p);
  endpoints.srcPort = u16(tb, to);
  endpoints.dstPort = u16(tb, to + 2);
  return true;
}

/** The connection's endpoints in `endpoints`, as a tuple ordered low endpoint first (direction-independent). */
function sortedTuple(e: Endpoints): [number, number, number, number, number] {
  const srcFirst = e.src4 < e.dst4 || (e.src4 === e.dst4 && e.srcPort <= e.dstPort);
  const proto = e.transport === 'udp' ? 17 : 6;
  return srcFirst ? [e.src4, e.dst4, e.srcPort, e.dstPort, proto] : [e.dst4, e.src4, e.dstPort, e.srcPort, proto];
}

/** Makes a connection's state the latest between its endpoints in the text-keyed index. */
function indexByText(t: StateTable, st: ConversationState): void {
  t.map.delete(st.key);
  t.map.set(st.key, st);
  st.textIndexed = true;
}

/** A direction-independent hash of a sorted tuple, in 30 bits (a small integer as a Map key: no boxed number). */
function hashOf(a: number, b: number, pa: number, pb: number, proto: number): number {
  return (Math.imul(a ^ Math.imul(b, 0x9e3779b1), 0x85ebca6b) ^ Math.imul((pa << 16) | pb, 0xc2b2ae35) ^ proto) & 0x3fffffff;
}

function sameTuple(st: ConversationState, a: number, b: number, pa: number, pb: number, proto: number): boolean {
  const t = st.tuple;
  return t !== undefined && t[0] === a && t[1] === b && t[2] === pa && t[3] === pb && t[4] === proto;
}

/**
 * The application state of the packet's conversation, created on first use; undefined when the
 * packet has no IP/transport layers to key it by. Also fills `endpoints`.
 * This is the one lookup to swap for the flow engine's `conn.appState`.
 */
export function conversationOf(p: Packet, create = true): AppConversationState | undefined {
  if (!packetEndpoints(p)) return undefined;
  const t = tableOf(p.state);
  const e = endpoints;
  const stream = streamOf(p, e.transport);
  if (stream >= 0) {
    const m = e.transport === 'udp' ? t.udpStreams : t.tcpStreams;
    const hit = m.get(stream);
    if (hit || !create) return hit;
    let st: ConversationState;
    if (e.family === 4) {
      st = new ConversationState(undefined, sortedTuple(e));
      const [a, b, pa, pb, proto] = st.tuple!;
      const hash = hashOf(a, b, pa, pb, proto);
      const other = t.latestV4.get(hash);
      if (other === undefined || sameTuple(other, a, b, pa, pb, proto)) {
        // The endpoint index answers `appSummary(key)` with the latest connection between them.
        t.latestV4.delete(hash);
        t.latestV4.set(hash, st);
      } else indexByText(t, st);
    } else {
      st = new ConversationState(conversationKey(e.transport, e.srcAddr, e.srcPort, e.dstAddr, e.dstPort), undefined);
      indexByText(t, st);
    }
    st.stream = stream;
    m.set(stream, st);
    evict(t);
    return st;
  }
  if (e.family === 4) {
    const srcFirst = e.src4 < e.dst4 || (e.src4 === e.dst4 && e.srcPort <= e.dstPort);
    const a = srcFirst ? e.src4 : e.dst4;
    const b = srcFirst ? e.dst4 : e.src4;
    const pa = srcFirst ? e.srcPort : e.dstPort;
    const pb = srcFirst ? e.dstPort : e.srcPort;
    const proto = e.transport === 'udp' ? 17 : 6;
    const hash = hashOf(a, b, pa, pb, proto);
    const hit = t.fast.get(hash);
    if (hit && sameTuple(hit, a, b, pa, pb, proto)) return hit;
    if (!create) return hit ? t.map.get(conversationKey(e.transport, ipv4ToString(a), pa, ipv4ToString(b), pb)) : undefined;
    const fresh = new ConversationState(undefined, [a, b, pa, pb, proto]);
    if (!hit) t.fast.set(hash, fresh);
    else {
      // A hash collision: the newcomer lives in the text-keyed map.
      const other = t.map.get(fresh.key);
      if (other) return other;
      t.map.set(fresh.key, fresh);
    }
    evict(t);
    return fresh;
  }
  const key = conversationKey(e.transport, e.srcAddr, e.srcPort, e.dstAddr, e.dstPort);
  let st = t.map.get(key);
  if (!st && create) {
    st = new ConversationState(key, undefined);
    t.map.set(key, st);
    evict(t);
  }
  return st;
}

/**
 * Keeps the table bounded: past MAX_CONVERSATIONS the oldest tenth goes in one pass (deleting
 * the first entry of a Map one at a time makes each `keys().next()` walk the holes left by
 * earlier deletions, which turns eviction quadratic).
 */
function evict(t: StateTable): void {
  if (t.fast.size + t.map.size + t.tcpStreams.size + t.udpStreams.size + t.latestV4.size <= MAX_CONVERSATIONS) return;
  for (const m of [t.fast, t.map, t.tcpStreams, t.udpStreams, t.latestV4] as Array<Map<unknown, ConversationState>>) {
    let drop = Math.ceil(m.size / 10);
    for (const k of m.keys()) {
      if (drop-- <= 0) break;
      m.delete(k);
    }
  }
}

/** Finds a conversation by its text key (`tcp 10.0.0.1:40000 10.0.0.2:1521`). */
function lookup(t: StateTable, key: string): ConversationState | undefined {
  const direct = t.map.get(key);
  if (direct) return direct;
  const m = /^(tcp|udp) (\d+\.\d+\.\d+\.\d+):(\d+) (\d+\.\d+\.\d+\.\d+):(\d+)$/.exec(key);
  if (!m) return undefined;
  const ip = (x: string) => x.split('.').reduce((acc, o) => acc * 256 + Number(o), 0);
  let a = ip(m[2]);
  let b = ip(m[4]);
  let pa = Number(m[3]);
  let pb = Number(m[5]);
  if (b < a || (a === b && pb < pa)) [a, b, pa, pb] = [b, a, pb, pa];
  const proto = m[1] === 'udp' ? 17 : 6;
  const hash = hashOf(a, b, pa, pb, proto);
  const latest = t.latestV4.get(hash);
  if (latest && sameTuple(latest, a, b, pa, pb, proto)) return latest;
  const st = t.fast.get(hash);
  return st && sameTuple(st, a, b, pa, pb, proto) ? st : undefined;
}

function transportOf(p: Packet): 'tcp' | 'udp' {
  // The transport layer's protocol name decides (the dissector registered as `udp` or `tcp`).
  return transportNames[p.proto[p.transportLayer]] ?? 'tcp';
}

/** Dissector ids of the transports, filled by `registerTransportName` (index.ts). */
const transportNames: Record<number, 'tcp' | 'udp'> = {};
export function registerTransportName(id: number, name: 'tcp' | 'udp'): void {
  transportNames[id] = name;
}

/**
 * True when this packet's layer has not updated the state yet: decoding the same packet twice
 * (a second pass, the web UI opening a packet) must not count its messages twice.
 */
export function mayUpdate(st: AppConversationState, p: Packet, layer: number): boolean {
  if (p.number > st.lastFrame || (p.number === st.lastFrame && layer > st.lastLayer)) {
    st.lastFrame = p.number;
    st.lastLayer = layer;
    return true;
  }
  return false;
}

/**
 * Sets the summary unless a more important one (e.g. an error) is already there. `text` may be
 * a function, called only when the summary is read: frequent messages then cost no string work.
 */
export function setSummary(st: AppConversationState, protocol: string, level: number, text: string | (() => string)): void {
  if (level < st.summaryLevel) return;
  const c = st as ConversationState;
  if (c.text !== text || c.protocol !== protocol) c.revision++;
  c.protocol = protocol;
  c.summaryLevel = level;
  c.text = text;
}

/**
 * The one-line application summary of a conversation (`oracle: REDIRECT to 172.31.2.11:1521`),
 * or undefined. `state` picks the decoder (default: the one used last).
 */
export function appSummary(key: string, state?: DecodeState): string | undefined {
  const t = state ? tables.get(state) : lastTable;
  return t ? lookup(t, key)?.summary : undefined;
}

/** Every conversation with application state, for `wiresage conv` and the diagnosis. */
export function* appStates(state?: DecodeState): IterableIterator<AppConversationState> {
  const t = state ? tables.get(state) : lastTable;
  if (!t) return;
  yield* t.tcpStreams.values();
  yield* t.udpStreams.values();
  yield* t.fast.values();
  for (const st of t.map.values()) if (st.stream < 0) yield st;
}

/**
 * The application state of one connection (`tcp.stream` / `udp.stream` as the attached flow
 * engine numbered it), or undefined. `release` forgets it (the engine released the
 * connection: state stays bounded by live connections).
 */
export function streamState(transport: 'tcp' | 'udp', stream: number, state?: DecodeState, release = false): AppConversationState | undefined {
  const t = state ? tables.get(state) : lastTable;
  if (!t) return undefined;
  const m = transport === 'udp' ? t.udpStreams : t.tcpStreams;
  const st = m.get(stream);
  if (st && release) {
    m.delete(stream);
    const c = st as ConversationState;
    if (c.textIndexed) {
      if (t.map.get(c.key) === c) t.map.delete(c.key);
    } else if (c.tuple) {
      const [a, b, pa, pb, proto] = c.tuple;
      const hash = hashOf(a, b, pa, pb, proto);
      if (t.latestV4.get(hash) === c) t.latestV4.delete(hash);
    }
  }
  return st;
}

/** Forgets every conversation of a decoder (tests, a new capture in the same decoder). */
export function clearAppStates(state?: DecodeState): void {
  const t = state ? tables.get(state) : lastTable;
  t?.map.clear();
  t?.fast.clear();
  t?.tcpStreams.clear();
  t?.udpStreams.clear();
  t?.latestV4.clear();
}

// Conversation pinning for the heuristics (src/decode/dissector.ts).
conversationPins.pinned = (p) => {
  // A lookup only: unrecognised traffic must not create state.
  const st = conversationOf(p, false);
  return st ? st.pinned : STOP;
};
conversationPins.pin = (p, _layer, dissector) => {
  const st = conversationOf(p);
  if (!st) return;
  st.pinned = dissector;
  conversationPins.active = true;
};

/** Text with control bytes shown as `.`, cut to `max` characters with `…`, for summaries. */
export function printable(s: string, max = 80): string {
  let plain = true;
  for (let i = 0; i < s.length && plain; i++) {
    const c = s.charCodeAt(i);
    plain = c >= 0x20 && c !== 0x7f;
  }
  // eslint-disable-next-line no-control-regex
  const clean = plain ? s : s.replace(/[\x00-\x1f\x7f]/g, ' ').trim();
  return clean.length > max ? `${clean.slice(0, max - 1)}…` : clean;
}
