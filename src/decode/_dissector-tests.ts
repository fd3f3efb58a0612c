/**
 * Test kit shared by the tests of the link, IPv6, ICMP/ICMPv6 and ARP dissectors: byte
 * fixtures from `tcpdump -XX` dumps, decoding to field texts, every-length cuts and seeded
 * mutations that must never throw, and comparison with tshark on the same bytes (fixtures cut
 * at every length, and records of the shared tcpdump corpus).
 *
 * @example
 * const frame = fromDump(`
 *   0x0000:  ffff ffff ffff 5254 0012 3456 0806 0001  ......RT..4V....
 * `);
 * const [fields] = decodeFields([{ linkType: 1, data: frame }], ['arp.opcode']);
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lookupField, type FieldDef } from '../fields/field.js';
import { fieldText } from '../fields/format.js';
import { FieldSink, TreeSink } from '../fields/sink.js';
import { openCapture } from '../file/open.js';
import type { CaptureRecord } from '../file/types.js';
import { corpusDir, tsharkFields } from '../testing/tshark.js';
import { Decoder, dissectTree } from './decoder.js';
import { allDissectors, dissectorByName } from './dissector.js';
import type { Packet } from './packet.js';

/** One captured frame: link type, bytes, wire length (default: the bytes), timestamp. */
export interface Frame {
  linkType: number;
  data: Uint8Array;
  origLen?: number;
  tsSec?: number;
  tsUsec?: number;
}

/**
 * The bytes of a `tcpdump -XX` (or `-X`) dump: each `0x0010:  4500 0054 …  ascii` line gives
 * up to 16 bytes in groups of 4 hex digits; the ASCII column is ignored.
 */
export function fromDump(text: string): Uint8Array {
  const out: number[] = [];
  for (const line of text.split('\n')) {
    const m = /^\s*0x[0-9a-f]+:\s+((?:[0-9a-f]{2,4} ?)+)/i.exec(line);
    if (!m) continue;
    const hex = m[1].slice(0, 39).replace(/\s+/g, '');
    for (let i = 0; i + 1 < hex.length; i += 2) out.push(parseInt(hex.slice(i, i + 2), 16));
  }
  return new Uint8Array(out);
}

export function record(f: Frame): CaptureRecord {
  return {
    iface: { id: 0, linkType: f.linkType, snapLen: 0, tsResolution: 1e6, tsOffset: 0, comments: [] },
    tsSec: f.tsSec ?? 1700000000,
    tsNsec: (f.tsUsec ?? 0) * 1000,
    capLen: f.data.length,
    origLen: f.origLen ?? f.data.length,
    data: f.data,
    comments: [],
    offset: 0,
  };
}

function fieldDefs(names: readonly string[]): FieldDef[] {
  return names.map((n) => {
    const f = lookupField(n);
    assert.ok(f, `field ${n} is registered`);
    return f;
  });
}

function protocolId(name: string): number | undefined {
  return dissectorByName(name)?.id;
}

/** Text values (as tshark's `-T fields` prints them) of `p`'s fields, one array per name. */
export function fieldsOfPacket(p: Packet, sink: FieldSink): string[][] {
  sink.reset();
  sink.needProtocol(0);
  dissectTree(p, sink);
  sink.finish();
  return sink.fields.map((f, i) => sink.values[i].map((v) => fieldText(f, v)));
}

/** Decodes frames in order with one Decoder (reassembly sees them all) and returns their field texts. */
export function decodeFields(frames: readonly Frame[], names: readonly string[]): string[][][] {
  const decoder = new Decoder();
  const sink = new FieldSink(fieldDefs(names), protocolId);
  return frames.map((f) => fieldsOfPacket(decoder.decode(record(f)), sink));
}

/** For each frame (decoded in order with one decoder): the protocol of the layer found truncated by the snaplen, or null. */
function truncatedFlags(frames: readonly Frame[]): Array<string | null> {
  const decoder = new Decoder();
  return frames.map((f) => {
    const p = decoder.decode(record(f));
    return p.truncated && p.problemLayer >= 0 ? allDissectors()[p.proto[p.problemLayer]].protocol.name : null;
  });
}

