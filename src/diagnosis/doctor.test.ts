/**
 * `wiresage doctor` on real failures: each test builds client ↔ router ↔ server namespaces
 * (src/diagnosis/_lab.ts), makes the failure with real software and real firewall rules in the
 * router (nftables: forged reset, silent drop, rate-limit meter), captures on the client with
 * tcpdump, and checks which finding comes first — and that a healthy run gives none.
 * The two seed cases (translation-en.md) are reproduced end to end with the real oracledb thin
 * client; `WIRESAGE_UPDATE_EXAMPLES=1` saves those captures as the bundled examples.
 */
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { repoRoot } from '../testing/tshark.js';
import { RoutedLab, noRoutedLab } from './_lab.js';
import { collectFacts } from './facts.js';
import type { Finding } from './finding.js';
import { renderText, toJson } from './report.js';
import { descriptorAddresses, diagnose, diagnoseAcross } from './rules.js';
import { diagnoseAll } from './story.js';

/** A TCP server printing `listening`: answers each line with `ok`. */
const SERVER = `
const net = require('net');
const [host, ...ports] = process.argv.slice(1);
let n = 0;
for (const p of ports) net.createServer((s) => { s.on('error', () => {}); s.on('data', () => s.write('ok\\n')); s.on('end', () => s.end()); })
  .listen(Number(p), host, () => { if (++n === ports.length) console.log('listening'); });`;

/** Connects to each target in turn (`ip:port`), says hello, waits for an answer; prints results as JSON. */
const CLIENT = `
const net = require('net');
const targets = process.argv.slice(1);
(async () => {
  const out = [];
  for (const t of targets) {
    const [host, port] = t.split(':');
    out.push(await new Promise((resolve) => {
      const s = net.connect(Number(port), host);
      const timer = setTimeout(() => { s.destroy(); resolve({ t, r: 'timeout' }); }, 3500);
      s.on('connect', () => s.write('hello\\n'));
      s.on('data', () => { clearTimeout(timer); s.end(); resolve({ t, r: 'ok' }); });
      s.on('error', (e) => { clearTimeout(timer); resolve({ t, r: e.code }); });
    }));
  }
  console.log(JSON.stringify(out));
})();`;

const skip = noRoutedLab;

