/**
 * `wiresage read`: packets of a capture file as tcpdump-like lines, a tshark-like detail tree
 * (-V), tshark's `-T fields` columns or `-T json`.
 */
import { decodeAs, dissectorByName, wsProtocolId } from '../decode/dissector.js';
import { isFrameRecordField, isHeaderField } from '../decode/header-fields.js';
import { ipv4Preferences } from '../decode/ipv4.js';
import type { Packet } from '../decode/packet.js';
import { Decoder } from '../decode/walker.js';
import { tcpPreferences } from '../decode/tcp.js';
import { udpPreferences } from '../decode/udp.js';
import { lookupField, suggestFields, type FieldDef } from '../fields/field.js';
import { fieldFormatter, numberTextKind } from '../fields/format.js';
import type { Value } from '../fields/value.js';
import { TreeSink } from '../fields/sink.js';
import { openCapture } from '../file/open.js';
import type { CompiledFilter } from '../filter/index.js';
import { intOption, UsageError, type OptionSpec, type Parsed } from './args.js';
import type { FieldValues } from './field-values.js';
import { displayFilterOptionSpec } from './filter-option.js';
import { hexDump } from './hexdump.js';
import { packetJson } from './json.js';
import { packetSummary, timeText, type TimeStyle } from './line.js';
import { Output } from './output.js';
import { treeText } from './tree-text.js';

export const readOptions: OptionSpec[] = [
  { name: 'read', short: 'r', kind: 'value', arg: 'FILE', help: 'capture file to read (pcap, pcapng, gzip; - for stdin)' },
  { name: 'max-packets', short: 'c', kind: 'value', arg: 'N', help: 'stop after N packets' },
  { name: 'count', kind: 'flag', help: "print only the packet count (tcpdump's --count)" },
  { name: 'numeric', short: 'n', kind: 'count', help: 'no name resolution (always on)' },
  { name: 'time', short: 't', kind: 'count', help: '-t none, -tt epoch, -ttt delta, -tttt date, -ttttt since first' },
  { name: 'nano', kind: 'flag', help: 'nanosecond timestamps in lines' },
  { name: 'hex', short: 'x', kind: 'count', help: 'hex dump (-xx with link header)' },
  { name: 'hex-ascii', short: 'X', kind: 'count', help: 'hex and ASCII dump (-XX with link header)' },
  { name: 'verbose', short: 'V', kind: 'flag', help: 'full detail tree' },
  { name: 'output', short: 'T', kind: 'value', arg: 'text|fields|json', help: 'output format' },
  { name: 'json', kind: 'flag', help: 'same as -T json' },
  { name: 'field', short: 'e', kind: 'list', arg: 'NAME', help: 'field for -T fields (repeatable)' },
  { name: 'field-option', short: 'E', kind: 'list', arg: 'OPT=V', help: 'header=y|n separator=/t|/s|C occurrence=f|l|a aggregator=,|/s|C quote=d|s|n' },
  { name: 'option', short: 'o', kind: 'list', arg: 'PREF:VAL', help: 'ip|tcp|udp.check_checksum:TRUE (verify checksums)' },
  { name: 'verify-checksums', kind: 'flag', help: 'verify IPv4, TCP and UDP checksums' },
  { name: 'decode-as', short: 'd', kind: 'list', arg: 'tcp.port==N,PROTO', help: "decode a port as a protocol (tshark's -d), e.g. tcp.port==1600,tns" },
  displayFilterOptionSpec,
  { name: 'line-buffered', short: 'l', kind: 'flag' },
  { name: 'quiet', short: 'q', kind: 'flag', help: 'print nothing per packet' },
];

interface FieldsLayout {
  separator: string;
  aggregator: string;
  occurrence: 'f' | 'l' | 'a';
  header: boolean;
  quote: string;
}

