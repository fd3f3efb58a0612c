/**
 * One capture opened in the web UI: the index pass (one streaming read of the file through the
 * flow engine's fast path, recording each frame's offset, times, lengths, TCP analysis bits and
 * stream), pages of rows decoded on demand, display-filter views, the detail tree, and the
 * whole-file analyses (conversations, expert info, findings…) computed once and cached.
 *
 * A live capture's file grows while it is read: the index pass tails it (waits at the end of
 * the file until the capture stops), and whole-file analyses run on a snapshot cut at the last
 * complete record.
 */
import { EventEmitter } from 'node:events';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { Decoder, dissectTree } from '../decode/decoder.js';
import type { Packet } from '../decode/packet.js';
import { TreeSink } from '../fields/sink.js';
import { openCapture, readerFromStream } from '../file/open.js';
import type { CaptureReader, InterfaceDescription } from '../file/types.js';
import { compileFilter, type CompiledFilter } from '../filter/index.js';
import { u32 } from '../decode/bytes.js';
import { FlowEngine } from '../flows/index.js';
import { TcpNote } from '../flows/tcp-analysis.js';
import { rowColor, type RowColor } from './colors.js';
import { FrameIndex, NO_STREAM, readFrames, recordLayout, type RecordLayout } from './frame-index.js';
import { addressColumns, infoColumn, protocolColumn } from './columns.js';
import { IndexNote, mayMatch, scanPlan, type ScanKind } from './scan.js';
import { treeJson, type TreeJsonNode } from './tree.js';

export interface Row {
  no: number;
  time: string;
  rel: string;
  delta: string;
  src: string;
  dst: string;
  proto: string;
  len: number;
  info: string;
  color: RowColor | null;
  /** Index of the interface (capture point) the frame came from. */
  point: number;
}

/** A display-filter view: the frame numbers that match, growing while the scan runs. */
export class View {
  frames = new Uint32Array(1024);
  matched = 0;
  scanned = 0;
  complete = false;
  error: string | undefined;
  cancelled = false;
  /** How the view is scanned (see scan.ts). */
  kind: ScanKind = 'full';

  constructor(readonly id: string, readonly filter: string) {}

  push(frame: number): void {
    if (this.matched === this.frames.length) {
      const g = new Uint32Array(this.frames.length * 2);
      g.set(this.frames);
      this.frames = g;
    }
    this.frames[this.matched++] = frame;
  }
}

export interface LiveState {
  /** True while packets may still be appended to the file. */
  active: boolean;
}

/** Reads a file that is still being written: at its end, waits for more until `live.active` is false. */
function tailStream(path: string, live: LiveState): Readable {
  let fd: number | undefined;
  let position = 0;
  return new Readable({
    highWaterMark: 1 << 20,
    read() {
      const attempt = () => {
        try {
          fd ??= fs.openSync(path, 'r');
          const buf = Buffer.allocUnsafe(1 << 20);
          const n = fs.readSync(fd, buf, 0, buf.length, position);
          if (n > 0) {
            position += n;
            this.push(buf.subarray(0, n));
            return;
          }
          if (!live.active) {
            // One more look: the capture may have written its last bytes before stopping.
            const m = fs.readSync(fd, buf, 0, buf.length, position);
            if (m > 0) {
              position += m;
              this.push(buf.subarray(0, m));
              return;
            }
            this.push(null);
            return;
          }
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== 'ENOENT' || !live.active) {
            this.destroy(e as Error);
            return;
          }
        }
        setTimeout(attempt, 150);
      };
      attempt();
    },
    destroy(err, cb) {
      if (fd !== undefined) fs.closeSync(fd);
      cb(err);
    },
  });
}

let nextViewId = 1;

/** Frames an index scan reads between two turns of the event loop. */
const SCAN_BATCH = 4096;

/** Earlier frames of a row's connection decoded again for its Info text, at most, and of a page's. */
const ROW_HISTORY = 5000;
const ROW_HISTORY_TOTAL = 20_000;

/** Frames decoded before a detail frame whatever their stream (IP fragments reassemble). */
const NEARBY = 200;

export class Capture extends EventEmitter {
  readonly index = new FrameIndex();
  complete = false;
  error: string | undefined;
  /** Bytes of the file read by the index pass. */
  bytesRead = 0;
  interfaces: InterfaceDescription[] = [];
  private layout: RecordLayout | undefined;
  private fd: number | undefined;
  readonly views = new Map<string, View>();
  private readonly cache = new Map<string, Promise<unknown>>();
  /** Resolves when the index pass ends (successfully or not). */
  readonly indexed: Promise<void>;
  private resolveIndexed!: () => void;
  private lastEmit = 0;
  private snapshotSerial = 0;

