import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { readerFromStream } from './open.js';
import { MAX_BLOCK_LENGTH, formatAddress, type PcapngReader } from './pcapng.js';
import {
  Bytes, block, concat, epb, frame, idb, isb, nrb, pb, prng, readBytes, shb, spb, type RecordSnapshot,
} from './_fixtures.js';
import { CaptureFileError } from './types.js';

const NS = 1700000000123456789n; // 2023-11-14T22:13:20.123456789Z in ns: past 2**53

/*
 * A file with every block type this reader handles, in one byte order:
 *   SHB (2 comments, hardware, os, application)
 *   IDB 0: Ethernet, snaplen 128, name/description/filter/os/hardware/fcslen/comment, if_tsresol 9
 *   IDB 1: Linux SLL2, default µs resolution, if_tsoffset +100 s
 *   NRB: 192.0.2.1 → a.example, b.example; 2001:db8::1 → v6.example; EUI-48 00:11:22:33:44:55 → mac
 *   EPB if 0 (ns timestamp, 2 comments, epb_flags 0x1)
 *   custom block 0x00000BAD, DSB: skipped
 *   EPB if 1 (µs + tsoffset)
 *   SPB (origLen 200 > snaplen 128 of IDB 0: capLen 128)
 *   PB if 1 (pack_flags 2, comment)
 *   ISB if 0 (ifrecv 1000, ifdrop 3, osdrop 4, starttime, comment)
 *   EPB if 0 with a 0-byte frame
 */
function fullFile(le: boolean): Uint8Array {
  return concat(
    shb(le, { comments: ['first comment', 'second'], hardware: 'x86_64', os: 'Linux 6.1', application: 'fixture 1.0' }),
    idb(le, {
      linkType: 1, snapLen: 128, name: 'eth0', description: 'uplink', tsresol: 9, filter: 'tcp port 443',
      os: 'Linux', hardware: 'virtio', fcslen: 4, comments: ['idb comment'],
    }),
    idb(le, { linkType: 276, snapLen: 0, tsoffset: 100n }),
    nrb(le, [
      { type: 1, address: [192, 0, 2, 1], names: ['a.example', 'b.example'] },
      { type: 2, address: [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1], names: ['v6.example'] },
      { type: 3, address: [0, 0x11, 0x22, 0x33, 0x44, 0x55], names: ['mac'] },
    ]),
    epb(le, { interfaceId: 0, ts: NS, data: frame(60), origLen: 60, comments: ['hello', 'wörld'], flags: 1 }),
    block(le, 0x00000bad, new Bytes(le).u32(32473).u32(0xdeadbeef).build()),
    block(le, 0x0000000a, new Bytes(le).u32(0x544c534b).u32(4).u32(0x01020304).build()),
    epb(le, { interfaceId: 1, ts: 1000001n, data: frame(33, 3), origLen: 1500 }),
    spb(le, { origLen: 200, data: frame(128, 5) }),
    pb(le, { interfaceId: 1, ts: 2000000n, data: frame(20), comments: ['old'], flags: 2 }),
    isb(le, { interfaceId: 0, ts: NS + 1n, counters: { 2: NS - 10n, 4: 1000n, 5: 3n, 7: 4n }, comments: ['stats'] }),
    epb(le, { interfaceId: 0, ts: NS + 2n, data: new Uint8Array(0), origLen: 0 }),
  );
}

function summary(r: RecordSnapshot): unknown[] {
  return [r.iface, r.tsSec, r.tsNsec, r.capLen, r.origLen, r.comments, r.epbFlags];
}

