import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { AssignedRule } from '@bulwark/protocol';
import { Value } from '@sinclair/typebox/value';
import fc from 'fast-check';
import { buildConfiguration, type FirewallLists, FirewallSettings } from '../engine/index.js';
import { checkFirewallRule } from './check-rule.js';

const settingsWith = (lists: Partial<FirewallLists> = {}) => ({
  ...Value.Create(FirewallSettings),
  lists: { ipLists: [], macLists: [], portLists: [], ...lists },
});
const rule = (definition: Record<string, unknown>, overrides: Record<string, unknown> = {}): AssignedRule => ({
  id: 'r1',
  definition: { id: 'r1', name: 'R', action: 'allow', priority: 1, direction: 'incoming', ...definition },
  overrides,
});
const inPlace = (lists: Partial<FirewallLists> = {}) => {
  const settings = settingsWith(lists);
  return { settings, everywhere: [settings] };
};
const paths = (issues: readonly { path: string }[]) => issues.map((i) => i.path);

test('in place: a list must exist in the lists in effect there, and be usable', () => {
  const admins = { id: 'admins', name: 'Admins', addresses: ['10.0.0.0/24'] };
  const r = rule({ protocol: 'tcp', source: { ipLists: ['admins'] }, destinationPorts: { ports: [22] } });
  assert.deepEqual(checkFirewallRule(r, inPlace({ ipLists: [admins] })), []);
  const missing = checkFirewallRule(r, inPlace());
  assert.deepEqual(paths(missing), ['/source/ipLists/0']);
  assert.match(missing[0]?.message ?? '', /IP list "admins" is not in the firewall\.lists in effect here/);
  const broken = checkFirewallRule(r, inPlace({ ipLists: [{ ...admins, addresses: ['10.0.0.0/33'] }] }));
  assert.match(broken[0]?.message ?? '', /has an entry the firewall cannot use \(\/ipLists\/0\/addresses\/0: /);
});

test('in place: list contents count (IPv6 list in an IPv4 rule)', () => {
  const v6 = { id: 'v6', name: 'V6', addresses: ['2001:db8::/32'] };
  const r = rule({ frameType: 'ipv4', source: { ipLists: ['v6'] } });
  assert.deepEqual(paths(checkFirewallRule(r, inPlace({ ipLists: [v6] }))), ['/source']);
});

test('on its own: a list must exist at some level; its contents are not held against the rule', () => {
  const v6 = { id: 'v6', name: 'V6', addresses: ['2001:db8::/32'] };
  const somewhere = { settings: null, everywhere: [settingsWith(), settingsWith({ ipLists: [v6] })] };
  assert.deepEqual(checkFirewallRule(rule({ frameType: 'ipv4', source: { ipLists: ['v6'] } }), somewhere), []);
  const issues = checkFirewallRule(rule({ sourcePorts: { portLists: ['web'] }, protocol: 'tcp' }), somewhere);
  assert.deepEqual(paths(issues), ['/sourcePorts/portLists/0']);
  assert.match(issues[0]?.message ?? '', /port list "web" is not in firewall\.lists\.portLists of any policy/);
});

test('self-contained problems are found with overrides merged as compile merges them', () => {
  const none = inPlace();
  assert.deepEqual(paths(checkFirewallRule(rule({ source: { addresses: ['10.0.0.0/33'] } }), none)), [
    '/source/addresses/0',
  ]);
  const ports = (p: unknown) =>
    checkFirewallRule(rule({ protocol: 'tcp' }, { destinationPorts: { ports: [p] } }), none);
  assert.match(ports(70000)[0]?.message ?? '', /port 70000 is not 0 to 65535/);
  assert.match(ports('70000')[0]?.message ?? '', /"70000": ports must be 0 to 65535/);
  assert.deepEqual(ports('8080'), []);
  assert.match(checkFirewallRule(rule({ frameType: 'other' }), none)[0]?.message ?? '', /cannot be filtered/);
  assert.deepEqual(paths(checkFirewallRule(rule({}, { colour: 'red' }), none)), ['/colour']);
});

const listIds = ['a', 'b'] as const;
const arbitraryRule = fc.record(
  {
    frameType: fc.constantFrom('any', 'ipv4', 'ipv6', 'arp', 'other'),
    protocol: fc.constantFrom('any', 'tcp', 'udp', 'icmp', 'icmpv6'),
    source: fc.record(
      {
        addresses: fc.array(fc.constantFrom('10.0.0.0/8', '10.0.0.0/33', '2001:db8::/32', 'x'), { maxLength: 2 }),
        ipLists: fc.array(fc.constantFrom(...listIds, 'missing'), { maxLength: 2 }),
      },
      { requiredKeys: [] },
    ),
    destinationPorts: fc.record(
      {
        ports: fc.array(fc.constantFrom(22, 70000, '80', '70000', '9-1'), { maxLength: 2 }),
        portLists: fc.array(fc.constantFrom(...listIds), { maxLength: 1 }),
      },
      { requiredKeys: [] },
    ),
    direction: fc.constantFrom('incoming', 'outgoing'),
    sourceMac: fc.record({ macs: fc.array(fc.constantFrom('02:00:00:aa:bb:cc', 'zz'), { maxLength: 1 }) }),
  },
  { requiredKeys: [] },
);
const arbitraryLists = fc.record({
  ipLists: fc.subarray([
    { id: 'a', name: 'A', addresses: ['10.0.0.0/8'] },
    { id: 'b', name: 'B', addresses: ['2001:db8::/32', '10.0.0.0/33'] },
  ]),
  macLists: fc.constant<{ id: string; name: string; macs: string[] }[]>([]),
  portLists: fc.subarray([
    { id: 'a', name: 'A', ports: [80] },
    { id: 'b', name: 'B', ports: ['99999'] },
  ]),
});

test('property: in place, checkRule finds no problem exactly when compile keeps the rule', () => {
  fc.assert(
    fc.property(arbitraryRule, arbitraryLists, (definition, lists) => {
      const r = rule(definition);
      const settings = settingsWith(lists);
      const issues = checkFirewallRule(r, { settings, everywhere: [settings] });
      const compiled = buildConfiguration(settings, [r]);
      assert.equal(issues.length === 0, compiled.rejected.length === 0, JSON.stringify({ issues, compiled }));
    }),
  );
});

test('property: never throws on arbitrary JSON', () => {
  fc.assert(
    fc.property(fc.jsonValue(), fc.dictionary(fc.string(), fc.jsonValue()), (definition, overrides) => {
      const issues = checkFirewallRule({ id: 'r', definition, overrides }, inPlace());
      assert.ok(Array.isArray(issues));
    }),
  );
});
