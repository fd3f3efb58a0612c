/**
 * Capture targets: where a capture runs, resolved to a network namespace.
 *
 *   host                      this machine's own namespace (host:IFACE names an interface too)
 *   pid:PID                   the namespace of a process (/proc/PID/ns/net)
 *   netns:NAME | netns:PATH   an `ip netns` name (/run/netns/NAME) or any namespace file
 *   container:NAME|ID|PREFIX  Docker, podman, containerd (any namespace, k8s.io too) or a CRI
 *                             runtime — whichever has it; docker://ID, containerd://ID,
 *                             cri-o://ID (as kubectl shows them) pick the runtime
 *   pod:[NAMESPACE/]NAME      a Kubernetes pod on this node, by its sandbox's kubelet labels
 *
 * Without a runtime to ask (socket missing or refused), container IDs and ID prefixes are still
 * found through the processes' cgroups (/proc/PID/cgroup).
 *
 * A bare word is taken as a PID when it is a number, else an `ip netns` name when one exists,
 * else a container. Containers sharing a namespace (`--network container:X`, pod sandboxes)
 * get the same `netnsId`, so callers can treat them as one capture point.
 *
 * Tested against real engines started by the tests (_engines.ts): Docker 20.10, podman 4.3
 * (API service and CLI), containerd 1.6 with its CRI plugin and CNI, kubectl against a fake API
 * server. Not tested here, for want of packages or a cluster: CRI-O and cri-dockerd sockets
 * (same CRI calls), k3s/microk8s socket paths, rootless engines, and running the
 * `kubectl debug` capture plan on a real cluster; systemd-driver cgroup paths are checked as
 * text only.
 *
 * @example
 * const t = await resolveTarget('container:web');
 * // { kind: 'container', label: 'web', netns: '/proc/4242/ns/net', netnsId: '4:4026532301', pid: 4242, runtime: 'docker', … }
 */
import { TargetError, TargetStateError, notFoundHint, type CaptureTarget, type Runtime, type TargetKind } from './target.js';
import { hostTarget, listNetns, netnsNames, netnsTarget, pidTarget } from './netns.js';
import { providers, type Provider } from './runtimes.js';
import { resolvePod } from './kube.js';
import { containerOfPid, findByCgroup } from './proc.js';

export { TargetError, TargetStateError, closeNames, type CaptureTarget, type Runtime, type TargetKind } from './target.js';
export { targetAlive, hostTarget, pidTarget, netnsTarget } from './netns.js';

const KINDS: TargetKind[] = ['host', 'pid', 'netns', 'container', 'pod'];
/** Runtime prefixes as Kubernetes writes container IDs (status.containerStatuses[].containerID). */
const RUNTIME_PREFIX: Record<string, Runtime> = { docker: 'docker', podman: 'podman', containerd: 'containerd', 'cri-o': 'cri', cri: 'cri' };

/** Splits "KIND:VALUE"; a bare word gets its kind guessed (number → pid, ip netns name → netns, else container). */
export function parseTargetSpec(spec: string): { kind: TargetKind; value: string } {
  const s = spec.trim();
  if (!s) throw new TargetError('empty capture target', `write one of ${KINDS.map((k) => (k === 'host' ? k : `${k}:…`)).join(', ')}`);
  const colon = s.indexOf(':');
  const head = colon < 0 ? s : s.slice(0, colon);
  if (colon < 0) {
    if (s === 'host') return { kind: 'host', value: '' };
    if (/^\d+$/.test(s)) return { kind: 'pid', value: s };
    if (netnsNames().includes(s) || s.startsWith('/')) return { kind: 'netns', value: s };
    return { kind: 'container', value: s };
  }
  if ((KINDS as string[]).includes(head)) return { kind: head as TargetKind, value: s.slice(colon + 1) };
  if (head in RUNTIME_PREFIX && s.slice(colon).startsWith('://')) return { kind: 'container', value: s };
  throw new TargetError(`unknown capture target kind '${head}' in '${spec}'`, `kinds: ${KINDS.join(', ')} (e.g. container:web, pod:default/web-0, pid:1234, netns:blue)`);
}

/** Resolves a target spec to its network namespace; throws TargetError with a hint. */
export async function resolveTarget(spec: string): Promise<CaptureTarget> {
  const { kind, value } = parseTargetSpec(spec);
  switch (kind) {
    case 'host':
      return hostTarget(spec, value || undefined);
    case 'pid': {
      if (!/^\d+$/.test(value)) throw new TargetError(`'${spec}': a PID is a whole number`);
      const t = pidTarget(Number(value), spec);
      // Say which container the process is in, when its cgroup tells.
      const c = containerOfPid(t.pid!);
      return c ? { ...t, runtime: c.runtime, containerId: c.id } : t;
    }
    case 'netns':
      return netnsTarget(value, spec);
    case 'container':
      return resolveContainer(value, spec);
    case 'pod':
      return resolvePod(value, spec);
  }
}

