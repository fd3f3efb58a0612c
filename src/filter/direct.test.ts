/**
 * The direct reading of header fields (direct.ts) against the tree, on real captures: every
 * filter of the corpus (filters.corpus.ts, whose verdicts filter.test.ts compares with `tshark
 * -Y`) and a list aimed at the direct fields must match the same frames with direct reading on
 * and off, with checksum verification on (the direct path then steps aside), and — for filters
 * whose `needs` say so — with the walk stopped at the transport layer as with a whole decode.
 * Since the default (direct) path agrees with tshark there, both ways do.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Decoder } from '../decode/decoder.js';
import { ipv4Preferences } from '../decode/ipv4.js';
import { tcpPreferences } from '../decode/tcp.js';
import { udpPreferences } from '../decode/udp.js';
import { lookupField } from '../fields/field.js';
import { openCapture } from '../file/open.js';
import { FlowEngine } from '../flows/index.js';
import { filterTestCaptures } from './_fixtures.js';
import { compileFilter, type CompiledFilter } from './compile.js';
import { decodeNeeds } from './direct.js';
import { acceptedFilters } from './filters.corpus.js';

/** Filters on the directly read fields: several layers, sets, ranges, functions, the engine's flags. */
const directFilters = [
  'ip.src == 10.20.0.133 && tcp.port == 443', 'ip.addr == 10.0.0.0/8', 'ip.addr != 10.20.0.133', 'ip.dst#2 == 10.0.0.1',
  'count(ip.addr) == 4', 'ip.ttl > 64 || ip.ttl < 2', 'ip.flags.df == 0', 'ip.flags.mf || ip.frag_offset > 0', 'ip.proto == 17',
  'ip.len < 60', 'ip.hdr_len > 20', 'ip.id == 0', 'ip.dsfield.dscp != 0', 'ip.checksum == 0', 'ip.src[0:2] == 0a:14',
  'tcp.port in {80, 443, 8000..8100}', 'tcp.srcport > tcp.dstport', 'tcp.flags.syn == 1 && tcp.flags.ack == 0', 'tcp.flags & 0x04',
  'tcp.flags.reset', 'tcp.hdr_len > 20', 'tcp.window_size_value == 0', 'tcp.urgent_pointer > 0', 'tcp.checksum == 0xffff',
  'udp.port == 53', 'udp.length < 100', 'udp.srcport == udp.dstport', 'frame.len > 1000', 'frame.cap_len < frame.len', 'frame.number <= 10',
  'tcp.stream == 3', 'tcp.stream in {0..5}', 'tcp.analysis.retransmission', 'count(tcp.analysis.retransmission) == 2',
  'tcp.analysis.fast_retransmission || tcp.analysis.spurious_retransmission', 'tcp.analysis.duplicate_ack', 'count(tcp.analysis.duplicate_ack) == 2',
  'tcp.analysis.flags && !tcp.analysis.window_update', 'tcp.analysis', 'tcp.analysis.lost_segment || tcp.analysis.ack_lost_segment',
  'tcp.analysis.zero_window || tcp.analysis.keep_alive || tcp.analysis.out_of_order', 'tcp.analysis.reused_ports',
  'tcp.analysis.ack_rtt > 0.01 && tcp.port == 443', 'tcp.time_delta > 1', 'tcp.seq == 1 && tcp.srcport < 1024', 'tcp.connection.syn',
  'tcp.analysis.bytes_in_flight > 10000', 'tcp.completeness == 31 && tcp.flags.fin == 1',
];

/** Frames each filter matches in one pass; `transportOnly` stops the walk at the transport layer. */
async function verdicts(file: string, filters: readonly CompiledFilter[], transportOnly: boolean): Promise<number[][]> {
  const frames = filters.map(() => [] as number[]);
  const decoder = new Decoder({ transportOnly });
  const flows = new FlowEngine({ packetExperts: true });
  flows.attach(decoder);
  const reader = await openCapture(file);
  try {
    await reader.forEach((r) => {
      const p = decoder.decode(r);
      flows.packet(p);
      filters.forEach((f, i) => {
        if (f.matches(p)) frames[i].push(p.number);
      });
      return true;
    });
  } finally {
    reader.close();
  }
  return frames;
}

