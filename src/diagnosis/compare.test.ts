/**
 * compare.ts on real captures taken at two points: client ↔ router (nftables SNAT masquerade
 * and DNAT port forwarding) ↔ server, tcpdump on the client and on the server. The same
 * packets must pair up though every address and port differs, the NAT mapping and clock
 * offset must come out, and packets a firewall rule drops must be left over on one side only.
 * One namespace set serves all the tests of this file.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { RoutedLab, noRoutedLab } from './_lab.js';
import { matchCaptures, packetAt, rowOf } from './compare.js';
import { collectFacts } from './facts.js';
import { renderText } from './report.js';
import { diagnose, diagnoseAcross } from './rules.js';

const skip = noRoutedLab;

/** A server answering each line with 'ok' (plus 3000 bytes so data segments are compared too). */
const SERVER = `
const net = require('net');
const [host, ...ports] = process.argv.slice(1);
let n = 0;
for (const p of ports) net.createServer((s) => { s.on('error', () => {}); s.on('data', () => s.write('ok'.padEnd(3000, '.') + '\\n')); s.on('end', () => s.end()); })
  .listen(Number(p), host, () => { if (++n === ports.length) console.log('listening'); });`;

const CLIENT = `
const net = require('net');
(async () => {
  const out = [];
  for (const t of process.argv.slice(1)) {
    const [host, port] = t.split(':');
    out.push(await new Promise((resolve) => {
      const s = net.connect(Number(port), host);
      const timer = setTimeout(() => { s.destroy(); resolve('timeout'); }, 2500);
      s.on('connect', () => s.write('hello\\n'));
      s.on('data', () => { clearTimeout(timer); s.end(); resolve('ok'); });
      s.on('error', (e) => { clearTimeout(timer); resolve(e.code); });
    }));
  }
  console.log(JSON.stringify(out));
})();`;

let lab: RoutedLab;
let dir: string;

before(async () => {
  if (skip) return;
  dir = mkdtempSync(join(tmpdir(), 'wiresage-compare-'));
  lab = await RoutedLab.create('wscm', 0);
  await RoutedLab.waitFor(lab.start(lab.server, process.execPath, ['-e', SERVER, lab.serverIp, '8080', '8081', '9000']), 'listening');
});

