import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseWith } from '@bulwark/protocol';
import { Value } from '@sinclair/typebox/value';
import { AppcontrolConfiguration, checkAppcontrolRule } from '../engine/index.js';
import { AppcontrolSettings, managerModule } from './index.js';

const HASH = 'ab'.repeat(32);
const defaults = () => Value.Create(AppcontrolSettings);

test('every built-in ruleset loads', () => {
  assert.ok((managerModule.builtInRules ?? []).length > 0);
  for (const r of managerModule.builtInRules ?? []) assert.ok(checkAppcontrolRule(r).ok, String(r.id));
});

test('compile gives the agent its settings (maintenance end in ms) and checked rulesets; refused ones named', () => {
  const compiled = managerModule.compile({
    computerId: 'c1',
    settings: { ...defaults(), enabled: true, mode: 'block-unrecognized', maintenanceUntil: '2026-12-07T13:00:00Z' },
    platform: {} as never,
    rules: [
      { id: 'z-ok', definition: { id: 'z-ok', name: 'ok', action: 'allow', hashes: [HASH] }, overrides: {} },
      { id: 'a-bad', definition: { id: 'a-bad', name: 'bad', action: 'block', paths: ['relative'] }, overrides: {} },
    ],
  });
  const parsed = parseWith(AppcontrolConfiguration, compiled);
  assert.ok(parsed.ok);
  assert.equal(parsed.value.settings.maintenanceUntilMs, Date.parse('2026-12-07T13:00:00Z'));
  assert.equal(parsed.value.settings.mode, 'block-unrecognized');
  assert.deepEqual(
    parsed.value.rules.map((r) => (r as { id: string }).id),
    ['z-ok'],
  );
  assert.equal(parsed.value.rejectedRules[0]?.id, 'a-bad');
  assert.match(parsed.value.rejectedRules[0]?.reason ?? '', /absolute/);
  const off = managerModule.compile({ computerId: 'c1', settings: defaults(), platform: {} as never, rules: [] });
  assert.equal((off as { settings: { maintenanceUntilMs: unknown } }).settings.maintenanceUntilMs, null);
});

test('checkRule refuses at the API what the agent would refuse', () => {
  const check = (definition: unknown) =>
    managerModule.checkRule?.({ id: 'r', definition, overrides: {} }, { settings: null, everywhere: [] }) ?? [];
  assert.deepEqual(check({ id: 'r', name: 'r', action: 'allow', hashes: [HASH] }), []);
  assert.equal(check({ id: 'r', name: 'r', action: 'allow' })[0]?.path, '/hashes');
  assert.equal(check({ id: 'r', name: 'r', action: 'allow', paths: ['/ok', 'x'] })[0]?.path, '/paths/1');
  assert.ok(check({ id: 'r', name: 'r', action: 'maybe', hashes: [HASH] }).length > 0);
});

test('an event names its software; silencing it is an allow ruleset for that hash, the same every time', () => {
  const ruleId = `appcontrol.sha256.${HASH}`;
  assert.equal(managerModule.innerRule?.(ruleId)?.details?.sha256, HASH);
  assert.equal(managerModule.innerRule?.('appcontrol.block-temporary-directories'), undefined);
  const made = managerModule.silencingRule?.(ruleId);
  assert.ok(made && 'rule' in made);
  const again = managerModule.silencingRule?.(ruleId);
  assert.ok(again && 'rule' in again);
  assert.deepEqual(made.rule, again.rule, 'the same rule every time');
  assert.ok(checkAppcontrolRule(made.rule).ok);
  assert.deepEqual(made.rule.hashes, [HASH]);
  assert.equal(made.rule.action, 'allow');
  const refused = managerModule.silencingRule?.('appcontrol.unrecognized');
  assert.ok(refused && 'refused' in refused);
});

test("settings: defaults fit; roots and enforced mounts are the administrator's", () => {
  assert.ok(Value.Check(AppcontrolSettings, defaults()));
  assert.equal(defaults().mode, 'allow-unrecognized');
  assert.ok(!Value.Check(AppcontrolSettings, { ...defaults(), maintenanceUntil: 'tomorrow' }));
  assert.deepEqual(managerModule.administratorSettings, ['roots', 'enforcedMounts']);
  assert.ok(managerModule.commands?.some((c) => c.cli?.verb === 'appcontrol-inventory'));
});
