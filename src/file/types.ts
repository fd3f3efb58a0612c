/**
 * Shared shapes of the capture-file readers and writers: what an interface is, what one
 * record looks like while it is handed to a callback, and the one error type a reader throws.
 *
 * @example
 * import { openCapture } from './open.js';
 * const reader = await openCapture('trace.pcapng');
 * const summary = await reader.forEach((record) => {
 *   console.log(record.iface.id, record.tsSec, record.tsNsec, record.capLen);
 * });
 */

/** Counters of a pcapng Interface Statistics Block; a counter is absent when the block lacks it. */
export interface InterfaceStatistics {
  /** Time the statistics were taken (block timestamp), same clock as records. */
  tsSec: number;
  tsNsec: number;
  /** isb_starttime / isb_endtime as [seconds, nanoseconds]. */
  start?: [number, number];
  end?: [number, number];
  /** isb_ifrecv: packets received by the interface. */
  ifRecv?: number;
  /** isb_ifdrop: packets dropped by the interface for lack of resources. */
  ifDrop?: number;
  /** isb_filteraccept: packets accepted by the capture filter. */
  filterAccept?: number;
  /** isb_osdrop: packets dropped by the operating system. */
  osDrop?: number;
  /** isb_usrdeliv: packets delivered to the user. */
  userDelivered?: number;
  comments: string[];
}

/** One capture interface: the single pseudo-interface of a classic pcap file, or one pcapng IDB. */
export interface InterfaceDescription {
  /**
   * Global interface index in file order, as tshark's `frame.interface_id`: interfaces of a
   * later pcapng section continue the numbering of the earlier ones (section-local EPB
   * interface ids are mapped through the section's table).
   */
  id: number;
  /** DLT/LINKTYPE number (low 16 bits of a pcap header's link field). */
  linkType: number;
  /** 0 = unlimited. */
  snapLen: number;
  name?: string;
  description?: string;
  filter?: string;
  os?: string;
  hardware?: string;
  /** Timestamp units per second: 1e6, 1e9, 2**n… */
  tsResolution: number;
  /** Seconds (if_tsoffset), already added to record timestamps. */
  tsOffset: number;
  comments: string[];
  /** Bytes of frame check sequence at the end of each frame, when the file says (pcap link-field FCS bits, if_fcslen). */
  fcsLength?: number;
  /** Latest Interface Statistics Block seen for this interface. */
  statistics?: InterfaceStatistics;
  /** Index of the pcapng section (0-based) that declared the interface. */
  section?: number;
  /**
   * The interface's number inside its pcapng section (what EPBs of that section say). Equal to
   * `id` in single-section files. tshark 4.0 prints this one as frame.interface_id (and then
   * names the interface of the first section with that number): see pcapng.ts.
   */
  sectionInterfaceId?: number;
}

/** A record as handed to a reader's callback. The object and its `data` are reused: copy what you keep. */
export interface CaptureRecord {
  iface: InterfaceDescription;
  /** Integer seconds since the epoch. */
  tsSec: number;
  /** 0..999_999_999, exact. */
  tsNsec: number;
  capLen: number;
  origLen: number;
  /** capLen bytes; a view valid ONLY during the callback. */
  data: Uint8Array;
  /** opt_comment of the EPB/PB/SPB; a shared empty array when none. */
  comments: string[];
  /** epb_flags (pack_flags of an obsolete PB) when present: direction bits 0-1, reception type 2-4, FCS length 5-8. */
  epbFlags?: number;
  /** Byte offset of the record in the (decompressed) stream. */
  offset: number;
}

/**
 * The only error a capture reader throws for bad input. `offset` is where in the
 * (decompressed) stream the problem is, `path` the name of the file ('-' for stdin).
 *
 * @example
 * throw CaptureFileError.at('x.pcapng', 1234, 'pcapng block length 7 is smaller than 12');
 * // message: "Cannot read capture file x.pcapng at offset 1234: pcapng block length 7 is smaller than 12"
 */
export class CaptureFileError extends Error {
  constructor(message: string, readonly offset?: number, readonly path?: string) {
    super(message);
    this.name = 'CaptureFileError';
  }

  /** Damage at a known place: "Cannot read capture file F at offset N: what". */
  static at(path: string, offset: number, what: string): CaptureFileError {
    return new CaptureFileError(`Cannot read capture file ${path} at offset ${offset}: ${what}`, offset, path);
  }
}

export interface ReadSummary {
  /** Records delivered to the callback. */
  records: number;
  /** Captured bytes delivered (sum of capLen). */
  bytes: number;
}

/** One NRB entry: an address and the names the capturing host had for it. */
export interface NameResolutionEntry {
  /** Dotted IPv4, RFC 5952 IPv6, or colon-separated EUI-48/EUI-64. */
  addr: string;
  names: string[];
}

export interface CaptureReader {
  readonly format: 'pcap' | 'pcapng';
  /** True when the input was gzip-compressed. */
  readonly compressed: boolean;
  /** Grows as IDBs are read (the ones before the first packet are there once the reader is open). */
  readonly interfaces: InterfaceDescription[];
  /** Of the latest section read (pcapng); empty for pcap. */
  readonly sectionComments: string[];
  readonly shbHardware?: string;
  readonly shbOs?: string;
  readonly shbApplication?: string;
  /** pcapng Name Resolution Block entries read so far. */
  readonly nameResolution: NameResolutionEntry[];
  /**
   * Calls onRecord for each whole record in file order; the callback returns false to stop early.
   * Every whole record before damage is delivered first; then it throws CaptureFileError saying
   * where and what. Call it once per reader.
   */
  forEach(onRecord: (r: CaptureRecord) => boolean | void): Promise<ReadSummary>;
  /** Releases the file descriptor or stream; safe to call more than once. */
  close(): void;
}

/** Callback type of {@link CaptureReader.forEach}. */
export type RecordCallback = (r: CaptureRecord) => boolean | void;

/** Shared empty comment list: records without comments all point at it (never push into it). */
export const NO_COMMENTS: string[] = Object.freeze([]) as unknown as string[];