function fieldsLayout(opts: string[] | undefined): FieldsLayout {
  const layout: FieldsLayout = { separator: '\t', aggregator: ',', occurrence: 'a', header: false, quote: '' };
  const sep = (v: string) => (v === '/t' ? '\t' : v === '/s' ? ' ' : v);
  for (const o of opts ?? []) {
    const [k, v = ''] = o.split('=', 2);
    switch (k) {
      case 'header': layout.header = v === 'y'; break;
      case 'separator': layout.separator = sep(v); break;
      case 'aggregator': layout.aggregator = sep(v); break;
      case 'occurrence':
        if (v !== 'f' && v !== 'l' && v !== 'a') throw new UsageError(`-E occurrence takes f, l or a, not '${v}'`);
        layout.occurrence = v;
        break;
      case 'quote': layout.quote = v === 'd' ? '"' : v === 's' ? "'" : ''; break;
      default: throw new UsageError(`unknown -E option '${k}'`);
    }
  }
  return layout;
}

/**
 * Writes the columns of one packet as tshark's `-T fields` line: values joined by the
 * aggregator (or only the first or last), columns by the separator, each quoted if asked.
 * Decimal numbers and IPv4 addresses go to the output as bytes, without a string each.
 */
function fieldsLineWriter(fields: readonly FieldDef[], layout: FieldsLayout, out: Output): (columns: Value[][]) => void {
  const kinds = fields.map(numberTextKind);
  const texts = fields.map(fieldFormatter);
  const { separator, aggregator, quote, occurrence } = layout;
  const separatorByte = separator.length === 1 && separator.charCodeAt(0) < 0x80 ? separator.charCodeAt(0) : -1;
  const value = (i: number, v: Value) => {
    if (typeof v === 'number') {
      const kind = kinds[i];
      if (kind === 'decimal') return out.decimal(v);
      if (kind === 'ipv4') return out.ipv4(v);
    }
    out.write(texts[i](v));
  };
  return (columns) => {
    for (let i = 0; i < columns.length; i++) {
      if (i) {
        if (separatorByte >= 0) out.byte(separatorByte);
        else out.write(separator);
      }
      const vals = columns[i];
      if (!vals.length) continue;
      if (quote) out.write(quote);
      if (occurrence === 'f' || vals.length === 1) value(i, vals[0]);
      else if (occurrence === 'l') value(i, vals[vals.length - 1]);
      else {
        for (let k = 0; k < vals.length; k++) {
          if (k) out.write(aggregator);
          value(i, vals[k]);
        }
      }
      if (quote) out.write(quote);
    }
    out.newline();
  };
}

/** Resolves -e names to fields, or throws a UsageError listing the bad ones with suggestions. */
export function resolveFields(names: string[]): FieldDef[] {
  const bad: string[] = [];
  const fields = names.map((n) => {
    const f = lookupField(n);
    if (!f) {
      const s = suggestFields(n);
      bad.push(s.length ? `${n} (did you mean ${s.join(', ')}?)` : n);
    }
    return f!;
  });
  if (bad.length) throw new UsageError(`unknown field${bad.length > 1 ? 's' : ''}: ${bad.join('; ')}`);
  return fields;
}

export function protocolIdOf(name: string): number | undefined {
  if (name === '_ws') return wsProtocolId;
  return dissectorByName(name)?.id;
}

/**
 * How much of the pipeline a run needs: `walk` 'frame' reads the capture records only,
 * 'transport' walks the layers up to the transport headers (no application dissectors), 'full'
 * runs every dissector; `flows` tracks connections (`tcp.stream`, `tcp.analysis.*`,
 * `udp.stream`…). A full walk always tracks them: application dissectors keep their state per
 * connection, as in tshark's one pass.
 */
export interface ReadPlan {
  walk: 'frame' | 'transport' | 'full';
  flows: boolean;
}

const fullPlan: ReadPlan = { walk: 'full', flows: true };

