import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { toBytePath } from './byte-path.js';
import { compileGlob } from './glob.js';

function matcher(pattern: string, base = '/') {
  const r = compileGlob(pattern, base);
  assert.ok(r.ok, r.ok ? '' : r.message);
  return (path: string) => r.glob.matches(toBytePath(path));
}

test('* stays within one component, ** crosses them', () => {
  const m = matcher('/etc/*.conf');
  assert.equal(m('/etc/a.conf'), true);
  assert.equal(m('/etc/x/a.conf'), false);
  const deep = matcher('/etc/**/*.conf');
  assert.equal(deep('/etc/a.conf'), true);
  assert.equal(deep('/etc/x/y/a.conf'), true);
  assert.equal(deep('/var/a.conf'), false);
});

test('a pattern without a slash matches the last component anywhere', () => {
  const m = matcher('*.log');
  assert.equal(m('/var/log/syslog.log'), true);
  assert.equal(m('/var/log.d/syslog'), false);
});

test('relative patterns with a slash are anchored at the base', () => {
  const m = matcher('cache/*', '/var/lib/app');
  assert.equal(m('/var/lib/app/cache/x'), true);
  assert.equal(m('/other/cache/x'), false);
});

test('classes, negation, braces and ?', () => {
  const m = matcher('/etc/{passwd,shadow,group}[-~]');
  assert.equal(m('/etc/passwd-'), true);
  assert.equal(m('/etc/group~'), true);
  assert.equal(m('/etc/gshadow-'), false);
  const neg = matcher('/x/[!a-c]?');
  assert.equal(neg('/x/dz'), true);
  assert.equal(neg('/x/az'), false);
  assert.equal(neg('/x/d/'), false);
});

test('regex metacharacters in names are literal', () => {
  const m = matcher('/a/(b)+.c$');
  assert.equal(m('/a/(b)+.c$'), true);
  assert.equal(m('/a/bb.c'), false);
});

test('non-UTF-8 names are matched byte for byte', () => {
  const r = compileGlob('/data/*.bin');
  assert.ok(r.ok);
  const raw = Buffer.concat([Buffer.from('/data/'), Buffer.from([0xff, 0xfe]), Buffer.from('.bin')]).toString('latin1');
  assert.equal(r.glob.matches(raw), true);
});

test('malformed globs are errors that say what is wrong', () => {
  for (const [pattern, fragment] of [
    ['/a/[bc', "unterminated '['"],
    ['/a/{b,c', "unterminated '{'"],
    ['/a/{b,{c}', "unterminated '{'"],
    ['', 'empty'],
    ['/a/[z-a]', 'reversed'],
  ] as const) {
    const r = compileGlob(pattern);
    assert.equal(r.ok, false, pattern);
    if (!r.ok) assert.ok(r.message.includes(fragment), `${pattern}: ${r.message}`);
  }
});

test('any string compiles or gives an error, and never throws', () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 60 }), fc.string({ maxLength: 60 }), (pattern, path) => {
      const r = compileGlob(pattern);
      if (r.ok) assert.equal(typeof r.glob.matches(toBytePath(path)), 'boolean');
      else assert.ok(r.message.length > 0);
    }),
    { numRuns: 2000 },
  );
});

test('a literal path always matches itself', () => {
  fc.assert(
    fc.property(fc.stringMatching(/^(\/[a-zA-Z0-9._-]{1,8}){1,5}$/), (path) => {
      assert.equal(matcher(path)(path), true);
    }),
  );
});
