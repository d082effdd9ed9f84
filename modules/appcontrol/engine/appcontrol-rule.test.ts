import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { compileAppcontrolRules, MAX_PATTERN_CHARS, matchAppcontrolRules } from './appcontrol-rule.js';

const rule = (id: string, pattern: string) => ({ id, name: id, description: '', severity: 'low', pattern });

test('matches a pattern without regard to case, in rule order', () => {
  const compiled = compileAppcontrolRules([rule('a', 'Root'), rule('b', 'login'), rule('c', 'nothing')]);
  assert.deepEqual(
    matchAppcontrolRules(compiled, 'LOGIN failed for root').map((r) => r.id),
    ['a', 'b'],
  );
});

test('a rule that does not fit is refused whole with its reason; the others load', () => {
  const compiled = compileAppcontrolRules([
    rule('ok', 'x'),
    { ...rule('extra', 'x'), unknownElement: true },
    rule('long', 'y'.repeat(MAX_PATTERN_CHARS + 1)),
    rule('ok', 'again'),
    42,
  ]);
  assert.deepEqual(
    compiled.rules.map((r) => r.rule.id),
    ['ok'],
  );
  assert.deepEqual(
    compiled.refused.map((r) => r.id),
    ['extra', 'long', 'ok', '(no id)'],
  );
  assert.match(compiled.refused[0]!.reason, /unknownElement|additional/i);
  assert.match(compiled.refused[2]!.reason, /same id/);
});

test('garbage never throws: every input is loaded or refused', () => {
  fc.assert(
    fc.property(fc.array(fc.anything()), fc.string(), (input, text) => {
      const compiled = compileAppcontrolRules(input);
      assert.equal(compiled.rules.length + compiled.refused.length, input.length);
      matchAppcontrolRules(compiled, text);
    }),
  );
});
