/**
 * What the application layer of each connection said, kept per conversation while packets are
 * decoded: the protocol it was recognised as (heuristics pin it), the state a dissector needs
 * across packets (TNS large-SDU lengths, MySQL's server side, PostgreSQL's startup seen) and a
 * one-line summary for `wiresage conv` and the diagnosis:
 * `oracle: REDIRECT to 172.31.2.11:1521`, `mysql: login 'app' failed 1045 Access denied…`.
 *
 * Until the flow engine hands dissectors its connection object, conversations are found by a
 * direction-independent 5-tuple string (`conversationKey`) in a bounded Map per decoder; the
 * lookup is `conversationOf(p)` alone, so swapping it for `conn.appState` touches one function.
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
  /** What the application layer said, in one line, without secrets. */
  summary: string | undefined;
  summaryLevel: number;
  /** `addr:port` of the side acting as server, when the protocol tells (greeting, listener). */
  server: string | undefined;
  /** Protocol-specific state, owned by the protocol's module (which checks its class). */
  data: unknown;
  /** Last frame/layer that updated the state, so decoding a packet twice changes nothing. */
  lastFrame: number;
  lastLayer: number;
}

/** Most conversations remembered per decoder; the oldest are dropped first. */
export const MAX_CONVERSATIONS = 100_000;

class StateTable {
  readonly map = new Map<string, AppConversationState>();
}

const tables = new WeakMap<DecodeState, StateTable>();
let lastTable: StateTable | undefined;

function tableOf(state: DecodeState): StateTable {
  let t = tables.get(state);
  if (!t) {
    t = new StateTable();
    tables.set(state, t);
  }
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

/** Endpoints of the packet being decoded, set by `packetEndpoints` (reused, not allocated per packet). */
export const endpoints = { transport: 'tcp' as 'tcp' | 'udp', src: '', dst: '', srcAddr: '', dstAddr: '', srcPort: 0, dstPort: 0 };

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
  if (tb.length < to + 4) return false;
  const version = nb.length > no ? nb[no] >> 4 : 0;
  if (version === 4 && nb.length >= no + 20) {
    endpoints.srcAddr = ipv4ToString(u32(nb, no + 12));
    endpoints.dstAddr = ipv4ToString(u32(nb, no + 16));
  } else if (version === 6 && nb.length >= no + 40) {
    endpoints.srcAddr = ipv6ToString(nb, no + 8);
    endpoints.dstAddr = ipv6ToString(nb, no + 24);
  } else return false;
  endpoints.transport = transportOf(p);
  endpoints.srcPort = u16(tb, to);
  endpoints.dstPort = u16(tb, to + 2);
  endpoints.src = endpointText(endpoints.srcAddr, endpoints.srcPort);
  endpoints.dst = endpointText(endpoints.dstAddr, endpoints.dstPort);
  return true;
}

/**
 * The application state of the packet's conversation, created on first use; undefined when the
 * packet has no IP/transport layers to key it by. Also fills `endpoints`.
 * This is the one lookup to swap for the flow engine's `conn.appState`.
 */
export function conversationOf(p: Packet): AppConversationState | undefined {
  if (!packetEndpoints(p)) return undefined;
  const transport = transportOf(p);
  const a = endpoints.src;
  const b = endpoints.dst;
  const key = a < b ? `${transport} ${a} ${b}` : `${transport} ${b} ${a}`;
  const t = tableOf(p.state);
  let st = t.map.get(key);
  if (!st) {
    st = { key, pinned: STOP, protocol: undefined, summary: undefined, summaryLevel: -1, server: undefined, data: undefined, lastFrame: 0, lastLayer: -1 };
    t.map.set(key, st);
    if (t.map.size > MAX_CONVERSATIONS) {
      const oldest = t.map.keys().next();
      if (!oldest.done) t.map.delete(oldest.value);
    }
  }
  return st;
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

/** Sets the summary unless a more important one (e.g. an error) is already there. */
export function setSummary(st: AppConversationState, protocol: string, level: number, text: string): void {
  if (level < st.summaryLevel) return;
  st.protocol = protocol;
  st.summaryLevel = level;
  st.summary = `${protocol}: ${text}`;
}

/**
 * The one-line application summary of a conversation (`oracle: REDIRECT to 172.31.2.11:1521`),
 * or undefined. `state` picks the decoder (default: the one used last).
 */
export function appSummary(key: string, state?: DecodeState): string | undefined {
  const t = state ? tables.get(state) : lastTable;
  return t?.map.get(key)?.summary;
}

/** Every conversation with application state, for `wiresage conv` and the diagnosis. */
export function appStates(state?: DecodeState): IterableIterator<AppConversationState> {
  const t = state ? tables.get(state) : lastTable;
  return (t ?? new StateTable()).map.values();
}

/** Forgets every conversation of a decoder (tests, a new capture in the same decoder). */
export function clearAppStates(state?: DecodeState): void {
  const t = state ? tables.get(state) : lastTable;
  t?.map.clear();
}

// Conversation pinning for the heuristics (src/decode/dissector.ts).
conversationPins.pinned = (p) => {
  const st = conversationOf(p);
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
  // eslint-disable-next-line no-control-regex
  const clean = s.replace(/[\x00-\x1f\x7f]/g, ' ').trim();
  return clean.length > max ? `${clean.slice(0, max - 1)}…` : clean;
}
