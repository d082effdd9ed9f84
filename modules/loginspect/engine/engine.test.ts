import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compileRuleset, LogInspectionEngine, type RulesetFile } from './index.js';

const DECODERS: RulesetFile = {
  name: 'test_decoders.xml',
  content: `
<decoder name="sshd">
  <program_name>^sshd</program_name>
</decoder>
<decoder name="sshd-failed">
  <parent>sshd</parent>
  <prematch>^Failed \\S+ </prematch>
  <regex offset="after_prematch">^for (\\S+) from (\\S+) port</regex>
  <order>user, srcip</order>
</decoder>
<decoder name="app-json">
  <prematch>^{"app"</prematch>
  <plugin_decoder>JSON_Decoder</plugin_decoder>
</decoder>`,
};

const RULES: RulesetFile = {
  name: 'test_rules.xml',
  content: `
<var name="FREQ">3</var>
<group name="syslog,">
  <rule id="1" level="0" noalert="1">
    <category>syslog</category>
    <description>template</description>
  </rule>
</group>
<group name="sshd,">
  <rule id="100" level="0" noalert="1">
    <decoded_as>sshd</decoded_as>
    <description>sshd grouped</description>
  </rule>
  <rule id="101" level="5">
    <if_sid>100</if_sid>
    <match>^Failed password</match>
    <description>sshd: failed password for $(user) from $(srcip)</description>
    <group>authentication_failed,</group>
  </rule>
  <rule id="102" level="10" frequency="$FREQ" timeframe="60">
    <if_matched_sid>101</if_matched_sid>
    <same_source_ip />
    <description>sshd: brute force from $(srcip)</description>
  </rule>
  <rule id="103" level="7">
    <if_sid>101</if_sid>
    <srcip>!10.0.0.0/8</srcip>
    <user>root</user>
    <description>root login failure from outside</description>
  </rule>
  <rule id="104" level="3">
    <decoded_as>app-json</decoded_as>
    <field name="App.User" type="pcre2">^adm</field>
    <field name="app.action" negate="yes">^read$</field>
    <description>app admin action</description>
  </rule>
</group>`,
};

const T0 = Date.UTC(2026, 10, 18, 12);

function engineWith(extra: { decoders?: RulesetFile[]; rules?: RulesetFile[] } = {}) {
  const { ruleset, problems } = compileRuleset({
    decoders: [DECODERS, ...(extra.decoders ?? [])],
    rules: [RULES, ...(extra.rules ?? [])],
  });
  return { engine: new LogInspectionEngine(ruleset), problems };
}

const failed = (user: string, ip: string) =>
  `Nov 18 12:00:00 web sshd[42]: Failed password for ${user} from ${ip} port 2222 ssh2`;

test('decodes a child decoder, reports the parent name, and expands the description', () => {
  const { engine, problems } = engineWith();
  assert.deepEqual(problems, []);
  const v = engine.process({ line: failed('alice', '10.1.2.3'), location: 'auth.log', time: T0 });
  assert.equal(v.decoder, 'sshd');
  assert.equal(v.rule?.id, 101);
  assert.equal(v.alert, true);
  assert.equal(engine.describe(v), 'sshd: failed password for alice from 10.1.2.3');
});

test('child rules: srcip negation with CIDR and user', () => {
  const { engine } = engineWith();
  assert.equal(engine.process({ line: failed('root', '203.0.113.9'), location: 'a', time: T0 }).rule?.id, 103);
  assert.equal(engine.process({ line: failed('root', '10.9.9.9'), location: 'a', time: T0 + 100_000 }).rule?.id, 101);
});

test('frequency with same_source_ip fires on the third event from one address within the timeframe', () => {
  const { engine } = engineWith();
  const ids = [0, 1, 2].map(
    (i) => engine.process({ line: failed('bob', '10.0.0.5'), location: 'a', time: T0 + i * 1000 }).rule?.id,
  );
  assert.deepEqual(ids, [101, 101, 102]);
  const other = engineWith().engine;
  const mixed = ['10.0.0.5', '10.0.0.6', '10.0.0.5'].map(
    (ip, i) => other.process({ line: failed('bob', ip), location: 'a', time: T0 + i * 1000 }).rule?.id,
  );
  assert.deepEqual(mixed, [101, 101, 101]);
  const slow = engineWith().engine;
  const spread = [0, 1, 2].map(
    (i) => slow.process({ line: failed('bob', '10.0.0.5'), location: 'a', time: T0 + i * 61_000 }).rule?.id,
  );
  assert.deepEqual(spread, [101, 101, 101]);
});

