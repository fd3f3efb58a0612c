/**
 * pcapng files (draft-ietf-opsawg-pcapng): a sequence of blocks
 *
 *     0  block type u32
 *     4  block total length u32 (multiple of 4, >= 12, includes these 12 bytes)
 *     8  body…, options (code u16, length u16, value padded to 4; code 0 ends)
 *   n-4  block total length again
 *
 * in one or more sections, each opened by a Section Header Block whose byte-order magic sets
 * the byte order of the section. Interfaces (IDBs) are numbered per section in the file but
 * globally here (`InterfaceDescription.id`), in file order, as capinfos lists them ("Interface
 * #2" is the first IDB of the second section when the first had two). tshark 4.0.17 prints the
 * section-local number as frame.interface_id and then shows the first section's interface of
 * that number (checked with a two-section file): `sectionInterfaceId` keeps the local number.
 *
 * Where this reader and tshark 4.0 differ on purpose:
 * - EPB captured length above the link type's maximum (256 KiB): tshark stops ("cap_len N is
 *   larger than 262144"); here the block is self-delimiting, so the record is delivered.
 * - if_tsresol finer than 10^-10 or 2^-32: tshark's fraction * 1e9 overflows 64 bits and
 *   prints wrong nanoseconds; here the conversion is exact (BigInt fallback).
 * - SPB: no timestamp; tshark prints an empty frame.time_epoch, here tsSec = tsNsec = 0.
 *
 * Blocks read: SHB, IDB, EPB, SPB, PB (obsolete), NRB, ISB. Others (DSB, custom, systemd
 * journal, sysdig…) are skipped by length — Wireshark turns some of those into frames of its
 * own (journal entries, sysdig events), which are not packets and not records here.
 *
 * @example
 * const reader = await openCapture('trace.pcapng');
 * await reader.forEach((r) => { if (r.epbFlags !== undefined && (r.epbFlags & 3) === 1) inbound++; });
 */
import { ChunkInput, RecordSlot, drive } from './source.js';
import { TickConverter, tsresolUnits } from './timestamp.js';
import {
  CaptureFileError, NO_COMMENTS,
  type CaptureReader, type InterfaceDescription, type InterfaceStatistics, type NameResolutionEntry,
  type ReadSummary, type RecordCallback,
} from './types.js';

export const BLOCK_SHB = 0x0a0d0d0a;
export const BLOCK_IDB = 0x00000001;
export const BLOCK_PB = 0x00000002;
export const BLOCK_SPB = 0x00000003;
export const BLOCK_NRB = 0x00000004;
export const BLOCK_ISB = 0x00000005;
export const BLOCK_EPB = 0x00000006;
export const BLOCK_DSB = 0x0000000a;
export const BYTE_ORDER_MAGIC = 0x1a2b3c4d;

export const OPT_ENDOFOPT = 0;
export const OPT_COMMENT = 1;
export const OPT_SHB_HARDWARE = 2;
export const OPT_SHB_OS = 3;
export const OPT_SHB_USERAPPL = 4;
export const OPT_IF_NAME = 2;
export const OPT_IF_DESCRIPTION = 3;
export const OPT_IF_TSRESOL = 9;
export const OPT_IF_FILTER = 11;
export const OPT_IF_OS = 12;
export const OPT_IF_FCSLEN = 13;
export const OPT_IF_TSOFFSET = 14;
export const OPT_IF_HARDWARE = 15;
export const OPT_EPB_FLAGS = 2;
export const OPT_ISB_STARTTIME = 2;
export const OPT_ISB_ENDTIME = 3;
export const OPT_ISB_IFRECV = 4;
export const OPT_ISB_IFDROP = 5;
export const OPT_ISB_FILTERACCEPT = 6;
export const OPT_ISB_OSDROP = 7;
export const OPT_ISB_USRDELIV = 8;
export const NRB_RECORD_END = 0;
export const NRB_RECORD_IPV4 = 1;
export const NRB_RECORD_IPV6 = 2;
export const NRB_RECORD_EUI48 = 3;
export const NRB_RECORD_EUI64 = 4;

