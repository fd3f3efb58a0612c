// Capture inside namespaces and at several points at once (root only; skipped elsewhere), with
// namespaces the tests create and always remove:
// - client — router (nftables drops SYNs to the server port) — server: one command captures at
//   client and server; the SYN is on the client's interface and not on the server's (tshark's
//   frame.interface_name), packets interleaved in time order; --split gives a file per point;
// - --pid of an `unshare --net` process and --netns (name and /proc path), byte for byte equal
//   to `nsenter -t PID -n tcpdump -w` on the same traffic, for both backends;
// - the namespace going away mid-capture: reported, file valid, exit 1.
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { openCapture } from '../file/open.js';
import { createLab, createRoutedLab, finished, labAvailable, waitForText, type RoutedLab } from './_lab.js';
import { tryAddon } from './addon.js';

const cli = join(dirname(fileURLToPath(import.meta.url)), '..', 'cli', 'main.js');
const haveTshark = spawnSync('tshark', ['-v'], { stdio: 'ignore' }).status === 0;
const haveNft = spawnSync('nft', ['--version'], { stdio: 'ignore' }).status === 0;
const skip = !labAvailable() ? 'needs root and iproute2 (network namespaces)' : !tryAddon() ? 'the capture addon is not built'
  : !haveTshark ? 'needs tshark (scripts/setup.sh --tests)' : !haveNft ? 'needs nftables (scripts/setup.sh --tests)' : false;
const PORT = 41000;

let lab: RoutedLab;
let work: string;
const children: ChildProcess[] = [];
before(() => {
  if (skip) return;
  lab = createRoutedLab();
  work = fs.mkdtempSync(join(tmpdir(), 'wiresage-anywhere-'));
  fs.chmodSync(work, 0o777); // -Z nobody writes here
  // The router drops every SYN to the server's port PORT (a silent firewall); UDP passes.
  execFileSync('ip', ['netns', 'exec', lab.router, 'nft', '-f', '-'], {
    input: `table inet f {\n chain syn_guard {\n  type filter hook forward priority 0;\n  ip daddr ${lab.serverAddr} tcp dport ${PORT} tcp flags & (syn|ack) == syn drop\n }\n}\n`,
  });
});
after(() => {
  if (skip) return;
  for (const c of children) c.kill('SIGKILL');
  lab.close();
  fs.rmSync(work, { recursive: true, force: true });
});

