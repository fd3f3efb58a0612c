/**
 * The differential engine: runs `tshark -T fields` and `wiresage read -T fields` on the same
 * capture with the same field list, aligns the rows by frame number and compares every field
 * of every packet as text. Each disagreement is classified:
 *
 * - **mismatch** — a real difference: the suite fails on any of these (on packets tshark does
 *   not mark malformed);
 * - **accepted** — matches an entry of `tshark-differences.ts` (a documented tshark quirk);
 * - **restricted** — the field's protocol lies, in tshark's `frame.protocols`, beyond a
 *   protocol wiresage does not dissect (see `comparable()` there): not compared, counted by
 *   that encapsulation;
 * - on malformed packets (tshark's `_ws.malformed`) differences are counted, not failed.
 *
 * The corpus (hundreds of small files) is compared in a few batches: each file is converted to
 * pcapng by `editcap` (tshark's own reader, so wiresage sees what tshark saw), the files are
 * concatenated with `mergecap -a -I none` (one interface per input interface), and both tools
 * read the batch once; rows are mapped back to (file, frame) for the report. tshark start-up
 * (~0.6 s of CPU) would otherwise dominate: 830 files × 2 tools exceed the time budget.
 *
 * @example
 * const run = await compareCapture({ file: 'x.pcap', label: 'x.pcap' }, await wiresageFieldNames());
 * const t = newTally(); addRun(t, run); console.log(formatReport(t));
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { acceptedDifferences, comparable, tsharkPreferences, type DifferenceContext } from './tshark-differences.js';
import { openCapture } from '../file/open.js';
import { repoRoot } from './tshark.js';

/** The compared fields, grouped by the dissector (and so the engineer) that owns them. */
export const fieldGroups = {
  frame: ['frame.number', 'frame.time_epoch', 'frame.time_relative', 'frame.time_delta', 'frame.len', 'frame.cap_len', 'frame.interface_id'],
  eth: ['eth.dst', 'eth.src', 'eth.addr', 'eth.type', 'eth.len'],
  vlan: ['vlan.priority', 'vlan.dei', 'vlan.id', 'vlan.etype', 'vlan.len', 'ieee8021ad.priority', 'ieee8021ad.dei', 'ieee8021ad.id'],
  ip: [
    'ip.version', 'ip.hdr_len', 'ip.dsfield', 'ip.dsfield.dscp', 'ip.dsfield.ecn', 'ip.len', 'ip.id', 'ip.flags', 'ip.flags.rb', 'ip.flags.df',
    'ip.flags.mf', 'ip.frag_offset', 'ip.ttl', 'ip.proto', 'ip.checksum', 'ip.checksum.status', 'ip.src', 'ip.dst', 'ip.addr',
  ],
  tcp: [
    'tcp.srcport', 'tcp.dstport', 'tcp.port', 'tcp.len', 'tcp.seq_raw', 'tcp.ack_raw', 'tcp.hdr_len', 'tcp.flags', 'tcp.flags.res',
    'tcp.flags.cwr', 'tcp.flags.ece', 'tcp.flags.urg', 'tcp.flags.ack', 'tcp.flags.push', 'tcp.flags.reset', 'tcp.flags.syn',
    'tcp.flags.fin', 'tcp.flags.str', 'tcp.window_size_value', 'tcp.checksum', 'tcp.checksum.status', 'tcp.urgent_pointer',
    'tcp.option_kind', 'tcp.option_len', 'tcp.options.mss_val', 'tcp.options.wscale.shift', 'tcp.options.wscale.multiplier',
    'tcp.options.sack_le', 'tcp.options.sack_re', 'tcp.options.timestamp.tsval', 'tcp.options.timestamp.tsecr',
  ],
  udp: ['udp.srcport', 'udp.dstport', 'udp.port', 'udp.length', 'udp.checksum', 'udp.checksum.status'],
  ipv6: ['ipv6.version', 'ipv6.tclass', 'ipv6.flow', 'ipv6.plen', 'ipv6.nxt', 'ipv6.hlim', 'ipv6.src', 'ipv6.dst', 'ipv6.addr'],
  icmp: ['icmp.type', 'icmp.code', 'icmp.checksum', 'icmp.ident', 'icmp.seq', 'icmpv6.type', 'icmpv6.code', 'icmpv6.checksum'],
  arp: ['arp.hw.type', 'arp.proto.type', 'arp.hw.size', 'arp.proto.size', 'arp.opcode', 'arp.src.hw_mac', 'arp.src.proto_ipv4', 'arp.dst.hw_mac', 'arp.dst.proto_ipv4'],
} as const;

export type FieldGroup = keyof typeof fieldGroups;

/** Groups whose dissectors are this suite's own (frame, L2, IPv4, TCP, UDP). */
export const coreGroups: readonly FieldGroup[] = ['frame', 'eth', 'vlan', 'ip', 'tcp', 'udp'];
/** Groups of the dissectors written concurrently by another engineer (IPv6, ICMP, ARP). */
export const otherGroups: readonly FieldGroup[] = ['ipv6', 'icmp', 'arp'];

export const allComparedFields: readonly string[] = Object.values(fieldGroups).flat();

const groupOf = new Map<string, FieldGroup>();
for (const [g, names] of Object.entries(fieldGroups)) for (const n of names) groupOf.set(n, g as FieldGroup);

/** Layers of the IPv6/ICMP dissectors that carry other headers (tunnels, ICMP error quotes). */
const encapsulators: Readonly<Record<string, FieldGroup>> = {
  ipv6: 'ipv6', 'ipv6.hopopts': 'ipv6', 'ipv6.routing': 'ipv6', 'ipv6.fraghdr': 'ipv6', 'ipv6.dstopts': 'ipv6', icmp: 'icmp', icmpv6: 'icmp',
};

