// Delivery is at-least-once: the same event may come twice, from two nodes at once, and with a
// different filed time each time (clamped against a different arrival). It is stored once. On
// PostgreSQL, retention drops whole days and ingest finds or makes the day it needs.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { AgentEvent } from '@bulwark/protocol';
import { listEventPartitions, partitionName } from '../storage/event-partitions.js';
import { testStores } from '../storage/test-stores.js';
import { EVENT_MAX_AGE_MS } from './events.js';
import { createServices } from './index.js';
import { activateComputer, must, openTestServices, sampleModule, type TestServices } from './test-services.js';

const DAY = 86_400_000;

const event = (seq: number, time: number): AgentEvent => ({
  seq,
  time: new Date(time).toISOString(),
  module: 'firewall',
  type: 'deny',
  severity: 'low',
  summary: `event ${seq}`,
});

for (const testStore of await testStores()) {
  describe(`event delivery and retention (${testStore.name})`, { skip: testStore.skip }, () => {
    let t: TestServices;
    let computer: string;
    before(async () => {
      t = await openTestServices(testStore);
      computer = await activateComputer(t.services, 'delivery-host');
    });
    after(async () => {
      await t?.close();
    });

    async function storedSeqs(): Promise<number[]> {
      const rows = await t.store.db.selectFrom('events').select('seq').where('computer_id', '=', computer).execute();
      return rows.map((r) => r.seq).sort((a, b) => a - b);
    }

    it('a batch delivered again later, its times clamped differently, is stored once', async () => {
      // Older than the window: filed at (arrival - EVENT_MAX_AGE_MS), which moves with the arrival.
      const ancient = t.clock.now() - 2 * EVENT_MAX_AGE_MS;
      const batch = [1, 2, 3].map((seq) => event(seq, ancient + seq));
      assert.deepEqual(must(await t.services.events.ingest(computer, batch)), { accepted: 3, duplicates: 0 });
      t.clock.advance(3 * DAY);
      assert.deepEqual(must(await t.services.events.ingest(computer, [...batch, event(4, ancient)])), {
        accepted: 1,
        duplicates: 3,
      });
      assert.deepEqual(await storedSeqs(), [1, 2, 3, 4]);
    });

    it('the same batch through two nodes at once, with different clocks, is stored once', async () => {
      const ancient = t.clock.now() - 2 * EVENT_MAX_AGE_MS;
      const batch = Array.from({ length: 200 }, (_, i) => event(100 + i, ancient + i));
      // Two nodes: their own services (and partition caches) on one database, a day apart in time.
      const early = t.clock.now();
      const nodeA = createServices({ db: t.store.db, modules: [sampleModule], now: () => early });
      const nodeB = createServices({ db: t.store.db, modules: [sampleModule], now: () => early + DAY });
      const [a, b] = await Promise.all([nodeA.events.ingest(computer, batch), nodeB.events.ingest(computer, batch)]);
      assert.equal(must(a).accepted + must(b).accepted, 200);
      assert.equal(must(a).duplicates + must(b).duplicates, 200);
      const seqs = (await storedSeqs()).filter((s) => s >= 100);
      assert.equal(seqs.length, 200);
      assert.equal(new Set(seqs).size, 200);
    });

    it('retention removes whole days and the part of a day before the cutoff, and nothing after', async () => {
      const now = t.clock.now();
      const start = now - (now % DAY);
      // Events at 06:00 and 18:00 of the five days before today.
      const times = [5, 4, 3, 2, 1].flatMap((d) => [start - d * DAY + 6 * 3_600_000, start - d * DAY + 18 * 3_600_000]);
      const batch = times.map((time, i) => event(1000 + i, time));
      must(await t.services.events.ingest(computer, batch));
      const cutoff = start - 3 * DAY + 12 * 3_600_000; // noon, three days ago
      const result = must(await t.services.events.deleteOlderThan(new Date(cutoff).toISOString()));
      const left = await t.store.db
        .selectFrom('events')
        .select('time')
        .where('computer_id', '=', computer)
        .where('seq', '>=', 1000)
        .execute();
      assert.deepEqual(
        left.map((r) => r.time).sort((a, b) => a - b),
        times.filter((time) => time >= cutoff).sort((a, b) => a - b),
      );
      if (testStore.name === 'postgres') {
        const dropped = (result.droppedPartitions ?? []).map((p) => p.name);
        for (const d of [5, 4]) assert.ok(dropped.includes(partitionName(start - d * DAY)), `day -${d} dropped`);
        assert.ok(!dropped.includes(partitionName(start - 3 * DAY)), 'the cutoff day stays, partly deleted');
        assert.equal(result.deleted, 1, "the cutoff day's 06:00 event is deleted as a row");
        const names = (await listEventPartitions(t.store.db)).map((p) => p.name);
        assert.ok(!names.includes(partitionName(start - 5 * DAY)));
      } else {
        assert.equal(result.droppedPartitions, undefined);
      }
    });

    it('a node that still counts on a day another node dropped makes it again and stores the event', async () => {
      const now = t.clock.now();
      const start = now - (now % DAY);
      const day = start - 10 * DAY + 3_600_000;
      const node = createServices({ db: t.store.db, modules: [sampleModule], now: () => now });
      must(await node.events.ingest(computer, [event(2000, day)]));
      // Retention elsewhere drops that day while this node's cache still holds it.
      must(await t.services.events.deleteOlderThan(new Date(start - 9 * DAY).toISOString()));
      assert.deepEqual(must(await node.events.ingest(computer, [event(2001, day)])), { accepted: 1, duplicates: 0 });
      assert.ok((await storedSeqs()).includes(2001));
    });
  });
}
