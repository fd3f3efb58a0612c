/**
 * `wiresage doctor -Y FILTER` on the seed case (three failed Oracle logins, then resets forged
 * by a device in the path): the filter picks the connections diagnosed, while the evidence
 * (stream numbers, TTL references, analysis) still comes from every packet.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
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

/**
 * `doctor A B` reads the two captures in worker threads (src/diagnosis/parallel.ts); the
 * report must be the one reading them one after the other gives (WIRESAGE_WORKERS=0), byte for
 * byte, in every format and language, with and without -Y, and failures must exit alike.
 * Pairs: two generated captures of unrelated traffic (thousands of path.drop findings), a
 * capture and the same traffic with packets removed by tcpdump (matched packets, a clock
 * offset, path.drop for what is missing), and a capture with itself. The JSON, written piece by
 * piece, must be JSON.stringify(doc, null, 2) to the byte.
 */
test('doctor on several captures: worker threads give the same report as one thread', { timeout: 180_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'wiresage-doctor-par-'));
  try {
    const gen = join(repoRoot, '..', 'shared', 'bench', 'gen-pcap.mjs');
    const g1 = join(dir, 'g1.pcap');
    const g2 = join(dir, 'g2.pcap');
    for (const [out, seed] of [[g1, '1'], [g2, '2']]) {
      const r = spawnSync(process.execPath, [gen, '--packets', '30000', '--out', out, '--seed', seed]);
      assert.equal(r.status, 0, String(r.stderr));
    }
    const web = join(repoRoot, 'examples/web-and-dns.pcap');
    const thinned = join(dir, 'thinned.pcap');
    // The other point missed the DNS answers and every third TCP segment of one direction.
    const td = spawnSync('tcpdump', ['-r', web, '-w', thinned, 'not (udp src port 53) and not (tcp src port 80 and ip[5] & 3 == 1)'], { encoding: 'utf8' });
    if (td.status !== 0) {
      // tcpdump missing: a copy keeps the test meaningful (every packet matched).
      copyFileSync(web, thinned);
    }
    const variants = [['--json'], [], ['--color'], ['--format', 'md'], ['--lang', 'zh'], ['--json', '--lang', 'zh'], ['--format', 'md', '-Y', 'tcp']];
    const cases: Array<[string[], string[][]]> = [
      [[g1, g2], variants],
      ...[[web, thinned], [thinned, web], [seed, web], [web, web], [g1, g2, seed]].map((files): [string[], string[][]] => [files, [['--json'], [], ['--format', 'md', '--lang', 'zh', '-Y', 'tcp']]]),
    ];
    for (const [files, vs] of cases) {
      for (const v of vs) {
        const one = run(['doctor', ...files, ...v], '0');
        const par = run(['doctor', ...files, ...v], '2');
        assert.equal(par.status, one.status, `${files} ${v}: ${par.stderr}${one.stderr}`);
        assert.equal(par.stderr, one.stderr, `${files} ${v}`);
        assert.ok(par.stdout === one.stdout, `doctor ${files.join(' ')} ${v.join(' ')}: the reports differ`);
        // --json is written finding by finding (report.ts writeJson): the text JSON.stringify(doc, null, 2) gives.
        if (v.includes('--json')) assert.ok(one.stdout === `${JSON.stringify(JSON.parse(one.stdout), null, 2)}\n`, `doctor ${files.join(' ')} ${v.join(' ')}: not JSON.stringify's layout`);
        if (files[0] === g1 && v[0] === '--json' && v.length === 1) {
          // The comparison really ran: captures of different traffic give path.drop both ways.
          const drops = (JSON.parse(one.stdout) as Doc).findings.filter((f) => f.id === 'path.drop').length;
          assert.ok(drops >= 2, `${drops} path.drop finding(s)`);
        }
      }
    }
    // A missing or damaged second file: same message, same exit code.
    const bad = join(dir, 'bad.pcap');
    writeFileSync(bad, Buffer.from('d4c3b2a1020004000000000000000000ffff000001000000', 'hex'));
    for (const files of [[web, join(dir, 'missing.pcap')], [web, bad], [join(dir, 'missing.pcap'), bad]]) {
      const one = run(['doctor', ...files], '0');
      const par = run(['doctor', ...files], '2');
      assert.equal(one.status, 1, one.stderr);
      assert.deepEqual([par.status, par.stdout, par.stderr], [one.status, one.stdout, one.stderr]);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

function run(args: string[], workers: string): { stdout: string; stderr: string; status: number | null } {
  const r = spawnSync(process.execPath, [join(repoRoot, 'dist/cli/main.js'), ...args], { encoding: 'utf8', maxBuffer: 1 << 30, env: { ...process.env, TZ: 'UTC', WIRESAGE_WORKERS: workers } });
  return { stdout: r.stdout, stderr: r.stderr, status: r.status };
}
