import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Type } from '@sinclair/typebox';
import fc from 'fast-check';
import type { SettingDefinition } from './setting-catalog.js';
import { resolveSettings, type SettingLayer } from './settings-resolver.js';

const definitions: SettingDefinition[] = ['m.a', 'm.b', 'm.c'].map((key) => ({
  key,
  module: 'm',
  property: key.slice(2),
  schema: Type.Integer(),
  default: -1,
}));

const layerArb = fc.record({
  a: fc.option(fc.integer(), { nil: undefined }),
  b: fc.option(fc.integer(), { nil: undefined }),
  c: fc.option(fc.integer(), { nil: undefined }),
});

function toLayers(specs: readonly Record<string, number | undefined>[], computerLast: boolean): SettingLayer[] {
  return specs.map((spec, i) => ({
    source: {
      kind: computerLast && i === specs.length - 1 ? 'computer' : 'policy',
      id: `id${i}`,
      name: `layer ${i}`,
    },
    values: new Map(
      Object.entries(spec)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => [`m.${k}`, v]),
    ),
  }));
}

describe('resolveSettings', () => {
  it('takes each value from the nearest layer that sets it, else the default', () => {
    fc.assert(
      fc.property(fc.array(layerArb, { maxLength: 6 }), fc.boolean(), (generated, computerLast) => {
        const specs: Record<string, number | undefined>[] = generated;
        const layers = toLayers(specs, computerLast);
        const effective = resolveSettings(definitions, layers);
        for (const setting of effective) {
          const property = setting.key.slice(2);
          let nearest = -1;
          for (let i = specs.length - 1; i >= 0; i--) {
            if (specs[i]?.[property] !== undefined) {
              nearest = i;
              break;
            }
          }
          if (nearest === -1) {
            assert.deepEqual(setting, { key: setting.key, value: -1, overridden: false, source: { kind: 'default' } });
          } else {
            assert.equal(setting.value, specs[nearest]?.[property]);
            assert.equal(setting.source.id, `id${nearest}`);
            assert.equal(setting.overridden, nearest === specs.length - 1);
          }
        }
      }),
    );
  });

  it('skips a stored value that no longer fits its schema and falls back to the layer above', () => {
    const layers = toLayers([{ a: 3 }, { a: 99 }], false);
    const effective = resolveSettings(definitions, layers, (_d, v) => v !== 99);
    assert.equal(effective[0]?.value, 3);
    assert.equal(effective[0]?.source.id, 'id0');
    assert.equal(effective[0]?.overridden, false);
  });

  it('hands out copies, so a caller cannot change a default by editing a result', () => {
    const defs: SettingDefinition[] = [
      { key: 'm.list', module: 'm', property: 'list', schema: Type.Array(Type.Integer()), default: [1] },
    ];
    const first = resolveSettings(defs, []);
    const value = first[0]?.value;
    assert.ok(Array.isArray(value));
    value.push(2);
    assert.deepEqual(resolveSettings(defs, [])[0]?.value, [1]);
  });
});
