/**
 * One capture run: sources → (decode, triggers, printing) → files, with the stop conditions
 * (-c, --duration, --max-size, -G -W, capture triggers, signals, errors) and the summary.
 *
 * Batches are handled synchronously as they arrive. Records are decoded only when something
 * needs packets (printing, a trigger); otherwise a batch goes to the files as bytes.
 *
 * Capture triggers: a ring buffer runs until `trigger.match(packet)` is true, then the capture
 * goes on for `afterPackets` more packets or `afterSeconds` more seconds and stops, so the
 * minutes before an intermittent failure are on disk when it happens.
 *
 * @example
 * const session = new CaptureSession({ sources: [source], files: { path: 'ring', format: 'pcapng', fileSize: 10e6, fileCount: 10 },
 *   trigger: { match: (p) => isReset(p), afterSeconds: 10 } });
 * session.start();
 * const summary = await session.done;
 */
import { Decoder } from '../decode/decoder.js';
import type { Packet } from '../decode/packet.js';
import { PcapRecordParser } from '../file/pcap.js';
import type { CaptureRecord, InterfaceDescription } from '../file/types.js';
import { FlowEngine } from '../flows/index.js';
import { CaptureFiles, splitPath, type CaptureFilesOptions } from './files.js';
import { TimeOrderMerger } from './merge.js';
import type { CaptureSource, CaptureStats } from './source.js';

/** Stop after a packet matches, plus some more. */
export interface CaptureTrigger {
  match: (p: Packet) => boolean;
  /** Packets to keep after the matching one (default 0 when afterSeconds is not given). */
  afterPackets?: number;
  /** Seconds of capture time to keep after the matching packet. */
  afterSeconds?: number;
  /** Text for messages (the filter). */
  text?: string;
}

export interface CaptureSessionOptions {
  sources: CaptureSource[];
  /** -w and friends; interfaces and statistics are filled in from the sources. */
  files?: Omit<CaptureFilesOptions, 'interfaces' | 'statistics'>;
  /**
   * --split: one file (or ring) per source, named by {@link splitPath}, instead of one pcapng
   * with an interface per source. --max-size then bounds all files together.
   */
  split?: boolean;
  /**
   * With several sources, packets are held this long and handed on in timestamp order
   * (default: the slowest source's delivery latency; 0 = in arrival order).
   */
  holdMs?: number;
  /** Called for every decoded packet (live printing); makes every packet decoded. */
  onPacket?: (p: Packet) => void;
  /** -c */
  maxPackets?: number;
  trigger?: CaptureTrigger;
  /** --duration */
  durationSeconds?: number;
  /** Called when a file is complete. */
  onFileClosed?: (path: string) => void;
}

export type StopReason = 'signal' | 'count' | 'trigger' | 'duration' | 'max-size' | 'file-count' | 'error' | 'stopped';

export interface InterfaceSummary {
  device: string;
  /** The capture point's name. */
  label: string;
  backend: 'native' | 'tcpdump' | 'ssh';
  stats: CaptureStats | null;
  /** Packets of this interface taken into the capture. */
  packets: number;
}

export interface CaptureSummary {
  reason: StopReason;
  error?: Error;
  /** Packets captured (written, or printed when nothing is written). */
  packets: number;
  bytesWritten: number;
  /** Files on disk at the end (the ring), oldest first. */
  files: string[];
  interfaces: InterfaceSummary[];
  /** The packet that fired the trigger. */
  triggeredBy?: { number: number; tsSec: number; tsNsec: number };
}

/**
 * How long a backend may take to hand over a packet: the native block timeout (100 ms) plus
 * scheduling slack; tcpdump's fixed 1 s block timeout; ssh adds the network.
 */
const HOLD_MS: Record<CaptureSource['backend'], number> = { native: 300, tcpdump: 1300, ssh: 2000 };

/** Reasons that end the capture at an exact packet: later batches are not taken. */
const EXACT: ReadonlySet<StopReason> = new Set(['count', 'trigger', 'max-size', 'file-count']);

