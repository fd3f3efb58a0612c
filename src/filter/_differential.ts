/**
 * Comparing display filters with tshark 4.0 on a capture, for filter.test.ts.
 *
 * tshark's answer for hundreds of filters comes from one tshark pass: a Lua script registers
 * one tap listener per filter (`Listener.new("frame", filter)`), which tshark evaluates on the
 * same one-pass tree `-Y` filters; an invalid filter fails to register, with tshark's message.
 * One difference is known and avoided: tap filters see a protocol item's length before the
 * dissector shortens it (`len(tcp)` is header + payload there, the header alone with `-Y`), so
 * filters that measure, slice or compare protocol items are asked of `tshark -Y` itself. The
 * test also checks a sample of other filters with `-Y` to keep the oracle honest.
 *
 * A frame where the two tools disagree is a filter failure only when both tools decoded the
 * fields the filter names identically on that frame (same `-T fields` text, same protocol
 * layers). Otherwise the difference comes from dissection (a dissector of another engineer
 * lacks a field or an expert item): it is counted and reported by field, not failed.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { protocolIdOf } from '../cli/read.js';
import { Decoder, dissectTree } from '../decode/decoder.js';
import { allDissectors, dissectorById, dissectorByName } from '../decode/dissector.js';
import type { Packet } from '../decode/packet.js';
import type { FieldDef } from '../fields/field.js';
import { fieldText } from '../fields/format.js';
import { FieldSink } from '../fields/sink.js';
import { openCapture } from '../file/open.js';
import { FlowEngine } from '../flows/index.js';
import { compileFilter, type CompiledFilter } from './compile.js';
import { FilterError } from './error.js';

/** tshark's verdict on a filter: the matching frames, or its error message. */
export type TsharkVerdict = { ok: true; frames: number[] } | { ok: false; message: string };

const luaScript = `
local filters = {}
for line in io.lines(os.getenv("WS_FILTERS")) do filters[#filters + 1] = line end
local out = io.open(os.getenv("WS_OUT"), "w")
for i, f in ipairs(filters) do
  local ok, l = pcall(Listener.new, "frame", f)
  if ok then
    l.packet = function(pinfo) out:write(i, " ", pinfo.number, "\\n") end
  else
    out:write(i, " ERR ", (tostring(l):gsub("\\n", " ")), "\\n")
  end
end
`;

