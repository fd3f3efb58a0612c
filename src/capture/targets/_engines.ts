/**
 * Real container engines for tests, each private to the test run and removed by `close()`
 * (call it in a `finally`): a dockerd, a containerd (with its CRI plugin and a CNI bridge)
 * and a podman API service, each with its own data directory, socket and bridge under
 * /tmp and unique names, so several test files (and other users of the machine) can run
 * engines at once. No registry is reachable: images are built from busybox-static.
 *
 * Nothing here touches the host firewall: dockerd runs with --iptables=false, the CNI
 * bridge has no masquerading and no gateway, podman containers use --network none. As a
 * safety net, `close()` removes DOCKER* iptables chains and restores the FORWARD policy if
 * the run left them behind.
 *
 * @example
 * const docker = await startDocker();
 * if (typeof docker === 'string') t.skip(docker); else try { … } finally { await docker.close(); }
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync, copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { EngineClient, engineRequest } from './docker.js';
import { CriClient } from './cri.js';
import { grpcUnary, pb } from './grpc.js';
import { TargetError } from './target.js';

/** Awaits `p`, which must fail with a TargetError whose message matches `re`; returns the error. */
export async function rejectsWith(p: Promise<unknown>, re: RegExp): Promise<TargetError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof TargetError, `expected a TargetError, got ${(e as Error).stack}`);
    assert.match(e.message, re);
    return e;
  }
  assert.fail(`expected an error matching ${re}`);
}

let serial = 0;
const uniq = () => `${process.pid % 100000}${serial++}`;

/** True when engines can be started here: root, and the programs present. */
export function enginesMissing(...programs: string[]): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root';
  for (const p of programs) {
    if (spawnSync('sh', ['-c', `command -v ${p}`], { stdio: 'ignore' }).status !== 0) return `${p} is not installed (bash scripts/setup.sh --tests installs it)`;
  }
  return undefined;
}

function run(argv: string[], input?: string | Buffer): string {
  return execFileSync(argv[0], argv.slice(1), { encoding: 'utf8', input, stdio: ['pipe', 'pipe', 'pipe'], timeout: 120_000 });
}

function quiet(argv: string[]): void {
  spawnSync(argv[0], argv.slice(1), { stdio: 'ignore', timeout: 60_000 });
}

