/**
 * The system's tcpdump as a {@link CaptureSource} (`--backend tcpdump`): the fallback when the
 * addon cannot be built or loaded. tcpdump writes a pcap stream to a pipe (`-w -`,
 * nanosecond timestamps); this source cuts the stream into batches of whole records, so the
 * rest of the pipeline cannot tell the two backends apart. Stats come from tcpdump's closing
 * lines on stderr. Inside a network namespace it runs as `nsenter --net=PATH tcpdump …`.
 *
 * The stream part is generic ({@link PcapStreamSource}): remote capture (remote.ts) reads the
 * pcap stream of `ssh HOST tcpdump -w -` the same way. Records are handed on in this host's
 * byte order with nanosecond fractions whatever the writer used (a remote host may differ).
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { linkTypeByName, linkTypeName, LINKTYPE_ETHERNET, LINKTYPE_LINUX_SLL, LINKTYPE_LINUX_SLL2 } from '../file/linktype.js';
import { parsePcapFileHeader, PCAP_FILE_HEADER_LENGTH, PCAP_RECORD_HEADER_LENGTH } from '../file/pcap.js';
import {
  CaptureOpenError, CaptureRuntimeError, DEFAULT_SNAPLEN,
  type BatchCallback, type CaptureOpenCode, type CaptureSource, type CaptureSourceOptions, type CaptureStats,
} from './source.js';

const hostLittleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** How a child that writes a pcap stream is described and its failures explained. */
export interface StreamChild {
  /** argv of the child (argv[0] is looked up in PATH). */
  argv: string[];
  backend: 'tcpdump' | 'ssh';
  /** Name in messages ("tcpdump", "ssh root@db1"). */
  name: string;
  /** Turns the child's stderr (and exit status) into an open error; default: tcpdump's. */
  explain?: (stderr: string, status: number | null) => { message: string; code: CaptureOpenCode };
  /** Why the child stopped during the capture (stderr without the counters); default: tcpdump's. */
  explainExit?: (stderr: string, status: number | null, signal: NodeJS.Signals | null) => string;
  /** Sent to the child to stop it gracefully (default SIGINT); a function for other ways (closing stdin). */
  stop?: (child: ChildProcessByStdio<Writable, Readable, Readable>) => void;
  /** Message when argv[0] is not installed. */
  missing?: string;
}

/** tcpdump's DLT names (-y and "link-type X") where they differ from the LINKTYPE names. */
const DLT_NAMES: Record<string, number> = { EN10MB: LINKTYPE_ETHERNET };
const NAME_OF_LINKTYPE: Record<number, string> = { [LINKTYPE_ETHERNET]: 'EN10MB', [LINKTYPE_LINUX_SLL]: 'LINUX_SLL', [LINKTYPE_LINUX_SLL2]: 'LINUX_SLL2' };

/** The tcpdump command line for a source's options. */
export function tcpdumpArgs(o: CaptureSourceOptions): string[] {
  const args = ['-i', o.device, '-w', '-', '-s', String(o.snapLen || DEFAULT_SNAPLEN), '--time-stamp-precision=nano'];
  if (o.promisc === false) args.push('-p');
  if (o.bufferSize) args.push('-B', String(Math.ceil(o.bufferSize / 1024)));
  if (o.direction) args.push('-Q', o.direction);
  if (o.linkType !== undefined) args.push('-y', NAME_OF_LINKTYPE[o.linkType] ?? String(o.linkType));
  if (o.packetBuffered) args.push('-U');
  if (o.immediate) args.push('--immediate-mode');
  if (o.filter) args.push(o.filter);
  return args;
}

export class PcapStreamSource implements CaptureSource {
  readonly backend: 'tcpdump' | 'ssh';
  readonly device: string;
  readonly label: string;
  readonly littleEndian = hostLittleEndian;
  readonly nanosecond = true;
  readonly filter?: string;
  readonly warning?: string;
  linkType: number;
  snapLen: number;
  private onBatch: BatchCallback | undefined;
  private onError: ((e: Error) => void) | undefined;
  private carry: Buffer | undefined;
  private header: { littleEndian: boolean; nanosecond: boolean } | undefined;
  private stopping = false;
  private exited: Promise<void>;
  private stderr = '';
  private lastStats: CaptureStats | null = null;
  private readonly immediate: boolean;

