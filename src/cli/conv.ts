/**
 * `wiresage conv FILE [--tcp|--udp|--ip]`: the conversations of a capture, with the numbers
 * of `tshark -q -z conv,tcp` (frames and bytes each way, relative start, duration — same
 * layout, same order) followed by what tshark does not say: Zeek's connection state and
 * history, the initial RTT, who closed the connection how, and what its application said
 * (`mysql: login 'app' failed 1045 …`, `tls: alert handshake_failure from server`). `--tshark`
 * prints tshark's table alone; `--json` one object per conversation (with `app`); `--sort`
 * orders by another column. `-Y FILTER` counts only the matching packets (tshark's
 * `-z conv,tcp,FILTER`: a conversation appears when one of its packets matches, A is the sender
 * of its first matching packet), while stream numbers, TCP analysis and the state columns are
 * computed over every packet, as in a one-pass tshark run.
 */
import { openCapture } from '../file/open.js';
import type { CompiledFilter } from '../filter/index.js';
import type { ConnectionSummary } from '../flows/conversation.js';
import { zeekFooter, zeekHeader, zeekJson, zeekLine } from '../flows/zeek.js';
import { FlowEngine } from '../flows/index.js';
import { FlowPacket, fromDecoded, Walk } from '../flows/headers.js';
import { filteredPass } from '../flows/pass.js';
import type { CaptureRecord } from '../file/types.js';
import type { Packet } from '../decode/packet.js';
import { Decoder } from '../decode/decoder.js';
import { streamState } from '../protocols/index.js';
import { ipv4ToString, ipv6ToString, u32 } from '../decode/bytes.js';
import { UsageError, type OptionSpec, type Parsed } from './args.js';
import { displayFilterLongSpec, displayFilterOption, displayFilterOptionSpec } from './filter.js';
import { Output } from './output.js';

export const convOptions: OptionSpec[] = [
  { name: 'read', short: 'r', kind: 'value', arg: 'FILE', help: 'capture file to read (- for stdin)' },
  { name: 'tcp', kind: 'flag', help: 'TCP conversations (default)' },
  { name: 'udp', kind: 'flag', help: 'UDP conversations' },
  { name: 'ip', kind: 'flag', help: 'IPv4 and IPv6 address pairs' },
  { name: 'sort', kind: 'value', arg: 'KEY', help: 'frames (default, as tshark), bytes, start, duration, stream, rtt' },
  { name: 'json', kind: 'flag', help: 'one JSON object per conversation' },
  { name: 'tshark', kind: 'flag', help: "tshark's table only, without the extra columns" },
  { name: 'zeek', kind: 'flag', help: "Zeek's conn.log (TCP and UDP, ASCII TSV with its # header lines; with --json Zeek's JSON lines)" },
  { ...displayFilterOptionSpec, help: "count only packets matching this display filter (tshark's -z conv,tcp,FILTER); streams, TCP analysis and the extra columns still come from every packet; also --display-filter" },
  displayFilterLongSpec,
];

/** One row of the table: a connection (merged over resumed parts) or an address pair. */
export interface ConvRow {
  stream: number;
  aName: string;
  bName: string;
  /** Frames and bytes received by A (tshark's "<-") and sent by A ("->"). */
  rxFrames: number;
  rxBytes: number;
  txFrames: number;
  txBytes: number;
  startRelNs: number;
  endRelNs: number;
  /** Tie-breaker of the default order when it is not the stream (filtered rows: first match). */
  order?: number;
  /** The last summary of the connection (trimmed to what the table shows unless JSON is wanted). */
  summary: ConnectionSummary | TableSummary | null;
}

/** What the text table shows of a summary (rows stay small on captures with many connections). */
export type TableSummary = Pick<ConnectionSummary, 'proto' | 'connState' | 'history' | 'irttNs' | 'closeKind' | 'closedBy' | 'app'>;

function trim(s: ConnectionSummary, full: boolean): ConnectionSummary | TableSummary {
  if (full) return s;
  return { proto: s.proto, connState: s.connState, history: s.history, irttNs: s.irttNs, closeKind: s.closeKind, closedBy: s.closedBy, app: s.app };
}

