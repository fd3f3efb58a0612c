/**
 * Classic libpcap files: a 24-byte file header, then records of a 16-byte header (24 bytes in
 * Alexey Kuznetzov's "modified" format) followed by the captured bytes.
 *
 * File header (pcap(5), draft-ietf-opsawg-pcap section 4):
 *
 *     0  magic        a1b2c3d4 (µs) | a1b23c4d (ns) | a1b2cd34 (modified, µs), either byte order
 *     4  version      major u16 (2), minor u16 (4)
 *     8  thiszone     i32, always 0 in practice (ignored, as libpcap and Wireshark do)
 *    12  sigfigs      u32 (ignored)
 *    16  snaplen      u32
 *    20  link field   low 16 bits LINKTYPE; bit 26 "FCS length present", bits 28-31 FCS
 *                     length in 16-bit words
 *
 * Record header: ts_sec u32, ts_usec/ts_nsec u32, caplen u32, len u32
 * (+ ifindex u32, protocol u16, pkt_type u8, pad u8 in the modified format).
 *
 * `PcapRecordParser` is the synchronous core: live capture hands it batches laid out as pcap
 * records, files hand it 4 MiB chunks.
 *
 * @example
 * const parser = new PcapRecordParser({ littleEndian: true, nanosecond: true, linkType: 1, snapLen: 262144 });
 * const used = parsePcapRecords(batch, parser, (r) => { count++; });
 */
import { maxSnapLenForLinkType } from './linktype.js';
import { ChunkInput, RecordSlot, drive } from './source.js';
import {
  CaptureFileError, NO_COMMENTS,
  type CaptureReader, type InterfaceDescription, type NameResolutionEntry, type ReadSummary, type RecordCallback,
} from './types.js';

export const PCAP_MAGIC_MICROSECONDS = 0xa1b2c3d4;
export const PCAP_MAGIC_NANOSECONDS = 0xa1b23c4d;
export const PCAP_MAGIC_MODIFIED = 0xa1b2cd34;
export const PCAP_FILE_HEADER_LENGTH = 24;
export const PCAP_RECORD_HEADER_LENGTH = 16;
export const PCAP_MODIFIED_RECORD_HEADER_LENGTH = 24;

/** Is this (big-endian read of the first 4 bytes) a pcap magic in either byte order? */
export function isPcapMagic(firstWordBigEndian: number): boolean {
  const swapped = byteSwap32(firstWordBigEndian);
  for (const magic of [PCAP_MAGIC_MICROSECONDS, PCAP_MAGIC_NANOSECONDS, PCAP_MAGIC_MODIFIED]) {
    if (firstWordBigEndian === magic || swapped === magic) return true;
  }
  return false;
}

function byteSwap32(value: number): number {
  return (((value & 0xff) << 24) | ((value & 0xff00) << 8) | ((value >>> 8) & 0xff00) | (value >>> 24)) >>> 0;
}

/** The decoded 24-byte file header. */
export interface PcapFileHeader {
  littleEndian: boolean;
  nanosecond: boolean;
  /** Kuznetzov's patched libpcap: 24-byte record headers. */
  modified: boolean;
  versionMajor: number;
  versionMinor: number;
  snapLen: number;
  linkType: number;
  /** Bytes of FCS at the end of each frame when the link field says so. */
  fcsLength?: number;
}

/** What a record parser needs to know about the stream it reads. */
export interface PcapRecordLayout {
  littleEndian: boolean;
  nanosecond: boolean;
  modified?: boolean;
  linkType: number;
  snapLen: number;
  fcsLength?: number;
  /**
   * Treat caplen > len as damage. Off by default: libpcap and Wireshark both deliver such
   * records (several tcpdump test captures have them), and the decoder can see it anyway.
   */
  rejectCapLenAboveOrigLen?: boolean;
}

/**
 * Decodes a pcap file header; throws CaptureFileError when the magic or version is wrong.
 * `bytes` must hold at least 24 bytes.
 */
