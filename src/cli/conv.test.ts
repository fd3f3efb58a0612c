/**
 * `wiresage conv` application summaries: each connection carries what its application said,
 * kept per connection (tcp.stream), so a port reused by a later connection starts fresh.
 * The table and JSON forms are compared with tshark in src/flows/differential.test.ts.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { generateCapture, noTshark, repoRoot, tsharkText, wiresage } from '../testing/tshark.js';
import { tcpFrame, writePcap, type TcpSpec } from '../flows/synthetic.js';
import { collectConversations, convTable, sortRows } from './conv.js';

const C = '10.0.0.1';
const S = '10.0.0.2';

/** One Redis connection from port 43000: handshake, AUTH, the server's reply, FIN both ways. */
function redisConnection(isn: number, password: string, reply: string, t0: number): Array<{ ts: number; data: Uint8Array }> {
  const auth = `*2\r\n$4\r\nAUTH\r\n$${password.length}\r\n${password}\r\n`;
  const c = (seq: number, ack: number, flags: string, payload = ''): TcpSpec => ({ src: C, dst: S, sport: 43000, dport: 6379, seq, ack, flags, payload });
  const s = (seq: number, ack: number, flags: string, payload = ''): TcpSpec => ({ src: S, dst: C, sport: 6379, dport: 43000, seq, ack, flags, payload });
  const sIsn = isn + 1_000_000;
  const specs: TcpSpec[] = [
    c(isn, 0, 'S'),
    s(sIsn, isn + 1, 'SA'),
    c(isn + 1, sIsn + 1, 'A'),
    c(isn + 1, sIsn + 1, 'PA', auth),
    s(sIsn + 1, isn + 1 + auth.length, 'PA', reply),
    c(isn + 1 + auth.length, sIsn + 1 + reply.length, 'FA'),
    s(sIsn + 1 + reply.length, isn + 2 + auth.length, 'FA'),
    c(isn + 2 + auth.length, sIsn + 2 + reply.length, 'A'),
  ];
  return specs.map((spec, i) => ({ ts: t0 + i * 0.001, data: tcpFrame(spec) }));
}

test('conv: application summary per connection, not per port pair (port reuse starts fresh)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'wiresage-conv-'));
  try {
    const file = join(dir, 'reuse.pcap');
    writePcap(file, [
      ...redisConnection(1000, 'wrong', '-WRONGPASS invalid username-password pair or user is disabled.\r\n', 0),
      ...redisConnection(5_000_000, 'right', '+OK\r\n', 1),
    ]);
    const rows = sortRows(await collectConversations(file, 'tcp'), 'stream');
    assert.deepEqual(rows.map((r) => [r.stream, r.summary?.app]), [
      [0, 'redis: AUTH failed WRONGPASS invalid username-password pair or user is disabled.'],
      [1, 'redis: AUTH ok'],
    ]);
    // Secrets never reach the summary.
    for (const r of rows) assert.ok(!/wrong|right/.test(r.summary?.app ?? ''), r.summary?.app);
    const table = convTable('TCP', rows, true, true);
    assert.match(table, /Application/);
    assert.match(table, /redis: AUTH failed WRONGPASS/);
    assert.match(table, /redis: AUTH ok/);
    // Without the application dissectors (the engine's transport-only pass) there is nothing to say.
    const bare = await collectConversations(file, 'tcp', true, false);
    assert.deepEqual(bare.map((r) => r.summary?.app), [undefined, undefined]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('conv -Y counts only matching packets, as tshark -z conv,tcp|udp|ip,FILTER (analysis over every packet)', { skip: noTshark, timeout: 120_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'wiresage-conv-y-'));
  try {
    const gen = generateCapture(join(dir, 'gen.pcap'), 6000, 7, ['--stress', '3']);
    const seed = join(repoRoot, 'examples/seed-case-a-forged-rst-after-failed-logins.pcap');
    const cases: Array<[string, string, string]> = [
      [gen, 'tcp', 'tcp.port == 443'],
      [gen, 'tcp', 'tcp.analysis.retransmission'],
      [gen, 'tcp', 'tcp.analysis.flags && !tcp.analysis.window_update'],
      [gen, 'udp', 'dns.flags.response == 1 && ip.src == 8.8.8.8'],
      [seed, 'tcp', 'tcp.flags.reset == 1'],
      [seed, 'ip', 'tcp.flags.syn == 1'],
    ];
    for (const [file, kind, filter] of cases) {
      const ours = wiresage(['conv', file, `--${kind}`, '--tshark', '-Y', filter]).stdout;
      const theirs = tsharkText(['-n', '-r', file, '-q', '-z', `conv,${kind},${filter}`]);
      assert.equal(ours, theirs, `${file} ${kind} ${filter}`);
      // Something is selected, and less than everything (the filter really restricts).
      const rows = (t: string) => t.split('\n').filter((l) => / <-> /.test(l)).length;
      assert.ok(rows(ours) > 0, `${filter}: no rows`);
      const all = wiresage(['conv', file, `--${kind}`, '--tshark']).stdout;
      assert.notEqual(ours.replace(/^Filter:.*$/m, ''), all.replace(/^Filter:.*$/m, ''), `${filter} restricted nothing`);
    }
    // The extra columns still describe the whole connection: the refused connections' RST rows.
    const text = wiresage(['conv', seed, '-Y', 'tcp.flags.reset == 1']).stdout;
    assert.match(text, /^Filter:tcp\.flags\.reset == 1$/m);
    assert.equal(text.match(/ REJ {4}Sr /g)?.length, 3, text);
    const json = wiresage(['conv', seed, '--json', '-Y', 'tcp.flags.reset == 1']).stdout.trim().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(json.map((r) => [r.connState, r.aToBPackets + r.bToAPackets]), [['REJ', 1], ['REJ', 1], ['REJ', 1]]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('conv -Y with an invalid filter: exit 2, message with the position', () => {
  const seed = join(repoRoot, 'examples/seed-case-a-forged-rst-after-failed-logins.pcap');
  const r = wiresage(['conv', seed, '-Y', 'tcp.port == 443 && tcp.flag.syn'], { allowFail: true });
  assert.equal(r.status, 2);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /^wiresage conv: invalid display filter: .*tcp\.flag\.syn/);
  assert.match(r.stderr, /did you mean tcp\.flags\.syn/i);
  assert.match(r.stderr, /\n {4}tcp\.port == 443 && tcp\.flag\.syn\n {4}\s{19}\^~+/);
});
