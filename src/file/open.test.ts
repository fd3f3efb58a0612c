import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import * as zlib from 'node:zlib';
import { openCapture, readerFromStream } from './open.js';
import { PcapWriter, fileSink } from './writer.js';
import {
  concat, epb, frame, idb, pcapHeader, pcapRecord, readBytes, shb, snapshot, withTimeout, type RecordSnapshot,
} from './_fixtures.js';
import { CaptureFileError, type CaptureReader } from './types.js';

let dir = '';
before(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wiresage-open-')); });
after(() => { fs.rmSync(dir, { recursive: true, force: true }); });

function write(name: string, bytes: Uint8Array | string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, bytes);
  return file;
}

const pcapFile = concat(
  pcapHeader(),
  pcapRecord(true, { sec: 1, fraction: 2, data: frame(60) }),
  pcapRecord(true, { sec: 3, fraction: 4, data: frame(1514) }),
);
const pcapngFile = concat(
  shb(true), idb(true, { tsresol: 9 }),
  epb(true, { ts: 1700000000123456789n, data: frame(60), comments: ['c'] }),
  epb(true, { ts: 1700000000123456790n, data: frame(70) }),
);

async function readAll(reader: CaptureReader): Promise<RecordSnapshot[]> {
  const records: RecordSnapshot[] = [];
  await reader.forEach((r) => { records.push(snapshot(r)); });
  return records;
}

async function openError(file: string): Promise<CaptureFileError> {
  try {
    const reader = await openCapture(file);
    await reader.forEach(() => {});
  } catch (err) {
    assert.ok(err instanceof CaptureFileError, String(err));
    return err;
  }
  assert.fail(`${file} opened without error`);
}

test('not a capture: the first bytes in hex', async () => {
  const file = write('page.html', '<!doctype html><html></html>');
  const err = await openError(file);
  assert.equal(err.message, `${file} is not a capture file (pcap or pcapng): it starts with 3c 21 64 6f`);
  assert.equal(err.path, file);
});

test('empty, too short, missing, directory', async () => {
  const empty = write('empty.pcap', '');
  assert.equal((await openError(empty)).message, `${empty} is empty: not a capture file (pcap or pcapng)`);
  const short = write('short.pcap', Uint8Array.of(0xd4, 0xc3, 0xb2));
  assert.equal((await openError(short)).message, `${short} is too short to be a capture file (pcap or pcapng): 3 bytes: d4 c3 b2`);
  const header = write('header.pcap', pcapHeader().subarray(0, 20));
  assert.equal((await openError(header)).message, `Cannot read capture file ${header} at offset 0: truncated: pcap file header needs 24 bytes, only 20 remain`);
  const missing = path.join(dir, 'nope.pcap');
  assert.match((await openError(missing)).message, /^Cannot open capture file .*nope\.pcap: ENOENT/);
  assert.match((await openError(dir)).message, /^Cannot open capture file .*: EISDIR/);
});

test('plain files: pcap and pcapng, any parse buffer size', async () => {
  for (const [name, bytes] of [['a.pcap', pcapFile], ['a.pcapng', pcapngFile]] as const) {
    const file = write(name, bytes);
    const expected = (await readBytes(bytes)).records;
    for (const chunkSize of [16, 100, 1000, 4 * 1024 * 1024]) {
      const reader = await openCapture(file, { chunkSize });
      assert.equal(reader.compressed, false);
      assert.deepEqual(await readAll(reader), expected, `${name} with a ${chunkSize}-byte buffer`);
    }
  }
});

test('a file larger than the parse buffer: records straddling chunk ends are carried whole', async () => {
  const file = path.join(dir, 'big.pcap');
  const writer = new PcapWriter(fileSink(file), { linkType: 1, nanosecond: true });
  let expectedBytes = 0;
  for (let i = 0; i < 20000; i++) {
    const length = 40 + ((i * 7919) % 1500);
    writer.writeRecord({ tsSec: 1700000000 + i, tsNsec: i, origLen: length, data: frame(length, i) });
    expectedBytes += length;
  }
  writer.close();
  const reader = await openCapture(file, { chunkSize: 65536 });
  let index = 0;
  const summary = await reader.forEach((r) => {
    const length = 40 + ((index * 7919) % 1500);
    assert.equal(r.capLen, length);
    assert.equal(r.tsSec, 1700000000 + index);
    assert.equal(r.tsNsec, index);
    assert.equal(r.data[0], index & 0xff);
    assert.equal(r.data[length - 1], (length - 1 + index) & 0xff);
    index++;
  });
  assert.deepEqual(summary, { records: 20000, bytes: expectedBytes });
});

test('gzip files of either format', async () => {
  for (const [name, bytes] of [['a.pcap.gz', pcapFile], ['b.pcapng.gz', pcapngFile]] as const) {
    const file = write(name, zlib.gzipSync(bytes));
    const reader = await openCapture(file);
    assert.equal(reader.compressed, true);
    assert.deepEqual(await readAll(reader), (await readBytes(bytes)).records);
  }
});

