/**
 * `wiresage capture`: live capture with tcpdump's options and meanings, printed live in
 * `wiresage read`'s format or written to pcapng/pcap files (with tcpdump's -C/-W/-G rotation),
 * plus capture triggers: `--stop-on FILTER --after 10s` keeps a ring buffer until a packet
 * matches, captures 10 s more and stops.
 *
 *   wiresage capture -i eth0 -w trace.pcapng -C 100 -W 10 --stop-on 'tcp.flags.reset == 1 && tcp.port == 1521' --after 10s
 *
 * Anywhere: inside a container, pod, process or network namespace (`--container app`), at
 * several points at once into one time-ordered pcapng with an interface per point
 * (`--at container:app --at 'container:db,filter=tcp port 1521' --at host:eth0`, or a file per
 * point with --split), and on remote hosts over ssh (`--ssh root@db1`). See src/capture/points.ts
 * for the POINT syntax and src/capture/remote.ts for remote capture.
 */
import { readFileSync } from 'node:fs';
import { dissectTree } from '../decode/decoder.js';
import type { Packet } from '../decode/packet.js';
import { TreeSink } from '../fields/sink.js';
import { linkTypeByName, linkTypeName } from '../file/linktype.js';
import { compileFilter } from '../filter/compile.js';
import { FilterError } from '../filter/error.js';
import { AddonUnavailableError, loadAddon, type DeviceInfo } from '../capture/addon.js';
import { CaptureWriteError } from '../capture/files.js';
import { listInterfaces, openSource, type Backend } from '../capture/open.js';
import { parsePoint, PointResolveError, PointSyntaxError, pointOpenError, resolvePoints, watchPoints, type CapturePoint, type PointSpec } from '../capture/points.js';
import { openPodOnNode, openRemote, parseRemote } from '../capture/remote.js';
import { CaptureSession, type CaptureSummary, type CaptureTrigger } from '../capture/session.js';
import { CaptureOpenError, CaptureRuntimeError, type CaptureSource, type CaptureSourceOptions } from '../capture/source.js';
import { intOption, UsageError, type OptionSpec, type Parsed } from './args.js';
import { hexDump } from './hexdump.js';
import { packetLine, timeText, type TimeStyle } from './line.js';
import { Output } from './output.js';
import { treeText } from './tree-text.js';