/**
 * The plan for printing `fields`: frame fields of the capture record need no walk, header
 * fields (src/decode/header-fields.ts) the L2–L4 walk, `flowFields` (those the flow engine
 * fills) the walk and the engine; any other field (application protocols, `_ws.*`,
 * `frame.protocols`, desegmentation) the full pass.
 */
export function fieldsPlan(fields: readonly FieldDef[], flowFields: ReadonlySet<FieldDef>): ReadPlan {
  const plan: ReadPlan = { walk: 'frame', flows: false };
  for (const f of fields) {
    if (isFrameRecordField(f)) continue;
    if (flowFields.has(f)) plan.flows = true;
    else if (!isHeaderField(f)) return fullPlan;
    plan.walk = 'transport';
  }
  return plan;
}

/** The fields the flow engine fills (loading the engine declares them). */
async function flowEngineFields(): Promise<Set<FieldDef>> {
  const [{ tcpFlowFields, expertFields }, { udpFlowFields }] = await Promise.all([import('../flows/tcp-tree.js'), import('../flows/udp-streams.js')]);
  return new Set([...Object.values(tcpFlowFields), ...expertFields, ...Object.values(udpFlowFields)]);
}

/**
 * The plan widened for a display filter: the application dissectors when it reads their fields,
 * the flow engine when it reads the engine's, and at least the transport headers.
 */
function withFilterNeeds(plan: ReadPlan, filter: CompiledFilter): ReadPlan {
  if (plan.walk === 'full' || filter.needs.applications) return fullPlan;
  return { walk: 'transport', flows: plan.flows || filter.needs.flows };
}

function applyPreferences(prefs: string[] | undefined): void {
  for (const pref of prefs ?? []) {
    const m = /^([\w.]+):(.*)$/.exec(pref);
    if (!m) throw new UsageError(`-o takes PREFERENCE:VALUE, not '${pref}'`);
    const on = /^(true|1|yes)$/i.test(m[2]);
    switch (m[1]) {
      case 'ip.check_checksum': ipv4Preferences.verifyChecksum = on; break;
      case 'tcp.check_checksum': tcpPreferences.verifyChecksum = on; break;
      case 'udp.check_checksum': udpPreferences.verifyChecksum = on; break;
      default: throw new UsageError(`unknown preference '${m[1]}'`);
    }
  }
}

