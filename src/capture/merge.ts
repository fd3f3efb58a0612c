/**
 * Time-order merging of several capture points: batches from each source are held for a short
 * while and handed on in timestamp order, so one pcapng (or one live display) interleaves the
 * points as the packets happened, the way mergecap orders files.
 *
 * A record is released once it is the oldest held record and has been held `holdMs` of wall
 * clock time. A source hands over a packet at most its delivery latency after the packet's
 * timestamp (the native source's block timeout, tcpdump's 1 s, the network for ssh), so with
 * `holdMs` at least that latency nothing older can still arrive. Held records are copies (the
 * sources reuse their buffers); memory is bounded by hold time × packet rate.
 *
 * @example
 * const merger = new TimeOrderMerger(2, 300, (index, run) => session.take(index, run));
 * merger.push(0, batch); // later, from a timer: merger.release(false); at the end: merger.release(true)
 */

const hostLittleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

interface Chunk {
  bytes: Uint8Array;
  view: DataView;
  /** Offset of the next record not yet released. */
  at: number;
  arrival: number;
}

export class TimeOrderMerger {
  private readonly queues: Chunk[][];
  /** Per source: fractions are nanoseconds (else microseconds). */
  constructor(count: number, private readonly holdMs: number,
    private readonly emit: (index: number, run: Uint8Array) => void,
    private readonly nanosecond: boolean[] = new Array<boolean>(count).fill(true),
    private readonly now: () => number = () => performance.now()) {
    this.queues = Array.from({ length: count }, () => []);
  }

  /** Records held now (all sources). */
  get held(): number {
    let n = 0;
    for (const q of this.queues) for (const c of q) n += countRecords(c);
    return n;
  }

  /** Takes a batch of whole records (host byte order) of source `index`; copies it. */
  push(index: number, batch: Uint8Array): void {
    if (batch.length === 0) return;
    // A copy (Buffer#slice would be a view of the source's reused buffer).
    const bytes = new Uint8Array(batch);
    this.queues[index].push({ bytes, view: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), at: 0, arrival: this.now() });
  }

  /** The chunk holding source i's oldest unreleased record. */
  private head(i: number): Chunk | undefined {
    const q = this.queues[i];
    while (q.length && q[0].at >= q[0].bytes.length) q.shift();
    return q[0];
  }

  private before(a: number, ca: Chunk, b: number, cb: Chunk): boolean {
    const sa = ca.view.getUint32(ca.at, hostLittleEndian);
    const sb = cb.view.getUint32(cb.at, hostLittleEndian);
    if (sa !== sb) return sa < sb;
    const fa = ca.view.getUint32(ca.at + 4, hostLittleEndian) * (this.nanosecond[a] ? 1 : 1000);
    const fb = cb.view.getUint32(cb.at + 4, hostLittleEndian) * (this.nanosecond[b] ? 1 : 1000);
    return fa < fb || (fa === fb && a < b);
  }

  /**
   * Hands on, oldest first, every record that has been held long enough (`all`: every record).
   * Consecutive records of one source go out as one run.
   */
  release(all: boolean): void {
    const now = this.now();
    for (;;) {
      let best = -1;
      let bestChunk: Chunk | undefined;
      for (let i = 0; i < this.queues.length; i++) {
        const c = this.head(i);
        if (c && (!bestChunk || this.before(i, c, best, bestChunk))) {
          best = i;
          bestChunk = c;
        }
      }
      if (!bestChunk) return;
      if (!all && now - bestChunk.arrival < this.holdMs) return;
      // The run: records of this chunk up to the next-oldest head of another source.
      let rival = -1;
      let rivalChunk: Chunk | undefined;
      for (let i = 0; i < this.queues.length; i++) {
        if (i === best) continue;
        const c = this.head(i);
        if (c && (!rivalChunk || this.before(i, c, rival, rivalChunk))) {
          rival = i;
          rivalChunk = c;
        }
      }
      const start = bestChunk.at;
      do {
        bestChunk.at += 16 + bestChunk.view.getUint32(bestChunk.at + 8, hostLittleEndian);
      } while (bestChunk.at < bestChunk.bytes.length && (!rivalChunk || this.before(best, bestChunk, rival, rivalChunk)));
      this.emit(best, bestChunk.bytes.subarray(start, bestChunk.at));
    }
  }

  /** Drops everything held. */
  clear(): void {
    for (const q of this.queues) q.length = 0;
  }
}

function countRecords(c: Chunk): number {
  let n = 0;
  for (let p = c.at; p + 16 <= c.bytes.length; p += 16 + c.view.getUint32(p + 8, hostLittleEndian)) n++;
  return n;
}