/** Wireshark's `format_size(n, FORMAT_SIZE_UNIT_BYTES, SI)`: `258 bytes`, `23 kB`, `1460 MB`. */
export function formatSize(n: number): string {
  const units = [' TB', ' GB', ' MB', ' kB'];
  const p = [1e12, 1e9, 1e6, 1e3];
  for (let i = 0; i < 4; i++) if (Math.floor(n / p[i]) >= 10) return `${Math.floor(n / p[i])}${units[i]}`;
  return `${n} bytes`;
}

/** `nstime_to_sec` of a capture-relative time, as tshark computes it (seconds + nanoseconds / 1e9). */
function toSec(ns: number): number {
  const sec = Math.floor(ns / 1e9);
  return sec + (ns - sec * 1e9) / 1e9;
}

function endpointName(addr: string, port: number): string {
  return `${addr}:${port}`;
}

/** Merges the summaries of one stream (a connection released and resumed) into a row. */
export function rowOf(s: ConnectionSummary, prev: ConvRow | undefined, full = true): ConvRow {
  if (!prev) {
    return {
      stream: s.stream,
      aName: endpointName(s.aAddr, s.aPort),
      bName: endpointName(s.bAddr, s.bPort),
      rxFrames: s.bToAPackets,
      rxBytes: s.bToABytes,
      txFrames: s.aToBPackets,
      txBytes: s.aToBBytes,
      startRelNs: s.startRelNs,
      endRelNs: s.endRelNs,
      summary: trim(s, full),
    };
  }
  // A resumed part counts its own first packet's sender as A: map it onto the first part's A.
  const sameA = endpointName(s.aAddr, s.aPort) === prev.aName;
  prev.rxFrames += sameA ? s.bToAPackets : s.aToBPackets;
  prev.rxBytes += sameA ? s.bToABytes : s.aToBBytes;
  prev.txFrames += sameA ? s.aToBPackets : s.bToAPackets;
  prev.txBytes += sameA ? s.aToBBytes : s.bToABytes;
  prev.startRelNs = Math.min(prev.startRelNs, s.startRelNs);
  prev.endRelNs = Math.max(prev.endRelNs, s.endRelNs);
  // A resumed part that said nothing keeps what the earlier part's application said.
  const app = s.app ?? prev.summary?.app;
  prev.summary = trim(s, full);
  if (app !== undefined) prev.summary.app = app;
  return prev;
}

/** Rows in tshark's order: total frames descending, ties in creation order. */
export function sortRows(rows: ConvRow[], key: string): ConvRow[] {
  const total = (r: ConvRow) => r.rxFrames + r.txFrames;
  const cmp: Record<string, (a: ConvRow, b: ConvRow) => number> = {
    frames: (a, b) => total(b) - total(a) || (a.order ?? a.stream) - (b.order ?? b.stream),
    bytes: (a, b) => b.rxBytes + b.txBytes - (a.rxBytes + a.txBytes) || a.stream - b.stream,
    start: (a, b) => a.startRelNs - b.startRelNs || a.stream - b.stream,
    duration: (a, b) => b.endRelNs - b.startRelNs - (a.endRelNs - a.startRelNs) || a.stream - b.stream,
    stream: (a, b) => a.stream - b.stream,
    rtt: (a, b) => (b.summary?.irttNs ?? -1) - (a.summary?.irttNs ?? -1) || a.stream - b.stream,
  };
  const f = cmp[key];
  if (!f) throw new UsageError(`--sort takes frames, bytes, start, duration, stream or rtt, not '${key}'`);
  return rows.filter((r) => total(r) > 0).sort(f);
}

function closeText(s: ConnectionSummary | TableSummary | null): string {
  if (!s || s.proto !== 'tcp') return '-';
  if (!s.closeKind) return 'open';
  return `${s.closeKind.toUpperCase()} by ${s.closedBy === 'orig' ? 'client' : 'server'}`;
}

/** The table as tshark prints it, with optional extra columns per row. */
export function convTable(title: string, rows: ConvRow[], ports: boolean, extras: boolean, filter?: string): string {
  let out = '';
  writeConvTable((s) => {
    out += s;
  }, title, rows, ports, extras, filter);
  return out;
}

