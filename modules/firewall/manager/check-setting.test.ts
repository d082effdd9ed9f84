import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseWith } from '@bulwark/protocol';
import { Value } from '@sinclair/typebox/value';
import fc from 'fast-check';
import { buildConfiguration, type FirewallLists, FirewallSettings } from '../engine/index.js';
import { checkFirewallSetting, explainFirewallSettingIssues } from './check-setting.js';

const settingsDefaults = () => Value.Create(FirewallSettings);
const lists = (l: Partial<FirewallLists>): FirewallLists => ({ ipLists: [], macLists: [], portLists: [], ...l });
const admins = { id: 'admins', name: 'Administrators', addresses: ['10.0.0.0/24', '192.0.2.7'] };
const web = { id: 'web', name: 'Web ports', ports: [80, '8000-8080'] };
const gateways = { id: 'gw', name: 'Gateways', macs: ['02:00:00:aa:bb:cc'] };

test('usable lists pass; only firewall.lists is looked at', () => {
  assert.deepEqual(
    checkFirewallSetting('lists', lists({ ipLists: [admins], portLists: [web], macLists: [gateways] })),
    [],
  );
  assert.deepEqual(checkFirewallSetting('enabled', true), []);
});

test('an entry the compiler cannot read is refused, naming the list and the entry', () => {
  const issues = checkFirewallSetting(
    'lists',
    lists({
      ipLists: [admins, { id: 'bad', name: 'Bad', addresses: ['10.0.0.1', '10.0.0.0/33'] }],
      portLists: [{ ...web, ports: [22, '70000', '90-80'] }],
      macLists: [{ ...gateways, macs: ['zz'] }],
    }),
  );
  assert.deepEqual(
    issues.map((i) => i.path),
    ['/ipLists/1/addresses/1', '/macLists/0/macs/0', '/portLists/0/ports/1', '/portLists/0/ports/2'],
  );
  assert.match(issues[0]?.message ?? '', /^IP list "bad": "10\.0\.0\.0\/33" .*prefix length.*drop this list/);
  assert.match(issues[1]?.message ?? '', /^MAC list "gw": "zz" is not a MAC address/);
  assert.match(issues[2]?.message ?? '', /^port list "web": "70000": ports must be 0 to 65535/);
  assert.match(issues[3]?.message ?? '', /^port list "web": "90-80": range start is after its end/);
});

test('duplicate ids within a kind are refused; the same id in two kinds is fine', () => {
  const issues = checkFirewallSetting('lists', lists({ ipLists: [admins, { ...admins, name: 'Again' }] }));
  assert.deepEqual(issues, [
    {
      path: '/ipLists/1/id',
      message:
        'IP list "admins": duplicate list id "admins"; the firewall would drop this list and every rule that refers to it',
    },
  ]);
  assert.deepEqual(
    checkFirewallSetting('lists', lists({ ipLists: [admins], portLists: [{ ...web, id: 'admins' }] })),
    [],
  );
});

test('a port number out of range fails the schema; the explanation says so and names the list', () => {
  const value = lists({ portLists: [web, { id: 'high', name: 'High', ports: [443, 70000] }] });
  const schema = parseWith(FirewallSettings.properties.lists, value);
  assert.ok(!schema.ok);
  assert.deepEqual(explainFirewallSettingIssues('lists', value, schema.issues), [
    { path: '/portLists/1/ports/1', message: 'port list "high": port 70000 is not 0 to 65535' },
  ]);
  const other = [{ path: '/', message: 'Expected object' }];
  assert.deepEqual(explainFirewallSettingIssues('lists', 5, other), other);
  assert.deepEqual(explainFirewallSettingIssues('enabled', 'yes', other), other);
});

// The check and the compiler agree: lists it accepts are all kept, and when it refuses an entry
// the compiler would have dropped a list (which would take the rules naming it along).
test('property: the check refuses exactly the lists buildConfiguration would drop', () => {
  const octet = fc.integer({ min: 0, max: 300 });
  const address = fc.oneof(
    fc.tuple(octet, octet, octet, octet).map((o) => o.join('.')),
    fc
      .tuple(octet, octet, octet, octet, fc.integer({ min: 0, max: 40 }))
      .map((o) => `${o.slice(0, 4).join('.')}/${o[4]}`),
    fc.string({ maxLength: 12 }),
  );
  const port = fc.oneof(
    fc.integer({ min: 0, max: 65535 }),
    fc.integer({ min: 0, max: 80000 }).map(String),
    fc.tuple(fc.integer({ min: 0, max: 70000 }), fc.integer({ min: 0, max: 70000 })).map(([a, b]) => `${a}-${b}`),
  );
  const listsOf = fc.record({
    ipLists: fc.array(
      fc.record({
        id: fc.constantFrom('a', 'b', 'c'),
        name: fc.constant('L'),
        addresses: fc.array(address, { maxLength: 4 }),
      }),
      { maxLength: 3 },
    ),
    macLists: fc.constant<FirewallLists['macLists']>([]),
    portLists: fc.array(
      fc.record({ id: fc.constantFrom('p', 'q'), name: fc.constant('P'), ports: fc.array(port, { maxLength: 4 }) }),
      { maxLength: 2 },
    ),
  });
  fc.assert(
    fc.property(listsOf, (value) => {
      assert.ok(parseWith(FirewallSettings.properties.lists, value).ok);
      const issues = checkFirewallSetting('lists', value);
      for (const issue of issues) assert.match(issue.message, /^(IP|port) list "[a-z]": /);
      const settings = { ...settingsDefaults(), lists: value };
      const kept = buildConfiguration(settings, []).lists;
      assert.equal(issues.length === 0, JSON.stringify(kept) === JSON.stringify(value));
    }),
    { numRuns: 300 },
  );
});
