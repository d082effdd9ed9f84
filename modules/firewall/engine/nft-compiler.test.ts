import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { disjointTerms } from './address.js';
import { parseLogPrefix } from './log-prefix.js';
import { compileRuleset, removalScript } from './nft-compiler.js';
import { orderRules } from './rule-order.js';
import { configuration } from './test-fixtures.js';

const groups = { eventGroup: 10, reconGroup: 11 };
const quiet = { detectPortScans: false, detectNetworkSweeps: false, detectTcpProbes: false };
const ruleLines = (script: string) =>
  script
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => /"bw\|\d+\|/.test(l) || l.endsWith(' accept'));

test('the script replaces our own tables atomically and names no other table', () => {
  const { script } = compileRuleset(configuration([]), { mode: 'inline', ...groups });
  const tables = [...script.matchAll(/table (\w+) (\w+)/g)].map((m) => `${m[1]} ${m[2]}`);
  assert.deepEqual([...new Set(tables)].sort(), ['arp bulwark', 'inet bulwark']);
  assert.ok(script.startsWith('table inet bulwark {}\ndelete table inet bulwark\n'));
  assert.match(removalScript(), /delete table inet bulwark/);
});

test('the same configuration compiles to the same text', () => {
  const config = configuration([{ protocol: 'tcp', destinationPorts: { ports: [80, '1000-2000'] } }]);
  assert.equal(
    compileRuleset(config, { mode: 'inline', ...groups }).script,
    compileRuleset(config, { mode: 'inline', ...groups }).script,
  );
});

test('rules are ordered by priority, then bypass, force-allow, deny, allow', () => {
  const config = configuration([
    { id: 'allow-2', action: 'allow', priority: 2 },
    { id: 'deny-2', action: 'deny', priority: 2 },
    { id: 'force-2', action: 'force-allow', priority: 2 },
    { id: 'deny-3', action: 'deny', priority: 3 },
    { id: 'bypass-2', action: 'bypass', priority: 2 },
    { id: 'log-0', action: 'log-only', priority: 0 },
  ]);
  assert.deepEqual(
    orderRules(config.rules).map((o) => o.rule.id),
    ['deny-3', 'bypass-2', 'force-2', 'deny-2', 'allow-2', 'log-0'],
  );
});

test('inline denies drop and log; tap mode drops nothing and logs every would-be drop', () => {
  const config = configuration(
    [
      { action: 'deny', protocol: 'tcp', destinationPorts: { ports: [22] } },
      { action: 'allow', protocol: 'tcp', destinationPorts: { ports: [80] } },
    ],
    { maxHalfOpenPerSource: 10 },
  );
  const inline = compileRuleset(config, {
    mode: 'inline',
    ...groups,
    blocked: [{ address: '192.0.2.9', family: 'ipv4', secondsLeft: 5 }],
  }).script;
  assert.match(inline, /meta l4proto tcp tcp dport 22 log group 10 prefix "bw\|0\|d" drop/);
  assert.match(inline, /log group 10 prefix "bw\|imp\|d" drop/, 'implicit deny after an allow rule');
  assert.match(inline, /192\.0\.2\.9 timeout 5s/);
  const tap = compileRuleset(config, {
    mode: 'tap',
    ...groups,
    blocked: [{ address: '192.0.2.9', family: 'ipv4', secondsLeft: 5 }],
  }).script;
  assert.doesNotMatch(tap, /\bdrop\b/);
  assert.match(tap, /tcp dport 22 log group 10 prefix "bw\|0\|t" accept/);
  assert.match(tap, /prefix "bw\|imp\|t" accept/);
  assert.match(tap, /prefix "bw\|ho\|t" accept/);
  assert.match(tap, /ct state invalid log group 10 prefix "bw\|inv\|t" accept/);
  assert.doesNotMatch(tap, /192\.0\.2\.9/, 'tap mode blocks nobody');
  for (const m of tap.matchAll(/prefix "([^"]+)"/g)) assert.ok(parseLogPrefix(m[1] as string), m[1]);
});

test('no allow rule, no implicit deny', () => {
  const { script } = compileRuleset(configuration([{ action: 'deny', protocol: 'udp' }]), {
    mode: 'inline',
    ...groups,
  });
  assert.doesNotMatch(script, /bw\|imp/);
});

