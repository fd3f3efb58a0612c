/**
 * The libpcap addon as a {@link CaptureSource}: non-blocking pcap handle watched by the event
 * loop, batches of whole records per wakeup (see native/capture.cc).
 */
import { loadAddon, type NativeHandle } from './addon.js';
import {
  CaptureOpenError, CaptureRuntimeError, DEFAULT_SNAPLEN, DEFAULT_TIMEOUT_MS,
  type BatchCallback, type CaptureOpenCode, type CaptureSource, type CaptureSourceOptions, type CaptureStats,
} from './source.js';
import { endianness } from 'node:os';

/**
 * Kernel ring when -B is not given: 8 MiB, four times libpcap's (and tcpdump's) 2 MiB. Node
 * can pause (GC, a slow synchronous write to a busy disk) where tcpdump would not; 16 blocks
 * instead of 4 ride that out. Measured: 2M packets at 200k pkt/s on a loaded 2-core machine
 * dropped ~0.3% with 2 MiB, none with 8 MiB (bench/cases/capture.mjs).
 */
export const DEFAULT_BUFFER_SIZE = 8 * 1024 * 1024;

export class NativeSource implements CaptureSource {
  readonly backend = 'native' as const;
  readonly device: string;
  readonly label: string;
  readonly linkType: number;
  readonly snapLen: number;
  readonly nanosecond: boolean;
  readonly littleEndian = endianness() === 'LE';
  readonly filter?: string;
  readonly warning?: string;
  private readonly handle: NativeHandle;
  private readonly timeoutMs: number;
  private onBatch: BatchCallback | undefined;
  private lastStats: CaptureStats | null = null;
  private failed = false;

  /** Opens and activates the device; throws CaptureOpenError (or AddonUnavailableError). */
  constructor(options: CaptureSourceOptions) {
    const addon = loadAddon();
    this.device = options.device;
    this.label = options.label ?? options.device;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    try {
      this.handle = new addon.Handle({
        device: options.device,
        snapLen: options.snapLen || DEFAULT_SNAPLEN,
        promisc: options.promisc ?? true,
        bufferSize: options.bufferSize ?? DEFAULT_BUFFER_SIZE,
        timeoutMs: this.timeoutMs,
        immediate: options.immediate ?? false,
        nanosecond: options.nanosecond ?? true,
        direction: options.direction,
        linkType: options.linkType,
        filter: options.filter,
        netns: options.netns,
      });
    } catch (e) {
      const err = e as Error & { code?: string };
      const passed: readonly string[] = ['NO_SUCH_DEVICE', 'PERM_DENIED', 'FILTER', 'IFACE_NOT_UP', 'NETNS_GONE', 'NETNS_PERM', 'NETNS'];
      const code = passed.includes(err.code ?? '') ? err.code as CaptureOpenCode : err.code === 'PROMISC_PERM_DENIED' ? 'PERM_DENIED' : 'OTHER';
      throw new CaptureOpenError(err.message, code, options.device);
    }
    this.linkType = this.handle.linkType;
    this.snapLen = this.handle.snapLen;
    this.nanosecond = this.handle.nanosecond;
    if (options.filter) this.filter = options.filter;
    if (this.handle.warning) this.warning = this.handle.warning;
  }

  start(onBatch: BatchCallback, onError: (error: Error) => void): void {
    this.onBatch = onBatch;
    this.handle.start((buffer, length) => onBatch(buffer.subarray(0, length)), (message) => {
      this.failed = true;
      this.lastStats = this.stats();
      onError(new CaptureRuntimeError(`capture on ${this.label} stopped: ${message}`, this.device));
    });
  }

  async stop(): Promise<void> {
    if (!this.failed) {
      // The kernel hands over a partly filled block when the block timeout expires: wait for
      // it while still polling, then take whatever is left.
      await new Promise((resolve) => setTimeout(resolve, this.timeoutMs + 20));
      this.handle.stop();
      try {
        const onBatch = this.onBatch;
        if (onBatch) this.handle.drain((buffer, length) => onBatch(buffer.subarray(0, length)));
      } catch {
        // The device went away at the last moment; what was delivered stays valid.
      }
    }
    this.handle.stop();
    this.lastStats = this.stats();
  }

  stats(): CaptureStats | null {
    const s = this.handle.stats();
    return s ? { received: s.received, dropped: s.dropped, ifDropped: s.ifDropped } : this.lastStats;
  }

  close(): void {
    this.handle.close();
  }
}
