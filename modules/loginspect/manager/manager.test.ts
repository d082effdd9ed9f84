import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Inventory } from '@bulwark/protocol';
import { Value } from '@sinclair/typebox/value';
import { type LogInspectConfiguration, LogInspectSettings, loginspectModule } from './index.js';

const settings = Value.Default(LogInspectSettings, {}) as LogInspectSettings;

function compile(rules: { id: string; definition: unknown }[]): LogInspectConfiguration {
  return loginspectModule.compile({
    computerId: 'c1',
    settings,
    platform: {} as never,
    rules: rules.map((r) => ({ ...r, overrides: {} })),
  }) as LogInspectConfiguration;
}

test('settings default to disabled, level 5, common log files and the journal', () => {
  assert.equal(settings.enabled, false);
  assert.equal(settings.minimumLevel, 5);
  assert.ok(settings.sources.files.includes('/var/log/auth.log'));
  assert.equal(settings.sources.journald, true);
});

test('built-in rules are one per group and are recommended from packages and services', () => {
  const ids = loginspectModule.builtInRules?.map((r) => r.id) ?? [];
  assert.ok(ids.includes('loginspect.sshd') && ids.includes('loginspect.web'));
  const inventory = {
    packages: [{ name: 'openssh-server' }, { name: 'nginx' }],
    services: [{ name: 'postgresql' }],
  } as unknown as Inventory;
  const recommended = loginspectModule.recommend?.(inventory) ?? [];
  assert.ok(recommended.includes('loginspect.sshd'));
  assert.ok(recommended.includes('loginspect.web'));
  assert.ok(recommended.includes('loginspect.database'));
  assert.ok(recommended.includes('loginspect.kernel'));
  assert.ok(!recommended.includes('loginspect.auditd'));
});

test('compile keeps groups and valid custom XML, and refuses bad rules with the reason', () => {
  const c = compile([
    { id: 'loginspect.sshd', definition: { id: 'loginspect.sshd', group: 'sshd' } },
    { id: 'x-unknown-group', definition: { id: 'x-unknown-group', group: 'nope' } },
    {
      id: 'custom-ok',
      definition: {
        id: 'custom-ok',
        rulesXml:
          '<group name="local,"><rule id="110000" level="7"><if_sid>100101</if_sid><user>^deploy$</user><description>deploy failed</description></rule></group>',
      },
    },
    {
      id: 'custom-bad',
      definition: {
        id: 'custom-bad',
        rulesXml:
          '<group name="local,"><rule id="110001" level="7"><if_sid>999999999</if_sid><description>x</description></rule></group>',
      },
    },
    { id: 'not-a-rule', definition: { id: 'not-a-rule', extra: 1 } },
  ]);
  assert.deepEqual(c.builtInGroups, ['sshd']);
  assert.deepEqual(
    c.custom.map((r) => r.id),
    ['custom-ok'],
  );
  const reasons = Object.fromEntries(c.rejectedRules.map((r) => [r.id, r.reason]));
  assert.match(reasons['x-unknown-group'] ?? '', /no built-in rule group/);
  assert.match(reasons['custom-bad'] ?? '', /custom-bad\/rules.xml:1: error: rule 110001: if_sid 999999999/);
  assert.ok(reasons['not-a-rule']);
});
