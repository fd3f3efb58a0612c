/**
 * host, pid: and netns: targets with real namespaces: a process made with `unshare --net`, two
 * `ip netns` namespaces joined by a veth pair; errors for PIDs and namespaces that do not
 * exist or are gone; `wiresage ifaces` on them (text, JSON, exit codes).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { statSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { listTargets, parseTargetSpec, resolveTarget, targetAlive } from './index.js';
import { interfacesWithPeers } from './links.js';
import { childrenOf, enginesMissing, rejectsWith } from './_engines.js';

const cli = fileURLToPath(new URL('../../cli/main.js', import.meta.url));
const skip = enginesMissing('ip', 'unshare', 'nsenter');
const id = `${process.pid % 100000}`;
const nsA = `wstgt${id}a`;
const nsB = `wstgt${id}b`;

function ip(...args: string[]): string {
  return execFileSync('ip', args, { encoding: 'utf8' });
}

function removeNetns(): void {
  for (const ns of [nsA, nsB]) {
    for (const pid of spawnSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' }).stdout?.split('\n').filter(Boolean) ?? []) {
      try { process.kill(Number(pid), 'SIGKILL'); } catch { /* gone */ }
    }
    spawnSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
  }
}

function wiresage(args: string[]) {
  return spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 60_000 });
}

test('target specs: kinds, bare words, unknown kinds', () => {
  assert.deepEqual(parseTargetSpec('host'), { kind: 'host', value: '' });
  assert.deepEqual(parseTargetSpec('host:eth0'), { kind: 'host', value: 'eth0' });
  assert.deepEqual(parseTargetSpec('1234'), { kind: 'pid', value: '1234' });
  assert.deepEqual(parseTargetSpec('pod:shop/web-0'), { kind: 'pod', value: 'shop/web-0' });
  assert.deepEqual(parseTargetSpec('web'), { kind: 'container', value: 'web' });
  assert.deepEqual(parseTargetSpec('/run/netns/x'), { kind: 'netns', value: '/run/netns/x' });
  assert.deepEqual(parseTargetSpec('containerd://abc'), { kind: 'container', value: 'containerd://abc' });
  assert.deepEqual(parseTargetSpec('cri-o://abc'), { kind: 'container', value: 'cri-o://abc' });
  assert.throws(() => parseTargetSpec('vm:x'), /unknown capture target kind 'vm'/);
  assert.throws(() => parseTargetSpec('  '), /empty capture target/);
});

test('host: this process\'s namespace; host:IFACE keeps the interface', async () => {
  const h = await resolveTarget('host');
  const st = statSync('/proc/self/ns/net');
  assert.equal(h.netnsId, `${st.dev}:${st.ino}`);
  assert.equal(h.netns, undefined);
  assert.equal(h.label, 'host');
  assert.equal((await resolveTarget('host:lo')).iface, 'lo');
});

