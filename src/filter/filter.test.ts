/**
 * Display filters against tshark 4.0: every filter of filters.corpus.ts on several captures —
 * the sample capture, a crafted one (_fixtures.ts), generated ones (normal and with `--stress`)
 * and a merge of tcpdump corpus files — must match exactly the frames `tshark -Y` matches, and
 * every filter tshark rejects must be rejected. See _differential.ts for how tshark is asked
 * (one tap pass, `-Y` where taps differ) and how differences caused by dissection (not by the
 * filter) are told apart and reported.
 *
 * Environment: WIRESAGE_FILTER_REPORT=1 prints each attributed difference.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { lookupField, type FieldDef } from '../fields/field.js';
import { noTshark, repoRoot, wiresage } from '../testing/tshark.js';
import {
  dissectionDifference, needsDashY, tsharkByTaps, tsharkByYAll, tsharkFieldTable, tsharkKnownFields, wiresageFieldTable, wiresageVerdicts,
  type TsharkVerdict,
} from './_differential.js';
import { filterTestCaptures } from './_fixtures.js';
import { compileFilter } from './compile.js';
import { acceptedFilters, rejectedFilters } from './filters.corpus.js';

interface Capture {
  label: string;
  file: string;
}

describe('display filters: the same frames as tshark -Y', { skip: noTshark }, () => {
  let dir = '';
  const captures: Capture[] = [];
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'wiresage-filter-test-'));
    captures.push(...filterTestCaptures(dir));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const filters = acceptedFilters;
  const totals = { comparisons: 0, frames: 0, attributed: 0, byField: new Map<string, number>() };

  for (const index of [0, 1, 2, 3, 4]) {
    it(`capture ${index + 1}: ${filters.length} filters`, { timeout: 900_000 }, async (t) => {
      const cap = captures[index];
      if (!cap) return t.skip('tcpdump corpus not found');
      const taps = await tsharkByTaps(cap.file, filters);
      const yIndexes = filters.map((f, i) => (needsDashY(f) ? i : -1)).filter((i) => i >= 0);
      // Keep the oracle honest: every 12th filter is asked of -Y as well and must agree with the taps.
      const sample = filters.map((_, i) => i).filter((i) => i % 12 === 5 && !yIndexes.includes(i));
      const yVerdicts = await tsharkByYAll(cap.file, [...yIndexes, ...sample].map((i) => filters[i]));
      const tshark: TsharkVerdict[] = [...taps];
      yIndexes.forEach((fi, k) => (tshark[fi] = yVerdicts[k]));
      sample.forEach((fi, k) => {
        const y = yVerdicts[yIndexes.length + k];
        assert.deepEqual(summary(taps[fi]), summary(y), `tap oracle differs from -Y for ${filters[fi]} on ${cap.label}`);
      });
      const ours = await wiresageVerdicts(cap.file, filters);

      // Field tables of both tools for everything the filters name (to attribute differences).
      const known = await tsharkKnownFields();
      const named = new Map<string, FieldDef>();
      for (const o of filters) {
        try {
          for (const f of compileFilter(o).fields) named.set(f.name, f);
        } catch {
          // rejected: compared below
        }
      }
      const fieldList = [...named.values()].filter((f) => known.has(f.name) && f.type !== 'protocol');
      const protocolFields = [...named.values()].filter((f) => f.type === 'protocol' && known.has(f.name));
      const tsharkTable = await tsharkFieldTable(cap.file, [...fieldList, ...protocolFields].map((f) => f.name));
      const ourTable = await wiresageFieldTable(cap.file, [...fieldList, ...protocolFields]);

      const failures: string[] = [];
      let attributed = 0;
      filters.forEach((f, i) => {
        const t0 = tshark[i];
        const o = ours[i];
        if (!t0.ok || !o.ok) {
          if (t0.ok !== o.ok) failures.push(`[${f}] tshark ${t0.ok ? 'accepts' : `rejects (${t0.message})`}, wiresage ${o.ok ? 'accepts' : `rejects (${o.error.message})`}`);
          return;
        }
        totals.comparisons++;
        const a = new Set(t0.frames);
        const b = new Set(o.frames);
        const differing = [...t0.frames.filter((x) => !b.has(x)), ...o.frames.filter((x) => !a.has(x))].sort((x, y) => x - y);
        if (!differing.length) return;
        const compiled = compileFilter(f);
        const unexplained: number[] = [];
        for (const frame of differing) {
          const why = dissectionDifference(compiled, frame, tsharkTable, ourTable, known);
          if (why === undefined) unexplained.push(frame);
          else {
            attributed++;
            totals.byField.set(why, (totals.byField.get(why) ?? 0) + 1);
            if (process.env.WIRESAGE_FILTER_REPORT) t.diagnostic(`${cap.label}: [${f}] frame ${frame}: dissection differs (${why})`);
          }
        }
        if (unexplained.length) {
          failures.push(`[${f}] differs on frames ${unexplained.slice(0, 12).join(' ')}${unexplained.length > 12 ? ' …' : ''} (tshark ${t0.frames.length}, wiresage ${o.frames.length}) with identical field values`);
        }
      });
      totals.frames += tsharkTable.rows.size;
      totals.attributed += attributed;
      t.diagnostic(`${cap.label}: ${filters.length} filters × ${tsharkTable.rows.size} frames, ${yIndexes.length + sample.length} asked of tshark -Y; ` +
        `${failures.length} failing; ${attributed} frame verdicts differ where the dissectors differ`);
      assert.deepEqual(failures, [], `${cap.label}:\n${failures.join('\n')}`);
    });
  }

  it('every filter tshark rejects is rejected, with a message', { timeout: 300_000 }, async () => {
    const cap = join(repoRoot, 'examples/web-and-dns.pcap');
    const taps = await tsharkByTaps(cap, rejectedFilters);
    const problems: string[] = [];
    rejectedFilters.forEach((f, i) => {
      if (taps[i].ok) problems.push(`[${f}] tshark accepts it: move it to acceptedFilters`);
      try {
        compileFilter(f);
        problems.push(`[${f}] accepted by wiresage, rejected by tshark: ${(taps[i] as { message: string }).message}`);
      } catch (e) {
        assert.ok((e as Error).message.length > 5, `message for ${f}`);
      }
    });
    // The tap's verdict equals -Y's: check a few directly.
    const direct = await tsharkByYAll(cap, rejectedFilters.filter((_, i) => i % 10 === 0));
    for (const d of direct) assert.equal(d.ok, false);
    assert.deepEqual(problems, []);
  });

  it('report', () => {
    const top = [...totals.byField.entries()].sort((a, b) => b[1] - a[1]).slice(0, 12).map(([k, v]) => `${k} ${v}`);
    process.stdout.write(`# display filters: ${totals.comparisons} filter×capture comparisons, ${totals.frames} frames; ` +
      `${totals.attributed} frame verdicts differ only where the dissection differs (${top.join(', ') || 'none'})\n`);
  });
});

function summary(v: TsharkVerdict): string {
  return v.ok ? `ok ${v.frames.join(' ')}` : 'rejected';
}

describe('wiresage read -Y and wiresage filter', () => {
  const sample = join(repoRoot, 'examples/web-and-dns.pcap');

  it('read -Y prints only the matching packets; -c counts packets read', () => {
    const all = wiresage(['read', '-Y', 'tcp.port == 443 && tcp.flags.syn == 1', '-T', 'fields', '-e', 'frame.number', sample]);
    assert.deepEqual(all.stdout.trim().split('\n'), ['5', '6', '12', '15']);
    const first = wiresage(['read', '-c', '5', '-Y', 'tcp.port == 443', '-T', 'fields', '-e', 'frame.number', sample]);
    assert.deepEqual(first.stdout.trim().split('\n'), ['5']);
    const count = wiresage(['read', '--count', '-Y', 'udp', sample]);
    assert.match(count.stdout, /^\d+ packets$/m);
  });

  it('an invalid -Y exits 2 with position and suggestions', () => {
    const r = wiresage(['read', '-Y', 'tcp.flag.syn == 1', sample], { allowFail: true });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /tcp\.flag\.syn/);
    assert.match(r.stderr, /Did you mean tcp\.flags\.syn/);
    assert.match(r.stderr, /\n {4}\^~{11}/);
  });

  it('filter --check prints the canonical form, exits 2 on errors; --json for the UI', () => {
    assert.equal(wiresage(['filter', '--check', 'ip.addr eq 10.0.0.1 and tcp.port in {80 ,443}']).stdout, 'ip.addr == 10.0.0.1 && tcp.port in {80, 443}\n');
    assert.equal(wiresage(['filter', '--check', 'not (tcp or udp) and !ip'] ).stdout, '!(tcp || udp) && !ip\n');
    const bad = wiresage(['filter', '--check', 'tcp.port == '], { allowFail: true });
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /Unexpected end of filter expression/);
    const json = JSON.parse(wiresage(['filter', '--json', 'tcp.flag.syn']).stdout) as { valid: boolean; error: { position: number; suggestions: string[] } };
    assert.equal(json.valid, false);
    assert.equal(json.error.position, 0);
    assert.ok(json.error.suggestions.includes('tcp.flags.syn'));
    const ok = JSON.parse(wiresage(['filter', '--json', 'tcp.analysis.retransmission || ip.src == 10.0.0.0/8']).stdout) as { valid: boolean; fields: string[] };
    assert.equal(ok.valid, true);
    assert.deepEqual(ok.fields, ['tcp.analysis.retransmission', 'ip.src']);
    assert.ok(lookupField('tcp.analysis.retransmission'));
  });
});
