import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { openDatabase, postgresPoolSize } from './open-database.js';

describe('openDatabase', () => {
  it('creates the SQLite file readable by its owner only, in WAL mode with foreign keys on', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bulwark-open-'));
    try {
      const store = await openDatabase({ dataDir: join(dir, 'data') });
      try {
        assert.equal(store.dialect, 'sqlite');
        assert.equal(statSync(join(dir, 'data', 'manager.db')).mode & 0o777, 0o600);
        assert.equal(statSync(join(dir, 'data')).mode & 0o777, 0o700);
        const { sql } = await import('kysely');
        const mode = await sql<{ journal_mode: string }>`pragma journal_mode`.execute(store.db);
        assert.equal(mode.rows[0]?.journal_mode, 'wal');
        const fk = await sql<{ foreign_keys: number }>`pragma foreign_keys`.execute(store.db);
        assert.equal(fk.rows[0]?.foreign_keys, 1);
      } finally {
        await store.close();
      }
      // Reopening an existing database migrates nothing and keeps working.
      const again = await openDatabase({ dataDir: join(dir, 'data') });
      await again.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('sizes the PostgreSQL pool at 20 connections unless BULWARK_DATABASE_POOL_SIZE says otherwise', () => {
    assert.equal(postgresPoolSize({}), 20);
    assert.equal(postgresPoolSize({ BULWARK_DATABASE_POOL_SIZE: '48' }), 48);
    for (const bad of ['0', '-3', '2.5', 'many', '100000']) {
      assert.equal(postgresPoolSize({ BULWARK_DATABASE_POOL_SIZE: bad }), 20, bad);
    }
  });

  it('refuses a database URL that is not PostgreSQL', async () => {
    await assert.rejects(openDatabase({ url: 'mysql://localhost/x' }), /postgres:\/\//);
  });
});