for (const le of [true, false]) {
  test(`pcapng ${le ? 'little' : 'big'}-endian: every block type`, async () => {
    const { reader, records, error } = await readBytes(fullFile(le));
    assert.equal(error, undefined);
    assert.ok(reader !== undefined);
    assert.equal(reader.format, 'pcapng');
    assert.deepEqual(reader.sectionComments, ['first comment', 'second']);
    assert.equal(reader.shbHardware, 'x86_64');
    assert.equal(reader.shbOs, 'Linux 6.1');
    assert.equal(reader.shbApplication, 'fixture 1.0');
    const [eth0, sll] = reader.interfaces;
    assert.deepEqual(
      { ...eth0, statistics: undefined },
      {
        id: 0, linkType: 1, snapLen: 128, name: 'eth0', description: 'uplink', filter: 'tcp port 443', os: 'Linux',
        hardware: 'virtio', fcsLength: 4, tsResolution: 1e9, tsOffset: 0, comments: ['idb comment'], section: 0,
        sectionInterfaceId: 0, statistics: undefined,
      },
    );
    assert.deepEqual([sll.id, sll.linkType, sll.tsResolution, sll.tsOffset], [1, 276, 1e6, 100]);
    assert.deepEqual(eth0.statistics, {
      tsSec: 1700000000, tsNsec: 123456790, start: [1700000000, 123456779], ifRecv: 1000, ifDrop: 3, osDrop: 4,
      comments: ['stats'],
    });
    assert.deepEqual(reader.nameResolution, [
      { addr: '192.0.2.1', names: ['a.example', 'b.example'] },
      { addr: '2001:db8::1', names: ['v6.example'] },
      { addr: '00:11:22:33:44:55', names: ['mac'] },
    ]);
    assert.deepEqual(records.map(summary), [
      [0, 1700000000, 123456789, 60, 60, ['hello', 'wörld'], 1],
      [1, 101, 1000, 33, 1500, [], undefined],
      [0, 0, 0, 128, 200, [], undefined],
      [1, 102, 0, 20, 20, ['old'], 2],
      [0, 1700000000, 123456791, 0, 0, [], undefined],
    ]);
    assert.deepEqual(records[0].data, frame(60));
    assert.deepEqual(records[1].data, frame(33, 3));
    assert.deepEqual(records[2].data, frame(128, 5));
    assert.deepEqual(records[3].data, frame(20));
    // offsets point at each packet block
    const bytes = fullFile(le);
    for (const r of records) {
      const type = new DataView(bytes.buffer).getUint32(r.offset, le);
      assert.ok([2, 3, 6].includes(type), `block type ${type} at ${r.offset}`);
    }
  });
}

test('interfaces before the first packet are known as soon as the reader is open', async () => {
  const reader = await readerFromStream(Readable.from([Buffer.from(fullFile(true))]), 'fixture');
  assert.deepEqual(reader.interfaces.map((i) => i.name ?? null), ['eth0', null]);
  assert.equal(reader.nameResolution.length, 3);
  const result = await reader.forEach(() => false); // stop after the first record
  assert.deepEqual(result, { records: 1, bytes: 60 });
});

test('if_tsresol 2^-n, 10^-12 and negative if_tsoffset give exact timestamps', async () => {
  const file = concat(
    shb(true),
    idb(true, { tsresol: 0x94 }), // 2^-20 s
    idb(true, { tsresol: 12 }), // ps
    idb(true, { tsresol: 6, tsoffset: -100n }),
    epb(true, { interfaceId: 0, ts: (5n << 20n) + 1000n, data: frame(4) }),
    epb(true, { interfaceId: 1, ts: 1700000000123456789123n % (1n << 64n), data: frame(4) }),
    epb(true, { interfaceId: 2, ts: 1000000001000001n, data: frame(4) }),
  );
  const { records, error } = await readBytes(file);
  assert.equal(error, undefined);
  assert.deepEqual(records.map((r) => [r.tsSec, r.tsNsec]), [
    [5, 953674], // floor(1000 * 1e9 / 2**20); tshark 4.0.17 prints 5.000953674 too
    [2899545, 342178040], // 2899545342178040451 ps; tshark 4.0 overflows and prints 2899545.010136647
    [999999901, 1000],
  ]);
});

test('several sections: global interface ids in file order, section byte order switches', async () => {
  const file = concat(
    shb(true, { comments: ['one'] }),
    idb(true, { name: 'a' }), idb(true, { name: 'b', tsresol: 9 }),
    epb(true, { interfaceId: 1, ts: NS, data: frame(60) }),
    epb(true, { interfaceId: 0, ts: 1700000000123456n, data: frame(60) }),
    shb(false, { comments: ['two'], os: 'big' }),
    idb(false, { name: 'c' }),
    epb(false, { interfaceId: 0, ts: 1700000001000000n, data: frame(60) }),
    idb(false, { name: 'd' }),
    epb(false, { interfaceId: 1, ts: 1700000002000000n, data: frame(60) }),
  );
  const { reader, records, error } = await readBytes(file);
  assert.equal(error, undefined);
  assert.deepEqual(records.map((r) => [r.iface, r.tsSec, r.tsNsec]), [
    [1, 1700000000, 123456789], [0, 1700000000, 123456000], [2, 1700000001, 0], [3, 1700000002, 0],
  ]);
  assert.deepEqual(reader?.interfaces.map((i) => [i.id, i.name, i.section, i.sectionInterfaceId]), [
    [0, 'a', 0, 0], [1, 'b', 0, 1], [2, 'c', 1, 0], [3, 'd', 1, 1],
  ]);
  assert.deepEqual(reader?.sectionComments, ['two']);
  assert.equal(reader?.shbOs, 'big');
  assert.deepEqual((reader as PcapngReader).sections.map((s) => [s.index, s.littleEndian, s.comments]), [
    [0, true, ['one']], [1, false, ['two']],
  ]);
});

