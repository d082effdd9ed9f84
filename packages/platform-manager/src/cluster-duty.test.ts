import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { asClusterDuty } from './cluster-duty.js';
import type { Store } from './storage/open-database.js';
import { testStores } from './storage/test-stores.js';

for (const testStore of await testStores()) {
  describe(`cluster duties (${testStore.name})`, { skip: testStore.skip }, () => {
    let store: Store;
    before(async () => {
      store = await testStore.open();
    });
    after(async () => {
      await store?.close();
    });

    it('two nodes at the same moment: one runs the duty, the other skips; then it is free again', async () => {
      let release!: () => void;
      const held = new Promise<void>((resolve) => {
        release = resolve;
      });
      let started!: () => void;
      const running = new Promise<void>((resolve) => {
        started = resolve;
      });
      const runs: string[] = [];
      const first = asClusterDuty(store.db, 'event retention', async () => {
        runs.push('first');
        started();
        await held;
      });
      await running;
      const second = await asClusterDuty(store.db, 'event retention', async () => {
        runs.push('second');
      });
      // Another duty is not held up by this one.
      const other = await asClusterDuty(store.db, 'offline check', async () => {
        runs.push('other');
      });
      release();
      assert.equal(await first, true);
      if (testStore.name === 'postgres') {
        assert.equal(second, false);
        assert.deepEqual(runs, ['first', 'other']);
      } else {
        // One SQLite node: nothing to share with, every call runs.
        assert.equal(second, true);
      }
      assert.equal(other, true);
      const after = await asClusterDuty(store.db, 'event retention', async () => {
        runs.push('after');
      });
      assert.equal(after, true);
    });
  });
}
