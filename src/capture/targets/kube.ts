/**
 * `pod:[NAMESPACE/]NAME`: a Kubernetes pod on this node, found through the node's CRI runtime
 * by the kubelet's sandbox labels; all its containers share the sandbox's network namespace,
 * so the pod is one capture point.
 *
 * When the pod is not on this node and `kubectl` is configured, the error carries a
 * {@link RemotePodPlan}: the pod's node and containers, and the `kubectl debug` command that
 * runs tcpdump in an ephemeral container sharing the pod's network namespace and streams
 * pcap back on stdout (binary-safe: no TTY). That part needs a real cluster; it is built from
 * `kubectl get pod -o json` and is not run by wiresage's tests (no cluster can run there).
 */
import { execFile } from 'node:child_process';
import { hostname } from 'node:os';
import { CriClient, criFindSandboxes, criPodNames, criSandboxTarget, criSockets } from './cri.js';
import { TargetError, notFoundHint, type CaptureTarget } from './target.js';

/** The image of the ephemeral debug container (needs tcpdump): $WIRESAGE_DEBUG_IMAGE or netshoot. */
export const DEBUG_IMAGE = process.env.WIRESAGE_DEBUG_IMAGE ?? 'docker.io/nicolaka/netshoot:latest';

export interface RemotePodPlan {
  namespace: string;
  pod: string;
  node: string;
  containers: Array<{ name: string; containerId?: string; ready?: boolean }>;
  /** The container whose namespaces the debug container targets (--target). */
  target: string;
  image: string;
  /** argv of the capture command: pcap on its stdout. Append a BPF filter. */
  command: string[];
}

/** The pod runs on another node: the plan to capture it there. */
export class RemotePodError extends TargetError {
  constructor(readonly plan: RemotePodPlan, localNode: string) {
    super(`pod ${plan.namespace}/${plan.pod} runs on node ${plan.node}, not on this one (${localNode})`,
      `capture it there through an ephemeral debug container in the pod's network namespace, streaming pcap back:\n    ${shellWords(plan.command)} | wiresage read -`);
    this.name = 'RemotePodError';
  }
}

function shellWords(argv: string[]): string {
  return argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}

/** Splits "[NAMESPACE/]NAME". */
export function parsePodSpec(value: string, spec: string): { namespace?: string; name: string } {
  const parts = value.split('/');
  if (parts.length > 2 || !parts.every((p) => /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(p))) {
    throw new TargetError(`'${spec}' is not a pod name`, 'write pod:NAME or pod:NAMESPACE/NAME (lower-case DNS names, as kubectl shows them)');
  }
  return parts.length === 2 ? { namespace: parts[0], name: parts[1] } : { name: parts[0] };
}

/** `pod:[NS/]NAME` on this node; RemotePodError when kubectl places it on another node. */
export async function resolvePod(value: string, spec: string): Promise<CaptureTarget> {
  const { namespace, name } = parsePodSpec(value, spec);
  const sockets = criSockets();
  const known: string[] = [];
  for (const socket of sockets) {
    const c = new CriClient(socket);
    const found = await criFindSandboxes(c, name, namespace);
    const ready = found.filter((s) => s.ready);
    const namespaces = [...new Set(ready.map((s) => s.labels['io.kubernetes.pod.namespace'] ?? s.namespace))];
    if (namespaces.length > 1) {
      throw new TargetError(`pod '${name}' exists in several namespaces: ${namespaces.join(', ')}`, `pick one: ${namespaces.map((n) => `pod:${n}/${name}`).join(' or ')}`);
    }
    // A pod restarted by the kubelet leaves NOTREADY sandboxes behind: the ready one (newest) is the pod.
    const best = ready.length ? ready[ready.length - 1] : found[found.length - 1];
    if (best) return criSandboxTarget(c, best, spec);
    known.push(...(await criPodNames(c).catch(() => [])));
  }
  const plan = await kubectlPlan(name, namespace);
  if (typeof plan === 'object') {
    if (plan.node !== hostname()) throw new RemotePodError(plan, hostname());
    throw new TargetError(`pod ${plan.namespace}/${plan.pod} is on this node (${plan.node}) by the API server, but no CRI runtime here knows it`,
      sockets.length ? `looked in ${sockets.join(', ')}` : 'no CRI socket found: set CONTAINER_RUNTIME_ENDPOINT=unix:///path/to/cri.sock');
  }
  const where = namespace ? `${namespace}/${name}` : name;
  const cluster = plan === 'no-pod' ? `; the cluster kubectl is configured for has no pod '${where}' either${namespace ? '' : ' (in the context\'s namespace)'}` : '';
  if (!sockets.length) {
    throw new TargetError(`no pod '${where}' here: this machine has no CRI runtime socket (containerd, CRI-O, cri-dockerd)${cluster || ' and kubectl has no cluster configured'}`,
      plan === 'no-pod' ? 'check the name and namespace: kubectl get pods -A' : 'on a Kubernetes node run wiresage as root; elsewhere configure kubectl (KUBECONFIG) so the pod can be captured on its node');
  }
  throw new TargetError(`no pod '${where}' on this node${cluster}`, notFoundHint(namespace ? `${namespace}/${name}` : name, known, 'pods on this node'));
}

