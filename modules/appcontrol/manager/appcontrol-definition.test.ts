import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Inventory } from '@bulwark/protocol';
import { compileAppcontrolRules } from '../engine/index.js';
import { BUILT_IN_RULES } from '../rules/built-in-rules.js';
import { managerModule } from './index.js';

const inventory = (packages: string[]): Inventory =>
  ({
    os: { id: 'debian', name: 'Debian' },
    packages: packages.map((name) => ({ name, version: '1', manager: 'dpkg' })),
    listeningPorts: [],
    services: [],
    users: [],
  }) as unknown as Inventory;

test('every built-in rule loads', () => {
  assert.deepEqual(compileAppcontrolRules(BUILT_IN_RULES).refused, []);
  assert.equal(managerModule.builtInRules?.length, BUILT_IN_RULES.length);
});

test('recommends a rule for the hosts that have its package, not for others', () => {
  assert.deepEqual(managerModule.recommend?.(inventory(['openssh-server'])), ['appcontrol.root-login']);
  assert.deepEqual(managerModule.recommend?.(inventory(['nginx'])), []);
});

test('compile merges property overrides into the rule; checkRule refuses what the agent would', () => {
  const [definition] = BUILT_IN_RULES;
  const compiled = managerModule.compile({
    computerId: 'c1',
    settings: { enabled: true },
    platform: {} as never,
    rules: [{ id: 'appcontrol.root-login', definition, overrides: { severity: 'high' } }],
  }) as { rules: { severity: string }[] };
  assert.equal(compiled.rules[0]?.severity, 'high');
  const issues = managerModule.checkRule?.(
    { id: 'appcontrol.root-login', definition, overrides: { severity: 'urgent' } },
    { settings: null, everywhere: [] },
  );
  assert.equal(issues?.length, 1);
});
