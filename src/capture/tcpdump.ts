/**
 * The system's tcpdump as a {@link CaptureSource} (`--backend tcpdump`): the fallback when the
 * addon cannot be built or loaded. tcpdump writes a pcap stream to a pipe (`-w -`,
 * nanosecond timestamps); this source cuts the stream into batches of whole records, so the
 * rest of the pipeline cannot tell the two backends apart. Stats come from tcpdump's closing
 * lines on stderr.
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable } from 'node:stream';
import { linkTypeByName, LINKTYPE_ETHERNET, LINKTYPE_LINUX_SLL, LINKTYPE_LINUX_SLL2 } from '../file/linktype.js';
import { parsePcapFileHeader, PCAP_FILE_HEADER_LENGTH, PCAP_RECORD_HEADER_LENGTH } from '../file/pcap.js';
import {
  CaptureOpenError, CaptureRuntimeError, DEFAULT_SNAPLEN,
  type BatchCallback, type CaptureSource, type CaptureSourceOptions, type CaptureStats,
} from './source.js';

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

export class TcpdumpSource implements CaptureSource {
  readonly backend = 'tcpdump' as const;
  readonly device: string;
  readonly littleEndian: boolean;
  readonly nanosecond = true;
  readonly filter?: string;
  readonly warning?: string;
  linkType: number;
  snapLen: number;
  private onBatch: BatchCallback | undefined;
  private onError: ((e: Error) => void) | undefined;
  private carry: Buffer | undefined;
  private headerSeen = false;
  private stopping = false;
  private exited: Promise<void>;
  private stderr = '';
  private lastStats: CaptureStats | null = null;
  private readonly immediate: boolean;

  private constructor(private readonly child: ChildProcessByStdio<null, Readable, Readable>, options: CaptureSourceOptions, linkType: number) {
    this.device = options.device;
    this.immediate = !!options.immediate;
    this.linkType = linkType;
    this.snapLen = options.snapLen || DEFAULT_SNAPLEN;
    this.littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1; // tcpdump writes host order
    if (options.filter) this.filter = options.filter;
    this.exited = new Promise((resolve) => child.once('close', () => resolve()));
    child.stdout.on('data', (chunk: Buffer) => this.data(chunk));
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (text: string) => { this.stderr += text; });
    child.once('close', (code, signal) => {
      this.lastStats = parseTcpdumpStats(this.stderr) ?? this.lastStats;
      if (!this.stopping && this.onError) {
        const last = this.stderr.trim().split('\n').filter((l) => !/packets (captured|received|dropped)/.test(l)).slice(-2).join('; ');
        this.onError(new CaptureRuntimeError(`capture on ${this.device} stopped: tcpdump exited (${signal ?? `status ${code}`})${last ? `: ${last}` : ''}`, this.device));
      }
    });
  }

  /** Starts tcpdump and waits until it says it is listening; throws CaptureOpenError. */
  static async open(options: CaptureSourceOptions, command = 'tcpdump'): Promise<TcpdumpSource> {
    const child = spawn(command, tcpdumpArgs(options), { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    const linkType = await new Promise<number>((resolve, reject) => {
      const onData = (chunk: Buffer) => {
        stderr += chunk.toString('utf8');
        const m = /listening on \S+, link-type (\S+)/.exec(stderr);
        if (m) {
          child.stderr.off('data', onData);
          child.off('close', onClose);
          resolve(DLT_NAMES[m[1]] ?? linkTypeByName(m[1]) ?? LINKTYPE_ETHERNET);
        }
      };
      const onClose = (code: number | null) => {
        const text = stderr.trim().replace(/^tcpdump: /gm, '');
        reject(new CaptureOpenError(`tcpdump: ${text || `exited with status ${code}`}`, classify(text), options.device));
      };
      child.once('error', (e: NodeJS.ErrnoException) => {
        child.off('close', onClose);
        reject(new CaptureOpenError(e.code === 'ENOENT'
          ? `${command} is not installed (apt-get install tcpdump), so --backend tcpdump cannot capture`
          : `cannot start ${command}: ${e.message}`, 'OTHER', options.device));
      });
      child.stderr.on('data', onData);
      child.once('close', onClose);
    });
    const source = new TcpdumpSource(child, options, linkType);
    source.stderr = stderr;
    return source;
  }

  start(onBatch: BatchCallback, onError: (error: Error) => void): void {
    this.onBatch = onBatch;
    this.onError = onError;
  }

  private data(chunk: Buffer): void {
    let bytes = this.carry ? Buffer.concat([this.carry, chunk]) : chunk;
    this.carry = undefined;
    if (!this.headerSeen) {
      if (bytes.length < PCAP_FILE_HEADER_LENGTH) {
        this.carry = bytes;
        return;
      }
      const header = parsePcapFileHeader(bytes.subarray(0, PCAP_FILE_HEADER_LENGTH), `tcpdump -i ${this.device}`);
      this.linkType = header.linkType;
      this.snapLen = header.snapLen;
      this.headerSeen = true;
      bytes = bytes.subarray(PCAP_FILE_HEADER_LENGTH);
    }
    // Cut at the last whole record.
    let position = 0;
    const le = this.littleEndian;
    while (bytes.length - position >= PCAP_RECORD_HEADER_LENGTH) {
      const capLen = le ? bytes.readUInt32LE(position + 8) : bytes.readUInt32BE(position + 8);
      const next = position + PCAP_RECORD_HEADER_LENGTH + capLen;
      if (next > bytes.length) break;
      position = next;
    }
    if (position < bytes.length) this.carry = Buffer.from(bytes.subarray(position));
    if (position > 0 && this.onBatch) this.onBatch(bytes.subarray(0, position));
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.stopping = true;
      // tcpdump drops what the kernel still holds in a partly filled block when interrupted;
      // its block timeout is 1 s (no option changes it), so let that block reach it first.
      if (!this.immediate) await new Promise((resolve) => setTimeout(resolve, 1100));
      this.child.kill('SIGINT'); // tcpdump flushes its file and prints its counters
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
