/**
 * Docker containers through the Engine API on its unix socket (no docker CLI): `GET
 * /containers/{name|id|prefix}/json` gives `.State.Pid`, whose /proc/PID/ns/net is the
 * container's network namespace. The same API is served by podman's compatibility socket, so
 * {@link EngineClient} is used by podman.ts too.
 *
 * The socket is $DOCKER_HOST (unix:// only) or /var/run/docker.sock.
 */
import { request } from 'node:http';
import { pidTarget } from './netns.js';
import { TargetError, TargetStateError, socketPresent, notFoundHint, nsIdOf, type CaptureTarget, type Runtime } from './target.js';

interface EngineResponse { status: number; body: unknown; text: string }

/** A socket that is not there, or there but refusing us: the runtime is absent or not permitted. */
export class SocketError extends TargetError {}

/** One call of a Docker-compatible HTTP API over a unix socket. */
export function engineRequest(socketPath: string, method: string, path: string, body?: Buffer | string | object, timeoutMs = 30_000,
  contentType = 'application/json'): Promise<EngineResponse> {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : Buffer.isBuffer(body) ? body : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
    const req = request({ socketPath, method, path, timeout: timeoutMs, headers: { Host: 'localhost', ...(data ? { 'Content-Type': contentType, 'Content-Length': data.length } : {}) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let parsed: unknown = undefined;
        if (/json/.test(res.headers['content-type'] ?? '')) {
          try { parsed = JSON.parse(text); } catch { parsed = undefined; }
        }
        resolve({ status: res.statusCode ?? 0, body: parsed, text });
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer from ${socketPath} within ${timeoutMs / 1000} s`)));
    req.on('error', reject);
    if (data) req.write(data);
    req.end();
  });
}

export interface Inspect {
  Id: string;
  Name: string;
  State: { Status: string; Running: boolean; Pid: number; ExitCode?: number; Paused?: boolean };
  HostConfig?: { NetworkMode?: string };
  Config?: { Labels?: Record<string, string> | null };
  Pod?: string;
}

export interface ListEntry { Id: string; Names?: string[]; State?: string; HostConfig?: { NetworkMode?: string } }

/** A Docker Engine API (or podman's compatible API) on a unix socket. */
export class EngineClient {
  runtime: Runtime;
  private detected = false;
  constructor(readonly socketPath: string, runtime: Runtime, private cli: string) {
    this.runtime = runtime;
  }

  /** podman-docker serves podman on Docker's socket: say podman when /version says so. */
  private async detect(): Promise<void> {
    if (this.detected || this.runtime !== 'docker') return;
    this.detected = true;
    const r = await this.call('GET', '/version');
    const components = (r.body as { Components?: Array<{ Name?: string }> } | undefined)?.Components ?? [];
    if (components.some((c) => /podman/i.test(c.Name ?? ''))) {
      this.runtime = 'podman';
      this.cli = 'podman';
    }
  }

  /** Fails with a SocketError that says what to do when the socket is missing or refuses us. */
  async call(method: string, path: string, body?: Buffer | string | object, timeoutMs?: number, contentType?: string): Promise<EngineResponse> {
    try {
      return await engineRequest(this.socketPath, method, path, body, timeoutMs, contentType);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') throw new SocketError(`${this.runtime} is not running here: ${this.socketPath} does not exist`, this.startHint());
      if (code === 'EACCES' || code === 'EPERM') {
        throw new SocketError(`permission denied on ${this.socketPath}`, `run wiresage as root (capture needs it anyway), or add the user to the group owning the socket`);
      }
      if (code === 'ECONNREFUSED') throw new SocketError(`${this.runtime} is not answering on ${this.socketPath} (connection refused: the daemon has stopped)`, this.startHint());
      throw new SocketError(`${this.runtime} API on ${this.socketPath}: ${(e as Error).message}`);
    }
  }

  private startHint(): string {
    return this.runtime === 'podman' ? 'start the API service: podman system service --time=0 unix:///run/podman/podman.sock &' : 'start it: systemctl start docker (or set DOCKER_HOST=unix:///path/to/docker.sock)';
  }

  /** `docker inspect`, or undefined for an unknown name. */
  async inspect(name: string): Promise<Inspect | undefined> {
    const r = await this.call('GET', `/containers/${encodeURIComponent(name)}/json`);
    if (r.status === 404) return undefined;
    if (r.status !== 200) throw new TargetError(`${this.runtime}: ${apiMessage(r)}`);
    return r.body as Inspect;
  }

  /** Every container (running or not), as `docker ps -a` lists them. */
  async list(all = true): Promise<ListEntry[]> {
    const r = await this.call('GET', `/containers/json${all ? '?all=1' : ''}`);
    if (r.status !== 200) throw new TargetError(`${this.runtime}: ${apiMessage(r)}`);
    return r.body as ListEntry[];
  }

  /** Names and short IDs of every container, for "did you mean". */
  async names(): Promise<string[]> {
    const out: string[] = [];
    for (const c of await this.list()) {
      for (const n of c.Names ?? []) out.push(n.replace(/^\//, ''));
    }
    return out;
  }

  /** `container:NAME|ID|PREFIX` through this engine: undefined when it has no such container. */
  async find(name: string, spec: string): Promise<CaptureTarget | undefined> {
    await this.detect();
    const c = await this.inspect(name);
    if (!c) return undefined;
    const target = this.targetOf(c, spec);
    if (target.sharedWith) {
      const owner = await this.inspect(target.sharedWith).catch(() => undefined);
      if (owner) target.sharedWith = owner.Name.replace(/^\//, '');
    }
    const peers = await this.sharing(target.netnsId);
    target.containers = peers.length ? peers : [target.label];
    return target;
  }

  private targetOf(c: Inspect, spec: string): CaptureTarget {
    const label = c.Name.replace(/^\//, '') || c.Id.slice(0, 12);
    if (!c.State.Running || !c.State.Pid) {
      const status = c.State.Status + (c.State.Status === 'exited' && c.State.ExitCode !== undefined ? ` with code ${c.State.ExitCode}` : '');
      throw new TargetStateError(`${this.runtime} container '${label}' (${c.Id.slice(0, 12)}) is not running (${status}; PID 0): it has no network namespace to capture in`,
        `start it first: ${this.cli} start ${label}`);
    }
    let t: CaptureTarget;
    try {
      t = pidTarget(c.State.Pid, spec);
    } catch (e) {
      if (e instanceof TargetError && /no process|no network namespace/.test(e.message)) {
        throw new TargetStateError(`${this.runtime} container '${label}' reports PID ${c.State.Pid}, which is not visible here`,
          `wiresage must run in the host's PID namespace (not inside a container) to enter other containers`);
      }
      throw e;
    }
    const mode = c.HostConfig?.NetworkMode ?? '';
    const labels = c.Config?.Labels ?? {};
    const podName = labels['io.kubernetes.pod.name'];
    return {
      ...t,
      kind: 'container',
      label,
      runtime: this.runtime,
      containerId: c.Id,
      ...(mode.startsWith('container:') ? { sharedWith: mode.slice('container:'.length) } : {}),
      ...(podName ? { pod: { namespace: labels['io.kubernetes.pod.namespace'] ?? 'default', name: podName, uid: labels['io.kubernetes.pod.uid'] } } : {}),
    };
  }

  /** Names of the running containers whose network namespace is `netnsId` (`--network container:X`, pods). */
  async sharing(netnsId: string): Promise<string[]> {
    const running = await this.list(false);
    const found = await Promise.all(running.map(async (e) => {
      const c = await this.inspect(e.Id).catch(() => undefined);
      if (!c?.State.Pid) return undefined;
      try {
        return nsIdOf(`/proc/${c.State.Pid}/ns/net`) === netnsId ? c.Name.replace(/^\//, '') : undefined;
      } catch {
        return undefined;
      }
    }));
    return found.filter((n): n is string => !!n).sort();
  }

  /** Every running container, one target per container (callers dedupe by netnsId). */
  async targets(): Promise<CaptureTarget[]> {
    await this.detect();
    const running = await this.list(false);
    const out: CaptureTarget[] = [];
    for (const e of running) {
      const c = await this.inspect(e.Id).catch(() => undefined);
      if (!c) continue;
      try {
        out.push(this.targetOf(c, `container:${c.Name.replace(/^\//, '')}`));
      } catch (err) {
        if (!(err instanceof TargetError)) throw err;
      }
    }
    for (const t of out) t.containers = out.filter((o) => o.netnsId === t.netnsId).map((o) => o.label).sort();
    return out;
  }

  /** The "not found" error, with close names from this engine. */
  async notFound(name: string): Promise<TargetError> {
    const names = await this.names().catch(() => []);
    return new TargetError(`no ${this.runtime} container named '${name}' (nor with that ID or ID prefix)`, notFoundHint(name, names, `${this.runtime} containers`));
  }
}

function apiMessage(r: EngineResponse): string {
  const m = (r.body as { message?: string } | undefined)?.message;
  return m ?? `HTTP ${r.status} ${r.text.slice(0, 200)}`;
}

/** The Docker socket: $DOCKER_HOST when it is unix://, else /var/run/docker.sock. */
export function dockerSocket(): string {
  const host = process.env.DOCKER_HOST;
  if (host) {
    if (host.startsWith('unix://')) return host.slice('unix://'.length);
    throw new TargetError(`DOCKER_HOST=${host}: only unix:// sockets are supported (the container's namespace must be on this machine)`);
  }
  return '/var/run/docker.sock';
}

/** The Docker engine, or undefined when its socket does not exist. */
export function dockerEngine(): EngineClient | undefined {
  const socket = dockerSocket();
  return socketPresent(socket) ? new EngineClient(socket, 'docker', 'docker') : undefined;
}
