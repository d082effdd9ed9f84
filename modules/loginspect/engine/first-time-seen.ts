import { fieldValue, type LogEvent } from './event.js';

/**
 * OSSEC's first-time-seen list (analysisd/fts.c): a rule with `<if_fts/>` matches only the first
 * time its event's decoder name and the values of the decoder's `<fts>` fields occur together.
 * The engine does no I/O: the caller passes the saved entries in and saves `entries()` when
 * `changes` moved, so the list outlives a restart. Bounded: past `max` entries the oldest are
 * forgotten (and counted), after which their values would be seen as new again.
 */
export class FirstTimeSeen {
  readonly #keys: Set<string>;
  readonly #max: number;
  /** Entries dropped to stay within the bound. */
  forgotten = 0;
  /** Increases with every new entry. */
  changes = 0;

  constructor(saved: Iterable<string> = [], max = 100_000) {
    this.#max = max;
    this.#keys = new Set();
    for (const k of saved) this.#remember(k);
  }

  /** Whether this is the first time; remembers it. An event whose decoder has no `<fts>` is never first. */
  firstTime(event: LogEvent): boolean {
    const decoder = event.decoder;
    if (decoder?.fts === undefined) return false;
    let key = decoder.reportedName;
    for (const f of decoder.fts) key += ` ${fieldValue(event, f) ?? ''}`;
    if (this.#keys.has(key)) return false;
    this.#remember(key);
    this.changes++;
    return true;
  }

  entries(): string[] {
    return [...this.#keys];
  }

  size(): number {
    return this.#keys.size;
  }

  #remember(key: string): void {
    this.#keys.add(key);
    if (this.#keys.size > this.#max) {
      this.#keys.delete(this.#keys.values().next().value as string);
      this.forgotten++;
    }
  }
}
