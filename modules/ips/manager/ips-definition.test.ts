import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { AgentEvent, Inventory } from '@bulwark/protocol';
import { Value } from '@sinclair/typebox/value';
import fc from 'fast-check';
import type { AssignedIpsRule, IpsCompileOptions, IpsRule } from '../engine/ips-engine-contract.js';
import { createIpsManagerModule, type IpsManagerEngine } from './ips-definition.js';
import { IpsSettings } from './ips-settings.js';
import { ruleVariables } from './ips-variables.js';
import { readSuricataRule, splitRuleFile } from './suricata-import.js';

// A stand-in for the rule engine (built in engine/ by its own work): it refuses any rule that
// uses byte_test or names a variable it was not given, which is all these tests need of it.
const calls: { rules: readonly AssignedIpsRule[]; options: IpsCompileOptions }[] = [];
const engine: IpsManagerEngine = {
  compileIpsRules(rules, options) {
    calls.push({ rules, options });
    const refused = rules.flatMap(({ rule }) => {
      const text = rule.detection.kind === 'suricata' ? rule.detection.rule : '';
      if (text.includes('byte_test'))
        return [{ id: rule.id, reasonClass: 'unsupported-keyword:byte_test', reason: 'byte_test is not supported' }];
      const unknown = [...text.matchAll(/\$([A-Z_]+)/g)].find((m) => !(m[1]! in options.variables));
      return unknown ? [{ id: rule.id, reasonClass: 'unknown-variable', reason: `$${unknown[1]} is not set` }] : [];
    });
    return { ruleSet: { ruleCount: rules.length - refused.length, applicationTypes: [] }, refused };
  },
};

const uriLimits: IpsRule = {
  id: 'bw-1000001',
  format: 'bulwark',
  name: 'HTTP URI length and depth restriction',
  description: 'Long URIs',
  severity: 'medium',
  applicationType: { name: 'HTTP', protocol: 'tcp', ports: [80, 8080] },
  recommendWhen: { listeningPorts: [80, 8080], packages: ['nginx'] },
  detection: {
    kind: 'http-limits',
    parameters: { maxUriLength: 2048, maxPathDepth: 32, maxParameters: 128, maxParameterLength: 1024 },
  },
};
const sshRate: IpsRule = {
  id: 'bw-1000090',
  format: 'bulwark',
  name: 'SSH brute force',
  description: 'Many SSH connections',
  severity: 'high',
  applicationType: { name: 'SSH', protocol: 'tcp', ports: [22] },
  recommendWhen: { listeningPorts: [22] },
  detection: { kind: 'rate', parameters: { count: 10, windowSeconds: 60 } },
};
const ips = createIpsManagerModule(engine, [uriLimits, sshRate]);
const defaults = Value.Create(IpsSettings) as IpsSettings;

const inventory = (ports: number[], packages: string[] = []): Inventory =>
  ({
    packages: packages.map((name) => ({ name, version: '1', manager: 'dpkg' })),
    listeningPorts: ports.map((port) => ({ protocol: 'tcp', family: 'ipv4', address: '0.0.0.0', port })),
  }) as unknown as Inventory;

const SQLI =
  'alert http $EXTERNAL_NET any -> $HOME_NET $HTTP_PORTS (msg:"ET WEB_SERVER SQL Injection \\"UNION SELECT\\""; ' +
  'flow:established,to_server; http.uri; content:"UNION"; nocase; content:"SELECT"; nocase; distance:0; ' +
  'reference:cve,2021-12345; classtype:web-application-attack; sid:2010001; rev:3; ' +
  'metadata:signature_severity Major;)';

