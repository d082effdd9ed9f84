import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Value } from '@sinclair/typebox/value';
import { compileRuleset } from '../engine/index.js';
import { builtInRuleset, ruleGroupDescriptions } from '../rules/index.js';
import { managerModule } from './index.js';
import { compileLogInspect } from './loginspect-configuration.js';
import { LogInspectSettings } from './loginspect-settings.js';

const builtInIds = [...compileRuleset(builtInRuleset()).ruleset.rulesById.keys()].filter((id) => id < 102000);

describe('log inspection inner rules', () => {
  it('every built-in rule an event can name leads to the group rule that runs it', () => {
    const catalogue = new Set((managerModule.builtInRules ?? []).map((r) => r.id));
    let assignable = 0;
    for (const id of builtInIds) {
      const inner = managerModule.innerRule!(String(id));
      assert.ok(inner, `rule ${id}`);
      if (inner.assignableRuleId !== null) {
        assert.ok(catalogue.has(inner.assignableRuleId), `${id} → ${inner.assignableRuleId} is in the catalogue`);
        assignable++;
      }
    }
    assert.ok(assignable > builtInIds.length / 2, `${assignable} of ${builtInIds.length} rules are in a group rule`);
    assert.equal(managerModule.innerRule!('100302')?.assignableRuleId, 'loginspect.su');
    assert.equal(managerModule.innerRule!('loginspect.su'), undefined, 'a catalogue id is no inner rule');
    assert.equal(managerModule.innerRule!('999999'), undefined);
  });

  it('the silencing rule of every built-in rule is accepted by the compiler, all at once', () => {
    const silencers = builtInIds.map((id) => {
      const made = managerModule.silencingRule!(String(id));
      assert.ok('rule' in made, `rule ${id}`);
      return { id: made.rule.id, definition: made.rule, overrides: {} };
    });
    assert.equal(new Set(silencers.map((s) => s.id)).size, silencers.length);
    const settings = Value.Create(LogInspectSettings);
    const compiled = compileLogInspect(settings, silencers, new Set(Object.keys(ruleGroupDescriptions())));
    assert.deepEqual(compiled.rejectedRules, []);
    assert.equal(compiled.custom.length, builtInIds.length);
    assert.deepEqual(managerModule.silencingRule!('100302'), managerModule.silencingRule!('100302'), 'stable');
    assert.ok('refused' in managerModule.silencingRule!('123'));
  });
});