/** `container:X` across every runtime present here. */
async function resolveContainer(value: string, spec: string): Promise<CaptureTarget> {
  let name = value;
  let only: Runtime | undefined;
  const m = /^([a-z-]+):\/\/(.+)$/.exec(value);
  if (m) {
    only = RUNTIME_PREFIX[m[1]];
    if (!only) throw new TargetError(`unknown container runtime '${m[1]}' in '${spec}'`, 'use docker://, podman://, containerd:// or cri-o://');
    name = m[2];
  }
  if (!name) throw new TargetError(`'${spec}' names no container`, 'write container:NAME, container:ID or an ID prefix');
  const { present, absent } = await providers();
  const usable = only ? present.filter((p) => p.runtime === only || (only === 'containerd' && p.runtime === 'cri')) : present;
  if (!usable.length) {
    // No runtime to ask: an ID or ID prefix can still be found by the processes' cgroups.
    const byCgroup = findByCgroup(name, spec);
    if (byCgroup) return byCgroup;
    throw new TargetError(only ? `${only} is not running here, so '${spec}' cannot be found` : `no container runtime is running here, so '${spec}' cannot be found`,
      `looked for: ${absent.join('; ')}`);
  }
  const found: CaptureTarget[] = [];
  const answers: TargetStateError[] = [];
  const failures: Error[] = [];
  for (const p of usable) {
    try {
      const t = await p.find(name, spec);
      if (t) found.push(t);
    } catch (e) {
      if (e instanceof TargetStateError) answers.push(e);
      else if (e instanceof TargetError) failures.push(e);
      else throw e;
    }
  }
  const distinct = dedupeSame(found);
  if (distinct.length === 1) return distinct[0];
  // A stopped or ambiguous container is the answer when no runtime has a running one.
  if (!distinct.length && answers.length) throw answers[0];
  if (distinct.length > 1) {
    throw new TargetError(`'${name}' names containers in several runtimes: ${distinct.map((t) => `${t.runtime} ${t.label} (${t.containerId?.slice(0, 12)})`).join(', ')}`,
      `pick one: ${distinct.map((t) => `${t.runtime === 'cri' ? 'cri-o' : t.runtime}://${t.containerId}`).join(' or ')}`);
  }
  const byCgroup = findByCgroup(name, spec);
  if (byCgroup) return byCgroup;
  if (failures.length && failures.length === usable.length) throw failures[0];
  const names = (await Promise.all(usable.map((p) => p.names().catch(() => [] as string[])))).flat();
  const where = usable.map((p) => p.runtime).join(', ');
  throw new TargetError(`no container named '${name}' (nor with that ID or ID prefix) in ${where}`,
    notFoundHint(name, names, 'containers') + (failures.length ? `; also: ${failures.map((f) => f.message.split('\n')[0]).join('; ')}` : '')
    + (absent.length && !only ? `; not running here: ${absent.join(', ')}` : ''));
}

/** A container seen by two runtimes (containerd's own API and its CRI plugin) is one answer. */
function dedupeSame(ts: CaptureTarget[]): CaptureTarget[] {
  const byId = new Map<string, CaptureTarget>();
  for (const t of ts) {
    const key = `${t.containerId ?? t.label}|${t.netnsId}`;
    const prev = byId.get(key);
    // The CRI view knows the pod; prefer it.
    if (!prev || (t.runtime === 'cri' && prev.runtime !== 'cri')) byId.set(key, t);
  }
  return [...byId.values()];
}

/**
 * Every capture point found here: the host, each `ip netns` namespace, each running container
 * of every runtime and each pod sandbox. Containers sharing a namespace come once, with all
 * their names in `containers`.
 */
export async function listTargets(): Promise<CaptureTarget[]> {
  const out: CaptureTarget[] = [hostTarget()];
  const { present } = await providers();
  const lists = await Promise.all(present.map((p: Provider) => p.targets().catch(() => [] as CaptureTarget[])));
  const byNs = new Map<string, CaptureTarget>();
  for (const t of [...dedupeSame(lists.flat()), ...listNetns()]) {
    const prev = byNs.get(t.netnsId);
    if (!prev) {
      byNs.set(t.netnsId, { ...t, containers: t.containers ? [...t.containers] : t.kind === 'container' ? [t.label] : undefined });
      continue;
    }
    // Pods describe a namespace better than one of their containers, containers better than a bare netns.
    const rank = (k: TargetKind) => ({ pod: 3, container: 2, netns: 1, pid: 0, host: 4 })[k];
    const merged = new Set([...(prev.containers ?? []), ...(t.containers ?? (t.kind === 'container' ? [t.label] : []))]);
    // Of containers sharing a namespace, the one that owns it (not joined with --network container:X) names it.
    const better = rank(t.kind) > rank(prev.kind) || (rank(t.kind) === rank(prev.kind) && !!prev.sharedWith && !t.sharedWith);
    const best = better ? { ...t } : prev;
    if (merged.size) best.containers = [...merged].sort();
    byNs.set(t.netnsId, best);
  }
  for (const t of byNs.values()) {
    // Containers on the host's network (--network host, hostNetwork pods) are the host point.
    if (t.netnsId === out[0].netnsId) {
      if (t.containers?.length) out[0].containers = t.containers;
    } else out.push(t);
  }
  return out;
}