export const captureOptions: OptionSpec[] = [
  { name: 'interface', short: 'i', kind: 'list', arg: 'IFACE', help: 'interface to capture on (repeatable; any = all)' },
  { name: 'list-interfaces', short: 'D', kind: 'flag', help: 'list the interfaces with their addresses and state' },
  { name: 'write', short: 'w', kind: 'value', arg: 'FILE', help: 'write packets to FILE (strftime name with -G)' },
  { name: 'format', short: 'F', kind: 'value', arg: 'pcapng|pcap', help: 'file format (default pcapng: interface names, command line as comment)' },
  { name: 'file-size', short: 'C', kind: 'value', arg: 'MB', help: 'new file when this size is reached (MB = 1,000,000 bytes; or 100k, 10m, 1g)' },
  { name: 'file-count', short: 'W', kind: 'value', arg: 'N', help: 'with -C: keep a ring of N files; with -G: stop after N files' },
  { name: 'rotate-seconds', short: 'G', kind: 'value', arg: 'SECONDS', help: 'new file every SECONDS (name expanded by strftime)' },
  { name: 'max-packets', short: 'c', kind: 'value', arg: 'N', help: 'stop after N packets' },
  { name: 'snapshot-length', short: 's', kind: 'value', arg: 'SNAPLEN', help: 'bytes kept of each packet (default 262144)' },
  { name: 'buffer-size', short: 'B', kind: 'value', arg: 'KiB', help: 'kernel capture buffer in KiB' },
  { name: 'no-promiscuous-mode', short: 'p', kind: 'flag', help: 'do not put the interface in promiscuous mode' },
  { name: 'direction', short: 'Q', kind: 'value', arg: 'in|out|inout', help: 'direction of packets to capture' },
  { name: 'linktype', short: 'y', kind: 'value', arg: 'TYPE', help: 'link type (EN10MB, LINUX_SLL, LINUX_SLL2 or a number)' },
  { name: 'packet-buffered', short: 'U', kind: 'flag', help: 'hand each block of packets to the file at once (always so here)' },
  { name: 'immediate-mode', kind: 'flag', help: 'deliver every packet at once (costly: more drops under load)' },
  { name: 'relinquish-privileges', short: 'Z', kind: 'value', arg: 'USER', help: 'after opening the devices, drop privileges to USER (default $WIRESAGE_USER, else keep)' },
  { name: 'time', short: 't', kind: 'count', help: '-t none, -tt epoch, -ttt delta, -tttt date, -ttttt since first' },
  { name: 'nano', kind: 'flag', help: 'nanosecond timestamps in lines' },
  { name: 'numeric', short: 'n', kind: 'count', help: 'no name resolution (always on)' },
  { name: 'verbose', short: 'V', kind: 'flag', help: 'full detail tree for each packet' },
  { name: 'hex', short: 'x', kind: 'count', help: 'hex dump (-xx with link header)' },
  { name: 'hex-ascii', short: 'X', kind: 'count', help: 'hex and ASCII dump (-XX with link header)' },
  { name: 'filter', short: 'Y', kind: 'value', arg: 'FILTER', help: 'display filter for the printed packets' },
  { name: 'print', kind: 'flag', help: 'print packets even when writing a file' },
  { name: 'quiet', short: 'q', kind: 'flag', help: 'print nothing per packet' },
  { name: 'line-buffered', short: 'l', kind: 'flag' },
  { name: 'stop-on', kind: 'value', arg: 'FILTER', help: 'trigger: stop when a packet matches this display filter (after --after)' },
  { name: 'after', kind: 'value', arg: 'N[s|p]', help: 'with --stop-on: keep capturing N seconds (10s, 2m) or N packets (100p) more' },
  { name: 'duration', kind: 'value', arg: 'SECONDS', help: 'stop after this time (30, 30s, 5m, 1h)' },
  { name: 'max-size', kind: 'value', arg: 'SIZE', help: 'stop when the files written reach SIZE bytes (100k, 10m, 1g)' },
  { name: 'backend', kind: 'value', arg: 'native|tcpdump', help: "packet source: the libpcap addon (default) or the system's tcpdump" },
  { name: 'container', kind: 'value', arg: 'NAME|ID', help: 'capture inside a container (Docker, podman, containerd, CRI; name, ID or ID prefix); -i defaults to any' },
  { name: 'pod', kind: 'value', arg: '[NS/]NAME', help: 'capture inside a Kubernetes pod: on this node through the CRI (its sandbox network namespace), on another node through kubectl debug' },
  { name: 'pid', kind: 'value', arg: 'PID', help: 'capture in the network namespace of a process' },
  { name: 'netns', kind: 'value', arg: 'NAME|PATH', help: 'capture in a network namespace (ip netns name, or a file such as /proc/PID/ns/net)' },
  { name: 'at', kind: 'list', arg: 'POINT', help: "capture point (repeatable): host:eth0, container:app[@eth0], pod:ns/name, pid:123, netns:x; options after commas: ',snaplen=200,filter=tcp port 1521' (filter= last)" },
  { name: 'split', kind: 'flag', help: 'with several points: one file per point (named after -w and the point) instead of one pcapng' },
  { name: 'ssh', kind: 'list', arg: 'USER@HOST[:PORT]', help: "capture on a remote host over ssh (repeatable; options as --at, plus ',target=container:db' with wiresage there): its wiresage, else tcpdump (sudo -n when not root)" },
  { name: 'ssh-option', kind: 'list', arg: 'OPTION', help: 'an ssh -o option for --ssh (e.g. IdentityFile=~/.ssh/capture, StrictHostKeyChecking=accept-new)' },
];

/** tcpdump's -C: a number is millions of bytes; k, m, g suffixes are KiB, MiB, GiB (tcpdump 4.99). */
export function parseFileSize(text: string, option = '-C'): number {
  const m = /^(\d+(?:\.\d+)?)([kmg]?)$/i.exec(text.trim());
  if (!m || Number(m[1]) <= 0) throw new UsageError(`option ${option} needs a size such as 100 (MB), 100k, 10m or 1g, not '${text}'`);
  const unit = { '': 1e6, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[m[2].toLowerCase() as '' | 'k' | 'm' | 'g'];
  return Math.floor(Number(m[1]) * unit);
}

/** --max-size: bytes, with k/m/g (powers of 1024) or kb/mb/gb suffixes. */
export function parseByteSize(text: string, option: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kmgt]?)i?b?$/i.exec(text.trim());
  if (!m || Number(m[1]) <= 0) throw new UsageError(`option ${option} needs a size such as 500m or 2g, not '${text}'`);
  const unit = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 }[m[2].toLowerCase() as '' | 'k' | 'm' | 'g' | 't'];
  return Math.floor(Number(m[1]) * unit);
}

