import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import type { Entry } from './attributes.js';
import { diffBaseline } from './baseline-diff.js';

const attrs = ['sha256', 'size', 'mode', 'ctime'];
const e = (key: string, a: Entry['attributes']): Entry => ({ key, attributes: a });
const map = (...entries: Entry[]) => new Map(entries.map((x) => [x.key, x]));

test('created, updated and deleted with before/after of every changed attribute', () => {
  const before = map(e('/a', { sha256: 'x', size: 1, mode: 0o644 }), e('/b', { sha256: 'y', size: 2, mode: 0o600 }));
  const after = map(e('/a', { sha256: 'z', size: 1, mode: 0o755 }), e('/c', { sha256: 'q', size: 3, mode: 0o600 }));
  const changes = diffBaseline(before, after, attrs);
  assert.deepEqual(
    changes.map((c) => [c.kind, c.key]),
    [
      ['updated', '/a'],
      ['deleted', '/b'],
      ['created', '/c'],
    ],
  );
  assert.deepEqual(changes[0]!.changes, [
    { attribute: 'sha256', before: 'x', after: 'z' },
    { attribute: 'mode', before: 0o644, after: 0o755 },
  ]);
});

test('same device and inode under a new name is one rename', () => {
  const before = map(e('/etc/old', { sha256: 'x', size: 1, inode: 7, device: 1, ctime: 1 }));
  const after = map(e('/etc/new', { sha256: 'x', size: 1, inode: 7, device: 1, ctime: 2 }));
  const changes = diffBaseline(before, after, attrs);
  assert.equal(changes.length, 1);
  assert.equal(changes[0]!.kind, 'renamed');
  assert.equal(changes[0]!.fromKey, '/etc/old');
  assert.deepEqual(changes[0]!.changes, []);
});

test('a reused inode with other content is a delete and a create, not a rename', () => {
  const before = map(e('/gone', { sha256: 'x', size: 3, inode: 7, device: 1, mtime: 1, type: 'file' }));
  const after = map(e('/fresh', { sha256: 'y', size: 4, inode: 7, device: 1, mtime: 2, type: 'file' }));
  assert.deepEqual(
    diffBaseline(before, after, attrs).map((c) => c.kind),
    ['created', 'deleted'],
  );
});

test('a scope limits what can be reported deleted', () => {
  const before = map(e('/a', { size: 1 }), e('/b', { size: 1 }));
  const after = map(e('/a', { size: 1 }));
  assert.deepEqual(
    diffBaseline(before, after, attrs, (k) => k === '/a'),
    [],
  );
});

test('an unchanged baseline gives no changes; every key shows up once', () => {
  const entry = fc.record({ sha256: fc.constantFrom('a', 'b'), size: fc.integer({ min: 0, max: 3 }) });
  fc.assert(
    fc.property(
      fc.dictionary(fc.constantFrom('/a', '/b', '/c', '/d'), entry),
      fc.dictionary(fc.constantFrom('/a', '/b', '/c', '/d'), entry),
      (x, y) => {
        const before = new Map(Object.entries(x).map(([k, v]) => [k, e(k, v)]));
        const after = new Map(Object.entries(y).map(([k, v]) => [k, e(k, v)]));
        assert.deepEqual(diffBaseline(before, before, attrs), []);
        const changes = diffBaseline(before, after, attrs);
        const keys = changes.flatMap((c) => (c.fromKey ? [c.key, c.fromKey] : [c.key]));
        assert.equal(new Set(keys).size, keys.length);
        for (const c of changes) if (c.kind === 'updated') assert.ok(c.changes.length > 0);
      },
    ),
  );
});
