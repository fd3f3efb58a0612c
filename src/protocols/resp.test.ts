import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { packetColumns } from '../decode/columns.js';
import { Decoder } from '../decode/decoder.js';
import { columnMismatches } from '../testing/column-compare.js';
import { secretMasked } from '../testing/column-differences.js';
import { noTshark } from '../testing/tshark.js';
import { compareWithTshark, decodeBytes, decodeFile, fuzzFrames, mismatchText, tcpFrame, values } from './_compare.js';
import { Lab, missing, noLab } from './_lab.js';
import { appStates } from './conversation-state.js';
import { pduLength, valueEnd } from './resp.js';
import './index.js';

const C = '10.0.0.1';
const S = '10.0.0.2';
const auth = Buffer.from('*2\r\n$4\r\nAUTH\r\n$6\r\nsecret\r\n');
const wrongpass = Buffer.from('-WRONGPASS invalid username-password pair or user is disabled.\r\n');

test('Redis AUTH is masked, WRONGPASS is an error, the summary says AUTH failed', () => {
  const d = new Decoder();
  const a = decodeBytes(d, tcpFrame(auth, C, 43000, S, 6379)).tree;
  assert.deepEqual(values(a, 'resp.command'), ['AUTH']);
  assert.deepEqual(values(a, 'resp.bulk_string.value').map(String), ['65,85,84,72', '********']);
  assert.ok(!JSON.stringify(values(a, 'resp.bulk_string.value')).includes('secret'));
  const e = decodeBytes(d, tcpFrame(wrongpass, S, 6379, C, 43000)).tree;
  assert.deepEqual(values(e, 'resp.error'), ['WRONGPASS invalid username-password pair or user is disabled.']);
  assert.equal([...appStates(d)][0].summary, 'redis: AUTH failed WRONGPASS invalid username-password pair or user is disabled.');
});

test('RESP Info column: pipelined replies, long and binary bulk strings, RESP3 as tshark 4.0 reads it, masked HELLO AUTH', () => {
  const d = new Decoder();
  const info = (bytes: string | Buffer, from: 'client' | 'server', port: number) => {
    const frame = from === 'client' ? tcpFrame(Buffer.from(bytes), C, port, S, 6379) : tcpFrame(Buffer.from(bytes), S, 6379, C, port);
    const col = packetColumns(decodeBytes(d, frame).p);
    return `${col.protocol} | ${col.info}`;
  };
  assert.equal(info('+OK\r\n:42\r\n$-1\r\n*2\r\n$1\r\na\r\n:1\r\n', 'server', 43010), 'RESP | Response: OK 42 Array(2)');
  assert.equal(info(`$100\r\n${'x'.repeat(100)}\r\n`, 'server', 43011), 'RESP | Response: BulkString(100)');
  assert.equal(info(Buffer.concat([Buffer.from('$2\r\n'), Buffer.from([0xc3, 0xa9]), Buffer.from('\r\n')]), 'server', 43012), 'RESP | Response: BulkString(2)');
  assert.equal(info('%1\r\n$5\r\nproto\r\n:3\r\n', 'server', 43013), 'RESP | Response: [fragment] proto 3');
  assert.equal(info('PING\r\n', 'client', 43014), 'RESP | Request: [fragment]');
  const hello = info('*5\r\n$5\r\nHELLO\r\n$1\r\n3\r\n$4\r\nAUTH\r\n$4\r\nuser\r\n$6\r\nsecret\r\n', 'client', 43015);
  assert.equal(hello, 'RESP | Request: HELLO 3 AUTH ******** ********');
});

test('RESP framing: complete values, pipelined replies, RESP3 types, cut values, bounded nesting', () => {
  assert.equal(pduLength(auth, 0, auth.length), auth.length);
  assert.equal(pduLength(auth, 0, auth.length - 1), undefined);
  const r3 = Buffer.from('%2\r\n+server\r\n+redis\r\n+proto\r\n:3\r\n');
  assert.equal(valueEnd(r3, 0, r3.length), r3.length);
  const deep = Buffer.from('*1\r\n'.repeat(100));
  assert.equal(valueEnd(deep, 0, deep.length), -2);
  const d = new Decoder();
  const two = decodeBytes(d, tcpFrame(Buffer.from('+OK\r\n:42\r\n$-1\r\n'), S, 6379, C, 43001)).tree;
  assert.deepEqual(values(two, 'resp.string'), ['OK']);
  assert.deepEqual(values(two, 'resp.integer'), [42n]);
  const cut = decodeBytes(d, tcpFrame(auth.subarray(0, 10), C, 43001, S, 6379));
  assert.equal(cut.p.malformed, null);
  assert.equal(values(cut.tree, 'resp.needs_reassembly').length, 1);
});

