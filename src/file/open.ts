/**
 * Opening a capture: a path, '-' for standard input, or any readable stream. The format is
 * told by the first bytes, never by the file name: gzip (1f 8b) is unwrapped first, then
 * pcap (a1b2c3d4 / a1b23c4d / a1b2cd34, either byte order) or pcapng (0a 0d 0d 0a).
 *
 * @example
 * import { openCapture } from './open.js';
 * const reader = await openCapture(process.argv[2] ?? '-');
 * const { records } = await reader.forEach((r) => { total += r.origLen; });
 */
import * as fs from 'node:fs';
import { Readable, pipeline } from 'node:stream';
import * as zlib from 'node:zlib';
import { isPcapMagic, PcapReader } from './pcap.js';
import { isPcapngMagic, PcapngReader } from './pcapng.js';
import { ChunkInput, DEFAULT_CHUNK_SIZE, FileSource, StreamSource, hexPrefix, type ByteSource } from './source.js';
import { CaptureFileError, type CaptureReader } from './types.js';

const GZIP_CHUNK_SIZE = 256 * 1024;

export interface OpenOptions {
  /** Stream to read when path is '-' (default: process.stdin). */
  input?: NodeJS.ReadableStream;
  /** Parse buffer size in bytes (default 4 MiB); tests use tiny ones to split records. */
  chunkSize?: number;
  /** Also treat a pcap record whose caplen exceeds its len as damage (libpcap and tshark accept it). */
  strict?: boolean;
}

/**
 * Opens a capture file ('-' = standard input, or `opts.input`) and reads its header.
 * Throws CaptureFileError when the file cannot be opened, is empty, is not a capture, or its
 * file header is damaged.
 */
export async function openCapture(path: string, opts?: OpenOptions): Promise<CaptureReader> {
  if (path === '-') return readerFromStream(opts?.input ?? process.stdin, '-', opts);
  let source: FileSource;
  try {
    source = await FileSource.open(path);
  } catch (err) {
    throw new CaptureFileError(`Cannot open capture file ${path}: ${(err as Error).message}`, undefined, path);
  }
  if (source.size === undefined) {
    // A FIFO or character device: bytes read to sniff the format cannot be read again, so
    // take the stream route, which hands them on.
    return readerFromStream(fs.createReadStream('', { fd: source.release(), highWaterMark: 1024 * 1024 }), path, opts);
  }
  // A small file needs no 4 MiB buffer (the corpus has hundreds of 1 KB files).
  const chunkSize = opts?.chunkSize ?? Math.min(DEFAULT_CHUNK_SIZE, Math.max(64 * 1024, source.size));
  const input = new ChunkInput(source, path, chunkSize);
  try {
    await input.fill(2);
    if (input.available >= 2 && input.buf[0] === 0x1f && input.buf[1] === 0x8b) {
      const compressed = fs.createReadStream('', { fd: source.release(), start: 0, highWaterMark: 1024 * 1024 });
      return await readerFromInput(gunzipSource(compressed), path, true, opts);
    }
    return await readerFor(input, false, opts);
  } catch (err) {
    source.close();
    throw err;
  }
}

/** Reads a capture from a stream (stdin, a socket, a test Readable); gzip is detected. */
export async function readerFromStream(stream: NodeJS.ReadableStream, name: string, opts?: Omit<OpenOptions, 'input'>): Promise<CaptureReader> {
  const plain = new StreamSource(stream);
  const input = new ChunkInput(plain, name, opts?.chunkSize);
  try {
    await input.fill(2);
    if (input.available >= 2 && input.buf[0] === 0x1f && input.buf[1] === 0x8b) {
      // Hand what was already read, then the rest of the stream, to the decompressor.
      const head = input.buf.slice(input.start, input.end);
      const { prefix, iterator } = plain.takeIterator();
      async function* replay(): AsyncGenerator<Uint8Array> {
        yield head;
        if (prefix !== undefined && prefix.length > 0) yield prefix;
        for (;;) {
          const next = await iterator.next();
          if (next.done) return;
          yield next.value as Uint8Array;
        }
      }
      return await readerFromInput(gunzipSource(Readable.from(replay(), { objectMode: false })), name, true, opts, stream);
    }
    return await readerFor(input, false, opts);
  } catch (err) {
    plain.close();
    throw err;
  }
}

function gunzipSource(compressed: NodeJS.ReadableStream): StreamSource {
  const gunzip = zlib.createGunzip({ chunkSize: GZIP_CHUNK_SIZE });
  pipeline(compressed as Readable, gunzip, () => {}); // errors surface through gunzip's iterator
  return new StreamSource(gunzip);
}

async function readerFromInput(source: ByteSource, name: string, compressed: boolean, opts?: Omit<OpenOptions, 'input'>,
  upstream?: NodeJS.ReadableStream): Promise<CaptureReader> {
  const input = new ChunkInput(closingAlso(source, upstream), name, opts?.chunkSize);
  try {
    return await readerFor(input, compressed, opts);
  } catch (err) {
    input.source.close();
    throw err;
  }
}

/** A source whose close() also destroys the stream it was made from. */
function closingAlso(source: ByteSource, upstream?: NodeJS.ReadableStream): ByteSource {
  if (upstream === undefined) return source;
  return {
    get size() { return source.size; },
    read: (target, offset, length) => source.read(target, offset, length),
    close: () => {
      source.close();
      (upstream as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.();
    },
  };
}

/** Tells the format from the first 4 bytes and opens the matching reader. */
async function readerFor(input: ChunkInput, compressed: boolean, opts?: Omit<OpenOptions, 'input'>): Promise<CaptureReader> {
  const inside = compressed ? ' (after gzip decompression)' : '';
  await input.fill(4);
  if (input.available < 4) {
    if (input.sourceError !== undefined) throw input.sourceFailure();
    if (input.available === 0) {
      throw new CaptureFileError(`${input.path} is empty${inside}: not a capture file (pcap or pcapng)`, 0, input.path);
    }
    throw new CaptureFileError(`${input.path} is too short${inside} to be a capture file (pcap or pcapng): ${input.available} bytes: ${hexPrefix(input.buf.subarray(input.start, input.end))}`, 0, input.path);
  }
  const first = input.view.getUint32(input.start, false);
  if (isPcapngMagic(first)) return PcapngReader.open(input, compressed);
  if (isPcapMagic(first)) return PcapReader.open(input, compressed, opts?.strict ?? false);
  throw new CaptureFileError(`${input.path} is not a capture file (pcap or pcapng)${inside}: it starts with ${hexPrefix(input.buf.subarray(input.start, input.end))}`, 0, input.path);
}
