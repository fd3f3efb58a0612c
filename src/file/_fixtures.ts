/**
 * Byte-fixture builders for the reader tests: pcap headers and records, and every pcapng block
 * type, in either byte order, with hooks to build them wrong (bad lengths, bad trailers).
 * Test-only; kept out of the public API.
 *
 * @example
 * const file = concat(shb(true), idb(true, { linkType: 1, tsresol: 9 }), epb(true, { hi: 0, lo: 5, data: frame }));
 */

import { Readable } from 'node:stream';
import { readerFromStream } from './open.js';
import type { CaptureReader, CaptureRecord } from './types.js';

const encoder = new TextEncoder();

/** Little writer of fields in one byte order. */
export class Bytes {
  private parts: number[] = [];

  constructor(private readonly littleEndian: boolean) {}

  u8(value: number): this {
    this.parts.push(value & 0xff);
    return this;
  }

  u16(value: number): this {
    return this.littleEndian ? this.u8(value).u8(value >> 8) : this.u8(value >> 8).u8(value);
  }

  u32(value: number): this {
    const v = value >>> 0;
    return this.littleEndian
      ? this.u8(v).u8(v >>> 8).u8(v >>> 16).u8(v >>> 24)
      : this.u8(v >>> 24).u8(v >>> 16).u8(v >>> 8).u8(v);
  }

  u64(value: bigint): this {
    const hi = Number((BigInt.asUintN(64, value) >> 32n) & 0xffffffffn);
    const lo = Number(BigInt.asUintN(64, value) & 0xffffffffn);
    return this.littleEndian ? this.u32(lo).u32(hi) : this.u32(hi).u32(lo);
  }

  bytes(value: Uint8Array | readonly number[]): this {
    for (const b of value) this.parts.push(b & 0xff);
    return this;
  }

  pad4(): this {
    while (this.parts.length % 4 !== 0) this.parts.push(0);
    return this;
  }

  get length(): number {
    return this.parts.length;
  }

  build(): Uint8Array {
    return Uint8Array.from(this.parts);
  }
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, p) => sum + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** Frame bytes 0, 1, 2… (mod 256) of a given length. */
export function frame(length: number, seed = 0): Uint8Array {
  return Uint8Array.from({ length }, (_, i) => (i + seed) & 0xff);
}

// ---- classic pcap ----

export interface PcapHeaderFixture {
  littleEndian?: boolean;
  magic?: number;
  versionMajor?: number;
  snapLen?: number;
  linkField?: number;
}

export function pcapHeader(h: PcapHeaderFixture = {}): Uint8Array {
  return new Bytes(h.littleEndian ?? true)
    .u32(h.magic ?? 0xa1b2c3d4).u16(h.versionMajor ?? 2).u16(4).u32(0).u32(0)
    .u32(h.snapLen ?? 65535).u32(h.linkField ?? 1).build();
}

export interface PcapRecordFixture {
  sec: number;
  fraction: number;
  data: Uint8Array;
  capLen?: number;
  origLen?: number;
  /** Modified (a1b2cd34) format: 8 more header bytes. */
  modified?: boolean;
}

export function pcapRecord(littleEndian: boolean, r: PcapRecordFixture): Uint8Array {
  const b = new Bytes(littleEndian).u32(r.sec).u32(r.fraction).u32(r.capLen ?? r.data.length).u32(r.origLen ?? r.data.length);
  if (r.modified) b.u32(3).u16(0x0800).u8(0).u8(0);
  return b.bytes(r.data).build();
}

// ---- pcapng ----

export type OptionFixture = [code: number, value: Uint8Array | string];

/** Options followed by opt_endofopt (nothing at all for an empty list). */
export function options(littleEndian: boolean, list: readonly OptionFixture[]): Uint8Array {
  if (list.length === 0) return new Uint8Array(0);
  const b = new Bytes(littleEndian);
  for (const [code, raw] of list) {
    const value = typeof raw === 'string' ? encoder.encode(raw) : raw;
    b.u16(code).u16(value.length).bytes(value).pad4();
  }
  return b.u16(0).u16(0).build();
}

export interface BlockFixture {
  /** Override the leading length. */
  length?: number;
  /** Override the trailing length. */
  trailer?: number;
}

