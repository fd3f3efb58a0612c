/**
 * Capture files on disk: tcpdump's -w/-C/-W/-G semantics plus wiresage's guarantees.
 *
 * - Names as tcpdump: `-C` alone gives `file`, `file1`, `file2`…; with `-W N` the number is
 *   zero-padded to the width of N-1 and starts at 0 (`file0`…); `-G` expands strftime
 *   conversions with the time of the first packet of the file (and `-C` then numbers the
 *   files of one period from 0 again).
 * - Ring buffer (`-C` with `-W`, or `-G` with `-C` and `-W`): at most N files. A new file is
 *   written under a temporary name and renamed over the oldest one only once it is a valid
 *   capture file (header and interfaces written), so at every moment the ring holds N readable
 *   files. Each ring file is kept below `C` minus one file header, so N files and the one
 *   header of the file being prepared never exceed N×C bytes.
 * - `-G` with `-W` (no `-C`): stop after N files, as tcpdump does.
 * - Every write is a run of whole records; when it fails (ENOSPC, EIO, EFBIG) the file is cut
 *   back to the end of the last whole record, so the last file is always valid, and the
 *   error says so.
 *
 * Records arrive as batches of classic-pcap records (see source.ts). pcap output writes them
 * as they are (one write per run); pcapng output converts each run into Enhanced Packet Blocks
 * in one scratch buffer.
 *
 * @example
 * const files = new CaptureFiles({ path: 'ring', format: 'pcapng', fileSize: 10e6, fileCount: 5, interfaces });
 * files.write(0, batch, view, 0, batch.length);
 * files.close();
 */
import * as fs from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { PcapngWriter, PcapWriter, type ByteSink } from '../file/writer.js';
import { tryAddon } from './addon.js';
import type { CaptureStats } from './source.js';
import { strftime } from './strftime.js';

/** One capture point as the files describe it (a pcapng IDB; the pcap header's link type). */
export interface OutputInterface {
  name: string;
  linkType: number;
  snapLen: number;
  /** Record fractions are nanoseconds (else microseconds). */
  nanosecond: boolean;
  /** Byte order of the record headers the source delivers. */
  littleEndian: boolean;
  filter?: string;
}

export interface CaptureFilesOptions {
  /** -w: file name, a strftime template with rotateSeconds. */
  path: string;
  format: 'pcap' | 'pcapng';
  interfaces: OutputInterface[];
  /** pcapng section comment (wiresage records its command line there). */
  comment?: string;
  /** -C in bytes. */
  fileSize?: number;
  /** -W */
  fileCount?: number;
  /** -G */
  rotateSeconds?: number;
  /** --max-size: stop once this many bytes were written in all (counting files since deleted). */
  maxBytes?: number;
  /** A byte count shared by several CaptureFiles (--split): maxBytes then bounds them together. */
  shared?: { bytes: number };
  /** Counters per interface, written as pcapng Interface Statistics Blocks when a file is closed. */
  statistics?: () => (CaptureStats | null)[];
  /** Called with each file name once it is complete (closed). */
  onFileClosed?: (path: string) => void;
  /** Build pcapng blocks with the addon when it is loaded (default true; false tests the JS path). */
  nativeConversion?: boolean;
  /** Time of the first file's name when it is opened before any packet (-G); default now. */
  now?: () => number;
}

/** A write failed; the file named holds every record before the failed write. */
export class CaptureWriteError extends Error {
  /** Bytes of the failed write that were kept (whole records). */
  kept = 0;

  constructor(message: string, readonly path: string, readonly code?: string) {
    super(message);
    this.name = 'CaptureWriteError';
  }
}

/** Why CaptureFiles accepts no more records. */
export type FilesFull = false | 'max-size' | 'file-count';

/**
 * A file written with direct writeSync calls, cut back to its last whole record on failure.
 * `stream`: an existing device, pipe or standard output (`-w -`, `-w /dev/null`): written in
 * place, never renamed or truncated.
 */
class SafeFile implements ByteSink {
  size = 0;
  private fd: number | undefined;
  private readonly ownsFd: boolean;

  constructor(public path: string, readonly stream = false) {
    try {
      this.ownsFd = path !== '-';
      this.fd = path === '-' ? 1 : fs.openSync(path, stream ? 'a' : 'w', 0o644);
    } catch (e) {
      throw writeError(e, path, 'create', 0);
    }
  }

