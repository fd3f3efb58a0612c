/**
 * Whole-capture analyses of the web UI, each built on the module that computes it for the CLI
 * (conversations and follow on the flow engine, expert info on its tally, findings on the
 * doctor) so the UI and the commands agree; results are cached per capture by the caller.
 */
import { macToString } from '../decode/bytes.js';
import { Decoder } from '../decode/decoder.js';
import { dissectorById } from '../decode/dissector.js';
import { openCapture } from '../file/open.js';
import { fileSink, PcapngWriter } from '../file/writer.js';
import { FlowEngine } from '../flows/index.js';
import { TcpFollow } from '../flows/follow.js';
import { ExpertTally } from '../flows/expert.js';
import { FlowPacket, fromDecoded, Walk } from '../flows/headers.js';
import { collectAddressPairs, collectConversations, type ConvRow } from '../cli/conv.js';
import { collectFacts, diagnoseAll, toJson, type CaptureFacts } from '../diagnosis/index.js';
import { A_FAST_RETRANSMISSION, A_RETRANSMISSION, A_SPURIOUS_RETRANSMISSION } from '../flows/tcp-analysis.js';
import type { Capture } from './capture.js';
import { addressColumns } from './columns.js';

/** Conversation types of the Conversations/Endpoints dialogs. */
export const convTypes = ['eth', 'ip', 'ipv6', 'tcp', 'udp'] as const;
export type ConvType = (typeof convTypes)[number];

export interface ConvJson {
  a: string;
  portA?: number;
  b: string;
  portB?: number;
  stream?: number;
  framesAB: number;
  bytesAB: number;
  framesBA: number;
  bytesBA: number;
  /** Seconds since the first frame, and length in seconds. */
  start: number;
  duration: number;
  state?: string;
  history?: string;
  app?: string;
}

function splitEndpoint(name: string): { addr: string; port: number } {
  const i = name.lastIndexOf(':');
  return { addr: name.slice(0, i), port: Number(name.slice(i + 1)) };
}

function convJson(r: ConvRow, ports: boolean, app?: string): ConvJson {
  const a = ports ? splitEndpoint(r.aName) : { addr: r.aName, port: 0 };
  const b = ports ? splitEndpoint(r.bName) : { addr: r.bName, port: 0 };
  const row: ConvJson = {
    a: a.addr, b: b.addr,
    framesAB: r.txFrames, bytesAB: r.txBytes, framesBA: r.rxFrames, bytesBA: r.rxBytes,
    start: r.startRelNs / 1e9, duration: (r.endRelNs - r.startRelNs) / 1e9,
  };
  if (ports) {
    row.portA = a.port;
    row.portB = b.port;
    row.stream = r.stream;
  }
  if (r.summary) {
    row.state = r.summary.connState;
    row.history = r.summary.history;
  }
  if (app) row.app = app;
  return row;
}

/** The doctor's facts for a capture (shared by findings and the conversations' app column). */
export function facts(c: Capture): Promise<CaptureFacts> {
  return c.cached('facts', (path) => collectFacts(path));
}

/** Ethernet address pairs (tshark's conv,eth). */
async function ethPairs(path: string): Promise<ConvRow[]> {
  const rows = new Map<string, ConvRow>();
  let first: [number, number] | null = null;
  const reader = await openCapture(path);
  try {
    await reader.forEach((r) => {
      first ??= [r.tsSec, r.tsNsec];
      if (r.iface.linkType !== 1 || r.data.length < 14) return;
      const rel = (r.tsSec - first[0]) * 1e9 + (r.tsNsec - first[1]);
      const dst = macToString(r.data, 0);
      const src = macToString(r.data, 6);
      const key = src < dst ? `${src} ${dst}` : `${dst} ${src}`;
      let row = rows.get(key);
      if (!row) {
        row = { stream: rows.size, aName: src, bName: dst, rxFrames: 0, rxBytes: 0, txFrames: 0, txBytes: 0, startRelNs: rel, endRelNs: rel, summary: null };
        rows.set(key, row);
      }
      if (row.aName === src) {
        row.txFrames++;
        row.txBytes += r.origLen;
      } else {
        row.rxFrames++;
        row.rxBytes += r.origLen;
      }
      row.endRelNs = Math.max(row.endRelNs, rel);
    });
  } finally {
    reader.close();
  }
  return [...rows.values()];
}

async function convRows(c: Capture, type: ConvType): Promise<ConvRow[]> {
  switch (type) {
    case 'tcp':
    case 'udp':
      return c.cached(`conv-${type}`, (path) => collectConversations(path, type, true));
    case 'ip':
    case 'ipv6': {
      const pairs = await c.cached('conv-ip', (path) => collectAddressPairs(path));
      return type === 'ip' ? pairs.v4 : pairs.v6;
    }
    case 'eth':
      return c.cached('conv-eth', ethPairs);
  }
}

