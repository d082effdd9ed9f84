import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { managerModule as firewallManager } from '@bulwark/module-firewall/manager';
import { managerModule as integrityModule } from '@bulwark/module-integrity/manager';
import { managerModule as loginspectModule } from '@bulwark/module-loginspect/manager';
import { testStores } from '../storage/test-stores.js';
import { activateComputer, alice, must, mustFail, openTestServices, type TestServices } from './test-services.js';

// `rules override … '{"mode":"detect"}'` (docs/cli.md) through the real modules: the firewall takes
// it on deny rules, the modules that never block refuse it saying why.
for (const testStore of await testStores()) {
  describe(`per-rule mode overrides (${testStore.name})`, { skip: testStore.skip }, () => {
    let t: TestServices;
    let policy: { kind: 'policy'; id: string };
    let computerId: string;
    before(async () => {
      t = await openTestServices(testStore, [firewallManager, loginspectModule, integrityModule]);
      policy = { kind: 'policy', id: must(await t.services.policies.create({ name: 'Web' }, alice)).id };
      computerId = await activateComputer(t.services, 'web-1', policy.id);
    });
    after(async () => {
      await t?.close();
    });

    const modeOf = async (ruleId: string) => {
      const configuration = must(await t.services.configuration.compile(computerId));
      const firewall = configuration.modules.firewall?.configuration as { rules: { id: string; mode?: string }[] };
      return firewall.rules.find((r) => r.id === ruleId)?.mode;
    };

    it('a firewall deny rule overridden to detect reaches the computer in detect mode', async () => {
      must(await t.services.rules.assign(policy, 'firewall', ['deny-syn-fin'], alice));
      must(await t.services.rules.setOverrides(policy, 'firewall', 'deny-syn-fin', { mode: 'detect' }, alice));
      assert.equal(await modeOf('deny-syn-fin'), 'detect');
      // And back: the computer overrides it to prevent again.
      const computer = { kind: 'computer' as const, id: computerId };
      must(await t.services.rules.setOverrides(computer, 'firewall', 'deny-syn-fin', { mode: 'prevent' }, alice));
      assert.equal(await modeOf('deny-syn-fin'), 'prevent');
    });

    it('detect on a firewall allow rule, or an unknown mode, is refused with the reason', async () => {
      mustFail(
        await t.services.rules.setOverrides(policy, 'firewall', 'allow-ssh', { mode: 'detect' }, alice),
        'validation',
        /mode "detect" applies to deny rules only: a allow rule drops nothing/,
      );
      mustFail(
        await t.services.rules.setOverrides(policy, 'firewall', 'deny-syn-fin', { mode: 'watch' }, alice),
        'validation',
        /mode must be "prevent" or "detect"/,
      );
    });

    it('log inspection and integrity monitoring refuse a mode, saying they never block', async () => {
      const log = mustFail(
        await t.services.rules.setOverrides(policy, 'loginspect', 'loginspect.sshd', { mode: 'detect' }, alice),
        'validation',
      );
      assert.match(log, /log inspection only reads logs and raises events; it never blocks anything/);
      mustFail(
        await t.services.rules.setOverrides(policy, 'loginspect', 'loginspect.sshd', { description: 'x' }, alice),
        'validation',
        /log inspection rules take no overrides/,
      );
      const builtIn = integrityModule.builtInRules?.[0]?.id;
      assert.ok(builtIn);
      mustFail(
        await t.services.rules.setOverrides(policy, 'integrity', builtIn, { mode: 'detect' }, alice),
        'validation',
        /integrity monitoring only detects changes and blocks nothing/,
      );
    });
  });
}