/** A root filesystem from busybox-static: /bin/<applet> links, /www/index.html, /etc/passwd. */
export function busyboxRootfs(dir: string): string {
  const root = join(dir, 'rootfs');
  for (const d of ['bin', 'etc', 'www', 'tmp', 'proc', 'sys', 'dev', 'root', 'var/run']) mkdirSync(join(root, d), { recursive: true });
  copyFileSync('/bin/busybox', join(root, 'bin/busybox'));
  for (const applet of run(['/bin/busybox', '--list']).split('\n').filter(Boolean)) {
    if (applet !== 'busybox') symlinkSync('busybox', join(root, 'bin', applet));
  }
  writeFileSync(join(root, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n');
  writeFileSync(join(root, 'etc/group'), 'root:x:0:\nnogroup:x:65534:\n');
  writeFileSync(join(root, 'www/index.html'), 'wiresage test page\n');
  return root;
}

/** tar of a directory's contents (as `docker import` wants). */
export function tarOf(dir: string, out: string): string {
  run(['tar', '--numeric-owner', '-C', dir, '-cf', out, '.']);
  return out;
}

const sha = (b: Buffer | string) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

/**
 * An OCI image layout archive (for `ctr image import`) with one layer (the rootfs tar) and
 * the given entrypoint; `ref` like "docker.io/wiresage/busybox:test".
 */
export function ociImageTar(rootfsTar: string, ref: string, entrypoint: string[], out: string): string {
  const work = mkdtempSync(join(out + '.d-'));
  try {
    const blobs = join(work, 'blobs', 'sha256');
    mkdirSync(blobs, { recursive: true });
    const put = (b: Buffer) => {
      const d = sha(b);
      writeFileSync(join(blobs, d.slice(7)), b);
      return { digest: d, size: b.length };
    };
    const raw = readFileSync(rootfsTar);
    const layer = put(gzipSync(raw));
    const config = put(Buffer.from(JSON.stringify({
      architecture: 'amd64', os: 'linux',
      config: { Entrypoint: entrypoint, Env: ['PATH=/bin'], WorkingDir: '/' },
      rootfs: { type: 'layers', diff_ids: [sha(raw)] },
    })));
    const manifest = put(Buffer.from(JSON.stringify({
      schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', ...layer }],
    })));
    writeFileSync(join(work, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
    writeFileSync(join(work, 'index.json'), JSON.stringify({
      schemaVersion: 2,
      manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', ...manifest, platform: { architecture: 'amd64', os: 'linux' },
        annotations: { 'io.containerd.image.name': ref, 'org.opencontainers.image.ref.name': ref.split(':').pop() } }],
    }));
    return tarOf(work, out);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** Unmounts everything mounted under `dir` (deepest first), then removes it. */
function removeTree(dir: string): void {
  const mounts = readFileSync('/proc/self/mounts', 'utf8').split('\n').map((l) => l.split(' ')[1]?.replace(/\\040/g, ' ')).filter((m): m is string => !!m && m.startsWith(dir + '/'));
  for (const m of mounts.sort((a, b) => b.length - a.length)) quiet(['umount', '-l', m]);
  rmSync(dir, { recursive: true, force: true });
}

/** Waits for `check` to succeed, polling; returns false after `ms`. */
async function until(check: () => Promise<boolean> | boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    try {
      if (await check()) return true;
    } catch { /* not yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

/** SIGTERM, then SIGKILL after `ms`; resolves when the process has exited. */
async function stopProcess(child: ChildProcess, ms = 15_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), ms);
  await exited;
  clearTimeout(timer);
}

/** PIDs of the processes whose parent is `ppid` (from /proc; no procps needed). */
export function childrenOf(ppid: number): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      // comm may contain spaces and parentheses: the fields after the last ')' are fixed.
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === ppid) out.push(Number(name));
    } catch { /* exited */ }
  }
  return out;
}

/** Kills the processes whose command line contains `marker`: the shims of a daemon we started, marked by its private path. */
function killByCmdline(marker: string): void {
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      if (!readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0').join(' ').includes(marker)) continue;
      process.kill(Number(name), 'SIGKILL');
    } catch { /* exited */ }
  }
}

function logTail(path: string): string {
  try {
    return readFileSync(path, 'utf8').trim().split('\n').slice(-8).join('\n');
  } catch {
    return '(no log)';
  }
}

/** DOCKER* iptables chains, to remove any that a run leaves (lab.md: dockerd leaves FORWARD DROP). */
function iptablesState(): { policy: string; chains: string[] } {
  const out = spawnSync('iptables', ['-w', '-S'], { encoding: 'utf8' }).stdout ?? '';
  return {
    policy: /^-P FORWARD (\w+)/m.exec(out)?.[1] ?? 'ACCEPT',
    chains: [...out.matchAll(/^-N (DOCKER\S*)/gm)].map((m) => m[1]),
  };
}

function restoreIptables(before: { policy: string; chains: string[] }): void {
  const after = iptablesState();
  const added = after.chains.filter((c) => !before.chains.includes(c));
  for (const table of ['filter', 'nat']) {
    const rules = spawnSync('iptables', ['-w', '-t', table, '-S'], { encoding: 'utf8' }).stdout ?? '';
    for (const line of rules.split('\n')) {
      const m = /^-A (\S+) (.*-j (DOCKER\S*).*)$/.exec(line);
      if (m && added.includes(m[3]) && !added.includes(m[1])) quiet(['sh', '-c', `iptables -w -t ${table} -D ${m[1]} ${m[2]}`]);
    }
    for (const c of added) quiet(['iptables', '-w', '-t', table, '-F', c]);
    for (const c of added) quiet(['iptables', '-w', '-t', table, '-X', c]);
  }
  if (after.policy !== before.policy) quiet(['iptables', '-w', '-P', 'FORWARD', before.policy]);
}

