import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { sql } from 'kysely';
import { listEventPartitions, partitionName, partitionStart } from './event-partitions.js';
import { migrateToLatest } from './migrations.js';
import type { Store } from './open-database.js';
import { migrateTo, testStores } from './test-stores.js';

const DAY = 86_400_000;
const postgres = (await testStores()).find((s) => s.name === 'postgres');

describe('events partitioned by day (postgres)', {
  skip: postgres === undefined ? 'no PostgreSQL store' : postgres.skip,
}, () => {
  const stores: Store[] = [];
  after(async () => {
    for (const store of stores) await store.close();
  });

  it('the migration moves an unpartitioned table into daily partitions, rows, guard and SIEM trigger included', async () => {
    const store = await (postgres as NonNullable<typeof postgres>).open({ migrate: false });
    stores.push(store);
    const db = store.db;
    await migrateTo(db, '0009_manager_nodes');
    await db
      .insertInto('computers')
      .values({ id: 'c1', hostname: 'h', name: 'h', agent_version: '1', activated_at: 1 } as never)
      .execute();
    // Three days of old events, as a manager before this migration would have kept them.
    const first = Date.parse('2025-11-03T10:00:00Z');
    const rows = Array.from({ length: 30 }, (_, i) => ({
      id: `e${String(i).padStart(3, '0')}`,
      computer_id: 'c1',
      seq: i + 1,
      time: first + i * 2 * 3_600_000,
      received_at: first + i * 2 * 3_600_000,
      module: 'firewall',
      type: 'deny',
      severity: 'low',
      severity_rank: 1,
      summary: `event ${i}`,
    }));
    await db.insertInto('events').values(rows).execute();
    await db
      .insertInto('forwarding_destinations' as never)
      .values({
        id: 'd1',
        name: 'siem',
        transport: 'tcp',
        host: '127.0.0.1',
        port: 1,
        format: 'cef',
        minimum_severity: 'info',
        max_backlog: 10,
        created_at: 1,
        updated_at: 1,
      } as never)
      .execute();

    assert.deepEqual(await migrateToLatest(db), ['0010_event_partitions', '0011_forwarding_event_time']);

    const kind = await sql<{ relkind: string }>`select relkind from pg_class where relname = 'events'`.execute(db);
    assert.equal(kind.rows[0]?.relkind, 'p', 'events is a partitioned table');
    const partitions = await listEventPartitions(db);
    const names = partitions.map((p) => p.name);
    for (const day of ['20251103', '20251104', '20251105']) assert.ok(names.includes(`events_p${day}`), day);
    assert.ok(names.includes(partitionName(partitionStart(Date.now()) + 7 * DAY)), 'a week ahead is made');
    const copied = await db.selectFrom('events').select(['id', 'seq', 'time']).orderBy('seq').execute();
    assert.deepEqual(
      copied,
      rows.map((r) => ({ id: r.id, seq: r.seq, time: r.time })),
    );
    // The duplicate guard holds on the new table, and forwarding still sees each new event.
    await assert.rejects(
      db
        .insertInto('events')
        .values({ ...(rows[0] as (typeof rows)[0]), id: 'other' })
        .execute(),
    );
    await db
      .insertInto('events')
      .values({ ...(rows[0] as (typeof rows)[0]), id: 'e-new', seq: 999 })
      .execute();
    const feed = await sql<{ event_id: string }>`select event_id from forwarding_feed`.execute(db);
    assert.deepEqual(
      feed.rows.map((r) => r.event_id),
      ['e-new'],
    );
    const old = await sql<{
      n: number;
    }>`select count(*)::int as n from pg_class where relname = 'events_unpartitioned'`.execute(db);
    assert.equal(old.rows[0]?.n, 0, 'the old table is gone');
  });
});