export async function readCommand({ opts, rest }: Parsed): Promise<number> {
  const file = (opts.read as string | undefined) ?? rest.shift();
  if (!file) throw new UsageError('read needs a capture file: wiresage read FILE (or -r FILE, - for stdin)');
  if (rest.length) throw new UsageError(`unexpected words: ${rest.join(' ')}`);
  const countOnly = !!opts.count;
  const filterGiven = opts.filter !== undefined;
  // Every field is declared once its module is loaded: the application protocols' with the
  // decoder module, the engine's (tcp.stream…) with the engine. A bare count (a walk that stops
  // at the transport layer) loads neither.
  const bareCount = countOnly && !filterGiven && opts['decode-as'] === undefined;
  const decoderModule = bareCount ? undefined : await import('../decode/decoder.js');
  const engine = bareCount ? undefined : await import('../flows/index.js');
  const filter = filterGiven ? (await import('./filter.js')).displayFilterOption(opts) : undefined;
  const limit = intOption(opts['max-packets'], '-c', 1);
  const format = opts.json ? 'json' : ((opts.output as string | undefined) ?? 'text');
  if (!['text', 'fields', 'json'].includes(format)) throw new UsageError(`-T takes text, fields or json, not '${format}'`);
  const fieldNames = (opts.field as string[] | undefined) ?? [];
  if (format === 'fields' && !fieldNames.length) throw new UsageError('-T fields needs at least one -e FIELD');
  const fields = format === 'fields' ? resolveFields(fieldNames) : [];
  applyPreferences(opts.option as string[] | undefined);
  const decodeAsSpecs = (opts['decode-as'] as string[] | undefined) ?? [];
  for (const d of decodeAsSpecs) {
    try {
      decodeAs(d);
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
  }
  if (opts['verify-checksums']) ipv4Preferences.verifyChecksum = tcpPreferences.verifyChecksum = udpPreferences.verifyChecksum = true;
  const timeStyle = Math.min(5, (opts.time as number | undefined) ?? 0) as TimeStyle;
  const nano = !!opts.nano;
  const hex = Math.max((opts.hex as number | undefined) ?? 0, (opts['hex-ascii'] as number | undefined) ?? 0);
  const ascii = !!opts['hex-ascii'];
  const verbose = !!opts.verbose;
  const quiet = !!opts.quiet || countOnly;

  // What the run decodes. A port given to another dissector (-d) may put any layer above the
  // transport header: decode everything then.
  let plan: ReadPlan = countOnly ? { walk: 'transport', flows: false } : format === 'fields' ? fieldsPlan(fields, await flowEngineFields()) : fullPlan;
  if (decodeAsSpecs.length) plan = fullPlan;
  if (filter) plan = withFilterNeeds(plan, filter);
  const out = new Output();
  const decoder = new Decoder({ transportOnly: plan.walk === 'transport', frameOnly: plan.walk === 'frame' });
  const flows = plan.flows ? new engine!.FlowEngine({ packetExperts: true }) : undefined;
  flows?.attach(decoder);
  let emit: (p: Packet) => void;
  let finish = () => {};

  if (format === 'fields') {
    const layout = fieldsLayout(opts['field-option'] as string[] | undefined);
    // Loaded here: it brings the display filter's direct readers and the engine's note types.
    const values: FieldValues = new (await import('./field-values.js')).FieldValues(fields, protocolIdOf);
    const writeLine = fieldsLineWriter(fields, layout, out);
    if (layout.header) out.line(fieldNames.join(layout.separator));
    emit = (p) => writeLine(values.of(p));
  } else if (format === 'json') {
    const { dissectTree } = decoderModule!;
    let first = true;
    out.write('[\n');
    emit = (p) => {
      const t = new TreeSink();
      dissectTree(p, t);
      out.write(`${first ? '' : ',\n'}${JSON.stringify(packetJson(t.roots), null, 2).replace(/^/gm, '  ')}`);
      first = false;
    };
    finish = () => out.write('\n]\n');
  } else {
    const dissectTree = decoderModule?.dissectTree;
    emit = (p) => {
      if (quiet) return;
      if (verbose) {
        const t = new TreeSink();
        dissectTree!(p, t);
        out.line(treeText(t.roots).join('\n'));
        if (hex) out.line(hexDump(p.data, 0, p.data.length, true));
        out.line('');
        return;
      }
      const time = timeText(p, timeStyle, nano);
      out.line(time ? `${time} ${packetSummary(p)}` : packetSummary(p));
      if (hex) {
        const from = hex >= 2 ? 0 : p.netLayer >= 0 && p.bufIndex[p.netLayer] === 0 ? p.start[p.netLayer] : layerAfterLink(p);
        out.line(hexDump(p.data, from, p.data.length, ascii));
      }
    };
  }

  const reader = await openCapture(file);
  let count = 0;
  let seen = 0;
  try {
    await reader.forEach((r) => {
      const p = decoder.decode(r);
      flows?.packet(p);
      seen++;
      if (!filter || filter.matches(p)) {
        emit(p);
        count++;
      }
      if (out.closed) return false;
      // -c counts packets read, as tshark's -c with -Y does.
      return limit === undefined || seen < limit;
    });
  } finally {
    finish();
    if (countOnly) out.line(`${count} packets`);
    out.flush();
    reader.close();
  }
  return 0;
}

function layerAfterLink(p: Packet): number {
  return p.layers > 2 && p.bufIndex[2] === 0 ? p.start[2] : 0;
}