test('JSON decoding with case-insensitive field names, pcre2 and negated fields', () => {
  const { engine } = engineWith();
  assert.equal(
    engine.process({ line: '{"app":1,"App":{"User":"admin","Action":"delete"}}', location: 'a', time: T0 }).rule?.id,
    104,
  );
  assert.equal(
    engine.process({ line: '{"app":1,"App":{"User":"admin","Action":"read"}}', location: 'a', time: T0 }).rule,
    undefined,
  );
  assert.equal(engine.process({ line: '{"app":1, broken json', location: 'a', time: T0 }).decoder, 'app-json');
});

test('correlation memory stays bounded however many events arrive', () => {
  const { ruleset } = compileRuleset({ decoders: [DECODERS], rules: [RULES] });
  const engine = new LogInspectionEngine(ruleset, { maxEntriesPerKey: 50, maxCorrelationBuckets: 20 });
  // One address, many events: at most 50 kept for it.
  for (let i = 0; i < 2000; i++) engine.process({ line: failed('u', '10.0.0.1'), location: 'a', time: T0 + i });
  assert.ok(engine.correlationSize() <= 50, `held ${engine.correlationSize()}`);
  // Many addresses: at most 20 addresses of 50 events.
  for (let i = 0; i < 20000; i++)
    engine.process({ line: failed('u', `10.${i % 250}.0.${i % 200}`), location: 'a', time: T0 + i });
  assert.ok(engine.correlationSize() <= 20 * 50, `held ${engine.correlationSize()}`);
  // Old events leave with the timeframe.
  engine.process({ line: failed('u', '10.0.0.1'), location: 'a', time: T0 + 10_000_000 });
  engine.process({ line: failed('u', '10.0.0.2'), location: 'a', time: T0 + 10_000_001 });
  assert.ok(engine.correlationSize() <= 19 * 50 + 2);
});

test('correlation buckets evict from the front without changing what frequency rules count', () => {
  const { ruleset } = compileRuleset({ decoders: [DECODERS], rules: [RULES] });
  const ids = (engine: LogInspectionEngine, from: number, n: number) =>
    Array.from(
      { length: n },
      (_, i) => engine.process({ line: failed('u', '10.0.0.1'), location: 'a', time: from + i }).rule?.id,
    );
  // Rule 102 needs two earlier failures from the address; the events it used are not used again.
  const expected = Array.from({ length: 4000 }, (_, i) => (i % 3 === 2 ? 102 : 101));
  // Two entries kept per address (every record evicts one; the front is compacted many times).
  const tight = new LogInspectionEngine(ruleset, { maxEntriesPerKey: 2 });
  assert.deepEqual(ids(tight, T0, 4000), expected);
  assert.ok(tight.correlationSize() <= 2);
  const roomy = new LogInspectionEngine(ruleset, { maxEntriesPerKey: 1500 });
  assert.deepEqual(ids(roomy, T0, 4000), expected);
  assert.ok(roomy.correlationSize() <= 1500);
  // An hour later every entry is out of the timeframe: counting starts again.
  assert.deepEqual(ids(roomy, T0 + 3_600_000, 9), expected.slice(0, 9));
  assert.ok(roomy.correlationSize() <= 9);
});

test('bad input: megabyte lines, binary garbage and invalid UTF-8 are processed without error', () => {
  const { engine } = engineWith();
  const huge = `Nov 18 12:00:00 web sshd[42]: Failed password for ${'a'.repeat(3_000_000)} from 1.2.3.4 port 1`;
  const v = engine.process({ line: huge, location: 'a', time: T0 });
  assert.ok(v.event.fullLog.length <= 65_536);
  const garbage = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 256));
  engine.process({ line: garbage.toString('latin1'), location: 'a', time: T0 });
  const invalidUtf8 = Buffer.from([0x4e, 0x6f, 0x76, 0x20, 0xc3, 0x28, 0xff, 0xfe, 0xed, 0xa0, 0x80, 0x0a]).toString(
    'utf8',
  );
  assert.ok(invalidUtf8.includes('\uFFFD'));
  engine.process({ line: invalidUtf8, location: 'a', time: T0 });
  engine.process({ line: '', location: 'a', time: T0 });
});

