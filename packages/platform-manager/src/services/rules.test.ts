import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { testStores } from '../storage/test-stores.js';
import { inventoryWith, ruleTestModule } from './rules-test-module.js';
import {
  activateComputer,
  alice,
  must,
  mustFail,
  openTestServices,
  sampleModule,
  type TestServices,
} from './test-services.js';

const target = (kind: 'policy' | 'computer', id: string) => ({ kind, id });

for (const testStore of await testStores()) {
  describe(`rules and recommendations (${testStore.name})`, { skip: testStore.skip }, () => {
    let t: TestServices;
    let base: string;
    let linux: string;
    let web: string;
    let computerId: string;
    before(async () => {
      t = await openTestServices(testStore, [sampleModule, ruleTestModule]);
      const { policies } = t.services;
      base = must(await policies.create({ name: 'Base Policy' }, alice)).id;
      linux = must(await policies.create({ name: 'Linux Server', parentId: base }, alice)).id;
      web = must(await policies.create({ name: 'Web Server', parentId: linux }, alice)).id;
      computerId = await activateComputer(t.services, 'web-1', web);
    });
    after(async () => {
      await t?.close();
    });

    const compiledRules = async () => {
      const configuration = must(await t.services.configuration.compile(computerId));
      return {
        version: configuration.version,
        rules:
          (configuration.modules.guard?.configuration as { rules: { id: string; mode: string }[] } | undefined)
            ?.rules ?? [],
      };
    };

    it('lists built-in and custom rules; refuses a bad custom rule naming the field and stores nothing', async () => {
      const { rules } = t.services;
      const bad = mustFail(
        await rules.createCustom('guard', { id: 'C-1', name: 'x', mode: 'block' }, alice),
        'validation',
        /\/mode/,
      );
      assert.match(bad, /C-1/);
      const refused = await rules.createCustom('guard', { id: 'C-1', name: 'x', mode: 'detect', extra: 1 }, alice);
      assert.ok(!refused.ok && refused.error.issues?.some((i) => i.path === '/extra'), 'unknown field named');
      mustFail(await rules.createCustom('guard', { name: 'no id', mode: 'detect' }, alice), 'validation', /\/id/);
      mustFail(await rules.createCustom('sample', { id: 'S-1' }, alice), 'validation', /does not take custom rules/);
      mustFail(await rules.createCustom('nope', { id: 'S-1' }, alice), 'not-found', /nope/);
      mustFail(
        await rules.createCustom('guard', { id: 'G-100', name: 'x', mode: 'detect' }, alice),
        'conflict',
        /built-in/,
      );
      const page = must(await rules.catalogue('guard'));
      assert.deepEqual(
        page.items.map((r) => r.id),
        ['G-100', 'G-200', 'G-300'],
      );
      const custom = must(await rules.createCustom('guard', { id: 'C-1', name: 'Custom', mode: 'detect' }, alice));
      assert.equal(custom.builtIn, false);
      mustFail(await rules.createCustom('guard', { id: 'C-1', name: 'Again', mode: 'detect' }, alice), 'conflict');
      const first = must(await rules.catalogue('guard', { limit: 2 }));
      assert.deepEqual(
        first.items.map((r) => r.id),
        ['C-1', 'G-100'],
      );
      assert.ok(first.nextCursor);
      const second = must(await rules.catalogue('guard', { limit: 2, cursor: first.nextCursor }));
      assert.deepEqual(
        second.items.map((r) => r.id),
        ['G-200', 'G-300'],
      );
      assert.equal(second.nextCursor, null);
      const audit = must(await t.services.audit.list({ targetKind: 'rule' }));
      assert.deepEqual(
        audit.items.map((a) => a.action),
        ['rule.create'],
      );
    });

    it('effective rules are the union over a 3-level chain and the computer; overrides merge leaf-wins', async () => {
      const { rules } = t.services;
      must(await rules.assign(target('policy', base), 'guard', ['G-100'], alice));
      must(await rules.assign(target('policy', linux), 'guard', ['G-300'], alice));
      must(await rules.assign(target('policy', web), 'guard', ['G-100', 'G-200'], alice));
      must(await rules.assign(target('computer', computerId), 'guard', ['C-1'], alice));
      mustFail(await rules.assign(target('policy', web), 'guard', ['G-404'], alice), 'not-found', /G-404/);
      mustFail(await rules.assign(target('policy', crypto.randomUUID()), 'guard', ['G-100'], alice), 'not-found');

      must(await rules.setOverrides(target('policy', base), 'guard', 'G-100', { mode: 'detect', port: 2222 }, alice));
      must(await rules.setOverrides(target('policy', web), 'guard', 'G-100', { mode: 'prevent' }, alice));
      const atComputer = must(
        await rules.setOverrides(target('computer', computerId), 'guard', 'G-300', { mode: 'prevent' }, alice),
      );
      assert.deepEqual(atComputer.changedComputerIds, [computerId]);
      mustFail(
        await rules.setOverrides(target('policy', web), 'guard', 'G-100', { mode: 'block' }, alice),
        'validation',
        /mode/,
      );
      mustFail(
        await rules.setOverrides(target('policy', web), 'guard', 'G-100', { id: 'other' }, alice),
        'validation',
        /id/,
      );

      const effective = must(await rules.effectiveRules(computerId, 'guard'));
      assert.deepEqual(
        effective.map((r) => [r.id, r.assignedAt.map((s) => s.name)]),
        [
          ['C-1', ['web-1']],
          ['G-100', ['Base Policy', 'Web Server']],
          ['G-200', ['Web Server']],
          ['G-300', ['Linux Server']],
        ],
      );
      assert.deepEqual(effective.find((r) => r.id === 'G-100')?.overrides, { mode: 'prevent', port: 2222 });
      assert.deepEqual(effective.find((r) => r.id === 'G-300')?.overrides, { mode: 'prevent' });
      // At the Linux Server policy: only what Base and Linux assign, Base's override only.
      const atLinux = must(await rules.effective(target('policy', linux), 'guard'));
      assert.deepEqual(
        atLinux.map((r) => r.id),
        ['G-100', 'G-300'],
      );
      assert.deepEqual(atLinux[0]?.overrides, { mode: 'detect', port: 2222 });

      const compiled = await compiledRules();
      assert.deepEqual(compiled.rules, [
        { id: 'C-1', mode: 'detect' },
        { id: 'G-100', mode: 'prevent' },
        { id: 'G-200', mode: 'prevent' },
        { id: 'G-300', mode: 'prevent' },
      ]);
      const computer = must(await t.services.computers.get(computerId));
      assert.equal(computer.configurationVersion, compiled.version, 'the stored version follows the rules');
    });

    it('assignedTo lists policies and computers; unassign at the policy, then the computer, removes it', async () => {
      const { rules } = t.services;
      const typo = mustFail(await rules.assign(target('computer', computerId), 'guard', ['g-200'], alice), 'not-found');
      assert.match(typo, /no rule g-200 \(did you mean G-200\?\)/);
      mustFail(await rules.get('guard', 'G-999'), 'not-found', /^module guard has no rule G-999$/);
      must(await rules.assign(target('computer', computerId), 'guard', ['G-200'], alice));
      const detail = must(await rules.get('guard', 'G-200'));
      assert.deepEqual(
        detail.assignedTo.map((s) => [s.kind, s.name]),
        [
          ['policy', 'Web Server'],
          ['computer', 'web-1'],
        ],
      );
      assert.equal(detail.excludedFromRecommendations, false);
      const v0 = (await compiledRules()).version;

      const atPolicy = must(await rules.unassign(target('policy', web), 'guard', ['G-200'], alice));
      assert.deepEqual(atPolicy.unassigned, ['G-200']);
      // Still assigned at the computer: the compiled rules do not change.
      assert.ok((await compiledRules()).rules.some((r) => r.id === 'G-200'));
      assert.deepEqual(atPolicy.changedComputerIds, []);
      const wrongLevel = mustFail(await rules.unassign(target('policy', web), 'guard', ['G-300'], alice), 'not-found');
      assert.match(wrongLevel, /Linux Server/, 'says where the rule comes from');

      const atComputer = must(await rules.unassign(target('computer', computerId), 'guard', ['G-200'], alice));
      assert.deepEqual(atComputer.changedComputerIds, [computerId]);
      const after = await compiledRules();
      assert.ok(!after.rules.some((r) => r.id === 'G-200'));
      assert.notEqual(after.version, v0);
      assert.deepEqual(must(await rules.assignedTo('guard', 'G-200')), []);
      const audit = must(await t.services.audit.list({ targetKind: 'computer', targetId: computerId }));
      assert.ok(audit.items.some((a) => a.action === 'rule.unassign' && a.actor.name === 'alice'));
    });

    it('a recommendation scan reads the inventory, auto-applies what is safe, never an excluded rule', async () => {
      const { rules, recommendations, inventory } = t.services;
      const other = await activateComputer(t.services, 'db-1', null);
      mustFail(await recommendations.scan(other, { autoApply: true }, alice), 'not-found', /inventory/);
      must(await inventory.store(other, inventoryWith(['openssh-server', 'nginx', 'postgresql', 'bash'])));
      must(await rules.setExcludedFromRecommendations('guard', 'G-200', true, alice));
      assert.equal(must(await rules.get('guard', 'G-200')).excludedFromRecommendations, true);

      const dry = must(await recommendations.scan(other, {}, alice));
      assert.deepEqual(dry.recommended, { guard: ['G-100', 'G-200', 'G-300'] });
      assert.deepEqual(dry.applied, {});
      assert.deepEqual(dry.excluded, { guard: ['G-200'] });
      assert.deepEqual(must(await rules.effectiveRules(other, 'guard')), []);

      // G-300 is already in force through a policy: not assigned again at the computer.
      const db = must(await t.services.policies.create({ name: 'Database' }, alice));
      must(await rules.assign(target('policy', db.id), 'guard', ['G-300'], alice));
      must(await t.services.computers.update(other, { policyId: db.id }, alice));
      const applied = must(await recommendations.scan(other, { autoApply: true }, alice));
      assert.deepEqual(applied.applied, { guard: ['G-100'] });
      assert.deepEqual(applied.changedComputerIds, [other]);
      const effective = must(await rules.effectiveRules(other, 'guard'));
      assert.deepEqual(
        effective.map((r) => [r.id, r.assignedAt.map((s) => s.kind)]),
        [
          ['G-100', ['computer']],
          ['G-300', ['policy']],
        ],
      );
      const last = must(await recommendations.last(other));
      assert.deepEqual(last.applied, { guard: ['G-100'] });
      assert.deepEqual(last.recommended, applied.recommended);

      // Un-excluding lets the next scan apply it; a scan with nothing new changes nothing.
      must(await rules.setExcludedFromRecommendations('guard', 'G-200', false, alice));
      assert.deepEqual(must(await recommendations.scan(other, { autoApply: true }, alice)).applied, {
        guard: ['G-200'],
      });
      const again = must(await recommendations.scan(other, { autoApply: true }, alice));
      assert.deepEqual(again.applied, {});
      assert.deepEqual(again.changedComputerIds, []);
    });

    it('updates and deletes custom rules only; a deleted policy leaves no assignment behind', async () => {
      const { rules } = t.services;
      mustFail(
        await rules.updateCustom('guard', 'G-100', { id: 'G-100', name: 'x', mode: 'detect' }, alice),
        'conflict',
        /read-only/,
      );
      mustFail(await rules.deleteCustom('guard', 'G-100', alice), 'conflict', /read-only/);
      mustFail(
        await rules.updateCustom('guard', 'C-1', { id: 'C-2', name: 'x', mode: 'detect' }, alice),
        'validation',
        /id/,
      );
      mustFail(
        await rules.updateCustom('guard', 'C-1', { id: 'C-1', name: '', mode: 'detect' }, alice),
        'validation',
        /\/name/,
      );
      mustFail(
        await rules.updateCustom('guard', 'C-404', { id: 'C-404', name: 'x', mode: 'detect' }, alice),
        'not-found',
      );
      const updated = must(
        await rules.updateCustom('guard', 'C-1', { id: 'C-1', name: 'Custom', mode: 'prevent' }, alice),
      );
      assert.deepEqual(updated.changedComputerIds, [computerId]);
      assert.deepEqual(
        (await compiledRules()).rules.find((r) => r.id === 'C-1'),
        { id: 'C-1', mode: 'prevent' },
      );
      mustFail(await rules.deleteCustom('guard', 'C-1', alice), 'conflict', /web-1/);
      must(await rules.unassign(target('computer', computerId), 'guard', ['C-1'], alice));
      must(await rules.deleteCustom('guard', 'C-1', alice));
      mustFail(await rules.get('guard', 'C-1'), 'not-found');

      const temporary = must(await t.services.policies.create({ name: 'Temporary' }, alice));
      must(await rules.assign(target('policy', temporary.id), 'guard', ['G-100'], alice));
      must(await rules.setOverrides(target('policy', temporary.id), 'guard', 'G-100', { mode: 'detect' }, alice));
      must(await t.services.policies.delete(temporary.id, {}, alice));
      for (const table of ['rule_assignments', 'rule_overrides'] as const) {
        const left = await t.store.db
          .selectFrom(table)
          .select('target_id')
          .where('target_id', '=', temporary.id)
          .execute();
        assert.deepEqual(left, [], table);
      }
    });

    it('the false-positive workflow: unassigned and excluded, a scan does not bring it back', async () => {
      const { rules, recommendations, inventory } = t.services;
      const host = await activateComputer(t.services, 'edge-1', web);
      must(await inventory.store(host, inventoryWith(['nginx'])));
      must(await recommendations.scan(host, { autoApply: true }, alice));
      assert.ok(must(await rules.get('guard', 'G-200')).assignedTo.some((s) => s.id === host));
      must(await rules.unassign(target('computer', host), 'guard', ['G-200'], alice));
      must(await rules.setExcludedFromRecommendations('guard', 'G-200', true, alice));
      const scan = must(await recommendations.scan(host, { autoApply: true }, alice));
      assert.deepEqual(scan.applied, {});
      assert.deepEqual(scan.excluded, { guard: ['G-200'] });
      assert.ok(!must(await rules.effectiveRules(host, 'guard')).some((r) => r.id === 'G-200'));
    });
  });
}
