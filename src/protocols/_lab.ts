/**
 * A two-host test network for the real-software tests of the application protocols: a client
 * and a server network namespace joined by a veth pair (10.251.N.1 ↔ 10.251.N.2, plus extra
 * server addresses), packet capture with tcpdump inside the client namespace, and processes run
 * in either namespace. Names carry a prefix and the test's pid; `close()` kills what it started
 * and deletes the namespaces (call it in a `finally`).
 *
 * @example
 * const lab = await Lab.create('wsmy');
 * try { const stop = await lab.capture(file); …; await stop(); } finally { await lab.close(); }
 */
import { spawn, spawnSync, type ChildProcess, type SpawnOptions } from 'node:child_process';

/** Why the lab cannot run here (not root, no `ip`/`tcpdump`), or false. */
export const noLab: string | false = (() => {
  if (process.getuid?.() !== 0) return 'network namespaces need root';
  for (const tool of ['ip', 'tcpdump']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' }).status !== 0) return `${tool} is not installed`;
  }
  return false;
})();

/** Reason to skip when a command is missing (e.g. `mariadbd`), or false. */
export function missing(...commands: string[]): string | false {
  for (const c of commands) {
    if (spawnSync('sh', ['-c', `command -v ${c} || test -x ${c}`], { stdio: 'ignore' }).status !== 0) return `${c} is not installed (bash scripts/setup.sh --tests)`;
  }
  return false;
}

function run(cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`Cannot run ${cmd} ${args.join(' ')}: ${r.stderr || r.error?.message}`);
}

export interface RunResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

export class Lab {
  readonly clientNs: string;
  readonly serverNs: string;
  readonly clientIp: string;
  readonly serverIp: string;
  private readonly children: ChildProcess[] = [];

  private constructor(readonly prefix: string, readonly subnet: number, readonly extraServerIps: string[]) {
    this.clientNs = `${prefix}c${process.pid}`;
    this.serverNs = `${prefix}s${process.pid}`;
    this.clientIp = `10.251.${subnet}.1`;
    this.serverIp = `10.251.${subnet}.2`;
  }

  /** Creates both namespaces and the link; `extra` more server addresses (10.251.N.3…). */
  static async create(prefix: string, extra = 0): Promise<Lab> {
    const subnet = 1 + (process.pid % 250);
    const extras = Array.from({ length: extra }, (_, i) => `10.251.${subnet}.${3 + i}`);
    const lab = new Lab(prefix, subnet, extras);
    const c = lab.clientNs;
    const s = lab.serverNs;
    const vc = `${prefix}vc${process.pid}`.slice(0, 15);
    const vs = `${prefix}vs${process.pid}`.slice(0, 15);
    try {
      run('ip', ['netns', 'add', c]);
      run('ip', ['netns', 'add', s]);
      run('ip', ['link', 'add', vc, 'type', 'veth', 'peer', 'name', vs]);
      run('ip', ['link', 'set', vc, 'netns', c]);
      run('ip', ['link', 'set', vs, 'netns', s]);
      for (const [ns, dev, ips] of [[c, vc, [lab.clientIp]], [s, vs, [lab.serverIp, ...extras]]] as const) {
        run('ip', ['-n', ns, 'link', 'set', dev, 'name', 'eth0']);
        for (const ip of ips) run('ip', ['-n', ns, 'addr', 'add', `${ip}/24`, 'dev', 'eth0']);
        run('ip', ['-n', ns, 'link', 'set', 'eth0', 'up']);
        run('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
        spawnSync('ip', ['netns', 'exec', ns, 'sysctl', '-qw', 'net.ipv6.conf.all.disable_ipv6=1']);
        // One segment per write, as on a real network (no 64 KB super-packets in the capture).
        spawnSync('ip', ['netns', 'exec', ns, 'ethtool', '-K', 'eth0', 'tso', 'off', 'gso', 'off', 'gro', 'off'], { stdio: 'ignore' });
      }
    } catch (e) {
      await lab.close();
      throw e;
    }
    return lab;
  }

  /** Starts a long-running process in a namespace (killed by `close`). */
  start(ns: string, cmd: string, args: string[], opts: SpawnOptions = {}): ChildProcess {
    const child = spawn('ip', ['netns', 'exec', ns, cmd, ...args], { stdio: ['ignore', 'pipe', 'pipe'], ...opts });
    this.children.push(child);
    return child;
  }

  /** Runs a command in a namespace to its end (bounded by `timeoutMs`). */
  run(ns: string, cmd: string, args: string[], opts: { timeoutMs?: number; input?: string; env?: NodeJS.ProcessEnv } = {}): Promise<RunResult> {
    return new Promise((resolve) => {
      const child = spawn('ip', ['netns', 'exec', ns, cmd, ...args], { stdio: ['pipe', 'pipe', 'pipe'], env: opts.env ?? process.env });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      // A command that exits before reading its input (waitPort's probe, a quick client) closes
      // the pipe: the write's EPIPE is not a test failure.
      child.stdin.on('error', () => undefined);
      child.stdin.end(opts.input ?? '');
      const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
      child.on('close', (status) => {
        clearTimeout(timer);
        resolve({ status, stdout, stderr });
      });
    });
  }

  /** Waits until a process prints `text` on stdout or stderr (or rejects after `timeoutMs`). */
  static waitFor(child: ChildProcess, text: string | RegExp, timeoutMs = 45_000): Promise<void> {
    return new Promise((resolve, reject) => {
      let seen = '';
      const check = (d: Buffer) => {
        seen += d.toString();
        if (typeof text === 'string' ? seen.includes(text) : text.test(seen)) {
          clearTimeout(timer);
          resolve();
        }
      };
      const timer = setTimeout(() => reject(new Error(`Timed out waiting for '${text}'; output so far: ${seen.slice(-500)}`)), timeoutMs);
      child.stdout?.on('data', check);
      child.stderr?.on('data', check);
      child.on('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`Process exited (${code}) before printing '${text}': ${seen.slice(-500)}`));
      });
    });
  }

  /** Waits until a TCP port accepts connections from the client namespace. */
  async waitPort(ip: string, port: number, timeoutMs = 45_000): Promise<void> {
    const until = Date.now() + timeoutMs;
    while (Date.now() < until) {
      const r = await this.run(this.clientNs, 'bash', ['-c', `exec 3<>/dev/tcp/${ip}/${port}`], { timeoutMs: 2000 });
      if (r.status === 0) return;
      await new Promise((res) => setTimeout(res, 100));
    }
    throw new Error(`Timed out waiting for ${ip}:${port} to accept connections`);
  }

  /** Starts tcpdump on the client's eth0 writing `file`; resolves once it listens. Returns the stop function. */
  async capture(file: string): Promise<() => Promise<void>> {
    const child = this.start(this.clientNs, 'tcpdump', ['-U', '--immediate-mode', '-n', '-s', '0', '-w', file, '-i', 'eth0']);
    await Lab.waitFor(child, 'listening on');
    return () =>
      new Promise((resolve) => {
        // Let the last segments arrive before stopping.
        setTimeout(() => {
          child.once('exit', () => resolve());
          child.kill('SIGINT');
        }, 300);
      });
  }

  async close(): Promise<void> {
    for (const child of this.children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    for (const ns of [this.clientNs, this.serverNs]) {
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