/**
 * The group a field's value on one packet belongs to: its own, except
 * - `ip.version` on an IPv6 packet: tshark's IPv6 dissector adds it (hidden) to IPv6 headers;
 * - a protocol repeated inside an IPv6 or ICMP layer (IP quoted in an ICMP error, Ethernet in an
 *   IPv6 segment routing header): the inner copy exists only through that dissector's dispatch,
 *   so the whole field counts for the IPv6/ICMP group on that packet.
 */
export function groupFor(field: string, protocols: readonly string[]): FieldGroup {
  if (field === 'ip.version' && protocols.includes('ipv6') && !protocols.includes('ip')) return 'ipv6';
  const own = groupOf.get(field)!;
  const dot = field.indexOf('.');
  const proto = dot < 0 ? field : field.slice(0, dot);
  const first = protocols.indexOf(proto);
  if (first < 0) return own;
  for (let i = first + 1; i < protocols.length; i++) {
    const by = encapsulators[protocols[i]];
    if (by && protocols.indexOf(proto, i + 1) > i) return by;
  }
  return own;
}

/**
 * Extra tshark columns that classify each packet (never compared themselves). No field may be
 * listed twice: tshark then prints it only in the last of its columns.
 */
const tsharkContext = ['frame.protocols', '_ws.malformed', '_ws.short'];

/** One capture both tools read. */
export interface CaptureInput {
  /** The file given to both tools. */
  file: string;
  /** Name shown in reports. */
  label: string;
  /**
   * Maps a frame of `file` to where it came from: a corpus file of a merged batch, or (`part`)
   * the hand-built case it belongs to.
   */
  origin?: (frame: number) => { file: string; frame: number; part?: string };
  /** Preferences given to both tools (`-o ip.check_checksum:TRUE`). */
  prefs?: readonly string[];
  /** Name of the comparison pass when a file is compared more than once (shown in reports). */
  pass?: string;
}

/** Both tools' answers for one capture, row by row. */
export interface CaptureRun {
  input: CaptureInput;
  fields: readonly string[];
  /** Fields wiresage does not know (their values count as absent). */
  unknownFields: readonly string[];
  tshark: Map<number, string[]>;
  ours: Map<number, string[]>;
  /** Per tshark row: protocols, malformed and short marks. */
  context: Map<number, { protocols: string[]; malformed: boolean; short: boolean }>;
  errors: string[];
}

/** Runs a command, resolving with stdout/stderr/exit code (never rejects on a non-zero exit). */
export function run(cmd: string, args: readonly string[], opts: { timeoutMs?: number } = {}): Promise<{ stdout: string; stderr: string; status: number | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: { ...process.env, TZ: 'UTC', LC_ALL: 'C' }, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    const timer = opts.timeoutMs ? setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs) : undefined;
    child.on('error', reject);
    child.on('close', (status) => {
      if (timer) clearTimeout(timer);
      resolve({ stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), status });
    });
  });
}

/** Runs `tasks` with at most `limit` in flight; results in input order. */
export async function pool<T>(limit: number, tasks: Array<() => Promise<T>>): Promise<T[]> {
  const results = new Array<T>(tasks.length);
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) {
      const i = next++;
      results[i] = await tasks[i]();
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
  return results;
}

const cli = join(repoRoot, 'dist/cli/main.js');

/** Field names wiresage's registry knows (`wiresage fields`). */
export async function wiresageFieldNames(): Promise<Set<string>> {
  const r = await run(process.execPath, [cli, 'fields']);
  if (r.status !== 0) throw new Error(`Cannot list wiresage fields: exit ${r.status}: ${r.stderr}`);
  return new Set(r.stdout.split('\n').filter(Boolean).map((l) => l.split('\t')[0]));
}

/** Protocols wiresage dissects: registered fields of type protocol without a dot (`tcp`, `vlan`). */
export async function wiresageProtocols(): Promise<Set<string>> {
  const r = await run(process.execPath, [cli, 'fields']);
  const out = new Set<string>();
  for (const line of r.stdout.split('\n')) {
    const [name, type] = line.split('\t');
    if (type === 'protocol' && name && !name.includes('.')) out.add(name);
  }
  return out;
}

function tableOf(text: string, width: number, keyColumn: number): Map<number, string[]> {
  const rows = new Map<number, string[]>();
  for (const line of text.split('\n')) {
    if (!line) continue;
    const cols = line.split('\t');
    while (cols.length < width) cols.push('');
    rows.set(Number(cols[keyColumn]), cols);
  }
  return rows;
}

