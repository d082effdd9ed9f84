import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { openDatabase, postgresPoolSize } from './open-database.js';
import { testStores } from './test-stores.js';

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

  it('survives PostgreSQL ending an idle connection (a restart or terminate), and the next query reconnects', async (t) => {
    const postgres = (await testStores()).find((s) => s.name === 'postgres');
    if (!postgres || postgres.skip) return t.skip(postgres?.skip ?? 'no PostgreSQL store');
    const store = await postgres.open();
    const { sql } = await import('kysely');
    const pg = (await import('pg')).default;
    const admin = new pg.Client({
      connectionString: process.env.BULWARK_TEST_POSTGRES_URL || 'postgres://postgres@127.0.0.1:5432/postgres',
    });
    await admin.connect();
    try {
      const { rows } = await sql<{ db: string }>`select current_database() as db`.execute(store.db);
      const database = rows[0]?.db;
      // The pool now holds one idle connection; the server ends it, as a restart would.
      const ended = await admin.query(
        'select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()',
        [database],
      );
      assert.ok(ended.rowCount !== null && ended.rowCount >= 1, 'an idle pool connection was ended');
      for (let i = 0; i < 100; i++) {
        const left = await admin.query('select count(*)::int as n from pg_stat_activity where datname = $1', [
          database,
        ]);
        if (left.rows[0].n === 0) break;
        await new Promise((r) => setTimeout(r, 20));
      }
      // Without the pool's error listener the ended connection was an uncaught exception here.
      const again = await sql<{ one: number }>`select 1 as one`.execute(store.db);
      assert.equal(again.rows[0]?.one, 1);
    } finally {
      await admin.end();
      await store.close();
    }
  });
});
