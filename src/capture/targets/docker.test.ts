/**
 * Docker targets against a real, private dockerd (started here, removed afterwards): two
 * containers from a busybox image built locally, one joining the other's network
 * (`--network container:web`); resolved by name, full ID, ID prefix and docker://ID, checked
 * against `nsenter -t PID -n ip a`; a stopped container, unknown names with close names, a
 * missing socket, a socket refused to an unprivileged user; `wiresage ifaces` showing the
 * host-side veth on the daemon's bridge.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { listTargets, resolveTarget } from './index.js';
import { startDocker, rejectsWith } from './_engines.js';

const cli = fileURLToPath(new URL('../../cli/main.js', import.meta.url));
const index = fileURLToPath(new URL('./index.js', import.meta.url));

test('docker: containers by name, ID, prefix, shared namespaces, errors, ifaces', { timeout: 180_000 }, async (t) => {
  const chainsBefore = (spawnSync('iptables', ['-w', '-S'], { encoding: 'utf8' }).stdout ?? '').split('\n').filter((l) => /^-N DOCKER/.test(l));
  const docker = await startDocker();
  if (typeof docker === 'string') {
    t.skip(`docker cannot run here: ${docker}`);
    return;
  }
  const saved = { ...process.env };
  try {
    // Only this test's daemon: no other runtime answers.
    process.env.DOCKER_HOST = `unix://${docker.socket}`;
    process.env.CONTAINER_HOST = 'unix:///nonexistent/podman.sock';
    process.env.CONTAINERD_ADDRESS = '/nonexistent/containerd.sock';
    process.env.CONTAINER_RUNTIME_ENDPOINT = 'unix:///nonexistent/cri.sock';
    const webId = await docker.run('wsweb', ['httpd', '-f', '-p', '8080', '-h', '/www']);
    const sideId = await docker.run('wsside', ['sleep', '600'], { network: 'container:wsweb' });
    const dbId = await docker.run('wsdb', ['sleep', '600']);
    await docker.run('wshostnet', ['sleep', '600'], { network: 'host' });

    const web = await resolveTarget('container:wsweb');
    assert.equal(web.kind, 'container');
    assert.equal(web.runtime, 'docker');
    assert.equal(web.label, 'wsweb');
    assert.equal(web.containerId, webId);
    assert.equal(web.netns, `/proc/${web.pid}/ns/net`);
    assert.deepEqual(web.containers, ['wsside', 'wsweb']);
    // Same container by full ID, ID prefix, docker://ID and a bare name.
    for (const spec of [`container:${webId}`, `container:${webId.slice(0, 5)}`, `docker://${webId}`, 'wsweb']) {
      const again = await resolveTarget(spec);
      assert.equal(again.containerId, webId, spec);
      assert.equal(again.netnsId, web.netnsId, spec);
    }
    // The namespace is the container's: its address as Docker reports it is inside.
    const inspect = (await docker.client.inspect('wsweb')) as unknown as { NetworkSettings: { IPAddress: string } };
    const ipa = execFileSync('nsenter', ['-t', String(web.pid), '-n', 'ip', 'a'], { encoding: 'utf8' });
    assert.ok(inspect.NetworkSettings.IPAddress.startsWith('10.252.'), inspect.NetworkSettings.IPAddress);
    assert.match(ipa, new RegExp(`inet ${inspect.NetworkSettings.IPAddress.replace(/\./g, '\\.')}/24`));

    // --network container:wsweb: another container, the same capture point.
    const side = await resolveTarget('container:wsside');
    assert.equal(side.containerId, sideId);
    assert.equal(side.netnsId, web.netnsId);
    assert.equal(side.sharedWith, 'wsweb');
    assert.notEqual(side.pid, web.pid);
    const db = await resolveTarget('container:wsdb');
    assert.equal(db.containerId, dbId);
    assert.notEqual(db.netnsId, web.netnsId);
    assert.deepEqual(db.containers, ['wsdb']);

    // listTargets: one point for web+side (named after the owner), one for db.
    const all = await listTargets();
    const points = all.filter((x) => x.runtime === 'docker');
    assert.equal(points.length, 2);
    // --network host: the host's point, and it says so.
    assert.equal(all[0].kind, 'host');
    assert.deepEqual(all[0].containers, ['wshostnet']);
    assert.equal((await resolveTarget('container:wshostnet')).netnsId, all[0].netnsId);
    const shared = points.find((x) => x.netnsId === web.netnsId)!;
    assert.equal(shared.label, 'wsweb');
    assert.deepEqual(shared.containers, ['wsside', 'wsweb']);

    // ifaces: eth0 inside, its peer is a veth on the daemon's bridge in the host.
    const r = spawnSync(process.execPath, [cli, 'ifaces', 'container:wsweb', '--json'], { encoding: 'utf8', env: process.env, timeout: 60_000 });
    assert.equal(r.status, 0, r.stderr);
    const doc = JSON.parse(r.stdout) as { interfaces: Array<{ name: string; kind?: string; peer?: { ifindex: number; name?: string; targetKind?: string; master?: string } }> };
    const eth0 = doc.interfaces.find((i) => i.name === 'eth0')!;
    assert.equal(eth0.kind, 'veth');
    assert.equal(eth0.peer?.targetKind, 'host');
    assert.equal(eth0.peer?.master, docker.bridge);
    const onBridge = JSON.parse(execFileSync('ip', ['-j', 'link', 'show', 'master', docker.bridge], { encoding: 'utf8' })) as Array<{ ifname: string; ifindex: number }>;
    assert.ok(onBridge.some((l) => l.ifname === eth0.peer?.name && l.ifindex === eth0.peer?.ifindex), `${eth0.peer?.name} not on ${docker.bridge}`);
    // From the host side: that veth's peer is wsweb's eth0 (the point named after its owner).
    const hostSide = spawnSync(process.execPath, [cli, 'ifaces', 'host', '--json'], { encoding: 'utf8', env: process.env, timeout: 60_000 });
    assert.equal(hostSide.status, 0, hostSide.stderr);
    const veth = (JSON.parse(hostSide.stdout) as typeof doc).interfaces.find((i) => i.name === eth0.peer?.name)!;
    assert.equal(veth.peer?.name, 'eth0');
    assert.equal(veth.peer?.targetKind, 'container');
    assert.equal((veth.peer as { target?: string }).target, 'wsweb');
    const text = spawnSync(process.execPath, [cli, 'ifaces', 'container:wsside'], { encoding: 'utf8', env: process.env, timeout: 60_000 });
    assert.equal(text.status, 0, text.stderr);
    assert.match(text.stdout, /^# container wsside, docker [0-9a-f]{12}, pid \d+, netns \/proc\/\d+\/ns\/net \[\d+:\d+\], joined wsweb's network, containers: wsside, wsweb/);
    assert.match(text.stdout, new RegExp(`eth0@if${eth0.peer!.ifindex}: .* veth\\n.*\\n    peer: ${eth0.peer!.name} \\(ifindex ${eth0.peer!.ifindex}\\) in the host, on bridge ${docker.bridge}`));

    // Without the socket: IDs and prefixes by cgroup; a PID says which container it is in.
    const ofPid = await resolveTarget(`pid:${web.pid}`);
    assert.equal(ofPid.containerId, webId);
    assert.equal(ofPid.runtime, 'docker');
    process.env.DOCKER_HOST = 'unix:///nonexistent/docker.sock';
    const byCgroup = await resolveTarget(`container:${webId.slice(0, 12)}`);
    assert.equal(byCgroup.containerId, webId);
    assert.equal(byCgroup.runtime, 'docker');
    assert.equal(byCgroup.pid, web.pid, 'the container\'s first process');
    assert.equal(byCgroup.netnsId, web.netnsId);
    await rejectsWith(resolveTarget('container:wsweb'), /no container runtime is running here/);
    process.env.DOCKER_HOST = `unix://${docker.socket}`;

    // Errors: unknown name (close names), stopped container, removed daemon socket.
    const unknown = await rejectsWith(resolveTarget('container:wswbe'), /no container named 'wswbe' \(nor with that ID or ID prefix\) in docker/);
    assert.match(unknown.message, /did you mean [^?]*wsweb/);
    await docker.stop('wsdb');
    const stopped = await rejectsWith(resolveTarget('container:wsdb'), /docker container 'wsdb' \([0-9a-f]{12}\) is not running \(exited with code \d+; PID 0\)/);
    assert.match(stopped.message, /docker start wsdb/);
    const cliStopped = spawnSync(process.execPath, [cli, 'ifaces', 'container:wsdb'], { encoding: 'utf8', env: process.env, timeout: 60_000 });
    assert.equal(cliStopped.status, 1);
    assert.match(cliStopped.stderr, /is not running/);

    // An unprivileged user is refused by the socket: a clear message, exit 1.
    chmodSync(dirname(docker.socket), 0o755); // as /var/run is: the socket's own mode is the gate
    const script = `import(${JSON.stringify(index)}).then(m => m.resolveTarget('container:wsweb')).then(() => process.exit(0), (e) => { process.stderr.write(e.message); process.exit(1); })`;
    const nobody = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, '-e', script], { encoding: 'utf8', env: process.env, timeout: 60_000 });
    if (nobody.error || /setpriv: (failed|not found)/.test(nobody.stderr)) t.diagnostic(`setpriv unavailable: ${nobody.stderr}`);
    else {
      assert.equal(nobody.status, 1);
      assert.match(nobody.stderr, new RegExp(`permission denied on ${docker.socket.replace(/[.]/g, '\\.')}`));
    }

    process.env.DOCKER_HOST = 'unix:///nonexistent/docker.sock';
    await rejectsWith(resolveTarget('container:wsweb'), /no container runtime is running here, so 'container:wsweb' cannot be found\n  hint: looked for: docker \(\/nonexistent\/docker\.sock\)/);
    process.env.DOCKER_HOST = 'tcp://127.0.0.1:2375';
    await rejectsWith(resolveTarget('container:wsweb'), /only unix:\/\/ sockets are supported/);
  } finally {
    process.env = saved;
    await docker.close();
  }
  // Nothing left behind: no bridge, no DOCKER chains.
  assert.equal(spawnSync('ip', ['link', 'show', docker.bridge], { stdio: 'ignore' }).status !== 0, true);
  const after = spawnSync('iptables', ['-w', '-S'], { encoding: 'utf8' }).stdout ?? '';
  assert.deepEqual(after.split('\n').filter((l) => /^-N DOCKER/.test(l)), chainsBefore);
  assert.ok(!after.includes(docker.bridge), `iptables rules for ${docker.bridge} left behind`);
});