async function scenario(prefix: string, extra: number, body: (lab: RoutedLab) => Promise<void>, keepAs?: string, at: 'client' | 'server' = 'client'): Promise<{ findings: Finding[]; text: string; file: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'wiresage-doctor-'));
  const lab = await RoutedLab.create(prefix, extra);
  try {
    const file = join(dir, 'capture.pcap');
    const stop = await lab.capture(file, at === 'client' ? lab.client : lab.server);
    await body(lab);
    await stop();
    const facts = await collectFacts(file);
    const findings = diagnose(facts);
    // `wiresage doctor` folds the connections no rule can use: the findings must not change.
    const folded = diagnose(await collectFacts(file, { keepHealthy: false }));
    assert.deepEqual(folded.map(comparable), findings.map(comparable), 'findings with healthy connections folded');
    if (keepAs && process.env.WIRESAGE_UPDATE_EXAMPLES === '1') copyFileSync(file, join(repoRoot, 'examples', keepAs));
    return { findings, text: renderText(findings, [facts], 'en', false), file };
  } finally {
    await lab.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function startServer(lab: RoutedLab, host: string, ports: number[]): Promise<void> {
  const child = lab.start(lab.server, process.execPath, ['-e', SERVER, host, ...ports.map(String)]);
  await RoutedLab.waitFor(child, 'listening');
}

async function connect(lab: RoutedLab, targets: string[]): Promise<Array<{ t: string; r: string }>> {
  const r = await lab.run(lab.client, process.execPath, ['-e', CLIENT, ...targets], { timeoutMs: 30_000 });
  return JSON.parse(r.stdout.trim() || '[]');
}

const ids = (f: Finding[]) => f.map((x) => x.id);

/** What a finding says (id, text, evidence), for comparing two diagnoses of one capture. */
const comparable = (f: Finding) => ({ id: f.id, title: f.text.en.title, explanation: f.text.en.explanation, evidence: f.evidence });

test('healthy connections give no finding', { skip, timeout: 30_000 }, async () => {
  const { findings, text } = await scenario('wsdh', 0, async (lab) => {
    await startServer(lab, lab.serverIp, [8080, 8081]);
    const r = await connect(lab, [`${lab.serverIp}:8080`, `${lab.serverIp}:8081`, `${lab.serverIp}:8080`]);
    assert.deepEqual(r.map((x) => x.r), ['ok', 'ok', 'ok']);
  });
  assert.deepEqual(ids(findings), [], text);
});

test('closed port: tcp.rst.refused, the RST carries the server TTL', { skip, timeout: 30_000 }, async () => {
  const { findings, text } = await scenario('wsdr', 0, async (lab) => {
    await startServer(lab, lab.serverIp, [8080]);
    const r = await connect(lab, [`${lab.serverIp}:8080`, `${lab.serverIp}:5432`, `${lab.serverIp}:5432`]);
    assert.deepEqual(r.map((x) => x.r), ['ok', 'ECONNREFUSED', 'ECONNREFUSED']);
  });
  assert.deepEqual(ids(findings), ['tcp.rst.refused'], text);
  assert.equal(findings[0].evidence.counts.connections, 2);
  assert.equal(findings[0].evidence.counts.rst_ttl, 63);
});

test('closed port without any other server packet is still refused (TTL shows a routed hop)', { skip, timeout: 30_000 }, async () => {
  const { findings, text } = await scenario('wsdn', 0, async (lab) => {
    const r = await connect(lab, [`${lab.serverIp}:5432`]);
    assert.deepEqual(r.map((x) => x.r), ['ECONNREFUSED']);
  });
  assert.deepEqual(ids(findings), ['tcp.rst.refused'], text);
});

test('firewall reject with tcp reset: tcp.rst.forged (TTL 255 vs the server 63)', { skip, timeout: 30_000 }, async () => {
  const { findings, text } = await scenario('wsdf', 0, async (lab) => {
    await startServer(lab, lab.serverIp, [8080, 1521]);
    lab.nft(`ip daddr ${lab.serverIp} tcp dport 1521 reject with tcp reset`);
    const r = await connect(lab, [`${lab.serverIp}:8080`, `${lab.serverIp}:1521`, `${lab.serverIp}:1521`]);
    assert.deepEqual(r.map((x) => x.r), ['ok', 'ECONNREFUSED', 'ECONNREFUSED']);
  });
  assert.equal(findings[0]?.id, 'tcp.rst.forged', text);
  assert.deepEqual(ids(findings), ['tcp.rst.forged'], text);
  assert.equal(findings[0].evidence.counts.rst_ttl, 255);
  assert.equal(findings[0].evidence.counts.server_ttl, 63);
  assert.match(findings[0].text.en.explanation, /TTL 255/);
});

test('two captures (client and server side): the forged-reset SYNs never reached the server → path.drop', { skip, timeout: 30_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'wiresage-doctor-'));
  const lab = await RoutedLab.create('wsdp', 0);
  try {
    const clientFile = join(dir, 'client.pcap');
    const serverFile = join(dir, 'server.pcap');
    await startServer(lab, lab.serverIp, [8080, 1521]);
    const stopServer = await lab.capture(serverFile, lab.server);
    const stopClient = await lab.capture(clientFile);
    lab.nft(`ip daddr ${lab.serverIp} tcp dport 1521 reject with tcp reset`);
    // The last connection shows the server-side capture was still running after the resets
    // (a capture file does not say when it stopped; packets after its last one prove nothing).
    const r = await connect(lab, [`${lab.serverIp}:8080`, `${lab.serverIp}:1521`, `${lab.serverIp}:1521`, `${lab.serverIp}:8080`]);
    assert.deepEqual(r.map((x) => x.r), ['ok', 'ECONNREFUSED', 'ECONNREFUSED', 'ok']);
    await stopClient();
    await stopServer();
    const both = [await collectFacts(clientFile, { fingerprint: true }), await collectFacts(serverFile, { fingerprint: true })];
    assert.deepEqual(ids(diagnose(both[1])), [], 'the server side saw only healthy traffic');
    const across = diagnoseAcross(both);
    const text = renderText(across, both, 'en', false);
    assert.deepEqual(ids(across), ['path.drop'], text);
    assert.equal(across[0].evidence.counts.syns_missing_there, 2, text);
    assert.match(across[0].text.en.explanation, /could not come from/);
    // Told as one story: the forged resets seen at the client and the SYNs missing at the server.
    const { findings, stories } = diagnoseAll(both);
    assert.deepEqual(ids(findings).sort(), ['path.drop', 'tcp.rst.forged'], text);
    assert.equal(stories.length, 1, JSON.stringify(stories));
    assert.deepEqual(stories[0].timeline.map((e) => e.finding).sort(), ['path.drop', 'tcp.rst.forged']);
    assert.ok(stories[0].timeline.every((e, i, a) => i === 0 || a[i - 1].time <= e.time));
    assert.match(stories[0].title.en, /^One cause behind 2 findings .* from \d\d:\d\d:\d\d on: /);
    assert.deepEqual(findings.find((f) => f.id === 'tcp.rst.forged')!.evidence.files, [clientFile]);
    assert.deepEqual(findings.find((f) => f.id === 'path.drop')!.evidence.files, [clientFile, serverFile]);
    const doc = toJson(findings, both, 'en', stories) as { stories: Array<{ timeline: Array<{ frames: number[] }> }> };
    assert.ok(doc.stories[0].timeline[0].frames.length > 0);
    assert.match(renderText(findings, both, 'en', false, stories), /^One story: One cause behind 2 findings/m);
  } finally {
    await lab.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('firewall reject with no other server packet: forged (a RST that crossed no router)', { skip, timeout: 30_000 }, async () => {
  const { findings, text } = await scenario('wsdg', 0, async (lab) => {
    lab.nft(`ip daddr ${lab.serverIp} tcp dport 1521 reject with tcp reset`);
    const r = await connect(lab, [`${lab.serverIp}:1521`]);
    assert.deepEqual(r.map((x) => x.r), ['ECONNREFUSED']);
  });
  assert.deepEqual(ids(findings), ['tcp.rst.forged'], text);
});

test('security group drop: tcp.syn.unanswered counts the resends of the same ISN', { skip, timeout: 30_000 }, async () => {
  const { findings, text } = await scenario('wsdd', 0, async (lab) => {
    await startServer(lab, lab.serverIp, [8080, 1521]);
    lab.nft(`ip daddr ${lab.serverIp} tcp dport 1521 tcp flags & (syn|ack) == syn drop`);
    const r = await connect(lab, [`${lab.serverIp}:8080`, `${lab.serverIp}:1521`]);
    assert.deepEqual(r.map((x) => x.r), ['ok', 'timeout']);
  });
  assert.deepEqual(ids(findings), ['tcp.syn.unanswered'], text);
  // Gaps depend on the kernel (classic 1, 2 s or linear 1, 1, 1 s): count, never assume them.
  const { syns, max_resends: resends } = findings[0].evidence.counts;
  assert.ok(syns >= 3, text);
  assert.equal(resends, syns - 1, text);
});

test('ICMP admin-prohibited reject: icmp.unreachable', { skip, timeout: 30_000 }, async () => {
  const { findings, text } = await scenario('wsdi', 0, async (lab) => {
    lab.nft(`ip daddr ${lab.serverIp} tcp dport 1521 reject with icmp type admin-prohibited`);
    const r = await connect(lab, [`${lab.serverIp}:1521`]);
    assert.ok(['EHOSTUNREACH', 'timeout'].includes(r[0]?.r), JSON.stringify(r));
  });
  assert.equal(findings[0]?.id, 'icmp.unreachable', text);
});

async function redis(lab: RoutedLab, times: number): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < times; i++) {
    const r = await lab.run(lab.client, 'redis-cli', ['--no-auth-warning', '-h', lab.serverIp, '-a', 'not-the-password', 'PING'], { timeoutMs: 5000 });
    out.push((r.stdout + r.stderr).trim().split('\n')[0]);
  }
  return out;
}

async function startRedis(lab: RoutedLab): Promise<void> {
  const child = lab.start(lab.server, 'redis-server', ['--bind', lab.serverIp, '--port', '6379', '--requirepass', 'secret', '--save', '', '--appendonly', 'no']);
  await RoutedLab.waitFor(child, 'Ready to accept connections');
}

const noRedis = skip || (spawnSync('sh', ['-c', 'command -v redis-server && command -v redis-cli'], { stdio: 'ignore' }).status !== 0 && 'redis is not installed');