test('bad rules are refused with file and line; the rest keeps working', () => {
  const brokenRules: RulesetFile = {
    name: 'broken_rules.xml',
    content: `<group name="x,">
  <rule id="200" level="3">
    <if_sid>100</if_sid>
    <regex>unbalanced (paren</regex>
  </rule>
  <rule id="201" level="3">
    <if_sid>424242</if_sid>
    <match>x</match>
  </rule>
  <rule id="202" level="3">
    <if_sid>100</if_sid>
    <field name="x" type="pcre2">[z-a]</field>
  </rule>
</group>`,
  };
  const loopDecoders: RulesetFile = {
    name: 'loop_decoders.xml',
    content: `<decoder name="a">
  <parent>b</parent>
  <prematch>x</prematch>
</decoder>
<decoder name="b">
  <parent>a</parent>
  <prematch>y</prematch>
</decoder>`,
  };
  const { engine, problems } = engineWith({ rules: [brokenRules], decoders: [loopDecoders] });
  const messages = problems.map((p) => `${p.file}:${p.line}: ${p.message}`);
  assert.ok(
    messages.some((m) => m.startsWith('broken_rules.xml:4: rule 200: <regex> unbalanced')),
    messages.join('\n'),
  );
  assert.ok(
    messages.some((m) => m.startsWith('broken_rules.xml:6: rule 201: if_sid 424242 names no loaded rule')),
    messages.join('\n'),
  );
  assert.ok(
    messages.some((m) => m.startsWith('broken_rules.xml:12: rule 202: <field> invalid PCRE2 pattern')),
    messages.join('\n'),
  );
  assert.ok(
    messages.some((m) => m.startsWith('loop_decoders.xml:1: decoder "a": parent "b"')),
    messages.join('\n'),
  );
  assert.ok(
    messages.some((m) => m.startsWith('loop_decoders.xml:5: decoder "b": parent "a"')),
    messages.join('\n'),
  );
  assert.equal(engine.process({ line: failed('alice', '10.1.2.3'), location: 'a', time: T0 }).rule?.id, 101);
});

test('a malformed file is refused as a whole with its line; other files still load', () => {
  const { engine, problems } = engineWith({
    rules: [{ name: 'bad.xml', content: '<group name="x,">\n<rule id="300" level="1">\n</group>' }],
  });
  assert.equal(problems.length, 1);
  assert.equal(problems[0]?.file, 'bad.xml');
  assert.equal(problems[0]?.line, 3);
  assert.equal(engine.process({ line: failed('alice', '10.1.2.3'), location: 'a', time: T0 }).rule?.id, 101);
});

test('rule cycles through if_group are cut so evaluation ends', () => {
  const cyclic: RulesetFile = {
    name: 'cyclic_rules.xml',
    content: `<group name="loop,">
  <rule id="400" level="2"><if_sid>101</if_sid><match>password</match><group>g1,</group></rule>
  <rule id="401" level="2"><if_group>g1</if_group><group>g2,</group><match>password</match></rule>
  <rule id="402" level="2"><if_group>g2</if_group><group>g1,</group><match>password</match></rule>
</group>`,
  };
  const { engine } = engineWith({ rules: [cyclic] });
  const v = engine.process({ line: failed('alice', '10.1.2.3'), location: 'a', time: T0 });
  assert.ok(v.rule);
});

test('catastrophic backtracking in a rule pattern does not hang the engine', { timeout: 60_000 }, () => {
  const evil: RulesetFile = {
    name: 'evil_rules.xml',
    content: `<group name="evil,">
  <rule id="500" level="3">
    <if_sid>100</if_sid>
    <regex type="pcre2">^(a+)+$</regex>
    <description>exponential</description>
  </rule>
  <rule id="501" level="3">
    <if_sid>100</if_sid>
    <regex>^\\.+\\.+\\.+\\.+X</regex>
    <description>polynomial</description>
  </rule>
</group>`,
  };
  const { engine, problems } = engineWith({ rules: [evil] });
  assert.deepEqual(problems, []);
  const v = engine.process({ line: `Nov 18 12:00:00 web sshd[42]: ${'a'.repeat(5000)}!`, location: 'a', time: T0 });
  assert.equal(v.rule, undefined);
});

test('program-name decoders: the per-program memo picks the same decoder as a fresh engine, whatever came before', () => {
  const { engine: warm } = engineWith();
  const lines = [
    failed('bob', '10.0.0.1'),
    'Nov 18 12:00:00 web sshd-session[7]: Failed password for bob from 10.0.0.2 port 1 ssh2',
    'Nov 18 12:00:00 web cron[9]: (root) CMD (true)',
    'Nov 18 12:00:00 web SSHD[42]: Failed password for eve from 10.0.0.3 port 2222 ssh2',
    failed('carol', '10.0.0.4'),
  ];
  for (const line of [...lines, ...lines]) {
    const { engine: fresh } = engineWith();
    const a = warm.process({ line, location: 'auth.log', time: T0 });
    const b = fresh.process({ line, location: 'auth.log', time: T0 });
    assert.equal(a.decoder, b.decoder, line);
    assert.deepEqual([...a.event.fields], [...b.event.fields], line);
  }
  assert.equal(warm.process({ line: lines[0] as string, location: 'a', time: T0 }).decoder, 'sshd');
  assert.equal(warm.process({ line: lines[2] as string, location: 'a', time: T0 }).decoder, undefined);
});