/** Runs both tools over one capture (one process each) and keeps their rows. */
export async function compareCapture(input: CaptureInput, known: ReadonlySet<string>, fields: readonly string[] = allComparedFields): Promise<CaptureRun> {
  const ask = fields.filter((f) => known.has(f));
  if (!ask.includes('frame.number')) throw new Error('frame.number must be compared (rows are aligned by it)');
  const unknownFields = fields.filter((f) => !known.has(f));
  const tArgs = ['-n', '-r', input.file, '-T', 'fields', '-E', 'occurrence=a', '-E', 'separator=/t', '-E', 'aggregator=,'];
  for (const f of [...tsharkContext, ...fields]) tArgs.push('-e', f);
  for (const { pref } of tsharkPreferences) tArgs.push('-o', pref);
  for (const pref of input.prefs ?? []) tArgs.push('-o', pref);
  const wArgs = [cli, 'read', '-n', '-r', input.file, '-T', 'fields', '-E', 'occurrence=a', '-E', 'separator=/t', '-E', 'aggregator=,'];
  for (const f of ask) wArgs.push('-e', f);
  for (const pref of input.prefs ?? []) wArgs.push('-o', pref);
  const [t, w] = await Promise.all([run('tshark', tArgs, { timeoutMs: 300_000 }), run(process.execPath, wArgs, { timeoutMs: 300_000 })]);
  const errors: string[] = [];
  if (t.status !== 0) errors.push(`tshark exited ${t.status}: ${t.stderr.replace(/Running as user "root".*\n?/g, '').trim()}`);
  if (w.status !== 0) errors.push(`wiresage exited ${w.status}: ${w.stderr.trim()}`);
  const tRows = tableOf(t.stdout, tsharkContext.length + fields.length, tsharkContext.length + fields.indexOf('frame.number'));
  const wRows = tableOf(w.stdout, ask.length, ask.indexOf('frame.number'));
  const tshark = new Map<number, string[]>();
  const context: CaptureRun['context'] = new Map();
  for (const [n, cols] of tRows) {
    context.set(n, { protocols: cols[0] ? cols[0].split(':') : [], malformed: cols[1] !== '', short: cols[2] !== '' });
    tshark.set(n, cols.slice(tsharkContext.length));
  }
  // Spread wiresage's columns to the full field list (unknown fields: absent).
  const ours = new Map<number, string[]>();
  const index = fields.map((f) => ask.indexOf(f));
  for (const [n, cols] of wRows) ours.set(n, index.map((i) => (i < 0 ? '' : cols[i])));
  return { input, fields, unknownFields, tshark, ours, context, errors };
}

export interface Mismatch {
  file: string;
  /** Which part of the file (a hand-built case), when it has parts. */
  part?: string;
  /** The comparison pass (e.g. checksums verified), when not the default one. */
  pass?: string;
  frame: number;
  field: string;
  ours: string;
  tshark: string;
  protocols: string;
}

/** Running totals over many captures. */
export interface Tally {
  captures: number;
  files: Set<string>;
  /**
   * Packets compared (rows present in tshark's output) in the default pass, and how many tshark
   * marks malformed; `packetComparisons` counts every pass (a file compared again with other
   * preferences counts its packets again).
   */
  packets: number;
  malformedPackets: number;
  packetComparisons: number;
  /** Field values compared on non-malformed packets (equal, accepted or mismatched). */
  fieldComparisons: number;
  mismatches: Mismatch[];
  /** Differences on malformed packets: reported, not failed. */
  malformedDifferences: Mismatch[];
  accepted: Map<string, number>;
  /** Packets with at least one field left out, by the first protocol wiresage does not dissect. */
  restrictedPackets: Map<string, number>;
  restrictedValues: number;
  /** Values compared on the outer layers only (a layer repeated inside an undissected encapsulation). */
  outerValues: number;
  perField: Map<string, { compared: number; present: number; mismatched: number }>;
  errors: string[];
  unknownFields: Set<string>;
}

export function newTally(): Tally {
  return {
    captures: 0, files: new Set(), packets: 0, malformedPackets: 0, packetComparisons: 0, fieldComparisons: 0, mismatches: [], malformedDifferences: [],
    accepted: new Map(), restrictedPackets: new Map(), restrictedValues: 0, outerValues: 0, perField: new Map(), errors: [], unknownFields: new Set(),
  };
}

function bump(m: Map<string, number>, k: string, n = 1): void {
  m.set(k, (m.get(k) ?? 0) + n);
}

/**
 * Compares a run's rows field by field into `t`, for the fields of `groups` (all by default).
 * `dissected` is the set of protocols wiresage dissects (restriction, see `comparable`).
 */
export function addRun(t: Tally, r: CaptureRun, dissected: ReadonlySet<string>, groups?: readonly FieldGroup[]): void {
  t.captures++;
  for (const e of r.errors) t.errors.push(`${r.input.label}${r.input.pass ? ` (${r.input.pass})` : ''}: ${e}`);
  for (const f of r.unknownFields) if (!groups || groups.includes(groupOf.get(f)!)) t.unknownFields.add(f);
  const columns = r.fields.map((f, i) => [f, i] as const);
  const where = (frame: number) => r.input.origin?.(frame) ?? { file: r.input.label, frame };
  const seenFiles = new Set<string>();
  for (const [frame, tCols] of r.tshark) {
    const ctx = r.context.get(frame)!;
    const origin = where(frame);
    seenFiles.add(origin.file);
    const firstPass = !r.input.pass;
    t.packetComparisons++;
    if (firstPass) {
      t.packets++;
      if (ctx.malformed) t.malformedPackets++;
    }
    const oCols = r.ours.get(frame);
    const protocols = ctx.protocols.join(':');
    let restrictedBy: string | undefined;
    for (const [field, i] of columns) {
      if (groups && !groups.includes(groupFor(field, ctx.protocols))) continue;
      let ours = oCols ? oCols[i] : '<no row>';
      const verdict = comparable(field, ctx.protocols, dissected);
      let theirs = tCols[i];
      if (verdict.kind !== 'all') {
        restrictedBy ??= verdict.by;
        const values = theirs === '' ? [] : theirs.split(',');
        if (verdict.kind === 'restricted' || values.length < verdict.values) {
          t.restrictedValues++;
          continue;
        }
        // Only the layers before the encapsulation: both tools list their values first (wiresage
        // may go on inside it: a carrier it steps over, such as ERSPAN within GRE).
        theirs = values.slice(0, verdict.values).join(',');
        if (oCols && ours !== '') ours = ours.split(',').slice(0, verdict.values).join(',');
        t.outerValues++;
      }
      const stats = t.perField.get(field) ?? { compared: 0, present: 0, mismatched: 0 };
      t.perField.set(field, stats);
      if (!ctx.malformed) {
        stats.compared++;
        if (theirs !== '') stats.present++;
        t.fieldComparisons++;
      }
      if (theirs === ours) continue;
      const c: DifferenceContext = { field, ours, tshark: theirs, protocols: ctx.protocols, short: ctx.short, file: origin.file, path: r.input.file, frame, row: (name) => column(r, tCols, name) };
      const accepted = acceptedDifferences.find((d) => d.fields.includes(field) && d.applies(c));
      if (accepted) {
        bump(t.accepted, accepted.id);
        continue;
      }
      const m: Mismatch = { file: origin.file, part: origin.part, pass: r.input.pass, frame: origin.frame, field, ours, tshark: theirs, protocols };
      if (ctx.malformed) t.malformedDifferences.push(m);
      else {
        stats.mismatched++;
        t.mismatches.push(m);
      }
    }
    if (restrictedBy && firstPass) bump(t.restrictedPackets, restrictedBy);
  }
  for (const [frame] of r.ours) {
    if (!r.tshark.has(frame)) t.mismatches.push({ file: where(frame).file, pass: r.input.pass, frame: where(frame).frame, field: 'frame.number', ours: String(frame), tshark: '<no row>', protocols: '' });
  }
  for (const f of seenFiles) t.files.add(f);
  if (!r.input.origin) t.files.add(r.input.label);
}