/** Smallest legal length of each block type (12 bytes of framing + fixed body). */
function minimumLength(type: number): number {
  switch (type) {
    case BLOCK_EPB:
    case BLOCK_PB: return 32;
    case BLOCK_SHB: return 28;
    case BLOCK_ISB: return 24;
    case BLOCK_IDB: return 20;
    case BLOCK_SPB: return 16;
    default: return 12;
  }
}

const BLOCK_NAMES: Record<number, string> = {
  [BLOCK_SHB]: 'Section Header Block', [BLOCK_IDB]: 'Interface Description Block',
  [BLOCK_PB]: 'Packet Block', [BLOCK_SPB]: 'Simple Packet Block', [BLOCK_NRB]: 'Name Resolution Block',
  [BLOCK_ISB]: 'Interface Statistics Block', [BLOCK_EPB]: 'Enhanced Packet Block',
  [BLOCK_DSB]: 'Decryption Secrets Block',
};

/**
 * Largest block accepted: an EPB carrying a maximum D-Bus message (128 MiB) plus 128 KiB of
 * options, as Wireshark's MAX_BLOCK_SIZE. Bigger lengths are damage, not data.
 */
export const MAX_BLOCK_LENGTH = 32 + 128 * 1024 * 1024 + 131072;

/** One pcapng section as read. */
export interface SectionDescription {
  index: number;
  /** Offset of its SHB. */
  offset: number;
  littleEndian: boolean;
  versionMajor: number;
  versionMinor: number;
  comments: string[];
  hardware?: string;
  os?: string;
  application?: string;
}

/** Per-interface parsing state that does not belong in the public description. */
interface InterfaceState {
  desc: InterfaceDescription;
  ticks: TickConverter;
}

const utf8 = new TextDecoder('utf-8');

function decodeString(buf: Uint8Array, start: number, length: number): string {
  let end = start + length;
  while (end > start && buf[end - 1] === 0) end--; // some writers NUL-terminate
  return utf8.decode(buf.subarray(start, end));
}

function blockName(type: number): string {
  return BLOCK_NAMES[type] ?? `block of type 0x${type.toString(16).padStart(8, '0')}`;
}

/** Is the first word (big-endian read) a pcapng SHB? The block type reads the same both ways. */
export function isPcapngMagic(firstWordBigEndian: number): boolean {
  return firstWordBigEndian === BLOCK_SHB;
}

/**
 * Synchronous pcapng block parser. Keeps the section state (byte order, interface table)
 * across calls, so chunks may split the stream anywhere between blocks.
 */
export class PcapngParser {
  need = 12;
  /** Block type of the incomplete block at the position where parse() stopped. */
  private needType = 0;
  stopped = false;
  /** Stop (with `stopped` set) before the first packet block: used while opening. */
  pauseBeforePackets = false;
  records = 0;
  bytes = 0;
  littleEndian = true;
  readonly interfaces: InterfaceDescription[] = [];
  readonly sections: SectionDescription[] = [];
  readonly nameResolution: NameResolutionEntry[] = [];
  private sectionInterfaces: InterfaceState[] = [];
  private readonly record: RecordSlot;
  private readonly placeholder: InterfaceDescription;

  constructor(readonly path = '-') {
    this.placeholder = { id: -1, linkType: 0, snapLen: 0, tsResolution: 1e6, tsOffset: 0, comments: [] };
    this.record = new RecordSlot(this.placeholder, NO_COMMENTS);
  }

  get currentSection(): SectionDescription | undefined {
    return this.sections[this.sections.length - 1];
  }