  constructor(
    readonly id: string,
    readonly name: string,
    /** The file read (inside the private directory for uploads and live captures). */
    readonly path: string,
    /** Private directory for snapshots and downloads. */
    private readonly scratch: string,
    readonly live?: LiveState,
  ) {
    super();
    this.setMaxListeners(0);
    this.indexed = new Promise((r) => { this.resolveIndexed = r; });
  }

  get size(): number {
    try {
      return fs.statSync(this.path).size;
    } catch {
      return 0;
    }
  }

  /** Fraction of the file indexed (1 when complete). */
  get progress(): number {
    if (this.complete) return 1;
    const size = this.size;
    return size > 0 ? Math.min(0.999, this.bytesRead / size) : 0;
  }

  private async openReader(): Promise<CaptureReader> {
    if (this.live) return readerFromStream(tailStream(this.path, this.live), this.name);
    // Small chunks: the event loop serves requests between them while the index grows.
    return openCapture(this.path, { chunkSize: 256 * 1024 });
  }

  /** Runs the index pass (call once). */
  async start(): Promise<void> {
    try {
      const reader = await this.openReader();
      this.interfaces = reader.interfaces as InterfaceDescription[];
      this.layout = recordLayout(this.path, reader.format);
      this.fd = fs.openSync(this.path, 'r');
      const idx = this.index;
      const engine = new FlowEngine();
      const tcp = engine.tcpNote;
      const udp = engine.udpNote;
      try {
        await reader.forEach((r) => {
          engine.record(r);
          let stream = NO_STREAM;
          let analysis = 0;
          if (tcp.valid) {
            stream = tcp.stream;
            // As the tree: no analysis items where a snaplen cut ended tshark's TCP dissection.
            if (tcp.hasTa && tcp.cut === 0) analysis = tcp.analysis;
          } else if (udp.valid) {
            stream = -(udp.stream + 2);
          }
          idx.push(r.offset, r.tsSec, r.tsNsec, r.capLen, r.origLen, r.iface.id, analysis, stream);
          if (tcp.valid) idx.setTcp(tcp.seq, tcp.ack, tcp.window, tcp.dupackFrame, tcp.dupackNum);
          this.bytesRead = r.offset + r.capLen;
          if ((idx.count & 0x3ff) === 0) this.maybeEmit();
        });
      } finally {
        reader.close();
        engine.finish();
      }
    } catch (e) {
      // Private paths (uploads, live files) are not shown: the capture's name is.
      this.error = (e as Error).message.split(this.path).join(this.name);
    } finally {
      this.complete = true;
      this.emitProgress();
      this.resolveIndexed();
    }
  }

  private maybeEmit(): void {
    const now = Date.now();
    if (now - this.lastEmit < 250) return;
    this.emitProgress();
  }

  private emitProgress(): void {
    this.lastEmit = Date.now();
    this.emit('progress', this.progressEvent());
  }

  /** What the `progress` event says: packets indexed, bytes of the file (growing while live), fraction done. */
  progressEvent(): object {
    return { packets: this.index.count, complete: this.complete, progress: this.progress, size: this.size, live: !!this.live?.active, ...(this.error ? { error: this.error } : {}) };
  }

  info(): object {
    const idx = this.index;
    return {
      id: this.id,
      name: this.name,
      size: this.size,
      packets: idx.count,
      complete: this.complete,
      progress: this.progress,
      live: !!this.live?.active,
      firstTime: idx.count ? idx.timeText(0) : null,
      lastTime: idx.count ? idx.timeText(idx.count - 1) : null,
      interfaces: this.interfaces.map((i) => ({ name: i.name ?? `interface ${i.id}`, linkType: i.linkType })),
      ...(this.error ? { error: this.error } : {}),
    };
  }

  close(): void {
    for (const v of this.views.values()) v.cancelled = true;
    if (this.fd !== undefined) fs.closeSync(this.fd);
    this.fd = undefined;
  }

