/**
 * Byte sources for the capture readers and the chunk buffer they parse from.
 *
 * A reader parses records synchronously out of one large buffer (`ChunkInput.buf`); when a
 * record runs past the end of what is buffered, only that partial record is moved to the front
 * (the "carry") and the rest of the buffer is refilled with one big read. Records are handed out
 * as `subarray` views of the buffer, so no bytes are copied per record for plain files; streams
 * (stdin, gzip) are copied once from their chunks into the buffer.
 *
 * @example
 * const input = new ChunkInput(await FileSource.open('x.pcap'), 'x.pcap');
 * await input.fill(24); // at least 24 bytes from input.start, unless the file is shorter
 */
import * as fs from 'node:fs';
import { CaptureFileError, type CaptureRecord, type ReadSummary, type RecordCallback } from './types.js';

/** Default buffer: 4 MiB is past the knee of read-syscall overhead and fits in L2/L3 poorly enough to not matter. */
export const DEFAULT_CHUNK_SIZE = 4 * 1024 * 1024;

/** Something bytes can be pulled from. */
export interface ByteSource {
  /** Total length when known in advance (plain files), else undefined. */
  readonly size: number | undefined;
  /** Reads up to `length` bytes into target[offset…]; resolves to the count, 0 at the end. */
  read(target: Uint8Array, offset: number, length: number): Promise<number>;
  close(): void;
}

/** A plain file read with positioned `fs.read` calls on its descriptor. */
export class FileSource implements ByteSource {
  private position = 0;
  private closed = false;

  private constructor(readonly fd: number, readonly size: number | undefined) {}

  /** Opens a file; throws the fs error (ENOENT…) as is. */
  static async open(path: string): Promise<FileSource> {
    const fd = await new Promise<number>((resolve, reject) =>
      fs.open(path, 'r', (err, fd) => (err ? reject(err) : resolve(fd))));
    try {
      const stat = fs.fstatSync(fd);
      if (stat.isDirectory()) throw Object.assign(new Error(`EISDIR: illegal operation on a directory`), { code: 'EISDIR' });
      // Pipes, FIFOs and character devices have no useful size.
      return new FileSource(fd, stat.isFile() ? stat.size : undefined);
    } catch (err) {
      fs.closeSync(fd);
      throw err;
    }
  }

  read(target: Uint8Array, offset: number, length: number): Promise<number> {
    if (this.closed) return Promise.resolve(0);
    const position = this.size === undefined ? null : this.position;
    return new Promise((resolve, reject) => {
      fs.read(this.fd, target, offset, length, position, (err, bytesRead) => {
        if (err) return reject(err);
        this.position += bytesRead;
        resolve(bytesRead);
      });
    });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    fs.close(this.fd, () => {});
  }

  /** Hands the descriptor to someone else (a read stream that will close it): close() no longer touches it. */
  release(): number {
    this.closed = true;
    return this.fd;
  }
}

/** Any readable stream (stdin, a gunzip transform, a test's Readable). */
export class StreamSource implements ByteSource {
  readonly size = undefined;
  private readonly iterator: AsyncIterator<unknown>;
  private pending: Uint8Array | undefined;
  private pendingOffset = 0;
  private done = false;

  /** `prefix`: bytes already taken from the stream that must come first (format sniffing). */
  constructor(private readonly stream: NodeJS.ReadableStream, prefix?: Uint8Array, iterator?: AsyncIterator<unknown>) {
    this.iterator = iterator ?? (stream as AsyncIterable<unknown>)[Symbol.asyncIterator]();
    if (prefix !== undefined && prefix.length > 0) this.pending = prefix;
  }

  async read(target: Uint8Array, offset: number, length: number): Promise<number> {
    while (this.pending === undefined || this.pendingOffset >= this.pending.length) {
      if (this.done) return 0;
      const next = await this.iterator.next();
      if (next.done) {
        this.done = true;
        return 0;
      }
      const value = next.value;
      this.pending = typeof value === 'string' ? Buffer.from(value, 'latin1') : (value as Uint8Array);
      this.pendingOffset = 0;
    }
    const count = Math.min(length, this.pending.length - this.pendingOffset);
    target.set(this.pending.subarray(this.pendingOffset, this.pendingOffset + count), offset);
    this.pendingOffset += count;
    return count;
  }

