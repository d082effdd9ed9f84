import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compileRuleset, LogInspectionEngine, type RulesetFile } from './index.js';

/** Decoders and rules written for these tests in OSSEC's syntax (rules.c, decode-xml.c). */
const DECODERS: RulesetFile = {
  name: 'ossec_decoders.xml',
  content: `
<decoder name="webd">
  <program_name_pcre2>^webd$</program_name_pcre2>
</decoder>
<decoder name="webd-access">
  <parent>webd</parent>
  <prematch_pcre2>^\\d+\\.\\d+\\.\\d+\\.\\d+ - </prematch_pcre2>
  <pcre2>^(\\S+) - (\\S+) "(?:GET|POST) (\\S+) [^"]+" (\\d+)</pcre2>
  <order>srcip, user, url, id</order>
  <fts>name, user, srcip</fts>
</decoder>
<decoder name="ldapd">
  <program_name>^ldapd</program_name>
</decoder>
<decoder name="ldapd-conn">
  <parent>ldapd</parent>
  <prematch>^conn=\\d+ from </prematch>
  <regex>^conn=(\\d+) from (\\S+)</regex>
  <order>id, srcip</order>
  <accumulate/>
</decoder>
<decoder name="ldapd-bind">
  <parent>ldapd</parent>
  <prematch>^conn=\\d+ bind </prematch>
  <regex>^conn=(\\d+) bind dn=(\\S+) err=(\\d+)</regex>
  <order>id, dstuser, status</order>
  <accumulate/>
</decoder>`,
};

const RULES: RulesetFile = {
  name: 'ossec_rules.xml',
  content: `
<group name="syslog,">
  <rule id="1" level="0" noalert="1">
    <category>syslog</category>
    <description>template</description>
  </rule>
</group>
<group name="web,">
  <rule id="500" level="0">
    <decoded_as>webd</decoded_as>
    <description>webd grouped</description>
  </rule>
  <rule id="501" level="6">
    <if_sid>500</if_sid>
    <url_pcre2>%00|\\.\\./\\.\\.|</url_pcre2>
    <url_pcre2>cmd\\.exe|root\\.exe</url_pcre2>
    <description>web attack: </description>
    <description>$(url)</description>
  </rule>
  <rule id="502" level="3">
    <if_sid>500</if_sid>
    <if_fts />
    <description>first request of $(user) from $(srcip)</description>
  </rule>
  <rule id="503" level="4">
    <if_sid>500</if_sid>
    <srcip>10.1.0.0/16</srcip>
    <srcip>192.168.7.7</srcip>
    <id_pcre2>^4</id_pcre2>
    <description>client error from a known network</description>
  </rule>
</group>
<group name="ldap,">
  <rule id="600" level="0">
    <decoded_as>ldapd</decoded_as>
    <description>ldapd grouped</description>
  </rule>
  <rule id="601" level="5">
    <if_sid>600</if_sid>
    <status>^49$</status>
    <description>ldap bind failure for $(dstuser) from $(srcip)</description>
  </rule>
</group>`,
};

const T0 = Date.UTC(2026, 10, 18, 12);

function engineWith(
  extraRules: RulesetFile[] = [],
  options: ConstructorParameters<typeof LogInspectionEngine>[1] = {},
) {
  const { ruleset, problems } = compileRuleset({ decoders: [DECODERS], rules: [RULES, ...extraRules] });
  return { engine: new LogInspectionEngine(ruleset, options), problems };
}

const line = (msg: string, prog = 'webd') => `Dec  7 09:00:00 host1 ${prog}[42]: ${msg}`;
const access = (ip: string, user: string, url: string, status: number) =>
  line(`${ip} - ${user} "GET ${url} HTTP/1.1" ${status} 512`);

test('OSSEC 3.4+ *_pcre2 decoder elements decode; repeated <url_pcre2> lines form one "any of" pattern', () => {
  const { engine, problems } = engineWith();
  assert.deepEqual(
    problems.filter((p) => p.severity === 'error'),
    [],
  );
  const traversal = engine.process({
    line: access('10.9.0.1', 'bob', '/a/../../etc/passwd', 200),
    location: 'x',
    time: T0,
  });
  assert.equal(traversal.decoder, 'webd');
  assert.equal(traversal.event.fields.get('url'), '/a/../../etc/passwd');
  assert.equal(traversal.rule?.id, 501);
  assert.equal(engine.describe(traversal), 'web attack: /a/../../etc/passwd', 'descriptions are appended');
  // The second line of the pattern, and PCRE2_CASELESS as OSSEC compiles it.
  const exe = engine.process({
    line: access('10.9.0.1', 'bob', '/scripts/ROOT.EXE?/c+dir', 200),
    location: 'x',
    time: T0,
  });
  assert.equal(exe.rule?.id, 501);
});

