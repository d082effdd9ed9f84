/**
 * A compact hash table from strings to record numbers, built for the lookups web reputation
 * makes per connection: every label suffix of a host name (`a.b.example.com`, `.b.example.com`,
 * `.example.com`, `.com`) or every `/` prefix of a URL, without cutting a single substring.
 * Keys are hashed from one end (`fromEnd`: right to left, for host suffixes; otherwise left to
 * right, for URL prefixes), so one pass over the looked-up string yields the hash of every
 * suffix (or prefix) in turn, and each probe compares characters in place.
 *
 * Memory: the characters of all keys in one Uint16Array, three Int32s per key (offset, length,
 * value) and two per slot (key, hash), two to four slots a key (at most half full): about
 * 2·(key length) + 28 to 44 bytes a key, against ~100 bytes a key for a Map of strings.
 */

const EMPTY = -1;
const SEED = 0x811c9dc5;

function mix(hash: number, code: number): number {
  return Math.imul(hash ^ code, 0x01000193);
}

/** Finalises a running hash (the avalanche of murmur3's fmix32) so that near keys spread. */
function finish(hash: number): number {
  let h = hash ^ (hash >>> 16);
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** Int32s per slot: the key's number (or EMPTY) and its finished hash. */
const SLOT = 2;
/** Int32s per key: offset of its characters, their count, the value. */
const ENTRY = 3;

export class StringTable {
  readonly fromEnd: boolean;
  #chars: Uint16Array;
  #used = 0;
  /**
   * Per key, offset, length and value side by side, and per slot the key's number beside its
   * whole hash: a lookup in a table of a million keys is bound by cache misses, and this way a
   * probe that misses reads one cache line (the slot, whose hash differs or which is empty) and a
   * probe that hits reads three (slot, entry, characters) instead of five.
   */
  #entries: Int32Array;
  #count = 0;
  #slots: Int32Array;
  /** Slot count - 1 (a power of two). */
  #mask: number;
  /**
   * One bit per (hash & #filterMask), set for every key: four bits a slot, 8 to 16 a key, so a
   * million keys take 1 MiB, which stays in cache where the slots (16 MiB) do not. Most probes
   * are for suffixes and prefixes that are not keys; about nine in ten of them end at this bit.
   */
  #filter: Int32Array;
  #filterMask: number;

  constructor(fromEnd: boolean, expectedKeys = 16) {
    this.fromEnd = fromEnd;
    const capacity = Math.max(16, expectedKeys);
    this.#chars = new Uint16Array(capacity * 16);
    this.#entries = new Int32Array(capacity * ENTRY);
    const slots = 1 << Math.ceil(Math.log2(capacity * 2));
    this.#slots = new Int32Array(slots * SLOT).fill(EMPTY);
    this.#mask = slots - 1;
    this.#filter = new Int32Array(slots / 8);
    this.#filterMask = slots * 4 - 1;
  }

  get size(): number {
    return this.#count;
  }

  /** Bytes held by the typed arrays (what `bench:webrep` reports). */
  get bytes(): number {
    return this.#chars.byteLength + this.#entries.byteLength + this.#slots.byteLength + this.#filter.byteLength;
  }

  /** Hash of the whole key, computed in the table's direction. */
  #hashOf(key: string): number {
    let h = SEED;
    if (this.fromEnd) for (let i = key.length - 1; i >= 0; i--) h = mix(h, key.charCodeAt(i));
    else for (let i = 0; i < key.length; i++) h = mix(h, key.charCodeAt(i));
    return h;
  }

  /** Sets `key` to `value`; returns the value it had, or -1. */
  set(key: string, value: number): number {
    const hash = finish(this.#hashOf(key));
    const found = this.#find(key, 0, key.length, hash);
    if (found !== EMPTY) {
      const old = this.#entries[found * ENTRY + 2]!;
      this.#entries[found * ENTRY + 2] = value;
      return old;
    }
    if ((this.#count + 1) * 2 > this.#mask + 1) this.#grow();
    if ((this.#count + 1) * ENTRY > this.#entries.length) {
      const entries = new Int32Array(this.#entries.length * 2);
      entries.set(this.#entries);
      this.#entries = entries;
    }
    while (this.#used + key.length > this.#chars.length) {
      const chars = new Uint16Array(this.#chars.length * 2);
      chars.set(this.#chars);
      this.#chars = chars;
    }
    const index = this.#count++;
    this.#entries[index * ENTRY] = this.#used;
    this.#entries[index * ENTRY + 1] = key.length;
    this.#entries[index * ENTRY + 2] = value;
    for (let i = 0; i < key.length; i++) this.#chars[this.#used + i] = key.charCodeAt(i);
    this.#used += key.length;
    this.#place(index, hash);
    return EMPTY;
  }

  get(key: string): number {
    const found = this.#find(key, 0, key.length, finish(this.#hashOf(key)));
    return found === EMPTY ? EMPTY : this.#entries[found * ENTRY + 2]!;
  }

  /**
   * The value of `text.slice(start, end)` given its running hash (before `finish`), or -1.
   * Callers walk `text` once and probe at the boundaries they care about.
   */
  probe(text: string, start: number, end: number, runningHash: number): number {
    const found = this.#find(text, start, end, finish(runningHash));
    return found === EMPTY ? EMPTY : this.#entries[found * ENTRY + 2]!;
  }

  #find(text: string, start: number, end: number, hash: number): number {
    const bit = hash & this.#filterMask;
    if ((this.#filter[bit >>> 5]! & (1 << (bit & 31))) === 0) return EMPTY;
    const length = end - start;
    const wanted = hash | 0;
    const slots = this.#slots;
    let slot = hash & this.#mask;
    for (;;) {
      const index = slots[slot * SLOT]!;
      if (index === EMPTY) return EMPTY;
      if (slots[slot * SLOT + 1] === wanted && this.#entries[index * ENTRY + 1] === length) {
        const offset = this.#entries[index * ENTRY]!;
        let i = 0;
        while (i < length && this.#chars[offset + i] === text.charCodeAt(start + i)) i++;
        if (i === length) return index;
      }
      slot = (slot + 1) & this.#mask;
    }
  }

  #place(index: number, hash: number): void {
    let slot = hash & this.#mask;
    while (this.#slots[slot * SLOT] !== EMPTY) slot = (slot + 1) & this.#mask;
    this.#slots[slot * SLOT] = index;
    this.#slots[slot * SLOT + 1] = hash | 0;
    const bit = hash & this.#filterMask;
    this.#filter[bit >>> 5]! |= 1 << (bit & 31);
  }

  #grow(): void {
    const old = this.#slots;
    this.#slots = new Int32Array(old.length * 2).fill(EMPTY);
    this.#mask = this.#slots.length / SLOT - 1;
    this.#filter = new Int32Array((this.#mask + 1) / 8);
    this.#filterMask = (this.#mask + 1) * 4 - 1;
    // The whole hashes are kept beside the keys: growing re-places them without re-hashing.
    for (let slot = 0; slot < old.length; slot += SLOT) {
      const index = old[slot]!;
      if (index !== EMPTY) this.#place(index, old[slot + 1]! >>> 0);
    }
  }
}

export const STRING_TABLE_SEED = SEED;
export { mix as mixHash };
