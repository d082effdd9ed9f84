/**
 * The host's software inventory: every executable found under the roots, by path, with its
 * SHA-256 and size. It is the baseline application control compares executions with: software
 * whose hash is in it is known.
 */

export type ExecutableKindName = 'elf' | 'script';

export interface InventoryEntry {
  readonly path: string;
  readonly sha256: string;
  readonly size: number;
  readonly kind: ExecutableKindName;
}

export interface InventoryChange {
  readonly change: 'added' | 'changed' | 'removed';
  readonly path: string;
  readonly sha256: string;
  readonly previousSha256?: string;
}

/** What changed from one inventory to the next, in path order. */
export function diffInventories(
  before: ReadonlyMap<string, InventoryEntry>,
  after: ReadonlyMap<string, InventoryEntry>,
): InventoryChange[] {
  const out: InventoryChange[] = [];
  for (const [path, entry] of after) {
    const old = before.get(path);
    if (old === undefined) out.push({ change: 'added', path, sha256: entry.sha256 });
    else if (old.sha256 !== entry.sha256)
      out.push({ change: 'changed', path, sha256: entry.sha256, previousSha256: old.sha256 });
  }
  for (const [path, entry] of before) if (!after.has(path)) out.push({ change: 'removed', path, sha256: entry.sha256 });
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** Parses a stored inventory (inventory-store.ts writes it); garbage gives an error value, never a throw. */
export function parseStoredInventory(
  text: string,
): { ok: true; builtAt: string; entries: InventoryEntry[] } | { ok: false; reason: string } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { ok: false, reason: `not JSON: ${(error as Error).message}` };
  }
  if (typeof value !== 'object' || value === null) return { ok: false, reason: 'not an object' };
  const v = value as { format?: unknown; builtAt?: unknown; entries?: unknown };
  if (v.format !== 1) return { ok: false, reason: 'unknown format' };
  if (typeof v.builtAt !== 'string' || !Array.isArray(v.entries))
    return { ok: false, reason: 'builtAt or entries missing' };
  const entries: InventoryEntry[] = [];
  for (const [i, row] of v.entries.entries()) {
    if (
      !Array.isArray(row) ||
      typeof row[0] !== 'string' ||
      typeof row[1] !== 'string' ||
      !/^[0-9a-f]{64}$/.test(row[1]) ||
      typeof row[2] !== 'number' ||
      (row[3] !== 'elf' && row[3] !== 'script')
    )
      return { ok: false, reason: `entry ${i} is malformed` };
    entries.push({ path: row[0], sha256: row[1], size: row[2], kind: row[3] });
  }
  return { ok: true, builtAt: v.builtAt, entries };
}

export function serializeInventory(builtAt: string, entries: Iterable<InventoryEntry>): string {
  const rows = [...entries].map((e) => [e.path, e.sha256, e.size, e.kind]);
  return JSON.stringify({ format: 1, builtAt, entries: rows });
}
