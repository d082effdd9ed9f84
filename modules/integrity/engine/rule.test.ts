import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { validateRule } from './rule.js';

const good = {
  id: 'etc-passwd',
  name: 'Account database',
  description: 'passwd, shadow, group',
  severity: 'high',
  attributes: ['sha256', 'STANDARD'],
  entity: { kind: 'files', base: '/etc/', include: ['passwd', 'shadow'], recursive: false },
};

test('a valid rule is compiled: STANDARD expanded, defaults filled, trailing slash dropped', () => {
  const r = validateRule(good);
  assert.ok(r.ok);
  assert.deepEqual(r.rule.attributes, [
    'sha256',
    'type',
    'size',
    'mode',
    'uid',
    'gid',
    'mtime',
    'ctime',
    'inode',
    'nlink',
    'target',
  ]);
  assert.equal(r.rule.entity.kind, 'files');
  if (r.rule.entity.kind === 'files') {
    assert.equal(r.rule.entity.base, '/etc');
    assert.equal(r.rule.entity.followSymlinks, false);
  }
});

test('non-file kinds get their default attributes', () => {
  const r = validateRule({ ...good, id: 'pkgs', attributes: undefined, entity: { kind: 'packages' } });
  assert.ok(r.ok);
  assert.deepEqual(r.rule.attributes, ['version', 'architecture', 'status']);
});

function issuesOf(input: unknown): string[] {
  const r = validateRule(input);
  assert.equal(r.ok, false);
  return r.ok ? [] : r.issues.map((i) => `${i.path}: ${i.message}`);
}

test('each malformed field is named in the error', () => {
  assert.ok(issuesOf({ ...good, id: 'Bad Id' }).some((m) => m.startsWith('/id')));
  assert.ok(issuesOf({ ...good, severity: 'urgent' }).some((m) => m.startsWith('/severity')));
  assert.ok(issuesOf({ ...good, entity: { ...good.entity, base: 'etc' } }).some((m) => m.startsWith('/entity/base')));
  assert.ok(
    issuesOf({ ...good, entity: { ...good.entity, base: '/etc/../root' } }).some((m) => m.startsWith('/entity/base')),
  );
  assert.ok(
    issuesOf({ ...good, entity: { ...good.entity, recursive: 'yes' } }).some((m) => m.startsWith('/entity/recursive')),
  );
  assert.ok(
    issuesOf({ ...good, entity: { ...good.entity, include: ['[oops'] } }).some((m) =>
      m.startsWith('/entity/include/0'),
    ),
  );
  assert.ok(issuesOf({ ...good, entity: { kind: 'registry' } }).some((m) => m.startsWith('/entity/kind')));
  assert.ok(issuesOf({ ...good, entity: { kind: 'services', base: '/x' } }).some((m) => m.startsWith('/entity')));
  assert.ok(
    issuesOf({ ...good, attributes: ['sha256', 'colour'] }).some(
      (m) => m.startsWith('/attributes/1') && m.includes('colour'),
    ),
  );
  assert.ok(
    issuesOf({ ...good, entity: { kind: 'services' }, attributes: ['sha256'] }).some((m) =>
      m.startsWith('/attributes/0'),
    ),
  );
  assert.ok(issuesOf({ ...good, extra: 1 }).length > 0);
  assert.ok(issuesOf({ ...good, entity: undefined }).some((m) => m.startsWith('/entity')));
});

test('garbage never throws and is never accepted without an entity', () => {
  fc.assert(
    fc.property(fc.anything(), (value) => {
      const r = validateRule(value);
      if (!r.ok) assert.ok(r.issues.length > 0 && r.issues.every((i) => i.path.startsWith('/')));
    }),
    { numRuns: 1000 },
  );
  fc.assert(
    fc.property(
      fc.record({
        kind: fc.constantFrom('files', 'ports', 'users'),
        base: fc.string(),
        include: fc.array(fc.string()),
      }),
      (entity) => {
        const r = validateRule({ ...good, entity });
        if (r.ok) assert.equal(r.rule.entity.kind, entity.kind);
        else assert.ok(r.issues.length > 0);
      },
    ),
    { numRuns: 1000 },
  );
});
