// Capture files without a network: the -C/-W/-G ring, names, size bounds, pcapng/pcap output
// read back by wiresage's readers (and by tcpdump for names), --max-size, write errors.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { openCapture } from '../file/open.js';
import { CaptureFiles, CaptureWriteError, type OutputInterface } from './files.js';
import { strftime } from './strftime.js';
import { parseAfter, parseFileSize, parseSeconds } from '../cli/capture.js';

const ETH: OutputInterface = { name: 'eth0', linkType: 1, snapLen: 262144, nanosecond: true, littleEndian: true };

/** A batch of n pcap records (host order, ns), frame i of `size` bytes stamped t0 + i*step ns. */
function batch(n: number, size = 100, t0 = 1_700_000_000, stepNs = 1_000_000, first = 0): Uint8Array {
  const out = new Uint8Array(n * (16 + size));
  const v = new DataView(out.buffer);
  for (let i = 0; i < n; i++) {
    const o = i * (16 + size);
    const ns = (first + i) * stepNs;
    v.setUint32(o, t0 + Math.floor(ns / 1e9), true);
    v.setUint32(o + 4, ns % 1e9, true);
    v.setUint32(o + 8, size, true);
    v.setUint32(o + 12, size + 4, true);
    for (let k = 0; k < size; k++) out[o + 16 + k] = (first + i + k) & 0xff;
    if (size >= 24) v.setUint32(o + 16 + 20, first + i, true); // frame number inside the bytes
  }
  return out;
}

function dir(): string {
  return fs.mkdtempSync(join(tmpdir(), 'wiresage-files-'));
}

async function readAll(path: string): Promise<{ ts: [number, number]; data: Uint8Array; iface: string | undefined }[]> {
  const reader = await openCapture(path);
  const out: { ts: [number, number]; data: Uint8Array; iface: string | undefined }[] = [];
  await reader.forEach((r) => { out.push({ ts: [r.tsSec, r.tsNsec], data: r.data.slice(), iface: r.iface.name }); });
  return out;
}

function write(files: CaptureFiles, b: Uint8Array, iface = 0): number {
  return files.write(iface, b, new DataView(b.buffer, b.byteOffset, b.byteLength), 0, b.length);
}

test('strftime expands the conversions file names use', () => {
  const d = new Date(2024, 0, 2, 3, 4, 5);
  assert.equal(strftime('t-%Y%m%d-%H%M%S.pcap', d), 't-20240102-030405.pcap');
  assert.equal(strftime('%y %j %b %a %% %e %F %T %Q', d), '24 002 Jan Tue % \u00202 2024-01-02 03:04:05 %Q');
});

test('option values: -C units as tcpdump, --after packets or time, durations', () => {
  assert.equal(parseFileSize('2'), 2_000_000);
  assert.equal(parseFileSize('100k'), 102_400);
  assert.equal(parseFileSize('1m'), 1_048_576);
  assert.deepEqual(parseAfter('10s'), { afterSeconds: 10 });
  assert.deepEqual(parseAfter('2m'), { afterSeconds: 120 });
  assert.deepEqual(parseAfter('100p'), { afterPackets: 100 });
  assert.deepEqual(parseAfter('7'), { afterPackets: 7 });
  assert.equal(parseSeconds('500ms', 'x'), 0.5);
  assert.throws(() => parseFileSize('-1'));
});

