import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type Inventory, PlatformSettings, parseWith } from '@bulwark/protocol';
import { Value } from '@sinclair/typebox/value';
import { FirewallConfiguration } from '../engine/index.js';
import { managerModule } from './index.js';

const settings = () => Value.Create(managerModule.settings);

test('settings: every property has a default and the firewall is off by default', () => {
  const s = settings();
  assert.equal(s.enabled, false);
  assert.equal(s.blockSeconds, 1800);
  assert.deepEqual(s.lists, { ipLists: [], macLists: [], portLists: [] });
  for (const [key, schema] of Object.entries(managerModule.settings.properties)) {
    assert.ok('default' in schema, `${key} has a default`);
  }
});

test('compile keeps valid rules, applies overrides, and lists invalid ones with the reason', () => {
  const out = managerModule.compile({
    computerId: 'c1',
    settings: settings(),
    platform: Value.Create(PlatformSettings),
    rules: [
      {
        id: 'deny-telnet',
        definition: {
          id: 'x',
          name: 'No telnet',
          action: 'deny',
          priority: 1,
          direction: 'incoming',
          protocol: 'tcp',
          destinationPorts: { ports: [23] },
        },
        overrides: { priority: 3 },
      },
      {
        id: 'bad-port',
        definition: {
          name: 'Bad',
          action: 'deny',
          priority: 1,
          direction: 'incoming',
          protocol: 'tcp',
          destinationPorts: { ports: [70000] },
        },
        overrides: {},
      },
      ...(['allow-ssh-from-administrators'] as const).map((id) => ({
        id,
        definition: managerModule.builtInRules?.find((r) => r.id === id),
        overrides: {},
      })),
    ],
  });
  const parsed = parseWith(FirewallConfiguration, out);
  assert.ok(parsed.ok);
  assert.deepEqual(
    parsed.value.rules.map((r) => [r.id, r.priority]),
    [['deny-telnet', 3]],
  );
  assert.deepEqual(
    parsed.value.rejected.map((r) => r.ruleId),
    ['allow-ssh-from-administrators', 'bad-port'],
  );
  assert.match(parsed.value.rejected[0]?.reason ?? '', /IP list "ssh-administrators" does not exist/);
  assert.match(parsed.value.rejected[1]?.reason ?? '', /\/destinationPorts\/ports\/0/);
});

test('built-in rules have unique ids', () => {
  const ids = (managerModule.builtInRules ?? []).map((r) => r.id);
  assert.equal(new Set(ids).size, ids.length);
});

test('recommend proposes the baseline plus rules for the services that listen', () => {
  const inventory: Inventory = {
    collectedAt: '2026-01-01T00:00:00Z',
    hostname: 'web1',
    os: { id: 'debian', name: 'Debian' },
    kernel: { release: '6.1', machine: 'x86_64' },
    packages: [],
    services: [],
    users: [],
    listeningPorts: [
      { protocol: 'tcp', family: 'ipv4', address: '0.0.0.0', port: 22 },
      { protocol: 'tcp', family: 'ipv6', address: '::', port: 443 },
      { protocol: 'tcp', family: 'ipv4', address: '127.0.0.1', port: 5432 },
    ],
  };
  const ids = managerModule.recommend?.(inventory) ?? [];
  assert.ok(ids.includes('allow-ssh'));
  assert.ok(ids.includes('allow-http-server'));
  assert.ok(ids.includes('allow-loopback'));
  assert.ok(!ids.includes('allow-postgresql-server'), 'a loopback-only service needs no firewall opening');
  const known = new Set((managerModule.builtInRules ?? []).map((r) => r.id));
  for (const id of ids) assert.ok(known.has(id), id);
});

test('events are presented with the scan kind and source, or the action and rule', () => {
  const base = { module: 'firewall', severity: 'medium' as const, summary: 's', seq: 1, time: '2026-01-01T00:00:00Z' };
  assert.equal(
    managerModule.presentEvent?.({
      ...base,
      type: 'reconnaissance',
      details: { kind: 'port-scan', source: '10.0.0.3' },
    }).title,
    'TCP port scan from 10.0.0.3',
  );
  assert.equal(
    managerModule.presentEvent?.({
      ...base,
      type: 'packet',
      action: 'Deny',
      details: { rule: 'No telnet', repeatCount: 40 },
    }).title,
    'Deny: No telnet ×40',
  );
});
