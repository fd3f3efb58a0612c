/**
 * containerd containers in any of its namespaces (`default`, nerdctl's, Kubernetes' `k8s.io`),
 * through `ctr` on containerd's socket: `ctr namespaces ls`, `ctr -n NS containers ls` (with
 * label filters for Kubernetes and nerdctl names) and `ctr -n NS task ls` for the PIDs.
 *
 * The socket is $CONTAINERD_ADDRESS or /run/containerd/containerd.sock (k3s:
 * /run/k3s/containerd/containerd.sock).
 */
import { execFile } from 'node:child_process';
import { pidTarget } from './netns.js';
import type { Provider } from './runtimes.js';
import { TargetError, TargetStateError, socketPresent, type CaptureTarget } from './target.js';

export const CONTAINERD_SOCKETS = ['/run/containerd/containerd.sock', '/run/k3s/containerd/containerd.sock', '/var/snap/microk8s/common/run/containerd.sock'];

/** Labels that carry a human name for a containerd container. */
const NAME_LABELS = ['io.kubernetes.container.name', 'nerdctl/name', 'name'];

/** Runs `ctr -a SOCKET ARGS`; rejects with a TargetError carrying ctr's message. */
export function ctr(socket: string, args: string[], timeoutMs = 20_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('ctr', ['-a', socket, ...args], { encoding: 'utf8', timeout: timeoutMs, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      if (!err) return resolve(stdout);
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return reject(new TargetError('the ctr command is not installed', 'install containerd (it ships ctr): apt-get install containerd'));
      const msg = (stderr || err.message).trim().split('\n').pop() ?? '';
      if (/permission denied/i.test(msg)) return reject(new TargetError(`permission denied on ${socket}`, 'run wiresage as root'));
      if (/connection refused|no such file|connection error/i.test(msg)) return reject(new TargetError(`containerd is not answering on ${socket}`, 'start it: systemctl start containerd'));
      reject(new TargetError(`ctr ${args.join(' ')}: ${msg}`));
    });
  });
}

interface Task { id: string; pid: number; status: string }

/** One containerd instance (one socket). */
export class Containerd {
  constructor(readonly socket: string) {}

  async namespaces(): Promise<string[]> {
    return (await ctr(this.socket, ['namespaces', 'ls', '-q'])).split('\n').map((s) => s.trim()).filter(Boolean);
  }

  async tasks(ns: string): Promise<Map<string, Task>> {
    const out = new Map<string, Task>();
    for (const line of (await ctr(this.socket, ['-n', ns, 'tasks', 'ls'])).split('\n').slice(1)) {
      const [id, pid, status] = line.trim().split(/\s+/);
      if (id) out.set(id, { id, pid: Number(pid), status: status ?? '' });
    }
    return out;
  }

  async containers(ns: string, filter?: string): Promise<string[]> {
    return (await ctr(this.socket, ['-n', ns, 'containers', 'ls', '-q', ...(filter ? [filter] : [])])).split('\n').map((s) => s.trim()).filter(Boolean);
  }

  async labels(ns: string, id: string): Promise<Record<string, string>> {
    const info = JSON.parse(await ctr(this.socket, ['-n', ns, 'containers', 'info', id])) as { Labels?: Record<string, string> | null };
    return info.Labels ?? {};
  }

  /** Containers matching NAME (exact ID, unique ID prefix, or a name label), in every namespace. */
  async match(name: string): Promise<Array<{ ns: string; id: string }>> {
    const hits: Array<{ ns: string; id: string }> = [];
    for (const ns of await this.namespaces()) {
      const ids = await this.containers(ns);
      const exact = ids.filter((id) => id === name);
      const prefix = exact.length ? exact : ids.filter((id) => id.startsWith(name));
      let found = prefix;
      if (!found.length && /^[\w.-]+$/.test(name)) {
        for (const label of NAME_LABELS) {
          found = await this.containers(ns, `labels."${label}"==${name}`);
          if (found.length) break;
        }
      }
      for (const id of found) hits.push({ ns, id });
    }
    return hits;
  }

