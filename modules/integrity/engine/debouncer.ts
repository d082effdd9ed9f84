/**
 * Coalesces bursts of change notifications per key. A key becomes due once it has been quiet
 * for `quietMs`, or `maxDelayMs` after its first notification even if it never goes quiet, so a
 * file rewritten in a tight loop yields one check per `maxDelayMs`, not one per write.
 * Time is an input: the caller owns the clock and the timer.
 */
export interface DebouncerOptions {
  readonly quietMs: number;
  readonly maxDelayMs: number;
  /** Beyond this many pending keys, new keys are dropped and counted (the caller rescans). */
  readonly maxPending: number;
}

interface Pending {
  first: number;
  last: number;
}

export class Debouncer {
  readonly #options: DebouncerOptions;
  readonly #pending = new Map<string, Pending>();
  #overflowed = 0;

  constructor(options: DebouncerOptions) {
    this.#options = options;
  }

  /** Records a notification; returns false when the key was dropped because too many are pending. */
  note(key: string, now: number): boolean {
    const pending = this.#pending.get(key);
    if (pending) {
      pending.last = now;
      return true;
    }
    if (this.#pending.size >= this.#options.maxPending) {
      this.#overflowed += 1;
      return false;
    }
    this.#pending.set(key, { first: now, last: now });
    return true;
  }

  /** Removes and returns the keys that are due at `now`, oldest first. */
  takeDue(now: number): string[] {
    const due: string[] = [];
    for (const [key, p] of this.#pending) {
      if (now - p.last >= this.#options.quietMs || now - p.first >= this.#options.maxDelayMs) due.push(key);
    }
    for (const key of due) this.#pending.delete(key);
    return due;
  }

  /** When the next key becomes due, or undefined when nothing is pending. */
  nextDueAt(): number | undefined {
    let next: number | undefined;
    for (const p of this.#pending.values()) {
      const at = Math.min(p.last + this.#options.quietMs, p.first + this.#options.maxDelayMs);
      if (next === undefined || at < next) next = at;
    }
    return next;
  }

  get pending(): number {
    return this.#pending.size;
  }

  /** Notifications dropped since the last call; the caller turns a non-zero count into a rescan. */
  takeOverflow(): number {
    const n = this.#overflowed;
    this.#overflowed = 0;
    return n;
  }
}
