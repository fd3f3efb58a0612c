/**
 * Packet sources of live capture. A source is one capture point (one interface, later one
 * interface inside a container's network namespace); it delivers *batches*: whole classic-pcap
 * records (16-byte header in the source's byte order, then the captured bytes) back to back,
 * exactly what a pcap file holds after its 24-byte header. Files and live capture therefore go
 * through the same record parser (src/file/pcap.ts) and a pcap file is written one batch per
 * `write()`.
 *
 * Two implementations share this contract and one conformance test: the libpcap addon
 * (native.ts) and the system's tcpdump as a child process (tcpdump.ts).
 *
 * @example
 * const source = await openSource('native', { device: 'eth0', snapLen: 262144 });
 * source.start((batch) => parsePcapRecords(batch, parser, onRecord), (err) => console.error(err));
 * await source.stop(); // delivers what the kernel still held, then stops
 */

/** What to open and how; tcpdump's options in their meaning. */
export interface CaptureSourceOptions {
  /** Interface name, or `any`. */
  device: string;
  /** -s: bytes kept of each packet (0 = 262144, as tcpdump). */
  snapLen?: number;
  /** False for -p. */
  promisc?: boolean;
  /** -B in bytes (tcpdump's -B is KiB). */
  bufferSize?: number;
  /** Block timeout: how long the kernel holds a partly filled block (default 100 ms). */
  timeoutMs?: number;
  /** --immediate-mode: a wakeup per packet (costly; see shared/notes/capture.md). */
  immediate?: boolean;
  /** Nanosecond timestamps where the device has them (default true). */
  nanosecond?: boolean;
  /** -Q */
  direction?: 'in' | 'out' | 'inout';
  /** -y: LINKTYPE number; `any` defaults to LINUX_SLL2 as tcpdump 4.99 does. */
  linkType?: number;
  /** BPF capture filter (tcpdump's trailing words). */
  filter?: string;
  /**
   * Network namespace to capture in (a path such as /run/netns/NAME or /proc/PID/ns/net).
   * The native source opens the device with the thread moved into it (setns, then back); the
   * tcpdump source runs `nsenter --net=PATH tcpdump …`.
   */
  netns?: string;
  /** Name of the capture point (pcapng interface name, live display, messages); default `device`. */
  label?: string;
  /** tcpdump backend: also flush per packet (-U), for live printing. */
  packetBuffered?: boolean;
}

/** Counters from pcap_stats (tcpdump's end-of-capture lines). */
export interface CaptureStats {
  /** "packets received by filter". */
  received: number;
  /** "packets dropped by kernel". */
  dropped: number;
  /** "packets dropped by interface". */
  ifDropped: number;
}

/** Callback for batches; the Uint8Array is only valid during the call (it may be reused). */
export type BatchCallback = (batch: Uint8Array) => void;

export interface CaptureSource {
  readonly backend: 'native' | 'tcpdump' | 'ssh';
  readonly device: string;
  /** The capture point's name (`eth0`, `container:app/any`, `ssh:root@db1/eth0`). */
  readonly label: string;
  readonly linkType: number;
  readonly snapLen: number;
  /** Record timestamps are seconds + nanoseconds (else microseconds). */
  readonly nanosecond: boolean;
  /** Record headers are little-endian. */
  readonly littleEndian: boolean;
  /** The filter the source applies (for pcapng if_filter). */
  readonly filter?: string;
  /** A warning libpcap gave while opening (e.g. promiscuous mode not supported). */
  readonly warning?: string;
  /** Starts delivering batches. onError is called at most once (interface gone, capture error); the source is stopped then. */
  start(onBatch: BatchCallback, onError: (error: Error) => void): void;
  /**
   * Stops capturing. Packets the kernel still holds in a partly filled block are delivered
   * through onBatch first (tcpdump loses them on Ctrl-C).
   */
  stop(): Promise<void>;
  /** Latest counters (null when the backend has none yet). */
  stats(): CaptureStats | null;
  close(): void;
}

/**
 * What went wrong when opening: NETNS_GONE (the namespace does not exist any more), NETNS_PERM
 * (entering it needs root), NETNS (not a namespace), REMOTE (an ssh capture point failed).
 */
export type CaptureOpenCode = 'NO_SUCH_DEVICE' | 'PERM_DENIED' | 'FILTER' | 'IFACE_NOT_UP' | 'NETNS_GONE' | 'NETNS_PERM' | 'NETNS' | 'REMOTE' | 'OTHER';

/** Why a source could not be opened; `code` tells the CLI what advice to give. */
export class CaptureOpenError extends Error {
  constructor(message: string, readonly code: CaptureOpenCode, readonly device: string) {
    super(message);
    this.name = 'CaptureOpenError';
  }
}

/** A capture that ended with an error (interface down, capture process died). */
export class CaptureRuntimeError extends Error {
  constructor(message: string, readonly device: string) {
    super(message);
    this.name = 'CaptureRuntimeError';
  }
}

export const DEFAULT_SNAPLEN = 262144;
export const DEFAULT_TIMEOUT_MS = 100;