test('reusable lists become named sets; a rule mixing families becomes one nft rule per family', () => {
  const config = configuration(
    [
      { source: { ipLists: ['admins'] }, protocol: 'tcp', destinationPorts: { portLists: ['web'] } },
      { source: { addresses: ['10.0.0.1', '2001:db8::/32'] } },
      { source: { addresses: ['10.0.0.1'], negate: true } },
    ],
    quiet,
    {
      ipLists: [{ id: 'admins', name: 'A', addresses: ['10.0.0.0/8', '10.1.0.0/16'] }],
      macLists: [],
      portLists: [{ id: 'web', name: 'W', ports: [80, 443] }],
    },
  );
  const { script } = compileRuleset(config, { mode: 'inline', ...groups });
  assert.match(script, /set ipl0_4 \{ type ipv4_addr; flags interval; elements = \{ 10\.0\.0\.0\/8 \} \}/);
  assert.match(script, /set pl0 \{ type inet_service; flags interval; elements = \{ 80, 443 \} \}/);
  const lines = ruleLines(script);
  assert.ok(
    lines.includes('ip saddr @ipl0_4 meta l4proto tcp tcp dport @pl0 log group 10 prefix "bw|0|d" drop'),
    lines.join('\n'),
  );
  assert.ok(lines.includes('ip saddr 10.0.0.1 log group 10 prefix "bw|1|d" drop'));
  assert.ok(lines.includes('ip6 saddr 2001:db8::/32 log group 10 prefix "bw|1|d" drop'));
  // "anything but 10.0.0.1" covers all IPv6 sources too.
  assert.ok(lines.includes('ip saddr != 10.0.0.1 log group 10 prefix "bw|2|d" drop'));
  assert.ok(lines.includes('meta nfproto ipv6 log group 10 prefix "bw|2|d" drop'));
});

