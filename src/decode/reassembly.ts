/**
 * IP fragment reassembly (IPv4 and IPv6 share it): fragments are held per datagram key until
 * every byte from 0 to the end given by the last fragment is present, then the payload is
 * handed over once, in the frame of the fragment that completed it (as Wireshark does).
 * Memory is bounded: at most `maxDatagrams` pending datagrams, oldest dropped first.
 */

interface Pending {
  pieces: Array<{ offset: number; data: Uint8Array; frame: number }>;
  /** Total payload length, known once the last fragment (MF=0) arrives; -1 before. */
  total: number;
  bytes: number;
}

export interface Reassembled {
  payload: Uint8Array;
  /** Frames that contributed, in offset order, with their payload ranges. */
  frames: Array<{ frame: number; offset: number; length: number }>;
}

export class Reassembler {
  private readonly pending = new Map<string, Pending>();
  constructor(readonly maxDatagrams = 4096, readonly maxBytes = 64 * 1024 * 1024) {}
  private heldBytes = 0;

  /**
   * Adds a fragment. Returns the whole payload when this fragment completes the datagram,
   * undefined otherwise. `data` is copied.
   */
  add(key: string, offset: number, data: Uint8Array, more: boolean, frame: number): Reassembled | undefined {
    let d = this.pending.get(key);
    if (!d) {
      d = { pieces: [], total: -1, bytes: 0 };
      this.pending.set(key, d);
      this.evict();
    }
    // A retransmitted identical fragment in the same frame number is ignored.
    d.pieces.push({ offset, data: data.slice(), frame });
    d.bytes += data.length;
    this.heldBytes += data.length;
    if (!more) d.total = offset + data.length;
    if (d.total < 0) return undefined;
    // Complete when the pieces cover [0, total) without a hole.
    const sorted = [...d.pieces].sort((a, b) => a.offset - b.offset);
    let covered = 0;
    for (const p of sorted) {
      if (p.offset > covered) return undefined;
      covered = Math.max(covered, p.offset + p.data.length);
    }
    if (covered < d.total) return undefined;
    const payload = new Uint8Array(d.total);
    const frames: Reassembled['frames'] = [];
    for (const p of sorted) {
      const n = Math.max(0, Math.min(p.data.length, d.total - p.offset));
      payload.set(p.data.subarray(0, n), p.offset);
      frames.push({ frame: p.frame, offset: p.offset, length: p.data.length });
    }
    this.pending.delete(key);
    this.heldBytes -= d.bytes;
    return { payload, frames };
  }

  get size(): number {
    return this.pending.size;
  }

  private evict(): void {
    while (this.pending.size > this.maxDatagrams || this.heldBytes > this.maxBytes) {
      const oldest = this.pending.keys().next();
      if (oldest.done) return;
      const d = this.pending.get(oldest.value)!;
      this.heldBytes -= d.bytes;
      this.pending.delete(oldest.value);
    }
  }
}