  parse(buf: Uint8Array, view: DataView, start: number, end: number, base: number, onRecord: RecordCallback): number {
    let position = start;
    while (end - position >= 12) {
      const type = view.getUint32(position, this.littleEndian);
      let littleEndian = this.littleEndian;
      if (type === BLOCK_SHB) {
        const magic = view.getUint32(position + 8, true);
        if (magic === BYTE_ORDER_MAGIC) littleEndian = true;
        else if (magic === 0x4d3c2b1a) littleEndian = false;
        else {
          throw this.damage(base + position, `pcapng section header byte-order magic is 0x${view.getUint32(position + 8, false).toString(16).padStart(8, '0')}, not 1a2b3c4d`);
        }
      } else if (this.sections.length === 0) {
        throw this.damage(base + position, `pcapng file does not start with a Section Header Block`);
      }
      const length = view.getUint32(position + 4, littleEndian);
      if (length < 12) throw this.damage(base + position, `pcapng block length ${length} is smaller than 12`);
      if ((length & 3) !== 0) throw this.damage(base + position, `pcapng block length ${length} is not a multiple of 4`);
      if (length > MAX_BLOCK_LENGTH) throw this.damage(base + position, `pcapng block length ${length} is larger than the maximum of ${MAX_BLOCK_LENGTH}`);
      const minimum = minimumLength(type);
      if (length < minimum) {
        throw this.damage(base + position, `pcapng ${blockName(type)} length ${length} is smaller than ${minimum}`);
      }
      if (length > end - position) {
        this.need = length;
        this.needType = type;
        return position;
      }
      const trailer = view.getUint32(position + length - 4, littleEndian);
      if (trailer !== length) {
        throw this.damage(base + position, `pcapng ${blockName(type)} length ${length} does not match its trailing length ${trailer}`);
      }
      switch (type) {
        case BLOCK_EPB:
        case BLOCK_PB:
        case BLOCK_SPB: {
          if (this.pauseBeforePackets) {
            this.stopped = true;
            return position;
          }
          if (type === BLOCK_EPB) this.readEnhancedPacket(buf, view, position, length, base);
          else if (type === BLOCK_SPB) this.readSimplePacket(buf, view, position, length, base);
          else this.readObsoletePacket(buf, view, position, length, base);
          this.records++;
          this.bytes += this.record.capLen;
          position += length;
          if (onRecord(this.record) === false) {
            this.stopped = true;
            return position;
          }
          continue;
        }
        case BLOCK_SHB:
          this.readSectionHeader(buf, view, position, length, base, littleEndian);
          break;
        case BLOCK_IDB:
          this.readInterfaceDescription(buf, view, position, length, base);
          break;
        case BLOCK_NRB:
          this.readNameResolution(buf, view, position, length, base);
          break;
        case BLOCK_ISB:
          this.readInterfaceStatistics(buf, view, position, length, base);
          break;
        default:
          break; // DSB, custom and unknown blocks: skipped by length
      }
      position += length;
    }
    this.need = 12;
    return position;
  }

  truncated(offset: number, available: number): CaptureFileError {
    if (available < 12) {
      return CaptureFileError.at(this.path, offset, `truncated: pcapng block header at offset ${offset} needs 12 bytes, only ${available} remain`);
    }
    const type = this.needType;
    const what = type === BLOCK_EPB || type === BLOCK_PB || type === BLOCK_SPB ? 'record' : `pcapng ${blockName(type)}`;
    return CaptureFileError.at(this.path, offset, `truncated: ${what} at offset ${offset} needs ${this.need} bytes, only ${available} remain`);
  }

  private damage(offset: number, what: string): CaptureFileError {
    return CaptureFileError.at(this.path, offset, what);
  }

  private interfaceFor(localId: number, offset: number, type: number): InterfaceState {
    const state = this.sectionInterfaces[localId];
    if (state === undefined) {
      throw this.damage(offset, `pcapng ${blockName(type)} refers to interface ${localId}, but its section has ${this.sectionInterfaces.length} interface${this.sectionInterfaces.length === 1 ? '' : 's'}`);
    }
    return state;
  }