  protected constructor(private readonly child: ChildProcessByStdio<Writable, Readable, Readable>, options: CaptureSourceOptions,
    linkType: number, private readonly how: StreamChild) {
    this.backend = how.backend;
    this.device = options.device;
    this.label = options.label ?? options.device;
    this.immediate = !!options.immediate;
    this.linkType = linkType;
    this.snapLen = options.snapLen || DEFAULT_SNAPLEN;
    if (options.filter) this.filter = options.filter;
    this.exited = new Promise((resolve) => child.once('close', () => resolve()));
    child.stdin.on('error', () => {}); // a child that is gone does not read its stdin
    child.stdout.on('data', (chunk: Buffer) => this.data(chunk));
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (text: string) => { this.stderr += text; });
    child.once('close', (code, signal) => {
      this.lastStats = parseTcpdumpStats(this.stderr) ?? this.lastStats;
      if (!this.stopping && this.onError) {
        const why = (how.explainExit ?? tcpdumpExit)(this.stderr, code, signal);
        this.onError(new CaptureRuntimeError(`capture on ${this.label} stopped: ${why}`, this.device));
      }
    });
  }

  /** Starts the child and waits until it says it is listening; throws CaptureOpenError. */
  static async spawn(options: CaptureSourceOptions, how: StreamChild): Promise<PcapStreamSource> {
    const child = spawn(how.argv[0], how.argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    let announcedSnapLen = 0;
    const linkType = await new Promise<number>((resolve, reject) => {
      const onData = (chunk: Buffer) => {
        stderr += chunk.toString('utf8');
        const m = /listening on \S+(?: \([^)\n]*\))?, link-type ([^\s,]+)(?:[^\n]*snapshot length (\d+))?/.exec(stderr);
        if (m) {
          child.stderr.off('data', onData);
          child.off('close', onClose);
          if (m[2]) announcedSnapLen = Number(m[2]);
          resolve(DLT_NAMES[m[1]] ?? linkTypeByName(m[1]) ?? LINKTYPE_ETHERNET);
        }
      };
      const onClose = (code: number | null) => {
        const { message, code: why } = (how.explain ?? tcpdumpOpenError)(stderr, code);
        reject(new CaptureOpenError(message, why, options.device));
      };
      child.once('error', (e: NodeJS.ErrnoException) => {
        child.off('close', onClose);
        reject(new CaptureOpenError(e.code === 'ENOENT' ? how.missing ?? `${how.argv[0]} is not installed`
          : `cannot start ${how.argv[0]}: ${e.message}`, 'OTHER', options.device));
      });
      child.stdin.on('error', () => {});
      child.stderr.on('data', onData);
      child.once('close', onClose);
    });
    const source = new PcapStreamSource(child, options, linkType, how);
    source.stderr = stderr;
    if (announcedSnapLen) source.snapLen = announcedSnapLen;
    return source;
  }

  start(onBatch: BatchCallback, onError: (error: Error) => void): void {
    this.onBatch = onBatch;
    this.onError = onError;
  }

  private data(chunk: Buffer): void {
    let bytes = this.carry ? Buffer.concat([this.carry, chunk]) : chunk;
    this.carry = undefined;
    if (!this.header) {
      if (bytes.length < PCAP_FILE_HEADER_LENGTH) {
        this.carry = bytes;
        return;
      }
      let header;
      try {
        header = parsePcapFileHeader(bytes.subarray(0, PCAP_FILE_HEADER_LENGTH), `${this.how.name} -i ${this.device}`);
      } catch (e) {
        this.fail(`not a pcap stream: ${(e as Error).message}`);
        return;
      }
      // The interface was described (pcapng IDB) from the "listening on" line: a stream of
      // another link type would be mislabelled, so that is an error, not a guess.
      if (header.linkType !== this.linkType && this.onBatch) {
        this.fail(`the stream's link type ${linkTypeName(header.linkType)} is not the announced ${linkTypeName(this.linkType)}`);
        return;
      }
      this.linkType = header.linkType;
      this.header = { littleEndian: header.littleEndian, nanosecond: header.nanosecond };
      bytes = bytes.subarray(PCAP_FILE_HEADER_LENGTH);
    }
    // Cut at the last whole record.
    let position = 0;
    const le = this.header.littleEndian;
    while (bytes.length - position >= PCAP_RECORD_HEADER_LENGTH) {
      const capLen = le ? bytes.readUInt32LE(position + 8) : bytes.readUInt32BE(position + 8);
      if (capLen > 0x4000000) {
        this.fail(`the pcap stream is damaged (a record of ${capLen} bytes)`);
        return;
      }
      const next = position + PCAP_RECORD_HEADER_LENGTH + capLen;
      if (next > bytes.length) break;
      position = next;
    }
    if (position < bytes.length) this.carry = Buffer.from(bytes.subarray(position));
    if (position === 0 || !this.onBatch) return;
    let batch = bytes.subarray(0, position);
    if (le !== hostLittleEndian || !this.header.nanosecond) batch = normalise(batch, le, this.header.nanosecond);
    this.onBatch(batch);
  }

  private fail(message: string): void {
    if (this.stopping) return;
    this.stopping = true;
    this.child.kill('SIGKILL');
    this.onError?.(new CaptureRuntimeError(`capture on ${this.label} stopped: ${message}`, this.device));
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.stopping = true;
      // tcpdump drops what the kernel still holds in a partly filled block when interrupted;
      // its block timeout is 1 s (no option changes it), so let that block reach it first.
      if (!this.immediate) await new Promise((resolve) => setTimeout(resolve, 1100));
      // tcpdump flushes its file and prints its counters on SIGINT.
      if (this.how.stop) this.how.stop(this.child);
      else this.child.kill('SIGINT');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
      await this.exited;
      clearTimeout(timer);
    } else {
      await this.exited;
    }
  }

  stats(): CaptureStats | null {
    return this.lastStats;
  }

  close(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.stopping = true;
      this.child.kill('SIGKILL');
    }
  }
}