function column(r: CaptureRun, cols: string[], name: string): string | undefined {
  const i = r.fields.indexOf(name);
  return i < 0 ? undefined : cols[i];
}

/** A readable report: totals, per-field coverage, accepted and restricted counts, mismatches grouped by field. */
export function formatReport(t: Tally, title: string, maxExamples = 8): string {
  const lines: string[] = [];
  lines.push(`== ${title}`);
  lines.push(`files compared: ${t.files.size} (captures read: ${t.captures}); packets compared: ${t.packets} (tshark marks ${t.malformedPackets} malformed: differences there are listed, not failed); packet comparisons over all passes: ${t.packetComparisons}`);
  lines.push(`field comparisons: ${t.fieldComparisons}; mismatches: ${t.mismatches.length}; accepted tshark differences: ${sum(t.accepted)}; restricted values (beyond an undissected encapsulation): ${t.restrictedValues}; compared on outer layers only: ${t.outerValues}`);
  if (t.errors.length) lines.push(`errors:`, ...t.errors.slice(0, 20).map((e) => `  ${e}`));
  if (t.unknownFields.size) lines.push(`fields wiresage does not have yet (values count as absent): ${[...t.unknownFields].join(', ')}`);
  const fieldsSeen = [...t.perField.entries()].filter(([, s]) => s.present > 0).length;
  lines.push(`fields with at least one tshark value compared: ${fieldsSeen} of ${t.perField.size}`);
  if (t.accepted.size) {
    lines.push('accepted differences (see tshark-differences.ts):');
    for (const [id, n] of [...t.accepted].sort((a, b) => b[1] - a[1])) lines.push(`  ${id}: ${n}`);
  }
  if (t.restrictedPackets.size) {
    lines.push('packets with fields left out, by the first encapsulation wiresage does not dissect:');
    for (const [p, n] of [...t.restrictedPackets].sort((a, b) => b[1] - a[1]).slice(0, 25)) lines.push(`  ${p}: ${n}`);
  }
  for (const [what, list] of [['MISMATCHES', t.mismatches], ['differences on packets tshark marks malformed (not failed)', t.malformedDifferences]] as const) {
    if (!list.length) continue;
    lines.push(`${what}: ${list.length}`);
    const byField = new Map<string, Mismatch[]>();
    for (const m of list) byField.set(m.field, [...(byField.get(m.field) ?? []), m]);
    for (const [field, ms] of [...byField].sort((a, b) => b[1].length - a[1].length)) {
      const files = new Set(ms.map((m) => m.file));
      lines.push(`  ${field}: ${ms.length} in ${files.size} file(s)`);
      for (const m of ms.slice(0, maxExamples)) {
        lines.push(`    ${m.file}${m.part ? `: ${m.part}` : ''}${m.pass ? ` (${m.pass})` : ''} frame ${m.frame}: ours ${JSON.stringify(m.ours)} vs tshark ${JSON.stringify(m.tshark)}  [${m.protocols}]`);
      }
    }
  }
  return lines.join('\n');
}

function sum(m: Map<string, number>): number {
  let n = 0;
  for (const v of m.values()) n += v;
  return n;
}

/** Counts the interfaces and packets of a pcapng file (SHB/IDB/EPB/SPB/PB walk, nothing decoded). */
export function pcapngCounts(file: string): { interfaces: number; packets: number } {
  const b = readFileSync(file);
  let little = true;
  let interfaces = 0;
  let packets = 0;
  for (let at = 0; at + 12 <= b.length; ) {
    let type = little ? b.readUInt32LE(at) : b.readUInt32BE(at);
    if (b.readUInt32BE(at) === 0x0a0d0d0a) {
      type = 0x0a0d0d0a;
      little = b.readUInt32LE(at + 8) === 0x1a2b3c4d;
    }
    const len = little ? b.readUInt32LE(at + 4) : b.readUInt32BE(at + 4);
    if (len < 12) break;
    if (type === 1) interfaces++;
    else if (type === 6 || type === 3 || type === 2) packets++;
    at += len;
  }
  return { interfaces, packets };
}

export interface CorpusBatch {
  input: CaptureInput;
  /** The files of the batch in order: name, editcap's pcapng of it, packets, first frame in the batch. */
  files: Array<{ name: string; converted: string; packets: number; firstFrame: number }>;
}

/**
 * What wiresage's reader sees in a capture, one line per record (time, lengths, link type,
 * SHA-1 of the bytes), plus the reader's error if it stopped early. Used to show that the
 * pcapng editcap made of a corpus file carries the records wiresage reads from the original.
 */
