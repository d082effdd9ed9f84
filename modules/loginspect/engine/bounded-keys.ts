/**
 * A set of text keys with a bound, oldest forgotten first (and counted), that the engine's
 * caller can save and give back to the next engine: the state behind `<if_fts/>` and the ignore
 * list. The engine does no I/O; `changes` tells the caller when there is something to save.
 */
export class BoundedKeys {
  readonly #keys = new Set<string>();
  readonly #max: number;
  /** Entries dropped to stay within the bound. */
  forgotten = 0;
  /** Increases with every new entry. */
  changes = 0;

  constructor(saved: Iterable<string> = [], max = 100_000) {
    this.#max = max;
    for (const k of saved) this.#remember(k);
  }

  has(key: string): boolean {
    return this.#keys.has(key);
  }

  /** Adds the key; false when it was there already. */
  add(key: string): boolean {
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
