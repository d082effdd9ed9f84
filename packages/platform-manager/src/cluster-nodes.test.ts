import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ClusterNodes, NODE_LEASE_MS_PER_RENEW } from './cluster-nodes.js';
import type { Store } from './storage/open-database.js';
import { testStores } from './storage/test-stores.js';

for (const testStore of await testStores()) {
  describe(`the list of manager nodes (${testStore.name})`, { skip: testStore.skip }, () => {
    let store: Store;
    before(async () => {
      store = await testStore.open();
    });
    after(async () => {
      await store?.close();
    });

    it('names every live node, drops one that stopped at once and one that died after its lease', async () => {
      let now = 1_000_000;
      const renewMs = 60_000; // the timer never fires here: each start() and the clock drive it
      const node = (agentUrl: string) => new ClusterNodes({ db: store.db, agentUrl, renewMs, now: () => now });
      const a = node('https://m1.example:4120/');
      const b = node('https://m2.example:4120');
      const c = node('https://m3.example:4120');
      await a.start();
      assert.deepEqual(a.agentUrls, ['https://m1.example:4120']);
      now += 1;
      await b.start();
      now += 1;
      await c.start();
      assert.deepEqual(c.agentUrls, ['https://m1.example:4120', 'https://m2.example:4120', 'https://m3.example:4120']);

      // A clean stop leaves the list at once.
      await b.stop();
      now += 1;
      const d = node('https://m4.example:4120');
      await d.start();
      assert.deepEqual(d.agentUrls, ['https://m1.example:4120', 'https://m3.example:4120', 'https://m4.example:4120']);

      // Node c "dies" (never renews again); the others renew by restarting their lease past its end.
      now += renewMs * NODE_LEASE_MS_PER_RENEW + 1;
      const e = node('https://m5.example:4120');
      await e.start();
      // a and d have not renewed either: every lease but e's ended, and e always names itself.
      assert.deepEqual(e.agentUrls, ['https://m5.example:4120']);
      for (const n of [a, c, d, e]) await n.stop();
      const left = await store.db.selectFrom('manager_nodes').select('node_id').execute();
      assert.deepEqual(left, []);
    });

    it('a node restarted on the same URL before its old lease ended is named once', async () => {
      const now = 5_000_000;
      const first = new ClusterNodes({
        db: store.db,
        agentUrl: 'https://m1.example:4120',
        renewMs: 60_000,
        now: () => now,
      });
      await first.start();
      // The old process died without deleting its row; the new one registers under a new id.
      const second = new ClusterNodes({
        db: store.db,
        agentUrl: 'https://m1.example:4120',
        renewMs: 60_000,
        now: () => now,
      });
      await second.start();
      assert.deepEqual(second.agentUrls, ['https://m1.example:4120']);
      await first.stop();
      await second.stop();
    });
  });
}