  /** Decodes frames (1-based numbers, ascending) and hands each decoded packet over. */
  decodeFrames(numbers: ArrayLike<number>, each: (p: Packet, i: number) => void, decoder = new Decoder()): void {
    if (this.fd === undefined || !this.layout) return;
    const idx = this.index;
    // Runs of consecutive frames are read together.
    let k = 0;
    while (k < numbers.length) {
      let e = k + 1;
      while (e < numbers.length && numbers[e] === numbers[e - 1] + 1) e++;
      const from = numbers[k] - 1;
      readFrames(this.fd, idx, this.layout, this.interfaces, from, numbers[e - 1], (r, i) => {
        const prev = i > 0 ? i - 1 : 0;
        decoder.setTimes(idx.tsSec[0], idx.tsNsec[0], idx.tsSec[prev], idx.tsNsec[prev]);
        each(decoder.decodeAs(r, i + 1), i);
      });
      k = e;
    }
  }

  /**
   * Rows for frames `numbers` (1-based, ascending). As Wireshark fills its columns in a
   * sequential pass, the earlier frames of the rows' connections are decoded again first
   * (through the flow engine and the application dissectors' state: relative Seq/Ack, TLS
   * versions, reassembled PDUs), up to ROW_HISTORY frames a connection and ROW_HISTORY_TOTAL a
   * page; a longer connection takes its TCP numbers from the index instead.
   */
  rows(numbers: ArrayLike<number>): Row[] {
    const idx = this.index;
    const rows: Row[] = [];
    if (!numbers.length) return rows;
    const wanted = new Set<number>();
    for (let k = 0; k < numbers.length; k++) wanted.add(numbers[k]);
    const { frames, partial } = this.rowHistory(numbers);
    const decoder = new Decoder();
    const engine = new FlowEngine();
    engine.attach(decoder);
    this.decodeFrames(frames, (p, i) => {
      engine.packet(p);
      if (!wanted.has(i + 1)) return;
      const a = idx.analysis[i];
      const info = this.infoText(p, i, partial.has(idx.stream[i]));
      const { src, dst } = addressColumns(p);
      rows.push({
        no: i + 1,
        time: idx.timeText(i),
        rel: idx.diffText(i, 0),
        delta: idx.diffText(i, i > 0 ? i - 1 : 0),
        src,
        dst,
        proto: protocolColumn(p),
        len: idx.origLen[i],
        info,
        color: rowColor(p, a),
        point: idx.iface[i],
      });
    }, decoder);
    return rows;
  }

  /** The frames to decode for rows `numbers`: theirs and their connections' earlier ones. */
  private rowHistory(numbers: ArrayLike<number>): { frames: Uint32Array; partial: Set<number> } {
    const idx = this.index;
    const first = numbers[0] - 1;
    const counts = new Map<number, number>();
    for (let k = 0; k < numbers.length; k++) {
      const s = idx.stream[numbers[k] - 1];
      if (s !== NO_STREAM) counts.set(s, 0);
    }
    for (let k = 0; k < first; k++) {
      const c = counts.get(idx.stream[k]);
      if (c !== undefined) counts.set(idx.stream[k], c + 1);
    }
    const partial = new Set<number>();
    let total = 0;
    for (const [s, c] of counts) {
      if (c > ROW_HISTORY || total + c > ROW_HISTORY_TOTAL) partial.add(s);
      else total += c;
    }
    const frames = new Uint32Array(total + numbers.length);
    let n = 0;
    if (total) {
      for (let k = 0; k < first; k++) {
        const s = idx.stream[k];
        if (counts.has(s) && !partial.has(s)) frames[n++] = k + 1;
      }
    }
    for (let k = 0; k < numbers.length; k++) frames[n++] = numbers[k];
    return { frames, partial };
  }

  /**
   * Wireshark's Info text of frame i (0-based). When its connection's start was not decoded
   * again (`fromIndex`), the index's TCP numbers stand in for the flow engine's note (relative
   * Seq/Ack, scaled Win, analysis tags).
   */
  private infoText(p: Packet, i: number, fromIndex: boolean): string {
    const idx = this.index;
    const a = idx.analysis[i];
    if (fromIndex && idx.stream[i] >= 0 && p.transportLayer >= 0) {
      const n = new TcpNote();
      n.valid = true;
      n.stream = idx.stream[i];
      n.seq = idx.relSeq[i];
      n.ack = idx.relAck[i];
      n.window = idx.window[i];
      n.analysis = a;
      const t = p.transportLayer;
      const b = p.bufferOf(t);
      // SACK edges are shown relative to the peer's first sequence number.
      if (p.start[t] + 12 <= b.length) n.ackRaw = u32(b, p.start[t] + 8);
      const dup = idx.dupAcks.get(i);
      if (dup) [n.dupackFrame, n.dupackNum] = dup;
      p.flow = n;
    }
    return infoColumn(p, a);
  }

