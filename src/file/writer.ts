/**
 * Capture-file writers: classic pcap and pcapng, to any byte sink.
 *
 * Every record (and every pcapng block) reaches the sink in one `write()` call and no header is
 * ever patched afterwards (pcapng section length is -1, "unknown"), so the bytes a sink has
 * written at any flush point form a complete, valid file: a capture that is killed leaves a
 * file every reader accepts.
 *
 * @example
 * const sink = fileSink('/tmp/out.pcapng');
 * const writer = new PcapngWriter(sink, { comment: 'wiresage capture -i eth0' });
 * const eth0 = writer.addInterface({ linkType: LINKTYPE_ETHERNET, name: 'eth0', snapLen: 262144 });
 * writer.writeRecord({ interfaceId: eth0, tsSec: 1700000000, tsNsec: 5, origLen: 60, data });
 * writer.close();
 */
import * as fs from 'node:fs';
import { PCAP_MAGIC_MICROSECONDS, PCAP_MAGIC_NANOSECONDS } from './pcap.js';
import {
  BLOCK_EPB, BLOCK_IDB, BLOCK_ISB, BLOCK_NRB, BLOCK_SHB, BYTE_ORDER_MAGIC, NRB_RECORD_IPV4, NRB_RECORD_IPV6,
  OPT_COMMENT, OPT_EPB_FLAGS, OPT_IF_DESCRIPTION, OPT_IF_FCSLEN, OPT_IF_FILTER, OPT_IF_HARDWARE, OPT_IF_NAME,
  OPT_IF_OS, OPT_IF_TSOFFSET, OPT_IF_TSRESOL, OPT_ISB_ENDTIME, OPT_ISB_FILTERACCEPT, OPT_ISB_IFDROP,
  OPT_ISB_IFRECV, OPT_ISB_OSDROP, OPT_ISB_STARTTIME, OPT_ISB_USRDELIV, OPT_SHB_HARDWARE, OPT_SHB_OS,
  OPT_SHB_USERAPPL,
} from './pcapng.js';
import { tickWords, timeToTicks, tsresolByte } from './timestamp.js';
import type { InterfaceDescription, InterfaceStatistics, NameResolutionEntry } from './types.js';

/** Where writers put bytes. `write` must copy or consume `bytes` before returning (writers reuse the buffer). */
export interface ByteSink {
  write(bytes: Uint8Array): void;
  flush?(): void;
  close?(): void;
}

/**
 * A file written with `fs.writeSync` through an internal buffer (default 1 MiB). The buffer is
 * written out only between two `write()` calls, so the file always ends on a whole record.
 */
export class FileSink implements ByteSink {
  private readonly buffer: Uint8Array;
  private used = 0;
  private fd: number | undefined;

  constructor(readonly path: string, opts?: { bufferSize?: number; append?: boolean }) {
    this.buffer = new Uint8Array(opts?.bufferSize ?? 1024 * 1024);
    this.fd = fs.openSync(path, opts?.append ? 'a' : 'w');
  }

  write(bytes: Uint8Array): void {
    if (this.fd === undefined) throw new Error(`Cannot write to ${this.path}: the file is closed`);
    if (this.used + bytes.length > this.buffer.length) this.flush();
    if (bytes.length >= this.buffer.length) {
      writeFully(this.fd, bytes);
      return;
    }
    this.buffer.set(bytes, this.used);
    this.used += bytes.length;
  }

  /** Writes the buffered bytes to the file (a complete file, if a writer produced them). */
  flush(): void {
    if (this.fd === undefined || this.used === 0) return;
    writeFully(this.fd, this.buffer.subarray(0, this.used));
    this.used = 0;
  }

  close(): void {
    if (this.fd === undefined) return;
    this.flush();
    fs.closeSync(this.fd);
    this.fd = undefined;
  }
}

function writeFully(fd: number, bytes: Uint8Array): void {
  let done = 0;
  while (done < bytes.length) done += fs.writeSync(fd, bytes, done, bytes.length - done);
}

/** Opens (truncates) a file for a writer. */
export function fileSink(path: string, opts?: { bufferSize?: number; append?: boolean }): FileSink {
  return new FileSink(path, opts);
}

/** Collects written bytes in memory (tests, small exports). */
export class MemorySink implements ByteSink {
  private chunks: Uint8Array[] = [];
  private length = 0;

  write(bytes: Uint8Array): void {
    this.chunks.push(bytes.slice());
    this.length += bytes.length;
  }

