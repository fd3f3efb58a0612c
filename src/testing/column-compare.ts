/**
 * Compares wiresage's packet-list columns (`_ws.col.Protocol`, `_ws.col.Info`, `_ws.col.Source`,
 * `_ws.col.Destination`) with tshark's, frame by frame, and tallies the agreement per protocol
 * (tshark's Protocol column). Frames whose protocol chain holds a protocol wiresage does not
 * dissect are counted apart ("not comparable"): their text comes from a dissector wiresage has
 * not got.
 */
import { join } from 'node:path';
import { run } from './differential.js';
import { decodedWithin, transparentProtocols } from './tshark-differences.js';
import { repoRoot } from './tshark.js';

export const columnNames = ['_ws.col.Protocol', '_ws.col.Info', '_ws.col.Source', '_ws.col.Destination'] as const;

/**
 * Protocols in tshark's chain that write no column text: the media types an HTTP body is shown
 * as. A frame with one of them is comparable when the rest of its chain is.
 */
const columnNeutral: ReadonlySet<string> = new Set(['data-text-lines', 'media', 'png', 'image-jfif', 'urlencoded-form']);

/** One frame as each tool shows it. */
export interface ColumnRow {
  frame: number;
  protocols: string[];
  tshark: string[];
  ours: string[];
}

/**
 * Both tools' columns for one capture file (one run each; tshark in one pass, as `wiresage
 * read`). `decodeAs` (`tcp.port==8443,tls`) goes to both.
 */
export async function readColumns(file: string, decodeAs: readonly string[] = []): Promise<{ rows: ColumnRow[]; errors: string[] }> {
  const fields = ['frame.protocols', ...columnNames];
  const args = (first: string[]) => [
    ...first, '-n', '-r', file, '-T', 'fields', '-E', 'separator=/t', ...fields.flatMap((f) => ['-e', f]), ...decodeAs.flatMap((d) => ['-d', d]),
  ];
  const [t, w] = await Promise.all([
    run('tshark', args([]), { timeoutMs: 300_000 }),
    run(process.execPath, args([join(repoRoot, 'dist/cli/main.js'), 'read']), { timeoutMs: 300_000 }),
  ]);
  const errors: string[] = [];
  if (t.status !== 0) errors.push(`tshark exited ${t.status}: ${t.stderr.replace(/Running as user "root".*\n?/g, '').trim()}`);
  if (w.status !== 0) errors.push(`wiresage exited ${w.status}: ${w.stderr.trim()}`);
  const lines = (s: string) => {
    const l = s.split('\n');
    if (l[l.length - 1] === '') l.pop();
    return l.map((x) => x.split('\t'));
  };
  const tl = lines(t.stdout);
  const wl = lines(w.stdout);
  if (tl.length !== wl.length) errors.push(`tshark printed ${tl.length} frames, wiresage ${wl.length}`);
  const rows: ColumnRow[] = [];
  for (let i = 0; i < Math.min(tl.length, wl.length); i++) {
    const pad = (c: string[]) => Array.from({ length: fields.length }, (_, k) => c[k] ?? '');
    const tc = pad(tl[i]);
    const wc = pad(wl[i]);
    rows.push({ frame: i + 1, protocols: tc[0] ? tc[0].split(':') : [], tshark: tc.slice(1), ours: wc.slice(1) });
  }
  return { rows, errors };
}

/** True when every protocol of tshark's chain is one wiresage dissects (or a step it takes within one). */
export function chainDissected(protocols: readonly string[], dissected: ReadonlySet<string>): boolean {
  return protocols.every((p) => dissected.has(p) || transparentProtocols.has(p) || dissected.has(decodedWithin[p] ?? '') || columnNeutral.has(p));
}

/** Agreement of one protocol (tshark's Protocol column). */
export interface ProtocolTally {
  frames: number;
  /** Frames whose Protocol and Info both equal tshark's. */
  agreed: number;
  /** Frames that differ in a known way (src/testing/column-differences.ts). */
  explained: number;
  /** Frames whose Source and Destination equal tshark's. */
  addressesAgreed: number;
  examples: string[];
}

export interface ColumnTally {
  byProtocol: Map<string, ProtocolTally>;
  /** Frames left out: a protocol in their chain is not dissected by wiresage. */
  notComparable: number;
  errors: string[];
}

export function newColumnTally(): ColumnTally {
  return { byProtocol: new Map(), notComparable: 0, errors: [] };
}

