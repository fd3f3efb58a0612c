/**
 * Pods that are not on this node: the real kubectl against a small fake API server on
 * loopback (it answers discovery and `get pod`), so resolvePod's plan — node, containers,
 * the `kubectl debug` command that streams pcap back — comes from what kubectl prints. No
 * cluster can run here: whether the ephemeral container then captures is not tested.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { resolveTarget } from './index.js';
import { parsePodSpec, planFor, RemotePodError } from './kube.js';
import { enginesMissing, rejectsWith } from './_engines.js';

const cli = fileURLToPath(new URL('../../cli/main.js', import.meta.url));

/** The CLI, run asynchronously: the fake API server lives in this process. */
function wiresage(args: string[]): Promise<{ status: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cli, ...args], { env: process.env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => { stderr += c.toString(); });
    child.on('close', (status) => resolve({ status, stderr }));
  });
}

test('pod specs and the plan for a pod on another node', () => {
  assert.deepEqual(parsePodSpec('shop/web-0', 'pod:shop/web-0'), { namespace: 'shop', name: 'web-0' });
  assert.deepEqual(parsePodSpec('web-0', 'pod:web-0'), { name: 'web-0' });
  assert.throws(() => parsePodSpec('a/b/c', 'pod:a/b/c'), /is not a pod name/);
  assert.throws(() => parsePodSpec('Web', 'pod:Web'), /is not a pod name/);
  assert.throws(() => parsePodSpec('', 'pod:'), /is not a pod name/);
  assert.throws(() => parsePodSpec('--kubeconfig=x/web', 'pod:--kubeconfig=x/web'), /is not a pod name/, 'nothing kubectl could take for an option');
  const plan = planFor({
    metadata: { name: 'web-0', namespace: 'shop' },
    spec: { nodeName: 'node-7', containers: [{ name: 'app' }, { name: 'envoy' }] },
    status: { containerStatuses: [{ name: 'app', containerID: 'containerd://abc', ready: true }] },
  });
  assert.equal(plan.node, 'node-7');
  assert.deepEqual(plan.containers, [{ name: 'app', containerId: 'containerd://abc', ready: true }, { name: 'envoy', containerId: undefined, ready: undefined }]);
  assert.equal(plan.target, 'app');
  assert.deepEqual(plan.command.slice(0, 5), ['kubectl', 'debug', '-n', 'shop', 'pod/web-0']);
  assert.deepEqual(plan.command.slice(plan.command.indexOf('--target'), plan.command.indexOf('--target') + 2), ['--target', 'app']);
  assert.deepEqual(plan.command.slice(-7), ['--', 'tcpdump', '-i', 'any', '-U', '-w', '-']);
  const err = new RemotePodError(plan, 'this-node');
  assert.match(err.message, /pod shop\/web-0 runs on node node-7, not on this one \(this-node\)\n  hint: .*\n    kubectl debug -n shop pod\/web-0 .*--target app .*-- tcpdump -i any -U -w - \| wiresage read -/s);
});


function podJson(name: string, namespace: string, node: string) {
  return {
    apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace, uid: `uid-${name}` },
    spec: { nodeName: node, containers: [{ name: 'app', image: 'app:1' }, { name: 'envoy', image: 'envoy:1' }] },
    status: { phase: 'Running', containerStatuses: [{ name: 'app', containerID: 'containerd://0123abcd', ready: true }, { name: 'envoy', containerID: 'containerd://4567ef01', ready: false }] },
  };
}

