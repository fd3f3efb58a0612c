/**
 * Loading the live-capture addon (native/capture.cc, built by `npm install` into
 * build/Release/wiresage_capture.node). When it cannot be loaded, {@link loadAddon} throws an
 * {@link AddonUnavailableError} that says why, how to fix it, and that `--backend tcpdump`
 * works without it.
 *
 * @example
 * const addon = loadAddon();
 * for (const i of addon.listInterfaces()) console.log(i.name);
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** One address of an interface, as pcap_findalldevs reports it. */
export interface InterfaceAddress {
  family: 'inet' | 'inet6' | 'link' | 'other';
  address: string;
  netmask?: string;
  broadcast?: string;
  destination?: string;
}

/** One capture device from pcap_findalldevs. */
export interface DeviceInfo {
  name: string;
  description?: string;
  loopback: boolean;
  up: boolean;
  running: boolean;
  wireless: boolean;
  connection: 'connected' | 'disconnected' | 'not applicable' | 'unknown';
  addresses: InterfaceAddress[];
}

/** Options of the addon's Handle (see native/capture.cc). */
export interface HandleOptions {
  device: string;
  snapLen?: number;
  promisc?: boolean;
  /** Kernel buffer in bytes. */
  bufferSize?: number;
  timeoutMs?: number;
  immediate?: boolean;
  nanosecond?: boolean;
  direction?: 'in' | 'out' | 'inout';
  linkType?: number;
  filter?: string;
  /** Path of a network namespace (/run/netns/NAME, /proc/PID/ns/net) to open the device in. */
  netns?: string;
}

/** The addon's open capture handle. */
export interface NativeHandle {
  readonly linkType: number;
  readonly snapLen: number;
  readonly nanosecond: boolean;
  readonly warning: string | null;
  readonly fd: number;
  /**
   * Starts watching the descriptor; onBatch gets whole pcap records in host byte order in
   * buffer[0, length). The buffer is reused: valid only during the call.
   */
  start(onBatch: (buffer: Buffer, length: number) => void, onError: (message: string) => void): void;
  stop(): void;
  /** Delivers what the kernel has released so far, synchronously. Throws on a capture error. */
  drain(onBatch: (buffer: Buffer, length: number) => void): void;
  stats(): { received: number; dropped: number; ifDropped: number; wakeups: number; emptyWakeups: number } | null;
  close(): void;
}

export interface Addon {
  Handle: new (options: HandleOptions) => NativeHandle;
  /** pcap_findalldevs, inside the network namespace at `netns` when given (throws with code NETNS_GONE, NETNS_PERM or NETNS). */
  listInterfaces(netns?: string): DeviceInfo[];
  /** null when `expression` compiles for the link type, else libpcap's message. */
  compileFilter(linkType: number, snapLen: number, expression: string): string | null;
  libVersion(): string;
  /** Host-order pcap records src[start, end) → pcapng EPBs at dst[offset…]; returns the end offset. */
  pcapToEpb(src: Uint8Array, start: number, end: number, dst: Uint8Array, offset: number, interfaceId: number, nanosecond: boolean): number;
}

/** The addon, or undefined when it is not available (for optional fast paths). */
export function tryAddon(): Addon | undefined {
  try {
    return loadAddon();
  } catch {
    return undefined;
  }
}

/** The addon could not be loaded; `message` explains why and how to fix it. */
export class AddonUnavailableError extends Error {
  constructor(readonly reason: string, readonly fix: string) {
    super(`the live-capture addon is not available: ${reason}\n  fix: ${fix}\n  or capture without it: wiresage capture --backend tcpdump … (the system's tcpdump as packet source, same output)`);
    this.name = 'AddonUnavailableError';
  }
}

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** Where the build puts the addon; WIRESAGE_ADDON overrides (tests, packaging). */
export const addonPath = process.env.WIRESAGE_ADDON ?? join(root, 'build', 'Release', 'wiresage_capture.node');
const buildErrorPath = join(root, 'build', 'addon-build-error.txt');

let cached: Addon | undefined;

/** Loads the addon once; throws AddonUnavailableError. */
export function loadAddon(): Addon {
  if (cached) return cached;
  if (!existsSync(addonPath)) {
    if (existsSync(buildErrorPath)) {
      const text = readFileSync(buildErrorPath, 'utf8');
      const [reason] = text.split('\n');
      throw new AddonUnavailableError(`its build failed: ${reason}`, 'fix the cause above, then run: npm run build:addon');
    }
    throw new AddonUnavailableError(`${addonPath} does not exist (the build did not run: npm install --ignore-scripts?)`,
      'npm run build:addon (needs libpcap-dev, build-essential and python3: bash scripts/setup.sh installs them)');
  }
  try {
    cached = createRequire(import.meta.url)(addonPath) as Addon;
    return cached;
  } catch (e) {
    const message = (e as Error).message.split('\n')[0];
    const fix = /libpcap\.so/.test(message) ? 'install the libpcap runtime: apt-get install libpcap0.8'
      : /NODE_MODULE_VERSION|undefined symbol|napi/i.test(message) ? 'rebuild it for this Node: npm run build:addon'
      : 'npm run build:addon';
    throw new AddonUnavailableError(`loading ${addonPath} failed: ${message}`, fix);
  }
}
