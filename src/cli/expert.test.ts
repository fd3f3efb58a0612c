/**
 * `wiresage expert -Y FILTER` against `tshark -q -z expert,FILTER`: the items of matching
 * packets are counted, while TCP analysis runs over every packet (a `tcp.analysis.*` filter
 * sees the flags of a one-pass tshark run). Compared on the TCP rows (the items wiresage's
 * application dissectors raise are not all tshark's yet), section totals included.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { expertTcpRows as tcpRows, generateCapture, noTshark, repoRoot, tsharkText, wiresage } from '../testing/tshark.js';

const dir = mkdtempSync(join(tmpdir(), 'wiresage-expert-y-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('expert -Y equals tshark -z expert,FILTER on the TCP items (port, analysis, flags filters)', { skip: noTshark, timeout: 120_000 }, () => {
  const gen = generateCapture(join(dir, 'gen.pcap'), 6000, 4, ['--stress', '4']);
  const seed = join(repoRoot, 'examples/seed-case-a-forged-rst-after-failed-logins.pcap');
  const cases: Array<[string, string]> = [
    [gen, 'tcp.port == 443'],
    [gen, 'tcp.analysis.retransmission'],
    [gen, 'tcp.analysis.duplicate_ack || tcp.analysis.lost_segment'],
    [gen, 'tcp.stream in {0..20} && tcp.len > 0'],
    [seed, 'tcp.flags.reset == 1'],
    [seed, 'tcp.srcport == 1521'],
  ];
  for (const [file, filter] of cases) {
    const ours = wiresage(['expert', file, '--tshark', '-Y', filter]).stdout;
    const theirs = tcpRows(tsharkText(['-n', '-r', file, '-q', '-z', `expert,${filter}`]));
    assert.ok(theirs.length > 0, `${filter}: tshark counted nothing`);
    assert.deepEqual(tcpRows(ours), theirs, `${file} ${filter}`);
    assert.notDeepEqual(tcpRows(ours), tcpRows(wiresage(['expert', file, '--tshark']).stdout), `${filter} restricted nothing`);
  }
  // JSON and --severity apply to the filtered tally.
  const rows = wiresage(['expert', seed, '--json', '--severity', 'warn', '-Y', 'tcp.flags.reset == 1']).stdout.trim().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(rows.map((r) => [r.field, r.count]), [['tcp.connection.rst', 3]]);
});

test('expert -Y with an invalid filter: exit 2, message with the position', () => {
  const seed = join(repoRoot, 'examples/seed-case-a-forged-rst-after-failed-logins.pcap');
  const r = wiresage(['expert', seed, '--display-filter', 'tcp.port == '], { allowFail: true });
  assert.equal(r.status, 2);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /^wiresage expert: invalid display filter: /);
  assert.match(r.stderr, /\n {4}tcp\.port == \n {4}.*\^/);
});
