/**
 * Real TCP traffic, captured and compared with tshark: Linux TCP stacks talking through a
 * router namespace that drops 8% of the packets each way (nftables `numgen random`; this
 * kernel has no netem), so the capture holds genuine retransmissions, duplicate ACKs, SACK,
 * lost segments and ACKed-unseen segments; plus a receiver that stops reading (zero window,
 * window probes) and a port reused after close. Every flow field, the conversation table and
 * the followed stream must equal tshark's. Needs root, iproute2, nftables and tcpdump;
 * namespaces are named after the test's pid and deleted in `finally`.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { openCapture } from '../file/open.js';
import { noTshark, tsharkFields, wiresage } from '../testing/tshark.js';
import { FlowEngine } from './engine.js';
import { noteFieldNames, noteFieldText } from './note-fields.js';

const canRun = ((): string | false => {
  if (noTshark) return noTshark;
  if (process.getuid?.() !== 0) return 'needs root (network namespaces)';
  for (const t of ['ip', 'nft', 'tcpdump', 'ethtool']) if (spawnSync('which', [t]).status !== 0) return `needs ${t}`;
  if (!existsSync('/usr/bin/python3')) return 'needs /usr/bin/python3';
  return false;
})();

const P = `wsf${process.pid % 100000}`;
const NS = { c: `${P}c`, r: `${P}r`, s: `${P}s` };
const CLIENT = '10.251.71.2';
const SERVER = '10.251.72.2';

function sh(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

function inNs(ns: string, ...args: string[]): string {
  return sh('ip', ['netns', 'exec', ns, ...args]);
}

function setup(): void {
  for (const ns of Object.values(NS)) sh('ip', ['netns', 'add', ns]);
  sh('ip', ['link', 'add', `${P}a`, 'type', 'veth', 'peer', 'name', `${P}b`]);
  sh('ip', ['link', 'add', `${P}x`, 'type', 'veth', 'peer', 'name', `${P}y`]);
  sh('ip', ['link', 'set', `${P}a`, 'netns', NS.c, 'name', 'eth0']);
  sh('ip', ['link', 'set', `${P}b`, 'netns', NS.r, 'name', 'eth0']);
  sh('ip', ['link', 'set', `${P}x`, 'netns', NS.r, 'name', 'eth1']);
  sh('ip', ['link', 'set', `${P}y`, 'netns', NS.s, 'name', 'eth0']);
  const conf = (ns: string, ifs: string[], addrs: string[]) => {
    inNs(ns, 'sysctl', '-qw', 'net.ipv6.conf.all.disable_ipv6=1');
    inNs(ns, 'ip', 'link', 'set', 'lo', 'up');
    ifs.forEach((i, k) => {
      inNs(ns, 'ip', 'addr', 'add', addrs[k], 'dev', i);
      inNs(ns, 'ip', 'link', 'set', i, 'up');
      // Segments as sent, not 64 KB offload "super-packets".
      spawnSync('ip', ['netns', 'exec', ns, 'ethtool', '-K', i, 'tso', 'off', 'gso', 'off', 'gro', 'off'], { stdio: 'ignore' });
    });
  };
  conf(NS.c, ['eth0'], [`${CLIENT}/24`]);
  conf(NS.r, ['eth0', 'eth1'], ['10.251.71.1/24', '10.251.72.1/24']);
  conf(NS.s, ['eth0'], [`${SERVER}/24`]);
  inNs(NS.c, 'ip', 'route', 'add', 'default', 'via', '10.251.71.1');
  inNs(NS.s, 'ip', 'route', 'add', 'default', 'via', '10.251.72.1');
  inNs(NS.r, 'sysctl', '-qw', 'net.ipv4.ip_forward=1');
  inNs(NS.r, 'nft', 'add', 'table', 'inet', 'f');
  inNs(NS.r, 'nft', 'add', 'chain', 'inet', 'f', 'fwdchain', '{ type filter hook forward priority 0 ; }');
  inNs(NS.r, 'nft', 'add', 'rule', 'inet', 'f', 'fwdchain', 'numgen', 'random', 'mod', '100', '<', '8', 'drop');
}

function teardown(procs: ChildProcess[]): void {
  for (const p of procs) if (p.exitCode === null && p.pid) try { process.kill(p.pid, 'SIGKILL'); } catch { /* gone */ }
  for (const ns of Object.values(NS)) {
    const pids = spawnSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' }).stdout.trim().split(/\s+/).filter(Boolean);
    for (const pid of pids) try { process.kill(Number(pid), 'SIGKILL'); } catch { /* gone */ }
    spawnSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
  }
}

