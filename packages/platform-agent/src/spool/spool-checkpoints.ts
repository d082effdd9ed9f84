import type { SourceCheckpoint } from '@bulwark/protocol';
import type Database from 'better-sqlite3';

/**
 * The sources' checkpoints kept in the spool's own database, so that they are committed in the
 * same transaction as the events read before them: after a crash a source resumes exactly after
 * the last event on disk. Updates wait in memory with the events they go with and are written by
 * the spool's commit; only the last value of a key per commit is written.
 */
export class SpoolCheckpoints {
  readonly #committed = new Map<string, Map<string, string>>();
  /** Per module, key → value (null: forget) handed over since the last commit. */
  #waiting = new Map<string, Map<string, string | null>>();
  readonly #upsert: Database.Statement;
  readonly #delete: Database.Statement;

  constructor(db: Database.Database) {
    db.exec(
      'CREATE TABLE IF NOT EXISTS checkpoints (module TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (module, key))',
    );
    const rows = db.prepare('SELECT module, key, value FROM checkpoints').all() as {
      module: string;
      key: string;
      value: string;
    }[];
    for (const row of rows) this.#of(this.#committed, row.module).set(row.key, row.value);
    this.#upsert = db.prepare(
      'INSERT INTO checkpoints (module, key, value) VALUES (?, ?, ?) ON CONFLICT(module, key) DO UPDATE SET value = excluded.value',
    );
    this.#delete = db.prepare('DELETE FROM checkpoints WHERE module = ? AND key = ?');
  }

  get dirty(): boolean {
    return this.#waiting.size > 0;
  }

  /** Queues updates; they are written by the next commit. */
  queue(module: string, checkpoints: readonly SourceCheckpoint[]): void {
    if (checkpoints.length === 0) return;
    const waiting = this.#of(this.#waiting, module);
    for (const c of checkpoints) waiting.set(c.key, c.value);
  }

  /** What the module handed over last, committed or not. */
  view(module: string): ReadonlyMap<string, string> {
    const out = new Map(this.#committed.get(module) ?? []);
    for (const [key, value] of this.#waiting.get(module) ?? []) {
      if (value === null) out.delete(key);
      else out.set(key, value);
    }
    return out;
  }

  /** Only inside the commit's transaction. */
  write(): void {
    for (const [module, updates] of this.#waiting)
      for (const [key, value] of updates) {
        if (value === null) this.#delete.run(module, key);
        else this.#upsert.run(module, key, value);
      }
  }

  /** The commit that wrote them succeeded. */
  committed(): void {
    for (const [module, updates] of this.#waiting) {
      const committed = this.#of(this.#committed, module);
      for (const [key, value] of updates) {
        if (value === null) committed.delete(key);
        else committed.set(key, value);
      }
    }
    this.#waiting = new Map();
  }

  #of<V>(map: Map<string, Map<string, V>>, module: string): Map<string, V> {
    let inner = map.get(module);
    if (!inner) {
      inner = new Map();
      map.set(module, inner);
    }
    return inner;
  }
}