test('ARP rules go to an arp table; fragment rules to a chain before defragmentation', () => {
  const config = configuration([{ frameType: 'arp', source: { addresses: ['10.0.0.5'] } }, { fragments: true }], quiet);
  const { script } = compileRuleset(config, { mode: 'inline', ...groups });
  assert.match(script, /table arp bulwark \{[\s\S]*arp saddr ip 10\.0\.0\.5 log group 10 prefix "bw\|0\|d" drop/);
  assert.match(
    script,
    /hook prerouting priority -450[\s\S]*ip frag-off & 0x3fff != 0 log group 10 prefix "bw\|1\|d" drop/,
  );
  const none = compileRuleset(configuration([], quiet), { mode: 'inline', ...groups }).script;
  assert.doesNotMatch(none, /table arp bulwark \{\n/, 'no arp table when nothing needs one');
});

test('reconnaissance observation is compiled only when a detection is on', () => {
  const on = compileRuleset(configuration([]), { mode: 'inline', ...groups }).script;
  assert.match(on, /log group 11 prefix "bw\|r"/);
  assert.match(on, /arp operation request log group 11/);
  const off = compileRuleset(configuration([], quiet), { mode: 'inline', ...groups }).script;
  assert.doesNotMatch(off, /group 11/);
});

test('the manager channel is accepted above blocks and rules; implicit deny never cuts an established flow', () => {
  const config = configuration(
    [
      { action: 'deny', direction: 'outgoing', destination: { addresses: ['192.0.2.10'] } },
      { action: 'allow', direction: 'outgoing', protocol: 'udp', destinationPorts: { ports: [53] } },
      { action: 'allow', protocol: 'tcp', destinationPorts: { ports: [80] } },
    ],
    { trackTcpState: false, trackUdpState: false, trackIcmpState: false },
  );
  const { script } = compileRuleset(config, {
    mode: 'inline',
    ...groups,
    managerEndpoints: [
      { address: '192.0.2.10', family: 'ipv4', port: 4120 },
      { address: '2001:db8::10', family: 'ipv6', port: 4120 },
    ],
  });
  const chain = (hook: string) => {
    const start = script.indexOf(`chain ${hook} {`);
    return script.slice(start, script.indexOf('\t}', start));
  };
  const output = chain('output');
  const input = chain('input');
  const before = (text: string, a: string, b: string) => {
    assert.ok(text.includes(a), `${a} in ${text}`);
    assert.ok(text.indexOf(a) < text.indexOf(b), `${a} before ${b}`);
  };
  before(output, 'ip daddr 192.0.2.10 tcp dport 4120 accept', 'ip daddr 192.0.2.10 log group');
  before(output, 'ip6 daddr 2001:db8::10 tcp dport 4120 accept', '"bw|imp|d"');
  before(input, 'ip saddr 192.0.2.10 tcp sport 4120 ct state established,related accept', '@blocked4');
  // With state tracking off, the implicit deny still lets known flows through.
  for (const text of [input, output]) before(text, '\t\tct state established,related accept\n', '"bw|imp|d"');
});

test('small value lists expand into one nft rule each; large ones become named sets (no anonymous sets)', () => {
  const { script } = compileRuleset(
    configuration([
      {
        protocol: 'tcp',
        source: { addresses: ['10.0.0.0/24', '10.0.1.1-10.0.1.9'] },
        destinationPorts: { ports: [22, '80-90'] },
      },
      // Overlapping blocks are joined first: 2 addresses x 5 ports is over MAX_EXPANSION, so the ports become a set.
      {
        protocol: 'tcp',
        source: { addresses: ['10.0.0.0/8', '10.1.2.3', '192.0.2.0/24'] },
        destinationPorts: { ports: [1, 2, 3, 4, 5] },
      },
      { action: 'log-only', source: { addresses: ['10.0.0.1', '10.0.0.2', '10.0.0.3'], negate: true } },
    ]),
    { mode: 'inline', ...groups },
  );
  assert.doesNotMatch(script, /saddr \{|dport \{/, 'no anonymous sets');
  assert.doesNotMatch(script, /auto-merge/);
  const lines = (prefix: string) => script.split('\n').filter((l) => l.includes(`prefix "bw|${prefix}`));
  assert.deepEqual(
    lines('0|').map((l) => l.trim().replace(/ log group.*/, '')),
    [
      'ip saddr 10.0.0.0/24 meta l4proto tcp tcp dport 22',
      'ip saddr 10.0.0.0/24 meta l4proto tcp tcp dport 80-90',
      'ip saddr 10.0.1.1-10.0.1.9 meta l4proto tcp tcp dport 22',
      'ip saddr 10.0.1.1-10.0.1.9 meta l4proto tcp tcp dport 80-90',
    ],
  );
  assert.match(script, /set iv0 \{ type inet_service; flags interval; elements = \{ 1, 2, 3, 4, 5 \} \}/);
  assert.deepEqual(
    lines('1|').map((l) => l.trim().replace(/ log group.*/, '')),
    ['ip saddr 10.0.0.0/8 meta l4proto tcp tcp dport @iv0', 'ip saddr 192.0.2.0/24 meta l4proto tcp tcp dport @iv0'],
  );
  assert.match(
    script,
    /ip saddr != 10\.0\.0\.1 ip saddr != 10\.0\.0\.2 ip saddr != 10\.0\.0\.3 log group 10 prefix "bw\|2\|l"/,
  );
  assert.ok(script.indexOf('set iv0') < script.indexOf('chain input'), 'declared before use');
});

test('disjointTerms joins overlapping values into ranges and keeps the others as written', () => {
  assert.deepEqual(disjointTerms('inet_service', ['80', '443', '70-85', '84-90', '1000']), ['70-90', '443', '1000']);
  assert.deepEqual(disjointTerms('ipv4_addr', ['10.0.0.0/24', '10.0.0.7', '10.0.1.0/24', '10.0.0.200-10.0.1.9']), [
    '10.0.0.0-10.0.1.255',
  ]);
  assert.deepEqual(disjointTerms('ipv6_addr', ['2001:db8::/64', '2001:db8::5', 'fd00::1']), [
    '2001:db8::/64',
    'fd00::1',
  ]);
  assert.deepEqual(disjointTerms('ipv6_addr', ['2001:db8::1-2001:db8::9', '2001:db8::5-2001:db8::f']), [
    '2001:db8:0:0:0:0:0:1-2001:db8:0:0:0:0:0:f',
  ]);
});

test('property: disjointTerms covers exactly the values it was given, with no two overlapping', () => {
  const term = fc.oneof(
    fc.integer({ min: 0, max: 200 }).map(String),
    fc.tuple(fc.integer({ min: 0, max: 200 }), fc.integer({ min: 0, max: 30 })).map(([a, n]) => `${a}-${a + n}`),
  );
  const spans = (terms: readonly string[]) =>
    terms.map((t) => {
      const [low = '0', high = low] = t.split('-');
      return [Number(low), Number(high)] as const;
    });
  fc.assert(
    fc.property(fc.array(term, { minLength: 1, maxLength: 12 }), (terms) => {
      const out = disjointTerms('inet_service', terms);
      const before = spans(terms);
      const after = spans(out);
      for (let p = 0; p <= 231; p++)
        assert.equal(
          after.some(([l, h]) => l <= p && p <= h),
          before.some(([l, h]) => l <= p && p <= h),
          `port ${p}`,
        );
      for (let i = 1; i < after.length; i++) assert.ok((after[i]?.[0] ?? 0) > (after[i - 1]?.[1] ?? 0));
    }),
  );
});