describe('IPS manager', () => {
  test('recommends a rule for a host that listens on its port or has its package, not otherwise', () => {
    assert.deepEqual(ips.recommend?.(inventory([8080])), ['bw-1000001']);
    assert.deepEqual(ips.recommend?.(inventory([22], ['nginx'])), ['bw-1000001', 'bw-1000090']);
    assert.deepEqual(ips.recommend?.(inventory([5432])), []);
  });

  test('compile hands the agent each rule with its overrides, the settings and expanded variables', () => {
    const compiled = ips.compile({
      computerId: 'c1',
      settings: { ...defaults, enabled: true, mode: 'detect', homeNet: '[10.9.0.0/16]' },
      platform: {} as never,
      rules: [
        { id: 'bw-1000001', definition: uriLimits, overrides: { mode: 'prevent', parameters: { maxUriLength: 8000 } } },
        { id: 'bw-1000090', definition: sshRate, overrides: { mode: 'block' } },
      ],
    }) as {
      mode: string;
      variables: Record<string, string>;
      rules: AssignedIpsRule[];
      rejected: { ruleId: string; reason: string }[];
    };
    assert.equal(compiled.mode, 'detect');
    assert.equal(compiled.variables.HOME_NET, '[10.9.0.0/16]');
    assert.equal(compiled.variables.HTTP_SERVERS, '[10.9.0.0/16]');
    assert.equal(compiled.variables.FILE_DATA_PORTS, '[[80,8000,8008,8080,8888],110,143]');
    assert.deepEqual(compiled.rules, [{ rule: uriLimits, mode: 'prevent', parameters: { maxUriLength: 8000 } }]);
    assert.equal(compiled.rejected[0]?.ruleId, 'bw-1000090');
    assert.match(compiled.rejected[0]?.reason ?? '', /mode must be "prevent" or "detect"/);
  });

  test('checkRule refuses what the agent would: bad overrides and rules the engine cannot evaluate', () => {
    const check = (definition: unknown, overrides: Record<string, unknown>) =>
      ips.checkRule?.({ id: 'x', definition, overrides }, { settings: defaults, everywhere: [defaults] }) ?? [];
    assert.deepEqual(check(uriLimits, { mode: 'detect', parameters: { maxUriLength: 6000 } }), []);
    assert.match(check(uriLimits, { parameters: { maxUriLen: 6000 } })[0]?.message ?? '', /no parameter maxUriLen/);
    assert.match(check(uriLimits, { parameters: { maxUriLength: 0 } })[0]?.message ?? '', /at least 1/);
    assert.match(check(uriLimits, { severity: 'low' })[0]?.message ?? '', /may set mode or parameters/);
    const sqli = readSuricataRule(SQLI);
    assert.ok(sqli.ok);
    assert.match(check(sqli.rule, { parameters: { x: 1 } })[0]?.message ?? '', /no parameters to override/);
    const bytes = readSuricataRule('alert tcp any any -> any 80 (msg:"b"; byte_test:1,>,2,0; sid:7;)');
    assert.ok(bytes.ok);
    assert.deepEqual(check(bytes.rule, {}), [
      { path: '/detection', message: 'unsupported-keyword:byte_test: byte_test is not supported' },
    ]);
  });

  test('an unplaced rule is fine when some level defines the variables it uses', () => {
    const r = readSuricataRule('alert tcp any any -> $DB_SERVERS 5432 (msg:"pg"; content:"x"; sid:9;)');
    assert.ok(r.ok);
    const unplaced = (everywhere: IpsSettings[]) =>
      ips.checkRule?.({ id: r.rule.id, definition: r.rule, overrides: {} }, { settings: null, everywhere }) ?? [];
    assert.match(unplaced([defaults])[0]?.message ?? '', /\$DB_SERVERS is not set/);
    assert.deepEqual(unplaced([defaults, { ...defaults, variables: { DB_SERVERS: '[10.0.0.5]' } }]), []);
  });

  test('imports a .rules file: continuations joined, comments counted, duplicates and refusals named', () => {
    const file = [
      '# ET Open excerpt',
      SQLI,
      '',
      '# alert http any any -> any any (msg:"disabled"; sid:5;)',
      'alert tcp any any -> any [80,8080] (msg:"split over \\',
      '  two lines"; content:"abc"; priority:1; sid:2010002; rev:1;)',
      'alert tcp any any -> any 80 (msg:"uses byte_test"; byte_test:1,>,2,0; sid:2010003;)',
      `${SQLI.replace('sid:2010001', 'sid:2010001')}`,
      'alert tcp any any -> any 80 (msg:"no sid"; content:"x";)',
      'hello world',
      '',
    ].join('\n');
    const result = ips.importRules?.(file);
    assert.ok(result);
    assert.deepEqual(
      result.rules.map((r) => r.id),
      ['sid:2010001', 'sid:2010002'],
    );
    const split = result.rules[1] as IpsRule;
    assert.equal(split.name, 'split over two lines');
    assert.equal(split.severity, 'high');
    assert.deepEqual(split.applicationType, { name: 'tcp', protocol: 'tcp', ports: [80, 8080] });
    const sqli = result.rules[0] as IpsRule;
    assert.equal(sqli.name, 'ET WEB_SERVER SQL Injection "UNION SELECT"');
    assert.equal(sqli.severity, 'high');
    assert.deepEqual(sqli.cve, ['CVE-2021-12345']);
    assert.deepEqual(sqli.detection, { kind: 'suricata', rule: SQLI });
    assert.deepEqual(
      result.refused.map((r) => [r.line, r.id, r.reason.split(':')[0]]),
      [
        [7, 'sid:2010003', 'unsupported-keyword'],
        [8, 'sid:2010001', 'duplicate sid'],
        [9, undefined, 'no usable sid'],
        [10, undefined, 'not a rule'],
      ],
    );
    assert.equal(result.skippedLines, 3);
    // Every accepted rule fits the rule schema the platform stores custom rules under.
    for (const r of result.rules) assert.ok(Value.Check(ips.ruleSchema!, r));
  });

  test('events read as the action, the rule, the source and the repeat count', () => {
    const event = {
      module: 'ips',
      type: 'intrusion',
      severity: 'medium',
      ruleId: 'bw-1000001',
      action: 'Detect Only: Reset',
      summary: '',
      seq: 1,
      time: '2026-01-01T00:00:00Z',
      details: { rule: 'HTTP URI length', source: '10.0.0.2', repeatCount: 3, sourcePort: 40000 },
    } satisfies AgentEvent;
    assert.equal(ips.presentEvent?.(event).title, 'Detect Only: Reset: HTTP URI length (bw-1000001) from 10.0.0.2 ×3');
    const fields = ips.siemFields?.({ type: 'intrusion', details: event.details }) ?? [];
    assert.deepEqual(
      fields.map((f) => [f.cef, f.value]),
      [
        ['src', '10.0.0.2'],
        ['spt', 40000],
        ['cnt', 3],
        ['cs4', 'HTTP URI length'],
      ],
    );
  });

  test('variables: nested references expand, a cycle or an unknown name stays as written', () => {
    const v = ruleVariables({ ...defaults, variables: { A: '$B', B: '$A', C: '[$HOME_NET,$NOPE]' } });
    assert.match(v.A ?? '', /\$[AB]$/);
    assert.equal(v.C, `[${defaults.homeNet},$NOPE]`);
  });

  test('the rule file reader survives garbage: no throw, every line accounted for', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 2000 }), (text) => {
        const { rules, skippedLines } = splitRuleFile(text);
        for (const r of rules) readSuricataRule(r.text);
        const lines = text.split(/\r?\n/).length - (text.endsWith('\n') ? 1 : 0);
        assert.ok(rules.length + skippedLines <= Math.max(lines, 0) + 1);
      }),
      { numRuns: 300 },
    );
    fc.assert(
      fc.property(fc.string({ maxLength: 400 }), (body) => {
        readSuricataRule(`alert tcp any any -> any any (${body})`);
        ips.importRules?.(`alert tcp any any -> any any (${body}; sid:1;)`);
      }),
      { numRuns: 300 },
    );
  });
});