export async function recordDigest(file: string): Promise<{ records: string[]; error?: string }> {
  const records: string[] = [];
  try {
    const reader = await openCapture(file);
    try {
      await reader.forEach((r) => {
        const hash = createHash('sha1').update(r.data).digest('hex').slice(0, 16);
        records.push(`${r.tsSec}.${String(r.tsNsec).padStart(9, '0')} cap ${r.capLen} len ${r.origLen} link ${r.iface.linkType} ${hash}`);
      });
    } finally {
      reader.close();
    }
  } catch (e) {
    return { records, error: (e as Error).message };
  }
  return { records };
}

export interface CorpusPlan {
  batches: CorpusBatch[];
  /** Files editcap could not read at all (with its message). */
  unreadable: Array<{ name: string; reason: string }>;
  /** Files editcap read only in part (damaged after some packets). */
  partial: Array<{ name: string; packets: number; reason: string }>;
  /**
   * Files whose pcapng does not carry the records wiresage reads from the original (editcap
   * rewrote a link type, a pseudo-header or an invalid timestamp): compared one by one on the
   * original file instead, with the reason.
   */
  direct: Array<{ name: string; input: CaptureInput; reason: string }>;
}

/**
 * Converts every file to pcapng with editcap (in `work`) and concatenates them into `count`
 * batches of about equal packet counts with mergecap, keeping the map back to files. A file
 * whose conversion changed what wiresage reads (`recordDigest` differs) is left out of the
 * batches and listed in `direct`.
 */
export async function planCorpus(dir: string, names: readonly string[], work: string, count: number): Promise<CorpusPlan> {
  const direct: CorpusPlan['direct'] = [];
  const unreadable: CorpusPlan['unreadable'] = [];
  const partial: CorpusPlan['partial'] = [];
  const converted = await pool(
    4,
    names.map((name, i) => async () => {
      const out = join(work, `${String(i).padStart(4, '0')}.pcapng`);
      const r = await run('editcap', ['-F', 'pcapng', join(dir, name), out], { timeoutMs: 60_000 });
      const reason = r.stderr.trim().split('\n').filter((l) => !l.startsWith('Running as user')).join(' ');
      let counts = { interfaces: 0, packets: 0 };
      try {
        counts = pcapngCounts(out);
      } catch {
        // no output file
      }
      if (counts.packets === 0) {
        unreadable.push({ name, reason: reason || (r.status === 0 ? 'no packets' : `editcap exited ${r.status}`) });
        return undefined;
      }
      if (r.status !== 0) partial.push({ name, packets: counts.packets, reason });
      const [original, copy] = await Promise.all([recordDigest(join(dir, name)), recordDigest(out)]);
      const at = original.records.findIndex((x, j) => x !== copy.records[j]);
      if (original.error || copy.error || at >= 0 || original.records.length !== copy.records.length) {
        const why = original.error ? `wiresage stops reading the original: ${original.error}`
          : at >= 0 ? `record ${at + 1} differs after editcap: ${original.records[at]} became ${copy.records[at]}`
          : `${original.records.length} records in the original, ${copy.records.length} after editcap`;
        direct.push({ name, input: { file: join(dir, name), label: name }, reason: why });
        return undefined;
      }
      return { name, out, packets: counts.packets };
    }),
  );
  const ok = converted.filter((c): c is { name: string; out: string; packets: number } => c !== undefined);
  const total = ok.reduce((n, c) => n + c.packets, 0);
  const groups: Array<typeof ok> = [[]];
  let inGroup = 0;
  for (const c of ok) {
    if (inGroup >= total / count && groups.length < count) {
      groups.push([]);
      inGroup = 0;
    }
    groups[groups.length - 1].push(c);
    inGroup += c.packets;
  }
  const batches = await pool(
    2,
    groups.map((g, i) => async () => {
      const out = join(work, `batch-${i}.pcapng`);
      const r = await run('mergecap', ['-F', 'pcapng', '-a', '-I', 'none', '-w', out, ...g.map((c) => c.out)], { timeoutMs: 120_000 });
      if (r.status !== 0) throw new Error(`Cannot merge corpus batch ${i}: mergecap exited ${r.status}: ${r.stderr}`);
      const files: CorpusBatch['files'] = [];
      let first = 1;
      for (const c of g) {
        files.push({ name: c.name, converted: c.out, packets: c.packets, firstFrame: first });
        first += c.packets;
      }
      const origin = (frame: number) => {
        // The last file whose first frame is <= frame (binary search).
        let lo = 0;
        let hi = files.length - 1;
        while (lo < hi) {
          const mid = (lo + hi + 1) >> 1;
          if (files[mid].firstFrame <= frame) lo = mid;
          else hi = mid - 1;
        }
        return { file: files[lo].name, frame: frame - files[lo].firstFrame + 1 };
      };
      return { input: { file: out, label: `corpus batch ${i}`, origin }, files };
    }),
  );
  return { batches, unreadable, partial, direct };
}

// ---------------------------------------------------------------------------------------------
// Synthetic frames: the edge cases real captures rarely hold (bad option lengths, bogus header
// and total lengths, TSO length 0, trailers, 802.1ad, ISL, IP fragments), each written out cut
// at every length as a snaplen would cut it, so that the comparison covers "which fields appear
// on a truncated packet" byte by byte.
// ---------------------------------------------------------------------------------------------

type Bytes = number[];

const macBytes = (m: string): Bytes => m.split(':').map((h) => parseInt(h, 16));
const ip4 = (a: string): Bytes => a.split('.').map(Number);
const be16 = (v: number): Bytes => [(v >>> 8) & 255, v & 255];
const be32 = (v: number): Bytes => [(v >>> 24) & 255, (v >>> 16) & 255, (v >>> 8) & 255, v & 255];

