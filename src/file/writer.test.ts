import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { LINKTYPE_ETHERNET, LINKTYPE_LINUX_SLL2, LINKTYPE_RAW } from './linktype.js';
import { Readable } from 'node:stream';
import { openCapture, readerFromStream } from './open.js';
import { MemorySink, PcapWriter, PcapngWriter, fileSink, type WritableRecord } from './writer.js';
import { frame, readBytes, snapshot, type RecordSnapshot } from './_fixtures.js';
import type { CaptureReader, InterfaceDescription } from './types.js';

let dir = '';
before(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wiresage-writer-')); });
after(() => { fs.rmSync(dir, { recursive: true, force: true }); });

const hasTool = (tool: string): boolean => spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;

function sampleRecords(): WritableRecord[] {
  return [
    { tsSec: 1700000000, tsNsec: 123456789, origLen: 60, data: frame(60) },
    { tsSec: 1700000001, tsNsec: 999999999, origLen: 1514, data: frame(100, 1), capLen: 100 },
    { tsSec: 4294967295, tsNsec: 0, origLen: 0, data: new Uint8Array(0) },
  ];
}

for (const nanosecond of [false, true]) {
  for (const littleEndian of [true, false]) {
    test(`PcapWriter ${nanosecond ? 'ns' : 'µs'} ${littleEndian ? 'LE' : 'BE'}: reads back`, async () => {
      const sink = new MemorySink();
      const writer = new PcapWriter(sink, { linkType: LINKTYPE_ETHERNET, snapLen: 1600, nanosecond, littleEndian });
      for (const r of sampleRecords()) writer.writeRecord(r);
      writer.close();
      const { reader, records, error } = await readBytes(sink.bytes());
      assert.equal(error, undefined);
      assert.deepEqual(reader?.interfaces.map((i) => [i.linkType, i.snapLen, i.tsResolution]), [[1, 1600, nanosecond ? 1e9 : 1e6]]);
      assert.deepEqual(records.map((r) => [r.tsSec, r.tsNsec, r.capLen, r.origLen]), [
        [1700000000, nanosecond ? 123456789 : 123456000, 60, 60],
        [1700000001, nanosecond ? 999999999 : 999999000, 100, 1514],
        [4294967295, 0, 0, 0],
      ]);
      assert.deepEqual(records[1].data, frame(100, 1));
    });
  }
}

test('PcapWriter refuses what pcap cannot hold', () => {
  const writer = new PcapWriter(new MemorySink(), { linkType: LINKTYPE_ETHERNET });
  const iface: InterfaceDescription = { id: 0, linkType: LINKTYPE_RAW, snapLen: 0, tsResolution: 1e6, tsOffset: 0, comments: [] };
  assert.throws(() => writer.writeRecord({ iface, tsSec: 1, tsNsec: 0, origLen: 1, data: frame(1) }), /one link type/);
  assert.throws(() => writer.writeRecord({ tsSec: 2 ** 32, tsNsec: 0, origLen: 1, data: frame(1) }), RangeError);
});

/** A pcapng file with everything the writer can put in it. */
function writeFullPcapng(sink: MemorySink | ReturnType<typeof fileSink>): void {
  const writer = new PcapngWriter(sink, { comment: 'wiresage capture -i eth0 -w x', hardware: 'x86_64', os: 'Linux 6.1' });
  const eth0 = writer.addInterface({
    linkType: LINKTYPE_ETHERNET, snapLen: 262144, name: 'eth0', description: 'uplink', filter: 'tcp port 443',
    os: 'Linux', hardware: 'virtio', comments: ['first interface'],
  });
  const any = writer.addInterface({ linkType: LINKTYPE_LINUX_SLL2, name: 'any', tsResolution: 1e6, tsOffset: 3600 });
  writer.writeNameResolution([{ addr: '192.0.2.1', names: ['a.example'] }, { addr: '2001:db8::1', names: ['v6.example', 'v6b'] }]);
  writer.writeRecord({ interfaceId: eth0, tsSec: 1700000000, tsNsec: 123456789, origLen: 60, data: frame(60), comments: ['SYN', 'second'], epbFlags: 1 });
  writer.writeRecord({ interfaceId: any, tsSec: 1700003600, tsNsec: 5000, origLen: 1500, capLen: 61, data: frame(64, 2), epbFlags: 2 });
  writer.writeRecord({ interfaceId: eth0, tsSec: 1700000002, tsNsec: 0, origLen: 0, data: new Uint8Array(0) });
  writer.writeInterfaceStatistics(eth0, {
    tsSec: 1700000003, tsNsec: 0, start: [1700000000, 1], end: [1700000003, 2], ifRecv: 3, ifDrop: 0, osDrop: 5,
    filterAccept: 3, userDelivered: 2, comments: ['final'],
  });
  writer.close();
}

test('PcapngWriter: section, interfaces, records, statistics and names read back', async () => {
  const sink = new MemorySink();
  writeFullPcapng(sink);
  const { reader, records, error } = await readBytes(sink.bytes());
  assert.equal(error, undefined);
  assert.ok(reader !== undefined);
  assert.equal(reader.shbApplication, 'wiresage');
  assert.equal(reader.shbHardware, 'x86_64');
  assert.equal(reader.shbOs, 'Linux 6.1');
  assert.deepEqual(reader.sectionComments, ['wiresage capture -i eth0 -w x']);
  const [eth0, any] = reader.interfaces;
  assert.deepEqual(
    [eth0.name, eth0.description, eth0.filter, eth0.os, eth0.hardware, eth0.snapLen, eth0.tsResolution, eth0.comments],
    ['eth0', 'uplink', 'tcp port 443', 'Linux', 'virtio', 262144, 1e9, ['first interface']],
  );
  assert.deepEqual([any.name, any.linkType, any.tsResolution, any.tsOffset], ['any', 276, 1e6, 3600]);
  assert.deepEqual(eth0.statistics, {
    tsSec: 1700000003, tsNsec: 0, start: [1700000000, 1], end: [1700000003, 2], ifRecv: 3, ifDrop: 0, osDrop: 5,
    filterAccept: 3, userDelivered: 2, comments: ['final'],
  });
  assert.deepEqual(reader.nameResolution, [
    { addr: '192.0.2.1', names: ['a.example'] }, { addr: '2001:db8::1', names: ['v6.example', 'v6b'] },
  ]);
  assert.deepEqual(records.map((r) => [r.iface, r.tsSec, r.tsNsec, r.capLen, r.origLen, r.comments, r.epbFlags]), [
    [0, 1700000000, 123456789, 60, 60, ['SYN', 'second'], 1],
    [1, 1700003600, 5000, 61, 1500, [], 2],
    [0, 1700000002, 0, 0, 0, [], undefined],
  ]);
  assert.deepEqual(records[1].data, frame(61, 2));
});

test('every flush point is a complete file: after each record the bytes so far read cleanly', async () => {
  const sink = new MemorySink();
  const writer = new PcapngWriter(sink);
  const id = writer.addInterface({ linkType: LINKTYPE_ETHERNET });
  for (let i = 0; i < 50; i++) {
    writer.writeRecord({ interfaceId: id, tsSec: 1700000000 + i, tsNsec: i, origLen: 100 + i, data: frame(100 + i), comments: i % 7 === 0 ? ['c'] : undefined });
    writer.flush();
    const { records, error } = await readBytes(sink.bytes());
    assert.equal(error, undefined, `after record ${i}`);
    assert.equal(records.length, i + 1);
  }
  const pcap = new MemorySink();
  const pcapWriter = new PcapWriter(pcap, { linkType: LINKTYPE_ETHERNET });
  assert.equal((await readBytes(pcap.bytes())).error, undefined); // header alone is a valid empty file
  pcapWriter.writeRecord({ tsSec: 1, tsNsec: 0, origLen: 3, data: frame(3) });
  assert.equal((await readBytes(pcap.bytes())).records.length, 1);
});

test('FileSink: the file on disk is valid at every flush, and holds whole records only', async () => {
  const file = path.join(dir, 'live.pcapng');
  const sink = fileSink(file, { bufferSize: 4096 });
  const writer = new PcapngWriter(sink);
  const id = writer.addInterface({ linkType: LINKTYPE_ETHERNET, name: 'eth0' });
  for (let i = 0; i < 200; i++) {
    writer.writeRecord({ interfaceId: id, tsSec: 1700000000, tsNsec: i, origLen: 300, data: frame(300, i) });
    if (i % 25 === 0) writer.flush();
    // Whatever is on disk now (the buffer spills by itself too) must read without damage.
    const onDisk = fs.readFileSync(file);
    const { records, error } = await readBytes(onDisk);
    assert.equal(error, undefined, `after record ${i}: ${String(error)}`);
    assert.ok(records.length <= i + 1);
    if (i % 25 === 0) assert.equal(records.length, i + 1);
  }
  writer.close();
  const reader = await openCapture(file);
  assert.equal((await reader.forEach(() => {})).records, 200);
});

test('records with a reader interface: the writer adds the IDB once, keeping its resolution', async () => {
  const source = new MemorySink();
  writeFullPcapng(source);
  const original = await readBytes(source.bytes());
  const copy = new MemorySink();
  const writer = new PcapngWriter(copy);
  // Records straight from a reader carry the reader's interface objects, not ids.
  const reader = await readerFromStream(Readable.from([Buffer.from(source.bytes())]), 'source');
  await reader.forEach((record) => { writer.writeRecord(record); });
  writer.close();
  const back = await readBytes(copy.bytes());
  assert.equal(back.error, undefined);
  assert.deepEqual(back.records.map(withoutOffset), original.records.map(withoutOffset));
  assert.deepEqual(back.reader?.interfaces.map(ifaceFields), original.reader?.interfaces.map(ifaceFields));
});

function withoutOffset(r: RecordSnapshot): Omit<RecordSnapshot, 'offset'> {
  const { offset: _offset, ...rest } = r;
  return rest;
}

function ifaceFields(i: InterfaceDescription): unknown[] {
  return [i.id, i.linkType, i.snapLen, i.name, i.description, i.filter, i.os, i.hardware, i.tsResolution, i.tsOffset, i.comments, i.fcsLength];
}

/** The tcpdump test corpus beside the repository (or WIRESAGE_CORPUS). */
export function corpusDirectory(): string | undefined {
  const candidates = [
    process.env.WIRESAGE_CORPUS,
    path.resolve(process.cwd(), '../shared/corpus/tcpdump'),
    new URL('../../../shared/corpus/tcpdump', import.meta.url).pathname,
  ];
  return candidates.find((c): c is string => c !== undefined && fs.existsSync(c));
}

test('corpus round trip: read → write pcapng (and pcap) → read gives identical records', async (t) => {
  const corpus = corpusDirectory();
  if (corpus === undefined) {
    t.skip('corpus not found: set WIRESAGE_CORPUS or put shared/corpus/tcpdump beside the repository');
    return;
  }
  let files = 0;
  let records = 0;
  for (const name of fs.readdirSync(corpus).filter((n) => /\.pcap(ng)?$/.test(n)).sort()) {
    const original: RecordSnapshot[] = [];
    const pcapng = new MemorySink();
    const ngWriter = new PcapngWriter(pcapng);
    let pcap: MemorySink | undefined;
    let pcapWriter: PcapWriter | undefined;
    let reader: CaptureReader;
    try {
      reader = await openCapture(path.join(corpus, name));
    } catch {
      continue; // files that are not readable at all are the corpus test's business
    }
    if (reader.format === 'pcap') {
      pcap = new MemorySink();
      const iface = reader.interfaces[0];
      pcapWriter = new PcapWriter(pcap, { linkType: iface.linkType, snapLen: iface.snapLen, nanosecond: iface.tsResolution === 1e9, fcsLength: iface.fcsLength });
    }
    try {
      await reader.forEach((r) => {
        original.push(snapshot(r));
        ngWriter.writeRecord(r);
        pcapWriter?.writeRecord(r);
      });
    } catch {
      // keep the records before the damage
    }
    for (const [format, sink] of [['pcapng', pcapng], ['pcap', pcap]] as const) {
      if (sink === undefined) continue;
      const back = await readBytes(sink.bytes());
      assert.equal(back.error, undefined, `${name} as ${format}: ${String(back.error)}`);
      assert.deepEqual(back.records.map(withoutOffset), original.map(withoutOffset), `${name} as ${format}`);
      assert.deepEqual(back.reader?.interfaces.map((i) => [i.linkType, i.snapLen, i.name, i.fcsLength]),
        reader.interfaces.filter((i) => format === 'pcap' || original.some((r) => r.iface === i.id))
          .map((i) => [i.linkType, i.snapLen, i.name, i.fcsLength]), `${name} as ${format}: interfaces`);
    }
    files++;
    records += original.length;
  }
  t.diagnostic(`${files} corpus files, ${records} records written and read back`);
  assert.ok(files > 800);
});

test('tshark and capinfos read what the pcapng writer wrote', async (t) => {
  if (!hasTool('tshark') || !hasTool('capinfos')) {
    t.skip('tshark/capinfos not installed (apt-get install tshark)');
    return;
  }
  const file = path.join(dir, 'for-tshark.pcapng');
  writeFullPcapng(fileSink(file));
  const fields = execFileSync('tshark', ['-r', file, '-T', 'fields', '-E', 'separator=|',
    '-e', 'frame.time_epoch', '-e', 'frame.len', '-e', 'frame.cap_len', '-e', 'frame.interface_id',
    '-e', 'frame.interface_name', '-e', 'frame.comment', '-e', 'frame.packet_flags_direction'],
  { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  assert.deepEqual(fields.trim().split('\n'), [
    '1700000000.123456789|60|60|0|eth0|SYN,second|0x00000001', // inbound
    '1700003600.000005000|1500|61|1|any||0x00000002', // outbound
    '1700000002.000000000|0|0|0|eth0||',
  ]);
  const info = execFileSync('capinfos', [file], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  assert.match(info, /Number of packets:\s+3\b/);
  assert.match(info, /Capture application:\s+wiresage/);
  assert.match(info, /Capture comment:\s+wiresage capture -i eth0 -w x/);
  assert.match(info, /Name = eth0/);
  assert.match(info, /Capture length = 262144/);
  assert.match(info, /Time precision = nanoseconds \(9\)/);
  assert.match(info, /Filter string = tcp port 443/);
  assert.match(info, /Number of stat entries = 1/);
  assert.match(info, /Timestamp offset = 3600/);
  assert.match(info, /Number of resolved IPv6 addresses in file: 2/);

  const pcapFile = path.join(dir, 'for-tshark.pcap');
  const pcapWriter = new PcapWriter(fileSink(pcapFile), { linkType: LINKTYPE_ETHERNET, nanosecond: true });
  for (const r of sampleRecords()) pcapWriter.writeRecord(r);
  pcapWriter.close();
  const pcapFields = execFileSync('tshark', ['-r', pcapFile, '-T', 'fields', '-e', 'frame.time_epoch', '-e', 'frame.len', '-e', 'frame.cap_len'],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  assert.deepEqual(pcapFields.trim().split('\n'), [
    '1700000000.123456789\t60\t60', '1700000001.999999999\t1514\t100', '4294967295.000000000\t0\t0',
  ]);
});