test('Redis wrong password: auth.failed (who, to what, how often)', { skip: noRedis, timeout: 30_000 }, async () => {
  let results: string[] = [];
  const { findings, text } = await scenario('wsdw', 0, async (lab) => {
    await startRedis(lab);
    results = await redis(lab, 2);
  });
  assert.ok(results.every((r) => /WRONGPASS|NOAUTH|invalid/i.test(r)), JSON.stringify(results));
  assert.deepEqual(ids(findings), ['auth.failed'], text);
  assert.equal(findings[0].evidence.counts.failed_logins, 2, text);
});

test('Redis with the right password: no finding', { skip: noRedis, timeout: 30_000 }, async () => {
  const out: string[] = [];
  const { findings, text } = await scenario('wsdW', 0, async (lab) => {
    await startRedis(lab);
    for (let i = 0; i < 2; i++) {
      const r = await lab.run(lab.client, 'redis-cli', ['--no-auth-warning', '-h', lab.serverIp, '-a', 'secret', 'PING'], { timeoutMs: 5000 });
      out.push(r.stdout.trim());
    }
  });
  assert.deepEqual(out, ['PONG', 'PONG']);
  assert.deepEqual(ids(findings), [], text);
});

test('Redis wrong passwords, then a rate-limit meter forges resets: auth.failed.then.blocked', { skip: noRedis, timeout: 30_000 }, async () => {
  let results: string[] = [];
  const { findings, text } = await scenario('wsdm', 0, async (lab) => {
    await startRedis(lab);
    lab.nft(`ip daddr ${lab.serverIp} tcp dport 6379 ct state new meter m { ip saddr limit rate over 3/minute burst 3 packets } reject with tcp reset`);
    results = await redis(lab, 6);
  });
  assert.ok(results.some((r) => /refused|reset/i.test(r)), JSON.stringify(results));
  assert.equal(findings[0]?.id, 'auth.failed.then.blocked', text);
  assert.match(findings[0].text.en.title, /Redis/);
});

/** A server sending `bytes` on each connection, then closing; or closing at once when bytes is 0. */
const SENDER = `
const net = require('net');
const [host, port, bytes] = process.argv.slice(1);
net.createServer((s) => { s.on('error', () => {}); if (Number(bytes)) s.end(Buffer.alloc(Number(bytes), 120)); else s.end(); })
  .listen(Number(port), host, () => console.log('listening'));`;

async function startSender(lab: RoutedLab, port: number, bytes: number): Promise<void> {
  await RoutedLab.waitFor(lab.start(lab.server, process.execPath, ['-e', SENDER, lab.serverIp, String(port), String(bytes)]), 'listening');
}

test('server closes right after the handshake: app.closed.after.handshake', { skip, timeout: 30_000 }, async () => {
  const { findings, text } = await scenario('wsdk', 0, async (lab) => {
    await startSender(lab, 7000, 0);
    await lab.run(lab.client, 'bash', ['-c', `for i in 1 2; do exec 3<>/dev/tcp/${lab.serverIp}/7000; sleep 0.2; exec 3>&-; done`]);
  });
  assert.deepEqual(ids(findings), ['app.closed.after.handshake'], text);
  assert.equal(findings[0].evidence.counts.connections, 2, text);
});

test('the same server answering before it closes: no finding', { skip, timeout: 30_000 }, async () => {
  const { findings, text } = await scenario('wsdK', 0, async (lab) => {
    await startSender(lab, 7000, 100);
    await lab.run(lab.client, 'bash', ['-c', `for i in 1 2; do exec 3<>/dev/tcp/${lab.serverIp}/7000; head -c 100 <&3 >/dev/null; exec 3>&-; done`]);
  });
  assert.deepEqual(ids(findings), [], text);
});

/** Downloads 1.5 MB through the router, with `lossPercent` of the server's segments dropped there. */
async function lossScenario(prefix: string, lossPercent: number): Promise<{ findings: Finding[]; text: string }> {
  return scenario(prefix, 0, async (lab) => {
    await startSender(lab, 8090, 1_500_000);
    if (lossPercent) lab.nft(`ip saddr ${lab.serverIp} tcp sport 8090 numgen random mod 100 < ${lossPercent} drop`);
    // A deadline far beyond the transfer (well under a second unloaded): CI load only slows it.
    const r = await lab.run(lab.client, process.execPath, ['-e', `
      const s = require('net').connect(8090, '${lab.serverIp}'); let n = 0;
      s.on('data', (d) => (n += d.length)); s.on('end', () => console.log(n)); setTimeout(() => process.exit(1), 20000);`], { timeoutMs: 25_000 });
    assert.equal(r.stdout.trim(), '1500000', r.stderr);
  });
}

test('random loss in the router: tcp.loss', { skip, timeout: 40_000 }, async () => {
  const { findings, text } = await lossScenario('wsdl', 5);
  assert.equal(findings[0]?.id, 'tcp.loss', text);
  assert.ok(findings[0].evidence.counts.retransmissions + findings[0].evidence.counts.lost_segments >= 3, text);
});

test('the same download without the drop rule: no finding', { skip, timeout: 40_000 }, async () => {
  const { findings, text } = await lossScenario('wsdL', 0);
  assert.deepEqual(ids(findings), [], text);
});

/** A 2 MB download by a client that sleeps 1.5 s with a 4 KB receive buffer, or reads it all (default buffer). */
async function readerScenario(prefix: string, reads: boolean): Promise<{ findings: Finding[]; text: string }> {
  return scenario(prefix, 0, async (lab) => {
    await startSender(lab, 8091, 2_000_000);
    await lab.run(lab.client, 'python3', ['-c', `
import socket, time
s = socket.socket()
if ${reads ? 'False' : 'True'}:
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
s.connect(('${lab.serverIp}', 8091))
if ${reads ? 'True' : 'False'}:
    while s.recv(65536): pass
else:
    time.sleep(1.5)
s.close()`], { timeoutMs: 20_000 });
  });
}

test('a client that stops reading: tcp.zero_window names it', { skip, timeout: 40_000 }, async () => {
  const { findings, text } = await readerScenario('wsdz', false);
  // The client closes with unread data (a RST): the zero window is what the capture is about.
  assert.equal(findings[0]?.id, 'tcp.zero_window', text);
  assert.match(findings[0].text.en.title, new RegExp(`^10\\.251\\.\\d+\\.2:\\d+ stopped reading`), text);
});