/** Seconds from 30, 30s, 500ms, 5m, 1h. */
export function parseSeconds(text: string, option: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)?$/.exec(text.trim());
  if (!m) throw new UsageError(`option ${option} needs a time such as 30, 30s, 5m or 1h, not '${text}'`);
  const factor = { ms: 0.001, s: 1, m: 60, h: 3600 }[(m[2] ?? 's') as 'ms' | 's' | 'm' | 'h'];
  return Number(m[1]) * factor;
}

/** --after: `10s`/`2m` (time) or `100p`/`100` (packets). */
export function parseAfter(text: string): { afterSeconds?: number; afterPackets?: number } {
  const packets = /^(\d+)\s*(p|pkts?|packets?)?$/.exec(text.trim());
  if (packets) return { afterPackets: Number(packets[1]) };
  return { afterSeconds: parseSeconds(text, '--after') };
}

/** Compiles a display filter (--stop-on, -Y) into a predicate; a bad one is a usage error showing where. */
function compileDisplayFilter(text: string, option: string): (p: Packet) => boolean {
  try {
    const compiled = compileFilter(text);
    return (p) => compiled.matches(p);
  } catch (e) {
    if (e instanceof FilterError) throw new UsageError(`${option}: ${e.format(text)}`);
    throw e;
  }
}

function defaultDevice(devices: DeviceInfo[]): string {
  const d = devices.find((x) => x.up && x.running && !x.loopback && x.name !== 'any' && x.addresses.length > 0)
    ?? devices.find((x) => x.up && !x.loopback && x.name !== 'any');
  return d?.name ?? 'any';
}

/** tcpdump -D's lines, with the addresses under each interface. */
export function interfaceListText(devices: DeviceInfo[]): string {
  return devices.map((d, i) => {
    const flags = [d.loopback ? 'Loopback' : '', d.up ? 'Up' : 'Down', d.running ? 'Running' : '', d.wireless ? 'Wireless' : '',
      d.connection === 'connected' ? 'Connected' : d.connection === 'disconnected' ? 'Disconnected' : ''].filter(Boolean).join(', ');
    let line = `${i + 1}.${d.name}${d.description ? ` (${d.description})` : ''} [${flags}]`;
    for (const a of d.addresses) {
      line += `\n    ${a.family.padEnd(5)} ${a.address}${a.netmask ? ` netmask ${a.netmask}` : ''}${a.broadcast ? ` broadcast ${a.broadcast}` : ''}`;
    }
    return line;
  }).join('\n');
}

interface PasswdEntry { name: string; uid: number; gid: number }

function lookupUser(name: string): PasswdEntry {
  for (const line of readFileSync('/etc/passwd', 'utf8').split('\n')) {
    const f = line.split(':');
    if (f[0] === name || (/^\d+$/.test(name) && f[2] === name)) return { name: f[0], uid: Number(f[2]), gid: Number(f[3]) };
  }
  throw new UsageError(`-Z: no user named '${name}' (see /etc/passwd)`);
}

/** tcpdump's -Z: groups, gid, then uid, after the devices are open and before files are created. */
function dropPrivileges(user: string): string {
  const entry = lookupUser(user);
  if (process.getuid?.() !== 0) return `not running as root; -Z ${user} ignored (running as uid ${process.getuid?.()})`;
  (process as unknown as { initgroups(user: string, group: number): void }).initgroups(entry.name, entry.gid);
  process.setgid!(entry.gid);
  process.setuid!(entry.uid);
  return `dropped privileges to ${entry.name} (uid ${entry.uid}, gid ${entry.gid}) after opening the devices`;
}

