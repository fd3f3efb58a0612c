/**
 * Direction-independent connection keys and the hash table that maps them to connections.
 *
 * A key is 10 unsigned 32-bit words: the transport protocol and address family, the lower
 * endpoint's address (4 words, IPv4 in the first), the higher endpoint's address, and both
 * ports. "Lower" is the endpoint whose (address, port) compares smaller, so A→B and B→A give
 * the same key (as gopacket's `Flow.FastHash` and Wireshark's conversation table do); the
 * caller learns which side sent the packet from {@link FlowKey.fromLow}.
 *
 * The table is open addressing with linear probing over typed arrays: looking a key up or
 * inserting it allocates nothing, whatever the number of connections.
 *
 * @example
 * const key = new FlowKey();
 * key.setV4(6, 0x0a000001, 0x0a000002, 40000, 443);
 * const table = new FlowTable();
 * table.set(key, 7);
 * key.setV4(6, 0x0a000002, 0x0a000001, 443, 40000); // the reply
 * table.get(key); // 7, and key.fromLow === false
 */

export const KEY_WORDS = 10;
const W_KIND = 0;
const W_LOW = 1;
const W_HIGH = 5;
const W_PORTS = 9;

/** A reusable scratch key filled from a packet's addresses and ports. */
export class FlowKey {
  readonly words = new Uint32Array(KEY_WORDS);
  /** True when the packet was sent by the lower endpoint. */
  fromLow = true;
  /** 4 or 6. */
  family = 4;
  /** Hash of the words, computed when the key is set (never 0). */
  hash = 1;

  /**
   * Fills the key for an IPv4 packet; addresses are 32-bit numbers, unsigned or signed (`| 0`:
   * the engine passes them so, small integers need no boxing on the call).
   */
  setV4(proto: number, src: number, dst: number, srcPort: number, dstPort: number): void {
    const w = this.words;
    const us = src >>> 0;
    const ud = dst >>> 0;
    const low = us < ud || (us === ud && srcPort <= dstPort);
    this.fromLow = low;
    this.family = 4;
    w[W_KIND] = (4 << 8) | proto;
    w[W_LOW] = low ? src : dst;
    w[W_LOW + 1] = 0;
    w[W_LOW + 2] = 0;
    w[W_LOW + 3] = 0;
    w[W_HIGH] = low ? dst : src;
    w[W_HIGH + 1] = 0;
    w[W_HIGH + 2] = 0;
    w[W_HIGH + 3] = 0;
    w[W_PORTS] = low ? ((srcPort << 16) | dstPort) >>> 0 : ((dstPort << 16) | srcPort) >>> 0;
    // IPv4 keys have zeros in six words: hash the four that vary (consistent with hashWords).
    this.hash = hash4(w[W_KIND], w[W_LOW], w[W_HIGH], w[W_PORTS]);
  }

  /** Fills the key for an IPv6 packet; addresses are the 16 bytes at `srcOff`/`dstOff` of `b`. */
  setV6(proto: number, b: Uint8Array, srcOff: number, dstOff: number, srcPort: number, dstPort: number): void {
    let cmp = 0;
    for (let i = 0; i < 16 && cmp === 0; i++) cmp = b[srcOff + i] - b[dstOff + i];
    const low = cmp < 0 || (cmp === 0 && srcPort <= dstPort);
    const w = this.words;
    this.fromLow = low;
    this.family = 6;
    w[W_KIND] = (6 << 8) | proto;
    const lo = low ? srcOff : dstOff;
    const hi = low ? dstOff : srcOff;
    for (let i = 0; i < 4; i++) {
      w[W_LOW + i] = ((b[lo + 4 * i] << 24) | (b[lo + 4 * i + 1] << 16) | (b[lo + 4 * i + 2] << 8) | b[lo + 4 * i + 3]) >>> 0;
      w[W_HIGH + i] = ((b[hi + 4 * i] << 24) | (b[hi + 4 * i + 1] << 16) | (b[hi + 4 * i + 2] << 8) | b[hi + 4 * i + 3]) >>> 0;
    }
    w[W_PORTS] = low ? ((srcPort << 16) | dstPort) >>> 0 : ((dstPort << 16) | srcPort) >>> 0;
    this.hash = hashWords(w, 0);
  }

  get lowPort(): number {
    return this.words[W_PORTS] >>> 16;
  }

  get highPort(): number {
    return this.words[W_PORTS] & 0xffff;
  }
}

function mix(h: number, v: number): number {
  let k = Math.imul(v, 0xcc9e2d51);
  k = (k << 15) | (k >>> 17);
  h ^= Math.imul(k, 0x1b873593);
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

function finish(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) || 1;
}

/** Hash of an IPv4 key from its four non-zero words (murmur3-style mixing; never 0). */
function hash4(kind: number, low: number, high: number, ports: number): number {
  return finish(mix(mix(mix(mix(0x9747b28c, kind), low), high), ports));
}

/**
 * Hash of the 10 key words. IPv4 keys (kind word with family 4) hash only their four
 * significant words, so stored keys re-hash to the same value as FlowKey.setV4 computed.
 */
