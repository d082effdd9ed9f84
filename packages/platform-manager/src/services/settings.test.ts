import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { testStores } from '../storage/test-stores.js';
import type { Policy } from './policies.js';
import type { EffectiveSetting } from './settings-resolver.js';
import { activateComputer, alice, must, mustFail, openTestServices, type TestServices } from './test-services.js';

function find(settings: readonly EffectiveSetting[], key: string): EffectiveSetting {
  const setting = settings.find((s) => s.key === key);
  assert.ok(setting, `no setting ${key}`);
  return setting;
}

for (const testStore of await testStores()) {
  describe(`settings and configuration (${testStore.name})`, { skip: testStore.skip }, () => {
    let t: TestServices;
    before(async () => {
      t = await openTestServices(testStore);
    });
    after(async () => {
      await t?.close();
    });

    it('resolves default → root → … → policy → computer with provenance', async () => {
      const { policies, settings } = t.services;
      const base = must(await policies.create({ name: 'Base Policy' }, alice));
      const linux = must(await policies.create({ name: 'Linux Server', parentId: base.id }, alice));
      const web = must(await policies.create({ name: 'Web Server', parentId: linux.id }, alice));
      const computerId = await activateComputer(t.services, 'web-1', web.id);

      must(await settings.set({ kind: 'policy', id: base.id }, 'sample.level', 2, alice));
      must(await settings.set({ kind: 'policy', id: linux.id }, 'platform.networkEngineMode', 'tap', alice));
      must(await settings.set({ kind: 'policy', id: web.id }, 'sample.level', 7, alice));
      must(await settings.set({ kind: 'computer', id: computerId }, 'sample.mode', 'b', alice));

      const atComputer = must(await settings.effective({ kind: 'computer', id: computerId }));
      assert.deepEqual(find(atComputer, 'sample.level'), {
        key: 'sample.level',
        value: 7,
        overridden: false,
        source: { kind: 'policy', id: web.id, name: 'Web Server' },
      });
      assert.deepEqual(find(atComputer, 'platform.networkEngineMode'), {
        key: 'platform.networkEngineMode',
        value: 'tap',
        overridden: false,
        source: { kind: 'policy', id: linux.id, name: 'Linux Server' },
      });
      assert.deepEqual(find(atComputer, 'sample.mode'), {
        key: 'sample.mode',
        value: 'b',
        overridden: true,
        source: { kind: 'computer', id: computerId, name: 'web-1' },
      });
      assert.deepEqual(find(atComputer, 'platform.heartbeatIntervalSeconds'), {
        key: 'platform.heartbeatIntervalSeconds',
        value: 60,
        overridden: false,
        source: { kind: 'default' },
      });

      const atWeb = must(await settings.effective({ kind: 'policy', id: web.id }));
      assert.equal(find(atWeb, 'sample.level').overridden, true);
      assert.equal(find(atWeb, 'sample.mode').source.kind, 'default');
      const atBase = must(await settings.effective({ kind: 'policy', id: base.id }));
      assert.equal(find(atBase, 'sample.level').value, 2);
      assert.equal(find(atBase, 'platform.networkEngineMode').value, 'inline');

      const configuration = must(await t.services.configuration.compile(computerId));
      assert.equal(configuration.platform.networkEngineMode, 'tap');
      assert.deepEqual(configuration.modules.sample, {
        enabled: true,
        configuration: { level: 7, mode: 'b', detectOnly: true },
      });

      // Removing the Web Server override lets Base Policy's value through.
      must(await settings.unset({ kind: 'policy', id: web.id }, 'sample.level', alice));
      const after = must(await settings.effective({ kind: 'computer', id: computerId }));
      assert.equal(find(after, 'sample.level').value, 2);
      assert.equal(find(after, 'sample.level').source.id, base.id);
      mustFail(
        await settings.unset({ kind: 'policy', id: web.id }, 'sample.level', alice),
        'not-found',
        /already inherited/,
      );
    });

    it('refuses unknown keys and bad values with a message that says why', async () => {
      const { policies, settings } = t.services;
      const policy = must(await policies.create({ name: 'Validation' }, alice));
      const target = { kind: 'policy', id: policy.id } as const;
      mustFail(await settings.set(target, 'nosuch.thing', 1, alice), 'validation', /modules are platform, sample/);
      mustFail(await settings.set(target, 'sample.nothing', 1, alice), 'validation', /sample.level/);
      mustFail(await settings.set(target, 'sample.level', 11, alice), 'validation', /sample.level: 11 is not allowed/);
      mustFail(await settings.set(target, 'sample.level', '5', alice), 'validation', /integer/i);
      mustFail(await settings.set(target, 'platform.networkEngineMode', 'bridge', alice), 'validation');
      mustFail(
        await settings.set({ kind: 'policy', id: '00000000-0000-4000-8000-000000000000' }, 'sample.level', 1, alice),
        'not-found',
      );
      const effective = must(await settings.effective(target));
      assert.equal(effective.filter((s) => s.overridden).length, 0, 'a refused value must not be stored');
    });

    it('changes the configuration version exactly when the effective content changes', async () => {
      const { policies, settings, computers } = t.services;
      const parent = must(await policies.create({ name: 'Version Parent' }, alice));
      const child = must(await policies.create({ name: 'Version Child', parentId: parent.id }, alice));
      const other = must(await policies.create({ name: 'Version Other' }, alice));
      const inChild = await activateComputer(t.services, 'v-child', child.id);
      const inOther = await activateComputer(t.services, 'v-other', other.id);
      const version = async (id: string) => must(await computers.get(id)).configurationVersion;
      const v0 = await version(inChild);
      const w0 = await version(inOther);
      assert.match(v0 ?? '', /^[0-9a-f]{64}$/);

      // A setting on an ancestor changes the computers below it, and only them.
      const set = must(await settings.set({ kind: 'policy', id: parent.id }, 'sample.level', 3, alice));
      assert.deepEqual(set.changedComputerIds, [inChild]);
      const v1 = await version(inChild);
      assert.notEqual(v1, v0);
      assert.equal(await version(inOther), w0);

      // Setting the same value again, or the default value explicitly one level down, changes nothing.
      assert.deepEqual(
        must(await settings.set({ kind: 'policy', id: parent.id }, 'sample.level', 3, alice)).changedComputerIds,
        [],
      );
      assert.deepEqual(
        must(await settings.set({ kind: 'policy', id: child.id }, 'sample.level', 3, alice)).changedComputerIds,
        [],
      );
      assert.equal(await version(inChild), v1);

      // Moving the computer to a policy with the same effective settings keeps its version;
      // to one with different settings changes it, and back restores it.
      const twin = must(await policies.create({ name: 'Version Twin' }, alice));
      assert.deepEqual(must(await computers.update(inOther, { policyId: twin.id }, alice)).changedComputerIds, []);
      assert.equal(await version(inOther), w0);
      assert.deepEqual(must(await computers.update(inOther, { policyId: child.id }, alice)).changedComputerIds, [
        inOther,
      ]);
      assert.notEqual(await version(inOther), w0);
      assert.deepEqual(must(await computers.update(inOther, { policyId: other.id }, alice)).changedComputerIds, [
        inOther,
      ]);
      assert.equal(await version(inOther), w0);

      // Moving the child policy to the root drops the parent's value: the version goes back.
      must(await settings.unset({ kind: 'policy', id: child.id }, 'sample.level', alice));
      const move = must(await policies.move(child.id, null, alice));
      assert.deepEqual(move.changedComputerIds, [inChild]);
      assert.equal(await version(inChild), v0);

      // The version is the content hash of the document the agent receives.
      const compiled = must(await t.services.configuration.compile(inChild));
      assert.equal(compiled.version, v0);
      assert.equal(compiled.computerId, inChild);
    });

    it('lists the platform and every registered module with its defaults', () => {
      const modules = t.services.modules.list();
      assert.deepEqual(
        modules.map((m) => m.id),
        ['platform', 'sample'],
      );
      assert.equal(modules[0]?.defaults.heartbeatIntervalSeconds, 60);
      assert.deepEqual(modules[1]?.defaults, { enabled: true, level: 5, mode: 'a' });
    });

    it('audits setting changes with before and after values', async () => {
      const policy = must(await t.services.policies.create({ name: 'Audited settings' }, alice));
      const target = { kind: 'policy', id: policy.id } as const;
      must(await t.services.settings.set(target, 'sample.level', 1, alice));
      must(await t.services.settings.set(target, 'sample.level', 4, alice));
      must(await t.services.settings.unset(target, 'sample.level', alice));
      const entries = must(await t.services.audit.list({ targetKind: 'policy', targetId: policy.id })).items;
      assert.deepEqual(
        entries.map((e) => [e.action, e.before, e.after]),
        [
          ['setting.unset', { key: 'sample.level', value: 4 }, { key: 'sample.level', inherited: true }],
          ['setting.set', { key: 'sample.level', value: 1 }, { key: 'sample.level', value: 4 }],
          ['setting.set', { key: 'sample.level', inherited: true }, { key: 'sample.level', value: 1 }],
          ['policy.create', null, entries[3]?.after],
        ],
      );
      assert.deepEqual(entries[0]?.actor, { kind: 'user', id: alice.id, name: 'alice' });
    });

    it('stored chains of random overrides resolve to the nearest override or the default', async () => {
      const { policies, settings } = t.services;
      let run = 0;
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.option(fc.integer({ min: 0, max: 10 }), { nil: undefined }), { minLength: 1, maxLength: 4 }),
          fc.option(fc.integer({ min: 0, max: 10 }), { nil: undefined }),
          async (policyLevels, computerLevel) => {
            run++;
            let parentId: string | null = null;
            const chain: string[] = [];
            for (const [depth, level] of policyLevels.entries()) {
              const policy: Policy = must(await policies.create({ name: `prop ${run}.${depth}`, parentId }, alice));
              if (level !== undefined)
                must(await settings.set({ kind: 'policy', id: policy.id }, 'sample.level', level, alice));
              chain.push(policy.id);
              parentId = policy.id;
            }
            const computerId = await activateComputer(t.services, `prop-${run}`, parentId);
            if (computerLevel !== undefined) {
              must(await settings.set({ kind: 'computer', id: computerId }, 'sample.level', computerLevel, alice));
            }
            const level = find(must(await settings.effective({ kind: 'computer', id: computerId })), 'sample.level');
            const layers = [...policyLevels, computerLevel];
            const nearest = layers.findLastIndex((l) => l !== undefined);
            if (nearest === -1) {
              assert.deepEqual([level.value, level.source.kind], [5, 'default']);
            } else {
              assert.equal(level.value, layers[nearest]);
              assert.equal(level.source.id, nearest === policyLevels.length ? computerId : chain[nearest]);
            }
            assert.equal(level.overridden, computerLevel !== undefined);
            const compiled = must(await t.services.configuration.compile(computerId));
            assert.deepEqual(compiled.modules.sample?.configuration, {
              level: level.value,
              mode: 'a',
              detectOnly: false,
            });
          },
        ),
        { numRuns: 12 },
      );
    });
  });
}