/** For each frame: the protocol of the layer found malformed, or null. */
function malformedFlags(frames: readonly Frame[]): Array<string | null> {
  const decoder = new Decoder();
  return frames.map((f) => {
    const p = decoder.decode(record(f));
    return p.malformed !== null && p.problemLayer >= 0 ? allDissectors()[p.proto[p.problemLayer]].protocol.name : null;
  });
}

/** The dissectors these tests cover, and tshark's names for them in "X truncated". */
const ownProtocols = new Set(['ipv6', 'icmp', 'icmpv6', 'arp', 'sll', 'null', 'raw']);
const ownLabels = new Set(['IPv6', 'IPv6 Hop-by-Hop', 'IPv6 Routing', 'IPv6 Fragment', 'IPv6 Destination', 'ICMP', 'ICMPv6', 'ARP/RARP', 'SLL', 'Null', 'Raw']);

/** Decodes one frame (fresh decoder) and returns the packet, for flag and layer checks. */
export function decodeOne(f: Frame): Packet {
  return new Decoder().decode(record(f));
}

/** Names of the protocols of a decoded packet's layers, `frame` excluded. */
export function layerNames(p: Packet): string[] {
  const names: string[] = [];
  for (let i = 1; i < p.layers; i++) names.push(allDissectors()[p.proto[i]].protocol.name);
  return names;
}

const linkToTransport = new Set(['eth', 'vlan', 'sll', 'null', 'raw', 'ip', 'ipv6', 'icmp', 'icmpv6', 'arp', 'tcp', 'udp']);

/** Where the last link-to-transport header of a decoded packet ends in the captured bytes (application layers aside). */
export function endOfHeaders(p: Packet): number {
  let end = 0;
  for (let i = 1; i < p.layers; i++) {
    if (p.bufIndex[i] === 0 && linkToTransport.has(allDissectors()[p.proto[i]].protocol.name)) end = Math.max(end, p.end[i]);
  }
  return end;
}

/** The packet's malformed reason when a link-to-transport layer found it (application layers aside), else null. */
export function lowerMalformed(p: Packet): string | null {
  if (p.malformed === null || p.problemLayer < 0) return p.malformed;
  return linkToTransport.has(allDissectors()[p.proto[p.problemLayer]].protocol.name) ? p.malformed : null;
}

/** The full tree and the field texts of a frame, asserting that no dissector failed on it. */
export function exercise(decoder: Decoder, f: Frame, names: readonly string[], what: string): Packet {
  const p = decoder.decode(record(f));
  assert.ok(!p.malformed?.startsWith('dissector bug'), `${what}: ${p.malformed}`);
  const tree = new TreeSink();
  dissectTree(p, tree);
  const sink = new FieldSink(fieldDefs(names), protocolId);
  fieldsOfPacket(p, sink);
  for (let i = 0; i < p.layers; i++) allDissectors()[p.proto[i]].summary?.(p, i);
  assert.ok(!p.malformed?.startsWith('dissector bug'), `${what}: ${p.malformed}`);
  return p;
}

/**
 * Every cut of a frame, as a snaplen makes it (captured n bytes of a longer wire frame) and as
 * a lying length makes it (the wire frame itself ends at n). `check` sees each decoded packet.
 */
export function everyCut(f: Frame, names: readonly string[], check?: (p: Packet, n: number, snaplen: boolean) => void): void {
  const decoder = new Decoder();
  for (let n = 0; n <= f.data.length; n++) {
    const data = f.data.slice(0, n);
    const cut = exercise(decoder, { ...f, data, origLen: f.origLen ?? f.data.length }, names, `cut at ${n}`);
    check?.(cut, n, true);
    const lie = exercise(decoder, { ...f, data, origLen: n }, names, `lying length ${n}`);
    check?.(lie, n, false);
  }
}

/** Small deterministic PRNG (mulberry32). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * `count` random mutations of a frame (byte values, mostly in the first 80 bytes where the
 * headers are, some cut short): decoding, the tree and the field texts must never throw.
 */