export class CaptureSession {
  readonly done: Promise<CaptureSummary>;
  packets = 0;
  private resolveDone!: (s: CaptureSummary) => void;
  /** One CaptureFiles for all sources, or one per source with `split`. */
  private readonly files: CaptureFiles[] = [];
  private readonly merger: TimeOrderMerger | undefined;
  private readonly parsers: PcapRecordParser[];
  private readonly perInterface: number[];
  private readonly decoder = new Decoder();
  private readonly flows = new FlowEngine({ packetExperts: true });
  private readonly decodeAll: boolean;
  private accepting = true;
  private stopping: Promise<CaptureSummary> | undefined;
  private reason: StopReason = 'stopped';
  private error: Error | undefined;
  private timers: NodeJS.Timeout[] = [];
  private triggered: { number: number; tsSec: number; tsNsec: number; packets: number } | undefined;
  private finalStats: (CaptureStats | null)[] | undefined;
  // Set by the record callback: stop before (exclusive) or after the current record.
  private cutBefore = false;

  constructor(private readonly o: CaptureSessionOptions) {
    this.done = new Promise((resolve) => { this.resolveDone = resolve; });
    this.decodeAll = !!o.onPacket || !!o.trigger;
    const interfaces = o.sources.map((s, id): InterfaceDescription => ({
      id, linkType: s.linkType, snapLen: s.snapLen, name: s.label, tsResolution: s.nanosecond ? 1e9 : 1e6, tsOffset: 0, comments: [],
      ...(s.filter ? { filter: s.filter } : {}),
    }));
    this.parsers = o.sources.map((s, i) => new PcapRecordParser(
      { littleEndian: s.littleEndian, nanosecond: s.nanosecond, linkType: s.linkType, snapLen: s.snapLen }, interfaces[i], s.device));
    this.perInterface = o.sources.map(() => 0);
    if (o.files) {
      const files = o.files;
      const describe = (s: CaptureSource) => ({
        name: s.label, linkType: s.linkType, snapLen: s.snapLen, nanosecond: s.nanosecond, littleEndian: s.littleEndian,
        ...(s.filter ? { filter: s.filter } : {}),
      });
      const stats = () => this.finalStats ?? this.o.sources.map((s) => s.stats());
      try {
        if (o.split) {
          const shared = { bytes: 0 };
          o.sources.forEach((s, i) => {
            this.files.push(new CaptureFiles({
              ...files, path: splitPath(files.path, s.label), interfaces: [describe(s)], shared,
              statistics: () => [stats()[i]], onFileClosed: o.onFileClosed,
            }));
          });
        } else {
          this.files.push(new CaptureFiles({ ...files, interfaces: o.sources.map(describe), statistics: stats, onFileClosed: o.onFileClosed }));
        }
      } catch (e) {
        for (const f of this.files) f.close();
        throw e;
      }
    }
    const hold = o.holdMs ?? Math.max(...o.sources.map((s) => HOLD_MS[s.backend]));
    if (o.sources.length > 1 && hold > 0) {
      this.merger = new TimeOrderMerger(o.sources.length, hold, (index, run) => this.batch(index, run), o.sources.map((s) => s.nanosecond));
    }
  }

  /** Files on disk now (ring), oldest first. */
  get currentFiles(): string[] {
    return this.files.flatMap((f) => f.files);
  }

  start(): void {
    const merger = this.merger;
    this.o.sources.forEach((source, index) => {
      source.start(merger ? (batch) => { if (this.accepting) { merger.push(index, batch); merger.release(false); } } : (batch) => this.batch(index, batch),
        (error) => { void this.stop('error', error); });
    });
    if (merger) {
      const timer = setInterval(() => merger.release(false), 50);
      this.timers.push(timer);
    }
    if (this.o.durationSeconds !== undefined) {
      this.timers.push(setTimeout(() => { void this.stop('duration'); }, this.o.durationSeconds * 1000));
    }
  }

  private batch(index: number, batch: Uint8Array): void {
    if (!this.accepting || batch.length === 0) return;
    const view = new DataView(batch.buffer, batch.byteOffset, batch.byteLength);
    let end = batch.length;
    let stopAfter: StopReason | undefined;
    const before = this.packets;
    if (this.decodeAll || this.o.maxPackets !== undefined) {
      const parser = this.parsers[index];
      this.cutBefore = false;
      let cut = -1;
      const onRecord = (r: CaptureRecord): boolean => {
        const verdict = this.record(r);
        if (verdict === undefined) return true;
        stopAfter = verdict;
        if (this.cutBefore) cut = r.offset;
        return false;
      };
      let used: number;
      try {
        used = parser.parse(batch, view, 0, batch.length, 0, onRecord);
      } catch (e) {
        void this.stop('error', e as Error);
        return;
      }
      end = cut >= 0 ? cut : used;
    }
    if (this.files.length) {
      const files = this.o.split ? this.files[index] : this.files[0];
      const parsed = this.decodeAll || this.o.maxPackets !== undefined;
      const writtenBefore = files.packetsWritten;
      let written: number;
      try {
        written = files.write(this.o.split ? 0 : index, batch, view, 0, end);
      } catch (e) {
        // Captured = what is on disk: the records before the failure that were kept.
        this.packets = before + (files.packetsWritten - writtenBefore);
        this.perInterface[index] += this.packets - before;
        this.accepting = false;
        void this.stop('error', e as Error);
        return;
      }
      if (!parsed) this.packets += files.packetsWritten - writtenBefore;
      if (written < end) {
        stopAfter = files.full || 'max-size';
        // Records parsed (and maybe printed) but not written do not count as captured.
        if (parsed) this.packets -= countRecords(view, written, end, this.o.sources[index].littleEndian);
      }
    }
    this.perInterface[index] += this.packets - before;
    if (stopAfter) {
      this.accepting = false;
      void this.stop(stopAfter);
    }
  }

