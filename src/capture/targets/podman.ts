/**
 * podman containers: through its Docker-compatible API socket when `podman system service`
 * runs (/run/podman/podman.sock, or $CONTAINER_HOST unix://…), else through `podman inspect`
 * and `podman ps` (rootful podman has no daemon by default).
 */
import { execFile } from 'node:child_process';
import { EngineClient, type Inspect, type ListEntry } from './docker.js';
import { existsSync } from 'node:fs';
import { TargetError, socketPresent } from './target.js';

/** The podman API socket: $CONTAINER_HOST when it is unix://, else the rootful default. */
export function podmanSocket(): string {
  const host = process.env.CONTAINER_HOST;
  if (host?.startsWith('unix://')) return host.slice('unix://'.length);
  return '/run/podman/podman.sock';
}

/** Runs the podman CLI; resolves stdout, or rejects with its stderr. */
function podman(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('podman', args, { encoding: 'utf8', timeout: 30_000, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      if (err) reject(Object.assign(new Error((stderr || err.message).trim()), { code: (err as NodeJS.ErrnoException).code, stdout }));
      else resolve(stdout);
    });
  });
}

/** podman without its API service: the same answers through the CLI's JSON. */
export class PodmanCli extends EngineClient {
  constructor() {
    super('podman (CLI)', 'podman', 'podman');
  }

  override async inspect(name: string): Promise<Inspect | undefined> {
    try {
      const list = JSON.parse(await podman(['container', 'inspect', '--format', 'json', '--', name])) as Inspect[];
      return list[0];
    } catch (e) {
      const msg = (e as Error).message;
      if (/no such container|no container with name or ID/i.test(msg)) return undefined;
      // podman exits 125 but still prints what it found for the names that exist.
      const out = (e as { stdout?: string }).stdout;
      if (out?.trim().startsWith('[')) return (JSON.parse(out) as Inspect[])[0];
      throw new TargetError(`podman inspect ${name}: ${msg.split('\n')[0]}`);
    }
  }

  override async list(all = true): Promise<ListEntry[]> {
    try {
      const rows = JSON.parse(await podman(['ps', ...(all ? ['-a'] : []), '--format', 'json'])) as Array<{ Id: string; Names?: string[]; State?: string }>;
      return rows.map((r) => ({ Id: r.Id, Names: r.Names, State: r.State }));
    } catch (e) {
      throw new TargetError(`podman ps: ${(e as Error).message.split('\n')[0]}`);
    }
  }
}

/** Whether the podman binary exists on $PATH. */
function hasPodman(): boolean {
  return (process.env.PATH ?? '/usr/bin:/bin').split(':').some((d) => d && existsSync(`${d}/podman`));
}

/** The podman engine: its API socket when present, else its CLI when installed, else undefined. */
export function podmanEngine(): EngineClient | undefined {
  const socket = podmanSocket();
  if (socketPresent(socket)) return new EngineClient(socket, 'podman', 'podman');
  // The CLI would follow $CONTAINER_HOST to the same missing socket.
  if (process.env.CONTAINER_HOST) return undefined;
  return hasPodman() ? new PodmanCli() : undefined;
}
