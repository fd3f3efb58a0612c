// Without the addon, `wiresage capture` says why, how to fix it, and offers --backend tcpdump.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const cli = join(dirname(fileURLToPath(import.meta.url)), '..', 'cli', 'main.js');

function run(addon: string): { status: number | null; stderr: string } {
  const r = spawnSync(process.execPath, [cli, 'capture', '-i', 'lo', '-c', '1'], { encoding: 'utf8', env: { ...process.env, WIRESAGE_ADDON: addon } });
  return { status: r.status, stderr: r.stderr };
}

test('a missing addon: why, the fix, and the tcpdump fallback', () => {
  const r = run('/nonexistent/wiresage_capture.node');
  assert.equal(r.status, 1);
  assert.match(r.stderr, /the live-capture addon is not available: \/nonexistent\/wiresage_capture\.node does not exist/);
  assert.match(r.stderr, /fix: npm run build:addon \(needs libpcap-dev, build-essential and python3/);
  assert.match(r.stderr, /--backend tcpdump/);
});

test('an addon that does not load: the loader\'s reason and the fallback', () => {
  const bad = join(tmpdir(), `wiresage-bad-${process.pid}.node`);
  writeFileSync(bad, 'not an ELF file');
  const r = run(bad);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /loading .*wiresage-bad-\d+\.node failed: .*(invalid ELF header|file too short)/);
  assert.match(r.stderr, /--backend tcpdump/);
});
