import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { testStores } from '../storage/test-stores.js';
import { activateComputer, alice, must, mustFail, openTestServices, type TestServices } from './test-services.js';

for (const testStore of await testStores()) {
  describe(`policies (${testStore.name})`, { skip: testStore.skip }, () => {
    let t: TestServices;
    before(async () => {
      t = await openTestServices(testStore);
    });
    after(async () => {
      await t?.close();
    });

    it('builds a forest, a chain root → leaf and refuses a sibling with the same name', async () => {
      const { policies } = t.services;
      const base = must(await policies.create({ name: 'Tree Base' }, alice));
      const linux = must(await policies.create({ name: 'Linux', parentId: base.id }, alice));
      const web = must(await policies.create({ name: 'Web', parentId: linux.id, description: 'nginx' }, alice));
      assert.deepEqual(
        must(await policies.chain(web.id)).map((p) => p.name),
        ['Tree Base', 'Linux', 'Web'],
      );
      const tree = must(await policies.tree()).find((n) => n.id === base.id);
      assert.equal(tree?.children[0]?.children[0]?.id, web.id);
      mustFail(await policies.create({ name: 'Linux', parentId: base.id }, alice), 'conflict', /already exists/);
      mustFail(
        await policies.create({ name: 'x', parentId: '00000000-0000-4000-8000-000000000000' }, alice),
        'not-found',
      );
      mustFail(await policies.create({ name: '  ' }, alice), 'validation');
      const renamed = must(await policies.update(web.id, { name: 'Web Server' }, alice));
      assert.equal(renamed.name, 'Web Server');
      assert.equal(renamed.description, 'nginx');
    });

    it('refuses a move that would make a cycle and allows a legal one', async () => {
      const { policies } = t.services;
      const a = must(await policies.create({ name: 'Cycle A' }, alice));
      const b = must(await policies.create({ name: 'Cycle B', parentId: a.id }, alice));
      const c = must(await policies.create({ name: 'Cycle C', parentId: b.id }, alice));
      mustFail(await policies.move(a.id, c.id, alice), 'conflict', /under itself or one of its own descendants/);
      mustFail(await policies.move(a.id, a.id, alice), 'conflict');
      assert.equal(must(await policies.get(a.id)).parentId, null);
      const refusedAudit = must(await t.services.audit.list({ targetKind: 'policy', targetId: a.id })).items;
      assert.deepEqual(
        refusedAudit.map((e) => e.action),
        ['policy.create'],
        'a refused change leaves no audit row',
      );
      const moved = must(await policies.move(c.id, a.id, alice));
      assert.equal(moved.policy.parentId, a.id);
      assert.deepEqual(
        must(await policies.chain(c.id)).map((p) => p.id),
        [a.id, c.id],
      );
      const toRoot = must(await policies.move(c.id, null, alice));
      assert.equal(toRoot.policy.parentId, null);
    });

    it('refuses to delete a policy with children or computers unless forced, then moves them up', async () => {
      const { policies, computers, settings } = t.services;
      const top = must(await policies.create({ name: 'Delete Top' }, alice));
      const middle = must(await policies.create({ name: 'Delete Middle', parentId: top.id }, alice));
      const leaf = must(await policies.create({ name: 'Delete Leaf', parentId: middle.id }, alice));
      const computerId = await activateComputer(t.services, 'delete-host', middle.id);
      must(await settings.set({ kind: 'policy', id: middle.id }, 'sample.level', 9, alice));
      const before = must(await computers.get(computerId)).configurationVersion;

      mustFail(await policies.delete(middle.id, {}, alice), 'conflict', /1 child policies and 1 computers/);
      const result = must(await policies.delete(middle.id, { force: true }, alice));
      mustFail(await policies.get(middle.id), 'not-found');
      assert.equal(must(await policies.get(leaf.id)).parentId, top.id);
      const computer = must(await computers.get(computerId));
      assert.equal(computer.policyId, top.id);
      // The middle policy's override went with it, so the computer's configuration changed.
      assert.notEqual(computer.configurationVersion, before);
      assert.deepEqual(result.changedComputerIds, [computerId]);

      must(await policies.delete(leaf.id, {}, alice));
      const audit = must(await t.services.audit.list({ targetKind: 'policy', targetId: middle.id }));
      assert.deepEqual(
        audit.items.map((e) => e.action),
        ['policy.delete', 'setting.set', 'policy.create'],
      );
      assert.deepEqual(audit.items[0]?.after, {
        movedPolicies: [leaf.id],
        movedComputers: [computerId],
        newParentId: top.id,
      });
    });
  });
}
