import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Value } from '@sinclair/typebox/value';
import { buildSettingCatalog } from '../services/setting-catalog.js';
import { managerModules } from './registry.js';

describe('manager module registry', () => {
  it('has unique ids, an enabled setting and a default for every setting of every module', () => {
    const catalog = buildSettingCatalog(managerModules);
    for (const module of managerModules) {
      assert.ok(/^[a-z][a-z0-9-]*$/.test(module.id), `module id ${module.id}`);
      assert.ok('enabled' in module.settings.properties, `${module.id} has no enabled setting`);
      for (const definition of catalog.definitions.filter((d) => d.module === module.id)) {
        assert.notEqual(definition.default, undefined, `${definition.key} has no default`);
        assert.ok(
          Value.Check(definition.schema, definition.default),
          `${definition.key} default does not fit its schema`,
        );
      }
    }
    assert.equal(new Set(catalog.modules.map((m) => m.id)).size, managerModules.length + 1);
  });

  it('compiles every module from its defaults', () => {
    const catalog = buildSettingCatalog(managerModules);
    const platform = catalog.modules[0]?.defaults as never;
    for (const module of managerModules) {
      const defaults = catalog.modules.find((m) => m.id === module.id)?.defaults ?? {};
      const compiled = module.compile({ computerId: 'c', settings: defaults as never, platform, rules: [] });
      assert.doesNotThrow(() => JSON.stringify(compiled));
    }
  });
});