  /** Frame numbers of a page: of the whole capture, or of a view. */
  page(offset: number, limit: number, view?: View): { total: number; numbers: Uint32Array } {
    const total = view ? view.matched : this.index.count;
    const from = Math.min(Math.max(0, offset), total);
    const to = Math.min(total, from + Math.max(0, limit));
    if (view) return { total, numbers: view.frames.slice(from, to) };
    const numbers = new Uint32Array(to - from);
    for (let i = 0; i < numbers.length; i++) numbers[i] = from + i + 1;
    return { total, numbers };
  }

  /**
   * Frame `no` decoded with what came before it (TCP analysis, reassembly and application state
   * need the earlier segments): the earlier frames of its stream (up to `maxHistory`) and the
   * 200 frames just before it are decoded through one decoder and flow engine first.
   */
  frameDetail(no: number, maxHistory = 20000): { tree: TreeJsonNode[]; buffers: Array<{ name: string; base64: string }> } | null {
    const idx = this.index;
    if (no < 1 || no > idx.count) return null;
    const i = no - 1;
    const stream = idx.stream[i];
    const numbers: number[] = [];
    // The frames just before (IP fragments of the same datagram) and the stream's earlier ones.
    const near = Math.max(0, i - NEARBY);
    if (stream !== NO_STREAM) {
      for (let k = 0; k < near; k++) if (idx.stream[k] === stream) numbers.push(k + 1);
      if (numbers.length > maxHistory) numbers.length = 0;
    }
    for (let k = near; k < i; k++) numbers.push(k + 1);
    numbers.push(no);
    const decoder = new Decoder();
    const engine = new FlowEngine({ packetExperts: true });
    engine.attach(decoder);
    let result: ReturnType<Capture['frameDetail']> = null;
    this.decodeFrames(numbers, (p) => {
      engine.packet(p);
      if (p.number !== no) return;
      const t = new TreeSink();
      dissectTree(p, t);
      result = {
        tree: treeJson(t.roots, p.buffers),
        buffers: p.buffers.map((b, k) => ({ name: k === 0 ? `Frame (${b.length} bytes)` : `Reassembled (${b.length} bytes)`, base64: Buffer.from(b).toString('base64') })),
      };
    }, decoder);
    return result;
  }

  /** Starts a display-filter view (throws FilterError when the filter is invalid). */
  createView(text: string): View {
    const filter = compileFilter(text);
    const view = new View(`v${nextViewId++}`, filter.canonical);
    // One person types filters one after another: an earlier scan still running is dropped.
    for (const v of this.views.values()) if (!v.complete) v.cancelled = true;
    this.views.set(view.id, view);
    void this.scanView(view, filter);
    return view;
  }

  private async scanView(view: View, filter: CompiledFilter): Promise<void> {
    const plan = scanPlan(filter.fields, filter.text);
    view.kind = plan.kind;
    try {
      if (plan.kind === 'index') await this.scanIndexed(view, filter, plan.masks, plan.streams);
      else await this.scanOrdered(view, filter, plan.kind === 'transport');
    } catch (e) {
      view.error = (e as Error).message;
    }
    if (view.cancelled && !view.error) view.error = 'stopped: a newer filter replaced this view';
    view.complete = true;
    this.emit('view', this.viewInfo(view));
  }

  /** Sends the view's progress at most every 250 ms. */
  private viewProgress(view: View, state: { last: number }): void {
    const now = Date.now();
    if (now - state.last < 250) return;
    state.last = now;
    this.emit('view', this.viewInfo(view));
  }

  /**
   * The `index` scan (see scan.ts): frames read back by offset in batches, decoded to the
   * transport layer with the index's stream and analysis bits as their TCP note; frames whose
   * bits cannot satisfy `masks`, or outside `streams`, are not read. Follows the index while it grows.
   */
  private async scanIndexed(view: View, filter: CompiledFilter, masks: readonly number[], streams?: ReadonlySet<number>): Promise<void> {
    const idx = this.index;
    const decoder = new Decoder({ transportOnly: true });
    const note = new IndexNote();
    const state = { last: Date.now() };
    const batch = new Uint32Array(SCAN_BATCH);
    let i = 0;
    while (!view.cancelled) {
      const end = Math.min(idx.count, i + SCAN_BATCH);
      if (i >= end) {
        if (this.complete) break;
        await new Promise<void>((r) => this.once('progress', () => r()));
        continue;
      }
      let n = 0;
      if (masks.length || streams) {
        for (let k = i; k < end; k++) if (mayMatch(masks, idx.analysis[k]) && (!streams || streams.has(idx.stream[k]))) batch[n++] = k + 1;
      } else {
        for (let k = i; k < end; k++) batch[n++] = k + 1;
      }
      this.decodeFrames(batch.subarray(0, n), (p, k) => {
        const stream = idx.stream[k];
        if (stream >= 0) p.flow = note.set(stream, idx.analysis[k]);
        if (filter.matches(p)) view.push(k + 1);
      }, decoder);
      view.scanned = i = end;
      this.viewProgress(view, state);
      // Requests (pages of the view) are served between batches.
      await new Promise((r) => setImmediate(r));
    }
  }

