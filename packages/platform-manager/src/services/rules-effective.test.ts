import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { Catalogue, CatalogueRule } from './rules-catalogue.js';
import { type RuleData, type RuleSource, resolveEffectiveRules } from './rules-effective.js';

const RULES = ['r1', 'r2', 'r3', 'r4'];
const catalogue: Catalogue = new Map([
  [
    'm',
    new Map(
      RULES.map((id): [string, CatalogueRule] => [
        id,
        { module: 'm', id, builtIn: true, definition: { id }, createdAt: null, updatedAt: null },
      ]),
    ),
  ],
]);

const level = fc.record({
  assigned: fc.subarray([...RULES, 'gone']),
  overrides: fc.dictionary(fc.constantFrom(...RULES), fc.dictionary(fc.constantFrom('mode', 'port'), fc.integer())),
});

describe('resolveEffectiveRules', () => {
  it('is the union over the levels, with overrides merged so the nearest level wins (model check)', () => {
    fc.assert(
      fc.property(fc.array(level, { minLength: 1, maxLength: 5 }), (levels) => {
        const layers: RuleSource[] = levels.map((_, i) => ({
          kind: i === levels.length - 1 ? 'computer' : 'policy',
          id: `t${i}`,
          name: `level ${i}`,
        }));
        const data: RuleData = {
          assignments: new Map(
            layers.map((l, i) => [`${l.kind}:${l.id}`, new Map([['m', new Set(levels[i]!.assigned)]])]),
          ),
          overrides: new Map(
            layers.map((l, i) => [
              `${l.kind}:${l.id}`,
              new Map([['m', new Map(Object.entries(levels[i]!.overrides))]]),
            ]),
          ),
        };
        const result = resolveEffectiveRules(layers, data, catalogue);
        // The model: a rule is in force when some level assigns it and the catalogue has it.
        const expected = RULES.filter((id) => levels.some((l) => l.assigned.includes(id)));
        assert.deepEqual(
          result.map((r) => r.id),
          expected,
        );
        for (const rule of result) {
          assert.deepEqual(
            rule.assignedAt.map((s) => s.id),
            layers.filter((_, i) => levels[i]!.assigned.includes(rule.id)).map((l) => l.id),
          );
          for (const property of ['mode', 'port']) {
            const nearest = [...levels].reverse().find((l) => l.overrides[rule.id]?.[property] !== undefined);
            assert.equal(rule.overrides[property], nearest?.overrides[rule.id]?.[property]);
          }
        }
      }),
    );
  });

  it('leaves out other modules when asked for one, and rules missing from the catalogue', () => {
    const layers: RuleSource[] = [{ kind: 'policy', id: 'p', name: 'P' }];
    const data: RuleData = {
      assignments: new Map([['policy:p', new Map([['m', new Set(['r1', 'gone'])]])]]),
      overrides: new Map(),
    };
    assert.deepEqual(
      resolveEffectiveRules(layers, data, catalogue, 'm').map((r) => r.id),
      ['r1'],
    );
    assert.deepEqual(resolveEffectiveRules(layers, data, catalogue, 'other'), []);
  });
});
