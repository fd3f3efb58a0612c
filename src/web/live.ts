/**
 * Live capture for the web UI: the capture points (host interfaces from the capture addon's
 * device list, and network namespaces, containers and pods from src/capture/targets), their
 * packet rates for the start page's sparklines (from /proc/net/dev, read inside the point's
 * namespace), and capture sessions writing a pcapng into the private directory that the
 * indexer tails while it grows.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { loadAddon, type DeviceInfo } from '../capture/addon.js';
import { openSource, tcpdumpInterfaces } from '../capture/open.js';
import { CaptureSession, type CaptureSummary } from '../capture/session.js';
import type { CaptureSource } from '../capture/source.js';
import type { CaptureTarget } from '../capture/targets/target.js';

export interface CapturePoint {
  id: string;
  kind: 'iface' | 'container' | 'pod' | 'netns';
  label: string;
  addresses: string[];
  up: boolean;
  /** Interface to open ('any' inside a namespace). */
  device: string;
  /** Namespace file for points outside the host's namespace. */
  netns?: string;
  /** Process whose /proc/PID/net/dev gives the namespace's counters. */
  pid?: number;
}

function hostDevices(): DeviceInfo[] {
  try {
    return loadAddon().listInterfaces();
  } catch {
    try {
      return tcpdumpInterfaces();
    } catch {
      return [];
    }
  }
}

async function targets(): Promise<CaptureTarget[]> {
  // Loaded by name: the module is optional (another part of the tree provides it).
  const spec = '../capture/targets/index.js';
  try {
    const m = (await import(spec)) as { listTargets?: () => Promise<CaptureTarget[]> };
    return m.listTargets ? await m.listTargets() : [];
  } catch {
    return [];
  }
}

/** Every capture point: host interfaces first, then namespaces, containers and pods. */
export async function listPoints(): Promise<CapturePoint[]> {
  const points: CapturePoint[] = [];
  for (const d of hostDevices()) {
    if (/^(bluetooth|dbus|nflog|nfqueue|usbmon)/.test(d.name)) continue;
    points.push({
      id: `iface:${d.name}`, kind: 'iface', label: d.name, device: d.name, up: d.up,
      addresses: d.addresses.filter((a) => a.family === 'inet' || a.family === 'inet6').map((a) => a.address),
    });
  }
  for (const t of await targets()) {
    if (t.kind === 'host' || !t.netns) continue;
    const kind = t.kind === 'pod' ? 'pod' : t.kind === 'container' ? 'container' : 'netns';
    const label = t.kind === 'container' && t.containers?.length ? t.containers.join(', ') : t.label;
    points.push({ id: `${kind}:${t.netnsId}`, kind, label, device: 'any', netns: t.netns, up: true, addresses: [], ...(t.pid ? { pid: t.pid } : {}) });
  }
  return points;
}

/** Packets received + sent per interface from a /proc/net/dev text. */
export function parseNetDev(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n').slice(2)) {
    const m = /^\s*([^:\s]+):\s*(.*)$/.exec(line);
    if (!m) continue;
    const f = m[2].trim().split(/\s+/).map(Number);
    if (f.length < 16) continue;
    out.set(m[1], f[1] + f[9]);
  }
  return out;
}

function readNetDev(point: CapturePoint): Promise<Map<string, number> | undefined> {
  if (!point.netns) {
    return fs.promises.readFile('/proc/net/dev', 'utf8').then(parseNetDev, () => undefined);
  }
  if (point.pid) return fs.promises.readFile(`/proc/${point.pid}/net/dev`, 'utf8').then(parseNetDev, () => undefined);
  // A named namespace without a process: read the file from inside it.
  return new Promise((resolve) => {
    execFile('nsenter', [`--net=${point.netns}`, 'cat', '/proc/net/dev'], { timeout: 2000 }, (err, out) => resolve(err ? undefined : parseNetDev(out)));
  });
}

/** Packet counters per point (sum over a namespace's interfaces except lo, or the interface itself). */
export async function pointCounters(points: CapturePoint[]): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  let host: Promise<Map<string, number> | undefined> | undefined;
  await Promise.all(points.map(async (p) => {
    const dev = p.netns ? await readNetDev(p) : await (host ??= readNetDev(p));
    if (!dev) return;
    if (p.netns) {
      let sum = 0;
      for (const [name, n] of dev) if (name !== 'lo') sum += n;
      out.set(p.id, sum);
    } else if (p.device === 'any') {
      let sum = 0;
      for (const n of dev.values()) sum += n;
      out.set(p.id, sum);
    } else {
      const n = dev.get(p.device);
      if (n !== undefined) out.set(p.id, n);
    }
  }));
  return out;
}

export interface LiveOptions {
  points: CapturePoint[];
  filter?: string;
  snaplen?: number;
  ring?: { fileSizeMB: number; files: number };
  dir: string;
  id: string;
}

export interface LiveCapture {
  path: string;
  session: CaptureSession;
  done: Promise<CaptureSummary>;
  stop(): Promise<CaptureSummary>;
}

/** Opens the points and starts a session writing `dir/ID.pcapng`. */
export async function startLive(o: LiveOptions): Promise<LiveCapture> {
  const sources: CaptureSource[] = [];
  const path = join(o.dir, `${o.id}.pcapng`);
  try {
    for (const p of o.points) {
      sources.push(await openSource('native', {
        device: p.device, ...(p.netns ? { netns: p.netns } : {}), ...(o.filter ? { filter: o.filter } : {}),
        ...(o.snaplen ? { snapLen: o.snaplen } : {}),
      }));
    }
  } catch (e) {
    for (const s of sources) s.close();
    throw e;
  }
  const session = new CaptureSession({
    sources,
    files: {
      path, format: 'pcapng', comment: 'wiresage ui live capture',
      // A ring keeps the newest files; the UI shows the first (growing) file.
      ...(o.ring ? { maxBytes: o.ring.fileSizeMB * o.ring.files * 1_000_000 } : {}),
    },
  });
  fs.writeFileSync(path, '', { flag: 'a', mode: 0o600 });
  session.start();
  return { path, session, done: session.done, stop: () => session.stop('stopped') };
}