test('RESP fuzz', () => {
  const frames = [
    tcpFrame(auth, C, 43000, S, 6379), tcpFrame(wrongpass, S, 6379, C, 43000),
    tcpFrame(Buffer.from('%2\r\n+server\r\n+redis\r\n+proto\r\n:3\r\n*2\r\n$1\r\na\r\n_\r\n'), S, 6379, C, 43000),
  ];
  assert.ok(fuzzFrames(frames) > 1000);
});

const skipReal = noLab || noTshark || missing('redis-server', 'redis-cli');

test('real Redis 7 and redis-cli: right and wrong password, no password; fields as tshark', { skip: skipReal, timeout: 240_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'wiresage-redis-'));
  const lab = await Lab.create('wsrd');
  try {
    const server = lab.start(lab.serverNs, 'redis-server', ['--bind', lab.serverIp, '--port', '6379', '--requirepass', 'secret', '--save', '', '--appendonly', 'no', '--dir', dir]);
    await Lab.waitFor(server, 'Ready to accept connections');
    const file = join(dir, 'redis.pcap');
    const stop = await lab.capture(file);
    const cli = (...args: string[]) => lab.run(lab.clientNs, 'redis-cli', ['-h', lab.serverIp, '--no-auth-warning', ...args]);
    const ok = await cli('-a', 'secret', 'SET', 'k', 'v');
    const bad = await cli('-a', 'wrong', 'GET', 'k');
    const none = await cli('GET', 'k');
    const resp3 = await cli('-3', '-a', 'secret', 'GET', 'k');
    await stop();
    assert.match(ok.stdout, /OK/);
    assert.match(bad.stdout + bad.stderr, /WRONGPASS|NOAUTH/);
    assert.match(none.stdout + none.stderr, /NOAUTH/);
    assert.match(resp3.stdout, /v/);

    // Every frame's packet-list Protocol and Info as tshark writes them.
    const columns = await columnMismatches(file, secretMasked);
    t.diagnostic(`columns: ${columns.frames - columns.accepted - columns.mismatches.length}/${columns.frames} frames with tshark's Protocol and Info, ${columns.accepted} with the AUTH password masked`);
    assert.ok(columns.accepted >= 3, 'the AUTH frames mask the password');
    assert.deepEqual(columns.mismatches, []);

    const fields = ['resp.string', 'resp.error', 'resp.bulk_string.length', 'resp.bulk_string.value', 'resp.integer', 'resp.array.length'];
    const cmp = compareWithTshark(file, fields);
    const unexplained = cmp.mismatches.filter((m) => !explained(m.field, m.ours, m.tshark));
    t.diagnostic(`tshark comparison: ${cmp.frames} frames, cells ${JSON.stringify(cmp.cells)}; explained: ${mismatchText(cmp.mismatches.filter((m) => explained(m.field, m.ours, m.tshark)), 8)}`);
    assert.deepEqual(unexplained, [], mismatchText(unexplained));
    assert.ok((cmp.cells['resp.error'] ?? 0) >= 2);

    const decoder = await decodeFile(file);
    const summaries = [...appStates(decoder)].map((s) => s.summary ?? '').sort();
    t.diagnostic(`summaries: ${JSON.stringify(summaries)}`);
    assert.ok(summaries.some((s) => s.startsWith('redis: AUTH failed WRONGPASS')), summaries.join('\n'));
    assert.ok(summaries.includes('redis: AUTH ok'), summaries.join('\n'));
    assert.ok(summaries.some((s) => s.startsWith('redis: GET refused: NOAUTH')), summaries.join('\n'));
    assert.ok(!summaries.join('').includes('secret'));
  } finally {
    await lab.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

/** AUTH/HELLO passwords are masked by design: tshark prints their bytes (hex). */
function explained(field: string, ours: string, tshark: string): boolean {
  if (field !== 'resp.bulk_string.value') return false;
  const a = ours.split(',');
  const b = tshark.split(',');
  if (a.length !== b.length) return false;
  const secrets = new Set(['736563726574', '77726f6e67', '64656661756c74']); // secret, wrong, default (HELLO's user)
  return a.every((x, i) => x === b[i] || (x === '********' && secrets.has(b[i])));
}

test('AUTH arguments are masked whichever direction the packet seems to go', () => {
  const d = new Decoder();
  const { tree } = decodeBytes(d, tcpFrame(auth, S, 6379, C, 43100));
  assert.ok(!values(tree, 'resp.bulk_string.value').some((v) => v instanceof Uint8Array && Buffer.from(v).toString() === 'secret'));
  assert.ok(values(tree, 'resp.bulk_string.value').includes('********'));
});