test('program_name rules among many siblings: only the program they name reaches them, negation included', () => {
  const siblings = Array.from(
    { length: 10 },
    (_, i) =>
      `<rule id="${200 + i}" level="3"><program_name>^daemon${i}$</program_name><description>d${i}</description></rule>`,
  ).join('\n');
  const { engine, problems } = engineWith({
    rules: [
      {
        name: 'program_rules.xml',
        content: `<group name="prog,">${siblings}
<rule id="220" level="4"><program_name negate="yes">^daemon</program_name><match>boom</match><description>not a daemon</description></rule>
</group>`,
      },
    ],
  });
  assert.deepEqual(problems, []);
  const rule = (line: string) => engine.process({ line, location: 'syslog', time: T0 }).rule?.id;
  for (let round = 0; round < 2; round++) {
    assert.equal(rule('Nov 18 12:00:00 web daemon7[1]: hello'), 207);
    assert.equal(rule('Nov 18 12:00:00 web daemon3: hello'), 203);
    assert.equal(rule('Nov 18 12:00:00 web other[1]: boom'), 220);
    assert.equal(rule('Nov 18 12:00:00 web daemon3: boom'), 203);
    assert.equal(rule('boom without a header'), undefined);
    assert.equal(rule('Nov 18 12:00:00 web other[1]: quiet'), undefined);
  }
});

test('literal pre-filters: case, offsets, non-ASCII and negation give the same verdicts as the patterns', () => {
  const decoders: RulesetFile = {
    name: 'filter_decoders.xml',
    content: `
<decoder name="gw">
  <prematch>^GATEWAY </prematch>
</decoder>
<decoder name="gw-deny">
  <parent>gw</parent>
  <prematch offset="after_parent">^Deny \\S+ to </prematch>
  <regex offset="after_prematch">^(\\S+) größe=(\\d+)</regex>
  <order>dstip, size</order>
</decoder>`,
  };
  const rules: RulesetFile = {
    name: 'filter_rules.xml',
    content: `
<group name="gw,">
  <rule id="200" level="3">
    <decoded_as>gw</decoded_as>
    <description>gateway</description>
  </rule>
  <rule id="201" level="7">
    <if_sid>200</if_sid>
    <match>deny TCP|deny UDP</match>
    <regex>größe=\\d\\d\\d\\d</regex>
    <description>large denied packet</description>
  </rule>
  <rule id="202" level="6">
    <if_sid>200</if_sid>
    <match negate="yes">ICMP</match>
    <description>denied, not ICMP</description>
  </rule>
</group>`,
  };
  const { ruleset, problems } = compileRuleset({ decoders: [decoders], rules: [rules] });
  assert.deepEqual(
    problems.filter((p) => p.severity === 'error'),
    [],
  );
  const engine = new LogInspectionEngine(ruleset);
  const run = (line: string) => {
    const v = engine.process({ line, location: 'test', time: 0 });
    return { decoder: v.decoder, rule: v.rule?.id, dstip: v.event.fields.get('dstip') };
  };
  // Upper-case text in the line is found by lower-case texts; the child prematch works after the parent.
  assert.deepEqual(run('gateway DENY TCP to 10.0.0.9 größe=1500'), { decoder: 'gw', rule: 201, dstip: '10.0.0.9' });
  // A text that occurs only before the child's offset must not make the child match.
  assert.deepEqual(run('GATEWAY Allow TCP from 10.0.0.9'), { decoder: 'gw', rule: 202, dstip: undefined });
  assert.deepEqual(run('GATEWAY Deny ICMP to 10.0.0.9 größe=12'), { decoder: 'gw', rule: 200, dstip: '10.0.0.9' });
  assert.deepEqual(run('GATEWAY Deny UDP to 10.0.0.9 größe=12'), { decoder: 'gw', rule: 202, dstip: '10.0.0.9' });
  assert.deepEqual(run('something else entirely'), { decoder: undefined, rule: undefined, dstip: undefined });
});