  /** Everything written so far as one array. */
  bytes(): Uint8Array {
    const out = new Uint8Array(this.length);
    let offset = 0;
    for (const chunk of this.chunks) {
      out.set(chunk, offset);
      offset += chunk.length;
    }
    this.chunks = [out];
    return out;
  }
}

/** What a writer needs of a record; `CaptureRecord` from a reader fits. */
export interface WritableRecord {
  /** Interface of the record (pcapng writers add an IDB for an interface object they have not seen). */
  iface?: InterfaceDescription;
  /** Writer interface id (from addInterface); wins over iface. */
  interfaceId?: number;
  tsSec: number;
  tsNsec: number;
  /** Defaults to data.length. */
  capLen?: number;
  origLen: number;
  data: Uint8Array;
  comments?: readonly string[];
  epbFlags?: number;
}

/** Growable scratch buffer for assembling one record or block. */
class Scratch {
  bytes = new Uint8Array(64 * 1024);
  view = new DataView(this.bytes.buffer);

  ensure(length: number): void {
    if (length <= this.bytes.length) return;
    let size = this.bytes.length;
    while (size < length) size *= 2;
    const grown = new Uint8Array(size);
    grown.set(this.bytes); // a block being built keeps what it has so far
    this.bytes = grown;
    this.view = new DataView(grown.buffer);
  }
}

export interface PcapWriterOptions {
  linkType: number;
  /** Written in the header; default 262144. */
  snapLen?: number;
  /** Nanosecond magic (a1b23c4d) instead of microseconds (a1b2c3d4). */
  nanosecond?: boolean;
  /** Default true (the byte order of every machine this runs on). */
  littleEndian?: boolean;
  /** Bytes of FCS on each frame, recorded in the link field (multiple of 2, up to 30). */
  fcsLength?: number;
}

/**
 * Classic pcap writer. One link type per file; timestamps in µs (truncated) unless
 * `nanosecond` is set.
 */
export class PcapWriter {
  recordsWritten = 0;
  private readonly scratch = new Scratch();
  private readonly littleEndian: boolean;
  private readonly nanosecond: boolean;
  readonly linkType: number;

  constructor(private readonly sink: ByteSink, opts: PcapWriterOptions) {
    this.littleEndian = opts.littleEndian ?? true;
    this.nanosecond = opts.nanosecond ?? false;
    this.linkType = opts.linkType;
    const header = new Uint8Array(24);
    const view = new DataView(header.buffer);
    const le = this.littleEndian;
    view.setUint32(0, this.nanosecond ? PCAP_MAGIC_NANOSECONDS : PCAP_MAGIC_MICROSECONDS, le);
    view.setUint16(4, 2, le);
    view.setUint16(6, 4, le);
    view.setUint32(16, opts.snapLen ?? 262144, le);
    let linkField = opts.linkType & 0xffff;
    if (opts.fcsLength !== undefined) linkField |= 0x04000000 | (((opts.fcsLength >> 1) & 0xf) << 28);
    view.setUint32(20, linkField >>> 0, le);
    sink.write(header);
  }

  writeRecord(record: WritableRecord): void {
    if (record.iface !== undefined && record.iface.linkType !== this.linkType) {
      throw new RangeError(`Cannot write a link type ${record.iface.linkType} record to a pcap file of link type ${this.linkType}: pcap holds one link type (use pcapng)`);
    }
    const capLen = Math.min(record.capLen ?? record.data.length, record.data.length);
    if (!Number.isInteger(record.tsSec) || record.tsSec < 0 || record.tsSec > 0xffffffff) {
      throw new RangeError(`Cannot write timestamp ${record.tsSec} s to pcap: it holds 0..4294967295`);
    }
    const scratch = this.scratch;
    scratch.ensure(16 + capLen);
    const view = scratch.view;
    const le = this.littleEndian;
    view.setUint32(0, record.tsSec, le);
    view.setUint32(4, this.nanosecond ? record.tsNsec : Math.floor(record.tsNsec / 1000), le);
    view.setUint32(8, capLen, le);
    view.setUint32(12, record.origLen, le);
    scratch.bytes.set(record.data.subarray(0, capLen), 16);
    this.sink.write(scratch.bytes.subarray(0, 16 + capLen));
    this.recordsWritten++;
  }

  /** Appends pre-formatted pcap records (e.g. a live-capture batch in this file's byte order and precision). */
  writeRawRecords(records: Uint8Array): void {
    this.sink.write(records);
  }

  flush(): void {
    this.sink.flush?.();
  }

  close(): void {
    this.sink.flush?.();
    this.sink.close?.();
  }
}

