/**
 * Test networks for capture tests: two network namespaces joined by a veth pair, with
 * addresses only inside them (10.251.N.1 and 10.251.N.2), unique names per process, removed
 * by `close()` (call it in a `finally`). Root and iproute2 are needed; `labAvailable()` says
 * whether they are there, so tests can skip elsewhere.
 *
 * @example
 * const lab = createLab();
 * try { lab.exec('a', ['ip', 'addr']); } finally { lab.close(); }
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';

export interface Lab {
  /** Namespace names. */
  a: string;
  b: string;
  /** Interface names inside a and b. */
  ifA: string;
  ifB: string;
  addrA: string;
  addrB: string;
  /** /run/netns path of namespace a (for the addon's netns option). */
  pathA: string;
  exec(ns: 'a' | 'b', argv: string[], input?: string): string;
  spawn(ns: 'a' | 'b', argv: string[]): ChildProcess;
  /** Sends `count` UDP datagrams from b to a's port (payload "wiresage <i>" padded to `size`), bounded in time. */
  sendUdp(count: number, port: number, opts?: { size?: number; marker?: number; pace?: number }): void;
  close(): void;
}

let serial = 0;

/** Kills the processes in the namespaces and deletes them (errors ignored: for finally blocks). */
export function removeNamespaces(names: string[]): void {
  for (const ns of names) {
    const pids = spawnSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' }).stdout?.trim().split('\n').filter(Boolean) ?? [];
    for (const pid of pids) {
      try { process.kill(Number(pid), 'SIGKILL'); } catch { /* gone */ }
    }
    spawnSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
  }
}

/** True when namespaces can be made here (root, ip). */
export function labAvailable(): boolean {
  if (process.getuid?.() !== 0) return false;
  return spawnSync('ip', ['netns', 'list'], { stdio: 'ignore' }).status === 0;
}

/** Makes namespaces a and b with a veth pair between them; offloads off so every datagram is one frame. */
export function createLab(): Lab {
  const id = `${process.pid % 100000}${serial++}`;
  const subnet = 1 + ((process.pid + serial * 7) % 250);
  const a = `wscap${id}a`;
  const b = `wscap${id}b`;
  const ifA = 'wsa0';
  const ifB = 'wsb0';
  const addrA = `10.251.${subnet}.1`;
  const addrB = `10.251.${subnet}.2`;
  const run = (...argv: string[]) => execFileSync(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
  const close = () => removeNamespaces([a, b]);
  try {
    run('ip', 'netns', 'add', a);
    run('ip', 'netns', 'add', b);
    run('ip', 'link', 'add', `wsv${id}a`, 'type', 'veth', 'peer', 'name', `wsv${id}b`);
    run('ip', 'link', 'set', `wsv${id}a`, 'netns', a, 'name', ifA);
    run('ip', 'link', 'set', `wsv${id}b`, 'netns', b, 'name', ifB);
    for (const [ns, iface, addr] of [[a, ifA, addrA], [b, ifB, addrB]]) {
      run('ip', 'netns', 'exec', ns, 'sysctl', '-qw', 'net.ipv6.conf.all.disable_ipv6=1');
      run('ip', 'netns', 'exec', ns, 'sysctl', '-qw', 'net.ipv6.conf.default.disable_ipv6=1');
      run('ip', '-n', ns, 'addr', 'add', `${addr}/24`, 'dev', iface);
      run('ip', '-n', ns, 'link', 'set', iface, 'up');
      run('ip', '-n', ns, 'link', 'set', 'lo', 'up');
      spawnSync('ip', ['netns', 'exec', ns, 'ethtool', '-K', iface, 'tso', 'off', 'gso', 'off', 'gro', 'off'], { stdio: 'ignore' });
    }
    // Static neighbours: no ARP exchange in the middle of counted traffic.
    const mac = (ns: string, iface: string) => /link\/ether (\S+)/.exec(run('ip', '-n', ns, 'link', 'show', iface).toString())![1];
    run('ip', '-n', a, 'neigh', 'replace', addrB, 'lladdr', mac(b, ifB), 'dev', ifA, 'nud', 'permanent');
    run('ip', '-n', b, 'neigh', 'replace', addrA, 'lladdr', mac(a, ifA), 'dev', ifB, 'nud', 'permanent');
  } catch (e) {
    close();
    throw e;
  }
  const nsOf = (ns: 'a' | 'b') => (ns === 'a' ? a : b);
  return {
    a, b, ifA, ifB, addrA, addrB, pathA: `/run/netns/${a}`,
    exec: (ns, argv, input) => execFileSync('ip', ['netns', 'exec', nsOf(ns), ...argv], { encoding: 'utf8', input, timeout: 60_000 }),
    spawn: (ns, argv) => spawn('ip', ['netns', 'exec', nsOf(ns), ...argv], { stdio: ['ignore', 'pipe', 'pipe'] }),
    sendUdp(count, port, opts = {}) {
      const size = opts.size ?? 32;
      const pace = opts.pace ?? 200;
      const script = `
        const s = require('dgram').createSocket('udp4');
        const count = ${count}, size = ${size}, marker = ${opts.marker ?? -1}, pace = ${pace};
        let i = 0;
        function burst() {
          for (let k = 0; k < pace && i < count; k++, i++) {
            const text = (i === marker ? 'TRIGGER ' : 'wiresage ') + i + ' ';
            const b = Buffer.alloc(Math.max(size, text.length), 46);
            b.write(text);
            s.send(b, ${port}, '${addrA}');
          }
          if (i < count) setTimeout(burst, 2); else setTimeout(() => s.close(), 50);
        }
        s.bind(0, '${addrB}', burst);
        setTimeout(() => process.exit(3), 50000).unref();`;
      execFileSync('ip', ['netns', 'exec', b, process.execPath, '-e', script], { stdio: 'inherit', timeout: 60_000 });
    },
    close,
  };
}

/** Waits until a child's stderr contains `text` (e.g. 'listening on'); rejects after `ms`. */
export function waitForText(child: ChildProcess, text: string, ms = 10_000): Promise<string> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`timed out waiting for '${text}'; stderr so far: ${seen}`)), ms);
    const onData = (chunk: Buffer) => {
      seen += chunk.toString();
      if (seen.includes(text)) {
        clearTimeout(timer);
        resolve(seen);
      }
    };
    child.stderr!.on('data', onData);
    child.once('exit', () => {
      clearTimeout(timer);
      if (!seen.includes(text)) reject(new Error(`exited before '${text}': ${seen}`));
    });
  });
}