  /**
   * Writes `bytes` whole. On failure the file is cut back to its last whole record: to where
   * it was, or, when `wholePrefix` is given (the longest run of whole records within the first
   * n bytes), to the end of the last record that reached the disk in full, so a disk that
   * fills mid-batch keeps every packet it had room for. The error's `kept` says how many bytes
   * of `bytes` stayed.
   */
  write(bytes: Uint8Array, wholePrefix?: (n: number) => number): void {
    const fd = this.fd;
    if (fd === undefined) throw new Error(`Cannot write to ${this.path}: the file is closed`);
    let done = 0;
    try {
      // Positioned writes: after a failed write is cut back, the next one continues at the cut.
      while (done < bytes.length) {
        done += this.stream ? fs.writeSync(fd, bytes, done, bytes.length - done)
          : fs.writeSync(fd, bytes, done, bytes.length - done, this.size + done);
      }
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EAGAIN' && this.stream) {
        this.size += done;
        return this.write(bytes.subarray(done));
      }
      const kept = this.stream ? done : wholePrefix ? wholePrefix(done) : 0;
      try {
        // Always cut back: a failed write may still have moved the end of file (tmpfs does).
        if (!this.stream) fs.ftruncateSync(fd, this.size + kept);
      } catch {
        // The cut failed too; the error below still names the file.
      }
      this.size += kept;
      const error = writeError(e, this.path, 'write to', this.size);
      error.kept = kept;
      throw error;
    }
    this.size += bytes.length;
  }

  close(): void {
    if (this.fd === undefined) return;
    const fd = this.fd;
    this.fd = undefined;
    if (!this.ownsFd) return;
    try {
      fs.closeSync(fd);
    } catch (e) {
      throw writeError(e, this.path, 'close', this.size);
    }
  }
}

function writeError(e: unknown, path: string, action: string, size: number): CaptureWriteError {
  const err = e as NodeJS.ErrnoException;
  const why = err.code === 'ENOSPC' ? 'no space left on device'
    : err.code === 'EDQUOT' ? 'disk quota exceeded'
    : err.code === 'EFBIG' ? 'file too large'
    : err.code === 'EACCES' ? 'permission denied'
    : err.code === 'EROFS' ? 'read-only file system'
    : err.message;
  const kept = action === 'create' ? '' : `; the file is complete up to its last whole packet (${size} bytes)`;
  return new CaptureWriteError(`Cannot ${action} ${path}: ${why}${err.code ? ` (${err.code})` : ''}${kept}`, path, err.code);
}

/** Digits tcpdump pads -W file numbers to (getWflagChars: digits of N-1). */
function countWidth(count: number): number {
  let chars = 0;
  for (let x = count - 1; x > 0; x = Math.floor(x / 10)) chars++;
  return chars;
}

const EPB_HEADER = 28; // type, length, interface, ts high, ts low, captured, original
const BLOCK_EPB = 6;

export class CaptureFiles {
  /** Files present now (the ring), oldest first. */
  readonly files: string[] = [];
  /** Every file name opened, in order. */
  readonly created: string[] = [];
  bytesWritten = 0;
  packetsWritten = 0;
  full: FilesFull = false;
  private file: SafeFile | undefined;
  private pcapng: PcapngWriter | undefined;
  private pcap: PcapWriter | undefined;
  private fileLimit = Infinity;
  private headerSize = 0;
  private sequence = 0;
  private periodCount = 0;
  private periodStart = 0;
  private scratch = new Uint8Array(1 << 20);
  private scratchView = new DataView(this.scratch.buffer);
  private closed = false;

  constructor(private readonly o: CaptureFilesOptions) {
    if (o.format === 'pcap') {
      const [first] = o.interfaces;
      for (const i of o.interfaces) {
        if (i.linkType !== first.linkType) {
          throw new CaptureWriteError(`Cannot write interfaces of link types ${first.linkType} and ${i.linkType} to one pcap file: use -F pcapng`, o.path);
        }
        if (i.nanosecond !== first.nanosecond) {
          throw new CaptureWriteError('Cannot write interfaces with different timestamp precision to one pcap file: use -F pcapng', o.path);
        }
      }
    }
    const now = Math.floor((o.now ?? Date.now)() / 1000);
    this.periodStart = now;
    this.open(now);
  }