export function mutate(f: Frame, names: readonly string[], seed: number, count: number): void {
  const rand = prng(seed);
  const decoder = new Decoder();
  for (let i = 0; i < count; i++) {
    const data = f.data.slice();
    const flips = 1 + Math.floor(rand() * 4);
    for (let j = 0; j < flips && data.length; j++) {
      const at = Math.floor(rand() * Math.min(data.length, rand() < 0.8 ? 80 : data.length));
      data[at] = rand() < 0.3 ? [0, 0xff, 1, 0x80][Math.floor(rand() * 4)] : Math.floor(rand() * 256);
    }
    const length = rand() < 0.2 ? Math.floor(rand() * data.length) : data.length;
    exercise(decoder, { ...f, data: data.subarray(0, length), origLen: rand() < 0.5 ? length : data.length }, names, `mutation ${i} (seed ${seed})`);
  }
}

/** Writes a classic little-endian microsecond pcap file of frames of one link type. */
export function writePcap(path: string, linkType: number, frames: readonly Frame[]): void {
  let size = 24;
  for (const f of frames) size += 16 + f.data.length;
  const out = Buffer.alloc(size);
  out.writeUInt32LE(0xa1b2c3d4, 0);
  out.writeUInt16LE(2, 4);
  out.writeUInt16LE(4, 6);
  out.writeUInt32LE(262144, 16);
  out.writeUInt32LE(linkType, 20);
  let at = 24;
  for (const f of frames) {
    out.writeUInt32LE(f.tsSec ?? 1700000000, at);
    out.writeUInt32LE(f.tsUsec ?? 0, at + 4);
    out.writeUInt32LE(f.data.length, at + 8);
    out.writeUInt32LE(f.origLen ?? f.data.length, at + 12);
    out.set(f.data, at + 16);
    at += 16 + f.data.length;
  }
  writeFileSync(path, out);
}

/** Each frame cut at every length, as a snaplen would cut it and as a lying length would. */
export function cutsOf(frames: readonly Frame[]): Frame[] {
  const out: Frame[] = [];
  for (const f of frames) {
    for (let n = 0; n <= f.data.length; n++) {
      out.push({ ...f, data: f.data.subarray(0, n), origLen: f.origLen ?? f.data.length });
      out.push({ ...f, data: f.data.subarray(0, n), origLen: n });
    }
  }
  return out;
}

/** Records of corpus files (those that exist), in file order, with their timestamps. */
export async function corpusFrames(files: readonly string[]): Promise<Frame[]> {
  const out: Frame[] = [];
  let present: Set<string>;
  try {
    present = new Set(readdirSync(corpusDir));
  } catch {
    return out;
  }
  for (const name of files) {
    if (!present.has(name)) continue;
    try {
      const reader = await openCapture(join(corpusDir, name));
      await reader.forEach((r) => {
        out.push({ linkType: r.iface.linkType, data: r.data.slice(), origLen: r.origLen, tsSec: r.tsSec, tsUsec: Math.floor(r.tsNsec / 1000) });
      }).catch(() => undefined);
      reader.close();
    } catch {
      // unreadable corpus files are the file readers' tests' business
    }
  }
  return out;
}

/** tshark protocol steps that are not layers (see the differential suite). */
const transparent = new Set(['ethertype']);
/** tshark layers that wiresage decodes inside another one. */
const within: Record<string, string> = { 'ipv6.hopopts': 'ipv6', 'ipv6.routing': 'ipv6', 'ipv6.fraghdr': 'ipv6', 'ipv6.dstopts': 'ipv6' };
/** Fields a layer of another protocol adds (IPv6 adds the hidden ip.version; ICMPv6 the ICMP extension objects). */
const addedBy: Record<string, string[]> = { ip: ['ip', 'ipv6'], icmp: ['icmp', 'icmpv6'] };

/**
 * Whether tshark's value of `field` can be compared on a packet with protocol chain `chain`:
 * not when the field's layer lies at or after the first protocol wiresage does not dissect.
 */
