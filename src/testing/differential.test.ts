/**
 * The differential suite: `wiresage read -T fields` against `tshark -T fields` (4.0, the oracle),
 * packet by packet and field by field, on
 *
 * - every readable file of the tcpdump corpus (../shared/corpus/tcpdump, 830 public captures,
 *   many deliberately malformed), compared in a few merged batches (see differential.ts);
 * - hand-built edge-case frames, whole and cut at every length (snaplen) or shortened on the
 *   wire (lying lengths);
 * - captures of the shared generator (../shared/bench/gen-pcap.mjs) with several seeds and
 *   `--stress` levels;
 * - captures the suite makes itself: real TCP/UDP traffic on loopback (tcpdump -i lo), and
 *   between two network namespaces joined by a veth pair (ARP, IPv4, IPv6, GSO super-packets).
 *
 * Each input is compared with tshark's default preferences and again with IPv4/TCP/UDP checksum
 * verification on (both tools get the same `-o *.check_checksum:TRUE`; the corpus and captures
 * always, the generator's last file, the hand-built whole and cut sets).
 * Agreement must be exact on packets tshark does not mark malformed, except for the documented
 * accepted differences and restrictions of tshark-differences.ts, which the report counts.
 * Each input has two tests: the fields of this suite's dissectors (frame, Ethernet, VLAN, IPv4,
 * TCP, UDP) and those of the IPv6/ICMP/ARP dissectors (reported apart, same rule).
 *
 * Environment: WIRESAGE_DIFF_SKIP=corpus,live,netns,generated,synthetic skips parts;
 * WIRESAGE_DIFF_EXAMPLES=N shows N examples per mismatching field (default 8);
 * WIRESAGE_DIFF_KEEP=1 keeps the generated and captured inputs (the temporary folder is printed).
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { createServer, connect, type Socket } from 'node:net';
import { createSocket } from 'node:dgram';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import {
  addRun, compareCapture, coreGroups, cutAtEveryLength, formatReport, newTally, otherGroups, planCorpus, pool,
  shortenAtEveryLength, templates, wiresageFieldNames, wiresageProtocols, writePcap,
  type CaptureInput, type CaptureRun, type CorpusPlan, type FieldGroup, type Tally,
} from './differential.js';
import { acceptedDifferences, tsharkPreferences } from './tshark-differences.js';
import { benchGenerator, corpusDir, noTshark } from './tshark.js';

const skip = new Set((process.env.WIRESAGE_DIFF_SKIP ?? '').split(',').filter(Boolean));
const examples = Number(process.env.WIRESAGE_DIFF_EXAMPLES ?? 8);
const work = mkdtempSync(join(tmpdir(), 'wiresage-diff-'));

let known: Set<string>;
let dissected: Set<string>;

/** Totals over every input, printed at the end. */
const overall = { core: newTally(), other: newTally() };

function report(t: TestContext, runs: readonly CaptureRun[], groups: readonly FieldGroup[], title: string): Tally {
  const tally = newTally();
  for (const r of runs) {
    addRun(tally, r, dissected, groups);
    addRun(groups === coreGroups ? overall.core : overall.other, r, dissected, groups);
  }
  const text = formatReport(tally, title, examples);
  for (const line of text.split('\n')) t.diagnostic(line);
  return tally;
}

function assertAgreement(tally: Tally, title: string): void {
  assert.deepEqual(tally.errors, [], `${title}: a tool failed`);
  assert.ok(tally.packetComparisons > 0, `${title}: no packet was compared`);
  const first = tally.mismatches.slice(0, 20).map((m) => `${m.file}${m.part ? `: ${m.part}` : ''}${m.pass ? ` (${m.pass})` : ''} frame ${m.frame} ${m.field}: ours ${JSON.stringify(m.ours)} vs tshark ${JSON.stringify(m.tshark)}`);
  assert.equal(tally.mismatches.length, 0, `${title}: ${tally.mismatches.length} field values differ from tshark (see the report above), e.g.\n${first.join('\n')}`);
}

/**
 * The checksum preferences of the second pass: with them tshark and wiresage verify IPv4, TCP
 * and UDP checksums, so the *.checksum.status fields say good/bad instead of "unverified".
 */
