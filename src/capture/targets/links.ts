/**
 * The interfaces inside a capture target, as `ip -d addr` shows them there (run through
 * `nsenter --net=PATH`), with veth pairs followed across namespaces: for a container's eth0
 * the host-side veth it pairs with (and the bridge that veth is on); for the host's veths the
 * container or namespace at the other end.
 *
 * A pair is recognised when interface A (ifindex a, peer index b) and interface B (ifindex b,
 * peer index a) are both veths in different namespaces — ifindexes are per namespace, so the
 * two-way check is what makes the match safe.
 */
import { execFile } from 'node:child_process';
import { hostTarget } from './netns.js';
import { TargetError, type CaptureTarget } from './target.js';

export interface IfaceAddress { family: 'inet' | 'inet6'; address: string; prefixlen: number; broadcast?: string; scope: string; peer?: string }

export interface PeerInfo {
  /** ifindex of the other end, in its own namespace. */
  ifindex: number;
  /** The peer's namespace id as this namespace numbers it (ip's link-netnsid), when it is elsewhere. */
  netnsid?: number;
  /** Where the other end was found, when it was: interface name, the target's label and kind, its bridge. */
  name?: string;
  target?: string;
  targetKind?: CaptureTarget['kind'];
  master?: string;
}

export interface Iface {
  ifindex: number;
  name: string;
  flags: string[];
  mtu: number;
  state: string;
  linkType: string;
  /** veth, bridge, vxlan, … (ip -d's info_kind); undefined for plain devices. */
  kind?: string;
  mac?: string;
  /** The bridge (or bond) this interface is enslaved to. */
  master?: string;
  addresses: IfaceAddress[];
  /** For veths (and other paired links): the other end. */
  peer?: PeerInfo;
}

interface IpLink {
  ifindex: number;
  ifname: string;
  link_index?: number;
  link_netnsid?: number;
  link?: string;
  flags?: string[];
  mtu?: number;
  operstate?: string;
  link_type?: string;
  address?: string;
  master?: string;
  linkinfo?: { info_kind?: string };
  addr_info?: Array<{ family: string; local: string; prefixlen: number; broadcast?: string; scope?: string; address?: string }>;
}

/** Runs `ip -j -d addr show` inside the target's namespace. */
function ipJson(t: CaptureTarget): Promise<IpLink[]> {
  const argv = t.netns ? ['nsenter', `--net=${t.netns}`, 'ip', '-j', '-d', 'addr', 'show'] : ['ip', '-j', '-d', 'addr', 'show'];
  return new Promise((resolve, reject) => {
    execFile(argv[0], argv.slice(1), { encoding: 'utf8', timeout: 15_000, maxBuffer: 32 << 20 }, (err, stdout, stderr) => {
      if (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') return reject(new TargetError(`${argv[0]} is not installed`, argv[0] === 'ip' ? 'apt-get install iproute2' : 'apt-get install util-linux'));
        const msg = (stderr || err.message).trim();
        if (/No such file|cannot open/i.test(msg)) return reject(new TargetError(`the network namespace of ${t.label} is gone (${t.netns})`));
        if (/Operation not permitted|Permission denied/i.test(msg)) return reject(new TargetError(`entering the network namespace of ${t.label} is not permitted`, 'run wiresage as root'));
        return reject(new TargetError(`listing interfaces in ${t.label}: ${msg}`));
      }
      try {
        resolve(JSON.parse(stdout || '[]') as IpLink[]);
      } catch {
        reject(new TargetError(`listing interfaces in ${t.label}: ip printed no JSON (iproute2 too old for -j?)`));
      }
    });
  });
}

