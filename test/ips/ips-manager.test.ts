/**
 * The IPS module in a real manager (SQLite, the platform's services): per-rule mode and parameter
 * overrides at policy and computer reach the computer's configuration; overrides the agent would
 * refuse are refused at the API with the field named; a Suricata file imports as rules `sid:<n>`,
 * the ones the engine cannot evaluate in full refused with their line.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { BUILT_IN_RULES } from '../../modules/ips/rules/built-in-rules.js';
import { startTestManager, type TestManager } from '../manager/manager-harness.js';
import { SYSTEM } from '../manager/real-agent-process.js';

type Assigned = { rule: { id: string }; mode?: string; parameters?: Record<string, number> };

const uriRule = BUILT_IN_RULES.find((r) => r.detection.kind === 'http-limits');
const suricataRule = BUILT_IN_RULES.find((r) => r.detection.kind === 'suricata');

describe('IPS rules in a real manager', () => {
  let t: TestManager;
  let policy: { kind: 'policy'; id: string };
  let computer: { kind: 'computer'; id: string };

  before(async () => {
    assert.ok(uriRule && suricataRule, 'built-in rules: an HTTP limits rule and a Suricata-language rule');
    t = await startTestManager();
    const { services } = t.manager;
    const created = await services.policies.create({ name: 'Web' }, SYSTEM);
    assert.ok(created.ok);
    policy = { kind: 'policy', id: created.value.id };
    assert.ok((await services.settings.set(policy, 'ips.enabled', true, SYSTEM)).ok);
    const token = await services.activationTokens.create({ name: 'web-1', policyId: policy.id }, SYSTEM);
    assert.ok(token.ok);
    const activated = await services.computers.activate({
      token: token.value.token,
      hostname: 'web-1',
      agentVersion: '0.1.0',
      platform: 'Debian 12',
    });
    assert.ok(activated.ok);
    computer = { kind: 'computer', id: activated.value.computerId };
  });
  after(() => t?.close());

  const ipsRules = async (): Promise<Assigned[]> => {
    const compiled = await t.manager.services.configuration.compile(computer.id);
    assert.ok(compiled.ok);
    const ips = compiled.value.modules.ips;
    assert.ok(ips);
    return (ips.configuration as { rules: Assigned[] }).rules;
  };

  test('mode at the policy and parameters at the computer reach the computer, merged', async () => {
    const { rules } = t.manager.services;
    assert.ok((await rules.assign(policy, 'ips', [uriRule!.id, suricataRule!.id], SYSTEM)).ok);
    assert.ok((await rules.setOverrides(policy, 'ips', uriRule!.id, { mode: 'detect' }, SYSTEM)).ok);
    const set = await rules.setOverrides(computer, 'ips', uriRule!.id, { parameters: { maxUriLength: 8000 } }, SYSTEM);
    assert.ok(set.ok, set.ok ? '' : set.error.message);
    const uri = (await ipsRules()).find((r) => r.rule.id === uriRule!.id);
    assert.deepEqual(
      { mode: uri?.mode, parameters: uri?.parameters },
      { mode: 'detect', parameters: { maxUriLength: 8000 } },
    );
    assert.equal((await ipsRules()).find((r) => r.rule.id === suricataRule!.id)?.mode, undefined);
  });

  test('overrides the agent would refuse are refused at the API, naming the field', async () => {
    const { rules } = t.manager.services;
    const refuse = async (ruleId: string, overrides: Record<string, unknown>, message: RegExp) => {
      const r = await rules.setOverrides(policy, 'ips', ruleId, overrides, SYSTEM);
      assert.equal(r.ok, false, `${JSON.stringify(overrides)} should be refused`);
      if (!r.ok) assert.match(r.error.message, message);
    };
    await refuse(uriRule!.id, { mode: 'block' }, /mode must be "prevent" or "detect"/);
    await refuse(uriRule!.id, { parameters: { maxUriLen: 10 } }, /no parameter maxUriLen/);
    await refuse(uriRule!.id, { severity: 'low' }, /may set mode or parameters/);
    await refuse(suricataRule!.id, { parameters: { maxUriLength: 10 } }, /no parameters to override/);
  });

  test('a Suricata file imports as sid rules; what the engine refuses is named with its line', async () => {
    const file = [
      '# local rules',
      'alert http any any -> $HOME_NET $HTTP_PORTS (msg:"LOCAL admin path"; flow:established,to_server; http.uri; content:"/wp-admin/setup-config.php"; nocase; classtype:web-application-attack; sid:9000001; rev:1;)',
      'alert tcp any any -> any 80 (msg:"LOCAL lua"; lua:check.lua; sid:9000002; rev:1;)',
      '',
    ].join('\n');
    const imported = await t.manager.services.rules.importRuleFile('ips', file, SYSTEM);
    assert.ok(imported.ok, imported.ok ? '' : imported.error.message);
    assert.equal(imported.value.added, 1);
    assert.deepEqual(
      imported.value.refused.map((r) => [r.line, r.id]),
      [[3, 'sid:9000002']],
    );
    const shown = await t.manager.services.rules.get('ips', 'sid:9000001');
    assert.ok(shown.ok);
    assert.equal((shown.value.definition as { name: string }).name, 'LOCAL admin path');
    assert.ok((await t.manager.services.rules.assign(computer, 'ips', ['sid:9000001'], SYSTEM)).ok);
    assert.ok((await ipsRules()).some((r) => r.rule.id === 'sid:9000001'));
  });
});