const SERVER_PY = `
import socket, threading, sys, time
srv = socket.socket(); srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(('${SERVER}', 8080)); srv.listen(64)
def handle(c):
    try:
        req = c.recv(100)
        n = int(req.split()[1])
        c.sendall(b'HTTP/1.0 200 OK\\r\\n\\r\\n' + bytes((i * 7) & 255 for i in range(n)))
        c.shutdown(socket.SHUT_WR)
        while c.recv(4096): pass
    except Exception: pass
    finally: c.close()
while True:
    c, _ = srv.accept(); threading.Thread(target=handle, args=(c,), daemon=True).start()
`;

const CLIENT_PY = `
import socket, time
def get(n, port=0, slow=False):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if slow: s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    if port: s.bind(('${CLIENT}', port))
    s.settimeout(20)
    s.connect(('${SERVER}', 8080))
    s.sendall(b'GET %d\\n' % n)
    if slow: time.sleep(3)          # stop reading: the window closes, the server probes
    got = 0
    while True:
        d = s.recv(65536)
        if not d: break
        got += len(d)
    s.close()
    return got
for n in (200000, 300000, 150000): get(n)
get(100000, 40123)
time.sleep(0.5)
get(120000, 40123)                  # the same port again: a new stream
get(200000, slow=True)
`;

test('real lossy TCP through a router namespace: every flow field, conv and follow equal tshark', { skip: canRun, timeout: 180000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'wiresage-live-'));
  const file = join(dir, 'lossy.pcap');
  const procs: ChildProcess[] = [];
  try {
    setup();
    writeFileSync(join(dir, 'server.py'), SERVER_PY);
    writeFileSync(join(dir, 'client.py'), CLIENT_PY);
    const server = spawn('ip', ['netns', 'exec', NS.s, '/usr/bin/python3', join(dir, 'server.py')], { stdio: 'ignore' });
    procs.push(server);
    const dump = spawn('ip', ['netns', 'exec', NS.c, 'tcpdump', '-U', '--immediate-mode', '-s', '0', '-i', 'eth0', '-w', file, 'tcp'], { stdio: ['ignore', 'ignore', 'pipe'] });
    procs.push(dump);
    await new Promise<void>((resolve, reject) => {
      let err = '';
      dump.stderr!.on('data', (d) => {
        err += d;
        if (err.includes('listening')) resolve();
      });
      dump.on('exit', () => reject(new Error(`tcpdump ended: ${err}`)));
    });
    await new Promise((r) => setTimeout(r, 300));
    const client = spawnSync('ip', ['netns', 'exec', NS.c, '/usr/bin/python3', join(dir, 'client.py')], { encoding: 'utf8', timeout: 120000 });
    assert.equal(client.status, 0, client.stderr);
    await new Promise((r) => setTimeout(r, 500));
    dump.kill('SIGINT');
    await new Promise((r) => dump.once('exit', r));
    assert.ok(statSync(file).size > 100000);

    // Every flow field, packet by packet.
    const fields = [...noteFieldNames];
    const t = tsharkFields(file, fields);
    const engine = new FlowEngine();
    const rows: string[][] = [];
    const reader = await openCapture(file);
    await reader.forEach((r) => {
      engine.record(r);
      rows.push(fields.map((f) => noteFieldText(engine, f)));
    });
    reader.close();
    assert.equal(rows.length, t.length);
    const bad: string[] = [];
    const seen = new Set<string>();
    for (let i = 0; i < rows.length; i++) {
      for (let j = 0; j < fields.length; j++) {
        if (rows[i][j] !== (t[i][j] ?? '') && bad.length < 10) bad.push(`frame ${i + 1} ${fields[j]}: tshark '${t[i][j]}' ours '${rows[i][j]}'`);
        if (rows[i][j] && fields[j].startsWith('tcp.analysis.')) seen.add(fields[j]);
      }
    }
    assert.deepEqual(bad, []);
    // The loss really produced the interesting cases.
    for (const f of ['tcp.analysis.retransmission', 'tcp.analysis.duplicate_ack', 'tcp.analysis.reused_ports']) assert.ok(seen.has(f), `no ${f} in the capture`);
    assert.equal(engine.tcpStreamCount, 6);

    // The conversation table and a followed stream.
    const env = { ...process.env, LC_ALL: 'C' };
    const conv = spawnSync('tshark', ['-n', '-r', file, '-q', '-z', 'conv,tcp'], { encoding: 'utf8', env }).stdout;
    assert.equal(wiresage(['conv', file, '--tshark']).stdout, conv);
    for (const s of ['0', '5']) {
      const follow = spawnSync('tshark', ['-n', '-r', file, '-q', '-z', `follow,tcp,ascii,${s}`], { encoding: 'utf8', env, maxBuffer: 1 << 28 }).stdout;
      assert.equal(wiresage(['follow', file, '--stream', s]).stdout, follow, `follow stream ${s}`);
    }
    const states = wiresage(['conv', file, '--json', '--sort', 'stream']).stdout.trim().split('\n').map((l) => JSON.parse(l));
    assert.ok(states.every((s) => s.handshake), 'every connection saw its handshake');
  } finally {
    teardown(procs);
    rmSync(dir, { recursive: true, force: true });
  }
});