test('the same download by a client that reads: no finding', { skip, timeout: 40_000 }, async () => {
  const { findings, text } = await readerScenario('wsdZ', true);
  assert.deepEqual(ids(findings), [], text);
});

const noDnsmasq = skip || (spawnSync('sh', ['-c', 'command -v dnsmasq'], { stdio: 'ignore' }).status !== 0 && 'dnsmasq is not installed');

test('DNS NXDOMAIN from a real dnsmasq: dns.failure (and the good name gives nothing)', { skip: noDnsmasq, timeout: 30_000 }, async () => {
  const { findings, text } = await scenario('wsds', 0, async (lab) => {
    const server = lab.start(lab.server, 'dnsmasq', ['--no-daemon', '--no-resolv', '--no-hosts', `--listen-address=${lab.serverIp}`, '--bind-interfaces',
      '--port=53', '--local=/lab/', '--host-record=db.lab,172.31.9.9', `--pid-file=/tmp/wsds-${process.pid}.pid`]);
    await RoutedLab.waitFor(server, 'started, version');
    const r = await lab.run(lab.client, process.execPath, ['-e', `
      const r = new (require('node:dns').Resolver)({ timeout: 2000, tries: 1 }); r.setServers(['${lab.serverIp}']);
      const p = (n) => new Promise((res) => r.resolve4(n, (e, v) => res(e ? e.code : v)));
      (async () => console.log(JSON.stringify([await p('db.lab'), await p('nope.lab')])))();`]);
    assert.deepEqual(JSON.parse(r.stdout), [['172.31.9.9'], 'ENOTFOUND']);
  });
  rmSync(`/tmp/wsds-${process.pid}.pid`, { force: true });
  assert.deepEqual(ids(findings), ['dns.failure'], text);
  assert.match(findings[0].text.en.title, /NXDOMAIN.*nope\.lab/, text);
});

const ORACLE = `
const oracledb = require('oracledb');
const [connectString, countText, gapText] = process.argv.slice(1);
(async () => {
  const out = [];
  for (let i = 0; i < Number(countText); i++) {
    try {
      const c = await oracledb.getConnection({ user: 'app', password: 'wrong-password', connectString, transportConnectTimeout: 3 });
      out.push('ok'); await c.close();
    } catch (e) { out.push(String(e.message).split('\\n')[0].slice(0, 60)); }
    await new Promise((r) => setTimeout(r, Number(gapText)));
  }
  console.log(JSON.stringify(out));
})();`;

async function oracle(lab: RoutedLab, connectString: string, count: number, gapMs: number): Promise<string[]> {
  const env = { ...process.env, NODE_PATH: join(repoRoot, 'node_modules') };
  const r = await lab.run(lab.client, process.execPath, ['-e', ORACLE, connectString, String(count), String(gapMs)], { timeoutMs: 60_000, env });
  return JSON.parse(r.stdout.trim().split('\n').pop() || '[]');
}

const listenerJs = join(repoRoot, 'dist/testing/tns-listener.js');
const noOracle = skip || (!existsSync(join(repoRoot, 'node_modules/oracledb')) && 'npm oracledb is not installed');

test('seed case b: TNS REDIRECT from the VIP to a node address the firewall drops → tns.redirect.unreachable', { skip: noOracle, timeout: 60_000 }, async () => {
  let results: string[] = [];
  const { findings, text } = await scenario('wsdb', 1, async (lab) => {
    const [node] = lab.extraIps;
    const listener = lab.start(lab.server, process.execPath, [listenerJs, `${lab.serverIp}:1521=redirect,to=${node}:1521`, `${node}:1521=accept-ora`]);
    await RoutedLab.waitFor(listener, 'listening');
    lab.nft(`ip daddr ${node} tcp flags & (syn|ack) == syn drop`);
    results = await oracle(lab, `${lab.serverIp}:1521/orclpdb`, 1, 0);
  }, 'seed-case-b-tns-redirect-blocked.pcap');
  assert.equal(results.length, 1);
  assert.doesNotMatch(results[0], /^ok$/);
  assert.deepEqual(ids(findings), ['tns.redirect.unreachable'], text);
  assert.ok(findings[0].evidence.counts.syns >= 2, text);
  assert.equal(findings[0].evidence.counts.unanswered_attempts, 1, text);
});

test('seed case b without the drop rule: the client follows the REDIRECT to the node, only its wrong password is reported', { skip: noOracle, timeout: 60_000 }, async () => {
  let results: string[] = [];
  const { findings, text } = await scenario('wsdB', 1, async (lab) => {
    const [node] = lab.extraIps;
    const listener = lab.start(lab.server, process.execPath, [listenerJs, `${lab.serverIp}:1521=redirect,to=${node}:1521`, `${node}:1521=accept-ora`]);
    await RoutedLab.waitFor(listener, 'listening');
    results = await oracle(lab, `${lab.serverIp}:1521/orclpdb`, 1, 0);
  });
  assert.match(results[0] ?? '', /ORA-01017/);
  assert.deepEqual(ids(findings), ['auth.failed'], text);
});

/**
 * A SCAN-like listener whose REDIRECT names several node addresses in an ADDRESS_LIST, in turn
 * (first connection: the order given, second: reversed…), as a SCAN listener spreads clients
 * over the nodes. The thin client takes the REDIRECT's first address.
 */
const SCAN = `
const net = require('net');
(async () => {
  // argv[1] is a name only: the listener module starts serving when argv[1] is its own path.
  const { redirectPacket } = await import(process.argv[2]);
  const [listen, ...targets] = process.argv.slice(3);
  const [host, port] = listen.split(':');
  let n = 0;
  net.createServer((s) => {
    s.on('error', () => {});
    let buf = Buffer.alloc(0);
    let waiting = false;
    let done = false;
    const answer = () => {
      done = true;
      const order = n++ % 2 ? [...targets].reverse() : targets;
      const list = order.map((t) => '(ADDRESS=(PROTOCOL=TCP)(HOST=' + t.split(':')[0] + ')(PORT=' + t.split(':')[1] + '))').join('');
      s.end(redirectPacket('(DESCRIPTION=(ADDRESS_LIST=' + list + '))'));
    };
    s.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      while (!done && buf.length >= 8) {
        const len = buf.readUInt16BE(0);
        if (len < 8 || buf.length < len) return;
        const pkt = buf.subarray(0, len);
        buf = buf.subarray(len);
        if (pkt[4] === 1) {
          if (pkt.length >= 28 && pkt.readUInt16BE(24) > 0 && pkt.readUInt16BE(26) < pkt.length) answer();
          else waiting = true;
        } else if (pkt[4] === 6 && waiting) answer();
      }
    });
  }).listen(Number(port), host, () => console.log('listening'));
})();`;