  /** Name of the next file (tcpdump's MakeFilename over the strftime-expanded template). */
  private nextName(tsSec: number): string {
    const template = this.o.rotateSeconds ? strftime(this.o.path, new Date(tsSec * 1000)) : this.o.path;
    if (!this.o.fileSize) return template;
    const width = this.o.fileCount ? countWidth(this.o.fileCount) : 0;
    const n = this.o.rotateSeconds ? this.periodCount : this.sequence;
    return n === 0 && width === 0 ? template : `${template}${String(n).padStart(width, '0')}`;
  }

  private open(tsSec: number): void {
    const name = this.nextName(tsSec);
    if (isStream(name)) {
      if (this.o.fileSize || this.o.rotateSeconds) throw new CaptureWriteError(`Cannot rotate ${name}: -C and -G need a regular file name`, name);
      const file = new SafeFile(name, true);
      this.startWriter(file);
      this.file = file;
      this.addBytes(file.size);
      this.headerSize = file.size;
      this.files.push(name);
      this.created.push(name);
      return;
    }
    const temporary = join(dirname(name), `.${basename(name)}.wiresage-partial`);
    let file: SafeFile;
    try {
      file = new SafeFile(temporary);
    } catch (e) {
      const err = e as CaptureWriteError;
      throw new CaptureWriteError(err.message.replace(temporary, name).replace(/: ENOENT: .*\(ENOENT\)$/, ': no such directory (ENOENT)'), name, err.code);
    }
    try {
      this.startWriter(file);
      // Valid now (header and interfaces): it may take the oldest file's place. The
      // descriptor stays open across the rename and goes on writing the same file.
      fs.renameSync(temporary, name);
      file.path = name;
    } catch (e) {
      try { file.close(); } catch { /* already failing */ }
      fs.rmSync(temporary, { force: true });
      this.pcap = this.pcapng = undefined;
      throw e instanceof CaptureWriteError ? e : writeError(e, name, 'create', 0);
    }
    this.file = file;
    this.addBytes(file.size);
    this.headerSize = file.size;
    const existing = this.files.indexOf(name);
    if (existing >= 0) this.files.splice(existing, 1);
    this.files.push(name);
    this.created.push(name);
    const ring = !!this.o.fileCount && !!this.o.fileSize;
    if (ring) {
      while (this.files.length > this.o.fileCount!) fs.rmSync(this.files.shift()!, { force: true });
    }
    this.fileLimit = this.o.fileSize ? (ring ? this.o.fileSize - this.headerSize : this.o.fileSize) : Infinity;
  }

  /** Writes the file header (pcap) or section header and interfaces (pcapng). */
  private startWriter(file: SafeFile): void {
    if (this.o.format === 'pcap') {
      const [i] = this.o.interfaces;
      this.pcap = new PcapWriter(file, { linkType: i.linkType, snapLen: i.snapLen, nanosecond: i.nanosecond, littleEndian: i.littleEndian });
    } else {
      this.pcapng = new PcapngWriter(file, { comment: this.o.comment, os: osName(), application: 'wiresage' });
      for (const i of this.o.interfaces) {
        this.pcapng.addInterface({
          linkType: i.linkType, snapLen: i.snapLen, name: i.name, filter: i.filter, tsResolution: i.nanosecond ? 1e9 : 1e6,
        });
      }
    }
  }

  private finishFile(): void {
    if (!this.file) return;
    const file = this.file;
    this.file = undefined;
    if (this.pcapng && this.o.statistics) {
      const stats = this.o.statistics();
      try {
        stats.forEach((s, id) => {
          if (s) this.pcapng!.writeInterfaceStatistics(id, { ifRecv: s.received, osDrop: s.dropped, ifDrop: s.ifDropped, comments: [] });
        });
      } catch {
        // Statistics are optional: a file that cannot take them stays as it was (cut back).
      }
    }
    this.pcapng = undefined;
    this.pcap = undefined;
    file.close();
    this.o.onFileClosed?.(file.path);
  }

  private rotate(tsSec: number): boolean {
    if (this.o.rotateSeconds && this.o.fileCount && !this.o.fileSize && this.created.length >= this.o.fileCount) {
      this.full = 'file-count';
      return false;
    }
    this.finishFile();
    this.sequence = this.o.fileCount ? (this.sequence + 1) % this.o.fileCount : this.sequence + 1;
    this.open(tsSec);
    return true;
  }

