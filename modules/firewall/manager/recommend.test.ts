import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type Inventory, type ListeningPort, PlatformSettings } from '@bulwark/protocol';
import { Value } from '@sinclair/typebox/value';
import fc from 'fast-check';
import { compileRuleset, type FirewallConfiguration } from '../engine/index.js';
import { BUILT_IN_RULES } from '../rules/built-in-rules.js';
import { managerModule } from './index.js';
import { recommend } from './recommend.js';

const inventory = (listeningPorts: ListeningPort[]): Inventory => ({
  collectedAt: '2026-01-01T00:00:00Z',
  hostname: 'h',
  os: { id: 'debian', name: 'Debian' },
  kernel: { release: '6.1', machine: 'x86_64' },
  packages: [],
  services: [],
  users: [],
  listeningPorts,
});

/** What the manager would compile for a host that got exactly the recommended rules, with no lists defined. */
function compiled(ids: readonly string[]): FirewallConfiguration {
  return managerModule.compile({
    computerId: 'c',
    settings: { ...Value.Create(managerModule.settings), enabled: true },
    platform: Value.Create(PlatformSettings),
    rules: ids.map((id) => ({ id, definition: BUILT_IN_RULES.find((r) => r.id === id), overrides: {} })),
  }) as FirewallConfiguration;
}

const inputChain = (config: FirewallConfiguration) => {
  const script = compileRuleset(config, { mode: 'inline', eventGroup: 1, reconGroup: 2 }).script;
  return script.slice(script.indexOf('chain input'), script.indexOf('chain output'));
};

test('sshd on 22: SSH from anywhere is proposed and survives compile with no lists defined', () => {
  const ids = recommend(inventory([{ protocol: 'tcp', family: 'ipv4', address: '0.0.0.0', port: 22 }]));
  assert.ok(ids.includes('allow-ssh'));
  assert.ok(!ids.includes('allow-ssh-from-administrators'), 'it would be refused where the list is missing');
  const config = compiled(ids);
  assert.deepEqual(config.rejected, []);
  const chain = inputChain(config);
  const ssh = chain.indexOf('tcp dport 22 accept');
  assert.ok(ssh > 0, chain);
  assert.ok(ssh < chain.indexOf('"bw|imp|d"'), 'SSH is accepted before the implicit deny');
  assert.match(BUILT_IN_RULES.find((r) => r.id === 'allow-ssh')?.description ?? '', /Narrow it/);
});

test('sshd on another port that no built-in rule opens: nothing is proposed (no implicit deny)', () => {
  const ids = recommend(
    inventory([
      { protocol: 'tcp', family: 'ipv4', address: '0.0.0.0', port: 2222, process: 'sshd' },
      { protocol: 'tcp', family: 'ipv4', address: '0.0.0.0', port: 443, process: 'nginx' },
    ]),
  );
  assert.deepEqual(ids, []);
});

test('sshd on loopback only needs no opening; services still get theirs', () => {
  const ids = recommend(
    inventory([
      { protocol: 'tcp', family: 'ipv4', address: '127.0.0.1', port: 22, process: 'sshd' },
      { protocol: 'tcp', family: 'ipv6', address: '::', port: 443 },
    ]),
  );
  assert.ok(!ids.includes('allow-ssh'));
  assert.ok(ids.includes('allow-http-server'));
});

const port = fc.record({
  protocol: fc.constantFrom('tcp' as const, 'udp' as const),
  family: fc.constantFrom('ipv4' as const, 'ipv6' as const),
  address: fc.constantFrom('0.0.0.0', '::', '127.0.0.1', '::1', '10.0.0.5'),
  port: fc.oneof(fc.constantFrom(22, 80, 443, 2222, 5432), fc.integer({ min: 1, max: 65535 })),
  process: fc.option(fc.constantFrom('sshd', '/usr/sbin/sshd', 'nginx', 'postgres'), { nil: undefined }),
});

test('property: no proposal turns on implicit deny while an SSH daemon listens unopened', () => {
  fc.assert(
    fc.property(fc.array(port, { maxLength: 12 }), (ports) => {
      const clean = ports.map(({ process, ...p }) => (process ? { ...p, process } : p));
      const ids = recommend(inventory(clean));
      const known = new Set(BUILT_IN_RULES.map((r) => r.id));
      for (const id of ids) assert.ok(known.has(id), id);
      if (ids.length === 0) return;
      const config = compiled(ids);
      assert.deepEqual(config.rejected, [], 'every proposed rule compiles without lists');
      const sshListening = clean.some(
        (p) =>
          p.protocol === 'tcp' &&
          !/^(127\.|::1$)/.test(p.address) &&
          (p.port === 22 || /sshd/.test(('process' in p ? p.process : '') ?? '')),
      );
      if (!sshListening) return;
      const chain = inputChain(config);
      assert.ok(chain.includes('tcp dport 22 accept'), 'SSH is allowed');
    }),
    { numRuns: 200 },
  );
});