function hashWords(w: Uint32Array, o: number): number {
  if (w[o + W_KIND] >>> 8 === 4) return hash4(w[o + W_KIND], w[o + W_LOW], w[o + W_HIGH], w[o + W_PORTS]);
  let h = 0x9747b28c;
  for (let i = 0; i < KEY_WORDS; i++) h = mix(h, w[o + i]);
  return finish(h);
}

/**
 * Key → integer value (a connection handle). Grows by doubling at half load; `delete` uses
 * backward-shift deletion, so no tombstones accumulate however many connections come and go.
 */
export class FlowTable {
  private capacity: number;
  private mask: number;
  private keys: Uint32Array;
  private hashes: Uint32Array;
  private values: Int32Array;
  private count = 0;

  constructor(initialCapacity = 1024) {
    let cap = 16;
    while (cap < initialCapacity) cap *= 2;
    this.capacity = cap;
    this.mask = cap - 1;
    this.keys = new Uint32Array(cap * KEY_WORDS);
    this.hashes = new Uint32Array(cap);
    this.values = new Int32Array(cap);
  }

  get size(): number {
    return this.count;
  }

  /** Bytes held by the table's arrays (for memory reports). */
  get bytes(): number {
    return this.keys.byteLength + this.hashes.byteLength + this.values.byteLength;
  }

  private find(w: Uint32Array, h: number): number {
    const keys = this.keys;
    const hashes = this.hashes;
    let i = h & this.mask;
    for (;;) {
      const sh = hashes[i];
      if (sh === 0) return -1 - i;
      if (sh === h) {
        const o = i * KEY_WORDS;
        let same = true;
        for (let j = 0; j < KEY_WORDS; j++) {
          if (keys[o + j] !== w[j]) {
            same = false;
            break;
          }
        }
        if (same) return i;
      }
      i = (i + 1) & this.mask;
    }
  }

  /** The value stored for the key, or -1. */
  get(key: FlowKey): number {
    const i = this.find(key.words, key.hash);
    return i >= 0 ? this.values[i] : -1;
  }

  /** Stores (or replaces) the value for the key. */
  set(key: FlowKey, value: number): void {
    this.setKey(key.words, value, key.hash);
  }

  private setKey(w: Uint32Array, value: number, h = hashWords(w, 0)): void {
    let i = this.find(w, h);
    if (i >= 0) {
      this.values[i] = value;
      return;
    }
    if ((this.count + 1) * 2 > this.capacity) {
      this.grow();
      i = this.find(w, h);
    }
    i = -1 - i;
    this.hashes[i] = h;
    this.keys.set(w, i * KEY_WORDS);
    this.values[i] = value;
    this.count++;
  }

  /** Removes the key if its value is `value` (a newer connection on the same key stays). */
  deleteIf(key: FlowKey, value: number): boolean {
    return this.deleteWords(key.words, 0, value);
  }

  /** As {@link deleteIf}, with the key as 10 words of `w` from offset `o`. */
  deleteWords(w: Uint32Array, o: number, value: number): boolean {
    const k = o === 0 && w.length === KEY_WORDS ? w : w.subarray(o, o + KEY_WORDS);
    const i = this.find(k, hashWords(k, 0));
    if (i < 0 || this.values[i] !== value) return false;
    this.removeAt(i);
    return true;
  }

  /** Stores a value for a key given as 10 words of `w` from offset `o`. */
  setWords(w: Uint32Array, o: number, value: number): void {
    this.setKey(o === 0 && w.length === KEY_WORDS ? w : w.subarray(o, o + KEY_WORDS), value);
  }

  /** Backward-shift deletion: later entries of the probe run move up so lookups never stop early. */
  private removeAt(i: number): void {
    const mask = this.mask;
    const hashes = this.hashes;
    const keys = this.keys;
    const values = this.values;
    let hole = i;
    let j = i;
    for (;;) {
      j = (j + 1) & mask;
      const h = hashes[j];
      if (h === 0) break;
      const home = h & mask;
      // Move j into the hole when its home slot is not in (hole, j] (cyclically).
      const inRange = hole <= j ? home > hole && home <= j : home > hole || home <= j;
      if (inRange) continue;
      hashes[hole] = h;
      keys.copyWithin(hole * KEY_WORDS, j * KEY_WORDS, j * KEY_WORDS + KEY_WORDS);
      values[hole] = values[j];
      hole = j;
    }
    hashes[hole] = 0;
    this.count--;
  }

  private grow(): void {
    const oldKeys = this.keys;
    const oldHashes = this.hashes;
    const oldValues = this.values;
    const oldCap = this.capacity;
    this.capacity = oldCap * 2;
    this.mask = this.capacity - 1;
    this.keys = new Uint32Array(this.capacity * KEY_WORDS);
    this.hashes = new Uint32Array(this.capacity);
    this.values = new Int32Array(this.capacity);
    for (let s = 0; s < oldCap; s++) {
      const h = oldHashes[s];
      if (h === 0) continue;
      let i = h & this.mask;
      while (this.hashes[i] !== 0) i = (i + 1) & this.mask;
      this.hashes[i] = h;
      this.keys.set(oldKeys.subarray(s * KEY_WORDS, s * KEY_WORDS + KEY_WORDS), i * KEY_WORDS);
      this.values[i] = oldValues[s];
    }
  }
}
