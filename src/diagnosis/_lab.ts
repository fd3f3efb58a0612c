/**
 * A routed test network for the diagnosis tests: client ↔ router ↔ server network namespaces,
 * so failures are made the way they happen in the field — a firewall (nftables in the router)
 * forging resets, dropping SYNs, rate-limiting new connections — and captured on the client.
 *
 * Client 10.251.N.2/24 (gateway .1), server 172.31.N.10/24 plus extra addresses (.11, …)
 * behind the router (172.31.N.1). The router's own packets leave with TTL 255, as appliances
 * do, so a forged RST differs from the server's (63 at the client) only by its TTL. The client
 * resends a SYN only twice (`tcp_syn_retries=2`) to keep failing connects short. Names carry a
 * prefix and the pid; `close()` (in a `finally`) kills what runs inside and deletes them.
 *
 * @example
 * const net = await RoutedLab.create('wsdx', 1);
 * try { net.nft('ip daddr 172.31.N.10 tcp dport 1521 reject with tcp reset'); } finally { await net.close(); }
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';

function run(cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`Cannot run ${cmd} ${args.join(' ')}: ${r.stderr || r.error?.message}`);
}

/** Why the routed lab cannot run here, or false. */
export const noRoutedLab: string | false = (() => {
  if (process.getuid?.() !== 0) return 'network namespaces need root';
  for (const tool of ['ip', 'tcpdump', 'nft']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' }).status !== 0) return `${tool} is not installed`;
  }
  return false;
})();

let serial = 0;

export class RoutedLab {
  readonly client: string;
  readonly router: string;
  readonly server: string;
  readonly clientIp: string;
  readonly serverIp: string;
  readonly extraIps: string[];
  private readonly children: ChildProcess[] = [];

  private constructor(prefix: string, n: number, extra: number) {
    const id = `${process.pid}${serial++}`;
    this.client = `${prefix}c${id}`;
    this.router = `${prefix}r${id}`;
    this.server = `${prefix}s${id}`;
    this.clientIp = `10.251.${n}.2`;
    this.serverIp = `172.31.${n}.10`;
    this.extraIps = Array.from({ length: extra }, (_, i) => `172.31.${n}.${11 + i}`);
  }

