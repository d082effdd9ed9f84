import assert from 'node:assert/strict';
import { test } from 'node:test';
import { refusalReason, summarizeRefusals } from './refusal-summary.js';

test('refusals are grouped by reason without the rule, the decoder or the pattern text', () => {
  assert.equal(
    refusalReason('rule 5600: element <magic> is unknown, and the rule cannot be evaluated without it; rule refused'),
    'element <magic> is unknown, and the rule cannot be evaluated without it',
  );
  assert.equal(
    refusalReason('decoder "ora": <regex> pcre2 pattern "(?m)^A:\'(.+)\'" has a lookaround; decoder refused'),
    '<regex> pcre2 pattern "…" has a lookaround',
  );
  const problems = [
    {
      file: 'a.xml',
      line: 3,
      severity: 'error' as const,
      message: 'rule 1: if_sid 9 names no loaded rule; rule refused',
    },
    {
      file: 'a.xml',
      line: 9,
      severity: 'error' as const,
      message: 'rule 2: if_sid 8, 7 names no loaded rule; rule refused',
    },
    {
      file: 'd.xml',
      line: 1,
      severity: 'error' as const,
      message: 'decoder "x": plugin P is compiled into OSSEC; decoder refused',
    },
    { file: 'b.xml', line: 2, severity: 'error' as const, message: 'unclosed <group>; file refused' },
    { file: 'a.xml', line: 5, severity: 'warning' as const, message: 'rule 3: something odd' },
  ];
  const s = summarizeRefusals(problems);
  assert.deepEqual([s.decoders, s.rules, s.files], [1, 2, 1]);
  assert.deepEqual(s.byReason[0], { reason: 'if_sid N names no loaded rule', count: 2, example: 'a.xml:3' });
  assert.equal(s.byReason.length, 3, 'warnings are not refusals');
});