test('TNS REDIRECT naming two node addresses, one dropped by the firewall: tns.redirect.unreachable says which failed and which worked', { skip: noOracle, timeout: 90_000 }, async () => {
  let results: string[] = [];
  let nodes: string[] = [];
  let vip = '';
  let client = '';
  const { findings, text } = await scenario('wsdr', 2, async (lab) => {
    nodes = lab.extraIps;
    vip = lab.serverIp;
    client = lab.clientIp;
    await RoutedLab.waitFor(lab.start(lab.server, process.execPath, [listenerJs, `${nodes[0]}:1521=accept-ora`, `${nodes[1]}:1521=accept-ora`]), 'listening');
    await RoutedLab.waitFor(lab.start(lab.server, process.execPath, ['-e', SCAN, 'scan', listenerJs, `${vip}:1521`, `${nodes[0]}:1521`, `${nodes[1]}:1521`]), 'listening');
    lab.nft(`ip daddr ${nodes[0]} tcp flags & (syn|ack) == syn drop`);
    // First login: REDIRECT (node 1, node 2) → node 1, dropped; second: (node 2, node 1) → node 2, wrong password.
    results = await oracle(lab, `${vip}:1521/orclpdb`, 2, 0);
  });
  assert.equal(results.length, 2, JSON.stringify(results));
  assert.doesNotMatch(results[0], /^ok$|ORA-01017/, JSON.stringify(results));
  assert.match(results[1], /ORA-01017/, JSON.stringify(results));
  const f = findings[0];
  assert.equal(f?.id, 'tns.redirect.unreachable', text);
  assert.equal(f.text.en.title, `Oracle listener ${vip}:1521 redirects ${client} to ${nodes[0]}:1521, ${nodes[1]}:1521: ${nodes[0]}:1521 cannot be reached (${nodes[1]}:1521 can)`, text);
  assert.match(f.text.en.explanation, new RegExp(`1 connection attempt\\(s\\) to ${nodes[0].replace(/\./g, '\\.')}:1521 got no answer at all`), text);
  assert.match(f.text.en.explanation, new RegExp(`1 connection\\(s\\) to ${nodes[1].replace(/\./g, '\\.')}:1521 were answered`), text);
  assert.deepEqual(f.evidence.addresses, [client, `${vip}:1521`, `${nodes[0]}:1521`, `${nodes[1]}:1521`], text);
  const c = f.evidence.counts;
  assert.deepEqual([c.redirects, c.targets, c.unreachable_targets, c.reachable_targets, c.untried_targets, c.unanswered_attempts], [2, 2, 1, 1, 0, 1], text);
  assert.ok(c.syns >= 2, text);
  // The wrong password on node 2 is its own finding.
  assert.ok(ids(findings).includes('auth.failed'), text);
});

test('TNS REDIRECT naming two node addresses, one rejected with ICMP admin-prohibited: the ICMP failure is named, the other node worked', { skip: noOracle, timeout: 90_000 }, async () => {
  let results: string[] = [];
  let nodes: string[] = [];
  const { findings, text } = await scenario('wsdi', 2, async (lab) => {
    nodes = lab.extraIps;
    await RoutedLab.waitFor(lab.start(lab.server, process.execPath, [listenerJs, `${nodes[0]}:1521=accept-ora`, `${nodes[1]}:1521=accept-ora`]), 'listening');
    await RoutedLab.waitFor(lab.start(lab.server, process.execPath, ['-e', SCAN, 'scan', listenerJs, `${lab.serverIp}:1521`, `${nodes[0]}:1521`, `${nodes[1]}:1521`]), 'listening');
    lab.nft(`ip daddr ${nodes[0]} tcp dport 1521 reject with icmp type admin-prohibited`);
    results = await oracle(lab, `${lab.serverIp}:1521/orclpdb`, 2, 0);
  });
  assert.match(results[1] ?? '', /ORA-01017/, JSON.stringify(results));
  const f = findings[0];
  assert.equal(f?.id, 'tns.redirect.unreachable', text);
  assert.match(f.text.en.title, new RegExp(`: ${nodes[0].replace(/\./g, '\\.')}:1521 cannot be reached \\(${nodes[1].replace(/\./g, '\\.')}:1521 can\\)$`), text);
  assert.match(f.text.en.explanation, new RegExp(`1 attempt\\(s\\) to ${nodes[0].replace(/\./g, '\\.')}:1521 were answered by ICMP destination unreachable`), text);
  const c = f.evidence.counts;
  assert.deepEqual([c.unreachable_targets, c.reachable_targets, c.icmp_attempts, c.unanswered_attempts], [1, 1, 1, 0], text);
  // The router's ICMP error is its own finding too.
  assert.ok(ids(findings).includes('icmp.unreachable'), text);
});

test('descriptorAddresses: every address of an ADDRESS_LIST and a DESCRIPTION_LIST, once, in order', () => {
  const a = (h: string, p: number) => `(ADDRESS=(PROTOCOL=TCP)(HOST=${h})(PORT=${p}))`;
  assert.deepEqual(descriptorAddresses(a('10.0.0.11', 1521)), [{ host: '10.0.0.11', port: 1521 }]);
  assert.deepEqual(descriptorAddresses(`(DESCRIPTION=(ADDRESS_LIST=${a('10.0.0.11', 1521)}${a('10.0.0.12', 1522)}))`), [{ host: '10.0.0.11', port: 1521 }, { host: '10.0.0.12', port: 1522 }]);
  assert.deepEqual(
    descriptorAddresses(`(DESCRIPTION_LIST=(DESCRIPTION=(ADDRESS_LIST=${a('n1', 1521)}))(DESCRIPTION=( address = (protocol=tcp)( host = n2 )(port=1521)))(DESCRIPTION=${a('n1', 1521)}))`),
    [{ host: 'n1', port: 1521 }, { host: 'n2', port: 1521 }],
  );
  assert.deepEqual(descriptorAddresses('(ADDRESS=(PROTOCOL=TCP)(HOST=[fd00::1])(PORT=1521))'), [{ host: 'fd00::1', port: 1521 }]);
  assert.deepEqual(descriptorAddresses('(ADDRESS=(PROTOCOL=TCP)(HOST=x)(PORT=99999))(ADDRESS=(HOST=y))'), []);
});