/**
 * The same table handed to `write` a row at a time (an Output's `write`): a capture with tens
 * of thousands of connections never holds the whole text, its pieces and its encoded copy at once.
 */
export function writeConvTable(write: (s: string) => void, title: string, rows: ConvRow[], ports: boolean, extras: boolean, filter?: string): void {
  const pad = ports ? '            ' : '';
  const w = ports ? 26 : 20;
  let head = '================================================================================\n';
  head += `${title} Conversations\nFilter:${filter ?? '<No Filter>'}\n`;
  head += `${pad}                                               |       <-      | |       ->      | |     Total     |    Relative    |   Duration   |${extras ? ' State  History          iRTT      Close        Application' : ''}\n`;
  head += `${pad}                                               | Frames  Bytes | | Frames  Bytes | | Frames  Bytes |      Start     |              |\n`;
  write(head);
  for (const r of rows) {
    let out = `${r.aName.padEnd(w)} <-> ${r.bName.padEnd(w)}  ${String(r.rxFrames).padStart(6)} ${formatSize(r.rxBytes).padEnd(9)}`;
    out += `  ${String(r.txFrames).padStart(6)} ${formatSize(r.txBytes).padEnd(9)}`;
    out += `  ${String(r.rxFrames + r.txFrames).padStart(6)} ${formatSize(r.rxBytes + r.txBytes).padEnd(9)}  `;
    out += `${toSec(r.startRelNs).toFixed(9).padStart(14)}   ${(toSec(r.endRelNs) - toSec(r.startRelNs)).toFixed(4).padStart(12)}`;
    if (extras && r.summary) {
      const s = r.summary;
      const rtt = s.irttNs ? (s.irttNs / 1e9).toFixed(6) : '-';
      out += `  ${s.connState.padEnd(6)} ${(s.history || '-').padEnd(12)} ${rtt.padStart(10)}  ${closeText(s).padEnd(12)} ${s.app ?? '-'}`;
    }
    out += '\n';
    write(out);
  }
  write('================================================================================\n');
}

/**
 * Gathers TCP or UDP conversation rows by running the flow engine over the file, with the
 * application dissectors (each row carries what its application said: `app`, keyed by the
 * connection, not by its ports). `app: false` skips them (the engine's transport-only pass).
 */
export async function collectConversations(file: string, proto: 'tcp' | 'udp', full = true, app = true, filter?: CompiledFilter): Promise<ConvRow[]> {
  const byStream = new Map<number, ConvRow>();
  const decoder = new Decoder({ transportOnly: !app && !filter, elideOpaque: !filter });
  const engine = appEngine(decoder, (s) => {
    if (s.proto === proto) byStream.set(s.stream, rowOf(s, byStream.get(s.stream), full));
  });
  if (filter) return filteredRows(file, proto, decoder, engine, filter, byStream);
  await runEngine(file, decoder, engine);
  return [...byStream.values()];
}

/**
 * A flow engine whose released summaries carry what their application said (`app`) and the
 * protocol it was recognised as (`appProtocol`), taken from the decoder's per-connection state
 * as the connection is released (memory stays bounded).
 */
function appEngine(decoder: Decoder, each: (s: ConnectionSummary) => void): FlowEngine {
  return new FlowEngine({
    onSummary: (s) => {
      const st = streamState(s.proto, s.stream, decoder, true);
      if (st?.summary !== undefined) s.app = st.summary;
      if (st?.protocol !== undefined) s.appProtocol = st.protocol;
      each(s);
    },
  });
}

/** One pass of `decoder` and the attached `engine` over the file. */
async function runEngine(file: string, decoder: Decoder, engine: FlowEngine): Promise<void> {
  engine.attach(decoder);
  const reader = await openCapture(file);
  try {
    await reader.forEach((r) => engine.packet(decoder.decode(r)));
  } finally {
    reader.close();
  }
  engine.finish();
}

/**
 * Every TCP and UDP connection summary of the file in Zeek's conn.log order (by start time),
 * with the application protocol each was recognised as (Zeek's `service`).
 */