function checksum(b: Bytes): number {
  let sum = 0;
  for (let i = 0; i < b.length; i += 2) sum += (b[i] << 8) | (b[i + 1] ?? 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

export function eth(type: number, payload: Bytes, dst = '00:11:22:33:44:55', src = '02:16:3e:aa:bb:cc'): Bytes {
  return [...macBytes(dst), ...macBytes(src), ...be16(type), ...payload];
}

/** An 802.1Q/802.1ad tag: TCI then the inner type. */
export function tag(tci: number, type: number): Bytes {
  return [...be16(tci), ...be16(type)];
}

export interface Ipv4Spec {
  proto: number;
  payload: Bytes;
  src?: string;
  dst?: string;
  tos?: number;
  id?: number;
  /** The 3 flag bits (4 = reserved, 2 = DF, 1 = MF). */
  flags?: number;
  /** Fragment offset in 8-byte units. */
  frag?: number;
  ttl?: number;
  options?: Bytes;
  /** Header length in 32-bit words, when it must lie. */
  ihl?: number;
  totalLength?: number;
  version?: number;
  checksum?: number;
}

export function ipv4(s: Ipv4Spec): Bytes {
  const options = s.options ?? [];
  const ihl = s.ihl ?? 5 + Math.ceil(options.length / 4);
  const opts = [...options];
  while (opts.length % 4) opts.push(0);
  const total = s.totalLength ?? 20 + opts.length + s.payload.length;
  const h = [
    ((s.version ?? 4) << 4) | (ihl & 15), s.tos ?? 0, ...be16(total), ...be16(s.id ?? 0x1234),
    ...be16(((s.flags ?? 2) << 13) | (s.frag ?? 0)), s.ttl ?? 64, s.proto, 0, 0,
    ...ip4(s.src ?? '10.251.1.2'), ...ip4(s.dst ?? '10.251.2.3'), ...opts,
  ];
  const sum = s.checksum ?? checksum(h);
  h[10] = sum >>> 8;
  h[11] = sum & 255;
  return [...h, ...s.payload];
}

export interface TcpSpec {
  sport?: number;
  dport?: number;
  seq?: number;
  ack?: number;
  /** The 12 flag bits (0x002 SYN, 0x010 ACK…). */
  flags?: number;
  win?: number;
  urg?: number;
  options?: Bytes;
  /** Data offset in 32-bit words, when it must lie. */
  offset?: number;
  payload?: Bytes;
}

export function tcp(s: TcpSpec): Bytes {
  const opts = [...(s.options ?? [])];
  while (opts.length % 4) opts.push(0);
  const offset = s.offset ?? 5 + opts.length / 4;
  const flags = s.flags ?? 0x018;
  return [
    ...be16(s.sport ?? 40000), ...be16(s.dport ?? 40001), ...be32(s.seq ?? 0x11223344), ...be32(s.ack ?? 0x55667788),
    (offset << 4) | ((flags >>> 8) & 15), flags & 255, ...be16(s.win ?? 502), 0xab, 0xcd, ...be16(s.urg ?? 0), ...opts, ...(s.payload ?? []),
  ];
}

export function udp(payload: Bytes, o: { sport?: number; dport?: number; length?: number; checksum?: number } = {}): Bytes {
  return [...be16(o.sport ?? 40000), ...be16(o.dport ?? 40002), ...be16(o.length ?? 8 + payload.length), ...be16(o.checksum ?? 0x4c2e), ...payload];
}

export function icmp(type: number, code: number, rest: Bytes): Bytes {
  const b = [type, code, 0, 0, ...rest];
  const sum = checksum(b);
  b[2] = sum >>> 8;
  b[3] = sum & 255;
  return b;
}

export function ipv6(nxt: number, payload: Bytes, o: { src?: Bytes; dst?: Bytes; hlim?: number; plen?: number; tclass?: number; flow?: number } = {}): Bytes {
  const src = o.src ?? [0xfd, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 2];
  const dst = o.dst ?? [0xfd, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 3];
  const tc = o.tclass ?? 0;
  const flow = o.flow ?? 0x12345;
  return [0x60 | (tc >> 4), ((tc & 15) << 4) | (flow >> 16), (flow >> 8) & 255, flow & 255, ...be16(o.plen ?? payload.length), nxt, o.hlim ?? 64, ...src, ...dst, ...payload];
}

export function arp(op: number): Bytes {
  return [0, 1, 8, 0, 6, 4, ...be16(op), ...macBytes('02:16:3e:aa:bb:cc'), ...ip4('10.251.1.2'), 0, 0, 0, 0, 0, 0, ...ip4('10.251.1.1')];
}

const text = (s: string): Bytes => [...s].map((c) => c.charCodeAt(0));

/** TCP options of a typical SYN: MSS, SACK permitted, timestamps, NOP, window scale. */
const synOptions = [2, 4, 5, 0xb4, 4, 2, 8, 10, ...be32(3000000000), ...be32(0), 1, 3, 3, 7];
/** NOP, NOP, timestamps, NOP, NOP, SACK with two blocks. */
const sackOptions = [1, 1, 8, 10, ...be32(123456), ...be32(654321), 1, 1, 5, 18, ...be32(1000), ...be32(2000), ...be32(4294967000), ...be32(100)];

export interface Template {
  name: string;
  frame: Bytes;
  /** Kept whole (fragments: cut copies would reassemble with each other). */
  whole?: boolean;
}

/**
 * The edge cases, named. Each frame is well formed unless its name says what lies. Ports are
 * ones tshark has no dissector for, so that no application layer marks the frames malformed.
 */
export function templates(): Template[] {
  const t: Template[] = [];
  const add = (name: string, frame: Bytes, whole = false) => t.push({ name, frame, whole });
  const ipTcp = (spec: TcpSpec, ip: Partial<Ipv4Spec> = {}) => ipv4({ proto: 6, payload: tcp(spec), ...ip });

  add('tcp SYN with options', eth(0x0800, ipTcp({ flags: 0x002, options: synOptions, ack: 0 })));
  add('tcp data with SACK and IP options', eth(0x0800, ipTcp({ options: sackOptions, payload: text('GET / HTTP/1.1\r\n') }, { options: [1, 7, 7, 4, 10, 0, 0, 1, 0], tos: 0xb8 })));
  add('tcp every flag bit', eth(0x0800, ipTcp({ flags: 0xfff, urg: 7, payload: [1, 2, 3] }, { flags: 7, id: 0xffff, ttl: 255 })));
  add('tcp no flags', eth(0x0800, ipTcp({ flags: 0 }, { flags: 0 })));
  add('tcp AE+CWR+ECE SYN', eth(0x0800, ipTcp({ flags: 0x1c2 })));
  add('tcp option length 0', eth(0x0800, ipTcp({ options: [1, 2, 0, 1, 1, 1, 1, 1] })));
  add('tcp option length 1', eth(0x0800, ipTcp({ options: [3, 1, 1, 1] })));
  add('tcp option past header', eth(0x0800, ipTcp({ options: [1, 8, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0] })));
  add('tcp MSS length 3', eth(0x0800, ipTcp({ options: [2, 3, 5, 1] })));
  add('tcp MSS length 6', eth(0x0800, ipTcp({ options: [2, 6, 5, 0xb4, 0, 0, 1, 1] })));
  add('tcp wscale length 4', eth(0x0800, ipTcp({ options: [3, 4, 14, 0] })));
  add('tcp wscale 15', eth(0x0800, ipTcp({ options: [3, 3, 15, 1] })));
  add('tcp SACK odd length', eth(0x0800, ipTcp({ options: [5, 7, 0, 0, 0, 1, 0, 1, 1, 1, 1, 1] })));
  add('tcp SACK length 2', eth(0x0800, ipTcp({ options: [5, 2, 1, 1] })));
  add('tcp timestamp length 9', eth(0x0800, ipTcp({ options: [8, 9, 0, 0, 0, 1, 0, 0, 0, 1, 1, 1] })));
  add('tcp EOL then bytes', eth(0x0800, ipTcp({ options: [1, 0, 2, 4, 5, 0xb4, 0, 0] })));
  add('tcp unknown option', eth(0x0800, ipTcp({ options: [99, 4, 0xde, 0xad, 254, 6, 0xf9, 0x89, 1, 2, 1, 1] })));
  add('tcp MD5 and user timeout', eth(0x0800, ipTcp({ options: [19, 18, ...new Array(16).fill(0x5a), 28, 4, 0x80, 10, 1, 1] })));
  add('tcp data offset 4 (bogus)', eth(0x0800, ipTcp({ offset: 4 })));
  add('tcp data offset 15, 20 bytes there', eth(0x0800, ipTcp({ offset: 15 })));
  add('tcp header longer than IP payload', eth(0x0800, ipTcp({ options: synOptions }, { totalLength: 20 + 24 })));
  add('ip total length 0 (TSO)', eth(0x0800, ipTcp({ payload: text('x'.repeat(40)) }, { totalLength: 0 })));
  add('ip total length below header', eth(0x0800, ipTcp({}, { totalLength: 19 })));
  add('ip total length beyond frame', eth(0x0800, ipv4({ proto: 17, payload: udp(text('abcdefgh')), totalLength: 400 })));
  add('ip header length 4 (bogus)', eth(0x0800, ipTcp({}, { ihl: 4 })));
  add('ip header length 15, 20 bytes there', eth(0x0800, ipv4({ proto: 6, payload: [], ihl: 15 })));
  add('ip version 5', eth(0x0800, ipTcp({}, { version: 5 })));
  add('ip option length 0', eth(0x0800, ipTcp({}, { options: [1, 131, 0, 1] })));
  add('ip option length past header', eth(0x0800, ipTcp({}, { options: [1, 7, 12, 4, 0, 0, 0, 0] })));
  add('ip router alert and unknown option', eth(0x0800, ipTcp({}, { options: [148, 4, 0, 0, 30, 4, 1, 2] })));
  add('ip unknown protocol', eth(0x0800, ipv4({ proto: 253, payload: text('opaque payload') })));
  add('ethernet trailer after short IP', eth(0x0800, [...ipTcp({ flags: 0x010 }), 0xde, 0xad, 0xbe, 0xef, 0x01, 0x02]));
  add('udp', eth(0x0800, ipv4({ proto: 17, payload: udp(text('hello, world')) })));
  add('udp checksum 0', eth(0x0800, ipv4({ proto: 17, payload: udp(text('zero'), { checksum: 0 }) })));
  add('udp length 4 (bogus)', eth(0x0800, ipv4({ proto: 17, payload: udp(text('abcd'), { length: 4 }) })));
  add('udp length beyond IP payload', eth(0x0800, ipv4({ proto: 17, payload: udp(text('abcd'), { length: 300 }) })));
  add('udp length shorter than IP payload', eth(0x0800, ipv4({ proto: 17, payload: udp(text('abcdefghijkl'), { length: 10 }) })));
  add('udp no payload', eth(0x0800, ipv4({ proto: 17, payload: udp([]) })));
  add('802.1Q udp', eth(0x8100, [...tag(0xa064, 0x0800), ...ipv4({ proto: 17, payload: udp(text('tagged')) })]));
  add('802.1Q with DEI', eth(0x8100, [...tag(0x1fff, 0x0800), ...ipTcp({})]));
  add('802.1ad + 802.1Q tcp', eth(0x88a8, [...tag(0x20c8, 0x8100), ...tag(0x07d1, 0x0800), ...ipTcp({ flags: 0x002 })]));
  add('802.1ad alone', eth(0x88a8, [...tag(0xe0c8, 0x0800), ...ipv4({ proto: 17, payload: udp(text('s-tag')) })]));
  add('0x9100 Q-in-Q tag', eth(0x9100, [...tag(0x0064, 0x8100), ...tag(0x00c8, 0x0800), ...ipTcp({})]));
  add('802.1Q with length', eth(0x8100, [...tag(0x0064, 0x0010), 0xaa, 0xaa, 0x03, 0, 0, 0, 0x08, 0x00, ...new Array(8).fill(0)]));
  add('802.3 LLC', eth(0x0026, [0x42, 0x42, 0x03, ...new Array(35).fill(0)], '01:80:c2:00:00:00'));
  add('802.3 length beyond frame', eth(0x0100, [0x42, 0x42, 0x03, ...new Array(20).fill(0)], '01:80:c2:00:00:00'));
  add('ethertype unknown', eth(0x88b5, text('local experimental ethertype')));
  add('ISL', [...eth(0x004c, [0xaa, 0xaa, 0x03, 0, 0, 0x0c, 0, 3, 0, 0, 0, 0], '01:00:0c:00:00:00'), ...eth(0x0026, [0xaa, 0xaa, 0x03, 0, 0, 0x0c, 0x20, 0x04, ...new Array(30).fill(1)], '01:00:0c:cc:cc:cc')]);
  add('ip in ip', eth(0x0800, ipv4({ proto: 4, payload: ipTcp({}, { src: '192.168.0.1', dst: '192.168.0.2' }) })));
  // Fragments: a datagram in three pieces, then a lone first fragment and a lone middle one.
  const dgram = udp(text('0123456789abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJ'), { sport: 40003, dport: 40004 });
  add('fragment 1 of 3', eth(0x0800, ipv4({ proto: 17, id: 0x4001, flags: 1, frag: 0, payload: dgram.slice(0, 24) })), true);
  add('fragment 2 of 3', eth(0x0800, ipv4({ proto: 17, id: 0x4001, flags: 1, frag: 3, payload: dgram.slice(24, 48) })), true);
  add('fragment 3 of 3', eth(0x0800, ipv4({ proto: 17, id: 0x4001, flags: 0, frag: 6, payload: dgram.slice(48) })), true);
  add('lone first fragment', eth(0x0800, ipv4({ proto: 6, id: 0x4002, flags: 1, frag: 0, payload: tcp({ payload: text('first fragment only') }) })), true);
  add('lone middle fragment', eth(0x0800, ipv4({ proto: 6, id: 0x4003, flags: 1, frag: 100, payload: text('somewhere in the middle') })), true);
  // Protocols of the concurrent dissectors (IPv6, ICMP, ICMPv6, ARP).
  add('icmp echo', eth(0x0800, ipv4({ proto: 1, payload: icmp(8, 0, [0x12, 0x34, 0, 1, ...text('ping payload')]) })));
  add('icmp port unreachable', eth(0x0800, ipv4({ proto: 1, payload: icmp(3, 3, [0, 0, 0, 0, ...ipv4({ proto: 17, payload: udp(text('lost')), src: '10.251.2.3', dst: '10.251.1.2' })]) })));
  add('arp request', eth(0x0806, arp(1), 'ff:ff:ff:ff:ff:ff'));
  add('ipv6 tcp', eth(0x86dd, ipv6(6, tcp({ flags: 0x002, options: synOptions }))));
  add('ipv6 udp', eth(0x86dd, ipv6(17, udp(text('v6 datagram')), { tclass: 0xb8, hlim: 1 })));
  add('ipv6 icmpv6 echo', eth(0x86dd, ipv6(58, icmp(128, 0, [0, 1, 0, 2, ...text('ping6')]), { hlim: 255 })));
  return t;
}

export interface PcapRecord {
  data: Uint8Array;
  origLen: number;
}

/** Each frame cut at every length 1..n as a snaplen would (original length kept). */
export function cutAtEveryLength(frames: readonly Bytes[]): PcapRecord[] {
  const out: PcapRecord[] = [];
  for (const f of frames) for (let n = 1; n <= f.length; n++) out.push({ data: Uint8Array.from(f.slice(0, n)), origLen: f.length });
  return out;
}

/** Each frame ending at every length 1..n-1 *on the wire* (a frame that lies about its length). */
export function shortenAtEveryLength(frames: readonly Bytes[]): PcapRecord[] {
  const out: PcapRecord[] = [];
  for (const f of frames) for (let n = 1; n < f.length; n++) out.push({ data: Uint8Array.from(f.slice(0, n)), origLen: n });
  return out;
}

/** Writes a classic pcap (microseconds), one record per 1 ms from 2024-03-12 09:00:00 UTC. */
export function writePcap(path: string, linkType: number, records: readonly PcapRecord[]): void {
  const parts: Buffer[] = [];
  const header = Buffer.alloc(24);
  header.writeUInt32LE(0xa1b2c3d4, 0);
  header.writeUInt16LE(2, 4);
  header.writeUInt16LE(4, 6);
  header.writeUInt32LE(262144, 16);
  header.writeUInt32LE(linkType, 20);
  parts.push(header);
  records.forEach((r, i) => {
    const h = Buffer.alloc(16);
    h.writeUInt32LE(1710234000 + Math.floor(i / 1000), 0);
    h.writeUInt32LE((i % 1000) * 1000 + 7, 4);
    h.writeUInt32LE(r.data.length, 8);
    h.writeUInt32LE(r.origLen, 12);
    parts.push(h, Buffer.from(r.data));
  });
  writeFileSync(path, Buffer.concat(parts));
}