/** Records [0, end) rewritten in this host's byte order with nanosecond fractions. */
function normalise(batch: Buffer, littleEndian: boolean, nanosecond: boolean): Buffer {
  const out = Buffer.from(batch);
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  for (let p = 0; p + PCAP_RECORD_HEADER_LENGTH <= out.length;) {
    const sec = view.getUint32(p, littleEndian);
    const fraction = view.getUint32(p + 4, littleEndian);
    const capLen = view.getUint32(p + 8, littleEndian);
    const origLen = view.getUint32(p + 12, littleEndian);
    view.setUint32(p, sec, hostLittleEndian);
    view.setUint32(p + 4, nanosecond ? fraction : fraction * 1000, hostLittleEndian);
    view.setUint32(p + 8, capLen, hostLittleEndian);
    view.setUint32(p + 12, origLen, hostLittleEndian);
    p += PCAP_RECORD_HEADER_LENGTH + capLen;
  }
  return out;
}

/** The local tcpdump (inside a network namespace through nsenter when options.netns is set). */
export class TcpdumpSource extends PcapStreamSource {
  /** Starts tcpdump and waits until it says it is listening; throws CaptureOpenError. */
  static async open(options: CaptureSourceOptions, command = 'tcpdump'): Promise<PcapStreamSource> {
    const argv = [command, ...tcpdumpArgs(options)];
    return PcapStreamSource.spawn(options, {
      argv: options.netns ? ['nsenter', `--net=${options.netns}`, ...argv] : argv,
      backend: 'tcpdump', name: 'tcpdump',
      missing: `${options.netns ? 'nsenter (util-linux) or ' : ''}${command} is not installed (apt-get install tcpdump), so --backend tcpdump cannot capture`,
    });
  }
}

function tcpdumpOpenError(stderr: string, status: number | null): { message: string; code: CaptureOpenCode } {
  const text = stderr.trim().replace(/^tcpdump: /gm, '');
  if (/^nsenter: /m.test(text)) {
    const code = /No such file|cannot open/i.test(text) ? 'NETNS_GONE' : /not permitted/i.test(text) ? 'NETNS_PERM' : 'NETNS';
    return { message: text, code };
  }
  return { message: `tcpdump: ${text || `exited with status ${status}`}`, code: classify(text) };
}

function tcpdumpExit(stderr: string, status: number | null, signal: NodeJS.Signals | null): string {
  const last = stderr.trim().split('\n').filter((l) => !/packets (captured|received|dropped)/.test(l)).slice(-2).join('; ');
  return `tcpdump exited (${signal ?? `status ${status}`})${last ? `: ${last}` : ''}`;
}

function classify(text: string): CaptureOpenError['code'] {
  if (/No such device|doesn't exist|no suitable device/i.test(text)) return 'NO_SUCH_DEVICE';
  if (/permission|not permitted/i.test(text)) return 'PERM_DENIED';
  if (/syntax error|can't parse filter|unknown (host|port|protocol)|filter expression/i.test(text)) return 'FILTER';
  if (/not up/i.test(text)) return 'IFACE_NOT_UP';
  return 'OTHER';
}

/** tcpdump's closing counters, or null when they are not (yet) on stderr. */
export function parseTcpdumpStats(stderr: string): CaptureStats | null {
  const count = (what: string) => {
    const m = new RegExp(`(\\d+) packets? ${what}`).exec(stderr);
    return m ? Number(m[1]) : undefined;
  };
  const received = count('received by filter');
  if (received === undefined) return null;
  return { received, dropped: count('dropped by kernel') ?? 0, ifDropped: count('dropped by interface') ?? 0 };
}