  /**
   * Writes the whole records in batch[start, end) of interface `iface`. Returns where it
   * stopped: `end`, or earlier when `full` became set (--max-size, -G -W file count).
   * Throws CaptureWriteError (the files stay valid).
   */
  write(iface: number, batch: Uint8Array, view: DataView, start: number, end: number): number {
    if (this.closed || this.full) return start;
    const spec = this.o.interfaces[iface];
    const le = spec.littleEndian;
    const pcapng = this.o.format === 'pcapng';
    const rotateSeconds = this.o.rotateSeconds ?? 0;
    const maxBytes = this.o.maxBytes ?? Infinity;
    let position = start;
    while (position < end) {
      let size = this.file!.size;
      let run = position;
      let rotateAt = -1;
      let stop = false;
      let records = 0;
      while (run < end) {
        const capLen = view.getUint32(run + 8, le);
        const out = pcapng ? EPB_HEADER + 4 + ((capLen + 3) & ~3) : 16 + capLen;
        if (rotateSeconds && view.getUint32(run, le) >= this.periodStart + rotateSeconds) {
          rotateAt = view.getUint32(run, le);
          break;
        }
        if (size + out > this.fileLimit && size > this.headerSize) {
          rotateAt = view.getUint32(run, le);
          break;
        }
        if ((this.o.shared?.bytes ?? this.bytesWritten) + (size - this.file!.size) + out > maxBytes) {
          stop = true;
          break;
        }
        size += out;
        run += 16 + capLen;
        records++;
      }
      if (run > position) {
        const before = this.file!.size;
        try {
          if (pcapng) this.writeEpbs(iface, batch, view, position, run, le, spec.nanosecond);
          else this.file!.write(batch.subarray(position, run), (n) => wholeRecords(view, position, n, le));
        } catch (e) {
          if (e instanceof CaptureWriteError) {
            // The records that reached the disk in full count as written.
            this.addBytes(this.file!.size - before);
            this.packetsWritten += pcapng ? countBlocks(this.scratch, e.kept) : countWhole(view, position, e.kept, le);
          }
          throw e;
        }
        this.addBytes(this.file!.size - before);
        this.packetsWritten += records;
      }
      position = run;
      if (stop) {
        this.full = 'max-size';
        return position;
      }
      if (rotateAt >= 0) {
        if (rotateSeconds && rotateAt >= this.periodStart + rotateSeconds) {
          this.periodStart = rotateAt - ((rotateAt - this.periodStart) % rotateSeconds);
          this.periodCount = 0;
        } else {
          this.periodCount++;
        }
        if (!this.rotate(rotateAt)) return position;
      }
    }
    return position;
  }

  private addBytes(n: number): void {
    this.bytesWritten += n;
    if (this.o.shared) this.o.shared.bytes += n;
  }

  private ensureScratch(length: number): void {
    if (length <= this.scratch.length) return;
    let size = this.scratch.length;
    while (size < length) size *= 2;
    this.scratch = new Uint8Array(size);
    this.scratchView = new DataView(this.scratch.buffer);
  }