  /** The underlying iterator, for handing the rest of the stream to a decompressor. */
  takeIterator(): { prefix: Uint8Array | undefined; iterator: AsyncIterator<unknown> } {
    const prefix = this.pending?.subarray(this.pendingOffset);
    this.pending = undefined;
    return { prefix, iterator: this.iterator };
  }

  close(): void {
    if (this.done) return;
    this.done = true;
    const destroyable = this.stream as NodeJS.ReadableStream & { destroy?: () => void };
    // Returning the iterator ends `for await` style consumption and destroys the stream.
    void this.iterator.return?.().catch(() => {});
    destroyable.destroy?.();
  }
}

/**
 * Room kept before the data of a read-ahead buffer for the partial record carried over from
 * the previous chunk (a 256 KiB snaplen record and its header fit). A longer carry takes the
 * slow path: one copy into a grown buffer.
 */
const CARRY_ROOM = 256 * 1024 + 64;

/**
 * The parse buffer: bytes buf[start, end) are buffered and not yet consumed; `base` is the
 * stream offset of buf[0].
 *
 * With read-ahead on (plain files, once records are parsed: `startReadAhead`), the next chunk is
 * read into a second buffer while the current one is parsed, so the read's system time runs on
 * another core instead of between chunks; `fill` then copies only the carried partial record
 * in front of the new chunk and swaps the buffers.
 */
export class ChunkInput {
  buf: Uint8Array;
  view: DataView;
  start = 0;
  end = 0;
  base = 0;
  eof = false;
  /** Set when the source failed (I/O error, corrupt gzip): reported once the buffered records are out. */
  sourceError: unknown = undefined;
  /** The read-ahead buffer (same size as `buf` when made) and its read in flight (bytes at CARRY_ROOM; -1: failed). */
  private spare: Uint8Array | undefined;
  private pending: Promise<number> | undefined;
  private readAhead = false;

  constructor(readonly source: ByteSource, readonly path: string, private readonly chunkSize = DEFAULT_CHUNK_SIZE) {
    this.buf = new Uint8Array(chunkSize);
    this.view = new DataView(this.buf.buffer);
  }

  /**
   * Reads ahead from now on, for a plain file whose first chunk did not hold it all (a stream
   * gains nothing: its bytes are copied from its own chunks anyway).
   */
  startReadAhead(): void {
    if (this.source.size === undefined || this.eof || this.base + this.end >= this.source.size) return;
    this.readAhead = true;
    this.spare = new Uint8Array(CARRY_ROOM + this.chunkSize);
    this.prefetch();
  }

  /** Starts reading the next chunk into the spare buffer. */
  private prefetch(): void {
    const spare = this.spare!;
    this.pending = this.source.read(spare, CARRY_ROOM, spare.length - CARRY_ROOM).catch((err: unknown) => {
      this.sourceError = err;
      return -1;
    });
  }

  /** Releases the source, once the read in flight (if any) is over. */
  close(): void {
    const pending = this.pending;
    this.readAhead = false;
    this.pending = undefined;
    if (pending === undefined) this.source.close();
    else void pending.then(() => this.source.close());
  }

  /**
   * Takes the read-ahead chunk: the unconsumed tail goes in front of it and the buffers swap.
   * When the tail does not fit in front (a record longer than CARRY_ROOM), the chunk is
   * appended to the current buffer instead (grown as needed). Read-ahead resumes unless the
   * stream ended.
   */
  private async takeReadAhead(): Promise<void> {
    const count = await this.pending!;
    this.pending = undefined;
    if (count <= 0) {
      // -1: the source failed (sourceError is set); 0: the end.
      this.eof = true;
      this.readAhead = false;
      return;
    }
    const spare = this.spare!;
    const tail = this.end - this.start;
    if (tail <= CARRY_ROOM) {
      spare.set(this.buf.subarray(this.start, this.end), CARRY_ROOM - tail);
      this.base += this.end - CARRY_ROOM;
      this.spare = this.buf;
      this.buf = spare;
      this.view = new DataView(spare.buffer);
      this.start = CARRY_ROOM - tail;
      this.end = CARRY_ROOM + count;
      // A spare that grew for a long record is replaced by one of the usual size.
      if (this.spare.length !== spare.length) this.spare = new Uint8Array(spare.length);
    } else {
      this.compact(tail + count);
      this.buf.set(spare.subarray(CARRY_ROOM, CARRY_ROOM + count), this.end);
      this.end += count;
    }
    this.prefetch();
  }

