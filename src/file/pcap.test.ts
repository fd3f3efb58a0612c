import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  PCAP_MAGIC_MICROSECONDS, PCAP_MAGIC_MODIFIED, PCAP_MAGIC_NANOSECONDS, PcapRecordParser, parsePcapFileHeader,
  parsePcapRecords,
} from './pcap.js';
import { concat, frame, pcapHeader, pcapRecord, prng, readBytes, type RecordSnapshot } from './_fixtures.js';
import { CaptureFileError, type CaptureRecord } from './types.js';

/*
 * The basic fixture, little-endian microseconds, Ethernet, snaplen 65535 (xxd):
 *   00000000: d4c3 b2a1 0200 0400 0000 0000 0000 0000  file header
 *   00000010: ffff 0000 0100 0000
 *   00000018: 00f1 5365 4042 0f00 3c00 0000 3c00 0000  record 1: 1700000000.999999, 60/60
 *   00000028: 0001 0203 …                               60 data bytes
 */
function basicFile(littleEndian: boolean, magic: number): Uint8Array {
  const nano = magic === PCAP_MAGIC_NANOSECONDS;
  const modified = magic === PCAP_MAGIC_MODIFIED;
  return concat(
    pcapHeader({ littleEndian, magic }),
    pcapRecord(littleEndian, { sec: 1700000000, fraction: nano ? 999999999 : 999999, data: frame(60), modified }),
    pcapRecord(littleEndian, { sec: 1700000001, fraction: 0, data: frame(54, 1), origLen: 1514, modified }),
    pcapRecord(littleEndian, { sec: 1700000002, fraction: nano ? 5 : 5, data: frame(0), origLen: 0, modified }),
  );
}

for (const littleEndian of [true, false]) {
  for (const magic of [PCAP_MAGIC_MICROSECONDS, PCAP_MAGIC_NANOSECONDS, PCAP_MAGIC_MODIFIED]) {
    const label = `${littleEndian ? 'little' : 'big'}-endian magic ${magic.toString(16)}`;
    test(`pcap ${label}: records, timestamps, lengths`, async () => {
      const { reader, records, error } = await readBytes(basicFile(littleEndian, magic));
      assert.equal(error, undefined);
      assert.equal(reader?.format, 'pcap');
      assert.equal(reader?.compressed, false);
      const nano = magic === PCAP_MAGIC_NANOSECONDS;
      assert.deepEqual(reader?.interfaces.map((i) => [i.id, i.linkType, i.snapLen, i.tsResolution]), [[0, 1, 65535, nano ? 1e9 : 1e6]]);
      const header = magic === PCAP_MAGIC_MODIFIED ? 24 : 16;
      assert.deepEqual(records.map((r) => [r.tsSec, r.tsNsec, r.capLen, r.origLen, r.offset]), [
        [1700000000, nano ? 999999999 : 999999000, 60, 60, 24],
        [1700000001, 0, 54, 1514, 24 + header + 60],
        [1700000002, nano ? 5 : 5000, 0, 0, 24 + 2 * header + 60 + 54],
      ]);
      assert.deepEqual(records[0].data, frame(60));
      assert.deepEqual(records[1].data, frame(54, 1));
      assert.deepEqual(records[0].comments, []);
      assert.equal(records[0].epbFlags, undefined);
    });
  }
}

test('file header: link field FCS bits, version, bad magic', () => {
  const header = parsePcapFileHeader(pcapHeader({ linkField: 0x04000000 | (2 << 28) | 105 }));
  assert.equal(header.linkType, 105);
  assert.equal(header.fcsLength, 4);
  assert.equal(parsePcapFileHeader(pcapHeader({ linkField: 0x30000084 })).linkType, 0x84); // no P bit: no FCS length
  assert.equal(parsePcapFileHeader(pcapHeader({ linkField: 0x30000084 })).fcsLength, undefined);
  assert.throws(() => parsePcapFileHeader(pcapHeader({ versionMajor: 1 })), /pcap version 1\.4 is not supported/);
  assert.throws(() => parsePcapFileHeader(pcapHeader({ magic: 0x12345678 })), CaptureFileError);
});

