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
