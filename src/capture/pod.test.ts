// Capture in a Kubernetes pod on this node: a real, private containerd with its CRI plugin and a
// CNI bridge (targets/_engines.ts), pods made as a kubelet makes them (sandbox with the
// io.kubernetes.* labels). `--pod NS/NAME` finds the sandbox through the CRI and captures the
// HTTP another pod sends to it; the pod's containers are one capture point with the pod.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { captureRunner, engineCaptureMissing, finished, waitForText } from './_lab.js';
import { tryAddon } from './addon.js';
import { startContainerd } from './targets/_engines.js';
import { resolveTarget } from './targets/index.js';

const cli = join(dirname(fileURLToPath(import.meta.url)), '..', 'cli', 'main.js');

test('containerd + CRI: --pod NS/NAME captures in the pod\'s sandbox namespace; its containers are the same point', { timeout: 240_000 }, async (t) => {
  const missing = engineCaptureMissing(!!tryAddon());
  if (missing) return t.skip(missing);
  const ctrd = await startContainerd();
  if (typeof ctrd === 'string') return t.skip(`containerd cannot run here: ${ctrd}`);
  const work = fs.mkdtempSync(join(tmpdir(), 'wiresage-pod-'));
  // Only this test's containerd answers; no cluster.
  const env = {
    CONTAINERD_ADDRESS: ctrd.socket, CONTAINER_RUNTIME_ENDPOINT: `unix://${ctrd.socket}`,
    DOCKER_HOST: 'unix:///nonexistent/docker.sock', CONTAINER_HOST: 'unix:///nonexistent/podman.sock', KUBECONFIG: '/nonexistent/kubeconfig',
  };
  const capture = captureRunner(cli, env);
  const wiresage = capture.run;
  try {
    await ctrd.runPod({ name: 'web-0', namespace: 'shop', uid: 'uid-web-0', containers: [
      { name: 'app', command: ['httpd', '-f', '-p', '8080', '-h', '/www'] },
      { name: 'envoy', command: ['sleep', '600'] },
    ] });
    // The pod's address, from inside its sandbox's namespace (the resolver sees this test's containerd only).
    const saved = { ...process.env };
    Object.assign(process.env, env);
    const resolved = await resolveTarget('pod:shop/web-0').finally(() => { process.env = saved; });
    const ip = /inet (\d+\.\d+\.\d+\.\d+)\//.exec(execFileSync('nsenter', ['-t', String(resolved.pid), '-n', 'ip', '-4', '-o', 'addr', 'show', 'eth0'], { encoding: 'utf8' }))![1];
    const file = join(work, 'pod.pcapng');
    const p = wiresage(['--at', 'pod:shop/web-0', '--at', 'pod:web-0', '-w', file, 'tcp port 8080']);
    const done = finished(p);
    await waitForText(p, 'listening on', 30_000);
    // Another pod fetches the page three times.
    await ctrd.runPod({ name: 'client', namespace: 'shop', uid: 'uid-client', containers: [
      { name: 'curl', command: ['sh', '-c', `for i in 1 2 3; do wget -q -O /dev/null http://${ip}:8080/; done; sleep 600`] },
    ] });
    await new Promise((r) => setTimeout(r, 2500));
    p.kill('SIGINT');
    const r = await done;
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /pod:web-0@any shares the network namespace of pod:shop\/web-0@any: captured once/);
    assert.match(r.stderr, new RegExp(`listening on pod:shop/web-0@any \\(any in network namespace /proc/${resolved.pid}/ns/net, PID ${resolved.pid}\\)`));
    const rows = execFileSync('tshark', ['-r', file, '-Y', 'http.request', '-T', 'fields', '-e', 'frame.interface_name', '-e', 'ip.dst'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
      .trim().split('\n');
    assert.deepEqual(rows, [`pod:shop/web-0@any\t${ip}`, `pod:shop/web-0@any\t${ip}`, `pod:shop/web-0@any\t${ip}`]);
    // An unknown pod: the pods there are as hint, exit 1.
    const unknown = await finished(wiresage(['--pod', 'shop/web-9', '-c', '1']));
    assert.equal(unknown.code, 1, unknown.stderr);
    assert.match(unknown.stderr, /capture point 'pod:shop\/web-9': no pod 'shop\/web-9' on this node/);
  } finally {
    capture.killAll();
    await ctrd.close();
    fs.rmSync(work, { recursive: true, force: true });
  }
});
