/**
 * `wiresage doctor FILE…`: reads captures and says what is wrong with the connections in them,
 * why the evidence points there, and what to do next (src/diagnosis). Terminal report (colours
 * on a TTY only), `--format md`, `--json` (schema in src/diagnosis/finding.ts), `--lang zh`.
 * With several captures (e.g. client side and server side) failed connections are also looked
 * up packet by packet in the others (`path.drop`, `path.nat`). Exit code: 0 nothing at warning level or above, 1 warnings or errors found (or unreadable
 * input), 2 usage error. `-Y FILTER` restricts the diagnosis to the connections (and ICMP
 * errors) with a packet matching the display filter; the analysis still sees every packet.
 */
import { diagnoseFiles, renderMarkdown, renderText, toJson, writeJson, type Lang } from '../diagnosis/index.js';
import { UsageError, type OptionSpec, type Parsed } from './args.js';
import { displayFilterLongSpec, displayFilterOption, displayFilterOptionSpec } from './filter.js';
import { Output } from './output.js';

export const doctorOptions: OptionSpec[] = [
  { name: 'read', short: 'r', kind: 'list', arg: 'FILE', help: 'capture file to read (also accepted as plain arguments; several allowed)' },
  { name: 'format', kind: 'value', arg: 'FMT', help: 'text (default) or md' },
  { name: 'json', kind: 'flag', help: 'JSON document {version, files, findings} (schema in src/diagnosis/finding.ts)' },
  { name: 'lang', kind: 'value', arg: 'LANG', help: 'en (default) or zh' },
  { name: 'color', kind: 'flag', help: 'colours even when stdout is not a terminal' },
  { name: 'no-color', kind: 'flag', help: 'no colours' },
  { ...displayFilterOptionSpec, help: 'diagnose only connections with a packet matching this display filter (e.g. "tcp.port == 1521"); every packet is still analysed; also --display-filter' },
  displayFilterLongSpec,
];

export async function doctorCommand({ opts, rest }: Parsed): Promise<number> {
  const files = [...((opts.read as string[] | undefined) ?? []), ...rest];
  if (!files.length) throw new UsageError('doctor needs a capture file: wiresage doctor FILE [--json|--format md] [--lang zh]');
  const lang = ((opts.lang as string | undefined) ?? 'en') as Lang;
  if (lang !== 'en' && lang !== 'zh') throw new UsageError(`--lang takes en or zh, not '${lang}'`);
  const format = (opts.format as string | undefined) ?? (opts.json ? 'json' : 'text');
  if (!['text', 'md', 'json'].includes(format)) throw new UsageError(`--format takes text, md or json, not '${format}'`);
  const filter = displayFilterOption(opts);
  const progress = process.stderr.isTTY;
  // Captures from several points (client and server side, both sides of a NAT) are compared
  // packet by packet (src/diagnosis/compare.ts): their packets are fingerprinted on the way,
  // each capture in its own worker thread (src/diagnosis/parallel.ts). WIRESAGE_WORKERS=0 reads
  // them one after the other on this thread.
  const workers = process.env.WIRESAGE_WORKERS !== undefined && /^\d+$/.test(process.env.WIRESAGE_WORKERS) ? Number(process.env.WIRESAGE_WORKERS) : undefined;
  const { all, findings, stories } = await diagnoseFiles(files, { progress: progress ? (file, n) => process.stderr.write(`\r${file}: ${n} frames…`) : undefined, filter, workers });
  if (progress) process.stderr.write('\r\x1b[K');
  const out = new Output();
  if (format === 'json') {
    // As JSON.stringify(doc, null, 2), written finding by finding (a comparison of unrelated captures has thousands).
    writeJson(toJson(findings, all, lang, stories), (s) => out.write(s));
    out.newline();
  }
  else if (format === 'md') out.write(renderMarkdown(findings, all, lang, stories));
  else out.write(renderText(findings, all, lang, !opts['no-color'] && (Boolean(opts.color) || process.stdout.isTTY === true), stories));
  out.flush();
  return findings.some((f) => f.severity !== 'info') ? 1 : 0;
}
