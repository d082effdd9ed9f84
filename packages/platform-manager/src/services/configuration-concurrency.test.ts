import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { testStores } from '../storage/test-stores.js';
import { createServices } from './index.js';
import { activateComputer, alice, must, openTestServices, sampleModule, type TestServices } from './test-services.js';

/**
 * Configuration changes that overlap (several administrators, several manager nodes) must leave
 * each computer's stored version equal to what its committed settings compile to; a stale one
 * leaves the agent "Updates pending" and fetching a version nobody can serve.
 */
for (const testStore of await testStores()) {
  describe(`configuration versions under parallel changes (${testStore.name})`, { skip: testStore.skip }, () => {
    let t: TestServices;
    let other: TestServices['services'];
    before(async () => {
      t = await openTestServices(testStore);
      // A second service set over the same database: a second manager node.
      other = createServices({ db: t.store.db, modules: [sampleModule], now: t.clock.now });
    });
    after(async () => {
      await t?.close();
    });

    it("the stored version is the committed settings' version after rounds of parallel writers", async () => {
      const computerId = await activateComputer(t.services, 'web-1', null);
      for (let round = 0; round < 10; round++) {
        // Each writer changes another key: writes to one key would queue on its row, hiding the race.
        const writes: [string, unknown][] = [
          ['sample.level', round % 11],
          ['sample.mode', round % 2 === 0 ? 'a' : 'b'],
          ['platform.networkEngineMode', round % 2 === 0 ? 'tap' : 'inline'],
          ['platform.heartbeatIntervalSeconds', 60 + round],
          ['platform.minimumEventSeverity', round % 2 === 0 ? 'low' : 'info'],
        ];
        await Promise.all(
          writes.map(async ([key, value], writer) =>
            must(
              await (writer % 2 === 0 ? t.services : other).settings.set(
                { kind: 'computer', id: computerId },
                key,
                value,
                alice,
              ),
            ),
          ),
        );
        const stored = must(await t.services.computers.get(computerId)).configurationVersion;
        const current = must(await t.services.configuration.compile(computerId)).version;
        assert.equal(
          stored,
          current,
          `round ${round}: the stored version is not what the committed settings compile to`,
        );
      }
    });

    it('a stale stored version (a race lost before this fix) is healed when the agent fetches', async () => {
      const computerId = await activateComputer(t.services, 'web-2', null);
      const good = must(await t.services.computers.get(computerId)).configurationVersion;
      await t.store.db
        .updateTable('computers')
        .set({ config_version: 'f'.repeat(64) })
        .where('id', '=', computerId)
        .execute();
      const sent = must(await t.services.configuration.current(computerId));
      assert.equal(sent.version, good);
      assert.equal(must(await t.services.computers.get(computerId)).configurationVersion, good);
    });
  });
}