function toIface(l: IpLink): Iface {
  const kind = l.linkinfo?.info_kind;
  return {
    ifindex: l.ifindex,
    name: l.ifname,
    flags: l.flags ?? [],
    mtu: l.mtu ?? 0,
    state: l.operstate ?? 'UNKNOWN',
    linkType: l.link_type ?? 'unknown',
    ...(kind ? { kind } : {}),
    ...(l.address && l.link_type !== 'none' ? { mac: l.address } : {}),
    ...(l.master ? { master: l.master } : {}),
    addresses: (l.addr_info ?? []).filter((a) => a.family === 'inet' || a.family === 'inet6').map((a) => ({
      family: a.family as 'inet' | 'inet6', address: a.local, prefixlen: a.prefixlen, scope: a.scope ?? 'global',
      ...(a.broadcast ? { broadcast: a.broadcast } : {}), ...(a.address && a.address !== a.local ? { peer: a.address } : {}),
    })),
    ...(l.link_index !== undefined && kind === 'veth' ? { peer: { ifindex: l.link_index, ...(l.link_netnsid !== undefined ? { netnsid: l.link_netnsid } : {}) } } : {}),
  };
}

/** The interfaces inside a target, without peers resolved. */
export async function interfacesIn(t: CaptureTarget): Promise<Iface[]> {
  const ifaces = (await ipJson(t)).map(toIface);
  // Both ends here: name the other end directly.
  for (const i of ifaces) {
    if (!i.peer || i.peer.netnsid !== undefined) continue;
    const far = ifaces.find((o) => o.ifindex === i.peer!.ifindex);
    if (far) Object.assign(i.peer, { name: far.name, target: t.label, targetKind: t.kind, ...(far.master ? { master: far.master } : {}) });
  }
  return ifaces;
}

/**
 * The interfaces inside `t` with the far end of each veth found among `others` (other targets,
 * e.g. from listTargets(); the host is always tried first).
 */
export async function interfacesWithPeers(t: CaptureTarget, others: () => Promise<CaptureTarget[]>): Promise<Iface[]> {
  const ifaces = await interfacesIn(t);
  const open = ifaces.filter((i) => i.peer && i.peer.netnsid !== undefined);
  if (!open.length) return ifaces;
  const host = hostTarget();
  const tried = new Set([t.netnsId]);
  const search = async (cand: CaptureTarget) => {
    if (tried.has(cand.netnsId)) return;
    tried.add(cand.netnsId);
    let theirs: Iface[];
    try {
      theirs = await interfacesIn(cand);
    } catch {
      return;
    }
    for (const mine of open) {
      if (mine.peer!.name) continue;
      const far = theirs.find((o) => o.kind === 'veth' && o.ifindex === mine.peer!.ifindex && o.peer?.ifindex === mine.ifindex);
      if (far) Object.assign(mine.peer!, { name: far.name, target: cand.label, targetKind: cand.kind, ...(far.master ? { master: far.master } : {}) });
    }
  };
  await search(host);
  if (open.some((i) => !i.peer!.name)) {
    for (const cand of await others()) {
      await search(cand);
      if (!open.some((i) => !i.peer!.name)) break;
    }
  }
  return ifaces;
}

/** `ip a`-style text: one block per interface, the veth peer on the first line. */
export function ifacesText(ifaces: Iface[]): string {
  const out: string[] = [];
  for (const i of ifaces) {
    const at = i.peer ? `@if${i.peer.ifindex}` : '';
    let line = `${i.ifindex}: ${i.name}${at}: <${i.flags.join(',')}> mtu ${i.mtu}${i.master ? ` master ${i.master}` : ''} state ${i.state}`;
    if (i.kind) line += ` ${i.kind}`;
    out.push(line);
    if (i.mac) out.push(`    link/${i.linkType} ${i.mac}${i.peer?.netnsid !== undefined ? ` link-netnsid ${i.peer.netnsid}` : ''}`);
    if (i.peer) {
      const p = i.peer;
      out.push(p.name
        ? `    peer: ${p.name} (ifindex ${p.ifindex}) ${p.netnsid === undefined ? 'in this namespace' : `in ${p.targetKind === 'host' ? 'the host' : `${p.targetKind} ${p.target}`}`}${p.master ? `, on bridge ${p.master}` : ''}`
        : `    peer: ifindex ${p.ifindex}${p.netnsid !== undefined ? ' in another namespace (not found among the known targets)' : ' in this namespace'}`);
    }
    for (const a of i.addresses) {
      out.push(`    ${a.family} ${a.address}${a.peer ? ` peer ${a.peer}` : ''}/${a.prefixlen}${a.broadcast ? ` brd ${a.broadcast}` : ''} scope ${a.scope}`);
    }
  }
  return out.join('\n');
}