test('seed case a: failed Oracle logins (ORA-01017), then a rate-limit meter forges resets → auth.failed.then.blocked', { skip: noOracle, timeout: 60_000 }, async () => {
  let results: string[] = [];
  const { findings, text } = await scenario('wsda', 0, async (lab) => {
    const listener = lab.start(lab.server, process.execPath, [listenerJs, `${lab.serverIp}:1521=accept-ora`]);
    await RoutedLab.waitFor(listener, 'listening');
    lab.nft(`ip daddr ${lab.serverIp} tcp dport 1521 ct state new meter m { ip saddr limit rate over 3/minute burst 3 packets } reject with tcp reset`);
    results = await oracle(lab, `${lab.serverIp}:1521/orclpdb`, 6, 300);
  }, 'seed-case-a-forged-rst-after-failed-logins.pcap');
  assert.ok(results.filter((r) => /ORA-01017/.test(r)).length >= 3, JSON.stringify(results));
  assert.ok(results.filter((r) => !/ORA-01017/.test(r)).length >= 1, JSON.stringify(results));
  assert.equal(findings[0]?.id, 'auth.failed.then.blocked', text);
  assert.deepEqual(ids(findings), ['auth.failed.then.blocked'], text);
  assert.ok(findings[0].evidence.counts.forged_rsts >= 1, text);
  const json = toJson(findings, [], 'zh') as { findings: Array<{ title: string }> };
  assert.match(json.findings[0].title, /登录/);
});

test('Oracle listener REFUSE (ERR=12514): tns.refused', { skip: noOracle, timeout: 30_000 }, async () => {
  const { findings, text } = await scenario('wsdt', 0, async (lab) => {
    const listener = lab.start(lab.server, process.execPath, [listenerJs, `${lab.serverIp}:1521=refuse`]);
    await RoutedLab.waitFor(listener, 'listening');
    const r = await oracle(lab, `${lab.serverIp}:1521/nosuchservice`, 1, 0);
    assert.match(r[0] ?? '', /NJS-518/);
  });
  assert.deepEqual(ids(findings), ['tns.refused'], text);
  assert.match(findings[0].text.en.title, /ERR=12514/);
});

test('bundled seed examples give their case first', async () => {
  for (const [name, id] of [['seed-case-a-forged-rst-after-failed-logins.pcap', 'auth.failed.then.blocked'], ['seed-case-b-tns-redirect-blocked.pcap', 'tns.redirect.unreachable']]) {
    const file = join(repoRoot, 'examples', name);
    if (!existsSync(file)) continue;
    const findings = diagnose(await collectFacts(file));
    assert.equal(findings[0]?.id, id, name);
  }
});

/** Talks on one connection, stays silent `idleMs`, then talks again; prints what each exchange got. */
const IDLE_CLIENT = `
const s = require('net').connect(Number(process.argv[2]), process.argv[1]);
const out = []; let want = null;
s.on('data', () => { out.push('ok'); const w = want; want = null; w && w(); });
s.on('error', (e) => { out.push(e.code); const w = want; want = null; w && w(); });
const ask = () => new Promise((r) => { want = r; s.write('ping\\n'); setTimeout(() => { if (want) { out.push('timeout'); want = null; r(); } }, 1500); });
s.on('connect', async () => {
  for (let i = 0; i < 3; i++) await ask();
  await new Promise((r) => setTimeout(r, Number(process.argv[3])));
  await ask();
  console.log(JSON.stringify(out)); s.destroy();
});`;

async function idleScenario(prefix: string, conntrackTimeout: number): Promise<{ findings: Finding[]; text: string; results: string[] }> {
  let results: string[] = [];
  const r = await scenario(prefix, 0, async (lab) => {
    await startServer(lab, lab.serverIp, [5432]);
    // A stateful firewall: packets of connections it does not know (expired) are reset.
    lab.nft('ct state invalid reject with tcp reset');
    lab.nft('ct state new tcp flags & (syn|ack) != syn reject with tcp reset');
    lab.sh(lab.router, `sysctl -qw net.netfilter.nf_conntrack_tcp_loose=0; sysctl -qw net.netfilter.nf_conntrack_tcp_timeout_established=${conntrackTimeout}`);
    const out = await lab.run(lab.client, process.execPath, ['-e', IDLE_CLIENT, lab.serverIp, '5432', '3200'], { timeoutMs: 15_000 });
    results = JSON.parse(out.stdout.trim() || '[]');
  });
  return { ...r, results };
}

test('conntrack idle timeout in the router: the idle connection is reset on its next use → tcp.idle.reset (forged by the router)', { skip, timeout: 30_000 }, async () => {
  const { findings, text, results } = await idleScenario('wsdo', 1);
  assert.deepEqual(results, ['ok', 'ok', 'ok', 'ECONNRESET']);
  assert.deepEqual(ids(findings), ['tcp.idle.reset'], text);
  const c = findings[0].evidence.counts;
  // 3.2 s of silence; a loaded machine may fire the client's timer late, never early.
  assert.ok(c.idle_seconds_min >= 3 && c.idle_seconds_min < 10, text);
  assert.equal(c.rst_ttl, 255, text);
  assert.equal(c.forged, 1, text);
  assert.match(findings[0].text.en.explanation, /device in the path/);
});

test('same idle connection, firewall timeout longer than the silence: no finding', { skip, timeout: 30_000 }, async () => {
  const { findings, text, results } = await idleScenario('wsdO', 600);
  assert.deepEqual(results, ['ok', 'ok', 'ok', 'ok']);
  assert.deepEqual(ids(findings), [], text);
});

/** Downloads `bytes` from the sender with a deadline; prints the byte count it got. */
function download(lab: RoutedLab, port: number, deadlineMs: number): Promise<number> {
  return lab.run(lab.client, process.execPath, ['-e', `
    const s = require('net').connect(${port}, '${lab.serverIp}'); let n = 0;
    s.on('data', (d) => (n += d.length)); s.on('end', () => { console.log(n); process.exit(0); });
    setTimeout(() => { console.log(n); process.exit(0); }, ${deadlineMs});`], { timeoutMs: deadlineMs + 5000 }).then((r) => Number(r.stdout.trim()));
}

