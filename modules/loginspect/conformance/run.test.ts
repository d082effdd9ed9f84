import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';

const repoRoot = resolve(import.meta.dirname, '../../..');

function run(script: string, args: string[], env: Record<string, string> = {}) {
  const { CI: _ci, ...rest } = process.env;
  return spawnSync(process.execPath, ['--import', 'tsx', join(repoRoot, script), ...args], {
    encoding: 'utf8',
    env: { ...rest, ...env },
  });
}

test('conformance and bench runners print their usage for --help and refuse unknown options with it', () => {
  for (const script of ['modules/loginspect/conformance/run.ts', 'bench/loginspect/run.ts']) {
    const help = run(script, ['--help']);
    assert.equal(help.status, 0, help.stderr);
    assert.match(help.stdout, /^usage: npm run/);
    const bad = run(script, ['--no-such-option']);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /no-such-option[\s\S]*usage:/);
    assert.doesNotMatch(bad.stderr, /\n\s+at /, 'no stack trace');
  }
});

test('without the test corpus the conformance run is skipped, except under CI=true where it fails', () => {
  const missing = ['--ruleset', join(tmpdir(), 'no-such-ruleset')];
  const local = run('modules/loginspect/conformance/run.ts', missing);
  assert.equal(local.status, 0);
  assert.match(local.stdout, /skipped/);
  const ci = run('modules/loginspect/conformance/run.ts', missing, { CI: 'true' });
  assert.equal(ci.status, 1);
  assert.match(ci.stderr, /CI=true needs the corpus/);
});

test('ordered file lists: rules load in the listed order and a case outside the known list fails the run', () => {
  const dir = mkdtempSync(join(tmpdir(), 'li-conformance-'));
  writeFileSync(join(dir, 'decoder.xml'), '<decoder name="app">\n  <program_name>^app$</program_name>\n</decoder>\n');
  writeFileSync(
    join(dir, 'base_rules.xml'),
    '<group name="syslog,">\n  <rule id="1" level="0" noalert="1">\n    <category>syslog</category>\n    <description>t</description>\n  </rule>\n  <rule id="100" level="0">\n    <decoded_as>app</decoded_as>\n    <description>app</description>\n  </rule>\n</group>\n',
  );
  // Needs base_rules.xml loaded first (if_sid 100): the list, not the names, sets the order.
  writeFileSync(
    join(dir, 'a_child_rules.xml'),
    '<group name="app,">\n  <rule id="101" level="5">\n    <if_sid>100</if_sid>\n    <match>denied</match>\n    <description>denied</description>\n  </rule>\n</group>\n',
  );
  writeFileSync(join(dir, 'decoders.list'), 'decoder.xml\n');
  writeFileSync(join(dir, 'rules.list'), '# as ossec-server.conf includes them\nbase_rules.xml\na_child_rules.xml\n');
  writeFileSync(
    join(dir, 'app.ini'),
    '[denied]\nlog 1 pass = Dec  7 09:00:00 h app: access denied\nrule = 101\nalert = 5\ndecoder = app\n\n[other]\nlog 1 pass = Dec  7 09:00:00 h app: fine\nrule = 102\nalert = 3\ndecoder = app\n',
  );
  writeFileSync(join(dir, 'known.json'), JSON.stringify({ failing: [], unsupported: [] }));
  const args = [
    '--decoders',
    join(dir, 'decoders.list'),
    '--rules',
    join(dir, 'rules.list'),
    '--tests',
    dir,
    '--quiet',
  ];
  const result = run('modules/loginspect/conformance/run.ts', [...args, '--expected', join(dir, 'known.json')]);
  assert.match(result.stdout, /1 pass, 1 fail/);
  assert.match(result.stdout, /NEW failure or unsupported case: app\.ini \[other\] log 1 pass/);
  assert.equal(result.status, 1);
  writeFileSync(join(dir, 'known.json'), JSON.stringify({ failing: ['app.ini [other] log 1 pass'], unsupported: [] }));
  const pinned = run('modules/loginspect/conformance/run.ts', [...args, '--expected', join(dir, 'known.json')]);
  assert.equal(pinned.status, 0, pinned.stdout);
});

test('--ossec DIR --load-only: loads an OSSEC tree in the order of its ossec-server.conf and counts refusals by reason', () => {
  const root = mkdtempSync(join(tmpdir(), 'li-ossec-tree-'));
  mkdirSync(join(root, 'etc', 'rules'), { recursive: true });
  writeFileSync(
    join(root, 'etc', 'ossec-server.conf'),
    '<ossec_config>\n  <rules>\n    <include>base_rules.xml</include>\n    <include>app_rules.xml</include>\n    <include>gone_rules.xml</include>\n  </rules>\n</ossec_config>\n',
  );
  writeFileSync(
    join(root, 'etc', 'decoder.xml'),
    '<decoder name="app">\n  <program_name_pcre2>^app$</program_name_pcre2>\n</decoder>\n<decoder name="odd">\n  <program_name_pcre2>^odd$</program_name_pcre2>\n  <sparkle>yes</sparkle>\n</decoder>\n',
  );
  writeFileSync(
    join(root, 'etc', 'rules', 'base_rules.xml'),
    '<group name="syslog,">\n  <rule id="100" level="0">\n    <decoded_as>app</decoded_as>\n    <description>app</description>\n  </rule>\n</group>\n',
  );
  // Alphabetically app_rules.xml comes first and its if_sid would name no loaded rule.
  writeFileSync(
    join(root, 'etc', 'rules', 'app_rules.xml'),
    '<group name="app,">\n  <rule id="101" level="5">\n    <if_sid>100</if_sid>\n    <match_pcre2>denied</match_pcre2>\n    <description>d</description>\n  </rule>\n  <rule id="102" level="5">\n    <if_sid>100</if_sid>\n    <glitter>x</glitter>\n    <description>g</description>\n  </rule>\n  <rule id="103" level="5">\n    <if_sid>100</if_sid>\n    <glitter>y</glitter>\n    <description>g</description>\n  </rule>\n</group>\n',
  );
  const result = run('modules/loginspect/conformance/run.ts', ['--ossec', root, '--load-only']);
  assert.match(result.stdout, /1 decoder files, 2 rule files in load order/);
  assert.match(result.stdout, /not in the tree: rule file gone_rules\.xml/);
  assert.match(result.stdout, /ruleset: 1 decoders, 2 rules loaded/);
  assert.match(result.stdout, /refused: 1 decoders, 2 rules, 0 files/);
  assert.match(
    result.stdout,
    /\n\s+2 {2}element <glitter> is unknown, and the rule cannot be evaluated without it {2}\(/,
  );
  assert.match(result.stdout, /\n\s+1 {2}element <sparkle> is unknown, and the decoder cannot be evaluated without it/);
  assert.equal(result.status, 1, 'a file the configuration names is missing');
  writeFileSync(join(root, 'etc', 'rules', 'gone_rules.xml'), '<group name="x,">\n</group>\n');
  assert.equal(run('modules/loginspect/conformance/run.ts', ['--ossec', root, '--load-only']).status, 0);
});
