/**
 * `wiresage follow FILE --stream N` (or `--endpoints A:PORT,B:PORT`): one TCP connection's
 * reassembled conversation, client bytes and server bytes told apart, as
 * `tshark -q -z follow,tcp,ascii,N` shows it (`--format hex|raw|json` for the other forms).
 * `-Y FILTER` instead of `--stream` follows the connection of the first packet matching the
 * display filter (Wireshark's "select the packet, Follow TCP Stream"): the filter sees the
 * stream numbers, TCP analysis and application fields of a one-pass tshark run.
 */
import { Decoder } from '../decode/decoder.js';
import { openCapture } from '../file/open.js';
import type { CompiledFilter } from '../filter/index.js';
import { FlowEngine } from '../flows/index.js';
import { TcpFollow, type FollowFormat, type FollowTarget } from '../flows/follow.js';
import { FlowPacket, fromDecoded, Walk } from '../flows/headers.js';
import { filteredPass } from '../flows/pass.js';
import { intOption, UsageError, type OptionSpec, type Parsed } from './args.js';
import { displayFilterLongSpec, displayFilterOption, displayFilterOptionSpec } from './filter.js';
import { Output } from './output.js';

export const followOptions: OptionSpec[] = [
  { name: 'read', short: 'r', kind: 'value', arg: 'FILE', help: 'capture file to read (- for stdin)' },
  { name: 'stream', kind: 'value', arg: 'N', help: 'tcp.stream index to follow' },
  { name: 'endpoints', kind: 'value', arg: 'A:P,B:P', help: 'follow the first stream between these two endpoints ([v6]:port for IPv6)' },
  { ...displayFilterOptionSpec, help: 'follow the TCP stream of the first packet matching this display filter (e.g. "tcp.flags.reset == 1"); also --display-filter' },
  displayFilterLongSpec,
  { name: 'format', kind: 'value', arg: 'FMT', help: 'ascii (default), hex, raw or json' },
  { name: 'ascii', kind: 'flag' },
  { name: 'hex', kind: 'flag' },
  { name: 'raw', kind: 'flag' },
  { name: 'json', kind: 'flag' },
];

/** Parses `10.0.0.1:80` or `[2001:db8::1]:443`. */
function endpoint(text: string): { addr: string; port: number } {
  const m = /^\[([0-9a-fA-F:.]+)\]:(\d+)$/.exec(text) ?? /^([0-9.]+):(\d+)$/.exec(text);
  if (!m || Number(m[2]) > 65535) throw new UsageError(`--endpoints takes ADDR:PORT,ADDR:PORT ([v6]:port for IPv6), not '${text}'`);
  return { addr: m[1].toLowerCase(), port: Number(m[2]) };
}

/** The tcp.stream of the first (not ICMP-quoted) TCP packet matching `filter`, or undefined. */
export async function firstMatchingStream(file: string, filter: CompiledFilter): Promise<number | undefined> {
  let stream: number | undefined;
  const engine = new FlowEngine();
  const fp = new FlowPacket();
  await filteredPass(file, new Decoder(), engine, filter, (p, matched) => {
    if (!matched || !engine.tcpNote.valid || fromDecoded(fp, p) !== Walk.Found || fp.quoted || fp.proto !== 6) return true;
    stream = engine.tcpNote.stream;
    return false;
  });
  return stream;
}

export async function followCommand({ opts, rest }: Parsed): Promise<number> {
  const file = (opts.read as string | undefined) ?? rest.shift();
  if (!file) throw new UsageError('follow needs a capture file: wiresage follow FILE --stream N');
  if (rest.length) throw new UsageError(`unexpected words: ${rest.join(' ')}`);
  const filter = displayFilterOption(opts);
  if (filter && (opts.stream !== undefined || opts.endpoints !== undefined)) throw new UsageError('-Y picks the stream itself: give -Y, --stream or --endpoints, not several');
  if (filter && file === '-') throw new UsageError('follow -Y reads the capture twice: it needs a file, not stdin');
  let target: FollowTarget;
  if (filter) {
    const stream = await firstMatchingStream(file, filter);
    if (stream === undefined) {
      process.stderr.write(`wiresage follow: no TCP packet matches the filter ${filter.text}\n`);
      return 1;
    }
    target = { stream };
  } else if (opts.stream !== undefined) {
    target = { stream: intOption(opts.stream, '--stream', 0)! };
  } else if (opts.endpoints !== undefined) {
    const parts = String(opts.endpoints).split(/,(?![^[]*\])/);
    if (parts.length !== 2) throw new UsageError('--endpoints takes two endpoints: ADDR:PORT,ADDR:PORT');
    const [a, b] = parts.map(endpoint);
    target = { a: a.addr, aPort: a.port, b: b.addr, bPort: b.port };
  } else {
    throw new UsageError('follow needs --stream N, --endpoints A:PORT,B:PORT or -Y FILTER');
  }
  const flags = (['ascii', 'hex', 'raw', 'json'] as const).filter((f) => opts[f]);
  if (flags.length > 1) throw new UsageError('choose one of --ascii, --hex, --raw, --json');
  const format = (opts.format as string | undefined) ?? flags[0] ?? 'ascii';
  if (!['ascii', 'hex', 'raw', 'json'].includes(format)) throw new UsageError(`--format takes ascii, hex, raw or json, not '${format}'`);
  const out = new Output();
  const follow = new TcpFollow(target, format as FollowFormat, (t) => out.write(t));
  const engine = new FlowEngine({ onTcpSegment: follow.segment });
  const reader = await openCapture(file);
  try {
    await reader.forEach((r) => {
      engine.record(r);
      return !out.closed;
    });
  } finally {
    reader.close();
  }
  follow.finish();
  out.flush();
  return 0;
}