const verifyChecksums = ['ip.check_checksum:TRUE', 'tcp.check_checksum:TRUE', 'udp.check_checksum:TRUE'];

/** An input compared twice: with tshark's default preferences, then verifying checksums. */
function bothPasses(inputs: readonly CaptureInput[], verifyToo: (i: CaptureInput) => boolean = () => true): Array<() => Promise<CaptureRun>> {
  return [
    ...inputs.map((i) => () => compareCapture(i, known)),
    ...inputs.filter(verifyToo).map((i) => () => compareCapture({ ...i, pass: 'checksums verified', prefs: verifyChecksums }, known)),
  ];
}

/** The two tests every input gets: this suite's dissectors, then the IPv6/ICMP/ARP ones. */
function agreementTests(title: string, runs: () => readonly CaptureRun[]): void {
  it(`${title}: frame, Ethernet, VLAN, IPv4, TCP and UDP fields agree with tshark`, (t) => {
    assertAgreement(report(t, runs(), coreGroups, `${title} (frame/eth/vlan/ip/tcp/udp)`), title);
  });
  it(`${title}: IPv6, ICMP, ICMPv6 and ARP fields agree with tshark`, (t) => {
    const tally = report(t, runs(), otherGroups, `${title} (ipv6/icmp/icmpv6/arp)`);
    const missing = [...tally.unknownFields];
    assert.deepEqual(missing, [], `${title}: wiresage has no field ${missing.join(', ')}`);
    assertAgreement(tally, title);
  });
}

