// Capture inside Docker containers against a real, private dockerd (targets/_engines.ts starts
// it and removes it): HTTP between two containers on the daemon's bridge, captured with
// --container NAME and with --container ID-PREFIX (and the two containers as two --at points)
// while `nsenter -t PID -n tcpdump -w` captures the same traffic: byte for byte equal; a
// container sharing another's network (--network container:web) is the same capture point; a
// container stopped mid-capture is reported and leaves a valid file.
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { openCapture } from '../file/open.js';
import { captureRunner, engineCaptureMissing, finished, waitForText } from './_lab.js';
import { tryAddon } from './addon.js';
import { startDocker } from './targets/_engines.js';

const cli = join(dirname(fileURLToPath(import.meta.url)), '..', 'cli', 'main.js');

async function records(path: string): Promise<{ data: Uint8Array; ts: string; iface: string | undefined }[]> {
  const reader = await openCapture(path);
  const out: { data: Uint8Array; ts: string; iface: string | undefined }[] = [];
  await reader.forEach((r) => { out.push({ data: r.data.slice(), ts: `${r.tsSec}.${String(r.tsNsec).padStart(9, '0')}`, iface: r.iface.name }); });
  reader.close();
  return out;
}

test('docker: --container by name and by ID prefix, byte for byte what nsenter -t PID -n tcpdump sees; shared network one point; stop mid-capture', { timeout: 240_000 }, async (t) => {
  const missing = engineCaptureMissing(!!tryAddon());
  if (missing) return t.skip(missing);
  const docker = await startDocker();
  if (typeof docker === 'string') return t.skip(`docker cannot run here: ${docker}`);
  const work = fs.mkdtempSync(join(tmpdir(), 'wiresage-container-'));
  // Only this test's daemon answers.
  const capture = captureRunner(cli, {
    DOCKER_HOST: `unix://${docker.socket}`, CONTAINER_HOST: 'unix:///nonexistent/podman.sock',
    CONTAINERD_ADDRESS: '/nonexistent/containerd.sock', CONTAINER_RUNTIME_ENDPOINT: 'unix:///nonexistent/cri.sock',
  });
  const wiresage = capture.run;
  const others: ChildProcess[] = [];
  try {
    const suffix = `${process.pid}`;
    const web = `wscapweb${suffix}`;
    const side = `wscapside${suffix}`;
    const webId = await docker.run(web, ['httpd', '-f', '-p', '8080', '-h', '/www']);
    await docker.run(side, ['sleep', '600'], { network: `container:${web}` });
    const inspect = async (name: string) => (await docker.client.inspect(name)) as unknown as { State: { Pid: number }; NetworkSettings: { IPAddress: string } };
    const w = await inspect(web);
    const pid = w.State.Pid;
    const ip = w.NetworkSettings.IPAddress;
    const filter = 'tcp port 8080';
    const byName = join(work, 'by-name.pcap');
    const byPrefix = join(work, 'by-prefix.pcapng');
    const points = join(work, 'points.pcapng');
    const ref = join(work, 'nsenter.pcap');
    const a = wiresage(['--container', web, '-i', 'eth0', '-F', 'pcap', '-w', byName, filter]);
    const b = wiresage(['--container', webId.slice(0, 7), '-i', 'eth0', '-w', byPrefix, filter]);
    const c = wiresage(['--at', `container:${web}@eth0`, '--at', `container:${side}@eth0`, '--at', `host:${docker.bridge}`, '-w', points, filter]);
    const tcpdump = spawn('nsenter', ['-t', String(pid), '-n', 'tcpdump', '-i', 'eth0', '-U', '-Z', 'root', '--time-stamp-precision=nano', '-w', ref, filter], { stdio: ['ignore', 'pipe', 'pipe'] });
    others.push(tcpdump);
    const done = [a, b, c, tcpdump].map(finished);
    await Promise.all([a, b, c, tcpdump].map((p) => waitForText(p, 'listening on', 20_000)));
    // Traffic between containers: a client container fetches the page five times and exits.
    await docker.run(`wscapclient${suffix}`, ['sh', '-c', `for i in 1 2 3 4 5; do wget -q -O /dev/null http://${ip}:8080/; done`]);
    for (let i = 0; i < 100; i++) {
      const s = await docker.client.call('GET', `/containers/wscapclient${suffix}/json`);
      if ((s.body as { State?: { Running?: boolean } }).State?.Running === false) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    await new Promise((r) => setTimeout(r, 1500));
    for (const p of [a, b, c, tcpdump]) p.kill('SIGINT');
    const [ra, rb, rc, rt] = await Promise.all(done);
    for (const r of [ra, rb, rc]) assert.equal(r.code, 0, r.stderr);
    assert.equal(rt.code, 0, rt.stderr);
    assert.match(ra.stderr, new RegExp(`listening on container:${web}@eth0 \\(eth0 in network namespace /proc/${pid}/ns/net, PID ${pid}\\)`));
    assert.match(rc.stderr, new RegExp(`container:${side}@eth0 shares the network namespace of container:${web}@eth0: captured once`));
    const [mine, prefixed, theirs] = await Promise.all([records(byName), records(byPrefix), records(ref)]);
    assert.ok(theirs.length >= 5 * 6, `${theirs.length} packets: five HTTP exchanges`);
    assert.equal(mine.length, theirs.length);
    assert.equal(prefixed.length, theirs.length);
    for (let i = 0; i < theirs.length; i++) {
      assert.deepEqual(mine[i].data, theirs[i].data, `packet ${i}`);
      // Each packet socket may stamp a packet itself (no stamp on the skb yet): a few µs apart.
      assert.ok(Math.abs(Number(mine[i].ts) - Number(theirs[i].ts)) < 0.01, `timestamp ${i}: ${mine[i].ts} vs ${theirs[i].ts}`);
      assert.deepEqual(prefixed[i].data, theirs[i].data, `packet ${i} (by ID prefix)`);
    }
    assert.equal(prefixed[0].iface, `container:${webId.slice(0, 7)}@eth0`);
    // Two points: the container's eth0 and the host side of the bridge see the same requests
    // (tshark's TCP analysis calls the second copy a retransmission: count data segments to 8080).
    const rows = execFileSync('tshark', ['-r', points, '-T', 'fields', '-e', 'frame.interface_name', '-e', 'tcp.dstport', '-e', 'tcp.len'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
      .trim().split('\n').map((l) => l.split('\t'));
    const requests = (name: string) => rows.filter((r) => r[0] === name && r[1] === '8080' && Number(r[2]) > 0).length;
    assert.equal(requests(`container:${web}@eth0`), 5);
    assert.equal(requests(`host:${docker.bridge}`), 5);
    assert.equal(rows.length, 2 * theirs.length, 'both points saw every packet');

    // Stopped mid-capture: reported, file valid, exit 1.
    const gone = join(work, 'gone.pcapng');
    const p = wiresage(['--container', web, '-w', gone]);
    const pDone = finished(p);
    await waitForText(p, 'listening on', 20_000);
    await docker.stop(web);
    const r = await Promise.race([pDone, new Promise<never>((_, reject) => setTimeout(() => reject(new Error('did not notice')), 20_000))]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, new RegExp(`capture on container:${web}@any stopped: (its network namespace is gone: container ${web} \\(PID ${pid}\\) stopped|.*disappeared|.*went down)`));
    await records(gone);
    // A stopped container cannot be captured: the runtime's answer, exit 1.
    const stopped = await finished(wiresage(['--container', web, '-c', '1']));
    assert.equal(stopped.code, 1, stopped.stderr);
    assert.match(stopped.stderr, /is not running/);
  } finally {
    capture.killAll();
    for (const o of others) o.kill('SIGKILL');
    await docker.close();
    fs.rmSync(work, { recursive: true, force: true });
  }
});