/**
 * Adds a capture's rows to a tally. `label` names the capture in examples; `accepted` says when a
 * difference is a known one (then the frame is counted as agreeing and the reason kept out of the
 * examples). `origin` maps a frame to its source file for merged batches.
 */
export function tallyColumns(
  t: ColumnTally, rows: readonly ColumnRow[], dissected: ReadonlySet<string>, label: string,
  accepted: (r: ColumnRow) => boolean = () => false, origin?: (frame: number) => string, maxExamples = 6,
): void {
  for (const r of rows) {
    if (!chainDissected(r.protocols, dissected)) {
      t.notComparable++;
      continue;
    }
    const key = r.tshark[0] || '(none)';
    let p = t.byProtocol.get(key);
    if (!p) t.byProtocol.set(key, (p = { frames: 0, agreed: 0, explained: 0, addressesAgreed: 0, examples: [] }));
    p.frames++;
    if (r.tshark[0] === r.ours[0] && r.tshark[1] === r.ours[1]) p.agreed++;
    else if (accepted(r)) p.explained++;
    else if (p.examples.length < maxExamples) {
      p.examples.push(`${origin ? origin(r.frame) : `${label} frame ${r.frame}`}: tshark ${JSON.stringify(`${r.tshark[0]} | ${r.tshark[1]}`)} ours ${JSON.stringify(`${r.ours[0]} | ${r.ours[1]}`)}`);
    }
    if (r.tshark[2] === r.ours[2] && r.tshark[3] === r.ours[3]) p.addressesAgreed++;
  }
}

/** Frames compared, agreeing, differing in a known way, and differing otherwise, over every protocol. */
export function totals(t: ColumnTally): { frames: number; agreed: number; explained: number; unexplained: number; addressesAgreed: number } {
  let frames = 0;
  let agreed = 0;
  let explained = 0;
  let addressesAgreed = 0;
  for (const p of t.byProtocol.values()) {
    frames += p.frames;
    agreed += p.agreed;
    explained += p.explained;
    addressesAgreed += p.addressesAgreed;
  }
  return { frames, agreed, explained, unexplained: frames - agreed - explained, addressesAgreed };
}

/** The report lines: one per protocol (frames, Protocol+Info agreement, address agreement), then examples. */
export function formatColumnTally(t: ColumnTally, title: string): string[] {
  const out: string[] = [];
  const all = totals(t);
  const pct = (a: number, n: number) => (n ? ((100 * a) / n).toFixed(1) : '-');
  out.push(
    `${title}: ${all.agreed}/${all.frames} frames (${pct(all.agreed, all.frames)}%) with tshark's Protocol and Info, ${all.explained} known differences, ` +
      `${all.unexplained} others; Source/Destination ${pct(all.addressesAgreed, all.frames)}%; ${t.notComparable} frames not comparable (a protocol wiresage does not dissect)`,
  );
  const sorted = [...t.byProtocol.entries()].sort((a, b) => b[1].frames - a[1].frames);
  for (const [name, p] of sorted) {
    out.push(`  ${name.padEnd(14)} ${String(p.agreed).padStart(6)}/${String(p.frames).padEnd(6)} ${pct(p.agreed, p.frames).padStart(5)}%  known ${p.explained}  addresses ${pct(p.addressesAgreed, p.frames)}%`);
  }
  for (const [name, p] of sorted) for (const e of p.examples) out.push(`  differs (${name}) ${e}`);
  for (const e of t.errors) out.push(`  error: ${e}`);
  return out;
}

/**
 * The frames of one capture whose Protocol or Info column differs from tshark's, one line each
 * (a tool's failure is a line too), how many frames were read and how many differed in the
 * `accepted` way: for tests that want every frame of a capture as tshark shows it.
 */
export async function columnMismatches(
  file: string, accepted: (r: ColumnRow) => boolean = () => false, decodeAs: readonly string[] = [],
): Promise<{ frames: number; accepted: number; mismatches: string[] }> {
  const { rows, errors } = await readColumns(file, decodeAs);
  const mismatches = [...errors];
  let n = 0;
  for (const r of rows) {
    if (r.tshark[0] === r.ours[0] && r.tshark[1] === r.ours[1]) continue;
    if (accepted(r)) {
      n++;
      continue;
    }
    mismatches.push(`frame ${r.frame}: tshark ${JSON.stringify(`${r.tshark[0]} | ${r.tshark[1]}`)} ours ${JSON.stringify(`${r.ours[0]} | ${r.ours[1]}`)}`);
  }
  return { frames: rows.length, accepted: n, mismatches };
}