  /** The `transport` and `full` scans: one ordered pass through a flow engine, as `wiresage read -Y`. */
  private async scanOrdered(view: View, filter: CompiledFilter, transportOnly: boolean): Promise<void> {
    const decoder = new Decoder({ transportOnly });
    const engine = new FlowEngine({ packetExperts: true });
    engine.attach(decoder); // application dissectors keep their state per connection
    const state = { last: Date.now() };
    const reader = await this.openReader();
    try {
      await reader.forEach((r) => {
        if (view.cancelled) return false;
        const p = decoder.decode(r);
        engine.packet(p);
        view.scanned++;
        if (filter.matches(p)) view.push(p.number);
        if ((view.scanned & 0x3ff) === 0) this.viewProgress(view, state);
      });
    } finally {
      reader.close();
    }
  }

  viewInfo(v: View): object {
    const total = this.index.count;
    return {
      viewId: v.id,
      filter: v.filter,
      matched: v.matched,
      scanned: v.scanned,
      total,
      complete: v.complete,
      // Of the whole file: the index itself may still be growing.
      progress: v.complete ? 1 : total ? Math.min(0.999, (v.scanned / total) * (this.complete ? 1 : this.progress)) : 0,
      kind: v.kind,
      ...(v.error ? { error: v.error } : {}),
    };
  }

  /**
   * A path holding the capture as it is now: the file itself once complete, else a copy cut
   * at the last indexed record (a live file may end in a half-written block).
   */
  snapshot(): string {
    if (!this.live?.active && this.complete) return this.path;
    const idx = this.index;
    const n = idx.count;
    const end = n ? this.recordEnd(n - 1) : 0;
    const path = join(this.scratch, `${this.id}-snapshot-${++this.snapshotSerial}.${this.layout?.format ?? 'pcapng'}`);
    const fdIn = fs.openSync(this.path, 'r');
    const fdOut = fs.openSync(path, 'w', 0o600);
    try {
      const buf = Buffer.allocUnsafe(1 << 20);
      let pos = 0;
      const limit = Math.max(end, n ? 0 : Math.min(this.size, 4096));
      while (pos < limit) {
        const got = fs.readSync(fdIn, buf, 0, Math.min(buf.length, limit - pos), pos);
        if (got === 0) break;
        fs.writeSync(fdOut, buf, 0, got);
        pos += got;
      }
    } finally {
      fs.closeSync(fdIn);
      fs.closeSync(fdOut);
    }
    return path;
  }

  /** End offset of record i's block (read from its header). */
  private recordEnd(i: number): number {
    const idx = this.index;
    const at = idx.offset[i];
    if (this.layout?.format === 'pcap') return at + this.layout.pcapHeader + idx.capLen[i];
    const fd = fs.openSync(this.path, 'r');
    try {
      const b = Buffer.alloc(8);
      fs.readSync(fd, b, 0, 8, at);
      const le = b[0] !== 0;
      return at + (le ? b.readUInt32LE(4) : b.readUInt32BE(4));
    } finally {
      fs.closeSync(fd);
    }
  }

  /** Runs `compute` on a snapshot once per capture state (recomputed while the capture grows). */
  cached<T>(key: string, compute: (path: string) => Promise<T>): Promise<T> {
    const state = this.live?.active || !this.complete ? `@${this.index.count}` : '';
    const k = key + state;
    let p = this.cache.get(k) as Promise<T> | undefined;
    if (!p) {
      const path = this.snapshot();
      p = compute(path).finally(() => {
        if (path !== this.path) fs.rm(path, { force: true }, () => {});
      });
      // Failed computations are not kept; stale live states are dropped.
      p.catch(() => this.cache.delete(k));
      if (state) for (const old of [...this.cache.keys()]) if (old.startsWith(key + '@')) this.cache.delete(old);
      this.cache.set(k, p);
    }
    return p;
  }
}
