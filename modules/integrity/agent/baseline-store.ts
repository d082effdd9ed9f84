import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { AttributeValue, Entry } from '../engine/index.js';

/**
 * The baseline, one SQLite file in the module's data directory. Keys are stored as TEXT: file
 * keys are byte strings (one char per byte, see byte-path.ts) and round-trip through UTF-8 exactly.
 * Every write that replaces a rule's baseline is one transaction, so a crash leaves the old or the
 * new baseline, never half of each.
 */
export interface StoredRule {
  readonly ruleId: string;
  readonly ruleHash: string;
  readonly builtAt: string;
  readonly entries: number;
}

export class BaselineStore {
  readonly #db: Database.Database;

  constructor(dataDir: string) {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    this.#db = new Database(join(dataDir, 'baseline.sqlite'));
    this.#db.pragma('journal_mode = WAL');
    this.#db.pragma('synchronous = NORMAL');
    this.#db.exec(`
      CREATE TABLE IF NOT EXISTS rules (rule_id TEXT PRIMARY KEY, rule_hash TEXT NOT NULL, built_at TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS entries (
        rule_id TEXT NOT NULL, key TEXT NOT NULL, attributes TEXT NOT NULL,
        PRIMARY KEY (rule_id, key)
      ) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS directories (
        rule_id TEXT NOT NULL, path TEXT NOT NULL, PRIMARY KEY (rule_id, path)
      ) WITHOUT ROWID;
    `);
  }

  rules(): StoredRule[] {
    return this.#db
      .prepare(
        `SELECT r.rule_id AS ruleId, r.rule_hash AS ruleHash, r.built_at AS builtAt,
           (SELECT count(*) FROM entries e WHERE e.rule_id = r.rule_id) AS entries
         FROM rules r ORDER BY r.rule_id`,
      )
      .all() as StoredRule[];
  }

  /** The stored rules without their entry counts: cheap enough to call after every heartbeat. */
  ruleVersions(): Omit<StoredRule, 'entries'>[] {
    return this.#db
      .prepare('SELECT rule_id AS ruleId, rule_hash AS ruleHash, built_at AS builtAt FROM rules ORDER BY rule_id')
      .all() as Omit<StoredRule, 'entries'>[];
  }

  count(ruleId: string): number {
    return (this.#db.prepare('SELECT count(*) AS n FROM entries WHERE rule_id = ?').get(ruleId) as { n: number }).n;
  }

  ruleHash(ruleId: string): string | undefined {
    const row = this.#db.prepare('SELECT rule_hash AS h FROM rules WHERE rule_id = ?').get(ruleId) as
      | { h: string }
      | undefined;
    return row?.h;
  }

  load(ruleId: string, within?: string): Map<string, Entry> {
    const rows = (
      within === undefined
        ? this.#db.prepare('SELECT key, attributes FROM entries WHERE rule_id = ?').all(ruleId)
        : this.#db
            .prepare('SELECT key, attributes FROM entries WHERE rule_id = ? AND (key = ? OR (key >= ? AND key < ?))')
            .all(ruleId, within, `${within}/`, `${within}0`)
    ) as { key: string; attributes: string }[];
    const out = new Map<string, Entry>();
    for (const row of rows)
      out.set(row.key, { key: row.key, attributes: JSON.parse(row.attributes) as Record<string, AttributeValue> });
    return out;
  }

  get(ruleId: string, key: string): Entry | undefined {
    const row = this.#db.prepare('SELECT attributes FROM entries WHERE rule_id = ? AND key = ?').get(ruleId, key) as
      | { attributes: string }
      | undefined;
    return row ? { key, attributes: JSON.parse(row.attributes) } : undefined;
  }

  /** Replaces a rule's whole baseline and records the rule version it was built for. */
  replace(ruleId: string, ruleHash: string, entries: Iterable<Entry>, builtAt: Date): void {
    const insert = this.#db.prepare('INSERT INTO entries (rule_id, key, attributes) VALUES (?, ?, ?)');
    this.#db.transaction(() => {
      this.#db.prepare('DELETE FROM entries WHERE rule_id = ?').run(ruleId);
      for (const e of entries) insert.run(ruleId, e.key, JSON.stringify(e.attributes));
      this.#db
        .prepare(
          'INSERT INTO rules (rule_id, rule_hash, built_at) VALUES (?, ?, ?) ON CONFLICT(rule_id) DO UPDATE SET rule_hash = excluded.rule_hash, built_at = excluded.built_at',
        )
        .run(ruleId, ruleHash, builtAt.toISOString());
    })();
  }

  /** Applies accepted changes: upserts and deletions in one transaction. */
  update(ruleId: string, upserts: Iterable<Entry>, deletions: Iterable<string>): void {
    const put = this.#db.prepare(
      'INSERT INTO entries (rule_id, key, attributes) VALUES (?, ?, ?) ON CONFLICT(rule_id, key) DO UPDATE SET attributes = excluded.attributes',
    );
    const del = this.#db.prepare('DELETE FROM entries WHERE rule_id = ? AND key = ?');
    this.#db.transaction(() => {
      for (const e of upserts) put.run(ruleId, e.key, JSON.stringify(e.attributes));
      for (const k of deletions) del.run(ruleId, k);
    })();
  }

  /**
   * The directories the last full walk of a file rule listed, for the real-time watcher: when the
   * agent restarts, or the configuration changes without a scan, watches are set up from here.
   * (A rule with include globs walks directories it does not record, so the entries are not enough.)
   */
  replaceDirectories(ruleId: string, directories: readonly string[]): void {
    const insert = this.#db.prepare('INSERT OR IGNORE INTO directories (rule_id, path) VALUES (?, ?)');
    this.#db.transaction(() => {
      this.#db.prepare('DELETE FROM directories WHERE rule_id = ?').run(ruleId);
      for (const d of directories) insert.run(ruleId, d);
    })();
  }

  directories(ruleId: string): string[] {
    return (
      this.#db.prepare('SELECT path FROM directories WHERE rule_id = ? ORDER BY path').all(ruleId) as { path: string }[]
    ).map((r) => r.path);
  }

  drop(ruleId: string): void {
    this.#db.transaction(() => {
      this.#db.prepare('DELETE FROM directories WHERE rule_id = ?').run(ruleId);
      this.#db.prepare('DELETE FROM entries WHERE rule_id = ?').run(ruleId);
      this.#db.prepare('DELETE FROM rules WHERE rule_id = ?').run(ruleId);
    })();
  }

  page(ruleId: string, offset: number, limit: number): Entry[] {
    const rows = this.#db
      .prepare('SELECT key, attributes FROM entries WHERE rule_id = ? ORDER BY key LIMIT ? OFFSET ?')
      .all(ruleId, limit, offset) as { key: string; attributes: string }[];
    return rows.map((r) => ({ key: r.key, attributes: JSON.parse(r.attributes) }));
  }

  close(): void {
    this.#db.close();
  }
}
