/**
 * Display-filter views scanned three ways (scan.ts): the plan chosen for each filter, the index
 * pruning, and the frames of every kind of scan equal to tshark -Y's on the example captures
 * and a generated one with retransmissions, lost segments and resets.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { compileFilter } from '../filter/index.js';
import { parseFilter } from '../filter/parser.js';
import { A_DUPLICATE_ACK, A_FAST_RETRANSMISSION, A_RETRANSMISSION, A_SPURIOUS_RETRANSMISSION } from '../flows/tcp-analysis.js';
import { generateCapture, noTshark, repoRoot, tsharkFields } from '../testing/tshark.js';
import { Capture } from './capture.js';
import { mayMatch, requiredAnalysis, requiredStreams, scanPlan } from './scan.js';

const plan = (f: string) => scanPlan(compileFilter(f).fields, f);
const RETRANS = A_RETRANSMISSION | A_FAST_RETRANSMISSION | A_SPURIOUS_RETRANSMISSION;

describe('scan plans', () => {
  it('classifies filters by the fields they read', () => {
    assert.equal(plan('ip.addr == 10.0.0.1 && tcp.port == 80').kind, 'index');
    assert.equal(plan('tcp.stream == 3 || tcp.analysis.flags').kind, 'index');
    assert.equal(plan('frame.len > 1000 && !arp').kind, 'index');
    assert.equal(plan('tcp.seq == 1').kind, 'transport');
    assert.equal(plan('udp.stream == 2').kind, 'transport');
    assert.equal(plan('tcp.analysis.ack_rtt > 0.2').kind, 'transport');
    assert.equal(plan('tcp.connection.rst').kind, 'transport');
    assert.equal(plan('dns').kind, 'full');
    assert.equal(plan('tns.type == 1 || ip.src == 1.2.3.4').kind, 'full');
    assert.equal(plan('frame.protocols contains "tls"').kind, 'full');
    assert.equal(plan('_ws.expert').kind, 'full');
    assert.equal(plan('tcp.payload contains "GET"').kind, 'index');
  });

  it('prunes only on what a match needs', () => {
    const req = (f: string) => requiredAnalysis(parseFilter(f)!);
    assert.deepEqual(req('tcp.analysis.retransmission'), [RETRANS]);
    assert.deepEqual(req('tcp.analysis.retransmission == 1 && ip.src == 10.0.0.1'), [RETRANS]);
    assert.deepEqual(req('(tcp.analysis.duplicate_ack) && tcp.analysis.retransmission'), [A_DUPLICATE_ACK, RETRANS]);
    assert.deepEqual(req('tcp.analysis.duplicate_ack || tcp.analysis.retransmission'), [A_DUPLICATE_ACK | RETRANS]);
    assert.equal(req('tcp.analysis.duplicate_ack || tcp.port == 80'), null);
    assert.equal(req('!tcp.analysis.retransmission'), null);
    assert.equal(req('all tcp.analysis.retransmission == 1'), null);
    assert.equal(req('tcp.analysis.retransmission#1'), null);
    assert.equal(mayMatch([RETRANS], A_FAST_RETRANSMISSION), true);
    assert.equal(mayMatch([RETRANS, A_DUPLICATE_ACK], A_FAST_RETRANSMISSION), false);
    assert.equal(mayMatch([], 0), true);
  });

  it('prunes to the streams a match must belong to', () => {
    const streams = (f: string) => { const r = requiredStreams(parseFilter(f)!); return r ? [...r].sort((a, b) => a - b) : null; };
    assert.deepEqual(streams('tcp.stream == 3'), [3]);
    assert.deepEqual(streams('tcp.stream in {1, 4, 6..8}'), [1, 4, 6, 7, 8]);
    assert.deepEqual(streams('tcp.stream == 3 && tcp.flags.reset == 1'), [3]);
    assert.deepEqual(streams('tcp.stream == 3 || tcp.stream == 5'), [3, 5]);
    assert.equal(streams('tcp.stream == 3 || tcp.port == 80'), null);
    assert.equal(streams('tcp.stream != 3'), null);
    assert.equal(streams('tcp.stream > 3'), null);
    assert.equal(streams('tcp.stream not in {3}'), null);
    assert.equal(streams('!(tcp.stream == 3)'), null);
    assert.deepEqual(plan('tcp.stream in {2, 9}').streams && [...plan('tcp.stream in {2, 9}').streams!], [2, 9]);
  });
});

describe('views equal tshark -Y whatever the scan', { skip: noTshark }, () => {
  let dir = '';
  let generated = '';
  before(() => {
    dir = fs.mkdtempSync(join(tmpdir(), 'wiresage-scan-'));
    generated = generateCapture(join(dir, 'gen.pcap'), 20000, 7);
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  async function viewFrames(file: string, filter: string): Promise<{ kind: string; frames: number[] }> {
    const c = new Capture('t', 't', file, dir);
    await c.start();
    try {
      const v = c.createView(filter);
      while (!v.complete) await new Promise((r) => setTimeout(r, 20));
      assert.equal(v.error, undefined, filter);
      return { kind: v.kind, frames: [...v.frames.subarray(0, v.matched)] };
    } finally {
      c.close();
    }
  }

  const cases: Array<[string, string, string]> = [
    ['gen', 'tcp.analysis.retransmission', 'index'],
    ['gen', 'tcp.analysis.lost_segment || tcp.analysis.duplicate_ack', 'index'],
    ['gen', 'tcp.analysis.flags && ip.len > 100', 'index'],
    ['gen', 'tcp.analysis.flags && tcp.len > 0', 'transport'],
    ['gen', 'tcp.flags.reset == 1', 'index'],
    ['gen', 'tcp.stream == 5 && !tcp.analysis.flags', 'index'],
    ['gen', 'tcp.stream in {2, 7..9} || (tcp.stream == 40 && tcp.flags.syn == 1)', 'index'],
    ['gen', 'tcp.seq == 1 && tcp.len > 0', 'transport'],
    ['gen', 'udp.stream == 1', 'transport'],
    ['gen', 'dns.flags.response == 1', 'full'],
    ['seedA', 'tcp.analysis.flags || tcp.flags.reset == 1', 'index'],
    ['seedA', 'ip.ttl < 64', 'index'],
    ['seedB', 'tns', 'full'],
    ['web', 'http.request || tcp.analysis.retransmission', 'full'],
  ];
  for (const [name, filter, kind] of cases) {
    it(`${name}: ${filter} (${kind})`, async () => {
      const file = name === 'gen' ? generated
        : join(repoRoot, 'examples', { seedA: 'seed-case-a-forged-rst-after-failed-logins.pcap', seedB: 'seed-case-b-tns-redirect-blocked.pcap', web: 'web-and-dns.pcap' }[name]!);
      const got = await viewFrames(file, filter);
      assert.equal(got.kind, kind);
      const expected = tsharkFields(file, ['frame.number'], { filter }).map((r) => Number(r[0]));
      assert.ok(name !== 'gen' || expected.length > 0, `${filter}: the generated capture has matches`);
      assert.deepEqual(got.frames, expected, filter);
    });
  }
});