function summaryText(s: CaptureSummary, trigger?: CaptureTrigger): string {
  const lines: string[] = [];
  const total = { received: 0, dropped: 0, ifDropped: 0, known: false };
  for (const i of s.interfaces) {
    if (!i.stats) continue;
    total.known = true;
    total.received += i.stats.received;
    total.dropped += i.stats.dropped;
    total.ifDropped += i.stats.ifDropped;
  }
  lines.push(`${s.packets} packet${s.packets === 1 ? '' : 's'} captured`);
  if (total.known) {
    lines.push(`${total.received} packets received by filter`, `${total.dropped} packets dropped by kernel`, `${total.ifDropped} packets dropped by interface`);
  } else {
    lines.push('(no kernel counters from this backend)');
  }
  if (s.interfaces.length > 1) {
    for (const i of s.interfaces) {
      lines.push(`  ${i.label}: ${i.packets} captured${i.stats ? `, ${i.stats.received} received by filter, ${i.stats.dropped} dropped by kernel, ${i.stats.ifDropped} dropped by interface` : ''}`);
    }
  }
  if (s.interfaces.some((i) => i.device === 'lo' && i.stats)) lines.push('(on lo the kernel counts each packet twice in received and drop counters)');
  const why: Record<string, string> = {
    signal: 'interrupted', count: 'packet count (-c) reached', duration: 'duration reached', 'max-size': 'maximum size (--max-size) reached',
    'file-count': 'file count (-W) reached', stopped: 'stopped', error: 'error', trigger: 'trigger',
  };
  if (s.reason === 'trigger' && s.triggeredBy) {
    const t = s.triggeredBy;
    lines.push(`stopped by trigger: packet ${t.number} at ${t.tsSec}.${String(t.tsNsec).padStart(9, '0')} matched ${trigger?.text ? `'${trigger.text}'` : 'the trigger'}` +
      (trigger?.afterSeconds !== undefined ? `, then ${trigger.afterSeconds} s more` : trigger?.afterPackets ? `, then ${trigger.afterPackets} packets more` : ''));
  } else if (s.reason !== 'error') {
    lines.push(`stopped: ${why[s.reason]}`);
  }
  if (s.files.length) lines.push(`files: ${s.files.join(' ')}`);
  return lines.join('\n');
}