async function mtuScenario(prefix: string, icmp: 'dropped-by-router' | 'dropped-by-server' | 'allowed'): Promise<{ findings: Finding[]; text: string; got: number }> {
  let got = 0;
  const r = await scenario(prefix, 0, async (lab) => {
    await startSender(lab, 8092, 60_000);
    lab.sh(lab.router, 'ip link set eth0 mtu 1400');
    const drop = 'icmp type destination-unreachable icmp code frag-needed drop';
    if (icmp === 'dropped-by-router') lab.nftScript(`table ip wsmtu {\n chain out {\n  type filter hook output priority 0;\n  ${drop}\n }\n}`);
    if (icmp === 'dropped-by-server') lab.sh(lab.server, `nft 'add table ip h'; nft 'add chain ip h in { type filter hook input priority 0 ; }'; nft 'add rule ip h in ${drop}'`);
    got = await download(lab, 8092, icmp === 'allowed' ? 6000 : 3500);
  }, undefined, 'server');
  return { ...r, got };
}

test('MTU lowered on the router, its ICMP frag-needed dropped: full-size segments resent, small ones pass → mtu.blackhole (server-side capture)', { skip, timeout: 30_000 }, async () => {
  const { findings, text, got } = await mtuScenario('wsdu', 'dropped-by-router');
  assert.ok(got < 60_000, `got ${got}`);
  assert.equal(findings[0]?.id, 'mtu.blackhole', text);
  const c = findings[0].evidence.counts;
  assert.ok(c.segment_size > 1400 - 40 && c.full_size_retransmissions >= 2, text);
  assert.equal(c.icmp_frag_needed, 0, text);
});

test('MTU lowered, the ICMP frag-needed reaches the server but its host firewall drops it → mtu.blackhole citing the ICMP', { skip, timeout: 30_000 }, async () => {
  const { findings, text } = await mtuScenario('wsdv', 'dropped-by-server');
  assert.equal(findings[0]?.id, 'mtu.blackhole', text);
  assert.equal(findings[0].evidence.counts.icmp_frag_needed, 1, text);
  assert.equal(findings[0].evidence.counts.next_hop_mtu, 1400, text);
});

test('MTU lowered with ICMP allowed: path MTU discovery works, no warning', { skip, timeout: 30_000 }, async () => {
  const { findings, text, got } = await mtuScenario('wsdV', 'allowed');
  assert.equal(got, 60_000);
  assert.deepEqual(findings.filter((f) => f.severity !== 'info').map((f) => f.id), [], text);
});

const noOpenssl = skip || (spawnSync('sh', ['-c', 'command -v openssl'], { stdio: 'ignore' }).status !== 0 && 'openssl is not installed');