test('loopback: real connections with node net, no loss: fields equal tshark, SF states', { skip: canRun, timeout: 60000 }, async (ctx) => {
  const dir = mkdtempSync(join(tmpdir(), 'wiresage-lo-'));
  const file = join(dir, 'lo.pcap');
  const ns = `${P}l`;
  const procs: ChildProcess[] = [];
  try {
    sh('ip', ['netns', 'add', ns]);
    inNs(ns, 'ip', 'link', 'set', 'lo', 'up');
    // A 16 MiB buffer: on a loaded machine the kernel may otherwise drop some of the 50 KB answers.
    const dump = spawn('ip', ['netns', 'exec', ns, 'tcpdump', '-U', '--immediate-mode', '-B', '16384', '-i', 'lo', '-w', file, 'tcp'], { stdio: ['ignore', 'ignore', 'pipe'] });
    procs.push(dump);
    let dumpErr = '';
    await new Promise<void>((resolve) => dump.stderr!.on('data', (d) => { dumpErr += String(d); if (dumpErr.includes('listening')) resolve(); }));
    const script = `
      const net = require('net');
      const srv = net.createServer((c) => { c.on('data', (d) => c.end(Buffer.alloc(50000, 65))); }).listen(9000, '127.0.0.1', async () => {
        for (let i = 0; i < 4; i++) await new Promise((r) => { const s = net.connect(9000, '127.0.0.1', () => s.write('hi')); s.on('data', () => {}); s.on('end', () => { s.end(); r(); }); });
        srv.close();
      });`;
    const r = spawnSync('ip', ['netns', 'exec', ns, process.execPath, '-e', script], { encoding: 'utf8', timeout: 30000 });
    assert.equal(r.status, 0, r.stderr);
    // Time for the last FINs to reach the capture before it stops.
    await new Promise((res) => setTimeout(res, 1000));
    dump.kill('SIGINT');
    await new Promise((res) => dump.once('exit', res));
    const fields = [...noteFieldNames];
    const t = tsharkFields(file, fields);
    const engine = new FlowEngine();
    let i = 0;
    const reader = await openCapture(file);
    await reader.forEach((rec) => {
      engine.record(rec);
      for (let j = 0; j < fields.length; j++) assert.equal(noteFieldText(engine, fields[j]), t[i][j] ?? '', `frame ${i + 1} ${fields[j]}`);
      i++;
    });
    reader.close();
    const states = wiresage(['conv', file, '--json']).stdout.trim().split('\n').map((l) => JSON.parse(l));
    assert.equal(states.length, 4);
    // Zeek's SF needs every FIN captured: only asserted when tcpdump lost nothing (its exit summary).
    const dropped = Number(/(\d+) packets? dropped by kernel/.exec(dumpErr)?.[1] ?? '0');
    if (dropped === 0) for (const s of states) assert.equal(s.connState, 'SF', `stream ${s.stream} history ${s.history}`);
    else ctx.diagnostic(`tcpdump dropped ${dropped} packets: connection states not asserted`);
  } finally {
    teardown(procs);
    spawnSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
    rmSync(dir, { recursive: true, force: true });
  }
});
