/**
 * The Kubernetes Container Runtime Interface (containerd's CRI plugin, CRI-O, cri-dockerd):
 * gRPC on the runtime's unix socket, as the kubelet and crictl use it. Containers are found by
 * ID, ID prefix or Kubernetes container name; their PID comes from `ContainerStatus` with
 * verbose set (`info.pid`), a sandbox's from `PodSandboxStatus` (`info.pid`, or the netns
 * path in its runtime spec). Pods are found by the kubelet's sandbox labels
 * (io.kubernetes.pod.name / io.kubernetes.pod.namespace), as `crictl pods --name` does.
 *
 * The socket is $CONTAINER_RUNTIME_ENDPOINT (crictl's variable) or the first of the usual
 * places that exists.
 */
import { Fields, GrpcError, GRPC_NOT_FOUND, GRPC_UNIMPLEMENTED, grpcUnary, pb, type Pb } from './grpc.js';
import { netnsTarget, pidTarget } from './netns.js';
import type { Provider } from './runtimes.js';
import { TargetError, TargetStateError, socketPresent, notFoundHint, type CaptureTarget } from './target.js';

export const CRI_SOCKETS = ['/run/containerd/containerd.sock', '/run/crio/crio.sock', '/var/run/cri-dockerd.sock', '/run/k3s/containerd/containerd.sock'];

export const POD_NAME = 'io.kubernetes.pod.name';
export const POD_NAMESPACE = 'io.kubernetes.pod.namespace';
export const POD_UID = 'io.kubernetes.pod.uid';

export interface Sandbox { id: string; name: string; namespace: string; uid: string; ready: boolean; labels: Record<string, string> }
export interface CriContainer { id: string; sandboxId: string; name: string; state: 'created' | 'running' | 'exited' | 'unknown'; labels: Record<string, string> }

const CONTAINER_STATES = ['created', 'running', 'exited', 'unknown'] as const;

function sandboxOf(f: Fields): Sandbox {
  const meta = f.message(2);
  return { id: f.string(1), name: meta.string(1), uid: meta.string(2), namespace: meta.string(3), ready: f.number(3) === 0, labels: f.map(5) };
}

function containerOf(f: Fields): CriContainer {
  return { id: f.string(1), sandboxId: f.string(2), name: f.message(3).string(1), state: CONTAINER_STATES[f.number(6)] ?? 'unknown', labels: f.map(8) };
}

/** A CRI runtime on one socket; the API version (v1, else v1alpha2) is found on first use. */
export class CriClient {
  private service?: Promise<string | undefined>;
  runtimeName = '';

  constructor(readonly socket: string) {}

  /** The gRPC service prefix this runtime answers, or undefined when the socket does not speak CRI. */
  serviceName(): Promise<string | undefined> {
    // Only a positive answer is remembered: a runtime that is starting answers later.
    this.service ??= (async () => {
      for (const version of ['runtime.v1', 'runtime.v1alpha2']) {
        try {
          const r = await grpcUnary(this.socket, `/${version}.RuntimeService/Version`, pb.string(1, '0.1.0'), 5000);
          this.runtimeName = `${r.string(2)} ${r.string(3)}`.trim();
          return `${version}.RuntimeService`;
        } catch (e) {
          if (e instanceof GrpcError && e.status === GRPC_UNIMPLEMENTED) continue;
          const code = (e as NodeJS.ErrnoException).code;
          if (code === 'EACCES' || code === 'EPERM') throw new TargetError(`permission denied on the CRI socket ${this.socket}`, 'run wiresage as root');
          if (code === 'ENOENT' || code === 'ECONNREFUSED') return undefined;
          if (e instanceof GrpcError) return undefined;
          throw new TargetError(`CRI runtime on ${this.socket}: ${(e as Error).message}`);
        }
      }
      return undefined;
    })().then((name) => {
      if (!name) this.service = undefined;
      return name;
    }, (e: unknown) => {
      this.service = undefined;
      throw e;
    });
    return this.service;
  }

  /** One RuntimeService call; TargetError when the socket is not a CRI runtime. */
  async call(method: string, request: Pb): Promise<Fields> {
    const service = await this.serviceName();
    if (!service) throw new TargetError(`${this.socket} does not serve the Kubernetes CRI (is the cri plugin disabled?)`);
    return grpcUnary(this.socket, `/${service}/${method}`, request);
  }

