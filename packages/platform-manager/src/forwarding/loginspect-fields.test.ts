import assert from 'node:assert/strict';
import { test } from 'node:test';
// A test may import the agent side: the mapping is checked against the event the agent really builds.
import { ruleMatchEvent } from '@bulwark/module-loginspect/agent';
import { compileRuleset, LogInspectionEngine } from '@bulwark/module-loginspect/engine';
import { builtInRuleset } from '@bulwark/module-loginspect/manager';
import { managerModules } from '../modules/registry.js';
import { formatCef } from './cef-format.js';
import type { ForwardedEvent } from './forwarded-event.js';
import { formatJson } from './json-format.js';
import { formatLeef } from './leef-format.js';
import { siemFieldSource } from './siem-field-source.js';

/** Each module's own SIEM fields, as the manager wires them. */
const fieldsOf = siemFieldSource(managerModules);

const identity = { vendor: 'Bulwark', product: 'Bulwark', version: '0.1.0' };

/** The CEF extension as key → unescaped value (keys start after an unescaped space). */
function cefExtension(line: string): Map<string, string> {
  let pipes = 0;
  let at = 0;
  for (; at < line.length && pipes < 7; at++) {
    if (line[at] === '\\') at++;
    else if (line[at] === '|') pipes++;
  }
  const out = new Map<string, string>();
  for (const part of line.slice(at).split(/(?<!\\) (?=[A-Za-z0-9]+=)/)) {
    const eq = part.search(/(?<!\\)=/);
    out.set(
      part.slice(0, eq),
      part.slice(eq + 1).replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c)),
    );
  }
  return out;
}

/**
 * The event the log inspection agent really emits for an sshd failure (same engine, built-in
 * rules, same event builder), as the manager stores and forwards it: the mapping and the agent
 * must agree on the detail names.
 */
function realEvent(): ForwardedEvent {
  const { ruleset } = compileRuleset(builtInRuleset());
  const engine = new LogInspectionEngine(ruleset);
  const line = 'Nov 18 12:00:01 web sshd[812]: Failed password for alice from 203.0.113.7 port 52114 ssh2';
  const verdict = engine.process({ line, location: '/var/log/auth.log', time: Date.UTC(2026, 10, 18, 12) });
  assert.ok(verdict.alert && verdict.rule);
  const e = ruleMatchEvent(engine, verdict, { source: 'file' });
  return {
    id: '0190a0a0-0000-7000-8000-000000000009',
    computerId: '0190a0a0-0000-7000-8000-00000000000a',
    seq: 12,
    time: e.time ?? '',
    receivedAt: e.time ?? '',
    agentTime: e.time ?? '',
    module: e.module,
    type: e.type,
    severity: e.severity,
    ruleId: e.ruleId ?? null,
    action: null,
    summary: e.summary,
    details: e.details ?? null,
    computer: { hostname: 'web-1', name: 'Web 1', policyId: null },
  };
}

test('a real loginspect event maps to CEF, LEEF and JSON with the raw line, rule name, program and source', () => {
  const event = realEvent();
  const raw = 'Nov 18 12:00:01 web sshd[812]: Failed password for alice from 203.0.113.7 port 52114 ssh2';
  const ruleName = event.summary;
  assert.match(ruleName, /alice/);

  const cef = cefExtension(formatCef(event, identity, fieldsOf(event)));
  assert.equal(cef.get('rawEvent'), raw);
  assert.equal(cef.get('cs4Label'), 'ruleName');
  assert.equal(cef.get('cs4'), ruleName);
  assert.equal(cef.get('sproc'), 'sshd');
  assert.equal(cef.get('shost'), 'web');
  assert.equal(cef.get('src'), '203.0.113.7');
  assert.equal(cef.get('cs3'), '/var/log/auth.log');
  assert.equal(cef.get('cs1'), event.ruleId);
  assert.equal(cef.get('cn2Label'), 'ruleLevel');

  const leef = new Map(
    formatLeef(event, identity, fieldsOf(event))
      .slice(formatLeef(event, identity, fieldsOf(event)).indexOf('|x09|') + 5)
      .split('\t')
      .map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)] as const),
  );
  assert.equal(leef.get('rawEvent'), raw);
  assert.equal(leef.get('ruleName'), ruleName);
  assert.equal(leef.get('programName'), 'sshd');
  assert.equal(leef.get('src'), '203.0.113.7');

  const json = JSON.parse(formatJson(event, identity));
  assert.equal(json.details.fullLog, raw);
  assert.equal(json.details.ruleDescription, ruleName);
  assert.equal(json.details.programName, 'sshd');
  assert.equal(json.ruleId, event.ruleId);
});
