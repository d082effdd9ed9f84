import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { compilePathPattern, MAX_PATH_PATTERN_CHARS } from './path-pattern.js';

const matches = (pattern: string, path: string) => {
  const c = compilePathPattern(pattern);
  assert.ok(c.ok);
  return c.matches(path);
};

test('*, ** and ? match as documented; other characters match themselves', () => {
  assert.ok(matches('/opt/app/bin/*', '/opt/app/bin/run'));
  assert.ok(!matches('/opt/app/bin/*', '/opt/app/bin/sub/run'));
  assert.ok(matches('/opt/**', '/opt/app/bin/sub/run'));
  assert.ok(matches('/usr/bin/python3.?', '/usr/bin/python3.9'));
  assert.ok(!matches('/usr/bin/python3.?', '/usr/bin/python3x11'));
  assert.ok(matches('/srv/a+b(1)', '/srv/a+b(1)'));
  assert.ok(!matches('/srv/a.b', '/srv/axb'));
});

test('relative, too long and NUL patterns are refused with the reason', () => {
  assert.deepEqual(compilePathPattern('bin/x'), { ok: false, message: '"bin/x" is not an absolute path' });
  assert.equal(compilePathPattern(`/${'a'.repeat(MAX_PATH_PATTERN_CHARS)}`).ok, false);
  assert.equal(compilePathPattern('/a\0b').ok, false);
});

test('any pattern compiles or is refused, never throws', () => {
  fc.assert(
    fc.property(fc.string(), fc.string(), (pattern, path) => {
      const c = compilePathPattern(`/${pattern}`);
      if (c.ok) c.matches(path);
    }),
  );
});
