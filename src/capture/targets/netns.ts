/**
 * Targets that are plain network namespaces: the host's own, a process's (`pid:123` →
 * /proc/123/ns/net), and named or bind-mounted ones (`netns:NAME` → /run/netns/NAME as
 * `ip netns` keeps them, or any namespace file path).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import { TargetError, nsIdOf, notFoundHint, type CaptureTarget } from './target.js';

/** Where `ip netns` keeps named namespaces (/var/run is a link to /run on Debian). */
export const NETNS_DIRS = ['/run/netns', '/var/run/netns'];

/** The namespace of this process — what "host" means. */
export function hostTarget(spec = 'host', iface?: string): CaptureTarget {
  const id = nsIdOf('/proc/self/ns/net');
  if (!id) throw new TargetError('cannot read /proc/self/ns/net (is /proc mounted?)');
  return { kind: 'host', spec, label: 'host', netns: undefined, netnsId: id, ...(iface ? { iface } : {}) };
}

/** The device number of nsfs, to tell namespace files from other files. */
function nsfsDev(): number {
  return statSync('/proc/self/ns/net').dev;
}

/** The process's command name (comm), or undefined when it is gone. */
export function processName(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** `pid:PID`: the network namespace of a running process. */
export function pidTarget(pid: number, spec = `pid:${pid}`): CaptureTarget {
  if (!Number.isInteger(pid) || pid <= 0) throw new TargetError(`'${spec}' is not a process id (a whole number > 0)`);
  const path = `/proc/${pid}/ns/net`;
  let alive = true;
  try {
    statSync(`/proc/${pid}`);
  } catch {
    alive = false;
  }
  if (!alive) throw new TargetError(`no process with PID ${pid}`, 'the process may have exited; find the current one with pgrep or ps');
  const id = nsIdOf(path);
  if (!id) {
    const state = /^State:\s+(\S)/m.exec(safeRead(`/proc/${pid}/status`) ?? '')?.[1];
    throw new TargetError(`process ${pid} has no network namespace to enter${state === 'Z' ? ' (it is a zombie: it has exited)' : ' (it is exiting or is a kernel thread)'}`);
  }
  const comm = processName(pid);
  return { kind: 'pid', spec, label: comm ? `${comm}-${pid}` : `pid-${pid}`, netns: path, netnsId: id, pid };
}

function safeRead(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** Names of the namespaces `ip netns list` shows. */
export function netnsNames(): string[] {
  const names = new Set<string>();
  for (const dir of NETNS_DIRS) {
    try {
      for (const n of readdirSync(dir)) names.add(n);
    } catch { /* no such directory: no named namespaces */ }
  }
  return [...names].sort();
}

/** `netns:NAME` (an `ip netns` name) or `netns:PATH` (any namespace file, e.g. /proc/PID/ns/net). */
export function netnsTarget(value: string, spec = `netns:${value}`): CaptureTarget {
  if (!value) throw new TargetError(`'${spec}' names no namespace`, 'write netns:NAME (see ip netns list) or netns:/path/to/ns');
  const isPath = value.includes('/');
  if (!isPath && (value === '.' || value === '..')) throw new TargetError(`'${value}' is not a namespace name`);
  const path = isPath ? value : NETNS_DIRS.map((d) => `${d}/${value}`).find((p) => nsIdOf(p) !== undefined) ?? `${NETNS_DIRS[0]}/${value}`;
  const id = nsIdOf(path);
  if (!id) {
    const proc = /^\/proc\/(\d+)\/(?:task\/\d+\/)?ns\/net$/.exec(path);
    if (proc) throw new TargetError(`process ${proc[1]} is gone: ${path} does not exist`);
    if (isPath) throw new TargetError(`no network namespace at ${path}: no such file`);
    throw new TargetError(`no network namespace named '${value}'`, notFoundHint(value, netnsNames(), 'named namespaces (ip netns list)'));
  }
  if (statSync(path).dev !== nsfsDev()) {
    throw new TargetError(`${path} is not a network namespace file`, 'give a name from ip netns list, /run/netns/NAME or /proc/PID/ns/net');
  }
  const proc = /^\/proc\/(\d+)\/ns\/net$/.exec(path);
  const pid = proc ? Number(proc[1]) : undefined;
  const label = isPath ? (pid !== undefined ? `pid-${pid}` : basename(path)) : value;
  return { kind: 'netns', spec, label, netns: path, netnsId: id, ...(pid !== undefined ? { pid } : {}) };
}

/** Every `ip netns` namespace, as targets (namespaces that vanish while listing are skipped). */
export function listNetns(): CaptureTarget[] {
  const out: CaptureTarget[] = [];
  for (const name of netnsNames()) {
    try {
      out.push(netnsTarget(name));
    } catch (e) {
      if (!(e instanceof TargetError)) throw e;
    }
  }
  return out;
}

/** True while the target's namespace still exists and is the same one (for "namespace gone mid-capture"). */
export function targetAlive(t: CaptureTarget): boolean {
  if (!t.netns) return true;
  try {
    return nsIdOf(t.netns) === t.netnsId;
  } catch {
    return false;
  }
}
