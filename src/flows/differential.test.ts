/**
 * Differential tests against tshark 4.0 (the oracle): every flow field the engine produces,
 * packet by packet, on generated captures (several seeds and `--stress` levels); `read -T
 * fields` through the Decoder; the `conv`, `expert` and `follow` commands against
 * `-z conv,tcp|udp`, `-z expert` and `-z follow,tcp,ascii,N`.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { openCapture } from '../file/open.js';
import { expertTcpRows, generateCapture, noTshark, tsharkFields, tsharkText, wiresage } from '../testing/tshark.js';
import { FlowEngine } from './engine.js';
import { noteFieldNames, noteFieldText } from './note-fields.js';

const dir = mkdtempSync(join(tmpdir(), 'wiresage-flowdiff-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const fields = [...noteFieldNames];

/** Engine rows for a file, fast path (`engine.record`). */
async function engineRows(file: string): Promise<string[][]> {
  const engine = new FlowEngine();
  const rows: string[][] = [];
  const reader = await openCapture(file);
  try {
    await reader.forEach((r) => {
      engine.record(r);
      rows.push(fields.map((f) => noteFieldText(engine, f)));
    });
  } finally {
    reader.close();
  }
  return rows;
}

/** Packet-by-packet comparison; returns the number of values compared. */
async function compareWithTshark(file: string): Promise<number> {
  const t = tsharkFields(file, fields);
  const ours = await engineRows(file);
  assert.equal(ours.length, t.length, 'frame count');
  const bad: string[] = [];
  for (let i = 0; i < ours.length; i++) {
    for (let j = 0; j < fields.length; j++) {
      const a = t[i][j] ?? '';
      if (ours[i][j] !== a && bad.length < 10) bad.push(`frame ${i + 1} ${fields[j]}: tshark '${a}' ours '${ours[i][j]}'`);
    }
  }
  assert.deepEqual(bad, [], `${file}: differences from tshark`);
  return ours.length * fields.length;
}

const generated: string[] = [];
function gen(seed: number, stress: number, packets = 12000): string {
  const f = join(dir, `gen-${seed}-${stress}.pcap`);
  if (!generated.includes(f)) {
    generateCapture(f, packets, seed, ['--stress', String(stress)]);
    generated.push(f);
  }
  return f;
}

for (const [seed, stress] of [[1, 1], [2, 2], [3, 3], [4, 4], [5, 1]] as const) {
  test(`every flow field equals tshark's, generated seed ${seed} stress ${stress}`, { skip: noTshark }, async () => {
    const n = await compareWithTshark(gen(seed, stress));
    assert.ok(n > 100000);
  });
}

test('read -T fields through the Decoder: tcp.stream, relative numbers, analysis flags, udp.stream', { skip: noTshark }, () => {
  const file = gen(2, 2);
  const names = ['frame.number', 'tcp.stream', 'udp.stream', 'tcp.seq', 'tcp.ack', 'tcp.len', 'tcp.nxtseq', 'tcp.window_size',
    'tcp.analysis.retransmission', 'tcp.analysis.duplicate_ack_num', 'tcp.analysis.acks_frame', 'tcp.analysis.ack_rtt',
    'tcp.analysis.lost_segment', 'tcp.analysis.bytes_in_flight', 'tcp.time_delta'];
  const args = ['read', file, '-T', 'fields', '-E', 'occurrence=a'];
  for (const n of names) args.push('-e', n);
  const ours = wiresage(args).stdout.trimEnd().split('\n').map((l) => l.split('\t'));
  // Compare on the frames our Decoder dissects down to TCP/UDP (IPv4 and, when present, IPv6).
  const t = tsharkFields(file, names);
  assert.equal(ours.length, t.length);
  let compared = 0;
  for (let i = 0; i < t.length; i++) {
    if (!ours[i][1] && !ours[i][2] && (t[i][1] || t[i][2])) continue; // a layer the Decoder does not know yet
    for (let j = 0; j < names.length; j++) assert.equal(ours[i][j] ?? '', t[i][j] ?? '', `frame ${i + 1} ${names[j]}`);
    compared++;
  }
  assert.ok(compared > t.length * 0.8, `compared ${compared} of ${t.length}`);
});

const tshark = tsharkText;

test('conv --tshark prints tshark -z conv,tcp and conv,udp exactly', { skip: noTshark }, () => {
  for (const file of [gen(1, 1), gen(3, 3)]) {
    assert.equal(wiresage(['conv', file, '--tshark']).stdout, tshark(['-n', '-r', file, '-q', '-z', 'conv,tcp']));
    assert.equal(wiresage(['conv', file, '--udp', '--tshark']).stdout, tshark(['-n', '-r', file, '-q', '-z', 'conv,udp']));
  }
});

test('conv --ip prints the IPv4 and IPv6 tables as tshark', { skip: noTshark }, () => {
  const file = gen(1, 1);
  const ours = wiresage(['conv', file, '--ip']).stdout;
  assert.equal(ours, tshark(['-n', '-r', file, '-q', '-z', 'conv,ip']) + tshark(['-n', '-r', file, '-q', '-z', 'conv,ipv6']));
});

test('conv default output adds state, history, iRTT and close reason; --json carries them', { skip: noTshark }, () => {
  const file = gen(1, 1);
  const text = wiresage(['conv', file]).stdout;
  assert.match(text, /State {2}History/);
  assert.match(text, / SF {5}ShADadFf /);
  const rows = wiresage(['conv', file, '--json', '--sort', 'stream']).stdout.trim().split('\n').map((l) => JSON.parse(l));
  assert.ok(rows.length > 50);
  assert.deepEqual(rows.map((r) => r.stream), [...rows.map((r) => r.stream)].sort((a, b) => a - b));
  const rej = rows.find((r) => r.connState === 'REJ');
  assert.ok(rej, 'the generator makes refused connections');
  assert.equal(rej.closeKind, 'rst');
  assert.equal(rej.closedBy, 'resp');
});

test('expert: TCP rows equal tshark -z expert (counts, severities, order)', { skip: noTshark }, () => {
  for (const file of [gen(1, 1), gen(4, 4)]) {
    const t = tshark(['-n', '-r', file, '-q', '-z', 'expert']);
    const ours = wiresage(['expert', file, '--tshark']).stdout;
    assert.deepEqual(expertTcpRows(ours), expertTcpRows(t));
  }
});

test('follow ascii equals tshark -z follow,tcp,ascii (IPv4 and IPv6, lossy streams)', { skip: noTshark }, () => {
  const file = gen(4, 4);
  const streams = tsharkFields(file, ['tcp.stream', 'ipv6.src', 'tcp.analysis.retransmission', 'tcp.len'])
    .filter((r) => r[0] !== '' && r[3] !== '' && r[3] !== '0');
  const pick = new Set<string>();
  pick.add(streams.find((r) => r[1])?.[0] ?? '0');
  pick.add(streams.find((r) => r[2])?.[0] ?? '1');
  pick.add('0');
  pick.add(streams[Math.floor(streams.length / 2)][0]);
  for (const s of pick) {
    const t = tshark(['-n', '-r', file, '-q', '-z', `follow,tcp,ascii,${s}`]);
    assert.equal(wiresage(['follow', file, '--stream', s]).stdout, t, `stream ${s}`);
  }
  // A stream that does not exist prints tshark's empty frame.
  assert.equal(wiresage(['follow', file, '--stream', '99999']).stdout, tshark(['-n', '-r', file, '-q', '-z', 'follow,tcp,ascii,99999']));
});
