import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type Inventory, parseWith } from '@bulwark/protocol';
import { Value } from '@sinclair/typebox/value';
import { IntegrityConfiguration, IntegritySettings, validateRule } from '../engine/index.js';
import { compileIntegrity, managerModule, readRuleFile, recommendRules } from './index.js';

const inventory = (packages: string[], manager: 'dpkg' | 'rpm' = 'dpkg', os = 'debian'): Inventory => ({
  collectedAt: '2026-11-23T00:00:00Z',
  hostname: 'h',
  os: { id: os, name: os },
  kernel: { release: '6.1', machine: 'x86_64' },
  packages: packages.map((name) => ({ name, version: '1', manager })),
  listeningPorts: [],
  services: [],
  users: [],
});

test('every built-in rule is valid, unique, and covers what the issue lists', () => {
  const rules = managerModule.builtInRules ?? [];
  assert.ok(rules.length >= 20);
  for (const r of rules) assert.ok(validateRule(r).ok, String(r.id));
  const text = JSON.stringify(rules);
  for (const needle of [
    '/etc/shadow',
    '/etc/sudoers.d',
    '/etc/ssh',
    '/etc/pam.d',
    '/etc/cron.d',
    '/etc/systemd',
    '/etc/ld.so.preload',
    '/usr/bin',
    '/usr/sbin',
    '/usr/lib/modules',
    '/etc/resolv.conf',
    'authorized_keys',
    '/var/lib/bulwark/agent',
  ])
    assert.ok(text.includes(needle), needle);
  for (const kind of ['packages', 'services', 'ports', 'users', 'groups', 'kernel-modules', 'processes'])
    assert.ok(
      rules.some((r) => (r.entity as { kind: string }).kind === kind),
      kind,
    );
});

test('settings: every property has a default and the module is off by default', () => {
  const defaults = Value.Create(IntegritySettings);
  assert.equal(defaults.enabled, false);
  for (const [key, schema] of Object.entries(IntegritySettings.properties)) assert.ok('default' in schema, key);
});

test('recommendation follows installed packages and the package manager', () => {
  const rules = managerModule.builtInRules as never;
  const bare = recommendRules(rules, inventory(['bash']));
  assert.ok(bare.includes('linux-account-database'));
  assert.ok(bare.includes('linux-packages-dpkg'));
  assert.ok(!bare.includes('linux-packages-rpm'));
  assert.ok(!bare.includes('linux-ssh-server-configuration'));
  assert.ok(!bare.includes('linux-running-executables'));
  const ssh = recommendRules(rules, inventory(['openssh-server', 'sudo'], 'rpm', 'rhel'));
  assert.ok(
    ssh.includes('linux-ssh-server-configuration') &&
      ssh.includes('linux-sudoers') &&
      ssh.includes('linux-packages-rpm'),
  );
  assert.ok(!ssh.includes('linux-packages-dpkg'));
});

test('compile: overrides apply, malformed rules are refused with the field named, output validates', () => {
  const settings = { ...Value.Create(IntegritySettings), enabled: true };
  const definition = (managerModule.builtInRules ?? []).find((r) => r.id === 'linux-name-resolution');
  const out = compileIntegrity(settings, [
    { id: 'linux-name-resolution', definition, overrides: { severity: 'low', exclude: ['/etc/resolv.conf'] } },
    {
      id: 'broken',
      definition: {
        id: 'broken',
        name: 'B',
        description: '',
        severity: 'high',
        entity: { kind: 'files', base: '/x', include: ['[a'] },
      },
      overrides: {},
    },
    {
      id: 'broken2',
      definition: { id: 'broken2', name: 'B', description: '', severity: 'high', entity: { kind: 'files' } },
      overrides: {},
    },
  ]);
  assert.equal(out.rules.length, 1);
  assert.equal(out.rules[0]!.severity, 'low');
  assert.deepEqual((out.rules[0]!.entity as { exclude?: string[] }).exclude, ['/etc/resolv.conf']);
  assert.deepEqual(
    out.rejectedRules.map((r) => r.id),
    ['broken', 'broken2'],
  );
  assert.match(out.rejectedRules[0]!.reason, /\/entity\/include\/0/);
  assert.match(out.rejectedRules[1]!.reason, /\/entity\/base/);
  assert.ok(parseWith(IntegrityConfiguration, out).ok);
  assert.deepEqual(compileIntegrity(settings, []), compileIntegrity(settings, []));
});

test('rule files: errors name the file, the rule and the field', () => {
  assert.match((readRuleFile('x.json', '{') as { message: string }).message, /x\.json: not JSON/);
  assert.match((readRuleFile('x.json', '{"format":"other","rules":[]}') as { message: string }).message, /\/format/);
  const bad = JSON.stringify({
    format: 'bulwark-integrity-rules/1',
    rules: [
      { id: 'a', name: 'A', description: '', severity: 'high', entity: { kind: 'users' }, attributes: ['sha256'] },
    ],
  });
  assert.match((readRuleFile('x.json', bad) as { message: string }).message, /\/rules\/0: \/attributes\/0/);
});