export function parsePcapFileHeader(bytes: Uint8Array, path = '-'): PcapFileHeader {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magicBig = view.getUint32(0, false);
  const magicLittle = view.getUint32(0, true);
  let littleEndian: boolean;
  let magic: number;
  if (magicBig === PCAP_MAGIC_MICROSECONDS || magicBig === PCAP_MAGIC_NANOSECONDS || magicBig === PCAP_MAGIC_MODIFIED) {
    littleEndian = false;
    magic = magicBig;
  } else if (magicLittle === PCAP_MAGIC_MICROSECONDS || magicLittle === PCAP_MAGIC_NANOSECONDS || magicLittle === PCAP_MAGIC_MODIFIED) {
    littleEndian = true;
    magic = magicLittle;
  } else {
    throw CaptureFileError.at(path, 0, `pcap magic number 0x${magicBig.toString(16).padStart(8, '0')} is not a1b2c3d4, a1b23c4d or a1b2cd34`);
  }
  const versionMajor = view.getUint16(4, littleEndian);
  const versionMinor = view.getUint16(6, littleEndian);
  // libpcap: "archaic pcap savefile format" below 2; Wireshark: "major version unsupported".
  if (versionMajor < 2) {
    throw CaptureFileError.at(path, 4, `pcap version ${versionMajor}.${versionMinor} is not supported (needs 2.x)`);
  }
  const snapLen = view.getUint32(16, littleEndian);
  const linkField = view.getUint32(20, littleEndian);
  const header: PcapFileHeader = {
    littleEndian,
    nanosecond: magic === PCAP_MAGIC_NANOSECONDS,
    modified: magic === PCAP_MAGIC_MODIFIED,
    versionMajor,
    versionMinor,
    snapLen,
    linkType: linkField & 0xffff,
  };
  // libpcap LT_FCS_LENGTH_PRESENT / LT_FCS_LENGTH: length in 16-bit words.
  if (linkField & 0x04000000) header.fcsLength = ((linkField >>> 28) & 0xf) * 2;
  return header;
}

/** The single pseudo-interface of a classic pcap stream. */
export function pcapInterface(layout: PcapRecordLayout): InterfaceDescription {
  const iface: InterfaceDescription = {
    id: 0,
    linkType: layout.linkType,
    snapLen: layout.snapLen,
    tsResolution: layout.nanosecond ? 1e9 : 1e6,
    tsOffset: 0,
    comments: [],
  };
  if (layout.fcsLength !== undefined) iface.fcsLength = layout.fcsLength;
  return iface;
}

/**
 * Synchronous parser of pcap records. Keeps no state between calls except counters, so a
 * batch boundary may fall anywhere: `parse` returns where the first incomplete record starts.
 */
export class PcapRecordParser {
  /** Bytes the record at the position where parse() stopped needs in full. */
  need = PCAP_RECORD_HEADER_LENGTH;
  stopped = false;
  records = 0;
  bytes = 0;
  readonly iface: InterfaceDescription;
  private readonly record: RecordSlot;
  private readonly littleEndian: boolean;
  private readonly nanosecond: boolean;
  private readonly headerLength: number;
  private readonly maxCapLen: number;
  private readonly rejectCapLenAboveOrigLen: boolean;

  constructor(layout: PcapRecordLayout, iface?: InterfaceDescription, readonly path = '-') {
    this.iface = iface ?? pcapInterface(layout);
    this.record = new RecordSlot(this.iface, NO_COMMENTS);
    this.littleEndian = layout.littleEndian;
    this.nanosecond = layout.nanosecond;
    this.rejectCapLenAboveOrigLen = layout.rejectCapLenAboveOrigLen ?? false;
    this.headerLength = layout.modified ? PCAP_MODIFIED_RECORD_HEADER_LENGTH : PCAP_RECORD_HEADER_LENGTH;
    // libpcap rejects caplen > max_snaplen_for_dlt(); a header snaplen above that is honoured
    // (capped at 128 MiB so one bad header cannot make us buffer gigabytes).
    this.maxCapLen = Math.max(maxSnapLenForLinkType(layout.linkType), Math.min(layout.snapLen, 128 * 1024 * 1024));
  }