  private readEnhancedPacket(buf: Uint8Array, view: DataView, position: number, length: number, base: number): void {
    const littleEndian = this.littleEndian;
    const iface = this.interfaceFor(view.getUint32(position + 8, littleEndian), base + position, BLOCK_EPB);
    const capLen = view.getUint32(position + 20, littleEndian);
    const room = length - 32;
    if (capLen > room) {
      throw this.damage(base + position, `pcapng Enhanced Packet Block captured length ${capLen} is larger than the ${room} bytes the block has room for`);
    }
    const record = this.record;
    iface.ticks.convert(view.getUint32(position + 12, littleEndian), view.getUint32(position + 16, littleEndian));
    record.iface = iface.desc;
    record.tsSec = iface.ticks.sec + iface.desc.tsOffset;
    record.tsNsec = iface.ticks.nsec;
    record.capLen = capLen;
    record.origLen = view.getUint32(position + 24, littleEndian);
    record.data = buf.subarray(position + 28, position + 28 + capLen);
    record.offset = base + position;
    record.comments = NO_COMMENTS;
    record.epbFlags = undefined;
    const optionsStart = position + 28 + ((capLen + 3) & ~3);
    if (optionsStart + 4 <= position + length - 4) this.readPacketOptions(buf, view, optionsStart, position + length - 4, base, position);
  }

  private readObsoletePacket(buf: Uint8Array, view: DataView, position: number, length: number, base: number): void {
    const littleEndian = this.littleEndian;
    const iface = this.interfaceFor(view.getUint16(position + 8, littleEndian), base + position, BLOCK_PB);
    const capLen = view.getUint32(position + 20, littleEndian);
    const room = length - 32;
    if (capLen > room) {
      throw this.damage(base + position, `pcapng Packet Block captured length ${capLen} is larger than the ${room} bytes the block has room for`);
    }
    const record = this.record;
    iface.ticks.convert(view.getUint32(position + 12, littleEndian), view.getUint32(position + 16, littleEndian));
    record.iface = iface.desc;
    record.tsSec = iface.ticks.sec + iface.desc.tsOffset;
    record.tsNsec = iface.ticks.nsec;
    record.capLen = capLen;
    record.origLen = view.getUint32(position + 24, littleEndian);
    record.data = buf.subarray(position + 28, position + 28 + capLen);
    record.offset = base + position;
    record.comments = NO_COMMENTS;
    record.epbFlags = undefined;
    const optionsStart = position + 28 + ((capLen + 3) & ~3);
    if (optionsStart + 4 <= position + length - 4) this.readPacketOptions(buf, view, optionsStart, position + length - 4, base, position);
  }

  private readSimplePacket(buf: Uint8Array, view: DataView, position: number, length: number, base: number): void {
    const iface = this.interfaceFor(0, base + position, BLOCK_SPB);
    const origLen = view.getUint32(position + 8, this.littleEndian);
    // The SPB has no captured length: min(original length, snaplen, room in the block).
    let capLen = Math.min(origLen, length - 16);
    if (iface.desc.snapLen !== 0 && capLen > iface.desc.snapLen) capLen = iface.desc.snapLen;
    const record = this.record;
    record.iface = iface.desc;
    record.tsSec = 0; // an SPB carries no timestamp
    record.tsNsec = 0;
    record.capLen = capLen;
    record.origLen = origLen;
    record.data = buf.subarray(position + 12, position + 12 + capLen);
    record.offset = base + position;
    record.comments = NO_COMMENTS;
    record.epbFlags = undefined;
  }

  /** opt_comment and epb_flags (pack_flags) of a packet block; everything else is skipped. */
  private readPacketOptions(buf: Uint8Array, view: DataView, start: number, end: number, base: number, blockPosition: number): void {
    const littleEndian = this.littleEndian;
    let position = start;
    while (end - position >= 4) {
      const code = view.getUint16(position, littleEndian);
      const length = view.getUint16(position + 2, littleEndian);
      if (code === OPT_ENDOFOPT) return;
      if (length > end - position - 4) throw this.optionOverflow(base, blockPosition, position, code, length, end);
      const value = position + 4;
      if (code === OPT_COMMENT) {
        if (this.record.comments === NO_COMMENTS) this.record.comments = [];
        this.record.comments.push(decodeString(buf, value, length));
      } else if (code === OPT_EPB_FLAGS && length >= 4) {
        this.record.epbFlags = view.getUint32(value, littleEndian);
      }
      position = value + ((length + 3) & ~3);
    }
  }