interface DamageCase {
  name: string;
  file: Uint8Array;
  records: number;
  message: string;
  /** Thrown by the open call itself. */
  atOpen?: boolean;
}

function damageCases(): DamageCase[] {
  const head = concat(shb(true), idb(true));
  const good = epb(true, { ts: 1n, data: frame(8) });
  const at = head.length + good.length;
  const overflowing = epb(true, { ts: 2n, data: frame(8), comments: ['abcd'] });
  new DataView(overflowing.buffer).setUint16(28 + 8 + 2, 200, true);
  const badShb = shb(true);
  new DataView(badShb.buffer).setUint32(8, 0x11223344, true);
  return [
    {
      name: 'block length below 12', records: 1,
      file: concat(head, good, new Bytes(true).u32(6).u32(7).u32(7).build()),
      message: `at offset ${at}: pcapng block length 7 is smaller than 12`,
    },
    {
      name: 'block length not a multiple of 4', records: 1,
      file: concat(head, good, block(true, 6, new Uint8Array(24), { length: 38, trailer: 38 }), new Uint8Array(8)),
      message: `at offset ${at}: pcapng block length 38 is not a multiple of 4`,
    },
    {
      name: 'EPB shorter than its fixed part', records: 1,
      file: concat(head, good, block(true, 6, new Uint8Array(8))),
      message: `at offset ${at}: pcapng Enhanced Packet Block length 20 is smaller than 32`,
    },
    {
      name: 'trailing length differs', records: 1,
      file: concat(head, good, epb(true, { ts: 2n, data: frame(8), trailer: 44 })),
      message: `at offset ${at}: pcapng Enhanced Packet Block length 40 does not match its trailing length 44`,
    },
    {
      name: 'EPB interface out of range', records: 1,
      file: concat(head, good, epb(true, { interfaceId: 3, ts: 2n, data: frame(8) })),
      message: `at offset ${at}: pcapng Enhanced Packet Block refers to interface 3, but its section has 1 interface`,
    },
    {
      name: 'EPB captured length beyond its block', records: 1,
      file: concat(head, good, epb(true, { ts: 2n, data: frame(8), capLen: 9 })),
      message: `at offset ${at}: pcapng Enhanced Packet Block captured length 9 is larger than the 8 bytes the block has room for`,
    },
    {
      name: 'option longer than its block', records: 1,
      file: concat(head, good, overflowing),
      message: `at offset ${at}: pcapng option 1 at offset ${at + 36} has length 200, more than the 8 bytes left in its block`,
    },
    {
      name: 'SPB before any IDB', records: 0,
      file: concat(shb(true), spb(true, { origLen: 4, data: frame(4) })),
      message: 'at offset 28: pcapng Simple Packet Block refers to interface 0, but its section has 0 interfaces',
    },
    {
      name: 'block longer than the largest allowed', records: 1,
      file: concat(head, good, new Bytes(true).u32(6).u32(MAX_BLOCK_LENGTH + 4).u32(0).build()),
      message: `at offset ${at}: pcapng block length ${MAX_BLOCK_LENGTH + 4} is larger than the maximum of ${MAX_BLOCK_LENGTH}`,
    },
    {
      name: 'second section of version 2', records: 1,
      file: concat(head, good, shb(true, { versionMajor: 2 }), idb(true), good),
      message: `at offset ${at}: pcapng section version 2.0 is not supported (needs 1.x)`,
    },
    {
      name: 'damage before the first packet (found while opening) is thrown by forEach', records: 0,
      file: concat(shb(true), idb(true, { trailer: 99 })),
      message: 'at offset 28: pcapng Interface Description Block length 20 does not match its trailing length 99',
    },
    {
      name: 'truncated EPB', records: 1,
      file: concat(head, good, epb(true, { ts: 2n, data: frame(1514) }).subarray(0, 700)),
      message: `at offset ${at}: truncated: record at offset ${at} needs 1548 bytes, only 700 remain`,
    },
    {
      name: 'bad byte-order magic', records: 0, atOpen: true,
      file: badShb,
      message: 'at offset 0: pcapng section header byte-order magic is 0x44332211, not 1a2b3c4d',
    },
    {
      name: 'truncated section header', records: 0, atOpen: true,
      file: shb(true).subarray(0, 20),
      message: 'at offset 0: truncated: pcapng Section Header Block at offset 0 needs 28 bytes, only 20 remain',
    },
  ];
}

for (const c of damageCases()) {
  test(`damage: ${c.name}`, async () => {
    const { reader, records, error } = await readBytes(c.file);
    assert.equal(records.length, c.records);
    assert.ok(error instanceof CaptureFileError, String(error));
    assert.equal(error.message, `Cannot read capture file fixture ${c.message}`);
    assert.equal(reader === undefined, c.atOpen === true);
  });
}