/** A bridge with an address, for a private engine's containers. */
function makeBridge(name: string, cidr: string): void {
  quiet(['ip', 'link', 'del', name]);
  run(['ip', 'link', 'add', name, 'type', 'bridge']);
  run(['ip', 'addr', 'add', cidr, 'dev', name]);
  run(['ip', 'link', 'set', name, 'up']);
}

// ---------------------------------------------------------------- Docker

export interface DockerLab {
  socket: string;
  client: EngineClient;
  /** The busybox image (wiresage/busybox:test). */
  image: string;
  bridge: string;
  /** Runs a container detached; returns its full ID. `network` is e.g. "container:web" or "none". */
  run(name: string, cmd: string[], opts?: { network?: string }): Promise<string>;
  stop(name: string): Promise<void>;
  close(): Promise<void>;
}

/** Starts a private dockerd; returns the reason when it cannot start. */
export async function startDocker(): Promise<DockerLab | string> {
  const missing = enginesMissing('dockerd', 'tar', 'ip');
  if (missing) return missing;
  const id = uniq();
  const dir = mkdtempSync('/tmp/wsdocker-');
  const socket = join(dir, 'docker.sock');
  const bridge = `wsdbr${id}`.slice(0, 15);
  const subnet = 1 + ((process.pid + serial * 13) % 250);
  const before = iptablesState();
  let daemon: ChildProcess | undefined;
  const created: string[] = [];
  const close = async () => {
    const client = new EngineClient(socket, 'docker', 'docker');
    for (const c of created) await client.call('DELETE', `/containers/${c}?force=1&v=1`).catch(() => undefined);
    if (daemon) await stopProcess(daemon);
    killByCmdline(join(dir, 'exec'));
    quiet(['ip', 'link', 'del', bridge]);
    removeTree(dir);
    restoreIptables(before);
  };
  try {
    makeBridge(bridge, `10.252.${subnet}.1/24`);
    writeFileSync(join(dir, 'daemon.json'), '{}');
    const log = openSync(join(dir, 'dockerd.log'), 'w');
    daemon = spawn('dockerd', ['--config-file', join(dir, 'daemon.json'), '--data-root', join(dir, 'data'), '--exec-root', join(dir, 'exec'),
      '--pidfile', join(dir, 'docker.pid'), '-H', `unix://${socket}`, '--bridge', bridge, '--iptables=false', '--ip-masq=false',
      '--ip-forward=false', '--userland-proxy=false', '--log-level=warn'], { stdio: ['ignore', log, log] });
    closeSync(log);
    const ok = await until(async () => (await engineRequest(socket, 'GET', '/_ping', undefined, 2000)).status === 200, 30_000);
    if (!ok) {
      const reason = `dockerd did not start: ${logTail(join(dir, 'dockerd.log'))}`;
      await close();
      return reason;
    }
    const client = new EngineClient(socket, 'docker', 'docker');
    const tar = readFileSync(tarOf(busyboxRootfs(dir), join(dir, 'rootfs.tar')));
    const imp = await client.call('POST', '/images/create?fromSrc=-&repo=wiresage/busybox&tag=test', tar, 120_000, 'application/x-tar');
    if (imp.status !== 200 || /errorDetail/.test(imp.text)) throw new Error(`docker import failed: ${imp.text.slice(0, 300)}`);
    const image = 'wiresage/busybox:test';
    return {
      socket, client, image, bridge,
      async run(name, cmd, opts = {}) {
        const r = await client.call('POST', `/containers/create?name=${encodeURIComponent(name)}`, {
          Image: image, Cmd: cmd, HostConfig: { NetworkMode: opts.network ?? 'bridge' },
        });
        if (r.status !== 201) throw new Error(`docker create ${name}: ${r.text}`);
        const cid = (r.body as { Id: string }).Id;
        created.push(cid);
        const s = await client.call('POST', `/containers/${cid}/start`);
        if (s.status !== 204 && s.status !== 304) throw new Error(`docker start ${name}: ${s.text}`);
        return cid;
      },
      async stop(name) {
        const r = await client.call('POST', `/containers/${encodeURIComponent(name)}/stop?t=1`, undefined, 30_000);
        if (r.status !== 204 && r.status !== 304) throw new Error(`docker stop ${name}: ${r.text}`);
      },
      close,
    };
  } catch (e) {
    await close();
    return `dockerd could not be set up: ${(e as Error).message}`;
  }
}

