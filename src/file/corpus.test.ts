/**
 * The readers against the tcpdump test corpus (830 pcap/pcapng files, many deliberately
 * malformed): every file is read to its end or to a CaptureFileError, and the records are
 * compared with what tshark reads from the same file.
 *
 * Corpus: $WIRESAGE_CORPUS, else ../shared/corpus/tcpdump from the repository root.
 * tshark comparison: a fixed sample by default (all pcapng, every 32nd pcap, and the files
 * where the rules below matter); every file with WIRESAGE_CORPUS_FULL=1 (about 5 minutes).
 *
 * Known, deliberate differences from tshark 4.0, applied in the comparison:
 * - Link types Wireshark 4.0 cannot read (DSA/Broadcom tags, MFR, Juniper…): tshark reads
 *   nothing ("network type N unknown or unsupported"); we read the records. Skipped.
 * - SunATM (LINKTYPE 123): Wireshark strips a 4-byte pseudo-header from frame.len and
 *   frame.cap_len; we deliver the bytes as in the file (as libpcap does).
 * - pcap fraction fields out of range (µs >= 1e6, ns >= 1e9): we carry into seconds; tshark
 *   prints the raw count (and past 2**31 ns a wrapped, negative one). Time not compared.
 * - pcapng with several sections: tshark 4.0 prints the section-local interface number; we
 *   compare it with `sectionInterfaceId` (our `id` is global, as capinfos numbers them).
 * - SPB: tshark prints no time; we give 0.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { LINKTYPE_SUNATM } from './linktype.js';
import { openCapture } from './open.js';
import type { PcapReader } from './pcap.js';
import type { PcapngReader } from './pcapng.js';
import { withTimeout } from './_fixtures.js';
import { CaptureFileError, type CaptureReader } from './types.js';

function corpusDirectory(): string | undefined {
  const candidates = [
    process.env.WIRESAGE_CORPUS,
    path.resolve(process.cwd(), '../shared/corpus/tcpdump'),
    new URL('../../../shared/corpus/tcpdump', import.meta.url).pathname,
  ];
  return candidates.find((c): c is string => c !== undefined && c !== '' && fs.existsSync(c));
}

const corpus = corpusDirectory();
const files = corpus === undefined ? [] : fs.readdirSync(corpus).filter((n) => /\.pcap(ng)?$/.test(n)).sort();
const NO_CORPUS = 'corpus not found: set WIRESAGE_CORPUS or put shared/corpus/tcpdump beside the repository';

interface OurRecord {
  epoch: string;
  len: number;
  capLen: number;
  interfaceId: number;
  sectionInterfaceId: number;
  linkType: number;
  /** The raw pcap fraction field was out of range. */
  oddFraction: boolean;
}

interface OurRead {
  records: OurRecord[];
  error: CaptureFileError | undefined;
  reader: CaptureReader | undefined;
}

async function readOurs(file: string): Promise<OurRead> {
  const result: OurRead = { records: [], error: undefined, reader: undefined };
  const raw = fs.readFileSync(file);
  const rawView = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  try {
    const reader = await openCapture(file);
    result.reader = reader;
    const header = reader.format === 'pcap' ? (reader as PcapReader).header : undefined;
    await reader.forEach((r) => {
      let oddFraction = false;
      if (header !== undefined) {
        const fraction = rawView.getUint32(r.offset + 4, header.littleEndian);
        oddFraction = fraction >= (header.nanosecond ? 1e9 : 1e6);
      }
      result.records.push({
        epoch: `${r.tsSec}.${String(r.tsNsec).padStart(9, '0')}`, len: r.origLen, capLen: r.capLen,
        interfaceId: r.iface.id, sectionInterfaceId: r.iface.sectionInterfaceId ?? r.iface.id,
        linkType: r.iface.linkType, oddFraction,
      });
    });
  } catch (err) {
    if (!(err instanceof CaptureFileError)) throw err;
    result.error = err;
  }
  return result;
}

test('every corpus file reads to its end or to a CaptureFileError, none hangs', async (t) => {
  if (corpus === undefined) {
    t.skip(NO_CORPUS);
    return;
  }
  let complete = 0;
  let records = 0;
  const errors = new Map<string, number>();
  for (const name of files) {
    const read = await withTimeout(readOurs(path.join(corpus, name)), 10000, `reading ${name}`);
    records += read.records.length;
    if (read.error === undefined) complete++;
    else {
      const kind = read.error.message.replace(/^.*?: /, '').replace(/\d+/g, 'N');
      errors.set(kind, (errors.get(kind) ?? 0) + 1);
    }
  }
  t.diagnostic(`${files.length} files: ${complete} read to the end, ${files.length - complete} ended in a CaptureFileError; ${records} records`);
  for (const [kind, count] of errors) t.diagnostic(`  ${count} × ${kind}`);
  assert.ok(files.length >= 800, `only ${files.length} corpus files`);
  assert.ok(complete >= files.length * 0.9);
});

const hasTshark = spawnSync('sh', ['-c', 'command -v tshark']).status === 0;

/** Files whose comparison exercises one of the rules above; always in the sample. */
const RULE_FILES = [
  'atm-heapoverflow.pcap', 'atm-oam-loopback-print-overrun.pcap', 'rx_serviceid_oobr.pcap',
  'timestamp_invalid_micro.pcap', 'timestamp_invalid_nano.pcap', 'brcm-tag.pcap', 'aoe-oobr-1.pcap',
  'pim_header_asan-2.pcap', 'time_2106_overflow.pcapng',
];