  /** The target for container `id` in namespace `ns`. */
  async target(ns: string, id: string, spec: string): Promise<CaptureTarget> {
    const labels = await this.labels(ns, id).catch(() => ({} as Record<string, string>));
    const task = (await this.tasks(ns)).get(id);
    const label = labels['io.kubernetes.container.name'] ?? labels['nerdctl/name'] ?? id.slice(0, 12);
    if (!task || task.status !== 'RUNNING' || !task.pid) {
      throw new TargetStateError(`containerd container '${label}' (namespace ${ns}, ${id.slice(0, 12)}) is not running (${task ? task.status.toLowerCase() : 'no task'}; PID 0): it has no network namespace to capture in`,
        `start its task: ctr -n ${ns} task start -d ${id}`);
    }
    const t = pidTarget(task.pid, spec);
    const podName = labels['io.kubernetes.pod.name'];
    return {
      ...t, kind: 'container', label, runtime: 'containerd', containerId: id, namespace: ns,
      ...(podName ? { pod: { namespace: labels['io.kubernetes.pod.namespace'] ?? 'default', name: podName, uid: labels['io.kubernetes.pod.uid'], sandboxId: labels['io.kubernetes.sandbox.id'] } } : {}),
    };
  }

  /** Every running task in every namespace, as targets; containers sharing a namespace are listed in each. */
  async targets(): Promise<CaptureTarget[]> {
    const out: CaptureTarget[] = [];
    for (const ns of await this.namespaces()) {
      for (const task of (await this.tasks(ns)).values()) {
        if (task.status !== 'RUNNING' || !task.pid) continue;
        // A pod's sandbox (pause) container: the pod itself stands for it (through the CRI).
        const labels = await this.labels(ns, task.id).catch(() => ({} as Record<string, string>));
        if (labels['io.cri-containerd.kind'] === 'sandbox') continue;
        try {
          out.push(await this.target(ns, task.id, `container:containerd://${task.id}`));
        } catch (e) {
          if (!(e instanceof TargetError)) throw e;
        }
      }
    }
    for (const t of out) t.containers = out.filter((o) => o.netnsId === t.netnsId).map((o) => o.label).sort();
    return out;
  }
}

/** The containerd sockets present here (ctr needed), as providers. */
export function containerdProviders(): { present: Provider[]; absent: string[] } {
  const env = process.env.CONTAINERD_ADDRESS?.replace(/^unix:\/\//, '');
  const sockets = env ? [env] : CONTAINERD_SOCKETS;
  const found = sockets.filter((s) => socketPresent(s));
  if (!found.length) return { present: [], absent: [`containerd (${sockets[0]})`] };
  return { present: found.map(containerdProvider), absent: [] };
}

function containerdProvider(socket: string): Provider {
  const c = new Containerd(socket);
  return {
    runtime: 'containerd',
    where: socket,
    async find(name, spec) {
      let hits = await c.match(name);
      if (!hits.length) return undefined;
      if (hits.length > 1) {
        // Several by name, one running (a restarted container leaves the old one): take it.
        const running: typeof hits = [];
        for (const h of hits) if ((await c.tasks(h.ns)).get(h.id)?.status === 'RUNNING') running.push(h);
        if (running.length) hits = running;
      }
      if (hits.length > 1) {
        throw new TargetStateError(`'${name}' matches several containerd containers: ${hits.slice(0, 6).map((h) => `${h.ns}/${h.id.slice(0, 12)}`).join(', ')}`,
          'give more of the ID (container:containerd://FULL_ID)');
      }
      const t = await c.target(hits[0].ns, hits[0].id, spec);
      const peers = (await c.targets().catch(() => [])).filter((o) => o.netnsId === t.netnsId).map((o) => o.label);
      t.containers = peers.length ? [...new Set(peers)].sort() : [t.label];
      return t;
    },
    async names() {
      const out: string[] = [];
      for (const ns of await c.namespaces()) {
        for (const id of await c.containers(ns)) out.push(id.slice(0, 12));
      }
      return out;
    },
    targets: () => c.targets(),
  };
}
