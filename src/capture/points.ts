/**
 * Capture points: where `wiresage capture` listens, in the `--at POINT` syntax, resolved to a
 * network namespace (targets/) and an interface, and opened as capture sources.
 *
 *   POINT   := TARGET[@IFACE][,OPTION…]
 *   TARGET  := host | host:IFACE | pid:PID | netns:NAME|PATH | container:NAME|ID|PREFIX
 *              | pod:[NAMESPACE/]NAME            (as src/capture/targets resolves them)
 *   OPTION  := iface=IFACE | snaplen=N | filter=BPF EXPRESSION (filter= takes the rest, commas too)
 *
 *   --at host:eth0 --at 'container:db@eth0,snaplen=200,filter=tcp port 1521' --at pod:shop/web-0
 *
 * `container:NAME/IFACE` and `pid:PID/IFACE` are accepted for `@IFACE` (no other kind allows a
 * slash there: pod and netns values contain one). The interface defaults to `-i` when one was
 * given, else `any` inside a target (the host keeps tcpdump's choice: the first interface that
 * is up). Every point is named after what the user wrote plus the interface —
 * `container:db@eth0`, `host:eth0` — and that name is its pcapng interface name, the column of
 * the live display and its file name with --split. Points that resolve to the same namespace
 * and interface (containers sharing a network namespace, a pod and its containers) are one
 * capture point.
 *
 * @example
 * const specs = ['netns:client', 'netns:server,filter=tcp port 80'].map(parsePoint);
 * const points = await resolvePoints(specs, { device: 'any' });
 */
import { existsSync } from 'node:fs';
import { CaptureOpenError } from './source.js';
import { resolveTarget, targetAlive, TargetError, type CaptureTarget } from './targets/index.js';
import { RemotePodError, type RemotePodPlan } from './targets/kube.js';

/** A POINT as written, before resolution. */
export interface PointSpec {
  /** The target part (`container:db`, `host`). */
  target: string;
  iface?: string;
  snapLen?: number;
  filter?: string;
  /** What the user wrote, for messages. */
  text: string;
}

/** A resolved capture point. */
export interface CapturePoint {
  /** Name of the point: pcapng interface name, display column, --split file tag. */
  label: string;
  /** Interface inside the namespace. */
  device: string;
  /** Namespace file; undefined = this process's own (the host). */
  netns: string | undefined;
  netnsId: string;
  target: CaptureTarget;
  filter?: string;
  snapLen?: number;
  /** Other specs that resolved to this same point (shared namespaces). */
  aliases: string[];
}

/** A pod that runs on another node: captured there through kubectl (remote.ts). */
export interface PodElsewhere {
  label: string;
  device: string;
  plan: RemotePodPlan;
  filter?: string;
  snapLen?: number;
}

/** A bad --at / --pid / … value: a usage error (exit 2) in the CLI. */
export class PointSyntaxError extends Error {}

/** Parses one POINT (see the module comment). */
export function parsePoint(text: string): PointSpec {
  const s = text.trim();
  if (!s) throw new PointSyntaxError('empty capture point: write e.g. host:eth0, container:app, pod:ns/name, pid:123 or netns:NAME');
  const comma = s.indexOf(',');
  let target = (comma < 0 ? s : s.slice(0, comma)).trim();
  const spec: PointSpec = { target, text: s };
  if (comma >= 0) parsePointOptions(s.slice(comma + 1), text, spec);
  const at = target.lastIndexOf('@');
  if (at > 0 && !target.slice(at).includes('/')) {
    setIface(spec, target.slice(at + 1), text);
    target = target.slice(0, at);
  } else {
    const slash = /^(container|pid):([^/]+)\/([^/]+)$/.exec(target);
    if (slash) {
      setIface(spec, slash[3], text);
      target = `${slash[1]}:${slash[2]}`;
    }
  }
  const host = /^host:(.+)$/.exec(target);
  if (host) {
    setIface(spec, host[1], text);
    target = 'host';
  }
  if (!target) throw new PointSyntaxError(`'${text}' names no target`);
  spec.target = target;
  return spec;
}

/** The `,iface=…,snaplen=…,filter=…` part of a point (or of an --ssh value) into `spec`. */
export function parsePointOptions(options: string, text: string, spec: { iface?: string; snapLen?: number; filter?: string; target?: string }, allowTarget = false): void {
  let rest = options;
  while (rest.length) {
    const m = (allowTarget ? /^\s*(iface|interface|snaplen|filter|target)\s*=/ : /^\s*(iface|interface|snaplen|filter)\s*=/).exec(rest);
    if (!m) throw new PointSyntaxError(`'${text}': unknown point option '${rest.split(',')[0].trim()}' (options: iface=, snaplen=, ${allowTarget ? 'target=, ' : ''}filter=)`);
    const key = m[1];
    rest = rest.slice(m[0].length);
    if (key === 'filter') {
      spec.filter = rest.trim();
      if (!spec.filter) throw new PointSyntaxError(`'${text}': filter= needs a BPF expression`);
      return;
    }
    const next = rest.indexOf(',');
    const value = (next < 0 ? rest : rest.slice(0, next)).trim();
    rest = next < 0 ? '' : rest.slice(next + 1);
    if (key === 'snaplen') {
      if (!/^\d+$/.test(value)) throw new PointSyntaxError(`'${text}': snaplen= needs a number of bytes, not '${value}'`);
      spec.snapLen = Number(value);
    } else if (key === 'target') {
      if (!value) throw new PointSyntaxError(`'${text}': target= needs a capture target (container:NAME, pod:NS/NAME, pid:PID, netns:NAME)`);
      spec.target = value;
    } else {
      if (!value) throw new PointSyntaxError(`'${text}': iface= needs an interface name`);
      spec.iface = value;
    }
  }
}