/** Collects a child's output and exit status. */
export function finished(child: ChildProcess): Promise<{ code: number | null; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (c: Buffer) => { stdout += c.toString(); });
  child.stderr?.on('data', (c: Buffer) => { stderr += c.toString(); });
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr })));
}

/** Three hosts in a row: client — router — server, each a namespace; `close()` removes them. */
export interface RoutedLab {
  client: string;
  router: string;
  server: string;
  clientAddr: string;
  serverAddr: string;
  /** Runs a command in one of the namespaces. */
  exec(ns: string, argv: string[]): string;
  close(): void;
}

/**
 * client (10.251.S.2/24, eth0) — (eth0 10.251.S.1) router (eth1 10.252.S.1) — (eth0 10.252.S.2/24) server,
 * forwarding on in the router, IPv6 and offloads off, lo up everywhere.
 */
export function createRoutedLab(): RoutedLab {
  const id = `${process.pid % 100000}${serial++}`;
  const subnet = 1 + ((process.pid + serial * 13) % 250);
  const client = `wsrc${id}`;
  const router = `wsrr${id}`;
  const server = `wsrs${id}`;
  const all = [client, router, server];
  const run = (...argv: string[]) => execFileSync(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] }).toString();
  const close = () => removeNamespaces(all);
  const clientAddr = `10.251.${subnet}.2`;
  const serverAddr = `10.252.${subnet}.2`;
  try {
    for (const ns of all) {
      run('ip', 'netns', 'add', ns);
      run('ip', '-n', ns, 'link', 'set', 'lo', 'up');
      run('ip', 'netns', 'exec', ns, 'sysctl', '-qw', 'net.ipv6.conf.all.disable_ipv6=1');
      run('ip', 'netns', 'exec', ns, 'sysctl', '-qw', 'net.ipv6.conf.default.disable_ipv6=1');
    }
    const link = (a: string, ifA: string, b: string, ifB: string, tag: string) => {
      run('ip', 'link', 'add', `wsl${id}${tag}a`, 'type', 'veth', 'peer', 'name', `wsl${id}${tag}b`);
      run('ip', 'link', 'set', `wsl${id}${tag}a`, 'netns', a, 'name', ifA);
      run('ip', 'link', 'set', `wsl${id}${tag}b`, 'netns', b, 'name', ifB);
      for (const [ns, iface] of [[a, ifA], [b, ifB]]) {
        run('ip', '-n', ns, 'link', 'set', iface, 'up');
        spawnSync('ip', ['netns', 'exec', ns, 'ethtool', '-K', iface, 'tso', 'off', 'gso', 'off', 'gro', 'off'], { stdio: 'ignore' });
      }
    };
    link(client, 'eth0', router, 'eth0', 'c');
    link(router, 'eth1', server, 'eth0', 's');
    run('ip', '-n', client, 'addr', 'add', `${clientAddr}/24`, 'dev', 'eth0');
    run('ip', '-n', router, 'addr', 'add', `10.251.${subnet}.1/24`, 'dev', 'eth0');
    run('ip', '-n', router, 'addr', 'add', `10.252.${subnet}.1/24`, 'dev', 'eth1');
    run('ip', '-n', server, 'addr', 'add', `${serverAddr}/24`, 'dev', 'eth0');
    run('ip', '-n', client, 'route', 'add', 'default', 'via', `10.251.${subnet}.1`);
    run('ip', '-n', server, 'route', 'add', 'default', 'via', `10.252.${subnet}.1`);
    run('ip', 'netns', 'exec', router, 'sysctl', '-qw', 'net.ipv4.ip_forward=1');
  } catch (e) {
    close();
    throw e;
  }
  return {
    client, router, server, clientAddr, serverAddr,
    exec: (ns, argv) => execFileSync('ip', ['netns', 'exec', ns, ...argv], { encoding: 'utf8', timeout: 60_000 }),
    close,
  };
}

/** Why capture tests with engines cannot run here (root, the addon, tshark), or undefined. */
export function engineCaptureMissing(addonBuilt: boolean): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root';
  if (!addonBuilt) return 'the capture addon is not built';
  if (spawnSync('tshark', ['-v'], { stdio: 'ignore' }).status !== 0) return 'needs tshark';
  return undefined;
}

/**
 * Runs `wiresage capture` (the CLI at `cli`) with `env` on top of this process's environment;
 * `killAll()` (in a finally) ends every one still running.
 */
export function captureRunner(cli: string, env: NodeJS.ProcessEnv): { run(args: string[]): ChildProcess; killAll(): void } {
  const children: ChildProcess[] = [];
  return {
    run(args) {
      const child = spawn(process.execPath, [cli, 'capture', ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
      children.push(child);
      return child;
    },
    killAll() {
      for (const c of children) c.kill('SIGKILL');
    },
  };
}