test('gzip from a stream, in 1-byte pieces', async () => {
  const gz = zlib.gzipSync(pcapngFile);
  const pieces = Array.from(gz, (b) => Buffer.of(b));
  const reader = await readerFromStream(Readable.from(pieces), 'piped');
  assert.equal(reader.compressed, true);
  assert.equal(reader.format, 'pcapng');
  assert.deepEqual(await readAll(reader), (await readBytes(pcapngFile)).records);
});

test('damaged gzip: the records before the damage, then CaptureFileError', async () => {
  const big = concat(pcapHeader(), ...Array.from({ length: 200 }, (_, i) => pcapRecord(true, { sec: i, fraction: 0, data: frame(1000, i) })));
  const gz = zlib.gzipSync(big, { level: 1 });
  const file = write('cut.pcap.gz', gz.subarray(0, Math.floor(gz.length / 2)));
  const reader = await openCapture(file);
  let records = 0;
  await assert.rejects(reader.forEach(() => { records++; }), (err: unknown) => {
    assert.ok(err instanceof CaptureFileError);
    assert.match(err.message, /^Cannot read capture file .*cut\.pcap\.gz at offset \d+: gzip data is damaged \(unexpected end of file\)$/);
    return true;
  });
  assert.ok(records > 10 && records < 200, `${records} records before the damage`);

  const garbage = write('garbage.gz', Uint8Array.of(0x1f, 0x8b, 8, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10));
  assert.match((await openError(garbage)).message, /gzip data is damaged/);
  const html = write('page.html.gz', zlib.gzipSync('<html>'));
  assert.equal((await openError(html)).message, `${html} is not a capture file (pcap or pcapng) (after gzip decompression): it starts with 3c 68 74 6d`);
});

test("'-' reads opts.input (or stdin)", async () => {
  const reader = await openCapture('-', { input: Readable.from([Buffer.from(pcapFile)]) });
  assert.equal(reader.format, 'pcap');
  assert.equal((await readAll(reader)).length, 2);
});

/** Runs a child node that reads '-' and prints what it read; input goes to its stdin. */
async function readThroughStdin(input: Uint8Array): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const openModule = new URL('./open.js', import.meta.url).href;
  const script = `
    import { openCapture } from ${JSON.stringify(openModule)};
    try {
      const reader = await openCapture('-');
      const summary = await reader.forEach(() => {});
      console.log(JSON.stringify({ format: reader.format, compressed: reader.compressed, ...summary }));
    } catch (err) {
      console.log(JSON.stringify({ error: err.name, message: err.message }));
    }`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => { stdout += d; });
  child.stderr.on('data', (d: Buffer) => { stderr += d; });
  child.stdin.end(Buffer.from(input));
  const code = await withTimeout(new Promise<number | null>((resolve) => child.on('close', resolve)), 20000, 'child reading stdin');
  return { code, stdout, stderr };
}

test('standard input in a child process: plain, gzipped, and not a capture', async () => {
  const plain = await readThroughStdin(pcapngFile);
  assert.equal(plain.code, 0, plain.stderr);
  assert.deepEqual(JSON.parse(plain.stdout), { format: 'pcapng', compressed: false, records: 2, bytes: 130 });
  const gz = await readThroughStdin(zlib.gzipSync(pcapFile));
  assert.deepEqual(JSON.parse(gz.stdout), { format: 'pcap', compressed: true, records: 2, bytes: 1574 });
  const text = await readThroughStdin(new TextEncoder().encode('hello world'));
  assert.deepEqual(JSON.parse(text.stdout), {
    error: 'CaptureFileError', message: '- is not a capture file (pcap or pcapng): it starts with 68 65 6c 6c',
  });
});

test('stopping early releases the file; forEach runs once', async () => {
  const file = write('stop.pcap', pcapFile);
  const reader = await openCapture(file);
  const summary = await reader.forEach(() => false);
  assert.deepEqual(summary, { records: 1, bytes: 60 });
  reader.close(); // idempotent
  await assert.rejects(reader.forEach(() => {}), /only once/);
});

test('a named pipe (FIFO) is read as a stream, gzip included', async (t) => {
  if (spawnSync('sh', ['-c', 'command -v mkfifo']).status !== 0) {
    t.skip('mkfifo not available');
    return;
  }
  for (const [name, bytes] of [['plain.fifo', pcapngFile], ['gz.fifo', zlib.gzipSync(pcapFile)]] as const) {
    const fifo = path.join(dir, name);
    spawnSync('mkfifo', [fifo]);
    const writer = spawn('sh', ['-c', `cat > '${fifo}'`], { stdio: ['pipe', 'ignore', 'ignore'] });
    writer.stdin.end(Buffer.from(bytes));
    const reader = await withTimeout(openCapture(fifo), 10000, `opening ${name}`);
    const records = await withTimeout(readAll(reader), 10000, `reading ${name}`);
    assert.equal(records.length, 2, name);
    assert.equal(reader.compressed, name === 'gz.fifo');
  }
});
