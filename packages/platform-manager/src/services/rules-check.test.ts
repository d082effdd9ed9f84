import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ManagerModule } from '@bulwark/protocol';
import { Type } from '@sinclair/typebox';
import { testStores } from '../storage/test-stores.js';
import { inventoryWith } from './rules-test-module.js';
import { activateComputer, alice, must, mustFail, openTestServices, type TestServices } from './test-services.js';

/** A module whose rules name a port that must be in the `allowedPorts` setting where they are in force. */
const portsModule: ManagerModule = {
  id: 'ports',
  name: 'Ports',
  description: 'Test module whose rules refer to a setting',
  settings: Type.Object(
    {
      enabled: Type.Boolean({ default: true }),
      allowedPorts: Type.Array(Type.Integer(), { default: [22] }),
    },
    { additionalProperties: false },
  ),
  ruleSchema: Type.Object(
    { id: Type.String(), name: Type.String(), port: Type.Integer() },
    { additionalProperties: false },
  ),
  compile: ({ rules }) => ({ rules: rules.map((r) => r.id) }),
  recommend: () => ['http', 'ssh'],
  checkRule: (rule, context) => {
    const port = { ...(rule.definition as { port: number }), ...rule.overrides }.port;
    const known = (context.settings ? [context.settings] : context.everywhere).some((s) =>
      (s as { allowedPorts: number[] }).allowedPorts.includes(port),
    );
    return known ? [] : [{ path: '/port', message: `port ${port} is not in ports.allowedPorts` }];
  },
};

const auditCount = async (t: TestServices) => (await t.store.db.selectFrom('audit_log').select('id').execute()).length;