after(async () => {
  await lab?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Captures on the client and the server while `targets` are connected to; returns both files. */
async function twoPoints(name: string, targets: string[]): Promise<{ a: string; b: string; results: string[] }> {
  const a = join(dir, `${name}-client.pcap`);
  const b = join(dir, `${name}-server.pcap`);
  const stopB = await lab.capture(b, lab.server);
  const stopA = await lab.capture(a, lab.client);
  const r = await lab.run(lab.client, process.execPath, ['-e', CLIENT, ...targets], { timeoutMs: 20_000 });
  await stopA();
  await stopB();
  return { a, b, results: JSON.parse(r.stdout.trim() || '[]') };
}

async function doctorAcross(a: string, b: string) {
  const all = [await collectFacts(a, { fingerprint: true }), await collectFacts(b, { fingerprint: true })];
  const single = [...diagnose(all[0]), ...diagnose(all[1])];
  const across = diagnoseAcross(all);
  return { single, across, text: renderText([...single, ...across], all, 'en', false) };
}

test('no NAT, nothing dropped: every packet pairs up, no mapping, clocks agree; doctor says nothing', { skip, timeout: 30_000 }, async () => {
  const { a, b, results } = await twoPoints('plain', [`${lab.serverIp}:8080`, `${lab.serverIp}:8081`]);
  assert.deepEqual(results, ['ok', 'ok']);
  const r = await matchCaptures(a, b);
  assert.ok(r.matchedCount >= 16, `matched ${r.matchedCount}`);
  assert.equal(r.matched.length, r.matchedCount);
  assert.deepEqual(r.onlyA, []);
  assert.deepEqual(r.onlyB, []);
  assert.deepEqual(r.nat, []);
  assert.ok(r.clockOffset?.exact, JSON.stringify(r.clockOffset));
  assert.ok(Math.abs(r.clockOffset!.seconds) < 0.01, JSON.stringify(r.clockOffset));
  assert.ok(r.sideA.includes(lab.clientIp) && r.sideB.includes(lab.serverIp), JSON.stringify([r.sideA, r.sideB]));
  // A pair really is the same packet: same flags, opposite TTL step (63 at the server for the client's packets).
  const [fa, fb] = r.matched[0];
  const pa = packetAt(r.a, rowOf(r.a, fa));
  const pb = packetAt(r.b, rowOf(r.b, fb));
  assert.equal(pa.flags, pb.flags);
  assert.equal(r.a.ttl[rowOf(r.a, fa)] - r.b.ttl[rowOf(r.b, fb)], 1);
  const { single, across, text } = await doctorAcross(a, b);
  assert.deepEqual([...single, ...across].map((f) => f.id), [], text);
});

test('SNAT + DNAT in the router: packets still pair up; path.nat names both translations', { skip, timeout: 30_000 }, async () => {
  lab.nftScript(`
table ip wsnat {
  chain pre { type nat hook prerouting priority -100; ip daddr ${lab.routerClientIp} tcp dport 80 dnat to ${lab.serverIp}:8080; }
  chain post { type nat hook postrouting priority 100; oifname "eth1" masquerade; }
}`);
  try {
    const { a, b, results } = await twoPoints('nat', [`${lab.routerClientIp}:80`, `${lab.serverIp}:8081`]);
    assert.deepEqual(results, ['ok', 'ok']);
    const r = await matchCaptures(a, b);
    assert.deepEqual(r.onlyA, [], 'every client packet reached the server');
    assert.deepEqual(r.onlyB, []);
    assert.ok(r.matchedCount >= 16);
    const maps = r.nat.map((m) => `${m.role} ${m.a} ${m.b}`);
    assert.ok(maps.some((m) => m === `server ${lab.routerClientIp}:80 ${lab.serverIp}:8080`), maps.join('\n'));
    assert.ok(maps.some((m) => m.startsWith(`client ${lab.clientIp}:`) && m.includes(` ${lab.routerServerIp}:`)), maps.join('\n'));
    assert.ok(r.sideAatB.includes(lab.routerServerIp), JSON.stringify(r.sideAatB));
    const { single, across, text } = await doctorAcross(a, b);
    assert.deepEqual(single.map((f) => f.id), [], text);
    assert.deepEqual(across.map((f) => f.id), ['path.nat'], text);
    assert.equal(across[0].severity, 'info');
    assert.match(across[0].text.en.title, /source NAT and destination NAT/, text);
    assert.ok(across[0].evidence.frames.length > 0);
  } finally {
    lab.nftScript('delete table ip wsnat');
  }
});

test('behind NAT, a firewall drops the server\'s answers on one port: path.drop from the server side, matched through the NAT', { skip, timeout: 30_000 }, async () => {
  lab.nftScript(`
table ip wsnat {
  chain post { type nat hook postrouting priority 100; oifname "eth1" masquerade; }
}`);
  // The security group lets the SYN in but drops everything the server sends back from port 9000.
  lab.nft(`ip saddr ${lab.serverIp} tcp sport 9000 drop`);
  try {
    const { a, b, results } = await twoPoints('natdrop', [`${lab.serverIp}:8080`, `${lab.serverIp}:9000`]);
    assert.deepEqual(results, ['ok', 'timeout']);
    const r = await matchCaptures(a, b);
    assert.ok(r.onlyB.length >= 2, `SYN-ACKs seen only at the server: ${r.onlyB.length}`);
    const { across, text } = await doctorAcross(a, b);
    const drop = across.find((f) => f.id === 'path.drop');
    assert.ok(drop, text);
    assert.equal(across[0].id, 'path.drop', text);
    assert.match(drop.text.en.title, new RegExp(`to ${lab.routerServerIp.replace(/\./g, '\\.')}:\\d+ seen in .*server\\.pcap never reached .*client\\.pcap`), text);
    assert.ok(across.some((f) => f.id === 'path.nat'), text);
  } finally {
    lab.nftScript('delete table ip wsnat');
    lab.sh(lab.router, 'nft flush chain inet f gate');
  }
});

test('two unrelated captures (the bundled seed cases, same software, other addresses): nothing pairs up', async () => {
  const { repoRoot } = await import('../testing/tshark.js');
  const a = join(repoRoot, 'examples', 'seed-case-a-forged-rst-after-failed-logins.pcap');
  const b = join(repoRoot, 'examples', 'seed-case-b-tns-redirect-blocked.pcap');
  // Their SYN-ACKs (IP ID 0, relative seq 0/ack 1) and CONNECT packets look alike: only
  // relative keys could pair them, and a connection pair needs more than that.
  const r = await matchCaptures(a, b);
  assert.equal(r.matchedCount, 0);
  assert.deepEqual(r.nat, []);
  assert.equal(r.clockOffset, null);
  assert.equal(r.onlyA.length, r.a.count);
});