  private optionOverflow(base: number, blockPosition: number, position: number, code: number, length: number, end: number): CaptureFileError {
    return this.damage(base + blockPosition,
      `pcapng option ${code} at offset ${base + position} has length ${length}, more than the ${Math.max(0, end - position - 4)} bytes left in its block`);
  }

  /** Calls visit(code, valueOffset, valueLength) for each option in [start, end). */
  private forEachOption(view: DataView, start: number, end: number, base: number, blockPosition: number,
    visit: (code: number, value: number, length: number) => void): void {
    let position = start;
    while (end - position >= 4) {
      const code = view.getUint16(position, this.littleEndian);
      const length = view.getUint16(position + 2, this.littleEndian);
      if (code === OPT_ENDOFOPT) return;
      if (length > end - position - 4) throw this.optionOverflow(base, blockPosition, position, code, length, end);
      visit(code, position + 4, length);
      position += 4 + ((length + 3) & ~3);
    }
  }

  private readSectionHeader(buf: Uint8Array, view: DataView, position: number, length: number, base: number, littleEndian: boolean): void {
    const versionMajor = view.getUint16(position + 12, littleEndian);
    const versionMinor = view.getUint16(position + 14, littleEndian);
    if (versionMajor !== 1) {
      throw this.damage(base + position, `pcapng section version ${versionMajor}.${versionMinor} is not supported (needs 1.x)`);
    }
    this.littleEndian = littleEndian;
    const section: SectionDescription = {
      index: this.sections.length, offset: base + position, littleEndian, versionMajor, versionMinor, comments: [],
    };
    this.forEachOption(view, position + 24, position + length - 4, base, position, (code, value, valueLength) => {
      if (code === OPT_COMMENT) section.comments.push(decodeString(buf, value, valueLength));
      else if (code === OPT_SHB_HARDWARE) section.hardware = decodeString(buf, value, valueLength);
      else if (code === OPT_SHB_OS) section.os = decodeString(buf, value, valueLength);
      else if (code === OPT_SHB_USERAPPL) section.application = decodeString(buf, value, valueLength);
    });
    this.sections.push(section);
    this.sectionInterfaces = [];
  }

  private readInterfaceDescription(buf: Uint8Array, view: DataView, position: number, length: number, base: number): void {
    const littleEndian = this.littleEndian;
    const desc: InterfaceDescription = {
      id: this.interfaces.length,
      linkType: view.getUint16(position + 8, littleEndian),
      snapLen: view.getUint32(position + 12, littleEndian),
      tsResolution: 1e6,
      tsOffset: 0,
      comments: [],
      section: this.sections.length - 1,
      sectionInterfaceId: this.sectionInterfaces.length,
    };
    let units = { units: 1e6, exact: 1000000n };
    this.forEachOption(view, position + 16, position + length - 4, base, position, (code, value, valueLength) => {
      switch (code) {
        case OPT_COMMENT: desc.comments.push(decodeString(buf, value, valueLength)); break;
        case OPT_IF_NAME: desc.name = decodeString(buf, value, valueLength); break;
        case OPT_IF_DESCRIPTION: desc.description = decodeString(buf, value, valueLength); break;
        case OPT_IF_OS: desc.os = decodeString(buf, value, valueLength); break;
        case OPT_IF_HARDWARE: desc.hardware = decodeString(buf, value, valueLength); break;
        case OPT_IF_TSRESOL:
          if (valueLength >= 1) units = tsresolUnits(buf[value]);
          break;
        case OPT_IF_TSOFFSET:
          if (valueLength >= 8) {
            const low = view.getUint32(value + (littleEndian ? 0 : 4), littleEndian);
            const high = view.getInt32(value + (littleEndian ? 4 : 0), littleEndian);
            desc.tsOffset = high * 4294967296 + low;
          }
          break;
        case OPT_IF_FCSLEN:
          if (valueLength >= 1) desc.fcsLength = buf[value];
          break;
        case OPT_IF_FILTER:
          // First byte says what follows: 0 = libpcap filter string, 1 = BPF program.
          if (valueLength >= 1) {
            desc.filter = buf[value] === 0
              ? decodeString(buf, value + 1, valueLength - 1)
              : `(BPF program, ${Math.floor((valueLength - 1) / 8)} instructions)`;
          }
          break;
        default:
          break;
      }
    });
    desc.tsResolution = units.units;
    const state: InterfaceState = {
      desc,
      ticks: new TickConverter(units.units, units.exact),
    };
    this.interfaces.push(desc);
    this.sectionInterfaces.push(state);
  }