function wiresage(args: string[]): ChildProcess {
  const child = spawn(process.execPath, [cli, 'capture', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  return child;
}

function tshark(path: string, fields: string[], filter?: string): string[][] {
  const out = execFileSync('tshark', ['-r', path, ...(filter ? ['-Y', filter] : []), '-T', 'fields', ...fields.flatMap((f) => ['-e', f])],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  return out.trim().split('\n').filter(Boolean).map((l) => l.split('\t'));
}

/** UDP datagrams from the client to the server (they pass the router), then a TCP connect whose SYNs the router drops. */
function traffic(): void {
  lab.exec(lab.client, [process.execPath, '-e', `
    const s = require('dgram').createSocket('udp4');
    let i = 0;
    const next = () => { if (i < 20) s.send('point ' + i++, ${PORT + 1}, '${lab.serverAddr}', () => setTimeout(next, 5)); else done(); };
    const done = () => {
      s.close();
      const c = require('net').connect(${PORT}, '${lab.serverAddr}').on('error', () => {});
      setTimeout(() => { c.destroy(); process.exit(0); }, 1300); // the SYN and its first retransmission
    };
    next();`]);
}

test('--at client and server in one command: the SYN the router drops is on the client\'s interface only; one time-ordered pcapng; --split', { skip }, async () => {
  const file = join(work, 'points.pcapng');
  const splitBase = join(work, 'split.pcapng');
  const filter = `tcp port ${PORT} or udp port ${PORT + 1}`;
  const one = wiresage(['--at', `netns:${lab.client}`, '--at', `netns:${lab.server}`, '-w', file, filter]);
  const split = wiresage(['--at', `netns:${lab.client}@eth0`, '--at', `netns:${lab.server},filter=udp port ${PORT + 1}`, '--split', '-w', splitBase, filter]);
  const done = [finished(one), finished(split)];
  await Promise.all([waitForText(one, `listening on netns:${lab.server}@any`), waitForText(split, `listening on netns:${lab.server}@any`)]);
  traffic();
  await new Promise((r) => setTimeout(r, 300));
  one.kill('SIGINT');
  split.kill('SIGINT');
  const [r1, r2] = await Promise.all(done);
  assert.equal(r1.code, 0, r1.stderr);
  assert.equal(r2.code, 0, r2.stderr);
  const clientName = `netns:${lab.client}@any`;
  const serverName = `netns:${lab.server}@any`;
  assert.match(r1.stderr, new RegExp(`listening on ${clientName} \\(any in network namespace /run/netns/${lab.client}\\), link-type LINUX_SLL2`));

  // tshark reads the file; every packet is named by the point that saw it.
  const rows = tshark(file, ['frame.interface_name', 'frame.time_epoch', 'tcp.flags.syn', 'tcp.flags.ack', 'udp.dstport']);
  assert.ok(rows.length >= 40 + 2, `${rows.length} packets:\n${rows.map((r) => r.join(" ")).join("\n")}`);
  const syn = rows.filter((r) => r[2] === '1' && r[3] === '0');
  assert.ok(syn.length >= 2, 'the SYN and its retransmission were captured');
  assert.deepEqual([...new Set(syn.map((r) => r[0]))], [clientName], 'the SYN is seen at the client only: the router dropped it');
  const udpAt = (name: string) => rows.filter((r) => r[0] === name && r[4] === String(PORT + 1)).length;
  assert.equal(udpAt(clientName), 20);
  assert.equal(udpAt(serverName), 20, 'the server point captured what passed the router');
  // Interleaved in time order: timestamps never go back, and each datagram is at the client before the server.
  const times = rows.map((r) => Number(r[1]));
  for (let i = 1; i < times.length; i++) assert.ok(times[i] >= times[i - 1], `frame ${i + 1} is older than frame ${i}`);
  const order = rows.filter((r) => r[4] === String(PORT + 1)).map((r) => (r[0] === clientName ? 'c' : 's')).join('');
  assert.equal(order, 'cs'.repeat(20), 'client copy, then server copy, datagram by datagram');
  assert.equal(execFileSync(process.execPath, [cli, 'read', '--count', file], { encoding: 'utf8' }).trim(), `${rows.length} packets`);
  assert.match(r1.stderr, new RegExp(`${clientName}: \\d+ captured`));

  // --split: a valid file per point, each with its own interface and its own filter.
  const clientFile = join(work, `split.netns-${lab.client}@eth0.pcapng`);
  const serverFile = join(work, `split.netns-${lab.server}@any.pcapng`);
  assert.deepEqual(fs.readdirSync(work).filter((n) => n.startsWith('split.')).sort(), [clientFile, serverFile].map((f) => f.slice(work.length + 1)).sort());
  const c = tshark(clientFile, ['frame.interface_name', 'tcp.flags.syn', 'udp.dstport']);
  const s = tshark(serverFile, ['frame.interface_name', 'tcp.flags.syn', 'udp.dstport']);
  assert.deepEqual([...new Set(c.map((r) => r[0]))], [`netns:${lab.client}@eth0`]);
  assert.deepEqual([...new Set(s.map((r) => r[0]))], [serverName]);
  assert.ok(c.some((r) => r[1] === '1'), 'the SYN in the client file');
  assert.equal(c.filter((r) => r[2] === String(PORT + 1)).length, 20);
  assert.equal(s.length, 20, 'the server file: its own filter (UDP only) and no SYN');
  assert.ok(s.every((r) => r[2] === String(PORT + 1)));
});

test('several points with a ring and a trigger: the SYN at the client stops the capture one packet later', { skip }, async () => {
  const dir = fs.mkdtempSync(join(work, 'ring-'));
  const p = wiresage(['--at', `netns:${lab.client}@eth0`, '--at', `netns:${lab.server}@eth0`, '-w', join(dir, 'ring.pcapng'), '-C', '1k', '-W', '3',
    '--stop-on', `tcp.flags.syn == 1 && tcp.flags.ack == 0 && tcp.dstport == ${PORT}`, '--after', '1p', `tcp port ${PORT} or udp port ${PORT + 1}`]);
  const done = finished(p);
  await waitForText(p, `listening on netns:${lab.server}@eth0`);
  traffic();
  const r = await Promise.race([done, new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no stop')), 15_000))]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /stopped by trigger: packet 41 at \d+\.\d{9} matched .*, then 1 packets more/);
  const files = /files: (.*)/.exec(r.stderr)![1].split(' ');
  assert.ok(files.length <= 3 && files.length >= 2, `${files}`);
  const rows = files.flatMap((f) => tshark(f, ['frame.interface_name', 'tcp.flags.syn', 'udp.dstport']));
  // The ring kept the end: the SYN at the client, then its retransmission a second later (the
  // router dropped the first), and the capture stopped there.
  assert.deepEqual(rows.slice(-2).map((x) => x.slice(0, 2)), [[`netns:${lab.client}@eth0`, '1'], [`netns:${lab.client}@eth0`, '1']]);
  assert.ok(rows.length < 42, 'the oldest file of the ring was replaced');
  assert.ok(fs.readdirSync(dir).every((n) => /^ring\.pcapng\d$/.test(n)), `${fs.readdirSync(dir)}`);
  const used = fs.readdirSync(dir).reduce((sum, n) => sum + fs.statSync(join(dir, n)).size, 0);
  assert.ok(used <= 3 * 1024, `${used} bytes on disk`);
});

test('live display: each line names the point that saw the packet', { skip }, async () => {
  const p = wiresage(['--at', `netns:${lab.client}@eth0`, '--at', `netns:${lab.server}@eth0`, '-c', '4', `udp port ${PORT + 1}`]);
  const done = finished(p);
  await waitForText(p, `listening on netns:${lab.server}@eth0`);
  lab.exec(lab.client, [process.execPath, '-e', `const s = require('dgram').createSocket('udp4'); s.send('a', ${PORT + 1}, '${lab.serverAddr}', () => s.send('b', ${PORT + 1}, '${lab.serverAddr}', () => s.close()));`]);
  const r = await done;
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.equal(lines.length, 4);
  const c = `netns:${lab.client}@eth0`.padEnd(`netns:${lab.server}@eth0`.length);
  assert.match(lines[0], new RegExp(`^${c.replace(/[.]/g, '\\.')} \\d\\d:\\d\\d:\\d\\d\\.\\d{6} IP ${lab.clientAddr.replace(/\./g, '\\.')}\\.\\d+ > `));
  assert.ok(lines[1].startsWith(`netns:${lab.server}@eth0 `), lines[1]);
});

test('bad points: unknown namespace with the names there are, same point twice with different filters, bad syntax', { skip }, async () => {
  let r = await finished(wiresage(['--at', 'netns:nosuch-wiresage', '-c', '1']));
  assert.equal(r.code, 1);
  assert.match(r.stderr, /capture point 'netns:nosuch-wiresage': no network namespace named 'nosuch-wiresage'\n {2}hint: /);
  r = await finished(wiresage(['--at', `netns:${lab.client}`, '--at', `netns:/run/netns/${lab.client},filter=udp`, '-c', '1']));
  assert.equal(r.code, 2);
  assert.match(r.stderr, /is the same capture point as 'netns:wsrc\d+@any' .* with a different filter or snaplen/);
  r = await finished(wiresage(['--at', `netns:${lab.client},snaplen=x`, '-c', '1']));
  assert.equal(r.code, 2);
  assert.match(r.stderr, /snaplen= needs a number of bytes, not 'x'/);
  r = await finished(wiresage(['--at', `netns:${lab.client}@nosuch0`, '-c', '1']));
  assert.equal(r.code, 1);
  assert.match(r.stderr, new RegExp(`netns:${lab.client}@nosuch0: no interface named 'nosuch0' in netns:${lab.client} \\(network namespace /run/netns/${lab.client}\\)\\. Interfaces:\\n.*eth0 \\[up, running\\] ${lab.clientAddr.replace(/\./g, '\\.')}`, 's'));
  // -D inside a target: its interfaces with addresses.
  r = await finished(wiresage(['-D', '--netns', lab.server]));
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`^netns:${lab.server} \\(network namespace /run/netns/${lab.server}\\):\n`));
  assert.match(r.stdout, new RegExp(`^\\d+\\.eth0 \\[Up, Running, Connected\\]\n.*\n {4}inet {2}${lab.serverAddr.replace(/\./g, '\\.')} netmask`, 'm'));
  // The same namespace twice (by name and by path) is one capture point.
  const p = wiresage(['--at', `netns:${lab.client}`, '--at', `netns:/run/netns/${lab.client}`, '-c', '1', '--duration', '1']);
  r = await finished(p);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, new RegExp(`netns:/run/netns/${lab.client}@any shares the network namespace of netns:${lab.client}@any: captured once`));
  assert.equal((r.stderr.match(/listening on/g) ?? []).length, 1);
});

/** A process in its own network namespace (unshare --net), lo up; killed by the caller. */
function unshared(): { pid: number; child: ChildProcess } {
  const child = spawn('unshare', ['--net', 'sh', '-c', 'ip link set lo up && exec sleep 120'], { stdio: 'ignore' });
  children.push(child);
  return { pid: child.pid!, child };
}

async function waitUntil(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

interface Rec { data: Uint8Array; ts: string }
async function records(path: string): Promise<Rec[]> {
  const reader = await openCapture(path);
  const out: Rec[] = [];
  await reader.forEach((r) => { out.push({ data: r.data.slice(), ts: `${r.tsSec}.${r.tsNsec}` }); });
  reader.close();
  return out;
}

for (const backend of ['native', 'tcpdump'] as const) {
  test(`--pid and --netns (${backend}): byte for byte what nsenter -t PID -n tcpdump -w captures`, { skip }, async () => {
    const { pid, child } = unshared();
    const nsPath = `/proc/${pid}/ns/net`;
    await waitUntil(() => execFileSync('nsenter', ['-t', String(pid), '-n', 'ip', '-br', 'link', 'show', 'lo'], { encoding: 'utf8' }).includes('UP'), 'lo up');
    const filter = `udp port ${PORT + 2}`;
    const byPid = join(work, `pid-${backend}.pcap`);
    const byPath = join(work, `netns-${backend}.pcapng`);
    const ref = join(work, `nsenter-${backend}.pcap`);
    const a = wiresage(['--backend', backend, '--pid', String(pid), '-i', 'lo', '-F', 'pcap', '-w', byPid, filter]);
    const b = wiresage(['--backend', backend, '--netns', nsPath, '-i', 'lo', '-w', byPath, filter]);
    const t = spawn('nsenter', ['-t', String(pid), '-n', 'tcpdump', '-i', 'lo', '-U', '-Z', 'root', '--time-stamp-precision=nano', '-w', ref, filter], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(t);
    const done = [finished(a), finished(b), finished(t)];
    await Promise.all([waitForText(a, 'listening on'), waitForText(b, 'listening on'), waitForText(t, 'listening on')]);
    execFileSync('nsenter', ['-t', String(pid), '-n', process.execPath, '-e', `
      const s = require('dgram').createSocket('udp4');
      let i = 0;
      const next = () => { if (i < 200) s.send('pid capture ' + i++, ${PORT + 2}, '127.0.0.1', next); else s.close(); };
      next();`]);
    await new Promise((r) => setTimeout(r, 1500));
    for (const c of [a, b, t]) c.kill('SIGINT');
    const [ra, rb, rt] = await Promise.all(done);
    child.kill('SIGKILL');
    assert.equal(ra.code, 0, ra.stderr);
    assert.equal(rb.code, 0, rb.stderr);
    assert.equal(rt.code, 0, rt.stderr);
    assert.match(ra.stderr, new RegExp(`listening on pid:${pid}@lo \\(lo in network namespace ${nsPath}, PID ${pid}\\)`));
    const [mine, viaPath, theirs] = await Promise.all([records(byPid), records(byPath), records(ref)]);
    // On lo every datagram is seen once (outgoing copies of lo are not duplicated by libpcap).
    assert.equal(theirs.length, 200);
    assert.equal(mine.length, theirs.length);
    assert.equal(viaPath.length, theirs.length);
    for (let i = 0; i < theirs.length; i++) {
      assert.deepEqual(mine[i].data, theirs[i].data, `packet ${i}`);
      assert.deepEqual(viaPath[i].data, theirs[i].data, `packet ${i} (--netns)`);
      assert.equal(mine[i].ts, theirs[i].ts, `timestamp ${i}`);
    }
    assert.deepEqual(tshark(byPath, ['frame.interface_name'])[0], [`netns:${nsPath}@lo`]);
  });
}

test('the namespace goes away mid-capture (its process exits): reported, file valid, exit 1 (also after -Z dropped root)', { skip }, async () => {
  const { pid, child } = unshared();
  await waitUntil(() => fs.existsSync(`/proc/${pid}/ns/net`), 'the namespace');
  const file = join(work, 'gone.pcapng');
  const p = wiresage(['--pid', String(pid), '-Z', 'nobody', '-w', file]);
  const done = finished(p);
  await waitForText(p, 'listening on');
  execFileSync('nsenter', ['-t', String(pid), '-n', process.execPath, '-e',
    `const s = require('dgram').createSocket('udp4'); s.send('before exit', ${PORT + 3}, '127.0.0.1', () => s.close());`]);
  await new Promise((r) => setTimeout(r, 300));
  child.kill('SIGKILL');
  const r = await Promise.race([done, new Promise<never>((_, reject) => setTimeout(() => reject(new Error('did not notice')), 10_000))]);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /dropped privileges to nobody/);
  assert.match(r.stderr, new RegExp(`capture on pid:${pid}@any stopped: its network namespace is gone: process ${pid} exited`));
  const got = tshark(file, ['udp.dstport']);
  assert.equal(got.filter((x) => x[0] === String(PORT + 3)).length, 2, 'the datagram (out and in on lo) is in the file');
});

test('entering a namespace without the right: a clear message for both backends, exit 1', { skip }, async () => {
  for (const backend of ['native', 'tcpdump']) {
    const r = spawnSync('setpriv', ['--reuid=nobody', '--regid=nogroup', '--clear-groups', '--inh-caps=-all', process.execPath, cli, 'capture',
      '--backend', backend, '--netns', lab.client, '-c', '1'], { encoding: 'utf8' });
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, new RegExp(`netns:${lab.client}@any: .*Operation not permitted.*\\(entering a namespace needs root: CAP_SYS_ADMIN\\)`), backend);
  }
});

test('an interface removed inside the namespace mid-capture (from outside it): reported, file valid, exit 1', { skip }, async () => {
  const extra = createLab();
  try {
    const file = join(work, 'removed.pcapng');
    const p = wiresage(['--netns', extra.a, '-i', extra.ifA, '-w', file, `udp port ${PORT + 4}`]);
    const done = finished(p);
    await waitForText(p, 'listening on');
    extra.sendUdp(30, PORT + 4);
    await new Promise((r) => setTimeout(r, 300));
    execFileSync('ip', ['-n', extra.a, 'link', 'del', extra.ifA]);
    const r = await Promise.race([done, new Promise<never>((_, reject) => setTimeout(() => reject(new Error('did not notice')), 10_000))]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, new RegExp(`capture on netns:${extra.a}@${extra.ifA} stopped: .*(went down|disappeared)`, 'i'));
    assert.equal(tshark(file, ['udp.dstport']).length, 30);
  } finally {
    extra.close();
  }
});