  /** One parsed record: decode, print, count, triggers. Returns a stop reason to end here. */
  private record(r: CaptureRecord): StopReason | undefined {
    const trigger = this.o.trigger;
    if (this.decodeAll) {
      if (this.triggered && trigger?.afterSeconds !== undefined) {
        const elapsed = (r.tsSec - this.triggered.tsSec) + (r.tsNsec - this.triggered.tsNsec) / 1e9;
        if (elapsed > trigger.afterSeconds) {
          this.cutBefore = true; // this one is past the window
          return 'trigger';
        }
      }
      const p = this.decoder.decode(r);
      this.flows.packet(p);
      this.packets++;
      this.o.onPacket?.(p);
      if (trigger) {
        if (!this.triggered) {
          if (trigger.match(p)) {
            this.triggered = { number: this.packets, tsSec: r.tsSec, tsNsec: r.tsNsec, packets: this.packets };
            if (trigger.afterSeconds !== undefined) {
              this.timers.push(setTimeout(() => { void this.stop('trigger'); }, trigger.afterSeconds * 1000));
            } else if (!trigger.afterPackets) {
              return 'trigger';
            }
          }
        } else if (trigger.afterPackets !== undefined && this.packets - this.triggered.packets >= trigger.afterPackets) {
          return 'trigger';
        }
      }
    } else {
      this.packets++;
    }
    if (this.o.maxPackets !== undefined && this.packets >= this.o.maxPackets) return 'count';
    return undefined;
  }

  /**
   * Ends the capture: sources hand over what they still hold (unless the stop is at an exact
   * packet), files are completed, and the summary is returned. Idempotent.
   */
  stop(reason: StopReason = 'stopped', error?: Error): Promise<CaptureSummary> {
    if (this.stopping) {
      if (error && !this.error) this.error = error;
      return this.stopping;
    }
    this.reason = reason;
    if (error) this.error = error;
    if (EXACT.has(reason)) this.accepting = false;
    this.stopping = this.finish();
    return this.stopping;
  }

  private async finish(): Promise<CaptureSummary> {
    for (const t of this.timers) clearTimeout(t);
    await Promise.all(this.o.sources.map((s) => s.stop().catch(() => {})));
    // What the points still held goes out in order (unless the stop was at an exact packet).
    this.merger?.release(true);
    this.accepting = false;
    this.finalStats = this.o.sources.map((s) => s.stats());
    for (const f of this.files) {
      try {
        f.close();
      } catch (e) {
        if (!this.error) {
          this.error = e as Error;
          this.reason = 'error';
        }
      }
    }
    for (const s of this.o.sources) s.close();
    const summary: CaptureSummary = {
      reason: this.reason,
      packets: this.packets,
      bytesWritten: this.files.reduce((n, f) => n + f.bytesWritten, 0),
      files: this.currentFiles,
      interfaces: this.o.sources.map((s, i) => ({ device: s.device, label: s.label, backend: s.backend, stats: this.finalStats![i], packets: this.perInterface[i] })),
    };
    if (this.error) summary.error = this.error;
    if (this.triggered) summary.triggeredBy = { number: this.triggered.number, tsSec: this.triggered.tsSec, tsNsec: this.triggered.tsNsec };
    this.resolveDone(summary);
    return summary;
  }
}

function countRecords(view: DataView, start: number, end: number, littleEndian: boolean): number {
  let n = 0;
  for (let p = start; p + 16 <= end; p += 16 + view.getUint32(p + 8, littleEndian)) n++;
  return n;
}