  static async create(prefix: string, extra = 0): Promise<RoutedLab> {
    const n = 20 + ((process.pid + serial) % 200);
    const lab = new RoutedLab(prefix, n, extra);
    const sfx = `${process.pid % 100000}${serial}`;
    const [vc, vrc, vrs, vs] = ['c', 'a', 'b', 's'].map((x) => `wd${x}${sfx}`.slice(0, 15));
    try {
      for (const ns of [lab.client, lab.router, lab.server]) run('ip', ['netns', 'add', ns]);
      run('ip', ['link', 'add', vc, 'type', 'veth', 'peer', 'name', vrc]);
      run('ip', ['link', 'add', vs, 'type', 'veth', 'peer', 'name', vrs]);
      run('ip', ['link', 'set', vc, 'netns', lab.client]);
      run('ip', ['link', 'set', vrc, 'netns', lab.router]);
      run('ip', ['link', 'set', vrs, 'netns', lab.router]);
      run('ip', ['link', 'set', vs, 'netns', lab.server]);
      const setup: Array<[string, string, string, string[]]> = [
        [lab.client, vc, 'eth0', [`${lab.clientIp}/24`]],
        [lab.router, vrc, 'eth0', [`10.251.${n}.1/24`]],
        [lab.router, vrs, 'eth1', [`172.31.${n}.1/24`]],
        [lab.server, vs, 'eth0', [`${lab.serverIp}/24`, ...lab.extraIps.map((ip) => `${ip}/24`)]],
      ];
      const perNs = new Map<string, string[]>([[lab.client, []], [lab.router, []], [lab.server, []]]);
      for (const [ns, dev, name, ips] of setup) {
        run('ip', ['-n', ns, 'link', 'set', dev, 'name', name]);
        for (const ip of ips) run('ip', ['-n', ns, 'addr', 'add', ip, 'dev', name]);
        run('ip', ['-n', ns, 'link', 'set', name, 'up']);
        run('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
        // One segment per write, as on a real network (no 64 KB super-packets in the capture).
        perNs.get(ns)!.push(`ethtool -K ${name} tso off gso off gro off >/dev/null 2>&1 || true`);
      }
      run('ip', ['-n', lab.client, 'route', 'add', 'default', 'via', `10.251.${n}.1`]);
      run('ip', ['-n', lab.server, 'route', 'add', 'default', 'via', `172.31.${n}.1`]);
      for (const cmds of perNs.values()) cmds.push('sysctl -qw net.ipv6.conf.all.disable_ipv6=1');
      perNs.get(lab.client)!.push('sysctl -qw net.ipv4.tcp_syn_retries=2');
      perNs.get(lab.router)!.push('sysctl -qw net.ipv4.ip_forward=1', 'sysctl -qw net.ipv4.ip_default_ttl=255',
        "nft 'add table inet f'", "nft 'add chain inet f gate { type filter hook forward priority 0 ; }'");
      // One `ip netns exec` per namespace: each costs tens of milliseconds.
      for (const [ns, cmds] of perNs) run('ip', ['netns', 'exec', ns, 'sh', '-ec', cmds.join('\n')]);
    } catch (e) {
      await lab.close();
      throw e;
    }
    return lab;
  }

  /** Adds a rule to the router's forward chain (nft syntax after `add rule inet f gate`). */
  nft(rule: string): void {
    run('ip', ['netns', 'exec', this.router, 'nft', `add rule inet f gate ${rule}`]);
  }

  /** Loads an nft script (`nft -f -`) in the router: NAT tables, several rules at once. */
  nftScript(script: string): void {
    const r = spawnSync('ip', ['netns', 'exec', this.router, 'nft', '-f', '-'], { input: script, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`nft -f failed: ${r.stderr}`);
  }

  /** Runs shell commands in a namespace (setup steps such as sysctl or ip link). */
  sh(ns: string, script: string): void {
    run('ip', ['netns', 'exec', ns, 'sh', '-ec', script]);
  }

  /** The router's address on the client side (10.251.N.1) and on the server side (172.31.N.1). */
  get routerClientIp(): string {
    return this.clientIp.replace(/\.2$/, '.1');
  }

  get routerServerIp(): string {
    return this.serverIp.replace(/\.10$/, '.1');
  }

  /** Starts a long-running process in a namespace (killed by `close`). */
  start(ns: string, cmd: string, args: string[], env?: NodeJS.ProcessEnv): ChildProcess {
    const child = spawn('ip', ['netns', 'exec', ns, cmd, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: env ?? process.env });
    this.children.push(child);
    return child;
  }

  /** Runs a command in a namespace to its end (killed after `timeoutMs`). */
  run(ns: string, cmd: string, args: string[], opts: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<{ status: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
      const child = spawn('ip', ['netns', 'exec', ns, cmd, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: opts.env ?? process.env });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 20_000);
      child.on('close', (status) => {
        clearTimeout(timer);
        resolve({ status, stdout, stderr });
      });
    });
  }

  /** Waits until a process prints `text` (rejects after `timeoutMs` or if it exits first). */
  static waitFor(child: ChildProcess, text: string, timeoutMs = 10_000): Promise<void> {
    return new Promise((resolve, reject) => {
      let seen = '';
      const timer = setTimeout(() => reject(new Error(`Timed out waiting for '${text}': ${seen.slice(-300)}`)), timeoutMs);
      const check = (d: Buffer) => {
        seen += d.toString();
        if (seen.includes(text)) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout?.on('data', check);
      child.stderr?.on('data', check);
      child.on('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`Process exited (${code}) before printing '${text}': ${seen.slice(-300)}`));
      });
    });
  }

  /** tcpdump on eth0 of `ns` (default: the client) into `file`; resolves once listening; returns the stop function. */
  async capture(file: string, ns = this.client): Promise<() => Promise<void>> {
    const child = this.start(ns, 'tcpdump', ['-U', '--immediate-mode', '-n', '-s', '0', '-w', file, '-i', 'eth0']);
    await RoutedLab.waitFor(child, 'listening on');
    return () => new Promise((resolve) => {
      setTimeout(() => {
        child.once('exit', () => resolve());
        child.kill('SIGINT');
      }, 200);
    });
  }

  async close(): Promise<void> {
    for (const c of this.children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    for (const ns of [this.client, this.router, this.server]) {
      const pids = spawnSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' }).stdout ?? '';
      for (const pid of pids.split(/\s+/).filter(Boolean)) {
        try {
          process.kill(Number(pid), 'SIGKILL');
        } catch {
          // already gone
        }
      }
      spawnSync('ip', ['netns', 'del', ns]);
    }
  }
}