  async sandboxes(labels?: Record<string, string>, readyOnly = false): Promise<Sandbox[]> {
    const filter = pb.message(1, ...(readyOnly ? [pb.message(2)] : []), pb.map(3, labels));
    const r = await this.call('ListPodSandbox', labels || readyOnly ? filter : Buffer.alloc(0));
    return r.messages(1).map(sandboxOf);
  }

  async containers(filter: { sandboxId?: string; labels?: Record<string, string> } = {}): Promise<CriContainer[]> {
    const f = filter.sandboxId || filter.labels ? pb.message(1, pb.string(3, filter.sandboxId), pb.map(4, filter.labels)) : Buffer.alloc(0);
    return (await this.call('ListContainers', f)).messages(1).map(containerOf);
  }

  /** The verbose `info` of a container (containerd: {"pid": N, …}). */
  async containerInfo(id: string): Promise<{ status: Fields; info: Record<string, unknown> }> {
    const r = await this.call('ContainerStatus', Buffer.concat([pb.string(1, id), pb.uint(2, true)]));
    return { status: r.message(1), info: parseInfo(r.map(2)) };
  }

  async sandboxInfo(id: string): Promise<{ status: Fields; info: Record<string, unknown> }> {
    const r = await this.call('PodSandboxStatus', Buffer.concat([pb.string(1, id), pb.uint(2, true)]));
    return { status: r.message(1), info: parseInfo(r.map(2)) };
  }
}

/** The verbose info map: containerd puts one JSON document under "info"; CRI-O uses several keys. */
function parseInfo(map: Record<string, string>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(map)) {
    try {
      const parsed = JSON.parse(v) as unknown;
      if (k === 'info' && parsed && typeof parsed === 'object') Object.assign(out, parsed);
      else out[k] = parsed;
    } catch {
      out[k] = v;
    }
  }
  return out;
}

/** The network namespace path from a runtime spec in verbose info (runtimeSpec.linux.namespaces). */
function specNetns(info: Record<string, unknown>): string | undefined {
  const spec = info.runtimeSpec as { linux?: { namespaces?: Array<{ type: string; path?: string }> } } | undefined;
  return spec?.linux?.namespaces?.find((n) => n.type === 'network')?.path || undefined;
}

/** A namespace target from a verbose status: the PID's namespace, else the netns path the runtime recorded. */
function targetFromInfo(info: Record<string, unknown>, spec: string, what: string): CaptureTarget {
  const pid = Number(info.pid ?? 0);
  if (pid > 0) {
    try {
      return pidTarget(pid, spec);
    } catch (e) {
      if (!(e instanceof TargetError) || /permission/.test(e.message)) throw e;
    }
  }
  const path = specNetns(info);
  if (path) return netnsTarget(path, spec);
  throw new TargetError(`${what} has no process and no network namespace path (it is not running)`);
}

/** `container:X` through the CRI: by full ID, unique ID prefix, or Kubernetes container name. */
export async function criFindContainer(c: CriClient, name: string, spec: string): Promise<CaptureTarget | undefined> {
  if (!(await c.serviceName())) return undefined;
  const all = await c.containers();
  let hits = all.filter((x) => x.id === name);
  if (!hits.length) hits = all.filter((x) => x.id.startsWith(name));
  if (!hits.length) hits = all.filter((x) => x.name === name);
  const running = hits.filter((x) => x.state === 'running');
  if (running.length > 1 || (!running.length && hits.length > 1)) {
    const list = (running.length ? running : hits).map((x) => `${x.labels[POD_NAMESPACE] ?? '?'}/${x.labels[POD_NAME] ?? '?'} ${x.name} (${x.id.slice(0, 12)})`).sort().slice(0, 6);
    throw new TargetStateError(`'${name}' matches several CRI containers: ${list.join(', ')}`, 'give the container ID (container:ID-PREFIX) or the pod (pod:NAMESPACE/NAME)');
  }
  const hit = running[0] ?? hits[0];
  if (!hit) return undefined;
  const podLabel = hit.labels[POD_NAME] ? `${hit.labels[POD_NAMESPACE] ?? 'default'}/${hit.labels[POD_NAME]}` : undefined;
  if (hit.state !== 'running') {
    throw new TargetStateError(`CRI container '${hit.name}'${podLabel ? ` of pod ${podLabel}` : ''} (${hit.id.slice(0, 12)}) is not running (${hit.state}; PID 0): it has no network namespace to capture in`);
  }
  const { info } = await c.containerInfo(hit.id);
  const t = targetFromInfo(info, spec, `CRI container '${hit.name}'`);
  const peers = hit.sandboxId ? (await c.containers({ sandboxId: hit.sandboxId })).filter((x) => x.state === 'running').map((x) => x.name) : [];
  return {
    ...t, kind: 'container', label: hit.name, runtime: 'cri', containerId: hit.id, containers: peers.length ? peers.sort() : [hit.name],
    ...(podLabel ? { pod: { namespace: hit.labels[POD_NAMESPACE] ?? 'default', name: hit.labels[POD_NAME], uid: hit.labels[POD_UID], sandboxId: hit.sandboxId } } : {}),
  };
}

