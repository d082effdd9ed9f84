import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compileRuleset } from './nft-compiler.js';
import { foldKey, groupRuns, MIN_MERGED_RUN } from './rule-merging.js';
import { orderRules } from './rule-order.js';
import type { FirewallRule } from './rule-schema.js';
import { configuration } from './test-fixtures.js';

const quiet = { detectPortScans: false, detectNetworkSweeps: false, detectTcpProbes: false };
const groups = { mode: 'inline' as const, eventGroup: 10, reconGroup: 11 };
const noLists = { ipLists: [], macLists: [], portLists: [] };

/** The elements of the set or map `name` declared in the script. */
function elements(script: string, name: string): string[] {
  const m = new RegExp(`(?:set|map) ${name} \\{[^{]*elements = \\{ ([^}]*) \\} \\}`).exec(script);
  assert.ok(m, `${name} in\n${script}`);
  return (m[1] as string).split(', ');
}

test('rules of addresses and tcp/udp ports only, in one family and not negated, are foldable', () => {
  const rules = configuration([
    { protocol: 'tcp', source: { addresses: ['10.0.0.1'] }, destinationPorts: { ports: [22] } },
    {
      protocol: 'tcp',
      source: { addresses: ['10.0.0.0/8'] },
      destination: { addresses: ['192.168.1.1-192.168.1.9'] },
      destinationPorts: { ports: [80, '1000-2000', 8443] },
    },
    { protocol: 'udp', destinationPorts: { ports: ['1-2'] } },
    { protocol: 'tcp', source: { addresses: ['fd00::/64'] }, sourcePorts: { ports: [53] } },
    { protocol: 'udp', destinationPorts: { ports: [53] }, interface: { namePattern: 'eth0' } },
    { protocol: 'tcp', source: { addresses: ['10.0.0.1'], negate: true } },
    { protocol: 'tcp', source: { addresses: ['10.0.0.1', 'fd00::1'] } },
    { protocol: 'tcp' },
    { protocol: 'icmp', source: { addresses: ['10.0.0.1'] } },
    { protocol: 'tcp', frameType: 'ipv6', source: { addresses: ['10.0.0.1'] } },
  ]).rules;
  assert.deepEqual(
    rules.map((r) => foldKey(r, noLists)?.selector),
    [
      'ip saddr . tcp dport',
      'ip saddr . ip daddr . tcp dport',
      'udp dport',
      'ip6 saddr . tcp sport',
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
    ],
  );
  assert.equal(foldKey(rules[1] as never, noLists)?.boxes.length, 3);
  assert.equal(
    foldKey({ ...(rules[0] as FirewallRule), destinationPorts: undefined }, noLists)?.selector,
    'meta l4proto tcp ip saddr',
  );
});

test('a run of overlapping denies becomes one map of disjoint elements, each naming the first rule', () => {
  const rules = Array.from({ length: 10 }, (_, i) => ({
    id: `d${i}`,
    protocol: 'tcp' as const,
    source: { addresses: [i % 2 === 0 ? '10.0.0.0/24' : '10.0.0.128/25'] },
    destinationPorts: { ports: [`${1000 + i * 5}-${1010 + i * 5}`, 8443] },
  }));
  const config = configuration(rules, quiet);
  const runs = groupRuns(orderRules(config.rules), config.lists);
  assert.equal(runs.length, 1);
  const { script } = compileRuleset(config, groups);
  assert.match(script, /meta mark set ip saddr \. tcp dport map @f0\n/);
  assert.match(script, /meta mark & 0xff000000 == 0x62000000 log group 10 prefix "bw\|m\|d" drop/);
  const map = elements(script, 'f0');
  // d0 decides 1000-1010 and 8443 everywhere; d1 only in its /25 and only beyond what d0 took.
  assert.ok(map.includes('10.0.0.0/25 . 8443 : 0x62000000'), map.join('\n'));
  assert.ok(map.includes('10.0.0.128/25 . 8443 : 0x62000000'), map.join('\n'));
  assert.ok(map.includes('10.0.0.128/25 . 1011-1015 : 0x62000001'), map.join('\n'));
  assert.ok(map.includes('10.0.0.0/25 . 1011-1020 : 0x62000002'), map.join('\n'));
});

test('runs stop at a different decision, so priorities and actions keep their meaning', () => {
  const n = MIN_MERGED_RUN;
  const config = configuration(
    [
      ...Array.from({ length: n }, (_, i) => ({
        id: `a${i}`,
        action: 'allow' as const,
        priority: 3,
        protocol: 'tcp' as const,
        destinationPorts: { ports: [i + 1] },
      })),
      { id: 'deny-all', action: 'deny' as const, priority: 2, protocol: 'tcp' as const },
      ...Array.from({ length: n - 1 }, (_, i) => ({
        id: `b${i}`,
        action: 'allow' as const,
        priority: 1,
        protocol: 'tcp' as const,
        destinationPorts: { ports: [i + 100] },
      })),
    ],
    quiet,
  );
  const runs = groupRuns(orderRules(config.rules), config.lists);
  assert.deepEqual(
    runs.map((r) => (r.merged ? `merged:${r.rules.length}` : r.rule.rule.id)),
    ['merged:8', 'deny-all', ...Array.from({ length: n - 1 }, (_, i) => `b${i}`)],
  );
  const { script } = compileRuleset(config, groups);
  assert.match(script, /tcp dport @f0 accept/);
  assert.deepEqual(elements(script, 'f0'), ['1-8'], 'adjacent ports of one decision join');
});

test('allows of several shapes in one stretch fold per shape; denies keep their order', () => {
  const allow = (i: number, shape: number) => ({
    id: `a${String(i).padStart(2, '0')}`,
    action: 'allow' as const,
    protocol: 'tcp' as const,
    ...(shape === 0 ? { destinationPorts: { ports: [i + 1] } } : { source: { addresses: [`10.0.${i}.0/24`] } }),
  });
  const config = configuration(
    Array.from({ length: 20 }, (_, i) => allow(i, i % 2)),
    quiet,
  );
  const runs = groupRuns(orderRules(config.rules), config.lists);
  assert.deepEqual(
    runs.map((r) => (r.merged ? `${r.keys[0]?.selector}:${r.rules.length}` : r.rule.rule.id)),
    ['tcp dport:10', 'meta l4proto tcp ip saddr:10'],
  );
});

test('log-only rules that overlap log each: a point in k of them is in k layered maps', () => {
  const rules = Array.from({ length: 8 }, (_, i) => ({
    id: `l${i}`,
    action: 'log-only' as const,
    protocol: 'udp' as const,
    destinationPorts: { ports: [i < 2 ? 53 : 1000 + i] },
  }));
  const { script } = compileRuleset(configuration(rules, quiet), groups);
  assert.deepEqual(elements(script, 'f0_0'), [
    '53 : 0x63000000',
    '1002 : 0x63000002',
    '1003 : 0x63000003',
    '1004 : 0x63000004',
    '1005 : 0x63000005',
    '1006 : 0x63000006',
    '1007 : 0x63000007',
  ]);
  assert.deepEqual(elements(script, 'f0_1'), ['53 : 0x63000001']);
  assert.match(script, /meta mark & 0xff000000 == 0x63000000 log group 10 prefix "bw\|m\|l" meta mark set 0x0/);
});