test('pcapng output: every record back with its nanosecond time, interface names, comment', async () => {
  const d = dir();
  const files = new CaptureFiles({ path: join(d, 'out.pcapng'), format: 'pcapng', comment: 'wiresage capture -i eth0', interfaces: [ETH, { ...ETH, name: 'eth1', nanosecond: false }] });
  const b = batch(50, 61, 1_700_000_000, 123_456_789);
  write(files, b);
  // A microsecond interface: fractions are µs.
  const micro = batch(3, 60, 1_700_000_100, 1000);
  write(files, micro, 1);
  files.close();
  const records = await readAll(join(d, 'out.pcapng'));
  assert.equal(records.length, 53);
  assert.deepEqual(records[7].ts, [1_700_000_000, 864_197_523]); // 7 × 123456789 ns
  assert.deepEqual(records[7].data, b.subarray(7 * 77 + 16, 8 * 77));
  assert.equal(records[0].iface, 'eth0');
  assert.equal(records[52].iface, 'eth1');
  assert.deepEqual(records[52].ts, [1_700_000_100, 2_000_000]); // 2 ms written as µs ticks
  const reader = await openCapture(join(d, 'out.pcapng'));
  assert.deepEqual(reader.sectionComments, ['wiresage capture -i eth0']);
  reader.close();
  if (spawnSync('tshark', ['-v'], { stdio: 'ignore' }).status === 0) {
    const lines = execFileSync('tshark', ['-r', join(d, 'out.pcapng'), '-T', 'fields', '-e', 'frame.interface_name', '-e', 'frame.time_epoch'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim().split('\n');
    assert.equal(lines.length, 53);
    assert.equal(lines[7], 'eth0\t1700000000.864197523');
  }
  fs.rmSync(d, { recursive: true });
});

test('pcap output is the batch bytes after a nanosecond header', async () => {
  const d = dir();
  const files = new CaptureFiles({ path: join(d, 'out.pcap'), format: 'pcap', interfaces: [ETH] });
  const b = batch(20);
  write(files, b);
  files.close();
  const bytes = fs.readFileSync(join(d, 'out.pcap'));
  assert.equal(bytes.length, 24 + b.length);
  assert.equal(bytes.readUInt32LE(0), 0xa1b23c4d);
  assert.deepEqual(new Uint8Array(bytes.subarray(24)), b);
  assert.equal((await readAll(join(d, 'out.pcap'))).length, 20);
  fs.rmSync(d, { recursive: true });
});

test('-C with -W: a ring of N files named as tcpdump names them, never above N×C bytes, newest packets kept', async () => {
  for (const format of ['pcap', 'pcapng'] as const) {
    const d = dir();
    const limit = 20_000;
    const files = new CaptureFiles({ path: join(d, 'ring'), format, fileSize: limit, fileCount: 3, interfaces: [ETH] });
    let total = 0;
    for (let i = 0; i < 40; i++) {
      write(files, batch(25, 100, 1_700_000_000, 1_000_000, i * 25));
      total += 25;
      const names = fs.readdirSync(d).filter((n) => !n.startsWith('.'));
      const used = fs.readdirSync(d).reduce((sum, n) => sum + fs.statSync(join(d, n)).size, 0);
      assert.ok(names.length <= 3, `${names}`);
      assert.ok(used <= 3 * limit, `${format}: ${used} bytes on disk > ${3 * limit}`);
    }
    files.close();
    assert.deepEqual(fs.readdirSync(d).sort(), ['ring0', 'ring1', 'ring2']);
    for (const n of ['ring0', 'ring1', 'ring2']) assert.ok(fs.statSync(join(d, n)).size <= limit);
    // The files hold the newest packets, consecutive, ending with the last one.
    const numbers: number[] = [];
    for (const path of files.files) for (const r of await readAll(path)) numbers.push(new DataView(r.data.buffer).getUint32(20, true));
    assert.equal(numbers[numbers.length - 1], total - 1);
    for (let i = 1; i < numbers.length; i++) assert.equal(numbers[i], numbers[i - 1] + 1);
    fs.rmSync(d, { recursive: true });
  }
});

test('-C alone: file, file1, file2… as tcpdump (checked against tcpdump -r … -C when it is installed)', () => {
  const d = dir();
  const files = new CaptureFiles({ path: join(d, 'cap'), format: 'pcap', fileSize: 1_000_000, interfaces: [ETH] });
  for (let i = 0; i < 30; i++) write(files, batch(1000, 100, 1_700_000_000, 1000, i * 1000));
  files.close();
  const ours = fs.readdirSync(d).sort();
  assert.deepEqual(ours, ['cap', 'cap1', 'cap2', 'cap3']);
  if (spawnSync('tcpdump', ['--version'], { stdio: 'ignore' }).status === 0) {
    const input = join(d, 'all.pcap');
    const all = new CaptureFiles({ path: input, format: 'pcap', interfaces: [{ ...ETH, nanosecond: false }] });
    for (let i = 0; i < 30; i++) write(all, batch(1000, 100, 1_700_000_000, 1000, i * 1000));
    all.close();
    const td = join(d, 'td');
    fs.mkdirSync(td);
    execFileSync('tcpdump', ['-r', input, '-w', join(td, 'cap'), '-C', '1', '-W', '3', '-Z', 'root'], { stdio: 'ignore' });
    const theirs = fs.readdirSync(td).sort();
    const ring = new CaptureFiles({ path: join(d, 'ring'), format: 'pcap', fileSize: 1_000_000, fileCount: 3, interfaces: [ETH] });
    write(ring, batch(1000, 100));
    ring.close();
    assert.deepEqual(theirs, ['cap0', 'cap1', 'cap2']);
    assert.deepEqual(ring.files.map((f) => f.slice(f.lastIndexOf('/') + 1).replace('ring', 'cap')), ['cap0']);
  }
  fs.rmSync(d, { recursive: true });
});

test('-G: a new strftime-named file per period of packet time; -G with -W stops after N files', async () => {
  const d = dir();
  const t0 = Math.floor(new Date(2024, 4, 6, 7, 8, 0).getTime() / 1000);
  const files = new CaptureFiles({ path: join(d, 'g-%H%M%S.pcapng'), format: 'pcapng', rotateSeconds: 10, fileCount: 3, interfaces: [ETH], now: () => t0 * 1000 });
  // 100 packets 0.5 s apart: 50 s of traffic; -W 3 stops after 3 files (30 s).
  const b = batch(100, 80, t0, 500_000_000);
  const written = write(files, b);
  files.close();
  assert.equal(files.full, 'file-count');
  assert.equal(written, 60 * (16 + 80));
  assert.deepEqual(fs.readdirSync(d).sort(), ['g-070800.pcapng', 'g-070810.pcapng', 'g-070820.pcapng']);
  for (const name of fs.readdirSync(d)) assert.equal((await readAll(join(d, name))).length, 20);
  fs.rmSync(d, { recursive: true });
});

test('--max-size stops at the last whole packet that fits', () => {
  const d = dir();
  const files = new CaptureFiles({ path: join(d, 'm.pcap'), format: 'pcap', maxBytes: 10_000, interfaces: [ETH] });
  const b = batch(200);
  const written = write(files, b);
  files.close();
  assert.equal(files.full, 'max-size');
  assert.equal(written, Math.floor((10_000 - 24) / 116) * 116);
  assert.ok(fs.statSync(join(d, 'm.pcap')).size <= 10_000);
  fs.rmSync(d, { recursive: true });
});

test('a file that cannot be created is a clear CaptureWriteError', () => {
  assert.throws(() => new CaptureFiles({ path: '/nonexistent-dir/x.pcapng', format: 'pcapng', interfaces: [ETH] }),
    (e: unknown) => e instanceof CaptureWriteError && /Cannot create \/nonexistent-dir\/x\.pcapng/.test(e.message));
});

test('pcapng blocks built by the addon and by the JS fallback are the same bytes', () => {
  const d = dir();
  const outputs: Buffer[] = [];
  for (const nativeConversion of [true, false]) {
    const path = join(d, `${nativeConversion}.pcapng`);
    const files = new CaptureFiles({ path, format: 'pcapng', interfaces: [ETH, { ...ETH, name: 'u', nanosecond: false }], nativeConversion, now: () => 0 });
    // Odd lengths (padding), seconds crossing, both precisions.
    for (const size of [1, 2, 3, 60, 61, 1514]) write(files, batch(30, size, 1_700_000_000 + size, 333_333_333));
    write(files, batch(10, 77, 1_800_000_000, 999), 1);
    files.close();
    outputs.push(fs.readFileSync(path));
  }
  // The section header holds no time, so the files must be identical.
  assert.equal(outputs[0].length, outputs[1].length);
  assert.ok(outputs[0].equals(outputs[1]));
  fs.rmSync(d, { recursive: true });
});
