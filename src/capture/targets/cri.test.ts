/**
 * containerd and the CRI against a real, private containerd (CRI plugin, CNI bridge, a local
 * pause image from busybox-static): pods made as a kubelet makes them (sandbox with the
 * io.kubernetes.* labels, then containers), found by `pod:NS/NAME` and `pod:NAME`; their
 * containers by Kubernetes name, ID prefix and containerd://ID, all one capture point; a
 * plain `ctr run` container in another containerd namespace; a stopped pod, an ambiguous
 * pod name, unknown names with close names. Pods on other nodes: kube.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { listTargets, resolveTarget } from './index.js';
import { startContainerd, rejectsWith } from './_engines.js';
import { Fields, pb } from './grpc.js';

const cli = fileURLToPath(new URL('../../cli/main.js', import.meta.url));

test('protobuf: fields, nested messages, maps and big varints round-trip', () => {
  const msg = Buffer.concat([pb.string(1, 'abc'), pb.uint(2, 300), pb.message(3, pb.string(1, 'x')), pb.map(4, { k1: 'v1', k2: 'v2' }), pb.uint(5, 2 ** 40), pb.uint(6, true)]);
  const f = Fields.decode(msg);
  assert.equal(f.string(1), 'abc');
  assert.equal(f.number(2), 300);
  assert.equal(f.message(3).string(1), 'x');
  assert.deepEqual(f.map(4), { k1: 'v1', k2: 'v2' });
  assert.equal(f.number(5), 2 ** 40);
  assert.equal(f.number(6), 1);
  assert.equal(f.string(9), '');
  assert.equal(pb.string(1, '').length, 0, 'proto3 omits empty strings');
  assert.throws(() => Fields.decode(Buffer.from([0x0a, 0x05, 0x61])), /truncated/);
});

test('containerd + CRI: pods and their containers as one capture point, ctr containers, errors', { timeout: 240_000 }, async (t) => {
  const ctrd = await startContainerd();
  if (typeof ctrd === 'string') {
    t.skip(`containerd cannot run here: ${ctrd}`);
    return;
  }
  const saved = { ...process.env };
  try {
    process.env.CONTAINERD_ADDRESS = ctrd.socket;
    process.env.CONTAINER_RUNTIME_ENDPOINT = `unix://${ctrd.socket}`;
    process.env.DOCKER_HOST = 'unix:///nonexistent/docker.sock';
    process.env.CONTAINER_HOST = 'unix:///nonexistent/podman.sock';
    process.env.KUBECONFIG = '/nonexistent/kubeconfig';

    const web = await ctrd.runPod({ name: 'web-0', namespace: 'shop', uid: 'uid-web-0', containers: [
      { name: 'app', command: ['httpd', '-f', '-p', '8080', '-h', '/www'] },
      { name: 'envoy', command: ['sleep', '600'] },
    ] });
    const other = await ctrd.runPod({ name: 'web-0', namespace: 'staging', uid: 'uid-web-0-staging', containers: [{ name: 'app', command: ['sleep', '600'] }] });
    const bare = await ctrd.runPod({ name: 'bare', namespace: 'tools', uid: 'uid-bare', kubeletLabels: false, containers: [] });
    ctrd.runCtr('default', 'wsplain', ['sleep', '600'], { 'nerdctl/name': 'plainbox' });

    // pod:NS/NAME: the sandbox's namespace, every container listed.
    const pod = await resolveTarget('pod:shop/web-0');
    assert.equal(pod.kind, 'pod');
    assert.equal(pod.runtime, 'cri');
    assert.equal(pod.label, 'shop/web-0');
    assert.equal(pod.containerId, web.sandboxId);
    assert.deepEqual(pod.containers, ['app', 'envoy']);
    assert.deepEqual(pod.pod, { namespace: 'shop', name: 'web-0', uid: 'uid-web-0', sandboxId: web.sandboxId });
    // The pod's address from the CRI is inside that namespace (nsenter -t PID -n ip a).
    const ipa = execFileSync('nsenter', ['-t', String(pod.pid), '-n', 'ip', '-4', 'a'], { encoding: 'utf8' });
    assert.match(ipa, /inet 10\.253\.\d+\.\d+\/24/);
    // Every container of the pod: the same point, by Kubernetes name (ambiguous here), ID prefix, containerd://ID.
    for (const [i, cid] of web.containerIds.entries()) {
      const c = await resolveTarget(`container:${cid.slice(0, 10)}`);
      assert.equal(c.netnsId, pod.netnsId);
      assert.equal(c.label, ['app', 'envoy'][i]);
      assert.equal(c.runtime, 'cri', 'the CRI view (with the pod) wins over containerd\'s own');
      assert.deepEqual(c.pod?.name, 'web-0');
      assert.deepEqual(c.containers, ['app', 'envoy']);
      assert.equal((await resolveTarget(`containerd://${cid}`)).netnsId, pod.netnsId);
      // The container's process, by PID: its cgroup names the container.
      const byPid = await resolveTarget(`pid:${c.pid}`);
      assert.equal(byPid.containerId, cid);
      assert.equal(byPid.runtime, 'containerd');
    }
    assert.equal((await resolveTarget('container:envoy')).netnsId, pod.netnsId);
    const ambiguousApp = await rejectsWith(resolveTarget('container:app'), /'app' matches several CRI containers: shop\/web-0 app .*staging\/web-0 app/);
    assert.match(ambiguousApp.message, /pod:NAMESPACE\/NAME/);

    // pod:NAME alone is ambiguous across namespaces; the other pod is another point.
    await rejectsWith(resolveTarget('pod:web-0'), /pod 'web-0' exists in several namespaces: (shop, staging|staging, shop)/);
    const staging = await resolveTarget('pod:staging/web-0');
    assert.notEqual(staging.netnsId, pod.netnsId);
    assert.equal(staging.containerId, other.sandboxId);
    // A sandbox without the kubelet's labels: found by its metadata, as crictl does.
    const b = await resolveTarget('pod:bare');
    assert.equal(b.label, 'tools/bare');
    assert.equal(b.containerId, bare.sandboxId);
    assert.deepEqual(b.containers, []);

    // A plain containerd container (namespace default) by ID and by its nerdctl name.
    const plain = await resolveTarget('container:wsplain');
    assert.equal(plain.runtime, 'containerd');
    assert.equal(plain.namespace, 'default');
    assert.equal(plain.label, 'plainbox');
    assert.equal((await resolveTarget('container:plainbox')).netnsId, plain.netnsId);
    assert.equal((await resolveTarget('container:wspl')).containerId, 'wsplain');

    // listTargets: one point per pod (containers merged), the plain container, no duplicates.
    const all = await listTargets();
    const points = all.filter((x) => x.netnsId === pod.netnsId);
    assert.equal(points.length, 1);
    assert.equal(points[0].kind, 'pod');
    assert.deepEqual(points[0].containers, ['app', 'envoy']);
    assert.ok(all.some((x) => x.label === 'staging/web-0'));
    assert.ok(all.some((x) => x.label === 'plainbox' && x.runtime === 'containerd'));

    // ifaces in the pod: eth0 paired with a veth on the CNI bridge in the host.
    const r = spawnSync(process.execPath, [cli, 'ifaces', 'pod:shop/web-0'], { encoding: 'utf8', env: process.env, timeout: 60_000 });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^# pod shop\/web-0, cri [0-9a-f]{12}, pid \d+, netns \/proc\/\d+\/ns\/net \[\d+:\d+\], containers: app, envoy/);
    assert.match(r.stdout, /eth0@if\d+: .* veth\n.*\n    peer: veth\w+ \(ifindex \d+\) in the host, on bridge wscbr\d+/);

    // Errors: unknown pod with close names, unknown container, stopped pod.
    const unknown = await rejectsWith(resolveTarget('pod:shop/web-1'), /no pod 'shop\/web-1' on this node/);
    assert.match(unknown.message, /did you mean [^?]*shop\/web-0/);
    // The hint lists the containers found (others on the machine too, in any order).
    await rejectsWith(resolveTarget('container:nosuch'), /no container named 'nosuch' .* in cri, containerd\n  hint: containers: (?:[^;]*, )?app[,;]/);
    await ctrd.stopPod(other.sandboxId);
    await rejectsWith(resolveTarget('pod:staging/web-0'), /pod staging\/web-0 is not running \(its sandbox [0-9a-f]{12} is NOTREADY\)/);
    // With the staging pod stopped, pod:web-0 is no longer ambiguous.
    assert.equal((await resolveTarget('pod:web-0')).netnsId, pod.netnsId);
    const cliErr = spawnSync(process.execPath, [cli, 'ifaces', 'pod:staging/web-0'], { encoding: 'utf8', env: process.env, timeout: 60_000 });
    assert.equal(cliErr.status, 1);
    assert.match(cliErr.stderr, /wiresage ifaces: pod staging\/web-0 is not running/);
  } finally {
    process.env = saved;
    await ctrd.close();
  }
});