describe('differential: wiresage read -T fields vs tshark -T fields', { skip: noTshark }, () => {
  before(async () => {
    [known, dissected] = await Promise.all([wiresageFieldNames(), wiresageProtocols()]);
  });

  after(() => (process.env.WIRESAGE_DIFF_KEEP ? process.stdout.write(`# inputs kept in ${work}\n`) : rmSync(work, { recursive: true, force: true })));

  describe('tcpdump corpus (every readable file)', { skip: skip.has('corpus') || (!existsSync(corpusDir) && `no corpus at ${corpusDir}`) }, () => {
    let plan: CorpusPlan;
    let runs: CaptureRun[] = [];
    before(async () => {
      const names = readdirSync(corpusDir).filter((n) => /\.(pcap|pcapng|cap)(\.gz)?$/i.test(n) && statSync(join(corpusDir, n)).isFile()).sort();
      const dir = mkdtempSync(join(work, 'corpus-'));
      plan = await planCorpus(corpusDir, names, dir, 4);
      runs = await pool(2, bothPasses([...plan.batches.map((b) => b.input), ...plan.direct.map((d) => d.input)]));
    });
    it('reads the corpus (files tshark cannot read at all are listed)', (t) => {
      const files = plan.batches.reduce((n, b) => n + b.files.length, 0) + plan.direct.length;
      t.diagnostic(`corpus: ${files} readable files, ${files - plan.direct.length} in ${plan.batches.length} merged batches, ${plan.direct.length} compared on their own:`);
      for (const d of plan.direct) t.diagnostic(`  ${d.name}: ${d.reason}`);
      t.diagnostic(`${plan.unreadable.length} files tshark's editcap cannot read at all:`);
      for (const u of plan.unreadable) t.diagnostic(`  ${u.name}: ${u.reason}`);
      for (const p of plan.partial) t.diagnostic(`  partly readable: ${p.name} (${p.packets} packets): ${p.reason}`);
      assert.ok(files >= 800, `only ${files} corpus files were readable`);
    });
    agreementTests('corpus', () => runs);
  });

  describe('hand-built edge cases, whole, cut at every length and shortened', { skip: skip.has('synthetic') }, () => {
    let runs: CaptureRun[] = [];
    before(async () => {
      const all = templates();
      const cut = all.filter((x) => !x.whole);
      const inputs: CaptureInput[] = [];
      const add = (name: string, names: string[], counts: number[], records: Parameters<typeof writePcap>[2]) => {
        const file = join(work, `${name}.pcap`);
        writePcap(file, 1, records);
        const starts: number[] = [];
        let n = 1;
        for (const c of counts) {
          starts.push(n);
          n += c;
        }
        const origin = (frame: number) => {
          let i = 0;
          while (i + 1 < starts.length && starts[i + 1] <= frame) i++;
          return { file: `${name}.pcap`, part: names[i], frame: frame - starts[i] + 1 };
        };
        inputs.push({ file, label: name, origin });
      };
      add('whole', all.map((x) => x.name), all.map(() => 1), all.map((x) => ({ data: Uint8Array.from(x.frame), origLen: x.frame.length })));
      add('cut', cut.map((x) => x.name), cut.map((x) => x.frame.length), cutAtEveryLength(cut.map((x) => x.frame)));
      add('shortened', cut.map((x) => x.name), cut.map((x) => x.frame.length - 1), shortenAtEveryLength(cut.map((x) => x.frame)));
      runs = await pool(2, bothPasses(inputs, (i) => i.label !== 'shortened'));
    });
    agreementTests('edge cases', () => runs);
  });

  describe('generated captures (gen-pcap.mjs: seeds and --stress levels)', { skip: skip.has('generated') || (!existsSync(benchGenerator) && `no generator at ${benchGenerator}`) }, () => {
    let runs: CaptureRun[] = [];
    before(async () => {
      const cases = [
        { seed: 1, stress: 1 }, { seed: 2, stress: 1 }, { seed: 3, stress: 4 }, { seed: 'differential', stress: 10 },
      ];
      const inputs = await pool(2, cases.map((c) => async (): Promise<CaptureInput> => {
        const file = join(work, `gen-${c.seed}-${c.stress}.pcap`);
        const g = await runGenerator(file, c.seed, c.stress);
        assert.equal(g, 0, `gen-pcap.mjs exited ${g}`);
        return { file, label: `gen-pcap seed ${c.seed} stress ${c.stress}` };
      }));
      runs = await pool(2, bothPasses(inputs, (i) => i === inputs[inputs.length - 1]));
    });
    agreementTests('generated', () => runs);
  });

  describe('live capture on loopback (real TCP/UDP traffic, IPv4 and IPv6)', { skip: skip.has('live') || cannotCapture() }, () => {
    let runs: CaptureRun[] = [];
    before(async () => {
      const file = join(work, 'loopback.pcap');
      await withCapture(['-i', 'lo'], file, loopbackTraffic);
      runs = await pool(2, bothPasses([{ file, label: 'loopback capture' }]));
    });
    agreementTests('loopback', () => runs);
  });

  describe('live capture between network namespaces (veth: ARP, IPv4, IPv6, TSO/GSO super-packets)', { skip: skip.has('netns') || cannotCapture() || cannotNetns() }, () => {
    let runs: CaptureRun[] = [];
    before(async () => {
      const file = join(work, 'netns.pcap');
      await withNamespaces(async (a, b) => {
        await withCapture(['-i', 'veth-a'], file, () => namespaceTraffic(a, b), a);
      });
      runs = await pool(2, bothPasses([{ file, label: 'namespace capture' }]));
    });
    agreementTests('namespaces', () => runs);
  });

  // Last, once every input above was compared (tests run in order).
  it('summary over all inputs', (t) => {
    t.diagnostic('== differential summary (all inputs)');
    t.diagnostic(`tshark preferences: ${tsharkPreferences.map((p) => p.pref).join(', ') || 'defaults'}; accepted differences defined: ${acceptedDifferences.map((d) => d.id).join(', ')}`);
    for (const [name, tally] of [['frame/eth/vlan/ip/tcp/udp', overall.core], ['ipv6/icmp/icmpv6/arp', overall.other]] as const) {
      const accepted = [...tally.accepted.values()].reduce((a, b) => a + b, 0);
      const fields = [...tally.perField.values()].filter((f) => f.present > 0).length;
      t.diagnostic(`${name}: files compared ${tally.files.size}, captures read ${tally.captures}, packets compared ${tally.packets} (${tally.malformedPackets} malformed; ${tally.packetComparisons} packet comparisons with the checksum pass), distinct fields compared ${fields}, field comparisons ${tally.fieldComparisons}, mismatches = ${tally.mismatches.length}, accepted ${accepted}, restricted values ${tally.restrictedValues}`);
    }
  });
});

// ------------------------------------------------------------------------------------------
// Inputs the suite makes itself
// ------------------------------------------------------------------------------------------