// ---------------------------------------------------------------- containerd (+ CRI)

export interface PodSpec {
  name: string;
  namespace: string;
  uid: string;
  /** Containers of the pod: name and command (run by busybox). */
  containers: Array<{ name: string; command: string[] }>;
  /** Set false to create the sandbox without the kubelet's labels. */
  kubeletLabels?: boolean;
}

export interface ContainerdLab {
  socket: string;
  dir: string;
  cri: CriClient;
  /** Image reference usable in namespace `k8s.io` and `default`. */
  image: string;
  ctr(args: string[]): string;
  /** `ctr run -d` in namespace ns (a plain containerd container, with its own empty netns unless hostNet). */
  runCtr(ns: string, id: string, cmd: string[], labels?: Record<string, string>): void;
  /** A pod as a kubelet makes one: sandbox with io.kubernetes.* labels, then its containers. */
  runPod(pod: PodSpec): Promise<{ sandboxId: string; containerIds: string[] }>;
  stopPod(sandboxId: string): Promise<void>;
  close(): Promise<void>;
}

const CRI_SERVICE = '/runtime.v1.RuntimeService';

function sandboxConfig(pod: PodSpec, logDir: string): Buffer {
  const labels: Record<string, string> = pod.kubeletLabels === false ? {} : { 'io.kubernetes.pod.name': pod.name, 'io.kubernetes.pod.namespace': pod.namespace, 'io.kubernetes.pod.uid': pod.uid };
  return Buffer.concat([
    pb.message(1, pb.string(1, pod.name), pb.string(2, pod.uid), pb.string(3, pod.namespace)),
    pb.string(2, pod.name),
    pb.string(3, logDir),
    pb.map(6, labels),
    // linux.security_context.namespace_options: network POD (0), pid CONTAINER (1)
    pb.message(8, pb.message(2, pb.message(1, pb.uint(2, 1)))),
  ]);
}