test('out-of-range fractions carry into seconds (tshark 4.0 prints them unnormalised)', async () => {
  const file = concat(
    pcapHeader(),
    pcapRecord(true, { sec: 10, fraction: 1000000, data: frame(4) }),
    pcapRecord(true, { sec: 0, fraction: 3841916976, data: frame(4) }),
  );
  const { records, error } = await readBytes(file);
  assert.equal(error, undefined);
  assert.deepEqual(records.map((r) => [r.tsSec, r.tsNsec]), [[11, 0], [3841, 916976000]]);
});

test('caplen above the link type maximum is damage at that record; earlier records come first', async () => {
  const file = concat(
    pcapHeader({ snapLen: 65535 }),
    pcapRecord(true, { sec: 1, fraction: 0, data: frame(10) }),
    pcapRecord(true, { sec: 2, fraction: 0, data: frame(10), capLen: 262145, origLen: 262145 }),
  );
  const { records, error } = await readBytes(file);
  assert.equal(records.length, 1);
  assert.ok(error instanceof CaptureFileError);
  assert.equal(error.offset, 24 + 26);
  assert.match(error.message, /^Cannot read capture file fixture at offset 50: pcap record captured length 262145 is larger than the maximum of 262144/);
});

test('a snaplen above 256 KiB in the header raises the limit (libpcap honours the header)', async () => {
  const big = frame(300000);
  const { records, error } = await readBytes(concat(pcapHeader({ snapLen: 400000 }), pcapRecord(true, { sec: 1, fraction: 0, data: big })));
  assert.equal(error, undefined);
  assert.equal(records[0].capLen, 300000);
});

test('caplen > len is delivered (as libpcap and tshark do) unless strict', async () => {
  const file = concat(pcapHeader(), pcapRecord(true, { sec: 1, fraction: 0, data: frame(34), origLen: 32 }));
  const lenient = await readBytes(file);
  assert.equal(lenient.error, undefined);
  assert.deepEqual(lenient.records.map((r) => [r.capLen, r.origLen]), [[34, 32]]);
  const strict = await readBytes(file, { strict: true });
  assert.equal(strict.records.length, 0);
  assert.ok(strict.error instanceof CaptureFileError);
  assert.match(String(strict.error.message), /at offset 24: pcap record captured length 34 is larger than its original length 32/);
});

test('truncated final record: whole records first, then where and how much is missing', async () => {
  const file = concat(
    pcapHeader(),
    pcapRecord(true, { sec: 1, fraction: 0, data: frame(60) }),
    pcapRecord(true, { sec: 2, fraction: 0, data: frame(1514) }).subarray(0, 16 + 700),
  );
  const { records, error } = await readBytes(file);
  assert.equal(records.length, 1);
  assert.ok(error instanceof CaptureFileError);
  assert.equal(error.message, 'Cannot read capture file fixture at offset 100: truncated: record at offset 100 needs 1530 bytes, only 716 remain');
});

/** End offset of each record of a pcap fixture. */
function recordEnds(records: RecordSnapshot[], headerLength: number): number[] {
  return records.map((r) => r.offset + headerLength + r.capLen);
}

test('cut at every length: whole records, then CaptureFileError (or a clean end at a boundary)', async () => {
  for (const magic of [PCAP_MAGIC_MICROSECONDS, PCAP_MAGIC_MODIFIED]) {
    const file = basicFile(false, magic);
    const full = await readBytes(file);
    const ends = recordEnds(full.records, magic === PCAP_MAGIC_MODIFIED ? 24 : 16);
    for (let length = 0; length < file.length; length++) {
      const { records, error } = await readBytes(file.subarray(0, length));
      const expected = ends.filter((end) => end <= length).length;
      assert.equal(records.length, expected, `cut at ${length}`);
      assert.deepEqual(records, full.records.slice(0, expected));
      const atBoundary = length === 24 || ends.includes(length);
      if (atBoundary) assert.equal(error, undefined, `cut at ${length}`);
      else assert.ok(error instanceof CaptureFileError, `cut at ${length}: ${String(error)}`);
    }
  }
});

