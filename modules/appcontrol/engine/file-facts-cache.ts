/**
 * What the module learnt about a file (its hash and kind), kept per (device, inode) and trusted
 * only while size, mtime and ctime are the same: a file rewritten in place changes them, a file
 * renamed over has another inode. A file changed within SETTLE_MS of the lookup is not cached at
 * all, because timestamps are coarse (one clock tick) and a write in the same tick as the check
 * would leave them equal.
 */

/** Entries kept at most; the oldest goes first. */
export const MAX_CACHED_FILES = 65_536;
/** A file whose ctime is this recent is hashed on every check, not cached. */
export const SETTLE_MS = 2_000;

export interface FileStamp {
  readonly dev: number;
  readonly ino: number;
  readonly size: number;
  readonly mtimeSec: number;
  readonly mtimeNsec: number;
  readonly ctimeSec: number;
  readonly ctimeNsec: number;
}

export interface FileFacts {
  /** null when it was not hashed (larger than the hashing limit). */
  readonly sha256: string | null;
  /** null: neither an ELF object nor a `#!` script (a script given to an interpreter, say). */
  readonly kind: 'elf' | 'script' | null;
}

/**
 * True when a file stamped `stamp`, looked at at `atMs`, would show any later write: its ctime is
 * at least SETTLE_MS old and its mtime not in the future. Only such a stamp may key a cache.
 */
export function settledAt(stamp: FileStamp, atMs: number): boolean {
  if (atMs - (stamp.ctimeSec * 1000 + stamp.ctimeNsec / 1e6) < SETTLE_MS) return false;
  return stamp.mtimeSec * 1000 + stamp.mtimeNsec / 1e6 <= atMs;
}

interface Entry {
  readonly stamp: FileStamp;
  readonly facts: FileFacts;
}

function same(a: FileStamp, b: FileStamp): boolean {
  return (
    a.size === b.size &&
    a.mtimeSec === b.mtimeSec &&
    a.mtimeNsec === b.mtimeNsec &&
    a.ctimeSec === b.ctimeSec &&
    a.ctimeNsec === b.ctimeNsec
  );
}

export class FileFactsCache {
  readonly #entries = new Map<string, Entry>();
  readonly #capacity: number;
  #hits = 0;
  #misses = 0;

  constructor(capacity = MAX_CACHED_FILES) {
    this.#capacity = capacity;
  }

  get(stamp: FileStamp): FileFacts | undefined {
    const entry = this.#entries.get(`${stamp.dev}:${stamp.ino}`);
    if (entry !== undefined && same(entry.stamp, stamp)) {
      this.#hits++;
      return entry.facts;
    }
    this.#misses++;
    return undefined;
  }

  /** Keeps the facts unless the file changed less than SETTLE_MS before `nowMs`; true when kept. */
  set(stamp: FileStamp, facts: FileFacts, nowMs: number): boolean {
    const key = `${stamp.dev}:${stamp.ino}`;
    this.#entries.delete(key);
    if (!settledAt(stamp, nowMs)) return false;
    if (this.#entries.size >= this.#capacity) {
      const oldest = this.#entries.keys().next();
      if (!oldest.done) this.#entries.delete(oldest.value);
    }
    this.#entries.set(key, { stamp, facts });
    return true;
  }

  clear(): void {
    this.#entries.clear();
  }

  get size(): number {
    return this.#entries.size;
  }

  counters(): { cacheHits: number; cacheMisses: number; cachedFiles: number } {
    return { cacheHits: this.#hits, cacheMisses: this.#misses, cachedFiles: this.#entries.size };
  }
}
