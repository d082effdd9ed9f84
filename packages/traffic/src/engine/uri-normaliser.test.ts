import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { normaliseUri } from './uri-normaliser.js';

const norm = (raw: string) => {
  const r = normaliseUri(raw);
  return {
    uri: new TextDecoder('latin1').decode(r.uri),
    anomalies: r.anomalies,
    path: r.path,
    parameters: r.parameters,
  };
};

test('percent-decoding', () => {
  assert.deepEqual(norm('/%61dmin/%2e%2e/etc'), { uri: '/etc', anomalies: [], path: '/etc', parameters: [] });
});

test('double encoding is decoded again and flagged', () => {
  const r = norm('/a/%252e%252e/%252e%252e/etc/passwd');
  assert.equal(r.uri, '/etc/passwd');
  assert.ok(r.anomalies.includes('uri-double-encoding'));
});

test('IIS %u encoding', () => {
  const r = norm('/scripts/%u002e%u002e/%u002e%u002e/winnt/system32/cmd.exe');
  assert.equal(r.uri, '/winnt/system32/cmd.exe');
  assert.ok(r.anomalies.includes('uri-u-encoding'));
});

test('/./ segments are dropped', () => {
  assert.equal(norm('/a/./b/./c').uri, '/a/b/c');
});

test('// is collapsed', () => {
  assert.equal(norm('//a///b//').uri, '/a/b/');
});

test('../ is resolved, never above the root (flagged when tried)', () => {
  assert.equal(norm('/a/b/../c').uri, '/a/c');
  const r = norm('/../../../etc/passwd');
  assert.equal(r.uri, '/etc/passwd');
  assert.ok(r.anomalies.includes('uri-traversal-above-root'));
});

test('backslashes are path separators (flagged)', () => {
  const r = norm('/a\\..\\..\\windows\\win.ini');
  assert.equal(r.uri, '/windows/win.ini');
  assert.ok(r.anomalies.includes('uri-backslash'));
});

test('overlong UTF-8 is decoded to the character it hides (flagged)', () => {
  const r = norm('/a/%c0%ae%c0%ae%c0%afetc/passwd');
  assert.equal(r.uri, '/etc/passwd');
  assert.ok(r.anomalies.includes('uri-overlong-utf8'));
  assert.equal(norm('/%e0%80%ae%e0%80%ae/x').uri, '/x');
});

test('NUL is kept (the text around it still matches) and flagged', () => {
  const r = norm('/shell.php%00.jpg');
  assert.equal(r.uri, '/shell.php\u0000.jpg');
  assert.ok(r.anomalies.includes('uri-nul'));
});

test('the query is decoded once and split into parameters', () => {
  const r = norm('/search?q=a%27+or+1%3D1&x&y=%3Cscript%3E');
  assert.equal(r.uri, "/search?q=a'+or+1=1&x&y=<script>");
  assert.deepEqual(r.parameters, [
    ['q', "a' or 1=1"],
    ['x', ''],
    ['y', '<script>'],
  ]);
});

test('property: any input normalises without throwing, and normalising twice changes nothing more in the path', () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 200 }), (s) => {
      normaliseUri(s);
    }),
    { numRuns: 2000 },
  );
  fc.assert(
    fc.property(fc.stringMatching(/^[/a-z.%\\0-9]{0,40}$/), (s) => {
      const once = normaliseUri(`/${s}`);
      if (once.uri.includes(0x25) || once.uri.includes(0x3f)) return;
      const twice = normaliseUri(once.uri);
      assert.deepEqual(twice.uri, once.uri);
    }),
    { numRuns: 2000 },
  );
});
