import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ManagerModule } from '@bulwark/protocol';
import { Type } from '@sinclair/typebox';
import { buildSettingCatalog } from './setting-catalog.js';

/** A module whose `pattern` setting must also compile, which its schema cannot say. */
const patterned: ManagerModule = {
  id: 'patterned',
  name: 'Patterned',
  description: 'Test module with a semantic setting check',
  settings: Type.Object(
    {
      enabled: Type.Boolean({ default: false }),
      pattern: Type.String({ default: 'x', maxLength: 16 }),
    },
    { additionalProperties: false },
  ),
  compile: () => ({}),
  checkSetting(property, value) {
    if (property !== 'pattern') return [];
    try {
      new RegExp(value as string);
      return [];
    } catch {
      return [{ path: '/', message: 'does not compile' }];
    }
  },
};

test("a module's checkSetting runs after the schema and its issues name the key", () => {
  const catalog = buildSettingCatalog([patterned]);
  assert.deepEqual(catalog.check('patterned.pattern', '^a+$'), { ok: true });
  const bad = catalog.check('patterned.pattern', '(');
  assert.equal(bad.ok, false);
  if (bad.ok) return;
  assert.equal(bad.message, 'patterned.pattern: does not compile');
  assert.deepEqual(bad.issues, [{ path: '/patterned.pattern', message: 'does not compile' }]);
  // The schema comes first: the hook only ever sees values that fit it.
  const long = catalog.check('patterned.pattern', '('.repeat(17));
  assert.equal(long.ok, false);
  if (!long.ok) assert.match(long.message, /is not allowed/);
  assert.deepEqual(catalog.check('patterned.enabled', true), { ok: true });
});

test("a module's explainSettingIssues rewords the schema's issues, same paths, under the key", () => {
  const explained: ManagerModule = {
    ...patterned,
    explainSettingIssues: (property, value, issues) =>
      issues.map((i) => ({
        path: i.path,
        message: `${property}: ${JSON.stringify(value).length} characters is too long`,
      })),
  };
  const bad = buildSettingCatalog([explained]).check('patterned.pattern', 'a'.repeat(17));
  assert.equal(bad.ok, false);
  if (bad.ok) return;
  assert.deepEqual(bad.issues, [{ path: '/patterned.pattern', message: 'pattern: 19 characters is too long' }]);
  assert.match(bad.message, /is not allowed \(pattern: 19 characters is too long\)/);
  // Without the hook the schema's own words stay.
  const plain = buildSettingCatalog([patterned]).check('patterned.pattern', 'a'.repeat(17));
  assert.ok(!plain.ok && plain.issues?.[0]?.message !== 'pattern: 19 characters is too long');
});