/** Runs kubectl; undefined when it is missing or fails (`onError` gets its message). */
function kubectl(args: string[], onError?: (message: string) => void): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile('kubectl', args, { encoding: 'utf8', timeout: 15_000, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      if (err) onError?.((stderr || err.message).trim().split('\n').pop() ?? '');
      resolve(err ? undefined : stdout);
    });
  });
}

interface PodJson {
  metadata: { name: string; namespace: string };
  spec: { nodeName?: string; containers: Array<{ name: string }> };
  status?: { phase?: string; containerStatuses?: Array<{ name: string; containerID?: string; ready?: boolean }> };
}

/** The plan for a pod that the configured cluster knows; 'no-cluster' without kubectl or a context, 'no-pod' when the cluster does not have it. */
export async function kubectlPlan(name: string, namespace?: string): Promise<RemotePodPlan | 'no-cluster' | 'no-pod'> {
  if (!(await kubectl(['config', 'current-context']))?.trim()) return 'no-cluster';
  let failure = '';
  const out = await kubectl(['get', 'pod', name, ...(namespace ? ['-n', namespace] : []), '-o', 'json'], (m) => { failure = m; });
  if (!out) {
    if (/NotFound|not found/i.test(failure)) return 'no-pod';
    throw new TargetError(`no pod '${namespace ? `${namespace}/` : ''}${name}' on this node, and asking the cluster failed: ${failure}`, 'check kubectl: kubectl get pods');
  }
  let pod: PodJson;
  try {
    pod = JSON.parse(out) as PodJson;
  } catch {
    return 'no-pod';
  }
  // kubectl before 1.27 has no debug profiles (and a pre-1.23 one no --profile at all).
  const help = (await kubectl(['debug', '--help'])) ?? '';
  return planFor(pod, /netadmin/.test(help));
}

/** The capture plan for a pod object (as `kubectl get pod -o json` returns it). */
export function planFor(pod: PodJson, profiles = true): RemotePodPlan {
  const statuses = new Map((pod.status?.containerStatuses ?? []).map((s) => [s.name, s]));
  const containers = pod.spec.containers.map((c) => ({ name: c.name, containerId: statuses.get(c.name)?.containerID, ready: statuses.get(c.name)?.ready }));
  const target = containers[0]?.name ?? '';
  const command = ['kubectl', 'debug', '-n', pod.metadata.namespace, `pod/${pod.metadata.name}`, '--quiet', '--attach', '--image', DEBUG_IMAGE,
    ...(target ? ['--target', target] : []), ...(profiles ? ['--profile', 'netadmin'] : []), '--', 'tcpdump', '-i', 'any', '-U', '-w', '-'];
  return { namespace: pod.metadata.namespace, pod: pod.metadata.name, node: pod.spec.nodeName ?? '(not scheduled)', containers, target, image: DEBUG_IMAGE, command };
}