  private readNameResolution(buf: Uint8Array, view: DataView, position: number, length: number, base: number): void {
    const littleEndian = this.littleEndian;
    const end = position + length - 4;
    let cursor = position + 8;
    let ended = false;
    while (end - cursor >= 4) {
      const recordType = view.getUint16(cursor, littleEndian);
      const recordLength = view.getUint16(cursor + 2, littleEndian);
      if (recordType === NRB_RECORD_END) {
        cursor += 4;
        ended = true;
        break;
      }
      const value = cursor + 4;
      if (recordLength > end - value) {
        throw this.damage(base + position, `pcapng Name Resolution Block record at offset ${base + cursor} has length ${recordLength}, more than the ${end - value} bytes left in its block`);
      }
      const addressLength = recordType === NRB_RECORD_IPV4 ? 4 : recordType === NRB_RECORD_IPV6 ? 16
        : recordType === NRB_RECORD_EUI48 ? 6 : recordType === NRB_RECORD_EUI64 ? 8 : -1;
      if (addressLength > 0 && recordLength >= addressLength) {
        const names: string[] = [];
        let nameStart = value + addressLength;
        for (let i = nameStart; i < value + recordLength; i++) {
          if (buf[i] === 0) {
            if (i > nameStart) names.push(utf8.decode(buf.subarray(nameStart, i)));
            nameStart = i + 1;
          }
        }
        if (nameStart < value + recordLength) names.push(utf8.decode(buf.subarray(nameStart, value + recordLength)));
        this.nameResolution.push({ addr: formatAddress(buf, value, addressLength), names });
      }
      cursor = value + ((recordLength + 3) & ~3);
    }
    if (ended && cursor < end) this.forEachOption(view, cursor, end, base, position, () => {});
  }

  private readInterfaceStatistics(buf: Uint8Array, view: DataView, position: number, length: number, base: number): void {
    const littleEndian = this.littleEndian;
    const state = this.sectionInterfaces[view.getUint32(position + 8, littleEndian)];
    const ticks = state?.ticks ?? new TickConverter(1e6);
    ticks.convert(view.getUint32(position + 12, littleEndian), view.getUint32(position + 16, littleEndian));
    const offset = state?.desc.tsOffset ?? 0;
    const stats: InterfaceStatistics = { tsSec: ticks.sec + offset, tsNsec: ticks.nsec, comments: [] };
    const u64 = (value: number): number => littleEndian
      ? view.getUint32(value + 4, true) * 4294967296 + view.getUint32(value, true)
      : view.getUint32(value, false) * 4294967296 + view.getUint32(value + 4, false);
    this.forEachOption(view, position + 20, position + length - 4, base, position, (code, value, valueLength) => {
      if (code === OPT_COMMENT) {
        stats.comments.push(decodeString(buf, value, valueLength));
        return;
      }
      if (valueLength < 8) return;
      switch (code) {
        case OPT_ISB_STARTTIME:
        case OPT_ISB_ENDTIME: {
          // Timestamps in options are high word first, like the block's own.
          ticks.convert(view.getUint32(value, littleEndian), view.getUint32(value + 4, littleEndian));
          const time: [number, number] = [ticks.sec + offset, ticks.nsec];
          if (code === OPT_ISB_STARTTIME) stats.start = time; else stats.end = time;
          break;
        }
        case OPT_ISB_IFRECV: stats.ifRecv = u64(value); break;
        case OPT_ISB_IFDROP: stats.ifDrop = u64(value); break;
        case OPT_ISB_FILTERACCEPT: stats.filterAccept = u64(value); break;
        case OPT_ISB_OSDROP: stats.osDrop = u64(value); break;
        case OPT_ISB_USRDELIV: stats.userDelivered = u64(value); break;
        default: break;
      }
    });
    if (state !== undefined) state.desc.statistics = stats;
  }
}

