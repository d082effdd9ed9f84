/**
 * A compact hash table from strings to record numbers, built for the lookups web reputation
 * makes per connection: every label suffix of a host name (`a.b.example.com`, `.b.example.com`,
 * `.example.com`, `.com`) or every `/` prefix of a URL, without cutting a single substring.
 * Keys are hashed from one end (`fromEnd`: right to left, for host suffixes; otherwise left to
 * right, for URL prefixes), so one pass over the looked-up string yields the hash of every
 * suffix (or prefix) in turn, and each probe compares characters in place.
 *
 * Memory: the characters of all keys in one Uint16Array, two Int32Arrays of offsets and lengths
 * per key, and an Int32Array of slots at most half full: about 2·(key length) + 24 bytes a key,
 * against ~100 bytes a key for a Map of strings.
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

export class StringTable {
  readonly fromEnd: boolean;
  #chars: Uint16Array;
  #used = 0;
  #offsets: Int32Array;
  #lengths: Int32Array;
  #values: Int32Array;
  #count = 0;
  #slots: Int32Array;
  #mask: number;

  constructor(fromEnd: boolean, expectedKeys = 16) {
    this.fromEnd = fromEnd;
    const capacity = Math.max(16, expectedKeys);
    this.#chars = new Uint16Array(capacity * 16);
    this.#offsets = new Int32Array(capacity);
    this.#lengths = new Int32Array(capacity);
    this.#values = new Int32Array(capacity);
    const slots = 1 << Math.ceil(Math.log2(capacity * 2));
    this.#slots = new Int32Array(slots).fill(EMPTY);
    this.#mask = slots - 1;
  }

  get size(): number {
    return this.#count;
  }

  /** Bytes held by the typed arrays (what `bench:webrep` reports). */
  get bytes(): number {
    return this.#chars.byteLength + this.#offsets.byteLength * 3 + this.#slots.byteLength;
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
    const found = this.#find(key, 0, key.length, this.#hashOf(key));
    if (found !== EMPTY) {
      const old = this.#values[found]!;
      this.#values[found] = value;
      return old;
    }
    if ((this.#count + 1) * 2 > this.#slots.length) this.#grow();
    if (this.#count === this.#offsets.length) this.#growEntries();
    while (this.#used + key.length > this.#chars.length) {
      const chars = new Uint16Array(this.#chars.length * 2);
      chars.set(this.#chars);
      this.#chars = chars;
    }
    const index = this.#count++;
    this.#offsets[index] = this.#used;
    this.#lengths[index] = key.length;
    this.#values[index] = value;
    for (let i = 0; i < key.length; i++) this.#chars[this.#used + i] = key.charCodeAt(i);
    this.#used += key.length;
    this.#place(index, finish(this.#hashOf(key)));
    return EMPTY;
  }

  get(key: string): number {
    const found = this.#find(key, 0, key.length, this.#hashOf(key));
    return found === EMPTY ? EMPTY : this.#values[found]!;
  }

  /**
   * The value of `text.slice(start, end)` given its running hash (before `finish`), or -1.
   * Callers walk `text` once and probe at the boundaries they care about.
   */
  probe(text: string, start: number, end: number, runningHash: number): number {
    const found = this.#find(text, start, end, runningHash);
    return found === EMPTY ? EMPTY : this.#values[found]!;
  }

  #find(text: string, start: number, end: number, runningHash: number): number {
    const length = end - start;
    let slot = finish(runningHash) & this.#mask;
    for (;;) {
      const index = this.#slots[slot]!;
      if (index === EMPTY) return EMPTY;
      if (this.#lengths[index] === length) {
        const offset = this.#offsets[index]!;
        let i = 0;
        while (i < length && this.#chars[offset + i] === text.charCodeAt(start + i)) i++;
        if (i === length) return index;
      }
      slot = (slot + 1) & this.#mask;
    }
  }

  #place(index: number, hash: number): void {
    let slot = hash & this.#mask;
    while (this.#slots[slot] !== EMPTY) slot = (slot + 1) & this.#mask;
    this.#slots[slot] = index;
  }

  #grow(): void {
    this.#slots = new Int32Array(this.#slots.length * 2).fill(EMPTY);
    this.#mask = this.#slots.length - 1;
    for (let index = 0; index < this.#count; index++) {
      const offset = this.#offsets[index]!;
      const length = this.#lengths[index]!;
      let h = SEED;
      if (this.fromEnd) for (let i = length - 1; i >= 0; i--) h = mix(h, this.#chars[offset + i]!);
      else for (let i = 0; i < length; i++) h = mix(h, this.#chars[offset + i]!);
      this.#place(index, finish(h));
    }
  }

  #growEntries(): void {
    const grow = (a: Int32Array) => {
      const b = new Int32Array(a.length * 2);
      b.set(a);
      return b;
    };
    this.#offsets = grow(this.#offsets);
    this.#lengths = grow(this.#lengths);
    this.#values = grow(this.#values);
  }
}

export const STRING_TABLE_SEED = SEED;
export { mix as mixHash };
