import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { AssignedRule } from '@bulwark/protocol';
import { Value } from '@sinclair/typebox/value';
import fc from 'fast-check';
import { IntegritySettings } from '../engine/index.js';
import { checkIntegrityRule } from './check-rule.js';
import { compileIntegrity } from './compile.js';

const settings = Value.Create(IntegritySettings);
const context = { settings, everywhere: [settings] };
const rule = (entity: Record<string, unknown>, extra: Record<string, unknown> = {}, overrides = {}): AssignedRule => ({
  id: 'etc-watch',
  definition: { id: 'etc-watch', name: 'Etc', description: 'x', severity: 'high', entity, ...extra },
  overrides,
});
const paths = (issues: readonly { path: string }[]) => issues.map((i) => i.path).sort();

test('names a relative base, a bad glob and an unknown attribute', () => {
  const issues = checkIntegrityRule(
    rule({ kind: 'files', base: 'etc', include: ['[a'] }, { attributes: ['colour'] }),
    context,
  );
  assert.deepEqual(paths(issues), ['/attributes/0', '/entity/base', '/entity/include/0']);
  assert.match(issues.find((i) => i.path === '/attributes/0')?.message ?? '', /"colour" is not an attribute of files/);
  assert.deepEqual(checkIntegrityRule(rule({ kind: 'files', base: '/etc', include: ['*.conf'] }), context), []);
});

test('overrides: only severity, attributes and exclude; a bad exclude glob is named as the override', () => {
  const good = rule({ kind: 'files', base: '/etc' });
  assert.deepEqual(checkIntegrityRule({ ...good, overrides: { severity: 'low', exclude: ['*.bak'] } }, context), []);
  assert.deepEqual(paths(checkIntegrityRule({ ...good, overrides: { colour: 'red' } }, context)), ['/colour']);
  assert.deepEqual(paths(checkIntegrityRule({ ...good, overrides: { exclude: ['[a'] } }, context)), ['/exclude']);
  assert.deepEqual(paths(checkIntegrityRule({ ...good, overrides: { severity: 'loud' } }, context)), ['/severity']);
});

test('property: no problem exactly when compile keeps the rule (overrides compile reads)', () => {
  fc.assert(
    fc.property(
      fc.constantFrom('/etc', 'etc', '/var/../etc', '/'),
      fc.array(fc.constantFrom('*.conf', '[a', '**/x', ''), { maxLength: 2 }),
      fc.option(fc.array(fc.constantFrom('STANDARD', 'sha256', 'colour', 'mode'), { maxLength: 2 }), {
        nil: undefined,
      }),
      fc.record(
        { severity: fc.constantFrom('low', 'loud'), exclude: fc.array(fc.constantFrom('*.bak', '[x')) },
        {
          requiredKeys: [],
        },
      ),
      (base, include, attributes, overrides) => {
        const r = rule({ kind: 'files', base, include }, attributes ? { attributes } : {}, overrides);
        const issues = checkIntegrityRule(r, context);
        const compiled = compileIntegrity(settings, [r]);
        assert.equal(issues.length === 0, compiled.rejectedRules.length === 0, JSON.stringify({ issues, compiled }));
      },
    ),
  );
});