/** End offset of every packet block (from the block's own length field). */
function blockEnds(bytes: Uint8Array, records: RecordSnapshot[], le: boolean): number[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset);
  return records.map((r) => r.offset + view.getUint32(r.offset + 4, le));
}

/** Offsets where a block ends (a cut there leaves a valid, shorter file). */
function allBlockEnds(bytes: Uint8Array): number[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset);
  const ends: number[] = [];
  let le = true;
  for (let at = 0; at < bytes.length;) {
    if (view.getUint32(at, true) === 0x0a0d0d0a) le = view.getUint32(at + 8, true) === 0x1a2b3c4d;
    at += view.getUint32(at + 4, le);
    ends.push(at);
  }
  return ends;
}

test('cut at every length: whole records, then CaptureFileError (or a clean end at a block boundary)', async () => {
  for (const le of [true, false]) {
    const file = fullFile(le);
    const full = await readBytes(file);
    const ends = blockEnds(file, full.records, le);
    const boundaries = allBlockEnds(file);
    for (let length = 0; length < file.length; length++) {
      const { records, error } = await readBytes(file.subarray(0, length));
      const expected = ends.filter((end) => end <= length).length;
      assert.deepEqual(records, full.records.slice(0, expected), `cut at ${length}`);
      if (boundaries.includes(length)) assert.equal(error, undefined, `cut at ${length}: ${String(error)}`);
      else assert.ok(error instanceof CaptureFileError, `cut at ${length}: ${String(error)}`);
    }
  }
});

test('blocks split across stream pieces and tiny parse buffers read the same', async () => {
  const file = fullFile(true);
  const full = await readBytes(file);
  for (const pieceSize of [1, 3, 5, 12, 13, 100]) {
    for (const chunkSize of [12, 28, 64, 4096]) {
      const { reader, records, error } = await readBytes(file, { pieceSize, chunkSize });
      assert.equal(error, undefined, `pieces of ${pieceSize}, buffer ${chunkSize}`);
      assert.deepEqual(records, full.records, `pieces of ${pieceSize}, buffer ${chunkSize}`);
      assert.equal(reader?.interfaces[0].statistics?.ifRecv, 1000);
    }
  }
});

test('2000 seeded mutations: only CaptureFileError, never a hang, records stay sane', async () => {
  const random = prng(99);
  const bases = [fullFile(true), fullFile(false)];
  const interesting = [0, 1, 2, 3, 6, 12, 0xff, 0x80, 0x7f, 0x0a, 0x0d];
  let errors = 0;
  for (let i = 0; i < 2000; i++) {
    const base = bases[i & 1];
    const bytes = base.slice();
    const count = 1 + Math.floor(random() * 4);
    for (let j = 0; j < count; j++) {
      const at = Math.floor(random() * bytes.length);
      bytes[at] = random() < 0.6 ? interesting[Math.floor(random() * interesting.length)] : Math.floor(random() * 256);
    }
    const cut = random() < 0.2 ? Math.floor(random() * bytes.length) : bytes.length;
    const { records, error } = await readBytes(bytes.subarray(0, cut), { pieceSize: 1 + Math.floor(random() * 64), chunkSize: 64 });
    if (error !== undefined) {
      assert.ok(error instanceof CaptureFileError, `mutation ${i}: ${String((error as Error).stack)}`);
      errors++;
    }
    for (const r of records) {
      assert.equal(r.data.length, r.capLen);
      assert.ok(Number.isInteger(r.tsSec) && r.tsNsec >= 0 && r.tsNsec < 1e9, `mutation ${i}: ${r.tsSec}.${r.tsNsec}`);
      assert.ok(r.offset >= 28 && r.offset + r.capLen <= cut);
    }
  }
  assert.ok(errors > 200, `expected many mutations to be rejected, got ${errors}`);
});

test('formatAddress: RFC 5952 IPv6 compression', () => {
  const v6 = (...groups: number[]): string =>
    formatAddress(Uint8Array.from(groups.flatMap((g) => [g >> 8, g & 0xff])), 0, 16);
  assert.equal(v6(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1), '2001:db8::1');
  assert.equal(v6(0, 0, 0, 0, 0, 0, 0, 1), '::1');
  assert.equal(v6(0, 0, 0, 0, 0, 0, 0, 0), '::');
  assert.equal(v6(0x2001, 0xdb8, 0, 1, 1, 1, 1, 1), '2001:db8:0:1:1:1:1:1'); // a single zero group stays
  assert.equal(v6(0x2001, 0, 0, 1, 0, 0, 0, 1), '2001:0:0:1::1'); // the longest run wins
  assert.equal(v6(0xfe80, 0, 0, 0, 0xabcd, 0, 0, 0), 'fe80::abcd:0:0:0'); // first of equal runs
});
