import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type InventoryEntry, parseStoredInventory, serializeInventory } from '../engine/index.js';

export const INVENTORY_FILE = 'inventory.json';

/**
 * The inventory in memory, indexed by path and by hash, and its state file in the module's data
 * directory (written whole through the context's atomic writer).
 */
export class SoftwareInventory {
  #entries = new Map<string, InventoryEntry>();
  readonly #hashes = new Map<string, number>();
  #builtAt: string | null = null;
  #generation = 0;

  get ready(): boolean {
    return this.#builtAt !== null;
  }

  get builtAt(): string | null {
    return this.#builtAt;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** Changes each time the content changes: the snapshot version. */
  get version(): string {
    return `${this.#builtAt ?? 'none'}#${this.#generation}`;
  }

  entries(): ReadonlyMap<string, InventoryEntry> {
    return this.#entries;
  }

  hasHash(sha256: string): boolean {
    return this.#hashes.has(sha256);
  }

  replace(entries: Map<string, InventoryEntry>, builtAt: string): void {
    this.#entries = entries;
    this.#hashes.clear();
    for (const e of entries.values()) this.#count(e.sha256, 1);
    this.#builtAt = builtAt;
    this.#generation++;
  }

  /** Adds or updates one executable; false when it was there already with this hash. */
  join(entry: InventoryEntry): boolean {
    const old = this.#entries.get(entry.path);
    if (old?.sha256 === entry.sha256) return false;
    if (old !== undefined) this.#count(old.sha256, -1);
    this.#entries.set(entry.path, entry);
    this.#count(entry.sha256, 1);
    this.#generation++;
    return true;
  }

  #count(sha256: string, by: number): void {
    const n = (this.#hashes.get(sha256) ?? 0) + by;
    if (n <= 0) this.#hashes.delete(sha256);
    else this.#hashes.set(sha256, n);
  }

  /** Entries in path order from `offset`, at most `limit`. */
  page(offset: number, limit: number): InventoryEntry[] {
    return [...this.#entries.values()]
      .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
      .slice(offset, offset + limit);
  }

  serialize(): string {
    return serializeInventory(this.#builtAt ?? '', this.#entries.values());
  }

  /** Loads the state file; a missing one is no inventory yet, a damaged one an error value. */
  load(dataDir: string): { ok: true } | { ok: false; reason: string } {
    let text: string;
    try {
      text = readFileSync(join(dataDir, INVENTORY_FILE), 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { ok: true };
      return { ok: false, reason: (error as Error).message };
    }
    const parsed = parseStoredInventory(text);
    if (!parsed.ok) return { ok: false, reason: `${INVENTORY_FILE}: ${parsed.reason}` };
    this.replace(new Map(parsed.entries.map((e) => [e.path, e])), parsed.builtAt);
    return { ok: true };
  }
}