/** type, length, body (padded), length. */
export function block(littleEndian: boolean, type: number, body: Uint8Array, f: BlockFixture = {}): Uint8Array {
  const padded = (body.length + 3) & ~3;
  const length = 12 + padded;
  return new Bytes(littleEndian).u32(type).u32(f.length ?? length).bytes(body).pad4().u32(f.trailer ?? f.length ?? length).build();
}

export interface ShbFixture extends BlockFixture {
  comments?: string[];
  hardware?: string;
  os?: string;
  application?: string;
  versionMajor?: number;
  extraOptions?: OptionFixture[];
}

export function shb(littleEndian: boolean, f: ShbFixture = {}): Uint8Array {
  const list: OptionFixture[] = [];
  for (const c of f.comments ?? []) list.push([1, c]);
  if (f.hardware !== undefined) list.push([2, f.hardware]);
  if (f.os !== undefined) list.push([3, f.os]);
  if (f.application !== undefined) list.push([4, f.application]);
  list.push(...(f.extraOptions ?? []));
  const body = new Bytes(littleEndian).u32(0x1a2b3c4d).u16(f.versionMajor ?? 1).u16(0).u64(-1n)
    .bytes(options(littleEndian, list)).build();
  return block(littleEndian, 0x0a0d0d0a, body, f);
}

export interface IdbFixture extends BlockFixture {
  linkType?: number;
  snapLen?: number;
  name?: string;
  description?: string;
  /** if_tsresol byte. */
  tsresol?: number;
  tsoffset?: bigint;
  filter?: string;
  os?: string;
  hardware?: string;
  fcslen?: number;
  comments?: string[];
  extraOptions?: OptionFixture[];
}

export function idb(littleEndian: boolean, f: IdbFixture = {}): Uint8Array {
  const list: OptionFixture[] = [];
  for (const c of f.comments ?? []) list.push([1, c]);
  if (f.name !== undefined) list.push([2, f.name]);
  if (f.description !== undefined) list.push([3, f.description]);
  if (f.tsresol !== undefined) list.push([9, Uint8Array.of(f.tsresol)]);
  if (f.filter !== undefined) list.push([11, concat(Uint8Array.of(0), encoder.encode(f.filter))]);
  if (f.os !== undefined) list.push([12, f.os]);
  if (f.fcslen !== undefined) list.push([13, Uint8Array.of(f.fcslen)]);
  if (f.tsoffset !== undefined) list.push([14, new Bytes(littleEndian).u64(f.tsoffset).build()]);
  if (f.hardware !== undefined) list.push([15, f.hardware]);
  list.push(...(f.extraOptions ?? []));
  const body = new Bytes(littleEndian).u16(f.linkType ?? 1).u16(0).u32(f.snapLen ?? 0).bytes(options(littleEndian, list)).build();
  return block(littleEndian, 1, body, f);
}

export interface EpbFixture extends BlockFixture {
  interfaceId?: number;
  /** 64-bit timestamp in interface units. */
  ts: bigint;
  data: Uint8Array;
  capLen?: number;
  origLen?: number;
  comments?: string[];
  flags?: number;
  extraOptions?: OptionFixture[];
}

export function epb(littleEndian: boolean, f: EpbFixture): Uint8Array {
  const list: OptionFixture[] = [];
  for (const c of f.comments ?? []) list.push([1, c]);
  if (f.flags !== undefined) list.push([2, new Bytes(littleEndian).u32(f.flags).build()]);
  list.push(...(f.extraOptions ?? []));
  const b = new Bytes(littleEndian).u32(f.interfaceId ?? 0)
    .u32(Number(f.ts >> 32n)).u32(Number(f.ts & 0xffffffffn))
    .u32(f.capLen ?? f.data.length).u32(f.origLen ?? f.data.length).bytes(f.data).pad4()
    .bytes(options(littleEndian, list));
  return block(littleEndian, 6, b.build(), f);
}