/** Interface fields a pcapng writer puts in an IDB. */
export interface InterfaceInput {
  linkType: number;
  snapLen?: number;
  name?: string;
  description?: string;
  filter?: string;
  os?: string;
  hardware?: string;
  /** Units per second, a power of 10 up to 1e9; default 1e9 (if_tsresol 9). */
  tsResolution?: number;
  /** if_tsoffset in seconds; record timestamps given to writeRecord include it. */
  tsOffset?: number;
  comments?: readonly string[];
  fcsLength?: number;
}

export interface PcapngWriterOptions {
  /** shb_userappl; default 'wiresage'. */
  application?: string;
  /** Section comment(s), e.g. the capture command line. */
  comment?: string | readonly string[];
  hardware?: string;
  os?: string;
  littleEndian?: boolean;
}

const utf8 = new TextEncoder();

/** Builds one block in a scratch buffer: header, fields, options, trailer. */
class BlockBuilder {
  private position = 0;
  private hasOptions = false;

  constructor(private readonly scratch: Scratch, private readonly littleEndian: boolean) {}

  begin(type: number): this {
    this.position = 8;
    this.hasOptions = false;
    this.scratch.ensure(64);
    this.scratch.view.setUint32(0, type, this.littleEndian);
    return this;
  }

  u16(value: number): this {
    this.scratch.ensure(this.position + 2);
    this.scratch.view.setUint16(this.position, value, this.littleEndian);
    this.position += 2;
    return this;
  }

  u32(value: number): this {
    this.scratch.ensure(this.position + 4);
    this.scratch.view.setUint32(this.position, value >>> 0, this.littleEndian);
    this.position += 4;
    return this;
  }

  /** A 64-bit unsigned value in the section's byte order. */
  u64(value: number): this {
    const high = Math.floor(value / 4294967296);
    const low = value - high * 4294967296;
    return this.littleEndian ? this.u32(low).u32(high) : this.u32(high).u32(low);
  }

  bytes(value: Uint8Array): this {
    this.scratch.ensure(this.position + value.length + 3);
    this.scratch.bytes.set(value, this.position);
    this.position += value.length;
    while (this.position & 3) this.scratch.bytes[this.position++] = 0;
    return this;
  }

  option(code: number, value: Uint8Array): this {
    if (value.length > 0xffff) throw new RangeError(`pcapng option ${code} is ${value.length} bytes; at most 65535 fit`);
    this.hasOptions = true;
    return this.u16(code).u16(value.length).bytes(value);
  }

  stringOption(code: number, value: string | undefined): this {
    return value === undefined ? this : this.option(code, utf8.encode(value));
  }

  finish(): Uint8Array {
    if (this.hasOptions) this.u32(0); // opt_endofopt
    const length = this.position + 4;
    this.u32(length);
    this.scratch.view.setUint32(4, length, this.littleEndian);
    return this.scratch.bytes.subarray(0, length);
  }
}

interface WriterInterface {
  tsResolution: number;
  tsOffset: number;
}

/**
 * pcapng writer: one section (SHB with shb_userappl "wiresage"), IDBs added as interfaces
 * appear, EPBs with comments and flags, optional ISBs and NRBs.
 */
export class PcapngWriter {
  recordsWritten = 0;
  private readonly scratch = new Scratch();
  private readonly block: BlockBuilder;
  private readonly littleEndian: boolean;
  private readonly interfaces: WriterInterface[] = [];
  private readonly interfaceIds = new Map<InterfaceDescription, number>();

  constructor(private readonly sink: ByteSink, opts?: PcapngWriterOptions) {
    this.littleEndian = opts?.littleEndian ?? true;
    this.block = new BlockBuilder(this.scratch, this.littleEndian);
    const comments = opts?.comment === undefined ? [] : typeof opts.comment === 'string' ? [opts.comment] : opts.comment;
    const block = this.block.begin(BLOCK_SHB).u32(BYTE_ORDER_MAGIC).u16(1).u16(0).u32(0xffffffff).u32(0xffffffff);
    for (const comment of comments) block.stringOption(OPT_COMMENT, comment);
    block.stringOption(OPT_SHB_HARDWARE, opts?.hardware).stringOption(OPT_SHB_OS, opts?.os)
      .stringOption(OPT_SHB_USERAPPL, opts?.application ?? 'wiresage');
    sink.write(block.finish());
  }