function run(cmd: string, args: string[], env: Record<string, string> = {}): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const c = spawn(cmd, args, { env: { ...process.env, TZ: 'UTC', LC_ALL: 'C', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    c.stdout.on('data', (d: Buffer) => out.push(d));
    c.stderr.on('data', (d: Buffer) => err.push(d));
    c.on('error', reject);
    c.on('close', (status) => resolve({ status, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') }));
  });
}

/** Runs tasks with at most `limit` at once. */
async function pool<T>(limit: number, tasks: Array<() => Promise<T>>): Promise<T[]> {
  const results = new Array<T>(tasks.length);
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, async () => {
    while (next < tasks.length) {
      const i = next++;
      results[i] = await tasks[i]();
    }
  }));
  return results;
}

/** Every filter's verdict from one tshark pass (Lua tap listeners). */
export async function tsharkByTaps(file: string, filters: readonly string[]): Promise<TsharkVerdict[]> {
  const dir = mkdtempSync(join(tmpdir(), 'wiresage-filters-'));
  try {
    const script = join(dir, 'filters.lua');
    const list = join(dir, 'filters.txt');
    const out = join(dir, 'out.txt');
    writeFileSync(script, luaScript);
    writeFileSync(list, filters.join('\n') + '\n');
    const r = await run('tshark', ['-n', '-r', file, '-X', `lua_script:${script}`, '-q'], { WS_FILTERS: list, WS_OUT: out });
    if (r.status !== 0) throw new Error(`tshark with the filter taps failed (${r.status}): ${r.stderr}`);
    const verdicts: TsharkVerdict[] = filters.map(() => ({ ok: true, frames: [] }));
    for (const line of readFileSync(out, 'utf8').split('\n')) {
      if (!line) continue;
      const sp = line.indexOf(' ');
      const i = Number(line.slice(0, sp)) - 1;
      const rest = line.slice(sp + 1);
      if (rest.startsWith('ERR ')) verdicts[i] = { ok: false, message: rest.slice(4) };
      else (verdicts[i] as { frames: number[] }).frames.push(Number(rest));
    }
    return verdicts;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The verdict of `tshark -Y filter` itself. */
export async function tsharkByY(file: string, filter: string): Promise<TsharkVerdict> {
  const r = await run('tshark', ['-n', '-r', file, '-Y', filter, '-T', 'fields', '-e', 'frame.number']);
  const message = r.stderr.split('\n').filter((l) => l && !l.includes('Running as user')).join(' ');
  if (r.status !== 0 && !r.stdout) return { ok: false, message };
  return { ok: true, frames: r.stdout.split('\n').filter(Boolean).map(Number) };
}

export async function tsharkByYAll(file: string, filters: readonly string[], parallel = 4): Promise<TsharkVerdict[]> {
  return pool(parallel, filters.map((f) => () => tsharkByY(file, f)));
}

/**
 * Filters whose answer depends on a protocol item's length or bytes (slices, len(), ordering
 * or equality of a protocol): the taps see other lengths than `-Y`, so these go to `-Y`.
 */
export function needsDashY(filter: string): boolean {
  const names = allDissectors().map((d) => d.protocol.name.replace(/\./g, '\\.')).join('|');
  return new RegExp(`(^|[^\\w.])(${names})(#\\S+)?\\s*(\\[|==|!=|===|!==|~=|<|>|\\beq\\b|\\bne\\b|\\bgt\\b|\\blt\\b|\\bge\\b|\\ble\\b)|len\\(\\s*(${names})\\s*\\)`).test(filter);
}

/** wiresage's verdicts for every filter, in one decode pass (flow engine on, as `read -Y`). */
export async function wiresageVerdicts(file: string, filters: readonly string[]): Promise<Array<{ ok: true; frames: number[] } | { ok: false; error: FilterError }>> {
  const compiled = filters.map((f) => {
    try {
      return { ok: true as const, f: compileFilter(f), frames: [] as number[] };
    } catch (e) {
      if (e instanceof FilterError) return { ok: false as const, error: e };
      throw e;
    }
  });
  const decoder = new Decoder();
  const flows = new FlowEngine({ packetExperts: true });
  flows.attach(decoder); // application dissectors keep their state per connection, as in read -Y
  const reader = await openCapture(file);
  try {
    await reader.forEach((r) => {
      const p = decoder.decode(r);
      flows.packet(p);
      for (const c of compiled) if (c.ok && c.f.matches(p)) c.frames.push(p.number);
      return true;
    });
  } finally {
    reader.close();
  }
  return compiled.map((c) => (c.ok ? { ok: true, frames: c.frames } : c));
}

/** Per frame: the text of each field (occurrences joined by ','), and the protocol layers. */
export interface FieldTable {
  fields: readonly string[];
  rows: Map<number, { values: string[]; protocols: string[] }>;
}

let tsharkFieldNames: Set<string> | undefined;

/** Names tshark knows (`tshark -G fields`), so `-e` lists contain no unknown field. */
export async function tsharkKnownFields(): Promise<Set<string>> {
  if (!tsharkFieldNames) {
    const r = await run('tshark', ['-G', 'fields']);
    tsharkFieldNames = new Set(r.stdout.split('\n').map((l) => l.split('\t')[2]).filter(Boolean));
    for (const l of r.stdout.split('\n')) if (l.startsWith('P\t')) tsharkFieldNames.add(l.split('\t')[2]);
  }
  return tsharkFieldNames;
}

export async function tsharkFieldTable(file: string, fields: readonly string[]): Promise<FieldTable> {
  const args = ['-n', '-r', file, '-T', 'fields', '-E', 'occurrence=a', '-E', 'aggregator=,', '-E', 'separator=\t', '-e', 'frame.number', '-e', 'frame.protocols'];
  // tshark prints an empty column for every copy of a field given twice: ask for each once.
  const fixed = ['frame.number', 'frame.protocols'];
  const extra = [...new Set(fields.filter((f) => !fixed.includes(f)))];
  for (const f of extra) args.push('-e', f);
  const column = fields.map((f) => (fixed.includes(f) ? fixed.indexOf(f) : 2 + extra.indexOf(f)));
  const r = await run('tshark', args);
  const rows = new Map<number, { values: string[]; protocols: string[] }>();
  for (const line of r.stdout.split('\n')) {
    if (!line) continue;
    const cols = line.split('\t');
    rows.set(Number(cols[0]), { protocols: cols[1].split(':'), values: column.map((c) => cols[c] ?? '') });
  }
  return { fields, rows };
}

export async function wiresageFieldTable(file: string, fields: readonly FieldDef[]): Promise<FieldTable> {
  const sink = new FieldSink(fields, protocolIdOf);
  sink.needProtocol(0);
  const decoder = new Decoder();
  const flows = new FlowEngine({ packetExperts: true });
  flows.attach(decoder); // application dissectors keep their state per connection, as in read -Y
  const reader = await openCapture(file);
  const rows = new Map<number, { values: string[]; protocols: string[] }>();
  try {
    await reader.forEach((r) => {
      const p = decoder.decode(r);
      flows.packet(p);
      sink.reset();
      dissectTree(p, sink);
      sink.finish();
      const values = fields.map((f, i) => (f.type === 'protocol' || f.type === 'none' ? (sink.values[i].length ? 'present' : '') : sink.values[i].map((v) => fieldText(f, v)).join(',')));
      rows.set(p.number, { values, protocols: layerNames(p) });
      return true;
    });
  } finally {
    reader.close();
  }
  return { fields: fields.map((f) => f.name), rows };
}

function layerNames(p: Packet): string[] {
  const out: string[] = [];
  for (let i = 0; i < p.layers; i++) out.push(dissectorById(p.proto[i]).protocol.name);
  return out;
}

/**
 * Why two field tables differ on a frame for the fields a filter names, or undefined when
 * they agree (then a different verdict is the filter's fault).
 */
export function dissectionDifference(filter: CompiledFilter, frame: number, tshark: FieldTable, ours: FieldTable, known: Set<string>): string | undefined {
  const t = tshark.rows.get(frame);
  const o = ours.rows.get(frame);
  if (!t || !o) return 'frame missing';
  for (const f of filter.fields) {
    // Expert items come from every layer: a layer one tool lacks (BGP…) explains their difference.
    if (f.protocol === '_ws' && t.protocols.join(':') !== o.protocols.join(':')) return `${f.name} (layers differ)`;
    const d = dissectorByName(f.name);
    if (d && d.protocol === f) {
      const count = (list: string[]) => list.filter((x) => x === f.name).length;
      if (count(t.protocols) !== count(o.protocols)) return `${f.name} layers`;
      continue;
    }
    if (!known.has(f.name)) return `${f.name} (unknown to tshark)`;
    const ti = tshark.fields.indexOf(f.name);
    const oi = ours.fields.indexOf(f.name);
    const tv = t.values[ti] ?? '';
    const ov = o.values[oi] ?? '';
    if (f.type === 'protocol' || f.type === 'none') {
      if ((tv !== '') !== (ov !== '')) return `${f.name} presence`;
    } else if (tv !== ov) return f.name;
  }
  // Fields the view never sees (frame bytes) are identical in both tools.
  return undefined;
}
