/**
 * `wiresage doctor -Y FILTER` on the seed case (three failed Oracle logins, then resets forged
 * by a device in the path): the filter picks the connections diagnosed, while the evidence
 * (stream numbers, TTL references, analysis) still comes from every packet.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { noTshark, repoRoot, tsharkFields, wiresage } from '../testing/tshark.js';

const seed = join(repoRoot, 'examples/seed-case-a-forged-rst-after-failed-logins.pcap');

interface Doc {
  findings: Array<{ id: string; severity: string; evidence: { streams: number[]; frames: number[] } }>;
}

function doctor(args: string[]): { doc: Doc; status: number } {
  const r = wiresage(['doctor', seed, '--json', ...args], { allowFail: true });
  return { doc: JSON.parse(r.stdout) as Doc, status: r.status };
}

test('doctor -Y restricts the diagnosis to the connections of a port', { skip: noTshark, timeout: 60_000 }, () => {
  const all = doctor([]);
  assert.deepEqual(all.doc.findings.map((f) => f.id), ['auth.failed.then.blocked']);
  assert.equal(all.status, 1);

  // One of the reset connections: the forged RST alone, told by the TTL of the server's other
  // connections (which the filter does not select); its stream number is tshark's.
  const rst = doctor(['-Y', 'tcp.port == 35982']);
  assert.deepEqual(rst.doc.findings.map((f) => f.id), ['tcp.rst.forged']);
  assert.equal(rst.status, 1);
  const stream = tsharkFields(seed, ['tcp.stream'], { filter: 'tcp.port == 35982' })[0][0];
  assert.deepEqual(rst.doc.findings[0].evidence.streams, [Number(stream)]);
  const rstFrames = tsharkFields(seed, ['frame.number'], { filter: 'tcp.port == 35982 && tcp.flags.reset == 1' }).map((r) => Number(r[0]));
  assert.deepEqual(rst.doc.findings[0].evidence.frames, rstFrames);

  // The login connections: failed logins, no block.
  const logins = doctor(['--display-filter', 'tcp.port in {35970, 35974, 35976}']);
  assert.deepEqual(logins.doc.findings.map((f) => f.id), ['auth.failed']);
  const loginStreams = new Set(tsharkFields(seed, ['tcp.stream'], { filter: 'tcp.port in {35970, 35974, 35976}' }).map((r) => Number(r[0])));
  for (const s of logins.doc.findings[0].evidence.streams) assert.ok(loginStreams.has(s), `stream ${s}`);

  // A filter on analysis/flags selects by what one-pass tshark sees: the RST packets' connections.
  const byRst = doctor(['-Y', 'tcp.flags.reset == 1 && ip.ttl == 255']);
  assert.deepEqual(byRst.doc.findings.map((f) => f.id), ['tcp.rst.forged']);
  assert.equal(byRst.doc.findings[0].evidence.streams.length, 3);

  // Nothing selected: nothing found, exit 0.
  const none = doctor(['-Y', 'tcp.port == 1']);
  assert.deepEqual(none.doc.findings, []);
  assert.equal(none.status, 0);
});

test('doctor -Y with an invalid filter: exit 2, message with the position', () => {
  const r = wiresage(['doctor', seed, '-Y', 'tcp.port == 1521 &&'], { allowFail: true });
  assert.equal(r.status, 2);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /^wiresage doctor: invalid display filter: .*\n {4}tcp\.port == 1521 &&\n {4}.*\^/);
});

test('doctor -Y says which filter the diagnosis was restricted to: terminal, Markdown, JSON, Chinese', () => {
  const filter = 'tcp.port == 35982';
  const text = wiresage(['doctor', seed, '-Y', filter], { allowFail: true });
  assert.equal(text.status, 1);
  assert.match(text.stdout, /^Display filter: tcp\.port == 35982 — only connections \(and ICMP errors\) with a matching packet are diagnosed/m);
  const md = wiresage(['doctor', seed, '-Y', filter, '--format', 'md'], { allowFail: true });
  assert.match(md.stdout, /^- Display filter: `tcp\.port == 35982` — only connections/m);
  const zh = wiresage(['doctor', seed, '--display-filter', filter, '--lang', 'zh'], { allowFail: true });
  assert.match(zh.stdout, /^显示过滤器：tcp\.port == 35982 —— 只诊断含有匹配报文的连接/m);
  const json = JSON.parse(wiresage(['doctor', seed, '-Y', filter, '--json'], { allowFail: true }).stdout) as { display_filter: string | null };
  assert.equal(json.display_filter, filter);
  // Nothing selected: the healthy line says it is about the selection only.
  const none = wiresage(['doctor', seed, '-Y', 'tcp.port == 1']);
  assert.match(none.stdout, /^Display filter: tcp\.port == 1 — /m);
  assert.match(none.stdout, /^No problems found in the connections the display filter selects\.$/m);
  // Without -Y: no such line, and null in JSON.
  const plain = wiresage(['doctor', seed], { allowFail: true });
  assert.doesNotMatch(plain.stdout, /Display filter/);
  assert.equal((JSON.parse(wiresage(['doctor', seed, '--json'], { allowFail: true }).stdout) as { display_filter: string | null }).display_filter, null);
});