test('pod on another node: the plan from kubectl and a (fake) API server', { skip: enginesMissing('kubectl') ? 'kubectl is not installed (Debian: kubernetes-client)' : false, timeout: 120_000 }, async () => {
  const pods: Record<string, unknown> = {
    '/api/v1/namespaces/shop/pods/web-0': podJson('web-0', 'shop', 'node-7'),
    '/api/v1/namespaces/default/pods/local-0': podJson('local-0', 'default', hostname()),
  };
  const server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    const send = (code: number, body: unknown) => {
      res.writeHead(code, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (path === '/version') return send(200, { major: '1', minor: '30', gitVersion: 'v1.30.0' });
    if (path === '/api') return send(200, { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: '127.0.0.1' }] });
    if (path === '/apis') return send(200, { kind: 'APIGroupList', apiVersion: 'v1', groups: [] });
    if (path === '/api/v1') return send(200, { kind: 'APIResourceList', groupVersion: 'v1', resources: [{ name: 'pods', singularName: 'pod', namespaced: true, kind: 'Pod', verbs: ['get', 'list'], shortNames: ['po'] }] });
    if (pods[path]) return send(200, pods[path]);
    send(404, { kind: 'Status', apiVersion: 'v1', status: 'Failure', message: `pods not found`, reason: 'NotFound', code: 404 });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const work = mkdtempSync('/tmp/wskube-');
  const saved = { ...process.env };
  try {
    writeFileSync(join(work, 'kubeconfig'), [
      'apiVersion: v1', 'kind: Config',
      'clusters:', `- cluster: {server: "http://127.0.0.1:${(server.address() as AddressInfo).port}"}`, '  name: fake',
      'contexts:', '- context: {cluster: fake, user: u, namespace: default}', '  name: fake',
      'current-context: fake', 'users:', '- name: u', '  user: {token: t}', '',
    ].join('\n'));
    process.env.KUBECONFIG = join(work, 'kubeconfig');
    process.env.KUBECACHEDIR = join(work, 'cache');
    process.env.HOME = work;
    process.env.CONTAINER_RUNTIME_ENDPOINT = 'unix:///nonexistent/cri.sock';

    const err = await rejectsWith(resolveTarget('pod:shop/web-0'), /pod shop\/web-0 runs on node node-7, not on this one/);
    assert.ok(err instanceof RemotePodError);
    const plan = err.plan;
    assert.equal(plan.node, 'node-7');
    assert.deepEqual(plan.containers.map((c) => [c.name, c.containerId, c.ready]), [['app', 'containerd://0123abcd', true], ['envoy', 'containerd://4567ef01', false]]);
    assert.equal(plan.target, 'app');
    assert.deepEqual(plan.command.slice(0, 5), ['kubectl', 'debug', '-n', 'shop', 'pod/web-0']);
    assert.match(err.message, /\| wiresage read -/);

    // The API server places it here, but no CRI runtime here knows it.
    await rejectsWith(resolveTarget('pod:local-0'), new RegExp(`pod default/local-0 is on this node \\(${hostname()}\\) by the API server, but no CRI runtime here knows it`));
    // Not in the cluster either.
    await rejectsWith(resolveTarget('pod:shop/nope'), /no pod 'shop\/nope' here: .*the cluster kubectl is configured for has no pod 'shop\/nope' either/);

    const r = await wiresage(['ifaces', 'pod:shop/web-0']);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /^wiresage ifaces: pod shop\/web-0 runs on node node-7, not on this one/);
    assert.match(r.stderr, /kubectl debug -n shop pod\/web-0 --quiet --attach --image \S+ --target app .*-- tcpdump -i any -U -w - \| wiresage read -/);

    // The API server gone: said so, not "no such pod".
    const port = (server.address() as AddressInfo).port;
    await new Promise((r) => server.close(r));
    await rejectsWith(resolveTarget('pod:shop/web-0'), new RegExp(`no pod 'shop/web-0' on this node, and asking the cluster failed: .*127\\.0\\.0\\.1:${port}`));

    // No kubectl context at all.
    process.env.KUBECONFIG = join(work, 'missing');
    await rejectsWith(resolveTarget('pod:shop/web-0'), /no pod 'shop\/web-0' here: this machine has no CRI runtime socket .* and kubectl has no cluster configured/);
  } finally {
    process.env = saved;
    server.close();
    rmSync(work, { recursive: true, force: true });
  }
});
