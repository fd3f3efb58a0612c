/**
 * Containers found without asking any runtime: every process's /proc/PID/cgroup names the
 * container it runs in (`/docker/<id>`, `docker-<id>.scope`, `/k8s.io/<id>`,
 * `cri-containerd-<id>.scope`, `crio-<id>.scope`, `libpod-<id>.scope`, …). Used when the
 * runtime's socket is missing or refuses us (e.g. dockerd stopped with live-restore, or its
 * socket not reachable from here) — only IDs and ID prefixes can be resolved this way, names
 * need the runtime — and to say which container a `pid:` target belongs to.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { pidTarget } from './netns.js';
import { TargetError, TargetStateError, type CaptureTarget, type Runtime } from './target.js';

/** One container seen in cgroup paths. */
export interface CgroupContainer { id: string; runtime: Runtime; pids: number[] }

/** The runtime a cgroup path suggests (its last component's prefix, else a parent directory). */
function runtimeOf(path: string, prefix: string): Runtime {
  if (prefix.startsWith('docker') || /\/docker\//.test(path)) return 'docker';
  if (prefix.startsWith('libpod') || /libpod_parent|machine\.slice/.test(path)) return 'podman';
  if (prefix.startsWith('crio')) return 'cri';
  return 'containerd';
}

/**
 * The container a cgroup file's lines place a process in, if any: a last path component that
 * is a 64-hex-digit ID, bare or as docker-ID.scope, cri-containerd-ID.scope, crio-ID.scope,
 * libpod-ID.scope. Monitors (crio-conmon-, libpod-conmon-) are not the container.
 */
export function containerOfCgroup(text: string): { id: string; runtime: Runtime } | undefined {
  for (const line of text.split('\n')) {
    const path = line.split(':').slice(2).join(':');
    const last = path.split('/').pop() ?? '';
    const m = /^(docker-|cri-containerd-|crio-|libpod-)?([0-9a-f]{64})(\.scope)?$/.exec(last);
    if (m) return { id: m[2], runtime: runtimeOf(path, m[1] ?? '') };
  }
  return undefined;
}

/** The container of process `pid`, from its cgroup (undefined for host processes). */
export function containerOfPid(pid: number): { id: string; runtime: Runtime } | undefined {
  try {
    return containerOfCgroup(readFileSync(`/proc/${pid}/cgroup`, 'utf8'));
  } catch {
    return undefined;
  }
}

/** Every container with processes here, by cgroup; PIDs ascending. */
export function cgroupContainers(): Map<string, CgroupContainer> {
  const out = new Map<string, CgroupContainer>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const pid = Number(name);
    const c = containerOfPid(pid);
    if (!c) continue;
    const entry = out.get(c.id);
    if (entry) entry.pids.push(pid);
    else out.set(c.id, { ...c, pids: [pid] });
  }
  for (const c of out.values()) c.pids.sort((a, b) => a - b);
  return out;
}

/** The container's first process: the one whose parent is outside the container. */
function initPid(c: CgroupContainer): number {
  const inside = new Set(c.pids);
  for (const pid of c.pids) {
    try {
      const ppid = Number(/^PPid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
      if (!inside.has(ppid)) return pid;
    } catch { /* exited meanwhile */ }
  }
  return c.pids[0];
}

/**
 * `container:ID|PREFIX` from cgroup paths alone (at least 6 hex digits, to avoid matching by
 * chance); undefined when no process runs in such a container.
 */
export function findByCgroup(idOrPrefix: string, spec: string): CaptureTarget | undefined {
  if (!/^[0-9a-f]{6,64}$/.test(idOrPrefix)) return undefined;
  const hits = [...cgroupContainers().values()].filter((c) => c.id.startsWith(idOrPrefix));
  if (!hits.length) return undefined;
  if (hits.length > 1) throw new TargetStateError(`'${idOrPrefix}' matches several containers (by cgroup): ${hits.map((h) => h.id.slice(0, 12)).join(', ')}`, 'give more of the ID');
  const c = hits[0];
  const t = pidTarget(initPid(c), spec);
  return { ...t, kind: 'container', label: c.id.slice(0, 12), runtime: c.runtime, containerId: c.id, containers: [c.id.slice(0, 12)] };
}
