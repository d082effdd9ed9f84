import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { parseIniCases } from './ini.js';

test('repeated keys form one sequence; distinct keys are separate cases; fail negates', () => {
  const cases = parseIniCases(
    [
      '; comment',
      '[brute force]',
      'log 1 pass = line a',
      'log 1 pass = line b',
      'log 2 fail = line c = with equals',
      'rule = 5712',
      'alert = 10',
      'decoder = sshd',
      '',
      '[empty expectation]',
      'log 1 fail = x',
      'rule =',
      'alert =',
    ].join('\n'),
  );
  assert.equal(cases.length, 3);
  assert.deepEqual(cases[0]?.lines, ['line a', 'line b']);
  assert.equal(cases[0]?.negate, false);
  assert.equal(cases[0]?.rule, '5712');
  assert.deepEqual(cases[1]?.lines, ['line c = with equals']);
  assert.equal(cases[1]?.negate, true);
  assert.equal(cases[2]?.rule, '');
  assert.equal(cases[2]?.decoder, '');
});

test('property: never throws on arbitrary text', () => {
  fc.assert(
    fc.property(
      fc.string({ unit: fc.constantFrom('[', ']', '=', ':', ';', ' ', '\n', 'l', 'o', 'g', '1', 'p', 'a', 's', 'f') }),
      (s) => {
        for (const c of parseIniCases(s)) assert.ok(c.lines.length > 0);
      },
    ),
  );
});
