import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { ensureEventPartitions } from '../storage/event-partitions.js';
import { migrateToLatest } from '../storage/migrations.js';
import type { Store } from '../storage/open-database.js';
import { migrateTo, testStores } from '../storage/test-stores.js';
import { type FeedCursor, readFeed } from './forwarding-feed.js';
import { forwardingDb } from './forwarding-tables.js';

const DAY = 86_400_000;
const HOUR = 3_600_000;

for (const testStore of await testStores()) {
  describe(`forwarding feed rows carry their event's time (${testStore.name})`, { skip: testStore.skip }, () => {
    const stores: Store[] = [];
    after(async () => {
      for (const store of stores) await store.close();
    });

    it('the migration fills existing rows; the feed then yields each event once, across days', async () => {
      const store = await testStore.open({ migrate: false });
      stores.push(store);
      await migrateTo(store.db, '0010_event_partitions');
      const db = forwardingDb(store.db);
      // Five days back to now, every 5 hours: a 4-row page below spans day boundaries.
      const first = Date.now() - 5 * DAY;
      if (store.dialect === 'postgres') await ensureEventPartitions(store.db, first, Date.now() + DAY);
      await db
        .insertInto('computers')
        .values({ id: 'c1', hostname: 'h', name: 'h', agent_version: '1', activated_at: 1 } as never)
        .execute();
      await db
        .insertInto('forwarding_destinations')
        .values({
          id: 'd1',
          name: 'siem',
          transport: 'tcp',
          host: '127.0.0.1',
          port: 1,
          format: 'cef',
          modules_json: null,
          minimum_severity: 'info',
          ca_certificate: null,
          policy_id: null,
          max_backlog: 100,
          enabled: 1,
          created_at: 1,
          updated_at: 1,
          last_sent_at: null,
          last_error: null,
          last_error_at: null,
        })
        .execute();
      const event = (i: number) => ({
        id: `e${String(i).padStart(3, '0')}`,
        computer_id: 'c1',
        seq: i + 1,
        time: first + i * 5 * HOUR,
        received_at: first + i * 5 * HOUR,
        module: 'firewall',
        type: 'deny',
        severity: 'low',
        severity_rank: 1,
        summary: `event ${i}`,
      });
      const before = Array.from({ length: 20 }, (_, i) => event(i));
      for (const row of before) await db.insertInto('events').values(row).execute();
      // Retention took one event whose feed row is still queued: it stays without a time.
      await db.deleteFrom('events').where('id', '=', 'e003').execute();

      assert.deepEqual(await migrateToLatest(store.db), ['0011_forwarding_event_time']);

      const filled = await db.selectFrom('forwarding_feed').select(['event_id', 'event_time']).orderBy('seq').execute();
      assert.deepEqual(
        filled.map((r) => ({ id: r.event_id, time: r.event_time === null ? null : Number(r.event_time) })),
        before.map((e) => ({ id: e.id, time: e.id === 'e003' ? null : e.time })),
      );

      // Rows written after the migration get their time from the trigger.
      const later = [event(20), event(21), event(22)];
      await db.insertInto('events').values(later).execute();
      const added = await db
        .selectFrom('forwarding_feed')
        .select(['event_id', 'event_time'])
        .where('event_id', 'in', ['e020', 'e021', 'e022'])
        .orderBy('event_id')
        .execute();
      assert.deepEqual(
        added.map((r) => Number(r.event_time)),
        later.map((e) => e.time),
      );

      // What the forwarder reads, page by page from the destination's start: every stored event
      // once, in feed order, with its body; the retained-away one as an empty row it steps over.
      // On PostgreSQL rows show only once every older transaction of the cluster has ended (other
      // tests' included), so an empty page means "not yet" until all rows came or the deadline.
      const delivered: string[] = [];
      let gone = 0;
      let cursor: FeedCursor = { tx: 0, seq: 0 };
      const deadline = Date.now() + 15_000;
      while (delivered.length + gone < before.length + later.length) {
        const page = await readFeed(db, cursor, 4);
        if (page.length === 0) {
          assert.ok(Date.now() < deadline, `only ${delivered.length + gone} feed rows became readable`);
          await sleep(20);
          continue;
        }
        for (const entry of page) {
          if (entry.event === null) gone++;
          else {
            delivered.push(entry.event.id);
            assert.equal(entry.event.summary, `event ${Number(entry.event.id.slice(1))}`);
          }
        }
        cursor = (page.at(-1) as (typeof page)[0]).cursor;
      }
      assert.deepEqual(await readFeed(db, cursor, 4), [], 'nothing after the last event');
      assert.equal(gone, 1);
      assert.deepEqual(
        delivered,
        [...before, ...later].map((e) => e.id).filter((id) => id !== 'e003'),
      );
    });
  });
}