  /** Writes an IDB and returns the interface id to use in writeRecord. */
  addInterface(desc: InterfaceInput): number {
    const tsResolution = desc.tsResolution ?? 1e9;
    const tsresol = tsresolByte(tsResolution);
    if (tsresol === undefined || (tsresol & 0x80) !== 0 || tsResolution > 1e9) {
      throw new RangeError(`Cannot write if_tsresol for ${tsResolution} units per second: use a power of 10 up to 1e9`);
    }
    const block = this.block.begin(BLOCK_IDB).u16(desc.linkType).u16(0).u32(desc.snapLen ?? 0);
    for (const comment of desc.comments ?? []) block.stringOption(OPT_COMMENT, comment);
    block.stringOption(OPT_IF_NAME, desc.name).stringOption(OPT_IF_DESCRIPTION, desc.description);
    if (tsresol !== 6) block.option(OPT_IF_TSRESOL, Uint8Array.of(tsresol));
    if (desc.filter !== undefined) {
      const text = utf8.encode(desc.filter);
      const value = new Uint8Array(text.length + 1); // first byte 0: libpcap filter string
      value.set(text, 1);
      block.option(OPT_IF_FILTER, value);
    }
    block.stringOption(OPT_IF_OS, desc.os);
    if (desc.fcsLength !== undefined) block.option(OPT_IF_FCSLEN, Uint8Array.of(desc.fcsLength));
    const tsOffset = desc.tsOffset ?? 0;
    if (tsOffset !== 0) {
      const value = new Uint8Array(8);
      new DataView(value.buffer).setBigInt64(0, BigInt(tsOffset), this.littleEndian);
      block.option(OPT_IF_TSOFFSET, value);
    }
    block.stringOption(OPT_IF_HARDWARE, desc.hardware);
    this.sink.write(block.finish());
    this.interfaces.push({ tsResolution, tsOffset });
    return this.interfaces.length - 1;
  }

  /** The writer's id for a reader's interface, writing its IDB the first time. */
  interfaceIdFor(iface: InterfaceDescription): number {
    let id = this.interfaceIds.get(iface);
    if (id === undefined) {
      const resolution = iface.tsResolution <= 1e9 && tsresolByte(iface.tsResolution) !== undefined
        && (tsresolByte(iface.tsResolution)! & 0x80) === 0 ? iface.tsResolution : 1e9;
      id = this.addInterface({ ...iface, tsResolution: resolution });
      this.interfaceIds.set(iface, id);
    }
    return id;
  }

  writeRecord(record: WritableRecord): void {
    let id = record.interfaceId;
    if (id === undefined) {
      if (record.iface === undefined) throw new RangeError('Cannot write a record without iface or interfaceId');
      id = this.interfaceIdFor(record.iface);
    }
    const iface = this.interfaces[id];
    if (iface === undefined) throw new RangeError(`Cannot write a record for interface ${id}: only ${this.interfaces.length} added`);
    const capLen = Math.min(record.capLen ?? record.data.length, record.data.length);
    timeToTicks(record.tsSec - iface.tsOffset, record.tsNsec, iface.tsResolution);
    const comments = record.comments;
    let optionsLength = 0;
    let encoded: Uint8Array[] | undefined;
    if (comments !== undefined && comments.length > 0) {
      encoded = comments.map((c) => utf8.encode(c));
      for (const value of encoded) optionsLength += 4 + ((value.length + 3) & ~3);
    }
    if (record.epbFlags !== undefined) optionsLength += 8;
    if (optionsLength > 0) optionsLength += 4;
    const padded = (capLen + 3) & ~3;
    const length = 32 + padded + optionsLength;
    const scratch = this.scratch;
    scratch.ensure(length);
    const view = scratch.view;
    const bytes = scratch.bytes;
    const le = this.littleEndian;
    view.setUint32(0, BLOCK_EPB, le);
    view.setUint32(4, length, le);
    view.setUint32(8, id, le);
    view.setUint32(12, tickWords.hi, le);
    view.setUint32(16, tickWords.lo, le);
    view.setUint32(20, capLen, le);
    view.setUint32(24, record.origLen, le);
    bytes.set(record.data.subarray(0, capLen), 28);
    let position = 28 + capLen;
    while (position < 28 + padded) bytes[position++] = 0;
    if (optionsLength > 0) {
      if (encoded !== undefined) {
        for (const value of encoded) {
          view.setUint16(position, OPT_COMMENT, le);
          view.setUint16(position + 2, value.length, le);
          bytes.set(value, position + 4);
          position += 4 + value.length;
          while (position & 3) bytes[position++] = 0;
        }
      }
      if (record.epbFlags !== undefined) {
        view.setUint16(position, OPT_EPB_FLAGS, le);
        view.setUint16(position + 2, 4, le);
        view.setUint32(position + 4, record.epbFlags >>> 0, le);
        position += 8;
      }
      view.setUint32(position, 0, le);
      position += 4;
    }
    view.setUint32(position, length, le);
    this.sink.write(bytes.subarray(0, length));
    this.recordsWritten++;
  }

