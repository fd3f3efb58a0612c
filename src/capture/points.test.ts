// The --at POINT and --ssh syntax, resolution and merging of points (no namespaces needed:
// the resolver is given), the remote command's shell quoting.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { parsePoint, PointSyntaxError, resolvePoints } from './points.js';
import { kubectlCaptureArgv, parseRemote, remoteCommand, shellQuote } from './remote.js';
import { splitPath } from './files.js';
import type { CaptureTarget } from './targets/index.js';

test('POINT: target, @IFACE (and /IFACE for container and pid), options after commas, filter= takes the rest', () => {
  assert.deepEqual(parsePoint('host:eth0'), { target: 'host', iface: 'eth0', text: 'host:eth0' });
  assert.deepEqual(parsePoint('host'), { target: 'host', text: 'host' });
  assert.deepEqual(parsePoint('container:app'), { target: 'container:app', text: 'container:app' });
  assert.equal(parsePoint('container:app@eth1').iface, 'eth1');
  assert.equal(parsePoint('container:app/eth1').iface, 'eth1');
  assert.equal(parsePoint('pid:123/lo').target, 'pid:123');
  assert.deepEqual(parsePoint('pod:shop/web-0'), { target: 'pod:shop/web-0', text: 'pod:shop/web-0' });
  assert.deepEqual(parsePoint('pod:shop/web-0@eth0'), { target: 'pod:shop/web-0', iface: 'eth0', text: 'pod:shop/web-0@eth0' });
  assert.deepEqual(parsePoint('netns:/proc/42/ns/net'), { target: 'netns:/proc/42/ns/net', text: 'netns:/proc/42/ns/net' });
  assert.equal(parsePoint('netns:/proc/42/ns/net@eth0').iface, 'eth0');
  const db = parsePoint('container:db,snaplen=200,filter=tcp port 1521 and (host 10.0.0.1, or not)');
  assert.equal(db.snapLen, 200);
  assert.equal(db.filter, 'tcp port 1521 and (host 10.0.0.1, or not)');
  assert.equal(parsePoint('container:db, iface=eth0 ,snaplen=96').iface, 'eth0');
  assert.throws(() => parsePoint('container:db,snaplen=big'), PointSyntaxError);
  assert.throws(() => parsePoint('container:db,colour=red'), /unknown point option 'colour=red'/);
  assert.throws(() => parsePoint('container:db@eth0,iface=eth1'), /names two interfaces/);
  assert.throws(() => parsePoint(''), /empty capture point/);
});

const fake = (ids: Record<string, string>) => async (spec: string): Promise<CaptureTarget> => {
  const kind = spec === 'host' ? 'host' : spec.split(':')[0] as CaptureTarget['kind'];
  return { kind, spec, label: spec, netns: kind === 'host' ? undefined : `/ns/${ids[spec]}`, netnsId: ids[spec] ?? 'host' };
};

test('points: interface defaults (-i, any inside a target, the host default), names, shared namespaces merged', async () => {
  const resolve = fake({ 'container:app': '1', 'container:sidecar': '1', 'container:db': '2', host: 'host' });
  const { points, notes } = await resolvePoints(['container:app', 'container:sidecar', 'container:db@eth0,filter=tcp', 'host'].map(parsePoint),
    { hostDevice: () => 'eth9', filter: 'udp' }, resolve);
  assert.deepEqual(points.map((p) => [p.label, p.device, p.filter]), [
    ['container:app@any', 'any', 'udp'], ['container:db@eth0', 'eth0', 'tcp'], ['host:eth9', 'eth9', 'udp']]);
  assert.deepEqual(points[0].aliases, ['container:sidecar@any']);
  assert.deepEqual(notes, ['container:sidecar@any shares the network namespace of container:app@any: captured once, as container:app@any']);
  const withI = await resolvePoints([parsePoint('container:app')], { device: 'eth0' }, resolve);
  assert.equal(withI.points[0].label, 'container:app@eth0');
  await assert.rejects(resolvePoints(['container:app', 'container:sidecar,snaplen=96'].map(parsePoint), {}, resolve), /same capture point as 'container:app@any'/);
});

