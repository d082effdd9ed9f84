import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { BUILT_IN_RULES } from '../rules/built-in-rules.js';
import { emptyLists, type FirewallLists } from './rule-schema.js';
import { validateLists, validateRule } from './rule-validator.js';

const base = { id: 'r1', name: 'Rule', action: 'deny', priority: 2, direction: 'incoming' };
const lists: FirewallLists = {
  ipLists: [{ id: 'admins', name: 'Admins', addresses: ['10.0.0.0/8', 'fd00::/64'] }],
  macLists: [{ id: 'printers', name: 'Printers', macs: ['02:00:00:00:00:01'] }],
  portLists: [{ id: 'web', name: 'Web', ports: [80, '8000-8100'] }],
};

function issuesOf(rule: object, l: FirewallLists = lists) {
  const r = validateRule({ ...base, ...rule }, l);
  assert.equal(r.ok, false, 'the rule must be refused');
  return r.ok ? [] : r.issues;
}

test('a bad CIDR is refused naming the field', () => {
  const issues = issuesOf({ source: { addresses: ['10.0.0.0/40'] } });
  assert.deepEqual(
    issues.map((i) => i.path),
    ['/source/addresses/0'],
  );
  assert.match(issues[0]?.message ?? '', /prefix length/);
});

test('port 70000 is refused naming the field', () => {
  const issues = issuesOf({ protocol: 'tcp', destinationPorts: { ports: [70000] } });
  assert.ok(
    issues.some((i) => i.path === '/destinationPorts/ports/0'),
    JSON.stringify(issues),
  );
  const asText = issuesOf({ protocol: 'tcp', destinationPorts: { ports: ['1-70000'] } });
  assert.deepEqual(asText, [{ path: '/destinationPorts/ports/0', message: '"1-70000": ports must be 0 to 65535' }]);
});

test('a list that does not exist is refused naming the field and the list', () => {
  const issues = issuesOf({ source: { ipLists: ['admins', 'nobody'] } });
  assert.deepEqual(issues, [{ path: '/source/ipLists/1', message: 'IP list "nobody" does not exist' }]);
  assert.equal(
    issuesOf({ protocol: 'tcp', destinationPorts: { portLists: ['nope'] } })[0]?.path,
    '/destinationPorts/portLists/0',
  );
  assert.equal(issuesOf({ sourceMac: { macLists: ['nope'] } })[0]?.path, '/sourceMac/macLists/0');
});

test('fields that contradict each other are refused', () => {
  assert.equal(issuesOf({ destinationPorts: { ports: [80] } })[0]?.path, '/destinationPorts');
  assert.equal(issuesOf({ protocol: 'udp', tcpFlags: { set: ['syn'], unset: [] } })[0]?.path, '/tcpFlags');
  assert.equal(issuesOf({ frameType: 'ipv4', source: { addresses: ['::1'] } })[0]?.path, '/source');
  assert.equal(issuesOf({ direction: 'outgoing', sourceMac: { macs: ['02:00:00:00:00:01'] } })[0]?.path, '/sourceMac');
  assert.equal(issuesOf({ frameType: 'other' })[0]?.path, '/frameType');
  assert.equal(issuesOf({ priority: 5 })[0]?.path, '/priority');
  assert.equal(issuesOf({ action: 'reject' })[0]?.path, '/action');
});

test('good rules pass, including every built-in rule once its list exists', () => {
  const withSsh = { ...lists, ipLists: [...lists.ipLists, { id: 'ssh-administrators', name: 'SSH', addresses: [] }] };
  for (const rule of BUILT_IN_RULES) {
    const r = validateRule(rule, withSsh);
    assert.ok(r.ok, `${rule.id}: ${JSON.stringify(r.ok ? [] : r.issues)}`);
  }
  const full = validateRule(
    {
      ...base,
      protocol: 'tcp',
      source: { addresses: ['192.0.2.1', '10.1.1.1-10.1.1.9'], ipLists: ['admins'] },
      destinationPorts: { ports: [22, '1000-2000'], portLists: ['web'] },
      sourceMac: { macLists: ['printers'] },
      tcpFlags: { set: ['syn'], unset: ['ack'] },
      interface: { namePattern: 'eth*' },
    },
    lists,
  );
  assert.ok(full.ok);
});

test('lists with bad entries or duplicate ids are reported', () => {
  const issues = validateLists({
    ...emptyLists,
    ipLists: [
      { id: 'a', name: 'A', addresses: ['10.0.0.1', 'nonsense'] },
      { id: 'a', name: 'A again', addresses: [] },
    ],
    portLists: [{ id: 'p', name: 'P', ports: [99999] }],
  });
  assert.deepEqual(
    issues.map((i) => i.path),
    ['/ipLists/1/id', '/ipLists/0/addresses/1', '/portLists/0/ports/0'],
  );
});

test('the validator never throws, whatever it is given', () => {
  fc.assert(
    fc.property(fc.anything(), (input) => {
      validateRule(input, lists);
    }),
  );
  fc.assert(
    fc.property(
      fc.record({
        protocol: fc.constantFrom('tcp', 'udp', 'icmp', 'any', 7),
        source: fc.record({ addresses: fc.array(fc.string()) }),
        destinationPorts: fc.record({ ports: fc.array(fc.oneof(fc.integer(), fc.string())) }),
      }),
      (extra) => {
        validateRule({ ...base, ...extra }, lists);
      },
    ),
  );
});

test('schema failures on ports and frame type say what to change, not "Expected union value"', () => {
  const port = (p: unknown) => issuesOf({ protocol: 'tcp', destinationPorts: { ports: [p] } });
  assert.deepEqual(port(70000), [{ path: '/destinationPorts/ports/0', message: 'port 70000 is not 0 to 65535' }]);
  assert.deepEqual(port('70000'), [
    { path: '/destinationPorts/ports/0', message: '"70000": ports must be 0 to 65535' },
  ]);
  const frame = issuesOf({ frameType: 'other' });
  assert.equal(frame.length, 1);
  assert.match(frame[0]?.message ?? '', /other than IPv4, IPv6 and ARP cannot be filtered.*use any, ipv4, ipv6 or arp/);
});