test('<srcip> elements form one list, any of which matches (OS_IPFoundList)', () => {
  const { engine } = engineWith();
  // The first request of each (user, srcip) goes to the first-time-seen rule 502; send one first.
  for (const ip of ['10.1.2.3', '192.168.7.7', '172.16.0.1']) {
    engine.process({ line: access(ip, 'eve', '/x', 200), location: 'x', time: T0 });
    const v = engine.process({ line: access(ip, 'eve', '/x', 404), location: 'x', time: T0 });
    assert.equal(v.rule?.id === 503, ip !== '172.16.0.1', ip);
  }
});

test('<if_fts/>: first time per decoder name and <fts> fields, kept across engines through the saved entries', () => {
  const { engine } = engineWith();
  const first = engine.process({ line: access('10.9.0.2', 'carol', '/index', 200), location: 'x', time: T0 });
  assert.equal(first.rule?.id, 502);
  const again = engine.process({ line: access('10.9.0.2', 'carol', '/other', 200), location: 'x', time: T0 + 1000 });
  assert.notEqual(again.rule?.id, 502);
  const otherIp = engine.process({ line: access('10.9.0.3', 'carol', '/index', 200), location: 'x', time: T0 + 2000 });
  assert.equal(otherIp.rule?.id, 502);
  assert.equal(engine.firstTimeSeen.changes, 2);
  // A restarted agent passes the saved entries to its new engine.
  const saved = engine.firstTimeSeen.entries();
  const { engine: restarted } = engineWith([], { firstTimeSeen: saved });
  const afterRestart = restarted.process({ line: access('10.9.0.2', 'carol', '/index', 200), location: 'x', time: T0 });
  assert.notEqual(afterRestart.rule?.id, 502);
  const { engine: fresh } = engineWith();
  assert.equal(
    fresh.process({ line: access('10.9.0.2', 'carol', '/index', 200), location: 'x', time: T0 }).rule?.id,
    502,
  );
});

test('<accumulate/>: events of one id share fields for two minutes', () => {
  const { engine } = engineWith();
  engine.process({ line: line('conn=7 from 203.0.113.5', 'ldapd'), location: 'x', time: T0 });
  const bind = engine.process({ line: line('conn=7 bind dn=admin err=49', 'ldapd'), location: 'x', time: T0 + 5000 });
  assert.equal(bind.rule?.id, 601);
  assert.equal(engine.describe(bind), 'ldap bind failure for admin from 203.0.113.5');
  const late = engine.process({
    line: line('conn=7 bind dn=admin err=49', 'ldapd'),
    location: 'x',
    time: T0 + 200_000,
  });
  assert.equal(late.event.fields.get('srcip'), undefined, 'expired after 120 s');
  const other = engine.process({ line: line('conn=8 bind dn=root err=49', 'ldapd'), location: 'x', time: T0 + 6000 });
  assert.equal(other.event.fields.get('srcip'), undefined, 'another id shares nothing');
});

test('a rule with an element the engine cannot evaluate is refused whole, named, with its children', () => {
  const rules: RulesetFile = {
    name: 'local_rules.xml',
    content: `<group name="local,">
  <rule id="5600" level="0">
    <program_name>^telnetd</program_name>
    <tcp_wrapper>yes</tcp_wrapper>
    <description>telnetd grouped, with an element nobody knows</description>
  </rule>
  <rule id="5601" level="5">
    <if_sid>5600</if_sid>
    <match>refused connect from</match>
    <description>Connection refused by TCP Wrappers</description>
  </rule>
  <rule id="5602" level="3">
    <if_sid>5600, 500</if_sid>
    <match>GET</match>
    <description>child of a refused and a loaded rule</description>
  </rule>
  <rule id="5603" level="4">
    <if_sid>500</if_sid>
    <if_matched_regex>^x</if_matched_regex>
    <description>an element this engine does not support</description>
  </rule>
  <rule id="5604" level="4">
    <decoded_as>no-such-decoder</decoded_as>
    <description>decoder nobody loaded</description>
  </rule>
</group>`,
  };
  const { engine, problems } = engineWith([rules]);
  const errors = problems.filter((p) => p.severity === 'error').map((p) => `${p.file}:${p.line}: ${p.message}`);
  assert.ok(
    errors.includes(
      'local_rules.xml:4: rule 5600: element <tcp_wrapper> is unknown, and the rule cannot be evaluated without it; rule refused',
    ),
    errors.join('\n'),
  );
  assert.ok(
    errors.some((e) => e.startsWith('local_rules.xml:7: rule 5601: if_sid 5600 names no loaded rule')),
    errors.join('\n'),
  );
  assert.ok(
    errors.some((e) => e.includes('rule 5603: <if_matched_regex> is not supported by this engine')),
    errors.join('\n'),
  );
  assert.ok(
    errors.some((e) => e.includes('rule 5604: <decoded_as>no-such-decoder</decoded_as> names no loaded decoder')),
  );
  assert.equal(engine.ruleset.rulesById.has(5600), false);
  assert.equal(engine.ruleset.rulesById.has(5601), false);
  assert.equal(engine.ruleset.rulesById.has(5602), true, 'kept under its loaded parent');
  // An undecoded line no longer reaches a telnetd child through a rule without its condition.
  const undecoded = engine.process({
    line: 'Dec  7 09:00:00 host1 nginx: refused connect from 1.2.3.4',
    location: 'x',
    time: T0,
  });
  assert.equal(undecoded.rule, undefined);
});