/** Starts a private containerd with its CRI plugin; returns the reason when it cannot start. */
export async function startContainerd(): Promise<ContainerdLab | string> {
  const missing = enginesMissing('containerd', 'ctr', 'runc', 'tar', 'ip');
  if (missing) return missing;
  if (!existsSync('/usr/lib/cni/bridge')) return 'the CNI plugins are not installed (containernetworking-plugins)';
  const id = uniq();
  const dir = mkdtempSync('/tmp/wsctrd-');
  const socket = join(dir, 'containerd.sock');
  const bridge = `wscbr${id}`.slice(0, 15);
  const subnet = 1 + ((process.pid + serial * 17) % 250);
  const image = 'docker.io/wiresage/busybox:test';
  const pause = 'docker.io/wiresage/pause:test';
  let daemon: ChildProcess | undefined;
  const sandboxes: string[] = [];
  const ctrContainers: Array<[string, string]> = [];
  const ctr = (args: string[]) => run(['ctr', '-a', socket, ...args]);
  const cri = new CriClient(socket);
  const call = (method: string, req: Buffer, timeoutMs = 60_000) => grpcUnary(socket, `${CRI_SERVICE}/${method}`, req, timeoutMs);
  const close = async () => {
    if (daemon && daemon.exitCode === null) {
      for (const s of sandboxes) {
        await call('StopPodSandbox', pb.string(1, s)).catch(() => undefined);
        await call('RemovePodSandbox', pb.string(1, s)).catch(() => undefined);
      }
      for (const [ns, c] of ctrContainers) {
        quiet(['ctr', '-a', socket, '-n', ns, 'task', 'kill', '-s', 'SIGKILL', c]);
        await until(() => !/RUNNING/.test(spawnSync('ctr', ['-a', socket, '-n', ns, 'task', 'ls'], { encoding: 'utf8' }).stdout ?? ''), 5000);
        quiet(['ctr', '-a', socket, '-n', ns, 'task', 'delete', '-f', c]);
        quiet(['ctr', '-a', socket, '-n', ns, 'container', 'delete', c]);
      }
      await stopProcess(daemon);
    }
    killByCmdline(`-address ${socket}`);
    quiet(['ip', 'link', 'del', bridge]);
    removeTree(dir);
  };
  try {
    mkdirSync(join(dir, 'cni'), { recursive: true });
    writeFileSync(join(dir, 'cni', '10-wiresage.conflist'), JSON.stringify({
      cniVersion: '0.4.0', name: `wiresage-${id}`,
      plugins: [
        { type: 'bridge', bridge, isGateway: false, ipMasq: false, hairpinMode: true,
          ipam: { type: 'host-local', dataDir: join(dir, 'ipam'), ranges: [[{ subnet: `10.253.${subnet}.0/24` }]] } },
        { type: 'loopback' },
      ],
    }));
    writeFileSync(join(dir, 'config.toml'), `version = 2
root = "${dir}/root"
state = "${dir}/state"
oom_score = 0
[grpc]
  address = "${socket}"
[plugins]
  [plugins."io.containerd.internal.v1.opt"]
    path = "${dir}/opt"
  [plugins."io.containerd.grpc.v1.cri"]
    sandbox_image = "${pause}"
    restrict_oom_score_adj = true
    disable_apparmor = true
    stream_server_address = "127.0.0.1"
    stream_server_port = "0"
    enable_selinux = false
    [plugins."io.containerd.grpc.v1.cri".containerd]
      snapshotter = "overlayfs"
      default_runtime_name = "runc"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
        runtime_type = "io.containerd.runc.v2"
    [plugins."io.containerd.grpc.v1.cri".cni]
      bin_dir = "/usr/lib/cni"
      conf_dir = "${dir}/cni"
      max_conf_num = 1
`);
    const log = openSync(join(dir, 'containerd.log'), 'w');
    daemon = spawn('containerd', ['--config', join(dir, 'config.toml'), '--log-level', 'warn'], { stdio: ['ignore', log, log] });
    closeSync(log);
    const ok = await until(async () => !!(await cri.serviceName()), 30_000);
    if (!ok) {
      const reason = `containerd (with CRI) did not start: ${logTail(join(dir, 'containerd.log'))}`;
      await close();
      return reason;
    }
    const rootfs = tarOf(busyboxRootfs(dir), join(dir, 'rootfs.tar'));
    const appTar = ociImageTar(rootfs, image, ['/bin/sh'], join(dir, 'busybox-oci.tar'));
    const pauseTar = ociImageTar(rootfs, pause, ['/bin/sleep', '2147483647'], join(dir, 'pause-oci.tar'));
    for (const ns of ['k8s.io', 'default']) {
      ctr(['-n', ns, 'image', 'import', '--no-unpack', appTar]);
      ctr(['-n', ns, 'image', 'import', '--no-unpack', pauseTar]);
    }
    // Unpacked explicitly: `import` unpacks only for the platform it guesses.
    for (const ns of ['k8s.io', 'default']) for (const ref of [image, pause]) quiet(['ctr', '-a', socket, '-n', ns, 'image', 'unpack', ref]);
    const logDir = join(dir, 'pods');
    return {
      socket, dir, cri, image, ctr,
      runCtr(ns, cid, cmd, labels = {}) {
        ctr(['-n', ns, 'run', '-d', ...Object.entries(labels).flatMap(([k, v]) => ['--label', `${k}=${v}`]), image, cid, ...cmd]);
        ctrContainers.push([ns, cid]);
      },
      async runPod(pod) {
        const config = sandboxConfig(pod, join(logDir, pod.uid));
        mkdirSync(join(logDir, pod.uid), { recursive: true });
        const sandboxId = (await call('RunPodSandbox', pb.message(1, config), 120_000)).string(1);
        sandboxes.push(sandboxId);
        const containerIds: string[] = [];
        for (const c of pod.containers) {
          const labels: Record<string, string> = pod.kubeletLabels === false ? {} : { 'io.kubernetes.container.name': c.name, 'io.kubernetes.pod.name': pod.name, 'io.kubernetes.pod.namespace': pod.namespace, 'io.kubernetes.pod.uid': pod.uid };
          const cfg = Buffer.concat([
            pb.message(1, pb.string(1, c.name)),
            pb.message(2, pb.string(1, image)),
            pb.repeated(3, c.command.slice(0, 1)),
            pb.repeated(4, c.command.slice(1)),
            pb.map(9, labels),
            pb.string(11, `${c.name}.log`),
          ]);
          const cid = (await call('CreateContainer', Buffer.concat([pb.string(1, sandboxId), pb.message(2, cfg), pb.message(3, config)]), 60_000)).string(1);
          await call('StartContainer', pb.string(1, cid), 60_000);
          containerIds.push(cid);
        }
        return { sandboxId, containerIds };
      },
      async stopPod(sandboxId) {
        await call('StopPodSandbox', pb.string(1, sandboxId), 60_000);
      },
      close,
    };
  } catch (e) {
    const reason = `containerd could not be set up: ${(e as Error).message.split('\n').slice(0, 3).join(' ')}; log: ${logTail(join(dir, 'containerd.log'))}`;
    await close();
    return reason;
  }
}