  /** Moves buf[start, end) to the front, growing the buffer to at least `capacity` bytes. */
  private compact(capacity: number): void {
    if (this.start > 0) {
      this.buf.copyWithin(0, this.start, this.end);
      this.base += this.start;
      this.end -= this.start;
      this.start = 0;
    }
    if (capacity > this.buf.length) {
      const grown = new Uint8Array(Math.max(capacity, this.buf.length * 2));
      grown.set(this.buf.subarray(0, this.end));
      this.buf = grown;
      this.view = new DataView(grown.buffer);
    }
  }

  /** Stream offset of buf[start]. */
  get position(): number {
    return this.base + this.start;
  }

  get available(): number {
    return this.end - this.start;
  }

  /**
   * Makes at least `need` bytes available from `start`, unless the stream ends (or fails)
   * first; then `eof` is set. Moves the unconsumed tail to the front of the buffer, and grows
   * the buffer when one record is larger than it (never beyond what a known file size allows).
   */
  async fill(need: number): Promise<void> {
    while (this.readAhead && this.available < need && !this.eof) await this.takeReadAhead();
    if (this.available >= need || this.eof) return;
    let capacity = need;
    const size = this.source.size;
    if (size !== undefined) capacity = Math.min(capacity, Math.max(0, size - this.base - this.start));
    this.compact(capacity);
    while (this.end - this.start < need) {
      if (this.end === this.buf.length) break; // only when a known size capped the buffer
      let count: number;
      try {
        count = await this.source.read(this.buf, this.end, this.buf.length - this.end);
      } catch (err) {
        this.sourceError = err;
        this.eof = true;
        return;
      }
      if (count === 0) {
        this.eof = true;
        return;
      }
      this.end += count;
    }
    if (this.end - this.start < need) this.eof = true;
  }

  /** The source failure as a CaptureFileError at the current position. */
  sourceFailure(): CaptureFileError {
    const err = this.sourceError as { message?: string; code?: string } | undefined;
    const message = err?.message ?? String(err);
    const what = typeof err?.code === 'string' && err.code.startsWith('Z_')
      ? `gzip data is damaged (${message})`
      : `read failed (${message})`;
    return CaptureFileError.at(this.path, this.base + this.end, what);
  }
}

/** What the two readers' synchronous chunk parsers look like to the driver loop. */
export interface ChunkParser {
  /** Bytes the unit at the position where parse() stopped needs. */
  need: number;
  /** True once the callback returned false (or the parser paused itself). */
  stopped: boolean;
  records: number;
  bytes: number;
  parse(buf: Uint8Array, view: DataView, start: number, end: number, base: number, onRecord: RecordCallback): number;
  /** The error for a stream that ends `available` bytes into the unit at `offset`. */
  truncated(offset: number, available: number): CaptureFileError;
}

/**
 * Runs a parser over the whole input: parse what is buffered, refill, repeat. Throws the
 * parser's damage errors as they come (every earlier record has been delivered by then), a
 * truncation error when the stream ends inside a record, or the source's failure.
 */
export async function drive(input: ChunkInput, parser: ChunkParser, onRecord: RecordCallback): Promise<ReadSummary> {
  input.startReadAhead();
  for (;;) {
    const position = parser.parse(input.buf, input.view, input.start, input.end, input.base, onRecord);
    input.start = position;
    if (parser.stopped) break;
    if (input.eof) {
      if (input.sourceError !== undefined) throw input.sourceFailure();
      if (position === input.end) break;
      throw parser.truncated(input.base + position, input.end - position);
    }
    await input.fill(parser.need);
  }
  return { records: parser.records, bytes: parser.bytes };
}

/** The one record object a parser fills and hands out again and again. */
export class RecordSlot implements CaptureRecord {
  iface: CaptureRecord['iface'];
  tsSec = 0;
  tsNsec = 0;
  capLen = 0;
  origLen = 0;
  data: Uint8Array = new Uint8Array(0);
  comments: string[];
  epbFlags: number | undefined = undefined;
  offset = 0;

  constructor(iface: CaptureRecord['iface'], comments: string[]) {
    this.iface = iface;
    this.comments = comments;
  }
}

/** "3c 21 64 6f": the first bytes of a buffer in hex, for error messages. */
export function hexPrefix(bytes: Uint8Array, count = 4): string {
  return Array.from(bytes.subarray(0, count), (b) => b.toString(16).padStart(2, '0')).join(' ');
}