test('a decoder with an element the engine cannot evaluate, or a plugin OSSEC would run, is refused whole', () => {
  const decoders: RulesetFile = {
    name: 'local_decoders.xml',
    content: `<decoder name="mystery">
  <program_name>^mystery</program_name>
  <magic>yes</magic>
</decoder>
<decoder name="alertd">
  <program_name>^alertd</program_name>
  <plugin_decoder>OSSECAlert_Decoder</plugin_decoder>
</decoder>
<decoder name="mixed">
  <program_name>^mixed</program_name>
  <program_name_pcre2>^mixed</program_name_pcre2>
</decoder>`,
  };
  const { problems } = compileRuleset({ decoders: [decoders], rules: [] });
  const errors = problems.filter((p) => p.severity === 'error').map((p) => p.message);
  assert.deepEqual(errors, [
    'decoder "mystery": element <magic> is unknown, and the decoder cannot be evaluated without it; decoder refused',
    'decoder "mixed": both <program_name> and <program_name_pcre2>; OSSEC would use only one of them; decoder refused',
    'decoder "alertd": plugin OSSECAlert_Decoder is compiled into OSSEC and this engine does not have it; decoder refused',
  ]);
});

test('<ignore> and <check_if_ignored>: after the frequency rule fires, the same source and id raise no alert', () => {
  const decoders: RulesetFile = {
    name: 'ids_decoders.xml',
    content: `<decoder name="nids">
  <program_name>^nids$</program_name>
  <type>ids</type>
  <regex>^\\[(\\d+)\\] from (\\S+)</regex>
  <order>id, srcip</order>
</decoder>`,
  };
  const rules: RulesetFile = {
    name: 'ids_rules.xml',
    content: `<group name="ids,">
  <rule id="700" level="6">
    <category>ids</category>
    <check_if_ignored>srcip, id</check_if_ignored>
    <description>IDS event</description>
  </rule>
  <rule id="701" level="10" frequency="3" timeframe="600">
    <if_matched_sid>700</if_matched_sid>
    <same_source_ip />
    <ignore>srcip, id</ignore>
    <description>repeated IDS events (ignoring this source and id from now on)</description>
  </rule>
</group>`,
  };
  const { ruleset, problems } = compileRuleset({ decoders: [decoders], rules: [rules] });
  assert.deepEqual(
    problems.filter((p) => p.severity === 'error'),
    [],
  );
  const engine = new LogInspectionEngine(ruleset);
  const ids = (msg: string, i: number) =>
    engine.process({ line: `Dec  7 09:00:00 sensor nids: ${msg}`, location: 'x', time: T0 + i * 1000 }).rule?.id;
  assert.deepEqual(
    [1, 2, 3].map((i) => ids('[2001] from 198.51.100.7', i)),
    [700, 700, 701],
  );
  assert.equal(ids('[2001] from 198.51.100.7', 4), undefined, 'this source and id are ignored now');
  assert.equal(ids('[2002] from 198.51.100.7', 5), 700, 'another id is not');
  assert.equal(ids('[2001] from 198.51.100.8', 6), 700, 'another source is not');
});

test('an empty *_pcre2 element refuses its decoder or rule, as OSSEC 3.6+ does, instead of matching everything', () => {
  const decoders: RulesetFile = {
    name: 'empty_decoders.xml',
    content: `<decoder name="anyprog">
  <program_name_pcre2></program_name_pcre2>
  <prematch_pcre2>^session </prematch_pcre2>
</decoder>
<decoder name="appd">
  <program_name_pcre2>^appd$</program_name_pcre2>
</decoder>`,
  };
  const rules: RulesetFile = {
    name: 'empty_rules.xml',
    content: `<group name="app,">
  <rule id="800" level="3">
    <decoded_as>appd</decoded_as>
    <description>appd</description>
  </rule>
  <rule id="801" level="7">
    <if_sid>800</if_sid>
    <match_pcre2></match_pcre2>
    <description>would fire on every appd line</description>
  </rule>
</group>`,
  };
  const { ruleset, problems } = compileRuleset({ decoders: [decoders], rules: [rules] });
  assert.deepEqual(
    problems.filter((p) => p.severity === 'error').map((p) => p.message),
    [
      'decoder "anyprog": <program_name_pcre2> is empty (OSSEC 3.6+ refuses it too; ".*" matches anything); decoder refused',
      'rule 801: <match_pcre2> is empty (OSSEC 3.6+ refuses it too; ".*" matches anything); rule refused',
    ],
  );
  const engine = new LogInspectionEngine(ruleset);
  const v = engine.process({ line: 'Dec  7 09:00:00 h appd: session opened', location: 'x', time: T0 });
  assert.equal(v.decoder, 'appd');
  assert.equal(v.rule?.id, 800);
});