// ---------------------------------------------------------------- podman

export interface PodmanLab {
  socket: string;
  /** Environment that points the podman CLI at this private store (set it in process.env for CLI lookups). */
  env: Record<string, string>;
  image: string;
  podman(args: string[]): string;
  close(): Promise<void>;
}

/** A private podman store and its API service; returns the reason when it cannot start. */
export async function startPodman(): Promise<PodmanLab | string> {
  const missing = enginesMissing('podman', 'tar');
  if (missing) return missing;
  const dir = mkdtempSync('/tmp/wspodman-');
  const socket = join(dir, 'podman.sock');
  writeFileSync(join(dir, 'containers.conf'), `[containers]\ndefault_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]\nnetns = "none"\n[engine]\ncgroup_manager = "cgroupfs"\nevents_logger = "file"\ntmp_dir = "${dir}/tmp"\n`);
  writeFileSync(join(dir, 'storage.conf'), `[storage]\ndriver = "vfs"\ngraphroot = "${dir}/root"\nrunroot = "${dir}/run"\n`);
  const env = { CONTAINERS_CONF: join(dir, 'containers.conf'), CONTAINERS_STORAGE_CONF: join(dir, 'storage.conf') };
  const podman = (args: string[]) => execFileSync('podman', args, { encoding: 'utf8', env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 });
  let service: ChildProcess | undefined;
  const close = async () => {
    spawnSync('podman', ['rm', '-af', '-t', '0'], { env: { ...process.env, ...env }, stdio: 'ignore', timeout: 60_000 });
    if (service) await stopProcess(service);
    killByCmdline(join(dir, 'run'));
    removeTree(dir);
  };
  try {
    podman(['import', tarOf(busyboxRootfs(dir), join(dir, 'rootfs.tar')), 'localhost/wiresage/busybox:test']);
    const log = openSync(join(dir, 'service.log'), 'w');
    service = spawn('podman', ['system', 'service', '--time=0', `unix://${socket}`], { env: { ...process.env, ...env }, stdio: ['ignore', log, log] });
    closeSync(log);
    const ok = await until(async () => (await engineRequest(socket, 'GET', '/_ping', undefined, 2000)).status === 200, 30_000);
    if (!ok) {
      const reason = `podman system service did not start: ${logTail(join(dir, 'service.log'))}`;
      await close();
      return reason;
    }
    return { socket, env, image: 'localhost/wiresage/busybox:test', podman, close };
  } catch (e) {
    const reason = `podman could not be set up: ${((e as { stderr?: string }).stderr || (e as Error).message).trim().split('\n').slice(-2).join(' ')}`;
    await close();
    return reason;
  }
}