  /** Converts records [start, end) into EPBs in the scratch buffer and writes them in one call. */
  private writeEpbs(iface: number, batch: Uint8Array, view: DataView, start: number, end: number, le: boolean, nanosecond: boolean): void {
    // An EPB is at most 32 + 3 bytes longer than the record (16-byte header → 28 + 4 trailer + padding).
    let records = 0;
    for (let p = start; p < end; p += 16 + view.getUint32(p + 8, le)) records++;
    this.ensureScratch(end - start + records * 20);
    const native = hostLittleEndian && le && this.o.nativeConversion !== false ? nativeConverter() : undefined;
    if (native) {
      const length = native(batch, start, end, this.scratch, 0, iface, nanosecond);
      this.file!.write(this.scratch.subarray(0, length), (n) => wholeBlocks(this.scratch, n));
      return;
    }
    const out = this.scratch;
    const w = this.scratchView;
    let o = 0;
    let p = start;
    let lastSec = -1;
    let baseHi = 0;
    let baseLo = 0;
    while (p < end) {
      const sec = view.getUint32(p, le);
      const fraction = view.getUint32(p + 4, le);
      const capLen = view.getUint32(p + 8, le);
      const origLen = view.getUint32(p + 12, le);
      const padded = (capLen + 3) & ~3;
      const length = EPB_HEADER + padded + 4;
      // Ticks = sec × units + fraction as two 32-bit words. sec × 1e9 exceeds 2^53, so the
      // product is split exactly once per distinct second (a batch spans few of them).
      if (sec !== lastSec) {
        lastSec = sec;
        if (nanosecond) {
          const x = Math.floor(sec / 65536) * 1e9;
          const low = (x % 65536) * 65536 + (sec % 65536) * 1e9;
          baseHi = Math.floor(x / 65536) + Math.floor(low / 4294967296);
          baseLo = low % 4294967296;
        } else {
          const ticks = sec * 1e6;
          baseHi = Math.floor(ticks / 4294967296);
          baseLo = ticks - baseHi * 4294967296;
        }
      }
      let hi = baseHi;
      let lo = baseLo + fraction;
      if (lo >= 4294967296) {
        lo -= 4294967296;
        hi++;
      }
      w.setUint32(o, BLOCK_EPB, true);
      w.setUint32(o + 4, length, true);
      w.setUint32(o + 8, iface, true);
      w.setUint32(o + 12, hi, true);
      w.setUint32(o + 16, lo, true);
      w.setUint32(o + 20, capLen, true);
      w.setUint32(o + 24, origLen, true);
      const from = p + 16;
      const to = o + EPB_HEADER;
      if (capLen <= 128) {
        // Small frames: a plain loop beats creating a view object per packet.
        for (let i = 0; i < capLen; i++) out[to + i] = batch[from + i];
      } else {
        out.set(batch.subarray(from, from + capLen), to);
      }
      for (let i = capLen; i < padded; i++) out[to + i] = 0;
      w.setUint32(o + EPB_HEADER + padded, length, true);
      o += length;
      p += 16 + capLen;
    }
    this.file!.write(out.subarray(0, o), (n) => wholeBlocks(out, n));
  }

  /** Pushes data to the kernel (files are written unbuffered; nothing to do but kept for -U symmetry). */
  flush(): void {}

  /** Closes the current file (with statistics blocks in pcapng). Safe to call twice. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.finishFile();
  }
}

/**
 * --split: the file of one capture point, named after -w with the point's name before the
 * extension: `out.pcapng` + `netns:client@any` → `out.netns-client@any.pcapng`.
 */
export function splitPath(path: string, label: string): string {
  const tag = label.replace(/[:/\\]/g, '-').replace(/[^A-Za-z0-9@%._+-]/g, '_');
  const m = /^(.*?)(\.(?:pcapng|pcap|cap|ntar)(?:\.gz)?)?$/i.exec(path)!;
  return `${m[1]}.${tag}${m[2] ?? ''}`;
}

function osName(): string {
  try {
    const release = fs.readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim();
    return `Linux ${release}`;
  } catch {
    return process.platform;
  }
}

/** `-` (standard output) or an existing file that is not a regular file (/dev/null, a FIFO). */
function isStream(path: string): boolean {
  if (path === '-') return true;
  try {
    return !fs.statSync(path).isFile();
  } catch {
    return false;
  }
}

const hostLittleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
let converter: ((...args: Parameters<NonNullable<ReturnType<typeof tryAddon>>['pcapToEpb']>) => number) | null | undefined;

/** The addon's pcapToEpb when it is loaded (memcpy speed), else null: the JS loop is used. */
function nativeConverter(): typeof converter {
  if (converter === undefined) {
    const addon = tryAddon();
    converter = addon && typeof addon.pcapToEpb === 'function' ? addon.pcapToEpb.bind(addon) : null;
  }
  return converter;
}

/** Length of the longest run of whole pcap records within n bytes from `start`. */
function wholeRecords(view: DataView, start: number, n: number, le: boolean): number {
  let p = start;
  while (p + 16 <= start + n) {
    const next = p + 16 + view.getUint32(p + 8, le);
    if (next > start + n) break;
    p = next;
  }
  return p - start;
}

function countWhole(view: DataView, start: number, n: number, le: boolean): number {
  let count = 0;
  for (let p = start; p < start + n; p += 16 + view.getUint32(p + 8, le)) count++;
  return count;
}

/** Length of the longest run of whole pcapng blocks (host order) within the first n bytes. */
function wholeBlocks(bytes: Uint8Array, n: number): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let p = 0;
  while (p + 12 <= n) {
    const next = p + view.getUint32(p + 4, hostLittleEndian);
    if (next > n) break;
    p = next;
  }
  return p;
}

function countBlocks(bytes: Uint8Array, n: number): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let count = 0;
  for (let p = 0; p < n; p += view.getUint32(p + 4, hostLittleEndian)) count++;
  return count;
}
