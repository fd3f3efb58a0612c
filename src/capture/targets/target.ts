/**
 * What a capture target is once resolved: a network namespace (by file path and by its
 * "dev:inode" identity), what the user called it, and — for containers and pods — which runtime
 * and which containers share it. Shared by every runtime module; `index.ts` dispatches.
 */
import { statSync } from 'node:fs';
import { editDistance } from '../../fields/field.js';

export type TargetKind = 'host' | 'pid' | 'netns' | 'container' | 'pod';
export type Runtime = 'docker' | 'podman' | 'containerd' | 'cri';

export interface CaptureTarget {
  kind: TargetKind;
  /** What the user wrote, e.g. "container:app". */
  spec: string;
  /** Short name for interfaces and capture points, e.g. "app" or "default/web-0". */
  label: string;
  /** Path of a network-namespace file (/proc/PID/ns/net, /run/netns/NAME); undefined = the host's own. */
  netns: string | undefined;
  /** "dev:inode" of that namespace: the same id is the same capture point. */
  netnsId: string;
  pid?: number;
  runtime?: Runtime;
  containerId?: string;
  /** Every container that shares this namespace (pod sandbox, --network container:X). */
  containers?: string[];
  /** The container whose namespace this one joined (`--network container:X`), as the runtime names it. */
  sharedWith?: string;
  /** `host:IFACE` (and `KIND:VALUE@IFACE`): the interface the user named, for capture points. */
  iface?: string;
  /** containerd namespace (e.g. "k8s.io", "default") for containerd/CRI targets. */
  namespace?: string;
  /** Kubernetes pod namespace and name, for pods and for containers that belong to a pod. */
  pod?: { namespace: string; name: string; uid?: string; sandboxId?: string };
}

/** A target that cannot be resolved: `message` says what, `hint` how to fix it. Exit code 1. */
export class TargetError extends Error {
  readonly exitCode = 1;
  constructor(message: string, readonly hint?: string) {
    super(hint ? `${message}\n  hint: ${hint}` : message);
    this.name = 'TargetError';
  }
}

/**
 * A runtime's definite answer about a container that exists — stopped, ambiguous, not
 * enterable — as opposed to a failure to ask the runtime at all.
 */
export class TargetStateError extends TargetError {}

/** "dev:inode" of a namespace file, or undefined when it does not exist. Throws TargetError on EACCES. */
export function nsIdOf(path: string): string | undefined {
  try {
    const st = statSync(path);
    return `${st.dev}:${st.ino}`;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ESRCH' || code === 'ENOTDIR') return undefined;
    if (code === 'EACCES' || code === 'EPERM') {
      throw new TargetError(`permission denied reading ${path}`, 'entering another network namespace needs root (or CAP_SYS_ADMIN and CAP_SYS_PTRACE): run wiresage with sudo');
    }
    throw e;
  }
}

/** Whether a runtime socket is there: a path we may not even look at counts as there (the call then says "permission denied"). */
export function socketPresent(path: string): boolean {
  try {
    statSync(path);
    return true;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return code === 'EACCES' || code === 'EPERM';
  }
}

/** Names from `candidates` close to `name` (by edit distance, or sharing a prefix), best first. */
export function closeNames(name: string, candidates: Iterable<string>, max = 5): string[] {
  const scored: Array<[number, string]> = [];
  const lower = name.toLowerCase();
  for (const c of new Set(candidates)) {
    const d = editDistance(lower, c.toLowerCase());
    const related = c.toLowerCase().includes(lower) || lower.includes(c.toLowerCase());
    if (d <= Math.max(2, Math.floor(name.length / 3)) || (related && lower.length >= 2)) scored.push([related ? Math.min(d, 1) : d, c]);
  }
  scored.sort((a, b) => a[0] - b[0] || a[1].localeCompare(b[1]));
  return scored.slice(0, max).map((s) => s[1]);
}

/** "did you mean a, b?" or the list of what exists, for not-found messages. */
export function notFoundHint(name: string, all: string[], what: string): string {
  const candidates = [...new Set(all)];
  const close = closeNames(name, candidates);
  if (close.length) return `did you mean ${close.join(', ')}?`;
  if (!candidates.length) return `there are no ${what}`;
  const shown = candidates.slice(0, 10).join(', ');
  return `${what}: ${shown}${candidates.length > 10 ? `, … (${candidates.length} in all)` : ''}`;
}
