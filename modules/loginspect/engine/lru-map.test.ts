import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { LruMap } from './lru-map.js';

test('keeps at most the limit, forgetting the least recently used; peek does not count as a use', () => {
  const m = new LruMap<number>(2);
  assert.equal(
    m.use('a', () => 1),
    1,
  );
  m.use('b', () => 2);
  assert.equal(
    m.use('a', () => 99),
    1,
    'an existing value is kept',
  );
  m.peek('b');
  m.use('c', () => 3);
  assert.equal(m.size, 2);
  assert.equal(m.peek('b'), undefined, 'b was the least recently used');
  assert.deepEqual([...m.values()], [1, 3]);
});

test('behaves as a Map re-inserted on each use and trimmed from its front', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 5 }),
      fc.array(fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f', 'g')),
      (limit, keys) => {
        const lru = new LruMap<string>(limit);
        const model = new Map<string, string>();
        for (const [i, k] of keys.entries()) {
          const made = `${k}${i}`;
          const existing = model.get(k);
          if (existing !== undefined) model.delete(k);
          else if (model.size >= limit) model.delete(model.keys().next().value as string);
          model.set(k, existing ?? made);
          assert.equal(
            lru.use(k, () => made),
            existing ?? made,
          );
        }
        assert.deepEqual([...lru.values()], [...model.values()]);
      },
    ),
  );
});
