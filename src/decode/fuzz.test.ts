/**
 * Robustness of the whole decode path: every sample packet cut at every length (as a
 * snaplen would, and as a lying length would) and mutated at random (seeded, bounded), then
 * decoded, dissected into a full tree, summarised and rendered. Nothing may throw, hang, or
 * reach a dissector's catch-all ("dissector bug").
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { packetJson } from '../cli/json.js';
import { packetLine } from '../cli/line.js';
import { treeText } from '../cli/tree-text.js';
import { TreeSink } from '../fields/sink.js';
import { openCapture } from '../file/open.js';
import type { CaptureRecord, InterfaceDescription } from '../file/types.js';
import { corpusDir, repoRoot } from '../testing/tshark.js';
import { Decoder, dissectTree } from './decoder.js';

interface Sample {
  linkType: number;
  data: Uint8Array;
}

async function samples(file: string, max: number): Promise<Sample[]> {
  const out: Sample[] = [];
  try {
    const r = await openCapture(file);
    await r.forEach((rec) => {
      out.push({ linkType: rec.iface.linkType, data: rec.data.slice() });
      return out.length < max;
    }).catch(() => undefined);
    r.close();
  } catch {
    // unreadable corpus files are the file readers' tests' business
  }
  return out;
}

function record(s: Sample, data: Uint8Array, origLen: number): CaptureRecord {
  const iface: InterfaceDescription = { id: 0, linkType: s.linkType, snapLen: 0, tsResolution: 1e6, tsOffset: 0, comments: [] };
  return { iface, tsSec: 1, tsNsec: 0, capLen: data.length, origLen, data, comments: [], offset: 0 };
}

function exercise(decoder: Decoder, rec: CaptureRecord, what: string): void {
  const p = decoder.decode(rec);
  const t = new TreeSink();
  dissectTree(p, t);
  packetLine(p);
  treeText(t.roots);
  JSON.stringify(packetJson(t.roots));
  assert.ok(!p.malformed?.startsWith('dissector bug'), `${what}: ${p.malformed}`);
}

/** Small deterministic PRNG (mulberry32). */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function allSamples(): Promise<Sample[]> {
  const list = await samples(join(repoRoot, 'examples/web-and-dns.pcap'), 40);
  // A spread of link types and protocols from tcpdump's corpus.
  let files: string[] = [];
  try {
    files = readdirSync(corpusDir).filter((f) => /\.(pcap|pcapng)$/.test(f)).sort();
  } catch {
    files = [];
  }
  for (let i = 0; i < files.length; i += 7) list.push(...(await samples(join(corpusDir, files[i]), 3)));
  // Every length of a jumbo packet would be quadratic: keep the first 1600 bytes of each.
  return list.map((s) => ({ linkType: s.linkType, data: s.data.subarray(0, 1600) }));
}

test('every sample cut at every header length decodes without exception', async () => {
  const decoder = new Decoder();
  const list = await allSamples();
  assert.ok(list.length > 100, `only ${list.length} samples`);
  let runs = 0;
  for (const [i, s] of list.entries()) {
    // Every length through the headers (the first 160 bytes), then every 7th through the payload.
    for (let cut = 0; cut <= s.data.length; cut += cut < 160 ? 1 : 7) {
      const part = s.data.subarray(0, cut);
      exercise(decoder, record(s, part, s.data.length), `sample ${i} cut ${cut} (snaplen)`);
      exercise(decoder, record(s, part, cut), `sample ${i} cut ${cut} (short)`);
      runs += 2;
    }
  }
  assert.ok(runs > 10000);
});

test('random mutations decode without exception', async () => {
  const decoder = new Decoder();
  const list = await allSamples();
  const rand = prng(0x5eed);
  for (const [i, s] of list.entries()) {
    for (let m = 0; m < 60; m++) {
      const data = s.data.slice();
      const flips = 1 + Math.floor(rand() * 4);
      for (let k = 0; k < flips && data.length; k++) data[Math.floor(rand() * data.length)] = Math.floor(rand() * 256);
      exercise(decoder, record(s, data, data.length), `sample ${i} mutation ${m}`);
    }
  }
});
