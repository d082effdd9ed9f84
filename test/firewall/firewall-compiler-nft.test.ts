/**
 * Every rule the validator accepts must compile into a script that nft accepts: random valid
 * rule sets (fast-check) are compiled and loaded with `nft -f` inside a throwaway namespace.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import {
  compileRuleset,
  type FirewallConfiguration,
  type FirewallLists,
  FirewallSettings,
  ICMP_TYPES,
  validateRule,
} from '@bulwark/module-firewall/engine';
import { Value } from '@sinclair/typebox/value';
import fc from 'fast-check';
import { rootSkipReason } from './firewall-lab.js';

const lists: FirewallLists = {
  ipLists: [
    { id: 'mixed', name: 'Mixed', addresses: ['10.0.0.0/8', '192.0.2.1-192.0.2.9', 'fd00::/64'] },
    { id: 'v4', name: 'V4', addresses: ['198.51.100.7'] },
    { id: 'empty', name: 'Empty', addresses: [] },
  ],
  macLists: [{ id: 'macs', name: 'Macs', macs: ['02:00:00:00:00:01', '02:00:00:00:00:02'] }],
  portLists: [{ id: 'web', name: 'Web', ports: [80, 443, '8000-8100'] }],
};

const v4 = fc.constantFrom('10.1.2.3', '10.0.0.0/16', '172.16.0.1-172.16.0.50');
const v6 = fc.constantFrom('2001:db8::1', '2001:db8::/48', '::1');
const maybe = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined, freq: 2 });
const addresses = (family: 'v4' | 'v6' | 'both') =>
  fc.record({
    addresses: fc.array(family === 'v4' ? v4 : family === 'v6' ? v6 : fc.oneof(v4, v6), { minLength: 1, maxLength: 3 }),
    ipLists: fc.subarray(family === 'v6' ? [] : family === 'v4' ? ['v4'] : ['mixed', 'v4', 'empty']),
    negate: fc.boolean(),
  });
const ports = fc.record({
  ports: fc.array(fc.oneof(fc.integer({ min: 0, max: 65535 }), fc.constantFrom('1000-2000', '22')), { maxLength: 3 }),
  portLists: fc.subarray(['web']),
  negate: fc.boolean(),
});
const common = {
  action: fc.constantFrom('allow', 'deny', 'force-allow', 'bypass', 'log-only'),
  priority: fc.integer({ min: 0, max: 4 }),
  direction: fc.constantFrom('incoming', 'outgoing'),
  interface: maybe(
    fc.record(
      { namePattern: fc.constantFrom('eth0', 'veth*', 'lo'), type: fc.constantFrom('ethernet', 'loopback', 'tunnel') },
      { requiredKeys: [] },
    ),
  ),
};
const states = maybe(fc.subarray(['new', 'established', 'related', 'invalid'] as const, { minLength: 1 }));
const rule = fc.oneof(
  fc.record({
    ...common,
    protocol: fc.constantFrom('tcp', 'udp'),
    source: maybe(addresses('both')),
    destination: maybe(addresses('both')),
    sourcePorts: maybe(ports),
    destinationPorts: maybe(ports),
    connectionStates: states,
  }),
  fc.record({
    ...common,
    protocol: fc.constant('tcp'),
    tcpFlags: fc.record({ set: fc.subarray(['syn', 'fin', 'rst']), unset: fc.subarray(['ack', 'urg']) }),
    destinationPorts: maybe(ports),
  }),
  fc.record({
    ...common,
    protocol: fc.constant('icmp'),
    source: maybe(addresses('v4')),
    icmpTypes: maybe(fc.subarray([...ICMP_TYPES], { minLength: 1 })),
  }),
  fc.record({
    ...common,
    protocol: fc.constant('icmpv6'),
    destination: maybe(addresses('v6')),
    icmpTypes: maybe(fc.subarray([...ICMP_TYPES], { minLength: 1 })),
  }),
  fc.record({
    ...common,
    protocol: fc.constantFrom('any', 47),
    frameType: fc.constantFrom('any', 'ipv4', 'ipv6'),
    source: maybe(addresses('both')),
    connectionStates: states,
  }),
  fc.record({
    ...common,
    direction: fc.constant('incoming'),
    sourceMac: fc.record({ macs: fc.subarray(['02:00:00:00:00:09']), macLists: fc.subarray(['macs']) }),
    source: maybe(addresses('v4')),
  }),
  fc.record({
    action: fc.constantFrom('allow', 'deny', 'log-only'),
    priority: fc.integer({ min: 0, max: 4 }),
    direction: fc.constantFrom('incoming', 'outgoing'),
    frameType: fc.constant('arp'),
    source: maybe(addresses('v4')),
    destination: maybe(addresses('v4')),
  }),
  fc.record({
    action: fc.constantFrom('deny', 'log-only'),
    priority: fc.integer({ min: 0, max: 4 }),
    direction: fc.constant('incoming'),
    fragments: fc.constant(true),
    source: maybe(addresses('both')),
  }),
  // Runs of simple rules, which the compiler merges into sets and maps.
  fc.record({
    action: fc.constantFrom('allow', 'deny'),
    priority: fc.constant(1),
    direction: fc.constant('incoming'),
    protocol: fc.constant('tcp'),
    source: fc.record({ addresses: fc.tuple(fc.constantFrom('10.9.9.1', '10.9.9.2', '2001:db8::9')) }),
    destinationPorts: fc.record({ ports: fc.tuple(fc.integer({ min: 1, max: 20 })) }),
  }),
);

/**
 * Rules the compiler folds into concatenated interval sets and maps: addresses (CIDRs, ranges,
 * overlapping on purpose) and port ranges, in long runs of one decision.
 */