for (const testStore of await testStores()) {
  describe(`rule checks where rules are in force (${testStore.name})`, { skip: testStore.skip }, () => {
    let t: TestServices;
    let a: string;
    let b: string;
    let c1: string;
    let c2: string;
    before(async () => {
      t = await openTestServices(testStore, [portsModule]);
      a = must(await t.services.policies.create({ name: 'A' }, alice)).id;
      b = must(await t.services.policies.create({ name: 'B', parentId: a }, alice)).id;
      c1 = await activateComputer(t.services, 'c1', a);
      c2 = await activateComputer(t.services, 'c2', a);
      must(await t.services.settings.set({ kind: 'policy', id: a }, 'ports.allowedPorts', [22, 80], alice));
      must(await t.services.settings.set({ kind: 'policy', id: b }, 'ports.allowedPorts', [22], alice));
    });
    after(async () => {
      await t?.close();
    });

    it('a custom rule must refer to something some level has; nothing is stored otherwise', async () => {
      const audit = await auditCount(t);
      const message = mustFail(
        await t.services.rules.createCustom('ports', { id: 'https', name: 'HTTPS', port: 443 }, alice),
        'validation',
        /port 443/,
      );
      assert.match(message, /rule https cannot be used by the ports module/);
      assert.equal(await auditCount(t), audit);
      must(await t.services.rules.createCustom('ports', { id: 'http', name: 'HTTP', port: 80 }, alice));
    });

    it('assignment is checked at the target and at every policy and computer below it', async () => {
      const audit = await auditCount(t);
      const version = must(await t.services.computers.get(c1)).configurationVersion;
      const refused = await t.services.rules.assign({ kind: 'policy', id: a }, 'ports', ['http'], alice);
      assert.ok(!refused.ok);
      assert.equal(refused.error.kind, 'conflict');
      assert.match(refused.error.message, /http at policy B: \/port port 80 is not in ports\.allowedPorts/);
      assert.deepEqual(refused.error.issues, [
        { path: '/ruleIds/0', message: 'http at policy B: port 80 is not in ports.allowedPorts' },
      ]);
      assert.equal(await auditCount(t), audit);
      assert.equal(must(await t.services.computers.get(c1)).configurationVersion, version);
      assert.deepEqual(must(await t.services.rules.effective({ kind: 'policy', id: a }, 'ports')), []);

      must(await t.services.settings.set({ kind: 'policy', id: b }, 'ports.allowedPorts', [22, 80], alice));
      must(await t.services.rules.assign({ kind: 'policy', id: a }, 'ports', ['http'], alice));
    });

    it('a settings change that strands an assigned rule is a conflict naming the rule and where', async () => {
      const audit = await auditCount(t);
      mustFail(
        await t.services.settings.set({ kind: 'computer', id: c2 }, 'ports.allowedPorts', [22], alice),
        'conflict',
        /ports\.allowedPorts: .*http at computer c2/,
      );
      const atA = mustFail(
        await t.services.settings.unset({ kind: 'policy', id: a }, 'ports.allowedPorts', alice),
        'conflict',
      );
      // c1 has nothing of its own, so it is covered by A's check; B keeps 80 through its own value.
      assert.match(atA, /http at policy A/);
      assert.doesNotMatch(atA, /policy B|computer c1/);
      assert.equal(await auditCount(t), audit);
      assert.deepEqual(
        (await t.store.db.selectFrom('settings').select('key').where('target_id', '=', c2).execute()).length,
        0,
      );
    });

    it('problems that were already there do not block unrelated changes', async () => {
      // A rule stored before these checks existed, already unenforceable at c1.
      await t.store.db
        .insertInto('custom_rules')
        .values({
          module: 'ports',
          id: 'legacy',
          definition_json: JSON.stringify({ id: 'legacy', name: 'Legacy', port: 9999 }),
          created_at: 0,
          updated_at: 0,
        })
        .execute();
      await t.store.db
        .insertInto('rule_assignments')
        .values({ target_kind: 'computer', target_id: c1, module: 'ports', rule_id: 'legacy', assigned_at: 0 })
        .execute();
      must(await t.services.settings.set({ kind: 'policy', id: a }, 'ports.enabled', false, alice));
      must(await t.services.settings.set({ kind: 'computer', id: c1 }, 'ports.allowedPorts', [22, 80], alice));
      // …but a change that makes it worse elsewhere still is refused.
      mustFail(
        await t.services.settings.set({ kind: 'computer', id: c1 }, 'ports.allowedPorts', [22], alice),
        'conflict',
        /http at computer c1/,
      );
    });

    it('an override is checked at its level even where the rule is not assigned yet', async () => {
      must(await t.services.rules.createCustom('ports', { id: 'ssh', name: 'SSH', port: 22 }, alice));
      const failed = await t.services.rules.setOverrides(
        { kind: 'policy', id: b },
        'ports',
        'ssh',
        { port: 443 },
        alice,
      );
      assert.ok(!failed.ok);
      assert.equal(failed.error.kind, 'validation');
      assert.deepEqual(failed.error.issues, [
        { path: '/overrides/port', message: 'ssh at policy B: port 443 is not in ports.allowedPorts' },
      ]);
      must(await t.services.rules.setOverrides({ kind: 'policy', id: b }, 'ports', 'ssh', { port: 80 }, alice));
    });

    it('moving a computer, or deleting its policy with force, is checked for the rules in force on it', async () => {
      const d = must(await t.services.policies.create({ name: 'D' }, alice)).id;
      const e = must(await t.services.policies.create({ name: 'E' }, alice)).id;
      must(await t.services.settings.set({ kind: 'policy', id: d }, 'ports.allowedPorts', [22, 80], alice));
      const c4 = await activateComputer(t.services, 'c4', d);
      must(await t.services.rules.assign({ kind: 'computer', id: c4 }, 'ports', ['http'], alice));
      const audit = await auditCount(t);
      const version = must(await t.services.computers.get(c4)).configurationVersion;
      const moved = await t.services.computers.update(c4, { policyId: e, description: 'x' }, alice);
      assert.ok(!moved.ok);
      assert.equal(moved.error.kind, 'conflict');
      assert.match(
        moved.error.message,
        /^moving computer c4 to policy E would leave rules in force on it unenforceable/,
      );
      assert.deepEqual(moved.error.issues, [
        { path: '/policyId', message: 'http at computer c4: /port port 80 is not in ports.allowedPorts' },
      ]);
      mustFail(await t.services.policies.delete(d, { force: true }, alice), 'conflict', /http at computer c4/);
      const after = must(await t.services.computers.get(c4));
      assert.deepEqual([after.policyId, after.description, after.configurationVersion], [d, '', version]);
      assert.ok(must(await t.services.policies.get(d)));
      assert.equal(await auditCount(t), audit);
      // Both ways pass once the computer itself allows the port.
      must(await t.services.settings.set({ kind: 'computer', id: c4 }, 'ports.allowedPorts', [80], alice));
      must(await t.services.computers.update(c4, { policyId: e }, alice));
      must(await t.services.computers.update(c4, { policyId: d }, alice));
      must(await t.services.policies.delete(d, { force: true }, alice));
      assert.equal(must(await t.services.computers.get(c4)).policyId, null);
    });

    it('recommendation auto-apply leaves out rules the module could not enforce on the computer, saying why', async () => {
      const c3 = await activateComputer(t.services, 'c3', null);
      must(await t.services.inventory.store(c3, inventoryWith([])));
      const scan = must(await t.services.recommendations.scan(c3, { autoApply: true }, alice));
      assert.deepEqual(scan.recommended, { ports: ['http', 'ssh'] });
      assert.deepEqual(scan.applied, { ports: ['ssh'] });
      assert.deepEqual(scan.notApplied, {
        ports: [{ id: 'http', reason: '/port port 80 is not in ports.allowedPorts' }],
      });
      assert.deepEqual(
        must(await t.services.rules.effective({ kind: 'computer', id: c3 }, 'ports')).map((r) => r.id),
        ['ssh'],
      );
    });
  });
}