function setIface(spec: PointSpec, iface: string, text: string): void {
  if (!iface) throw new PointSyntaxError(`'${text}': the interface after '@' is empty`);
  if (spec.iface && spec.iface !== iface) throw new PointSyntaxError(`'${text}' names two interfaces (${spec.iface} and ${iface})`);
  spec.iface = iface;
}

export interface PointDefaults {
  /** -i when exactly one was given. */
  device?: string;
  /** The host's default interface (tcpdump's choice), asked for only when needed. */
  hostDevice?: () => string;
  /** The trailing BPF expression, for points without filter=. */
  filter?: string;
  /** -s, for points without snaplen=. */
  snapLen?: number;
}

/** A target that could not be resolved, naming the point. */
export class PointResolveError extends Error {
  constructor(readonly point: string, override readonly cause: Error) {
    super(`capture point '${point}': ${cause.message}`);
    this.name = 'PointResolveError';
  }
}

/** The label of a point: `host:eth0`, `container:db@eth0`. */
export function pointLabel(target: string, device: string): string {
  return target === 'host' ? `host:${device}` : `${target}@${device}`;
}

/**
 * Resolves the points (targets through src/capture/targets) and merges those that are the same
 * namespace and interface. Throws PointResolveError (with the target's hint), or
 * PointSyntaxError when two specs meet at one point with different filters or snaplens.
 */
export async function resolvePoints(specs: PointSpec[], defaults: PointDefaults = {},
  resolve: (spec: string) => Promise<CaptureTarget> = resolveTarget): Promise<{ points: CapturePoint[]; notes: string[]; elsewhere: PodElsewhere[] }> {
  const points: CapturePoint[] = [];
  const notes: string[] = [];
  const elsewhere: PodElsewhere[] = [];
  for (const spec of specs) {
    let target: CaptureTarget;
    try {
      target = await resolve(spec.target);
    } catch (e) {
      if (e instanceof RemotePodError) {
        const device = spec.iface ?? defaults.device ?? 'any';
        const filter = spec.filter ?? defaults.filter;
        const snapLen = spec.snapLen ?? defaults.snapLen;
        elsewhere.push({ label: pointLabel(spec.target, device), device, plan: e.plan, ...(filter ? { filter } : {}), ...(snapLen ? { snapLen } : {}) });
        continue;
      }
      if (e instanceof TargetError) throw new PointResolveError(spec.text, e);
      throw e;
    }
    const device = spec.iface ?? defaults.device ?? (target.kind === 'host' ? defaults.hostDevice?.() ?? 'any' : 'any');
    const filter = spec.filter ?? defaults.filter;
    const snapLen = spec.snapLen ?? defaults.snapLen;
    const label = pointLabel(spec.target, device);
    const same = points.find((p) => p.netnsId === target.netnsId && p.device === device);
    if (same) {
      if ((same.filter ?? '') !== (filter ?? '') || (same.snapLen ?? 0) !== (snapLen ?? 0)) {
        throw new PointSyntaxError(`'${spec.text}' is the same capture point as '${same.label}' (network namespace ${target.netnsId}, interface ${device}) with a different filter or snaplen: give them once`);
      }
      same.aliases.push(label);
      notes.push(`${label} shares the network namespace of ${same.label}: captured once, as ${same.label}`);
      continue;
    }
    points.push({
      label, device, netns: target.netns, netnsId: target.netnsId, target, aliases: [],
      ...(filter ? { filter } : {}), ...(snapLen ? { snapLen } : {}),
    });
  }
  return { points, notes, elsewhere };
}

/**
 * Watches the points' namespaces while capturing: calls `gone` once for the first whose
 * namespace no longer exists (the container stopped, the process exited, `ip netns del`).
 * Returns a function that stops watching.
 */
export function watchPoints(points: CapturePoint[], gone: (point: CapturePoint, why: string) => void, everyMs = 500): () => void {
  const watched = points.filter((p) => p.netns !== undefined);
  if (!watched.length) return () => {};
  const timer = setInterval(() => {
    for (const p of watched) {
      if (alive(p.target)) continue;
      clearInterval(timer);
      const t = p.target;
      const why = t.kind === 'container' ? `container ${t.label}${t.pid ? ` (PID ${t.pid})` : ''} stopped`
        : t.kind === 'pod' ? `pod ${t.label} is gone`
        : t.pid !== undefined ? `process ${t.pid} exited`
        : `${t.netns} was deleted`;
      gone(p, `its network namespace is gone: ${why}`);
      return;
    }
  }, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}

/**
 * targetAlive, also after -Z dropped root: a process's namespace file cannot be looked at then
 * (EACCES), but whether the process still exists can.
 */
function alive(t: CaptureTarget): boolean {
  try {
    return targetAlive(t);
  } catch {
    if (t.pid !== undefined) return existsSync(`/proc/${t.pid}`);
    return t.netns === undefined || existsSync(t.netns);
  }
}

/** CaptureOpenError for a point, with the point's name in front. */
export function pointOpenError(point: CapturePoint, e: CaptureOpenError): CaptureOpenError {
  return e.message.startsWith(point.label) ? e : new CaptureOpenError(`${point.label}: ${e.message}`, e.code, e.device);
}