interface TsharkRead {
  lines: string[];
  stderr: string;
}

function runTshark(file: string): Promise<TsharkRead> {
  return new Promise((resolve, reject) => {
    execFile('tshark', ['-r', file, '-T', 'fields', '-e', 'frame.time_epoch', '-e', 'frame.len', '-e', 'frame.cap_len', '-e', 'frame.interface_id'],
      { timeout: 60000, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
        // tshark exits non-zero after printing what it read from a damaged file.
        if (err !== null && (err as NodeJS.ErrnoException).code === 'ENOENT') return reject(err);
        resolve({ lines: stdout.split('\n').filter((l) => l !== ''), stderr: stderr.split('\n').filter((l) => l !== '' && !l.startsWith('Running as user')).join(' ') });
      });
  });
}

/** tshark's "S.FFFFFFFFF" as [seconds, nanoseconds], or undefined when it is not a plain time. */
function parseEpoch(text: string): [number, number] | undefined {
  const match = /^(\d+)\.(\d{9,})$/.exec(text);
  if (match === null) return undefined;
  const nanoseconds = Number(match[2]); // 10 digits: an unnormalised fraction >= 1e9
  return [Number(match[1]) + Math.floor(nanoseconds / 1e9), nanoseconds % 1e9];
}

test('records agree with tshark (time, len, cap_len, interface) for every corpus file compared', async (t) => {
  if (corpus === undefined) {
    t.skip(NO_CORPUS);
    return;
  }
  if (!hasTshark) {
    t.skip('tshark not installed (apt-get install tshark): comparison not run');
    return;
  }
  const full = process.env.WIRESAGE_CORPUS_FULL === '1';
  const pcaps = files.filter((n) => n.endsWith('.pcap'));
  const sample = full ? files : files.filter((n) => n.endsWith('.pcapng') || RULE_FILES.includes(n) || pcaps.indexOf(n) % 32 === 0);
  const counts = { files: 0, identical: 0, tsharkCannotRead: 0, records: 0, pseudoHeader: 0, timeNotCompared: 0, sectionLocal: 0 };
  const mismatches: string[] = [];
  const queue = [...sample];
  const worker = async (): Promise<void> => {
    for (let name = queue.shift(); name !== undefined; name = queue.shift()) {
      const file = path.join(corpus, name);
      const [ours, theirs] = await Promise.all([readOurs(file), runTshark(file)]);
      counts.files++;
      if (/network type \d+ unknown or unsupported/.test(theirs.stderr) && theirs.lines.length === 0) {
        counts.tsharkCannotRead++;
        continue;
      }
      const multiSection = ((ours.reader as PcapngReader | undefined)?.sections?.length ?? 0) > 1;
      const problems: string[] = [];
      if (ours.records.length !== theirs.lines.length) {
        problems.push(`${ours.records.length} records (${ours.error?.message ?? 'no error'}) vs tshark ${theirs.lines.length} (${theirs.stderr || 'no error'})`);
      }
      const count = Math.min(ours.records.length, theirs.lines.length);
      for (let i = 0; i < count && problems.length < 3; i++) {
        const ourRecord = ours.records[i];
        const [epoch, len, capLen, interfaceId] = theirs.lines[i].split('\t');
        const phdr = ourRecord.linkType === LINKTYPE_SUNATM ? 4 : 0;
        if (phdr > 0) counts.pseudoHeader++;
        const expectedLen = Math.max(0, ourRecord.len - phdr);
        const expectedCapLen = Math.max(0, ourRecord.capLen - phdr);
        const expectedInterface = multiSection ? ourRecord.sectionInterfaceId : ourRecord.interfaceId;
        if (multiSection && ourRecord.sectionInterfaceId !== ourRecord.interfaceId) counts.sectionLocal++;
        let timeMatches = true;
        if (ourRecord.oddFraction) counts.timeNotCompared++;
        else if (epoch === '') timeMatches = ourRecord.epoch === '0.000000000';
        else {
          const parsed = parseEpoch(epoch);
          timeMatches = parsed !== undefined && `${parsed[0]}.${String(parsed[1]).padStart(9, '0')}` === ourRecord.epoch;
        }
        if (!timeMatches || Number(len) !== expectedLen || Number(capLen) !== expectedCapLen || Number(interfaceId || '0') !== expectedInterface) {
          problems.push(`record ${i + 1}: ours ${ourRecord.epoch} ${ourRecord.len} ${ourRecord.capLen} if ${ourRecord.interfaceId}, tshark ${theirs.lines[i].replace(/\t/g, ' ')}`);
        }
      }
      counts.records += ours.records.length;
      if (problems.length === 0) counts.identical++;
      else mismatches.push(`${name}: ${problems.join('; ')}`);
    }
  };
  await Promise.all([worker(), worker()]);
  t.diagnostic(`${full ? 'all' : 'sample of'} ${counts.files} files compared with tshark: ${counts.identical} identical, ${counts.tsharkCannotRead} tshark cannot read (link type), ${mismatches.length} differ; ${counts.records} records`);
  t.diagnostic(`rules applied: ${counts.pseudoHeader} SunATM pseudo-header records, ${counts.timeNotCompared} out-of-range pcap fractions, ${counts.sectionLocal} section-local interface ids`);
  if (!full) t.diagnostic('set WIRESAGE_CORPUS_FULL=1 to compare every file');
  assert.deepEqual(mismatches, []);
});