test('--split names: the point before the extension', () => {
  assert.equal(splitPath('/tmp/out.pcapng', 'container:app@eth0'), '/tmp/out.container-app@eth0.pcapng');
  assert.equal(splitPath('trace', 'netns:/proc/1/ns/net@any'), 'trace.netns--proc-1-ns-net@any');
  assert.equal(splitPath('a.pcap', 'pod:ns/web 0@any'), 'a.pod-ns-web_0@any.pcap');
});

test('--ssh: USER@HOST[:PORT], IPv6 in brackets, point options', () => {
  assert.deepEqual(parseRemote('root@db1'), { destination: 'root@db1', host: 'db1', user: 'root', text: 'root@db1' });
  const r = parseRemote('ops@[fd00::5]:2222,iface=eth1,filter=tcp port 22, or 80');
  assert.equal(r.destination, 'ops@fd00::5');
  assert.equal(r.port, 2222);
  assert.equal(r.iface, 'eth1');
  assert.equal(r.filter, 'tcp port 22, or 80');
  assert.throws(() => parseRemote('root@db1:99999'), /port 99999/);
  assert.throws(() => parseRemote('root@'), /write USER@HOST/);
});

/**
 * Runs a capture script as ssh would: stdin stays open (EOF or a line means "stop" to it), so
 * the stand-in capture ends by itself and the script with it.
 */
function runScript(script: string, env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('sh', ['-c', script], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => { out += c.toString(); });
    child.stderr.on('data', (c: Buffer) => { err += c.toString(); });
    child.once('close', (code) => {
      child.stdin.destroy();
      if (code === 0) resolve(out);
      else reject(new Error(`exit ${code}: ${err}`));
    });
  });
}

test('the remote command survives the shell: the capture gets its arguments whole, its own ssh connection filtered out', async () => {
  assert.equal(shellQuote("it's"), `'it'\\''s'`);
  const dir = mkdtempSync(join(tmpdir(), 'wiresage-remote-'));
  try {
    // A stand-in tcpdump that prints the arguments it got, one per line.
    writeFileSync(join(dir, 'tcpdump'), '#!/bin/sh\nfor a in "$@"; do printf "%s\\n" "$a"; done\n', { mode: 0o755 });
    const command = remoteCommand(['capture'], ['-i', 'eth0', '-w', '-'], "tcp port 1521 and host 'x'", true);
    const out = await runScript(command, { PATH: `${dir}:/usr/bin:/bin`, SSH_CONNECTION: '10.0.0.1 5555 10.0.0.2 22' });
    assert.deepEqual(out.trim().split('\n'), ['-i', 'eth0', '-w', '-',
      "(tcp port 1521 and host 'x') and not (tcp and host 10.0.0.1 and port 5555 and host 10.0.0.2 and port 22)"]);
    const plain = await runScript(remoteCommand(['capture'], ['-w', '-'], undefined, true), { PATH: `${dir}:/usr/bin:/bin` });
    assert.equal(plain, '-w\n-\n', 'no filter: no expression argument at all');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a pod on another node: kubectl debug with an ephemeral container running the capture script (no cluster here: the argv and the script are checked)', async () => {
  const argv = kubectlCaptureArgv({ namespace: 'shop', pod: 'web-0', node: 'node-7', target: 'app', image: 'nicolaka/netshoot:latest' }, 'eth0', 'tcp port 8080', 200);
  const dash = argv.indexOf('--');
  assert.deepEqual(argv.slice(0, dash), ['kubectl', 'debug', '-n', 'shop', 'pod/web-0', '--quiet', '-i', '--image', 'nicolaka/netshoot:latest', '--target', 'app', '--profile', 'netadmin']);
  assert.deepEqual(argv.slice(dash + 1, dash + 3), ['sh', '-c']);
  const dir = mkdtempSync(join(tmpdir(), 'wiresage-kubectl-'));
  try {
    writeFileSync(join(dir, 'tcpdump'), '#!/bin/sh\nfor a in "$@"; do printf "%s\\n" "$a"; done\n', { mode: 0o755 });
    const out = await runScript(argv[dash + 3], { PATH: `${dir}:/usr/bin:/bin` });
    assert.deepEqual(out.trim().split('\n'), ['-i', 'eth0', '-w', '-', '-s', '200', '-U', 'tcp port 8080']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