/** The pod sandboxes named NAME (in NAMESPACE when given) that this node runs. */
export async function criFindSandboxes(c: CriClient, name: string, namespace?: string): Promise<Sandbox[]> {
  if (!(await c.serviceName())) return [];
  const labels: Record<string, string> = { [POD_NAME]: name, ...(namespace ? { [POD_NAMESPACE]: namespace } : {}) };
  let found = await c.sandboxes(labels);
  // Sandboxes not made by a kubelet may lack the labels: match their metadata as crictl does.
  if (!found.length) found = (await c.sandboxes()).filter((s) => s.name === name && (!namespace || s.namespace === namespace));
  return found;
}

/** The target of one pod sandbox: its namespace, every container of the pod. */
export async function criSandboxTarget(c: CriClient, s: Sandbox, spec: string): Promise<CaptureTarget> {
  const ns = s.labels[POD_NAMESPACE] ?? s.namespace ?? 'default';
  const name = s.labels[POD_NAME] ?? s.name;
  const label = `${ns}/${name}`;
  if (!s.ready) throw new TargetError(`pod ${label} is not running (its sandbox ${s.id.slice(0, 12)} is NOTREADY): it has no network namespace to capture in`);
  const { info } = await c.sandboxInfo(s.id);
  const t = targetFromInfo(info, spec, `pod ${label}`);
  const containers = (await c.containers({ sandboxId: s.id })).filter((x) => x.state === 'running').map((x) => x.name).sort();
  return { ...t, kind: 'pod', label, runtime: 'cri', containerId: s.id, containers, pod: { namespace: ns, name, uid: s.labels[POD_UID] ?? s.uid, sandboxId: s.id } };
}

/** The CRI socket candidates present here. */
export function criSockets(): string[] {
  const env = process.env.CONTAINER_RUNTIME_ENDPOINT?.replace(/^unix:\/\//, '');
  return (env ? [env] : CRI_SOCKETS).filter((s) => socketPresent(s));
}

export function criProviders(): { present: Provider[]; absent: string[] } {
  const sockets = criSockets();
  if (!sockets.length) return { present: [], absent: [`a CRI runtime (${process.env.CONTAINER_RUNTIME_ENDPOINT ?? CRI_SOCKETS.join(', ')})`] };
  return { present: sockets.map(criProvider), absent: [] };
}

function criProvider(socket: string): Provider {
  const c = new CriClient(socket);
  return {
    runtime: 'cri',
    where: socket,
    find: (name, spec) => criFindContainer(c, name, spec),
    async names() {
      if (!(await c.serviceName())) return [];
      return (await c.containers()).flatMap((x) => [x.name, x.id.slice(0, 12)]);
    },
    async targets() {
      if (!(await c.serviceName())) return [];
      const out: CaptureTarget[] = [];
      for (const s of await c.sandboxes(undefined, true)) {
        try {
          out.push(await criSandboxTarget(c, s, `pod:${s.labels[POD_NAMESPACE] ?? s.namespace}/${s.labels[POD_NAME] ?? s.name}`));
        } catch (e) {
          if (!(e instanceof TargetError) && !(e instanceof GrpcError && e.status === GRPC_NOT_FOUND)) throw e;
        }
      }
      return out;
    },
  };
}

/** Pod names for "did you mean". */
export async function criPodNames(c: CriClient): Promise<string[]> {
  if (!(await c.serviceName())) return [];
  return (await c.sandboxes()).map((s) => `${s.labels[POD_NAMESPACE] ?? s.namespace}/${s.labels[POD_NAME] ?? s.name}`);
}

