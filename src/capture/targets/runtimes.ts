/**
 * Which container runtimes are present here, each behind one small interface: find a
 * container, list names for "did you mean", list every running container as a target.
 * Detection is by socket (Docker, podman, containerd, CRI) or binary (podman); a runtime
 * whose socket is missing is reported in `absent` with where it was looked for.
 */
import { dockerEngine, dockerSocket, type EngineClient } from './docker.js';
import { podmanEngine, podmanSocket } from './podman.js';
import { containerdProviders } from './containerd.js';
import { criProviders } from './cri.js';
import type { CaptureTarget, Runtime } from './target.js';

export interface Provider {
  runtime: Runtime;
  /** Where it was reached (socket path or CLI), for messages. */
  where: string;
  /** The container NAME|ID|PREFIX, or undefined when this runtime has none by that name. Throws TargetError when it exists but cannot be entered. */
  find(name: string, spec: string): Promise<CaptureTarget | undefined>;
  /** Container names (and IDs) for suggestions. */
  names(): Promise<string[]>;
  /** Every running container as a target. */
  targets(): Promise<CaptureTarget[]>;
}

function engineProvider(e: EngineClient): Provider {
  return {
    get runtime() {
      return e.runtime;
    },
    where: e.socketPath,
    find: async (name, spec) => e.find(name, spec),
    names: () => e.names(),
    targets: () => e.targets(),
  };
}

/** The runtimes present here, and what was looked for but not found. */
export async function providers(): Promise<{ present: Provider[]; absent: string[] }> {
  const present: Provider[] = [];
  const absent: string[] = [];
  const docker = dockerEngine();
  if (docker) present.push(engineProvider(docker));
  else absent.push(`docker (${dockerSocket()})`);
  const podman = podmanEngine();
  if (podman) present.push(engineProvider(podman));
  else absent.push(`podman (${podmanSocket()} or the podman command)`);
  // The CRI before containerd's own API: on a Kubernetes node both see the same containers,
  // and the CRI knows their pods (its answer, or its "ambiguous" message, is the better one).
  const cri = criProviders();
  present.push(...cri.present);
  absent.push(...cri.absent);
  const ctrd = containerdProviders();
  present.push(...ctrd.present);
  absent.push(...ctrd.absent);
  return { present, absent };
}