  /** Writes an Interface Statistics Block (counters absent from `stats` are left out). */
  writeInterfaceStatistics(interfaceId: number, stats: Partial<InterfaceStatistics>): void {
    const iface = this.interfaces[interfaceId];
    if (iface === undefined) throw new RangeError(`Cannot write statistics for interface ${interfaceId}: only ${this.interfaces.length} added`);
    const now = Date.now();
    const tsSec = stats.tsSec ?? Math.floor(now / 1000);
    const tsNsec = stats.tsNsec ?? (now % 1000) * 1e6;
    timeToTicks(tsSec - iface.tsOffset, tsNsec, iface.tsResolution);
    const block = this.block.begin(BLOCK_ISB).u32(interfaceId).u32(tickWords.hi).u32(tickWords.lo);
    for (const comment of stats.comments ?? []) block.stringOption(OPT_COMMENT, comment);
    const time = (code: number, value: [number, number] | undefined): void => {
      if (value === undefined) return;
      timeToTicks(value[0] - iface.tsOffset, value[1], iface.tsResolution);
      const bytes = new Uint8Array(8);
      const view = new DataView(bytes.buffer);
      view.setUint32(0, tickWords.hi, this.littleEndian);
      view.setUint32(4, tickWords.lo, this.littleEndian);
      block.option(code, bytes);
    };
    const counter = (code: number, value: number | undefined): void => {
      if (value === undefined) return;
      const bytes = new Uint8Array(8);
      new DataView(bytes.buffer).setBigUint64(0, BigInt(value), this.littleEndian);
      block.option(code, bytes);
    };
    time(OPT_ISB_STARTTIME, stats.start);
    time(OPT_ISB_ENDTIME, stats.end);
    counter(OPT_ISB_IFRECV, stats.ifRecv);
    counter(OPT_ISB_IFDROP, stats.ifDrop);
    counter(OPT_ISB_FILTERACCEPT, stats.filterAccept);
    counter(OPT_ISB_OSDROP, stats.osDrop);
    counter(OPT_ISB_USRDELIV, stats.userDelivered);
    this.sink.write(block.finish());
  }

  /** Writes a Name Resolution Block for IPv4/IPv6 entries (others are skipped). */
  writeNameResolution(entries: readonly NameResolutionEntry[]): void {
    const block = this.block.begin(BLOCK_NRB);
    for (const entry of entries) {
      const address = parseIpAddress(entry.addr);
      if (address === undefined) continue;
      const names = entry.names.map((n) => utf8.encode(n));
      const value = new Uint8Array(address.length + names.reduce((sum, n) => sum + n.length + 1, 0));
      value.set(address, 0);
      let offset = address.length;
      for (const name of names) {
        value.set(name, offset);
        offset += name.length + 1;
      }
      block.u16(address.length === 4 ? NRB_RECORD_IPV4 : NRB_RECORD_IPV6).u16(value.length).bytes(value);
    }
    block.u32(0); // nrb_record_end
    this.sink.write(block.finish());
  }

  flush(): void {
    this.sink.flush?.();
  }

  close(): void {
    this.sink.flush?.();
    this.sink.close?.();
  }
}

/** Bytes of a dotted IPv4 or textual IPv6 address, or undefined. */
function parseIpAddress(text: string): Uint8Array | undefined {
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (v4 !== null) {
    const parts = v4.slice(1).map(Number);
    return parts.every((p) => p <= 255) ? Uint8Array.from(parts) : undefined;
  }
  if (!text.includes(':')) return undefined;
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const head = halves[0] === '' ? [] : halves[0].split(':');
  const tail = halves.length === 2 && halves[1] !== '' ? halves[1].split(':') : [];
  const missing = 8 - head.length - tail.length;
  if (missing < 0 || (halves.length === 1 && missing !== 0)) return undefined;
  const groups = [...head, ...new Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...tail];
  const out = new Uint8Array(16);
  for (let i = 0; i < 8; i++) {
    if (!/^[0-9a-f]{1,4}$/i.test(groups[i])) return undefined;
    const value = parseInt(groups[i], 16);
    out[i * 2] = value >> 8;
    out[i * 2 + 1] = value & 0xff;
  }
  return out;
}
