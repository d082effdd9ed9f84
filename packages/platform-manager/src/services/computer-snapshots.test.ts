import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { MAX_SNAPSHOT_ENTRIES, type SnapshotEntry, type SnapshotPage } from '@bulwark/protocol';
import { testStores } from '../storage/test-stores.js';
import { activateComputer, must, mustFail, openTestServices, type TestServices } from './test-services.js';

const entry = (i: number): SnapshotEntry => ({ key: `/etc/f${String(i).padStart(5, '0')}`, value: { size: i } });

function page(version: string, offset: number, count: number, final: boolean, total = offset + count): SnapshotPage {
  return {
    module: 'integrity',
    name: 'etc',
    version,
    builtAt: '2026-01-01T00:00:00.000Z',
    total,
    offset,
    entries: Array.from({ length: count }, (_, i) => entry(offset + i)),
    final,
  };
}

for (const testStore of await testStores()) {
  describe(`module snapshot copies (${testStore.name})`, { skip: testStore.skip }, () => {
    let t: TestServices;
    before(async () => {
      t = await openTestServices(testStore);
    });
    after(async () => {
      await t?.close();
    });

    it('offer → wanted → pages → one whole version readers see; a re-offer of it is not wanted', async () => {
      const { computerSnapshots: s } = t.services;
      const id = await activateComputer(t.services, 'snap');
      const offered = [{ module: 'integrity', name: 'etc', version: 'v1' }];
      assert.deepEqual(must(await s.offer(id, offered)).wanted, [{ module: 'integrity', name: 'etc' }]);
      // Nothing readable before the last page.
      assert.deepEqual(must(await s.list(id, 'integrity')), []);
      assert.equal(must(await s.storePage(id, page('v1', 0, 3, false, 5))).stored, 3);
      // A page sent again (the answer was lost) is stored once.
      assert.equal(must(await s.storePage(id, page('v1', 0, 3, false, 5))).stored, 3);
      assert.equal(must(await s.storePage(id, page('v1', 3, 2, true, 5))).stored, 5);
      const [copy] = must(await s.list(id, 'integrity'));
      assert.equal(copy?.version, 'v1');
      assert.equal(copy?.stored, 5);
      assert.equal(copy?.truncated, false);
      assert.deepEqual(must(await s.offer(id, offered)).wanted, []);

      const first = must(await s.entries(id, 'integrity', 'etc', { limit: 2 }));
      assert.deepEqual(
        first.items.map((e) => e.key),
        ['/etc/f00000', '/etc/f00001'],
      );
      const rest = must(await s.entries(id, 'integrity', 'etc', { limit: 10, cursor: first.nextCursor }));
      assert.equal(rest.items.length, 3);
      assert.equal(rest.nextCursor, null);
      assert.deepEqual(rest.items[2]?.value, { size: 4 });
    });

    it('a new version replaces the old only at its last page; unlisted snapshots are forgotten', async () => {
      const { computerSnapshots: s } = t.services;
      const id = await activateComputer(t.services, 'replace');
      await s.offer(id, [{ module: 'integrity', name: 'etc', version: 'v1' }]);
      must(await s.storePage(id, page('v1', 0, 4, true)));
      assert.equal(must(await s.offer(id, [{ module: 'integrity', name: 'etc', version: 'v2' }])).wanted.length, 1);
      must(await s.storePage(id, page('v2', 0, 2, false, 10)));
      // Still v1 while v2 is half uploaded.
      assert.equal(must(await s.entries(id, 'integrity', 'etc')).version, 'v1');
      assert.equal(must(await s.entries(id, 'integrity', 'etc')).items.length, 4);
      must(await s.storePage(id, page('v2', 2, 1, true, 10)));
      const v2 = must(await s.entries(id, 'integrity', 'etc'));
      assert.equal(v2.version, 'v2');
      assert.equal(v2.items.length, 3);
      assert.equal(v2.truncated, true);
      assert.match(v2.note ?? '', /first 3 of 10 entries/);

      assert.deepEqual(must(await s.offer(id, [])).wanted, []);
      assert.deepEqual(must(await s.list(id, 'integrity')), []);
      mustFail(await s.entries(id, 'integrity', 'etc'), 'not-found', /holds no integrity snapshot "etc"/);
    });

    it('refuses pages past the bound', async () => {
      const id = await activateComputer(t.services, 'bound');
      mustFail(
        await t.services.computerSnapshots.storePage(id, page('v1', MAX_SNAPSHOT_ENTRIES - 1, 2, true)),
        'validation',
        /at most 10000 entries/,
      );
    });
  });
}
