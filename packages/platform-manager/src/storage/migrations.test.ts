import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { migrateToLatest, migrations } from './migrations.js';
import type { Store } from './open-database.js';
import { testStores } from './test-stores.js';

const TABLES = [
  'activation_tokens',
  'alerts',
  'api_keys',
  'audit_log',
  'computer_commands',
  'computer_inventory',
  'computers',
  'custom_rules',
  'events',
  'module_snapshot_entries',
  'module_snapshots',
  'policies',
  'recommendation_exclusions',
  'recommendation_results',
  'revoked_certificates',
  'rule_assignments',
  'rule_overrides',
  'sessions',
  'settings',
  'users',
];

for (const testStore of await testStores()) {
  describe(`migrations (${testStore.name})`, { skip: testStore.skip }, () => {
    let store: Store;
    before(async () => {
      store = await testStore.open();
    });
    after(async () => {
      await store?.close();
    });

    it('creates every table on an empty database and records each migration once', async () => {
      const tables = (await store.db.introspection.getTables()).map((t) => t.name).sort();
      for (const table of TABLES) assert.ok(tables.includes(table), `missing table ${table}`);
      const applied = await sql<{ name: string }>`select name from kysely_migration order by name`.execute(store.db);
      assert.deepEqual(
        applied.rows.map((r) => r.name),
        Object.keys(migrations).sort(),
      );
    });

    it('is a no-op when run again', async () => {
      assert.deepEqual(await migrateToLatest(store.db), []);
    });

    it('enforces foreign keys', async () => {
      await assert.rejects(
        store.db
          .insertInto('computers')
          .values({
            id: 'c1',
            hostname: 'h',
            name: 'h',
            description: '',
            policy_id: 'no-such-policy',
            module_status_json: '[]',
            agent_version: '1',
            spool_pending: 0,
            spool_dropped: 0,
            activated_at: 1,
          } as never)
          .execute(),
      );
    });

    it('returns int8 columns and counts as numbers', async () => {
      const big = 1_800_000_000_000;
      await store.db
        .insertInto('revoked_certificates')
        .values({ serial: 's1', computer_id: null, revoked_at: big })
        .execute();
      const row = await store.db.selectFrom('revoked_certificates').selectAll().executeTakeFirstOrThrow();
      assert.equal(row.revoked_at, big);
      const count = await store.db
        .selectFrom('revoked_certificates')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow();
      assert.equal(count.n, 1);
    });
  });
}
