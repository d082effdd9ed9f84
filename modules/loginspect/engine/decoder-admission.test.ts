import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compileRuleset, LogInspectionEngine, type RulesetFile } from './index.js';

// Rules are left out of the walk when their decoder checks cannot pass; these cases are where a
// wrong idea of what a decoder can produce would drop a rule that should match.
const DECODERS: RulesetFile = {
  name: 'admission_decoders.xml',
  content: `
<decoder name="shop">
  <prematch>^shop: </prematch>
</decoder>
<decoder name="shop-order">
  <parent>shop</parent>
  <prematch offset="after_parent">^order </prematch>
  <regex offset="after_prematch">^(\\S+)</regex>
  <order>id</order>
</decoder>
<decoder name="shop-order">
  <parent>shop</parent>
  <regex offset="after_regex">^ by (\\S+)</regex>
  <order>user</order>
</decoder>
<decoder name="shop-json">
  <prematch>^{"shop"</prematch>
  <plugin_decoder>JSON_Decoder</plugin_decoder>
</decoder>
<decoder name="plain">
  <prematch>^plain </prematch>
</decoder>`,
};

const RULES: RulesetFile = {
  name: 'admission_rules.xml',
  content: `
<group name="syslog,">
  <rule id="1" level="0" noalert="1"><category>syslog</category><description>template</description></rule>
  <rule id="2" level="0" noalert="1"><category>firewall</category><description>firewall template</description></rule>
  <rule id="10" level="3"><field name="tier">gold</field><description>gold tier</description></rule>
  <rule id="11" level="8"><user>alice</user><description>alice acted</description></rule>
  <rule id="12" level="5"><id>^A-</id><description>A order</description></rule>
  <rule id="13" level="6"><decoded_as>plain</decoded_as><description>plain line</description></rule>
  <rule id="14" level="2"><field name="shop.item">lamp</field><description>lamp</description></rule>
  <rule id="20" level="7"><if_sid>2</if_sid><description>firewall event</description></rule>
</group>`,
};

function engine(): LogInspectionEngine {
  const { ruleset, problems } = compileRuleset({ decoders: [DECODERS], rules: [RULES] });
  assert.deepEqual(
    problems.filter((p) => p.severity === 'error'),
    [],
  );
  return new LogInspectionEngine(ruleset);
}

const ruleOf = (e: LogInspectionEngine, line: string) =>
  e.process({ line: `Nov 18 12:00:00 host app: ${line}`, location: 'a', time: 0 }).rule?.id;

test('a field produced by a later namesake of the matching child counts', () => {
  const e = engine();
  assert.equal(ruleOf(e, 'shop: order A-1 by alice'), 11);
  assert.equal(ruleOf(e, 'shop: order A-1 by'), 12);
});

test('a JSON decoder can produce any field', () => {
  const e = engine();
  assert.equal(ruleOf(e, '{"shop":1,"tier":"gold"}'), 10);
  assert.equal(ruleOf(e, '{"shop":{"item":"lamp"}}'), 14);
  assert.equal(ruleOf(e, '{"shop":1,"user":"alice"}'), 11);
});

test('rules for other decoders, other categories and absent fields do not match', () => {
  const e = engine();
  assert.equal(ruleOf(e, 'plain text'), 13);
  assert.equal(ruleOf(e, 'shop: refund'), undefined);
  assert.equal(ruleOf(e, 'nothing decodes this'), undefined);
});