export async function captureCommand({ opts, rest }: Parsed): Promise<number> {
  const backend = ((opts.backend as string | undefined) ?? 'native') as Backend;
  if (backend !== 'native' && backend !== 'tcpdump') throw new UsageError(`--backend takes native or tcpdump, not '${backend}'`);
  const err = (s: string) => process.stderr.write(`wiresage capture: ${s}\n`);

  const pointSpecs = pointsOf(opts);
  const remoteSpecs = ((opts.ssh as string[] | undefined) ?? []).map((text) => {
    try {
      return parseRemote(text);
    } catch (e) {
      if (e instanceof PointSyntaxError) throw new UsageError(e.message);
      throw e;
    }
  });

  if (opts['list-interfaces']) {
    if (remoteSpecs.length) throw new UsageError('-D lists local interfaces; for a remote host run: ssh HOST tcpdump -D');
    const targets = pointSpecs.length ? pointSpecs : [undefined];
    let status = 0;
    for (const spec of targets) {
      try {
        let netns: string | undefined;
        if (spec) {
          const { points, elsewhere } = await resolvePoints([spec], { device: 'any' });
          if (!points.length) {
            const plan = elsewhere[0].plan;
            throw new Error(`pod ${plan.namespace}/${plan.pod} runs on node ${plan.node}: -D lists this machine's interfaces; run wiresage ifaces there`);
          }
          netns = points[0].netns;
          if (targets.length > 1 || spec.target !== 'host') process.stdout.write(`${spec.target}${netns ? ` (network namespace ${netns})` : ''}:\n`);
        }
        process.stdout.write(interfaceListText(listInterfaces(backend, netns)) + '\n');
      } catch (e) {
        if (e instanceof PointSyntaxError) throw new UsageError(e.message);
        err((e as Error).message);
        status = 1;
      }
    }
    return status;
  }

  // Options, checked before anything is opened.
  const format = (opts.format as string | undefined) ?? 'pcapng';
  if (format !== 'pcapng' && format !== 'pcap') throw new UsageError(`-F takes pcapng or pcap, not '${format}'`);
  const path = opts.write as string | undefined;
  const fileSize = opts['file-size'] !== undefined ? parseFileSize(String(opts['file-size'])) : undefined;
  const fileCount = intOption(opts['file-count'], '-W', 1);
  const rotateSeconds = opts['rotate-seconds'] !== undefined ? intOption(opts['rotate-seconds'], '-G', 1) : undefined;
  if ((fileSize || fileCount || rotateSeconds) && !path) throw new UsageError('-C, -W and -G need -w FILE');
  if (fileCount && !fileSize && !rotateSeconds) throw new UsageError('-W needs -C or -G (as in tcpdump)');
  const maxPackets = intOption(opts['max-packets'], '-c', 1);
  const snapLen = intOption(opts['snapshot-length'], '-s', 0);
  const bufferKiB = intOption(opts['buffer-size'], '-B', 1);
  const direction = opts.direction as string | undefined;
  if (direction !== undefined && !['in', 'out', 'inout'].includes(direction)) throw new UsageError(`-Q takes in, out or inout, not '${direction}'`);
  let linkType: number | undefined;
  if (opts.linktype !== undefined) {
    const t = String(opts.linktype).toUpperCase();
    linkType = /^\d+$/.test(t) ? Number(t) : t === 'EN10MB' ? 1 : linkTypeByName(t);
    if (linkType === undefined) throw new UsageError(`-y: unknown link type '${opts.linktype}'`);
  }
  const durationSeconds = opts.duration !== undefined ? parseSeconds(String(opts.duration), '--duration') : undefined;
  const maxBytes = opts['max-size'] !== undefined ? parseByteSize(String(opts['max-size']), '--max-size') : undefined;
  if (maxBytes !== undefined && !path) throw new UsageError('--max-size needs -w FILE');
  if (opts.after !== undefined && opts['stop-on'] === undefined) throw new UsageError('--after needs --stop-on FILTER');
  const filter = rest.join(' ').trim() || undefined;
  const timeStyle = Math.min(5, (opts.time as number | undefined) ?? 0) as TimeStyle;
  const nano = !!opts.nano;
  const hex = Math.max((opts.hex as number | undefined) ?? 0, (opts['hex-ascii'] as number | undefined) ?? 0);
  const ascii = !!opts['hex-ascii'];
  const verbose = !!opts.verbose;
  const printing = (!path || !!opts.print) && !opts.quiet;

  let trigger: CaptureTrigger | undefined;
  if (opts['stop-on'] !== undefined) {
    const text = String(opts['stop-on']);
    trigger = { match: compileDisplayFilter(text, '--stop-on'), text, ...(opts.after !== undefined ? parseAfter(String(opts.after)) : {}) };
  }
  const display = opts.filter !== undefined ? compileDisplayFilter(String(opts.filter), '-Y') : undefined;

  // Open every capture point first (needs privileges), then drop them, then create files.
  const interfaces = (opts.interface as string[] | undefined) ?? [];
  const sourceOptions = (device: string): CaptureSourceOptions => ({
    device, promisc: !opts['no-promiscuous-mode'],
    // tcpdump holds packets up to 1 s without immediate mode: too slow for live lines.
    immediate: !!opts['immediate-mode'] || (backend === 'tcpdump' && printing), packetBuffered: printing || !!opts['packet-buffered'],
    ...(snapLen ? { snapLen } : {}), ...(bufferKiB ? { bufferSize: bufferKiB * 1024 } : {}),
    ...(direction ? { direction: direction as 'in' | 'out' | 'inout' } : {}), ...(linkType !== undefined ? { linkType } : {}),
    ...(filter ? { filter } : {}),
  });
  const sources: CaptureSource[] = [];
  const closeAll = () => { for (const s of sources) s.close(); };
  const hostDevice = () => {
    try {
      return defaultDevice(listInterfaces(backend));
    } catch (e) {
      if (e instanceof AddonUnavailableError) throw e;
      return 'any';
    }
  };
  let points: CapturePoint[] = [];
  try {
    if (pointSpecs.length) {
      if (interfaces.length > 1 && opts.at) throw new UsageError('with --at, -i names the default interface of the points: give it once, or give each point its own (--at container:app@eth0)');
      const resolved = await resolvePoints(pointSpecs, { ...(interfaces.length === 1 ? { device: interfaces[0] } : {}), hostDevice, ...(filter ? { filter } : {}), ...(snapLen ? { snapLen } : {}) });
      points = resolved.points;
      for (const note of resolved.notes) err(note);
      // Pods on other nodes (kubectl knows the cluster): captured there, streamed back.
      for (const pod of resolved.elsewhere) {
        const plan = pod.plan;
        err(`${pod.label}: pod ${plan.namespace}/${plan.pod} runs on node ${plan.node}, not here: capturing there through an ephemeral debug container ` +
          `(image ${plan.image}${plan.target ? `, in the namespaces of container ${plan.target}` : ''}; containers: ${plan.containers.map((c) => c.name).join(', ')})`);
        sources.push(await openPodOnNode(plan, pod.label, { device: pod.device, ...(pod.filter ? { filter: pod.filter } : {}), ...(pod.snapLen ? { snapLen: pod.snapLen } : {}) }));
      }
      for (const point of points) {
        const options: CaptureSourceOptions = { ...sourceOptions(point.device), label: point.label, ...(point.netns ? { netns: point.netns } : {}) };
        delete options.filter;
        if (point.filter) options.filter = point.filter;
        if (point.snapLen) options.snapLen = point.snapLen;
        try {
          sources.push(await openSource(backend, options));
        } catch (e) {
          throw e instanceof CaptureOpenError ? pointOpenError(point, e) : e;
        }
      }
    } else if (!remoteSpecs.length) {
      const devices = interfaces.length ? interfaces : [hostDevice()];
      for (const device of devices) sources.push(await openSource(backend, sourceOptions(device)));
    }
    for (const spec of remoteSpecs) {
      sources.push(await openRemote(spec, {
        sshOptions: (opts['ssh-option'] as string[] | undefined) ?? [], ...(interfaces.length === 1 ? { device: interfaces[0] } : {}),
        ...(filter ? { filter } : {}), ...(snapLen ? { snapLen } : {}), ...(opts['no-promiscuous-mode'] ? { promisc: false } : {}),
      }));
    }
  } catch (e) {
    closeAll();
    if (e instanceof PointSyntaxError) throw new UsageError(e.message);
    if (e instanceof AddonUnavailableError || e instanceof CaptureOpenError || e instanceof PointResolveError) {
      err(e.message);
      return 1;
    }
    throw e;
  }
  if (opts.split && !path) throw usageAfter(closeAll, '--split needs -w FILE (the files are named after it)');
  if (opts.split && path === '-') throw usageAfter(closeAll, '--split cannot write to standard output');
  for (const s of sources) {
    if (s.warning) err(`warning: ${s.label}: ${s.warning}`);
    const point = points.find((p) => p.label === s.label);
    const where = point?.netns ? ` (${s.device} in network namespace ${point.netns}${point.target.pid ? `, PID ${point.target.pid}` : ''})` : '';
    const who = s.backend === 'tcpdump' ? 'wiresage (tcpdump backend)' : s.backend === 'ssh' ? 'wiresage (over ssh)' : 'wiresage';
    process.stderr.write(`${who}: listening on ${s.label}${where}, link-type ${linkTypeName(s.linkType)}, snapshot length ${s.snapLen} bytes\n`);
  }

  const user = (opts['relinquish-privileges'] as string | undefined) ?? process.env.WIRESAGE_USER;
  try {
    if (user) err(dropPrivileges(user));
    else if (process.getuid?.() === 0 && path) err('keeping root privileges: give -Z USER (or set WIRESAGE_USER) to drop them after opening the devices, as Debian\'s tcpdump does by default with user tcpdump');
  } catch (e) {
    closeAll();
    if (e instanceof UsageError) throw e;
    err(`cannot drop privileges to ${user}: ${(e as Error).message}`);
    return 1;
  }

  const out = new Output(1, opts['line-buffered'] ? 1 : 1 << 16);
  // Several points: each line starts with the point that saw the packet (as tshark's
  // frame.interface_name column), padded so the packet columns line up.
  const width = sources.length > 1 ? Math.max(...sources.map((s) => s.label.length)) : 0;
  const pointOf = (p: Packet) => (width ? `${(p.iface?.name ?? '').padEnd(width)} ` : '');
  const onPacket = printing ? (p: Packet) => {
    if (display && !display(p)) return;
    if (width && verbose) out.line(`Captured at: ${p.iface?.name ?? ''}`);
    if (verbose) {
      const t = new TreeSink();
      dissectTree(p, t);
      out.line(treeText(t.roots).join('\n'));
      if (hex) out.line(hexDump(p.data, 0, p.data.length, true));
      out.line('');
      return;
    }
    const time = timeText(p, timeStyle, nano);
    let line = pointOf(p) + (time ? `${time} ${packetLine(p)}` : packetLine(p));
    if (p.malformed !== null) line += ` [Malformed Packet: ${p.malformed}]`;
    else if (p.truncated) line += ' [|truncated]';
    out.line(line);
    if (hex) {
      // As `read`: -x starts at the network layer, -xx at the link header.
      const from = hex >= 2 ? 0 : p.netLayer >= 0 && p.bufIndex[p.netLayer] === 0 ? p.start[p.netLayer] : p.layers > 2 && p.bufIndex[2] === 0 ? p.start[2] : 0;
      out.line(hexDump(p.data, from, p.data.length, ascii));
    }
    if (out.closed) void stopForClosedOutput(); // `| head`: end quietly, as tcpdump
  } : undefined;
  let stopForClosedOutput = async () => {};

  let session: CaptureSession;
  try {
    session = new CaptureSession({
      sources,
      ...(path ? {
        files: {
          path, format, comment: `wiresage ${process.argv.slice(2).join(' ')}`,
          ...(fileSize ? { fileSize } : {}), ...(fileCount ? { fileCount } : {}), ...(rotateSeconds ? { rotateSeconds } : {}),
          ...(maxBytes ? { maxBytes } : {}),
        },
      } : {}),
      ...(opts.split ? { split: true } : {}),
      ...(onPacket ? { onPacket } : {}), ...(maxPackets ? { maxPackets } : {}), ...(trigger ? { trigger } : {}),
      ...(durationSeconds !== undefined ? { durationSeconds } : {}),
    });
  } catch (e) {
    closeAll();
    if (e instanceof CaptureWriteError) {
      err(`${e.message}${user ? ` (after dropping privileges to ${user})` : ''}`);
      return 1;
    }
    throw e;
  }
  stopForClosedOutput = async () => { await session.stop('stopped'); };
  // Live output goes out as each batch is done (batches come every block timeout at most).
  const flushTimer = printing ? setInterval(() => out.flush(), 100) : undefined;
  flushTimer?.unref();
  let interrupts = 0;
  const onSignal = () => {
    if (++interrupts > 1) process.exit(130);
    void session.stop('signal');
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('SIGHUP', onSignal);
  session.start();
  const unwatch = watchPoints(points, (point, why) => {
    void session.stop('error', new CaptureRuntimeError(`capture on ${point.label} stopped: ${why}`, point.device));
  });
  const summary = await session.done;
  unwatch();
  if (flushTimer) clearInterval(flushTimer);
  out.flush();
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  process.off('SIGHUP', onSignal);
  if (summary.error) err(summary.error.message);
  process.stderr.write(summaryText(summary, trigger) + '\n');
  return summary.error ? 1 : 0;
}

/** --at, and the single-target options --container/--pod/--pid/--netns (each -i a point of its own). */
function pointsOf(opts: Parsed['opts']): PointSpec[] {
  const specs: PointSpec[] = [];
  const parse = (text: string) => {
    try {
      return parsePoint(text);
    } catch (e) {
      if (e instanceof PointSyntaxError) throw new UsageError(e.message);
      throw e;
    }
  };
  const single = (['container', 'pod', 'pid', 'netns'] as const).filter((k) => opts[k] !== undefined);
  const interfaces = (opts.interface as string[] | undefined) ?? [];
  for (const kind of single) {
    const value = String(opts[kind]);
    if (kind === 'pid' && !/^\d+$/.test(value)) throw new UsageError(`--pid needs a process id, not '${value}'`);
    if (interfaces.length > 1) for (const i of interfaces) specs.push(parse(`${kind}:${value}@${i}`));
    else specs.push(parse(`${kind}:${value}`));
  }
  for (const text of (opts.at as string[] | undefined) ?? []) specs.push(parse(text));
  return specs;
}

function usageAfter(cleanup: () => void, message: string): UsageError {
  cleanup();
  return new UsageError(message);
}