/** Rows in tshark's order (total frames descending, then creation order). */
function byFrames(rows: ConvRow[]): ConvRow[] {
  return rows.filter((r) => r.rxFrames + r.txFrames > 0).sort((a, b) => b.rxFrames + b.txFrames - (a.rxFrames + a.txFrames) || a.stream - b.stream);
}

export async function conversations(c: Capture, type: ConvType): Promise<{ type: ConvType; rows: ConvJson[] }> {
  const rows = byFrames(await convRows(c, type));
  const ports = type === 'tcp' || type === 'udp';
  let app: Map<number, string> | undefined;
  if (ports) {
    // The application summary of each connection, as `doctor` tells it (its last state).
    const f = await facts(c);
    app = new Map();
    for (const conn of f.conns) if (conn.proto === type && conn.app.length) app.set(conn.stream, conn.app[conn.app.length - 1].text);
  }
  return { type, rows: rows.map((r) => convJson(r, ports, app?.get(r.stream))) };
}

export interface EndpointJson {
  address: string;
  port?: number;
  frames: number;
  bytes: number;
  txFrames: number;
  txBytes: number;
  rxFrames: number;
  rxBytes: number;
}

/** Endpoints (tshark's -z endpoints) summed from the conversation rows. */
export async function endpoints(c: Capture, type: ConvType): Promise<{ type: ConvType; rows: EndpointJson[] }> {
  const ports = type === 'tcp' || type === 'udp';
  const map = new Map<string, EndpointJson>();
  const add = (name: string, txF: number, txB: number, rxF: number, rxB: number) => {
    let e = map.get(name);
    if (!e) {
      const ep = ports ? splitEndpoint(name) : { addr: name, port: 0 };
      e = { address: ep.addr, ...(ports ? { port: ep.port } : {}), frames: 0, bytes: 0, txFrames: 0, txBytes: 0, rxFrames: 0, rxBytes: 0 };
      map.set(name, e);
    }
    e.txFrames += txF;
    e.txBytes += txB;
    e.rxFrames += rxF;
    e.rxBytes += rxB;
    e.frames += txF + rxF;
    e.bytes += txB + rxB;
  };
  for (const r of await convRows(c, type)) {
    add(r.aName, r.txFrames, r.txBytes, r.rxFrames, r.rxBytes);
    add(r.bName, r.rxFrames, r.rxBytes, r.txFrames, r.txBytes);
  }
  return { type, rows: [...map.values()].sort((a, b) => b.frames - a.frames) };
}

/** Expert information grouped as tshark's -z expert (first frames of each kind kept). */
export function expert(c: Capture): Promise<{ items: object[] }> {
  return c.cached('expert', async (path) => {
    const tally = new ExpertTally(200);
    const engine = new FlowEngine({ experts: tally });
    const reader = await openCapture(path);
    try {
      await reader.forEach((r) => engine.record(r));
    } finally {
      reader.close();
    }
    engine.finish();
    return {
      items: tally.rows().map((r) => ({ severity: r.severity, group: r.group, protocol: r.protocol, summary: r.summary, field: r.field, count: r.count, frames: r.frames })),
    };
  });
}

/** The doctor's findings and stories, as `wiresage doctor --json FILE`. */
export async function findings(c: Capture): Promise<object> {
  const f = await facts(c);
  // The path of a snapshot or private copy means nothing to the user: the capture's name is shown.
  const { findings: list, stories } = diagnoseAll([f]);
  return JSON.parse(JSON.stringify(toJson(list, [f], 'en', stories)).split(JSON.stringify(f.file).slice(1, -1)).join(JSON.stringify(c.name).slice(1, -1)));
}

export interface HierarchyNode {
  protocol: string;
  name: string;
  frames: number;
  bytes: number;
  children: HierarchyNode[];
}

/** Protocol hierarchy statistics (tshark -z io,phs): every frame counted under its protocol path. */
export function hierarchy(c: Capture): Promise<{ tree: HierarchyNode[] }> {
  return c.cached('hierarchy', async (path) => {
    const root: HierarchyNode = { protocol: '', name: '', frames: 0, bytes: 0, children: [] };
    const decoder = new Decoder();
    const engine = new FlowEngine();
    engine.attach(decoder);
    const reader = await openCapture(path);
    try {
      await reader.forEach((r) => {
        const p = decoder.decode(r);
        engine.packet(p);
        let node = root;
        for (let i = 1; i < p.layers; i++) {
          const d = dissectorById(p.proto[i]);
          const name = d.protocol.name;
          let child = node.children.find((n) => n.protocol === name);
          if (!child) {
            child = { protocol: name, name: d.protocol.display, frames: 0, bytes: 0, children: [] };
            node.children.push(child);
          }
          child.frames++;
          child.bytes += p.origLen;
          node = child;
        }
      });
    } finally {
      reader.close();
    }
    return { tree: root.children };
  });
}