export async function collectZeekConnections(file: string): Promise<ConnectionSummary[]> {
  const out: ConnectionSummary[] = [];
  const decoder = new Decoder({ elideOpaque: true });
  await runEngine(file, decoder, appEngine(decoder, (s) => out.push(s)));
  return out.sort((a, b) => a.startRelNs - b.startRelNs || a.firstFrame - b.firstFrame);
}

/** Relative time of a record to the capture's first one, in nanoseconds. */
function relNs(r: CaptureRecord, first: [number, number]): number {
  return (r.tsSec - first[0]) * 1e9 + (r.tsNsec - first[1]);
}

/** Adds one packet to an address pair's row (A is the sender of the row's first packet). */
function tally(row: ConvRow, fromA: boolean, bytes: number, rel: number): void {
  if (fromA) {
    row.txFrames++;
    row.txBytes += bytes;
  } else {
    row.rxFrames++;
    row.rxBytes += bytes;
  }
  if (rel > row.endRelNs) row.endRelNs = rel;
  else if (rel < row.startRelNs) row.startRelNs = rel;
}

/** The source endpoint of a walked packet as text. */
function srcName(fp: FlowPacket): string {
  const addr = fp.family === 4 ? ipv4ToString(fp.src4) : ipv6ToString(fp.addrBuf, fp.src6);
  return endpointName(addr, (fp.buf[fp.off] << 8) | fp.buf[fp.off + 1]);
}

function dstName(fp: FlowPacket): string {
  const addr = fp.family === 4 ? ipv4ToString(fp.dst4) : ipv6ToString(fp.addrBuf, fp.dst6);
  return endpointName(addr, (fp.buf[fp.off + 2] << 8) | fp.buf[fp.off + 3]);
}

/**
 * Rows over the packets matching `filter` (every packet still goes through the engine): the
 * counts, times and A/B sides from the matching packets, the state columns from the summaries.
 */
async function filteredRows(file: string, proto: 'tcp' | 'udp', decoder: Decoder, engine: FlowEngine, filter: CompiledFilter,
  summaries: Map<number, ConvRow>): Promise<ConvRow[]> {
  const rows = new Map<number, ConvRow>();
  const fp = new FlowPacket();
  const want = proto === 'tcp' ? 6 : 17;
  let first: [number, number] | null = null;
  await filteredPass(file, decoder, engine, filter, (p, matched, r) => {
    first ??= [r.tsSec, r.tsNsec];
    if (!matched) return;
    const note = proto === 'tcp' ? engine.tcpNote : engine.udpNote;
    if (!note.valid || fromDecoded(fp, p) !== Walk.Found || fp.quoted || fp.proto !== want || fp.buf.length < fp.off + 4) return;
    const rel = relNs(r, first);
    const src = srcName(fp);
    let row = rows.get(note.stream);
    if (!row) {
      row = { stream: note.stream, order: rows.size, aName: src, bName: dstName(fp), rxFrames: 0, rxBytes: 0, txFrames: 0, txBytes: 0, startRelNs: rel, endRelNs: rel, summary: null };
      rows.set(note.stream, row);
    }
    tally(row, row.aName === src, r.origLen, rel);
  });
  for (const row of rows.values()) row.summary = summaries.get(row.stream)?.summary ?? null;
  return [...rows.values()];
}