/** Text form of an NRB address: dotted IPv4, RFC 5952 IPv6, colon-separated EUI. */
export function formatAddress(buf: Uint8Array, start: number, length: number): string {
  if (length === 4) return `${buf[start]}.${buf[start + 1]}.${buf[start + 2]}.${buf[start + 3]}`;
  if (length === 16) {
    const groups: number[] = [];
    for (let i = 0; i < 16; i += 2) groups.push((buf[start + i] << 8) | buf[start + i + 1]);
    // RFC 5952 section 4.2: compress the longest run (>= 2) of zero groups, the first one on ties.
    let bestStart = -1;
    let bestLength = 1;
    for (let i = 0; i < 8;) {
      if (groups[i] !== 0) { i++; continue; }
      let j = i;
      while (j < 8 && groups[j] === 0) j++;
      if (j - i > bestLength) { bestStart = i; bestLength = j - i; }
      i = j;
    }
    const hex = groups.map((g) => g.toString(16));
    if (bestStart < 0) return hex.join(':');
    return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
  }
  return Array.from(buf.subarray(start, start + length), (b) => b.toString(16).padStart(2, '0')).join(':');
}

/** Streaming reader of a pcapng file or stream. */
export class PcapngReader implements CaptureReader {
  readonly format = 'pcapng' as const;
  private used = false;
  /** Damage met while reading ahead to the first packet: thrown by forEach. */
  private pendingError: unknown = undefined;

  private constructor(private readonly input: ChunkInput, private readonly parser: PcapngParser, readonly compressed: boolean) {}

  /**
   * Reads the first SHB (damage there is thrown here) and every block up to the first packet
   * block, so `interfaces` is known before forEach is called.
   */
  static async open(input: ChunkInput, compressed: boolean): Promise<PcapngReader> {
    const parser = new PcapngParser(input.path);
    const reader = new PcapngReader(input, parser, compressed);
    parser.pauseBeforePackets = true;
    try {
      for (;;) {
        input.start = parser.parse(input.buf, input.view, input.start, input.end, input.base, () => {});
        if (parser.stopped) break;
        if (input.eof) {
          if (parser.sections.length > 0) break; // forEach reports the truncation or read failure
          if (input.sourceError !== undefined) throw input.sourceFailure();
          throw parser.truncated(input.position, input.available);
        }
        await input.fill(parser.need);
      }
    } catch (err) {
      // Damage in the first SHB means the file cannot be opened; later damage waits for forEach.
      if (parser.sections.length === 0) throw err;
      reader.pendingError = err;
    }
    parser.stopped = false;
    parser.pauseBeforePackets = false;
    return reader;
  }

  get interfaces(): InterfaceDescription[] { return this.parser.interfaces; }
  get sections(): SectionDescription[] { return this.parser.sections; }
  get nameResolution(): NameResolutionEntry[] { return this.parser.nameResolution; }
  get sectionComments(): string[] { return this.parser.currentSection?.comments ?? []; }
  get shbHardware(): string | undefined { return this.parser.currentSection?.hardware; }
  get shbOs(): string | undefined { return this.parser.currentSection?.os; }
  get shbApplication(): string | undefined { return this.parser.currentSection?.application; }

  async forEach(onRecord: RecordCallback): Promise<ReadSummary> {
    if (this.used) throw new Error('CaptureReader.forEach() can be called only once per reader');
    this.used = true;
    try {
      if (this.pendingError !== undefined) throw this.pendingError;
      return await drive(this.input, this.parser, onRecord);
    } finally {
      this.close();
    }
  }

  close(): void {
    this.input.close();
  }
}
