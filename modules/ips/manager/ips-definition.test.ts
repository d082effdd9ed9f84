import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Inventory } from '@bulwark/protocol';
import { compileIpsRules } from '../engine/index.js';
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
  assert.deepEqual(
    compileIpsRules(
      BUILT_IN_RULES.map((rule) => ({ rule })),
      { variables: {} },
    ).refused,
    [],
  );
  assert.equal(managerModule.builtInRules?.length, BUILT_IN_RULES.length);
});

test('recommends a rule for the hosts that have its package, not for others', () => {
  assert.deepEqual(managerModule.recommend?.(inventory(['openssh-server'])), ['bw-1000900']);
  assert.ok(managerModule.recommend?.(inventory(['nginx']))?.includes('bw-1000100'));
  assert.deepEqual(managerModule.recommend?.(inventory(['coreutils'])), []);
});

test('compile merges property overrides into the rule; checkRule refuses what the agent would', () => {
  const [definition] = BUILT_IN_RULES;
  const compiled = managerModule.compile({
    computerId: 'c1',
    settings: { enabled: true },
    platform: {} as never,
    rules: [{ id: 'bw-1000100', definition, overrides: { severity: 'high' } }],
  }) as { rules: { severity: string }[] };
  assert.equal(compiled.rules[0]?.severity, 'high');
  const issues = managerModule.checkRule?.(
    { id: 'bw-1000100', definition, overrides: { severity: 'urgent' } },
    { settings: null, everywhere: [] },
  );
  assert.equal(issues?.length, 1);
});
