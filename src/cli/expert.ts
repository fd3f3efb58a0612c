/**
 * `wiresage expert FILE`: expert information grouped by severity and kind, with counts, as
 * `tshark -q -z expert` prints it, plus the first frame of each kind (`--tshark` for
 * tshark's exact layout, `--json` for one object per kind with its first frames). `-Y FILTER`
 * counts only the items of matching packets, as `tshark -q -z expert,FILTER`.
 */
import { Decoder } from '../decode/decoder.js';
import { openCapture } from '../file/open.js';
import type { CompiledFilter } from '../filter/index.js';
import { FlowEngine } from '../flows/index.js';
import { ExpertTally, expertGroupText, expertText, type ExpertGroupRow } from '../flows/expert.js';
import { filteredPass, tallyPacketExperts } from '../flows/pass.js';
import { UsageError, type OptionSpec, type Parsed } from './args.js';
import { displayFilterLongSpec, displayFilterOption, displayFilterOptionSpec } from './filter.js';
import { Output } from './output.js';

export const expertOptions: OptionSpec[] = [
  { name: 'read', short: 'r', kind: 'value', arg: 'FILE', help: 'capture file to read (- for stdin)' },
  { name: 'json', kind: 'flag', help: 'one JSON object per kind, with its first frames' },
  { name: 'tshark', kind: 'flag', help: "tshark's layout exactly (no first-frame column)" },
  { name: 'severity', kind: 'value', arg: 'LEVEL', help: 'only items at least this severe: error, warn, note, chat' },
  { ...displayFilterOptionSpec, help: "count only the items of packets matching this display filter (tshark's -z expert,FILTER; TCP analysis still runs over every packet); also --display-filter" },
  displayFilterLongSpec,
];

const rank = { error: 3, warn: 2, note: 1, chat: 0 } as const;

/**
 * Counts the expert items of a capture as `tshark -q -z expert` does: every packet dissected
 * (application protocols included) and analysed. With a filter, the items of matching packets.
 */
export async function collectExperts(file: string, filter?: CompiledFilter): Promise<ExpertGroupRow[]> {
  const tally = new ExpertTally();
  // Without a filter no byte of a reassembled PDU's opaque part is read: it is not copied (Packet.elideOpaque).
  await filteredPass(file, new Decoder({ elideOpaque: !filter }), new FlowEngine({ packetExperts: true }), filter, (p, matched) => {
    if (matched) tallyPacketExperts(tally, p);
  });
  return tally.rows();
}

/** The table with a first-frame column: tshark's layout otherwise. */
function expertTextWithFrames(rows: readonly ExpertGroupRow[]): string {
  const order = ['error', 'warn', 'note', 'chat'] as const;
  const names = { error: 'Errors', warn: 'Warns', note: 'Notes', chat: 'Chats' };
  let out = '';
  for (const sev of order) {
    const mine = rows.filter((r) => r.severity === sev);
    if (!mine.length) continue;
    out += `\n${names[sev]} (${mine.reduce((n, r) => n + r.count, 0)})\n=============\n`;
    out += '   Frequency      Group           Protocol       First  Summary\n';
    for (const r of mine) {
      out += `${String(r.count).padStart(12)} ${expertGroupText(r.group).padStart(10)} ${r.protocol.padStart(18)} ${String(r.firstFrame).padStart(11)}  ${r.summary}\n`;
    }
  }
  return out;
}

export async function expertCommand({ opts, rest }: Parsed): Promise<number> {
  const file = (opts.read as string | undefined) ?? rest.shift();
  if (!file) throw new UsageError('expert needs a capture file: wiresage expert FILE');
  if (rest.length) throw new UsageError(`unexpected words: ${rest.join(' ')}`);
  const filter = displayFilterOption(opts);
  const min = opts.severity as string | undefined;
  if (min !== undefined && !(min in rank)) throw new UsageError(`--severity takes error, warn, note or chat, not '${min}'`);
  let rows = await collectExperts(file, filter);
  if (min !== undefined) rows = rows.filter((r) => rank[r.severity] >= rank[min as keyof typeof rank]);
  const out = new Output();
  if (opts.json) {
    for (const r of rows) out.line(JSON.stringify(r));
  } else {
    out.write(opts.tshark ? expertText(rows) : expertTextWithFrames(rows));
  }
  out.flush();
  return 0;
}