function comparable(field: string, chain: readonly string[], dissected: ReadonlySet<string>): boolean {
  const proto = field.split('.')[0];
  const cut = chain.findIndex((c) => !dissected.has(within[c] ?? c) && !transparent.has(c));
  if (cut < 0) return true;
  const owners = addedBy[proto] ?? [proto];
  return !chain.slice(cut).some((c) => owners.includes(within[c] ?? c));
}

export interface Mismatch {
  frame: number;
  field: string;
  ours: string;
  tshark: string;
  protocols: string;
}

/**
 * Writes `frames` (one link type) to a pcap, reads it with tshark and with wiresage, and
 * returns every field whose text differs on packets tshark does not mark malformed, leaving
 * out fields of layers wiresage does not dissect. `skip(frameIndex, tsharkRow)` drops frames.
 */
export function compareWithTshark(
  frames: readonly Frame[], names: readonly string[],
  skip?: (values: Record<string, string>) => boolean,
): { compared: number; mismatches: Mismatch[] } {
  const dir = mkdtempSync(join(tmpdir(), 'wiresage-dissector-'));
  try {
    const byLink = new Map<number, Frame[]>();
    for (const f of frames) {
      const list = byLink.get(f.linkType) ?? [];
      list.push(f);
      byLink.set(f.linkType, list);
    }
    const dissected = new Set(allDissectors().map((d) => d.protocol.name));
    const mismatches: Mismatch[] = [];
    let compared = 0;
    for (const [linkType, list] of byLink) {
      const file = join(dir, `lt${linkType}.pcap`);
      writePcap(file, linkType, list);
      const context = ['frame.protocols', '_ws.malformed', '_ws.short'];
      const rows = tsharkFields(file, [...context, ...names]);
      assert.equal(rows.length, list.length, `tshark read ${rows.length} of ${list.length} frames of link type ${linkType}`);
      const ours = decodeFields(list, names);
      const truncated = truncatedFlags(list);
      const malformed = malformedFlags(list);
      rows.forEach((row, i) => {
        // "Malformed Packet" found by one of the dissectors under test, on both sides.
        const damaged = /Malformed Packet: (.+?)\]/.exec(row[1])?.[1];
        if ((damaged !== undefined && ownLabels.has(damaged) && malformed[i] === null) || (malformed[i] !== null && ownProtocols.has(malformed[i]!) && !row[1])) {
          mismatches.push({ frame: i + 1, field: '_ws.malformed', ours: malformed[i] ?? '', tshark: row[1], protocols: row[0] });
        }
        if (row[1]) return; // the values of a malformed packet are not compared
        // "Packet size limited during capture" found by one of the dissectors under test, on both sides.
        // (Which layer tshark names may differ: an exception in a quoted packet is named after its IP.)
        const label = /limited during capture: (.+) truncated/.exec(row[2])?.[1];
        const theirs = label !== undefined && ownLabels.has(label);
        const mine = truncated[i] !== null && ownProtocols.has(truncated[i]!);
        if ((theirs && truncated[i] === null) || (mine && row[2] === '')) mismatches.push({ frame: i + 1, field: '_ws.short', ours: truncated[i] ?? '', tshark: row[2], protocols: row[0] });
        const values: Record<string, string> = {};
        names.forEach((n, j) => (values[n] = row[context.length + j] ?? ''));
        values['frame.protocols'] = row[0];
        if (skip?.(values)) return;
        compared++;
        const chain = row[0].split(':');
        names.forEach((n, j) => {
          const mine = ours[i][j].join(',');
          const theirs = row[context.length + j] ?? '';
          if (mine !== theirs && comparable(n, chain, dissected)) {
            mismatches.push({ frame: i + 1, field: n, ours: mine, tshark: theirs, protocols: row[0] });
          }
        });
      });
    }
    return { compared, mismatches };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A readable report of the first mismatches, for assertion messages. */
export function describe(mismatches: readonly Mismatch[], max = 12): string {
  return mismatches.slice(0, max).map((m) => `frame ${m.frame} ${m.field}: ours '${m.ours}' tshark '${m.tshark}' (${m.protocols})`).join('\n');
}
