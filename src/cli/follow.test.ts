/**
 * `wiresage follow -Y FILTER`: follows the TCP stream of the first packet matching the filter
 * (Wireshark's "select the packet, Follow TCP Stream"); the stream is checked against tshark's
 * first matching frame (`tshark -Y FILTER -T fields -e tcp.stream`) and the output against
 * `tshark -q -z follow,tcp,ascii,N`.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { generateCapture, noTshark, repoRoot, tsharkFields, tsharkText, wiresage } from '../testing/tshark.js';

const dir = mkdtempSync(join(tmpdir(), 'wiresage-follow-y-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('follow -Y follows the stream of the first matching packet, as tshark shows that stream', { skip: noTshark, timeout: 120_000 }, () => {
  const gen = generateCapture(join(dir, 'gen.pcap'), 6000, 5, ['--stress', '4']);
  const seed = join(repoRoot, 'examples/seed-case-a-forged-rst-after-failed-logins.pcap');
  const cases: Array<[string, string]> = [
    [gen, 'tcp.analysis.retransmission && tcp.len > 0'],
    [gen, 'tcp.port == 443 && tcp.stream > 10'],
    [gen, 'tcp.analysis.out_of_order || tcp.analysis.lost_segment'],
    [seed, 'tcp.len > 100 && frame.number > 15'],
  ];
  const seen = new Set<string>();
  for (const [file, filter] of cases) {
    const stream = tsharkFields(file, ['tcp.stream'], { filter })[0]?.[0];
    assert.ok(stream, `${filter}: tshark matched nothing`);
    seen.add(`${file} ${stream}`);
    const ours = wiresage(['follow', file, '-Y', filter]).stdout;
    assert.match(ours, new RegExp(`^Filter: tcp\\.stream eq ${stream}$`, 'm'), filter);
    assert.equal(ours, tsharkText(['-n', '-r', file, '-q', '-z', `follow,tcp,ascii,${stream}`]), `${file} ${filter}`);
  }
  assert.ok(seen.size >= 3, 'the filters pick different streams');
});

test('follow -Y: no match exits 1, invalid filter 2, -Y with --stream or stdin is a usage error', () => {
  const seed = join(repoRoot, 'examples/seed-case-a-forged-rst-after-failed-logins.pcap');
  const none = wiresage(['follow', seed, '-Y', 'tcp.port == 1'], { allowFail: true });
  assert.equal(none.status, 1);
  assert.equal(none.stdout, '');
  assert.match(none.stderr, /no TCP packet matches the filter tcp\.port == 1/);
  const bad = wiresage(['follow', seed, '-Y', 'tcp.prt == 1'], { allowFail: true });
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /^wiresage follow: invalid display filter: .*\n {4}tcp\.prt == 1\n {4}.*\^/);
  assert.equal(wiresage(['follow', seed, '-Y', 'tcp', '--stream', '0'], { allowFail: true }).status, 2);
  assert.equal(wiresage(['follow', '-', '-Y', 'tcp'], { allowFail: true, input: Buffer.alloc(0) }).status, 2);
});
