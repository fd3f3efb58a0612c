/**
 * `wiresage ifaces [TARGET]`: the interfaces inside a capture target (host by default) with
 * addresses, state, MTU and, for veths, the peer index and the interface at the other end —
 * for a container the host-side veth it pairs with. `--targets` lists every capture point
 * found here (containers of every runtime, pods, `ip netns` namespaces).
 *
 *   wiresage ifaces container:web
 *   wiresage ifaces pod:shop/web-0 --json
 *   wiresage ifaces --targets
 */
import { listTargets, resolveTarget, TargetError, type CaptureTarget } from '../capture/targets/index.js';
import { ifacesText, interfacesWithPeers } from '../capture/targets/links.js';
import { UsageError, type OptionSpec, type Parsed } from './args.js';
import { Output } from './output.js';

export const ifacesOptions: OptionSpec[] = [
  { name: 'json', kind: 'flag', help: 'one JSON document: the target and its interfaces' },
  { name: 'targets', kind: 'flag', help: 'list every capture target found here instead (containers, pods, namespaces)' },
];

/** One line naming a target: kind, label, runtime and ID, PID, namespace, containers sharing it. */
export function targetLine(t: CaptureTarget): string {
  const parts = [t.kind === t.label ? t.kind : `${t.kind} ${t.label}`];
  if (t.runtime) parts.push(`${t.runtime}${t.containerId ? ` ${t.containerId.slice(0, 12)}` : ''}${t.namespace ? ` (namespace ${t.namespace})` : ''}`);
  if (t.pod && t.kind !== 'pod') parts.push(`pod ${t.pod.namespace}/${t.pod.name}`);
  if (t.pid) parts.push(`pid ${t.pid}`);
  parts.push(`netns ${t.netns ?? "(this host's)"} [${t.netnsId}]`);
  if (t.sharedWith) parts.push(`joined ${t.sharedWith}'s network`);
  if (t.containers?.length && !(t.containers.length === 1 && t.containers[0] === t.label)) parts.push(`containers: ${t.containers.join(', ')}`);
  return parts.join(', ');
}

export async function ifacesCommand({ opts, rest }: Parsed): Promise<number> {
  if (rest.length > 1) throw new UsageError(`one target at a time (got ${rest.join(' ')})`);
  const out = new Output();
  try {
    if (opts.targets) {
      if (rest.length) throw new UsageError('--targets takes no target');
      const all = await listTargets();
      if (opts.json) out.line(JSON.stringify(all, null, 2));
      // First column: the spec to give --at / ifaces for that point.
      else for (const t of all) out.line(`${t.spec}\t${targetLine(t)}`);
      out.flush();
      return 0;
    }
    const target = await resolveTarget(rest[0] ?? 'host');
    let others: CaptureTarget[] | undefined;
    const ifaces = await interfacesWithPeers(target, async () => (others ??= await listTargets()));
    if (opts.json) out.line(JSON.stringify({ target, interfaces: ifaces }, null, 2));
    else {
      out.line(`# ${targetLine(target)}`);
      out.line(ifacesText(ifaces));
    }
    out.flush();
    return 0;
  } catch (e) {
    if (e instanceof TargetError) {
      out.flush();
      process.stderr.write(`wiresage ifaces: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
}