function runGenerator(out: string, seed: string | number, stress: number): Promise<number | null> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [benchGenerator, '--packets', '3000', '--out', out, '--seed', String(seed), '--stress', String(stress)], { stdio: 'ignore' });
    child.on('close', resolve);
  });
}

function cannotCapture(): string | false {
  if (spawnSync('tcpdump', ['--version'], { stdio: 'ignore' }).status !== 0) return 'tcpdump is not installed';
  if (process.getuid?.() !== 0) return 'capturing needs root';
  return false;
}

function cannotNetns(): string | false {
  return spawnSync('ip', ['netns', 'list'], { stdio: 'ignore' }).status === 0 ? false : 'ip netns is not available';
}

/**
 * Runs tcpdump (in namespace `ns` if given) writing `file` while `traffic` runs: started with
 * -U --immediate-mode, traffic begins only once tcpdump says it is listening, and tcpdump is
 * stopped (SIGINT) after a short drain. Everything is bounded by timeouts.
 */
async function withCapture(args: string[], file: string, traffic: () => Promise<void>, ns?: string): Promise<void> {
  const cmd = ns ? 'ip' : 'tcpdump';
  const full = [...(ns ? ['netns', 'exec', ns, 'tcpdump'] : []), ...args, '-n', '-U', '--immediate-mode', '-s', '262144', '-w', file];
  const child = spawn(cmd, full, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`tcpdump did not start listening within 10 s: ${stderr}`)), 10_000);
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (/listening on/.test(stderr)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      reject(new Error(`tcpdump exited ${code} before listening: ${stderr}`));
    });
  });
  try {
    await traffic();
    await sleep(300);
  } finally {
    child.kill('SIGINT');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A TCP echo exchange (several writes, a large one, half-close) with `host`, then a refused connect. */
async function tcpExchange(host: string): Promise<void> {
  const server = createServer((sock) => {
    sock.on('data', (d) => sock.write(d));
    sock.on('end', () => sock.end());
    sock.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const port = (server.address() as { port: number }).port;
  try {
    await new Promise<void>((resolve, reject) => {
      const c: Socket = connect(port, host);
      const timer = setTimeout(() => reject(new Error('TCP exchange timed out')), 10_000);
      let got = 0;
      const total = 3 * 5 + 200_000;
      c.on('connect', () => {
        for (const m of ['hello', 'world', 'again']) c.write(m);
        c.write(Buffer.alloc(200_000, 0x61));
      });
      c.on('data', (d) => {
        got += d.length;
        if (got >= total) c.end();
      });
      c.on('close', () => {
        clearTimeout(timer);
        resolve();
      });
      c.on('error', reject);
    });
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
  // A refused connection: SYN answered by RST.
  await new Promise<void>((resolve) => {
    const c = connect(port, host);
    c.on('error', () => resolve());
    c.on('connect', () => {
      c.destroy();
      resolve();
    });
  });
}

/** UDP datagrams to a listening socket (one empty), and one to a closed port (ICMP unreachable). */
async function udpExchange(host: string, family: 'udp4' | 'udp6'): Promise<void> {
  const rx = createSocket(family);
  await new Promise<void>((resolve) => rx.bind(0, host, resolve));
  const port = rx.address().port;
  const tx = createSocket(family);
  let got = 0;
  const all = new Promise<void>((resolve) => rx.on('message', () => ++got === 4 && resolve()));
  for (const m of ['one', 'two', '', 'x'.repeat(3000)]) tx.send(Buffer.from(m), port, host);
  await Promise.race([all, sleep(3000)]);
  rx.close();
  tx.send(Buffer.from('nobody listens'), port, host);
  await sleep(100);
  tx.close();
}

async function loopbackTraffic(): Promise<void> {
  await tcpExchange('127.0.0.1');
  await udpExchange('127.0.0.1', 'udp4');
  if (spawnSync('ip', ['-6', 'addr', 'show', 'dev', 'lo'], { encoding: 'utf8' }).stdout.includes('::1')) {
    await tcpExchange('::1');
    await udpExchange('::1', 'udp6');
  }
}

function ip(args: string[]): void {
  const r = spawnSync('ip', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ip ${args.join(' ')}: ${r.stderr.trim()}`);
}

/**
 * Two namespaces joined by a veth pair (real MAC addresses, ARP, IPv4 and IPv6), with TSO/GSO on
 * so the capture on the sending side holds super-packets larger than the MTU; deleted afterwards.
 * (802.1Q/802.1ad sub-interfaces would be better still, but this kernel has no vlan link type:
 * tagged frames come from the corpus, the generator and the hand-built cases.)
 */
async function withNamespaces(body: (a: string, b: string) => Promise<void>): Promise<void> {
  const a = `wsdiff-a-${process.pid}`;
  const b = `wsdiff-b-${process.pid}`;
  try {
    ip(['netns', 'add', a]);
    ip(['netns', 'add', b]);
    ip(['link', 'add', 'veth-a', 'netns', a, 'type', 'veth', 'peer', 'name', 'veth-b', 'netns', b]);
    for (const [ns, dev, n] of [[a, 'veth-a', 1], [b, 'veth-b', 2]] as const) {
      const x = (args: string[]) => ip(['-n', ns, ...args]);
      x(['link', 'set', 'lo', 'up']);
      x(['link', 'set', dev, 'up']);
      x(['addr', 'add', `10.251.1.${n}/24`, 'dev', dev]);
      x(['addr', 'add', `fd00:251::${n}/64`, 'dev', dev, 'nodad']);
      spawnSync('ip', ['netns', 'exec', ns, 'ethtool', '-K', dev, 'tso', 'on', 'gso', 'on'], { stdio: 'ignore' });
    }
    await body(a, b);
  } finally {
    for (const ns of [a, b]) {
      const pids = spawnSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean);
      for (const pid of pids) {
        try {
          process.kill(Number(pid), 'SIGKILL');
        } catch {
          // already gone
        }
      }
      spawnSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
    }
  }
}

/** A script run with `ip netns exec NS node -e`: TCP and UDP servers on every address of B. */
const serverScript = `
const net = require('node:net'), dgram = require('node:dgram');
const s = net.createServer((c) => { c.on('data', (d) => c.write(d)); c.on('end', () => c.end()); c.on('error', () => {}); });
s.listen(40100, '::', () => process.stdout.write('ready\\n'));
const u = dgram.createSocket({ type: 'udp6' }); u.bind(40101, '::');
u.on('message', (m, r) => u.send(m, r.port, r.address));
setTimeout(() => process.exit(0), 20000);
`;

/** The client side in A: per destination a TCP echo (small and large writes) and UDP datagrams. */
const clientScript = `
const net = require('node:net'), dgram = require('node:dgram');
const hosts = process.argv.slice(1);
async function tcp(h) {
  await new Promise((resolve) => {
    const c = net.connect(40100, h); let got = 0; const total = 10 + 100000;
    const t = setTimeout(() => { c.destroy(); resolve(); }, 5000);
    c.on('connect', () => { c.write('hello'); c.write('world'); c.write(Buffer.alloc(100000, 98)); });
    c.on('data', (d) => { got += d.length; if (got >= total) c.end(); });
    c.on('close', () => { clearTimeout(t); resolve(); }); c.on('error', () => { clearTimeout(t); resolve(); });
  });
}
async function udp(h) {
  const u = dgram.createSocket(h.includes(':') ? 'udp6' : 'udp4');
  for (const m of ['ping', '', 'y'.repeat(1400)]) u.send(Buffer.from(m), 40101, h);
  u.send(Buffer.from('closed'), 40199, h);
  await new Promise((r) => setTimeout(r, 300)); u.close();
}
(async () => { for (const h of hosts) { await tcp(h); await udp(h); } })();
`;

async function namespaceTraffic(a: string, b: string): Promise<void> {
  const server = spawn('ip', ['netns', 'exec', b, process.execPath, '-e', serverScript], { stdio: ['ignore', 'pipe', 'ignore'] });
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('namespace server did not start')), 10_000);
      server.stdout.on('data', () => {
        clearTimeout(timer);
        resolve();
      });
    });
    const hosts = ['10.251.1.2', 'fd00:251::2'];
    const client = spawn('ip', ['netns', 'exec', a, process.execPath, '-e', clientScript, ...hosts], { stdio: 'ignore' });
    const timer = setTimeout(() => client.kill('SIGKILL'), 30_000);
    await new Promise((resolve) => client.on('close', resolve));
    clearTimeout(timer);
  } finally {
    server.kill('SIGKILL');
  }
}
