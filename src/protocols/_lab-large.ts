/**
 * Helpers for the reassembly lab (reassembly-lab.test.ts): real servers send application PDUs
 * larger than one TCP segment (a small MTU on the lab's link makes them span many), and each
 * capture is compared with tshark frame by frame — the reassembly fields, the packet-list
 * columns, the protocol's own fields — and by its expert table (`wiresage expert --tshark`
 * against `tshark -q -z expert`).
 *
 * `WIRESAGE_LAB_KEEP=DIR` copies every capture made there, to study a difference afterwards.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { tsharkText, wiresage } from '../testing/tshark.js';
import { compareWithTshark, type Comparison, type Mismatch } from './_compare.js';
import type { Lab } from './_lab.js';

/** The reassembly fields and packet-list columns compared on every lab capture. */
export const reassemblyFields = [
  'frame.protocols', '_ws.col.Protocol', '_ws.col.Info', 'tcp.reassembled_in', 'tcp.segment.count', 'tcp.reassembled.length',
];

/** Sets the MTU of both ends of the lab's link (PDUs then span more, smaller segments). */
export function setMtu(lab: Lab, mtu: number): void {
  for (const ns of [lab.clientNs, lab.serverNs]) {
    const r = spawnSync('ip', ['-n', ns, 'link', 'set', 'eth0', 'mtu', String(mtu)], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`Cannot set MTU ${mtu} in ${ns}: ${r.stderr}`);
  }
}

const hasTaskset = spawnSync('sh', ['-c', 'command -v taskset'], { stdio: 'ignore' }).status === 0;

/**
 * `cmd args` run on CPU 0 (`taskset -c 0`) when taskset is there. A veth hands a segment to
 * the backlog of the CPU that sent it: a sender that moves between CPUs mid-stream makes the
 * capture (and the receiver) see segments out of order, which changes what both tools
 * reassemble. Pinning both ends keeps the lab's streams in order; a disorder that still
 * happens is told apart by `wireDisorder`.
 */
export function pinned(cmd: string, args: string[]): [string, string[]] {
  return hasTaskset ? ['taskset', ['-c', '0', cmd, ...args]] : [cmd, args];
}

/**
 * Frames of the TCP streams where tshark saw the wire out of order (out-of-order, retransmitted
 * or lost segments): desegment.ts follows tshark's fragment rules for those only in part
 * (see desegment.test.ts), so their differences are counted apart, not required to be none.
 */
export function wireDisorder(file: string): Set<number> {
  const out = tsharkText(['-n', '-r', file, '-T', 'fields', '-e', 'tcp.stream', '-e', 'tcp.analysis.out_of_order', '-e', 'tcp.analysis.retransmission',
    '-e', 'tcp.analysis.fast_retransmission', '-e', 'tcp.analysis.lost_segment', '-e', 'tcp.analysis.spurious_retransmission']);
  const lines = out.split('\n').slice(0, -1).map((l) => l.split('\t'));
  const streams = new Set(lines.filter((c) => c.slice(1).some(Boolean)).map((c) => c[0]));
  const frames = new Set<number>();
  lines.forEach((c, i) => {
    if (streams.has(c[0])) frames.add(i + 1);
  });
  return frames;
}

/** Copies a capture to `WIRESAGE_LAB_KEEP` when set (for studying a difference later). */
export function keep(file: string): void {
  const dir = process.env.WIRESAGE_LAB_KEEP;
  if (!dir) return;
  mkdirSync(dir, { recursive: true });
  copyFileSync(file, join(dir, basename(file)));
}

/** The bin folder of the newest installed PostgreSQL server, or undefined. */
export function postgresBin(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const found = readdirSync(root).filter((v) => existsSync(`${root}/${v}/bin/postgres`));
  found.sort((a, b) => Number(b) - Number(a));
  return found.length ? `${root}/${found[0]}/bin` : undefined;
}

/** The expert tables of both tools and the lines only one of them has (order kept). */
export interface ExpertDiff {
  ours: string;
  tshark: string;
  onlyOurs: string[];
  onlyTshark: string[];
}

