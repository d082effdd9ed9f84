import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { describeRejectedRules, MAX_STATUS_REASON } from './module-status.js';

describe('describeRejectedRules', () => {
  it('names every rule and its reason when they fit', () => {
    assert.equal(
      describeRejectedRules([
        { id: 'a', reason: '/port: too big' },
        { id: 'b', reason: 'list x missing' },
      ]),
      '2 rules not enforced: a (/port: too big); b (list x missing)',
    );
    assert.equal(describeRejectedRules([{ id: 'a', reason: 'r' }]), '1 rule not enforced: a (r)');
  });

  it('keeps whole entries and counts the rest when too long', () => {
    const text = describeRejectedRules(
      [
        { id: 'a', reason: 'x'.repeat(30) },
        { id: 'b', reason: 'y'.repeat(30) },
        { id: 'c', reason: 'z'.repeat(30) },
      ],
      100,
    );
    assert.equal(text, `3 rules not enforced: a (${'x'.repeat(30)}); and 2 more`);
  });

  it('never exceeds the limit and always starts with the count', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ id: fc.string({ maxLength: 40 }), reason: fc.string({ maxLength: 2000 }) }), {
          minLength: 1,
          maxLength: 30,
        }),
        fc.integer({ min: 60, max: MAX_STATUS_REASON }),
        (rejected, limit) => {
          const text = describeRejectedRules(rejected, limit);
          assert.ok(text.length <= limit, `${text.length} > ${limit}`);
          assert.ok(text.startsWith(`${rejected.length} rule`));
        },
      ),
    );
  });
});