test('pid: and netns: with real namespaces, veth peers, errors, ifaces CLI', { skip }, async () => {
  removeNetns();
  const work = mkdtempSync('/tmp/wstgt-');
  const child = spawn('unshare', ['--net', '--fork', '--kill-child', 'sleep', '600'], { stdio: 'ignore' });
  try {
    // The forked sleep is unshare's child: find it (its parent is unshare).
    let sleeper = 0;
    for (let i = 0; i < 50 && !sleeper; i++) {
      await new Promise((r) => setTimeout(r, 50));
      sleeper = childrenOf(child.pid!)[0] ?? 0;
    }
    assert.ok(sleeper > 0, 'unshare --net did not start its child');

    const p = await resolveTarget(`pid:${sleeper}`);
    assert.equal(p.kind, 'pid');
    assert.equal(p.pid, sleeper);
    assert.equal(p.netns, `/proc/${sleeper}/ns/net`);
    assert.equal(p.label, `sleep-${sleeper}`);
    assert.notEqual(p.netnsId, (await resolveTarget('host')).netnsId, 'unshare --net made a new namespace');
    const st = statSync(`/proc/${sleeper}/ns/net`);
    assert.equal(p.netnsId, `${st.dev}:${st.ino}`);
    // A bare number is a PID; the namespace path is a netns target with the same id.
    assert.equal((await resolveTarget(String(sleeper))).netnsId, p.netnsId);
    const byPath = await resolveTarget(`netns:/proc/${sleeper}/ns/net`);
    assert.equal(byPath.kind, 'netns');
    assert.equal(byPath.netnsId, p.netnsId);
    assert.equal(byPath.pid, sleeper);
    // The namespace seen from inside (nsenter) is the one resolved: only lo, down.
    const inside = JSON.parse(execFileSync('nsenter', [`--net=${p.netns}`, 'ip', '-j', 'link'], { encoding: 'utf8' })) as Array<{ ifname: string }>;
    assert.deepEqual(inside.map((l) => l.ifname), ['lo']);

    // ip netns namespaces joined by a veth pair.
    ip('netns', 'add', nsA);
    ip('netns', 'add', nsB);
    ip('link', 'add', `wstv${id}a`, 'type', 'veth', 'peer', 'name', `wstv${id}b`);
    ip('link', 'set', `wstv${id}a`, 'netns', nsA, 'name', 'eth0');
    ip('link', 'set', `wstv${id}b`, 'netns', nsB, 'name', 'eth1');
    ip('-n', nsA, 'addr', 'add', '10.251.77.1/24', 'dev', 'eth0');
    ip('-n', nsA, 'link', 'set', 'eth0', 'mtu', '1400', 'up');
    ip('-n', nsB, 'link', 'set', 'eth1', 'up');
    const a = await resolveTarget(`netns:${nsA}`);
    assert.equal(a.netns, `/run/netns/${nsA}`);
    assert.equal(a.label, nsA);
    assert.equal((await resolveTarget(nsA)).netnsId, a.netnsId, 'a bare ip netns name');
    assert.equal((await resolveTarget(`netns:/run/netns/${nsA}`)).netnsId, a.netnsId);
    assert.ok(targetAlive(a));

    const ifaces = await interfacesWithPeers(a, listTargets);
    const eth0 = ifaces.find((i) => i.name === 'eth0')!;
    assert.equal(eth0.mtu, 1400);
    assert.equal(eth0.kind, 'veth');
    assert.deepEqual(eth0.addresses.filter((x) => x.family === 'inet').map((x) => `${x.address}/${x.prefixlen}`), ['10.251.77.1/24']);
    const bIfindex = (JSON.parse(ip('-j', '-n', nsB, 'link', 'show', 'eth1')) as Array<{ ifindex: number }>)[0].ifindex;
    assert.equal(eth0.peer?.ifindex, bIfindex);
    assert.equal(eth0.peer?.name, 'eth1');
    assert.equal(eth0.peer?.target, nsB);

    // listTargets shows both namespaces, once each.
    const all = await listTargets();
    assert.equal(all[0].kind, 'host');
    assert.equal(all.filter((t) => t.netnsId === a.netnsId).length, 1);
    assert.ok(all.some((t) => t.label === nsB));

    // The CLI: text like ip a, JSON, exit codes.
    const text = wiresage(['ifaces', `netns:${nsA}`]);
    assert.equal(text.status, 0, text.stderr);
    assert.match(text.stdout, new RegExp(`^# netns ${nsA}, netns /run/netns/${nsA} \\[${a.netnsId}\\]`));
    assert.match(text.stdout, new RegExp(`\\d+: eth0@if${bIfindex}: <[A-Z_,]*UP[A-Z_,]*> mtu 1400 state \\w+ veth`));
    assert.match(text.stdout, new RegExp(`peer: eth1 \\(ifindex ${bIfindex}\\) in netns ${nsB}`));
    assert.match(text.stdout, /inet 10\.251\.77\.1\/24 scope global/);
    const json = wiresage(['ifaces', `netns:${nsA}`, '--json']);
    assert.equal(json.status, 0, json.stderr);
    const doc = JSON.parse(json.stdout) as { target: { netnsId: string }; interfaces: Array<{ name: string; peer?: { name?: string } }> };
    assert.equal(doc.target.netnsId, a.netnsId);
    assert.equal(doc.interfaces.find((i) => i.name === 'eth0')?.peer?.name, 'eth1');
    const listed = wiresage(['ifaces', '--targets', '--json']);
    assert.equal(listed.status, 0, listed.stderr);
    assert.ok((JSON.parse(listed.stdout) as Array<{ label: string }>).some((t) => t.label === nsA));

    // Errors: unknown names with close names, files that are not namespaces, gone PIDs, usage.
    const close = await rejectsWith(resolveTarget(`netns:${nsA.slice(0, -1)}x`), new RegExp(`no network namespace named '${nsA.slice(0, -1)}x'`));
    assert.match(close.message, new RegExp(`did you mean .*${nsA}`));
    const notNs = join(work, 'plain');
    writeFileSync(notNs, 'x');
    await rejectsWith(resolveTarget(`netns:${notNs}`), /is not a network namespace file/);
    await rejectsWith(resolveTarget(`netns:${join(work, 'missing')}`), /no network namespace at .*no such file/);
    await rejectsWith(resolveTarget('pid:0'), /not a process id/);
    await rejectsWith(resolveTarget('pid:12x'), /a PID is a whole number/);
    const missingPid = 4_000_000;
    await rejectsWith(resolveTarget(`pid:${missingPid}`), new RegExp(`no process with PID ${missingPid}`));
    const bad = wiresage(['ifaces', `pid:${missingPid}`]);
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /wiresage ifaces: no process with PID 4000000\n  hint: /);
    assert.equal(wiresage(['ifaces', 'a', 'b']).status, 2, 'two targets is a usage error');
    assert.equal(wiresage(['ifaces', 'vm:x']).status, 1);

    // Gone: the namespace is deleted, the process killed.
    ip('netns', 'del', nsA);
    assert.equal(targetAlive(a), false);
    await rejectsWith(resolveTarget(`netns:${nsA}`), /no network namespace named/);
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    for (let i = 0; i < 40 && spawnSync('kill', ['-0', String(sleeper)]).status === 0; i++) await new Promise((r) => setTimeout(r, 50));
    assert.equal(targetAlive(p), false);
    await rejectsWith(resolveTarget(`pid:${sleeper}`), /no process with PID/);
    await rejectsWith(resolveTarget(`netns:/proc/${sleeper}/ns/net`), new RegExp(`process ${sleeper} is gone`));
  } finally {
    child.kill('SIGKILL');
    removeNetns();
    rmSync(work, { recursive: true, force: true });
  }
});