/** Obsolete Packet Block (type 2). */
export function pb(littleEndian: boolean, f: EpbFixture): Uint8Array {
  const list: OptionFixture[] = [];
  for (const c of f.comments ?? []) list.push([1, c]);
  if (f.flags !== undefined) list.push([2, new Bytes(littleEndian).u32(f.flags).build()]);
  const b = new Bytes(littleEndian).u16(f.interfaceId ?? 0).u16(0)
    .u32(Number(f.ts >> 32n)).u32(Number(f.ts & 0xffffffffn))
    .u32(f.capLen ?? f.data.length).u32(f.origLen ?? f.data.length).bytes(f.data).pad4()
    .bytes(options(littleEndian, list));
  return block(littleEndian, 2, b.build(), f);
}

export function spb(littleEndian: boolean, f: { origLen: number; data: Uint8Array } & BlockFixture): Uint8Array {
  return block(littleEndian, 3, new Bytes(littleEndian).u32(f.origLen).bytes(f.data).pad4().build(), f);
}

export interface NrbEntryFixture {
  type: number;
  address: readonly number[];
  names: string[];
}

export function nrb(littleEndian: boolean, entries: NrbEntryFixture[], list: OptionFixture[] = []): Uint8Array {
  const b = new Bytes(littleEndian);
  for (const e of entries) {
    const value = concat(Uint8Array.from(e.address), ...e.names.map((n) => concat(encoder.encode(n), Uint8Array.of(0))));
    b.u16(e.type).u16(value.length).bytes(value).pad4();
  }
  b.u16(0).u16(0).bytes(options(littleEndian, list));
  return block(littleEndian, 4, b.build());
}

export function isb(littleEndian: boolean, f: { interfaceId: number; ts: bigint; counters?: Record<number, bigint>; comments?: string[] }): Uint8Array {
  const list: OptionFixture[] = [];
  for (const c of f.comments ?? []) list.push([1, c]);
  for (const [code, value] of Object.entries(f.counters ?? {})) {
    const bytes = Number(code) <= 3
      ? new Bytes(littleEndian).u32(Number(value >> 32n)).u32(Number(value & 0xffffffffn)).build()
      : new Bytes(littleEndian).u64(value).build();
    list.push([Number(code), bytes]);
  }
  const b = new Bytes(littleEndian).u32(f.interfaceId).u32(Number(f.ts >> 32n)).u32(Number(f.ts & 0xffffffffn))
    .bytes(options(littleEndian, list));
  return block(littleEndian, 5, b.build());
}

/** Deterministic PRNG (mulberry32) for mutation tests. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// ---- reading helpers ----

/** A record copied out of the callback. */
export interface RecordSnapshot {
  iface: number;
  tsSec: number;
  tsNsec: number;
  capLen: number;
  origLen: number;
  data: Uint8Array;
  comments: string[];
  epbFlags: number | undefined;
  offset: number;
}

export function snapshot(r: CaptureRecord): RecordSnapshot {
  return {
    iface: r.iface.id, tsSec: r.tsSec, tsNsec: r.tsNsec, capLen: r.capLen, origLen: r.origLen,
    data: r.data.slice(), comments: [...r.comments], epbFlags: r.epbFlags, offset: r.offset,
  };
}

export interface ReadResult {
  reader: CaptureReader | undefined;
  records: RecordSnapshot[];
  error: unknown;
}

/**
 * Reads bytes through readerFromStream, handed over in pieces of `pieceSize` bytes
 * (default: all at once), with a parse buffer of `chunkSize`. Never rejects: the error is returned.
 */
export async function readBytes(bytes: Uint8Array, opts: { pieceSize?: number; chunkSize?: number; strict?: boolean; timeoutMs?: number } = {}): Promise<ReadResult> {
  const pieces: Buffer[] = [];
  const size = opts.pieceSize ?? Math.max(1, bytes.length);
  for (let i = 0; i < bytes.length; i += size) pieces.push(Buffer.from(bytes.subarray(i, i + size)));
  const result: ReadResult = { reader: undefined, records: [], error: undefined };
  const work = (async () => {
    try {
      result.reader = await readerFromStream(Readable.from(pieces), 'fixture', { chunkSize: opts.chunkSize, strict: opts.strict });
      await result.reader.forEach((r) => { result.records.push(snapshot(r)); });
    } catch (err) {
      result.error = err;
    }
  })();
  await withTimeout(work, opts.timeoutMs ?? 5000, 'reading a fixture');
  return result;
}

/** Rejects when `promise` takes longer than `ms` (a hang is a failure, not a stuck run). */
export async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