/** A CA and a server certificate signed by it, plus an unrelated CA, in `dir`. */
function makeCerts(dir: string): void {
  const sh = (cmd: string) => {
    const r = spawnSync('sh', ['-ec', cmd], { cwd: dir, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(r.stderr);
  };
  sh(`openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.pem -days 2 -subj /CN=wiresage-test-ca 2>/dev/null
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout other.key -out other.pem -days 2 -subj /CN=other-ca 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout srv.key -out srv.csr -subj /CN=db.test 2>/dev/null
openssl x509 -req -in srv.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out srv.pem -days 2 2>/dev/null`);
}

async function tlsScenario(prefix: string, serverArgs: string[], clientArgs: string[]): Promise<{ findings: Finding[]; text: string; out: string }> {
  const certs = mkdtempSync(join(tmpdir(), 'wiresage-tls-'));
  let out = '';
  try {
    makeCerts(certs);
    const r = await scenario(prefix, 0, async (lab) => {
      // s_server ends when its standard input does: keep it open.
      const server = lab.start(lab.server, 'sh', ['-c', `sleep 20 | exec openssl s_server -accept ${lab.serverIp}:8443 -cert ${join(certs, 'srv.pem')} -key ${join(certs, 'srv.key')} -naccept 1 ${serverArgs.join(' ')}`]);
      await RoutedLab.waitFor(server, 'ACCEPT');
      const c = await lab.run(lab.client, 'sh', ['-c', `echo Q | openssl s_client -connect ${lab.serverIp}:8443 -servername db.test ${clientArgs.map((a) => a.replace(/^\{(.+)\}$/, (_m, f: string) => join(certs, f))).join(' ')} 2>&1`], { timeoutMs: 10_000 });
      out = c.stdout;
    });
    return { ...r, out };
  } finally {
    rmSync(certs, { recursive: true, force: true });
  }
}

test('TLS version mismatch (server TLS 1.3 only, client TLS 1.2 only): tls.failure, alert from the server', { skip: noOpenssl, timeout: 30_000 }, async () => {
  const { findings, text, out } = await tlsScenario('wsdx', ['-tls1_3'], ['-tls1_2']);
  assert.match(out, /alert|no protocols|handshake failure/i);
  assert.deepEqual(ids(findings), ['tls.failure'], text);
  assert.match(findings[0].text.en.title, /protocol_version from server/, text);
});

test('TLS certificate from an unknown CA: tls.failure, unknown_ca alert from the client', { skip: noOpenssl, timeout: 30_000 }, async () => {
  const { findings, text, out } = await tlsScenario('wsdy', [], ['-tls1_2', '-verify_return_error', '-CAfile', '{other.pem}']);
  assert.match(out, /verify error|unable to get local issuer/i, out);
  assert.deepEqual(ids(findings), ['tls.failure'], text);
  assert.match(findings[0].text.en.title, /unknown_ca from client/, text);
});

test('TLS with the right CA: no finding', { skip: noOpenssl, timeout: 30_000 }, async () => {
  const { findings, text, out } = await tlsScenario('wsdY', [], ['-verify_return_error', '-CAfile', '{ca.pem}']);
  assert.match(out, /Verify return code: 0 \(ok\)/, out);
  assert.deepEqual(ids(findings), [], text);
});

const pgBin = spawnSync('sh', ['-c', 'ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1'], { encoding: 'utf8' }).stdout.trim();
const noPostgres = skip || (!(pgBin && existsSync(join(pgBin, 'initdb')) && spawnSync('sh', ['-c', 'command -v psql'], { stdio: 'ignore' }).status === 0) && 'postgresql is not installed');

/** A real PostgreSQL (password "secret", SCRAM) in the server namespace; psql logs in twice with `password`. */
async function pgScenario(prefix: string, password: string): Promise<{ findings: Finding[]; text: string; out: string[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'wiresage-pg-'));
  const out: string[] = [];
  try {
    const sh = (cmd: string) => {
      const r = spawnSync('sh', ['-ec', cmd], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`${cmd}: ${r.stderr}`);
    };
    sh(`chmod 755 ${dir} && echo secret > ${dir}/pw && chown -R postgres ${dir} && runuser -u postgres -- ${pgBin}/initdb -D ${dir}/data -U postgres --pwfile=${dir}/pw --auth-host=scram-sha-256 >/dev/null && echo 'host all all 0.0.0.0/0 scram-sha-256' >> ${dir}/data/pg_hba.conf`);
    const r = await scenario(prefix, 0, async (lab) => {
      const server = lab.start(lab.server, 'runuser', ['-u', 'postgres', '--', `${pgBin}/postgres`, '-D', `${dir}/data`, '-c', `listen_addresses=${lab.serverIp}`, '-c', `unix_socket_directories=${dir}`, '-c', 'ssl=off']);
      await RoutedLab.waitFor(server, 'ready to accept connections', 30_000);
      for (let i = 0; i < 2; i++) {
        const c = await lab.run(lab.client, 'psql', ['-w', '-h', lab.serverIp, '-U', 'postgres', '-d', 'postgres', '-tAc', 'select 1'], { env: { ...process.env, PGPASSWORD: password }, timeoutMs: 15_000 });
        out.push((c.stdout + c.stderr).trim().split('\n')[0]);
      }
    });
    return { ...r, out };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('PostgreSQL wrong password (psql): auth.failed with 28P01', { skip: noPostgres, timeout: 60_000 }, async () => {
  const { findings, text, out } = await pgScenario('wsdq', 'wrong');
  assert.ok(out.every((x) => /password authentication failed/.test(x)), JSON.stringify(out));
  assert.deepEqual(ids(findings), ['auth.failed'], text);
  assert.equal(findings[0].evidence.counts.failed_logins, 2, text);
  assert.match(findings[0].text.en.title, /PostgreSQL/, text);
});

test('PostgreSQL right password (psql): no finding', { skip: noPostgres, timeout: 60_000 }, async () => {
  const { findings, text, out } = await pgScenario('wsdQ', 'secret');
  assert.deepEqual(out, ['1', '1']);
  assert.deepEqual(ids(findings), [], text);
});

const noMariadb = skip || (spawnSync('sh', ['-c', 'command -v mariadbd && command -v mariadb-install-db && command -v mariadb'], { stdio: 'ignore' }).status !== 0 && 'mariadb-server/mariadb-client are not installed');

/**
 * A real MariaDB in the server namespace with an account `app`@`10.251.%` (password "app-secret");
 * the real `mariadb` client logs in `times` times from the client namespace with `password`.
 * The data directory is made as probe.test.ts does (mariadb-install-db, root by socket only).
 */
async function mariadbScenario(prefix: string, password: string, times: number): Promise<{ findings: Finding[]; text: string; out: string[]; clientIp: string; serverIp: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'wiresage-my-'));
  const out: string[] = [];
  let clientIp = '';
  let serverIp = '';
  try {
    const sh = (cmd: string) => {
      const r = spawnSync('sh', ['-ec', cmd], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`${cmd}: ${r.stderr}`);
    };
    sh(`chmod 755 ${dir} && chown mysql ${dir} && mariadb-install-db --no-defaults --user=mysql --datadir=${dir}/data --auth-root-authentication-method=socket >/dev/null 2>&1`);
    const r = await scenario(prefix, 0, async (lab) => {
      clientIp = lab.clientIp;
      serverIp = lab.serverIp;
      const server = lab.start(lab.server, 'mariadbd', ['--no-defaults', '--user=mysql', `--datadir=${dir}/data`, `--socket=${dir}/sock`, `--pid-file=${dir}/pid`, `--bind-address=${lab.serverIp}`, '--port=3306', '--skip-name-resolve', '--skip-log-bin']);
      await RoutedLab.waitFor(server, 'ready for connections', 30_000);
      const admin = await lab.run(lab.server, 'mariadb', ['--no-defaults', `--socket=${dir}/sock`, '-uroot', '-e', "CREATE USER app@'10.251.%' IDENTIFIED BY 'app-secret'"]);
      assert.equal(admin.status, 0, admin.stderr);
      for (let i = 0; i < times; i++) {
        const c = await lab.run(lab.client, 'mariadb', ['--no-defaults', '--skip-ssl', '-h', lab.serverIp, '-P', '3306', '-uapp', `-p${password}`, '-N', '-B', '-e', 'select 1'], { timeoutMs: 15_000 });
        out.push((c.stdout + c.stderr).trim().split('\n')[0]);
      }
    });
    return { ...r, out, clientIp, serverIp };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('MySQL wrong password (real MariaDB, mariadb client): auth.failed names error 1045, the user, the server and how often', { skip: noMariadb, timeout: 90_000 }, async () => {
  const { findings, text, out, clientIp, serverIp } = await mariadbScenario('wsdk', 'not-the-password', 3);
  assert.ok(out.every((x) => /ERROR 1045 .*Access denied for user 'app'/.test(x)), JSON.stringify(out));
  assert.equal(findings[0]?.id, 'auth.failed', text);
  assert.deepEqual(ids(findings), ['auth.failed'], text);
  const f = findings[0];
  assert.equal(f.evidence.counts.failed_logins, 3, text);
  assert.equal(f.text.en.title, `3 failed MySQL login(s) from ${clientIp} to ${serverIp}:3306`, text);
  assert.match(f.text.en.explanation, /"login 'app' failed 1045 Access denied for user 'app'@'10\.251\.\d+\.2' \(using password: YES\)" \(3 time\(s\)/, text);
  assert.deepEqual(f.evidence.addresses, [clientIp, `${serverIp}:3306`]);
  assert.equal(f.evidence.streams.length, 3, text);
  assert.equal(f.evidence.frames.length, 3, text);
});

test('MySQL right password (real MariaDB, mariadb client): no finding', { skip: noMariadb, timeout: 90_000 }, async () => {
  const { findings, text, out } = await mariadbScenario('wsdK', 'app-secret', 3);
  assert.deepEqual(out, ['1', '1', '1']);
  assert.deepEqual(ids(findings), [], text);
});