/** `wiresage expert --tshark FILE` against `tshark -n -q -z expert -r FILE` (standard ports only: expert has no --decode-as). */
export function compareExperts(file: string): ExpertDiff {
  const ours = wiresage(['expert', '--tshark', file]).stdout;
  const tshark = tsharkText(['-n', '-r', file, '-q', '-z', 'expert']);
  const a = ours.split('\n').filter(Boolean);
  const b = tshark.split('\n').filter(Boolean);
  return { ours, tshark, onlyOurs: a.filter((l) => !b.includes(l)), onlyTshark: b.filter((l) => !a.includes(l)) };
}

/** What a lab capture gave: the field comparison and the expert tables. */
export interface LabResult {
  fields: Comparison;
  experts: ExpertDiff;
  /** The reassembled PDUs tshark shows (frames with tcp.reassembled.length), and their largest segment count. */
  reassembled: number;
  maxSegments: number;
  /** The largest segment count of a PDU reassembled in a stream the wire kept in order (compared strictly). */
  maxSegmentsInOrder: number;
  /** Frames of streams tshark saw out of order on the wire ({@link wireDisorder}). */
  disordered: Set<number>;
}

/** Compares a lab capture with tshark: reassembly fields, columns, `protoFields`, expert tables. */
export function compareLab(file: string, protoFields: readonly string[], decodeAs: readonly string[] = []): LabResult {
  keep(file);
  const fields = compareWithTshark(file, [...reassemblyFields, ...protoFields], [...decodeAs]);
  const disordered = wireDisorder(file);
  return { fields, experts: compareExperts(file), ...tsharkReassembly(file, decodeAs, disordered), disordered };
}

function tsharkReassembly(file: string, decodeAs: readonly string[], disordered: Set<number>): { reassembled: number; maxSegments: number; maxSegmentsInOrder: number } {
  const out = tsharkText(['-n', '-r', file, '-T', 'fields', '-e', 'tcp.segment.count', ...decodeAs.flatMap((d) => ['-d', d])]);
  let reassembled = 0;
  let maxSegments = 0;
  let maxSegmentsInOrder = 0;
  out.split('\n').forEach((line, i) => {
    for (const v of line.split(',').filter(Boolean)) {
      reassembled++;
      maxSegments = Math.max(maxSegments, Number(v));
      if (!disordered.has(i + 1)) maxSegmentsInOrder = Math.max(maxSegmentsInOrder, Number(v));
    }
  });
  return { reassembled, maxSegments, maxSegmentsInOrder };
}

/** One field's value per frame as wiresage prints it (`read -T fields -e FIELD`), index 0 = frame 1. */
export function oursColumn(file: string, field: string): string[] {
  return wiresage(['read', '-T', 'fields', '-e', field, file]).stdout.split('\n').slice(0, -1);
}

/** One line summing up a lab comparison, for the test's diagnostics. */
export function labSummary(label: string, r: LabResult): string {
  const cells = Object.values(r.fields.cells).reduce((a, b) => a + b, 0);
  return `${label}: ${r.fields.frames} frames, ${cells} non-empty cells over ${Object.keys(r.fields.cells).length} fields, ` +
    `${r.fields.mismatches.length} mismatches; tshark reassembled ${r.reassembled} PDUs (up to ${r.maxSegments} segments, ${r.maxSegmentsInOrder} in streams kept in order); ` +
    `expert lines only wiresage ${r.experts.onlyOurs.length}, only tshark ${r.experts.onlyTshark.length}; ${r.disordered.size} frames in streams out of order on the wire`;
}

/** Mismatches grouped by field with a count and the first example, for a readable report. */
export function mismatchesByField(ms: readonly Mismatch[]): string {
  const by = new Map<string, Mismatch[]>();
  for (const m of ms) by.set(m.field, [...(by.get(m.field) ?? []), m]);
  return [...by].map(([f, l]) => `${f} ×${l.length} (frame ${l[0].frame}: wiresage '${l[0].ours.slice(0, 100)}' tshark '${l[0].tshark.slice(0, 100)}')`).join('\n');
}
