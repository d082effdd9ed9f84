import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Inventory } from '@bulwark/protocol';
import { Value } from '@sinclair/typebox/value';
import { type LogInspectConfiguration, LogInspectSettings, managerModule } from './index.js';

const settings = Value.Default(LogInspectSettings, {}) as LogInspectSettings;

function compile(rules: { id: string; definition: unknown }[]): LogInspectConfiguration {
  return managerModule.compile({
    computerId: 'c1',
    settings,
    platform: {} as never,
    rules: rules.map((r) => ({ ...r, overrides: {} })),
  }) as LogInspectConfiguration;
}

test('settings default to disabled, level 5, common log files and the journal', () => {
  assert.equal(settings.enabled, false);
  assert.equal(settings.minimumLevel, 5);
  assert.ok(settings.sources.files.includes('/var/log/auth.log'));
  assert.equal(settings.sources.journald, true);
});

test('built-in rules are one per group and are recommended from packages and services', () => {
  const ids = managerModule.builtInRules?.map((r) => r.id) ?? [];
  assert.ok(ids.includes('loginspect.sshd') && ids.includes('loginspect.web'));
  const inventory = {
    packages: [{ name: 'openssh-server' }, { name: 'nginx' }],
    services: [{ name: 'postgresql' }],
  } as unknown as Inventory;
  const recommended = managerModule.recommend?.(inventory) ?? [];
  assert.ok(recommended.includes('loginspect.sshd'));
  assert.ok(recommended.includes('loginspect.web'));
  assert.ok(recommended.includes('loginspect.database'));
  assert.ok(recommended.includes('loginspect.kernel'));
  assert.ok(!recommended.includes('loginspect.auditd'));
});

test('compile keeps groups and valid custom XML, and refuses bad rules with the reason', () => {
  const c = compile([
    { id: 'loginspect.sshd', definition: { id: 'loginspect.sshd', group: 'sshd' } },
    { id: 'x-unknown-group', definition: { id: 'x-unknown-group', group: 'nope' } },
    {
      id: 'custom-ok',
      definition: {
        id: 'custom-ok',
        rulesXml:
          '<group name="local,"><rule id="110000" level="7"><if_sid>100101</if_sid><user>^deploy$</user><description>deploy failed</description></rule></group>',
      },
    },
    {
      id: 'custom-bad',
      definition: {
        id: 'custom-bad',
        rulesXml:
          '<group name="local,"><rule id="110001" level="7"><if_sid>999999999</if_sid><description>x</description></rule></group>',
      },
    },
    {
      id: 'custom-unknown-element',
      definition: {
        id: 'custom-unknown-element',
        rulesXml:
          '<group name="local,"><rule id="110002" level="7"><if_sid>100101</if_sid><srcip_reputation>bad</srcip_reputation><description>x</description></rule></group>',
      },
    },
    {
      id: 'custom-unbounded',
      definition: {
        id: 'custom-unbounded',
        rulesXml:
          '<group name="local,"><rule id="110003" level="7"><if_sid>100101</if_sid><match_pcre2>^(a+)+\\1$</match_pcre2><description>x</description></rule></group>',
      },
    },
    { id: 'not-a-rule', definition: { id: 'not-a-rule', extra: 1 } },
  ]);
  assert.deepEqual(c.builtInGroups, ['sshd']);
  assert.deepEqual(
    c.custom.map((r) => r.id),
    ['custom-ok'],
  );
  const reasons = Object.fromEntries(c.rejectedRules.map((r) => [r.id, r.reason]));
  assert.match(reasons['x-unknown-group'] ?? '', /no built-in rule group/);
  assert.match(reasons['custom-bad'] ?? '', /custom-bad\/rules.xml:1: error: rule 110001: if_sid 999999999/);
  assert.ok(reasons['not-a-rule']);
  // Refused whole at assignment, never loaded on an agent without the condition.
  assert.match(reasons['custom-unknown-element'] ?? '', /rule 110002: element <srcip_reputation> is unknown/);
  assert.match(reasons['custom-unbounded'] ?? '', /rule 110003: <match_pcre2> PCRE2 pattern .*backreference/);
});

test('source settings: paths or objects with multi-line, journal start, commands; relative paths and shells in names refused', () => {
  const ok = {
    ...settings,
    sources: {
      files: [
        '/var/log/auth.log',
        { path: '/var/log/*/access.log', followSymlinks: true, multiline: { pattern: '^\\s', match: 'after' } },
      ],
      journald: true,
      journalStart: 'boot',
      journalUnits: ['ssh.service'],
      commands: [{ name: 'df', argv: ['df', '-P'], intervalSeconds: 600, output: 'full' }],
    },
  };
  assert.ok(Value.Check(LogInspectSettings, ok));
  const compiled = managerModule.compile({ computerId: 'c1', settings: ok, platform: {} as never, rules: [] });
  assert.deepEqual((compiled as LogInspectConfiguration).sources, ok.sources);
  const bad = (sources: Record<string, unknown>) =>
    Value.Check(LogInspectSettings, { ...settings, sources: { files: [], journald: false, ...sources } });
  assert.equal(bad({ files: ['relative.log'] }), false);
  assert.equal(bad({ files: [{ path: '/x', multiline: { pattern: 'a', match: 'sideways' } }] }), false);
  assert.equal(bad({ commands: [{ name: 'a b;rm', argv: ['true'] }] }), false);
  assert.equal(bad({ commands: [{ name: 'fast', argv: ['true'], intervalSeconds: 1 }] }), false);
  assert.equal(bad({ journalStart: 'yesterday' }), false);
  // Overrides stored before these settings existed still fit.
  assert.equal(bad({ files: ['/var/log/syslog'] }), true);
});

test('checkSetting refuses a multi-line pattern that is not a regular expression, naming the entry', () => {
  const check = managerModule.checkSetting;
  assert.ok(check);
  const sources = {
    files: [
      '/var/log/syslog',
      { path: '/var/log/app.log', multiline: { pattern: '^\\s', match: 'after' } },
      { path: '/var/log/java.log', multiline: { pattern: '^(\\d{4}-', match: 'after', negate: true } },
    ],
    journald: true,
  };
  const issues = check('sources', sources);
  assert.equal(issues.length, 1);
  assert.equal(issues[0]?.path, '/files/2/multiline/pattern');
  assert.match(
    issues[0]?.message ?? '',
    /^"\^\(\\\\d\{4\}-" is not a valid JavaScript regular expression \(Invalid regular expression: .*Unterminated group\); the agent could not join the lines of \/var\/log\/java\.log$/,
  );
  assert.deepEqual(check('sources', { ...sources, files: sources.files.slice(0, 2) }), []);
  assert.deepEqual(check('minimumLevel', 5), []);
});

test('checkSetting refuses a multi-line pattern the backtracking guard cannot bound (backreference, lookaround)', () => {
  const check = managerModule.checkSetting;
  assert.ok(check);
  for (const pattern of ['^(a+)+\\1$', '^(?=\\d{4}-)', '(?<!\\\\)$']) {
    const issues = check('sources', {
      files: [{ path: '/var/log/app.log', multiline: { pattern, match: 'after' } }],
      journald: false,
    });
    assert.equal(issues.length, 1, pattern);
    assert.match(
      issues[0]?.message ?? '',
      /refused: it uses a backreference or a lookaround, which the backtracking guard cannot bound/,
    );
  }
  // Nested repetition alone is bounded: V8 moves it to its linear-time engine.
  assert.deepEqual(
    check('sources', { files: [{ path: '/x', multiline: { pattern: '^(a+)+$', match: 'after' } }], journald: false }),
    [],
  );
});