/** IPv4 or IPv6 address pairs (tshark's `conv,ip` / `conv,ipv6`) over every IP packet. */
export async function collectAddressPairs(file: string, filter?: CompiledFilter): Promise<{ v4: ConvRow[]; v6: ConvRow[] }> {
  const v4 = new Map<string, ConvRow>();
  const v6 = new Map<string, ConvRow>();
  let first: [number, number] | null = null;
  const add = (p: Packet, r: CaptureRecord) => {
    const rel = relNs(r, first!);
    const n = p.netLayer;
    if (n < 0) return;
    const b = p.bufferOf(n);
    const o = p.start[n];
    const v = b[o] >> 4;
    if (v === 4 ? b.length < o + 20 : v !== 6 || b.length < o + 40) return;
    const src = v === 4 ? ipv4ToString(u32(b, o + 12)) : ipv6ToString(b, o + 8);
    const dst = v === 4 ? ipv4ToString(u32(b, o + 16)) : ipv6ToString(b, o + 24);
    const table = v === 4 ? v4 : v6;
    const key = src < dst ? `${src} ${dst}` : `${dst} ${src}`;
    let row = table.get(key);
    if (!row) {
      row = { stream: table.size, aName: src, bName: dst, rxFrames: 0, rxBytes: 0, txFrames: 0, txBytes: 0, startRelNs: rel, endRelNs: rel, summary: null };
      table.set(key, row);
    }
    tally(row, row.aName === src, r.origLen, rel);
  };
  if (filter) {
    await filteredPass(file, new Decoder(), new FlowEngine(), filter, (p, matched, r) => {
      first ??= [r.tsSec, r.tsNsec];
      if (matched) add(p, r);
    });
    return { v4: [...v4.values()], v6: [...v6.values()] };
  }
  const decoder = new Decoder({ transportOnly: true });
  const reader = await openCapture(file);
  try {
    await reader.forEach((r) => {
      first ??= [r.tsSec, r.tsNsec];
      add(decoder.decode(r), r);
    });
  } finally {
    reader.close();
  }
  return { v4: [...v4.values()], v6: [...v6.values()] };
}

export async function convCommand({ opts, rest }: Parsed): Promise<number> {
  const file = (opts.read as string | undefined) ?? rest.shift();
  if (!file) throw new UsageError('conv needs a capture file: wiresage conv FILE [--tcp|--udp|--ip]');
  if (rest.length) throw new UsageError(`unexpected words: ${rest.join(' ')}`);
  const kinds = ['tcp', 'udp', 'ip'].filter((k) => opts[k]);
  if (kinds.length > 1) throw new UsageError('choose one of --tcp, --udp, --ip');
  const kind = kinds[0] ?? 'tcp';
  const sortKey = (opts.sort as string | undefined) ?? 'frames';
  const filter = displayFilterOption(opts);
  const title = filter?.text;
  const out = new Output();
  if (opts.zeek) {
    if (filter || kinds.length) throw new UsageError('--zeek writes every TCP and UDP connection: no --tcp/--udp/--ip or -Y');
    const conns = await collectZeekConnections(file);
    if (opts.json) {
      for (const s of conns) out.write(zeekJson(s));
    } else {
      out.write(zeekHeader(new Date()));
      for (const s of conns) out.write(zeekLine(s));
      out.write(zeekFooter(new Date()));
    }
    out.flush();
    return 0;
  }
  if (kind === 'ip') {
    const { v4, v6 } = await collectAddressPairs(file, filter);
    if (opts.json) {
      for (const r of sortRows([...v4, ...v6], sortKey)) out.line(JSON.stringify(addressJson(r)));
    } else {
      writeConvTable((s) => out.write(s), 'IPv4', sortRows(v4, sortKey), false, false, title);
      if (v6.length) writeConvTable((s) => out.write(s), 'IPv6', sortRows(v6, sortKey), false, false, title);
    }
    out.flush();
    return 0;
  }
  const rows = sortRows(await collectConversations(file, kind as 'tcp' | 'udp', !!opts.json, true, filter), sortKey);
  if (opts.json) {
    for (const r of rows) out.line(JSON.stringify(r.summary ? { ...r.summary, aToBPackets: r.txFrames, aToBBytes: r.txBytes, bToAPackets: r.rxFrames, bToABytes: r.rxBytes, startRelNs: r.startRelNs, endRelNs: r.endRelNs, durationNs: r.endRelNs - r.startRelNs } : addressJson(r)));
  } else {
    writeConvTable((s) => out.write(s), kind === 'tcp' ? 'TCP' : 'UDP', rows, true, !opts.tshark, title);
  }
  out.flush();
  return 0;
}

function addressJson(r: ConvRow): object {
  return { a: r.aName, b: r.bName, aToBPackets: r.txFrames, aToBBytes: r.txBytes, bToAPackets: r.rxFrames, bToABytes: r.rxBytes, startRelNs: r.startRelNs, durationNs: r.endRelNs - r.startRelNs };
}
