/**
 * The web index read back by offset: on a sample of tcpdump's public captures (pcap in every
 * byte order and timestamp precision, pcapng with several sections and block kinds), each
 * page row's Info is the line `wiresage read -t` prints for the frame, and the frames read back
 * have the captured length tshark reports.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { corpusDir, noTshark, repoRoot } from '../testing/tshark.js';
import { Capture } from './capture.js';

const corpus = fs.existsSync(corpusDir) ? fs.readdirSync(corpusDir).filter((f) => /\.pcap(ng)?$/.test(f)).sort() : [];
// Every 24th file, and every third pcapng (the block layouts differ).
const pcapng = corpus.filter((f) => f.endsWith('.pcapng'));
const sample = corpus.filter((f, i) => i % 24 === 0 || pcapng.indexOf(f) % 3 === 0);

function cliLines(file: string): string[] {
  const r = spawnSync(process.execPath, [join(repoRoot, 'dist/cli/main.js'), 'read', '-T', 'fields', '-e', '_ws.col.Info', file], { encoding: 'utf8', env: { ...process.env, TZ: 'UTC' }, maxBuffer: 1 << 28 });
  // Damaged files: read prints every whole record before the damage, then exits 1. Anything
  // else (a crash) fails the test with read's own message.
  if (r.status !== 0 && r.status !== 1) throw new Error(`wiresage read ${file} exited ${r.status}: ${r.stderr}`);
  return r.stdout.split('\n');
}

// The Info column of `read` is checked against tshark's in src/decode/columns.test.ts; rows
// decoded again by offset (with their connections' earlier frames) must give the same text.
test('rows read back by offset have the Info text of a sequential pass on the tcpdump corpus sample', { skip: corpus.length ? false : `no corpus at ${corpusDir}` }, async () => {
  const scratch = fs.mkdtempSync(join(tmpdir(), 'wiresage-web-'));
  try {
    let frames = 0;
    for (const name of sample) {
      const file = join(corpusDir, name);
      const c = new Capture('t', name, file, scratch);
      await c.start();
      try {
        const lines = cliLines(file);
        const n = Math.min(c.index.count, 300);
        const rows = c.rows(Uint32Array.from({ length: n }, (_, i) => i + 1));
        assert.equal(rows.length, n, name);
        for (const r of rows) assert.equal(r.info, lines[r.no - 1], `${name} frame ${r.no}`);
        frames += n;
      } finally {
        c.close();
      }
    }
    assert.ok(frames > 500, `${frames} frames compared`);
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
});

test('captured lengths of frames read back equal tshark frame.cap_len (pcapng sample)', { skip: noTshark || (corpus.length ? false : 'no corpus') }, async () => {
  for (const name of corpus.filter((f) => f.endsWith('.pcapng')).slice(0, 20)) {
    const file = join(corpusDir, name);
    const c = new Capture('t', name, file, tmpdir());
    await c.start();
    try {
      const out = execFileSync('tshark', ['-r', file, '-T', 'fields', '-e', 'frame.cap_len'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
      const lens = out.trim().split('\n').filter(Boolean).map(Number);
      const seen: number[] = [];
      c.decodeFrames(Uint32Array.from({ length: c.index.count }, (_, i) => i + 1), (p) => seen.push(p.data.length));
      assert.deepEqual(seen, lens.slice(0, seen.length), name);
    } catch (e) {
      if ((e as { status?: number }).status !== undefined) continue; // tshark refuses the file
      throw e;
    } finally {
      c.close();
    }
  }
});