function differences(texts: readonly string[], a: number[][], b: number[][]): string[] {
  const out: string[] = [];
  texts.forEach((t, i) => {
    if (a[i].join(' ') !== b[i].join(' ')) out.push(`[${t}] ${a[i].length} frames vs ${b[i].length}: ${a[i].filter((x) => !b[i].includes(x)).concat(b[i].filter((x) => !a[i].includes(x))).slice(0, 8).join(' ')}`);
  });
  return out;
}

describe('direct header reads: the same frames as the tree', () => {
  let dir = '';
  const captures: Array<{ label: string; file: string }> = [];
  const texts = [...acceptedFilters, ...directFilters];
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'wiresage-direct-test-'));
    captures.push(...filterTestCaptures(dir, 3000));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('needs: header fields and the engine flags need no application dissector', () => {
    const needs = (t: string) => compileFilter(t).needs;
    assert.deepEqual(needs('ip.src == 10.0.0.1 && tcp.port == 443'), { applications: false, flows: false });
    assert.deepEqual(needs('tcp.analysis.retransmission'), { applications: false, flows: true });
    assert.deepEqual(needs('tcp.stream == 2 || frame.len > 100'), { applications: false, flows: true });
    assert.deepEqual(needs('tls.handshake.type == 1'), { applications: true, flows: true });
    assert.deepEqual(needs('frame.protocols contains "dns"'), { applications: true, flows: true });
    assert.deepEqual(needs('_ws.malformed'), { applications: true, flows: true });
    assert.deepEqual(needs('tcp.options.mss_val > 1400'), { applications: true, flows: true });
    assert.deepEqual(decodeNeeds([lookupField('frame.number')!]), { applications: false, flows: false });
  });

  for (const index of [0, 1, 2, 3, 4]) {
    it(`capture ${index + 1}: direct on and off, transport-only and whole decode`, { timeout: 600_000 }, async (t) => {
      const cap = captures[index];
      if (!cap) return t.skip('tcpdump corpus not found');
      const compiled = (direct: boolean) => texts.map((x) => compileFilter(x, { direct }));
      const direct = await verdicts(cap.file, compiled(true), false);
      const tree = await verdicts(cap.file, compiled(false), false);
      assert.deepEqual(differences(texts, direct, tree), [], `${cap.label}: direct reads differ from the tree`);
      // Something matched: the comparison is not between two empty lists.
      assert.ok(direct.filter((f) => f.length).length > texts.length / 10, `${cap.label}: too few filters match anything`);

      // Checksum verification puts items (and expert items) in the trees: the direct path steps aside.
      ipv4Preferences.verifyChecksum = tcpPreferences.verifyChecksum = udpPreferences.verifyChecksum = true;
      try {
        const checked = directFilters.concat(['_ws.expert', 'ip.checksum.status == 0 || tcp.checksum.status == 0']);
        const a = await verdicts(cap.file, checked.map((x) => compileFilter(x)), false);
        const b = await verdicts(cap.file, checked.map((x) => compileFilter(x, { direct: false })), false);
        assert.deepEqual(differences(checked, a, b), [], `${cap.label}: with checksum verification`);
      } finally {
        ipv4Preferences.verifyChecksum = tcpPreferences.verifyChecksum = udpPreferences.verifyChecksum = false;
      }

      // Filters that need no application dissector see the same with the walk stopped at transport.
      const lower = texts.filter((x) => !compileFilter(x).needs.applications);
      assert.ok(lower.length > 60, `only ${lower.length} filters read header fields only`);
      const whole = await verdicts(cap.file, lower.map((x) => compileFilter(x)), false);
      const transport = await verdicts(cap.file, lower.map((x) => compileFilter(x)), true);
      assert.deepEqual(differences(lower, whole, transport), [], `${cap.label}: transport-only walk`);
    });
  }
});