/** Packets, bytes and retransmissions per interval, from the index (no file pass). */
export function ioGraph(c: Capture, interval: number): { start: string | null; interval: number; series: Array<{ name: string; values: number[] }> } {
  const idx = c.index;
  const n = idx.count;
  if (!n) return { start: null, interval, series: [{ name: 'packets', values: [] }, { name: 'bytes', values: [] }, { name: 'retransmissions', values: [] }] };
  let last = 0;
  for (let i = 0; i < n; i++) last = Math.max(last, Math.floor((idx.tsSec[i] - idx.tsSec[0] + (idx.tsNsec[i] - idx.tsNsec[0]) / 1e9) / interval));
  const bins = Math.min(last + 1, 100_000);
  const packets = new Array<number>(bins).fill(0);
  const bytes = new Array<number>(bins).fill(0);
  const retrans = new Array<number>(bins).fill(0);
  const R = A_RETRANSMISSION | A_FAST_RETRANSMISSION | A_SPURIOUS_RETRANSMISSION;
  for (let i = 0; i < n; i++) {
    const b = Math.floor((idx.tsSec[i] - idx.tsSec[0] + (idx.tsNsec[i] - idx.tsNsec[0]) / 1e9) / interval);
    if (b < 0 || b >= bins) continue;
    packets[b]++;
    bytes[b] += idx.origLen[i];
    if (idx.analysis[i] & R) retrans[b]++;
  }
  return { start: idx.timeText(0), interval, series: [{ name: 'packets', values: packets }, { name: 'bytes', values: bytes }, { name: 'retransmissions', values: retrans }] };
}

export interface FollowJson {
  proto: 'tcp' | 'udp';
  stream: number;
  client: { addr: string; port: number } | null;
  server: { addr: string; port: number } | null;
  chunks: Array<{ dir: 0 | 1; frame: number; base64?: string; missing?: number }>;
  bytes: [number, number];
}

function endpointOf(text: string | null): { addr: string; port: number } | null {
  if (!text) return null;
  const m = /^\[?(.*?)\]?:(\d+)$/.exec(text);
  return m ? { addr: m[1], port: Number(m[2]) } : null;
}

/** Follow TCP stream N (the CLI's `follow --format json`) or UDP stream N (datagram payloads). */
export async function follow(c: Capture, proto: 'tcp' | 'udp', stream: number): Promise<FollowJson> {
  if (proto === 'tcp') {
    return c.cached(`follow-tcp-${stream}`, async (path) => {
      let text = '';
      const f = new TcpFollow({ stream }, 'json', (t) => { text += t; });
      const engine = new FlowEngine({ onTcpSegment: f.segment });
      const reader = await openCapture(path);
      try {
        await reader.forEach((r) => engine.record(r));
      } finally {
        reader.close();
      }
      f.finish();
      const j = JSON.parse(text) as { node0: string | null; node1: string | null; bytes: [number, number]; records: Array<{ dir: 0 | 1; frame: number; bytes?: string; missing?: number }> };
      return {
        proto, stream,
        client: endpointOf(j.node0), server: endpointOf(j.node1),
        chunks: j.records.filter((r) => r.bytes !== undefined || r.missing !== undefined).map((r) => ({ dir: r.dir, frame: r.frame, ...(r.bytes !== undefined ? { base64: r.bytes } : { missing: r.missing }) })),
        bytes: j.bytes,
      };
    });
  }
  // UDP: each datagram's payload, in frame order; node 0 sends the first one.
  await c.indexed;
  const idx = c.index;
  const code = -(stream + 2);
  const numbers: number[] = [];
  for (let i = 0; i < idx.count; i++) if (idx.stream[i] === code) numbers.push(i + 1);
  const chunks: FollowJson['chunks'] = [];
  const bytes: [number, number] = [0, 0];
  let client: FollowJson['client'] = null;
  let server: FollowJson['server'] = null;
  const fp = new FlowPacket();
  c.decodeFrames(numbers, (p) => {
    if (fromDecoded(fp, p) !== Walk.Found || fp.proto !== 17) return;
    const b = fp.buf;
    const o = fp.off;
    if (b.length < o + 8) return;
    const sport = (b[o] << 8) | b[o + 1];
    const dport = (b[o + 2] << 8) | b[o + 3];
    const { src, dst } = addressColumns(p);
    if (!client) {
      client = { addr: src, port: sport };
      server = { addr: dst, port: dport };
    }
    const dir: 0 | 1 = src === client.addr && sport === client.port ? 0 : 1;
    const end = Math.min(b.length, o + Math.max(8, (b[o + 4] << 8) | b[o + 5]));
    const payload = b.subarray(o + 8, end);
    bytes[dir] += payload.length;
    chunks.push({ dir, frame: p.number, base64: Buffer.from(payload).toString('base64') });
  });
  return { proto, stream, client, server, chunks, bytes };
}

/** Writes the capture as pcapng to `out` (every record, interfaces and comments kept). */
export async function writePcapng(path: string, out: string): Promise<void> {
  const sink = fileSink(out);
  const writer = new PcapngWriter(sink, { application: 'wiresage ui' });
  const reader = await openCapture(path);
  try {
    await reader.forEach((r) => writer.writeRecord(r));
  } finally {
    reader.close();
    sink.close();
  }
}