  /**
   * Delivers every whole record in buf[start, end) to onRecord. `base` is the stream offset of
   * buf[0] (for record offsets and error messages). Returns the offset of the first byte not
   * consumed; `stopped` is set if the callback returned false. Throws CaptureFileError on a
   * record header that cannot be right: caplen beyond max(link type maximum, snaplen), as
   * libpcap's "invalid packet capture length" (and caplen > len when asked to).
   */
  parse(buf: Uint8Array, view: DataView, start: number, end: number, base: number, onRecord: RecordCallback): number {
    const littleEndian = this.littleEndian;
    const headerLength = this.headerLength;
    const maxCapLen = this.maxCapLen;
    const nanosecond = this.nanosecond;
    const record = this.record;
    // Records are views of the chunk made with the typed-array constructor, which the
    // optimiser inlines (about twice as fast per record as `subarray`, the same view).
    const bytes = buf.buffer;
    const base0 = buf.byteOffset;
    let position = start;
    while (end - position >= headerLength) {
      const capLen = view.getUint32(position + 8, littleEndian);
      const origLen = view.getUint32(position + 12, littleEndian);
      if (capLen > maxCapLen) {
        throw CaptureFileError.at(this.path, base + position,
          `pcap record captured length ${capLen} is larger than the maximum of ${maxCapLen} (damaged file?)`);
      }
      if (capLen > origLen && this.rejectCapLenAboveOrigLen) {
        throw CaptureFileError.at(this.path, base + position,
          `pcap record captured length ${capLen} is larger than its original length ${origLen} (damaged file?)`);
      }
      const dataStart = position + headerLength;
      const recordEnd = dataStart + capLen;
      if (recordEnd > end) {
        this.need = headerLength + capLen;
        return position;
      }
      const sec = view.getUint32(position, littleEndian);
      const fraction = view.getUint32(position + 4, littleEndian);
      if (nanosecond) {
        if (fraction < 1e9) { record.tsSec = sec; record.tsNsec = fraction; }
        else { record.tsSec = sec + Math.floor(fraction / 1e9); record.tsNsec = fraction % 1e9; }
      } else if (fraction < 1e6) {
        record.tsSec = sec;
        record.tsNsec = fraction * 1000;
      } else {
        // Out-of-range microseconds (damaged or odd writers): carry into seconds.
        record.tsSec = sec + Math.floor(fraction / 1e6);
        record.tsNsec = (fraction % 1e6) * 1000;
      }
      record.capLen = capLen;
      record.origLen = origLen;
      record.data = new Uint8Array(bytes, base0 + dataStart, capLen);
      record.offset = base + position;
      this.records++;
      this.bytes += capLen;
      position = recordEnd;
      if (onRecord(record) === false) {
        this.stopped = true;
        return position;
      }
    }
    this.need = headerLength;
    return position;
  }

  truncated(offset: number, available: number): CaptureFileError {
    const what = available < this.headerLength ? 'record header' : 'record';
    const need = available < this.headerLength ? this.headerLength : this.need;
    return CaptureFileError.at(this.path, offset, `truncated: ${what} at offset ${offset} needs ${need} bytes, only ${available} remain`);
  }
}

/**
 * Parses a batch of pcap records (e.g. from live capture) synchronously and returns the number
 * of bytes consumed; a trailing partial record is left for the caller to complete.
 *
 * @example
 * const used = parsePcapRecords(batch, parser, onRecord);
 * if (used < batch.length) carry = batch.subarray(used);
 */
export function parsePcapRecords(chunk: Uint8Array, parser: PcapRecordParser, onRecord: RecordCallback, baseOffset = 0): number {
  const view = new DataView(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  return parser.parse(chunk, view, 0, chunk.length, baseOffset, onRecord);
}

/** Streaming reader of a classic pcap file or stream. */
export class PcapReader implements CaptureReader {
  readonly format = 'pcap' as const;
  readonly interfaces: InterfaceDescription[];
  readonly sectionComments: string[] = [];
  readonly nameResolution: NameResolutionEntry[] = [];
  readonly shbHardware?: string;
  readonly shbOs?: string;
  readonly shbApplication?: string;
  private readonly parser: PcapRecordParser;
  private used = false;

  private constructor(private readonly input: ChunkInput, readonly header: PcapFileHeader, readonly compressed: boolean,
    strict: boolean) {
    this.parser = new PcapRecordParser({ ...header, rejectCapLenAboveOrigLen: strict }, undefined, input.path);
    this.interfaces = [this.parser.iface];
  }

  /** Reads the file header from input (positioned at the start of the stream). */
  static async open(input: ChunkInput, compressed: boolean, strict = false): Promise<PcapReader> {
    await input.fill(PCAP_FILE_HEADER_LENGTH);
    if (input.available < PCAP_FILE_HEADER_LENGTH) {
      if (input.sourceError !== undefined) throw input.sourceFailure();
      throw CaptureFileError.at(input.path, input.position,
        `truncated: pcap file header needs ${PCAP_FILE_HEADER_LENGTH} bytes, only ${input.available} remain`);
    }
    const header = parsePcapFileHeader(input.buf.subarray(input.start, input.start + PCAP_FILE_HEADER_LENGTH), input.path);
    input.start += PCAP_FILE_HEADER_LENGTH;
    return new PcapReader(input, header, compressed, strict);
  }

  async forEach(onRecord: RecordCallback): Promise<ReadSummary> {
    if (this.used) throw new Error('CaptureReader.forEach() can be called only once per reader');
    this.used = true;
    try {
      return await drive(this.input, this.parser, onRecord);
    } finally {
      this.close();
    }
  }

  close(): void {
    this.input.close();
  }
}