test('records split across stream pieces and tiny parse buffers read the same', async () => {
  const file = basicFile(true, PCAP_MAGIC_NANOSECONDS);
  const full = await readBytes(file);
  for (const pieceSize of [1, 2, 3, 7, 16, 17, 64]) {
    for (const chunkSize of [8, 24, 40, 100, 4096]) {
      const { records, error } = await readBytes(file, { pieceSize, chunkSize });
      assert.equal(error, undefined);
      assert.deepEqual(records, full.records, `pieces of ${pieceSize}, buffer ${chunkSize}`);
    }
  }
});

test('2000 seeded mutations: only CaptureFileError, never a hang, records stay sane', async () => {
  const random = prng(1234);
  const base = concat(basicFile(true, PCAP_MAGIC_MICROSECONDS).subarray(0), pcapRecord(true, { sec: 3, fraction: 3, data: frame(100) }));
  const interesting = [0, 1, 0xff, 0x7f, 0x80];
  let errors = 0;
  for (let i = 0; i < 2000; i++) {
    const bytes = base.slice();
    const count = 1 + Math.floor(random() * 4);
    for (let j = 0; j < count; j++) {
      const at = Math.floor(random() * bytes.length);
      bytes[at] = random() < 0.5 ? interesting[Math.floor(random() * interesting.length)] : Math.floor(random() * 256);
    }
    const cut = random() < 0.2 ? Math.floor(random() * bytes.length) : bytes.length;
    const { records, error } = await readBytes(bytes.subarray(0, cut), { pieceSize: 1 + Math.floor(random() * 50) });
    if (error !== undefined) {
      assert.ok(error instanceof CaptureFileError, `mutation ${i}: ${String(error)}`);
      errors++;
    }
    for (const r of records) {
      assert.equal(r.data.length, r.capLen);
      assert.ok(r.tsNsec >= 0 && r.tsNsec < 1e9);
      assert.ok(r.offset >= 24 && r.offset + r.capLen <= cut);
    }
  }
  assert.ok(errors > 100, `expected many mutations to be rejected, got ${errors}`);
});

test('parsePcapRecords: live batches in any split, callback can stop', () => {
  const parser = new PcapRecordParser({ littleEndian: true, nanosecond: true, linkType: 1, snapLen: 262144 });
  const batch = concat(
    pcapRecord(true, { sec: 5, fraction: 1, data: frame(70) }),
    pcapRecord(true, { sec: 6, fraction: 2, data: frame(80) }),
    pcapRecord(true, { sec: 7, fraction: 3, data: frame(90) }),
  );
  const seen: Array<[number, number, number, number]> = [];
  const collect = (r: CaptureRecord): void => { seen.push([r.tsSec, r.tsNsec, r.capLen, r.offset]); };
  // First half: one whole record and part of the second.
  let used = parsePcapRecords(batch.subarray(0, 120), parser, collect);
  assert.equal(used, 86);
  assert.equal(parser.need, 96);
  used += parsePcapRecords(batch.subarray(used), parser, collect, used);
  assert.equal(used, batch.length);
  assert.deepEqual(seen, [[5, 1, 70, 0], [6, 2, 80, 86], [7, 3, 90, 182]]);
  assert.equal(parser.records, 3);
  assert.equal(parser.bytes, 240);

  const stopper = new PcapRecordParser({ littleEndian: true, nanosecond: false, linkType: 1, snapLen: 0 });
  let calls = 0;
  const stopAt = parsePcapRecords(batch, stopper, () => ++calls < 2);
  assert.equal(calls, 2);
  assert.equal(stopAt, 86 + 96);
  assert.equal(stopper.stopped, true);
});