const rarely = <T>(arb: fc.Arbitrary<T>) =>
  fc.oneof({ arbitrary: fc.constant(undefined), weight: 6 }, { arbitrary: arb, weight: 1 });
const foldable = fc.record({
  action: fc.constantFrom('allow', 'deny', 'log-only'),
  priority: fc.constant(1),
  direction: fc.constant('incoming'),
  protocol: fc.constant('tcp'),
  source: fc.option(
    fc.record({
      addresses: fc.array(fc.constantFrom('10.0.0.0/8', '10.1.0.0/16', '10.1.2.3', '10.1.2.0-10.1.3.7', '0.0.0.0/0'), {
        minLength: 1,
        maxLength: 3,
      }),
      ipLists: fc.subarray(['v4']),
    }),
    { nil: undefined, freq: 12 },
  ),
  destination: rarely(
    fc.record({
      addresses: fc.array(fc.constantFrom('192.168.0.0/16', '192.168.1.1-192.168.1.9', '192.168.1.5'), {
        minLength: 1,
        maxLength: 2,
      }),
    }),
  ),
  sourcePorts: rarely(
    fc.record({ ports: fc.array(fc.constantFrom(53, '1024-65535'), { minLength: 1, maxLength: 2 }) }),
  ),
  destinationPorts: fc.option(
    fc.record({
      ports: fc.array(fc.oneof(fc.integer({ min: 0, max: 30 }), fc.constantFrom('5-25', '20-40', '0-65535')), {
        minLength: 1,
        maxLength: 3,
      }),
      portLists: fc.subarray(['web']),
    }),
    { nil: undefined, freq: 12 },
  ),
});

const strip = (o: object) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));

const skip = rootSkipReason(['nft', 'ip']);

describe('compiled rules load into nft', { skip }, () => {
  const ns = `bwfw-${process.pid % 100000}-nft`;
  before(() => {
    spawnSync('ip', ['netns', 'add', ns]);
  });
  after(() => {
    spawnSync('ip', ['netns', 'del', ns]);
  });

  test('any valid rule set, in either engine mode', () => {
    const { enabled: _e, lists: _l, ...defaults } = Value.Create(FirewallSettings);
    let compiledRules = 0;
    fc.assert(
      fc.property(
        fc.array(rule, { maxLength: 40 }),
        fc.constantFrom('inline', 'tap'),
        fc.integer({ min: 0, max: 100 }),
        (candidates, mode, halfOpen) => {
          const rules = candidates.flatMap((c, i) => {
            const r = validateRule({ id: `r${i}`, name: `rule ${i}`, ...strip(c) }, lists);
            return r.ok ? [r.value] : [];
          });
          compiledRules += rules.length;
          const config: FirewallConfiguration = {
            settings: { ...defaults, maxHalfOpenPerSource: halfOpen },
            rules,
            lists,
            rejected: [],
          };
          const { script } = compileRuleset(config, {
            mode,
            eventGroup: 7401,
            reconGroup: 7402,
            blocked: [{ address: '192.0.2.200', family: 'ipv4', secondsLeft: 30 }],
          });
          const r = spawnSync('ip', ['netns', 'exec', ns, 'nft', '-f', '-'], { input: script, encoding: 'utf8' });
          assert.equal(r.status, 0, `${r.stderr}\n${script}`);
        },
      ),
      { numRuns: 60 },
    );
    assert.ok(compiledRules > 150, `only ${compiledRules} valid rules were generated`);
  });

  test('long runs of foldable rules: their sets and maps of intervals load (no overlapping elements)', () => {
    const { enabled: _e, lists: _l, ...defaults } = Value.Create(FirewallSettings);
    let folded = 0;
    fc.assert(
      fc.property(fc.array(foldable, { minLength: 20, maxLength: 80 }), fc.constantFrom('inline', 'tap'), (c, mode) => {
        const rules = c.flatMap((r, i) => {
          const v = validateRule({ id: `r${String(i).padStart(2, '0')}`, name: `rule ${i}`, ...strip(r) }, lists);
          return v.ok ? [v.value] : [];
        });
        const config: FirewallConfiguration = { settings: defaults, rules, lists, rejected: [] };
        const { script } = compileRuleset(config, { mode, eventGroup: 7401, reconGroup: 7402 });
        if (/ map @f\d|@f\d+ accept/.test(script)) folded++;
        const r = spawnSync('ip', ['netns', 'exec', ns, 'nft', '-f', '-'], { input: script, encoding: 'utf8' });
        assert.equal(r.status, 0, `${r.stderr}\n${script}`);
      }),
      { numRuns: 40 },
    );
    assert.ok(folded > 10, `only ${folded} rule sets had a folded run`);
  });
});
